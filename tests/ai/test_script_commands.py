"""TorchScript scripts end to end: AI.SCRIPTSTORE / SCRIPTSET / SCRIPTGET / SCRIPTDEL /
SCRIPTEXECUTE / SCRIPTRUN / _SCRIPTSCAN against a real server, with RedisAI's exact
replies and error texts (reference section 5), the calls back into the server from a
script (`redis.execute`, `redisAI.model_execute`), statistics, propagation to the
append-only file, many scripts calling back at once, and redisai-py's Client."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import redis

from ..helpers import MODELS_DIR, RawConnection, ServerProcess
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

pytest.importorskip("torch")

SCRIPT = (
    (MODELS_DIR / "script.txt").read_text()
    + """

def bar_variadic(a, args: List[Tensor]):
    return args[0] + args[1]

def bar_two_lists(a: List[Tensor], b: List[Tensor]):
    return a[0] + b[0]

def bar_return_two(a, b):
    return a, b

def bar_int(a, n: int):
    return a

def addtwo(tensors: List[Tensor], keys: List[str], args: List[str]):
    return tensors[0] + tensors[1]

def sum_all(tensors: List[Tensor], keys: List[str], args: List[str]):
    total = tensors[0]
    for t in tensors[1:]:
        total = total + t
    return total

def scale(tensors: List[Tensor], keys: List[str], args: List[str]):
    return tensors[0] * float(args[0]), tensors[0] + float(args[1])

def split_list(tensors: List[Tensor], keys: List[str], args: List[str]):
    return [tensors[0] * 2, tensors[0] * 3]

def nothing(tensors: List[Tensor], keys: List[str], args: List[str]):
    return None

def out_of_range(tensors: List[Tensor], keys: List[str], args: List[str]):
    return tensors[int(args[0])]

def set_key(tensors: List[Tensor], keys: List[str], args: List[str]):
    redis.execute("SET", keys[0], args[0])

def set_key_list(tensors: List[Tensor], keys: List[str], args: List[str]):
    redis.execute("SET", [keys[0], args[0]])

def int_set_get(tensors: List[Tensor], keys: List[str], args: List[str]):
    redis.execute("SET", keys[0], args[0])
    value = redis.execute("GET", keys[0])
    redis.execute("DEL", keys[0])
    return torch.tensor(int(str(value)))

def int_set_incr(tensors: List[Tensor], keys: List[str], args: List[str]):
    redis.execute("SET", keys[0], args[0])
    value = redis.execute("INCR", keys[0])
    redis.execute("DEL", keys[0])
    return torch.tensor(int(str(value)))

def float_set_get(tensors: List[Tensor], keys: List[str], args: List[str]):
    redis.execute("SET", keys[0], args[0])
    value = redis.execute("GET", keys[0])
    redis.execute("DEL", keys[0])
    return torch.tensor(float(str(value)))

def int_list(tensors: List[Tensor], keys: List[str], args: List[str]):
    for value in args:
        redis.execute("RPUSH", keys[0], value)
    values = redis.asList(redis.execute("LRANGE", keys[0], "0", str(len(args))))
    redis.execute("DEL", keys[0])
    out = [torch.tensor(int(str(v))).reshape(1, 1) for v in values]
    return torch.cat(out, dim=0)

def hash_values(tensors: List[Tensor], keys: List[str], args: List[str]):
    fields = [keys[0]]
    for a in args:
        fields.append(a)
    redis.execute("HSET", fields)
    values = redis.asList(redis.execute("HVALS", keys[0]))
    out = [torch.tensor(int(str(v))).reshape(1, 1) for v in values]
    return torch.cat(out, dim=0)

def mixed_reply(tensors: List[Tensor], keys: List[str], args: List[str]):
    reply = redis.asList(redis.execute("EXEC_LIKE", keys[0]))
    return torch.tensor(len(reply))

def scan_keys(tensors: List[Tensor], keys: List[str], args: List[str]):
    reply = redis.asList(redis.execute("SCAN", "0", "COUNT", "100"))
    found = redis.asList(reply[1])
    return torch.tensor(len(found))

def redis_error_wrongtype(tensors: List[Tensor], keys: List[str], args: List[str]):
    redis.execute("HSET", keys[0], "field", "value")
    redis.execute("RPUSH", keys[0], "value")

def redis_error_arity(tensors: List[Tensor], keys: List[str], args: List[str]):
    redis.execute("SET", keys[0])

def redis_error_unknown(tensors: List[Tensor], keys: List[str], args: List[str]):
    redis.execute("NOSUCHCOMMAND", keys[0])

def redis_error_multi(tensors: List[Tensor], keys: List[str], args: List[str]):
    redis.execute("SUBSCRIBE", keys[0])

def incr_many(tensors: List[Tensor], keys: List[str], args: List[str]):
    for i in range(int(args[0])):
        redis.execute("INCR", keys[0])
    return torch.tensor(int(str(redis.execute("GET", keys[0]))))

def wait_for_key(tensors: List[Tensor], keys: List[str], args: List[str]):
    n = 0
    while str(redis.execute("EXISTS", keys[0])) == "0" and n < 100000:
        n += 1
    return torch.tensor(n)

def run_model(tensors: List[Tensor], keys: List[str], args: List[str]):
    a = torch.tensor([[2.0, 3.0], [2.0, 3.0]])
    b = torch.tensor([[2.0, 3.0], [2.0, 3.0]])
    return redisAI.model_execute(keys[0], [a, b], 1)

def run_model_bad(tensors: List[Tensor], keys: List[str], args: List[str]):
    a = torch.tensor([2.0, 3.0, 4.0])
    return redisAI.model_execute(keys[0], [a], 1)

def cased_names(tensors: List[Tensor], keys: List[str], args: List[str]):
    REDIS.execute("SET", keys[0], "1")
    return Torch.ones(1)
