"""The engine: where each model run executes, and how its result gets back to the loop.

A thread handoff costs 18-90 us on small machines, more than a tiny model's whole run
(shared/PERFORMANCE.md B2/B3), so the engine decides per target from measured run time:

- A target's first `warmup_runs` runs go to its device queue's workers, where they are
  measured; a slow model therefore never blocks the loop, not even once.
- Afterwards a target whose moving-average run time is within `inline_budget_us` runs
  inline on the loop thread: at once inside `submit` when it does not batch, else in one
  `loop.call_soon` drain per loop iteration that merges everything queued for it in that
  iteration into batches (opportunistic batching with no wait).
- Inline work is capped per loop iteration (`loop_budget_us`); past the cap, and for
  targets that wait for MINBATCHSIZE, runs go to the workers. Every run, inline or not,
  updates the average, so a model that slows down moves back to the workers.

Only the loop thread calls `submit`, reads or writes targets' measured fields, updates
statistics, and resolves futures (workers use `loop.call_soon_threadsafe`, once per batch).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np

from ..errors import ENGINE_SHUT_DOWN, CommandError
from .batching import output_rows, run_batch, select_batch
from .queues import DeviceQueue
from .runs import RunFn, RunRequest, RunTarget, TimedOut
from .stats import RunStats, StatsTable


class Engine:
    """Device queues, the inline/worker policy, run completion and run statistics."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        threads_per_queue: int = 1,
        inline_budget_us: float = 200,
        loop_budget_us: float = 2000,
        warmup_runs: int = 3,
        ema_alpha: float = 0.25,
    ) -> None:
        self.loop = loop
        self.threads_per_queue = max(1, threads_per_queue)
        self.inline_budget_us = inline_budget_us  # 0 disables inline runs
        self.loop_budget_s = loop_budget_us / 1e6
        self.warmup_runs = max(1, warmup_runs)
        self.ema_alpha = ema_alpha
        self.stats = StatsTable()
        self.queues: dict[str, DeviceQueue] = {}
        self.closed = False
        self.inline_batches = 0  # batches run on the loop thread (INFO, tests)
        self._drain_targets: list[RunTarget] = []
        self._drain_scheduled = False
        self._spent = 0.0  # seconds of inline work in this loop iteration
        self._spent_reset_scheduled = False

    # -- setup -----------------------------------------------------------------------------
    def queue(self, device: str) -> DeviceQueue:
        """The run queue of `device` (upper-cased: `cpu` and `CPU` share one), created on
        first use with its worker threads, as RedisAI does when a model is stored."""
        name = device.upper()
        q = self.queues.get(name)
        if q is None:
            q = DeviceQueue(name, self.threads_per_queue, self._deliver, self._expire)
            self.queues[name] = q
        return q

    def target(
        self,
        fn: RunFn,
        device: str,
        *,
        batchsize: int = 0,
        minbatchsize: int = 0,
        minbatchtimeout_ms: int = 0,
        backend: str = "",
        stats: RunStats | None = None,
    ) -> RunTarget:
        """A run target for one stored model or script (build it at store time)."""
        return RunTarget(
            fn,
            device,
            self.queue(device),
            batchsize=batchsize,
            minbatchsize=minbatchsize,
            minbatchtimeout_ms=minbatchtimeout_ms,
            backend=backend,
            stats=stats,
        )

    # -- running ---------------------------------------------------------------------------
    def submit(self, req: RunRequest) -> asyncio.Future[Any]:
        """Queue a run; the future resolves on the loop thread.

        Result: the runnable's outputs (for a batched run, this caller's rows of each
        output, None for outputs it cannot have). Failure: CommandError with the exact
        reply text; TimedOut when TIMEOUT passed before the run started. The future may
        already be resolved on return (a short model that runs inline at once).
        """
        fut = self.loop.create_future()
        req.future = fut
        if self.closed:
            fut.set_exception(CommandError(ENGINE_SHUT_DOWN))
            return fut
        now = time.monotonic()
        req.enqueued = now
        if req.timeout_ms > 0:
            req.deadline = now + req.timeout_ms / 1000.0
        t = req.target
        if t.inline and self._spent < self.loop_budget_s:
            if t.batchsize <= 0:
                self._run_inline([req])
                return fut
            t.pending.append(req)
            if not t.scheduled:
                t.scheduled = True
                self._drain_targets.append(t)
            if not self._drain_scheduled:
                self._drain_scheduled = True
                self.loop.call_soon(self._drain)
            return fut
        t.queue.put(req)
        return fut

    def run(
        self,
        target: RunTarget,
        inputs: list[np.ndarray],
        timeout_ms: int = 0,
        fn: RunFn | None = None,
        count: bool = True,
    ) -> asyncio.Future[Any]:
        """Shorthand for submit(RunRequest(...))."""
        return self.submit(RunRequest(target, inputs, timeout_ms, fn, count))

    def _drain(self) -> None:
        """Run this iteration's inline requests, merged per target into batches."""
        self._drain_scheduled = False
        targets, self._drain_targets = self._drain_targets, []
        for t in targets:
            t.scheduled = False
            pending = t.pending
            t.pending = []
            while pending:
                if not t.inline or self._spent + t.ema_us / 1e6 > self.loop_budget_s:
                    t.queue.put_many(pending)  # over this iteration's budget: workers
                    break
                batch, timed_out, _ = select_batch(pending, time.monotonic())
                if timed_out:
                    _fail_all(timed_out, None)
                if batch is not None:
                    self._run_inline(batch)

    def _run_inline(self, batch: list[RunRequest]) -> None:
        results, error, seconds = run_batch(batch)
        self.inline_batches += 1
        self._spent += seconds
        if not self._spent_reset_scheduled:
            self._spent_reset_scheduled = True
            self.loop.call_soon(self._reset_spent)
        self._complete(batch, results, error, seconds)

    def _reset_spent(self) -> None:
        self._spent = 0.0
        self._spent_reset_scheduled = False

    # -- completion (loop thread) ------------------------------------------------------------
    def _deliver(
        self,
        batch: list[RunRequest],
        results: list[Any] | None,
        error: CommandError | None,
        seconds: float,
    ) -> None:
        """Worker thread -> loop thread, once per batch."""
        try:
            self.loop.call_soon_threadsafe(self._complete, batch, results, error, seconds)
        except RuntimeError:  # loop closed during shutdown: nobody is waiting any more
            pass

    def _expire(self, reqs: list[RunRequest]) -> None:
        """TIMEOUT passed while queued (any thread): answer TIMEDOUT, count nothing."""
        try:
            self.loop.call_soon_threadsafe(_fail_all, reqs, None)
        except RuntimeError:
            pass

    def _complete(
        self,
        batch: list[RunRequest],
        results: list[Any] | None,
        error: CommandError | None,
        seconds: float,
    ) -> None:
        """Count the runs (AI.INFO rules, section 8), learn the cost, resolve futures."""
        t = batch[0].target
        stats = t.stats
        if error is None and results is not None:
            self._observe(t, seconds)
            micros = int(seconds * 1e6)
            samples = stats is not None and stats.kind == "MODEL"
            for req, out in zip(batch, results, strict=True):
                if stats is not None and req.count:
                    stats.calls += 1
                    stats.duration_us += micros
                    if samples:
                        stats.samples += output_rows(out)
                fut = req.future
                if fut is not None and not fut.done():
                    fut.set_result(out)
        else:
            for req in batch:
                if stats is not None and req.count:
                    stats.calls += 1
                    stats.errors += 1
                fut = req.future
                if fut is not None and not fut.done():
                    fut.set_exception(error or CommandError(ENGINE_SHUT_DOWN))

    def _observe(self, t: RunTarget, seconds: float) -> None:
        """Update the target's average run time and its inline decision.

        The first run is usually cold (allocations, caches), so the second measurement
        replaces it; later ones blend in with weight `ema_alpha`."""
        t.measured += 1
        us = seconds * 1e6
        if t.measured <= 2:
            t.ema_us = us
        else:
            t.ema_us += self.ema_alpha * (us - t.ema_us)
        t.inline = (
            t.measured >= self.warmup_runs
            and t.ema_us <= self.inline_budget_us
            and t.minbatchsize <= 0
            and not self.closed
        )

    # -- shutdown --------------------------------------------------------------------------
    def shutdown(self, wait: bool = True, timeout: float = 5.0) -> bool:
        """Stop every worker after its current batch and fail what is still queued.

        Runs already executing finish (a run is never interrupted) and still deliver if
        the loop is running. Returns False if a worker was still busy after `timeout`."""
        self.closed = True
        error = CommandError(ENGINE_SHUT_DOWN)
        pending: list[RunRequest] = []
        for q in self.queues.values():
            pending.extend(q.stop())
        for t in self._drain_targets:
            pending.extend(t.pending)
            t.pending = []
            t.scheduled = False
        self._drain_targets = []
        _fail_all(pending, error)
        if not wait:
            return True
        end = time.monotonic() + timeout
        ok = True
        for q in self.queues.values():
            ok = q.join(max(0.0, end - time.monotonic())) and ok
        return ok


def _fail_all(reqs: list[RunRequest], error: CommandError | None) -> None:
    """Resolve each still-pending future with `error`, or TimedOut when None."""
    for req in reqs:
        fut = req.future
        if fut is not None and not fut.done():
            fut.set_exception(error if error is not None else TimedOut())
