"""Sorted set commands (Redis src/t_zset.c, command half).

Parsing follows Redis's order exactly, because the order decides which error a bad call
gets: options and ranges are parsed before the key is looked up (so a syntax error beats
WRONGTYPE), and ZUNION/ZINTER/ZDIFF look their keys up before reading WEIGHTS/AGGREGATE.
Scores go out as Python floats: the encoder prints them as Redis 7.0 does ("%.17g",
"inf"/"-inf"; RESP3 doubles). WITHSCORES replies are flat in RESP2 and [member, score]
pairs in RESP3.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError, NotFloatError, SyntaxErr, WrongTypeError
from ..keyspace.database import Database, as_key
from ..keyspace.scan import scan_page
from ..keyspace.zset import LEX_MAX, LEX_MIN, LexBound, ZSet
from ..protocol.encoder import NULL_ARRAY
from . import blocking
from .args import LLONG_MAX, parse_int
from .blocking import NOT_SERVED, Waiter
from .lists import parse_timeout_ms
from .registry import Deferred, command
from .scan_args import parse_cursor, parse_scan_options

if TYPE_CHECKING:
    from ..server import Client

LONG_MAX = LLONG_MAX

# --- argument parsing (Redis's exact number rules) -------------------------------------

_WS = " \t\n\v\f\r"
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?|[+-]?(inf|infinity|nan)")
_NONZERO_DIGIT = re.compile(r"[1-9]")
_NONZERO_HEX = re.compile(r"[1-9a-f]")


def _strtod(text: str) -> tuple[float, bool] | None:
    """C strtod over a whole (already whitespace-stripped on the left) string.

    Returns (value, erange) or None when strtod would stop before the end. `erange` is
    glibc's ERANGE: overflow to infinity, or underflow of a non-zero literal to 0."""
    low = text.lower()
    body = low.lstrip("+-")
    if body.startswith("0x"):
        if len(low) - len(body) > 1:
            return None
        try:
            value = float.fromhex(low)
        except OverflowError:
            return (-math.inf if low[0] == "-" else math.inf), True
        except ValueError:
            return None
        if value == 0.0:
            return value, _NONZERO_HEX.search(body[2:].split("p")[0]) is not None
        return value, False
    if _DECIMAL.fullmatch(low) is None:
        return None
    value = float(low)
    if math.isinf(value):
        return value, not body.startswith("inf")
    if value == 0.0:
        return value, _NONZERO_DIGIT.search(body.split("e")[0]) is not None
    return value, False


_SIMPLE_NUMBER = re.compile(rb"-?[0-9]{1,15}(?:\.[0-9]{1,15})?")
"""Numbers every parser agrees on (no exponent, no overflow): float() takes them as is."""


def parse_score(arg: bytes, error: str | None = None) -> float:
    """getDoubleFromObject: whole string, no leading space, no ERANGE, no NaN."""
    if _SIMPLE_NUMBER.fullmatch(arg) is not None:
        return float(arg)
    try:
        text = arg.decode("ascii")
    except UnicodeDecodeError:
        text = ""
    if text and text[0] not in _WS:
        parsed = _strtod(text)
        if parsed is not None and not parsed[1] and not math.isnan(parsed[0]):
            return parsed[0]
    if error is not None:
        raise CommandError(error)
    raise NotFloatError()


def _range_item(arg: bytes) -> tuple[float, bool] | None:
    """zslParseRange for one bound: '(' means exclusive; strtod allows leading space and
    the empty string (0); NaN is refused."""
    exclusive = arg[:1] == b"("
    try:
        text = (arg[1:] if exclusive else arg).decode("ascii")
    except UnicodeDecodeError:
        return None
    if text == "":
        return 0.0, exclusive
    text = text.lstrip(_WS)
    if not text:
        return None
    parsed = _strtod(text)
    if parsed is None or math.isnan(parsed[0]):
        return None
    return parsed[0], exclusive


def parse_score_range(low: bytes, high: bytes) -> tuple[float, bool, float, bool]:
    a = _range_item(low)
    b = _range_item(high)
    if a is None or b is None:
        raise CommandError(errors.ZRANGE_NOT_FLOAT)
    return a[0], a[1], b[0], b[1]


def _lex_item(arg: bytes) -> tuple[LexBound, bool] | None:
    if not arg:
        return None
    first = arg[0]
    if first == 0x2B:  # '+': the C code only looks at the next byte being NUL
        return ((LEX_MAX, b""), True) if len(arg) == 1 or arg[1] == 0 else None
    if first == 0x2D:
        return ((LEX_MIN, b""), True) if len(arg) == 1 or arg[1] == 0 else None
    if first == 0x28:  # '('
        return (0, bytes(arg[1:])), True
    if first == 0x5B:  # '['
        return (0, bytes(arg[1:])), False
    return None


def parse_lex_range(low: bytes, high: bytes) -> tuple[LexBound, bool, LexBound, bool]:
    a = _lex_item(low)
    b = _lex_item(high)
    if a is None or b is None:
        raise CommandError(errors.ZRANGE_NOT_LEX)
    return a[0], a[1], b[0], b[1]


