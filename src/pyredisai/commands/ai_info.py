"""AI.INFO, AI.CONFIG, and the `ai_*` sections of INFO MODULES.

AI.INFO reads the engine's process-wide statistics table by key name (the keyspace is
not consulted, reference section 8), so it serves models now and scripts later alike.
AI.CONFIG follows reference section 10 and its pyredisai note: LOADBACKEND imports a
framework (there are no backend libraries to load), BACKENDSPATH is stored verbatim,
MODEL_CHUNK_SIZE also sets the `model-chunk-size` setting. `ai_info_sections` builds the
INFO fields of redisai-config-persistence.md section 2.2 for the INFO command to append.
"""

from __future__ import annotations

import asyncio
import os
import resource
import threading
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import errors
from ..backends.base import BackendError
from ..backends.registry import BACKENDS, get_backend, loaded_backends
from ..errors import CommandError
from ..keyspace.database import as_key
from ..protocol.encoder import OK
from .ai_common import get_engine, get_loader, keyword, parse_strict, peek_engine, wrong_arity
from .registry import Deferred, command

if TYPE_CHECKING:
    from ..server import Client, Server

REDISAI_VERSION = "1.2.7"
LLAPI_VERSION = 1
RDB_VERSION = 4

# -- AI.INFO -------------------------------------------------------------------------------


@command(
    "ai.info",
    -1,
    "readonly module",
    keys=(1, 1, 1),
    group="module",
    summary="Returns a model's or script's run statistics (RedisAI).",
    since="1.0.0",
)
def ai_info(client: Client, argv: list[bytes]) -> Any:
    argc = len(argv)
    if argc < 2 or argc > 3:
        raise wrong_arity(argv)
    engine = peek_engine(client.server)
    stats = engine.stats.get(as_key(argv[1])) if engine is not None else None
    if stats is None:
        raise CommandError(errors.RUN_INFO_NOT_FOUND)
    if argc == 3 and keyword(argv[2]) == b"RESETSTAT":
        stats.reset()
        return OK
    return [
        b"key", stats.key,
        b"type", stats.kind,
        b"backend", stats.backend,
        b"device", stats.device.encode("utf-8", "surrogateescape"),
        b"tag", stats.tag,
        b"duration", stats.duration_us,
        b"samples", stats.samples,
        b"calls", stats.calls,
        b"errors", stats.errors,
    ]  # fmt: skip


# -- AI.CONFIG -------------------------------------------------------------------------------


def default_backendspath() -> str:
    """RedisAI's default is `<module directory>/backends`; ours is the backends package."""
    return str(Path(__file__).resolve().parent.parent / "backends")


def backendspath(server: Server) -> str:
    return server.config["backendspath"] or default_backendspath()


@command(
    "ai.config",
    -1,
    "write module",
    group="module",
    summary="Sets or reads RedisAI run-time settings.",
    since="1.0.0",
)
def ai_config(client: Client, argv: list[bytes]) -> Any:
    argc = len(argv)
    if argc < 2:
        raise wrong_arity(argv)
    server = client.server
    sub = keyword(argv[1])
    if sub == b"LOADBACKEND":
        if argc < 4:
            raise wrong_arity(argv)
        return _load_backend(client, keyword(argv[2]).decode("ascii", "replace"))
    if sub == b"BACKENDSPATH":
        if argc < 3:
            raise CommandError(errors.BACKENDSPATH_MISSING)
        server.config.set_text("backendspath", bytes(argv[2]).decode("utf-8", "surrogateescape"))
        return OK
    if sub == b"MODEL_CHUNK_SIZE":
        if argc < 3:
            raise CommandError(errors.CHUNK_SIZE_MISSING)
        size = parse_strict(argv[2])
        if size is None or size <= 0:
            raise CommandError(errors.CHUNK_SIZE_INVALID)
        server.config.set_text("model-chunk-size", str(size))
        return OK
    if sub == b"GET":
        if argc < 3:
            raise wrong_arity(argv)
        name = keyword(argv[2])
        if name == b"BACKENDSPATH":
            return backendspath(server).encode("utf-8", "surrogateescape")
        if name == b"MODEL_CHUNK_SIZE":
            return server.config["model-chunk-size"]
        return None
    raise CommandError(errors.AI_UNSUPPORTED_SUBCOMMAND)


def _load_backend(client: Client, name: str) -> Any:
    """LOADBACKEND: import the framework (on the loader pool: importing TensorFlow takes
    seconds). OK the first time; 'error loading backend' if it cannot be imported or was
    loaded already, as RedisAI answers for a second load of the same backend."""
    if name not in BACKENDS:
        raise CommandError(errors.UNSUPPORTED_BACKEND)
    if name in loaded_backends():
        raise CommandError(errors.ERROR_LOADING_BACKEND)
    server = client.server
    loop = server.loop
    if loop is None or client.in_exec or server.loading:
        return _import_backend(server, name)
    reply: asyncio.Future[Any] = loop.create_future()
    work = loop.run_in_executor(get_loader(server), _try_import, name)
    work.add_done_callback(partial(_imported, server, reply))
    return Deferred(reply)


def _try_import(name: str) -> str | None:
    """Import a backend (any thread): None, or why it failed."""
    try:
        get_backend(name)
    except BackendError as exc:
        return exc.message
    return None


