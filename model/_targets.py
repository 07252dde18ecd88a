"""Plan targets (calibration/targets.toml) evaluated against a run's replicates."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from model._config import ScenarioError
from model._run import CHAINS

DEFAULT_TARGETS = Path(__file__).resolve().parents[1] / "calibration" / "targets.toml"


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
    """Read the target table."""
    path = Path(path) if path is not None else DEFAULT_TARGETS
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(str(path), "", "target file not found") from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(str(path), "", f"invalid TOML: {e}") from None
    return [Target(**t) for t in data.get("target", [])]


def _ten_chains_total(ds: xr.Dataset) -> xr.DataArray:
    # Disjoint sectors of the ten chains plus the CNC machine tools counted in smart
    # equipment: nothing counted twice.
    cnc = float(ds.attrs.get("cnc_share_in_smart_equipment", 0.0))
    chains = ds["output"].sel(sector=list(CHAINS)).sum("sector")
    return chains + cnc * ds["output"].sel(sector="machine_tools")


def simulated(ds: xr.Dataset, target: Target) -> xr.DataArray | None:
    """The target's model quantity per replicate, or None if the model has no such output."""
    var = target.model_variable
    if not var or target.year not in ds["year"].values:
        return None
    if var == "output:sum_ten_chains":
        series = _ten_chains_total(ds)
    elif var == "output_share_ten_chains":
        series = _ten_chains_total(ds) / ds["output_total"]
    else:
        names, _, sector = var.partition(":")
        parts = []
        for name in names.split("+"):
            if name == "output" and sector in CHAINS:
                parts.append(ds["chain_output"].sel(chain=sector))
            else:
                parts.append(ds[name].sel(sector=sector))
        series = sum(parts[1:], parts[0])
    if target.cumulative_from:
        window = series.sel(year=slice(target.cumulative_from, target.year))
        return window.sum("year")
    return series.sel(year=target.year)


def meets(values: np.ndarray, target: Target) -> np.ndarray:
    """Whether each replicate meets the target ("eq" counts are read as reaching the level)."""
    if target.comparison == "le":
        return values <= target.value
    return values >= target.value


def evaluate(
    ds: xr.Dataset, targets: list[Target], uses: tuple[str, ...] = ("inverse", "evaluated")
) -> list[dict]:
    """Goal, simulated median, 5-95% band and attainment with its Monte Carlo standard error."""
    rows = []
    for t in targets:
        if t.use not in uses:
            continue
        sim = simulated(ds, t)
        if sim is None:
            continue
        v = np.asarray(sim.values, dtype=float)
        hit = meets(v, t)
        p = float(hit.mean())
        n = len(v)
        rows.append(
            {
                "id": t.id,
                "use": t.use,
                "year": t.year,
                "comparison": t.comparison,
                "goal": t.value,
                "unit": t.unit,
                "median": float(np.median(v)),
                "p5": float(np.quantile(v, 0.05)),
                "p95": float(np.quantile(v, 0.95)),
                "attainment": p,
                "attainment_se": float(np.sqrt(p * (1.0 - p) / n)) if n > 1 else float("nan"),
                "replicates": n,
            }
        )
    return rows
