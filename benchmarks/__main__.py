"""One entry point for every benchmark (issue #9).

    python -m benchmarks all [--quick] [--runs N] [--budget S]
    python -m benchmarks <name> [its own arguments]     # e.g. memory --keys 100000

`all` runs resp, tensor, models, dag and memory in that order (each module's quick
windows, see `plan`), medians of 3 runs (memory: 1, it barely varies), then prints one
combined markdown summary and writes benchmarks/results/all-<UTC time>.json. On a quiet
2-core machine that takes about 9 minutes; when an early module ran long (foreign load
makes every measurement wait and repeat), later modules get fewer runs so the whole stays
near the budget (570 s) -- `--runs N` turns that off. It reports and does not judge:
missed goals still exit 0; a module that crashed makes it exit 1 (and is named).
persistence (long), hotpath (in process, no network) and backends (builds a ResNet-18
per framework, ~3 minutes) only run by name. Modules are imported after QUIET_TIMEOUT is
set (3 s unless given in the environment), so on a busy machine a measurement waits at
most that long for quiet instead of a minute.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

MODULES = {
    "resp": "bench_resp",
    "tensor": "bench_tensor",
    "models": "bench_models",
    "dag": "bench_dag",
    "memory": "bench_memory",
    "persistence": "bench_persistence",
    "hotpath": "bench_hotpath",
    "backends": "bench_backends",
}
ALL_ORDER = ["resp", "tensor", "models", "dag", "memory"]
ALL_QUIET_TIMEOUT = "3"  # seconds a measurement waits for quiet inside `all`
QUIET_CORES = 0.10  # foreign load below this counts as a quiet machine
BUDGET_S = 570.0  # `all` aims to end within this (the issue asks for under 10 minutes)
# (fixed s, s per run) of each module as `all` runs it, timed on the 2-core dev machine
# while quiet; used to cut later modules' runs when an earlier one ran long.
ESTIMATE_S = {
    "resp": (0.0, 80.0),
    "tensor": (5.0, 57.0),
    "models": (30.0, 24.0),
    "dag": (5.0, 20.0),
    "memory": (1.0, 7.0),
}


def plan(name: str, runs: int, quick: bool) -> list[str]:
    """Arguments for one module inside `all` (each module's own CLI)."""
    n = ["--runs", str(runs)]
    if name == "resp":  # fewer requests per test (-P16 200k, 1 MB 400; -P1 keeps 100k)
        # -P 1 two runs more (bench_resp.P1_RUNS says why), unless asked for fewer than 3
        return [*n, "--quick", "--runs-p1", str(runs + 2 if runs >= 3 else runs)]
    if name in ("tensor", "models"):  # 1 s windows instead of 2 s
        return [*n, "--quick", "--wait-timeout", os.environ["QUIET_TIMEOUT"]]
    if name == "dag":
        wait = ["--wait-timeout", os.environ["QUIET_TIMEOUT"]]
        return [*wait, "--quick"] if quick else [*n, *wait, "--duration", "1", "--warmup", "0.3"]
    if name == "memory":  # about 7 s a run for 1M keys: one run unless asked for more
        return ["--runs", str(runs)] + (["--keys", "200000"] if quick else [])
    raise ValueError(name)


def default_runs(name: str, quick: bool) -> int:
    return 1 if quick or name == "memory" else 3


def fit_runs(name: str, wanted: int, left_s: float) -> int:
    """Runs of `name` that fit in `left_s`, keeping one run's time for each later module
    (at least 1, at most `wanted`): a slow start on a busy machine costs later modules
    runs, not the 10-minute bound (which one module alone can still overrun)."""
    later = ALL_ORDER[ALL_ORDER.index(name) + 1 :]
    left_s -= sum(ESTIMATE_S[m][0] + ESTIMATE_S[m][1] for m in later)
    fixed, per_run = ESTIMATE_S[name]
    return max(1, min(wanted, int((left_s - fixed) // per_run)))


def load(name: str) -> Any:
    return importlib.import_module(f".{MODULES[name]}", __package__)


# -- quiet check at the start ------------------------------------------------------------------


def _proc_ticks() -> dict[int, tuple[str, int]]:
    out: dict[int, tuple[str, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                text = f.read()
        except OSError:
            continue
        head, _, rest = text.rpartition(")")
        fields = rest.split()
        out[int(entry)] = (head.split("(", 1)[-1], int(fields[11]) + int(fields[12]))
    return out


def machine_load(seconds: float = 2.0) -> dict[str, Any]:
    """Busy cores over `seconds` (whole machine) and the busiest processes meanwhile."""
    from .quiet import CLK_TCK, busy_seconds

    p0, b0, t0 = _proc_ticks(), busy_seconds(False), time.monotonic()
    time.sleep(seconds)
    p1, b1, t1 = _proc_ticks(), busy_seconds(False), time.monotonic()
    wall = t1 - t0
    busy = [
        (name, (ticks - p0[pid][1]) / CLK_TCK / wall, pid)
        for pid, (name, ticks) in p1.items()
        if pid in p0 and pid != os.getpid()
    ]
    busy.sort(key=lambda x: -x[1])
    return {
        "busy_cores": round((b1 - b0) / wall, 3),
        "loadavg": os.getloadavg(),
        "top": [{"name": n, "pid": p, "cores": round(c, 2)} for n, c, p in busy[:3] if c > 0.01],
    }


def quiet_line(load_info: dict[str, Any]) -> str:
    busy = load_info["busy_cores"]
    la = ", ".join(f"{x:.2f}" for x in load_info["loadavg"])
    if busy < QUIET_CORES:
        return f"machine quiet: yes ({busy:.2f} cores busy over 2 s; load average {la})"
    top = ", ".join(f"{t['name']} (pid {t['pid']}) {t['cores']:.2f}" for t in load_info["top"])
    return (
        f"machine quiet: NO ({busy:.2f} cores busy over 2 s; load average {la}; busiest: "
        f"{top or 'n/a'}). Measurements wait up to {os.environ.get('QUIET_TIMEOUT')} s each "
        "for quiet, then run anyway and carry their foreign load: expect noisier numbers."
    )


# -- summaries, as each module prints them -------------------------------------------------------


def _captured(fn: Callable[[], None]) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fn()
    return "```\n" + buf.getvalue().strip("\n") + "\n```"


def dag_table(result: dict[str, Any]) -> str:
    """bench_dag's console table, rebuilt from its returned dict."""
    lines = [
        f"in-process floor (model + script, no server): "
        f"{result['in_process']['us_per_flow']:.1f} us/flow",
        f"{'server':8} {'case':16} {'flows/s':>9} {'p50 us':>8} {'p99 us':>8} "
        f"{'srv us/flow':>11} {'vs dag':>7}",
    ]
    for name, cases in result["results"].items():
        for case, row in cases.items():
            dag = cases[f"dag c={case.split('c=')[1]}"]["flows_per_s"]
            lines.append(
                f"{name:8} {case:16} {row['flows_per_s']:9.0f} {row['p50_us']:8.0f} "
                f"{row['p99_us']:8.0f} {row['server_cpu_us_per_flow']:11.1f} "
                f"{row['flows_per_s'] / dag:6.2f}x"
            )
    return "```\n" + "\n".join(lines) + "\n```"


def summary(name: str, result: dict[str, Any]) -> str:
    mod = load(name)
    if name == "resp":
        from . import report

        return str(report.resp_markdown(result))
    if name == "tensor":
        return _captured(lambda: mod.print_table(result))
    if name == "models":
        return str(result.get("markdown", ""))
    if name == "dag":
        return dag_table(result)
    return str(mod.markdown(result))  # memory, persistence


# -- commands ------------------------------------------------------------------------------------


def run_all(runs: int | None, quick: bool, budget_s: float = BUDGET_S) -> int:
    """Every module of ALL_ORDER; `runs` None means the planned runs within `budget_s`."""
    os.environ.setdefault("QUIET_TIMEOUT", ALL_QUIET_TIMEOUT)
    from . import report
    from .common import host_info

    started = time.time()
    load_info = machine_load()
    quiet = quiet_line(load_info)
    print(quiet, flush=True)
    modules: dict[str, dict[str, Any]] = {}
    for name in ALL_ORDER:
        n = runs
        if n is None:
            wanted = default_runs(name, quick)
            n = fit_runs(name, wanted, budget_s - (time.time() - started))
            if n < wanted:
                print(f"\n(time budget: {name} gets {n} run(s) instead of {wanted})", flush=True)
        argv = plan(name, n, quick)
        print(f"\n=== {name}: python -m benchmarks {name} {' '.join(argv)}", flush=True)
        t0 = time.monotonic()
        entry: dict[str, Any] = {"argv": argv}
        try:
            result = load(name).main(argv)
            entry.update(ok=True, result=result)
        except (Exception, SystemExit) as exc:  # report the crash, run the next module
            entry.update(ok=False, error=f"{type(exc).__name__}: {exc}")
            entry["traceback"] = traceback.format_exc()
            print(f"\n!!! {name} crashed:\n{entry['traceback']}", file=sys.stderr, flush=True)
        entry["wall_s"] = round(time.monotonic() - t0, 1)
        print(f"=== {name}: {entry['wall_s']:.0f} s", flush=True)
        modules[name] = entry
    wall = time.time() - started

    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started))
    host = host_info()
    lines = [
        "",
        "# Benchmarks: python -m benchmarks all"
        + (" --quick" if quick else "")
        + (f" --runs {runs}" if runs is not None else ""),
        "",
        f"{stamp}; {host['cpus']} CPUs ({host['cpu_model']}), Python {host['python']}, "
        f"pyredisai build {host['pyredisai_build']}, "
        f"{host['redis_server'].split(' sha=')[0]}; total {wall / 60:.1f} min.",
        quiet,
        "",
        "| module | arguments | status | wall s |",
        "|---|---|---|---:|",
    ]
    for name, entry in modules.items():
        status = "ok" if entry["ok"] else f"**crashed**: {entry['error'][:120]}"
        lines.append(f"| {name} | {' '.join(entry['argv'])} | {status} | {entry['wall_s']:.0f} |")
    for name, entry in modules.items():
        lines += ["", f"## {name}", ""]
        if not entry["ok"]:
            lines.append(f"crashed: {entry['error']}")
            continue
        try:
            lines.append(summary(name, entry["result"]))
        except Exception as exc:  # a summary that cannot render must not lose the others
            lines.append(f"(summary failed: {type(exc).__name__}: {exc})")
    print("\n".join(lines))
    payload = {
        "host": host,
        "started_utc": stamp,
        "wall_s": round(wall, 1),
        "runs": runs,
        "quick": quick,
        "machine_at_start": load_info,
        "modules": modules,
    }
    path = report.save("all", payload)
    print(f"\nresult: {path}")
    crashed = [name for name, entry in modules.items() if not entry["ok"]]
    if crashed:
        print(f"crashed: {', '.join(crashed)}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in MODULES:
        sys.argv[0] = f"python -m benchmarks {args[0]}"  # the modules' usage lines
        load(args[0]).main(args[1:])
        return 0
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"modules: {', '.join(MODULES)} (each takes its own arguments; try <name> -h)",
    )
    ap.add_argument("command", choices=["all", *MODULES], help="all, or a module name")
    ap.add_argument("--quick", action="store_true", help="1 run each, shorter windows")
    ap.add_argument(
        "--runs",
        type=int,
        help="runs of every module, no time budget (default: 3, memory 1, fewer when the "
        "budget runs short; --quick: 1)",
    )
    ap.add_argument(
        "--budget", type=float, default=BUDGET_S, help="seconds `all` aims for (default 570)"
    )
    ns = ap.parse_args(args)
    if ns.runs is not None and ns.runs <= 0:
        ap.error("--runs must be positive")
    return run_all(ns.runs, ns.quick, ns.budget)


if __name__ == "__main__":
    sys.exit(main())
