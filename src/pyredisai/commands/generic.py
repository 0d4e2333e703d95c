"""Generic keyspace commands (Redis 7.0 src/db.c, src/expire.c, src/object.c).

Key lookups follow Redis's flavours (see keyspace/database.py): reads that Redis does
with lookupKeyRead use `db.read` (statistics, keymiss events, LRU touch), writes use
`db.get`, and TYPE/EXISTS/TTL/OBJECT do not touch the LRU clock. Handlers rewrite `argv`
in place where Redis rewrites what it propagates (EXPIRE -> PEXPIREAT with an absolute
time, a past expiry -> DEL).
"""

from __future__ import annotations

import copy
import random
from itertools import islice
from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError, SyntaxErr
from ..keyspace.database import (
    COPIERS,
    CORE_TYPE_NAMES,
    OBJECT_ENCODINGS,
    TYPE_NAMES,
    Database,
    as_key,
    now_ms,
    type_name,
)
from ..keyspace.glob import glob_matcher
from ..keyspace.scan import scan_page
from ..protocol.encoder import OK, SimpleString
from .args import LLONG_MAX, LLONG_MIN, parse_int
from .registry import command, container
from .scan_args import parse_cursor, parse_scan_options

if TYPE_CHECKING:
    from ..server import Client

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
OBJ_SHARED_INTEGERS = 10000
OBJ_SHARED_REFCOUNT = 2**31 - 1
LFU_INIT_VAL = 5


def _notify(db: Database, event: str, key: bytes, cls: str) -> None:
    hook = db.keyspace.notify_hook
    if hook is not None:
        hook(db, event, key, cls)


def _opt(arg: bytes) -> bytes:
    """An option as C's strcasecmp sees it: up to the first NUL, upper-cased."""
    return bytes(arg).split(b"\0", 1)[0].upper()


def _db_index(client: Client, arg: bytes) -> Database:
    """getIntFromObjectOrReply + selectDb, as MOVE and COPY ... DB check a target db."""
    index = parse_int(arg)
    if not INT_MIN <= index <= INT_MAX:
        raise CommandError(errors.INT_OUT_OF_RANGE)
    dbs = client.server.keyspace.dbs
    if not 0 <= index < len(dbs):
        raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
    return dbs[index]


# --- existence, deletion, type ---------------------------------------------------------


@command(
    "del", -2, "write", keys=(1, -1, 1), group="generic", since="1.0.0", summary="Delete a key"
)
def del_(client: Client, argv: list[bytes]) -> Any:
    return _del_generic(client, argv)


@command(
    "unlink",
    -2,
    "write fast",
    keys=(1, -1, 1),
    group="generic",
    since="4.0.0",
    summary="Delete a key asynchronously in another thread. Otherwise it is just as DEL, "
    "but non blocking.",
)
def unlink(client: Client, argv: list[bytes]) -> Any:
    return _del_generic(client, argv)


def _del_generic(client: Client, argv: list[bytes]) -> int:
    db = client.db
    deleted = 0
    for arg in argv[1:]:
        key = as_key(arg)
        if db.delete(key):
            _notify(db, "del", key, "g")
            deleted += 1
    return deleted


@command(
    "exists",
    -2,
    "readonly fast",
    keys=(1, -1, 1),
    group="generic",
    since="1.0.0",
    summary="Determine if a key exists",
)
def exists(client: Client, argv: list[bytes]) -> Any:
    read = client.db.read
    return sum(1 for arg in argv[1:] if read(as_key(arg), False) is not None)


@command(
    "type",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    group="generic",
    since="1.0.0",
    summary="Determine the type stored at key",
)
def type_(client: Client, argv: list[bytes]) -> Any:
    value = client.db.read(as_key(argv[1]), False)
    return SimpleString("none" if value is None else type_name(value))


@command(
    "touch",
    -2,
    "readonly fast",
    keys=(1, -1, 1),
    group="generic",
    since="3.2.1",
    summary="Alters the last access time of a key(s). Returns the number of existing "
    "keys specified.",
)
def touch(client: Client, argv: list[bytes]) -> Any:
    read = client.db.read
    return sum(1 for arg in argv[1:] if read(as_key(arg)) is not None)


