"""The package's shape: layers that import only downward, no import cycle, readable modules.

The layers, bottom to top (docs/architecture.md): config, economy, policy, outputs,
simulation, analysis, experiments, calibration, plot, report, cli; ``testing`` serves the
tests and may import anything; the package's ``__init__`` and ``__main__`` sit on top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "model"
LAYERS = (
    "config",
    "economy",
    "policy",
    "outputs",
    "simulation",
    "analysis",
    "experiments",
    "calibration",
    "plot",
    "report",
    "cli",
    "testing",
)
#: No module over this many lines (the issue's "no module over ~900 lines").
MAX_LINES = 900


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _layer(module: str) -> int:
    """The layer index of a module of the package (the top for the package itself)."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in ("__main__",):
        return len(LAYERS)
    return LAYERS.index(parts[1])


def _imports(path: Path, *, runtime_only: bool) -> set[str]:
    """Modules of the package a file imports (``runtime_only``: not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skip.update(id(n) for n in ast.walk(node))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "model")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "model":
                continue
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                found.add(sub if sub in MODULES else node.module)
    return found


def test_every_module_is_in_a_layer() -> None:
    for name in MODULES:
        assert name == "model" or name.split(".")[1] in (*LAYERS, "__main__"), name


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_only_go_down(module: str) -> None:
    own = _layer(module)
    upward = sorted(
        m for m in _imports(MODULES[module], runtime_only=False) if _layer(m) > own and m != module
    )
    assert not upward, f"{module} (layer {own}) imports from above it: {upward}"


def test_no_import_cycle() -> None:
    graph = {m: _imports(p, runtime_only=True) - {m} for m, p in MODULES.items()}
    # A package imports its own submodules; that is not a cycle through them.
    graph = {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in graph.items()}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                cycle = [*path[path.index(d) :], d]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if d not in state:
                visit(d)
        path.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_size(module: str) -> None:
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{module}: {lines} lines"


def test_the_checks_can_fail() -> None:
    """The import reader sees an upward import and a cycle when they are there."""
    upward = ROOT / "economy" / "engine.py"
    assert "model.config.params" in _imports(upward, runtime_only=True)
    assert _layer("model.policy.mix") > _layer("model.economy.engine")
    hooks = _imports(ROOT / "economy" / "hooks.py", runtime_only=False)
    assert "model.economy.engine" in hooks  # under TYPE_CHECKING: counted for layers only
    assert "model.economy.engine" not in _imports(ROOT / "economy" / "hooks.py", runtime_only=True)
