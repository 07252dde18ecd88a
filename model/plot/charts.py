"""The charts and the command that draws those a results file supports."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no screen is needed or wanted

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from model.analysis.shapley import instrument_players, shapley  # noqa: E402
from model.analysis.stats import sweep_dims  # noqa: E402
from model.analysis.targets import attainment  # noqa: E402
from model.analysis.views import (  # noqa: E402
    MARKET_CHANNELS,
    comparison,
    counterfactual_point,
    differences,
    machine_tool_markets,
)
from model.config.errors import ScenarioError  # noqa: E402
from model.config.targets import load_targets  # noqa: E402
from model.outputs.dataset import region_of  # noqa: E402
from model.plot.calibration import calibration_fit, implied_strength  # noqa: E402
from model.plot.distributions import firm_sizes, has_distributions, machine_ages  # noqa: E402
from model.plot.fonts import cjk_font  # noqa: E402
from model.plot.frame import (  # noqa: E402
    frame,
    last_target_year,
    machine_tools,
    output_targets,
    region_name,
    source_line,
    unit_factor,
)
from model.plot.levers import lever_dims, lever_sweep  # noqa: E402
from model.plot.sensitivity import is_indices, sensitivity_indices  # noqa: E402
from model.plot.text import (  # noqa: E402
    TARGET_WHAT,
    TEXT,
    attainment_phrase,
    attainment_title,
    money,
    target_label,
)
from model.plot.value import value_per_yuan_chart  # noqa: E402

__all__ = [
    "SUPPORTED",
    "calibration_fit",
    "firm_sizes",
    "implied_strength",
    "lever_sweep",
    "machine_ages",
    "sensitivity_indices",
    "value_per_yuan_chart",
    "attainment_by_scenario",
    "charts",
    "headline_fan",
    "machine_tool_markets_chart",
    "plan_vs_counterfactuals",
    "policy_effects",
    "shapley_waterfall",
]

STYLE = Path(__file__).with_name("briefing.mplstyle")
#: Nested bands of the fan charts: (lower, upper) quantiles, widest first.
BANDS = ((0.05, 0.95), (0.10, 0.90), (0.25, 0.75))
#: Saved files carry no date or software version, so the same input gives the same bytes.
METADATA = {"png": {"Software": None}, "pdf": {"CreationDate": None, "Producer": None}}


_mt = machine_tools
_output_targets = output_targets
_last_target_year = last_target_year
_source_line = source_line


def headline_fan(ds: xr.Dataset, lang: str = "en") -> Figure:
    """Machine-tool output: median and 50/80/90% bands, the plan's targets, history's end.

    Args:
        ds: A run dataset (no sweep dims).
        lang: ``en`` or ``zh`` (money in 亿元).
    """
    t = TEXT[lang]
    unit = 10.0 if lang == "zh" else 1.0  # bn yuan -> 亿元
    out = ds["output"].sel(sector=_mt(ds)) * unit
    base_year = int(ds.attrs["base_year"])
    base = float(ds["base_output"].sel(sector=_mt(ds)).median()) * unit
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
    for target in _output_targets(ds):
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
    top = max(float(out.max()), *(t.value * unit for t in _output_targets(ds)))
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


COUNTERFACTUALS = ("status_quo", "no_policy")


def plan_vs_counterfactuals(ds: xr.Dataset, lang: str = "en") -> Figure:
    """Machine-tool output under the plan against the status quo and no policy.

    The plan as a fan (50 and 90% bands), each counterfactual as its median in a grey 90%
    band; the title states the plan's paired difference from the status quo (else no policy)
    in the last target year, with its 90% range over the replicates.

    Args:
        ds: A sweep with a ``scenario`` dim holding ``plan`` and a counterfactual.
        lang: ``en`` or ``zh``.
    """
    t = TEXT[lang]
    unit = 10.0 if lang == "zh" else 1.0
    out = ds["output"].sel(sector=_mt(ds)) * unit
    years = out["year"].values
    fig, ax = plt.subplots()
    present = [c for c in COUNTERFACTUALS if c in ds["scenario"].values]
    for k, name in enumerate(present):
        series = out.sel(scenario=name)
        q = series.quantile([0.05, 0.95], dim="replicate").values
        ax.fill_between(
            years, q[0], q[1], color=("#9a9a9a", "#c8c8c8")[k % 2], alpha=0.35, linewidth=0
        )
        median = series.median("replicate").values
        ax.plot(years, median, color="#555555", linewidth=1.2, linestyle=("--", ":")[k % 2])
        ax.annotate(
            t[name],
            (years[-1], median[-1]),
            xytext=(4, -8 * k),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color="#555555",
        )
    plan = out.sel(scenario="plan")
    for k, (lo, hi) in enumerate(((0.05, 0.95), (0.25, 0.75))):
        q = plan.quantile([lo, hi], dim="replicate").values
        ax.fill_between(years, q[0], q[1], color="C0", alpha=0.2 + 0.15 * k, linewidth=0)
    median = plan.median("replicate").values
    ax.plot(years, median, color="C0", linewidth=2)
    ax.annotate(
        t["plan"],
        (years[-1], median[-1]),
        xytext=(4, 8),
        textcoords="offset points",
        va="center",
        fontsize=8,
        color="C0",
    )
    year = _last_target_year(ds)
    against = present[0]
    diff = (plan - out.sel(scenario=against)).sel(year=year)  # paired by replicate
    lo, mid, hi = (float(x) for x in diff.quantile([0.05, 0.5, 0.95], dim="replicate"))
    title = t["vs_title"].format(
        diff=money(mid, lang, signed=True),
        year=year,
        against=t[f"against_{against}"],
        lo=money(lo, lang, signed=True),
        hi=money(hi, lang, signed=True),
    )
    width = 40 if lang == "zh" else 78
    fig.suptitle(textwrap.fill(title, width), x=0.01, ha="left", fontsize=12, fontweight="bold")
    region = region_of(ds)
    ax.set_title(
        textwrap.fill(
            t["vs_subtitle"].format(
                region=region.name_zh if lang == "zh" else region.name,
                first=int(years[0]),
                last=int(years[-1]),
                n=ds.sizes["replicate"],
            ),
            60 if lang == "zh" else 110,
        ),
        fontsize=8,
        fontweight="normal",
    )
    ax.set_ylabel(t["money_unit"])
    ax.set_ylim(bottom=0)
    fig.text(
        0.01,
        0.01,
        _source_line(ds, lang) + "\n" + t["vs_note"],
        fontsize=7,
        color="#555555",
        va="bottom",
    )
    fig.subplots_adjust(bottom=0.2, top=0.8, right=0.86)
    return fig


def attainment_by_scenario(ds: xr.Dataset, lang: str = "en") -> Figure:
    """The share of replicates meeting each of the plan's targets, by scenario.

    Each share has its Monte Carlo 95% interval; the title names the best chance at the last
    machine-tool output target (or that no scenario meets it in any run).
    """
    t = TEXT[lang]
    att = attainment(ds, uses=("inverse",))
    targets = [str(x) for x in att["target"].values]
    scenarios = [str(x) for x in ds["scenario"].values]
    fig, ax = plt.subplots()
    markers = "osD^v<>"
    for k, name in enumerate(scenarios):
        p = att["attainment"].sel(scenario=name).values
        half = 1.96 * att["attainment_se"].sel(scenario=name).values
        y = np.arange(len(targets)) + (k - (len(scenarios) - 1) / 2) * 0.18
        ax.errorbar(
            100 * p,
            y,
            xerr=[100 * np.minimum(half, p), 100 * np.minimum(half, 1 - p)],
            fmt=markers[k % len(markers)],
            color=f"C{k % 5}",
            capsize=2,
            markersize=5,
            linewidth=1,
            label=t.get(name, name),
        )
    labels = []
    for target in targets:
        goal = att["goal"].sel(target=target).item()
        year = int(att["target_year"].sel(target=target))
        labels.append(
            target_label(
                lang, TARGET_WHAT.get(_variable_of(target).split(":")[0], target), goal, year
            )
        )
    ax.set_yticks(np.arange(len(targets)), labels)
    ax.invert_yaxis()
    ax.set_xlim(-2, 102)
    ax.set_xlabel(t["share_runs"])
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    # The finding: the best chance at the last machine-tool output target.
    outputs = [x for x in targets if _variable_of(x) == f"output:{_mt(ds)}"] or targets
    last = max(outputs, key=lambda x: int(att["target_year"].sel(target=x)))
    shares = att["attainment"].sel(target=last)
    best = str(shares["scenario"].values[int(np.argmax(shares.values))])  # the first of ties
    title = attainment_title(
        lang,
        int(att["target_year"].sel(target=last)),
        float(shares.max()),
        t.get(best, best),
        money(float(att["goal"].sel(target=last)) * (10.0 if lang == "zh" else 1.0), lang),
    )
    width = 40 if lang == "zh" else 78
    fig.suptitle(textwrap.fill(title, width), x=0.01, ha="left", fontsize=12, fontweight="bold")
    ax.set_title(
        t["att_subtitle"].format(
            region=region_of(ds).name_zh if lang == "zh" else region_of(ds).name,
            n=ds.sizes["replicate"],
        ),
        fontsize=8,
        fontweight="normal",
    )
    fig.text(
        0.01,
        0.01,
        _source_line(ds, lang) + "\n" + t["att_note"],
        fontsize=7,
        color="#555555",
        va="bottom",
    )
    ax.tick_params(axis="y", labelsize=9)
    fig.subplots_adjust(bottom=0.2, top=0.8, left=0.36, right=0.84)
    return fig


def shapley_waterfall(ds: xr.Dataset, lang: str = "en") -> Figure:
    """Each instrument's Shapley share of the mix's effect on machine-tool output.

    In the last target year.

    A waterfall from the counterfactual to the plan, with 90% intervals over the replicates.
    """
    t = TEXT[lang]
    unit = 10.0 if lang == "zh" else 1.0
    year = _last_target_year(ds)
    output = ds["output"].sel(sector=_mt(ds), year=year).rename("output")
    output.attrs = {"units": "bn yuan"}
    sh = shapley(ds, outputs=xr.Dataset({"output": output})).sel(output="output")
    names = [str(x) for x in sh["instrument"].values]
    phi = sh["phi_mean"].values * unit
    lo, hi = sh["phi_p5"].values * unit, sh["phi_p95"].values * unit
    effect = float(sh["effect_mean"]) * unit
    fig, ax = plt.subplots()
    start = 0.0
    for k in range(len(names)):
        colour = "C0" if phi[k] >= 0 else "C2"
        ax.bar(k, phi[k], bottom=start, color=colour, width=0.6)
        ax.errorbar(
            k,
            start + phi[k],
            yerr=[[phi[k] - lo[k]], [hi[k] - phi[k]]],
            color="#333333",
            capsize=3,
            linewidth=1,
        )
        ax.annotate(
            money(phi[k], lang, signed=True),
            (k, start + max(phi[k], 0)),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
        start += phi[k]
    ax.bar(len(names), effect, color="#555555", width=0.6)
    ax.annotate(
        money(effect, lang, signed=True),
        (len(names), max(effect, 0)),
        xytext=(0, 4),
        textcoords="offset points",
        ha="center",
        fontsize=8,
    )
    ax.axhline(0, color="black", linewidth=0.8)
    # Room for the labels above and below the bars and their intervals.
    ends = np.concatenate(
        [[0.0, effect], np.cumsum(phi), np.cumsum(phi) - phi + hi, np.cumsum(phi) - phi + lo]
    )
    span = max(float(ends.max() - ends.min()), 1e-9)
    ax.set_ylim(float(ends.min()) - 0.12 * span, float(ends.max()) + 0.15 * span)
    ax.set_xticks(
        range(len(names) + 1), [t.get(n, n) for n in names] + [t["whole_mix"]], fontsize=8
    )
    ax.set_ylabel(t["money_unit"])
    biggest = names[int(np.argmax(np.abs(phi)))]
    title = t["shapley_title"].format(
        year=year,
        effect=money(effect, lang, signed=True),
        against=t[
            "against_status_quo" if "status quo" in sh.attrs["comparison"] else "against_no_policy"
        ],
        top=t.get(biggest, biggest),
        part=money(float(phi[names.index(biggest)]), lang, signed=True),
    )
    width = 40 if lang == "zh" else 78
    fig.suptitle(textwrap.fill(title, width), x=0.01, ha="left", fontsize=12, fontweight="bold")
    ax.set_title(
        t["shapley_subtitle"].format(
            region=region_of(ds).name_zh if lang == "zh" else region_of(ds).name,
            n=ds.sizes["replicate"],
            year=year,
        ),
        fontsize=8,
        fontweight="normal",
    )
    fig.text(
        0.01,
        0.01,
        _source_line(ds, lang) + "\n" + t["shapley_note"],
        fontsize=7,
        color="#555555",
        va="bottom",
    )
    fig.subplots_adjust(bottom=0.2, top=0.8)
    return fig


def policy_effects(ds: xr.Dataset, lang: str = "en") -> Figure:
    """Each scenario's paired difference in machine-tool output from the counterfactual.

    In the last target year.

    Median and 90% range over the replicates (common random numbers); the counterfactual is
    the sweep's default (the status quo where it has one, else no policy).
    """
    t = TEXT[lang]
    unit = 10.0 if lang == "zh" else 1.0
    where = counterfactual_point(ds)
    kind = comparison(ds, where)
    year = _last_target_year(ds)
    d = differences(ds, where, ["output"])["output"].sel(sector=_mt(ds), year=year)
    d = d * unit
    names = [str(x) for x in ds["scenario"].values if str(x) != where["scenario"]]
    q = d.sel(scenario=names).quantile([0.05, 0.5, 0.95], dim="replicate")
    lo, mid, hi = (q.sel(quantile=x).values for x in (0.05, 0.5, 0.95))
    order = np.argsort(mid)[::-1]
    fig, ax = plt.subplots()
    y = np.arange(len(names))
    ax.errorbar(
        mid[order],
        y,
        xerr=[mid[order] - lo[order], hi[order] - mid[order]],
        fmt="o",
        color="C0",
        capsize=3,
        markersize=5,
        linewidth=1,
    )
    for k, i in enumerate(order):
        ax.annotate(
            money(float(mid[i]), lang, signed=True),
            (mid[i], k),
            xytext=(0, 7),
            textcoords="offset points",
            ha="center",
            fontsize=7,
        )
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, [t.get(names[i], names[i]) for i in order], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(t["money_unit"])
    best = names[order[0]]
    title = t["effects_title"].format(
        year=year,
        best=t.get(best, best),
        diff=money(float(mid[order[0]]), lang, signed=True),
        against=_against(t, kind, where),
    )
    width = 40 if lang == "zh" else 78
    fig.suptitle(textwrap.fill(title, width), x=0.01, ha="left", fontsize=12, fontweight="bold")
    ax.set_title(
        textwrap.fill(
            t["effects_subtitle"].format(
                region=region_of(ds).name_zh if lang == "zh" else region_of(ds).name,
                n=ds.sizes["replicate"],
                year=year,
            ),
            50 if lang == "zh" else 90,
        ),
        fontsize=8,
        fontweight="normal",
    )
    fig.text(
        0.01,
        0.01,
        _source_line(ds, lang) + "\n" + t["vs_note"],
        fontsize=7,
        color="#555555",
        va="bottom",
    )
    fig.subplots_adjust(bottom=0.2, top=0.8, left=0.3)
    return fig


#: The parts of ``machine_tool_markets`` that act through the makers' shares.
SHARE_PARTS = ("in_region_share", "rest_of_country_share", "abroad_share")
#: Each part's colour: a market's share part dark, its volume part light.
MARKET_COLOURS = {
    "in_region_share": "#1f4e79",
    "in_region_volume": "#9dc3e6",
    "rest_of_country_share": "#c0504d",
    "rest_of_country_demand": "#f2b8b6",
    "abroad_share": "#5f7f2a",
    "abroad_demand": "#c9dba6",
}


def machine_tool_markets_chart(ds: xr.Dataset, lang: str = "en") -> Figure:
    """Where each scenario's extra machine-tool output is sold, and through what.

    In the last target year, against the sweep's counterfactual: the mean paired difference
    of each part of ``model.machine_tool_markets`` (the makers' share, or the volume, of the
    region's machine purchases, the rest of China's demand and foreign demand), stacked
    right for gains and left for losses, with the total as a diamond. The title states how
    much of the plan's total (else the largest) comes through the makers' shares.
    """
    t = TEXT[lang]
    where = counterfactual_point(ds)
    year = _last_target_year(ds)
    names = [str(x) for x in ds["scenario"].values if str(x) != where["scenario"]]
    mk = machine_tool_markets(ds, where, year).mean("replicate").sel(scenario=names)
    mk = mk * unit_factor(lang)
    total = mk["output"].values
    order = np.argsort(total)[::-1]
    fig, ax = plt.subplots()
    y = np.arange(len(names))
    right = np.zeros(len(names))
    left = np.zeros(len(names))
    for k in (part for part in MARKET_CHANNELS if part != "output"):
        v = mk[k].values[order]
        ax.barh(
            y,
            v,
            left=np.where(v >= 0, right, left),
            height=0.6,
            color=MARKET_COLOURS[k],
            label=t[f"market_{k}"],
        )
        right += np.maximum(v, 0.0)
        left += np.minimum(v, 0.0)
    ax.plot(total[order], y, "D", color="black", markersize=5, label=t["market_total"])
    pad = 0.05 * max(float(right.max() - left.min()), 1e-9)
    ax.set_xlim(float(left.min()) - pad, float(right.max()) + pad)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, [t.get(names[i], names[i]) for i in order], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(t["money_unit"])
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    best = names.index("plan") if "plan" in names else int(order[0])
    through_shares = float(sum(mk[k].values[best] for k in SHARE_PARTS))
    return frame(
        fig,
        ax,
        lang,
        title=t["markets_title"].format(
            best=t.get(names[best], names[best]),
            diff=money(float(total[best]), lang, signed=True),
            year=year,
            against=_against(t, comparison(ds, where), where),
            shares=money(through_shares, lang, signed=True),
            rest=money(float(total[best]) - through_shares, lang, signed=True),
        ),
        subtitle=t["markets_subtitle"].format(
            region=region_name(ds, lang), n=ds.sizes["replicate"], year=year
        ),
        source=_source_line(ds, lang),
        note=t["markets_note"],
        left=0.27,
        right=0.78,
    )


def _against(t: dict[str, str], kind: str, where: dict[str, Any]) -> str:
    """What a chart compares with, in the pack's words."""
    if kind in ("status_quo", "no_policy"):
        return t[f"against_{kind}"]
    return ", ".join(f"{k} = {v}" for k, v in where.items())


