"""Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis src/multi.c).

Queueing itself lives in Server.dispatch (commands without the multi-control flag are
queued while client.in_multi; a rejected one sets client.multi_error) and the atomic run
in Server.exec_queued. WATCH registers (db, key) in keyspace.watching; every write goes
through Keyspace.modified(), which marks watching clients dirty, so EXEC fails with a
null array after any change to a watched key: writes, expiry, FLUSHDB/FLUSHALL, SWAPDB.

Redis 7.0's rule for expiry: a key that was live at WATCH time and has logically expired
by EXEC aborts the transaction even if nobody deleted it yet; a key that was already
stale at WATCH time does not (its later removal is not a change). We get the second half
by reclaiming a stale key as WATCH looks at it, before registering the watch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError
from ..keyspace.database import now_ms
from ..protocol.encoder import OK
from .registry import command

if TYPE_CHECKING:
    from ..server import Client


def discard_transaction(client: Client) -> None:
    """Leave MULTI state and drop every WATCH (DISCARD, EXECABORT, RESET)."""
    client.multi_queue = []
    client.in_multi = False
    client.multi_error = False
    client.server.unwatch_all(client)


def _watched_key_expired(client: Client) -> bool:
    now = now_ms()
    dbs = client.server.keyspace.dbs
    for dbid, key in client.watched:
        when = dbs[dbid].expires.get(key)
        if when is not None and when <= now:
            return True
    return False


@command(
    "multi",
    1,
    "noscript loading stale fast allow-busy multi-control",
    group="transactions",
    since="1.2.0",
    summary="Starts a transaction.",
)
def multi(client: Client, argv: list[bytes]) -> Any:
    if client.in_multi:
        raise CommandError(errors.MULTI_NESTED)
    client.in_multi = True
    client.multi_queue = []
    client.multi_error = False
    return OK


@command(
    "exec",
    1,
    "noscript loading stale skip-slowlog multi-control",
    group="transactions",
    since="1.2.0",
    summary="Executes all commands in a transaction.",
)
def exec_(client: Client, argv: list[bytes]) -> Any:
    if not client.in_multi:
        raise CommandError(errors.EXEC_WITHOUT_MULTI)
    if client.multi_error:
        discard_transaction(client)
        raise CommandError(errors.EXECABORT)
    if client.watched and not client.watch_dirty and _watched_key_expired(client):
        client.watch_dirty = True
    return client.server.exec_queued(client)


@command(
    "discard",
    1,
    "noscript loading stale fast allow-busy multi-control",
    group="transactions",
    since="2.0.0",
    summary="Discards a transaction.",
)
def discard(client: Client, argv: list[bytes]) -> Any:
    if not client.in_multi:
        raise CommandError(errors.DISCARD_WITHOUT_MULTI)
    discard_transaction(client)
    return OK


@command(
    "watch",
    -2,
    "noscript loading stale fast allow-busy multi-control",
    keys=(1, -1, 1),
    group="transactions",
    since="2.2.0",
    summary="Monitors changes to keys to determine the execution of a transaction.",
)
def watch(client: Client, argv: list[bytes]) -> Any:
    if client.in_multi:
        raise CommandError(errors.WATCH_IN_MULTI)
    db = client.db
    dbid = db.id
    watched = client.watched
    watching = client.server.keyspace.watching
    for key in argv[1:]:
        item = (dbid, bytes(key))
        if item in watched:
            continue
        if db.expires:
            db.get(item[1])  # reclaim a stale key now: its removal must not count later
        watched.add(item)
        clients = watching.get(item)
        if clients is None:
            watching[item] = {client}
        else:
            clients.add(client)
    return OK


@command(
    "unwatch",
    1,
    "noscript loading stale fast allow-busy",
    group="transactions",
    since="2.2.0",
    summary="Forgets about watched keys of a transaction.",
)
def unwatch(client: Client, argv: list[bytes]) -> Any:
    client.server.unwatch_all(client)
    return OK
