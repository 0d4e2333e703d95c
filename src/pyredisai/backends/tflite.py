"""TFLITE backend: a TensorFlow Lite flatbuffer run by the LiteRT interpreter.

Uses `ai_edge_litert` (LiteRT), else `tflite_runtime`, else TensorFlow's `tf.lite`.
Mirrors RedisAI's `src/backends/tflite.c` and `libtflite_c/tflite_c.cpp`: input and
output names come from the flatbuffer, inputs are resized (and tensors reallocated) when
their shape changes, input types must match exactly, errors use RedisAI's texts. A GPU
device silently runs on the CPU (RedisAI's TFLITE is built without GPU support).
INTRA_OP_PARALLELISM, which RedisAI ignores here, sets the interpreter's thread count.

Quirk kept from RedisAI (reference 4.9): a BOOL model input always fails with the
Float16 message (a missing `break` in RedisAI's type switch).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import (
    TFLITE_ALLOCATE_FAILED,
    TFLITE_INPUT_FLOAT16,
    TFLITE_INPUT_TYPE,
    TFLITE_INPUT_UNSUPPORTED,
    TFLITE_INPUTS_COUNT,
    TFLITE_INVOKE_FAILED,
    TFLITE_LOAD_FAILED,
    TFLITE_OUTPUT_FLOAT16,
    TFLITE_OUTPUT_UNSUPPORTED,
    TFLITE_RESIZE_FAILED,
    UNSUPPORTED_DEVICE_TFLITE,
)
from .base import Array, BackendError, ModelOptions, as_bytes
from .device import parse_device


def _find_interpreter() -> tuple[Any, str]:
    """(Interpreter class, runtime version): LiteRT first, then the older runtimes.
    ImportError if none (the registry then names the extra to install)."""
    try:
        from ai_edge_litert.interpreter import Interpreter as LiteRT

        try:
            from importlib.metadata import version

            return LiteRT, version("ai-edge-litert")
        except Exception:
            return LiteRT, ""
    except ImportError:
        pass
    try:
        import tflite_runtime
        from tflite_runtime.interpreter import Interpreter as TFLiteRuntime

        return TFLiteRuntime, str(getattr(tflite_runtime, "__version__", ""))
    except ImportError:
        pass
    import tensorflow as tf

    return tf.lite.Interpreter, str(tf.__version__)


Interpreter, _VERSION = _find_interpreter()


# Types RedisAI copies in and out (tflite_c.cpp); float16 and the rest are refused.
_IO_TYPES = frozenset(
    np.dtype(t) for t in ("uint8", "int64", "int32", "int16", "int8", "float32", "bool")
)
_FLOAT16 = np.dtype("float16")
_BOOL = np.dtype("bool")


class TFLiteBackend:
    name = "TFLITE"

    def load(self, blob: bytes, device: str, options: ModelOptions) -> TFLiteModel:
        return TFLiteModel(blob, device, options)

    def version(self) -> str:
        return _VERSION


class TFLiteModel:
    """One interpreter. Interpreters are not thread-safe, so runs of one model take turns
    (its `invoke` releases the GIL, so other models and clients keep going)."""

    def __init__(self, blob: bytes, device: str, options: ModelOptions) -> None:
        if parse_device(device) is None:
            raise BackendError(UNSUPPORTED_DEVICE_TFLITE)
        threads = options.intra_op_threads if options.intra_op_threads > 0 else None
        try:
            interp = Interpreter(model_content=as_bytes(blob), num_threads=threads)
        except Exception:
            raise BackendError(TFLITE_LOAD_FAILED) from None
        try:
            interp.allocate_tensors()
        except Exception:
            raise BackendError(TFLITE_ALLOCATE_FAILED) from None
        ins = interp.get_input_details()
        outs = interp.get_output_details()
        self.input_names: list[str] = [d["name"] for d in ins]
        self.output_names: list[str] = [d["name"] for d in outs]
        self._interp = interp
        self._in_index = [int(d["index"]) for d in ins]
        self._in_dtype = [np.dtype(d["dtype"]) for d in ins]
        self._in_shape = [tuple(int(x) for x in d["shape"]) for d in ins]
        self._out_index = [int(d["index"]) for d in outs]
        self._lock = threading.Lock()

    def run(self, inputs: Sequence[Array]) -> list[Array | None]:
        if len(inputs) != len(self._in_index):
            raise BackendError(TFLITE_INPUTS_COUNT)
        with self._lock:
            interp = self._interp
            resized = False
            for i, arr in enumerate(inputs):
                if arr.shape != self._in_shape[i]:
                    try:
                        interp.resize_tensor_input(self._in_index[i], list(arr.shape))
                    except Exception:
                        raise BackendError(TFLITE_RESIZE_FAILED) from None
                    self._in_shape[i] = arr.shape
                    resized = True
            if resized:
                try:
                    interp.allocate_tensors()
                except Exception:
                    raise BackendError(TFLITE_ALLOCATE_FAILED) from None
            for i, arr in enumerate(inputs):
                _check_input(self._in_dtype[i], arr.dtype)
                interp.set_tensor(self._in_index[i], arr)
            try:
                interp.invoke()
            except Exception:
                raise BackendError(TFLITE_INVOKE_FAILED) from None
            outputs: list[Array | None] = []
            for index in self._out_index:
                out = interp.get_tensor(index)  # a copy: the interpreter reuses its buffers
                if out.dtype not in _IO_TYPES:
                    raise BackendError(
                        TFLITE_OUTPUT_FLOAT16
                        if out.dtype == _FLOAT16
                        else TFLITE_OUTPUT_UNSUPPORTED
                    )
                outputs.append(out)
        return outputs


def _check_input(expected: np.dtype[Any], given: np.dtype[Any]) -> None:
    """RedisAI's copyToTfLiteTensor switch, fall-through from BOOL to Float16 included."""
    if expected in _IO_TYPES:
        if given != expected:
            raise BackendError(TFLITE_INPUT_TYPE)
        if expected == _BOOL:
            raise BackendError(TFLITE_INPUT_FLOAT16)
        return
    raise BackendError(TFLITE_INPUT_FLOAT16 if expected == _FLOAT16 else TFLITE_INPUT_UNSUPPORTED)
