"""INFO: the section table and the text builder (Redis 7.0's genRedisInfoString).

Sections are registered here by name, in output order. Built-in sections read the server;
other parts contribute without the INFO command knowing them:

- `extend_section("stats", provider)`: a provider returning `[(field, value), ...]`
  whose fields replace same-named built-in fields and whose new fields are appended
  (e.g. pubsub channel counts, replication state);
- `register_section(name, provider, default=...)`: a whole new core section;
- `register_module(name, ver, sections)`: a loaded module as Redis lists it (HELLO,
  MODULE LIST, `# Modules`), whose `sections` callable returns `[(section, fields)]`
  printed after `# Keyspace` for `INFO modules`, `INFO everything`, `INFO <module>` or
  `INFO <section>`, exactly as Redis prints module INFO sections.

Values are printed with `str()`, floats with two decimals (Redis's `%.2f`); pass a string
for any other format. Providers run on the loop thread only.
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import REDIS_VERSION

if TYPE_CHECKING:
    from .server import Server

InfoFields = list[tuple[str, Any]]
Provider = Callable[["Server"], InfoFields]
ModuleSections = Callable[["Server"], list[tuple[str, InfoFields]]]


@dataclass
class Section:
    name: str  # lower-case key INFO arguments match, e.g. "server"
    title: str  # header text, e.g. "Server"
    provider: Provider
    default: bool  # printed by plain INFO / INFO default
    extensions: list[Provider] = field(default_factory=list)


@dataclass
class Module:
    """A loaded module as HELLO, MODULE LIST and INFO show it."""

    name: str
    ver: int
    sections: ModuleSections | None = None
    path: str = ""
    args: list[str] = field(default_factory=list)
    options: str = ""


SECTIONS: dict[str, Section] = {}
MODULES: dict[str, Module] = {}


def register_section(
    name: str, provider: Provider, *, title: str | None = None, default: bool = True
) -> None:
    """Add (or replace) a core section; new names print after the existing ones."""
    key = name.lower()
    old = SECTIONS.get(key)
    section = Section(key, title or name.capitalize(), provider, default)
    if old is not None:
        section.extensions = old.extensions
    SECTIONS[key] = section


def extend_section(name: str, provider: Provider) -> None:
    """Merge extra fields into a section (same name: value replaced in place)."""
    SECTIONS[name.lower()].extensions.append(provider)


def register_module(
    name: str,
    ver: int,
    sections: ModuleSections | None = None,
    *,
    path: str = "",
    args: list[str] | None = None,
    options: str = "",
) -> None:
    MODULES[name] = Module(name, ver, sections, path, list(args or ()), options)


# -- rendering ------------------------------------------------------------------------------


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _fields(server: Server, section: Section) -> InfoFields:
    fields = section.provider(server)
    for extra in section.extensions:
        more = extra(server)
        if not more:
            continue
        index = {name: i for i, (name, _) in enumerate(fields)}
        for name, value in more:
            i = index.get(name)
            if i is None:
                index[name] = len(fields)
                fields.append((name, value))
            else:
                fields[i] = (name, value)
    return fields


def render(server: Server, args: list[bytes]) -> str:
    """INFO [section ...]: Redis 7's section selection, output in canonical order."""
    wanted = {a.decode("utf-8", "replace").lower() for a in args} or {"default"}
    everything = "everything" in wanted
    all_core = everything or "all" in wanted
    default = "default" in wanted
    parts: list[str] = []
    for key, section in SECTIONS.items():
        if all_core or key in wanted or (default and section.default):
            parts.append(_format(section.title, _fields(server, section)))
    all_modules = everything or "modules" in wanted
    # names no core section took may be module sections (INFO ai_versions)
    leftover = wanted - SECTIONS.keys() - {"all", "default", "everything", "modules"}
    for module in MODULES.values():
        if module.sections is None:
            continue
        whole = all_modules or module.name in wanted
        if not whole and not leftover:
            continue
        for title, fields in module.sections(server):
            if whole or title.lower() in wanted:
                parts.append(_format(title, fields))
    return "\r\n".join(parts)


def _format(title: str, fields: InfoFields) -> str:
    lines = [f"# {title}\r\n"]
    lines.extend(f"{name}:{_value(value)}\r\n" for name, value in fields)
    return "".join(lines)


# -- helpers shared with other commands ----------------------------------------------------


