"""Snapshot codecs for the value types that live outside the builtin containers.

Tags are frozen on-disk identifiers (see snapshot.py); each codec writes a small header
and its payload. Tensors are written from their numpy buffer (no intermediate copy) and
read back into a fresh buffer owned by the new tensor. Models and scripts register their
codecs from their own modules (they need the backends to rebuild).

A loaded tensor of 1 MiB or more gets its buffer from a shared anonymous mapping rather
than the heap: fork() copies no page tables for shared mappings, so BGSAVE's fork stall
stays flat however many GB of tensors are loaded (1 GB in 10 MB tensors: ~0.5 ms instead
of ~30 ms on the benchmark host). Sharing pages with the fork child is safe because tensors
are immutable (the buffer is handed over read-only) and the child only reads."""

from __future__ import annotations

import mmap

from ..keyspace.tensor import DTYPES, Tensor
from ..keyspace.zset import ZSet
from .snapshot import Reader, Writer, register_codec

TAG_ZSET = 3
TAG_TENSOR = 16
TAG_MODEL = 17
TAG_SCRIPT = 18
SHARED_BUFFER_MIN = 1 << 20
# MAP_POPULATE: the kernel allocates every page at once, ~25% faster than faulting them in
# one by one during the copy.
_SHARED_FLAGS = mmap.MAP_SHARED | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_POPULATE", 0)


def _enc_zset(w: Writer, value: ZSet) -> None:
    w.u64(len(value))
    for member, score in value.items():
        w.bytes_(member)
        w.f64(score)


def _dec_zset(r: Reader) -> ZSet:
    pairs = []
    for _ in range(r.u64()):
        member = r.bytes_()
        pairs.append((member, r.f64()))
    return ZSet.from_pairs(pairs)


def _enc_tensor(w: Writer, value: Tensor) -> None:
    if value.dtype is None:  # an output type no tensor name covers: keep the numpy name
        raise ValueError(f"tensor of numpy type {value.array.dtype} cannot be saved")
    w.str_(value.dtype.name)
    w.u64(len(value.shape))
    for dim in value.shape:
        w.u64(dim)
    w.bytes_(value.data)


def _dec_tensor(r: Reader) -> Tensor:
    name = r.str_()
    dtype = DTYPES.get(name.encode())
    if dtype is None:
        raise ValueError(f"unknown tensor type {name!r} in snapshot")
    shape = [r.u64() for _ in range(r.u64())]
    payload = r.view()
    if payload.nbytes >= SHARED_BUFFER_MIN and dtype.kind != "string":
        return Tensor.from_blob(dtype, shape, _shared_copy(payload))
    return Tensor.from_blob(dtype, shape, bytearray(payload))  # own it: the file goes away


def _shared_copy(payload: memoryview) -> memoryview | bytearray:
    """`payload` copied into its own MAP_SHARED|MAP_ANONYMOUS mapping (read-only view;
    the mapping is unmapped when the tensor is freed). Falls back to the heap if mapping
    fails, e.g. at vm.max_map_count."""
    try:
        mm = mmap.mmap(-1, payload.nbytes, flags=_SHARED_FLAGS)
    except OSError:
        return bytearray(payload)
    mm.write(payload)
    return memoryview(mm).toreadonly()


register_codec(ZSet, TAG_ZSET, _enc_zset, _dec_zset)
register_codec(Tensor, TAG_TENSOR, _enc_tensor, _dec_tensor)
