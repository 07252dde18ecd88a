"""A lever sweep: the last machine-tool output target against one lever, or a two-lever map."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from model.analysis.stats import sweep_dims
from model.analysis.targets import meets
from model.plot.frame import (
    frame,
    last_target_year,
    machine_tools,
    output_targets,
    region_name,
    source_line,
    unit_factor,
)
from model.plot.text import TEXT, money

__all__ = ["lever_dims", "lever_sweep"]


def lever_dims(ds: xr.Dataset) -> list[str]:
    """The sweep's dims if it has one or two numeric lever axes and nothing else, else []."""
    dims = list(sweep_dims(ds))
    numeric = [
        d for d in dims if ds[d].dtype.kind in "fiu" and ds[d].attrs.get("path") and d != "sample"
    ]
    return numeric if numeric == dims and 1 <= len(dims) <= 2 else []


def _label(ds: xr.Dataset, dim: str) -> str:
    path = str(ds[dim].attrs.get("path", dim))
    kind = ds[dim].attrs.get("kind", "")
    return f"{path} (x)" if kind == "scale" else path


def lever_sweep(ds: xr.Dataset, lang: str = "en") -> Figure:
    """Machine-tool output in the last target year along the levers, with the target.

    One lever: median and 90% band against the lever. Two levers: the median as a heat map
    with the share of replicates meeting the target as 50% and 80% contours where it gets
    there. The title names the best cell (or point) and its chance.
    """
    t = TEXT[lang]
    unit = unit_factor(lang)
    dims = lever_dims(ds)
    year = last_target_year(ds)
    target = next((x for x in output_targets(ds) if x.year == year), None)
    out = ds["output"].sel(sector=machine_tools(ds), year=year) * unit
    median = out.median("replicate")
    share = (
        xr.apply_ufunc(lambda v: meets(v, target), out).mean("replicate")
        if target is not None
        else xr.zeros_like(median)
    )
    fig, ax = plt.subplots()
    if len(dims) == 1:
        d = dims[0]
        x = ds[d].values.astype(float)
        q = out.quantile([0.05, 0.95], dim="replicate")
        ax.fill_between(x, q.sel(quantile=0.05), q.sel(quantile=0.95), color="C0", alpha=0.25, lw=0)
        ax.plot(x, median.values, "o-", color="C0")
        ax.set_xlabel(_label(ds, d), fontsize=8)
        ax.set_ylabel(t["money_unit"])
        if target is not None:
            ax.axhline(target.value * unit, color="C2", linewidth=1.5)
            ax.annotate(
                t["target"].format(year=year, value=money(target.value * unit, lang)),
                (x[0], target.value * unit),
                xytext=(0, 4),
                textcoords="offset points",
                fontsize=8,
                color="C2",
            )
        ax.set_ylim(bottom=0)
        best = (
            int(np.argmax(share.values))
            if float(share.max()) > 0
            else int(np.argmax(median.values))
        )
        where = f"{d} = {x[best]:g}"
    else:
        a, b = dims
        grid = median.transpose(a, b).values
        im = ax.imshow(grid, origin="lower", aspect="auto", cmap="Blues")
        ax.set_xticks(range(ds.sizes[b]), [f"{v:g}" for v in ds[b].values], fontsize=7)
        ax.set_yticks(range(ds.sizes[a]), [f"{v:g}" for v in ds[a].values], fontsize=7)
        ax.set_xlabel(_label(ds, b), fontsize=8)
        ax.set_ylabel(_label(ds, a), fontsize=8)
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                ax.annotate(f"{grid[i, j]:,.1f}", (j, i), ha="center", va="center", fontsize=6)
        p = share.transpose(a, b).values
        if p.max() >= 0.5 and p.min() < 0.5:
            ax.contour(p, levels=[0.5, 0.8], colors=["C1", "C3"], linewidths=1.5)
        fig.colorbar(im, ax=ax, label=t["money_unit"], shrink=0.8)
        flat = share.transpose(a, b).values
        pick = flat if flat.max() > 0 else grid
        i, j = np.unravel_index(int(np.argmax(pick)), pick.shape)
        where = f"{a} = {ds[a].values[i]:g}, {b} = {ds[b].values[j]:g}"
    best_share = float(share.max())
    best_median = float(median.max())
    goal = money(target.value * unit, lang) if target is not None else "-"
    span = f"{float(median.min()):,.1f}-{float(median.max()):,.1f}"
    title = (
        t["lever_title_none"].format(
            year=year, goal=goal, median=money(best_median, lang), where=where, span=span
        )
        if best_share <= 0
        else t["lever_title_some"].format(year=year, goal=goal, share=best_share, where=where)
    )
    return frame(
        fig,
        ax,
        lang,
        title=title,
        subtitle=t["lever_subtitle"].format(
            year=year, region=region_name(ds, lang), n=ds.sizes["replicate"]
        ),
        source=source_line(ds, lang),
        note=t["lever_note"],
    )
