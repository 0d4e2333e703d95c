"""Keyspace notifications: notify-keyspace-events classes (set at start and by CONFIG SET),
__keyspace@<db>__ / __keyevent@<db>__ messages, and the exact event stream of string,
list, hash, set, sorted set and generic commands compared with real Redis 7.0."""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Iterator

import pytest
import redis

from ..helpers import RawConnection, ServerProcess

SENTINEL = b"--end--"


class EventStream:
    """A RESP2 subscriber to every keyspace/keyevent channel plus a sentinel channel; the
    sentinel marks the end of the events caused by a batch of commands."""

    def __init__(self, port: int, pattern: str = "__key*__:*") -> None:
        self.conn = RawConnection(port)
        self.conn.command("PSUBSCRIBE", pattern)
        self.conn.command("SUBSCRIBE", SENTINEL)
        self.port = port

    def collect(self, commands: list[list[str]]) -> list[tuple[bytes, bytes]]:
        """Run `commands` on a separate connection; return (channel, payload) in order."""
        client = RawConnection(self.port)
        for args in commands:
            client.command(*args)
        client.command("PUBLISH", SENTINEL, "x")
        client.close()
        events = []
        while True:
            msg = self.conn.read_reply()
            assert isinstance(msg, list)
            if msg[0] == b"message" and msg[1] == SENTINEL:
                return events
            events.append((msg[2], msg[3]))

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def events(
    server: ServerProcess, r: redis.Redis
) -> Iterator[Callable[..., list[tuple[bytes, bytes]]]]:
    """CONFIG SET the classes on our server, then collect events of a batch of commands."""
    streams: list[EventStream] = []

    def run(classes: str, *lines: str, pattern: str = "__key*__:*") -> list[tuple[bytes, bytes]]:
        r.config_set("notify-keyspace-events", classes)
        stream = EventStream(server.port, pattern)
        streams.append(stream)
        return stream.collect([shlex.split(line) for line in lines])

    yield run
    for stream in streams:
        stream.close()
    r.config_set("notify-keyspace-events", "")


def test_keyspace_and_keyevent_channels(events: Callable[..., list[tuple[bytes, bytes]]]) -> None:
    assert events("KEA", "SET k v", "DEL k") == [
        (b"__keyspace@0__:k", b"set"),
        (b"__keyevent@0__:set", b"k"),
        (b"__keyspace@0__:k", b"del"),
        (b"__keyevent@0__:del", b"k"),
    ]


def test_only_selected_classes_and_targets(
    events: Callable[..., list[tuple[bytes, bytes]]],
) -> None:
    got = events("Kz", "SET s v", "ZADD z 1 a", "EXPIRE z 100", "ZREM z a")
    assert got == [(b"__keyspace@0__:z", b"zadd"), (b"__keyspace@0__:z", b"zrem")]
    got = events("Eg", "SET s v", "EXPIRE s 100", "DEL s")
    assert got == [(b"__keyevent@0__:expire", b"s"), (b"__keyevent@0__:del", b"s")]


def test_disabled_means_no_messages(events: Callable[..., list[tuple[bytes, bytes]]]) -> None:
    assert events("", "SET k v", "ZADD z 1 a", "DEL k z") == []
    assert events("A", "SET k v") == []  # classes but neither K nor E
    assert events("KE", "SET k v") == []  # targets but no class


def test_other_database_and_pattern(events: Callable[..., list[tuple[bytes, bytes]]]) -> None:
    got = events("KEA", "SELECT 3", "ZADD z 1 a", pattern="__keyevent@3__:*")
    assert got == [(b"__keyevent@3__:zadd", b"z")]


def test_expired_event(server: ServerProcess, r: redis.Redis) -> None:
    r.config_set("notify-keyspace-events", "Ex")
    stream = EventStream(server.port)
    try:
        r.set("k", "v", px=30)
        deadline = time.monotonic() + 5
        got = None
        stream.conn.sock.settimeout(5)
        while got is None and time.monotonic() < deadline:
            msg = stream.conn.read_reply()
            if isinstance(msg, list) and msg[0] == b"pmessage":
                got = (msg[2], msg[3])
        assert got == (b"__keyevent@0__:expired", b"k")
    finally:
        stream.close()
        r.config_set("notify-keyspace-events", "")


