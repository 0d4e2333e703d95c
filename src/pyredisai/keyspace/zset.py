"""The sorted set value type (Redis src/t_zset.c, "sorted set API" half).

A `ZSet` is Redis's dict + skiplist pair: `scores` maps member -> score for O(1) ZSCORE,
and `ordered` keeps (score, member) tuples sorted for O(log n) rank and range queries.
Ties in score order by member bytes, which is memcmp order, as in Redis. Scores are
never NaN (callers reject NaN before it gets here).

`big` mirrors Redis's encoding choice (listpack while small, skiplist once past
zset-max-listpack-entries/-value, never back). It is visible in one place: a listpack
stores scores as text and reads "-0" back as 0, so small sets normalise -0.0 to 0.0.

Loop thread only. Knows no argv and no RESP: range bounds come in parsed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sortedcontainers import SortedList  # type: ignore[import-untyped]

from .database import COPIERS, OBJECT_ENCODINGS, TYPE_NAMES

_nextafter = math.nextafter
_INF = math.inf

MAX_LISTPACK_ENTRIES = 128  # zset-max-listpack-entries
MAX_LISTPACK_VALUE = 64  # zset-max-listpack-value

LEX_MIN = -1
"""Kind of a lex bound meaning "-" (below every string)."""
LEX_MAX = 1
"""Kind of a lex bound meaning "+" (above every string)."""

LexBound = tuple[int, bytes]
"""(kind, value): kind 0 is a plain string, LEX_MIN / LEX_MAX the infinite ends."""


class ZSet:
    """Member -> score dict plus a sorted (score, member) list, like Redis's zset."""

    __slots__ = ("scores", "ordered", "big")

    def __init__(self, size_hint: int = 0, max_member_len: int = 0) -> None:
        self.scores: dict[bytes, float] = {}
        self.ordered: Any = SortedList()
        self.big = size_hint > MAX_LISTPACK_ENTRIES or max_member_len > MAX_LISTPACK_VALUE

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[bytes, float]]) -> ZSet:
        """Build from (member, score) pairs (loading a snapshot, *STORE results); the
        encoding is chosen from the final size, like zsetConvertToListpackIfNeeded."""
        zs = cls()
        scores = zs.scores
        for member, score in pairs:
            scores[member] = score
        zs.big = len(scores) > MAX_LISTPACK_ENTRIES or zs.max_member_len() > MAX_LISTPACK_VALUE
        if not zs.big:
            for member, score in scores.items():
                if score == 0.0:
                    scores[member] = 0.0
        zs.ordered = SortedList((s, m) for m, s in scores.items())
        return zs

    def copy(self) -> ZSet:
        """COPY: an independent set with the same members, scores and encoding."""
        zs = ZSet()
        zs.scores = dict(self.scores)
        zs.ordered = self.ordered.copy()
        zs.big = self.big
        return zs

    def encoding(self) -> str:
        """OBJECT ENCODING: Redis converts listpack -> skiplist once, never back."""
        return "skiplist" if self.big else "listpack"

    def __len__(self) -> int:
        return len(self.scores)

    def __contains__(self, member: bytes) -> bool:
        return member in self.scores

    def items(self) -> Iterator[tuple[bytes, float]]:
        """(member, score) in score order (snapshot writers, DEBUG DIGEST)."""
        for score, member in self.ordered:
            yield member, score

    def score(self, member: bytes) -> float | None:
        return self.scores.get(member)

    def max_member_len(self) -> int:
        return max(map(len, self.scores), default=0)

    # -- updates -------------------------------------------------------------------------
    def insert(self, member: bytes, score: float) -> None:
        """Add a member known to be absent."""
        if not self.big:
            if len(self.scores) >= MAX_LISTPACK_ENTRIES or len(member) > MAX_LISTPACK_VALUE:
                self.big = True
            elif score == 0.0:
                score = 0.0  # the listpack reads "-0" back as 0
        self.scores[member] = score
        self.ordered.add((score, member))

    def update(self, member: bytes, old: float, new: float) -> None:
        """Move a present member from score `old` to `new`."""
        if new == 0.0 and not self.big:
            new = 0.0
        ordered = self.ordered
        ordered.remove((old, member))
        ordered.add((new, member))
        self.scores[member] = new

    def set(self, member: bytes, score: float) -> bool:
        """Insert or re-score; True if the member was new."""
        old = self.scores.get(member)
        if old is None:
            self.insert(member, score)
            return True
        if old != score:
            self.update(member, old, score)
        return False

    def remove(self, member: bytes) -> bool:
        score = self.scores.pop(member, None)
        if score is None:
            return False
        self.ordered.remove((score, member))
        return True

    def delete_range(self, start: int, stop: int) -> int:
        """Remove ranks [start, stop) and return how many went."""
        if start >= stop:
            return 0
        ordered = self.ordered
        scores = self.scores
        for _score, member in ordered.islice(start, stop):
            del scores[member]
        del ordered[start:stop]
        return stop - start

    def pop(self, count: int, from_max: bool) -> list[tuple[bytes, float]]:
        """Remove and return up to `count` members from one end (ZPOPMIN/ZPOPMAX order)."""
        ordered = self.ordered
        n = min(count, len(ordered))
        if n <= 0:
            return []
        if from_max:
            taken = list(ordered.islice(len(ordered) - n, len(ordered), reverse=True))
            del ordered[len(ordered) - n :]
        else:
            taken = list(ordered.islice(0, n))
            del ordered[:n]
        scores = self.scores
        out = []
        for score, member in taken:
            del scores[member]
            out.append((member, score))
        return out

    # -- ranks and ranges ----------------------------------------------------------------
    def rank(self, member: bytes, reverse: bool = False) -> int | None:
        score = self.scores.get(member)
        if score is None:
            return None
        index: int = self.ordered.index((score, member))
        return len(self.scores) - 1 - index if reverse else index

    def at(self, start: int, stop: int, reverse: bool = False) -> list[tuple[float, bytes]]:
        """(score, member) for ranks [start, stop) in ascending rank order, or from the
        top when `reverse` (ranks then count from the highest score)."""
        ordered = self.ordered
        if reverse:
            n = len(ordered)
            return list(ordered.islice(n - stop, n - start, reverse=True))
        return list(ordered.islice(start, stop))

    def score_span(self, low: float, low_ex: bool, high: float, high_ex: bool) -> tuple[int, int]:
        """Ranks [first, end) of the members inside the score range."""
        bisect = self.ordered.bisect_left
        n = len(self.ordered)
        if low_ex:
            first = n if low == _INF else bisect((_nextafter(low, _INF), b""))
        else:
            first = bisect((low, b""))
        if high_ex:
            end = bisect((high, b""))
        else:
            end = n if high == _INF else bisect((_nextafter(high, _INF), b""))
        return first, max(first, end)

    def lex_span(
        self, low: LexBound, low_ex: bool, high: LexBound, high_ex: bool
    ) -> tuple[int, int]:
        """Ranks [first, end) of the members inside the lex range.

        Meaningful when all scores are equal, as Redis documents; otherwise this walks
        the order the way Redis does (a linear scan while the set is a listpack, a
        search once it is a skiplist) so mixed-score sets answer alike in common cases."""
        ordered = self.ordered
        n = len(ordered)
        if not n or not lex_range_nonempty(low, low_ex, high, high_ex):
            return 0, 0
        if not lex_gte_min(ordered[-1][1], low, low_ex) or not lex_lte_max(
            ordered[0][1], high, high_ex
        ):
            return 0, 0
        if not self.big:
            first = 0
            while first < n and not lex_gte_min(ordered[first][1], low, low_ex):
                first += 1
            end = first
            while end < n and lex_lte_max(ordered[end][1], high, high_ex):
                end += 1
            return first, end
        first = self._first_index(lambda m: lex_gte_min(m, low, low_ex))
        end = self._first_index(lambda m: not lex_lte_max(m, high, high_ex))
        return first, max(first, end)

    def lex_walk(
        self,
        low: LexBound,
        low_ex: bool,
        high: LexBound,
        high_ex: bool,
        reverse: bool,
        offset: int,
        limit: int,
    ) -> list[tuple[float, bytes]]:
        """ZRANGE BYLEX on a listpack-sized set, walked exactly as Redis walks a listpack
        (zzlFirstInLexRange / zzlLastInLexRange, then LIMIT's skip and the range check on
        every element), so sets whose scores differ answer as Redis does too."""
        items = list(self.ordered)
        n = len(items)
        if not n or not lex_range_nonempty(low, low_ex, high, high_ex):
            return []
        if not lex_gte_min(items[-1][1], low, low_ex) or not lex_lte_max(
            items[0][1], high, high_ex
        ):
            return []
        out: list[tuple[float, bytes]] = []
        if not reverse:
            i = 0
            while i < n and not lex_gte_min(items[i][1], low, low_ex):
                i += 1
            if i == n or not lex_lte_max(items[i][1], high, high_ex) or offset < 0:
                return out
            i += offset
            while i < n and limit != 0 and lex_lte_max(items[i][1], high, high_ex):
                out.append(items[i])
                i += 1
                limit -= 1
        else:
            i = n - 1
            while i >= 0 and not lex_lte_max(items[i][1], high, high_ex):
                i -= 1
            if i < 0 or not lex_gte_min(items[i][1], low, low_ex) or offset < 0:
                return out
            i -= offset
            while i >= 0 and limit != 0 and lex_gte_min(items[i][1], low, low_ex):
                out.append(items[i])
                i -= 1
                limit -= 1
        return out

    def _first_index(self, pred: Callable[[bytes], bool]) -> int:
        """Binary search for the first rank whose member satisfies a monotone predicate."""
        ordered = self.ordered
        lo, hi = 0, len(ordered)
        while lo < hi:
            mid = (lo + hi) // 2
            if pred(ordered[mid][1]):
                hi = mid
            else:
                lo = mid + 1
        return lo

    def random_entries(self, indexes: Iterable[int]) -> list[tuple[float, bytes]]:
        ordered = self.ordered
        return [ordered[i] for i in indexes]


def lex_cmp(a: LexBound, b: LexBound) -> int:
    """Redis sdscmplex: the "-" and "+" sentinels sort below/above every string."""
    if a[0] == b[0] and a[0] != 0:
        return 0
    if a[0] == LEX_MIN or b[0] == LEX_MAX:
        return -1
    if a[0] == LEX_MAX or b[0] == LEX_MIN:
        return 1
    return (a[1] > b[1]) - (a[1] < b[1])


def lex_range_nonempty(low: LexBound, low_ex: bool, high: LexBound, high_ex: bool) -> bool:
    cmp = lex_cmp(low, high)
    return not (cmp > 0 or (cmp == 0 and (low_ex or high_ex)))


def lex_gte_min(member: bytes, low: LexBound, low_ex: bool) -> bool:
    cmp = lex_cmp((0, member), low)
    return cmp > 0 if low_ex else cmp >= 0


def lex_lte_max(member: bytes, high: LexBound, high_ex: bool) -> bool:
    cmp = lex_cmp((0, member), high)
    return cmp < 0 if high_ex else cmp <= 0


TYPE_NAMES[ZSet] = "zset"
OBJECT_ENCODINGS[ZSet] = ZSet.encoding
COPIERS[ZSet] = ZSet.copy
