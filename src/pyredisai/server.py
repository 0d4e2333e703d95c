"""Server: event loop, listeners, client connections, dispatch policy and lifecycle.

A `Client` is the asyncio protocol of one connection. Call order (asyncio's
BufferedProtocol): connection_made -> (get_buffer -> buffer_updated)* -> connection_lost.
Each buffer_updated drains every complete command, runs them in order and writes all
replies with one `writelines`. A handler that cannot answer at once returns `Deferred`;
the client then stops running its later commands (replies stay in order) and stops
reading until the deferred reply is written. Everyone else keeps being served.

`dispatch` applies every policy in one fixed order, reading only the command spec:
unknown command, arity, auth, MULTI queueing, pub/sub mode, read-only replica, loading,
OOM; then it runs the handler, records stats, slow log, latency samples, propagation and
MONITOR output. CLIENT PAUSE shadows `dispatch` with `_dispatch_paused` on the instance
while a pause lasts, so the unpaused path pays nothing for it.

The tick (serverCron) refreshes `clock`, the cached monotonic time clients stamp their
last interaction with, samples ops/network rates, closes idle clients and runs the
`tick_hooks`. Shutdown runs `shutdown_hooks(save)`; a hook that raises makes SHUTDOWN fail
unless FORCE, as a failed final save does in Redis.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import socket
import sys
import time
from collections import deque
from collections.abc import Callable
from typing import Any, cast

from . import errors
from .commands import COMMANDS
from .commands.registry import (
    SERVER_HOOKS,
    CloseAfterReply,
    CommandSpec,
    Deferred,
    lookup_subcommand,
)
from .config import Config
from .errors import CommandError
from .keyspace.database import Database, Keyspace
from .log import Logger
from .protocol.encoder import (
    BULK_HEADERS,
    CRLF,
    ENCODERS,
    INTS,
    NULL_ARRAY,
    QUEUED,
    Raw,
    encode,
    encode_error,
)
from .protocol.reader import DEFAULT_LIMITS, ReaderLimits, RequestReader

# Command durations in float seconds: perf_counter() costs what perf_counter_ns() does,
# and float arithmetic, unlike nanoseconds past 2**30, allocates nothing big per command.
_perf = time.perf_counter
_JOIN = b"".join

# Client.reply_mode (CLIENT REPLY): replies sent; none sent; SKIP was just called (its own
# reply is not sent and the next one is dropped); the current command's reply is dropped.
REPLY_ON, REPLY_OFF, REPLY_SKIP_NEXT, REPLY_SKIP = 0, 1, 2, 3
MAX_PENDING = 10_000  # queued commands of a waiting client before reading pauses
COMMAND_CACHE_MAX = 4096  # spellings of command names remembered by Server.lookup_command
SMALL_WRITE = 64 * 1024  # replies up to this size are joined into one buffer per batch
_SMALL_BULK = len(BULK_HEADERS)  # replies the batch loop encodes itself: bulks shorter than
_SMALL_INT = len(INTS) - 1  # this, integers from -1 to below this
# "mypyc" when this module runs compiled (setup.py's PYREDISAI_USE_MYPYC build), else "python"
BUILD = "python" if __file__.endswith(".py") else "mypyc"


class Client(asyncio.BufferedProtocol):
    __slots__ = (
        "server",
        "transport",
        "reader",
        "id",
        "db",
        "db_index",
        "resp",
        "name",
        "lib_name",
        "lib_ver",
        "_authenticated",
        "user",
        "addr",
        "laddr",
        "fd",
        "created",
        "last_interaction",
        "last_cmd",
        "_in_multi",
        "in_exec",
        "multi_queue",
        "multi_error",
        "watched",
        "watch_dirty",
        "subscriptions",
        "psubscriptions",
        "reply_mode",
        "pending",
        "waiting",
        "batch",
        "reading_paused",
        "closing",
        "flags",
        "no_evict",
        "no_touch",
        "tracking",
        "paused_writing",
        "outbuf",
        "monitor",
        "kill_reason",
        "extra",
        "guarded",
    )

    def __init__(self, server: Server) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.reader = RequestReader(server.reader_limits, use_hiredis=server.use_hiredis)
        self.id = server.next_client_id()
        self.db_index = 0
        self.db: Database = server.keyspace.dbs[0]
        self.resp = 2
        self.name = b""
        self.lib_name = ""
        self.lib_ver = ""
        self.subscriptions: set[bytes] = set()
        self.psubscriptions: set[bytes] = set()
        self._in_multi = False
        self._authenticated = True
        self.authenticated = not server.config["requirepass"]  # sets `guarded`
        self.user = "default"
        self.addr = ""
        self.laddr = ""
        self.fd = -1
        self.created = time.monotonic()
        self.last_interaction = self.created
        self.last_cmd = "NULL"
        self.in_exec = False  # inside EXEC: blocking commands must not block
        self.multi_queue: list[tuple[CommandSpec, list[bytes]]] = []
        self.multi_error = False
        self.watched: set[tuple[int, bytes]] = set()
        self.watch_dirty = False
        self.reply_mode = REPLY_ON  # CLIENT REPLY state, see REPLY_* above
        self.pending: deque[list[bytes]] = deque()
        self.waiting: Deferred | None = None
        self.batch: list[Any] | None = None  # replies of the batch being run
        self.reading_paused = False
        self.closing = False
        self.flags = ""
        self.no_evict = False
        self.no_touch = False
        self.tracking = False
        self.paused_writing = False
        self.outbuf: list[Any] | None = None  # replies waiting for the iteration's flush
        self.monitor = False
        self.kill_reason = ""
        self.extra: dict[str, Any] = {}
        if not self.authenticated:
            self.reader.set_authenticated(False)

    # -- state that dispatch's per-command policies read ---------------------------------
    # Each change recomputes `guarded`, the one flag the batch loop reads per command.
    @property
    def authenticated(self) -> bool:
        return self._authenticated

    @authenticated.setter
    def authenticated(self, value: bool) -> None:
        self._authenticated = value
        self.update_guard()

    @property
    def in_multi(self) -> bool:
        return self._in_multi

    @in_multi.setter
    def in_multi(self, value: bool) -> None:
        self._in_multi = value
        self.update_guard()

    def update_guard(self) -> None:
        """`guarded`: whether a per-client policy of `Server.dispatch` may apply (not
        authenticated, inside MULTI, subscribed). Unguarded clients run their plain
        commands without those checks (see `run_commands`); every change of that state
        goes through the two guard flags above or calls this (pub/sub, RESET)."""
        self.guarded = (
            not self._authenticated
            or self._in_multi
            or bool(self.subscriptions or self.psubscriptions)
        )

    # -- asyncio protocol ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport = cast(asyncio.Transport, transport)  # uvloop's too
        server = self.server
        if len(server.clients) >= server.config["maxclients"]:
            transport.write(encode_error(errors.MAX_CLIENTS))
            server.stats["rejected_connections"] += 1
            transport.close()
            self.closing = True
            return
        server.clients[self.id] = self
        server.stats["total_connections_received"] += 1
        sock = transport.get_extra_info("socket")
        if sock is not None:
            self.fd = sock.fileno()
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except OSError:
                    pass
            if sock.family == socket.AF_UNIX:
                # Redis shows unix-socket peers as "<path>:0" on both ends
                self.addr = self.laddr = f"{server.config['unixsocket']}:0"
                self.extra["unix"] = True
                return
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        self.addr = _format_addr(peer)
        self.laddr = _format_addr(local)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.server.client_gone(self)

    def eof_received(self) -> bool | None:
        """The peer sends nothing more and the transport closes on return: its queued
        replies go out first (uvloop may report the end in the same poll as the last
        request, before this iteration's flush; Redis answers what it read)."""
        if self.outbuf is not None:
            self.server.flush_replies()
        return None

    def pause_writing(self) -> None:
        self.paused_writing = True

    def resume_writing(self) -> None:
        self.paused_writing = False

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.reader.get_buffer(sizehint)

    def buffer_updated(self, nbytes: int) -> None:
        server = self.server
        server.net_input_bytes += nbytes
        self.last_interaction = server.clock  # idle time for `timeout` and CLIENT LIST
        reader = self.reader
        cmds, error = reader.buffer_updated(nbytes)
        if self.waiting is not None or self.pending:
            self.pending.extend(cmds)
            if len(self.pending) > MAX_PENDING and self.transport is not None:
                self.transport.pause_reading()
                self.reading_paused = True
        elif cmds:
            self.run_commands(cmds)
        if error is not None:
            self.protocol_error(error.message)
        elif reader.slow and reader.buffered() > server.reader_limits.client_query_buffer_limit:
            server.log.warning(f"Closing client that reached max query buffer length: id={self.id}")
            self.close()

    # -- running commands ----------------------------------------------------------------
    def run_commands(self, cmds: list[list[bytes]] | deque[list[bytes]]) -> None:
        """Run a batch in order. The common command (known, `fast_argc` arguments, from
        an unguarded client on an unguarded server) runs inline: handler, then
        `Server.call`'s bookkeeping with one clock read per command. Everything else goes
        through `Server.dispatch`, after which the state the batch caches (reply mode,
        protocol, guards, propagation) is read again: only such commands change it."""
        out: list[Any] = []
        self.batch = out  # pushes raised by this batch go after its earlier replies
        spec = None  # the last inline command: its name becomes `last_cmd` at the end
        try:
            server = self.server
            command_cache = server.command_cache  # `.get` on it is a C call compiled
            keyspace = server.keyspace
            after_command = server.after_command
            # state only `dispatch`-path commands change (CLIENT REPLY, HELLO, CONFIG, PAUSE...)
            resp, reply_mode, guarded = self.resp, self.reply_mode, server.guarded or self.guarded
            propagators, monitors, slow_cut = server.propagators, server.monitors, server.slow_cut
            observed = propagators or monitors
            dirty = 0
            small = True  # every reply so far encoded below as a small piece (no big payload)
            start = _perf()
            it = iter(cmds)
            for argv in it:
                spec = None if guarded else command_cache.get(argv[0])
                if spec is not None and len(argv) in spec.fast_argc:
                    if propagators:
                        dirty = keyspace.dirty
                    try:
                        reply = spec.handler(self, argv)
                    except CommandError as exc:
                        reply = exc
                    except CloseAfterReply as close:
                        self.close_after(close.reply, out)
                        return
                    except Exception as exc:  # a bug must not take the server down
                        reply = server.internal_error(spec, exc)
                    now = _perf()
                    elapsed = now - start
                    start = now
                    spec.calls += 1
                    spec.seconds += elapsed
                    if elapsed >= slow_cut:
                        server.slow_command(self, spec, argv, elapsed)
                    if observed:
                        if propagators and keyspace.dirty != dirty:
                            server.propagate(self, spec, argv)
                        if monitors:
                            server.feed_monitors(self, spec, argv)
                    if after_command:
                        server.run_after_command()
                    if not reply_mode:  # the common replies, encoded here
                        kind = type(reply)
                        if kind is Raw:  # +OK, +PONG...
                            out.append(reply)
                            continue
                        if kind is bytes and len(reply) < _SMALL_BULK:
                            out += (BULK_HEADERS[len(reply)], reply, CRLF)
                            continue
                        if kind is int:
                            if -1 <= reply < _SMALL_INT:
                                out.append(INTS[reply + 1])
                            else:
                                out.append(b":%d\r\n" % reply)
                            continue
                    if isinstance(reply, CommandError):
                        server.count_failed(spec, reply)
                else:
                    spec = None  # `Server.call` sets `last_cmd` itself
                    try:
                        reply = server.dispatch(self, argv)
                    except CloseAfterReply as close:
                        self.close_after(close.reply, out)
                        return
                    resp, reply_mode = self.resp, self.reply_mode
                    guarded = server.guarded or self.guarded
                    propagators, monitors = server.propagators, server.monitors
                    observed = propagators or monitors
                    slow_cut = server.slow_cut
                    start = _perf()
                if type(reply) is Deferred:
                    self.pending.extend(it)
                    self.wait_for(reply, out)
                    return
                if reply_mode:
                    if reply_mode == REPLY_SKIP_NEXT:  # CLIENT REPLY SKIP itself: no reply
                        self.reply_mode = REPLY_SKIP
                    elif reply_mode == REPLY_SKIP:  # the one reply SKIP drops
                        self.reply_mode = REPLY_ON
                    reply_mode = self.reply_mode
                    continue
                if type(reply) is Raw:
                    out.append(reply)
                else:  # encode() inlined: one call less per command
                    ENCODERS.get(type(reply), encode)(reply, resp, out)
                    small = False
            if out:
                if small and len(out) > 1:
                    # Only small pieces: one buffer now, so the flush neither sizes nor
                    # joins them (pushes raised meanwhile are rare and copied once more).
                    out = [_JOIN(out)]
                self.write_out(out)
        finally:
            self.batch = None
            if spec is not None:  # nothing reads it during the batch but the batch itself
                self.last_cmd = spec.name

    def close_after(self, reply: Any, out: list[Any]) -> None:
        """QUIT and the like: send what the batch has so far and `reply`, then close."""
        encode(reply, self.resp, out)
        self.write_out(out)
        self.close()

    def write_out(self, out: list[Any]) -> None:
        """Queue replies for this loop iteration's flush (`Server.flush_replies`), as Redis
        writes in beforeSleep: every client served in one iteration gets its replies
        after all of them ran, in one write each, so the peer is woken once per burst
        instead of once per reply. `out` becomes the queue when nothing is waiting."""
        queued = self.outbuf
        if queued is not None:
            queued += out
            return
        if self.closing or self.transport is None:
            return
        self.outbuf = out
        server = self.server
        server.flush_queue.append(self)
        if not server.flush_scheduled:
            server.flush_scheduled = True
            server.loop.call_soon(server.flush_replies)  # type: ignore[union-attr]

    def wait_for(self, deferred: Deferred, out: list[Any]) -> None:
        """Flush what is ready and resume when `deferred` resolves.

        Reading goes on meanwhile (so a disconnect is seen at once, as Redis keeps reading
        blocked clients); later commands only queue up in `pending`, and reading pauses
        if that queue grows past MAX_PENDING."""
        if out:
            self.write_out(out)  # `out` is the client's queue now: the batch ends here
        self.waiting = deferred
        if deferred.direct:  # its producer calls resolve(): no future, no loop hop
            deferred.waiter = self._deferred_reply
        else:
            deferred.future.add_done_callback(self._deferred_done)

    def _deferred_done(self, future: asyncio.Future[Any]) -> None:
        if self.closing:
            self.waiting = None
            return
        if future.cancelled():
            reply: Any = CommandError("ERR command cancelled")
        else:
            exc = future.exception()
            if exc is None:
                reply = future.result()
            elif isinstance(exc, CommandError):
                reply = exc
            else:
                self.server.log.warning(f"deferred command failed: {exc!r}")
                reply = CommandError(f"ERR {exc}")
        self._deferred_reply(reply)

    def _deferred_reply(self, reply: Any) -> None:
        """The waited-for reply: send it, then run the commands queued meanwhile."""
        self.waiting = None
        if self.closing:
            return
        out: list[Any] = []
        if type(reply) is Raw:  # +OK of a model run: written as it is
            if self.reply_mode == REPLY_ON:
                out.append(reply)
        elif type(reply) is Deferred:  # chained deferral
            self.wait_for(reply, out)
            return
        elif self.reply_mode == REPLY_ON:
            encode(reply, self.resp, out)
        if self.reply_mode == REPLY_SKIP:
            self.reply_mode = REPLY_ON
        if out:
            self.write_out(out)
        if self.reading_paused and self.transport is not None:
            self.reading_paused = False
            self.transport.resume_reading()
        if self.pending:
            pending, self.pending = self.pending, deque()
            self.run_commands(pending)

    def send_push(self, message: Any) -> None:
        """Out-of-band message (pub/sub, MONITOR): written right away, or after the
        replies already produced when the client itself is running a batch."""
        if self.batch is not None:
            encode(message, self.resp, self.batch)
            return
        out: list[Any] = []
        encode(message, self.resp, out)
        self.write_out(out)

    def protocol_error(self, message: str) -> None:
        self.server.log.verbose(
            f"Protocol error ({message}) from client: id={self.id} addr={self.addr}"
        )
        self.write_out([encode_error(message)])
        self.close()

    def close(self) -> None:
        """Close after the replies already queued (uvloop's transport sends its own
        buffer before closing)."""
        if self.transport is not None and not self.closing:
            if self.outbuf is not None:
                self.server.flush_replies()  # this client's replies go out first
            self.closing = True
            self.transport.close()

    def select(self, index: int) -> None:
        self.db_index = index
        self.db = self.server.keyspace.dbs[index]


def _format_addr(addr: Any) -> str:
    if isinstance(addr, tuple) and len(addr) >= 2:
        host = addr[0]
        return f"[{host}]:{addr[1]}" if ":" in host else f"{host}:{addr[1]}"  # anetFormatAddr
    if isinstance(addr, str):
        return addr
    return ""


class Server:
    """Owns the config, keyspace, clients and background tick; wires the parts together."""

    def __init__(self, config: Config, use_hiredis: bool = True) -> None:
        self.config = config
        self.log = Logger(config)
        self.use_hiredis = use_hiredis
        self.reader_limits: ReaderLimits = DEFAULT_LIMITS
        self.reader_limits.proto_max_bulk_len = config["proto-max-bulk-len"]
        self.reader_limits.client_query_buffer_limit = config["client-query-buffer-limit"]
        self.keyspace = Keyspace(config["databases"])
        self.clients: dict[int, Client] = {}
        self._client_ids = 0
        self.started = time.time()
        self.started_monotonic = time.monotonic()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.listeners: list[asyncio.base_events.Server] = []
        self.port = config["port"]
        self.run_id = os.urandom(20).hex()
        self.stats: dict[str, int] = {
            "total_connections_received": 0,
            "rejected_connections": 0,
            "expired_keys": 0,
            "keyspace_hits": 0,
            "keyspace_misses": 0,
            "total_error_replies": 0,
            "unexpected_error_replies": 0,
        }
        self.net_input_bytes = 0  # total_net_input_bytes / total_net_output_bytes
        self.net_output_bytes = 0
        self.error_stats: dict[str, int] = {}
        self.slowlog: deque[list[Any]] = deque()
        self.slowlog_next_id = 0
        self.latency_events: dict[str, list[Any]] = {}  # event -> [max ms, samples]
        self.monitors: list[Client] = []
        self.propagators: list[Callable[[int, list[bytes]], None]] = []
        self.shutdown_hooks: list[Callable[[bool | None], None]] = []
        self.write_barrier: Callable[[], None] | None = None  # run before the next reply write
        # clients with queued replies, written once per loop iteration (Client.write_out)
        self.flush_queue: list[Client] = []
        self.flush_scheduled = False
        self.tick_hooks: list[Callable[[], None]] = []
        self.guarded = False  # a server-wide policy applies to every command: see update_guard
        self._loading = False
        self._replica_read_only = False
        self.shutting_down: asyncio.Future[None] | None = None
        self.ops_samples: deque[tuple[float, int]] = deque(maxlen=16)
        self.net_samples: deque[tuple[float, int, int]] = deque(maxlen=16)
        self.clock = time.monotonic()  # cached by the tick: idle times need no syscall
        self.replid = os.urandom(20).hex()
        self.executable = (
            os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else sys.executable
        )
        self.memory_startup = 0  # RSS once listening: INFO's used_memory_startup
        self.memory_peak = 0
        self.active_expire_enabled = True  # DEBUG SET-ACTIVE-EXPIRE
        self.latency_threshold_ms = config["latency-monitor-threshold"]
        self.slowlog_threshold = config["slowlog-log-slower-than"]
        self.slow_cut = self._slow_cut()  # seconds
        self.exit_code = 0
        # CLIENT PAUSE: while paused, `dispatch` hands commands to `_dispatch_paused`
        self.clients_paused = False
        self.pause_end = 0.0  # loop time
        self.pause_write_only = False
        self.pause_timer: asyncio.TimerHandle | None = None
        self.postponed: list[tuple[Client, list[bytes], asyncio.Future[Any]]] = []
        self.command_cache: dict[bytes, CommandSpec] = {}  # see lookup_command
        self.unix_listener: asyncio.base_events.Server | None = None
        self._stop: asyncio.Event | None = None
        self._last_timeout_check = 0.0
        self.extensions: dict[str, Any] = {}
        # one-shot work queued by a command, run when the top-level command (EXEC included)
        # has finished: serving clients blocked on keys it filled (handleClientsBlockedOnKeys)
        self.after_command: list[Callable[[], None]] = []
        for attach in SERVER_HOOKS:  # subsystems (persistence, AI engine...) attach here
            attach(self)
        config.listeners.append(self._config_changed)

    # Each change recomputes `guarded` (see update_guard).
    @property
    def loading(self) -> bool:
        return self._loading

    @loading.setter
    def loading(self, value: bool) -> None:
        self._loading = value
        self.update_guard()

    @property
    def replica_read_only(self) -> bool:  # set by replication
        return self._replica_read_only

    @replica_read_only.setter
    def replica_read_only(self, value: bool) -> None:
        self._replica_read_only = value
        self.update_guard()

    def update_guard(self) -> None:
        """`guarded`: loading, a read-only replica or CLIENT PAUSE: every command goes
        through `dispatch` (the client loop's shortcut is off)."""
        self.guarded = self._loading or self._replica_read_only or self.clients_paused

    def flush_replies(self) -> None:
        """The iteration's replies (a ready callback, so it runs once the iteration's
        reads were all served): the append-only file first, then one write per client:
        one buffer, or the pieces as they are when big payloads are among them."""
        self.flush_scheduled = False
        queue = self.flush_queue
        barrier = self.write_barrier
        if barrier is not None:  # propagated writes reach the append-only file first
            self.write_barrier = None
            barrier()
        written = 0
        for client in queue:
            out = client.outbuf
            client.outbuf = None
            transport = client.transport
            if out is None or transport is None or client.closing:
                continue
            if len(out) == 1:
                data = out[0]
                if type(data) is Raw:  # uvloop wraps all but exact bytes in a memoryview
                    data = _JOIN(out)
                written += len(data)
                transport.write(data)
                continue
            size = sum(map(len, out))
            written += size
            if size <= SMALL_WRITE:  # cheaper for the transport than an iovec of pieces
                transport.write(_JOIN(out))
            else:
                transport.writelines(out)
        queue.clear()  # (a write never calls back into write_out: uvloop defers its errors)
        self.net_output_bytes += written

    def next_client_id(self) -> int:
        self._client_ids += 1
        return self._client_ids

    def _config_changed(self, name: str, value: Any) -> None:
        if name == "proto-max-bulk-len":
            self.reader_limits.proto_max_bulk_len = value
        elif name == "client-query-buffer-limit":
            self.reader_limits.client_query_buffer_limit = value
        elif name == "requirepass":
            # Existing clients stay authenticated, as in Redis; with no password the
            # default user is "nopass", so waiting clients are let in too.
            if not value:
                for client in self.clients.values():
                    if not client.authenticated:
                        client.authenticated = True
                        client.reader.set_authenticated(True)
        elif name in ("port", "bind"):
            if self.loop is not None:
                self.rebind(self.config["port"], self.config["bind"], name)
        elif name == "latency-monitor-threshold":
            self.latency_threshold_ms = value
            self.slow_cut = self._slow_cut()
        elif name == "slowlog-log-slower-than":
            self.slowlog_threshold = value
            self.slow_cut = self._slow_cut()

    def _slow_cut(self) -> float:
        """The one number `call` compares a duration (seconds) against: the lowest enabled
        threshold. `slow_command` then applies each threshold in Redis's whole units."""
        cut_us = 1 << 62
        if self.slowlog_threshold >= 0:
            cut_us = self.slowlog_threshold
        if self.latency_threshold_ms > 0:
            cut_us = min(cut_us, self.latency_threshold_ms * 1000)
        return cut_us / 1e6

    # -- dispatch ------------------------------------------------------------------------
    def dispatch(self, client: Client, argv: list[bytes]) -> Any:
        """Apply the policies in Redis's processCommand order, then run the handler."""
        if self.clients_paused:
            return self._dispatch_paused(client, argv)
        return self.dispatch_now(client, argv)

    def dispatch_now(self, client: Client, argv: list[bytes]) -> Any:
        """`dispatch` regardless of CLIENT PAUSE."""
        spec = self.command_cache.get(argv[0])
        if spec is None:
            spec = self.lookup_command(argv[0])
            if spec is None:
                return self.reject(client, None, self.unknown_command(argv))
        if spec.subcommands and len(argv) >= 2:
            sub = lookup_subcommand(spec, argv)
            if sub is None:
                return self.reject(
                    client,
                    spec,
                    errors.UNKNOWN_SUBCOMMAND.format(_printable(argv[1]), spec.name.upper()),
                )
            spec = sub
        argc = len(argv)
        arity = spec.arity
        if (argc != arity) if arity > 0 else (argc < -arity):
            return self.reject(client, spec, errors.WRONG_ARITY.format(spec.name))
        if not client.authenticated and not spec.noauth:
            return self.reject(client, spec, errors.NOAUTH)
        if client.in_multi and not spec.runs_in_multi_immediately:
            if not spec.allowed_in_multi:
                client.multi_error = True
                return self.reject(client, spec, "ERR Command not allowed inside a transaction")
            client.multi_queue.append((spec, argv))
            return QUEUED
        if (
            (client.subscriptions or client.psubscriptions)
            and client.resp == 2
            and not spec.pubsub_ok
        ):
            return self.reject(
                client,
                spec,
                f"ERR Can't execute '{spec.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            )
        if spec.write and self.replica_read_only and not client.extra.get("master"):
            return self.reject(client, spec, errors.READONLY)
        if self.loading and not spec.loading_ok and not client.extra.get("loader"):
            return self.reject(client, spec, errors.LOADING)
        reply = self.call(client, spec, argv)
        if self.after_command:
            self.run_after_command()
        return reply

    def lookup_command(self, name: bytes) -> CommandSpec | None:
        """The command named `name` in any letter case; remembers the spelling, so the
        next lookup is one dict hit (clients send "SET" or "set", never both lower-case
        conversions per command). Commands are all registered at import."""
        spec = COMMANDS.get(name)
        if spec is None:
            spec = COMMANDS.get(name.lower())
        if spec is not None and len(self.command_cache) < COMMAND_CACHE_MAX:
            self.command_cache[name] = spec
        return spec

    def run_after_command(self) -> None:
        after = self.after_command  # the same list for the server's lifetime
        while after:
            work = after[:]
            after.clear()
            for callback in work:
                callback()

    def call(self, client: Client, spec: CommandSpec, argv: list[bytes]) -> Any:
        """Run one command (dispatch and EXEC): stats, slow log, monitor, propagation.

        `Client._run_commands` runs the common command with the same steps inline; both
        leave the rare work to the helpers below."""
        propagators = self.propagators
        if propagators:
            dirty = self.keyspace.dirty
        start = _perf()
        try:
            reply = spec.handler(client, argv)
        except CommandError as exc:
            reply = exc
        except CloseAfterReply:
            raise
        except Exception as exc:  # a bug must not take the server down
            reply = self.internal_error(spec, exc)
        elapsed = _perf() - start
        spec.calls += 1
        spec.seconds += elapsed
        client.last_cmd = spec.name
        if isinstance(reply, CommandError):
            self.count_failed(spec, reply)
        if elapsed >= self.slow_cut:
            self.slow_command(client, spec, argv, elapsed)
        if propagators and self.keyspace.dirty != dirty:
            self.propagate(client, spec, argv)
        if self.monitors:
            self.feed_monitors(client, spec, argv)
        return reply

    @property
    def commands_processed(self) -> int:
        """total_commands_processed: every `call` counts its command in `spec.calls`."""
        from .info import all_specs

        return sum(spec.calls for spec in all_specs())

    def internal_error(self, spec: CommandSpec, exc: Exception) -> CommandError:
        self.log.warning(f"command {spec.name} raised {exc!r}")
        return CommandError(f"ERR internal error: {exc!r}")

    def count_failed(self, spec: CommandSpec, error: CommandError) -> None:
        spec.failed_calls += 1
        self.count_error(error.message)

    def propagate(self, client: Client, spec: CommandSpec, argv: list[bytes]) -> None:
        """A write that changed the dataset goes to the AOF and replicas, unless the
        command propagates its effects itself (model runs, DAGs: `no-propagate`)."""
        if spec.write and "no-propagate" not in spec.flags:
            for propagate in self.propagators:
                propagate(client.db_index, argv)

    slowlog_threshold = 10000

    def slow_command(
        self, client: Client, spec: CommandSpec, argv: list[bytes], elapsed: float
    ) -> None:
        """Slow log entry and latency-monitor sample for a command over a threshold."""
        elapsed_us = int(elapsed * 1_000_000)
        threshold = self.slowlog_threshold
        if 0 <= threshold <= elapsed_us and "skip-slowlog" not in spec.flags:
            self.slowlog_add(client, argv, elapsed_us)
        if self.latency_threshold_ms > 0:
            elapsed_ms = elapsed_us // 1000
            if elapsed_ms >= self.latency_threshold_ms:
                self.latency_add("fast-command" if "fast" in spec.flags else "command", elapsed_ms)

    def latency_add(self, event: str, ms: int) -> None:
        """latencyAddSample: one sample per second per event, the highest kept (160 max)."""
        now = int(time.time())
        entry = self.latency_events.get(event)
        if entry is None:
            entry = self.latency_events[event] = [0, deque(maxlen=160)]  # [max, samples]
        samples: deque[list[int]] = entry[1]
        if samples and samples[-1][0] == now:
            samples[-1][1] = max(samples[-1][1], ms)
        else:
            samples.append([now, ms])
        entry[0] = max(entry[0], ms)

    def reject(self, client: Client, spec: CommandSpec | None, message: str) -> CommandError:
        if spec is not None:
            spec.rejected_calls += 1
        if client.in_multi:
            client.multi_error = True
        if spec is not None and spec.name == "exec":
            # rejectCommand -> execCommandAbort: a rejected EXEC discards the transaction
            client.in_multi = False
            client.multi_queue = []
            client.multi_error = False
            self.unwatch_all(client)
            message = "EXECABORT Transaction discarded because of: " + message.removeprefix("ERR ")
        self.count_error(message)
        return CommandError(message)

    def count_error(self, message: str) -> None:
        code = message.split(" ", 1)[0]
        self.error_stats[code] = self.error_stats.get(code, 0) + 1
        self.stats["total_error_replies"] += 1

    def unknown_command(self, argv: list[bytes]) -> str:
        # Redis: sdscatprintf(args, "'%.*s' ", 128 - sdslen(args), arg) while len < 128
        args = ""
        for arg in argv[1:]:
            if len(args) >= 128:
                break
            args += "'" + _printable(arg)[: 128 - len(args)] + "' "
        return errors.UNKNOWN_COMMAND.format(_printable(argv[0])[:128], args)

    def slowlog_add(self, client: Client, argv: list[bytes], elapsed_us: int) -> None:
        max_len = self.config["slowlog-max-len"]
        shown: list[bytes] = []
        for i, arg in enumerate(argv[:32]):
            if i == 31 and len(argv) > 32:
                shown.append(b"... (%d more arguments)" % (len(argv) - 31))
                break
            if len(arg) > 128:
                shown.append(bytes(arg[:128]) + b"... (%d more bytes)" % (len(arg) - 128))
            else:
                shown.append(bytes(arg))
        self.slowlog.appendleft(
            [
                self.slowlog_next_id,
                int(time.time()),
                elapsed_us,
                shown,
                client.addr.encode(),
                client.name,
            ]
        )
        self.slowlog_next_id += 1
        while len(self.slowlog) > max_len:
            self.slowlog.pop()

    def feed_monitors(self, client: Client, spec: CommandSpec, argv: list[bytes]) -> None:
        """After the handler, as Redis 7 does: AUTH/HELLO have redacted their secrets;
        admin commands are not shown."""
        if "admin" in spec.flags:
            return
        now = time.time()
        origin = client.addr if client.fd != -2 else "lua"
        if client.extra.get("unix"):
            origin = "unix:" + self.config["unixsocket"]
        args = " ".join('"' + _monitor_escape(a) + '"' for a in argv)
        text = f"+{now:.6f} [{client.db_index} {origin}] {args}\r\n"
        data = Raw(text.encode())
        for monitor in self.monitors:
            if monitor is client and self.loop is not None:
                self.loop.call_soon(monitor.send_push, data)  # after its own reply
            else:
                monitor.send_push(data)

    def exec_queued(self, client: Client) -> Any:
        """EXEC's body: run queued commands atomically, replies as one array."""
        queue, client.multi_queue = client.multi_queue, []
        client.in_multi = False
        if client.watch_dirty:
            self.unwatch_all(client)
            return NULL_ARRAY
        self.unwatch_all(client)
        replies = []
        client.in_exec = True
        propagators = self.propagators
        wrapped: list[bool] = []
        if propagators:
            # Replicas and the AOF see the transaction's writes as one MULTI ... EXEC.
            def propagate_in_multi(db_index: int, argv: list[bytes]) -> None:
                if not wrapped:
                    wrapped.append(True)
                    for propagate in propagators:
                        propagate(db_index, [b"MULTI"])
                for propagate in propagators:
                    propagate(db_index, argv)

            self.propagators = [propagate_in_multi]
        try:
            for spec, argv in queue:
                reply = self.call(client, spec, argv)
                if type(reply) is Deferred:
                    reply.future.cancel()
                    reply = CommandError("ERR this command cannot run inside a transaction")
                replies.append(reply)
        finally:
            client.in_exec = False
            if propagators:
                self.propagators = propagators
                if wrapped:
                    for propagate in propagators:
                        propagate(client.db_index, [b"EXEC"])
        return replies

    def unwatch_all(self, client: Client) -> None:
        watching = self.keyspace.watching
        for item in client.watched:
            clients = watching.get(item)
            if clients is not None:
                clients.discard(client)
                if not clients:
                    del watching[item]
        client.watched.clear()
        client.watch_dirty = False

    # -- lifecycle -----------------------------------------------------------------------
    def client_gone(self, client: Client) -> None:
        self.clients.pop(client.id, None)
        if client.watched:
            self.unwatch_all(client)
        if self.monitors and client in self.monitors:
            self.monitors.remove(client)
        client.monitor = False
        for hook in self.extensions.get("disconnect_hooks", ()):
            hook(client)

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.clock = time.monotonic()
        for hook in self.extensions.get("startup_hooks", ()):
            result = hook(self)
            if inspect.isawaitable(result):
                await result  # e.g. loading the dataset before listening
        socks = self._listen_sockets(self.config["port"], self.config["bind"])
        self.port = socks[0].getsockname()[1] if socks else self.config["port"]
        for sock in socks:
            self.listeners.append(await self.loop.create_server(lambda: Client(self), sock=sock))
        path = self.config["unixsocket"]
        if path:
            if os.path.exists(path):
                os.unlink(path)  # a stale socket of a previous run, as Redis does
            self.unix_listener = await self.loop.create_unix_server(lambda: Client(self), path)
            self.listeners.append(self.unix_listener)
            if self.config["unixsocketperm"]:
                os.chmod(path, self.config["unixsocketperm"])
        from .info import rss_bytes

        self.memory_startup = rss_bytes()
        self._schedule_tick()

    def _listen_sockets(self, port: int, binds: list[str]) -> list[socket.socket]:
        """Bound, listening sockets for `bind` (Redis's "-addr": skip if unavailable).

        Raises OSError naming the address that failed, as redis-server logs it."""
        socks: list[socket.socket] = []
        backlog = self.config["tcp-backlog"]
        try:
            for entry in binds or ["*"]:
                optional = entry.startswith("-")
                host = entry.lstrip("-")
                if host == "*":
                    host = "0.0.0.0"
                elif host == "::*":
                    host = "::"
                family = socket.AF_INET6 if ":" in host else socket.AF_INET
                sock = socket.socket(family, socket.SOCK_STREAM)
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    if family == socket.AF_INET6:
                        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    sock.bind((host, port))
                    sock.listen(backlog)
                    sock.setblocking(False)
                except OSError as exc:
                    sock.close()
                    if optional and exc.errno in (97, 99, 22):  # no such address/family
                        continue
                    raise OSError(
                        exc.errno,
                        f"Could not create server TCP listening socket {host}:{port}: "
                        f"bind: {exc.strerror}",
                    ) from None
                socks.append(sock)
                if port == 0:
                    port = sock.getsockname()[1]  # the other addresses share the port
        except OSError:
            for sock in socks:
                sock.close()
            raise
        return socks

    def rebind(self, port: int, binds: list[str], setting: str = "port") -> None:
        """CONFIG SET port/bind: listen on the new addresses, then drop the old ones."""
        from .config import ConfigError

        assert self.loop is not None
        try:
            socks = self._listen_sockets(port, binds)
        except OSError:
            if setting == "bind":
                raise ConfigError("Failed to bind to specified addresses.") from None
            raise ConfigError("Unable to listen on this port") from None
        for listener in self.listeners:
            if listener is not self.unix_listener:
                listener.close()
        self.listeners = [self.unix_listener] if self.unix_listener is not None else []
        if socks:
            self.port = socks[0].getsockname()[1]
        for sock in socks:
            task = self.loop.create_task(self.loop.create_server(lambda: Client(self), sock=sock))
            task.add_done_callback(self._listener_started)

    def _listener_started(self, task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is None:
            self.listeners.append(task.result())

    def _schedule_tick(self) -> None:
        assert self.loop is not None
        self.loop.call_later(1.0 / self.config["hz"], self._tick)

    def _tick(self) -> None:
        """serverCron: active expiry, ops/sec sampling, idle timeouts, hooks."""
        try:
            now = self.clock = time.monotonic()
            if self.active_expire_enabled:
                self.keyspace.active_expire()
            else:
                self.keyspace.refresh_lru_clock()
            self.stats["expired_keys"] = self.keyspace.stats_expired
            self.ops_samples.append((now, self.commands_processed))
            self.net_samples.append((now, self.net_input_bytes, self.net_output_bytes))
            timeout = self.config["timeout"]
            if timeout and now - self._last_timeout_check >= 1.0:
                self._last_timeout_check = now
                self.close_idle_clients(now, timeout)
            for hook in self.tick_hooks:
                hook()
        except Exception as exc:  # keep ticking whatever happens
            self.log.warning(f"tick failed: {exc!r}")
        finally:
            if self.shutting_down is None:
                self._schedule_tick()

    def close_idle_clients(self, now: float, timeout: int) -> None:
        """clientsCronHandleTimeout: pub/sub, blocked, monitor and replication links stay."""
        for client in list(self.clients.values()):
            if (
                now - client.last_interaction > timeout
                and not client.subscriptions
                and not client.psubscriptions
                and client.waiting is None
                and not client.monitor
                and not client.extra.get("master")
                and not client.extra.get("replica")
            ):
                self.log.verbose("Closing idle client")
                client.close()

    def instantaneous_ops(self) -> int:
        if len(self.ops_samples) < 2:
            return 0
        (t0, c0), (t1, c1) = self.ops_samples[0], self.ops_samples[-1]
        return int((c1 - c0) / (t1 - t0)) if t1 > t0 else 0

    def instantaneous_kbps(self) -> tuple[float, float]:
        if len(self.net_samples) < 2:
            return 0.0, 0.0
        (t0, i0, o0), (t1, i1, o1) = self.net_samples[0], self.net_samples[-1]
        if t1 <= t0:
            return 0.0, 0.0
        return (i1 - i0) / (t1 - t0) / 1024, (o1 - o0) / (t1 - t0) / 1024

    def reset_stats(self) -> None:
        """CONFIG RESETSTAT: counters, error and command statistics, slow commands."""
        from .info import all_specs

        for key in self.stats:
            self.stats[key] = 0
        self.net_input_bytes = self.net_output_bytes = 0
        self.error_stats.clear()
        keyspace = self.keyspace
        keyspace.stats_expired = 0
        for attr in ("stats_hits", "stats_misses"):
            if hasattr(keyspace, attr):
                setattr(keyspace, attr, 0)
        for spec in all_specs():
            spec.calls = spec.rejected_calls = spec.failed_calls = 0
            spec.seconds = 0.0
        self.ops_samples.clear()
        self.net_samples.clear()
        for hook in self.extensions.get("resetstat_hooks", ()):
            hook()

    # -- CLIENT PAUSE --------------------------------------------------------------------
    def pause_clients(self, seconds: float, write_only: bool) -> None:
        """Postpone every command (or only writes) until the pause ends; a longer or
        stricter pause wins over a running one, as in Redis's pauseClients."""
        assert self.loop is not None
        end = self.loop.time() + seconds
        if self.pause_end and self.loop.time() < self.pause_end:
            self.pause_write_only = self.pause_write_only and write_only
            if end <= self.pause_end:
                return
        else:
            self.pause_write_only = write_only
        self.pause_end = end
        if self.pause_timer is not None:
            self.pause_timer.cancel()
        self.pause_timer = self.loop.call_at(end, self.unpause_clients)
        self.clients_paused = True
        self.update_guard()

    def unpause_clients(self) -> None:
        if self.pause_timer is not None:
            self.pause_timer.cancel()
            self.pause_timer = None
        self.pause_end = 0.0
        self.clients_paused = False
        self.update_guard()
        if self.postponed and self.loop is not None:
            self.loop.call_soon(self._release_postponed)

    def _dispatch_paused(self, client: Client, argv: list[bytes]) -> Any:
        if client.extra.get("master") or client.extra.get("replica"):
            return self.dispatch_now(client, argv)
        if self.pause_write_only:
            spec = COMMANDS.get(argv[0].lower())
            writes = spec is not None and (
                spec.write
                or "may-replicate" in spec.flags
                or (
                    client.in_multi
                    and spec.runs_in_multi_immediately
                    and any(s.write for s, _ in client.multi_queue)
                )
            )
            if not writes:
                return self.dispatch_now(client, argv)
        assert self.loop is not None
        future: asyncio.Future[Any] = self.loop.create_future()
        self.postponed.append((client, argv, future))
        return Deferred(future)

    def _release_postponed(self) -> None:
        postponed, self.postponed = self.postponed, []
        for i, (client, argv, future) in enumerate(postponed):
            if self.clients_paused:  # paused again meanwhile: keep the rest waiting
                self.postponed[:0] = postponed[i:]
                return
            if client.closing or future.done():
                continue
            try:
                future.set_result(self.dispatch(client, argv))
            except CloseAfterReply as close:
                future.set_result(close.reply)
                if self.loop is not None:
                    self.loop.call_soon(client.close)

    # -- shutdown ------------------------------------------------------------------------
    def request_shutdown(self, save: bool | None = None, force: bool = False) -> bool:
        """prepareForShutdown: run the shutdown hooks (save on exit...), then stop
        listening, close clients and let serve_forever return. `save` None means "as
        configured". Returns False, and keeps serving, when a hook failed without FORCE."""
        if self.shutting_down is not None:
            return True
        self.log.warning("User requested shutdown...")
        failed = False
        for hook in list(self.shutdown_hooks):
            try:
                hook(save)
            except Exception as exc:
                self.log.warning(f"Error during shutdown: {exc}")
                failed = True
        if failed and not force:
            self.log.warning(
                "Errors trying to shut down the server. Check the logs for more information."
            )
            return False
        assert self.loop is not None
        self.shutting_down = self.loop.create_future()
        for listener in self.listeners:
            listener.close()
        path = self.config["unixsocket"]
        if path:
            try:
                os.unlink(path)
            except OSError:
                pass
        for client in list(self.clients.values()):
            client.close()
        self.log.warning("Redis is now ready to exit, bye bye...")
        self.shutting_down.set_result(None)
        if self._stop is not None:
            self._stop.set()
        return True

    def _on_signal(self, sig: int) -> None:
        name = "SIGINT" if sig == signal.SIGINT else "SIGTERM"
        self.log.warning(f"Received {name} scheduling shutdown...")
        assert self.loop is not None
        self.loop.call_soon(self.request_shutdown, None)

    async def serve_forever(self) -> None:
        self._stop = asyncio.Event()
        await self.start()
        assert self.loop is not None
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self.loop.add_signal_handler(sig, self._on_signal, sig)
            except (NotImplementedError, RuntimeError):
                pass
        self.log.notice(f"Ready to accept connections tcp (port {self.port})")
        sys.stdout.flush()
        if self.shutting_down is None:
            await self._stop.wait()
        # let transports flush their final replies, but never hang on a stuck peer
        deadline = self.loop.time() + 2.0
        while self.clients and self.loop.time() < deadline:
            await asyncio.sleep(0.01)
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self.loop.remove_signal_handler(sig)
            except (NotImplementedError, RuntimeError):
                pass


def _printable(arg: bytes) -> str:
    return arg.decode("utf-8", "replace")


def _monitor_escape(arg: bytes) -> str:
    out = []
    for b in bytes(arg):
        if b == 0x5C:
            out.append("\\\\")
        elif b == 0x22:
            out.append('\\"')
        elif b == 0x0A:
            out.append("\\n")
        elif b == 0x0D:
            out.append("\\r")
        elif b == 0x09:
            out.append("\\t")
        elif 32 <= b < 127:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return "".join(out)
