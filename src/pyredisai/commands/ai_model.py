"""AI.MODELSTORE / MODELSET / MODELGET / MODELDEL / MODELEXECUTE / MODELRUN / _MODELSCAN.

RedisAI's `src/redisai.c`, `src/execution/parsing/deprecated.c` and
`model_commands_parser.c`, as restated in shared/reference/redisai-commands.md section 4:
every check in RedisAI's order, the first failure wins, texts exactly as RedisAI sends
them (several without an `ERR` prefix). Like RedisAI's module commands these are
registered with arity -1 and count their own arguments.

Storing: everything is parsed and validated on the loop, then the blob is loaded on a
small thread pool (`ai_common.get_loader`); only the storing client waits (`Deferred`),
and the new value is swapped in on the loop when it is ready, after the WRONGTYPE check
(RedisAI checks it only once the model is built). Runs in flight hold the engine target
and loaded model they captured, so an overwrite never fails them nor mixes versions.

Executing: parse, look the model and the input tensors up, check the output keys, then
`Engine.start` with a `ModelCall` (a RunRequest whose `finish` writes the outputs and
builds the reply). A run the engine finished inline answers at once; otherwise the
client waits on a direct `Deferred` that `finish` resolves: no future and no extra loop
hop between the run's end and the reply. The outputs are written when the run ends,
unless the client has gone meanwhile (RedisAI skips the reply step for a vanished client).

Statistics: storing creates a fresh AI.INFO entry (the old value's entry is released
first, as RedisAI frees the old value first); freeing the value (MODELDEL, DEL, UNLINK,
expiry, FLUSH*, an overwrite by any command) releases the entry if it is still the
value's own, through a `weakref.finalize` on the `Model` (only the keyspace holds it),
so RENAME/MOVE/SWAPDB, which keep the value, keep the entry under its old name.

Propagation: these commands finish after their handler returns, so they carry the flag
`no-propagate` (Server.call must not propagate them) and propagate by hand: stores
verbatim, run outputs as AI.TENSORSET (never the run itself).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import errors
from ..backends.base import BackendError, LoadedModel, ModelOptions
from ..backends.device import is_valid_store_device
from ..backends.registry import BACKENDS, get_backend
from ..engine import RunRequest, RunStats, TimedOut
from ..errors import CommandError, WrongTypeError
from ..keyspace.database import Database, as_key
from ..keyspace.model import Model, PendingModel
from ..persistence.codecs import TAG_MODEL
from ..persistence.snapshot import Reader, Writer, register_codec
from ..protocol.encoder import OK, Raw
from .ai_common import (
    check_not_in_transaction,
    check_output_keys,
    get_engine,
    get_loader,
    input_arrays,
    keyword,
    modelexecute_keys,
    modelrun_keys,
    parse_count,
    parse_strict,
    peek_engine,
    propagate,
    release_stats,
    store_outputs,
    track_stats,
    wrong_arity,
)
from .registry import SERVER_HOOKS, Deferred, command

if TYPE_CHECKING:
    from ..server import Client, Server

TIMEDOUT = Raw(b"+TIMEDOUT\r\n")

_MODELSET_RESERVED = frozenset(
    (b"INPUTS", b"OUTPUTS", b"TAG", b"BATCHSIZE", b"MINBATCHSIZE", b"MINBATCHTIMEOUT", b"BLOB")
)

# -- store requests ----------------------------------------------------------------------


@dataclass(slots=True)
class StoreRequest:
    """A parsed AI.MODELSTORE / AI.MODELSET: everything needed to build the value."""

    key: bytes
    backend: str
    device: bytes
    tag: bytes = b""
    batchsize: int = 0
    minbatchsize: int = 0
    minbatchtimeout: int = 0
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    blob: bytes | bytearray | memoryview = b""

    @property
    def device_str(self) -> str:
        return _text(self.device)


def _text(raw: bytes) -> str:
    """Bytes a client gave, as the str the backends and the engine take (lossless)."""
    return raw.decode("utf-8", "surrogateescape")


def _join_blob(chunks: list[bytes]) -> bytes | bytearray | memoryview:
    """Chunked BLOB: one argument is used as is (no copy), several are concatenated."""
    if len(chunks) == 1:
        return chunks[0]
    return b"".join(chunks)


def _backend_of(arg: bytes) -> str:
    name = keyword(arg).decode("ascii", "replace")
    if name not in BACKENDS:
        raise CommandError(errors.UNSUPPORTED_BACKEND)
    return name


def _batching(req: StoreRequest, argv: list[bytes], i: int, modelset: bool) -> int:
    """BATCHSIZE [MINBATCHSIZE [MINBATCHTIMEOUT]] in RedisAI's order (4.1 steps 5-7,
    4.2 steps 5-7); returns the index of the next word."""
    argc = len(argv)
    if i < argc and keyword(argv[i]) == b"BATCHSIZE":
        if modelset and req.backend == "TFLITE":
            raise CommandError(errors.TFLITE_NO_AUTOBATCHING)
        value = parse_count(argv[i + 1]) if i + 1 < argc else None
        if value is None:
            raise CommandError(errors.INVALID_BATCHSIZE)
        req.batchsize = value
        i += 2
    if i < argc and keyword(argv[i]) == b"MINBATCHSIZE":
        if modelset and req.batchsize == 0:
            raise CommandError(errors.MINBATCHSIZE_WITHOUT_BATCHSIZE)
        value = parse_count(argv[i + 1]) if i + 1 < argc else None
        if value is None:
            raise CommandError(errors.INVALID_MINBATCHSIZE)
        if req.batchsize == 0 and value > 0:
            raise CommandError(errors.MINBATCHSIZE_WITHOUT_BATCHSIZE)
        req.minbatchsize = value
        i += 2
    if i < argc and keyword(argv[i]) == b"MINBATCHTIMEOUT":
        if modelset:
            if req.batchsize == 0:
                raise CommandError(errors.MINBATCHTIMEOUT_WITHOUT_BATCHSIZE)
            if req.minbatchsize == 0:
                raise CommandError(errors.MINBATCHTIMEOUT_WITHOUT_MINBATCHSIZE)
        value = parse_count(argv[i + 1]) if i + 1 < argc else None
        if value is None:
            raise CommandError(errors.INVALID_MINBATCHTIMEOUT)
        if req.minbatchsize == 0 and value > 0:
            raise CommandError(errors.MINBATCHTIMEOUT_WITHOUT_MINBATCHSIZE)
        req.minbatchtimeout = value
        i += 2
    return i


def parse_modelstore(argv: list[bytes]) -> StoreRequest:
    """AI.MODELSTORE's checks, in the order of reference 4.1."""
    argc = len(argv)
    if argc < 6:
        raise wrong_arity(argv)
    backend = _backend_of(argv[2])
    device = bytes(argv[3])
    if not is_valid_store_device(device):
        raise CommandError(errors.INVALID_DEVICE)
    req = StoreRequest(as_key(argv[1]), backend, device)
    i = 4
    if keyword(argv[i]) == b"TAG":
        if i + 1 < argc:
            req.tag = bytes(argv[i + 1])
        i += 2
    i = _batching(req, argv, i, modelset=False)
    if i >= argc:
        raise CommandError(errors.MISSING_MODEL_BLOB)
    word = keyword(argv[i])
    i += 1
    if backend == "TF":
        if word != b"INPUTS":
            raise CommandError(errors.TF_INPUTS_NOT_SPECIFIED)
        count = parse_count(argv[i]) if i < argc else None
        if not count:
            raise CommandError(errors.INVALID_INPUT_COUNT)
        i += 1
        if argc - i < count:
            raise CommandError(errors.MODEL_INPUTS_ARGS)
        req.inputs = [_text(bytes(a)) for a in argv[i : i + count]]
        i += count
        if i >= argc or keyword(argv[i]) != b"OUTPUTS":
            raise CommandError(errors.TF_OUTPUTS_NOT_SPECIFIED)
        i += 1
        count = parse_count(argv[i]) if i < argc else None
        if not count:
            raise CommandError(errors.INVALID_OUTPUT_COUNT)
        i += 1
        if argc - i < count:
            raise CommandError(errors.MODEL_OUTPUTS_ARGS)
        req.outputs = [_text(bytes(a)) for a in argv[i : i + count]]
        i += count
        if i < argc:  # else the word stays OUTPUTS and fails the BLOB check (RedisAI)
            word = keyword(argv[i])
            i += 1
        else:
            word = b"OUTPUTS"
    elif word == b"INPUTS":
        raise CommandError(errors.INPUTS_NOT_FOR_BACKEND)
    if word != b"BLOB":
        raise CommandError(errors.EXPECTED_BLOB)
    if i >= argc:
        raise CommandError(errors.MISSING_MODEL_BLOB)
    req.blob = _join_blob(argv[i:])
    return req


