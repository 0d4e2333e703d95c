"""Every server setting in one table.

Each `Setting` has a name (Redis spelling), a kind that knows how to parse and print the
value, a default, a range or choices, whether CONFIG SET may change it at runtime, and one
line of meaning. The command line, the redis.conf-style file, CONFIG GET/SET/REWRITE and
INFO all read this table, so a setting is declared exactly once.

Besides pyredisai's own settings, the table accepts every directive of Redis 7.0's
redis.conf (most only stored, marked "accepted for compatibility"), so an existing
redis.conf loads unchanged and CONFIG GET answers what clients expect. Error texts are
Redis's (`src/config.c`), because clients and the startup FATAL message show them.
"""

from __future__ import annotations

import fnmatch
import os
import re
import tempfile
from collections.abc import Callable, Iterable
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
_INT_RE = re.compile(r"-?[0-9]+")
_MEMORY_RE = re.compile(r"(-?[0-9]+)([a-zA-Z]*)")


class ConfigError(ValueError):
    """A value that does not parse or is out of range; the text is Redis's reason."""


class UnknownSettingError(ConfigError):
    """A name that is not in the table (CONFIG SET's 'Unknown option' error)."""


def parse_bool(text: str) -> bool:
    low = text.lower()
    if low == "yes":
        return True
    if low == "no":
        return False
    raise ConfigError("argument must be 'yes' or 'no'")


def parse_memory(text: str, allow_negative: bool = False) -> int:
    """Redis memtoull: digits then an optional b/k/kb/m/mb/g/gb unit (any case)."""
    m = _MEMORY_RE.fullmatch(text)
    if not m or m.group(2).lower() not in _MEMORY_UNITS:
        raise ConfigError("argument must be a memory value")
    value = int(m.group(1))
    if value < 0 and not allow_negative:
        raise ConfigError("argument must be a memory value")
    return value * _MEMORY_UNITS[m.group(2).lower()]


def parse_int(text: str) -> int:
    """Redis string2ll: an optional '-' and digits, nothing else."""
    if not _INT_RE.fullmatch(text) or len(text) > 20:
        raise ConfigError("argument couldn't be parsed into an integer")
    return int(text)


def parse_save(text: str) -> list[tuple[int, int]]:
    parts = text.split()
    if len(parts) % 2:
        raise ConfigError("Invalid save parameters")
    points = []
    for i in range(0, len(parts), 2):
        if not (_INT_RE.fullmatch(parts[i]) and _INT_RE.fullmatch(parts[i + 1])):
            raise ConfigError("Invalid save parameters")
        seconds, changes = int(parts[i]), int(parts[i + 1])
        if seconds < 1 or changes < 0:
            raise ConfigError("Invalid save parameters")
        points.append((seconds, changes))
    return points


def format_save(points: list[tuple[int, int]]) -> str:
    return " ".join(f"{s} {c}" for s, c in points)


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str  # int | octal | memory | bool | str | enum | save | list
    default: Any
    doc: str
    runtime: bool = True
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    protected: bool = False  # CONFIG SET only where enable-protected-configs allows it
    clamp: tuple[int, int] | None = None  # accepted range, then clamped into this one
    validate: Callable[[Any], None] | None = field(default=None, compare=False)

    @property
    def multi_arg(self) -> bool:
        """Directives that take several words in a config file (save, bind...)."""
        return self.kind in ("save", "list")

    def parse(self, text: str) -> Any:
        if self.kind == "int":
            value: Any = parse_int(text)
        elif self.kind == "octal":
            if not re.fullmatch(r"[0-7]+", text):
                raise ConfigError("argument couldn't be parsed into an integer")
            value = int(text, 8)
        elif self.kind == "memory":
            value = parse_memory(text, allow_negative=(self.minimum or 0) < 0)
        elif self.kind == "bool":
            value = parse_bool(text)
        elif self.kind == "enum":
            low = text.lower()
            if low not in self.choices:
                raise ConfigError(
                    "argument(s) must be one of the following: " + ", ".join(self.choices)
                )
            value = low
        elif self.kind == "save":
            value = parse_save(text)
        elif self.kind == "list":
            value = text.split()
        elif self.kind == "notify":
            from .keyspace.notify import parse_classes

            # Kept as given: Redis stores the flag bits, and its canonical spelling
            # (CONFIG GET, see format) drops 'n' next to 'A' although the bit stays.
            value = text
            try:
                parse_classes(text)
            except ValueError:
                raise ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.") from None
        else:
            value = text
        if self.kind in ("int", "memory", "octal") and (
            (self.minimum is not None and value < self.minimum)
            or (self.maximum is not None and value > self.maximum)
        ):
            raise ConfigError(
                f"argument must be between {self.minimum} and {self.maximum} inclusive"
            )
        if self.clamp is not None:
            value = min(max(value, self.clamp[0]), self.clamp[1])
        if self.validate is not None:
            self.validate(value)
        return value

    def format(self, value: Any) -> str:
        if self.kind == "notify":
            from .keyspace.notify import classes_to_string, parse_classes

            return classes_to_string(parse_classes(value))
        if self.kind == "bool":
            return "yes" if value else "no"
        if self.kind == "save":
            return format_save(value)
        if self.kind == "list":
            return " ".join(value)
        if self.kind == "octal":
            return f"{value:o}"
        return str(value)


