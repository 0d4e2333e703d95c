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

`--models modelexecute,modelexecute_b32` adds AI.MODELEXECUTE of bench_models' fraud MLP
(ONNX, built with torch), unbatched and with BATCHSIZE 32, as `--clients` clients that
each send one request per loop iteration (ns per request, every +OK counted).

With `--floor` the same reads go through benchmarks/floor_server.py's protocol too (a
bare uvloop + hiredis server: no command framework), and `this/floor` is what the
framework costs per command.

    python -m benchmarks hotpath [--commands set,get] [--pipelines 1,16]
                                 [--baseline-src /tmp/base/src] [--rounds 3] [--floor]
                                 [--models modelexecute,modelexecute_b32]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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


FLOOR = "floor"  # run_case's `src` for benchmarks/floor_server.py


def best_ns(step: Callable[[], None], count: int, items: int, repeat: int, warm: int) -> float:
    """ns per item: `warm` calls of `step`, then the best of `repeat` timings of `count`
    calls, each handling `items` commands or requests."""
    for _ in range(warm):
        step()
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter_ns()
        for _ in range(count):
            step()
        best = min(best, (time.perf_counter_ns() - started) / (count * items))
    return best


def fresh_server() -> tuple[Any, Any]:
    """A real Server with no persistence on a new event loop: (loop, server)."""
    import asyncio

    from pyredisai.config import Config
    from pyredisai.server import Server

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    config = Config()
    config.load_string('save ""\nappendonly no\n')
    server = Server(config)
    server.loop = loop
    return loop, server


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


class _OneIteration:
    """Stands in for the event loop of `measure`: each read is one loop iteration, after
    which the callbacks it scheduled run (the server's reply flush), with no poll in
    between. (A real iteration also pays uvloop's `call_soon` and one `epoll_wait`,
    shared by every client served in it.)"""

    def __init__(self) -> None:
        self.ready: list[Callable[[], Any]] = []
        self.call_soon = self.ready.append  # the server schedules callbacks without args

    def run_ready(self) -> None:
        ready = self.ready
        for callback in ready:
            callback()
        ready.clear()


