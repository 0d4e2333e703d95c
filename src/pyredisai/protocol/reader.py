"""Request reader: socket bytes -> argv lists, with Redis's limits and error texts.

Two parsers cooperate behind `RequestReader`:

* the fast path feeds whole receive buffers to `hiredis.Reader` and drains every complete
  multibulk command from it, checking each one's wire layout so that its exact position in
  the buffer stays known (hiredis exposes none);
* `PyParser`, a pure-Python incremental parser with Redis's `processInputBuffer`
  semantics, handles everything else: inline commands (telnet / redis-cli style), the
  command that straddles two receive buffers, malformed input (so the error text is exactly
  Redis's), unauthenticated clients (tighter limits) and big bulk arguments, which it
  receives straight into their final bytearray through `get_buffer` (one copy, kernel ->
  final buffer; the tensor code wraps it without copying). As soon as it stands at a
  command boundary again it hands the rest of the buffer back to hiredis.

When hiredis is not importable, `PyParser` does all the work. The choice is made once, at
import. Call order for a connection: `get_buffer(hint)` -> (kernel fills it) ->
`buffer_updated(n)` -> list of argv plus an optional ProtocolError; after an error the
connection must send it and close. When `buffered()` exceeds the query-buffer limit after
`buffer_updated`, the connection must close without a reply (Redis checks before parsing,
so the reader then parses nothing from that read).
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from .. import errors
from ..errors import ProtocolError

try:  # pragma: no cover - exercised by both test parametrisations
    import hiredis

    HAVE_HIREDIS = True
except ImportError:  # pragma: no cover
    hiredis = None  # type: ignore[assignment]
    HAVE_HIREDIS = False

Argv = list[bytes]

INLINE_MAX = 64 * 1024  # PROTO_INLINE_MAX_SIZE
BIG_ARG = 32 * 1024  # PROTO_MBULK_BIG_ARG: bulks this big are received in place
# Big bulks at least this long of an AI.* command are received into a bytearray (the
# tensor and model code wrap it without copying). Every other argument is bytes, received
# in place too (`_bulk_bytes`): it can serve as a dict key, and the string, list and hash
# handlers (native code in the compiled build, see setup.py) take arguments as `bytes`.
KEEP_BYTEARRAY = 1024 * 1024
RECV_SIZE = 64 * 1024
INT_MAX = 2**31 - 1
UNAUTH_MAX_MULTIBULK = 10
UNAUTH_MAX_BULK = 16384

# hiredis builds a list of the declared size as soon as it reads an aggregate header and
# frees it item by item: "*2147483647\r\n" costs seconds of loop time. Headers with six or
# more digits never start a command that fits one receive buffer, so hiredis stops short
# of the first one and PyParser reads from there (false hits in bulk data only cost speed).
_HUGE_ANY = re.compile(rb"[*~>|][0-9]{6}").search  # ~5 ns/byte: for short buffers only
_HUGE_STAR = re.compile(rb"\*[0-9]{6}").search  # literal prefix: a fast scan
_HUGE_OTHER = tuple(
    (ord(c), re.compile(re.escape(c.encode()) + rb"[0-9]{6}").search) for c in "~>|"
)


def _huge_aggregate_at(buf: bytearray, start: int, end: int) -> int:
    """Offset of the first aggregate header with a 6+ digit count in buf[start:end], or -1."""
    if end - start <= 96:
        found = _HUGE_ANY(buf, start, end)
        return found.start() if found is not None else -1
    found = _HUGE_STAR(buf, start, end)
    first = found.start() if found is not None else end
    for char, search in _HUGE_OTHER:
        if buf.find(char, start, first) >= 0:
            found = search(buf, start, first)
            if found is not None:
                first = found.start()
    return first if first < end else -1


try:
    _resize = ctypes.pythonapi.PyByteArray_Resize
    _resize.argtypes = [ctypes.py_object, ctypes.c_ssize_t]
    _resize.restype = ctypes.c_int
    _new_bytes = ctypes.pythonapi.PyBytes_FromStringAndSize
    _new_bytes.argtypes = [ctypes.c_void_p, ctypes.c_ssize_t]
    _new_bytes.restype = ctypes.py_object
except (AttributeError, OSError):  # pragma: no cover - not CPython
    _resize = None  # type: ignore[assignment]
    _new_bytes = None  # type: ignore[assignment]
_BYTES_DATA = bytes.__basicsize__ - 1  # offset of a bytes object's data (PyBytesObject.ob_sval)


def _bulk_buffer(size: int) -> bytearray:
    """A bytearray of `size` bytes that is not zero-filled first.

    bytearray(n) writes every byte: for a declared 512 MB bulk that stalls the loop about a
    second and commits the memory before any of it arrives (Redis only reserves it). The
    kernel writes every byte of this buffer before anyone reads it.
    """
    buf = bytearray()
    if _resize is not None and _resize(buf, size) == 0:
        return buf
    return bytearray(size)  # pragma: no cover


def _bulk_bytes(size: int) -> tuple[bytes | bytearray, memoryview]:
    """A bulk of `size` bytes received straight into the `bytes` object it will be, and a
    writable view of its data for the kernel.

    What CPython's own readers do (os.read, socket.recv): create the bytes object
    uninitialised and fill it before anyone else sees it. Nothing hashes or reads it until
    the parser hands it over complete, so a big argument costs one copy, kernel to final
    object, and is still hashable. Without the C API: a bytearray, converted at the end.
    Only for big bulks: sizes 0 and 1 would return CPython's shared singletons.
    """
    assert size >= BIG_ARG
    if _new_bytes is None:  # not CPython
        buf = bytearray(size)
        return buf, memoryview(buf)
    obj: bytes = _new_bytes(None, size)
    data = (ctypes.c_char * size).from_address(id(obj) + _BYTES_DATA)
    return obj, memoryview(data).cast("B")


@dataclass
class ReaderLimits:
    """Redis's protocol limits; CONFIG SET updates the shared instance."""

    proto_max_bulk_len: int = 512 * 1024 * 1024
    client_query_buffer_limit: int = 1024 * 1024 * 1024


