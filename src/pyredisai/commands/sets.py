"""Set commands (Redis src/t_set.c, Redis 7.0 semantics).

A set is a plain `set[bytes]`. An emptied set is deleted. Whole-set replies are RESP3 sets
(RespSet) and are copies, because an EXEC reply is encoded only after the later queued
commands have run. Member order differs from Redis's (hash order is not Redis's), except
that SSCAN returns an intset-sized set of integers in ascending order, as Redis does.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from itertools import islice
from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError, SyntaxErr, WrongTypeError
from ..keyspace.database import TYPE_NAMES, as_key
from ..keyspace.scan import scan_page
from ..protocol.encoder import RespSet
from .args import LLONG_MIN, parse_int, try_parse_int
from .registry import command
from .scan_args import parse_cursor, parse_scan_options

if TYPE_CHECKING:
    from ..keyspace.database import Database
    from ..server import Client

TYPE_NAMES[set] = "set"

INTSET_MAX_ENTRIES = 512  # Redis 7.0 default set-max-intset-entries


# --- data API ------------------------------------------------------------------------------


def _lookup(db: Database, key: bytes) -> set[bytes] | None:
    """lookupKeyWrite + checkType: the set at key, None if absent, WRONGTYPE otherwise."""
    value = db.get(key)
    if value is None or type(value) is set:
        return value
    raise WrongTypeError()


def _lookup_read(db: Database, key: bytes) -> set[bytes] | None:
    """lookupKeyRead + checkType (hit/miss statistics)."""
    value = db.read(key)
    if value is None or type(value) is set:
        return value
    raise WrongTypeError()


def _members(argv: list[bytes], start: int) -> list[bytes]:
    return [m if type(m) is bytes else bytes(m) for m in islice(argv, start, None)]


def _random_member(s: set[bytes]) -> bytes:
    return next(islice(s, random.randrange(len(s)), None))


def _removed(db: Database, key: bytes, s: set[bytes], event: str, count: int) -> None:
    """After removing `count` > 0 members: notify, delete when empty, signal, dirty."""
    keyspace = db.keyspace
    if s:
        keyspace.modified(db, key)
        keyspace.notify(db, event, key, "s")
    else:
        db.delete(key)
        keyspace.notify(db, event, key, "s")
        keyspace.notify(db, "del", key, "g")
    keyspace.dirty += count - 1


def intset_order(s: set[bytes]) -> list[bytes] | None:
    """The members in intset order (ascending integers) if Redis 7.0 would keep this set
    an intset, else None."""
    if len(s) > INTSET_MAX_ENTRIES:
        return None
    numbers = []
    for member in s:
        number = try_parse_int(member)
        if number is None:
            return None
        numbers.append((number, member))
    numbers.sort()
    return [member for _, member in numbers]


# --- single-set commands -------------------------------------------------------------------


@command(
    "sadd",
    -3,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="set",
    summary="Adds one or more members to a set. Creates the key if it doesn't exist.",
)
def sadd(client: Client, argv: list[bytes]) -> Any:
    db = client.db
    key = as_key(argv[1])
    s = db.get(key)
    created = s is None
    if s is None:
        s = set()
    elif type(s) is not set:
        raise WrongTypeError()
    before = len(s)
    if len(argv) == 3:
        member = argv[2]
        s.add(member if type(member) is bytes else bytes(member))
    else:
        s.update(_members(argv, 2))
    added = len(s) - before
    keyspace = db.keyspace
    if created:
        db.set(key, s)
        keyspace.dirty += added - 1
    elif added:
        keyspace.dirty += added
        if keyspace.watching:
            keyspace.modified_watched(db, key)
    if added and keyspace.notify_hook is not None:
        keyspace.notify_hook(db, "sadd", key, "s")
    return added


@command(
    "srem",
    -3,
    "write fast",
    keys=(1, 1, 1),
    group="set",
    summary="Removes one or more members from a set. Deletes the set if the last member was removed.",
)
def srem(client: Client, argv: list[bytes]) -> Any:
    db = client.db
    key = as_key(argv[1])
    s = _lookup(db, key)
    if s is None:
        return 0
    before = len(s)
    for member in islice(argv, 2, None):
        s.discard(as_key(member))
        if not s:
            break
    removed = before - len(s)
    if removed:
        _removed(db, key, s, "srem", removed)
    return removed


@command(
    "smembers", 2, "readonly", keys=(1, 1, 1), group="set", summary="Returns all members of a set."
)
def smembers(client: Client, argv: list[bytes]) -> Any:
    s = _lookup_read(client.db, as_key(argv[1]))
    return RespSet() if s is None else RespSet(s)


@command(
    "sismember",
    3,
    "readonly fast",
    keys=(1, 1, 1),
    group="set",
    summary="Determines whether a member belongs to a set.",
)
def sismember(client: Client, argv: list[bytes]) -> Any:
    s = client.db.read(as_key(argv[1]))
    if s is None:
        return 0
    if type(s) is not set:
        raise WrongTypeError()
    member = argv[2]
    return int((member if type(member) is bytes else bytes(member)) in s)


@command(
    "smismember",
    -3,
    "readonly fast",
    keys=(1, 1, 1),
    group="set",
    since="6.2.0",
    summary="Determines whether multiple members belong to a set.",
)
def smismember(client: Client, argv: list[bytes]) -> Any:
    s = _lookup_read(client.db, as_key(argv[1]))
    if s is None:
        return [0] * (len(argv) - 2)
    return [int(m in s) for m in _members(argv, 2)]


@command(
    "scard",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    group="set",
    summary="Returns the number of members in a set.",
)
def scard(client: Client, argv: list[bytes]) -> Any:
    s = _lookup_read(client.db, as_key(argv[1]))
    return 0 if s is None else len(s)


@command(
    "spop",
    -2,
    "write fast",
    keys=(1, 1, 1),
    group="set",
    summary="Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.",
)
def spop(client: Client, argv: list[bytes]) -> Any:
    """Propagated as SREM of what was popped (DEL when the whole set went), as in Redis."""
    argc = len(argv)
    if argc > 3:
        raise SyntaxErr()
    db = client.db
    key = as_key(argv[1])
    if argc == 2:
        s = _lookup(db, key)
        if s is None:
            return None
        member = _random_member(s)
        s.remove(member)
        _removed(db, key, s, "spop", 1)
        argv[:] = [b"SREM", key, member]
        return member
    count = parse_int(argv[2], errors.VALUE_MUST_BE_POSITIVE)
    if count < 0:
        raise CommandError(errors.VALUE_MUST_BE_POSITIVE)
    s = _lookup(db, key)
    if s is None or count == 0:
        return RespSet()
    if count >= len(s):
        popped = RespSet(s)
        s.clear()
        _removed(db, key, s, "spop", len(popped))
        argv[:] = [b"DEL", key]
        return popped
    popped = RespSet(random.sample(list(s), count))
    s.difference_update(popped)
    _removed(db, key, s, "spop", count)
    argv[:] = [b"SREM", key, *popped]
    return popped


@command(
    "srandmember",
    -2,
    "readonly",
    keys=(1, 1, 1),
    group="set",
    summary="Get one or multiple random members from a set",
)
def srandmember(client: Client, argv: list[bytes]) -> Any:
    argc = len(argv)
    if argc > 3:
        raise SyntaxErr()
    if argc == 2:
        s = _lookup_read(client.db, as_key(argv[1]))
        return None if not s else _random_member(s)
    count = parse_int(argv[2])
    if count == LLONG_MIN:
        raise CommandError(errors.VALUE_OUT_OF_LONG_RANGE)
    s = _lookup_read(client.db, as_key(argv[1]))
    if s is None or count == 0:
        return []
    if count < 0:  # with repetitions, random order
        return random.choices(list(s), k=-count)
    if count >= len(s):
        return list(s)
    return random.sample(list(s), count)


@command(
    "smove",
    4,
    "write fast",
    keys=(1, 2, 1),
    group="set",
    summary="Moves a member from one set to another.",
)
def smove(client: Client, argv: list[bytes]) -> Any:
    db = client.db
    src_key, dst_key = as_key(argv[1]), as_key(argv[2])
    src_value = db.get(src_key)
    dst_value = db.get(dst_key)
    if src_value is None:
        return 0
    if type(src_value) is not set or (dst_value is not None and type(dst_value) is not set):
        raise WrongTypeError()
    src: set[bytes] = src_value
    member = as_key(argv[3])
    if src is dst_value:
        return int(member in src)
    if member not in src:
        return 0
    src.remove(member)
    keyspace = db.keyspace
    keyspace.notify(db, "srem", src_key, "s")
    if src:
        keyspace.modified(db, src_key)
    else:
        db.delete(src_key)
        keyspace.notify(db, "del", src_key, "g")
    if dst_value is None:
        db.set(dst_key, {member})
        keyspace.notify(db, "sadd", dst_key, "s")
    elif member not in dst_value:
        dst_value.add(member)
        keyspace.modified(db, dst_key)
        keyspace.notify(db, "sadd", dst_key, "s")
    return 1


@command(
    "sscan",
    -3,
    "readonly",
    keys=(1, 1, 1),
    group="set",
    since="2.8.0",
    summary="Iterates over members of a set.",
)
def sscan(client: Client, argv: list[bytes]) -> Any:
    """An intset-sized set of integers comes whole and sorted at cursor 0, as in Redis;
    other sets page through a snapshot (keyspace/scan.py)."""
    cursor = parse_cursor(argv[2])
    db = client.db
    key = as_key(argv[1])
    s = _lookup_read(db, key)
    if s is None:
        return [b"0", []]
    opts = parse_scan_options(argv, 3, allow_type=False)
    ordered = intset_order(s)
    if ordered is not None:
        next_cursor, members = 0, ordered
    else:
        next_cursor, members = scan_page(("set", db.id, key), cursor, opts.count, lambda: list(s))
    match = opts.matcher
    out = [m for m in members if m in s and (match is None or match(m))]
    return [b"%d" % next_cursor, out]


# --- multi-set algebra ---------------------------------------------------------------------


def _load_sets(db: Database, keys: list[bytes], write: bool) -> list[set[bytes] | None]:
    """Every key looked up and type-checked before any work (missing keys are None)."""
    lookup = _lookup if write else _lookup_read
    return [lookup(db, as_key(key)) for key in keys]


def _store(db: Database, dst: bytes, result: set[bytes], event: str) -> int:
    """The *STORE tail: replace dst (TTL dropped) or delete it when the result is empty."""
    keyspace = db.keyspace
    if result:
        db.set(dst, result)
        keyspace.notify(db, event, dst, "s")
        return len(result)
    if db.delete(dst):
        keyspace.notify(db, "del", dst, "g")
    return 0


def _intersect(sets: list[set[bytes] | None]) -> set[bytes]:
    if any(s is None for s in sets):
        return set()
    present = sorted((s for s in sets if s is not None), key=len)
    return present[0].intersection(*present[1:])


def _union(sets: list[set[bytes] | None]) -> set[bytes]:
    return set().union(*(s for s in sets if s is not None))


def _diff(sets: list[set[bytes] | None]) -> set[bytes]:
    first = sets[0]
    if first is None:
        return set()
    return first.difference(*(s for s in sets[1:] if s is not None))


_Algebra = Callable[[list[set[bytes] | None]], set[bytes]]


def _algebra_read(client: Client, argv: list[bytes], op: _Algebra) -> Any:
    return RespSet(op(_load_sets(client.db, argv[1:], False)))


def _algebra_store(client: Client, argv: list[bytes], op: _Algebra, event: str) -> Any:
    db = client.db
    result = op(_load_sets(db, argv[2:], True))
    return _store(db, as_key(argv[1]), result, event)


@command(
    "sinter",
    -2,
    "readonly",
    keys=(1, -1, 1),
    group="set",
    summary="Returns the intersect of multiple sets.",
)
def sinter(client: Client, argv: list[bytes]) -> Any:
    return _algebra_read(client, argv, _intersect)


@command(
    "sunion",
    -2,
    "readonly",
    keys=(1, -1, 1),
    group="set",
    summary="Returns the union of multiple sets.",
)
def sunion(client: Client, argv: list[bytes]) -> Any:
    return _algebra_read(client, argv, _union)


@command(
    "sdiff",
    -2,
    "readonly",
    keys=(1, -1, 1),
    group="set",
    summary="Returns the difference of multiple sets.",
)
def sdiff(client: Client, argv: list[bytes]) -> Any:
    return _algebra_read(client, argv, _diff)


@command(
    "sinterstore",
    -3,
    "write denyoom",
    keys=(1, -1, 1),
    group="set",
    summary="Stores the intersect of multiple sets in a key.",
)
def sinterstore(client: Client, argv: list[bytes]) -> Any:
    return _algebra_store(client, argv, _intersect, "sinterstore")


@command(
    "sunionstore",
    -3,
    "write denyoom",
    keys=(1, -1, 1),
    group="set",
    summary="Stores the union of multiple sets in a key.",
)
def sunionstore(client: Client, argv: list[bytes]) -> Any:
    return _algebra_store(client, argv, _union, "sunionstore")


@command(
    "sdiffstore",
    -3,
    "write denyoom",
    keys=(1, -1, 1),
    group="set",
    summary="Stores the difference of multiple sets in a key.",
)
def sdiffstore(client: Client, argv: list[bytes]) -> Any:
    return _algebra_store(client, argv, _diff, "sdiffstore")


def _sintercard_keys(argv: list[bytes]) -> list[int]:
    numkeys = try_parse_int(argv[1]) if len(argv) > 1 else None
    if numkeys is None or numkeys < 1 or numkeys > len(argv) - 2:
        return []
    return list(range(2, 2 + numkeys))


@command(
    "sintercard",
    -3,
    "readonly",
    keys=(0, 0, 0),
    keys_fn=_sintercard_keys,
    group="set",
    since="7.0.0",
    summary="Returns the number of members of the intersect of multiple sets.",
)
def sintercard(client: Client, argv: list[bytes]) -> Any:
    numkeys = parse_int(argv[1], errors.NUMKEYS_NOT_POSITIVE)
    if numkeys < 1:
        raise CommandError(errors.NUMKEYS_NOT_POSITIVE)
    argc = len(argv)
    if numkeys > argc - 2:
        raise CommandError(errors.NUMKEYS_OVER_ARGS)
    limit = 0
    j = 2 + numkeys
    while j < argc:
        if j + 1 < argc and argv[j].upper() == b"LIMIT":
            limit = parse_int(argv[j + 1], errors.LIMIT_NEGATIVE)
            if limit < 0:
                raise CommandError(errors.LIMIT_NEGATIVE)
            j += 2
        else:
            raise SyntaxErr()
    sets = _load_sets(client.db, argv[2 : 2 + numkeys], False)
    if any(s is None for s in sets):
        return 0
    present = sorted((s for s in sets if s is not None), key=len)
    smallest, others = present[0], present[1:]
    if not limit:
        return len(smallest.intersection(*others))
    found = 0
    for member in smallest:
        if all(member in other for other in others):
            found += 1
            if found >= limit:
                break
    return found
