"""The calibrated-parameters file (``calibration/<region>.calibrated.toml``): write and read.

Written by ``python -m model calibrate`` (atomically), read by the scenarios that name it
(``calibration = ...`` in ``scenarios/defaults.toml``: the estimates become the defaults) and
by ``python -m model fit-report``. Tables:

- ``[[parameter]]``: ``path``, ``estimate``, ``se``, ``low``, ``high``, ``transform``,
  ``at_bound``, and ``fixed_because`` for those held at their value after screening;
- ``[[moment]]``: every fact of the region: ``name``, ``data``, ``se``, ``simulated``,
  ``se_simulated``, ``p5``, ``p95``, ``band``, ``t``, ``use`` and ``held_out``, ``source``;
- ``[[inverse]]``: ``target``, ``lever``, ``criterion`` (median or probability),
  ``implied`` (multiplier of the announced strengths), ``low``, ``high`` (90%),
  ``reachable``, ``shortfall``;
- ``[[target]]``: the calibrated plan's targets at the announced strengths;
- the objective, the over-identification statistic, identification diagnostics, seeds,
  scales, spin-up length, optimiser settings, the code version and the time taken.
"""

from __future__ import annotations

import math
import os
import tomllib
from pathlib import Path
from typing import Any

from model.calibration.estimate import Estimate
from model.calibration.inverse import InverseRow
from model.calibration.spec import CalibrationSpec
from model.config.errors import ScenarioError
from model.config.toml import dumps_toml
from model.outputs.files import code_version

__all__ = ["calibrated_document", "read_calibrated", "write_calibrated"]


def _num(x: float) -> float | str:
    """A number for the file: 6 significant digits; inf and nan as strings (readable anywhere)."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return float(f"{x:.6g}")


def calibrated_document(
    spec: CalibrationSpec,
    est: Estimate,
    inverse: list[InverseRow],
    evaluated: dict[str, Any],
    *,
    elapsed_s: float,
    runs: int,
) -> dict[str, Any]:
    """The calibrated-parameters file's content."""
    params = []
    by_path = {q.path: q for q in spec.parameters}
    for j, q in enumerate(est.parameters):
        params.append(
            {
                "path": q.path,
                "estimate": _num(est.estimate[j]),
                "se": _num(est.se[j]),
                "low": q.low,
                "high": q.high,
                "transform": q.transform,
                "at_bound": bool(est.at_bound[j]),
                "robustness_estimate": (
                    _num(est.robustness[j]) if est.robustness is not None else "nan"
                ),
            }
        )
    for path, (value, why) in est.fixed.items():
        q = by_path[path]
        params.append(
            {
                "path": path,
                "estimate": _num(value),
                "se": "nan",
                "low": q.low,
                "high": q.high,
                "transform": q.transform,
                "fixed_because": why,
            }
        )
    moments = []
    for i, f in enumerate(spec.facts):
        sim = est.facts_mean[i]
        s_sim = est.facts_se[i]
        moments.append(
            {
                "name": f.id,
                "use": f.use,
                "held_out": f.use == "held_out",
                "data": f.value,
                "se": f.se,
                "band": [f.low, f.high],
                "simulated": _num(sim),
                "se_simulated": _num(s_sim),
                "p5": _num(est.facts_p5[i]),
                "p95": _num(est.facts_p95[i]),
                "inside_band": bool(f.low <= est.facts_median[i] <= f.high),
                "t": _num((sim - f.value) / math.sqrt(f.se**2 + s_sim**2)),
                "measures": f.measures,
                "source": f.source,
            }
        )
    inv = [
        {
            "target": r.target,
            "goal": _num(r.goal),
            "lever": r.lever,
            "announced": r.announced,
            "criterion": r.criterion,
            "implied": _num(r.implied),
            "low": _num(r.low),
            "high": _num(r.high),
            "reachable": r.reachable,
            "at_announced": _num(r.at_announced),
            "at_top": _num(r.at_top),
            "shortfall": _num(r.shortfall),
        }
        for r in inverse
    ]
    sc = spec.scenario
    return {
        "name": spec.name,
        "spec": spec.source,
        "data": str(spec.data_path),
        "scenario_estimated_on": sc.name,
        "plan": spec.plan.name,
        "code_version": code_version(),
        "seed": spec.seed,
        "spinup_years": sc.spinup.years,
        "end_year": sc.end_year,
        "elapsed_s": round(elapsed_s, 1),
        "runs": runs,
        "behaviour_draws_degenerate": bool(evaluated.get("behaviour_draws_degenerate", False)),
        "objective": _num(est.objective),
        "global_objective": _num(est.global_objective),
        "overidentification": {
            "statistic": _num(est.j_statistic),
            "dof": est.j_dof,
            "p_value": _num(est.j_pvalue),
        },
        "identification": {
            "singular_values": [_num(v) for v in est.singular_values],
            "condition_number": _num(est.condition_number),
        },
        "screening": [
            {k: (_num(v) if isinstance(v, float) else v) for k, v in row.items()}
            for row in est.screening
        ],
        "settings": {k: dict(v) for k, v in est.settings.items()}
        | {"inverse": _inverse_settings(spec)},
        "parameter": params,
        "moment": moments,
        "inverse": inv,
        "target": evaluated["targets"],
    }


def _inverse_settings(spec: CalibrationSpec) -> dict[str, Any]:
    inv = spec.inverse
    return {
        "replicates": inv.replicates,
        "scale": inv.scale,
        "probability": inv.probability,
        "draws": inv.draws,
        "draw_replicates": inv.draw_replicates,
        "bootstrap": inv.bootstrap,
        "levers": {lv.name: {"paths": list(lv.paths), "scale": list(lv.scale)} for lv in inv.lever},
    }


HEADER = """# Written by `python -m model calibrate {spec}`: do not edit by hand.
# The calibrated behavioural parameters ([[parameter]]: read by the scenarios that name this file
# with `calibration = ...`), the fit ([[moment]]), the policy strengths the plan implies
# ([[inverse]]) and the calibrated plan's targets ([[target]]). `python -m model fit-report`
# prints it as tables.
"""


def write_calibrated(doc: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the file atomically (a temporary file renamed over the target)."""
    path = Path(path)
    text = HEADER.format(spec=doc.get("spec", "")) + "\n" + dumps_toml(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def read_calibrated(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a calibrated-parameters file.

    Raises:
        ScenarioError: A missing or unreadable file, or one without the tables above.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise ScenarioError(str(path), "", "file not found") from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(str(path), "", f"TOML syntax error: {e}") from None
    for key in ("parameter", "moment", "inverse"):
        if not isinstance(doc.get(key), list):
            raise ScenarioError(
                str(path), key, f"missing [[{key}]] tables: not a calibrated-parameters file"
            )
    return doc
