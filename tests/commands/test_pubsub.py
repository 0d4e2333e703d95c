"""Pub/sub: channels, patterns and shard channels with several subscribers, RESP2 arrays
and RESP3 pushes, the RESP2 subscribed-mode restrictions, PUBSUB introspection and
cleanup on disconnect and RESET; through redis-py (sync and asyncio) and raw sockets,
side by side with real Redis 7.0 where the bytes matter."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
import redis.asyncio

from ..helpers import RawConnection, ServerProcess
from .wire import WireConnection, WirePair


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def wire(
    server: ServerProcess, real_redis: ServerProcess, request: pytest.FixtureRequest
) -> Iterator[WirePair]:
    pair = WirePair(server, real_redis, request.param)
    pair.flush()
    yield pair
    pair.close()


def messages(ps: redis.client.PubSub, n: int, timeout: float = 2.0) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        msg = ps.get_message(timeout=0.1)
        if msg is not None:
            out.append(msg)
    return out


def wait_numsub(r: redis.Redis, channel: str, n: int) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if dict(r.pubsub_numsub(channel)).get(channel.encode(), 0) == n:
            return
        time.sleep(0.01)
    raise AssertionError(f"numsub of {channel} never reached {n}")


def test_several_subscribers_and_patterns(server: ServerProcess, r: redis.Redis) -> None:
    subs = [server.client().pubsub() for _ in range(3)]
    subs[0].subscribe("news")
    subs[1].subscribe("news", "other")
    subs[2].psubscribe("n*", "ne?s", "x*")
    for ps, n in zip(subs, (1, 2, 3), strict=True):
        assert [m["type"] for m in messages(ps, n)] == (
            ["psubscribe"] * 3 if ps is subs[2] else ["subscribe"] * n
        )
    assert r.publish("news", "hello") == 4  # two channel subscribers + two matching patterns
    assert messages(subs[0], 1)[0]["data"] == b"hello"
    assert messages(subs[1], 1)[0]["channel"] == b"news"
    got = messages(subs[2], 2)
    assert sorted(m["pattern"] for m in got) == [b"n*", b"ne?s"]  # type: ignore[type-var]
    assert all(m["type"] == "pmessage" and m["channel"] == b"news" for m in got)
    assert r.publish("nobody", "x") == 1  # only the n* pattern
    assert r.publish("zzz", "x") == 0
    for ps in subs:
        ps.close()


def test_resp2_message_frames(server: ServerProcess, r: redis.Redis) -> None:
    sub = RawConnection(server.port)
    try:
        sub.send(b"*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n")
        assert sub.read_reply() == [b"subscribe", b"a", 1]
        assert sub.read_reply() == [b"subscribe", b"b", 2]
        assert sub.command("PSUBSCRIBE", "a*") == [b"psubscribe", b"a*", 3]
        r.publish("a", "payload")
        assert sub.read_reply() == [b"message", b"a", b"payload"]
        assert sub.read_reply() == [b"pmessage", b"a*", b"a", b"payload"]
        assert sub.command("PING") == [b"pong", b""]
        assert sub.command("PING", "x") == [b"pong", b"x"]
        assert sub.command("GET", "k") == (
            "error",
            "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
            "RESET are allowed in this context",
        )
        sub.send(b"*1\r\n$11\r\nUNSUBSCRIBE\r\n")
        first, second = sub.read_reply(), sub.read_reply()  # hash order, as in Redis
        assert sorted([first[1], second[1]]) == [b"a", b"b"]  # type: ignore[index]
        assert (first[0], first[2], second[0], second[2]) == (  # type: ignore[index]
            b"unsubscribe",
            2,
            b"unsubscribe",
            1,
        )
        assert sub.command("PUNSUBSCRIBE") == [b"punsubscribe", b"a*", 0]
        assert sub.command("PUNSUBSCRIBE") == [b"punsubscribe", None, 0]
        assert sub.command("GET", "k") is None  # out of subscribed mode again
    finally:
        sub.close()


def test_resp3_push_frames_and_commands_while_subscribed(
    server: ServerProcess, r: redis.Redis
) -> None:
    sub = WireConnection(server.port, 3)
    try:
        assert sub.command("SUBSCRIBE", "c") == b">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n"
        assert sub.command("SET", "k", "v") == b"+OK\r\n"  # RESP3 clients may run anything
        r.publish("c", "m")
        assert sub.read() == b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n"
        # publishing to itself: the push comes before PUBLISH's own reply
        assert sub.command("PUBLISH", "c", "self") == (
            b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$4\r\nself\r\n"
        )
        assert sub.read() == b":1\r\n"
        assert (
            sub.command("UNSUBSCRIBE", "nope")
            == b">3\r\n$11\r\nunsubscribe\r\n$4\r\nnope\r\n:1\r\n"
        )
    finally:
        sub.close()


def test_pubsub_introspection(server: ServerProcess, r: redis.Redis) -> None:
    a = server.client().pubsub()
    b = server.client().pubsub()
    a.subscribe("ch1", "ch2")
    b.subscribe("ch1")
    b.psubscribe("p*", "q*")
    a.psubscribe("p*")
    wait_numsub(r, "ch1", 2)
    assert sorted(r.pubsub_channels()) == [b"ch1", b"ch2"]
    assert r.pubsub_channels("*2") == [b"ch2"]
    assert r.pubsub_numsub("ch1", "ch2", "none") == [(b"ch1", 2), (b"ch2", 1), (b"none", 0)]
    deadline = time.monotonic() + 5
    while r.pubsub_numpat() != 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert r.pubsub_numpat() == 2  # unique patterns
    a.close()
    b.close()


def test_disconnect_cleans_up(server: ServerProcess, r: redis.Redis) -> None:
    conn = RawConnection(server.port)
    conn.send(b"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\ngone\r\n")
    assert conn.read_reply() == [b"subscribe", b"gone", 1]
    conn.command("PSUBSCRIBE", "gone*")
    conn.command("SSUBSCRIBE", "shard")
    conn.close()
    wait_numsub(r, "gone", 0)
    assert r.pubsub_channels() == []
    assert r.pubsub_numpat() == 0
    assert r.execute_command("PUBSUB", "SHARDNUMSUB", "shard") == [b"shard", 0]
    assert r.publish("gone", "x") == 0


def test_reset_leaves_subscriptions(server: ServerProcess, r: redis.Redis) -> None:
    conn = RawConnection(server.port)
    try:
        conn.command("SUBSCRIBE", "rc")
        conn.command("PSUBSCRIBE", "r*")
        assert conn.command("RESET") == b"RESET"
        assert r.publish("rc", "x") == 0
        assert conn.command("GET", "k") is None
    finally:
        conn.close()


def test_shard_channels(server: ServerProcess, r: redis.Redis) -> None:
    sub = RawConnection(server.port)
    try:
        sub.send(b"*3\r\n$10\r\nSSUBSCRIBE\r\n$2\r\ns1\r\n$2\r\ns2\r\n")
        assert sub.read_reply() == [b"ssubscribe", b"s1", 1]
        assert sub.read_reply() == [b"ssubscribe", b"s2", 2]
        assert r.execute_command("SPUBLISH", "s1", "hi") == 1
        assert sub.read_reply() == [b"smessage", b"s1", b"hi"]
        assert r.publish("s1", "not a shard message") == 0
        assert sorted(r.execute_command("PUBSUB", "SHARDCHANNELS")) == [b"s1", b"s2"]
        assert r.execute_command("PUBSUB", "SHARDNUMSUB", "s1", "s3") == [b"s1", 1, b"s3", 0]
        assert sub.command("SUNSUBSCRIBE", "s1") == [b"sunsubscribe", b"s1", 1]
    finally:
        sub.close()


def test_binary_channel_and_large_message(server: ServerProcess, r: redis.Redis) -> None:
    ps = server.client().pubsub()
    channel = b"bin\x00\xff\r\n"
    ps.subscribe(channel)
    messages(ps, 1)
    payload = bytes(range(256)) * 2000
    assert r.publish(channel, payload) == 1
    msg = messages(ps, 1)[0]
    assert msg["channel"] == channel and msg["data"] == payload
    ps.close()


async def test_asyncio_pubsub_resp3(server: ServerProcess) -> None:
    import asyncio

    sub = redis.asyncio.Redis(port=server.port, protocol=3)
    pub = redis.asyncio.Redis(port=server.port)
    ps = sub.pubsub()
    try:
        await ps.psubscribe("ev:*")
        assert (await ps.get_message(timeout=2))["type"] == "psubscribe"  # type: ignore[index]
        assert await pub.publish("ev:1", "one") == 1
        msg = None
        for _ in range(20):
            msg = await ps.get_message(timeout=0.2)
            if msg is not None:
                break
            await asyncio.sleep(0)
        assert msg is not None
        assert msg["type"] == "pmessage" and msg["channel"] == b"ev:1" and msg["data"] == b"one"
    finally:
        await ps.aclose()
        await sub.aclose()
        await pub.aclose()


def test_glob_patterns_match_like_redis(server: ServerProcess, real_redis: ServerProcess) -> None:
    """PUBLISH's receiver count shows which PSUBSCRIBE patterns match, on both servers."""
    patterns = [
        "*",
        "h?llo",
        "h*llo",
        "h[ae]llo",
        "h[^e]llo",
        "h[a-b]llo",
        "h[b-a]llo",
        "h\\*llo",
        "h[",
        "h[a",
        "*o",
        "a*b*c",
        "\\",
        "[\\]]",
        "x?",
        "?",
        "[a-]",
    ]
    channels = [
        "hello",
        "hallo",
        "hbllo",
        "hxllo",
        "h*llo",
        "hllo",
        "h[",
        "h[a",
        "x",
        "xy",
        "abc",
        "aXbYc",
        "\\",
        "]",
        "-",
        "a",
        "",
        "ho",
    ]
    counts = {}
    for proc in (server, real_redis):
        subs = []
        for pattern in patterns:
            sub = RawConnection(proc.port)
            sub.command("PSUBSCRIBE", pattern)
            subs.append(sub)
        pub = RawConnection(proc.port)
        counts[proc.port] = [pub.command("PUBLISH", ch, "x") for ch in channels]
        pub.close()
        for sub in subs:
            sub.close()
    assert counts[server.port] == counts[real_redis.port]


