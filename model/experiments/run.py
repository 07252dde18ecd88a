"""Running a scenario's replicates (serially or on local processes) into the labelled result."""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import xarray as xr

from model.config.params import Scenario
from model.config.scenario import resolve, scenario_text
from model.experiments.processes import worker_context
from model.outputs.catalogue import FIRM_VARIABLES
from model.outputs.dataset import to_dataset
from model.outputs.files import code_version
from model.simulation.batch import _simulate_batch
from model.simulation.model import RegionModel

#: Most replicates simulated together in one batch (one array): memory grows with it.
MAX_BATCH = 8


def default_batch_size(replicates: int, workers: int) -> int:
    """Batches that keep every worker busy to the end, at most MAX_BATCH replicates each."""
    rounds = 1
    while -(-replicates // (workers * rounds)) > MAX_BATCH:
        rounds += 1
    return max(1, -(-replicates // (workers * rounds)))


def _batches(n: int, size: int) -> list[list[int]]:
    return [list(range(i, min(i + size, n))) for i in range(0, n, size)]


def simulate_arrays(
    scenario: Scenario, replicates: int, *, workers: int = 1, batch_size: int | None = None
) -> dict[str, np.ndarray]:
    """Run replicates 0..n-1 in batches, serially or on local processes, in replicate order.

    Each replicate draws from its own streams, so the result does not depend on the batch
    size, the number of workers or the order in which batches finish.
    """
    if batch_size is None:
        batch_size = default_batch_size(replicates, workers)
    batches = _batches(replicates, max(1, batch_size))
    if workers <= 1 or len(batches) == 1:
        parts = [_simulate_batch(scenario, b) for b in batches]
    else:
        # Spawned workers that do not re-run the caller's script (no main guard needed).
        with ProcessPoolExecutor(max_workers=workers, mp_context=worker_context()) as pool:
            parts = list(pool.map(_simulate_batch, [scenario] * len(batches), batches))
    out = {}
    for key in parts[0]:
        if key.startswith("_"):
            out[key] = parts[0][key]
        else:
            out[key] = np.concatenate([p[key] for p in parts], axis=0)
    return out


def run(
    scenario: Scenario | str | os.PathLike[str],
    replicates: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    overrides: Mapping[str, object] | None = None,
    *,
    batch_size: int | None = None,
) -> xr.Dataset:
    """Run a scenario's Monte Carlo replicates and return the labelled result.

    Args:
        scenario: A scenario file path or a loaded scenario.
        replicates: Number of replicates (default: the scenario's).
        seed: Root seed (default: the scenario's).
        workers: Local processes; results are identical for any number.
        overrides: Dotted parameter paths and values, e.g.
            ``{"instruments.rd_bonus.reward_rate": 0.2}``.
        batch_size: Replicates simulated together in one array (default: enough to keep
            every worker busy, at most MAX_BATCH); results do not depend on it.

    Returns:
        Dataset with dims ``replicate``, ``year``, ``sector`` (and ``cluster``,
        ``instrument``, ``payer``, ``chain``); every variable has ``units`` and ``long_name``.
    """
    sc = resolve(scenario, seed=seed, overrides=overrides)
    n = int(replicates if replicates is not None else sc.replicates)
    if n < 1:
        raise ValueError("replicates must be at least 1")
    arrays = simulate_arrays(sc, n, workers=workers, batch_size=batch_size)
    return to_dataset(sc, arrays)


def firm_panel(
    scenario: Scenario | str | os.PathLike[str],
    replicate: int = 0,
    seed: int | None = None,
    overrides: Mapping[str, object] | None = None,
) -> xr.Dataset:
    """The firm x year panel of one replicate (identical to that replicate in ``run``).

    A firm is a slot: when a firm exits and another enters the slot later, ``alive`` shows
    the gap and the entrant is the slot's next occupant.
    """
    sc = resolve(scenario, seed=seed, overrides=overrides)
    model = RegionModel(sc, [replicate], record_firms=True)
    model.run_years()
    rec, lay = model.recorder, model.engine.full_layout  # the panel's slots are the full layout's
    sectors = np.array([s.id for s in sc.region.sector])
    clusters = np.array(lay.cluster_ids)
    coords = {
        "firm": ("firm", np.arange(lay.n_slots), {"long_name": "firm slot id"}),
        "year": ("year", np.asarray(rec.years), {"units": "year", "long_name": "calendar year"}),
        "sector": ("firm", sectors[lay.sector_of], {"long_name": "sector"}),
        "cluster": ("firm", clusters[lay.cluster_of], {"long_name": "cluster"}),
        "soe": ("firm", lay.soe, {"long_name": "state-owned enterprise"}),
    }
    data_vars = {}
    for name, (units, long_name) in FIRM_VARIABLES.items():
        arr = np.stack(rec.firms[name], axis=1)  # (firm, year)
        if name == "revenue":
            arr = arr.astype(float)
        data_vars[name] = (("firm", "year"), arr, {"units": units, "long_name": long_name})
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs = {
        "title": f"Firm panel, replicate {replicate}, scenario {sc.name}",
        "scenario_name": sc.name,
        "scenario": scenario_text(sc),
        "code_version": code_version(),
        "seed": int(sc.seed),
        "replicate": int(replicate),
    }
    return ds
