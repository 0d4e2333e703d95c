"""In-process checks of the tensor value type and parsers: zero-copy wrapping, immutability,
memory accounting, numpy adoption for model outputs, and the strtod-exact double parser."""

from __future__ import annotations

import gc

import ml_dtypes
import numpy as np
import pytest

from pyredisai.commands.ai_tensor import parse_double, parse_tensorset_args, tensorget_reply
from pyredisai.errors import CommandError
from pyredisai.keyspace.database import TYPE_NAMES, type_name
from pyredisai.keyspace.tensor import (
    DTYPES,
    DTYPES_BY_CODE,
    Tensor,
    live_tensor_bytes,
    tensor_memory_bytes,
)


def test_type_name_and_copy_flag() -> None:
    tensor = Tensor.zeros(DTYPES[b"FLOAT"], [2])
    assert TYPE_NAMES[Tensor] == "AI_TENSOR" and type_name(tensor) == "AI_TENSOR"
    assert Tensor.copyable is False


def test_blob_bytearray_is_wrapped_without_copy() -> None:
    payload = bytearray(np.arange(1024, dtype=np.float32).tobytes())
    tensor = parse_tensorset_args([b"FLOAT", b"32", b"32", b"BLOB", payload])  # type: ignore[list-item]
    assert np.shares_memory(tensor.array, np.frombuffer(payload, np.uint8))
    assert tensor.data.obj is payload
    assert tensor.array.flags.writeable is False
    with pytest.raises(ValueError):
        tensor.array[0, 0] = 1
    reply = tensorget_reply(tensor, [b"BLOB"])
    assert type(reply) is memoryview and reply.obj is payload and reply.nbytes == 4096


def test_blob_bytes_is_wrapped_without_copy() -> None:
    payload = np.arange(6, dtype=np.int64).tobytes()
    tensor = Tensor.from_blob(DTYPES[b"INT64"], [2, 3], payload)
    assert tensor.data.obj is payload
    assert tensor.array.base is not None and not tensor.array.flags.owndata


def test_meta_blob_reply_shares_buffer() -> None:
    payload = bytearray(b"\x01\x00" * 8)
    tensor = Tensor.from_blob(DTYPES[b"UINT16"], [8], payload)
    reply = tensorget_reply(tensor, [])
    assert reply[:4] == [b"dtype", b"UINT16", b"shape", [8]]
    assert reply[4] == b"blob" and reply[5].obj is payload


def test_live_bytes_counter() -> None:
    gc.collect()
    before = live_tensor_bytes()
    tensor = Tensor.zeros(DTYPES[b"DOUBLE"], [10, 10])
    strings = Tensor.from_strings([2], [b"ab", b"c"])
    assert live_tensor_bytes() - before == 800 + 5
    del tensor, strings
    gc.collect()
    assert live_tensor_bytes() == before


def test_tensor_memory_bytes_walks_keyspace() -> None:
    from pyredisai.keyspace.database import Keyspace

    keyspace = Keyspace(2)
    keyspace.dbs[0].data[b"a"] = Tensor.zeros(DTYPES[b"INT8"], [7])
    keyspace.dbs[1].data[b"b"] = Tensor.zeros(DTYPES[b"INT32"], [3])
    keyspace.dbs[1].data[b"s"] = b"not a tensor"
    assert tensor_memory_bytes(keyspace) == 19


@pytest.mark.parametrize(
    ("array", "name"),
    [
        (np.arange(6, dtype=np.float32).reshape(2, 3).T, "FLOAT"),  # not C-contiguous
        (np.arange(4, dtype=">i4"), "INT32"),  # big-endian
        (np.array(3.5), "DOUBLE"),  # 0-d stays 0-d
        (np.ones(3, dtype=np.float16), "FLOAT16"),
        (np.ones(3, dtype=ml_dtypes.bfloat16), "BFLOAT16"),
        (np.array([True, False]), "BOOL"),
        (np.array([1, 2], dtype=np.uint64), "UINT64"),
    ],
)
def test_from_array(array: np.ndarray, name: str) -> None:
    tensor = Tensor.from_array(array)
    assert tensor.dtype is not None and tensor.dtype.name == name
    assert tensor.shape == array.shape
    assert tensor.array.flags.c_contiguous and not tensor.array.flags.writeable
    assert np.array_equal(tensor.array.astype(np.float64), array.astype(np.float64))
    assert bytes(tensor.data) == np.ascontiguousarray(array, dtype=tensor.dtype.np_dtype).tobytes()


