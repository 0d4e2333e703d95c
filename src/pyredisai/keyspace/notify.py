"""Keyspace notifications (Redis src/notify.c): class flags and the Keyspace.notify hook.

Commands call `keyspace.notify(db, event, key, class_letter)` wherever Redis calls
notifyKeyspaceEvent. While notify-keyspace-events selects nothing, the hook is not
installed at all, so that call stays a cheap no-op. Knows no RESP and no clients: the
hook is handed a `publish(channel, message)` function by the pub/sub layer.
"""

from __future__ import annotations

from collections.abc import Callable

from .database import Database

KEYSPACE = 1 << 0  # K
KEYEVENT = 1 << 1  # E
GENERIC = 1 << 2  # g
STRING = 1 << 3  # $
LIST = 1 << 4  # l
SET = 1 << 5  # s
HASH = 1 << 6  # h
ZSET = 1 << 7  # z
EXPIRED = 1 << 8  # x
EVICTED = 1 << 9  # e
STREAM = 1 << 10  # t
KEY_MISS = 1 << 11  # m (not part of A)
LOADED = 1 << 12  # module-only
MODULE = 1 << 13  # d
NEW = 1 << 14  # n (not part of A)
ALL = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE

CLASS_BITS: dict[str, int] = {
    "g": GENERIC,
    "$": STRING,
    "l": LIST,
    "s": SET,
    "h": HASH,
    "z": ZSET,
    "x": EXPIRED,
    "e": EVICTED,
    "t": STREAM,
    "m": KEY_MISS,
    "d": MODULE,
    "n": NEW,
}
"""Class letter a command passes to notify() -> flag bit."""

_PARSE_BITS = dict(CLASS_BITS, A=ALL, K=KEYSPACE, E=KEYEVENT)


def parse_classes(text: str) -> int:
    """keyspaceEventsStringToFlags; ValueError on a letter Redis does not know."""
    flags = 0
    for ch in text:
        bit = _PARSE_BITS.get(ch)
        if bit is None:
            raise ValueError(ch)
        flags |= bit
    return flags


def classes_to_string(flags: int) -> str:
    """keyspaceEventsFlagsToString: the canonical spelling CONFIG GET shows."""
    out = []
    if flags & ALL == ALL:
        out.append("A")
    else:
        for letter in "g$lshzxetdn":
            if flags & CLASS_BITS[letter]:
                out.append(letter)
    if flags & KEYSPACE:
        out.append("K")
    if flags & KEYEVENT:
        out.append("E")
    if flags & KEY_MISS:
        out.append("m")
    return "".join(out)


NotifyHook = Callable[[Database, str, bytes, str], None]
Publish = Callable[[bytes, bytes], int]


def make_hook(flags: int, publish: Publish) -> NotifyHook | None:
    """The Keyspace.notify_hook for these flags, or None when nothing can be published
    (no K/E target, or no event class selected)."""
    if not flags & (KEYSPACE | KEYEVENT) or not flags & ~(KEYSPACE | KEYEVENT):
        return None
    keyspace_on = bool(flags & KEYSPACE)
    keyevent_on = bool(flags & KEYEVENT)
    class_bits = CLASS_BITS

    def notify(db: Database, event: str, key: bytes, cls: str) -> None:
        if not flags & class_bits.get(cls, 0):
            return
        event_b = event.encode()
        if keyspace_on:
            publish(b"__keyspace@%d__:%s" % (db.id, key), event_b)
        if keyevent_on:
            publish(b"__keyevent@%d__:%s" % (db.id, event_b), bytes(key))

    return notify
