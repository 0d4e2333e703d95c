"""The Backend interface: a blob goes in, a runnable comes out; numpy in, numpy out.

Backends are libraries: they import nothing from the server. Each framework module is
imported lazily on first use through `get_backend`, so starting the server imports no
framework. Errors carry RedisAI's exact wire text (see shared/reference).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


class BackendError(Exception):
    """A load or run failure; `message` is the exact error reply text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message.replace("\r", " ").replace("\n", " ")


@dataclass
class ModelOptions:
    """What AI.MODELSTORE passes to a backend besides the blob and device."""

    inputs: list[str] = field(default_factory=list)  # TF needs names; others may be empty
    outputs: list[str] = field(default_factory=list)
    intra_op_threads: int = 0  # 0: backend default
    inter_op_threads: int = 0
    memory_limit_mb: int = 0  # ONNX BACKEND_MEMORY_LIMIT (0: none)
    execution_timeout_ms: int = 0  # ONNX MODEL_EXECUTION_TIMEOUT (0: none)


class LoadedModel(Protocol):
    """A runnable model. `run` may be called from worker threads (releases the GIL)."""

    input_names: list[str]
    output_names: list[str]

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]: ...


class Backend(Protocol):
    name: str  # "TF", "TFLITE", "TORCH", "ONNX"

    def load(self, blob: bytes, device: str, options: ModelOptions) -> LoadedModel: ...
