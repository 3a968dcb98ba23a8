"""The package's layers: the core never reaches up, and module-level imports form no cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: the layers, bottom first; a module may import (even lazily, inside a function) from its own layer and the
#: layers below it, never from one above. The root package ``deval`` is the facade: its lazy attributes
#: (``deval.generate_negatives`` ...) re-export the library calls and are the one exemption.
LAYERS = (
    ("core", ("deval.trajectories", "deval.errors", "deval.atomic", "deval.io", "deval.canonical", "deval.features",
              "deval.metrics", "deval.data", "deval.calibration", "deval.registry", "deval.loggers",
              "deval.realism_meter", "deval.distributed", "deval.compare", "deval.configs", "deval.thread_jobs",
              "deval.sessions", "deval.session_realism")),
    ("generators", ("deval.generators",)),
    ("negatives", ("deval.negatives",)),
    ("detectors", ("deval.detectors",)),
    ("reports", ("deval.reports",)),
    ("app", ("deval.app", "deval.hooks")),  # deval.hooks: the old import path of deval.app.hooks
)
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
        if isinstance(node, ast.ImportFrom) and node.module == "deval":
            yield from (f"deval.{a.name}" for a in node.names)  # a submodule, or a name of the facade
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names)


def _rank(module: str) -> int | None:
    for rank, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    return None


def test_every_module_has_a_layer():
    assert [name for name, _ in _modules() if name != "deval" and _rank(name) is None] == []


def test_no_module_imports_from_a_layer_above_it():
    bad = []
    for name, path in _modules():
        if name == "deval":
            continue
        own = _rank(name)
        for m in _imports(path, top_level_only=False):
            r = _rank(m)
            if r is not None and r > own:
                bad.append(f"{name} ({LAYERS[own][0]}) -> {m} ({LAYERS[r][0]})")
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


def test_the_facade_exports_a_library_call_for_every_command():
    import deval
    from deval.app.cli.main import cli

    for name in deval._API:
        fn = getattr(deval, name)
        assert fn.__doc__, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        deval.nope  # noqa: B018
    commands = set(cli.list_commands(None))
    # the commands whose work is a library call named in the facade (convert and list-generators are I/O and a
    # registry listing: deval.io.save_trajectories / deval.generators.available)
    assert {"generate-negatives", "compare", "train-generator", "train-detector", "evaluate", "score",
            "demo"} <= commands


def test_train_generator_refuses_what_cannot_be_trained():
    import deval
    from deval.errors import ConfigError

    with pytest.raises(ConfigError, match="cannot be trained here; trainable: .*diffusion"):
        deval.train_generator("spline", None, "unused")
    with pytest.raises(ConfigError, match="has presets"):
        deval.train_generator("diffusion", None, "unused", preset="no-such-preset")


def test_the_old_hooks_path_still_imports_with_a_deprecation_warning():
    import importlib
    import sys

    for name in [m for m in sys.modules if m == "deval.hooks" or m.startswith("deval.hooks.")]:
        del sys.modules[name]
    with pytest.warns(DeprecationWarning, match="deval.app.hooks"):
        old = importlib.import_module("deval.hooks")
    from deval.app import hooks
    from deval.app.hooks import diffusion_eval

    assert old.DiffusionEvalHook is hooks.DiffusionEvalHook
    assert importlib.import_module("deval.hooks.diffusion_eval") is diffusion_eval
