"""SCAN-family argument parsing (db.c parseScanCursorOrReply / scanGenericCommand), shared
by SCAN, HSCAN, SSCAN and ZSCAN; the iteration itself is keyspace/scan.py."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import INVALID_CURSOR, SYNTAX, CommandError
from ..keyspace.glob import Matcher, glob_matcher
from .args import parse_int

_ULONG = 1 << 64


def parse_cursor(arg: bytes | bytearray) -> int:
    """parseScanCursorOrReply: C strtoul, so "" is 0, "+5" is 5 and "-1" wraps to 2**64-1;
    leading space, trailing junk and overflow are "invalid cursor"."""
    text = bytes(arg).split(b"\0", 1)[0]  # strtoul stops at the C string's end
    if text[:1].isspace():
        raise CommandError(INVALID_CURSOR)
    body = text[1:] if text[:1] in (b"+", b"-") else text
    if not body:
        if text:  # a lone sign: strtoul consumed nothing, the sign is trailing junk
            raise CommandError(INVALID_CURSOR)
        return 0
    if not body.isdigit():
        raise CommandError(INVALID_CURSOR)
    value = int(body)
    if value >= _ULONG:
        raise CommandError(INVALID_CURSOR)
    if text[:1] == b"-":
        value = (_ULONG - value) % _ULONG
    return value


class ScanOptions:
    """COUNT / MATCH / TYPE as scanGenericCommand parses them."""

    __slots__ = ("count", "matcher", "type_name")

    def __init__(self) -> None:
        self.count = 10
        self.matcher: Matcher | None = None
        self.type_name: bytes | None = None


def parse_scan_options(argv: Sequence[bytes], start: int, allow_type: bool) -> ScanOptions:
    """Parse options from argv[start:]; TYPE only for SCAN (allow_type). Errors as Redis:
    a non-integer COUNT is "not an integer", COUNT < 1 or anything else a syntax error."""
    opts = ScanOptions()
    i, argc = start, len(argv)
    while i < argc:
        opt = bytes(argv[i]).lower()
        more = argc - i >= 2
        if opt == b"count" and more:
            count = parse_int(argv[i + 1])
            if count < 1:
                raise CommandError(SYNTAX)
            opts.count = count
        elif opt == b"match" and more:
            pattern = bytes(argv[i + 1])
            opts.matcher = None if pattern == b"*" else glob_matcher(pattern)
        elif opt == b"type" and allow_type and more:
            opts.type_name = bytes(argv[i + 1]).lower()
        else:
            raise CommandError(SYNTAX)
        i += 2
    return opts
