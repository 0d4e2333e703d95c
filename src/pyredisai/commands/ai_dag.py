"""AI.DAGEXECUTE / DAGEXECUTE_RO and the deprecated AI.DAGRUN / DAGRUN_RO.

RedisAI's `src/execution/parsing/dag_parser.c`, `deprecated.c` and `src/execution/DAG/`,
as restated in shared/reference/redisai-commands.md section 6.

Parsing happens on the loop, completely, before anything runs: the header (LOAD reads
its tensors now, PERSIST, ROUTING, TIMEOUT), then every op in order (TENSORSET builds its
tensor, model and script ops capture their stored value), then the tensor names are
resolved to versions (`slots`: each op output is a new version of its name; an input
reads the latest version defined before it), then PERSIST is checked. The first error
aborts the command and nothing runs.

Running: TENSORSET and TENSORGET ops do no work; model and script ops become
`engine.dag.DagStep`s that `DagRun` drives through the engine (per device in DAG order,
different devices concurrently). The reply has one element per op; PERSIST tensors are
written, and propagated as AI.TENSORSET, only if no op failed, the DAG did not time out
and the client is still there. A DAG that only sets and gets tensors answers at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import errors
from ..engine.dag import DONE, FAILED, DagRun, DagStep
from ..errors import CommandError, WrongTypeError
from ..keyspace.database import Database, as_key
from ..keyspace.model import Model
from ..keyspace.tensor import Tensor
from ..protocol.encoder import OK, Raw
from .ai_common import (
    check_not_in_transaction,
    get_engine,
    keyword,
    parse_strict,
    propagate,
    tensorset_argv,
)
from .ai_model import TIMEDOUT, _get_model
from .ai_script import ServerCallbacks, parse_scriptexecute, parse_scriptrun, script_runnable
from .ai_tensor import parse_tensorset_args, tensorget_reply
from .registry import Deferred, command

if TYPE_CHECKING:
    from ..server import Client, Server

NA = Raw(b"+NA\r\n")
_CHAIN = b"|>"
_FORMATS = (b"META", b"BLOB", b"VALUES")

# -- the parsed DAG --------------------------------------------------------------------------

_SET, _GET, _RUN = 0, 1, 2


@dataclass(slots=True)
class _Op:
    kind: int
    names_in: list[bytes] = field(default_factory=list)
    names_out: list[bytes] = field(default_factory=list)
    tensor: Tensor | None = None  # TENSORSET
    options: list[bytes] = field(default_factory=list)  # TENSORGET
    target: Any = None  # model/script op: the value's engine target
    fn: Any = None  # script op: the bound runnable
    slot: int = -1  # TENSORGET: the version it reads
    step: DagStep | None = None


@dataclass(slots=True)
class _Dag:
    name: str  # upper case, as RedisAI's fixed error texts print it
    readonly: bool
    deprecated: bool
    loads: list[tuple[bytes, Tensor]] = field(default_factory=list)
    persist: list[bytes] = field(default_factory=list)
    timeout: int = 0
    ops: list[_Op] = field(default_factory=list)
    slots: list[Any] = field(default_factory=list)  # version -> array (None: not yet)
    tensors: dict[int, Tensor] = field(default_factory=dict)  # versions known as Tensors
    persist_slots: list[int] = field(default_factory=list)
    steps: list[DagStep] = field(default_factory=list)


# -- parsing ---------------------------------------------------------------------------------


def parse_dag(
    client: Client, argv: list[bytes], name: str, readonly: bool, deprecated: bool
) -> _Dag:
    """Every check of reference 6.2-6.4, in RedisAI's order."""
    argc = len(argv)
    if deprecated:
        if argc < 4:
            raise CommandError(errors.DAGRUN_ARITY.format(name=name))
    elif argc < 6:
        raise CommandError(errors.DAGEXECUTE_MISSING_ARGS.format(name=name))
    dag = _Dag(name, readonly, deprecated)
    ops_argv = _parse_header(client.db, argv, dag)
    server = client.server
    for op_argv in ops_argv:
        dag.ops.append(_parse_op(server, client, op_argv, dag))
    _resolve_names(dag)
    return dag


