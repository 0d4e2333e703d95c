"""Shared benchmark helpers: start/stop servers by PID, CPU pinning, CPU accounting,
waiting for a quiet machine, a tiny synchronous RESP client, and result files.

Every benchmark compares side by side in one run (pyredisai and a real redis-server on
the same host), because only ratios transfer between machines. Servers are pinned to
CPU 0 and load generators to CPU 1 when `taskset` exists and there are two CPUs, so the
client never steals the server's core. Only processes started here are stopped, by PID.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")
SERVER_CPU = 0
CLIENT_CPU = 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pin_prefix(cpu: int) -> list[str]:
    """`taskset -c <cpu>` when pinning is possible, else nothing."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > cpu:
        return ["taskset", "-c", str(cpu)]
    return []


def proc_cpu_seconds(pid: int) -> float:
    """utime+stime of every thread of `pid` (10 ms ticks; use windows of seconds)."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return 0.0
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / CLK_TCK


def busy_cores_seconds() -> float:
    """Machine-wide busy CPU seconds (all cores) from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / CLK_TCK


def wait_quiet(max_busy_cores: float = 0.15, window: float = 1.0, timeout: float = 120.0) -> float:
    """Wait until the machine is nearly idle (other people's tests share it); returns the
    seconds waited (gives up after `timeout`, so a busy machine only adds noise)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        b0, t0 = busy_cores_seconds(), time.monotonic()
        time.sleep(window)
        if (busy_cores_seconds() - b0) / (time.monotonic() - t0) < max_busy_cores:
            break
    return time.monotonic() - start


class RespClient:
    """A minimal blocking RESP client for setup and checks (not for load)."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 60.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = bytearray()

    def close(self) -> None:
        self.sock.close()

    def _fill(self) -> None:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buf += chunk

    def _line(self) -> bytes:
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[: i + 2]
                return line
            self._fill()

    def read(self) -> Any:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b":"):
            return rest if kind == b"+" else int(rest)
        if kind == b"-":
            raise RuntimeError(rest.decode(errors="replace"))
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data = bytes(self.buf[:n])
            del self.buf[: n + 2]
            return data
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError(f"unexpected reply {line[:40]!r}")

    def call(self, *args: bytes | str | int) -> Any:
        self.sock.sendall(encode_command(*args))
        return self.read()


def encode_command(*args: bytes | str | int) -> bytes:
    """A RESP multibulk request, pre-encoded once and sent many times by load generators."""
    parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
    out = [b"*%d\r\n" % len(parts)]
    for p in parts:
        out.append(b"$%d\r\n" % len(p))
        out.append(p)
        out.append(b"\r\n")
    return b"".join(out)


def redis_benchmark(port: int, n: int, *args: str) -> dict[str, float]:
    """One redis-benchmark run of `n` requests (pinned to the client CPU) with `args`
    (clients, pipeline, test or command); its CSV row."""
    argv = [*pin_prefix(CLIENT_CPU), "redis-benchmark", "-h", "127.0.0.1", "-p", str(port),
            "-n", str(n), "--csv", *args]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    if not rows:
        raise RuntimeError(
            f"redis-benchmark {' '.join(args)} gave no result: {out.stderr.strip()[:300]}"
        )
    row = rows[0]
    return {
        "rps": float(row["rps"]),
        "avg_ms": float(row["avg_latency_ms"]),
        "p50_ms": float(row["p50_latency_ms"]),
        "p99_ms": float(row["p99_latency_ms"]),
    }


