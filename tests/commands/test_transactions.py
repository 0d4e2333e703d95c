"""MULTI/EXEC/DISCARD/WATCH/UNWATCH: queueing, aborts, runtime errors, WATCH invalidation
(writes, expiry, FLUSHDB/FLUSHALL/SWAPDB) and races between concurrent clients, through
redis-py (sync and asyncio, RESP2 and RESP3) and side by side with real Redis 7.0."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import redis
import redis.asyncio

from ..helpers import RawConnection, ServerProcess
from .wire import WirePair


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def wire(
    server: ServerProcess, real_redis: ServerProcess, request: pytest.FixtureRequest
) -> Iterator[WirePair]:
    pair = WirePair(server, real_redis, request.param)
    pair.flush()
    yield pair
    pair.close()


@pytest.fixture
def conn(server: ServerProcess, r: redis.Redis) -> Iterator[RawConnection]:
    """A raw RESP2 connection on the flushed server (one transaction state per socket)."""
    c = RawConnection(server.port)
    yield c
    c.close()


def test_multi_exec_runs_queue_in_order(rp: redis.Redis) -> None:
    pipe = rp.pipeline(transaction=True)
    pipe.set("a", "1").incr("a").zadd("z", {"m": 2}).get("a").zscore("z", "m")
    assert pipe.execute() == [True, 2, 1, b"2", 2.0]


def test_queued_replies_and_exec(conn: RawConnection) -> None:
    assert conn.command("MULTI") == b"OK"
    assert conn.command("SET", "k", "v") == b"QUEUED"
    assert conn.command("GET", "k") == b"QUEUED"
    assert conn.command("EXEC") == [b"OK", b"v"]
    assert conn.command("EXEC") == ("error", "ERR EXEC without MULTI")
    assert conn.command("DISCARD") == ("error", "ERR DISCARD without MULTI")


def test_nested_multi_and_watch_inside_multi_do_not_abort(conn: RawConnection) -> None:
    conn.command("MULTI")
    assert conn.command("MULTI") == ("error", "ERR MULTI calls can not be nested")
    assert conn.command("WATCH", "x") == ("error", "ERR WATCH inside MULTI is not allowed")
    assert conn.command("INCR", "n") == b"QUEUED"
    assert conn.command("EXEC") == [1]


def test_queueing_errors_abort_exec(conn: RawConnection) -> None:
    conn.command("MULTI")
    assert conn.command("SET", "a") == ("error", "ERR wrong number of arguments for 'set' command")
    assert conn.command("INCR", "n") == b"QUEUED"
    assert conn.command("NOSUCHCOMMAND")[0] == "error"  # type: ignore[index]
    assert conn.command("EXEC") == (
        "error",
        "EXECABORT Transaction discarded because of previous errors.",
    )
    assert conn.command("GET", "n") is None  # nothing ran, and MULTI state is gone
    assert conn.command("EXEC") == ("error", "ERR EXEC without MULTI")


def test_runtime_errors_do_not_abort(conn: RawConnection) -> None:
    conn.command("MULTI")
    conn.command("SET", "a", "x")
    conn.command("LPUSH", "a", "1")
    conn.command("INCR", "a")
    conn.command("SET", "b", "2")
    replies = conn.command("EXEC")
    assert replies == [
        b"OK",
        ("error", "WRONGTYPE Operation against a key holding the wrong kind of value"),
        ("error", "ERR value is not an integer or out of range"),
        b"OK",
    ]
    assert conn.command("GET", "b") == b"2"


def test_discard_drops_queue_and_watches(server: ServerProcess, conn: RawConnection) -> None:
    other = server.client()
    conn.command("WATCH", "w")
    conn.command("MULTI")
    conn.command("SET", "w", "mine")
    assert conn.command("DISCARD") == b"OK"
    assert conn.command("GET", "w") is None
    other.set("w", "theirs")  # no longer watched: the next transaction must run
    conn.command("MULTI")
    conn.command("SET", "w", "mine")
    assert conn.command("EXEC") == [b"OK"]
    other.close()


def test_watch_detects_other_clients_write(rp: redis.Redis, server: ServerProcess) -> None:
    other = server.client()
    rp.set("k", "1")
    rp.execute_command("WATCH", "k")
    other.set("k", "2")
    rp.execute_command("MULTI")
    rp.execute_command("SET", "k", "3")
    assert rp.execute_command("EXEC") is None
    assert rp.get("k") == b"2"
    # EXEC unwatched everything: a new transaction runs
    rp.execute_command("MULTI")
    rp.execute_command("SET", "k", "3")
    assert rp.execute_command("EXEC") == [b"OK"] or rp.get("k") == b"3"
    other.close()


def test_watch_own_write_before_multi_also_fails(r: redis.Redis) -> None:
    r.execute_command("WATCH", "k")
    r.set("k", "mine")
    r.execute_command("MULTI")
    r.execute_command("GET", "k")
    assert r.execute_command("EXEC") is None


def test_watch_untouched_and_unwatch(r: redis.Redis, server: ServerProcess) -> None:
    other = server.client()
    r.execute_command("WATCH", "a", "b")
    other.set("c", "x")
    r.execute_command("MULTI")
    r.execute_command("SET", "a", "1")
    assert r.execute_command("EXEC") == [b"OK"]
    r.execute_command("WATCH", "a")
    other.set("a", "2")
    assert r.execute_command("UNWATCH") is True
    r.execute_command("MULTI")
    r.execute_command("GET", "a")
    assert r.execute_command("EXEC") == [b"2"]
    other.close()


def test_watch_any_write_kind_invalidates(r: redis.Redis, server: ServerProcess) -> None:
    other = server.client()
    r.zadd("z", {"a": 1})
    r.rpush("l", "x")
    r.hset("h", "f", "v")
    r.set("s", "1")
    writes = [
        lambda: other.zadd("z", {"b": 2}),
        lambda: other.zincrby("z", 1, "a"),
        lambda: other.zpopmin("z"),
        lambda: other.rpush("l", "y"),
        lambda: other.hset("h", "f", "w"),
        lambda: other.expire("s", 100),
        lambda: other.delete("s"),
        lambda: other.rename("l", "l2"),
    ]
    keys = ["z", "z", "z", "l", "h", "s", "s", "l"]
    for key, write in zip(keys, writes, strict=True):
        r.execute_command("WATCH", key)
        write()
        r.execute_command("MULTI")
        r.execute_command("PING")
        assert r.execute_command("EXEC") is None, key
    other.close()


def test_watch_noop_write_does_not_invalidate(r: redis.Redis, server: ServerProcess) -> None:
    other = server.client()
    r.zadd("z", {"a": 1})
    r.execute_command("WATCH", "z")
    other.zadd("z", {"a": 5}, xx=True, gt=False, lt=True)  # LT with a higher score: no change
    other.zrem("z", "nope")
    r.execute_command("MULTI")
    r.execute_command("PING")
    assert r.execute_command("EXEC") == [b"PONG"]
    other.close()


def test_watched_key_expiring_aborts(r: redis.Redis) -> None:
    r.set("k", "v", px=80)
    r.execute_command("WATCH", "k")
    time.sleep(0.15)  # expired by EXEC (lazily or by the active cycle)
    r.execute_command("MULTI")
    r.execute_command("PING")
    assert r.execute_command("EXEC") is None


def test_watched_key_expiring_without_deletion_aborts(r: redis.Redis) -> None:
    """Redis 7.0: live at WATCH, logically expired at EXEC -> abort, even if not deleted."""
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        r.set("k", "v", px=50)
        r.execute_command("WATCH", "k")
        time.sleep(0.1)
        r.execute_command("MULTI")
        r.execute_command("PING")
        assert r.execute_command("EXEC") is None
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_watching_stale_key_does_not_abort(r: redis.Redis, server: ServerProcess) -> None:
    """A key already expired when WATCHed: its removal later is not a change."""
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    other = server.client()
    try:
        r.set("k", "v", px=1)
        time.sleep(0.02)
        r.execute_command("WATCH", "k")
        other.exists("k")  # another client's lookup reclaims the stale key
        r.execute_command("MULTI")
        r.execute_command("PING")
        assert r.execute_command("EXEC") == [b"PONG"]
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        other.close()


@pytest.mark.parametrize("flush", ["FLUSHDB", "FLUSHALL"])
def test_flush_invalidates_existing_watched_key(
    r: redis.Redis, server: ServerProcess, flush: str
) -> None:
    other = server.client()
    r.set("k", "v")
    r.execute_command("WATCH", "k")
    other.execute_command(flush)
    r.execute_command("MULTI")
    r.execute_command("PING")
    assert r.execute_command("EXEC") is None
    # a watched key that did not exist is not touched by a flush
    r.execute_command("WATCH", "absent")
    other.execute_command(flush)
    r.execute_command("MULTI")
    r.execute_command("PING")
    assert r.execute_command("EXEC") == [b"PONG"]
    other.close()


def test_swapdb_invalidates(r: redis.Redis, server: ServerProcess) -> None:
    other = server.client()
    r.set("k", "v")
    r.execute_command("WATCH", "k")
    other.swapdb(0, 1)
    r.execute_command("MULTI")
    r.execute_command("PING")
    assert r.execute_command("EXEC") is None
    other.swapdb(0, 1)
    other.close()


def test_watch_is_per_database(r: redis.Redis, server: ServerProcess) -> None:
    other = server.client(db=1)
    r.execute_command("WATCH", "k")
    other.set("k", "in db 1")
    r.execute_command("MULTI")
    r.execute_command("PING")
    assert r.execute_command("EXEC") == [b"PONG"]
    other.flushdb()
    other.close()


def test_exec_watch_failure_resp3_is_null(server: ServerProcess, r: redis.Redis) -> None:
    conn = RawConnection(server.port)
    try:
        conn.command("HELLO", "3")
        conn.command("WATCH", "k")
        r.set("k", "changed")
        conn.command("MULTI")
        conn.command("PING")
        conn.send(b"*1\r\n$4\r\nEXEC\r\n")
        assert conn.read_line() == b"_"
    finally:
        conn.close()


def test_optimistic_locking_race(server: ServerProcess, r: redis.Redis) -> None:
    """Concurrent WATCH/MULTI/EXEC increments: retries make every increment count once."""
    r.set("counter", 0)
    workers, rounds = 4, 40
    failures: list[int] = []

    def work() -> None:
        client = server.client()
        retries = 0
        for _ in range(rounds):
            while True:
                with client.pipeline(transaction=True) as pipe:
                    try:
                        pipe.watch("counter")
                        value = int(pipe.get("counter") or 0)
                        pipe.multi()
                        pipe.set("counter", value + 1)
                        pipe.execute()
                        break
                    except redis.WatchError:
                        retries += 1
        failures.append(retries)
        client.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert int(r.get("counter") or 0) == workers * rounds
    assert len(failures) == workers


def test_multi_isolation_from_other_clients(server: ServerProcess, r: redis.Redis) -> None:
    """Queued commands run back to back: another client never sees half a transaction."""
    stop = threading.Event()
    seen: set[tuple[bytes | None, bytes | None]] = set()

    def reader() -> None:
        client = server.client()
        while not stop.is_set():
            seen.add(tuple(client.mget("x", "y")))  # type: ignore[arg-type]
        client.close()

    t = threading.Thread(target=reader)
    t.start()
    try:
        for i in range(200):
            pipe = r.pipeline(transaction=True)
            pipe.set("x", i).set("y", i)
            pipe.execute()
    finally:
        stop.set()
        t.join(10)
    assert all(a == b for a, b in seen)


async def test_asyncio_watch_transaction(server: ServerProcess) -> None:
    a = redis.asyncio.Redis(port=server.port, protocol=3)
    b = redis.asyncio.Redis(port=server.port)
    try:
        await a.set("ak", "1")
        async with a.pipeline(transaction=True) as pipe:
            await pipe.watch("ak")
            await b.set("ak", "2")
            pipe.multi()
            pipe.set("ak", "3")
            with pytest.raises(redis.WatchError):
                await pipe.execute()
        async with a.pipeline(transaction=True) as pipe:
            pipe.incr("ak").zadd("az", {"m": 1.5}).zrange("az", 0, -1, withscores=True)
            assert await pipe.execute() == [3, 1, [[b"m", 1.5]]]
    finally:
        await a.aclose()
        await b.aclose()


SCRIPTS: dict[str, list[str]] = {
    "errors": [
        "EXEC",
        "DISCARD",
        "MULTI",
        "MULTI",
        "WATCH x",
        "UNWATCH",
        "PING",
        "SET a 1",
        "ZADD z 1 m",
        "ZINCRBY z nan m",
        "LPUSH a x",
        "EXEC",
        "MULTI",
        "SET a b c d",
        "ZADD",
        "FOO bar",
        "EXEC",
        "EXEC",
        "WATCH",
        "MULTI x",
        "EXEC x",
        "UNWATCH x",
        "MULTI",
        "DISCARD",
        "DISCARD",
    ],
    "watch": [
        "SET k v",
        "WATCH k nokey",
        "WATCH k",
        "SET k changed",
        "MULTI",
        "GET k",
        "EXEC",
        "WATCH k",
        "MULTI",
        "GET k",
        "EXEC",
        "WATCH k",
        "UNWATCH",
        "SET k other",
        "MULTI",
        "GET k",
        "EXEC",
    ],
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_side_by_side(wire: WirePair, name: str) -> None:
    assert wire.run(SCRIPTS[name]) == []