def _range_long(arg: bytes, low: int, high: int, error: str | None) -> int:
    """getRangeLongFromObjectOrReply."""
    value = parse_int(arg, error)
    if not low <= value <= high:
        raise CommandError(error or errors.OUT_OF_RANGE_BETWEEN.format(low, high))
    return value


def _positive_long(arg: bytes, error: str = errors.OUT_OF_RANGE_POSITIVE) -> int:
    """getPositiveLongFromObjectOrReply (0 allowed)."""
    return _range_long(arg, 0, LONG_MAX, error)


# --- helpers ---------------------------------------------------------------------------


def _notify(client: Client, event: str, key: bytes, cls: str = "z") -> None:
    db = client.db
    db.keyspace.notify(db, event, key, cls)


def _get_zset(client: Client, key: bytes) -> ZSet | None:
    """lookupKeyWrite + type check (write commands)."""
    zs: ZSet | None = client.db.get_typed(as_key(key), ZSet)
    return zs


def _read_zset(client: Client, key: bytes) -> ZSet | None:
    """lookupKeyRead + type check: read commands count hits/misses and fire keymiss."""
    zs: ZSet | None = client.db.read_typed(as_key(key), ZSet)
    return zs


def _with_scores(client: Client, items: Iterable[tuple[float, bytes]]) -> list[Any]:
    """WITHSCORES reply: flat in RESP2, [member, score] pairs in RESP3."""
    if client.resp >= 3:
        return [[member, score] for score, member in items]
    out: list[Any] = []
    append = out.append
    for score, member in items:
        append(member)
        append(score)
    return out


def _delete_if_empty(client: Client, key: bytes, zs: ZSet) -> bool:
    if not zs:
        client.db.delete(key)
        _notify(client, "del", key, "g")
        return True
    return False


def _store_result(client: Client, dst: bytes, zs: ZSet, event: str) -> int:
    """Write a *STORE result: a non-empty set replaces dst (dropping its TTL); an empty one
    deletes dst."""
    db = client.db
    if zs:
        db.set(dst, zs)
        _notify(client, event, dst)
        signal_ready(client, dst)
        return len(zs)
    if db.delete(dst):
        _notify(client, "del", dst, "g")
    return 0


# --- ZADD / ZINCRBY --------------------------------------------------------------------


def _zadd_generic(client: Client, argv: list[bytes], incr: bool) -> Any:
    nx = xx = gt = lt = ch = False
    idx = 2
    argc = len(argv)
    while idx < argc:
        opt = argv[idx].lower()
        if opt == b"nx":
            nx = True
        elif opt == b"xx":
            xx = True
        elif opt == b"ch":
            ch = True
        elif opt == b"incr":
            incr = True
        elif opt == b"gt":
            gt = True
        elif opt == b"lt":
            lt = True
        else:
            break
        idx += 1
    elements = argc - idx
    if elements % 2 or not elements:
        raise SyntaxErr()
    elements //= 2
    if xx and nx:
        raise CommandError(errors.ZADD_XX_NX)
    if (gt and nx) or (lt and nx) or (gt and lt):
        raise CommandError(errors.ZADD_GT_LT_NX)
    if incr and elements > 1:
        raise CommandError(errors.ZADD_INCR_PAIR)
    scores = [parse_score(argv[idx + 2 * j]) for j in range(elements)]

    key = as_key(argv[1])
    db = client.db
    zs: ZSet | None = db.get_typed(key, ZSet)
    created = False
    if zs is None:
        if xx:
            return None if incr else 0
        zs = ZSet(elements, max(len(argv[idx + 1 + 2 * j]) for j in range(elements)))
        created = True
    added = updated = processed = 0
    score = 0.0
    members = zs.scores
    try:
        for j in range(elements):
            score = scores[j]
            member = as_key(argv[idx + 1 + 2 * j])
            cur = members.get(member)
            if cur is not None:
                if nx:
                    continue
                if incr:
                    score += cur
                    if math.isnan(score):
                        raise CommandError(errors.ZSCORE_NAN)
                if (lt and score >= cur) or (gt and score <= cur):
                    continue
                if score != cur:
                    zs.update(member, cur, score)
                    updated += 1
                processed += 1
            elif not xx:
                zs.insert(member, score)
                added += 1
                processed += 1
    finally:
        if added or updated:
            if created:
                db.set(key, zs)
            else:
                db.keyspace.modified(db, key)
            _notify(client, "zincr" if incr else "zadd", key)
            signal_ready(client, key)
    if incr:
        return score if processed else None
    return added + updated if ch else added


@command(
    "zadd",
    -4,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="1.2.0",
    summary="Adds one or more members to a sorted set, or updates their scores.",
)
def zadd(client: Client, argv: list[bytes]) -> Any:
    return _zadd_generic(client, argv, False)


@command(
    "zincrby",
    4,
    "write denyoom fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="1.2.0",
    summary="Increments the score of a member in a sorted set.",
)
def zincrby(client: Client, argv: list[bytes]) -> Any:
    return _zadd_generic(client, argv, True)


