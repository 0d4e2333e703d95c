"""TFLITE backend: the shared quantised MNIST model, converted models, RedisAI's errors."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from pyredisai.backends.base import BackendError, ModelOptions
from pyredisai.backends.registry import get_backend

pytestmark = pytest.mark.needs_tflite
pytest.importorskip("pyredisai.backends.tflite", exc_type=ImportError)

Reader = Callable[[str], bytes]
OPTS = ModelOptions()


def load(blob: bytes, device: str = "CPU", options: ModelOptions = OPTS) -> Any:
    return get_backend("TFLITE").load(blob, device, options)


def readonly(arr: np.ndarray) -> np.ndarray:
    """Keyspace tensors are read-only views over immutable bytes."""
    return np.frombuffer(arr.tobytes(), dtype=arr.dtype).reshape(arr.shape)


def digit_one(model_bytes: Reader) -> np.ndarray:
    return np.frombuffer(model_bytes("one.raw"), dtype=np.float32).reshape(1, 28, 28)


# -- the shared model -------------------------------------------------------------------


@pytest.mark.parametrize("device", ["CPU", "cpu", "GPU", "GPU:1"])  # GPU silently runs on CPU
def test_mnist_recognises_one(model_bytes: Reader, device: str) -> None:
    model = load(model_bytes("mnist_model_quant.tflite"), device)
    assert model.input_names == ["Placeholder"]
    assert model.output_names == ["ArgMax", "Softmax"]
    argmax, softmax = model.run([digit_one(model_bytes)])
    assert argmax.dtype == np.int64 and argmax.tolist() == [1]
    assert softmax.dtype == np.float32 and softmax.shape == (1, 10)
    assert int(np.argmax(softmax)) == 1
    assert abs(float(softmax.sum()) - 1.0) < 0.05


def test_mnist_fixed_batch_fails_to_allocate(model_bytes: Reader) -> None:
    """The model reshapes to a fixed batch of 1: resizing its input cannot be prepared."""
    model = load(model_bytes("mnist_model_quant.tflite"))
    batch = np.concatenate([digit_one(model_bytes)] * 3)
    with pytest.raises(BackendError) as info:
        model.run([readonly(batch)])
    assert info.value.message == "Failed to allocate tensors"
    argmax, _ = model.run([digit_one(model_bytes)])  # resized back, it runs again
    assert argmax.tolist() == [1]


def test_input_type_must_match(model_bytes: Reader) -> None:
    model = load(model_bytes("mnist_model_quant.tflite"))
    with pytest.raises(BackendError) as info:
        model.run([digit_one(model_bytes).astype(np.float64)])
    assert info.value.message == (
        "Input tensor type doesn't match the type expected by the model definition"
    )


def test_input_count(model_bytes: Reader) -> None:
    model = load(model_bytes("mnist_model_quant.tflite"))
    one = digit_one(model_bytes)
    with pytest.raises(BackendError) as info:
        model.run([one, one])
    assert info.value.message == "Inconsistent number of inputs"


def test_corrupt_blob(model_bytes: Reader) -> None:
    for blob in (model_bytes("graph.pb"), b"garbage" * 20):
        with pytest.raises(BackendError) as info:
            load(blob)
        assert info.value.message == "Failed to load model from buffer"


@pytest.mark.parametrize("device", ["bad_device", "TPU"])
def test_unsupported_device(model_bytes: Reader, device: str) -> None:
    with pytest.raises(BackendError) as info:
        load(model_bytes("mnist_model_quant.tflite"), device)
    assert info.value.message == "ERR Unsupported device"


def test_concurrent_runs_take_turns(model_bytes: Reader) -> None:
    model = load(model_bytes("mnist_model_quant.tflite"))
    one = digit_one(model_bytes)
    bad: list[str] = []

    def worker() -> None:
        for _ in range(20):
            argmax, _ = model.run([one])
            if argmax.tolist() != [1]:
                bad.append(str(argmax))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bad == []


# -- converted models (TFLiteConverter needs TensorFlow) ---------------------------------


@pytest.fixture(scope="module")
def tf() -> Any:
    return pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def multi_io(tf: Any) -> bytes:
    """float32 and int32 inputs; int32, bool and float32 outputs; any batch size."""

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, 3], tf.float32, name="x"),
            tf.TensorSpec([None, 3], tf.int32, name="counts"),
        ]
    )
    def f(x: Any, counts: Any) -> Any:
        return {"scaled": x * 2.0, "next": counts + 1, "positive": x > 0.0}

    converter = tf.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()], f)
    return bytes(converter.convert())


@pytest.fixture(scope="module")
def bool_input(tf: Any) -> bytes:
    @tf.function(input_signature=[tf.TensorSpec([None], tf.bool, name="flags")])
    def f(flags: Any) -> Any:
        return tf.logical_not(flags)

    converter = tf.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()], f)
    return bytes(converter.convert())


@pytest.mark.parametrize("batch", [1, 4])
def test_multi_input_output_dynamic_batch(multi_io: bytes, batch: int) -> None:
    model = load(multi_io)
    assert model.input_names == ["x", "counts"]
    assert len(model.output_names) == 3
    x = np.linspace(-1, 1, batch * 3, dtype=np.float32).reshape(batch, 3)
    counts = np.arange(batch * 3, dtype=np.int32).reshape(batch, 3)
    outputs = model.run([readonly(x), readonly(counts)])
    by_dtype = {out.dtype: out for out in outputs}
    assert np.array_equal(by_dtype[np.dtype(np.int32)], counts + 1)
    assert np.array_equal(by_dtype[np.dtype(np.bool_)], x > 0)
    np.testing.assert_allclose(by_dtype[np.dtype(np.float32)], x * 2)


def test_bool_input_quirk(bool_input: bytes) -> None:
    """RedisAI's missing `break`: a BOOL model input always fails with the Float16 text."""
    model = load(bool_input)
    with pytest.raises(BackendError) as info:
        model.run([np.array([True, False])])
    assert info.value.message == "Float16 not currently supported as input tensor data type"
    with pytest.raises(BackendError) as info:
        model.run([np.array([1, 0], np.uint8)])
    assert info.value.message == (
        "Input tensor type doesn't match the type expected by the model definition"
    )


