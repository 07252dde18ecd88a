"""Derived views of a run or sweep: bands, differences, value per yuan, deadweight, markets.

Every function takes the dataset ``model.run`` or ``model.sweep`` returns (any extra dims,
such as sweep axes, are carried through) and returns an ``xarray`` object with ``units`` and
``long_name`` on each variable. Differences between points are paired by replicate: every
point of a sweep ran with the same seed and replicate numbers (common random numbers), so
the difference of replicate r is free of the noise both points share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from model.analysis.stats import REP, labelled, mcse, ratio_of_means, sweep_dims
from model.config.errors import ScenarioError
from model.outputs.catalogue import DEADWEIGHT_VARIABLE
from model.outputs.dataset import machine_tool_sector, region_of


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


#: The comparisons a sweep may hold, in order of preference: the scenario that is it, and the
#: instrument switch (path suffix and value) that makes a point it.
COMPARISONS = (("status_quo", ".as_before_plan", True), ("no_policy", ".enabled", False))


def counterfactual_point(ds: xr.Dataset, where: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Indexers (dim -> label) of a counterfactual point of a sweep.

    Keys may be dim names (``scenario``, ``rd_bonus_enabled``) or the dotted paths the dims
    sweep (``instruments.rd_bonus.enabled``). Without ``where``, the status quo where the
    sweep has one: the point where every swept ``instruments.*.as_before_plan`` is true, or
    the scenario named ``status_quo``; otherwise no policy: the point where every swept
    ``instruments.*.enabled`` is false, or the scenario named ``no_policy``.
    :func:`comparison` says which.

    Raises:
        ScenarioError: If a key names no dim or a label no point (listing what exists).
    """
    dims = sweep_dims(ds)
    by_path = {str(ds[d].attrs.get("path")): d for d in dims if ds[d].attrs.get("path")}
    if not where:
        scenarios = ds["scenario"].values if "scenario" in dims else ()
        for scenario, suffix, value in COMPARISONS:
            found: dict[str, Any] = {
                d: value
                for path, d in by_path.items()
                if path.startswith("instruments.") and path.endswith(suffix) and ds[d].dtype == bool
            }
            if not found and scenario in scenarios:
                found["scenario"] = scenario
            if found:
                return found
        return {}
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


def comparison(ds: xr.Dataset, where: Mapping[str, Any]) -> str:
    """What a counterfactual point is: ``status_quo``, ``no_policy`` or ``other``.

    The status quo is the scenario ``status_quo`` or every swept instrument as before the
    plan; no policy is the scenario ``no_policy`` or every swept instrument off.
    """
    if not where:
        return "other"
    paths = {d: str(ds[d].attrs.get("path", "")) for d in where}
    for kind, suffix, value in COMPARISONS:
        if where.get("scenario") == kind and len(where) == 1:
            return kind
        if all(paths[d].endswith(suffix) and bool(v) is value for d, v in where.items()):
            return kind
    return "other"


#: How each comparison is named in titles.
COMPARISON_TITLE = {
    "status_quo": "against the status quo (every instrument as before the plan)",
    "no_policy": "against no policy (every instrument off)",
    "other": "against the counterfactual point",
}


def _required_counterfactual(
    ds: xr.Dataset, counterfactual: Mapping[str, Any] | None
) -> dict[str, Any]:
    """:func:`counterfactual_point`, or a clear error where the dataset has none."""
    where = counterfactual_point(ds, counterfactual)
    if not where:
        raise ScenarioError(
            "--counterfactual", "", "no counterfactual point: name one, e.g. scenario=no_policy"
        )
    return where


def _comparison_attrs(ds: xr.Dataset, where: Mapping[str, Any]) -> dict[str, str]:
    """The attrs that say what a view compares with."""
    return {
        "counterfactual": ", ".join(f"{k} = {v}" for k, v in where.items()),
        "comparison": COMPARISON_TITLE[comparison(ds, where)],
    }


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
    where = _required_counterfactual(ds, counterfactual)
    names = _replicate_variables(ds, variables)
    sub = ds[names]
    cf = sub.sel(where, drop=True)
    diff = sub - cf
    for n in names:
        diff[n].attrs = {
            "units": ds[n].attrs.get("units", ""),
            "long_name": f"{ds[n].attrs.get('long_name', n)}: difference from the counterfactual",
        }
    diff.attrs = _comparison_attrs(ds, where)
    return diff


def difference_summary(diff: xr.Dataset | xr.DataArray) -> xr.Dataset:
    """Mean paired difference with its Monte Carlo s.e., median and 5-95% band."""
    if isinstance(diff, xr.DataArray):
        diff = diff.to_dataset(name=diff.name or "difference")
    out = {}
    for n, v in diff.data_vars.items():
        q = v.quantile([0.05, 0.5, 0.95], dim=REP)
        units = v.attrs.get("units", "")
        out[f"{n}_mean"] = labelled(v.mean(REP), units, f"mean of {n}")
        out[f"{n}_mcse"] = labelled(mcse(v), units, f"Monte Carlo s.e. of the mean of {n}")
        out[f"{n}_median"] = labelled(q.sel(quantile=0.5, drop=True), units, f"median of {n}")
        out[f"{n}_p5"] = labelled(q.sel(quantile=0.05, drop=True), units, f"5% quantile of {n}")
        out[f"{n}_p95"] = labelled(q.sel(quantile=0.95, drop=True), units, f"95% quantile of {n}")
    return xr.Dataset(out, attrs=dict(diff.attrs))


