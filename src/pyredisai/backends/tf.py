"""TF backend: a frozen GraphDef (.pb) run through TensorFlow's graph/session API.

Mirrors RedisAI's `src/backends/tensorflow.c`: the graph is imported whole, each INPUTS
name must be a Placeholder node and each OUTPUTS name a node (its output 0 is fetched),
CPU sessions see no GPU and get the INTRA/INTER_OP_PARALLELISM counts, GPU sessions
place the graph on `/GPU:n` with soft placement and memory growth. Runs go through the
session's C API wrapper, which feeds numpy arrays as they are (no implicit casting) and
reports TensorFlow's own message, as the C API gives it to RedisAI.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TF's C++ warnings off stderr

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from ..errors import (  # noqa: E402
    GPU_NO_CUDA_TF,
    MODEL_INPUTS_MISMATCH,
    TF_GPU_ORDINAL,
    TF_INPUT_NOT_FOUND,
    TF_INVALID_GRAPHDEF,
    TF_OUTPUT_NOT_FOUND,
    UNSUPPORTED_DEVICE,
)
from .base import Array, BackendError, ModelOptions, as_bytes  # noqa: E402
from .device import parse_device  # noqa: E402

try:  # the C API wrapper behind Session.run, without its feed conversion and re-raising
    from tensorflow.python.client import pywrap_tf_session as _tf_session

    _session_run: Any = _tf_session.TF_SessionRun_wrapper
except (ImportError, AttributeError):  # pragma: no cover - other TF layouts
    _session_run = None

_tf1 = tf.compat.v1


class TFBackend:
    name = "TF"

    def load(self, blob: bytes, device: str, options: ModelOptions) -> TFModel:
        return TFModel(blob, device, options)

    def version(self) -> str:
        return str(tf.__version__)


class TFModel:
    """One graph and its session. Session runs are thread-safe and release the GIL."""

    def __init__(self, blob: bytes, device: str, options: ModelOptions) -> None:
        dev = parse_device(device)
        if dev is None:
            raise BackendError(UNSUPPORTED_DEVICE)
        graph_def = _tf1.GraphDef()
        try:
            graph_def.ParseFromString(as_bytes(blob))
        except Exception:  # protobuf's DecodeError: not a GraphDef
            raise BackendError(TF_INVALID_GRAPHDEF) from None
        graph = tf.Graph()
        try:
            with graph.as_default():
                if dev.gpu:
                    with graph.device(f"/device:GPU:{max(dev.index, 0)}"):
                        _tf1.import_graph_def(graph_def, name="")
                else:
                    _tf1.import_graph_def(graph_def, name="")
        except Exception as exc:
            raise BackendError(getattr(exc, "message", None) or str(exc)) from None
        feeds = []
        for name in options.inputs:
            op = _operation(graph, name)
            if op is None or op.type != "Placeholder":
                raise BackendError(TF_INPUT_NOT_FOUND.format(name=name))
            feeds.append(op.outputs[0])
        fetches = []
        for name in options.outputs:
            op = _operation(graph, name)
            if op is None or not op.outputs:
                raise BackendError(TF_OUTPUT_NOT_FOUND.format(name=name))
            fetches.append(op.outputs[0])
        if dev.gpu:
            count = gpu_count()
            if not count:
                raise BackendError(GPU_NO_CUDA_TF)
            if dev.index >= count:  # soft placement would quietly run it on the CPU
                raise BackendError(TF_GPU_ORDINAL.format(index=dev.index, count=count))
            config = _tf1.ConfigProto(allow_soft_placement=True)
            config.gpu_options.allow_growth = True
        else:
            config = _tf1.ConfigProto(device_count={"GPU": 0})
            if options.intra_op_threads > 0:
                config.intra_op_parallelism_threads = options.intra_op_threads
            if options.inter_op_threads > 0:
                config.inter_op_parallelism_threads = options.inter_op_threads
        try:
            self._session = _tf1.Session(graph=graph, config=config)
        except Exception as exc:
            raise BackendError(getattr(exc, "message", None) or str(exc)) from None
        self.input_names = list(options.inputs)
        self.output_names = list(options.outputs)
        self._feeds = feeds
        self._fetches = fetches
        self._feed_ports = [t._as_tf_output() for t in feeds]
        self._fetch_ports = [t._as_tf_output() for t in fetches]

    def run(self, inputs: Sequence[Array]) -> list[Array | None]:
        if len(inputs) != len(self._feeds):
            raise BackendError(MODEL_INPUTS_MISMATCH)
        try:
            if _session_run is not None:
                feed = dict(zip(self._feed_ports, inputs, strict=True))
                results = _session_run(
                    self._session._session, None, feed, self._fetch_ports, [], None
                )
            else:  # pragma: no cover - other TF layouts (Session.run casts feeds itself)
                feed_dict = dict(zip(self._feeds, inputs, strict=True))
                results = self._session.run(self._fetches, feed_dict)
        except tf.errors.OpError as exc:
            raise BackendError(exc.message) from None
        except Exception as exc:
            raise BackendError(str(exc)) from None
        return [np.asarray(r) for r in results]


def _operation(graph: tf.Graph, name: str) -> Any:
    try:
        return graph.get_operation_by_name(name)
    except (KeyError, ValueError):
        return None


@cache
def gpu_count() -> int:
    """GPUs TensorFlow can use, counted once per process."""
    return len(tf.config.list_physical_devices("GPU"))