def test_concurrent_runs_with_different_batches(multi_io: bytes) -> None:
    model = load(multi_io)
    bad: list[int] = []

    def worker(batch: int) -> None:
        counts = np.full((batch, 3), batch, np.int32)
        x = np.ones((batch, 3), np.float32)
        for _ in range(20):
            outputs = model.run([x, counts])
            plus_one = next(o for o in outputs if o.dtype == np.int32)
            if not np.array_equal(plus_one, counts + 1):
                bad.append(batch)

    threads = [threading.Thread(target=worker, args=(n,)) for n in (1, 2, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bad == []


FALLBACK_SCRIPT = r"""
import sys
sys.modules["ai_edge_litert"] = None  # as if LiteRT were not installed
sys.modules["tflite_runtime"] = None
import numpy as np
from pyredisai.backends.registry import get_backend
from pyredisai.backends.base import ModelOptions
backend = get_backend("TFLITE")
model = backend.load(open(sys.argv[1], "rb").read(), "CPU", ModelOptions())
one = np.fromfile(sys.argv[2], dtype=np.float32).reshape(1, 28, 28)
print(model.run([one])[0].tolist(), backend.version() == __import__("tensorflow").__version__)
"""


def test_falls_back_to_tensorflow_lite(models_dir: str, tf: Any) -> None:
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            FALLBACK_SCRIPT,
            os.path.join(models_dir, "mnist_model_quant.tflite"),
            os.path.join(models_dir, "one.raw"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[1] True"
