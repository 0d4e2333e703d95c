"""Reply values -> RESP2/RESP3 bytes.

Handlers return plain Python values; this module is the only place that knows the wire
form. The mapping (by exact type, looked up in a dict, so no isinstance chains):

    bytes/bytearray/memoryview -> bulk string      str          -> bulk string (utf-8)
    SimpleString               -> +status           Verbatim     -> RESP3 verbatim / bulk
    int                        -> :integer          bool         -> RESP3 #t/#f / :1 :0
    float                      -> RESP3 double / bulk string (Redis's formatting)
    None                       -> null bulk ($-1 / _)
    NullArray                  -> null array (*-1 / _)
    list / tuple               -> array             dict         -> RESP3 map / flat array
    RespSet                    -> RESP3 set / array Push         -> RESP3 push / array
    Raw                        -> written verbatim (pre-encoded constants)
    CommandError               -> -error

`encode(value, resp, out)` appends byte pieces to `out` so a connection can hand the whole
batch to `transport.writelines`; large payloads are appended as-is (no concatenation copy).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from mypy_extensions import mypyc_attr

from ..errors import CommandError

BIG_PAYLOAD = 32 * 1024  # bulk payloads at least this big are sent as separate pieces


@mypyc_attr(native_class=False)  # mypyc compiles no subclass of a builtin
class SimpleString(str):
    """A +status reply (e.g. +OK, +PONG, TYPE's answer)."""

    __slots__ = ()


@mypyc_attr(native_class=False)
class Verbatim(str):
    """Text that RESP3 sends as a verbatim string (INFO, CLIENT LIST...)."""

    __slots__ = ()


@mypyc_attr(native_class=False)
class Raw(bytes):
    """Pre-encoded reply bytes, written unchanged whatever the protocol."""

    __slots__ = ()


@mypyc_attr(native_class=False)
class RespSet(list[Any]):
    """An unordered reply: RESP3 set, RESP2 array."""

    __slots__ = ()


@mypyc_attr(native_class=False)
class Push(list[Any]):
    """Out-of-band message (pub/sub, invalidation): RESP3 push, RESP2 array."""

    __slots__ = ()


class NullArray:
    """Redis's null multi-bulk (*-1 in RESP2), e.g. EXEC after a WATCH failure."""

    __slots__ = ()


NULL_ARRAY = NullArray()

# --- pre-encoded constants -------------------------------------------------------------

OK = Raw(b"+OK\r\n")
PONG = Raw(b"+PONG\r\n")
QUEUED = Raw(b"+QUEUED\r\n")
CRLF = b"\r\n"
NULL_BULK = (b"$-1\r\n", b"$-1\r\n", b"$-1\r\n", b"_\r\n")  # indexed by RESP version
NULL_ARR = (b"*-1\r\n", b"*-1\r\n", b"*-1\r\n", b"_\r\n")
INTS = [b":%d\r\n" % i for i in range(-1, 10001)]  # INTS[n + 1] is :n
_ARRAY_HEADERS = [b"*%d\r\n" % i for i in range(1024)]
BULK_HEADERS = [b"$%d\r\n" % i for i in range(1024)]


def format_double(value: float) -> bytes:
    """Redis 7's text form of a double: %.17g, with inf/-inf/nan spelled Redis's way."""
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    if math.isnan(value):
        return b"nan"
    # Redis 7.0 formats with "%.17g"; integers that fit print without exponent.
    return b"%.17g" % value


def format_double_human(value: float) -> bytes:
    """Shortest round-trip form (INCRBYFLOAT / HINCRBYFLOAT style, "%.17Lg" trimmed)."""
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    text = repr(value)
    if "e" in text or "E" in text:
        text = f"{value:.17g}"
    if text.endswith(".0"):
        text = text[:-2]
    return text.encode()


# --- encoders --------------------------------------------------------------------------

Out = list[bytes | bytearray | memoryview]
_Encoder = Callable[[Any, int, Out], None]


def _bulk(value: bytes | bytearray | memoryview, resp: int, out: Out) -> None:
    n = len(value)
    if n < len(BULK_HEADERS):  # three pieces: cheaper than formatting one
        out += (BULK_HEADERS[n], value, CRLF)
    elif n < BIG_PAYLOAD:
        out.append(b"$%d\r\n%s\r\n" % (n, value))
    else:
        out.append(b"$%d\r\n" % n)
        out.append(value)
        out.append(CRLF)


def _text(value: str, resp: int, out: Out) -> None:
    _bulk(value.encode(), resp, out)


def _simple(value: str, resp: int, out: Out) -> None:
    out.append(b"+%s\r\n" % value.encode())


def _verbatim(value: str, resp: int, out: Out) -> None:
    data = value.encode()
    if resp == 3:
        out.append(b"=%d\r\ntxt:%s\r\n" % (len(data) + 4, data))
    else:
        _bulk(data, resp, out)


def _int(value: int, resp: int, out: Out) -> None:
    if -1 <= value <= 10000:
        out.append(INTS[value + 1])
    else:
        out.append(b":%d\r\n" % value)


def _bool(value: bool, resp: int, out: Out) -> None:
    if resp == 3:
        out.append(b"#t\r\n" if value else b"#f\r\n")
    else:
        out.append(INTS[2] if value else INTS[1])


def _float(value: float, resp: int, out: Out) -> None:
    text = format_double(value)
    if resp == 3:
        out.append(b",%s\r\n" % text)
    else:
        out.append(b"$%d\r\n%s\r\n" % (len(text), text))


def _none(value: None, resp: int, out: Out) -> None:
    out.append(NULL_BULK[resp])


def _null_array(value: NullArray, resp: int, out: Out) -> None:
    out.append(NULL_ARR[resp])


def _array(value: list[Any] | tuple[Any, ...], resp: int, out: Out) -> None:
    n = len(value)
    out.append(_ARRAY_HEADERS[n] if n < 1024 else b"*%d\r\n" % n)
    encoders = ENCODERS
    for item in value:
        encoders.get(type(item), _fallback)(item, resp, out)


def _set(value: list[Any], resp: int, out: Out) -> None:
    if resp == 3:
        out.append(b"~%d\r\n" % len(value))
        for item in value:
            ENCODERS.get(type(item), _fallback)(item, resp, out)
    else:
        _array(value, resp, out)


def _push(value: list[Any], resp: int, out: Out) -> None:
    if resp == 3:
        out.append(b">%d\r\n" % len(value))
        for item in value:
            ENCODERS.get(type(item), _fallback)(item, resp, out)
    else:
        _array(value, resp, out)


def _map(value: dict[Any, Any], resp: int, out: Out) -> None:
    encoders = ENCODERS
    if resp == 3:
        out.append(b"%%%d\r\n" % len(value))
    else:
        out.append(b"*%d\r\n" % (2 * len(value)))
    for k, v in value.items():
        encoders.get(type(k), _fallback)(k, resp, out)
        encoders.get(type(v), _fallback)(v, resp, out)


def _raw(value: bytes, resp: int, out: Out) -> None:
    out.append(value)


def _error(value: CommandError, resp: int, out: Out) -> None:
    out.append(b"-%s\r\n" % value.message.encode("utf-8", "surrogateescape"))


def _fallback(value: Any, resp: int, out: Out) -> None:
    if isinstance(value, CommandError):
        _error(value, resp, out)
        return
    for cls, enc in ENCODERS.items():
        if isinstance(value, cls):
            enc(value, resp, out)
            return
    raise TypeError(f"cannot encode reply of type {type(value).__name__}")


# Exact type -> encoder. A caller that inlines `encode` (the per-command loop) uses
# `ENCODERS.get(type(value), encode)(value, resp, out)`, which is `encode(value, resp, out)`.
ENCODERS: dict[type, _Encoder] = {
    bytes: _bulk,
    bytearray: _bulk,
    memoryview: _bulk,
    str: _text,
    SimpleString: _simple,
    Verbatim: _verbatim,
    int: _int,
    bool: _bool,
    float: _float,
    type(None): _none,
    NullArray: _null_array,
    list: _array,
    tuple: _array,
    RespSet: _set,
    Push: _push,
    dict: _map,
    Raw: _raw,
    CommandError: _error,
}


def encode(value: Any, resp: int, out: Out) -> None:
    """Append the wire form of `value` for protocol version `resp` (2 or 3) to `out`."""
    ENCODERS.get(type(value), _fallback)(value, resp, out)


def encode_error(message: str) -> bytes:
    """An error line; request bytes kept as surrogate escapes go out raw, as Redis's do."""
    return b"-%s\r\n" % message.encode("utf-8", "surrogateescape")


def register_encoder(cls: type, encoder: _Encoder) -> None:
    """Let a value type (e.g. a tensor reply) provide its own wire form."""
    ENCODERS[cls] = encoder
