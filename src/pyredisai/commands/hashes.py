"""Hash commands (Redis src/t_hash.c, Redis 7.0 semantics).

A hash is a plain `dict[bytes, bytes]` (fields as bytes so they can be dict keys; values
as they arrived). An emptied hash is deleted. Replies that list a hash copy it, because an
EXEC reply is encoded only after the later queued commands have run.
"""

from __future__ import annotations

import random
from fractions import Fraction
from itertools import islice
from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError, SyntaxErr, WrongTypeError
from ..keyspace import longdouble
from ..keyspace.database import TYPE_NAMES, as_key
from ..keyspace.scan import scan_page
from ..protocol.encoder import OK
from .args import LLONG_MAX, LLONG_MIN, parse_int
from .registry import command
from .scan_args import parse_cursor, parse_scan_options

if TYPE_CHECKING:
    from ..keyspace.database import Database
    from ..server import Client

TYPE_NAMES[dict] = "hash"

# Redis 7.0 defaults of hash-max-listpack-entries / -value: below both, a hash is one
# listpack and HSCAN returns it whole whatever COUNT says.
LISTPACK_MAX_ENTRIES = 128
LISTPACK_MAX_VALUE = 64
_LONG_MAX_HALF = LLONG_MAX // 2


# --- data API ------------------------------------------------------------------------------


def _lookup(db: Database, key: bytes) -> dict[bytes, Any] | None:
    """lookupKeyWrite + checkType: the hash at key, None if absent, WRONGTYPE otherwise."""
    value = db.get(key)
    if value is None or type(value) is dict:
        return value
    raise WrongTypeError()


def _lookup_read(db: Database, key: bytes) -> dict[bytes, Any] | None:
    """lookupKeyRead + checkType (hit/miss statistics)."""
    value = db.read(key)
    if value is None or type(value) is dict:
        return value
    raise WrongTypeError()


def _modified(db: Database, key: bytes, h: dict[bytes, Any], created: bool) -> None:
    """Store a hash created by this command, or signal an in-place change."""
    if created:
        db.set(key, h)
    else:
        db.keyspace.modified(db, key)


def is_listpack(h: dict[bytes, Any]) -> bool:
    """Whether Redis 7.0 would keep this hash listpack-encoded (default thresholds)."""
    if len(h) > LISTPACK_MAX_ENTRIES:
        return False
    limit = LISTPACK_MAX_VALUE
    return all(len(f) <= limit and len(v) <= limit for f, v in h.items())


# --- writes --------------------------------------------------------------------------------


def _set_fields(h: dict[bytes, Any], argv: list[bytes]) -> None:
    """HSET's field-value pairs from argv[2:] into `h` (big arguments as bytes keys)."""
    for i in range(2, len(argv), 2):
        field = argv[i]
        h[field if type(field) is bytes else bytes(field)] = argv[i + 1]


def _hset(client: Client, argv: list[bytes], name: str = "hset") -> int:
    """HSET itself (registered as its handler: no wrapper frame on its hot path) and
    HMSET's body: returns the number of fields created."""
    argc = len(argv)
    if argc & 1:  # an odd count: a field without its value
        raise CommandError(errors.WRONG_ARITY.format(name))
    db = client.db
    key = argv[1]
    keyspace = db.keyspace
    # `Database.get` (lookupKeyWrite), inlined where no key has a TTL: HSET's hot path
    h = db.get(key) if db.expires else db.data.get(key)
    if type(h) is dict:  # an existing hash, the usual HSET: tested first
        db.atime[key] = keyspace.lru_clock
        before = len(h)
        if argc == 4:
            field = argv[2]
            h[field if type(field) is bytes else bytes(field)] = argv[3]
            keyspace.dirty += 1
        else:
            _set_fields(h, argv)
            keyspace.dirty += (argc - 2) >> 1  # one change per field
        if keyspace.watching:
            keyspace.modified_watched(db, key)
    elif h is None:
        h = {}
        before = 0
        _set_fields(h, argv)
        db.set(key, h)  # dbAdd: "new" notification, dirty, WATCH
        keyspace.dirty += ((argc - 2) >> 1) - 1  # the other fields' changes
    else:
        db.atime[key] = keyspace.lru_clock  # the lookup touched it, as Redis's does
        raise WrongTypeError()
    if keyspace.notify_hook is not None:
        keyspace.notify_hook(db, "hset", key, "h")
    return len(h) - before


hset = command(
    "hset",
    -4,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="hash",
    since="2.0.0",
    summary="Creates or modifies the value of a field in a hash.",
)(_hset)


@command(
    "hmset",
    -4,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="hash",
    since="2.0.0",
    summary="Sets the values of multiple fields.",
)
def hmset(client: Client, argv: list[bytes]) -> Any:
    _hset(client, argv, "hmset")
    return OK


