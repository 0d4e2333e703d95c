"""Pub/sub: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB (Redis src/pubsub.c),
and the wiring of keyspace notifications onto it.

The per-server state (`PubSub`, in server.extensions["pubsub"]) is created on first use;
creating it installs the keyspace notification hook, a config listener for
notify-keyspace-events, and disconnect and RESET hooks that drop a client's subscriptions.
Nobody can receive a message before subscribing, so nothing is lost by starting late.

A message is encoded once per protocol version and written straight to each receiver's
transport (RESP2 array, RESP3 push). Subscribe confirmations are replies of the
subscribing command: one per channel, so the handler returns them pre-encoded as `Raw`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..keyspace import notify
from ..keyspace.glob import glob_matcher
from ..protocol.encoder import Push, Raw, SimpleString, encode
from .registry import command, container

if TYPE_CHECKING:
    from ..server import Client, Server

_Subscribers = dict["Client", None]  # an ordered set


class PubSub:
    """Channel, pattern and shard-channel subscriptions of one server. Loop thread only."""

    __slots__ = ("server", "channels", "patterns", "shard_channels", "matchers")

    def __init__(self, server: Server) -> None:
        self.server = server
        self.channels: dict[bytes, _Subscribers] = {}
        self.patterns: dict[bytes, _Subscribers] = {}
        self.shard_channels: dict[bytes, _Subscribers] = {}
        self.matchers: dict[bytes, Any] = {}

    # -- publishing ----------------------------------------------------------------------
    def publish(self, channel: bytes, message: bytes, sharded: bool = False) -> int:
        """pubsubPublishMessage: deliver to channel subscribers, then to matching
        patterns (not for shard channels); returns the number of receivers."""
        receivers = 0
        subs = (self.shard_channels if sharded else self.channels).get(channel)
        if subs:
            kind = b"smessage" if sharded else b"message"
            wire: list[bytes | None] = [None, None]
            for client in subs:
                data = wire[client.resp == 3]
                if data is None:
                    data = wire[client.resp == 3] = _encode(
                        Push([kind, channel, message]), client.resp
                    )
                client.write_out([data])
                receivers += 1
        if sharded or not self.patterns:
            return receivers
        for pattern, clients in self.patterns.items():
            if not self.matchers[pattern](channel):
                continue
            wire = [None, None]
            for client in clients:
                data = wire[client.resp == 3]
                if data is None:
                    push = Push([b"pmessage", pattern, channel, message])
                    data = wire[client.resp == 3] = _encode(push, client.resp)
                client.write_out([data])
                receivers += 1
        return receivers

    def publish_event(self, channel: bytes, message: bytes) -> int:
        """Keyspace notifications: skip all work while nobody listens at all."""
        if not self.channels and not self.patterns:
            return 0
        return self.publish(channel, message)

    # -- subscriptions -------------------------------------------------------------------
    def subscribe(self, client: Client, channel: bytes) -> None:
        if channel not in client.subscriptions:
            client.subscriptions.add(channel)
            client.update_guard()
            self.channels.setdefault(channel, {})[client] = None

    def unsubscribe(self, client: Client, channel: bytes) -> None:
        if channel in client.subscriptions:
            client.subscriptions.discard(channel)
            client.update_guard()
            _drop(self.channels, channel, client)

    def psubscribe(self, client: Client, pattern: bytes) -> None:
        if pattern not in client.psubscriptions:
            client.psubscriptions.add(pattern)
            client.update_guard()
            subs = self.patterns.get(pattern)
            if subs is None:
                self.matchers[pattern] = glob_matcher(pattern)
                subs = self.patterns[pattern] = {}
            subs[client] = None

    def punsubscribe(self, client: Client, pattern: bytes) -> None:
        if pattern in client.psubscriptions:
            client.psubscriptions.discard(pattern)
            client.update_guard()
            _drop(self.patterns, pattern, client)
            if pattern not in self.patterns:
                self.matchers.pop(pattern, None)

    def ssubscribe(self, client: Client, channel: bytes) -> None:
        mine = shard_subscriptions(client)
        if channel not in mine:
            mine[channel] = None
            self.shard_channels.setdefault(channel, {})[client] = None

    def sunsubscribe(self, client: Client, channel: bytes) -> None:
        mine = shard_subscriptions(client)
        if channel in mine:
            del mine[channel]
            _drop(self.shard_channels, channel, client)

    def drop_client(self, client: Client) -> None:
        """Disconnect or RESET: forget every subscription without replying."""
        for channel in list(client.subscriptions):
            self.unsubscribe(client, channel)
        for pattern in list(client.psubscriptions):
            self.punsubscribe(client, pattern)
        shard = client.extra.get("ssubscriptions")
        if shard:
            for channel in list(shard):
                self.sunsubscribe(client, channel)

    # -- keyspace notifications ----------------------------------------------------------
    def config_changed(self, name: str, value: Any) -> None:
        if name == "notify-keyspace-events":
            self.install_notify_hook()

    def install_notify_hook(self) -> None:
        try:
            flags = notify.parse_classes(self.server.config["notify-keyspace-events"])
        except ValueError:
            flags = 0
        self.server.keyspace.notify_hook = notify.make_hook(flags, self.publish_event)


def _drop(table: dict[bytes, _Subscribers], name: bytes, client: Client) -> None:
    subs = table.get(name)
    if subs is not None:
        subs.pop(client, None)
        if not subs:
            del table[name]


def _encode(value: Any, resp: int) -> bytes:
    out: list[Any] = []
    encode(value, resp, out)
    return b"".join(out)


def shard_subscriptions(client: Client) -> dict[bytes, None]:
    shard: dict[bytes, None] | None = client.extra.get("ssubscriptions")
    if shard is None:
        shard = client.extra["ssubscriptions"] = {}
    return shard


def get_pubsub(server: Server) -> PubSub:
    """The server's pub/sub state, created (and its hooks installed) on first use."""
    state: PubSub | None = server.extensions.get("pubsub")
    if state is None:
        state = server.extensions["pubsub"] = PubSub(server)
        server.extensions.setdefault("disconnect_hooks", []).append(state.drop_client)
        server.extensions.setdefault("reset_hooks", []).append(state.drop_client)
        server.config.listeners.append(state.config_changed)
        state.install_notify_hook()
    return state


