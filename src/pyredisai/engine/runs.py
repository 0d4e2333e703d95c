"""What the command layer hands the engine: run targets (one per stored model or script)
and run requests (one per AI.MODELEXECUTE-like call).

Ownership: a `RunTarget` is built once, when a model or script is stored, and is shared
read-only with worker threads except for the measured fields, which only the loop thread
touches. A `RunRequest` belongs to the engine from `Engine.submit` until its future
resolves; its input arrays are references (never copied) and must not be mutated.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .batching import batch_rows, batch_signature

if TYPE_CHECKING:
    from .queues import DeviceQueue
    from .stats import RunStats

RunFn = Callable[[list[np.ndarray]], Any]
"""A runnable: a list of input arrays in, a list of outputs (arrays) out.

LoadedModel.run from pyredisai.backends.base fits; so does a script entry point or a DAG
step wrapped in a closure. It may run on a worker thread or on the loop thread."""


class TimedOut(Exception):
    """A queued run whose TIMEOUT passed before a worker took it: reply `+TIMEDOUT`.

    Not an error reply (RedisAI sends a simple string), hence not a CommandError."""

    def __init__(self) -> None:
        super().__init__("TIMEDOUT")


class RunTarget:
    """One stored model or script value: how to run it, where, and how to batch it.

    Its identity is the batching key: only requests of the same target are merged, so a
    model stored again under the same key (a new target) never batches with the old one,
    as in RedisAI. `ema_us`, `measured`, `inline` and `pending` belong to the loop thread.
    """

    __slots__ = (
        "fn",
        "device",
        "queue",
        "batchsize",
        "minbatchsize",
        "minbatch_timeout_s",
        "backend",
        "stats",
        "ema_us",
        "measured",
        "inline",
        "pending",
        "scheduled",
        "__weakref__",
    )

    def __init__(
        self,
        fn: RunFn,
        device: str,
        queue: DeviceQueue,
        *,
        batchsize: int = 0,
        minbatchsize: int = 0,
        minbatchtimeout_ms: int = 0,
        backend: str = "",
        stats: RunStats | None = None,
    ) -> None:
        self.fn = fn
        self.device = device  # as given (AI.INFO shows it); the queue is upper-cased
        self.queue = queue
        self.batchsize = batchsize
        self.minbatchsize = minbatchsize if batchsize > 0 else 0
        self.minbatch_timeout_s = minbatchtimeout_ms / 1000.0 if self.minbatchsize > 0 else 0.0
        self.backend = backend.upper()  # "TF" changes the batch-size error text
        self.stats = stats
        self.ema_us = 0.0  # measured run time (exponential moving average)
        self.measured = 0  # runs measured so far
        self.inline = False  # run on the loop thread (decided by the engine)
        self.pending: list[RunRequest] = []  # inline runs waiting for this iteration's drain
        self.scheduled = False  # in the engine's drain list

    def __repr__(self) -> str:
        return (
            f"<RunTarget {self.device} batch={self.batchsize}/{self.minbatchsize} "
            f"ema={self.ema_us:.0f}us inline={self.inline}>"
        )


class RunRequest:
    """One call: a target, its inputs, an optional TIMEOUT and an optional per-call runnable.

    `fn` overrides the target's runnable for this call (a script's entry point with its
    arguments bound, a DAG step); `count=False` keeps the call out of AI.INFO (runs made
    from inside a script). `rows` and `sig` are the batching facts (dimension 0 and the
    other dimensions), computed once here and only for targets that batch.

    The engine ends every request with one `finish` call on the loop thread. The base
    class resolves `future` (set by `Engine.submit`); a caller on a hot path subclasses
    it and overrides `finish` to answer its client directly (`Engine.start`), which
    saves the future and the loop hop each of its callbacks costs.
    """

    __slots__ = (
        "target",
        "inputs",
        "fn",
        "timeout_ms",
        "count",
        "rows",
        "sig",
        "enqueued",
        "deadline",
        "future",
    )

    def __init__(
        self,
        target: RunTarget,
        inputs: list[np.ndarray],
        timeout_ms: int = 0,
        fn: RunFn | None = None,
        count: bool = True,
    ) -> None:
        self.target = target
        self.inputs = inputs
        self.fn = fn
        self.timeout_ms = timeout_ms
        self.count = count
        if target.batchsize > 0:
            self.rows = batch_rows(inputs)
            self.sig: tuple[Any, ...] = batch_signature(inputs)
        else:
            self.rows = 0
            self.sig = ()
        self.enqueued = 0.0  # time.monotonic() at submit
        self.deadline = 0.0  # monotonic TIMEOUT deadline, 0.0 = none
        self.future: asyncio.Future[Any] | None = None

    def finish(self, outputs: Any, error: BaseException | None) -> None:
        """The run ended (loop thread, exactly once): `outputs` when `error` is None, else
        a CommandError with the reply text or TimedOut. May run inside `Engine.start`
        (an inline run) or from the loop later; it must not raise."""
        fut = self.future
        if fut is None or fut.done():  # e.g. cancelled by a caller that went away
            return
        if error is None:
            fut.set_result(outputs)
        else:
            fut.set_exception(error)