DEFAULT_LIMITS = ReaderLimits()


def _strict_int(data: bytes | bytearray) -> int | None:
    """Redis's string2ll: optional '-', digits, no '+', no spaces, no leading zeros."""
    if not data or len(data) > 20:
        return None
    if data[0] == 0x2D:  # '-'
        digits = data[1:]
        if not digits or digits[0] == 0x30:
            return None
    else:
        digits = data
        if digits[0] == 0x30 and len(digits) > 1:
            return None
    if not digits.isdigit():
        return None
    value = int(data)
    if not -(2**63) <= value < 2**63:
        return None
    return value


def _error_char(byte: int) -> str:
    """A request byte as Redis's "%c" puts it in an error: CR/LF become spaces, others raw."""
    if byte in (10, 13):
        return " "
    return bytes((byte,)).decode("utf-8", "surrogateescape")


_ESCAPES = {
    ord("n"): 10,
    ord("r"): 13,
    ord("t"): 9,
    ord("b"): 8,
    ord("a"): 7,
}
_HEX = b"0123456789abcdefABCDEF"
_SPACE = b" \n\r\t\x0b\x0c\x00"  # isspace(), plus the C string's terminator


# Bytes that make sdssplitargs differ from bytes.split(): quotes, and the C terminator,
# VT and FF (sdssplitargs skips those only between words, never inside one).
_INLINE_SPECIAL = re.compile(rb"[\"'\x00\x0b\x0c]").search


def split_inline(line: bytes | bytearray) -> Argv | None:
    """sdssplitargs: split an inline command line; None means unbalanced quotes."""
    if _INLINE_SPECIAL(line) is None:  # the usual line: words between spaces and tabs
        return line.split()  # type: ignore[return-value]  # bytes in, bytes out
    return split_inline_bytewise(line)


def split_inline_bytewise(line: bytes | bytearray) -> Argv | None:
    """sdssplitargs byte by byte: quotes, escapes, VT/FF and NUL as Redis reads them."""
    args: Argv = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in _SPACE:
            i += 1
        if i >= n:
            return args
        current = bytearray()
        in_dq = in_sq = False
        while True:
            if in_dq:
                if i >= n:
                    return None
                c = line[i]
                if (
                    c == 0x5C
                    and i + 3 < n
                    and line[i + 1] == 0x78  # 'x'
                    and line[i + 2] in _HEX
                    and line[i + 3] in _HEX
                ):
                    current.append(int(line[i + 2 : i + 4], 16))
                    i += 3
                elif c == 0x5C and i + 1 < n:
                    i += 1
                    current.append(_ESCAPES.get(line[i], line[i]))
                elif c == 0x22:
                    if i + 1 < n and line[i + 1] not in _SPACE:
                        return None
                    in_dq = False
                    i += 1
                    break
                else:
                    current.append(c)
            elif in_sq:
                if i >= n:
                    return None
                c = line[i]
                if c == 0x5C and i + 1 < n and line[i + 1] == 0x27:
                    i += 1
                    current.append(0x27)
                elif c == 0x27:
                    if i + 1 < n and line[i + 1] not in _SPACE:
                        return None
                    in_sq = False
                    i += 1
                    break
                else:
                    current.append(c)
            else:
                if i >= n:
                    break
                c = line[i]
                if c in b" \n\r\t\x00":
                    break
                if c == 0x22:
                    in_dq = True
                elif c == 0x27:
                    in_sq = True
                else:
                    current.append(c)
            i += 1
        args.append(bytes(current))


