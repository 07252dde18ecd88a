"""The idiomatic-Mesa reference implementation (benchmarks/reference) and its faithfulness.

The slow tests run the plan scenario at about 10,000 firms in both implementations and
compare 14 quantities in 3 years (42 comparisons fixed in advance, see
``benchmarks.reference.faithfulness``): each must agree within 3 Monte Carlo standard
errors, with at most 2 chance failures tolerated (0.11 expected). The negative control runs
the reference with the payback period b = 1.5 instead of 3 and must fail the same
comparison. The quick tests check that every rule agrees with the fast model's from the
same state and draws (``benchmarks.reference.transplant``), and that a tiny reference run
works and keeps its accounts.

Speed is measured by ``benchmarks/run.py``, never here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `benchmarks` is a folder of the repository, not installed
    sys.path.insert(0, str(ROOT))

from benchmarks.reference import RULESET, FirmAgent, ReferenceModel, run_reference  # noqa: E402
from benchmarks.reference import faithfulness as fa  # noqa: E402
from model.testing import PLAN, roll_forward  # noqa: E402

# ------------------------------------------------------------------------- quick


@pytest.mark.parametrize("spin_up", [False, True], ids=["scenario_year", "spinup_year"])
def test_every_rule_agrees_with_the_fast_model(spin_up: bool) -> None:
    # Rule by rule from the same state and the fast model's own draws (see the module
    # benchmarks.reference.transplant): a change to either implementation's rules shows here.
    from benchmarks.reference.transplant import check

    assert check(spin_up=spin_up)


def test_imitation_by_size_agrees_with_the_fast_model() -> None:
    # The shipped gamma is 0, where the rule's size branch is skipped: checked at 0.4 too.
    from benchmarks.reference.transplant import check

    assert check(extra={"innovation.imitation_size_elasticity": 0.4})


def test_a_bonus_year_without_a_budget_agrees_with_the_fast_model() -> None:
    # No bunching and no expected bonus when the R&D bonus has no budget (both rules).
    from benchmarks.reference.transplant import check

    assert check(extra={"instruments.rd_bonus.budget_bn_yuan": 0.0})


def test_capped_entry_agrees_with_the_fast_model() -> None:
    # One spare slot per cluster: entrants beyond a cluster's free slots are lost, the same
    # ones in both implementations (the check compares the count by sector).
    from benchmarks.reference.transplant import check

    assert check(extra={"market.slot_headroom": 0.0})


#: About 500 firms, a 3-year spin-up and 3 scenario years.
TINY = {"market.firm_scale": 0.009, "spinup.years": 3, "end_year": 2026}


@pytest.fixture(scope="module")
def tiny_run() -> xr.Dataset:
    return run_reference(PLAN, replicates=2, overrides=TINY)


def test_ruleset_names_a_commit() -> None:
    assert "fast-model rules as of commit" in RULESET


def test_one_agent_per_firm_with_mesa_seeding() -> None:
    import model

    sc = model.load_scenario(PLAN, TINY)
    m = ReferenceModel(sc, replicate=0)
    firms = list(m.agents)
    assert 450 <= len(firms) <= 550
    assert all(isinstance(f, FirmAgent) for f in firms)
    assert len({f.slot.index for f in firms}) == len(firms), "two firms share a slot"
    again = ReferenceModel(sc, replicate=0)
    assert [f.revenue for f in again.agents] == [f.revenue for f in firms], "not reproducible"
    other = ReferenceModel(sc, replicate=1)
    assert [f.revenue for f in other.agents] != [f.revenue for f in firms]


def test_spinup_entrants_take_only_the_spinup_slots() -> None:
    # As the fast model's spin-up runs on each cluster's first slots (SlotLayout.open_prefix):
    # the rest open to entrants after the rebase.
    import model

    sc = model.load_scenario(PLAN, TINY)
    m = ReferenceModel(sc, replicate=0)
    first = set(m.agents)
    m.spin_up()
    assert set(m.agents) - first, "no entrant in the spin-up"
    assert all(f.slot.open_in_spinup for f in m.agents)
    closed = [s for s in m.layout.slots if not s.open_in_spinup]
    assert closed and all(s.firm is None for s in closed)


def test_datacollector_has_the_sector_variables() -> None:
    import model

    sc = model.load_scenario(PLAN, TINY)
    m = ReferenceModel(sc)
    m.run()
    frame = m.datacollector.get_model_vars_dataframe()
    assert len(frame) == 3
    for name in (
        "output",
        "rd_intensity",
        "mean_machine_age",
        "first_set_products_new",
        "investment_replacement",
        "machine_purchases",
        "n_firms",
        "cash",
        "debt",
    ):
        assert name in frame.columns, name
        assert len(frame[name].iloc[0]) == len(sc.region.sector)
    assert list(frame["year"]) == [2024, 2025, 2026]
    assert sum(frame["n_firms"].iloc[-1]) / (1 / 0.009) == pytest.approx(len(m.agents), rel=0.2)


def _close(a, b, rtol: float = 1e-9, what: str = "") -> None:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.maximum(np.abs(a), np.abs(b)).max()
    assert np.abs(a - b).max() <= rtol * max(scale, 1e-300), f"{what}: {a} vs {b}"


def test_accounts_hold(tiny_run: xr.Dataset) -> None:
    ds = tiny_run
    _close(ds["output"].sum("sector"), ds["output_total"], what="sectors add up to the total")
    _close(ds["rd_expenditure"].sum("sector"), ds["rd_expenditure_total"], what="R&D total")
    _close(ds["rd_intensity"], ds["rd_expenditure"] / ds["output"], what="R&D intensity")
    _close(
        ds["investment_replacement"] + ds["investment_expansion"],
        ds["investment"],
        what="investment split",
    )
    assert bool((ds["value_added"] <= ds["output"] + 1e-12).all()), "value added above output"
    for stock in ("cash", "debt", "n_firms"):
        actual, expected = roll_forward(ds, stock)
        _close(actual, expected, what=f"{stock} roll-forward")
    received = ds["subsidies_received"].sum("sector")
    # Re-lending is a lower interest rate on the loans, not a payment to the firm.
    paid = ds["subsidy_paid"].sum("instrument")
    assert float(paid.max()) > 0, "the plan paid no subsidy"
    _close(received, paid, what="subsidies received vs paid")


# -------------------------------------------------------------------------- slow


@pytest.fixture(scope="module")
def fast_run() -> xr.Dataset:
    return fa.run_fast()


@pytest.fixture(scope="module")
def ref_run() -> xr.Dataset:
    return fa.run_ref()


def _report(rows: list[fa.Comparison]) -> str:
    bad = [c for c in rows if not c.ok]
    return f"{len(bad)} of {len(rows)} outside 3 s.e.:\n" + fa.table(bad or rows)


@pytest.mark.slow
def test_reference_agrees_with_fast_model(fast_run: xr.Dataset, ref_run: xr.Dataset) -> None:
    rows = fa.compare(fast_run, ref_run)
    assert len(rows) == 42
    assert fast_run.sizes["replicate"] >= 50 and ref_run.sizes["replicate"] >= 50
    live = float(fast_run["n_firms"].sel(year=2024).sum("sector").mean()) * fa.FIRM_SCALE
    assert 9_000 < live < 12_000, f"{live:.0f} simulated firms, not about 10,000"
    failures = sum(not c.ok for c in rows)
    print(fa.table(rows))  # shown with `pytest -s` or `-rP`
    assert failures <= fa.MAX_FAILURES, _report(rows)


@pytest.mark.slow
def test_different_payback_period_is_detected(fast_run: xr.Dataset) -> None:
    """Negative control: the same comparison fails when one rule parameter differs."""
    neg = fa.run_ref(fa.NEGATIVE_REPLICATES, **fa.NEGATIVE_OVERRIDE)
    rows = fa.compare(fast_run, neg)
    failures = [c for c in rows if not c.ok]
    print(fa.table(rows))
    assert len(failures) > fa.MAX_FAILURES, _report(rows)
    # and it is the payback rule's quantities that fail
    assert {c.quantity for c in failures} & {
        "investment_replacement",
        "mean_machine_age",
        "in_region_machine_share",
    }
