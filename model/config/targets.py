"""The plan targets file (``calibration/targets.toml``): every numeric target of the seeds, cited.

Targets are aspirations, not data: they are evaluated against the runs and used in the
inverse exercise, never to estimate behaviour (DESIGN.md, "Calibration (two stages)").
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from model.config.errors import ScenarioError
from model.config.files import shipped

__all__ = ["Target", "default_targets_file", "load_targets"]


def default_targets_file() -> Path:
    """The shipped ``calibration/targets.toml``."""
    return shipped("calibration", "targets.toml")


@dataclass(frozen=True)
class Target:
    """One plan target, as cited in targets.toml."""

    id: str
    value: float
    unit: str
    comparison: str
    year: int
    region: str
    scope: str
    model_variable: str
    cumulative_from: int
    seed: str
    quote: str
    use: str
    note: str


def load_targets(path: str | os.PathLike[str] | None = None) -> list[Target]:
    """Read the target table (default: the shipped one)."""
    path = Path(path) if path is not None else default_targets_file()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(str(path), "", "target file not found") from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(str(path), "", f"invalid TOML: {e}") from None
    return [Target(**t) for t in data.get("target", [])]
