"""Connection commands (Redis src/networking.c, src/acl.c): PING, ECHO, QUIT, RESET,
SELECT, SWAPDB, AUTH, HELLO and the CLIENT family.

There is one user, `default`, whose password is `requirepass` (Redis's "nopass" user when
it is empty), so AUTH and HELLO AUTH reply exactly as Redis 7.0 does without ACL files.
Other parts hook in through `server.extensions`:

- "reset_hooks": callables `(client)` run by RESET (pub/sub drops the subscriptions);
- "unblock_hooks": callables `(client, error) -> bool` tried by CLIENT UNBLOCK after the
  blocking-keys registry ("blocking"); True means the client was unblocked;
- "replication" (an object with a `role` attribute, "master" or "replica"): HELLO's role.
Replication links mark their clients with `client.extra["master"]` / `["replica"]`.
"""

from __future__ import annotations

import hmac
import time
from typing import TYPE_CHECKING, Any

from .. import REDIS_VERSION, errors
from ..errors import CommandError, SyntaxErr
from ..info import MODULES
from ..protocol.encoder import OK, PONG, Push, Raw, SimpleString, Verbatim
from .args import parse_int
from .registry import CloseAfterReply, command, container

if TYPE_CHECKING:
    from ..server import Client, Server

RESET_REPLY = Raw(b"+RESET\r\n")


# --- PING, ECHO, QUIT, SELECT, SWAPDB ------------------------------------------------------


@command(
    "ping",
    -1,
    "fast sentinel pubsub-ok @connection tip:request_policy:all_shards tip:response_policy:all_succeeded",
    group="connection",
    summary="Returns the server's liveliness response.",
)
def ping(client: Client, argv: list[bytes]) -> Any:
    if len(argv) > 2:
        raise CommandError(errors.WRONG_ARITY.format("ping"))
    if client.resp == 2 and (client.subscriptions or client.psubscriptions):
        return Push([b"pong", argv[1] if len(argv) == 2 else b""])
    return PONG if len(argv) == 1 else argv[1]


@command("echo", 2, "loading stale fast", group="connection", summary="Returns the given string.")
def echo(client: Client, argv: list[bytes]) -> Any:
    return argv[1]


@command(
    "quit",
    -1,
    "allow-busy noscript no-auth fast multi-control pubsub-ok loading stale",
    group="connection",
    summary="Closes the connection.",
)
def quit_(client: Client, argv: list[bytes]) -> Any:
    raise CloseAfterReply(OK)


@command(
    "select", 2, "loading stale fast", group="connection", summary="Changes the selected database."
)
def select(client: Client, argv: list[bytes]) -> Any:
    index = parse_int(argv[1])
    if not -(2**31) <= index < 2**31:  # getIntFromObjectOrReply
        raise CommandError(errors.INT_OUT_OF_RANGE)
    if not 0 <= index < len(client.server.keyspace.dbs):
        raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
    client.select(index)
    return OK


@command(
    "swapdb",
    3,
    "write fast @keyspace @dangerous",
    group="server",
    summary="Swaps two Redis databases.",
    since="4.0.0",
)
def swapdb(client: Client, argv: list[bytes]) -> Any:
    first = parse_int(argv[1], errors.INVALID_FIRST_DB)
    if not -(2**31) <= first < 2**31:
        raise CommandError(errors.INVALID_FIRST_DB)
    second = parse_int(argv[2], errors.INVALID_SECOND_DB)
    if not -(2**31) <= second < 2**31:
        raise CommandError(errors.INVALID_SECOND_DB)
    keyspace = client.server.keyspace
    count = len(keyspace.dbs)
    if not (0 <= first < count and 0 <= second < count):
        raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
    if first != second:
        keyspace.swap(first, second)
    keyspace.dirty += 1  # propagated even when both indexes are equal, as in Redis
    return OK


# --- AUTH, HELLO, RESET ------------------------------------------------------------------


def password_ok(server: Server, username: bytes, password: bytes) -> bool:
    """ACLAuthenticateUser for the single `default` user (constant-time comparison)."""
    if username != b"default":
        return False
    required: str = server.config["requirepass"]
    if not required:
        return True  # "nopass": any password works
    return hmac.compare_digest(password, required.encode("utf-8", "surrogateescape"))