def _parse_header(db: Database, argv: list[bytes], dag: _Dag) -> list[list[bytes]]:
    argc = len(argv)
    ops: list[list[bytes]] = []
    load = persist = routing = timeout = False
    i = 1
    while i < argc:
        arg = argv[i]
        if not ops:
            word = keyword(arg)
            if word == b"LOAD" and not load:
                i = _parse_load(db, argv, i, dag)
                load = True
                continue
            if word == b"PERSIST" and not persist:
                if dag.readonly:
                    raise CommandError(errors.DAG_PERSIST_READONLY)
                i = _parse_persist(argv, i, dag)
                persist = True
                continue
            if word == b"ROUTING" and not routing:
                if i + 1 >= argc:
                    raise CommandError(errors.DAG_ROUTING_MISSING)
                i += 2
                routing = True
                continue
            if word == b"TIMEOUT" and not timeout:
                if i + 1 >= argc:
                    raise CommandError(errors.TIMEOUT_NO_VALUE)
                value = parse_strict(argv[i + 1])
                if value is None:
                    raise CommandError(errors.TIMEOUT_INVALID)
                dag.timeout = value  # quirk: zero or negative means no timeout
                i += 2
                timeout = True
                continue
        if arg == _CHAIN and i < argc - 1:
            j = i + 1
            while j < argc and argv[j] != _CHAIN:
                j += 1
            ops.append(argv[i + 1 : j])
            i = j
            continue
        raise CommandError(errors.DAG_UNEXPECTED.format(word=_text(arg)))
    if not dag.deprecated and not (load or persist or routing):
        raise CommandError(errors.DAG_NEEDS_KEYWORD)
    if not ops:
        raise CommandError(errors.DAG_EMPTY)
    return ops


def _parse_load(db: Database, argv: list[bytes], i: int, dag: _Dag) -> int:
    argc = len(argv)
    if argc - i < 3:
        raise CommandError(errors.DAG_LOAD_MISSING)
    count = parse_strict(argv[i + 1])
    if count is None or count <= 0:
        raise CommandError(errors.DAG_LOAD_COUNT)
    j = i + 2
    while j < argc and len(dag.loads) < count:  # counting does not stop at |>
        key = as_key(argv[j])
        value = db.read(key)
        if value is None:
            raise CommandError(errors.TENSOR_KEY_EMPTY)
        if type(value) is not Tensor:
            raise WrongTypeError()
        dag.loads.append((key, value))
        j += 1
    if len(dag.loads) != count:
        raise CommandError(errors.DAG_LOAD_ARGS)
    return j


def _parse_persist(argv: list[bytes], i: int, dag: _Dag) -> int:
    argc = len(argv)
    if argc - i < 3:
        raise CommandError(errors.DAG_PERSIST_MISSING)
    count = parse_strict(argv[i + 1])
    if count is None or count <= 0:
        raise CommandError(errors.DAG_PERSIST_COUNT)
    j = i + 2
    seen: set[bytes] = set()
    while j < argc and len(dag.persist) < count:
        key = as_key(argv[j])
        if key in seen:
            raise CommandError(errors.DAG_PERSIST_UNIQUE)
        seen.add(key)
        dag.persist.append(key)
        j += 1
    if len(dag.persist) != count:
        raise CommandError(errors.DAG_PERSIST_ARGS)
    return j


def _parse_op(server: Server, client: Client, op: list[bytes], dag: _Dag) -> _Op:
    """One op (reference 6.3). Model and script values are captured now."""
    name = keyword(op[0]) if op else b""
    db = client.db
    if name == b"AI.TENSORGET":
        if not 2 <= len(op) <= 4:
            raise CommandError(errors.DAG_TENSORGET_ARITY)
        options = [bytes(a) for a in op[2:]]
        _check_tensorget_options(options)
        return _Op(_GET, names_in=[as_key(op[1])], options=options)
    if name == b"AI.TENSORSET":
        if len(op) < 4:
            raise CommandError(errors.DAG_TENSORSET_ARITY)
        tensor = parse_tensorset_args(op[2:], server.config["proto-max-bulk-len"])
        return _Op(_SET, names_out=[as_key(op[1])], tensor=tensor)
    if name in (b"AI.MODELEXECUTE", b"AI.MODELRUN"):
        if (name == b"AI.MODELRUN") != dag.deprecated:
            raise CommandError(_misplaced(name, dag))
        if dag.deprecated:
            model, ins, outs = _parse_modelrun_op(client, op)
        else:
            model, ins, outs = _parse_modelexecute_op(client, op)
        return _Op(_RUN, names_in=ins, names_out=outs, target=model.target)
    if name in (b"AI.SCRIPTEXECUTE", b"AI.SCRIPTRUN"):
        if (name == b"AI.SCRIPTRUN") != dag.deprecated:
            raise CommandError(_misplaced(name, dag))
        if name == b"AI.SCRIPTEXECUTE" and dag.readonly:
            raise CommandError(errors.DAG_RO_SCRIPTEXECUTE)
        if dag.deprecated:
            call = parse_scriptrun(server, db, op, in_dag=True)
        else:
            call = parse_scriptexecute(server, db, op, in_dag=True)
        fn = script_runnable(call, len(call.outputs), ServerCallbacks(server, client.db_index))
        return _Op(
            _RUN, names_in=call.inputs, names_out=call.outputs, target=call.script.target, fn=fn
        )
    raise CommandError(errors.DAG_UNSUPPORTED_OP)


