"""AI.MODELSTORE / MODELSET / MODELGET / MODELDEL / MODELEXECUTE / MODELRUN / _MODELSCAN:
argument parsing, every error in RedisAI's check order (reference section 4, exact wire
texts through raw sockets, so the ERR prefix or its absence is checked too), and how model
keys behave with the generic key commands and the statistics table (sections 2.2, 9).

ONNX models built with onnx.helper keep this file fast; backend-specific behaviour is in
test_model_<backend>.py."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import redis

from ..helpers import RawConnection, ServerProcess, command_bytes
from .model_helpers import (
    clients,
    err,
    model_bytes,
    onnx_add,
    onnx_multi,
    onnx_sum,
    raw_conn,
    tensorget,
    tensorset,
)

ADD = onnx_add()
MULTI = onnx_multi()
SUM4 = onnx_sum(4)
SUM6 = onnx_sum(6)
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


@pytest.fixture
def c(server: ServerProcess) -> Iterator[redis.Redis]:
    yield from clients(server)


@pytest.fixture
def raw(server: ServerProcess, c: redis.Redis) -> Iterator[RawConnection]:
    conn = raw_conn(server)
    yield conn
    conn.close()


def store_add(c: redis.Redis, key: str = "m", *opts: object) -> None:
    assert c.execute_command("AI.MODELSTORE", key, "ONNX", "CPU", *opts, "BLOB", ADD) == b"OK"


def set_inputs(c: redis.Redis) -> None:
    tensorset(c, "a", np.array([[1, 2]], np.float32))
    tensorset(c, "b", np.array([[10, 20]], np.float32))


# -- AI.MODELSTORE ------------------------------------------------------------------------------


def test_modelstore_stores_and_runs(c: redis.Redis) -> None:
    store_add(c)
    set_inputs(c)
    assert (
        c.execute_command("AI.MODELEXECUTE", "m", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "o") == b"OK"
    )
    assert tensorget(c, "o").tolist() == [[11, 22]]
    assert c.type("m") == b"AI__MODEL"


def test_modelstore_arity_names_command_as_typed(raw: RawConnection) -> None:
    assert err(raw, "AI.MODELSTORE", "m", "TORCH", "BLOB", "x") == (
        "ERR wrong number of arguments for 'AI.MODELSTORE' command"
    )
    assert (
        err(raw, "ai.ModelStore", "m")
        == "ERR wrong number of arguments for 'ai.ModelStore' command"
    )


def test_modelstore_unsupported_backend(raw: RawConnection) -> None:
    assert err(raw, "AI.MODELSTORE", "m", "CAFFE", "CPU", "BLOB", "x") == "ERR unsupported backend"
    assert err(raw, "AI.MODELSTORE", "m", "CAFFE", "bad", "BLOB", "x") == "ERR unsupported backend"


@pytest.mark.parametrize("device", ["CPU:123456", "CPU::", "CPU:1.8", "bad_device", "cpuXYZ"])
def test_modelstore_invalid_device(raw: RawConnection, device: str) -> None:
    assert err(raw, "AI.MODELSTORE", "m", "ONNX", device, "BLOB", "x") == "ERR Invalid DEVICE"


@pytest.mark.parametrize("device", ["cpu", "CPU", "CPU:", "cpu:1", "CPU:12345"])
def test_modelstore_device_kept_as_given(c: redis.Redis, device: str) -> None:
    assert c.execute_command("AI.MODELSTORE", "m", "ONNX", device, "BLOB", ADD) == b"OK"
    meta = c.execute_command("AI.MODELGET", "m", "META")
    assert meta[2:4] == [b"device", device.encode()]


@pytest.mark.parametrize(
    ("opts", "error"),
    [
        (["BATCHSIZE", "x"], "ERR Invalid argument for BATCHSIZE"),
        (["BATCHSIZE", "-1"], "ERR Invalid argument for BATCHSIZE"),
        (["BATCHSIZE", "2.5"], "ERR Invalid argument for BATCHSIZE"),
        (["BATCHSIZE", "2", "MINBATCHSIZE", "x"], "ERR Invalid argument for MINBATCHSIZE"),
        (["MINBATCHSIZE", "2"], "ERR MINBATCHSIZE specified without BATCHSIZE"),
        (["BATCHSIZE", "0", "MINBATCHSIZE", "2"], "ERR MINBATCHSIZE specified without BATCHSIZE"),
        (
            ["BATCHSIZE", "2", "MINBATCHSIZE", "2", "MINBATCHTIMEOUT", "x"],
            "ERR Invalid argument for MINBATCHTIMEOUT",
        ),
        (
            ["BATCHSIZE", "2", "MINBATCHTIMEOUT", "5"],
            "ERR MINBATCHTIMEOUT specified without MINBATCHSIZE",
        ),
        (["TAG", "t"], "ERR Insufficient arguments, missing model BLOB"),
        (["BATCHSIZE", "2", "NOT_BLOB"], "ERR Invalid argument, expected BLOB"),
        (["BATCHSIZE", "2", "TAG", "t"], "ERR Invalid argument, expected BLOB"),
        (["INPUTS", "1", "a"], "ERR INPUTS argument should not be specified for this backend"),
        (["OUTPUTS", "1", "a"], "ERR Invalid argument, expected BLOB"),
        (["TAG", "t", "BLOB"], "ERR Insufficient arguments, missing model BLOB"),
    ],
)
def test_modelstore_option_errors(raw: RawConnection, opts: list[str], error: str) -> None:
    assert err(raw, "AI.MODELSTORE", "m", "ONNX", "CPU", *opts) == error


def test_modelstore_batch_options_accept_integral_doubles_and_zeros(c: redis.Redis) -> None:
    store_add(c, "m", "BATCHSIZE", "2.0", "MINBATCHSIZE", "0x2", "MINBATCHTIMEOUT", "1e1")
    meta = c.execute_command("AI.MODELGET", "m", "META")
    assert meta[6:12] == [b"batchsize", 2, b"minbatchsize", 2, b"inputs", [b"a", b"b"]]
    assert meta[14:16] == [b"minbatchtimeout", 10]
    store_add(c, "z", "MINBATCHSIZE", "0", "MINBATCHTIMEOUT", "0")
    # MINBATCHSIZE larger than BATCHSIZE is not checked
    store_add(c, "big", "BATCHSIZE", "2", "MINBATCHSIZE", "8")


@pytest.mark.parametrize(
    ("opts", "error"),
    [
        (["BLOB", "x"], "ERR INPUTS not specified for TF"),
        (["INPUTS", "x", "a"], "ERR Invalid argument for input_count"),
        (["INPUTS", "0", "a"], "ERR Invalid argument for input_count"),
        (
            ["INPUTS", "3", "a", "b"],
            "ERR number of model inputs does not match the number of given arguments",
        ),
        (["INPUTS", "1", "a", "BLOB", "x"], "ERR OUTPUTS not specified for TF"),
        (["INPUTS", "1", "a"], "ERR OUTPUTS not specified for TF"),
        (["INPUTS", "1", "a", "OUTPUTS"], "ERR Invalid argument for output_count"),
        (["INPUTS", "1", "a", "OUTPUTS", "0", "x"], "ERR Invalid argument for output_count"),
        (
            ["INPUTS", "1", "a", "OUTPUTS", "2", "mul"],
            "ERR number of model outputs does not match the number of given arguments",
        ),
        (["INPUTS", "1", "a", "OUTPUTS", "1", "mul"], "ERR Invalid argument, expected BLOB"),
        (
            ["INPUTS", "1", "a", "OUTPUTS", "1", "mul", "NOTBLOB", "x"],
            "ERR Invalid argument, expected BLOB",
        ),
        (
            ["INPUTS", "1", "a", "OUTPUTS", "1", "mul", "BLOB"],
            "ERR Insufficient arguments, missing model BLOB",
        ),
    ],
)
def test_modelstore_tf_io_errors(raw: RawConnection, opts: list[str], error: str) -> None:
    assert err(raw, "AI.MODELSTORE", "m", "TF", "CPU", *opts) == error


def test_modelstore_bad_blob_is_the_backend_message(raw: RawConnection) -> None:
    from pyredisai.backends.base import BackendError, ModelOptions
    from pyredisai.backends.registry import get_backend

    with pytest.raises(BackendError) as expected:
        get_backend("ONNX").load(b"not a model", "CPU", ModelOptions())
    assert (
        err(raw, "AI.MODELSTORE", "m", "ONNX", "CPU", "BLOB", "not a model")
        == expected.value.message
    )
    assert raw.command("EXISTS", "m") == 0


def test_modelstore_chunked_blob(c: redis.Redis) -> None:
    chunks = [ADD[:10], ADD[10:100], ADD[100:]]
    assert c.execute_command("AI.MODELSTORE", "m", "ONNX", "CPU", "BLOB", *chunks) == b"OK"
    assert c.execute_command("AI.MODELGET", "m", "BLOB") == ADD
    set_inputs(c)
    c.execute_command("AI.MODELEXECUTE", "m", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "o")
    assert tensorget(c, "o").tolist() == [[11, 22]]


def test_modelstore_wrongtype_only_after_the_model_is_built(raw: RawConnection) -> None:
    raw.command("SET", "s", "string")
    assert not err(raw, "AI.MODELSTORE", "s", "ONNX", "CPU", "BLOB", "junk").startswith("WRONGTYPE")
    assert err(raw, "AI.MODELSTORE", "s", "ONNX", "CPU", "BLOB", ADD) == WRONGTYPE
    assert raw.command("GET", "s") == b"string"


def test_modelstore_keywords_case_insensitive_and_tag(c: redis.Redis) -> None:
    assert (
        c.execute_command(
            "ai.modelstore", "m", "onnx", "cpu", "tag", "v1", "batchsize", 4, "blob", ADD
        )
        == b"OK"
    )
    assert c.execute_command("AI.MODELGET", "m", "META") == [
        b"backend", b"ONNX", b"device", b"cpu", b"tag", b"v1", b"batchsize", 4,
        b"minbatchsize", 0, b"inputs", [b"a", b"b"], b"outputs", [b"sum"],
        b"minbatchtimeout", 0,
    ]  # fmt: skip


def test_modelstore_overwrite_clears_ttl(c: redis.Redis) -> None:
    store_add(c)
    c.expire("m", 100)
    assert c.ttl("m") > 0
    store_add(c)
    assert c.ttl("m") == -1


def test_modelstore_empty_tag(c: redis.Redis) -> None:
    store_add(c, "m", "TAG", "")
    assert c.execute_command("AI.MODELGET", "m", "META")[4:6] == [b"tag", b""]


# -- AI.MODELSET (deprecated) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["m", "BLOB"], "ERR wrong number of arguments for 'AI.MODELSET' command"),
        (["m", "CAFFE", "CPU", "BLOB", "x"], "ERR unsupported backend"),
        (["m", "TORCH", "BLOB", "x"], "ERR Invalid DEVICE"),
        (["m", "TORCH", "tag", "x"], "ERR Invalid DEVICE"),
        (["m", "TORCH", "CPU:1234567", "BLOB", "x"], "ERR Invalid DEVICE"),
        (
            ["m", "TFLITE", "CPU", "BATCHSIZE", "2", "BLOB", "x"],
            "ERR Auto-batching not supported by the TFLITE backend",
        ),
        (["m", "ONNX", "CPU", "BATCHSIZE", "x", "BLOB", "x"], "ERR Invalid argument for BATCHSIZE"),
        (
            ["m", "ONNX", "CPU", "MINBATCHSIZE", "0", "BLOB", "x"],
            "ERR MINBATCHSIZE specified without BATCHSIZE",
        ),
        (
            ["m", "ONNX", "CPU", "BATCHSIZE", "2", "MINBATCHSIZE", "x", "BLOB", "x"],
            "ERR Invalid argument for MINBATCHSIZE",
        ),
        (
            ["m", "ONNX", "CPU", "MINBATCHTIMEOUT", "0", "BLOB", "x"],
            "ERR MINBATCHTIMEOUT specified without BATCHSIZE",
        ),
        (
            ["m", "ONNX", "CPU", "BATCHSIZE", "2", "MINBATCHTIMEOUT", "1", "BLOB", "x"],
            "ERR MINBATCHTIMEOUT specified without MINBATCHSIZE",
        ),
        (
            [
                "m",
                "ONNX",
                "CPU",
                "BATCHSIZE",
                "2",
                "MINBATCHSIZE",
                "2",
                "MINBATCHTIMEOUT",
                "y",
                "BLOB",
                "x",
            ],
            "ERR Invalid argument for MINBATCHTIMEOUT",
        ),
        (["m", "ONNX", "CPU", "TAG", "t"], "ERR Insufficient arguments, missing model BLOB"),
        (
            ["m", "ONNX", "CPU", "BATCHSIZE", "2", "NOT_BLOB"],
            "ERR Insufficient arguments, missing model BLOB",
        ),
        (["m", "ONNX", "CPU", "BLOB"], "ERR Insufficient arguments, missing model BLOB"),
        (
            ["m", "TF", "CPU", "BLOB", "x"],
            "ERR Insufficient arguments, INPUTS and OUTPUTS not specified",
        ),
        (["m", "TF", "CPU", "OUTPUTS", "a", "BLOB", "x"], "ERR INPUTS not specified"),
        (["m", "TF", "CPU", "INPUTS", "a", "BLOB", "x"], "ERR OUTPUTS not specified"),
        (["m", "ONNX", "xyz", "BLOB", "x"], "ERR unsupported device"),
    ],
)
def test_modelset_errors(raw: RawConnection, args: list[str], error: str) -> None:
    assert err(raw, "AI.MODELSET", *args) == error


def test_modelset_ignores_io_words_for_other_backends(c: redis.Redis) -> None:
    assert (
        c.execute_command(
            "AI.MODELSET",
            "m",
            "ONNX",
            "cpu",
            "TAG",
            "t",
            "INPUTS",
            "q",
            "OUTPUTS",
            "r",
            "BLOB",
            ADD[:50],
            ADD[50:],
        )
        == b"OK"
    )
    meta = c.execute_command("AI.MODELGET", "m", "META")
    assert meta[:6] == [b"backend", b"ONNX", b"device", b"cpu", b"tag", b"t"]
    assert c.execute_command("AI.MODELGET", "m", "BLOB") == ADD


# -- AI.MODELGET --------------------------------------------------------------------------------


def test_modelget_reply_shapes(c: redis.Redis) -> None:
    store_add(c, "m", "TAG", "v2")
    meta = [
        b"backend", b"ONNX", b"device", b"CPU", b"tag", b"v2", b"batchsize", 0,
        b"minbatchsize", 0, b"inputs", [b"a", b"b"], b"outputs", [b"sum"],
        b"minbatchtimeout", 0,
    ]  # fmt: skip
    assert c.execute_command("AI.MODELGET", "m", "META") == meta
    assert c.execute_command("AI.MODELGET", "m", "BLOB") == ADD
    full = [*meta, b"blob", ADD]
    assert c.execute_command("AI.MODELGET", "m") == full
    assert c.execute_command("AI.MODELGET", "m", "BLOB", "META") == full
    assert c.execute_command("AI.MODELGET", "m", "whatever") == full
    assert c.execute_command("AI.MODELGET", "m", "meta", "junk") == meta


def test_modelget_errors(raw: RawConnection) -> None:
    assert err(raw, "AI.MODELGET") == "ERR wrong number of arguments for 'AI.MODELGET' command"
    assert err(raw, "AI.MODELGET", "m", "META", "BLOB", "x") == (
        "ERR wrong number of arguments for 'AI.MODELGET' command"
    )
    assert err(raw, "AI.MODELGET", "nothing") == "ERR model key is empty"
    raw.command("SET", "s", "v")
    assert err(raw, "AI.MODELGET", "s", "META") == WRONGTYPE


def test_modelget_chunks_follow_model_chunk_size(c: redis.Redis) -> None:
    store_add(c)
    size = len(ADD)
    try:
        assert c.execute_command("AI.CONFIG", "MODEL_CHUNK_SIZE", 7) == b"OK"
        chunks = c.execute_command("AI.MODELGET", "m", "BLOB")
        assert len(chunks) == size // 7 + 1
        assert all(len(x) == 7 for x in chunks[:-1]) and len(chunks[-1]) == size % 7
        assert b"".join(chunks) == ADD
        assert c.execute_command("AI.MODELGET", "m")[-1] == chunks
        c.execute_command("AI.CONFIG", "MODEL_CHUNK_SIZE", size)  # exact multiple
        assert c.execute_command("AI.MODELGET", "m", "BLOB") == [ADD, b""]
        c.execute_command("AI.CONFIG", "MODEL_CHUNK_SIZE", size + 1)
        assert c.execute_command("AI.MODELGET", "m", "BLOB") == ADD
    finally:
        c.execute_command("AI.CONFIG", "MODEL_CHUNK_SIZE", 535822336)


# -- AI.MODELDEL ----------------------------------------------------------------------------------


def test_modeldel(c: redis.Redis, raw: RawConnection) -> None:
    store_add(c)
    assert c.execute_command("AI.MODELDEL", "m") == b"OK"
    assert c.exists("m") == 0
    assert err(raw, "AI.MODELDEL", "m") == "ERR model key is empty"
    assert err(raw, "AI.INFO", "m") == "ERR cannot find run info for key"
    raw.command("SET", "s", "v")
    assert err(raw, "AI.MODELDEL", "s") == WRONGTYPE
    assert err(raw, "AI.MODELDEL") == "ERR wrong number of arguments for 'AI.MODELDEL' command"
    assert (
        err(raw, "AI.MODELDEL", "a", "b")
        == "ERR wrong number of arguments for 'AI.MODELDEL' command"
    )


# -- AI.MODELEXECUTE ----------------------------------------------------------------------------------


@pytest.fixture
def models(c: redis.Redis) -> redis.Redis:
    store_add(c)
    c.execute_command("AI.MODELSTORE", "multi", "ONNX", "CPU", "BLOB", MULTI)
    c.execute_command("AI.MODELSTORE", "sum4", "ONNX", "CPU", "BLOB", SUM4)
    c.execute_command("AI.MODELSTORE", "sum6", "ONNX", "CPU", "BLOB", SUM6)
    set_inputs(c)
    c.set("s", "string")
    return c


EXECUTE_ERRORS = [
    (
        ["m", "INPUTS", "2", "a", "b", "OUTPUTS"],
        "ERR wrong number of arguments for 'AI.MODELEXECUTE' command",
    ),
    (["none", "FOO", "x", "a", "b", "c", "d"], "ERR model key is empty"),
    (["s", "FOO", "x", "a", "b", "c", "d"], WRONGTYPE),
    (["m", "TIMEOUT", "5", "INPUTS", "2", "a", "b"], "ERR INPUTS not specified"),
    (["m", "INPUTS", "x", "a", "b", "OUTPUTS", "1"], "ERR Invalid argument for input_count"),
    (["m", "INPUTS", "0", "a", "b", "OUTPUTS", "1"], "ERR Input count must be a positive integer"),
    (["m", "INPUTS", "-1", "a", "b", "OUTPUTS", "1"], "ERR Input count must be a positive integer"),
    (
        ["m", "INPUTS", "1", "a", "OUTPUTS", "1", "o"],
        "Number of keys given as INPUTS here does not match model definition",
    ),
    (
        ["m", "INPUTS", "3", "a", "b", "OUTPUTS", "1"],
        "Number of keys given as INPUTS here does not match model definition",
    ),
    (
        ["sum6", "INPUTS", "6", "a", "b", "c", "d"],
        "ERR number of input keys to AI.MODELEXECUTE command does not match the number of given arguments",
    ),
    (["sum4", "INPUTS", "4", "a", "b", "c", "d"], "ERR OUTPUTS not specified"),
    (["m", "INPUTS", "2", "a", "b", "OUT", "1", "o"], "ERR OUTPUTS not specified"),
    (
        ["sum4", "INPUTS", "4", "a", "b", "c", "d", "OUTPUTS"],
        "ERR Invalid argument for output_count",
    ),
    (["m", "INPUTS", "2", "a", "b", "OUTPUTS", "x", "o"], "ERR Invalid argument for output_count"),
    (
        ["m", "INPUTS", "2", "a", "b", "OUTPUTS", "0", "o"],
        "ERR Output count must be a positive integer",
    ),
    (
        ["m", "INPUTS", "2", "a", "b", "OUTPUTS", "2", "o", "p"],
        "Number of keys given as OUTPUTS here does not match model definition",
    ),
    (
        ["multi", "INPUTS", "3", "a", "b", "c", "OUTPUTS", "4", "o", "p"],
        "ERR number of output keys to AI.MODELEXECUTE command does not match the number of given arguments",
    ),
    (["m", "INPUTS", "2", "a", "b", "OUTPUTS", "1", "o", "FOO"], "Invalid argument: FOO"),
    (
        ["m", "INPUTS", "2", "a", "b", "OUTPUTS", "1", "o", "TIMEOUT"],
        "ERR No value provided for TIMEOUT",
    ),
    (
        ["m", "INPUTS", "2", "a", "b", "OUTPUTS", "1", "o", "TIMEOUT", "0"],
        "ERR Invalid value for TIMEOUT",
    ),
    (
        ["m", "INPUTS", "2", "a", "b", "OUTPUTS", "1", "o", "TIMEOUT", "-3"],
        "ERR Invalid value for TIMEOUT",
    ),
    (
        ["m", "INPUTS", "2", "a", "b", "OUTPUTS", "1", "o", "TIMEOUT", "1.5"],
        "ERR Invalid value for TIMEOUT",
    ),
    (
        ["m", "INPUTS", "2", "a", "b", "OUTPUTS", "1", "o", "TIMEOUT", "10", "more"],
        "Invalid argument: more",
    ),
    (
        ["m", "INPUTS", "2", "a", "nothing", "OUTPUTS", "1", "o"],
        "ERR tensor key is empty or in a different shard",
    ),
    (["m", "INPUTS", "2", "a", "s", "OUTPUTS", "1", "o"], WRONGTYPE),
    (["m", "INPUTS", "2", "a", "b", "OUTPUTS", "1", "s"], WRONGTYPE),
]


@pytest.mark.parametrize(("args", "error"), EXECUTE_ERRORS)
def test_modelexecute_errors_in_order(
    models: redis.Redis, raw: RawConnection, args: list[str], error: str
) -> None:
    assert err(raw, "AI.MODELEXECUTE", *args) == error
    assert raw.command("PING") == b"PONG"  # one reply per command: still in step


def test_modelexecute_count_mismatch_before_missing_input(
    models: redis.Redis, raw: RawConnection
) -> None:
    assert err(raw, "AI.MODELEXECUTE", "m", "INPUTS", 1, "nothing", "OUTPUTS", 1, "o") == (
        "Number of keys given as INPUTS here does not match model definition"
    )


def test_modelexecute_keywords_case_insensitive_with_timeout(models: redis.Redis) -> None:
    assert (
        models.execute_command(
            "AI.MODELEXECUTE", "m", "inputs", 2, "a", "b", "outputs", 1, "o", "timeout", 1000
        )
        == b"OK"
    )
    assert tensorget(models, "o").tolist() == [[11, 22]]


def test_modelexecute_runtime_error_is_the_backend_text(
    models: redis.Redis, raw: RawConnection
) -> None:
    tensorset(models, "i", np.array([[1, 2]], np.int32))
    text = err(raw, "AI.MODELEXECUTE", "m", "INPUTS", 2, "a", "i", "OUTPUTS", 1, "o")
    assert text == "Unexpected input data type. Actual: (tensor(int32)) , expected: (tensor(float))"
    assert raw.command("EXISTS", "o") == 0
    info = models.execute_command("AI.INFO", "m")
    assert info[info.index(b"errors") + 1] == 1


def test_modelexecute_outputs_overwrite_and_clear_ttl(models: redis.Redis) -> None:
    tensorset(models, "o", np.array([0], np.int8))
    models.expire("o", 100)
    models.execute_command("AI.MODELEXECUTE", "m", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "o")
    assert models.ttl("o") == -1
    assert tensorget(models, "o").dtype == np.float32


def test_modelexecute_duplicate_output_key_last_wins(models: redis.Redis) -> None:
    tensorset(models, "x", np.array([[1, -2, 3]], np.float32))
    tensorset(models, "y", np.array([[1, 2, 3]], np.int64))
    tensorset(models, "f", np.array([[True, False, True]]))
    assert (
        models.execute_command(
            "AI.MODELEXECUTE",
            "multi",
            "INPUTS",
            3,
            "x",
            "y",
            "f",
            "OUTPUTS",
            4,
            "o",
            "o",
            "o",
            "last",
        )
        == b"OK"
    )
    assert tensorget(models, "o").tolist() == [[False, True, False]]
    assert tensorget(models, "last").tolist() == [[True, False, True]]


def test_modelexecute_inside_multi_is_refused(models: redis.Redis) -> None:
    pipe = models.pipeline(transaction=True)
    pipe.execute_command("AI.MODELEXECUTE", "m", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "o")
    pipe.execute_command("AI.MODELRUN", "m", "INPUTS", "a", "b", "OUTPUTS", "o")
    pipe.execute_command("AI.MODELSTORE", "m2", "ONNX", "CPU", "BLOB", ADD)
    try:
        results = pipe.execute(raise_on_error=False)
    except redis.ResponseError as exc:
        if "unknown command" in str(exc):
            pytest.skip("MULTI/EXEC is not implemented yet")
        raise
    texts = [str(r) for r in results[:2]]
    assert texts == ["Cannot run RedisAI command within a transaction or a LUA script"] * 2
    assert results[2] == b"OK"  # other AI commands work in MULTI
    assert models.exists("o") == 0 and models.type("m2") == b"AI__MODEL"


def test_modelexecute_getkeys(models: redis.Redis, raw: RawConnection) -> None:
    keys = raw.command(
        "COMMAND",
        "GETKEYS",
        "AI.MODELEXECUTE",
        "m",
        "INPUTS",
        2,
        "a",
        "b",
        "OUTPUTS",
        1,
        "o",
        "TIMEOUT",
        5,
    )
    if isinstance(keys, tuple) and "unknown" in keys[1]:
        pytest.skip("COMMAND is not implemented yet")
    assert keys == [b"m", b"a", b"b", b"o"]
    keys = raw.command(
        "COMMAND", "GETKEYS", "AI.MODELRUN", "m", "TIMEOUT", 5, "INPUTS", "a", "b", "OUTPUTS", "o"
    )
    assert keys == [b"m", b"a", b"b", b"o"]
    info = raw.command("COMMAND", "INFO", "AI.MODELEXECUTE")
    assert isinstance(info, list) and info[0][:2] == [b"ai.modelexecute", -1]
    assert b"movablekeys" in info[0][2]


def test_getkeys_functions() -> None:
    from pyredisai.commands.ai_common import modelexecute_keys, modelrun_keys

    argv = [b"AI.MODELEXECUTE", b"m", b"INPUTS", b"2", b"a", b"b", b"OUTPUTS", b"1", b"o"]
    assert modelexecute_keys(argv) == [1, 4, 5, 8]
    assert modelexecute_keys([b"AI.MODELEXECUTE", b"m", b"INPUTS", b"x", b"a"]) == [1]
    assert modelexecute_keys(argv[:7]) == [1]
    run = [b"AI.MODELRUN", b"m", b"TIMEOUT", b"5", b"INPUTS", b"a", b"OUTPUTS", b"o", b"OUTPUTS"]
    assert modelrun_keys(run) == [1, 5, 7]


def test_no_propagate_flag_on_deferred_writers() -> None:
    from pyredisai.commands import COMMANDS

    for name in (b"ai.modelstore", b"ai.modelset", b"ai.modelexecute", b"ai.modelrun"):
        assert "no-propagate" in COMMANDS[name].flags
    assert "no-propagate" not in COMMANDS[b"ai.modeldel"].flags


def test_tensorset_argv_for_propagation() -> None:
    from pyredisai.commands.ai_common import tensorset_argv
    from pyredisai.keyspace.tensor import Tensor

    tensor = Tensor.from_array(np.arange(6, dtype=np.int32).reshape(2, 3))
    argv = tensorset_argv(b"k", tensor)
    assert [bytes(a) for a in argv] == [
        b"AI.TENSORSET", b"k", b"INT32", b"2", b"3", b"BLOB",
        np.arange(6, dtype=np.int32).tobytes(),
    ]  # fmt: skip


# -- AI.MODELRUN (deprecated) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["m", "INPUTS", "a", "OUTPUTS"],
            "ERR wrong number of arguments for 'AI.MODELRUN' command",
        ),
        (["none", "INPUTS", "a", "b", "OUTPUTS", "o"], "ERR model key is empty"),
        (["s", "INPUTS", "a", "b", "OUTPUTS", "o"], WRONGTYPE),
        (
            ["m", "TIMEOUT", "x", "INPUTS", "a", "b", "OUTPUTS", "o"],
            "ERR Invalid value for TIMEOUT",
        ),
        (
            ["m", "TIMEOUT", "0", "INPUTS", "a", "b", "OUTPUTS", "o"],
            "ERR Invalid value for TIMEOUT",
        ),
        (["m", "FOO", "a", "b", "OUTPUTS", "o"], "ERR INPUTS not specified"),
        (
            ["m", "INPUTS", "a", "OUTPUTS", "o", "p"],
            "Number of keys given as INPUTS here does not match model definition",
        ),
        (
            ["m", "INPUTS", "a", "b", "OUTPUTS", "o", "p"],
            "Number of keys given as OUTPUTS here does not match model definition",
        ),
        (
            ["m", "INPUTS", "a", "b", "c", "d"],
            "Number of keys given as INPUTS here does not match model definition",
        ),
        (
            ["m", "INPUTS", "a", "nothing", "OUTPUTS", "o"],
            "ERR tensor key is empty or in a different shard",
        ),
    ],
)
def test_modelrun_errors(
    models: redis.Redis, raw: RawConnection, args: list[str], error: str
) -> None:
    assert err(raw, "AI.MODELRUN", *args) == error


def test_modelrun_runs(models: redis.Redis) -> None:
    assert models.execute_command("AI.MODELRUN", "m", "INPUTS", "a", "b", "OUTPUTS", "o") == b"OK"
    assert tensorget(models, "o").tolist() == [[11, 22]]
    assert (
        models.execute_command(
            "AI.MODELRUN", "m", "TIMEOUT", 500, "inputs", "b", "b", "outputs", "p"
        )
        == b"OK"
    )
    assert tensorget(models, "p").tolist() == [[20, 40]]


# -- keys and the statistics table -----------------------------------------------------------------


def _info(c: redis.Redis, key: str) -> dict[bytes, object]:
    reply = c.execute_command("AI.INFO", key)
    return dict(zip(reply[::2], reply[1::2], strict=True))


def _run(c: redis.Redis, key: str = "m") -> None:
    c.execute_command("AI.MODELEXECUTE", key, "INPUTS", 2, "a", "b", "OUTPUTS", 1, "o")


def test_del_removes_stats(c: redis.Redis, raw: RawConnection) -> None:
    store_add(c)
    assert c.delete("m") == 1
    assert err(raw, "AI.INFO", "m") == "ERR cannot find run info for key"
    store_add(c)
    assert c.unlink("m") == 1
    assert err(raw, "AI.INFO", "m") == "ERR cannot find run info for key"


def test_rename_keeps_stats_under_old_name(c: redis.Redis, raw: RawConnection) -> None:
    store_add(c, "old", "TAG", "t")
    set_inputs(c)
    _run(c, "old")
    c.rename("old", "new")
    assert err(raw, "AI.INFO", "new") == "ERR cannot find run info for key"
    info = _info(c, "old")
    assert info[b"key"] == b"old" and info[b"calls"] == 1
    assert c.execute_command("AI._MODELSCAN") == [[b"old", b"t"]]
    _run(c, "new")  # runs under the new name still count in the old entry
    assert _info(c, "old")[b"calls"] == 2
    c.delete("new")  # deleting the renamed value removes nothing
    assert _info(c, "old")[b"calls"] == 2


def test_overwrite_resets_stats_and_old_value_release_keeps_new_entry(c: redis.Redis) -> None:
    store_add(c)
    set_inputs(c)
    _run(c)
    assert _info(c, "m")[b"calls"] == 1
    store_add(c)
    assert _info(c, "m")[b"calls"] == 0
    _run(c)
    assert _info(c, "m")[b"calls"] == 1


def test_stats_shared_across_databases(c: redis.Redis, server: ServerProcess) -> None:
    other = server.client(protocol=2, db=1)
    try:
        store_add(c, "m", "TAG", "db0")
        assert (
            other.execute_command("AI.MODELSTORE", "m", "ONNX", "CPU", "TAG", "db1", "BLOB", ADD)
            == b"OK"
        )
        assert _info(c, "m")[b"tag"] == b"db1"
        c.delete("m")  # the db0 value's entry was already replaced: nothing is removed
        assert _info(c, "m")[b"tag"] == b"db1"
        other.delete("m")
        with pytest.raises(redis.ResponseError):
            c.execute_command("AI.INFO", "m")
    finally:
        other.close()


def test_expiry_removes_stats(c: redis.Redis, raw: RawConnection) -> None:
    store_add(c)
    c.pexpire("m", 30)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        reply = raw.command("AI.INFO", "m")
        if isinstance(reply, tuple):
            break
        time.sleep(0.05)
    assert raw.command("AI.INFO", "m") == ("error", "ERR cannot find run info for key")


def test_flushall_removes_stats(c: redis.Redis, raw: RawConnection) -> None:
    store_add(c)
    try:
        c.flushall()
    except redis.ResponseError:
        pytest.skip("FLUSHALL is not implemented yet")
    assert err(raw, "AI.INFO", "m") == "ERR cannot find run info for key"
    assert [b"m", b""] not in c.execute_command("AI._MODELSCAN")


def test_modelscan_order_matches_redisai(make_server: Callable[..., ServerProcess]) -> None:
    """redisai-py compares these lists exactly; the table never shrinks, so a fresh
    server is needed to see RedisAI's order."""
    fresh = make_server()
    c = fresh.client(protocol=2)
    raw = raw_conn(fresh)
    store_add(c, "m", "TAG", "v1.2")
    c.execute_command(
        "AI.MODELSTORE", "pt_model", "TORCH", "CPU", "BLOB", model_bytes("pt-minimal.pt")
    )
    assert c.execute_command("AI._MODELSCAN") == [[b"pt_model", b""], [b"m", b"v1.2"]]
    c.delete("m", "pt_model")
    store_add(c, "ket1", "TAG", "v1.0")
    store_add(c, "ket2")
    assert c.execute_command("AI._MODELSCAN") == [[b"ket1", b"v1.0"], [b"ket2", b""]]
    assert (
        err(raw, "AI._MODELSCAN", "x")
        == "ERR wrong number of arguments for 'AI._MODELSCAN' command"
    )
    raw.close()
    c.close()


