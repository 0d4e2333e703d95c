"""Fixtures: real pyredisai-server processes (one per module, flushed per test), a factory
for servers with their own options, and a real redis-server for side-by-side checks."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
import redis

from .helpers import MODELS_DIR, RawConnection, ServerProcess, have_redis_server


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    proc = ServerProcess().start()
    yield proc
    proc.cleanup()


@pytest.fixture
def r(server: ServerProcess) -> Iterator[redis.Redis]:
    """redis-py client (RESP2) on a flushed shared server."""
    client = server.client(protocol=2)
    client.flushall()
    yield client
    client.close()


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def rp(server: ServerProcess, request: pytest.FixtureRequest) -> Iterator[redis.Redis]:
    """redis-py client parametrised over RESP2 and RESP3."""
    client = server.client(protocol=request.param)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def raw(server: ServerProcess) -> Iterator[RawConnection]:
    conn = RawConnection(server.port)
    yield conn
    conn.close()


@pytest.fixture
def make_server() -> Iterator[Callable[..., ServerProcess]]:
    """Factory for servers with their own options; each is stopped after the test."""
    started: list[ServerProcess] = []

    def factory(*args: str, **kwargs: object) -> ServerProcess:
        proc = ServerProcess(list(args), **kwargs).start()  # type: ignore[arg-type]
        started.append(proc)
        return proc

    yield factory
    for proc in started:
        proc.cleanup()


@pytest.fixture(scope="module")
def real_redis() -> Iterator[ServerProcess]:
    """Debian's redis-server, for side-by-side checks. CI installs it, so CI never skips."""
    if not have_redis_server():
        if os.environ.get("CI"):
            pytest.fail("redis-server is required in CI")
        pytest.skip("redis-server is not installed")
    proc = ServerProcess(real_redis=True).start()
    yield proc
    proc.cleanup()


@pytest.fixture
def rr(real_redis: ServerProcess) -> Iterator[redis.Redis]:
    client = real_redis.client()
    client.flushall()
    yield client
    client.close()


@pytest.fixture(scope="session")
def models_dir() -> str:
    if not MODELS_DIR.is_dir():
        pytest.fail(f"shared models directory not found: {MODELS_DIR}")
    return str(MODELS_DIR)
