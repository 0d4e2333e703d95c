"""Build hook for the compiled request path (metadata lives in pyproject.toml).

With PYREDISAI_USE_MYPYC=1 in the environment, the modules below are compiled to C
extensions with mypyc, as mypy and black ship themselves: the same sources, with their
type annotations turned into native classes, direct calls and unboxed attribute access.
This is where a request spends its Python time (reader, batch loop, keyspace, the
string/list/hash handlers). Without the variable the package is pure Python; both builds
pass the same test suite (`make test`, `make test-compiled`). Editable installs stay pure:
an extension built in place would shadow later edits of its source.
"""

from __future__ import annotations

import os
import sys

from setuptools import setup

COMPILED_MODULES = [
    "pyredisai/server.py",
    "pyredisai/protocol/reader.py",
    "pyredisai/protocol/encoder.py",
    "pyredisai/keyspace/database.py",
    "pyredisai/commands/registry.py",
    "pyredisai/commands/args.py",
    "pyredisai/commands/strings.py",
    "pyredisai/commands/lists.py",
    "pyredisai/commands/hashes.py",
]


def ext_modules() -> list[object]:
    if os.environ.get("PYREDISAI_USE_MYPYC", "0") != "1":
        return []
    if {"egg_info", "dist_info"} & set(sys.argv):
        return []  # metadata only (pip asks first): no need to run mypyc twice
    from mypyc.build import mypycify

    return list(
        mypycify(
            [os.path.join("src", path) for path in COMPILED_MODULES],
            opt_level="3",
            group_name="pyredisai",  # one shared library: pyredisai__mypyc.*.so
        )
    )


setup(ext_modules=ext_modules())