"""
)

ENTRY_POINTS = [
    "addtwo", "sum_all", "scale", "split_list", "nothing", "out_of_range", "set_key",
    "set_key_list", "int_set_get", "int_set_incr", "float_set_get", "int_list", "hash_values",
    "mixed_reply", "scan_keys", "redis_error_wrongtype", "redis_error_arity",
    "redis_error_unknown", "redis_error_multi", "incr_many", "wait_for_key", "run_model",
    "run_model_bad", "cased_names",
]  # fmt: skip


def store_script(
    client: redis.Redis, key: str = "s", device: str = "CPU", tag: str | None = None
) -> None:
    tag_args = ["TAG", tag] if tag is not None else []
    reply = client.execute_command(
        "AI.SCRIPTSTORE", key, device, *tag_args, "ENTRY_POINTS", len(ENTRY_POINTS), *ENTRY_POINTS,
        "SOURCE", SCRIPT,
    )  # fmt: skip
    assert reply == b"OK"


@pytest.fixture
def c(server: ServerProcess) -> Iterator[redis.Redis]:
    yield from clients(server)


@pytest.fixture
def raw(server: ServerProcess, c: redis.Redis) -> Iterator[RawConnection]:
    conn = raw_conn(server)
    yield conn
    conn.close()


@pytest.fixture
def s(c: redis.Redis) -> redis.Redis:
    """A client with the test script stored at `s` and tensors a=[1,2], b=[3,4]."""
    store_script(c)
    tensorset(c, "a", np.array([1, 2], np.float32))
    tensorset(c, "b", np.array([3, 4], np.float32))
    return c


def execute(c: redis.Redis, fn: str, *args: object) -> object:
    return c.execute_command("AI.SCRIPTEXECUTE", "s", fn, *args)


# -- AI.SCRIPTSTORE / AI.SCRIPTSET ---------------------------------------------------------


def test_scriptstore_stores_and_reports_type(s: redis.Redis) -> None:
    assert s.type("s") == b"AI_SCRIPT"
    meta = s.execute_command("AI.SCRIPTGET", "s", "META")
    assert meta[:4] == [b"device", b"CPU", b"tag", b""]
    assert meta[4] == b"Entry Points"
    assert meta[5] == [e.encode() for e in ENTRY_POINTS]


def test_scriptstore_keeps_device_and_tag_as_given(c: redis.Redis) -> None:
    store_script(c, "k", device="cpu", tag="v1.0")
    assert c.execute_command("AI.SCRIPTGET", "k", "META")[:4] == [
        b"device",
        b"cpu",
        b"tag",
        b"v1.0",
    ]
    info = c.execute_command("AI.INFO", "k")
    assert info[:10] == [
        b"key", b"k", b"type", b"SCRIPT", b"backend", b"TORCH", b"device", b"cpu", b"tag", b"v1.0"
    ]  # fmt: skip


def test_scriptstore_zero_entry_points_and_integral_count(c: redis.Redis) -> None:
    # 7 arguments are an arity error, so a script without entry points needs a TAG
    assert (
        c.execute_command(
            "AI.SCRIPTSTORE", "k", "CPU", "TAG", "t", "ENTRY_POINTS", 0, "SOURCE", SCRIPT
        )
        == b"OK"
    )
    assert c.execute_command("AI.SCRIPTGET", "k", "META")[5] == []
    assert (
        c.execute_command(
            "AI.SCRIPTSTORE", "k", "CPU", "ENTRY_POINTS", "1.0", "addtwo", "SOURCE", SCRIPT
        )
        == b"OK"
    )
    assert c.execute_command("AI.SCRIPTGET", "k", "META")[5] == [b"addtwo"]


def test_scriptstore_ignores_words_after_source(c: redis.Redis) -> None:
    assert (
        c.execute_command(
            "AI.SCRIPTSTORE", "k", "CPU", "ENTRY_POINTS", 1, "addtwo", "SOURCE", SCRIPT, "x", "y"
        )
        == b"OK"
    )


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["k"], "ERR wrong number of arguments for 'AI.SCRIPTSTORE' command"),
        (["k", "CPU"], "ERR wrong number of arguments for 'AI.SCRIPTSTORE' command"),
        (["k", "CPU", "SOURCE", "return 1"], "ERR wrong number of arguments for 'AI.SCRIPTSTORE' command"),
        (["k", "CPU", "TAG", "t", "SOURCE", "x", "y"], "ERR Insufficient arguments, missing script entry points"),
        (["k", "CPU", "ENTRY_POINTS", "x", "a", "SOURCE", "y"], "ERR Non numeric entry points number provided to AI.SCRIPTSTORE command"),
        (["k", "CPU", "ENTRY_POINTS", "1.5", "a", "SOURCE", "y"], "ERR Non numeric entry points number provided to AI.SCRIPTSTORE command"),
        (["k", "CPU", "ENTRY_POINTS", "5", "a", "b", "SOURCE", "y"], "ERR Insufficient arguments, missing script entry points"),
        (["k", "CPU", "ENTRY_POINTS", "-1", "a", "SOURCE", "y"], "ERR Insufficient arguments, missing script entry points"),
        (["k", "CPU", "ENTRY_POINTS", "1", "a", "NOTSOURCE", "y"], "ERR Insufficient arguments, missing script SOURCE"),
        (["k", "CPU", "ENTRY_POINTS", "2", "a", "b", "SOURCE"], "ERR Insufficient arguments, missing script SOURCE"),
    ],
)  # fmt: skip
def test_scriptstore_argument_errors(raw: RawConnection, args: list[str], error: str) -> None:
    assert err(raw, "AI.SCRIPTSTORE", *args) == error


def test_scriptstore_arity_names_command_as_typed(raw: RawConnection) -> None:
    assert (
        err(raw, "ai.ScriptStore", "k")
        == "ERR wrong number of arguments for 'ai.ScriptStore' command"
    )


def test_scriptstore_compile_error_is_torchscripts_and_stores_nothing(raw: RawConnection) -> None:
    error = err(raw, "AI.SCRIPTSTORE", "k", "CPU", "ENTRY_POINTS", 0, "SOURCE", "return 1", "x")
    # redisai-py's tests expect exactly this PyTorch text (newlines sent as spaces)
    assert (
        error
        == "expected def but found 'return' here:   File \"<string>\", line 1 return 1 ~~~~~~ <--- HERE "
    )
    assert raw.command("EXISTS", "k") == 0


def test_scriptstore_compile_error_keeps_previous_script(
    s: redis.Redis, raw: RawConnection
) -> None:
    assert err(
        raw, "AI.SCRIPTSTORE", "s", "CPU", "ENTRY_POINTS", 0, "SOURCE", "def f(:\n", "x"
    ).startswith("expected")
    assert execute(s, "addtwo", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c") == b"OK"


@pytest.mark.parametrize(
    ("entry_points", "error"),
    [
        (["missing"], "Function missing does not exist in the given script."),
        (["bar"], "Wrong number of inputs in function bar. Expected 3 but was 2"),
        (
            ["bar_two_lists"],
            "Wrong number of inputs in function bar_two_lists. Expected 3 but was 2",
        ),
        (
            ["addtwo", "bar_int"],
            "Wrong number of inputs in function bar_int. Expected 3 but was 2",
        ),
    ],
)
def test_scriptstore_entry_point_errors(
    raw: RawConnection, entry_points: list[str], error: str
) -> None:
    assert (
        err(
            raw,
            "AI.SCRIPTSTORE",
            "k",
            "CPU",
            "ENTRY_POINTS",
            len(entry_points),
            *entry_points,
            "SOURCE",
            SCRIPT,
        )
        == error
    )
    assert raw.command("EXISTS", "k") == 0


def test_scriptstore_entry_point_signature_types(raw: RawConnection) -> None:
    source = "def f(a: List[Tensor], b: List[str], c: List[int]):\n    return a[0]\n"
    assert err(raw, "AI.SCRIPTSTORE", "k", "CPU", "ENTRY_POINTS", 1, "f", "SOURCE", source) == (
        "Wrong inputs type in function f. Expected signature similar to: "
        "def f(tensors: List[Tensor], keys: List[str], args: List[str])"
    )


def test_scriptstore_device_errors(raw: RawConnection) -> None:
    assert (
        err(raw, "AI.SCRIPTSTORE", "k", "bad_device", "ENTRY_POINTS", 0, "SOURCE", SCRIPT, "x")
        == "ERR unsupported device"
    )
    # this build has no CUDA (Torch's own text: no ERR prefix)
    import torch

    if not torch.cuda.is_available():
        assert err(raw, "AI.SCRIPTSTORE", "k", "GPU", "ENTRY_POINTS", 0, "SOURCE", SCRIPT, "x") == (
            "GPU requested but Torch couldn't find CUDA"
        )


def test_scriptstore_cpu_prefixed_device_is_cpu(c: redis.Redis) -> None:
    assert (
        c.execute_command(
            "AI.SCRIPTSTORE", "k", "cpuXYZ", "ENTRY_POINTS", 1, "addtwo", "SOURCE", SCRIPT
        )
        == b"OK"
    )


def test_scriptstore_wrongtype_after_compile(raw: RawConnection) -> None:
    raw.command("SET", "str", "x")
    assert err(
        raw, "AI.SCRIPTSTORE", "str", "CPU", "ENTRY_POINTS", 1, "addtwo", "SOURCE", SCRIPT
    ).startswith("WRONGTYPE")
    # a compile error is reported first even for a key of another type
    assert err(
        raw, "AI.SCRIPTSTORE", "str", "CPU", "ENTRY_POINTS", 0, "SOURCE", "return 1", "x"
    ).startswith("expected def")


def test_scriptstore_overwrite_clears_ttl_and_resets_stats(s: redis.Redis) -> None:
    assert execute(s, "addtwo", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c") == b"OK"
    assert s.execute_command("AI.INFO", "s")[15] == 1
    s.expire("s", 100)
    store_script(s)
    assert s.ttl("s") == -1
    assert s.execute_command("AI.INFO", "s")[15] == 0


def test_scriptset_deprecated_form(c: redis.Redis, raw: RawConnection) -> None:
    assert c.execute_command("AI.SCRIPTSET", "k", "CPU", "TAG", "v", "SOURCE", SCRIPT) == b"OK"
    assert c.execute_command("AI.SCRIPTGET", "k", "META") == [
        b"device",
        b"CPU",
        b"tag",
        b"v",
        b"Entry Points",
        [],
    ]
    assert c.execute_command("AI.SCRIPTSET", "k2", "CPU", "SOURCE", SCRIPT) == b"OK"
    assert (
        err(raw, "AI.SCRIPTSET", "k", "CPU", "SOURCE")
        == "ERR wrong number of arguments for 'AI.SCRIPTSET' command"
    )
    assert (
        err(raw, "AI.SCRIPTSET", "k", "CPU", "TAG", "v", "SOURCE")
        == "ERR wrong number of arguments for 'AI.SCRIPTSET' command"
    )
    assert (
        err(raw, "AI.SCRIPTSET", "k", "CPU", "TAG", "SOURCE")
        == "ERR Insufficient arguments, missing script SOURCE"
    )
    assert (
        err(raw, "AI.SCRIPTSET", "k", "CPU", "NOSOURCE", "x")
        == "ERR Insufficient arguments, missing script SOURCE"
    )


# -- AI.SCRIPTGET / AI.SCRIPTDEL / AI._SCRIPTSCAN --------------------------------------------


def test_scriptget_variants(s: redis.Redis) -> None:
    meta = [b"device", b"CPU", b"tag", b"", b"Entry Points", [e.encode() for e in ENTRY_POINTS]]
    source = SCRIPT.encode()
    assert s.execute_command("AI.SCRIPTGET", "s", "SOURCE") == source
    assert s.execute_command("AI.SCRIPTGET", "s", "meta") == meta
    full = [*meta, b"source", source]
    assert s.execute_command("AI.SCRIPTGET", "s") == full
    assert s.execute_command("AI.SCRIPTGET", "s", "META", "SOURCE") == full
    assert s.execute_command("AI.SCRIPTGET", "s", "whatever") == full


def test_scriptget_errors(raw: RawConnection) -> None:
    assert err(raw, "AI.SCRIPTGET", "nope") == "ERR script key is empty"
    raw.command("SET", "str", "x")
    assert err(raw, "AI.SCRIPTGET", "str").startswith("WRONGTYPE")
    assert err(raw, "AI.SCRIPTGET") == "ERR wrong number of arguments for 'AI.SCRIPTGET' command"
    assert err(raw, "AI.SCRIPTGET", "k", "META", "SOURCE", "x") == (
        "ERR wrong number of arguments for 'AI.SCRIPTGET' command"
    )


def test_scriptdel_removes_value_and_stats(s: redis.Redis, raw: RawConnection) -> None:
    assert s.execute_command("AI.SCRIPTDEL", "s") == b"OK"
    assert s.exists("s") == 0
    assert err(raw, "AI.INFO", "s") == "ERR cannot find run info for key"
    assert err(raw, "AI.SCRIPTDEL", "s") == "ERR script key is empty"
    raw.command("SET", "str", "x")
    assert err(raw, "AI.SCRIPTDEL", "str").startswith("WRONGTYPE")
    assert (
        err(raw, "AI.SCRIPTDEL", "a", "b")
        == "ERR wrong number of arguments for 'AI.SCRIPTDEL' command"
    )


def test_scriptscan_lists_scripts_in_redisai_order(c: redis.Redis) -> None:
    store_script(c, "ket1", tag="v1.0")
    store_script(c, "ket2")
    assert c.execute_command("AI._SCRIPTSCAN") == [[b"ket1", b"v1.0"], [b"ket2", b""]]


# -- AI.SCRIPTEXECUTE --------------------------------------------------------------------------


def test_execute_entry_point(s: redis.Redis) -> None:
    assert execute(s, "addtwo", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c") == b"OK"
    assert tensorget(s, "c").tolist() == [4, 6]


def test_execute_variadic_tensor_list(s: redis.Redis) -> None:
    tensorset(s, "x", np.array([10, 20], np.float32))
    assert execute(s, "sum_all", "INPUTS", 4, "a", "b", "x", "a", "OUTPUTS", 1, "c") == b"OK"
    assert tensorget(s, "c").tolist() == [15, 28]


def test_execute_args_and_several_outputs(s: redis.Redis) -> None:
    assert (
        execute(s, "scale", "INPUTS", 1, "a", "ARGS", 2, "2.5", "10", "OUTPUTS", 2, "x", "y")
        == b"OK"
    )
    assert tensorget(s, "x").tolist() == [2.5, 5]
    assert tensorget(s, "y").tolist() == [11, 12]


def test_execute_list_return_gives_outputs_in_order(s: redis.Redis) -> None:
    assert execute(s, "split_list", "INPUTS", 1, "b", "OUTPUTS", 2, "x", "y") == b"OK"
    assert tensorget(s, "x").tolist() == [6, 8]
    assert tensorget(s, "y").tolist() == [9, 12]


def test_execute_scopes_in_any_order_after_keys_or_inputs(s: redis.Redis) -> None:
    assert (
        execute(
            s, "addtwo", "KEYS", 1, "k", "OUTPUTS", 1, "c", "INPUTS", 2, "a", "b", "TIMEOUT", 1000
        )
        == b"OK"
    )
    assert tensorget(s, "c").tolist() == [4, 6]


def test_execute_return_value_ignored_without_outputs(s: redis.Redis) -> None:
    assert execute(s, "nothing", "INPUTS", 1, "a") == b"OK"
    assert execute(s, "addtwo", "INPUTS", 2, "a", "b") == b"OK"


def test_execute_best_effort_function_not_in_entry_points(
    s: redis.Redis, raw: RawConnection
) -> None:
    assert execute(s, "bar", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c") == b"OK"
    assert tensorget(s, "c").tolist() == [4, 6]
    assert execute(s, "bar_variadic", "INPUTS", 3, "a", "b", "a", "OUTPUTS", 1, "c") == b"OK"
    assert tensorget(s, "c").tolist() == [4, 6]
    # the first List[Tensor] parameter takes every remaining input and ends the mapping
    assert "missing value for argument 'b'" in err(
        raw, "AI.SCRIPTEXECUTE", "s", "bar_two_lists", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c"
    )
    assert err(raw, "AI.SCRIPTEXECUTE", "s", "bar", "INPUTS", 1, "a", "OUTPUTS", 1, "c") == (
        "Wrong number of inputs provided to function: bar"
    )
    assert err(
        raw, "AI.SCRIPTEXECUTE", "s", "bar_int", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c"
    ) == ("Unsupported input type in function definition: bar_int")


def test_execute_output_count_and_type_errors(s: redis.Redis, raw: RawConnection) -> None:
    assert err(
        raw, "AI.SCRIPTEXECUTE", "s", "addtwo", "INPUTS", 2, "a", "b", "OUTPUTS", 2, "x", "y"
    ) == ("Function returned unexpected number of outputs - addtwo")
    assert err(
        raw, "AI.SCRIPTEXECUTE", "s", "bar_return_two", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "x"
    ) == ("Function returned unexpected number of outputs - bar_return_two")
    assert err(raw, "AI.SCRIPTEXECUTE", "s", "nothing", "INPUTS", 1, "a", "OUTPUTS", 1, "x") == (
        "Function returned non-tensor valuesnothing"
    )
    assert raw.command("EXISTS", "x", "y") == 0


def test_execute_runtime_failure_reports_torchscript_error(
    s: redis.Redis, raw: RawConnection
) -> None:
    error = err(
        raw,
        "AI.SCRIPTEXECUTE",
        "s",
        "out_of_range",
        "INPUTS",
        1,
        "a",
        "ARGS",
        1,
        "5",
        "OUTPUTS",
        1,
        "x",
    )
    assert "list index out of range" in error
    assert "\n" not in error and not error.startswith("ERR")
    assert raw.command("EXISTS", "x") == 0
    info = raw.command("AI.INFO", "s")
    assert isinstance(info, list)
    assert info[14:18] == [b"calls", 1, b"errors", 1]


def test_execute_unknown_function(s: redis.Redis, raw: RawConnection) -> None:
    assert err(raw, "AI.SCRIPTEXECUTE", "s", "wrong_fn", "INPUTS", 1, "a", "OUTPUTS", 1, "c") == (
        "Function does not exist: wrong_fn"
    )


def test_execute_counts_statistics(s: redis.Redis) -> None:
    for _ in range(5):
        assert execute(s, "addtwo", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c") == b"OK"
    info = s.execute_command("AI.INFO", "s")
    assert info[10] == b"duration" and info[11] > 0
    assert info[12:18] == [b"samples", -1, b"calls", 5, b"errors", 0]
    assert s.execute_command("AI.INFO", "s", "RESETSTAT") == b"OK"
    assert s.execute_command("AI.INFO", "s")[10:18] == [
        b"duration",
        0,
        b"samples",
        -1,
        b"calls",
        0,
        b"errors",
        0,
    ]


def test_execute_output_replaces_value_and_ttl(s: redis.Redis) -> None:
    tensorset(s, "c", np.array([0], np.float32))
    s.expire("c", 100)
    assert execute(s, "addtwo", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c") == b"OK"
    assert s.ttl("c") == -1


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ([], "ERR KEYS or INPUTS scope must be provided first for AI.SCRIPTEXECUTE command"),
        (["OUTPUTS", 2, "a", "a"], "ERR KEYS or INPUTS scope must be provided first for AI.SCRIPTEXECUTE command"),
        (["ARGS", 1, "x", "INPUTS", 1, "a"], "ERR KEYS or INPUTS scope must be provided first for AI.SCRIPTEXECUTE command"),
        (["KEYS", 1], "ERR Missing arguments after KEYS keyword"),
        (["KEYS", "x", "k"], "ERR Invalid or negative value found in number of KEYS"),
        (["KEYS", "0", "k"], "ERR Invalid or negative value found in number of KEYS"),
        (["KEYS", "-1", "k"], "ERR Invalid or negative value found in number of KEYS"),
        (["KEYS", "3", "k", "j"], "ERR Number of pre declared KEYS to be used in the command does not match the number of given arguments"),
        (["INPUTS"], "ERR Invalid arguments provided to AI.SCRIPTEXECUTE"),
        (["INPUTS", "x", "a"], "ERR Invalid argument for inputs count in AI.SCRIPTEXECUTE"),
        (["INPUTS", "1.0", "a"], "ERR Invalid argument for inputs count in AI.SCRIPTEXECUTE"),
        (["INPUTS", "3", "a", "b"], "ERR number of inputs to AI.SCRIPTEXECUTE command does not match the number of given arguments"),
        (["INPUTS", 1, "a", "ARGS"], "ERR Invalid arguments provided to AI.SCRIPTEXECUTE"),
        (["INPUTS", 1, "a", "ARGS", "x"], "ERR Invalid argument for keys count in AI.SCRIPTEXECUTE"),
        (["INPUTS", 1, "a", "ARGS", 2, "x"], "ERR number of args to AI.SCRIPTEXECUTE command does not match the number of given arguments"),
        (["INPUTS", 1, "a", "OUTPUTS"], "ERR Invalid arguments provided to AI.SCRIPTEXECUTE"),
        (["INPUTS", 1, "a", "OUTPUTS", "y"], "ERR Invalid argument for outputs count in AI.SCRIPTEXECUTE"),
        (["INPUTS", 1, "a", "OUTPUTS", 3, "y"], "ERR number of outputs to AI.SCRIPTEXECUTE command does not match the number of given arguments"),
        (["INPUTS", 1, "a", "INPUTS", 1, "a"], "ERR Already Encountered INPUTS scope in AI.SCRIPTEXECUTE command"),
        (["KEYS", 1, "k", "KEYS", 1, "k"], "ERR Already Encountered KEYS scope in AI.SCRIPTEXECUTE command"),
        (["INPUTS", 1, "a", "ARGS", 0, "ARGS", 0], "ERR Already Encountered ARGS scope in AI.SCRIPTEXECUTE command"),
        (["INPUTS", 1, "a", "OUTPUTS", 0, "OUTPUTS", 0], "ERR Already Encountered OUTPUTS scope in AI.SCRIPTEXECUTE command"),
        (["INPUTS", 1, "a", "TIMEOUT"], "ERR No value provided for TIMEOUT in AI.SCRIPTEXECUTE"),
        (["INPUTS", 1, "a", "TIMEOUT", "0"], "ERR Invalid value for TIMEOUT"),
        (["INPUTS", 1, "a", "TIMEOUT", "x"], "ERR Invalid value for TIMEOUT"),
        (["INPUTS", 1, "a", "TIMEOUT", "5", "OUTPUTS"], "ERR Encountered problem parsing AI.SCRIPTEXECUTE"),
        (["INPUTS", 1, "a", "BOGUS"], "ERR Invalid AI.SCRIPTEXECUTE command. Unexpected argument: BOGUS"),
        (["INPUTS", 1, "missing"], "ERR tensor key is empty or in a different shard"),
        (["INPUTS", 1, "str"], "WRONGTYPE Operation against a key holding the wrong kind of value"),
        (["INPUTS", 1, "a", "OUTPUTS", 1, "str"], "WRONGTYPE Operation against a key holding the wrong kind of value"),
    ],
)  # fmt: skip
def test_execute_argument_errors(
    s: redis.Redis, raw: RawConnection, args: list[object], error: str
) -> None:
    raw.command("SET", "str", "x")
    assert err(raw, "AI.SCRIPTEXECUTE", "s", "addtwo", *args) == error  # type: ignore[arg-type]


def test_execute_negative_counts_read_as_zero(s: redis.Redis) -> None:
    # RedisAI quirk: INPUTS/ARGS/OUTPUTS counts are unsigned, a negative one reads as 0
    assert execute(s, "nothing", "INPUTS", "-1", "ARGS", "-3", "OUTPUTS", "-2") == b"OK"


def test_execute_script_lookup_errors(raw: RawConnection) -> None:
    assert (
        err(raw, "AI.SCRIPTEXECUTE", "s")
        == "ERR wrong number of arguments for 'AI.SCRIPTEXECUTE' command"
    )
    assert err(raw, "AI.SCRIPTEXECUTE", "nope", "f", "INPUTS", 0) == "ERR script key is empty"
    raw.command("SET", "str", "x")
    assert err(raw, "AI.SCRIPTEXECUTE", "str", "f", "INPUTS", 0).startswith("WRONGTYPE")
    # script lookup comes before the scope check; 3 arguments get the scope error
    assert err(raw, "AI.SCRIPTEXECUTE", "nope", "f", "BOGUS") == "ERR script key is empty"


def test_execute_refused_in_multi(s: redis.Redis, raw: RawConnection) -> None:
    assert raw.command("MULTI") == b"OK"
    assert (
        raw.command("AI.SCRIPTEXECUTE", "s", "addtwo", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c")
        == b"QUEUED"
    )
    assert raw.command("AI.SCRIPTGET", "s", "META") == b"QUEUED"
    replies = raw.command("EXEC")
    assert isinstance(replies, list)
    assert replies[0] == (
        "error",
        "ERR Cannot run RedisAI command within a transaction or a LUA script",
    )
    assert isinstance(replies[1], list)


def test_scriptstore_works_in_multi(c: redis.Redis) -> None:
    pipe = c.pipeline(transaction=True)
    pipe.execute_command(
        "AI.SCRIPTSTORE", "k", "CPU", "ENTRY_POINTS", 1, "addtwo", "SOURCE", SCRIPT
    )
    pipe.type("k")
    assert pipe.execute() == [b"OK", b"AI_SCRIPT"]


def test_execute_uses_clients_database(c: redis.Redis, server: ServerProcess) -> None:
    """pyredisai note 2.3: the selected database, not database 0."""
    c1 = redis.Redis(host="127.0.0.1", port=server.port, db=1, protocol=2)
    try:
        store_script(c1)
        tensorset(c1, "a", np.array([1], np.float32))
        tensorset(c1, "b", np.array([2], np.float32))
        assert (
            c1.execute_command(
                "AI.SCRIPTEXECUTE", "s", "addtwo", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "c"
            )
            == b"OK"
        )
        assert (
            c1.execute_command("AI.SCRIPTEXECUTE", "s", "set_key", "KEYS", 1, "k", "ARGS", 1, "v")
            == b"OK"
        )
        assert c1.get("k") == b"v"
        assert c1.exists("c") == 1
        assert c.exists("c", "k") == 0
    finally:
        c1.close()


# -- AI.SCRIPTRUN (deprecated) ---------------------------------------------------------------


def test_scriptrun_runs_functions(s: redis.Redis) -> None:
    assert (
        s.execute_command("AI.SCRIPTRUN", "s", "bar", "INPUTS", "a", "b", "OUTPUTS", "c") == b"OK"
    )
    assert tensorget(s, "c").tolist() == [4, 6]
    tensorset(s, "x", np.array([5, 5], np.float32))
    assert (
        s.execute_command(
            "AI.SCRIPTRUN", "s", "bar_variadic", "INPUTS", "a", "$", "b", "x", "OUTPUTS", "c"
        )
        == b"OK"
    )
    assert tensorget(s, "c").tolist() == [8, 9]
    # an entry point called the old way gets KEYS and ARGS as empty lists
    assert (
        s.execute_command(
            "AI.SCRIPTRUN", "s", "addtwo", "TIMEOUT", 1000, "INPUTS", "a", "b", "OUTPUTS", "c"
        )
        == b"OK"
    )
    assert tensorget(s, "c").tolist() == [4, 6]
    assert s.execute_command("AI.SCRIPTRUN", "s", "nothing") == b"OK"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["INPUTS", "a", "TIMEOUT", "1", "TIMEOUT", "1"], "ERR Already encountered an TIMEOUT section in SCRIPTRUN"),
        (["INPUTS", "a", "TIMEOUT", "0"], "ERR Invalid value for TIMEOUT"),
        (["INPUTS", "a", "TIMEOUT"], "ERR Invalid value for TIMEOUT"),
        (["INPUTS", "a", "INPUTS", "b"], "ERR Already encountered an INPUTS keyword in SCRIPTRUN"),
        (["INPUTS", "a", "OUTPUTS", "c", "INPUTS", "b"], "ERR Already encountered an INPUTS section in SCRIPTRUN"),
        (["INPUTS", "a", "OUTPUTS", "c", "OUTPUTS", "d"], "ERR Already encountered an OUTPUTS keyword in SCRIPTRUN"),
        (["$", "INPUTS", "a"], "ERR Encountered a variable size list of tensors outside of input section"),
        (["INPUTS", "a", "OUTPUTS", "$"], "ERR Encountered a variable size list of tensors outside of input section"),
        (["INPUTS", "$", "a", "$", "b"], "ERR Already encountered a variable size list of tensors"),
        (["a", "INPUTS", "b"], "ERR Unrecongnized parameter to SCRIPTRUN"),
        (["INPUTS", "missing", "OUTPUTS", "c"], "ERR tensor key is empty or in a different shard"),
    ],
)  # fmt: skip
def test_scriptrun_errors(s: redis.Redis, raw: RawConnection, args: list[str], error: str) -> None:
    assert err(raw, "AI.SCRIPTRUN", "s", "bar", *args) == error


def test_scriptrun_arity_and_lookup(raw: RawConnection) -> None:
    assert (
        err(raw, "AI.SCRIPTRUN", "s") == "ERR wrong number of arguments for 'AI.SCRIPTRUN' command"
    )
    assert err(raw, "AI.SCRIPTRUN", "nope", "bar", "INPUTS", "a") == "ERR script key is empty"


# -- calls back into the server --------------------------------------------------------------


def test_redis_execute_set_get_del(s: redis.Redis, raw: RawConnection) -> None:
    assert execute(s, "int_set_get", "KEYS", 1, "x", "ARGS", 1, "1", "OUTPUTS", 1, "y") == b"OK"
    assert raw.command("AI.TENSORGET", "y", "META", "VALUES") == [
        b"dtype",
        b"INT64",
        b"shape",
        [],
        b"values",
        [1],
    ]
    assert s.exists("x") == 0
    assert execute(s, "int_set_incr", "KEYS", 1, "x", "ARGS", 1, "1", "OUTPUTS", 1, "y") == b"OK"
    assert raw.command("AI.TENSORGET", "y", "VALUES") == [2]
    assert execute(s, "float_set_get", "KEYS", 1, "x", "ARGS", 1, "1.1", "OUTPUTS", 1, "y") == b"OK"
    reply = raw.command("AI.TENSORGET", "y", "META", "VALUES")
    assert isinstance(reply, list) and reply[:4] == [b"dtype", b"FLOAT", b"shape", []]
    assert float(reply[5][0]) == pytest.approx(1.1)


def test_redis_execute_writes_without_using_result(s: redis.Redis) -> None:
    """The call's result is unused: TorchScript must not drop it as dead code."""
    assert execute(s, "set_key", "KEYS", 1, "x", "ARGS", 1, "1") == b"OK"
    assert s.get("x") == b"1"
    assert execute(s, "set_key_list", "KEYS", 1, "y", "ARGS", 1, "2") == b"OK"
    assert s.get("y") == b"2"