def test_copy_of_a_model_is_not_supported(c: redis.Redis, raw: RawConnection) -> None:
    store_add(c)
    assert err(raw, "COPY", "m", "m2") == "ERR not supported for this module key"


def test_move_keeps_model_and_stats(c: redis.Redis, server: ServerProcess) -> None:
    store_add(c)
    assert c.move("m", 1) is True
    assert _info(c, "m")[b"key"] == b"m"
    other = server.client(protocol=2, db=1)
    try:
        assert other.type("m") == b"AI__MODEL"
    finally:
        other.close()


def test_stores_of_one_key_land_in_command_order(server: ServerProcess, c: redis.Redis) -> None:
    """A slow load issued first must not overwrite a fast one issued after it."""
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.ones((2, 3_000_000), np.float32), "w")
    big_graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["sum"]), helper.make_node("Identity", ["w"], ["wo"])],
        "big",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", 2]) for n in ("a", "b")],
        [
            helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["N", 2]),
            helper.make_tensor_value_info("wo", TensorProto.FLOAT, [2, 3_000_000]),
        ],
        initializer=[weights],
    )
    big_model = helper.make_model(big_graph, opset_imports=[helper.make_opsetid("", 17)])
    big_model.ir_version = 8
    big = big_model.SerializeToString()
    first, second = raw_conn(server), raw_conn(server)
    try:
        first.send(command_bytes("AI.MODELSTORE", "k", "ONNX", "CPU", "TAG", "first", "BLOB", big))
        time.sleep(0.01)
        assert (
            second.command("AI.MODELSTORE", "k", "ONNX", "CPU", "TAG", "second", "BLOB", ADD)
            == b"OK"
        )
        assert first.read_reply() == b"OK"
    finally:
        first.close()
        second.close()
    assert c.execute_command("AI.MODELGET", "k", "META")[4:6] == [b"tag", b"second"]
