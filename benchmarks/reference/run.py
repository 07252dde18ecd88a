"""Running the reference model's replicates into a labelled dataset like the fast model's."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import xarray as xr

from benchmarks.reference.model import (
    INSTRUMENT_VARIABLES,
    RULESET,
    SCALAR_VARIABLES,
    SECTOR_VARIABLES,
    SEGMENT_VARIABLES,
    ReferenceModel,
)

INSTRUMENTS = ("rd_bonus", "first_set", "renewal_loans", "first_set_award")


def _scenario(scenario, seed: int | None, overrides: Mapping[str, object] | None):
    """A scenario object from a path or object, with overrides and seed (as ``model.run``)."""
    from model.config.scenario import resolve

    return resolve(scenario, seed=seed, overrides=overrides)


def simulate_replicate(scenario, replicate: int) -> dict[str, np.ndarray]:
    """Spin up and run one replicate; its DataCollector's model variables as arrays."""
    model = ReferenceModel(scenario, replicate)
    model.run()
    return {
        name: np.asarray(values, dtype=float)
        for name, values in model.datacollector.model_vars.items()
    }


def run_reference(
    scenario,
    replicates: int = 1,
    seed: int | None = None,
    workers: int = 1,
    overrides: Mapping[str, object] | None = None,
) -> xr.Dataset:
    """Run replicates 0..n-1 of the reference model (each its own process when workers > 1).

    Returns:
        Dataset with the DataCollector's variables by ``replicate``, ``year`` and
        ``sector`` (or ``segment``, or ``instrument``), in the fast model's units and names.
    """
    sc = _scenario(scenario, seed, overrides)
    reps = list(range(int(replicates)))
    if workers <= 1 or len(reps) == 1:
        parts = [simulate_replicate(sc, r) for r in reps]
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            parts = list(pool.map(simulate_replicate, [sc] * len(reps), reps))
    years = parts[0]["year"].astype(int)
    sectors = [s.id for s in sc.region.sector]
    data = {}
    for name in SECTOR_VARIABLES:
        data[name] = (("replicate", "year", "sector"), np.stack([p[name] for p in parts]))
    for name in SEGMENT_VARIABLES:
        data[name] = (("replicate", "year", "segment"), np.stack([p[name] for p in parts]))
    for name in INSTRUMENT_VARIABLES:
        data[name] = (("replicate", "year", "instrument"), np.stack([p[name] for p in parts]))
    for name in SCALAR_VARIABLES[1:]:
        data[name] = (("replicate", "year"), np.stack([p[name] for p in parts]))
    ds = xr.Dataset(
        data,
        coords={
            "replicate": np.arange(len(reps)),
            "year": years,
            "sector": sectors,
            "segment": list(sc.region.machine_tools.segments),
            "instrument": list(INSTRUMENTS),
        },
    )
    ds.attrs = {
        "implementation": "reference (benchmarks.reference, one mesa.Agent per firm)",
        "ruleset": RULESET,
        "scenario_name": sc.name,
        "seed": int(sc.seed),
        "pid": os.getpid(),
    }
    return ds