def parse_modelset(argv: list[bytes]) -> StoreRequest:
    """The deprecated AI.MODELSET's checks, in the order of reference 4.2."""
    argc = len(argv)
    if argc < 4:
        raise wrong_arity(argv)
    backend = _backend_of(argv[2])
    device = bytes(argv[3])
    if len(device) > 10 or device.upper() in _MODELSET_RESERVED:
        raise CommandError(errors.INVALID_DEVICE)
    req = StoreRequest(as_key(argv[1]), backend, device)
    i = 4
    if i < argc and keyword(argv[i]) == b"TAG":
        if i + 1 < argc:
            req.tag = bytes(argv[i + 1])
        i += 2
    i = _batching(req, argv, i, modelset=True)
    if i >= argc:
        raise CommandError(errors.MISSING_MODEL_BLOB)
    blob_at = next((j for j in range(i, argc) if keyword(argv[j]) == b"BLOB"), argc)
    options = argv[i:blob_at]
    if backend == "TF":
        if not options:
            raise CommandError(errors.MODELSET_NO_IO)
        if keyword(options[0]) != b"INPUTS":
            raise CommandError(errors.INPUTS_NOT_SPECIFIED)
        out_at = next((j for j in range(1, len(options)) if keyword(options[j]) == b"OUTPUTS"), -1)
        if out_at < 0:
            raise CommandError(errors.OUTPUTS_NOT_SPECIFIED)
        req.inputs = [_text(bytes(a)) for a in options[1:out_at]]
        req.outputs = [_text(bytes(a)) for a in options[out_at + 1 :]]
    if blob_at + 1 >= argc:
        raise CommandError(errors.MISSING_MODEL_BLOB)
    req.blob = _join_blob(argv[blob_at + 1 :])
    return req


