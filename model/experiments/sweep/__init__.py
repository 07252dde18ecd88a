"""Scenario sweeps: many scenarios x many replicates -> one labelled dataset.

A sweep file (TOML) names a base scenario and the axes to vary; every point of the sweep is
one resolved :class:`~model.params.Scenario` (base + overrides). All points use the same seed
and the same replicate numbers, so replicate r of one point and replicate r of another saw
the same random numbers (common random numbers): differences between points are not noise.

Work is cut into tasks, one task = (a chunk of points, a batch of replicates): many runs per
task. Points whose scenarios differ only after the base year (instruments, demand and price
paths; equal ``spinup_key``) share one spin-up per batch (``model._run.simulate_points_batch``).
A replicate's results do not depend on its batch, its chunk or the process running it, so the
serial, local-process and dask.distributed executors give bit-identical datasets for any
number of workers.

With an output folder, every finished task is written at once (atomically) to
``DIR/<name>.parts/``; ``resume=True`` skips the tasks whose piece exists, so an interrupted
sweep (Ctrl-C, a killed process) loses no finished run and computes none twice. When all
tasks are done the pieces are combined into ``DIR/<name>.nc`` and removed.

Sweep file format (see README, "Sweeps and sensitivity")::

    name = "two_levers"            # optional: default the file name
    base = "../plan.toml"          # or: scenarios = ["../plan.toml", "../no_policy.toml"]
    replicates = 20                # optional: default the base scenario's
    seed = 20231231                # optional: default the base scenario's
    set = { "market.firm_scale" = 0.5 }   # optional overrides for every point

    [[axis]]                       # a grid: one dim per axis
    path = "instruments.renewal_loans.subsidy_pp"
    values = [0.0, 0.01, 0.015, 0.02]      # or: scale = [0.5, 1, 2] (x the base value)
    name = "subsidy_pp"            # optional dim name

    [lhs]                          # a Latin hypercube: dim "sample"
    samples = 64
    [[lhs.parameter]]
    path = "innovation.zeta_innovation"
    low = 4.0
    high = 16.0
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import xarray as xr

from model.config.errors import ScenarioError
from model.experiments.sweep.assemble import assemble, points_table, write_sweep
from model.experiments.sweep.executors import (
    Job,
    dask_client,
    run_on_dask,
    run_on_processes,
    run_serially,
)
from model.experiments.sweep.points import (
    Dim,
    Setting,
    grid_dim,
    sample_dim,
    scenario_dim,
    value_at,
    values_dim,
)
from model.experiments.sweep.spec import Sweep, load_sweep, make_sweep
from model.experiments.sweep.store import FolderStore, MemoryStore, finished_result, open_parts
from model.experiments.sweep.tasks import Task, TaskLayout

__all__ = [
    "Dim",
    "Setting",
    "Sweep",
    "Task",
    "TaskLayout",
    "grid_dim",
    "load_sweep",
    "make_sweep",
    "points_table",
    "sample_dim",
    "scenario_dim",
    "sweep",
    "value_at",
    "values_dim",
    "write_sweep",
]


def sweep(
    spec: Sweep | str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    replicates: int | None = None,
    overrides: Mapping[str, object] | None = None,
    workers: int = 1,
    scheduler: Any = None,
    resume: bool = False,
    batch_size: int | None = None,
    progress: bool | None = None,
    on_piece: Callable[[Task], None] | None = None,
) -> xr.Dataset:
    """Run every point of a sweep, every replicate, into one labelled dataset.

    Args:
        spec: A sweep file or a :class:`Sweep`.
        out: Output folder: pieces go to ``out/<name>.parts/`` as tasks finish, the result to
            ``out/<name>.nc``. Without it nothing is written (and nothing can be resumed).
        replicates: Replicates per point (overrides the file's).
        overrides: Dotted overrides for every point (after the file's ``set``).
        workers: Local processes (1: in this process).
        scheduler: A dask.distributed scheduler address (``"tcp://host:8786"``) or a
            ``distributed.Client``; excludes ``workers > 1``.
        resume: Continue an interrupted sweep in ``out``: finished tasks are not recomputed.
        batch_size: Replicates per task (default: the file's, else chosen so that every
            worker stays busy, at most ``MAX_BATCH``). Results do not depend on it.
        progress: Progress bar on stderr (default: only when stderr is a terminal).
        on_piece: Called with each :class:`Task` once its piece is stored.

    Returns:
        Dataset with the sweep's dims first (grid axes, ``scenario`` or ``sample``), then
        ``replicate``, ``year`` and the runs' other dims; attributes hold the sweep text, its
        digest, the code version and the seed. Identical for any executor and worker count.
    """
    if isinstance(spec, Sweep):
        sw = spec
        if overrides:
            raise ValueError("overrides apply when loading a sweep file; build the Sweep with them")
        if replicates is not None:
            sw = sw.with_replicates(replicates)
    else:
        sw = load_sweep(spec, replicates=replicates, overrides=overrides)
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if scheduler is not None and workers > 1:
        raise ValueError("give either workers (local processes) or scheduler (dask), not both")
    with dask_client(scheduler) as client:
        return _run(sw, out, workers, client, resume, batch_size, progress, on_piece)


def _run(
    sw: Sweep,
    out: str | os.PathLike[str] | None,
    workers: int,
    client: Any,
    resume: bool,
    batch_size: int | None,
    progress: bool | None,
    on_piece: Callable[[Task], None] | None,
) -> xr.Dataset:
    # On a cluster, cut enough tasks for all its threads.
    slots = max(1, sum(client.nthreads().values())) if client is not None else workers
    layout = sw.layout(slots, batch_size)

    final: Path | None = None
    store: MemoryStore | FolderStore
    if out is not None:
        out = Path(out)
        final = out / f"{sw.name}.nc"
        folder = out / f"{sw.name}.parts"
        if resume and final.is_file() and not folder.exists():
            done = finished_result(final, sw)
            if done is not None:
                return done
        layout = open_parts(sw, folder, layout, resume)
        store = FolderStore(folder)
        if resume:  # a result half-written by a killed process
            for stale in out.glob(f".{final.name}.*.tmp"):
                stale.unlink(missing_ok=True)
    else:
        if resume:
            raise ValueError("resume needs an output folder")
        store = MemoryStore()

    tasks = layout.tasks(sw.replicates)
    expected = set(tasks)
    have = store.done()
    stray = have - expected
    if stray:
        raise ScenarioError(
            str(getattr(store, "folder", "")),
            "",
            f"{len(stray)} piece(s) do not belong to this sweep's tasks "
            "(was the manifest changed by hand?); delete the folder to start over",
        )
    todo = [t for t in tasks if t not in have]
    total_runs = sw.n_points * sw.replicates

    def runs(t: Task) -> int:
        return t.runs * len(layout.chunks[t.chunk])

    def jobs() -> Iterator[Job]:
        for t in todo:
            points = layout.chunks[t.chunk]
            yield t, points, [sw.scenario(p) for p in points]

    from tqdm import tqdm

    bar = tqdm(
        total=total_runs,
        initial=sum(runs(t) for t in have),
        unit="run",
        desc=sw.name,
        file=sys.stderr,
        disable=(None if progress is None else not progress),
        dynamic_ncols=True,
        smoothing=0.05,
    )
    try:
        if todo:
            if client is not None:
                results = run_on_dask(jobs(), client)
            elif workers > 1 and len(todo) > 1:
                results = run_on_processes(jobs(), min(workers, len(todo)))
            else:
                results = run_serially(jobs())
            with contextlib.closing(results):  # type: ignore[type-var]
                for task, arrays in results:
                    store.save(task, arrays)
                    bar.update(runs(task))
                    if on_piece is not None:
                        on_piece(task)
    finally:
        bar.close()

    ds = assemble(sw, layout, {t: store.load(t) for t in tasks})
    if final is not None:
        write_sweep(ds, final)
    store.finish()
    return ds
