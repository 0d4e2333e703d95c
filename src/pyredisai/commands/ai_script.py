"""AI.SCRIPTSTORE / SCRIPTSET / SCRIPTGET / SCRIPTDEL / SCRIPTEXECUTE / SCRIPTRUN / _SCRIPTSCAN.

RedisAI's `src/redisai.c`, `script_commands_parser.c` and `deprecated.c`, as restated in
shared/reference/redisai-commands.md section 5: every check in RedisAI's order, the first
failure wins, texts exactly as RedisAI sends them. Like RedisAI's module commands these
are registered with arity -1 and count their own arguments.

Storing: the source is parsed on the loop, compiled with TorchScript on the small loader
pool (`ai_common.get_loader`; only the storing client waits), and swapped in on the loop
after the WRONGTYPE check, which RedisAI makes only once the script is built. A failed
compile stores nothing.

Executing: parse, look the script and the input tensors up, check the output keys, then
`Engine.submit` on the script's device queue with the function, KEYS and ARGS bound
(`script_runnable`). Outputs are written, and propagated as AI.TENSORSET, when the run
ends, unless the client has gone.

Calls back from a script (`redis.execute`, `redisAI.model_execute`) go through
`ServerCallbacks`: the keyspace belongs to the event-loop thread, so a script running on
a worker hands each call to the loop (`call_soon_threadsafe`) and blocks until the loop
ran it through the normal dispatch, as one atomic command of a pseudo-client on the
caller's database, so writes are propagated like any other. A script that runs inline on
the loop calls dispatch directly (waiting on the loop from the loop would deadlock).
The loop never waits for a worker, so any number of scripts may call back at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import errors
from ..backends.base import Array, BackendError
from ..engine import RunRequest, RunStats, TimedOut
from ..errors import CommandError, WrongTypeError
from ..keyspace.database import Database, as_key
from ..keyspace.model import Model, PendingModel
from ..keyspace.script import PendingScript, Script
from ..persistence.codecs import TAG_SCRIPT
from ..persistence.snapshot import Reader, Writer, register_codec
from ..protocol.encoder import OK, encode
from .ai_common import (
    check_not_in_transaction,
    check_output_keys,
    get_engine,
    get_loader,
    input_arrays,
    keyword,
    parse_strict,
    peek_engine,
    propagate,
    release_stats,
    store_outputs,
    track_stats,
    wrong_arity,
)
from .ai_model import TIMEDOUT
from .ai_tensor import parse_double
from .registry import COMMANDS, SERVER_HOOKS, Deferred, command, lookup_subcommand

if TYPE_CHECKING:
    from ..backends.torch_script import CompiledScript
    from ..engine import RunFn
    from ..server import Client, Server

_LLONG_MAX = 2**63 - 1
_LLONG_MIN = -(2**63)

# -- parsing ---------------------------------------------------------------------------------


@dataclass(slots=True)
class ScriptStore:
    """A parsed AI.SCRIPTSTORE / AI.SCRIPTSET: everything needed to build the value."""

    key: bytes
    device: bytes
    tag: bytes = b""
    entry_points: list[bytes] = field(default_factory=list)
    source: bytes = b""


@dataclass(slots=True)
class ScriptCall:
    """A parsed AI.SCRIPTEXECUTE / AI.SCRIPTRUN (standalone or a DAG op)."""

    script: Script
    function: bytes
    keys: list[bytes] = field(default_factory=list)
    inputs: list[bytes] = field(default_factory=list)
    args: list[bytes] = field(default_factory=list)
    outputs: list[bytes] = field(default_factory=list)
    timeout: int = 0


def _text(raw: bytes | bytearray) -> str:
    """Client bytes as the str a backend takes (lossless: surrogate escapes)."""
    return bytes(raw).decode("utf-8", "surrogateescape")


def _script_str(raw: bytes | bytearray) -> str:
    """KEYS and ARGS as TorchScript `str` values (which must be valid UTF-8)."""
    return bytes(raw).decode("utf-8", "replace")


def _signed_count(arg: bytes | bytearray) -> int | None:
    """RedisAI's AC_GetLongLong: a strict integer, else an integral double (`2.0`)."""
    value = parse_strict(arg)
    if value is not None:
        return value
    number = parse_double(bytes(arg))
    if number is None or not number.is_integer() or not _LLONG_MIN <= number <= _LLONG_MAX:
        return None
    return int(number)


