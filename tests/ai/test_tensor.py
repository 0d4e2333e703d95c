"""AI.TENSORSET / AI.TENSORGET against a real server, through redis-py (RESP2 and RESP3)
and raw sockets (exact error texts with their prefix). Expected replies and errors come
from RedisAI 1.2 (shared/reference/redisai-commands.md, sections 3 and 11)."""

from __future__ import annotations

from collections.abc import Iterator

import ml_dtypes
import numpy as np
import pytest
import redis

from ..helpers import RawConnection, ServerProcess

NUMERIC = {
    "FLOAT": np.float32,
    "DOUBLE": np.float64,
    "INT8": np.int8,
    "INT16": np.int16,
    "INT32": np.int32,
    "INT64": np.int64,
    "UINT8": np.uint8,
    "UINT16": np.uint16,
    "BOOL": np.bool_,
    # pyredisai extensions
    "FLOAT16": np.float16,
    "BFLOAT16": ml_dtypes.bfloat16,
    "UINT32": np.uint32,
    "UINT64": np.uint64,
}


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def c(server: ServerProcess, request: pytest.FixtureRequest) -> Iterator[redis.Redis]:
    client = server.client(protocol=request.param)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def c2(server: ServerProcess) -> Iterator[redis.Redis]:
    client = server.client(protocol=2)
    client.flushall()
    yield client
    client.close()


def _resp(client: redis.Redis) -> int:
    return int(client.connection_pool.connection_kwargs.get("protocol") or 2)


def _error(client: redis.Redis, *args: object) -> str:
    with pytest.raises(redis.ResponseError) as info:
        client.execute_command(*args)
    return str(info.value)


def _wire_error(raw: RawConnection, *args: bytes | str | int) -> str:
    reply = raw.command(*args)
    assert isinstance(reply, tuple) and reply[0] == "error", reply
    return str(reply[1])


