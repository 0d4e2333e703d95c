"""The engine's hot path: requests finished directly (no future), the one-core policy,
and the run-time average's resistance to preemption spikes.

Like test_engine.py, on a real uvloop with real worker threads; timing assertions are
lower bounds or generous, so a loaded 2-core machine does not make them flaky."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from pyredisai.engine import Engine, RunRequest, RunTarget, TimedOut
from pyredisai.errors import ENGINE_SHUT_DOWN, CommandError

from .helpers import Recorder, hold_worker, rows, run

MAIN = "MainThread"


class Call(RunRequest):
    """A caller that, like AI.MODELEXECUTE, takes its result through `finish`."""

    __slots__ = ("log", "done")

    def __init__(self, target: RunTarget, inputs: list[np.ndarray], log: list[Any]) -> None:
        super().__init__(target, inputs)
        self.log = log
        self.done = asyncio.get_running_loop().create_future()

    def finish(self, outputs: Any, error: BaseException | None) -> None:
        self.log.append((self, outputs, error))
        self.done.set_result(None)


async def _warm(engine: Engine, t: RunTarget) -> None:
    for _ in range(engine.warmup_runs):
        await engine.run(t, [rows(1)])


def test_start_finishes_inline_runs_before_returning_without_a_future() -> None:
    async def body(engine: Engine) -> None:
        t = engine.target(Recorder(), "CPU")
        await _warm(engine, t)
        assert t.inline
        log: list[Any] = []
        call = Call(t, [rows(3)], log)
        engine.start(call)
        assert call.future is None and len(log) == 1  # finished inside start
        _, outputs, error = log[0]
        assert error is None and float(outputs[0][0, 0]) == 6.0

    run(body, inline_budget_us=100_000)


def test_start_finishes_worker_runs_on_the_loop_thread() -> None:
    async def body(engine: Engine) -> None:
        rec = Recorder()
        t = engine.target(rec, "CPU")
        log: list[Any] = []
        calls = [Call(t, [rows(i)], log) for i in range(3)]  # warm-up: all on the worker
        for call in calls:
            engine.start(call)
        assert not log
        await asyncio.gather(*(c.done for c in calls))
        assert [entry[0] for entry in log] == calls  # in order, each exactly once
        assert all(name.startswith("pyredisai-run-CPU-") for name in rec.threads)
        assert t.stats is None and all(c.future is None for c in calls)

    run(body, inline_budget_us=0)


def test_a_raising_finish_does_not_lose_the_other_callers() -> None:
    async def body(engine: Engine) -> None:
        gate, held = await hold_worker(engine)
        t = engine.target(Recorder(), "CPU", batchsize=8)
        log: list[Any] = []

        class Bad(Call):
            __slots__ = ()

            def finish(self, outputs: Any, error: BaseException | None) -> None:
                raise RuntimeError("client went away badly")

        errors: list[dict[str, Any]] = []
        engine.loop.set_exception_handler(lambda loop, ctx: errors.append(ctx))
        bad = Bad(t, [rows(1)], log)
        good = [Call(t, [rows(i)], log) for i in (2, 3)]
        for call in (bad, *good):
            engine.start(call)
        gate.open()
        await held
        await asyncio.gather(*(c.done for c in good))
        assert [entry[0] for entry in log] == good
        assert len(errors) == 1 and isinstance(errors[0]["exception"], RuntimeError)

    run(body)


def test_a_closed_engine_finishes_at_once() -> None:
    async def body(engine: Engine) -> None:
        t = engine.target(Recorder(), "CPU")
        engine.shutdown(wait=True, timeout=5)
        log: list[Any] = []
        engine.start(Call(t, [rows(1)], log))
        assert len(log) == 1 and isinstance(log[0][2], CommandError)
        assert str(log[0][2]) == ENGINE_SHUT_DOWN

    run(body)


def test_timedout_reaches_finish() -> None:
    async def body(engine: Engine) -> None:
        gate, held = await hold_worker(engine)
        t = engine.target(Recorder(), "CPU")
        log: list[Any] = []
        call = Call(t, [rows(1)], log)
        call.timeout_ms = 20
        engine.start(call)
        await asyncio.sleep(0.08)
        gate.open()
        await held
        await call.done
        assert isinstance(log[0][2], TimedOut)

    run(body)


# -- one core ---------------------------------------------------------------------------


def test_one_core_runs_models_within_the_loop_budget_inline() -> None:
    async def body(engine: Engine) -> None:
        medium = Recorder(0.001)  # ~1 ms: above inline_budget_us, within the loop budget
        t = engine.target(medium, "CPU")
        for _ in range(5):
            await engine.run(t, [rows(1)])
        assert t.inline and medium.threads[-1] == MAIN
        slow = Recorder(0.05)  # beyond the loop budget: never on the loop
        s = engine.target(slow, "CPU")
        for _ in range(4):
            await engine.run(s, [rows(1)])
        assert not s.inline and MAIN not in slow.threads

    run(body, single_core=True, inline_budget_us=200, loop_budget_us=20_000)


def test_one_core_keeps_work_past_the_cap_on_the_loop_in_order() -> None:
    async def body(engine: Engine) -> None:
        rec = Recorder(0.002)
        t = engine.target(rec, "CPU")
        await _warm(engine, t)
        assert t.inline
        rec.threads.clear()
        rec.batches.clear()
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.ensure_future(ticker())
        results = await asyncio.gather(*(engine.run(t, [rows(i)]) for i in range(10)))
        task.cancel()
        assert rec.threads == [MAIN] * 10  # no worker handoff on one core
        assert [float(r[0][0, 0]) for r in results] == [2.0 * i for i in range(10)]
        assert ticks >= 3  # the loop ran other callbacks between the capped drains

    run(body, single_core=True, inline_budget_us=100_000, loop_budget_us=3000)


def test_one_core_later_arrivals_queue_behind_deferred_work() -> None:
    async def body(engine: Engine) -> None:
        rec = Recorder(0.002)
        t = engine.target(rec, "CPU")
        await _warm(engine, t)
        order: list[float] = []

        async def one(i: int) -> None:
            out = await engine.run(t, [rows(i)])
            order.append(float(out[0][0, 0]) / 2)

        first = [asyncio.ensure_future(one(i)) for i in range(6)]
        await asyncio.sleep(0)  # the first ones ran or wait in the drain
        later = [asyncio.ensure_future(one(i)) for i in range(6, 9)]
        await asyncio.gather(*first, *later)
        assert order == [float(i) for i in range(9)]

    run(body, single_core=True, inline_budget_us=100_000, loop_budget_us=3000)


def test_several_cores_send_work_past_the_cap_to_the_worker() -> None:
    async def body(engine: Engine) -> None:
        rec = Recorder(0.002)
        t = engine.target(rec, "CPU")
        await _warm(engine, t)
        rec.threads.clear()
        await asyncio.gather(*(engine.run(t, [rows(i)]) for i in range(10)))
        assert 1 <= rec.threads.count(MAIN) <= 3 and len(rec.threads) == 10

    run(body, single_core=False, inline_budget_us=100_000, loop_budget_us=3000)


# -- the run-time average ------------------------------------------------------------------


def test_one_slow_sample_does_not_move_a_tiny_model_off_the_loop() -> None:
    async def body(engine: Engine) -> None:
        t = engine.target(Recorder(), "CPU")
        await _warm(engine, t)
        assert t.inline
        engine._observe(t, 0.010)  # a 10 ms time slice lost to another process
        assert t.inline and t.ema_us < 200
        for _ in range(6):  # a model that really became slow leaves within a few runs
            engine._observe(t, 0.010)
        assert not t.inline

    run(body, single_core=False, inline_budget_us=200)
