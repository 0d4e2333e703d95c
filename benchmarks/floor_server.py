"""The floor: the least a Python RESP server on uvloop + hiredis can do per request.

Issue #9 measures pyredisai against a ~120-line uvloop + hiredis server that only knows a
few commands (PERFORMANCE.md part B1: SET 0.77x, GET 0.59x of Redis at -P 16). This is
that server, for the workloads `resp` runs: PING, SET, GET, INCR, LPUSH, HSET, MSET and
FLUSHALL, plus INFO (its CPU section, which the harness reads) and CONFIG GET with an
empty value (redis-benchmark asks for it). Each does the cheapest thing that answers
right: counters are stored as ints (Redis's int encoding), a one-field HSET or LPUSH
takes no loop. Nothing else: no command table, no statistics, no slowlog, no LRU clock,
no dirty count, no proof that hiredis read the bytes as Redis would, no error checks
beyond a missing command. So what pyredisai costs on top of it, measured in
the same run (`python -m benchmarks resp --floor`), is the price of the full command
framework, and what it reaches against Redis bounds what any Python server on this
stack can. Not a server to use: it is wrong wherever the workloads do not look.

    python -m benchmarks.floor_server PORT
"""

from __future__ import annotations

import asyncio
import resource
import sys
from collections import deque
from typing import Any

import hiredis
import uvloop

OK = b"+OK\r\n"
NULL = b"$-1\r\n"
WRONG = b"-ERR unknown command\r\n"

data: dict[bytes, Any] = {}


def ping(argv: list[bytes]) -> bytes:
    return b"+PONG\r\n"


def set_(argv: list[bytes]) -> bytes:
    data[argv[1]] = argv[2]
    return OK


def get(argv: list[bytes]) -> bytes:
    value = data.get(argv[1])
    if value is None:
        return NULL
    if type(value) is int:  # a counter (see incr)
        value = b"%d" % value
    return b"$%d\r\n%b\r\n" % (len(value), value)


def incr(argv: list[bytes]) -> bytes:
    """Counters are stored as ints, as Redis's int encoding does: no parse, one format."""
    value = data.get(argv[1], 0)
    if type(value) is not int:
        value = int(value)
    value += 1
    data[argv[1]] = value
    return b":%d\r\n" % value


def lpush(argv: list[bytes]) -> bytes:
    items = data.get(argv[1])
    if items is None:
        items = data[argv[1]] = deque()
    if len(argv) == 3:
        items.appendleft(argv[2])
    else:
        items.extendleft(argv[2:])
    return b":%d\r\n" % len(items)


def hset(argv: list[bytes]) -> bytes:
    fields = data.get(argv[1])
    if fields is None:
        fields = data[argv[1]] = {}
    if len(argv) == 4:
        new = argv[2] not in fields
        fields[argv[2]] = argv[3]
        return b":1\r\n" if new else b":0\r\n"
    added = 0
    for i in range(2, len(argv), 2):
        added += argv[i] not in fields
        fields[argv[i]] = argv[i + 1]
    return b":%d\r\n" % added


def mset(argv: list[bytes]) -> bytes:
    data.update(zip(argv[1::2], argv[2::2], strict=True))
    return OK


def flushall(argv: list[bytes]) -> bytes:
    data.clear()
    return OK


def info(argv: list[bytes]) -> bytes:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    text = b"# CPU\r\nused_cpu_sys:%f\r\nused_cpu_user:%f\r\n" % (usage.ru_stime, usage.ru_utime)
    return b"$%d\r\n%b\r\n" % (len(text), text)


def config(argv: list[bytes]) -> bytes:
    """CONFIG GET <name>: the name and an empty value (redis-benchmark reads "save")."""
    name = argv[2] if len(argv) > 2 else b""
    return b"*2\r\n$%d\r\n%b\r\n$0\r\n\r\n" % (len(name), name)


HANDLERS = {
    name: handler
    for names, handler in (
        ((b"PING", b"ping"), ping),
        ((b"SET", b"set"), set_),
        ((b"GET", b"get"), get),
        ((b"INCR", b"incr"), incr),
        ((b"LPUSH", b"lpush"), lpush),
        ((b"HSET", b"hset"), hset),
        ((b"MSET", b"mset"), mset),
        ((b"FLUSHALL", b"flushall"), flushall),
        ((b"INFO", b"info"), info),
        ((b"CONFIG", b"config"), config),
    )
    for name in names
}


class FloorProtocol(asyncio.Protocol):
    """One read: feed hiredis, run every complete command, one write of all replies."""

    def __init__(self) -> None:
        self.reader = hiredis.Reader()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, chunk: bytes) -> None:
        find = HANDLERS.get
        replies = []
        if chunk[0] != 0x2A:  # '*': else inline commands (PING_INLINE), whole lines
            for argv in filter(None, map(bytes.split, chunk.split(b"\n"))):
                handler = find(argv[0])
                replies.append(handler(argv) if handler is not None else WRONG)
        else:
            reader = self.reader
            reader.feed(chunk)
            argv = reader.gets()
            while argv is not False:
                handler = find(argv[0])
                replies.append(handler(argv) if handler is not None else WRONG)
                argv = reader.gets()
        if replies and self.transport is not None:
            self.transport.write(b"".join(replies))


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(FloorProtocol, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def main() -> None:
    uvloop.run(serve(int(sys.argv[1])))


if __name__ == "__main__":
    main()