def _misplaced(name: bytes, dag: _Dag) -> str:
    cmd = name.decode()
    if dag.deprecated:
        return errors.DAG_NEW_OP_IN_DAGRUN.format(cmd=cmd)
    return errors.DAG_DEPRECATED_OP.format(cmd=cmd)


def _check_tensorget_options(options: list[bytes]) -> None:
    """AI.TENSORGET's format checks (reference 3.6 step 3), without a tensor."""
    words = [keyword(o) for o in options]
    for word in words:
        if word not in _FORMATS:
            raise CommandError(errors.TENSOR_UNSUPPORTED_FORMAT)
    if b"BLOB" in words and b"VALUES" in words:
        raise CommandError(errors.TENSOR_BLOB_AND_VALUES)


def _parse_modelexecute_op(
    client: Client, op: list[bytes]
) -> tuple[Model, list[bytes], list[bytes]]:
    """AI.MODELEXECUTE inside a DAG: reference 4.5 steps 2-12 (inputs are DAG names,
    not looked up), and TIMEOUT refused once parsed."""
    argc = len(op)
    if argc < 8:
        raise CommandError(errors.MODELEXECUTE_ARITY)
    model = _get_model(client, op[1])
    if keyword(op[2]) != b"INPUTS":
        raise CommandError(errors.INPUTS_NOT_SPECIFIED)
    n_in = parse_strict(op[3])
    if n_in is None:
        raise CommandError(errors.INVALID_INPUT_COUNT)
    if n_in <= 0:
        raise CommandError(errors.INPUT_COUNT_NOT_POSITIVE)
    if n_in != len(model.inputs):
        raise CommandError(errors.MODEL_INPUTS_MISMATCH)
    i = 4 + n_in
    if argc < i:
        raise CommandError(errors.EXECUTE_INPUT_KEYS)
    if i >= argc or keyword(op[i]) != b"OUTPUTS":
        raise CommandError(errors.OUTPUTS_NOT_SPECIFIED)
    n_out = parse_strict(op[i + 1]) if i + 1 < argc else None
    if n_out is None:
        raise CommandError(errors.INVALID_OUTPUT_COUNT)
    if n_out <= 0:
        raise CommandError(errors.OUTPUT_COUNT_NOT_POSITIVE)
    if n_out != len(model.outputs):
        raise CommandError(errors.MODEL_OUTPUTS_MISMATCH)
    j = i + 2 + n_out
    if argc < j:
        raise CommandError(errors.EXECUTE_OUTPUT_KEYS)
    if j < argc:
        if keyword(op[j]) != b"TIMEOUT":
            raise CommandError(errors.INVALID_ARGUMENT.format(_text(op[j])))
        if j + 1 >= argc:
            raise CommandError(errors.TIMEOUT_NO_VALUE)
        value = parse_strict(op[j + 1])
        if value is None or value <= 0:
            raise CommandError(errors.TIMEOUT_INVALID)
        if j + 2 < argc:
            raise CommandError(errors.INVALID_ARGUMENT.format(_text(op[j + 2])))
        raise CommandError(errors.DAG_TIMEOUT_IN_OP)
    return model, [as_key(a) for a in op[4 : 4 + n_in]], [as_key(a) for a in op[i + 2 : j]]


