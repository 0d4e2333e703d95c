"""Quiet-machine guard: keep measurements clean on a small machine shared with others.

Other people's test runs share this host, and on two cores any foreign load lands on the
server's or the load generator's core. So every measurement:

1. waits (`wait_quiet`) until the whole machine has been nearly idle for a few windows;
2. runs inside a `Guard`, which reads machine-wide busy CPU (/proc/stat) before and after
   and subtracts what our own processes used (the server, and the load generator as a
   child of this process): the rest is foreign load, in cores;
3. is repeated (`measure`) while the foreign load exceeds a threshold, up to a few
   attempts; the last attempt is kept and its foreign load is reported with it, so a
   result measured on a busy machine says so;
4. waits (`wait_fast`, a few seconds at most and 30 s per process in all) until a fixed
   interpreter workload on the server's CPU runs within 20% of the fastest time seen:
   a shared host has slow periods that show as no load inside this VM (other VMs
   contending for caches and memory bandwidth) yet slow the interpreter by up to 1.7×,
   coming and going within seconds. The probe's time is kept with the result, so a
   report can tell which measurements still fell in one.

Ported from shared/perf-probes/quiet.py (which PERFORMANCE.md part B used).
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable
from typing import Any, TypeVar

CLK_TCK = os.sysconf("SC_CLK_TCK")
T = TypeVar("T")


def busy_seconds(process_time_only: bool = True) -> float:
    """Machine-wide busy CPU seconds (all cores).

    process_time_only: user+nice+system+irq+softirq (loopback TCP done in softirq context
    counts here, while the kernel charges it to processes' stime); steal and guest left
    out. Otherwise everything except idle and iowait."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    if process_time_only:
        return (v[0] + v[1] + v[2] + v[5] + v[6]) / CLK_TCK
    return (sum(v) - v[3] - v[4]) / CLK_TCK


def speed_probe(cpu: int = 0, rounds: int = 3) -> float:
    """Seconds a fixed interpreter workload takes on `cpu` now (best of `rounds`; 2-3 ms
    each here). This process is pinned to `cpu` meanwhile where the OS allows it."""
    pinned = hasattr(os, "sched_setaffinity") and cpu < (os.cpu_count() or 1)
    if pinned:
        before = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {cpu})
    try:
        best = float("inf")
        for _ in range(rounds):
            started = time.perf_counter()
            table: dict[int, int] = {}
            for i in range(20_000):
                table[i & 1023] = table.get(i & 1023, 0) + i
            best = min(best, time.perf_counter() - started)
        return best
    finally:
        if pinned:
            os.sched_setaffinity(0, before)


_fastest_probe = [float("inf")]
_fast_wait_left = [float(os.environ.get("FAST_WAIT_BUDGET", "30"))]


def wait_fast(tolerance: float = 1.2, timeout: float = 3.0, cpu: int = 0) -> tuple[float, float]:
    """Probe `cpu` until it runs within `tolerance` of the fastest probe this process has
    seen, for at most `timeout` seconds and what is left of the process's budget.
    Returns (the last probe's seconds, seconds waited)."""
    started = time.monotonic()
    while True:
        took = speed_probe(cpu)
        _fastest_probe[0] = min(_fastest_probe[0], took)
        waited = time.monotonic() - started
        if took <= _fastest_probe[0] * tolerance or waited >= min(timeout, _fast_wait_left[0]):
            _fast_wait_left[0] = max(0.0, _fast_wait_left[0] - waited)
            return took, waited
        time.sleep(0.1)


def children_cpu_seconds() -> float:
    """CPU seconds of this process's finished children (the load generator runs)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def wait_quiet(
    max_busy_cores: float = 0.10,
    window: float = 0.5,
    need: int = 2,
    timeout: float = float(os.environ.get("QUIET_TIMEOUT", "60")),
    log: Callable[[str], None] | None = None,
) -> float:
    """Block until `need` consecutive windows each used < max_busy_cores (whole machine).

    Returns the seconds waited; gives up after `timeout` (the measurement then carries
    its foreign load), so a machine that never calms down only makes results noisier."""
    start = time.monotonic()
    ok = 0
    logged = False
    while time.monotonic() - start < timeout:
        b0, t0 = busy_seconds(False), time.monotonic()
        time.sleep(window)
        used = (busy_seconds(False) - b0) / (time.monotonic() - t0)
        ok = ok + 1 if used < max_busy_cores else 0
        if ok >= need:
            return time.monotonic() - start
        if log is not None and ok == 0 and not logged:
            log(f"waiting for a quiet machine (busy {used:.2f} cores)")
            logged = True
    if log is not None:
        log(f"machine still busy after {timeout:.0f} s; measuring anyway")
    return time.monotonic() - start


class Guard:
    """Foreign load (cores) during a block: machine busy time minus our own processes.

    `own_cpu` returns the CPU seconds of the processes we started that are not children
    (the server); the load generator is a child and is counted through getrusage once it
    has been waited for."""

    def __init__(self, own_cpu: Callable[[], float]) -> None:
        self.own_cpu = own_cpu
        self.foreign_cores = 0.0
        self.wall = 0.0

    def __enter__(self) -> Guard:
        self._b0 = busy_seconds()
        self._own0 = self.own_cpu()
        self._child0 = children_cpu_seconds()
        self._t0 = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = max(1e-9, time.monotonic() - self._t0)
        busy = busy_seconds() - self._b0
        own = (self.own_cpu() - self._own0) + (children_cpu_seconds() - self._child0)
        self.foreign_cores = max(0.0, (busy - own) / self.wall)


def measure(
    run: Callable[[], T],
    own_cpu: Callable[[], float],
    max_foreign: float = 0.10,
    attempts: int = 3,
    wait: bool = True,
    log: Callable[[str], None] | None = None,
    window: float = 0.5,
) -> tuple[T, dict[str, Any]]:
    """Run `run()` after waiting for quiet; retry while foreign load > max_foreign.

    Returns the last result and {"foreign_cores", "attempts", "waited_s", "probe_ms"}
    (`speed_probe` of CPU 0, the server's, just before the kept attempt, after
    `wait_fast`)."""
    waited = 0.0
    result: T | None = None
    guard = Guard(own_cpu)
    attempt = 0
    probe = 0.0
    for attempt in range(1, attempts + 1):  # noqa: B007 - reported below
        if wait:
            waited += wait_quiet(window=window, log=log)
        probe, slow_s = wait_fast()
        waited += slow_s
        guard = Guard(own_cpu)
        with guard:
            result = run()
        if guard.foreign_cores <= max_foreign:
            break
        if log is not None and attempt < attempts:
            log(f"foreign load {guard.foreign_cores:.2f} cores during the run; repeating it")
    assert result is not None
    return result, {
        "foreign_cores": round(guard.foreign_cores, 3),
        "attempts": attempt,
        "waited_s": round(waited, 1),
        "probe_ms": round(probe * 1000, 3),
    }
