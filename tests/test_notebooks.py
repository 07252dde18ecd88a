"""Every notebook under notebooks/ runs from top to bottom, at a small size.

The notebooks are jupytext ``py:percent`` sources. Each has a cell tagged ``parameters``
(the full size, for a briefing); as papermill does, the test adds a cell after it that sets
the small values below for the names that cell defines, then runs the notebook.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))

#: The CI size: a twentieth of the firms, two replicates, the smallest samples.
SMALL = {
    "firm_scale": 0.05,
    "replicates": 2,
    "workers": 2,
    "morris_trajectories": 2,
    "sobol_samples": 4,
    "rerun_small": True,
}


def test_there_are_at_least_five_notebooks() -> None:
    assert len(NOTEBOOKS) >= 5


def _with_small_parameters(notebook):
    nbformat = pytest.importorskip("nbformat")
    cells = notebook.cells
    at = next(i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", []))
    names = [
        t.id
        for node in ast.parse(cells[at].source).body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    ]
    lines = [f"{n} = {SMALL[n]!r}" for n in names if n in SMALL]
    injected = nbformat.v4.new_code_cell("\n".join(lines))
    injected.metadata["tags"] = ["injected-parameters"]
    cells.insert(at + 1, injected)
    return notebook


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path) -> None:
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    notebook = _with_small_parameters(jupytext.read(path))
    client = nbclient.NotebookClient(
        notebook,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
