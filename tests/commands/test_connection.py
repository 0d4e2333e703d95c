"""Connection commands: PING, ECHO, QUIT, RESET, SELECT, SWAPDB, AUTH, HELLO and CLIENT,
through redis-py (sync and asyncio, RESP2 and RESP3), raw sockets, and byte-exact
side-by-side scripts against a real redis-server 7.0."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import redis
import redis.asyncio as aioredis

from ..helpers import RawConnection, ServerProcess, have_redis_server
from .wire import WirePair

# --- side by side, byte for byte ----------------------------------------------------------

ERROR_SCRIPT = [
    "PING a b",
    "PING hello",
    "ECHO",
    "ECHO x",
    "SELECT x",
    "SELECT 99",
    "SELECT -1",
    "SELECT 99999999999",
    "SELECT 1",
    "SELECT 0",
    "SWAPDB x 1",
    "SWAPDB 0 x",
    "SWAPDB 0 99",
    "SWAPDB 0 0",
    "AUTH x",
    "AUTH a b",
    "AUTH default anything",
    "AUTH a b c",
    "HELLO 4",
    "HELLO 1",
    "HELLO foo",
    "HELLO 2 foo",
    "HELLO 2 AUTH",
    "HELLO 2 AUTH a",
    "HELLO 3 SETNAME",
    "HELLO 2 SETNAME 'a b'",
    "HELLO 2 AUTH nobody pw",
    "CLIENT",
    "CLIENT FOO",
    "CLIENT SETNAME 'a b'",
    "CLIENT SETNAME 'a\nb'",
    "CLIENT SETNAME ''",
    "CLIENT GETNAME",
    "CLIENT SETNAME abc",
    "CLIENT GETNAME",
    "CLIENT SETNAME",
    "CLIENT KILL 1.2.3.4:5",
    "CLIENT KILL ID x",
    "CLIENT KILL ID 0",
    "CLIENT KILL ID -5",
    "CLIENT KILL ID 999999",
    "CLIENT KILL foo bar",
    "CLIENT KILL TYPE foo",
    "CLIENT KILL TYPE pubsub",
    "CLIENT KILL SKIPME x",
    "CLIENT KILL USER nobody",
    "CLIENT KILL ADDR 1.2.3.4:5",
    "CLIENT KILL LADDR 1.2.3.4:5",
    "CLIENT KILL ID 1 TYPE",
    "CLIENT KILL MAXAGE 1",
    "CLIENT REPLY foo",
    "CLIENT REPLY",
    "CLIENT NO-EVICT x",
    "CLIENT NO-EVICT on",
    "CLIENT NO-EVICT off",
    "CLIENT PAUSE x",
    "CLIENT PAUSE 10 foo",
    "CLIENT PAUSE -1",
    "CLIENT PAUSE -1 foo",
    "CLIENT LIST TYPE foo",
    "CLIENT LIST ID x",
    "CLIENT LIST ID",
    "CLIENT LIST foo",
    "CLIENT LIST ID 1 2 foo",
    "CLIENT LIST TYPE normal ID 1",
    "CLIENT LIST ID 999999",
    "CLIENT LIST TYPE pubsub",
    "CLIENT UNBLOCK 1 foo",
    "CLIENT UNBLOCK x",
    "CLIENT UNBLOCK 9999",
    "CLIENT UNBLOCK 9999 ERROR",
    "CLIENT GETREDIR",
    "CLIENT UNPAUSE",
    "CLIENT UNPAUSE x",
    "CLIENT ID x",
]


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def wire(
    server: ServerProcess, real_redis: ServerProcess, request: pytest.FixtureRequest
) -> Iterator[WirePair]:
    pair = WirePair(server, real_redis, request.param)
    pair.flush()
    yield pair
    pair.close()


def test_errors_and_replies_match_redis(wire: WirePair) -> None:
    assert wire.run(ERROR_SCRIPT) == []


def test_client_help_matches_redis_for_common_lines(wire: WirePair) -> None:
    ours = wire.ours.command("CLIENT", "HELP")
    real = wire.real.command("CLIENT", "HELP")
    lines_ours = set(ours.split(b"\r\n"))
    lines_real = set(real.split(b"\r\n"))
    assert ours.split(b"\r\n")[1] == real.split(b"\r\n")[1]  # the title line
    for line in (b"+ID", b"+GETNAME", b"+KILL <ip:port>", b"+HELP", b"+    Prints this help."):
        assert line in lines_ours and line in lines_real


def test_client_list_field_names_match_redis(wire: WirePair) -> None:
    def fields(raw: bytes) -> list[str]:
        text = raw.split(b"\r\n", 1)[1].decode()
        if text.startswith("txt:"):
            text = text[4:]
        return [item.split("=", 1)[0] for item in text.split("\n")[0].split(" ")]

    ours = wire.ours.command("CLIENT", "LIST")
    real = wire.real.command("CLIENT", "LIST")
    assert fields(ours) == fields(real)
    assert ours[:1] == real[:1]  # bulk in RESP2, verbatim in RESP3
    assert fields(wire.ours.command("CLIENT", "INFO")) == fields(
        wire.real.command("CLIENT", "INFO")
    )


def test_hello_reply_shape_matches_redis_apart_from_modules(wire: WirePair) -> None:
    for args in (("HELLO",), ("HELLO", "2"), ("HELLO", "3"), ("HELLO", str(wire.resp))):
        ours = wire.ours.command(*args)
        real = wire.real.command(*args)
        # identical up to the client id and the modules list (RedisAI is loaded here)
        assert ours.split(b"id\r\n")[0] == real.split(b"id\r\n")[0]
        assert (
            ours.split(b"mode\r\n")[1].split(b"modules\r\n")[0]
            == real.split(b"mode\r\n")[1].split(b"modules\r\n")[0]
        )


# --- redis-py, both protocols ---------------------------------------------------------------


def test_ping_echo(rp: redis.Redis) -> None:
    assert rp.ping() is True
    assert rp.echo("hi") == b"hi"
    assert rp.echo(b"\x00\xff") == b"\x00\xff"


def test_hello_handshake_and_modules(server: ServerProcess) -> None:
    client = server.client(protocol=3)
    try:
        client.ping()
        meta = client.connection_pool.get_connection().handshake_metadata  # type: ignore[no-untyped-call]
        assert meta[b"server"] == b"redis" and meta[b"version"] == b"7.0.15"
        assert meta[b"proto"] == 3 and meta[b"mode"] == b"standalone" and meta[b"role"] == b"master"
        assert meta[b"modules"][0][b"name"] == b"ai" and meta[b"modules"][0][b"ver"] == 10207
    finally:
        client.close()


def test_hello_switches_protocol_mid_connection(raw: RawConnection) -> None:
    reply = raw.command("HELLO", "3")
    assert isinstance(reply, dict) and reply[b"proto"] == 3
    raw.send(b"*1\r\n$4\r\nPING\r\n")
    assert raw.read_line() == b"+PONG"
    assert raw.command("HELLO", "2")[:2] == [b"server", b"redis"]  # type: ignore[index]
    assert raw.command("HELLO", "2", "SETNAME", "conn1") is not None
    assert raw.command("CLIENT", "GETNAME") == b"conn1"


def test_select_and_swapdb(rp: redis.Redis) -> None:
    rp.set("k", "zero")
    rp.execute_command("SELECT", 1)
    assert rp.get("k") is None
    rp.set("k", "one")
    assert rp.swapdb(0, 1) is True
    assert rp.get("k") == b"zero"
    rp.execute_command("SELECT", 0)
    assert rp.get("k") == b"one"


def test_swapdb_invalidates_watch(server: ServerProcess) -> None:
    a, b = server.client(), server.client()
    try:
        a.flushall()
        pipe = a.pipeline()
        pipe.watch("x")
        b.swapdb(0, 1)
        pipe.multi()
        pipe.set("x", 1)
        with pytest.raises(redis.WatchError):
            pipe.execute()
    finally:
        a.close()
        b.close()


def test_client_id_setname_getname_list_info(rp: redis.Redis) -> None:
    cid = rp.client_id()
    assert rp.client_setname("worker-1") is True
    assert rp.client_getname() in (b"worker-1", "worker-1")
    info = rp.client_info()
    assert int(info["id"]) == cid and info["name"] == "worker-1"
    assert info["cmd"] == "client|info" and info["flags"] == "N"
    entries = rp.client_list()
    mine = [e for e in entries if int(e["id"]) == cid]
    assert mine and mine[0]["cmd"] == "client|list" and mine[0]["name"] == "worker-1"
    assert [e["id"] for e in rp.client_list(client_id=[cid])] == [str(cid)]
    assert rp.client_list(_type="pubsub") == []


def test_client_setinfo_from_redis_py(server: ServerProcess) -> None:
    client = server.client()
    try:
        info = client.client_info()
        # redis-py 8 sends CLIENT SETINFO on connect; 7.0's CLIENT LIST has no lib fields
        assert "lib-name" not in info
        assert client.execute_command("CLIENT", "SETINFO", "LIB-NAME", "mylib") == b"OK"
        with pytest.raises(redis.ResponseError, match="Unrecognized option 'foo'"):
            client.execute_command("CLIENT", "SETINFO", "foo", "x")
        with pytest.raises(redis.ResponseError, match="lib-ver cannot contain spaces"):
            client.execute_command("CLIENT", "SETINFO", "lib-ver", "a b")
    finally:
        client.close()


def test_client_kill_old_and_new_forms(server: ServerProcess) -> None:
    admin, victim = server.client(), RawConnection(server.port)
    try:
        addr = victim.command("CLIENT", "INFO").decode().split(" addr=")[1].split(" ")[0]  # type: ignore[union-attr]
        assert admin.client_kill(addr) is True
        assert victim.closed_by_peer()
        with pytest.raises(redis.ResponseError, match="No such client"):
            admin.client_kill(addr)
    finally:
        victim.close()
    others = [server.client() for _ in range(3)]
    try:
        ids = [c.client_id() for c in others]
        assert admin.client_kill_filter(_id=ids[0]) == 1
        assert admin.client_kill_filter(_id=ids[0]) == 0
        assert admin.client_kill_filter(laddr=others[1].client_info()["laddr"], skipme=True) >= 2
        assert admin.ping() is True  # SKIPME yes spared the caller
    finally:
        for c in others:
            c.close()
        admin.close()


def test_client_kill_skipme_no_kills_caller_after_reply(server: ServerProcess) -> None:
    conn = RawConnection(server.port)
    try:
        cid = conn.command("CLIENT", "ID")
        assert conn.command("CLIENT", "KILL", "ID", cid, "SKIPME", "no") == 1
        assert conn.closed_by_peer()
    finally:
        conn.close()


def test_client_reply_off_skip_on(raw: RawConnection) -> None:
    raw.send(
        b"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n"
        b"*2\r\n$4\r\nECHO\r\n$7\r\nskipped\r\n"
        b"*2\r\n$4\r\nECHO\r\n$5\r\nshown\r\n"
        b"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n"
        b"*2\r\n$4\r\nECHO\r\n$6\r\nhidden\r\n"
        b"*1\r\n$3\r\nFOO\r\n"
        b"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$2\r\nON\r\n"
        b"*2\r\n$4\r\nECHO\r\n$4\r\nlast\r\n"
    )
    assert raw.read_reply() == b"shown"
    assert raw.read_reply() == b"OK"
    assert raw.read_reply() == b"last"


def test_client_reply_skip_in_separate_packets(raw: RawConnection) -> None:
    raw.send(b"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n")
    time.sleep(0.05)
    raw.send(b"*2\r\n$4\r\nECHO\r\n$1\r\na\r\n")
    time.sleep(0.05)
    assert raw.command("ECHO", "b") == b"b"


def test_client_no_evict_and_no_touch_flags(rp: redis.Redis) -> None:
    assert rp.execute_command("CLIENT", "NO-EVICT", "on") in (b"OK", "OK", True)
    assert rp.execute_command("CLIENT", "NO-TOUCH", "on") in (b"OK", "OK", True)
    assert rp.client_info()["flags"] == "eT"
    rp.execute_command("CLIENT", "NO-EVICT", "off")
    rp.execute_command("CLIENT", "NO-TOUCH", "off")
    assert rp.client_info()["flags"] == "N"


def test_client_pause_all_and_write(server: ServerProcess) -> None:
    admin, other = server.client(), server.client()
    try:
        other.ping()
        assert admin.client_pause(300) is True
        started = time.monotonic()
        assert other.get("missing") is None
        assert time.monotonic() - started >= 0.2
        assert admin.client_pause(300, all=False) is True
        started = time.monotonic()
        assert other.get("missing") is None  # reads go through a WRITE pause
        assert time.monotonic() - started < 0.2
        other.set("k", "v")  # writes wait until the pause ends
        assert time.monotonic() - started >= 0.2
        assert other.get("k") == b"v"
    finally:
        admin.close()
        other.close()


def test_client_unpause_releases_waiters(server: ServerProcess) -> None:
    admin = server.client()
    other = RawConnection(server.port)
    try:
        admin.client_pause(10_000, all=False)
        other.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
        time.sleep(0.1)
        assert admin.client_unpause() == b"OK"
        assert other.read_reply() == b"OK"
    finally:
        admin.client_unpause()
        admin.close()
        other.close()


def test_client_unblock_timeout_and_error(server: ServerProcess) -> None:
    admin, blocked = server.client(), RawConnection(server.port)
    try:
        admin.delete("nolist")
        bid = blocked.command("CLIENT", "ID")
        blocked.send(b"*3\r\n$5\r\nBLPOP\r\n$6\r\nnolist\r\n$1\r\n0\r\n")
        deadline = time.monotonic() + 5
        while int(admin.info("clients")["blocked_clients"]) == 0:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert "b" in [e for e in admin.client_list() if e["id"] == str(bid)][0]["flags"]
        assert admin.client_unblock(bid) == 1
        assert blocked.read_reply() is None
        blocked.send(b"*3\r\n$5\r\nBLPOP\r\n$6\r\nnolist\r\n$1\r\n0\r\n")
        while int(admin.info("clients")["blocked_clients"]) == 0:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert admin.client_unblock(bid, error=True) == 1
        assert blocked.read_reply() == ("error", "UNBLOCKED client unblocked via CLIENT UNBLOCK")
        assert admin.client_unblock(bid) == 0
    finally:
        admin.close()
        blocked.close()


def test_quit_replies_ok_and_closes(raw: RawConnection) -> None:
    assert raw.command("QUIT") == b"OK"
    assert raw.closed_by_peer()


def test_reset_restores_a_fresh_connection(raw: RawConnection) -> None:
    raw.command("HELLO", "3")
    raw.command("SELECT", "2")
    raw.command("CLIENT", "SETNAME", "before")
    raw.command("CLIENT", "NO-EVICT", "on")
    raw.command("WATCH", "w")
    raw.command("MULTI")
    assert raw.command("SET", "x", "1") == b"QUEUED"
    assert raw.command("RESET") == b"RESET"
    info = raw.command("CLIENT", "INFO")
    assert isinstance(info, bytes)
    text = info.decode()
    assert " db=0 " in text and " name= " in text and " resp=2" in text
    assert " flags=N " in text and " multi=-1 " in text
    assert raw.command("EXEC") == ("error", "ERR EXEC without MULTI")


# --- asyncio redis-py -----------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 3])
async def test_asyncio_connection_commands(server: ServerProcess, protocol: int) -> None:
    client = aioredis.Redis(host="127.0.0.1", port=server.port, protocol=protocol)
    try:
        assert await client.ping() is True
        assert await client.echo("x") == b"x"
        assert await client.client_setname("aio") is True
        assert (await client.client_info())["name"] == "aio"
        assert isinstance(await client.client_id(), int)
        with pytest.raises(redis.ResponseError, match="Client names cannot contain spaces"):
            await client.client_setname("a b")
        results = await asyncio.gather(*(client.echo(str(i)) for i in range(20)))
        assert results == [str(i).encode() for i in range(20)]
    finally:
        await client.aclose()


# --- requirepass ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pw_server() -> Iterator[ServerProcess]:
    proc = ServerProcess(["--requirepass", "secret"]).start()
    yield proc
    proc.cleanup()


@pytest.fixture(scope="module")
def pw_real() -> Iterator[ServerProcess]:
    if not have_redis_server():
        pytest.skip("redis-server is not installed")
    proc = ServerProcess(["--requirepass", "secret"], real_redis=True).start()
    yield proc
    proc.cleanup()


AUTH_SCRIPT = [
    "GET a",
    "HELLO",
    "HELLO 3",
    "HELLO 3 SETNAME x",
    "CLIENT ID x",
    "HELLO 3 AUTH default bad",
    "AUTH bad",
    "AUTH other secret",
    "AUTH a b c",
    "AUTH secret",
    "SET a 1",
    "GET a",
    "RESET",
    "GET a",
    "AUTH default secret",
    "GET a",
    "DEL a",
]


@pytest.mark.parametrize("resp", [2, 3])
def test_auth_errors_match_redis(
    pw_server: ServerProcess, pw_real: ServerProcess, resp: int
) -> None:
    ours = RawConnection(pw_server.port)
    real = RawConnection(pw_real.port)
    try:
        if resp == 3:  # HELLO 3 AUTH in one go, as redis-py does
            assert ours.command("HELLO", "3", "AUTH", "default", "secret")[b"proto"] == 3  # type: ignore[index]
            assert real.command("HELLO", "3", "AUTH", "default", "secret")[b"proto"] == 3  # type: ignore[index]
            ours.command("RESET")
            real.command("RESET")
        import shlex

        for line in AUTH_SCRIPT:
            args = shlex.split(line)
            a, b = ours.command(*args), real.command(*args)
            if args[0] == "HELLO" and isinstance(b, list):
                continue
            assert a == b, f"{line}: {a!r} != {b!r}"
    finally:
        ours.close()
        real.close()


def test_redis_py_password_both_protocols(pw_server: ServerProcess) -> None:
    for protocol in (2, 3):
        client = pw_server.client(password="secret", protocol=protocol)
        try:
            assert client.set("p", protocol) is True
            assert client.get("p") == str(protocol).encode()
        finally:
            client.close()
    bad = pw_server.client(password="nope")
    try:
        with pytest.raises(redis.AuthenticationError):
            bad.ping()
    finally:
        bad.close()


def test_unauthenticated_clients_have_tight_protocol_limits(pw_server: ServerProcess) -> None:
    conn = RawConnection(pw_server.port)
    try:
        conn.send(b"*20\r\n")
        assert conn.read_reply() == (
            "error",
            "ERR Protocol error: unauthenticated multibulk length",
        )
        assert conn.closed_by_peer()
    finally:
        conn.close()


def test_config_set_requirepass_empty_lets_waiting_clients_in(make_server: object) -> None:
    proc = make_server("--requirepass", "pw")  # type: ignore[operator]
    waiting = RawConnection(proc.port)
    admin = proc.client(password="pw")
    try:
        assert waiting.command("GET", "a") == ("error", "NOAUTH Authentication required.")
        admin.config_set("requirepass", "")
        assert waiting.command("GET", "a") is None
    finally:
        waiting.close()
        admin.close()


# --- connection limits ---------------------------------------------------------------------


def test_maxclients_rejects_with_redis_error(make_server: object) -> None:
    proc = make_server("--maxclients", "2")  # type: ignore[operator]
    first = RawConnection(proc.port)
    second = RawConnection(proc.port)
    try:
        assert first.command("PING") == b"PONG"
        assert second.command("PING") == b"PONG"
        third = socket.create_connection(("127.0.0.1", proc.port), timeout=5)
        data = third.recv(100)
        assert data == b"-ERR max number of clients reached\r\n"
        third.close()
        info = proc.client()
        with pytest.raises(redis.ConnectionError, match="max number of clients reached"):
            info.ping()
        info.close()
    finally:
        first.close()
        second.close()


def test_idle_timeout_closes_idle_clients_only(make_server: object) -> None:
    proc = make_server("--timeout", "1")  # type: ignore[operator]
    idle = RawConnection(proc.port)
    busy = RawConnection(proc.port)
    subscriber_ok = True
    try:
        assert idle.command("PING") == b"PONG"
        stop = threading.Event()

        def keep_busy() -> None:
            while not stop.is_set():
                busy.command("PING")
                time.sleep(0.2)

        worker = threading.Thread(target=keep_busy)
        worker.start()
        try:
            assert idle.closed_by_peer(timeout=4.0)
        finally:
            stop.set()
            worker.join()
        assert busy.command("PING") == b"PONG"
    finally:
        idle.close()
        busy.close()
    assert subscriber_ok
