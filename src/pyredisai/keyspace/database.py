"""Databases, expiry and the hooks every write goes through.

Loop thread only: like Redis, the keyspace has no locks because one thread owns it.

Values are plain Python objects: `bytes`/`bytearray` strings (and `int` for counters, see
STRING_TYPES), and the other value types register their TYPE name in `TYPE_NAMES`
(hashes, lists, sets, zsets, AI tensors, models, scripts). Expiry times are absolute milliseconds in `Database.expires`; a heap drives
active expiry so expired keys are reclaimed without being touched.

Lookups come in Redis's flavours (db.c): `read`/`read_typed` are lookupKeyRead (hit/miss
statistics, "keymiss" notification, LRU touch), `get`/`get_typed` are lookupKeyWrite
(LRU touch only), `peek` is a NOTOUCH|NONOTIFY lookup. All of them expire lazily.
A string value is never mutated in place: a big value may be referenced by a reply still
being written or by the propagation stream, so APPEND/SETRANGE store a new object.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import WrongTypeError

TYPE_NAMES: dict[type, str] = {bytes: "string", bytearray: "string", int: "string"}
"""Python value class -> Redis TYPE reply. Value-type modules add their classes here."""

CORE_TYPE_NAMES = frozenset(("string", "list", "set", "zset", "hash", "stream"))
"""TYPE names of Redis's own types; any other registered name is a module type."""

OBJECT_ENCODINGS: dict[type, Callable[[Any], str]] = {}
"""Value class -> OBJECT ENCODING answer. Value-type modules may register their own
(e.g. listpack until a size threshold); commands/generic.py has Redis-default fallbacks."""

COPIERS: dict[type, Callable[[Any], Any]] = {}
"""Value class -> deep copy for COPY. Core types fall back to copy.deepcopy; a module type
without an entry answers "not supported for this module key", as RedisAI's types do."""

STRING_TYPES = (bytes, bytearray, int)
"""A string value's classes. INCR and its family store their result as an `int`, as
Redis keeps a counter int-encoded, so the next INCR neither parses nor formats the value
it stores; every other reader takes the bytes (`Database.read_string`/`get_string`, or
`string_bytes` on a value it looked up itself)."""


def string_bytes(value: bytes | bytearray | int) -> bytes | bytearray:
    """A string value as its bytes: a counter (`int`) formatted, the others as they are."""
    return b"%d" % value if type(value) is int else value  # type: ignore[return-value]


def type_name(value: Any) -> str:
    return TYPE_NAMES.get(type(value), "none")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def as_key(arg: bytes | bytearray | memoryview) -> bytes:
    """A hashable key: an AI.* command's big arguments arrive as bytearray, which cannot be
    a dict key (every other command's arguments are bytes already)."""
    return arg if type(arg) is bytes else bytes(arg)


