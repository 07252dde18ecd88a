"""The charts and the command that draws those a results file supports."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no screen is needed or wanted

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from model.analysis.stats import sweep_dims  # noqa: E402
from model.config.errors import ScenarioError  # noqa: E402
from model.config.targets import load_targets  # noqa: E402
from model.outputs.dataset import region_of  # noqa: E402
from model.plot.fonts import cjk_font  # noqa: E402
from model.plot.text import TEXT, attainment_phrase, money  # noqa: E402

__all__ = ["SUPPORTED", "charts", "headline_fan"]

STYLE = Path(__file__).with_name("briefing.mplstyle")
#: Nested bands of the fan charts: (lower, upper) quantiles, widest first.
BANDS = ((0.05, 0.95), (0.10, 0.90), (0.25, 0.75))
#: Saved files carry no date or software version, so the same input gives the same bytes.
METADATA = {"png": {"Software": None}, "pdf": {"CreationDate": None, "Producer": None}}


def _targets_of(ds: xr.Dataset, model_variable: str) -> list:
    region = str(ds.attrs.get("region_name", ""))
    return sorted(
        (t for t in load_targets() if t.model_variable == model_variable and t.region == region),
        key=lambda t: t.year,
    )


def _source_line(ds: xr.Dataset, lang: str) -> str:
    return TEXT[lang]["source"].format(
        name=ds.attrs.get("scenario_name", ds.attrs.get("sweep_name", "?")),
        n=ds.sizes.get("replicate", 0),
        seed=ds.attrs.get("seed", "?"),
        code=ds.attrs.get("code_version", "?"),
    )


def headline_fan(ds: xr.Dataset, lang: str = "en") -> Figure:
    """Machine-tool output: median and 50/80/90% bands, the plan's targets, history's end.

    Args:
        ds: A run dataset (no sweep dims).
        lang: ``en`` or ``zh`` (money in 亿元).
    """
    t = TEXT[lang]
    unit = 10.0 if lang == "zh" else 1.0  # bn yuan -> 亿元
    out = ds["output"].sel(sector="machine_tools") * unit
    base_year = int(ds.attrs["base_year"])
    base = float(ds["base_output"].sel(sector="machine_tools").median()) * unit
    years = np.concatenate([[base_year], out["year"].values])
    fig, ax = plt.subplots()
    colour = "C0"
    for k, (lo, hi) in enumerate(BANDS):
        q = out.quantile([lo, hi], dim="replicate").values
        ax.fill_between(
            years,
            np.concatenate([[base], q[0]]),
            np.concatenate([[base], q[1]]),
            color=colour,
            alpha=0.18 + 0.12 * k,
            linewidth=0,
        )
    median = out.median("replicate").values
    ax.plot(years, np.concatenate([[base], median]), color=colour, linewidth=2)
    ax.plot([base_year], [base], "o", color="black", markersize=5)
    ax.annotate(
        t["history_ends"].format(year=base_year),
        (base_year, base),
        xytext=(6, -14),
        textcoords="offset points",
        fontsize=8,
    )
    ax.annotate(
        t["median"],
        (years[-1], median[-1]),
        xytext=(4, 0),
        textcoords="offset points",
        va="center",
        fontsize=8,
        color=colour,
    )
    phrases = []
    for target in _targets_of(ds, "output:machine_tools"):
        if target.year not in out["year"].values:
            continue
        value = target.value * unit
        ax.plot([target.year], [value], marker="_", markersize=22, color="C2", mew=2.5)
        ax.annotate(
            t["target"].format(year=target.year, value=money(value, lang)),
            (target.year, value),
            xytext=(0, 7),
            textcoords="offset points",
            ha="center",
            fontsize=8,
            color="C2",
        )
        at = out.sel(year=target.year)
        share = (
            float((at >= value).mean())
            if target.comparison == "ge"
            else float((at <= value).mean())
        )
        phrases.append(
            attainment_phrase(
                lang, target.year, money(value, lang), share, money(float(at.median()), lang)
            )
        )
    if not phrases:
        raise ScenarioError("charts", "targets", "no machine-tool output target for the region")
    width = 40 if lang == "zh" else 78  # characters per title line
    fig.suptitle(
        textwrap.fill(phrases[-1], width), x=0.01, ha="left", fontsize=12, fontweight="bold"
    )
    ax.set_title(
        t["fan_subtitle"].format(
            region=region_of(ds).name_zh if lang == "zh" else region_of(ds).name,
            first=base_year,
            last=int(years[-1]),
            n=ds.sizes["replicate"],
        ),
        fontsize=9,
        fontweight="normal",
    )
    ax.set_ylabel(t["money_unit"])
    top = max(float(out.max()), *(t.value * unit for t in _targets_of(ds, "output:machine_tools")))
    ax.set_ylim(0, top * 1.15)
    fig.text(
        0.01,
        0.01,
        _source_line(ds, lang) + "\n" + t["bands_note"],
        fontsize=7,
        color="#555555",
        va="bottom",
    )
    fig.subplots_adjust(bottom=0.2, top=0.8)
    return fig


#: The charts, by file name, and which files each needs: ``run`` (no sweep dims).
SUPPORTED: dict[str, tuple[str, Callable[[xr.Dataset, str], Figure]]] = {
    "headline_fan": ("run", headline_fan),
}


def _kind(ds: xr.Dataset) -> str:
    return "sweep" if sweep_dims(ds) else "run"


def charts(
    ds: xr.Dataset,
    out: str | Path,
    *,
    lang: str = "en",
    formats: Sequence[str] = ("png", "pdf"),
    font: str | Path | None = None,
) -> list[Path]:
    """Draw every chart ``ds`` supports into ``out``; return the files written.

    Raises:
        ScenarioError: Bad language or format, no CJK font for ``zh``, or nothing to draw.
    """
    if lang not in TEXT:
        raise ScenarioError("--lang", lang, f"expected one of {', '.join(TEXT)}")
    bad = [f for f in formats if f not in METADATA]
    if bad:
        raise ScenarioError("--format", ",".join(bad), f"expected some of {', '.join(METADATA)}")
    rc = {"font.family": [cjk_font(font), "DejaVu Sans"]} if lang == "zh" else {}
    kind = _kind(ds)
    todo = {name: draw for name, (needs, draw) in SUPPORTED.items() if needs == kind}
    if not todo:
        raise ScenarioError(
            "charts", kind, "no chart of the pack is drawn from this kind of file yet"
        )
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with plt.style.context(str(STYLE)), matplotlib.rc_context(rc):
        for name, draw in todo.items():
            fig = draw(ds, lang)
            try:
                for fmt in formats:
                    path = folder / f"{name}_{lang}.{fmt}"
                    tmp = path.with_suffix(f".tmp.{fmt}")
                    fig.savefig(tmp, format=fmt, metadata=METADATA[fmt])
                    tmp.replace(path)  # written whole or not at all
                    written.append(path)
            finally:
                plt.close(fig)
    return written