def _has_markets(ds: Any) -> bool:
    return _has_scenario_counterfactual(ds) and "machine_tool_sales_in_region" in ds


def _has_scenario_counterfactual(ds: Any) -> bool:
    return _has_scenarios(ds) and len(ds["scenario"]) > 1 and "scenario" in counterfactual_point(ds)


def _has_switches(ds: Any) -> bool:
    if not _is_results(ds):
        return False
    players = instrument_players(ds)
    return bool(players) and set(players.values()) == set(sweep_dims(ds))


def _variable_of(target_id: str) -> str:
    return next(
        (t.model_variable for t in load_targets() if t.model_variable and t.id == target_id), ""
    )


def _is_results(ds: Any) -> bool:
    """A run or sweep dataset (not a sensitivity result or a calibration)."""
    return isinstance(ds, xr.Dataset) and "output" in ds and "replicate" in ds.dims


def _is_run(ds: Any) -> bool:
    return _is_results(ds) and not sweep_dims(ds)


def _has_scenarios(ds: Any) -> bool:
    return _is_results(ds) and list(sweep_dims(ds)) == ["scenario"]


def _is_scenario_set(ds: Any) -> bool:
    if not _has_scenarios(ds):
        return False
    names = {str(x) for x in ds["scenario"].values}
    return "plan" in names and bool(names & set(COUNTERFACTUALS))


