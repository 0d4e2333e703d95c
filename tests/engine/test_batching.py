"""Batch selection and splitting as pure functions: no threads, no loop, explicit clocks."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from pyredisai.backends.base import BackendError
from pyredisai.engine import RunRequest, RunTarget, batch_rows, run_batch, select_batch
from pyredisai.engine.batching import INF, split_outputs
from pyredisai.errors import BATCH_SIZE_MISMATCH, TF_BATCH_SIZE_MISMATCH, CommandError


def ident(inputs: list[np.ndarray]) -> list[np.ndarray]:
    return list(inputs)


def target(
    batchsize: int = 0, minbatchsize: int = 0, timeout_ms: int = 0, backend: str = ""
) -> RunTarget:
    return RunTarget(
        ident, "CPU", None,  # type: ignore[arg-type]  # selection never touches the queue
        batchsize=batchsize, minbatchsize=minbatchsize, minbatchtimeout_ms=timeout_ms,
        backend=backend,
    )  # fmt: skip


def req(
    t: RunTarget,
    *shapes: tuple[int, ...],
    at: float = 0.0,
    deadline: float = 0.0,
    dtype: type = np.float32,
) -> RunRequest:
    r = RunRequest(t, [np.zeros(s, dtype=dtype) for s in shapes])
    r.enqueued = at
    r.deadline = deadline
    return r


def test_batch_rows() -> None:
    assert batch_rows([np.zeros((3, 2)), np.zeros((3, 5, 1))]) == 3
    assert batch_rows([np.zeros((3, 2)), np.zeros((2, 2))]) == 0  # disagreeing dim 0
    assert batch_rows([np.zeros(())]) == 0  # a scalar has no batch dimension
    assert batch_rows([]) == 0


def test_no_batching_is_fifo() -> None:
    t = target()
    a, b = req(t, (1, 2)), req(t, (1, 2))
    q = deque([a, b])
    assert select_batch(q, 1.0) == ([a], [], INF)
    assert list(q) == [b]


def test_merges_same_target_compatible_in_order() -> None:
    t, other = target(batchsize=4), target(batchsize=4)
    a, x, b, c, d = (
        req(t, (1, 2)),
        req(other, (1, 2)),
        req(t, (1, 2)),
        req(t, (2, 2)),
        req(t, (1, 2)),
    )
    q = deque([a, x, b, c, d])
    batch, _, _ = select_batch(q, 1.0)
    assert batch == [a, b, c]  # 1 + 1 + 2 reaches BATCHSIZE 4: scanning stops
    assert list(q) == [x, d]


def test_batch_may_exceed_batchsize() -> None:
    t = target(batchsize=4)
    a, b, c = req(t, (3, 2)), req(t, (3, 2)), req(t, (1, 2))
    q = deque([a, b, c])
    assert select_batch(q, 1.0)[0] == [a, b]  # 6 rows: RedisAI stops once >= BATCHSIZE
    assert list(q) == [c]


def test_incompatible_requests_run_alone() -> None:
    t = target(batchsize=8)
    a = req(t, (1, 2), (1, 3))
    wider = req(t, (1, 2), (1, 4))  # second input differs beyond dim 0
    fewer = req(t, (1, 2))  # different input count
    rank = req(t, (1, 2), (1, 3, 1))  # different rank
    ints = req(t, (1, 2), (1, 3), dtype=np.int32)  # different dtype (pyredisai: alone)
    ragged = req(t, (1, 2), (2, 3))  # its own inputs disagree on dim 0: b = 0
    q = deque([a, wider, fewer, rank, ints, ragged])
    for expected in (a, wider, fewer, rank, ints, ragged):
        assert select_batch(q, 1.0)[0] == [expected]
    assert not q


def test_head_at_or_over_batchsize_runs_alone() -> None:
    t = target(batchsize=2, minbatchsize=2)
    a, b = req(t, (2, 2)), req(t, (1, 2))
    q = deque([a, b])
    assert select_batch(q, 1.0)[0] == [a]


def test_minbatchsize_waits_and_others_pass() -> None:
    t, other = target(batchsize=8, minbatchsize=3, timeout_ms=100), target()
    a, b, x = req(t, (1, 2), at=10.0), req(t, (1, 2), at=10.01), req(other, (1, 2), at=10.02)
    q = deque([a, b, x])
    batch, timed_out, wake = select_batch(q, 10.05)
    assert batch == [x] and not timed_out  # the waiting group does not block the device
    assert list(q) == [a, b]
    batch, _, wake = select_batch(q, 10.05)
    assert batch is None and wake == pytest.approx(10.1)  # oldest request + MINBATCHTIMEOUT
    c = req(t, (1, 2), at=10.06)
    q.append(c)
    assert select_batch(q, 10.06)[0] == [a, b, c]  # MINBATCHSIZE reached


def test_minbatch_without_timeout_waits_for_ever() -> None:
    t = target(batchsize=8, minbatchsize=3)
    q = deque([req(t, (1, 2))])
    assert select_batch(q, 1e9) == (None, [], INF)


def test_minbatchtimeout_expiry_runs_what_is_there() -> None:
    t = target(batchsize=8, minbatchsize=4, timeout_ms=100)
    a, b = req(t, (1, 2), at=10.0), req(t, (1, 2), at=10.05)
    q = deque([a, b])
    assert select_batch(q, 10.1)[0] is None  # exactly 100 ms: not "more than"
    assert select_batch(q, 10.1001)[0] == [a, b]


def test_timeout_drops_expired_requests() -> None:
    t = target()
    a, b, c = req(t, (1, 2), deadline=5.0), req(t, (1, 2), deadline=7.0), req(t, (1, 2))
    q = deque([a, b, c])
    batch, timed_out, _ = select_batch(q, 6.0)
    assert timed_out == [a] and batch == [b]
    assert select_batch(q, 5.0)[0] == [c]


def test_waiting_group_wakes_at_its_timeout() -> None:
    t = target(batchsize=8, minbatchsize=2)
    a = req(t, (1, 2), at=1.0, deadline=1.2)
    q = deque([a])
    assert select_batch(q, 1.1) == (None, [], 1.2)
    assert select_batch(q, 1.3) == (None, [a], INF)
    assert not q


def test_split_outputs_views_per_caller() -> None:
    out = np.arange(12).reshape(6, 2)
    parts = split_outputs([out, out * 10], [1, 3, 2], "ONNX")
    assert [p[0].tolist() for p in parts] == [
        [[0, 1]],
        [[2, 3], [4, 5], [6, 7]],
        [[8, 9], [10, 11]],
    ]
    assert parts[1][1].base is not None  # a view into the batch output, no copy
    assert parts[2][1].tolist() == [[80, 90], [100, 110]]


@pytest.mark.parametrize(
    ("backend", "text"), [("ONNX", BATCH_SIZE_MISMATCH), ("TF", TF_BATCH_SIZE_MISMATCH)]
)
def test_split_outputs_dim0_mismatch(backend: str, text: str) -> None:
    with pytest.raises(CommandError) as info:
        split_outputs([np.zeros((5, 2))], [1, 3], backend)
    assert info.value.message == text


def test_split_outputs_skips_non_tensors_and_tf_scalars() -> None:
    parts = split_outputs([{"a": 1}, np.float32(1.0) * np.ones(()), np.zeros((2, 1))], [1, 1], "TF")
    assert parts[0][0] is None and parts[0][1] is None and parts[0][2].shape == (1, 1)
    with pytest.raises(CommandError):  # other backends: a 0-d output has no batch dimension
        split_outputs([np.ones(())], [1, 1], "TORCH")


def test_run_batch_concatenates_runs_once_and_splits() -> None:
    calls: list[list[tuple[int, ...]]] = []

    def model(inputs: list[np.ndarray]) -> list[np.ndarray]:
        calls.append([x.shape for x in inputs])
        return [inputs[0] + inputs[1]]

    t = RunTarget(model, "CPU", None, batchsize=8)  # type: ignore[arg-type]
    reqs = [
        RunRequest(t, [np.full((n, 2), n, np.float32), np.ones((n, 2), np.float32)])
        for n in (1, 2, 3)
    ]
    results, error, seconds = run_batch(reqs)
    assert error is None and seconds >= 0 and calls == [[(6, 2), (6, 2)]]
    assert results is not None
    assert [r[0].tolist() for r in results] == [[[2, 2]], [[3, 3]] * 2, [[4, 4]] * 3]


def test_run_batch_failure_is_the_backend_text() -> None:
    def broken(inputs: list[np.ndarray]) -> list[np.ndarray]:
        raise BackendError("Got invalid dimensions\nfor input")

    t = RunTarget(broken, "CPU", None)  # type: ignore[arg-type]
    results, error, _ = run_batch([RunRequest(t, [np.zeros((1, 2))])])
    assert results is None and error is not None
    assert error.message == "Got invalid dimensions for input"  # newline became a space


def test_single_run_is_not_checked_or_split() -> None:
    t = RunTarget(lambda _: [np.zeros((7, 2))], "CPU", None, batchsize=4)  # type: ignore[arg-type]
    results, error, _ = run_batch([RunRequest(t, [np.zeros((1, 2))])])
    assert error is None and results is not None and results[0][0].shape == (7, 2)
