"""Auto-batching as RedisAI does it (reference section 4.8), as plain functions.

Nothing here owns a thread, a lock or a clock: callers pass `now` (time.monotonic()) and
hold whatever lock guards the queue. That keeps the policy unit-testable and shared by
the worker threads and the inline (loop-thread) path.

The rules: a request's batch contribution is dimension 0 of its inputs when they all
agree (else 0: it runs alone); only requests of the same target whose inputs agree in
every dimension but 0 are merged, in queue order, until the total reaches BATCHSIZE (it
may exceed it, as in RedisAI); with MINBATCHSIZE the group waits until it is big enough
or MINBATCHTIMEOUT ms have passed since its oldest request was queued.
"""

from __future__ import annotations

import time
from collections.abc import MutableSequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import BATCH_SIZE_MISMATCH, TF_BATCH_SIZE_MISMATCH, CommandError

if TYPE_CHECKING:
    from .runs import RunRequest

INF = float("inf")


def batch_rows(inputs: list[np.ndarray]) -> int:
    """RedisAI's b(R): dimension 0 shared by every input, or 0 (cannot batch)."""
    rows = 0
    for i, a in enumerate(inputs):
        shape = a.shape
        if not shape:
            return 0
        if i == 0:
            rows = shape[0]
        elif shape[0] != rows:
            return 0
    return rows


def batch_signature(inputs: list[np.ndarray]) -> tuple[Any, ...]:
    """What must match for two requests to be merged: every input's dims but the first.

    The input count and each input's rank are implied by the tuple. The dtype is part of
    it too (RedisAI does not compare types; concatenating mixed types would silently
    convert one caller's data, so such requests run alone instead)."""
    return tuple([(a.dtype, a.shape[1:]) for a in inputs])  # a list builds faster


def select_batch(
    queue: MutableSequence[RunRequest], now: float
) -> tuple[list[RunRequest] | None, list[RunRequest], float]:
    """Pick the next batch to run from `queue` (FIFO), removing what it returns.

    Returns (batch or None, timed_out, wake_at):
    - `batch`: the first ready group in queue order: a lone request, or the head plus
      the compatible requests of the same target behind it;
    - `timed_out`: requests whose TIMEOUT passed (strictly) before being taken; they are
      removed and must be answered TIMEDOUT (RedisAI checks when a worker takes an item);
    - `wake_at`: when nothing is ready because groups wait for MINBATCHSIZE, the monotonic
      time at which the earliest MINBATCHTIMEOUT or TIMEOUT of a waiting request expires
      (INF: only a new request can make progress).
    Groups that wait are skipped, so other models on the same device keep running.
    """
    timed_out: list[RunRequest] = []
    wake = INF
    waiting: set[int] | None = None
    i = 0
    while i < len(queue):
        r = queue[i]
        if r.deadline and now > r.deadline:
            del queue[i]
            timed_out.append(r)
            continue
        if waiting is not None and id(r) in waiting:
            if r.deadline and r.deadline < wake:
                wake = r.deadline
            i += 1
            continue
        t = r.target
        size = t.batchsize
        rows = r.rows
        if size <= 0 or rows <= 0 or rows >= size:
            del queue[i]
            return [r], timed_out, wake
        batch = [r]
        total = rows
        sig = r.sig
        for j in range(i + 1, len(queue)):
            q = queue[j]
            if q.target is not t or q.rows <= 0 or q.sig != sig:
                continue
            if q.deadline and now > q.deadline:
                continue  # dropped with TIMEDOUT when the scan reaches it
            batch.append(q)
            total += q.rows
            if total >= size:
                break
        if total < t.minbatchsize:
            timeout = t.minbatch_timeout_s
            if not (timeout > 0 and now - r.enqueued > timeout):
                # Not ready: leave the group queued and look further.
                if waiting is None:
                    waiting = set()
                waiting.update(map(id, batch))
                if timeout > 0 and r.enqueued + timeout < wake:
                    wake = r.enqueued + timeout
                if r.deadline and r.deadline < wake:
                    wake = r.deadline
                i += 1
                continue
        if len(batch) == 1:
            del queue[i]
        else:
            taken = set(map(id, batch))
            kept = [x for x in queue if id(x) not in taken]
            queue.clear()
            queue.extend(kept)
        return batch, timed_out, wake
    return None, timed_out, wake


def split_outputs(outputs: Any, rows: list[int], backend: str) -> list[list[np.ndarray | None]]:
    """Cut a batched run's outputs back into each caller's rows (read-only views, no
    copies: nothing writes to a run's output after this).

    Every output's dimension 0 must equal the callers' total, else every caller fails
    with RedisAI's error (TF's own text for TF). A non-tensor output (ONNX sequence or
    map) is given to nobody (None: RedisAI leaves that output key unchanged); so is a
    0-d output of a TF model (RedisAI skips those in batched TF runs).
    """
    total = sum(rows)
    per: list[list[np.ndarray | None]] = [[] for _ in rows]
    tf = backend == "TF"
    for out in outputs:
        if not isinstance(out, np.ndarray):
            for p in per:
                p.append(None)
            continue
        if out.ndim == 0 and tf:
            for p in per:
                p.append(None)
            continue
        if out.ndim == 0 or out.shape[0] != total:
            raise CommandError(TF_BATCH_SIZE_MISMATCH if tf else BATCH_SIZE_MISMATCH)
        out.flags.writeable = False  # the rows become tensors as they are (no view each)
        off = 0
        for p, n in zip(per, rows, strict=True):
            p.append(out[off : off + n])
            off += n
    return per


def error_of(exc: BaseException) -> CommandError:
    """The reply for a failed run: the backend's own text, unchanged (RedisAI 4.9)."""
    if isinstance(exc, CommandError):
        return exc
    message = getattr(exc, "message", None)
    if not isinstance(message, str):
        message = str(exc) or type(exc).__name__
    return CommandError(message)


def run_batch(batch: list[RunRequest]) -> tuple[list[Any] | None, CommandError | None, float]:
    """Run one batch (any thread): (per-caller outputs or None, error or None, seconds).

    One request runs as is. Several are concatenated on dimension 0 per input (in batch
    order), run once, checked and split. If the run fails, every caller gets its error.
    """
    head = batch[0]
    fn = head.fn or head.target.fn
    start = time.perf_counter()
    try:
        if len(batch) == 1:
            results: list[Any] = [fn(head.inputs)]
        else:
            n_inputs = len(head.inputs)
            joined = [np.concatenate([r.inputs[k] for r in batch]) for k in range(n_inputs)]
            outputs = fn(joined)
            results = split_outputs(outputs, [r.rows for r in batch], head.target.backend)
    except Exception as exc:
        return None, error_of(exc), time.perf_counter() - start
    return results, None, time.perf_counter() - start


def output_rows(outputs: Any) -> int:
    """AI.INFO samples for one caller: dimension 0 of its first output (0 if none)."""
    try:
        first = outputs[0]
    except (IndexError, TypeError, KeyError):
        return 0
    if isinstance(first, np.ndarray) and first.ndim:
        return int(first.shape[0])
    return 0
