"""List commands without blocking (test_blocking.py has those): behaviour through redis-py
(RESP2 and RESP3) and byte-exact replies and errors side by side with real Redis 7.0."""

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


def test_push_order_and_length(rp: redis.Redis) -> None:
    assert rp.rpush("l", "a", "b") == 2
    assert rp.lpush("l", "x", "y") == 4
    assert rp.lrange("l", 0, -1) == [b"y", b"x", b"a", b"b"]
    assert rp.type("l") == b"list"


def test_pushx_only_on_existing(r: redis.Redis) -> None:
    assert r.lpushx("l", "a") == 0
    assert r.rpushx("l", "a") == 0
    assert r.exists("l") == 0
    r.rpush("l", "m")
    assert r.lpushx("l", "a", "b") == 3
    assert r.rpushx("l", "z") == 4
    assert r.lrange("l", 0, -1) == [b"b", b"a", b"m", b"z"]


def test_pop_single_and_count(rp: redis.Redis) -> None:
    rp.rpush("l", "a", "b", "c", "d")
    assert rp.lpop("l") == b"a"
    assert rp.rpop("l") == b"d"
    assert rp.rpush("l", "e") == 3
    assert rp.lpop("l", 2) == [b"b", b"c"]
    assert rp.rpop("l", 10) == [b"e"]
    assert rp.exists("l") == 0
    assert rp.lpop("l") is None
    assert rp.lpop("l", 2) is None


def test_pop_count_zero_and_negative(r: redis.Redis) -> None:
    r.rpush("l", "a")
    assert r.lpop("l", 0) == []
    assert error_of(r, "LPOP", "l", "-1") == "value is out of range, must be positive"
    assert error_of(r, "RPOP", "l", "1", "2") == "wrong number of arguments for 'rpop' command"


def test_emptied_list_is_deleted(r: redis.Redis) -> None:
    r.rpush("l", "a", "b", "a")
    assert r.lrem("l", 0, "a") == 2
    assert r.lrem("l", 0, "b") == 1
    assert r.exists("l") == 0
    r.rpush("l", "a")
    r.ltrim("l", 1, 0)
    assert r.exists("l") == 0


def test_lrange_and_lindex(r: redis.Redis) -> None:
    r.rpush("l", *range(10))
    assert r.lrange("l", 2, 4) == [b"2", b"3", b"4"]
    assert r.lrange("l", -3, -1) == [b"7", b"8", b"9"]
    assert r.lrange("l", 7, 100) == [b"7", b"8", b"9"]
    assert r.lrange("l", -100, 1) == [b"0", b"1"]
    assert r.lrange("l", 5, 2) == []
    assert r.lindex("l", 0) == b"0"
    assert r.lindex("l", -1) == b"9"
    assert r.lindex("l", 10) is None
    assert r.lrange("nokey", 0, -1) == []


def test_lset_linsert(r: redis.Redis) -> None:
    r.rpush("l", "a", "b", "c")
    assert r.lset("l", 1, "B") is True
    assert r.lset("l", -1, "C") is True
    assert error_of(r, "LSET", "l", "3", "x") == "index out of range"
    assert error_of(r, "LSET", "nokey", "0", "x") == "no such key"
    assert r.linsert("l", "before", "B", "x") == 4
    assert r.linsert("l", "AFTER", "C", "y") == 5
    assert r.linsert("l", "after", "zz", "y") == -1
    assert r.lrange("l", 0, -1) == [b"a", b"x", b"B", b"C", b"y"]


def test_lrem_directions(r: redis.Redis) -> None:
    r.rpush("l", "a", "b", "a", "c", "a")
    assert r.lrem("l", -2, "a") == 2
    assert r.lrange("l", 0, -1) == [b"a", b"b", b"c"]
    r.rpush("l", "a", "a")
    assert r.lrem("l", 2, "a") == 2
    assert r.lrange("l", 0, -1) == [b"b", b"c", b"a"]


def test_ltrim(r: redis.Redis) -> None:
    r.rpush("l", *range(10))
    assert r.ltrim("l", 2, -3) is True
    assert r.lrange("l", 0, -1) == [str(i).encode() for i in range(2, 8)]
    r.ltrim("l", 4, 100)
    assert r.lrange("l", 0, -1) == [b"6", b"7"]


def test_lpos(r: redis.Redis) -> None:
    r.rpush("l", "a", "b", "c", "a", "b", "c", "a")
    assert r.lpos("l", "a") == 0
    assert r.lpos("l", "a", rank=2) == 3
    assert r.lpos("l", "a", rank=-1) == 6
    assert r.lpos("l", "a", count=0) == [0, 3, 6]
    assert r.lpos("l", "a", count=2, rank=-1) == [6, 3]
    assert r.lpos("l", "a", rank=2, maxlen=3) is None
    assert r.lpos("l", "z") is None
    assert r.lpos("l", "z", count=1) == []


