"""TORCH models end to end: pt-minimal.pt (a + b), TorchScript modules built here (tuple
outputs, INT and BOOL tensors), PyTorch's own error texts, the GPU error on a CUDA-less
build, and redisai-py's Client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import redis

from ..helpers import RawConnection, ServerProcess
from .model_helpers import (
    clients,
    err,
    import_redisai,
    model_bytes,
    raw_conn,
    tensorget,
    tensorset,
    torchscript,
)

pytest.importorskip("torch")
import torch  # noqa: E402


@pytest.fixture
def c(server: ServerProcess) -> Iterator[redis.Redis]:
    yield from clients(server)


@pytest.fixture
def raw(server: ServerProcess, c: redis.Redis) -> Iterator[RawConnection]:
    conn = raw_conn(server)
    yield conn
    conn.close()


class Multi(torch.nn.Module):
    """(x * 2, i + i, not flag, i > 2) for float x, int32 i and bool flag."""

    def forward(
        self, x: torch.Tensor, i: torch.Tensor, flag: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        return x * 2, i + i, torch.logical_not(flag), i > 2


def test_pt_minimal_adds(c: redis.Redis) -> None:
    blob = model_bytes("pt-minimal.pt")
    assert (
        c.execute_command("AI.MODELSTORE", "m", "TORCH", "CPU", "TAG", "t", "BLOB", blob) == b"OK"
    )
    assert c.execute_command("AI.MODELGET", "m", "META") == [
        b"backend", b"TORCH", b"device", b"CPU", b"tag", b"t", b"batchsize", 0,
        b"minbatchsize", 0, b"inputs", [b"a", b"b"], b"outputs", [b""],
        b"minbatchtimeout", 0,
    ]  # fmt: skip
    c.execute_command("AI.TENSORSET", "a", "FLOAT", 2, 2, "VALUES", 2, 3, 2, 3)
    c.execute_command("AI.TENSORSET", "b", "FLOAT", 2, 2, "VALUES", 2, 3, 2, 3)
    assert (
        c.execute_command("AI.MODELEXECUTE", "m", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c") == b"OK"
    )
    assert c.execute_command("AI.TENSORGET", "c", "VALUES") == [b"4", b"6", b"4", b"6"]
    assert c.execute_command("AI.MODELRUN", "m", "INPUTS", "a", "b", "OUTPUTS", "d") == b"OK"
    assert tensorget(c, "d").tolist() == [[4, 6], [4, 6]]


def test_tuple_outputs_with_int_and_bool(c: redis.Redis) -> None:
    c.execute_command("AI.MODELSTORE", "mm", "TORCH", "CPU", "BLOB", torchscript(Multi()))
    meta = c.execute_command("AI.MODELGET", "mm", "META")
    assert meta[10:14] == [b"inputs", [b"x", b"i", b"flag"], b"outputs", [b"", b"", b"", b""]]
    tensorset(c, "x", np.array([[1, -2.5]], np.float32))
    tensorset(c, "i", np.array([[1, 3]], np.int32))
    tensorset(c, "f", np.array([[True, False]]))
    assert (
        c.execute_command(
            "AI.MODELEXECUTE",
            "mm",
            "INPUTS",
            3,
            "x",
            "i",
            "f",
            "OUTPUTS",
            4,
            "o1",
            "o2",
            "o3",
            "o4",
        )
        == b"OK"
    )
    assert tensorget(c, "o1").tolist() == [[2, -5]]
    o2 = tensorget(c, "o2")
    assert o2.dtype == np.int32 and o2.tolist() == [[2, 6]]
    assert tensorget(c, "o3").tolist() == [[False, True]]
    assert tensorget(c, "o4").tolist() == [[False, True]]


def test_wrong_input_type_is_pytorch_text(c: redis.Redis, raw: RawConnection) -> None:
    c.execute_command("AI.MODELSTORE", "mm", "TORCH", "CPU", "BLOB", torchscript(Multi()))
    tensorset(c, "x", np.array([[1, 2]], np.float32))
    tensorset(c, "u", np.array([[1, 2]], np.uint16))
    text = err(
        raw, "AI.MODELEXECUTE", "mm", "INPUTS", 3, "x", "u", "x", "OUTPUTS", 4, "a", "b", "c", "d"
    )
    assert text == "Unsupported kUInt bits 16"
    assert raw.command("EXISTS", "a") == 0


def test_bad_blob_is_pytorch_text(raw: RawConnection) -> None:
    from pyredisai.backends.base import BackendError, ModelOptions
    from pyredisai.backends.registry import get_backend

    with pytest.raises(BackendError) as expected:
        get_backend("TORCH").load(b"not a torchscript archive", "CPU", ModelOptions())
    text = err(raw, "AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", "not a torchscript archive")
    assert text == expected.value.message and not text.startswith("ERR")


def test_gpu_device_without_cuda(raw: RawConnection) -> None:
    if torch.cuda.is_available():
        pytest.skip("CUDA is available")
    blob = model_bytes("pt-minimal.pt")
    for device in ("GPU", "GPU:0"):
        assert err(raw, "AI.MODELSTORE", "m", "TORCH", device, "BLOB", blob) == (
            "GPU requested but Torch couldn't find CUDA"
        )


def test_model_stored_again_runs_the_new_version(c: redis.Redis) -> None:
    class Scale(torch.nn.Module):
        def __init__(self, k: float) -> None:
            super().__init__()
            self.k = k

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * self.k

    tensorset(c, "x", np.array([1, 2], np.float32))
    for k in (2.0, 3.0):
        c.execute_command("AI.MODELSTORE", "s", "TORCH", "CPU", "BLOB", torchscript(Scale(k)))
        for _ in range(4):  # past the engine's warm-up runs, so also inline runs
            c.execute_command("AI.MODELEXECUTE", "s", "INPUTS", 1, "x", "OUTPUTS", 1, "y")
            assert tensorget(c, "y").tolist() == [k, 2 * k]


redisai = import_redisai()


@pytest.fixture
def con(server: ServerProcess, c: redis.Redis) -> Iterator[Any]:
    client = redisai.Client(host="127.0.0.1", port=server.port, protocol=2)
    yield client
    client.close()


def test_redisai_py_torch(con: Any) -> None:
    blob = model_bytes("pt-minimal.pt")
    assert con.modelstore("m", "torch", "cpu", blob) == "OK"
    con.tensorset("a", np.array([2, 3], np.float32))
    con.tensorset("b", np.array([2, 3], np.float32))
    assert con.modelexecute("m", ["a", "b"], ["c"], timeout=1000) == "OK"
    assert con.tensorget("c").tolist() == [4, 6]
    meta = con.modelget("m")
    assert meta["backend"] == "TORCH" and meta["device"] == "cpu" and meta["blob"] == blob