def unsubscribe_all(client: Client) -> None:
    """RESET's pub/sub part: leave every channel, pattern and shard channel silently."""
    state: PubSub | None = client.server.extensions.get("pubsub")
    if state is not None:
        state.drop_client(client)


def _count(client: Client) -> int:
    return len(client.subscriptions) + len(client.psubscriptions)


def _confirmations(client: Client, replies: list[Push]) -> Raw:
    """Several top-level replies from one command, pre-encoded for this client."""
    out: list[Any] = []
    resp = client.resp
    for reply in replies:
        encode(reply, resp, out)
    return Raw(b"".join(out))


# --- commands --------------------------------------------------------------------------

_SUB_FLAGS = "pubsub noscript loading stale pubsub-ok"


@command(
    "subscribe",
    -2,
    _SUB_FLAGS,
    group="pubsub",
    since="2.0.0",
    summary="Listens for messages published to channels.",
)
def subscribe(client: Client, argv: list[bytes]) -> Any:
    state = get_pubsub(client.server)
    replies = []
    for channel in argv[1:]:
        channel = bytes(channel)
        state.subscribe(client, channel)
        replies.append(Push([b"subscribe", channel, _count(client)]))
    return _confirmations(client, replies)


@command(
    "unsubscribe",
    -1,
    _SUB_FLAGS,
    group="pubsub",
    since="2.0.0",
    summary="Stops listening to messages posted to channels.",
)
def unsubscribe(client: Client, argv: list[bytes]) -> Any:
    state = get_pubsub(client.server)
    channels = [bytes(c) for c in argv[1:]] or list(client.subscriptions)
    if not channels:
        return Push([b"unsubscribe", None, _count(client)])
    replies = []
    for channel in channels:
        state.unsubscribe(client, channel)
        replies.append(Push([b"unsubscribe", channel, _count(client)]))
    return _confirmations(client, replies)


@command(
    "psubscribe",
    -2,
    _SUB_FLAGS,
    group="pubsub",
    since="2.0.0",
    summary="Listens for messages published to channels that match one or more patterns.",
)
def psubscribe(client: Client, argv: list[bytes]) -> Any:
    state = get_pubsub(client.server)
    replies = []
    for pattern in argv[1:]:
        pattern = bytes(pattern)
        state.psubscribe(client, pattern)
        replies.append(Push([b"psubscribe", pattern, _count(client)]))
    return _confirmations(client, replies)


@command(
    "punsubscribe",
    -1,
    _SUB_FLAGS,
    group="pubsub",
    since="2.0.0",
    summary="Stops listening to messages published to channels that match one or more patterns.",
)
def punsubscribe(client: Client, argv: list[bytes]) -> Any:
    state = get_pubsub(client.server)
    patterns = [bytes(p) for p in argv[1:]] or list(client.psubscriptions)
    if not patterns:
        return Push([b"punsubscribe", None, _count(client)])
    replies = []
    for pattern in patterns:
        state.punsubscribe(client, pattern)
        replies.append(Push([b"punsubscribe", pattern, _count(client)]))
    return _confirmations(client, replies)


def _all_keys(argv: list[bytes]) -> list[int]:
    return list(range(1, len(argv)))


