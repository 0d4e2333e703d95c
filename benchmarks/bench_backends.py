"""AI.MODELEXECUTE per backend: a tiny model and a ResNet-18 for TF, TFLITE, TORCH and ONNX,
each against the same backend called in process (issue #9).

The models are built here with the frameworks themselves (random weights, no downloads),
in a subprocess per framework:

    tiny      a + b on two [1,2] float32 inputs
    resnet18  ResNet-18 (11.7M parameters, 1000 classes) on one 224x224 RGB image:
              [1,224,224,3] for TF and TFLITE (Keras layout), [1,3,224,224] for TORCH and
              ONNX (exported from one torch module)

For each (backend, model), side by side on one machine (intra/inter-op threads 1):

* in process: a subprocess pinned to the server CPU loads the blob through pyredisai's
  own backend and times `run` in a hot loop (p50);
* pyredisai pinned to the server CPU, one client pinned to the other: p50 of GET of a
  value as big as the model's inputs, and p50 of AI.MODELEXECUTE on stored tensors.

Overhead = EXEC p50 - (GET p50 + in-process p50), the G7 formula, and "rate" = in-process
p50 / EXEC p50, the share of the backend's own single-client rate the server delivers.
A framework that is not installed is reported as such and skipped.

    python -m benchmarks backends [--runs 3] [--quick] [--backends TF,TORCH]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

from .common import (
    CLIENT_CPU,
    SERVER_CPU,
    RespClient,
    ServerProc,
    bench_parser,
    call_p50_s,
    host_info,
    median,
    pin_prefix,
    publish,
    wait_quiet,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BACKENDS = ["TF", "TFLITE", "TORCH", "ONNX"]
MODELS = ["tiny", "resnet18"]
# requests per measurement: (in-process calls, server requests)
COUNTS = {"tiny": (2000, 1000), "resnet18": (12, 12)}
QUICK_COUNTS = {"tiny": (500, 300), "resnet18": (5, 5)}

Spec = dict[str, Any]  # path, backend, model, inputs, outputs (TF node names), shapes


# -- models ------------------------------------------------------------------------------------


def build_tf(directory: str) -> list[Spec]:
    """Frozen GraphDefs for TF and flatbuffers for TFLITE, from the same tf.functions."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    tf.random.set_seed(0)
    layers = tf.keras.layers

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, 2], tf.float32, name="a"),
            tf.TensorSpec([None, 2], tf.float32, name="b"),
        ]
    )
    def tiny(a: Any, b: Any) -> Any:
        return tf.add(a, b)

    def block(x: Any, filters: int, stride: int) -> Any:
        y = layers.Conv2D(filters, 3, stride, padding="same", use_bias=False)(x)
        y = layers.ReLU()(layers.BatchNormalization()(y))
        y = layers.Conv2D(filters, 3, 1, padding="same", use_bias=False)(y)
        y = layers.BatchNormalization()(y)
        if stride != 1 or x.shape[-1] != filters:
            x = layers.BatchNormalization()(layers.Conv2D(filters, 1, stride, use_bias=False)(x))
        return layers.ReLU()(layers.Add()([x, y]))

    image = tf.keras.Input((224, 224, 3), name="x")
    x = layers.Conv2D(64, 7, 2, padding="same", use_bias=False)(image)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.MaxPool2D(3, 2, padding="same")(x)
    for filters, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        x = block(block(x, filters, stride), filters, 1)
    resnet = tf.keras.Model(image, layers.Dense(1000)(layers.GlobalAveragePooling2D()(x)))

    @tf.function(input_signature=[tf.TensorSpec([None, 224, 224, 3], tf.float32, name="x")])
    def resnet18(x: Any) -> Any:
        return resnet(x, training=False)

    specs = []
    for name, fn, owner, shapes in (
        ("tiny", tiny, tiny, [[1, 2], [1, 2]]),
        ("resnet18", resnet18, resnet, [[1, 224, 224, 3]]),
    ):
        concrete = fn.get_concrete_function()
        frozen = convert_variables_to_constants_v2(concrete)
        path = os.path.join(directory, f"{name}.pb")
        with open(path, "wb") as f:
            f.write(frozen.graph.as_graph_def().SerializeToString())
        specs.append(
            {
                "backend": "TF",
                "model": name,
                "path": path,
                "inputs": [t.name.split(":")[0] for t in frozen.inputs],
                "outputs": [t.name.split(":")[0] for t in frozen.outputs],
                "shapes": shapes,
            }
        )
        path = os.path.join(directory, f"{name}.tflite")
        converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], owner)
        with open(path, "wb") as f:
            f.write(converter.convert())
        specs.append({"backend": "TFLITE", "model": name, "path": path, "shapes": shapes})
    return specs