class Database:
    __slots__ = ("id", "data", "expires", "_heap", "keyspace", "avg_ttl", "atime")

    def __init__(self, db_id: int, keyspace: Keyspace) -> None:
        self.id = db_id
        self.data: dict[bytes, Any] = {}
        self.expires: dict[bytes, int] = {}
        self._heap: list[tuple[int, bytes]] = []
        self.keyspace = keyspace
        self.avg_ttl = 0
        # Last access per key in LRU-clock seconds (OBJECT IDLETIME); missing means "now".
        self.atime: dict[bytes, int] = {}

    # -- reads ---------------------------------------------------------------------------
    def get(self, key: bytes) -> Any:
        """The live value at key, or None (lookupKeyWrite: expires lazily, touches LRU)."""
        value = self.data.get(key)
        if value is not None:
            if self.expires:
                when = self.expires.get(key)
                if when is not None and when <= now_ms():
                    self._expire_key(key)
                    return None
            self.atime[key] = self.keyspace.lru_clock
        return value

    def get_typed(self, key: bytes, cls: type | tuple[type, ...]) -> Any:
        """The value at key if it is of `cls`, None if absent; WRONGTYPE otherwise."""
        value = self.get(key)
        if value is not None and not isinstance(value, cls):
            raise WrongTypeError()
        return value

    def get_string(self, key: bytes) -> bytes | bytearray | None:
        """`get_typed` for a string, as its bytes (a counter formatted)."""
        value = self.get_typed(key, STRING_TYPES)
        return None if value is None else string_bytes(value)

    def read(self, key: bytes, touch: bool = True) -> Any:
        """lookupKeyRead: like `get`, plus keyspace hit/miss stats and "keymiss" events."""
        value = self.data.get(key)
        keyspace = self.keyspace
        if value is not None:
            if self.expires:
                when = self.expires.get(key)
                if when is not None and when <= now_ms():
                    self._expire_key(key)
                    value = None
        if value is None:
            keyspace.stats_misses += 1
            if keyspace.notify_hook is not None:
                keyspace.notify_hook(self, "keymiss", key, "m")
            return None
        keyspace.stats_hits += 1
        if touch:
            self.atime[key] = keyspace.lru_clock
        return value

    def read_typed(self, key: bytes, cls: type | tuple[type, ...]) -> Any:
        """`read`, then WRONGTYPE if the value is not of `cls` (GET and other reads)."""
        value = self.read(key)
        if value is not None and not isinstance(value, cls):
            raise WrongTypeError()
        return value

    def read_string(self, key: bytes) -> bytes | bytearray | None:
        """`read_typed` for a string, as its bytes (a counter formatted)."""
        value = self.read_typed(key, STRING_TYPES)
        return None if value is None else string_bytes(value)

    def peek(self, key: bytes) -> Any:
        """The live value without touching LRU, stats or notifications (expires lazily)."""
        value = self.data.get(key)
        if value is not None and self.expires:
            when = self.expires.get(key)
            if when is not None and when <= now_ms():
                self._expire_key(key)
                return None
        return value

    def exists(self, key: bytes) -> bool:
        return self.peek(key) is not None

    def ttl_ms(self, key: bytes) -> int | None:
        return self.expires.get(key)

    def idle_seconds(self, key: bytes) -> int:
        return max(0, self.keyspace.lru_clock - self.atime.get(key, self.keyspace.lru_clock))

    def touch(self, key: bytes) -> None:
        self.atime[key] = self.keyspace.lru_clock

    def __len__(self) -> int:
        return len(self.data)

    def keys(self) -> Iterator[bytes]:
        """Live keys (expired ones skipped, not deleted: safe while iterating)."""
        if not self.expires:
            yield from self.data
            return
        now = now_ms()
        expires = self.expires
        for key in self.data:
            when = expires.get(key)
            if when is None or when > now:
                yield key

    def is_live(self, key: bytes, now: int) -> bool:
        """Whether key exists and has not expired at `now` (no side effects)."""
        if key not in self.data:
            return False
        when = self.expires.get(key)
        return when is None or when > now

    # -- writes --------------------------------------------------------------------------
    def set(self, key: bytes, value: Any, keep_ttl: bool = False) -> None:
        """Store value; like SET, a new value drops any TTL unless keep_ttl."""
        keyspace = self.keyspace
        data = self.data
        if keyspace.notify_hook is not None and not self.is_live(key, now_ms()):
            keyspace.notify_hook(self, "new", key, "n")
        data[key] = value
        if not keep_ttl and self.expires and key in self.expires:
            del self.expires[key]
        self.atime[key] = keyspace.lru_clock
        # signalModifiedKey, inlined: this is SET's hot path
        keyspace.dirty += 1
        if keyspace.watching:
            keyspace.modified_watched(self, key)

    def set_many(self, keys: list[bytes], values: list[Any]) -> None:
        """`set` for each pair in order, for when nobody watches keys or listens to
        keyspace events (MSET's hot path: the caller checks `plain_writes`)."""
        keyspace = self.keyspace
        data, expires, atime, clock = self.data, self.expires, self.atime, keyspace.lru_clock
        for key, value in zip(keys, values, strict=True):
            data[key] = value
            if expires and key in expires:
                del expires[key]
            atime[key] = clock
        keyspace.dirty += len(keys)

    @property
    def plain_writes(self) -> bool:
        """No keyspace notifications and no WATCH: `set_many` may stand for `set`s."""
        keyspace = self.keyspace
        return keyspace.notify_hook is None and not keyspace.watching

    def delete(self, key: bytes) -> bool:
        if key in self.data:
            if self.peek(key) is None:  # expired: already reclaimed
                return False
            del self.data[key]
            self.expires.pop(key, None)
            self.atime.pop(key, None)
            self.keyspace.modified(self, key)
            self.keyspace.on_delete(self, key)
            return True
        return False

    def pop(self, key: bytes) -> Any:
        """Remove and return the live value (None if absent)."""
        value = self.peek(key)
        if value is not None:
            del self.data[key]
            self.expires.pop(key, None)
            self.atime.pop(key, None)
            self.keyspace.modified(self, key)
            self.keyspace.on_delete(self, key)
        return value

    def set_expire(self, key: bytes, when_ms: int) -> None:
        self.expires[key] = when_ms
        heapq.heappush(self._heap, (when_ms, key))
        if len(self._heap) > 2 * len(self.expires) + 1024:
            self._heap = [(w, k) for k, w in self.expires.items()]
            heapq.heapify(self._heap)
        self.keyspace.modified(self, key)

    def persist(self, key: bytes) -> bool:
        if self.expires.pop(key, None) is not None:
            self.keyspace.modified(self, key)
            return True
        return False

    def clear(self) -> None:
        keys = list(self.data) if self.keyspace.watching else ()
        self.data = {}
        self.expires = {}
        self._heap = []
        self.atime = {}
        for key in keys:
            self.keyspace.modified(self, key)

    # -- expiry --------------------------------------------------------------------------
    def _expire_key(self, key: bytes) -> None:
        del self.data[key]
        del self.expires[key]
        self.atime.pop(key, None)
        self.keyspace.stats_expired += 1
        self.keyspace.modified(self, key)
        self.keyspace.on_delete(self, key)
        self.keyspace.notify(self, "expired", key, "x")

    def active_expire(self, budget: int = 1000, deadline: float | None = None) -> int:
        """Reclaim expired keys in deadline order: at least `budget` (if due), then more
        while `deadline` (a perf_counter time) allows; returns how many."""
        heap, expires = self._heap, self.expires
        now = now_ms()
        done = 0
        while heap and heap[0][0] <= now:
            if done >= budget and (
                deadline is None or (done % 64 == 0 and time.perf_counter() >= deadline)
            ):
                break
            when, key = heapq.heappop(heap)
            if expires.get(key) == when:
                self._expire_key(key)
                done += 1
        return done


