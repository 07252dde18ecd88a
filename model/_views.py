"""Derived views of a run or sweep dataset.

Attainment of the plan targets, bands, paired differences, value added per yuan, deadweight
and leakage, and Shapley attribution across the instruments.

Every function takes the dataset ``model.run`` or ``model.sweep`` returns (any extra dims,
such as sweep axes, are carried through) and returns an ``xarray`` object with ``units`` and
``long_name`` on each variable. Differences between points are paired by replicate: every
point of a sweep ran with the same seed and replicate numbers (common random numbers), so
the difference of replicate r is free of the noise both points share.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from model._config import ScenarioError
from model._run import INSTRUMENTS
from model._targets import Target, load_targets, meets, simulated

__all__ = [
    "attainment",
    "bands",
    "counterfactual_point",
    "deadweight_leakage",
    "differences",
    "difference_summary",
    "key_outputs",
    "shapley",
    "sweep_dims",
    "value_per_yuan",
]

REP = "replicate"


# ------------------------------------------------------------------------- helpers


def sweep_dims(ds: xr.Dataset) -> list[str]:
    """The sweep's own dims (axes, ``scenario``, ``sample``), in dataset order."""
    return [d for d in str(ds.attrs.get("sweep_dims", "")).split() if d in ds.dims]


def _mcse(x: xr.DataArray, dim: str = REP) -> xr.DataArray:
    """Monte Carlo standard error of the mean over ``dim`` (NaN with one replicate)."""
    n = x.sizes[dim]
    if n < 2:
        return xr.full_like(x.isel({dim: 0}, drop=True), np.nan, dtype=float)
    return x.std(dim, ddof=1) / math.sqrt(n)


def _safe_ratio(num: xr.DataArray, den: xr.DataArray) -> xr.DataArray:
    """Return num / den, NaN where den is 0 (no division warnings)."""
    return num / den.where(den != 0)


def _attrs(da: xr.DataArray, units: str, long_name: str) -> xr.DataArray:
    da.attrs = {"units": units, "long_name": long_name}
    return da