def parse_scriptstore(argv: list[bytes]) -> ScriptStore:
    """AI.SCRIPTSTORE's checks, in the order of reference 5.3."""
    argc = len(argv)
    if argc < 8:
        raise wrong_arity(argv)
    req = ScriptStore(as_key(argv[1]), bytes(argv[2]))
    i = 3
    if keyword(argv[i]) == b"TAG":
        req.tag = bytes(argv[i + 1])
        i += 2
    if i >= argc or keyword(argv[i]) != b"ENTRY_POINTS":
        raise CommandError(errors.SCRIPT_MISSING_ENTRY_POINTS)
    count = _signed_count(argv[i + 1]) if i + 1 < argc else None
    if count is None:
        raise CommandError(errors.SCRIPT_EP_COUNT_NOT_NUMERIC)
    i += 2
    if count < 0 or argc - i < count:  # pyredisai: a negative count is this error too
        raise CommandError(errors.SCRIPT_MISSING_ENTRY_POINTS)
    req.entry_points = [bytes(a) for a in argv[i : i + count]]
    i += count
    if i + 1 >= argc or keyword(argv[i]) != b"SOURCE":
        raise CommandError(errors.SCRIPT_MISSING_SOURCE)
    req.source = _c_string(argv[i + 1])  # words after the source are ignored
    return req


def parse_scriptset(argv: list[bytes]) -> ScriptStore:
    """The deprecated AI.SCRIPTSET (reference 5.4): no entry points."""
    argc = len(argv)
    if argc not in (5, 7):
        raise wrong_arity(argv)
    req = ScriptStore(as_key(argv[1]), bytes(argv[2]))
    i = 3
    if keyword(argv[i]) == b"TAG":
        req.tag = bytes(argv[i + 1])
        i += 2
    if i + 1 >= argc or keyword(argv[i]) != b"SOURCE":
        raise CommandError(errors.SCRIPT_MISSING_SOURCE)
    req.source = _c_string(argv[i + 1])
    return req


def _c_string(arg: bytes | bytearray) -> bytes:
    """RedisAI keeps the source as a C string: anything after a NUL is lost."""
    raw = bytes(arg)
    nul = raw.find(0)
    return raw if nul == -1 else raw[:nul]


def get_script(server: Server, db: Database, key: bytes | bytearray) -> Script:
    """The script at `key` (a snapshot placeholder is compiled now), or RedisAI's error."""
    key = as_key(key)
    value = db.read(key)
    if value is None:
        raise CommandError(errors.SCRIPT_KEY_EMPTY)
    if type(value) is not Script:
        if type(value) is not PendingScript:
            raise WrongTypeError()
        value = _build_pending(server, db, key, value)
    return value


_SCOPES = {b"KEYS": "KEYS", b"INPUTS": "INPUTS", b"ARGS": "ARGS", b"OUTPUTS": "OUTPUTS"}
_COUNT_ERRORS = {
    "INPUTS": errors.SCRIPTEXECUTE_INPUTS_COUNT,
    "ARGS": errors.SCRIPTEXECUTE_ARGS_COUNT,
    "OUTPUTS": errors.SCRIPTEXECUTE_OUTPUTS_COUNT,
}


