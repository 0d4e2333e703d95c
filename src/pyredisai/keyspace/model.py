"""AI__MODEL values: a loaded model plus the metadata AI.MODELGET shows.

A `Model` never changes once stored: AI.MODELSTORE over the same key builds a new one
and swaps it in, so runs in flight keep the objects they captured (the engine target and
the loaded model), never this value. Keep it that way: only the keyspace should hold a
`Model`, because its statistics entry is released when the value itself is freed (see
`commands.ai_model`), exactly when RedisAI frees a model value (DEL, UNLINK, expiry,
FLUSH*, an overwrite), while RENAME/MOVE/SWAPDB, which keep the value, keep the entry.

The engine's target and statistics objects are typed `Any` here: the keyspace layer
does not import the engine.
"""

from __future__ import annotations

from typing import Any

from ..backends.base import LoadedModel
from .database import TYPE_NAMES

BACKEND_NAMES = ("TF", "TFLITE", "TORCH", "ONNX")
"""Every backend a model may name, upper case, as AI.MODELGET prints them."""


class Model:
    """One stored model. `device` and `tag` are the bytes the client gave (shown as
    given); `blob` is the original model bytes (a single BLOB argument is kept as is)."""

    __slots__ = (
        "backend",
        "device",
        "tag",
        "batchsize",
        "minbatchsize",
        "minbatchtimeout",
        "inputs",
        "outputs",
        "blob",
        "loaded",
        "target",
        "stats",
        "__weakref__",
    )

    copyable = False
    """COPY answers RedisAI's 'ERR not supported for this module key' for models."""

    def __init__(
        self,
        backend: str,
        device: bytes,
        tag: bytes,
        batchsize: int,
        minbatchsize: int,
        minbatchtimeout: int,
        blob: bytes | bytearray | memoryview,
        loaded: LoadedModel,
        target: Any = None,
        stats: Any = None,
    ) -> None:
        self.backend = backend
        self.device = device
        self.tag = tag
        self.batchsize = batchsize
        self.minbatchsize = minbatchsize
        self.minbatchtimeout = minbatchtimeout
        self.inputs: list[bytes] = [_name(n) for n in loaded.input_names]
        self.outputs: list[bytes] = [_name(n) for n in loaded.output_names]
        self.blob = blob
        self.loaded = loaded
        self.target = target  # engine RunTarget: how and where runs of this value execute
        self.stats = stats  # engine RunStats: this value's AI.INFO entry

    @property
    def nbytes(self) -> int:
        return len(memoryview(self.blob).cast("B"))

    def __repr__(self) -> str:
        return f"Model({self.backend}, {self.device!r}, inputs={len(self.inputs)}, outputs={len(self.outputs)})"


class PendingModel:
    """A model read from a snapshot, not built yet: decoding has no server (no engine,
    no settings), so the command layer builds it after the load (or on first access).
    `fields` are Model's constructor arguments up to `blob`, plus input/output names."""

    __slots__ = ("fields",)

    copyable = False

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields


def _name(name: str | bytes) -> bytes:
    return name if isinstance(name, bytes) else name.encode("utf-8", "surrogateescape")


TYPE_NAMES[Model] = "AI__MODEL"
TYPE_NAMES[PendingModel] = "AI__MODEL"
