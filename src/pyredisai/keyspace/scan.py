"""Cursor iteration for SCAN (and HSCAN/SSCAN/ZSCAN) with Redis's full-iteration guarantee.

Redis walks its hash table in reverse-binary bucket order so that every element present
for the whole iteration is returned at least once, whatever is added or removed between
calls. A Python dict offers no stable positions, so the guarantee comes from snapshots:

- SCAN 0 copies the container's current elements into a list. If the whole list fits in
  one reply (COUNT or more elements) it is answered at once, cursor 0, and nothing is
  kept; otherwise the list is stored in a `ScanTable` under a fresh snapshot id.
- The cursor is `snapshot_id << 32 | position` (a plain unsigned 64-bit decimal, so every
  client parses it). Each call returns the next COUNT snapshot elements from `position`
  and the cursor of the following position, or 0 at the end (the snapshot is dropped).
- Elements are filtered when returned: gone or expired ones are skipped (so a deleted key
  is never returned), then MATCH and TYPE apply. An element present throughout is in the
  snapshot and alive when its turn comes, so it is returned exactly once.
- The table is a small LRU bounded in entries and in total elements. A cursor whose
  snapshot was evicted (or a cursor a client made up) restarts from a fresh snapshot at
  the same position: the walk goes on and ends, like Redis with an arbitrary cursor,
  but the guarantee only holds while the snapshot lives.

A snapshot is tied to an `owner` tuple (e.g. ("db", 0) or ("hash", 0, key)), so a
cursor from one container never walks another's snapshot.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from ..errors import CommandError

_POS_BITS = 32
_POS_MASK = (1 << _POS_BITS) - 1


class _Snapshot:
    __slots__ = ("owner", "items")

    def __init__(self, owner: Hashable, items: list[Any]) -> None:
        self.owner = owner
        self.items = items


class ScanTable:
    """Snapshots of in-progress iterations, least recently used evicted first."""

    def __init__(self, max_snapshots: int = 256, max_items: int = 8_000_000) -> None:
        self.max_snapshots = max_snapshots
        self.max_items = max_items  # total references kept (8 bytes each)
        self._snaps: OrderedDict[int, _Snapshot] = OrderedDict()
        self._items = 0
        self._next_id = 0

    def __len__(self) -> int:
        return len(self._snaps)

    def page(
        self,
        owner: Hashable,
        cursor: int,
        count: int,
        snapshot: Callable[[], list[Any]],
    ) -> tuple[int, list[Any]]:
        """The next `count` snapshot elements after `cursor`, and the cursor to send back
        (0 when the iteration is complete). `snapshot()` lists the container's elements."""
        if cursor == 0:
            items = snapshot()
            if len(items) <= count:
                return 0, items
            return self._store(owner, items, 0, count)
        sid, pos = cursor >> _POS_BITS, cursor & _POS_MASK
        snap = self._snaps.get(sid)
        if snap is None or snap.owner != owner:
            items = snapshot()
            if pos >= len(items):
                return 0, []
            return self._store(owner, items, pos, count)
        self._snaps.move_to_end(sid)
        end = pos + count
        chunk = snap.items[pos:end]
        if end >= len(snap.items):
            self._drop(sid)
            return 0, chunk
        return (sid << _POS_BITS) | end, chunk

    def _store(
        self, owner: Hashable, items: list[Any], pos: int, count: int
    ) -> tuple[int, list[Any]]:
        end = pos + count
        if end >= len(items):
            return 0, items[pos:]
        if len(items) > _POS_MASK:
            raise CommandError("ERR too many elements to scan")
        self._next_id = self._next_id % 0x7FFFFFFF + 1
        sid = self._next_id
        self._drop(sid)  # a wrapped id reuses its slot
        self._snaps[sid] = _Snapshot(owner, items)
        self._items += len(items)
        while len(self._snaps) > 1 and (
            len(self._snaps) > self.max_snapshots or self._items > self.max_items
        ):
            oldest = next(iter(self._snaps))
            self._drop(oldest)
        return (sid << _POS_BITS) | end, items[pos:end]

    def _drop(self, sid: int) -> None:
        snap = self._snaps.pop(sid, None)
        if snap is not None:
            self._items -= len(snap.items)

    def clear(self) -> None:
        self._snaps.clear()
        self._items = 0


SCANS = ScanTable()
"""The process-wide table (one server per process); HSCAN/SSCAN/ZSCAN may share it."""


def scan_page(
    owner: Hashable, cursor: int, count: int, snapshot: Callable[[], list[Any]]
) -> tuple[int, list[Any]]:
    """`SCANS.page`: the helper for *SCAN commands. Filter the returned elements (alive,
    MATCH) before replying, and send the cursor back as a bulk string."""
    return SCANS.page(owner, cursor, count, snapshot)
