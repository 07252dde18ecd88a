"""Value added per yuan of public cost, by instrument and by payer (an instrument-switch sweep)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from model.analysis.shapley import instrument_players
from model.analysis.views import value_per_yuan
from model.plot.frame import frame, region_name, source_line
from model.plot.text import TEXT

__all__ = ["value_per_yuan_chart"]


def _point(ds: xr.Dataset, on: set[str], players: dict[str, str]) -> dict[str, bool]:
    return {dim: name in on for name, dim in players.items()}


def value_per_yuan_chart(ds: xr.Dataset, lang: str = "en") -> Figure:
    """Left: each instrument alone against none of them; right: the whole mix, by payer.

    Value added gained over the simulated years per yuan of extra public cost (subsidies,
    tax expenditures, re-lending relief), ratio of means over replicates with its 95%
    Monte Carlo interval. "Alone" and "none" are the sweep's points (the status quo's
    versions where the sweep switches ``as_before_plan``).
    """
    t = TEXT[lang]
    players = instrument_players(ds)
    names = list(players)
    none = _point(ds, set(), players)
    vpy = value_per_yuan(ds, none)
    alone = np.array([float(vpy["va_per_yuan"].sel(_point(ds, {n}, players))) for n in names])
    alone_se = [float(vpy["va_per_yuan_se"].sel(_point(ds, {n}, players))) for n in names]
    whole = vpy.sel(_point(ds, set(names), players))
    payers = [str(p) for p in whole["payer"].values]
    by_payer = whole["va_per_yuan_by_payer"].values.astype(float)
    by_payer_se = whole["va_per_yuan_by_payer_se"].values.astype(float)
    total = float(whole["va_per_yuan"])

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(8.5, 4.8), gridspec_kw={"width_ratios": [3, 2]})
    y = np.arange(len(names))
    ax.barh(y, alone, color=["C0" if v >= 0 else "C3" for v in alone], height=0.55)
    ax.errorbar(alone, y, xerr=1.96 * np.array(alone_se), fmt="none", color="#333333", capsize=3)
    ax.set_yticks(y, [t.get(n, n) for n in names], fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(t["vpy_axis"], fontsize=8)
    for k, v in enumerate(alone):
        ax.annotate(
            f"{v:+.2f}" if np.isfinite(v) else t["vpy_no_cost"],
            (v if np.isfinite(v) else 0.0, k),
            xytext=(4 if v >= 0 else -4, 8),
            textcoords="offset points",
            ha="left" if v >= 0 else "right",
            fontsize=7,
        )
    yb = np.arange(len(payers))
    bx.barh(yb, by_payer, color="#777777", height=0.55)
    bx.errorbar(by_payer, yb, xerr=1.96 * by_payer_se, fmt="none", color="#333333", capsize=3)
    bx.set_yticks(yb, [t.get(f"payer_{p}", p) for p in payers], fontsize=8)
    bx.invert_yaxis()
    bx.axvline(0, color="black", linewidth=0.8)
    bx.set_title(t["vpy_payer_title"].format(total=total), fontsize=8)
    bx.tick_params(axis="x", labelsize=7)
    # (an instrument that costs nothing alone has no ratio: left out of the finding)
    finite = np.isfinite(alone)
    best = int(np.nanargmax(np.where(finite, alone, -np.inf))) if finite.any() else 0
    title = (
        t["vpy_title_positive"].format(
            best=t.get(names[best], names[best]),
            value=alone[best],
            lo=alone[best] - 1.96 * alone_se[best],
            hi=alone[best] + 1.96 * alone_se[best],
        )
        if finite.any() and alone[best] > 0
        else t["vpy_title_none"].format(total=total)
    )
    before = any(
        str(ds[d].attrs.get("path", "")).endswith(".as_before_plan") for d in players.values()
    )
    against = t["against_status_quo" if before else "against_no_policy"]
    return frame(
        fig,
        ax,
        lang,
        title=title,
        subtitle=t["vpy_subtitle"].format(
            region=region_name(ds, lang),
            first=int(ds["year"].values[0]),
            last=int(ds["year"].values[-1]),
            n=ds.sizes["replicate"],
            against=against,
        ),
        source=source_line(ds, lang),
        note=t["vpy_note"],
        left=0.2,
        wspace=0.5,
        top=0.72,
    )
