"""Snapshots and the append-only file, with real server processes and real files."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable

import pytest
import redis

from ..helpers import ServerProcess


def _restart(proc: ServerProcess, *args: str) -> ServerProcess:
    """A new server process on the same directory (the old one must be stopped)."""
    return ServerProcess([*proc.args, *args], directory=proc.dir).start()


def _fill(r: redis.Redis) -> None:
    r.set("s", "v")
    r.set("n", 42)
    r.incrby("counter", 7)  # kept as an int: the snapshot writes its digits
    r.set("ttl", "x", ex=1000)
    r.rpush("l", "a", "b", "c")
    r.hset("h", mapping={"f1": "1", "f2": "2"})
    r.sadd("set", "x", "y")
    r.zadd("z", {"m1": 1.5, "m2": -2})
    r.execute_command("AI.TENSORSET", "t", "FLOAT", 2, 2, "VALUES", 1, 2, 3, 4)


def _check(r: redis.Redis) -> None:
    assert r.get("s") == b"v"
    assert r.get("n") == b"42"
    assert r.get("counter") == b"7"
    assert 990 < r.ttl("ttl") <= 1000
    assert r.lrange("l", 0, -1) == [b"a", b"b", b"c"]
    assert r.hgetall("h") == {b"f1": b"1", b"f2": b"2"}
    assert r.smembers("set") == {b"x", b"y"}
    assert r.zrange("z", 0, -1, withscores=True) == [(b"m2", -2.0), (b"m1", 1.5)]
    assert r.execute_command("AI.TENSORGET", "t", "VALUES") == [
        b"1",
        b"2",
        b"3",
        b"4",
    ] or r.execute_command("AI.TENSORGET", "t", "VALUES") == [1.0, 2.0, 3.0, 4.0]


def test_save_and_reload(make_server: Callable[..., ServerProcess]) -> None:
    proc = make_server()
    r = proc.client(protocol=2)
    _fill(r)
    r.select(5)
    r.set("in5", "yes")
    r.select(0)
    assert r.save() is True
    last = r.lastsave()
    assert abs(last.timestamp() - time.time()) < 5
    proc.stop()
    again = _restart(proc)
    try:
        r2 = again.client(protocol=2)
        _check(r2)
        r2.select(5)
        assert r2.get("in5") == b"yes"
    finally:
        again.stop()


def test_bgsave_then_sigterm_saves_with_save_points(
    make_server: Callable[..., ServerProcess],
) -> None:
    proc = make_server("--save", "3600 1")
    r = proc.client(protocol=2)
    assert r.bgsave() is True
    deadline = time.time() + 10
    while r.info("persistence")["rdb_bgsave_in_progress"] and time.time() < deadline:
        time.sleep(0.05)
    assert r.info("persistence")["rdb_last_bgsave_status"] == "ok"
    r.set("after", "bgsave")
    assert r.info("persistence")["rdb_changes_since_last_save"] >= 1
    assert proc.stop(signal.SIGTERM) == 0  # save points configured: SIGTERM saves
    again = _restart(proc)
    try:
        assert again.client().get("after") == b"bgsave"
    finally:
        again.stop()


def test_corrupt_snapshot_is_refused(make_server: Callable[..., ServerProcess]) -> None:
    proc = make_server()
    r = proc.client()
    r.set("k", "v" * 1000)
    r.save()
    proc.stop()
    path = os.path.join(proc.dir, "dump.rdb")
    with open(path, "rb") as fh:
        data = bytearray(fh.read())
    data[len(data) // 2] ^= 0xFF
    with open(path, "wb") as fh:
        fh.write(bytes(data))
    with pytest.raises(RuntimeError) as info:
        _restart(proc)
    assert "checksum" in str(info.value).lower()


def test_truncated_snapshot_is_refused(make_server: Callable[..., ServerProcess]) -> None:
    proc = make_server()
    r = proc.client()
    r.set("k", "v" * 1000)
    r.save()
    proc.stop()
    path = os.path.join(proc.dir, "dump.rdb")
    with open(path, "rb") as fh:
        data = fh.read()
    with open(path, "wb") as fh:
        fh.write(data[: len(data) - 100])
    with pytest.raises(RuntimeError) as info:
        _restart(proc)
    assert "truncated" in str(info.value).lower()


def test_kill9_with_appendfsync_always_loses_no_acknowledged_write(
    make_server: Callable[..., ServerProcess],
) -> None:
    proc = make_server("--appendonly", "yes", "--appendfsync", "always")
    acked: list[int] = []
    stop = threading.Event()

    def writer() -> None:
        client = proc.client(protocol=2)
        i = 0
        while not stop.is_set():
            try:
                client.set(f"k{i}", i)
                client.hset("h", f"f{i}", i)
            except (redis.ConnectionError, OSError):
                return
            acked.append(i)
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(1.0)
    assert proc.proc is not None
    proc.proc.kill()  # SIGKILL mid-stream
    proc.proc.wait()
    stop.set()
    thread.join()
    assert len(acked) > 50
    again = _restart(proc)
    try:
        r = again.client(protocol=2)
        h = r.hgetall("h")
        for i in acked:
            assert r.get(f"k{i}") == str(i).encode()
            assert h[f"f{i}".encode()] == str(i).encode()
    finally:
        again.stop()


def test_aof_torn_tail_is_truncated_and_loaded(make_server: Callable[..., ServerProcess]) -> None:
    proc = make_server("--appendonly", "yes", "--appendfsync", "always")
    r = proc.client()
    for i in range(20):
        r.set(f"k{i}", i)
    proc.stop()
    path = os.path.join(proc.dir, "appendonly.aof")
    with open(path, "ab") as fh:
        fh.write(b"*3\r\n$3\r\nSET\r\n$4\r\nlost\r\n$10\r\nonly")
    again = _restart(proc)
    try:
        r2 = again.client()
        assert [r2.get(f"k{i}") for i in range(20)] == [str(i).encode() for i in range(20)]
        assert r2.get("lost") is None
        assert "short read" in again.read_log().lower()
        r2.set("after", "1")  # the file is usable again after the truncation
    finally:
        again.stop()
    final = _restart(proc)
    try:
        assert final.client().get("after") == b"1"
    finally:
        final.stop()


def test_aof_torn_tail_refused_without_aof_load_truncated(
    make_server: Callable[..., ServerProcess],
) -> None:
    proc = make_server("--appendonly", "yes")
    proc.client().set("a", "1")
    proc.stop()
    with open(os.path.join(proc.dir, "appendonly.aof"), "ab") as fh:
        fh.write(b"*2\r\n$3\r\nDEL\r\n")
    with pytest.raises(RuntimeError):
        _restart(proc, "--aof-load-truncated", "no")


def test_bgrewriteaof_compacts_and_keeps_data(make_server: Callable[..., ServerProcess]) -> None:
    proc = make_server("--appendonly", "yes")
    r = proc.client(protocol=2)
    for _ in range(300):
        r.incr("counter")
    r.execute_command("AI.TENSORSET", "t", "INT32", 3, "VALUES", 7, 8, 9)
    path = os.path.join(proc.dir, "appendonly.aof")
    before = os.path.getsize(path)
    assert r.bgrewriteaof() is True
    deadline = time.time() + 10
    while r.info("persistence")["aof_rewrite_in_progress"] and time.time() < deadline:
        time.sleep(0.05)
    r.set("tail", "written during or after the rewrite")
    time.sleep(0.2)
    assert os.path.getsize(path) < before
    proc.proc.kill() if proc.proc else None
    proc.stop()
    again = _restart(proc)
    try:
        r2 = again.client(protocol=2)
        assert r2.get("counter") == b"300"
        assert r2.get("tail") == b"written during or after the rewrite"
        assert r2.execute_command("AI.TENSORGET", "t", "VALUES") == [7, 8, 9]
    finally:
        again.stop()


def test_config_set_appendonly_at_runtime(make_server: Callable[..., ServerProcess]) -> None:
    proc = make_server()
    r = proc.client()
    r.set("before", "1")
    assert r.config_set("appendonly", "yes") is True
    r.set("after", "2")
    assert r.info("persistence")["aof_enabled"] == 1
    assert proc.proc is not None
    proc.proc.kill()
    proc.proc.wait()
    again = _restart(proc, "--appendonly", "yes")
    try:
        r2 = again.client()
        assert r2.get("before") == b"1"
        assert r2.get("after") == b"2"
    finally:
        again.stop()
