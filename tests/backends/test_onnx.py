"""ONNX backend: shared models, models built with onnx.helper, RedisAI's error texts."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from pyredisai.backends.base import BackendError, ModelOptions
from pyredisai.backends.registry import get_backend

pytestmark = pytest.mark.needs_onnx
ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

Reader = Callable[[str], bytes]
OPTS = ModelOptions()


def load(blob: bytes, device: str = "CPU", options: ModelOptions = OPTS):  # type: ignore[no-untyped-def]
    return get_backend("ONNX").load(blob, device, options)


def build(nodes, inputs, outputs, initializers=(), ml=False) -> bytes:  # type: ignore[no-untyped-def]
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid("ai.onnx.ml", 3)] if ml else [])
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 8
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def vi(name: str, elem: int, shape: list[object]):  # type: ignore[no-untyped-def]
    return helper.make_tensor_value_info(name, elem, shape)


def readonly(arr: np.ndarray) -> np.ndarray:
    """Keyspace tensors are read-only views over immutable bytes."""
    return np.frombuffer(arr.tobytes(), dtype=arr.dtype).reshape(arr.shape)


# -- shared models ----------------------------------------------------------------------


def test_boston_linear_regressor(model_bytes: Reader) -> None:
    blob = model_bytes("boston.onnx")
    model = load(blob)
    assert model.input_names == ["float_input"]
    assert model.output_names == ["variable"]
    node = onnx.load_model_from_string(blob).graph.node[0]
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 10, size=(1, 13)).astype(np.float32)
    (y,) = model.run([readonly(x)])
    expected = x.astype(np.float64) @ np.array(attrs["coefficients"]) + attrs["intercepts"][0]
    assert y.dtype == np.float32 and y.shape == (1, 1)
    np.testing.assert_allclose(y[0, 0], expected[0], rtol=1e-5)


def test_findsquare(model_bytes: Reader) -> None:
    model = load(model_bytes("findsquare.onnx"))
    assert (model.input_names, model.output_names) == (["0"], ["1"])
    for value in (3.0, -1.5, 0.0):
        (y,) = model.run([np.array([value], np.float32)])
        assert y.tolist() == [value * value]


def test_shape_mismatch_has_redisai_text(model_bytes: Reader) -> None:
    model = load(model_bytes("findsquare.onnx"))
    with pytest.raises(BackendError) as info:
        model.run([np.zeros(3, np.float32)])
    assert info.value.message == (
        "Got invalid dimensions for input: 0 for the following indices  index: 0 Got: 3"
        " Expected: 1  Please fix either the inputs or the model."
    )


def test_input_type_is_not_cast(model_bytes: Reader) -> None:
    model = load(model_bytes("findsquare.onnx"))
    with pytest.raises(BackendError) as info:
        model.run([np.zeros(1, np.float64)])
    assert info.value.message == (
        "Unexpected input data type. Actual: (tensor(double)) , expected: (tensor(float))"
    )


def test_wrong_input_count(model_bytes: Reader) -> None:
    model = load(model_bytes("findsquare.onnx"))
    with pytest.raises(BackendError) as info:
        model.run([np.zeros(1, np.float32)] * 2)
    assert info.value.message == "ERR Expected 1 inputs but got 2"


def test_tf_graph_is_not_an_onnx_model(model_bytes: Reader) -> None:
    with pytest.raises(BackendError) as info:
        load(model_bytes("graph.pb"))
    assert info.value.message == "No graph was found in the protobuf."


def test_garbage_blob() -> None:
    with pytest.raises(BackendError) as info:
        load(b"\x08\x07garbage that is not protobuf")
    assert "protobuf" in info.value.message
    assert "\n" not in info.value.message


@pytest.mark.parametrize("device", ["bad_device", "TPU", "GPUX"])
def test_unsupported_device(model_bytes: Reader, device: str) -> None:
    with pytest.raises(BackendError) as info:
        load(model_bytes("boston.onnx"), device)
    assert info.value.message == "ERR unsupported device"


@pytest.mark.parametrize("device", ["cpu", "CPU:1", "cpuXYZ"])
def test_cpu_device_spellings(model_bytes: Reader, device: str) -> None:
    (y,) = load(model_bytes("findsquare.onnx"), device).run([np.array([2.0], np.float32)])
    assert y.tolist() == [4.0]


@pytest.mark.parametrize("device", ["GPU", "GPU:0", "gpu:1"])
def test_gpu_without_cuda(model_bytes: Reader, device: str) -> None:
    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this onnxruntime has CUDA")
    with pytest.raises(BackendError) as info:
        load(model_bytes("boston.onnx"), device)
    assert info.value.message == "ERR GPU requested but ONNX couldn't find CUDA"


def test_gpu_runs_on_cuda(model_bytes: Reader) -> None:
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("no CUDA provider in this onnxruntime")
    model = load(model_bytes("findsquare.onnx"), "GPU:0")
    assert model._session.get_providers()[0] == "CUDAExecutionProvider"
    (y,) = model.run([np.array([5.0], np.float32)])
    assert y.tolist() == [25.0]


# -- built models -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def multi_io() -> bytes:
    """Two inputs (int32, bool), three outputs (int32, bool, float), dynamic batch."""
    return build(
        [
            helper.make_node("Add", ["i", "i"], ["doubled"]),
            helper.make_node("Not", ["flags"], ["negated"]),
            helper.make_node("Cast", ["i"], ["as_float"], to=TensorProto.FLOAT),
        ],
        [vi("i", TensorProto.INT32, ["N", 3]), vi("flags", TensorProto.BOOL, ["N", 3])],
        [
            vi("doubled", TensorProto.INT32, ["N", 3]),
            vi("negated", TensorProto.BOOL, ["N", 3]),
            vi("as_float", TensorProto.FLOAT, ["N", 3]),
        ],
    )


@pytest.mark.parametrize("batch", [1, 7])
def test_multi_input_output_int_bool_dynamic_batch(multi_io: bytes, batch: int) -> None:
    model = load(multi_io)
    assert model.input_names == ["i", "flags"]
    assert model.output_names == ["doubled", "negated", "as_float"]
    i = np.arange(batch * 3, dtype=np.int32).reshape(batch, 3) - 4
    flags = (i % 2 == 0).reshape(batch, 3)
    doubled, negated, as_float = model.run([readonly(i), readonly(flags)])
    assert doubled.dtype == np.int32 and np.array_equal(doubled, i * 2)
    assert negated.dtype == np.bool_ and np.array_equal(negated, ~flags)
    assert as_float.dtype == np.float32 and np.array_equal(as_float, i.astype(np.float32))


def test_concurrent_runs_from_threads(multi_io: bytes) -> None:
    model = load(multi_io)
    errors: list[str] = []

    def worker(seed: int) -> None:
        i = np.full((4, 3), seed, np.int32)
        for _ in range(50):
            doubled, _, _ = model.run([i, np.zeros((4, 3), bool)])
            if not np.array_equal(doubled, i * 2):
                errors.append(f"seed {seed}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_string_tensors() -> None:
    blob = build(
        [helper.make_node("Identity", ["s"], ["out"])],
        [vi("s", TensorProto.STRING, [2, 2])],
        [vi("out", TensorProto.STRING, [2, 2])],
    )
    strings = np.array([[b"input11", b"input12"], [b"input21", "\u05e9".encode()]], dtype=object)
    (out,) = load(blob).run([strings])
    assert out.dtype == object and out.shape == (2, 2)
    assert out.tolist() == strings.tolist()


def test_zipmap_output_is_skipped() -> None:
    """scikit-learn classifiers end in ZipMap (a sequence of maps): RedisAI skips it."""
    blob = build(
        [
            helper.make_node(
                "LinearClassifier",
                ["x"],
                ["label", "scores"],
                domain="ai.onnx.ml",
                classlabels_ints=[0, 1],
                coefficients=[1.0, -1.0, -1.0, 1.0],
                intercepts=[0.0, 0.0],
                post_transform="SOFTMAX",
            ),
            helper.make_node(
                "ZipMap",
                ["scores"],
                ["probabilities"],
                domain="ai.onnx.ml",
                classlabels_int64s=[0, 1],
            ),
        ],
        [vi("x", TensorProto.FLOAT, [1, 2])],
        [
            vi("label", TensorProto.INT64, [1]),
            helper.make_value_info(
                "probabilities",
                helper.make_sequence_type_proto(
                    helper.make_map_type_proto(
                        TensorProto.INT64, helper.make_tensor_type_proto(TensorProto.FLOAT, [])
                    )
                ),
            ),
        ],
        ml=True,
    )
    model = load(blob)
    assert model.output_names == ["label", "probabilities"]
    label, probabilities = model.run([np.array([[3.0, 1.0]], np.float32)])
    assert label.tolist() == [0]
    assert probabilities is None


def test_external_initializers_are_refused(tmp_path: Path) -> None:
    weights = numpy_helper.from_array(np.ones((4, 4), np.float32), "W")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"])],
        "g",
        [vi("x", TensorProto.FLOAT, ["N", 4])],
        [vi("y", TensorProto.FLOAT, ["N", 4])],
        [weights],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save_model(
        model,
        str(tmp_path / "m.onnx"),
        save_as_external_data=True,
        location="w.bin",
        size_threshold=0,
    )
    with pytest.raises(BackendError) as info:
        load((tmp_path / "m.onnx").read_bytes())
    assert info.value.message == "Initializer tensors with external data is not allowed."


def test_thread_options_reach_the_session(multi_io: bytes) -> None:
    model = load(multi_io, options=ModelOptions(intra_op_threads=1, inter_op_threads=1))
    so = model._session.get_session_options()
    assert (so.intra_op_num_threads, so.inter_op_num_threads) == (1, 1)
    doubled, _, _ = model.run([np.ones((1, 3), np.int32), np.ones((1, 3), bool)])
    assert doubled.tolist() == [[2, 2, 2]]


# -- MODEL_EXECUTION_TIMEOUT ------------------------------------------------------------


@pytest.fixture(scope="module")
def endless_loop() -> bytes:
    """A Loop whose trip count and condition never end it (RedisAI's kill-switch test)."""
    body = helper.make_graph(
        [
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
            helper.make_node("Identity", ["v_in"], ["v_out"]),
        ],
        "body",
        [
            vi("iter", TensorProto.INT64, []),
            vi("cond_in", TensorProto.BOOL, []),
            vi("v_in", TensorProto.FLOAT, [1]),
        ],
        [vi("cond_out", TensorProto.BOOL, []), vi("v_out", TensorProto.FLOAT, [1])],
    )
    return build(
        [helper.make_node("Loop", ["M", "cond", "v"], ["v_final"], body=body)],
        [
            vi("M", TensorProto.INT64, []),
            vi("cond", TensorProto.BOOL, []),
            vi("v", TensorProto.FLOAT, [1]),
        ],
        [vi("v_final", TensorProto.FLOAT, [1])],
    )


def loop_inputs(iterations: int) -> list[np.ndarray]:
    return [np.array(iterations, np.int64), np.array(True), np.array([42.0], np.float32)]


def test_execution_timeout_terminates_the_run(endless_loop: bytes) -> None:
    model = load(endless_loop, options=ModelOptions(execution_timeout_ms=300))
    start = time.monotonic()
    with pytest.raises(BackendError) as info:
        model.run(loop_inputs(2**62))
    elapsed = time.monotonic() - start
    assert "Exiting due to terminate flag being set to true." in info.value.message
    assert 0.29 <= elapsed < 3.0
    # A later short run of the same model is not hit by the earlier flag.
    (out,) = model.run(loop_inputs(5))
    assert out.tolist() == [42.0]


def test_timeout_kills_only_the_late_run(endless_loop: bytes, model_bytes: Reader) -> None:
    slow = load(endless_loop, options=ModelOptions(execution_timeout_ms=400))
    fast = load(model_bytes("findsquare.onnx"), options=ModelOptions(execution_timeout_ms=400))
    failures: list[str] = []

    def run_slow() -> None:
        try:
            slow.run(loop_inputs(2**62))
        except BackendError as exc:
            failures.append(exc.message)

    thread = threading.Thread(target=run_slow)
    thread.start()
    deadline = time.monotonic() + 0.6
    while time.monotonic() < deadline:
        (y,) = fast.run([np.array([3.0], np.float32)])
        assert y.tolist() == [9.0]
    thread.join()
    assert len(failures) == 1 and "terminate flag" in failures[0]


def test_no_timeout_when_unset(endless_loop: bytes) -> None:
    (out,) = load(endless_loop).run(loop_inputs(1000))
    assert out.tolist() == [42.0]


# -- BACKEND_MEMORY_LIMIT (own process: the capped arena is process-wide) ---------------

MEMORY_SCRIPT = r"""
import numpy as np, onnx
from onnx import TensorProto, helper, numpy_helper
from pyredisai.backends.base import BackendError, ModelOptions
from pyredisai.backends.registry import get_backend

def matmul(n):
    w = numpy_helper.from_array(np.ones((n, n), np.float32), "W")
    g = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", n])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", n])], [w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]); m.ir_version = 8
    return m.SerializeToString()

onnx_backend = get_backend("ONNX")
limited = ModelOptions(memory_limit_mb=1)
def attempt(fn):
    try:
        fn()
        return "ok"
    except BackendError as exc:
        return exc.message
print(attempt(lambda: onnx_backend.load(matmul(600), "CPU", limited)))   # 1.44 MB of weights
small = onnx_backend.load(matmul(100), "CPU", limited)
print(attempt(lambda: small.run([np.ones((2, 100), np.float32)])))
print(attempt(lambda: small.run([np.ones((5000, 100), np.float32)])))  # 2 MB output
print(attempt(lambda: onnx_backend.load(matmul(600), "CPU:1", limited)))  # only "CPU" is limited
first = onnx_backend.load(matmul(400), "CPU", limited)  # 640 kB: the limit is for all models
print(attempt(lambda: onnx_backend.load(matmul(400), "CPU", limited)))
del first
print(attempt(lambda: onnx_backend.load(matmul(400), "CPU", limited)))  # freed with the model
"""


def test_memory_limit() -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == (
        "Exception during initialization: Onnxruntime memory limit exceeded, memory allocation failed."
    )
    assert lines[1] == "ok"
    assert "Onnxruntime memory limit exceeded, memory allocation failed." in lines[2]
    assert lines[3] == "ok"
    assert lines[4] == lines[0]
    assert lines[5] == "ok"


def test_inprocess_benchmark_helper(model_bytes: Reader) -> None:
    from benchmarks.inprocess import bench_model

    model = load(model_bytes("findsquare.onnx"))
    results = bench_model(model, [np.ones(1, np.float32)], iters=20)
    assert results[1]["median_us"] > 0 and results[1]["samples_per_s"] > 0
    assert "Got invalid dimensions" in results[32]["error"]  # fixed batch of 1
