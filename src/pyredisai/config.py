"""Every server setting in one table.

Each `Setting` has a name (Redis spelling), a kind that knows how to parse and print the
value, a default, a range or choices, whether CONFIG SET may change it at runtime, and one
line of meaning. The command line, the redis.conf-style file, CONFIG GET/SET/REWRITE and
INFO all read this table, so a setting is declared exactly once.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_MEMORY_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1024,
    "m": 1000**2,
    "mb": 1024**2,
    "g": 1000**3,
    "gb": 1024**3,
}


class ConfigError(ValueError):
    """A value that does not parse or is out of range; the text is Redis's reason."""


def parse_bool(text: str) -> bool:
    low = text.lower()
    if low == "yes":
        return True
    if low == "no":
        return False
    raise ConfigError("argument must be 'yes' or 'no'")


def parse_memory(text: str) -> int:
    m = re.fullmatch(r"(-?\d+)([a-zA-Z]*)", text.strip())
    if not m or m.group(2).lower() not in _MEMORY_UNITS:
        raise ConfigError("argument must be a memory value")
    return int(m.group(1)) * _MEMORY_UNITS[m.group(2).lower()]


def parse_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConfigError("argument couldn't be parsed into an integer") from None


def parse_save(text: str) -> list[tuple[int, int]]:
    parts = text.split()
    if len(parts) % 2:
        raise ConfigError("Invalid save parameters")
    points = []
    for i in range(0, len(parts), 2):
        try:
            seconds, changes = int(parts[i]), int(parts[i + 1])
        except ValueError:
            raise ConfigError("Invalid save parameters") from None
        if seconds < 1 or changes < 0:
            raise ConfigError("Invalid save parameters")
        points.append((seconds, changes))
    return points


def format_save(points: list[tuple[int, int]]) -> str:
    return " ".join(f"{s} {c}" for s, c in points)


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str  # int | memory | bool | str | enum | save | list
    default: Any
    doc: str
    runtime: bool = True
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    validate: Callable[[Any], None] | None = field(default=None, compare=False)

    def parse(self, text: str) -> Any:
        if self.kind == "int":
            value: Any = parse_int(text)
        elif self.kind == "memory":
            value = parse_memory(text)
        elif self.kind == "bool":
            value = parse_bool(text)
        elif self.kind == "enum":
            low = text.lower()
            if low not in self.choices:
                raise ConfigError("argument(s) must be one of the following: " + ", ".join(self.choices))
            value = low
        elif self.kind == "save":
            value = parse_save(text)
        elif self.kind == "list":
            value = text.split()
        else:
            value = text
        if self.kind in ("int", "memory"):
            if self.minimum is not None and value < self.minimum:
                raise ConfigError(f"argument must be between {self.minimum} and {self.maximum} inclusive")
            if self.maximum is not None and value > self.maximum:
                raise ConfigError(f"argument must be between {self.minimum} and {self.maximum} inclusive")
        if self.validate is not None:
            self.validate(value)
        return value

    def format(self, value: Any) -> str:
        if self.kind == "bool":
            return "yes" if value else "no"
        if self.kind == "save":
            return format_save(value)
        if self.kind == "list":
            return " ".join(value)
        return str(value)


I64 = 2**63 - 1