def _is_lever_sweep(ds: Any) -> bool:
    return _is_results(ds) and bool(lever_dims(ds))


def _is_indices(ds: Any) -> bool:
    return isinstance(ds, xr.Dataset) and is_indices(ds)


def _is_calibration(doc: Any) -> bool:
    return isinstance(doc, dict) and {"parameter", "moment", "inverse"} <= set(doc)


def _has_distributions(ds: Any) -> bool:
    return _is_results(ds) and has_distributions(ds)


#: The charts, by file name: which files each is drawn from, and how.
SUPPORTED: dict[str, tuple[Callable[[Any], bool], Callable[[Any, str], Figure]]] = {
    "headline_fan": (_is_run, headline_fan),
    "plan_vs_counterfactuals": (_is_scenario_set, plan_vs_counterfactuals),
    "attainment_by_scenario": (_has_scenarios, attainment_by_scenario),
    "shapley_waterfall": (_has_switches, shapley_waterfall),
    "policy_effects": (_has_scenario_counterfactual, policy_effects),
    "machine_tool_markets": (_has_markets, machine_tool_markets_chart),
    "value_per_yuan": (_has_switches, value_per_yuan_chart),
    "lever_sweep": (_is_lever_sweep, lever_sweep),
    "sensitivity_indices": (_is_indices, sensitivity_indices),
    "firm_sizes": (_has_distributions, firm_sizes),
    "machine_ages": (_has_distributions, machine_ages),
    "calibration_fit": (_is_calibration, calibration_fit),
    "implied_strength": (_is_calibration, implied_strength),
}


def charts(
    ds: xr.Dataset | dict[str, Any],
    out: str | Path,
    *,
    lang: str = "en",
    formats: Sequence[str] = ("png", "pdf"),
    font: str | Path | None = None,
) -> list[Path]:
    """Draw every chart ``ds`` supports into ``out``; return the files written.

    ``ds`` is a run or sweep dataset, a sensitivity result (``*.indices.nc``) or a
    calibrated-parameters document (``model.calibration.read_calibrated``).

    Raises:
        ScenarioError: Bad language or format, no CJK font for ``zh``, or nothing to draw.
    """
    if lang not in TEXT:
        raise ScenarioError("--lang", lang, f"expected one of {', '.join(TEXT)}")
    bad = [f for f in formats if f not in METADATA]
    if bad:
        raise ScenarioError("--format", ",".join(bad), f"expected some of {', '.join(METADATA)}")
    rc = {"font.family": [cjk_font(font), "DejaVu Sans"]} if lang == "zh" else {}
    todo = {name: draw for name, (fits, draw) in SUPPORTED.items() if fits(ds)}
    if not todo:
        raise ScenarioError(
            "charts", "results", "no chart of the pack is drawn from this kind of file yet"
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