def _random(name: str, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(7)
    dtype = NUMERIC[name]
    if name == "BOOL":
        return rng.integers(0, 2, shape).astype(np.bool_)
    if name in ("FLOAT", "DOUBLE", "FLOAT16", "BFLOAT16"):
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


# -- round trips ---------------------------------------------------------------------


@pytest.mark.parametrize("name", list(NUMERIC))
def test_blob_round_trip_bit_exact(c: redis.Redis, name: str) -> None:
    array = _random(name, (2, 3, 4))
    blob = array.tobytes()
    assert c.execute_command("AI.TENSORSET", "t", name, 2, 3, 4, "BLOB", blob) in (
        b"OK",
        "OK",
        True,
    )
    assert c.execute_command("AI.TENSORGET", "t", "BLOB") == blob
    reply = c.execute_command("AI.TENSORGET", "t", "META", "BLOB")
    assert reply == [b"dtype", name.encode(), b"shape", [2, 3, 4], b"blob", blob]
    back = np.frombuffer(reply[5], dtype=NUMERIC[name]).reshape(reply[3])
    assert back.tobytes() == blob


@pytest.mark.parametrize(
    "name", [n for n in NUMERIC if n not in ("FLOAT", "DOUBLE", "FLOAT16", "BFLOAT16")]
)
def test_values_round_trip_integers(c: redis.Redis, name: str) -> None:
    top = {
        "BOOL": 1,
        "INT8": 127,
        "INT16": 32767,
        "INT32": 2**31 - 1,
        "INT64": 2**63 - 1,
        "UINT8": 255,
        "UINT16": 65535,
        "UINT32": 2**32 - 1,
        "UINT64": 2**64 - 1,
    }[name]
    values = [0, 1, top, top // 3] if top > 1 else [0, 1, 1, 0]
    c.execute_command("AI.TENSORSET", "t", name, 2, 2, "VALUES", *values)
    reply = c.execute_command("AI.TENSORGET", "t", "VALUES")
    assert [int(v) for v in reply] == values
    if name != "UINT64":
        assert reply == values
    else:  # beyond a signed 64-bit RESP integer: decimal bulk strings
        assert reply == [0, 1, b"18446744073709551615", 6148914691236517205]
    blob = c.execute_command("AI.TENSORGET", "t", "BLOB")
    assert blob == np.array(values, dtype=NUMERIC[name]).tobytes()


@pytest.mark.parametrize("name", ["FLOAT", "DOUBLE", "FLOAT16", "BFLOAT16"])
def test_values_round_trip_floats(c: redis.Redis, name: str) -> None:
    texts = ["1", "-2.5", "0.1", "1e3", ".5", "inf", "-inf", "0x1p3"]
    c.execute_command("AI.TENSORSET", "t", name, 8, "VALUES", *texts)
    expected = np.array(
        [float.fromhex("0x1p3") if t == "0x1p3" else float(t) for t in texts], dtype=NUMERIC[name]
    )
    assert c.execute_command("AI.TENSORGET", "t", "BLOB") == expected.tobytes()
    reply = c.execute_command("AI.TENSORGET", "t", "VALUES")
    if _resp(c) == 3:  # RESP3 doubles
        assert reply == expected.astype(np.float64).tolist()
    else:
        assert reply == [
            b"%.17g" % v if abs(v) != float("inf") else (b"inf" if v > 0 else b"-inf")
            for v in expected.astype(np.float64).tolist()
        ]


def test_float_formatting_matches_redisai(c2: redis.Redis) -> None:
    c2.execute_command("AI.TENSORSET", "f", "FLOAT", 4, "VALUES", 2, 0.1, 1e20, 3)
    assert c2.execute_command("AI.TENSORGET", "f", "VALUES") == [
        b"2",
        b"0.10000000149011612",
        b"1.0000000200408773e+20",
        b"3",
    ]
    c2.execute_command("AI.TENSORSET", "d", "DOUBLE", 3, "VALUES", 0.1, 1e20, -0.0)
    assert c2.execute_command("AI.TENSORGET", "d", "VALUES") == [
        b"0.10000000000000001",
        b"1e+20",
        b"-0",
    ]


def test_float_overflow_to_inf_and_nan_blob(c2: redis.Redis) -> None:
    c2.execute_command("AI.TENSORSET", "f", "FLOAT", 2, "VALUES", "1e300", "-1e300")
    assert c2.execute_command("AI.TENSORGET", "f", "VALUES") == [b"inf", b"-inf"]
    nan = np.array([np.nan, -np.nan], dtype=np.float32).tobytes()
    c2.execute_command("AI.TENSORSET", "n", "FLOAT", 2, "BLOB", nan)
    assert c2.execute_command("AI.TENSORGET", "n", "VALUES") == [b"nan", b"nan"]


def test_resp3_value_types(server: ServerProcess) -> None:
    client = server.client(protocol=3)
    client.flushall()
    client.execute_command("AI.TENSORSET", "f", "FLOAT", 2, "VALUES", 1, 2)
    client.execute_command("AI.TENSORSET", "i", "INT32", 2, "VALUES", 1, 2)
    client.execute_command("AI.TENSORSET", "s", "STRING", 2, "VALUES", "a", "b")
    assert client.execute_command("AI.TENSORGET", "f", "META", "VALUES") == [
        b"dtype",
        b"FLOAT",
        b"shape",
        [2],
        b"values",
        [1.0, 2.0],
    ]
    values = client.execute_command("AI.TENSORGET", "f", "VALUES")
    assert all(type(v) is float for v in values)
    assert client.execute_command("AI.TENSORGET", "i", "VALUES") == [1, 2]
    assert client.execute_command("AI.TENSORGET", "s", "VALUES") == [b"a", b"b"]
    client.close()


def test_resp3_wire_form(server: ServerProcess) -> None:
    raw = RawConnection(server.port)
    try:
        raw.command("HELLO", 3)
        raw.command("AI.TENSORSET", "f", "FLOAT", 2, "VALUES", 1, 0.5)
        raw.send(b"*3\r\n$12\r\nAI.TENSORGET\r\n$1\r\nf\r\n$4\r\nMETA\r\n")
        assert raw.read_line() == b"*4"  # a flat array, not a RESP3 map
        raw.buf = b""
        raw.send(b"*3\r\n$12\r\nAI.TENSORGET\r\n$1\r\nf\r\n$6\r\nVALUES\r\n")
        expected = b"*2\r\n,1\r\n,0.5\r\n"
        while len(raw.buf) < len(expected):
            raw._fill()
        assert raw.buf == expected
    finally:
        raw.close()


def test_resp2_wire_form(raw: RawConnection) -> None:
    raw.command("AI.TENSORSET", "t", "INT16", 2, "VALUES", 7, 8)
    raw.send(b"*2\r\n$12\r\nAI.TENSORGET\r\n$1\r\nt\r\n")
    expected = b"*6\r\n$5\r\ndtype\r\n$5\r\nINT16\r\n$5\r\nshape\r\n*1\r\n:2\r\n$4\r\nblob\r\n$4\r\n\x07\x00\x08\x00\r\n"
    while len(raw.buf) < len(expected):
        raw._fill()
    assert raw.buf == expected


# -- reply layouts -------------------------------------------------------------------


def test_tensorget_layouts(c: redis.Redis) -> None:
    c.execute_command("AI.TENSORSET", "t", "INT32", 2, 2, "VALUES", 1, 2, 3, 4)
    blob = np.array([1, 2, 3, 4], dtype=np.int32).tobytes()
    meta = [b"dtype", b"INT32", b"shape", [2, 2]]
    get = c.execute_command
    assert get("AI.TENSORGET", "t") == [*meta, b"blob", blob]
    assert get("AI.TENSORGET", "t", "META", "BLOB") == [*meta, b"blob", blob]
    assert get("AI.TENSORGET", "t", "BLOB", "META") == [*meta, b"blob", blob]
    assert get("AI.TENSORGET", "t", "META") == meta
    assert get("AI.TENSORGET", "t", "meta", "Meta") == meta
    assert get("AI.TENSORGET", "t", "META", "VALUES") == [*meta, b"values", [1, 2, 3, 4]]
    assert get("AI.TENSORGET", "t", "VALUES", "META") == [*meta, b"values", [1, 2, 3, 4]]
    assert get("AI.TENSORGET", "t", "BLOB") == blob
    assert get("AI.TENSORGET", "t", "blob", "BLOB") == blob
    assert get("AI.TENSORGET", "t", "VALUES") == [1, 2, 3, 4]


def test_scalar_tensor(c: redis.Redis) -> None:
    c.execute_command("AI.TENSORSET", "s", "FLOAT", "VALUES", 3)
    assert c.execute_command("AI.TENSORGET", "s", "META") == [b"dtype", b"FLOAT", b"shape", []]
    assert c.execute_command("AI.TENSORGET", "s", "BLOB") == np.float32(3).tobytes()
    c.execute_command("AI.TENSORSET", "s", "INT64", "VALUES", 9)
    assert c.execute_command("AI.TENSORGET", "s", "META", "VALUES") == [
        b"dtype",
        b"INT64",
        b"shape",
        [],
        b"values",
        [9],
    ]
    c.execute_command("AI.TENSORSET", "s", "STRING", "VALUES", "x")
    assert c.execute_command("AI.TENSORGET", "s") == [
        b"dtype",
        b"STRING",
        b"shape",
        [],
        b"blob",
        b"x\0",
    ]


def test_zero_filled(c: redis.Redis) -> None:
    c.execute_command("AI.TENSORSET", "z", "UINT8", 3)
    assert c.execute_command("AI.TENSORGET", "z", "VALUES") == [0, 0, 0]
    c.execute_command("AI.TENSORSET", "z", "double", 2, 2)
    assert c.execute_command("AI.TENSORGET", "z", "BLOB") == bytes(32)
    c.execute_command("AI.TENSORSET", "s", "STRING", 3)
    assert c.execute_command("AI.TENSORGET", "s", "BLOB") == b"\0\0\0"
    assert c.execute_command("AI.TENSORGET", "s", "VALUES") == [b"", b"", b""]


def test_type_names_case_insensitive(c: redis.Redis) -> None:
    for spelled in ("float", "Float", "int8", "uInt16", "bool", "string", "bfloat16"):
        c.execute_command("AI.TENSORSET", "t", spelled, 1)
        meta = c.execute_command("AI.TENSORGET", "t", "META")
        assert meta[1] == spelled.upper().encode()
    c.execute_command("ai.tensorset", "t", "int32", 1, "values", 5)
    assert c.execute_command("ai.tensorget", "t", "values") == [5]


# -- BOOL and STRING rules -----------------------------------------------------------


def test_bool_blob_rules(raw: RawConnection) -> None:
    assert raw.command("AI.TENSORSET", "b", "BOOL", 2, 2, "BLOB", b"\x00\x01\x00\x01") == b"OK"
    # RedisAI quirk: the last byte is not checked, and reads back as stored.
    assert raw.command("AI.TENSORSET", "b", "BOOL", 2, "BLOB", b"\x01\x02") == b"OK"
    assert raw.command("AI.TENSORGET", "b", "VALUES") == [1, 2]
    assert _wire_error(raw, "AI.TENSORSET", "b", "BOOL", 2, "BLOB", b"\x02\x01") == (
        "ERR BOOL tensor elements must be 0 or 1"
    )
    assert _wire_error(raw, "AI.TENSORSET", "b", "BOOL", 2, "VALUES", 1, 2) == "ERR invalid value"


def test_string_tensors(c: redis.Redis) -> None:
    get = c.execute_command
    assert get("AI.TENSORSET", "s", "STRING", 2, "VALUES", "first", "second")
    assert get("AI.TENSORGET", "s", "BLOB") == b"first\0second\0"
    assert get("AI.TENSORGET", "s", "VALUES") == [b"first", b"second"]
    assert get("AI.TENSORGET", "s", "META", "VALUES") == [
        b"dtype",
        b"STRING",
        b"shape",
        [2],
        b"values",
        [b"first", b"second"],
    ]
    get("AI.TENSORSET", "s", "STRING", 2, "VALUES", b"str_val2\0", b"\0")
    assert get("AI.TENSORGET", "s", "VALUES") == [b"str_val2", b""]
    hebrew = "שלום".encode()
    get("AI.TENSORSET", "s", "STRING", 1, 2, "BLOB", hebrew + b"\0\xff\xfe\0")
    assert get("AI.TENSORGET", "s", "VALUES") == [hebrew, b"\xff\xfe"]
    assert get("AI.TENSORGET", "s", "META") == [b"dtype", b"STRING", b"shape", [1, 2]]
    get("AI.TENSORSET", "s", "STRING", 2, "BLOB", b"\0\0")
    assert get("AI.TENSORGET", "s", "VALUES") == [b"", b""]


@pytest.mark.parametrize(
    "blob",
    [b"single c-string\0", b"one\0two\0three\0", b"C-string\0followed by a non C-string", b""],
)
def test_string_blob_errors(raw: RawConnection, blob: bytes) -> None:
    assert _wire_error(raw, "AI.TENSORSET", "s", "STRING", 2, "BLOB", blob) == (
        "ERR Number of string elements in data blob does not match tensor length"
    )


@pytest.mark.parametrize("value", [b"", b"a\0b", b"\0\0", b"ab\0\0"])
def test_string_values_nul_errors(raw: RawConnection, value: bytes) -> None:
    assert _wire_error(raw, "AI.TENSORSET", "s", "STRING", 1, "VALUES", value) == (
        "ERR C-string value contains null character"
    )


# -- VALUES number rules -------------------------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "value"),
    [
        ("INT8", "-1"),
        ("INT8", "-128"),
        ("INT8", "128"),
        ("INT16", "32768"),
        ("INT32", "2147483648"),
        ("INT32", "-1"),
        ("INT64", "9223372036854775808"),
        ("INT64", "-5"),
        ("UINT8", "256"),
        ("UINT16", "65536"),
        ("BOOL", "2"),
        ("INT32", "1.0"),
        ("INT32", "1.87"),
        ("INT32", "007"),
        ("INT32", "+1"),
        ("INT32", " 1"),
        ("INT32", "1e3"),
        ("INT32", "-0"),
        ("INT32", "abc"),
        ("INT32", ""),
        ("UINT32", "4294967296"),
        ("UINT64", "18446744073709551616"),
        ("FLOAT", "A"),
        ("FLOAT", "nan"),
        ("FLOAT", "1e400"),
        ("DOUBLE", "-1e400"),
        ("DOUBLE", "1e-400"),
        ("FLOAT", " 1"),
        ("FLOAT", "1 "),
        ("FLOAT", ""),
        ("DOUBLE", "1_0"),
        ("DOUBLE", "0x1p99999"),
        ("DOUBLE", "0x1p-99999"),
        ("DOUBLE", "1e"),
        ("DOUBLE", "infinit"),
        ("DOUBLE", "0x"),
        ("DOUBLE", "--1"),
    ],
)
def test_values_rejected(raw: RawConnection, dtype: str, value: str) -> None:
    raw.command("AI.TENSORSET", "old", "INT8", 1, "VALUES", 1)
    assert (
        _wire_error(raw, "AI.TENSORSET", "old", dtype, 2, "VALUES", "1", value)
        == "ERR invalid value"
    )
    assert raw.command("AI.TENSORGET", "old", "VALUES") == [1]


def test_zeros_and_multi_digit_values_accepted(c2: redis.Redis) -> None:
    values = [10, 0, 100, 0, 1000, 9]
    c2.execute_command("AI.TENSORSET", "i", "INT32", 6, "VALUES", *values)
    assert c2.execute_command("AI.TENSORGET", "i", "VALUES") == values
    c2.execute_command("AI.TENSORSET", "f", "FLOAT", 4, "VALUES", "0", "0.0", "-0", "0e10")
    assert c2.execute_command("AI.TENSORGET", "f", "VALUES") == [b"0", b"0", b"-0", b"0"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.0", 2.0),
        ("+3", 3.0),
        ("-0", -0.0),
        ("1e-310", 1e-310),
        ("INF", float("inf")),
        ("-Infinity", float("-inf")),
        ("0x10", 16.0),
        ("-0x1.8p1", -3.0),
        ("0e500", 0.0),
        ("1.", 1.0),
    ],
)
def test_double_values_accepted(c2: redis.Redis, text: str, expected: float) -> None:
    c2.execute_command("AI.TENSORSET", "d", "DOUBLE", "VALUES", text)
    assert c2.execute_command("AI.TENSORGET", "d", "BLOB") == np.float64(expected).tobytes()