def _line_end(buf: bytearray, pos: int, char: bytes) -> int:
    """strchr(buf + pos, char): a NUL before `char` hides it, as in Redis's C string search."""
    end = buf.find(char, pos)
    if end > pos and buf.find(0, pos, end) >= 0:
        return -1
    return end


class PyParser:
    """Incremental pure-Python request parser (Redis processInputBuffer semantics).

    Call order: `feed(data)` (or `big_received(n)` after the kernel wrote into
    `big_view()`), then `parse(out, handback)`; `buffered()` is what Redis's query-buffer
    limit counts: unparsed bytes plus the big bulk received so far.
    """

    __slots__ = (
        "buf",
        "pos",
        "argc_left",
        "argv",
        "bulk_len",
        "big",
        "big_mem",
        "big_filled",
        "skip",
        "limits",
        "authenticated",
    )

    def __init__(self, limits: ReaderLimits = DEFAULT_LIMITS) -> None:
        self.buf = bytearray()
        self.pos = 0
        self.argc_left = 0  # args still expected by the multibulk in progress
        self.argv: Argv = []
        self.bulk_len = -1  # declared length of the bulk being read, -1 before its header
        self.big: bytes | bytearray | None = None  # big bulk received in place
        self.big_mem: memoryview | None = None  # writable view of `big`
        self.big_filled = 0
        self.skip = 0  # CRLF bytes still to skip after a big bulk
        self.limits = limits
        self.authenticated = True

    # -- state -------------------------------------------------------------------------
    def idle(self) -> bool:
        """True when no command is in progress and nothing is buffered."""
        return (
            self.argc_left == 0
            and self.big is None
            and self.skip == 0
            and len(self.buf) == self.pos
        )

    def buffered(self) -> int:
        return len(self.buf) - self.pos + self.big_filled

    def big_view(self) -> memoryview | None:
        """Where the kernel should write next: the big bulk's missing part, if any."""
        big = self.big_mem
        if big is None or self.big_filled == len(big):
            return None
        return big[self.big_filled :]

    def big_received(self, n: int) -> None:
        assert self.big is not None
        self.big_filled += n

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        if self.pos and self.pos == len(self.buf):
            self.buf.clear()
            self.pos = 0
        self.buf += data

    def clear(self) -> None:
        """Drop buffered bytes (the fast path took them); only valid at a boundary."""
        self.buf.clear()
        self.pos = 0

    # -- parsing -----------------------------------------------------------------------
    def parse(self, out: list[Argv], handback: bool = False) -> bool:
        """Append every complete command to `out`; raise ProtocolError on bad input.

        With `handback`, stop at the first command boundary after some progress where a
        multibulk (or nothing) follows, and return True: the fast path may take over at
        `self.pos`. Otherwise return False: waiting for more bytes.
        """
        try:
            return self._parse(out, handback)
        finally:
            if self.pos > 65536 or (self.pos and self.pos == len(self.buf)):
                del self.buf[: self.pos]
                self.pos = 0

    def _parse(self, out: list[Argv], handback: bool) -> bool:
        buf = self.buf
        progressed = False
        while True:
            if self.big is not None:
                big = self.big
                if self.big_filled < len(big):
                    # Bytes that arrived through the small buffer while a big bulk was in
                    # progress (only before get_buffer switched) go into place.
                    take = min(len(buf) - self.pos, len(big) - self.big_filled)
                    if take <= 0:
                        return False
                    assert self.big_mem is not None
                    self.big_mem[self.big_filled : self.big_filled + take] = memoryview(buf)[
                        self.pos : self.pos + take
                    ]
                    self.big_filled += take
                    self.pos += take
                    if self.big_filled < len(big):
                        return False
                if type(big) is bytearray and not (
                    len(big) >= KEEP_BYTEARRAY and self._ai_command()
                ):
                    big = bytes(big)  # `_bulk_bytes` without CPython's C API
                self.argv.append(big)  # type: ignore[arg-type]
                self.big = self.big_mem = None
                self.big_filled = 0
                self.bulk_len = -1
                self.skip = 2
                self.argc_left -= 1
                if self.argc_left == 0:
                    out.append(self.argv)
                    self.argv = []
                    progressed = True
            if self.skip:
                take = min(self.skip, len(buf) - self.pos)
                self.pos += take
                self.skip -= take
                if self.skip:
                    return False
            if self.argc_left == 0:
                if self.pos >= len(buf):
                    return handback
                if buf[self.pos] == 0x2A:  # '*'
                    if handback and progressed:
                        return True
                    if not self._multibulk_header():
                        return False
                    if self.argc_left == 0:
                        progressed = True
                        continue  # *0 or negative: ignored, like Redis
                else:
                    argv = self._inline()
                    if argv is None:
                        return False
                    if argv:
                        out.append(argv)
                    progressed = True
                    continue
            # bulk arguments of the multibulk in progress
            while self.argc_left:
                if self.bulk_len < 0:
                    pos = self.pos
                    nl = _line_end(buf, pos, b"\r")
                    if nl < 0:
                        if len(buf) - pos > INLINE_MAX:
                            raise ProtocolError(errors.PROTO_BIG_BULK)
                        return False
                    if len(buf) < nl + 2:
                        return False
                    if buf[pos] != 0x24:  # '$'
                        raise ProtocolError(
                            errors.PROTO_EXPECTED_DOLLAR.format(_error_char(buf[pos]))
                        )
                    value = _strict_int(buf[pos + 1 : nl])
                    if value is None or value < 0 or value > self.limits.proto_max_bulk_len:
                        raise ProtocolError(errors.PROTO_INVALID_BULK)
                    if not self.authenticated and value > UNAUTH_MAX_BULK:
                        raise ProtocolError(errors.PROTO_UNAUTH_BULK)
                    self.pos = nl + 2
                    self.bulk_len = value
                    if value >= BIG_ARG and len(buf) - self.pos < value + 2:
                        # Receive the rest in place: one copy from the kernel.
                        if value >= KEEP_BYTEARRAY and self._ai_command():
                            self.big = _bulk_buffer(value)
                            self.big_mem = memoryview(self.big)
                        else:
                            self.big, self.big_mem = _bulk_bytes(value)
                        self.big_filled = 0
                        break
                need = self.bulk_len + 2
                pos = self.pos
                if len(buf) - pos < need:
                    return False
                size = self.bulk_len
                if size < 8192:
                    self.argv.append(bytes(buf[pos : pos + size]))
                else:
                    self.argv.append(bytes(memoryview(buf)[pos : pos + size]))
                self.pos = pos + need  # Redis skips the CRLF without checking it
                self.bulk_len = -1
                self.argc_left -= 1
            else:
                out.append(self.argv)
                self.argv = []
                progressed = True

    def _ai_command(self) -> bool:
        """The multibulk in progress is an AI.* command (its name has arrived)."""
        return bool(self.argv) and self.argv[0][:3].upper() == b"AI."

    def _multibulk_header(self) -> bool:
        buf = self.buf
        nl = _line_end(buf, self.pos, b"\r")
        if nl < 0:
            if len(buf) - self.pos > INLINE_MAX:
                raise ProtocolError(errors.PROTO_BIG_MBULK)
            return False
        if len(buf) < nl + 2:
            return False
        value = _strict_int(buf[self.pos + 1 : nl])
        if value is None or value > INT_MAX:
            raise ProtocolError(errors.PROTO_INVALID_MULTIBULK)
        if not self.authenticated and value > UNAUTH_MAX_MULTIBULK:
            raise ProtocolError(errors.PROTO_UNAUTH_MULTIBULK)
        self.pos = nl + 2
        self.argc_left = max(value, 0)
        self.argv = []
        self.bulk_len = -1
        return True

    def _inline(self) -> Argv | None:
        buf = self.buf
        nl = _line_end(buf, self.pos, b"\n")
        if nl < 0:
            if len(buf) - self.pos > INLINE_MAX:
                raise ProtocolError(errors.PROTO_BIG_INLINE)
            return None
        end = nl - 1 if nl > self.pos and buf[nl - 1] == 0x0D else nl
        line = bytes(buf[self.pos : end])
        self.pos = nl + 1
        argv = split_inline(line)
        if argv is None:
            raise ProtocolError(errors.PROTO_UNBALANCED_QUOTES)
        return argv


