"""AI_TENSOR values: an immutable numpy array plus its RedisAI data type.

A tensor never changes once built (RedisAI semantics: AI.TENSORSET replaces the whole
value), so the engine can hand its array to worker threads by reference. Payloads are
kept without copying where possible: a BLOB argument (`bytes`, or the `bytearray` the
protocol reader received a big bulk into, owned by nobody else once the command runs) is
wrapped with `np.frombuffer`, and `Tensor.data` is a flat memoryview of the same bytes
that replies and persistence write out unchanged.

Data types: RedisAI 1.2's names (FLOAT, DOUBLE, INT8..INT64, UINT8, UINT16, BOOL,
STRING) plus pyredisai extensions (FLOAT16, BFLOAT16, UINT32, UINT64), each with its
DLPack (code, bits) pair as RedisAI's RDB encoding stores it.

Accounting: `live_tensor_bytes()` is a running total of the payload bytes of every live
Tensor object (keyspace, DAG locals, runs in flight), kept up to date at construction and
in `__del__`, so INFO can show it at no per-call cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ml_dtypes
import numpy as np

from ..errors import (
    TENSOR_BOOL_ELEMENTS,
    TENSOR_DATA_LENGTH,
    TENSOR_STRING_ELEMENTS,
    TENSOR_STRING_NUL,
    CommandError,
)
from .database import TYPE_NAMES

# DLPack type codes (RedisAI's dlpack fork, as written in RDB payloads).
DL_INT = 0
DL_UINT = 1
DL_FLOAT = 2
DL_BFLOAT = 4
DL_BOOL = 6
DL_STRING = 7


@dataclass(frozen=True, slots=True)
class DType:
    """One tensor data type: wire name, numpy dtype, DLPack code/bits, VALUES rules."""

    name: str  # upper case, as TENSORGET META prints it
    np_dtype: np.dtype[Any]
    code: int
    bits: int
    kind: str  # "float", "int", "bool" or "string": which VALUES parser applies
    max_value: int = 0  # VALUES upper bound for int/bool kinds (the lower bound is 0)
    extension: bool = False  # not a RedisAI 1.2 name
    itemsize: int = 0  # bytes per element in a blob (STRING: 1, its minimum)

    def __post_init__(self) -> None:
        size = 1 if self.kind == "string" else self.np_dtype.itemsize
        object.__setattr__(self, "itemsize", size)


_I64_MAX = 2**63 - 1

# VALUES ranges follow RedisAI 1.2: signed types accept 0..max only (RedisAI compares the
# value cast to unsigned, so every negative is rejected); see the README's tensor section.
_TYPES = (
    DType("FLOAT", np.dtype("<f4"), DL_FLOAT, 32, "float"),
    DType("DOUBLE", np.dtype("<f8"), DL_FLOAT, 64, "float"),
    DType("INT8", np.dtype("i1"), DL_INT, 8, "int", 2**7 - 1),
    DType("INT16", np.dtype("<i2"), DL_INT, 16, "int", 2**15 - 1),
    DType("INT32", np.dtype("<i4"), DL_INT, 32, "int", 2**31 - 1),
    DType("INT64", np.dtype("<i8"), DL_INT, 64, "int", _I64_MAX),
    DType("UINT8", np.dtype("u1"), DL_UINT, 8, "int", 2**8 - 1),
    DType("UINT16", np.dtype("<u2"), DL_UINT, 16, "int", 2**16 - 1),
    DType("BOOL", np.dtype("?"), DL_BOOL, 8, "bool", 1),
    DType("STRING", np.dtype("O"), DL_STRING, 8, "string"),
    DType("FLOAT16", np.dtype("<f2"), DL_FLOAT, 16, "float", extension=True),
    DType("BFLOAT16", np.dtype(ml_dtypes.bfloat16), DL_BFLOAT, 16, "float", extension=True),
    DType("UINT32", np.dtype("<u4"), DL_UINT, 32, "int", 2**32 - 1, extension=True),
    DType("UINT64", np.dtype("<u8"), DL_UINT, 64, "int", 2**64 - 1, extension=True),
)

DTYPES: dict[bytes, DType] = {t.name.encode(): t for t in _TYPES}
"""Upper-case name bytes -> DType (callers upper-case the argument: names are ASCII
case-insensitive)."""

DTYPES_BY_CODE: dict[tuple[int, int], DType] = {(t.code, t.bits): t for t in _TYPES}
"""DLPack (code, bits) -> DType, for snapshot decoding."""

_BY_NUMPY: dict[np.dtype[Any], DType] = {t.np_dtype: t for t in _TYPES if t.kind != "string"}

FLOAT = DTYPES[b"FLOAT"]
STRING = DTYPES[b"STRING"]

# -- memory accounting ------------------------------------------------------------------

# Tensors may be built or released on engine threads too. `_live_bytes += delta` in
# `_account` runs as LOAD_GLOBAL / BINARY_OP / STORE_GLOBAL with no call in between, and
# CPython (with the GIL) only switches threads at calls and backward jumps, so the update
# cannot interleave; a lock would cost more than the tensor itself for small tensors.
_live_bytes = 0


def live_tensor_bytes() -> int:
    """Payload bytes held by all live tensors (a running counter, O(1))."""
    return _live_bytes


# -- the value type ---------------------------------------------------------------------


class Tensor:
    """An immutable tensor. Build one with the `from_*` / `zeros` constructors.

    `array` is read-only and C-contiguous. `data` is the RedisAI blob as a flat byte
    memoryview: the array's own buffer for numeric types, the NUL-terminated
    concatenation for STRING. A tensor made from a blob keeps only the blob; its `array`
    is built on first use (a zero-copy numpy view; for STRING an object array of `bytes`
    elements, so a BLOB of millions of empty strings costs its bytes, not millions of
    Python objects).
    `dtype` is None only for arrays of a numpy type no tensor name covers (e.g. complex
    outputs of a model); TENSORGET META refuses those as RedisAI does."""

    __slots__ = ("_array", "dtype", "_data", "nbytes", "shape")

    copyable = False
    """COPY answers RedisAI's 'ERR not supported for this module key' for tensors."""

    def __init__(
        self,
        array: np.ndarray[Any, Any] | None,
        dtype: DType | None,
        data: memoryview | None,
        shape: tuple[int, ...],
    ) -> None:
        self._array = array
        self.dtype = dtype
        self._data = data  # None: made from `array` on first use (model outputs)
        self.shape = shape
        if data is not None:
            nbytes = data.nbytes
        else:
            assert array is not None
            nbytes = array.nbytes
        self.nbytes = nbytes
        global _live_bytes
        _live_bytes += nbytes

    def __del__(self) -> None:
        global _live_bytes
        _live_bytes -= self.nbytes

    def __repr__(self) -> str:
        name = self.dtype.name if self.dtype is not None else str(self.array.dtype)
        return f"Tensor({name}, shape={list(self.shape)})"

    @property
    def data(self) -> memoryview:
        """The tensor's bytes, flat and row-major (the BLOB)."""
        data = self._data
        if data is None:  # a run output: most are read as `array` by the next run, if at all
            assert self._array is not None
            data = self._data = _flat_bytes(self._array)
        return data

    @property
    def array(self) -> np.ndarray[Any, Any]:
        array = self._array
        if array is None:  # built on first use (any thread: a race only builds it twice)
            dtype = self.dtype
            assert dtype is not None
            if dtype.kind == "string":
                parts = self.data.tobytes().split(b"\0")
                parts.pop()
                array = _object_array(parts, self.shape)
            else:
                array = np.frombuffer(self.data, dtype.np_dtype).reshape(self.shape)
                array.flags.writeable = False
            self._array = array
        return array

    @property
    def size(self) -> int:
        return _product(self.shape)

    # -- constructors -------------------------------------------------------------------

    @classmethod
    def from_blob(
        cls, dtype: DType, shape: Sequence[int], blob: bytes | bytearray | memoryview
    ) -> Tensor:
        """Wrap a RedisAI blob without copying it (takes ownership of a bytearray).

        Raises RedisAI's errors for a length, BOOL or STRING layout mismatch."""
        count = _product(shape)
        view = memoryview(blob)
        if type(blob) is memoryview and (view.ndim != 1 or view.format != "B"):
            view = view.cast("B")
        kind = dtype.kind
        if kind == "string":
            data = blob if type(blob) is not memoryview else view.tobytes()
            if not data or data[-1] != 0 or data.count(0) != count:
                raise CommandError(TENSOR_STRING_ELEMENTS)
            return cls(None, STRING, view, tuple(shape))
        if count * dtype.itemsize != view.nbytes:
            raise CommandError(TENSOR_DATA_LENGTH)
        if kind == "bool" and count > 1:
            # RedisAI's check skips the last byte (quirk kept on purpose).
            if np.frombuffer(view, np.uint8, count - 1).max() > 1:
                raise CommandError(TENSOR_BOOL_ELEMENTS)
        # The numpy view is made on first use of `array`: TENSORSET/TENSORGET of a
        # blob never need it.
        return cls(None, dtype, view, tuple(shape))

    @classmethod
    def from_strings(cls, shape: Sequence[int], elements: list[bytes]) -> Tensor:
        """A STRING tensor from NUL-free elements (the caller checked them)."""
        data = b"\0".join(elements) + b"\0" if elements else b""
        shape = tuple(shape)
        return cls(_object_array(elements, shape), STRING, memoryview(data), shape)

    @classmethod
    def zeros(cls, dtype: DType, shape: Sequence[int]) -> Tensor:
        """The no-data TENSORSET form: every byte zero (STRING: empty elements)."""
        if dtype.kind == "string":
            return cls(None, STRING, memoryview(bytes(_product(shape))), tuple(shape))
        array = np.zeros(tuple(shape), dtype.np_dtype)
        array.flags.writeable = False
        return cls(array, dtype, _flat_bytes(array), array.shape)

    @classmethod
    def from_array(cls, array: np.ndarray[Any, Any], dtype: DType | None = None) -> Tensor:
        """Adopt a numpy array (e.g. a model output); copies only if it is not already
        C-contiguous little-endian of the right type. Takes ownership: the caller must
        not write to `array` afterwards."""
        if dtype is None:
            if array.dtype.kind in "OUS":
                dtype = STRING
            else:
                dtype = _BY_NUMPY.get(array.dtype.newbyteorder("="))
        if dtype is not None and dtype.kind == "string":
            elements = [_to_bytes(x) for x in array.reshape(-1).tolist()]
            for element in elements:
                if 0 in element:
                    raise CommandError(TENSOR_STRING_NUL)
            return cls.from_strings(array.shape, elements)
        target = dtype.np_dtype if dtype is not None else array.dtype.newbyteorder("<")
        flags = array.flags
        if array.dtype != target or not flags.c_contiguous:
            array = np.array(array, dtype=target, order="C")  # keeps 0-d arrays 0-d
        elif not flags.writeable:  # nobody can write through it: adopt it as it is
            return cls(array, dtype, None, array.shape)
        array = array.view()  # the caller's handle stays writeable, the tensor's is not
        array.flags.writeable = False
        return cls(array, dtype, None, array.shape)

    # -- reads --------------------------------------------------------------------------

    def values(self) -> list[Any]:
        """Row-major element list for TENSORGET VALUES: floats, ints or bytes."""
        dtype = self.dtype
        if dtype is not None and dtype.kind == "string":
            parts = self.data.tobytes().split(b"\0")
            parts.pop()
            return parts
        flat = self.array.reshape(-1)
        if dtype is None:
            return flat.tolist()
        kind = dtype.kind
        if kind == "float":
            if dtype.bits < 32:
                flat = flat.astype(np.float64)
            return flat.tolist()
        if kind == "bool":
            # A BLOB may have stored a byte other than 0/1 in the last place (RedisAI quirk):
            # reply with the byte value, as RedisAI does.
            return flat.view(np.uint8).tolist()
        return flat.tolist()


def _product(shape: Sequence[int]) -> int:
    count = 1
    for dim in shape:
        count *= dim
    return count


def _flat_bytes(array: np.ndarray[Any, Any]) -> memoryview:
    """The array's own buffer as flat bytes (works for dtypes the buffer protocol cannot
    describe, such as bfloat16)."""
    return memoryview(array.reshape(-1).view(np.uint8))  # type: ignore[arg-type]


def _object_array(elements: list[bytes], shape: Sequence[int]) -> np.ndarray[Any, Any]:
    array = np.empty(len(elements), dtype=object)
    array[:] = elements
    array = array.reshape(tuple(shape))
    array.flags.writeable = False
    return array


def _to_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return str(value).encode()


def tensor_memory_bytes(keyspace: Any) -> int:
    """Exact payload bytes of the tensors stored in `keyspace` (walks every key: for
    checks and DEBUG-style commands; INFO should use `live_tensor_bytes`)."""
    total = 0
    for db in keyspace.dbs:
        for value in db.data.values():
            if type(value) is Tensor:
                total += value.nbytes
    return total


TYPE_NAMES[Tensor] = "AI_TENSOR"
