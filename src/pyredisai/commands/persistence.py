"""Persistence commands and the lifecycle around them: SAVE, BGSAVE, LASTSAVE,
BGREWRITEAOF, save points, save on shutdown, loading at start, the append-only file.

Why BGSAVE forks: the keyspace is owned by the loop thread and its containers (hashes,
lists, sets, sorted sets) are mutated in place, so a consistent point-in-time copy needs
either a stop-the-world copy (a stall proportional to the dataset) or the kernel's
copy-on-write. Like Redis we fork: the child serialises the frozen image and exits with
`os._exit`, touching nothing but the keyspace objects and one file. Worker threads do not
exist in the child; it calls no framework code, takes no lock they could hold (the
snapshot writer only reads Python objects and numpy buffers), and never runs the event
loop. Tensor and model payloads are buffers that neither side writes, so their pages stay
shared. The parent's stall is the fork itself (the page-table copy, INFO stats
latest_fork_usec): about 10 ms per 1M small keys on the benchmark host, and nearly
nothing for tensors loaded from a snapshot, whose buffers are shared mappings (see
persistence/codecs.py). `_fork` also keeps the collector off the image (gc.freeze in the
parent, no collector in the child), which would otherwise copy every page it walks.
"""

from __future__ import annotations

import asyncio
import gc
import mmap
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import errors, info
from ..errors import CommandError
from ..persistence import codecs  # noqa: F401  (registers tensor/zset codecs)
from ..persistence.aof import AppendOnlyFile, TruncatedAOF, read_aof
from ..persistence.snapshot import SnapshotError, dump, read_snapshot, write_snapshot
from ..protocol.encoder import OK, SimpleString
from .registry import SERVER_HOOKS, Deferred, command

if TYPE_CHECKING:
    from ..keyspace.database import Keyspace
    from ..server import Client, Server


