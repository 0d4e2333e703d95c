"""Server commands (Redis src/server.c, src/config.c, src/debug.c, src/slowlog.c,
src/latency.c): INFO, CONFIG, DBSIZE, FLUSHDB, FLUSHALL, TIME, SHUTDOWN, SLOWLOG, LATENCY,
MONITOR, DEBUG, MODULE and COMMAND.

COMMAND's replies are built from the command table alone, so commands registered by any
group show up without being listed here. Two conventions in a spec's flag string carry
what Redis keeps in its JSON files and dispatch ignores: `@category` tokens add ACL
categories (else the group's category is used, e.g. string -> @string) and `tip:<text>`
tokens are command tips (`tip:nondeterministic_output`). A command is a module command
when it has the `module` flag; its module is the part of its name before the first dot
(`ai.tensorset` -> `ai`).

DEBUG subcommands live in `DEBUG_SUBCOMMANDS`; other groups add theirs with
`@debug_subcommand("reload", 2)` (argc counts DEBUG itself, as argv does). FLUSHALL runs
`server.extensions["flushall_hooks"]` (e.g. save the empty dataset) after emptying.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import errors
from ..config import ConfigError, UnknownSettingError
from ..errors import CommandError, SyntaxErr
from ..info import MODULES, all_specs, register_module, render
from ..keyspace.database import string_bytes
from ..keyspace.glob import stringmatch
from ..protocol.encoder import OK, Raw, RespSet, SimpleString, Verbatim
from .args import parse_int
from .connection import help_reply
from .registry import COMMANDS, CloseAfterReply, CommandSpec, command, container

if TYPE_CHECKING:
    from ..server import Client, Server

try:  # RedisAI is built in: it is the `ai` module of HELLO, MODULE LIST and INFO
    from .ai_info import ai_info_sections as _ai_sections
except ImportError:  # pragma: no cover - during partial checkouts
    _ai_sections = None  # type: ignore[assignment]

register_module("ai", 10207, _ai_sections, options="handle-io-errors")


def is_local(client: Client) -> bool:
    """islocalClient: a unix socket or a loopback peer."""
    if client.extra.get("unix"):
        return True
    host = client.addr.rsplit(":", 1)[0]
    return host in ("127.0.0.1", "::1", "[::1]")


def allowed(setting: str, client: Client) -> bool:
    """allowProtectedAction for enable-debug-command / enable-protected-configs."""
    mode = client.server.config[setting]
    return mode == "yes" or (mode == "local" and is_local(client))


# --- INFO ---------------------------------------------------------------------------------


@command(
    "info",
    -1,
    "loading stale @dangerous tip:nondeterministic_output tip:request_policy:all_shards tip:response_policy:special",
    group="server",
    summary="Returns information and statistics about the server.",
)
def info(client: Client, argv: list[bytes]) -> Any:
    return Verbatim(render(client.server, argv[1:]))


# --- CONFIG -------------------------------------------------------------------------------

container(
    "config",
    -2,
    group="server",
    summary="A container for server configuration commands",
    since="2.0.0",
)

_CONFIG_HELP = (
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
)

_SENSITIVE = frozenset(("requirepass", "masterauth"))


@command(
    "help",
    2,
    "loading stale",
    parent="config",
    group="server",
    summary="Show helpful text about the different subcommands",
    since="5.0.0",
)
def config_help(client: Client, argv: list[bytes]) -> Any:
    return help_reply(_CONFIG_HELP)


@command(
    "get",
    -3,
    "admin noscript loading stale",
    parent="config",
    group="server",
    summary="Get the values of configuration parameters",
    since="2.0.0",
)
def config_get(client: Client, argv: list[bytes]) -> Any:
    config = client.server.config
    found: dict[str, str] = {}
    for pattern in argv[2:]:
        found.update(config.get_matching(pattern.decode("utf-8", "surrogateescape")))
    return found


@command(
    "set",
    -4,
    "admin noscript loading stale tip:request_policy:all_nodes tip:response_policy:all_succeeded",
    parent="config",
    group="server",
    summary="Set configuration parameters to the given values",
    since="2.0.0",
)
def config_set(client: Client, argv: list[bytes]) -> Any:
    if len(argv) % 2:
        raise SyntaxErr()
    config = client.server.config
    pairs: list[tuple[str, str]] = []
    problem: str | None = None
    for i in range(2, len(argv), 2):
        name = argv[i].decode("utf-8", "surrogateescape")
        text = argv[i + 1].decode("utf-8", "surrogateescape")
        try:
            setting = config.lookup(name)
        except UnknownSettingError as exc:
            if problem is None:
                raise CommandError(f"ERR {exc}") from None
            continue
        if setting.name in _SENSITIVE:
            argv[i + 1] = b"(redacted)"
        if problem is not None:
            continue
        if not setting.runtime:
            problem = errors.CONFIG_SET_FAILED.format(name, "can't set immutable config")
        elif setting.protected and not allowed("enable-protected-configs", client):
            problem = errors.CONFIG_SET_FAILED.format(name, errors.PROTECTED_CONFIG)
        elif any(config.lookup(n).name == setting.name for n, _ in pairs):
            problem = errors.CONFIG_SET_FAILED.format(name, "duplicate parameter")
        pairs.append((name, text))
    if problem is not None:
        raise CommandError(problem)
    try:
        config.set_many(pairs)
    except ConfigError as exc:
        name = exc.args[1] if len(exc.args) > 1 else pairs[0][0]
        raise CommandError(errors.CONFIG_SET_FAILED.format(name, exc.args[0])) from None
    return OK


@command(
    "resetstat",
    2,
    "admin noscript loading stale",
    parent="config",
    group="server",
    summary="Reset the stats returned by INFO",
    since="2.0.0",
)
def config_resetstat(client: Client, argv: list[bytes]) -> Any:
    client.server.reset_stats()
    return OK


@command(
    "rewrite",
    2,
    "admin noscript loading stale",
    parent="config",
    group="server",
    summary="Rewrite the configuration file with the in memory configuration",
    since="2.8.0",
)
def config_rewrite(client: Client, argv: list[bytes]) -> Any:
    server = client.server
    try:
        server.config.rewrite()
    except ConfigError as exc:
        raise CommandError(f"ERR {exc}") from None
    except OSError as exc:
        server.log.warning(f"CONFIG REWRITE failed: {exc.strerror}")
        raise CommandError(errors.CONFIG_REWRITE_FAILED.format(exc.strerror)) from None
    server.log.notice("CONFIG REWRITE executed with success.")
    return OK


# --- keyspace-wide commands ---------------------------------------------------------------


@command(
    "dbsize",
    1,
    "readonly fast @keyspace tip:request_policy:all_shards tip:response_policy:agg_sum",
    group="server",
    summary="Returns the number of keys in the database.",
)
def dbsize(client: Client, argv: list[bytes]) -> Any:
    return len(client.db.data)


def _flush_mode(argv: list[bytes]) -> None:
    """[ASYNC|SYNC]: both empty at once here (there is no lazy-free thread)."""
    if len(argv) > 2 or (len(argv) == 2 and argv[1].lower() not in (b"async", b"sync")):
        raise SyntaxErr()


def flush_databases(server: Server, indexes: list[int]) -> int:
    """emptyData: clear the databases, telling delete hooks and WATCH; returns keys removed."""
    keyspace = server.keyspace
    removed = 0
    for index in indexes:
        db = keyspace.dbs[index]
        removed += len(db.data)
        if keyspace.delete_hooks:
            for key in list(db.data):
                keyspace.on_delete(db, key)
        db.clear()
    keyspace.dirty += removed or 1  # always propagated, like Redis's forced propagation
    return removed


@command(
    "flushdb",
    -1,
    "write @keyspace @dangerous tip:request_policy:all_shards tip:response_policy:all_succeeded",
    group="server",
    summary="Removes all keys from the current database.",
)
def flushdb(client: Client, argv: list[bytes]) -> Any:
    _flush_mode(argv)
    flush_databases(client.server, [client.db_index])
    return OK


@command(
    "flushall",
    -1,
    "write @keyspace @dangerous tip:request_policy:all_shards tip:response_policy:all_succeeded",
    group="server",
    summary="Removes all keys from all databases.",
)
def flushall(client: Client, argv: list[bytes]) -> Any:
    _flush_mode(argv)
    server = client.server
    flush_databases(server, list(range(len(server.keyspace.dbs))))
    for hook in server.extensions.get("flushall_hooks", ()):
        hook()
    return OK


@command(
    "time",
    1,
    "loading stale fast tip:nondeterministic_output",
    group="server",
    summary="Returns the server time.",
    since="2.6.0",
)
def time_(client: Client, argv: list[bytes]) -> Any:
    now = time.time_ns() // 1000
    return [b"%d" % (now // 1_000_000), b"%d" % (now % 1_000_000)]


# --- SHUTDOWN -----------------------------------------------------------------------------


@command(
    "shutdown",
    -1,
    "admin noscript loading stale no-multi allow-busy",
    group="server",
    summary="Synchronously saves the database(s) to disk and shuts down the Redis server.",
)
def shutdown(client: Client, argv: list[bytes]) -> Any:
    save: bool | None = None
    nosave = now = force = abort = False
    for arg in argv[1:]:
        opt = arg.lower()
        if opt == b"nosave":
            nosave = True
        elif opt == b"save":
            save = True
        elif opt == b"now":
            now = True
        elif opt == b"force":
            force = True
        elif opt == b"abort":
            abort = True
        else:
            raise SyntaxErr()
    if (abort and (nosave or save or now or force)) or (nosave and save):
        raise SyntaxErr()
    if abort:
        raise CommandError(errors.NO_SHUTDOWN_IN_PROGRESS)
    if not now and client.in_exec:
        raise CommandError(errors.SHUTDOWN_DENY_BLOCKING)
    if nosave:
        save = False
    if not client.server.request_shutdown(save, force=force):
        raise CommandError(errors.SHUTDOWN_FAILED)
    raise CloseAfterReply(Raw(b""))  # no reply: the connection just closes, as in Redis


# --- SLOWLOG ------------------------------------------------------------------------------

container(
    "slowlog", -2, group="server", summary="A container for slow log commands", since="2.2.12"
)

_SLOWLOG_HELP = (
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    "HELP",
    "    Prints this help.",
)


def subcommand_syntax_error(argv: list[bytes]) -> CommandError:
    """addReplySubcommandSyntaxError."""
    return CommandError(
        f"ERR unknown subcommand or wrong number of arguments for "
        f"'{argv[1].decode('utf-8', 'surrogateescape')}'. Try {argv[0].decode('utf-8', 'surrogateescape').upper()} HELP."
    )


@command(
    "help",
    2,
    "loading stale",
    parent="slowlog",
    group="server",
    summary="Show helpful text about the different subcommands",
    since="6.2.0",
)
def slowlog_help(client: Client, argv: list[bytes]) -> Any:
    return help_reply(_SLOWLOG_HELP)


@command(
    "get",
    -2,
    "admin loading stale tip:request_policy:all_nodes tip:nondeterministic_output",
    parent="slowlog",
    group="server",
    summary="Get the slow log's entries",
    since="2.2.12",
)
def slowlog_get(client: Client, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    entries = client.server.slowlog
    count = 10
    if len(argv) == 3:
        count = parse_int(argv[2], errors.SLOWLOG_COUNT)
        if count < -1:
            raise CommandError(errors.SLOWLOG_COUNT)
        if count == -1:
            count = len(entries)
    return [list(entry) for entry in list(entries)[:count]]


@command(
    "len",
    2,
    "admin loading stale tip:request_policy:all_nodes tip:response_policy:agg_sum tip:nondeterministic_output",
    parent="slowlog",
    group="server",
    summary="Get the slow log's length",
    since="2.2.12",
)
def slowlog_len(client: Client, argv: list[bytes]) -> Any:
    return len(client.server.slowlog)


@command(
    "reset",
    2,
    "admin loading stale tip:request_policy:all_nodes tip:response_policy:all_succeeded",
    parent="slowlog",
    group="server",
    summary="Clear all entries from the slow log",
    since="2.2.12",
)
def slowlog_reset(client: Client, argv: list[bytes]) -> Any:
    client.server.slowlog.clear()
    return OK


# --- LATENCY ------------------------------------------------------------------------------

container(
    "latency",
    -2,
    group="server",
    summary="A container for latency diagnostics commands",
    since="2.8.13",
)

_LATENCY_HELP = (
    "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
    "    If no commands are specified then all histograms are replied.",
    "HELP",
    "    Prints this help.",
)

_LATENCY_TIPS = "admin noscript loading stale tip:nondeterministic_output tip:request_policy:all_nodes tip:response_policy:special"


@command(
    "help",
    2,
    "loading stale",
    parent="latency",
    group="server",
    summary="Show helpful text about the different subcommands",
    since="2.8.13",
)
def latency_help(client: Client, argv: list[bytes]) -> Any:
    return help_reply(_LATENCY_HELP)


@command(
    "latest",
    2,
    _LATENCY_TIPS,
    parent="latency",
    group="server",
    summary="Return the latest latency samples for all events.",
    since="2.8.13",
)
def latency_latest(client: Client, argv: list[bytes]) -> Any:
    out = []
    for event, (max_ms, samples) in client.server.latency_events.items():
        if samples:
            ts, ms = samples[-1]
            out.append([event, ts, ms, max_ms])
    return out


@command(
    "history",
    3,
    _LATENCY_TIPS,
    parent="latency",
    group="server",
    summary="Return timestamp-latency samples for the event.",
    since="2.8.13",
)
def latency_history(client: Client, argv: list[bytes]) -> Any:
    entry = client.server.latency_events.get(argv[2].decode("utf-8", "surrogateescape"))
    if entry is None:
        return []
    return [[ts, ms] for ts, ms in entry[1]]


@command(
    "graph",
    3,
    _LATENCY_TIPS,
    parent="latency",
    group="server",
    summary="Return a latency graph for the event.",
    since="2.8.13",
)
def latency_graph(client: Client, argv: list[bytes]) -> Any:
    event = argv[2].decode("utf-8", "surrogateescape")
    entry = client.server.latency_events.get(event)
    if entry is None or not entry[1]:
        raise CommandError(errors.LATENCY_NO_SAMPLES.format(event))
    samples = list(entry[1])
    low = min(ms for _, ms in samples)
    high = max(ms for _, ms in samples)
    lines = [
        f"{event} - high {high} ms, low {low} ms (all time high {entry[0]} ms)",
        "-" * 80,
    ]
    lines.extend(
        f"{time.strftime('%H:%M:%S', time.localtime(ts))} {'#' * max(1, ms * 40 // max(high, 1))} {ms}"
        for ts, ms in samples
    )
    return Verbatim("\n".join(lines) + "\n")


@command(
    "doctor",
    2,
    _LATENCY_TIPS,
    parent="latency",
    group="server",
    summary="Return a human readable latency analysis report.",
    since="2.8.13",
)
def latency_doctor(client: Client, argv: list[bytes]) -> Any:
    server = client.server
    if not server.latency_threshold_ms:
        return Verbatim(
            "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis "
            'instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in '
            "order to enable it. If we weren't in a deep space mission I'd suggest to take a "
            "look at https://redis.io/topics/latency-monitor.\n"
        )
    if not server.latency_events:
        return Verbatim(
            "Dave, no latency spike was observed during the lifetime of this Redis instance, "
            "not in the slightest bit. I honestly think you ought to sleep better tonight.\n"
        )
    lines = ["Dave, I have observed latency spikes in this Redis instance.", ""]
    for i, (event, (max_ms, samples)) in enumerate(server.latency_events.items(), 1):
        avg = sum(ms for _, ms in samples) // max(len(samples), 1)
        lines.append(
            f"{i}. {event}: {len(samples)} latency spikes (average {avg}ms, "
            f"all time high {max_ms}ms)."
        )
    return Verbatim("\n".join(lines) + "\n")


@command(
    "reset",
    -2,
    "admin noscript loading stale tip:request_policy:all_nodes tip:response_policy:all_succeeded",
    parent="latency",
    group="server",
    summary="Reset latency data for one or more events.",
    since="2.8.13",
)
def latency_reset(client: Client, argv: list[bytes]) -> Any:
    events = client.server.latency_events
    if len(argv) == 2:
        count = len(events)
        events.clear()
        return count
    count = 0
    for arg in argv[2:]:
        if events.pop(arg.decode("utf-8", "surrogateescape"), None) is not None:
            count += 1
    return count


@command(
    "histogram",
    -2,
    _LATENCY_TIPS,
    parent="latency",
    group="server",
    summary="Return the cumulative distribution of latencies of a subset of commands or all.",
    since="7.0.0",
)
def latency_histogram(client: Client, argv: list[bytes]) -> Any:
    """Only call counts and mean latencies are kept, so each command gets one bucket."""
    if len(argv) == 2:
        specs = [s for s in all_specs() if s.calls]
    else:
        specs = []
        for arg in argv[2:]:
            spec = find_spec(arg)
            if spec is not None and spec.calls and spec not in specs:
                specs.append(spec)
    out: dict[str, Any] = {}
    for spec in specs:
        mean = max(spec.usec // spec.calls, 1)
        bucket = 1 << (mean - 1).bit_length()
        out[spec.name] = {"calls": spec.calls, "histogram_usec": {bucket: spec.calls}}
    return out


# --- MONITOR ------------------------------------------------------------------------------


@command(
    "monitor",
    1,
    "admin noscript loading stale",
    group="server",
    summary="Listens for all requests received by the server in real-time.",
)
def monitor(client: Client, argv: list[bytes]) -> Any:
    if client.in_exec:
        raise CommandError(errors.MONITOR_DENY_BLOCKING)
    server = client.server
    if client.monitor or client.extra.get("replica"):
        return Raw(b"")  # Redis ignores a second MONITOR without replying
    client.monitor = True
    server.monitors.append(client)
    return OK


# --- DEBUG --------------------------------------------------------------------------------

DebugHandler = Callable[["Client", list[bytes]], Any]
DEBUG_SUBCOMMANDS: dict[str, tuple[DebugHandler, int, int]] = {}
"""name -> (handler, min argc, max argc; -1: no maximum). argc counts DEBUG itself."""


def debug_subcommand(
    name: str, min_argc: int, max_argc: int | None = None
) -> Callable[[DebugHandler], DebugHandler]:
    def decorate(handler: DebugHandler) -> DebugHandler:
        DEBUG_SUBCOMMANDS[name.lower()] = (
            handler,
            min_argc,
            min_argc if max_argc is None else max_argc,
        )
        return handler

    return decorate


_DEBUG_HELP = (
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "JMAP",
    "    Accepted for compatibility; does nothing.",
    "HELP",
    "    Prints this help.",
)


@command(
    "debug",
    -2,
    "admin noscript loading stale",
    group="server",
    summary="A container for debugging commands.",
)
def debug(client: Client, argv: list[bytes]) -> Any:
    if not allowed("enable-debug-command", client):
        raise CommandError(errors.DEBUG_NOT_ALLOWED)
    entry = DEBUG_SUBCOMMANDS.get(argv[1].decode("utf-8", "surrogateescape").lower())
    if entry is None or len(argv) < entry[1] or (entry[2] >= 0 and len(argv) > entry[2]):
        raise CommandError(errors.DEBUG_UNKNOWN.format(argv[1].decode("utf-8", "surrogateescape")))
    return entry[0](client, argv)


@debug_subcommand("help", 2)
def debug_help(client: Client, argv: list[bytes]) -> Any:
    return help_reply(_DEBUG_HELP)


def _atof(arg: bytes) -> float:
    """C atof: the longest leading number, 0 when there is none."""
    text = arg.decode("ascii", "replace").strip()
    for end in range(len(text), 0, -1):
        try:
            return float(text[:end])
        except ValueError:
            continue
    return 0.0


@debug_subcommand("sleep", 3)
def debug_sleep(client: Client, argv: list[bytes]) -> Any:
    seconds = _atof(argv[2])
    if seconds > 0:
        time.sleep(seconds)  # blocks the whole server on purpose, as Redis does
    return OK


@debug_subcommand("set-active-expire", 3)
def debug_set_active_expire(client: Client, argv: list[bytes]) -> Any:
    client.server.active_expire_enabled = bool(int(_atof(argv[2])))
    return OK


@debug_subcommand("pause-cron", 3)
def debug_pause_cron(client: Client, argv: list[bytes]) -> Any:
    return OK


@debug_subcommand("jmap", 2)
def debug_jmap(client: Client, argv: list[bytes]) -> Any:
    return OK


@debug_subcommand("log", 3)
def debug_log(client: Client, argv: list[bytes]) -> Any:
    client.server.log.warning(f"DEBUG LOG: {argv[2].decode('utf-8', 'replace')}")
    return OK


@debug_subcommand("error", 3)
def debug_error(client: Client, argv: list[bytes]) -> Any:
    return CommandError(argv[2].decode("utf-8", "surrogateescape"))


@debug_subcommand("change-repl-id", 2)
def debug_change_repl_id(client: Client, argv: list[bytes]) -> Any:
    client.server.replid = os.urandom(20).hex()
    return OK


def _encoding(value: Any) -> str:
    try:
        from .generic import object_encoding
    except ImportError:  # pragma: no cover
        return "raw"
    return object_encoding(value)


@debug_subcommand("object", 3)
def debug_object(client: Client, argv: list[bytes]) -> Any:
    key = bytes(argv[2])
    db = client.db
    value = db.peek(key) if hasattr(db, "peek") else db.get(key)
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    try:
        length = len(string_bytes(value))  # a counter: its digits
    except TypeError:
        length = 0
    lru = int(time.time()) & ((1 << 24) - 1)
    return SimpleString(
        f"Value at:0x{id(value):x} refcount:1 encoding:{_encoding(value)} "
        f"serializedlength:{length + 1} lru:{lru} lru_seconds_idle:0"
    )


@debug_subcommand("populate", 3, 5)
def debug_populate(client: Client, argv: list[bytes]) -> Any:
    count = parse_int(argv[2])
    if count < 0:
        raise CommandError(errors.VALUE_MUST_BE_POSITIVE)
    prefix = bytes(argv[3]) if len(argv) > 3 else b"key"
    size = 0
    if len(argv) > 4:
        size = parse_int(argv[4])
        if size < 0:
            raise CommandError(errors.VALUE_MUST_BE_POSITIVE)
    db = client.db
    for i in range(count):
        key = b"%s:%d" % (prefix, i)
        if db.get(key) is not None:
            continue
        value = b"value:%d" % i
        if size:
            value = value[:size].ljust(size, b"\x00")
        db.set(key, value)
    return OK


_BIGNUM = b"1234567999999999999999999999999999999"


@debug_subcommand("protocol", 3)
def debug_protocol(client: Client, argv: list[bytes]) -> Any:
    kind = argv[2].lower()
    resp3 = client.resp == 3
    if kind == b"string":
        return b"Hello World"
    if kind == b"integer":
        return 12345
    if kind == b"double":
        return 3.141
    if kind == b"bignum":
        return Raw(b"(%s\r\n" % _BIGNUM) if resp3 else _BIGNUM
    if kind == b"null":
        return None
    if kind == b"array":
        return [0, 1, 2]
    if kind == b"set":
        return RespSet([0, 1, 2])
    if kind == b"map":
        return {0: False, 1: True, 2: False}
    if kind == b"attrib":
        if resp3:
            return Raw(
                b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n"
            )
        return b"Some real reply following the attribute"
    if kind == b"push":
        if not resp3:
            raise CommandError("ERR RESP2 is not supported by this command")
        return Raw(
            b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"
            b"$40\r\nSome real reply following the push reply\r\n"
        )
    if kind == b"verbatim":
        return Verbatim("This is a verbatim\nstring")
    if kind == b"true":
        return True
    if kind == b"false":
        return False
    raise CommandError(
        "ERR Wrong protocol type name. Please use one of the following: "
        "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"
    )


# --- MODULE -------------------------------------------------------------------------------

container("module", -2, group="server", summary="A container for module commands", since="4.0.0")

_MODULE_HELP = (
    "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
    "    Load a module library from <path>, while passing it module configurations and optional arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
    "HELP",
    "    Prints this help.",
)

_MODULE_NOT_ALLOWED = (
    'ERR MODULE command not allowed. If the enable-module-command option is set to "local", '
    "you can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server."
)


@command(
    "help",
    2,
    "loading stale",
    parent="module",
    group="server",
    summary="Show helpful text about the different subcommands",
    since="5.0.0",
)
def module_help(client: Client, argv: list[bytes]) -> Any:
    return help_reply(_MODULE_HELP)


@command(
    "list",
    2,
    "admin noscript tip:nondeterministic_output_order",
    parent="module",
    group="server",
    summary="List all modules loaded by the server",
    since="4.0.0",
)
def module_list(client: Client, argv: list[bytes]) -> Any:
    return [
        {"name": m.name, "ver": m.ver, "path": m.path, "args": list(m.args)}
        for m in MODULES.values()
    ]


def _module_change(client: Client, argv: list[bytes]) -> Any:
    if not allowed("enable-module-command", client):
        raise CommandError(_MODULE_NOT_ALLOWED)
    raise CommandError(errors.MODULE_LOAD_FAILED)


command(
    "load",
    -3,
    "admin noscript no-async-loading",
    parent="module",
    group="server",
    summary="Load a module",
    since="4.0.0",
)(_module_change)
command(
    "loadex",
    -3,
    "admin noscript no-async-loading",
    parent="module",
    group="server",
    summary="Load a module with extended parameters",
    since="7.0.0",
)(_module_change)


@command(
    "unload",
    3,
    "admin noscript no-async-loading",
    parent="module",
    group="server",
    summary="Unload a module",
    since="4.0.0",
)
def module_unload(client: Client, argv: list[bytes]) -> Any:
    if not allowed("enable-module-command", client):
        raise CommandError(_MODULE_NOT_ALLOWED)
    raise CommandError(errors.MODULE_UNLOAD_FAILED)


# --- COMMAND ------------------------------------------------------------------------------

# Redis's flag names in COMMAND INFO order (addReplyCommandFlags); may_replicate, sentinel
# and protected are hidden there too.
_FLAG_ORDER = (
    ("write", "write"),
    ("readonly", "readonly"),
    ("denyoom", "denyoom"),
    ("module", "module"),
    ("admin", "admin"),
    ("pubsub", "pubsub"),
    ("noscript", "noscript"),
    ("blocking", "blocking"),
    ("loading", "loading"),
    ("stale", "stale"),
    ("skip-monitor", "skip_monitor"),
    ("skip-slowlog", "skip_slowlog"),
    ("asking", "asking"),
    ("fast", "fast"),
    ("no-auth", "no_auth"),
    ("no-mandatory-keys", "no_mandatory_keys"),
    ("no-async-loading", "no_async_loading"),
    ("no-multi", "no_multi"),
    ("movablekeys", "movablekeys"),
    ("allow-busy", "allow_busy"),
)

# ACL categories in Redis's table order (ACLCommandCategories)
_ACL_ORDER = (
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
)
_GROUP_CATEGORY = {
    "generic": "keyspace",
    "string": "string",
    "hash": "hash",
    "list": "list",
    "set": "set",
    "sorted-set": "sortedset",
    "sorted_set": "sortedset",
    "zset": "sortedset",
    "bitmap": "bitmap",
    "hyperloglog": "hyperloglog",
    "geo": "geo",
    "stream": "stream",
    "pubsub": "pubsub",
    "connection": "connection",
    "transactions": "transaction",
    "transaction": "transaction",
    "scripting": "scripting",
}


def _flag_set(spec: CommandSpec) -> set[str]:
    return {f.replace("_", "-") for f in spec.flags}


def command_flags(spec: CommandSpec) -> list[str]:
    flags = _flag_set(spec)
    if spec.keys_fn is not None:
        flags.add("movablekeys")
    return [shown for name, shown in _FLAG_ORDER if name in flags]


def is_module_command(spec: CommandSpec) -> bool:
    return "module" in spec.flags


def module_of(spec: CommandSpec) -> str:
    return spec.name.split("|", 1)[0].split(".", 1)[0]


def acl_categories(spec: CommandSpec) -> list[str]:
    """setImplicitACLCategories over the flags, plus explicit `@cat` or the group's."""
    flags = _flag_set(spec)
    cats = {f[1:] for f in spec.flags if f.startswith("@")}
    is_container = bool(spec.subcommands) and "|" not in spec.name
    if not cats and not is_module_command(spec) and not is_container:
        group_cat = _GROUP_CATEGORY.get(spec.group)
        if group_cat:
            cats.add(group_cat)
    if "write" in flags:
        cats.add("write")
    if "readonly" in flags and "scripting" not in cats:
        cats.add("read")
    if "admin" in flags:
        cats.update(("admin", "dangerous"))
    if "pubsub" in flags:
        cats.add("pubsub")
    if "fast" in flags:
        cats.add("fast")
    if "blocking" in flags:
        cats.add("blocking")
    if "fast" not in cats:
        cats.add("slow")
    return ["@" + c for c in _ACL_ORDER if c in cats]


