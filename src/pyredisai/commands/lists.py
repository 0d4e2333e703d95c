"""List commands, blocking pops included (Redis src/t_list.c, Redis 7.0 semantics).

A list is a `collections.deque` of bytes: O(1) push and pop at both ends. An emptied list
is deleted. Pushes signal the key as ready, so clients blocked on it (commands/blocking.py)
are served after the pushing command, or after the whole EXEC, as Redis does. Handlers
rewrite `argv` in place where Redis rewrites what it propagates (BLPOP -> LPOP, BLMOVE ->
LMOVE, LMPOP -> LPOP key count). A waiter served later propagates its own pop by hand.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from itertools import islice
from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError, SyntaxErr, WrongTypeError
from ..keyspace import longdouble
from ..keyspace.database import TYPE_NAMES, as_key, now_ms
from ..protocol.encoder import NULL_ARRAY, OK
from . import blocking
from .args import LLONG_MAX, LLONG_MIN, parse_int
from .blocking import NOT_SERVED, Waiter
from .registry import Deferred, command

if TYPE_CHECKING:
    from ..keyspace.database import Database
    from ..server import Client, Server

TYPE_NAMES[deque] = "list"

_LPOP, _RPOP = b"LPOP", b"RPOP"


# --- data API ------------------------------------------------------------------------------


def _lookup(db: Database, key: bytes) -> deque[bytes] | None:
    """lookupKeyWrite + checkType: the list at key, None if absent, WRONGTYPE otherwise."""
    value = db.get(key)
    if value is None or type(value) is deque:
        return value
    raise WrongTypeError()


def _lookup_read(db: Database, key: bytes) -> deque[bytes] | None:
    """lookupKeyRead + checkType (hit/miss statistics)."""
    value = db.read(key)
    if value is None or type(value) is deque:
        return value
    raise WrongTypeError()


def _push_created(server: Server, db: Database, key: bytes, lst: deque[bytes]) -> None:
    """dbAdd of a new list: store it and wake clients blocked on the key."""
    db.set(key, lst)
    blocking.signal_key_as_ready(server, db, key)


def _elements_removed(db: Database, key: bytes, lst: deque[bytes], left: bool, count: int) -> None:
    """listElementsRemoved: pop notification, delete when empty, signal, dirty += count."""
    keyspace = db.keyspace
    if keyspace.notify_hook is not None:
        keyspace.notify_hook(db, "lpop" if left else "rpop", key, "l")
    if lst:
        keyspace.dirty += count
        if keyspace.watching:
            keyspace.modified_watched(db, key)
    else:
        db.delete(key)
        keyspace.dirty += count - 1
        keyspace.notify(db, "del", key, "g")


def _pop_n(lst: deque[bytes], left: bool, count: int) -> list[bytes]:
    pop = lst.popleft if left else lst.pop
    return [pop() for _ in range(min(count, len(lst)))]


def _move(
    server: Server,
    db: Database,
    src: bytes,
    dst: bytes,
    slist: deque[bytes],
    left_from: bool,
    left_to: bool,
) -> bytes:
    """lmoveGenericCommand once the source is known non-empty (WRONGTYPE of the destination
    is raised before anything moves)."""
    dlist = _lookup(db, dst)
    value = slist.popleft() if left_from else slist.pop()
    keyspace = db.keyspace
    if dlist is None:
        _push_created(server, db, dst, deque((value,)))
    else:
        if left_to:
            dlist.appendleft(value)
        else:
            dlist.append(value)
        keyspace.modified(db, dst)
        blocking.signal_key_as_ready(server, db, dst)
    keyspace.notify(db, "lpush" if left_to else "rpush", dst, "l")
    keyspace.notify(db, "lpop" if left_from else "rpop", src, "l")
    if slist:
        keyspace.modified(db, src)
    else:
        db.delete(src)
        keyspace.notify(db, "del", src, "g")
    return value


def _where(arg: bytes) -> bool:
    """getListPositionFromObjectOrReply: True for LEFT, False for RIGHT."""
    low = arg.lower()
    if low == b"left":
        return True
    if low == b"right":
        return False
    raise SyntaxErr()


def _side(left: bool) -> bytes:
    return b"LEFT" if left else b"RIGHT"


def _positive(arg: bytes, message: str) -> int:
    """getRangeLongFromObjectOrReply(1, LONG_MAX, message)."""
    value = parse_int(arg, message)
    if value < 1:
        raise CommandError(message)
    return value


def parse_timeout_ms(arg: bytes) -> tuple[int, bool]:
    """getTimeoutFromObjectOrReply(UNIT_SECONDS): (milliseconds, deadline already passed).

    Redis reads a long double with strtold (hex and "inf" accepted, no spaces), takes
    ceill(value * 1000) as a C long long (out of range becomes LLONG_MIN, hence "negative";
    -0.0009 rounds to 0, hence "block forever"), and adds the current time, which may
    overflow into a deadline already in the past."""
    if 0 < len(arg) < 10 and arg.isdigit():
        ms = int(arg) * 1000
    else:
        try:
            value = longdouble.parse(arg)
        except longdouble.RangeError:
            raise CommandError(errors.TIMEOUT_NOT_FLOAT) from None
        scaled = value if isinstance(value, str) else longdouble.round_extended(value * 1000)
        ms = LLONG_MIN if isinstance(scaled, str) else math.ceil(scaled)
        if not LLONG_MIN <= ms <= LLONG_MAX:
            ms = LLONG_MIN
    if ms < 0:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    return ms, ms > 0 and ms > LLONG_MAX - now_ms()


def _block(
    client: Client, keys: list[bytes], timeout: tuple[int, bool], serve: blocking.ServeFn
) -> Deferred:
    """blockForKeys: every list-blocking command times out with a null array."""
    reg = blocking.registry(client.server)
    future = reg.block(client, keys, timeout[0], serve, NULL_ARRAY, deadline_passed=timeout[1])
    return Deferred(future)


def _propagate(server: Server, db_index: int, argv: list[bytes]) -> None:
    """A served waiter's effect, computed outside Server.call, goes to AOF/replicas here."""
    for propagator in server.propagators:
        propagator(db_index, argv)


