"""A small closed-loop RESP load generator: N connections each keep `pipeline` copies of
one pre-encoded request in flight and count replies of a known exact length.

Used identically for every server under test, so ratios reflect the servers. Replies
are not parsed: the caller checks one reply beforehand and gives its byte length, and the
generator only counts bytes (received into one reusable buffer), which keeps its own cost
per request tiny even for 100 MB replies.

Run: python -m benchmarks.loadgen --port P --request-file F --reply-len N [...]
prints one JSON object: completed requests in the measured window, req/s, latencies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

RECV_BUFFER = 4 * 1024 * 1024


class _Conn(asyncio.BufferedProtocol):
    """One connection's closed loop; see the module docstring."""

    def __init__(self, gen: _Gen) -> None:
        self.gen = gen
        self.transport: asyncio.Transport | None = None
        self.buffer = memoryview(bytearray(RECV_BUFFER))
        self.pending = 0  # bytes still expected of the oldest reply in flight
        self.sent_at: list[float] = []
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        for _ in range(self.gen.pipeline):
            self._send()
        self.pending = self.gen.reply_len

    def _send(self) -> None:
        assert self.transport is not None
        self.sent_at.append(time.perf_counter())
        self.transport.write(self.gen.request)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        gen = self.gen
        finished = 0
        while nbytes >= self.pending:
            nbytes -= self.pending
            self.pending = gen.reply_len
            finished += 1
        self.pending -= nbytes
        if not finished:
            return
        now = time.perf_counter()
        sent_at = self.sent_at
        for started in sent_at[:finished]:
            gen.done(now, now - started)
        del sent_at[:finished]
        assert self.transport is not None
        if not gen.stopping:
            # Replace every finished request with one write (one syscall per callback).
            sent_at.extend([now] * finished)
            if finished == 1:
                self.transport.write(gen.request)
            else:
                self.transport.writelines([gen.request] * finished)
        elif not sent_at:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class _Gen:
    def __init__(
        self, request: bytes, reply_len: int, pipeline: int, window: tuple[float, float]
    ) -> None:
        self.request = request
        self.reply_len = reply_len
        self.pipeline = pipeline
        self.window_start, self.window_end = window
        self.stopping = False
        self.total = 0
        self.in_window = 0
        self.latencies: list[float] = []
        self.last_done = 0.0
        self.max_gap = 0.0  # longest time without any reply: shows server or client stalls

    def done(self, now: float, latency: float) -> None:
        self.total += 1
        if self.window_start <= now <= self.window_end:
            self.in_window += 1
            self.latencies.append(latency)
            if self.last_done:
                self.max_gap = max(self.max_gap, now - self.last_done)
        self.last_done = now


async def run(
    port: int,
    request: bytes,
    reply_len: int,
    connections: int,
    pipeline: int,
    duration: float,
    warmup: float,
    host: str = "127.0.0.1",
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    gen = _Gen(request, reply_len, pipeline, (start + warmup, start + warmup + duration))
    conns = []
    for _ in range(connections):
        _transport, proto = await loop.create_connection(lambda: _Conn(gen), host, port)
        conns.append(proto)
    await asyncio.sleep(max(0.0, gen.window_end - time.perf_counter()))
    gen.stopping = True
    await asyncio.wait([c.closed for c in conns], timeout=120)
    lat = sorted(gen.latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

    return {
        "completed": gen.in_window,
        "total": gen.total,
        "rps": gen.in_window / duration,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_gap_ms": gen.max_gap * 1000,
        "connections": connections,
        "pipeline": pipeline,
        "duration_s": duration,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--request-file", required=True)
    ap.add_argument("--reply-len", type=int, required=True)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--pipeline", type=int, default=1)
    ap.add_argument("--duration", type=float, default=2.0)
    ap.add_argument("--warmup", type=float, default=0.5)
    args = ap.parse_args()
    with open(args.request_file, "rb") as f:
        request = f.read()
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    result = runner(
        run(
            args.port,
            request,
            args.reply_len,
            args.connections,
            args.pipeline,
            args.duration,
            args.warmup,
        )
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
