"""Test support: real server processes on free loopback ports, and raw RESP sockets."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = Path(os.environ.get("PYREDISAI_MODELS", ROOT.parent / "shared" / "models"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """A real server process (pyredisai or redis-server) that this test run started.

    Retries with a new port if the bind fails, fails fast if the process exits, and stops
    only the process it started (by PID)."""

    def __init__(
        self,
        args: list[str] | None = None,
        *,
        real_redis: bool = False,
        env: dict[str, str] | None = None,
        directory: str | None = None,
    ) -> None:
        self.args = list(args or [])
        self.real_redis = real_redis
        self.env = env
        self.dir = directory or tempfile.mkdtemp(prefix="pyredisai-test-")
        self._own_dir = directory is None
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log_path = os.path.join(self.dir, "server.log")

    def command(self, port: int) -> list[str]:
        if self.real_redis:
            return [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
                *self.args,
            ]
        return [
            sys.executable,
            "-m",
            "pyredisai",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            self.dir,
            "--save",
            "",
            *self.args,
        ]

    def start(self, timeout: float = 20.0) -> ServerProcess:
        for _attempt in range(5):
            self.port = free_port()
            env = dict(os.environ)
            if self.env:
                env.update(self.env)
            log = open(self.log_path, "ab")  # noqa: SIM115
            self.proc = subprocess.Popen(
                self.command(self.port), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.dir
            )
            log.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                        s.sendall(b"PING\r\n")
                        data = s.recv(100)
                        if data.startswith((b"+PONG", b"-NOAUTH", b"-LOADING")):
                            return self
                except OSError:
                    time.sleep(0.02)
            self.stop()
            if "Address already in use" not in self.read_log():
                raise RuntimeError(
                    f"server did not start: {self.command(self.port)}\n{self.read_log()}"
                )
        raise RuntimeError("could not find a free port")

    def read_log(self) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")
        except OSError:
            return ""

    def client(self, **kwargs: object) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, **kwargs)  # type: ignore[arg-type]

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int | None = None, timeout: float = 15.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def cleanup(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def command_bytes(*args: bytes | str | int) -> bytes:
    """One command as a client sends it: a RESP multibulk of bulk strings."""
    parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)


class RawConnection:
    """A plain socket speaking RESP by hand, for protocol edge cases."""

    def __init__(self, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> None:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("closed")
        self.buf += chunk

    def read_line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_reply(self) -> object:
        """Parse one RESP2/RESP3 reply into Python values (errors as ('ERR', text))."""
        line = self.read_line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+",):
            return rest
        if kind == b"-":
            return ("error", rest.decode())
        if kind == b":":
            return int(rest)
        if kind in (b"$", b"="):
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2 :]
            return data
        if kind in (b"*", b"~", b">"):
            n = int(rest)
            return None if n < 0 else [self.read_reply() for _ in range(n)]
        if kind == b"%":
            return {self.read_reply(): self.read_reply() for _ in range(int(rest))}  # type: ignore[misc]
        if kind == b"_":
            return None
        if kind == b",":
            return float(rest)
        if kind == b"#":
            return rest == b"t"
        raise ValueError(f"bad reply line {line!r}")

    def command(self, *args: bytes | str | int) -> object:
        self.send(command_bytes(*args))
        return self.read_reply()

    def recv_exact(self, n: int) -> bytes:
        """The next n bytes, read into one preallocated buffer (`_fill`'s += is quadratic)."""
        out = bytearray(n)
        view = memoryview(out)
        got = min(len(self.buf), n)
        view[:got] = self.buf[:got]
        self.buf = self.buf[got:]
        while got < n:
            k = self.sock.recv_into(view[got:], n - got)
            if not k:
                raise ConnectionError(f"closed after {got} of {n} bytes")
            got += k
        return bytes(out)

    def closed_by_peer(self, timeout: float = 5.0) -> bool:
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.sock.close()


def have_redis_server() -> bool:
    return shutil.which("redis-server") is not None