def build_torch(directory: str) -> list[Spec]:
    """TorchScript (traced) for TORCH and an ONNX export of the same modules."""
    import torch
    from torch import nn

    class Tiny(nn.Module):
        def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            return a + b

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(),
                nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
                nn.BatchNorm2d(cout),
            )
            self.skip: nn.Module = (
                nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                if stride != 1 or cin != cout
                else nn.Identity()
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(self.body(x) + self.skip(x))

    def resnet18() -> nn.Module:
        stages: list[nn.Module] = [
            nn.Conv2d(3, 64, 7, 2, 3, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d(3, 2, 1),
        ]
        cin = 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            stages += [Block(cin, cout, stride), Block(cout, cout, 1)]
            cin = cout
        stages += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000)]
        return nn.Sequential(*stages)

    torch.manual_seed(0)
    specs = []
    for name, module, shapes in (
        ("tiny", Tiny(), [[1, 2], [1, 2]]),
        ("resnet18", resnet18(), [[1, 3, 224, 224]]),
    ):
        module = module.eval()
        example = tuple(torch.randn(*s) for s in shapes)
        path = os.path.join(directory, f"{name}.pt")
        torch.jit.save(torch.jit.trace(module, example), path)
        specs.append({"backend": "TORCH", "model": name, "path": path, "shapes": shapes})
        path = os.path.join(directory, f"{name}.onnx")
        names = [f"in{i}" for i in range(len(example))]
        torch.onnx.export(
            module,
            example,
            path,
            input_names=names,
            output_names=["out"],
            dynamic_axes={n: {0: "batch"} for n in [*names, "out"]},
            opset_version=17,
            dynamo=False,
        )
        specs.append({"backend": "ONNX", "model": name, "path": path, "shapes": shapes})
    return specs


def build(directory: str, backends: list[str]) -> tuple[list[Spec], dict[str, str]]:
    """Every spec that could be built, and why the others could not (a subprocess per
    framework: TF and torch side by side in one process gain nothing and cost memory)."""
    specs: list[Spec] = []
    missing: dict[str, str] = {}
    for framework, members in (("tf", ("TF", "TFLITE")), ("torch", ("TORCH", "ONNX"))):
        wanted = [b for b in members if b in backends]
        if not wanted:
            continue
        cmd = [sys.executable, "-m", "benchmarks.bench_backends", "--build", framework, directory]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            reason = (proc.stderr.strip().splitlines() or ["failed"])[-1]
            for backend in wanted:
                missing[backend] = reason
            continue
        specs += [
            s for s in json.loads(proc.stdout.strip().splitlines()[-1]) if s["backend"] in wanted
        ]
    return specs, missing


# -- in process --------------------------------------------------------------------------------


