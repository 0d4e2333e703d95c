"""COMMAND introspection: COMMAND, COUNT, INFO, DOCS, GETKEYS, GETKEYSANDFLAGS, LIST,
read from the command table (never from a hand-written list), compared with Redis 7.0."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis

from pyredisai.commands import COMMANDS
from pyredisai.commands.registry import CommandSpec
from pyredisai.commands.server import (
    acl_categories,
    command_docs,
    command_flags,
    command_info,
    key_specs,
)

from ..helpers import RawConnection, ServerProcess
from .wire import WirePair

SCRIPT = [
    "COMMAND INFO get",
    "COMMAND INFO GET",
    "COMMAND INFO ping echo",
    "COMMAND INFO config|get",
    "COMMAND INFO CONFIG|GET",
    "COMMAND INFO client|kill client|list",
    "COMMAND INFO nosuch",
    "COMMAND INFO get nosuch",
    "COMMAND INFO config|nosuch",
    "COMMAND INFO a|b|c",
    "COMMAND INFO dbsize flushdb time monitor",
    "COMMAND DOCS nosuch",
    "COMMAND GETKEYS",
    "COMMAND GETKEYS get",
    "COMMAND GETKEYS get a",
    "COMMAND GETKEYS GET a",
    "COMMAND GETKEYS set a",
    "COMMAND GETKEYS foo bar",
    "COMMAND GETKEYS ping x",
    "COMMAND GETKEYS client list",
    "COMMAND GETKEYS config foo",
    "COMMAND GETKEYS mset a b c d",
    "COMMAND GETKEYS mset a b c",
    "COMMAND GETKEYSANDFLAGS get a",
    "COMMAND GETKEYSANDFLAGS foo a",
    "COMMAND LIST foo",
    "COMMAND LIST FILTERBY",
    "COMMAND LIST FILTERBY foo x",
    "COMMAND LIST FILTERBY aclcat nosuchcat",
    "COMMAND LIST FILTERBY module nosuch",
    "COMMAND LIST FILTERBY pattern nosuch*",
    "COMMAND LIST FILTERBY pattern client|l*",
    "COMMAND foo",
    "COMMAND COUNT x",
    "COMMAND HELP",
]


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def wire(
    server: ServerProcess, real_redis: ServerProcess, request: pytest.FixtureRequest
) -> Iterator[WirePair]:
    pair = WirePair(server, real_redis, request.param)
    yield pair
    pair.close()


def test_command_replies_match_redis(wire: WirePair) -> None:
    assert wire.run(SCRIPT) == []


MINE = [
    "ping",
    "echo",
    "quit",
    "reset",
    "select",
    "swapdb",
    "auth",
    "hello",
    "client",
    "config",
    "info",
    "dbsize",
    "flushdb",
    "flushall",
    "time",
    "shutdown",
    "slowlog",
    "latency",
    "monitor",
    "debug",
    "command",
    "module",
]


def _entries(client: redis.Redis, names: list[str]) -> dict[str, Any]:
    conn = client.connection_pool.get_connection()  # type: ignore[no-untyped-call]
    try:
        conn.send_command("COMMAND", "INFO", *names)
        reply = conn.read_response()
    finally:
        client.connection_pool.release(conn)

    def norm(entry: Any) -> dict[str, Any]:
        return {
            "name": entry[0],
            "arity": entry[1],
            "flags": sorted(entry[2]),
            "keys": entry[3:6],
            "acl": sorted(entry[6]),
            "tips": sorted(entry[7]),
            "subcommands": {s[0]: norm(s) for s in entry[9]},
        }

    return {e[0].decode(): norm(e) for e in reply if e is not None}


def test_connection_and_server_specs_match_redis(server: ServerProcess, rr: redis.Redis) -> None:
    ours_client = server.client(protocol=2)
    try:
        ours = _entries(ours_client, MINE)
        real = _entries(rr, MINE)
    finally:
        ours_client.close()
    for name in MINE:
        mine, theirs = ours[name], real[name]
        subs_ours, subs_real = mine.pop("subcommands"), theirs.pop("subcommands")
        assert mine == theirs, name
        for sub in set(subs_ours) & set(subs_real):
            assert subs_ours[sub] == subs_real[sub], sub
        # every subcommand of Redis 7.0 that we serve is there; extra: 7.2's SETINFO/NO-TOUCH
        assert set(subs_ours) - set(subs_real) <= {b"client|setinfo", b"client|no-touch"}


# --- redis-py ------------------------------------------------------------------------------


def test_command_count_and_list_follow_the_registry(rp: redis.Redis) -> None:
    assert rp.command_count() == len(COMMANDS)
    names = rp.command_list()
    names = [n.decode() if isinstance(n, bytes) else n for n in names]
    expected = [spec.name for spec in COMMANDS.values()]
    expected += [sub.name for spec in COMMANDS.values() for sub in spec.subcommands.values()]
    assert sorted(names) == sorted(expected)


def test_command_list_filters(rp: redis.Redis) -> None:
    def names(**kw: str) -> set[str]:
        return {n.decode() if isinstance(n, bytes) else n for n in rp.command_list(**kw)}

    module = names(module="ai")
    assert module and all(n.startswith("ai.") for n in module)
    assert "ai.tensorset" in module or "ai.info" in module
    connection = names(category="connection")
    assert {"ping", "client|list", "hello", "auth", "command|info"} <= connection
    assert "get" not in connection
    assert {"client", "client|list", "cluster"} & names(pattern="CL*") >= {"client", "client|list"}


def test_command_parsed_by_redis_py(rp: redis.Redis) -> None:
    commands = rp.command()
    get = commands["get"]
    assert get["arity"] == 2 and get["first_key_pos"] == 1 and get["step_count"] == 1
    assert "readonly" in [f.decode() if isinstance(f, bytes) else f for f in get["flags"]]
    keys = rp.command_getkeys("MSET", "a", "1", "b", "2")
    assert [k.encode() if isinstance(k, str) else k for k in keys] == [b"a", b"b"]
    conn = rp.connection_pool.get_connection()  # type: ignore[no-untyped-call]
    try:  # COMMAND DOCS is not wrapped by redis-py: read it unparsed
        conn.send_command("COMMAND", "DOCS", "get", "client")
        docs = conn.read_response()
    finally:
        rp.connection_pool.release(conn)
    if isinstance(docs, list):  # RESP2: flat map
        docs = dict(zip(docs[::2], docs[1::2], strict=True))
    assert set(docs) == {b"get", b"client"}


def test_module_commands_are_listed_as_module(server: ServerProcess) -> None:
    conn = RawConnection(server.port)
    try:
        module_names = conn.command("COMMAND", "LIST", "FILTERBY", "MODULE", "ai")
        assert isinstance(module_names, list) and module_names
        entry = conn.command("COMMAND", "INFO", module_names[0])[0]  # type: ignore[index]
        assert b"module" in entry[2]
        assert entry[1] == COMMANDS[module_names[0]].arity
        docs = conn.command("COMMAND", "DOCS", module_names[0])
        assert isinstance(docs, list)
        fields = dict(zip(docs[1][::2], docs[1][1::2], strict=True))
        assert fields[b"group"] == b"module" and fields[b"module"] == b"ai"
    finally:
        conn.close()


def test_command_info_shape_resp3(server: ServerProcess) -> None:
    conn = RawConnection(server.port)
    try:
        conn.command("HELLO", "3")
        (entry,) = conn.command("COMMAND", "INFO", "client")  # type: ignore[misc]
        assert len(entry) == 10
        subs = entry[9]
        assert {s[0] for s in subs} >= {b"client|list", b"client|kill", b"client|id"}
        docs = conn.command("COMMAND", "DOCS", "client")
        assert isinstance(docs, dict) and b"subcommands" in docs[b"client"]
    finally:
        conn.close()


async def test_asyncio_command(server: ServerProcess) -> None:
    client = aioredis.Redis(host="127.0.0.1", port=server.port, protocol=3)
    try:
        assert await client.command_count() == len(COMMANDS)
        assert await client.command_getkeys("GET", "k") in ([b"k"], ["k"])
        with pytest.raises(redis.ResponseError, match="Invalid command specified"):
            await client.command_getkeys("NOSUCH", "k")
    finally:
        await client.aclose()


# --- generic over any registered spec -------------------------------------------------------


def _spec(**kw: Any) -> CommandSpec:
    base: dict[str, Any] = dict(
        name="x.cmd",
        arity=-2,
        flags=frozenset(),
        first_key=1,
        last_key=1,
        step=1,
        handler=lambda c, a: None,
        group="generic",
        summary="s",
        since="1.0.0",
    )
    base.update(kw)
    return CommandSpec(**base)


def test_movable_keys_and_module_flags_for_any_spec() -> None:
    spec = _spec(flags=frozenset({"write", "denyoom", "module"}), keys_fn=lambda argv: [1])
    assert command_flags(spec) == ["write", "denyoom", "module", "movablekeys"]
    assert acl_categories(spec) == ["@write", "@slow"]
    docs = command_docs(spec)
    assert docs["group"] == "module" and docs["module"] == "x" and "since" not in docs


def test_explicit_categories_and_tips_from_flag_tokens() -> None:
    spec = _spec(flags=frozenset({"readonly", "fast", "@keyspace", "tip:nondeterministic_output"}))
    info = command_info(spec)
    assert list(info[6]) == ["@keyspace", "@read", "@fast"]
    assert list(info[7]) == ["nondeterministic_output"]


def test_key_specs_from_first_last_step() -> None:
    spec = _spec(flags=frozenset({"write"}), first_key=1, last_key=-1, step=2)
    (ks,) = key_specs(spec)
    assert ks["begin_search"] == {"type": "index", "spec": {"index": 1}}
    assert ks["find_keys"]["spec"] == {"lastkey": -1, "keystep": 2, "limit": 0}
    assert key_specs(_spec(first_key=0, last_key=0, step=0)) == []