# -- building and storing -------------------------------------------------------------------


class _BackendMissing(CommandError):
    """The framework could not be imported: RedisAI's text on the wire, detail in the log."""

    def __init__(self, detail: str) -> None:
        super().__init__(errors.COULD_NOT_LOAD_BACKEND)
        self.detail = detail


def model_options(server: Server, req: StoreRequest) -> ModelOptions:
    config = server.config
    return ModelOptions(
        inputs=req.inputs,
        outputs=req.outputs,
        intra_op_threads=config["intra-op-parallelism"],
        inter_op_threads=config["inter-op-parallelism"],
        memory_limit_mb=config["backend-memory-limit"],
        execution_timeout_ms=config["model-execution-timeout"],
    )


def load_blob(req: StoreRequest, options: ModelOptions) -> LoadedModel:
    """Import the backend and build the runnable (any thread; may take seconds)."""
    try:
        backend = get_backend(req.backend)
    except BackendError as exc:
        raise _BackendMissing(exc.message) from None
    try:
        return backend.load(req.blob, req.device_str, options)  # type: ignore[arg-type]
    except BackendError as exc:
        raise CommandError(exc.message) from None
    except Exception as exc:  # a framework failure the backend did not translate
        raise CommandError(str(exc) or type(exc).__name__) from None


def build_model(server: Server, req: StoreRequest, loaded: LoadedModel) -> Model:
    """The value for a loaded model: engine target and a fresh statistics entry, stored
    in the table now (loop thread). The caller puts the value in the keyspace."""
    engine = get_engine(server)
    device = req.device_str
    stats = RunStats(req.key, "MODEL", req.backend, device, req.tag)
    target = engine.target(
        loaded.run,
        device,
        batchsize=req.batchsize,
        minbatchsize=req.minbatchsize,
        minbatchtimeout_ms=req.minbatchtimeout,
        backend=req.backend,
        stats=stats,
    )
    model = Model(
        req.backend,
        req.device,
        req.tag,
        req.batchsize,
        req.minbatchsize,
        req.minbatchtimeout,
        req.blob,
        loaded,
        target,
        stats,
    )
    track_stats(server, model, stats)
    return model


def load_model_value(server: Server, req: StoreRequest) -> Model:
    """Build a model synchronously, for snapshot/AOF loading and RESTORE (loop thread):
    RedisAI creates a fresh statistics entry when it loads a model value."""
    return build_model(server, req, load_blob(req, model_options(server, req)))


