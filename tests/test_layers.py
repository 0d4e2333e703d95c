"""The design's "never" edges, checked by walking imports with ast.

protocol knows no keyspace/server; backends know nothing of the server; the engine knows
no RESP and no keyspace; keyspace knows no RESP or commands. Starting the server imports
no ML framework (checked in test_cli)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "pyredisai"

FORBIDDEN = {
    "protocol": (
        "server",
        "commands",
        "keyspace",
        "engine",
        "backends",
        "persistence",
        "replication",
    ),
    "backends": (
        "server",
        "commands",
        "keyspace",
        "engine",
        "protocol",
        "persistence",
        "replication",
    ),
    "engine": ("server", "commands", "keyspace", "protocol", "persistence", "replication"),
    "keyspace": ("server", "commands", "protocol", "engine"),
}


def _imports(path: Path) -> set[str]:
    """Absolute pyredisai sub-package names imported by a module (relative ones resolved)."""
    tree = ast.parse(path.read_text())
    package_parts = path.relative_to(SRC.parent).with_suffix("").parts[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package_parts[: len(package_parts) - node.level + 1])
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names = [module] + [f"{module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "pyredisai" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer: str) -> None:
    bad = []
    for path in sorted((SRC / layer).rglob("*.py")):
        for target in _imports(path) & set(FORBIDDEN[layer]):
            bad.append(f"{path.relative_to(SRC)} imports pyredisai.{target}")
    assert not bad, "\n".join(bad)