def inprocess(specs: list[Spec], counts: dict[str, tuple[int, int]]) -> dict[str, Any]:
    """p50 µs of the backend's `run` per (backend, model); an error text where it failed."""
    import numpy as np

    from pyredisai.backends.base import BackendError, ModelOptions
    from pyredisai.backends.registry import get_backend

    rng = np.random.default_rng(0)
    out: dict[str, Any] = {}
    for spec in specs:
        key = f"{spec['backend']} {spec['model']}"
        options = ModelOptions(
            inputs=spec.get("inputs", []),
            outputs=spec.get("outputs", []),
            intra_op_threads=1,
            inter_op_threads=1,
        )
        try:
            with open(spec["path"], "rb") as f:
                model = get_backend(spec["backend"]).load(f.read(), "CPU", options)
        except BackendError as exc:
            out[key] = {"error": exc.message}
            continue
        inputs = [rng.standard_normal(s).astype(np.float32) for s in spec["shapes"]]
        n = counts[spec["model"]][0]
        p50 = call_p50_s(functools.partial(model.run, inputs), n, max(2, n // 20))
        out[key] = {"p50_us": p50 * 1e6}
    return out


def run_inprocess(specs: list[Spec], counts: dict[str, tuple[int, int]]) -> dict[str, Any]:
    cmd = [
        *pin_prefix(SERVER_CPU),
        sys.executable,
        "-m",
        "benchmarks.bench_backends",
        "--inprocess",
        json.dumps({"specs": specs, "counts": counts}),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"in-process run failed: {proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# -- the server --------------------------------------------------------------------------------


def paired_p50_us(client: RespClient, n: int, *commands: list[Any]) -> list[float]:
    """Median µs of each command's round trip over `n` rounds that send them in turn on
    one connection: the commands share the machine's state of the moment, so a noisy
    stretch moves both medians rather than their difference."""
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(n):
        for command, samples in zip(commands, times, strict=True):
            t0 = time.perf_counter()
            client.call(*command)
            samples.append(time.perf_counter() - t0)
    return [median(samples) * 1e6 for samples in times]


def store(client: RespClient, spec: Spec, key: str) -> tuple[list[str], int]:
    """MODELSTORE the spec under `key` and TENSORSET its inputs; (input keys, bytes)."""
    import numpy as np

    with open(spec["path"], "rb") as f:
        blob = f.read()
    args: list[Any] = ["AI.MODELSTORE", key, spec["backend"], "CPU"]
    if spec["backend"] == "TF":
        args += ["INPUTS", len(spec["inputs"]), *spec["inputs"]]
        args += ["OUTPUTS", len(spec["outputs"]), *spec["outputs"]]
    client.call(*args, "BLOB", blob)
    rng = np.random.default_rng(1)
    keys, size = [], 0
    for i, shape in enumerate(spec["shapes"]):
        x = rng.standard_normal(shape).astype(np.float32)
        keys.append(f"{key}:in{i}")
        size += x.nbytes
        client.call("AI.TENSORSET", keys[-1], "FLOAT", *x.shape, "BLOB", x.tobytes())
    return keys, size


def measure_server(
    port: int, specs: list[Spec], counts: dict[str, tuple[int, int]], quiet: bool
) -> dict[str, Any]:
    """GET and MODELEXECUTE p50 per spec, from this process (pinned to the client CPU)."""
    if pin_prefix(CLIENT_CPU):
        os.sched_setaffinity(0, {CLIENT_CPU})
    client = RespClient(port, timeout=300)
    out: dict[str, Any] = {}
    try:
        for spec in specs:
            key = f"{spec['backend'].lower()}_{spec['model']}"
            try:
                in_keys, size = store(client, spec, key)
            except RuntimeError as exc:
                out[f"{spec['backend']} {spec['model']}"] = {"error": str(exc)}
                continue
            client.call("SET", f"{key}:payload", os.urandom(size))
            n = counts[spec["model"]][1]
            out_keys = [f"{key}:out{i}" for i in range(len(spec.get("outputs") or [0]))]
            execute: list[Any] = ["AI.MODELEXECUTE", key, "INPUTS", len(in_keys), *in_keys]
            execute += ["OUTPUTS", len(out_keys), *out_keys]
            for _ in range(max(2, n // 10)):
                client.call(*execute)
            if quiet:
                wait_quiet(timeout=3)
            get_us, exec_us = paired_p50_us(client, n, ["GET", f"{key}:payload"], execute)
            out[f"{spec['backend']} {spec['model']}"] = {
                "get_p50_us": get_us,
                "exec_p50_us": exec_us,
            }
    finally:
        client.close()
    return out


# -- report ------------------------------------------------------------------------------------


def summarize(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| backend | model | in-process p50 | GET p50 (same bytes) | EXEC c1 p50 | overhead | rate |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['backend']} | {row['model']} | {row['error']} | | | | |")
            continue
        lines.append(
            f"| {row['backend']} | {row['model']} | {row['inprocess_us']:,.1f} us | "
            f"{row['get_us']:,.0f} us | {row['exec_us']:,.1f} us | {row['overhead_us']:,.0f} us | "
            f"{row['rate']:.2f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = bench_parser(__doc__, "fewer requests per case")
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument("--build", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--inprocess", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.build:
        framework, directory = args.build
        print(json.dumps(build_tf(directory) if framework == "tf" else build_torch(directory)))
        return {}
    if args.inprocess:
        job = json.loads(args.inprocess)
        print(json.dumps(inprocess(job["specs"], job["counts"])))
        return {}
    counts = QUICK_COUNTS if args.quick else COUNTS
    backends = [b for b in args.backends.upper().split(",") if b]
    report: dict[str, Any] = {"host": host_info(), "runs": args.runs}
    with tempfile.TemporaryDirectory(prefix="bench-backends-") as tmp:
        specs, missing = build(tmp, backends)
        server = ServerProc(
            "pyredisai", ["--intra-op-parallelism", "1", "--inter-op-parallelism", "1"]
        )
        runs: list[tuple[dict[str, Any], dict[str, Any]]] = []
        try:
            server.start()
            for _ in range(args.runs):
                base = run_inprocess(specs, counts)
                served = measure_server(server.port, specs, counts, not args.no_wait)
                runs.append((base, served))
                print(json.dumps({"inprocess": base, "server": served}), flush=True)
        finally:
            server.cleanup()
    rows: list[dict[str, Any]] = []
    for backend in backends:
        if backend in missing:
            rows.append(
                {"backend": backend, "model": "*", "error": f"not built: {missing[backend]}"}
            )
            continue
        for model in MODELS:
            key = f"{backend} {model}"
            errors = [r[0][key]["error"] for r in runs if "error" in r[0].get(key, {})]
            errors += [r[1][key]["error"] for r in runs if "error" in r[1].get(key, {})]
            if errors or not runs:
                rows.append(
                    {"backend": backend, "model": model, "error": (errors or ["no run"])[0]}
                )
                continue
            inproc = median([r[0][key]["p50_us"] for r in runs])
            get = median([r[1][key]["get_p50_us"] for r in runs])
            exe = median([r[1][key]["exec_p50_us"] for r in runs])
            rows.append(
                {
                    "backend": backend,
                    "model": model,
                    "inprocess_us": inproc,
                    "get_us": get,
                    "exec_us": exe,
                    "overhead_us": exe - get - inproc,
                    "rate": inproc / exe,
                }
            )
    report["rows"] = rows
    publish("bench_backends", report, summarize(rows))
    return report


if __name__ == "__main__":
    main()