def parse_scriptexecute(
    server: Server, db: Database, argv: list[bytes], in_dag: bool = False
) -> ScriptCall:
    """AI.SCRIPTEXECUTE's checks (reference 5.7 steps 2-6; in a DAG, 6.3): the script is
    looked up, the input names are not."""
    argc = len(argv)
    if argc < 3:
        raise CommandError(errors.SCRIPTEXECUTE_ARITY)
    call = ScriptCall(get_script(server, db, argv[1]), bytes(argv[2]))
    i = 3
    if not in_dag and (argc == 3 or keyword(argv[3]) not in (b"KEYS", b"INPUTS")):
        raise CommandError(errors.SCRIPTEXECUTE_SCOPE_FIRST)
    seen: set[str] = set()
    while i < argc:
        word = keyword(argv[i])
        if word == b"TIMEOUT":
            if i + 1 >= argc:
                raise CommandError(errors.SCRIPTEXECUTE_TIMEOUT_NO_VALUE)
            call.timeout = _positive_timeout(argv[i + 1])
            if i + 2 < argc:
                raise CommandError(errors.SCRIPTEXECUTE_PARSE_PROBLEM)
            break
        scope = _SCOPES.get(word)
        if scope is None:
            raise CommandError(errors.SCRIPTEXECUTE_UNEXPECTED.format(word=_text(argv[i])))
        if scope in seen:
            raise CommandError(errors.SCRIPTEXECUTE_SCOPE_AGAIN.format(scope=scope))
        seen.add(scope)
        if scope == "KEYS":
            if argc - i - 1 < 2:
                raise CommandError(errors.SCRIPTEXECUTE_KEYS_MISSING)
            count = parse_strict(argv[i + 1])
            if count is None or count <= 0:
                raise CommandError(errors.SCRIPTEXECUTE_KEYS_COUNT)
            if argc - i - 2 < count:
                raise CommandError(errors.SCRIPTEXECUTE_KEYS_ARGS)
        else:
            if i + 1 >= argc:
                raise CommandError(errors.SCRIPTEXECUTE_INVALID_ARGS)
            parsed = parse_strict(argv[i + 1])
            if parsed is None:
                raise CommandError(_COUNT_ERRORS[scope])
            count = max(parsed, 0)  # quirk: RedisAI reads a negative count as 0
            if argc - i - 2 < count:
                raise CommandError(errors.SCRIPTEXECUTE_SCOPE_ARGS.format(scope=scope.lower()))
        words = [as_key(a) for a in argv[i + 2 : i + 2 + count]]
        if scope == "KEYS":
            call.keys = words
        elif scope == "INPUTS":
            call.inputs = words
        elif scope == "ARGS":
            call.args = words
        else:
            call.outputs = words
        i += 2 + count
    if in_dag and call.timeout:
        raise CommandError(errors.DAG_TIMEOUT_IN_OP)
    return call


def parse_scriptrun(
    server: Server, db: Database, argv: list[bytes], in_dag: bool = False
) -> ScriptCall:
    """The deprecated AI.SCRIPTRUN (reference 5.8): `$` is accepted and ignored (the
    function's signature decides which inputs form the list)."""
    argc = len(argv)
    if argc < 3:
        raise CommandError(errors.SCRIPTRUN_ARITY)
    call = ScriptCall(get_script(server, db, argv[1]), bytes(argv[2]))
    section = ""
    outputs_seen = timeout_seen = variadic = False
    i = 3
    while i < argc:
        arg = argv[i]
        word = keyword(arg)
        if word == b"TIMEOUT":
            if timeout_seen:
                raise CommandError(errors.SCRIPTRUN_TIMEOUT_AGAIN)
            if i + 1 >= argc:  # RedisAI reads past argv here
                raise CommandError(errors.TIMEOUT_INVALID)
            call.timeout = _positive_timeout(argv[i + 1])
            timeout_seen = True
            i += 2
            continue
        if word == b"INPUTS":
            if section == "in":
                raise CommandError(errors.SCRIPTRUN_INPUTS_KEYWORD_AGAIN)
            if outputs_seen:
                raise CommandError(errors.SCRIPTRUN_INPUTS_SECTION_AGAIN)
            section = "in"
        elif word == b"OUTPUTS":
            if section == "out":
                raise CommandError(errors.SCRIPTRUN_OUTPUTS_KEYWORD_AGAIN)
            section = "out"
            outputs_seen = True
        elif arg == b"$":
            if section != "in":
                raise CommandError(errors.SCRIPTRUN_VARIADIC_OUTSIDE)
            if variadic:
                raise CommandError(errors.SCRIPTRUN_VARIADIC_AGAIN)
            variadic = True
        elif section == "in":
            call.inputs.append(as_key(arg))
        elif section == "out":
            call.outputs.append(as_key(arg))
        else:
            raise CommandError(errors.SCRIPTRUN_UNRECOGNIZED)
        i += 1
    if in_dag and call.timeout:
        raise CommandError(errors.DAG_TIMEOUT_IN_OP)
    return call


