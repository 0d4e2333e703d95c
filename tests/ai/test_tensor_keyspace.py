"""Tensors as keyspace values: generic key commands, TTL, COPY, transactions, WATCH
(RedisAI reference section 2.2)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from ..helpers import RawConnection, ServerProcess


@pytest.fixture
def c(server: ServerProcess) -> Iterator[redis.Redis]:
    client = server.client(protocol=2)
    client.flushall()
    yield client
    client.close()


def _tensor(c: redis.Redis, key: str = "t") -> None:
    c.execute_command("AI.TENSORSET", key, "INT32", 2, "VALUES", 1, 2)


def test_type_is_ai_tensor(c: redis.Redis) -> None:
    _tensor(c)
    assert c.type("t") == b"AI_TENSOR"


def test_del_exists(c: redis.Redis) -> None:
    _tensor(c)
    assert c.exists("t") == 1
    assert c.delete("t") == 1
    assert c.exists("t") == 0
    with pytest.raises(redis.ResponseError, match="tensor key is empty"):
        c.execute_command("AI.TENSORGET", "t")


def test_overwrite_clears_ttl(c: redis.Redis) -> None:
    _tensor(c)
    assert c.expire("t", 100)
    assert c.ttl("t") > 0
    c.execute_command("AI.TENSORSET", "t", "FLOAT", 1)
    assert c.ttl("t") == -1


def test_tensorset_over_string_is_wrongtype(c: redis.Redis) -> None:
    c.set("s", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        c.execute_command("AI.TENSORSET", "s", "FLOAT", 1)
    assert c.get("s") == b"x"


def test_get_on_tensor_is_wrongtype(c: redis.Redis) -> None:
    _tensor(c)
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        c.get("t")


def test_rename_keeps_tensor(c: redis.Redis) -> None:
    _tensor(c)
    c.rename("t", "u")
    assert c.execute_command("AI.TENSORGET", "u", "VALUES") == [1, 2]


def test_scan_type_filter(c: redis.Redis) -> None:
    _tensor(c, "t1")
    _tensor(c, "t2")
    c.set("s", "x")
    assert sorted(c.scan_iter(_type="AI_TENSOR")) == [b"t1", b"t2"]
    assert sorted(c.scan_iter(_type="ai_tensor")) == [b"t1", b"t2"]


def test_copy_is_not_supported(raw: RawConnection) -> None:
    raw.command("FLUSHALL")
    raw.command("AI.TENSORSET", "t", "FLOAT", 1)
    assert raw.command("COPY", "t", "u") == ("error", "ERR not supported for this module key")
    assert raw.command("EXISTS", "u") == 0


def test_inside_multi(c: redis.Redis) -> None:
    pipe = c.pipeline(transaction=True)
    pipe.execute_command("AI.TENSORSET", "t", "INT8", 1, "VALUES", 5)
    pipe.execute_command("AI.TENSORGET", "t", "VALUES")
    assert pipe.execute() == [b"OK", [5]]


def test_tensorset_invalidates_watch(c: redis.Redis, server: ServerProcess) -> None:
    _tensor(c)
    other = server.client(protocol=2)
    with c.pipeline() as pipe:
        pipe.watch("t")
        other.execute_command("AI.TENSORSET", "t", "INT8", 1)
        pipe.multi()
        pipe.set("x", 1)
        with pytest.raises(redis.WatchError):
            pipe.execute()
    other.close()


def test_flushdb_removes_tensors(c: redis.Redis) -> None:
    _tensor(c)
    c.flushdb()
    assert c.exists("t") == 0


def test_selected_database_is_used(server: ServerProcess) -> None:
    db1 = server.client(protocol=2, db=1)
    db0 = server.client(protocol=2, db=0)
    db1.flushall()
    db1.execute_command("AI.TENSORSET", "t", "INT8", 1, "VALUES", 3)
    assert db0.exists("t") == 0
    assert db1.execute_command("AI.TENSORGET", "t", "VALUES") == [3]
    db0.close()
    db1.close()
