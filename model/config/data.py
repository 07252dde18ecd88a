"""Realised figures (``calibration/data.toml``): what the model is checked and estimated on.

Each ``[[fact]]`` is one published figure with its source, the year it describes, the model
statistic that measures the same thing, the band within which the model counts as matching
it (and why that band), and, for the calibration, its standard error and use. Unlike the plan
targets (``targets.toml``), these are data: the facts report compares the model with them and
the calibration estimates behaviour on them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from model.config.errors import ScenarioError
from model.config.files import shipped
from model.config.schema import build
from model.config.toml import read_toml

__all__ = ["DataFile", "Fact", "default_data_file", "load_facts"]


def default_data_file() -> Path:
    """The shipped ``calibration/data.toml``."""
    return shipped("calibration", "data.toml")


@dataclass(frozen=True, kw_only=True)
class Fact:
    """One realised figure and how the model measures it."""

    id: str
    region: str = field(metadata={"doc": "the region it describes (the region file's name)"})
    measures: str = field(metadata={"doc": "what the figure is, in words"})
    value: float
    unit: str
    year: int = field(metadata={"doc": "the year the figure describes"})
    model_year: int = field(metadata={"doc": "the simulated year compared with it"})
    statistic: str = field(
        metadata={"doc": "the model's measure: a target's model_variable form, or growth:<...>"}
    )
    low: float = field(metadata={"doc": "the band the model must fall in: lower end"})
    high: float = field(metadata={"doc": "upper end"})
    band_why: str = field(metadata={"doc": "why this band"})
    source: str
    confidence: Literal["H", "M", "L", "derived"]
    scale_free: bool = field(
        metadata={"doc": "a shape or share a reduced-scale run measures too (counts: false)"}
    )
    kind: Literal["base_year", "outturn", "stylised", "rule_check"] = field(
        default="base_year",
        metadata={
            "doc": "a base-year figure, a later outturn (held out), a stylised fact, or another "
            "region's figure that checks a national rule (compared in every region's run)"
        },
    )
    use: Literal["fit", "held_out", "report"] = field(
        metadata={
            "doc": "fit: a moment the calibration estimates behaviour on (scale-free, realised); "
            "held_out: a later outturn checked at the estimate, never fitted; report: a count, "
            "a scale-dependent figure or a consistency check, reported at full scale"
        }
    )
    se: float = field(
        metadata={"doc": "standard error, or the revision / measurement error, of the figure"}
    )
    se_why: str = field(metadata={"doc": "where the standard error comes from"})

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ValueError(f"fact {self.id}: low must not exceed high")
        if not self.se > 0:
            raise ValueError(f"fact {self.id}: se must be positive")
        if self.use == "fit" and not self.scale_free:
            raise ValueError(
                f"fact {self.id}: a fitted moment must be scale_free (reduced-scale runs fit it)"
            )


@dataclass(frozen=True, kw_only=True)
class DataFile:
    """The file's contents."""

    fact: tuple[Fact, ...] = ()


def load_facts(path: str | os.PathLike[str] | None = None) -> list[Fact]:
    """Read the realised figures (default: the shipped file).

    Raises:
        ScenarioError: One line naming the file, the key and what is allowed.
    """
    path = Path(path) if path is not None else default_data_file()
    doc = read_toml(path)
    data: DataFile = build(DataFile, doc)
    ids = [f.id for f in data.fact]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ScenarioError(str(path), "fact", f"ids must be unique; repeated: {dup}")
    return list(data.fact)
