"""Taxes as the texts write them: the machine-tool list, its deduction and VAT credit, payers.

Hand-built firms in a spun-up model at small scale: each rule at its thresholds, the
preferences' amounts from the accounting definitions, the period, and the tax-sharing split
of the tax expenditures in a run's dataset.
"""

from __future__ import annotations

import numpy as np
import pytest

import model
from model.config.scenario import resolve
from model.economy import rules
from model.simulation.model import RegionModel
from model.testing import PLAN, fork_in_year, spun_up

FIRM_SCALE = 0.2  # enough for a high-end maker (1% of ~900 machine-tool firms)
YEAR = 2025


@pytest.fixture(scope="module")
def base() -> RegionModel:
    return spun_up(FIRM_SCALE)


def _fork(base: RegionModel, year: int = YEAR) -> RegionModel:
    return fork_in_year(base, year)


def _maker(m: RegionModel, segment: str) -> int:
    """A machine-tool maker's slot of the segment."""
    lay = m.engine.layout
    g = list(m.engine.region.machine_tools.segments).index(segment)
    return int(np.flatnonzero(lay.make_segment == g)[0])


def _user(m: RegionModel, sector: str = "nev") -> int:
    s = [x.id for x in m.engine.region.sector].index(sector)
    return int(m.engine.layout.sector_start[s])


def _listed(m: RegionModel, slot: int, *, revenue: float, intensity: float) -> bool:
    """The status rule on one firm of ``revenue`` (m yuan per real firm) and R&D intensity."""
    st, w = m.engine.state, m.engine.firm_weight
    st.alive[:, slot] = True
    st.revenue[:, slot] = revenue * w
    st.rd_reported[:, slot] = intensity * revenue * w
    rules.update_status(m.engine)
    got = st.on_machine_tool_list[:, slot]
    assert got.all() or not got.any()
    return bool(got.all())


def _staff_share(m: RegionModel, intensity: float, sector: str = "machine_tools") -> float:
    """R&D staff / employees as the list rule counts them (its stated approximation)."""
    lst = m.engine.scenario.tax.machine_tool_list
    labour = next(s.labour_share for s in m.engine.region.sector if s.id == sector)
    staff = lst.rd_staff_cost_share / lst.rd_wage_premium * intensity
    return staff / (staff + labour)


@pytest.mark.parametrize(
    ("segment", "revenue", "intensity", "expected"),
    [
        ("mid_range", 30.0, 0.05, True),  # at every threshold
        ("mid_range", 29.9, 0.05, False),  # revenue under 30 m yuan
        ("mid_range", 100.0, 0.0499, False),  # R&D under 5% of sales
        ("high_end", 30.0, 0.08, True),
        ("economy", 500.0, 0.10, False),  # economy-type products are not advanced enough
    ],
)
def test_machine_tool_list_at_its_thresholds(base, segment, revenue, intensity, expected) -> None:
    m = _fork(base)
    assert _staff_share(m, 0.05) >= 0.15  # with the shipped figures the staff test is met
    assert _listed(m, _maker(m, segment), revenue=revenue, intensity=intensity) is expected


def test_the_staff_test_binds_when_r_and_d_is_mostly_not_staff(base) -> None:
    sc = resolve(
        PLAN,
        overrides={
            "market.firm_scale": FIRM_SCALE,
            "spinup.years": 2,
            "tax.machine_tool_list.rd_staff_cost_share": 0.2,
        },
    )
    m = RegionModel(sc, [0, 1])
    m.spin_up()
    m.engine.year = YEAR
    # 8% of sales in R&D: the intensity test is met, the staff share is not (~11% < 15%).
    assert _staff_share(m, 0.08) < 0.15 <= _staff_share(m, 0.15)
    assert not _listed(m, _maker(m, "mid_range"), revenue=100.0, intensity=0.08)
    assert _listed(m, _maker(m, "mid_range"), revenue=100.0, intensity=0.15)


def test_only_machine_tool_makers_are_listed(base) -> None:
    m = _fork(base)
    assert not _listed(m, _user(m), revenue=500.0, intensity=0.2)


