"""String commands (Redis 7.0 src/t_string.c), with its replies, errors and propagation.

Arguments are `bytes` (the reader keeps a big bulk as the bytearray it was received
into only for AI.* commands). Values are `bytes`, or `bytearray` (results of
APPEND/SETRANGE, which Redis reports as "raw"), or `int` (what INCR and its family
store, as Redis keeps a counter int-encoded; readers get the digits from
`Database.read_string`/`get_string`, or `string_bytes`).
Stored values are never mutated in place (see keyspace/database.py). Relative expiries
are stored absolute, and handlers rewrite `argv` in place the way Redis rewrites
`c->argv`, so AOF and replicas receive the effect (SET ... PXAT, PEXPIREAT, DEL, SET ...
KEEPTTL) rather than the computation.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import errors
from ..errors import CommandError, SyntaxErr, WrongTypeError
from ..keyspace import longdouble
from ..keyspace.database import STRING_TYPES, Database, as_key, now_ms, string_bytes
from ..protocol.encoder import OK
from .args import LLONG_MAX, LLONG_MIN, parse_int
from .registry import command

if TYPE_CHECKING:
    from ..server import Client

# parseExtendedStringArgumentsOrReply flags (server.h OBJ_*)
_NX = 1 << 0
_XX = 1 << 1
_EX = 1 << 2
_PX = 1 << 3
_KEEPTTL = 1 << 4
_GET = 1 << 5
_EXAT = 1 << 6
_PXAT = 1 << 7
_PERSIST = 1 << 8
_ANY_EXPIRE = _EX | _PX | _EXAT | _PXAT

_SET, _GETEX = 0, 1  # command_type


def _opt(arg: bytes) -> bytes:
    """An option as C's strcasecmp sees it: up to the first NUL, upper-cased."""
    return bytes(arg).split(b"\0", 1)[0].upper()


def _notify(db: Database, event: str, key: bytes, cls: str) -> None:
    hook = db.keyspace.notify_hook
    if hook is not None:
        hook(db, event, key, cls)


def _obeys_master(client: Client) -> bool:
    """mustObeyClient: the master link (and AOF loading) bypass size checks."""
    return bool(client.extra.get("master"))


def _check_string_length(client: Client, size: int, append: int) -> None:
    if not _obeys_master(client) and size + append > client.server.config["proto-max-bulk-len"]:
        raise CommandError(errors.STRING_TOO_LONG)


def parse_string_options(argv: list[bytes], command_type: int) -> tuple[int, bytes | None]:
    """parseExtendedStringArgumentsOrReply for SET (from argv[3]) and GETEX (from argv[2]):
    returns (flags, expire argument). Repeating an option is allowed, conflicts are not."""
    flags = 0
    expire: bytes | None = None
    j = 2 if command_type == _GETEX else 3
    argc = len(argv)
    is_set = command_type == _SET
    while j < argc:
        opt = _opt(argv[j])
        has_next = j != argc - 1
        if opt == b"NX" and not flags & _XX and is_set:
            flags |= _NX
        elif opt == b"XX" and not flags & _NX and is_set:
            flags |= _XX
        elif opt == b"GET" and is_set:
            flags |= _GET
        elif opt == b"KEEPTTL" and not flags & (_PERSIST | _ANY_EXPIRE) and is_set:
            flags |= _KEEPTTL
        elif opt == b"PERSIST" and not is_set and not flags & (_ANY_EXPIRE | _KEEPTTL):
            flags |= _PERSIST
        elif opt == b"EX" and not flags & (_KEEPTTL | _PERSIST | _EXAT | _PX | _PXAT) and has_next:
            flags |= _EX
            j += 1
            expire = argv[j]
        elif opt == b"PX" and not flags & (_KEEPTTL | _PERSIST | _EX | _EXAT | _PXAT) and has_next:
            flags |= _PX
            j += 1
            expire = argv[j]
        elif opt == b"EXAT" and not flags & (_KEEPTTL | _PERSIST | _EX | _PX | _PXAT) and has_next:
            flags |= _EXAT
            j += 1
            expire = argv[j]
        elif opt == b"PXAT" and not flags & (_KEEPTTL | _PERSIST | _EX | _EXAT | _PX) and has_next:
            flags |= _PXAT
            j += 1
            expire = argv[j]
        else:
            raise SyntaxErr()
        j += 1
    return flags, expire