def test_redis_execute_lists_and_hashes(s: redis.Redis, raw: RawConnection) -> None:
    assert execute(s, "int_list", "KEYS", 1, "l", "ARGS", 2, "1", "2", "OUTPUTS", 1, "y") == b"OK"
    assert raw.command("AI.TENSORGET", "y", "META", "VALUES") == [
        b"dtype",
        b"INT64",
        b"shape",
        [2, 1],
        b"values",
        [1, 2],
    ]
    assert (
        execute(
            s,
            "hash_values",
            "KEYS",
            1,
            "h",
            "ARGS",
            4,
            "field1",
            "1",
            "field2",
            "2",
            "OUTPUTS",
            1,
            "y",
        )
        == b"OK"
    )
    assert raw.command("AI.TENSORGET", "y", "VALUES") == [1, 2]


def test_redis_execute_nested_mixed_array(s: redis.Redis) -> None:
    """SCAN answers [cursor, [keys]]: mixed element types reach the script as List[Any]."""
    s.set("k1", "v")
    s.set("k2", "v")
    assert execute(s, "scan_keys", "KEYS", 1, "k1", "OUTPUTS", 1, "y") == b"OK"
    assert tensorget(s, "y").tolist() == len(s.keys("*")) - 1


@pytest.mark.parametrize(
    ("fn", "text"),
    [
        ("redis_error_wrongtype", "Redis command returned an error: WRONGTYPE Operation against a key holding the wrong kind of value"),
        ("redis_error_arity", "Redis command returned an error: Invalid argument"),
        ("redis_error_unknown", "Redis command returned an error: No such file or directory"),
        ("redis_error_multi", "Redis command returned an error: ERR This Redis command is not allowed from script"),
    ],
)  # fmt: skip
def test_redis_execute_errors(s: redis.Redis, raw: RawConnection, fn: str, text: str) -> None:
    error = err(raw, "AI.SCRIPTEXECUTE", "s", fn, "KEYS", 1, "h")
    assert text in error
    assert "At:" not in error  # no Python traceback leaks into the reply


