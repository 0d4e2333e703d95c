"""Expiry: EXPIRE family options and errors (side by side with Redis 7.0), TTL readers,
lazy expiry on access and active expiry that reclaims keys nobody touches."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from ..helpers import ServerProcess
from .pairs import Pair, open_pair

FAR = 4_000_000_000  # seconds since the epoch, far in the future


@pytest.fixture
def pair(server: ServerProcess, real_redis: ServerProcess) -> Iterator[Pair]:
    yield from open_pair(server, real_redis)


def wait_until(predicate: object, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


# --- TTL readers ------------------------------------------------------------------------------


def test_ttl_of_missing_and_persistent_keys(pair: Pair) -> None:
    pair.both("SET", "k", "v")
    for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        pair.same(cmd, "k")
        pair.same(cmd, "missing")


def test_expiretime_and_pexpiretime(pair: Pair) -> None:
    pair.both("SET", "k", "v")
    pair.same("EXPIREAT", "k", FAR)
    pair.same("EXPIRETIME", "k")
    pair.same("PEXPIRETIME", "k")
    pair.same("PEXPIREAT", "k", FAR * 1000 + 1499)
    pair.same("EXPIRETIME", "k")
    pair.same("PEXPIRETIME", "k")


def test_ttl_rounds_to_nearest_second(r: redis.Redis) -> None:
    r.set("k", "v", px=10400)
    assert r.ttl("k") == 10
    r.set("k", "v", px=10600)
    assert r.ttl("k") in (10, 11)


def test_expire_sets_ttl(r: redis.Redis) -> None:
    r.set("k", "v")
    assert r.expire("k", 100) is True
    assert 98 <= r.ttl("k") <= 100
    assert r.pexpire("k", 50000) is True
    assert 49000 <= r.pttl("k") <= 50000


def test_expire_missing_key(r: redis.Redis) -> None:
    assert r.expire("nope", 100) is False
    assert r.pexpireat("nope", FAR * 1000) is False


def test_expire_negative_deletes_key(r: redis.Redis) -> None:
    r.set("k", "v")
    assert r.expire("k", -1) is True
    assert r.exists("k") == 0


def test_expire_zero_and_past_times_delete(pair: Pair) -> None:
    for args in (
        ("EXPIRE", "k", "0"),
        ("PEXPIRE", "k", "-100"),
        ("EXPIREAT", "k", "1"),
        ("PEXPIREAT", "k", "0"),
        ("EXPIREAT", "k", "-5"),
    ):
        pair.both("SET", "k", "v")
        pair.same(*args)
        pair.same("EXISTS", "k")


def test_persist(r: redis.Redis) -> None:
    r.set("k", "v", ex=100)
    assert r.persist("k") is True
    assert r.ttl("k") == -1
    assert r.persist("k") is False
    assert r.persist("nope") is False


# --- NX / XX / GT / LT -----------------------------------------------------------------------


def test_expire_options_behave_like_redis(pair: Pair) -> None:
    pair.both("SET", "k", "v")
    steps = [
        ("XX", FAR),
        ("GT", FAR),
        ("LT", FAR),
        ("NX", FAR),
        ("NX", FAR + 10),
        ("XX", FAR + 20),
        ("GT", FAR + 10),
        ("GT", FAR + 30),
        ("LT", FAR + 40),
        ("LT", FAR + 5),
        ("GT", FAR + 5),
        ("LT", FAR + 5),
    ]
    for option, when in steps:
        pair.same("EXPIREAT", "k", when, option)
        pair.same("EXPIRETIME", "k")
    pair.same("PERSIST", "k")
    pair.same("EXPIREAT", "k", FAR, "LT")
    pair.same("EXPIRETIME", "k")


def test_expire_gt_lt_lowercase_and_repeated(pair: Pair) -> None:
    pair.both("SET", "k", "v")
    pair.same("EXPIREAT", "k", FAR, "nx", "nx")
    pair.same("EXPIREAT", "k", FAR + 1, "gt", "xx")
    pair.same("EXPIRETIME", "k")


@pytest.mark.parametrize(
    "args",
    [
        ("100", "NX", "XX"),
        ("100", "NX", "GT"),
        ("100", "LT", "NX"),
        ("100", "GT", "LT"),
        ("100", "FOO"),
        ("abc", "FOO"),
        ("abc", "NX", "XX"),
        ("abc",),
        ("1.5",),
        ("100", "nx", "bar"),
    ],
)
def test_expire_option_errors_match_redis(pair: Pair, args: tuple[str, ...]) -> None:
    pair.both("SET", "k", "v")
    for cmd in ("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"):
        pair.same(cmd, "k", *args)
        pair.same(cmd, "missing", *args)
    pair.same("TTL", "k")


@pytest.mark.parametrize(
    "args",
    [
        ("EXPIRE", "9223372036854775807"),
        ("EXPIRE", "-9223372036854775808"),
        ("EXPIRE", "9223372036854775"),
        ("EXPIRE", "9223372036854776"),
        ("PEXPIRE", "9223372036854775807"),
        ("PEXPIRE", "-9223372036854775808"),
        ("EXPIREAT", "9223372036854775807"),
        ("PEXPIREAT", "9223372036854775807"),
        ("EXPIRE", "9223372036854775808"),
    ],
)
def test_expire_overflow_errors_match_redis(pair: Pair, args: tuple[str, ...]) -> None:
    pair.both("SET", "k", "v")
    pair.same(args[0], "k", args[1])
    pair.same(args[0], "missing", args[1])
    pair.same("EXISTS", "k")


# --- lazy and active expiry -----------------------------------------------------------------


def test_expired_key_is_gone_on_access(r: redis.Redis) -> None:
    r.set("k", "v", px=30)
    time.sleep(0.06)
    assert r.get("k") is None
    assert r.exists("k") == 0
    assert r.ttl("k") == -2


def test_expired_key_is_invisible_to_every_reader(r: redis.Redis) -> None:
    r.set("k", "v", px=30)
    time.sleep(0.06)
    assert r.keys("*") == []
    assert r.scan(0) == (0, [])
    assert r.type("k") == b"none"
    assert r.strlen("k") == 0


def test_active_expiry_reclaims_untouched_keys(r: redis.Redis) -> None:
    r.set("keep", "v")
    with r.pipeline(transaction=False) as pipe:
        for i in range(200):
            pipe.set(f"k{i}", "v", px=100)
        pipe.execute()
    assert r.dbsize() == 201
    assert wait_until(lambda: r.dbsize() == 1)


def test_active_expiry_keeps_up_with_many_keys(r: redis.Redis) -> None:
    with r.pipeline(transaction=False) as pipe:
        for i in range(10000):
            pipe.set(f"k{i}", "v", px=50)
        pipe.execute()
    assert wait_until(lambda: r.dbsize() == 0, timeout=5.0)


def test_active_expiry_in_other_databases(server: ServerProcess, r: redis.Redis) -> None:
    other = server.client(db=3)
    other.set("k", "v", px=50)
    assert other.dbsize() == 1
    assert wait_until(lambda: other.dbsize() == 0)
    other.close()


def test_changed_ttl_is_respected_by_active_expiry(r: redis.Redis) -> None:
    r.set("k", "v", px=100)
    r.pexpire("k", 100000)
    time.sleep(0.3)
    assert r.dbsize() == 1
    r.persist("k")
    assert r.ttl("k") == -1
