"""TF models end to end: graph.pb (a * b), a GraphDef built here (four inputs of FLOAT,
INT32 and BOOL, four outputs), the node-name checks, TensorFlow's own error texts, the
deprecated AI.MODELSET form, the GPU error on a CUDA-less build, and redisai-py.

The test process never imports TensorFlow: graphs are written as protobuf bytes."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import redis

from ..helpers import RawConnection, ServerProcess
from .model_helpers import (
    clients,
    err,
    import_redisai,
    model_bytes,
    raw_conn,
    tensorget,
    tensorset,
    tf_multi,
)

if importlib.util.find_spec("tensorflow") is None:
    pytest.skip("the tf extra is not installed", allow_module_level=True)

GRAPH = model_bytes("graph.pb")


@pytest.fixture
def c(server: ServerProcess) -> Iterator[redis.Redis]:
    yield from clients(server)


@pytest.fixture
def raw(server: ServerProcess, c: redis.Redis) -> Iterator[RawConnection]:
    conn = raw_conn(server)
    yield conn
    conn.close()


def store_graph(c: redis.Redis, key: str = "m", device: str = "CPU") -> Any:
    return c.execute_command(
        "AI.MODELSTORE",
        key,
        "TF",
        device,
        "INPUTS",
        2,
        "a",
        "b",
        "OUTPUTS",
        1,
        "mul",
        "BLOB",
        GRAPH,
    )


def test_graph_multiplies(c: redis.Redis) -> None:
    assert store_graph(c) == b"OK"
    c.execute_command("AI.TENSORSET", "a", "FLOAT", 2, 2, "VALUES", 2, 3, 2, 3)
    c.execute_command("AI.TENSORSET", "b", "FLOAT", 2, 2, "VALUES", 2, 3, 2, 3)
    assert (
        c.execute_command("AI.MODELEXECUTE", "m", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c") == b"OK"
    )
    assert c.execute_command("AI.TENSORGET", "c", "VALUES") == [b"4", b"9", b"4", b"9"]
    assert c.execute_command("AI.MODELGET", "m", "META") == [
        b"backend", b"TF", b"device", b"CPU", b"tag", b"", b"batchsize", 0,
        b"minbatchsize", 0, b"inputs", [b"a", b"b"], b"outputs", [b"mul"],
        b"minbatchtimeout", 0,
    ]  # fmt: skip
    info = c.execute_command("AI.INFO", "m")
    assert info[info.index(b"samples") + 1] == 2 and info[info.index(b"calls") + 1] == 1


def test_graph_with_int_and_bool_inputs_and_outputs(c: redis.Redis) -> None:
    assert (
        c.execute_command(
            "AI.MODELSTORE",
            "g",
            "TF",
            "CPU",
            "INPUTS",
            4,
            "a",
            "b",
            "i",
            "f",
            "OUTPUTS",
            4,
            "mul",
            "add",
            "sq",
            "not",
            "BLOB",
            tf_multi(),
        )
        == b"OK"
    )
    tensorset(c, "a", np.array([1.5, 2], np.float32))
    tensorset(c, "b", np.array([2, -1], np.float32))
    tensorset(c, "i", np.array([[3, 4]], np.int32))
    tensorset(c, "f", np.array([True, False]))
    assert (
        c.execute_command(
            "AI.MODELEXECUTE",
            "g",
            "INPUTS",
            4,
            "a",
            "b",
            "i",
            "f",
            "OUTPUTS",
            4,
            "o1",
            "o2",
            "o3",
            "o4",
        )
        == b"OK"
    )
    assert tensorget(c, "o1").tolist() == [3, -2]
    assert tensorget(c, "o2").tolist() == [3.5, 1]
    o3 = tensorget(c, "o3")
    assert o3.dtype == np.int32 and o3.tolist() == [[9, 16]]
    o4 = tensorget(c, "o4")
    assert o4.dtype == np.bool_ and o4.tolist() == [False, True]


def test_node_name_errors(raw: RawConnection) -> None:
    assert (
        err(
            raw,
            "AI.MODELSTORE",
            "m",
            "TF",
            "CPU",
            "INPUTS",
            2,
            "a",
            "x",
            "OUTPUTS",
            1,
            "mul",
            "BLOB",
            GRAPH,
        )
        == 'ERR Input node named "x" not found in TF graph.'
    )
    assert (
        err(
            raw,
            "AI.MODELSTORE",
            "m",
            "TF",
            "CPU",
            "INPUTS",
            2,
            "a",
            "mul",
            "OUTPUTS",
            1,
            "mul",
            "BLOB",
            GRAPH,
        )
        == 'ERR Input node named "mul" not found in TF graph.'
    )
    assert (
        err(
            raw,
            "AI.MODELSTORE",
            "m",
            "TF",
            "CPU",
            "INPUTS",
            2,
            "a",
            "b",
            "OUTPUTS",
            1,
            "y",
            "BLOB",
            GRAPH,
        )
        == 'ERR Output node named "y" not found in TF graph'
    )
    assert (
        err(
            raw,
            "AI.MODELSTORE",
            "m",
            "TF",
            "CPU",
            "INPUTS",
            1,
            "a",
            "OUTPUTS",
            1,
            "mul",
            "BLOB",
            b"junk",
        )
        == "Invalid GraphDef"
    )


def test_runtime_error_is_tensorflow_text(c: redis.Redis, raw: RawConnection) -> None:
    store_graph(c)
    tensorset(c, "a", np.array([1, 2], np.float32))
    tensorset(c, "b", np.ones((2, 2, 3), np.float32))
    text = err(raw, "AI.MODELEXECUTE", "m", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c")
    assert text.startswith("Incompatible shapes: [2] vs. [2,2,3]")
    assert "\n" not in text
    assert raw.command("EXISTS", "c") == 0


def test_modelset_form(c: redis.Redis) -> None:
    assert (
        c.execute_command(
            "AI.MODELSET", "m", "TF", "cpu", "INPUTS", "a", "b", "OUTPUTS", "mul", "BLOB", GRAPH
        )
        == b"OK"
    )
    assert c.execute_command("AI.MODELGET", "m", "META")[10:14] == [
        b"inputs",
        [b"a", b"b"],
        b"outputs",
        [b"mul"],
    ]
    tensorset(c, "a", np.array([2, 3], np.float32))
    c.execute_command("AI.MODELRUN", "m", "INPUTS", "a", "a", "OUTPUTS", "c")
    assert tensorget(c, "c").tolist() == [4, 9]


def test_gpu_device_without_cuda(c: redis.Redis, raw: RawConnection) -> None:
    store_graph(c, "warm")  # TensorFlow imported: ask it whether it sees a GPU
    text = raw.command(
        "AI.MODELSTORE", "m", "TF", "GPU", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "mul", "BLOB", GRAPH
    )
    if text == b"OK":
        pytest.skip("TensorFlow sees a GPU")
    assert text == ("error", "ERR GPU requested but TF couldn't find CUDA")


redisai = import_redisai()


def test_redisai_py_tf(server: ServerProcess, c: redis.Redis) -> None:
    con = redisai.Client(host="127.0.0.1", port=server.port, protocol=2)
    try:
        assert (
            con.modelstore("m", "TF", "CPU", GRAPH, inputs=["a", "b"], outputs=["mul"], tag="v1.0")
            == "OK"
        )
        con.tensorset("a", np.array([2, 3], np.float32))
        con.tensorset("b", np.array([4, 5], np.float32))
        assert con.modelexecute("m", ["a", "b"], ["c"]) == "OK"
        assert con.tensorget("c").tolist() == [8, 15]
        meta = con.modelget("m", meta_only=True)
        assert meta["inputs"] == ["a", "b"] and meta["outputs"] == ["mul"] and meta["tag"] == "v1.0"
    finally:
        con.close()
