"""State changes inside one pipelined read, side by side with real Redis.

The client's batch loop runs plain commands without dispatch's policy checks and caches
the connection's state (reply mode, protocol, MULTI, subscriptions) for the whole read;
only commands that go through dispatch may change that state. These scripts change it in
the middle of a single read and compare the raw bytes both servers send back."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from ..helpers import RawConnection, ServerProcess, command_bytes

SCRIPTS: dict[str, list[list[str]]] = {
    "multi": [
        ["SET", "a", "1"],
        ["MULTI"],
        ["SET", "b", "2"],
        ["INCR", "a"],
        ["NOSUCHCOMMAND"],
        ["GET", "a"],
        ["EXEC"],
        ["MULTI"],
        ["INCR", "a"],
        ["GET", "a"],
        ["EXEC"],
        ["GET", "b"],
        ["DISCARD"],
        ["SET", "c", "3"],
    ],
    "subscribe": [
        ["SET", "a", "1"],
        ["SUBSCRIBE", "ch"],
        ["SET", "b", "2"],
        ["PING"],
        ["PSUBSCRIBE", "p*"],
        ["UNSUBSCRIBE", "ch"],
        ["GET", "a"],
        ["PUNSUBSCRIBE"],
        ["SET", "b", "3"],
        ["GET", "b"],
    ],
    "client_reply": [
        ["SET", "a", "1"],
        ["CLIENT", "REPLY", "OFF"],
        ["SET", "b", "2"],
        ["GET", "b"],
        ["CLIENT", "REPLY", "ON"],
        ["GET", "a"],
        ["CLIENT", "REPLY", "SKIP"],
        ["GET", "a"],
        ["GET", "b"],
        ["INCR", "a"],
    ],
    "errors_and_types": [
        ["SET", "s", "x"],
        ["LPUSH", "s", "y"],
        ["INCR", "s"],
        ["GET"],
        ["SET", "n", "9223372036854775807"],
        ["INCR", "n"],
        ["HSET", "h", "f"],
        ["HSET", "h", "f", "v"],
        ["MSET", "a", "1", "b"],
        ["MSET", "a", "1", "b", "2"],
        ["GET", "b"],
        ["select", "1"],
        ["get", "a"],
        ["SELECT", "0"],
        ["get", "a"],
    ],
    "quit": [["SET", "a", "1"], ["GET", "a"], ["QUIT"], ["GET", "a"]],
}


def _replies(port: int, data: bytes, idle: float = 0.3) -> bytes:
    """Send `data` in one write; everything read until the connection is quiet or closed."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(data)
        sock.settimeout(idle)
        got = b""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            got += chunk
        return got


@pytest.fixture
def flushed(server: ServerProcess, real_redis: ServerProcess) -> Iterator[None]:
    for proc in (server, real_redis):
        conn = RawConnection(proc.port)
        conn.command("FLUSHALL")
        conn.close()
    yield


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_state_changes_inside_one_read(
    server: ServerProcess, real_redis: ServerProcess, flushed: None, name: str
) -> None:
    data = b"".join(command_bytes(*args) for args in SCRIPTS[name])
    assert len(data) < 4096  # one read on either server
    assert _replies(server.port, data) == _replies(real_redis.port, data)
