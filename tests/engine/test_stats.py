"""The statistics table: RedisAI's lifetime rules (reference section 9) and its
iteration order (RedisAI's copy of the Redis 5 dict), which redisai-py's tests compare."""

from __future__ import annotations

from pyredisai.engine import RunStats, StatsTable, siphash12


def test_siphash_places_the_reference_keys() -> None:
    buckets = {k: siphash12(k) & 3 for k in (b"m", b"pt_model", b"ket1", b"ket2")}
    assert buckets == {b"m": 1, b"pt_model": 1, b"ket1": 0, b"ket2": 3}


def keys(table: StatsTable, kind: str | None = None) -> list[bytes]:
    return [s.key for s in table.entries(kind)]


def test_scan_order_matches_redisai_py_expectations() -> None:
    table = StatsTable()
    table.store(RunStats(b"m", tag=b"v1.2"))
    table.store(RunStats(b"pt_model"))
    assert keys(table) == [b"pt_model", b"m"]  # same bucket: the later one is the head
    other = StatsTable()
    other.store(RunStats(b"ket1", tag=b"v1.0"))
    other.store(RunStats(b"ket2"))
    assert keys(other) == [b"ket1", b"ket2"]


def test_store_again_is_a_fresh_entry() -> None:
    table = StatsTable()
    old = RunStats(b"m")
    old.calls = 5
    table.store(old)
    table.store(RunStats(b"pt_model"))
    # AI.MODELSTORE over m: freeing the old value drops its entry, then the new one is
    # stored (at the head of its bucket again).
    table.release(old)
    new = RunStats(b"m")
    table.store(new)
    assert table.get(b"m") is new and new.calls == 0
    assert keys(table) == [b"m", b"pt_model"]
    # A replace without a release (the old value still held by a run) keeps the position.
    table.store(RunStats(b"pt_model"))
    assert keys(table) == [b"m", b"pt_model"]


def test_release_removes_only_its_own_entry() -> None:
    table = StatsTable()
    old = RunStats(b"m")
    table.store(old)
    new = RunStats(b"m")
    table.store(new)  # stored again while the old value was still alive
    table.release(old)  # the old value freed late: the newer entry survives
    assert table.get(b"m") is new
    table.release(new)
    assert table.get(b"m") is None and len(table) == 0 and keys(table) == []


def test_kinds_are_listed_separately() -> None:
    table = StatsTable()
    table.store(RunStats(b"m", "MODEL"))
    table.store(RunStats(b"s", "SCRIPT"))
    assert keys(table, "MODEL") == [b"m"] and keys(table, "SCRIPT") == [b"s"]
    assert RunStats(b"s", "SCRIPT").samples == -1


def test_growth_rehashes_incrementally_and_settles_in_hash_order() -> None:
    table = StatsTable()
    names = [f"model:{i}".encode() for i in range(40)]
    for name in names:
        table.store(RunStats(name))
        assert sorted(keys(table)) == sorted(names[: names.index(name) + 1])
    for _ in range(64):  # lookups advance any rehash in progress to its end
        table.get(b"model:0")
    size = len(table._t0)
    assert size == 64 and table._rehashidx == -1
    order = keys(table)
    assert len(order) == 40
    assert [siphash12(k) & (size - 1) for k in order] == sorted(
        siphash12(k) & (size - 1) for k in order
    )
    for name in names[::2]:
        table.remove(name)
    assert sorted(keys(table)) == sorted(names[1::2]) and len(table) == 20