def test_script_names_are_case_insensitive(s: redis.Redis) -> None:
    assert execute(s, "cased_names", "KEYS", 1, "x", "OUTPUTS", 1, "y") == b"OK"
    assert s.get("x") == b"1"


def test_redis_execute_runs_ai_commands_but_not_runs(s: redis.Redis, raw: RawConnection) -> None:
    source = (
        "def f(tensors: List[Tensor], keys: List[str], args: List[str]):\n"
        "    redis.execute('AI.TENSORSET', keys[0], 'FLOAT', '1', 'VALUES', '7')\n"
        "    redis.execute(args[0], 's', 'addtwo', 'INPUTS', '2', 'a', 'b')\n"
    )
    assert (
        s.execute_command("AI.SCRIPTSTORE", "t", "CPU", "ENTRY_POINTS", 1, "f", "SOURCE", source)
        == b"OK"
    )
    error = err(raw, "AI.SCRIPTEXECUTE", "t", "f", "KEYS", 1, "z", "ARGS", 1, "AI.SCRIPTEXECUTE")
    assert (
        "Redis command returned an error: ERR Cannot run RedisAI command within a transaction or a LUA script"
        in error
    )
    assert tensorget(s, "z").tolist() == [7]  # the write before the failure stays


def test_model_execute_from_script(s: redis.Redis, raw: RawConnection) -> None:
    assert (
        s.execute_command(
            "AI.MODELSTORE", "pt", "TORCH", "CPU", "BLOB", model_bytes("pt-minimal.pt")
        )
        == b"OK"
    )
    assert s.execute_command("AI.MODELSTORE", "onnx", "ONNX", "CPU", "BLOB", onnx_add()) == b"OK"
    assert execute(s, "run_model", "KEYS", 1, "pt", "OUTPUTS", 1, "y") == b"OK"
    assert tensorget(s, "y").tolist() == [[4, 6], [4, 6]]
    assert execute(s, "run_model", "KEYS", 1, "onnx", "OUTPUTS", 1, "y") == b"OK"
    assert tensorget(s, "y").tolist() == [[4, 6], [4, 6]]
    # runs made from a script are not counted for the model
    assert s.execute_command("AI.INFO", "pt")[14:16] == [b"calls", 0]
    assert "ERR model key is empty" in err(
        raw, "AI.SCRIPTEXECUTE", "s", "run_model", "KEYS", 1, "nope", "OUTPUTS", 1, "y"
    )
    error = err(raw, "AI.SCRIPTEXECUTE", "s", "run_model_bad", "KEYS", 1, "onnx", "OUTPUTS", 1, "y")
    assert "RuntimeError" in error