def measure(command: str, pipeline: int, reads: int, repeat: int) -> float:
    """ns per command, best of `repeat` timings of `reads` reads (this process)."""
    from pyredisai.server import Client

    loop, server = fresh_server()
    iteration = _OneIteration()
    server.loop = iteration
    client = Client(server)
    transport = _CountingTransport()
    client.connection_made(transport)  # type: ignore[arg-type]
    data = (encode(COMMANDS[command]) if COMMANDS[command] else b"PING\r\n") * pipeline
    size = len(data)
    client.db.data[b"key:__rand_int__"] = b"xxx"

    def one_read() -> None:
        buf: memoryview = client.get_buffer(-1)
        buf[:size] = data
        client.buffer_updated(size)
        iteration.run_ready()

    best = best_ns(one_read, reads, pipeline, repeat, max(200, reads // 10))
    if transport.written == 0:
        raise RuntimeError(f"{command}: no reply written")
    loop.close()
    return best


def measure_floor(command: str, pipeline: int, reads: int, repeat: int) -> float:
    """`measure` for benchmarks/floor_server.py's protocol: the same reads handed to its
    data_received (bytes, as uvloop's Protocol gets them), replies written at once."""
    from . import floor_server

    protocol = floor_server.FloorProtocol()
    transport = _CountingTransport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    data = (encode(COMMANDS[command]) if COMMANDS[command] else b"PING\r\n") * pipeline
    floor_server.data[b"key:__rand_int__"] = b"xxx"
    best = best_ns(
        lambda: protocol.data_received(data), reads, pipeline, repeat, max(200, reads // 10)
    )
    if transport.written == 0:
        raise RuntimeError(f"{command}: no reply written")
    return best


def feed(client: Any, data: bytes) -> None:
    """Hand `data` to the client as reads of the size its buffer offers."""
    view = memoryview(data)
    while view:
        buf: memoryview = client.get_buffer(-1)
        n = min(len(buf), len(view))
        buf[:n] = view[:n]
        client.buffer_updated(n)
        view = view[n:]


def measure_model(path: str, clients: int, batchsize: int, rounds: int, repeat: int) -> float:
    """ns of server CPU per AI.MODELEXECUTE of bench_models' fraud_mlp (ONNX at `path`,
    inputs [1,30] and [1,256]): each round, `clients` clients send one request
    each and the loop runs one iteration, in which the engine runs them (inline, merged
    into batches of up to `batchsize` when it is > 0) and every client gets its +OK."""
    import asyncio

    from pyredisai.server import Client

    loop, server = fresh_server()
    transports = [_CountingTransport() for _ in range(clients)]
    conns = []
    for transport in transports:
        conns.append(Client(server))
        conns[-1].connection_made(transport)  # type: ignore[arg-type]
    with open(path, "rb") as f:
        blob = f.read()
    store = [b"AI.MODELSTORE", b"m", b"ONNX", b"CPU", b"BLOB", blob]
    if batchsize:
        store[4:4] = [b"BATCHSIZE", b"%d" % batchsize]
    feed(conns[0], encode(store))
    deadline = time.monotonic() + 60
    while b"m" not in conns[0].db.data and time.monotonic() < deadline:
        loop.run_until_complete(asyncio.sleep(0.01))
    import numpy as np

    rng = np.random.default_rng(0)
    for i, width in enumerate((30, 256)):  # fraud_mlp's inputs, one row each
        x = rng.standard_normal((1, width)).astype(np.float32)
        tensorset = [b"AI.TENSORSET", b"in%d" % i, b"FLOAT", b"1", b"%d" % width, b"BLOB"]
        feed(conns[0], encode([*tensorset, x.tobytes()]))
    request = encode(
        [b"AI.MODELEXECUTE", b"m", b"INPUTS", b"2", b"in0", b"in1", b"OUTPUTS", b"1", b"out"]
    )

    def one_round() -> None:
        for conn in conns:
            feed(conn, request)
        loop.call_soon(loop.stop)
        loop.run_forever()

    for _ in range(20):  # the first runs go to a worker, where they are measured
        one_round()
        loop.run_until_complete(asyncio.sleep(0.005))
    before = sum(t.written for t in transports)
    best = best_ns(one_round, rounds, clients, repeat, max(20, rounds // 10))
    # A request can finish an iteration later (a client whose previous reply was late
    # sends its next one when that reply goes out): let the loop run what is left.
    loop.run_until_complete(asyncio.sleep(0.05))
    written = sum(t.written for t in transports) - before
    expected = len(b"+OK\r\n") * clients * (max(20, rounds // 10) + rounds * repeat)
    if written != expected:
        raise RuntimeError(f"replies: {written} bytes written, {expected} expected")
    loop.close()
    return best


# AI.MODELEXECUTE cases: name -> BATCHSIZE (0: unbatched); `--pipelines` does not
# apply, `--clients` clients send one request each per loop iteration instead.
MODEL_CASES = {"modelexecute": 0, "modelexecute_b32": 32}


def run_case(
    src: str | None, command: str, pipeline: int, reads: int, repeat: int, model: str = ""
) -> float:
    """One measurement in a fresh process pinned to the server CPU (`src`: other tree,
    or FLOOR for benchmarks/floor_server.py)."""
    env = dict(os.environ)
    if src and src != FLOOR:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    args = json.dumps([command, pipeline, reads, repeat, model, src == FLOOR])
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
    ap.add_argument(
        "--models",
        default="",
        help=f"model cases to add ({','.join(MODEL_CASES)}): the fraud MLP of bench_models "
        "(built with torch) under --clients clients",
    )
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--commands-per-case", type=int, default=64_000)
    ap.add_argument("--repeat", type=int, default=4, help="timings per process (best kept)")
    ap.add_argument("--rounds", type=int, default=3, help="processes per case and tree")
    ap.add_argument("--baseline-src", help="another checkout's src folder to compare with")
    ap.add_argument(
        "--floor",
        action="store_true",
        help="also time benchmarks/floor_server.py (no framework) on the same reads",
    )
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        command, pipeline, reads, repeat, model, floor = json.loads(args.one)
        if floor:
            print(measure_floor(command, pipeline, reads, repeat))
        elif command in MODEL_CASES:
            print(measure_model(model, pipeline, MODEL_CASES[command], reads, repeat))
        else:
            print(measure(command, pipeline, reads, repeat))
        return {}
    trees: dict[str, str | None] = {"this": None}
    if args.baseline_src:
        trees["baseline"] = os.path.abspath(args.baseline_src)
    if args.floor:
        trees["floor"] = FLOOR
    cases = [
        (command, pipeline, max(1, args.commands_per_case // pipeline))
        for command in args.commands.split(",")
        if command
        for pipeline in map(int, args.pipelines.split(","))
    ]
    model = ""
    if args.models:
        from .bench_models import build_models

        model_dir = tempfile.mkdtemp(prefix="bench-hotpath-")
        model = build_models(model_dir, ["fraud_mlp"])["fraud_mlp"]
        rounds = max(1, args.commands_per_case // 10 // args.clients)
        cases += [(name, args.clients, rounds) for name in args.models.split(",")]
    rows = []
    for command, pipeline, reads in cases:
        # the floor knows no models
        timed = {n: s for n, s in trees.items() if s != FLOOR or command not in MODEL_CASES}
        best = {name: float("inf") for name in timed}
        for _ in range(args.rounds):  # alternate the trees: drift hits both alike
            for name, src in timed.items():
                ns = run_case(src, command, pipeline, reads, args.repeat, model)
                best[name] = min(best[name], ns)
        row: dict[str, Any] = {"command": command, "pipeline": pipeline, "ns_per_cmd": best}
        if "baseline" in best:
            row["ratio"] = best["this"] / best["baseline"]
        if "floor" in best:
            row["over_floor"] = best["this"] / best["floor"]
        rows.append(row)
        shown = "  ".join(f"{name} {ns:7.0f} ns" for name, ns in best.items())
        ratio = f"  ratio {row['ratio']:.2f}" if "ratio" in row else ""
        if "over_floor" in row:
            ratio += f"  this/floor {row['over_floor']:.2f}"
        where = f"c{pipeline}" if command in MODEL_CASES else f"-P{pipeline}"
        print(f"{command.upper():<6} {where:<4} {shown}{ratio}", flush=True)
    if model:
        shutil.rmtree(os.path.dirname(model), ignore_errors=True)
    report = {"rows": rows, "baseline_src": args.baseline_src}
    print(f"\nresult: {write_result('bench_hotpath', report)}")
    return report


if __name__ == "__main__":
    main()