I64 = 2**63 - 1
I32 = 2**31 - 1
U32 = 2**32 - 1
_COMPAT = "Accepted for redis.conf compatibility."


def _compat(name: str, kind: str, default: Any, *, runtime: bool = True, **kw: Any) -> Setting:
    return Setting(name, kind, default, _COMPAT, runtime=runtime, **kw)


def _yn(name: str, default: bool, **kw: Any) -> Setting:
    return _compat(name, "bool", default, **kw)


# One line per setting, so the table reads as a table.
# fmt: off
SETTINGS: tuple[Setting, ...] = (
    # --- network -----------------------------------------------------------------------
    Setting("port", "int", 6379, "TCP port to listen on (CONFIG SET rebinds).", minimum=0, maximum=65535),
    Setting("bind", "list", ["127.0.0.1"], "Addresses to listen on (CONFIG SET rebinds)."),
    Setting("unixsocket", "str", "", "Unix socket path (empty: none).", runtime=False),
    Setting("unixsocketperm", "octal", 0, "Octal permissions of the unix socket (0: umask).", runtime=False, minimum=0, maximum=0o777),
    Setting("timeout", "int", 0, "Close idle clients after this many seconds (0: never).", minimum=0, maximum=I32),
    Setting("tcp-keepalive", "int", 300, "SO_KEEPALIVE interval in seconds.", minimum=0, maximum=I32),
    Setting("tcp-backlog", "int", 511, "listen() backlog.", runtime=False, minimum=0, maximum=I32),
    Setting("maxclients", "int", 10000, "Most simultaneous clients.", minimum=1, maximum=U32),
    Setting("requirepass", "str", "", "Password of the default user (empty: no AUTH needed)."),
    Setting("protected-mode", "bool", True, _COMPAT),
    _compat("bind-source-addr", "str", ""),
    _compat("socket-mark-id", "int", 0, runtime=False, minimum=0, maximum=U32),
    # --- general -----------------------------------------------------------------------
    Setting("databases", "int", 16, "Number of logical databases.", runtime=False, minimum=1, maximum=I32),
    Setting("loglevel", "enum", "notice", "Log verbosity.", choices=("debug", "verbose", "notice", "warning")),
    Setting("logfile", "str", "", "Log file path (empty: standard output).", runtime=False),
    Setting("daemonize", "bool", False, "Accepted for redis.conf compatibility; always runs in the foreground.", runtime=False),
    Setting("pidfile", "str", "", "Write the process id here (empty: none).", runtime=False),
    Setting("hz", "int", 10, "Background tick frequency (active expiry, save points); clamped to 1..500.", minimum=0, maximum=I32, clamp=(1, 500)),
    Setting("dir", "str", ".", "Working directory for snapshot and append-only files.", protected=True),
    Setting("enable-debug-command", "enum", "local", "Who may run DEBUG: yes, no, or local connections only.", runtime=False, choices=("no", "yes", "local")),
    Setting("enable-protected-configs", "enum", "local", "Who may CONFIG SET protected settings (dir, dbfilename).", runtime=False, choices=("no", "yes", "local")),
    _compat("enable-module-command", "enum", "no", runtime=False, choices=("no", "yes", "local")),
    _yn("always-show-logo", False, runtime=False),
    _yn("set-proc-title", True, runtime=False),
    _compat("proc-title-template", "str", "{title} {listen-addr} {server-mode}"),
    _compat("supervised", "enum", "no", runtime=False, choices=("upstart", "systemd", "auto", "no")),
    _yn("syslog-enabled", False, runtime=False),
    _compat("syslog-ident", "str", "redis", runtime=False),
    _compat("syslog-facility", "enum", "local0", runtime=False, choices=("user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7")),
    _yn("crash-log-enabled", True),
    _yn("crash-memcheck-enabled", True),
    _yn("disable-thp", True, runtime=False),
    _yn("dynamic-hz", True),
    _compat("io-threads", "int", 1, runtime=False, minimum=1, maximum=128),
    _yn("io-threads-do-reads", False, runtime=False),
    _compat("server_cpulist", "str", "", runtime=False),
    _compat("bio_cpulist", "str", "", runtime=False),
    _compat("aof_rewrite_cpulist", "str", "", runtime=False),
    _compat("bgsave_cpulist", "str", "", runtime=False),
    _compat("ignore-warnings", "str", ""),
    _compat("oom-score-adj", "enum", "no", choices=("no", "yes", "relative", "absolute")),
    _compat("oom-score-adj-values", "list", ["0", "200", "800"]),
    _compat("shutdown-timeout", "int", 10, minimum=0, maximum=I32),
    _compat("shutdown-on-sigint", "str", "default"),
    _compat("shutdown-on-sigterm", "str", "default"),
    _compat("aclfile", "str", "", runtime=False),
    _compat("acllog-max-len", "int", 128, minimum=0, maximum=I32),
    _compat("acl-pubsub-default", "enum", "resetchannels", choices=("allchannels", "resetchannels")),
    _compat("busy-reply-threshold", "int", 5000, minimum=0, maximum=I64, aliases=("lua-time-limit",)),
    _compat("tracking-table-max-keys", "int", 1000000, minimum=0, maximum=I64),
    # --- protocol limits ---------------------------------------------------------------
    Setting("proto-max-bulk-len", "memory", 512 * 1024**2, "Largest bulk string a client may send.", minimum=1024**2, maximum=I64),
    Setting("client-query-buffer-limit", "memory", 1024**3, "Largest pending query buffer per client.", minimum=1024**2, maximum=I64),
    _compat("client-output-buffer-limit", "list", ["normal", "0", "0", "0", "slave", "268435456", "67108864", "60", "pubsub", "33554432", "8388608", "60"]),
    # --- persistence -------------------------------------------------------------------
    Setting("dbfilename", "str", "dump.rdb", "Snapshot file name inside dir.", protected=True),
    Setting("save", "save", [(3600, 1), (300, 100), (60, 10000)], "Snapshot save points: '<seconds> <changes> ...'."),
    Setting("appendonly", "bool", False, "Log every write to the append-only file."),
    Setting("appendfilename", "str", "appendonly.aof", "Append-only file name inside dir.", runtime=False),
    Setting("appenddirname", "str", "appendonlydir", "Directory of the append-only files inside dir.", runtime=False),
    Setting("appendfsync", "enum", "everysec", "When to fsync the append-only file.", choices=("always", "everysec", "no")),
    Setting("aof-load-truncated", "bool", True, "Load an append-only file whose last command is cut short."),
    Setting("aof-use-rdb-preamble", "bool", True, "Start rewritten append-only files with a snapshot."),
    Setting("auto-aof-rewrite-percentage", "int", 100, "Rewrite the append-only file when it grew by this percentage.", minimum=0, maximum=I32),
    Setting("auto-aof-rewrite-min-size", "memory", 64 * 1024**2, "Smallest append-only file that is rewritten automatically.", minimum=0, maximum=I64),
    Setting("stop-writes-on-bgsave-error", "bool", True, "Refuse writes after a failed background save."),
    Setting("rdbcompression", "bool", True, _COMPAT),
    Setting("rdbchecksum", "bool", True, "Write and verify snapshot checksums.", runtime=False),
    _yn("no-appendfsync-on-rewrite", False),
    _yn("aof-rewrite-incremental-fsync", True),
    _yn("rdb-save-incremental-fsync", True),
    _yn("aof-timestamp-enabled", False),
    _yn("aof-disable-auto-gc", False),
    _yn("rdb-del-sync-files", False),
    _compat("sanitize-dump-payload", "enum", "no", choices=("no", "yes", "clients")),
    # --- memory ------------------------------------------------------------------------
    Setting("maxmemory", "memory", 0, "Memory limit for deny-oom commands (0: none).", minimum=0, maximum=I64),
    Setting("maxmemory-policy", "enum", "noeviction", "What happens at maxmemory.", choices=("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction")),
    _compat("maxmemory-samples", "int", 5, minimum=1, maximum=I32),
    _compat("maxmemory-eviction-tenacity", "int", 10, minimum=0, maximum=100),
    _compat("maxmemory-clients", "str", "0"),
    _yn("lazyfree-lazy-eviction", False),
    _yn("lazyfree-lazy-expire", False),
    _yn("lazyfree-lazy-server-del", False),
    _yn("lazyfree-lazy-user-del", False),
    _yn("lazyfree-lazy-user-flush", False),
    _compat("active-expire-effort", "int", 1, minimum=1, maximum=10),
    _yn("activerehashing", True),
    _yn("activedefrag", False),
    _compat("active-defrag-cycle-min", "int", 1, minimum=1, maximum=99),
    _compat("active-defrag-cycle-max", "int", 25, minimum=1, maximum=99),
    _compat("active-defrag-ignore-bytes", "memory", 100 * 1024**2, minimum=1, maximum=I64),
    _compat("active-defrag-max-scan-fields", "int", 1000, minimum=1, maximum=I64),
    _compat("active-defrag-threshold-lower", "int", 10, minimum=0, maximum=1000),
    _compat("active-defrag-threshold-upper", "int", 100, minimum=0, maximum=1000),
    _yn("jemalloc-bg-thread", True),
    _compat("lfu-log-factor", "int", 10, minimum=0, maximum=I32),
    _compat("lfu-decay-time", "int", 1, minimum=0, maximum=I32),
    _compat("hash-max-listpack-entries", "int", 512, minimum=0, maximum=I64, aliases=("hash-max-ziplist-entries",)),
    _compat("hash-max-listpack-value", "memory", 64, minimum=0, maximum=I64, aliases=("hash-max-ziplist-value",)),
    _compat("list-max-listpack-size", "int", -2, minimum=-5, maximum=I32, aliases=("list-max-ziplist-size",)),
    _compat("list-compress-depth", "int", 0, minimum=0, maximum=I32),
    _compat("set-max-intset-entries", "int", 512, minimum=0, maximum=I64),
    _compat("zset-max-listpack-entries", "int", 128, minimum=0, maximum=I64, aliases=("zset-max-ziplist-entries",)),
    _compat("zset-max-listpack-value", "memory", 64, minimum=0, maximum=I64, aliases=("zset-max-ziplist-value",)),
    _compat("hll-sparse-max-bytes", "memory", 3000, minimum=0, maximum=I64),
    _compat("stream-node-max-bytes", "memory", 4096, minimum=0, maximum=I64),
    _compat("stream-node-max-entries", "int", 100, minimum=0, maximum=I64),
    # --- monitoring --------------------------------------------------------------------
    Setting("slowlog-log-slower-than", "int", 10000, "Log commands slower than this many microseconds (-1: off).", minimum=-1, maximum=I64),
    Setting("slowlog-max-len", "int", 128, "Entries kept in the slow log.", minimum=0, maximum=I64),
    Setting("latency-monitor-threshold", "int", 0, "Record events slower than this many milliseconds (0: off).", minimum=0, maximum=I64),
    _yn("latency-tracking", True),
    _compat("latency-tracking-info-percentiles", "list", ["50", "99", "99.9"]),
    Setting("notify-keyspace-events", "notify", "", "Keyspace notification classes."),
    # --- replication -------------------------------------------------------------------
    Setting("replicaof", "str", "", "Master to replicate ('host port'; empty: none). Use REPLICAOF at runtime.", runtime=False, aliases=("slaveof",)),
    Setting("masterauth", "str", "", "Password for the master."),
    Setting("masteruser", "str", "", "User name for the master."),
    Setting("replica-read-only", "bool", True, "Refuse writes from clients on a replica.", aliases=("slave-read-only",)),
    Setting("replica-serve-stale-data", "bool", True, "Answer reads while the link to the master is down.", aliases=("slave-serve-stale-data",)),
    Setting("repl-backlog-size", "memory", 1024**2, "Replication backlog size.", minimum=1, maximum=I64),
    Setting("repl-backlog-ttl", "int", 3600, "Free the backlog after this many seconds without replicas.", minimum=0, maximum=I32),
    Setting("repl-timeout", "int", 60, "Replication link timeout in seconds.", minimum=1, maximum=I32),
    Setting("repl-ping-replica-period", "int", 10, "Seconds between master pings to replicas.", minimum=1, maximum=I32, aliases=("repl-ping-slave-period",)),
    Setting("repl-diskless-sync", "bool", True, "Send full syncs over the socket without a file."),
    Setting("repl-diskless-sync-delay", "int", 5, "Seconds to wait for more replicas before a diskless sync.", minimum=0, maximum=I32),
    _compat("repl-diskless-sync-max-replicas", "int", 0, minimum=0, maximum=I32),
    _compat("repl-diskless-load", "enum", "disabled", choices=("disabled", "on-empty-db", "swapdb")),
    _yn("repl-disable-tcp-nodelay", False),
    Setting("min-replicas-to-write", "int", 0, "Refuse writes with fewer good replicas than this.", minimum=0, maximum=I32, aliases=("min-slaves-to-write",)),
    Setting("min-replicas-max-lag", "int", 10, "Lag in seconds under which a replica counts as good.", minimum=0, maximum=I32, aliases=("min-slaves-max-lag",)),
    _compat("replica-announce-ip", "str", "", aliases=("slave-announce-ip",)),
    _compat("replica-announce-port", "int", 0, minimum=0, maximum=65535, aliases=("slave-announce-port",)),
    _yn("replica-announced", True),
    _yn("replica-ignore-maxmemory", True, aliases=("slave-ignore-maxmemory",)),
    _yn("replica-lazy-flush", False, aliases=("slave-lazy-flush",)),
    _compat("replica-priority", "int", 100, minimum=0, maximum=I32, aliases=("slave-priority",)),
    _yn("replica-ignore-disk-write-errors", False),
    _compat("propagation-error-behavior", "enum", "ignore", choices=("ignore", "panic", "panic-on-replicas")),
    # --- cluster and TLS (not supported; stored so redis.conf files load) --------------
    _yn("cluster-enabled", False, runtime=False),
    _compat("cluster-config-file", "str", "nodes.conf", runtime=False),
    _compat("cluster-port", "int", 0, runtime=False, minimum=0, maximum=65535),
    _compat("cluster-node-timeout", "int", 15000, minimum=0, maximum=I64),
    _compat("cluster-announce-ip", "str", ""),
    _compat("cluster-announce-hostname", "str", ""),
    _compat("cluster-announce-port", "int", 0, minimum=0, maximum=65535),
    _compat("cluster-announce-bus-port", "int", 0, minimum=0, maximum=65535),
    _compat("cluster-announce-tls-port", "int", 0, minimum=0, maximum=65535),
    _compat("cluster-migration-barrier", "int", 1, minimum=0, maximum=I32),
    _compat("cluster-replica-validity-factor", "int", 10, minimum=0, maximum=I32, aliases=("cluster-slave-validity-factor",)),
    _yn("cluster-replica-no-failover", False, aliases=("cluster-slave-no-failover",)),
    _yn("cluster-require-full-coverage", True),
    _yn("cluster-allow-reads-when-down", False),
    _yn("cluster-allow-pubsubshard-when-down", True),
    _yn("cluster-allow-replica-migration", True),
    _compat("cluster-link-sendbuf-limit", "memory", 0, minimum=0, maximum=I64),
    _compat("cluster-preferred-endpoint-type", "enum", "ip", choices=("ip", "hostname", "unknown-endpoint")),
    _compat("tls-port", "int", 0, minimum=0, maximum=65535),
    *(
        _compat(name, "str", "")
        for name in (
            "tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-client-cert-file",
            "tls-client-key-file", "tls-client-key-file-pass", "tls-dh-params-file",
            "tls-ca-cert-file", "tls-ca-cert-dir", "tls-protocols", "tls-ciphers",
            "tls-ciphersuites",
        )
    ),
    _compat("tls-auth-clients", "str", "yes"),
    _yn("tls-replication", False),
    _yn("tls-cluster", False),
    _yn("tls-prefer-server-ciphers", False),
    _yn("tls-session-caching", True),
    _compat("tls-session-cache-size", "int", 20480, minimum=0, maximum=I32),
    _compat("tls-session-cache-timeout", "int", 300, minimum=0, maximum=I32),
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
# fmt: on

BY_NAME: dict[str, Setting] = {}
for _s in SETTINGS:
    BY_NAME[_s.name] = _s
    for _a in _s.aliases:
        BY_NAME[_a] = _s

# RedisAI's load-time option names (`loadmodule redisai.so THREADS_PER_QUEUE 4 ...`).
REDISAI_MODULE_OPTIONS = {
    "threads_per_queue": "threads-per-queue",
    "intra_op_parallelism": "intra-op-parallelism",
    "inter_op_parallelism": "inter-op-parallelism",
    "model_execution_timeout": "model-execution-timeout",
    "model_chunk_size": "model-chunk-size",
    "backend_memory_limit": "backend-memory-limit",
    "backendspath": "backendspath",
}
_REDISAI_BACKEND_OPTIONS = frozenset(("tf", "tflite", "torch", "onnx"))


class ConfigFileError(ConfigError):
    """A bad line in the startup configuration: Redis's FATAL CONFIG FILE ERROR parts."""

    def __init__(self, lineno: int, line: str, reason: str) -> None:
        super().__init__(reason)
        self.lineno = lineno
        self.line = line
        self.reason = reason


class Config:
    """Current values, keyed by canonical name. Listeners hear about runtime changes.

    A listener may raise ConfigError to refuse a change (e.g. a port that cannot be bound);
    CONFIG SET then restores the old values, as Redis's apply functions do."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
        self.listeners: list[Callable[[str, Any], None]] = []
        self.source_file: str | None = None
        self.modules: list[tuple[str, list[str]]] = []  # loadmodule lines (path, args)
        self._save_loaded = False

    def __getitem__(self, name: str) -> Any:
        return self.values[BY_NAME[name].name]

    @staticmethod
    def lookup(name: str) -> Setting:
        setting = BY_NAME.get(name.lower())
        if setting is None:
            raise UnknownSettingError(
                f"Unknown option or number of arguments for CONFIG SET - '{name}'"
            )
        return setting

    def set_text(self, name: str, text: str, *, startup: bool = False) -> None:
        """Set one setting from its text form; runtime changes notify the listeners."""
        setting = self.lookup(name)
        if not startup and not setting.runtime:
            raise ConfigError("can't set immutable config")
        value = setting.parse(text)
        old = self.values[setting.name]
        self.values[setting.name] = value
        if not startup:
            try:
                self._notify(setting.name, value)
            except ConfigError:
                self.values[setting.name] = old
                raise

    def set_many(self, pairs: list[tuple[str, str]]) -> None:
        """CONFIG SET's atomic multi-set: parse all, apply all, roll back on failure.

        Raises ConfigError whose `args[1]` (when present) is the name it concerns."""
        parsed: list[tuple[Setting, Any]] = []
        seen: set[str] = set()
        for name, text in pairs:
            setting = self.lookup(name)
            if setting.name in seen:
                raise ConfigError("duplicate parameter", name)
            seen.add(setting.name)
            if not setting.runtime:
                raise ConfigError("can't set immutable config", name)
            try:
                parsed.append((setting, setting.parse(text)))
            except ConfigError as exc:
                raise ConfigError(str(exc), name) from None
        old = {s.name: self.values[s.name] for s, _ in parsed}
        for setting, value in parsed:
            self.values[setting.name] = value
        done: list[str] = []
        try:
            for setting, value in parsed:
                self._notify(setting.name, value)
                done.append(setting.name)
        except ConfigError as exc:
            failed = next(name for name, _ in pairs if self.lookup(name).name not in done)
            self.values.update(old)
            for name in done:
                try:
                    self._notify(name, old[name])
                except ConfigError:
                    pass
            raise ConfigError(str(exc.args[0]), failed) from None

    def _notify(self, name: str, value: Any) -> None:
        for listener in self.listeners:
            listener(name, value)

    def get_matching(self, pattern: str) -> dict[str, str]:
        """CONFIG GET: every name (aliases included) matching the glob, case-insensitive."""
        pat = pattern.lower()
        found: dict[str, str] = {}
        if not any(c in pat for c in "*?["):
            setting = BY_NAME.get(pat)
            if setting is not None:  # an exact name is echoed as given, as in Redis
                found[pattern] = setting.format(self.values[setting.name])
            return found
        for name, setting in BY_NAME.items():
            if fnmatch.fnmatchcase(name, pat):
                found[name] = setting.format(self.values[setting.name])
        return found

    def format(self, name: str) -> str:
        setting = BY_NAME[name]
        return setting.format(self.values[setting.name])

    # -- config files -------------------------------------------------------------------
    def load_file(self, path: str) -> None:
        """Load a redis.conf-style file (errors carry the line for the FATAL message)."""
        self.source_file = os.path.abspath(path)
        with open(path, encoding="utf-8") as fh:
            self.load_string(fh.read())

    def load_string(self, text: str) -> None:
        """Apply every directive of `text`, one per line, as redis-server does at startup."""
        for lineno, raw in enumerate(text.split("\n"), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            try:
                words = split_config_line(line)
            except ConfigError as exc:
                raise ConfigFileError(lineno, line, str(exc)) from None
            if not words:
                continue
            try:
                self.apply(words[0], words[1:])
            except ConfigError as exc:
                raise ConfigFileError(lineno, line, str(exc)) from None

    def apply(self, name: str, args: list[str], where: str = "") -> None:
        """Apply one startup directive. `save` lines accumulate; the first replaces the
        defaults and `save ""` clears them (Redis's setConfigSaveOption)."""
        key = name.lower()
        if key == "include":
            if len(args) != 1:
                raise ConfigError("Bad directive or wrong number of arguments")
            with open(args[0], encoding="utf-8") as fh:
                self.load_string(fh.read())
            return
        if key == "loadmodule":
            self._load_module(args)
            return
        setting = BY_NAME.get(key)
        if setting is None:
            raise ConfigError("Bad directive or wrong number of arguments")
        if not args or (len(args) > 1 and not setting.multi_arg):
            raise ConfigError("wrong number of arguments")
        if setting.kind == "save":
            if len(args) == 1 and args[0] == "":
                self.values["save"] = []
                self._save_loaded = True
                return
            points = parse_save(" ".join(args))
            if not self._save_loaded:
                self._save_loaded = True
                self.values["save"] = []
            self.values["save"] = self.values["save"] + points
            return
        self.set_text(key, " ".join(args), startup=True)

    def _load_module(self, args: list[str]) -> None:
        """`loadmodule <path> [ARGS]`: RedisAI is built in, so only its options matter."""
        if not args:
            raise ConfigError("Bad directive or wrong number of arguments")
        path, options = args[0], args[1:]
        self.modules.append((path, options))
        i = 0
        while i < len(options):
            opt = options[i].lower()
            if i + 1 >= len(options):
                raise ConfigError(f"RedisAI option '{options[i]}' needs a value")
            if opt in REDISAI_MODULE_OPTIONS:
                self.set_text(REDISAI_MODULE_OPTIONS[opt], options[i + 1], startup=True)
            elif opt not in _REDISAI_BACKEND_OPTIONS:
                raise ConfigError(f"Unknown RedisAI option '{options[i]}'")
            i += 2

    def rewrite(self) -> None:
        """CONFIG REWRITE, Redis's way: keep the file's lines and comments, replace the
        directives whose value is known, drop their repeats, and append settings that
        differ from the default after a '# Generated by CONFIG REWRITE' line."""
        if not self.source_file:
            raise ConfigError("The server is running without a config file")
        try:
            with open(self.source_file, encoding="utf-8") as fh:
                old_lines = fh.read().split("\n")
        except FileNotFoundError:
            old_lines = []
        if old_lines and old_lines[-1] == "":
            old_lines.pop()
        written: set[str] = set()
        out: list[str] = []
        marker = "# Generated by CONFIG REWRITE"
        for raw in old_lines:
            line = raw.strip()
            if line == marker:
                continue
            if not line or line.startswith("#"):
                out.append(raw)
                continue
            try:
                words = split_config_line(line)
            except ConfigError:
                out.append(raw)
                continue
            setting = BY_NAME.get(words[0].lower()) if words else None
            if setting is None:
                out.append(raw)
                continue
            if setting.name in written:
                continue
            written.add(setting.name)
            out.extend(self._rewrite_lines(setting))
        appended = [
            line
            for s in SETTINGS
            if s.name not in written and self._differs(s)
            for line in self._rewrite_lines(s)
        ]
        if appended:
            out.append(marker)
            out.extend(appended)
        directory = os.path.dirname(self.source_file) or "."
        fd, tmp = tempfile.mkstemp(prefix=".config-rewrite-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write("\n".join(out) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.chmod(tmp, os.stat(self.source_file).st_mode & 0o777)
            except OSError:
                pass
            os.replace(tmp, self.source_file)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def _differs(self, setting: Setting) -> bool:
        if setting.name == "dir":
            return True  # Redis always records the absolute working directory
        return bool(self.values[setting.name] != setting.default)

    def _rewrite_lines(self, setting: Setting) -> list[str]:
        value = self.values[setting.name]
        if setting.name == "dir":
            return [f"dir {quote_config(os.getcwd(), always=True)}"]
        if setting.kind == "save":
            if not value:
                return ['save ""']
            return [f"save {s} {c}" for s, c in value]
        if setting.kind == "list":
            return (
                [f"{setting.name} " + " ".join(quote_config(v) for v in value)]
                if value
                else [f'{setting.name} ""']
            )
        text = setting.format(value)
        if setting.kind == "str":
            return [f"{setting.name} {quote_config(text, always=True)}"]
        return [f"{setting.name} {text}"]


def quote_config(text: str, always: bool = False) -> str:
    """Quote like Redis's sdscatrepr when needed (spaces, quotes, control bytes)."""
    if not always and text and re.fullmatch(r"[\w.:/,*@+=-]+", text):
        return text
    out = ['"']
    for ch in text:
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def split_config_line(line: str) -> list[str]:
    """Split one config line like Redis's sdssplitargs (quotes and escapes)."""
    from .protocol.reader import split_inline

    words = split_inline(line.encode())
    if words is None:
        raise ConfigError("Unbalanced quotes in configuration line")
    return [bytes(w).decode("utf-8", "surrogateescape") for w in words]


def options_to_config(argv: Iterable[str]) -> str:
    """redis-server's command-line options as config text: `--name v1 v2` becomes
    `name "v1" "v2"` on a line of its own (so errors quote it like Redis does)."""
    lines: list[str] = []
    current: list[str] | None = None
    for arg in argv:
        if arg.startswith("--") and len(arg) > 2:
            if current is not None:
                lines.append(_option_line(current))
            current = [arg[2:]]
        elif current is None:
            raise ConfigError(f"Invalid argument '{arg}'")
        else:
            current.append(arg)
    if current is not None:
        lines.append(_option_line(current))
    return "".join("\n" + line for line in lines)


def _option_line(words: list[str]) -> str:
    name, args = words[0], words[1:]
    if name.lower() == "save" and not args:
        args = [""]  # `--save` alone means no save points, as in Redis 7
    return " ".join([name, *(quote_config(a, always=True) for a in args)])