@command(
    "ssubscribe",
    -2,
    _SUB_FLAGS,
    keys=(1, -1, 1),
    group="pubsub",
    since="7.0.0",
    keys_fn=_all_keys,
    summary="Listens for messages published to shard channels.",
)
def ssubscribe(client: Client, argv: list[bytes]) -> Any:
    state = get_pubsub(client.server)
    mine = shard_subscriptions(client)
    replies = []
    for channel in argv[1:]:
        channel = bytes(channel)
        state.ssubscribe(client, channel)
        replies.append(Push([b"ssubscribe", channel, len(mine)]))
    return _confirmations(client, replies)


@command(
    "sunsubscribe",
    -1,
    _SUB_FLAGS,
    keys=(1, -1, 1),
    group="pubsub",
    since="7.0.0",
    keys_fn=_all_keys,
    summary="Stops listening to messages posted to shard channels.",
)
def sunsubscribe(client: Client, argv: list[bytes]) -> Any:
    state = get_pubsub(client.server)
    mine = shard_subscriptions(client)
    channels = [bytes(c) for c in argv[1:]] or list(mine)
    if not channels:
        return Push([b"sunsubscribe", None, 0])
    replies = []
    for channel in channels:
        state.sunsubscribe(client, channel)
        replies.append(Push([b"sunsubscribe", channel, len(mine)]))
    return _confirmations(client, replies)


@command(
    "publish",
    3,
    "pubsub loading stale fast",
    group="pubsub",
    since="2.0.0",
    summary="Posts a message to a channel.",
)
def publish(client: Client, argv: list[bytes]) -> Any:
    return get_pubsub(client.server).publish(bytes(argv[1]), bytes(argv[2]))


@command(
    "spublish",
    3,
    "pubsub loading stale fast",
    keys=(1, 1, 1),
    group="pubsub",
    since="7.0.0",
    summary="Post a message to a shard channel",
)
def spublish(client: Client, argv: list[bytes]) -> Any:
    return get_pubsub(client.server).publish(bytes(argv[1]), bytes(argv[2]), sharded=True)


container("pubsub", -2, group="pubsub", summary="A container for Pub/Sub commands.", since="2.8.0")

_PUBSUB_HELP = [
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
]


@command(
    "help",
    2,
    "loading stale",
    group="pubsub",
    since="6.2.0",
    parent="pubsub",
    summary="Returns helpful text about the different subcommands.",
)
def pubsub_help(client: Client, argv: list[bytes]) -> Any:
    return [SimpleString(line) for line in _PUBSUB_HELP]


def _bad_subcommand_arity(argv: list[bytes]) -> Any:
    from ..errors import CommandError

    name = argv[1].decode("utf-8", "replace")
    raise CommandError(
        f"ERR unknown subcommand or wrong number of arguments for '{name}'. Try PUBSUB HELP."
    )


def _matching(table: dict[bytes, _Subscribers], argv: list[bytes]) -> list[bytes]:
    if len(argv) > 3:
        _bad_subcommand_arity(argv)
    if len(argv) == 3 and argv[2] != b"*":
        match = glob_matcher(bytes(argv[2]))
        return [name for name in table if match(name)]
    return list(table)


@command(
    "channels",
    -2,
    "pubsub loading stale",
    group="pubsub",
    since="2.8.0",
    parent="pubsub",
    summary="Returns the active channels.",
)
def pubsub_channels(client: Client, argv: list[bytes]) -> Any:
    return _matching(get_pubsub(client.server).channels, argv)


@command(
    "shardchannels",
    -2,
    "pubsub loading stale",
    group="pubsub",
    since="7.0.0",
    parent="pubsub",
    summary="Returns the active shard channels.",
)
def pubsub_shardchannels(client: Client, argv: list[bytes]) -> Any:
    return _matching(get_pubsub(client.server).shard_channels, argv)


def _numsub(table: dict[bytes, _Subscribers], argv: list[bytes]) -> list[Any]:
    out: list[Any] = []
    for channel in argv[2:]:
        subs = table.get(bytes(channel))
        out.append(channel)
        out.append(len(subs) if subs else 0)
    return out


@command(
    "numsub",
    -2,
    "pubsub loading stale",
    group="pubsub",
    since="2.8.0",
    parent="pubsub",
    summary="Returns a count of subscribers to channels.",
)
def pubsub_numsub(client: Client, argv: list[bytes]) -> Any:
    return _numsub(get_pubsub(client.server).channels, argv)


@command(
    "shardnumsub",
    -2,
    "pubsub loading stale",
    group="pubsub",
    since="7.0.0",
    parent="pubsub",
    summary="Returns the count of subscribers of shard channels.",
)
def pubsub_shardnumsub(client: Client, argv: list[bytes]) -> Any:
    return _numsub(get_pubsub(client.server).shard_channels, argv)


@command(
    "numpat",
    2,
    "pubsub loading stale",
    group="pubsub",
    since="2.8.0",
    parent="pubsub",
    summary="Returns a count of unique pattern subscriptions.",
)
def pubsub_numpat(client: Client, argv: list[bytes]) -> Any:
    return len(get_pubsub(client.server).patterns)