SETTINGS: tuple[Setting, ...] = (
    # --- network -----------------------------------------------------------------------
    Setting("port", "int", 6379, "TCP port to listen on.", runtime=False, minimum=0, maximum=65535),
    Setting("bind", "list", ["127.0.0.1"], "Addresses to listen on.", runtime=False),
    Setting("unixsocket", "str", "", "Unix socket path (empty: none).", runtime=False),
    Setting("timeout", "int", 0, "Close idle clients after this many seconds (0: never).", minimum=0, maximum=2**31 - 1),
    Setting("tcp-keepalive", "int", 300, "SO_KEEPALIVE interval in seconds.", minimum=0, maximum=2**31 - 1),
    Setting("tcp-backlog", "int", 511, "listen() backlog.", runtime=False, minimum=0, maximum=2**31 - 1),
    Setting("maxclients", "int", 10000, "Most simultaneous clients.", minimum=1, maximum=2**31 - 1),
    Setting("requirepass", "str", "", "Password of the default user (empty: no AUTH needed)."),
    Setting("protected-mode", "bool", True, "Accepted for redis.conf compatibility."),
    # --- general -----------------------------------------------------------------------
    Setting("databases", "int", 16, "Number of logical databases.", runtime=False, minimum=1, maximum=2**31 - 1),
    Setting("loglevel", "enum", "notice", "Log verbosity.", choices=("debug", "verbose", "notice", "warning", "nothing")),
    Setting("logfile", "str", "", "Log file path (empty: standard output).", runtime=False),
    Setting("daemonize", "bool", False, "Accepted for redis.conf compatibility; always runs in the foreground.", runtime=False),
    Setting("pidfile", "str", "", "Write the process id here (empty: none).", runtime=False),
    Setting("hz", "int", 10, "Background tick frequency (active expiry, save points).", minimum=1, maximum=500),
    Setting("dir", "str", ".", "Working directory for snapshot and append-only files."),
    # --- protocol limits ---------------------------------------------------------------
    Setting("proto-max-bulk-len", "memory", 512 * 1024**2, "Largest bulk string a client may send.", minimum=1024**2, maximum=I64),
    Setting("client-query-buffer-limit", "memory", 1024**3, "Largest pending query buffer per client.", minimum=1024**2, maximum=I64),
    # --- persistence -------------------------------------------------------------------
    Setting("dbfilename", "str", "dump.rdb", "Snapshot file name inside dir."),
    Setting("save", "save", [(3600, 1), (300, 100), (60, 10000)], "Snapshot save points: '<seconds> <changes> ...'."),
    Setting("appendonly", "bool", False, "Log every write to the append-only file."),
    Setting("appendfilename", "str", "appendonly.aof", "Append-only file name inside dir.", runtime=False),
    Setting("appendfsync", "enum", "everysec", "When to fsync the append-only file.", choices=("always", "everysec", "no")),
    Setting("aof-load-truncated", "bool", True, "Load an append-only file whose last command is cut short."),
    Setting("stop-writes-on-bgsave-error", "bool", True, "Refuse writes after a failed background save."),
    Setting("rdbcompression", "bool", True, "Accepted for redis.conf compatibility."),
    Setting("rdbchecksum", "bool", True, "Accepted for redis.conf compatibility."),
    # --- memory ------------------------------------------------------------------------
    Setting("maxmemory", "memory", 0, "Memory limit for deny-oom commands (0: none).", minimum=0, maximum=I64),
    Setting("maxmemory-policy", "enum", "noeviction", "What happens at maxmemory.", choices=("noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu", "allkeys-random", "volatile-random", "volatile-ttl")),
    Setting("lazyfree-lazy-user-flush", "bool", False, "FLUSHALL/FLUSHDB default to ASYNC."),
    # --- monitoring --------------------------------------------------------------------
    Setting("slowlog-log-slower-than", "int", 10000, "Log commands slower than this many microseconds (-1: off).", minimum=-1, maximum=I64),
    Setting("slowlog-max-len", "int", 128, "Entries kept in the slow log.", minimum=0, maximum=2**63 - 1),
    Setting("latency-monitor-threshold", "int", 0, "Record events slower than this many milliseconds.", minimum=0, maximum=I64),
    Setting("notify-keyspace-events", "str", "", "Keyspace notification classes."),
    # --- replication -------------------------------------------------------------------
    Setting("replicaof", "str", "", "Master to replicate ('host port'; empty: none).", aliases=("slaveof",)),
    Setting("masterauth", "str", "", "Password for the master."),
    Setting("replica-read-only", "bool", True, "Refuse writes from clients on a replica.", aliases=("slave-read-only",)),
    Setting("repl-backlog-size", "memory", 1024**2, "Replication backlog size.", minimum=1, maximum=I64),
    # --- RedisAI -----------------------------------------------------------------------
    Setting("threads-per-queue", "int", 1, "Worker threads per device run queue.", runtime=False, minimum=1, maximum=64, aliases=("threads_per_queue",)),
    Setting("intra-op-parallelism", "int", 0, "Threads a backend uses inside one operation (0: backend default).", runtime=False, minimum=0, maximum=1024, aliases=("intra_op_parallelism",)),
    Setting("inter-op-parallelism", "int", 0, "Threads a backend uses across operations (0: backend default).", runtime=False, minimum=0, maximum=1024, aliases=("inter_op_parallelism",)),
    Setting("model-execution-timeout", "int", 5000, "Longest ONNX run in milliseconds before it is terminated.", runtime=False, minimum=1000, maximum=I64, aliases=("model_execution_timeout",)),
    Setting("model-chunk-size", "int", 511 * 1024 * 1024, "Largest bulk AI.MODELGET sends a blob in.", minimum=1, maximum=I64, aliases=("model_chunk_size",)),
    Setting("backend-memory-limit", "int", 0, "ONNX memory limit in MB (0: none).", runtime=False, minimum=0, maximum=I64, aliases=("backend_memory_limit",)),
    Setting("backendspath", "str", "", "Accepted for RedisAI compatibility (backends are Python packages).", aliases=("backends_path",)),
    Setting("inline-run-budget-us", "int", 200, "Models whose measured run time is below this many microseconds run on the event loop.", minimum=0, maximum=I64),
)

