"""The snapshot file: a versioned, checksummed dump of every database.

Layout (all integers little-endian):

    b"PYREDISAI-SNAP\\n" u16 version u64 created_unix_ms u64 body_length
    body: ( 0xFE u32 db_index u64 key_count record* ) * 0xFF
    u32 crc32-of-body

    record = entry | string_batch           (key_count counts keys, not records)
    entry = u8 type_tag i64 expire_ms_or_-1 bytes key payload
    string_batch (version 2 on) = 0xFD u32 n u32 n_expiring u8 width
        2n lengths of `width` (1 or 2) bytes: key0 value0 key1 value1 ...
        n_expiring u32 indexes (ascending, into the batch's n keys)
        n_expiring i64 expire_ms
        the 2n strings back to back: key0 value0 key1 value1 ...

Version 2 added the string batch: plain strings whose key and value are under 64 KiB are
written in runs of up to 16384 keys / 1 MiB, their lengths as one array and their bytes as
one join, so SAVE and load spend a few C calls per thousand keys instead of several Python
calls and small writes per key (1M small keys: about 5x faster to write, 10x to read, and
40% smaller). Everything else is as in version 1, whose files the same loop still reads
(they contain no batch tag).

`bytes` is u64 length + data. Type tags are frozen on-disk identifiers, separate from the
Python classes (Redis src/rdb.h does the same): never renumber them; a new encoding gets a
new tag or a new file version, and the reader keeps decoding every old version. A file
with a newer version than this code knows is refused with a clear error.

The body length in the header lets a loader verify the checksum before decoding anything
(so a corrupt length field can't make it allocate wildly) and lets an append-only file
start with a snapshot preamble followed by commands.

Files are written to a temporary name, fsynced, renamed into place and the directory is
fsynced (Redis rdbSave). Loading parses the whole file into fresh databases and checks the
checksum before the caller swaps them in, so a corrupt or truncated file never leaves a
half-loaded keyspace.
"""

from __future__ import annotations

import os
import struct
import sys
import time
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from itertools import accumulate, islice
from typing import IO, Any

import numpy as np

MAGIC = b"PYREDISAI-SNAP\n"
VERSION = 2
DB_MARK = 0xFE
END_MARK = 0xFF
STRING_BATCH = 0xFD  # version 2: stands where an entry's type tag would
BATCH_MAX_KEYS = 16384
BATCH_MAX_BYTES = 1 << 20
BATCH_STRING_MAX = 1 << 16  # keys and values this long or longer are written as entries

_U8 = struct.Struct("<B")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")
_F64 = struct.Struct("<d")
_ENTRY = struct.Struct("<BqQ")  # type tag, expire, key length
_BATCH = struct.Struct("<BIIB")  # STRING_BATCH, keys, expiring keys, length width

_BIG_ENDIAN = sys.byteorder == "big"
_U32_CODE = "I" if array("I").itemsize == 4 else "L"
_LENGTH_CODES = {1: "B", 2: "H"}  # array typecodes of the batch length widths


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
    now = time.time_ns() // 1_000_000
    for index, data, expires in databases:
        if data:
            _dump_db(w, index, data, expires, now)
    w.write(bytes([END_MARK]))
    w.flush()
    fh.write(_U32.pack(w.crc))
    end = fh.tell()
    fh.seek(start + HEADER_SIZE - 8)
    fh.write(_U64.pack(w.size))
    fh.seek(end)
    return end - start


def _dump_db(
    w: Writer, index: int, data: dict[bytes, Any], expires: dict[bytes, int], now: int
) -> None:
    """One database, in chunks of BATCH_MAX_KEYS keys (read-only: safe in a fork child).

    A chunk of nothing but small plain strings with no expired key (the common case) is
    handled by whole-list C calls; any other chunk goes key by key."""
    count = len(data) - sum(1 for k, when in expires.items() if when <= now and k in data)
    w.write(bytes([DB_MARK]) + _U32.pack(index) + _U64.pack(count))
    key_iter, value_iter = iter(data), iter(data.values())  # same order: dict unchanged
    exp_get = expires.get
    while True:
        keys = list(islice(key_iter, BATCH_MAX_KEYS))
        if not keys:
            break
        values = list(islice(value_iter, len(keys)))
        if not _dump_string_chunk(w, keys, values, exp_get if expires else None, now):
            _dump_mixed_chunk(w, keys, values, exp_get if expires else None, now)