def test_from_array_contiguous_is_not_copied() -> None:
    array = np.arange(12, dtype=np.int32)
    tensor = Tensor.from_array(array)
    assert np.shares_memory(tensor.array, array)


def test_from_array_strings_and_unknown_dtype() -> None:
    tensor = Tensor.from_array(np.array(["a", "bc"]))
    assert tensor.dtype is DTYPES[b"STRING"] and bytes(tensor.data) == b"a\0bc\0"
    odd = Tensor.from_array(np.zeros(2, dtype=np.complex64))
    assert odd.dtype is None
    with pytest.raises(CommandError, match="unsupported dtype"):
        tensorget_reply(odd, [b"META"])
    assert bytes(tensorget_reply(odd, [b"BLOB"])) == bytes(16)


def test_dlpack_codes() -> None:
    assert DTYPES_BY_CODE[(2, 32)].name == "FLOAT"
    assert DTYPES_BY_CODE[(0, 8)].name == "INT8"
    assert DTYPES_BY_CODE[(1, 16)].name == "UINT16"
    assert DTYPES_BY_CODE[(6, 8)].name == "BOOL"
    assert DTYPES_BY_CODE[(7, 8)].name == "STRING"
    assert not any(
        DTYPES[n.encode()].extension
        for n in (
            "FLOAT",
            "DOUBLE",
            "INT8",
            "INT16",
            "INT32",
            "INT64",
            "UINT8",
            "UINT16",
            "BOOL",
            "STRING",
        )
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"1", 1.0),
        (b"-2.5", -2.5),
        (b"1e3", 1000.0),
        (b".5", 0.5),
        (b"5.", 5.0),
        (b"+7", 7.0),
        (b"inf", float("inf")),
        (b"-INF", float("-inf")),
        (b"Infinity", float("inf")),
        (b"+infinity", float("inf")),
        (b"0x1p3", 8.0),
        (b"0X10", 16.0),
        (b"-0x.8", -0.5),
        (b"1e-310", 1e-310),
        (b"0e999", 0.0),
        (b"-0.0", -0.0),
        (b"0x0p99999", 0.0),
        (b"1.7976931348623157e308", 1.7976931348623157e308),
    ],
)
def test_parse_double_accepts(text: bytes, value: float) -> None:
    assert parse_double(text) == value


@pytest.mark.parametrize(
    "text",
    [
        b"",
        b" 1",
        b"1 ",
        b"\t1",
        b"1\n",
        b"nan",
        b"-nan",
        b"NaN",
        b"1e400",
        b"-1e400",
        b"1e-400",
        b"0x1p99999",
        b"0x1p-99999",
        b"1_000",
        b"abc",
        b"1e",
        b"e1",
        b"--1",
        b"+-1",
        b"1.2.3",
        b"infinit",
        b"infinityx",
        b"0x",
        b"0xg",
        b"0x1p",
        b".",
        b"-",
        b"1,5",
        b"\xd9\xa1",
    ],
)
def test_parse_double_rejects(text: bytes) -> None:
    assert parse_double(text) is None


def test_string_blob_is_kept_as_bytes_until_elements_are_needed() -> None:
    blob = bytearray(b"\0" * 1_000_000)
    tensor = Tensor.from_blob(DTYPES[b"STRING"], [1000, 1000], blob)
    assert tensor._array is None and tensor.data.obj is blob and tensor.shape == (1000, 1000)
    assert tensor.array.shape == (1000, 1000) and tensor.array[3, 4] == b""
    zeros = Tensor.zeros(DTYPES[b"STRING"], [3])
    assert zeros._array is None and bytes(zeros.data) == b"\0\0\0"
    assert zeros.values() == [b"", b"", b""]
    assert tensorget_reply(zeros, [b"META"]) == [b"dtype", b"STRING", b"shape", [3]]
