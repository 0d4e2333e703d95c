"""The snapshot file: a versioned, checksummed dump of every database.

Layout (all integers little-endian):

    b"PYREDISAI-SNAP\\n" u16 version u64 created_unix_ms u64 body_length
    body: ( 0xFE u32 db_index u64 key_count
      ( u8 type_tag i64 expire_ms_or_-1 bytes key payload ) * key_count ) *
    0xFF
    u32 crc32-of-body

The body length in the header lets a loader verify the checksum before decoding anything
(so a corrupt length field can't make it allocate wildly) and lets an append-only file
start with a snapshot preamble followed by commands.

`bytes` is u64 length + data. Type tags are frozen on-disk identifiers, separate from the
Python classes (Redis src/rdb.h does the same): never renumber them; a new encoding gets a
new tag or a new file version, and the reader keeps decoding every old version. A file
with a newer version than this code knows is refused with a clear error.

Files are written to a temporary name, fsynced, renamed into place and the directory is
fsynced (Redis rdbSave). Loading parses the whole file into fresh databases and checks the
checksum before the caller swaps them in, so a corrupt or truncated file never leaves a
half-loaded keyspace.
"""

from __future__ import annotations

import os
import struct
import time
import zlib
from collections.abc import Callable, Iterable
from typing import IO, Any

MAGIC = b"PYREDISAI-SNAP\n"
VERSION = 1
DB_MARK = 0xFE
END_MARK = 0xFF

_U8 = struct.Struct("<B")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")
_F64 = struct.Struct("<d")
_ENTRY = struct.Struct("<BqQ")  # type tag, expire, key length


class SnapshotError(Exception):
    """The file cannot be loaded; the text says why (shown in the log and replies)."""


# --- value codecs --------------------------------------------------------------------


class Writer:
    """Buffered writer that keeps a running CRC; big payloads go straight to the file."""

    __slots__ = ("fh", "crc", "buf", "size")

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.crc = 0
        self.buf = bytearray()
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if len(data) >= 1 << 16:
            self.flush()
            self.crc = zlib.crc32(data, self.crc)
            self.fh.write(data)
            self.size += len(data)
        else:
            self.buf += data
            if len(self.buf) >= 1 << 20:
                self.flush()

    def flush(self) -> None:
        if self.buf:
            self.crc = zlib.crc32(self.buf, self.crc)
            self.fh.write(self.buf)
            self.size += len(self.buf)
            self.buf = bytearray()

    def bytes_(self, data: bytes | bytearray | memoryview) -> None:
        self.write(_U64.pack(len(data)))
        self.write(data)

    def str_(self, text: str) -> None:
        self.bytes_(text.encode())

    def u64(self, value: int) -> None:
        self.write(_U64.pack(value))

    def i64(self, value: int) -> None:
        self.write(_I64.pack(value))

    def f64(self, value: float) -> None:
        self.write(_F64.pack(value))


class Reader:
    """Reads from an in-memory view of the file (mmap or bytes), zero-copy slices."""

    __slots__ = ("data", "pos")

    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> memoryview:
        end = self.pos + n
        if end > len(self.data):
            raise SnapshotError("Short read: the snapshot file is truncated")
        view = self.data[self.pos : end]
        self.pos = end
        return view

    def u8(self) -> int:
        return int(self.take(1)[0])

    def u64(self) -> int:
        return int(_U64.unpack(self.take(8))[0])

    def i64(self) -> int:
        return int(_I64.unpack(self.take(8))[0])

    def f64(self) -> float:
        return float(_F64.unpack(self.take(8))[0])

    def bytes_(self) -> bytes:
        return bytes(self.take(self.u64()))

    def view(self) -> memoryview:
        return self.take(self.u64())

    def str_(self) -> str:
        return self.bytes_().decode()


Encode = Callable[[Writer, Any], None]
Decode = Callable[[Reader], Any]

_ENCODERS: dict[type, tuple[int, Encode]] = {}
_DECODERS: dict[int, Decode] = {}


def register_codec(cls: type, tag: int, encode: Encode, decode: Decode) -> None:
    """Value types register how they are written (tags are frozen on-disk identifiers)."""
    _ENCODERS[cls] = (tag, encode)
    _DECODERS[tag] = decode


def _enc_string(w: Writer, value: bytes) -> None:
    w.bytes_(value)


def _dec_string(r: Reader) -> bytes:
    return r.bytes_()


def _enc_items(w: Writer, value: Iterable[bytes], count: int) -> None:
    w.u64(count)
    for item in value:
        w.write(_U64.pack(len(item)))
        w.write(item)


def _enc_list(w: Writer, value: Any) -> None:
    _enc_items(w, value, len(value))


def _dec_list(r: Reader) -> Any:
    from collections import deque

    return deque(r.bytes_() for _ in range(r.u64()))


def _dec_set(r: Reader) -> Any:
    return {r.bytes_() for _ in range(r.u64())}


def _enc_hash(w: Writer, value: dict[bytes, bytes]) -> None:
    w.u64(len(value))
    for field, val in value.items():
        w.write(_U64.pack(len(field)))
        w.write(field)
        w.write(_U64.pack(len(val)))
        w.write(val)


