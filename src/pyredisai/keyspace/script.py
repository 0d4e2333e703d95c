"""AI_SCRIPT values: a compiled TorchScript source plus what AI.SCRIPTGET shows.

A `Script` never changes once stored: AI.SCRIPTSTORE over the same key builds a new one
and swaps it in, so runs in flight keep the compiled script and engine target they
captured. Only the keyspace should hold a `Script`: its AI.INFO entry is released when
the value itself is freed (see `commands.ai_common.track_stats`), exactly when RedisAI
frees a script value (DEL, UNLINK, expiry, FLUSH*, an overwrite), while RENAME, MOVE and
SWAPDB, which keep the value, keep the entry.

The compiled script, the engine target and the statistics entry are typed `Any` here:
the keyspace layer imports neither the engine nor a framework.
"""

from __future__ import annotations

from typing import Any

from .database import TYPE_NAMES


class Script:
    """One stored script. `device`, `tag` and `source` are the bytes the client gave
    (shown as given); `entry_points` are the declared entry point names, in order
    (empty for scripts stored with the deprecated AI.SCRIPTSET)."""

    __slots__ = (
        "device",
        "tag",
        "source",
        "entry_points",
        "compiled",
        "target",
        "stats",
        "__weakref__",
    )

    copyable = False
    """COPY answers RedisAI's 'ERR not supported for this module key' for scripts."""

    def __init__(
        self,
        device: bytes,
        tag: bytes,
        source: bytes,
        entry_points: list[bytes],
        compiled: Any,
        target: Any = None,
        stats: Any = None,
    ) -> None:
        self.device = device
        self.tag = tag
        self.source = source
        self.entry_points = entry_points
        self.compiled = compiled  # backends.torch_script.CompiledScript
        self.target = target  # engine RunTarget: the device queue its runs go to
        self.stats = stats  # engine RunStats: this value's AI.INFO entry

    @property
    def nbytes(self) -> int:
        return len(self.source)

    def __repr__(self) -> str:
        return f"Script({self.device!r}, entry_points={len(self.entry_points)})"


class PendingScript:
    """A script read from a snapshot, not compiled yet: decoding has no server (no
    engine, no statistics table), so the command layer builds it after the load (or on
    first access). `fields` are Script's constructor arguments up to `entry_points`."""

    __slots__ = ("fields",)

    copyable = False

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields


TYPE_NAMES[Script] = "AI_SCRIPT"
TYPE_NAMES[PendingScript] = "AI_SCRIPT"