# -- errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ("AI.TENSORSET", "k", "FLOAT"),
            "ERR wrong number of arguments for 'AI.TENSORSET' command",
        ),
        (
            ("ai.tensorset", "k", "FLOAT"),
            "ERR wrong number of arguments for 'ai.tensorset' command",
        ),
        (("Ai.TensorSet",), "ERR wrong number of arguments for 'Ai.TensorSet' command"),
        (("AI.TENSORSET", "k", "UINT32X", 1), "ERR invalid data type"),
        (("AI.TENSORSET", "k", "INT128", 1), "ERR invalid data type"),
        (("AI.TENSORSET", "k", "int08", 1), "ERR invalid data type"),
        (("AI.TENSORSET", "k", "HALF", 1), "ERR invalid data type"),
        (("AI.TENSORSET", "k", "str", 1), "ERR invalid data type"),
        (("AI.TENSORSET", "k", "FLOAT", 0), "ERR invalid or negative value found in tensor shape"),
        (("AI.TENSORSET", "k", "FLOAT", -1), "ERR invalid or negative value found in tensor shape"),
        (
            ("AI.TENSORSET", "k", "FLOAT", "02"),
            "ERR invalid or negative value found in tensor shape",
        ),
        (
            ("AI.TENSORSET", "k", "FLOAT", "2.0"),
            "ERR invalid or negative value found in tensor shape",
        ),
        (
            ("AI.TENSORSET", "k", "FLOAT", 2, "BLOBS", b"12345678"),
            "ERR invalid or negative value found in tensor shape",
        ),
        (
            ("AI.TENSORSET", "k", "FLOAT", 2, "VAL", 1, 2),
            "ERR invalid or negative value found in tensor shape",
        ),
        (
            ("AI.TENSORSET", "k", "FLOAT", 2, "unsupported"),
            "ERR invalid or negative value found in tensor shape",
        ),
        (
            ("AI.TENSORSET", "k", "FLOAT", 2, "BLOB"),
            "ERR a single binary string should come after the BLOB argument in 'AI.TENSORSET' command",
        ),
        (
            ("AI.TENSORSET", "k", "FLOAT", 2, "BLOB", b"12345678", b"x"),
            "ERR a single binary string should come after the BLOB argument in 'AI.TENSORSET' command",
        ),
        (
            ("AI.TENSORSET", "k", "FLOAT", "VALUES"),
            "ERR wrong number of values was given in 'AI.TENSORSET' command",
        ),
        (
            ("AI.TENSORSET", "k", "FLOAT", 2, "VALUES", 1),
            "ERR wrong number of values was given in 'AI.TENSORSET' command",
        ),
        (
            ("AI.TENSORSET", "k", "FLOAT", 2, "VALUES", 1, 2, 3),
            "ERR wrong number of values was given in 'AI.TENSORSET' command",
        ),
        (
            ("AI.TENSORSET", "k", "FLOAT", 2, "BLOB", b"123"),
            "ERR data length does not match tensor shape and type",
        ),
        (
            ("AI.TENSORSET", "k", "FLOAT", 2, "BLOB", b""),
            "ERR data length does not match tensor shape and type",
        ),
        (("AI.TENSORSET", "k", "INT32", 2, "VALUES", 1, -1), "ERR invalid value"),
        (
            ("AI.TENSORSET", "k", "FLOAT", 100000, 100000, 100000),
            "ERR tensor size exceeds proto-max-bulk-len",
        ),
        (("AI.TENSORGET",), "ERR wrong number of arguments for 'AI.TENSORGET' command"),
        (
            ("ai.tensorget", "t", "META", "BLOB", "META"),
            "ERR wrong number of arguments for 'ai.tensorget' command",
        ),
        (("AI.TENSORGET", "missing"), "ERR tensor key is empty or in a different shard"),
        (("AI.TENSORGET", "missing", "foo"), "ERR tensor key is empty or in a different shard"),
        (("AI.TENSORGET", "t", "foo"), "ERR unsupported data format"),
        (("AI.TENSORGET", "t", "BLOB", "foo"), "ERR unsupported data format"),
        (("AI.TENSORGET", "t", "BLOB", "VALUES"), "ERR both BLOB and VALUES specified"),
        (("AI.TENSORGET", "t", "VALUES", "BLOB"), "ERR both BLOB and VALUES specified"),
    ],
)
def test_error_texts(raw: RawConnection, args: tuple[object, ...], error: str) -> None:
    raw.command("FLUSHALL")
    raw.command("AI.TENSORSET", "t", "FLOAT", 1)
    assert _wire_error(raw, *args) == error  # type: ignore[arg-type]


