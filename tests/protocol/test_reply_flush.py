"""Replies leave once per event-loop iteration (as Redis writes them in beforeSleep).

Every client served in one iteration has its replies queued and written after all of
them ran. These tests make many clients land in the same iteration (everything is sent
before anything is read) and check that each gets exactly its own bytes, in order, and
that closing paths (QUIT, protocol errors) still send what came before them."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from ..helpers import RawConnection, ServerProcess, command_bytes


@pytest.fixture
def conns(server: ServerProcess) -> Iterator[list[RawConnection]]:
    opened = [RawConnection(server.port, timeout=20) for _ in range(40)]
    assert opened[0].command("FLUSHALL") == b"OK"
    yield opened
    for conn in opened:
        conn.close()


def test_clients_served_together_each_get_their_own_replies_in_order(
    conns: list[RawConnection],
) -> None:
    # 40 clients x 100 pipelined commands each, all sent before any reply is read: the
    # server serves many of them per loop iteration and flushes their replies together.
    for i, conn in enumerate(conns):
        conn.send(
            b"".join(command_bytes("INCR", f"flush:{i}") for _ in range(99))
            + command_bytes("GET", f"flush:{i}")
        )
    expected = b"".join(b":%d\r\n" % n for n in range(1, 100)) + b"$2\r\n99\r\n"
    for conn in conns:
        assert conn.recv_exact(len(expected)) == expected


def test_big_and_small_replies_keep_their_order(raw: RawConnection) -> None:
    big = os.urandom(300_000)  # above the size at which a batch's pieces are not joined
    assert raw.command("SET", "flush:big", big) == b"OK"
    raw.send(
        command_bytes("GET", "flush:big")
        + command_bytes("PING")
        + command_bytes("GET", "flush:big")
        + command_bytes("ECHO", "tail")
    )
    bulk = b"$%d\r\n%s\r\n" % (len(big), big)
    expected = bulk + b"+PONG\r\n" + bulk + b"$4\r\ntail\r\n"
    assert raw.recv_exact(len(expected)) == expected


def test_quit_answers_what_came_before_it_and_nothing_after(server: ServerProcess) -> None:
    conn = RawConnection(server.port)
    conn.send(
        command_bytes("SET", "flush:q", "1")
        + command_bytes("GET", "flush:q")
        + command_bytes("QUIT")
        + command_bytes("SET", "flush:q", "2")
    )
    assert conn.closed_by_peer()
    assert conn.buf == b"+OK\r\n$1\r\n1\r\n+OK\r\n"
    conn.close()
    check = RawConnection(server.port)
    assert check.command("GET", "flush:q") == b"1"  # the command after QUIT never ran
    check.close()


def test_protocol_error_follows_the_replies_queued_in_the_same_read(
    server: ServerProcess,
) -> None:
    conn = RawConnection(server.port)
    conn.send(command_bytes("PING") + command_bytes("ECHO", "x") + b"*1\r\n$-5\r\n")
    assert conn.closed_by_peer()
    assert conn.buf == b"+PONG\r\n$1\r\nx\r\n-ERR Protocol error: invalid bulk length\r\n"
    conn.close()


def test_published_messages_keep_each_publishers_order(server: ServerProcess) -> None:
    subscriber = RawConnection(server.port, timeout=20)
    assert subscriber.command("SUBSCRIBE", "flush:ch") == [b"subscribe", b"flush:ch", 1]
    publishers = [RawConnection(server.port) for _ in range(5)]
    for p, conn in enumerate(publishers):
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.send(b"".join(command_bytes("PUBLISH", "flush:ch", f"{p}:{n}") for n in range(20)))
    for conn in publishers:
        assert conn.recv_exact(20 * len(b":1\r\n")) == b":1\r\n" * 20
        conn.close()
    got: dict[str, list[int]] = {}
    for _ in range(100):
        kind, channel, message = subscriber.read_reply()  # type: ignore[misc]
        assert (kind, channel) == (b"message", b"flush:ch")
        publisher, n = message.decode().split(":")
        got.setdefault(publisher, []).append(int(n))
    assert got == {str(p): list(range(20)) for p in range(5)}
    subscriber.close()


def test_replies_reach_a_client_that_closed_its_sending_side(server: ServerProcess) -> None:
    # `printf 'PING\r\n' | nc host port`: the request and the FIN arrive together, and
    # the queued replies must still leave before the connection closes.
    for request, expected in [
        (b"PING\r\n", b"+PONG\r\n"),
        (
            command_bytes("SET", "flush:eof", "1") + command_bytes("GET", "flush:eof"),
            b"+OK\r\n$1\r\n1\r\n",
        ),
    ]:
        conn = RawConnection(server.port)
        conn.send(request)
        conn.sock.shutdown(socket.SHUT_WR)
        assert conn.closed_by_peer()
        assert conn.buf == expected
        conn.close()


def test_replies_survive_an_end_read_in_the_same_poll(server: ServerProcess) -> None:
    # A request that fills the receive buffer exactly makes the event loop read again at
    # once and find the end of the stream before the iteration's replies were flushed.
    from pyredisai.protocol.reader import RECV_SIZE

    pings = (RECV_SIZE - 64) // 6
    pad = RECV_SIZE - pings * 6 - len(b"ECHO \r\n")
    request = b"PING\r\n" * pings + b"ECHO " + b"x" * pad + b"\r\n"
    assert len(request) == RECV_SIZE
    expected = b"+PONG\r\n" * pings + b"$%d\r\n%s\r\n" % (pad, b"x" * pad)
    for _ in range(5):
        conn = RawConnection(server.port, timeout=20)
        conn.send(request)
        conn.sock.shutdown(socket.SHUT_WR)
        assert conn.closed_by_peer(timeout=20)
        assert conn.buf == expected
        conn.close()