def _positive_timeout(arg: bytes) -> int:
    value = parse_strict(arg)
    if value is None or value <= 0:
        raise CommandError(errors.TIMEOUT_INVALID)
    return value


# -- key-finders (COMMAND GETKEYS) --------------------------------------------------------


def scriptexecute_keys(argv: list[bytes]) -> list[int]:
    """The script, then the words of each KEYS, INPUTS and OUTPUTS scope (ARGS skipped;
    RedisAI's quirks of stopping at ARGS and missing a trailing scope are not kept)."""
    argc = len(argv)
    keys = [1] if argc > 1 else []
    i = 3
    while i + 1 < argc:
        scope = _SCOPES.get(keyword(argv[i]))
        count = parse_strict(argv[i + 1]) if scope is not None else None
        if count is None or count < 0:
            break
        if scope != "ARGS":
            keys.extend(range(i + 2, min(i + 2 + count, argc)))
        i += 2 + count
    return keys


def scriptrun_keys(argv: list[bytes]) -> list[int]:
    """AI.SCRIPTRUN: the script, then (after an optional TIMEOUT <t> and the INPUTS word)
    every argument but OUTPUTS and `$`."""
    if len(argv) < 2:
        return []
    keys = [1]
    i = 3
    if i < len(argv) and keyword(argv[i]) == b"TIMEOUT":
        i += 2
    i += 1  # the INPUTS word
    keys.extend(
        j for j in range(i, len(argv)) if keyword(argv[j]) != b"OUTPUTS" and argv[j] != b"$"
    )
    return keys


# -- building and storing -------------------------------------------------------------------


def compile_source(req: ScriptStore) -> CompiledScript:
    """Import the backend and compile (any thread; TorchScript may take a while)."""
    try:
        from ..backends.torch_script import compile_script
    except ImportError as exc:
        raise _BackendMissing(
            f"TorchScript needs the torch extra: pip install 'pyredisai[torch]' ({exc})"
        ) from None
    try:
        return compile_script(
            req.source.decode("utf-8", "replace"),
            _text(req.device),
            [_text(name) for name in req.entry_points],
        )
    except BackendError as exc:
        raise CommandError(exc.message) from None
    except Exception as exc:  # a framework failure the backend did not translate
        raise CommandError(str(exc) or type(exc).__name__) from None


class _BackendMissing(CommandError):
    """torch is not installed: RedisAI's text on the wire, the pip extra in the log."""

    def __init__(self, detail: str) -> None:
        super().__init__(errors.COULD_NOT_LOAD_BACKEND)
        self.detail = detail


def _unnamed(inputs: list[np.ndarray]) -> Any:
    """A script target's default runnable: every script run names its function (the
    request's own runnable), so this only answers a run that did not."""
    raise CommandError(errors.SCRIPT_FN_NOT_FOUND.format(fn=""))


def build_script(server: Server, req: ScriptStore, compiled: CompiledScript) -> Script:
    """The value for a compiled script: engine target and a fresh statistics entry,
    stored in the table now (loop thread). The caller puts it in the keyspace."""
    engine = get_engine(server)
    device = _text(req.device)
    stats = RunStats(req.key, "SCRIPT", "TORCH", device, req.tag)
    target = engine.target(_unnamed, device, backend="TORCH", stats=stats)
    script = Script(req.device, req.tag, req.source, req.entry_points, compiled, target, stats)
    track_stats(server, script, stats)
    return script


def load_script_value(server: Server, req: ScriptStore) -> Script:
    """Build a script synchronously (snapshot/AOF loading, RESTORE; loop thread)."""
    return build_script(server, req, compile_source(req))


def install_script(
    server: Server,
    db: Database,
    db_index: int,
    req: ScriptStore,
    compiled: CompiledScript,
    argv: list[bytes],
) -> None:
    """Swap the new value in (loop thread): WRONGTYPE after compiling (reference 5.3
    step 10), the old entry released before the new one is stored, TTL cleared."""
    old = db.get(req.key)
    if type(old) is PendingScript:
        old = None  # never compiled: it has no statistics entry to release
    elif old is not None and type(old) is not Script:
        raise WrongTypeError()
    if old is not None:
        release_stats(server, old.stats)
    db.set(req.key, build_script(server, req, compiled))  # RedisAI sends no keyspace event
    propagate(server, db_index, argv)