def test_an_exit_takes_the_firm_off_the_list(base) -> None:
    m = _fork(base)
    st, w = m.engine.state, m.engine.firm_weight
    slot = _maker(m, "mid_range")
    assert _listed(m, slot, revenue=100.0, intensity=0.06)
    st.revenue[:, slot] = 1.0 * w  # below the above-scale threshold: it leaves
    before = m.engine.layout
    rules.demography(m.engine)
    slot = m.engine.layout.slot_position[before.slot_id[slot]]  # (entry may open slots)
    assert st.exits[:, slot].all()
    # An entrant may take the slot; it is not on the list before its own figures are known.
    assert not st.on_machine_tool_list[:, slot].any()


def _account(m: RegionModel, slot: int, listed: bool) -> dict[str, np.ndarray]:
    st = m.engine.state
    st.on_machine_tool_list[:] = False  # no other firm: the sector's flows are this firm's
    st.on_machine_tool_list[:, slot] = listed
    rules.account(m.engine)
    s = int(m.engine.layout.sector_of[slot])
    flows = st.sector_flows
    return {
        "cit": st.cit[:, slot].copy(),
        "profit": st.profit_before_tax[:, slot].copy(),
        "vat": flows["vat"][:, s].copy(),
        "credit": flows["tax_expenditure_vat_credit"][:, s].copy(),
        "listed_deduction": flows["tax_expenditure_listed_deduction"][:, s].copy(),
    }


def _intermediate(m: RegionModel, slot: int) -> np.ndarray:
    """Intermediate inputs of a firm by the accounts' definition (what input VAT is paid on)."""
    eng, st = m.engine, m.engine.state
    s = int(eng.layout.sector_of[slot])
    machine_cost = (
        st.k1[:, s]
        / (st.process_productivity[:, slot] * st.machine_productivity[:, slot])
        * st.output_real[:, slot]
    )
    wages = eng.par.labour_of_k1[s] * machine_cost
    return machine_cost - wages + st.k2[:, s] * st.output_real[:, slot]


def _profitable_maker(m: RegionModel) -> int:
    """A live mid-range maker, without debt, depreciation or high-tech status, reporting R&D of
    5% of revenue, whose profit before tax covers 220% of that R&D (so every deduction the
    list gives is used): the first such maker in slot order. Which makers qualify depends on
    the calibrated behaviour, so the test picks one rather than naming it."""
    st, lay = m.engine.state, m.engine.layout
    g = list(m.engine.region.machine_tools.segments).index("mid_range")
    for slot in np.flatnonzero(lay.make_segment == g):
        if not st.alive[:, slot].all():
            continue
        st.high_tech[:, slot] = False
        st.debt[:, slot] = 0.0
        st.depreciation[:, slot] = 0.0
        st.flow_writeoff[:, slot] = 0.0
        st.rd_real[:, slot] = 0.0
        st.rd_reported[:, slot] = 0.05 * st.revenue[:, slot]
        profit = _account(m, int(slot), listed=False)["profit"]
        if (profit - 2.2 * st.rd_reported[:, slot] > 0).all():
            return int(slot)
    pytest.fail("no live mid-range maker has taxable profit in every replicate")


def test_a_listed_firm_deducts_120_percent_and_credits_15_percent_of_input_vat(base) -> None:
    m = _fork(base)
    slot = _profitable_maker(m)
    off = _account(m, slot, listed=False)
    on = _account(m, slot, listed=True)
    tax, st = m.engine.scenario.tax, m.engine.state
    cit_rate, vat_rate = tax.corporate_income_tax.at(YEAR), tax.vat_rate.at(YEAR)
    rd = st.rd_reported[:, slot]
    assert (off["profit"] - 2.2 * rd > 0).all(), "the test needs a firm with taxable profit"
    # The credit: 15% of the VAT paid on the firm's intermediate inputs.
    credit = 0.15 * vat_rate * _intermediate(m, slot)
    # The extra 20% of R&D deducted saves 25% of it in CIT, and the credit, being profit, is
    # taxed: CIT falls by 25% x (0.2 x R&D - credit).
    np.testing.assert_allclose(off["cit"] - on["cit"], cit_rate * (0.2 * rd - credit), rtol=1e-9)
    np.testing.assert_allclose(on["listed_deduction"], cit_rate * 0.2 * rd, rtol=1e-9)
    np.testing.assert_allclose(on["credit"], credit, rtol=1e-9)
    np.testing.assert_allclose(off["vat"] - on["vat"], credit, rtol=1e-9)
    assert (off["credit"] == 0).all() and (off["listed_deduction"] == 0).all()
    # VAT credited is profit: profit before tax rises by the credit.
    np.testing.assert_allclose(on["profit"] - off["profit"], credit, rtol=1e-9)