def expire_ms_or_error(arg: bytes, flags: int, name: str) -> int:
    """getExpireMillisecondsOrReply: the absolute unix time in ms for EX/PX/EXAT/PXAT."""
    value = parse_int(arg)
    seconds = bool(flags & (_EX | _EXAT))
    if value <= 0 or (seconds and value > LLONG_MAX // 1000):
        raise CommandError(errors.INVALID_EXPIRE.format(name))
    if seconds:
        value *= 1000
    if flags & (_EX | _PX):
        value += now_ms()
    if value > LLONG_MAX:  # C's signed overflow shows up as a non-positive value
        raise CommandError(errors.INVALID_EXPIRE.format(name))
    return value


def set_generic(
    client: Client,
    argv: list[bytes],
    flags: int,
    key: bytes,
    value: bytes,
    expire: bytes | None,
    name: str,
    ok_reply: Any = OK,
    abort_reply: Any = None,
) -> Any:
    """setGenericCommand, shared by SET, SETNX, SETEX and PSETEX."""
    db = client.db
    when = expire_ms_or_error(expire, flags, name) if expire is not None else 0
    old = None
    if flags & _GET:
        old = db.read_string(key)
    found = db.get(key) is not None
    if (flags & _NX and found) or (flags & _XX and not found):
        return old if flags & _GET else abort_reply
    db.set(key, value, keep_ttl=bool(flags & _KEEPTTL))
    _notify(db, "set", key, "$")
    if expire is not None:
        db.set_expire(key, when)
        argv[:] = [b"SET", key, value, b"PXAT", b"%d" % when]
        _notify(db, "expire", key, "g")
    elif flags & _GET:  # propagate without GET
        argv[:] = argv[:3] + [a for a in argv[3:] if _opt(a) != b"GET"]
    return old if flags & _GET else ok_reply


# --- GET / SET family ----------------------------------------------------------------


@command(
    "get",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    group="string",
    since="1.0.0",
    summary="Get the value of a key",
)
def get(client: Client, argv: list[bytes]) -> Any:
    value = client.db.read(argv[1])
    if value is None or type(value) is bytes:  # read_typed, one call less: GET's hot path
        return value
    if not isinstance(value, STRING_TYPES):
        raise WrongTypeError()
    return string_bytes(value)


@command(
    "set",
    -3,
    "write denyoom",
    keys=(1, 1, 1),
    group="string",
    since="1.0.0",
    summary="Set the string value of a key",
)
def set_(client: Client, argv: list[bytes]) -> Any:
    if len(argv) == 3:  # no options to parse
        db = client.db
        key = argv[1]
        keyspace = db.keyspace
        hook = keyspace.notify_hook
        if hook is None and not keyspace.watching:
            # `Database.set` inlined for the plain case (one call less: SET's hot path)
            db.data[key] = argv[2]
            expires = db.expires
            if expires and key in expires:
                del expires[key]
            db.atime[key] = keyspace.lru_clock
            keyspace.dirty += 1
            return OK
        db.set(key, argv[2])
        if hook is not None:
            hook(db, "set", key, "$")
        return OK
    flags, expire = parse_string_options(argv, _SET)
    return set_generic(client, argv, flags, as_key(argv[1]), argv[2], expire, "set")


@command(
    "setnx",
    3,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="string",
    since="1.0.0",
    summary="Set the value of a key, only if the key does not exist",
)
def setnx(client: Client, argv: list[bytes]) -> Any:
    return set_generic(client, argv, _NX, as_key(argv[1]), argv[2], None, "setnx", 1, 0)


@command(
    "setex",
    4,
    "write denyoom",
    keys=(1, 1, 1),
    group="string",
    since="2.0.0",
    summary="Set the value and expiration of a key",
)
def setex(client: Client, argv: list[bytes]) -> Any:
    return set_generic(client, argv, _EX, as_key(argv[1]), argv[3], argv[2], "setex")


@command(
    "psetex",
    4,
    "write denyoom",
    keys=(1, 1, 1),
    group="string",
    since="2.6.0",
    summary="Set the value and expiration in milliseconds of a key",
)
def psetex(client: Client, argv: list[bytes]) -> Any:
    return set_generic(client, argv, _PX, as_key(argv[1]), argv[3], argv[2], "psetex")


@command(
    "getset",
    3,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="string",
    since="1.0.0",
    summary="Set the string value of a key and return its old value",
)
def getset(client: Client, argv: list[bytes]) -> Any:
    db, key = client.db, as_key(argv[1])
    old = db.read_string(key)
    db.set(key, argv[2])
    _notify(db, "set", key, "$")
    argv[0] = b"SET"
    return old


@command(
    "getdel",
    2,
    "write fast",
    keys=(1, 1, 1),
    group="string",
    since="6.2.0",
    summary="Get the value of a key and delete the key",
)
def getdel(client: Client, argv: list[bytes]) -> Any:
    db, key = client.db, as_key(argv[1])
    old = db.read_string(key)
    if old is not None and db.delete(key):
        argv[:] = [b"DEL", key]
        _notify(db, "del", key, "g")
    return old


@command(
    "getex",
    -2,
    "write fast",
    keys=(1, 1, 1),
    group="string",
    since="6.2.0",
    summary="Get the value of a key and optionally set its expiration",
)
def getex(client: Client, argv: list[bytes]) -> Any:
    flags, expire = parse_string_options(argv, _GETEX)
    db, key = client.db, as_key(argv[1])
    value = db.read_string(key)
    if value is None:
        return None
    when = expire_ms_or_error(expire, flags, "getex") if expire is not None else 0
    if flags & (_EXAT | _PXAT) and _already_expired(client, when):
        db.delete(key)
        argv[:] = [b"DEL", key]
        _notify(db, "del", key, "g")
    elif expire is not None:
        db.set_expire(key, when)
        argv[:] = [b"PEXPIREAT", key, b"%d" % when]
        _notify(db, "expire", key, "g")
    elif flags & _PERSIST and db.persist(key):
        argv[:] = [b"PERSIST", key]
        _notify(db, "persist", key, "g")
    return value


def _already_expired(client: Client, when: int) -> bool:
    """checkAlreadyExpired: a past time deletes, except while loading or on a replica
    (the master's DEL will follow)."""
    return when <= now_ms() and not client.server.loading and not _obeys_master(client)


@command(
    "mget",
    -2,
    "readonly fast",
    keys=(1, -1, 1),
    group="string",
    since="1.0.0",
    summary="Get the values of all the given keys",
)
def mget(client: Client, argv: list[bytes]) -> Any:
    read = client.db.read
    out = []
    for arg in argv[1:]:
        value = read(as_key(arg))
        out.append(string_bytes(value) if isinstance(value, STRING_TYPES) else None)
    return out


@command(
    "mset",
    -3,
    "write denyoom",
    keys=(1, -1, 2),
    group="string",
    since="1.0.1",
    summary="Set multiple keys to multiple values",
)
def mset(client: Client, argv: list[bytes]) -> Any:
    return _mset_generic(client, argv, False)


@command(
    "msetnx",
    -3,
    "write denyoom",
    keys=(1, -1, 2),
    group="string",
    since="1.0.1",
    summary="Set multiple keys to multiple values, only if none of the keys exist",
)
def msetnx(client: Client, argv: list[bytes]) -> Any:
    return _mset_generic(client, argv, True)


def _mset_generic(client: Client, argv: list[bytes], nx: bool) -> Any:
    if len(argv) % 2 == 0:
        raise CommandError(errors.WRONG_ARITY.format("msetnx" if nx else "mset"))
    db = client.db
    keys = argv[1::2]
    if nx:
        for key in keys:
            if db.get(key) is not None:
                return 0
    if db.plain_writes:
        db.set_many(keys, argv[2::2])
    else:  # "new" and "set" events interleave per key, as in Redis
        for key, value in zip(keys, argv[2::2], strict=True):
            db.set(key, value)
            _notify(db, "set", key, "$")
    return 1 if nx else OK


# --- counters -------------------------------------------------------------------------


def _incr_decr(client: Client, argv: list[bytes], incr: int = 1) -> int:
    """incrDecrCommand, and INCR itself (registered as its handler: no wrapper frame).
    The result is stored as an `int` (Redis's int encoding: the next INCR neither parses
    nor formats it). INCR's hot path, so get_typed and _notify are inlined, and with no
    TTLs in the database, no WATCH and no keyspace events (`plain`), what
    `Database.get`/`set` would do too: the dict, the LRU clock, the dirty count."""
    key = argv[1]
    db = client.db
    keyspace = db.keyspace
    # no TTLs and `Database.plain_writes`, inlined (the property call costs INCR 6%)
    plain = not db.expires and keyspace.notify_hook is None and not keyspace.watching
    current = db.data.get(key) if plain else db.get(key)
    if type(current) is int:  # a counter INCR stored
        value = current + incr
    elif current is None:
        value = incr
    elif type(current) is bytes and current.isdigit() and len(current) < 19 and current[0] != 48:
        value = int(current) + incr  # parse_int's usual counter, inlined
    elif type(current) is bytes or type(current) is bytearray:
        value = parse_int(current) + incr
    else:
        raise WrongTypeError()
    if not LLONG_MIN <= value <= LLONG_MAX:  # both operands are in range: Redis's check
        raise CommandError(errors.OVERFLOW)
    if plain:
        db.data[key] = value
        db.atime[key] = keyspace.lru_clock
        keyspace.dirty += 1
        return value
    db.set(key, value, keep_ttl=True)
    hook = keyspace.notify_hook
    if hook is not None:
        hook(db, "incrby", key, "$")
    return value


incr = command(
    "incr",
    2,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="string",
    since="1.0.0",
    summary="Increment the integer value of a key by one",
)(_incr_decr)


@command(
    "decr",
    2,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="string",
    since="1.0.0",
    summary="Decrement the integer value of a key by one",
)
def decr(client: Client, argv: list[bytes]) -> Any:
    return _incr_decr(client, argv, -1)


@command(
    "incrby",
    3,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="string",
    since="1.0.0",
    summary="Increment the integer value of a key by the given amount",
)
def incrby(client: Client, argv: list[bytes]) -> Any:
    return _incr_decr(client, argv, parse_int(argv[2]))


@command(
    "decrby",
    3,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="string",
    since="1.0.0",
    summary="Decrement the integer value of a key by the given number",
)
def decrby(client: Client, argv: list[bytes]) -> Any:
    amount = parse_int(argv[2])
    if amount == LLONG_MIN:
        raise CommandError(errors.DECR_OVERFLOW)
    return _incr_decr(client, argv, -amount)


@command(
    "incrbyfloat",
    3,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="string",
    since="2.6.0",
    summary="Increment the float value of a key by the given amount",
)
def incrbyfloat(client: Client, argv: list[bytes]) -> Any:
    db, key = client.db, as_key(argv[1])
    current = db.get_string(key)
    try:
        old = longdouble.parse(current) if current is not None else Fraction(0)
        amount = longdouble.parse(argv[2])
    except longdouble.RangeError:
        raise CommandError(errors.NOT_FLOAT) from None
    total = longdouble.add(old, amount)
    if isinstance(total, str):
        raise CommandError(errors.INCR_NAN)
    value = longdouble.format_human(total)
    db.set(key, value, keep_ttl=True)
    _notify(db, "incrbyfloat", key, "$")
    argv[:] = [b"SET", key, value, b"KEEPTTL"]
    return value


# --- byte ranges ----------------------------------------------------------------------


@command(
    "append",
    3,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="string",
    since="2.0.0",
    summary="Append a value to a key",
)
def append(client: Client, argv: list[bytes]) -> Any:
    db, key, tail = client.db, as_key(argv[1]), argv[2]
    current = db.get_string(key)
    if current is None:
        db.set(key, tail)
        total = len(tail)
    else:
        _check_string_length(client, len(current), len(tail))
        value = bytearray(current)  # a new object: the old one may still be referenced
        value += tail
        db.set(key, value, keep_ttl=True)
        total = len(value)
    _notify(db, "append", key, "$")
    return total


@command(
    "setrange",
    4,
    "write denyoom",
    keys=(1, 1, 1),
    group="string",
    since="2.2.0",
    summary="Overwrite part of a string at key starting at the specified offset",
)
def setrange(client: Client, argv: list[bytes]) -> Any:
    db, key, patch = client.db, as_key(argv[1]), argv[3]
    offset = parse_int(argv[2])
    if offset < 0:
        raise CommandError(errors.OFFSET_OUT_OF_RANGE)
    current = db.get_string(key)
    if current is None:
        if not patch:
            return 0
        _check_string_length(client, offset, len(patch))
        value = bytearray(offset)
        value += patch
    else:
        if not patch:
            return len(current)
        _check_string_length(client, offset, len(patch))
        value = bytearray(current)
        if len(value) < offset:
            value.extend(bytes(offset - len(value)))
        value[offset : offset + len(patch)] = patch
    db.set(key, value, keep_ttl=True)
    _notify(db, "setrange", key, "$")
    return len(value)


@command(
    "getrange",
    4,
    "readonly",
    keys=(1, 1, 1),
    group="string",
    since="2.4.0",
    summary="Get a substring of the string stored at a key",
)
def getrange(client: Client, argv: list[bytes]) -> Any:
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    value = client.db.read_string(as_key(argv[1]))
    if value is None:
        return b""
    size = len(value)
    if start < 0 and end < 0 and start > end:
        return b""
    if start < 0:
        start = max(size + start, 0)
    if end < 0:
        end = max(size + end, 0)
    if end >= size:
        end = size - 1
    if start > end or size == 0:
        return b""
    return bytes(value[start : end + 1])


@command(
    "substr",
    4,
    "readonly",
    keys=(1, 1, 1),
    group="string",
    since="1.0.0",
    summary="Get a substring of the string stored at a key",
)
def substr(client: Client, argv: list[bytes]) -> Any:
    return getrange(client, argv)


@command(
    "strlen",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    group="string",
    since="2.2.0",
    summary="Get the length of the value stored in a key",
)
def strlen(client: Client, argv: list[bytes]) -> Any:
    value = client.db.read_string(as_key(argv[1]))
    return 0 if value is None else len(value)


# --- LCS ------------------------------------------------------------------------------


@command(
    "lcs",
    -3,
    "readonly",
    keys=(1, 2, 1),
    group="string",
    since="7.0.0",
    summary="Find longest common substring",
)
def lcs(client: Client, argv: list[bytes]) -> Any:
    db = client.db
    a = db.read(as_key(argv[1]))
    b = db.read(as_key(argv[2]))
    if (a is not None and type(a) not in STRING_TYPES) or (
        b is not None and type(b) not in STRING_TYPES
    ):
        raise CommandError(errors.LCS_NOT_STRINGS)
    a = bytes(string_bytes(a)) if a is not None else b""
    b = bytes(string_bytes(b)) if b is not None else b""
    getidx = getlen = withmatchlen = False
    minmatchlen = 0
    j, argc = 3, len(argv)
    while j < argc:
        opt = _opt(argv[j])
        if opt == b"IDX":
            getidx = True
        elif opt == b"LEN":
            getlen = True
        elif opt == b"WITHMATCHLEN":
            withmatchlen = True
        elif opt == b"MINMATCHLEN" and argc - 1 - j > 0:
            minmatchlen = max(parse_int(argv[j + 1]), 0)
            j += 1
        else:
            raise SyntaxErr()
        j += 1
    if getidx and getlen:
        raise CommandError(errors.LCS_IDX_AND_LEN)
    if len(a) >= 0xFFFFFFFF - 1 or len(b) >= 0xFFFFFFFF - 1:
        raise CommandError(errors.LCS_TOO_LONG)
    if (len(a) + 1) * (len(b) + 1) * 4 > client.server.config["proto-max-bulk-len"]:
        raise CommandError(errors.LCS_OUT_OF_MEMORY)
    table = _lcs_table(a, b)
    total = int(table[len(a), len(b)])
    if getlen:
        return total
    matches, result = _lcs_walk(a, b, table, total, minmatchlen, withmatchlen)
    if getidx:
        return {b"matches": matches, b"len": total}
    return result


def _lcs_table(a: bytes, b: bytes) -> np.ndarray[Any, np.dtype[np.uint32]]:
    """LCS(i, j) for every prefix pair, a row at a time: a match takes the diagonal + 1,
    otherwise the row is the running maximum of the row above (the textbook recurrence)."""
    alen, blen = len(a), len(b)
    table = np.zeros((alen + 1, blen + 1), dtype=np.uint32)
    if not alen or not blen:
        return table
    bvec = np.frombuffer(b, dtype=np.uint8)
    for i in range(1, alen + 1):
        prev = table[i - 1]
        candidate = np.where(bvec == a[i - 1], prev[:-1] + 1, prev[1:])
        np.maximum.accumulate(candidate, out=table[i, 1:])
    return table


def _lcs_walk(
    a: bytes,
    b: bytes,
    table: np.ndarray[Any, np.dtype[np.uint32]],
    total: int,
    minmatchlen: int,
    withmatchlen: bool,
) -> tuple[list[Any], bytes]:
    """Walk back from the end as lcsCommand does, collecting the string and the ranges
    (emitted last-to-first, with Redis's exact tie-breaking)."""
    alen = len(a)
    result = bytearray(total)
    idx = total
    matches: list[Any] = []
    arange_start = alen  # alen means "no range open"
    arange_end = brange_start = brange_end = 0
    i, j = alen, len(b)
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            result[idx - 1] = a[i - 1]
            if arange_start == alen:
                arange_start = arange_end = i - 1
                brange_start = brange_end = j - 1
            elif arange_start == i and brange_start == j:
                arange_start -= 1
                brange_start -= 1
            else:
                emit = True
            if arange_start == 0 or brange_start == 0:
                emit = True
            idx -= 1
            i -= 1
            j -= 1
        else:
            if table[i - 1, j] > table[i, j - 1]:
                i -= 1
            else:
                j -= 1
            if arange_start != alen:
                emit = True
        if emit:
            match_len = arange_end - arange_start + 1
            if minmatchlen == 0 or match_len >= minmatchlen:
                entry: list[Any] = [[arange_start, arange_end], [brange_start, brange_end]]
                if withmatchlen:
                    entry.append(match_len)
                matches.append(entry)
            arange_start = alen
    return matches, bytes(result)
