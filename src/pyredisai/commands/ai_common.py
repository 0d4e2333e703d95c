"""Helpers shared by the AI run commands (models now; scripts and DAGs reuse them).

- `get_engine(server)`: the server's one `Engine`, created on first use with the
  config's threads-per-queue / inline-run-budget-us, its CPU queue started at once (as
  RedisAI creates the CPU queue at module load), its shutdown wired to the server's.
- `check_not_in_transaction`: RedisAI refuses every blocking AI command inside MULTI/EXEC
  or a script with one fixed error (reference 7.1).
- `parse_count`: RedisAI's AC_GetUnsignedLongLong number rule (reference 0.3, item 3).
- key-finders for COMMAND GETKEYS (config-persistence 6.1).
- statistics ownership: a stored model's (or script's) AI.INFO entry goes away when the
  value is freed, under the name the value has then (reference 9.1).
- output writing: run outputs become tensors in the keyspace and are propagated as
  AI.TENSORSET (effects, never computations: DESIGN 7).

Loop thread only.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import errors
from ..engine import Engine, RunStats, StatsTable
from ..errors import CommandError, WrongTypeError
from ..keyspace.database import Database, as_key
from ..keyspace.tensor import DTYPES, DType, Tensor
from .ai_tensor import parse_double
from .args import parse_int

if TYPE_CHECKING:
    from ..server import Client, Server

_LLONG_MAX = 2**63 - 1

# -- the engine ------------------------------------------------------------------------


def get_engine(server: Server) -> Engine:
    """The server's engine, created on first use (loop thread)."""
    engine: Engine | None = server.extensions.get("engine")
    if engine is None:
        engine = _create_engine(server)
    return engine


def peek_engine(server: Server) -> Engine | None:
    """The engine if one was created (AI.INFO and scans need not start worker threads)."""
    engine: Engine | None = server.extensions.get("engine")
    return engine


def _create_engine(server: Server) -> Engine:
    import asyncio

    loop = server.loop if server.loop is not None else asyncio.get_event_loop()
    config = server.config
    engine = Engine(
        loop,
        threads_per_queue=config["threads-per-queue"],
        inline_budget_us=config["inline-run-budget-us"],
    )
    engine.queue("CPU")  # RedisAI's CPU queue exists from module load
    server.extensions["engine"] = engine

    def on_config(name: str, value: Any) -> None:
        if name == "inline-run-budget-us":
            engine.inline_budget_us = value

    def on_shutdown(save: bool | None) -> None:
        engine.shutdown(wait=True, timeout=2.0)

    config.listeners.append(on_config)
    server.shutdown_hooks.append(on_shutdown)
    server.keyspace.delete_hooks.append(partial(_detach_if_renamed, server))
    return engine


def get_loader(server: Server) -> ThreadPoolExecutor:
    """The small thread pool that builds models off the event loop (a big model can take
    seconds to load; only the storing client waits for it)."""
    pool: ThreadPoolExecutor | None = server.extensions.get("ai_loader")
    if pool is None:
        pool = ThreadPoolExecutor(
            max_workers=min(2, os.cpu_count() or 1), thread_name_prefix="pyredisai-model-load"
        )
        server.extensions["ai_loader"] = pool
        server.shutdown_hooks.append(lambda save: pool.shutdown(wait=False, cancel_futures=True))
    return pool


# -- statistics ownership --------------------------------------------------------------
#
# RedisAI frees a model or script value when it leaves the keyspace (DEL, UNLINK, expiry,
# FLUSH*, an overwrite, RESTORE REPLACE) and then removes the statistics entry under the
# value's current key name if that entry is still the value's own. RENAME and MOVE keep
# the value; after a RENAME the entry stays under the old name and the value, now under
# another name, removes nothing when it is freed.
#
# Here a value's entry is released by a `weakref.finalize` on the value (only the keyspace
# holds model and script values; runs hold their engine target), and a delete hook notices
# a value that left its key while still alive: if it is not under the same name in any
# database (a MOVE), it was renamed, and its entry is detached from it for good.


class ValueStats:
    """Ties one stored value to its statistics entry (loop thread only)."""

    __slots__ = ("stats", "ref", "detached")

    def __init__(self, stats: RunStats, ref: weakref.ref[Any]) -> None:
        self.stats = stats
        self.ref = ref
        self.detached = False  # renamed away from its entry's name: never releases it


