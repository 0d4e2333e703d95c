"""engine.dag.DagRun on a real Engine (real worker threads, uvloop), with plain Python
runnables: per-device order, concurrency across devices, failure skipping later steps,
TIMEOUT, inputs that are never produced, and statistics."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from pyredisai.engine import Engine, RunStats
from pyredisai.engine.dag import DONE, FAILED, PENDING, DagRun, DagStep
from pyredisai.errors import CommandError

from ..engine.helpers import run


def _add_one(inputs: list[np.ndarray]) -> list[np.ndarray]:
    return [inputs[0] + 1]


def test_steps_of_one_device_run_in_dag_order() -> None:
    order: list[int] = []

    def recorder(n: int) -> Any:
        def fn(inputs: list[np.ndarray]) -> list[np.ndarray]:
            order.append(n)
            time.sleep(0.01 * (3 - n))  # later steps are quicker: order shows no overlap
            return [inputs[0]]

        return fn

    async def body(engine: Engine) -> Any:
        target = engine.target(_add_one, "CPU")
        slots: list[Any] = [np.zeros(1), None, None, None]
        steps = [DagStep(target, [0], [i + 1], recorder(i)) for i in range(3)]
        await DagRun(engine, steps, slots).start()
        return steps

    steps = run(body, inline_budget_us=0, threads_per_queue=4)
    assert order == [0, 1, 2]
    assert [s.state for s in steps] == [DONE, DONE, DONE]


def test_steps_chain_through_slots() -> None:
    async def body(engine: Engine) -> Any:
        cpu, cpu1 = engine.target(_add_one, "CPU"), engine.target(_add_one, "cpu:1")
        slots: list[Any] = [np.zeros(2), None, None, None]
        steps = [DagStep(cpu, [0], [1]), DagStep(cpu1, [1], [2]), DagStep(cpu, [2], [3])]
        await DagRun(engine, steps, slots).start()
        return slots

    slots = run(body, inline_budget_us=0)
    assert slots[3].tolist() == [3, 3]


def test_independent_devices_run_concurrently() -> None:
    """Step 0 (CPU:1) waits for an event that step 1 (CPU:2) sets."""
    event = threading.Event()

    def wait(inputs: list[np.ndarray]) -> list[np.ndarray]:
        assert event.wait(10), "the other device never ran"
        return [inputs[0]]

    def release(inputs: list[np.ndarray]) -> list[np.ndarray]:
        event.set()
        return [inputs[0]]

    async def body(engine: Engine) -> Any:
        a, b = engine.target(wait, "CPU:1"), engine.target(release, "CPU:2")
        slots: list[Any] = [np.zeros(1), None, None]
        steps = [DagStep(a, [0], [1]), DagStep(b, [0], [2])]
        await DagRun(engine, steps, slots).start()
        return steps

    steps = run(body, inline_budget_us=0)
    assert [s.state for s in steps] == [DONE, DONE]


def test_failure_skips_later_steps_and_counts_once() -> None:
    def boom(inputs: list[np.ndarray]) -> list[np.ndarray]:
        raise CommandError("boom")

    async def body(engine: Engine) -> Any:
        stats = RunStats(b"m", "MODEL")
        ok = engine.target(_add_one, "CPU", stats=stats)
        bad = engine.target(boom, "CPU")
        slots: list[Any] = [np.zeros(1), None, None, None]
        steps = [DagStep(ok, [0], [1]), DagStep(bad, [1], [2]), DagStep(ok, [2], [3])]
        dag = DagRun(engine, steps, slots)
        await dag.start()
        return dag, steps, stats

    dag, steps, stats = run(body, inline_budget_us=0)
    assert dag.failed and not dag.timed_out
    assert [s.state for s in steps] == [DONE, FAILED, PENDING]
    assert steps[1].error is not None and steps[1].error.message == "boom"
    assert (stats.calls, stats.errors) == (1, 0)


def test_timeout_before_a_step_starts() -> None:
    gate = threading.Event()

    def hold(inputs: list[np.ndarray]) -> list[np.ndarray]:
        gate.wait(10)
        return [inputs[0]]

    async def body(engine: Engine) -> Any:
        slow = engine.target(hold, "CPU")
        other = engine.target(_add_one, "CPU")
        blocker = engine.run(slow, [np.zeros(1)])  # holds the only CPU worker
        slots: list[Any] = [np.zeros(1), None]
        dag = DagRun(engine, [DagStep(other, [0], [1])], slots, timeout_ms=50)
        done = dag.start()
        time.sleep(0.2)
        gate.set()
        await done
        await blocker
        return dag, slots

    dag, slots = run(body, inline_budget_us=0)
    assert dag.timed_out
    assert slots[1] is None


def test_an_input_that_is_never_produced_fails_its_reader() -> None:
    def no_tensor(inputs: list[np.ndarray]) -> list[Any]:
        return [None]  # e.g. an ONNX sequence output

    async def body(engine: Engine) -> Any:
        a = engine.target(no_tensor, "CPU")
        b = engine.target(_add_one, "CPU:1")
        slots: list[Any] = [np.zeros(1), None, None]
        steps = [DagStep(a, [0], [1]), DagStep(b, [1], [2])]
        dag = DagRun(engine, steps, slots)
        await dag.start()
        return dag, steps

    dag, steps = run(body, inline_budget_us=0)
    assert dag.failed
    assert steps[0].state == DONE and steps[1].state == FAILED
    assert steps[1].error is not None
    assert steps[1].error.message == "ERR INPUT key cannot be found in DAG"


def test_inline_engine_runs_the_dag_too() -> None:
    async def body(engine: Engine) -> Any:
        target = engine.target(_add_one, "CPU")
        for _ in range(5):  # past the warm-up runs: the target now runs inline
            await engine.run(target, [np.zeros(1)])
        slots: list[Any] = [np.zeros(1), None, None]
        await DagRun(engine, [DagStep(target, [0], [1]), DagStep(target, [1], [2])], slots).start()
        return target.inline, slots

    inline, slots = run(body, inline_budget_us=1_000_000)
    assert inline
    assert slots[2].tolist() == [2]