def _serve_pop(left: bool, count: int) -> blocking.ServeFn:
    """Waiter for BLPOP/BRPOP (count 0: reply [key, value]) and BLMPOP (reply [key, [..]])."""

    def serve(waiter: Waiter, db: Database, key: bytes) -> Any:
        lst = db.peek(key)
        if type(lst) is not deque or not lst:
            return NOT_SERVED
        server = waiter.client.server
        if count:
            n = min(count, len(lst))
            _propagate(server, db.id, [_LPOP if left else _RPOP, key, b"%d" % n])
            reply: Any = [key, _pop_n(lst, left, n)]
        else:
            _propagate(server, db.id, [_LPOP if left else _RPOP, key])
            reply = [key, lst.popleft() if left else lst.pop()]
        keyspace = db.keyspace
        keyspace.notify(db, "lpop" if left else "rpop", key, "l")
        if not lst:
            db.delete(key)
            keyspace.notify(db, "del", key, "g")
        return reply

    return serve


def _serve_move(dst: bytes, left_from: bool, left_to: bool, rpoplpush: bool) -> blocking.ServeFn:
    """Waiter for BLMOVE/BRPOPLPUSH: a destination of the wrong type ends the wait with
    WRONGTYPE and leaves the source untouched (serveClientBlockedOnList)."""

    def serve(waiter: Waiter, db: Database, key: bytes) -> Any:
        lst = db.peek(key)
        if type(lst) is not deque or not lst:
            return NOT_SERVED
        client = waiter.client
        try:
            value = _move(client.server, db, key, dst, lst, left_from, left_to)
        except WrongTypeError as exc:
            return exc
        if rpoplpush:
            _propagate(client.server, db.id, [b"RPOPLPUSH", key, dst])
        else:
            argv = [b"LMOVE", key, dst, _side(left_from), _side(left_to)]
            _propagate(client.server, db.id, argv)
        return value

    return serve


# --- push / pop ----------------------------------------------------------------------------