def test_script_waiting_on_a_worker_does_not_block_the_loop(
    s: redis.Redis, server: ServerProcess
) -> None:
    """A script that keeps calling back runs on a worker; the loop keeps serving others
    (their calls interleave with the script's), and the script sees their write."""
    result: list[object] = []

    def run() -> None:
        with redis.Redis(host="127.0.0.1", port=server.port, protocol=2) as other:
            result.append(
                other.execute_command(
                    "AI.SCRIPTEXECUTE", "s", "wait_for_key", "KEYS", 1, "go", "OUTPUTS", 1, "n"
                )
            )

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.3)
    assert s.ping()
    s.set("go", "1")
    thread.join(30)
    assert result == [b"OK"]
    assert tensorget(s, "n").tolist() > 0


# -- TIMEOUT ---------------------------------------------------------------------------------


def test_execute_timeout_while_queue_busy(s: redis.Redis, server: ServerProcess) -> None:
    """A request queued behind a long run times out when a worker finally takes it."""
    result: list[object] = []

    def hold() -> None:
        with redis.Redis(host="127.0.0.1", port=server.port, protocol=2) as other:
            result.append(
                other.execute_command(
                    "AI.SCRIPTEXECUTE", "s", "wait_for_key", "KEYS", 1, "go", "OUTPUTS", 1, "n"
                )
            )

    thread = threading.Thread(target=hold)
    thread.start()
    time.sleep(0.3)
    reply: list[object] = []
    timed = threading.Thread(
        target=lambda: reply.append(
            redis.Redis(host="127.0.0.1", port=server.port, protocol=2).execute_command(
                "AI.SCRIPTEXECUTE",
                "s",
                "addtwo",
                "INPUTS",
                2,
                "a",
                "b",
                "OUTPUTS",
                1,
                "t",
                "TIMEOUT",
                1,
            )
        )
    )
    timed.start()
    time.sleep(0.2)
    s.set("go", "1")
    thread.join(30)
    timed.join(30)
    assert result == [b"OK"]
    assert reply == [b"TIMEDOUT"]
    assert s.exists("t") == 0


