"""Hash commands: behaviour through redis-py (RESP2 and RESP3), and byte-exact replies and
errors side by side with real Redis 7.0 (wire.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from ..helpers import ServerProcess
from .wire import WirePair, keyevents

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def wire(
    server: ServerProcess, real_redis: ServerProcess, request: pytest.FixtureRequest
) -> Iterator[WirePair]:
    pair = WirePair(server, real_redis, request.param)
    pair.flush()
    yield pair
    pair.close()


def error_of(client: redis.Redis, *args: object) -> str:
    with pytest.raises(redis.ResponseError) as info:
        client.execute_command(*args)
    return str(info.value)


# --- through redis-py ----------------------------------------------------------------------


def test_hset_hget_counts_new_fields(rp: redis.Redis) -> None:
    assert rp.hset("h", mapping={"a": "1", "b": "2"}) == 2
    assert rp.hset("h", mapping={"a": "x", "c": "3"}) == 1
    assert rp.hget("h", "a") == b"x"
    assert rp.hget("h", "nope") is None
    assert rp.hget("nokey", "a") is None
    assert rp.type("h") == b"hash"


def test_hgetall_is_a_map(rp: redis.Redis) -> None:
    rp.hset("h", mapping={"a": "1", "b": "2"})
    assert rp.hgetall("h") == {b"a": b"1", b"b": b"2"}
    assert rp.hgetall("nokey") == {}


def test_hmset_replies_ok(r: redis.Redis) -> None:
    assert r.hmset("h", {"a": "1", "b": "2"}) is True
    assert r.hmget("h", "a", "x", "b") == [b"1", None, b"2"]
    assert r.hmget("nokey", "a", "b") == [None, None]


def test_hset_odd_arguments_is_arity_error(r: redis.Redis) -> None:
    assert error_of(r, "HSET", "h", "a", "1", "b") == "wrong number of arguments for 'hset' command"
    assert error_of(r, "HMSET", "h", "a") == "wrong number of arguments for 'hmset' command"
    assert r.exists("h") == 0


def test_hsetnx(r: redis.Redis) -> None:
    assert r.hsetnx("h", "a", "1") == 1
    assert r.hsetnx("h", "a", "2") == 0
    assert r.hget("h", "a") == b"1"


def test_hdel_deletes_emptied_hash(r: redis.Redis) -> None:
    r.hset("h", mapping={"a": "1", "b": "2"})
    assert r.hdel("h", "a", "a", "nope") == 1
    assert r.hdel("h", "b") == 1
    assert r.exists("h") == 0
    assert r.hdel("h", "b") == 0


def test_hlen_hstrlen_hexists(r: redis.Redis) -> None:
    r.hset("h", mapping={"a": "hello", "b": ""})
    assert r.hlen("h") == 2
    assert r.hstrlen("h", "a") == 5
    assert r.hstrlen("h", "nope") == 0
    assert r.hexists("h", "b") is True
    assert r.hexists("h", "c") is False
    assert r.hlen("nokey") == 0


def test_hkeys_hvals_keep_pairs_aligned(r: redis.Redis) -> None:
    mapping = {f"f{i}": f"v{i}" for i in range(300)}
    r.hset("h", mapping=mapping)
    keys, values = r.hkeys("h"), r.hvals("h")
    assert {k.decode(): v.decode() for k, v in zip(keys, values, strict=True)} == mapping


def test_binary_fields_and_values(r: redis.Redis) -> None:
    field, value = b"f\x00\xff\r\n", b"v\x00\r\n\xfe"
    r.hset("h", field, value)
    assert r.hget("h", field) == value
    assert r.hgetall("h") == {field: value}


def test_big_field_is_usable_as_key(r: redis.Redis) -> None:
    field = b"x" * (2 * 1024 * 1024)  # arrives as a bytearray argument
    r.hset("h", field, b"v")
    assert r.hget("h", field) == b"v"
    assert r.hexists("h", field) is True


def test_hincrby(r: redis.Redis) -> None:
    assert r.hincrby("h", "n", 5) == 5
    assert r.hincrby("h", "n", -7) == -2
    r.hset("h", "s", "abc")
    assert error_of(r, "HINCRBY", "h", "s", 1) == "hash value is not an integer"
    assert error_of(r, "HINCRBY", "h", "n", "1.5") == "value is not an integer or out of range"
    r.hset("h", "big", 2**63 - 2)
    assert error_of(r, "HINCRBY", "h", "big", 2) == "increment or decrement would overflow"


def test_hincrbyfloat_formats_like_redis(r: redis.Redis) -> None:
    assert r.hincrbyfloat("h", "f", 0.1) == 0.1
    assert r.hincrbyfloat("h", "f", 0.2) == 0.3
    assert r.hget("h", "f") == b"0.3"
    assert r.hincrbyfloat("h", "g", "5.0e3") == 5000
    assert r.hget("h", "g") == b"5000"
    assert error_of(r, "HINCRBYFLOAT", "h", "f", "inf") == "value is NaN or Infinity"
    assert error_of(r, "HINCRBYFLOAT", "h", "f", "x") == "value is not a valid float"


def test_hrandfield_shapes(rp: redis.Redis) -> None:
    rp.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    assert rp.hrandfield("h") in (b"a", b"b", b"c")
    assert sorted(rp.hrandfield("h", 10)) == [b"a", b"b", b"c"]
    picks = rp.hrandfield("h", -10)
    assert len(picks) == 10 and set(picks) <= {b"a", b"b", b"c"}
    two = rp.hrandfield("h", 2)
    assert len(two) == 2 and len(set(two)) == 2
    raw = rp.execute_command("HRANDFIELD", "h", "-4", "WITHVALUES")
    if rp.get_connection_kwargs().get("protocol") == 3:
        assert len(raw) == 4 and all(len(pair) == 2 for pair in raw)
        pairs = [tuple(p) for p in raw]
    else:
        assert len(raw) == 8
        pairs = list(zip(raw[::2], raw[1::2], strict=True))
    assert all({b"a": b"1", b"b": b"2", b"c": b"3"}[f] == v for f, v in pairs)
    assert rp.hrandfield("nokey") is None
    assert rp.hrandfield("nokey", 3) == []


def test_hscan_small_hash_in_one_call(r: redis.Redis) -> None:
    r.hset("h", mapping={f"f{i}": i for i in range(50)})
    cursor, items = r.hscan("h", 0, count=5)
    assert cursor == 0 and len(items) == 50


def test_hscan_big_hash_full_iteration_with_changes(r: redis.Redis) -> None:
    mapping = {f"f{i}": "x" * (i % 3) for i in range(2000)}
    r.hset("h", mapping=mapping)
    seen: dict[bytes, bytes] = {}
    cursor, calls = 0, 0
    while True:
        cursor, items = r.hscan("h", cursor, count=100)
        seen.update(items)
        calls += 1
        if calls == 3:  # fields changed mid-iteration: the rest must still come back
            r.hdel("h", "f1999")
            r.hset("h", "new", "1")
        if cursor == 0:
            break
    assert calls > 5
    expected = {k.encode() for k in mapping} - {b"f1999"}
    assert expected <= set(seen)
    assert set(seen) <= {k.encode() for k in mapping} | {b"new"}


def test_hscan_match(r: redis.Redis) -> None:
    r.hset("h", mapping={"apple": 1, "apricot": 2, "banana": 3})
    cursor, items = r.hscan("h", 0, match="ap*")
    assert cursor == 0 and items == {b"apple": b"1", b"apricot": b"2"}


def test_wrong_type_errors(r: redis.Redis) -> None:
    r.set("s", "v")
    for args in (
        ("HGET", "s", "a"),
        ("HSET", "s", "a", "1"),
        ("HGETALL", "s"),
        ("HLEN", "s"),
        ("HDEL", "s", "a"),
        ("HINCRBY", "s", "a", "1"),
        ("HSCAN", "s", "0"),
    ):
        assert error_of(r, *args) == WRONGTYPE


# --- side by side with real Redis, byte for byte -------------------------------------------

SCRIPTS = {
    "set_get": [
        "HSET h",
        "HSET h a",
        "HSET h a 1 b",
        "HMSET h a 1 b",
        "HSET h a 1 b 2",
        "HSET h a 1 c 3",
        "HMSET h d 4",
        "HSETNX h a x",
        "HSETNX h z 26",
        "~HGETALL h",
        "~HKEYS h",
        "~HVALS h",
        "HLEN h",
        "HSTRLEN h a",
        "HSTRLEN h nofield",
        "HEXISTS h a",
        "HEXISTS h nofield",
        "HGET h nofield",
        "HMGET h a nofield b",
        "HDEL h nofield",
        "HDEL h a a b",
        "HGETALL nokey",
        "HKEYS nokey",
        "HVALS nokey",
        "HMGET nokey a b",
        "HLEN nokey",
        "HSTRLEN nokey a",
        "HEXISTS nokey a",
        "HDEL nokey a",
        "HSET one f v",
        "HDEL one f",
        "EXISTS one",
    ],
    "incr": [
        "HINCRBY h n 5",
        "HINCRBY h n -10",
        "HINCRBY h n x",
        "HINCRBY h n 9223372036854775808",
        "HSET h big 9223372036854775800",
        "HINCRBY h big 7",
        "HINCRBY h big 1",
        "HSET h neg -9223372036854775800",
        "HINCRBY h neg -8",
        "HINCRBY h neg -9",
        'HSET h sp " 1"',
        "HINCRBY h sp 1",
        "HINCRBYFLOAT h f 10.5",
        "HINCRBYFLOAT h f 0.1",
        "HINCRBYFLOAT h g 0.1",
        "HINCRBYFLOAT h g 0.2",
        "HINCRBYFLOAT h f 5.0e3",
        "HINCRBYFLOAT h f -5010.6",
        "HINCRBYFLOAT h f x",
        "HINCRBYFLOAT h f inf",
        "HINCRBYFLOAT h f -inf",
        "HINCRBYFLOAT h f nan",
        'HINCRBYFLOAT h f ""',
        'HINCRBYFLOAT h f " 1"',
        "HINCRBYFLOAT h f 0x10",
        "HINCRBYFLOAT h f 1e4000",
        "HINCRBYFLOAT h f 1e5000",
        "HSET h inf inf",
        "HINCRBYFLOAT h inf 1",
        "HINCRBYFLOAT h sp 1",
        "HINCRBYFLOAT h n 1.5",
        "HINCRBYFLOAT h q 3.0",
        "HINCRBYFLOAT h q 1e-20",
        "HINCRBYFLOAT h r 1.23456789012345678901",
        "HINCRBYFLOAT h s -0.0",
        "HINCRBYFLOAT h t 100",
        "HGET h t",
        "HGET h g",
    ],
    "wrongtype": [
        "SET str v",
        "HSET str a 1",
        "HGET str a",
        "HMGET str a",
        "HGETALL str",
        "HINCRBY str a 1",
        "HINCRBY str a x",
        "HINCRBYFLOAT str a 1",
        "HINCRBYFLOAT str a x",
        "HDEL str a",
        "HLEN str",
        "HKEYS str",
        "HVALS str",
        "HRANDFIELD str",
        "HRANDFIELD str 1",
        "HRANDFIELD str x",
        "HSCAN str 0",
        "HSCAN str x",
        "HSETNX str a 1",
        "HSTRLEN str a",
        "HEXISTS str a",
    ],
    "scan_randfield": [
        "HSCAN nokey 0",
        "HSCAN nokey 0 COUNT 0",
        "HSCAN nokey x",
        "HSET small a 1 b 2",
        "~HSCAN small 0",
        "HSCAN small 0 MATCH a",
        "HSCAN small 0 MATCH x*",
        "HSCAN small 0 COUNT 0",
        "HSCAN small 0 COUNT x",
        "HSCAN small 0 TYPE string",
        "HSCAN small 0 NOVALUES",
        "HSCAN small 0 MATCH",
        "HSCAN small x",
        'HSCAN small " 1"',
        "HSCAN small 18446744073709551616",
        "HRANDFIELD small 0",
        "HRANDFIELD small 0 WITHVALUES",
        "HRANDFIELD nokey",
        "HRANDFIELD nokey 5",
        "HRANDFIELD nokey -5 WITHVALUES",
        "~HRANDFIELD small 2",
        "~HRANDFIELD small 5",
        "~HRANDFIELD small 5 WITHVALUES",
        "HRANDFIELD small x",
        "HRANDFIELD small 1 foo",
        "HRANDFIELD small 1 WITHVALUES x",
        "HRANDFIELD small -9223372036854775808",
        "HRANDFIELD small -4611686018427387904 WITHVALUES",
        "HRANDFIELD small 4611686018427387904 WITHVALUES",
        "HSET one f v",
        "HRANDFIELD one",
        "HRANDFIELD one 1",
        "HRANDFIELD one -3",
        "HRANDFIELD one -3 WITHVALUES",
        "HRANDFIELD one 3 WITHVALUES",
    ],
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_side_by_side(wire: WirePair, name: str) -> None:
    assert wire.run(SCRIPTS[name]) == []


def test_notifications_like_redis(server: ServerProcess, real_redis: ServerProcess) -> None:
    script = [
        "HSET h a 1 b 2",
        "HSET h a 1",
        "HMSET h c 3",
        "HSETNX h a 1",
        "HSETNX h d 4",
        "HDEL h nothere",
        "HDEL h a",
        "HINCRBY h n 1",
        "HINCRBYFLOAT h f 1.5",
        "HGET h a",
        "HDEL h b c d n f",
        "HINCRBY h2 n 1",
        "HINCRBY h2 n x",
        "HSET h2 s x",
        "HINCRBY h2 s 1",
    ]
    assert keyevents(server, script) == keyevents(real_redis, script)