class Persistence:
    """Per-server persistence state (loop thread only)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.lastsave = int(time.time())
        self.dirty_at_save = 0
        self.last_bgsave_ok = True
        self.last_bgsave_time = -1
        self.bgsave_child: int = -1
        self.bgsave_started = 0.0
        self.bgsave_dirty = 0
        self.bgsave_scheduled = False
        self.rewrite_child: int = -1
        self.rewrite_tmp = ""
        self.rewrite_started = 0.0
        self.last_rewrite_ok = True
        self.last_rewrite_time = -1
        self.rewrite_scheduled = False
        self.aof: AppendOnlyFile | None = None
        self.loading_time = 0.0
        self.loaded_keys = 0
        self.fork_usec = 0
        self.total_forks = 0
        self.rdb_saves = 0
        self.save_waiters: list[asyncio.Future[Any]] = []
        server.extensions["persistence"] = self
        server.extensions.setdefault("startup_hooks", []).append(self.on_start)
        server.shutdown_hooks.append(self.on_shutdown)
        server.tick_hooks.append(self.on_tick)
        server.config.listeners.append(self.on_config)

    # -- paths --------------------------------------------------------------------------
    @property
    def snapshot_path(self) -> str:
        return os.path.join(self.server.config["dir"], self.server.config["dbfilename"])

    @property
    def aof_path(self) -> str:
        return os.path.join(self.server.config["dir"], self.server.config["appendfilename"])

    @property
    def changes_since_save(self) -> int:
        return self.server.keyspace.dirty - self.dirty_at_save

    def _contents(self) -> list[tuple[int, dict[bytes, Any], dict[bytes, int]]]:
        return [(db.id, db.data, db.expires) for db in self.server.keyspace.dbs]

    # -- saving -------------------------------------------------------------------------
    def save(self) -> None:
        """Foreground save (SAVE, shutdown): blocks the loop like Redis's SAVE."""
        dirty = self.server.keyspace.dirty
        write_snapshot(self.snapshot_path, self._contents())
        self.dirty_at_save = dirty
        self.lastsave = int(time.time())
        self.last_bgsave_ok = True
        self.rdb_saves += 1
        self.server.log.notice("DB saved on disk")

    def bgsave(self) -> None:
        path, contents = self.snapshot_path, self._contents()
        pid = self._fork(lambda: write_snapshot(path, contents))
        self.bgsave_child = pid
        self.bgsave_started = time.time()
        self.bgsave_dirty = self.server.keyspace.dirty
        self.server.log.notice(f"Background saving started by pid {pid}")

    def bgrewriteaof(self) -> None:
        if self.aof is None:
            # Without appendonly, Redis still writes a fresh file; so do we, then close it.
            self.aof = AppendOnlyFile(self.aof_path, self.server.config["appendfsync"])
            self._aof_temporary = True
        directory = os.path.dirname(os.path.abspath(self.aof_path))
        tmp = os.path.join(directory, f"temp-rewriteaof-bg-{os.getpid()}.aof")
        self.aof.flush()
        self.aof.start_rewrite()
        contents = self._contents()

        def rewrite() -> None:
            with open(tmp, "wb") as fh:
                dump(fh, contents)
                fh.flush()
                os.fsync(fh.fileno())

        pid = self._fork(rewrite)
        self.rewrite_child = pid
        self.rewrite_tmp = tmp
        self.rewrite_started = time.time()
        self.server.log.notice(f"Background append only file rewriting started by pid {pid}")

    def _fork(self, work: Callable[[], object]) -> int:
        """Run `work` in a forked child that exits with 0 on success; returns its pid.

        Parent: the stall is fork() itself (page-table copy; INFO latest_fork_usec).
        gc.freeze() first moves every tracked object out of the collector's reach
        until the children are reaped (`_reap` unfreezes): a full collection in the
        parent would otherwise write to every object's header and copy every page of
        the image while the child holds it. Child: no collector (its walk would copy
        pages too), only `work`, then os._exit without any parent cleanup; it touches
        no lock a worker thread could hold (the snapshot writer only reads Python
        objects and buffers and writes its own file)."""
        gc.freeze()
        started = time.perf_counter()
        try:
            pid = os.fork()
        except OSError:
            if not self.child_running():
                gc.unfreeze()
            raise
        if pid == 0:
            code = 1
            try:
                gc.disable()
                work()
                code = 0
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        self._forked(started)
        return pid

    def _forked(self, started: float) -> None:
        """Parent side of a fork: the stall it cost (INFO stats latest_fork_usec)."""
        self.fork_usec = int((time.perf_counter() - started) * 1e6)
        self.total_forks += 1

    def _reap(self) -> None:
        if self.bgsave_child > 0:
            pid, status = os.waitpid(self.bgsave_child, os.WNOHANG)
            if pid:
                ok = os.waitstatus_to_exitcode(status) == 0
                self.last_bgsave_ok = ok
                self.last_bgsave_time = int(time.time() - self.bgsave_started)
                self.bgsave_child = -1
                if ok:
                    self.dirty_at_save = self.bgsave_dirty
                    self.lastsave = int(time.time())
                    self.rdb_saves += 1
                    self.server.log.notice("Background saving terminated with success")
                else:
                    self.server.log.warning("Background saving error")
                for waiter in self.save_waiters:
                    if not waiter.done():
                        waiter.set_result(ok)
                self.save_waiters.clear()
        if self.rewrite_child > 0:
            pid, status = os.waitpid(self.rewrite_child, os.WNOHANG)
            if pid:
                ok = os.waitstatus_to_exitcode(status) == 0
                self.rewrite_child = -1
                self.last_rewrite_ok = ok
                self.last_rewrite_time = int(time.time() - self.rewrite_started)
                aof = self.aof
                if aof is not None and ok:
                    aof.finish_rewrite(self.rewrite_tmp)
                    self.server.log.notice("Background AOF rewrite finished successfully")
                elif aof is not None:
                    aof.abort_rewrite()
                    try:
                        os.unlink(self.rewrite_tmp)
                    except OSError:
                        pass
                    self.server.log.warning("Background AOF rewrite terminated with error")
                if getattr(self, "_aof_temporary", False) and aof is not None:
                    aof.close()
                    self.aof = None
                    self._aof_temporary = False
        if self.bgsave_child < 0 and self.rewrite_child < 0:
            if gc.get_freeze_count():
                gc.unfreeze()  # no child holds the image any more (see _fork)
            if self.rewrite_scheduled:
                self.rewrite_scheduled = False
                self.bgrewriteaof()
            elif self.bgsave_scheduled:
                self.bgsave_scheduled = False
                self.bgsave()

    def child_running(self) -> bool:
        return self.bgsave_child > 0 or self.rewrite_child > 0

    # -- append-only file ---------------------------------------------------------------
    def open_aof(self) -> None:
        self.aof = AppendOnlyFile(self.aof_path, self.server.config["appendfsync"])
        if self.propagate not in self.server.propagators:
            self.server.propagators.append(self.propagate)

    def propagate(self, db_index: int, argv: list[bytes]) -> None:
        aof = self.aof
        if aof is None:
            return
        aof.feed(db_index, argv)
        self.server.write_barrier = self.flush_aof

    def flush_aof(self) -> None:
        if self.aof is not None:
            try:
                self.aof.flush()
            except OSError as exc:
                self.server.log.warning(f"Error writing to the AOF file: {exc}")

    def enable_aof_at_runtime(self) -> None:
        """CONFIG SET appendonly yes: write the current dataset as the file's preamble."""
        tmp = self.aof_path + ".tmp"
        with open(tmp, "wb") as fh:
            dump(fh, self._contents())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.aof_path)
        self.open_aof()

    def disable_aof(self) -> None:
        if self.aof is not None:
            self.aof.close()
            self.aof = None
        if self.propagate in self.server.propagators:
            self.server.propagators.remove(self.propagate)

    # -- lifecycle hooks ----------------------------------------------------------------
    async def on_start(self, server: Server) -> None:
        started = time.monotonic()
        server.loading = True
        try:
            if server.config["appendonly"] and os.path.exists(self.aof_path):
                await self.load_aof()
            elif os.path.exists(self.snapshot_path):
                self.load_snapshot()
        finally:
            server.loading = False
        self.loading_time = time.monotonic() - started
        self.dirty_at_save = server.keyspace.dirty
        if server.config["appendonly"]:
            if not os.path.exists(self.aof_path):
                self.enable_aof_at_runtime()
            else:
                self.open_aof()

    def load_snapshot(self) -> None:
        # Loading builds millions of objects and frees none: collections would only
        # rescan them (quadratic-ish for big hashes/sets), so the collector waits.
        started = time.perf_counter()
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._load_snapshot()
        finally:
            if enabled:
                gc.enable()
        elapsed = time.perf_counter() - started
        self.server.log.notice(f"DB loaded from disk: {elapsed:.3f} seconds")  # Redis's line

    def _load_snapshot(self) -> None:
        with open(self.snapshot_path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                raise SystemExit(self._fatal("the snapshot file is empty"))
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                view = memoryview(mm)
                try:
                    dbs, _ = read_snapshot(view)
                except SnapshotError as exc:
                    view.release()
                    raise SystemExit(self._fatal(str(exc))) from None
                view.release()
        self._install(dbs)

    def _install(self, dbs: list[tuple[int, dict[bytes, Any], dict[bytes, int]]]) -> None:
        keyspace: Keyspace = self.server.keyspace
        count = 0
        for index, data, expires in dbs:
            if index >= len(keyspace.dbs):
                raise SystemExit(
                    self._fatal(
                        f"the file holds database {index}, this server has {len(keyspace.dbs)}"
                    )
                )
            db = keyspace.dbs[index]
            db.clear()
            db.data = data
            db.expires = {}
            for key, when in expires.items():
                db.set_expire(key, when)
            count += len(data)
        self.loaded_keys = count
        for hook in self.server.extensions.get("post_load_hooks", ()):
            hook(self.server)

    async def load_aof(self) -> None:
        started = time.perf_counter()
        server = self.server
        path = self.aof_path
        with open(path, "rb") as fh:
            raw = fh.read()
        view = memoryview(raw)
        try:
            preamble, commands, end = read_aof(view)
        except SnapshotError as exc:
            raise SystemExit(
                self._fatal(f"Bad file format reading the append only file: {exc}")
            ) from None
        if preamble is not None:
            self._install(preamble)
        from ..server import Client

        loader = Client(server)
        loader.extra["loader"] = True
        loader.extra["master"] = True
        count = 0
        try:
            for argv in commands:
                reply = server.dispatch(loader, argv)
                if type(reply) is Deferred:
                    reply = await reply.future
                if isinstance(reply, CommandError) and argv[0].lower() not in (b"del",):
                    server.log.warning(f"AOF replay: {argv[0]!r} answered {reply.message}")
                count += 1
        except TruncatedAOF as exc:
            if not server.config["aof-load-truncated"]:
                raise SystemExit(
                    self._fatal(
                        "Unexpected end of file reading the append only file. You can: "
                        "1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename>. "
                        "2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."
                    )
                ) from None
            server.log.warning(
                "!!! Warning: short read while loading the AOF file !!! "
                f"AOF loaded anyway because aof-load-truncated is enabled; truncating to {exc.valid_length} bytes"
            )
            with open(path, "r+b") as fh:
                fh.truncate(exc.valid_length)
        except Exception as exc:
            raise SystemExit(
                self._fatal(f"Bad file format reading the append only file: {exc}")
            ) from None
        server.clients.pop(loader.id, None)
        elapsed = time.perf_counter() - started
        server.log.notice(f"DB loaded from append only file: {elapsed:.3f} seconds")

    def _fatal(self, reason: str) -> int:
        self.server.log.warning(f"Fatal error loading the DB: {reason}. Exiting.")
        return 1

    def on_shutdown(self, save: bool | None) -> None:
        server = self.server
        if self.bgsave_child > 0:
            try:
                os.kill(self.bgsave_child, 9)
                os.waitpid(self.bgsave_child, 0)
            except OSError:
                pass
            self.bgsave_child = -1
        if self.rewrite_child > 0:
            try:
                os.kill(self.rewrite_child, 9)
                os.waitpid(self.rewrite_child, 0)
            except OSError:
                pass
            self.rewrite_child = -1
        if self.aof is not None:
            try:
                self.aof.close()
            except OSError as exc:
                server.log.warning(f"Error closing the AOF: {exc}")
        should_save = save if save is not None else bool(server.config["save"])
        if should_save:
            server.log.notice("Saving the final RDB snapshot before exiting.")
            try:
                self.save()
            except OSError as exc:
                server.log.warning(f"Error trying to save the DB, can't exit: {exc}")

    def on_tick(self) -> None:
        self._reap()
        if self.child_running():
            return
        dirty = self.changes_since_save
        if dirty:
            now = time.time()
            for seconds, changes in self.server.config["save"]:
                if (
                    dirty >= changes
                    and now - self.lastsave > seconds
                    and (self.last_bgsave_ok or now - self.lastsave > 5)
                ):
                    self.server.log.notice(f"{changes} changes in {seconds} seconds. Saving...")
                    try:
                        self.bgsave()
                    except OSError as exc:
                        self.server.log.warning(f"Can't save in background: fork: {exc}")
                    break

    def on_config(self, name: str, value: Any) -> None:
        if name == "appendonly":
            if value and self.aof is None:
                self.enable_aof_at_runtime()
            elif not value and self.aof is not None:
                self.disable_aof()
        elif name == "appendfsync" and self.aof is not None:
            self.aof.set_policy(value)

    # -- INFO -----------------------------------------------------------------------------
    def info_fields(self) -> list[tuple[str, Any]]:
        aof = self.aof
        now = time.time()
        return [
            ("loading", 1 if self.server.loading else 0),
            ("async_loading", 0),
            ("current_cow_peak", 0),
            ("current_cow_size", 0),
            ("current_cow_size_age", 0),
            ("current_fork_perc", "0.00"),
            ("current_save_keys_processed", 0),
            ("current_save_keys_total", 0),
            ("rdb_changes_since_last_save", self.changes_since_save),
            ("rdb_bgsave_in_progress", 1 if self.bgsave_child > 0 else 0),
            ("rdb_last_save_time", self.lastsave),
            ("rdb_last_bgsave_status", "ok" if self.last_bgsave_ok else "err"),
            ("rdb_last_bgsave_time_sec", self.last_bgsave_time),
            (
                "rdb_current_bgsave_time_sec",
                int(now - self.bgsave_started) if self.bgsave_child > 0 else -1,
            ),
            ("rdb_saves", self.rdb_saves),
            ("rdb_last_cow_size", 0),
            ("rdb_last_load_keys_expired", 0),
            ("rdb_last_load_keys_loaded", self.loaded_keys),
            (
                "aof_enabled",
                1 if aof is not None and not getattr(self, "_aof_temporary", False) else 0,
            ),
            ("aof_rewrite_in_progress", 1 if self.rewrite_child > 0 else 0),
            ("aof_rewrite_scheduled", 1 if self.rewrite_scheduled else 0),
            ("aof_last_rewrite_time_sec", self.last_rewrite_time),
            (
                "aof_current_rewrite_time_sec",
                int(now - self.rewrite_started) if self.rewrite_child > 0 else -1,
            ),
            ("aof_last_bgrewrite_status", "ok" if self.last_rewrite_ok else "err"),
            ("aof_rewrites", 0),
            ("aof_rewrites_consecutive_failures", 0),
            (
                "aof_last_write_status",
                "ok" if aof is None or aof.last_write_error is None else "err",
            ),
            ("aof_last_cow_size", 0),
            ("module_fork_in_progress", 0),
            ("module_fork_last_cow_size", 0),
        ] + (
            [
                ("aof_current_size", aof.size),
                ("aof_base_size", aof.base_size),
                ("aof_pending_rewrite", 0),
                ("aof_buffer_length", sum(map(len, aof.buf))),
                ("aof_pending_bio_fsync", 1 if aof.pending_fsync else 0),
                ("aof_delayed_fsync", aof.delayed_fsync),
            ]
            if aof is not None
            else []
        )


def persistence_of(server: Server) -> Persistence:
    p: Persistence = server.extensions["persistence"]
    return p


def _stats_fields(server: Server) -> list[tuple[str, Any]]:
    """INFO stats: what forking cost (Redis's latest_fork_usec, total_forks)."""
    p = server.extensions.get("persistence")
    if p is None:
        return []
    return [("latest_fork_usec", p.fork_usec), ("total_forks", p.total_forks)]


def _attach(server: Server) -> None:
    Persistence(server)  # registers itself in server.extensions


SERVER_HOOKS.append(_attach)
info.extend_section("stats", _stats_fields)


# --- commands ----------------------------------------------------------------------------


@command(
    "save",
    1,
    "admin noscript no-async-loading no-multi",
    group="server",
    summary="Synchronously saves the database(s) to disk.",
)
def save(client: Client, argv: list[bytes]) -> Any:
    p = persistence_of(client.server)
    if p.bgsave_child > 0:
        raise CommandError("ERR Background save already in progress")
    try:
        p.save()
    except OSError as exc:
        client.server.log.warning(f"Failed opening the temp RDB file for saving: {exc}")
        raise CommandError("ERR") from None
    return OK


@command(
    "bgsave",
    -1,
    "admin noscript no-async-loading",
    group="server",
    summary="Asynchronously saves the database(s) to disk.",
)
def bgsave(client: Client, argv: list[bytes]) -> Any:
    p = persistence_of(client.server)
    schedule = False
    if len(argv) > 1:
        if len(argv) == 2 and argv[1].lower() == b"schedule":
            schedule = True
        else:
            raise CommandError(errors.SYNTAX)
    if p.bgsave_child > 0:
        raise CommandError("ERR Background save already in progress")
    if p.rewrite_child > 0:
        if schedule:
            p.bgsave_scheduled = True
            return SimpleString("Background saving scheduled")
        raise CommandError(
            "ERR Another child process is active (AOF?): can't BGSAVE right now. "
            "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."
        )
    try:
        p.bgsave()
    except OSError as exc:
        raise CommandError(f"ERR Can't save in background: fork: {exc}") from None
    return SimpleString("Background saving started")


@command(
    "bgrewriteaof",
    1,
    "admin noscript no-async-loading",
    group="server",
    summary="Asynchronously rewrites the append-only file to disk.",
)
def bgrewriteaof(client: Client, argv: list[bytes]) -> Any:
    p = persistence_of(client.server)
    if p.rewrite_child > 0:
        raise CommandError("ERR Background append only file rewriting already in progress")
    if p.bgsave_child > 0:
        p.rewrite_scheduled = True
        return SimpleString("Background append only file rewriting scheduled")
    try:
        p.bgrewriteaof()
    except OSError as exc:
        raise CommandError(
            f"ERR Can't execute an AOF background rewriting. Please check the server logs for more information. ({exc})"
        ) from None
    return SimpleString("Background append only file rewriting started")


@command(
    "lastsave",
    1,
    "loading stale fast",
    group="server",
    summary="Returns the Unix timestamp of the last successful save to disk.",
)
def lastsave(client: Client, argv: list[bytes]) -> Any:
    return persistence_of(client.server).lastsave
