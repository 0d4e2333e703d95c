"""Set commands: behaviour through redis-py (RESP2 and RESP3), and byte-exact replies and
errors side by side with real Redis 7.0 (member order compared sorted: it is hash order)."""

from __future__ import annotations

from collections import Counter
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


def test_sadd_srem_smembers(rp: redis.Redis) -> None:
    assert rp.sadd("s", "a", "b", "a") == 2
    assert rp.sadd("s", "b", "c") == 1
    assert rp.smembers("s") == {b"a", b"b", b"c"}
    assert rp.srem("s", "a", "x") == 1
    assert rp.scard("s") == 2
    assert rp.type("s") == b"set"
    assert rp.srem("s", "b", "c") == 2
    assert rp.exists("s") == 0
    assert rp.smembers("s") == set()


def test_sismember_smismember(r: redis.Redis) -> None:
    r.sadd("s", "a", "b")
    assert r.sismember("s", "a") == 1
    assert r.sismember("s", "z") == 0
    assert r.smismember("s", ["a", "z", "b"]) == [1, 0, 1]
    assert r.smismember("nokey", ["a"]) == [0]


def test_spop(rp: redis.Redis) -> None:
    members = {f"m{i}".encode() for i in range(20)}
    rp.sadd("s", *members)
    one = rp.spop("s")
    assert one in members
    some = rp.spop("s", 5)
    assert len(some) == 5 and set(some) <= members and one not in some
    rest = rp.spop("s", 100)
    assert set(rest) | set(some) | {one} == members
    assert rp.exists("s") == 0
    assert rp.spop("s") is None
    assert not rp.spop("s", 3)


def test_srandmember_counts(r: redis.Redis) -> None:
    r.sadd("s", "a", "b", "c")
    assert r.srandmember("s") in (b"a", b"b", b"c")
    two = r.srandmember("s", 2)
    assert len(two) == 2 and len(set(two)) == 2
    assert sorted(r.srandmember("s", 10)) == [b"a", b"b", b"c"]
    many = r.srandmember("s", -300)
    assert len(many) == 300 and set(Counter(many)) == {b"a", b"b", b"c"}
    assert r.scard("s") == 3


def test_smove(r: redis.Redis) -> None:
    r.sadd("a", "x", "y")
    assert r.smove("a", "b", "x") is True
    assert r.smove("a", "b", "x") is False
    assert r.smove("a", "b", "y") is True
    assert r.exists("a") == 0
    assert r.smembers("b") == {b"x", b"y"}
    r.set("str", "v")
    assert error_of(r, "SMOVE", "b", "str", "x") == WRONGTYPE
    assert r.smove("nokey", "str", "x") is False


def test_algebra(rp: redis.Redis) -> None:
    rp.sadd("a", "1", "2", "3")
    rp.sadd("b", "2", "3", "4")
    assert rp.sinter("a", "b") == {b"2", b"3"}
    assert rp.sunion("a", "b") == {b"1", b"2", b"3", b"4"}
    assert rp.sdiff("a", "b") == {b"1"}
    assert rp.sinter("a", "nokey") == set()
    assert rp.sintercard(2, ["a", "b"]) == 2
    assert rp.sintercard(2, ["a", "b"], limit=1) == 1


def test_store_forms(r: redis.Redis) -> None:
    r.sadd("a", "1", "2", "3")
    r.sadd("b", "2", "3", "4")
    r.set("dst", "old", ex=100)
    assert r.sinterstore("dst", ["a", "b"]) == 2
    assert r.ttl("dst") == -1
    assert r.smembers("dst") == {b"2", b"3"}
    assert r.sunionstore("dst", ["a", "b"]) == 4
    assert r.sdiffstore("dst", ["a", "b"]) == 1
    assert r.sdiffstore("dst", ["a", "a"]) == 0
    assert r.exists("dst") == 0


def test_store_result_does_not_alias_source(r: redis.Redis) -> None:
    r.sadd("a", "1")
    r.sunionstore("copy", ["a"])
    r.sadd("a", "2")
    assert r.smembers("copy") == {b"1"}


