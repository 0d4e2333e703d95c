"""AI.MODELEXECUTE against the in-process backend call, for the model goals G7-G12.

Builds three ONNX models with torch (random weights, no downloads):

    add2       two [B,2] inputs, a + b                           (tiny: overhead-bound)
    fraud_mlp  [B,30] and [B,256] -> 286->128->64->2, softmax    (aibench's fraud shape)
    mnist_cnn  [B,1,28,28], the PyTorch-examples MNIST CNN       (compute-bound)

then measures, side by side on one machine:

* in-process (a subprocess pinned to CPU 0, the backend called through pyredisai's own
  ONNX backend on one thread, hot loop): p50 per call at batch 1 and batch 32;
* pyredisai (pinned to CPU 0, one intra/inter-op thread) driven from CPU 1: GET of a
  value as big as the model input and AI.MODELEXECUTE on stored tensors with 1 client
  (`benchmarks.loadgen`, which checks every reply byte), and AI.MODELEXECUTE with 50
  clients, unbatched and with BATCHSIZE 32, by redis-benchmark (C: the Python load
  generator tops out near 30k req/s, below what the server does with batching; the
  run's error count comes from AI.INFO and must stay 0). Without redis-benchmark the
  50-client cases fall back to `benchmarks.loadgen`;
* PING p99 from one client while another keeps a ~1 s TorchScript model running.

Each case runs `--runs` times (round-robin), medians are reported, with the server's CPU
per request from INFO cpu (getrusage precision). The report compares against the goals of
shared/PERFORMANCE.md and lands in benchmarks/results/bench_models-<time>.json; the
markdown table is printed.

    python -m benchmarks.bench_models [--runs 3] [--quick] [--models add2,fraud_mlp,mnist_cnn]
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from .common import (
    CLIENT_CPU,
    SERVER_CPU,
    RespClient,
    ServerProc,
    bench_parser,
    call_p50_s,
    encode_command,
    host_info,
    median,
    pin_prefix,
    publish,
    redis_benchmark,
    wait_quiet,
    with_server_cpu,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHAPES: dict[str, list[tuple[int, ...]]] = {
    "add2": [(2,), (2,)],
    "fraud_mlp": [(30,), (256,)],
    "mnist_cnn": [(1, 28, 28)],
}
OK_REPLY = b"+OK\r\n"

# (connections, duration s, warmup s)
C1 = (1, 2.0, 0.5)
C50 = (50, 2.0, 0.5)
QUICK_C1 = (1, 1.0, 0.3)
QUICK_C50 = (50, 1.0, 0.3)


# -- models ------------------------------------------------------------------------------------


def build_models(directory: str, names: list[str]) -> dict[str, str]:
    """Export the models to ONNX (opset 17, dynamic batch); returns name -> path."""
    import torch
    import torch.nn.functional as F  # noqa: N812
    from torch import nn

    class Add2(nn.Module):
        def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            return a + b

    class FraudMLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.l1 = nn.Linear(286, 128)
            self.l2 = nn.Linear(128, 64)
            self.l3 = nn.Linear(64, 2)

        def forward(self, tx: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
            x = torch.cat([tx, ref], dim=1)
            x = F.relu(self.l1(x))
            x = F.relu(self.l2(x))
            return F.softmax(self.l3(x), dim=1)

    class MnistNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            return F.log_softmax(self.fc2(x), dim=1)

    torch.manual_seed(0)
    modules = {"add2": Add2(), "fraud_mlp": FraudMLP(), "mnist_cnn": MnistNet()}
    paths = {}
    for name in names:
        model = modules[name].eval()
        example = tuple(torch.randn(1, *s) for s in SHAPES[name])
        in_names = [f"in{i}" for i in range(len(example))]
        dynamic = {n: {0: "batch"} for n in [*in_names, "out"]}
        path = os.path.join(directory, f"{name}.onnx")
        torch.onnx.export(
            model,
            example,
            path,
            input_names=in_names,
            output_names=["out"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )
        paths[name] = path
    return paths


def slow_torchscript(seconds: float) -> bytes:
    """A TorchScript model that keeps one thread busy about `seconds` (dependent small
    matrix products; PyTorch releases the GIL while it runs)."""
    import torch

    class Slow(torch.nn.Module):
        def __init__(self, steps: int) -> None:
            super().__init__()
            self.steps = steps

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            m = torch.eye(48) * 0.5 + 0.01
            acc = m
            for _ in range(self.steps):
                acc = torch.mm(acc, m)
            return x + acc[0, 0] * 0.0

    torch.set_num_threads(1)
    probe = torch.jit.script(Slow(3000))
    x = torch.ones(1)
    probe(x)
    start = time.perf_counter()
    probe(x)
    per_second = 3000 / (time.perf_counter() - start)
    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(Slow(int(per_second * seconds))), buf)
    return buf.getvalue()


# -- in-process baseline ------------------------------------------------------------------------


def inprocess(paths: dict[str, str], iters: int) -> dict[str, Any]:
    """Hot-loop p50 of the backend call at batch 1 and 32 (run pinned to the server core)."""
    import numpy as np

    from pyredisai.backends.base import ModelOptions
    from pyredisai.backends.registry import get_backend

    backend = get_backend("ONNX")
    out: dict[str, Any] = {}
    rng = np.random.default_rng(0)
    for name, path in paths.items():
        with open(path, "rb") as f:
            model = backend.load(
                f.read(), "CPU", ModelOptions(intra_op_threads=1, inter_op_threads=1)
            )
        row: dict[str, Any] = {}
        for batch in (1, 32):
            inputs = [rng.standard_normal((batch, *s)).astype(np.float32) for s in SHAPES[name]]
            n = iters if batch == 1 else max(20, iters // 8)
            if name == "mnist_cnn":
                n = max(20, n // 20)
            p50 = call_p50_s(functools.partial(model.run, inputs), n, min(50, n))
            row[f"b{batch}_p50_us"] = p50 * 1e6
            row[f"b{batch}_samples_per_s"] = batch / p50
        out[name] = row
    return out


def run_inprocess(paths: dict[str, str], iters: int) -> dict[str, Any]:
    cmd = [
        *pin_prefix(SERVER_CPU),
        sys.executable,
        "-m",
        "benchmarks.bench_models",
        "--inprocess",
        json.dumps(paths),
        "--iters",
        str(iters),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"in-process baseline failed: {proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# -- load --------------------------------------------------------------------------------------


def load(
    port: int, request: bytes, reply_len: int, shape: tuple[int, float, float], tmp: str
) -> dict[str, Any]:
    connections, duration, warmup = shape
    path = os.path.join(tmp, "request.bin")
    with open(path, "wb") as f:
        f.write(request)
    cmd = [*pin_prefix(CLIENT_CPU), sys.executable, "-m", "benchmarks.loadgen",
           "--port", str(port), "--request-file", path, "--reply-len", str(reply_len),
           "--connections", str(connections), "--duration", str(duration),
           "--warmup", str(warmup)]  # fmt: skip

    def go() -> dict[str, Any]:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            raise RuntimeError(f"load generator failed: {proc.stderr}")
        result: dict[str, Any] = json.loads(proc.stdout)
        return result

    return with_server_cpu(port, go)


def load_redis_benchmark(
    port: int, argv: list[str], model_key: str, duration: float
) -> dict[str, Any]:
    """50 clients of redis-benchmark (pinned to the client CPU) sending `argv`: a short
    warm-up run sizes the measured one to about `duration` seconds. redis-benchmark
    counts an error reply like any other, so the model's AI.INFO error count must not
    move."""

    clients = ("-c", str(C50[0]))

    def errors() -> int:
        client = RespClient(port)
        try:
            info = client.call("AI.INFO", model_key)
        finally:
            client.close()
        fields = dict(zip(info[::2], info[1::2], strict=True))
        return int(fields[b"errors"])

    warm = redis_benchmark(port, 3000, *clients, *argv)
    n = max(3000, int(warm["rps"] * duration))
    errors0 = errors()
    result = with_server_cpu(
        port, lambda: {"total": n, **redis_benchmark(port, n, *clients, *argv)}
    )
    if errors() != errors0:
        raise RuntimeError(f"{' '.join(argv)}: error replies during the run")
    result["load_generator"] = "redis-benchmark"
    return result


def check(port: int, request: bytes, reply: bytes) -> None:
    client = RespClient(port)
    try:
        client.sock.sendall(request)
        while len(client.buf) < len(reply):
            client._fill()
        if bytes(client.buf) != reply:
            raise RuntimeError(f"unexpected reply {bytes(client.buf[:80])!r}")
    finally:
        client.close()


def execute_argv(key: str, n_inputs: int, out: str) -> list[str]:
    ins = [f"{key}:in{i}" for i in range(n_inputs)]
    return ["AI.MODELEXECUTE", key, "INPUTS", str(n_inputs), *ins, "OUTPUTS", "1", out]


def execute_request(key: str, n_inputs: int, out: str) -> bytes:
    return encode_command(*execute_argv(key, n_inputs, out))


def ping_during_slow_model(
    port: int, blob: bytes, seconds: float, tmp: str, shape: tuple[int, float, float]
) -> dict[str, Any]:
    """PING latency from one client while another keeps the slow model running."""
    setup = RespClient(port)
    setup.call("AI.MODELSTORE", "slow", "TORCH", "CPU", "BLOB", blob)
    setup.call("AI.TENSORSET", "slow:x", "FLOAT", 1, "VALUES", 1)
    runs = []
    stop = threading.Event()

    def keep_running() -> None:
        client = RespClient(port, timeout=120)
        try:
            while not stop.is_set():
                t0 = time.monotonic()
                client.call(
                    "AI.MODELEXECUTE", "slow", "INPUTS", 1, "slow:x", "OUTPUTS", 1, "slow:y"
                )
                runs.append(time.monotonic() - t0)
        finally:
            client.close()

    thread = threading.Thread(target=keep_running)
    thread.start()
    try:
        time.sleep(0.3)
        result = load(port, encode_command("PING"), 7, (1, shape[1] * 2, 0.2), tmp)
    finally:
        stop.set()
        thread.join(60)
        setup.close()
    result["model_run_s"] = median(runs)
    return result


# -- the report ---------------------------------------------------------------------------------


def summarize(base: dict[str, Any], cases: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    def med(case: str, field: str) -> float:
        return median([r[field] for r in cases[case] if field in r])

    out: dict[str, Any] = {"inprocess": base, "medians": {}}
    for case in cases:
        out["medians"][case] = {
            f: med(case, f)
            for f in ("rps", "p50_ms", "p99_ms", "server_cpu_us_per_req", "server_cpu_util")
        }
    models: dict[str, Any] = {}
    for name in base:
        m = out["medians"]
        b = base[name]
        get_p50_us = m[f"{name} GET c1"]["p50_ms"] * 1000
        exec_p50_us = m[f"{name} EXEC c1"]["p50_ms"] * 1000
        overhead = exec_p50_us - (get_p50_us + b["b1_p50_us"])
        unbatched = m[f"{name} EXEC c50"]["rps"]
        batched = m[f"{name} EXEC b32 c50"]["rps"]
        models[name] = {
            "c1_overhead_us": overhead,
            "exec_c1_p50_us": exec_p50_us,
            "get_c1_p50_us": get_p50_us,
            "inprocess_b1_p50_us": b["b1_p50_us"],
            "unbatched_rps": unbatched,
            "unbatched_vs_inprocess": unbatched / b["b1_samples_per_s"],
            "batched_rps": batched,
            "batched_vs_unbatched": batched / unbatched,
            "batched_vs_inprocess_b32": batched / b["b32_samples_per_s"],
            "unbatched_p50_ms": m[f"{name} EXEC c50"]["p50_ms"],
            "batched_p50_ms": m[f"{name} EXEC b32 c50"]["p50_ms"],
            "cpu_beyond_call_us": m[f"{name} EXEC c50"]["server_cpu_us_per_req"] - b["b1_p50_us"],
        }
        # The same ratios from server CPU per request (what one core could serve): far
        # less sensitive than req/s to other load on a shared machine.
        cpu_unbatched = 1e6 / m[f"{name} EXEC c50"]["server_cpu_us_per_req"]
        cpu_batched = 1e6 / m[f"{name} EXEC b32 c50"]["server_cpu_us_per_req"]
        models[name].update(
            cpu_unbatched_vs_inprocess=cpu_unbatched / b["b1_samples_per_s"],
            cpu_batched_vs_unbatched=cpu_batched / cpu_unbatched,
            cpu_batched_vs_inprocess_b32=cpu_batched / b["b32_samples_per_s"],
            server_util_c50=m[f"{name} EXEC c50"]["server_cpu_util"],
        )
    out["models"] = models
    return out


def goals(summary: dict[str, Any], ping: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    m = summary["models"]
    rows = []
    if "add2" in m:
        v = m["add2"]["c1_overhead_us"]
        rows.append(("G7 single-client overhead, add2", f"{v:.0f} us", "<= 75 us", v <= 75))
    if "fraud_mlp" in m:
        v = m["fraud_mlp"]["cpu_beyond_call_us"]
        rows.append(
            ("G8 CPU/inference beyond the call, fraud c50", f"{v:.0f} us", "<= 60 us", v <= 60)
        )
    if "mnist_cnn" in m:
        v = m["mnist_cnn"]["unbatched_vs_inprocess"]
        c = m["mnist_cnn"]["cpu_unbatched_vs_inprocess"]
        rows.append(
            (
                "G9 unbatched CNN vs in-process",
                f"{v:.2f}x (CPU/req: {c:.2f}x)",
                ">= 0.75x",
                v >= 0.75,
            )
        )
    if "fraud_mlp" in m:
        f = m["fraud_mlp"]
        v = f["batched_vs_unbatched"]
        ok = v >= 3 and f["batched_p50_ms"] <= f["unbatched_p50_ms"]
        rows.append(
            (
                "G10 BATCHSIZE 32 vs unbatched, fraud (p50 no worse)",
                f"{v:.2f}x (CPU/req: {f['cpu_batched_vs_unbatched']:.2f}x), p50 "
                f"{f['batched_p50_ms']:.2f} vs {f['unbatched_p50_ms']:.2f} ms",
                ">= 3x",
                ok,
            )
        )
    if "mnist_cnn" in m:
        v = m["mnist_cnn"]["batched_vs_inprocess_b32"]
        c = m["mnist_cnn"]["cpu_batched_vs_inprocess_b32"]
        text = f"{v:.2f}x (CPU/req: {c:.2f}x)"
        rows.append(("G11 batched CNN vs in-process batch 32", text, ">= 0.75x", v >= 0.75))
    if ping:
        v = ping["p99_ms"]
        rows.append(("PING p99 during a 1 s model", f"{v:.2f} ms", "< 5 ms", v < 5))
    return rows


def markdown(
    summary: dict[str, Any], ping: dict[str, Any], rows: list[tuple[str, str, str, bool]]
) -> str:
    lines = [
        "| model | in-process B1 p50 | GET c1 p50 | EXEC c1 p50 | c1 overhead | unbatched c50 | "
        "vs in-process | BATCHSIZE 32 c50 | vs unbatched | vs in-process B32 | CPU/req c50 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, v in summary["models"].items():
        cpu = summary["medians"][f"{name} EXEC c50"]["server_cpu_us_per_req"]
        lines.append(
            f"| {name} | {v['inprocess_b1_p50_us']:.1f} us | {v['get_c1_p50_us']:.0f} us | "
            f"{v['exec_c1_p50_us']:.0f} us | {v['c1_overhead_us']:.0f} us | "
            f"{v['unbatched_rps']:,.0f}/s (p50 {v['unbatched_p50_ms']:.2f} ms) | "
            f"{v['unbatched_vs_inprocess']:.2f}x | "
            f"{v['batched_rps']:,.0f}/s (p50 {v['batched_p50_ms']:.2f} ms) | "
            f"{v['batched_vs_unbatched']:.2f}x | {v['batched_vs_inprocess_b32']:.2f}x | {cpu:.0f} us "
            f"({v['server_util_c50']:.2f} core) |"
        )
    if ping:
        lines.append("")
        lines.append(
            f"PING during a {ping['model_run_s']:.2f} s model: p50 {ping['p50_ms']:.3f} ms, "
            f"p99 {ping['p99_ms']:.3f} ms ({ping['rps']:,.0f} PING/s)"
        )
    lines += ["", "| goal | measured | target | met |", "|---|---|---|---|"]
    lines += [f"| {g} | {v} | {t} | {'yes' if ok else 'NO'} |" for g, v, t, ok in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = bench_parser(__doc__, "shorter runs (smoke test)")
    ap.add_argument("--models", default="add2,fraud_mlp,mnist_cnn")
    ap.add_argument("--no-ping", action="store_true", help="skip the slow-model PING case")
    ap.add_argument("--wait-timeout", type=float, default=20.0)
    ap.add_argument("--iters", type=int, default=4000, help="in-process calls per case")
    ap.add_argument(
        "--server-arg",
        action="append",
        default=[],
        help="extra pyredisai option, e.g. --server-arg=--inline-run-budget-us=0",
    )
    ap.add_argument("--inprocess", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.inprocess:
        print(json.dumps(inprocess(json.loads(args.inprocess), args.iters)))
        return {}
    names = [n for n in args.models.split(",") if n]
    c1, c50 = (QUICK_C1, QUICK_C50) if args.quick else (C1, C50)
    report: dict[str, Any] = {"host": host_info(), "runs": args.runs, "models": names}
    extra = [part for arg in args.server_arg for part in arg.split("=", 1)]
    server = ServerProc(
        "pyredisai", ["--intra-op-parallelism", "1", "--inter-op-parallelism", "1", *extra]
    )
    with tempfile.TemporaryDirectory(prefix="bench-models-") as tmp:
        paths = build_models(tmp, names)
        base = run_inprocess(paths, args.iters)
        print("in-process:", json.dumps(base), flush=True)
        slow = b"" if args.no_ping else slow_torchscript(1.0)
        try:
            server.start()
            import numpy as np

            setup = RespClient(server.port)
            requests: dict[str, tuple[bytes, bytes]] = {}
            c50_argv: dict[str, list[str]] = {}  # cases redis-benchmark drives
            rng = np.random.default_rng(1)
            for name, path in paths.items():
                with open(path, "rb") as f:
                    blob = f.read()
                setup.call("AI.MODELSTORE", name, "ONNX", "CPU", "BLOB", blob)
                setup.call(
                    "AI.MODELSTORE", f"{name}_b32", "ONNX", "CPU", "BATCHSIZE", 32, "BLOB", blob
                )
                size = 0
                for i, shape in enumerate(SHAPES[name]):
                    x = rng.standard_normal((1, *shape)).astype(np.float32)
                    size += x.nbytes
                    for key in (name, f"{name}_b32"):
                        setup.call(
                            "AI.TENSORSET", f"{key}:in{i}", "FLOAT", *x.shape, "BLOB", x.tobytes()
                        )
                payload = os.urandom(size)
                setup.call("SET", f"{name}:payload", payload)
                n_in = len(SHAPES[name])
                requests[f"{name} GET c1"] = (
                    encode_command("GET", f"{name}:payload"),
                    b"$%d\r\n" % size + payload + b"\r\n",
                )
                requests[f"{name} EXEC c1"] = (execute_request(name, n_in, f"{name}:out"), OK_REPLY)
                requests[f"{name} EXEC c50"] = (
                    execute_request(name, n_in, f"{name}:out"),
                    OK_REPLY,
                )
                requests[f"{name} EXEC b32 c50"] = (
                    execute_request(f"{name}_b32", n_in, f"{name}_b32:out"),
                    OK_REPLY,
                )
                if shutil.which("redis-benchmark"):
                    c50_argv[f"{name} EXEC c50"] = execute_argv(name, n_in, f"{name}:out")
                    c50_argv[f"{name} EXEC b32 c50"] = execute_argv(
                        f"{name}_b32", n_in, f"{name}_b32:out"
                    )
            setup.close()
            cases: dict[str, list[dict[str, Any]]] = {case: [] for case in requests}
            for _rep in range(args.runs):
                for case, (request, reply) in requests.items():
                    check(server.port, request, reply)
                    if not args.no_wait:
                        wait_quiet(timeout=args.wait_timeout)
                    if case in c50_argv:
                        argv = c50_argv[case]
                        result = load_redis_benchmark(server.port, argv, argv[1], c50[1])
                    else:
                        load_shape = c1 if case.endswith("c1") else c50
                        result = load(server.port, request, len(reply), load_shape, tmp)
                    cases[case].append(result)
                    print(
                        f"{case:<24} {result['rps']:>9.0f}/s p50 {result['p50_ms']:.3f} ms "
                        f"p99 {result['p99_ms']:.3f} ms cpu/req "
                        f"{result.get('server_cpu_us_per_req', float('nan')):.1f} us "
                        f"busy {result['machine_busy_cores']:.2f}",
                        flush=True,
                    )
            ping: dict[str, Any] = {}
            if slow:
                if not args.no_wait:
                    wait_quiet(timeout=args.wait_timeout)
                ping = ping_during_slow_model(server.port, slow, 1.0, tmp, c1)
                print(
                    f"PING during slow model: p50 {ping['p50_ms']:.3f} ms p99 {ping['p99_ms']:.3f} ms "
                    f"(model {ping['model_run_s']:.2f} s)",
                    flush=True,
                )
        finally:
            server.cleanup()
    summary = summarize(base, cases)
    rows = goals(summary, ping)
    report.update(summary)
    report["ping_during_slow_model"] = ping
    report["goals"] = [{"goal": g, "measured": v, "target": t, "met": ok} for g, v, t, ok in rows]
    publish("bench_models", report, markdown(summary, ping, rows))
    return report


if __name__ == "__main__":
    main()
