"""Command groups. Each module registers its commands on import; this imports every one
explicitly so the table never depends on which modules happened to be imported."""

from . import (  # noqa: F401
    ai_dag,
    ai_info,
    ai_model,
    ai_script,
    ai_tensor,
    connection,
    generic,
    hashes,
    lists,
    persistence,
    pubsub,
    replication,
    server,
    sets,
    strings,
    transactions,
    zsets,
)
from .registry import COMMANDS

__all__ = ["COMMANDS"]
