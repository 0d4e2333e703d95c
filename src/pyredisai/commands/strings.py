"""String commands (Redis src/t_string.c)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..keyspace.database import STRING_TYPES
from ..protocol.encoder import OK
from .registry import command

if TYPE_CHECKING:
    from ..server import Client


@command("get", 2, "readonly fast", keys=(1, 1, 1), group="string", summary="Returns the string value of a key.")
def get(client: Client, argv: list[bytes]) -> Any:
    return client.db.get_typed(argv[1], STRING_TYPES)


@command("set", -3, "write denyoom", keys=(1, 1, 1), group="string", summary="Sets the string value of a key.")
def set_(client: Client, argv: list[bytes]) -> Any:
    client.db.set(argv[1], argv[2])
    return OK