# -- several scripts calling back at once ----------------------------------------------------


@pytest.fixture(scope="module")
def busy_server() -> Iterator[ServerProcess]:
    proc = ServerProcess(["--threads-per-queue", "4"]).start()
    yield proc
    proc.cleanup()


def test_many_scripts_calling_back_at_once(busy_server: ServerProcess) -> None:
    """Workers on several queues and threads block on the loop at the same time: no
    deadlock, and every INCR is atomic."""
    with redis.Redis(host="127.0.0.1", port=busy_server.port, protocol=2) as c:
        c.flushall()
        for device in ("CPU", "CPU:1", "CPU:2"):
            store_script(c, f"s{device}", device=device)
    errors_seen: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            with redis.Redis(host="127.0.0.1", port=busy_server.port, protocol=2) as conn:
                for _ in range(3):
                    device = ("CPU", "CPU:1", "CPU:2")[n % 3]
                    reply = conn.execute_command(
                        "AI.SCRIPTEXECUTE", f"s{device}", "incr_many", "KEYS", 1, "counter", "ARGS", 1, "20",
                        "OUTPUTS", 1, f"out{n}",
                    )  # fmt: skip
                    assert reply == b"OK"
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors_seen.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors_seen
    with redis.Redis(host="127.0.0.1", port=busy_server.port, protocol=2) as c:
        assert c.get("counter") == b"%d" % (20 * 3 * 20)


