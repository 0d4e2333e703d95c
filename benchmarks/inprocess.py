"""In-process inference limit: `LoadedModel.run` timed with no server in the path.

Server throughput is compared against these numbers (PERFORMANCE.md part B2 measured the
bare runtimes the same way: a hot loop, median and p99 per call, samples/s = batch /
median). Reuse `time_run` / `bench_model` with any loaded model, or run this file to
measure the shared models with every installed backend:

    python benchmarks/inprocess.py [--models DIR] [--iters N] [--threads N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pyredisai.backends.base import BackendError, LoadedModel, ModelOptions
from pyredisai.backends.registry import get_backend

Array = np.ndarray[Any, Any]


def batched(inputs: Sequence[Array], batch: int) -> list[Array]:
    """Batch-1 inputs repeated `batch` times along dimension 0 (what auto-batching builds)."""
    return [np.concatenate([a] * batch) if batch > 1 else a for a in inputs]


def time_run(
    model: LoadedModel, inputs: Sequence[Array], iters: int = 2000, warmup: int = 100
) -> dict[str, float]:
    """Median/p99/mean microseconds of `model.run(inputs)` in a hot loop."""
    run = model.run
    for _ in range(warmup):
        run(inputs)
    clock = time.perf_counter_ns
    samples = []
    for _ in range(iters):
        t0 = clock()
        run(inputs)
        samples.append(clock() - t0)
    samples.sort()
    return {
        "median_us": statistics.median(samples) / 1e3,
        "p99_us": samples[min(len(samples) - 1, int(len(samples) * 0.99))] / 1e3,
        "mean_us": sum(samples) / len(samples) / 1e3,
        "iters": iters,
    }


def bench_model(
    model: LoadedModel,
    inputs_b1: Sequence[Array],
    batches: Sequence[int] = (1, 32),
    iters: int = 2000,
) -> dict[int, dict[str, Any]]:
    """Per batch size: timings plus samples/s, or {"error": text} if the model cannot
    run that batch (fixed input shapes)."""
    results: dict[int, dict[str, Any]] = {}
    for batch in batches:
        inputs = batched(inputs_b1, batch)
        try:
            model.run(inputs)
        except BackendError as exc:
            results[batch] = {"error": exc.message}
            continue
        row: dict[str, Any] = dict(time_run(model, inputs, iters, max(10, iters // 20)))
        row["samples_per_s"] = batch / (row["median_us"] / 1e6)
        results[batch] = row
    return results


# -- the shared models ------------------------------------------------------------------


def _shared_cases(
    models: Path,
) -> list[tuple[str, str, str, ModelOptions, Callable[[], list[Array]]]]:
    one = np.frombuffer((models / "one.raw").read_bytes(), np.float32).reshape(1, 28, 28)
    return [
        ("findsquare", "ONNX", "findsquare.onnx", ModelOptions(), lambda: [np.ones(1, np.float32)]),
        ("boston", "ONNX", "boston.onnx", ModelOptions(), lambda: [np.ones((1, 13), np.float32)]),
        (
            "pt-minimal",
            "TORCH",
            "pt-minimal.pt",
            ModelOptions(),
            lambda: [np.ones((1, 2), np.float32)] * 2,
        ),
        (
            "graph.pb",
            "TF",
            "graph.pb",
            ModelOptions(inputs=["a", "b"], outputs=["mul"]),
            lambda: [np.ones((1, 2), np.float32)] * 2,
        ),
        ("mnist-quant", "TFLITE", "mnist_model_quant.tflite", ModelOptions(), lambda: [one]),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    default_models = os.environ.get(
        "PYREDISAI_MODELS", str(Path(__file__).resolve().parent.parent.parent / "shared" / "models")
    )
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--models", default=default_models)
    ap.add_argument("--iters", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads per model")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    models = Path(args.models)
    report = []
    for label, backend_name, filename, options, make_inputs in _shared_cases(models):
        options.intra_op_threads = options.inter_op_threads = args.threads
        try:
            backend = get_backend(backend_name)
            model = backend.load((models / filename).read_bytes(), "CPU", options)
        except BackendError as exc:
            print(f"{label:12s} {backend_name:7s} skipped: {exc.message}", file=sys.stderr)
            continue
        for batch, row in bench_model(model, make_inputs(), iters=args.iters).items():
            row.update(model=label, backend=backend_name, batch=batch, threads=args.threads)
            report.append(row)
            if "error" in row:
                print(f"{label:12s} {backend_name:7s} B={batch:<3d} n/a ({row['error'][:60]})")
            else:
                print(
                    f"{label:12s} {backend_name:7s} B={batch:<3d} median={row['median_us']:9.1f}us"
                    f" p99={row['p99_us']:9.1f}us {row['samples_per_s']:12.0f} samples/s"
                )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