# --- simple reads and removals ---------------------------------------------------------


@command(
    "zcard",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="1.2.0",
    summary="Returns the number of members in a sorted set.",
)
def zcard(client: Client, argv: list[bytes]) -> Any:
    zs = _read_zset(client, argv[1])
    return len(zs) if zs is not None else 0


@command(
    "zscore",
    3,
    "readonly fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="1.2.0",
    summary="Returns the score of a member in a sorted set.",
)
def zscore(client: Client, argv: list[bytes]) -> Any:
    zs = _read_zset(client, argv[1])
    return zs.scores.get(as_key(argv[2])) if zs is not None else None


@command(
    "zmscore",
    -3,
    "readonly fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="6.2.0",
    summary="Returns the score of one or more members in a sorted set.",
)
def zmscore(client: Client, argv: list[bytes]) -> Any:
    zs = _read_zset(client, argv[1])
    if zs is None:
        return [None] * (len(argv) - 2)
    get = zs.scores.get
    return [get(as_key(m)) for m in argv[2:]]


def _zrank_generic(client: Client, argv: list[bytes], reverse: bool) -> Any:
    withscore = False
    if len(argv) == 4:
        if argv[3].lower() != b"withscore":
            raise SyntaxErr()
        withscore = True
    elif len(argv) > 4:
        raise SyntaxErr()
    zs = _read_zset(client, argv[1])
    if zs is None:
        return NULL_ARRAY if withscore else None
    member = as_key(argv[2])
    rank = zs.rank(member, reverse)
    if rank is None:
        return NULL_ARRAY if withscore else None
    return [rank, zs.scores[member]] if withscore else rank


@command(
    "zrank",
    -3,
    "readonly fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.0.0",
    summary="Returns the index of a member in a sorted set ordered by ascending scores.",
)
def zrank(client: Client, argv: list[bytes]) -> Any:
    return _zrank_generic(client, argv, False)


@command(
    "zrevrank",
    -3,
    "readonly fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.0.0",
    summary="Returns the index of a member in a sorted set ordered by descending scores.",
)
def zrevrank(client: Client, argv: list[bytes]) -> Any:
    return _zrank_generic(client, argv, True)


@command(
    "zrem",
    -3,
    "write fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="1.2.0",
    summary="Removes one or more members from a sorted set.",
)
def zrem(client: Client, argv: list[bytes]) -> Any:
    key = as_key(argv[1])
    zs = _get_zset(client, key)
    if zs is None:
        return 0
    deleted = 0
    for member in argv[2:]:
        if zs.remove(as_key(member)):
            deleted += 1
            if not zs:
                break
    if deleted:
        _notify(client, "zrem", key)
        if not _delete_if_empty(client, key, zs):
            client.db.keyspace.modified(client.db, key)
    return deleted


@command(
    "zcount",
    4,
    "readonly fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.0.0",
    summary="Returns the count of members in a sorted set that have scores within a range.",
)
def zcount(client: Client, argv: list[bytes]) -> Any:
    rng = parse_score_range(argv[2], argv[3])
    zs = _read_zset(client, argv[1])
    if zs is None:
        return 0
    first, end = zs.score_span(*rng)
    return end - first


@command(
    "zlexcount",
    4,
    "readonly fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.8.9",
    summary="Returns the number of members in a sorted set within a lexicographical range.",
)
def zlexcount(client: Client, argv: list[bytes]) -> Any:
    rng = parse_lex_range(argv[2], argv[3])
    zs = _read_zset(client, argv[1])
    if zs is None:
        return 0
    first, end = zs.lex_span(*rng)
    return end - first


# --- ZRANGE family ---------------------------------------------------------------------

_RANK, _SCORE, _LEX = 0, 1, 2


def _rank_bounds(n: int, start: int, end: int) -> tuple[int, int]:
    """Redis's index sanitising: ranks [start, stop) or an empty span."""
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if start > end or start >= n:
        return 0, 0
    if end >= n:
        end = n - 1
    return start, end + 1


def _limited(
    zs: ZSet, first: int, end: int, reverse: bool, offset: int, limit: int
) -> list[tuple[float, bytes]]:
    """Apply LIMIT offset count to the span [first, end): a negative offset gives nothing
    (Redis's skip loop runs off the end), a negative count means all."""
    if offset < 0:
        return []
    n = end - first
    if offset >= n:
        return []
    take = n - offset if limit < 0 else min(limit, n - offset)
    if take <= 0:
        return []
    if reverse:
        hi = end - offset
        return list(zs.ordered.islice(hi - take, hi, reverse=True))
    lo = first + offset
    return list(zs.ordered.islice(lo, lo + take))


