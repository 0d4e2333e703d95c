"""DAG execution on the engine (RedisAI `src/execution/DAG/`, reference section 6.5).

A DAG is planned by the command layer into numbered *slots* (one per tensor version: a
LOADed key, a TENSORSET, each output of a model or script op) and *steps* (the model and
script ops, in DAG order, each reading and writing slots). `DagRun` then drives the
steps through `Engine.submit`, so they use the device queues, the inline policy,
auto-batching and AI.INFO counting exactly like single commands:

- the steps of one device run in DAG order, one at a time (RedisAI never reorders nor
  parallelises ops of one device, even independent ones);
- steps of different devices run concurrently as soon as their inputs exist;
- the first failure marks the DAG failed: steps not yet started are skipped, running
  ones finish; a TIMEOUT that passes before a step starts stops the DAG (TIMEDOUT).

Slots hold numpy arrays (None until produced). Nothing here knows RESP or the keyspace.
Loop thread only: `start`, the completion callbacks and every field.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from functools import partial
from typing import Any

from ..errors import DAG_INPUT_NOT_FOUND, ENGINE_SHUT_DOWN, CommandError
from .core import Engine
from .runs import RunFn, RunRequest, RunTarget, TimedOut

PENDING, RUNNING, DONE, FAILED = 0, 1, 2, 3


class DagStep:
    """One model or script op: where it runs, what it reads and what it defines.

    `fn` overrides the target's runnable (a script function with its KEYS and ARGS bound);
    `outputs[i]` is the slot that output i of the run defines. After the run: `state` is
    DONE or FAILED (with `error`); a step that never ran stays PENDING (reply NA)."""

    __slots__ = ("target", "fn", "inputs", "outputs", "state", "error", "queue")

    def __init__(
        self, target: RunTarget, inputs: list[int], outputs: list[int], fn: RunFn | None = None
    ) -> None:
        self.target = target
        self.fn = fn
        self.inputs = inputs
        self.outputs = outputs
        self.state = PENDING
        self.error: CommandError | None = None
        self.queue = target.queue.name  # RedisAI groups devices case-insensitively

    def __repr__(self) -> str:
        return f"<DagStep {self.queue} in={self.inputs} out={self.outputs} state={self.state}>"


class DagRun:
    """Runs `steps` over `slots` once; `start()` returns a future resolved (with None)
    when nothing runs any more. Then read `timed_out`, `failed`, each step's state and
    the slots."""

    def __init__(
        self, engine: Engine, steps: list[DagStep], slots: list[Any], timeout_ms: int = 0
    ) -> None:
        self.engine = engine
        self.steps = steps
        self.slots = slots
        self.deadline = time.monotonic() + timeout_ms / 1000.0 if timeout_ms > 0 else 0.0
        self.failed = False
        self.timed_out = False
        self._producer: dict[int, DagStep] = {s: step for step in steps for s in step.outputs}
        self._queues: dict[str, deque[DagStep]] = {}
        for step in steps:
            self._queues.setdefault(step.queue, deque()).append(step)
        self._busy: set[str] = set()
        self._future: asyncio.Future[None] | None = None

    def start(self) -> asyncio.Future[None]:
        self._future = self.engine.loop.create_future()
        self._pump()
        return self._future

    def _pump(self) -> None:
        """Start every step that may start now; finish when nothing runs or can run."""
        if not (self.failed or self.timed_out):
            for name, queue in self._queues.items():
                if name in self._busy or not queue:
                    continue
                step = queue[0]
                ready = self._ready(step)
                if ready is None:
                    continue  # an input is still being produced on another device
                queue.popleft()
                if not ready:
                    step.state = FAILED
                    step.error = CommandError(DAG_INPUT_NOT_FOUND)
                    self.failed = True
                    break
                if not self._submit(name, step):
                    break
        if not self._busy and self._future is not None and not self._future.done():
            if self.failed or self.timed_out or not any(self._queues.values()):
                self._future.set_result(None)

    def _ready(self, step: DagStep) -> bool | None:
        """True if every input exists; None if one is still to be produced; False if one
        never will be (its producer ran but gave no tensor for it)."""
        slots = self.slots
        for s in step.inputs:
            if slots[s] is None:
                producer = self._producer.get(s)
                if producer is not None and producer.state in (PENDING, RUNNING):
                    return None
                return False
        return True

    def _submit(self, name: str, step: DagStep) -> bool:
        timeout_ms = 0
        if self.deadline:
            left = self.deadline - time.monotonic()
            if left < 0:
                self.timed_out = True
                return False
            timeout_ms = max(1, math.ceil(left * 1000.0))
        inputs = [self.slots[s] for s in step.inputs]
        step.state = RUNNING
        self._busy.add(name)
        fut = self.engine.submit(RunRequest(step.target, inputs, timeout_ms, step.fn))
        fut.add_done_callback(partial(self._finished, name, step))
        return True

    def _finished(self, name: str, step: DagStep, fut: asyncio.Future[Any]) -> None:
        self._busy.discard(name)
        if fut.cancelled():
            step.state = FAILED
            step.error = CommandError(ENGINE_SHUT_DOWN)
            self.failed = True
        else:
            exc = fut.exception()
            if exc is None:
                step.state = DONE
                outputs = fut.result()
                for slot, value in zip(step.outputs, outputs, strict=False):
                    self.slots[slot] = value
            elif isinstance(exc, TimedOut):
                step.state = PENDING  # never ran: NA
                self.timed_out = True
            else:
                step.state = FAILED
                step.error = exc if isinstance(exc, CommandError) else CommandError(str(exc))
                self.failed = True
        self._pump()