def test_sscan_full_iteration(r: redis.Redis) -> None:
    members = {f"m{i}".encode() for i in range(1000)}
    r.sadd("s", *members)
    seen: set[bytes] = set()
    cursor, calls = 0, 0
    while True:
        cursor, items = r.sscan("s", cursor, count=50)
        seen.update(items)
        calls += 1
        if cursor == 0:
            break
    assert calls > 5 and seen == members


def test_sscan_intset_is_sorted_and_whole(r: redis.Redis) -> None:
    r.sadd("s", 5, -1, 10, 3)
    assert r.sscan("s", 0, count=1) == (0, [b"-1", b"3", b"5", b"10"])


def test_wrong_type_errors(r: redis.Redis) -> None:
    r.set("str", "v")
    for args in (
        ("SADD", "str", "a"),
        ("SMEMBERS", "str"),
        ("SPOP", "str"),
        ("SCARD", "str"),
        ("SINTER", "nokey", "str"),
        ("SUNIONSTORE", "d", "str"),
        ("SSCAN", "str", "0"),
    ):
        assert error_of(r, *args) == WRONGTYPE


def test_big_key_and_member(r: redis.Redis) -> None:
    key, member = b"k" * (2 * 1024 * 1024), b"m" * (2 * 1024 * 1024)
    assert r.sadd(key, member) == 1
    assert r.smembers(key) == {member}
    assert r.sadd("s", member) == 1
    assert r.sismember("s", member) == 1
    assert r.srem("s", member) == 1


# --- side by side with real Redis, byte for byte -------------------------------------------