def test_wrongtype(raw: RawConnection) -> None:
    raw.command("SET", "str", "x")
    wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value"
    # Checked before any other argument (RedisAI's order).
    assert _wire_error(raw, "AI.TENSORSET", "str", "INT32", 2, "bogus", 2, 3) == wrongtype
    assert _wire_error(raw, "AI.TENSORSET", "str", "BADTYPE", 2) == wrongtype
    assert _wire_error(raw, "AI.TENSORGET", "str") == wrongtype
    assert _wire_error(raw, "AI.TENSORGET", "str", "foo") == wrongtype
    assert _wire_error(raw, "AI.TENSORSET", "str", "FLOAT") == (
        "ERR wrong number of arguments for 'AI.TENSORSET' command"
    )
    assert raw.command("GET", "str") == b"x"


def test_redis_py_strips_err_prefix(c: redis.Redis) -> None:
    assert _error(c, "AI.TENSORGET", "nope") == "tensor key is empty or in a different shard"


@pytest.mark.parametrize(
    "bad",
    [
        ("FLOAT", 2, "BLOB", b"123"),
        ("FLOAT", 2, "VALUES", 1, "x"),
        ("BADTYPE", 2),
        ("FLOAT", 0),
        ("STRING", 2, "BLOB", b"a\0"),
        ("FLOAT", 2, "VALUES", 1),
    ],
)
def test_malformed_tensorset_leaves_old_value(c: redis.Redis, bad: tuple[object, ...]) -> None:
    c.execute_command("AI.TENSORSET", "t", "INT16", 2, "VALUES", 3, 4)
    c.expire("t", 1000)
    with pytest.raises(redis.ResponseError):
        c.execute_command("AI.TENSORSET", "t", *bad)
    assert c.execute_command("AI.TENSORGET", "t", "META", "VALUES") == [
        b"dtype",
        b"INT16",
        b"shape",
        [2],
        b"values",
        [3, 4],
    ]
    assert c.ttl("t") > 0


