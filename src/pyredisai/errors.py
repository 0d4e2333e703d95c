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

INVALID_CURSOR = "ERR invalid cursor"
DECR_OVERFLOW = "ERR decrement would overflow"
EXPIRE_OPTION_UNSUPPORTED = "ERR Unsupported option {}"
EXPIRE_NX_CONFLICT = "ERR NX and XX, GT or LT options at the same time are not compatible"
EXPIRE_GT_LT_CONFLICT = "ERR GT and LT options at the same time are not compatible"
LCS_NOT_STRINGS = "ERR The specified keys must contain string values"
LCS_IDX_AND_LEN = "ERR If you want both the length and indexes, please just use IDX."
LCS_TOO_LONG = "ERR String too long for LCS"
LCS_OUT_OF_MEMORY = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
MODULE_KEY_NO_COPY = "ERR not supported for this module key"
INT_OUT_OF_RANGE = "ERR value is out of range, value must between -2147483648 and 2147483647"
OBJECT_FREQ_NO_LFU = (
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
    "Please note that when switching between policies at runtime LRU and LFU data "
    "will take some time to adjust."
)
OBJECT_IDLETIME_LFU = (
    "ERR An LFU maxmemory policy is selected, idle time not tracked. "
    "Please note that when switching between policies at runtime LRU and LFU data "
    "will take some time to adjust."
)

# --- connection / server ---

CLIENT_NAME_INVALID = "ERR Client names cannot contain spaces, newlines or special characters."
HELLO_NOAUTH = (
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
    "HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
    "the RESP protocol version at the same time"
)
HELLO_PROTO_NOT_INT = "ERR Protocol version is not an integer or out of range"
HELLO_SYNTAX = "ERR Syntax error in HELLO option '{}'"
INVALID_FIRST_DB = "ERR invalid first DB index"
INVALID_SECOND_DB = "ERR invalid second DB index"
NO_SUCH_CLIENT = "ERR No such client"
CLIENT_ID_POSITIVE = "ERR client-id should be greater than 0"
UNKNOWN_CLIENT_TYPE = "ERR Unknown client type '{}'"
INVALID_CLIENT_ID = "ERR Invalid client ID"
NO_SUCH_USER = "ERR No such user '{}'"
UNBLOCK_REASON = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
PAUSE_MODE = "ERR CLIENT PAUSE mode must be WRITE or ALL"
TIMEOUT_NOT_INT = "ERR timeout is not an integer or out of range"
SETINFO_UNRECOGNIZED = "ERR Unrecognized option '{}'"
SETINFO_INVALID = "ERR {} cannot contain spaces, newlines or special characters."
CONFIG_SET_FAILED = "ERR CONFIG SET failed (possibly related to argument '{}') - {}"
CONFIG_REWRITE_FAILED = "ERR Rewriting config file: {}"
PROTECTED_CONFIG = "can't set protected config"
SLOWLOG_COUNT = "ERR count should be greater than or equal to -1"
SHUTDOWN_FAILED = "ERR Errors trying to SHUTDOWN. Check logs."
NO_SHUTDOWN_IN_PROGRESS = "ERR No shutdown in progress."
SHUTDOWN_DENY_BLOCKING = "ERR SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client"
MONITOR_DENY_BLOCKING = "ERR MONITOR isn't allowed for DENY BLOCKING client"
DEBUG_NOT_ALLOWED = (
    'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", '
    "you can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server."
)
DEBUG_UNKNOWN = "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP."
GETKEYS_INVALID_COMMAND = "ERR Invalid command specified"
GETKEYS_NO_KEYS = "ERR The command has no key arguments"
GETKEYS_BAD_ARITY = "ERR Invalid number of arguments specified for command"
GETKEYS_BAD_ARGS = "ERR Invalid arguments specified for command"
INT_OUT_OF_RANGE = "ERR value is out of range, value must between -2147483648 and 2147483647"
LATENCY_NO_SAMPLES = "ERR No samples available for event '{}'"
MODULE_LOAD_FAILED = "ERR Error loading the extension. Please check the server logs."
MODULE_UNLOAD_FAILED = "ERR Error unloading module: no such module with that name"

