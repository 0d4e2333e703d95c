"""Byte-exact side-by-side checks against a real redis-server, in RESP2 or RESP3.

`pairs.py` compares parsed replies; hashes, lists and sets also need the wire shape
(`*-1` vs `$-1`, `~` sets vs `*` arrays, `%` maps, `_` nulls), so this module keeps each
reply's raw bytes. A script is a list of command lines; a line starting with "~" is
compared as an unordered reply (its top-level elements sorted), for the commands whose
member order is the hash table's (SMEMBERS, HGETALL, SINTER ...)."""

from __future__ import annotations

import shlex
import socket
import time

from ..helpers import ServerProcess, command_bytes


class WireConnection:
    """A raw socket returning each reply as the exact bytes the server sent."""

    def __init__(self, port: int, resp: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        if resp == 3:
            reply = self.command("HELLO", "3")
            assert reply.startswith(b"%"), reply

    def _fill(self) -> None:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("closed")
        self.buf += chunk

    def _line_end(self, pos: int) -> int:
        while True:
            end = self.buf.find(b"\r\n", pos)
            if end >= 0:
                return end
            self._fill()

    def _skip(self, pos: int) -> int:
        """Position just past the reply starting at `pos` (reading more as needed)."""
        end = self._line_end(pos)
        kind, head = self.buf[pos : pos + 1], self.buf[pos + 1 : end]
        pos = end + 2
        if kind in (b"$", b"=", b"!"):
            size = int(head)
            if size < 0:
                return pos
            while len(self.buf) < pos + size + 2:
                self._fill()
            return pos + size + 2
        if kind in (b"*", b"~", b">", b"%", b"|"):
            count = int(head)
            if kind in (b"%", b"|"):
                count *= 2
            for _ in range(max(count, 0)):
                pos = self._skip(pos)
        return pos

    def read(self) -> bytes:
        end = self._skip(0)
        raw, self.buf = self.buf[:end], self.buf[end:]
        return raw

    def send(self, *args: bytes | str | int) -> None:
        """Send one command without waiting for its reply (blocking commands, pipelines)."""
        self.sock.sendall(command_bytes(*args))

    def command(self, *args: bytes | str | int) -> bytes:
        self.send(*args)
        return self.read()

    def close(self) -> None:
        self.sock.close()


def _elements(raw: bytes) -> tuple[bytes, list[bytes]]:
    """Split an aggregate reply into its header and its top-level elements' raw bytes."""
    conn = WireConnection.__new__(WireConnection)
    conn.buf = raw
    end = conn._line_end(0)
    header, pos = raw[: end + 2], end + 2
    kind = raw[:1]
    if kind not in (b"*", b"~", b"%") or raw[1:2] == b"-":
        return raw, []
    count = int(raw[1:end]) * (2 if kind == b"%" else 1)
    items = []
    for _ in range(count):
        nxt = conn._skip(pos)
        items.append(raw[pos:nxt])
        pos = nxt
    if kind == b"%":
        items = [items[i] + items[i + 1] for i in range(0, len(items), 2)]
    return header, items


def unordered(raw: bytes) -> tuple[bytes, list[bytes]]:
    header, items = _elements(raw)
    return header, sorted(items)


class WirePair:
    """The same commands on pyredisai and on real Redis, one protocol version."""

    def __init__(self, ours: ServerProcess, real: ServerProcess, resp: int) -> None:
        self.resp = resp
        self.ours = WireConnection(ours.port, resp)
        self.real = WireConnection(real.port, resp)

    def run(self, script: list[str]) -> list[str]:
        """Run every line on both servers; return a description of each mismatch."""
        problems = []
        for line in script:
            sort = line.startswith("~")
            args = shlex.split(line[1:] if sort else line)
            ours, real = self.ours.command(*args), self.real.command(*args)
            same = unordered(ours) == unordered(real) if sort else ours == real
            if not same:
                problems.append(f"RESP{self.resp} {line}: pyredisai {ours!r} != redis {real!r}")
        return problems

    def flush(self) -> None:
        self.ours.command("FLUSHALL")
        self.real.command("FLUSHALL")

    def close(self) -> None:
        self.ours.close()
        self.real.close()


def keyevents(
    proc: ServerProcess, script: list[str], blocked: tuple[str, ...] = (), classes: str = "EAn"
) -> list[bytes]:
    """The __keyevent@0__ notifications ("event key") that `script` causes, in order.
    Each `blocked` command first waits on a connection of its own, to be served by the
    script."""
    control = WireConnection(proc.port, 2)
    listener = WireConnection(proc.port, 2)
    waiters: list[WireConnection] = []
    try:
        control.command("FLUSHALL")
        control.command("CONFIG", "SET", "notify-keyspace-events", classes)
        listener.command("PSUBSCRIBE", "__keyevent@0__:*")
        listener.command("SUBSCRIBE", "script-done")
        for line in blocked:
            waiter = WireConnection(proc.port, 2)
            waiters.append(waiter)
            waiter.send(*shlex.split(line))
            wait_blocked(control, len(waiters))
        for line in script:
            control.command(*shlex.split(line))
        for waiter in waiters:
            waiter.read()
        control.command("PUBLISH", "script-done", "1")
        events: list[bytes] = []
        while True:
            message = listener.read()
            if b"script-done" in message:
                return events
            parts = message.split(b"\r\n")
            events.append(parts[-4].rsplit(b":", 1)[-1] + b" " + parts[-2])
    finally:
        control.command("CONFIG", "SET", "notify-keyspace-events", "")
        for conn in (control, listener, *waiters):
            conn.close()


def wait_blocked(admin: WireConnection, count: int, timeout: float = 5.0) -> None:
    """Until INFO says `count` clients are blocked."""
    deadline = time.monotonic() + timeout
    while f"blocked_clients:{count}\r\n".encode() not in admin.command("INFO", "clients"):
        assert time.monotonic() < deadline, f"never reached {count} blocked clients"
        time.sleep(0.005)