SCRIPTS: dict[str, list[str]] = {
    "introspection": [
        "PUBSUB NUMSUB a b",
        "PUBSUB NUMSUB",
        "PUBSUB NUMPAT",
        "PUBSUB CHANNELS",
        "PUBSUB CHANNELS a*",
        "PUBSUB SHARDNUMSUB a",
        "PUBSUB SHARDCHANNELS",
        "PUBSUB HELP",
        "PUBSUB FOO",
        "PUBSUB NUMPAT x",
        "PUBSUB CHANNELS a b",
        "PUBSUB",
        "PUBLISH a b",
        "SPUBLISH a b",
        "PUBLISH a",
        "SUBSCRIBE",
        "PSUBSCRIBE",
    ],
    "subscribed": [
        "UNSUBSCRIBE",
        "PUNSUBSCRIBE",
        "SUNSUBSCRIBE",
        "SUBSCRIBE a",
        "SUBSCRIBE a",
        "PSUBSCRIBE p*",
        "SSUBSCRIBE s",
        "PUBSUB NUMSUB a b",
        "PING",
        "PING hello",
        "GET x",
        "MULTI",
        "UNSUBSCRIBE a x",
        "PUNSUBSCRIBE p* q*",
        "SUNSUBSCRIBE s",
        "GET x",
    ],
    "multi": [
        "MULTI",
        "SUBSCRIBE a",
        "PING",
        "EXEC",
        "PING",
        "UNSUBSCRIBE",
    ],
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_side_by_side(wire: WirePair, name: str) -> None:
    assert wire.run(SCRIPTS[name]) == []
