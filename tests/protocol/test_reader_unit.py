"""The request reader with bytes alone: every case runs through both parsers (hiredis fast
path with PyParser fallback, and PyParser only), whole and split at every byte boundary."""

from __future__ import annotations

import random
import time
from collections.abc import Iterable

import pytest

import pyredisai.protocol.reader as reader_module
from pyredisai.protocol.reader import (
    BIG_ARG,
    HAVE_HIREDIS,
    KEEP_BYTEARRAY,
    ReaderLimits,
    RequestReader,
    split_inline,
    split_inline_bytewise,
)

_NO_HIREDIS = pytest.mark.skipif(not HAVE_HIREDIS, reason="hiredis not installed")
# The fast path in both its shapes, whichever build runs the tests: `_canonical` first
# (the compiled build's) or `_split`/`_quick` (the pure build's); then PyParser alone.
PARSERS = [
    pytest.param("canonical", id="hiredis-canonical", marks=_NO_HIREDIS),
    pytest.param("proofs", id="hiredis-proofs", marks=_NO_HIREDIS),
    pytest.param("pure", id="pure"),
]


def _choose_fast_path(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setattr(reader_module, "_COMPILED", name == "canonical")


@pytest.fixture(params=PARSERS)
def use_hiredis(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    _choose_fast_path(monkeypatch, request.param)
    return bool(request.param != "pure")


@pytest.fixture(params=["canonical", "proofs"])
def fast_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """For the tests that compare the hiredis reader with PyParser themselves."""
    _choose_fast_path(monkeypatch, request.param)
    return str(request.param)


def feed(reader: RequestReader, pieces: Iterable[bytes]) -> tuple[list[list[bytes]], str | None]:
    """Deliver each piece the way BufferedProtocol does: get_buffer, copy, buffer_updated."""
    out: list[list[bytes]] = []
    for piece in pieces:
        view = memoryview(piece)
        while view:
            buf = reader.get_buffer(-1)
            n = min(len(buf), len(view))
            buf[:n] = view[:n]
            view = view[n:]
            cmds, error = reader.buffer_updated(n)
            out.extend(cmds)
            if error is not None:
                return out, error.message
            if reader.buffered() > reader._limits.client_query_buffer_limit:
                return out, None  # the server closes the connection here
    return out, None


def parse(data: bytes, use_hiredis: bool) -> tuple[list[list[bytes]], str | None]:
    return feed(RequestReader(ReaderLimits(), use_hiredis=use_hiredis), [data])


def as_bytes(cmds: list[list[bytes]]) -> list[list[bytes]]:
    return [[bytes(a) for a in argv] for argv in cmds]


# --- well-formed input -------------------------------------------------------------------

GOOD: list[tuple[str, bytes, list[list[bytes]]]] = [
    ("multibulk", b"*1\r\n$4\r\nPING\r\n", [[b"PING"]]),
    ("two-args", b"*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n", [[b"ECHO", b"hello"]]),
    ("empty-arg", b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", [[b"ECHO", b""]]),
    ("binary-arg", b"*2\r\n$4\r\nECHO\r\n$6\r\na\r\n\x00\xffb\r\n", [[b"ECHO", b"a\r\n\x00\xffb"]]),
    (
        "ten-args",
        b"*10\r\n" + b"".join(b"$1\r\n%d\r\n" % i for i in range(10)),
        [[b"%d" % i for i in range(10)]],
    ),
    ("long-arg", b"*2\r\n$3\r\nSET\r\n$100\r\n" + b"x" * 100 + b"\r\n", [[b"SET", b"x" * 100]]),
    (
        "pipeline",
        b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n",
        [[b"PING"], [b"GET", b"k"], [b"PING"]],
    ),
    ("star-zero-ignored", b"*0\r\n*1\r\n$4\r\nPING\r\n", [[b"PING"]]),
    ("star-minus-one-ignored", b"*-1\r\n*1\r\n$4\r\nPING\r\n", [[b"PING"]]),
    ("star-negative-ignored", b"*-10\r\n*1\r\n$4\r\nPING\r\n", [[b"PING"]]),
    ("crlf-not-checked", b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n", [[b"PING"], [b"PING"]]),
    ("cr-then-any-byte", b"*1\rX$4\rXPING\r\n", [[b"PING"]]),
    ("inline", b"PING\r\n", [[b"PING"]]),
    ("inline-lf-only", b"PING\n", [[b"PING"]]),
    ("inline-args", b"SET  key\tvalue \r\n", [[b"SET", b"key", b"value"]]),
    ("inline-empty-lines", b"\r\n\n\r\n  \r\nPING\n\n", [[b"PING"]]),
    ("inline-leading-vt-ff", b"\x0b\x0cPING\r\n", [[b"PING"]]),
    ("inline-vt-inside-word", b"ECHO a\x0bb\r\n", [[b"ECHO", b"a\x0bb"]]),
    (
        "inline-double-quotes",
        b'ECHO "a b\\x41\\x4a\\n\\r\\t\\b\\a\\"\\\\\\z"\r\n',
        [[b"ECHO", b'a bAJ\n\r\t\b\a"\\z']],
    ),
    ("inline-bad-hex-kept", b'ECHO "\\x4g"\r\n', [[b"ECHO", b"x4g"]]),
    ("inline-single-quotes", b"ECHO 'it\\'s \\n'\r\n", [[b"ECHO", b"it's \\n"]]),
    ("inline-empty-quoted", b"ECHO \"\" ''\r\n", [[b"ECHO", b"", b""]]),
    ("inline-quote-mid-word", b'ECHO ab"c d"\r\n', [[b"ECHO", b"abc d"]]),
    ("inline-then-multibulk", b"PING\r\n*1\r\n$4\r\nPING\r\nPING\n", [[b"PING"]] * 3),
    ("cr-alone-line", b"\rPING\n", [[b"PING"]]),
    # After a multibulk, any non-'*' byte starts an inline command, whatever RESP3 means.
    (
        "resp3-types-are-inline",
        b"*1\r\n$4\r\nPING\r\n$-1\r\n_\r\n~1\r\n>1\r\n+PING\r\n",
        [[b"PING"], [b"$-1"], [b"_"], [b"~1"], [b">1"], [b"+PING"]],
    ),
]


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in GOOD], ids=[c[0] for c in GOOD])
def test_good_input_whole(data: bytes, expected: list[list[bytes]], use_hiredis: bool) -> None:
    cmds, error = parse(data, use_hiredis)
    assert error is None
    assert as_bytes(cmds) == expected


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in GOOD], ids=[c[0] for c in GOOD])
def test_good_input_split_at_every_byte(
    data: bytes, expected: list[list[bytes]], use_hiredis: bool
) -> None:
    for cut in range(1, len(data)):
        reader = RequestReader(ReaderLimits(), use_hiredis=use_hiredis)
        cmds, error = feed(reader, [data[:cut], data[cut:]])
        assert error is None, cut
        assert as_bytes(cmds) == expected, cut


