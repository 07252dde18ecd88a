"""Results depend on the scenario and the seed only: not on batching, workers or other processes.

Random numbers come from streams keyed by (seed, replicate, year, process)
(model.economy.streams.Draws),
so a replicate's numbers do not depend on the batch it runs in or the worker running it, and
a process's numbers do not depend on parameters that act only through other processes.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import model
from model.testing import PLAN, assert_identical_runs, small_overrides, small_run

REPLICATES = 3


@pytest.fixture(scope="module")
def reference() -> xr.Dataset:
    return small_run(PLAN, replicates=REPLICATES, batch_size=4)


def test_same_seed_is_bit_identical(reference: xr.Dataset) -> None:
    # A fresh run (not the cached one) of the same scenario and seed.
    again = model.run(PLAN, replicates=REPLICATES, overrides=small_overrides(), batch_size=4)
    assert_identical_runs(again, reference)


def test_assert_identical_runs_can_fail(reference: xr.Dataset) -> None:
    changed = reference.copy(deep=True)
    changed["output"][0, 0, 0] = np.nextafter(changed["output"][0, 0, 0].item(), np.inf)
    with pytest.raises(AssertionError, match="output"):
        assert_identical_runs(changed, reference)
    signed = reference.copy(deep=True)
    zero = signed["loans_written_off"].values == 0.0
    assert zero.any()
    signed["loans_written_off"].values[zero] = -0.0
    with pytest.raises(AssertionError, match="loans_written_off"):
        assert_identical_runs(signed, reference)


def test_different_seed_differs(reference: xr.Dataset) -> None:
    other = small_run(PLAN, replicates=REPLICATES, seed=int(reference.attrs["seed"]) + 1)
    assert other.attrs["seed"] != reference.attrs["seed"]
    diff = abs(other["output"] - reference["output"])
    assert bool((diff > 0).any()), "a different seed gave the same output"
    assert not np.array_equal(other["demand_shock"].values, reference["demand_shock"].values)


def test_replicates_differ(reference: xr.Dataset) -> None:
    out = reference["output"].values
    for r in range(1, REPLICATES):
        assert not np.array_equal(out[0], out[r]), f"replicate {r} repeats replicate 0"


@pytest.fixture(scope="module")
def one_per_batch() -> xr.Dataset:
    return small_run(PLAN, replicates=REPLICATES, batch_size=1)


def test_batch_size_does_not_matter(reference: xr.Dataset, one_per_batch: xr.Dataset) -> None:
    assert_identical_runs(one_per_batch, reference)


def test_batch_size_changes_nothing_beyond_rounding(
    reference: xr.Dataset, one_per_batch: xr.Dataset
) -> None:
    """Whatever the last bits do, batching must not mix replicates up or change decisions."""
    for name, var in reference.data_vars.items():
        np.testing.assert_allclose(
            one_per_batch[name].values,
            var.values,
            rtol=1e-9,
            atol=0.0,
            equal_nan=True,
            err_msg=name,
        )
    two = small_run(PLAN, replicates=REPLICATES, batch_size=2)  # uneven batches: 2 + 1
    for name, var in reference.data_vars.items():
        np.testing.assert_allclose(
            two[name].values, var.values, rtol=1e-9, atol=0.0, equal_nan=True, err_msg=name
        )


def test_a_replicate_does_not_depend_on_the_others(one_per_batch: xr.Dataset) -> None:
    first = small_run(PLAN, replicates=1)
    assert_identical_runs(first, one_per_batch.isel(replicate=[0]).assign_attrs(replicates=1))


def test_workers_do_not_matter(one_per_batch: xr.Dataset) -> None:
    # Three one-replicate batches on two spawn processes vs the same batches in this process.
    pooled = model.run(
        PLAN, replicates=REPLICATES, workers=2, overrides=small_overrides(), batch_size=1
    )
    assert_identical_runs(pooled, one_per_batch)


def test_firm_panel_matches_the_run(reference: xr.Dataset) -> None:
    panel = model.firm_panel(PLAN, replicate=0, overrides=small_overrides())
    assert panel.attrs["seed"] == reference.attrs["seed"]
    revenue = panel["revenue"].groupby("sector").sum()  # m yuan
    output = reference["output"].isel(replicate=0) * 1000.0  # bn yuan -> m yuan
    revenue = revenue.sel(sector=output["sector"].values)
    np.testing.assert_allclose(
        revenue.transpose("year", "sector").values,
        output.transpose("year", "sector").values,
        rtol=1e-12,
    )


def test_firm_panel_of_another_replicate_matches_the_run(reference: xr.Dataset) -> None:
    panel = model.firm_panel(PLAN, replicate=2, overrides=small_overrides())
    revenue = panel["revenue"].groupby("sector").sum().sel(sector=reference["sector"].values)
    output = reference["output"].isel(replicate=2) * 1000.0
    np.testing.assert_allclose(
        revenue.transpose("year", "sector").values,
        output.transpose("year", "sector").values,
        rtol=1e-12,
    )


@pytest.mark.parametrize(
    ("key", "factor"),
    [
        ("innovation.zeta_innovation", 2.0),
        # Demand shocks are drawn before the elasticity applies: same draws.
        ("demand.price_elasticity", 1.5),
    ],
)
def test_untouched_process_draws_identically(
    reference: xr.Dataset, key: str, factor: float
) -> None:
    section, name = key.split(".")
    base = getattr(getattr(model.load_scenario(PLAN), section), name)
    changed = small_run(PLAN, replicates=REPLICATES, **{key: base * factor})
    np.testing.assert_array_equal(
        changed["demand_shock"].values,
        reference["demand_shock"].values,
        err_msg="demand draws changed",
    )
    assert not np.array_equal(changed["output"].values, reference["output"].values), (
        f"changing {key} did not change output"
    )
