"""Charts of a calibrated-parameters file: the fit and the policy strength the plan implies."""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from model.plot.frame import frame
from model.plot.text import TEXT

__all__ = ["calibration_fit", "implied_strength"]

#: Moment markers by use: fitted, held out, reported.
USE_STYLE = {"fit": ("o", "C0"), "held_out": ("s", "C1"), "report": ("D", "#888888")}


def _source(doc: dict[str, Any], lang: str) -> str:
    return TEXT[lang]["cal_source"].format(
        name=doc.get("name", "?"),
        scenario=doc.get("scenario_estimated_on", "?"),
        seed=doc.get("seed", "?"),
        code=doc.get("code_version", "?"),
    )


def _num(x: Any) -> float:
    return float(x) if not isinstance(x, str) else float(x)


def calibration_fit(doc: dict[str, Any], lang: str = "en") -> Figure:
    """Each moment's distance from its realised figure in standard errors, by use.

    t = (simulated - data) / sqrt(se^2 + se_sim^2); the band marks |t| <= 2.
    """
    t = TEXT[lang]
    moments = [m for m in doc["moment"] if math.isfinite(_num(m["t"]))]
    order = sorted(
        moments, key=lambda m: (("fit", "held_out", "report").index(m["use"]), m["name"])
    )
    fig, ax = plt.subplots(figsize=(7.5, 0.22 * len(order) + 2.4))
    y = np.arange(len(order))
    ax.axvspan(-2, 2, color="#e8e8e8", zorder=0)
    ax.axvline(0, color="black", linewidth=0.8)
    for use, (marker, colour) in USE_STYLE.items():
        idx = [i for i, m in enumerate(order) if m["use"] == use]
        if not idx:
            continue
        tv = np.clip([_num(order[i]["t"]) for i in idx], -6, 6)
        ax.plot(tv, y[idx], marker, color=colour, markersize=5, label=t[f"use_{use}"])
    ax.set_yticks(y, [m["name"].removeprefix("zj_").replace("_", " ") for m in order], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(-6.5, 6.5)
    ax.set_xlabel(t["cal_t_axis"])
    ax.legend(loc="lower right", fontsize=7)
    fitted = [m for m in order if m["use"] == "fit"]
    held = [m for m in order if m["use"] == "held_out"]
    inside = sum(abs(_num(m["t"])) <= 2 for m in fitted)
    held_in = sum(abs(_num(m["t"])) <= 2 for m in held)
    ov = doc.get("overidentification", {})
    title = t["cal_fit_title"].format(
        k=inside, n=len(fitted), h=held_in, hn=len(held), p=_num(ov.get("p_value", "nan"))
    )
    return frame(
        fig,
        ax,
        lang,
        title=title,
        subtitle=t["cal_fit_subtitle"].format(
            j=_num(ov.get("statistic", "nan")), dof=ov.get("dof", "?")
        ),
        source=_source(doc, lang),
        note=t["cal_fit_note"],
        left=0.38,
        bottom=0.12,
        top=0.86,
    )


def implied_strength(doc: dict[str, Any], lang: str = "en") -> Figure:
    """The multiple of the announced strength each target needs, by lever.

    Median criterion, with its 90% interval; unreachable ones are arrows at the grid's top.
    """
    t = TEXT[lang]
    rows = [r for r in doc["inverse"] if r["criterion"] == "median"]
    levers = list(dict.fromkeys(r["lever"] for r in rows))
    targets = list(dict.fromkeys(r["target"] for r in rows))
    tops = {
        name: max(v["scale"])
        for name, v in doc.get("settings", {}).get("inverse", {}).get("levers", {}).items()
    }
    fig, ax = plt.subplots(figsize=(8.5, 0.3 * len(rows) + 2.6))
    labels = []
    status: dict[str, set[str]] = {target: set() for target in targets}
    k = 0
    for target in targets:
        for lever in levers:
            r = next((x for x in rows if x["target"] == target and x["lever"] == lever), None)
            if r is None:
                continue
            top = tops.get(lever, 1.0)
            if r["reachable"]:
                x = _num(r["implied"])
                status[target].add("met" if x <= 1.0 else "more")
                lo, hi = _num(r["low"]), min(_num(r["high"]), top)
                ax.errorbar(
                    x, k, xerr=[[max(x - lo, 0)], [max(hi - x, 0)]], fmt="o", color="C0", capsize=3
                )
            else:
                status[target].add("out")
                ax.annotate(
                    "",
                    xy=(top, k),
                    xytext=(0, k),
                    arrowprops={"arrowstyle": "->", "color": "C3", "linestyle": ":"},
                )
                ax.annotate(
                    t["unreachable_short"].format(short=_short(r)),
                    (top, k),
                    xytext=(4, 0),
                    textcoords="offset points",
                    ha="left",
                    va="center",
                    fontsize=7,
                    color="C3",
                )
            labels.append(f"{_target_name(target, lang)} · {t.get(lever, lever.replace('_', ' '))}")
            k += 1
    ax.axvline(1.0, color="#555555", linewidth=0.8, linestyle="--")
    ax.annotate(t["announced"], (1.0, -0.7), ha="center", fontsize=7, color="#555555")
    ax.set_yticks(range(k), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, max(tops.values(), default=5.0) * 1.6)
    ax.set_xlabel(t["multiplier_axis"])
    out = [x for x, s in status.items() if s == {"out"}]
    met = [x for x, s in status.items() if "met" in s]
    named = ", ".join(_target_name(x, lang) for x in met) or t["inverse_none_met"]
    title = t["inverse_title"].format(out=len(out), n=len(targets), met=named)
    return frame(
        fig,
        ax,
        lang,
        title=title,
        subtitle=t["inverse_subtitle"],
        source=_source(doc, lang),
        note=t["inverse_note"],
        left=0.42,
        bottom=0.14,
        top=0.84,
    )


def _short(row: dict[str, Any]) -> str:
    """How far the grid's top falls short of the goal, as a share of the goal."""
    return f"{_num(row['shortfall']) / _num(row['goal']):.0%}"


def _target_name(target_id: str, lang: str) -> str:
    from model.config.targets import load_targets
    from model.plot.text import TARGET_WHAT, target_label

    t = next((x for x in load_targets() if x.id == target_id), None)
    if t is None:
        return target_id
    what = TARGET_WHAT.get(t.model_variable.split(":")[0], t.id)
    return target_label(lang, what, t.value, t.year)
