"""What every chart of the pack shares.

Its frame (finding, subtitle, source and note) and the region facts charts read from a
results file (the machine-tool sector, its targets).
"""

from __future__ import annotations

import re
import textwrap
import unicodedata

import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from model.analysis.stats import sweep_dims
from model.analysis.targets import last_target_year, output_targets
from model.outputs.dataset import machine_tool_sector, region_of
from model.plot.text import TEXT

__all__ = [
    "frame",
    "wrap",
    "last_target_year",
    "machine_tools",
    "output_targets",
    "region_name",
    "source_line",
    "unit_factor",
]


def unit_factor(lang: str) -> float:
    """Bn yuan -> the pack's money unit (亿元 in Chinese: 10 per bn)."""
    return 10.0 if lang == "zh" else 1.0


def machine_tools(ds: xr.Dataset) -> str:
    """The region's machine-tool sector (region data, not a name in code)."""
    return machine_tool_sector(region_of(ds))


def region_name(ds: xr.Dataset, lang: str) -> str:
    """The region's name in the pack's language."""
    region = region_of(ds)
    return region.name_zh if lang == "zh" else region.name


def source_line(ds: xr.Dataset, lang: str) -> str:
    """Scenario or sweep, replicates, seed and code version of a results file."""
    return TEXT[lang]["source"].format(
        kind=TEXT[lang]["sweep" if sweep_dims(ds) else "run"],
        name=ds.attrs.get("sweep_name", ds.attrs.get("scenario_name", "?")),
        n=ds.sizes.get("replicate", 0),
        seed=ds.attrs.get("seed", "?"),
        code=ds.attrs.get("code_version", "?"),
    )


def wrap(text: str, width: int, lang: str) -> str:
    """Lines of at most ``width`` columns.

    In Chinese, lines break between characters but never inside a run of Latin letters,
    digits and their punctuation (a number, a name).
    """
    if lang != "zh":
        return textwrap.fill(text, width)
    tokens = re.findall(r"[A-Za-z0-9_.,%+\-:=/]+|\s+|.", text)
    lines, line, used = [], "", 0
    for token in tokens:
        cols = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in token)
        if used + cols > width and line.strip():
            lines.append(line.rstrip())
            line, used = token.lstrip(), cols
        else:
            line, used = line + token, used + cols
    lines.append(line.rstrip())
    return "\n".join(lines)


def frame(
    fig: Figure,
    ax: Axes,
    lang: str,
    *,
    title: str,
    subtitle: str,
    source: str,
    note: str,
    **adjust: float,
) -> Figure:
    """Title (the finding), subtitle (measure, units, place, period), source line and note.

    ``adjust`` goes to ``fig.subplots_adjust`` on top of the pack's margins.
    """
    fig.subplots_adjust(**{"bottom": 0.2, "top": 0.8, **adjust})
    # Titles wrap to the figure's width, the subtitle to its axes' (8-point characters are
    # about 0.06 inch wide, Chinese ones twice that).
    inches = fig.get_figwidth()
    per_inch = 11.0  # columns (a Chinese character is two)
    title_width = int(inches * per_inch * 0.85)
    fig.suptitle(wrap(title, title_width, lang), x=0.01, ha="left", fontsize=12, fontweight="bold")
    sub_width = max(30, int(ax.get_position().width * inches * per_inch * 1.5))
    ax.set_title(wrap(subtitle, sub_width, lang), fontsize=8, fontweight="normal")
    fig.text(0.01, 0.01, source + "\n" + note, fontsize=7, color="#555555", va="bottom")
    return fig
