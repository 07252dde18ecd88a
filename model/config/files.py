"""Where the shipped scenarios, regions, sweeps and targets are: a checkout or a wheel.

In a source checkout they are the repository's ``scenarios/`` and ``calibration/`` folders. A
wheel carries the same folders as package data (``model/_shipped/``, see ``pyproject.toml``),
so ``python -m model run scenarios/plan.toml`` also works where only the wheel is installed:
a relative path that does not exist from the working directory is looked up among the shipped
files.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

__all__ = ["SHIPPED_FOLDERS", "find", "shipped", "shipped_root"]

#: Top-level folders of the repository that ship with the package.
SHIPPED_FOLDERS = ("scenarios", "calibration")

_CHECKOUT = Path(__file__).resolve().parents[2]


def shipped_root() -> Path:
    """The folder holding ``scenarios/`` and ``calibration/``: the checkout, else the wheel's."""
    if all((_CHECKOUT / f).is_dir() for f in SHIPPED_FOLDERS):
        return _CHECKOUT
    return Path(str(resources.files("model") / "_shipped"))


def shipped(*parts: str) -> Path:
    """A shipped file or folder, e.g. ``shipped("calibration", "targets.toml")``."""
    return shipped_root().joinpath(*parts)


def find(path: str | os.PathLike[str]) -> Path:
    """A file path as given if it exists; else the shipped file of that relative path.

    ``scenarios/plan.toml`` is found from any working directory; an absolute or existing path
    is returned unchanged (and a missing one too, for the caller to report).
    """
    p = Path(path)
    if p.is_absolute() or p.exists():
        return p
    candidate = shipped(*p.parts)
    return candidate if candidate.exists() else p