def _zrange_generic(
    client: Client,
    argv: list[bytes],
    start_idx: int,
    store: bytes | None,
    rangetype: int | None,
    reverse: bool | None,
) -> Any:
    """zrangeGenericCommand: ZRANGE, ZRANGESTORE and the legacy Z[REV]RANGE[BYSCORE|BYLEX]."""
    key = as_key(argv[start_idx])
    minidx, maxidx = start_idx + 1, start_idx + 2
    withscores = False
    offset, limit = 0, -1
    j = start_idx + 3
    argc = len(argv)
    while j < argc:
        left = argc - j - 1
        opt = argv[j].lower()
        if store is None and opt == b"withscores":
            withscores = True
        elif opt == b"limit" and left >= 2:
            offset = parse_int(argv[j + 1])
            limit = parse_int(argv[j + 2])
            j += 2
        elif reverse is None and opt == b"rev":
            reverse = True
        elif rangetype is None and opt == b"bylex":
            rangetype = _LEX
        elif rangetype is None and opt == b"byscore":
            rangetype = _SCORE
        else:
            raise SyntaxErr()
        j += 1
    if reverse is None:
        reverse = False
    if rangetype is None:
        rangetype = _RANK
    if limit != -1 and rangetype == _RANK:
        raise CommandError(errors.ZRANGE_LIMIT_RANK)
    if withscores and rangetype == _LEX:
        raise CommandError(errors.ZRANGE_WITHSCORES_LEX)
    if reverse and rangetype != _RANK:
        minidx, maxidx = maxidx, minidx

    if rangetype == _RANK:
        start = parse_int(argv[minidx])
        stop = parse_int(argv[maxidx])
    elif rangetype == _SCORE:
        srange = parse_score_range(argv[minidx], argv[maxidx])
    else:
        lrange = parse_lex_range(argv[minidx], argv[maxidx])

    zs = _read_zset(client, key)
    if zs is None:
        if store is not None:
            return _store_result(client, store, ZSet(), "zrangestore")
        return []
    if rangetype == _RANK:
        lo, hi = _rank_bounds(len(zs), start, stop)
        items = zs.at(lo, hi, reverse) if lo < hi else []
    elif rangetype == _LEX and not zs.big:
        items = zs.lex_walk(*lrange, reverse, offset, limit)
    else:
        if rangetype == _SCORE:
            first, end = zs.score_span(*srange)
        else:
            first, end = zs.lex_span(*lrange)
        items = _limited(zs, first, end, reverse, offset, limit)

    if store is not None:
        return _store_result(
            client, store, ZSet.from_pairs((m, s) for s, m in items), "zrangestore"
        )
    if withscores:
        return _with_scores(client, items)
    return [member for _score, member in items]


@command(
    "zrange",
    -4,
    "readonly",
    keys=(1, 1, 1),
    group="sorted-set",
    since="1.2.0",
    summary="Returns members in a sorted set within a range of indexes.",
)
def zrange(client: Client, argv: list[bytes]) -> Any:
    return _zrange_generic(client, argv, 1, None, None, None)


@command(
    "zrangestore",
    -5,
    "write denyoom",
    keys=(1, 2, 1),
    group="sorted-set",
    since="6.2.0",
    summary="Stores a range of members from sorted set in a key.",
)
def zrangestore(client: Client, argv: list[bytes]) -> Any:
    return _zrange_generic(client, argv, 2, as_key(argv[1]), None, None)


@command(
    "zrevrange",
    -4,
    "readonly",
    keys=(1, 1, 1),
    group="sorted-set",
    since="1.2.0",
    summary="Returns members in a sorted set within a range of indexes in reverse order.",
)
def zrevrange(client: Client, argv: list[bytes]) -> Any:
    return _zrange_generic(client, argv, 1, None, _RANK, True)


@command(
    "zrangebyscore",
    -4,
    "readonly",
    keys=(1, 1, 1),
    group="sorted-set",
    since="1.0.5",
    summary="Returns members in a sorted set within a range of scores.",
)
def zrangebyscore(client: Client, argv: list[bytes]) -> Any:
    return _zrange_generic(client, argv, 1, None, _SCORE, False)


@command(
    "zrevrangebyscore",
    -4,
    "readonly",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.2.0",
    summary="Returns members in a sorted set within a range of scores in reverse order.",
)
def zrevrangebyscore(client: Client, argv: list[bytes]) -> Any:
    return _zrange_generic(client, argv, 1, None, _SCORE, True)


@command(
    "zrangebylex",
    -4,
    "readonly",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.8.9",
    summary="Returns members in a sorted set within a lexicographical range.",
)
def zrangebylex(client: Client, argv: list[bytes]) -> Any:
    return _zrange_generic(client, argv, 1, None, _LEX, False)


@command(
    "zrevrangebylex",
    -4,
    "readonly",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.8.9",
    summary="Returns members in a sorted set within a lexicographical range in reverse order.",
)
def zrevrangebylex(client: Client, argv: list[bytes]) -> Any:
    return _zrange_generic(client, argv, 1, None, _LEX, True)


# --- ZREMRANGEBY* ----------------------------------------------------------------------


