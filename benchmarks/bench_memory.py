"""Memory per key: `DEBUG POPULATE <N> key 16` on pyredisai and a real redis-server.

Each run starts a fresh server of each kind (so freed memory from an earlier run cannot
hide growth), reads INFO memory, fills it with N small string keys (`key:<i>` -> 16-byte
value, the same dataset on both: both implement DEBUG POPULATE alike), waits for the
numbers to settle and reads INFO memory again. Reported per key: the growth of
used_memory_rss (the fair comparison: what the OS gives the process) and of used_memory
(redis: the allocator's count; pyredisai reports its RSS there too), the process's VmRSS
from /proc as a cross-check, and the ratio pyredisai/redis against the goal (<= 3x).

    python -m benchmarks memory [--keys 1000000] [--runs 3]

Medians of 3 runs by default (about 10 s a run for 1M keys on a 2-core machine; the
numbers barely move between runs, since the allocation pattern is deterministic). A JSON
result lands in benchmarks/results/.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from . import report
from .common import RespClient, ServerProc, host_info, median

KINDS = ("redis", "pyredisai")
EXTRA = ["--enable-debug-command", "yes"]  # redis 7 refuses DEBUG without it
GOAL_RATIO = 3.0
SETTLE_S = 0.5  # redis refreshes used_memory_rss from its cron (every 100 ms)
FIELDS = ("rss_per_key", "used_per_key", "vmrss_per_key", "populate_s")


def vmrss(pid: int) -> int:
    """VmRSS of `pid` in bytes, from /proc (independent of what INFO says)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def memory_info(client: RespClient) -> dict[str, int]:
    text = client.call("INFO", "memory")
    fields = dict(line.split(":", 1) for line in text.decode().splitlines() if ":" in line)
    return {"used_memory": int(fields["used_memory"]), "rss": int(fields["used_memory_rss"])}


def one(kind: str, keys: int) -> dict[str, Any]:
    """Fresh server, INFO memory, DEBUG POPULATE, INFO memory again; bytes per key."""
    with ServerProc(kind, EXTRA) as server:
        client = RespClient(server.port, timeout=600)
        try:
            time.sleep(SETTLE_S)
            before = memory_info(client)
            vm0 = vmrss(server.pid)
            t0 = time.monotonic()
            client.call("DEBUG", "POPULATE", keys, "key", 16)
            populate_s = time.monotonic() - t0
            size = client.call("DBSIZE")
            if size != keys:
                raise RuntimeError(f"{kind}: DBSIZE {size} after DEBUG POPULATE {keys}")
            sample = client.call("GET", "key:0")
            if sample != b"value:0".ljust(16, b"\x00"):
                raise RuntimeError(f"{kind}: unexpected value {sample!r}")
            time.sleep(SETTLE_S)
            after = memory_info(client)
            vm1 = vmrss(server.pid)
        finally:
            client.close()
    return {
        "before": before,
        "after": after,
        "rss_per_key": (after["rss"] - before["rss"]) / keys,
        "used_per_key": (after["used_memory"] - before["used_memory"]) / keys,
        "vmrss_per_key": (vm1 - vm0) / keys,
        "populate_s": populate_s,
    }


def run(keys: int = 1_000_000, runs: int = 1) -> dict[str, Any]:
    """Alternate the servers `runs` times; medians, ratios and the goal check."""
    raw: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
    for rep in range(runs):
        for kind in KINDS:
            r = one(kind, keys)
            raw[kind].append(r)
            print(
                f"run{rep + 1} {kind:<9} rss {r['rss_per_key']:7.1f} B/key  "
                f"used_memory {r['used_per_key']:7.1f} B/key  "
                f"VmRSS {r['vmrss_per_key']:7.1f} B/key  populate {r['populate_s']:.2f} s",
                flush=True,
            )
    medians = {k: {f: median([r[f] for r in rs]) for f in FIELDS} for k, rs in raw.items()}
    ratios = {
        f: medians["pyredisai"][f] / medians["redis"][f] if medians["redis"][f] else float("nan")
        for f in FIELDS
    }
    return {
        "host": host_info(),
        "keys": keys,
        "runs": runs,
        "medians": medians,
        "ratios": ratios,
        "goal": {
            "target": f"<= {GOAL_RATIO}",
            "ratio": ratios["rss_per_key"],
            "met": ratios["rss_per_key"] <= GOAL_RATIO,
        },
        "raw": raw,
    }


def markdown(result: dict[str, Any]) -> str:
    med, ratio = result["medians"], result["ratios"]
    lines = [
        f"**Memory per key** (DEBUG POPULATE {result['keys']:,} key 16, fresh server per run,"
        f" median of {result['runs']} run{'s' if result['runs'] != 1 else ''})",
        "",
        "| | redis | pyredisai | ratio |",
        "|---|---:|---:|---:|",
    ]
    for field, label in (
        ("rss_per_key", "used_memory_rss B/key"),
        ("used_per_key", "used_memory B/key"),
        ("vmrss_per_key", "/proc VmRSS B/key"),
        ("populate_s", "DEBUG POPULATE s"),
    ):
        lines.append(
            f"| {label} | {med['redis'][field]:,.1f} | {med['pyredisai'][field]:,.1f} |"
            f" {ratio[field]:.2f}x |"
        )
    goal = result["goal"]
    lines += [
        "",
        "| goal | ratio | target | met |",
        "|---|---:|---|---|",
        f"| memory per small key (RSS) | {goal['ratio']:.2f}x | {goal['target']} |"
        f" {'yes' if goal['met'] else '**no**'} |",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    if args.keys <= 0 or args.runs <= 0:
        ap.error("--keys and --runs must be positive")
    result = run(args.keys, args.runs)
    print()
    print(markdown(result))
    path = report.save("bench_memory", result)
    print(f"\nresult: {path}")
    return result


if __name__ == "__main__":
    main()
