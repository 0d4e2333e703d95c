"""TF backend: the shared frozen graph, graphs built with tf.compat.v1, RedisAI's errors."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from pyredisai.backends.base import BackendError, ModelOptions
from pyredisai.backends.registry import get_backend

pytestmark = pytest.mark.needs_tf
tf = pytest.importorskip("tensorflow")
tf1 = tf.compat.v1

Reader = Callable[[str], bytes]
MUL = ModelOptions(inputs=["a", "b"], outputs=["mul"])


def load(blob: bytes, options: ModelOptions = MUL, device: str = "CPU") -> Any:
    return get_backend("TF").load(blob, device, options)


def readonly(arr: np.ndarray) -> np.ndarray:
    """Keyspace tensors are read-only views over immutable bytes."""
    return np.frombuffer(arr.tobytes(), dtype=arr.dtype).reshape(arr.shape)


def graph_def(build: Callable[[], None]) -> bytes:
    graph = tf.Graph()
    with graph.as_default():
        build()
    return bytes(graph.as_graph_def().SerializeToString())


@pytest.fixture(scope="module")
def multi_io() -> bytes:
    """int32 and bool inputs, three outputs (int32, bool, double), any batch size."""

    def build() -> None:
        counts = tf1.placeholder(tf.int32, [None, 3], name="counts")
        flags = tf1.placeholder(tf.bool, [None, 3], name="flags")
        tf.add(counts, counts, name="doubled")
        tf.logical_not(flags, name="negated")
        tf.cast(tf.reduce_sum(counts, axis=1), tf.float64, name="sums")

    return graph_def(build)


MULTI = ModelOptions(inputs=["counts", "flags"], outputs=["doubled", "negated", "sums"])


# -- the shared model -------------------------------------------------------------------


def test_graph_pb_multiplies(model_bytes: Reader) -> None:
    model = load(model_bytes("graph.pb"))
    assert model.input_names == ["a", "b"]
    assert model.output_names == ["mul"]
    (out,) = model.run([readonly(np.array([2, 3], np.float32)), np.array([4, 5], np.float32)])
    assert out.dtype == np.float32 and out.tolist() == [8.0, 15.0]


def test_shape_error_has_tf_text(model_bytes: Reader) -> None:
    model = load(model_bytes("graph.pb"))
    with pytest.raises(BackendError) as info:
        model.run([np.zeros(2, np.float32), np.zeros((2, 2, 3), np.float32)])
    # RedisAI's example: TF's line break becomes a space, its TAB stays.
    assert info.value.message == "Incompatible shapes: [2] vs. [2,2,3] \t [[{{node mul}}]]"


def test_input_type_is_not_cast(model_bytes: Reader) -> None:
    model = load(model_bytes("graph.pb"))
    with pytest.raises(BackendError) as info:
        model.run([np.array([2, 3], np.int32), np.array([4, 5], np.float32)])
    assert info.value.message == "Expects arg[0] to be float but int32 is provided"


def test_invalid_graphdef() -> None:
    with pytest.raises(BackendError) as info:
        load(b"this is not a GraphDef")
    assert info.value.message == "Invalid GraphDef"


def test_input_must_be_a_placeholder(model_bytes: Reader) -> None:
    for name in ("bad_input", "mul"):
        with pytest.raises(BackendError) as info:
            load(model_bytes("graph.pb"), ModelOptions(inputs=["a", name], outputs=["mul"]))
        assert info.value.message == f'ERR Input node named "{name}" not found in TF graph.'


def test_unknown_output_node(model_bytes: Reader) -> None:
    with pytest.raises(BackendError) as info:
        load(model_bytes("graph.pb"), ModelOptions(inputs=["a", "b"], outputs=["mult"]))
    assert info.value.message == 'ERR Output node named "mult" not found in TF graph'


def test_output_name_with_port_is_not_a_node(model_bytes: Reader) -> None:
    with pytest.raises(BackendError) as info:
        load(model_bytes("graph.pb"), ModelOptions(inputs=["a", "b"], outputs=["mul:0"]))
    assert info.value.message == 'ERR Output node named "mul:0" not found in TF graph'


@pytest.mark.parametrize("device", ["bad_device", "TPU"])
def test_unsupported_device(model_bytes: Reader, device: str) -> None:
    with pytest.raises(BackendError) as info:
        load(model_bytes("graph.pb"), device=device)
    assert info.value.message == "ERR unsupported device"


@pytest.mark.parametrize("device", ["GPU", "GPU:0", "gpu:1"])
def test_gpu_without_cuda(model_bytes: Reader, device: str) -> None:
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("TensorFlow sees a GPU")
    with pytest.raises(BackendError) as info:
        load(model_bytes("graph.pb"), device=device)
    assert info.value.message == "ERR GPU requested but TF couldn't find CUDA"


def test_gpu_runs_on_cuda(model_bytes: Reader) -> None:
    if not tf.config.list_physical_devices("GPU"):
        pytest.skip("no GPU for TensorFlow")
    model = load(model_bytes("graph.pb"), device="GPU:0")
    (out,) = model.run([np.array([2, 3], np.float32), np.array([4, 5], np.float32)])
    assert out.tolist() == [8.0, 15.0]


# -- built graphs -----------------------------------------------------------------------


@pytest.mark.parametrize("batch", [1, 6])
def test_multi_input_output_int_bool_dynamic_batch(multi_io: bytes, batch: int) -> None:
    model = load(multi_io, MULTI)
    counts = np.arange(batch * 3, dtype=np.int32).reshape(batch, 3) - 5
    flags = counts > 0
    doubled, negated, sums = model.run([readonly(counts), readonly(flags)])
    assert doubled.dtype == np.int32 and np.array_equal(doubled, counts * 2)
    assert negated.dtype == np.bool_ and np.array_equal(negated, ~flags)
    assert sums.dtype == np.float64 and sums.tolist() == counts.sum(axis=1).tolist()


def test_string_tensors() -> None:
    def build() -> None:
        s = tf1.placeholder(tf.string, [None], name="s")
        tf.identity(s, name="out")

    model = load(graph_def(build), ModelOptions(inputs=["s"], outputs=["out"]))
    strings = np.array([b"this is", b"the first batch", "\u05e9".encode()], dtype=object)
    (out,) = model.run([strings])
    assert out.dtype == object and out.tolist() == strings.tolist()


def test_thread_options_and_cpu_suffix(multi_io: bytes) -> None:
    options = ModelOptions(MULTI.inputs, MULTI.outputs, intra_op_threads=1, inter_op_threads=1)
    model = load(multi_io, options, device="CPU:1")
    doubled, _, _ = model.run([np.ones((1, 3), np.int32), np.zeros((1, 3), bool)])
    assert doubled.tolist() == [[2, 2, 2]]


def test_concurrent_runs(multi_io: bytes) -> None:
    model = load(multi_io, MULTI)
    bad: list[int] = []

    def worker(seed: int) -> None:
        counts = np.full((2, 3), seed, np.int32)
        for _ in range(30):
            doubled, _, _ = model.run([counts, np.zeros((2, 3), bool)])
            if not np.array_equal(doubled, counts * 2):
                bad.append(seed)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bad == []