def _zremrange_generic(client: Client, argv: list[bytes], rangetype: int) -> Any:
    key = as_key(argv[1])
    if rangetype == _RANK:
        start = parse_int(argv[2])
        stop = parse_int(argv[3])
    elif rangetype == _SCORE:
        srange = parse_score_range(argv[2], argv[3])
    else:
        lrange = parse_lex_range(argv[2], argv[3])
    zs = _get_zset(client, key)
    if zs is None:
        return 0
    if rangetype == _RANK:
        first, end = _rank_bounds(len(zs), start, stop)
    elif rangetype == _SCORE:
        first, end = zs.score_span(*srange)
    else:
        first, end = zs.lex_span(*lrange)
    deleted = zs.delete_range(first, end)
    if deleted:
        event = ("zremrangebyrank", "zremrangebyscore", "zremrangebylex")[rangetype]
        _notify(client, event, key)
        if not _delete_if_empty(client, key, zs):
            client.db.keyspace.modified(client.db, key)
    return deleted


@command(
    "zremrangebyrank",
    4,
    "write",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.0.0",
    summary="Removes members in a sorted set within a range of indexes.",
)
def zremrangebyrank(client: Client, argv: list[bytes]) -> Any:
    return _zremrange_generic(client, argv, _RANK)


@command(
    "zremrangebyscore",
    4,
    "write",
    keys=(1, 1, 1),
    group="sorted-set",
    since="1.2.0",
    summary="Removes members in a sorted set within a range of scores.",
)
def zremrangebyscore(client: Client, argv: list[bytes]) -> Any:
    return _zremrange_generic(client, argv, _SCORE)


@command(
    "zremrangebylex",
    4,
    "write",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.8.9",
    summary="Removes members in a sorted set within a lexicographical range.",
)
def zremrangebylex(client: Client, argv: list[bytes]) -> Any:
    return _zremrange_generic(client, argv, _LEX)


# --- ZUNION / ZINTER / ZDIFF -----------------------------------------------------------

_UNION, _INTER, _DIFF = 0, 1, 2
_SUM, _MIN, _MAX = 0, 1, 2


def _is_set(value: Any) -> bool:
    """Plain sets (commands/sets.py stores a Python set) count in ZUNION/ZINTER/ZDIFF
    with score 1."""
    return type(value) is set


def _source_scores(value: Any) -> dict[bytes, float]:
    if value is None:
        return {}
    if isinstance(value, ZSet):
        return value.scores
    members: Iterable[bytes] = value
    return dict.fromkeys(members, 1.0)


def _aggregate(target: float, value: float, how: int) -> float:
    if how == _SUM:
        total = target + value
        return 0.0 if math.isnan(total) else total
    if how == _MIN:
        return value if value < target else target
    return value if value > target else target


def _setop_generic(
    client: Client,
    argv: list[bytes],
    dst: bytes | None,
    numkeys_idx: int,
    op: int,
    cardinality_only: bool = False,
) -> Any:
    name = argv[0].decode("utf-8", "replace").lower()
    setnum = parse_int(argv[numkeys_idx])
    if setnum < 1:
        raise CommandError(errors.ZSET_NEED_KEYS.format(name))
    argc = len(argv)
    if setnum > argc - (numkeys_idx + 1):
        raise SyntaxErr()
    db = client.db
    sources: list[dict[bytes, float]] = []
    j = numkeys_idx + 1
    for _ in range(setnum):
        key = as_key(argv[j])
        value = db.get(key) if dst is not None else db.read(key)
        if value is not None and not isinstance(value, ZSet) and not _is_set(value):
            raise WrongTypeError()
        sources.append(_source_scores(value))
        j += 1
    weights = [1.0] * setnum
    how = _SUM
    withscores = False
    limit = 0
    remaining = argc - j
    while remaining:
        opt = argv[j].lower()
        if op != _DIFF and not cardinality_only and remaining >= setnum + 1 and opt == b"weights":
            j += 1
            remaining -= 1
            for i in range(setnum):
                weights[i] = parse_score(argv[j], errors.ZSET_WEIGHT_NOT_FLOAT)
                j += 1
                remaining -= 1
        elif op != _DIFF and not cardinality_only and remaining >= 2 and opt == b"aggregate":
            mode = argv[j + 1].lower()
            if mode == b"sum":
                how = _SUM
            elif mode == b"min":
                how = _MIN
            elif mode == b"max":
                how = _MAX
            else:
                raise SyntaxErr()
            j += 2
            remaining -= 2
        elif remaining >= 1 and dst is None and not cardinality_only and opt == b"withscores":
            withscores = True
            j += 1
            remaining -= 1
        elif cardinality_only and remaining >= 2 and opt == b"limit":
            limit = _positive_long(argv[j + 1], errors.LIMIT_NEGATIVE)
            j += 2
            remaining -= 2
        else:
            raise SyntaxErr()

    result: dict[bytes, float] = {}
    if op == _UNION:
        order = sorted(range(setnum), key=lambda i: len(sources[i]))
        for i in order:
            weight = weights[i]
            for member, score in sources[i].items():
                value = weight * score
                if value != value:
                    value = 0.0
                cur = result.get(member)
                result[member] = value if cur is None else _aggregate(cur, value, how)
    elif op == _INTER:
        order = sorted(range(setnum), key=lambda i: len(sources[i]))
        first, rest = sources[order[0]], order[1:]
        count = 0
        for member, score in first.items():
            value = weights[order[0]] * score
            if value != value:
                value = 0.0
            for i in rest:
                other = sources[i].get(member)
                if other is None:
                    break
                value = _aggregate(value, other * weights[i], how)
            else:
                if cardinality_only:
                    count += 1
                    if limit and count == limit:
                        break
                else:
                    result[member] = value
        if cardinality_only:
            return count
    else:
        others = sources[1:]
        for member, score in sources[0].items():
            if not any(member in other for other in others):
                result[member] = score

    if dst is not None:
        event = ("zunionstore", "zinterstore", "zdiffstore")[op]
        return _store_result(client, dst, ZSet.from_pairs(result.items()), event)
    items = sorted((s, m) for m, s in result.items())
    if withscores:
        return _with_scores(client, items)
    return [m for _s, m in items]