def _store(client: Client, argv: list[bytes], req: ScriptStore) -> Any:
    server = client.server
    db, db_index = client.db, client.db_index
    loop = server.loop
    if loop is None or client.in_exec or server.loading:
        try:  # nothing may wait inside EXEC or while loading: compile on the loop
            compiled = compile_source(req)
        except _BackendMissing as exc:
            server.log.warning(exc.detail)
            raise
        install_script(server, db, db_index, req, compiled, argv)
        return OK
    reply: asyncio.Future[Any] = loop.create_future()
    work = loop.run_in_executor(get_loader(server), compile_source, req)
    work.add_done_callback(partial(_compiled, server, db, db_index, req, argv, reply))
    return Deferred(reply)


def _compiled(
    server: Server,
    db: Database,
    db_index: int,
    req: ScriptStore,
    argv: list[bytes],
    reply: asyncio.Future[Any],
    work: asyncio.Future[CompiledScript],
) -> None:
    """The compile finished (loop thread): swap the value in and answer. The store
    happens even if the client is gone, as in RedisAI."""
    if work.cancelled():
        result: Any = CommandError(errors.ENGINE_SHUT_DOWN)
    else:
        exc = work.exception()
        if exc is None:
            try:
                install_script(server, db, db_index, req, work.result(), argv)
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
        reply.set_result(result)


# -- calls back from a running script ------------------------------------------------------


class ServerCallbacks:
    """`redis.execute` and `redisAI.model_execute` for the runs of one command.

    Built on the loop thread; its methods may be called from any thread. Keyspace work
    always happens on the loop thread, as one command at a time, so it is atomic."""

    __slots__ = ("server", "db_index", "loop", "loop_thread")

    def __init__(self, server: Server, db_index: int) -> None:
        self.server = server
        self.db_index = db_index
        assert server.loop is not None
        self.loop = server.loop
        self.loop_thread = threading.get_ident()

    def execute(self, argv: list[str]) -> Any:
        args = [a.encode("utf-8", "surrogateescape") for a in argv]
        return self._on_loop(run_from_script, self.server, self.db_index, args)

    def model_execute(self, key: str, inputs: list[Array], num_outputs: int) -> list[Array]:
        """Look the model up on the loop, run it here (no queue, no batching, no stats)."""
        from ..backends.torch_script import CallbackError

        model = self._on_loop(
            _model_for_script, self.server, self.db_index, key.encode("utf-8", "surrogateescape")
        )
        try:
            outputs = model.loaded.run(inputs)
        except BackendError as exc:
            raise CallbackError(exc.message) from None
        except Exception as exc:
            raise CallbackError(str(exc) or type(exc).__name__) from None
        return [out for out in outputs if out is not None]

    def _on_loop(self, fn: Any, *args: Any) -> Any:
        """Run `fn(*args)` on the loop thread and return its result here. On the loop
        thread itself (an inline run) it runs at once: waiting would deadlock."""
        if threading.get_ident() == self.loop_thread:
            return fn(*args)
        from ..backends.torch_script import CallbackError

        done: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def work() -> None:
            if not done.set_running_or_notify_cancel():
                return
            try:
                done.set_result(fn(*args))
            except BaseException as exc:
                done.set_exception(exc)

        loop = self.loop
        try:
            loop.call_soon_threadsafe(work)
        except RuntimeError:  # the loop is closed: the server is going away
            raise CallbackError(errors.REDIS_CALL_SHUTDOWN) from None
        while True:
            try:
                return done.result(timeout=0.5)
            except TimeoutError:
                if loop.is_closed() or not loop.is_running():
                    done.cancel()
                    raise CallbackError(errors.REDIS_CALL_SHUTDOWN) from None


_NOT_FROM_SCRIPTS = frozenset(("noscript", "multi-control"))


