"""Sorted sets: behaviour through redis-py (sync and asyncio, RESP2 and RESP3), blocking
pops between concurrent clients, and byte-exact replies, float formatting, ordering and
error texts side by side with real Redis 7.0 (wire.py)."""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Iterator

import pytest
import redis
import redis.asyncio

from ..helpers import RawConnection, ServerProcess
from .wire import WirePair

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def wire(
    server: ServerProcess, real_redis: ServerProcess, request: pytest.FixtureRequest
) -> Iterator[WirePair]:
    pair = WirePair(server, real_redis, request.param)
    pair.flush()
    yield pair
    pair.close()


def pairs(reply: object) -> list[tuple[object, ...]]:
    """WITHSCORES replies as tuples: redis-py gives tuples in RESP2, lists in RESP3."""
    assert isinstance(reply, list)
    return [tuple(item) for item in reply]


def resp_of(client: redis.Redis) -> int:
    return int(client.connection_pool.connection_kwargs.get("protocol") or 2)


def error_of(client: redis.Redis, *args: object) -> str:
    with pytest.raises(redis.ResponseError) as info:
        client.execute_command(*args)
    return str(info.value)


# --- through redis-py ----------------------------------------------------------------------


def test_zadd_zscore_zcard(rp: redis.Redis) -> None:
    assert rp.zadd("z", {"a": 1, "b": 2.5, "c": -3}) == 3
    assert rp.zadd("z", {"a": 10, "d": 4}) == 1
    assert rp.zcard("z") == 4
    assert rp.zscore("z", "a") == 10.0
    assert rp.zscore("z", "b") == 2.5
    assert rp.zscore("z", "nope") is None
    assert rp.zscore("nokey", "a") is None
    assert rp.zcard("nokey") == 0


def test_zadd_options(rp: redis.Redis) -> None:
    rp.zadd("z", {"a": 5})
    assert rp.zadd("z", {"a": 1, "b": 1}, nx=True) == 1
    assert rp.zscore("z", "a") == 5.0
    assert rp.zadd("z", {"a": 7, "new": 1}, xx=True) == 0
    assert rp.zscore("z", "a") == 7.0 and rp.zscore("z", "new") is None
    assert rp.zadd("z", {"a": 3, "b": 9}, gt=True, ch=True) == 1
    assert rp.zscore("z", "a") == 7.0 and rp.zscore("z", "b") == 9.0
    assert rp.zadd("z", {"a": 3, "b": 10}, lt=True, ch=True) == 1
    assert rp.zscore("z", "a") == 3.0
    assert rp.zadd("z", {"a": 1}, incr=True) == 4.0
    assert rp.zadd("z", {"a": 1}, incr=True, xx=True) == 5.0
    assert rp.zadd("z", {"zz": 1}, incr=True, xx=True) is None
    assert rp.zadd("z", {"a": -100}, incr=True, gt=True) is None


def test_zadd_incompatible_options(r: redis.Redis) -> None:
    assert error_of(r, "ZADD", "z", "NX", "XX", 1, "a") == (
        "XX and NX options at the same time are not compatible"
    )
    for opts in (("GT", "LT"), ("NX", "GT"), ("NX", "LT")):
        assert error_of(r, "ZADD", "z", *opts, 1, "a") == (
            "GT, LT, and/or NX options at the same time are not compatible"
        )
    assert error_of(r, "ZADD", "z", "INCR", 1, "a", 2, "b") == (
        "INCR option supports a single increment-element pair"
    )
    assert error_of(r, "ZADD", "z", 1, "a", 2) == "syntax error"
    assert error_of(r, "ZADD", "z", "nan", "a") == "value is not a valid float"
    assert r.exists("z") == 0


def test_zincrby_and_nan(rp: redis.Redis) -> None:
    assert rp.zincrby("z", 1.5, "a") == 1.5
    assert rp.zincrby("z", 0.25, "a") == 1.75
    rp.zadd("z", {"inf": float("inf")})
    assert error_of(rp, "ZINCRBY", "z", "-inf", "inf") == "resulting score is not a number (NaN)"
    assert rp.zscore("z", "inf") == float("inf")


def test_zrem_deletes_empty_key(rp: redis.Redis) -> None:
    rp.zadd("z", {"a": 1, "b": 2})
    assert rp.zrem("z", "a", "nope") == 1
    assert rp.zrem("z", "b") == 1
    assert rp.exists("z") == 0
    assert rp.zrem("z", "b") == 0


