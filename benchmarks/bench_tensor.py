"""AI.TENSORSET / AI.TENSORGET vs SET / GET of the same bytes, pyredisai vs redis-server.

Starts pyredisai and a real redis-server side by side on loopback (each pinned to CPU 0,
the load generator to CPU 1 when taskset is available) and drives, for each payload size
(1 KB, 1 MB, 100 MB by default), with one identical closed-loop load generator
(`benchmarks.loadgen`):

    redis-server  SET, GET
    pyredisai     SET, GET, AI.TENSORSET ... BLOB, AI.TENSORGET ... BLOB

Each case runs `--runs` times (round-robin, so drift hits every case alike); the report
gives medians of req/s, server CPU per request, and the ratios the tensor issue sets
goals for (TENSORSET/TENSORGET on pyredisai vs SET/GET on redis-server: >= 0.8x, aim
0.95x, for 1 MB and 100 MB). A JSON result lands in benchmarks/results/.

    python -m benchmarks.bench_tensor [--sizes 1KB,1MB,100MB] [--runs 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from .common import (
    CLIENT_CPU,
    RespClient,
    ServerProc,
    busy_cores_seconds,
    encode_command,
    host_info,
    median,
    pin_prefix,
    wait_quiet,
    write_result,
)

SIZES = {"1KB": 1024, "1MB": 1024 * 1024, "100MB": 100 * 1024 * 1024}
# (connections, pipeline, duration s, warmup s) per size
LOAD = {
    "1KB": (50, 1, 2.0, 0.5),
    "1MB": (8, 1, 2.0, 0.5),
    "100MB": (2, 1, 4.0, 1.0),
}
QUICK_LOAD = {
    "1KB": (50, 1, 1.0, 0.3),
    "1MB": (8, 1, 1.0, 0.3),
    "100MB": (2, 1, 2.0, 0.5),
}
CASES = [
    ("redis", "SET"),
    ("redis", "GET"),
    ("pyredisai", "SET"),
    ("pyredisai", "GET"),
    ("pyredisai", "AI.TENSORSET"),
    ("pyredisai", "AI.TENSORGET"),
]


@dataclass
class Case:
    server: str
    op: str
    request: bytes
    reply: bytes  # the exact expected reply (checked once before the load)
    setup: list[tuple[Any, ...]]


def make_case(server: str, op: str, payload: bytes) -> Case:
    n = len(payload)
    bulk = b"$%d\r\n" % n + payload + b"\r\n"
    tensor_set = ("AI.TENSORSET", "bench:tensor", "FLOAT", n // 4, "BLOB", payload)
    if op == "SET":
        return Case(server, op, encode_command("SET", "bench:str", payload), b"+OK\r\n", [])
    if op == "GET":
        return Case(
            server, op, encode_command("GET", "bench:str"), bulk, [("SET", "bench:str", payload)]
        )
    if op == "AI.TENSORSET":
        return Case(server, op, encode_command(*tensor_set), b"+OK\r\n", [])
    return Case(
        server, op, encode_command("AI.TENSORGET", "bench:tensor", "BLOB"), bulk, [tensor_set]
    )


def check_reply(port: int, case: Case) -> None:
    """Send the request once and compare the raw reply bytes with the expected ones."""
    client = RespClient(port)
    try:
        for cmd in case.setup:
            client.call(*cmd)
        client.sock.sendall(case.request)
        while len(client.buf) < len(case.reply):
            client._fill()
        got = bytes(client.buf[: len(case.reply)])
        if got != case.reply or len(client.buf) != len(case.reply):
            raise RuntimeError(f"{case.server} {case.op}: unexpected reply {got[:60]!r}")
    finally:
        client.close()


def run_load(
    server: ServerProc, case: Case, request_file: str, load: tuple[int, int, float, float]
) -> dict[str, Any]:
    connections, pipeline, duration, warmup = load
    cmd = [
        *pin_prefix(CLIENT_CPU),
        sys.executable,
        "-m",
        "benchmarks.loadgen",
        "--port", str(server.port),
        "--request-file", request_file,
        "--reply-len", str(len(case.reply)),
        "--connections", str(connections),
        "--pipeline", str(pipeline),
        "--duration", str(duration),
        "--warmup", str(warmup),
    ]  # fmt: skip
    cpu0 = server.cpu_seconds()
    busy0 = busy_cores_seconds()
    child0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    out = subprocess.run(
        cmd, capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(__file__))
    )
    wall = time.monotonic() - t0
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed: {out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout)
    server_cpu = server.cpu_seconds() - cpu0
    child1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = (child1.ru_utime - child0.ru_utime) + (child1.ru_stime - child0.ru_stime)
    other = busy_cores_seconds() - busy0 - server_cpu - client_cpu
    result["server_cpu_us_per_req"] = server_cpu / max(1, result["total"]) * 1e6
    result["server_cpu_util"] = server_cpu / wall
    result["client_cpu_util"] = client_cpu / wall
    result["other_load_cores"] = max(0.0, other / wall)
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="1KB,1MB,100MB")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="shorter runs (smoke test)")
    ap.add_argument("--no-wait", action="store_true", help="do not wait for an idle machine")
    ap.add_argument(
        "--wait-timeout",
        type=float,
        default=20.0,
        help="longest wait for an idle machine per run (s)",
    )
    args = ap.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    loads = QUICK_LOAD if args.quick else LOAD
    servers = {"redis": ServerProc("redis"), "pyredisai": ServerProc("pyredisai")}
    report: dict[str, Any] = {"host": host_info(), "runs": args.runs, "sizes": {}}
    try:
        for s in servers.values():
            s.start()
        with tempfile.TemporaryDirectory(prefix="bench-tensor-") as tmp:
            for size in sizes:
                payload = os.urandom(SIZES[size])
                cases = [make_case(srv, op, payload) for srv, op in CASES]
                files = {}
                for case in cases:
                    path = os.path.join(tmp, f"{case.server}-{case.op}.req")
                    with open(path, "wb") as f:
                        f.write(case.request)
                    files[(case.server, case.op)] = path
                runs: dict[str, list[dict[str, Any]]] = {f"{c.server} {c.op}": [] for c in cases}
                for _rep in range(args.runs):
                    for case in cases:
                        server = servers[case.server]
                        check_reply(server.port, case)
                        if not args.no_wait:
                            wait_quiet(timeout=args.wait_timeout)
                        result = run_load(server, case, files[(case.server, case.op)], loads[size])
                        runs[f"{case.server} {case.op}"].append(result)
                        print(
                            f"{size:>5} {case.server:>9} {case.op:<13} {result['rps']:>10.1f} req/s"
                            f"  p50 {result['p50_ms']:.3f} ms  cpu/req {result['server_cpu_us_per_req']:.1f} us"
                            f"  other load {result['other_load_cores']:.2f}"
                            f"  longest gap {result['max_gap_ms']:.0f} ms",
                            flush=True,
                        )
                    del case
                report["sizes"][size] = summarize(size, runs, loads[size])
                del payload, cases
    finally:
        for s in servers.values():
            s.cleanup()
    result_path = write_result("bench_tensor", report)
    print_table(report)
    print(f"\nresult: {result_path}")
    return report


def summarize(
    size: str, runs: dict[str, list[dict[str, Any]]], load: tuple[int, int, float, float]
) -> dict[str, Any]:
    med: dict[str, dict[str, Any]] = {
        name: {
            "rps": median([r["rps"] for r in rs]),
            "p50_ms": median([r["p50_ms"] for r in rs]),
            "server_cpu_us_per_req": median([r["server_cpu_us_per_req"] for r in rs]),
            "rps_best": max(r["rps"] for r in rs),
            "rps_runs": [round(r["rps"], 1) for r in rs],
            "other_load_cores": [round(r["other_load_cores"], 2) for r in rs],
        }
        for name, rs in runs.items()
    }

    def ratio(a: str, b: str, field: str = "rps") -> float:
        den = float(med[b][field])
        return float(med[a][field]) / den if den else float("nan")

    return {
        "bytes": SIZES[size],
        "load": dict(zip(("connections", "pipeline", "duration_s", "warmup_s"), load, strict=True)),
        "median": med,
        "ratios": {
            "tensorset_vs_redis_set": ratio("pyredisai AI.TENSORSET", "redis SET"),
            "tensorget_vs_redis_get": ratio("pyredisai AI.TENSORGET", "redis GET"),
            "best_tensorset_vs_redis_set": ratio("pyredisai AI.TENSORSET", "redis SET", "rps_best"),
            "best_tensorget_vs_redis_get": ratio("pyredisai AI.TENSORGET", "redis GET", "rps_best"),
            "tensorset_vs_pyredisai_set": ratio("pyredisai AI.TENSORSET", "pyredisai SET"),
            "tensorget_vs_pyredisai_get": ratio("pyredisai AI.TENSORGET", "pyredisai GET"),
            "pyredisai_set_vs_redis_set": ratio("pyredisai SET", "redis SET"),
            "pyredisai_get_vs_redis_get": ratio("pyredisai GET", "redis GET"),
            "cpu_per_req_tensorset_vs_redis_set": ratio(
                "pyredisai AI.TENSORSET", "redis SET", "server_cpu_us_per_req"
            ),
            "cpu_per_req_tensorget_vs_redis_get": ratio(
                "pyredisai AI.TENSORGET", "redis GET", "server_cpu_us_per_req"
            ),
        },
        "runs": runs,
    }


def print_table(report: dict[str, Any]) -> None:
    print("\nmedian req/s, best req/s, median server CPU us/req")
    for size, data in report["sizes"].items():
        med = data["median"]
        print(f"\n{size}:")
        for name, m in med.items():
            print(
                f"  {name:<24} {m['rps']:>10.1f} {m['rps_best']:>10.1f}"
                f"  {m['server_cpu_us_per_req']:>9.1f}"
            )
        for name, value in data["ratios"].items():
            print(f"  {name:<38} {value:.2f}x")


if __name__ == "__main__":
    main()