class _Irregular(Exception):
    """A command hiredis accepted but Redis would read differently: PyParser decides."""


class RequestReader:
    """Per-connection reader; see the module docstring for the call order."""

    __slots__ = (
        "_hiredis",
        "_canonical_first",
        "_into_big",
        "_limits",
        "_py",
        "_small",
        "_small_view",
        "slow",
        "use_hiredis",
    )

    def __init__(self, limits: ReaderLimits = DEFAULT_LIMITS, use_hiredis: bool = True) -> None:
        self.use_hiredis = use_hiredis and HAVE_HIREDIS
        self._hiredis = _new_hiredis() if self.use_hiredis else None
        self._limits = limits
        self._py = PyParser(limits)
        # True while PyParser owns the stream; only then can `buffered()` be non-zero
        self.slow = not self.use_hiredis
        self._small = bytearray(RECV_SIZE)
        self._small_view = memoryview(self._small)
        self._into_big = False  # whether the last get_buffer handed out the big bulk
        self._canonical_first = _COMPILED  # see _COMPILED

    def set_authenticated(self, value: bool) -> None:
        """Unauthenticated clients get Redis's tighter limits, enforced by PyParser."""
        self._py.authenticated = value
        if not value:
            self.slow = True

    def get_buffer(self, sizehint: int) -> memoryview:
        if self.slow:
            view = self._py.big_view()
            self._into_big = view is not None  # read by buffer_updated only while slow
            if view is not None:
                return view
        return self._small_view

    def buffered(self) -> int:
        return self._py.buffered() if self.slow else 0

    def buffer_updated(self, nbytes: int) -> tuple[list[Argv], ProtocolError | None]:
        out: list[Argv] = []
        py = self._py
        try:
            if self.slow:
                if self._into_big:
                    # The kernel wrote straight into the big bulk's buffer.
                    py.big_received(nbytes)
                else:
                    py.feed(self._small_view[:nbytes])
                if py.buffered() > self._limits.client_query_buffer_limit:
                    return out, None  # the caller closes on buffered(), before any parsing
                self._drain_slow(out)
            elif self._small[0] != 0x2A:  # '*'
                if nbytes > _PLAIN_MAX or not self._inline_lines(nbytes, out):
                    self.slow = True
                    py.feed(self._small_view[:nbytes])
                    self._drain_slow(out)
            elif self._canonical_first:
                consumed = _canonical(self._small_view[:nbytes].tobytes(), out)
                if consumed != nbytes:
                    self._read_on(consumed, nbytes, out)
            elif not (
                (nbytes <= _SPLIT_MAX and self._split(nbytes, out))
                or (nbytes <= _PLAIN_MAX and self._quick(nbytes, out))
            ):
                self._read_on(0, nbytes, out)
        except ProtocolError as exc:
            return out, exc
        return out, None

    def _read_on(self, start: int, nbytes: int, out: list[Argv]) -> None:
        """The read from `start` on, where the whole-read paths stopped: hiredis with
        `_fast`'s proofs, then PyParser from the first byte those leave."""
        consumed = self._fast(self._small, start, nbytes, out)
        if consumed != nbytes:
            self.slow = True
            self._py.feed(self._small_view[consumed:nbytes])
            self._drain_slow(out)

    def _inline_lines(self, nbytes: int, out: list[Argv]) -> bool:
        """A read of whole inline commands (telnet, redis-benchmark PING_INLINE).

        With no '*' anywhere (no multibulk can start), no byte that `split_inline`
        treats specially and a final newline, each line is its words: `bytes.split`
        drops the CR of CRLF and skips empty lines as Redis does. Otherwise False and
        PyParser reads it."""
        data = self._small_view[:nbytes].tobytes()
        if data[-1] != 0x0A or 0x2A in data or _INLINE_SPECIAL(data) is not None:
            return False
        out += filter(None, map(bytes.split, data.split(b"\n")))
        return True

    def _split(self, nbytes: int, out: list[Argv]) -> bool:
        """A short read (one command, usually) proved by its own canonical layout.

        Split at CRLF, a read of whole canonical commands is "*<argc>", then "$<len>" and
        the payload per argument, and an empty tail; checking that is cheaper than
        hiredis plus `_quick`'s proof for one command. A payload holding CRLF, any
        non-canonical header, an unchecked CRLF Redis would skip, or a partial command
        fails the comparison: False, nothing consumed, the other paths decide. A read
        whose part count is exactly one command's is checked without the loop.
        """
        parts = self._small_view[:nbytes].tobytes().split(b"\r\n")
        last = len(parts) - 1
        if parts[last]:
            return False
        if last == 2 * _ARGC_OF(parts[0], -1) + 1:  # exactly one command (the usual read)
            try:  # a plain loop: a comprehension's own frame costs more (3.11)
                for i in range(2, last, 2):
                    if parts[i - 1] != _BULK_HEADER_LINES[len(parts[i])]:
                        return False
            except IndexError:  # a payload of 1024 bytes or more
                return False
            out.append(parts[2:last:2])
            return True
        first = len(out)
        i = 0
        try:
            while i < last:
                argc = _ARGC_OF(parts[i])
                if argc is None:
                    break
                end = i + 1 + 2 * argc
                if end > last:
                    break
                j = i + 2
                while j < end and parts[j - 1] == _BULK_HEADER_LINES[len(parts[j])]:
                    j += 2
                if j < end:  # a header line that is not the canonical one
                    break
                out.append(parts[i + 2 : end : 2])
                i = end
            else:
                return True
        except IndexError:  # a payload of 1024 bytes or more
            pass
        del out[first:]
        return False

    def _quick(self, nbytes: int, out: list[Argv]) -> bool:
        """The common read, proved as a whole: complete canonical commands only.

        One translated copy of the read answers the byte-level questions: no byte that
        starts an element hiredis reads differently from Redis ("+", "=", "(" come back as
        bytes; "~", ">", "|" as top-level lists; "%" as a dict), and no "*" header of six
        or more digits (hiredis would allocate the declared list). hiredis's items are
        taken in one C-level loop; then no empty item rules out "*0" (Redis skips it) and
        a top-level "$0", joining each item's arguments rules out numbers, nulls, errors,
        nested aggregates and any other top-level item, and the probe rules out a partial
        command. Anything else (false alarms from payload bytes included) returns False
        with `out` and hiredis reset, and `_fast` proves the read element by element.
        """
        buf = self._small  # starts with '*': buffer_updated sends other reads elsewhere
        marked = buf[:nbytes].translate(_QUICK_MAP)
        if marked.find(0x21) >= 0 or marked.find(b"*000000") >= 0:
            return False
        reader = self._hiredis
        assert reader is not None
        reader.feed(buf, 0, nbytes)
        try:
            out += iter(reader.gets, _MORE)  # every item hiredis completes, taken in C
            # no "*0" (an empty list) nor top-level "$0" (empty bytes), then every item a
            # list of bytes (the join also refuses any other top-level item: a bulk is
            # iterated as ints), then no partial command left in hiredis
            if all(out) and _all_bytes(out, 0):
                reader.feed(_PROBE)
                if reader.gets() == []:
                    return True
        except Exception:  # hiredis's own error
            pass
        out.clear()
        self._hiredis = _new_hiredis()
        return False

    def _drain_slow(self, out: list[Argv]) -> None:
        """PyParser finishes what hiredis could not; at a boundary hiredis takes over again."""
        py = self._py
        handback = self.use_hiredis and py.authenticated
        while py.parse(out, handback):
            buf, start, end = py.buf, py.pos, len(py.buf)
            consumed = self._fast(buf, start, end, out) if start < end else end
            if consumed == end:
                py.clear()
                self.slow = False
                return
            py.pos = consumed

    def _fast(self, buf: bytearray, start: int, end: int, out: list[Argv]) -> int:
        """Drain complete multibulk commands of buf[start:end] through hiredis.

        Returns the offset of the first byte hiredis did not turn into a command (end when
        it took everything). hiredis accepts more than Redis does (a "+foo" element, a
        RESP3 set...) and reports no position, so what it returns must be proved to be
        Redis's canonical layout ('*' header, then '$' bulks only). A short buffer with
        none of the bytes that start such elements is proved as a whole (`_plain`: a few
        C-level scans and no Python work per argument); otherwise `_checked` walks the
        wire layout argument by argument and stops at the first command Redis would read
        differently, and `_stepwise` reads on from there one command at a time.
        """
        if buf[start] != 0x2A:  # not '*': an inline command, PyParser's job
            return start
        if end - start > _PLAIN_MAX:
            # A long read usually carries big bulks: walking their few headers is cheaper
            # than scanning every payload byte for huge aggregate headers.
            walked, big_at = _walk_leading(buf, start, end)
            if big_at == start:
                return start  # its big bulk is still arriving: PyParser receives it in place
            if big_at > 0:
                stop = big_at  # every byte before it was walked
            else:
                stop = _huge_aggregate_at(buf, walked, end)
                if stop < 0:
                    stop = end
            plain = False
        else:
            plain = end - start >= _PLAIN_MIN and _plain(buf, start, end)
            stop = _huge_aggregate_at(buf, start, end)
            if stop < 0:
                stop = end
        reader = self._hiredis
        assert reader is not None
        first = len(out)
        # A top-level item that is not a non-empty list ("*0", "*-1", "$3 foo"...) ends the
        # batch; `_stepwise` then reads it exactly as Redis would.
        argv = _hiredis_commands(reader, buf, start, stop, out)
        probed = False
        if argv is _MORE and plain and stop == end and _all_bytes(out, first):
            # hiredis took every byte, unless it holds a partial command: an empty
            # multibulk comes back as [] only if it starts a new command.
            probed = True
            try:
                reader.feed(_PROBE)
                if reader.gets() == []:
                    return end
            except Exception:
                pass
        consumed, ok = _checked(buf, start, out, first)
        del out[first + ok :]
        if consumed != stop:
            # Something hiredis stopped at (or should not have taken) starts at
            # `consumed`: read on from there one command at a time.
            self._hiredis = reader = _new_hiredis()
            reader.feed(buf, consumed, stop - consumed)
            consumed = self._stepwise(buf, consumed, stop, out)
        if consumed != end or probed:
            self._hiredis = _new_hiredis()  # the old one holds a partial command
        return consumed

    def _stepwise(self, buf: bytearray, consumed: int, stop: int, out: list[Argv]) -> int:
        """One command at a time, checking the top-level byte before hiredis parses it."""
        reader = self._hiredis
        assert reader is not None
        try:
            # A top-level item that is not a multibulk ("$-1", "_", "~1"...) is an inline
            # command for Redis: hiredis must not even parse it.
            while consumed < stop and buf[consumed] == 0x2A:
                argv = reader.gets()
                if argv is _MORE:
                    break
                if type(argv) is not list:
                    if argv is None:  # *-1: ignored
                        consumed += 5
                        continue
                    break
                if not argv:  # *0: ignored
                    consumed += 4
                    continue
                end, ok = _checked(buf, consumed, [argv], 0)
                if not ok:
                    break
                consumed = end
                out.append(argv)
        except Exception:  # hiredis.ProtocolError, or hiredis running out of memory
            pass
        return consumed