def install_model(
    server: Server,
    db: Database,
    db_index: int,
    req: StoreRequest,
    loaded: LoadedModel,
    argv: list[bytes],
) -> None:
    """Swap the new value in (loop thread): WRONGTYPE after the build (reference 4.1
    step 14), old entry released before the new one is stored, TTL cleared."""
    old = db.get(req.key)
    if type(old) is PendingModel:
        old = None  # never built: it has no statistics entry to release
    elif old is not None and type(old) is not Model:
        raise WrongTypeError()
    if old is not None:
        release_stats(server, old.stats)
    model = build_model(server, req, loaded)
    db.set(req.key, model)  # RedisAI sends no keyspace event for its own writes
    propagate(server, db_index, argv)


def _store(client: Client, argv: list[bytes], req: StoreRequest) -> Any:
    server = client.server
    options = model_options(server, req)
    db, db_index = client.db, client.db_index
    loop = server.loop
    if loop is None or client.in_exec or server.loading:
        # Nothing may wait inside EXEC or while loading: build on the loop.
        try:
            loaded = load_blob(req, options)
        except _BackendMissing as exc:
            server.log.warning(exc.detail)
            raise
        install_model(server, db, db_index, req, loaded, argv)
        return OK
    reply: asyncio.Future[Any] = loop.create_future()
    work = loop.run_in_executor(get_loader(server), load_blob, req, options)
    # Stores of one key land in command order, whichever load finishes first.
    tails: dict[tuple[int, bytes], asyncio.Future[Any]] = server.extensions.setdefault(
        "ai_store_tails", {}
    )
    slot = (db.id, req.key)
    previous = tails.get(slot)
    tails[slot] = reply
    reply.add_done_callback(lambda _: tails.pop(slot) if tails.get(slot) is reply else None)
    finish = partial(_loaded, server, db, db_index, req, argv, reply, work)
    if previous is None:
        work.add_done_callback(lambda _: finish())
    else:
        work.add_done_callback(
            lambda _: (
                finish() if previous.done() else previous.add_done_callback(lambda _: finish())
            )
        )
    return Deferred(reply)


def _loaded(
    server: Server,
    db: Database,
    db_index: int,
    req: StoreRequest,
    argv: list[bytes],
    reply: asyncio.Future[Any],
    work: asyncio.Future[LoadedModel],
) -> None:
    """The load finished (loop thread): swap the value in and answer the client. The
    store happens even if that client is gone, as in RedisAI."""
    if work.cancelled():
        result: Any = CommandError(errors.ENGINE_SHUT_DOWN)
    else:
        exc = work.exception()
        if exc is None:
            try:
                install_model(server, db, db_index, req, work.result(), argv)
                result = OK
            except CommandError as error:
                result = error
        elif isinstance(exc, _BackendMissing):
            server.log.warning(exc.detail)
            result = exc
        elif isinstance(exc, CommandError):
            result = exc
        else:
            result = CommandError(f"ERR {exc}")
    if not reply.done():
        reply.set_result(result)  # an error instance is sent as an error reply


# -- running ---------------------------------------------------------------------------------


def _get_model(client: Client, key: bytes) -> Model:
    db = client.db
    key = as_key(key)
    value = db.read(key)
    if value is None:
        raise CommandError(errors.MODEL_KEY_EMPTY)
    if type(value) is not Model:
        if type(value) is not PendingModel:
            raise WrongTypeError()
        value = _build_pending(client.server, db, key, value)
    return value


def run_model(
    client: Client,
    model: Model,
    inputs: list[np.ndarray[Any, Any]],
    out_keys: list[bytes],
    timeout_ms: int,
) -> Any:
    """Start one run and answer now if the engine already finished it (an inline run),
    else when it does. Outputs are written by the reply step."""
    call = ModelCall(client, model, inputs, out_keys, timeout_ms)
    get_engine(client.server).start(call)
    reply = call.reply
    if reply is not None:
        return reply
    deferred = call.deferred = Deferred()
    return deferred