ExpGet = Callable[[bytes], "int | None"]


def _dump_string_chunk(
    w: Writer, keys: list[bytes], values: list[Any], exp_get: ExpGet | None, now: int
) -> bool:
    """Write the chunk as string batches if it is all small plain strings none of which
    has expired; returns False (having written nothing) otherwise."""
    if set(map(type, values)) != {bytes}:
        return False
    flat: list[bytes] = [b""] * (2 * len(keys))
    flat[::2] = keys
    flat[1::2] = values
    lengths = list(map(len, flat))
    top = max(lengths)
    if top >= BATCH_STRING_MAX:
        return False
    exp_index: list[int] = []
    exp_when: list[int] = []
    if exp_get is not None:
        whens = list(map(exp_get, keys))
        exp_index = [i for i, when in enumerate(whens) if when is not None]
        if exp_index:
            exp_when = [whens[i] for i in exp_index]  # type: ignore[misc]
            if min(exp_when) <= now:
                return False
    _write_strings(w, flat, lengths, exp_index, exp_when, top)
    return True


def _dump_mixed_chunk(
    w: Writer, keys: list[bytes], values: list[Any], exp_get: ExpGet | None, now: int
) -> None:
    encoders = _ENCODERS
    entry = _ENTRY.pack
    flat: list[bytes] = []  # the chunk's small plain strings, batched at the end
    exp_index: list[int] = []
    exp_when: list[int] = []
    for key, value in zip(keys, values, strict=True):
        when = -1
        if exp_get is not None:
            when = exp_get(key) or -1
            if when != -1 and when <= now:
                continue  # already expired: not worth writing
        if type(value) is int:  # a counter: written as its digits, read back as bytes
            value = b"%d" % value
        if type(value) is bytes and len(value) < BATCH_STRING_MAX and len(key) < BATCH_STRING_MAX:
            if when != -1:
                exp_index.append(len(flat) >> 1)
                exp_when.append(when)
            flat.append(key)
            flat.append(value)
            continue
        codec = encoders.get(type(value))
        if codec is None:
            raise SnapshotError(f"no snapshot codec for {type(value).__name__}")
        w.write(entry(codec[0], when, len(key)))
        w.write(key)
        codec[1](w, value)
    if flat:
        _write_strings(w, flat, list(map(len, flat)), exp_index, exp_when)


def _write_strings(
    w: Writer,
    flat: list[bytes],
    lengths: list[int],
    exp_index: list[int],
    exp_when: list[int],
    top: int = -1,
) -> None:
    """Key/value pairs (interleaved in `flat`) as batches of at most BATCH_MAX_BYTES
    (`top`: max(lengths) when the caller knows it)."""
    if sum(lengths) <= BATCH_MAX_BYTES:
        _write_batch(w, flat, lengths, exp_index, exp_when, max(lengths) if top < 0 else top)
        return
    pair_ends = list(accumulate(lengths))[1::2]  # bytes up to the end of each pair
    pairs = len(pair_ends)
    start = 0
    base = 0
    while start < pairs:
        stop = max(bisect_right(pair_ends, base + BATCH_MAX_BYTES, start), start + 1)
        lo = bisect_left(exp_index, start)
        hi = bisect_left(exp_index, stop, lo)
        lens = lengths[2 * start : 2 * stop]
        _write_batch(
            w,
            flat[2 * start : 2 * stop],
            lens,
            [i - start for i in exp_index[lo:hi]],
            exp_when[lo:hi],
            max(lens),
        )
        base = pair_ends[stop - 1]
        start = stop


def _write_batch(
    w: Writer,
    flat: list[bytes],
    lengths: list[int],
    exp_index: list[int],
    exp_when: list[int],
    top: int,
) -> None:
    width = 1 if top < 256 else 2
    w.write(_BATCH.pack(STRING_BATCH, len(flat) >> 1, len(exp_index), width))
    w.write(_le(array(_LENGTH_CODES[width], lengths)))
    if exp_index:
        w.write(_le(array(_U32_CODE, exp_index)))
        w.write(_le(array("q", exp_when)))
    w.write(b"".join(flat))


