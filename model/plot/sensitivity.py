"""Sensitivity indices of a ``*.indices.nc`` file: Sobol S1/ST bars or Morris mu*-sigma."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from model.plot.frame import frame
from model.plot.text import TEXT

__all__ = ["is_indices", "sensitivity_indices"]


def is_indices(ds: xr.Dataset) -> bool:
    """A sensitivity result (``model.sensitivity``'s indices)."""
    return "parameter" in ds.dims and ("ST" in ds or "mu_star" in ds)


def _source(ds: xr.Dataset, lang: str) -> str:
    return TEXT[lang]["sens_source"].format(
        name=ds.attrs.get("sensitivity_name", "?"),
        base=ds.attrs.get("base_scenario_name", "?"),
        points=ds.attrs.get("points", "?"),
        n=ds.attrs.get("replicates", "?"),
        seed=ds.attrs.get("seed", "?"),
        code=ds.attrs.get("code_version", "?"),
    )


def _short(path: str) -> str:
    return ".".join(path.split(".")[-2:])


def sensitivity_indices(ds: xr.Dataset, lang: str = "en") -> Figure:
    """The first output's indices.

    Sobol S1 and ST with confidence intervals, or Morris mu* against sigma (parameters far
    right matter; high up, they interact or act non-linearly).
    """
    t = TEXT[lang]
    output = str(ds["output"].values[0])
    one = ds.sel(output=output)
    params = [str(p) for p in ds["parameter"].values]
    labels = [_short(str(p)) for p in one["parameter_path"].values]
    fig, ax = plt.subplots()
    if "ST" in ds:
        order = np.argsort(one["ST"].values)[::-1]
        y = np.arange(len(params))
        for name, colour, shift in (("S1", "C0", -0.18), ("ST", "C1", 0.18)):
            v = one[name].values[order]
            ci = one[f"{name}_conf"].values[order]
            ax.barh(y + shift, v, height=0.34, color=colour, label=t[f"sobol_{name}"])
            ax.errorbar(v, y + shift, xerr=ci, fmt="none", color="#333333", capsize=2)
        ax.set_yticks(y, [labels[i] for i in order], fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel(t["sobol_axis"])
        ax.legend(fontsize=8, loc="lower right")
        top = int(order[0])
        title = t["sobol_title"].format(
            top=labels[top], st=float(one["ST"].values[top]), output=output.replace("_", " ")
        )
        note = t["sobol_note"]
    else:
        mu, sigma = one["mu_star"].values, one["sigma"].values
        conf = one["mu_star_conf"].values
        ax.errorbar(mu, sigma, xerr=conf, fmt="o", color="C0", capsize=2)
        for i, lab in enumerate(labels):
            ax.annotate(
                lab, (mu[i], sigma[i]), xytext=(4, 3), textcoords="offset points", fontsize=7
            )
        ax.set_xlabel(t["morris_mu_axis"].format(units=str(one["output_units"].values)))
        ax.set_ylabel(t["morris_sigma_axis"])
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        top = int(np.argmax(mu))
        title = t["morris_title"].format(top=labels[top], output=output.replace("_", " "))
        note = t["morris_note"]
    return frame(
        fig,
        ax,
        lang,
        title=title,
        subtitle=t["sens_subtitle"].format(
            output=output.replace("_", " "),
            units=str(one["output_units"].values),
            reduce=str(one["output_reduce"].values),
        ),
        source=_source(ds, lang),
        note=note,
        left=0.3,
    )