def test_zrange_variants(rp: redis.Redis) -> None:
    rp.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4})
    assert rp.zrange("z", 0, -1) == [b"a", b"b", b"c", b"d"]
    assert pairs(rp.zrange("z", 0, 1, desc=True, withscores=True)) == [(b"d", 4.0), (b"c", 3.0)]
    assert rp.zrevrange("z", 0, 0) == [b"d"]
    assert rp.zrangebyscore("z", "(1", 3) == [b"b", b"c"]
    assert rp.zrangebyscore("z", "-inf", "+inf", start=1, num=2) == [b"b", b"c"]
    assert pairs(rp.zrevrangebyscore("z", 4, "(2", withscores=True)) == [(b"d", 4.0), (b"c", 3.0)]
    assert rp.zrange("z", "(4", 2, byscore=True, desc=True) == [b"c", b"b"]
    assert rp.zrange("z", 1, 10, byscore=True, offset=1, num=2) == [b"b", b"c"]
    assert rp.zrange("nokey", 0, -1) == []


def test_lex_ranges(rp: redis.Redis) -> None:
    rp.zadd("z", {m: 0 for m in "abcdefg"})
    assert rp.zrangebylex("z", "[b", "(e") == [b"b", b"c", b"d"]
    assert rp.zrevrangebylex("z", "+", "(e") == [b"g", b"f"]
    assert rp.zrangebylex("z", "-", "+", start=2, num=2) == [b"c", b"d"]
    assert rp.zlexcount("z", "[c", "+") == 5
    assert rp.zremrangebylex("z", "-", "[b") == 2
    assert rp.zrange("z", "[c", "[d", bylex=True) == [b"c", b"d"]
    assert error_of(rp, "ZRANGEBYLEX", "z", "a", "b") == "min or max not valid string range item"


def test_counts_and_ranks(rp: redis.Redis) -> None:
    rp.zadd("z", {"a": 1, "b": 2, "c": 2, "d": 5})
    assert rp.zcount("z", 2, 5) == 3
    assert rp.zcount("z", "(2", "+inf") == 1
    assert rp.zrank("z", "c") == 2
    assert rp.zrevrank("z", "c") == 1
    assert rp.zrank("z", "nope") is None
    assert rp.zmscore("z", ["a", "nope", "d"]) == [1.0, None, 5.0]
    assert error_of(rp, "ZCOUNT", "z", "x", 1) == "min or max is not a float"


def test_zrank_withscore(server: ServerProcess, r: redis.Redis) -> None:
    """WITHSCORE is Redis 7.2's; pyredisai accepts it (7.0 would say wrong arity)."""
    r.zadd("z", {"a": 1.5, "b": 2})
    conn = RawConnection(server.port)
    try:
        assert conn.command("ZRANK", "z", "a", "WITHSCORE") == [0, b"1.5"]
        assert conn.command("ZREVRANK", "z", "a", "withscore") == [1, b"1.5"]
        conn.send(b"*4\r\n$5\r\nZRANK\r\n$1\r\nz\r\n$1\r\nx\r\n$9\r\nWITHSCORE\r\n")
        assert conn.read_line() == b"*-1"
        assert conn.command("ZRANK", "z", "a", "WITHSCORES") == ("error", "ERR syntax error")
    finally:
        conn.close()


def test_zremrangebyrank_and_score(rp: redis.Redis) -> None:
    rp.zadd("z", {str(i): i for i in range(10)})
    assert rp.zremrangebyrank("z", 0, 2) == 3
    assert rp.zremrangebyscore("z", "(7", "+inf") == 2
    assert rp.zrange("z", 0, -1) == [b"3", b"4", b"5", b"6", b"7"]
    assert rp.zremrangebyrank("z", 0, -1) == 5
    assert rp.exists("z") == 0


def test_zrangestore(rp: redis.Redis) -> None:
    rp.zadd("src", {"a": 1, "b": 2, "c": 3})
    assert rp.zrangestore("dst", "src", 1, 2) == 2
    assert pairs(rp.zrange("dst", 0, -1, withscores=True)) == [(b"b", 2.0), (b"c", 3.0)]
    assert rp.zrangestore("dst", "src", 10, 20, byscore=True) == 0
    assert rp.exists("dst") == 0