@pytest.mark.parametrize(
    "data",
    [
        b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n",
        b"SET key 'a b'\r\n",
        b"*1\r\n$4\r\nPING\r\nPING\r\n*0\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n",
    ],
    ids=["multibulk", "inline", "mixed"],
)
def test_one_byte_at_a_time(data: bytes, use_hiredis: bool) -> None:
    whole, _ = parse(data, use_hiredis)
    reader = RequestReader(ReaderLimits(), use_hiredis=use_hiredis)
    cmds, error = feed(reader, [data[i : i + 1] for i in range(len(data))])
    assert error is None
    assert as_bytes(cmds) == as_bytes(whole)
    assert reader.buffered() == 0


def test_pipeline_of_1000_in_64k_reads(use_hiredis: bool) -> None:
    commands = [[b"SET", b"key:%d" % i, b"v" * (i % 300)] for i in range(1000)]
    data = b"".join(
        b"*%d\r\n" % len(c) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in c) for c in commands
    )
    assert len(data) > 2 * 65536  # several reads, commands straddling their edges
    reader = RequestReader(ReaderLimits(), use_hiredis=use_hiredis)
    cmds, error = feed(reader, [data])
    assert error is None
    assert as_bytes(cmds) == commands


def test_fast_path_resumes_after_a_straddling_command(fast_path: str) -> None:
    if not HAVE_HIREDIS:
        pytest.skip("hiredis not installed")
    reader = RequestReader(ReaderLimits(), use_hiredis=True)
    data = b"*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n"
    cmds, _ = feed(reader, [data[:10]])
    assert cmds == [] and reader.buffered() == 2  # "EC": the header is parsed already
    cmds, _ = feed(reader, [data[10:] + data])
    assert cmds == [[b"ECHO", b"hello"]] * 2
    assert reader.buffered() == 0 and not reader.slow