def _import_backend(server: Server, name: str) -> Any:
    failure = _try_import(name)
    if failure is not None:
        server.log.warning(failure)
        return CommandError(errors.ERROR_LOADING_BACKEND)
    return OK


def _imported(server: Server, reply: asyncio.Future[Any], work: asyncio.Future[Any]) -> None:
    if work.cancelled():
        result: Any = CommandError(errors.ERROR_LOADING_BACKEND)
    elif work.exception() is not None:
        server.log.warning(f"loading a backend failed: {work.exception()!r}")
        result = CommandError(errors.ERROR_LOADING_BACKEND)
    else:
        failure = work.result()
        if failure is not None:
            server.log.warning(failure)
            result = CommandError(errors.ERROR_LOADING_BACKEND)
        else:
            result = OK
    if not reply.done():
        reply.set_result(result)


# -- INFO MODULES ------------------------------------------------------------------------------

Section = tuple[str, list[tuple[str, str]]]

_BACKEND_INFO_NAMES = (("TF", "TensorFlow"), ("TFLITE", "TensorFlowLite"), ("TORCH", "Torch"))


def ai_info_sections(server: Server) -> list[Section]:
    """The five `ai_*` INFO sections, in RedisAI's order (RedisAI's tests split INFO
    MODULES on '#' and take them by position). Loop thread only."""
    config = server.config
    engine = get_engine(server)  # the CPU queue exists from the start, as in RedisAI
    backends = loaded_backends()
    backends_info: list[tuple[str, str]] = []
    for name, label in _BACKEND_INFO_NAMES:
        backend = backends.get(name)
        if backend is not None:
            version = backend.version() if name == "TF" else "NA"
            backends_info.append((f"ai_{label}_version", version))
    onnx = backends.get("ONNX")
    if onnx is not None:
        sessions = config["threads-per-queue"] * len(engine.queues)
        backends_info += [
            ("ai_onnxruntime_version", onnx.version()),
            ("ai_onnxruntime_memory", "0"),  # not observable through onnxruntime's Python API
            ("ai_onnxruntime_memory_access_num", "0"),
            ("ai_onnxruntime_maximum_run_sessions_number", str(sessions)),
        ]
    return [
        (
            "ai_versions",
            [
                ("ai_RedisAI_version", REDISAI_VERSION),
                ("ai_low_level_API_version", str(LLAPI_VERSION)),
                ("ai_rdb_version", str(RDB_VERSION)),
            ],
        ),
        ("ai_git", [("ai_git_sha", git_sha())]),
        (
            "ai_load_time_configs",
            [
                ("ai_threads_per_queue", str(config["threads-per-queue"])),
                ("ai_inter_op_parallelism", str(config["inter-op-parallelism"])),
                ("ai_intra_op_parallelism", str(config["intra-op-parallelism"])),
                ("ai_model_execution_timeout", str(config["model-execution-timeout"])),
                ("ai_backend_memory_limit", str(config["backend-memory-limit"])),
            ],
        ),
        ("ai_backends_info", backends_info),
        ("ai_cpu", _cpu_fields(engine)),
    ]


def _seconds(value: float) -> str:
    """RedisAI's `%ld.%06ld` from seconds."""
    micros = int(round(value * 1e6))
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _cpu_fields(engine: Any) -> list[tuple[str, str]]:
    self_usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        main = resource.getrusage(resource.RUSAGE_THREAD)  # INFO runs on the loop thread
        main_sys, main_user = main.ru_stime, main.ru_utime
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        main_sys, main_user = self_usage.ru_stime, self_usage.ru_utime
    fields = [
        ("ai_self_used_cpu_sys", _seconds(self_usage.ru_stime)),
        ("ai_self_used_cpu_user", _seconds(self_usage.ru_utime)),
        ("ai_children_used_cpu_sys", _seconds(children.ru_stime)),
        ("ai_children_used_cpu_user", _seconds(children.ru_utime)),
        ("ai_main_thread_used_cpu_sys", _seconds(main_sys)),
        ("ai_main_thread_used_cpu_user", _seconds(main_user)),
    ]
    for name, queue in engine.queues.items():
        for i, thread in enumerate(queue.threads, 1):
            fields.append((f"ai_queue_{name}_bthread_n{i}_used_cpu_total", _thread_cpu(thread)))
    return fields


def _thread_cpu(thread: threading.Thread) -> str:
    ident = thread.ident
    if ident is None or not thread.is_alive():
        return "N/A"
    try:
        return _seconds(time.clock_gettime(time.pthread_getcpuclockid(ident)))
    except (AttributeError, OSError):
        return "N/A"


_git_sha: str | None = None


def git_sha() -> str:
    """The source tree's commit, read once from .git without running git ("0" if none)."""
    global _git_sha
    if _git_sha is None:
        _git_sha = _read_git_sha()
    return _git_sha


def _read_git_sha() -> str:
    root = Path(__file__).resolve().parents[3]
    git = root / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if head.startswith("ref: "):
            ref = head[5:]
            path = git / ref
            if path.is_file():
                return path.read_text().strip()
            packed = git / "packed-refs"
            if packed.is_file():
                for line in packed.read_text().splitlines():
                    if line.endswith(" " + ref):
                        return line.split()[0]
            return "0"
        return head
    except OSError:
        return os.environ.get("PYREDISAI_GIT_SHA", "0")
