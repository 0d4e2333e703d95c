"""TorchScript scripts: compile a source into callable functions and run them, as
RedisAI's TORCH backend does for AI.SCRIPTSTORE / AI.SCRIPTEXECUTE (`src/backends/torch.c`,
`libtorch_c/torch_c.cpp`, `libtorch_c/torch_extensions/torch_redis.cpp`).

Compiling resolves the names RedisAI puts in scope (`torch`, `redis`, `redisAI`, matched
case-insensitively, plus the typing names scripts annotate with) and checks each declared
entry point's signature. Running follows RedisAI's calling convention (reference 5.1): an
entry point gets `(tensors, keys, args)`; any other function is called "best effort",
its parameters filled with input tensors.

Calls back into the server (`redis.execute`, `redis.asList`, `redisAI.model_execute`)
are TorchScript custom operators registered once per process with `torch.library`,
declared side-effecting (CONSERVATIVE alias analysis) so dead-code elimination never
drops a `redis.execute("SET", ...)` whose result is unused. Their Python kernels forward
to the `ScriptCallbacks` of the run in progress on the calling thread (the TorchScript
interpreter calls them on the thread that runs the script). This module imports nothing
from the server: the command layer passes the callbacks in with each run.

Call order: `compile_script(source, device, entry_points)` once (any thread), then
`script.run(fn, inputs, keys, args, n_outputs, callbacks)` from any thread, concurrently;
the GIL is released while TorchScript runs, except inside the callbacks.
"""

from __future__ import annotations

import threading
import typing
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import torch

from ..errors import (
    GPU_NO_CUDA_TORCH,
    REDIS_CALL_OUTSIDE_RUN,
    SCRIPT_EP_ARG_COUNT,
    SCRIPT_EP_ARG_TYPES,
    SCRIPT_EP_NOT_FOUND,
    SCRIPT_FN_INPUT_COUNT,
    SCRIPT_FN_INPUT_TYPE,
    SCRIPT_FN_NOT_FOUND,
    TORCH_NON_TENSOR_OUTPUT,
    TORCH_OUTPUTS_COUNT,
    UNSUPPORTED_DEVICE,
)
from .base import Array, BackendError
from .device import parse_device
from .torch import _inference_guard, _to_numpy, _to_torch, cuda_available

_ENTRY_POINT_TYPES = ("List[Tensor]", "List[str]", "List[str]")
_INT32 = 1 << 32