def _owners(server: Server) -> dict[bytes, ValueStats]:
    """Entry name -> the owner of the entry stored under it now."""
    owners: dict[bytes, ValueStats] | None = server.extensions.get("ai_stats_owners")
    if owners is None:
        owners = server.extensions["ai_stats_owners"] = {}
    return owners


def track_stats(server: Server, value: Any, stats: RunStats) -> None:
    """Store `stats` as the fresh entry of a new model or script value."""
    engine = get_engine(server)
    table, loop = engine.stats, engine.loop
    owners = _owners(server)
    owner = ValueStats(stats, weakref.ref(value))
    owners[stats.key] = owner
    table.store(stats)
    loop_thread = threading.get_ident()

    def freed() -> None:
        if threading.get_ident() != loop_thread:  # e.g. a background flush
            try:
                loop.call_soon_threadsafe(_release, table, owners, owner)
            except RuntimeError:  # loop closed: the server is gone
                pass
            return
        _release(table, owners, owner)

    weakref.finalize(value, freed).atexit = False


def _release(table: StatsTable, owners: dict[bytes, ValueStats], owner: ValueStats) -> None:
    if owner.detached:
        return
    stats = owner.stats
    if owners.get(stats.key) is owner:
        del owners[stats.key]
    table.release(stats)  # removes the entry only if it is still this one


def release_stats(server: Server, stats: RunStats) -> None:
    """Release the entry of a value that is being freed now (AI.MODELDEL, an overwrite
    by AI.MODELSTORE), before its replacement's entry is stored, as RedisAI does."""
    owners = _owners(server)
    owner = owners.get(stats.key)
    if owner is None or owner.stats is not stats:
        return  # not the current entry (replaced, or removed already)
    _release(get_engine(server).stats, owners, owner)


def _detach_if_renamed(server: Server, db: Database, key: bytes) -> None:
    """Delete hook (runs for every deleted key: keep it cheap)."""
    owner = _owners(server).get(key)
    if owner is None or owner.detached:
        return
    value = owner.ref()
    if value is None:
        return  # freed: its finalizer has released the entry
    for other in server.keyspace.dbs:
        if other.data.get(key) is value:
            return  # MOVE: same name, the entry stays attached
    owner.detached = True


# -- checks and parsing ----------------------------------------------------------------


def check_not_in_transaction(client: Client) -> None:
    """RedisAI 7.1: run commands inside MULTI/EXEC (or a script) fail without running.

    A script's pseudo-client is recognised by fd -2 (server.py's MONITOR convention)."""
    if client.in_exec or client.in_multi or client.fd == -2:
        raise CommandError(errors.AI_IN_TRANSACTION)


def parse_count(arg: bytes | bytearray) -> int | None:
    """RedisAI's AC_GetUnsignedLongLong: a strict integer, else an integral double
    (`2.0`, `2e0`, `0x10`); negative or above 2**63-1 is refused (None)."""
    if type(arg) is not bytes:
        arg = bytes(arg)
    try:
        value = parse_int(arg)
    except CommandError:
        number = parse_double(arg)
        if number is None or number != number or not number.is_integer():
            return None
        if number < 0 or number > _LLONG_MAX:
            return None
        return int(number)
    if value < 0:
        return None
    return value


def parse_strict(arg: bytes | bytearray) -> int | None:
    """Redis string2ll (strict decimal 64-bit integer), or None."""
    if len(arg) == 1:  # the usual input/output count: no exception machinery
        c = arg[0]
        return c - 48 if 48 <= c <= 57 else None
    try:
        return parse_int(arg if type(arg) is bytes else bytes(arg))
    except CommandError:
        return None


def wrong_arity(argv: list[bytes]) -> CommandError:
    """RedisModule_WrongArity as Redis 6.2 printed it: the name as the client typed it."""
    return CommandError(errors.WRONG_ARITY.format(bytes(argv[0]).decode("utf-8", "replace")))


def keyword(arg: bytes | bytearray) -> bytes:
    """Upper-cased argument for keyword matching (big bulks are never keywords)."""
    return arg.upper() if type(arg) is bytes and len(arg) <= 32 else b""


# -- key-finders (COMMAND GETKEYS) --------------------------------------------------------