def _numkeys_keys(argv: list[bytes], numkeys_idx: int) -> list[int]:
    try:
        n = int(argv[numkeys_idx])
    except (ValueError, IndexError):
        return []
    first = numkeys_idx + 1
    return list(range(first, min(first + max(n, 0), len(argv))))


def _store_keys(argv: list[bytes]) -> list[int]:
    return [1, *_numkeys_keys(argv, 2)]


@command(
    "zunionstore",
    -4,
    "write denyoom",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.0.0",
    keys_fn=_store_keys,
    summary="Stores the union of multiple sorted sets in a key.",
)
def zunionstore(client: Client, argv: list[bytes]) -> Any:
    return _setop_generic(client, argv, as_key(argv[1]), 2, _UNION)


@command(
    "zinterstore",
    -4,
    "write denyoom",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.0.0",
    keys_fn=_store_keys,
    summary="Stores the intersect of multiple sorted sets in a key.",
)
def zinterstore(client: Client, argv: list[bytes]) -> Any:
    return _setop_generic(client, argv, as_key(argv[1]), 2, _INTER)


@command(
    "zdiffstore",
    -4,
    "write denyoom",
    keys=(1, 1, 1),
    group="sorted-set",
    since="6.2.0",
    keys_fn=_store_keys,
    summary="Stores the difference of multiple sorted sets in a key.",
)
def zdiffstore(client: Client, argv: list[bytes]) -> Any:
    return _setop_generic(client, argv, as_key(argv[1]), 2, _DIFF)


def _read_keys(argv: list[bytes]) -> list[int]:
    return _numkeys_keys(argv, 1)


@command(
    "zunion",
    -3,
    "readonly",
    group="sorted-set",
    since="6.2.0",
    keys_fn=_read_keys,
    summary="Returns the union of multiple sorted sets.",
)
def zunion(client: Client, argv: list[bytes]) -> Any:
    return _setop_generic(client, argv, None, 1, _UNION)


@command(
    "zinter",
    -3,
    "readonly",
    group="sorted-set",
    since="6.2.0",
    keys_fn=_read_keys,
    summary="Returns the intersect of multiple sorted sets.",
)
def zinter(client: Client, argv: list[bytes]) -> Any:
    return _setop_generic(client, argv, None, 1, _INTER)


@command(
    "zdiff",
    -3,
    "readonly",
    group="sorted-set",
    since="6.2.0",
    keys_fn=_read_keys,
    summary="Returns the difference between multiple sorted sets.",
)
def zdiff(client: Client, argv: list[bytes]) -> Any:
    return _setop_generic(client, argv, None, 1, _DIFF)


@command(
    "zintercard",
    -3,
    "readonly",
    group="sorted-set",
    since="7.0.0",
    keys_fn=_read_keys,
    summary="Returns the number of members of the intersect of multiple sorted sets.",
)
def zintercard(client: Client, argv: list[bytes]) -> Any:
    return _setop_generic(client, argv, None, 1, _INTER, cardinality_only=True)


# --- ZPOPMIN / ZPOPMAX / ZMPOP ---------------------------------------------------------


def pop_reply(
    client: Client,
    db: Database,
    key: bytes,
    zs: ZSet,
    from_max: bool,
    count: int,
    emit_key: bool,
    nested: bool,
) -> Any:
    """genericZpopCommand's pop and reply for one non-empty zset (also serves blocked
    clients): removes up to count members, notifies, deletes the key when emptied."""
    popped = zs.pop(count, from_max)
    keyspace = db.keyspace
    keyspace.notify(db, "zpopmax" if from_max else "zpopmin", key, "z")
    if zs:
        keyspace.modified(db, key)
    else:
        db.delete(key)
        keyspace.notify(db, "del", key, "g")
    if nested:
        pairs: list[Any] = [[m, s] for m, s in popped]
        return [key, pairs] if emit_key else pairs
    out: list[Any] = [key] if emit_key else []
    for member, score in popped:
        out.append(member)
        out.append(score)
    return out


def _first_zset(db: Database, keys: Sequence[bytes]) -> tuple[bytes, ZSet] | None:
    """The first existing key among `keys`; WRONGTYPE stops the scan, as in Redis."""
    for arg in keys:
        key = as_key(arg)
        value = db.get(key)
        if value is None:
            continue
        if not isinstance(value, ZSet):
            raise WrongTypeError()
        return key, value
    return None


