"""Databases, expiry and the hooks every write goes through.

Loop thread only: like Redis, the keyspace has no locks because one thread owns it.

Values are plain Python objects: `bytes`/`bytearray` strings, and the other value types
register their TYPE name in `TYPE_NAMES` (hashes, lists, sets, zsets, AI tensors, models,
scripts). Expiry times are absolute milliseconds in `Database.expires`; a heap drives
active expiry so expired keys are reclaimed without being touched.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import WrongTypeError

TYPE_NAMES: dict[type, str] = {bytes: "string", bytearray: "string"}
"""Python value class -> Redis TYPE reply. Value-type modules add their classes here."""

STRING_TYPES = (bytes, bytearray)


def type_name(value: Any) -> str:
    return TYPE_NAMES.get(type(value), "none")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class Database:
    __slots__ = ("id", "data", "expires", "_heap", "keyspace", "avg_ttl")

    def __init__(self, db_id: int, keyspace: Keyspace) -> None:
        self.id = db_id
        self.data: dict[bytes, Any] = {}
        self.expires: dict[bytes, int] = {}
        self._heap: list[tuple[int, bytes]] = []
        self.keyspace = keyspace
        self.avg_ttl = 0

    # -- reads ---------------------------------------------------------------------------
    def get(self, key: bytes) -> Any:
        """The live value at key, or None (expired keys are deleted on access)."""
        value = self.data.get(key)
        if value is not None and self.expires:
            when = self.expires.get(key)
            if when is not None and when <= now_ms():
                self._expire_key(key)
                return None
        return value

    def get_typed(self, key: bytes, cls: type | tuple[type, ...]) -> Any:
        """The value at key if it is of `cls`, None if absent; WRONGTYPE otherwise."""
        value = self.get(key)
        if value is not None and not isinstance(value, cls):
            raise WrongTypeError()
        return value

    def exists(self, key: bytes) -> bool:
        return self.get(key) is not None

    def ttl_ms(self, key: bytes) -> int | None:
        return self.expires.get(key)

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

    # -- writes --------------------------------------------------------------------------
    def set(self, key: bytes, value: Any, keep_ttl: bool = False) -> None:
        """Store value; like SET, a new value drops any TTL unless keep_ttl."""
        self.data[key] = value
        if not keep_ttl and self.expires and key in self.expires:
            del self.expires[key]
        self.keyspace.modified(self, key)

    def delete(self, key: bytes) -> bool:
        if key in self.data:
            if self.get(key) is None:  # expired: already reclaimed
                return False
            del self.data[key]
            self.expires.pop(key, None)
            self.keyspace.modified(self, key)
            self.keyspace.on_delete(self, key)
            return True
        return False

    def pop(self, key: bytes) -> Any:
        """Remove and return the live value (None if absent)."""
        value = self.get(key)
        if value is not None:
            del self.data[key]
            self.expires.pop(key, None)
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
        for key in keys:
            self.keyspace.modified(self, key)

    # -- expiry --------------------------------------------------------------------------
    def _expire_key(self, key: bytes) -> None:
        del self.data[key]
        del self.expires[key]
        self.keyspace.stats_expired += 1
        self.keyspace.modified(self, key)
        self.keyspace.on_delete(self, key)
        self.keyspace.notify(self, "expired", key, "x")

    def active_expire(self, budget: int = 1000) -> int:
        """Reclaim up to `budget` expired keys in deadline order; returns how many."""
        heap, expires = self._heap, self.expires
        now = now_ms()
        done = 0
        while heap and done < budget and heap[0][0] <= now:
            when, key = heapq.heappop(heap)
            if expires.get(key) == when:
                self._expire_key(key)
                done += 1
        return done


class Keyspace:
    """All databases plus the cross-cutting hooks: WATCH, dirty counter, notifications."""

    def __init__(self, databases: int = 16) -> None:
        self.dbs = [Database(i, self) for i in range(databases)]
        self.dirty = 0  # changes since the last save (rdb_changes_since_last_save)
        self.stats_expired = 0
        self.watching: dict[tuple[int, bytes], set[Any]] = {}
        self.notify_hook: Callable[[Database, str, bytes, str], None] | None = None
        self.delete_hooks: list[Callable[[Database, bytes], None]] = []

    def modified(self, db: Database, key: bytes) -> None:
        """signalModifiedKey: every write calls this (invalidates WATCH)."""
        self.dirty += 1
        if self.watching:
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
        if self.watching:
            for (dbid, _key), clients in self.watching.items():
                if dbid in (a, b):
                    for client in clients:
                        client.watch_dirty = True

    def active_expire(self) -> int:
        return sum(db.active_expire() for db in self.dbs if db.expires)
