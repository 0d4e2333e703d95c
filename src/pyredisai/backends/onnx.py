"""ONNX backend: onnxruntime InferenceSession from bytes, ONNX-ML operators included.

Mirrors RedisAI's `src/backends/onnxruntime.c`: basic graph optimisations, the
INTRA/INTER_OP_PARALLELISM counts, CUDA for GPU devices, non-tensor outputs (sequences,
maps such as scikit-learn's ZipMap) skipped, MODEL_EXECUTION_TIMEOUT through the run's
terminate flag and BACKEND_MEMORY_LIMIT for sessions on the exact device `CPU`.

BACKEND_MEMORY_LIMIT, as far as onnxruntime's Python API allows: RedisAI counts every ORT
CPU allocation through its own allocator. Here limited sessions allocate from one shared
onnxruntime arena capped at the limit (run-time buffers; the first limit seen is the
process's, as the option is load-time only in RedisAI), and a store is refused when the
blobs of the live limited models would pass the limit (weights, which ORT keeps outside
that arena). Failures carry RedisAI's "Onnxruntime memory limit exceeded" text.
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
import onnxruntime as ort

from ..errors import (
    GPU_NO_CUDA_ONNX,
    ONNX_EXPECTED_INPUTS,
    ONNX_EXTERNAL_DATA,
    ONNX_INIT_EXCEPTION,
    ONNX_MEMORY_LIMIT,
    ONNX_STRING_NOT_UTF8,
    UNSUPPORTED_DEVICE,
)
from .base import Array, BackendError, ModelOptions, as_bytes
from .device import parse_device

_CUDA = "CUDAExecutionProvider"
_CPU_PROVIDERS = ["CPUExecutionProvider"]
_ORT_PREFIX = re.compile(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ")
_ARENA_FAILURE = re.compile(r"Available memory of \d+ is smaller than requested bytes|bfc_arena")
# RedisAI shipped ORT 1.11, whose shape error said "inputs"; newer ORTs say "inputs/outputs".
_SHAPE_HINT_NEW = "Please fix either the inputs/outputs or the model."
_SHAPE_HINT_OLD = "Please fix either the inputs or the model."


class ONNXBackend:
    name = "ONNX"

    def load(self, blob: bytes, device: str, options: ModelOptions) -> ONNXModel:
        return ONNXModel(as_bytes(blob), device, options)

    def version(self) -> str:
        return str(ort.__version__)


class ONNXModel:
    """One InferenceSession. ORT sessions are thread-safe and release the GIL in run."""

    def __init__(self, blob: bytes, device: str, options: ModelOptions) -> None:
        dev = parse_device(device)
        if dev is None:
            raise BackendError(UNSUPPORTED_DEVICE)
        so = ort.SessionOptions()
        so.log_severity_level = 4  # bad client input must not write a log line per run
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC  # as RedisAI
        if options.intra_op_threads > 0:
            so.intra_op_num_threads = options.intra_op_threads
        if options.inter_op_threads > 0:
            so.inter_op_num_threads = options.inter_op_threads
        providers: list[Any] = _CPU_PROVIDERS
        if dev.gpu:
            if not cuda_available():
                raise BackendError(GPU_NO_CUDA_ONNX)
            providers = [(_CUDA, {"device_id": max(dev.index, 0)}), *_CPU_PROVIDERS]
        if b"location" in blob:  # cheap filter: external data entries carry a "location" key
            _refuse_external_data(blob)
        reserved = 0
        if options.memory_limit_mb > 0 and device.upper() == "CPU":
            reserved = _reserve_limited(so, options.memory_limit_mb * 1_000_000, len(blob))
        try:
            session = ort.InferenceSession(blob, so, providers=providers)
        except Exception as exc:
            _release_limited(reserved)
            raise BackendError(_load_message(exc)) from None
        if dev.gpu and _CUDA not in session.get_providers():
            raise BackendError(GPU_NO_CUDA_ONNX)
        if reserved:
            weakref.finalize(self, _release_limited, reserved)
        self._session = session
        # The C++ session's run skips the Python wrapper's per-call checks (a few µs).
        self._run = getattr(session, "_sess", session).run
        self.input_names = [i.name for i in session.get_inputs()]
        self.output_names = [o.name for o in session.get_outputs()]
        out_types = [o.type for o in session.get_outputs()]
        in_types = [i.type for i in session.get_inputs()]
        self._n_inputs = len(self.input_names)
        self._string_in = tuple(t == "tensor(string)" for t in in_types)
        self._any_string_in = any(self._string_in)
        self._kinds = tuple(
            0 if not t.startswith("tensor(") else 2 if t == "tensor(string)" else 1
            for t in out_types
        )  # 0: not a tensor (skipped), 1: numeric tensor, 2: string tensor
        self._plain_out = all(k == 1 for k in self._kinds)
        self._timeout_s = options.execution_timeout_ms / 1000.0

    def run(self, inputs: Sequence[Array]) -> list[Array | None]:
        if len(inputs) != self._n_inputs:
            raise BackendError(
                ONNX_EXPECTED_INPUTS.format(expected=self._n_inputs, got=len(inputs))
            )
        if self._any_string_in:
            inputs = [
                _to_ort_strings(a) if s else a for a, s in zip(inputs, self._string_in, strict=True)
            ]
        feed = dict(zip(self.input_names, inputs, strict=True))
        try:
            slot: _RunSlot = _local.slot
        except AttributeError:
            slot = _local.slot = _watchdog.slot()
        timeout = self._timeout_s
        armed = timeout > 0 and not slot.deadline  # (defensively: not in a nested run)
        if armed:
            slot.deadline = time.monotonic() + timeout  # the watchdog may kill it now
            if not _watchdog.awake:
                _watchdog.wake()
        try:
            outputs: list[Any] = self._run(self.output_names, feed, slot.options)
        except Exception as exc:
            raise BackendError(_run_message(exc)) from None
        finally:
            if armed:
                slot.disarm()
        if self._plain_out:
            return outputs
        return [_from_ort(out, kind) for out, kind in zip(outputs, self._kinds, strict=True)]


# -- conversions ------------------------------------------------------------------------


def _to_ort_strings(arr: Array) -> Array:
    """ORT's Python binding wants str elements (it stringifies bytes as "b'..'")."""
    out = np.empty(arr.shape, dtype=object)
    try:
        out.reshape(-1)[:] = [e.decode("utf-8") for e in arr.reshape(-1)]
    except (UnicodeDecodeError, AttributeError) as exc:
        raise BackendError(ONNX_STRING_NOT_UTF8.format(detail=exc)) from None
    return out