def test_set_operations(rp: redis.Redis) -> None:
    rp.zadd("a", {"x": 1, "y": 2, "z": 3})
    rp.zadd("b", {"y": 10, "z": 20, "w": 30})
    rp.sadd("s", "z", "q")
    assert pairs(rp.zunion(["a", "b"], withscores=True)) == [
        (b"x", 1.0),
        (b"y", 12.0),
        (b"z", 23.0),
        (b"w", 30.0),
    ]
    assert pairs(rp.zinter(["a", "b"], aggregate="MAX", withscores=True)) == [
        (b"y", 10.0),
        (b"z", 20.0),
    ]
    assert rp.zinterstore("out", {"a": 2, "b": 0.5}, aggregate="MIN") == 2
    assert pairs(rp.zrange("out", 0, -1, withscores=True)) == [(b"y", 4.0), (b"z", 6.0)]
    assert rp.zdiff(["a", "b"]) == [b"x"]
    assert rp.zdiffstore("out", ["b", "a"]) == 1
    assert pairs(rp.zinter(["a", "s"], withscores=True)) == [(b"z", 4.0)]
    assert rp.zunionstore("out", ["nokey"]) == 0
    assert rp.exists("out") == 0
    assert rp.zintercard(2, ["a", "b"]) == 2
    assert rp.zintercard(2, ["a", "b"], limit=1) == 1


def test_setop_errors(r: redis.Redis) -> None:
    r.set("str", "v")
    assert error_of(r, "ZUNION", 0, "a") == "at least 1 input key is needed for 'zunion' command"
    assert error_of(r, "ZINTERSTORE", "d", 0, "a") == (
        "at least 1 input key is needed for 'zinterstore' command"
    )
    assert error_of(r, "ZUNION", 3, "a", "b") == "syntax error"
    assert error_of(r, "ZUNION", 2, "str", "a", "AGGREGATE", "bad") == WRONGTYPE
    assert error_of(r, "ZUNION", 1, "a", "WEIGHTS", "x") == "weight value is not a float"
    assert error_of(r, "ZDIFF", 1, "a", "WEIGHTS", 1) == "syntax error"
    assert error_of(r, "ZINTERCARD", 1, "a", "LIMIT", -1) == "LIMIT can't be negative"


def test_zpop(rp: redis.Redis) -> None:
    rp.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4})
    if resp_of(rp) == 3:  # RESP3: flat pair without COUNT, nested pairs with it
        assert rp.zpopmin("z") == [b"a", 1.0]
    else:
        assert rp.zpopmin("z") == [(b"a", 1.0)]
    assert pairs(rp.zpopmax("z", 2)) == [(b"d", 4.0), (b"c", 3.0)]
    assert pairs(rp.zpopmin("z", 10)) == [(b"b", 2.0)]
    assert rp.exists("z") == 0
    assert rp.zpopmin("z") == []
    assert error_of(rp, "ZPOPMIN", "z", -1) == "value is out of range, must be positive"


def test_zmpop(rp: redis.Redis) -> None:
    rp.zadd("b", {"x": 1, "y": 2, "z": 3})
    three, two, one = (3.0, 2.0, 1.0) if resp_of(rp) == 3 else (b"3", b"2", b"1")
    assert rp.zmpop(2, ["a", "b"], max=True, count=2) == [b"b", [[b"z", three], [b"y", two]]]
    assert rp.zmpop(2, ["a", "b"], min=True) == [b"b", [[b"x", one]]]
    assert rp.zmpop(2, ["a", "b"], min=True) is None
    assert error_of(rp, "ZMPOP", 0, "a", "MIN") == "numkeys should be greater than 0"
    assert error_of(rp, "ZMPOP", 1, "a", "MIN", "COUNT", 0) == "count should be greater than 0"


def test_zrandmember(rp: redis.Redis) -> None:
    members = {f"m{i}": i for i in range(20)}
    rp.zadd("z", members)
    assert rp.zrandmember("z").decode() in members
    some = rp.zrandmember("z", 5)
    assert len(some) == 5 and len(set(some)) == 5
    assert sorted(rp.zrandmember("z", 50)) == sorted(m.encode() for m in members)
    repeated = rp.zrandmember("z", -60)
    assert len(repeated) == 60 and set(repeated) <= {m.encode() for m in members}
    scored = rp.zrandmember("z", 3, withscores=True)
    assert len(scored) == (3 if resp_of(rp) == 3 else 6)
    assert rp.zrandmember("nokey") is None
    assert rp.zrandmember("nokey", 3) == []


def test_wrongtype(rp: redis.Redis) -> None:
    rp.set("s", "v")
    for args in (
        ("ZADD", "s", 1, "a"),
        ("ZSCORE", "s", "a"),
        ("ZRANGE", "s", 0, 1),
        ("ZPOPMIN", "s"),
        ("ZCARD", "s"),
        ("ZSCAN", "s", 0),
    ):
        assert error_of(rp, *args) == WRONGTYPE


