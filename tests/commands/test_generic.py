"""Generic keyspace commands: exact replies, Redis's glob rules, SCAN's guarantee, OBJECT,
key specs, notifications and propagation; side by side with real Redis 7.0 where subtle."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from pyredisai.commands import COMMANDS
from pyredisai.commands.registry import public_flags
from pyredisai.config import Config
from pyredisai.keyspace.glob import stringmatch
from pyredisai.keyspace.scan import ScanTable
from pyredisai.server import Client, Server

from ..helpers import RawConnection, ServerProcess
from .pairs import Pair, open_pair


@pytest.fixture
def pair(server: ServerProcess, real_redis: ServerProcess) -> Iterator[Pair]:
    yield from open_pair(server, real_redis)


def error_of(client: redis.Redis, *args: object) -> str:
    with pytest.raises(redis.ResponseError) as info:
        client.execute_command(*args)
    return str(info.value)


# --- DEL / UNLINK / EXISTS / TYPE / TOUCH ---------------------------------------------------


def test_del_counts_deleted_keys(r: redis.Redis) -> None:
    r.mset({"a": "1", "b": "2"})
    assert r.delete("a", "b", "c", "a") == 2
    assert r.exists("a", "b") == 0


def test_unlink(r: redis.Redis) -> None:
    r.set("a", "1")
    assert r.unlink("a", "b") == 1
    assert r.get("a") is None


def test_exists_counts_repeats(r: redis.Redis) -> None:
    r.set("a", "1")
    assert r.exists("a", "a", "nope") == 2


def test_type(raw: RawConnection) -> None:
    raw.command("SET", "s", "v")
    raw.command("ZADD", "z", "1", "m")
    assert raw.command("TYPE", "s") == b"string"
    assert raw.command("TYPE", "z") == b"zset"
    assert raw.command("TYPE", "nope") == b"none"


def test_touch_counts_existing(r: redis.Redis) -> None:
    r.mset({"a": "1", "b": "2"})
    assert r.touch("a", "b", "c") == 2


def test_arity_errors_match_redis(pair: Pair) -> None:
    for args in (
        ("DEL",),
        ("EXISTS",),
        ("TYPE",),
        ("TYPE", "a", "b"),
        ("KEYS",),
        ("SCAN",),
        ("RENAME", "a"),
        ("COPY", "a"),
        ("MOVE", "a"),
        ("EXPIRE", "a"),
        ("TTL",),
        ("OBJECT",),
        ("OBJECT", "ENCODING"),
        ("RANDOMKEY", "x"),
    ):
        pair.same(*args)


# --- KEYS and glob patterns -----------------------------------------------------------------

_KEYS = [
    "",
    "a",
    "b",
    "ab",
    "abc",
    "hello",
    "hallo",
    "hxllo",
    "hllo",
    "heeeello",
    "h*llo",
    "h?llo",
    "h[a]llo",
    "a\\b",
    "a-b",
    "a]b",
    "a^b",
    "[",
    "]",
    "^",
    "-",
    "\\",
    "*",
    "?",
    "foo:1",
    "foo:2",
    "foo:10",
    "bar:1",
    "\xe9t\xe9",
    "aaa",
    "aaaa",
    "ba",
    "zz",
]

_PATTERNS = [
    "*",
    "**",
    "",
    "a",
    "?",
    "??",
    "*?",
    "h?llo",
    "h*llo",
    "h[ae]llo",
    "h[^e]llo",
    "h[a-b]llo",
    "h[b-a]llo",
    "h\\*llo",
    "h\\?llo",
    "*\\\\*",
    "\\",
    "a\\",
    "[",
    "[a",
    "[^",
    "[]",
    "[]]",
    "[^]]",
    "[a-]",
    "[a-]*",
    "[-a]",
    "[\\]]",
    "[\\",
    "a[b",
    "foo:*",
    "foo:?",
    "foo:[0-9]",
    "foo:[!0]",
    "*:1",
    "*o*",
    "a*a*a",
    "*a",
    "a*",
    "[a-z][a-z]",
    "\\a",
    "[\\-]",
    "[z-a]",
    "[^a-z]*",
    "*[",
    "[*]",
    "[?]",
    "\xe9*",
    "[\x00-\xff]*",
    "[a-\xff]*",
    "*]*",
    "^*",
    "[[]",
    "a**b",
    "*-*",
]


def test_keys_patterns_match_redis(pair: Pair) -> None:
    for key in _KEYS:
        pair.both("SET", key, "v")
    for pattern in _PATTERNS:
        ours, real = pair.both("KEYS", pattern)
        assert isinstance(ours, list) and isinstance(real, list)
        assert sorted(ours) == sorted(real), pattern


def test_keys_random_patterns_match_redis(pair: Pair) -> None:
    rng = random.Random(11)
    keys = {"".join(rng.choice("ab-]^\\") for _ in range(rng.randint(1, 5))) for _ in range(60)}
    for key in keys:
        pair.both("SET", key, "v")
    for _ in range(250):
        pattern = "".join(rng.choice("ab*?[]^-\\") for _ in range(rng.randint(1, 7)))
        ours, real = pair.both("KEYS", pattern)
        assert isinstance(ours, list) and isinstance(real, list)
        assert sorted(ours) == sorted(real), pattern


def test_keys_star_nesting_limit_matches_redis(pair: Pair) -> None:
    pair.both("SET", "a" * 1200, "v")
    for pattern in ("*a" * 1000, "*a" * 1001, "*a" * 1000 + "*", "a*" * 1001, "*" * 3000):
        ours, real = pair.both("KEYS", pattern)
        assert ours == real, len(pattern)


def test_glob_is_linear_on_hostile_patterns() -> None:
    start = time.perf_counter()
    assert not stringmatch(b"*a" * 30 + b"b", b"a" * 5000)
    assert time.perf_counter() - start < 1.0


def test_glob_edge_cases() -> None:
    assert stringmatch(b"", b"")
    assert not stringmatch(b"*", b"")
    assert not stringmatch(b"?", b"")
    assert stringmatch(b"[a-]", b"]")  # ']' is taken as the range end
    assert stringmatch(b"[^", b"x")  # an unclosed negated class matches any byte
    assert not stringmatch(b"[", b"[")


def test_keys_skips_expired(r: redis.Redis) -> None:
    r.set("live", "1")
    r.set("dead", "1", px=1)
    time.sleep(0.01)
    assert r.keys("*") == [b"live"]


# --- SCAN -------------------------------------------------------------------------------------


def full_scan(client: redis.Redis, **kwargs: Any) -> list[Any]:
    seen: list[Any] = []
    cursor = 0
    while True:
        cursor, keys = client.scan(cursor, **kwargs)
        seen.extend(keys)
        if cursor == 0:
            return seen


def test_scan_small_keyspace_in_one_call(r: redis.Redis) -> None:
    r.mset({"a": "1", "b": "2"})
    cursor, keys = r.scan(0)
    assert cursor == 0 and sorted(keys) == [b"a", b"b"]


def test_scan_full_iteration_returns_each_key_once(r: redis.Redis) -> None:
    r.mset({f"k{i}": i for i in range(500)})
    seen = full_scan(r, count=37)
    assert len(seen) == 500 and len(set(seen)) == 500


def test_scan_match_and_type(r: redis.Redis) -> None:
    r.mset({f"k{i}": i for i in range(50)})
    r.zadd("z1", {"m": 1})
    assert sorted(full_scan(r, match="k1?")) == sorted(f"k1{i}".encode() for i in range(10))
    assert full_scan(r, _type="zset") == [b"z1"]
    assert full_scan(r, _type="ZSET") == [b"z1"]
    assert full_scan(r, _type="nosuchtype") == []


def test_scan_cursor_and_option_errors_match_redis(pair: Pair) -> None:
    pair.both("SET", "a", "1")
    for args in (
        ("abc",),
        (" 1",),
        ("1 ",),
        ("+",),
        ("18446744073709551616",),
        ("0", "COUNT", "0"),
        ("0", "COUNT", "-1"),
        ("0", "COUNT", "x"),
        ("0", "MATCH"),
        ("0", "FOO", "1"),
        ("0", "TYPE"),
    ):
        pair.same("SCAN", *args)
    for cursor in ("", "-0", "+0", "00"):
        pair.same("SCAN", cursor)


def test_scan_unknown_cursor_ends(raw: RawConnection) -> None:
    raw.command("SET", "a", "1")
    reply = raw.command("SCAN", "-1")
    assert reply == [b"0", []]


def _churn(port: int, stop: threading.Event) -> None:
    client = redis.Redis(port=port)
    i = 0
    while not stop.is_set():
        client.set(f"churn:{i}", "x")
        client.delete(f"churn:{i - 50}", f"gone:{i % 300}")
        i += 1
    client.close()


@pytest.mark.parametrize("target", ["pyredisai", "redis"])
def test_scan_guarantee_under_concurrent_writes(
    server: ServerProcess, real_redis: ServerProcess, target: str
) -> None:
    proc = server if target == "pyredisai" else real_redis
    client = proc.client()
    client.flushall()
    stable = {f"stable:{i}".encode() for i in range(2000)}
    client.mset({key: "v" for key in stable})
    client.mset({f"gone:{i}": "v" for i in range(300)})
    client.delete(*[f"gone:{i}" for i in range(300)])  # deleted before the scan: never seen
    stop = threading.Event()
    writer = threading.Thread(target=_churn, args=(proc.port, stop))
    writer.start()
    try:
        seen: set[Any] = set()
        cursor = 0
        while True:
            cursor, keys = client.scan(cursor, count=40)
            seen.update(keys)
            time.sleep(0.0005)
            if cursor == 0:
                break
    finally:
        stop.set()
        writer.join()
        client.close()
    assert stable <= seen
    assert not any(key.startswith(b"gone:") for key in seen)


def test_scan_table_evicts_and_restarts() -> None:
    table = ScanTable(max_snapshots=2)
    items = list(range(100))
    cursor_a, page = table.page(("t", 1), 0, 10, lambda: list(items))
    assert page == items[:10]
    table.page(("t", 2), 0, 10, lambda: list(items))
    table.page(("t", 3), 0, 10, lambda: list(items))  # evicts the first snapshot
    assert len(table) == 2
    cursor, page = table.page(("t", 1), cursor_a, 10, lambda: list(items))
    assert page == items[10:20] and cursor != 0
    cursor, page = table.page(("t", 4), cursor, 1000, lambda: list(items))  # wrong owner
    assert page == items[20:] and cursor == 0


# --- RANDOMKEY --------------------------------------------------------------------------------


def test_randomkey(r: redis.Redis) -> None:
    assert r.randomkey() is None
    r.mset({"a": "1", "b": "2"})
    assert {r.randomkey() for _ in range(50)} == {b"a", b"b"}


def test_randomkey_skips_expired(r: redis.Redis) -> None:
    r.set("dead", "1", px=1)
    r.set("live", "1")
    time.sleep(0.01)
    assert all(r.randomkey() == b"live" for _ in range(20))


# --- RENAME / RENAMENX / MOVE / COPY -----------------------------------------------------------


def test_rename_carries_value_and_ttl(r: redis.Redis) -> None:
    r.set("a", "1", ex=100)
    r.zadd("b", {"m": 1})
    assert r.rename("a", "b") is True
    assert r.get("b") == b"1"
    assert 98 <= r.ttl("b") <= 100
    assert r.exists("a") == 0


def test_rename_errors_and_same_key_match_redis(pair: Pair) -> None:
    pair.same("RENAME", "nope", "x")
    pair.same("RENAMENX", "nope", "x")
    pair.both("SET", "a", "1")
    pair.same("RENAME", "a", "a")
    pair.same("RENAMENX", "a", "a")
    pair.both("SET", "b", "2")
    pair.same("RENAMENX", "a", "b")
    pair.same("RENAMENX", "a", "c")
    pair.same("MGET", "a", "b", "c")


def test_move(r: redis.Redis, server: ServerProcess) -> None:
    r.set("k", "v", ex=100)
    assert r.move("k", 1) is True
    assert r.exists("k") == 0
    other = server.client(db=1)
    assert other.get("k") == b"v"
    assert 98 <= other.ttl("k") <= 100
    r.set("k", "again")
    assert r.move("k", 1) is False
    other.close()


def test_move_errors_match_redis(pair: Pair) -> None:
    pair.both("SET", "k", "v")
    for db in ("abc", "99", "-1", "0", "2147483648", "1.5"):
        pair.same("MOVE", "k", db)
    pair.same("MOVE", "nope", "1")


def test_copy(r: redis.Redis, server: ServerProcess) -> None:
    r.set("a", "1", ex=100)
    assert r.copy("a", "b") is True
    assert r.get("b") == b"1" and 98 <= r.ttl("b") <= 100
    assert r.copy("a", "b") is False
    r.set("a", "2")
    assert r.copy("a", "b", replace=True) is True
    assert r.get("b") == b"2" and r.ttl("b") == -1
    assert r.copy("a", "a", destination_db="2") is True
    other = server.client(db=2)
    assert other.get("a") == b"2"
    other.close()


def test_copy_is_deep(r: redis.Redis) -> None:
    r.zadd("z", {"m": 1})
    r.copy("z", "z2")
    r.zadd("z2", {"n": 2})
    assert r.zcard("z") == 1 and r.zcard("z2") == 2


def test_copy_errors_match_redis(pair: Pair) -> None:
    pair.both("SET", "a", "1")
    for args in (
        ("a", "a"),
        ("a", "b", "DB", "x"),
        ("a", "b", "DB", "99"),
        ("a", "b", "DB"),
        ("a", "b", "DB", "-2147483649"),
        ("a", "b", "FOO"),
        ("a", "a", "DB", "0"),
        ("nope", "b"),
        ("a", "b", "replace"),
    ):
        pair.same("COPY", *args)


# --- OBJECT -----------------------------------------------------------------------------------


def test_object_encoding_strings_match_redis(pair: Pair) -> None:
    values = [
        "123",
        "-1",
        "0",
        "01",
        "9223372036854775807",
        "9223372036854775808",
        "12345678901234567890",
        "1.5",
        "abc",
        "x" * 44,
        "x" * 45,
        "",
        " 1",
    ]
    for i, value in enumerate(values):
        pair.both("SET", f"k{i}", value)
        pair.same("OBJECT", "ENCODING", f"k{i}")
        pair.same("OBJECT", "REFCOUNT", f"k{i}")
    pair.both("SET", "ap", "12")
    pair.both("APPEND", "ap", "3")
    pair.same("OBJECT", "ENCODING", "ap")
    pair.both("SETRANGE", "sr", "0", "5")
    pair.same("OBJECT", "ENCODING", "sr")
    pair.both("INCR", "n")
    pair.same("OBJECT", "ENCODING", "n")
    pair.both("APPEND", "newap", "42")
    pair.same("OBJECT", "ENCODING", "newap")
    pair.same("OBJECT", "ENCODING", "missing")


def test_object_encoding_zset_matches_redis(pair: Pair) -> None:
    pair.both("ZADD", "small", "1", "a")
    pair.both("ZADD", "long", "1", "x" * 65)
    for i in range(130):
        pair.both("ZADD", "big", str(i), f"m{i}")
    for key in ("small", "long", "big"):
        pair.same("OBJECT", "ENCODING", key)


def test_object_help_freq_and_errors_match_redis(pair: Pair) -> None:
    pair.both("SET", "k", "v")
    pair.same("OBJECT", "HELP")
    pair.same("OBJECT", "FREQ", "k")
    pair.same("OBJECT", "FREQ", "missing")
    pair.same("OBJECT", "NOSUCH", "k")
    pair.same("OBJECT", "ENCODING", "k", "extra")
    pair.same("OBJECT", "IDLETIME", "missing")


def test_object_idletime(r: redis.Redis) -> None:
    r.set("k", "v")
    assert r.object("idletime", "k") == 0
    time.sleep(1.3)
    assert r.object("idletime", "k") >= 1
    r.get("k")
    assert r.object("idletime", "k") == 0


# --- key specs, notifications, propagation ---------------------------------------------------

_MINE = [
    "del",
    "unlink",
    "exists",
    "type",
    "keys",
    "scan",
    "randomkey",
    "rename",
    "renamenx",
    "copy",
    "move",
    "touch",
    "expire",
    "pexpire",
    "expireat",
    "pexpireat",
    "ttl",
    "pttl",
    "expiretime",
    "pexpiretime",
    "persist",
    "get",
    "set",
    "setnx",
    "setex",
    "psetex",
    "getset",
    "getdel",
    "getex",
    "mget",
    "mset",
    "msetnx",
    "incr",
    "decr",
    "incrby",
    "decrby",
    "incrbyfloat",
    "append",
    "strlen",
    "getrange",
    "substr",
    "setrange",
    "lcs",
]


def test_command_specs_match_redis(real_redis: ServerProcess) -> None:
    conn = RawConnection(real_redis.port)
    try:
        for name in _MINE:
            info = conn.command("COMMAND", "INFO", name)
            assert isinstance(info, list)
            _name, arity, flags, first, last, step = info[0][:6]
            spec = COMMANDS[name.encode()]
            assert spec.arity == arity, name
            assert set(public_flags(spec)) == {f.decode() for f in flags}, name
            assert (spec.first_key, spec.last_key, spec.step) == (first, last, step), name
        info = conn.command("COMMAND", "INFO", "object")
        assert isinstance(info, list)
        for sub in info[0][9]:
            spec = COMMANDS[b"object"].subcommands[sub[0].decode().split("|")[1]]
            assert spec.arity == sub[1]
            assert (spec.first_key, spec.last_key, spec.step) == tuple(sub[3:6])
    finally:
        conn.close()


@pytest.fixture
def local() -> Iterator[tuple[Server, Client]]:
    """An in-process server (real objects, no sockets) to observe hooks directly."""
    server = Server(Config())
    yield server, Client(server)


def run(server: Server, client: Client, *args: str) -> Any:
    return server.dispatch(client, [a.encode() for a in args])


def test_keyspace_notifications(local: tuple[Server, Client]) -> None:
    server, client = local
    events: list[tuple[int, str, bytes, str]] = []
    server.keyspace.notify_hook = lambda db, event, key, cls: events.append(
        (db.id, event, key, cls)
    )
    for args in (
        ("SET", "a", "1"),
        ("SET", "a", "2", "EX", "100"),
        ("INCR", "n"),
        ("APPEND", "a", "x"),
        ("RENAME", "a", "b"),
        ("EXPIRE", "b", "-1"),
        ("GET", "nope"),
        ("MOVE", "n", "1"),
        ("PERSIST", "n"),
    ):
        run(server, client, *args)
    assert events == [
        (0, "new", b"a", "n"),
        (0, "set", b"a", "$"),
        (0, "set", b"a", "$"),
        (0, "expire", b"a", "g"),
        (0, "new", b"n", "n"),
        (0, "incrby", b"n", "$"),
        (0, "append", b"a", "$"),
        (0, "new", b"b", "n"),
        (0, "rename_from", b"a", "g"),
        (0, "rename_to", b"b", "g"),
        (0, "del", b"b", "g"),
        (0, "keymiss", b"nope", "m"),
        (1, "new", b"n", "n"),
        (0, "move_from", b"n", "g"),
        (1, "move_to", b"n", "g"),
    ]


def test_propagation_rewrites_relative_to_absolute(local: tuple[Server, Client]) -> None:
    server, client = local
    sent: list[list[bytes]] = []
    server.propagators.append(lambda db, argv: sent.append(list(argv)))
    before = int(time.time() * 1000)
    run(server, client, "SET", "a", "1", "EX", "100")
    run(server, client, "EXPIRE", "a", "50")
    run(server, client, "SET", "b", "1", "GET")
    run(server, client, "INCRBYFLOAT", "f", "1.5")
    run(server, client, "GETDEL", "b")
    run(server, client, "PEXPIRE", "a", "-1")
    run(server, client, "SETEX", "c", "10", "v")
    assert sent[0][:4] == [b"SET", b"a", b"1", b"PXAT"]
    assert before + 100000 <= int(sent[0][4]) <= before + 102000
    assert sent[1][0] == b"PEXPIREAT" and before + 50000 <= int(sent[1][2]) <= before + 52000
    assert sent[2] == [b"SET", b"b", b"1"]
    assert sent[3] == [b"SET", b"f", b"1.5", b"KEEPTTL"]
    assert sent[4] == [b"DEL", b"b"]
    assert sent[5] == [b"DEL", b"a"]
    assert sent[6][:4] == [b"SET", b"c", b"v", b"PXAT"]


def test_keyspace_hit_miss_counters(local: tuple[Server, Client]) -> None:
    server, client = local
    run(server, client, "SET", "a", "1")
    run(server, client, "GET", "a")
    run(server, client, "GET", "nope")
    run(server, client, "MGET", "a", "nope")
    assert (server.keyspace.stats_hits, server.keyspace.stats_misses) == (2, 2)


def test_object_freq_and_idletime_under_lfu_match_redis(
    make_server: Any, real_redis: ServerProcess
) -> None:
    ours = make_server("--maxmemory-policy", "allkeys-lfu")
    real = ServerProcess(["--maxmemory-policy", "allkeys-lfu"], real_redis=True).start()
    try:
        pair = Pair(ours, real)
        pair.both("SET", "k", "v")
        pair.same("OBJECT", "FREQ", "k")
        pair.same("OBJECT", "IDLETIME", "k")
        pair.close()
    finally:
        real.cleanup()


def test_scan_and_type_reply_shapes(rp: redis.Redis) -> None:
    rp.mset({f"k{i}": i for i in range(30)})
    cursor, keys = rp.scan(0, count=10)
    assert cursor != 0 and len(keys) == 10
    assert len(full_scan(rp, count=7)) == 30
    assert rp.type("k1") in (b"string", "string")