def test_the_vat_credit_never_takes_vat_below_zero(base) -> None:
    m = _fork(base)
    st = m.engine.state
    slot = _profitable_maker(m)
    # Revenue just above the inputs: little value added, so little VAT owed.
    st.revenue[:, slot] = _intermediate(m, slot) * 1.001
    on = _account(m, slot, listed=True)
    off = _account(m, slot, listed=False)
    firm_vat = m.engine.scenario.tax.vat_rate.at(YEAR) * 0.001 * _intermediate(m, slot)
    # The credit is all of the VAT the firm owes, less than 15% of its input VAT.
    np.testing.assert_allclose(on["credit"], firm_vat, rtol=1e-6)
    assert (on["credit"] < 0.15 * 0.13 * _intermediate(m, slot)).all()
    np.testing.assert_allclose(off["vat"] - on["vat"], firm_vat, rtol=1e-6)


def test_after_2027_a_listed_firm_has_the_general_treatment(base) -> None:
    m = _fork(base, year=2028)
    slot = _profitable_maker(m)
    off = _account(m, slot, listed=False)
    on = _account(m, slot, listed=True)
    np.testing.assert_array_equal(on["cit"], off["cit"])
    np.testing.assert_array_equal(on["vat"], off["vat"])
    assert (on["credit"] == 0).all()


def test_a_listed_firm_does_more_r_and_d(base) -> None:
    m = _fork(base)
    st = m.engine.state
    a, b = np.flatnonzero(m.engine.layout.make_segment == 1)[:2]
    for slot in (a, b):
        st.alive[:, slot] = True
        st.high_tech[:, slot] = False
    for name in ("revenue", "rd_intensity_fe", "rd_user_cost_base"):
        arr = getattr(st, name)
        arr[:, b] = arr[:, a]
    st.on_machine_tool_list[:, a] = True
    st.on_machine_tool_list[:, b] = False
    rules.research(m.engine)
    cit = m.engine.scenario.tax.corporate_income_tax.at(YEAR)
    elasticity = m.engine.scenario.rd.user_cost_elasticity_real
    # Semi-elastic response: exp(-e x (u / u0 - 1)), the list lowering u by 25% x 0.2.
    base = st.rd_user_cost_base[:, a].astype(float)
    ratio = np.exp(elasticity * cit * 0.2 / base)
    np.testing.assert_allclose(st.rd_real[:, a] / st.rd_real[:, b], ratio, rtol=1e-9)