def _le(values: array[int]) -> memoryview:
    """The array's bytes in file order (little-endian)."""
    if _BIG_ENDIAN:
        values.byteswap()
    return memoryview(values).cast("B")


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

    Raises SnapshotError on a bad magic, newer version, truncation, checksum mismatch or
    a malformed body. Values are built fresh; nothing is applied to a live keyspace here."""
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
    try:
        dbs = _read_body(r, version)
    except SnapshotError:
        raise
    except Exception as exc:  # checksummed yet malformed (a writer bug): refuse, never crash
        raise SnapshotError(f"Bad snapshot body near offset {r.pos}: {exc}") from None
    if r.pos != HEADER_SIZE + body_len:
        raise SnapshotError("Trailing bytes inside the snapshot body")
    return dbs, HEADER_SIZE + body_len + 4


def _read_body(r: Reader, version: int) -> list[DbContents]:
    dbs: list[DbContents] = []
    decoders = _DECODERS
    batches = version >= 2
    while True:
        mark = r.u8()
        if mark == END_MARK:
            break
        if mark != DB_MARK:
            raise SnapshotError(f"Unexpected record type {mark} at offset {r.pos - 1}")
        index = int(_U32.unpack(r.take(4))[0])
        left = r.u64()
        data_: dict[bytes, Any] = {}
        expires: dict[bytes, int] = {}
        buf = r.data
        while left:
            if batches and r.pos < len(buf) and buf[r.pos] == STRING_BATCH:
                n = _read_batch(r, data_, expires)
                if n > left:
                    raise SnapshotError(f"A string batch overruns database {index}'s key count")
                left -= n
                continue
            tag, when, key_len = _ENTRY.unpack(r.take(_ENTRY.size))
            key = bytes(r.take(key_len))
            decode = decoders.get(tag)
            if decode is None:
                raise SnapshotError(f"Unknown value type {tag} for key {key!r}")
            data_[key] = decode(r)
            if when != -1:
                expires[key] = when
            left -= 1
        dbs.append((index, data_, expires))
    return dbs


_FORMAT_TABLES: dict[int, np.ndarray[Any, Any]] = {}


def _format_table(width: int) -> np.ndarray[Any, Any]:
    """Row n is the struct code for an n-byte string, padded with leading spaces to a
    fixed width (struct skips whitespace), so a batch's format is one numpy gather."""
    table = _FORMAT_TABLES.get(width)
    if table is None:
        digits = 3 if width == 1 else 5
        codes = "".join(f"{n:>{digits}}s" for n in range(1 << (8 * width)))
        table = np.frombuffer(codes.encode(), np.uint8).reshape(-1, digits + 1)
        _FORMAT_TABLES[width] = table
    return table


def _read_batch(r: Reader, data: dict[bytes, Any], expires: dict[bytes, int]) -> int:
    """Decode one string batch into `data` / `expires`; returns its key count.

    The struct format comes from the lengths by one numpy gather, and one unpack makes
    all 2n bytes objects in C."""
    _, n, n_exp, width = _BATCH.unpack(r.take(_BATCH.size))
    if width not in _LENGTH_CODES or n == 0 or n_exp > n:
        raise SnapshotError(f"Bad string batch header at offset {r.pos - _BATCH.size}")
    lengths = np.frombuffer(r.take(2 * n * width), "<u1" if width == 1 else "<u2")
    if n_exp:
        where = np.frombuffer(r.take(4 * n_exp), "<u4").tolist()
        whens = np.frombuffer(r.take(8 * n_exp), "<i8").tolist()
    blob = r.take(int(lengths.sum(dtype=np.int64)))
    fmt = b"<" + _format_table(width)[lengths].tobytes()
    strings = struct.Struct(fmt).unpack(blob)
    pairs = iter(strings)
    data.update(zip(pairs, pairs, strict=True))
    if n_exp:
        for i, when in zip(where, whens, strict=True):
            expires[strings[2 * i]] = when  # i >= n: IndexError, reported as corrupt
    return n
