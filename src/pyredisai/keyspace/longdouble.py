"""x87 80-bit `long double` arithmetic for INCRBYFLOAT and HINCRBYFLOAT, done exactly.

Redis parses both operands with `strtold`, adds them in 80-bit extended precision (64-bit
significand) and prints the sum with "%.17Lf" and trailing zeros trimmed (util.c
`ld2string`, LD_STR_HUMAN). Doubles would print 0.1 + 0.2 as 0.30000000000000004 where
Redis prints 0.3, so values are kept as exact `Fraction`s rounded to the extended format
after every operation, and printed with exact decimal rounding (ties to even, as glibc).
"""

from __future__ import annotations

import re
from fractions import Fraction

MAX_LONG_DOUBLE_CHARS = 5 * 1024  # Redis refuses longer float strings
_MANT_BITS = 64
_MIN_ULP_EXP = -16382 - 63  # exponent of the smallest subnormal
_OVERFLOW = 1 << 16384  # values this big or bigger are +inf

_DEC = re.compile(rb"([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?")
_HEX = re.compile(
    rb"([+-]?)0[xX](?:([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?"
)
_INF = re.compile(rb"([+-]?)(?:inf|infinity)", re.IGNORECASE)

INF = "inf"  # parse result for an infinite operand
LongDouble = Fraction | str


_CHUNK = 4000  # digits per int()/str() step: CPython refuses more than 4300 at once


def _int_from_digits(digits: bytes, base: int = 10) -> int:
    """int() of a digit string of any length (up to Redis's 5 KiB limit)."""
    if base != 10 or len(digits) <= _CHUNK:
        return int(digits, base)
    value = 0
    for start in range(0, len(digits), _CHUNK):
        piece = digits[start : start + _CHUNK]
        value = value * 10 ** len(piece) + int(piece)
    return value


def _digits_of(value: int) -> str:
    """str() of a non-negative int of any size."""
    if value < 10**_CHUNK:
        return str(value)
    high, low = divmod(value, 10**_CHUNK)
    return _digits_of(high) + str(low).rjust(_CHUNK, "0")


def _exponent(text: bytes | None) -> int:
    if not text:
        return 0
    if text[:1] in (b"+", b"-"):
        magnitude = _int_from_digits(text[1:])
        return -magnitude if text[:1] == b"-" else magnitude
    return _int_from_digits(text)


class RangeError(ValueError):
    """The string does not parse as Redis's string2ld would accept it."""


def _round(sign: int, num: int, den: int) -> Fraction:
    """Round num/den (> 0) to the nearest extended value, ties to even; RangeError on
    overflow (strtold's HUGE_VAL) or underflow to zero (ERANGE with a zero result)."""
    e2 = num.bit_length() - den.bit_length()
    if (num << max(0, -e2)) < (den << max(0, e2)):
        e2 -= 1  # now 2**e2 <= num/den < 2**(e2+1)
    shift = max(e2 - (_MANT_BITS - 1), _MIN_ULP_EXP)
    if shift >= 0:
        m, rem = divmod(num, den << shift)
        half = den << shift
    else:
        m, rem = divmod(num << -shift, den)
        half = den
    twice = 2 * rem
    if twice > half or (twice == half and m & 1):
        m += 1
    if m == 0:
        raise RangeError("underflow")
    value = Fraction(m << shift) if shift >= 0 else Fraction(m, 1 << -shift)
    if value >= _OVERFLOW:
        raise RangeError("overflow")
    return -value if sign else value


def round_extended(value: Fraction) -> LongDouble:
    """Round an exact rational to the extended format; overflow gives INF."""
    if value == 0:
        return Fraction(0)
    try:
        return _round(value < 0, abs(value.numerator), value.denominator)
    except RangeError as exc:
        if str(exc) == "overflow":
            return INF
        return Fraction(0)  # gradual underflow ends at zero


def parse(arg: bytes | bytearray) -> LongDouble:
    """Redis string2ld: the whole string must be a strtold number, no leading space,
    no NaN, no overflow to HUGE_VAL, no underflow to zero; "inf" itself is allowed."""
    if not arg or len(arg) >= MAX_LONG_DOUBLE_CHARS:
        raise RangeError("length")
    text = bytes(arg)
    m = _DEC.fullmatch(text)
    if m is not None:
        sign, whole, frac, only_frac, exp = m.groups()
        digits = (whole or b"") + (frac or b"") + (only_frac or b"")
        scale = len(frac or b"") + len(only_frac or b"")
        mantissa = _int_from_digits(digits)
        if mantissa == 0:
            return Fraction(0)
        power = _exponent(exp) - scale
        magnitude = len(digits.lstrip(b"0")) + power  # value < 10**magnitude
        if magnitude > 4934:
            raise RangeError("overflow")
        if magnitude < -4953:
            raise RangeError("underflow")
        if power >= 0:
            return _round(sign == b"-", mantissa * 10**power, 1)
        return _round(sign == b"-", mantissa, 10**-power)
    m = _HEX.fullmatch(text)
    if m is not None:
        sign, whole, frac, only_frac, exp = m.groups()
        digits = (whole or b"") + (frac or b"") + (only_frac or b"")
        mantissa = int(digits, 16)
        if mantissa == 0:
            return Fraction(0)
        power = _exponent(exp) - 4 * (len(frac or b"") + len(only_frac or b""))
        bits = mantissa.bit_length() + power
        if bits > 16385:
            raise RangeError("overflow")
        if bits < -16446:
            raise RangeError("underflow")
        if power >= 0:
            return _round(sign == b"-", mantissa << power, 1)
        return _round(sign == b"-", mantissa, 1 << -power)
    if _INF.fullmatch(text) is not None:
        return INF
    raise RangeError("syntax")


def add(a: LongDouble, b: LongDouble) -> LongDouble:
    """a + b in extended precision; INF when the sum is infinite or NaN."""
    if isinstance(a, str) or isinstance(b, str):
        return INF
    return round_extended(a + b)


def format_human(value: Fraction) -> bytes:
    """ld2string(LD_STR_HUMAN): "%.17Lf", trailing zeros and dot trimmed, "-0" -> "0"."""
    scaled = value * 10**17
    q, r = divmod(abs(scaled.numerator), scaled.denominator)
    twice = 2 * r
    if twice > scaled.denominator or (twice == scaled.denominator and q & 1):
        q += 1
    digits = _digits_of(q).rjust(18, "0")
    whole, frac = digits[:-17], digits[-17:].rstrip("0")
    text = whole + "." + frac if frac else whole
    if value < 0:
        text = "-" + text
    if text == "-0":
        text = "0"
    return text.encode()