# Proving a batch as a whole has a fixed cost (five scans, a probe) that pays off from a
# few commands on; beyond _PLAIN_MAX the scans cost more than walking the layout.
_PLAIN_MIN = 128
_PLAIN_MAX = 8192
_PROBE = b"*0\r\n"
# `_split`: reads up to this long; the canonical "*<argc>" and "$<len>" header lines
_SPLIT_MAX = 160
# Compiled, `_canonical` reads every multibulk read first (`_split` and `_quick` are the
# cheapest proofs in pure Python, where a loop over bytes is not).
_COMPILED = not __file__.endswith(".py")
_ARGC_OF = {b"*%d" % argc: argc for argc in range(1, 1024)}.get
_BULK_HEADER_LINES = [b"$%d" % size for size in range(1024)]
# `_quick`'s view of a read: '*' stays, digits become '0', bytes that start an element
# hiredis misreads become '!', everything else 'a'.
_QUICK_MAP = bytes(
    0x2A if b == 0x2A else 0x30 if 0x30 <= b <= 0x39 else 0x21 if b in b"+=(~>|%" else 0x61
    for b in range(256)
)
_JOIN = b"".join
# What hiredis's gets() returns when it holds no complete item. Not its default False:
# "#f" parses to False, and ":0" / ",0" to values equal to it, which would end
# `iter(gets, False)` early and pass for "no more data".
_MORE: Any = object()


