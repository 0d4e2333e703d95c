"""AI.INFO (run statistics, RESETSTAT), AI.CONFIG (reference section 10), the `ai_*`
sections of INFO MODULES (redisai-config-persistence.md section 2.2), a framework that is
not installed, and the engine's runtime settings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import redis

from ..helpers import RawConnection, ServerProcess
from .model_helpers import clients, connect, err, onnx_add, raw_conn, tensorset

ADD = onnx_add()


@pytest.fixture
def c(server: ServerProcess) -> Iterator[redis.Redis]:
    yield from clients(server)


@pytest.fixture
def raw(server: ServerProcess, c: redis.Redis) -> Iterator[RawConnection]:
    conn = raw_conn(server)
    yield conn
    conn.close()


def _info(c: redis.Redis, key: str) -> dict[bytes, object]:
    reply = c.execute_command("AI.INFO", key)
    return dict(zip(reply[::2], reply[1::2], strict=True))


def _run(c: redis.Redis, a: str = "a") -> object:
    return c.execute_command("AI.MODELEXECUTE", "m", "INPUTS", 2, a, "b", "OUTPUTS", 1, "o")


@pytest.fixture
def model(c: redis.Redis) -> redis.Redis:
    c.execute_command("AI.MODELSTORE", "m", "ONNX", "cpu", "TAG", "v1", "BLOB", ADD)
    tensorset(c, "a", np.ones((2, 2), np.float32))
    tensorset(c, "b", np.ones((2, 2), np.float32))
    tensorset(c, "bad", np.ones((2, 2), np.int32))
    return c


# -- AI.INFO -------------------------------------------------------------------------------


def test_info_counts_runs(model: redis.Redis) -> None:
    assert _info(model, "m") == {
        b"key": b"m", b"type": b"MODEL", b"backend": b"ONNX", b"device": b"cpu", b"tag": b"v1",
        b"duration": 0, b"samples": 0, b"calls": 0, b"errors": 0,
    }  # fmt: skip
    for _ in range(3):
        _run(model)
    info = _info(model, "m")
    assert info[b"calls"] == 3 and info[b"samples"] == 6 and info[b"errors"] == 0
    assert isinstance(info[b"duration"], int) and info[b"duration"] > 0
    with pytest.raises(redis.ResponseError):
        _run(model, "bad")
    after = _info(model, "m")
    assert after[b"calls"] == 4 and after[b"errors"] == 1
    assert after[b"samples"] == 6 and after[b"duration"] == info[b"duration"]


def test_info_reply_layout(model: redis.Redis, raw: RawConnection) -> None:
    reply = raw.command("AI.INFO", "m")
    assert isinstance(reply, list) and len(reply) == 18
    assert reply[::2] == [
        b"key",
        b"type",
        b"backend",
        b"device",
        b"tag",
        b"duration",
        b"samples",
        b"calls",
        b"errors",
    ]


def test_info_is_a_flat_array_in_resp3_too(server: ServerProcess, model: redis.Redis) -> None:
    client = connect(server, protocol=3)
    try:
        reply = client.execute_command("AI.INFO", "m")
    finally:
        client.close()
    assert isinstance(reply, list) and reply[:2] == [b"key", b"m"]


def test_resetstat(model: redis.Redis, raw: RawConnection) -> None:
    _run(model)
    assert model.execute_command("AI.INFO", "m", "resetstat") == b"OK"
    info = _info(model, "m")
    assert (info[b"calls"], info[b"samples"], info[b"duration"], info[b"errors"]) == (0, 0, 0, 0)
    assert info[b"tag"] == b"v1"
    _run(model)
    assert model.execute_command("AI.INFO", "m", "SOMETHING")[14:16] == [b"calls", 1]


def test_info_errors(model: redis.Redis, raw: RawConnection) -> None:
    assert err(raw, "AI.INFO") == "ERR wrong number of arguments for 'AI.INFO' command"
    assert (
        err(raw, "ai.info", "m", "RESETSTAT", "x")
        == "ERR wrong number of arguments for 'ai.info' command"
    )
    assert err(raw, "AI.INFO", "nothing") == "ERR cannot find run info for key"
    assert err(raw, "AI.INFO", "a") == "ERR cannot find run info for key"  # a tensor
    assert err(raw, "AI.INFO", "nothing", "RESETSTAT") == "ERR cannot find run info for key"


# -- AI.CONFIG -------------------------------------------------------------------------------


def test_config_model_chunk_size(c: redis.Redis, raw: RawConnection) -> None:
    assert c.execute_command("AI.CONFIG", "GET", "MODEL_CHUNK_SIZE") == 535822336
    try:
        assert c.execute_command("AI.CONFIG", "MODEL_CHUNK_SIZE", 1024) == b"OK"
        assert c.execute_command("AI.CONFIG", "get", "model_chunk_size") == 1024
        try:
            assert c.config_get("model-chunk-size") == {"model-chunk-size": "1024"}
        except redis.ResponseError:  # pragma: no cover - before CONFIG GET exists
            pass
        for bad in ("0", "-1", "x", "1.5", "+5"):
            assert err(raw, "AI.CONFIG", "MODEL_CHUNK_SIZE", bad) == (
                "ERR MODEL_CHUNK_SIZE: invalid chunk size"
            )
        assert (
            err(raw, "AI.CONFIG", "MODEL_CHUNK_SIZE") == "ERR MODEL_CHUNK_SIZE: missing chunk size"
        )
    finally:
        c.execute_command("AI.CONFIG", "MODEL_CHUNK_SIZE", 535822336)


def test_config_backendspath(c: redis.Redis, raw: RawConnection) -> None:
    default = c.execute_command("AI.CONFIG", "GET", "BACKENDSPATH")
    assert default.endswith(b"/backends") and Path(default.decode()).is_dir()
    try:
        assert c.execute_command("AI.CONFIG", "BACKENDSPATH", "relative/../x y") == b"OK"
        assert c.execute_command("AI.CONFIG", "GET", "BACKENDSPATH") == b"relative/../x y"
    finally:
        c.execute_command("AI.CONFIG", "BACKENDSPATH", default)
    assert err(raw, "AI.CONFIG", "BACKENDSPATH") == "ERR BACKENDSPATH: missing path argument"


def test_config_errors(raw: RawConnection) -> None:
    assert err(raw, "AI.CONFIG") == "ERR wrong number of arguments for 'AI.CONFIG' command"
    assert err(raw, "AI.CONFIG", "bad") == "ERR unsupported subcommand"
    assert err(raw, "AI.CONFIG", "GET") == "ERR wrong number of arguments for 'AI.CONFIG' command"
    assert raw.command("AI.CONFIG", "GET", "nothing") is None
    assert err(raw, "AI.CONFIG", "LOADBACKEND", "TORCH") == (
        "ERR wrong number of arguments for 'AI.CONFIG' command"
    )
    assert err(raw, "AI.CONFIG", "LOADBACKEND", "CAFFE", "x") == "ERR unsupported backend"


def test_loadbackend_once(make_server: Callable[..., ServerProcess]) -> None:
    fresh = make_server()
    conn = raw_conn(fresh)
    try:
        modules = conn.command("INFO", "MODULES")
        assert isinstance(modules, bytes)
        assert _section(modules, "ai_backends_info") == []
        assert (
            conn.command("AI.CONFIG", "LOADBACKEND", "TFLITE", "redisai_tflite/redisai_tflite.so")
            == b"OK"
        )
        assert err(conn, "AI.CONFIG", "LOADBACKEND", "tflite", "x") == "ERR error loading backend"
        modules = conn.command("INFO", "MODULES")
        assert isinstance(modules, bytes)
        assert _section(modules, "ai_backends_info") == ["ai_TensorFlowLite_version:NA"]
    finally:
        conn.close()


def test_missing_framework(make_server: Callable[..., ServerProcess], tmp_path: Path) -> None:
    """A server that cannot import onnxruntime: RedisAI's texts, and the log names the
    pip extra to install."""
    fake = tmp_path / "onnxruntime"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('onnxruntime is hidden by the test')\n")
    import os

    path = os.pathsep.join(p for p in (str(tmp_path), os.environ.get("PYTHONPATH", "")) if p)
    proc = make_server(env={"PYTHONPATH": path})
    conn = raw_conn(proc)
    try:
        assert (
            err(conn, "AI.MODELSTORE", "m", "ONNX", "CPU", "BLOB", ADD)
            == "ERR Could not load backend"
        )
        assert err(conn, "AI.CONFIG", "LOADBACKEND", "ONNX", "x") == "ERR error loading backend"
        assert conn.command("EXISTS", "m") == 0
        assert conn.command("PING") == b"PONG"
    finally:
        conn.close()
    assert "pip install 'pyredisai[onnx]'" in proc.read_log()


# -- INFO MODULES ------------------------------------------------------------------------------


def _section(text: bytes, name: str) -> list[str]:
    lines = text.decode().split("\r\n")
    start = lines.index(f"# {name}") + 1
    out = []
    for line in lines[start:]:
        if not line or line.startswith("#"):
            break
        out.append(line)
    return out


def test_info_modules_sections(make_server: Callable[..., ServerProcess]) -> None:
    fresh = make_server("--threads-per-queue", "2")
    conn = raw_conn(fresh)
    try:
        assert conn.command("AI.MODELSTORE", "m", "ONNX", "CPU:1", "BLOB", ADD) == b"OK"
        text = conn.command("INFO", "MODULES")
    finally:
        conn.close()
    assert isinstance(text, bytes)
    titles = [line for line in text.decode().split("\r\n") if line.startswith("#")]
    assert titles == [
        "# Modules",
        "# ai_versions",
        "# ai_git",
        "# ai_load_time_configs",
        "# ai_backends_info",
        "# ai_cpu",
    ]
    assert _section(text, "ai_versions") == [
        "ai_RedisAI_version:1.2.7",
        "ai_low_level_API_version:1",
        "ai_rdb_version:4",
    ]
    assert [f.split(":")[0] for f in _section(text, "ai_git")] == ["ai_git_sha"]
    assert _section(text, "ai_load_time_configs") == [
        "ai_threads_per_queue:2",
        "ai_inter_op_parallelism:0",
        "ai_intra_op_parallelism:0",
        "ai_model_execution_timeout:5000",
        "ai_backend_memory_limit:0",
    ]
    backends = dict(f.split(":", 1) for f in _section(text, "ai_backends_info"))
    assert list(backends) == [
        "ai_onnxruntime_version",
        "ai_onnxruntime_memory",
        "ai_onnxruntime_memory_access_num",
        "ai_onnxruntime_maximum_run_sessions_number",
    ]
    assert backends["ai_onnxruntime_maximum_run_sessions_number"] == "4"  # 2 threads x 2 queues
    cpu = [f.rsplit(":", 1)[0] for f in _section(text, "ai_cpu")]
    assert cpu == [
        "ai_self_used_cpu_sys",
        "ai_self_used_cpu_user",
        "ai_children_used_cpu_sys",
        "ai_children_used_cpu_user",
        "ai_main_thread_used_cpu_sys",
        "ai_main_thread_used_cpu_user",
        "ai_queue_CPU_bthread_n1_used_cpu_total",
        "ai_queue_CPU_bthread_n2_used_cpu_total",
        "ai_queue_CPU:1_bthread_n1_used_cpu_total",
        "ai_queue_CPU:1_bthread_n2_used_cpu_total",
    ]
    value = _section(text, "ai_cpu")[0].split(":", 1)[1]
    whole, _, micros = value.partition(".")
    assert whole.isdigit() and len(micros) == 6 and micros.isdigit()


def test_engine_follows_runtime_settings(tmp_path: Path) -> None:
    from pyredisai.commands.ai_common import get_engine
    from pyredisai.config import Config
    from pyredisai.server import Server

    loop = asyncio.new_event_loop()
    try:
        config = Config()
        config.load_string(f'save ""\ndir {tmp_path}\n')  # shutdown hooks must not save here
        config.set_text("threads-per-queue", "3", startup=True)
        server = Server(config)
        server.loop = loop
        engine = get_engine(server)
        assert get_engine(server) is engine
        assert list(engine.queues) == ["CPU"] and len(engine.queues["CPU"].threads) == 3
        assert engine.inline_budget_us == 200
        config.set_text("inline-run-budget-us", "0")
        assert engine.inline_budget_us == 0
        for hook in server.shutdown_hooks:
            hook(None)
        assert engine.closed
    finally:
        loop.close()