SCRIPTS = {
    "basic": [
        "SADD s a b c",
        "SADD s a d",
        "SREM s x",
        "SREM s a x",
        "SREM nokey a",
        "~SMEMBERS s",
        "SMEMBERS nokey",
        "SISMEMBER s b",
        "SISMEMBER s z",
        "SISMEMBER nokey z",
        "SMISMEMBER s b z c",
        "SMISMEMBER nokey a b",
        "SCARD s",
        "SCARD nokey",
        "SADD one x",
        "SPOP one",
        "EXISTS one",
        "SADD one x",
        "SPOP one 1",
        "EXISTS one",
        "SADD one x",
        "SPOP one 5",
        "SADD one x",
        "SRANDMEMBER one",
        "SRANDMEMBER one -3",
        "SRANDMEMBER one 3",
        "SRANDMEMBER one 0",
        "SRANDMEMBER nokey",
        "SRANDMEMBER nokey 3",
        "SRANDMEMBER one x",
        "SRANDMEMBER one -9223372036854775808",
        "SRANDMEMBER one 9223372036854775807",
        "SPOP one 0",
        "SPOP one -1",
        "SPOP one x",
        "SPOP one 1 2",
        "SRANDMEMBER one 1 2",
        "SPOP nokey",
        "SPOP nokey 0",
        "SPOP nokey 2",
        "SPOP nokey -1",
    ],
    "algebra": [
        "SADD s a b c d",
        "SADD t c d e",
        "~SINTER s t",
        "~SUNION s t",
        "~SDIFF s t",
        "~SDIFF t s",
        "~SDIFF s nokey",
        "SDIFF nokey s",
        "~SUNION s nokey",
        "SINTER s nokey",
        "SINTER nokey",
        "SINTERSTORE dst s t",
        "~SMEMBERS dst",
        "SUNIONSTORE dst s t",
        "SDIFFSTORE dst s t",
        "~SMEMBERS dst",
        "SINTERSTORE dst s nokey",
        "EXISTS dst",
        "SDIFFSTORE dst s s",
        "EXISTS dst",
        "SINTERCARD 2 s t",
        "SINTERCARD 2 s t LIMIT 1",
        "SINTERCARD 2 s t LIMIT 0",
        "SINTERCARD 2 s t LIMIT 100",
        "SINTERCARD 1 s",
        "SINTERCARD 2 s nokey",
        "SINTERCARD 1 s LIMIT",
        "SINTERCARD 1 s LIMIT 1 LIMIT 2",
        "SINTERCARD 1 s FOO",
        "SINTERCARD 0 s",
        "SINTERCARD 3 s t",
        "SINTERCARD 1 s LIMIT -1",
        "SINTERCARD 1 s LIMIT x",
        "SINTERCARD x s",
        "SINTERCARD 9223372036854775808 s",
        "SMOVE s t b",
        "SMOVE s t b",
        "SMOVE s t c",
        "~SMEMBERS t",
        "SMOVE s s d",
        "SMOVE s s zz",
        "SMOVE s newset d",
        "SMOVE s newset a",
        "EXISTS s",
        "~SMEMBERS newset",
        "COMMAND GETKEYS SINTERCARD 2 a b LIMIT 1",
        "COMMAND GETKEYS SINTERCARD 3 a b",
        "COMMAND GETKEYS SINTERSTORE d a b",
        "COMMAND GETKEYS SMOVE a b m",
    ],
    "wrongtype": [
        "SADD s a",
        "SET str v",
        "SINTERSTORE str s s",
        "TYPE str",
        "SET str v",
        "SUNIONSTORE str2 str s",
        "SDIFF s str",
        "SINTER nokey str",
        "SINTER str nokey",
        "SUNION nokey str",
        "SDIFF nokey str",
        "SINTERSTORE d nokey str",
        "SINTERCARD 2 nokey str",
        "SMOVE s str a",
        "SMOVE str s a",
        "SMOVE nokey str a",
        "SADD str x",
        "SREM str x",
        "SMEMBERS str",
        "SISMEMBER str x",
        "SMISMEMBER str x",
        "SCARD str",
        "SPOP str",
        "SPOP str 1",
        "SPOP str -1",
        "SRANDMEMBER str",
        "SRANDMEMBER str 1",
        "SRANDMEMBER str x",
        "SSCAN str 0",
        "SSCAN str x",
    ],
    "scan": [
        "SSCAN nokey 0",
        "SSCAN nokey 0 COUNT 0",
        "SSCAN nokey x",
        "SADD nums 5 -1 10 3 0 -20",
        "SSCAN nums 0",
        "SSCAN nums 0 MATCH 1*",
        "SSCAN nums 0 COUNT 1",
        "SSCAN nums 18446744073709551615",
        "SSCAN nums -1",
        'SSCAN nums ""',
        "SADD mixed 1 a",
        "SSCAN mixed 0 MATCH a",
        "SSCAN mixed 0 COUNT 0",
        "SSCAN mixed 0 COUNT -1",
        "SSCAN mixed 0 COUNT x",
        "SSCAN mixed 0 TYPE string",
        "SSCAN mixed 0 MATCH",
        "SSCAN mixed 0 NOVALUES",
        "SSCAN mixed abc",
        'SSCAN mixed " 1"',
        "SSCAN mixed 18446744073709551616",
    ],
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_side_by_side(wire: WirePair, name: str) -> None:
    assert wire.run(SCRIPTS[name]) == []


def test_notifications_like_redis(server: ServerProcess, real_redis: ServerProcess) -> None:
    script = [
        "SADD s a b c",
        "SADD s a",
        "SREM s x",
        "SREM s a",
        "SADD t c d",
        "SINTERSTORE i s t",
        "SUNIONSTORE u s t",
        "SDIFFSTORE d s t",
        "SDIFFSTORE d s s",
        "SDIFFSTORE d s s",
        "SINTERSTORE nothere s nokey",
        "SMOVE s t b",
        "SMOVE s t c",
        "SMOVE t t d",
        "SMOVE t new d",
        "SPOP u",
        "SPOP u 1",
        "SPOP u 10",
        "SADD one x",
        "SPOP one",
        "SREM t c d",
    ]
    assert keyevents(server, script) == keyevents(real_redis, script)