class ModelCall(RunRequest):
    """One AI.MODELEXECUTE/MODELRUN run and its client: the engine's completion becomes
    the reply directly (no future, no loop hop; the hot path of G8/G10).

    Finished inside `Engine.start` (inline), it leaves `reply` for `run_model` to return,
    with the output keys checked a moment ago; finished later, it resolves `deferred`."""

    __slots__ = ("client", "db", "db_index", "out_keys", "reply", "deferred")

    def __init__(
        self,
        client: Client,
        model: Model,
        inputs: list[np.ndarray[Any, Any]],
        out_keys: list[bytes],
        timeout_ms: int,
    ) -> None:
        super().__init__(model.target, inputs, timeout_ms)
        self.client = client
        self.db = client.db
        self.db_index = client.db_index
        self.out_keys = out_keys
        self.reply: Any = None
        self.deferred: Deferred | None = None

    def finish(self, outputs: Any, error: BaseException | None) -> None:
        """+OK after writing the outputs, +TIMEDOUT, or the backend's error. A vanished
        client gets no outputs written (RedisAI 4.5). Still inside Engine.start (no
        deferred yet), the output keys were checked a moment ago."""
        deferred = self.deferred
        reply: Any = OK
        if error is not None:
            reply = self._failure(error)
        elif not self.client.closing:
            try:
                store_outputs(
                    self.client.server,
                    self.db,
                    self.db_index,
                    self.out_keys,
                    outputs,
                    deferred is not None,
                )
            except CommandError as exc:
                reply = exc
        if deferred is None:
            self.reply = reply
        else:
            deferred.resolve(reply)

    @staticmethod
    def _failure(error: BaseException) -> Any:
        if isinstance(error, TimedOut):
            return TIMEDOUT
        if isinstance(error, CommandError):
            return error
        return CommandError(f"ERR {error}")


def _positive_timeout(arg: bytes) -> int:
    value = parse_strict(arg)
    if value is None or value <= 0:
        raise CommandError(errors.TIMEOUT_INVALID)
    return value


# -- commands ------------------------------------------------------------------------------


@command(
    "ai.modelstore",
    -1,
    "write denyoom module no-propagate",
    keys=(1, 1, 1),
    group="module",
    summary="Stores a model (RedisAI).",
    since="1.2.5",
)
def ai_modelstore(client: Client, argv: list[bytes]) -> Any:
    return _store(client, argv, parse_modelstore(argv))


@command(
    "ai.modelset",
    -1,
    "write denyoom module no-propagate",
    keys=(1, 1, 1),
    group="module",
    summary="Stores a model (RedisAI, deprecated: use AI.MODELSTORE).",
    since="1.0.0",
)
def ai_modelset(client: Client, argv: list[bytes]) -> Any:
    return _store(client, argv, parse_modelset(argv))


@command(
    "ai.modelget",
    -1,
    "readonly module",
    keys=(1, 1, 1),
    group="module",
    summary="Returns a model's metadata and blob (RedisAI).",
    since="1.0.0",
)
def ai_modelget(client: Client, argv: list[bytes]) -> Any:
    argc = len(argv)
    if argc < 2 or argc > 4:
        raise wrong_arity(argv)
    model = _get_model(client, argv[1])
    meta = blob = False
    for arg in argv[2:]:
        word = keyword(arg)
        if word == b"META":
            meta = True
        elif word == b"BLOB":
            blob = True
    if blob and not meta:
        return _blob_reply(model, client.server.config["model-chunk-size"])
    reply: list[Any] = [
        b"backend", model.backend,
        b"device", model.device,
        b"tag", model.tag,
        b"batchsize", model.batchsize,
        b"minbatchsize", model.minbatchsize,
        b"inputs", model.inputs,
        b"outputs", model.outputs,
        b"minbatchtimeout", model.minbatchtimeout,
    ]  # fmt: skip
    if meta and not blob:
        return reply
    reply += (b"blob", _blob_reply(model, client.server.config["model-chunk-size"]))
    return reply


def _blob_reply(model: Model, chunk: int) -> Any:
    """The model bytes: one bulk, or floor(L/C)+1 chunks of C bytes, the last L mod C
    (empty when L is a multiple of C), as views of the stored blob (no copy)."""
    blob = model.blob
    view = memoryview(blob)
    if view.ndim != 1 or view.format != "B":
        view = view.cast("B")
    length = len(view)
    if length < chunk:
        return blob
    return [view[start : start + chunk] for start in range(0, length + 1, chunk)]


