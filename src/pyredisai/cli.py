"""`pyredisai-server [/path/to/redis.conf] [--option value ...]`, exactly like redis-server.

The config file (or `-` for standard input) is read first; then each `--name v1 v2`
option becomes the config line `name "v1" "v2"` appended after it, so options override
the file and `save` lines accumulate across both (Redis's loadServerConfigFromString). A
bad line stops the start with Redis's FATAL CONFIG FILE ERROR text and exit code 1.
Nothing here imports a model framework: the server starts in well under a second.
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys

from . import REDIS_VERSION, __version__
from .config import Config, ConfigError, ConfigFileError, options_to_config

USAGE = """Usage: pyredisai-server [/path/to/redis.conf] [options] [-]
       pyredisai-server - (read config from stdin)
       pyredisai-server -v or --version
       pyredisai-server -h or --help

Examples:
       pyredisai-server (run the server with default conf)
       echo 'maxmemory 128mb' | pyredisai-server -
       pyredisai-server /etc/redis/6379.conf
       pyredisai-server --port 7777
       pyredisai-server --port 7777 --replicaof 127.0.0.1 8888
       pyredisai-server /etc/myredis.conf --loglevel verbose -
       pyredisai-server --port 7000 --threads-per-queue 2 --model-execution-timeout 10000

Every redis.conf directive is accepted; RedisAI's load-time options are settings too
(--threads-per-queue, --inter-op-parallelism, --intra-op-parallelism,
--model-execution-timeout, --backend-memory-limit, --model-chunk-size), and a
`loadmodule /path/redisai.so THREADS_PER_QUEUE 4 ...` line is honoured.
"""


def version_text() -> str:
    bits = 64 if sys.maxsize > 2**32 else 32
    return (
        f"pyredisai server v={__version__} redis_version={REDIS_VERSION} "
        f"python={platform.python_version()} bits={bits}"
    )


def fatal_config_error(exc: ConfigFileError) -> str:
    return (
        f"\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n"
        f"Reading the configuration file, at line {exc.lineno}\n"
        f">>> '{exc.line}'\n"
        f"{exc.reason}\n"
    )


def parse_args(argv: list[str], stdin_text: str | None = None) -> Config:
    """Build the Config from redis-server style arguments (raises ConfigFileError/OSError)."""
    config = Config()
    args = list(argv)
    text = ""
    if args and args[0] != "-" and not args[0].startswith("--"):
        path = args.pop(0)
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        config.source_file = os.path.abspath(path)
    read_stdin = False
    if args and args[-1] == "-":
        args.pop()
        read_stdin = True
    if args and args[0] == "-":
        args.pop(0)
        read_stdin = True
    if read_stdin:
        text += "\n" + (stdin_text if stdin_text is not None else sys.stdin.read())
    try:
        text += options_to_config(args)
    except ConfigError as exc:
        raise ConfigFileError(0, " ".join(args), str(exc)) from None
    config.load_string(text)
    return config


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 1 and argv[0] in ("-v", "--version"):
        print(version_text())
        return 0
    if len(argv) == 1 and argv[0] in ("-h", "--help"):
        try:
            print(USAGE)
        except BrokenPipeError:  # `pyredisai-server --help | head`
            pass
        return 0
    try:
        config = parse_args(argv)
    except ConfigFileError as exc:
        sys.stderr.write(fatal_config_error(exc))
        return 1
    except OSError as exc:
        sys.stderr.write(
            f"Fatal error, can't open config file '{os.path.abspath(str(exc.filename))}': "
            f"{exc.strerror}\n"
        )
        return 1
    use_hiredis = os.environ.get("PYREDISAI_PURE_PARSER", "") not in ("1", "yes", "true")
    return run(config, use_hiredis=use_hiredis)


# glibc malloc: blocks of 32 MB and more are mmapped, and up to 64 MB free at the heap's
# top stays mapped. Its defaults (a threshold that moves with the last freed block, a
# trim at twice that) hand a 1 MB request buffer's pages back to the kernel and fault
# fresh zeroed ones in for the next: measured 1 MB SET server CPU -25%. jemalloc, which
# Redis uses, keeps freed pages the same way.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MALLOC_TUNING = ((_M_MMAP_THRESHOLD, 32 << 20), (_M_TRIM_THRESHOLD, 64 << 20))


def tune_malloc() -> bool:
    """Apply MALLOC_TUNING where the C library is glibc; MALLOC_*_ variables still win."""
    import ctypes

    if any(os.environ.get(f"MALLOC_{name}_") for name in ("MMAP_THRESHOLD", "TRIM_THRESHOLD")):
        return False
    try:
        libc = ctypes.CDLL(None)  # the process's own symbols: libc's when it is linked
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): leave the allocator be
        return False
    return all(mallopt(option, value) == 1 for option, value in MALLOC_TUNING)


def run(config: Config, use_hiredis: bool = True) -> int:
    from .server import BUILD, Server

    tune_malloc()

    directory = config["dir"]
    try:
        os.chdir(directory)
    except OSError as exc:
        sys.stderr.write(f"Can't chdir to '{directory}': {exc.strerror}\n")
        return 1
    try:
        server = Server(config, use_hiredis=use_hiredis)
    except OSError as exc:  # e.g. the log file cannot be opened
        sys.stderr.write(f"Can't open the log file: {exc.strerror}\n")
        return 1
    server.log.notice("oO0OoO0OoO0Oo pyredisai is starting oO0OoO0OoO0Oo")
    server.log.notice(
        f"pyredisai version={__version__}, build={BUILD}, redis_version={REDIS_VERSION}, "
        f"pid={os.getpid()}, just started"
    )
    server.log.notice(
        "Configuration loaded"
        if config.source_file
        else "Warning: no config file specified, using the default config."
    )
    pidfile = config["pidfile"]
    if pidfile:
        try:
            with open(pidfile, "w") as fh:
                fh.write(f"{os.getpid()}\n")
        except OSError as exc:
            server.log.warning(f"Failed to write PID file: {exc.strerror}")
    try:
        try:
            import uvloop
        except ImportError:  # pragma: no cover - uvloop is a core dependency
            asyncio.run(server.serve_forever())
        else:
            uvloop.run(server.serve_forever())
    except OSError as exc:
        server.log.warning(f"Warning: {exc.strerror or exc}")
        server.log.warning(f"Failed listening on port {config['port']} (tcp), aborting.")
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        if pidfile:
            try:
                os.unlink(pidfile)
            except OSError:
                pass
    return server.exit_code