def value_per_yuan(
    ds: xr.Dataset,
    counterfactual: Mapping[str, Any] | None = None,
    years: slice | None = None,
) -> xr.Dataset:
    """Value added gained per yuan of net public cost, against a counterfactual point.

    Value added gained = sum over years of the paired difference in total value added at
    base-year prices (``value_added_real_total``: each sector's value added over its output
    deflator, output / output_real). At current prices a policy that moves purchases to more
    productive machines reads as a loss: with fixed mark-ups and real demand the user
    sectors' prices fall, and with them their nominal value added, by more than the makers
    gain (ODD 3.4.13). Single deflation still counts some of the user sectors' fall (their
    value added per unit of output falls with their costs); what remains positive is mostly
    the makers'. The current-price figure is kept as ``va_gained_nominal``.

    Net public cost = the same for ``public_cost`` (subsidies, tax expenditures, re-lending
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
        ds,
        counterfactual,
        ["value_added_real_total", "value_added_total", "public_cost", "subsidy_paid", "taxes"],
    )
    sel = (lambda x: x.sel(year=years)) if years is not None else (lambda x: x)
    va = sel(d["value_added_real_total"]).sum("year")
    va_nominal = sel(d["value_added_total"]).sum("year")
    cost_payer = sel(d["public_cost"]).sum("year")
    cost = cost_payer.sum("payer")
    subsidy = sel(d["subsidy_paid"]).sum("year")
    taxes = sel(d["taxes"]).sum(["year", "sector"])
    r, r_se = ratio_of_means(va, cost)
    rp, rp_se = ratio_of_means(va, cost_payer)
    ri, ri_se = ratio_of_means(va, subsidy)
    out = xr.Dataset(
        {
            "va_gained": labelled(
                va,
                "bn yuan (2023 prices)",
                "value added gained over the years at base-year prices, vs the counterfactual",
            ),
            "va_gained_nominal": labelled(
                va_nominal,
                "bn yuan",
                "value added gained over the years at current prices, vs the counterfactual",
            ),
            "net_public_cost": labelled(
                cost, "bn yuan", "extra public cost over the years, vs the counterfactual"
            ),
            "net_public_cost_by_payer": labelled(
                cost_payer, "bn yuan", "extra public cost by payer"
            ),
            "subsidy_by_instrument": labelled(
                subsidy, "bn yuan", "extra subsidy paid by instrument"
            ),
            "tax_revenue_gained": labelled(
                taxes, "bn yuan", "extra VAT + corporate income tax collected"
            ),
            "va_per_yuan": labelled(
                r, "yuan/yuan", "value added gained per yuan of net public cost"
            ),
            "va_per_yuan_se": labelled(r_se, "yuan/yuan", "Monte Carlo s.e. of va_per_yuan"),
            "va_per_yuan_by_payer": labelled(
                rp, "yuan/yuan", "value added gained per yuan of the payer's net cost"
            ),
            "va_per_yuan_by_payer_se": labelled(rp_se, "yuan/yuan", "Monte Carlo s.e."),
            "va_per_yuan_by_instrument": labelled(
                ri, "yuan/yuan", "value added gained per yuan of the instrument's extra subsidy"
            ),
            "va_per_yuan_by_instrument_se": labelled(ri_se, "yuan/yuan", "Monte Carlo s.e."),
        }
    )
    out.attrs = dict(d.attrs)
    return out


def deadweight_leakage(ds: xr.Dataset, against: str = "status_quo") -> xr.Dataset:
    """Deadweight and leakage by instrument, summed over the years (mean and 5-95% band).

    ``deadweight_share`` = mean deadweight / mean subsidy committed (the part of the subsidy
    earned by behaviour the same firms show in the twin, same random numbers; both on the year
    the behaviour happened, so a renewal loan's subsidy counts in the year of the loan).

    Args:
        ds: A run or sweep dataset.
        against: The twin: ``status_quo`` (every instrument as before the plan, the default)
            or ``no_policy`` (every instrument off).
    """
    if against not in DEADWEIGHT_VARIABLE:
        raise ScenarioError(
            "deadweight", against, f"expected one of {', '.join(DEADWEIGHT_VARIABLE)}"
        )
    sub = ds["subsidy_paid"].sum("year")
    dw = ds[DEADWEIGHT_VARIABLE[against]].sum("year")
    leak = ds["leakage"].sum("year")
    share, share_se = ratio_of_means(dw, ds["subsidy_committed"].sum("year"))
    out = {
        "subsidy_paid_mean": labelled(
            sub.mean(REP), "bn yuan", "subsidy paid over the years, mean"
        ),
        "deadweight_mean": labelled(dw.mean(REP), "bn yuan", "deadweight over the years, mean"),
        "deadweight_share": labelled(share, "1", "deadweight / subsidy committed (ratio of means)"),
        "deadweight_share_se": labelled(share_se, "1", "Monte Carlo s.e. of deadweight_share"),
        "leakage_mean": labelled(
            leak.mean(REP), "bn yuan", "machine tools bought outside the region by paid firms, mean"
        ),
    }
    for name, x in (("deadweight", dw), ("leakage", leak)):
        q = x.quantile([0.05, 0.95], dim=REP)
        out[f"{name}_p5"] = labelled(
            q.sel(quantile=0.05, drop=True), "bn yuan", f"{name}, 5% quantile"
        )
        out[f"{name}_p95"] = labelled(
            q.sel(quantile=0.95, drop=True), "bn yuan", f"{name}, 95% quantile"
        )
    return xr.Dataset(out, attrs={"counterfactual": COMPARISON_TITLE[against]})


#: What ``machine_tool_markets`` returns, the total and its parts: a short head for tables
#: and the long name.
MARKET_CHANNELS: dict[str, tuple[str, str]] = {
    "output": ("MT output", "machine-tool output"),
    "in_region_share": (
        "in region: share",
        "sales to buyers in the region: through their share of the region's machine purchases",
    ),
    "in_region_volume": (
        "in region: purchases",
        "sales to buyers in the region: through the region's machine purchases",
    ),
    "rest_of_country_share": (
        "rest of China: share",
        "sales to the rest of the country: through the market share",
    ),
    "rest_of_country_demand": (
        "rest of China: demand",
        "sales to the rest of the country: through the demand",
    ),
    "abroad_share": ("abroad: share", "exports: through the market share"),
    "abroad_demand": ("abroad: demand", "exports: through the demand"),
}


def machine_tool_markets(
    ds: xr.Dataset,
    counterfactual: Mapping[str, Any] | None = None,
    year: int | None = None,
) -> xr.Dataset:
    """Each point's difference in machine-tool output from the counterfactual, by market.

    The region's makers sell to buyers in the region, to the rest of the country and abroad,
    and their output is the sum. Each market's sales are a share times a volume: outside the
    region, by segment, the makers' market share n times the demand D; in the region, their
    sales per yuan of the region's machine purchases s (the in-region share of the purchases,
    imports and other provinces' machines included) times those purchases P. So each
    difference splits exactly into a part through the share, (n - n_cf) x D_cf, and a part
    through the volume, n x (D - D_cf) (zero outside the region where the points share the
    demand paths, as the policy scenarios do). The split is one of two orders: the
    interaction (n - n_cf)(V - V_cf) is in the volume part. Paired by replicate (common
    random numbers); the parts add up to the output's difference in every replicate.

    Args:
        ds: A sweep dataset with the makers' sales by market.
        counterfactual: The counterfactual point (see :func:`counterfactual_point`).
        year: The year (default: every year).

    Returns:
        One variable per channel of :data:`MARKET_CHANNELS` (point dims, replicate[, year]),
        bn yuan.

    Raises:
        ScenarioError: If no counterfactual is given and none can be found.
    """
    where = _required_counterfactual(ds, counterfactual)
    sub = ds if year is None else ds.sel(year=year)

    def split(share: xr.DataArray, volume: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
        """(n - n_cf) V_cf and n (V - V_cf), summed over any segments."""
        n_cf, v_cf = share.sel(where, drop=True), volume.sel(where, drop=True)
        by_share = (share - n_cf) * v_cf
        by_volume = share * (volume - v_cf)
        if "segment" in share.dims:
            return by_share.sum("segment"), by_volume.sum("segment")
        return by_share, by_volume

    rest_of_country_share, rest_of_country_demand = split(
        sub["national_market_share"], sub["national_machine_demand"]
    )
    abroad_share, abroad_demand = split(sub["export_market_share"], sub["export_machine_demand"])
    purchases = sub["machine_purchases"].sum("sector")
    # The makers' sales per yuan of the region's machine purchases: their in-region share.
    in_region_share_of_purchases = sub["machine_tool_sales_in_region"].sum("segment") / purchases
    in_region_share, in_region_volume = split(in_region_share_of_purchases, purchases)
    output = sub["output"].sel(sector=machine_tool_sector(region_of(ds)), drop=True)
    parts = {
        "output": output - output.sel(where, drop=True),
        "in_region_share": in_region_share,
        "in_region_volume": in_region_volume,
        "rest_of_country_share": rest_of_country_share,
        "rest_of_country_demand": rest_of_country_demand,
        "abroad_share": abroad_share,
        "abroad_demand": abroad_demand,
    }
    out = xr.Dataset(
        {
            k: labelled(
                v, "bn yuan", f"{MARKET_CHANNELS[k][1]}: difference from the counterfactual"
            )
            for k, v in parts.items()
        }
    )
    out.attrs = _comparison_attrs(ds, where)
    return out