def run_from_script(server: Server, db_index: int, argv: list[bytes]) -> Any:
    """One `redis.execute` (loop thread): dispatched for a pseudo-client on `db_index`,
    so every policy, statistic, keyspace event and propagation applies. Returns None,
    bytes, int or nested lists; raises CallbackError with RedisAI's text."""
    from ..backends.torch_script import CallbackError

    def fail(text: str) -> CallbackError:
        return CallbackError(errors.REDIS_CALL_ERROR.format(text=text))

    spec = COMMANDS.get(argv[0].lower()) if argv and argv[0] else None
    if spec is not None and spec.subcommands and len(argv) >= 2:
        spec = lookup_subcommand(spec, argv)
    if spec is None:
        raise fail(errors.REDIS_CALL_ENOENT)  # RedisModule_Call: ENOENT
    if not spec.arity_ok(len(argv)):
        raise fail(errors.REDIS_CALL_EINVAL)  # RedisModule_Call: EINVAL
    if not _NOT_FROM_SCRIPTS.isdisjoint(spec.flags):
        raise fail(errors.REDIS_CALL_NOT_ALLOWED)
    client = _pseudo_client(server)
    client.select(db_index)
    client.resp = 2
    reply = server.dispatch(client, argv)
    if type(reply) is Deferred:  # a command that wanted to wait: scripts cannot
        reply.future.cancel()
        raise fail(errors.REDIS_CALL_NOT_ALLOWED)
    if isinstance(reply, CommandError):
        raise fail(reply.message)
    return _plain(reply, fail)


def _plain(reply: Any, fail: Any) -> Any:
    """The reply as RESP2 values (what RedisModule_Call gives a module): encoded the way
    a client would receive it and read back, so every reply type converts the same."""
    import hiredis

    out: list[Any] = []
    encode(reply, 2, out)
    reader = hiredis.Reader()
    reader.feed(b"".join(out))
    value = reader.gets()
    return _check_nested(value, fail)


def _check_nested(value: Any, fail: Any) -> Any:
    if type(value) is list:
        return [_check_nested(v, fail) for v in value]
    if isinstance(value, Exception):  # an error inside an array (e.g. EXEC's)
        raise fail(str(value))
    return value


def _pseudo_client(server: Server) -> Client:
    """The one client scripts run commands as (created on first use, loop thread).

    fd -2 marks it as a script's client (MONITOR shows "lua"; AI run commands refuse to
    run from it, as RedisAI's do inside scripts); in_exec keeps blocking commands from
    blocking, as Redis denies blocking to scripts."""
    client: Client | None = server.extensions.get("ai_script_client")
    if client is None:
        from ..server import Client

        client = Client(server)
        client.fd = -2
        client.authenticated = True
        client.in_exec = True
        client.addr = ""
        server.extensions["ai_script_client"] = client
    return client


def _model_for_script(server: Server, db_index: int, key: bytes) -> Model:
    """redisAI.model_execute's lookup (loop thread): RedisAI's texts, raised inside the
    script."""
    from ..backends.torch_script import CallbackError
    from .ai_model import _build_pending as build_pending_model

    db = server.keyspace.dbs[db_index]
    value = db.read(key)
    if value is None:
        raise CallbackError(errors.MODEL_KEY_EMPTY)
    if type(value) is PendingModel:
        try:
            value = build_pending_model(server, db, key, value)
        except CommandError as exc:
            raise CallbackError(exc.message) from None
    if type(value) is not Model:
        raise CallbackError(errors.WRONGTYPE)
    return value


# -- running --------------------------------------------------------------------------------


def script_runnable(call: ScriptCall, n_outputs: int, callbacks: ServerCallbacks) -> RunFn:
    """The engine runnable for one call: the function with its KEYS and ARGS bound."""
    compiled = call.script.compiled
    name = call.function.decode("utf-8", "surrogateescape")
    keys = [_script_str(k) for k in call.keys]
    args = [_script_str(a) for a in call.args]

    def run(inputs: list[np.ndarray]) -> list[Array]:
        result: list[Array] = compiled.run(name, inputs, keys, args, n_outputs, callbacks)
        return result

    return run


def run_script(client: Client, call: ScriptCall, inputs: list[np.ndarray]) -> Any:
    """Submit the run on the script's device queue; answer when it finishes (at once
    if the engine ran it inline). Outputs are written by the reply step."""
    server = client.server
    db, db_index = client.db, client.db_index
    out_keys = call.outputs
    fn = script_runnable(call, len(out_keys), ServerCallbacks(server, db_index))
    fut = get_engine(server).submit(RunRequest(call.script.target, inputs, call.timeout, fn))
    if fut.done():
        return _run_reply(client, db, db_index, out_keys, fut)
    assert server.loop is not None
    reply: asyncio.Future[Any] = server.loop.create_future()
    fut.add_done_callback(partial(_run_done, client, db, db_index, out_keys, reply))
    return Deferred(reply)