# --- iteration -------------------------------------------------------------------------


@command(
    "keys",
    2,
    "readonly",
    group="generic",
    since="1.0.0",
    summary="Find all keys matching the given pattern",
)
def keys(client: Client, argv: list[bytes]) -> Any:
    pattern = bytes(argv[1])
    live = client.db.keys()
    if pattern == b"*":
        return list(live)
    match = glob_matcher(pattern)
    return [key for key in live if match(key)]


@command(
    "scan",
    -2,
    "readonly",
    group="generic",
    since="2.8.0",
    summary="Incrementally iterate the keys space",
)
def scan(client: Client, argv: list[bytes]) -> Any:
    cursor = parse_cursor(argv[1])
    opts = parse_scan_options(argv, 2, allow_type=True)
    db = client.db
    data = db.data
    next_cursor, chunk = scan_page(("db", db.id), cursor, opts.count, lambda: list(data))
    match, wanted = opts.matcher, opts.type_name
    out = []
    peek = db.peek
    for key in chunk:
        if match is not None and not match(key):
            continue
        value = peek(key)
        if value is None:
            continue
        if wanted is not None and type_name(value).lower() != wanted.decode("latin-1"):
            continue
        out.append(key)
    return [b"%d" % next_cursor, out]


@command(
    "randomkey",
    1,
    "readonly",
    group="generic",
    since="1.0.0",
    summary="Return a random key from the keyspace",
)
def randomkey(client: Client, argv: list[bytes]) -> Any:
    db = client.db
    for _attempt in range(100):
        size = len(db.data)
        if not size:
            return None
        key = next(islice(iter(db.data), random.randrange(size), None))
        if db.peek(key) is not None:  # expired keys are reclaimed and another is drawn
            return key
    live = list(db.keys())
    return random.choice(live) if live else None


# --- renaming and moving ---------------------------------------------------------------


@command(
    "rename", 3, "write", keys=(1, 2, 1), group="generic", since="1.0.0", summary="Rename a key"
)
def rename(client: Client, argv: list[bytes]) -> Any:
    return _rename_generic(client, argv, False)


@command(
    "renamenx",
    3,
    "write fast",
    keys=(1, 2, 1),
    group="generic",
    since="1.0.0",
    summary="Rename a key, only if the new key does not exist",
)
def renamenx(client: Client, argv: list[bytes]) -> Any:
    return _rename_generic(client, argv, True)


def _rename_generic(client: Client, argv: list[bytes], nx: bool) -> Any:
    db = client.db
    src, dst = as_key(argv[1]), as_key(argv[2])
    value = db.get(src)
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if src == dst:
        return 0 if nx else OK
    expire = db.expires.get(src)
    if db.get(dst) is not None:
        if nx:
            return 0
        db.delete(dst)
    db.set(dst, value)
    if expire is not None:
        db.set_expire(dst, expire)
    db.delete(src)
    _notify(db, "rename_from", src, "g")
    _notify(db, "rename_to", dst, "g")
    return 1 if nx else OK


@command(
    "move",
    3,
    "write fast",
    keys=(1, 1, 1),
    group="generic",
    since="1.0.0",
    summary="Move a key to another database",
)
def move(client: Client, argv: list[bytes]) -> Any:
    src_db = client.db
    dst_db = _db_index(client, argv[2])
    if dst_db is src_db:
        raise CommandError(errors.SAME_OBJECT)
    key = as_key(argv[1])
    value = src_db.get(key)
    if value is None:
        return 0
    expire = src_db.expires.get(key)
    if dst_db.get(key) is not None:
        return 0
    dst_db.set(key, value)
    if expire is not None:
        dst_db.set_expire(key, expire)
    src_db.delete(key)
    _notify(src_db, "move_from", key, "g")
    _notify(dst_db, "move_to", key, "g")
    return 1


