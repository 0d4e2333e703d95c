"""TFLITE models end to end: mnist_model_quant.tflite with one.raw (predicts 1), a
flatbuffer built here (FLOAT32 and INT32 inputs; FLOAT32, INT32 and BOOL outputs), RedisAI's
TFLITE error texts, and a GPU device that silently runs on the CPU (RedisAI's TFLITE is
built without GPU support)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import numpy as np
import pytest
import redis

from ..helpers import RawConnection, ServerProcess
from .model_helpers import (
    clients,
    err,
    model_bytes,
    raw_conn,
    tensorget,
    tensorset,
    tflite_multi,
)

if (
    importlib.util.find_spec("ai_edge_litert") is None
    and importlib.util.find_spec("tflite_runtime") is None
):
    pytest.skip("the tflite extra is not installed", allow_module_level=True)

MNIST = model_bytes("mnist_model_quant.tflite")
ONE = model_bytes("one.raw")


@pytest.fixture
def c(server: ServerProcess) -> Iterator[redis.Redis]:
    yield from clients(server)


@pytest.fixture
def raw(server: ServerProcess, c: redis.Redis) -> Iterator[RawConnection]:
    conn = raw_conn(server)
    yield conn
    conn.close()


@pytest.mark.parametrize("device", ["CPU", "GPU"])
def test_mnist_predicts_one(c: redis.Redis, device: str) -> None:
    assert c.execute_command("AI.MODELSTORE", "m", "TFLITE", device, "BLOB", MNIST) == b"OK"
    meta = c.execute_command("AI.MODELGET", "m", "META")
    assert meta[2:4] == [b"device", device.encode()]
    assert meta[10:14] == [b"inputs", [b"Placeholder"], b"outputs", [b"ArgMax", b"Softmax"]]
    c.execute_command("AI.TENSORSET", "a", "FLOAT", 1, 1, 28, 28, "BLOB", ONE)
    assert (
        c.execute_command("AI.MODELEXECUTE", "m", "INPUTS", 1, "a", "OUTPUTS", 2, "b", "c") == b"OK"
    )
    assert c.execute_command("AI.TENSORGET", "b", "VALUES") == [1]
    probs = tensorget(c, "c")
    assert probs.shape == (1, 10) and int(np.argmax(probs)) == 1


def test_mnist_chunked_store_and_get(c: redis.Redis) -> None:
    third = len(MNIST) // 3
    chunks = [MNIST[:third], MNIST[third : 2 * third], MNIST[2 * third :]]
    assert c.execute_command("AI.MODELSTORE", "m", "TFLITE", "CPU", "BLOB", *chunks) == b"OK"
    try:
        c.execute_command("AI.CONFIG", "MODEL_CHUNK_SIZE", 1_000_000)
        got = c.execute_command("AI.MODELGET", "m", "BLOB")
        assert [len(x) for x in got] == [1_000_000] * 3 + [len(MNIST) - 3_000_000]
        assert b"".join(got) == MNIST
    finally:
        c.execute_command("AI.CONFIG", "MODEL_CHUNK_SIZE", 535822336)


def test_built_model_with_int_and_bool(c: redis.Redis) -> None:
    assert c.execute_command("AI.MODELSTORE", "t", "TFLITE", "CPU", "BLOB", tflite_multi()) == b"OK"
    meta = c.execute_command("AI.MODELGET", "t", "META")
    assert meta[10:14] == [b"inputs", [b"x", b"y"], b"outputs", [b"sum", b"prod", b"gt"]]
    tensorset(c, "x", np.array([[1.5, -2, 0]], np.float32))
    tensorset(c, "y", np.array([[2, 3, -4]], np.int32))
    assert (
        c.execute_command(
            "AI.MODELEXECUTE", "t", "INPUTS", 2, "x", "y", "OUTPUTS", 3, "s", "p", "g"
        )
        == b"OK"
    )
    assert tensorget(c, "s").tolist() == [[3, -4, 0]]
    p = tensorget(c, "p")
    assert p.dtype == np.int32 and p.tolist() == [[4, 9, 16]]
    g = tensorget(c, "g")
    assert g.dtype == np.bool_ and g.tolist() == [[True, False, False]]


def test_tflite_error_texts(c: redis.Redis, raw: RawConnection) -> None:
    assert err(raw, "AI.MODELSTORE", "m", "TFLITE", "CPU", "BLOB", "junk") == (
        "Failed to load model from buffer"
    )
    c.execute_command("AI.MODELSTORE", "t", "TFLITE", "CPU", "BLOB", tflite_multi())
    tensorset(c, "x", np.array([[1, 2, 3]], np.float32))
    tensorset(c, "d", np.array([[1, 2, 3]], np.float64))
    assert err(raw, "AI.MODELEXECUTE", "t", "INPUTS", 2, "x", "d", "OUTPUTS", 3, "s", "p", "g") == (
        "Input tensor type doesn't match the type expected by the model definition"
    )
    assert err(raw, "AI.MODELSET", "m", "TFLITE", "CPU", "BATCHSIZE", 2, "BLOB", MNIST) == (
        "ERR Auto-batching not supported by the TFLITE backend"
    )
    # AI.MODELSTORE accepts batching options for TFLITE
    assert (
        raw.command("AI.MODELSTORE", "m", "TFLITE", "CPU", "BATCHSIZE", 2, "BLOB", MNIST) == b"OK"
    )
    assert err(raw, "AI.MODELSTORE", "m", "TFLITE", "xpu", "BLOB", MNIST) == "ERR Invalid DEVICE"
    assert err(raw, "AI.MODELSET", "m", "TFLITE", "xpu", "BLOB", MNIST) == "ERR Unsupported device"