def _run_done(
    client: Client,
    db: Database,
    db_index: int,
    out_keys: list[bytes],
    reply: asyncio.Future[Any],
    fut: asyncio.Future[Any],
) -> None:
    if not reply.done():
        reply.set_result(_run_reply(client, db, db_index, out_keys, fut))


def _run_reply(
    client: Client, db: Database, db_index: int, out_keys: list[bytes], fut: asyncio.Future[Any]
) -> Any:
    """+OK after writing the outputs, +TIMEDOUT, or the script's error. A vanished
    client gets no outputs written (RedisAI skips the reply step)."""
    if fut.cancelled():
        return CommandError(errors.ENGINE_SHUT_DOWN)
    exc = fut.exception()
    if exc is None:
        if client.closing or not out_keys:
            return OK
        try:
            store_outputs(client.server, db, db_index, out_keys, fut.result())
        except CommandError as error:
            return error
        return OK
    if isinstance(exc, TimedOut):
        return TIMEDOUT
    if isinstance(exc, CommandError):
        return exc
    return CommandError(f"ERR {exc}")


# -- commands ------------------------------------------------------------------------------


@command(
    "ai.scriptstore",
    -1,
    "write denyoom module no-propagate",
    keys=(1, 1, 1),
    group="module",
    summary="Stores a TorchScript script with its entry points (RedisAI).",
    since="1.2.5",
)
def ai_scriptstore(client: Client, argv: list[bytes]) -> Any:
    return _store(client, argv, parse_scriptstore(argv))


@command(
    "ai.scriptset",
    -1,
    "write denyoom module no-propagate",
    keys=(1, 1, 1),
    group="module",
    summary="Stores a TorchScript script (RedisAI, deprecated: use AI.SCRIPTSTORE).",
    since="1.0.0",
)
def ai_scriptset(client: Client, argv: list[bytes]) -> Any:
    return _store(client, argv, parse_scriptset(argv))


@command(
    "ai.scriptget",
    -1,
    "readonly module",
    keys=(1, 1, 1),
    group="module",
    summary="Returns a script's device, tag, entry points and source (RedisAI).",
    since="1.0.0",
)
def ai_scriptget(client: Client, argv: list[bytes]) -> Any:
    argc = len(argv)
    if argc < 2 or argc > 4:
        raise wrong_arity(argv)
    script = get_script(client.server, client.db, argv[1])
    meta = source = False
    for arg in argv[2:]:
        word = keyword(arg)
        if word == b"META":
            meta = True
        elif word == b"SOURCE":
            source = True
    if source and not meta:
        return script.source
    reply: list[Any] = [
        b"device", script.device,
        b"tag", script.tag,
        b"Entry Points", list(script.entry_points),
    ]  # fmt: skip
    if meta and not source:
        return reply
    reply += (b"source", script.source)
    return reply


@command(
    "ai.scriptdel",
    -1,
    "write module",
    keys=(1, 1, 1),
    group="module",
    summary="Deletes a script (RedisAI).",
    since="1.0.0",
)
def ai_scriptdel(client: Client, argv: list[bytes]) -> Any:
    if len(argv) != 2:
        raise wrong_arity(argv)
    db = client.db
    key = as_key(argv[1])
    value = db.get(key)
    if value is None:
        raise CommandError(errors.SCRIPT_KEY_EMPTY)
    if type(value) is Script:
        release_stats(client.server, value.stats)
    elif type(value) is not PendingScript:  # a placeholder has no statistics entry
        raise WrongTypeError()
    del value
    db.delete(key)  # RedisAI sends no keyspace event for its own deletes
    return OK


@command(
    "ai.scriptexecute",
    -1,
    "write denyoom module no-propagate",
    keys=(5, 5, 1),
    keys_fn=scriptexecute_keys,
    group="module",
    summary="Runs a script function on tensors, keys and arguments (RedisAI).",
    since="1.2.5",
)
def ai_scriptexecute(client: Client, argv: list[bytes]) -> Any:
    check_not_in_transaction(client)
    db = client.db
    call = parse_scriptexecute(client.server, db, argv)
    inputs = input_arrays(db, call.inputs)
    check_output_keys(db, call.outputs)
    return run_script(client, call, inputs)


