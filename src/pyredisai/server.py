"""Server: event loop, listeners, client connections, dispatch policy and lifecycle.

A `Client` is the asyncio protocol of one connection. Call order (asyncio's
BufferedProtocol): connection_made -> (get_buffer -> buffer_updated)* -> connection_lost.
Each buffer_updated drains every complete command, runs them in order and writes all
replies with one `writelines`. A handler that cannot answer at once returns `Deferred`;
the client then stops running its later commands (replies stay in order) and stops
reading until the deferred reply is written. Everyone else keeps being served.

`dispatch` applies every policy in one fixed order, reading only the command spec:
unknown command, arity, auth, MULTI queueing, pub/sub mode, read-only replica, loading,
OOM; then it runs the handler, records stats, slow log and propagation.
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
from typing import Any

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
from .protocol.encoder import NULL_ARRAY, QUEUED, Raw, encode, encode_error
from .protocol.reader import DEFAULT_LIMITS, ReaderLimits, RequestReader

_perf_ns = time.perf_counter_ns


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
        "authenticated",
        "user",
        "addr",
        "laddr",
        "fd",
        "created",
        "last_interaction",
        "last_cmd",
        "in_multi",
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
        "closing",
        "flags",
        "no_evict",
        "no_touch",
        "tracking",
        "paused_writing",
        "monitor",
        "kill_reason",
        "extra",
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
        self.authenticated = not server.config["requirepass"]
        self.user = "default"
        self.addr = ""
        self.laddr = ""
        self.fd = -1
        self.created = time.monotonic()
        self.last_interaction = self.created
        self.last_cmd = "NULL"
        self.in_multi = False
        self.in_exec = False  # inside EXEC: blocking commands must not block
        self.multi_queue: list[tuple[CommandSpec, list[bytes]]] = []
        self.multi_error = False
        self.watched: set[tuple[int, bytes]] = set()
        self.watch_dirty = False
        self.subscriptions: set[bytes] = set()
        self.psubscriptions: set[bytes] = set()
        self.reply_mode = 0  # 0 on, 1 off, 2 skip next
        self.pending: deque[list[bytes]] = deque()
        self.waiting: Deferred | None = None
        self.closing = False
        self.flags = ""
        self.no_evict = False
        self.no_touch = False
        self.tracking = False
        self.paused_writing = False
        self.monitor = False
        self.kill_reason = ""
        self.extra: dict[str, Any] = {}
        if not self.authenticated:
            self.reader.set_authenticated(False)

    # -- asyncio protocol ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
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
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        self.addr = _format_addr(peer)
        self.laddr = _format_addr(local)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.server.client_gone(self)

    def pause_writing(self) -> None:
        self.paused_writing = True

    def resume_writing(self) -> None:
        self.paused_writing = False

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.reader.get_buffer(sizehint)

    def buffer_updated(self, nbytes: int) -> None:
        server = self.server
        server.stats["total_net_input_bytes"] += nbytes
        cmds, error = self.reader.buffer_updated(nbytes)
        if self.waiting is not None or self.pending:
            self.pending.extend(cmds)
        elif cmds:
            self.run_commands(cmds)
        if error is not None:
            self.protocol_error(error.message)
        elif self.reader.buffered() > server.reader_limits.client_query_buffer_limit:
            server.log.warning(f"Closing client that reached max query buffer length: id={self.id}")
            self.close()

    # -- running commands ----------------------------------------------------------------
    def run_commands(self, cmds: list[list[bytes]] | deque[list[bytes]]) -> None:
        out: list[Any] = []
        dispatch = self.server.dispatch
        resp = self.resp
        it = iter(cmds)
        for argv in it:
            try:
                reply = dispatch(self, argv)
            except CloseAfterReply as close:
                encode(close.reply, self.resp, out)
                self.write_out(out)
                self.close()
                return
            if type(reply) is Deferred:
                self.pending.extend(it)
                self.wait_for(reply, out)
                return
            if self.reply_mode:
                if self.reply_mode == 2:
                    self.reply_mode = 0
                continue
            if resp != self.resp:  # HELLO switched protocol mid-batch
                resp = self.resp
            encode(reply, resp, out)
        if out:
            self.write_out(out)

    def write_out(self, out: list[Any]) -> None:
        server = self.server
        if server.write_barrier is not None:
            # Propagated writes must reach the append-only file before their replies.
            barrier, server.write_barrier = server.write_barrier, None
            barrier()
        transport = self.transport
        if transport is not None and not self.closing:
            self.server.stats["total_net_output_bytes"] += sum(map(len, out))
            transport.writelines(out)

    def wait_for(self, deferred: Deferred, out: list[Any]) -> None:
        """Flush what is ready, stop reading, and resume when `deferred` resolves."""
        if out:
            self.write_out(out)
        self.waiting = deferred
        if self.transport is not None:
            self.transport.pause_reading()
        deferred.future.add_done_callback(self._deferred_done)

    def _deferred_done(self, future: asyncio.Future[Any]) -> None:
        self.waiting = None
        if self.closing:
            return
        out: list[Any] = []
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
        if type(reply) is Deferred:  # chained deferral
            self.wait_for(reply, out)
            return
        if self.reply_mode == 0:
            encode(reply, self.resp, out)
        elif self.reply_mode == 2:
            self.reply_mode = 0
        if out:
            self.write_out(out)
        if self.transport is not None:
            self.transport.resume_reading()
        if self.pending:
            pending, self.pending = self.pending, deque()
            self.run_commands(pending)

    def send_push(self, message: Any) -> None:
        """Out-of-band message (pub/sub, MONITOR): written right away."""
        out: list[Any] = []
        encode(message, self.resp, out)
        self.write_out(out)

    def protocol_error(self, message: str) -> None:
        self.server.log.verbose(f"Protocol error ({message}) from client: id={self.id} addr={self.addr}")
        if self.transport is not None and not self.closing:
            self.transport.write(encode_error(message))
        self.close()

    def close(self) -> None:
        if self.transport is not None and not self.closing:
            self.closing = True
            self.transport.close()

    def select(self, index: int) -> None:
        self.db_index = index
        self.db = self.server.keyspace.dbs[index]


def _format_addr(addr: Any) -> str:
    if isinstance(addr, tuple) and len(addr) >= 2:
        host = addr[0]
        return f"[{host}]:{addr[1]}" if ":" in host and False else f"{host}:{addr[1]}"
    if isinstance(addr, str):
        return addr
    return ""


_EXEC_LIKE = frozenset(("exec", "discard", "multi", "watch", "quit", "reset"))


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
            "total_commands_processed": 0,
            "rejected_connections": 0,
            "total_net_input_bytes": 0,
            "total_net_output_bytes": 0,
            "expired_keys": 0,
            "keyspace_hits": 0,
            "keyspace_misses": 0,
            "total_error_replies": 0,
            "unexpected_error_replies": 0,
        }
        self.error_stats: dict[str, int] = {}
        self.slowlog: deque[list[Any]] = deque()
        self.slowlog_next_id = 0
        self.latency_events: dict[str, list[int]] = {}
        self.monitors: list[Client] = []
        self.propagators: list[Callable[[int, list[bytes]], None]] = []
        self.shutdown_hooks: list[Callable[[bool | None], None]] = []
        self.write_barrier: Callable[[], None] | None = None  # run before the next reply write
        self.tick_hooks: list[Callable[[], None]] = []
        self.loading = False
        self.replica_read_only = False  # set by replication when this server is a replica
        self.shutting_down: asyncio.Future[None] | None = None
        self.ops_samples: deque[tuple[float, int]] = deque(maxlen=16)
        self.extensions: dict[str, Any] = {}
        for attach in SERVER_HOOKS:  # subsystems (persistence, AI engine...) attach here
            attach(self)
        config.listeners.append(self._config_changed)

    def next_client_id(self) -> int:
        self._client_ids += 1
        return self._client_ids

    def _config_changed(self, name: str, value: Any) -> None:
        if name == "proto-max-bulk-len":
            self.reader_limits.proto_max_bulk_len = value
        elif name == "client-query-buffer-limit":
            self.reader_limits.client_query_buffer_limit = value
        elif name == "requirepass":
            pass  # existing clients stay authenticated, as in Redis

    # -- dispatch ------------------------------------------------------------------------
    def dispatch(self, client: Client, argv: list[bytes]) -> Any:
        """Apply the policies in Redis's processCommand order, then run the handler."""
        name = argv[0]
        spec = COMMANDS.get(name)
        if spec is None:
            spec = COMMANDS.get(name.lower())
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
        if (client.subscriptions or client.psubscriptions) and client.resp == 2 and not spec.pubsub_ok:
            return self.reject(
                client,
                spec,
                f"ERR Can't execute '{spec.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            )
        if spec.write and self.replica_read_only and not client.extra.get("master"):
            return self.reject(client, spec, errors.READONLY)
        if self.loading and not spec.loading_ok and not client.extra.get("loader"):
            return self.reject(client, spec, errors.LOADING)
        return self.call(client, spec, argv)

    def call(self, client: Client, spec: CommandSpec, argv: list[bytes]) -> Any:
        """Run one command (also used by EXEC): stats, slow log, monitor, propagation."""
        if self.monitors:
            self.feed_monitors(client, argv)
        keyspace = self.keyspace
        dirty = keyspace.dirty
        start = _perf_ns()
        try:
            reply = spec.handler(client, argv)
        except CommandError as exc:
            reply = exc
        except CloseAfterReply:
            raise
        except Exception as exc:  # a bug must not take the server down
            self.log.warning(f"command {spec.name} raised {exc!r}")
            reply = CommandError(f"ERR internal error: {exc!r}")
        elapsed_us = (_perf_ns() - start) // 1000
        spec.calls += 1
        spec.usec += elapsed_us
        self.stats["total_commands_processed"] += 1
        client.last_cmd = spec.name
        if type(reply) is CommandError or isinstance(reply, CommandError):
            spec.failed_calls += 1
            self.count_error(reply.message)
        if elapsed_us > self.slowlog_threshold and self.slowlog_threshold >= 0:
            self.slowlog_add(client, argv, elapsed_us)
        if self.propagators and spec.write and keyspace.dirty != dirty:
            for propagate in self.propagators:
                propagate(client.db_index, argv)
        return reply

    slowlog_threshold = 10000

    def reject(self, client: Client, spec: CommandSpec | None, message: str) -> CommandError:
        if spec is not None:
            spec.rejected_calls += 1
        if client.in_multi:
            client.multi_error = True
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
            [self.slowlog_next_id, int(time.time()), elapsed_us, shown, client.addr.encode(), client.name]
        )
        self.slowlog_next_id += 1
        while len(self.slowlog) > max_len:
            self.slowlog.pop()

    def feed_monitors(self, client: Client, argv: list[bytes]) -> None:
        now = time.time()
        text = "+%.6f [%d %s] %s\r\n" % (
            now,
            client.db_index,
            client.addr if client.fd != -2 else "lua",
            " ".join('"' + _monitor_escape(a) + '"' for a in argv),
        )
        data = Raw(text.encode())
        for monitor in self.monitors:
            if monitor is not client:
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
        try:
            for spec, argv in queue:
                reply = self.call(client, spec, argv)
                if type(reply) is Deferred:
                    reply.future.cancel()
                    reply = CommandError("ERR this command cannot run inside a transaction")
                replies.append(reply)
        finally:
            client.in_exec = False
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
        if client in self.monitors:
            self.monitors.remove(client)
        for hook in self.extensions.get("disconnect_hooks", ()):
            hook(client)

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.slowlog_threshold = self.config["slowlog-log-slower-than"]
        self.config.listeners.append(self._sync_cached)
        for hook in self.extensions.get("startup_hooks", ()):
            result = hook(self)
            if inspect.isawaitable(result):
                await result  # e.g. loading the dataset before listening
        port = self.config["port"]
        backlog = self.config["tcp-backlog"]
        for host in self.config["bind"]:
            host = host.lstrip("-")
            if host == "*":
                host = "0.0.0.0"
            listener = await self.loop.create_server(
                lambda: Client(self), host, port, backlog=backlog, reuse_address=True
            )
            self.listeners.append(listener)
            if port == 0:
                port = listener.sockets[0].getsockname()[1]
        self.port = port
        if self.config["unixsocket"]:
            listener = await self.loop.create_unix_server(lambda: Client(self), self.config["unixsocket"])
            self.listeners.append(listener)
        self._schedule_tick()

    def _sync_cached(self, name: str, value: Any) -> None:
        if name == "slowlog-log-slower-than":
            self.slowlog_threshold = value

    def _schedule_tick(self) -> None:
        assert self.loop is not None
        self.loop.call_later(1.0 / self.config["hz"], self._tick)

    def _tick(self) -> None:
        """serverCron: active expiry, ops/sec sampling, idle timeouts, hooks."""
        try:
            expired = self.keyspace.active_expire()
            self.stats["expired_keys"] = self.keyspace.stats_expired
            del expired
            self.ops_samples.append((time.monotonic(), self.stats["total_commands_processed"]))
            timeout = self.config["timeout"]
            if timeout:
                now = time.monotonic()
                for client in list(self.clients.values()):
                    if (
                        now - client.last_interaction > timeout
                        and not client.subscriptions
                        and client.waiting is None
                    ):
                        client.close()
            for hook in self.tick_hooks:
                hook()
        except Exception as exc:  # keep ticking whatever happens
            self.log.warning(f"tick failed: {exc!r}")
        finally:
            if self.shutting_down is None:
                self._schedule_tick()

    def instantaneous_ops(self) -> int:
        if len(self.ops_samples) < 2:
            return 0
        (t0, c0), (t1, c1) = self.ops_samples[0], self.ops_samples[-1]
        return int((c1 - c0) / (t1 - t0)) if t1 > t0 else 0

    def request_shutdown(self, save: bool | None = None) -> None:
        """Stop accepting, run shutdown hooks (save on exit), close clients, stop."""
        if self.shutting_down is not None:
            return
        assert self.loop is not None
        self.shutting_down = self.loop.create_future()
        self.log.notice("User requested shutdown...")
        for hook in self.shutdown_hooks:
            hook(save)
        for listener in self.listeners:
            listener.close()
        for client in list(self.clients.values()):
            client.close()
        self.log.notice("Redis is now ready to exit, bye bye...")
        self.shutting_down.set_result(None)

    async def serve_forever(self) -> None:
        await self.start()
        assert self.loop is not None
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self.loop.add_signal_handler(sig, self.request_shutdown, None)
            except (NotImplementedError, RuntimeError):
                pass
        self.log.notice(f"Ready to accept connections tcp (port {self.port})")
        sys.stdout.flush()
        assert self.shutting_down is None
        self.shutting_down_waiter = self.loop.create_future()
        while self.shutting_down is None:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0)  # let transports flush their final replies


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
            out.append("\\x%02x" % b)
    return "".join(out)
