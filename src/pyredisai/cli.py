"""`pyredisai-server [/path/to/redis.conf] [--option value ...]`, exactly like redis-server.

Options may repeat the config file's directives in `--name value...` form; everything up
to the next `--` belongs to that option, so `--save 60 1000 300 10` works as in Redis.
"""

from __future__ import annotations

import asyncio
import os
import sys

from . import __version__
from .config import Config, ConfigError

USAGE = """Usage: pyredisai-server [/path/to/redis.conf] [options]
       pyredisai-server -v or --version
       pyredisai-server -h or --help

Examples:
       pyredisai-server (run the server with default config)
       pyredisai-server /etc/redis/6379.conf
       pyredisai-server --port 7777
       pyredisai-server /etc/myredis.conf --loglevel verbose
       pyredisai-server --port 7000 --threads-per-queue 2 --model-execution-timeout 10000
"""


def parse_args(argv: list[str]) -> Config:
    config = Config()
    args = list(argv)
    if args and not args[0].startswith("--"):
        config.load_file(args.pop(0))
        config._save_from_file = False  # type: ignore[attr-defined]
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--"):
            raise ConfigError(f"Invalid argument '{arg}'")
        name = arg[2:]
        values = []
        i += 1
        while i < len(args) and not args[i].startswith("--"):
            values.append(args[i])
            i += 1
        config.apply(name, values)
    return config


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-v", "--version"):
        print(f"pyredisai server v={__version__} (Redis protocol 7.0 compatible)")
        return 0
    if argv and argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    try:
        config = parse_args(argv)
    except (ConfigError, OSError) as exc:
        print(f"\n*** FATAL CONFIG FILE ERROR (pyredisai {__version__}) ***\n{exc}", file=sys.stderr)
        return 1
    use_hiredis = os.environ.get("PYREDISAI_PURE_PARSER", "") not in ("1", "yes", "true")
    return run(config, use_hiredis=use_hiredis)


def run(config: Config, use_hiredis: bool = True) -> int:
    from .server import Server

    directory = config["dir"]
    try:
        os.chdir(directory)
    except OSError as exc:
        print(f"Can't chdir to '{directory}': {exc}", file=sys.stderr)
        return 1
    if config["pidfile"]:
        with open(config["pidfile"], "w") as fh:
            fh.write(f"{os.getpid()}\n")
    server = Server(config, use_hiredis=use_hiredis)
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover - uvloop is a core dependency
        runner = asyncio.run
    try:
        runner(server.serve_forever())
    except OSError as exc:
        server.log.warning(f"Could not create server TCP listening socket: {exc}")
        return 1
    except KeyboardInterrupt:
        pass
    return server.exit_code if hasattr(server, "exit_code") else 0