class Keyspace:
    """All databases plus the cross-cutting hooks: WATCH, dirty counter, notifications."""

    def __init__(self, databases: int = 16) -> None:
        # Seconds, refreshed by the server tick. Typed Any so that a compiled build keeps
        # it boxed: every key written in a second then shares this one int in `atime`
        # (a native int attribute is boxed anew on each read: 32 bytes more per key).
        self.lru_clock: Any = int(time.monotonic())
        self.dbs = [Database(i, self) for i in range(databases)]
        self.dirty = 0  # changes since the last save (rdb_changes_since_last_save)
        self.stats_expired = 0
        self.stats_hits = 0  # keyspace_hits (read lookups that found a key)
        self.stats_misses = 0  # keyspace_misses
        self.watching: dict[tuple[int, bytes], set[Any]] = {}
        self.notify_hook: Callable[[Database, str, bytes, str], None] | None = None
        self.delete_hooks: list[Callable[[Database, bytes], None]] = []
        # The blocking registry's waiters by (db, key), owned by it and held here so that
        # a push, the hot path, tests one attribute to learn that nobody waits.
        self.blocked_on: dict[tuple[int, bytes], Any] = {}

    def modified(self, db: Database, key: bytes) -> None:
        """signalModifiedKey: every write calls this (invalidates WATCH)."""
        self.dirty += 1
        if self.watching:
            self.modified_watched(db, key)

    def modified_watched(self, db: Database, key: bytes) -> None:
        clients = self.watching.get((db.id, key))
        if clients:
            for client in clients:
                client.watch_dirty = True

    def on_delete(self, db: Database, key: bytes) -> None:
        for hook in self.delete_hooks:
            hook(db, key)

    def notify(self, db: Database, event: str, key: bytes, cls: str) -> None:
        """Keyspace notification; `cls` is Redis's class letter (g, $, l, x, ...)."""
        if self.notify_hook is not None:
            self.notify_hook(db, event, key, cls)

    def swap(self, a: int, b: int) -> None:
        da, db_ = self.dbs[a], self.dbs[b]
        da.data, db_.data = db_.data, da.data
        da.expires, db_.expires = db_.expires, da.expires
        da._heap, db_._heap = db_._heap, da._heap
        da.atime, db_.atime = db_.atime, da.atime
        if self.watching:
            for (dbid, _key), clients in self.watching.items():
                if dbid in (a, b):
                    for client in clients:
                        client.watch_dirty = True

    def refresh_lru_clock(self) -> None:
        """serverCron's LRU clock update (1 s resolution); every tick should call it."""
        self.lru_clock = int(time.monotonic())

    def active_expire(self, time_limit: float = 0.025) -> int:
        """serverCron's expire cycle: every db gets a fixed budget, then the cycle goes on
        while keys are due and `time_limit` seconds (25% of a 10 Hz tick) allow. Also
        refreshes the LRU clock (the tick calls this; see refresh_lru_clock)."""
        self.lru_clock = int(time.monotonic())
        deadline = time.perf_counter() + time_limit
        return sum(db.active_expire(deadline=deadline) for db in self.dbs if db.expires)