def command_tips(spec: CommandSpec) -> list[str]:
    return sorted(f[4:] for f in spec.flags if f.startswith("tip:"))


def key_flags(spec: CommandSpec) -> list[str]:
    if is_module_command(spec):
        return ["RW", "access", "update"]
    if "readonly" in spec.flags:
        return ["RO", "access"]
    if "write" in spec.flags:
        return ["RW", "update"]
    return ["RW", "access"]


def key_specs(spec: CommandSpec) -> list[dict[str, Any]]:
    """A legacy (first, last, step) range as a Redis 7 key spec."""
    if spec.first_key <= 0:
        return []
    last = spec.last_key if spec.last_key < 0 else spec.last_key - spec.first_key
    return [
        {
            "flags": RespSet(SimpleString(f) for f in key_flags(spec)),
            "begin_search": {"type": "index", "spec": {"index": spec.first_key}},
            "find_keys": {
                "type": "range",
                "spec": {"lastkey": last, "keystep": spec.step, "limit": 0},
            },
        }
    ]


def command_info(spec: CommandSpec) -> list[Any]:
    """The 10-element COMMAND INFO entry of Redis 7.0."""
    subs: Any = (
        [command_info(s) for s in spec.subcommands.values()] if spec.subcommands else RespSet()
    )
    return [
        spec.name,
        spec.arity,
        RespSet(SimpleString(f) for f in command_flags(spec)),
        spec.first_key,
        spec.last_key,
        spec.step,
        RespSet(SimpleString(c) for c in acl_categories(spec)),
        RespSet(command_tips(spec)),
        RespSet(key_specs(spec)),
        subs,
    ]