def test_inline_scripts_call_back_directly(make_server: Callable[..., ServerProcess]) -> None:
    """With a huge inline budget, scripts run on the loop after their warm-up runs:
    their calls back must run at once instead of waiting on the loop."""
    proc = make_server("--inline-run-budget-us", "100000000")
    with redis.Redis(host="127.0.0.1", port=proc.port, protocol=2) as c:
        store_script(c)
        for i in range(8):
            reply = c.execute_command(
                "AI.SCRIPTEXECUTE",
                "s",
                "incr_many",
                "KEYS",
                1,
                "counter",
                "ARGS",
                1,
                "5",
                "OUTPUTS",
                1,
                "y",
            )
            assert reply == b"OK"
            assert tensorget(c, "y").tolist() == 5 * (i + 1)


# -- propagation -------------------------------------------------------------------------------


def test_effects_propagate_and_survive_a_rewrite(make_server: Callable[..., ServerProcess]) -> None:
    """Stores verbatim, redis.execute writes as themselves, outputs as AI.TENSORSET, never
    the run; then a rewrite (snapshot preamble: the script codec) and a restart."""
    proc = make_server("--appendonly", "yes", "--appendfsync", "always")
    path = os.path.join(proc.dir, "appendonly.aof")
    with redis.Redis(host="127.0.0.1", port=proc.port, protocol=2) as c:
        store_script(c, tag="v2")
        c.expire("s", 1000)
        assert c.execute_command("AI.SCRIPTSET", "gone", "CPU", "SOURCE", SCRIPT) == b"OK"
        assert c.execute_command("AI.SCRIPTDEL", "gone") == b"OK"
        assert c.execute_command("AI.SCRIPTSET", "old", "CPU", "SOURCE", SCRIPT) == b"OK"
        tensorset(c, "a", np.array([1, 2], np.float32))
        tensorset(c, "b", np.array([3, 4], np.float32))
        reply = execute(c, "set_key", "KEYS", 1, "fromscript", "ARGS", 1, "v")
        assert reply == b"OK"
        assert execute(c, "addtwo", "INPUTS", 2, "a", "b", "OUTPUTS", 1, "out") == b"OK"
        with open(path, "rb") as fh:
            data = fh.read()
        assert b"AI.SCRIPTSTORE" in data and b"AI.SCRIPTDEL" in data  # verbatim
        assert b"$3\r\nSET\r\n$10\r\nfromscript\r\n$1\r\nv\r\n" in data
        assert (
            b"$12\r\nAI.TENSORSET\r\n$3\r\nout\r\n$5\r\nFLOAT\r\n$1\r\n2\r\n$4\r\nBLOB\r\n" in data
        )
        assert b"AI.SCRIPTEXECUTE" not in data  # never the run itself
        c.bgrewriteaof()
        deadline = time.monotonic() + 20
        rewritten = False
        while not rewritten and time.monotonic() < deadline:
            with open(path, "rb") as fh:
                rewritten = fh.read(14) == b"PYREDISAI-SNAP"
            time.sleep(0.05)
        assert rewritten  # the restart below reads the script from the snapshot preamble
        while c.info("persistence").get("aof_rewrite_in_progress") and time.monotonic() < deadline:
            time.sleep(0.05)
    proc.stop()
    proc.start()
    with redis.Redis(host="127.0.0.1", port=proc.port, protocol=2) as c:
        assert c.get("fromscript") == b"v"
        assert tensorget(c, "out").tolist() == [4, 6]
        assert c.exists("gone") == 0
        assert c.type("s") == b"AI_SCRIPT"
        assert 0 < c.ttl("s") <= 1000
        assert c.execute_command("AI.SCRIPTGET", "s") == [
            b"device", b"CPU", b"tag", b"v2", b"Entry Points", [e.encode() for e in ENTRY_POINTS],
            b"source", SCRIPT.encode(),
        ]  # fmt: skip
        assert c.execute_command("AI.SCRIPTGET", "old", "META")[5] == []
        assert c.execute_command("AI.INFO", "s")[14:16] == [b"calls", 0]  # a fresh entry
        assert execute(c, "addtwo", "INPUTS", 2, "a", "a", "OUTPUTS", 1, "y") == b"OK"
        assert tensorget(c, "y").tolist() == [2, 4]


