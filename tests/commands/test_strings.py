"""String commands: exact replies and errors, checked side by side with real Redis 7.0
where behaviour is subtle (option parsing, INCRBYFLOAT formatting, ranges, LCS)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

import pytest
import redis

from ..helpers import RawConnection, ServerProcess
from .pairs import Pair, open_pair


@pytest.fixture
def pair(server: ServerProcess, real_redis: ServerProcess) -> Iterator[Pair]:
    yield from open_pair(server, real_redis)


def error_of(client: redis.Redis, *args: object) -> str:
    with pytest.raises(redis.ResponseError) as info:
        client.execute_command(*args)
    return str(info.value)


# --- GET / SET ---------------------------------------------------------------------------


def test_get_missing_key_is_nil(r: redis.Redis) -> None:
    assert r.get("nope") is None


def test_set_get_binary_value(r: redis.Redis) -> None:
    value = b"a\x00b\r\nc\xff"
    assert r.set("k", value) is True
    assert r.get("k") == value


def test_get_wrong_type(r: redis.Redis) -> None:
    r.zadd("z", {"m": 1})
    assert error_of(r, "GET", "z") == (
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    )


def test_set_overwrites_other_type(r: redis.Redis) -> None:
    r.zadd("z", {"m": 1})
    assert r.set("z", "v") is True
    assert r.get("z") == b"v"


def test_set_removes_ttl(r: redis.Redis) -> None:
    r.set("k", "v", ex=100)
    r.set("k", "w")
    assert r.ttl("k") == -1


def test_set_keepttl_keeps_ttl(r: redis.Redis) -> None:
    r.set("k", "v", ex=100)
    r.set("k", "w", keepttl=True)
    assert 98 <= r.ttl("k") <= 100


def test_set_nx(r: redis.Redis) -> None:
    assert r.set("k", "a", nx=True) is True
    assert r.set("k", "b", nx=True) is None
    assert r.get("k") == b"a"


def test_set_xx(r: redis.Redis) -> None:
    assert r.set("k", "a", xx=True) is None
    assert r.exists("k") == 0
    r.set("k", "a")
    assert r.set("k", "b", xx=True) is True
    assert r.get("k") == b"b"


def test_set_get_returns_old_value(r: redis.Redis) -> None:
    assert r.set("k", "a", get=True) is None
    assert r.set("k", "b", get=True) == b"a"
    assert r.get("k") == b"b"


def test_set_nx_get_on_existing_returns_old_and_keeps_it(raw: RawConnection) -> None:
    raw.command("SET", "k", "a")
    assert raw.command("SET", "k", "b", "NX", "GET") == b"a"
    assert raw.command("GET", "k") == b"a"


def test_set_get_on_wrong_type_errors_and_keeps_value(r: redis.Redis) -> None:
    r.zadd("z", {"m": 1})
    assert error_of(r, "SET", "z", "v", "GET").startswith("WRONGTYPE")
    assert r.type("z") == b"zset"


def test_set_ex_px_exat_pxat(r: redis.Redis) -> None:
    r.set("a", "v", ex=100)
    r.set("b", "v", px=100000)
    r.set("c", "v", exat=int(time.time()) + 100)
    r.set("d", "v", pxat=int(time.time() * 1000) + 100000)
    for key in "abcd":
        assert 98 <= r.ttl(key) <= 100


def test_set_pxat_in_the_past_leaves_no_key(r: redis.Redis) -> None:
    assert r.set("k", "v", pxat=1000) is True
    assert r.get("k") is None


def test_set_options_are_case_insensitive_and_repeatable(r: redis.Redis) -> None:
    assert r.execute_command("SET", "k", "v", "ex", "10", "Ex", "100") is True
    assert 98 <= r.ttl("k") <= 100


@pytest.mark.parametrize(
    "args",
    [
        ("NX", "XX"),
        ("XX", "NX"),
        ("EX", "10", "PX", "100"),
        ("PX", "100", "EX", "10"),
        ("EX", "10", "KEEPTTL"),
        ("KEEPTTL", "EX", "10"),
        ("EXAT", "10", "PXAT", "10"),
        ("PERSIST",),
        ("EX",),
        ("EX", "10", "junk"),
        ("GETX",),
        ("N",),
        ("EX", "abc"),
        ("EX", "0"),
        ("EX", "-5"),
        ("PX", "0"),
        ("EXAT", "0"),
        ("PXAT", "-1"),
        ("EX", "9223372036854775807"),
        ("PX", "9223372036854775807"),
        ("EX", "9223372036854775"),
        ("PXAT", "9223372036854775807"),
        ("EX", "1.5"),
        ("EX", " 10"),
    ],
)
def test_set_option_errors_match_redis(pair: Pair, args: tuple[str, ...]) -> None:
    pair.same("SET", "k", "v", *args)
    pair.same("EXISTS", "k")


def test_set_nx_xx_errors_are_syntax_errors(r: redis.Redis) -> None:
    assert error_of(r, "SET", "k", "v", "NX", "XX") == "syntax error"


def test_set_zero_expire_error_text(r: redis.Redis) -> None:
    assert error_of(r, "SET", "k", "v", "EX", "0") == "invalid expire time in 'set' command"


def test_set_wrong_arity(r: redis.Redis) -> None:
    assert error_of(r, "SET", "k") == "wrong number of arguments for 'set' command"


def test_big_value_roundtrip_and_append(r: redis.Redis) -> None:
    big = bytes(range(256)) * 400  # 100 KiB: received in place as a bytearray
    r.set("big", big)
    assert r.get("big") == big
    assert r.append("big", b"tail") == len(big) + 4
    assert r.get("big") == big + b"tail"
    assert r.strlen("big") == len(big) + 4


def test_big_key(r: redis.Redis) -> None:
    key = b"k" * 40000
    assert r.set(key, "v") is True
    assert r.get(key) == b"v"
    assert r.exists(key) == 1
    assert r.delete(key) == 1


# --- SETNX / SETEX / PSETEX / GETSET / GETDEL / GETEX -------------------------------------


def test_setnx(r: redis.Redis) -> None:
    assert r.setnx("k", "a") is True
    assert r.setnx("k", "b") is False
    assert r.get("k") == b"a"


def test_setex_and_psetex(r: redis.Redis) -> None:
    assert r.setex("a", 100, "v") is True
    assert r.psetex("b", 100000, "v") is True
    assert 98 <= r.ttl("a") <= 100
    assert 98000 <= r.pttl("b") <= 100000


@pytest.mark.parametrize(
    "args",
    [
        ("SETEX", "k", "0", "v"),
        ("SETEX", "k", "-1", "v"),
        ("SETEX", "k", "x", "v"),
        ("PSETEX", "k", "0", "v"),
        ("PSETEX", "k", "9223372036854775807", "v"),
        ("SETEX", "k", "9223372036854775807", "v"),
    ],
)
def test_setex_errors_match_redis(pair: Pair, args: tuple[str, ...]) -> None:
    pair.same(*args)


def test_getset(r: redis.Redis) -> None:
    assert r.getset("k", "a") is None
    assert r.getset("k", "b") == b"a"
    assert r.get("k") == b"b"


def test_getset_drops_ttl(r: redis.Redis) -> None:
    r.set("k", "a", ex=100)
    r.getset("k", "b")
    assert r.ttl("k") == -1


def test_getdel(r: redis.Redis) -> None:
    r.set("k", "a")
    assert r.getdel("k") == b"a"
    assert r.exists("k") == 0
    assert r.getdel("k") is None


def test_getdel_wrong_type(r: redis.Redis) -> None:
    r.zadd("z", {"m": 1})
    assert error_of(r, "GETDEL", "z").startswith("WRONGTYPE")
    assert r.exists("z") == 1


def test_getex_without_options_keeps_ttl(r: redis.Redis) -> None:
    r.set("k", "v", ex=100)
    assert r.getex("k") == b"v"
    assert 98 <= r.ttl("k") <= 100


def test_getex_sets_and_removes_ttl(r: redis.Redis) -> None:
    r.set("k", "v")
    assert r.getex("k", ex=100) == b"v"
    assert 98 <= r.ttl("k") <= 100
    assert r.getex("k", persist=True) == b"v"
    assert r.ttl("k") == -1
    assert r.getex("k", pxat=int(time.time() * 1000) + 50000) == b"v"
    assert 48 <= r.ttl("k") <= 50


def test_getex_past_time_deletes(r: redis.Redis) -> None:
    r.set("k", "v")
    assert r.getex("k", exat=1) == b"v"
    assert r.exists("k") == 0


def test_getex_missing_key(r: redis.Redis) -> None:
    assert r.getex("nope", ex=10) is None


@pytest.mark.parametrize(
    "args",
    [
        ("EX", "10", "PX", "10"),
        ("EX", "10", "PERSIST"),
        ("PERSIST", "EX", "10"),
        ("NX",),
        ("KEEPTTL",),
        ("GET",),
        ("EX", "0"),
        ("EX", "abc"),
        ("PXAT", "-1"),
        ("EX",),
    ],
)
def test_getex_errors_match_redis(pair: Pair, args: tuple[str, ...]) -> None:
    pair.both("SET", "k", "v")
    pair.same("GETEX", "k", *args)
    pair.same("GETEX", "missing", *args)


# --- MGET / MSET / MSETNX -----------------------------------------------------------------


def test_mget_nil_for_missing_and_other_types(r: redis.Redis) -> None:
    r.set("a", "1")
    r.zadd("z", {"m": 1})
    assert r.mget("a", "nope", "z", "a") == [b"1", None, None, b"1"]


def test_mset(r: redis.Redis) -> None:
    r.set("a", "x", ex=100)
    assert r.mset({"a": "1", "b": "2"}) is True
    assert r.mget("a", "b") == [b"1", b"2"]
    assert r.ttl("a") == -1


def test_mset_odd_arguments(pair: Pair) -> None:
    pair.same("MSET", "a", "1", "b")
    pair.same("MSETNX", "a", "1", "b")


def test_msetnx(r: redis.Redis) -> None:
    assert r.msetnx({"a": "1", "b": "2"}) is True
    assert r.msetnx({"b": "3", "c": "4"}) is False
    assert r.mget("a", "b", "c") == [b"1", b"2", None]


# --- counters -------------------------------------------------------------------------------


def test_incr_decr(r: redis.Redis) -> None:
    assert r.incr("n") == 1
    assert r.incrby("n", 10) == 11
    assert r.decr("n") == 10
    assert r.decrby("n", 20) == -10
    assert r.get("n") == b"-10"


def test_incr_counters_interleaved_with_other_writes(r: redis.Redis) -> None:
    """INCR stores its result as an int (Redis's int encoding): every other way a counter
    changes (SET, COPY, APPEND, DEL) must still be read right by the next INCR."""
    assert r.incr("a") == 1
    assert r.incrby("b", 10) == 10
    assert r.incr("a") == 2  # `b` was stored last
    r.set("a", "100")  # an equal-looking value, a different object
    assert r.incr("a") == 101
    r.copy("a", "c")  # `c` holds the object INCR stored last
    assert r.incr("c") == 102
    assert r.incr("a") == 102
    r.append("a", "7")  # 1027, stored as a new object
    assert r.incr("a") == 1028
    r.delete("a")
    assert r.incr("a") == 1  # missing again: 0 + 1
    assert r.decr("missing") == -1
    r.set("a", "9223372036854775806")
    assert r.incr("a") == 9223372036854775807
    assert error_of(r, "INCR", "a") == "increment or decrement would overflow"
    assert r.mget("a", "b", "c") == [b"9223372036854775807", b"10", b"102"]


# Every command that reads a string value, on a counter INCR stored (an int inside),
# against real Redis: the replies must be those of the digits.
_COUNTER_READS: list[tuple[str, ...]] = [
    ("GET", "c"),
    ("MGET", "c", "missing", "c"),
    ("STRLEN", "c"),
    ("GETRANGE", "c", "1", "-2"),
    ("SUBSTR", "c", "0", "0"),
    ("TYPE", "c"),
    ("OBJECT", "ENCODING", "c"),
    ("LCS", "c", "c"),
    ("LCS", "c", "c", "LEN"),
    ("APPEND", "c", "5"),
    ("SETRANGE", "c", "1", "x"),
    ("SETRANGE", "c", "9", "x"),
    ("INCRBYFLOAT", "c", "0.5"),
    ("GETSET", "c", "v"),
    ("GETDEL", "c"),
    ("GETEX", "c", "EX", "100"),
    ("SET", "c", "v", "GET"),
    ("COPY", "c", "d"),
]


@pytest.mark.parametrize("read", _COUNTER_READS, ids=lambda a: " ".join(a))
def test_counter_reads_as_its_digits(pair: Pair, read: tuple[str, ...]) -> None:
    pair.same("INCRBY", "c", "-12345")
    pair.same("INCR", "c")  # -12344: stored by INCR, parsed by neither server
    pair.same(*read)
    pair.same("GET", "c")
    pair.same("GET", "d")
    pair.same("INCR", "c")


def test_counter_survives_copy_and_rename(r: redis.Redis) -> None:
    r.incrby("n", 41)
    r.copy("n", "m")
    r.rename("m", "moved")
    assert r.incr("moved") == 42
    assert r.incr("n") == 42  # the copy and the original count apart
    assert r.mget("n", "moved") == [b"42", b"42"]
    assert r.object("encoding", "moved") == b"int"


def test_incr_keeps_ttl(r: redis.Redis) -> None:
    r.set("n", "1", ex=100)
    r.incr("n")
    assert 98 <= r.ttl("n") <= 100


def test_incr_wrong_type(r: redis.Redis) -> None:
    r.zadd("z", {"m": 1})
    assert error_of(r, "INCR", "z").startswith("WRONGTYPE")


@pytest.mark.parametrize(
    "stored,args",
    [
        ("abc", ("INCR", "k")),
        ("1.5", ("INCR", "k")),
        (" 1", ("INCR", "k")),
        ("01", ("INCR", "k")),
        ("+1", ("INCR", "k")),
        ("9223372036854775807", ("INCR", "k")),
        ("-9223372036854775808", ("DECR", "k")),
        ("1", ("INCRBY", "k", "abc")),
        ("1", ("INCRBY", "k", "9223372036854775807")),
        ("-2", ("DECRBY", "k", "9223372036854775807")),
        ("1", ("DECRBY", "k", "-9223372036854775808")),
        ("1", ("INCRBY", "k", "9223372036854775808")),
        ("12345678901234567890", ("INCR", "k")),
    ],
)
def test_counter_errors_match_redis(pair: Pair, stored: str, args: tuple[str, ...]) -> None:
    pair.both("SET", "k", stored)
    pair.same(*args)
    pair.same("GET", "k")


def test_incrbyfloat_basic(raw: RawConnection) -> None:
    assert raw.command("INCRBYFLOAT", "f", "10.5") == b"10.5"
    assert raw.command("INCRBYFLOAT", "f", "0.1") == b"10.6"
    assert raw.command("INCRBYFLOAT", "f", "-5e3") == b"-4989.39999999999999991"  # as Redis


_FLOAT_CASES = [
    "0.1",
    "0.2",
    "-0.3",
    "1e20",
    "1e-20",
    "-1e-20",
    "0.000003814697265625",
    "3.0e0",
    "5.",
    "+.5",
    "0x10",
    "0x1p-3",
    "1e5000",
    "1e-5000",
    "1e-4940",
    "inf",
    "-inf",
    "nan",
    "1e",
    " 1",
    "1 ",
    "abc",
    "",
    "1.5\x00abc",
    "12345678901234567890.123",
    "3.141592653589793238462643383279",
    "-0",
    "0.1e-3",
    "1E3",
    "1_000",
    "infinity",
    "4.9e-324",
    "1.7976931348623157e308",
    "1.18973149535723176502e+4932",
    "123456789.123456789",
    "-99999999999999999999",
    "0.30000000000000004",
]


def test_incrbyfloat_formatting_matches_redis(pair: Pair) -> None:
    for value in _FLOAT_CASES:
        pair.both("DEL", "f")
        pair.same("INCRBYFLOAT", "f", value)
        pair.same("GET", "f")


def test_incrbyfloat_sums_match_redis(pair: Pair) -> None:
    rng = random.Random(7)
    for start in ("0.1", "10", "-3.75", "1e10", "0.3333333333333333"):
        pair.both("SET", "f", start)
        for _ in range(12):
            digits = rng.choice([1, 3, 8, 17, 25])
            exp = rng.randint(-12, 12)
            mantissa = rng.randint(1, 10**digits)
            value = f"{rng.choice(['', '-'])}{mantissa}e{exp}"
            pair.same("INCRBYFLOAT", "f", value)
        pair.same("GET", "f")


def test_incrbyfloat_on_non_float_value(pair: Pair) -> None:
    for stored in ("abc", "1.5 ", " 1", "1e5000", "0x", "1.5\x00x"):
        pair.both("SET", "f", stored)
        pair.same("INCRBYFLOAT", "f", "1")


def test_incrbyfloat_keeps_ttl(r: redis.Redis) -> None:
    r.set("f", "1", ex=100)
    r.incrbyfloat("f", 1.5)
    assert 98 <= r.ttl("f") <= 100


# --- APPEND / STRLEN / GETRANGE / SETRANGE ----------------------------------------------------


def test_append_and_strlen(r: redis.Redis) -> None:
    assert r.append("k", "hello") == 5
    assert r.append("k", " world") == 11
    assert r.get("k") == b"hello world"
    assert r.strlen("k") == 11
    assert r.strlen("nope") == 0


def test_append_keeps_ttl(r: redis.Redis) -> None:
    r.set("k", "a", ex=100)
    r.append("k", "b")
    assert 98 <= r.ttl("k") <= 100


def test_append_wrong_type(r: redis.Redis) -> None:
    r.zadd("z", {"m": 1})
    assert error_of(r, "APPEND", "z", "x").startswith("WRONGTYPE")
    assert error_of(r, "STRLEN", "z").startswith("WRONGTYPE")


def test_getrange_matches_redis(pair: Pair) -> None:
    pair.both("SET", "s", "Hello World")
    pair.both("SET", "e", "")
    pair.both("SET", "n", "12345")
    ranges = [
        (0, 4),
        (0, -1),
        (-3, -1),
        (5, 3),
        (-1, -5),
        (-100, -50),
        (-100, 100),
        (3, 100),
        (100, 200),
        (0, 0),
        (-1, -1),
        (10, 10),
        (11, 11),
        (-11, 0),
    ]
    for key in ("s", "e", "n", "missing"):
        for start, end in ranges:
            pair.same("GETRANGE", key, start, end)
            pair.same("SUBSTR", key, start, end)
    pair.same("GETRANGE", "s", "a", "1")
    pair.same("GETRANGE", "s", "0", "1.5")


def test_setrange_matches_redis(pair: Pair) -> None:
    cases = [
        ("k1", "0", "abc"),
        ("k1", "5", "xyz"),
        ("k1", "1", "BC"),
        ("k2", "3", "pad"),
        ("k3", "0", ""),
        ("k1", "100", ""),
        ("k1", "-1", "x"),
        ("k1", "x", "y"),
        ("k4", "536870911", ""),
        ("k4", "536870912", "x"),
        ("k4", "536870911", "xy"),
    ]
    for key, offset, value in cases:
        pair.same("SETRANGE", key, offset, value)
        pair.same("GET", key)
        pair.same("EXISTS", key)


def test_setrange_wrong_type(pair: Pair) -> None:
    pair.both("ZADD", "z", "1", "m")
    pair.same("SETRANGE", "z", "0", "x")
    pair.same("SETRANGE", "z", "0", "")


def test_setrange_pads_with_zero_bytes(r: redis.Redis) -> None:
    assert r.setrange("k", 3, "x") == 4
    assert r.get("k") == b"\x00\x00\x00x"


# --- LCS ----------------------------------------------------------------------------------------


def test_lcs_string_and_len(r: redis.Redis) -> None:
    r.mset({"a": "ohmytext", "b": "mynewtext"})
    assert r.lcs("a", "b") == b"mytext"
    assert r.lcs("a", "b", len=True) == 6


def test_lcs_idx_reply_shape(rp: redis.Redis) -> None:
    rp.mset({"a": "ohmytext", "b": "mynewtext"})
    reply = rp.execute_command("LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN")
    expected_matches = [[[4, 7], [5, 8], 4]]
    if isinstance(reply, dict):  # RESP3: a map
        assert reply == {b"matches": expected_matches, b"len": 6}
    else:
        assert reply == [b"matches", expected_matches, b"len", 6]


def test_lcs_matches_redis(pair: Pair) -> None:
    rng = random.Random(3)
    strings = ["ohmytext", "mynewtext", "", "aaaa", "abab", "baba", "xyz", "abcabcabc"]
    strings += ["".join(rng.choice("abc") for _ in range(rng.randint(5, 40))) for _ in range(6)]
    for i, a in enumerate(strings):
        b = strings[(i * 5 + 3) % len(strings)]
        pair.both("DEL", "a", "b")
        for key, value in (("a", a), ("b", b)):
            if value:
                pair.both("SET", key, value)
        pair.same("LCS", "a", "b")
        pair.same("LCS", "a", "b", "LEN")
        pair.same("LCS", "a", "b", "IDX")
        pair.same("LCS", "a", "b", "IDX", "WITHMATCHLEN")
        pair.same("LCS", "a", "b", "IDX", "MINMATCHLEN", "2", "WITHMATCHLEN")


@pytest.mark.parametrize(
    "args",
    [
        ("IDX", "LEN"),
        ("FOO",),
        ("MINMATCHLEN",),
        ("MINMATCHLEN", "x"),
        ("MINMATCHLEN", "-5", "IDX"),
    ],
)
def test_lcs_errors_match_redis(pair: Pair, args: tuple[str, ...]) -> None:
    pair.both("MSET", "a", "abc", "b", "bcd")
    pair.same("LCS", "a", "b", *args)


def test_lcs_wrong_type_and_missing(pair: Pair) -> None:
    pair.both("ZADD", "z", "1", "m")
    pair.both("SET", "a", "abc")
    pair.same("LCS", "a", "z")
    pair.same("LCS", "a", "missing")
    pair.same("LCS", "missing", "missing2", "IDX")


def test_lcs_memory_limit(pair: Pair) -> None:
    pair.both("SET", "a", "x" * 20000)
    pair.both("SET", "b", "y" * 20000)
    pair.same("LCS", "a", "b")


def test_bad_input_keeps_server_alive(raw: RawConnection) -> None:
    assert raw.command("SET", "k", "v", "EX") == ("error", "ERR syntax error")
    assert raw.command("PING") == b"PONG"


def test_incrbyfloat_huge_exponent_strings(pair: Pair) -> None:
    for value in ("1e" + "0" * 4500 + "1", "1e-" + "0" * 4500 + "1", "0." + "0" * 4600 + "1"):
        pair.both("DEL", "f")
        pair.same("INCRBYFLOAT", "f", value)