def test_big_zset_ranks_and_scan(r: redis.Redis) -> None:
    """Past 128 members Redis switches to a skiplist: ranks, ranges and ZSCAN paging."""
    n = 1000
    r.zadd("big", {f"m{i:04d}": i for i in range(n)})
    assert r.object("encoding", "big") == b"skiplist"
    assert r.zrank("big", "m0500") == 500
    assert r.zrange("big", 998, -1) == [b"m0998", b"m0999"]
    assert r.zcount("big", 100, "(200") == 100
    seen: dict[bytes, float] = {}
    cursor = 0
    calls = 0
    while True:
        cursor, items = r.zscan("big", cursor, count=50)
        seen.update(items)
        calls += 1
        if calls == 3:
            r.zrem("big", "m0001", "m0002")  # removal mid-scan must not hide other members
        if cursor == 0:
            break
    assert calls > 5
    assert {f"m{i:04d}".encode() for i in range(3, n)} <= set(seen)
    assert seen[b"m0999"] == 999.0


def test_small_zset_encoding_and_negative_zero(r: redis.Redis) -> None:
    r.zadd("small", {"a": -0.0})
    assert r.object("encoding", "small") == b"listpack"
    assert math.copysign(1, r.zscore("small", "a")) == 1  # a listpack reads "-0" back as 0
    r.zadd("big", {f"m{i}": i for i in range(200)})
    r.zadd("big", {"z": -0.0})
    assert math.copysign(1, r.zscore("big", "z")) == -1


def test_big_keys_and_members(r: redis.Redis) -> None:
    """Bulks of several MB arrive as bytearrays: they must still work as keys and members."""
    big = b"k" * 3_000_000
    assert r.zadd(big, {big: 1, "a": 2}) == 2
    assert r.zscore(big, big) == 1.0
    assert r.zmscore(big, [big, "a"]) == [1.0, 2.0]
    assert r.zrank(big, big) == 0
    assert r.zrange(big, 0, 0) == [big]
    assert r.zunionstore("dst", [big]) == 2
    assert r.zrem(big, big) == 1
    assert r.bzpopmin([big], 1) == (big, b"a", 2.0)


def test_bad_input_never_breaks_the_server(r: redis.Redis) -> None:
    for args in (
        ("ZADD", "z", "1e400", "a"),
        ("ZRANGEBYSCORE", "z", "(", "(x"),
        ("ZRANGEBYLEX", "z", "", "+"),
        ("ZUNION", "99999999999999999999", "a"),
        ("ZRANDMEMBER", "z", "-9223372036854775808"),
        ("ZSCAN", "z", "x"),
        ("BZPOPMIN", "z", "-1"),
        ("BZMPOP", "x", 1, "z", "MIN"),
    ):
        with pytest.raises(redis.ResponseError):
            r.execute_command(*args)
    assert r.ping() is True


# --- blocking pops -------------------------------------------------------------------------


def _in_thread(fn: object, *args: object) -> tuple[threading.Thread, dict[str, object]]:
    out: dict[str, object] = {}

    def run() -> None:
        out["reply"] = fn(*args)  # type: ignore[operator]

    t = threading.Thread(target=run)
    t.start()
    return t, out


def _wait_blocked(r: redis.Redis, count: int = 1) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        info = r.info("clients")
        if info.get("blocked_clients", 0) >= count:
            return
        time.sleep(0.01)
    raise AssertionError("client did not block")


def test_bzpopmin_served_by_zadd(server: ServerProcess, r: redis.Redis) -> None:
    waiter = server.client()
    t, out = _in_thread(waiter.bzpopmin, ["k1", "k2"], 5)
    _wait_blocked(r)
    r.zadd("k2", {"b": 2, "a": 1})
    t.join(5)
    assert out["reply"] == (b"k2", b"a", 1.0)
    assert r.zrange("k2", 0, -1) == [b"b"]
    waiter.close()


def test_bzpopmax_timeout(r: redis.Redis) -> None:
    start = time.monotonic()
    assert r.bzpopmax("nokey", timeout=0.2) is None
    assert 0.15 < time.monotonic() - start < 2


def test_blocked_clients_served_fifo(server: ServerProcess, r: redis.Redis) -> None:
    clients = [server.client() for _ in range(3)]
    threads = []
    for c in clients:
        threads.append(_in_thread(c.bzpopmin, "q", 5))
        _wait_blocked(r, len(threads))
    r.zadd("q", {"a": 1, "b": 2})
    threads[0][0].join(5)
    threads[1][0].join(5)
    assert threads[0][1]["reply"] == (b"q", b"a", 1.0)
    assert threads[1][1]["reply"] == (b"q", b"b", 2.0)
    assert threads[2][0].is_alive()
    r.zadd("q", {"c": 3})
    threads[2][0].join(5)
    assert threads[2][1]["reply"] == (b"q", b"c", 3.0)
    assert r.exists("q") == 0
    for c in clients:
        c.close()


