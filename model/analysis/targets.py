"""Plan targets (``calibration/targets.toml``) evaluated against a run's replicates."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from model.analysis.stats import REP, labelled, sweep_dims
from model.config.targets import Target, load_targets
from model.outputs.catalogue import across_sectors
from model.outputs.dataset import machine_tool_sector, region_of, sector_group_output

#: The forms a target's ``model_variable`` may take (see calibration/targets.toml):
#:   ``<variable>[+<variable>...]:<label>``   a variable (or a sum) at a label of its own dim
#:                                            (a sector, chain, segment, cluster, ...); the
#:                                            label ``all`` takes the catalogue's figure
#:                                            across sectors;
#:   ``aggregate_output:<id>``                output of one of the region's aggregates;
#:   ``aggregate_share:<id>``                 the same as a share of all output;
#:   ``n_at_least:<variable>:<bn yuan>``      how many labels of the variable's dim reach it.
MODEL_VARIABLE_FORMS = ("variable:label", "aggregate_output", "aggregate_share", "n_at_least")


def targets_of(ds: xr.Dataset, model_variable: str) -> list[Target]:
    """The region's targets on a model variable, by year (from ``calibration/targets.toml``)."""
    region = str(ds.attrs.get("region_name", ""))
    return sorted(
        (t for t in load_targets() if t.model_variable == model_variable and t.region == region),
        key=lambda t: t.year,
    )


def output_targets(ds: xr.Dataset) -> list[Target]:
    """The plan's targets on the region's machine-tool output, by year."""
    return targets_of(ds, f"output:{machine_tool_sector(region_of(ds))}")


def last_target_year(ds: xr.Dataset) -> int:
    """The last year with a machine-tool output target the file covers (else its last year)."""
    years = [int(y) for y in ds["year"].values]
    return max((t.year for t in output_targets(ds) if t.year in years), default=years[-1])


def at_label(ds: xr.Dataset, name: str, label: str) -> xr.DataArray:
    """A variable at ``label`` of whichever of its own dims has that label.

    ``all`` takes the variable for all sectors by the output catalogue's rule.
    """
    if label == "all":
        return across_sectors(ds, name)
    da = ds[name]
    for dim in da.dims:
        if dim in (REP, "year"):
            continue
        if label in [str(x) for x in da[dim].values]:
            return da.sel({dim: label})
    raise KeyError(f"{name} has no label {label!r}")


def _aggregate(ds: xr.Dataset, agg_id: str) -> xr.DataArray:
    region = region_of(ds)
    for agg in region.aggregate:
        if agg.id == agg_id:
            return sector_group_output(ds["output"], region, agg.sectors, agg.parts)
    raise KeyError(f"the region has no aggregate {agg_id!r}")


def series_of(ds: xr.Dataset, model_variable: str) -> xr.DataArray:
    """The yearly series (per replicate and point) a target's ``model_variable`` names.

    Raises:
        KeyError: The variable, label or aggregate does not exist in this dataset.
    """
    head, _, rest = model_variable.partition(":")
    if head == "aggregate_output":
        return _aggregate(ds, rest)
    if head == "aggregate_share":
        return _aggregate(ds, rest) / ds["output_total"]
    if head == "n_at_least":
        name, _, threshold = rest.partition(":")
        da = ds[name]
        own = [d for d in da.dims if d not in (REP, "year") and d not in sweep_dims(ds)]
        return (da >= float(threshold)).sum(own).astype(float)
    if not rest:  # a variable with no dim of its own (a regional total, an exponent)
        parts = [ds[name] for name in head.split("+")]
    else:
        parts = [at_label(ds, name, rest) for name in head.split("+")]
    return sum(parts[1:], parts[0])


def applies(ds: xr.Dataset, target: Target) -> bool:
    """Whether a target is the dataset's region's (targets of other regions are context)."""
    name = ds.attrs.get("region_name")
    return name is None or target.region == name


def simulated(ds: xr.Dataset, target: Target) -> xr.DataArray | None:
    """The target's model quantity per replicate, or None if the model has no such output."""
    var = target.model_variable
    if not var or target.year not in ds["year"].values or not applies(ds, target):
        return None
    series = series_of(ds, var)
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


def attainment(
    ds: xr.Dataset,
    targets: Sequence[Target] | None = None,
    uses: tuple[str, ...] = ("inverse", "evaluated"),
) -> xr.Dataset:
    """Share of replicates meeting each plan target, per point, with its Monte Carlo s.e.

    Args:
        ds: A run or sweep dataset.
        targets: Targets (default: ``calibration/targets.toml``).
        uses: Which targets (by their ``use``).

    Returns:
        Dataset with dims ``target`` (+ the sweep's dims): ``attainment``, ``attainment_se``,
        ``median``, ``p5``, ``p95``; coordinates ``goal``, ``unit``, ``target_year``,
        ``comparison``, ``use``.
    """
    targets = list(targets) if targets is not None else load_targets()
    rows, kept = [], []
    for t in targets:
        if t.use not in uses:
            continue
        sim = simulated(ds, t)
        if sim is None:
            continue
        sim = sim.drop_vars([c for c in sim.coords if c not in sim.dims], errors="ignore")
        rows.append(sim.astype(float))
        kept.append(t)
    if not rows:
        return xr.Dataset()
    sim = xr.concat(rows, dim="target").assign_coords(target=[t.id for t in kept])
    n = sim.sizes[REP]
    hit = xr.concat([meets(sim.sel(target=t.id), t) for t in kept], dim="target")
    p = hit.mean(REP)
    se = np.sqrt(p * (1.0 - p) / n) if n > 1 else xr.full_like(p, np.nan)
    q = sim.quantile([0.05, 0.5, 0.95], dim=REP)
    out = xr.Dataset(
        {
            "attainment": labelled(p, "1", "share of replicates meeting the target"),
            "attainment_se": labelled(se, "1", "Monte Carlo standard error of the share"),
            "median": labelled(q.sel(quantile=0.5, drop=True), "target unit", "simulated median"),
            "p5": labelled(q.sel(quantile=0.05, drop=True), "target unit", "simulated 5% quantile"),
            "p95": labelled(
                q.sel(quantile=0.95, drop=True), "target unit", "simulated 95% quantile"
            ),
        }
    )
    out = out.assign_coords(
        goal=(
            "target",
            [t.value for t in kept],
            {"long_name": "target value", "units": "target unit"},
        ),
        unit=("target", [t.unit for t in kept], {"long_name": "unit of the target"}),
        target_year=(
            "target",
            [t.year for t in kept],
            {"long_name": "target year", "units": "year"},
        ),
        comparison=(
            "target",
            [t.comparison for t in kept],
            {"long_name": "ge: a floor; le: a ceiling"},
        ),
        use=("target", [t.use for t in kept], {"long_name": "use of the target (targets.toml)"}),
    )
    out.attrs = {"replicates": n}
    return out
