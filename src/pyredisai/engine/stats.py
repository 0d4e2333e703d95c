"""Run statistics for AI.INFO, and the process-wide table that holds them by key name.

RedisAI keeps one table for all databases, keyed by the key name at store time
(reference section 9): storing a model or script creates a fresh entry; freeing the value
removes the entry only if it still belongs to that value; RENAME, MOVE and SWAPDB leave
the entry where it is (AI.INFO answers under the old name). The command layer calls
`store` on AI.MODELSTORE/SCRIPTSTORE/loading, `release` when a value is freed (deleted,
expired, flushed or overwritten: before `store` of its replacement, as RedisAI frees the
old value first), `get` for AI.INFO, and `entries` for AI._MODELSCAN/_SCRIPTSCAN.

Counters are updated by the engine on the loop thread only, so they need no locks.

The table's iteration order is RedisAI's (its copy of the Redis 5 dict: SipHash-1-2
buckets, head insertion, incremental rehashing), because redisai-py's tests compare scan
lists exactly. Lookups themselves go through a plain dict.
"""

from __future__ import annotations

from typing import Any

_M64 = (1 << 64) - 1


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _M64


def siphash12(data: bytes) -> int:
    """Redis's dict hash (SipHash-1-2, 64-bit) with the all-zero key RedisAI's dict uses."""
    v0 = 0x736F6D6570736575
    v1 = 0x646F72616E646F6D
    v2 = 0x6C7967656E657261
    v3 = 0x7465646279746573
    n = len(data)
    end = n - n % 8
    words = [int.from_bytes(data[i : i + 8], "little") for i in range(0, end, 8)]
    words.append(((n & 0xFF) << 56) | int.from_bytes(data[end:], "little"))
    for m in words:  # one compression round per word (the "1" of 1-2)
        v3 ^= m
        v0 = (v0 + v1) & _M64
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & _M64
        v3 = _rotl(v3, 16) ^ v2
        v0 = (v0 + v3) & _M64
        v3 = _rotl(v3, 21) ^ v0
        v2 = (v2 + v1) & _M64
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)
        v0 ^= m
    v2 ^= 0xFF
    for _ in range(2):  # two finalisation rounds
        v0 = (v0 + v1) & _M64
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & _M64
        v3 = _rotl(v3, 16) ^ v2
        v0 = (v0 + v3) & _M64
        v3 = _rotl(v3, 21) ^ v0
        v2 = (v2 + v1) & _M64
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)
    return v0 ^ v1 ^ v2 ^ v3


class RunStats:
    """AI.INFO counters of one stored model or script, with the facts AI.INFO shows.

    `samples` stays -1 for scripts (RedisAI reports -1 there)."""

    __slots__ = (
        "key",
        "kind",
        "backend",
        "device",
        "tag",
        "duration_us",
        "samples",
        "calls",
        "errors",
    )

    def __init__(
        self, key: bytes, kind: str = "MODEL", backend: str = "", device: str = "", tag: bytes = b""
    ) -> None:
        self.key = key
        self.kind = kind  # "MODEL" or "SCRIPT"
        self.backend = backend
        self.device = device  # as given at store time
        self.tag = tag
        self.duration_us = 0
        self.samples = 0 if kind == "MODEL" else -1
        self.calls = 0
        self.errors = 0

    def reset(self) -> None:
        """AI.INFO key RESETSTAT."""
        self.duration_us = 0
        self.samples = 0 if self.kind == "MODEL" else -1
        self.calls = 0
        self.errors = 0

    def info(self) -> list[Any]:
        """AI.INFO's 18-element flat reply (names as bytes; values bytes/str/int)."""
        return [
            b"key", self.key,
            b"type", self.kind,
            b"backend", self.backend,
            b"device", self.device,
            b"tag", self.tag,
            b"duration", self.duration_us,
            b"samples", self.samples,
            b"calls", self.calls,
            b"errors", self.errors,
        ]  # fmt: skip

    def __repr__(self) -> str:
        return (
            f"<RunStats {self.key!r} {self.kind} calls={self.calls} errors={self.errors} "
            f"samples={self.samples} duration={self.duration_us}us>"
        )


