"""Side-by-side checks: the same raw RESP2 command on pyredisai and on a real redis-server.

Raw sockets (not redis-py) so that replies are compared exactly as sent: bulk strings stay
bytes, errors keep their full text, nothing is converted by response callbacks."""

from __future__ import annotations

from collections.abc import Iterator

from ..helpers import RawConnection, ServerProcess


class Pair:
    """One raw connection to each server; `same` asserts that both replies are equal."""

    def __init__(self, ours: ServerProcess, real: ServerProcess) -> None:
        self.ours = RawConnection(ours.port)
        self.real = RawConnection(real.port)

    def both(self, *args: bytes | str | int) -> tuple[object, object]:
        return self.ours.command(*args), self.real.command(*args)

    def same(self, *args: bytes | str | int) -> object:
        ours, real = self.both(*args)
        assert ours == real, f"{args!r}: pyredisai {ours!r} != redis {real!r}"
        return ours

    def close(self) -> None:
        self.ours.close()
        self.real.close()


def open_pair(server: ServerProcess, real_redis: ServerProcess) -> Iterator[Pair]:
    """Body of each test module's `pair` fixture: both servers flushed, then closed."""
    p = Pair(server, real_redis)
    p.both("FLUSHALL")
    yield p
    p.close()
