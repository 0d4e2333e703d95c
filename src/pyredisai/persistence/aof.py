"""The append-only file: every write, as the commands that reproduce it.

Commands arrive from the server's single propagation point as (db index, argv) — effects,
never computations: AI.MODELEXECUTE arrives as the AI.TENSORSET of its outputs, so replay
never re-runs a model. They are RESP multibulk, with a SELECT whenever the database
changes, so the file is readable by redis-check-aof-style tools.

Durability (`appendfsync`):
* always   - `flush()` writes and fsyncs before the loop writes the replies of the batch
             that produced the commands (the server calls it before replying), so every
             acknowledged write is on disk;
* everysec - `flush()` writes before replying; a background thread fsyncs once a second;
* no       - `flush()` writes; the kernel decides when to sync.

A rewrite (BGREWRITEAOF) writes a snapshot preamble of the whole dataset in a forked
child, while the parent keeps appending new commands both to the old file and to a
rewrite buffer; when the child is done, the buffer is appended to the new file, which
then atomically replaces the old one (Redis 6's single-file layout with an RDB preamble).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import IO

from ..errors import ProtocolError
from ..protocol.reader import PyParser
from .snapshot import MAGIC, DbContents, SnapshotError, fsync_dir, read_snapshot


def encode_command(argv: list[bytes]) -> bytes:
    parts = [b"*%d\r\n" % len(argv)]
    for arg in argv:
        parts.append(b"$%d\r\n" % len(arg))
        parts.append(bytes(arg) if type(arg) is not bytes else arg)
        parts.append(b"\r\n")
    return b"".join(parts)


def wire_length(argv: list[bytes]) -> int:
    n = 3 + len(str(len(argv)))
    for arg in argv:
        n += 5 + len(str(len(arg))) + len(arg)
    return n


class AppendOnlyFile:
    """Loop thread only, except the everysec fsync thread, which touches just the fd."""

    def __init__(self, path: str, fsync_policy: str) -> None:
        self.path = path
        self.policy = fsync_policy
        self.fh: IO[bytes] = open(path, "ab")  # noqa: SIM115
        self.buf: list[bytes] = []
        self.current_db = -1
        self.rewrite_buf: list[bytes] | None = None
        self.size = self.fh.tell()
        self.base_size = self.size
        self.last_write_error: str | None = None
        self.pending_fsync = False
        self.last_fsync = time.monotonic()
        self.delayed_fsync = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()  # serialises fsync with close/replace
        self._thread: threading.Thread | None = None
        if fsync_policy == "everysec":
            self._start_fsync_thread()

    # -- feeding ----------------------------------------------------------------------
    def feed(self, db_index: int, argv: list[bytes]) -> None:
        if db_index != self.current_db:
            select = encode_command([b"SELECT", str(db_index).encode()])
            self.buf.append(select)
            if self.rewrite_buf is not None:
                self.rewrite_buf.append(select)
            self.current_db = db_index
        data = encode_command(argv)
        self.buf.append(data)
        if self.rewrite_buf is not None:
            self.rewrite_buf.append(data)

    def flush(self) -> None:
        """Write buffered commands (and fsync under `always`). Call before replying."""
        if not self.buf:
            return
        data = b"".join(self.buf)
        self.buf.clear()
        try:
            self.fh.write(data)
            self.fh.flush()
            if self.policy == "always":
                os.fsync(self.fh.fileno())
            else:
                self.pending_fsync = True
            self.size += len(data)
            self.last_write_error = None
        except OSError as exc:
            self.last_write_error = str(exc)
            raise

    def fsync_now(self) -> None:
        with self._lock:
            if not self.fh.closed:
                os.fsync(self.fh.fileno())
        self.pending_fsync = False
        self.last_fsync = time.monotonic()

    def _start_fsync_thread(self) -> None:
        def loop() -> None:
            while not self._stop.wait(1.0):
                if self.pending_fsync:
                    try:
                        self.fsync_now()
                    except (OSError, ValueError):
                        pass

        self._thread = threading.Thread(target=loop, name="pyredisai-aof-fsync", daemon=True)
        self._thread.start()

    def set_policy(self, policy: str) -> None:
        self.policy = policy
        if policy == "everysec" and self._thread is None:
            self._start_fsync_thread()

    def close(self) -> None:
        self.flush()
        self._stop.set()
        with self._lock:
            try:
                os.fsync(self.fh.fileno())
            except OSError:
                pass
            self.fh.close()

    # -- rewrite ----------------------------------------------------------------------
    def start_rewrite(self) -> None:
        self.rewrite_buf = []
        # The new file starts from a snapshot: its commands must begin with a SELECT.
        self.current_db = -1

    def finish_rewrite(self, tmp_path: str) -> None:
        """Append what arrived during the rewrite to `tmp_path` and swap it in."""
        assert self.rewrite_buf is not None
        self.flush()
        tail = b"".join(self.rewrite_buf)
        self.rewrite_buf = None
        with open(tmp_path, "ab") as fh:
            fh.write(tail)
            fh.flush()
            os.fsync(fh.fileno())
        with self._lock:
            os.replace(tmp_path, self.path)
            fsync_dir(os.path.dirname(os.path.abspath(self.path)))
            self.fh.close()
            self.fh = open(self.path, "ab")  # noqa: SIM115
        self.size = self.fh.tell()
        self.base_size = self.size

    def abort_rewrite(self) -> None:
        self.rewrite_buf = None


class TruncatedAOF(Exception):
    """The file ends in the middle of a command; `valid_length` bytes are whole."""

    def __init__(self, valid_length: int) -> None:
        super().__init__(f"truncated at {valid_length}")
        self.valid_length = valid_length


def read_aof(
    data: memoryview,
) -> tuple[list[DbContents] | None, Iterator[list[bytes]], list[int]]:
    """Split an append-only file into its snapshot preamble (if any) and commands.

    Returns (preamble databases or None, iterator of argv, end_offset holder). The iterator
    raises TruncatedAOF when the last command is cut short and ProtocolError on garbage."""
    start = 0
    preamble: list[DbContents] | None = None
    if len(data) >= len(MAGIC) and bytes(data[: len(MAGIC)]) == MAGIC:
        preamble, start = read_snapshot(data)
    end_holder = [start]

    def commands() -> Iterator[list[bytes]]:
        parser = PyParser()
        pos = start
        whole = start  # end of the last whole command (our writer encodes canonically)
        step = 1 << 20
        out: list[list[bytes]] = []
        while pos < len(data):
            chunk = data[pos : pos + step]
            parser.feed(chunk)
            pos += len(chunk)
            parser.parse(out)
            for argv in out:
                whole += wire_length(argv)
                end_holder[0] = whole
                yield argv
            out.clear()
        if not parser.idle():
            raise TruncatedAOF(whole)

    return preamble, commands(), end_holder


__all__ = [
    "AppendOnlyFile",
    "ProtocolError",
    "SnapshotError",
    "TruncatedAOF",
    "encode_command",
    "read_aof",
]