# -- big tensors ---------------------------------------------------------------------


def test_100mb_blob_both_ways(c2: redis.Redis) -> None:
    array = np.arange(25 * 1024 * 1024, dtype=np.float32)  # 100 MiB
    blob = array.tobytes()
    assert c2.execute_command("AI.TENSORSET", "big", "FLOAT", 1024, 25 * 1024, "BLOB", blob)
    reply = c2.execute_command("AI.TENSORGET", "big", "META", "BLOB")
    assert reply[:4] == [b"dtype", b"FLOAT", b"shape", [1024, 25 * 1024]]
    assert reply[5] == blob
    assert c2.execute_command("AI.TENSORGET", "big", "BLOB") == blob
    del reply, blob


def test_large_value_list(c2: redis.Redis) -> None:
    values = list(range(20000))
    c2.execute_command("AI.TENSORSET", "v", "INT32", 100, 200, "VALUES", *values)
    assert c2.execute_command("AI.TENSORGET", "v", "VALUES") == values
    c2.execute_command("AI.TENSORSET", "f", "DOUBLE", 20000, "VALUES", *values)
    assert c2.execute_command("AI.TENSORGET", "f", "VALUES") == [str(v).encode() for v in values]


def test_pipelined_tensors(c2: redis.Redis) -> None:
    pipe = c2.pipeline(transaction=False)
    for i in range(50):
        pipe.execute_command("AI.TENSORSET", f"t{i}", "INT64", 1, "VALUES", i)
    for i in range(50):
        pipe.execute_command("AI.TENSORGET", f"t{i}", "VALUES")
    results = pipe.execute()
    assert results[50:] == [[i] for i in range(50)]