def test_lmove_and_rpoplpush(r: redis.Redis) -> None:
    r.rpush("src", "1", "2", "3")
    assert r.lmove("src", "dst", "LEFT", "RIGHT") == b"1"
    assert r.rpoplpush("src", "dst") == b"3"
    assert r.lrange("dst", 0, -1) == [b"3", b"1"]
    assert r.lmove("src", "src", "LEFT", "RIGHT") == b"2"  # rotation of a one-element list
    assert r.lrange("src", 0, -1) == [b"2"]
    assert r.lmove("nokey", "dst", "LEFT", "LEFT") is None


def test_lmpop(rp: redis.Redis) -> None:
    rp.rpush("b", "1", "2", "3")
    assert rp.lmpop(2, "a", "b", direction="RIGHT", count=2) == [b"b", [b"3", b"2"]]
    assert rp.lmpop(2, "a", "b", direction="LEFT") == [b"b", [b"1"]]
    assert rp.lmpop(2, "a", "b", direction="LEFT") is None


def test_big_list_ends_stay_fast(r: redis.Redis) -> None:
    r.rpush("l", *range(100_000))
    assert r.llen("l") == 100_000
    assert r.lindex("l", 99_999) == b"99999"
    assert r.lrange("l", -2, -1) == [b"99998", b"99999"]
    assert r.lpop("l") == b"0" and r.rpop("l") == b"99999"


def test_big_key_and_element(r: redis.Redis) -> None:
    key, element = b"k" * (2 * 1024 * 1024), b"e" * (2 * 1024 * 1024)  # arrive as bytearrays
    assert r.rpush(key, element, "x") == 2
    assert r.lrange(key, 0, -1) == [element, b"x"]
    assert r.lpos(key, element) == 0
    assert r.lmove(key, key, "LEFT", "RIGHT") == element
    assert r.rpop(key) == element


def test_wrong_type_errors(r: redis.Redis) -> None:
    r.set("s", "v")
    for args in (
        ("LPUSH", "s", "a"),
        ("LPUSHX", "s", "a"),
        ("LLEN", "s"),
        ("LPOP", "s"),
        ("LRANGE", "s", "0", "1"),
        ("LINDEX", "s", "0"),
        ("LMOVE", "s", "d", "LEFT", "LEFT"),
        ("LPOS", "s", "a"),
    ):
        assert error_of(r, *args) == WRONGTYPE


def test_multi_reply_is_a_snapshot(r: redis.Redis) -> None:
    """An EXEC reply is encoded after every queued command ran: LRANGE must copy."""
    r.rpush("l", "a")
    pipe = r.pipeline(transaction=True)
    pipe.lrange("l", 0, -1)
    pipe.rpush("l", "b")
    assert pipe.execute() == [[b"a"], 2]


# --- side by side with real Redis, byte for byte -------------------------------------------