def _new_hiredis() -> Any:
    return hiredis.Reader(notEnoughData=_MORE)


def _hiredis_commands(reader: Any, buf: bytearray, start: int, stop: int, out: list[Argv]) -> Any:
    """Feed buf[start:stop] to hiredis and append each command it completes to `out`.

    Returns what ended the run: _MORE (hiredis wants more bytes), a top-level item that
    is not a non-empty list, or None when hiredis raised (protocol error, no memory)."""
    reader.feed(buf, start, stop - start)
    gets = reader.gets
    try:
        argv = gets()
        while type(argv) is list and argv:
            out.append(argv)
            argv = gets()
    except Exception:
        return None
    return argv


def _plain(buf: bytearray, start: int, end: int) -> bool:
    """No byte in buf[start:end] can start an element hiredis would misread for Redis.

    Inside a multibulk, hiredis returns "+s", "(n" and "=t" elements as bytes, as if they
    were '$' bulks; at the top level it returns a RESP3 set ("~") or an attributed reply
    ("|") as a list, as if it were a multibulk. Any other irregular element comes back as
    something other than bytes (see `_all_bytes`)."""
    find = buf.find
    return (
        find(b"+", start, end) < 0
        and find(b"=", start, end) < 0
        and find(b"(", start, end) < 0
        and find(b"~", start, end) < 0
        and find(b"|", start, end) < 0
    )


