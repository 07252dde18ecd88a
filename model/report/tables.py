"""Text tables for the terminal: a run's summary and a sweep's derived views."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from model.analysis.shapley import instrument_players, shapley
from model.analysis.stats import REP, mcse, sweep_dims
from model.analysis.targets import attainment, evaluate, last_target_year, series_of
from model.analysis.views import (
    COMPARISON_TITLE,
    MARKET_CHANNELS,
    comparison,
    counterfactual_point,
    deadweight_leakage,
    machine_tool_markets,
    value_per_yuan,
)
from model.config.errors import ScenarioError
from model.config.targets import load_targets
from model.outputs.catalogue import across_sectors
from model.outputs.dataset import machine_tool_sector, region_of


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


def _short_target(tid: str) -> str:
    """A target's id without its region prefix, as words (a column title)."""
    return tid.split("_", 1)[-1].replace("_", " ")


def _more(n: int) -> list[str]:
    if n <= MAX_ROWS:
        return []
    return [f"... and {n - MAX_ROWS} more points (model.attainment, model.value_per_yuan give all)"]


def _mean_se(x: xr.DataArray) -> str:
    return f"{_g(float(x.mean()))} ± {_g(float(mcse(x)))}"


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
        # The region's last target year's machine-tool output, as a headline.
        mt = machine_tool_sector(region_of(ds))
        last = max(int(y) for y in att["target_year"].values)
        has_mt = last in ds["year"].values
        header = [*cols, *(_short_target(t) for t in tids)]
        if has_mt:
            header.append(f"MT output {last}: median [5%, 95%]")
            mt = ds["output"].sel(sector=mt, year=last)
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
        kind = comparison(ds, where)
        # Deadweight from the run's own twin: no policy when the point compared with is no
        # policy, the status quo otherwise.
        dl = deadweight_leakage(ds, "no_policy" if kind == "no_policy" else "status_quo")
        cf = ", ".join(f"{k} = {v}" for k, v in where.items())
        out += [
            "",
            f"{COMPARISON_TITLE[kind][0].upper()}{COMPARISON_TITLE[kind][1:]} [{cf}], paired by "
            "replicate: mean ± Monte Carlo s.e., "
            "bn yuan summed over the years; value added gained (at 2023 prices) per yuan of net "
            "public cost, in all and per yuan of each payer's; deadweight share of the subsidies "
            f"({dl.attrs['counterfactual']}) and leakage (machine tools bought outside the region "
            "by the firms paid)",
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

    # Where the machine-tool output the points add is sold: in the region, or outside it
    # through the makers' market shares (or a different demand).
    if where and "machine_tool_sales_in_region" in ds:
        out += _market_rows(ds, where, last_target_year(ds), cols, rows, labels)

    # Shapley values over the instrument on/off dims.
    players = instrument_players(ds)
    if players and set(players.values()) == set(dims):
        sh = shapley(ds)
        inst = [str(i) for i in sh["instrument"].values]
        out += [
            "",
            f"Shapley values of the mix's effect {sh.attrs['comparison']} by instrument: mean "
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


def _market_rows(
    ds: xr.Dataset,
    where: Mapping[str, Any],
    year: int,
    cols: list[str],
    rows: list[dict[str, Any]],
    labels: Any,
) -> list[str]:
    """The table of each point's machine-tool output difference by market in ``year``."""
    mk = machine_tool_markets(ds, where, year)
    out = [
        "",
        f"Machine-tool output in {year} {mk.attrs['comparison']}, by market: mean ± Monte "
        "Carlo s.e., bn yuan; each market's sales split into the part through the makers' "
        "share (of the region's machine purchases, of the rest of China's and of foreign "
        "demand) and the part through the volume",
    ]
    header = [*cols, *(head for head, _ in MARKET_CHANNELS.values())]
    body = [
        [*labels(r), *(_mean_se(mk[k].sel(r)) for k in MARKET_CHANNELS)]
        for r in rows
        if not all(r.get(k) == v for k, v in where.items())
    ]
    return out + _table(header, body[:MAX_ROWS], len(cols)) + _more(len(body))


def table(res: xr.Dataset) -> str:
    """The indices as a text table, one block per output."""
    lines = []
    method = res.attrs.get("method")
    cols = (
        ["S1", "S1_conf", "ST", "ST_conf"]
        if method == "sobol"
        else ["mu", "mu_star", "sigma", "mu_star_conf"]
    )
    for o in res["output"].values:
        units = (
            str(res["output_units"].sel(output=o).item()) if "output_units" in res.coords else ""
        )
        lines.append(f"{o} ({units}):" if units else f"{o}:")
        lines.append(f"  {'parameter':<40}" + "".join(f"{c:>14}" for c in cols))
        for p in res["parameter"].values:
            vals = [float(res[c].sel(parameter=p, output=o)) for c in cols]
            lines.append(f"  {str(p):<40}" + "".join(f"{v:>14.4g}" for v in vals))
    return "\n".join(lines)


def _band(da: xr.DataArray) -> str:
    v = np.asarray(da.values, dtype=float)
    med, lo, hi = np.median(v), np.quantile(v, 0.05), np.quantile(v, 0.95)
    if abs(med) >= 10:
        return f"{med:9.1f} [{lo:7.1f}, {hi:7.1f}]"
    return f"{med:9.3f} [{lo:7.3f}, {hi:7.3f}]"


def summary(ds: xr.Dataset) -> str:
    """A short table of the run: key series by year (median [5%, 95%]) and the targets."""
    mt = machine_tool_sector(region_of(ds))
    rows = [
        ("machine-tool output, bn yuan", ds["output"].sel(sector=mt)),
        ("all-industry output, bn yuan", ds["output_total"]),
        ("value added (current prices), bn yuan", ds["value_added_total"]),
        ("machine-tool R&D intensity", ds["rd_intensity"].sel(sector=mt)),
        ("machine-tool mean machine age", ds["mean_machine_age"].sel(sector=mt)),
        ("all-industry mean machine age", across_sectors(ds, "mean_machine_age")),
        ("first-set products recognised", ds["first_set_products_new"].sel(sector=mt)),
        (
            "new little giants + champions (MT)",
            series_of(ds, f"n_little_giants_new+n_single_champions_new:{mt}"),
        ),
        ("domestic share of machine purchases", across_sectors(ds, "domestic_machine_share")),
        ("subsidies paid, bn yuan", ds["subsidy_paid"].sum("instrument")),
    ]
    try:
        targets = evaluate(ds, load_targets())
    except ScenarioError:
        targets = []
    n = ds.sizes["replicate"]
    out = [
        f"Scenario {ds.attrs['scenario_name']!r}: {n} replicates, seed {ds.attrs['seed']}, "
        f"code {ds.attrs['code_version']}. Median [5%, 95%] across replicates."
    ]
    # The first and last years, and the years of the region's targets.
    years = [int(y) for y in ds["year"].values]
    marked = {years[0], years[-1], *(int(t["year"]) for t in targets)}
    show = [y for y in years if y in marked]
    width = 38
    out.append(f"{'':{width}}" + "".join(f"{y:>28}" for y in show))
    for label, da in rows:
        out.append(f"{label:{width}}" + "".join(f"{_band(da.sel(year=y)):>28}" for y in show))
    capped = _entry_cap_note(ds)
    if capped:
        out += ["", capped]
    if targets:
        out.append("")
        out.append(
            "Targets (calibration/targets.toml): goal, simulated median [5%, 95%], "
            "share of replicates meeting it ± Monte Carlo s.e."
        )
        for t in targets:
            op = "<=" if t["comparison"] == "le" else ">="
            out.append(
                f"  {t['id']:<46} {t['year']}  {op} {t['goal']:>9.4g}  "
                f"{t['median']:>10.4g} [{t['p5']:.4g}, {t['p95']:.4g}]  "
                f"{t['attainment']:>5.0%} ± {t['attainment_se']:.0%}  ({t['use']})"
            )
    return "\n".join(out)


def _entry_cap_note(ds: xr.Dataset) -> str:
    """A warning when the firm slots capped entry (``entrants_without_slot``), else ''."""
    if "entrants_without_slot" not in ds:
        return ""
    lost = ds["entrants_without_slot"]
    capped = (lost > 0).any("sector")
    if not bool(capped.any()):
        return ""
    # Each replicate's first capped year (past the end if never).
    years = ds["year"].where(capped).min("year").fillna(int(ds["year"].max()) + 1)
    share = float(capped.any("year").mean())
    sectors = [str(s) for s in lost["sector"].values if bool((lost.sel(sector=s) > 0).any())]
    return (
        f"Note: the firm slots capped entry in {share:.0%} of replicates (first in "
        f"{int(years.min())}, median first year {float(years.median()):.0f}) in "
        f"{len(sectors)} sectors: {', '.join(sectors)}. Firm counts from then on are lower "
        "bounds (entrants_without_slot). A larger market.slot_headroom lifts the cap (the "
        "slots beyond market.open_slot_headroom open only as entry needs them; docs/ODD.md "
        "section VI, item 1)."
    )


def facts_table(rows: list[dict], title: str) -> str:
    """The facts report as text: each fact, its source, band, the model and whether it fits."""
    out = [
        title,
        "Realised figure [band]; model median [5%, 95%] across replicates; inside = the median "
        "lies in the band.",
        "",
    ]
    inside = sum(r["inside"] for r in rows)
    for r in rows:
        f = r["fact"]
        mark = "inside " if r["inside"] else "OUTSIDE"
        out.append(
            f"{mark} {f.id:<44} {f.model_year}  data {_g(f.value):>9} [{_g(f.low)}, {_g(f.high)}]"
            f"  model {_g(r['median']):>9} [{_g(r['p5'])}, {_g(r['p95'])}]"
        )
        out.append(f"        {f.measures}; {f.kind}. Source: {f.source}")
        out.append(f"        Band: {f.band_why}")
    out += ["", f"{inside} of {len(rows)} facts inside their bands."]
    return "\n".join(out)
