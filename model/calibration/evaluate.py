"""Simulated facts at parameter vectors: batches of runs with common random numbers, checkpointed.

Every batch of parameter vectors runs as one sweep (so through the same executors as any
sweep: local processes or a dask cluster, bit-identical for any number of workers) with the
same seed and replicate numbers at every vector. Each fact's statistic is taken per replicate.
A finished batch is written at once (atomically) to ``DIR/evaluations/<digest>.npz``, its
digest covering the scenario, the vectors, the scale, replicates and seed, what is measured
and the package's source files: a calibration
rerun with ``--resume`` replays its (deterministic) path and finds every finished batch
there, and the one it was killed in resumes from the sweep's own pieces.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from model.analysis.facts import fact_values
from model.config.data import Fact
from model.config.params import Scenario
from model.config.scenario import resolve, scenario_text
from model.experiments.sweep import make_sweep, sweep
from model.experiments.sweep.points import Dim, Setting
from model.outputs.files import code_version

__all__ = ["Evaluator", "fact_matrix"]


def fact_matrix(ds: xr.Dataset, facts: Sequence[Fact], dim: str = "point") -> np.ndarray:
    """Each fact's statistic per point and replicate: an array (point, replicate, fact)."""
    cols = []
    for f in facts:
        da = fact_values(ds, f)
        if dim not in da.dims:
            da = da.expand_dims({dim: ds.sizes[dim]})
        cols.append(np.asarray(da.transpose(dim, "replicate").values, dtype=float))
    return np.stack(cols, axis=-1)


@dataclass
class Evaluator:
    """Runs batches of parameter vectors and returns their facts, with a checkpoint folder.

    Attributes:
        facts: The facts measured at every vector (all uses: the fit, the held-out check and
            the report read the same batches).
        folder: Checkpoint folder (None: nothing kept, nothing resumed).
        workers, scheduler: As for sweeps.
        runs: Runs simulated by this evaluator (not those found in the checkpoint).
    """

    facts: tuple[Fact, ...]
    folder: Path | None = None
    workers: int = 1
    scheduler: Any = None
    progress: bool | None = None
    resume: bool = False
    runs: int = 0
    found: int = 0
    _memo: dict[str, np.ndarray] = field(default_factory=dict)
    _source: str = ""

    def settings_dim(self, rows: Sequence[Sequence[Setting]], labels: dict[str, list]) -> Dim:
        """A ``point`` dim applying ``rows`` of settings, with extra coordinates ``labels``."""
        coords = {k: (tuple(v), {"long_name": k, "units": ""}) for k, v in labels.items()}
        return Dim(
            "point",
            tuple(range(len(rows))),
            tuple(tuple(r) for r in rows),
            {"long_name": "evaluated point", "units": ""},
            coords,
        )

    def evaluate(
        self,
        base: Scenario,
        rows: Sequence[Sequence[Setting]],
        *,
        replicates: int,
        seed: int,
        scale: float,
        stage: str,
        targets: Sequence[Any] = (),
    ) -> np.ndarray:
        """The facts at each row of settings: an array (point, replicate, fact).

        With ``targets``, the arrays of each target's simulated value (point, replicate) are
        appended after the facts (``model.analysis.targets.simulated``).
        """
        scenario = resolve(base, overrides={"market.firm_scale": float(scale)})
        digest = self._digest(scenario, rows, replicates, seed, targets)
        if digest in self._memo:
            return self._memo[digest]
        path = self.folder / "evaluations" / f"{stage}-{digest[:16]}.npz" if self.folder else None
        if path is not None and path.is_file():
            with np.load(path) as z:
                out = z["values"]
            self.found += len(rows) * replicates
            self._memo[digest] = out
            return out
        sw = make_sweep(
            [self.settings_dim(rows, {})],
            base=scenario,
            name=f"{stage}_{digest[:16]}",
            replicates=replicates,
            seed=seed,
        )
        runs_dir = self.folder / "runs" if self.folder else None
        ds = sweep(
            sw,
            runs_dir,
            workers=self.workers,
            scheduler=self.scheduler,
            resume=self.resume and runs_dir is not None,
            progress=self.progress,
        )
        out = fact_matrix(ds, self.facts)
        if targets:
            from model.analysis.targets import simulated

            extra = []
            for t in targets:
                sim = simulated(ds, t)
                if sim is None:
                    raise ValueError(f"target {t.id}: the runs do not measure it")
                extra.append(np.asarray(sim.transpose("point", "replicate").values, float))
            out = np.concatenate([out, np.stack(extra, axis=-1)], axis=-1)
        self.runs += len(rows) * replicates
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                np.savez(fh, values=out)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
            assert runs_dir is not None
            (runs_dir / f"{sw.name}.nc").unlink(missing_ok=True)
            shutil.rmtree(runs_dir / f"{sw.name}.parts", ignore_errors=True)
        self._memo[digest] = out
        return out

    def source_digest(self) -> str:
        """The package's version and a hash of its source files (an edit makes new batches)."""
        if not self._source:
            h = hashlib.sha256(code_version().split("+")[0].encode())
            root = Path(__file__).resolve().parents[1]
            for path in sorted(root.rglob("*.py")):
                h.update(path.relative_to(root).as_posix().encode())
                h.update(path.read_bytes())
            self._source = h.hexdigest()
        return self._source

    def _digest(
        self,
        scenario: Scenario,
        rows: Sequence[Sequence[Setting]],
        replicates: int,
        seed: int,
        targets: Sequence[Any],
    ) -> str:
        h = hashlib.sha256()
        h.update(scenario_text(scenario).encode())
        h.update(self.source_digest().encode())
        # What is measured: every field of the facts and targets (statistic, year, ...).
        h.update(repr([(f.statistic, f.model_year) for f in self.facts]).encode())
        h.update(repr(list(targets)).encode())
        for r in rows:
            h.update(json.dumps([(s.path, repr(s.value), s.scale) for s in r]).encode())
        h.update(f"{replicates}:{seed}".encode())
        return h.hexdigest()