def _push(client: Client, argv: list[bytes], left: bool = True, xx: bool = False) -> int:
    """pushGenericCommand: LPUSH itself (registered as its handler: no wrapper frame on its
    hot path), and RPUSH, LPUSHX, RPUSHX with their flags."""
    db = client.db
    key = argv[1]
    keyspace = db.keyspace
    # `Database.get` (lookupKeyWrite), inlined where no key has a TTL: LPUSH's hot path
    lst = db.get(key) if db.expires else db.data.get(key)
    if type(lst) is deque:  # the usual push, first
        db.atime[key] = keyspace.lru_clock
        if len(argv) == 3:
            if left:
                lst.appendleft(argv[2])
            else:
                lst.append(argv[2])
        elif left:
            lst.extendleft(islice(argv, 2, None))
        else:
            lst.extend(islice(argv, 2, None))
        keyspace.dirty += len(argv) - 2  # one change per element
        if keyspace.watching:
            keyspace.modified_watched(db, key)
    elif lst is None:
        if xx:
            return 0
        if left:
            lst = deque()
            lst.extendleft(islice(argv, 2, None))
        else:
            lst = deque(islice(argv, 2, None))
        db.set(key, lst)  # dbAdd: "new" notification, dirty, WATCH
        keyspace.dirty += len(argv) - 3  # the other elements' changes
    else:
        db.atime[key] = keyspace.lru_clock  # the lookup touched it, as Redis's does
        raise WrongTypeError()
    if keyspace.blocked_on:  # signal_key_as_ready, inlined: LPUSH's hot path
        blocking.registry(client.server).signal(db, key)
    if keyspace.notify_hook is not None:
        keyspace.notify_hook(db, "lpush" if left else "rpush", key, "l")
    return len(lst)


lpush = command(
    "lpush",
    -3,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="list",
    summary="Prepends one or more elements to a list. Creates the key if it doesn't exist.",
)(_push)


@command(
    "rpush",
    -3,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="list",
    summary="Appends one or more elements to a list. Creates the key if it doesn't exist.",
)
def rpush(client: Client, argv: list[bytes]) -> Any:
    return _push(client, argv, False, False)


@command(
    "lpushx",
    -3,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="list",
    since="2.2.0",
    summary="Prepends one or more elements to a list only when the list exists.",
)
def lpushx(client: Client, argv: list[bytes]) -> Any:
    return _push(client, argv, True, True)


@command(
    "rpushx",
    -3,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="list",
    since="2.2.0",
    summary="Appends an element to a list only when the list exists.",
)
def rpushx(client: Client, argv: list[bytes]) -> Any:
    return _push(client, argv, False, True)


def _pop(client: Client, argv: list[bytes], left: bool) -> Any:
    """popGenericCommand: one element as a bulk, or COUNT elements as an array."""
    argc = len(argv)
    if argc > 3:
        raise CommandError(errors.WRONG_ARITY.format("lpop" if left else "rpop"))
    count = -1
    if argc == 3:
        count = parse_int(argv[2], errors.VALUE_MUST_BE_POSITIVE)
        if count < 0:
            raise CommandError(errors.VALUE_MUST_BE_POSITIVE)
    db = client.db
    key = argv[1]
    lst = db.get(key)
    if lst is None:
        return None if count < 0 else NULL_ARRAY
    if type(lst) is not deque:
        raise WrongTypeError()
    if count < 0:
        value = lst.popleft() if left else lst.pop()
        _elements_removed(db, key, lst, left, 1)
        return value
    if count == 0:
        return []
    values = _pop_n(lst, left, count)
    _elements_removed(db, key, lst, left, len(values))
    return values


@command(
    "lpop",
    -2,
    "write fast",
    keys=(1, 1, 1),
    group="list",
    summary="Returns the first elements in a list after removing it. Deletes the list if the last element was popped.",
)
def lpop(client: Client, argv: list[bytes]) -> Any:
    return _pop(client, argv, True)


@command(
    "rpop",
    -2,
    "write fast",
    keys=(1, 1, 1),
    group="list",
    summary="Returns and removes the last elements of a list. Deletes the list if the last element was popped.",
)
def rpop(client: Client, argv: list[bytes]) -> Any:
    return _pop(client, argv, False)


# --- reads ---------------------------------------------------------------------------------


@command(
    "llen",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    group="list",
    summary="Returns the length of a list.",
)
def llen(client: Client, argv: list[bytes]) -> Any:
    lst = _lookup_read(client.db, as_key(argv[1]))
    return 0 if lst is None else len(lst)


def _range(lst: deque[bytes], start: int, end: int) -> list[bytes]:
    """Elements start..end (inclusive, Redis index rules), walked from the nearer end."""
    llen = len(lst)
    if start < 0:
        start += llen
    if end < 0:
        end += llen
    if start < 0:
        start = 0
    if start > end or start >= llen:
        return []
    if end >= llen:
        end = llen - 1
    if start == 0 and end == llen - 1:
        return list(lst)
    if start <= llen - 1 - end:
        return list(islice(lst, start, end + 1))
    out = list(islice(reversed(lst), llen - 1 - end, llen - start))
    out.reverse()
    return out


