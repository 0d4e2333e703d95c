"""Backends are libraries: these tests load real models in-process (no server)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def model_bytes(models_dir: str) -> Callable[[str], bytes]:
    """Reads a model from the shared models directory (never copied into the repo)."""

    def read(name: str) -> bytes:
        return (Path(models_dir) / name).read_bytes()

    return read
