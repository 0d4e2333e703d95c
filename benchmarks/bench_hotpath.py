"""The request hot path in process: server CPU per command with no kernel in the way.

Feeds pre-encoded reads (the same command `--pipeline` times, as redis-benchmark -P
sends them) through `Client.get_buffer` / `Client.buffer_updated` of a real `Server`
whose transport only counts bytes, and reports the best of `--repeat` timings in
nanoseconds per command. Kernel time and the load generator are out of the picture, so
code changes show up at a few percent where loopback runs vary by 2x on a shared VM
(this is how the reader and dispatch passes of issue #9 were measured).

With `--baseline-src DIR` (the `src` folder of another checkout, e.g. a `git worktree`
of an older commit) each case runs in both trees, alternating, in separate processes,
and the table gives the ratio this tree / baseline.

    python -m benchmarks hotpath [--commands set,get] [--pipelines 1,16]
                                 [--baseline-src /tmp/base/src] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

from .common import SERVER_CPU, pin_prefix, write_result

COMMANDS: dict[str, list[bytes]] = {
    "ping_inline": [],  # sent as the inline line "PING\r\n", like redis-benchmark
    "ping": [b"PING"],
    "set": [b"SET", b"key:__rand_int__", b"xxx"],
    "get": [b"GET", b"key:__rand_int__"],
    "incr": [b"INCR", b"counter:__rand_int__"],
    "lpush": [b"LPUSH", b"mylist", b"xxx"],
    "hset": [b"HSET", b"myhash", b"element:__rand_int__", b"xxx"],
    "mset": [b"MSET", *[b"key:__rand_int__", b"xxx"] * 10],
}


def encode(argv: list[bytes]) -> bytes:
    return b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in argv)


class _CountingTransport:
    """Stands in for uvloop's transport: keeps nothing, counts bytes."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, data: bytes) -> None:
        self.written += len(data)

    def writelines(self, pieces: list[bytes]) -> None:
        self.written += sum(map(len, pieces))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def measure(command: str, pipeline: int, reads: int, repeat: int) -> float:
    """ns per command, best of `repeat` timings of `reads` reads (this process)."""
    import asyncio

    from pyredisai.config import Config
    from pyredisai.server import Client, Server

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    config = Config()
    config.load_string('save ""\nappendonly no\n')
    server = Server(config)
    server.loop = loop
    client = Client(server)
    client.connection_made(_CountingTransport())  # type: ignore[arg-type]
    data = (encode(COMMANDS[command]) if COMMANDS[command] else b"PING\r\n") * pipeline
    size = len(data)
    client.db.data[b"key:__rand_int__"] = b"xxx"

    def one_read() -> None:
        buf = client.get_buffer(-1)
        buf[:size] = data
        client.buffer_updated(size)

    for _ in range(max(200, reads // 10)):
        one_read()
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter_ns()
        for _ in range(reads):
            one_read()
        best = min(best, (time.perf_counter_ns() - started) / (reads * pipeline))
    loop.close()
    return best


def run_case(src: str | None, command: str, pipeline: int, reads: int, repeat: int) -> float:
    """One measurement in a fresh process pinned to the server CPU (`src`: other tree)."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    args = json.dumps([command, pipeline, reads, repeat])
    cmd = [*pin_prefix(SERVER_CPU), sys.executable, "-m", "benchmarks.bench_hotpath", "--one", args]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=root, check=True)
    return float(proc.stdout.strip())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--commands", default=",".join(COMMANDS))
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--commands-per-case", type=int, default=64_000)
    ap.add_argument("--repeat", type=int, default=4, help="timings per process (best kept)")
    ap.add_argument("--rounds", type=int, default=3, help="processes per case and tree")
    ap.add_argument("--baseline-src", help="another checkout's src folder to compare with")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        command, pipeline, reads, repeat = json.loads(args.one)
        print(measure(command, pipeline, reads, repeat))
        return {}
    trees = {"this": None}
    if args.baseline_src:
        trees["baseline"] = os.path.abspath(args.baseline_src)
    rows = []
    for command in args.commands.split(","):
        for pipeline in map(int, args.pipelines.split(",")):
            reads = max(1, args.commands_per_case // pipeline)
            best = {name: float("inf") for name in trees}
            for _ in range(args.rounds):  # alternate the trees: drift hits both alike
                for name, src in trees.items():
                    ns = run_case(src, command, pipeline, reads, args.repeat)
                    best[name] = min(best[name], ns)
            row: dict[str, Any] = {"command": command, "pipeline": pipeline, "ns_per_cmd": best}
            if "baseline" in best:
                row["ratio"] = best["this"] / best["baseline"]
            rows.append(row)
            shown = "  ".join(f"{name} {ns:7.0f} ns" for name, ns in best.items())
            ratio = f"  ratio {row['ratio']:.2f}" if "ratio" in row else ""
            print(f"{command.upper():<6} -P{pipeline:<3} {shown}{ratio}", flush=True)
    report = {"rows": rows, "baseline_src": args.baseline_src}
    print(f"\nresult: {write_result('bench_hotpath', report)}")
    return report


if __name__ == "__main__":
    main()