def test_bzmpop_count_and_multi_isolation(server: ServerProcess, r: redis.Redis) -> None:
    waiter = server.client()
    t, out = _in_thread(lambda: waiter.bzmpop(5, 2, ["a", "b"], max=True, count=5))
    _wait_blocked(r)
    pipe = r.pipeline(transaction=True)
    pipe.zadd("b", {"x": 1})
    pipe.delete("b")
    pipe.zadd("b", {"y": 2, "z": 3})
    pipe.execute()
    t.join(5)
    # served after EXEC: the waiter sees the transaction's final state only
    assert out["reply"] == [b"b", [[b"z", b"3"], [b"y", b"2"]]]
    waiter.close()


def test_blocking_pop_inside_multi_does_not_block(r: redis.Redis) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.bzpopmin("nokey", 0)
    pipe.zadd("z", {"a": 1})
    pipe.bzpopmin("z", 0)
    assert pipe.execute() == [None, 1, (b"z", b"a", 1.0)]


def test_disconnected_waiter_takes_nothing(server: ServerProcess, r: redis.Redis) -> None:
    conn = RawConnection(server.port)
    conn.send(b"*3\r\n$8\r\nBZPOPMIN\r\n$1\r\nq\r\n$1\r\n0\r\n")
    _wait_blocked(r)
    conn.close()
    deadline = time.monotonic() + 5
    while r.info("clients").get("blocked_clients", 0) and time.monotonic() < deadline:
        time.sleep(0.01)
    r.zadd("q", {"a": 1})
    assert r.zrange("q", 0, -1) == [b"a"]


async def test_asyncio_bzpopmin(server: ServerProcess) -> None:
    import asyncio

    a = redis.asyncio.Redis(port=server.port, protocol=3)
    b = redis.asyncio.Redis(port=server.port)
    try:
        await a.delete("ak")
        waiting = asyncio.create_task(a.bzpopmin("ak", timeout=5))
        await asyncio.sleep(0.1)
        assert await b.zadd("ak", {"m": 7}) == 1
        assert await asyncio.wait_for(waiting, 5) == [b"ak", b"m", 7.0]
        assert await b.zadd("ak2", {"a": 1, "b": 2}) == 2
        assert await a.zrange("ak2", 0, -1, withscores=True) == [[b"a", 1.0], [b"b", 2.0]]
    finally:
        await a.aclose()
        await b.aclose()


# --- side by side with real Redis ----------------------------------------------------------