SCRIPTS = {
    "push_pop": [
        "LPOP nokey",
        "LPOP nokey 0",
        "LPOP nokey 1",
        "LPOP nokey -1",
        "RPUSH l a b c",
        "LPOP l 0",
        "LPOP l -1",
        "LPOP l x",
        "LPOP l 2",
        "RPOP l 5",
        "LPOP l 1 2",
        "EXISTS l",
        "LPUSHX nokey a",
        "RPUSHX nokey a b",
        "LPUSH l a b c",
        "RPUSHX l d e",
        "LRANGE l 0 -1",
        "RPOP l",
        "RPOP l 2",
        "LLEN l",
        "LLEN nokey",
    ],
    "read_edit": [
        "RPUSH l a b c a b c a",
        "LPOS l a RANK 0",
        "LPOS l a RANK -9223372036854775808",
        "LPOS l a RANK 9223372036854775807",
        "LPOS l a COUNT -1",
        "LPOS l a MAXLEN -1",
        "LPOS l a RANK x",
        "LPOS l a COUNT 0",
        "LPOS l a COUNT 0 RANK -1",
        "LPOS l a COUNT 2 RANK 2",
        "LPOS l a RANK 5",
        "LPOS l a RANK 5 COUNT 1",
        "LPOS l a MAXLEN 1",
        "LPOS l a MAXLEN 1 RANK 2",
        "LPOS l a MAXLEN 3 RANK -1",
        "LPOS l a FOO",
        "LPOS l a RANK",
        "LPOS nokey a COUNT 1",
        "LPOS nokey a",
        "LPOS nokey a RANK 0",
        "LINDEX nokey x",
        "LINDEX l x",
        "LINDEX l -1",
        "LINDEX l 100",
        "LINDEX l -8",
        "LSET nokey 0 x",
        "LSET l 100 x",
        "LSET l -7 X",
        "LSET l x y",
        "LSET nokey x y",
        "LINSERT l middle a x",
        "LINSERT nokey before a x",
        "LINSERT l BEFORE zz x",
        "LINSERT l after c X",
        "LRANGE l x 1",
        "LRANGE nokey x 1",
        "LRANGE l -100 100",
        "LRANGE l 5 2",
        "LRANGE l -2 -1",
        "LRANGE l 9223372036854775807 -9223372036854775808",
        "LTRIM nokey x 1",
        "LTRIM nokey 0 1",
        "LTRIM l 1 -2",
        "LRANGE l 0 -1",
        "LREM l x a",
        "LREM l -1 a",
        "LREM l 0 b",
        "LREM nokey 0 b",
        "LRANGE l 0 -1",
        "LTRIM l 5 1",
        "EXISTS l",
    ],
    "move_mpop": [
        "LMOVE nokey x LEFT RIGHT",
        "RPUSH l 1 2 3",
        "LMOVE l l LEFT RIGHT",
        "LRANGE l 0 -1",
        "LMOVE l l2 RIGHT LEFT",
        "RPOPLPUSH l l2",
        "RPOPLPUSH l l2",
        "RPOPLPUSH l l2",
        "LRANGE l2 0 -1",
        "EXISTS l",
        "RPUSH one x",
        "LMOVE one one LEFT RIGHT",
        "LMOVE l x UP LEFT",
        "LMOVE nokey x UP LEFT",
        "LMPOP 1 l LEFT COUNT 0",
        "LMPOP 0 l LEFT",
        "LMPOP -1 l LEFT",
        "LMPOP x l LEFT",
        "LMPOP 1 l",
        "LMPOP 2 l LEFT",
        "LMPOP 1 l left count 3 foo",
        "LMPOP 1 l left count 3 count 4",
        "LMPOP 1 l left foo",
        "LMPOP 1 l left count",
        "RPUSH m 1 2 3",
        "LMPOP 2 nokey m RIGHT COUNT 2",
        "LMPOP 1 m RIGHT COUNT 5",
        "LMPOP 1 m RIGHT",
        "LMPOP 1 nokey RIGHT",
        "LMPOP 1 nokey RIGHT COUNT 2",
        "LMPOP 9999999999999999 l RIGHT",
        "LMPOP 2147483648 l RIGHT",
        "COMMAND GETKEYS LMPOP 2 a b LEFT",
        "COMMAND GETKEYS LMPOP 3 a b LEFT",
        "COMMAND GETKEYS BLMPOP 0 2 a b LEFT",
        "COMMAND GETKEYS BLPOP a b 0",
        "COMMAND GETKEYS BLMOVE a b LEFT LEFT 0",
        "COMMAND GETKEYS RPOPLPUSH a b",
    ],
    "wrongtype": [
        "SET s v",
        "LPUSH s a",
        "RPUSHX s a",
        "LPOP s",
        "LPOP s 0",
        "LPOP s -1",
        "LLEN s",
        "LRANGE s 0 -1",
        "LRANGE s x 0",
        "LINDEX s x",
        "LSET s 0 x",
        "LSET s x x",
        "LINSERT s before a b",
        "LINSERT s middle a b",
        "LREM s 0 a",
        "LTRIM s 0 1",
        "LPOS s a",
        "LPOS s a RANK 0",
        "LMOVE s d LEFT LEFT",
        "RPUSH l a",
        "LMOVE l s LEFT LEFT",
        "RPOPLPUSH l s",
        "LRANGE l 0 -1",
        "RPOPLPUSH nokey s",
        "LMPOP 2 nokey s LEFT",
        "LMPOP 2 s l LEFT",
        "LMPOP 2 l s LEFT",
    ],
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_side_by_side(wire: WirePair, name: str) -> None:
    assert wire.run(SCRIPTS[name]) == []


def test_notifications_like_redis(server: ServerProcess, real_redis: ServerProcess) -> None:
    script = [
        "RPUSH l a b c",
        "LPUSH l x",
        "LPUSHX l y",
        "RPUSHX nokey y",
        "LPOP l",
        "RPOP l 2",
        "LSET l 0 z",
        "LINSERT l before z y",
        "LINSERT l before nothere y",
        "LREM l 0 y",
        "LREM l 0 nothere",
        "LTRIM l 0 0",
        "LPOP l",
        "RPUSH l 1 2",
        "LMOVE l m LEFT RIGHT",
        "RPOPLPUSH l m",
        "LMOVE m m LEFT RIGHT",
        "LMPOP 1 m LEFT COUNT 5",
        "RPUSH l v",
        "BLPOP l 0",
        "RPUSH l v w",
        "BRPOPLPUSH l l2 0",
        "BLMOVE l l2 LEFT LEFT 0",
        "RPUSH l v",
        "BLMPOP 0 1 l RIGHT COUNT 3",
        "RPUSH l v",
        "LTRIM l 5 6",
    ]
    assert keyevents(server, script) == keyevents(real_redis, script)
