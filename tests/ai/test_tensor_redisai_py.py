"""Tensors through redisai-py's `Client`, unchanged, in RESP2 and RESP3.

redisai-py is imported through model_helpers.import_redisai (it needs a pkg_resources
stand-in on current setuptools)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from ..helpers import ServerProcess
from .model_helpers import import_redisai

redisai = import_redisai()


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def con(server: ServerProcess, request: pytest.FixtureRequest) -> Iterator[Any]:
    client = redisai.Client(host="127.0.0.1", port=server.port, protocol=request.param)
    client.flushall()
    yield client
    client.close()


@pytest.mark.parametrize(
    "dtype",
    [
        "float32",
        "float64",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "bool",
    ],
)
def test_numpy_round_trip(con: Any, dtype: str) -> None:
    rng = np.random.default_rng(1)
    array = (rng.standard_normal((3, 4)) * 100).astype(dtype)
    assert con.tensorset("x", array) == "OK"
    back = con.tensorget("x")
    assert back.dtype == array.dtype and back.shape == (3, 4)
    assert back.tobytes() == array.tobytes()


def test_non_numpy_values(con: Any) -> None:
    con.tensorset("f", [1.5, 2, 3.25, 4], shape=(2, 2), dtype="float")
    assert con.tensorget("f", as_numpy=False) == {
        "dtype": "FLOAT",
        "shape": [2, 2],
        "values": [1.5, 2.0, 3.25, 4.0],
    }
    con.tensorset("i", (1, 2, 3), dtype="int32")
    assert con.tensorget("i", as_numpy=False) == {
        "dtype": "INT32",
        "shape": [3],
        "values": [1, 2, 3],
    }
    con.tensorset("u", [2**64 - 1, 5], dtype="uint64")
    assert con.tensorget("u", as_numpy=False)["values"] == [2**64 - 1, 5]
    assert con.tensorget("u").tolist() == [2**64 - 1, 5]


def test_meta_only(con: Any) -> None:
    con.tensorset("x", np.zeros((2, 3, 1), dtype=np.int16))
    assert con.tensorget("x", meta_only=True) == {"dtype": "INT16", "shape": [2, 3, 1]}


def test_string_tensors(con: Any) -> None:
    array = np.array([["a", "bc"], ["שלום", ""]])
    assert con.tensorset("s", array) == "OK"
    back = con.tensorget("s")
    assert back.shape == (2, 2) and back.tolist() == array.tolist()
    con.tensorset("v", ["x", "yz"], dtype="str")
    assert con.tensorget("v", as_numpy=False) == {
        "dtype": "STRING",
        "shape": [2],
        "values": ["x", "yz"],
    }


def test_scalar(con: Any) -> None:
    con.tensorset("s", np.array(7.5, dtype=np.float64))
    back = con.tensorget("s")
    assert back.shape == () and float(back) == 7.5


def test_errors_reach_the_client(con: Any) -> None:
    import redis

    with pytest.raises(redis.ResponseError, match="tensor key is empty or in a different shard"):
        con.tensorget("missing")
    with pytest.raises(redis.ResponseError, match="wrong number of values"):
        con.tensorset("x", [1, 2, 3], shape=(2,), dtype="float")


def test_pipeline(con: Any) -> None:
    pipe = con.pipeline(transaction=False)
    pipe.tensorset("a", np.array([1, 2], dtype=np.int32))
    pipe.tensorget("a", as_numpy=False)
    results = pipe.execute()
    assert results[0] in (b"OK", "OK", True)
    assert results[1]["values"] == [1, 2]


def test_big_tensor(con: Any) -> None:
    array = np.arange(4 * 1024 * 1024, dtype=np.float32).reshape(1024, 4096)  # 16 MiB
    con.tensorset("big", array)
    back = con.tensorget("big")
    assert np.array_equal(back, array)
