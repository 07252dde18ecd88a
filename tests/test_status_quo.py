"""The status quo: every instrument as before the plan, in the spin-up and in the twin.

The plan's additionality, deadweight and attribution are measured against what existed before
it (issue 17, item 3): national and provincial first-set insurance, the 2024 renewal-loan
programme, the tax preferences. These tests check the settings, that the spin-up runs them
(and hands what firms were paid and are owed to the simulated years), that the twin is the
status quo, and that the views and Shapley values default to that comparison and say so.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import model
from model.analysis.views import comparison, counterfactual_point
from model.config.errors import ScenarioError
from model.config.scenario import load_scenario, resolve
from model.simulation.batch import simulate_points_batch
from model.simulation.model import RegionModel, spinup_key, spinup_policy, status_quo
from model.testing import PLAN, SCENARIOS, small_overrides

SPIN = {"market.firm_scale": 0.01, "spinup.years": 3}


def _spun_up(**extra: object) -> RegionModel:
    m = RegionModel(resolve(PLAN, overrides={**SPIN, **extra}), [0, 1])
    m.spin_up()
    return m


# ------------------------------------------------------------------------------ settings


def test_status_quo_settings_go_on_top_of_the_instruments_tables() -> None:
    plan = load_scenario(PLAN)
    before = plan.status_quo_instruments()
    # The plan's measures are not in it: no R&D bonus, no SOE single-source procurement.
    assert plan.instruments.rd_bonus.enabled and not before.rd_bonus.enabled
    assert plan.instruments.first_set.soe_single_source
    assert not before.first_set.soe_single_source
    # What existed is: the insurance, with the plan's own premium terms.
    assert before.first_set.enabled
    assert before.first_set.premium_rate == plan.instruments.first_set.premium_rate
    # The 2024 renewal programme as announced before the plan: loans in 2024 only.
    assert before.renewal_loans.pool_bn_yuan.at(2024) > 0
    assert before.renewal_loans.pool_bn_yuan.at(2023) == 0.0
    assert before.renewal_loans.pool_bn_yuan.at(2025) == 0.0
    assert plan.instruments.renewal_loans.pool_bn_yuan.at(2025) > 0
    # Every setting keeps a source, and the table's own sources stay.
    assert "soe_single_source" in before.first_set.source
    assert (
        before.first_set.source["premium_rate"] == plan.instruments.first_set.source["premium_rate"]
    )
    assert all(getattr(before, n).as_before_plan for n in ("rd_bonus", "first_set"))


def test_as_before_plan_runs_the_status_quos_table() -> None:
    sq = load_scenario(SCENARIOS / "status_quo.toml")
    assert sq.instruments == load_scenario(PLAN).status_quo_instruments()
    # One instrument as before the plan, the others as planned.
    mixed = resolve(PLAN, overrides={"instruments.first_set.as_before_plan": True})
    assert not mixed.instruments.first_set.soe_single_source
    assert mixed.instruments.rd_bonus.enabled
    # Applying the status quo twice changes nothing.
    again = resolve(mixed, overrides={"instruments.first_set.premium_to_risk": 0.5})
    assert again.instruments.first_set == mixed.instruments.first_set


def test_an_instrument_the_status_quo_does_not_name_was_off() -> None:
    settings = type(load_scenario(PLAN).status_quo.rd_bonus)()
    assert settings.enabled is False
    assert settings.reward_rate is None  # as the instrument's own table


def _scenario_with(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sq.toml"
    plan = (SCENARIOS / "plan.toml").resolve()
    path.write_text(f'extends = "{plan}"\nname = "sq"\n{text}', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (
            "[status_quo.first_set]\npremium_rat = 0.1\n",
            "status_quo.first_set.premium_rat",
            "unknown key",
        ),
        (
            "[status_quo.first_set]\npremium_rate = 2.0\n",
            "status_quo.first_set.premium_rate",
            "out of range",
        ),
        ("[status_quo.first_sets]\nenabled = true\n", "status_quo.first_sets", "unknown key"),
        ('[status_quo.rd_bonus]\nbase = "both"\n', "status_quo.rd_bonus.base", "expected one of"),
    ],
)
def test_bad_status_quo_settings_name_file_and_key(tmp_path, text, key, message) -> None:
    path = _scenario_with(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.key == key
    assert str(path) in err.value.file
    assert message in str(err.value)


# ------------------------------------------------------------------------------- spin-up


def test_the_spin_up_runs_the_status_quos_first_set_insurance() -> None:
    # After the spin-up, the last spin-up year's payments are still on the firms.
    # (at a risk premium at which some buyers of over 10 m yuan take unproven first sets in
    # this small run's last spin-up year, so that the application reward is paid)
    premium = {"innovation.unproven_risk_premium": 0.2}
    with_insurance = _spun_up(**premium)
    paid = with_insurance.engine.state.subsidy_received
    mt = with_insurance.layout.machine_tool_block
    # Makers' insurance claims, and buyers' application rewards (in force in 2023 too).
    assert paid[:, mt].sum() > 0 and paid.sum() > paid[:, mt].sum()
    without = _spun_up(**premium, **{"status_quo.first_set.enabled": False})
    assert without.engine.state.subsidy_received.sum() == 0.0
    # The insurance lowered buyers' risk on first sets, so the economies differ.
    assert not np.array_equal(with_insurance.engine.state.revenue, without.engine.state.revenue)


def test_the_spin_up_holds_the_status_quo_at_the_base_years_settings() -> None:
    plan = load_scenario(PLAN)
    spin = spinup_policy(plan).instruments
    # The R&D bonus (not before the plan) and the 2024 loans (none in 2023) do not run.
    assert not spin.rd_bonus.enabled and not spin.renewal_loans.enabled
    assert spin.first_set.enabled
    # Loans in the base year would: their commitments then continue into the plan's years.
    loans = {
        "status_quo.renewal_loans.pool_bn_yuan": 5.0,
        "status_quo.renewal_loans.subsidy_pp": 0.015,
    }
    assert spinup_policy(resolve(plan, overrides=loans)).instruments.renewal_loans.enabled
    # (the plan commits nothing new in its first year, so what it pays is what was owed)
    m = _spun_up(**loans, **{"instruments.renewal_loans.pool_bn_yuan": 0.0})
    owed = m.policy.renewal_loans.schedule
    assert owed is not None and owed.sum() > 0
    # The next year pays what is owed to the firms still alive.
    due = (owed[:, :, 0] * m.engine.state.alive).sum(axis=1)
    m.step()
    assert m.policy.renewal_loans.ledger["subsidy_paid"][0] == pytest.approx(due, rel=1e-12)


def test_spinups_differ_only_by_what_the_status_quo_runs() -> None:
    plan = load_scenario(PLAN)
    key = spinup_key(plan)
    for name in ("no_policy.toml", "status_quo.toml", "plan_without_rd_bonus.toml"):
        assert spinup_key(load_scenario(SCENARIOS / name)) == key, name
    # The plan's own levers leave the spin-up alone ...
    for path, value in (
        ("instruments.rd_bonus.reward_rate", 0.5),
        ("instruments.first_set.single_source_saving", 0.2),
        ("instruments.first_set.budget_bn_yuan.central", 3.0),
        ("instruments.renewal_loans.pool_bn_yuan", 2.0),
    ):
        assert spinup_key(resolve(plan, overrides={path: value})) == key, path
    # ... what the status quo's insurance reads does not.
    for path, value in (
        ("instruments.first_set.premium_to_risk", 0.9),
        ("status_quo.first_set.enabled", False),
    ):
        assert spinup_key(resolve(plan, overrides={path: value})) != key, path


# --------------------------------------------------------------------------------- twins


@pytest.fixture(scope="module")
def runs() -> dict[str, dict[str, np.ndarray]]:
    names = ("plan.toml", "status_quo.toml")
    scenarios = [resolve(SCENARIOS / n, overrides=small_overrides()) for n in names]
    return dict(zip(names, simulate_points_batch(scenarios, [0, 1]), strict=True))


def test_the_status_quo_is_all_deadweight_against_itself(runs) -> None:
    sq = runs["status_quo.toml"]
    committed = sq["subsidy_committed"].sum(axis=1)
    assert committed.sum() > 0
    np.testing.assert_allclose(sq["deadweight"].sum(axis=1), committed, rtol=1e-12, atol=1e-15)
    # Against no policy, part of it paid for behaviour the status quo caused.
    assert (sq["deadweight_vs_no_policy"].sum(axis=1) <= committed + 1e-12).all()


def test_the_plans_deadweight_is_measured_against_both_twins(runs) -> None:
    plan = runs["plan.toml"]
    for name in ("deadweight", "deadweight_vs_no_policy"):
        dw = plan[name].sum(axis=1)
        assert (dw >= 0).all() and (dw <= plan["subsidy_committed"].sum(axis=1) + 1e-12).all()
    # The twins differ (first-set insurance runs in one of them), so the measures do.
    assert not np.array_equal(plan["deadweight"], plan["deadweight_vs_no_policy"])


def test_status_quo_scenario_name_says_what_it_is() -> None:
    assert status_quo(load_scenario(PLAN)).name == "plan (status quo)"


# --------------------------------------------------------------------------------- views

INSTRUMENTS = ("rd_bonus", "first_set", "renewal_loans")


def _switch_game(values) -> xr.Dataset:
    """A sweep over the as_before_plan switches whose output is v(set of planned instruments)."""
    dims = tuple(f"{i}_as_before_plan" for i in INSTRUMENTS)
    data = np.zeros((2, 2, 2, 3))
    for before in itertools.product((True, False), repeat=3):
        planned = frozenset(i for i, b in zip(INSTRUMENTS, before, strict=True) if not b)
        data[tuple(int(b) for b in before)] = values(planned)
    coords = {
        d: (d, [False, True], {"path": f"instruments.{i}.as_before_plan"})
        for d, i in zip(dims, INSTRUMENTS, strict=True)
    }
    ds = xr.Dataset({"v": ((*dims, "replicate"), data, {"units": "u"})}, coords=coords)
    ds.attrs["sweep_dims"] = " ".join(dims)
    return ds


def test_shapley_against_the_status_quo_credits_the_plans_version() -> None:
    # v: 2 for the plan's R&D bonus, 1 for its first-set measures, 0 for the renewal loans.
    ds = _switch_game(lambda s: np.full(3, 2.0 * ("rd_bonus" in s) + ("first_set" in s)))
    sh = model.shapley(ds, outputs=ds[["v"]])
    phi = sh["phi"].sel(output="v")
    np.testing.assert_allclose(phi.sel(instrument="rd_bonus"), 2.0)
    np.testing.assert_allclose(phi.sel(instrument="first_set"), 1.0)
    np.testing.assert_allclose(phi.sel(instrument="renewal_loans"), 0.0)
    np.testing.assert_allclose(sh["effect"].sel(output="v"), 3.0)
    assert "status quo" in sh.attrs["comparison"]


def test_the_default_counterfactual_is_the_status_quo() -> None:
    ds = _switch_game(lambda s: np.full(3, float(len(s))))
    where = counterfactual_point(ds)
    assert where == {f"{i}_as_before_plan": True for i in INSTRUMENTS}
    assert comparison(ds, where) == "status_quo"
    diff = model.differences(ds, variables=["v"])
    assert "status quo" in diff.attrs["comparison"]
    # Every instrument as planned is the whole plan: 3 above the status quo.
    plan_point = {f"{i}_as_before_plan": False for i in INSTRUMENTS}
    np.testing.assert_allclose(diff["v"].sel(plan_point), 3.0)


def test_a_scenario_sweep_compares_with_the_status_quo_scenario_first() -> None:
    ds = xr.Dataset(
        {"v": (("scenario", "replicate"), np.arange(6.0).reshape(3, 2))},
        coords={"scenario": ["plan", "status_quo", "no_policy"]},
    )
    ds.attrs["sweep_dims"] = "scenario"
    assert counterfactual_point(ds) == {"scenario": "status_quo"}
    assert comparison(ds, {"scenario": "no_policy"}) == "no_policy"
    assert comparison(ds, {"scenario": "plan"}) == "other"
    without = ds.sel(scenario=["plan", "no_policy"])
    assert counterfactual_point(without) == {"scenario": "no_policy"}


def test_deadweight_view_says_which_twin(runs) -> None:
    with pytest.raises(ScenarioError, match="status_quo, no_policy"):
        model.deadweight_leakage(xr.Dataset(), "nothing")


def test_points_share_a_status_quo_twin_unless_it_reads_what_differs() -> None:
    from model.simulation.batch import twins_of

    plan = load_scenario(PLAN)
    key = twins_of(plan)["status_quo"][1]
    # The status quo runs no R&D bonus and closes the SOE route: their levers do not matter.
    for path, value in (
        ("instruments.rd_bonus.reward_rate", 0.4),
        ("instruments.first_set.single_source_saving", 0.2),
        ("instruments.renewal_loans.pool_bn_yuan", 3.0),
    ):
        assert twins_of(resolve(plan, overrides={path: value}))["status_quo"][1] == key, path
    # What its insurance and 2024 loans read does.
    for path, value in (
        ("instruments.first_set.premium_to_risk", 0.9),
        ("instruments.renewal_loans.listed_project_share", 0.8),
    ):
        assert twins_of(resolve(plan, overrides={path: value}))["status_quo"][1] != key, path