def _zpop_command(client: Client, argv: list[bytes], from_max: bool) -> Any:
    if len(argv) > 3:
        raise SyntaxErr()
    count = 1
    has_count = len(argv) == 3
    if has_count:
        count = _positive_long(argv[2])
    found = _first_zset(client.db, argv[1:2])
    if found is None or count == 0:
        return []
    key, zs = found
    return pop_reply(
        client, client.db, key, zs, from_max, count, False, has_count and client.resp >= 3
    )


@command(
    "zpopmin",
    -2,
    "write fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="5.0.0",
    summary="Returns the lowest-scoring members from a sorted set after removing them.",
)
def zpopmin(client: Client, argv: list[bytes]) -> Any:
    return _zpop_command(client, argv, False)


@command(
    "zpopmax",
    -2,
    "write fast",
    keys=(1, 1, 1),
    group="sorted-set",
    since="5.0.0",
    summary="Returns the highest-scoring members from a sorted set after removing them.",
)
def zpopmax(client: Client, argv: list[bytes]) -> Any:
    return _zpop_command(client, argv, True)


def _parse_mpop(argv: list[bytes], numkeys_idx: int) -> tuple[list[bytes], bool, int]:
    """zmpopGenericCommand's parsing: numkeys, keys, MIN|MAX, [COUNT n]."""
    numkeys = _range_long(argv[numkeys_idx], 1, LONG_MAX, errors.NUMKEYS_NOT_POSITIVE)
    where_idx = numkeys_idx + numkeys + 1
    argc = len(argv)
    if where_idx >= argc:
        raise SyntaxErr()
    where = argv[where_idx].lower()
    if where == b"min":
        from_max = False
    elif where == b"max":
        from_max = True
    else:
        raise SyntaxErr()
    count = -1
    j = where_idx + 1
    while j < argc:
        if count == -1 and argv[j].lower() == b"count" and j < argc - 1:
            count = _range_long(argv[j + 1], 1, LONG_MAX, errors.COUNT_NOT_POSITIVE)
            j += 2
        else:
            raise SyntaxErr()
    keys = [as_key(k) for k in argv[numkeys_idx + 1 : where_idx]]
    return keys, from_max, (1 if count == -1 else count)


def _mpop_keys(argv: list[bytes]) -> list[int]:
    return _numkeys_keys(argv, 1)


@command(
    "zmpop",
    -4,
    "write",
    group="sorted-set",
    since="7.0.0",
    keys_fn=_mpop_keys,
    summary="Returns the highest- or lowest-scoring members from one or more sorted sets "
    "after removing them. Deletes the sorted set if the last member was popped.",
)
def zmpop(client: Client, argv: list[bytes]) -> Any:
    keys, from_max, count = _parse_mpop(argv, 1)
    found = _first_zset(client.db, keys)
    if found is None:
        return NULL_ARRAY
    key, zs = found
    _rewrite_as_zpop(argv, key, from_max, count)
    return pop_reply(client, client.db, key, zs, from_max, count, True, True)


# --- blocking pops ---------------------------------------------------------------------
#
# Waiting and waking go through the shared registry (commands/blocking.py): writes that
# give a key members signal it, and waiters are served after the whole top-level command
# (EXEC included), as Redis's handleClientsBlockedOnKeys does.


def _serve_zpop(from_max: bool, count: int, mpop: bool) -> blocking.ServeFn:
    """A blocked BZPOPMIN/BZPOPMAX (reply [key, member, score]) or BZMPOP waiter."""

    def serve(waiter: Waiter, db: Database, key: bytes) -> Any:
        zs = db.peek(key)
        if type(zs) is not ZSet or not zs:
            return NOT_SERVED
        client = waiter.client
        server = client.server
        argv = [b"ZPOPMAX" if from_max else b"ZPOPMIN", key, b"%d" % count]
        for propagate in server.propagators:
            propagate(db.id, argv)
        return pop_reply(client, db, key, zs, from_max, count, True, mpop)

    return serve


def _block(
    client: Client,
    keys: list[bytes],
    timeout: tuple[int, bool],
    from_max: bool,
    count: int,
    mpop: bool,
) -> Any:
    """Park the client on `keys`; inside EXEC a blocking pop cannot block and answers a
    null array at once (CLIENT_DENY_BLOCKING)."""
    if client.in_exec:
        return NULL_ARRAY
    reg = blocking.registry(client.server)
    serve = _serve_zpop(from_max, count, mpop)
    future = reg.block(client, keys, timeout[0], serve, NULL_ARRAY, deadline_passed=timeout[1])
    return Deferred(future)


def signal_ready(client: Client, key: bytes) -> None:
    """`key` just received members: clients blocked on it get served after this command."""
    blocking.signal_key_as_ready(client.server, client.db, key)


def _rewrite_as_zpop(argv: list[bytes], key: bytes, from_max: bool, count: int) -> None:
    """Propagate a (blocking) multi-key pop as the ZPOPMIN/ZPOPMAX it amounted to."""
    argv[:] = [b"ZPOPMAX" if from_max else b"ZPOPMIN", key, b"%d" % count]