@command(
    "lrange",
    4,
    "readonly",
    keys=(1, 1, 1),
    group="list",
    summary="Returns a range of elements from a list.",
)
def lrange(client: Client, argv: list[bytes]) -> Any:
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    lst = _lookup_read(client.db, as_key(argv[1]))
    if lst is None:
        return []
    return _range(lst, start, end)


@command(
    "lindex",
    3,
    "readonly",
    keys=(1, 1, 1),
    group="list",
    summary="Returns an element from a list by its index.",
)
def lindex(client: Client, argv: list[bytes]) -> Any:
    lst = _lookup_read(client.db, as_key(argv[1]))
    if lst is None:
        return None
    index = parse_int(argv[2])
    if -len(lst) <= index < len(lst):
        return lst[index]
    return None


@command(
    "lpos",
    -3,
    "readonly",
    keys=(1, 1, 1),
    group="list",
    since="6.0.6",
    summary="Returns the index of matching elements in a list.",
)
def lpos(client: Client, argv: list[bytes]) -> Any:
    rank, count, maxlen = 1, -1, 0
    argc = len(argv)
    j = 3
    while j < argc:
        opt = argv[j].upper()
        more = j + 1 < argc
        if opt == b"RANK" and more:
            j += 1
            rank = parse_int(argv[j])
            if rank == 0:
                raise CommandError(errors.LPOS_RANK_ZERO)
        elif opt == b"COUNT" and more:
            j += 1
            count = parse_int(argv[j])
            if count < 0:
                raise CommandError(errors.LPOS_COUNT_NEGATIVE)
        elif opt == b"MAXLEN" and more:
            j += 1
            maxlen = parse_int(argv[j])
            if maxlen < 0:
                raise CommandError(errors.LPOS_MAXLEN_NEGATIVE)
        else:
            raise SyntaxErr()
        j += 1
    forward = rank > 0
    rank = abs(rank) if rank != LLONG_MIN else 1  # C negation of LONG_MIN stays negative
    lst = _lookup_read(client.db, as_key(argv[1]))
    if lst is None:
        return None if count == -1 else []
    element = argv[2]
    llen = len(lst)
    if forward and rank == 1 and count == -1 and maxlen == 0:
        try:
            return lst.index(element)  # C speed for the common form
        except ValueError:
            return None
    matches = 0
    found: list[int] = []
    it = lst if forward else reversed(lst)
    for index, item in enumerate(it):
        if maxlen and index >= maxlen:
            break
        if item == element:
            matches += 1
            if matches >= rank:
                position = index if forward else llen - 1 - index
                if count == -1:
                    return position
                found.append(position)
                if count and len(found) >= count:
                    break
    return None if count == -1 else found


# --- in-place edits ------------------------------------------------------------------------


@command(
    "lset",
    4,
    "write denyoom",
    keys=(1, 1, 1),
    group="list",
    summary="Sets the value of an element in a list by its index.",
)
def lset(client: Client, argv: list[bytes]) -> Any:
    db = client.db
    key = as_key(argv[1])
    lst = _lookup(db, key)
    if lst is None:
        raise CommandError(errors.NO_SUCH_KEY)
    index = parse_int(argv[2])
    if not -len(lst) <= index < len(lst):
        raise CommandError(errors.INDEX_OUT_OF_RANGE)
    lst[index] = argv[3]
    db.keyspace.modified(db, key)
    db.keyspace.notify(db, "lset", key, "l")
    return OK


@command(
    "linsert",
    5,
    "write denyoom",
    keys=(1, 1, 1),
    group="list",
    since="2.2.0",
    summary="Inserts an element before or after another element in a list.",
)
def linsert(client: Client, argv: list[bytes]) -> Any:
    where = argv[2].lower()
    if where == b"after":
        after = True
    elif where == b"before":
        after = False
    else:
        raise SyntaxErr()
    db = client.db
    key = as_key(argv[1])
    lst = _lookup(db, key)
    if lst is None:
        return 0
    try:
        index = lst.index(argv[3])
    except ValueError:
        return -1
    lst.insert(index + 1 if after else index, argv[4])
    db.keyspace.modified(db, key)
    db.keyspace.notify(db, "linsert", key, "l")
    return len(lst)


