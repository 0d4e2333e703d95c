"""Reply encoder: every reply type in RESP2 and RESP3, big payloads passed through as
pieces, and format_double against what a real redis-server prints."""

from __future__ import annotations

import math
from typing import Any

import pytest
import redis

from pyredisai.errors import CommandError, WrongTypeError
from pyredisai.protocol.encoder import (
    BIG_PAYLOAD,
    NULL_ARRAY,
    OK,
    PONG,
    QUEUED,
    Push,
    Raw,
    RespSet,
    SimpleString,
    Verbatim,
    encode,
    encode_error,
    format_double,
    register_encoder,
)

from ..helpers import RawConnection, ServerProcess


def wire(value: Any, resp: int) -> bytes:
    out: list[Any] = []
    encode(value, resp, out)
    return b"".join(bytes(piece) for piece in out)


# (id, value, RESP2 bytes, RESP3 bytes)
CASES: list[tuple[str, Any, bytes, bytes]] = [
    ("bytes", b"abc", b"$3\r\nabc\r\n", b"$3\r\nabc\r\n"),
    ("empty-bytes", b"", b"$0\r\n\r\n", b"$0\r\n\r\n"),
    ("binary", b"a\r\n\x00\xff", b"$5\r\na\r\n\x00\xff\r\n", b"$5\r\na\r\n\x00\xff\r\n"),
    ("bytearray", bytearray(b"xy"), b"$2\r\nxy\r\n", b"$2\r\nxy\r\n"),
    ("memoryview", memoryview(b"xyz")[1:], b"$2\r\nyz\r\n", b"$2\r\nyz\r\n"),
    ("str-utf8", "é", b"$2\r\n\xc3\xa9\r\n", b"$2\r\n\xc3\xa9\r\n"),
    ("simple-string", SimpleString("OK"), b"+OK\r\n", b"+OK\r\n"),
    ("verbatim", Verbatim("a\r\nb"), b"$4\r\na\r\nb\r\n", b"=8\r\ntxt:a\r\nb\r\n"),
    ("int-zero", 0, b":0\r\n", b":0\r\n"),
    ("int-minus-one", -1, b":-1\r\n", b":-1\r\n"),
    ("int-minus-two", -2, b":-2\r\n", b":-2\r\n"),
    ("int-table-top", 10000, b":10000\r\n", b":10000\r\n"),
    ("int-past-table", 10001, b":10001\r\n", b":10001\r\n"),
    ("int-max", 2**63 - 1, b":9223372036854775807\r\n", b":9223372036854775807\r\n"),
    ("int-min", -(2**63), b":-9223372036854775808\r\n", b":-9223372036854775808\r\n"),
    ("true", True, b":1\r\n", b"#t\r\n"),
    ("false", False, b":0\r\n", b"#f\r\n"),
    ("float", 1.5, b"$3\r\n1.5\r\n", b",1.5\r\n"),
    ("float-integral", 3.0, b"$1\r\n3\r\n", b",3\r\n"),
    ("float-inf", math.inf, b"$3\r\ninf\r\n", b",inf\r\n"),
    ("float-minus-inf", -math.inf, b"$4\r\n-inf\r\n", b",-inf\r\n"),
    ("none", None, b"$-1\r\n", b"_\r\n"),
    ("null-array", NULL_ARRAY, b"*-1\r\n", b"_\r\n"),
    ("empty-list", [], b"*0\r\n", b"*0\r\n"),
    ("list", [b"a", 1, None], b"*3\r\n$1\r\na\r\n:1\r\n$-1\r\n", b"*3\r\n$1\r\na\r\n:1\r\n_\r\n"),
    ("tuple", (b"a", b"b"), b"*2\r\n$1\r\na\r\n$1\r\nb\r\n", b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    (
        "nested",
        [[1, [2]], []],
        b"*2\r\n*2\r\n:1\r\n*1\r\n:2\r\n*0\r\n",
        b"*2\r\n*2\r\n:1\r\n*1\r\n:2\r\n*0\r\n",
    ),
    ("empty-map", {}, b"*0\r\n", b"%0\r\n"),
    (
        "map",
        {b"k": b"v", b"n": 1},
        b"*4\r\n$1\r\nk\r\n$1\r\nv\r\n$1\r\nn\r\n:1\r\n",
        b"%2\r\n$1\r\nk\r\n$1\r\nv\r\n$1\r\nn\r\n:1\r\n",
    ),
    (
        "map-of-maps",
        {"a": {"b": 2.5}},
        b"*2\r\n$1\r\na\r\n*2\r\n$1\r\nb\r\n$3\r\n2.5\r\n",
        b"%1\r\n$1\r\na\r\n%1\r\n$1\r\nb\r\n,2.5\r\n",
    ),
    (
        "set",
        RespSet([b"a", b"b"]),
        b"*2\r\n$1\r\na\r\n$1\r\nb\r\n",
        b"~2\r\n$1\r\na\r\n$1\r\nb\r\n",
    ),
    ("empty-set", RespSet(), b"*0\r\n", b"~0\r\n"),
    (
        "push",
        Push([b"message", b"ch", b"hi"]),
        b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
        b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
    ),
    ("raw", Raw(b"+QUEUED\r\n"), b"+QUEUED\r\n", b"+QUEUED\r\n"),
    ("ok", OK, b"+OK\r\n", b"+OK\r\n"),
    ("pong", PONG, b"+PONG\r\n", b"+PONG\r\n"),
    ("queued", QUEUED, b"+QUEUED\r\n", b"+QUEUED\r\n"),
    ("error", CommandError("ERR boom"), b"-ERR boom\r\n", b"-ERR boom\r\n"),
    ("error-crlf-sanitised", CommandError("ERR a\r\nb"), b"-ERR a  b\r\n", b"-ERR a  b\r\n"),
    (
        "error-subclass",
        WrongTypeError(),
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    ),
    (
        "error-in-array",
        [CommandError("ERR x"), 1],
        b"*2\r\n-ERR x\r\n:1\r\n",
        b"*2\r\n-ERR x\r\n:1\r\n",
    ),
]


@pytest.mark.parametrize(
    ("value", "resp2", "resp3"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_reply_types(value: Any, resp2: bytes, resp3: bytes) -> None:
    assert wire(value, 2) == resp2
    assert wire(value, 3) == resp3


@pytest.mark.parametrize("size", [1023, 1024, 5000])
def test_long_arrays_past_the_header_table(size: int) -> None:
    data = wire(list(range(size)), 2)
    assert data.startswith(b"*%d\r\n:0\r\n:1\r\n" % size)
    assert data.endswith(b":%d\r\n" % (size - 1))


def test_long_bulk_headers() -> None:
    assert wire(b"x" * 2000, 2) == b"$2000\r\n" + b"x" * 2000 + b"\r\n"


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_big_payload_is_passed_through_uncopied(kind: type) -> None:
    payload = kind(b"\x01" * (BIG_PAYLOAD + 1))
    for resp in (2, 3):
        out: list[Any] = []
        encode(payload, resp, out)
        assert len(out) == 3
        assert out[0] == b"$%d\r\n" % (BIG_PAYLOAD + 1)
        assert out[1] is payload
        assert out[2] == b"\r\n"


def test_big_payloads_inside_an_array_stay_separate_pieces() -> None:
    blob = bytes(4 * 1024 * 1024)
    out: list[Any] = []
    encode([b"meta", blob, {b"blob": blob}], 3, out)
    assert sum(piece is blob for piece in out) == 2
    assert b"".join(bytes(p) for p in out) == (
        b"*3\r\n$4\r\nmeta\r\n$4194304\r\n"
        + blob
        + b"\r\n%1\r\n$4\r\nblob\r\n$4194304\r\n"
        + blob
        + b"\r\n"
    )


def test_small_payload_is_one_piece() -> None:
    out: list[Any] = []
    encode(b"x" * (BIG_PAYLOAD - 1), 2, out)
    assert len(out) == 1


def test_subclasses_use_their_base_encoding() -> None:
    class Key(bytes):
        pass

    class Count(int):
        pass

    assert wire(Key(b"k"), 2) == b"$1\r\nk\r\n"
    assert wire(Count(7), 3) == b":7\r\n"


def test_unknown_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="cannot encode reply of type object"):
        wire(object(), 2)


def test_register_encoder() -> None:
    class Pair:
        def __init__(self, a: int, b: int) -> None:
            self.a, self.b = a, b

    def encode_pair(value: Pair, resp: int, out: list[Any]) -> None:
        encode([value.a, value.b], resp, out)

    register_encoder(Pair, encode_pair)
    assert wire(Pair(1, 2), 2) == b"*2\r\n:1\r\n:2\r\n"
    assert wire([Pair(3, 4)], 3) == b"*1\r\n*2\r\n:3\r\n:4\r\n"


def test_encode_error() -> None:
    assert encode_error("ERR Protocol error: invalid bulk length") == (
        b"-ERR Protocol error: invalid bulk length\r\n"
    )
    # request bytes carried as surrogate escapes go back out raw, as Redis's %c does
    assert encode_error("ERR got '\udcff'") == b"-ERR got '\xff'\r\n"


# --- format_double -------------------------------------------------------------------------

DOUBLES = [
    ("0.1", b"0.10000000000000001"),
    ("1.5", b"1.5"),
    ("3", b"3"),
    ("-2.25", b"-2.25"),
    ("1e20", b"1e+20"),
    ("1e-5", b"1.0000000000000001e-05"),
    ("123456789012345678", b"1.2345678901234568e+17"),
    ("2.5e-320", b"2.4999721679567075e-320"),
    ("3.0000000000000004", b"3.0000000000000004"),
    ("1e16", b"10000000000000000"),
    ("1e17", b"1e+17"),
    ("inf", b"inf"),
    ("-inf", b"-inf"),
]


@pytest.mark.parametrize(("text", "expected"), DOUBLES)
def test_format_double(text: str, expected: bytes) -> None:
    assert format_double(float(text)) == expected


def test_format_double_nan() -> None:
    assert format_double(math.nan) == b"nan"


def test_format_double_matches_real_redis(rr: redis.Redis, real_redis: ServerProcess) -> None:
    """Redis 7.0 prints scores with %.17g in both protocols (RESP3 as a ',' double)."""
    members = {f"m{i}": float(text) for i, (text, _) in enumerate(DOUBLES)}
    rr.zadd("z", members)
    resp2, resp3 = RawConnection(real_redis.port), RawConnection(real_redis.port)
    try:
        resp3.command("HELLO", "3")
        for member, score in members.items():
            resp2.send(b"ZSCORE z %s\r\n" % member.encode())
            resp3.send(b"ZSCORE z %s\r\n" % member.encode())
            expected2 = resp2.read_line() + b"\r\n" + resp2.read_line() + b"\r\n"
            expected3 = resp3.read_line() + b"\r\n"
            assert wire(score, 2) == expected2
            assert wire(score, 3) == expected3
    finally:
        resp2.close()
        resp3.close()
