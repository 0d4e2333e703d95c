"""TORCH backend: TorchScript archives (torch.jit.save) run under inference mode.

Mirrors RedisAI's `src/backends/torch.c` and `libtorch_c/torch_c.cpp`: inputs are the
parameters of `forward` (without self), outputs are counted from its return type (a
Tensor is one, a Tuple counts its Tensor members), INTRA/INTER_OP_PARALLELISM set
PyTorch's process-wide pools, a GPU device moves the module to `cuda:n`. Inputs are
wrapped without copying (from_numpy, or DLPack for read-only arrays, which from_numpy
would warn about); CPU outputs are handed back as numpy views of the result tensors.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from contextlib import AbstractContextManager
from functools import cache
from typing import Any

import numpy as np
import torch

from ..errors import (
    GPU_NO_CUDA_TORCH,
    MODEL_INPUTS_MISMATCH,
    TORCH_DLPACK_UNSUPPORTED,
    TORCH_INTER_OP_STARTED,
    TORCH_INTRA_OP_STARTED,
    TORCH_NON_TENSOR_OUTPUT,
    TORCH_OUTPUTS_COUNT,
    TORCH_OUTPUTS_NUMBER,
    TORCH_STRING_INPUT,
    TORCH_UINT16_INPUT,
    UNSUPPORTED_DEVICE,
)
from .base import Array, BackendError, ModelOptions, as_bytes
from .device import parse_device

# RedisAI's DLPack conversion: uint16 and STRING inputs have no ATen type there.
_REJECTED_INPUTS = {np.dtype("uint16"): TORCH_UINT16_INPUT, np.dtype("O"): TORCH_STRING_INPUT}
_OUTPUT_DTYPES = {
    torch.uint8,
    torch.int8,
    torch.int16,
    torch.int32,
    torch.int64,
    torch.float16,
    torch.float32,
    torch.float64,
    torch.bool,
}
_C10_NAMES = {
    torch.bfloat16: "BFloat16",
    torch.complex32: "ComplexHalf",
    torch.complex64: "ComplexFloat",
    torch.complex128: "ComplexDouble",
    torch.qint8: "QInt8",
    torch.quint8: "QUInt8",
    torch.qint32: "QInt32",
}
# The C++ guard skips torch.inference_mode's Python wrapper (about 4 µs per call).
_InferenceMode: Any = getattr(torch._C, "_InferenceMode", None)


def _inference_guard() -> AbstractContextManager[Any]:
    if _InferenceMode is not None:
        guard: AbstractContextManager[Any] = _InferenceMode(True)
        return guard
    return torch.inference_mode()


class TorchBackend:
    name = "TORCH"

    def load(self, blob: bytes, device: str, options: ModelOptions) -> TorchModel:
        return TorchModel(blob, device, options)

    def version(self) -> str:
        return str(torch.__version__)


class TorchModel:
    """One TorchScript module. Running it is thread-safe; PyTorch releases the GIL."""

    def __init__(self, blob: bytes, device: str, options: ModelOptions) -> None:
        dev = parse_device(device)
        if dev is None:
            raise BackendError(UNSUPPORTED_DEVICE)
        set_threads(options.intra_op_threads, options.inter_op_threads)
        try:
            module = torch.jit.load(io.BytesIO(as_bytes(blob)), map_location="cpu")
        except Exception as exc:
            raise BackendError(str(exc)) from None
        if dev.gpu:
            if not cuda_available():
                raise BackendError(GPU_NO_CUDA_TORCH)
            self._device: torch.device | None = (
                torch.device("cuda") if dev.index < 0 else torch.device("cuda", dev.index)
            )
            try:
                module = module.to(self._device)
            except Exception as exc:
                raise BackendError(str(exc)) from None
        else:
            self._device = None
        try:
            schema = module.forward.schema
        except Exception as exc:  # no forward method
            raise BackendError(str(exc)) from None
        self.input_names = [a.name for a in schema.arguments[1:]]  # [0] is self
        self._n_inputs = len(self.input_names)
        self._n_outputs = _count_outputs(schema.returns)
        self.output_names = [""] * self._n_outputs
        self._forward = module.forward
        self._module = module

    def run(self, inputs: Sequence[Array]) -> list[Array | None]:
        if len(inputs) != self._n_inputs:
            raise BackendError(MODEL_INPUTS_MISMATCH)
        try:
            args = [_to_torch(a) for a in inputs]
            if self._device is not None:
                args = [t.to(self._device) for t in args]
            with _inference_guard():
                result = self._forward(*args)
        except BackendError:
            raise
        except Exception as exc:
            raise BackendError(str(exc)) from None
        return self._outputs(result)

    def _outputs(self, result: Any) -> list[Array | None]:
        """RedisAI's torchHandlOutputs: Tensor, or a tuple/list of Tensors, exactly as
        many as the schema says (none are looked at when the schema has none)."""
        if self._n_outputs == 0:
            return []
        if isinstance(result, torch.Tensor):
            tensors = [result]
        elif isinstance(result, tuple | list):
            tensors = list(result)
            if not all(isinstance(t, torch.Tensor) for t in tensors):
                raise BackendError(TORCH_NON_TENSOR_OUTPUT.format(fn="forward"))
        else:
            raise BackendError(TORCH_NON_TENSOR_OUTPUT.format(fn="forward"))
        if len(tensors) != self._n_outputs:
            raise BackendError(TORCH_OUTPUTS_COUNT.format(fn="forward"))
        return [_to_numpy(t) for t in tensors]


def _to_torch(arr: Array) -> torch.Tensor:
    rejected = _REJECTED_INPUTS.get(arr.dtype)
    if rejected is not None:
        raise BackendError(rejected)
    if arr.flags.writeable:
        return torch.from_numpy(arr)
    return torch.from_dlpack(arr)  # zero-copy without from_numpy's read-only warning


def _to_numpy(t: torch.Tensor) -> Array:
    dtype = t.dtype
    if dtype not in _OUTPUT_DTYPES:
        name = _C10_NAMES.get(dtype, str(dtype).removeprefix("torch.").capitalize())
        raise BackendError(TORCH_DLPACK_UNSUPPORTED.format(name=name))
    if t.device.type != "cpu":
        t = t.cpu()
    if t.requires_grad:
        t = t.detach()
    out: Array = t.contiguous().numpy()
    return out


def _count_outputs(returns: Sequence[Any]) -> int:
    """RedisAI's getArgumentTensorCount over forward's return types."""
    count = 0
    for ret in returns:
        kind = ret.type.kind()
        if kind == "TensorType":
            count += 1
        elif kind == "TupleType":
            count += sum(1 for t in ret.type.containedTypes() if t.kind() == "TensorType")
        elif kind == "ListType":
            if ret.N is None:  # libtorch's arg.N().value() throws std::bad_optional_access
                raise BackendError(TORCH_OUTPUTS_NUMBER.format(what="bad optional access"))
            count += int(ret.N)
    return count


def set_threads(intra: int, inter: int) -> None:
    """PyTorch's pools are process-wide; RedisAI sets them at every model store."""
    if inter > 0 and torch.get_num_interop_threads() != inter:
        try:
            torch.set_num_interop_threads(inter)
        except RuntimeError:
            raise BackendError(TORCH_INTER_OP_STARTED) from None
    if intra > 0 and torch.get_num_threads() != intra:
        try:
            torch.set_num_threads(intra)
        except RuntimeError:
            raise BackendError(TORCH_INTRA_OP_STARTED) from None


@cache
def cuda_available() -> bool:
    """torch.cuda.is_available(), asked once per process."""
    return bool(torch.cuda.is_available())
