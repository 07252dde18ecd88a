"""Calibration in two stages (DESIGN.md, "Calibration (two stages)").

1. Behaviour estimated on realised data (``calibration/data.toml``, ``use = "fit"``) by the
   simulated method of moments with common random numbers (:mod:`.estimate`).
2. With behaviour fixed at the estimate, the policy strength the announced plan needs to meet
   each ``inverse`` target of ``calibration/targets.toml`` (:mod:`.inverse`).

The result is written to the spec's ``output`` (``calibration/<region>.calibrated.toml``),
which the default scenarios inherit, and printed as the fit report.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from model.calibration.estimate import Estimate, MomentProblem, estimate_behaviour
from model.calibration.evaluate import Evaluator
from model.calibration.inverse import implied_multiplier, monotone, solve_inverse
from model.calibration.report import fit_report
from model.calibration.result import calibrated_document, read_calibrated, write_calibrated
from model.calibration.spec import CalibrationSpec, load_calibration
from model.experiments.sweep.executors import dask_client

__all__ = [
    "CalibrationSpec",
    "Estimate",
    "Evaluator",
    "MomentProblem",
    "calibrate",
    "estimate_behaviour",
    "fit_report",
    "implied_multiplier",
    "load_calibration",
    "monotone",
    "read_calibrated",
    "solve_inverse",
]


def calibrate(
    spec: CalibrationSpec | str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    workers: int = 1,
    scheduler: Any = None,
    resume: bool = False,
    progress: bool | None = None,
    write: bool = True,
) -> dict[str, Any]:
    """Run both stages and write the calibrated-parameters file.

    Args:
        spec: A calibration spec file or a loaded :class:`CalibrationSpec`.
        out: Checkpoint folder (every finished batch of runs is kept there; ``resume`` picks
            a killed calibration up from it). Without it nothing is checkpointed.
        workers: Local worker processes (results do not depend on them).
        scheduler: A dask.distributed scheduler address or client, instead of workers.
        resume: Continue from the checkpoint folder (else it must not hold a calibration).
        progress: Progress bars of the batches on stderr (default: if a terminal).
        write: Write the spec's ``output`` file.

    Returns:
        The calibrated-parameters document (what the file holds).
    """
    if not isinstance(spec, CalibrationSpec):
        spec = load_calibration(spec)
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if scheduler is not None and workers > 1:
        raise ValueError("give either workers (local processes) or scheduler (dask), not both")
    folder = Path(out) / spec.name if out is not None else None
    if folder is not None and not resume and folder.is_dir() and any(folder.iterdir()):
        from model.config.errors import ScenarioError

        raise ScenarioError(
            str(folder), "", "holds an earlier calibration: rerun with --resume, or delete it"
        )
    if resume and folder is None:
        raise ValueError("resume needs a checkpoint folder")
    t0 = time.perf_counter()
    with dask_client(scheduler) as client:
        ev = Evaluator(
            tuple(spec.facts),
            folder,
            workers=workers,
            scheduler=client,
            progress=progress,
            resume=resume,
        )
        est = estimate_behaviour(spec, ev, t0)
        table, evaluated = solve_inverse(spec, est, ev, t0)
    doc = calibrated_document(
        spec,
        est,
        table,
        evaluated,
        elapsed_s=time.perf_counter() - t0,
        runs=ev.runs + ev.found,
    )
    doc["runs_simulated_here"] = ev.runs  # (the others were found in the checkpoint folder)
    if write:
        write_calibrated(doc, spec.output)
    return doc