def _dec_hash(r: Reader) -> dict[bytes, bytes]:
    out = {}
    for _ in range(r.u64()):
        field = r.bytes_()
        out[field] = r.bytes_()
    return out


def _register_builtin() -> None:
    from collections import deque

    register_codec(bytes, 0, _enc_string, _dec_string)
    _ENCODERS[bytearray] = (0, _enc_string)
    register_codec(deque, 1, _enc_list, _dec_list)
    register_codec(set, 2, _enc_list, _dec_set)
    register_codec(dict, 4, _enc_hash, _dec_hash)


_register_builtin()


# --- whole files ---------------------------------------------------------------------

DbContents = tuple[int, dict[bytes, Any], dict[bytes, int]]


def write_snapshot(path: str, databases: Iterable[DbContents]) -> int:
    """Write atomically (temp file, fsync, rename, fsync dir); returns the file size."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f"temp-{os.getpid()}-{time.monotonic_ns()}.snap")
    try:
        with open(tmp, "wb") as fh:
            size = dump(fh, databases)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fsync_dir(directory)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return size


HEADER_SIZE = len(MAGIC) + 2 + 8 + 8


def dump(fh: IO[bytes], databases: Iterable[DbContents]) -> int:
    """Write a snapshot at the file's current position (seekable); returns its size."""
    start = fh.tell()
    fh.write(MAGIC + _U16.pack(VERSION) + _U64.pack(time.time_ns() // 1_000_000) + _U64.pack(0))
    w = Writer(fh)
    encoders = _ENCODERS
    entry = _ENTRY.pack
    now = time.time_ns() // 1_000_000
    for index, data, expires in databases:
        if not data:
            continue
        live = [k for k, when in expires.items() if when <= now]
        count = len(data) - sum(1 for k in live if k in data)
        w.write(bytes([DB_MARK]) + _U32.pack(index) + _U64.pack(count))
        for key, value in data.items():
            when = expires.get(key, -1) if expires else -1
            if when != -1 and when <= now:
                continue  # already expired: not worth writing
            codec = encoders.get(type(value))
            if codec is None:
                raise SnapshotError(f"no snapshot codec for {type(value).__name__}")
            w.write(entry(codec[0], when, len(key)))
            w.write(key)
            codec[1](w, value)
    w.write(bytes([END_MARK]))
    w.flush()
    fh.write(_U32.pack(w.crc))
    end = fh.tell()
    fh.seek(start + HEADER_SIZE - 8)
    fh.write(_U64.pack(w.size))
    fh.seek(end)
    return end - start


def fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_snapshot(data: memoryview) -> tuple[list[DbContents], int]:
    """Parse a whole snapshot held in memory; returns (databases, bytes consumed).

    Raises SnapshotError on a bad magic, newer version, truncation or checksum mismatch.
    Values are built fresh; nothing is applied to a live keyspace here."""
    if len(data) < HEADER_SIZE or bytes(data[: len(MAGIC)]) != MAGIC:
        raise SnapshotError("Wrong signature: not a pyredisai snapshot file")
    r = Reader(data)
    r.take(len(MAGIC))
    version = _U16.unpack(r.take(2))[0]
    if version > VERSION:
        raise SnapshotError(
            f"Can't handle snapshot format version {version}: this server reads up to {VERSION}"
        )
    r.u64()  # creation time
    body_len = r.u64()
    if HEADER_SIZE + body_len + 4 > len(data):
        raise SnapshotError("Short read: the snapshot file is truncated")
    stored = _U32.unpack(data[HEADER_SIZE + body_len : HEADER_SIZE + body_len + 4])[0]
    actual = zlib.crc32(data[HEADER_SIZE : HEADER_SIZE + body_len])
    if stored != actual:
        raise SnapshotError(
            f"Wrong checksum: expected {stored:#010x}, got {actual:#010x} (the file is corrupt)"
        )
    r.data = data[: HEADER_SIZE + body_len]
    dbs: list[DbContents] = []
    decoders = _DECODERS
    while True:
        mark = r.u8()
        if mark == END_MARK:
            break
        if mark != DB_MARK:
            raise SnapshotError(f"Unexpected record type {mark} at offset {r.pos - 1}")
        index = int(_U32.unpack(r.take(4))[0])
        count = r.u64()
        data_: dict[bytes, Any] = {}
        expires: dict[bytes, int] = {}
        for _ in range(count):
            tag, when, key_len = _ENTRY.unpack(r.take(_ENTRY.size))
            key = bytes(r.take(key_len))
            decode = decoders.get(tag)
            if decode is None:
                raise SnapshotError(f"Unknown value type {tag} for key {key!r}")
            data_[key] = decode(r)
            if when != -1:
                expires[key] = when
        dbs.append((index, data_, expires))
    if r.pos != HEADER_SIZE + body_len:
        raise SnapshotError("Trailing bytes inside the snapshot body")
    return dbs, HEADER_SIZE + body_len + 4
