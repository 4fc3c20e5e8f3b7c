"""Imports flow one way: records -> domain -> storage -> job/api -> local/demo -> cli, and the
package graph has no cycle (read from the source, not from what happens to be imported)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).parents[3] / "shared" / "rel2rev"
LAYERS = [
    {"money", "records", "errors", "settings", "lines"},
    {
        "apply", "identity", "ingest", "attribution", "cutoff", "dataset", "erasure", "funnel",
        "survival", "results", "simulate", "report", "exports", "importer", "transport",
        "packaging", "window", "engine", "backfill", "spend",
    },
    {"storage"},
    {"job", "api", "processing", "sync"},
    {"local", "demo"},
    {"cli", "__main__"},
]  # fmt: skip
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _imports() -> dict[str, set[str]]:
    """Top-level module -> the top-level rel2rev modules it imports (anywhere in it)."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        module = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        if module == "__init__":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for name in names:
                parts = name.split(".")
                if parts[0] == "rel2rev" and len(parts) > 1 and parts[1] != module:
                    found[module].add(parts[1])
    return found


def test_every_module_has_a_layer() -> None:
    modules = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in PACKAGE.iterdir()}
    modules -= {"__init__", "__pycache__", "py.typed"}
    assert modules <= RANK.keys(), f"place these in LAYERS: {sorted(modules - RANK.keys())}"


def test_imports_flow_one_way() -> None:
    upward = [
        f"{module} -> {target}"
        for module, targets in _imports().items()
        for target in targets
        if RANK[target] > RANK[module]
    ]
    assert upward == []


def test_no_import_cycle_between_modules() -> None:
    graph = _imports()
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            assert state.get(target) != 1, f"cycle: {' -> '.join([*trail, node, target])}"
            if target not in state:
                visit(target, [*trail, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