@command(
    "lrem",
    4,
    "write",
    keys=(1, 1, 1),
    group="list",
    summary="Removes elements from a list. Deletes the list if the last element was removed.",
)
def lrem(client: Client, argv: list[bytes]) -> Any:
    count = parse_int(argv[2])
    db = client.db
    key = as_key(argv[1])
    lst = _lookup(db, key)
    if lst is None:
        return 0
    element = argv[3]
    limit = abs(count) if count else math.inf
    kept: list[bytes] = []
    removed = 0
    for item in lst if count >= 0 else reversed(lst):
        if removed < limit and item == element:
            removed += 1
        else:
            kept.append(item)
    keyspace = db.keyspace
    if removed:
        if count < 0:
            kept.reverse()
        lst.clear()
        lst.extend(kept)
        keyspace.modified(db, key)
        keyspace.dirty += removed - 1
        keyspace.notify(db, "lrem", key, "l")
    if not lst:
        db.delete(key)
        keyspace.notify(db, "del", key, "g")
    return removed


@command(
    "ltrim",
    4,
    "write",
    keys=(1, 1, 1),
    group="list",
    summary="Removes elements from both ends a list. Deletes the list if all elements were trimmed.",
)
def ltrim(client: Client, argv: list[bytes]) -> Any:
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    db = client.db
    key = as_key(argv[1])
    lst = _lookup(db, key)
    if lst is None:
        return OK
    llen = len(lst)
    if start < 0:
        start += llen
    if end < 0:
        end += llen
    if start < 0:
        start = 0
    if start > end or start >= llen:
        lst.clear()
    else:
        if end >= llen:
            end = llen - 1
        rtrim = llen - end - 1
        if start + rtrim > llen // 2:  # keeping the smaller part: rebuild
            kept = list(islice(lst, start, end + 1))
            lst.clear()
            lst.extend(kept)
        else:
            for _ in range(start):
                lst.popleft()
            for _ in range(rtrim):
                lst.pop()
    keyspace = db.keyspace
    keyspace.notify(db, "ltrim", key, "l")
    if lst:
        keyspace.modified(db, key)
    else:
        db.delete(key)
        keyspace.notify(db, "del", key, "g")
    return OK


# --- moves and multi-key pops --------------------------------------------------------------


@command(
    "lmove",
    5,
    "write denyoom",
    keys=(1, 2, 1),
    group="list",
    since="6.2.0",
    summary="Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.",
)
def lmove(client: Client, argv: list[bytes]) -> Any:
    left_from = _where(argv[3])
    left_to = _where(argv[4])
    slist = _lookup(client.db, as_key(argv[1]))
    if not slist:
        return None
    return _move(
        client.server, client.db, as_key(argv[1]), as_key(argv[2]), slist, left_from, left_to
    )


@command(
    "rpoplpush",
    3,
    "write denyoom",
    keys=(1, 2, 1),
    group="list",
    since="1.2.0",
    summary="Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.",
)
def rpoplpush(client: Client, argv: list[bytes]) -> Any:
    slist = _lookup(client.db, as_key(argv[1]))
    if not slist:
        return None
    return _move(client.server, client.db, as_key(argv[1]), as_key(argv[2]), slist, False, True)


def _mpop_args(argv: list[bytes], numkeys_index: int) -> tuple[list[bytes], bool, int]:
    """lmpopGenericCommand's parsing: (keys, from the left, count)."""
    numkeys = _positive(argv[numkeys_index], errors.NUMKEYS_NOT_POSITIVE)
    where_index = numkeys_index + numkeys + 1
    argc = len(argv)
    if where_index >= argc:
        raise SyntaxErr()
    left = _where(argv[where_index])
    count = -1
    j = where_index + 1
    while j < argc:
        if count == -1 and j + 1 < argc and argv[j].upper() == b"COUNT":
            count = _positive(argv[j + 1], errors.COUNT_NOT_POSITIVE)
            j += 2
        else:
            raise SyntaxErr()
    keys = [as_key(key) for key in argv[numkeys_index + 1 : where_index]]
    return keys, left, 1 if count == -1 else count


def _mpop_keys(numkeys_index: int) -> Callable[[list[bytes]], list[int]]:
    def keys(argv: list[bytes]) -> list[int]:
        try:
            numkeys = parse_int(argv[numkeys_index])
        except (CommandError, IndexError):
            return []
        if numkeys < 1 or numkeys_index + numkeys >= len(argv):
            return []
        return list(range(numkeys_index + 1, numkeys_index + 1 + numkeys))

    return keys


