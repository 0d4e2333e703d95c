"""Shared by the tests/ai/test_model_*.py files: clients, flushing, and small models
built in-process with each framework's own serialisation, so no test downloads
anything and the heavy frameworks stay out of the test process where possible:

- ONNX graphs with `onnx.helper`;
- TorchScript modules with `torch.jit.script` (imports torch, used by the torch tests);
- TF GraphDefs written directly in protobuf wire format (no TensorFlow import);
- TFLite flatbuffers through LiteRT's generated schema classes (no TensorFlow import).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import io
import socket
import struct
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import redis

from ..helpers import MODELS_DIR, RawConnection, ServerProcess

# -- clients ---------------------------------------------------------------------------------


def flush(client: redis.Redis) -> None:
    """FLUSHALL (or, until the command exists, delete what the tests use)."""
    try:
        client.flushall()
    except redis.ResponseError as exc:
        if "unknown command" not in str(exc):
            raise
        for db in (1, 0):
            client.execute_command("SELECT", db)
            for key in client.execute_command("KEYS", "*"):
                client.execute_command("DEL", key)


def connect(server: ServerProcess, protocol: int = 2) -> redis.Redis:
    client = server.client(protocol=protocol)
    if protocol == 3:
        try:
            client.ping()
        except redis.ResponseError as exc:  # pragma: no cover - until HELLO exists
            client.close()
            if "unknown command" in str(exc):
                pytest.skip("HELLO 3 is not implemented yet")
            raise
    return client


def clients(server: ServerProcess, protocol: int = 2) -> Iterator[redis.Redis]:
    client = connect(server, protocol)
    flush(client)
    yield client
    client.close()


def raw_conn(server: ServerProcess) -> RawConnection:
    return RawConnection(server.port, timeout=60.0)


def err(conn: RawConnection, *args: Any) -> str:
    """The exact error text (after the '-') a command gets, prefix included."""
    reply = conn.command(*args)
    assert isinstance(reply, tuple) and reply[0] == "error", reply
    return str(reply[1])


def model_bytes(name: str) -> bytes:
    return (Path(MODELS_DIR) / name).read_bytes()


def import_redisai() -> Any:
    """redisai-py 1.3 reads its version through pkg_resources, which setuptools 81+ no
    longer ships: answer from importlib.metadata first."""
    if "pkg_resources" not in sys.modules:
        shim = types.ModuleType("pkg_resources")
        shim.get_distribution = lambda name: types.SimpleNamespace(  # type: ignore[attr-defined]
            version=importlib.metadata.version(name)
        )
        sys.modules["pkg_resources"] = shim
    try:
        return importlib.import_module("redisai")
    except ImportError as exc:  # pragma: no cover - the dev extra installs it
        pytest.skip(f"redisai-py is not installed: {exc}")


def tensorset(client: redis.Redis, key: str, array: np.ndarray) -> None:
    names = {
        np.dtype("float32"): "FLOAT",
        np.dtype("float64"): "DOUBLE",
        np.dtype("int8"): "INT8",
        np.dtype("int16"): "INT16",
        np.dtype("int32"): "INT32",
        np.dtype("int64"): "INT64",
        np.dtype("uint8"): "UINT8",
        np.dtype("uint16"): "UINT16",
        np.dtype("bool"): "BOOL",
    }
    array = np.ascontiguousarray(array)
    client.execute_command(
        "AI.TENSORSET", key, names[array.dtype], *array.shape, "BLOB", array.tobytes()
    )


def tensorget(client: redis.Redis, key: str) -> np.ndarray:
    dtypes = {
        b"FLOAT": np.float32,
        b"DOUBLE": np.float64,
        b"INT8": np.int8,
        b"INT16": np.int16,
        b"INT32": np.int32,
        b"INT64": np.int64,
        b"UINT8": np.uint8,
        b"UINT16": np.uint16,
        b"BOOL": np.bool_,
    }
    reply = client.execute_command("AI.TENSORGET", key, "META", "BLOB")
    meta = dict(zip(reply[::2], reply[1::2], strict=True))
    return np.frombuffer(meta[b"blob"], dtypes[meta[b"dtype"]]).reshape(meta[b"shape"])


def wait_port_quiet(port: int) -> None:  # pragma: no cover - debugging aid
    with socket.create_connection(("127.0.0.1", port)):
        pass


# -- ONNX (onnx.helper) ------------------------------------------------------------------------


def onnx_model(nodes: list[Any], inputs: list[Any], outputs: list[Any]) -> bytes:
    from onnx import helper

    graph = helper.make_graph(nodes, "g", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return bytes(model.SerializeToString())


def onnx_add() -> bytes:
    """a + b over float [N, 2]."""
    from onnx import TensorProto, helper

    return onnx_model(
        [helper.make_node("Add", ["a", "b"], ["sum"])],
        [
            helper.make_tensor_value_info("a", TensorProto.FLOAT, ["N", 2]),
            helper.make_tensor_value_info("b", TensorProto.FLOAT, ["N", 2]),
        ],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["N", 2])],
    )


def onnx_multi() -> bytes:
    """Inputs x FLOAT[N,3], y INT64[N,3], f BOOL[N,3]; outputs x*2 (FLOAT), y+y (INT64),
    not f (BOOL), x>0 (BOOL)."""
    from onnx import TensorProto, helper

    two = helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])
    zero = helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])
    return onnx_model(
        [
            helper.make_node("Constant", [], ["c2"], value=two),
            helper.make_node("Constant", [], ["c0"], value=zero),
            helper.make_node("Mul", ["x", "c2"], ["x2"]),
            helper.make_node("Add", ["y", "y"], ["yy"]),
            helper.make_node("Not", ["f"], ["nf"]),
            helper.make_node("Greater", ["x", "c0"], ["pos"]),
        ],
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3]),
            helper.make_tensor_value_info("y", TensorProto.INT64, ["N", 3]),
            helper.make_tensor_value_info("f", TensorProto.BOOL, ["N", 3]),
        ],
        [
            helper.make_tensor_value_info("x2", TensorProto.FLOAT, ["N", 3]),
            helper.make_tensor_value_info("yy", TensorProto.INT64, ["N", 3]),
            helper.make_tensor_value_info("nf", TensorProto.BOOL, ["N", 3]),
            helper.make_tensor_value_info("pos", TensorProto.BOOL, ["N", 3]),
        ],
    )


# -- TorchScript ---------------------------------------------------------------------------------


def torchscript(module: Any) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(module), buf)
    return buf.getvalue()


def torch_slow(seconds: float = 1.0, value: float = 1.0) -> bytes:
    """A TorchScript model returning `x * value` after a chain of small dependent matrix
    products that takes about `seconds` on one thread (servers running it should use
    --intra-op-parallelism 1): it holds a worker thread, with the GIL released."""

    return torchscript(_Slow(calibrate_steps(seconds), value))


def _slow_class() -> Any:
    import torch

    class Slow(torch.nn.Module):
        def __init__(self, steps: int, value: float) -> None:
            super().__init__()
            self.steps = steps
            self.value = value

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            m = torch.eye(48) * 0.5 + 0.01
            acc = m
            for _ in range(self.steps):
                acc = torch.mm(acc, m)
            return x * self.value + acc[0, 0] * 0.0

    return Slow


def _Slow(steps: int, value: float) -> Any:  # noqa: N802
    return _slow_class()(steps, value)


_steps_per_second: float | None = None


def calibrate_steps(seconds: float) -> int:
    """Steps of the slow model that take about `seconds` here, measured on one thread
    with the scripted module itself."""
    global _steps_per_second
    import time

    import torch

    if _steps_per_second is None:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            probe = torch.jit.script(_Slow(3000, 1.0))
            x = torch.ones(1)
            probe(x)
            start = time.perf_counter()
            probe(x)
            _steps_per_second = 3000 / (time.perf_counter() - start)
        finally:
            torch.set_num_threads(threads)
    return max(1, int(_steps_per_second * seconds))


# -- TF GraphDef, written as protobuf wire format --------------------------------------------

TF_FLOAT, TF_INT32, TF_INT64, TF_BOOL = 1, 3, 9, 10


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _attr_type(name: str, dtype: int) -> bytes:
    value = _varint(6 << 3 | 0) + _varint(dtype)  # AttrValue.type = 6
    return _field(5, _field(1, name.encode()) + _field(2, value))


def tf_node(name: str, op: str, inputs: list[str], **types_: int) -> bytes:
    body = _field(1, name.encode()) + _field(2, op.encode())
    for i in inputs:
        body += _field(3, i.encode())
    for attr, dtype in types_.items():
        body += _attr_type(attr, dtype)
    return _field(1, body)  # GraphDef.node = 1


def tf_graph(*nodes: bytes) -> bytes:
    versions = _field(4, _varint(1 << 3 | 0) + _varint(27))  # VersionDef.producer = 27
    return b"".join(nodes) + versions


def tf_multi() -> bytes:
    """Placeholders a FLOAT, b FLOAT, i INT32, f BOOL; nodes mul = a*b, add = a+b,
    sq = i*i (INT32), not = !f (BOOL)."""
    return tf_graph(
        tf_node("a", "Placeholder", [], dtype=TF_FLOAT),
        tf_node("b", "Placeholder", [], dtype=TF_FLOAT),
        tf_node("i", "Placeholder", [], dtype=TF_INT32),
        tf_node("f", "Placeholder", [], dtype=TF_BOOL),
        tf_node("mul", "Mul", ["a", "b"], T=TF_FLOAT),
        tf_node("add", "AddV2", ["a", "b"], T=TF_FLOAT),
        tf_node("sq", "Mul", ["i", "i"], T=TF_INT32),
        tf_node("not", "LogicalNot", ["f"]),
    )


# -- TFLite flatbuffers (LiteRT's generated schema) ------------------------------------------


def tflite_multi() -> bytes:
    """Inputs x FLOAT32[1,3], y INT32[1,3]; outputs x+x (FLOAT32), y*y (INT32),
    x+x > x (BOOL)."""
    import flatbuffers  # type: ignore[import-untyped]
    from ai_edge_litert import schema_py_generated as s

    def tensor(name: str, ttype: int, buffer: int = 0) -> Any:
        t = s.TensorT()
        t.name = name
        t.type = ttype
        t.shape = [1, 3]
        t.buffer = buffer
        return t

    def code(op: int) -> Any:
        c = s.OperatorCodeT()
        c.builtinCode = op
        c.deprecatedBuiltinCode = op if op < 127 else 127
        c.version = 1
        return c

    def operator(
        index: int, ins: list[int], outs: list[int], options_type: int = 0, options: Any = None
    ) -> Any:
        o = s.OperatorT()
        o.opcodeIndex = index
        o.inputs = ins
        o.outputs = outs
        o.builtinOptionsType = options_type
        o.builtinOptions = options
        return o

    sub = s.SubGraphT()
    sub.tensors = [
        tensor("x", s.TensorType.FLOAT32),
        tensor("y", s.TensorType.INT32),
        tensor("sum", s.TensorType.FLOAT32),
        tensor("prod", s.TensorType.INT32),
        tensor("gt", s.TensorType.BOOL),
    ]
    sub.inputs = [0, 1]
    sub.outputs = [2, 3, 4]
    add_options = s.AddOptionsT()
    mul_options = s.MulOptionsT()
    sub.operators = [
        operator(0, [0, 0], [2], s.BuiltinOptions.AddOptions, add_options),
        operator(1, [1, 1], [3], s.BuiltinOptions.MulOptions, mul_options),
        operator(2, [2, 0], [4]),
    ]
    sub.name = "main"
    model = s.ModelT()
    model.version = 3
    model.operatorCodes = [
        code(s.BuiltinOperator.ADD),
        code(s.BuiltinOperator.MUL),
        code(s.BuiltinOperator.GREATER),
    ]
    model.subgraphs = [sub]
    model.buffers = [s.BufferT()]
    model.description = "pyredisai test model"
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def f32(values: list[float]) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


def onnx_sum(k: int) -> bytes:
    """Sum of k float [N] inputs i0..i{k-1}, one output s."""
    from onnx import TensorProto, helper

    names = [f"i{n}" for n in range(k)]
    return onnx_model(
        [helper.make_node("Sum", names, ["s"])],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N"]) for n in names],
        [helper.make_tensor_value_info("s", TensorProto.FLOAT, ["N"])],
    )


def onnx_zipmap() -> bytes:
    """Input x FLOAT[1,2]; outputs y = x (a tensor) and probs = ZipMap(x), a sequence of
    maps (not a tensor: RedisAI leaves that output key unchanged)."""
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [
            helper.make_node("Identity", ["x"], ["y"]),
            helper.make_node(
                "ZipMap", ["x"], ["probs"], domain="ai.onnx.ml", classlabels_int64s=[0, 1]
            ),
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
        [
            helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2]),
            helper.make_value_info(
                "probs",
                helper.make_sequence_type_proto(
                    helper.make_map_type_proto(
                        TensorProto.INT64, helper.make_tensor_type_proto(TensorProto.FLOAT, [])
                    )
                ),
            ),
        ],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)],
    )
    model.ir_version = 8
    return bytes(model.SerializeToString())


def onnx_batch_probe() -> bytes:
    """Input x FLOAT[N,2]; outputs y = 2x and n = N in every element ([N,2]): each caller
    of a batched run sees how many rows the run had in all."""
    from onnx import TensorProto, helper

    two = helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])
    zero = helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])
    one = helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [0])
    return onnx_model(
        [
            helper.make_node("Constant", [], ["c2"], value=two),
            helper.make_node("Constant", [], ["c0"], value=zero),
            helper.make_node("Constant", [], ["c1"], value=one),
            helper.make_node("Constant", [], ["ax"], value=axes),
            helper.make_node("Mul", ["x", "c2"], ["y"]),
            helper.make_node("Mul", ["x", "c0"], ["z"]),
            helper.make_node("Add", ["z", "c1"], ["ones"]),
            helper.make_node("ReduceSum", ["ones", "ax"], ["count"], keepdims=1),
            helper.make_node("Add", ["z", "count"], ["n"]),
        ],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
        [
            helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2]),
            helper.make_tensor_value_info("n", TensorProto.FLOAT, ["N", 2]),
        ],
    )