class CallbackError(Exception):
    """Raised by a `ScriptCallbacks` method: `message` is the exact text the script's
    exception carries (e.g. `Redis command returned an error: WRONGTYPE ...`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ScriptCallbacks(Protocol):
    """What a running script can ask of the server. Implementations decide where the
    work happens (the keyspace belongs to the event-loop thread) and may block."""

    def execute(self, argv: list[str]) -> Any:
        """Run a Redis command. Returns None, bytes, int or (nested) lists of those;
        raises CallbackError with the full error text."""
        ...

    def model_execute(self, key: str, inputs: list[Array], num_outputs: int) -> list[Array]:
        """Run the model stored at `key` synchronously on the calling thread; raises
        CallbackError with the model's (or the lookup's) error text."""
        ...


_local = threading.local()  # .callbacks: the ScriptCallbacks of the run on this thread


# -- custom operators -----------------------------------------------------------------------


def _current() -> ScriptCallbacks:
    callbacks: ScriptCallbacks | None = getattr(_local, "callbacks", None)
    if callbacks is None:
        raise RuntimeError(REDIS_CALL_OUTSIDE_RUN)
    return callbacks


def _script_value(value: Any) -> Any:
    """A reply as TorchScript sees it (RedisAI's IValueFromRedisReply): bulk and status
    strings become str (cut at a NUL, as RedisAI builds them from C strings), integers
    are truncated to 32 bits, arrays become tuples so that mixed element types convert
    to an `Any` value (`redis.asList` turns them into a List[Any])."""
    if value is None:
        return None
    kind = type(value)
    if kind is bytes or kind is bytearray or kind is memoryview:
        raw = bytes(value)
        nul = raw.find(0)
        if nul != -1:
            raw = raw[:nul]
        return raw.decode("utf-8", "replace")
    if kind is str:
        return value.split("\0", 1)[0]
    if kind is int or kind is bool:
        number = int(value) & (_INT32 - 1)
        return number - _INT32 if number >= 1 << 31 else number
    if kind is list or kind is tuple:
        return tuple(_script_value(v) for v in value)
    return str(value)


def _op_execute(command: str, args: list[str]) -> Any:
    argv = [command.split("\0", 1)[0], *(a.split("\0", 1)[0] for a in args)]
    try:
        reply = _current().execute(argv)
    except CallbackError as exc:
        raise RuntimeError(exc.message) from None
    return _script_value(reply)


def _op_as_list(value: Any) -> list[Any]:
    if isinstance(value, tuple | list):
        return list(value)
    raise RuntimeError("Expected GenericList but got " + type(value).__name__)


def _op_model_execute(key: str, inputs: list[torch.Tensor], num_outputs: int) -> list[torch.Tensor]:
    try:
        arrays = [_to_numpy(t) for t in inputs]
        outputs = _current().model_execute(key, arrays, num_outputs)
        return [_to_torch(np.ascontiguousarray(out)) for out in outputs if out is not None]
    except CallbackError as exc:
        raise RuntimeError(exc.message) from None
    except BackendError as exc:
        raise RuntimeError(exc.message) from None


_libraries: list[Any] = []  # keeps the registrations alive for the process
_register_lock = threading.Lock()


def _register_ops() -> None:
    """Define redis::execute, redis::asList and redisAI::model_execute (once)."""
    with _register_lock:
        if _libraries:
            return
        redis_lib = torch.library.Library("redis", "DEF")
        redis_lib.define("execute(str command, str[] args) -> Any", alias_analysis="CONSERVATIVE")
        redis_lib.define("asList(Any value) -> Any[]", alias_analysis="CONSERVATIVE")
        redis_lib.impl("execute", _op_execute, "CompositeExplicitAutograd")
        redis_lib.impl("asList", _op_as_list, "CompositeExplicitAutograd")
        ai_lib = torch.library.Library("redisAI", "DEF")
        ai_lib.define(
            "model_execute(str model_key, Tensor[] inputs, int num_outputs) -> Tensor[]",
            alias_analysis="CONSERVATIVE",
        )
        ai_lib.impl("model_execute", _op_model_execute, "CompositeExplicitAutograd")
        _libraries.extend((redis_lib, ai_lib))


def _scope() -> dict[str, Any]:
    _register_ops()
    return {
        "torch": torch,
        "redis": torch.ops.redis,
        "redisai": torch.ops.redisAI,
    }


_TYPING_NAMES: dict[str, Any] = {
    "List": typing.List,  # noqa: UP006 - TorchScript resolves the typing aliases
    "Dict": typing.Dict,  # noqa: UP006
    "Tuple": typing.Tuple,  # noqa: UP006
    "Optional": typing.Optional,
    "Union": typing.Union,
    "Any": typing.Any,
    "Tensor": torch.Tensor,
}


# -- compiling ------------------------------------------------------------------------------


def compile_script(source: str, device: str, entry_points: Sequence[str]) -> CompiledScript:
    """Compile `source` for `device` and check each entry point (reference 5.3 steps 8-9).

    Raises BackendError with RedisAI's text: an unparsable device, TorchScript's own
    compilation message, a GPU without CUDA, or the first entry point that is missing or
    does not take `(tensors: List[Tensor], keys: List[str], args: List[str])`."""
    dev = parse_device(device)
    if dev is None:
        raise BackendError(UNSUPPORTED_DEVICE)
    modules = _scope()

    def resolve(name: str) -> Any:
        found = _TYPING_NAMES.get(name)
        if found is None:
            found = modules.get(name.lower())
        return found

    unit = torch.jit.CompilationUnit()
    try:
        unit.define(source, resolve)
    except Exception as exc:
        raise BackendError(str(exc)) from None
    if dev.gpu and not cuda_available():
        raise BackendError(GPU_NO_CUDA_TORCH)
    script = CompiledScript(unit, list(entry_points))
    for name in entry_points:
        fn = script.function(name)
        if fn is None:
            raise BackendError(SCRIPT_EP_NOT_FOUND.format(name=name))
        types = [str(arg.type) for arg in fn.schema.arguments]
        if len(types) != 3:
            raise BackendError(SCRIPT_EP_ARG_COUNT.format(name=name, count=len(types)))
        if tuple(types) != _ENTRY_POINT_TYPES:
            raise BackendError(SCRIPT_EP_ARG_TYPES.format(name=name))
    return script


# -- running --------------------------------------------------------------------------------

_TENSOR = 0
_TENSOR_LIST = 1


class CompiledScript:
    """The functions of one compiled source. Running is thread-safe."""

    def __init__(self, unit: Any, entry_points: list[str]) -> None:
        self._unit = unit
        self.entry_points = frozenset(entry_points)
        self._params: dict[str, list[int] | None] = {}  # best-effort parameter kinds
        self._functions: dict[str, Any] = {}  # found functions (dict writes are atomic)

    def function(self, name: str) -> Any:
        """The compiled function `name`, or None (looked up once per name)."""
        fn = self._functions.get(name)
        if fn is None:
            try:
                fn = self._unit.find_function(name)
            except Exception:  # a name TorchScript cannot even look up (e.g. not UTF-8)
                return None
            if fn is not None and len(self._functions) < 1024:
                self._functions[name] = fn
        return fn

    def run(
        self,
        fn_name: str,
        inputs: Sequence[Array],
        keys: list[str],
        args: list[str],
        n_outputs: int,
        callbacks: ScriptCallbacks | None = None,
    ) -> list[Array]:
        """Call `fn_name` (reference 5.1) and return exactly `n_outputs` arrays (none are
        looked at when `n_outputs` is 0). Raises BackendError with RedisAI's text."""
        fn = self.function(fn_name)
        if fn is None:
            raise BackendError(SCRIPT_FN_NOT_FOUND.format(fn=fn_name))
        tensors = [_to_torch(a) for a in inputs]
        if fn_name in self.entry_points:
            call_args: list[Any] = [tensors, keys, args]
        else:
            call_args = self._best_effort_args(fn_name, fn, tensors)
        previous = getattr(_local, "callbacks", None)
        _local.callbacks = callbacks
        try:
            with _inference_guard():
                result = fn(*call_args)
        except BackendError:
            raise
        except Exception as exc:
            raise BackendError(_error_text(exc)) from None
        finally:
            _local.callbacks = previous
        if n_outputs == 0:
            return []
        return _outputs(result, fn_name, n_outputs)

    def _best_effort_args(self, fn_name: str, fn: Any, tensors: list[torch.Tensor]) -> list[Any]:
        """RedisAI's legacy mapping: parameters filled left to right with the inputs, a
        List[Tensor] parameter takes all remaining inputs; KEYS and ARGS are not passed."""
        kinds = self._params.get(fn_name)
        if kinds is None:
            kinds = []
            for arg in fn.schema.arguments:
                kind = arg.type.kind()
                if kind == "TensorType":
                    kinds.append(_TENSOR)
                elif kind == "ListType" and str(arg.type) == "List[Tensor]":
                    kinds.append(_TENSOR_LIST)
                else:
                    kinds.append(-1)
            self._params[fn_name] = kinds
        if len(kinds) > len(tensors):
            raise BackendError(SCRIPT_FN_INPUT_COUNT.format(fn=fn_name))
        call_args: list[Any] = []
        for i, kind in enumerate(kinds):
            if kind == _TENSOR:
                call_args.append(tensors[i])
            elif kind == _TENSOR_LIST:
                call_args.append(tensors[i:])
                break
            else:
                raise BackendError(SCRIPT_FN_INPUT_TYPE.format(fn=fn_name))
        return call_args


def _error_text(exc: Exception) -> str:
    """TorchScript's message for a failed run. An error raised by one of our Python
    operators arrives wrapped twice and followed by a Python traceback ("At: ..."):
    keep it to what libtorch prints for a C++ operator's exception."""
    text = str(exc)
    cut = text.find("\n\nAt:\n")
    if cut != -1:
        text = text[:cut] + "\n"
    return text.replace("RuntimeError: RuntimeError: ", "RuntimeError: ")


def _outputs(result: Any, fn_name: str, n_outputs: int) -> list[Array]:
    """RedisAI's torchHandlOutputs: a Tensor is one output, a list or tuple of Tensors
    gives each; anything else is a non-tensor value; the count must match OUTPUTS."""
    if isinstance(result, torch.Tensor):
        tensors = [result]
    elif isinstance(result, list | tuple):
        tensors = list(result)
        for t in tensors:
            if not isinstance(t, torch.Tensor):
                raise BackendError(TORCH_NON_TENSOR_OUTPUT.format(fn=fn_name))
    else:
        raise BackendError(TORCH_NON_TENSOR_OUTPUT.format(fn=fn_name))
    if len(tensors) != n_outputs:
        raise BackendError(TORCH_OUTPUTS_COUNT.format(fn=fn_name))
    return [_to_numpy(t) for t in tensors]
