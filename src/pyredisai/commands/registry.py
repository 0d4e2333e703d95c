"""The command table: every command is declared once, with Redis's spec fields.

`@command(...)` records a frozen `CommandSpec` in `COMMANDS`. Dispatch, COMMAND INFO/DOCS/
GETKEYS, MULTI queueing, replica read-only checks and propagation all read the spec, never
the command name. Field meanings follow Redis's `src/commands/*.json` and the flag glossary
above `struct redisCommand` in `src/server.h`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..server import Client


class Deferred:
    """A reply that arrives later, on the loop thread.

    A handler returns this when it cannot answer at once (a model run, a blocking pop);
    the client stops running its later commands until the reply arrives. Either it wraps
    a future, or (built without one) its producer calls `resolve(reply)`, which hands the
    reply straight to the waiting client: no future, no extra loop hop (model runs). A
    future is still made on demand for code that asks for one (EXEC cancelling it)."""

    __slots__ = ("_future", "waiter")

    def __init__(self, future: asyncio.Future[Any] | None = None) -> None:
        self._future = future
        self.waiter: Callable[[Any], None] | None = None  # set by the waiting client

    @property
    def direct(self) -> bool:
        """Resolved by `resolve`, not through a future (the client sets `waiter`)."""
        return self._future is None

    @property
    def future(self) -> asyncio.Future[Any]:
        fut = self._future
        if fut is None:
            fut = self._future = asyncio.get_event_loop().create_future()
        return fut

    def resolve(self, reply: Any) -> None:
        """Deliver `reply` (loop thread, once): to the waiting client, else the future."""
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            waiter(reply)
            return
        fut = self.future
        if not fut.done():
            fut.set_result(reply)


class CloseAfterReply(Exception):
    """Raised by QUIT-like handlers: send `reply`, then close the connection."""

    def __init__(self, reply: Any) -> None:
        super().__init__("close after reply")
        self.reply = reply


Handler = Callable[["Client", list[bytes]], Any]
KeysFn = Callable[[list[bytes]], list[int]]


@dataclass(eq=False, slots=True)
class CommandSpec:
    name: str  # lower case, e.g. "get", "client|list", "ai.tensorset"
    arity: int  # Redis sign rule: negative means "at least -arity"
    flags: frozenset[str]
    first_key: int
    last_key: int
    step: int
    handler: Handler
    group: str
    summary: str
    since: str
    keys_fn: KeysFn | None = None
    subcommands: dict[str, CommandSpec] = field(default_factory=dict)
    # statistics (INFO commandstats), mutated on the loop thread only
    calls: int = 0
    seconds: float = 0.0  # time in the handler (INFO's usec)
    rejected_calls: int = 0
    failed_calls: int = 0
    # flag shortcuts read by dispatch on every call
    write: bool = False
    denyoom: bool = False
    noauth: bool = False
    allowed_in_multi: bool = True
    runs_in_multi_immediately: bool = False
    pubsub_ok: bool = False
    loading_ok: bool = False
    stale_ok: bool = False
    # argument counts that the client's batch loop runs inline, without dispatch (right
    # arity, no policy flag: see _NOT_FAST and Client.run_commands); empty for the rest.
    # A frozenset: its membership test costs half a range's.
    fast_argc: frozenset[int] = frozenset()

    @property
    def usec(self) -> int:
        return int(self.seconds * 1_000_000)

    def key_positions(self, argv: list[bytes]) -> list[int]:
        """Indexes of key arguments (COMMAND GETKEYS, propagation, MOVE of bigargs)."""
        if self.keys_fn is not None:
            return self.keys_fn(argv)
        if self.first_key <= 0:
            return []
        last = self.last_key if self.last_key >= 0 else len(argv) + self.last_key
        return list(range(self.first_key, min(last, len(argv) - 1) + 1, self.step or 1))

    def arity_ok(self, argc: int) -> bool:
        arity = self.arity
        return argc == arity if arity > 0 else argc >= -arity


COMMANDS: dict[bytes, CommandSpec] = {}  # keyed by lower-case name bytes

# Commands that always go through Server.dispatch, because they may change what later
# commands are checked for: admin commands (pauses, loading, replication), connection
# state (AUTH, HELLO, RESET, QUIT: protocol, authentication), MULTI/EXEC/DISCARD/WATCH
# and (un)subscribing. Containers of subcommands too, so the subcommand's spec is found.
_NOT_FAST = frozenset(("admin", "no-auth", "multi-control", "pubsub"))

SERVER_HOOKS: list[Callable[[Any], None]] = []
"""Called with each new Server: command groups with state of their own (persistence,
the AI engine, blocking keys) attach it here instead of the server knowing about them."""


# Variadic commands run inline up to this many arguments; longer ones go through
# dispatch, whose checks are nothing next to the work of such a command.
FAST_ARGC_MAX = 256


@cache
def _argc_set(low: int, high: int = FAST_ARGC_MAX + 1) -> frozenset[int]:
    """Argument counts low..high-1, shared by every spec with the same arity."""
    return frozenset(range(low, high))


def command(
    name: str,
    arity: int,
    flags: str = "",
    keys: tuple[int, int, int] = (0, 0, 0),
    group: str = "generic",
    summary: str = "",
    since: str = "1.0.0",
    keys_fn: KeysFn | None = None,
    parent: str | None = None,
) -> Callable[[Handler], Handler]:
    """Register a handler. `parent` makes it a subcommand (e.g. CLIENT LIST)."""

    def decorate(handler: Handler) -> Handler:
        flagset = frozenset(flags.split())
        spec = CommandSpec(
            name=name.lower() if parent is None else f"{parent.lower()}|{name.lower()}",
            arity=arity,
            flags=flagset,
            first_key=keys[0],
            last_key=keys[1],
            step=keys[2],
            handler=handler,
            group=group,
            summary=summary or (handler.__doc__ or "").strip().split("\n")[0],
            since=since,
            keys_fn=keys_fn,
        )
        spec.write = "write" in flagset
        spec.denyoom = "denyoom" in flagset
        spec.noauth = "no-auth" in flagset
        spec.allowed_in_multi = "no-multi" not in flagset
        spec.runs_in_multi_immediately = "multi-control" in flagset
        spec.pubsub_ok = "pubsub-ok" in flagset
        spec.loading_ok = "loading" in flagset
        spec.stale_ok = "stale" in flagset
        if parent is None:
            key = name.lower().encode()
            existing = COMMANDS.get(key)
            if existing is not None:
                spec.subcommands = existing.subcommands
            if not (spec.subcommands or flagset & _NOT_FAST):
                spec.fast_argc = _argc_set(arity, arity + 1) if arity > 0 else _argc_set(-arity)
            COMMANDS[key] = spec
        else:
            container = COMMANDS[parent.lower().encode()]
            container.subcommands[name.lower()] = spec
            container.fast_argc = frozenset()
        return handler

    return decorate


def container(
    name: str,
    arity: int,
    flags: str = "",
    group: str = "server",
    summary: str = "",
    since: str = "2.0.0",
) -> None:
    """Register a command that only exists through its subcommands (CLIENT, CONFIG...)."""

    def no_subcommand(client: Client, argv: list[bytes]) -> Any:
        from ..errors import WRONG_ARITY, CommandError

        raise CommandError(WRONG_ARITY.format(name.lower()))

    command(name, arity, flags, group=group, summary=summary, since=since)(no_subcommand)


def lookup_subcommand(spec: CommandSpec, argv: list[bytes]) -> CommandSpec | None:
    if not spec.subcommands or len(argv) < 2:
        return None
    return spec.subcommands.get(argv[1].decode("utf-8", "replace").lower())


# Redis's flag vocabulary as COMMAND INFO prints it (internal helper flags are left out).
PUBLIC_FLAGS = (
    "write",
    "readonly",
    "denyoom",
    "module",
    "admin",
    "pubsub",
    "noscript",
    "blocking",
    "loading",
    "stale",
    "skip_monitor",
    "skip_slowlog",
    "asking",
    "fast",
    "no_auth",
    "may_replicate",
    "no_mandatory_keys",
    "no_multi",
    "allow_busy",
)


def public_flags(spec: CommandSpec) -> list[str]:
    names = {f.replace("-", "_") for f in spec.flags}
    out = [f for f in PUBLIC_FLAGS if f in names]
    if spec.keys_fn is not None:
        out.append("movablekeys")
    return out