def _parse_modelrun_op(client: Client, op: list[bytes]) -> tuple[Model, list[bytes], list[bytes]]:
    """AI.MODELRUN inside the deprecated AI.DAGRUN (reference 4.6 steps 2-6)."""
    argc = len(op)
    if argc < 6:
        raise CommandError(errors.MODELRUN_ARITY)
    model = _get_model(client, op[1])
    i = 2
    timeout = 0
    if keyword(op[i]) == b"TIMEOUT":
        value = parse_strict(op[i + 1])
        if value is None or value <= 0:
            raise CommandError(errors.TIMEOUT_INVALID)
        timeout = value
        i += 2
    if keyword(op[i]) != b"INPUTS":
        raise CommandError(errors.INPUTS_NOT_SPECIFIED)
    i += 1
    out_at = next((j for j in range(i, argc) if keyword(op[j]) == b"OUTPUTS"), argc)
    ins = [as_key(a) for a in op[i:out_at]]
    outs = [as_key(a) for a in op[out_at + 1 :]]
    if len(ins) != len(model.inputs):
        raise CommandError(errors.MODEL_INPUTS_MISMATCH)
    if len(outs) != len(model.outputs):
        raise CommandError(errors.MODEL_OUTPUTS_MISMATCH)
    if timeout:
        raise CommandError(errors.DAG_TIMEOUT_IN_OP)
    return model, ins, outs


def _resolve_names(dag: _Dag) -> None:
    """Map names to versions (reference 6.4) and build the engine steps."""
    latest: dict[bytes, int] = {}
    slots, tensors = dag.slots, dag.tensors
    for key, tensor in dag.loads:
        if key not in latest:
            latest[key] = len(slots)
            tensors[len(slots)] = tensor
            slots.append(tensor.array)
    for op in dag.ops:
        if op.kind == _SET:
            assert op.tensor is not None
            latest[op.names_out[0]] = len(slots)
            tensors[len(slots)] = op.tensor
            slots.append(op.tensor.array)
            continue
        inputs = []
        for name in op.names_in:
            slot = latest.get(name)
            if slot is None:
                raise CommandError(errors.DAG_INPUT_NOT_FOUND)
            inputs.append(slot)
        if op.kind == _GET:
            op.slot = inputs[0]
            continue
        outputs = []
        for name in op.names_out:
            latest[name] = len(slots)
            outputs.append(len(slots))
            slots.append(None)
        op.step = DagStep(op.target, inputs, outputs, op.fn)
        dag.steps.append(op.step)
    for key in dag.persist:
        slot = latest.get(key)
        if slot is None:
            raise CommandError(errors.DAG_PERSIST_NOT_FOUND)
        dag.persist_slots.append(slot)


# -- running and replying ----------------------------------------------------------------------


def _execute(client: Client, argv: list[bytes], name: str, readonly: bool, deprecated: bool) -> Any:
    check_not_in_transaction(client)
    dag = parse_dag(client, argv, name, readonly, deprecated)
    db, db_index = client.db, client.db_index
    if not dag.steps:
        return _finish(client, db, db_index, dag, None)
    server = client.server
    run = DagRun(get_engine(server), dag.steps, dag.slots, dag.timeout)
    done = run.start()
    assert server.loop is not None
    reply: asyncio.Future[Any] = server.loop.create_future()
    done.add_done_callback(partial(_run_done, client, db, db_index, dag, run, reply))
    return Deferred(reply)


def _run_done(
    client: Client,
    db: Database,
    db_index: int,
    dag: _Dag,
    run: DagRun,
    reply: asyncio.Future[Any],
    done: asyncio.Future[None],
) -> None:
    if reply.done():
        return
    try:
        result = _finish(client, db, db_index, dag, run)
    except CommandError as exc:
        result = exc
    reply.set_result(result)


def _tensor(dag: _Dag, slot: int) -> Tensor | None:
    """The tensor of a version (built from a run's output array on first use)."""
    tensor = dag.tensors.get(slot)
    if tensor is None:
        value = dag.slots[slot]
        if not isinstance(value, np.ndarray):
            return None  # never produced (a failed or skipped op, a non-tensor output)
        tensor = dag.tensors[slot] = Tensor.from_array(value)
    return tensor


