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


def test_points_sharing_a_counterfactual_equal_separate_runs() -> None:
    # Policy levers that a switched-off instrument ignores (so the points share one no-policy
    # twin), and ones it reads (eligible age, first-set insured years: separate twins).
    levers = (
        {},
        {"instruments.renewal_loans.subsidy_pp": 0.02, "instruments.rd_bonus.reward_rate": 0.2},
        {"instruments.renewal_loans.eligible_age_years": 6},
        {"instruments.first_set.national_years": 2},
    )
    points = [
        resolve("scenarios/plan.toml", overrides=small_overrides(**lever)) for lever in levers
    ]
    together = simulate_points_batch(points, [0, 1])
    for sc, arrays in zip(points, together, strict=True):
        alone = _simulate_batch(sc, [0, 1])
        for key, value in alone.items():
            assert np.array_equal(value, arrays[key], equal_nan=True), f"{key} differs"
    # The deadweight measure is not trivially zero, so sharing the twin is tested.
    assert any(float(np.abs(a["deadweight"]).sum()) > 0 for a in together)
