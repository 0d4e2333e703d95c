"""INFO: sections, field names and formats side by side with Redis 7.0, module (ai_*)
sections as RedisAI prints them, redis-py's parser in both protocols, and the section
registry other parts use to contribute fields."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis

from pyredisai import info as info_mod

from ..helpers import RawConnection, ServerProcess


def _text(conn: RawConnection, *args: str) -> str:
    reply = conn.command("INFO", *args)
    assert isinstance(reply, bytes)
    return reply.decode()


def _sections(text: str) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for line in text.split("\r\n"):
        if line.startswith("# "):
            current = line[2:]
            out[current] = []
        elif line:
            name, _, value = line.partition(":")
            out[current].append((name, value))
    return out


@pytest.fixture
def conns(
    server: ServerProcess, real_redis: ServerProcess
) -> Iterator[tuple[RawConnection, RawConnection]]:
    ours, real = RawConnection(server.port), RawConnection(real_redis.port)
    for c in (ours, real):
        c.command("FLUSHALL")
    yield ours, real
    ours.close()
    real.close()


@pytest.mark.parametrize("arg", ["default", "all", "everything"])
def test_sections_and_field_names_match_redis(
    conns: tuple[RawConnection, RawConnection], arg: str
) -> None:
    ours, real = (_sections(_text(c, arg)) for c in conns)
    core = [s for s in ours if not s.startswith("ai_")]
    assert core == list(real)
    for name, fields in real.items():
        if name in ("Keyspace", "Commandstats", "Errorstats", "Latencystats", "Modules"):
            continue
        assert [f for f, _ in ours[name]] == [f for f, _ in fields], name


def test_plain_info_is_default(conns: tuple[RawConnection, RawConnection]) -> None:
    for c in conns:
        assert list(_sections(_text(c))) == list(_sections(_text(c, "default")))


def test_section_selection_like_redis(conns: tuple[RawConnection, RawConnection]) -> None:
    for args in (
        ("server", "clients"),
        ("CLIENTS", "server"),
        ("bogus",),
        ("default", "commandstats"),
        ("cpu", "cpu"),
        ("keyspace",),
    ):
        ours, real = (list(_sections(_text(c, *args))) for c in conns)
        assert ours == real, args
    assert _text(conns[0], "bogus") == "" == _text(conns[1], "bogus")


def test_keyspace_and_errorstats_lines_match_redis(
    conns: tuple[RawConnection, RawConnection],
) -> None:
    lines = []
    for c in conns:
        c.command("CONFIG", "RESETSTAT")
        c.command("SET", "a", "1")
        c.command("SET", "b", "1")
        c.command("EXPIRE", "b", "1000")
        c.command("SELECT", "3")
        c.command("SET", "c", "1")
        c.command("SELECT", "0")
        c.command("GET")
        c.command("NOSUCH")
        c.command("LPUSH", "a", "x")
        keyspace = _text(c, "keyspace")
        errors = _text(c, "errorstats")
        lines.append((re.sub(r"avg_ttl=\d+", "avg_ttl=N", keyspace), errors))
    assert lines[0] == lines[1]
    assert "db0:keys=2,expires=1" in lines[0][0] and "db3:keys=1,expires=0,avg_ttl=" in lines[0][0]
    assert "errorstat_ERR:count=2" in lines[0][1] and "errorstat_WRONGTYPE:count=1" in lines[0][1]


def test_commandstats_lines_match_redis(conns: tuple[RawConnection, RawConnection]) -> None:
    stats = []
    for c in conns:
        c.command("CONFIG", "RESETSTAT")
        c.command("SET", "k", "v")
        c.command("GET", "k")
        c.command("GET")  # rejected: arity
        c.command("INCR", "k")  # failed: not an integer
        text = _text(c, "commandstats")
        text = re.sub(r"usec=\d+,usec_per_call=[\d.]+", "usec=U", text)
        stats.append(sorted(text.split("\r\n")))
    assert stats[0] == stats[1]
    assert "cmdstat_get:calls=1,usec=U,rejected_calls=1,failed_calls=0" in stats[0]
    assert "cmdstat_incr:calls=1,usec=U,rejected_calls=0,failed_calls=1" in stats[0]
    assert "cmdstat_config|resetstat:calls=1,usec=U,rejected_calls=0,failed_calls=0" in stats[0]


def test_server_section_values(server: ServerProcess, r: redis.Redis) -> None:
    section = r.info("server")
    assert section["redis_version"] == "7.0.15" and section["redis_mode"] == "standalone"
    assert section["tcp_port"] == server.port
    assert section["process_id"] == server.proc.pid  # type: ignore[union-attr]
    assert re.fullmatch(r"[0-9a-f]{40}", section["run_id"])
    assert section["arch_bits"] == 64 and section["hz"] == 10


def test_cpu_and_memory_fields(r: redis.Redis) -> None:
    conn = r.connection_pool.get_connection()  # type: ignore[no-untyped-call]
    try:
        conn.send_command("INFO", "cpu")
        text = conn.read_response().decode()
    finally:
        r.connection_pool.release(conn)
    for name in (
        "used_cpu_sys",
        "used_cpu_user",
        "used_cpu_sys_main_thread",
        "used_cpu_user_main_thread",
    ):
        assert re.search(rf"^{name}:\d+\.\d{{6}}\r$", text, re.M), name
    before = float(r.info("cpu")["used_cpu_user"])
    for _ in range(300):
        r.info("everything")
    assert float(r.info("cpu")["used_cpu_user"]) > before
    memory = r.info("memory")
    assert memory["used_memory"] > 1_000_000 and memory["used_memory_peak"] >= memory["used_memory"]
    assert re.fullmatch(r"\d+(\.\d\d[KMGT])?B?", memory["used_memory_human"].rstrip("B") + "B")
    assert memory["maxmemory_policy"] == "noeviction"


def test_stats_and_clients_counters(server: ServerProcess, r: redis.Redis) -> None:
    before = r.info("stats")["total_connections_received"]
    extra = [server.client() for _ in range(3)]
    try:
        for c in extra:
            c.ping()
        assert r.info("stats")["total_connections_received"] >= before + 3
        assert r.info("clients")["connected_clients"] >= 4
    finally:
        for c in extra:
            c.close()
    for _ in range(200):
        r.ping()
    time.sleep(0.3)
    for _ in range(200):
        r.ping()
    stats = r.info("stats")
    assert stats["instantaneous_ops_per_sec"] > 0
    assert stats["total_net_input_bytes"] > 0 and stats["total_net_output_bytes"] > 0


# --- module sections ------------------------------------------------------------------------


def test_module_sections_where_redis_prints_them(raw: RawConnection) -> None:
    default = _text(raw)
    assert "ai_versions" not in default and "ai_versions" not in _text(raw, "all")
    modules = _text(raw, "modules")
    assert modules.startswith(
        "# Modules\r\nmodule:name=ai,ver=10207,api=1,filters=0,usedby=[],using=[],options=[handle-io-errors]\r\n"
    )
    parts = modules.split("#")  # how RedisAI's own tests read it
    assert [p.split("\r\n")[0].strip() for p in parts[2:7]] == [
        "ai_versions",
        "ai_git",
        "ai_load_time_configs",
        "ai_backends_info",
        "ai_cpu",
    ]
    assert list(_sections(_text(raw, "ai_versions"))) == ["ai_versions"]
    assert _sections(_text(raw, "ai"))  # the module name selects all its sections
    everything = _sections(_text(raw, "everything"))
    assert dict(everything["ai_versions"])["ai_RedisAI_version"] == "1.2.7"
    assert list(everything)[-5:] == [
        "ai_versions",
        "ai_git",
        "ai_load_time_configs",
        "ai_backends_info",
        "ai_cpu",
    ]


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_parses_info(server: ServerProcess, protocol: int) -> None:
    client = server.client(protocol=protocol)
    try:
        everything = client.info("everything")
        assert everything["redis_version"] == "7.0.15"
        assert everything["ai_RedisAI_version"] == "1.2.7"
        assert "used_cpu_user" in everything and "connected_clients" in everything
        client.set("k", 1)
        assert client.info("keyspace")["db0"]["keys"] >= 1
        assert isinstance(client.info("commandstats")["cmdstat_set"]["calls"], int)
    finally:
        client.close()


async def test_asyncio_info(server: ServerProcess) -> None:
    client = aioredis.Redis(host="127.0.0.1", port=server.port, protocol=3)
    try:
        section = await client.info("server")
        assert section["redis_version"] == "7.0.15"
        assert set(await client.info("persistence")) >= {
            "rdb_changes_since_last_save",
            "aof_enabled",
        }
    finally:
        await client.aclose()


# --- the registry -----------------------------------------------------------------------------


class _FakeServer:
    """Just enough of a Server for the providers registered below."""

    answer = 42


def test_registry_sections_and_extensions() -> None:
    def mine(server: Any) -> list[tuple[str, Any]]:
        return [("my_answer", server.answer), ("my_ratio", 0.5), ("my_name", "x")]

    def more(server: Any) -> list[tuple[str, Any]]:
        return [("my_name", "replaced"), ("my_extra", b"bytes")]

    def mod(server: Any) -> list[tuple[str, list[tuple[str, Any]]]]:
        return [("tst_one", [("tst_a", 1)]), ("tst_two", [("tst_b", 2)])]

    saved = dict(info_mod.MODULES)
    info_mod.MODULES.clear()  # only the test module: the fake server serves nothing else
    try:
        info_mod.register_section("mysection", mine, title="MySection", default=False)
        info_mod.extend_section("mysection", more)
        info_mod.register_module("tst", 1, mod)
        fake: Any = _FakeServer()
        assert info_mod.render(fake, [b"mysection"]) == (
            "# MySection\r\nmy_answer:42\r\nmy_ratio:0.50\r\nmy_name:replaced\r\nmy_extra:bytes\r\n"
        )
        assert info_mod.render(fake, [b"tst_two"]) == "# tst_two\r\ntst_b:2\r\n"
        assert (
            info_mod.render(fake, [b"tst"])
            == "# tst_one\r\ntst_a:1\r\n\r\n# tst_two\r\ntst_b:2\r\n"
        )
        assert info_mod.render(fake, [b"nosuch"]) == ""
    finally:
        info_mod.SECTIONS.pop("mysection", None)
        info_mod.MODULES.clear()
        info_mod.MODULES.update(saved)


def test_human_bytes_like_redis() -> None:
    assert info_mod.human_bytes(1000) == "1000B"
    assert info_mod.human_bytes(916240) == "894.77K"
    assert info_mod.human_bytes(12165120) == "11.60M"
    assert info_mod.human_bytes(25276063744) == "23.54G"
    assert info_mod.seconds_usec(1.5) == "1.500000"