def test_r_and_d_responds_with_the_estimated_elasticity_and_stays_finite(base) -> None:
    """At the margin the response has the sourced elasticity; a reward that makes R&D free
    raises it by exp(elasticity), and a larger one no further (the user cost stops at zero: a
    segment's expected first-set award per yuan of R&D can exceed the cost)."""
    from model.economy.rules.research import ResearchFirms, ResearchParams, research_firms
    from model.economy.state import bundle

    m = _fork(base)
    st, sc = m.engine.state, m.engine.scenario
    slot = _user(m)
    st.alive[:, slot] = True
    st.high_tech[:, slot] = False
    st.on_machine_tool_list[:, slot] = False
    cit = sc.tax.corporate_income_tax.at(YEAR)
    u0 = 1.0 - cit * 2.0
    st.rd_user_cost_base[:, slot] = u0
    eta, eta_rep = sc.rd.user_cost_elasticity_real, sc.rd.user_cost_elasticity_reported

    def rd_after(bonus: float) -> tuple[float, float]:
        st.rd_real[:, slot] = 0.0
        params = ResearchParams(
            expected_reward_rate=np.full((m.engine.R, 1), bonus),
            cit_rate=cit,
            high_tech_rate=sc.tax.high_tech_rate.at(YEAR),
            super_deduction=1.0,
            listed_super_deduction=1.2,
            elasticity_real=eta,
            elasticity_reported=eta_rep,
        )
        research_firms(bundle(ResearchFirms, st), params)
        return float(st.rd_real[0, slot]), float(st.rd_reported[0, slot])

    real0, reported0 = rd_after(0.0)
    small = 1e-4
    real1, _ = rd_after(small)
    elasticity = -np.log(real1 / real0) / np.log((u0 - small) / u0)
    assert elasticity == pytest.approx(eta, rel=1e-3)
    free, free_reported = rd_after(u0)  # the reward covers the whole after-tax cost
    assert free / real0 == pytest.approx(np.exp(eta), rel=1e-9)
    assert free_reported / free == pytest.approx(np.exp(eta_rep - eta), rel=1e-9)
    # Beyond the cost, R&D is what free R&D brings, however large the reward.
    assert rd_after(0.9) == (free, free_reported)
    assert rd_after(50.0) == (free, free_reported)


# ------------------------------------------------------------------- who pays


@pytest.fixture(scope="module")
def run():
    return model.run(PLAN, replicates=2, overrides={"market.firm_scale": 0.05, "spinup.years": 10})


def test_tax_expenditures_are_shared_by_the_tax_sharing_rules(run) -> None:
    ds = run
    cit = (ds["tax_expenditure_super_deduction"] + ds["tax_expenditure_high_tech"]).sum("sector")
    vat = ds["tax_expenditure_vat_credit"].sum("sector")
    assert float(vat.sum()) > 0, "no VAT credit in the run: the test would prove nothing"
    by_payer = ds["tax_expenditure_by_payer"]
    np.testing.assert_allclose(by_payer.sum("payer"), cit + vat, rtol=1e-12)
    np.testing.assert_allclose(by_payer.sel(payer="central"), 0.6 * cit + 0.5 * vat, rtol=1e-12)
    # The local 40% of CIT and 50% of VAT: a fifth to the province, the rest to counties.
    np.testing.assert_allclose(
        by_payer.sel(payer="provincial"), 0.2 * (0.4 * cit + 0.5 * vat), rtol=1e-12
    )
    np.testing.assert_allclose(
        by_payer.sel(payer="county"), 0.8 * (0.4 * cit + 0.5 * vat), rtol=1e-12
    )


def test_public_cost_is_subsidies_tax_expenditures_and_relending(run) -> None:
    ds = run
    subsidies = ds["subsidy_by_payer"].sum("instrument")
    expected = subsidies + ds["tax_expenditure_by_payer"]
    expected.loc[{"payer": "central"}] = expected.sel(payer="central") + ds["relending_cost"]
    np.testing.assert_allclose(ds["public_cost"], expected.transpose(*ds["public_cost"].dims))
    # Counties bear part of the tax expenditures, not only the R&D bonus they pay.
    assert (
        float((ds["public_cost"].sel(payer="county") > subsidies.sel(payer="county")).mean()) == 1
    )


def test_the_list_is_counted_and_ends_with_its_period(run) -> None:
    ds = run
    mt = "machine_tools"
    listed = ds["n_machine_tool_listed"].sel(sector=mt)
    assert float(listed.sum()) > 0
    assert float(listed.sum()) < float(ds["n_firms"].sel(sector=mt).sum())
    assert (ds["n_machine_tool_listed"].drop_sel(sector=mt) == 0).all()
    after = ds["tax_expenditure_vat_credit"].sel(year=slice(2028, None))
    assert (after == 0).all()
    assert (ds["tax_expenditure_listed_deduction"].sel(year=slice(2028, None)) == 0).all()