def _from_ort(out: Any, kind: int) -> Array | None:
    if kind == 0 or not isinstance(out, np.ndarray):
        return None  # sequence/map output: RedisAI logs a warning and skips it
    if kind == 2:
        enc = np.empty(out.shape, dtype=object)
        enc.reshape(-1)[:] = [s.encode("utf-8") for s in out.reshape(-1)]
        return enc
    return out


def _strip(exc: BaseException) -> str:
    """ORT's C API message, as RedisAI gets it (the Python binding adds a status prefix)."""
    text = _ORT_PREFIX.sub("", str(exc), count=1)
    return text.replace(_SHAPE_HINT_NEW, _SHAPE_HINT_OLD)


def _load_message(exc: BaseException) -> str:
    text = _strip(exc)
    if _ARENA_FAILURE.search(text):
        return ONNX_INIT_EXCEPTION.format(message=ONNX_MEMORY_LIMIT)
    if "external data" in text.lower():
        return ONNX_EXTERNAL_DATA
    return text


def _run_message(exc: BaseException) -> str:
    text = _strip(exc)
    match = _ARENA_FAILURE.search(text)
    if match is None:
        return text
    head, sep, _ = text.partition("Status Message: ")
    return head + sep + ONNX_MEMORY_LIMIT if sep else ONNX_MEMORY_LIMIT


def _refuse_external_data(blob: bytes) -> None:
    """RedisAI refuses initializers stored outside the blob (they would be read from the
    server's working directory)."""
    try:
        import onnx
    except ImportError:  # ORT then refuses paths outside the working directory itself
        return
    try:
        model = onnx.load_model_from_string(blob)
    except Exception:  # not a valid model: let onnxruntime report it its own way
        return
    if _has_external_tensors(model, onnx.TensorProto.EXTERNAL):
        raise BackendError(ONNX_EXTERNAL_DATA)


def _has_external_tensors(model: Any, external: int) -> bool:
    """Walks initializers and node attributes of the graph, its subgraphs and functions."""
    graphs = [model.graph]
    nodes = [node for function in model.functions for node in function.node]
    while graphs or nodes:
        if graphs:
            graph = graphs.pop()
            tensors = [*graph.initializer]
            tensors += [t for s in graph.sparse_initializer for t in (s.values, s.indices)]
            if any(t.data_location == external for t in tensors):
                return True
            nodes.extend(graph.node)
            continue
        for attr in nodes.pop().attribute:
            if attr.t.data_location == external:
                return True
            if any(t.data_location == external for t in attr.tensors):
                return True
            if attr.HasField("g"):
                graphs.append(attr.g)
            graphs.extend(attr.graphs)
    return False


# -- devices ----------------------------------------------------------------------------