def with_server_cpu(port: int, go: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a load (`go` returns its result, with "total" requests) and add the server's
    CPU per request and utilisation from INFO cpu, and the machine's busy cores."""
    cpu0 = info_cpu(port)
    busy0 = busy_cores_seconds()
    t0 = time.monotonic()
    result = go()
    wall = time.monotonic() - t0
    cpu1 = info_cpu(port)
    if cpu0 is not None and cpu1 is not None:
        result["server_cpu_us_per_req"] = (cpu1 - cpu0) / max(1, result["total"]) * 1e6
        result["server_cpu_util"] = (cpu1 - cpu0) / wall
    result["machine_busy_cores"] = (busy_cores_seconds() - busy0) / wall
    return result


def info_cpu(port: int) -> float | None:
    """used_cpu_sys + used_cpu_user from INFO cpu (getrusage precision), if answered."""
    split = info_cpu_split(port)
    return None if split is None else split[0] + split[1]


def info_cpu_split(port: int) -> tuple[float, float] | None:
    """(used_cpu_user, used_cpu_sys) from INFO cpu, if answered: user time is the
    server's own code, system time mostly the socket calls both servers make alike."""
    try:
        client = RespClient(port, timeout=5)
        try:
            text = client.call("INFO", "cpu")
        finally:
            client.close()
    except (OSError, RuntimeError):
        return None
    if not isinstance(text, bytes):
        return None
    fields = dict(line.split(":", 1) for line in text.decode().splitlines() if ":" in line)
    try:
        return float(fields["used_cpu_user"]), float(fields["used_cpu_sys"])
    except (KeyError, ValueError):
        return None


class ServerProc:
    """A pyredisai, redis-server or floor-server process started (and stopped, by PID)
    by a benchmark."""

    def __init__(
        self, kind: str, extra: list[str] | None = None, cpu: int | None = SERVER_CPU
    ) -> None:
        self.kind = kind
        self.extra = list(extra or [])
        self.cpu = cpu
        self.port = 0
        self.dir = tempfile.mkdtemp(prefix=f"bench-{kind}-")
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        base = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--dir", self.dir]
        if self.kind == "redis":
            cmd = ["redis-server", *base, "--appendonly", "no", *self.extra]
        elif self.kind == "floor":  # benchmarks/floor_server.py: the bare Python floor
            cmd = [sys.executable, str(Path(__file__).with_name("floor_server.py")), str(self.port)]
        else:
            cmd = [sys.executable, "-m", "pyredisai", *base, *self.extra]
        return (pin_prefix(self.cpu) if self.cpu is not None else []) + cmd

    def start(self, timeout: float = 30.0) -> ServerProc:
        for _ in range(5):
            self.port = free_port()
            log = open(os.path.join(self.dir, "server.log"), "ab")  # noqa: SIM115
            self.proc = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.dir
            )
            log.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    client = RespClient(self.port, timeout=1)
                    try:
                        if client.call("PING") == b"PONG":
                            return self
                    finally:
                        client.close()
                except (OSError, RuntimeError):
                    time.sleep(0.05)
            self.stop()
        raise RuntimeError(f"{self.kind} server did not start: {self.command()}\n{self.log_text()}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def cpu_seconds(self) -> float:
        return proc_cpu_seconds(self.pid)

    def log_text(self) -> str:
        try:
            return Path(self.dir, "server.log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the process this object started (by PID)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> ServerProc:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


def bench_parser(doc: str | None, quick_help: str) -> argparse.ArgumentParser:
    """The options the side-by-side benchmarks share: --runs, --quick, --no-wait."""
    ap = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help=quick_help)
    ap.add_argument("--no-wait", action="store_true", help="do not wait for an idle machine")
    return ap


def call_p50_s(call: Any, n: int, warm: int) -> float:
    """Median seconds of `n` timed calls of `call()` after `warm` untimed ones (an
    in-process baseline: the backend's own hot loop)."""
    for _ in range(warm):
        call()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return median(times)


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def write_result(name: str, payload: dict[str, Any]) -> Path:
    """benchmarks/results/<name>-<UTC time>.json; returns the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=True))
    return path


def publish(name: str, report: dict[str, Any], text: str) -> Path:
    """Keep `text` (the markdown table) in the report, write it, print both."""
    report["markdown"] = text
    path = write_result(name, report)
    print()
    print(text)
    print(f"\nresult: {path}")
    return path


def host_info() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    redis_version = ""
    try:
        out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True)
        redis_version = out.stdout.strip()
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": sys.version.split()[0],
        "redis_server": redis_version,
        "pinning": bool(pin_prefix(CLIENT_CPU)),
        "pyredisai_build": pyredisai_build(),
    }


def pyredisai_build() -> str:
    """ "mypyc" when the pyredisai that servers started from here import is the compiled
    build (`make compiled`, first on PYTHONPATH), else "python"; found without importing."""
    spec = importlib.util.find_spec("pyredisai.server")
    origin = spec.origin if spec is not None else None
    return "python" if origin is None or origin.endswith(".py") else "mypyc"
