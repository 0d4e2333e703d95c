"""Tables and history: markdown for the terminal/README, JSON under benchmarks/results/.

Every workload module returns a plain dict; this module turns each into a markdown table
(medians, the ratio pyredisai/redis or pyredisai/in-process, goal met or not) and writes
it, with the raw runs, to benchmarks/results/<name>-<UTC time>.json (git-ignored), so
runs can be compared over time.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from statistics import median
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
RESP_ORDER = ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "LPUSH", "HSET", "MSET"]


def save(name: str, payload: dict[str, Any]) -> Path:
    """benchmarks/results/<name>-<UTC time>.json; returns the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    path.write_text(json.dumps(payload, indent=1, sort_keys=True, default=str))
    return path


def latest(name: str, since: float = 0.0) -> dict[str, Any] | None:
    """The newest results/<name>-*.json written after `since` (epoch seconds), parsed."""
    if not RESULTS_DIR.is_dir():
        return None
    files = sorted(
        (p for p in RESULTS_DIR.glob(f"{name}-*.json") if p.stat().st_mtime >= since),
        key=lambda p: p.stat().st_mtime,
    )
    if not files:
        return None
    data: dict[str, Any] = json.loads(files[-1].read_text())
    data["_file"] = str(files[-1])
    return data


def _num(value: float, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def _ok(met: bool) -> str:
    return "yes" if met else "**no**"


def resp_markdown(result: dict[str, Any]) -> str:
    """One table per scenario: req/s, p50, CPU/request for both servers, and the ratios."""
    lines: list[str] = []
    for scen, tests in result["medians"].items():
        lines += [
            f"**{scen}** (redis-benchmark -c {result.get('clients', 50)}"
            + (", -P 16" if scen == "P16" else "")
            + (", -d 1048576" if scen == "1MB" else "")
            + f", medians of {result['runs'][scen]} runs; ratios: median of the per-run ratios)",
            "",
            "| test | redis req/s | pyredisai req/s | ratio | redis p50 ms | pyredisai p50 ms"
            " | ratio | redis CPU µs/req | pyredisai CPU µs/req | ratio"
            " | user µs/req redis / pyredisai | sys µs/req redis / pyredisai |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for test in [t for t in RESP_ORDER if t in tests]:
            med = tests[test]
            r, p = med.get("redis"), med.get("pyredisai")
            if r is None or p is None:
                continue
            ratio = result["ratios"][scen][test]
            lines.append(
                f"| {test} | {_num(r['rps'], 0)} | {_num(p['rps'], 0)} | {_num(ratio['rps'])}x"
                f" | {_num(r['p50_ms'], 3)} | {_num(p['p50_ms'], 3)} | {_num(ratio['p50_ms'])}x"
                f" | {_num(r['cpu_us'])} | {_num(p['cpu_us'])} | {_num(ratio['cpu_us'])}x"
                f" | {_num(r['user_us'])} / {_num(p['user_us'])}"
                f" | {_num(r['sys_us'])} / {_num(p['sys_us'])} |"
            )
        lines.append("")
    worst = max(
        (
            m["foreign_cores"]
            for tests in result["medians"].values()
            for med in tests.values()
            for m in med.values()
        ),
        default=0.0,
    )
    lines.append(f"Largest median foreign load during a measurement: {worst:.2f} cores.")
    speeds = [
        (m.get("speed", 1.0), label)
        for tests in result["medians"].values()
        for med in tests.values()
        for label, m in med.items()
    ]
    if speeds:
        slowest = min(speed for speed, _ in speeds)
        by_server = {
            label: median([speed for speed, owner in speeds if owner == label])
            for label in sorted({owner for _, owner in speeds})
        }
        lines.append(
            f"Machine speed before each measurement (a fixed interpreter workload on the "
            f"server's CPU; 1.00 = the run's fastest): "
            f"slowest median {slowest:.2f}; median "
            + ", ".join(f"{label} {value:.2f}" for label, value in by_server.items())
            + (" (slow periods: read the ratios with care)." if slowest < 0.85 else ".")
        )
    lines.append("")
    lines += floor_markdown(result)
    lines += goals_markdown(result.get("goals", []))
    return "\n".join(lines)


def floor_markdown(result: dict[str, Any]) -> list[str]:
    """With `resp --floor`: the bare Python server against Redis, and pyredisai against it."""
    lines: list[str] = []
    for scen, tests in result.get("floor_ratios", {}).items():
        lines += [
            f"**{scen}, the floor** (benchmarks/floor_server.py: uvloop + hiredis, no framework)",
            "",
            "| test | floor req/s | floor / redis req/s | pyredisai / floor req/s"
            " | floor CPU µs/req (user) | floor / redis CPU | pyredisai / floor CPU |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for test in [t for t in RESP_ORDER if t in tests]:
            floor = result["medians"][scen][test]["floor"]
            vs_redis, on_floor = tests[test]["floor/redis"], tests[test]["pyredisai/floor"]
            lines.append(
                f"| {test} | {_num(floor['rps'], 0)} | {_num(vs_redis['rps'])}x"
                f" | {_num(on_floor['rps'])}x | {_num(floor['cpu_us'])} ({_num(floor['user_us'])})"
                f" | {_num(vs_redis['cpu_us'])}x | {_num(on_floor['cpu_us'])}x |"
            )
        lines.append("")
    return lines


def goals_markdown(goals: list[dict[str, Any]]) -> list[str]:
    """Goals grouped by label: the worst ratio of the tests it covers decides."""
    if not goals:
        return []
    lines = ["| goal | tests | worst ratio | target | met |", "|---|---|---:|---|---|"]
    grouped: dict[str, list[dict[str, Any]]] = {}
    for g in goals:
        grouped.setdefault(g["goal"], []).append(g)
    for label, rows in grouped.items():
        higher_is_better = rows[0]["target"].startswith(">=")
        worst = (
            min(rows, key=lambda g: g["ratio"])
            if higher_is_better
            else max(rows, key=lambda g: g["ratio"])
        )
        failed = [g["test"] for g in rows if not g["met"]]
        tests = ", ".join(g["test"] for g in rows)
        met = _ok(not failed) + (f" (missed: {', '.join(failed)})" if failed else "")
        lines.append(
            f"| {label} | {tests} | {_num(worst['ratio'])}x ({worst['test']}) |"
            f" {worst['target']} | {met} |"
        )
    return lines
