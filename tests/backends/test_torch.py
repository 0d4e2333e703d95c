"""TORCH backend: the shared TorchScript model, scripted modules, RedisAI's error texts."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from pyredisai.backends.base import BackendError, ModelOptions
from pyredisai.backends.registry import get_backend

pytestmark = pytest.mark.needs_torch
torch = pytest.importorskip("torch")

Reader = Callable[[str], bytes]
OPTS = ModelOptions()


def load(blob: bytes, device: str = "CPU", options: ModelOptions = OPTS) -> Any:
    return get_backend("TORCH").load(blob, device, options)


def saved(module: Any) -> bytes:
    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(module), buf)
    return buf.getvalue()


def readonly(arr: np.ndarray) -> np.ndarray:
    """Keyspace tensors are read-only views over immutable bytes."""
    return np.frombuffer(arr.tobytes(), dtype=arr.dtype).reshape(arr.shape)


class MultiIO(torch.nn.Module):
    """int and bool inputs, a tuple of three outputs, any batch size."""

    def forward(
        self, counts: torch.Tensor, flags: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return counts * 2, torch.logical_not(flags), counts.sum(dim=1).to(torch.float64)


class Linear(torch.nn.Module):
    """Has parameters (requires_grad), returns one float tensor."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(4, 2)
        with torch.no_grad():
            self.fc.weight.copy_(torch.arange(8, dtype=torch.float32).reshape(2, 4))
            self.fc.bias.copy_(torch.tensor([0.5, -0.5]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


class ReturnsInt(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        return x, 3


class ReturnsList(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [x, x]


class ReturnsBFloat16(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(torch.bfloat16)


class ReturnsHalf(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(torch.float16)


# -- the shared model -------------------------------------------------------------------


def test_pt_minimal_adds(model_bytes: Reader) -> None:
    model = load(model_bytes("pt-minimal.pt"))
    assert model.input_names == ["a", "b"]
    assert model.output_names == [""]
    a = readonly(np.array([2.0, 3.0], np.float32))
    b = np.array([4.0, 5.0], np.float32)
    (out,) = model.run([a, b])
    assert out.dtype == np.float32 and out.tolist() == [6.0, 8.0]


def test_pt_minimal_batch_32(model_bytes: Reader) -> None:
    model = load(model_bytes("pt-minimal.pt"))
    a = np.arange(64, dtype=np.float32).reshape(32, 2)
    (out,) = model.run([readonly(a), readonly(a)])
    assert np.array_equal(out, a * 2)


def test_runtime_error_is_one_line(model_bytes: Reader) -> None:
    model = load(model_bytes("pt-minimal.pt"))
    with pytest.raises(BackendError) as info:
        model.run([np.zeros(2, np.float32), np.zeros(3, np.float32)])
    message = info.value.message
    assert "The size of tensor a (2) must match the size of tensor b (3)" in message
    assert "\n" not in message and "\r" not in message


def test_input_count_mismatch(model_bytes: Reader) -> None:
    with pytest.raises(BackendError) as info:
        load(model_bytes("pt-minimal.pt")).run([np.zeros(2, np.float32)])
    assert (
        info.value.message == "Number of keys given as INPUTS here does not match model definition"
    )


# -- scripted modules -------------------------------------------------------------------


@pytest.mark.parametrize("batch", [1, 5])
def test_multi_input_output_int_bool_dynamic_batch(batch: int) -> None:
    model = load(saved(MultiIO()))
    assert model.input_names == ["counts", "flags"]
    assert model.output_names == ["", "", ""]
    counts = np.arange(batch * 3, dtype=np.int64).reshape(batch, 3)
    flags = counts % 3 == 0
    doubled, negated, sums = model.run([readonly(counts), readonly(flags)])
    assert doubled.dtype == np.int64 and np.array_equal(doubled, counts * 2)
    assert negated.dtype == np.bool_ and np.array_equal(negated, ~flags)
    assert sums.dtype == np.float64 and sums.tolist() == counts.sum(axis=1).tolist()


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.uint8])
def test_integer_dtypes_round_trip(dtype: type) -> None:
    counts = np.array([[1, 2, 3]], dtype=dtype)
    doubled, _, _ = load(saved(MultiIO())).run([counts, np.zeros((1, 3), bool)])
    assert doubled.dtype == dtype and doubled.tolist() == [[2, 4, 6]]


def test_parameters_and_numbers() -> None:
    model = load(saved(Linear()))
    x = np.array([[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0]], np.float32)
    (y,) = model.run([readonly(x)])
    weight = np.arange(8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_allclose(y, x @ weight.T + np.array([0.5, -0.5], np.float32))


def test_inputs_are_not_copied() -> None:
    class Identity(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x

    x = readonly(np.arange(6, dtype=np.float32))
    (y,) = load(saved(Identity())).run([x])
    assert np.shares_memory(x, y)


def test_concurrent_runs_share_the_module() -> None:
    import threading

    model = load(saved(MultiIO()))
    bad: list[int] = []

    def worker(seed: int) -> None:
        counts = np.full((2, 3), seed, np.int64)
        for _ in range(50):
            doubled, _, _ = model.run([counts, np.zeros((2, 3), bool)])
            if not np.array_equal(doubled, counts * 2):
                bad.append(seed)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bad == []


def test_float16_output_is_allowed() -> None:
    (y,) = load(saved(ReturnsHalf())).run([np.array([1.5], np.float32)])
    assert y.dtype == np.float16 and y.tolist() == [1.5]


# -- errors -----------------------------------------------------------------------------


def test_corrupt_blob(model_bytes: Reader) -> None:
    with pytest.raises(BackendError) as info:
        load(model_bytes("graph.pb"))
    assert info.value.message.startswith("PytorchStreamReader failed reading zip archive")


@pytest.mark.parametrize("device", ["bad_device", "TPU:0"])
def test_unsupported_device(model_bytes: Reader, device: str) -> None:
    with pytest.raises(BackendError) as info:
        load(model_bytes("pt-minimal.pt"), device)
    assert info.value.message == "ERR unsupported device"


@pytest.mark.parametrize("device", ["GPU", "GPU:0", "gpu:1"])
def test_gpu_without_cuda(model_bytes: Reader, device: str) -> None:
    if torch.cuda.is_available():
        pytest.skip("CUDA is available")
    with pytest.raises(BackendError) as info:
        load(model_bytes("pt-minimal.pt"), device)
    assert info.value.message == "GPU requested but Torch couldn't find CUDA"


def test_gpu_runs_on_cuda(model_bytes: Reader) -> None:
    if not torch.cuda.is_available():
        pytest.skip("no CUDA")
    model = load(model_bytes("pt-minimal.pt"), "GPU:0")
    (out,) = model.run([np.ones(3, np.float32), readonly(np.ones(3, np.float32))])
    assert out.tolist() == [2.0, 2.0, 2.0]


def test_uint16_input_is_refused(model_bytes: Reader) -> None:
    model = load(model_bytes("pt-minimal.pt"))
    with pytest.raises(BackendError) as info:
        model.run([np.zeros(2, np.uint16), np.zeros(2, np.uint16)])
    assert info.value.message == "Unsupported kUInt bits 16"


def test_string_input_is_refused(model_bytes: Reader) -> None:
    model = load(model_bytes("pt-minimal.pt"))
    strings = np.array([b"a", b"b"], dtype=object)
    with pytest.raises(BackendError) as info:
        model.run([strings, strings])
    assert info.value.message == "Unsupported code 7"


def test_non_tensor_output() -> None:
    model = load(saved(ReturnsInt()))
    assert model.output_names == [""]  # only Tensor members of the tuple count
    with pytest.raises(BackendError) as info:
        model.run([np.zeros(1, np.float32)])
    assert info.value.message == "Function returned non-tensor valuesforward"


def test_list_return_type_cannot_be_counted() -> None:
    with pytest.raises(BackendError) as info:
        load(saved(ReturnsList()))
    assert info.value.message == (
        "Erorr while trying to retrive model outputs number: bad optional access"
    )


def test_bfloat16_output_is_refused() -> None:
    with pytest.raises(BackendError) as info:
        load(saved(ReturnsBFloat16())).run([np.ones(2, np.float32)])
    assert info.value.message == "BFloat16 is not supported by dlpack"


def test_intra_op_threads_are_process_wide(model_bytes: Reader) -> None:
    before = torch.get_num_threads()
    try:
        load(model_bytes("pt-minimal.pt"), options=ModelOptions(intra_op_threads=1))
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
