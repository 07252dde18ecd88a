"""Scenarios that differ only after the base year share one spin-up, with identical results."""

import numpy as np
import pytest

from model._model import spinup_key
from model._run import _simulate_batch, resolve, simulate_points_batch
from model.testing import small_overrides

SCENARIOS = ("plan", "plan_outside_high", "no_policy", "renewal_only")


@pytest.fixture(scope="module")
def scenarios():
    return [resolve(f"scenarios/{name}.toml", overrides=small_overrides()) for name in SCENARIOS]


def test_keys_equal_for_post_base_differences(scenarios) -> None:
    first = spinup_key(scenarios[0])
    assert all(spinup_key(sc) == first for sc in scenarios[1:])


def test_keys_differ_for_behaviour() -> None:
    a = resolve("scenarios/plan.toml", overrides=small_overrides())
    b = resolve(
        "scenarios/plan.toml", overrides=small_overrides(**{"investment.payback_years": 2.0})
    )
    assert spinup_key(a) != spinup_key(b)


def test_fork_refuses_a_different_spinup() -> None:
    from model._model import RegionModel

    a = resolve("scenarios/plan.toml", overrides=small_overrides(**{"spinup.years": 1}))
    b = resolve(
        "scenarios/plan.toml",
        overrides=small_overrides(**{"spinup.years": 1, "rd.bunching_window": 0.01}),
    )
    m = RegionModel(a, [0])
    m.spin_up()
    with pytest.raises(ValueError, match="spin-up"):
        m.fork(b)


def test_shared_spinup_equals_separate_runs(scenarios) -> None:
    together = simulate_points_batch(scenarios, [0, 1])
    for sc, arrays in zip(scenarios, together, strict=True):
        alone = _simulate_batch(sc, [0, 1])
        for key, value in alone.items():
            assert np.array_equal(value, arrays[key], equal_nan=True), f"{sc.name}: {key} differs"