def modelexecute_keys(argv: list[bytes]) -> list[int]:
    """AI.MODELEXECUTE: the model, the <input_count> inputs and <output_count> outputs
    (only the model when the counts are not integers or the command is too short)."""
    keys = [1] if len(argv) > 1 else []
    argc = len(argv)
    if argc < 4:
        return keys
    n_in = parse_strict(argv[3])
    if n_in is None or n_in <= 0 or argc < 4 + n_in:
        return keys
    i = 4 + n_in
    if i + 1 >= argc:
        return keys
    n_out = parse_strict(argv[i + 1])
    if n_out is None or n_out <= 0 or argc < i + 2 + n_out:
        return keys
    return keys + list(range(4, 4 + n_in)) + list(range(i + 2, i + 2 + n_out))


def modelrun_keys(argv: list[bytes]) -> list[int]:
    """AI.MODELRUN: the model, then (after an optional TIMEOUT <t> and the INPUTS word)
    every argument but the literal OUTPUTS."""
    if len(argv) < 2:
        return []
    keys = [1]
    i = 2
    if i < len(argv) and keyword(argv[i]) == b"TIMEOUT":
        i += 2
    i += 1  # the INPUTS word
    keys.extend(j for j in range(i, len(argv)) if keyword(argv[j]) != b"OUTPUTS")
    return keys


# -- inputs and outputs ---------------------------------------------------------------------


def input_arrays(db: Database, keys: Sequence[bytes | bytearray]) -> list[np.ndarray[Any, Any]]:
    """The arrays of the tensors at `keys`, in order (reference 4.5 step 13): a missing
    key or a non-tensor fails the command before anything is queued."""
    arrays = []
    for key in keys:
        value = db.read(as_key(key))
        if value is None:
            raise CommandError(errors.TENSOR_KEY_EMPTY)
        if type(value) is not Tensor:
            raise WrongTypeError()
        arrays.append(value.array)
    return arrays


def check_output_keys(db: Database, keys: Sequence[bytes]) -> None:
    """WRONGTYPE if an output key holds something else than a tensor.

    RedisAI finds this only after the run and then sends two replies for one command;
    pyredisai checks before queueing and again before writing, and sends one."""
    data = db.data
    for key in keys:
        value = data.get(key)
        if value is not None and type(value) is not Tensor and db.peek(key) is not None:
            raise WrongTypeError()


def store_outputs(
    server: Server,
    db: Database,
    db_index: int,
    keys: Sequence[bytes],
    outputs: Sequence[np.ndarray[Any, Any] | None],
    check: bool = True,
) -> None:
    """Write run outputs as tensors (TTL cleared, a later duplicate key wins) and
    propagate each as AI.TENSORSET. None marks an output the backend did not produce as
    a tensor: RedisAI leaves that key unchanged. `check=False` when the keys were checked
    in this same loop callback (a run that finished inline)."""
    if check:
        check_output_keys(db, keys)
    propagators = server.propagators
    if len(keys) == 1 and not propagators:  # the usual case: one output, no replicas/AOF
        out = outputs[0] if outputs else None
        if out is not None:
            db.set(keys[0], Tensor.from_array(out, _BY_NUMPY.get(out.dtype)))
        return
    tensors = []
    for key, out in zip(keys, outputs, strict=False):
        if out is not None:
            tensors.append((key, Tensor.from_array(out, _BY_NUMPY.get(out.dtype))))
    for key, tensor in tensors:
        db.set(key, tensor)
        if propagators and tensor.dtype is not None:
            argv = tensorset_argv(key, tensor)
            for propagate in propagators:
                propagate(db_index, argv)


_BY_NUMPY: dict[Any, DType] = {t.np_dtype: t for t in DTYPES.values() if t.kind != "string"}
"""numpy dtype -> tensor type, for outputs (native little-endian arrays match directly;
anything else is left to Tensor.from_array to resolve)."""


def tensorset_argv(key: bytes, tensor: Tensor) -> list[Any]:
    """`AI.TENSORSET <key> <TYPE> <dims...> BLOB <bytes>`: how a run output replicates."""
    assert tensor.dtype is not None
    return [
        b"AI.TENSORSET",
        key,
        tensor.dtype.name.encode(),
        *[b"%d" % d for d in tensor.shape],
        b"BLOB",
        tensor.data,
    ]


def propagate(server: Server, db_index: int, argv: list[Any]) -> None:
    """Feed the AOF/replicas by hand, for commands whose effect lands after their
    handler returned (flag no-propagate keeps Server.call from doing it twice)."""
    for propagator in server.propagators:
        propagator(db_index, argv)
