"""AI.TENSORSET / AI.TENSORGET (RedisAI src/execution/parsing/tensor_commands_parsing.c).

Both are registered like RedisAI's module commands: arity -1 and the argument count
checked by the handler, so the arity error names the command as the client typed it
(RedisAI's CI ran on Redis 6.2, whose RedisModule_WrongArity does that). Checks run in
RedisAI's order and the first failure wins; nothing is stored unless every check passed.

`parse_tensorset_args` and `tensorget_reply` are shared with the DAG's AI.TENSORSET /
AI.TENSORGET ops.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import errors
from ..errors import CommandError
from ..keyspace.tensor import DTYPES, DType, Tensor
from ..protocol.encoder import OK, register_encoder
from .registry import command

if TYPE_CHECKING:
    from ..server import Client

_LLONG_MAX = 2**63 - 1
_INF_WORDS = frozenset((b"inf", b"+inf", b"infinity", b"+infinity"))
_NEG_INF_WORDS = frozenset((b"-inf", b"-infinity"))
_DECIMAL_CHARS = b"0123456789+-.eE"
_NONZERO_DIGITS = b"123456789abcdefABCDEF"
_SPACE = b" \t\n\v\f\r"
_INF = float("inf")
_NEG_INF = float("-inf")
# A leading zero in a comma-joined list of digit strings ("007" is not a string2ll
# integer; "0" alone is). Negative values never match the digit check: RedisAI casts to
# unsigned before its range check, so every negative is refused.
_LEADING_ZERO = re.compile(rb"\b0[0-9]")

# -- argument parsers (RedisAI's number rules, reference section 0.3) -----------------


def parse_double(arg: bytes) -> float | None:
    """Redis string2d: C strtod over the whole argument; None if rejected.

    Rejects empty text, leading whitespace, leftovers, NaN, and overflow to +-HUGE_VAL or
    underflow to zero (ERANGE). Accepts inf/infinity and C hex floats."""
    if not arg:
        return None
    if not arg.translate(None, _DECIMAL_CHARS):  # plain decimal: float() == strtod here
        try:
            value = float(arg)
        except ValueError:
            return None
        if value == 0.0:
            mantissa = arg.split(b"e")[0].split(b"E")[0]
            if mantissa.translate(None, b"+-.0"):  # nonzero digits underflowed to 0
                return None
        elif value in (float("inf"), float("-inf")):  # overflow (no inf literal here)
            return None
        return value
    if arg[0] in _SPACE or arg[-1] in _SPACE or b"_" in arg:
        return None
    low = arg.lower()
    if low in _INF_WORDS:
        return float("inf")
    if low in _NEG_INF_WORDS:
        return float("-inf")
    body = low[1:] if low[:1] in (b"+", b"-") else low
    if not body.startswith(b"0x"):
        return None
    try:
        value = float.fromhex(low.decode("ascii"))
    except (ValueError, OverflowError, UnicodeDecodeError):
        return None
    if value == 0.0 and body[2:].split(b"p")[0].translate(None, b".0"):
        return None  # underflow
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return value


def _keyword(arg: bytes | bytearray) -> bytes:
    """Upper-cased argument for keyword matching (big bulks are never keywords)."""
    return arg.upper() if type(arg) is bytes and len(arg) <= 16 else b""


def _parse_doubles(args: Sequence[bytes | bytearray]) -> list[float] | None:
    """parse_double over every argument; None if any is rejected.

    Fast path: when every argument only holds decimal characters, C-level float() gives
    strtod's answer, and only overflow (inf) and underflow (0 from nonzero digits) are
    left to refuse."""
    if all(type(a) is bytes for a in args) and not b"".join(args).translate(None, _DECIMAL_CHARS):
        try:
            floats = list(map(float, args))
        except ValueError:
            return None
        if _INF in floats or _NEG_INF in floats:
            return None
        if 0.0 in floats:
            for arg, value in zip(args, floats, strict=True):
                if value == 0.0 and parse_double(bytes(arg)) is None:
                    return None
        return floats
    out: list[float] = []
    for arg in args:
        parsed = parse_double(arg if type(arg) is bytes else bytes(arg))
        if parsed is None:
            return None
        out.append(parsed)
    return out


def _parse_counts(args: Sequence[bytes | bytearray], limit: int) -> list[int] | None:
    """Strict non-negative integers (string2ll form) up to `limit`; None if any fails."""
    if not all(type(a) is bytes for a in args):
        return None
    joined = b",".join(args)
    if not joined.translate(None, b"0123456789,") and _LEADING_ZERO.search(joined) is None:
        try:
            ints = list(map(int, args))  # b"" raises: invalid, as in string2ll
        except ValueError:
            return None
        return ints if not ints or max(ints) <= limit else None
    return None


def _numbers(dtype: DType, shape: Sequence[int], args: Sequence[bytes | bytearray]) -> Tensor:
    if dtype.kind == "float":
        floats = _parse_doubles(args)
        if floats is None:
            raise CommandError(errors.TENSOR_INVALID_VALUE)
        with np.errstate(over="ignore", under="ignore"):  # FLOAT: overflow becomes +-inf
            array = np.array(floats, np.float64).astype(dtype.np_dtype)
    else:
        ints = _parse_counts(args, dtype.max_value)  # above 2**63-1 only for UINT64
        if ints is None:
            raise CommandError(errors.TENSOR_INVALID_VALUE)
        array = np.array(ints, dtype.np_dtype)
    return Tensor.from_array(array.reshape(tuple(shape)), dtype)


def _strings(shape: Sequence[int], args: Sequence[bytes | bytearray]) -> Tensor:
    elements: list[bytes] = []
    for arg in args:
        element = bytes(arg)
        nul = element.find(0)
        if nul != -1:
            if nul != len(element) - 1:
                raise CommandError(errors.TENSOR_STRING_NUL)
            element = element[:-1]  # a single final NUL is the terminator
        elif not element:  # RedisAI quirk: it reads the empty string's terminator
            raise CommandError(errors.TENSOR_STRING_NUL)
        elements.append(element)
    return Tensor.from_strings(shape, elements)


def parse_tensorset_args(args: Sequence[bytes | bytearray], max_bytes: int | None = None) -> Tensor:
    """Build a tensor from `<type> [dims...] [BLOB <data> | VALUES <v>...]`.

    Check order as RedisAI: type name, then a left-to-right walk (dims, BLOB arity,
    VALUES count), then the data itself. `max_bytes` caps the zero-filled form (a size no
    client could send as a BLOB is refused instead of allocated)."""
    dtype = DTYPES.get(_keyword(args[0]))
    if dtype is None:
        raise CommandError(errors.TENSOR_INVALID_DTYPE)
    shape: list[int] = []
    count = 1
    n = len(args)
    i = 1
    while i < n:
        arg = args[i]
        if type(arg) is bytes and arg.isdigit():  # a dimension: keywords hold no digits
            # strict integer > 0: no leading zero, at most 2**63-1
            if arg[0] == 0x30 or len(arg) > 19 or (dim := int(arg)) > _LLONG_MAX:
                raise CommandError(errors.TENSOR_INVALID_SHAPE)
            shape.append(dim)
            count *= dim
            i += 1
            continue
        word = _keyword(arg)
        if word == b"BLOB":
            if n - i != 2:
                raise CommandError(errors.TENSOR_BLOB_ARGS)
            return Tensor.from_blob(dtype, shape, args[i + 1])
        if word == b"VALUES":
            if n - i - 1 != count:
                raise CommandError(errors.TENSOR_VALUES_COUNT)
            values = args[i + 1 :]
            if dtype.kind == "string":
                return _strings(shape, values)
            return _numbers(dtype, shape, values)
        raise CommandError(errors.TENSOR_INVALID_SHAPE)  # "-1", "2.0", "BLOBS", ...
    if max_bytes is not None and count * dtype.itemsize > max_bytes:
        raise CommandError(errors.TENSOR_TOO_LARGE)
    return Tensor.zeros(dtype, shape)


_META = 1
_BLOB = 2
_VALUES = 4
_FORMATS = {b"META": _META, b"BLOB": _BLOB, b"VALUES": _VALUES}
_DTYPE_NAMES: dict[str, bytes] = {t.name: t.name.encode() for t in DTYPES.values()}


def tensorget_reply(tensor: Tensor, options: Sequence[bytes | bytearray]) -> Any:
    """The TENSORGET reply for `options` (META, BLOB, VALUES in any order; none means
    META BLOB). Flat arrays in RESP2 and RESP3 alike, as RedisAI and its clients expect;
    the blob is a memoryview of the tensor's own buffer, so it is written without a copy."""
    fmt = 0
    for option in options:
        flag = _FORMATS.get(_keyword(option))
        if flag is None:
            raise CommandError(errors.TENSOR_UNSUPPORTED_FORMAT)
        fmt |= flag
    if fmt & _BLOB and fmt & _VALUES:
        raise CommandError(errors.TENSOR_BLOB_AND_VALUES)
    if not options:
        fmt = _META | _BLOB
    dtype = tensor.dtype
    if fmt & _META:
        if dtype is None:
            raise CommandError(errors.TENSOR_UNSUPPORTED_DTYPE)
        reply: list[Any] = [b"dtype", _DTYPE_NAMES[dtype.name], b"shape", list(tensor.shape)]
        if fmt & _BLOB:
            reply += (b"blob", tensor.data)
        elif fmt & _VALUES:
            reply += (b"values", _values(tensor, dtype))
        return reply
    if fmt & _BLOB:
        return tensor.data
    if dtype is None:
        raise CommandError(errors.TENSOR_CANNOT_GET_VALUES)
    return _values(tensor, dtype)