@cache
def cuda_available() -> bool:
    """Whether this onnxruntime build has the CUDA provider (checked once per process)."""
    return _CUDA in ort.get_available_providers()


# -- BACKEND_MEMORY_LIMIT ---------------------------------------------------------------

_mem_lock = threading.Lock()
_arena_limit = 0  # bytes of the registered shared arena (0: none yet)
_limited_bytes = 0  # blob bytes of live limited sessions


def _reserve_limited(so: ort.SessionOptions, limit: int, blob_len: int) -> int:
    """Count the blob against the limit and point the session at the shared capped
    arena; returns the bytes reserved (give them back with `_release_limited`)."""
    global _arena_limit, _limited_bytes
    with _mem_lock:
        if _limited_bytes + blob_len > limit:
            raise BackendError(ONNX_INIT_EXCEPTION.format(message=ONNX_MEMORY_LIMIT))
        if not _arena_limit:
            info = ort.OrtMemoryInfo(
                "Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT
            )
            cfg = ort.OrtArenaCfg({"max_mem": limit, "arena_extend_strategy": 1})
            ort.create_and_register_allocator(info, cfg)
            _arena_limit = limit
        _limited_bytes += blob_len
    so.add_session_config_entry("session.use_env_allocators", "1")
    return blob_len


def _release_limited(blob_len: int) -> None:
    global _limited_bytes
    if blob_len:
        with _mem_lock:
            _limited_bytes -= blob_len


# -- MODEL_EXECUTION_TIMEOUT ------------------------------------------------------------


class _RunSlot:
    """One thread's reusable RunOptions and the deadline of the run it is executing.

    Reusing the RunOptions and arming a float per run saves a RunOptions and a watchdog
    registration per run (about 1.5 µs, more than a tiny model's glue). The watchdog
    sets `terminate` only under `lock` while the slot is armed, and `disarm` clears a flag
    that came too late, so a kill never reaches the thread's next run."""

    __slots__ = ("options", "deadline", "killed", "lock")

    def __init__(self) -> None:
        self.options = ort.RunOptions()
        self.deadline = 0.0  # monotonic; 0.0 = no watched run on this thread
        self.killed = False
        self.lock = threading.Lock()

    def disarm(self) -> None:
        with self.lock:
            self.deadline = 0.0
            if self.killed:  # terminated (or flagged just after it ended): reset
                self.killed = False
                self.options.terminate = False

    def kill_if_late(self, now: float) -> float:
        """Watchdog thread: terminate an overdue run; returns the armed deadline (0.0:
        none, or killed now)."""
        deadline = self.deadline
        if not deadline:
            return 0.0
        if now < deadline:
            return deadline
        with self.lock:
            if self.deadline and now >= self.deadline:
                self.options.terminate = True
                self.killed = True
                self.deadline = 0.0
        return 0.0


_local = threading.local()


class _Watchdog:
    """Terminates ONNX runs that pass their deadline, as RedisAI's cron check does.

    One daemon thread, started on first use, polling the per-thread run slots every
    `period`. It sleeps for good only after `idle_polls` polls found nothing armed, and a
    run wakes it only then: under load a run costs no wake-up (an Event.set and a thread
    switch each), and an idle server has no polling thread. Kill latency is at most
    `period` past the deadline.
    """

    period = 0.1  # RedisAI checks once per cron tick (hz 10)
    idle_polls = 20

    def __init__(self) -> None:
        self._slots: list[_RunSlot] = []
        self._event = threading.Event()
        self.awake = False  # polling (read without a lock: see _loop)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def slot(self) -> _RunSlot:
        """A new thread's run slot, registered for polling."""
        slot = _RunSlot()
        with self._lock:
            self._slots = [*self._slots, slot]  # copy on write: the poller iterates freely
        return slot

    def wake(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    thread = threading.Thread(target=self._loop, name="onnx-watchdog", daemon=True)
                    thread.start()
                    self._thread = thread
        self.awake = True
        self._event.set()

    def _loop(self) -> None:
        event = self._event
        idle = 0
        while True:
            now = time.monotonic()
            earliest = 0.0
            for slot in self._slots:
                deadline = slot.kill_if_late(now)
                if deadline and (not earliest or deadline < earliest):
                    earliest = deadline
            if earliest:
                idle = 0
                time.sleep(min(max(earliest - now, 0.001), self.period))
                continue
            idle += 1
            if idle < self.idle_polls:
                time.sleep(self.period)
                continue
            # Sleep until a run wakes us. A run arms its slot before it reads `awake`, so
            # either it sees False and sets the event, or the check below sees it armed.
            idle = 0
            self.awake = False
            event.clear()
            if not any(slot.deadline for slot in self._slots):
                event.wait()
            self.awake = True


_watchdog = _Watchdog()
