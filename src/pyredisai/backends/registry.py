"""Backend names -> import strings, resolved on first use.

Importing this module imports no framework: `get_backend("ONNX")` imports
`pyredisai.backends.onnx` (which imports onnxruntime) the first time a model needs it,
as RedisAI loads `redisai_onnxruntime.so` on demand. A framework that is not installed
gives an error naming the pip extra that provides it.
"""

from __future__ import annotations

import importlib
import threading
from typing import NamedTuple

from ..errors import BACKEND_NOT_INSTALLED
from .base import Backend, BackendError


class BackendSpec(NamedTuple):
    target: str  # "package.module:Class"
    extra: str  # pip extra that installs the framework


BACKENDS: dict[str, BackendSpec] = {
    "TF": BackendSpec("pyredisai.backends.tf:TFBackend", "tf"),
    "TFLITE": BackendSpec("pyredisai.backends.tflite:TFLiteBackend", "tflite"),
    "TORCH": BackendSpec("pyredisai.backends.torch:TorchBackend", "torch"),
    "ONNX": BackendSpec("pyredisai.backends.onnx:ONNXBackend", "onnx"),
}
"""Every backend AI.MODELSTORE accepts, by its upper-case name."""

_loaded: dict[str, Backend] = {}
_lock = threading.Lock()  # two first uses at once import and build once


def get_backend(name: str) -> Backend:
    """The backend for an upper-case name in BACKENDS, imported on first use.

    Raises KeyError for a name not in BACKENDS (the command layer answers 'unsupported
    backend' before asking) and BackendError when the framework cannot be imported.
    """
    backend = _loaded.get(name)
    if backend is not None:
        return backend
    spec = BACKENDS[name]
    with _lock:
        backend = _loaded.get(name)
        if backend is None:
            backend = _import(name, spec)
            _loaded[name] = backend
    return backend


def loaded_backends() -> dict[str, Backend]:
    """Backends imported so far (INFO lists the versions of these only, like RedisAI)."""
    return dict(_loaded)


def _import(name: str, spec: BackendSpec) -> Backend:
    module_name, _, attr = spec.target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:  # the framework (or one of its libraries) is missing
        raise BackendError(BACKEND_NOT_INSTALLED.format(backend=name, extra=spec.extra)) from exc
    backend: Backend = getattr(module, attr)()
    return backend
