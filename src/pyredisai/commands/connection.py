"""Connection commands: PING, ECHO, QUIT, RESET, SELECT, SWAPDB, AUTH, HELLO, CLIENT."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError
from ..protocol.encoder import OK, PONG, Push
from .args import parse_int
from .registry import CloseAfterReply, command

if TYPE_CHECKING:
    from ..server import Client


@command("ping", -1, "fast sentinel pubsub-ok", group="connection", summary="Returns the server's liveliness response.")
def ping(client: Client, argv: list[bytes]) -> Any:
    if len(argv) > 2:
        raise CommandError(errors.WRONG_ARITY.format("ping"))
    if client.resp == 2 and (client.subscriptions or client.psubscriptions):
        return Push([b"pong", argv[1] if len(argv) == 2 else b""])
    return PONG if len(argv) == 1 else argv[1]


@command("echo", 2, "fast", group="connection", summary="Returns the given string.")
def echo(client: Client, argv: list[bytes]) -> Any:
    return argv[1]


@command("quit", -1, "allow-busy no-auth fast multi-control pubsub-ok loading stale", group="connection", summary="Closes the connection.")
def quit_(client: Client, argv: list[bytes]) -> Any:
    raise CloseAfterReply(OK)


@command("select", 2, "loading stale fast", group="connection", summary="Changes the selected database.")
def select(client: Client, argv: list[bytes]) -> Any:
    index = parse_int(argv[1], errors.INVALID_DB_INDEX)
    if not 0 <= index < len(client.server.keyspace.dbs):
        raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
    client.select(index)
    return OK
