"""Inputs for the engine tests: real ONNX Runtime models built in-test, plain Python
runnables for scheduling (a gate that holds a worker, a recorder, failing models), and a
runner that drives a coroutine on uvloop, the server's loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np

try:
    import uvloop

    LOOP_FACTORY: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
except ImportError:  # pragma: no cover - uvloop is a dependency off Windows
    LOOP_FACTORY = None

from pyredisai.engine import Engine


def run(body: Callable[[Engine], Awaitable[Any]], **engine_kw: Any) -> Any:
    """Run `body(engine)` on a fresh loop with a fresh engine, shut down afterwards."""

    async def main() -> Any:
        engine = Engine(asyncio.get_running_loop(), **engine_kw)
        try:
            return await asyncio.wait_for(body(engine), 60)
        finally:
            engine.shutdown(wait=True, timeout=10)

    with asyncio.Runner(loop_factory=LOOP_FACTORY) as runner:
        return runner.run(main())


def onnx_add_model(width: int = 2) -> Any:
    """An ONNX Runtime session computing a + b over [N, width] float32, N dynamic."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, ["N", width])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, ["N", width])
    c = helper.make_tensor_value_info("c", TensorProto.FLOAT, ["N", width])
    graph = helper.make_graph([helper.make_node("Add", ["a", "b"], ["c"])], "add", [a, b], [c])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


class OrtModel:
    """The LoadedModel shape over an ONNX Runtime session; records batch sizes and threads."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.input_names = [i.name for i in session.get_inputs()]
        self.output_names = [o.name for o in session.get_outputs()]
        self.batches: list[int] = []
        self.threads: list[str] = []

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        self.batches.append(int(inputs[0].shape[0]))
        self.threads.append(threading.current_thread().name)
        return list(self.session.run(None, dict(zip(self.input_names, inputs, strict=True))))


class Recorder:
    """A Python runnable: doubles its inputs, records each call's batch size and thread."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.batches: list[int] = []
        self.threads: list[str] = []

    def __call__(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        if self.seconds:
            import time

            time.sleep(self.seconds)
        self.batches.append(int(inputs[0].shape[0]) if inputs and inputs[0].ndim else 0)
        self.threads.append(threading.current_thread().name)
        return [x * 2 for x in inputs]


class Gate:
    """A runnable that holds its worker until `open()`: lets a test fill a queue first."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.entered = threading.Event()

    def __call__(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        self.entered.set()
        if not self.event.wait(30):
            raise RuntimeError("gate never opened")
        return list(inputs)

    def open(self) -> None:
        self.event.set()


async def wait_entered(gate: Gate) -> None:
    """Until the gate's worker holds it (without blocking the loop)."""
    for _ in range(3000):
        if gate.entered.is_set():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("gate never entered")


async def hold_worker(engine: Engine, value: float = 0) -> tuple[Gate, asyncio.Future[Any]]:
    """Occupy the CPU queue's worker with a Gate run: (the gate, that run's future)."""
    gate = Gate()
    held = engine.run(engine.target(gate, "CPU"), [rows(value)])
    await wait_entered(gate)
    return gate, held


def rows(value: float, n: int = 1, width: int = 2) -> np.ndarray:
    return np.full((n, width), value, dtype=np.float32)