@command(
    "ai.scriptrun",
    -1,
    "write denyoom module no-propagate",
    keys=(4, 4, 1),
    keys_fn=scriptrun_keys,
    group="module",
    summary="Runs a script function (RedisAI, deprecated: use AI.SCRIPTEXECUTE).",
    since="1.0.0",
)
def ai_scriptrun(client: Client, argv: list[bytes]) -> Any:
    check_not_in_transaction(client)
    db = client.db
    call = parse_scriptrun(client.server, db, argv)
    inputs = input_arrays(db, call.inputs)
    check_output_keys(db, call.outputs)
    return run_script(client, call, inputs)


@command(
    "ai._scriptscan",
    -1,
    "readonly module",
    group="module",
    summary="Lists every script's key and tag (RedisAI, experimental).",
    since="1.2.0",
)
def ai_scriptscan(client: Client, argv: list[bytes]) -> Any:
    if len(argv) != 1:
        raise wrong_arity(argv)
    client.server.log.warning("SCRIPTSCAN is experimental and might be removed in future versions")
    engine = peek_engine(client.server)
    if engine is None:
        return []
    return [[stats.key, stats.tag] for stats in engine.stats.entries("SCRIPT")]


# -- snapshots -----------------------------------------------------------------------------
#
# Snapshot decoding has no server, so a script is read back as a PendingScript and
# compiled (engine target, a fresh statistics entry, as RedisAI's rdb_load does) by a
# post-load hook, or on first access for values that arrive another way.


def _enc_script(w: Writer, script: Script) -> None:
    _enc_fields(w, script.device, script.tag, script.source, script.entry_points)


def _enc_pending(w: Writer, pending: PendingScript) -> None:
    f = pending.fields
    _enc_fields(w, f["device"], f["tag"], f["source"], f["entry_points"])


def _enc_fields(
    w: Writer, device: bytes, tag: bytes, source: bytes, entry_points: list[bytes]
) -> None:
    w.bytes_(device)
    w.bytes_(tag)
    w.bytes_(source)
    w.u64(len(entry_points))
    for name in entry_points:
        w.bytes_(name)


def _dec_script(r: Reader) -> PendingScript:
    fields: dict[str, Any] = {"device": r.bytes_(), "tag": r.bytes_(), "source": r.bytes_()}
    fields["entry_points"] = [r.bytes_() for _ in range(r.u64())]
    return PendingScript(fields)


def _build_pending(server: Server, db: Database, key: bytes, pending: PendingScript) -> Script:
    """Compile a script read from a snapshot and put it in place of the placeholder."""
    f = pending.fields
    req = ScriptStore(key, f["device"], f["tag"], f["entry_points"], f["source"])
    try:
        script = load_script_value(server, req)
    except _BackendMissing as exc:
        server.log.warning(exc.detail)
        raise
    db.set(key, script, keep_ttl=True)
    return script


def _build_loaded_scripts(server: Server) -> None:
    """post_load hook: compile every script the snapshot held."""
    for db in server.keyspace.dbs:
        for key, value in list(db.data.items()):
            if type(value) is PendingScript:
                try:
                    _build_pending(server, db, key, value)
                except CommandError as exc:
                    server.log.warning(f"could not load script {key!r}: {exc.message}")


def _attach(server: Server) -> None:
    server.extensions.setdefault("post_load_hooks", []).append(_build_loaded_scripts)


register_codec(Script, TAG_SCRIPT, _enc_script, _dec_script)
register_codec(PendingScript, TAG_SCRIPT, _enc_pending, _dec_script)
SERVER_HOOKS.append(_attach)


__all__ = [
    "ScriptCall",
    "ScriptStore",
    "ServerCallbacks",
    "build_script",
    "get_script",
    "install_script",
    "load_script_value",
    "parse_scriptexecute",
    "parse_scriptrun",
    "parse_scriptset",
    "parse_scriptstore",
    "run_from_script",
    "run_script",
    "script_runnable",
]
