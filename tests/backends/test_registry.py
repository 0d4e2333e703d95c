"""The backend registry (lazy imports, missing extras) and the device-string helper."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pyredisai.backends import registry
from pyredisai.backends.base import BackendError
from pyredisai.backends.device import (
    CPU,
    Device,
    is_valid_store_device,
    parse_device,
    queue_name,
)
from pyredisai.backends.registry import BACKENDS, BackendSpec, get_backend

FRAMEWORKS = ("torch", "tensorflow", "onnxruntime", "onnx", "ai_edge_litert", "tflite_runtime")


def test_importing_registry_imports_no_framework() -> None:
    code = (
        "import sys, pyredisai.backends.registry, pyredisai.backends.device;"
        f"loaded = [m for m in {FRAMEWORKS!r} if m in sys.modules];"
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_redisai_backend_is_registered() -> None:
    assert set(BACKENDS) == {"TF", "TFLITE", "TORCH", "ONNX"}
    assert {spec.extra for spec in BACKENDS.values()} == {"tf", "tflite", "torch", "onnx"}


def test_missing_framework_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        BACKENDS, "FAKE", BackendSpec("no_such_framework_pyredisai.backend:Backend", "fake")
    )
    with pytest.raises(BackendError) as info:
        get_backend("FAKE")
    assert info.value.message == (
        "ERR Could not load backend FAKE: not installed, run pip install 'pyredisai[fake]'"
    )
    assert "FAKE" not in registry.loaded_backends()


def test_unknown_backend_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        get_backend("CAFFE")


def test_backend_is_imported_once() -> None:
    pytest.importorskip("onnxruntime")
    first = get_backend("ONNX")
    assert get_backend("ONNX") is first
    assert first.name == "ONNX"
    assert registry.loaded_backends()["ONNX"] is first


def test_backend_error_is_one_line() -> None:
    assert BackendError("a\r\nb\n\tc").message == "a  b \tc"


@pytest.mark.parametrize(
    "device",
    ["CPU", "cpu", "GPU", "gpu", "GPU:0", "gpu:12345", "CPU:", "GPU:", "CPU:1", "Cpu:42"],
)
def test_store_device_valid(device: str) -> None:
    assert is_valid_store_device(device)
    assert is_valid_store_device(device.encode())


@pytest.mark.parametrize(
    "device", ["CPU:123456", "CPU::", "CPU:1.8", "bad_device", "", "CP", "GPUX", "cpuXYZ", "GPU:-1"]
)
def test_store_device_invalid(device: str) -> None:
    assert not is_valid_store_device(device)


@pytest.mark.parametrize(
    ("device", "expected"),
    [
        ("CPU", CPU),
        ("cpuXYZ", CPU),
        ("CPU:1", CPU),
        ("GPU", Device(True, -1)),
        ("gpu", Device(True, -1)),
        ("GPU:0", Device(True, 0)),
        ("gpu:3", Device(True, 3)),
        ("GPU:", Device(True, 0)),
        ("GPU:abc", Device(True, 0)),
        ("GPU:12abc", Device(True, 12)),
        ("GPU:0x10", Device(True, 16)),
        ("GPU:010", Device(True, 8)),
        ("GPU: -2", Device(True, -2)),
        ("GPU:99999999999999999999", Device(True, 2**63 - 1)),
        ("GPUX", None),
        ("GPU0", None),
        ("bad_device", None),
        ("", None),
    ],
)
def test_parse_device(device: str, expected: Device | None) -> None:
    assert parse_device(device) == expected


def test_queue_name_is_upper_case() -> None:
    assert queue_name("cpu") == queue_name("CPU") == "CPU"
    assert queue_name("gpu:1") == "GPU:1"
