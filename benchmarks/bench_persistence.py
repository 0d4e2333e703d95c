"""Persistence: SAVE / load time and file size, the BGSAVE stall, SET throughput with AOF.

Everything runs side by side in one process run, pyredisai and a real redis-server on
loopback (servers pinned to CPU 0, load generators and the latency probe to CPU 1 when
taskset is available), because only ratios transfer between machines:

* small keys: DEBUG POPULATE <n> key 16 (1M keys of 16 bytes; both servers implement it
  the same way, so the datasets are identical), then 3 alternating rounds (medians
  reported) of SAVE (the round trip), the file's size, and the load at restart: the
  server's own "DB loaded from disk: X seconds" log line, and the time from process
  start until PING answers and DBSIZE matches (an empty server's start is reported
  beside it: the interpreter's start is part of pyredisai's number).
* tensors: 1 GB as 100 x 10 MB FLOAT tensors (AI.TENSORSET BLOB) on pyredisai, and the
  same bytes as 100 strings on redis-server as a reference point: SAVE, size, load.
* BGSAVE stall: a separate probe process sends PING in a tight loop on its own connection
  and records every round trip; BGSAVE is triggered from another connection and the
  longest round trip while the child runs is reported with INFO's latest_fork_usec. Run
  on the small-keys dataset of both servers and on pyredisai's 1M keys + 1 GB tensors,
  once with the tensors as loaded from the snapshot and once as set by AI.TENSORSET
  (their buffers differ: see persistence/codecs.py). Goal: under 50 ms on 1M keys.
* AOF: redis-benchmark -t set -c 50 -n 200000 against appendonly no and appendonly yes
  with appendfsync everysec, on both servers; the everysec/off ratio for each.

    python -m benchmarks.bench_persistence [--quick] [--keys N] [--tensor-mb N] [--no-aof]

--quick uses 100k keys and 100 MB of tensors. Before each measurement it waits up to
QUIET_TIMEOUT seconds (env, default 10) for an idle machine. A JSON result lands in
benchmarks/results/. The importable entry points are `run(quick) -> dict` and
`main(argv) -> dict`.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import select
import subprocess
import sys
import time
from typing import Any

from .common import (
    CLIENT_CPU,
    RespClient,
    ServerProc,
    encode_command,
    free_port,
    host_info,
    median,
    pin_prefix,
    wait_quiet,
    write_result,
)

FULL = {
    "keys": 1_000_000, "tensor_mb": 1024, "aof_requests": 200_000, "aof_runs": 2,
    "stall_trials": 3, "reps": 3,
}  # fmt: skip
QUICK = {
    "keys": 100_000, "tensor_mb": 100, "aof_requests": 50_000, "aof_runs": 1,
    "stall_trials": 2, "reps": 2,
}  # fmt: skip
TENSOR_MB_EACH = 10
STALL_GOAL_MS = 50.0
QUIET_S = float(os.environ.get("QUIET_TIMEOUT", "10"))  # max wait for an idle machine
REDIS_EXTRA = ["--enable-debug-command", "yes"]
KINDS = ("redis", "pyredisai")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- helpers -------------------------------------------------------------------------------


def _client(server: ServerProc, timeout: float = 600.0) -> RespClient:
    return RespClient(server.port, timeout=timeout)


def _info(client: RespClient, section: str) -> dict[str, str]:
    text = client.call("INFO", section)
    assert isinstance(text, bytes)
    return dict(
        line.split(":", 1) for line in text.decode().splitlines() if ":" in line
    )  # fmt: skip


def _dbsize(server: ServerProc) -> int:
    client = _client(server)
    try:
        return int(client.call("DBSIZE"))
    finally:
        client.close()


def _snapshot_path(server: ServerProc) -> str:
    return os.path.join(server.dir, "dump.rdb")


def timed_save(server: ServerProc) -> tuple[float, int]:
    """SAVE round trip (seconds) and the file's size (bytes)."""
    client = _client(server)
    try:
        started = time.perf_counter()
        reply = client.call("SAVE")
        elapsed = time.perf_counter() - started
    finally:
        client.close()
    if reply != b"OK":
        raise RuntimeError(f"{server.kind}: SAVE answered {reply!r}")
    return elapsed, os.path.getsize(_snapshot_path(server))