# --- hashes / lists / sets ---

HASH_NOT_INTEGER = "ERR hash value is not an integer"
HASH_NOT_FLOAT = "ERR hash value is not a float"
INCR_IS_NAN_OR_INF = "ERR value is NaN or Infinity"
VALUE_OUT_OF_RANGE = "ERR value is out of range"
VALUE_MUST_BE_POSITIVE = "ERR value is out of range, must be positive"
VALUE_OUT_OF_LONG_RANGE = (
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
)
INDEX_OUT_OF_RANGE = "ERR index out of range"
LPOS_RANK_ZERO = (
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
    "or use negative to start from the end of the list"
)
LPOS_COUNT_NEGATIVE = "ERR COUNT can't be negative"
LPOS_MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative"
NUMKEYS_NOT_POSITIVE = "ERR numkeys should be greater than 0"
COUNT_NOT_POSITIVE = "ERR count should be greater than 0"
NUMKEYS_OVER_ARGS = "ERR Number of keys can't be greater than number of args"
LIMIT_NEGATIVE = "ERR LIMIT can't be negative"
UNBLOCKED = "UNBLOCKED client unblocked via CLIENT UNBLOCK"

# --- zsets / transactions / pubsub ---

ZADD_XX_NX = "ERR XX and NX options at the same time are not compatible"
ZADD_GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible"
ZADD_INCR_PAIR = "ERR INCR option supports a single increment-element pair"
ZSCORE_NAN = "ERR resulting score is not a number (NaN)"
ZRANGE_NOT_FLOAT = "ERR min or max is not a float"
ZRANGE_NOT_LEX = "ERR min or max not valid string range item"
ZRANGE_LIMIT_RANK = (
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
)
ZRANGE_WITHSCORES_LEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
ZSET_NEED_KEYS = "ERR at least 1 input key is needed for '{}' command"
ZSET_WEIGHT_NOT_FLOAT = "ERR weight value is not a float"
OUT_OF_RANGE_POSITIVE = "ERR value is out of range, must be positive"
OUT_OF_RANGE = "ERR value is out of range"
OUT_OF_RANGE_BETWEEN = "ERR value is out of range, value must between {} and {}"
MULTI_NESTED = "ERR MULTI calls can not be nested"
EXEC_WITHOUT_MULTI = "ERR EXEC without MULTI"
DISCARD_WITHOUT_MULTI = "ERR DISCARD without MULTI"
WATCH_IN_MULTI = "ERR WATCH inside MULTI is not allowed"
EXECABORT = "EXECABORT Transaction discarded because of previous errors."
# CONFIG SET notify-keyspace-events with a letter outside the classes (config.py wiring)
NOTIFY_BAD_CLASS = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."

# --- RedisAI: tensors ---

TENSOR_INVALID_DTYPE = "ERR invalid data type"
TENSOR_INVALID_SHAPE = "ERR invalid or negative value found in tensor shape"
TENSOR_BLOB_ARGS = (
    "ERR a single binary string should come after the BLOB argument in 'AI.TENSORSET' command"
)
TENSOR_VALUES_COUNT = "ERR wrong number of values was given in 'AI.TENSORSET' command"
TENSOR_INVALID_VALUE = "ERR invalid value"
TENSOR_DATA_LENGTH = "ERR data length does not match tensor shape and type"
TENSOR_BOOL_ELEMENTS = "ERR BOOL tensor elements must be 0 or 1"
TENSOR_STRING_ELEMENTS = "ERR Number of string elements in data blob does not match tensor length"
TENSOR_STRING_NUL = "ERR C-string value contains null character"
TENSOR_KEY_EMPTY = "ERR tensor key is empty or in a different shard"
TENSOR_UNSUPPORTED_FORMAT = "ERR unsupported data format"
TENSOR_BLOB_AND_VALUES = "ERR both BLOB and VALUES specified"
TENSOR_UNSUPPORTED_DTYPE = "ERR unsupported dtype"
TENSOR_CANNOT_GET_VALUES = "ERR cannot get values for this data type"
TENSOR_TOO_LARGE = (
    "ERR tensor size exceeds proto-max-bulk-len"  # pyredisai: RedisAI would try to allocate
)