# --- differential: the fast path reads exactly what the reference parser reads --------

_PAYLOAD_BYTES = b"ab*$+-=(:~>|%_#,!\r\n\x000123456789"
_IRREGULAR_ELEMENTS = [
    b"+x\r\n",
    b":1\r\n",
    b"$-1\r\n",
    b"*0\r\n",
    b"*1\r\n$1\r\na\r\n",
    b"%1\r\n:1\r\n:2\r\n",
    b"~1\r\n$1\r\na\r\n",
    b"(123\r\n",
    b"=5\r\ntxt:x\r\n",
    b"_\r\n",
    b"#t\r\n",
    b"#f\r\n",
    b",1.5\r\n",
    b",0\r\n",
    b":0\r\n",
    b"-ERR x\r\n",
    b"!3\r\nerr\r\n",
    b">1\r\n$1\r\na\r\n",
    b"$03\r\nabc\r\n",
    b"$+3\r\nabc\r\n",
    b"|1\r\n+a\r\n+b\r\n$1\r\nc\r\n",
]
_IRREGULAR_TOP = [
    b"*0\r\n",
    b"$0\r\n\r\n",
    b":0\r\n",
    b"#f\r\n",
    b",0\r\n",
    b"*-1\r\n",
    b"~1\r\n$4\r\nPING\r\n",
    b">1\r\n$4\r\nPING\r\n",
    b"PING\r\n",
    b"$4\r\nPING\r\n",
    b":1\r\n",
    b"*01\r\n$4\r\nPING\r\n",
    b"*+1\r\n$4\r\nPING\r\n",
    b"%1\r\n$1\r\na\r\n$1\r\nb\r\n",
    b"|1\r\n$1\r\na\r\n$1\r\nb\r\n*1\r\n$4\r\nPING\r\n",
]


def _random_stream(rng: random.Random) -> bytes:
    # Half the streams keep to payload bytes that never look like a header, so the
    # whole-read proof is tried on them, not only the element-by-element walk.
    alphabet = _PAYLOAD_BYTES if rng.random() < 0.5 else b"abc:_-0129"
    parts = []
    for _ in range(rng.randint(1, 12)):
        roll = rng.random()
        if roll < 0.15:
            parts.append(rng.choice(_IRREGULAR_TOP))
            continue
        if roll < 0.3:  # an inline command line, now and then with bytes it treats specially
            words = b"ab \t" if rng.random() < 0.7 else b"ab \t\x0b\"'*\x00\r"
            line = bytes(rng.choice(words) for _ in range(rng.randint(0, 10)))
            parts.append(line + rng.choice([b"\n", b"\r\n"]))
            continue
        argc = rng.randint(1, 4)
        elements = []
        for _ in range(argc):
            if roll > 0.85 and rng.random() < 0.4:
                elements.append(rng.choice(_IRREGULAR_ELEMENTS))
            else:
                payload = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
                elements.append(b"$%d\r\n%s\r\n" % (len(payload), payload))
        parts.append(b"*%d\r\n" % argc + b"".join(elements))
    return b"".join(parts)


@pytest.mark.parametrize("item", [b":0\r\n", b"#f\r\n", b",0\r\n", b"$0\r\n\r\n"])
@pytest.mark.parametrize("commands", [1, 3, 40])
def test_top_level_items_hiredis_reads_as_false_are_not_lost(
    item: bytes, commands: int, fast_path: str
) -> None:
    """hiredis parses these to values equal to False (its default "no more data"), or to
    empty bytes: after whole commands they are inline commands for Redis, not the end."""
    data = b"*1\r\n$4\r\nPING\r\n" * commands + item
    expected = parse(data, use_hiredis=False)
    assert expected[0][-1] == item.split(b"\r\n")[0:1]
    assert parse(data, use_hiredis=True) == expected