@command(
    "hsetnx",
    4,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="hash",
    since="2.0.0",
    summary="Sets the value of a field in a hash only when the field doesn't exist.",
)
def hsetnx(client: Client, argv: list[bytes]) -> Any:
    db = client.db
    key = as_key(argv[1])
    h = _lookup(db, key)
    field = as_key(argv[2])
    if h is not None and field in h:
        return 0
    created = h is None
    if h is None:
        h = {}
    h[field] = argv[3]
    _modified(db, key, h, created)
    db.keyspace.notify(db, "hset", key, "h")
    return 1


@command(
    "hdel",
    -3,
    "write fast",
    keys=(1, 1, 1),
    group="hash",
    since="2.0.0",
    summary="Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.",
)
def hdel(client: Client, argv: list[bytes]) -> Any:
    db = client.db
    key = as_key(argv[1])
    h = _lookup(db, key)
    if h is None:
        return 0
    deleted = 0
    for field in islice(argv, 2, None):
        if h.pop(as_key(field), None) is not None:
            deleted += 1
            if not h:
                break
    if deleted:
        keyspace = db.keyspace
        if h:
            keyspace.modified(db, key)
            keyspace.notify(db, "hdel", key, "h")
        else:
            db.delete(key)
            keyspace.notify(db, "hdel", key, "h")
            keyspace.notify(db, "del", key, "g")
        keyspace.dirty += deleted - 1
    return deleted


@command(
    "hincrby",
    4,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="hash",
    since="2.0.0",
    summary="Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.",
)
def hincrby(client: Client, argv: list[bytes]) -> Any:
    incr = parse_int(argv[3])
    db = client.db
    key = as_key(argv[1])
    h = _lookup(db, key)
    created = h is None
    if h is None:
        h = {}
    field = as_key(argv[2])
    current = h.get(field)
    value = 0 if current is None else parse_int(current, errors.HASH_NOT_INTEGER)
    if (incr < 0 and value < 0 and incr < LLONG_MIN - value) or (
        incr > 0 and value > 0 and incr > LLONG_MAX - value
    ):
        raise CommandError(errors.OVERFLOW)
    value += incr
    h[field] = b"%d" % value
    _modified(db, key, h, created)
    db.keyspace.notify(db, "hincrby", key, "h")
    return value


@command(
    "hincrbyfloat",
    4,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="hash",
    since="2.6.0",
    summary="Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.",
)
def hincrbyfloat(client: Client, argv: list[bytes]) -> Any:
    """Extended-precision sum printed as Redis does; propagated as HSET of the result."""
    try:
        incr = longdouble.parse(argv[3])
    except longdouble.RangeError:
        raise CommandError(errors.NOT_FLOAT) from None
    if isinstance(incr, str):  # infinite
        raise CommandError(errors.INCR_IS_NAN_OR_INF)
    db = client.db
    key = as_key(argv[1])
    h = _lookup(db, key)
    created = h is None
    if h is None:
        h = {}
    field = as_key(argv[2])
    current = h.get(field)
    value: longdouble.LongDouble = Fraction(0)
    if current is not None:
        try:
            value = longdouble.parse(current)
        except longdouble.RangeError:
            raise CommandError(errors.HASH_NOT_FLOAT) from None
    total = longdouble.add(value, incr)
    if isinstance(total, str):
        raise CommandError(errors.INCR_NAN)
    text = longdouble.format_human(total)
    h[field] = text
    _modified(db, key, h, created)
    db.keyspace.notify(db, "hincrbyfloat", key, "h")
    argv[:] = [b"HSET", key, field, text]
    return text


# --- reads ---------------------------------------------------------------------------------


@command(
    "hget",
    3,
    "readonly fast",
    keys=(1, 1, 1),
    group="hash",
    since="2.0.0",
    summary="Returns the value of a field in a hash.",
)
def hget(client: Client, argv: list[bytes]) -> Any:
    h = client.db.read(as_key(argv[1]))
    if h is None:
        return None
    if type(h) is not dict:
        raise WrongTypeError()
    field = argv[2]
    return h.get(field if type(field) is bytes else bytes(field))


@command(
    "hmget",
    -3,
    "readonly fast",
    keys=(1, 1, 1),
    group="hash",
    since="2.0.0",
    summary="Returns the values of all fields in a hash.",
)
def hmget(client: Client, argv: list[bytes]) -> Any:
    h = _lookup_read(client.db, as_key(argv[1]))
    if h is None:
        return [None] * (len(argv) - 2)
    get = h.get
    return [get(as_key(field)) for field in islice(argv, 2, None)]


