"""The package's layers: the core never reaches up, and module-level imports form no cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: the core: data model, io, canonical layer, features, metrics and their plumbing
CORE = ("trajectories", "io", "canonical", "features", "metrics", "errors", "atomic", "data", "calibration")
#: what the core must not import, even lazily inside a function
UPPER = ("deval.generators", "deval.detectors", "deval.reports", "deval.cli", "deval.demo", "deval.hooks",
         "deval.compare", "deval.realism_meter", "deval.negatives")
ROOTS = {"deval": REPO / "deval", "deval.generators": REPO / "generators", "deval.detectors": REPO / "detectors",
         "deval.reports": REPO / "reports"}


def _modules():
    for prefix, root in ROOTS.items():
        for p in root.rglob("*.py"):
            rel = p.relative_to(root).with_suffix("").parts
            if prefix == "deval" and rel and rel[0] in ("generators", "detectors", "reports"):
                continue
            name = ".".join((prefix, *rel)).removesuffix(".__init__")
            yield name, p


def _imports(path: Path, top_level_only: bool):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names)


def test_core_imports_nothing_above_it():
    bad = []
    for name, path in _modules():
        parts = name.split(".")
        if parts[0] == "deval" and len(parts) > 1 and parts[1] in CORE:
            bad += [f"{name} -> {m}" for m in _imports(path, top_level_only=False) if m.startswith(UPPER)]
    assert not bad, bad


def test_module_level_imports_have_no_cycle():
    mods = dict(_modules())
    graph = {}
    for name, path in mods.items():
        deps = set()
        for m in _imports(path, top_level_only=True):
            while m and m not in mods:
                m = m.rpartition(".")[0]
            if m and m != name:
                deps.add(m)
        graph[name] = deps
    state: dict[str, int] = {}

    def visit(node, stack):
        state[node] = 1
        for dep in graph.get(node, ()):
            if state.get(dep) == 1 and not (node.startswith(dep + ".") or dep.startswith(node + ".")):
                pytest.fail("import cycle: " + " -> ".join(stack[stack.index(dep):] + [dep]) if dep in stack
                            else f"import cycle through {dep}")
            if dep not in state:
                visit(dep, stack + [dep])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [node])