BY_NAME: dict[str, Setting] = {}
for _s in SETTINGS:
    BY_NAME[_s.name] = _s
    for _a in _s.aliases:
        BY_NAME[_a] = _s


class Config:
    """Current values, keyed by canonical name. Listeners hear about runtime changes."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
        self.listeners: list[Callable[[str, Any], None]] = []
        self.source_file: str | None = None

    def __getitem__(self, name: str) -> Any:
        return self.values[BY_NAME[name].name]

    def set_text(self, name: str, text: str, *, startup: bool = False) -> None:
        setting = BY_NAME.get(name.lower())
        if setting is None:
            raise ConfigError(f"Unknown option or number of arguments for CONFIG SET - '{name}'")
        if not startup and not setting.runtime:
            raise ConfigError("can't set immutable config")
        value = setting.parse(text)
        self.values[setting.name] = value
        if not startup:
            for listener in self.listeners:
                listener(setting.name, value)

    def get_matching(self, pattern: str) -> dict[str, str]:
        pat = pattern.lower()
        found: dict[str, str] = {}
        for name, setting in BY_NAME.items():
            if fnmatch.fnmatchcase(name, pat):
                found[name] = setting.format(self.values[setting.name])
        return found

    def format(self, name: str) -> str:
        setting = BY_NAME[name]
        return setting.format(self.values[setting.name])

    # -- config files -------------------------------------------------------------------
    def load_file(self, path: str) -> None:
        self.source_file = path
        with open(path, encoding="utf-8") as fh:
            for lineno, raw in enumerate(fh, 1):
                line = raw.strip()
                if not line or line.startswith("#"):
                    continue
                words = split_config_line(line)
                name, args = words[0], words[1:]
                self.apply(name, args, where=f"{path}:{lineno}")

    def apply(self, name: str, args: list[str], where: str = "command line") -> None:
        """Apply one directive from a file or the command line (save may repeat)."""
        key = name.lower()
        if key not in BY_NAME:
            raise ConfigError(f"Bad directive or wrong number of arguments ({where}): {name}")
        setting = BY_NAME[key]
        text = " ".join(args)
        if setting.kind == "save" and args and args != [""]:
            if getattr(self, "_save_from_file", False):
                points = self.values["save"] + parse_save(text)
                self.values["save"] = points
                return
            self._save_from_file = True
        try:
            self.set_text(key, text, startup=True)
        except ConfigError as exc:
            raise ConfigError(f"{exc} ({where}: {name} {text})") from None

    def rewrite(self) -> None:
        """CONFIG REWRITE: write every non-default setting back to the config file."""
        if not self.source_file:
            raise ConfigError("The server is running without a config file")
        lines = []
        for s in SETTINGS:
            value = self.values[s.name]
            if value != s.default:
                text = s.format(value)
                lines.append(f"{s.name} {quote_config(text) if text else chr(34) * 2}")
        with open(self.source_file, "w", encoding="utf-8") as fh:
            fh.write("# Generated by CONFIG REWRITE\n" + "\n".join(lines) + "\n")


def quote_config(text: str) -> str:
    if re.fullmatch(r"[\w.:/,*-]+", text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def split_config_line(line: str) -> list[str]:
    from .protocol.reader import split_inline

    words = split_inline(line.encode())
    if words is None:
        raise ConfigError(f"Unbalanced quotes in configuration line: {line}")
    return [w.decode() for w in words]