def _parse_value(coord: xr.DataArray, value: Any) -> Any:
    """A command-line value in the coordinate's type (``false`` for booleans, numbers)."""
    if coord.dtype == bool:
        if isinstance(value, str):
            low = value.strip().lower()
            if low in ("true", "1", "on", "yes"):
                return True
            if low in ("false", "0", "off", "no"):
                return False
            return value  # matches no label: reported by the caller
        return bool(value)
    if np.issubdtype(coord.dtype, np.number) and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def counterfactual_point(ds: xr.Dataset, where: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Indexers (dim -> label) of a counterfactual point of a sweep.

    Keys may be dim names (``scenario``, ``rd_bonus_enabled``) or the dotted paths the dims
    sweep (``instruments.rd_bonus.enabled``). Without ``where``, the point where every swept
    ``instruments.*.enabled`` is false, or the scenario named ``no_policy``.

    Raises:
        ScenarioError: If a key names no dim or a label no point (listing what exists).
    """
    dims = sweep_dims(ds)
    by_path = {str(ds[d].attrs.get("path")): d for d in dims if ds[d].attrs.get("path")}
    if not where:
        found: dict[str, Any] = {}
        for path, d in by_path.items():
            if (
                path.startswith("instruments.")
                and path.endswith(".enabled")
                and ds[d].dtype == bool
            ):
                found[d] = False
        if not found and "scenario" in dims and "no_policy" in ds["scenario"].values:
            found["scenario"] = "no_policy"
        return found
    out: dict[str, Any] = {}
    for key, value in where.items():
        d = key if key in dims else by_path.get(key)
        if d is None:
            raise ScenarioError(
                "--counterfactual",
                key,
                f"no sweep dim or swept path {key!r} (dims: {', '.join(dims) or 'none'})",
            )
        v = _parse_value(ds[d], value)
        labels = [x.item() if hasattr(x, "item") else x for x in ds[d].values]
        if v not in labels:
            raise ScenarioError(
                "--counterfactual", key, f"no point with {d} = {value!r} (values: {labels})"
            )
        out[d] = labels[labels.index(v)]
    return out


# ------------------------------------------------------------------------- attainment, bands


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
            "attainment": _attrs(p, "1", "share of replicates meeting the target"),
            "attainment_se": _attrs(se, "1", "Monte Carlo standard error of the share"),
            "median": _attrs(q.sel(quantile=0.5, drop=True), "target unit", "simulated median"),
            "p5": _attrs(q.sel(quantile=0.05, drop=True), "target unit", "simulated 5% quantile"),
            "p95": _attrs(q.sel(quantile=0.95, drop=True), "target unit", "simulated 95% quantile"),
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


def _replicate_variables(ds: xr.Dataset, variables: Sequence[str] | None) -> list[str]:
    """The variables asked for, or every numeric one with a ``replicate`` dim."""
    if variables is not None:
        return list(variables)
    return [
        n for n, v in ds.data_vars.items() if REP in v.dims and np.issubdtype(v.dtype, np.number)
    ]


def bands(
    ds: xr.Dataset,
    variables: Sequence[str] | None = None,
    quantiles: Sequence[float] = (0.05, 0.5, 0.95),
) -> xr.Dataset:
    """Median and 5-95% bands across replicates (dim ``quantile``) of each variable."""
    names = _replicate_variables(ds, variables)
    out = ds[names].quantile(list(quantiles), dim=REP, keep_attrs=True)
    out["quantile"].attrs = {"long_name": "quantile across replicates", "units": "1"}
    return out


# ------------------------------------------------------------------------- differences


def differences(
    ds: xr.Dataset,
    counterfactual: Mapping[str, Any] | None = None,
    variables: Sequence[str] | None = None,
) -> xr.Dataset:
    """Each point minus the counterfactual point, replicate by replicate (common random numbers).

    Args:
        ds: A sweep dataset.
        counterfactual: The counterfactual point (see :func:`counterfactual_point`); default
            every swept instrument off, or the ``no_policy`` scenario.
        variables: Variables to difference (default: all with a ``replicate`` dim).

    Returns:
        Dataset of paired differences; the counterfactual's dims are kept (its own point
        differs by 0).

    Raises:
        ScenarioError: If no counterfactual is given and none can be found.
    """
    where = counterfactual_point(ds, counterfactual)
    if not where:
        raise ScenarioError(
            "--counterfactual", "", "no counterfactual point: name one, e.g. scenario=no_policy"
        )
    names = _replicate_variables(ds, variables)
    sub = ds[names]
    cf = sub.sel(where, drop=True)
    diff = sub - cf
    for n in names:
        diff[n].attrs = {
            "units": ds[n].attrs.get("units", ""),
            "long_name": f"{ds[n].attrs.get('long_name', n)}: difference from the counterfactual",
        }
    diff.attrs = {"counterfactual": ", ".join(f"{k} = {v}" for k, v in where.items())}
    return diff


def difference_summary(diff: xr.Dataset | xr.DataArray) -> xr.Dataset:
    """Mean paired difference with its Monte Carlo s.e., median and 5-95% band."""
    if isinstance(diff, xr.DataArray):
        diff = diff.to_dataset(name=diff.name or "difference")
    out = {}
    for n, v in diff.data_vars.items():
        q = v.quantile([0.05, 0.5, 0.95], dim=REP)
        units = v.attrs.get("units", "")
        out[f"{n}_mean"] = _attrs(v.mean(REP), units, f"mean of {n}")
        out[f"{n}_mcse"] = _attrs(_mcse(v), units, f"Monte Carlo s.e. of the mean of {n}")
        out[f"{n}_median"] = _attrs(q.sel(quantile=0.5, drop=True), units, f"median of {n}")
        out[f"{n}_p5"] = _attrs(q.sel(quantile=0.05, drop=True), units, f"5% quantile of {n}")
        out[f"{n}_p95"] = _attrs(q.sel(quantile=0.95, drop=True), units, f"95% quantile of {n}")
    return xr.Dataset(out, attrs=dict(diff.attrs))


def _ratio_of_means(num: xr.DataArray, den: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """mean(num) / mean(den) and its delta-method Monte Carlo s.e. over replicates."""
    r = _safe_ratio(num.mean(REP), den.mean(REP))
    n = num.sizes[REP]
    if n < 2:
        return r, xr.full_like(r, np.nan)
    resid = num - r * den
    se = _safe_ratio(resid.std(REP, ddof=1) / math.sqrt(n), abs(den.mean(REP)))
    return r, se


def value_per_yuan(
    ds: xr.Dataset,
    counterfactual: Mapping[str, Any] | None = None,
    years: slice | None = None,
) -> xr.Dataset:
    """Value added gained per yuan of net public cost, against a counterfactual point.

    Value added gained = sum over years of the paired difference in total value added; net
    public cost = the same for ``public_cost`` (subsidies, tax expenditures, re-lending
    relief), in total and by payer; by instrument, the difference in ``subsidy_paid``. Ratios
    are of means across replicates (robust where a replicate's cost difference is near 0),
    with delta-method Monte Carlo standard errors. A per-instrument ratio charges all of a
    point's value added to that instrument: read it at points that differ from the
    counterfactual in that instrument only (see :func:`shapley` for mixes).

    Returns:
        Dataset with ``va_gained``, ``net_public_cost`` (per replicate), and
        ``va_per_yuan``, ``va_per_yuan_by_payer``, ``va_per_yuan_by_instrument`` with
        ``*_se``.
    """
    d = differences(
        ds, counterfactual, ["value_added_total", "public_cost", "subsidy_paid", "taxes"]
    )
    sel = (lambda x: x.sel(year=years)) if years is not None else (lambda x: x)
    va = sel(d["value_added_total"]).sum("year")
    cost_payer = sel(d["public_cost"]).sum("year")
    cost = cost_payer.sum("payer")
    subsidy = sel(d["subsidy_paid"]).sum("year")
    taxes = sel(d["taxes"]).sum(["year", "sector"])
    r, r_se = _ratio_of_means(va, cost)
    rp, rp_se = _ratio_of_means(va, cost_payer)
    ri, ri_se = _ratio_of_means(va, subsidy)
    out = xr.Dataset(
        {
            "va_gained": _attrs(
                va, "bn yuan", "value added gained over the years, vs the counterfactual"
            ),
            "net_public_cost": _attrs(
                cost, "bn yuan", "extra public cost over the years, vs the counterfactual"
            ),
            "net_public_cost_by_payer": _attrs(cost_payer, "bn yuan", "extra public cost by payer"),
            "subsidy_by_instrument": _attrs(subsidy, "bn yuan", "extra subsidy paid by instrument"),
            "tax_revenue_gained": _attrs(
                taxes, "bn yuan", "extra VAT + corporate income tax collected"
            ),
            "va_per_yuan": _attrs(r, "yuan/yuan", "value added gained per yuan of net public cost"),
            "va_per_yuan_se": _attrs(r_se, "yuan/yuan", "Monte Carlo s.e. of va_per_yuan"),
            "va_per_yuan_by_payer": _attrs(
                rp, "yuan/yuan", "value added gained per yuan of the payer's net cost"
            ),
            "va_per_yuan_by_payer_se": _attrs(rp_se, "yuan/yuan", "Monte Carlo s.e."),
            "va_per_yuan_by_instrument": _attrs(
                ri, "yuan/yuan", "value added gained per yuan of the instrument's extra subsidy"
            ),
            "va_per_yuan_by_instrument_se": _attrs(ri_se, "yuan/yuan", "Monte Carlo s.e."),
        }
    )
    out.attrs = dict(d.attrs)
    return out


def deadweight_leakage(ds: xr.Dataset) -> xr.Dataset:
    """Deadweight and leakage by instrument, summed over the years (mean and 5-95% band).

    ``deadweight_share`` = mean deadweight / mean subsidy paid (the part of the subsidy that
    paid for behaviour the same firms show without the policy, same random numbers).
    """
    sub = ds["subsidy_paid"].sum("year")
    dw = ds["deadweight"].sum("year")
    leak = ds["leakage"].sum("year")
    share, share_se = _ratio_of_means(dw, sub)
    out = {
        "subsidy_paid_mean": _attrs(sub.mean(REP), "bn yuan", "subsidy paid over the years, mean"),
        "deadweight_mean": _attrs(dw.mean(REP), "bn yuan", "deadweight over the years, mean"),
        "deadweight_share": _attrs(share, "1", "deadweight / subsidy paid (ratio of means)"),
        "deadweight_share_se": _attrs(share_se, "1", "Monte Carlo s.e. of deadweight_share"),
        "leakage_mean": _attrs(
            leak.mean(REP), "bn yuan", "machine tools bought outside Zhejiang by paid firms, mean"
        ),
    }
    for name, x in (("deadweight", dw), ("leakage", leak)):
        q = x.quantile([0.05, 0.95], dim=REP)
        out[f"{name}_p5"] = _attrs(
            q.sel(quantile=0.05, drop=True), "bn yuan", f"{name}, 5% quantile"
        )
        out[f"{name}_p95"] = _attrs(
            q.sel(quantile=0.95, drop=True), "bn yuan", f"{name}, 95% quantile"
        )
    return xr.Dataset(out)


# ------------------------------------------------------------------------- key outputs


def _machine_age_all(ds: xr.Dataset) -> xr.DataArray:
    w = ds["output"]
    return (ds["mean_machine_age"] * w).sum("sector") / w.sum("sector")


#: Key outputs of a run: name -> (units, long name, function of the dataset).
KEY_OUTPUTS: dict[str, tuple[str, str, Callable[[xr.Dataset], xr.DataArray]]] = {
    "machine_tool_output_2025": (
        "bn yuan",
        "machine-tool gross output in 2025",
        lambda ds: ds["output"].sel(sector="machine_tools", year=2025),
    ),
    "machine_tool_output_2027": (
        "bn yuan",
        "machine-tool gross output in 2027",
        lambda ds: ds["output"].sel(sector="machine_tools", year=2027),
    ),
    "value_added": (
        "bn yuan",
        "value added of all sectors, summed over the years",
        lambda ds: ds["value_added_total"].sum("year"),
    ),
    "rd_expenditure": (
        "bn yuan",
        "reported R&D of all sectors, summed over the years",
        lambda ds: ds["rd_expenditure_total"].sum("year"),
    ),
    "machine_tool_rd": (
        "bn yuan",
        "reported R&D of machine-tool firms, summed over the years",
        lambda ds: ds["rd_expenditure"].sel(sector="machine_tools").sum("year"),
    ),
    "first_set_products": (
        "count",
        "first-set products recognised, summed over the years",
        lambda ds: ds["first_set_products_new"].sel(sector="machine_tools").sum("year"),
    ),
    "mean_machine_age_2027": (
        "years",
        "output-weighted mean machine age of all sectors in 2027",
        lambda ds: _machine_age_all(ds).sel(year=2027),
    ),
    "public_cost": (
        "bn yuan",
        "public cost of all payers, summed over the years",
        lambda ds: ds["public_cost"].sum(["payer", "year"]),
    ),
}


def key_outputs(ds: xr.Dataset, names: Sequence[str] | None = None) -> xr.Dataset:
    """The key outputs (``KEY_OUTPUTS``) per replicate and point; ones a run lacks are left out."""
    out = {}
    for name in names or KEY_OUTPUTS:
        units, long_name, fn = KEY_OUTPUTS[name]
        try:
            da = fn(ds)
        except KeyError:
            continue
        da = da.drop_vars([c for c in da.coords if c not in da.dims], errors="ignore")
        out[name] = _attrs(da.astype(float), units, long_name)
    return xr.Dataset(out)


# ------------------------------------------------------------------------- Shapley


def instrument_players(ds: xr.Dataset) -> dict[str, str]:
    """Instrument -> dim of the sweep that switches it on and off (``instruments.X.enabled``)."""
    out = {}
    for d in sweep_dims(ds):
        path = str(ds[d].attrs.get("path", ""))
        parts = path.split(".")
        if len(parts) == 3 and parts[0] == "instruments" and parts[2] == "enabled":
            out[parts[1]] = d
    return {k: out[k] for k in INSTRUMENTS if k in out} | {
        k: v for k, v in out.items() if k not in INSTRUMENTS
    }


def shapley(
    ds: xr.Dataset,
    outputs: xr.Dataset | Sequence[str] | None = None,
    players: Mapping[str, str] | None = None,
) -> xr.Dataset:
    """Shapley values of the policy mix's effect on each output, across its instruments.

    For each replicate (common random numbers) and output, with v(S) the output when the
    instruments in S are on and the others off::

        phi_i = sum over S not containing i of |S|! (n - |S| - 1)! / n! [v(S + i) - v(S)]

    so that sum_i phi_i = v(all) - v(none) (efficiency), replicate by replicate.

    Args:
        ds: A sweep with one boolean dim per instrument (``instruments.X.enabled``), e.g.
            ``scenarios/sweeps/instrument_combinations.toml``; other dims are carried.
        outputs: Outputs per replicate (a Dataset, or names of ``KEY_OUTPUTS``); default all
            key outputs.
        players: Instrument -> dim (default: found from the dims' paths).

    Returns:
        Dataset with dims ``output``, ``instrument`` (and ``replicate``, other dims):
        ``phi`` and ``effect`` (= v(all) - v(none)) per replicate; ``phi_mean``,
        ``phi_sd``, ``phi_p5``, ``phi_p95``, ``phi_mcse``; ``effect_mean``; coordinates
        ``output_units``. ``va_per_yuan`` = phi(value added) / phi(public cost) by instrument
        when both are among the outputs.
    """
    players = dict(players) if players is not None else instrument_players(ds)
    if not players:
        raise ScenarioError(
            str(ds.attrs.get("sweep_file", "dataset")),
            "",
            "no instrument on/off dims (instruments.X.enabled = [false, true]) for Shapley values",
        )
    for name, d in players.items():
        if d not in ds.dims or sorted(map(bool, ds[d].values)) != [False, True]:
            raise ScenarioError(
                str(ds.attrs.get("sweep_file", "dataset")),
                d,
                f"{name}: needs a dim with exactly the values false and true",
            )
    if outputs is None or not isinstance(outputs, xr.Dataset):
        outputs = key_outputs(ds, outputs)
    names = list(outputs.data_vars)
    v = xr.concat([outputs[n] for n in names], dim="output").assign_coords(output=names)
    inst = list(players)
    n = len(inst)

    def value(on: set[str]) -> xr.DataArray:
        return v.sel({players[i]: (i in on) for i in inst}, drop=True)

    phis = []
    for i in inst:
        others = [j for j in inst if j != i]
        phi = None
        for k in range(n):
            w = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
            for s in itertools.combinations(others, k):
                term = w * (value(set(s) | {i}) - value(set(s)))
                phi = term if phi is None else phi + term
        assert phi is not None
        phis.append(phi)
    phi = xr.concat(phis, dim="instrument").assign_coords(instrument=inst)
    phi = phi.transpose("output", "instrument", ...)
    effect = value(set(inst)) - value(set())
    q = phi.quantile([0.05, 0.95], dim=REP)
    units = [outputs[nm].attrs.get("units", "") for nm in names]
    out = xr.Dataset(
        {
            "phi": _attrs(phi, "output units", "Shapley value of the instrument (per replicate)"),
            "effect": _attrs(effect, "output units", "effect of the whole mix: v(all) - v(none)"),
            "phi_mean": _attrs(
                phi.mean(REP), "output units", "Shapley value, mean across replicates"
            ),
            "phi_sd": _attrs(
                phi.std(REP, ddof=1) if phi.sizes[REP] > 1 else xr.full_like(phi.mean(REP), np.nan),
                "output units",
                "Shapley value, sd across replicates",
            ),
            "phi_mcse": _attrs(_mcse(phi), "output units", "Monte Carlo s.e. of phi_mean"),
            "phi_p5": _attrs(
                q.sel(quantile=0.05, drop=True), "output units", "Shapley value, 5% quantile"
            ),
            "phi_p95": _attrs(
                q.sel(quantile=0.95, drop=True), "output units", "Shapley value, 95% quantile"
            ),
            "effect_mean": _attrs(effect.mean(REP), "output units", "effect of the mix, mean"),
        }
    )
    out = out.assign_coords(
        output_units=("output", units, {"long_name": "units of the output"}),
        output_long_name=(
            "output",
            [outputs[nm].attrs.get("long_name", nm) for nm in names],
            {"long_name": "what the output measures"},
        ),
    )
    out["instrument"].attrs = {"long_name": "policy instrument (player)"}
    if "value_added" in names and "public_cost" in names:
        ratio, se = _ratio_of_means(
            phi.sel(output="value_added", drop=True), phi.sel(output="public_cost", drop=True)
        )
        out["va_per_yuan"] = _attrs(
            ratio,
            "yuan/yuan",
            "Shapley value added per yuan of the instrument's Shapley public cost",
        )
        out["va_per_yuan_se"] = _attrs(se, "yuan/yuan", "Monte Carlo s.e. of va_per_yuan")
    out.attrs = {"players": ", ".join(f"{k} = {d}" for k, d in players.items())}
    return out


# ------------------------------------------------------------------------- text summary


def _g(x: float) -> str:
    if not np.isfinite(x):
        return "nan"
    return f"{x:.4g}" if abs(x) < 1e5 else f"{x:.3e}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int) -> list[str]:
    """Columns padded to their widest cell: the first ``left`` left-aligned, the rest right."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(
            f"{c:<{w}}" if k < left else f"{c:>{w}}"
            for k, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [fmt(header), *(fmt(r) for r in rows)]


def _point_rows(ds: xr.Dataset) -> tuple[list[str], list[dict[str, Any]]]:
    dims = sweep_dims(ds)
    combos = itertools.product(*[list(ds[d].values) for d in dims]) if dims else [()]
    rows = [
        dict(zip(dims, (v.item() if hasattr(v, "item") else v for v in c), strict=True))
        for c in combos
    ]
    return dims, rows


#: Column titles of the machine-tool targets in the summary.
SHORT_TARGETS = {
    "zj_machine_tool_output_2025": "MT output 2025",
    "zj_machine_tool_output_2027": "MT output 2027",
    "zj_machine_tool_new_champions_little_giants_2025": "MT giants+champions 2025",
    "zj_machine_tool_first_set_new_2025": "MT first-set 2025",
}


def _short_target(tid: str) -> str:
    return SHORT_TARGETS.get(tid, tid.removeprefix("zj_").replace("_", " "))


def _more(n: int) -> list[str]:
    if n <= MAX_ROWS:
        return []
    return [f"... and {n - MAX_ROWS} more points (model.attainment, model.value_per_yuan give all)"]


def _mean_se(x: xr.DataArray) -> str:
    return f"{_g(float(x.mean()))} ± {_g(float(_mcse(x)))}"


#: Most points listed in a summary table.
MAX_ROWS = 40


def sweep_summary(ds: xr.Dataset, counterfactual: Mapping[str, Any] | None = None) -> str:
    """A compact text summary of a sweep (or run): attainment, differences, Shapley values.

    Tables list at most ``MAX_ROWS`` points; the functions of this module give all of them.
    """
    dims, rows = _point_rows(ds)
    n = ds.sizes.get(REP, 0)
    sizes = " x ".join(f"{d} ({ds.sizes[d]})" for d in dims) or "one point"
    name = ds.attrs.get("sweep_name", ds.attrs.get("scenario_name", "?"))
    out = [
        f"Sweep {name!r}: {len(rows)} points [{sizes}], {n} replicates each, "
        f"seed {ds.attrs.get('seed')}, code {ds.attrs.get('code_version')}.",
        "Every point uses the same seed and replicate numbers (common random numbers).",
    ]

    # Sampled parameters are shown by their values, not the sample number.
    shown = {
        d: [c for c in ds.coords if ds[c].dims == (d,) and c != d and ds[c].attrs.get("path")]
        or [d]
        for d in dims
    }
    cols = [c for d in dims for c in shown[d]]

    def labels(r: dict[str, Any]) -> list[str]:
        out = []
        for d in dims:
            for c in shown[d]:
                v = r[d] if c == d else ds[c].sel({d: r[d]}).item()
                out.append(_g(v) if isinstance(v, float) else str(v))
        return out

    # Attainment of the plan's machine-tool targets.
    try:
        att = attainment(ds, uses=("inverse",))
    except ScenarioError:
        att = xr.Dataset()
    if att.data_vars:
        tids = [str(t) for t in att["target"].values]
        goals = "; ".join(
            f"{_short_target(t)} "
            f"{'<=' if att['comparison'].sel(target=t).item() == 'le' else '>='} "
            f"{_g(float(att['goal'].sel(target=t)))}"
            for t in tids
        )
        out += ["", f"Targets ({goals}): share of replicates meeting each ± Monte Carlo s.e."]
        has_mt = 2027 in ds["year"].values
        header = [*cols, *(_short_target(t) for t in tids)]
        if has_mt:
            header.append("MT output 2027: median [5%, 95%]")
            mt = ds["output"].sel(sector="machine_tools", year=2027)
        body = []
        for r in rows:
            cells = labels(r)
            for t in tids:
                a = att.sel(target=t).sel(r)
                cells.append(f"{float(a['attainment']):.0%} ± {float(a['attainment_se']):.0%}")
            if has_mt:
                v = mt.sel(r).values.astype(float)
                cells.append(
                    f"{_g(np.median(v))} [{_g(np.quantile(v, 0.05))}, {_g(np.quantile(v, 0.95))}]"
                )
            body.append(cells)
        out += _table(header, body[:MAX_ROWS], len(cols)) + _more(len(body))

    # Differences from the counterfactual, value per yuan, deadweight.
    where = counterfactual_point(ds, counterfactual) if dims else {}
    if where:
        vp = value_per_yuan(ds, where)
        dl = deadweight_leakage(ds)
        cf = ", ".join(f"{k} = {v}" for k, v in where.items())
        out += [
            "",
            f"Against the counterfactual ({cf}), paired by replicate: mean ± Monte Carlo s.e., "
            "bn yuan summed over the years; value added gained per yuan of net public cost, in "
            "all and per yuan of each payer's; deadweight share of the subsidies and leakage "
            "(machine tools bought outside Zhejiang by the firms paid)",
        ]
        payers = [str(x) for x in vp["payer"].values]
        header = [
            *cols,
            "VA gained",
            "net public cost",
            "VA per yuan",
            *(f"per {x} yuan" for x in payers),
            "deadweight",
            "leakage",
        ]
        body = []
        for r in rows:
            if all(r.get(k) == v for k, v in where.items()):
                continue
            p, d = vp.sel(r), dl.sel(r)
            paid = float(d["subsidy_paid_mean"].sum())
            share = float(d["deadweight_mean"].sum()) / paid if paid > 0 else float("nan")
            body.append(
                [
                    *labels(r),
                    _mean_se(p["va_gained"]),
                    _mean_se(p["net_public_cost"]),
                    f"{_g(float(p['va_per_yuan']))} ± {_g(float(p['va_per_yuan_se']))}",
                    *(_g(float(p["va_per_yuan_by_payer"].sel(payer=x))) for x in payers),
                    f"{share:.0%}" if np.isfinite(share) else "-",
                    _g(float(d["leakage_mean"].sum())),
                ]
            )
        out += _table(header, body[:MAX_ROWS], len(cols)) + _more(len(body))

    # Shapley values over the instrument on/off dims.
    players = instrument_players(ds)
    if players and set(players.values()) == set(dims):
        sh = shapley(ds)
        inst = [str(i) for i in sh["instrument"].values]
        out += [
            "",
            "Shapley values of the mix's effect (all on vs all off) by instrument: mean "
            "[5%, 95%] across replicates; they add up to the effect in every replicate",
        ]
        body = []
        for o in sh["output"].values:
            s = sh.sel(output=o)
            cells = [f"{o} ({s['output_units'].item()})"]
            for i in inst:
                x = s.sel(instrument=i)
                lo, hi = _g(float(x["phi_p5"])), _g(float(x["phi_p95"]))
                cells.append(f"{_g(float(x['phi_mean']))} [{lo}, {hi}]")
            cells.append(_g(float(s["effect_mean"])))
            body.append(cells)
        if "va_per_yuan" in sh:
            body.append(
                ["VA per yuan of public cost"]
                + [
                    f"{_g(float(sh['va_per_yuan'].sel(instrument=i)))} ± "
                    f"{_g(float(sh['va_per_yuan_se'].sel(instrument=i)))}"
                    for i in inst
                ]
                + [""]
            )
        out += _table(["output", *inst, "whole mix"], body, 1)
    return "\n".join(out)