class StatsTable:
    """Key name -> RunStats for all databases, iterated in RedisAI's order.

    The emulated dict mirrors Redis 5's dict.c: table 0 starts with 4 buckets; before an
    insert, when not rehashing and used >= size, table 1 of the next power of two >=
    used*2 is allocated; while rehashing, each insert, lookup and delete first moves one
    bucket (visiting at most 10 empty ones); a new entry goes to the head of its chain;
    replacing keeps the position; tables never shrink.
    """

    def __init__(self) -> None:
        self._map: dict[bytes, RunStats] = {}
        self._hash: dict[bytes, int] = {}
        self._t0: list[list[bytes]] = []  # chains, head first
        self._t1: list[list[bytes]] = []
        self._used0 = 0
        self._used1 = 0
        self._rehashidx = -1

    # -- RedisAI's operations ------------------------------------------------------------
    def store(self, stats: RunStats) -> None:
        """RAI_StatsStoreEntry (dictReplace): a fresh entry under its key name."""
        key = stats.key
        if self._rehashidx != -1:
            self._rehash_step()
        self._expand_if_needed()  # dict.c checks this before looking for the key
        if key in self._map:
            self._map[key] = stats  # replace in place: position kept
            return
        h = siphash12(key)
        self._hash[key] = h
        if self._rehashidx != -1:
            self._t1[h & (len(self._t1) - 1)].insert(0, key)
            self._used1 += 1
        else:
            self._t0[h & (len(self._t0) - 1)].insert(0, key)
            self._used0 += 1
        self._map[key] = stats

    def get(self, key: bytes) -> RunStats | None:
        """RAI_StatsGetEntry (dictFind), e.g. for AI.INFO."""
        if self._map and self._rehashidx != -1:
            self._rehash_step()
        return self._map.get(key)

    def remove(self, key: bytes) -> None:
        """RAI_StatsRemoveEntry: find, then delete."""
        if self.get(key) is None:
            return
        if self._rehashidx != -1:
            self._rehash_step()
        h = self._hash.pop(key)
        del self._map[key]
        chain = self._t0[h & (len(self._t0) - 1)]
        if key in chain:
            chain.remove(key)
            self._used0 -= 1
        else:
            self._t1[h & (len(self._t1) - 1)].remove(key)
            self._used1 -= 1

    def release(self, stats: RunStats) -> None:
        """What freeing a model or script value does: drop its entry if still its own."""
        if self.get(stats.key) is stats:
            self.remove(stats.key)

    def entries(self, kind: str | None = None) -> list[RunStats]:
        """Entries in RedisAI's iteration order (table 0, then table 1), optionally of
        one kind ("MODEL" or "SCRIPT"). Iterating does not advance rehashing."""
        out: list[RunStats] = []
        tables = (self._t0, self._t1) if self._rehashidx != -1 else (self._t0,)
        for table in tables:
            for chain in table:
                for key in chain:
                    stats = self._map[key]
                    if kind is None or stats.kind == kind:
                        out.append(stats)
        return out

    def __len__(self) -> int:
        return len(self._map)

    def __contains__(self, key: object) -> bool:
        return key in self._map

    # -- the dict emulation --------------------------------------------------------------
    def _expand_if_needed(self) -> None:
        if self._rehashidx != -1:
            return
        if not self._t0:
            self._t0 = [[] for _ in range(4)]
            return
        if self._used0 >= len(self._t0):
            size = 4
            while size < self._used0 * 2:
                size *= 2
            self._t1 = [[] for _ in range(size)]
            self._used1 = 0
            self._rehashidx = 0

    def _rehash_step(self) -> None:
        """dictRehash(d, 1): move one non-empty bucket of table 0 into table 1."""
        t0 = self._t0
        if self._used0:
            empty_visits = 10
            while not t0[self._rehashidx]:
                self._rehashidx += 1
                empty_visits -= 1
                if empty_visits == 0:
                    return
            chain = t0[self._rehashidx]
            t1 = self._t1
            mask = len(t1) - 1
            for key in chain:  # head to tail, each pushed onto the head of its new chain
                t1[self._hash[key] & mask].insert(0, key)
            self._used0 -= len(chain)
            self._used1 += len(chain)
            t0[self._rehashidx] = []
            self._rehashidx += 1
        if self._used0 == 0:
            self._t0, self._t1 = self._t1, []
            self._used0, self._used1 = self._used1, 0
            self._rehashidx = -1