# -- redisai-py ---------------------------------------------------------------------------------


def test_redisai_py_script_api(server: ServerProcess, c: redis.Redis) -> None:
    rai = import_redisai()
    con = rai.Client(host="127.0.0.1", port=server.port)
    assert con.scriptstore("ket", "cpu", SCRIPT, ENTRY_POINTS, tag="v1.0") == "OK"
    assert con.scriptset("ket2", "cpu", SCRIPT) == "OK"
    meta = con.scriptget("ket", meta_only=True)
    assert meta["device"] == "cpu" and meta["tag"] == "v1.0"
    assert con.scriptget("ket")["source"] == SCRIPT
    con.tensorset("a", np.array([2, 3], dtype=np.float32))
    con.tensorset("b", np.array([4, 5], dtype=np.float32))
    assert con.scriptexecute("ket", "addtwo", inputs=["a", "b"], outputs=["c"]) == "OK"
    assert con.tensorget("c").tolist() == [6, 8]
    assert con.scriptexecute("ket", "set_key", keys=["k"], args=["v"]) == "OK"
    assert c.get("k") == b"v"
    assert con.scriptrun("ket", "bar", inputs=["a", "b"], outputs=["d"]) == "OK"
    assert con.tensorget("d").tolist() == [6, 8]
    with pytest.warns(UserWarning, match="experimental"):
        assert con.scriptscan() == [["ket", "v1.0"], ["ket2", ""]]
    info = con.infoget("ket")
    assert info["type"] == "SCRIPT" and info["calls"] == 3
    assert con.scriptdel("ket") == "OK"
    with pytest.raises(redis.ResponseError, match="script key is empty"):
        con.scriptget("ket")
    with pytest.raises(redis.ResponseError) as excinfo:
        con.scriptset("bad", "cpu", "return 1")
    assert (
        str(excinfo.value)
        == "expected def but found 'return' here:   File \"<string>\", line 1 return 1 ~~~~~~ <--- HERE "
    )
