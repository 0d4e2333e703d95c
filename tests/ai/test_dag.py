"""DAGs end to end: AI.DAGEXECUTE / DAGEXECUTE_RO / DAGRUN / DAGRUN_RO against a real
server (reference section 6): tensor versions, LOAD and PERSIST, all four op kinds over
TORCH, ONNX and TF models and a TorchScript script, per-op error replies, a failed DAG
leaving the keyspace unchanged, TIMEOUT, the read-only and deprecated variants, every
parse error, ops of different devices running concurrently, 50 clients at once, the
append-only file, and redisai-py's dag() API."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import redis

from ..helpers import RawConnection, ServerProcess
from .model_helpers import (
    clients,
    err,
    import_redisai,
    model_bytes,
    onnx_add,
    raw_conn,
    tensorget,
    tensorset,
)
from .test_script_commands import store_script

pytest.importorskip("torch")

TF_GRAPH = model_bytes("graph.pb")  # mul = a * b
PT_MINIMAL = model_bytes("pt-minimal.pt")  # a + b
ONNX_ADD = onnx_add()  # a + b over [N, 2]


@pytest.fixture
def c(server: ServerProcess) -> Iterator[redis.Redis]:
    yield from clients(server)


@pytest.fixture
def raw(server: ServerProcess, c: redis.Redis) -> Iterator[RawConnection]:
    conn = raw_conn(server)
    yield conn
    conn.close()


@pytest.fixture
def m(c: redis.Redis) -> redis.Redis:
    """Script `s`, models `pt` (TORCH, CPU), `onnx` (ONNX, CPU:1), `tf` (TF, CPU) and
    tensors a = [[1,2],[3,4]], b = [[10,20],[30,40]]."""
    store_script(c)
    assert c.execute_command("AI.MODELSTORE", "pt", "TORCH", "CPU", "BLOB", PT_MINIMAL) == b"OK"
    assert c.execute_command("AI.MODELSTORE", "onnx", "ONNX", "CPU:1", "BLOB", ONNX_ADD) == b"OK"
    assert (
        c.execute_command(
            "AI.MODELSTORE",
            "tf",
            "TF",
            "CPU",
            "INPUTS",
            2,
            "a",
            "b",
            "OUTPUTS",
            1,
            "mul",
            "BLOB",
            TF_GRAPH,
        )
        == b"OK"
    )
    tensorset(c, "a", np.array([[1, 2], [3, 4]], np.float32))
    tensorset(c, "b", np.array([[10, 20], [30, 40]], np.float32))
    return c


def dag(c: redis.Redis | RawConnection, *args: object) -> object:
    if isinstance(c, RawConnection):
        return c.command("AI.DAGEXECUTE", *args)  # type: ignore[arg-type]
    return c.execute_command("AI.DAGEXECUTE", *args)


def snapshot(c: redis.Redis) -> dict[bytes, object]:
    """Every key with its type and value (tensors as META BLOB) for before/after checks."""
    out: dict[bytes, object] = {}
    for key in c.keys("*"):
        kind = c.type(key)
        if kind == b"AI_TENSOR":
            out[key] = (kind, c.execute_command("AI.TENSORGET", key, "META", "BLOB"), c.ttl(key))
        elif kind == b"string":
            out[key] = (kind, c.get(key), c.ttl(key))
        else:
            out[key] = (kind, c.ttl(key))
    return out


# -- tensors, versions, LOAD and PERSIST ---------------------------------------------------


def test_reference_versions_example(c: redis.Redis, raw: RawConnection) -> None:
    reply = dag(
        raw, "PERSIST", 1, "t", "|>", "AI.TENSORSET", "t", "FLOAT", 1, 2, "VALUES", 5, 10,
        "|>", "AI.TENSORGET", "t", "VALUES",
        "|>", "AI.TENSORSET", "t", "FLOAT", 1, 4, "VALUES", 20, 40, 60, 80,
        "|>", "AI.TENSORGET", "t", "VALUES",
    )  # fmt: skip
    assert reply == [b"OK", [b"5", b"10"], b"OK", [b"20", b"40", b"60", b"80"]]
    assert tensorget(c, "t").tolist() == [[20, 40, 60, 80]]


def test_load_then_tensorget(c: redis.Redis, raw: RawConnection) -> None:
    tensorset(c, "persisted", np.array([5, 10], np.float32))
    assert dag(raw, "LOAD", 1, "persisted", "|>", "AI.TENSORGET", "persisted", "VALUES") == [
        [b"5", b"10"]
    ]
    assert dag(raw, "LOAD", 1, "persisted", "|>", "AI.TENSORGET", "persisted", "META") == [
        [b"dtype", b"FLOAT", b"shape", [2]]
    ]
    reply = dag(raw, "LOAD", 1, "persisted", "|>", "AI.TENSORGET", "persisted")
    assert reply == [
        [b"dtype", b"FLOAT", b"shape", [2], b"blob", np.array([5, 10], np.float32).tobytes()]
    ]
    assert dag(raw, "LOAD", 1, "persisted", "|>", "AI.TENSORGET", "persisted", "BLOB") == [
        np.array([5, 10], np.float32).tobytes()
    ]


def test_dag_local_tensors_are_not_written(c: redis.Redis, raw: RawConnection) -> None:
    assert dag(raw, "ROUTING", "x", "|>", "AI.TENSORSET", "local", "INT8", 2, "VALUES", 1, 2) == [
        b"OK"
    ]
    assert c.exists("local") == 0


def test_tensorget_of_a_key_not_loaded_is_an_error(c: redis.Redis, raw: RawConnection) -> None:
    tensorset(c, "exists", np.array([1], np.float32))
    assert err(raw, "AI.DAGEXECUTE", "ROUTING", "x", "|>", "AI.TENSORGET", "exists", "VALUES") == (
        "ERR INPUT key cannot be found in DAG"
    )


def test_persist_of_loaded_key_writes_it_back_and_clears_ttl(
    c: redis.Redis, raw: RawConnection
) -> None:
    tensorset(c, "a", np.array([1, 2], np.float32))
    c.expire("a", 100)
    assert dag(raw, "LOAD", 1, "a", "PERSIST", 1, "a", "|>", "AI.TENSORGET", "a", "VALUES") == [
        [b"1", b"2"]
    ]
    assert c.ttl("a") == -1
    assert tensorget(c, "a").tolist() == [1, 2]


def test_persist_replaces_other_values_only_if_tensor(c: redis.Redis, raw: RawConnection) -> None:
    c.set("str", "x")
    reply = dag(
        raw, "PERSIST", 2, "t1", "str", "|>", "AI.TENSORSET", "t1", "FLOAT", 1, "VALUES", 1,
        "|>", "AI.TENSORSET", "str", "FLOAT", 1, "VALUES", 2,
    )  # fmt: skip
    assert reply == [
        b"OK",
        b"OK",
        ("error", "WRONGTYPE Operation against a key holding the wrong kind of value"),
    ]
    assert tensorget(c, "t1").tolist() == [1]  # persisted before the wrong type stays written
    assert c.get("str") == b"x"


def test_an_op_reads_the_previous_version_of_its_own_output(
    c: redis.Redis, raw: RawConnection
) -> None:
    store_script(c)
    reply = dag(
        raw, "PERSIST", 1, "x", "|>", "AI.TENSORSET", "x", "FLOAT", 2, "VALUES", 1, 2,
        "|>", "AI.SCRIPTEXECUTE", "s", "addtwo", "INPUTS", 2, "x", "x", "OUTPUTS", 1, "x",
        "|>", "AI.SCRIPTEXECUTE", "s", "addtwo", "INPUTS", 2, "x", "x", "OUTPUTS", 1, "x",
        "|>", "AI.TENSORGET", "x", "VALUES",
    )  # fmt: skip
    assert reply == [b"OK", b"OK", b"OK", [b"4", b"8"]]
    assert tensorget(c, "x").tolist() == [4, 8]


# -- all four op kinds over several backends ----------------------------------------------------


def test_mixed_ops_over_torch_onnx_tf_and_a_script(m: redis.Redis, raw: RawConnection) -> None:
    reply = dag(
        raw, "LOAD", 2, "a", "b", "PERSIST", 2, "w", "y",
        "|>", "AI.TENSORSET", "c", "FLOAT", 2, 2, "VALUES", 100, 100, 100, 100,
        "|>", "AI.MODELEXECUTE", "pt", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "x",
        "|>", "AI.MODELEXECUTE", "onnx", "INPUTS", 2, "x", "c", "OUTPUTS", 1, "y",
        "|>", "AI.SCRIPTEXECUTE", "s", "addtwo", "INPUTS", 2, "y", "a", "OUTPUTS", 1, "z",
        "|>", "AI.MODELEXECUTE", "tf", "INPUTS", 2, "z", "b", "OUTPUTS", 1, "w",
        "|>", "AI.TENSORGET", "w", "VALUES",
    )  # fmt: skip
    a = np.array([[1, 2], [3, 4]], np.float32)
    b = a * 10
    w = ((a + b + 100) + a) * b
    assert reply == [b"OK", b"OK", b"OK", b"OK", b"OK", [b"%d" % v for v in w.reshape(-1).tolist()]]
    assert tensorget(m, "w").tolist() == w.tolist()
    assert tensorget(m, "y").tolist() == (a + b + 100).tolist()
    assert m.exists("x", "z", "c") == 0  # neither loaded nor persisted: DAG-local only
    for key in ("pt", "onnx", "tf", "s"):
        info = m.execute_command("AI.INFO", key)
        assert info[14:18] == [b"calls", 1, b"errors", 0], key


def test_failed_op_reply_and_nothing_persisted(m: redis.Redis, raw: RawConnection) -> None:
    tensorset(m, "out", np.array([0], np.float32))
    before = snapshot(m)
    reply = dag(
        raw, "LOAD", 1, "a", "PERSIST", 2, "t", "out",
        "|>", "AI.TENSORSET", "t", "FLOAT", 2, "VALUES", 2, 3,
        "|>", "AI.TENSORSET", "u", "FLOAT", 2, 2, 3, "VALUES", *range(12),
        "|>", "AI.MODELEXECUTE", "tf", "INPUTS", 2, "t", "u", "OUTPUTS", 1, "out",
        "|>", "AI.TENSORGET", "out", "VALUES",
        "|>", "AI.TENSORGET", "a", "VALUES",
    )  # fmt: skip
    assert isinstance(reply, list) and len(reply) == 5
    assert reply[:2] == [b"OK", b"OK"]
    assert reply[2][0] == "error" and reply[2][1].startswith("Incompatible shapes: [2] vs. [2,2,3]")
    assert reply[3] == b"NA"
    assert reply[4] == [b"1", b"2", b"3", b"4"]  # a tensor that exists is still returned
    assert snapshot(m) == before  # a DAG with an error persists nothing
    assert m.execute_command("AI.INFO", "tf")[14:18] == [b"calls", 1, b"errors", 1]


def test_failed_op_skips_later_ops(m: redis.Redis, raw: RawConnection) -> None:
    reply = dag(
        raw, "ROUTING", "x",
        "|>", "AI.TENSORSET", "img", "FLOAT", 2, 2, "VALUES", 1, 2, 3, 4,
        "|>", "AI.SCRIPTEXECUTE", "s", "wrong_fn", "INPUTS", 1, "img", "OUTPUTS", 1, "t",
        "|>", "AI.MODELEXECUTE", "pt", "INPUTS", 2, "img", "img", "OUTPUTS", 1, "u",
        "|>", "AI.TENSORGET", "u", "VALUES",
    )  # fmt: skip
    assert reply == [b"OK", ("error", "Function does not exist: wrong_fn"), b"NA", b"NA"]
    assert m.execute_command("AI.INFO", "pt")[14:18] == [b"calls", 0, b"errors", 0]


def test_script_op_with_keys_args_and_redis_calls(m: redis.Redis, raw: RawConnection) -> None:
    reply = dag(
        raw, "LOAD", 1, "a", "PERSIST", 1, "y",
        "|>", "AI.SCRIPTEXECUTE", "s", "int_set_incr", "KEYS", 1, "k", "ARGS", 1, "41", "OUTPUTS", 1, "n",
        "|>", "AI.SCRIPTEXECUTE", "s", "scale", "INPUTS", 1, "a", "ARGS", 2, "2", "0", "OUTPUTS", 2, "y", "z",
        "|>", "AI.TENSORGET", "n", "VALUES",
    )  # fmt: skip
    assert reply == [b"OK", b"OK", [42]]
    assert tensorget(m, "y").tolist() == [[2, 4], [6, 8]]


def test_dag_of_only_tensor_ops_answers_at_once(c: redis.Redis, raw: RawConnection) -> None:
    reply = dag(
        raw, "PERSIST", 1, "b", "|>", "AI.TENSORSET", "b", "BOOL", 2, "VALUES", 1, 0,
        "|>", "AI.TENSORGET", "b", "META", "VALUES",
    )  # fmt: skip
    assert reply == [b"OK", [b"dtype", b"BOOL", b"shape", [2], b"values", [1, 0]]]


def test_resp3_reply(server: ServerProcess, m: redis.Redis) -> None:
    conn = raw_conn(server)
    try:
        assert isinstance(conn.command("HELLO", 3), dict)
        reply = conn.command(
            "AI.DAGEXECUTE", "LOAD", 1, "a", "|>", "AI.MODELEXECUTE", "pt", "INPUTS", 2, "a", "a",
            "OUTPUTS", 1, "x", "|>", "AI.TENSORGET", "x", "VALUES",
        )  # fmt: skip
        assert reply == [b"OK", [2.0, 4.0, 6.0, 8.0]]
    finally:
        conn.close()


# -- concurrency -----------------------------------------------------------------------------


def test_ops_of_different_devices_run_concurrently(c: redis.Redis) -> None:
    """The first op waits until the second (on another device) sets a key: only possible
    if they run at the same time."""
    store_script(c, "s1", device="CPU:1")
    store_script(c, "s2", device="CPU:2")
    start = time.monotonic()
    reply = dag(
        c, "PERSIST", 1, "n", "|>", "AI.SCRIPTEXECUTE", "s1", "wait_for_key", "KEYS", 1, "go", "OUTPUTS", 1, "n",
        "|>", "AI.SCRIPTEXECUTE", "s2", "set_key", "KEYS", 1, "go", "ARGS", 1, "1",
    )  # fmt: skip
    assert reply == [b"OK", b"OK"]
    assert tensorget(c, "n").tolist() < 100000
    assert time.monotonic() - start < 10


def test_fifty_concurrent_clients(m: redis.Redis, server: ServerProcess) -> None:
    failures: list[object] = []

    def client(n: int) -> None:
        try:
            with redis.Redis(host="127.0.0.1", port=server.port, protocol=2) as conn:
                for i in range(4):
                    v = float(n * 10 + i)
                    reply = conn.execute_command(
                        "AI.DAGEXECUTE", "LOAD", 1, "a", "PERSIST", 1, f"out{n}",
                        "|>", "AI.TENSORSET", "t", "FLOAT", 2, 2, "VALUES", v, v, v, v,
                        "|>", "AI.MODELEXECUTE", "pt", "INPUTS", 2, "a", "t", "OUTPUTS", 1, "x",
                        "|>", "AI.MODELEXECUTE", "onnx", "INPUTS", 2, "x", "t", "OUTPUTS", 1, "y",
                        "|>", "AI.SCRIPTEXECUTE", "s", "scale", "INPUTS", 1, "y", "ARGS", 2, "2", "0",
                        "OUTPUTS", 2, f"out{n}", "unused",
                        "|>", "AI.TENSORGET", f"out{n}", "VALUES",
                    )  # fmt: skip
                    expected = [b"%d" % ((a + 2 * v) * 2) for a in (1, 2, 3, 4)]
                    if reply != [b"OK", b"OK", b"OK", b"OK", expected]:
                        failures.append((n, i, reply, expected))
                    got = tensorget(conn, f"out{n}").reshape(-1).tolist()
                    if got != [(a + 2 * v) * 2 for a in (1, 2, 3, 4)]:
                        failures.append((n, i, got))
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert failures == []
    info = m.execute_command("AI.INFO", "onnx")
    assert info[14:18] == [b"calls", 200, b"errors", 0]


# -- TIMEOUT ---------------------------------------------------------------------------------


def test_timeout_answers_timedout_and_persists_nothing(c: redis.Redis, raw: RawConnection) -> None:
    """A model that waits for MINBATCHSIZE 2 never gets it from one DAG (RedisAI's
    test_dag_with_timeout): TIMEOUT ends the wait."""
    assert (
        c.execute_command(
            "AI.MODELSTORE",
            "mb",
            "ONNX",
            "CPU",
            "BATCHSIZE",
            4,
            "MINBATCHSIZE",
            2,
            "BLOB",
            ONNX_ADD,
        )
        == b"OK"
    )
    start = time.monotonic()
    reply = dag(
        raw, "PERSIST", 1, "y", "TIMEOUT", 200,
        "|>", "AI.TENSORSET", "x", "FLOAT", 1, 2, "VALUES", 1, 2,
        "|>", "AI.MODELEXECUTE", "mb", "INPUTS", 2, "x", "x", "OUTPUTS", 1, "y",
        "|>", "AI.TENSORGET", "y", "VALUES",
    )  # fmt: skip
    assert reply == b"TIMEDOUT"
    assert 0.15 < time.monotonic() - start < 5
    assert c.exists("y") == 0
    assert c.execute_command("AI.INFO", "mb")[14:18] == [b"calls", 0, b"errors", 0]


def test_timeout_zero_or_negative_means_none(c: redis.Redis, raw: RawConnection) -> None:
    for value in ("0", "-5"):
        assert dag(
            raw, "TIMEOUT", value, "ROUTING", "x", "|>", "AI.TENSORSET", "t", "FLOAT", 1
        ) == [b"OK"]


# -- read-only and deprecated variants ---------------------------------------------------------


def test_dagexecute_ro(m: redis.Redis, raw: RawConnection) -> None:
    reply = raw.command(
        "AI.DAGEXECUTE_RO", "LOAD", 1, "a", "|>", "AI.MODELEXECUTE", "pt", "INPUTS", 2, "a", "a",
        "OUTPUTS", 1, "x", "|>", "AI.TENSORGET", "x", "VALUES",
    )  # fmt: skip
    assert reply == [b"OK", [b"2", b"4", b"6", b"8"]]
    assert err(
        raw, "AI.DAGEXECUTE_RO", "PERSIST", 1, "x", "|>", "AI.TENSORSET", "x", "FLOAT", 1
    ) == ("ERR PERSIST cannot be specified in a read-only DAG")
    assert (
        err(
            raw,
            "AI.DAGEXECUTE_RO",
            "LOAD",
            1,
            "a",
            "|>",
            "AI.SCRIPTEXECUTE",
            "s",
            "addtwo",
            "INPUTS",
            2,
            "a",
            "a",
        )
        == "ERR AI.SCRIPTEXECUTE command cannot be specified in a read-only DAG"
    )
    assert (
        err(raw, "AI.DAGEXECUTE_RO", "ROUTING")
        == "ERR missing arguments for 'AI.DAGEXECUTE_RO' command"
    )


def test_dagrun_deprecated_ops(m: redis.Redis, raw: RawConnection) -> None:
    reply = raw.command(
        "AI.DAGRUN", "|>", "AI.TENSORSET", "x", "FLOAT", 2, 2, "VALUES", 1, 2, 3, 4,
        "|>", "AI.MODELRUN", "pt", "INPUTS", "x", "x", "OUTPUTS", "y",
        "|>", "AI.SCRIPTRUN", "s", "bar", "INPUTS", "y", "x", "OUTPUTS", "z",
        "|>", "AI.TENSORGET", "z", "VALUES",
    )  # fmt: skip
    assert reply == [b"OK", b"OK", b"OK", [b"3", b"6", b"9", b"12"]]
    # AI.DAGRUN_RO does not check AI.SCRIPTRUN (RedisAI)
    reply = raw.command(
        "AI.DAGRUN_RO", "LOAD", 1, "a", "|>", "AI.SCRIPTRUN", "s", "bar", "INPUTS", "a", "a", "OUTPUTS", "z",
        "|>", "AI.TENSORGET", "z", "VALUES",
    )  # fmt: skip
    assert reply == [b"OK", [b"2", b"4", b"6", b"8"]]
    assert err(raw, "AI.DAGRUN_RO", "PERSIST", 1, "x", "|>", "AI.TENSORSET", "x", "FLOAT", 1) == (
        "ERR PERSIST cannot be specified in a read-only DAG"
    )


@pytest.mark.parametrize(
    ("command", "op", "error"),
    [
        ("AI.DAGEXECUTE", ["AI.MODELRUN", "pt", "INPUTS", "a", "a", "OUTPUTS", "y"], "Deprecated AI.MODELRUN cannot be used in AI.DAGEXECUTE command"),
        ("AI.DAGEXECUTE", ["AI.SCRIPTRUN", "s", "bar", "INPUTS", "a", "a"], "Deprecated AI.SCRIPTRUN cannot be used in AI.DAGEXECUTE command"),
        ("AI.DAGRUN", ["AI.MODELEXECUTE", "pt", "INPUTS", 2, "a", "a", "OUTPUTS", 1, "y"], "AI.MODELEXECUTE cannot be used in a deprecated AI.DAGRUN command"),
        ("AI.DAGRUN", ["AI.SCRIPTEXECUTE", "s", "addtwo", "INPUTS", 2, "a", "a"], "AI.SCRIPTEXECUTE cannot be used in a deprecated AI.DAGRUN command"),
        ("AI.DAGRUN_RO", ["AI.SCRIPTEXECUTE", "s", "addtwo", "INPUTS", 2, "a", "a"], "AI.SCRIPTEXECUTE cannot be used in a deprecated AI.DAGRUN command"),
    ],
)  # fmt: skip
def test_ops_of_the_other_generation(
    m: redis.Redis, raw: RawConnection, command: str, op: list[object], error: str
) -> None:
    assert err(raw, command, "LOAD", 1, "a", "|>", *op) == error


# -- parse errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["LOAD", 1, "a", "|>"], "ERR missing arguments for 'AI.DAGEXECUTE' command"),
        (["LOAD", 1, "|>", "AI.TENSORGET", "a"], "ERR tensor key is empty or in a different shard"),
        (["LOAD", 2, "a", "|>", "AI.TENSORGET", "a"], "ERR tensor key is empty or in a different shard"),
        (["ROUTING", "r", "LOAD", 3, "a", "b"], "ERR number of keys to LOAD into DAG does not match the number of given arguments"),
        (["LOAD", 1, "str", "|>", "AI.TENSORGET", "str"], "WRONGTYPE Operation against a key holding the wrong kind of value"),
        (["LOAD", 1, "missing", "|>", "AI.TENSORGET", "a"], "ERR tensor key is empty or in a different shard"),
        (["LOAD", "x", "a", "|>", "AI.TENSORGET", "a"], "ERR invalid or negative value found in number of keys to LOAD"),
        (["LOAD", "0", "a", "|>", "AI.TENSORGET", "a"], "ERR invalid or negative value found in number of keys to LOAD"),
        (["ROUTING", "x", "|>", "AI.TENSORGET", "a", "LOAD", 1], "ERR unsupported data format"),
        (["ROUTING", "x", "TIMEOUT", 5, "LOAD"], "ERR missing arguments after LOAD keyword in DAG command"),
        (["ROUTING", "x", "TIMEOUT", 5, "LOAD", 1], "ERR missing arguments after LOAD keyword in DAG command"),
        (["ROUTING", "x", "TIMEOUT", 5, "PERSIST", 1], "ERR missing arguments after PERSIST keyword in DAG command"),
        (["PERSIST", "-1", "a", "|>", "AI.TENSORGET", "a"], "ERR invalid or negative value found in number of keys to PERSIST"),
        (["PERSIST", 2, "a", "a", "|>", "AI.TENSORGET", "a"], "ERR PERSIST keys must be unique"),
        (["ROUTING", "x", "PERSIST", 3, "a", "b"], "ERR number of keys to PERSIST after DAG execution does not match the number of given arguments"),
        (["LOAD", 1, "a", "TIMEOUT", 5, "ROUTING"], "ERR Missing ROUTING value"),
        (["LOAD", 1, "a", "ROUTING", "r", "TIMEOUT"], "ERR No value provided for TIMEOUT"),
        (["LOAD", 1, "a", "TIMEOUT", "x", "|>", "AI.TENSORGET", "a"], "ERR Invalid value for TIMEOUT"),
        (["LOAD", 1, "a", "LOAD", 1, "a", "|>", "AI.TENSORGET", "a"], "ERR Invalid DAG command. Unexpected argument:  LOAD"),
        (["LOAD", 1, "a", "KEYS", 1, "a", "|>", "AI.TENSORGET", "a"], "ERR Invalid DAG command. Unexpected argument:  KEYS"),
        (["LOAD", 1, "a", "bogus", "|>", "AI.TENSORGET", "a"], "ERR Invalid DAG command. Unexpected argument:  bogus"),
        (["LOAD", 1, "a", "|>", "AI.TENSORGET", "a", "|>"], "ERR Invalid DAG command. Unexpected argument:  |>"),
        (["TIMEOUT", 5, "|>", "AI.TENSORGET", "a"], "ERR AI.DAGEXECUTE and AI.DAGEXECUTE_RO commands must contain at least one out of ROUTING, LOAD, PERSIST keywords"),
        (["LOAD", 1, "a", "TIMEOUT", 5, "ROUTING", "x"], "ERR DAG is empty"),
        (["LOAD", 1, "a", "|>", "|>", "AI.TENSORGET", "a"], "Unsupported command within DAG"),
        (["LOAD", 1, "a", "|>", "SET", "x", "y"], "Unsupported command within DAG"),
        (["LOAD", 1, "a", "|>", "AI.TENSORGET"], "wrong number of arguments for 'AI.TENSORGET' command"),
        (["LOAD", 1, "a", "|>", "AI.TENSORGET", "a", "META", "BLOB", "x"], "wrong number of arguments for 'AI.TENSORGET' command"),
        (["LOAD", 1, "a", "|>", "AI.TENSORGET", "a", "bogus"], "ERR unsupported data format"),
        (["LOAD", 1, "a", "|>", "AI.TENSORGET", "a", "BLOB", "VALUES"], "ERR both BLOB and VALUES specified"),
        (["LOAD", 1, "a", "|>", "AI.TENSORSET", "t", "FLOAT"], "wrong number of arguments for 'AI.TENSORSET' command"),
        (["LOAD", 1, "a", "|>", "AI.TENSORSET", "t", "BAD", 1], "ERR invalid data type"),
        (["LOAD", 1, "a", "|>", "AI.TENSORSET", "t", "FLOAT", 2, "VALUES", 1], "ERR wrong number of values was given in 'AI.TENSORSET' command"),
        (["ROUTING", "x", "|>", "AI.MODELEXECUTE", "pt", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "y"], "ERR INPUT key cannot be found in DAG"),
        (["LOAD", 1, "a", "PERSIST", 1, "nope", "|>", "AI.TENSORGET", "a"], "ERR PERSIST key cannot be found in DAG"),
        (["LOAD", 1, "a", "|>", "AI.MODELEXECUTE", "pt", "INPUTS", 2, "a", "a"], "ERR wrong number of arguments for 'AI.MODELEXECUTE' command"),
        (["LOAD", 1, "a", "|>", "AI.MODELEXECUTE", "nope", "INPUTS", 2, "a", "a", "OUTPUTS", 1, "y"], "ERR model key is empty"),
        (["LOAD", 1, "a", "|>", "AI.MODELEXECUTE", "s", "INPUTS", 2, "a", "a", "OUTPUTS", 1, "y"], "WRONGTYPE Operation against a key holding the wrong kind of value"),
        (["LOAD", 1, "a", "|>", "AI.MODELEXECUTE", "pt", "INPUTS", 1, "a", "OUTPUTS", 1, "y", "z"], "Number of keys given as INPUTS here does not match model definition"),
        (["LOAD", 1, "a", "|>", "AI.MODELEXECUTE", "pt", "INPUTS", 2, "a", "a", "OUTPUTS", 1, "y", "TIMEOUT", 5], "ERR TIMEOUT not allowed within a DAG command"),
        (["LOAD", 1, "a", "|>", "AI.MODELEXECUTE", "pt", "INPUTS", 2, "a", "a", "OUTPUTS", 1, "y", "TIMEOUT", "x"], "ERR Invalid value for TIMEOUT"),
        (["LOAD", 1, "a", "|>", "AI.MODELEXECUTE", "pt", "INPUTS", 2, "a", "a", "OUTPUTS", 1, "y", "BAD"], "Invalid argument: BAD"),
        (["LOAD", 1, "a", "|>", "AI.SCRIPTEXECUTE", "s"], "ERR wrong number of arguments for 'AI.SCRIPTEXECUTE' command"),
        (["LOAD", 1, "a", "|>", "AI.SCRIPTEXECUTE", "nope", "f"], "ERR script key is empty"),
        (["LOAD", 1, "a", "|>", "AI.SCRIPTEXECUTE", "s", "addtwo", "INPUTS", 2, "a", "a", "TIMEOUT", 5], "ERR TIMEOUT not allowed within a DAG command"),
        (["LOAD", 1, "a", "|>", "AI.SCRIPTEXECUTE", "s", "addtwo", "INPUTS", 3, "a", "a"], "ERR number of inputs to AI.SCRIPTEXECUTE command does not match the number of given arguments"),
        (["LOAD", 1, "a", "|>", "AI.SCRIPTEXECUTE", "s", "addtwo", "INPUTS", 2, "a", "nope"], "ERR INPUT key cannot be found in DAG"),
    ],
)  # fmt: skip
def test_parse_errors(m: redis.Redis, raw: RawConnection, args: list[object], error: str) -> None:
    m.set("str", "x")
    before = snapshot(m)
    assert err(raw, "AI.DAGEXECUTE", *args) == error  # type: ignore[arg-type]
    assert snapshot(m) == before


def test_script_op_may_start_with_args_in_a_dag(m: redis.Redis, raw: RawConnection) -> None:
    """The "KEYS or INPUTS first" rule does not apply to DAG ops."""
    reply = dag(
        raw, "LOAD", 1, "a", "|>", "AI.SCRIPTEXECUTE", "s", "scale", "ARGS", 2, "3", "0", "INPUTS", 1, "a",
        "OUTPUTS", 2, "y", "z", "|>", "AI.TENSORGET", "y", "VALUES",
    )  # fmt: skip
    assert reply == [b"OK", [b"3", b"6", b"9", b"12"]]


def test_dagrun_arity(raw: RawConnection) -> None:
    assert (
        err(raw, "AI.DAGRUN", "|>", "AI.TENSORGET")
        == "ERR wrong number of arguments for 'AI.DAGRUN' command"
    )
    assert (
        err(raw, "AI.DAGRUN_RO", "|>") == "ERR wrong number of arguments for 'AI.DAGRUN_RO' command"
    )
    assert (
        err(raw, "AI.DAGRUN", "|>", "AI.TENSORGET", "x") == "ERR INPUT key cannot be found in DAG"
    )


def test_dag_refused_in_multi(m: redis.Redis, raw: RawConnection) -> None:
    assert raw.command("MULTI") == b"OK"
    assert (
        raw.command("AI.DAGEXECUTE", "LOAD", 1, "a", "|>", "AI.TENSORGET", "a", "VALUES")
        == b"QUEUED"
    )
    assert raw.command("EXEC") == [
        ("error", "ERR Cannot run RedisAI command within a transaction or a LUA script")
    ]


def test_getkeys(raw: RawConnection) -> None:
    keys = raw.command(
        "COMMAND", "GETKEYS", "AI.DAGEXECUTE", "LOAD", 2, "a", "b", "PERSIST", 1, "c", "ROUTING", "r",
        "|>", "AI.MODELEXECUTE", "m", "INPUTS", 1, "a", "OUTPUTS", 1, "c",
        "|>", "AI.SCRIPTEXECUTE", "s", "f", "INPUTS", 1, "c",
    )  # fmt: skip
    assert keys == [b"a", b"b", b"c", b"r", b"m", b"s"]
    keys = raw.command(
        "COMMAND", "GETKEYS", "AI.SCRIPTEXECUTE", "s", "f", "KEYS", 1, "k", "INPUTS", 2, "i1", "i2",
        "ARGS", 1, "x", "OUTPUTS", 1, "o",
    )  # fmt: skip
    assert keys == [b"s", b"k", b"i1", b"i2", b"o"]


# -- propagation -------------------------------------------------------------------------------


def test_persist_propagates_as_tensorset(make_server: Callable[..., ServerProcess]) -> None:
    proc = make_server("--appendonly", "yes", "--appendfsync", "always")
    with redis.Redis(host="127.0.0.1", port=proc.port, protocol=2) as c:
        assert c.execute_command("AI.MODELSTORE", "m", "ONNX", "CPU", "BLOB", ONNX_ADD) == b"OK"
        ok = c.execute_command(
            "AI.DAGEXECUTE", "PERSIST", 1, "kept", "|>", "AI.TENSORSET", "t", "FLOAT", 1, 2, "VALUES", 1, 2,
            "|>", "AI.MODELEXECUTE", "m", "INPUTS", 2, "t", "t", "OUTPUTS", 1, "kept",
        )  # fmt: skip
        assert ok == [b"OK", b"OK"]
        failed = c.execute_command(
            "AI.DAGEXECUTE", "PERSIST", 1, "lost", "|>", "AI.TENSORSET", "lost", "FLOAT", 3, "VALUES", 1, 2, 3,
            "|>", "AI.MODELEXECUTE", "m", "INPUTS", 2, "lost", "lost", "OUTPUTS", 1, "x",
        )  # fmt: skip
        assert failed[0] == b"OK" and isinstance(failed[1], redis.ResponseError)
        sync = c.execute_command(
            "AI.DAGEXECUTE", "PERSIST", 1, "sync", "|>", "AI.TENSORSET", "sync", "INT8", 1
        )
        assert sync == [b"OK"]
    with open(os.path.join(proc.dir, "appendonly.aof"), "rb") as fh:
        data = fh.read()
    assert (
        b"$12\r\nAI.TENSORSET\r\n$4\r\nkept\r\n$5\r\nFLOAT\r\n$1\r\n1\r\n$1\r\n2\r\n$4\r\nBLOB\r\n"
        in data
    )
    assert b"$12\r\nAI.TENSORSET\r\n$4\r\nsync\r\n$4\r\nINT8\r\n$1\r\n1\r\n$4\r\nBLOB\r\n" in data
    assert b"lost" not in data
    assert b"AI.DAGEXECUTE" not in data


# -- redisai-py ---------------------------------------------------------------------------------


def test_redisai_py_dag_api(server: ServerProcess, m: redis.Redis) -> None:
    rai = import_redisai()
    con = rai.Client(host="127.0.0.1", port=server.port)
    d = con.dag(load=["a", "b"], persist="out", routing="a")
    d.tensorset("c", np.array([[1, 1], [1, 1]], dtype=np.float32))
    d.modelexecute("pt", inputs=["a", "c"], outputs=["x"])
    d.scriptexecute("s", "addtwo", inputs=["x", "b"], outputs=["out"])
    d.tensorget("out")
    result = d.execute()
    assert result[:3] == ["OK", "OK", "OK"]
    assert result[3].tolist() == [[12, 23], [34, 45]]
    assert con.tensorget("out").tolist() == [[12, 23], [34, 45]]

    ro = con.dag(load="a", readonly=True, routing="a")
    ro.modelexecute("onnx", inputs=["a", "a"], outputs=["y"])
    ro.tensorget("y", as_numpy=False)
    result = ro.execute()
    assert result[0] == "OK"
    assert result[1]["values"] == [2, 4, 6, 8]

    with pytest.warns(DeprecationWarning):
        old = con.dag()  # no LOAD/PERSIST/ROUTING: AI.DAGRUN
    old.tensorset("x", np.array([[1, 2], [3, 4]], dtype=np.float32))
    with pytest.warns(DeprecationWarning):
        old.modelrun("pt", inputs=["x", "x"], outputs=["y"])
    old.tensorget("y")
    result = old.execute()
    assert result[:2] == ["OK", "OK"]
    assert result[2].tolist() == [[2, 4], [6, 8]]