def _bzpop_command(client: Client, argv: list[bytes], from_max: bool) -> Any:
    timeout = parse_timeout_ms(argv[-1])
    keys = [as_key(k) for k in argv[1:-1]]
    found = _first_zset(client.db, keys)
    if found is not None:
        key, zs = found
        _rewrite_as_zpop(argv, key, from_max, 1)
        return pop_reply(client, client.db, key, zs, from_max, 1, True, False)
    return _block(client, keys, timeout, from_max, 1, False)


@command(
    "bzpopmin",
    -3,
    "write noscript blocking fast",
    keys=(1, -2, 1),
    group="sorted-set",
    since="5.0.0",
    summary="Removes and returns the member with the lowest score from one or "
    "more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set "
    "if the last element was popped.",
)
def bzpopmin(client: Client, argv: list[bytes]) -> Any:
    return _bzpop_command(client, argv, False)


@command(
    "bzpopmax",
    -3,
    "write noscript blocking fast",
    keys=(1, -2, 1),
    group="sorted-set",
    since="5.0.0",
    summary="Removes and returns the member with the highest score from one or "
    "more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if "
    "the last element was popped.",
)
def bzpopmax(client: Client, argv: list[bytes]) -> Any:
    return _bzpop_command(client, argv, True)


def _bzmpop_keys(argv: list[bytes]) -> list[int]:
    return _numkeys_keys(argv, 2)


@command(
    "bzmpop",
    -5,
    "write blocking",
    group="sorted-set",
    since="7.0.0",
    keys_fn=_bzmpop_keys,
    summary="Removes and returns a member by score from one or more sorted sets. Blocks until "
    "a member is available otherwise. Deletes the sorted set if the last element was popped.",
)
def bzmpop(client: Client, argv: list[bytes]) -> Any:
    timeout = parse_timeout_ms(argv[1])
    keys, from_max, count = _parse_mpop(argv, 2)
    found = _first_zset(client.db, keys)
    if found is not None:
        key, zs = found
        _rewrite_as_zpop(argv, key, from_max, count)
        return pop_reply(client, client.db, key, zs, from_max, count, True, True)
    return _block(client, keys, timeout, from_max, count, True)


# --- ZRANDMEMBER / ZSCAN ---------------------------------------------------------------


@command(
    "zrandmember",
    -2,
    "readonly",
    keys=(1, 1, 1),
    group="sorted-set",
    since="6.2.0",
    summary="Returns one or more random members from a sorted set.",
)
def zrandmember(client: Client, argv: list[bytes]) -> Any:
    argc = len(argv)
    if argc >= 3:
        count = _range_long(argv[2], -LONG_MAX, LONG_MAX, None)
        withscores = False
        if argc > 4 or (argc == 4 and argv[3].lower() != b"withscores"):
            raise SyntaxErr()
        if argc == 4:
            withscores = True
            if count < -LONG_MAX // 2 or count > LONG_MAX // 2:
                raise CommandError(errors.OUT_OF_RANGE)
        return _zrandmember_count(client, argv[1], count, withscores)
    zs = _read_zset(client, argv[1])
    if zs is None:
        return None
    return zs.ordered[random.randrange(len(zs))][1]


def _zrandmember_count(client: Client, key: bytes, count: int, withscores: bool) -> Any:
    zs = _read_zset(client, key)
    if zs is None or count == 0:
        return []
    n = len(zs)
    if count < 0:
        items = zs.random_entries(random.randrange(n) for _ in range(-count))
    elif count >= n:
        items = list(zs.ordered)
    else:
        items = zs.random_entries(random.sample(range(n), count))
    if withscores:
        return _with_scores(client, items)
    return [m for _s, m in items]


@command(
    "zscan",
    -3,
    "readonly",
    keys=(1, 1, 1),
    group="sorted-set",
    since="2.8.0",
    summary="Iterates over members and scores of a sorted set.",
)
def zscan(client: Client, argv: list[bytes]) -> Any:
    """A listpack-sized set comes whole at cursor 0, as in Redis; a bigger one pages
    through a snapshot (keyspace/scan.py) so every member present throughout is returned."""
    cursor = parse_cursor(argv[2])
    key = as_key(argv[1])
    zs = _read_zset(client, key)
    if zs is None:
        return [b"0", []]
    opts = parse_scan_options(argv, 3, allow_type=False)
    if not zs.big:
        next_cursor, members = 0, [m for _s, m in zs.ordered]
    else:
        owner = ("zset", client.db.id, key)
        next_cursor, members = scan_page(owner, cursor, opts.count, lambda: list(zs.scores))
    match = opts.matcher
    scores = zs.scores
    out: list[Any] = []
    for member in members:
        score = scores.get(member)
        if score is not None and (match is None or match(member)):
            out.append(member)
            out.append(_format_scan_score(score))
    return [b"%d" % next_cursor, out]


def _format_scan_score(score: float) -> bytes:
    if math.isinf(score):
        return b"inf" if score > 0 else b"-inf"
    return b"%.17g" % score
