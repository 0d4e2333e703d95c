"""Server commands: CONFIG, DBSIZE, FLUSHDB/FLUSHALL, TIME, SHUTDOWN, SLOWLOG, LATENCY,
MONITOR, DEBUG and MODULE, with redis-py (sync and asyncio, RESP2 and RESP3), raw sockets
and byte-exact side-by-side scripts against a real redis-server 7.0."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis

from ..helpers import RawConnection, ServerProcess, free_port, have_redis_server
from .wire import WirePair

SCRIPT = [
    "CONFIG",
    "CONFIG FOO",
    "CONFIG GET",
    "CONFIG GET nosuch",
    "~CONFIG GET maxclients timeout",
    "CONFIG GET MAXCLIENTS",
    "~CONFIG GET slowlog*",
    "~CONFIG GET *max-*-entries*",
    "CONFIG GET lua-time-limit",
    "CONFIG GET slave-read-only",
    "CONFIG SET maxclients x",
    "CONFIG SET hz x",
    "CONFIG SET hz 1.5",
    "CONFIG SET hz +5",
    "CONFIG SET timeout -1",
    "CONFIG SET loglevel foo",
    "CONFIG SET save 'a b'",
    "CONFIG SET save '60'",
    "CONFIG SET save '0 1'",
    "CONFIG SET appendonly maybe",
    "CONFIG SET maxmemory 1x",
    "CONFIG SET maxmemory -1",
    "CONFIG SET timeout 1 timeout 2",
    "CONFIG SET timeout 1 foo",
    "CONFIG SET timeout",
    "CONFIG SET timeout 1 hz",
    "CONFIG SET databases 3",
    "CONFIG SET daemonize yes",
    "CONFIG SET unixsocket /tmp/x",
    "CONFIG SET foo bar",
    "CONFIG SET foo bar timeout x",
    "CONFIG SET timeout x foo bar",
    "CONFIG SET databases 3 foo bar",
    "CONFIG SET maxmemory-policy foo",
    "CONFIG SET maxmemory 1mb",
    "CONFIG GET maxmemory",
    "CONFIG SET maxmemory 2GB slowlog-max-len 5",
    "CONFIG GET maxmemory",
    "CONFIG GET slowlog-max-len",
    "CONFIG SET maxmemory 0 slowlog-max-len 128",
    "CONFIG SET save '60 1 300 10'",
    "CONFIG GET save",
    "CONFIG SET save ''",
    "CONFIG GET save",
    "CONFIG SET slave-read-only no",
    "CONFIG GET replica-read-only",
    "CONFIG SET slave-read-only yes",
    "CONFIG SET maxmemory-policy ALLKEYS-LRU",
    "CONFIG GET maxmemory-policy",
    "CONFIG SET maxmemory-policy noeviction",
    "CONFIG REWRITE",
    "CONFIG RESETSTAT x",
    "DBSIZE x",
    "SET a 1",
    "DBSIZE",
    "FLUSHDB foo",
    "FLUSHALL x y",
    "FLUSHDB ASYNC SYNC",
    "FLUSHDB ASYNC",
    "FLUSHALL SYNC",
    "FLUSHALL async",
    "DBSIZE",
    "TIME x",
    "SLOWLOG",
    "SLOWLOG foo",
    "SLOWLOG GET x",
    "SLOWLOG GET -2",
    "SLOWLOG GET 1 2",
    "SLOWLOG RESET",
    "SLOWLOG GET -1",
    "SLOWLOG LEN",
    "SLOWLOG LEN x",
    "SLOWLOG HELP",
    "LATENCY",
    "LATENCY foo",
    "LATENCY LATEST",
    "LATENCY HISTORY foo",
    "LATENCY HISTORY",
    "LATENCY RESET",
    "LATENCY RESET a b",
    "LATENCY GRAPH command",
    "LATENCY DOCTOR",
    "LATENCY HISTOGRAM nosuch",
    "LATENCY HELP",
    "MONITOR foo",
    "SHUTDOWN foo",
    "SHUTDOWN NOSAVE SAVE",
    "SHUTDOWN ABORT",
    "SHUTDOWN NOSAVE ABORT",
    "SHUTDOWN ABORT NOW",
    "DEBUG",
    "MULTI",
    "SHUTDOWN",
    "EXEC",
    "MULTI",
    "MONITOR",
    "EXEC",
    "CONFIG HELP",
    "MODULE",
    "MODULE HELP",
    "MODULE LOAD /nonexistent.so",
    "MODULE UNLOAD ai",
]


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def wire(
    server: ServerProcess, real_redis: ServerProcess, request: pytest.FixtureRequest
) -> Iterator[WirePair]:
    pair = WirePair(server, real_redis, request.param)
    pair.flush()
    yield pair
    pair.close()


def test_server_commands_match_redis(wire: WirePair) -> None:
    assert wire.run(SCRIPT) == []


def test_config_get_star_covers_redis(r: redis.Redis, rr: redis.Redis) -> None:
    ours = r.config_get("*")
    real = rr.config_get("*")
    assert set(real) <= set(ours), set(real) - set(ours)
    differs = {
        name
        for name in real
        if real[name] != ours[name]
        and name
        not in (
            "port",
            "bind",
            "dir",
            "save",
            "enable-debug-command",
            "enable-protected-configs",
            "appendonly",
            "tls-auth-clients",
        )
    }
    assert differs == set(), {n: (ours[n], real[n]) for n in differs}


# --- CONFIG ---------------------------------------------------------------------------------


def test_config_get_set_both_protocols(rp: redis.Redis) -> None:
    assert rp.config_get("maxclients") == {"maxclients": "10000"} or rp.config_get(
        "maxclients"
    ) == {b"maxclients": b"10000"}
    assert rp.config_set("slowlog-max-len", 7) is True
    got = rp.config_get("slowlog-max-len", "timeout")
    assert {
        k if isinstance(k, str) else k.decode(): v if isinstance(v, str) else v.decode()
        for k, v in got.items()
    } == {
        "slowlog-max-len": "7",
        "timeout": "0",
    }
    rp.config_set("slowlog-max-len", 128)


def test_config_set_is_atomic(r: redis.Redis) -> None:
    with pytest.raises(redis.ResponseError, match="possibly related to argument 'hz'"):
        r.execute_command("CONFIG", "SET", "slowlog-max-len", "9", "hz", "x")
    assert r.config_get("slowlog-max-len") == {"slowlog-max-len": "128"}


def test_config_set_port_rebinds(make_server: object) -> None:
    proc = make_server()  # type: ignore[operator]
    client = proc.client()
    new_port = free_port()
    try:
        assert client.config_set("port", new_port) is True
        moved = redis.Redis(port=new_port)
        assert moved.ping() is True
        assert moved.config_get("port") == {"port": str(new_port)}
        assert int(moved.info("server")["tcp_port"]) == new_port
        moved.close()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", proc.port), timeout=1).close()
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        try:
            again = redis.Redis(port=new_port)
            with pytest.raises(redis.ResponseError, match="Unable to listen on this port"):
                again.config_set("port", busy.getsockname()[1])
            assert again.ping() is True
            again.close()
        finally:
            busy.close()
    finally:
        client.close()


def test_protected_configs_refused_like_redis(make_server: object, rr: redis.Redis) -> None:
    proc = make_server("--enable-protected-configs", "no")  # type: ignore[operator]
    client = proc.client()
    try:
        errors = []
        for c in (client, rr):
            with pytest.raises(redis.ResponseError) as info:
                c.config_set("dir", "/tmp")
            errors.append(str(info.value))
        assert errors[0] == errors[1]
    finally:
        client.close()


def test_config_set_dir_allowed_locally_by_default(r: redis.Redis) -> None:
    current = r.config_get("dir")["dir"]
    assert r.config_set("dir", current) is True


def test_config_resetstat(r: redis.Redis) -> None:
    r.set("a", 1)
    r.get("a")
    with pytest.raises(redis.ResponseError):
        r.execute_command("NOSUCH")
    assert r.config_resetstat() is True
    stats = r.info("stats")
    assert stats["total_error_replies"] == 0
    assert stats["total_commands_processed"] <= 1
    assert "cmdstat_get" not in r.info("commandstats")
    assert r.info("errorstats") == {}


def _start_with_config(path: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pyredisai", str(path), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=path.parent,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            assert proc.poll() is None, "server exited"
            time.sleep(0.02)
    proc.kill()
    raise AssertionError("server did not start")


def test_config_rewrite_keeps_comments_and_appends(tmp_path: Path) -> None:
    conf = tmp_path / "redis.conf"
    conf.write_text(
        "# my settings\n"
        "maxclients 100\n"
        "save 900 1\n"
        "save 300 10\n"
        'requirepass ""\n'
        "tcp-keepalive 60\n"
        f"dir {tmp_path}\n"
    )
    port = free_port()
    proc = _start_with_config(conf, port)
    try:
        client = redis.Redis(port=port)
        assert client.config_get("save") == {"save": "900 1 300 10"}
        client.config_set("maxclients", 200)
        client.config_set("slowlog-max-len", 5)
        client.config_set("save", "60 5")
        assert client.config_rewrite() == b"OK"
        text = conf.read_text()
        lines = text.splitlines()
        assert lines[0] == "# my settings"
        assert "maxclients 200" in lines and "maxclients 100" not in lines
        assert lines.count("save 60 5") == 1 and "save 900 1" not in lines
        assert "tcp-keepalive 60" in lines
        assert "# Generated by CONFIG REWRITE" in lines
        assert "slowlog-max-len 5" in lines[lines.index("# Generated by CONFIG REWRITE") :]
        client.close()
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
    # the rewritten file starts a server with the same settings
    proc = _start_with_config(conf, port)
    try:
        client = redis.Redis(port=port)
        assert client.config_get("maxclients") == {"maxclients": "200"}
        assert client.config_get("save") == {"save": "60 5"}
        assert client.config_get("slowlog-max-len") == {"slowlog-max-len": "5"}
        client.close()
    finally:
        proc.terminate()
        proc.wait(10)


def test_config_rewrite_without_file_matches_redis(r: redis.Redis, rr: redis.Redis) -> None:
    errors = []
    for c in (r, rr):
        with pytest.raises(redis.ResponseError) as info:
            c.config_rewrite()
        errors.append(str(info.value))
    assert errors[0] == errors[1] == "The server is running without a config file"


# --- keyspace-wide commands -----------------------------------------------------------------


def test_dbsize_flushdb_flushall(rp: redis.Redis) -> None:
    rp.set("a", 1)
    rp.set("b", 2)
    assert rp.dbsize() == 2
    rp.execute_command("SELECT", 3)
    rp.set("c", 3)
    assert rp.flushdb() is True
    assert rp.dbsize() == 0
    rp.execute_command("SELECT", 0)
    assert rp.dbsize() == 2
    rp.execute_command("SELECT", 3)
    rp.set("c", 3)
    assert rp.flushall(asynchronous=True) is True
    assert rp.dbsize() == 0
    rp.execute_command("SELECT", 0)
    assert rp.dbsize() == 0


def test_flushall_invalidates_watch(server: ServerProcess) -> None:
    a, b = server.client(), server.client()
    try:
        a.set("w", 1)
        pipe = a.pipeline()
        pipe.watch("w")
        b.flushall()
        pipe.multi()
        pipe.set("w", 2)
        with pytest.raises(redis.WatchError):
            pipe.execute()
    finally:
        a.close()
        b.close()


def test_time(rp: redis.Redis) -> None:
    seconds, micros = rp.time()
    assert abs(seconds - time.time()) < 5 and 0 <= micros < 1_000_000


# --- SLOWLOG --------------------------------------------------------------------------------


def test_slowlog_entries_like_redis(r: redis.Redis, rr: redis.Redis) -> None:
    entries = []
    for c in (r, rr):
        c.client_setname("slowpoke")
        c.config_set("slowlog-log-slower-than", 0)
        c.slowlog_reset()
        c.set("k", "x" * 200)
        c.execute_command("DEL", *[str(i) for i in range(40)])
        c.config_set("slowlog-log-slower-than", 10000)
        raw = c.execute_command("SLOWLOG", "GET", "-1")
        entries.append([(e[3], e[5]) for e in raw])
        assert all(
            len(e) == 6 and isinstance(e[0], int) and e[4].startswith(b"127.0.0.1:") for e in raw
        )
        assert c.slowlog_len() == len(raw)
    assert entries[0] == entries[1]
    by_name = {args[0]: args for args, _ in entries[0]}
    assert by_name[b"DEL"][-1] == b"... (10 more arguments)" and len(by_name[b"DEL"]) == 32
    assert by_name[b"SET"][2].endswith(b"... (72 more bytes)")
    assert all(name == b"slowpoke" for _, name in entries[0])


def test_slowlog_get_count_and_reset(r: redis.Redis) -> None:
    r.config_set("slowlog-log-slower-than", 0)
    try:
        r.slowlog_reset()
        for i in range(15):
            r.echo(str(i))
        assert len(r.slowlog_get()) == 10
        assert len(r.slowlog_get(3)) == 3
        ids = [e["id"] for e in r.slowlog_get(-1)]
        assert ids == sorted(ids, reverse=True)
    finally:
        r.config_set("slowlog-log-slower-than", 10000)
        r.slowlog_reset()


def test_slowlog_max_len(r: redis.Redis) -> None:
    r.config_set("slowlog-log-slower-than", 0)
    r.config_set("slowlog-max-len", 3)
    try:
        for i in range(10):
            r.echo(str(i))
        assert r.slowlog_len() == 3
    finally:
        r.config_set("slowlog-log-slower-than", 10000)
        r.config_set("slowlog-max-len", 128)
        r.slowlog_reset()


def test_auth_is_redacted_in_slowlog(r: redis.Redis) -> None:
    r.config_set("slowlog-log-slower-than", 0)
    conn = RawConnection(int(r.connection_pool.connection_kwargs["port"]))
    try:
        r.slowlog_reset()
        conn.command("AUTH", "user", "topsecret")
        conn.command("HELLO", "2", "AUTH", "user", "topsecret")
        conn.command("CONFIG", "SET", "requirepass", "")
        entries = conn.command("SLOWLOG", "GET", "3")
        assert [e[3] for e in entries] == [  # type: ignore[union-attr, index]
            [b"CONFIG", b"SET", b"requirepass", b"(redacted)"],
            [b"HELLO", b"2", b"AUTH", b"(redacted)", b"(redacted)"],
            [b"AUTH", b"(redacted)", b"(redacted)"],
        ]
    finally:
        conn.close()
        r.config_set("slowlog-log-slower-than", 10000)
        r.slowlog_reset()


# --- LATENCY --------------------------------------------------------------------------------


def test_latency_monitor_records_slow_commands(r: redis.Redis) -> None:
    r.config_set("latency-monitor-threshold", 50)
    try:
        r.execute_command("LATENCY", "RESET")
        r.execute_command("DEBUG", "SLEEP", "0.1")
        latest = r.execute_command("LATENCY", "LATEST")
        assert [e[0] for e in latest] == [b"command"]
        event, ts, last, high = latest[0]
        assert abs(ts - time.time()) < 5 and last >= 90 and high >= last
        history = r.execute_command("LATENCY", "HISTORY", "command")
        assert len(history) == 1 and history[0][1] == last
        assert b"command" in r.execute_command("LATENCY", "GRAPH", "command")
        assert b"latency spikes" in r.execute_command("LATENCY", "DOCTOR")
        assert r.execute_command("LATENCY", "RESET", "command") == 1
        assert r.execute_command("LATENCY", "LATEST") == []
    finally:
        r.config_set("latency-monitor-threshold", 0)


def test_latency_histogram_counts_calls(rp: redis.Redis) -> None:
    rp.config_resetstat()
    rp.set("a", 1)
    rp.set("b", 1)
    hist = rp.execute_command("LATENCY", "HISTOGRAM", "set")
    if isinstance(hist, list):  # RESP2 flat map
        hist = dict(zip(hist[::2], hist[1::2], strict=True))
        entry = hist[b"set"]
        entry = dict(zip(entry[::2], entry[1::2], strict=True))
    else:
        entry = hist[b"set"]
    assert entry[b"calls"] == 2


# --- MONITOR --------------------------------------------------------------------------------

_MONITOR_LINE = re.compile(rb"^\+\d+\.\d{6} \[(\d+) ([^\]]+)\] (.*)$")


def _monitor_lines(port: int, commands: list[list[str]]) -> list[bytes]:
    monitor = RawConnection(port)
    other = RawConnection(port)
    try:
        assert monitor.command("MONITOR") == b"OK"
        for args in commands:
            other.command(*args)
        monitor.send(b"*2\r\n$4\r\nECHO\r\n$4\r\ndone\r\n")
        lines: list[bytes] = []
        while True:
            line = monitor.read_line()
            if line == b"$4" and monitor.read_line() == b"done":
                break
            lines.append(line)
        return lines
    finally:
        monitor.close()
        other.close()


def test_monitor_output_matches_redis(server: ServerProcess, real_redis: ServerProcess) -> None:
    commands = [
        ["SET", "a", 'x"y\n\x01'],
        ["GET", "a"],
        ["CONFIG", "GET", "port"],
        ["AUTH", "u", "p"],
        ["HELLO", "2", "AUTH", "u", "p"],
        ["GET"],
        ["NOSUCH"],
        ["SELECT", "2"],
        ["SET", "b", "1"],
    ]
    seen = []
    for port in (server.port, real_redis.port):
        lines = _monitor_lines(port, commands)
        parsed = []
        for line in lines:
            m = _MONITOR_LINE.match(line)
            assert m is not None, line
            parsed.append((m.group(1), m.group(3)))
        seen.append(parsed)
    assert seen[0] == seen[1]
    assert (b"0", b'"SET" "a" "x\\"y\\n\\x01"') in seen[0]
    assert (b"0", b'"AUTH" "(redacted)" "(redacted)"') in seen[0]


def test_monitor_stops_on_reset(server: ServerProcess) -> None:
    monitor = RawConnection(server.port)
    other = RawConnection(server.port)
    try:
        assert monitor.command("MONITOR") == b"OK"
        other.command("ECHO", "one")
        assert monitor.read_line().endswith(b'"ECHO" "one"')
        assert monitor.command("RESET") == b"RESET"
        other.command("ECHO", "two")
        assert monitor.command("PING") == b"PONG"  # nothing monitored in between
        info = other.command("CLIENT", "LIST")
        assert b"flags=O" not in info  # type: ignore[operator]
    finally:
        monitor.close()
        other.close()


def test_monitor_stops_on_quit(server: ServerProcess) -> None:
    monitor = RawConnection(server.port)
    other = server.client()
    try:
        assert monitor.command("MONITOR") == b"OK"
        assert "O" in [e for e in other.client_list() if e["cmd"] == "monitor"][0]["flags"]
        monitor.send(b"*1\r\n$4\r\nQUIT\r\n")
        while monitor.read_line() != b"+OK":
            pass
        deadline = time.monotonic() + 5
        while any(e["cmd"] in ("monitor", "quit") for e in other.client_list()):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert other.set("x", 1) is True
    finally:
        monitor.close()
        other.close()


# --- DEBUG and MODULE ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def debug_real() -> Iterator[ServerProcess]:
    if not have_redis_server():
        pytest.skip("redis-server is not installed")
    proc = ServerProcess(["--enable-debug-command", "yes"], real_redis=True).start()
    yield proc
    proc.cleanup()


DEBUG_SCRIPT = [
    "DEBUG foo",
    "DEBUG SLEEP",
    "DEBUG SLEEP 0 1",
    "DEBUG SLEEP 0",
    "DEBUG SLEEP x",
    "DEBUG OBJECT nokey",
    "DEBUG SET-ACTIVE-EXPIRE 1",
    "DEBUG POPULATE -1",
    "DEBUG POPULATE 5 p 3",
    "DBSIZE",
    "GET p:4",
    "DEBUG POPULATE 2",
    "GET key:1",
    "DEBUG PROTOCOL foo",
    "DEBUG PROTOCOL string",
    "DEBUG PROTOCOL integer",
    "DEBUG PROTOCOL double",
    "DEBUG PROTOCOL bignum",
    "DEBUG PROTOCOL null",
    "DEBUG PROTOCOL array",
    "DEBUG PROTOCOL set",
    "DEBUG PROTOCOL map",
    "DEBUG PROTOCOL attrib",
    "DEBUG PROTOCOL verbatim",
    "DEBUG PROTOCOL true",
    "DEBUG PROTOCOL false",
    "DEBUG ERROR 'MYERR something'",
    "DEBUG LOG hello",
]


@pytest.mark.parametrize("resp", [2, 3])
def test_debug_matches_redis(server: ServerProcess, debug_real: ServerProcess, resp: int) -> None:
    pair = WirePair(server, debug_real, resp)
    try:
        pair.flush()
        assert pair.run(DEBUG_SCRIPT) == []
    finally:
        pair.close()


def test_debug_refused_like_redis_when_disabled(make_server: object, rr: redis.Redis) -> None:
    proc = make_server("--enable-debug-command", "no")  # type: ignore[operator]
    client = proc.client()
    try:
        errors = []
        for c in (client, rr):
            with pytest.raises(redis.ResponseError) as info:
                c.execute_command("DEBUG", "SLEEP", "0")
            errors.append(str(info.value))
        assert errors[0] == errors[1]
    finally:
        client.close()


def test_debug_sleep_blocks_the_server(server: ServerProcess) -> None:
    sleeper = RawConnection(server.port)
    other = server.client()
    try:
        sleeper.send(b"*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.3\r\n")
        time.sleep(0.05)
        started = time.monotonic()
        assert other.ping() is True
        assert time.monotonic() - started >= 0.15
        assert sleeper.read_reply() == b"OK"
    finally:
        sleeper.close()
        other.close()


def test_debug_set_active_expire(r: redis.Redis) -> None:
    assert r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"OK"
    try:
        r.set("e", 1, px=10)
        time.sleep(0.4)
        assert r.dbsize() == 1  # expired but not reclaimed in the background
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        deadline = time.monotonic() + 5
        while r.dbsize():
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_debug_object_and_jmap(r: redis.Redis) -> None:
    r.set("n", 12345)
    r.set("s", "hello")
    assert b"encoding:int" in r.execute_command("DEBUG", "OBJECT", "n")
    text = r.execute_command("DEBUG", "OBJECT", "s")
    assert re.match(
        rb"Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:\d+ lru:\d+ lru_seconds_idle:\d+",
        text,
    )
    assert r.execute_command("DEBUG", "JMAP") == b"OK"
    help_lines = r.execute_command("DEBUG", "HELP")
    assert help_lines[0].startswith(b"DEBUG <subcommand>")


def test_module_list_shows_redisai(rp: redis.Redis) -> None:
    modules = rp.module_list()
    assert len(modules) == 1
    entry = modules[0]
    assert entry[b"name"] == b"ai" and entry[b"ver"] == 10207


# --- SHUTDOWN -------------------------------------------------------------------------------


def test_shutdown_nosave_exits_zero_and_stops_listening(make_server: object) -> None:
    proc = make_server()  # type: ignore[operator]
    conn = RawConnection(proc.port)
    started = time.monotonic()
    conn.send(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
    assert conn.closed_by_peer() and conn.buf == b""  # no reply, as in Redis
    assert proc.proc.wait(5) == 0
    assert time.monotonic() - started < 2
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", proc.port), timeout=1).close()
    assert "ready to exit" in proc.read_log()


def test_shutdown_save_writes_snapshot(make_server: object) -> None:
    proc = make_server()  # type: ignore[operator]
    client = proc.client()
    client.set("kept", "1")
    client.shutdown(save=True)  # redis-py swallows the closed connection
    assert proc.proc.wait(5) == 0
    assert os.path.exists(os.path.join(proc.dir, "dump.rdb"))


def test_sigterm_exits_zero(make_server: object) -> None:
    proc = make_server()  # type: ignore[operator]
    assert proc.stop(signal.SIGTERM) == 0
    assert "Received SIGTERM" in proc.read_log()


# --- asyncio redis-py -----------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 3])
async def test_asyncio_server_commands(server: ServerProcess, protocol: int) -> None:
    client = aioredis.Redis(host="127.0.0.1", port=server.port, protocol=protocol)
    try:
        await client.flushall()
        await client.set("a", 1)
        assert await client.dbsize() == 1
        cfg = await client.config_get("databases")
        assert cfg in ({"databases": "16"}, {b"databases": b"16"})
        seconds, _ = await client.time()
        assert abs(seconds - time.time()) < 5
        assert await client.slowlog_len() >= 0
        assert await client.flushdb() is True
        assert await client.dbsize() == 0
    finally:
        await client.aclose()