def timed_start(server: ServerProc, expect_keys: int, timeout: float = 300.0) -> float:
    """(Re)start `server` on its directory; seconds from spawn until PING answers PONG
    (not -LOADING) and DBSIZE == expect_keys. Polls every 2 ms."""
    server.stop()
    server.port = free_port()
    logf = open(os.path.join(server.dir, "server.log"), "ab")  # noqa: SIM115
    started = time.perf_counter()
    server.proc = subprocess.Popen(
        server.command(), stdout=logf, stderr=subprocess.STDOUT, cwd=server.dir
    )
    logf.close()
    deadline = started + timeout
    client: RespClient | None = None
    try:
        while time.perf_counter() < deadline:
            if server.proc.poll() is not None:
                raise RuntimeError(f"{server.kind} exited while loading:\n{server.log_text()}")
            try:
                if client is None:
                    client = RespClient(server.port, timeout=timeout)
                if client.call("PING") == b"PONG" and int(client.call("DBSIZE")) == expect_keys:
                    return time.perf_counter() - started
            except OSError:
                if client is not None:
                    client.close()
                client = None
            except RuntimeError:  # -LOADING
                pass
            time.sleep(0.002)
    finally:
        if client is not None:
            client.close()
    raise RuntimeError(f"{server.kind} did not load {expect_keys} keys in {timeout}s")


def populate(server: ServerProc, keys: int) -> float:
    """DEBUG POPULATE <keys> key 16 (identical data on both servers); returns seconds."""
    client = _client(server)
    try:
        started = time.perf_counter()
        reply = client.call("DEBUG", "POPULATE", keys, "key", 16)
        elapsed = time.perf_counter() - started
    finally:
        client.close()
    if reply != b"OK":
        raise RuntimeError(f"{server.kind}: DEBUG POPULATE answered {reply!r}")
    return elapsed


