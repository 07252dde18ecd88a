"""Distributions across firms and machines: the firm-size survival curve and machine ages."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from model.analysis.stats import sweep_dims
from model.plot.frame import frame, last_target_year, region_name, source_line
from model.plot.text import TEXT

__all__ = ["firm_sizes", "machine_ages"]

#: Counterfactuals the distribution charts compare the plan with, in order of preference.
RENEWAL_COUNTERFACTUALS = ("plan_without_renewal", "status_quo", "no_policy")
SIZE_COUNTERFACTUALS = ("status_quo", "no_policy")


def _scenario(ds: xr.Dataset, name: str) -> xr.Dataset:
    return ds.sel(scenario=name) if "scenario" in ds.dims else ds


def _counterfactual(ds: xr.Dataset, names: tuple[str, ...]) -> str | None:
    if "scenario" not in ds.dims:
        return None
    present = {str(x) for x in ds["scenario"].values}
    return next((n for n in names if n in present), None)


def _share_above(curve: xr.DataArray, threshold: float) -> float:
    """Median share of firms at or above the grid threshold nearest ``threshold``."""
    at = curve.sel(revenue_threshold=threshold, method="nearest")
    return float(at.median("replicate"))


def firm_sizes(ds: xr.Dataset, lang: str = "en") -> Figure:
    """The survival curve of firms' revenue (share of firms at or above each size), log-log.

    The first simulated year and the last target year under the plan, and the counterfactual.
    """
    t = TEXT[lang]
    plan = _scenario(ds, "plan")
    other = _counterfactual(ds, SIZE_COUNTERFACTUALS)
    first = int(ds["year"].values[0])
    year = last_target_year(ds)
    x = ds["revenue_threshold"].values / 1000.0  # bn yuan
    fig, ax = plt.subplots()
    lines = [(plan, first, "#9a9a9a", "-", t["size_first"].format(year=first))]
    lines.append((plan, year, "C0", "-", t["size_plan"].format(year=year)))
    if other is not None:
        lines.append((_scenario(ds, other), year, "#444444", "--", f"{t[other]}, {year}"))
    for k, (data, y, colour, style, label) in enumerate(lines):
        curve = data["firm_revenue_survival"].sel(year=y).median("replicate").values
        keep = curve > 0
        ax.plot(x[keep], curve[keep], style, color=colour, linewidth=1.6)
        ax.annotate(
            label,
            (x[keep][-1], curve[keep][-1]),
            xytext=(6, 12 * (1 - k)),
            textcoords="offset points",
            fontsize=7,
            color=colour,
            va="center",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(t["size_axis"])
    ax.set_ylabel(t["size_share_axis"])
    big = 1000.0  # m yuan: 1 bn yuan
    now = _share_above(plan["firm_revenue_survival"].sel(year=year), big)
    then = _share_above(plan["firm_revenue_survival"].sel(year=first), big)
    if other is not None:
        alt = _share_above(_scenario(ds, other)["firm_revenue_survival"].sel(year=year), big)
        title = t["size_title_vs"].format(
            year=year, now=now, other=t[other], alt=alt, first=first, then=then
        )
    else:
        title = t["size_title"].format(year=year, now=now, first=first, then=then)
    return frame(
        fig,
        ax,
        lang,
        title=title,
        subtitle=t["size_subtitle"].format(region=region_name(ds, lang), n=ds.sizes["replicate"]),
        source=source_line(ds, lang),
        note=t["size_note"],
        right=0.8,
    )


def machine_ages(ds: xr.Dataset, lang: str = "en") -> Figure:
    """Equipment capacity by machine age band and year, stacked.

    The plan and, where the file has it, the plan without the renewal subsidy (else the
    status quo or no policy).
    """
    t = TEXT[lang]
    other = _counterfactual(ds, RENEWAL_COUNTERFACTUALS)
    panels = [("plan", _scenario(ds, "plan"))]
    if other is not None:
        panels.append((other, _scenario(ds, other)))
    fig, axes = plt.subplots(1, len(panels), sharey=True, figsize=(8.0, 4.8))
    axes = np.atleast_1d(axes)
    bands = [str(b) for b in ds["machine_age"].values]
    colours = plt.cm.Blues(np.linspace(0.35, 0.95, len(bands)))
    years = ds["year"].values
    old = [i for i, b in enumerate(bands) if int(b.split("-")[0].rstrip("+")) >= 10]
    year = last_target_year(ds)
    shares = {}
    for ax, (name, data) in zip(axes, panels, strict=True):
        s = (
            data["capacity_share_by_machine_age"]
            .median("replicate")
            .transpose("year", "machine_age")
        )
        s = s.values / np.maximum(s.values.sum(axis=1, keepdims=True), 1e-12)
        ax.stackplot(years, 100 * s.T, colors=colours, linewidth=0)
        ax.set_xlabel(t.get(name, name), fontsize=9, fontweight="bold")  # (the title: frame)
        ax.set_ylim(0, 100)
        ax.set_xlim(years[0], years[-1])
        ax.set_xticks(years, [str(y) for y in years], fontsize=8)
        shares[name] = float(100 * s[list(years).index(year), old].sum())
        last = s[-1]
    # Each band labelled at its middle on the right edge.
    mids = np.cumsum(last) - last / 2
    for i, b in enumerate(bands):
        axes[-1].annotate(
            t["age_band"].format(band=b),
            (1.02, mids[i]),
            xycoords="axes fraction",
            fontsize=7,
            color="#333333",
            va="center",
        )
    axes[0].set_ylabel(t["age_axis"])
    if other is not None:
        title = t["age_title_vs"].format(
            year=year, plan=shares["plan"], other=t.get(other, other), alt=shares[other]
        )
    else:
        title = t["age_title"].format(year=year, plan=shares["plan"])
    return frame(
        fig,
        axes[0],
        lang,
        title=title,
        subtitle=t["age_subtitle"].format(region=region_name(ds, lang), n=ds.sizes["replicate"]),
        source=source_line(ds, lang),
        note=t["age_note"],
        right=0.85,
    )


def has_distributions(ds: xr.Dataset) -> bool:
    """A run, or a scenario sweep holding the plan, with the distribution variables."""
    dims = list(sweep_dims(ds))
    if "firm_revenue_survival" not in ds or "capacity_share_by_machine_age" not in ds:
        return False
    return not dims or (dims == ["scenario"] and "plan" in [str(x) for x in ds["scenario"].values])