class DoubleValues(list):
    """FLOAT/DOUBLE VALUES: RESP2 bulk strings / RESP3 doubles of the %.17g text,
    formatted in one pass for the whole list (see `_encode_doubles`)."""

    __slots__ = ()


class IntValues(list):
    """Integer and BOOL VALUES: RESP integers, formatted in one pass."""

    __slots__ = ()


def _values(tensor: Tensor, dtype: DType) -> list[Any]:
    values = tensor.values()
    kind = dtype.kind
    if kind == "float":
        return DoubleValues(values)
    if kind == "string":
        return values
    if dtype.max_value > _LLONG_MAX and values and max(values) > _LLONG_MAX:
        # UINT64 extension: RESP integers are signed 64-bit, so larger elements go out as
        # bulk strings of their decimal text (clients convert them with int()).
        return [v if v <= _LLONG_MAX else b"%d" % v for v in values]
    return IntValues(values)


def _encode_doubles(values: list[float], resp: int, out: list[Any]) -> None:
    n = len(values)
    out.append(b"*%d\r\n" % n)
    if not n:
        return
    if resp == 3:
        out.append((b",%.17g\r\n" * n) % tuple(values))
        return
    # %.17g spells inf, -inf and nan (any sign) as Redis 7.0 does (format_double).
    texts = ((b"%.17g\n" * n) % tuple(values)).split(b"\n")
    texts.pop()
    out.append(b"".join([b"$%d\r\n%s\r\n" % (len(text), text) for text in texts]))


