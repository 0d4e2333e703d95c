"""One DAG call versus the same four commands sent separately, in one run.

The flow is RedisAI's typical inference chain on a 1x4 FLOAT tensor:

    AI.TENSORSET in ... -> AI.MODELEXECUTE m (TORCH, a + b) -> AI.SCRIPTEXECUTE s post
    (TorchScript, x * 2 + 1) -> AI.TENSORGET y BLOB

sent three ways to the same pyredisai server, by one closed-loop driver (pinned to CPU 1,
the server to CPU 0 when taskset exists), each connection using its own keys:

    dag         one AI.DAGEXECUTE with the four ops (intermediate tensors stay DAG-local)
    pipelined   the four commands written at once, the four replies read back
    sequential  the four commands one round trip at a time

at 1 connection (latency) and 16 connections (throughput), against two servers: the
default engine policy (short runs inline on the event loop) and `--inline-run-budget-us 0`
(every run handed to a worker thread, as RedisAI does). The same chain called in-process
(the backends without a server) is the floor. Cases run round-robin `--runs` times;
medians of flows/s, p50/p99 latency and server CPU per flow are reported, and a JSON
result lands in benchmarks/results/.

    python -m benchmarks.bench_dag [--runs 3] [--duration 2] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .common import (
    CLIENT_CPU,
    RespClient,
    ServerProc,
    encode_command,
    host_info,
    median,
    pin_prefix,
    wait_quiet,
    write_result,
)

MODEL_PATH = (
    Path(
        os.environ.get(
            "PYREDISAI_MODELS", Path(__file__).resolve().parent.parent.parent / "shared" / "models"
        )
    )
    / "pt-minimal.pt"
)
SCRIPT = (
    "def post(tensors: List[Tensor], keys: List[str], args: List[str]):\n"
    "    return tensors[0] * 2 + 1\n"
)
INPUT = [1.0, 2.0, 3.0, 4.0]
OUTPUT = [(2 * v) * 2 + 1 for v in INPUT]  # model: a + b with a = b = in; script: x * 2 + 1
MODES = ("dag", "pipelined", "sequential")
CONNECTIONS = (1, 16)
SERVERS = {"inline": [], "workers": ["--inline-run-budget-us", "0"]}


def _f32(values: list[float]) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


def flow_steps(mode: str, conn: int) -> list[tuple[bytes, bytes]]:
    """(request, exact reply) per round trip of one flow on connection `conn`."""
    tag = f"{{c{conn}}}"
    blob = _f32(INPUT)
    out = _f32(OUTPUT)
    tensorget_reply = b"$%d\r\n%s\r\n" % (len(out), out)
    ok = b"+OK\r\n"
    ops = [
        ("AI.TENSORSET", f"in{tag}", "FLOAT", 1, 4, "BLOB", blob),
        ("AI.MODELEXECUTE", "m", "INPUTS", 2, f"in{tag}", f"in{tag}", "OUTPUTS", 1, f"x{tag}"),
        ("AI.SCRIPTEXECUTE", "s", "post", "INPUTS", 1, f"x{tag}", "OUTPUTS", 1, f"y{tag}"),
        ("AI.TENSORGET", f"y{tag}", "BLOB"),
    ]
    replies = [ok, ok, ok, tensorget_reply]
    if mode == "dag":
        args: list[Any] = ["AI.DAGEXECUTE", "ROUTING", tag]
        for op in ops:
            args += ["|>", *op]
        return [(encode_command(*args), b"*4\r\n" + ok * 3 + tensorget_reply)]
    requests = [encode_command(*op) for op in ops]
    if mode == "pipelined":
        return [(b"".join(requests), b"".join(replies))]
    return list(zip(requests, replies, strict=True))


# -- the load driver (runs in its own process, pinned to the client CPU) ---------------------


class _Conn(asyncio.BufferedProtocol):
    """One connection's closed loop over the steps of a flow; counts reply bytes only
    (each step's exact reply was checked once before the load)."""

    def __init__(self, driver: _Driver, steps: list[tuple[bytes, int]]) -> None:
        self.driver = driver
        self.steps = steps
        self.step = 0
        self.pending = 0
        self.flow_start = 0.0
        self.buffer = memoryview(bytearray(1 << 16))
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.flow_start = time.perf_counter()
        self._send()

    def _send(self) -> None:
        request, self.pending = self.steps[self.step]
        assert self.transport is not None
        self.transport.write(request)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.pending -= nbytes
        if self.pending > 0:
            return
        self.step += 1
        if self.step == len(self.steps):
            now = time.perf_counter()
            self.driver.done(now, now - self.flow_start)
            self.step = 0
            self.flow_start = now
            if self.driver.stopping:
                assert self.transport is not None
                self.transport.close()
                return
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class _Driver:
    def __init__(self, window: tuple[float, float]) -> None:
        self.window_start, self.window_end = window
        self.stopping = False
        self.in_window = 0
        self.latencies: list[float] = []

    def done(self, now: float, latency: float) -> None:
        if self.window_start <= now <= self.window_end:
            self.in_window += 1
            self.latencies.append(latency)


async def drive(
    port: int, mode: str, connections: int, duration: float, warmup: float
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    driver = _Driver((start + warmup, start + warmup + duration))
    conns = []
    for n in range(connections):
        steps = [(req, len(reply)) for req, reply in flow_steps(mode, n)]
        _t, proto = await loop.create_connection(
            functools.partial(_Conn, driver, steps), "127.0.0.1", port
        )
        conns.append(proto)
    await asyncio.sleep(max(0.0, driver.window_end - time.perf_counter()))
    driver.stopping = True
    await asyncio.wait([c.closed for c in conns], timeout=60)
    lat = sorted(driver.latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1e6 if lat else float("nan")

    return {
        "flows": driver.in_window,
        "flows_per_s": driver.in_window / duration,
        "p50_us": pct(0.5),
        "p99_us": pct(0.99),
    }


# -- setup, checks, the in-process floor ----------------------------------------------------


def setup(port: int) -> None:
    client = RespClient(port)
    try:
        client.call("AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", MODEL_PATH.read_bytes())
        client.call("AI.SCRIPTSTORE", "s", "CPU", "ENTRY_POINTS", 1, "post", "SOURCE", SCRIPT)
        for mode in MODES:
            for conn in range(max(CONNECTIONS)):
                for request, reply in flow_steps(mode, conn):
                    client.sock.sendall(request)
                    while len(client.buf) < len(reply):
                        client._fill()
                    got = bytes(client.buf[: len(reply)])
                    del client.buf[: len(reply)]
                    if got != reply:
                        raise RuntimeError(f"{mode}: unexpected reply {got[:80]!r}")
    finally:
        client.close()


def in_process(seconds: float) -> dict[str, Any]:
    """The same chain through the backends in this process (no server, no protocol)."""
    import numpy as np

    from pyredisai.backends.base import ModelOptions
    from pyredisai.backends.torch import TorchBackend
    from pyredisai.backends.torch_script import compile_script

    model = TorchBackend().load(MODEL_PATH.read_bytes(), "CPU", ModelOptions())
    script = compile_script(SCRIPT, "CPU", ["post"])
    x = np.array([INPUT], np.float32)

    def forward(a: np.ndarray) -> list[np.ndarray]:
        return [o for o in model.run([a, a]) if o is not None]

    for _ in range(200):  # warm up (TorchScript profiles the first calls)
        script.run("post", forward(x), [], [], 1)
    n = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        out = script.run("post", forward(x), [], [], 1)
        n += 1
    elapsed = time.perf_counter() - start
    assert out[0].reshape(-1).tolist() == OUTPUT
    return {"flows_per_s": n / elapsed, "us_per_flow": elapsed / n * 1e6}


def run_case(
    server: ServerProc, mode: str, connections: int, duration: float, warmup: float
) -> dict[str, Any]:
    cmd = [
        *pin_prefix(CLIENT_CPU), sys.executable, "-m", "benchmarks.bench_dag", "--drive",
        "--port", str(server.port), "--mode", mode, "--connections", str(connections),
        "--duration", str(duration), "--warmup", str(warmup),
    ]  # fmt: skip
    cpu0 = server.cpu_seconds()
    out = subprocess.run(
        cmd, capture_output=True, text=True, cwd=str(Path(__file__).resolve().parent.parent)
    )
    if out.returncode != 0:
        raise RuntimeError(f"driver failed: {out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout)
    server_cpu = server.cpu_seconds() - cpu0
    total_flows = result["flows_per_s"] * (duration + warmup)
    result["server_cpu_us_per_flow"] = (
        server_cpu / total_flows * 1e6 if total_flows else float("nan")
    )
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=float, default=2.0)
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--quick", action="store_true", help="1 run of 1 s each")
    ap.add_argument(
        "--wait-timeout", type=float, default=120.0, help="longest wait for a quiet machine (s)"
    )
    ap.add_argument("--drive", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    ap.add_argument("--connections", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.drive:
        try:
            import uvloop

            runner: Any = uvloop.run
        except ImportError:  # pragma: no cover
            runner = asyncio.run
        print(
            json.dumps(
                runner(drive(args.port, args.mode, args.connections, args.duration, args.warmup))
            )
        )
        return {}
    if args.quick:
        args.runs, args.duration, args.warmup = 1, 1.0, 0.3
    waited = wait_quiet(timeout=args.wait_timeout)
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    servers = {name: ServerProc("pyredisai", extra).start() for name, extra in SERVERS.items()}
    try:
        for server in servers.values():
            setup(server.port)
        for _run in range(args.runs):
            for name, server in servers.items():
                for mode in MODES:
                    for connections in CONNECTIONS:
                        case = f"{mode} c={connections}"
                        outcome = run_case(server, mode, connections, args.duration, args.warmup)
                        results.setdefault(name, {}).setdefault(case, []).append(outcome)
    finally:
        for server in servers.values():
            server.cleanup()
    floor = in_process(max(1.0, args.duration))
    summary: dict[str, Any] = {}
    print(f"in-process floor (model + script, no server): {floor['us_per_flow']:.1f} us/flow")
    print(
        f"{'server':8} {'case':16} {'flows/s':>9} {'p50 us':>8} {'p99 us':>8} {'srv us/flow':>11} {'vs dag':>7}"
    )
    for name, cases in results.items():
        summary[name] = {}
        for case, runs in cases.items():
            row = {key: median([r[key] for r in runs]) for key in runs[0]}
            summary[name][case] = row
        for case, row in summary[name].items():
            dag = summary[name][f"dag c={case.split('c=')[1]}"]["flows_per_s"]
            print(
                f"{name:8} {case:16} {row['flows_per_s']:9.0f} {row['p50_us']:8.0f} {row['p99_us']:8.0f} "
                f"{row['server_cpu_us_per_flow']:11.1f} {row['flows_per_s'] / dag:6.2f}x"
            )
    result: dict[str, Any] = {
        "host": host_info(),
        "waited_for_quiet_s": waited,
        "args": vars(args),
        "in_process": floor,
        "results": summary,
    }
    path = write_result("bench_dag", result)
    print(f"result: {path}")
    return result


if __name__ == "__main__":
    main()
