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
- When the process may use only one CPU (`single_core`, from its affinity: a server
  pinned to a core), a worker cannot run beside the loop: a handoff then only adds
  thread switches on that core. So every model within the loop budget runs inline (not
  only those within `inline_budget_us`; 0 still means never), and work past an
  iteration's cap waits for the next iteration's drain, in arrival order, instead of
  going to a worker. Other clients are still served between drains; models longer than
  the loop budget still run on workers.

Only the loop thread calls `start`/`submit`, reads or writes targets' measured fields,
updates statistics and finishes requests (workers use `loop.call_soon_threadsafe`, once
per batch). A request is finished by calling its `finish` directly: no future, and no
loop hop, unless the caller asked for a future (`submit`).
"""

from __future__ import annotations

import asyncio
import os
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
        single_core: bool | None = None,
    ) -> None:
        self.loop = loop
        self.threads_per_queue = max(1, threads_per_queue)
        self.inline_budget_us = inline_budget_us  # 0 disables inline runs
        self.loop_budget_s = loop_budget_us / 1e6
        self.warmup_runs = max(1, warmup_runs)
        self.ema_alpha = ema_alpha
        self.spike_factor = 4.0  # a sample counts at most this many times the average
        self.single_core = _single_cpu() if single_core is None else single_core
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
        self.start(req)
        return fut

    def start(self, req: RunRequest) -> None:
        """Queue a run that reports through `req.finish` (loop thread), no future.

        `finish` may be called before this returns: a short model that does not batch
        runs inline at once, and a closed engine fails the request at once."""
        if self.closed:
            req.finish(None, CommandError(ENGINE_SHUT_DOWN))
            return
        now = time.monotonic()
        req.enqueued = now
        if req.timeout_ms > 0:
            req.deadline = now + req.timeout_ms / 1000.0
        t = req.target
        if t.inline:
            within = self._spent < self.loop_budget_s
            if within and t.batchsize <= 0 and not t.pending:
                self._run_inline([req])
                return
            if within or self.single_core:
                t.pending.append(req)  # this iteration's drain (or a later one)
                self._schedule(t)
                return
        t.queue.put(req)

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
            ran = False
            while pending:
                if not t.inline:
                    t.queue.put_many(pending)
                    break
                if self._spent + t.ema_us / 1e6 > self.loop_budget_s:
                    if not self.single_core:
                        t.queue.put_many(pending)  # over this iteration's budget: workers
                        break
                    if ran:  # one core: the rest waits for the next iteration, in order
                        self._defer(t, pending)
                        break
                batch, timed_out, _ = select_batch(pending, time.monotonic())
                if timed_out:
                    self._fail(timed_out, None)
                if batch is not None:
                    self._run_inline(batch)
                    ran = True

    def _defer(self, t: RunTarget, pending: list[RunRequest]) -> None:
        """Put `pending` back in front of what arrived meanwhile, for the next drain."""
        t.pending = pending + t.pending if t.pending else pending
        self._schedule(t)

    def _schedule(self, t: RunTarget) -> None:
        """Make sure the next drain runs `t`'s pending requests."""
        if not t.scheduled:
            t.scheduled = True
            self._drain_targets.append(t)
        if not self._drain_scheduled:
            self._drain_scheduled = True
            self.loop.call_soon(self._drain)

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
            self.loop.call_soon_threadsafe(self._fail, reqs, None)
        except RuntimeError:
            pass

    def _complete(
        self,
        batch: list[RunRequest],
        results: list[Any] | None,
        error: CommandError | None,
        seconds: float,
    ) -> None:
        """Count the runs (AI.INFO rules, section 8), learn the cost, finish each caller."""
        t = batch[0].target
        stats = t.stats
        if error is None and results is not None:
            self._observe(t, seconds)
            if stats is not None:  # counted before any caller's next command can read them
                if len(batch) == 1:
                    counted = results if batch[0].count else []
                else:
                    counted = [out for req, out in zip(batch, results, strict=True) if req.count]
                if counted:
                    stats.calls += len(counted)
                    stats.duration_us += int(seconds * 1e6) * len(counted)
                    if stats.kind == "MODEL":
                        stats.samples += sum(map(output_rows, counted))
            for req, out in zip(batch, results, strict=True):
                try:
                    req.finish(out, None)
                except Exception as exc:  # one caller's failure must not lose the others
                    self._report(exc)
        else:
            failure = error or CommandError(ENGINE_SHUT_DOWN)
            for req in batch:
                if stats is not None and req.count:
                    stats.calls += 1
                    stats.errors += 1
                try:
                    req.finish(None, failure)
                except Exception as exc:
                    self._report(exc)

    def _fail(self, reqs: list[RunRequest], error: CommandError | None) -> None:
        """Finish each request with `error`, or TimedOut when None (loop thread)."""
        for req in reqs:
            try:
                req.finish(None, error if error is not None else TimedOut())
            except Exception as exc:
                self._report(exc)

    def _report(self, exc: Exception) -> None:
        self.loop.call_exception_handler({"message": "a run's completion raised", "exception": exc})

    def _observe(self, t: RunTarget, seconds: float) -> None:
        """Update the target's average run time and its inline decision.

        The first run is usually cold (allocations, caches), so the second measurement
        replaces it; later ones blend in with weight `ema_alpha`, each capped at
        `spike_factor` times the average: on a busy machine a run preempted for a time
        slice measures milliseconds, and one such sample must not move a tiny model off
        the loop (on a one-core server its worker runs then measure the loop's work too,
        and it would stay there). A model that really slows down still crosses the
        budget within a few runs (the average can grow ~1.75x per run)."""
        t.measured += 1
        us = seconds * 1e6
        if t.measured <= 2:
            t.ema_us = us
        else:
            ema = t.ema_us
            cap = self.spike_factor * ema + 20.0
            t.ema_us = ema + self.ema_alpha * ((us if us < cap else cap) - ema)
        budget = self.inline_budget_us
        if self.single_core and budget > 0:
            # Up to the loop budget, and twice that to leave: on one core an inline run
            # and a worker run of the same model must not alternate (they would share
            # the core, and a worker run measured while the loop works looks slower).
            budget = max(budget, self.loop_budget_s * (2e6 if t.inline else 1e6))
        t.inline = (
            t.measured >= self.warmup_runs
            and t.ema_us <= budget
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
        self._fail(pending, error)
        if not wait:
            return True
        end = time.monotonic() + timeout
        ok = True
        for q in self.queues.values():
            ok = q.join(max(0.0, end - time.monotonic())) and ok
        return ok


def _single_cpu() -> bool:
    """Whether this process may run on one CPU only (e.g. pinned with taskset)."""
    try:
        return len(os.sched_getaffinity(0)) <= 1
    except (AttributeError, OSError):  # no affinity API (macOS): count the machine's CPUs
        return (os.cpu_count() or 1) <= 1