def test_enabled_at_startup(make_server: Callable[..., ServerProcess]) -> None:
    proc = make_server("--notify-keyspace-events", "KEz")
    stream = EventStream(proc.port)
    try:
        assert stream.collect([["ZADD", "z", "1", "a"], ["SET", "s", "v"]]) == [
            (b"__keyspace@0__:z", b"zadd"),
            (b"__keyevent@0__:zadd", b"z"),
        ]
    finally:
        stream.close()


# --- side by side with real Redis ----------------------------------------------------------

SCRIPTS: dict[str, list[str]] = {
    "new_and_keymiss": [
        "GET nokey",
        "SET a 1",
        "SET a 2",
        "MSET m1 1 a 3 m2 2",
        "ZADD z 1 a",
        "ZADD z 2 b",
        "ZSCORE nokey a",
        "ZRANGE nokey 0 -1",
        "ZUNIONSTORE u 1 z",
        "ZRANGESTORE r nokey 0 1",
        "ZUNION 2 nokey z",
        "ZMSCORE nokey a",
        "ZRANDMEMBER nokey",
        "ZSCAN nokey 0",
        "ZPOPMIN nokey",
        "ZMPOP 1 nokey MIN",
        "ZINTERCARD 1 nokey",
        "ZRANK nokey a",
        "ZCOUNT nokey 0 1",
        "ZLEXCOUNT nokey - +",
        "ZRANGEBYSCORE nokey 0 1",
        "LPUSH l x",
        "HGET nokey f",
    ],
    "generic_string": [
        "SET s v",
        "SET s v2 EX 100",
        "APPEND s x",
        "INCR n",
        "INCRBY n 5",
        "INCRBYFLOAT n 1.5",
        "SETRANGE s 1 yy",
        "GETDEL s",
        "MSET a 1 b 2",
        "EXPIRE a 100",
        "PERSIST a",
        "EXPIRE a 0",
        "RENAME b c",
        "COPY c d",
        "MOVE d 1",
        "DEL c nokey",
        "GETEX n PX 1000",
    ],
    "list_hash_set": [
        "RPUSH l a b c",
        "LPUSH l z",
        "LPOP l",
        "RPOP l 2",
        "LSET l 0 q",
        "LPOP l",
        "HSET h f v g w",
        "HINCRBY h n 1",
        "HDEL h f g n",
        "SADD st a b c",
        "SREM st a",
        "SMOVE st st2 b",
        "SPOP st",
    ],
    "zset": [
        "ZADD z 1 a 2 b 3 c",
        "ZADD z 1 a",
        "ZADD z XX 5 nope",
        "ZINCRBY z 1 a",
        "ZADD z INCR 1 b",
        "ZREM z nope",
        "ZREM z a",
        "ZPOPMIN z",
        "ZPOPMAX z 5",
        "ZADD z 1 a 2 b 3 c 4 d",
        "ZREMRANGEBYRANK z 0 0",
        "ZREMRANGEBYSCORE z 3 3",
        "ZREMRANGEBYLEX z - +",
        "ZADD z 1 a 2 b",
        "ZADD y 2 b 3 c",
        "ZUNIONSTORE u 2 z y",
        "ZINTERSTORE i 2 z y",
        "ZDIFFSTORE d 2 z y",
        "ZINTERSTORE i 2 z nokey",
        "ZRANGESTORE r z 0 0",
        "ZRANGESTORE r z 5 6",
        "ZMPOP 1 y MIN COUNT 5",
        "BZPOPMAX z 0",
        "BZMPOP 0 1 z MIN",
    ],
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_event_stream_side_by_side(
    server: ServerProcess, real_redis: ServerProcess, r: redis.Redis, rr: redis.Redis, name: str
) -> None:
    commands = [shlex.split(line) for line in SCRIPTS[name]]
    streams = {}
    classes = "KEnm" if name == "new_and_keymiss" else "KEA"
    for proc, client in ((server, r), (real_redis, rr)):
        client.config_set("notify-keyspace-events", classes)
        stream = EventStream(proc.port)
        try:
            streams[proc.port] = stream.collect(commands)
        finally:
            stream.close()
            client.config_set("notify-keyspace-events", "")
    ours, real = streams[server.port], streams[real_redis.port]
    assert ours == real
