"""Models across restarts and in the append-only file: a snapshot keeps every model field
and the blob, and a restarted server builds the model again with a fresh AI.INFO entry;
the AOF holds AI.MODELSTORE verbatim and a run's outputs as AI.TENSORSET, never the run
(reference 4.5, DESIGN 7), and replaying it restores both."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import redis

from ..helpers import ServerProcess
from .model_helpers import model_bytes, onnx_add, tensorget, tensorset

ADD = onnx_add()


@pytest.fixture
def workdir() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="pyredisai-model-persist-") as path:
        yield path


def _restart(args: list[str], directory: str) -> ServerProcess:
    return ServerProcess(args, directory=directory).start()


def _meta(c: redis.Redis, key: str) -> list[object]:
    reply: list[object] = c.execute_command("AI.MODELGET", key)
    return reply


def test_snapshot_keeps_models(workdir: str) -> None:
    first = _restart([], workdir)
    try:
        c = first.client(protocol=2)
        c.execute_command(
            "AI.MODELSTORE",
            "m",
            "ONNX",
            "cpu",
            "TAG",
            "v1",
            "BATCHSIZE",
            4,
            "MINBATCHSIZE",
            2,
            "MINBATCHTIMEOUT",
            10,
            "BLOB",
            ADD,
        )
        c.execute_command(
            "AI.MODELSTORE",
            "g",
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
            model_bytes("graph.pb"),
        )
        c.expire("m", 1000)
        before = {key: _meta(c, key) for key in ("m", "g")}
        assert c.save() is True
        c.close()
    finally:
        first.stop()
    second = _restart([], workdir)
    try:
        c = second.client(protocol=2)
        assert c.type("m") == b"AI__MODEL"
        assert {key: _meta(c, key) for key in ("m", "g")} == before
        assert 0 < c.ttl("m") <= 1000
        info = c.execute_command("AI.INFO", "g")
        assert info[:2] == [b"key", b"g"] and info[info.index(b"calls") + 1] == 0
        tensorset(c, "a", np.array([2, 3], np.float32))
        c.execute_command("AI.MODELEXECUTE", "g", "INPUTS", 2, "a", "a", "OUTPUTS", 1, "o")
        assert tensorget(c, "o").tolist() == [4, 9]
        assert sorted(c.execute_command("AI._MODELSCAN")) == [[b"g", b""], [b"m", b"v1"]]
        c.close()
    finally:
        second.cleanup()


def test_aof_has_stores_and_outputs_not_runs(workdir: str) -> None:
    args = ["--appendonly", "yes", "--appendfsync", "always"]
    first = _restart(args, workdir)
    try:
        c = first.client(protocol=2)
        c.execute_command("AI.MODELSTORE", "m", "ONNX", "CPU", "BLOB", ADD[:40], ADD[40:])
        tensorset(c, "a", np.array([[1, 2]], np.float32))
        assert (
            c.execute_command("AI.MODELEXECUTE", "m", "INPUTS", 2, "a", "a", "OUTPUTS", 1, "o")
            == b"OK"
        )
        c.execute_command("AI.MODELRUN", "m", "INPUTS", "a", "o", "OUTPUTS", "p")
        c.close()
    finally:
        first.stop()
    aof = (Path(workdir) / "appendonly.aof").read_bytes()
    assert b"AI.MODELEXECUTE" not in aof and b"AI.MODELRUN" not in aof
    assert b"AI.MODELSTORE" in aof and ADD[:40] in aof and ADD[40:] in aof
    assert aof.count(b"AI.TENSORSET") == 3  # the input and two outputs
    second = _restart(args, workdir)
    try:
        c = second.client(protocol=2)
        assert tensorget(c, "o").tolist() == [[2, 4]]
        assert tensorget(c, "p").tolist() == [[3, 6]]
        assert c.execute_command("AI.MODELGET", "m", "BLOB") == ADD
        c.close()
    finally:
        second.cleanup()
