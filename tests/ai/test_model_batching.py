"""Concurrency around model runs: auto-batching under 32 concurrent clients (each gets its
own rows back), MINBATCHSIZE/MINBATCHTIMEOUT, TIMEOUT answering TIMEDOUT behind a slow
model, other clients served while a ~1 s model runs, a model stored again (or deleted)
while it runs, a client that disconnects while blocked, and pipelined commands waiting
behind a run.

The server runs PyTorch on one intra-op thread, so the slow TorchScript model built here
takes about as long as it did when calibrated in this process."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
import redis

from ..helpers import RawConnection, ServerProcess
from .model_helpers import (
    clients,
    flush,
    onnx_add,
    onnx_batch_probe,
    raw_conn,
    tensorget,
    tensorset,
    torch_slow,
)

torch = pytest.importorskip("torch")

PROBE = onnx_batch_probe()


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    proc = ServerProcess(["--intra-op-parallelism", "1"]).start()
    yield proc
    proc.cleanup()


@pytest.fixture(scope="module")
def slow_blob() -> bytes:
    return torch_slow(1.0)


@pytest.fixture
def c(server: ServerProcess) -> Iterator[redis.Redis]:
    yield from clients(server)


def _info(c: redis.Redis, key: str) -> dict[bytes, Any]:
    reply = c.execute_command("AI.INFO", key)
    return dict(zip(reply[::2], reply[1::2], strict=True))


def _run_clients(server: ServerProcess, n: int, work: Any) -> list[Any]:
    """Run `work(client, index)` on n connections at once (released together)."""
    barrier = threading.Barrier(n)

    def one(index: int) -> Any:
        client = server.client(protocol=2)
        try:
            barrier.wait(30)
            return work(client, index)
        finally:
            client.close()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def _rows(index: int) -> np.ndarray:
    rows = 1 + index % 2
    return np.arange(rows * 2, dtype=np.float32).reshape(rows, 2) + 100 * index


def test_32_clients_form_one_batch_and_get_their_own_rows(
    server: ServerProcess, c: redis.Redis
) -> None:
    total = sum(len(_rows(i)) for i in range(32))  # 48 rows
    c.execute_command(
        "AI.MODELSTORE",
        "probe",
        "ONNX",
        "CPU",
        "BATCHSIZE",
        total,
        "MINBATCHSIZE",
        total,
        "MINBATCHTIMEOUT",
        20000,
        "BLOB",
        PROBE,
    )
    for i in range(32):
        tensorset(c, f"x{i}", _rows(i))

    def work(client: redis.Redis, i: int) -> tuple[np.ndarray, np.ndarray]:
        assert (
            client.execute_command(
                "AI.MODELEXECUTE", "probe", "INPUTS", 1, f"x{i}", "OUTPUTS", 2, f"y{i}", f"n{i}"
            )
            == b"OK"
        )
        return tensorget(client, f"y{i}"), tensorget(client, f"n{i}")

    results = _run_clients(server, 32, work)
    for i, (y, n) in enumerate(results):
        np.testing.assert_array_equal(y, _rows(i) * 2)
        assert n.shape == _rows(i).shape and (n == total).all()  # all 32 ran as one batch
    info = _info(c, "probe")
    assert info[b"calls"] == 32 and info[b"samples"] == total and info[b"errors"] == 0


def test_opportunistic_batching_keeps_every_callers_rows(
    server: ServerProcess, c: redis.Redis
) -> None:
    c.execute_command("AI.MODELSTORE", "probe", "ONNX", "CPU", "BATCHSIZE", 8, "BLOB", PROBE)
    for i in range(32):
        tensorset(c, f"x{i}", _rows(i))
    rounds = 15

    def work(client: redis.Redis, i: int) -> list[int]:
        seen = []
        for _ in range(rounds):
            client.execute_command(
                "AI.MODELEXECUTE", "probe", "INPUTS", 1, f"x{i}", "OUTPUTS", 2, f"y{i}", f"n{i}"
            )
            np.testing.assert_array_equal(tensorget(client, f"y{i}"), _rows(i) * 2)
            seen.append(int(tensorget(client, f"n{i}")[0, 0]))
        return seen

    batch_sizes = [n for seen in _run_clients(server, 32, work) for n in seen]
    info = _info(c, "probe")
    assert info[b"calls"] == 32 * rounds
    assert info[b"samples"] == rounds * sum(len(_rows(i)) for i in range(32))
    assert max(batch_sizes) > 2  # requests that met in the queue ran together


def test_minbatchtimeout_runs_a_small_batch(c: redis.Redis) -> None:
    c.execute_command(
        "AI.MODELSTORE",
        "probe",
        "ONNX",
        "CPU",
        "BATCHSIZE",
        4,
        "MINBATCHSIZE",
        4,
        "MINBATCHTIMEOUT",
        200,
        "BLOB",
        PROBE,
    )
    tensorset(c, "x", np.ones((1, 2), np.float32))
    start = time.monotonic()
    c.execute_command("AI.MODELEXECUTE", "probe", "INPUTS", 1, "x", "OUTPUTS", 2, "y", "n")
    assert time.monotonic() - start >= 0.19
    assert tensorget(c, "n").tolist() == [[1, 1]]


def _start_slow(server: ServerProcess, key: str, out: str) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []

    def run() -> None:
        client = server.client(protocol=2)
        try:
            start = time.monotonic()
            reply = client.execute_command(
                "AI.MODELEXECUTE", key, "INPUTS", 1, "x", "OUTPUTS", 1, out
            )
            result.append((reply, time.monotonic() - start, tensorget(client, out)))
        finally:
            client.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def _wait_running(c: redis.Redis, seconds: float = 0.3) -> None:
    time.sleep(seconds)  # the slow run has been taken by the CPU worker by now


def test_timeout_gives_timedout_behind_a_slow_model(
    server: ServerProcess, c: redis.Redis, slow_blob: bytes
) -> None:
    c.execute_command("AI.MODELSTORE", "slow", "TORCH", "CPU", "BLOB", slow_blob)
    c.execute_command("AI.MODELSTORE", "fast", "ONNX", "CPU", "BLOB", onnx_add())
    tensorset(c, "x", np.array([[1, 2]], np.float32))
    thread, result = _start_slow(server, "slow", "y")
    _wait_running(c)
    reply = c.execute_command(
        "AI.MODELEXECUTE", "fast", "INPUTS", 2, "x", "x", "OUTPUTS", 1, "o", "TIMEOUT", 50
    )
    assert reply == b"TIMEDOUT"
    assert c.exists("o") == 0
    assert _info(c, "fast")[b"calls"] == 0  # timed-out runs count nothing
    thread.join(30)
    assert result and result[0][0] == b"OK"
    assert (
        c.execute_command(
            "AI.MODELEXECUTE", "fast", "INPUTS", 2, "x", "x", "OUTPUTS", 1, "o", "TIMEOUT", 5000
        )
        == b"OK"
    )
    assert tensorget(c, "o").tolist() == [[2, 4]]


def test_other_clients_are_served_while_a_model_runs(
    server: ServerProcess, c: redis.Redis, slow_blob: bytes
) -> None:
    c.execute_command("AI.MODELSTORE", "slow", "TORCH", "CPU", "BLOB", slow_blob)
    tensorset(c, "x", np.array([1.0], np.float32))
    thread, result = _start_slow(server, "slow", "y")
    _wait_running(c, 0.15)
    worst = 0.0
    pings = 0
    while thread.is_alive() and pings < 200:
        start = time.perf_counter()
        assert c.ping() is True
        worst = max(worst, time.perf_counter() - start)
        pings += 1
        time.sleep(0.005)
    thread.join(30)
    assert result[0][0] == b"OK" and result[0][1] > 0.3
    assert pings > 10
    assert worst < 0.1, f"a PING took {worst * 1000:.1f} ms while the model ran"


def test_store_over_a_running_model(
    server: ServerProcess, c: redis.Redis, slow_blob: bytes
) -> None:
    c.execute_command("AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", slow_blob)
    tensorset(c, "x", np.array([1.0, 2.0], np.float32))
    thread, result = _start_slow(server, "m", "y")
    _wait_running(c)
    start = time.monotonic()
    assert (
        c.execute_command("AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", torch_slow(0.0, value=3.0))
        == b"OK"
    )
    stored_after = time.monotonic() - start
    assert thread.is_alive(), "the store waited for the running model"
    assert stored_after < 0.5
    thread.join(30)
    reply, _elapsed, y = result[0]
    assert reply == b"OK" and y.tolist() == [1.0, 2.0]  # the run finished with its version
    assert _info(c, "m")[b"calls"] == 0  # the new value has a fresh entry
    c.execute_command("AI.MODELEXECUTE", "m", "INPUTS", 1, "x", "OUTPUTS", 1, "y")
    assert tensorget(c, "y").tolist() == [3.0, 6.0]
    assert _info(c, "m")[b"calls"] == 1


def test_delete_while_running(server: ServerProcess, c: redis.Redis, slow_blob: bytes) -> None:
    c.execute_command("AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", slow_blob)
    tensorset(c, "x", np.array([5.0], np.float32))
    thread, result = _start_slow(server, "m", "y")
    _wait_running(c)
    assert c.execute_command("AI.MODELDEL", "m") == b"OK"
    with pytest.raises(redis.ResponseError, match="cannot find run info"):
        c.execute_command("AI.INFO", "m")
    thread.join(30)
    assert result[0][0] == b"OK" and result[0][2].tolist() == [5.0]


def test_disconnected_client_gets_no_outputs(
    server: ServerProcess, c: redis.Redis, slow_blob: bytes
) -> None:
    c.execute_command("AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", torch_slow(0.4))
    tensorset(c, "x", np.array([5.0], np.float32))
    conn = RawConnection(server.port)
    conn.send(
        b"*8\r\n$15\r\nAI.MODELEXECUTE\r\n$1\r\nm\r\n$6\r\nINPUTS\r\n$1\r\n1\r\n$1\r\nx\r\n"
        b"$7\r\nOUTPUTS\r\n$1\r\n1\r\n$3\r\nout\r\n"
    )
    time.sleep(0.1)
    conn.close()
    deadline = time.monotonic() + 20
    while _info(c, "m")[b"calls"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _info(c, "m")[b"calls"] == 1  # the run happened and was counted
    time.sleep(0.05)
    assert c.exists("out") == 0  # but nobody was left to write its outputs for


def test_pipelined_commands_wait_behind_the_run(server: ServerProcess, c: redis.Redis) -> None:
    c.execute_command("AI.MODELSTORE", "m", "TORCH", "CPU", "BLOB", torch_slow(0.3, value=2.0))
    tensorset(c, "x", np.array([1.5], np.float32))
    c.set("k", "v")
    pipe = c.pipeline(transaction=False)
    pipe.execute_command("AI.MODELEXECUTE", "m", "INPUTS", 1, "x", "OUTPUTS", 1, "y")
    pipe.get("k")
    pipe.execute_command("AI.TENSORGET", "y", "VALUES")
    pipe.execute_command("AI.MODELEXECUTE", "m", "INPUTS", 1, "y", "OUTPUTS", 1, "z")
    pipe.execute_command("AI.TENSORGET", "z", "VALUES")
    assert pipe.execute() == [b"OK", b"v", [b"3"], b"OK", [b"6"]]


def test_raw_reply_of_timedout_is_a_simple_string(
    server: ServerProcess, c: redis.Redis, slow_blob: bytes
) -> None:
    c.execute_command("AI.MODELSTORE", "slow", "TORCH", "CPU", "BLOB", slow_blob)
    c.execute_command("AI.MODELSTORE", "fast", "ONNX", "CPU", "BLOB", onnx_add())
    tensorset(c, "x", np.array([[1, 2]], np.float32))
    thread, _result = _start_slow(server, "slow", "y")
    _wait_running(c)
    conn = raw_conn(server)
    try:
        conn.send(
            b"*11\r\n$15\r\nAI.MODELEXECUTE\r\n$4\r\nfast\r\n$6\r\nINPUTS\r\n$1\r\n2\r\n"
            b"$1\r\nx\r\n$1\r\nx\r\n$7\r\nOUTPUTS\r\n$1\r\n1\r\n$1\r\no\r\n"
            b"$7\r\nTIMEOUT\r\n$1\r\n1\r\n"
        )
        assert conn.read_line() == b"+TIMEDOUT"
    finally:
        conn.close()
        thread.join(30)


def test_flush_helper_leaves_server_usable(c: redis.Redis) -> None:
    flush(c)
    assert c.ping() is True