@command(
    "ai.modeldel",
    -1,
    "write module",
    keys=(1, 1, 1),
    group="module",
    summary="Deletes a model (RedisAI).",
    since="1.0.0",
)
def ai_modeldel(client: Client, argv: list[bytes]) -> Any:
    if len(argv) != 2:
        raise wrong_arity(argv)
    db = client.db
    key = as_key(argv[1])
    value = db.get(key)
    if value is None:
        raise CommandError(errors.MODEL_KEY_EMPTY)
    if type(value) is PendingModel:
        value = _build_pending(client.server, db, key, value)
    if type(value) is not Model:
        raise WrongTypeError()
    release_stats(client.server, value.stats)
    del value
    db.delete(key)  # RedisAI sends no keyspace event for its own deletes
    return OK


@command(
    "ai.modelexecute",
    -1,
    "write denyoom module no-propagate",
    keys=(4, 4, 1),
    keys_fn=modelexecute_keys,
    group="module",
    summary="Runs a model on stored tensors and stores its outputs (RedisAI).",
    since="1.2.5",
)
def ai_modelexecute(client: Client, argv: list[bytes]) -> Any:
    check_not_in_transaction(client)
    argc = len(argv)
    if argc < 8:
        raise CommandError(errors.MODELEXECUTE_ARITY)
    db = client.db
    model = _get_model(client, argv[1])
    if argv[2] != b"INPUTS" and keyword(argv[2]) != b"INPUTS":
        raise CommandError(errors.INPUTS_NOT_SPECIFIED)
    n_in = parse_strict(argv[3])
    if n_in is None:
        raise CommandError(errors.INVALID_INPUT_COUNT)
    if n_in <= 0:
        raise CommandError(errors.INPUT_COUNT_NOT_POSITIVE)
    if n_in != len(model.inputs):
        raise CommandError(errors.MODEL_INPUTS_MISMATCH)
    i = 4 + n_in
    if argc < i:
        raise CommandError(errors.EXECUTE_INPUT_KEYS)
    if i >= argc or (argv[i] != b"OUTPUTS" and keyword(argv[i]) != b"OUTPUTS"):
        raise CommandError(errors.OUTPUTS_NOT_SPECIFIED)
    n_out = parse_strict(argv[i + 1]) if i + 1 < argc else None
    if n_out is None:
        raise CommandError(errors.INVALID_OUTPUT_COUNT)
    if n_out <= 0:
        raise CommandError(errors.OUTPUT_COUNT_NOT_POSITIVE)
    if n_out != len(model.outputs):
        raise CommandError(errors.MODEL_OUTPUTS_MISMATCH)
    j = i + 2 + n_out
    if argc < j:
        raise CommandError(errors.EXECUTE_OUTPUT_KEYS)
    timeout = 0
    if j < argc:
        if keyword(argv[j]) != b"TIMEOUT":
            raise CommandError(errors.INVALID_ARGUMENT.format(_printable(argv[j])))
        if j + 1 >= argc:
            raise CommandError(errors.TIMEOUT_NO_VALUE)
        timeout = _positive_timeout(argv[j + 1])
        if j + 2 < argc:
            raise CommandError(errors.INVALID_ARGUMENT.format(_printable(argv[j + 2])))
    inputs = input_arrays(db, argv[4 : 4 + n_in])
    out_keys = [as_key(k) for k in argv[i + 2 : j]]
    check_output_keys(db, out_keys)
    return run_model(client, model, inputs, out_keys, timeout)


@command(
    "ai.modelrun",
    -1,
    "write denyoom module no-propagate",
    keys=(3, 3, 1),
    keys_fn=modelrun_keys,
    group="module",
    summary="Runs a model (RedisAI, deprecated: use AI.MODELEXECUTE).",
    since="1.0.0",
)
def ai_modelrun(client: Client, argv: list[bytes]) -> Any:
    check_not_in_transaction(client)
    argc = len(argv)
    if argc < 6:
        raise CommandError(errors.MODELRUN_ARITY)
    db = client.db
    model = _get_model(client, argv[1])
    i = 2
    timeout = 0
    if keyword(argv[i]) == b"TIMEOUT":
        timeout = _positive_timeout(argv[i + 1])
        i += 2
    if keyword(argv[i]) != b"INPUTS":
        raise CommandError(errors.INPUTS_NOT_SPECIFIED)
    i += 1
    out_at = next((j for j in range(i, argc) if keyword(argv[j]) == b"OUTPUTS"), argc)
    in_keys = argv[i:out_at]
    out_keys = [as_key(k) for k in argv[out_at + 1 :]]
    if len(in_keys) != len(model.inputs):
        raise CommandError(errors.MODEL_INPUTS_MISMATCH)
    if len(out_keys) != len(model.outputs):
        raise CommandError(errors.MODEL_OUTPUTS_MISMATCH)
    inputs = input_arrays(db, in_keys)
    check_output_keys(db, out_keys)
    return run_model(client, model, inputs, out_keys, timeout)