def set_authenticated(client: Client, value: bool) -> None:
    client.authenticated = value
    client.reader.set_authenticated(value)


@command(
    "auth",
    -2,
    "noscript loading stale fast no-auth allow-busy",
    group="connection",
    summary="Authenticates the connection.",
)
def auth(client: Client, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise SyntaxErr()
    if len(argv) == 2:
        username, password = b"default", argv[1]
        if not client.server.config["requirepass"]:
            argv[1] = b"(redacted)"
            raise CommandError(errors.AUTH_NOT_CONFIGURED)
    else:
        username, password = argv[1], argv[2]
    for i in range(1, len(argv)):  # slow log and MONITOR never see the secret
        argv[i] = b"(redacted)"
    if not password_ok(client.server, username, password):
        raise CommandError(errors.WRONGPASS)
    set_authenticated(client, True)
    return OK


def server_role(server: Server) -> str:
    replication = server.extensions.get("replication")
    role = getattr(replication, "role", "master")
    return "replica" if role in ("replica", "slave") else "master"


def hello_modules() -> list[dict[str, Any]]:
    return [
        {"name": m.name, "ver": m.ver, "path": m.path, "args": list(m.args)}
        for m in MODULES.values()
    ]


@command(
    "hello",
    -1,
    "noscript loading stale fast no-auth allow-busy",
    group="connection",
    summary="Handshakes with the Redis server.",
    since="6.0.0",
)
def hello(client: Client, argv: list[bytes]) -> Any:
    version = 0
    i = 1
    if len(argv) >= 2:
        version = parse_int(argv[1], errors.HELLO_PROTO_NOT_INT)
        if version not in (2, 3):
            raise CommandError(errors.NOPROTO)
        i = 2
    credentials: tuple[bytes, bytes] | None = None
    name: bytes | None = None
    while i < len(argv):
        opt = argv[i].lower()
        more = len(argv) - 1 - i
        if opt == b"auth" and more >= 2:
            credentials = (argv[i + 1], argv[i + 2])
            argv[i + 1] = argv[i + 2] = b"(redacted)"
            i += 3
        elif opt == b"setname" and more >= 1:
            name = argv[i + 1]
            i += 2
        else:
            raise CommandError(
                errors.HELLO_SYNTAX.format(argv[i].decode("utf-8", "surrogateescape"))
            )
    server = client.server
    if credentials is not None:
        if not password_ok(server, *credentials):
            raise CommandError(errors.WRONGPASS)
        set_authenticated(client, True)
    if not client.authenticated:
        raise CommandError(errors.HELLO_NOAUTH)
    if name is not None:
        set_name(client, name)
    if version:
        client.resp = version
    return {
        "server": "redis",
        "version": REDIS_VERSION,
        "proto": client.resp,
        "id": client.id,
        "mode": "standalone",
        "role": server_role(server),
        "modules": hello_modules(),
    }


@command(
    "reset",
    1,
    "noscript loading stale fast no-auth allow-busy multi-control pubsub-ok",
    group="connection",
    summary="Resets the connection.",
    since="6.2.0",
)
def reset(client: Client, argv: list[bytes]) -> Any:
    """clearClientConnectionState: back to a fresh connection's state."""
    server = client.server
    if client.monitor:
        client.monitor = False
        if client in server.monitors:
            server.monitors.remove(client)
    client.tracking = False
    client.select(0)
    client.resp = 2
    client.user = "default"
    set_authenticated(client, not server.config["requirepass"])
    client.in_multi = False
    client.multi_queue = []
    client.multi_error = False
    server.unwatch_all(client)
    for hook in server.extensions.get("reset_hooks", ()):
        hook(client)
    client.subscriptions.clear()
    client.psubscriptions.clear()
    client.update_guard()
    client.name = b""
    client.reply_mode = 0
    client.no_evict = False
    client.no_touch = False
    return RESET_REPLY


# --- CLIENT --------------------------------------------------------------------------------

container(
    "client",
    -2,
    group="connection",
    summary="A container for client connection commands.",
    since="2.4.0",
)

_CLIENT_HELP = (
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "SETINFO <option> <value>",
    "    Set client meta attr. Options are:",
    "    * LIB-NAME: the client lib name.",
    "    * LIB-VER: the client lib version.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "NO-TOUCH (ON|OFF)",
    "    Will not touch LRU/LFU stats when this mode is on.",
    "HELP",
    "    Prints this help.",
)


def help_reply(lines: tuple[str, ...]) -> list[SimpleString]:
    """addReplyHelp: every line as a status reply."""
    return [SimpleString(line) for line in lines]


@command(
    "help",
    2,
    "loading stale @connection",
    parent="client",
    group="connection",
    summary="Show helpful text about the different subcommands",
    since="5.0.0",
)
def client_help(client: Client, argv: list[bytes]) -> Any:
    return help_reply(_CLIENT_HELP)


def valid_attr(value: bytes) -> bool:
    """validateClientAttr: printable ASCII without spaces ('!'..'~')."""
    return all(33 <= b <= 126 for b in value)


def set_name(client: Client, name: bytes) -> None:
    if not valid_attr(name):
        raise CommandError(errors.CLIENT_NAME_INVALID)
    client.name = bytes(name)


@command(
    "id",
    2,
    "noscript loading stale",
    parent="client",
    group="connection",
    summary="Returns the client ID for the current connection",
    since="5.0.0",
)
def client_id(client: Client, argv: list[bytes]) -> Any:
    return client.id


@command(
    "setname",
    3,
    "noscript loading stale",
    parent="client",
    group="connection",
    summary="Set the current connection name",
    since="2.6.9",
)
def client_setname(client: Client, argv: list[bytes]) -> Any:
    set_name(client, argv[2])
    return OK


@command(
    "getname",
    2,
    "noscript loading stale",
    parent="client",
    group="connection",
    summary="Get the current connection name",
    since="2.6.9",
)
def client_getname(client: Client, argv: list[bytes]) -> Any:
    return client.name or None


@command(
    "setinfo",
    4,
    "noscript loading stale",
    parent="client",
    group="connection",
    summary="Set client or connection specific info",
    since="7.2.0",
)
def client_setinfo(client: Client, argv: list[bytes]) -> Any:
    attr = argv[2].lower()
    if attr not in (b"lib-name", b"lib-ver"):
        raise CommandError(
            errors.SETINFO_UNRECOGNIZED.format(argv[2].decode("utf-8", "surrogateescape"))
        )
    if not valid_attr(argv[3]):
        raise CommandError(
            errors.SETINFO_INVALID.format(argv[2].decode("utf-8", "surrogateescape"))
        )
    value = argv[3].decode("ascii")
    if attr == b"lib-name":
        client.lib_name = value
    else:
        client.lib_ver = value
    return OK


_CLIENT_TYPES = {
    b"normal": "normal",
    b"slave": "replica",
    b"replica": "replica",
    b"pubsub": "pubsub",
    b"master": "master",
}


def client_type(client: Client) -> str:
    """getClientType: MONITOR clients count as replicas, as in Redis."""
    if client.extra.get("master"):
        return "master"
    if client.extra.get("replica") or client.monitor:
        return "replica"
    if client.subscriptions or client.psubscriptions or client.extra.get("ssubscriptions"):
        return "pubsub"
    return "normal"


def parse_client_type(arg: bytes) -> str:
    kind = _CLIENT_TYPES.get(arg.lower())
    if kind is None:
        raise CommandError(
            errors.UNKNOWN_CLIENT_TYPE.format(arg.decode("utf-8", "surrogateescape"))
        )
    return kind


def client_flags(client: Client) -> str:
    """catClientInfoString's flags, in Redis's order."""
    flags = ""
    if client.monitor:
        flags += "O"
    elif client.extra.get("replica"):
        flags += "S"
    if client.extra.get("master"):
        flags += "M"
    if client.subscriptions or client.psubscriptions:
        flags += "P"
    if client.in_multi:
        flags += "x"
    if client.waiting is not None:
        flags += "b"
    if client.tracking:
        flags += "t"
    if client.watch_dirty:
        flags += "d"
    if client.closing:
        flags += "A"
    if client.extra.get("unix"):
        flags += "U"
    if client.no_evict:
        flags += "e"
    if client.no_touch:
        flags += "T"
    return flags or "N"


def client_info(client: Client, now: float, current: str | None = None) -> str:
    """One CLIENT LIST line (Redis 7.0.15's field set and order), without the newline."""
    transport = client.transport
    omem = transport.get_write_buffer_size() if transport is not None else 0
    qbuf = client.reader.buffered()
    ssub = client.extra.get("ssubscriptions")
    return (
        f"id={client.id} addr={client.addr} laddr={client.laddr} fd={client.fd} "
        f"name={client.name.decode('utf-8', 'replace')} age={int(now - client.created)} "
        f"idle={max(int(now - client.last_interaction), 0)} flags={client_flags(client)} "
        f"db={client.db_index} sub={len(client.subscriptions)} "
        f"psub={len(client.psubscriptions)} ssub={len(ssub) if ssub else 0} "
        f"multi={len(client.multi_queue) if client.in_multi else -1} qbuf={qbuf} qbuf-free=0 "
        f"argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem={omem} "
        f"tot-mem={1024 + qbuf + omem} events={'rw' if omem else 'r'} "
        f"cmd={current or client.last_cmd} user={client.user} redir=-1 resp={client.resp}"
    )


@command(
    "info",
    2,
    "noscript loading stale tip:nondeterministic_output",
    parent="client",
    group="connection",
    summary="Returns information about the current client connection.",
    since="6.2.0",
)
def client_info_cmd(client: Client, argv: list[bytes]) -> Any:
    return Verbatim(client_info(client, time.monotonic(), "client|info") + "\n")


@command(
    "list",
    -2,
    "admin noscript loading stale tip:nondeterministic_output",
    parent="client",
    group="connection",
    summary="Get the list of client connections",
    since="2.4.0",
)
def client_list(client: Client, argv: list[bytes]) -> Any:
    clients = client.server.clients
    if len(argv) == 4 and argv[2].lower() == b"type":
        kind = parse_client_type(argv[3])
        selected = [c for c in clients.values() if client_type(c) == kind]
    elif len(argv) > 3 and argv[2].lower() == b"id":
        selected = []
        for arg in argv[3:]:
            cid = parse_int(arg, errors.INVALID_CLIENT_ID)
            found = clients.get(cid)
            if found is not None:
                selected.append(found)
    elif len(argv) != 2:
        raise SyntaxErr()
    else:
        selected = list(clients.values())
    now = time.monotonic()
    return Verbatim(
        "".join(
            client_info(c, now, "client|list" if c is client else None) + "\n" for c in selected
        )
    )


def _kill(client: Client, victim: Client) -> None:
    if victim is client:
        # the reply still goes out: close once this batch of replies is written
        loop = client.server.loop
        if loop is not None:
            loop.call_soon(victim.close)
    else:
        victim.close()


@command(
    "kill",
    -3,
    "admin noscript loading stale",
    parent="client",
    group="connection",
    summary="Kill the connection of a client",
    since="2.4.0",
)
def client_kill(client: Client, argv: list[bytes]) -> Any:
    server = client.server
    if len(argv) == 3:  # old form: CLIENT KILL addr:port
        addr = argv[2].decode("utf-8", "surrogateescape")
        for victim in list(server.clients.values()):
            if victim.addr == addr:
                _kill(client, victim)
                return OK
        raise CommandError(errors.NO_SUCH_CLIENT)
    cid: int | None = None
    kind: str | None = None
    addr_filter: str | None = None
    laddr_filter: str | None = None
    user: str | None = None
    skipme = True
    i = 2
    while i < len(argv):
        opt = argv[i].lower()
        if i + 1 >= len(argv):
            raise SyntaxErr()
        value = argv[i + 1]
        if opt == b"id":
            cid = parse_int(value, errors.CLIENT_ID_POSITIVE)
            if cid < 1:
                raise CommandError(errors.CLIENT_ID_POSITIVE)
        elif opt == b"type":
            kind = parse_client_type(value)
        elif opt == b"addr":
            addr_filter = value.decode("utf-8", "surrogateescape")
        elif opt == b"laddr":
            laddr_filter = value.decode("utf-8", "surrogateescape")
        elif opt == b"user":
            user = value.decode("utf-8", "surrogateescape")
            if user != "default":
                raise CommandError(errors.NO_SUCH_USER.format(user))
        elif opt == b"skipme":
            low = value.lower()
            if low == b"yes":
                skipme = True
            elif low == b"no":
                skipme = False
            else:
                raise SyntaxErr()
        else:
            raise SyntaxErr()
        i += 2
    killed = 0
    for victim in list(server.clients.values()):
        if (
            (cid is not None and victim.id != cid)
            or (kind is not None and client_type(victim) != kind)
            or (addr_filter is not None and victim.addr != addr_filter)
            or (laddr_filter is not None and victim.laddr != laddr_filter)
            or (user is not None and victim.user != user)
            or (victim is client and skipme)
        ):
            continue
        _kill(client, victim)
        killed += 1
    return killed


@command(
    "reply",
    3,
    "noscript loading stale",
    parent="client",
    group="connection",
    summary="Instruct the server whether to reply to commands",
    since="3.2.0",
)
def client_reply(client: Client, argv: list[bytes]) -> Any:
    from ..server import REPLY_OFF, REPLY_ON, REPLY_SKIP_NEXT

    mode = argv[2].lower()
    if mode == b"on":
        client.reply_mode = REPLY_ON
        return OK
    if mode == b"off":
        client.reply_mode = REPLY_OFF
        return None
    if mode == b"skip":
        if client.reply_mode != REPLY_OFF:
            client.reply_mode = REPLY_SKIP_NEXT
        return None
    raise SyntaxErr()


def _on_off(arg: bytes) -> bool:
    low = arg.lower()
    if low == b"on":
        return True
    if low == b"off":
        return False
    raise SyntaxErr()


@command(
    "no-evict",
    3,
    "admin noscript loading stale",
    parent="client",
    group="connection",
    summary="Set client eviction mode for the current connection",
    since="7.0.0",
)
def client_no_evict(client: Client, argv: list[bytes]) -> Any:
    client.no_evict = _on_off(argv[2])
    return OK


@command(
    "no-touch",
    3,
    "noscript loading stale",
    parent="client",
    group="connection",
    summary="Controls whether commands sent by the client will alter the LRU/LFU of the keys they access.",
    since="7.2.0",
)
def client_no_touch(client: Client, argv: list[bytes]) -> Any:
    client.no_touch = _on_off(argv[2])
    return OK


@command(
    "pause",
    -3,
    "admin noscript loading stale",
    parent="client",
    group="connection",
    summary="Stop processing commands from clients for some time",
    since="2.9.50",
)
def client_pause(client: Client, argv: list[bytes]) -> Any:
    write_only = False
    if len(argv) == 4:
        mode = argv[3].lower()
        if mode == b"write":
            write_only = True
        elif mode != b"all":
            raise CommandError(errors.PAUSE_MODE)
    ms = parse_int(argv[2], errors.TIMEOUT_NOT_INT)
    if ms < 0:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    client.server.pause_clients(ms / 1000.0, write_only)
    return OK


@command(
    "unpause",
    2,
    "admin noscript loading stale",
    parent="client",
    group="connection",
    summary="Resume processing of clients that were paused",
    since="6.2.0",
)
def client_unpause(client: Client, argv: list[bytes]) -> Any:
    client.server.unpause_clients()
    return OK


@command(
    "unblock",
    -3,
    "admin noscript loading stale",
    parent="client",
    group="connection",
    summary="Unblock a client blocked in a blocking command from a different connection",
    since="5.0.0",
)
def client_unblock(client: Client, argv: list[bytes]) -> Any:
    error = False
    if len(argv) == 4:
        reason = argv[3].lower()
        if reason == b"error":
            error = True
        elif reason != b"timeout":
            raise CommandError(errors.UNBLOCK_REASON)
    elif len(argv) > 4:
        raise SyntaxErr()
    cid = parse_int(argv[2])
    server = client.server
    target = server.clients.get(cid)
    if target is None or target.waiting is None:
        return 0
    registry = server.extensions.get("blocking")
    if registry is not None and registry.unblock(target, error):
        return 1
    for hook in server.extensions.get("unblock_hooks", ()):
        if hook(target, error):
            return 1
    return 0


@command(
    "getredir",
    2,
    "noscript loading stale",
    parent="client",
    group="connection",
    summary="Get tracking notifications redirection client ID if any",
    since="6.0.0",
)
def client_getredir(client: Client, argv: list[bytes]) -> Any:
    return -1


@command(
    "trackinginfo",
    2,
    "noscript loading stale",
    parent="client",
    group="connection",
    summary="Return information about server assisted client side caching for the current connection",
    since="6.2.0",
)
def client_trackinginfo(client: Client, argv: list[bytes]) -> Any:
    return {"flags": [SimpleString("off")], "redirect": -1, "prefixes": []}