def human_bytes(n: float) -> str:
    """Redis's bytesToHuman: B, K, M, G... with two decimals."""
    if n < 1024:
        return f"{int(n)}B"
    for unit in "KMGTPE":
        n /= 1024
        if n < 1024 or unit == "E":
            return f"{n:.2f}{unit}"
    return f"{n:.2f}E"  # pragma: no cover


def seconds_usec(value: float) -> str:
    """`%ld.%06ld` of a duration in seconds (used_cpu_* fields)."""
    micros = int(round(value * 1e6))
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    """Resident set size from /proc/self/statm (one read, no allocator walk)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):  # pragma: no cover - not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def total_system_memory() -> int:
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * _PAGE
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 0


# -- built-in sections --------------------------------------------------------------------

_UNAME = platform.uname()
_OS = f"{_UNAME.system} {_UNAME.release} {_UNAME.machine}"
_BUILD_ID = "7079726564697361"  # "pyredisa" in hex: stable, Redis-shaped


def _server(server: Server) -> InfoFields:
    config = server.config
    now = time.time()
    uptime = int(time.monotonic() - server.started_monotonic)
    return [
        ("redis_version", REDIS_VERSION),
        ("redis_git_sha1", "00000000"),
        ("redis_git_dirty", 0),
        ("redis_build_id", _BUILD_ID),
        ("redis_mode", "standalone"),
        ("os", _OS),
        ("arch_bits", 64 if sys.maxsize > 2**32 else 32),
        ("monotonic_clock", "POSIX clock_gettime"),
        ("multiplexing_api", "epoll" if sys.platform.startswith("linux") else "kqueue"),
        ("atomicvar_api", "c11-builtin"),
        ("gcc_version", "0.0.0"),
        ("process_id", os.getpid()),
        ("process_supervised", "no"),
        ("run_id", server.run_id),
        ("tcp_port", server.port),
        ("server_time_usec", int(now * 1_000_000)),
        ("uptime_in_seconds", uptime),
        ("uptime_in_days", uptime // 86400),
        ("hz", config["hz"]),
        ("configured_hz", config["hz"]),
        ("lru_clock", int(now) & ((1 << 24) - 1)),
        ("executable", server.executable),
        ("config_file", config.source_file or ""),
        ("io_threads_active", 0),
    ]


def _clients(server: Server) -> InfoFields:
    blocking = server.extensions.get("blocking")
    blocked = blocking.blocked_clients if blocking is not None else 0
    return [
        ("connected_clients", len(server.clients)),
        ("cluster_connections", 0),
        ("maxclients", server.config["maxclients"]),
        ("client_recent_max_input_buffer", 0),
        ("client_recent_max_output_buffer", 0),
        ("blocked_clients", blocked),
        ("tracking_clients", sum(1 for c in server.clients.values() if c.tracking)),
        ("clients_in_timeout_table", blocked),
    ]


def _memory(server: Server) -> InfoFields:
    used = rss_bytes()
    server.memory_peak = peak = max(server.memory_peak, used)
    startup = server.memory_startup or used
    total = total_system_memory()
    maxmemory = server.config["maxmemory"]
    dataset = max(used - startup, 0)
    return [
        ("used_memory", used),
        ("used_memory_human", human_bytes(used)),
        ("used_memory_rss", used),
        ("used_memory_rss_human", human_bytes(used)),
        ("used_memory_peak", peak),
        ("used_memory_peak_human", human_bytes(peak)),
        ("used_memory_peak_perc", f"{100.0 * used / peak if peak else 100.0:.2f}%"),
        ("used_memory_overhead", startup),
        ("used_memory_startup", startup),
        ("used_memory_dataset", dataset),
        ("used_memory_dataset_perc", f"{100.0 * dataset / used if used else 0.0:.2f}%"),
        ("allocator_allocated", used),
        ("allocator_active", used),
        ("allocator_resident", used),
        ("total_system_memory", total),
        ("total_system_memory_human", human_bytes(total)),
        ("used_memory_lua", 0),
        ("used_memory_vm_eval", 0),
        ("used_memory_lua_human", "0B"),
        ("used_memory_scripts_eval", 0),
        ("number_of_cached_scripts", 0),
        ("number_of_functions", 0),
        ("number_of_libraries", 0),
        ("used_memory_vm_functions", 0),
        ("used_memory_vm_total", 0),
        ("used_memory_vm_total_human", "0B"),
        ("used_memory_functions", 0),
        ("used_memory_scripts", 0),
        ("used_memory_scripts_human", "0B"),
        ("maxmemory", maxmemory),
        ("maxmemory_human", human_bytes(maxmemory)),
        ("maxmemory_policy", server.config["maxmemory-policy"]),
        ("allocator_frag_ratio", 1.0),
        ("allocator_frag_bytes", 0),
        ("allocator_rss_ratio", 1.0),
        ("allocator_rss_bytes", 0),
        ("rss_overhead_ratio", 1.0),
        ("rss_overhead_bytes", 0),
        ("mem_fragmentation_ratio", 1.0),
        ("mem_fragmentation_bytes", 0),
        ("mem_not_counted_for_evict", 0),
        ("mem_replication_backlog", 0),
        ("mem_total_replication_buffers", 0),
        ("mem_clients_slaves", 0),
        ("mem_clients_normal", 0),
        ("mem_cluster_links", 0),
        ("mem_aof_buffer", 0),
        ("mem_allocator", "libc"),
        ("active_defrag_running", 0),
        ("lazyfree_pending_objects", 0),
        ("lazyfreed_objects", 0),
    ]


def _persistence(server: Server) -> InfoFields:
    persistence = server.extensions.get("persistence")
    if persistence is not None and hasattr(persistence, "info_fields"):
        return list(persistence.info_fields())
    return [
        ("loading", 1 if server.loading else 0),
        ("async_loading", 0),
        ("current_cow_peak", 0),
        ("current_cow_size", 0),
        ("current_cow_size_age", 0),
        ("current_fork_perc", "0.00"),
        ("current_save_keys_processed", 0),
        ("current_save_keys_total", 0),
        ("rdb_changes_since_last_save", server.keyspace.dirty),
        ("rdb_bgsave_in_progress", 0),
        ("rdb_last_save_time", int(server.started)),
        ("rdb_last_bgsave_status", "ok"),
        ("rdb_last_bgsave_time_sec", -1),
        ("rdb_current_bgsave_time_sec", -1),
        ("rdb_saves", 0),
        ("rdb_last_cow_size", 0),
        ("rdb_last_load_keys_expired", 0),
        ("rdb_last_load_keys_loaded", 0),
        ("aof_enabled", 1 if server.config["appendonly"] else 0),
        ("aof_rewrite_in_progress", 0),
        ("aof_rewrite_scheduled", 0),
        ("aof_last_rewrite_time_sec", -1),
        ("aof_current_rewrite_time_sec", -1),
        ("aof_last_bgrewrite_status", "ok"),
        ("aof_rewrites", 0),
        ("aof_rewrites_consecutive_failures", 0),
        ("aof_last_write_status", "ok"),
        ("aof_last_cow_size", 0),
        ("module_fork_in_progress", 0),
        ("module_fork_last_cow_size", 0),
    ]


def _stats(server: Server) -> InfoFields:
    stats = server.stats
    keyspace = server.keyspace
    in_kbps, out_kbps = server.instantaneous_kbps()
    return [
        ("total_connections_received", stats["total_connections_received"]),
        ("total_commands_processed", server.commands_processed),
        ("instantaneous_ops_per_sec", server.instantaneous_ops()),
        ("total_net_input_bytes", server.net_input_bytes),
        ("total_net_output_bytes", server.net_output_bytes),
        ("total_net_repl_input_bytes", 0),
        ("total_net_repl_output_bytes", 0),
        ("instantaneous_input_kbps", in_kbps),
        ("instantaneous_output_kbps", out_kbps),
        ("instantaneous_input_repl_kbps", 0.0),
        ("instantaneous_output_repl_kbps", 0.0),
        ("rejected_connections", stats["rejected_connections"]),
        ("sync_full", 0),
        ("sync_partial_ok", 0),
        ("sync_partial_err", 0),
        ("expired_keys", keyspace.stats_expired),
        ("expired_stale_perc", 0.0),
        ("expired_time_cap_reached_count", 0),
        ("expire_cycle_cpu_milliseconds", 0),
        ("evicted_keys", 0),
        ("evicted_clients", 0),
        ("total_eviction_exceeded_time", 0),
        ("current_eviction_exceeded_time", 0),
        ("keyspace_hits", getattr(keyspace, "stats_hits", 0)),
        ("keyspace_misses", getattr(keyspace, "stats_misses", 0)),
        ("pubsub_channels", 0),
        ("pubsub_patterns", 0),
        ("pubsubshard_channels", 0),
        ("latest_fork_usec", 0),
        ("total_forks", 0),
        ("migrate_cached_sockets", 0),
        ("slave_expires_tracked_keys", 0),
        ("active_defrag_hits", 0),
        ("active_defrag_misses", 0),
        ("active_defrag_key_hits", 0),
        ("active_defrag_key_misses", 0),
        ("total_active_defrag_time", 0),
        ("current_active_defrag_time", 0),
        ("tracking_total_keys", 0),
        ("tracking_total_items", 0),
        ("tracking_total_prefixes", 0),
        ("unexpected_error_replies", stats["unexpected_error_replies"]),
        ("total_error_replies", stats["total_error_replies"]),
        ("dump_payload_sanitizations", 0),
        ("total_reads_processed", stats.get("total_reads_processed", 0)),
        ("total_writes_processed", stats.get("total_writes_processed", 0)),
        ("io_threaded_reads_processed", 0),
        ("io_threaded_writes_processed", 0),
        ("reply_buffer_shrinks", 0),
        ("reply_buffer_expands", 0),
    ]


def _replication(server: Server) -> InfoFields:
    return [
        ("role", "master"),
        ("connected_slaves", 0),
        ("master_failover_state", "no-failover"),
        ("master_replid", server.replid),
        ("master_replid2", "0" * 40),
        ("master_repl_offset", 0),
        ("second_repl_offset", -1),
        ("repl_backlog_active", 0),
        ("repl_backlog_size", server.config["repl-backlog-size"]),
        ("repl_backlog_first_byte_offset", 0),
        ("repl_backlog_histlen", 0),
    ]


def _cpu(server: Server) -> InfoFields:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        main = resource.getrusage(resource.RUSAGE_THREAD)  # INFO runs on the loop thread
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        main = usage
    return [
        ("used_cpu_sys", seconds_usec(usage.ru_stime)),
        ("used_cpu_user", seconds_usec(usage.ru_utime)),
        ("used_cpu_sys_children", seconds_usec(children.ru_stime)),
        ("used_cpu_user_children", seconds_usec(children.ru_utime)),
        ("used_cpu_sys_main_thread", seconds_usec(main.ru_stime)),
        ("used_cpu_user_main_thread", seconds_usec(main.ru_utime)),
    ]


def _modules(server: Server) -> InfoFields:
    return [
        (
            "module",
            f"name={m.name},ver={m.ver},api=1,filters=0,usedby=[],using=[],options=[{m.options}]",
        )
        for m in MODULES.values()
    ]


def _commandstats(server: Server) -> InfoFields:
    fields: InfoFields = []
    for spec in all_specs():
        if spec.calls or spec.failed_calls or spec.rejected_calls:
            per_call = spec.usec / spec.calls if spec.calls else 0.0
            fields.append(
                (
                    f"cmdstat_{spec.name}",
                    f"calls={spec.calls},usec={spec.usec},usec_per_call={per_call:.2f},"
                    f"rejected_calls={spec.rejected_calls},failed_calls={spec.failed_calls}",
                )
            )
    return fields


def _errorstats(server: Server) -> InfoFields:
    return [(f"errorstat_{code}", f"count={n}") for code, n in server.error_stats.items()]


def _latencystats(server: Server) -> InfoFields:
    return []  # per-call latency histograms are not kept (see README: deviations)


def _cluster(server: Server) -> InfoFields:
    return [("cluster_enabled", 0)]


def _keyspace(server: Server) -> InfoFields:
    fields: InfoFields = []
    for db in server.keyspace.dbs:
        keys = len(db.data)
        if keys:
            fields.append(
                (f"db{db.id}", f"keys={keys},expires={len(db.expires)},avg_ttl={db.avg_ttl}")
            )
    return fields


def all_specs() -> list[Any]:
    """Every command spec, subcommands included (COMMAND LIST, commandstats)."""
    from .commands import COMMANDS

    out: list[Any] = []
    for spec in COMMANDS.values():
        out.append(spec)
        out.extend(spec.subcommands.values())
    return out


for _name, _provider, _default in (
    ("Server", _server, True),
    ("Clients", _clients, True),
    ("Memory", _memory, True),
    ("Persistence", _persistence, True),
    ("Stats", _stats, True),
    ("Replication", _replication, True),
    ("CPU", _cpu, True),
    ("Modules", _modules, True),
    ("Commandstats", _commandstats, False),
    ("Errorstats", _errorstats, True),
    ("Latencystats", _latencystats, False),
    ("Cluster", _cluster, True),
    ("Keyspace", _keyspace, True),
):
    register_section(_name, _provider, title=_name, default=_default)
