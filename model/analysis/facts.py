"""The facts report: the model against the realised figures of ``calibration/data.toml``.

For each fact of the run's region: the realised figure, its source and the band judged
acceptable, the model's median and 5-95% band across replicates in the fact's model year,
and whether the median lies inside the band. A fact's ``statistic`` is a target's
``model_variable`` form (:func:`model.analysis.targets.series_of`), or:

- ``ratio:<A>/<B>``: one such series over another (a share);
- ``growth:<variable>:<label>``: the model year's value over the base year's
  (``base_<variable>``) less 1;
- ``median:<variable>``: the median across the sector dim (a typical sector's shape);
- ``difference:<A> - <B>``: one such statistic less another (a premium of one group's
  ratio over another's).

Facts of kind ``rule_check`` (another province's figures that check a national rule's
selection, e.g. whom the specialised-new rule recognises) are compared in every region's run.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from model.analysis.stats import REP, sweep_dims
from model.analysis.targets import at_label, series_of
from model.config.data import Fact, load_facts

__all__ = ["evaluate_facts", "fact_values"]


def fact_values(ds: xr.Dataset, fact: Fact) -> xr.DataArray:
    """The fact's statistic per replicate (and point) in its model year.

    Raises:
        KeyError: The statistic names something the dataset does not have.
    """
    series = _statistic(ds, fact.statistic)
    if "year" in series.dims:
        series = series.sel(year=fact.model_year)
    return series.drop_vars([c for c in series.coords if c not in series.dims], errors="ignore")


def _statistic(ds: xr.Dataset, stat: str) -> xr.DataArray:
    head, _, rest = stat.partition(":")
    if head == "difference":
        first, sep, second = rest.partition(" - ")
        if not sep:
            raise KeyError(f"{stat}: a difference is written 'difference:<A> - <B>'")
        return _statistic(ds, first) - _statistic(ds, second)
    if head == "ratio":
        num, _, den = rest.partition("/")
        return series_of(ds, num) / series_of(ds, den)
    if head == "growth":
        name, _, label = rest.partition(":")
        return series_of(ds, rest) / at_label(ds, f"base_{name}", label) - 1.0
    if head == "median":
        da = ds[rest]
        own = [d for d in da.dims if d not in (REP, "year") and d not in sweep_dims(ds)]
        return da.median(own)
    return series_of(ds, stat)


def evaluate_facts(
    ds: xr.Dataset, facts: Sequence[Fact] | None = None, *, scale_free_only: bool = False
) -> list[dict]:
    """Each fact of the dataset's region against the model: median, 5-95% band, inside?

    Args:
        ds: A run (``model.run``).
        facts: Facts (default: the shipped ``calibration/data.toml``).
        scale_free_only: Only the facts a reduced-scale run can measure (shapes, shares).

    Returns:
        One row per fact: its fields, ``median``, ``p5``, ``p95`` and ``inside`` (the median
        within the band); facts of other regions, or of years the run lacks, are left out.
    """
    facts = list(facts) if facts is not None else load_facts()
    region = ds.attrs.get("region_name")
    years = set(int(y) for y in ds["year"].values)
    rows = []
    for f in facts:
        if (f.region != region and f.kind != "rule_check") or f.model_year not in years:
            continue
        if scale_free_only and not f.scale_free:
            continue
        v = np.asarray(fact_values(ds, f).values, dtype=float).reshape(-1)
        v = v[np.isfinite(v)]
        med = float(np.median(v)) if len(v) else float("nan")
        rows.append(
            {
                "fact": f,
                "median": med,
                "p5": float(np.quantile(v, 0.05)) if len(v) else float("nan"),
                "p95": float(np.quantile(v, 0.95)) if len(v) else float("nan"),
                "inside": bool(f.low <= med <= f.high),
            }
        )
    return rows
