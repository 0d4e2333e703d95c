"""Snapshot codecs for the value types that live outside the builtin containers.

Tags are frozen on-disk identifiers (see snapshot.py); each codec writes a small header
and its payload. Tensors are written from their numpy buffer (no intermediate copy) and
read back into a fresh buffer owned by the new tensor. Models and scripts register their
codecs from their own modules (they need the backends to rebuild)."""

from __future__ import annotations

from ..keyspace.tensor import DTYPES, Tensor
from ..keyspace.zset import ZSet
from .snapshot import Reader, Writer, register_codec

TAG_ZSET = 3
TAG_TENSOR = 16
TAG_MODEL = 17
TAG_SCRIPT = 18


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
    blob = bytearray(r.view())  # own the payload: the file's buffer goes away
    return Tensor.from_blob(dtype, shape, blob)


register_codec(ZSet, TAG_ZSET, _enc_zset, _dec_zset)
register_codec(Tensor, TAG_TENSOR, _enc_tensor, _dec_tensor)