# --- RedisAI: models / backends / engine ---
# commands (ai_model, ai_info, ai_common): RedisAI's own texts, prefix exactly as sent
AI_IN_TRANSACTION = "ERR Cannot run RedisAI command within a transaction or a LUA script"
UNSUPPORTED_BACKEND = "ERR unsupported backend"
INVALID_DEVICE = "ERR Invalid DEVICE"
INVALID_BATCHSIZE = "ERR Invalid argument for BATCHSIZE"
INVALID_MINBATCHSIZE = "ERR Invalid argument for MINBATCHSIZE"
MINBATCHSIZE_WITHOUT_BATCHSIZE = "ERR MINBATCHSIZE specified without BATCHSIZE"
INVALID_MINBATCHTIMEOUT = "ERR Invalid argument for MINBATCHTIMEOUT"
MINBATCHTIMEOUT_WITHOUT_MINBATCHSIZE = "ERR MINBATCHTIMEOUT specified without MINBATCHSIZE"
MINBATCHTIMEOUT_WITHOUT_BATCHSIZE = "ERR MINBATCHTIMEOUT specified without BATCHSIZE"
TFLITE_NO_AUTOBATCHING = "ERR Auto-batching not supported by the TFLITE backend"
MISSING_MODEL_BLOB = "ERR Insufficient arguments, missing model BLOB"
TF_INPUTS_NOT_SPECIFIED = "ERR INPUTS not specified for TF"
TF_OUTPUTS_NOT_SPECIFIED = "ERR OUTPUTS not specified for TF"
INVALID_INPUT_COUNT = "ERR Invalid argument for input_count"
INVALID_OUTPUT_COUNT = "ERR Invalid argument for output_count"
MODEL_INPUTS_ARGS = "ERR number of model inputs does not match the number of given arguments"
MODEL_OUTPUTS_ARGS = "ERR number of model outputs does not match the number of given arguments"
INPUTS_NOT_FOR_BACKEND = "ERR INPUTS argument should not be specified for this backend"
EXPECTED_BLOB = "ERR Invalid argument, expected BLOB"
MODELSET_NO_IO = "ERR Insufficient arguments, INPUTS and OUTPUTS not specified"
INPUTS_NOT_SPECIFIED = "ERR INPUTS not specified"
OUTPUTS_NOT_SPECIFIED = "ERR OUTPUTS not specified"
COULD_NOT_LOAD_BACKEND = "ERR Could not load backend"
MODEL_KEY_EMPTY = "ERR model key is empty"
MODELEXECUTE_ARITY = "ERR wrong number of arguments for 'AI.MODELEXECUTE' command"
MODELRUN_ARITY = "ERR wrong number of arguments for 'AI.MODELRUN' command"
INPUT_COUNT_NOT_POSITIVE = "ERR Input count must be a positive integer"
OUTPUT_COUNT_NOT_POSITIVE = "ERR Output count must be a positive integer"
MODEL_OUTPUTS_MISMATCH = "Number of keys given as OUTPUTS here does not match model definition"
EXECUTE_INPUT_KEYS = "ERR number of input keys to AI.MODELEXECUTE command does not match the number of given arguments"
EXECUTE_OUTPUT_KEYS = "ERR number of output keys to AI.MODELEXECUTE command does not match the number of given arguments"
INVALID_ARGUMENT = "Invalid argument: {}"  # no ERR: RedisAI's own text
TIMEOUT_NO_VALUE = "ERR No value provided for TIMEOUT"
TIMEOUT_INVALID = "ERR Invalid value for TIMEOUT"
RUN_INFO_NOT_FOUND = "ERR cannot find run info for key"
AI_UNSUPPORTED_SUBCOMMAND = "ERR unsupported subcommand"
ERROR_LOADING_BACKEND = "ERR error loading backend"
BACKENDSPATH_MISSING = "ERR BACKENDSPATH: missing path argument"
CHUNK_SIZE_MISSING = "ERR MODEL_CHUNK_SIZE: missing chunk size"
CHUNK_SIZE_INVALID = "ERR MODEL_CHUNK_SIZE: invalid chunk size"
# backends (pyredisai.backends): texts RedisAI's backend libraries produce themselves
UNSUPPORTED_DEVICE = "ERR unsupported device"  # TF, TORCH, ONNX (backend-level device parse)
UNSUPPORTED_DEVICE_TFLITE = "ERR Unsupported device"
GPU_NO_CUDA_TF = "ERR GPU requested but TF couldn't find CUDA"
GPU_NO_CUDA_ONNX = "ERR GPU requested but ONNX couldn't find CUDA"
GPU_NO_CUDA_TORCH = "GPU requested but Torch couldn't find CUDA"  # no ERR: Torch's own text
TF_GPU_ORDINAL = "ERR GPU:{index} requested but TF found {count} GPU(s)"  # pyredisai
# pyredisai: RedisAI says "ERR Could not load backend"; we keep that start and name the extra
BACKEND_NOT_INSTALLED = (
    "ERR Could not load backend {backend}: not installed, run pip install 'pyredisai[{extra}]'"
)
TF_INVALID_GRAPHDEF = "Invalid GraphDef"
TF_INPUT_NOT_FOUND = 'ERR Input node named "{name}" not found in TF graph.'
TF_OUTPUT_NOT_FOUND = 'ERR Output node named "{name}" not found in TF graph'
MODEL_INPUTS_MISMATCH = "Number of keys given as INPUTS here does not match model definition"
MODEL_OUTPUTS_COUNT = "ERR Model did not generate the expected number of outputs"  # TORCH, TFLITE
TORCH_NON_TENSOR_OUTPUT = "Function returned non-tensor values{fn}"  # sic: no separator
TORCH_OUTPUTS_COUNT = "Function returned unexpected number of outputs - {fn}"
TORCH_INTER_OP_STARTED = "Cannot set number of inter-op threads after parallel work has started"
TORCH_INTRA_OP_STARTED = "Cannot set number of intra-op threads after parallel work has started"
TORCH_OUTPUTS_NUMBER = "Erorr while trying to retrive model outputs number: {what}"  # sic
TORCH_DLPACK_UNSUPPORTED = "{name} is not supported by dlpack"  # output dtype, e.g. BFloat16
TORCH_UINT16_INPUT = "Unsupported kUInt bits 16"
TORCH_STRING_INPUT = "Unsupported code 7"  # DLPack code of STRING in RedisAI's fork
ONNX_EXPECTED_INPUTS = "ERR Expected {expected} inputs but got {got}"
ONNX_MEMORY_LIMIT = "Onnxruntime memory limit exceeded, memory allocation failed."
ONNX_INIT_EXCEPTION = "Exception during initialization: {message}"
ONNX_EXTERNAL_DATA = "Initializer tensors with external data is not allowed."
ONNX_STRING_NOT_UTF8 = "ERR ONNX STRING tensors must hold UTF-8 text: {detail}"  # pyredisai
TFLITE_LOAD_FAILED = "Failed to load model from buffer"
TFLITE_ALLOCATE_FAILED = "Failed to allocate tensors"
TFLITE_INPUTS_COUNT = "Inconsistent number of inputs"
TFLITE_RESIZE_FAILED = "Failed to resize input tensors"
TFLITE_INVOKE_FAILED = "Failed to invoke TfLite"
TFLITE_INPUT_TYPE = "Input tensor type doesn't match the type expected by the model definition"
TFLITE_INPUT_FLOAT16 = "Float16 not currently supported as input tensor data type"
TFLITE_INPUT_UNSUPPORTED = "Unsupported input data type"
TFLITE_OUTPUT_FLOAT16 = "Float16 not currently supported as output tensor data type"
TFLITE_OUTPUT_UNSUPPORTED = "Unsupported output data type"
BATCH_SIZE_MISMATCH = "ERR Model did not generate the expected batch size"  # TORCH, TFLITE, ONNX
TF_BATCH_SIZE_MISMATCH = (
    "ERR Tensorflow batching error: model did not generate the expected batch size"
)
ENGINE_SHUT_DOWN = "ERR the run queues were shut down"  # pyredisai: pending runs at shutdown
# scripts (ai_script, backends.torch_script): RedisAI's texts, prefix exactly as sent
SCRIPT_KEY_EMPTY = "ERR script key is empty"
SCRIPT_EP_COUNT_NOT_NUMERIC = (
    "ERR Non numeric entry points number provided to AI.SCRIPTSTORE command"
)
SCRIPT_MISSING_ENTRY_POINTS = "ERR Insufficient arguments, missing script entry points"
SCRIPT_MISSING_SOURCE = "ERR Insufficient arguments, missing script SOURCE"
SCRIPT_EP_NOT_FOUND = "Function {name} does not exist in the given script."
SCRIPT_EP_ARG_COUNT = "Wrong number of inputs in function {name}. Expected 3 but was {count}"
SCRIPT_EP_ARG_TYPES = (
    "Wrong inputs type in function {name}. Expected signature similar to: "
    "def {name}(tensors: List[Tensor], keys: List[str], args: List[str])"
)
SCRIPT_FN_NOT_FOUND = "Function does not exist: {fn}"
SCRIPT_FN_INPUT_COUNT = "Wrong number of inputs provided to function: {fn}"
SCRIPT_FN_INPUT_TYPE = "Unsupported input type in function definition: {fn}"
SCRIPTEXECUTE_ARITY = "ERR wrong number of arguments for 'AI.SCRIPTEXECUTE' command"
SCRIPTRUN_ARITY = "ERR wrong number of arguments for 'AI.SCRIPTRUN' command"
SCRIPTEXECUTE_SCOPE_FIRST = (
    "ERR KEYS or INPUTS scope must be provided first for AI.SCRIPTEXECUTE command"
)
SCRIPTEXECUTE_KEYS_MISSING = "ERR Missing arguments after KEYS keyword"
SCRIPTEXECUTE_KEYS_COUNT = "ERR Invalid or negative value found in number of KEYS"
SCRIPTEXECUTE_KEYS_ARGS = (
    "ERR Number of pre declared KEYS to be used in the command does not match the number "
    "of given arguments"
)
SCRIPTEXECUTE_INVALID_ARGS = "ERR Invalid arguments provided to AI.SCRIPTEXECUTE"
SCRIPTEXECUTE_INPUTS_COUNT = "ERR Invalid argument for inputs count in AI.SCRIPTEXECUTE"
SCRIPTEXECUTE_ARGS_COUNT = "ERR Invalid argument for keys count in AI.SCRIPTEXECUTE"  # sic
SCRIPTEXECUTE_OUTPUTS_COUNT = "ERR Invalid argument for outputs count in AI.SCRIPTEXECUTE"
SCRIPTEXECUTE_SCOPE_ARGS = (
    "ERR number of {scope} to AI.SCRIPTEXECUTE command does not match the number of given "
    "arguments"
)  # scope: inputs, args, outputs
SCRIPTEXECUTE_SCOPE_AGAIN = "ERR Already Encountered {scope} scope in AI.SCRIPTEXECUTE command"
SCRIPTEXECUTE_TIMEOUT_NO_VALUE = "ERR No value provided for TIMEOUT in AI.SCRIPTEXECUTE"
SCRIPTEXECUTE_PARSE_PROBLEM = "ERR Encountered problem parsing AI.SCRIPTEXECUTE"
SCRIPTEXECUTE_UNEXPECTED = "ERR Invalid AI.SCRIPTEXECUTE command. Unexpected argument: {word}"
SCRIPTRUN_TIMEOUT_AGAIN = "ERR Already encountered an TIMEOUT section in SCRIPTRUN"
SCRIPTRUN_INPUTS_SECTION_AGAIN = "ERR Already encountered an INPUTS section in SCRIPTRUN"
SCRIPTRUN_INPUTS_KEYWORD_AGAIN = "ERR Already encountered an INPUTS keyword in SCRIPTRUN"
SCRIPTRUN_OUTPUTS_KEYWORD_AGAIN = "ERR Already encountered an OUTPUTS keyword in SCRIPTRUN"
SCRIPTRUN_VARIADIC_OUTSIDE = (
    "ERR Encountered a variable size list of tensors outside of input section"
)
SCRIPTRUN_VARIADIC_AGAIN = "ERR Already encountered a variable size list of tensors"
SCRIPTRUN_UNRECOGNIZED = "ERR Unrecongnized parameter to SCRIPTRUN"  # sic
REDIS_CALL_ERROR = "Redis command returned an error: {text}"  # redis.execute in a script
REDIS_CALL_EINVAL = "Invalid argument"  # strerror(EINVAL): wrong arity
REDIS_CALL_ENOENT = "No such file or directory"  # strerror(ENOENT): unknown command
# pyredisai: commands a script cannot run (transactions, pub/sub, blocking waits)
REDIS_CALL_NOT_ALLOWED = "ERR This Redis command is not allowed from script"
REDIS_CALL_OUTSIDE_RUN = "redis.execute is only available while the server runs the script"
REDIS_CALL_SHUTDOWN = "ERR server is shutting down"
# DAGs (ai_dag, engine.dag)
DAGEXECUTE_MISSING_ARGS = "ERR missing arguments for '{name}' command"  # fixed upper-case name
DAGRUN_ARITY = "ERR wrong number of arguments for '{name}' command"  # fixed upper-case name
DAG_LOAD_MISSING = "ERR missing arguments after LOAD keyword in DAG command"
DAG_LOAD_COUNT = "ERR invalid or negative value found in number of keys to LOAD"
DAG_LOAD_ARGS = "ERR number of keys to LOAD into DAG does not match the number of given arguments"
DAG_PERSIST_MISSING = "ERR missing arguments after PERSIST keyword in DAG command"
DAG_PERSIST_COUNT = "ERR invalid or negative value found in number of keys to PERSIST"
DAG_PERSIST_UNIQUE = "ERR PERSIST keys must be unique"
DAG_PERSIST_ARGS = (
    "ERR number of keys to PERSIST after DAG execution does not match the number of given arguments"
)
DAG_PERSIST_READONLY = "ERR PERSIST cannot be specified in a read-only DAG"
DAG_ROUTING_MISSING = "ERR Missing ROUTING value"
DAG_UNEXPECTED = "ERR Invalid DAG command. Unexpected argument:  {word}"  # sic: two spaces
DAG_NEEDS_KEYWORD = (
    "ERR AI.DAGEXECUTE and AI.DAGEXECUTE_RO commands must contain at least one out of "
    "ROUTING, LOAD, PERSIST keywords"
)
DAG_EMPTY = "ERR DAG is empty"
DAG_UNSUPPORTED_OP = "Unsupported command within DAG"
DAG_RO_SCRIPTEXECUTE = "ERR AI.SCRIPTEXECUTE command cannot be specified in a read-only DAG"
DAG_DEPRECATED_OP = "Deprecated {cmd} cannot be used in AI.DAGEXECUTE command"
DAG_NEW_OP_IN_DAGRUN = "{cmd} cannot be used in a deprecated AI.DAGRUN command"
DAG_TIMEOUT_IN_OP = "ERR TIMEOUT not allowed within a DAG command"
DAG_INPUT_NOT_FOUND = "ERR INPUT key cannot be found in DAG"
DAG_PERSIST_NOT_FOUND = "ERR PERSIST key cannot be found in DAG"
DAG_TENSORSET_ARITY = "wrong number of arguments for 'AI.TENSORSET' command"  # no ERR
DAG_TENSORGET_ARITY = "wrong number of arguments for 'AI.TENSORGET' command"  # no ERR
