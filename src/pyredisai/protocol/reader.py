"""Request reader: socket bytes -> argv lists, with Redis's limits and error texts.

Two parsers cooperate behind `RequestReader`:

* the fast path feeds whole receive buffers to `hiredis.Reader` and drains every complete
  multibulk command from it;
* `PyParser`, a pure-Python incremental parser, handles everything else: inline commands
  (telnet / redis-cli style), commands that straddle receive buffers, malformed input
  (so the error text is exactly Redis's), unauthenticated clients (tighter limits) and
  big bulk arguments, which it receives straight into a preallocated bytearray through
  `get_buffer` (one copy, kernel -> final buffer; the tensor code wraps it without copying).

When hiredis is not importable, `PyParser` does all the work. The choice is made once, at
import. Call order for a connection: `get_buffer(hint)` -> (kernel fills it) ->
`buffer_updated(n)` -> list of argv plus an optional ProtocolError; after an error the
connection must send it and close.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import errors
from ..errors import ProtocolError

try:  # pragma: no cover - exercised by both test parametrisations
    import hiredis

    HAVE_HIREDIS = True
except ImportError:  # pragma: no cover
    hiredis = None
    HAVE_HIREDIS = False

Argv = list[bytes]

INLINE_MAX = 64 * 1024  # PROTO_INLINE_MAX_SIZE
BIG_ARG = 32 * 1024  # PROTO_MBULK_BIG_ARG: bulks this big are received in place
RECV_SIZE = 64 * 1024
INT_MAX = 2**31 - 1


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


_ESCAPES = {
    ord("n"): 10,
    ord("r"): 13,
    ord("t"): 9,
    ord("b"): 8,
    ord("a"): 7,
}
_HEX = b"0123456789abcdefABCDEF"


def split_inline(line: bytes | bytearray) -> Argv | None:
    """sdssplitargs: split an inline command line; None means unbalanced quotes."""
    args: Argv = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in b" \n\r\t\x0b\x0c\x00":
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
                    and line[i + 1] == ord("x")
                    and line[i + 2] in _HEX
                    and line[i + 3] in _HEX
                ):
                    current.append(int(line[i + 2 : i + 4], 16))
                    i += 3
                elif c == 0x5C and i + 1 < n:
                    i += 1
                    current.append(_ESCAPES.get(line[i], line[i]))
                elif c == 0x22:
                    if i + 1 < n and line[i + 1] not in b" \n\r\t\x0b\x0c\x00":
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
                    if i + 1 < n and line[i + 1] not in b" \n\r\t\x0b\x0c\x00":
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


class PyParser:
    """Incremental pure-Python request parser (Redis processInputBuffer semantics)."""

    __slots__ = (
        "buf",
        "pos",
        "argc_left",
        "argv",
        "bulk_len",
        "big",
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
        self.big: bytearray | None = None  # big bulk received in place
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
        if self.big is None:
            return None
        return memoryview(self.big)[self.big_filled :]

    def big_received(self, n: int) -> None:
        assert self.big is not None
        self.big_filled += n

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        if self.pos and self.pos == len(self.buf):
            self.buf.clear()
            self.pos = 0
        self.buf += data

    # -- parsing -----------------------------------------------------------------------
    def parse(self, out: list[Argv]) -> None:
        """Append every complete command to `out`; raise ProtocolError on bad input."""
        try:
            self._parse(out)
        finally:
            if self.pos > 65536 or (self.pos and self.pos == len(self.buf)):
                del self.buf[: self.pos]
                self.pos = 0

    def _parse(self, out: list[Argv]) -> None:
        buf = self.buf
        while True:
            if self.big is not None:
                if self.big_filled < len(self.big):
                    # Bytes that arrived through the small buffer while a big bulk was in
                    # progress (only before get_buffer switched) go into place.
                    take = min(len(buf) - self.pos, len(self.big) - self.big_filled)
                    if take <= 0:
                        return
                    self.big[self.big_filled : self.big_filled + take] = buf[
                        self.pos : self.pos + take
                    ]
                    self.big_filled += take
                    self.pos += take
                    if self.big_filled < len(self.big):
                        return
                self.argv.append(self.big)  # type: ignore[arg-type]
                self.big = None
                self.big_filled = 0
                self.bulk_len = -1
                self.skip = 2
                self.argc_left -= 1
                if self.argc_left == 0:
                    out.append(self.argv)
                    self.argv = []
            if self.skip:
                take = min(self.skip, len(buf) - self.pos)
                self.pos += take
                self.skip -= take
                if self.skip:
                    return
            if self.pos >= len(buf):
                return
            if self.argc_left == 0:
                if buf[self.pos] == 0x2A:  # '*'
                    if not self._multibulk_header():
                        return
                    if self.argc_left == 0:
                        continue  # *0 or negative: ignored, like Redis
                else:
                    argv = self._inline()
                    if argv is None:
                        return
                    if argv:
                        out.append(argv)
                    continue
            # bulk arguments of the multibulk in progress
            while self.argc_left:
                if self.bulk_len < 0:
                    nl = buf.find(b"\r", self.pos)
                    if nl < 0:
                        if len(buf) - self.pos > INLINE_MAX:
                            raise ProtocolError(errors.PROTO_BIG_BULK)
                        return
                    if len(buf) < nl + 2:
                        return
                    if buf[self.pos] != 0x24:  # '$'
                        raise ProtocolError(
                            errors.PROTO_EXPECTED_DOLLAR.format(chr(buf[self.pos]))
                        )
                    value = _strict_int(buf[self.pos + 1 : nl])
                    if value is None or value < 0 or value > self.limits.proto_max_bulk_len:
                        raise ProtocolError(errors.PROTO_INVALID_BULK)
                    if not self.authenticated and value > 16384:
                        raise ProtocolError(errors.PROTO_UNAUTH_BULK)
                    self.pos = nl + 2
                    self.bulk_len = value
                    if value >= BIG_ARG and len(buf) - self.pos < value + 2:
                        # Receive the rest in place: one copy from the kernel.
                        self.big = bytearray(value)
                        self.big_filled = 0
                        break
                need = self.bulk_len + 2
                if len(buf) - self.pos < need:
                    return
                self.argv.append(bytes(buf[self.pos : self.pos + self.bulk_len]))
                self.pos += need  # Redis skips the CRLF without checking it
                self.bulk_len = -1
                self.argc_left -= 1
            else:
                out.append(self.argv)
                self.argv = []

    def _multibulk_header(self) -> bool:
        buf = self.buf
        nl = buf.find(b"\r", self.pos)
        if nl < 0:
            if len(buf) - self.pos > INLINE_MAX:
                raise ProtocolError(errors.PROTO_BIG_MBULK)
            return False
        if len(buf) < nl + 2:
            return False
        value = _strict_int(buf[self.pos + 1 : nl])
        if value is None or value > INT_MAX:
            raise ProtocolError(errors.PROTO_INVALID_MULTIBULK)
        if not self.authenticated and value > 10:
            raise ProtocolError(errors.PROTO_UNAUTH_MULTIBULK)
        self.pos = nl + 2
        self.argc_left = max(value, 0)
        self.argv = []
        self.bulk_len = -1
        return True

    def _inline(self) -> Argv | None:
        buf = self.buf
        nl = buf.find(b"\n", self.pos)
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


class RequestReader:
    """Per-connection reader; see the module docstring for the call order."""

    __slots__ = ("_hiredis", "_into_big", "_py", "_small", "_small_view", "_slow", "use_hiredis")

    def __init__(self, limits: ReaderLimits = DEFAULT_LIMITS, use_hiredis: bool = True) -> None:
        self.use_hiredis = use_hiredis and HAVE_HIREDIS
        self._hiredis = hiredis.Reader() if self.use_hiredis else None
        self._py = PyParser(limits)
        self._slow = not self.use_hiredis  # True while PyParser owns the stream
        self._small = bytearray(RECV_SIZE)
        self._small_view = memoryview(self._small)
        self._into_big = False  # whether the last get_buffer handed out the big bulk

    def set_authenticated(self, value: bool) -> None:
        """Unauthenticated clients get Redis's tighter limits, enforced by PyParser."""
        self._py.authenticated = value
        if not value:
            self._slow = True

    def get_buffer(self, sizehint: int) -> memoryview:
        view = self._py.big_view() if self._slow else None
        self._into_big = view is not None
        return view if view is not None else self._small_view

    def buffered(self) -> int:
        return self._py.buffered() if self._slow else 0

    def buffer_updated(self, nbytes: int) -> tuple[list[Argv], ProtocolError | None]:
        out: list[Argv] = []
        py = self._py
        try:
            if self._slow:
                if self._into_big:
                    # The kernel wrote straight into the big bulk's buffer.
                    py.big_received(nbytes)
                else:
                    py.feed(self._small_view[:nbytes])
                py.parse(out)
                if py.idle() and self.use_hiredis and py.authenticated:
                    self._slow = False
                return out, None
            return self._fast(nbytes, out)
        except ProtocolError as exc:
            return out, exc

    def _fast(self, nbytes: int, out: list[Argv]) -> tuple[list[Argv], ProtocolError | None]:
        small = self._small
        if small[0] != 0x2A:  # not '*': inline command, PyParser's job
            return self._hand_over(0, nbytes, out)
        reader = self._hiredis
        assert reader is not None
        reader.feed(small, 0, nbytes)
        # `consumed` follows hiredis's position (it exposes none) by adding up each
        # command's canonical wire length; a shortfall means a command straddles the
        # buffer, and PyParser takes it over from exactly there.
        consumed = 0
        try:
            while True:
                argv = reader.gets()
                if argv is False:
                    break
                if type(argv) is not list:
                    if argv is None:  # *-1: ignored
                        consumed += 5
                        continue
                    raise hiredis.ProtocolError("bad request")
                argc = len(argv)
                if argc == 0:
                    consumed += 4
                    continue
                length = 3 + (1 if argc < 10 else len(str(argc)))
                for arg in argv:
                    if type(arg) is not bytes:
                        raise hiredis.ProtocolError("bad argument")
                    size = len(arg)
                    length += size + (6 if size < 10 else 7 if size < 100 else 5 + len(str(size)))
                consumed += length
                out.append(argv)
        except hiredis.ProtocolError:
            return self._hand_over(consumed, nbytes, out)
        if consumed != nbytes:
            return self._hand_over(consumed, nbytes, out)
        return out, None

    def _hand_over(
        self, consumed: int, nbytes: int, out: list[Argv]
    ) -> tuple[list[Argv], ProtocolError | None]:
        if consumed > nbytes:  # a non-canonical encoding fooled the count
            raise_at = ProtocolError(errors.PROTO_INVALID_BULK)
            return out, raise_at
        self._hiredis = hiredis.Reader() if self.use_hiredis else None
        self._slow = True
        py = self._py
        py.feed(self._small_view[consumed:nbytes])
        try:
            py.parse(out)
        except ProtocolError as exc:
            return out, exc
        if py.idle():
            self._slow = False
        return out, None