@command(
    "copy",
    -3,
    "write denyoom",
    keys=(1, 2, 1),
    group="generic",
    since="6.2.0",
    summary="Copy a key",
)
def copy_(client: Client, argv: list[bytes]) -> Any:
    src_db = dst_db = client.db
    replace = False
    j, argc = 3, len(argv)
    while j < argc:
        opt = _opt(argv[j])
        if opt == b"REPLACE":
            replace = True
        elif opt == b"DB" and argc - j - 1 >= 1:
            dst_db = _db_index(client, argv[j + 1])
            j += 1
        else:
            raise SyntaxErr()
        j += 1
    key, newkey = as_key(argv[1]), as_key(argv[2])
    if src_db is dst_db and key == newkey:
        raise CommandError(errors.SAME_OBJECT)
    value = src_db.read(key)
    if value is None:
        return 0
    expire = src_db.expires.get(key)
    delete = False
    if dst_db.get(newkey) is not None:
        if not replace:
            return 0
        delete = True
    duplicate = _duplicate(value)
    if delete:
        dst_db.delete(newkey)
    dst_db.set(newkey, duplicate)
    if expire is not None:
        dst_db.set_expire(newkey, expire)
    _notify(dst_db, "copy_to", newkey, "g")
    return 1


def _duplicate(value: Any) -> Any:
    """COPY's deep copy: strings share immutable bytes; module types need a copier."""
    cls = type(value)
    if cls is bytes or cls is int:  # immutable: shared
        return value
    if cls is bytearray:
        return bytearray(value)
    copier = COPIERS.get(cls)
    if copier is not None:
        return copier(value)
    if TYPE_NAMES.get(cls) not in CORE_TYPE_NAMES:
        raise CommandError(errors.MODULE_KEY_NO_COPY)
    return copy.deepcopy(value)


# --- expiry ----------------------------------------------------------------------------

_EXPIRE_NX, _EXPIRE_XX, _EXPIRE_GT, _EXPIRE_LT = 1, 2, 4, 8


def _expire_flags(argv: list[bytes]) -> int:
    """parseExtendedExpireArgumentsOrReply: NX | XX | GT | LT, checked before the time."""
    flags = 0
    for arg in argv[3:]:
        opt = _opt(arg)
        if opt == b"NX":
            flags |= _EXPIRE_NX
        elif opt == b"XX":
            flags |= _EXPIRE_XX
        elif opt == b"GT":
            flags |= _EXPIRE_GT
        elif opt == b"LT":
            flags |= _EXPIRE_LT
        else:
            text = bytes(arg).split(b"\0", 1)[0].decode("utf-8", "replace")
            raise CommandError(errors.EXPIRE_OPTION_UNSUPPORTED.format(text))
    if flags & _EXPIRE_NX and flags & (_EXPIRE_XX | _EXPIRE_GT | _EXPIRE_LT):
        raise CommandError(errors.EXPIRE_NX_CONFLICT)
    if flags & _EXPIRE_GT and flags & _EXPIRE_LT:
        raise CommandError(errors.EXPIRE_GT_LT_CONFLICT)
    return flags


def _expire_generic(
    client: Client, argv: list[bytes], basetime: int, seconds: bool, name: str
) -> int:
    """expireGenericCommand: `basetime` is now for EXPIRE/PEXPIRE and 0 for the *AT forms."""
    flags = _expire_flags(argv)
    when = parse_int(argv[2])
    if seconds:
        if when > LLONG_MAX // 1000 or when < -(-LLONG_MIN // 1000):
            raise CommandError(errors.INVALID_EXPIRE.format(name))
        when *= 1000
    if when > LLONG_MAX - basetime:
        raise CommandError(errors.INVALID_EXPIRE.format(name))
    when += basetime
    db = client.db
    key = as_key(argv[1])
    if db.get(key) is None:
        return 0
    if flags:
        current = db.expires.get(key)
        if flags & _EXPIRE_NX and current is not None:
            return 0
        if flags & _EXPIRE_XX and current is None:
            return 0
        if flags & _EXPIRE_GT and (current is None or when <= current):
            return 0
        if flags & _EXPIRE_LT and current is not None and when >= current:
            return 0
    if when <= now_ms() and not client.server.loading and not client.extra.get("master"):
        db.delete(key)
        argv[:] = [b"DEL", key]
        _notify(db, "del", key, "g")
        return 1
    db.set_expire(key, when)
    argv[0] = b"PEXPIREAT"
    argv[2] = b"%d" % when
    _notify(db, "expire", key, "g")
    return 1