def _encode_ints(values: list[int], resp: int, out: list[Any]) -> None:
    n = len(values)
    out.append(b"*%d\r\n" % n)
    if n:
        out.append((b":%d\r\n" * n) % tuple(values))


register_encoder(DoubleValues, _encode_doubles)
register_encoder(IntValues, _encode_ints)


def _wrong_arity(argv: list[bytes]) -> CommandError:
    return CommandError(errors.WRONG_ARITY.format(bytes(argv[0]).decode("utf-8", "replace")))


# -- commands ---------------------------------------------------------------------------


@command(
    "ai.tensorset",
    -1,
    "write denyoom module",
    keys=(1, 1, 1),
    group="module",
    summary="Stores a tensor (RedisAI).",
    since="1.0.0",
)
def ai_tensorset(client: Client, argv: list[bytes]) -> Any:
    if len(argv) < 4:
        raise _wrong_arity(argv)
    key = argv[1] if type(argv[1]) is bytes else bytes(argv[1])
    db = client.db
    db.get_typed(key, Tensor)  # WRONGTYPE comes before any other argument check
    tensor = parse_tensorset_args(argv[2:], client.server.config["proto-max-bulk-len"])
    db.set(key, tensor)  # replaces any old value and its TTL; RedisAI sends no event
    return OK


@command(
    "ai.tensorget",
    -1,
    "readonly module",
    keys=(1, 1, 1),
    group="module",
    summary="Returns a tensor's type, shape and data (RedisAI).",
    since="1.0.0",
)
def ai_tensorget(client: Client, argv: list[bytes]) -> Any:
    argc = len(argv)
    if argc < 2 or argc > 4:
        raise _wrong_arity(argv)
    key = argv[1] if type(argv[1]) is bytes else bytes(argv[1])
    tensor = client.db.get_typed(key, Tensor)
    if tensor is None:
        raise CommandError(errors.TENSOR_KEY_EMPTY)
    return tensorget_reply(tensor, argv[2:])