@command(
    "ai._modelscan",
    -1,
    "readonly module",
    group="module",
    summary="Lists every model's key and tag (RedisAI, experimental).",
    since="1.2.0",
)
def ai_modelscan(client: Client, argv: list[bytes]) -> Any:
    if len(argv) != 1:
        raise wrong_arity(argv)
    client.server.log.warning("MODELSCAN is experimental and might be removed in future versions")
    engine = peek_engine(client.server)
    if engine is None:
        return []
    return [[stats.key, stats.tag] for stats in engine.stats.entries("MODEL")]


# -- snapshots -----------------------------------------------------------------------------
#
# Snapshot decoding has no server, so a model is read back as a PendingModel and built
# (backend load, engine target, a fresh statistics entry, as RedisAI's rdb_load does) by
# a post-load hook, or on first access for values that arrive another way.


def _enc_model(w: Writer, model: Model) -> None:
    w.str_(model.backend)
    w.bytes_(model.device)
    w.bytes_(model.tag)
    w.u64(model.batchsize)
    w.u64(model.minbatchsize)
    w.u64(model.minbatchtimeout)
    for names in (model.inputs, model.outputs):
        w.u64(len(names))
        for name in names:
            w.bytes_(name)
    w.bytes_(memoryview(model.blob).cast("B"))


def _dec_model(r: Reader) -> PendingModel:
    fields: dict[str, Any] = {
        "backend": r.str_(),
        "device": r.bytes_(),
        "tag": r.bytes_(),
        "batchsize": r.u64(),
        "minbatchsize": r.u64(),
        "minbatchtimeout": r.u64(),
    }
    fields["inputs"] = [r.bytes_() for _ in range(r.u64())]
    fields["outputs"] = [r.bytes_() for _ in range(r.u64())]
    fields["blob"] = r.bytes_()
    return PendingModel(fields)


def _build_pending(server: Server, db: Database, key: bytes, pending: PendingModel) -> Model:
    """Build a model read from a snapshot and put it in place of the placeholder."""
    f = pending.fields
    tf = f["backend"] == "TF"
    req = StoreRequest(
        key,
        f["backend"],
        f["device"],
        f["tag"],
        f["batchsize"],
        f["minbatchsize"],
        f["minbatchtimeout"],
        [_text(n) for n in f["inputs"]] if tf else [],
        [_text(n) for n in f["outputs"]] if tf else [],
        f["blob"],
    )
    try:
        model = load_model_value(server, req)
    except _BackendMissing as exc:
        server.log.warning(exc.detail)
        raise
    db.set(key, model, keep_ttl=True)
    return model


def _build_loaded_models(server: Server) -> None:
    """post_load hook: build every model the snapshot held (key order, like a load)."""
    for db in server.keyspace.dbs:
        for key, value in list(db.data.items()):
            if type(value) is PendingModel:
                try:
                    _build_pending(server, db, key, value)
                except CommandError as exc:
                    server.log.warning(f"could not load model {key!r}: {exc.message}")


def _attach(server: Server) -> None:
    server.extensions.setdefault("post_load_hooks", []).append(_build_loaded_models)


def _enc_pending(w: Writer, pending: PendingModel) -> None:
    f = pending.fields
    w.str_(f["backend"])
    w.bytes_(f["device"])
    w.bytes_(f["tag"])
    w.u64(f["batchsize"])
    w.u64(f["minbatchsize"])
    w.u64(f["minbatchtimeout"])
    for names in (f["inputs"], f["outputs"]):
        w.u64(len(names))
        for name in names:
            w.bytes_(name)
    w.bytes_(f["blob"])


register_codec(Model, TAG_MODEL, _enc_model, _dec_model)
register_codec(PendingModel, TAG_MODEL, _enc_pending, _dec_model)
SERVER_HOOKS.append(_attach)


def _printable(arg: bytes) -> str:
    return bytes(arg).decode("utf-8", "replace")


__all__ = [
    "TIMEDOUT",
    "StoreRequest",
    "build_model",
    "install_model",
    "load_blob",
    "load_model_value",
    "parse_modelset",
    "parse_modelstore",
    "run_model",
]