@command(
    "expire",
    -3,
    "write fast",
    keys=(1, 1, 1),
    group="generic",
    since="1.0.0",
    summary="Set a key's time to live in seconds",
)
def expire(client: Client, argv: list[bytes]) -> Any:
    return _expire_generic(client, argv, now_ms(), True, "expire")


@command(
    "pexpire",
    -3,
    "write fast",
    keys=(1, 1, 1),
    group="generic",
    since="2.6.0",
    summary="Set a key's time to live in milliseconds",
)
def pexpire(client: Client, argv: list[bytes]) -> Any:
    return _expire_generic(client, argv, now_ms(), False, "pexpire")


@command(
    "expireat",
    -3,
    "write fast",
    keys=(1, 1, 1),
    group="generic",
    since="1.2.0",
    summary="Set the expiration for a key as a UNIX timestamp",
)
def expireat(client: Client, argv: list[bytes]) -> Any:
    return _expire_generic(client, argv, 0, True, "expireat")


@command(
    "pexpireat",
    -3,
    "write fast",
    keys=(1, 1, 1),
    group="generic",
    since="2.6.0",
    summary="Set the expiration for a key as a UNIX timestamp specified in milliseconds",
)
def pexpireat(client: Client, argv: list[bytes]) -> Any:
    return _expire_generic(client, argv, 0, False, "pexpireat")


def _ttl_generic(client: Client, argv: list[bytes], output_ms: bool, output_abs: bool) -> int:
    db = client.db
    key = as_key(argv[1])
    if db.read(key, False) is None:
        return -2
    when = db.expires.get(key)
    if when is None:
        return -1
    ttl = max(when if output_abs else when - now_ms(), 0)
    return ttl if output_ms else (ttl + 500) // 1000


@command(
    "ttl",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    group="generic",
    since="1.0.0",
    summary="Get the time to live for a key in seconds",
)
def ttl(client: Client, argv: list[bytes]) -> Any:
    return _ttl_generic(client, argv, False, False)


@command(
    "pttl",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    group="generic",
    since="2.6.0",
    summary="Get the time to live for a key in milliseconds",
)
def pttl(client: Client, argv: list[bytes]) -> Any:
    return _ttl_generic(client, argv, True, False)


@command(
    "expiretime",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    group="generic",
    since="7.0.0",
    summary="Get the expiration Unix timestamp for a key",
)
def expiretime(client: Client, argv: list[bytes]) -> Any:
    return _ttl_generic(client, argv, False, True)


@command(
    "pexpiretime",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    group="generic",
    since="7.0.0",
    summary="Get the expiration Unix timestamp for a key in milliseconds",
)
def pexpiretime(client: Client, argv: list[bytes]) -> Any:
    return _ttl_generic(client, argv, True, True)


@command(
    "persist",
    2,
    "write fast",
    keys=(1, 1, 1),
    group="generic",
    since="2.2.0",
    summary="Remove the expiration from a key",
)
def persist(client: Client, argv: list[bytes]) -> Any:
    db = client.db
    key = as_key(argv[1])
    if db.get(key) is None or not db.persist(key):
        return 0
    _notify(db, "persist", key, "g")
    return 1


# --- OBJECT ----------------------------------------------------------------------------

container(
    "object",
    -2,
    group="generic",
    since="2.2.3",
    summary="A container for object introspection commands",
)

_OBJECT_HELP = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
]


def _lfu_policy(client: Client) -> bool:
    return "lfu" in client.server.config["maxmemory-policy"]


