"""The engine end to end on a real uvloop: worker threads, the inline policy, batching,
MINBATCHSIZE/MINBATCHTIMEOUT, TIMEOUT, statistics and shutdown.

Timing assertions are lower bounds, or generous upper bounds, so a loaded 2-core machine
does not make them flaky; merges that must be exact are forced with a Gate holding the
device's only worker while the queue fills."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from pyredisai.backends.base import BackendError
from pyredisai.engine import Engine, RunRequest, RunStats, TimedOut
from pyredisai.errors import (
    BATCH_SIZE_MISMATCH,
    ENGINE_SHUT_DOWN,
    TF_BATCH_SIZE_MISMATCH,
    CommandError,
)

from .helpers import OrtModel, Recorder, hold_worker, onnx_add_model, rows, run

MAIN = "MainThread"


async def _error_of(fut: asyncio.Future[object]) -> BaseException:
    with pytest.raises(Exception) as info:
        await fut
    return info.value


def test_batched_onnx_merge_is_exact_and_each_caller_gets_its_rows() -> None:
    async def body(engine: Engine) -> None:
        model = OrtModel(onnx_add_model())
        stats = RunStats(b"m", "MODEL", "ONNX", "cpu")
        t = engine.target(model.run, "cpu", batchsize=32, backend="ONNX", stats=stats)
        gate, held = await hold_worker(engine)
        futs = [engine.run(t, [rows(i, 1 + i % 3), rows(1000, 1 + i % 3)]) for i in range(32)]
        gate.open()
        results = await asyncio.gather(*futs)
        await held
        # 1+2+3+1+... : the scan stops once 32 rows are collected, the rest forms batch 2
        assert model.batches[0] >= 32 and sum(model.batches) == sum(1 + i % 3 for i in range(32))
        assert len(model.batches) == 2
        for i, out in enumerate(results):
            assert len(out) == 1
            np.testing.assert_array_equal(out[0], rows(1000 + i, 1 + i % 3))
        assert stats.calls == 32 and stats.errors == 0
        assert stats.samples == sum(1 + i % 3 for i in range(32))  # each caller's own rows

    run(body)


def test_32_concurrent_submitters_through_warmup_and_inline() -> None:
    async def body(engine: Engine) -> None:
        model = OrtModel(onnx_add_model(3))
        t = engine.target(model.run, "CPU", batchsize=16, backend="ONNX")

        async def client(c: int) -> None:
            for k in range(12):
                n = 1 + (c + k) % 3
                a = np.arange(n * 3, dtype=np.float32).reshape(n, 3) + c * 100 + k
                out = await engine.run(t, [a, np.ones_like(a)])
                np.testing.assert_array_equal(out[0], a + 1)

        await asyncio.gather(*(client(c) for c in range(32)))
        assert sum(model.batches) == sum(1 + (c + k) % 3 for c in range(32) for k in range(12))
        assert max(model.batches) > 3  # requests of different clients were merged
        assert t.inline and MAIN in model.threads  # after warm-up the tiny model ran inline
        assert model.threads[0] != MAIN  # ... but its first run went to a worker

    run(body, inline_budget_us=20_000)


def test_no_batching_without_batchsize() -> None:
    async def body(engine: Engine) -> None:
        rec = Recorder()
        t = engine.target(rec, "CPU")  # BATCHSIZE 0: RedisAI never merges
        gate, held = await hold_worker(engine)
        futs = [engine.run(t, [rows(i)]) for i in range(5)]
        gate.open()
        await asyncio.gather(held, *futs)
        assert rec.batches == [1] * 5

    run(body)


def test_minbatchsize_waits_for_enough_rows() -> None:
    async def body(engine: Engine) -> None:
        rec = Recorder()
        t = engine.target(rec, "CPU", batchsize=8, minbatchsize=4)
        futs = [engine.run(t, [rows(i)]) for i in range(3)]
        other = Recorder()
        # Another model on the same device is not held up by the waiting group.
        await asyncio.wait_for(engine.run(engine.target(other, "CPU"), [rows(9)]), 10)
        await asyncio.sleep(0.2)
        assert not any(f.done() for f in futs) and rec.batches == []
        futs.append(engine.run(t, [rows(3)]))
        results = await asyncio.wait_for(asyncio.gather(*futs), 10)
        assert rec.batches == [4]
        assert [float(r[0][0, 0]) for r in results] == [0.0, 2.0, 4.0, 6.0]

    run(body)


def test_minbatchtimeout_runs_a_smaller_batch_after_the_timeout() -> None:
    async def body(engine: Engine) -> None:
        rec = Recorder()
        t = engine.target(rec, "CPU", batchsize=8, minbatchsize=4, minbatchtimeout_ms=150)
        start = time.monotonic()
        futs = [engine.run(t, [rows(i)]) for i in range(2)]
        await asyncio.wait_for(asyncio.gather(*futs), 10)
        elapsed = time.monotonic() - start
        assert elapsed >= 0.14  # waited for MINBATCHSIZE until MINBATCHTIMEOUT
        assert elapsed < 5  # ... and was woken by its deadline, not a poll of something else
        assert rec.batches == [2]

    run(body)


def test_shapes_that_cannot_batch_run_alone() -> None:
    async def body(engine: Engine) -> None:
        rec = Recorder()
        t = engine.target(rec, "CPU", batchsize=8)
        gate, held = await hold_worker(engine)
        futs = [
            engine.run(t, [rows(1, 1, 2)]),
            engine.run(t, [rows(2, 1, 3)]),  # another width
            engine.run(t, [rows(3, 2, 2)]),
            engine.run(t, [np.ones((1, 2), np.int64)]),  # another dtype
        ]
        gate.open()
        results = await asyncio.gather(held, *futs)
        assert rec.batches == [3, 1, 1]  # (1,2)+(2,2) merged; the others alone
        assert results[3][0].shape == (2, 2) and float(results[3][0][0, 0]) == 6.0

    run(body)


def test_a_failing_batch_fails_every_caller() -> None:
    async def body(engine: Engine) -> None:
        def broken(inputs: list[np.ndarray]) -> list[np.ndarray]:
            raise BackendError("Unexpected input data type.\nActual: (tensor(double))")

        stats = RunStats(b"bad")
        t = engine.target(broken, "CPU", batchsize=4, stats=stats)
        gate, held = await hold_worker(engine)
        futs = [engine.run(t, [rows(i)]) for i in range(4)]
        gate.open()
        await held
        for f in futs:
            err = await _error_of(f)
            assert isinstance(err, CommandError)
            assert err.message == "Unexpected input data type. Actual: (tensor(double))"
        assert (stats.calls, stats.errors, stats.duration_us, stats.samples) == (4, 4, 0, 0)

    run(body)


@pytest.mark.parametrize(
    ("backend", "text"), [("TORCH", BATCH_SIZE_MISMATCH), ("TF", TF_BATCH_SIZE_MISMATCH)]
)
def test_output_dim0_mismatch_fails_every_caller(backend: str, text: str) -> None:
    async def body(engine: Engine) -> None:
        t = engine.target(
            lambda _: [np.zeros((1, 2))], "CPU", batchsize=4, minbatchsize=3, backend=backend
        )
        futs = [engine.run(t, [rows(i)]) for i in range(3)]
        for f in futs:
            err = await _error_of(f)
            assert isinstance(err, CommandError) and err.message == text
        # Alone, the same model is not checked (RedisAI checks only batched runs).
        alone = engine.target(lambda _: [np.zeros((1, 2))], "CPU", batchsize=4, backend=backend)
        assert (await engine.run(alone, [rows(0, 2)]))[0].shape == (1, 2)

    run(body)


def test_timeout_while_queued_replies_timedout_and_counts_nothing() -> None:
    async def body(engine: Engine) -> None:
        rec = Recorder()
        stats = RunStats(b"m")
        t = engine.target(rec, "CPU", stats=stats)
        gate, held = await hold_worker(engine)
        late = engine.run(t, [rows(1)], timeout_ms=50)
        patient = engine.run(t, [rows(2)], timeout_ms=60_000)
        await asyncio.sleep(0.15)
        assert not late.done()  # checked only when a worker takes it (RedisAI 7.4)
        gate.open()
        await held
        assert isinstance(await _error_of(late), TimedOut)
        assert float((await patient)[0][0, 0]) == 4.0
        assert rec.batches == [1] and stats.calls == 1

    run(body)


def test_running_run_is_not_interrupted_by_timeout() -> None:
    async def body(engine: Engine) -> None:
        t = engine.target(Recorder(0.3), "CPU")
        out = await engine.run(t, [rows(1)], timeout_ms=20)
        assert float(out[0][0, 0]) == 2.0

    run(body)


def test_timeout_ends_a_wait_for_minbatchsize() -> None:
    async def body(engine: Engine) -> None:
        t = engine.target(Recorder(), "CPU", batchsize=4, minbatchsize=2)  # no MINBATCHTIMEOUT
        start = time.monotonic()
        err = await _error_of(engine.run(t, [rows(1)], timeout_ms=100))
        assert isinstance(err, TimedOut)
        assert 0.09 <= time.monotonic() - start < 5

    run(body)


def test_slow_model_never_runs_on_the_loop() -> None:
    async def body(engine: Engine) -> None:
        ticks = 0
        stop = False

        async def ticker() -> None:
            nonlocal ticks
            while not stop:
                ticks += 1
                await asyncio.sleep(0.005)

        task = asyncio.ensure_future(ticker())
        slow = Recorder(1.0)
        out = await engine.run(engine.target(slow, "CPU"), [rows(1)])
        stop = True
        await task
        assert float(out[0][0, 0]) == 2.0
        assert slow.threads[0].startswith("pyredisai-run-CPU-")
        assert ticks >= 20  # the loop kept running callbacks during the 1 s run

        medium = Recorder(0.05)
        t = engine.target(medium, "CPU")
        for _ in range(5):
            await engine.run(t, [rows(1)])
        assert MAIN not in medium.threads and not t.inline

    run(body)


def test_tiny_onnx_model_runs_inline_after_warmup() -> None:
    async def body(engine: Engine) -> None:
        model = OrtModel(onnx_add_model())
        t = engine.target(model.run, "CPU", backend="ONNX")
        for i in range(8):
            out = await engine.run(t, [rows(i), rows(1)])
            np.testing.assert_array_equal(out[0], rows(i + 1))
        assert all(name != MAIN for name in model.threads[:3])  # warm-up on a worker
        assert model.threads[3:] == [MAIN] * 5  # then inline
        assert t.inline and engine.inline_batches == 5
        assert 0 < t.ema_us < 20_000

    # A generous budget: a ~10 us model must qualify even on a loaded machine.
    run(body, inline_budget_us=20_000)


def test_inline_work_per_loop_iteration_is_capped() -> None:
    async def body(engine: Engine) -> None:
        rec = Recorder(0.002)
        t = engine.target(rec, "CPU")
        for _ in range(3):
            await engine.run(t, [rows(1)])
        assert t.inline
        rec.threads.clear()
        await asyncio.gather(*(engine.run(t, [rows(i)]) for i in range(10)))  # one iteration
        inline = rec.threads.count(MAIN)
        assert 1 <= inline <= 3 and len(rec.threads) == 10  # the rest went to the worker
        rec.threads.clear()
        await engine.run(t, [rows(1)])  # a later iteration has a fresh budget
        assert rec.threads == [MAIN]

    run(body, inline_budget_us=100_000, loop_budget_us=3000)


def test_inline_batches_merge_one_iteration() -> None:
    async def body(engine: Engine) -> None:
        rec = Recorder()
        t = engine.target(rec, "CPU", batchsize=4)
        for _ in range(3):
            await engine.run(t, [rows(1)])
        rec.batches.clear()
        results = await asyncio.gather(*(engine.run(t, [rows(i)]) for i in range(10)))
        assert rec.batches == [4, 4, 2] and rec.threads[-1] == MAIN
        assert [float(r[0][0, 0]) for r in results] == [2.0 * i for i in range(10)]

    run(body, inline_budget_us=20_000)


def test_statistics_follow_redisai_counting() -> None:
    async def body(engine: Engine) -> None:
        stats = RunStats(b"m", "MODEL", "TORCH", "cpu", b"v1")
        rec = Recorder(0.001)
        t = engine.target(rec, "cpu", stats=stats)
        for n in (2, 3):
            await engine.run(t, [rows(1, n)])
        assert (stats.calls, stats.samples, stats.errors) == (2, 5, 0)
        assert stats.duration_us >= 2000
        await engine.run(t, [rows(1, 4)], count=False)  # e.g. model_execute from a script
        assert stats.calls == 2
        assert stats.info() == [
            b"key", b"m", b"type", "MODEL", b"backend", "TORCH", b"device", "cpu",
            b"tag", b"v1", b"duration", stats.duration_us, b"samples", 5,
            b"calls", 2, b"errors", 0,
        ]  # fmt: skip
        stats.reset()
        assert (stats.calls, stats.samples, stats.errors, stats.duration_us) == (0, 0, 0, 0)

        script = RunStats(b"s", "SCRIPT", "TORCH", "CPU")
        st = engine.target(rec, "CPU", stats=script)
        out = await engine.run(st, [rows(1)], fn=lambda xs: ["any", "result"])
        assert out == ["any", "result"]  # a per-call runnable (script entry point, DAG step)
        assert (script.calls, script.samples) == (1, -1)

    run(body)


def test_batched_duration_counts_the_whole_batch_for_each_caller() -> None:
    async def body(engine: Engine) -> None:
        stats = RunStats(b"m")
        t = engine.target(Recorder(0.02), "CPU", batchsize=8, minbatchsize=3, stats=stats)
        await asyncio.gather(*(engine.run(t, [rows(i, 2)]) for i in range(3)))
        assert stats.calls == 3 and stats.samples == 6
        assert stats.duration_us >= 3 * 20_000

    run(body)


def test_queues_per_upper_cased_device_and_threads_per_queue() -> None:
    async def body(engine: Engine) -> None:
        assert engine.queue("cpu") is engine.queue("CPU")
        assert engine.queue("CPU:1") is not engine.queue("CPU")
        assert [th.name for th in engine.queue("gpu:0").threads] == [
            "pyredisai-run-GPU:0-0",
            "pyredisai-run-GPU:0-1",
        ]
        slow = engine.target(Recorder(0.3), "CPU")
        start = time.monotonic()
        await asyncio.gather(engine.run(slow, [rows(1)]), engine.run(slow, [rows(2)]))
        assert time.monotonic() - start < 0.55  # two workers ran them side by side

    run(body, threads_per_queue=2)


def test_cancelled_caller_still_runs_and_counts() -> None:
    async def body(engine: Engine) -> None:
        stats = RunStats(b"m")
        rec = Recorder(0.05)
        t = engine.target(rec, "CPU", stats=stats)
        fut = engine.run(t, [rows(1)])
        fut.cancel()  # e.g. the client went away
        await engine.run(t, [rows(2)])
        assert rec.batches == [1, 1] and stats.calls == 2

    run(body)


def test_shutdown_fails_queued_runs_and_stops_workers() -> None:
    async def body(engine: Engine) -> None:
        gate, held = await hold_worker(engine, 7)
        t = engine.target(Recorder(), "CPU")
        queued = [engine.run(t, [rows(i)]) for i in range(3)]
        threads = list(engine.queue("CPU").threads)
        assert engine.shutdown(wait=False)
        for f in queued:
            err = await _error_of(f)
            assert isinstance(err, CommandError) and err.message == ENGINE_SHUT_DOWN
        gate.open()
        assert float((await held)[0][0, 0]) == 7.0  # the running batch still delivers
        assert engine.shutdown(wait=True, timeout=10)
        assert not any(th.is_alive() for th in threads)
        err = await _error_of(engine.run(t, [rows(1)]))
        assert isinstance(err, CommandError) and err.message == ENGINE_SHUT_DOWN

    run(body)


def test_request_is_generic_over_runnables() -> None:
    # A run request needs only a callable and inputs: what scripts and DAG steps need.
    async def body(engine: Engine) -> None:
        seen: list[str] = []
        t = engine.target(lambda xs: [xs[0] + 1], "CPU")
        req = RunRequest(
            t, [rows(1)], fn=lambda xs: seen.append(threading.current_thread().name) or [xs[0] * 3]
        )
        out = await engine.submit(req)
        assert float(out[0][0, 0]) == 3.0 and seen[0].startswith("pyredisai-run-")

    run(body)
