"""Argument parsing shared by command handlers, with Redis's exact rules and errors."""

from __future__ import annotations

import math

from ..errors import CommandError, NotFloatError, NotIntegerError

LLONG_MIN = -(2**63)
LLONG_MAX = 2**63 - 1


def parse_int(arg: bytes | bytearray, error: str | None = None) -> int:
    """Redis string2ll: strict decimal 64-bit integer, else 'value is not an integer'."""
    if arg.isdigit() and len(arg) < 19 and arg[0] != 0x30:  # the usual counter: in range
        return int(arg)
    if 0 < len(arg) <= 20:
        first = arg[0]
        if 0x30 < first <= 0x39 or (first == 0x30 and len(arg) == 1):
            if arg.isdigit():
                value = int(arg)
                if value <= LLONG_MAX:
                    return value
        elif first == 0x2D and len(arg) > 1 and 0x30 < arg[1] <= 0x39 and arg[1:].isdigit():
            value = int(arg)
            if value >= LLONG_MIN:
                return value
    if error is not None:
        raise CommandError(error)
    raise NotIntegerError()


def try_parse_int(arg: bytes) -> int | None:
    try:
        return parse_int(arg)
    except CommandError:
        return None


def parse_float(arg: bytes, error: str | None = None) -> float:
    """Redis string2ld / getDoubleFromObject: strtod over the whole string, no NaN."""
    try:
        if not arg or arg[0] in b" \t\n\r\x0b\x0c" or arg[-1] in b" \t\n\r\x0b\x0c":
            raise ValueError
        text = arg.decode("ascii")
        low = text.lower()
        if low in ("inf", "+inf", "infinity", "+infinity"):
            return math.inf
        if low in ("-inf", "-infinity"):
            return -math.inf
        if "_" in text or "nan" in low:
            raise ValueError
        if low.startswith(("0x", "-0x", "+0x")):
            value = float.fromhex(text)
        else:
            value = float(text)
        if math.isnan(value):
            raise ValueError
        return value
    except (ValueError, UnicodeDecodeError, OverflowError):
        if error is not None:
            raise CommandError(error) from None
        raise NotFloatError() from None


def upper(arg: bytes) -> bytes:
    return arg.upper()
