"""The snapshot format in-process (write, read, batches, old versions, damage), plus the
frozen version-1 file loaded by a real server.

assets/snapshot-v1.snap was written by the version-1 writer (before string batches) and
must keep loading: db 0 holds s=v, n=42, bin=a\\r\\nb\\0c\\xff, empty='', big (76800 bytes),
ttl=x expiring at 2100-01-01, list l, set, hash h, zset z, FLOAT tensor t [[1,2],[3,4]],
INT8 tensor t8 [-1,0,7] and key:000..key:099 = value:0..value:99; db 5 holds in5=yes.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import time
import zlib
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pyredisai.keyspace.tensor import DTYPES, Tensor
from pyredisai.keyspace.zset import ZSet
from pyredisai.persistence import (
    codecs,  # noqa: F401  (registers tensor/zset codecs)
    snapshot,
)
from pyredisai.persistence.snapshot import (
    BATCH_MAX_KEYS,
    HEADER_SIZE,
    STRING_BATCH,
    VERSION,
    SnapshotError,
    dump,
    read_snapshot,
)

from ..helpers import ServerProcess

ASSET_V1 = Path(__file__).parent / "assets" / "snapshot-v1.snap"
FAR = 4102444800000  # 2100-01-01 in ms


def _roundtrip(dbs: list[Any]) -> tuple[list[Any], bytes]:
    fh = io.BytesIO()
    size = dump(fh, dbs)
    raw = fh.getvalue()
    assert size == len(raw)
    out, consumed = read_snapshot(memoryview(raw))
    assert consumed == len(raw)
    return out, raw


def _batch_count(raw: bytes) -> int:
    """Batch records in a file of plain strings (walks the records)."""
    pos = HEADER_SIZE + 1 + 4 + 8
    count = 0
    while raw[pos] == STRING_BATCH:
        _, n, n_exp, width = struct.unpack_from("<BIIB", raw, pos)
        pos += 10
        lengths = np.frombuffer(raw, "<u1" if width == 1 else "<u2", 2 * n, pos)
        pos += 2 * n * width + 12 * n_exp + int(lengths.sum())
        count += 1
    return count


def test_current_version_is_2() -> None:
    assert VERSION == 2


def test_plain_strings_roundtrip_in_batches() -> None:
    data = {b"key:%d" % i: b"value:%d" % i for i in range(BATCH_MAX_KEYS * 2 + 5)}
    (out,), raw = _roundtrip([(0, data, {})])
    assert out == (0, data, {})
    assert _batch_count(raw) == 3


def test_batch_keeps_expires_and_drops_expired_keys() -> None:
    data = {b"k%d" % i: b"v%d" % i for i in range(1000)}
    expires = {b"k%d" % i: FAR + i for i in range(0, 1000, 7)}
    expires[b"k3"] = 1  # long expired: not written
    (out,), _ = _roundtrip([(2, data, expires)])
    del data[b"k3"], expires[b"k3"]
    assert out == (2, data, expires)


def test_mixed_types_big_values_and_long_keys() -> None:
    tensor = Tensor.from_blob(DTYPES[b"FLOAT"], [2], bytearray(np.float32([1, 2]).tobytes()))
    data: dict[bytes, Any] = {
        b"s": b"v",
        b"empty": b"",
        b"": b"empty key",
        b"ba": bytearray(b"from a bytearray"),
        b"big": b"x" * 70000,  # an entry of its own
        b"k" * 70000: b"long key",  # an entry of its own
        b"wide": b"y" * 300,  # 2-byte lengths
        b"l": deque([b"a", b"b"]),
        b"set": {b"x"},
        b"h": {b"f": b"1"},
        b"z": ZSet.from_pairs([(b"m", 2.5)]),
        b"t": tensor,
    }
    data.update({b"n%d" % i: b"%d" % i for i in range(BATCH_MAX_KEYS + 10)})
    expires = {b"big": FAR, b"s": FAR + 1, b"n5": FAR + 2}
    (out, db9), _ = _roundtrip([(0, data, expires), (9, {b"x": b"y"}, {})])
    assert db9 == (9, {b"x": b"y"}, {})
    index, got, got_exp = out
    assert index == 0 and got_exp == expires
    assert got.keys() == data.keys()
    for key, value in data.items():
        if key == b"t":
            assert bytes(got[key].data) == bytes(tensor.data)
        elif key == b"z":
            assert list(got[key].items()) == [(b"m", 2.5)]
        elif key == b"ba":
            assert got[key] == b"from a bytearray"
        else:
            assert got[key] == value


def test_batches_split_by_bytes() -> None:
    data = {b"k%d" % i: bytes([i % 256]) * 60000 for i in range(40)}  # 2.4 MB
    (out,), raw = _roundtrip([(0, data, {b"k39": FAR})])
    assert out == (0, data, {b"k39": FAR})
    assert _batch_count(raw) == 3


def test_big_loaded_tensor_is_an_immutable_copy() -> None:
    payload = np.arange(1 << 19, dtype=np.float32)  # 2 MiB: a shared mapping on load
    tensor = Tensor.from_blob(DTYPES[b"FLOAT"], [1 << 19], bytearray(payload.tobytes()))
    small = Tensor.from_blob(DTYPES[b"INT8"], [2], bytearray(b"\x01\x02"))
    (out,), _ = _roundtrip([(0, {b"t": tensor, b"s": small}, {})])
    got = out[1][b"t"]
    assert got.data.readonly and got.shape == (1 << 19,)
    assert np.array_equal(got.array, payload)
    assert bytes(out[1][b"s"].data) == b"\x01\x02"


def test_frozen_v1_asset_reads() -> None:
    raw = ASSET_V1.read_bytes()
    assert struct.unpack_from("<H", raw, len(snapshot.MAGIC))[0] == 1
    dbs, consumed = read_snapshot(memoryview(raw))
    assert consumed == len(raw)
    (i0, db0, exp0), (i5, db5, exp5) = dbs
    assert (i0, i5) == (0, 5)
    assert db5 == {b"in5": b"yes"} and exp5 == {}
    assert exp0 == {b"ttl": FAR}
    assert db0[b"bin"] == b"a\r\nb\x00c\xff" and db0[b"empty"] == b""
    assert db0[b"big"] == bytes(range(256)) * 300
    assert [db0[b"key:%03d" % i] for i in range(100)] == [b"value:%d" % i for i in range(100)]
    assert db0[b"l"] == deque([b"a", b"b", b"c"])
    assert db0[b"h"] == {b"f1": b"1", b"f2": b"2"}
    assert db0[b"t"].array.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_newer_version_is_refused() -> None:
    raw = bytearray(ASSET_V1.read_bytes())
    struct.pack_into("<H", raw, len(snapshot.MAGIC), VERSION + 1)
    with pytest.raises(SnapshotError, match="version 3: this server reads up to 2"):
        read_snapshot(memoryview(bytes(raw)))


def _recrc(raw: bytearray) -> bytes:
    body_len = struct.unpack_from("<Q", raw, HEADER_SIZE - 8)[0]
    crc = zlib.crc32(raw[HEADER_SIZE : HEADER_SIZE + body_len])
    struct.pack_into("<I", raw, HEADER_SIZE + body_len, crc)
    return bytes(raw)


@pytest.mark.parametrize(
    "offset, value",
    [
        (9, 3),  # width 3: not a batch width
        (1, 0xFFFF),  # key count beyond the database's
        (5, 1000),  # more expiring keys than keys
        (10, 200),  # a length running past the data
    ],
)
def test_malformed_batch_with_valid_checksum_is_refused(offset: int, value: int) -> None:
    fh = io.BytesIO()
    dump(fh, [(0, {b"a": b"1", b"b": b"2"}, {})])
    raw = bytearray(fh.getvalue())
    batch = HEADER_SIZE + 1 + 4 + 8
    assert raw[batch] == STRING_BATCH
    if offset in (1, 5):
        struct.pack_into("<I", raw, batch + offset, value)
    else:
        raw[batch + offset] = value
    with pytest.raises(SnapshotError):
        read_snapshot(memoryview(_recrc(raw)))


def test_server_loads_frozen_v1_asset_and_resaves_as_v2(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    shutil.copy(ASSET_V1, tmp_path / "dump.rdb")
    proc = make_server(directory=str(tmp_path))
    r = proc.client(protocol=2)
    assert r.dbsize() == 112
    assert r.get("s") == b"v" and r.get("n") == b"42" and r.get("bin") == b"a\r\nb\x00c\xff"
    assert r.get("key:042") == b"value:42"
    assert r.pexpiretime("ttl") == FAR
    assert r.lrange("l", 0, -1) == [b"a", b"b", b"c"]
    assert r.smembers("set") == {b"x", b"y"}
    assert r.zrange("z", 0, -1, withscores=True) == [(b"m2", -2.0), (b"m1", 1.5)]
    assert r.execute_command("AI.TENSORGET", "t8", "VALUES") == [-1, 0, 7]
    r.select(5)
    assert r.get("in5") == b"yes"
    assert r.save() is True
    raw = (tmp_path / "dump.rdb").read_bytes()
    assert struct.unpack_from("<H", raw, len(snapshot.MAGIC))[0] == VERSION
    proc.stop()
    again = make_server(directory=str(tmp_path))
    r2 = again.client(protocol=2)
    assert r2.dbsize() == 112
    assert r2.get("big") == bytes(range(256)) * 300
    assert r2.pexpiretime("ttl") == FAR


def test_big_tensors_survive_restart_and_bgsave(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    blob = np.random.default_rng(7).random(1 << 19, dtype=np.float32).tobytes()  # 2 MiB
    proc = make_server(directory=str(tmp_path))
    r = proc.client(protocol=2)
    r.execute_command("AI.TENSORSET", "big", "FLOAT", 1 << 19, "BLOB", blob)
    assert r.save() is True
    proc.stop()
    again = make_server(directory=str(tmp_path))
    r2 = again.client(protocol=2)
    assert r2.execute_command("AI.TENSORGET", "big", "BLOB") == blob
    r2.execute_command("AI.TENSORSET", "big2", "FLOAT", 1 << 19, "BLOB", blob[::-1])
    assert r2.bgsave() is True  # the child writes from the loaded (shared) buffers
    for _ in range(200):
        if r2.info("persistence")["rdb_bgsave_in_progress"] == 0:
            break
        time.sleep(0.05)
    assert r2.info("persistence")["rdb_last_bgsave_status"] == "ok"
    again.stop()
    third = make_server(directory=str(tmp_path))
    r3 = third.client(protocol=2)
    assert r3.execute_command("AI.TENSORGET", "big", "BLOB") == blob
    assert r3.execute_command("AI.TENSORGET", "big2", "BLOB") == blob[::-1]


def test_info_stats_reports_fork_time(make_server: Callable[..., ServerProcess]) -> None:
    proc = make_server()
    r = proc.client(protocol=2)
    r.set("k", "v")
    assert r.info("stats")["total_forks"] == 0
    assert r.bgsave() is True
    stats = r.info("stats")
    assert stats["total_forks"] == 1
    assert stats["latest_fork_usec"] > 0
    assert os.path.isdir(proc.dir)
