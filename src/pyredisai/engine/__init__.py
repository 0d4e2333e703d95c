"""The execution engine: device run queues, worker threads, the inline/worker policy,
auto-batching, TIMEOUT and run statistics. It knows no RESP and no keyspace.

The command layer (loop thread) builds one `RunTarget` per stored model or script with
`Engine.target`, submits `RunRequest`s with `Engine.submit` (an asyncio future comes
back) or, on hot paths, `Engine.start` with a RunRequest subclass whose `finish` the
engine calls directly, and reads `Engine.stats` (a `StatsTable` of `RunStats`) for AI.INFO.
"""

from .batching import batch_rows, batch_signature, run_batch, select_batch, split_outputs
from .core import Engine
from .queues import DeviceQueue
from .runs import RunFn, RunRequest, RunTarget, TimedOut
from .stats import RunStats, StatsTable, siphash12

__all__ = [
    "DeviceQueue",
    "Engine",
    "RunFn",
    "RunRequest",
    "RunStats",
    "RunTarget",
    "StatsTable",
    "TimedOut",
    "batch_rows",
    "batch_signature",
    "run_batch",
    "select_batch",
    "siphash12",
    "split_outputs",
]
