"""Smoke tests of the command pipeline against a real server process."""

from __future__ import annotations

import redis


def test_ping_set_get(r: redis.Redis) -> None:
    assert r.ping() is True
    assert r.set("a", "b") is True
    assert r.get("a") == b"b"


def test_unknown_command_error(r: redis.Redis) -> None:
    try:
        r.execute_command("NOSUCH", "x", "y")
    except redis.ResponseError as exc:
        assert str(exc) == "unknown command 'NOSUCH', with args beginning with: 'x' 'y' "
    else:
        raise AssertionError("no error")


def test_side_by_side_unknown_command(r: redis.Redis, rr: redis.Redis) -> None:
    errors = []
    for client in (r, rr):
        try:
            client.execute_command("NOSUCH", "x", "y")
        except redis.ResponseError as exc:
            errors.append(str(exc))
    assert len(errors) == 2 and errors[0] == errors[1]