_WALK_ARGS = 32  # bulks `_walk_leading` reads before the scan takes over


def _walk_leading(buf: bytearray, start: int, end: int) -> tuple[int, int]:
    """Walk the canonical layout of the first commands of buf[start:end].

    Returns (offset walked to, offset of the command whose bulk of BIG_ARG or more bytes
    runs past `end`, or -1). The walk reads at most _WALK_ARGS bulks and stops at the
    first header that is not a canonical "*<n>" (n < 100000) or "$<len>": whatever it
    did not walk is left to the scan for huge aggregate headers. The walked bytes hold
    no header but those it read, so they need no scan.
    """
    pos = start
    budget = _WALK_ARGS
    find = buf.find
    while pos < end and budget > 0:
        cmd = pos
        if buf[pos] != 0x2A:
            return cmd, -1
        nl = find(b"\r\n", pos + 1, pos + 8)
        if nl < 0:
            return cmd, -1
        argc = _strict_int(buf[pos + 1 : nl])
        if argc is None or not 0 < argc < 100_000:
            return cmd, -1
        pos = nl + 2
        for _ in range(argc):
            budget -= 1
            if pos >= end or buf[pos] != 0x24:  # '$'
                return cmd, -1
            nl = find(b"\r\n", pos + 1, pos + 22)
            if nl < 0:
                return cmd, -1
            size = _strict_int(buf[pos + 1 : nl])
            if size is None or size < 0:
                return cmd, -1
            pos = nl + 4 + size
            if pos > end:
                return cmd, (cmd if size >= BIG_ARG else -1)
    return pos, -1