def _long_value(value: Any) -> int | None:
    """The integer a string would be stored as (tryObjectEncoding: string2l, <= 20 bytes)."""
    if type(value) is not bytes or not 0 < len(value) <= 20:
        return None
    try:
        return parse_int(value)
    except CommandError:
        return None


def object_encoding(value: Any) -> str:
    """What OBJECT ENCODING reports, using Redis 7.0's default size thresholds."""
    cls = type(value)
    custom = OBJECT_ENCODINGS.get(cls)
    if custom is not None:
        return custom(value)
    if cls is bytes:
        if _long_value(value) is not None:
            return "int"
        return "embstr" if len(value) <= 44 else "raw"
    if cls is int:  # a counter stored by INCR & co.
        return "int"
    if cls is bytearray:
        return "raw"
    kind = TYPE_NAMES.get(cls)
    if kind == "hash":
        items = value.items() if isinstance(value, dict) else ()
        small = len(value) <= 128 and all(len(f) <= 64 and len(v) <= 64 for f, v in items)
        return "listpack" if small else "hashtable"
    if kind == "list":
        return "quicklist"
    if kind == "set":
        small = len(value) <= 512 and all(_long_value(bytes(m)) is not None for m in value)
        return "intset" if small else "hashtable"
    if kind == "zset":
        members = getattr(value, "scores", value)
        small = len(members) <= 128 and all(len(m) <= 64 for m in members)
        return "listpack" if small else "skiplist"
    if kind == "stream":
        return "stream"
    return "raw"  # module types (tensors, models, scripts) are OBJ_ENCODING_RAW


@command(
    "encoding",
    3,
    "readonly",
    keys=(2, 2, 1),
    group="generic",
    since="2.2.3",
    parent="object",
    summary="Inspect the internal encoding of a Redis object",
)
def object_encoding_cmd(client: Client, argv: list[bytes]) -> Any:
    value = client.db.peek(as_key(argv[2]))
    return None if value is None else object_encoding(value)


@command(
    "freq",
    3,
    "readonly",
    keys=(2, 2, 1),
    group="generic",
    since="4.0.0",
    parent="object",
    summary="Get the logarithmic access frequency counter of a Redis object",
)
def object_freq(client: Client, argv: list[bytes]) -> Any:
    value = client.db.peek(as_key(argv[2]))
    if value is None:
        return None
    if not _lfu_policy(client):
        raise CommandError(errors.OBJECT_FREQ_NO_LFU)
    return LFU_INIT_VAL  # not tracked (no LFU eviction here): what a fresh key reports


@command(
    "idletime",
    3,
    "readonly",
    keys=(2, 2, 1),
    group="generic",
    since="2.2.3",
    parent="object",
    summary="Get the time since a Redis object was last accessed",
)
def object_idletime(client: Client, argv: list[bytes]) -> Any:
    db, key = client.db, as_key(argv[2])
    if db.peek(key) is None:
        return None
    if _lfu_policy(client):
        raise CommandError(errors.OBJECT_IDLETIME_LFU)
    return db.idle_seconds(key)


@command(
    "refcount",
    3,
    "readonly",
    keys=(2, 2, 1),
    group="generic",
    since="2.2.3",
    parent="object",
    summary="Get the number of references to the value of the key",
)
def object_refcount(client: Client, argv: list[bytes]) -> Any:
    value = client.db.peek(as_key(argv[2]))
    if value is None:
        return None
    number = _long_value(value)
    if number is not None and 0 <= number < OBJ_SHARED_INTEGERS and _shared_integers(client):
        return OBJ_SHARED_REFCOUNT
    return 1


def _shared_integers(client: Client) -> bool:
    """Redis shares small integers unless maxmemory is set with an LRU/LFU policy."""
    config = client.server.config
    policy = config["maxmemory-policy"]
    return not config["maxmemory"] or not ("lru" in policy or "lfu" in policy)


@command(
    "help",
    2,
    "loading stale",
    group="generic",
    since="6.2.0",
    parent="object",
    summary="Show helpful text about the different subcommands",
)
def object_help(client: Client, argv: list[bytes]) -> Any:
    return [SimpleString(line) for line in _OBJECT_HELP]
