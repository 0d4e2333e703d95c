"""`pyredisai-server` / `python -m pyredisai`: options and config files like redis-server,
Redis's FATAL CONFIG FILE ERROR text and exit code, fast start without ML frameworks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from pyredisai.cli import parse_args
from pyredisai.config import ConfigFileError

from .helpers import free_port, have_redis_server

PY = [sys.executable, "-m", "pyredisai"]


def _run(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=30, **kw)  # type: ignore[call-overload, no-any-return]


def test_version_and_help_exit_zero() -> None:
    version = _run([*PY, "--version"])
    assert version.returncode == 0 and "redis_version=7.0.15" in version.stdout
    assert _run([*PY, "-v"]).stdout == version.stdout
    helped = _run([*PY, "--help"])
    assert helped.returncode == 0 and helped.stdout.startswith("Usage: pyredisai-server")


BAD_OPTIONS = [
    ["--port", "abc"],
    ["--foo", "bar"],
    ["--timeout"],
    ["--save", "60"],
    ["--loglevel", "foo"],
    ["--maxmemory", "1x"],
    ["--appendonly", "maybe"],
    ["--hz", "-1"],
]


@pytest.mark.parametrize("args", BAD_OPTIONS, ids=lambda a: " ".join(a))
def test_bad_options_fatal_like_redis(args: list[str], tmp_path: Path) -> None:
    ours = _run([*PY, *args], cwd=tmp_path)
    assert ours.returncode == 1
    assert "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***" in ours.stderr
    if have_redis_server():
        real = _run(["redis-server", *args], cwd=tmp_path)
        assert real.returncode == 1
        assert ours.stderr.strip() == real.stderr.strip()


def test_bad_config_file_line_fatal_like_redis(tmp_path: Path) -> None:
    conf = tmp_path / "bad.conf"
    conf.write_text("port 1234\n# comment\n\nmaxclients lots\n")
    ours = _run([*PY, str(conf)], cwd=tmp_path)
    assert ours.returncode == 1
    assert (
        "at line 4\n>>> 'maxclients lots'\nargument couldn't be parsed into an integer"
        in ours.stderr
    )
    if have_redis_server():
        real = _run(["redis-server", str(conf)], cwd=tmp_path)
        assert ours.stderr.strip() == real.stderr.strip()


def test_missing_config_file(tmp_path: Path) -> None:
    result = _run([*PY, str(tmp_path / "nope.conf")])
    assert result.returncode == 1
    assert f"Fatal error, can't open config file '{tmp_path / 'nope.conf'}'" in result.stderr


# --- parsing, in-process ------------------------------------------------------------------------


def test_config_file_quotes_and_repeated_save(tmp_path: Path) -> None:
    conf = tmp_path / "redis.conf"
    conf.write_text(
        "# a redis.conf\n"
        'requirepass "a b\\x41"\n'
        "save 900 1\n"
        "save 300 10\n"
        "logfile ''\n"
        "maxmemory 2mb\n"
        "slave-read-only no\n"
        "loadmodule /opt/redisai.so THREADS_PER_QUEUE 4 TORCH redisai_torch.so\n"
    )
    config = parse_args([str(conf)])
    assert config["requirepass"] == "a bA"
    assert config["save"] == [(900, 1), (300, 10)]
    assert config["maxmemory"] == 2 * 1024 * 1024
    assert config["replica-read-only"] is False
    assert config["threads-per-queue"] == 4
    assert config.source_file == str(conf)
    # options come after the file: save lines keep accumulating, others override
    config = parse_args([str(conf), "--save", "60", "10000", "--maxmemory", "1gb"])
    assert config["save"] == [(900, 1), (300, 10), (60, 10000)]
    assert config["maxmemory"] == 1024**3


def test_save_defaults_and_resets() -> None:
    assert parse_args([])["save"] == [(3600, 1), (300, 100), (60, 10000)]
    assert parse_args(["--save", ""])["save"] == []
    assert parse_args(["--save"])["save"] == []
    assert parse_args(["--save", "10", "1", "20", "2"])["save"] == [(10, 1), (20, 2)]
    assert parse_args(["--save", "", "--save", "5", "5"])["save"] == [(5, 5)]


def test_stdin_config() -> None:
    config = parse_args(["-"], stdin_text="maxclients 77\n")
    assert config["maxclients"] == 77
    config = parse_args(["--port", "7000", "-"], stdin_text="hz 20\n")
    assert config["hz"] == 20 and config["port"] == 7000


def test_option_errors_carry_redis_reason() -> None:
    with pytest.raises(ConfigFileError) as info:
        parse_args(["--databases", "0"])
    assert info.value.reason == "argument must be between 1 and 2147483647 inclusive"
    assert info.value.line == 'databases "0"'
    with pytest.raises(ConfigFileError, match="Bad directive"):
        parse_args(["--nosuch", "1"])


# --- the real process ---------------------------------------------------------------------------


def _start(
    args: list[str], env: dict[str, str] | None = None, cwd: str | None = None
) -> tuple[subprocess.Popen[bytes], int, float]:
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [*PY, *args, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
    )
    deadline = started + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith((b"+PONG", b"-NOAUTH")):
                    return proc, port, time.monotonic() - started
        except OSError:
            time.sleep(0.005)
    proc.kill()
    raise AssertionError("server did not start")


def test_starts_fast_without_ml_frameworks(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPROFILEIMPORTTIME="1")
    proc, _, _elapsed = _start(["--save", ""], env=env, cwd=str(tmp_path))
    proc.terminate()
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    imported = [
        line.rsplit("|", 1)[-1].strip()
        for line in err.decode().splitlines()
        if line.startswith("import time:")
    ]
    assert "pyredisai.server" in imported
    heavy = [
        m
        for m in imported
        if m.split(".")[0]
        in ("torch", "tensorflow", "onnxruntime", "ai_edge_litert", "tflite_runtime", "onnx")
    ]
    assert heavy == []
    # How fast it starts is for benchmarks (bench_persistence times an empty start), not asserted here.


def test_config_file_server_and_pidfile(tmp_path: Path) -> None:
    conf = tmp_path / "redis.conf"
    pidfile = tmp_path / "server.pid"
    conf.write_text(
        f'save 900 1\nsave 300 10\npidfile "{pidfile}"\nrequirepass "p w"\ndir {tmp_path}\n'
    )
    proc, port, _ = _start([str(conf)])
    try:
        client = redis.Redis(port=port, password="p w")
        assert client.config_get("save") == {"save": "900 1 300 10"}
        assert client.info("server")["config_file"] == str(conf)
        assert int(pidfile.read_text()) == proc.pid
        client.close()
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
    assert not pidfile.exists()


def test_bind_failure_exits_one(tmp_path: Path) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        result = _run([*PY, "--port", str(busy.getsockname()[1]), "--save", ""], cwd=tmp_path)
        assert result.returncode == 1
        assert "Address already in use" in result.stdout
    finally:
        busy.close()


def test_start_log_names_the_build(tmp_path: Path) -> None:
    """The servers under test are the build meant: `make test` runs the editable install
    (pure Python), `make test-compiled` sets PYREDISAI_EXPECT_BUILD=mypyc and puts the
    compiled build first on PYTHONPATH."""
    log = tmp_path / "server.log"
    proc, _, _ = _start(["--save", "", "--logfile", str(log)], cwd=str(tmp_path))
    proc.terminate()
    assert proc.wait(10) == 0
    expected = os.environ.get("PYREDISAI_EXPECT_BUILD", "python")
    assert f", build={expected}, " in log.read_text()
