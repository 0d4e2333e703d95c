"""PEP 517 backend: setuptools' own, plus what setup.py's mypyc build needs.

With PYREDISAI_USE_MYPYC=1, a wheel build also asks for mypy and the package's runtime
dependencies, read from pyproject.toml: mypyc type-checks the package as `make
typecheck` does, so the isolated build environment needs their types. A pure build asks
for nothing more than setuptools.
"""

from __future__ import annotations

import os
import tomllib
from typing import Any

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 - every hook not redefined below

MYPY = "mypy==2.4.1"


def _mypyc_requires() -> list[str]:
    if os.environ.get("PYREDISAI_USE_MYPYC", "0") != "1":
        return []
    with open("pyproject.toml", "rb") as f:
        dependencies: list[str] = tomllib.load(f)["project"]["dependencies"]
    return [MYPY, *dependencies]


def get_requires_for_build_wheel(config_settings: dict[str, Any] | None = None) -> list[str]:
    return [*_setuptools.get_requires_for_build_wheel(config_settings), *_mypyc_requires()]