def _finish(client: Client, db: Database, db_index: int, dag: _Dag, run: DagRun | None) -> Any:
    """The reply (reference 6.6), and PERSIST if nothing failed (loop thread)."""
    if run is not None and run.timed_out:
        return TIMEDOUT
    replies: list[Any] = []
    failed = False
    for op in dag.ops:
        if op.kind == _SET:
            replies.append(OK)
        elif op.kind == _GET:
            tensor = _tensor(dag, op.slot)
            if tensor is None:
                replies.append(NA)
                continue
            try:
                replies.append(tensorget_reply(tensor, op.options))
            except CommandError as exc:
                replies.append(exc)
        else:
            step = op.step
            assert step is not None
            if step.state == DONE:
                replies.append(OK)
            elif step.state == FAILED:
                replies.append(step.error or CommandError(errors.ENGINE_SHUT_DOWN))
                failed = True
            else:
                replies.append(NA)
    if failed or client.closing or not dag.persist:
        return replies
    server = client.server
    for key, slot in zip(dag.persist, dag.persist_slots, strict=True):
        tensor = _tensor(dag, slot)
        if tensor is None:
            continue  # a non-tensor output: the key is left unchanged, as for runs
        old = db.get(key)
        if old is not None and type(old) is not Tensor:
            replies.append(WrongTypeError())
            break
        db.set(key, tensor)  # TTL cleared; RedisAI sends no keyspace event
        if tensor.dtype is not None:
            propagate(server, db_index, tensorset_argv(key, tensor))
    return replies


def _text(raw: bytes | bytearray) -> str:
    return bytes(raw).decode("utf-8", "surrogateescape")


# -- key-finders (COMMAND GETKEYS) ------------------------------------------------------------


def dag_keys(argv: list[bytes]) -> list[int]:
    """LOAD and PERSIST keys, the ROUTING value, and the key after each AI.MODELEXECUTE or
    AI.SCRIPTEXECUTE token (config-persistence 6.1); DAG-local names are not keys."""
    keys: list[int] = []
    argc = len(argv)
    i = 1
    while i < argc:
        word = keyword(argv[i])
        if word in (b"LOAD", b"PERSIST") and i + 1 < argc:
            count = parse_strict(argv[i + 1])
            if count is not None and count > 0:
                keys.extend(range(i + 2, min(i + 2 + count, argc)))
                i += 2 + count
                continue
        elif word == b"ROUTING" and i + 1 < argc:
            keys.append(i + 1)
            i += 2
            continue
        elif word in (b"AI.MODELEXECUTE", b"AI.SCRIPTEXECUTE") and i + 1 < argc:
            keys.append(i + 1)
        i += 1
    return sorted(set(keys))


# -- commands ------------------------------------------------------------------------------


@command(
    "ai.dagexecute",
    -1,
    "write denyoom module no-propagate",
    keys=(3, 3, 1),
    keys_fn=dag_keys,
    group="module",
    summary="Runs a chain of tensor, model and script operations (RedisAI).",
    since="1.2.5",
)
def ai_dagexecute(client: Client, argv: list[bytes]) -> Any:
    return _execute(client, argv, "AI.DAGEXECUTE", readonly=False, deprecated=False)


@command(
    "ai.dagexecute_ro",
    -1,
    "readonly module",
    keys=(3, 3, 1),
    keys_fn=dag_keys,
    group="module",
    summary="Runs a read-only chain of tensor and model operations (RedisAI).",
    since="1.2.5",
)
def ai_dagexecute_ro(client: Client, argv: list[bytes]) -> Any:
    return _execute(client, argv, "AI.DAGEXECUTE_RO", readonly=True, deprecated=False)


@command(
    "ai.dagrun",
    -1,
    "write denyoom module no-propagate",
    keys=(3, 3, 1),
    keys_fn=dag_keys,
    group="module",
    summary="Runs a chain of operations (RedisAI, deprecated: use AI.DAGEXECUTE).",
    since="1.0.0",
)
def ai_dagrun(client: Client, argv: list[bytes]) -> Any:
    return _execute(client, argv, "AI.DAGRUN", readonly=False, deprecated=True)


@command(
    "ai.dagrun_ro",
    -1,
    "readonly module",
    keys=(3, 3, 1),
    keys_fn=dag_keys,
    group="module",
    summary="Runs a read-only chain of operations (RedisAI, deprecated: use AI.DAGEXECUTE_RO).",
    since="1.0.0",
)
def ai_dagrun_ro(client: Client, argv: list[bytes]) -> Any:
    return _execute(client, argv, "AI.DAGRUN_RO", readonly=True, deprecated=True)


__all__ = ["NA", "dag_keys", "parse_dag"]
