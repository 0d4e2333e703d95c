"""Every error reply the server sends, exactly as it goes on the wire (after the leading '-').

Clients pick exception classes by the first word (redis-py's EXCEPTION_CLASSES), so the
prefix of each string matters as much as the text. Keyspace code raises these typed
errors; only the protocol encoder turns them into bytes.
"""

from __future__ import annotations


class CommandError(Exception):
    """An error reply. `message` is the full wire text without the leading '-'."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        # Redis and RedisAI both replace CR/LF inside error texts with spaces.
        self.message = message.replace("\r", " ").replace("\n", " ")


class ProtocolError(Exception):
    """Malformed request bytes: the connection gets this reply and is then closed."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- generic ---------------------------------------------------------------------------

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
OVERFLOW = "ERR increment or decrement would overflow"
NO_SUCH_KEY = "ERR no such key"
DB_INDEX_OUT_OF_RANGE = "ERR DB index is out of range"
INVALID_DB_INDEX = "ERR invalid DB index"
INVALID_EXPIRE = "ERR invalid expire time in '{}' command"
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
AUTH_NOT_CONFIGURED = (
    "ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?"
)
UNKNOWN_COMMAND = "ERR unknown command '{}', with args beginning with: {}"
WRONG_ARITY = "ERR wrong number of arguments for '{}' command"
UNKNOWN_SUBCOMMAND = "ERR unknown subcommand '{}'. Try {} HELP."
NOPROTO = "NOPROTO unsupported protocol version"
MAX_CLIENTS = "ERR max number of clients reached"
INCR_NAN = "ERR increment would produce NaN or Infinity"
STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
OFFSET_OUT_OF_RANGE = "ERR offset is out of range"
SAME_OBJECT = "ERR source and destination objects are the same"
OOM = "OOM command not allowed when used memory > 'maxmemory'."
READONLY = "READONLY You can't write against a read only replica."
LOADING = "LOADING Redis is loading the dataset in memory"
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
TIMEOUT_NEGATIVE = "ERR timeout is negative"

# --- protocol (Redis's processMultibulkBuffer / processInlineBuffer) ------------------

PROTO_INVALID_MULTIBULK = "ERR Protocol error: invalid multibulk length"
PROTO_INVALID_BULK = "ERR Protocol error: invalid bulk length"
PROTO_EXPECTED_DOLLAR = "ERR Protocol error: expected '$', got '{}'"
PROTO_BIG_MBULK = "ERR Protocol error: too big mbulk count string"
PROTO_BIG_BULK = "ERR Protocol error: too big bulk count string"
PROTO_BIG_INLINE = "ERR Protocol error: too big inline request"
PROTO_UNBALANCED_QUOTES = "ERR Protocol error: unbalanced quotes in request"
PROTO_UNAUTH_MULTIBULK = "ERR Protocol error: unauthenticated multibulk length"
PROTO_UNAUTH_BULK = "ERR Protocol error: unauthenticated bulk length"


class WrongTypeError(CommandError):
    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(WRONGTYPE)


class SyntaxErr(CommandError):
    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(SYNTAX)


class NotIntegerError(CommandError):
    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(NOT_INTEGER)


class NotFloatError(CommandError):
    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(NOT_FLOAT)


# --- sections appended by command groups (each group edits only its own section) -----

# --- strings / generic keyspace ---

# --- connection / server ---

# --- hashes / lists / sets ---

# --- zsets / transactions / pubsub ---

# --- RedisAI: tensors ---

# --- RedisAI: models / backends / engine ---
