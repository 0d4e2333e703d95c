"""Clients blocked on keys (BLPOP & co.) and their wake-up, after Redis's `src/blocked.c`.

Call order: a blocking handler that finds nothing to pop calls `BlockingRegistry.block`
and returns the future it gets (wrapped in a `Deferred`); the client then waits. A write that may feed waiters
calls `signal_key_as_ready` (Redis's signalKeyAsReady), which only queues the key. When
the whole top-level command has finished (EXEC included) `serve_ready_keys` runs, as
Redis's handleClientsBlockedOnKeys does after `call()`: key by key, in the order the keys
became ready, it offers the key to its waiters in the order they blocked (FIFO), and
resolves each served waiter's future with its reply. Serving may make more keys ready
(BLMOVE pushes to its destination); they are served in the same pass.

Timeouts run on `loop.call_later`; a disconnect removes the client's waiter through the
server's disconnect hooks. The registry knows no value type: each waiter carries its own
`serve` function, which returns `NOT_SERVED` when the key holds nothing it can take
(deleted, emptied, or changed type meanwhile: the waiter then keeps waiting).

Loop thread only, like the keyspace.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..errors import UNBLOCKED, CommandError

if TYPE_CHECKING:
    from ..keyspace.database import Database
    from ..server import Client, Server

NOT_SERVED: Any = object()
"""Returned by a waiter's serve function when the key has nothing it can take."""

ServeFn = Callable[["Waiter", "Database", bytes], Any]
DbKey = tuple[int, bytes]


class Waiter:
    """One blocked client: the keys it waits on, its future, timer and serve function."""

    __slots__ = ("client", "db_index", "keys", "future", "timer", "serve", "timeout_reply")

    def __init__(
        self,
        client: Client,
        keys: list[bytes],
        future: asyncio.Future[Any],
        serve: ServeFn,
        timeout_reply: Any,
    ) -> None:
        self.client = client
        self.db_index = client.db_index
        self.keys = keys
        self.future = future
        self.timer: asyncio.Handle | None = None
        self.serve = serve
        self.timeout_reply = timeout_reply