def test_split_inline_shortcut_matches_the_bytewise_split() -> None:
    """bytes.split() stands in for sdssplitargs only on lines it reads the same way."""
    rng = random.Random(7)
    alphabet = b"ab  \t\r\n\x0b\x0c\x00\"'\\x4"
    for _ in range(5000):
        line = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert split_inline(line) == split_inline_bytewise(line), line


def test_fast_path_matches_the_reference_parser(fast_path: str) -> None:
    """Random streams of canonical commands mixed with every element hiredis reads
    differently from Redis, whole and cut at random points: the hiredis reader must give
    the same commands and the same error as PyParser alone (Redis's semantics)."""
    if not HAVE_HIREDIS:
        pytest.skip("hiredis not installed")
    rng = random.Random(20261207)
    for _ in range(3000):
        data = _random_stream(rng)
        expected = parse(data, use_hiredis=False)
        assert parse(data, use_hiredis=True) == expected, data
        cuts = sorted(rng.sample(range(1, len(data)), min(3, len(data) - 1)))
        pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        got = feed(RequestReader(ReaderLimits(), use_hiredis=True), pieces)
        assert got == feed(RequestReader(ReaderLimits(), use_hiredis=False), pieces), data


# --- big bulks ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", [b"SET", b"ai.TensorSet"])
@pytest.mark.parametrize("size", [BIG_ARG, 100_000, KEEP_BYTEARRAY, 3 * KEEP_BYTEARRAY + 7])
def test_big_bulk_received_in_place(size: int, command: bytes, use_hiredis: bool) -> None:
    payload = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    data = (
        b"*3\r\n$%d\r\n%s\r\n$1\r\nk\r\n$%d\r\n" % (len(command), command, size)
        + payload
        + b"\r\n*1\r\n$4\r\nPING\r\n"
    )
    # uneven pieces: header split, payload in odd chunks, CRLF split from the next command
    cuts = sorted(
        {5, 20, 21, 4000, 70_001, len(data) - 15, len(data) - 14} & set(range(1, len(data)))
    )
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    reader = RequestReader(ReaderLimits(), use_hiredis=use_hiredis)
    cmds, error = feed(reader, pieces)
    assert error is None
    assert len(cmds) == 2 and cmds[1] == [b"PING"]
    value = cmds[0][2]
    assert value == payload
    # Small big bulks become hashable bytes; really big ones of an AI.* command stay the
    # receive buffer (zero copy for blobs), those of any other command become bytes too.
    keep = size >= KEEP_BYTEARRAY and command.upper().startswith(b"AI.")
    assert type(value) is (bytearray if keep else bytes)
    assert reader.buffered() == 0