def _pop_first_nonempty(
    client: Client, argv: list[bytes], keys: list[bytes], left: bool, count: int
) -> Any:
    """The non-blocking half of the pop family: the first non-empty list in key order
    (WRONGTYPE on the way stops the search). Rewrites argv to the pop it propagates.
    `count` 0 replies [key, value] (BLPOP), otherwise [key, [values]] (LMPOP)."""
    db = client.db
    for key in keys:
        lst = _lookup(db, key)
        if lst:
            if count:
                values = _pop_n(lst, left, count)
                _elements_removed(db, key, lst, left, len(values))
                argv[:] = [_LPOP if left else _RPOP, key, b"%d" % len(values)]
                return [key, values]
            value = lst.popleft() if left else lst.pop()
            _elements_removed(db, key, lst, left, 1)
            argv[:] = [_LPOP if left else _RPOP, key]
            return [key, value]
    return None


@command(
    "lmpop",
    -4,
    "write",
    keys=(0, 0, 0),
    keys_fn=_mpop_keys(1),
    group="list",
    since="7.0.0",
    summary="Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.",
)
def lmpop(client: Client, argv: list[bytes]) -> Any:
    keys, left, count = _mpop_args(argv, 1)
    reply = _pop_first_nonempty(client, argv, keys, left, count)
    return NULL_ARRAY if reply is None else reply


# --- blocking ------------------------------------------------------------------------------


def _bpop(client: Client, argv: list[bytes], left: bool) -> Any:
    """blockingPopGenericCommand for BLPOP/BRPOP."""
    timeout = parse_timeout_ms(argv[-1])
    keys = [as_key(key) for key in argv[1:-1]]
    reply = _pop_first_nonempty(client, argv, keys, left, 0)
    if reply is not None:
        return reply
    if client.in_exec:  # CLIENT_DENY_BLOCKING: treated as a timeout, even with timeout 0
        return NULL_ARRAY
    return _block(client, keys, timeout, _serve_pop(left, 0))


@command(
    "blpop",
    -3,
    "write noscript blocking",
    keys=(1, -2, 1),
    group="list",
    since="2.0.0",
    summary="Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
)
def blpop(client: Client, argv: list[bytes]) -> Any:
    return _bpop(client, argv, True)


@command(
    "brpop",
    -3,
    "write noscript blocking",
    keys=(1, -2, 1),
    group="list",
    since="2.0.0",
    summary="Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
)
def brpop(client: Client, argv: list[bytes]) -> Any:
    return _bpop(client, argv, False)


@command(
    "blmpop",
    -5,
    "write blocking",
    keys=(0, 0, 0),
    keys_fn=_mpop_keys(2),
    group="list",
    since="7.0.0",
    summary="Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
)
def blmpop(client: Client, argv: list[bytes]) -> Any:
    keys, left, count = _mpop_args(argv, 2)
    timeout = parse_timeout_ms(argv[1])
    reply = _pop_first_nonempty(client, argv, keys, left, count)
    if reply is not None:
        return reply
    if client.in_exec:
        return NULL_ARRAY
    return _block(client, keys, timeout, _serve_pop(left, count))


def _bmove(
    client: Client, argv: list[bytes], left_from: bool, left_to: bool, timeout: tuple[int, bool]
) -> Any:
    """blmoveGenericCommand: move now if the source has elements, else block on it."""
    src, dst = as_key(argv[1]), as_key(argv[2])
    rpoplpush = len(argv) == 4
    slist = _lookup(client.db, src)
    if not slist:
        if client.in_exec:
            return None
        return _block(client, [src], timeout, _serve_move(dst, left_from, left_to, rpoplpush))
    value = _move(client.server, client.db, src, dst, slist, left_from, left_to)
    if rpoplpush:
        argv[:] = [b"RPOPLPUSH", src, dst]
    else:
        argv[:] = [b"LMOVE", src, dst, argv[3], argv[4]]
    return value


@command(
    "blmove",
    6,
    "write denyoom noscript blocking",
    keys=(1, 2, 1),
    group="list",
    since="6.2.0",
    summary="Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.",
)
def blmove(client: Client, argv: list[bytes]) -> Any:
    left_from = _where(argv[3])
    left_to = _where(argv[4])
    return _bmove(client, argv, left_from, left_to, parse_timeout_ms(argv[5]))


@command(
    "brpoplpush",
    4,
    "write denyoom noscript blocking",
    keys=(1, 2, 1),
    group="list",
    since="2.2.0",
    summary="Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.",
)
def brpoplpush(client: Client, argv: list[bytes]) -> Any:
    return _bmove(client, argv, False, True, parse_timeout_ms(argv[3]))
