"""The Backend interface: a blob goes in, a runnable comes out; numpy in, numpy out.

Backends are libraries: they import nothing from the server. Each framework module is
imported lazily on first use through `registry.get_backend`, so starting the server
imports no framework. Errors carry RedisAI's exact wire text (see shared/reference).

Call order: `backend.load(blob, device, options)` once (any thread; may take long), then
`model.run(inputs)` any number of times from any thread, concurrently. Tensors cross the
interface as numpy arrays: numeric/BOOL arrays of the RedisAI dtypes, STRING tensors as
object arrays of `bytes` (elements without their NUL). Inputs are never written to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

Array = np.ndarray[Any, Any]


class BackendError(Exception):
    """A load or run failure; `message` is the exact error reply text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        # RedisAI chomps backend messages (RAI_Chomp): CR/LF become spaces, TABs stay.
        self.message = message.replace("\r", " ").replace("\n", " ")


@dataclass(slots=True)
class ModelOptions:
    """What AI.MODELSTORE passes to a backend besides the blob and device."""

    inputs: list[str] = field(default_factory=list)  # TF needs names; others ignore them
    outputs: list[str] = field(default_factory=list)
    intra_op_threads: int = 0  # INTRA_OP_PARALLELISM (0: backend default)
    inter_op_threads: int = 0  # INTER_OP_PARALLELISM (0: backend default)
    memory_limit_mb: int = 0  # ONNX BACKEND_MEMORY_LIMIT, MB of 10**6 bytes (0: none)
    execution_timeout_ms: int = 0  # ONNX MODEL_EXECUTION_TIMEOUT (0: none)


class LoadedModel(Protocol):
    """A runnable model. `run` may be called from several threads at once and releases
    the GIL while the framework computes.

    `len(input_names)` / `len(output_names)` are the counts AI.MODELEXECUTE checks
    (RedisAI's "Number of keys given as INPUTS here does not match model definition"):
    TF the INPUTS/OUTPUTS names given, TFLITE and ONNX the graph's tensors, TORCH the
    parameters of `forward` and one "" per Tensor it returns.
    """

    input_names: list[str]
    output_names: list[str]

    def run(self, inputs: Sequence[Array]) -> list[Array | None]:
        """Inputs in model order -> outputs in model order. None marks an output that
        is not a tensor (ONNX sequence/map): RedisAI leaves that output key unchanged.
        Raises BackendError with RedisAI's text."""
        ...


class Backend(Protocol):
    name: str  # "TF", "TFLITE", "TORCH", "ONNX"

    def load(self, blob: bytes, device: str, options: ModelOptions) -> LoadedModel:
        """Build a runnable from the model bytes; raises BackendError with RedisAI's text."""
        ...

    def version(self) -> str:
        """The framework version (INFO's backends section)."""
        ...


def as_bytes(blob: bytes | bytearray | memoryview) -> bytes:
    """Frameworks want `bytes`; copy only when the caller's blob is something else."""
    return blob if type(blob) is bytes else bytes(blob)