class BlockingRegistry:
    """Waiters by key (FIFO per key) and by client, plus the keys ready to be served."""

    __slots__ = ("server", "by_key", "by_client", "ready", "armed")

    def __init__(self, server: Server) -> None:
        self.server = server
        # dicts used as ordered sets: FIFO order with O(1) removal on timeout/disconnect
        self.by_key: dict[DbKey, dict[Waiter, None]] = server.keyspace.blocked_on
        self.by_client: dict[int, Waiter] = {}
        self.ready: dict[DbKey, None] = {}
        self.armed = False  # a serve pass is scheduled
        server.extensions.setdefault("disconnect_hooks", []).append(self.client_gone)

    # -- blocking ------------------------------------------------------------------------
    def block(
        self,
        client: Client,
        keys: Iterable[bytes],
        timeout_ms: int,
        serve: ServeFn,
        timeout_reply: Any,
        deadline_passed: bool = False,
    ) -> asyncio.Future[Any]:
        """Park `client` on `keys` (duplicates ignored); timeout_ms 0 waits forever."""
        loop = self.server.loop or asyncio.get_running_loop()
        waiter = Waiter(
            client, list(dict.fromkeys(keys)), loop.create_future(), serve, timeout_reply
        )
        db_index = waiter.db_index
        by_key = self.by_key
        for key in waiter.keys:
            waiters = by_key.get((db_index, key))
            if waiters is None:
                by_key[(db_index, key)] = {waiter: None}
            else:
                waiters[waiter] = None
        self.by_client[client.id] = waiter
        if deadline_passed:
            waiter.timer = loop.call_soon(self._timed_out, waiter)
        elif timeout_ms > 0:
            waiter.timer = loop.call_later(timeout_ms / 1000.0, self._timed_out, waiter)
        return waiter.future

    def _remove(self, waiter: Waiter) -> None:
        if self.by_client.get(waiter.client.id) is waiter:
            del self.by_client[waiter.client.id]
        by_key = self.by_key
        for key in waiter.keys:
            dbkey = (waiter.db_index, key)
            waiters = by_key.get(dbkey)
            if waiters is not None:
                waiters.pop(waiter, None)
                if not waiters:
                    del by_key[dbkey]
        if waiter.timer is not None:
            waiter.timer.cancel()
            waiter.timer = None

    def _timed_out(self, waiter: Waiter) -> None:
        self._remove(waiter)
        if not waiter.future.done():
            waiter.future.set_result(waiter.timeout_reply)

    def unblock(self, client: Client, error: bool = False) -> bool:
        """CLIENT UNBLOCK: end the wait as a timeout, or with the UNBLOCKED error."""
        waiter = self.by_client.get(client.id)
        if waiter is None:
            return False
        self._remove(waiter)
        if not waiter.future.done():
            waiter.future.set_result(CommandError(UNBLOCKED) if error else waiter.timeout_reply)
        return True

    def client_gone(self, client: Client) -> None:
        """Disconnect hook: forget the client's waiter (its reply has nowhere to go)."""
        waiter = self.by_client.get(client.id)
        if waiter is not None:
            self._remove(waiter)
            waiter.future.cancel()

    def is_blocked(self, client: Client) -> bool:
        return client.id in self.by_client

    @property
    def blocked_clients(self) -> int:
        """INFO clients:blocked_clients."""
        return len(self.by_client)

    @property
    def blocking_keys(self) -> int:
        """INFO clients:total_blocking_keys."""
        return len(self.by_key)

    # -- waking ----------------------------------------------------------------------------
    def signal(self, db: Database, key: bytes) -> None:
        """signalKeyAsReady: queue `key` if someone waits on it; serve after the command."""
        dbkey = (db.id, key)
        if dbkey not in self.by_key or dbkey in self.ready:
            return
        self.ready[dbkey] = None
        if not self.armed:
            self.armed = True
            after = getattr(self.server, "after_command", None)
            if after is not None:
                after.append(self.serve_ready_keys)
            # Safety net for writes made outside dispatch (a replica link, a script engine):
            # a no-op when the after-command pass already served everything.
            loop = self.server.loop
            if loop is not None:
                loop.call_soon(self.serve_ready_keys)

    def serve_ready_keys(self) -> None:
        """handleClientsBlockedOnKeys: serve waiters of every ready key, FIFO per key."""
        try:
            dbs = self.server.keyspace.dbs
            while self.ready:
                ready, self.ready = self.ready, {}
                for dbkey in ready:
                    waiters = self.by_key.get(dbkey)
                    if not waiters:
                        continue
                    db = dbs[dbkey[0]]
                    key = dbkey[1]
                    for waiter in list(waiters):
                        if db.peek(key) is None:
                            break  # deleted or emptied: nobody else can be served now
                        if waiter.future.done():
                            self._remove(waiter)
                            continue
                        reply = waiter.serve(waiter, db, key)
                        if reply is NOT_SERVED:
                            continue
                        self._remove(waiter)
                        waiter.future.set_result(reply)
        finally:
            self.armed = False


def registry(server: Server) -> BlockingRegistry:
    """The server's registry, created on first use."""
    reg = server.extensions.get("blocking")
    if reg is None:
        reg = server.extensions["blocking"] = BlockingRegistry(server)
    return reg


def signal_key_as_ready(server: Server, db: Database, key: bytes) -> None:
    """Call after a write that may have put a value at `key` (a push, a rename onto it...).

    Costs one attribute test when nobody is blocked."""
    if db.keyspace.blocked_on:
        registry(server).signal(db, key)


def signal_database(server: Server, db: Database) -> None:
    """scanDatabaseForReadyKeys: after SWAPDB (or a reload) every waited-on key of `db`
    that now holds a value is signalled; serving decides whether it can take it."""
    reg = server.extensions.get("blocking")
    if reg is None or not reg.by_key:
        return
    for db_index, key in list(reg.by_key):
        if db_index == db.id and db.peek(key) is not None:
            reg.signal(db, key)