SCRIPTS: dict[str, list[str]] = {
    "zadd": [
        "ZADD k XX NX 1 a",
        "ZADD k GT LT 1 a",
        "ZADD k NX GT 1 a",
        "ZADD k INCR 1 a 2 b",
        "ZADD k 1",
        "ZADD k 1 a 2",
        "ZADD k nan a",
        "ZADD k 1e400 a",
        "ZADD k 1e-400 a",
        'ZADD k " 1" a',
        'ZADD k "1 " a',
        "ZADD k 4e-320 a",
        "ZSCORE k a",
        "ZADD k 0x10 b",
        "ZSCORE k b",
        "ZADD k inf c -inf d",
        "ZINCRBY k -inf c",
        "ZINCRBY k 1.5 c",
        "ZINCRBY k 0.1 e",
        "ZINCRBY k 0.2 e",
        "ZSCORE k e",
        "ZADD k 1e20 big 123456789012345678 huge -1.5e-7 tiny",
        "ZRANGE k 0 -1 WITHSCORES",
        "ZADD k -0 z",
        "ZINCRBY k -0 y",
        "ZSCORE k z",
        "ZSCORE k y",
        "ZADD k INCR 5 a",
        "ZADD k INCR XX 5 newm",
        "ZADD k INCR NX 5 a",
        "ZADD k GT CH 10 a -1 b 3 newone",
        "ZADD k LT CH 10 a -1 b",
        "ZADD k XX CH 100 a 100 notthere",
        "ZADD k CH INCR 1 a",
        "ZINCRBY k NX a",
        "ZINCRBY k x a",
        "ZRANGE k 0 -1 WITHSCORES",
        "ZMSCORE k a nope e",
        "ZMSCORE nokey a",
    ],
    "ranges": [
        "ZADD k 1 a 2 b 3 c 4 d 5 e",
        'ZRANGEBYSCORE k "(" "+inf" WITHSCORES',
        'ZRANGEBYSCORE k "" ""',
        'ZRANGEBYSCORE k "( 1" inf',
        "ZRANGEBYSCORE k a inf",
        "ZRANGEBYSCORE k (1 (1",
        "ZRANGEBYSCORE k 3 1",
        "ZRANGEBYSCORE k 0 10 LIMIT -1 2",
        "ZRANGEBYSCORE k 0 10 LIMIT 1 -1",
        "ZRANGEBYSCORE k 0 10 LIMIT 1 2 WITHSCORES",
        "ZRANGEBYSCORE k 0 10 LIMIT 10 2",
        "ZRANGEBYSCORE k 0 10 LIMIT 1 0",
        "ZRANGEBYSCORE k 0 10 LIMIT a 1",
        "ZRANGEBYSCORE k 0 10 LIMIT 1",
        "ZRANGEBYSCORE k 0 10 BYSCORE",
        "ZREVRANGEBYSCORE k 10 0 LIMIT 1 2 WITHSCORES",
        "ZREVRANGEBYSCORE k (4 -inf",
        "ZREVRANGEBYSCORE k 10 0 REV",
        "ZRANGE k 10 0 BYSCORE REV LIMIT 0 2 WITHSCORES",
        "ZRANGE k (4 (1 BYSCORE REV",
        "ZRANGE k 0 -1 LIMIT 0 1",
        "ZRANGE k 0 -1 LIMIT 0 -1",
        "ZRANGE k 0 -1 REV WITHSCORES",
        "ZRANGE k -2 -1",
        "ZRANGE k -100 100",
        "ZRANGE k 5 10",
        "ZRANGE k 2 1",
        "ZRANGE k 0 a",
        "ZRANGE k 0 1 WITHSCORES WITHSCORES",
        "ZRANGE k 0 1 REV REV",
        "ZRANGE k 0 1 BYSCORE BYLEX",
        "ZRANGE k 0 1 LIMIT 1",
        "ZRANGE k a b BYLEX WITHSCORES",
        "ZRANGE nokey 0 -1 BYLEX",
        "ZREVRANGE k 0 0 WITHSCORES",
        "ZCOUNT k -inf +inf",
        "ZCOUNT k (1 3",
        "ZCOUNT k x y",
        "ZCOUNT nokey 0 1",
        "ZRANK k c",
        "ZREVRANK k c",
        "ZRANK k nope",
        "ZRANK nokey a",
        "ZREMRANGEBYSCORE k (2 (4",
        "ZREMRANGEBYSCORE k x 1",
        "ZREMRANGEBYRANK k -1 -1",
        "ZREMRANGEBYRANK k a 1",
        "ZRANGE k 0 -1 WITHSCORES",
        "ZREMRANGEBYRANK k 0 -1",
        "EXISTS k",
    ],
    "lex": [
        "ZADD k 0 a 0 b 0 c 0 d 0 e 0 f",
        "ZRANGEBYLEX k [b (e",
        "ZRANGEBYLEX k (b [e",
        "ZRANGEBYLEX k - +",
        "ZRANGEBYLEX k + -",
        "ZRANGEBYLEX k [c [c",
        "ZRANGEBYLEX k (c [c",
        "ZRANGEBYLEX k - + LIMIT 1 2",
        "ZRANGEBYLEX k - + LIMIT -1 2",
        "ZRANGEBYLEX k - + WITHSCORES",
        "ZRANGEBYLEX k a b",
        "ZRANGEBYLEX k +x b",
        'ZRANGEBYLEX k "" +',
        "ZREVRANGEBYLEX k (e [b",
        "ZREVRANGEBYLEX k + - LIMIT 1 2",
        'ZRANGE k "[a" "(c" BYLEX REV',
        'ZRANGE k "(c" "[a" BYLEX REV',
        "ZRANGE k - + BYLEX LIMIT 1 -1",
        "ZLEXCOUNT k - +",
        "ZLEXCOUNT k [b (d",
        "ZLEXCOUNT k a c",
        "ZREMRANGEBYLEX k [e +",
        "ZREMRANGEBYLEX k x y",
        "ZADD mixed 1 z 2 y 3 x 0 w",
        "ZLEXCOUNT mixed [a (c",
        "ZLEXCOUNT mixed - +",
        "ZRANGEBYLEX mixed - (y",
        "ZRANGESTORE dst k [b [d BYLEX",
        "ZRANGE dst 0 -1 WITHSCORES",
        "ZRANGESTORE dst nokey 0 -1",
        "EXISTS dst",
        "ZRANGESTORE dst k 0 -1 WITHSCORES",
        "ZRANGESTORE dst k 1 2 REV",
        "ZRANGE dst 0 -1",
    ],
    "setops": [
        "ZADD k 1 a 2 b 3 c",
        "ZADD k2 10 b 20 c 30 d",
        "SADD st x y c",
        "SET str v",
        "ZUNION 2 k k2 WITHSCORES",
        "ZUNION 2 st k WITHSCORES",
        "ZUNION 3 k k2 st WEIGHTS 1 2 0.5 AGGREGATE MAX WITHSCORES",
        "ZINTER 2 k k2 WITHSCORES",
        "ZINTER 3 k k2 st WITHSCORES",
        "ZINTER 2 k k2 AGGREGATE MIN WITHSCORES",
        "ZDIFF 2 k k2 WITHSCORES",
        "ZDIFF 2 k2 st",
        "ZUNIONSTORE out 2 k k WEIGHTS 2 3 AGGREGATE MAX",
        "ZRANGE out 0 -1 WITHSCORES",
        "ZINTERSTORE out 2 k k WEIGHTS 2 inf",
        "ZRANGE out 0 -1 WITHSCORES",
        "ZINTERSTORE out 2 k k WEIGHTS 0 inf",
        "ZRANGE out 0 -1 WITHSCORES",
        "ZUNIONSTORE out 2 k k WEIGHTS inf -inf",
        "ZRANGE out 0 -1 WITHSCORES",
        "ZDIFFSTORE out 2 k k",
        "EXISTS out",
        "ZINTERCARD 2 k k2",
        "ZINTERCARD 2 k k2 LIMIT 1",
        "ZINTERCARD 2 k k2 LIMIT 0",
        "ZINTERCARD 0 k",
        "ZINTERCARD 1 k LIMIT -1",
        "ZINTERCARD 1 k LIMIT a",
        "ZINTERCARD 1 k WITHSCORES",
        "ZUNIONSTORE d 0 k",
        "ZUNION 0 k",
        "ZINTER 0 k",
        "ZDIFF 0 k",
        "ZUNION -1 k",
        "ZUNION a k",
        "ZUNION 1 k WEIGHTS a",
        "ZUNION 2 str nokey AGGREGATE bad",
        "ZUNION 2 nokey str AGGREGATE bad",
        "ZUNION 3 nokey k",
        "ZUNIONSTORE d 2 k k WITHSCORES",
        "ZDIFF 2 k st WEIGHTS 1 1",
        "ZDIFF 2 k st AGGREGATE SUM",
        "ZINTER 2 k nokey WITHSCORES",
    ],
    "pops": [
        "ZADD k 1 a 2 b 3 c 4 d",
        "ZPOPMIN k 0",
        "ZPOPMIN nokey 0",
        "ZPOPMIN nokey",
        "ZPOPMIN k -1",
        "ZPOPMIN k a",
        "ZPOPMIN k 1 2",
        "ZPOPMAX k",
        "ZPOPMAX k 2",
        "ZPOPMIN k 1",
        "ZPOPMIN k 100",
        "EXISTS k",
        "ZADD k 1 a 2 b 3 c",
        "SET s str",
        "ZPOPMIN s",
        "ZMPOP 1 k MAX COUNT 2",
        "ZMPOP 2 nokey k MIN",
        "ZMPOP 2 nokey k MIN COUNT 5",
        "ZMPOP 1 k MIN COUNT",
        "ZMPOP 1 k MIN COUNT 1 COUNT 2",
        "ZMPOP 1 k foo",
        "ZMPOP 0 k MIN",
        "ZMPOP a k MIN",
        "ZMPOP 1 k MIN COUNT 0",
        "ZMPOP 2 k MIN",
        "ZMPOP 2 nokey s MIN",
        "ZADD k 5 e",
        "ZMPOP 2 k s MIN",
        "BZPOPMIN k -1",
        "BZPOPMIN k a",
        "BZPOPMIN k inf",
        "ZADD k 1 a 2 b",
        "BZPOPMIN nokey k 0",
        "BZPOPMAX k 0.5",
        "ZADD k 3 c",
        "BZMPOP 0 1 k MIN",
        "BZMPOP 0 1 nokey MIN COUNT 0",
        "BZMPOP -1 1 k MIN",
        "BZMPOP 0 0 k MIN",
    ],
    "misc": [
        "ZADD k 1 a 2 b 3 c",
        "ZRANDMEMBER k 0",
        "ZRANDMEMBER nokey 0",
        "ZRANDMEMBER nokey",
        "ZRANDMEMBER nokey 3 WITHSCORES",
        "ZRANDMEMBER k -9223372036854775808",
        "ZRANDMEMBER k a",
        "ZRANDMEMBER k -9223372036854775807 WITHSCORES",
        "ZRANDMEMBER k 1 WITHSCORE",
        "ZRANDMEMBER k 1 WITHSCORES x",
        "~ZRANDMEMBER k 3",
        "~ZRANDMEMBER k 10",
        "ZSCAN k abc",
        "ZSCAN k 0",
        'ZSCAN k ""',
        "ZSCAN k 0 COUNT 0",
        "ZSCAN k -1",
        "ZSCAN k 0 MATCH *",
        "ZSCAN k 0 MATCH a*",
        "ZSCAN k 0 MATCH [bc] COUNT 1",
        "ZSCAN k 0 TYPE zset",
        "ZSCAN nokey 0 COUNT 0",
        "ZADD f 0.1 w 2.5 x 1e20 y -0 z -1e-320 q",
        "ZSCAN f 0",
        "ZRANGE f 0 -1 WITHSCORES",
        "ZCARD k",
        "ZCARD nokey",
        "ZSCORE nokey a",
        "ZREM k a nope",
        "ZREM nokey a",
        "ZREM k b c",
        "EXISTS k",
        "ZADD",
        "ZCARD",
        "ZRANGE k 0",
        "ZINCRBY k 1",
        "ZINTERCARD 1",
    ],
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_side_by_side(wire: WirePair, name: str) -> None:
    assert wire.run(SCRIPTS[name]) == []


def test_side_by_side_big_zset(wire: WirePair) -> None:
    """A skiplist-encoded set (more than 128 members): -0 is kept, ranks and ranges."""
    members = " ".join(f"{i * 0.5} m{i:03d}" for i in range(300))
    script = [
        f"ZADD big {members}",
        "ZADD big -0 negzero 0 poszero",
        "ZSCORE big negzero",
        "ZRANGE big 0 4 WITHSCORES",
        "ZRANGE big 100 105 REV WITHSCORES",
        "ZRANGEBYSCORE big (10 20 LIMIT 3 4 WITHSCORES",
        "ZRANK big m150",
        "ZREVRANK big m150",
        "ZCOUNT big 50 (100",
        "ZREMRANGEBYRANK big 10 19",
        "ZREMRANGEBYSCORE big 140 (145",
        "ZCARD big",
        "ZPOPMAX big 3",
        "ZRANGESTORE small big 0 2",
        "ZRANGE small 0 -1 WITHSCORES",
    ]
    assert wire.run(script) == []


def test_random_commands_side_by_side(wire: WirePair) -> None:
    """A seeded random walk over the write and range commands, compared byte for byte."""
    rng = random.Random(7)
    members = [f"m{i}" for i in range(12)]
    scores = [
        "0",
        "1",
        "-1",
        "2.5",
        "0.1",
        "1e-5",
        "3e15",
        "-inf",
        "inf",
        "(1",
        "0.30000000000000004",
    ]
    script = []
    for _ in range(250):
        key = rng.choice(["a", "b"])
        m = rng.choice(members)
        s = rng.choice(scores[:9])
        kind = rng.randrange(12)
        if kind < 3:
            script.append(f"ZADD {key} {s} {m} {rng.choice(scores[:9])} {rng.choice(members)}")
        elif kind == 3:
            script.append(f"ZINCRBY {key} {s} {m}")
        elif kind == 4:
            script.append(f"ZREM {key} {m}")
        elif kind == 5:
            script.append(f"ZRANGE {key} {rng.randint(-5, 5)} {rng.randint(-5, 5)} WITHSCORES")
        elif kind == 6:
            lo, hi = rng.choice(scores), rng.choice(scores)
            script.append(f"ZRANGEBYSCORE {key} {lo} {hi} WITHSCORES")
        elif kind == 7:
            script.append(f"ZRANK {key} {m}")
        elif kind == 8:
            script.append(f"ZUNIONSTORE c 2 a b WEIGHTS {rng.choice(scores[:4])} 1")
        elif kind == 9:
            script.append(f"ZINTER 2 a b AGGREGATE {rng.choice(['SUM', 'MIN', 'MAX'])} WITHSCORES")
        elif kind == 10:
            script.append(f"ZPOP{rng.choice(['MIN', 'MAX'])} {key} {rng.randint(0, 2)}")
        else:
            script.append(f"ZCOUNT {key} {rng.choice(scores)} {rng.choice(scores)}")
    assert wire.run(script) == []