@command(
    "hlen",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    group="hash",
    since="2.0.0",
    summary="Returns the number of fields in a hash.",
)
def hlen(client: Client, argv: list[bytes]) -> Any:
    h = _lookup_read(client.db, as_key(argv[1]))
    return 0 if h is None else len(h)


@command(
    "hstrlen",
    3,
    "readonly fast",
    keys=(1, 1, 1),
    group="hash",
    since="3.2.0",
    summary="Returns the length of the value of a field.",
)
def hstrlen(client: Client, argv: list[bytes]) -> Any:
    h = _lookup_read(client.db, as_key(argv[1]))
    if h is None:
        return 0
    value = h.get(as_key(argv[2]))
    return 0 if value is None else len(value)


@command(
    "hexists",
    3,
    "readonly fast",
    keys=(1, 1, 1),
    group="hash",
    since="2.0.0",
    summary="Determines whether a field exists in a hash.",
)
def hexists(client: Client, argv: list[bytes]) -> Any:
    h = _lookup_read(client.db, as_key(argv[1]))
    return 0 if h is None else int(as_key(argv[2]) in h)


@command(
    "hkeys",
    2,
    "readonly",
    keys=(1, 1, 1),
    group="hash",
    since="2.0.0",
    summary="Returns all fields in a hash.",
)
def hkeys(client: Client, argv: list[bytes]) -> Any:
    h = _lookup_read(client.db, as_key(argv[1]))
    return [] if h is None else list(h)


@command(
    "hvals",
    2,
    "readonly",
    keys=(1, 1, 1),
    group="hash",
    since="2.0.0",
    summary="Returns all values in a hash.",
)
def hvals(client: Client, argv: list[bytes]) -> Any:
    h = _lookup_read(client.db, as_key(argv[1]))
    return [] if h is None else list(h.values())


@command(
    "hgetall",
    2,
    "readonly",
    keys=(1, 1, 1),
    group="hash",
    since="2.0.0",
    summary="Returns all fields and values in a hash.",
)
def hgetall(client: Client, argv: list[bytes]) -> Any:
    """A map in RESP3, a flat field/value array in RESP2."""
    h = _lookup_read(client.db, as_key(argv[1]))
    return {} if h is None else dict(h)


@command(
    "hrandfield",
    -2,
    "readonly",
    keys=(1, 1, 1),
    group="hash",
    since="6.2.0",
    summary="Returns one or more random fields from a hash.",
)
def hrandfield(client: Client, argv: list[bytes]) -> Any:
    argc = len(argv)
    if argc < 3:
        h = _lookup_read(client.db, as_key(argv[1]))
        if not h:
            return None
        return next(islice(h, random.randrange(len(h)), None))
    count = parse_int(argv[2])
    if count == LLONG_MIN:
        raise CommandError(errors.VALUE_OUT_OF_LONG_RANGE)
    if argc > 4 or (argc == 4 and argv[3].lower() != b"withvalues"):
        raise SyntaxErr()
    withvalues = argc == 4
    if withvalues and not -_LONG_MAX_HALF <= count <= _LONG_MAX_HALF:
        raise CommandError(errors.VALUE_OUT_OF_RANGE)
    h = _lookup_read(client.db, as_key(argv[1]))
    if h is None or count == 0:
        return []
    if count < 0 or count == 1:  # with repetitions, random order
        fields = random.choices(list(h), k=-count if count < 0 else 1)
    elif count >= len(h):
        fields = list(h)
    else:
        fields = random.sample(list(h), count)
    if not withvalues:
        return fields
    if client.resp == 3:
        return [[f, h[f]] for f in fields]
    flat: list[Any] = []
    for f in fields:
        flat.append(f)
        flat.append(h[f])
    return flat


@command(
    "hscan",
    -3,
    "readonly",
    keys=(1, 1, 1),
    group="hash",
    since="2.8.0",
    summary="Iterates over fields and values of a hash.",
)
def hscan(client: Client, argv: list[bytes]) -> Any:
    """A listpack-sized hash comes whole at cursor 0, as in Redis; bigger ones page through
    a snapshot (keyspace/scan.py) so every field present throughout is returned."""
    cursor = parse_cursor(argv[2])
    db = client.db
    key = as_key(argv[1])
    h = _lookup_read(db, key)
    if h is None:
        return [b"0", []]
    opts = parse_scan_options(argv, 3, allow_type=False)
    if is_listpack(h):
        next_cursor, fields = 0, list(h)
    else:
        next_cursor, fields = scan_page(("hash", db.id, key), cursor, opts.count, lambda: list(h))
    match = opts.matcher
    out: list[Any] = []
    for field in fields:
        value = h.get(field)
        if value is not None and (match is None or match(field)):
            out.append(field)
            out.append(value)
    return [b"%d" % next_cursor, out]
