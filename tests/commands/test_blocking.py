"""Blocking list pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP): FIFO wake-up, timeouts,
disconnects, BLMOVE chains, MULTI, propagation; asyncio clients through redis-py, and
multi-connection scenarios replayed byte for byte against real Redis 7.0."""

from __future__ import annotations

import asyncio
import glob
import os
import shlex
import time
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
import redis
import redis.asyncio as aioredis

from ..helpers import ServerProcess, command_bytes
from .wire import WireConnection, keyevents, wait_blocked

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


@pytest.fixture
async def clients(server: ServerProcess) -> AsyncIterator[Callable[..., aioredis.Redis]]:
    """Factory of asyncio clients on the shared (flushed) server, closed after the test."""
    made: list[aioredis.Redis] = []

    def make(**kwargs: object) -> aioredis.Redis:
        kwargs.setdefault("protocol", 2)
        client = aioredis.Redis(host="127.0.0.1", port=server.port, **kwargs)  # type: ignore[arg-type]
        made.append(client)
        return client

    admin = make()
    await admin.flushall()
    yield make
    for client in made:
        await client.aclose()


async def blocked_clients(admin: aioredis.Redis) -> int:
    return int((await admin.info("clients"))["blocked_clients"])


async def until_blocked(admin: aioredis.Redis, count: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while await blocked_clients(admin) != count:
        assert time.monotonic() < deadline, f"never reached {count} blocked clients"
        await asyncio.sleep(0.005)


# --- asyncio clients -----------------------------------------------------------------------


async def test_blpop_pops_at_once_when_data(clients: Callable[..., aioredis.Redis]) -> None:
    r = clients()
    await r.rpush("b", "1", "2")
    assert await r.blpop(["a", "b"], timeout=0) == (b"b", b"1")
    assert await r.brpop(["a", "b"], timeout=0) == (b"b", b"2")
    assert await r.exists("b") == 0


@pytest.mark.parametrize("protocol", [2, 3])
async def test_timeout_returns_null_after_timeout(
    clients: Callable[..., aioredis.Redis], protocol: int
) -> None:
    r = clients(protocol=protocol)
    start = time.monotonic()
    assert await r.blpop(["k"], timeout=0.1) is None
    elapsed = time.monotonic() - start
    assert 0.09 <= elapsed < 1.0
    start = time.monotonic()
    assert await r.blmove("k", "d", 0.1, "LEFT", "RIGHT") is None
    assert 0.09 <= time.monotonic() - start < 1.0
    assert await blocked_clients(clients()) == 0


async def test_push_serves_waiter_and_replies_length_after_push(
    clients: Callable[..., aioredis.Redis],
) -> None:
    admin, waiter = clients(), clients()
    task = asyncio.create_task(waiter.blpop(["k"], timeout=0))
    await until_blocked(admin, 1)
    assert await admin.lpush("k", "v") == 1  # length after the push; then the waiter pops
    assert await task == (b"k", b"v")
    assert await admin.exists("k") == 0


async def test_twenty_waiters_are_served_fifo(clients: Callable[..., aioredis.Redis]) -> None:
    admin = clients()
    tasks = []
    for i in range(20):
        tasks.append(asyncio.create_task(clients().brpop(["k"], timeout=0)))
        await until_blocked(admin, i + 1)
    await admin.lpush("k", *[f"e{i}" for i in range(5)])  # BRPOP takes from the tail: e0 first
    await until_blocked(admin, 15)
    assert [await t for t in tasks[:5]] == [(b"k", f"e{i}".encode()) for i in range(5)]
    assert not any(t.done() for t in tasks[5:])
    for i in range(5, 20):
        await admin.rpush("k", f"e{i}")
    assert [await t for t in tasks[5:]] == [(b"k", f"e{i}".encode()) for i in range(5, 20)]
    assert await blocked_clients(admin) == 0


async def test_one_push_serves_several_waiters(clients: Callable[..., aioredis.Redis]) -> None:
    admin = clients()
    first = asyncio.create_task(clients().blpop(["k"], timeout=0))
    await until_blocked(admin, 1)
    second = asyncio.create_task(clients().blpop(["k"], timeout=0))
    await until_blocked(admin, 2)
    assert await admin.rpush("k", "a", "b", "c") == 3
    assert await first == (b"k", b"a")
    assert await second == (b"k", b"b")
    assert await admin.lrange("k", 0, -1) == [b"c"]


async def test_waiter_on_several_keys(clients: Callable[..., aioredis.Redis]) -> None:
    admin = clients()
    task = asyncio.create_task(clients().brpop(["k1", "k2", "k3"], timeout=0))
    await until_blocked(admin, 1)
    await admin.rpush("k3", "x", "y")
    assert await task == (b"k3", b"y")
    assert await admin.lrange("k3", 0, -1) == [b"x"]


async def test_disconnected_waiter_takes_nothing(clients: Callable[..., aioredis.Redis]) -> None:
    admin = clients()
    gone = clients()
    task = asyncio.create_task(gone.blpop(["k"], timeout=0))
    await until_blocked(admin, 1)
    task.cancel()
    await gone.aclose()  # the connection closes while its BLPOP waits
    await until_blocked(admin, 0)
    await admin.rpush("k", "v")
    assert await admin.lrange("k", 0, -1) == [b"v"]


async def test_blmove_chain(clients: Callable[..., aioredis.Redis]) -> None:
    admin = clients()
    first = asyncio.create_task(clients().blmove("a", "b", 0, "LEFT", "RIGHT"))
    await until_blocked(admin, 1)
    second = asyncio.create_task(clients().blmove("b", "c", 0, "LEFT", "LEFT"))
    await until_blocked(admin, 2)
    third = asyncio.create_task(clients().brpoplpush("c", "d", 0))
    await until_blocked(admin, 3)
    await admin.rpush("a", "x")
    assert await first == b"x"
    assert await second == b"x"
    assert await third == b"x"
    assert await admin.exists("a", "b", "c") == 0
    assert await admin.lrange("d", 0, -1) == [b"x"]


async def test_blmove_to_same_key_rotates(clients: Callable[..., aioredis.Redis]) -> None:
    admin = clients()
    task = asyncio.create_task(clients().blmove("k", "k", 0, "LEFT", "RIGHT"))
    await until_blocked(admin, 1)
    await admin.rpush("k", "a", "b")
    assert await task == b"a"
    assert await admin.lrange("k", 0, -1) == [b"b", b"a"]


async def test_brpoplpush_wrong_type_destination(clients: Callable[..., aioredis.Redis]) -> None:
    admin = clients()
    task = asyncio.create_task(clients().brpoplpush("src", "dst", 0))
    await until_blocked(admin, 1)
    await admin.set("dst", "string")
    await admin.rpush("src", "v")
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
        await task
    assert await admin.lrange("src", 0, -1) == [b"v"]


async def test_blmpop_served_with_count(clients: Callable[..., aioredis.Redis]) -> None:
    admin = clients()
    task = asyncio.create_task(clients().blmpop(0, 2, "k1", "k2", direction="RIGHT", count=2))
    await until_blocked(admin, 1)
    await admin.rpush("k2", "a", "b", "c")
    assert await task == [b"k2", [b"c", b"b"]]


async def test_key_changing_type_while_waiting(clients: Callable[..., aioredis.Redis]) -> None:
    admin = clients()
    task = asyncio.create_task(clients().blpop(["k"], timeout=0))
    await until_blocked(admin, 1)
    await admin.set("k", "string")
    await admin.sadd("other", "m")
    await admin.rename("other", "k")  # a set now; the waiter keeps waiting
    await admin.delete("k")
    assert await blocked_clients(admin) == 1
    await admin.rpush("k", "v")
    assert await task == (b"k", b"v")


async def test_blocked_in_other_db_not_served(clients: Callable[..., aioredis.Redis]) -> None:
    admin = clients()
    task = asyncio.create_task(clients(db=1).blpop(["k"], timeout=0))
    await until_blocked(admin, 1)
    await admin.rpush("k", "db0")
    assert await admin.llen("k") == 1
    other = clients(db=1)
    await other.rpush("k", "db1")
    assert await task == (b"k", b"db1")


async def test_multi_blpop_does_not_block(clients: Callable[..., aioredis.Redis]) -> None:
    r = clients()
    pipe = r.pipeline(transaction=True)
    pipe.blpop(["k"], timeout=0)
    pipe.brpoplpush("k", "d", 0)
    pipe.blmpop(0, 1, "k", direction="LEFT")
    pipe.rpush("k", "v")
    pipe.blpop(["k"], timeout=0)
    assert await pipe.execute() == [None, None, None, 1, (b"k", b"v")]


async def test_exec_pushes_serve_waiters_after_exec(clients: Callable[..., aioredis.Redis]) -> None:
    admin = clients()
    task = asyncio.create_task(clients().blpop(["k"], timeout=0))
    await until_blocked(admin, 1)
    pipe = admin.pipeline(transaction=True)
    pipe.rpush("k", "a", "b")
    pipe.llen("k")  # the waiter has not popped yet inside EXEC
    assert await pipe.execute() == [2, 2]
    assert await task == (b"k", b"a")
    assert await admin.lrange("k", 0, -1) == [b"b"]


async def test_client_unblock(clients: Callable[..., aioredis.Redis]) -> None:
    admin, waiter = clients(), clients()
    wid = await waiter.client_id()
    task = asyncio.create_task(waiter.blpop(["k"], timeout=0))
    await until_blocked(admin, 1)
    assert await admin.client_unblock(wid) == 1
    assert await task is None
    task = asyncio.create_task(waiter.blpop(["k"], timeout=0))
    await until_blocked(admin, 1)
    assert await admin.client_unblock(wid, error=True) == 1
    with pytest.raises(redis.ResponseError, match="UNBLOCKED client unblocked via CLIENT UNBLOCK"):
        await task
    assert await admin.client_unblock(wid) == 0


async def test_later_commands_wait_behind_blocked_one(
    clients: Callable[..., aioredis.Redis],
) -> None:
    admin, waiter = clients(), clients()
    pipe = waiter.pipeline(transaction=False)
    pipe.blpop(["k"], timeout=0)
    pipe.lpush("k", "mine")
    task = asyncio.create_task(pipe.execute())
    await until_blocked(admin, 1)
    assert await admin.llen("k") == 0  # the pipelined LPUSH has not run
    await admin.rpush("k", "first")
    assert await task == [(b"k", b"first"), 1]


async def test_timeout_argument_errors(clients: Callable[..., aioredis.Redis]) -> None:
    r = clients()
    for bad, message in (
        ("-1", "timeout is negative"),
        ("abc", "timeout is not a float or out of range"),
        ("inf", "timeout is negative"),
        ("nan", "timeout is not a float or out of range"),
    ):
        with pytest.raises(redis.ResponseError, match=f"^{message}$"):
            await r.execute_command("BLPOP", "k", bad)


def test_served_pop_is_propagated_as_lpop(make_server: Callable[..., ServerProcess]) -> None:
    """A waiter's pop reaches the append-only file as LPOP, after the push that fed it."""
    proc = make_server("--appendonly", "yes")
    waiter = WireConnection(proc.port, 2)
    admin = WireConnection(proc.port, 2)
    waiter.send("BLPOP", "k", "0")
    wait_blocked(admin, 1)
    admin.command("RPUSH", "k", "a", "b")
    assert waiter.read() == b"*2\r\n$1\r\nk\r\n$1\r\na\r\n"
    waiter.send("BLMOVE", "k", "d", "RIGHT", "LEFT", "0")
    assert waiter.read() == b"$1\r\nb\r\n"
    deadline = time.monotonic() + 5
    wanted = [b"RPUSH", b"LPOP", b"LMOVE"]
    while True:
        names = [cmd[0].upper() for cmd in _aof_commands(proc.dir)]
        if names[-3:] == wanted or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert names[-3:] == wanted
    assert b"BLPOP" not in names and b"BLMOVE" not in names
    waiter.close()
    admin.close()


def _aof_commands(directory: str) -> list[list[bytes]]:
    """The commands of every append-only file under `directory` (SELECTs left out)."""
    out: list[list[bytes]] = []
    for path in sorted(glob.glob(os.path.join(directory, "**", "*.aof*"), recursive=True)):
        with open(path, "rb") as fh:
            data = fh.read()
        pos = max(data.find(b"*2\r\n$6\r\nSELECT\r\n"), 0)  # after any snapshot preamble
        while data[pos : pos + 1] == b"*":
            end = data.index(b"\r\n", pos)
            count, pos = int(data[pos + 1 : end]), end + 2
            argv = []
            for _ in range(count):
                end = data.index(b"\r\n", pos)
                size = int(data[pos + 1 : end])
                argv.append(data[end + 2 : end + 2 + size])
                pos = end + 4 + size
            if argv[0].upper() != b"SELECT":
                out.append(argv)
    return out


# --- multi-connection scenarios, byte for byte against real Redis -------------------------

# Each step: (connection, action, command). "block" sends and waits until the server counts
# one more blocked client; "pipe" sends commands separated by " ; " in one write and
# records their replies; "cmd" sends and records the reply; "read" records the next reply
# of that connection.
Step = tuple[str, str, str]

SCENARIOS: dict[str, list[Step]] = {
    "fifo_and_counts": [
        ("a", "block", "BLPOP k 0"),
        ("b", "block", "BRPOP k other 0"),
        ("c", "block", "BLMPOP 0 2 other k LEFT COUNT 5"),
        ("x", "cmd", "RPUSH k 1 2 3 4 5 6"),
        ("a", "read", ""),
        ("b", "read", ""),
        ("c", "read", ""),
        ("x", "cmd", "LRANGE k 0 -1"),
    ],
    "pipeline_push_then_pop": [
        ("a", "block", "BLPOP k 0"),
        ("x", "pipe", "LPUSH k v ; LPOP k ; EXISTS k ; RPUSH k w ; LLEN k"),
        ("a", "read", ""),
    ],
    "lmove_destination_wakes": [
        ("a", "block", "BLPOP dst 0"),
        ("x", "cmd", "RPUSH src 1 2"),
        ("x", "cmd", "LMOVE src dst LEFT RIGHT"),
        ("a", "read", ""),
        ("x", "cmd", "RPOPLPUSH src dst"),
        ("x", "cmd", "LRANGE dst 0 -1"),
    ],
    "blmove_chain_and_wrongtype": [
        ("a", "block", "BLMOVE a b LEFT RIGHT 0"),
        ("b", "block", "BRPOPLPUSH b s 0"),
        ("c", "block", "BLMOVE b c RIGHT LEFT 0"),
        ("x", "cmd", "SET s string"),
        ("x", "cmd", "RPUSH a v"),
        ("a", "read", ""),
        ("b", "read", ""),
        ("c", "read", ""),
        ("x", "cmd", "EXISTS a b"),
        ("x", "cmd", "LRANGE c 0 -1"),
    ],
    "exec_push": [
        ("a", "block", "BRPOP k 0"),
        ("x", "cmd", "MULTI"),
        ("x", "cmd", "RPUSH k a b"),
        ("x", "cmd", "LLEN k"),
        ("x", "cmd", "BLPOP k 0"),
        ("x", "cmd", "BLPOP nokey 0"),
        ("x", "cmd", "BLMOVE nokey d LEFT LEFT 0"),
        ("x", "cmd", "EXEC"),
        ("a", "read", ""),
        ("x", "cmd", "EXISTS k"),
    ],
    "timeouts": [
        ("a", "cmd", "BLPOP k 0.05"),
        ("a", "cmd", "BLMOVE k d LEFT LEFT 0.05"),
        ("a", "cmd", "BRPOPLPUSH k d 0.05"),
        ("a", "cmd", "BLMPOP 0.05 1 k RIGHT"),
        ("a", "cmd", "BLPOP k 1e-400"),
        ("a", "cmd", "BLPOP k -0.001000001"),
        ("a", "cmd", "BLPOP k 1e16"),
        ("a", "cmd", "BLPOP k 1e5000"),
        ("a", "cmd", "BLPOP k +inf"),
        ("a", "cmd", 'BLPOP k " 1"'),
        ("a", "cmd", "BLPOP k 1x"),
        ("a", "cmd", "BLPOP k 0x"),
        ("a", "cmd", "BLPOP k -0x10"),
        ("a", "cmd", "BLMOVE k d UP LEFT -1"),
        ("a", "cmd", "BLMOVE k d LEFT LEFT -1"),
        ("a", "cmd", "BLMPOP -1 0 k LEFT"),
        ("a", "cmd", "BLMPOP x 1 k LEFT COUNT 0"),
        ("a", "cmd", "BLMPOP x 1 k LEFT"),
        ("a", "cmd", "BLMPOP 0 1 k"),
        ("a", "cmd", "BLMPOP 0 1"),
        ("a", "cmd", "BLPOP k"),
        ("a", "cmd", "SET s v"),
        ("a", "cmd", "BLPOP s 0"),
        ("a", "cmd", "BLPOP nokey s 0"),
        ("a", "cmd", "BLMOVE s d LEFT LEFT 0"),
        ("a", "cmd", "BLMPOP 0 2 nokey s LEFT"),
        ("a", "cmd", "RPUSH l v"),
        ("a", "cmd", "BLPOP l s 0"),
        ("a", "cmd", "RPUSH l v"),
        ("a", "cmd", "BLMOVE l s LEFT LEFT 0"),
    ],
}


def _run_scenario(proc: ServerProcess, resp: int, steps: list[Step]) -> list[tuple[str, bytes]]:
    conns: dict[str, WireConnection] = {}
    admin = WireConnection(proc.port, 2)
    admin.command("FLUSHALL")
    out: list[tuple[str, bytes]] = []
    blocked = 0
    try:
        for who, action, line in steps:
            conn = conns.get(who)
            if conn is None:
                conn = conns[who] = WireConnection(proc.port, resp)
            args = shlex.split(line) if action != "pipe" else []
            if action == "block":
                conn.send(*args)
                blocked += 1
                wait_blocked(admin, blocked)
            elif action == "pipe":
                commands = [shlex.split(part) for part in line.split(" ; ")]
                conn.sock.sendall(b"".join(command_bytes(*cmd) for cmd in commands))
                for cmd in commands:
                    out.append((f"{who} {' '.join(cmd)}", conn.read()))
            elif action == "cmd":
                out.append((f"{who} {line}", conn.command(*args)))
            else:
                out.append((f"{who} read", conn.read()))
                blocked = int(
                    admin.command("INFO", "clients").split(b"blocked_clients:")[1].split(b"\r\n")[0]
                )
    finally:
        for conn in conns.values():
            conn.close()
        admin.close()
    return out


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def resp(request: pytest.FixtureRequest) -> Iterator[int]:
    yield request.param


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_side_by_side(
    server: ServerProcess, real_redis: ServerProcess, resp: int, name: str
) -> None:
    ours = _run_scenario(server, resp, SCENARIOS[name])
    real = _run_scenario(real_redis, resp, SCENARIOS[name])
    assert ours == real


def test_served_waiters_notify_like_redis(server: ServerProcess, real_redis: ServerProcess) -> None:
    blocked = ("BLPOP k 0", "BLMOVE k d RIGHT LEFT 0", "BLMPOP 0 1 k LEFT COUNT 5")
    script = ["RPUSH k a b c d", "RPUSH k e"]
    assert keyevents(server, script, blocked) == keyevents(real_redis, script, blocked)
