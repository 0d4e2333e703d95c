"""The engine knows no RESP and no keyspace: it imports only the standard library, numpy,
the error catalogue and the backend interface (checked by walking the imports)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pyredisai.engine

ALLOWED_PROJECT = {"pyredisai.errors", "pyredisai.backends.base"}


def test_engine_imports_only_allowed_modules() -> None:
    root = Path(pyredisai.engine.__file__).parent
    for path in sorted(root.glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0:
                    names = [node.module or ""]
                elif node.level == 1:
                    continue  # inside the engine package
                else:
                    names = ["pyredisai." + (node.module or "")]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                ok = (
                    top in sys.stdlib_module_names
                    or top == "numpy"
                    or name in ALLOWED_PROJECT
                    or name == "__future__"
                )
                assert ok, f"{path.name} imports {name}"
