"""Redis glob patterns (util.c `stringmatchlen`), compiled once and matched without backtracking.

KEYS, SCAN MATCH (and HSCAN/SSCAN/ZSCAN, PSUBSCRIBE) must match exactly what Redis
matches, and `fnmatch` does not: Redis has `\\` escapes everywhere, `[^...]` negation,
ranges compared as *signed* chars with reversed bounds swapped, an unclosed `[` that runs
to the end of the pattern, an empty subject that only the empty pattern matches, and a
recursion limit (a pattern needing more than 1000 nested `*` never matches).

The tokenizer below walks the pattern exactly as `stringmatchlen_impl` does; every
non-star token then matches exactly one byte, so the pattern is a list of fixed-length
segments separated by stars. Segments are compiled to `re` byte patterns (no quantifiers)
and placed leftmost-first, which is linear in the subject: no pattern can make the loop
thread backtrack exponentially.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MAX_STAR_NESTING = 1000  # util.c: stringmatchlen_impl gives up past this nesting

_STAR = None  # token for a star group

Matcher = Callable[[bytes], bool]


def _signed(b: int) -> int:
    return b - 256 if b >= 128 else b


def _tokenize(pattern: bytes, nocase: bool) -> list[bytes | None]:
    """Pattern -> tokens: None for a (collapsed) star group, else the set of matching bytes.

    Mirrors the pattern walk of `stringmatchlen_impl`, byte by byte."""
    tokens: list[bytes | None] = []
    n = len(pattern)
    i = 0
    while i < n:
        c = pattern[i]
        if c == 0x2A:  # '*'
            while i + 1 < n and pattern[i + 1] == 0x2A:
                i += 1
            if not tokens or tokens[-1] is not _STAR:
                tokens.append(_STAR)
            i += 1
        elif c == 0x3F:  # '?'
            tokens.append(bytes(range(256)))
            i += 1
        elif c == 0x5B:  # '['
            i += 1
            negate = i < n and pattern[i] == 0x5E
            if negate:
                i += 1
            members = bytearray(256)
            while True:
                if i < n and pattern[i] == 0x5C and n - i >= 2:
                    i += 1
                    _add(members, pattern[i], nocase)
                elif i < n and pattern[i] == 0x5D:
                    break
                elif i >= n:
                    i -= 1  # Redis steps back so the outer advance lands on the end
                    break
                elif n - i >= 3 and pattern[i + 1] == 0x2D:
                    start, end = _signed(pattern[i]), _signed(pattern[i + 2])
                    if start > end:
                        start, end = end, start
                    for b in range(256):
                        sb = _signed(b)
                        probe = sb
                        if nocase:
                            lo, hi = _lower(start), _lower(end)
                            probe = _lower(sb)
                            if lo <= probe <= hi:
                                members[b] = 1
                        elif start <= probe <= end:
                            members[b] = 1
                    i += 2
                else:
                    _add(members, pattern[i], nocase)
                i += 1
            i += 1
            chosen = bytes(b for b in range(256) if members[b] != negate)
            tokens.append(chosen)
        else:
            if c == 0x5C and n - i >= 2:
                i += 1
                c = pattern[i]
            if nocase:
                low = _lower(_signed(c)) & 0xFF
                tokens.append(bytes(b for b in range(256) if _lower(_signed(b)) & 0xFF == low))
            else:
                tokens.append(bytes((c,)))
            i += 1
    return tokens


def _lower(c: int) -> int:
    return c + 32 if 0x41 <= c <= 0x5A else c


def _add(members: bytearray, c: int, nocase: bool) -> None:
    if nocase:
        low = _lower(c)
        for b in range(256):
            if _lower(b) == low:
                members[b] = 1
    else:
        members[c] = 1


def _segment_regex(tokens: list[bytes]) -> re.Pattern[bytes]:
    parts = []
    for chosen in tokens:
        if len(chosen) == 256:
            parts.append(b".")
        elif not chosen:
            parts.append(b"(?!)")
        elif len(chosen) == 1:
            parts.append(re.escape(chosen))
        else:
            parts.append(b"[" + b"".join(b"\\x%02x" % b for b in chosen) + b"]")
    return re.compile(b"".join(parts), re.DOTALL)


def compile_glob(pattern: bytes, nocase: bool = False) -> Matcher:
    """A function telling whether a subject matches `pattern` exactly as Redis would."""
    if pattern == b"*":
        return _match_nonempty
    tokens = _tokenize(bytes(pattern), nocase)
    stars = sum(1 for t in tokens if t is _STAR)
    if tokens and tokens[-1] is _STAR:
        stars -= 1
    if stars > MAX_STAR_NESTING:
        return _match_nothing
    if not tokens:
        return _match_empty
    segments: list[list[bytes]] = [[]]
    for tok in tokens:
        if tok is _STAR:
            segments.append([])
        else:
            segments[-1].append(tok)
    if len(segments) == 1:
        only = segments[0]
        if all(len(t) == 1 for t in only):
            literal = b"".join(only)
            return literal.__eq__
        rx = _segment_regex(only).fullmatch
        return lambda s: rx(s) is not None
    head, middle, tail = segments[0], segments[1:-1], segments[-1]
    head_len, tail_len = len(head), len(tail)
    head_rx = _segment_regex(head).match if head else None
    tail_rx = _segment_regex(tail).match if tail else None
    middle_rx = [(_segment_regex(seg).search, len(seg)) for seg in middle if seg]
    fixed = head_len + tail_len

    def match(subject: bytes) -> bool:
        size = len(subject)
        if size < fixed or size == 0:
            return False
        if head_rx is not None and head_rx(subject) is None:
            return False
        tail_at = size - tail_len
        if tail_rx is not None and tail_rx(subject, tail_at) is None:
            return False
        pos = head_len
        for search, _seg_len in middle_rx:
            found = search(subject, pos, tail_at)
            if found is None:
                return False
            pos = found.end()
        return True

    return match


def _match_nonempty(subject: bytes) -> bool:
    return len(subject) > 0


def _match_nothing(subject: bytes) -> bool:
    return False


def _match_empty(subject: bytes) -> bool:
    return len(subject) == 0


_CACHE: dict[tuple[bytes, bool], Matcher] = {}


def glob_matcher(pattern: bytes, nocase: bool = False) -> Matcher:
    """`compile_glob` with a small cache (SCAN sends the same MATCH on every call)."""
    key = (bytes(pattern), nocase)
    matcher = _CACHE.get(key)
    if matcher is None:
        if len(_CACHE) >= 256:
            _CACHE.clear()
        matcher = _CACHE[key] = compile_glob(key[0], nocase)
    return matcher


def stringmatch(pattern: bytes, subject: bytes, nocase: bool = False) -> bool:
    """Redis `stringmatchlen(pattern, subject, nocase)`."""
    return glob_matcher(pattern, nocase)(subject)