def command_docs(spec: CommandSpec) -> dict[str, Any]:
    docs: dict[str, Any] = {}
    if spec.summary:
        docs["summary"] = spec.summary
    if spec.since and not is_module_command(spec):
        docs["since"] = spec.since
    if is_module_command(spec):
        docs["group"] = "module"
        docs["module"] = module_of(spec)
    else:
        docs["group"] = spec.group
    if spec.subcommands:
        docs["subcommands"] = {s.name: command_docs(s) for s in spec.subcommands.values()}
    return docs


def find_spec(name: bytes) -> CommandSpec | None:
    """lookupCommandBySds: "config|get" style names reach subcommands."""
    parts = name.decode("utf-8", "surrogateescape").lower().split("|")
    if len(parts) > 2:
        return None
    spec = COMMANDS.get(parts[0].encode("utf-8", "surrogateescape"))
    if spec is None or len(parts) == 1:
        return spec
    return spec.subcommands.get(parts[1])


def lookup_for_keys(argv: list[bytes]) -> CommandSpec | None:
    """lookupCommand over a full command line (container + subcommand)."""
    spec = COMMANDS.get(argv[0].lower())
    if spec is None:
        return None
    if spec.subcommands and len(argv) >= 2:
        return spec.subcommands.get(argv[1].decode("utf-8", "surrogateescape").lower())
    return spec