@pytest.mark.parametrize("size", [BIG_ARG, 3 * KEEP_BYTEARRAY])
def test_big_bulk_without_the_c_api(
    size: int, use_hiredis: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where CPython's C API is missing, a big bulk is received into a bytearray and
    still reaches a core command as bytes (AI.* commands keep the bytearray)."""
    monkeypatch.setattr(reader_module, "_new_bytes", None)
    payload = b"p" * size
    for command, kept in ((b"SET", bytes), (b"AI.TENSORSET", bytearray)):
        data = b"*3\r\n$%d\r\n%s\r\n$1\r\nk\r\n$%d\r\n" % (len(command), command, size)
        pieces = [data + payload[:100], payload[100:] + b"\r\n"]
        cmds, error = feed(RequestReader(ReaderLimits(), use_hiredis=use_hiredis), pieces)
        assert error is None and cmds[0][2] == payload
        assert type(cmds[0][2]) is (kept if size >= KEEP_BYTEARRAY else bytes)


@pytest.mark.parametrize("before", [0, 3, 40])
@pytest.mark.parametrize("size", [40_000, KEEP_BYTEARRAY])
def test_big_bulk_behind_small_commands_in_full_reads(
    before: int, size: int, use_hiredis: bool
) -> None:
    """64 KB reads: the fast path walks the small commands' headers, hands the big bulk
    that is still arriving to PyParser (or parses it whole when it fits) and resumes."""
    payload = (bytes(range(256)) * (size // 256 + 1))[:size]
    ping = b"*1\r\n$4\r\nPING\r\n"
    big = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % size + payload + b"\r\n"
    data = ping * before + big + ping * before + big + ping
    reader = RequestReader(ReaderLimits(), use_hiredis=use_hiredis)
    cmds, error = feed(reader, [data])
    assert error is None
    expected = [[b"PING"]] * before + [[b"SET", b"k", payload]]
    assert as_bytes(cmds) == expected * 2 + [[b"PING"]]
    assert reader.buffered() == 0


def test_big_bulk_buffer_is_not_zero_filled_up_front() -> None:
    """Declaring a 500 MB bulk must not stall: the buffer is reserved, not written."""
    reader = RequestReader(ReaderLimits(), use_hiredis=False)
    started = time.perf_counter()
    cmds, error = feed(reader, [b"*2\r\n$3\r\nSET\r\n$500000000\r\nabc"])
    assert time.perf_counter() - started < 0.2
    assert (cmds, error) == ([], None)
    assert reader.buffered() == 3
    assert len(reader.get_buffer(-1)) == 500_000_000 - 3


def test_query_buffer_limit_stops_parsing(use_hiredis: bool) -> None:
    """Like Redis, the limit is checked on what is buffered before the read is parsed."""
    limits = ReaderLimits(client_query_buffer_limit=1024 * 1024)
    reader = RequestReader(limits, use_hiredis=use_hiredis)
    size = 2 * 1024 * 1024
    header = b"*2\r\n$4\r\nECHO\r\n$%d\r\n" % size
    cmds, _ = feed(reader, [header + b"x" * 1000])
    assert cmds == [] and reader.buffered() == 1000
    # The rest arrives at once: the command is complete but over the limit, so it never runs.
    cmds, error = feed(reader, [b"x" * (size - 1000) + b"\r\n"])
    assert (cmds, error) == ([], None)
    assert reader.buffered() > limits.client_query_buffer_limit


# --- malformed input ---------------------------------------------------------------------

PROTO = "ERR Protocol error: "
BAD: list[tuple[str, bytes, str]] = [
    ("mbulk-not-a-number", b"*x\r\n", PROTO + "invalid multibulk length"),
    ("mbulk-empty", b"*\r\n", PROTO + "invalid multibulk length"),
    ("mbulk-plus-sign", b"*+1\r\n", PROTO + "invalid multibulk length"),
    ("mbulk-leading-zero", b"*01\r\n", PROTO + "invalid multibulk length"),
    ("mbulk-minus-zero", b"*-0\r\n", PROTO + "invalid multibulk length"),
    ("mbulk-space", b"* 1\r\n", PROTO + "invalid multibulk length"),
    ("mbulk-over-int-max", b"*2147483648\r\n", PROTO + "invalid multibulk length"),
    ("mbulk-huge", b"*99999999999999999999\r\n", PROTO + "invalid multibulk length"),
    ("mbulk-too-long-number", b"*123456789012345678901\r\n", PROTO + "invalid multibulk length"),
    ("missing-dollar", b"*1\r\nPING\r\n", PROTO + "expected '$', got 'P'"),
    ("nested-array", b"*1\r\n*1\r\n$4\r\nPING\r\n", PROTO + "expected '$', got '*'"),
    ("simple-string-arg", b"*1\r\n+PING\r\n", PROTO + "expected '$', got '+'"),
    ("integer-arg", b"*2\r\n$4\r\nECHO\r\n:1\r\n", PROTO + "expected '$', got ':'"),
    ("cr-as-type", b"*1\r\n\r\n", PROTO + "expected '$', got ' '"),
    ("lf-as-type", b"*1\r\n\nX\r\n", PROTO + "expected '$', got ' '"),
    ("bulk-not-a-number", b"*1\r\n$x\r\n", PROTO + "invalid bulk length"),
    ("bulk-empty", b"*1\r\n$\r\n", PROTO + "invalid bulk length"),
    ("bulk-negative", b"*1\r\n$-1\r\n", PROTO + "invalid bulk length"),
    ("bulk-leading-zero", b"*1\r\n$04\r\nPING\r\n", PROTO + "invalid bulk length"),
    ("bulk-over-max", b"*2\r\n$3\r\nSET\r\n$600000000\r\n", PROTO + "invalid bulk length"),
    ("bulk-huge", b"*1\r\n$99999999999999999999\r\n", PROTO + "invalid bulk length"),
    ("unbalanced-double", b'ECHO "abc\r\n', PROTO + "unbalanced quotes in request"),
    ("unbalanced-single", b"ECHO 'abc\r\n", PROTO + "unbalanced quotes in request"),
    ("text-after-quote", b'ECHO "abc"x\r\n', PROTO + "unbalanced quotes in request"),
    ("text-after-squote", b"ECHO 'abc'x\r\n", PROTO + "unbalanced quotes in request"),
    ("trailing-backslash", b'ECHO "abc\\\r\n', PROTO + "unbalanced quotes in request"),
    ("inline-too-big", b"a" * (64 * 1024 + 1), PROTO + "too big inline request"),
    ("mbulk-count-too-big", b"*" + b"1" * (64 * 1024 + 1), PROTO + "too big mbulk count string"),
    (
        "bulk-count-too-big",
        b"*1\r\n$" + b"1" * (64 * 1024),
        PROTO + "too big bulk count string",
    ),
]


@pytest.mark.parametrize(("data", "message"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_malformed_input(data: bytes, message: str, use_hiredis: bool) -> None:
    cmds, error = parse(b"*1\r\n$4\r\nPING\r\n" + data, use_hiredis)
    assert cmds == [[b"PING"]]  # what came before the error still runs
    assert error == message


@pytest.mark.parametrize(
    ("data", "message"),
    [c[1:] for c in BAD if len(c[1]) < 100],
    ids=[c[0] for c in BAD if len(c[1]) < 100],
)
def test_malformed_input_split_at_every_byte(data: bytes, message: str, use_hiredis: bool) -> None:
    for cut in range(1, len(data)):
        reader = RequestReader(ReaderLimits(), use_hiredis=use_hiredis)
        _, error = feed(reader, [data[:cut], data[cut:]])
        assert error == message, cut


def test_expected_dollar_keeps_the_raw_byte(use_hiredis: bool) -> None:
    _, error = parse(b"*1\r\n\xffX\r\n", use_hiredis)
    assert error is not None
    assert (
        error.encode("utf-8", "surrogateescape") == b"ERR Protocol error: expected '$', got '\xff'"
    )


def test_bulk_over_configured_max(use_hiredis: bool) -> None:
    limits = ReaderLimits(proto_max_bulk_len=1024 * 1024)
    reader = RequestReader(limits, use_hiredis=use_hiredis)
    _, error = feed(reader, [b"*2\r\n$4\r\nECHO\r\n$1048577\r\n"])
    assert error == PROTO + "invalid bulk length"
    reader = RequestReader(limits, use_hiredis=use_hiredis)
    _, error = feed(reader, [b"*2\r\n$4\r\nECHO\r\n$1048576\r\n"])
    assert error is None


def test_error_raised_at_once_without_data(use_hiredis: bool) -> None:
    reader = RequestReader(ReaderLimits(), use_hiredis=use_hiredis)
    _, error = feed(reader, [b"*2\r\n$3\r\nSET\r\n", b"$600000000\r\n"])
    assert error == PROTO + "invalid bulk length"


@pytest.mark.parametrize(
    "data",
    [
        b"PING\x00\r\n",  # strchr stops at the NUL: the line never ends
        b"*1\x00\r\n",
        b"*1\r\n$4\x00\r\nPING\r\n",
    ],
    ids=["inline", "mbulk", "bulk"],
)
def test_nul_hides_the_line_end_like_redis(data: bytes, use_hiredis: bool) -> None:
    cmds, error = parse(data, use_hiredis)
    assert (cmds, error) == ([], None)


def test_nul_then_too_big(use_hiredis: bool) -> None:
    _, error = parse(b"PING\x00\r\n" + b"a" * 65536, use_hiredis)
    assert error == PROTO + "too big inline request"


@pytest.mark.parametrize("pings", [1, 30, 1000], ids=["short-read", "long-read", "full-read"])
@pytest.mark.parametrize(
    "header",
    [
        b"*2147483647",
        b"*1\r\n>2147483647",
        b"*1\r\n~2147483647",
        b"*1\r\n|2147483647",
        b"*1\r\n*2147483647",
        b"*2\r\n$1\r\naXY*2147483647",  # after a bulk whose CRLF is not checked
    ],
)
def test_huge_aggregate_headers_cost_nothing(header: bytes, pings: int, use_hiredis: bool) -> None:
    """hiredis would allocate (and free item by item) a list of the declared size."""
    started = time.perf_counter()
    reader = RequestReader(ReaderLimits(), use_hiredis=use_hiredis)
    cmds, error = feed(reader, [b"*1\r\n$4\r\nPING\r\n" * pings + header + b"\r\n"])
    del reader
    assert time.perf_counter() - started < 0.1
    assert cmds == [[b"PING"]] * pings
    if header == b"*2147483647":
        assert error is None  # valid (<= INT_MAX): waits for the arguments
    else:
        assert error == PROTO + f"expected '$', got '{chr(header[-11])}'"


def test_star_digits_inside_bulk_data_are_fine(use_hiredis: bool) -> None:
    data = b"*2\r\n$4\r\nECHO\r\n$12\r\n*1234567\r\n~9\r\n*1\r\n$4\r\nPING\r\n" * 3
    cmds, error = parse(data, use_hiredis)
    assert error is None
    assert cmds == [[b"ECHO", b"*1234567\r\n~9"], [b"PING"]] * 3


# --- unauthenticated clients -------------------------------------------------------------


def unauth_reader(use_hiredis: bool) -> RequestReader:
    reader = RequestReader(ReaderLimits(), use_hiredis=use_hiredis)
    reader.set_authenticated(False)
    return reader


def test_unauthenticated_multibulk_length(use_hiredis: bool) -> None:
    _, error = feed(unauth_reader(use_hiredis), [b"*11\r\n"])
    assert error == PROTO + "unauthenticated multibulk length"
    cmds, error = feed(unauth_reader(use_hiredis), [b"*10\r\n" + b"$1\r\na\r\n" * 10])
    assert error is None and cmds == [[b"a"] * 10]


def test_unauthenticated_bulk_length(use_hiredis: bool) -> None:
    _, error = feed(unauth_reader(use_hiredis), [b"*2\r\n$4\r\nAUTH\r\n$16385\r\n"])
    assert error == PROTO + "unauthenticated bulk length"
    cmds, error = feed(
        unauth_reader(use_hiredis), [b"*2\r\n$4\r\nAUTH\r\n$16384\r\n" + b"p" * 16384 + b"\r\n"]
    )
    assert error is None and cmds == [[b"AUTH", b"p" * 16384]]


def test_unauthenticated_checks_order(use_hiredis: bool) -> None:
    """Validity first, then the unauthenticated limit, as in processMultibulkBuffer."""
    _, error = feed(unauth_reader(use_hiredis), [b"*2147483648\r\n"])
    assert error == PROTO + "invalid multibulk length"
    _, error = feed(unauth_reader(use_hiredis), [b"*1\r\n$600000000\r\n"])
    assert error == PROTO + "invalid bulk length"


def test_unauthenticated_inline_has_no_extra_limit(use_hiredis: bool) -> None:
    cmds, error = feed(unauth_reader(use_hiredis), [b"AUTH " + b"p" * 20000 + b" x y z\r\n"])
    assert error is None and cmds == [[b"AUTH", b"p" * 20000, b"x", b"y", b"z"]]


def test_authenticating_lifts_the_limits(use_hiredis: bool) -> None:
    reader = unauth_reader(use_hiredis)
    reader.set_authenticated(True)
    cmds, error = feed(reader, [b"*11\r\n" + b"$1\r\na\r\n" * 11])
    assert error is None and cmds == [[b"a"] * 11]


# --- sdssplitargs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"", []),
        (b"   ", []),
        (b"a b  c", [b"a", b"b", b"c"]),
        (b'"a\\x00b"', [b"a\x00b"]),
        (b'"\\x41\\x"', [b"Ax"]),
        (b"'a\\nb'", [b"a\\nb"]),
        (b'"a" "b"', [b"a", b"b"]),
        (b'"a"\t"b"', [b"a", b"b"]),
        (b'"a"b', None),
        (b"'a", None),
        (b'"a', None),
    ],
)
def test_split_inline(line: bytes, expected: list[bytes] | None) -> None:
    assert split_inline(line) == expected