def store_blobs(server: ServerProc, total_mb: int, as_tensors: bool) -> int:
    """100 x 10 MB (for 1 GB) of the same random bytes, as FLOAT tensors or strings."""
    count = max(1, total_mb // TENSOR_MB_EACH)
    blob = os.urandom(TENSOR_MB_EACH << 20)
    client = _client(server)
    try:
        for i in range(count):
            key = f"blob:{i:03d}"
            if as_tensors:
                request = encode_command("AI.TENSORSET", key, "FLOAT", len(blob) // 4, "BLOB", blob)
            else:
                request = encode_command("SET", key, blob)
            client.sock.sendall(request)
            reply = client.read()
            if reply != b"OK":
                raise RuntimeError(f"{server.kind}: store answered {reply!r}")
    finally:
        client.close()
    return count


def logged_load_seconds(server: ServerProc) -> float | None:
    """The server's own "DB loaded from disk: X seconds" (both servers log this line)."""
    found = re.findall(r"DB loaded from disk: ([0-9.]+) seconds", server.log_text())
    return float(found[-1]) if found else None


def save_and_load(server: ServerProc, keys: int) -> dict[str, Any]:
    """SAVE, size, then restart and time the load (the server stays up, loaded)."""
    wait_quiet(timeout=QUIET_S)
    save_s, size = timed_save(server)
    wait_quiet(timeout=QUIET_S)
    load_s = timed_start(server, keys)
    return {
        "save_s": save_s,
        "size_bytes": size,
        "load_s": load_s,
        "load_logged_s": logged_load_seconds(server),
        "keys": keys,
    }


def _medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the repetitions, and the repetitions themselves."""
    out: dict[str, Any] = {
        name: median([r[name] for r in runs if r[name] is not None])
        for name in ("save_s", "size_bytes", "load_s", "load_logged_s")
    }
    out["keys"] = runs[0]["keys"]
    out["runs"] = runs
    return out


def empty_start(kind: str) -> float:
    """Seconds from spawn to PONG for an empty server (the fixed cost inside load_s)."""
    server = ServerProc(kind, REDIS_EXTRA if kind == "redis" else None)
    try:
        return min(timed_start(server, 0) for _ in range(3))
    finally:
        server.cleanup()


# --- BGSAVE stall ------------------------------------------------------------------------


def probe_main(port: int) -> None:
    """The latency probe (its own process): PING round trips until stdin says
    `<t0> <t1>`, then one JSON line summarising the round trips inside [t0, t1]."""
    sock_client = RespClient(port, timeout=60)
    ping = encode_command("PING")
    sock = sock_client.sock
    starts: list[float] = []
    rtts: list[float] = []
    clock = time.monotonic
    stdin = sys.stdin.fileno()
    print("ready", flush=True)
    n = 0
    while True:
        t = clock()
        sock.sendall(ping)
        data = sock.recv(64)
        while not data.endswith(b"\r\n"):
            more = sock.recv(64)
            if not more:
                raise ConnectionError("server closed the probe connection")
            data += more
        starts.append(t)
        rtts.append(clock() - t)
        n += 1
        if n % 64 == 0 and select.select([stdin], [], [], 0)[0]:
            break
    t0, t1 = (float(x) for x in sys.stdin.readline().split())
    inside = [r for s, r in zip(starts, rtts, strict=True) if s + r >= t0 and s <= t1]
    before = [r for s, r in zip(starts, rtts, strict=True) if s + r < t0]
    window = [
        i for i, (s, r) in enumerate(zip(starts, rtts, strict=True)) if s + r >= t0 and s <= t1
    ]
    worst = max(window, key=rtts.__getitem__) if window else -1
    inside.sort()
    print(
        json.dumps(
            {
                "pings_total": len(rtts),
                "pings_during": len(inside),
                "max_ms_during": inside[-1] * 1e3 if inside else None,
                "p99_ms_during": inside[int(len(inside) * 0.99)] * 1e3 if inside else None,
                "p50_ms_during": inside[len(inside) // 2] * 1e3 if inside else None,
                "max_ms_before": max(before) * 1e3 if before else None,
                "worst_at_s": starts[worst] - t0 if worst >= 0 else None,
            }
        ),
        flush=True,
    )
    sock_client.close()


STALL_FIELDS = (
    "max_ms_during", "p99_ms_during", "p50_ms_during", "max_ms_before", "bgsave_s",
    "bgsave_reply_ms", "latest_fork_usec",
)  # fmt: skip


def bgsave_stall(server: ServerProc, trials: int) -> dict[str, Any]:
    """`trials` BGSAVEs, each watched by its own probe: the median of every figure (a
    shared machine's scheduler noise lands in single trials), plus every trial."""
    runs = [_stall_once(server) for _ in range(trials)]
    out: dict[str, Any] = {
        name: median([float(r[name]) for r in runs if r[name] is not None]) for name in STALL_FIELDS
    }
    out["worst_ms_during"] = max(float(r["max_ms_during"] or 0) for r in runs)
    out["bgsave_status"] = ",".join(sorted({str(r["bgsave_status"]) for r in runs}))
    out["trials"] = runs
    return out


def _stall_once(server: ServerProc) -> dict[str, Any]:
    """Longest PING round trip of another client while one BGSAVE's child runs."""
    wait_quiet(timeout=QUIET_S)
    probe = subprocess.Popen(
        [*pin_prefix(CLIENT_CPU), sys.executable, "-m", "benchmarks.bench_persistence",
         "--probe", str(server.port)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert probe.stdin is not None and probe.stdout is not None
    control = _client(server)
    try:
        if probe.stdout.readline().strip() != "ready":
            raise RuntimeError("the latency probe did not start")
        time.sleep(1.0)  # baseline round trips
        t0 = time.monotonic()
        reply = control.call("BGSAVE")
        bgsave_reply_s = time.monotonic() - t0
        if reply != b"Background saving started":
            raise RuntimeError(f"{server.kind}: BGSAVE answered {reply!r}")
        while _info(control, "persistence").get("rdb_bgsave_in_progress") == "1":
            time.sleep(0.05)
        t1 = time.monotonic()
        persistence = _info(control, "persistence")
        stats = _info(control, "stats")
        time.sleep(0.3)
        probe.stdin.write(f"{t0} {t1}\n")
        probe.stdin.flush()
        summary: dict[str, Any] = json.loads(probe.stdout.readline())
    finally:
        control.close()
        probe.stdin.close()
        try:
            probe.wait(30)
        except subprocess.TimeoutExpired:
            probe.kill()
            probe.wait()
    summary.update(
        {
            "bgsave_s": t1 - t0,
            "bgsave_reply_ms": bgsave_reply_s * 1e3,
            "latest_fork_usec": int(stats.get("latest_fork_usec", "0")),
            "bgsave_status": persistence.get("rdb_last_bgsave_status"),
        }
    )
    return summary


# --- AOF throughput ----------------------------------------------------------------------


def redis_benchmark_set(port: int, requests: int) -> float:
    """redis-benchmark -t set -c 50 -n <requests> (pinned to the client CPU); req/s."""
    argv = [
        *pin_prefix(CLIENT_CPU), "redis-benchmark", "-h", "127.0.0.1", "-p", str(port),
        "-t", "set", "-c", "50", "-n", str(requests), "--csv",
    ]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    if not rows:
        raise RuntimeError(f"redis-benchmark gave no result: {out.stderr.strip()[:300]}")
    return float(rows[0]["rps"])


AOF_MODES = {
    "off": ["--appendonly", "no"],
    "everysec": ["--appendonly", "yes", "--appendfsync", "everysec"],
}


def aof_throughput(requests: int, runs: int) -> dict[str, Any]:
    raw: dict[str, dict[str, list[float]]] = {k: {m: [] for m in AOF_MODES} for k in KINDS}
    for _ in range(runs):
        for kind in KINDS:
            for mode, extra in AOF_MODES.items():
                with ServerProc(kind, extra) as server:
                    wait_quiet(timeout=QUIET_S)
                    raw[kind][mode].append(redis_benchmark_set(server.port, requests))
    out: dict[str, Any] = {"requests": requests, "runs": runs, "raw": raw}
    for kind in KINDS:
        off, on = median(raw[kind]["off"]), median(raw[kind]["everysec"])
        out[kind] = {"off_rps": off, "everysec_rps": on, "everysec_over_off": on / off}
    return out


# --- the run -----------------------------------------------------------------------------


def run(
    quick: bool = False,
    keys: int | None = None,
    tensor_mb: int | None = None,
    aof: bool = True,
) -> dict[str, Any]:
    """Every measurement in one run; returns the report dict (also saved as JSON)."""
    params = dict(QUICK if quick else FULL)
    if keys is not None:
        params["keys"] = keys
    if tensor_mb is not None:
        params["tensor_mb"] = tensor_mb
    n = params["keys"]
    result: dict[str, Any] = {"params": params, "host": host_info(), "quick": quick}

    log(f"empty-server start times ({', '.join(KINDS)})")
    result["empty_start_s"] = {kind: empty_start(kind) for kind in KINDS}

    small: dict[str, Any] = {}
    stall: dict[str, Any] = {}
    log(f"{n} small keys on both: populate, then SAVE + restart-load x{params['reps']}")
    servers = {k: ServerProc(k, REDIS_EXTRA if k == "redis" else None) for k in KINDS}
    try:
        for server in servers.values():
            server.start()
            populate(server, n)
            assert _dbsize(server) == n
        runs: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
        for _ in range(params["reps"]):  # alternating, so drift hits both alike
            for kind, server in servers.items():
                runs[kind].append(save_and_load(server, n))
        for kind, server in servers.items():
            small[kind] = _medians(runs[kind])
            log(f"{kind}: BGSAVE stall on {n} small keys")
            stall[f"{kind}_small_keys"] = bgsave_stall(server, params["stall_trials"])
    finally:
        for server in servers.values():
            server.cleanup()
    small["save_ratio"] = small["pyredisai"]["save_s"] / small["redis"]["save_s"]
    small["load_ratio"] = small["pyredisai"]["load_s"] / small["redis"]["load_s"]
    small["size_ratio"] = small["pyredisai"]["size_bytes"] / small["redis"]["size_bytes"]
    small["load_logged_ratio"] = _ratio(
        small["pyredisai"]["load_logged_s"], small["redis"]["load_logged_s"]
    )
    result["small_keys"] = small

    blobs: dict[str, Any] = {}
    for kind in ("redis", "pyredisai"):
        what = "strings" if kind == "redis" else "tensors"
        log(f"{kind}: {params['tensor_mb']} MB of {what}: SAVE, restart-load")
        with ServerProc(kind, REDIS_EXTRA if kind == "redis" else None) as server:
            count = store_blobs(server, params["tensor_mb"], as_tensors=kind == "pyredisai")
            blobs[kind] = save_and_load(server, count)
            blobs[kind]["payload_bytes"] = count * (TENSOR_MB_EACH << 20)
            if kind == "pyredisai":
                log(f"pyredisai: + {n} small keys: BGSAVE stall, tensors as loaded")
                populate(server, n)
                stall["pyredisai_keys_and_loaded_tensors"] = bgsave_stall(
                    server, params["stall_trials"]
                )
                log("pyredisai: FLUSHALL, the same via AI.TENSORSET: BGSAVE stall")
                client = _client(server)
                try:
                    client.call("FLUSHALL")
                finally:
                    client.close()
                store_blobs(server, params["tensor_mb"], as_tensors=True)
                populate(server, n)
                stall["pyredisai_keys_and_tensorset_tensors"] = bgsave_stall(
                    server, params["stall_trials"]
                )
    blobs["save_ratio"] = blobs["pyredisai"]["save_s"] / blobs["redis"]["save_s"]
    blobs["load_ratio"] = blobs["pyredisai"]["load_s"] / blobs["redis"]["load_s"]
    result["tensors"] = blobs
    result["bgsave_stall"] = stall
    worst = stall["pyredisai_small_keys"]["max_ms_during"]
    result["stall_goal_met"] = worst is not None and worst < STALL_GOAL_MS

    if aof:
        log("AOF: redis-benchmark -t set -c 50, appendonly no vs everysec")
        result["aof"] = aof_throughput(params["aof_requests"], params["aof_runs"])
    return result


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def markdown(result: dict[str, Any]) -> str:
    """The README table."""
    p = result["params"]
    small, blobs, stall = result["small_keys"], result["tensors"], result["bgsave_stall"]
    empty = result["empty_start_s"]
    mb = 1 << 20
    lines = [
        f"**{p['keys']:,} small keys** (DEBUG POPULATE {p['keys']} key 16; medians of "
        f"{p['reps']} SAVE + restart rounds)",
        "",
        "| | SAVE s | file MB | load s (logged) | start to ready s (empty server) |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind in KINDS:
        s = small[kind]
        lines.append(
            f"| {kind} | {s['save_s']:.2f} | {s['size_bytes'] / mb:.1f} | "
            f"{_num(s['load_logged_s'])} | {s['load_s']:.2f} ({empty[kind]:.2f}) |"
        )
    lines.append(
        f"| pyredisai / redis | {small['save_ratio']:.2f}x | {small['size_ratio']:.2f}x | "
        f"{_num(small['load_logged_ratio'])}x | {small['load_ratio']:.2f}x |"
    )
    lines += [
        "",
        f"**{p['tensor_mb']} MB of blobs** ({TENSOR_MB_EACH} MB each: FLOAT tensors on "
        "pyredisai, strings on redis-server as a reference)",
        "",
        "| | SAVE s | file MB | load s (logged) | start to ready s |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind in KINDS:
        s = blobs[kind]
        lines.append(
            f"| {kind} | {s['save_s']:.2f} | {s['size_bytes'] / mb:.1f} | "
            f"{_num(s['load_logged_s'])} | {s['load_s']:.2f} |"
        )
    lines += [
        "",
        "**BGSAVE stall**: longest PING round trip of another client while the child runs",
        f"(median of {p['stall_trials']} BGSAVEs; worst trial; the longest round trip in the",
        "second before BGSAVE as the host's noise floor; fork = INFO latest_fork_usec)",
        "",
        "| dataset | fork ms | longest RTT ms (worst) | p99 ms | RTT before ms | BGSAVE s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, s in stall.items():
        lines.append(
            f"| {name} | {s['latest_fork_usec'] / 1e3:.1f} | {s['max_ms_during']:.1f} "
            f"({s['worst_ms_during']:.1f}) | {s['p99_ms_during']:.2f} | "
            f"{s['max_ms_before']:.1f} | {s['bgsave_s']:.2f} |"
        )
    aof = result.get("aof")
    if aof is None:
        return "\n".join(lines)
    lines += [
        "",
        f"**SET throughput** (redis-benchmark -t set -c 50 -n {aof['requests']}, median of runs)",
        "",
        "| | appendonly no req/s | everysec req/s | everysec / no |",
        "|---|---:|---:|---:|",
    ]
    for kind in KINDS:
        a = aof[kind]
        lines.append(
            f"| {kind} | {a['off_rps']:,.0f} | {a['everysec_rps']:,.0f} | "
            f"{a['everysec_over_off']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="100k keys, 100 MB of tensors")
    ap.add_argument("--keys", type=int, help="small keys (default 1M, quick 100k)")
    ap.add_argument("--tensor-mb", type=int, help="MB of tensors (default 1024, quick 100)")
    ap.add_argument("--no-aof", action="store_true", help="skip the AOF throughput part")
    ap.add_argument("--probe", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.probe:
        probe_main(args.probe)
        return {}
    result = run(args.quick, args.keys, args.tensor_mb, aof=not args.no_aof)
    print(markdown(result))
    path = write_result("bench_persistence", result)
    print(f"\nresult: {path}")
    return result


if __name__ == "__main__":
    main()
