"""Device run queues: one FIFO per upper-cased device string, served by worker threads.

Like RedisAI's run_queue_info/background_workers: a worker picks a batch under the lock
(`select_batch`), runs it outside the lock, and hands the result back to the event loop.
When every queued group waits for MINBATCHSIZE, the worker sleeps until the earliest
MINBATCHTIMEOUT/TIMEOUT expiry or the next enqueue, never on a fixed poll.

Ownership: a request put here belongs to the queue until a worker passes its batch to
`deliver` (which must hop to the loop thread); requests dropped for TIMEOUT go to
`expire`. Neither callback may block; both are called without the queue lock held.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .batching import INF, error_of, run_batch, select_batch

if TYPE_CHECKING:
    from ..errors import CommandError
    from .runs import RunRequest

Deliver = Callable[["list[RunRequest]", "list[Any] | None", "CommandError | None", float], None]
Expire = Callable[["list[RunRequest]"], None]

_MIN_WAIT = 0.0002  # seconds: floor of a timed wait, so a wake-up just before expiry re-arms


class DeviceQueue:
    """A device's FIFO of run requests and its THREADS_PER_QUEUE worker threads."""

    def __init__(self, name: str, threads: int, deliver: Deliver, expire: Expire) -> None:
        self.name = name  # upper-cased device string
        self.items: deque[RunRequest] = deque()
        self.cond = threading.Condition(threading.Lock())
        self.stopping = False
        self.busy = 0  # workers running a batch now
        self.batches = 0  # batches run by the workers (for INFO and tests)
        self._deliver = deliver
        self._expire = expire
        self.threads = [
            threading.Thread(target=self._work, name=f"pyredisai-run-{name}-{i}", daemon=True)
            for i in range(max(1, threads))
        ]
        for thread in self.threads:
            thread.start()

    def __len__(self) -> int:
        return len(self.items)

    def put(self, req: RunRequest) -> None:
        with self.cond:
            self.items.append(req)
            self.cond.notify()

    def put_many(self, reqs: Iterable[RunRequest]) -> None:
        with self.cond:
            self.items.extend(reqs)
            self.cond.notify_all()

    def stop(self) -> list[RunRequest]:
        """Ask the workers to exit after their current batch; return what was queued."""
        with self.cond:
            self.stopping = True
            pending = list(self.items)
            self.items.clear()
            self.cond.notify_all()
        return pending

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the workers to exit; False if one is still running after `timeout`."""
        end = None if timeout is None else time.monotonic() + timeout
        for thread in self.threads:
            if thread is threading.current_thread():
                continue
            thread.join(None if end is None else max(0.0, end - time.monotonic()))
        return not any(t.is_alive() for t in self.threads)

    def _work(self) -> None:
        cond = self.cond
        items = self.items
        while True:
            with cond:
                while True:
                    if self.stopping:
                        return
                    if not items:
                        cond.wait()
                        continue
                    now = time.monotonic()
                    batch, timed_out, wake = select_batch(items, now)
                    if timed_out:
                        cond.release()  # answer them without holding the lock
                        try:
                            self._expire(timed_out)
                        finally:
                            cond.acquire()
                    if batch is not None:
                        self.busy += 1
                        break
                    if timed_out:
                        continue  # the queue may have changed while unlocked
                    cond.wait(None if wake == INF else max(wake - now, _MIN_WAIT))
            try:
                try:
                    results, error, seconds = run_batch(batch)
                except BaseException as exc:  # never lose a batch: its callers need an answer
                    results, error, seconds = None, error_of(exc), 0.0
                self._deliver(batch, results, error, seconds)
            finally:
                with cond:
                    self.busy -= 1
                    self.batches += 1
