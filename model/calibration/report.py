"""The fit report: a calibrated-parameters file as tables for a reader."""

from __future__ import annotations

from typing import Any

__all__ = ["fit_report"]


def _f(x: Any, digits: int = 4) -> str:
    if isinstance(x, str):
        return x
    if isinstance(x, bool):
        return "yes" if x else "no"
    x = float(x)
    if x != x:
        return "-"
    if x in (float("inf"), float("-inf")):
        return "beyond the grid" if x > 0 else "-inf"
    return f"{x:.{digits}g}"


def _table(head: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)
    ]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def fit_report(doc: dict[str, Any]) -> str:
    """The report of a calibrated-parameters file (``model.calibration.read_calibrated``)."""
    out = [
        f"Calibration {doc.get('name')}: behaviour estimated on the realised figures of "
        f"{doc.get('data')} under the scenario {doc.get('scenario_estimated_on')!r} "
        f"(simulated method of moments, common random numbers, seed {doc.get('seed')}, "
        f"{doc.get('spinup_years')}-year spin-up); code {doc.get('code_version')}; "
        f"{doc.get('runs')} runs in {doc.get('elapsed_s')} s.",
        "",
        "Moments (fit: estimated on; held_out: 2024-25 outturns, never fitted; report: counts "
        "and checks at full scale). t = (simulated - data) / sqrt(se^2 + se_sim^2).",
    ]
    rows = []
    for m in doc["moment"]:
        rows.append(
            [
                m["name"],
                m["use"],
                _f(m["data"]),
                _f(m["se"], 2),
                _f(m["simulated"]),
                f"[{_f(m['p5'])}, {_f(m['p95'])}]",
                f"[{_f(m['band'][0])}, {_f(m['band'][1])}]",
                _f(m["inside_band"]),
                _f(m["t"], 2),
            ]
        )
    out.append(
        _table(["moment", "use", "data", "se", "simulated", "5-95%", "band", "inside", "t"], rows)
    )
    ov = doc.get("overidentification", {})
    idn = doc.get("identification", {})
    out += [
        "",
        f"Objective {_f(doc.get('objective'))} "
        f"(global search's best {_f(doc.get('global_objective'))}); "
        f"over-identification J = {_f(ov.get('statistic'))} on {ov.get('dof')} dof, "
        f"p = {_f(ov.get('p_value'), 3)}.",
        f"Identification: singular values of the weighted Jacobian (per range) "
        f"{', '.join(_f(v, 3) for v in idn.get('singular_values', []))}; condition number "
        f"{_f(idn.get('condition_number'), 3)}.",
        "",
        "Parameters (s.e. by the simulated-moments sandwich with the simulation correction; "
        "robustness: the estimate under relative-deviation weighting).",
    ]
    rows = []
    for q in doc["parameter"]:
        note = q.get("fixed_because", "")
        if not note:
            note = "at a bound" if q.get("at_bound") else ""
        rows.append(
            [
                q["path"],
                _f(q["estimate"]),
                _f(q["se"], 3),
                f"[{_f(q['low'])}, {_f(q['high'])}]",
                _f(q.get("robustness_estimate", "nan")),
                note,
            ]
        )
    out.append(_table(["parameter", "estimate", "s.e.", "range", "robustness", "note"], rows))
    out += [
        "",
        "What policy strength does the plan assume? The multiplier of the announced strength "
        "at which the calibrated plan meets each target in median, or with the stated "
        "probability; 90% interval over seeds and behaviour drawn from the estimate.",
    ]
    rows = []
    for r in doc["inverse"]:
        implied = _f(r["implied"], 3) if r["reachable"] else "unreachable"
        short = "" if r["reachable"] else f"short by {_f(r['shortfall'], 3)} at the top"
        rows.append(
            [
                r["target"],
                r["lever"],
                r["criterion"],
                _f(r["goal"]),
                _f(r["at_announced"]),
                implied,
                f"[{_f(r['low'], 3)}, {_f(r['high'], 3)}]",
                short,
            ]
        )
    out.append(
        _table(["target", "lever", "criterion", "goal", "at x1", "implied x", "90%", "note"], rows)
    )
    out += ["", "The calibrated plan at the announced strengths:"]
    rows = [
        [
            t["id"],
            t["use"],
            str(t["year"]),
            _f(t["goal"]),
            _f(t["median"]),
            f"[{_f(t['p5'])}, {_f(t['p95'])}]",
            f"{float(t['attainment']):.0%}",
        ]
        for t in doc.get("target", [])
    ]
    out.append(_table(["target", "use", "year", "goal", "median", "5-95%", "attained"], rows))
    return "\n".join(out)