_COMMAND_HELP = (
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    "HELP",
    "    Prints this help.",
)


def _all_commands(client: Client, argv: list[bytes]) -> Any:
    return [command_info(spec) for spec in COMMANDS.values()]


# COMMAND with no subcommand lists everything; its subcommands attach to this spec.
command(
    "command",
    -1,
    "loading stale @connection tip:nondeterministic_output_order",
    group="server",
    summary="Returns detailed information about all commands.",
    since="2.8.13",
)(_all_commands)


@command(
    "help",
    2,
    "loading stale @connection",
    parent="command",
    group="server",
    summary="Show helpful text about the different subcommands",
    since="5.0.0",
)
def command_help(client: Client, argv: list[bytes]) -> Any:
    return help_reply(_COMMAND_HELP)


@command(
    "count",
    2,
    "loading stale @connection",
    parent="command",
    group="server",
    summary="Get total number of Redis commands",
    since="2.8.13",
)
def command_count(client: Client, argv: list[bytes]) -> Any:
    return len(COMMANDS)


@command(
    "info",
    -2,
    "loading stale @connection tip:nondeterministic_output_order",
    parent="command",
    group="server",
    summary="Get array of specific Redis command details, or all when no argument is given.",
    since="2.8.13",
)
def command_info_cmd(client: Client, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        return _all_commands(client, argv)
    out: list[Any] = []
    for name in argv[2:]:
        spec = find_spec(name)
        out.append(None if spec is None else command_info(spec))
    return out


@command(
    "docs",
    -2,
    "loading stale @connection tip:nondeterministic_output_order",
    parent="command",
    group="server",
    summary="Get array of specific Redis command documentation",
    since="7.0.0",
)
def command_docs_cmd(client: Client, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        return {spec.name: command_docs(spec) for spec in COMMANDS.values()}
    out: dict[str, Any] = {}
    for name in argv[2:]:
        spec = find_spec(name)
        if spec is not None:
            out[spec.name] = command_docs(spec)
    return out


def _keys_of(argv: list[bytes]) -> tuple[CommandSpec, list[int]]:
    """getKeysSubcommandImpl's checks, in Redis's order."""
    target = argv[2:]
    spec = lookup_for_keys(target)
    if spec is None:
        raise CommandError(errors.GETKEYS_INVALID_COMMAND)
    if spec.first_key <= 0 and spec.keys_fn is None:
        raise CommandError(errors.GETKEYS_NO_KEYS)
    if not spec.arity_ok(len(target)):
        raise CommandError(errors.GETKEYS_BAD_ARITY)
    try:
        positions = spec.key_positions(target)
    except CommandError:
        positions = []
    if not positions and "no-mandatory-keys" not in spec.flags:
        raise CommandError(errors.GETKEYS_BAD_ARGS)
    return spec, positions


@command(
    "getkeys",
    -4,
    "loading stale @connection",
    parent="command",
    group="server",
    summary="Extract keys given a full Redis command",
    since="2.8.13",
)
def command_getkeys(client: Client, argv: list[bytes]) -> Any:
    _, positions = _keys_of(argv)
    target = argv[2:]
    return [target[i] for i in positions]


@command(
    "getkeysandflags",
    -4,
    "loading stale @connection",
    parent="command",
    group="server",
    summary="Extract keys and access flags given a full Redis command",
    since="7.0.0",
)
def command_getkeysandflags(client: Client, argv: list[bytes]) -> Any:
    spec, positions = _keys_of(argv)
    target = argv[2:]
    flags = [SimpleString(f) for f in key_flags(spec)]
    return [[target[i], RespSet(flags)] for i in positions]


@command(
    "list",
    -2,
    "loading stale @connection tip:nondeterministic_output_order",
    parent="command",
    group="server",
    summary="Get an array of Redis command names",
    since="7.0.0",
)
def command_list(client: Client, argv: list[bytes]) -> Any:
    specs = all_specs()
    if len(argv) == 2:
        return [s.name for s in specs]
    if len(argv) != 5 or argv[2].lower() != b"filterby":
        raise SyntaxErr()
    kind, value = argv[3].lower(), argv[4]
    if kind == b"module":
        name = value.decode("utf-8", "surrogateescape")
        return [s.name for s in specs if is_module_command(s) and module_of(s) == name]
    if kind == b"aclcat":
        cat = "@" + value.decode("utf-8", "surrogateescape").lower()
        return [s.name for s in specs if cat in acl_categories(s)]
    if kind == b"pattern":
        return [s.name for s in specs if stringmatch(bytes(value), s.name.encode(), True)]
    raise SyntaxErr()