# Header numbers `_canonical` reads: at most this many digits (below INT_MAX, and more
# than any count or length that fits one receive buffer needs).
_HEADER_DIGITS = 9


def _canonical(data: bytes, out: list[Argv]) -> int:
    """Append the complete canonical commands that `data` starts with; returns the offset
    of the first byte it did not read (len(data) when it read all).

    Canonical: "*<argc>" with argc >= 1, then per argument "$<len>", the payload and
    CRLF, every line ended by CRLF and every number in its one Redis spelling (no sign, no
    leading zero). Redis reads such a command one way only, so no proof is needed; it
    stops at anything else (an inline command, "*0", a RESP3 type, a partial command),
    which the other paths read from there. Byte by byte, which is cheap only compiled
    (mypyc makes `data[i]` a C load): the compiled build's fast path (see `_COMPILED`).
    """
    end = len(data)
    pos = 0
    done = 0
    while pos < end and data[pos] == 0x2A:  # '*'
        argc, pos = _header_number(data, pos + 1, end)
        if argc <= 0:
            break
        argv: Argv = []
        while argc:
            if pos >= end or data[pos] != 0x24:  # '$'
                return done
            size, pos = _header_number(data, pos + 1, end)
            if size < 0:
                return done
            stop = pos + size
            if stop + 2 > end or data[stop] != 0x0D or data[stop + 1] != 0x0A:
                return done
            argv.append(data[pos:stop])
            pos = stop + 2
            argc -= 1
        out.append(argv)
        done = pos
    return done


def _header_number(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """The number spelled at data[pos:] up to CRLF, canonically: (value, offset after the
    CRLF), or (-1, pos) when the line is anything else or not complete."""
    if pos >= end:
        return -1, pos
    value = data[pos] - 0x30
    if value == 0:  # only "0" itself starts with a zero
        if pos + 2 < end and data[pos + 1] == 0x0D and data[pos + 2] == 0x0A:
            return 0, pos + 3
        return -1, pos
    if not 0 < value <= 9:
        return -1, pos
    i = pos + 1
    last = pos + _HEADER_DIGITS
    while i < end:
        digit = data[i] - 0x30
        if 0 <= digit <= 9:
            if i == last:
                return -1, pos
            value = value * 10 + digit
            i += 1
        elif digit == 0x0D - 0x30 and i + 1 < end and data[i + 1] == 0x0A:
            return value, i + 2
        else:
            return -1, pos
    return -1, pos


def _all_bytes(out: list[Argv], first: int) -> bool:
    """Every item of out[first:] is a list of bytes: b"".join refuses numbers, nulls,
    errors and nested aggregates, which hiredis returns for ':', ',', '#', '_', '$-1',
    '-', '*'... (one join per command costs less than one over all arguments chained)."""
    try:
        list(map(_JOIN, islice(out, first, None) if first else out))
    except TypeError:
        return False
    return True


def _checked(
    buf: bytearray, consumed: int, cmds: Sequence[Sequence[object]], first: int
) -> tuple[int, int]:
    """Walk the wire layout of cmds[first:] from `consumed`: (end offset, commands proved).

    Stops at the first command with an element that is not a '$' bulk (hiredis reads
    "+x", ":1", "$-1"... inside a multibulk; Redis answers "expected '$'"). Items are
    typed `object` until proved: a compiled build would check `bytes` on the way in."""
    ok = 0
    try:
        for argv in islice(cmds, first, None):
            if buf[consumed] != 0x2A:
                break
            argc = len(argv)
            pos = consumed + (4 if argc < 10 else 3 + len(str(argc)))
            for arg in argv:
                if type(arg) is not bytes or buf[pos] != 0x24:  # '$'
                    raise _Irregular
                size = len(arg)
                pos += size + (6 if size < 10 else 7 if size < 100 else 5 + len(str(size)))
            consumed = pos
            ok += 1
    except (_Irregular, IndexError):
        pass
    return consumed, ok
