"""The three policy instruments at the seed's exact thresholds, on hand-built firms.

No mocks: each test forks a REAL spun-up engine (tiny scale, two replicates), overwrites the
state arrays of a handful of slots with chosen values, kills every other slot where only the
chosen firms should count, and calls the real instrument methods (or the real yearly rule
that calls them).

Money: at ``market.firm_scale`` = 0.01 each simulated slot stands for ``firm_weight`` = 100
identical real firms and carries their total money (m yuan). Per-firm thresholds and caps of
the seeds are per REAL firm, so hand values are written per real firm and converted once by
:meth:`Hand.real` (x ``firm_weight``). Budgets are province totals in bn yuan (1 bn = 1,000
m yuan), not scaled.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import xarray as xr

from model.config.errors import ScenarioError
from model.config.params import PAYERS
from model.config.scenario import resolve
from model.economy import rules
from model.economy.sectors import slot_sums
from model.economy.streams import STRIDE, slot_uniform_below, stream_keys, uniform
from model.outputs.recorder import _committed_and_leakage, deadweight_bn_yuan
from model.policy.base import _pay_in_place, _settle_claims, ration, ration_by_payer
from model.policy.ledgers import CompactSlots
from model.simulation.model import RegionModel
from model.testing import PLAN, fork_in_year
from model.testing.strategies import LARGE_SLOTS

FIRM_SCALE = 0.01
YEAR = 2024
#: A year the R&D bonus is paid (the plan's 2025-2027).
RD_YEAR = 2025
#: Replicates of the hand-built engine: two, so per-replicate mix-ups show.
REPLICATES = (0, 1)
CENTRAL, PROVINCIAL, COUNTY = (PAYERS.index(p) for p in ("central", "provincial", "county"))


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def base() -> RegionModel:
    """A real plan engine after a one-year spin-up; never modified (tests fork it)."""
    sc = resolve(PLAN, overrides={"market.firm_scale": FIRM_SCALE, "spinup.years": 1})
    m = RegionModel(sc, list(REPLICATES))
    m.spin_up()
    assert not m.engine.spinning_up and m.engine.year == sc.start_year - 1
    assert m.engine.firm_weight == pytest.approx(1.0 / FIRM_SCALE)
    return m


class Hand:
    """A fork of the base engine, moved to 2024, with helpers to hand-build firms.

    Args:
        base: The spun-up base model.
        overrides: Instrument overrides by dotted key (validated like a scenario file),
            e.g. ``{"instruments.rd_bonus.budget_bn_yuan": 0.3}``.
    """

    def __init__(
        self, base: RegionModel, overrides: dict[str, object] | None = None, year: int = YEAR
    ) -> None:
        # Every renewal project is on the list unless a test says otherwise: the rules
        # below are the instrument's for a listed project (the listing has its own test).
        listed = {"instruments.renewal_loans.listed_project_share": 1.0}
        sc = resolve(base.scenario_params, overrides={**listed, **(overrides or {})})
        self.model = fork_in_year(base, year, sc)
        self.eng = self.model.engine
        self.policy = self.model.policy
        self.st = self.eng.state
        self.lay = self.eng.layout
        self.W = self.eng.firm_weight

    def real(self, per_firm_m_yuan: float) -> float:
        """A simulated slot's money for a value per real firm (x firm_weight)."""
        return per_firm_m_yuan * self.W

    def only(self, slots) -> np.ndarray:
        """Kill every slot but ``slots`` (in every replicate); return them as an array."""
        slots = np.asarray(slots)
        self.st.alive[:] = False
        self.st.alive[:, slots] = True
        return slots

    def mt(self, n: int, segment: int | None = None) -> np.ndarray:
        """The first n machine-tool slots (of a segment, if given)."""
        pool = self.lay.machine_tool_slots if segment is None else self.lay.segment_slots[segment]
        assert len(pool) >= n, f"only {len(pool)} machine-tool slots of segment {segment}"
        return pool[:n]

    def user(self, n: int, sector: str = "nev") -> np.ndarray:
        """The first n slots of a user sector."""
        s = [x.id for x in self.eng.region.sector].index(sector)
        start = self.lay.sector_start[s]
        return np.arange(start, start + n)

    def set(self, name: str, slots, values) -> None:
        """Set a state array at slots, the same values in every replicate."""
        arr = getattr(self.st, name)
        arr[:, np.asarray(slots)] = np.asarray(values, dtype=arr.dtype)


# ------------------------------------------------------------------------ R&D bonus


def _rd_firm(
    h: Hand, slot: int, *, intensity_pct: float, growth_pct: float, basic_m: float = 0.0
) -> None:
    """A firm with revenue 100 m yuan, R&D = intensity % of it, grown by growth %, per real firm.

    Reported R&D last year is chosen so this year's growth is growth_pct: R&D 3 on 2.5 is
    exactly 20%. Values are scaled to the slot (x firm_weight).
    """
    rd = intensity_pct  # % of a revenue of 100 m yuan = m yuan
    h.set("revenue", [slot], h.real(100.0))
    h.set("rd_reported", [slot], h.real(rd))
    h.set("rd_reported_prev", [slot], h.real(rd / (1.0 + growth_pct / 100.0)))
    h.set("basic_research", [slot], h.real(basic_m))


@pytest.mark.parametrize(
    ("intensity_pct", "growth_pct", "prev", "eligible"),
    [
        (3.0, 20.0, 2.5, True),  # exactly 3% and exactly 20% (3 on 2.5): 以上 includes the bound
        (2.99, 20.0, None, False),
        (3.0, 19.9, None, False),
        (5.0, 50.0, None, True),
        (5.0, 0.0, None, False),  # high intensity alone is not enough
    ],
)
def test_rd_bonus_growth_route_at_the_thresholds(
    base, intensity_pct, growth_pct, prev, eligible
) -> None:
    h = Hand(base)
    (slot,) = h.only(h.mt(1))
    _rd_firm(h, slot, intensity_pct=intensity_pct, growth_pct=growth_pct)
    if prev is not None:
        h.set("rd_reported_prev", [slot], h.real(prev))
    got = h.policy.rd_bonus.eligibility(h.eng)
    assert got[:, slot].tolist() == [eligible] * len(REPLICATES), (
        f"R&D {intensity_pct}% of revenue, growth {growth_pct}%: "
        f"eligible {got[:, slot]}, expected {eligible}"
    )
    assert not got[:, np.arange(h.lay.n_slots) != slot].any(), "a dead slot is eligible"


def test_rd_bonus_growth_route_needs_last_years_rd(base) -> None:
    h = Hand(base)
    (slot,) = h.only(h.mt(1))
    _rd_firm(h, slot, intensity_pct=5.0, growth_pct=20.0)
    h.set("rd_reported_prev", [slot], 0.0)  # infinite growth from nothing
    assert not h.policy.rd_bonus.eligibility(h.eng)[:, slot].any()


@pytest.mark.parametrize(
    ("basic_m", "eligible"),
    [(10.0, False), (10.01, True), (9.0, False), (50.0, True)],
)
def test_rd_bonus_basic_research_route(base, basic_m, eligible) -> None:
    """Seed 000: 基础研究研发费用投入超过1000万元 -- MORE than 10 m yuan; 10 m itself fails."""
    h = Hand(base)
    (slot,) = h.only(h.mt(1))
    _rd_firm(h, slot, intensity_pct=1.0, growth_pct=0.0, basic_m=basic_m)  # fails the growth route
    got = h.policy.rd_bonus.eligibility(h.eng)[:, slot]
    assert got.tolist() == [eligible] * len(REPLICATES), (
        f"basic research {basic_m} m yuan per firm: {got}"
    )


def test_rd_bonus_basic_research_is_per_real_firm(base) -> None:
    """A slot's 15 m yuan of basic research is 0.15 m per real firm at firm_weight 100."""
    h = Hand(base)
    (slot,) = h.only(h.mt(1))
    _rd_firm(h, slot, intensity_pct=1.0, growth_pct=0.0)
    h.set("basic_research", [slot], 15.0)
    assert not h.policy.rd_bonus.eligibility(h.eng)[:, slot].any()


@pytest.mark.parametrize("route", ["growth", "basic"])
def test_rd_bonus_basic_route_only_in_machine_tools(base, route) -> None:
    """With every sector eligible, a user firm qualifies by growth but not by basic research."""
    h = Hand(base, {"instruments.rd_bonus.eligible_sectors": []})
    assert h.policy.rd_bonus.params.basic_research_route_sectors == ("machine_tools",)
    user, mt = h.user(1)[0], h.mt(1)[0]
    h.only([user, mt])
    for slot in (user, mt):
        if route == "growth":
            _rd_firm(h, slot, intensity_pct=3.0, growth_pct=25.0)
        else:
            _rd_firm(h, slot, intensity_pct=1.0, growth_pct=0.0, basic_m=20.0)
    got = h.policy.rd_bonus.eligibility(h.eng)
    assert got[:, mt].all(), f"machine-tool firm by the {route} route not eligible"
    assert got[:, user].all() == (route == "growth"), (
        f"user firm by the {route} route: eligible {got[:, user]}"
    )


def test_rd_bonus_only_eligible_sectors(base) -> None:
    """The plan restricts the bonus to machine tools: a user firm meeting the test gets nothing."""
    h = Hand(base)
    assert h.policy.rd_bonus.params.eligible_sectors == ("machine_tools",)
    (slot,) = h.only(h.user(1))
    _rd_firm(h, slot, intensity_pct=5.0, growth_pct=50.0)
    assert not h.policy.rd_bonus.eligibility(h.eng)[:, slot].any()


def _three_claimants(h: Hand) -> tuple[np.ndarray, np.ndarray]:
    """Three eligible machine-tool firms with R&D 30, 80, 10 m yuan per real firm.

    Claims at reward rate 10% and cap 5 m: 3, 5 (capped from 8), 1 m per real firm.
    Returns the slots and their claims per slot (m yuan, x firm_weight).
    """
    slots = h.only(h.mt(3))
    for slot, rd in zip(slots, (30.0, 80.0, 10.0), strict=True):
        h.set("revenue", [slot], h.real(rd / 0.05))  # intensity 5%
        h.set("rd_reported", [slot], h.real(rd))
        h.set("rd_reported_prev", [slot], h.real(rd / 1.5))  # growth 50%
        h.set("basic_research", [slot], 0.0)
    return slots, np.array([h.real(3.0), h.real(5.0), h.real(1.0)])


def test_rd_bonus_payout_is_rate_times_rd_capped_per_firm(base) -> None:
    h = Hand(base, {"instruments.rd_bonus.budget_bn_yuan": 100.0}, year=RD_YEAR)
    p = h.policy.rd_bonus.params
    assert (p.reward_rate.at(RD_YEAR), p.cap_per_firm_m_yuan.at(RD_YEAR)) == (0.10, 5.0)
    slots, expected = _three_claimants(h)
    eligible, claim, payer = h.policy.rd_bonus.claims(h.eng)
    assert eligible[:, slots].all()
    np.testing.assert_allclose(claim[:, slots], np.tile(expected, (2, 1)), rtol=1e-12)
    assert (payer[:, slots] == COUNTY).all(), "the R&D bonus is paid by the county"
    paid = h.policy.rd_bonus.pay(h.eng)
    np.testing.assert_allclose(paid[:, slots], np.tile(expected, (2, 1)), rtol=1e-12)
    assert paid.sum() == pytest.approx(expected.sum() * 2, rel=1e-12), (
        "paid a firm outside the hand-built three"
    )


@pytest.mark.parametrize(
    ("rule", "expected_per_firm"),
    [
        ("pro_rata", (3.0 * 6 / 9, 5.0 * 6 / 9, 1.0 * 6 / 9)),
        ("largest_first", (1.0, 5.0, 0.0)),  # 5 in full, then 1 of the 3, nothing for the 1
        ("smallest_first", (3.0, 2.0, 1.0)),  # 1, then 3, then 2 of the 5
    ],
)
def test_rd_bonus_budget_exhaustion(base, rule, expected_per_firm) -> None:
    """Claims of 9 m yuan per real firm-triple x 100 against a budget of 0.6 bn = 600 m yuan."""
    h = Hand(
        base,
        {"instruments.rd_bonus.budget_bn_yuan": 0.6, "instruments.rd_bonus.rationing": rule},
        year=RD_YEAR,
    )
    slots, claims = _three_claimants(h)
    assert claims.sum() == pytest.approx(900.0)
    ins = h.policy.rd_bonus
    paid = ins.pay(h.eng)
    np.testing.assert_allclose(
        paid[:, slots], np.tile(np.array(expected_per_firm) * h.W, (2, 1)), rtol=1e-12
    )
    np.testing.assert_allclose(paid.sum(axis=1), 600.0, rtol=1e-12, err_msg="total paid != budget")
    if rule == "pro_rata":
        np.testing.assert_allclose(paid[:, slots] / claims, 600.0 / 900.0, rtol=1e-12)
    # Ledger: budget, claims, eligible and paid counts, and the payer.
    np.testing.assert_allclose(ins.ledger["budget"][-1], 600.0)
    np.testing.assert_allclose(ins.ledger["claims"][-1], 900.0, rtol=1e-12)
    np.testing.assert_allclose(ins.ledger["subsidy_paid"][-1], 600.0, rtol=1e-12)
    assert ins.ledger["firms_eligible"][-1].tolist() == [3.0, 3.0]
    by_payer = ins.paid_by_payer[-1]
    np.testing.assert_allclose(by_payer[:, COUNTY], 600.0, rtol=1e-12)
    assert (by_payer[:, [CENTRAL, PROVINCIAL]] == 0).all(), (
        f"the county bonus booked to other payers: {by_payer}"
    )


def test_rd_bonus_payer_follows_the_parameter(base) -> None:
    h = Hand(
        base,
        {"instruments.rd_bonus.payer": "provincial", "instruments.rd_bonus.budget_bn_yuan": 100.0},
        year=RD_YEAR,
    )
    _, claims = _three_claimants(h)
    h.policy.rd_bonus.pay(h.eng)
    by_payer = h.policy.rd_bonus.paid_by_payer[-1]
    np.testing.assert_allclose(by_payer[:, PROVINCIAL], claims.sum(), rtol=1e-12)
    assert (by_payer[:, [CENTRAL, COUNTY]] == 0).all()


def test_rd_bonus_zero_budget_pays_nothing(base) -> None:
    h = Hand(base, {"instruments.rd_bonus.budget_bn_yuan": 0.0}, year=RD_YEAR)
    _three_claimants(h)
    paid = h.policy.rd_bonus.pay(h.eng)
    assert (paid == 0).all()
    assert h.policy.rd_bonus.ledger["claims"][-1].tolist() == [900.0, 900.0]


def test_rd_bonus_on_the_increment_rewards_the_rise_in_r_and_d(base) -> None:
    h = Hand(
        base,
        {"instruments.rd_bonus.base": "increment", "instruments.rd_bonus.budget_bn_yuan": 100.0},
        year=RD_YEAR,
    )
    slots, _ = _three_claimants(h)  # R&D 30, 80, 10 after 20, 53.3, 6.67 (growth 50%)
    eligible, claim, _ = h.policy.rd_bonus.claims(h.eng)
    assert eligible[:, slots].all()
    # 10% of the increase (10, 26.7, 3.3 m yuan), capped at 5 m: 1, 2.67, 0.33 m per real firm.
    expected = np.array([h.real(1.0), h.real(80.0 / 3 * 0.1), h.real(10.0 / 3 * 0.1)])
    np.testing.assert_allclose(claim[:, slots], np.tile(expected, (2, 1)), rtol=1e-12)
    # A firm on the basic-research route whose R&D fell claims nothing on the increment.
    (slot,) = slots[:1]
    h.set("rd_reported_prev", [slot], h.real(40.0))
    h.set("basic_research", [slot], h.real(20.0))
    eligible, claim, _ = h.policy.rd_bonus.claims(h.eng)
    assert eligible[:, slot].all() and (claim[:, slot] == 0).all()


@pytest.mark.parametrize("year", [2024, 2028])
def test_rd_bonus_is_paid_only_in_the_plans_years(base, year) -> None:
    h = Hand(base, {"instruments.rd_bonus.budget_bn_yuan": 100.0}, year=year)
    assert (h.policy.rd_bonus.params.first_year, h.policy.rd_bonus.params.last_year) == (
        2025,
        2027,
    )
    slots, _ = _three_claimants(h)
    eligible, _, _ = h.policy.rd_bonus.claims(h.eng)
    assert not eligible.any()
    assert (h.policy.rd_bonus.pay(h.eng) == 0).all()


def test_no_reward_is_expected_after_the_last_year(base) -> None:
    h = Hand(base, {"instruments.rd_bonus.budget_bn_yuan": 100.0}, year=2027)
    slots, _ = _three_claimants(h)
    h.policy.rd_bonus.pay(h.eng)
    expected = np.asarray(h.policy.rd_bonus.expected_rd_reward_rate(h.eng))
    assert (np.broadcast_to(expected, h.st.alive.shape)[:, slots] > 0).all()
    h.eng.year = 2028  # the scheme has ended: nothing is expected
    assert float(np.max(h.policy.rd_bonus.expected_rd_reward_rate(h.eng))) == 0.0


def test_no_reward_is_expected_in_a_year_without_a_budget(base) -> None:
    budget = {"2026": 100.0, "2027": 0.0}
    h = Hand(base, {"instruments.rd_bonus.budget_bn_yuan": budget}, year=2026)
    slots, _ = _three_claimants(h)
    h.policy.rd_bonus.pay(h.eng)
    expected = np.asarray(h.policy.rd_bonus.expected_rd_reward_rate(h.eng))
    assert (np.broadcast_to(expected, h.st.alive.shape)[:, slots] > 0).all()
    h.eng.year = 2027  # still a bonus year, but nothing to pay it from
    assert float(np.max(h.policy.rd_bonus.expected_rd_reward_rate(h.eng))) == 0.0


def _bunching_hand(base: RegionModel, overrides: dict[str, object] | None = None) -> Hand:
    """A hand in a bonus year where every firm may bunch, within 0.5% of revenue.

    Behaviour cannot change in a fork (the spin-up read it), so the engine's scenario is
    replaced for the relabelling rule alone.
    """
    h = Hand(base, overrides, year=RD_YEAR)
    sc = h.eng.scenario
    rd = dataclasses.replace(sc.rd, bunching_probability=1.0, bunching_window=0.005)
    h.eng.scenario = dataclasses.replace(sc, rd=rd)
    return h


def _bunching(h: Hand, slot: int, *, intensity: float, growth: float, prev: float) -> float:
    """Reported R&D per real firm after bunching, for a firm that draws the chance to."""
    h.set("revenue", [slot], h.real(100.0))
    h.set("revenue_prev", [slot], h.real(100.0))  # no growth expected: revenue stays 100
    h.set("rd_reported_prev", [slot], h.real(prev))
    h.set("rd_reported", [slot], h.real(prev * (1.0 + growth) if prev else intensity * 100.0))
    h.st.rd_reported[:, slot] = np.maximum(h.st.rd_reported[:, slot], 0.0)
    h.policy.rd_bonus.relabel_reported_rd(h.eng)
    return float(h.st.rd_reported[0, slot] / h.W)


@pytest.mark.parametrize(
    ("prev", "growth", "expected"),
    [
        # 3.5 m on 3.0 (16.7% growth, intensity 3.5%): short of 20% growth by 0.1 m, within
        # the window of 0.5% of revenue: relabelled to 3.6 (exactly +20%)
        (3.0, 0.5 / 3.0, 3.6),
        # 3.0 on 2.9 (3.4%): 20% growth needs 3.48, 0.48 more: within the window
        (2.9, 0.1 / 2.9, 2.9 * 1.2),
        # 3.0 on 3.0: 20% growth needs 3.6, 0.6 more: beyond the window, unchanged
        (3.0, 0.0, 3.0),
    ],
)
def test_bunching_reaches_the_growth_threshold_too(base, prev, growth, expected) -> None:
    h = _bunching_hand(base)
    (slot,) = h.only(h.mt(1))
    got = _bunching(h, slot, intensity=0.0, growth=growth, prev=prev)
    assert got == pytest.approx(expected, rel=1e-9)


def test_no_bunching_without_a_budget(base) -> None:
    """Relabelling is for the bonus: with no budget this year there is none to claim."""
    h = _bunching_hand(base, {"instruments.rd_bonus.budget_bn_yuan": 0.0})
    (slot,) = h.only(h.mt(1))
    # The first case above, relabelled to 3.6 with a budget: unchanged at 3.5 without one.
    assert _bunching(h, slot, intensity=0.0, growth=0.5 / 3.0, prev=3.0) == pytest.approx(3.5)


def test_bunching_needs_r_and_d_last_year(base) -> None:
    h = _bunching_hand(base)
    (slot,) = h.only(h.mt(1))
    # 2.8% of revenue, no R&D last year: the growth test cannot be met, so no relabelling.
    assert _bunching(h, slot, intensity=0.028, growth=0.0, prev=0.0) == pytest.approx(2.8)


def test_rd_bonus_pays_nothing_when_disabled(base) -> None:
    h = Hand(
        base,
        {"instruments.rd_bonus.enabled": False, "instruments.rd_bonus.budget_bn_yuan": 100.0},
        year=RD_YEAR,
    )
    _three_claimants(h)
    assert (h.policy.rd_bonus.pay(h.eng) == 0).all()


# --------------------------------------------------------------------------- ration


RULES = ("pro_rata", "largest_first", "smallest_first")


def _claims(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.lognormal(0.0, 1.5, size=(3, 40))
    c[:, ::7] = 0.0  # some firms claim nothing
    c[1, 5] = c[1, 6]  # a tie
    return c


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.3, 0.999, 1.0, 2.0, np.inf])
def test_ration_bounds(rule: str, fraction: float) -> None:
    claims = _claims(7)
    total = claims.sum(axis=1)
    budget = total * fraction if np.isfinite(fraction) else np.full(3, np.inf)
    paid = ration(claims, budget, rule)
    assert paid.shape == claims.shape
    assert (paid >= 0).all(), "negative payment"
    assert (paid <= claims * (1 + 1e-12)).all(), "paid more than a claim"
    assert (paid[claims == 0] == 0).all(), "paid a firm that claimed nothing"
    np.testing.assert_allclose(paid.sum(axis=1), np.minimum(budget, total), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("rule", RULES)
def test_ration_zero_budget_pays_nothing(rule: str) -> None:
    paid = ration(_claims(3), np.zeros(3), rule)
    assert (paid == 0).all()


def test_ration_budget_per_replicate() -> None:
    """Each replicate rations against its own budget."""
    claims = np.array([[4.0, 6.0], [4.0, 6.0]])
    paid = ration(claims, np.array([5.0, 20.0]), "pro_rata")
    np.testing.assert_allclose(paid, [[2.0, 3.0], [4.0, 6.0]])


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("fraction", [0.0, 0.3, 2.0])
def test_ration_in_place_pays_the_same(rule: str, fraction: float) -> None:
    # The instruments ration into the claims array itself to save a per-firm array.
    claims = _claims(11)
    budget = claims.sum(axis=1) * fraction
    expected = ration(claims, budget, rule)
    got = ration(claims, budget, rule, out=claims)
    assert got is claims
    np.testing.assert_array_equal(got, expected)


def test_settled_claims_are_those_of_live_eligible_firms_by_payer() -> None:
    # Firm 1 is ineligible, firm 2 dead: their claims go; the payers' totals follow.
    eligible = np.array([[True, False, True, True, True]])
    alive = np.array([[True, True, False, True, True]])
    claims = np.array([[1.0, 2.0, 3.0, 0.0, 0.5]])
    payer = np.array([[0, 1, 1, 2, 0]])
    n_eligible, claimed, want, claiming = _settle_claims(eligible, alive, claims, payer, 3)
    np.testing.assert_array_equal(claims, [[1.0, 0.0, 0.0, 0.0, 0.5]])
    np.testing.assert_array_equal(n_eligible, [4.0])  # counted before the live test
    np.testing.assert_array_equal(claimed, [1.5])
    np.testing.assert_array_equal(want, [[1.5, 0.0, 0.0]])
    np.testing.assert_array_equal(claiming, [0, 4])  # the non-zero claims' flat positions


@pytest.mark.parametrize("fraction", [0.0, 0.3, 1.0, 2.0])
def test_pro_rata_payment_in_one_pass_is_the_rationing_payer_by_payer(fraction: float) -> None:
    # Pro rata is paid in one pass over the claims (``_pay_in_place``); the other rules
    # ration payer by payer with ``ration``. On claims of three payers, with -0.0 and zero
    # claims among them, both give the same payments bit for bit, and what each payer paid.
    rng = np.random.default_rng(5)
    claims = rng.exponential(1.0, (2, 40)) * (rng.random((2, 40)) < 0.6)
    claims[0, 3] = -0.0
    payer = rng.integers(0, 2, claims.shape)
    payer[:, :2] = 2  # payer 2 has only these slots
    claims[:, :2] = 0.0  # and no claim: it pays nothing, and its fill is 1
    everyone = np.ones(claims.shape, bool)
    _, _, want, claiming = _settle_claims(everyone, everyone, claims, payer, 3)
    assert not np.signbit(claims).any(), "a -0.0 claim must be settled as +0.0"
    np.testing.assert_array_equal(claiming, np.flatnonzero(claims))
    budgets = want * fraction
    budgets[1, 0] = np.inf  # a payer whose budget does not bind
    scale = np.minimum(1.0, budgets / np.maximum(want, 1e-300))
    expected_by_payer, expected = ration_by_payer(claims.copy(), payer, want, budgets, "pro_rata")
    paid = claims.copy()
    by_payer, total, n_paid, index, entries = _pay_in_place(paid, payer, scale, claiming)
    assert paid.tobytes() == expected.tobytes(), "payments differ from ration's (bits)"
    assert by_payer.tobytes() == expected_by_payer.tobytes()
    np.testing.assert_array_equal(total, slot_sums(expected))
    np.testing.assert_array_equal(n_paid, (expected > 0).sum(axis=1))
    assert not np.signbit(paid).any(), "a -0.0 claim must be paid +0.0"
    np.testing.assert_array_equal(index, np.flatnonzero(paid))  # the payments kept sparse
    kept = CompactSlots.of_entries(paid, index, entries)
    assert kept.dense().tobytes() == paid.tobytes()
    np.testing.assert_array_equal(by_payer[:, 2], 0.0)
    assert (paid <= claims).all() and (total <= budgets.sum(axis=1) * (1 + 1e-12)).all()


@pytest.mark.parametrize("share", [0.003, 0.9])
def test_compact_slots_of_known_entries_are_compact_slots_of_the_values(share: float) -> None:
    # The payments' entries come from the payment pass; kept as their entries when few, whole
    # when many, as CompactSlots chooses from the values themselves.
    rng = np.random.default_rng(2)
    values = np.where(rng.random((2, 2000)) < share, rng.exponential(1.0, (2, 2000)), 0.0)
    values[1, 7] = np.nan
    index = np.flatnonzero(values)
    kept = CompactSlots.of_entries(values, index, values.reshape(-1)[index])
    direct = CompactSlots(values)
    assert (kept.full is None) == (direct.full is None) == (share < 0.5)
    assert kept.dense().tobytes() == direct.dense().tobytes() == values.tobytes()
    if kept.full is None:
        assert kept.index.dtype == direct.index.dtype


@pytest.mark.parametrize("share", [0.01, 0.9])
def test_committed_subsidy_and_leakage_of_kept_payments(share: float) -> None:
    # What an instrument paid and its leakage (the paid firms' purchases outside the region),
    # summed slot by slot, from payments kept as entries (few paid) or whole (many).
    rng = np.random.default_rng(9)
    paid = np.where(rng.random((2, 500)) < share, rng.exponential(1.0, (2, 500)), 0.0)
    paid[0, :3] = [-0.0, 0.0, 2.5]
    purchases = rng.exponential(3.0, paid.shape).astype(np.float32)
    in_region = purchases * rng.random(paid.shape)
    kept = CompactSlots(paid)
    assert (kept.full is None) == (share < 0.5)
    committed, leakage = _committed_and_leakage(kept, purchases, in_region)
    outside = purchases.astype(float) - in_region
    assert committed.tobytes() == slot_sums(paid).tobytes()
    assert leakage.tobytes() == slot_sums(outside * (paid > 0)).tobytes()


def test_compact_slots_give_values_back_bit_for_bit() -> None:
    # Sparse payments keep only their entries; -0.0 and NaN come back as they were.
    values = np.zeros((2, 3 * LARGE_SLOTS + 5))
    values[0, 3] = 1.5
    values[1, LARGE_SLOTS + 1] = -0.0
    values[1, -1] = np.nan
    kept = CompactSlots(values)
    assert kept.full is None and len(kept.index) == 3, "a sparse array was kept whole"
    back = kept.dense()
    np.testing.assert_array_equal(back, values)
    assert np.signbit(back[1, LARGE_SLOTS + 1]), "-0.0 lost its sign"
    dense = np.arange(12.0).reshape(2, 6)
    whole = CompactSlots(dense, copy=True)
    assert whole.full is not None
    dense[0, 0] = 99.0
    assert whole.dense()[0, 0] == 0.0, "copy=True kept the caller's array"
    assert not CompactSlots.zeros((2, 4)).dense().any()


def test_compact_slots_cleared_zeroes_only_the_given_slots() -> None:
    values = np.zeros((2, 50))
    values[0, [3, 7]] = [1.0, 2.0]
    values[1, 7] = 4.0
    where = np.zeros((2, 50), dtype=bool)
    where[0, 7] = where[1, 3] = True
    for kept in (CompactSlots(values), CompactSlots(np.where(values == 0, 0.5, values))):
        expected = np.where(where, 0.0, kept.dense())
        np.testing.assert_array_equal(kept.cleared(where).dense(), expected)


def test_compact_slots_scaled_equals_the_dense_product() -> None:
    # The spin-up rescales what instruments paid slot by slot; entries keep their signs.
    values = np.zeros((2, 40))
    values[0, [3, 7]] = [1.5, -0.0]
    values[1, 39] = 4.0
    factor = np.linspace(0.5, 2.0, 80).reshape(2, 40)
    for kept in (CompactSlots(values), CompactSlots(np.where(values == 0, 0.5, values))):
        got = kept.scaled(factor).dense()
        np.testing.assert_array_equal(got, kept.dense() * factor)
        assert np.array_equal(np.signbit(got), np.signbit(kept.dense() * factor))


def test_a_slots_draw_is_keyed_by_its_number_in_the_full_layout() -> None:
    # The renewal list, R&D bunching and the provincial SOEs: slot n compares the stream's
    # draw slot_id[n] x STRIDE, so a part of the layout (some slots not open) gives each of
    # its slots the number that slot has in the full layout.
    keys = stream_keys(5, np.array([0, 3]), 2026, "bunching")
    full = np.arange(3 * STRIDE + 40)
    got = slot_uniform_below(keys, full, 0.3)
    want = np.array([[uniform(k, int(n) * STRIDE) < 0.3 for n in full] for k in keys])
    np.testing.assert_array_equal(got, want)
    assert 0.2 < got.mean() < 0.4
    part = full[[0, 5, 6, 7, 90, 171]]
    np.testing.assert_array_equal(slot_uniform_below(keys, part, 0.3), got[:, part])


def test_deadweight_is_the_subsidy_for_activity_shown_anyway() -> None:
    # Firm 0 does half as much without the policy, firm 1 more, firm 2 nothing with it,
    # firm 3 nothing without it: half, all, all and none of their subsidy is deadweight.
    paid = np.array([[100.0, 40.0, 10.0, 30.0]])
    activity = np.array([[8.0, 2.0, 0.0, 5.0]])
    without = np.array([[4.0, 3.0, 1.0, 0.0]])
    expected = (0.5 * 100.0 + 40.0 + 10.0 + 0.0) / 1e3
    np.testing.assert_allclose(deadweight_bn_yuan(paid, activity, without), [expected])


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("pro_rata", [0.0, 1.0, 2.0, 3.0]),  # budget 6 of 12: half of each
        ("largest_first", [0.0, 0.0, 0.0, 6.0]),
        ("smallest_first", [0.0, 2.0, 4.0, 0.0]),
    ],
)
def test_ration_orders(rule: str, expected: list[float]) -> None:
    claims = np.array([[0.0, 2.0, 4.0, 6.0]])
    np.testing.assert_allclose(ration(claims, np.array([6.0]), rule), [expected])


# --------------------------------------------------------------------- renewal loans


def _over_aged_replacement(base: RegionModel, age: int) -> tuple[float, float]:
    """Run the real investment rule with one user firm whose only cohort is ``age`` at year end.

    The cohort is obsolete (1/e = 100), so the payback rule scraps it for sure and the firm
    replaces it with a loan. Returns the firm's loan replacing over-aged cohorts
    (``renewal_eligible_loan``) and the subsidy committed on it, in replicate 0.
    """
    h = Hand(base)
    st, eng = h.st, h.eng
    alive_both = np.flatnonzero(
        st.alive.all(axis=0) & (h.lay.make_segment < 0) & (st.market_share.min(axis=0) > 0)
    )
    slot = alive_both[0]
    ring_size = st.cohort_capacity.shape[2]
    head_after = (eng.cohort_head + 1) % ring_size  # invest turns the ring first (rule 4)
    ring = (head_after - age) % ring_size
    capacity = st.capacity[:, slot].copy()
    st.cohort_capacity[:, slot, :] = 0.0
    st.cohort_cost[:, slot, :] = 0.0
    st.cohort_inverse_productivity[:, slot, :] = 1.0
    st.cohort_capacity[:, slot, ring] = capacity
    # The cost ring keeps cohorts within their tax life only; the one it holds at ``age``
    # after the turn is at (cohort_years + 1 - age) mod its length.
    if age < eng.cost_ring_years:
        st.cohort_cost[:, slot, (eng.cohort_years + 1 - age) % eng.cost_ring_years] = capacity
    st.cohort_inverse_productivity[:, slot, ring] = 100.0
    st.debt[:, slot] = 0.0  # credit room for the loan
    rules.invest(eng)
    assert eng.cohort_ages()[ring] == age, "test set the cohort at the wrong age"
    assert st.capacity_replaced[0, slot] > 0, "the obsolete cohort was not replaced"
    assert st.flow_loans_new[0, slot] > 0, "the replacement took no loan"
    return float(st.renewal_eligible_loan[0, slot]), float(
        h.policy.renewal_loans.last_granted[0, slot]
    )


def test_renewal_eligible_age_is_more_than_ten_years(base) -> None:
    """MIIT 2024: machine tools in service MORE than 10 years. A 10-year cohort is not over-aged."""
    h = Hand(base)
    assert h.policy.renewal_loans.eligible_replacement_age(h.eng) == 10.0
    loan_10, granted_10 = _over_aged_replacement(base, 10)
    loan_11, granted_11 = _over_aged_replacement(base, 11)
    assert loan_10 == 0.0 and granted_10 == 0.0, (
        f"a 10-year cohort's replacement loan counted as eligible: {loan_10}"
    )
    assert loan_11 > 0.0 and granted_11 > 0.0, (
        "an 11-year cohort's replacement loan was not eligible"
    )


def _loans(h: Hand, loans_m: tuple[float, ...]) -> np.ndarray:
    """Live firms (user sector) with this year's eligible loans (m yuan per slot)."""
    slots = h.only(h.user(len(loans_m)))
    h.set("renewal_eligible_loan", slots, loans_m)
    st = h.st
    st.renewal_eligible_loan[:, np.setdiff1d(np.arange(h.lay.n_slots), slots)] = 0.0
    return slots


def _balances_as_repaid(base: RegionModel, years: int) -> np.ndarray:
    """A yuan lent's balance at the start of each year, as the accounts' rule repays it.

    One live user firm with a yuan of debt, no cash flows and ample cash (no overdraft, no
    dividends) runs the real ``settle_cash`` rule ``years`` times.
    """
    h = Hand(base)
    (slot,) = h.only(h.user(1))
    st = h.st
    for name in ("profit_before_tax", "cit", "subsidy_received", "depreciation", "flow_writeoff"):
        getattr(st, name)[:, slot] = 0.0
    st.cash[:, slot], st.revenue[:, slot], st.debt[:, slot] = 1e6, 1e12, 1.0
    balances = []
    for _ in range(years):
        balances.append(st.debt[:, slot].copy())
        rules.settle_cash(h.eng)
    out = np.array(balances)
    np.testing.assert_array_equal(out[:, 0], out[:, 1])  # replicates alike
    return out[:, 0]


def _outstanding_years(base: RegionModel, n: int) -> float:
    """Loan-years of a yuan lent over its first n years, as the accounts repay it."""
    return float(_balances_as_repaid(base, n).sum())


def test_financing_multiplier_prices_the_interest_the_accounts_charge(base) -> None:
    """The payback rule's financing cost is the loan rate times the loan-years the accounts
    keep a yuan outstanding (interest is charged on the balance, ``rules.account``)."""
    from model.economy.payback import invest_params

    h = Hand(base)
    loan_years = _balances_as_repaid(base, 400).sum()  # 0.8^400: the rest is nothing
    financing = invest_params(h.eng, 0.0).base_financing
    assert financing == pytest.approx(1.0 + h.eng.exo.loan_rate * loan_years, rel=1e-12)


@pytest.mark.parametrize("years", [1, 2, 3])
def test_renewal_subsidy_committed_percentage_points(base, years) -> None:
    h = Hand(base, {"instruments.renewal_loans.subsidy_years": years})
    ins = h.policy.renewal_loans
    pp = ins.params.subsidy_pp.at(YEAR)
    # 2024: 0 in Jan-Feb, 1 pp Mar-Jun, 1.5 pp Jul-Dec (FACTS.md A), time-weighted.
    assert pp == pytest.approx((0.0 * 2 + 0.01 * 4 + 0.015 * 6) / 12, rel=1e-12)
    slots = _loans(h, (1000.0, 250.0))
    ins.after_investment(h.eng)
    expected = pp * _outstanding_years(base, years) * np.array([1000.0, 250.0])
    np.testing.assert_allclose(ins.last_granted[:, slots], np.tile(expected, (2, 1)), rtol=1e-12)
    assert ins.last_granted.sum() == pytest.approx(2 * expected.sum(), rel=1e-12)
    np.testing.assert_allclose(ins.fill_ratio, 1.0)


def test_renewal_pool_exhaustion_rations_commitments(base) -> None:
    h = Hand(base, {"instruments.renewal_loans.pool_bn_yuan": 0.001})  # 1 m yuan
    ins = h.policy.renewal_loans
    slots = _loans(h, (1000.0, 3000.0))
    want = ins._subsidy_per_yuan(h.eng) * 4000.0
    assert want > 1.0
    ins.after_investment(h.eng)
    np.testing.assert_allclose(
        ins.last_granted.sum(axis=1), 1.0, rtol=1e-12, err_msg="commitments != pool"
    )
    np.testing.assert_allclose(
        ins.last_granted[:, slots[1]] / ins.last_granted[:, slots[0]], 3.0, rtol=1e-12
    )
    np.testing.assert_allclose(ins.fill_ratio, 1.0 / want, rtol=1e-12)
    # The schedule holds exactly what was committed.
    np.testing.assert_allclose(ins.schedule.sum(axis=(1, 2)), 1.0, rtol=1e-12)


def test_renewal_zero_pool_commits_nothing(base) -> None:
    h = Hand(base, {"instruments.renewal_loans.pool_bn_yuan": 0.0})
    ins = h.policy.renewal_loans
    _loans(h, (1000.0, 3000.0))
    ins.after_investment(h.eng)
    assert (ins.last_granted == 0).all() and (ins.schedule == 0).all()
    assert (ins.pay(h.eng) == 0).all()


def test_renewal_share_of_lpr_caps_a_big_project(base) -> None:
    h = Hand(
        base,
        {
            "instruments.renewal_loans.variant": "share_of_lpr",
            "instruments.renewal_loans.pool_bn_yuan": 1e3,
        },
    )
    ins = h.policy.renewal_loans
    lpr = h.eng.scenario.prices.loan_prime_rate.at(YEAR)
    assert h.eng.exo.lpr == lpr
    per_yuan = 0.35 * lpr * _outstanding_years(base, 2)
    cap = h.real(20.0)  # Shandong: 20 m yuan per project
    small, big = 1000.0, cap / per_yuan * 3.0
    slots = _loans(h, (small, big))
    ins.after_investment(h.eng)
    np.testing.assert_allclose(ins.last_granted[:, slots[0]], per_yuan * small, rtol=1e-12)
    np.testing.assert_allclose(
        ins.last_granted[:, slots[1]], cap, rtol=1e-12, err_msg="big project not capped"
    )


def test_renewal_percentage_points_has_no_project_cap(base) -> None:
    h = Hand(base, {"instruments.renewal_loans.pool_bn_yuan": 1e3})
    ins = h.policy.renewal_loans
    big = h.real(20.0) / ins._subsidy_per_yuan(h.eng) * 3.0
    slots = _loans(h, (big,))
    ins.after_investment(h.eng)
    np.testing.assert_allclose(ins.last_granted[:, slots[0]], 3.0 * h.real(20.0), rtol=1e-12)


def test_renewal_capped_grant_pays_once_in_year_one(base) -> None:
    h = Hand(
        base,
        {
            "instruments.renewal_loans.variant": "capped_grant",
            "instruments.renewal_loans.pool_bn_yuan": 1e3,
        },
    )
    ins = h.policy.renewal_loans
    cap = h.real(20.0)
    small, big = 1000.0, cap / 0.1 * 2.0
    slots = _loans(h, (small, big))
    ins.after_investment(h.eng)
    expected = np.array([0.1 * small, cap])
    np.testing.assert_allclose(ins.last_granted[:, slots], np.tile(expected, (2, 1)), rtol=1e-12)
    paid = ins.pay(h.eng)
    np.testing.assert_allclose(paid[:, slots], np.tile(expected, (2, 1)), rtol=1e-12)
    ins.end_year()
    assert (ins.pay(h.eng) == 0).all(), "the capped grant paid again in year two"
    assert (ins.paid_by_payer[0][:, CENTRAL] > 0).all()


@pytest.mark.parametrize("years", [2, 3])
def test_renewal_payments_spread_over_subsidy_years(base, years) -> None:
    h = Hand(base, {"instruments.renewal_loans.subsidy_years": years})
    ins = h.policy.renewal_loans
    slots = _loans(h, (1000.0, 500.0))
    ins.after_investment(h.eng)
    granted = ins.last_granted.copy()
    paid = []
    for _ in range(years + 2):
        paid.append(ins.pay(h.eng).copy())
        before = ins.schedule.copy()
        ins.end_year()
        np.testing.assert_array_equal(
            ins.schedule[:, :, :-1], before[:, :, 1:], err_msg="schedule did not shift"
        )
        assert (ins.schedule[:, :, -1] == 0).all()
        h.st.renewal_eligible_loan[:] = 0.0
    for k in range(years):
        np.testing.assert_allclose(
            paid[k][:, slots], granted[:, slots] / years, rtol=1e-12, err_msg=f"year {k + 1}"
        )
    for k in range(years, years + 2):
        assert (paid[k] == 0).all(), f"paid in year {k + 1} of a {years}-year subsidy"
    np.testing.assert_allclose(sum(paid).sum(axis=1), granted.sum(axis=1), rtol=1e-12)
    # Honoured whatever the year's pool: the budget of payments due is unlimited, payer central.
    assert np.isinf(ins.ledger["budget"][-1]).all()
    np.testing.assert_allclose(ins.paid_by_payer[0][:, CENTRAL], paid[0].sum(axis=1), rtol=1e-12)


def test_renewal_commitments_of_two_years_overlap(base) -> None:
    h = Hand(base)
    ins = h.policy.renewal_loans
    slots = _loans(h, (1000.0,))
    ins.after_investment(h.eng)
    g1 = ins.last_granted[:, slots[0]].copy()
    paid1 = ins.pay(h.eng)[:, slots[0]].copy()
    ins.end_year()
    h.eng.year = YEAR + 1
    h.set("renewal_eligible_loan", slots, 3000.0)
    ins.after_investment(h.eng)
    g2 = ins.last_granted[:, slots[0]].copy()
    paid2 = ins.pay(h.eng)[:, slots[0]]
    np.testing.assert_allclose(paid1, g1 / 2, rtol=1e-12)
    np.testing.assert_allclose(paid2, g1 / 2 + g2 / 2, rtol=1e-12)


def test_renewal_entrant_inherits_no_commitments(base) -> None:
    h = Hand(base)
    ins = h.policy.renewal_loans
    slots = _loans(h, (1000.0, 1000.0))
    ins.after_investment(h.eng)
    enter = np.zeros_like(h.st.alive)
    enter[:, slots[0]] = True
    ins.reset_firms(enter)
    paid = ins.pay(h.eng)
    assert (paid[:, slots[0]] == 0).all() and (paid[:, slots[1]] > 0).all()


def test_only_listed_projects_get_the_subsidy_and_re_lending(base) -> None:
    """A firm's renewal project is on the year's list with the listed share; an unlisted
    one expects no relief, and its loans get neither subsidy nor re-lending."""
    h = Hand(
        base,
        {
            "instruments.renewal_loans.listed_project_share": 0.5,
            "instruments.renewal_loans.pool_bn_yuan": 1000.0,
            "instruments.rd_bonus.enabled": False,
            "instruments.first_set.enabled": False,
        },
    )
    ins, eng = h.policy.renewal_loans, h.eng
    relief = np.asarray(h.policy.financing_relief(eng))
    listed = ins.listed
    assert relief.shape == h.st.alive.shape
    assert 0.45 < listed.mean() < 0.55  # the listed share, over every slot
    assert (relief[~listed] == 0).all() and (relief[listed] > 0).all()
    # The same draw when the loans are committed: subsidy and re-lending on listed ones only.
    slots = _loans(h, (100.0,) * 40)
    ins.after_investment(eng)
    granted = ins.last_granted
    assert (granted[:, slots][~listed[:, slots]] == 0).all()
    assert (granted[:, slots][listed[:, slots]] > 0).all()
    relief_due = ins.relief_schedule[:, :, 0]
    assert (relief_due[:, slots][~listed[:, slots]] == 0).all()
    assert (relief_due[:, slots][listed[:, slots]] > 0).all()


def test_relending_relief_received_equals_relief_priced(base) -> None:
    """Re-lending is a lower rate on the loan while it is re-lent: what the firm saves in
    interest over those years is what its payback rule priced, and what the central bank
    bears; it is not paid to the firm as a subsidy."""
    h = Hand(base, {"instruments.rd_bonus.enabled": False, "instruments.first_set.enabled": False})
    ins, eng = h.policy.renewal_loans, h.eng
    term = eng.scenario.investment.loan_term_years
    years = ins.params.relending_years
    assert years == 3  # FACTS.md A: a 1-year term with two rollovers
    cut = ins.params.relending_rate_cut.at(YEAR)
    slots = _loans(h, (1000.0,))
    subsidy_priced = ins._subsidy_per_yuan(eng) * 1000.0
    priced = float(ins.financing_relief(eng)[0, 0]) * 1000.0 - subsidy_priced
    # The loan's balance after k years of repaying 1 / term of it a year.
    balance = sum((1.0 - 1.0 / term) ** k for k in range(years))
    assert priced == pytest.approx(cut * 1000.0 * balance, rel=1e-12)
    ins.after_investment(eng)
    relieved, booked, received = 0.0, 0.0, 0.0
    for k in range(years + 2):
        eng.year = YEAR + k
        relief = h.policy.interest_relief(eng)
        relieved += float(relief[0, slots[0]])
        if k == 0:
            # The accounts see it as lower interest: profit before tax is higher by it.
            rules.account(eng)
            with_relief = h.st.profit_before_tax[0, slots[0]]
            saved = ins.relief_schedule.copy()
            ins.relief_schedule[:] = 0.0
            rules.account(eng)
            without = h.st.profit_before_tax[0, slots[0]]
            ins.relief_schedule[:] = saved
            assert with_relief - without == pytest.approx(cut * 1000.0, rel=1e-9)
        h.policy.pay(eng)
        booked += float(h.policy.off_budget_cost[0])
        received += float(eng.state.subsidy_received[0, slots[0]])
        h.st.renewal_eligible_loan[:] = 0.0
        ins.after_investment(eng)  # nothing new
    assert relieved == pytest.approx(priced, rel=1e-9), (
        f"relief priced {priced:.6g} m yuan, received over the re-lending years {relieved:.6g}"
    )
    assert booked == pytest.approx(priced, rel=1e-9)
    assert received == pytest.approx(subsidy_priced, rel=1e-9)  # the subsidy alone is paid


# ------------------------------------------------------------------------- first set

PROVINCIAL_LEVEL, NATIONAL_LEVEL, INTERNATIONAL_LEVEL = 1, 2, 3  # first in Zhejiang / China / world


def test_first_set_unproven_until_three_sets_sold(base) -> None:
    """The production rule keeps a model unproven until 3 sets per real firm are sold."""
    cases = (0.99, 1.0, 1.5)  # sets sold this year, per real firm, on 2 sold before
    results = {}
    for sets in cases:
        h = Hand(base)
        st = h.st
        slot = h.mt(1, segment=1)[0]  # mid-range: 0.6 m yuan a set
        price = h.eng.set_price_m_yuan[h.lay.make_segment[slot]]
        assert price == 0.6
        h.set("model_first_set", [slot], True)
        h.set("model_unproven", [slot], True)
        h.set("model_recognised", [slot], True)
        h.set("model_sets_sold", [slot], h.real(2.0))
        h.set("national_share", [slot], 0.0)  # all sales are the hand-set orders
        h.set("export_share", [slot], 0.0)
        h.set("orders_inside", [slot], h.real(sets * price))
        st.alive[:, slot] = True
        rules.produce(h.eng)
        np.testing.assert_allclose(st.model_sets_sold[:, slot], h.real(2.0 + sets), rtol=1e-12)
        results[sets] = st.model_unproven[:, slot].tolist()
    assert results == {0.99: [True, True], 1.0: [False, False], 1.5: [False, False]}, results


#: Every innovating maker's new model is 1.1 x its old one (imitation off): the bars decide.
SURE_JUMP = {
    "innovation.jump_support": [0.1, 0.1],
    "innovation.imitation_enabled": False,
    "innovation.first_set_margin": 0.02,
    "innovation.domestic_frontier_gap": 0.18,
    "innovation.foreign_frontier_gap": 0.3,
}


def _listing(base, *, domestic: float, foreign: float, effort: float = 100.0) -> tuple[int, bool]:
    """Level and listing of the new model of the only live maker of its niche (model 1.0).

    ``domestic`` and ``foreign`` are the frontiers its new model (1.1) must beat by the 2%
    margin: the other provinces' best and the world's, set through the representative
    other-province and import models and their gaps.
    """
    h = Hand(base, SURE_JUMP)
    st, eng = h.st, h.eng
    (slot,) = h.only(h.mt(1, segment=1))
    h.set("model_productivity", [slot], 1.0)
    h.set("output_real", [slot], 1.0)
    st.rd_real_history[:, slot, :] = effort  # R&D effort 100: innovation is certain
    g = 1
    st.outside_productivity[:, eng.other_model_of_segment[g]] = domestic / 1.18
    st.outside_productivity[:, eng.import_model_of_segment[g]] = foreign / 1.3
    rules.innovate_and_imitate(h.eng)
    levels = set(st.model_first_set_level[:, slot].tolist())
    assert len(levels) == 1, levels
    listed = st.first_set_recognised[:, slot]
    assert (listed == st.model_recognised[:, slot]).all()
    assert (listed == st.model_first_set[:, slot]).all()
    return levels.pop(), bool(listed.all())


@pytest.mark.parametrize(
    ("domestic", "foreign", "level"),
    [
        (1.0, 1.2, 2),  # beats every domestic model by the margin, not the world's
        (1.0, 1.0, 3),  # beats the world's best too: an international first
        (1.07, 1.0, 3),  # the world's best is below China's: beating China's beats it too
        (1.09, 0.5, 1),  # the world bar is at least the domestic one: still provincial
        (1.09, 1.2, 1),  # not China's best by the margin (1.09 x 1.02 > 1.1): provincial
        (0.5, 0.5, 3),
    ],
)
def test_first_set_level_is_by_whom_the_new_model_beats(base, domestic, foreign, level) -> None:
    assert _listing(base, domestic=domestic, foreign=foreign) == (level, True)


def _imitation(
    base, gamma: float, sector: str, size_m_yuan: float, jump: float | None = None
) -> np.ndarray:
    """One imitation round in a sector whose every slot is live: even slots at level 2.0,
    odd slots at 1.0 with imitation certain (R&D effort 1e6) and last year's revenue
    ``size_m_yuan`` per real firm; innovation off, or (``jump``) certain with that jump.
    Returns the odd slots' levels after it (R, odd slots)."""
    innovation = {"innovation.enabled": False}
    if jump is not None:
        innovation = {"innovation.jump_support": [jump, jump], "innovation.first_set_margin": 0.5}
    h = Hand(
        base,
        {
            **innovation,
            "innovation.cluster_peer_probability": 0.0,  # a peer of its sector
            "innovation.imitation_size_elasticity": gamma,
        },
    )
    st, lay = h.st, h.lay
    s = [x.id for x in h.eng.region.sector].index(sector)
    slots = h.only(np.arange(lay.sector_start[s], lay.sector_start[s] + lay.sector_size[s]))
    name = "model_productivity" if sector == "machine_tools" else "process_productivity"
    leaders, imitators = slots[0::2], slots[1::2]
    h.set(name, leaders, 2.0)
    h.set(name, imitators, 1.0)
    h.set("revenue", imitators, h.real(size_m_yuan))
    st.rd_real_history[:, leaders, :] = 0.0
    st.rd_real_history[:, imitators, :] = h.real(1e6)
    rules.innovate_and_imitate(h.eng)
    return getattr(st, name)[:, imitators]


@pytest.mark.parametrize(
    ("gamma", "size_m_yuan", "reached"),
    [
        (0.0, 160.0, 2.0),  # the K+S firm copies its peer whole, whatever its size
        (0.5, 20.0, 2.0),  # at the above-scale threshold: the whole gap
        (0.5, 10.0, 2.0),  # below it too (the share is capped at one)
        (0.5, 160.0, 1.0 + 8.0**-0.5),  # 8 x the threshold: 8^-0.5 of the gap
        (1.0, 80.0, 1.25),  # 4 x the threshold at gamma 1: a quarter of the gap
    ],
)
def test_imitation_closes_a_share_of_the_gap_falling_with_size(
    base, gamma, size_m_yuan, reached
) -> None:
    levels = _imitation(base, gamma, "nev", size_m_yuan)
    # An imitator that drew a leader reached the share of the gap; one that drew another
    # imitator stayed (every draw is the same whatever gamma: the counters do not move).
    moved = levels != 1.0
    assert moved.sum() > 10 and (~moved).sum() > 10
    np.testing.assert_allclose(levels[moved], reached, rtol=1e-12)


def test_imitation_closes_the_gap_from_the_start_of_year_level(base) -> None:
    # Innovation takes the imitators from 1.0 to 1.1 too; the imitation closes a quarter of
    # the gap from 1.0 (to 1.25), not from 1.1 (1.325), and the better of the two is kept.
    levels = _imitation(base, 1.0, "nev", 80.0, jump=0.1)
    assert set(np.unique(levels)) == {1.1, 1.25}
    assert (levels == 1.25).sum() > 10


@pytest.mark.parametrize("local", [0.0, 1.0])  # a peer of the sector, of the cluster
def test_an_imitator_finds_its_peer_among_the_live_firms_however_many_slots_are_free(
    base, local
) -> None:
    # Two live firms in a sector of many slots, one ahead: with imitation certain, the other
    # always finds it (free slots are not peers), and the leader has no one ahead to copy.
    h = Hand(
        base,
        {"innovation.enabled": False, "innovation.cluster_peer_probability": local},
    )
    st, lay = h.st, h.lay
    s = [x.id for x in h.eng.region.sector].index("nev")
    cl = int(lay.cluster_of[lay.sector_start[s]])
    leader, imitator = h.only(lay.cluster_start[cl] + np.array([3, 7]))
    assert lay.cluster_size[cl] > 20
    h.set("process_productivity", [leader], 2.0)
    h.set("process_productivity", [imitator], 1.0)
    h.set("revenue", [leader, imitator], h.real(20.0))
    st.rd_real_history[:, [leader, imitator], :] = h.real(1e6)
    rules.innovate_and_imitate(h.eng)
    np.testing.assert_array_equal(st.process_productivity[:, imitator], 2.0)
    np.testing.assert_array_equal(st.process_productivity[:, leader], 2.0)


def test_a_peer_is_another_live_firm_each_as_likely() -> None:
    from model.economy.rules.innovation import _other_live_firm

    alive = np.zeros(40, dtype=bool)
    alive[[2, 5, 6, 11, 30, 39]] = True
    live_list = np.flatnonzero(alive)
    live_before = np.r_[0, np.cumsum(alive)]
    # The block [4, 31) holds live firms 5, 6, 11 and 30; firm 6 draws among 5, 11 and 30.
    us = (np.arange(3000) + 0.5) / 3000
    peers = np.array([_other_live_firm(live_list, live_before, 4, 31, 6, u) for u in us])
    values, counts = np.unique(peers, return_counts=True)
    assert values.tolist() == [5, 11, 30]
    assert counts.tolist() == [1000, 1000, 1000]
    assert _other_live_firm(live_list, live_before, 4, 31, 6, np.nextafter(1.0, 0.0)) == 30
    # Alone in its block: no peer.
    assert _other_live_firm(live_list, live_before, 0, 4, 2, 0.5) == -1


def test_a_peer_search_is_uniform_and_keeps_twins_coupled() -> None:
    from model.economy.rules.innovation import PEER_SLOT_DRAWS, _peer
    from model.economy.streams import STRIDE

    # The slot draws and the list pick fit in a slot's counters after the attempt and the
    # local-or-sector draw.
    assert 2 + PEER_SLOT_DRAWS + 1 <= STRIDE
    alive = np.zeros(40, dtype=bool)
    alive[[1, 2, 5, 6, 9, 11, 14, 17, 20, 23, 26, 30, 33, 36, 39]] = True
    n = 6
    slots = np.arange(40)

    def peers(alive: np.ndarray) -> np.ndarray:
        live_list = np.flatnonzero(alive)
        live_before = np.r_[0, np.cumsum(alive)]
        return np.array(
            [
                _peer(alive, live_list, live_before, 0, 40, 0, 40, slots, n, np.uint64(key), 2)
                for key in range(1, 14_001)
            ]
        )

    before = peers(alive)
    values, counts = np.unique(before, return_counts=True)
    assert values.tolist() == [j for j in np.flatnonzero(alive) if j != n]
    expected = len(before) / 14
    assert np.all(np.abs(counts - expected) < 4 * np.sqrt(expected)), counts
    # A twin in which one other firm has exited: every search that did not end at it ends at
    # the same peer (a pick by rank among the live firms would shift many).
    twin = alive.copy()
    twin[20] = False
    after = peers(twin)
    kept = before != 20
    np.testing.assert_array_equal(after[kept], before[kept])
    assert not (after == 20).any()
    # A layout that opens part of the block's slots (every live one among them): the slots
    # are drawn in the full block and mapped, so each search ends at the same firm.
    opened = np.r_[0:12, 14:15, 17:18, 20:27, 30:31, 33:34, 36:40]
    assert alive[opened].sum() == alive.sum()
    position = np.full(40, -1)
    position[opened] = np.arange(len(opened))
    part = alive[opened]
    live_list, live_before = np.flatnonzero(part), np.r_[0, np.cumsum(part)]
    mine = int(position[n])
    on_part = np.array(
        [
            _peer(
                part,
                live_list,
                live_before,
                0,
                len(opened),
                0,
                40,
                position,
                mine,
                np.uint64(key),
                2,
            )
            for key in range(1, 14_001)
        ]
    )
    np.testing.assert_array_equal(opened[on_part], before)


def test_a_maker_copies_its_peers_model_whole(base) -> None:
    whole = _imitation(base, 0.0, "machine_tools", 160.0)
    assert (whole == 2.0).sum() > 3, "no maker drew a leader of its segment"
    np.testing.assert_array_equal(_imitation(base, 1.0, "machine_tools", 160.0), whole)


def test_a_model_is_listed_in_the_year_it_appears_only(base) -> None:
    # Not new (no R&D, no innovation): nothing is listed, and last year's listing is gone.
    h = Hand(base, SURE_JUMP)
    st = h.st
    (slot,) = h.only(h.mt(1, segment=1))
    h.set("first_set_recognised", [slot], True)
    h.set("model_first_set", [slot], True)
    st.rd_real_history[:, slot, :] = 0.0
    rules.innovate_and_imitate(h.eng)
    assert not st.first_set_recognised[:, slot].any()
    assert st.model_first_set[:, slot].all(), "the old first set stays one"


def test_a_first_set_is_listed_without_any_sale(base) -> None:
    h = Hand(base, SURE_JUMP)
    st = h.st
    (slot,) = h.only(h.mt(1, segment=1))
    h.set("model_productivity", [slot], 1.0)
    h.set("output_real", [slot], 1.0)
    st.rd_real_history[:, slot, :] = 100.0
    rules.innovate_and_imitate(h.eng)
    assert st.first_set_recognised[:, slot].all()
    h.set("national_share", [slot], 0.0)
    h.set("export_share", [slot], 0.0)
    h.set("orders_inside", [slot], 0.0)
    rules.produce(h.eng)
    assert st.first_set_recognised[:, slot].all() and st.model_unproven[:, slot].all()


def test_first_set_proven_only_by_sales_to_zhejiang_users(base) -> None:
    """Zhejiang's reward counts the user's first sets: sales outside the province prove nothing."""
    h = Hand(base)
    (slot,) = h.mt(1, segment=1)
    st = h.st
    st.alive[:, slot] = True
    h.set("model_first_set", [slot], True)
    h.set("model_unproven", [slot], True)
    h.set("model_recognised", [slot], False)
    h.set("model_sets_sold", [slot], 0.0)
    h.set("national_share", [slot], 0.5)  # half the segment's national demand: many sets
    h.set("orders_inside", [slot], 0.0)
    rules.produce(h.eng)
    assert (st.sales_outside[:, slot] > h.real(3 * 0.6)).all(), (
        "the test needs sizeable outside sales"
    )
    assert (st.model_sets_sold[:, slot] == 0).all()
    assert st.model_unproven[:, slot].all() and not st.first_set_recognised[:, slot].any()


def _first_set_firm(h: Hand, slot: int, *, age: int, sales_m: float, level: int) -> None:
    h.set("model_first_set", [slot], level > 0)
    h.set("model_first_set_level", [slot], level)
    h.set("model_unproven", [slot], level > 0)
    h.set("model_vintage", [slot], YEAR - age)
    h.set("orders_inside", [slot], h.real(sales_m))
    h.set("sales_outside", [slot], 0.0)


def _gov_share(h: Hand, slot: int, sales_m: float) -> tuple[bool, float, int]:
    """Eligible, government share of the premium (claim / insured value), payer (replicate 0)."""
    eligible, claim, payer = h.policy.first_set.claims(h.eng)
    insured = min(h.real(sales_m), h.real(h.policy.first_set.params.insured_value_cap_m_yuan))
    return bool(eligible[0, slot]), float(claim[0, slot] / insured), int(payer[0, slot])


N, P = NATIONAL_LEVEL, PROVINCIAL_LEVEL
COVER_90 = {"provincial_cover_domestic_by_year": [0.9, 0.8, 0.7]}


@pytest.mark.parametrize(
    ("overrides", "level", "age", "share", "payer"),
    [
        # Defaults, premium 3%. First in China: national 80% x min(3%, 3%) = 2.4% beats
        # Zhejiang's domestic-first 80% x 2% = 1.6%; years 1-3 only.
        ({}, N, 0, 0.8 * 0.03, CENTRAL),
        ({}, N, 2, 0.8 * 0.03, CENTRAL),
        ({}, N, 3, 0.0, None),
        # First in Zhejiang only: no national support; Zhejiang 70/60/50% x 2%.
        ({}, P, 0, 0.7 * 0.02, PROVINCIAL),
        ({}, P, 2, 0.5 * 0.02, PROVINCIAL),
        ({}, P, 3, 0.0, None),
        ({}, 0, 0, 0.0, None),  # not a first set
        # Premium 2%, Zhejiang 90/80/70% for a domestic first: 1.8% beats national 1.6% in
        # year 1; a tie in year 2 goes to the national scheme; national wins year 3.
        ({"premium_rate": 0.02, **COVER_90}, N, 0, 0.9 * 0.02, PROVINCIAL),
        ({"premium_rate": 0.02, **COVER_90}, N, 1, 0.8 * 0.02, CENTRAL),
        ({"premium_rate": 0.02, **COVER_90}, N, 2, 0.8 * 0.02, CENTRAL),
        # A premium above both caps: each scheme covers only up to its cap.
        ({"premium_rate": 0.05}, N, 0, 0.8 * 0.03, CENTRAL),
        ({"premium_rate": 0.05, "national_insurance": False}, N, 0, 0.8 * 0.02, PROVINCIAL),
        ({"premium_rate": 0.05, "national_insurance": False}, N, 2, 0.6 * 0.02, PROVINCIAL),
        ({"premium_rate": 0.05, "provincial_insurance": False}, N, 0, 0.8 * 0.03, CENTRAL),
        ({"premium_rate": 0.05, "provincial_insurance": False}, P, 0, 0.0, None),
        ({"premium_rate": 0.05}, P, 1, 0.6 * 0.02, PROVINCIAL),
        # Not combinable, never above the premium: 100% + 100% covers the premium once.
        (
            {
                "premium_rate": 0.015,
                "national_cover": 1.0,
                "provincial_cover_domestic_by_year": [1.0, 1.0, 1.0],
            },
            N,
            0,
            0.015,
            CENTRAL,
        ),
    ],
)
def test_first_set_government_premium_share(base, overrides, level, age, share, payer) -> None:
    h = Hand(base, {f"instruments.first_set.{k}": v for k, v in overrides.items()})
    (slot,) = h.only(h.mt(1))
    _first_set_firm(h, slot, age=age, sales_m=10.0, level=level)
    eligible, got, got_payer = _gov_share(h, slot, 10.0)
    assert got == pytest.approx(share, rel=1e-12), (
        f"government share {got:.6g}, expected {share:.6g}"
    )
    premium = h.policy.first_set.params.premium_rate
    assert got <= premium + 1e-15, f"government share {got} above the premium rate {premium}"
    assert eligible == (share > 0)
    if payer is not None:
        assert got_payer == payer, f"payer {PAYERS[got_payer]}, expected {PAYERS[payer]}"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        # Lists of different lengths would leave some years undefined: refused at load.
        ({"provincial_cover_by_year": [0.7, 0.6]}, "same (non-zero) number of years"),
        # A cover above 100% of the premium is refused (combined cover never exceeds 100%).
        ({"provincial_cover_by_year": [1.5, 1.5, 1.5]}, "every cover must be in [0, 1]"),
        ({"budget_bn_yuan": {"centrl": 1.0}}, "unknown payer"),
    ],
)
def test_first_set_bad_cover_lists_are_refused(base, overrides, message) -> None:
    with pytest.raises(ScenarioError) as err:
        resolve(
            base.scenario_params,
            overrides={f"instruments.first_set.{k}": v for k, v in overrides.items()},
        )
    assert "instruments.first_set" in str(err.value)
    assert message in str(err.value)


def test_first_set_claims_capped(base) -> None:
    """Insured value <= 30 m yuan per model a year; Zhejiang's compensation <= its cap per model."""
    h = Hand(
        base,
        {
            "instruments.first_set.premium_rate": 0.02,
            "instruments.first_set.provincial_cover_domestic_by_year": [0.9, 0.8, 0.7],
            "instruments.first_set.provincial_cap_m_yuan": 0.2,
            "instruments.first_set.budget_bn_yuan": {"central": 100.0, "provincial": 100.0},
        },
    )
    nat, prov, small = h.mt(3)
    h.only([nat, prov, small])
    _first_set_firm(h, nat, age=1, sales_m=50.0, level=N)  # national 1.6%: 0.016 x 30 = 0.48
    _first_set_firm(h, prov, age=0, sales_m=50.0, level=N)  # Zhejiang 1.8% x 30 = 0.54 -> cap 0.2
    _first_set_firm(
        h, small, age=0, sales_m=5.0, level=N
    )  # Zhejiang 1.8% x 5 = 0.09, under the cap
    eligible, claim, payer = h.policy.first_set.claims(h.eng)
    np.testing.assert_allclose(claim[:, nat], h.real(0.016 * 30.0), rtol=1e-12)
    np.testing.assert_allclose(claim[:, prov], h.real(0.2), rtol=1e-12)
    np.testing.assert_allclose(claim[:, small], h.real(0.018 * 5.0), rtol=1e-12)
    paid = h.policy.first_set.pay(h.eng)
    by_payer = h.policy.first_set.paid_by_payer[-1]
    np.testing.assert_allclose(by_payer[:, CENTRAL], paid[:, nat], rtol=1e-12)
    np.testing.assert_allclose(by_payer[:, PROVINCIAL], paid[:, prov] + paid[:, small], rtol=1e-12)
    assert (by_payer[:, COUNTY] == 0).all()


def test_first_set_budgets_by_payer(base) -> None:
    """Each payer's claims are rationed against that payer's budget only."""
    h = Hand(
        base,
        {
            "instruments.first_set.budget_bn_yuan": {
                "central": 100.0,
                "provincial": 0.0001,
            },  # 0.1 m yuan
        },
    )
    nat, prov = h.mt(2)
    h.only([nat, prov])
    _first_set_firm(h, nat, age=1, sales_m=30.0, level=N)
    _first_set_firm(h, prov, age=0, sales_m=30.0, level=P)
    paid = h.policy.first_set.pay(h.eng)
    np.testing.assert_allclose(paid[:, nat], h.real(0.024 * 30.0), rtol=1e-12)
    np.testing.assert_allclose(paid[:, prov], 0.1, rtol=1e-12)
    np.testing.assert_allclose(h.policy.first_set.ledger["budget"][-1], 100_000.0 + 0.1, rtol=1e-12)


@pytest.mark.parametrize("provincial_bn", [0.0001, 0.0])
def test_buyers_expect_the_share_a_rationed_budget_paid(base, provincial_bn) -> None:
    """The insured discount buyers see is the payer's share as far as its budget paid it
    last year (and none from a payer without a budget this year)."""
    h = Hand(
        base,
        {"instruments.first_set.budget_bn_yuan": {"central": 100.0, "provincial": provincial_bn}},
    )
    nat, prov = h.mt(2)
    h.only([nat, prov])
    _first_set_firm(h, nat, age=1, sales_m=30.0, level=N)
    _first_set_firm(h, prov, age=0, sales_m=30.0, level=P)
    fs = h.policy.first_set
    fs.pay(h.eng)
    # 0.1 m yuan of the province's 70% x 2% x 30 m claim was paid; the centre paid in full.
    fill = provincial_bn * 1e3 / h.real(0.7 * 0.02 * 30.0)
    np.testing.assert_allclose(fs.fill_by_payer[:, PROVINCIAL], fill, rtol=1e-12)
    mult = fs.adjust_risk_multiplier(h.eng, h.eng.risk_multiplier_base())
    premium = h.eng.scenario.innovation.unproven_risk_premium
    p = fs.params
    kept = premium * (1.0 - p.premium_to_risk)
    np.testing.assert_allclose(mult[:, nat], 1.0 + kept + p.premium_rate - 0.8 * 0.03, rtol=1e-12)
    if provincial_bn > 0:
        expected = 1.0 + kept + p.premium_rate - 0.7 * 0.02 * fill
    else:
        expected = 1.0 + premium  # no share expected: the model is not insured
    np.testing.assert_allclose(mult[:, prov], expected, rtol=1e-12)


def test_no_share_is_expected_from_a_payer_without_a_budget(base) -> None:
    """Whatever a payer paid last year, nothing is expected from it in a year it has no budget."""
    h = Hand(base, {"instruments.first_set.budget_bn_yuan": {"central": 1.0, "provincial": 0.0}})
    fs = h.policy.first_set
    fs.fill_by_payer = np.ones((h.eng.R, len(PAYERS)))
    fill = fs.expected_fill(h.eng)
    np.testing.assert_array_equal(fill[:, PROVINCIAL], 0.0)
    np.testing.assert_array_equal(fill[:, CENTRAL], 1.0)


def test_the_fill_carries_over_into_the_plan_and_its_forks(base) -> None:
    """The spin-up's last payments set what buyers expect in the plan's first year, and a
    fork continues with the fill of the model it continues."""
    spun = base.policy.first_set.fill_by_payer
    assert spun is not None  # the status quo's insurance paid in the spin-up
    h = Hand(base)
    np.testing.assert_array_equal(h.policy.first_set.fill_by_payer, spun)


def _procure(
    base: RegionModel,
    pool_segment: int,
    *,
    own_cost: float,
    saving: float = 0.05,
    operating: float = 0.0,
    provincial_fill: float = 1.0,
    **over,
) -> tuple[Hand, np.ndarray, np.ndarray, np.ndarray]:
    """Every SOE buyer live and provincial; unproven first sets only in ``pool_segment``.

    The buyers' costs: every candidate costs 100 but the pool's second, 90, of which
    ``operating`` is operating cost (the rest capital); the model each buyer chose costs
    ``own_cost`` (all capital). Last year the provincial budget paid ``provincial_fill`` of
    its claims (the central budget all of its).
    """
    settings = {
        "instruments.first_set.provincial_soe_share": 1.0,
        "instruments.first_set.single_source_saving": saving,
        "instruments.first_set.application_reward_share": 0.0,  # the route alone
        **{f"instruments.first_set.{k}": v for k, v in over.items()},
    }
    h = Hand(base, settings, year=RD_YEAR)  # the route opens with the plan, in 2025
    st, lay = h.st, h.lay
    pool = lay.segment_slots[pool_segment]
    st.model_unproven[:] = False
    st.model_first_set[:] = False
    st.alive[:, pool] = True
    st.model_unproven[:, pool] = True
    st.model_first_set[:, pool] = True
    # One SOE buyer of the pool's segment dead in replicate 0: it must not be redirected.
    soe = np.flatnonzero(lay.soe)
    st.alive[:, soe] = True
    st.alive[0, soe[lay.buy_segment[soe] == pool_segment][0]] = False
    choice = np.full(st.alive.shape, lay.n_slots, dtype=np.int64)  # everyone picked outside model 0
    cheap = pool[1]

    def cost(rows, buyers, columns):
        total = np.where(columns == cheap, 90.0, np.where(columns >= lay.n_slots, own_cost, 100.0))
        run = np.where(columns == cheap, operating, 0.0)
        return total - run, run

    fill = np.ones((h.eng.R, len(PAYERS)))
    fill[:, PROVINCIAL] = provincial_fill
    h.policy.first_set.fill_by_payer = fill
    out = h.policy.first_set.override_choices(h.eng, choice.copy(), cost)
    return h, choice, out, pool


@pytest.mark.parametrize("segment", [0, 1])
def test_provincial_soes_buy_the_cheapest_first_set_where_it_pays(base, segment) -> None:
    # 90 less the 5% tender saved is 85.5, below the 95 the buyers' own choices cost.
    h, choice, out, pool = _procure(base, pool_segment=segment, own_cost=95.0)
    lay, st = h.lay, h.st
    buyers = lay.soe & (lay.buy_segment == segment)
    assert buyers.sum() >= 3, f"too few SOE buyers of segment {segment} for the test"
    for r in range(len(REPLICATES)):
        who = np.flatnonzero(buyers & st.alive[r])
        assert (out[r, who] == pool[1]).all(), f"replicate {r}: {out[r, who]}"
        rest = ~(buyers & st.alive[r])
        np.testing.assert_array_equal(
            out[r, rest], choice[r, rest], err_msg="a non-SOE or dead buyer was redirected"
        )


@pytest.mark.parametrize(
    ("own_cost", "saving", "switch"),
    [(85.5, 0.05, True), (85.4, 0.05, False), (90.0, 0.0, True), (89.9, 0.0, False)],
)
def test_the_route_is_taken_only_when_it_pays(base, own_cost, saving, switch) -> None:
    h, choice, out, pool = _procure(base, pool_segment=0, own_cost=own_cost, saving=saving)
    moved = out != choice
    assert moved.any() == switch
    if switch:
        assert (out[moved] == pool[1]).all()


def test_the_route_saves_on_the_purchase_not_on_running_costs(base) -> None:
    # 90 = 50 of capital + 40 of operating cost: 5% of 50 saved gives 87.5 > 87.
    _, choice, out, _ = _procure(base, pool_segment=0, own_cost=87.0, operating=40.0)
    np.testing.assert_array_equal(out, choice)
    _, choice, out, pool = _procure(base, pool_segment=0, own_cost=87.5, operating=40.0)
    assert (out != choice).any() and (out[out != choice] == pool[1]).all()


def test_no_single_source_where_the_route_is_closed(base) -> None:
    _, choice, out, _ = _procure(base, pool_segment=0, own_cost=1e9, soe_single_source=False)
    np.testing.assert_array_equal(out, choice)
    # Nor before the plan's first year.
    _, choice, out, _ = _procure(base, pool_segment=0, own_cost=1e9, single_source_first_year=2026)
    np.testing.assert_array_equal(out, choice)


def test_only_provincial_soes_may_take_the_route(base) -> None:
    _, choice, out, _ = _procure(base, pool_segment=0, own_cost=1e9, provincial_soe_share=0.0)
    np.testing.assert_array_equal(out, choice)
    # A share of the SOEs are provincial: drawn once, the same whatever the year.
    h = Hand(base, {"instruments.first_set.provincial_soe_share": 0.3})
    mine = h.policy.first_set.provincial_soe(h.eng)
    soe = h.lay.soe
    assert not (mine & ~soe).any()
    n = mine[:, soe].size
    assert abs(mine[:, soe].mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n), (n, mine[:, soe].mean())
    later = Hand(base, {"instruments.first_set.provincial_soe_share": 0.3}, year=YEAR + 2)
    np.testing.assert_array_equal(later.policy.first_set.provincial_soe(later.eng), mine)


def test_soe_route_only_to_models_of_the_buyers_segment(base) -> None:
    """Unproven models only in the economy segment: other segments' SOE buyers keep their choice."""
    h, choice, out, pool = _procure(base, pool_segment=0, own_cost=1e9)
    lay = h.lay
    other = lay.soe & (lay.buy_segment != 0)
    assert other.sum() >= 3, "too few SOE buyers outside the economy segment for the test"
    np.testing.assert_array_equal(out[:, other], choice[:, other])


def test_a_free_route_draws_provincial_soes_in_the_investment_rule(base) -> None:
    """Through the real investment rule: a route that saves the whole price draws most
    provincial SOE buyers, and far more of them than buyers it is not open to.

    (Not every one: the route saves the price, not the machine's operating cost, so a buyer
    whose own choice runs much cheaper keeps it.)
    """
    h = Hand(
        base,
        {
            "instruments.first_set.single_source_saving": 1.0,
            "instruments.first_set.provincial_soe_share": 1.0,
        },
        year=RD_YEAR,
    )
    st, lay = h.st, h.lay
    pool = lay.segment_slots[1]
    st.model_unproven[:] = False
    st.model_first_set[:] = False
    st.model_unproven[:, pool[:3]] = True
    st.model_first_set[:, pool[:3]] = True
    st.alive[:, pool[:3]] = True
    rules.invest(h.eng)
    # (buyers that bought machines this year: one that did not invest chose nothing)
    bought = st.alive & (lay.buy_segment == 1) & (st.machine_purchases > 0)
    mine = h.policy.first_set.provincial_soe(h.eng) & bought
    assert mine.sum() >= 3
    took = np.isin(st.machine_choice[mine], pool[:3]).mean()
    others = bought & ~h.policy.first_set.provincial_soe(h.eng)
    took_otherwise = np.isin(st.machine_choice[others], pool[:3]).mean()
    assert took >= 0.75 and took > took_otherwise + 0.5, (took, took_otherwise)


def test_soe_buyers_spread_over_segments() -> None:
    """SOE ownership is laid out independently of the segment a buyer shops in."""
    from model.economy.layout import build_layout

    lay = build_layout(resolve(PLAN, overrides={"market.firm_scale": 0.1}))
    assert lay.soe.sum() > 100
    counts = np.bincount(lay.buy_segment[lay.soe], minlength=3)
    overall = np.bincount(lay.buy_segment, minlength=3) / lay.n_slots
    assert (counts > 0).all(), f"SOE buyers per segment (economy, mid, high): {counts.tolist()}"
    np.testing.assert_allclose(
        counts / counts.sum(), overall, atol=0.1, err_msg="SOEs concentrated in a segment"
    )


def test_risk_multiplier(base) -> None:
    """Insured unproven < uninsured unproven (1 + premium); proven models 1."""
    h = Hand(base)
    insured, prov, old, proven, plain = h.mt(5)
    h.only([insured, prov, old, proven, plain])
    _first_set_firm(h, insured, age=0, sales_m=10.0, level=N)
    _first_set_firm(h, prov, age=0, sales_m=10.0, level=P)
    _first_set_firm(
        h, old, age=3, sales_m=10.0, level=N
    )  # past every scheme's years, still unproven
    _first_set_firm(h, proven, age=0, sales_m=10.0, level=N)
    h.set("model_unproven", [proven], False)
    _first_set_firm(h, plain, age=0, sales_m=10.0, level=0)
    mult = h.policy.first_set.adjust_risk_multiplier(h.eng, h.eng.risk_multiplier_base())
    premium = h.eng.scenario.innovation.unproven_risk_premium
    p = h.policy.first_set.params
    kept = premium * (1.0 - p.premium_to_risk)
    np.testing.assert_allclose(
        mult[:, insured], 1.0 + kept + (p.premium_rate - 0.8 * 0.03), rtol=1e-12
    )
    np.testing.assert_allclose(
        mult[:, prov], 1.0 + kept + (p.premium_rate - 0.7 * 0.02), rtol=1e-12
    )
    np.testing.assert_allclose(mult[:, old], 1.0 + premium, rtol=1e-12)
    np.testing.assert_allclose(mult[:, [proven, plain]], 1.0)
    assert (mult[:, insured] < mult[:, prov]).all() and (mult[:, prov] < mult[:, old]).all()
    # Without the instrument the insured model carries the full premium.
    off = Hand(base, {"instruments.first_set.enabled": False})
    off.st.alive[:] = h.st.alive
    for name in ("model_first_set", "model_first_set_level", "model_unproven", "model_vintage"):
        getattr(off.st, name)[:] = getattr(h.st, name)
    np.testing.assert_allclose(
        off.policy.risk_multiplier(off.eng, off.eng.risk_multiplier_base())[:, insured],
        1.0 + premium,
        rtol=1e-12,
    )


# --------------------------------------------------------------------- dataset level


def test_subsidy_by_payer_per_instrument(plan_run: xr.Dataset) -> None:
    ds = plan_run
    paid, by_payer = ds["subsidy_paid"], ds["subsidy_by_payer"]
    assert float(paid.sel(instrument="rd_bonus").sum()) > 0, "the plan paid no R&D bonus"
    assert float(paid.sel(instrument="first_set").sum()) > 0, "the plan paid no first-set insurance"
    assert float(paid.sel(instrument="renewal_loans").sum()) > 0, "the plan paid no renewal subsidy"
    diff = abs(by_payer.sum("payer") - paid)
    assert float(diff.max()) <= 1e-12 * float(paid.max()), (
        f"by payer != paid, worst {float(diff.max())}"
    )
    # Who pays: the county the R&D bonus, central and province the insurance, central the loans.
    assert float(by_payer.sel(instrument="rd_bonus", payer=["central", "provincial"]).sum()) == 0
    assert float(by_payer.sel(instrument="first_set", payer="county").sum()) == 0
    assert (
        float(by_payer.sel(instrument="renewal_loans", payer=["provincial", "county"]).sum()) == 0
    )


def test_subsidy_within_budget(plan_run: xr.Dataset) -> None:
    import model

    ds = plan_run
    sc = model.load_scenario(PLAN)
    paid, budget = ds["subsidy_paid"], ds["budget"]
    finite = np.isfinite(budget)
    assert bool(finite.sel(instrument=["rd_bonus", "first_set"]).all())
    assert bool((~finite.sel(instrument="renewal_loans")).all()), (
        "payments due on loans are honoured"
    )
    over = (paid - budget).where(finite)
    assert float(over.max()) <= 1e-12, f"paid above budget by {float(over.max())} bn yuan"
    fs = sc.instruments.first_set.budget_bn_yuan
    for payer in ("central", "provincial"):
        b = np.array([fs[payer].at(int(y)) for y in ds["year"].values])
        got = ds["subsidy_by_payer"].sel(instrument="first_set", payer=payer)
        assert bool((got <= b + 1e-12).all()), f"first-set {payer} paid above its budget {b}"
    rb = np.array([sc.instruments.rd_bonus.budget_bn_yuan.at(int(y)) for y in ds["year"].values])
    np.testing.assert_allclose(
        budget.sel(instrument="rd_bonus").values, np.tile(rb, (ds.sizes["replicate"], 1))
    )
    # Renewal commitments are rationed against the pool: no commitments once the pool is 0
    # (2027 on), and the last payments fall due in the year after (subsidy_years = 2).
    late = paid.sel(instrument="renewal_loans", year=slice(2028, None))
    assert float(late.sum()) == 0, "renewal subsidy paid two years after the pool closed"


def test_public_cost_by_payer(plan_run: xr.Dataset) -> None:
    ds = plan_run
    cost = ds["public_cost"]
    subsidies = ds["subsidy_by_payer"].sum("instrument")
    cit = (ds["tax_expenditure_super_deduction"] + ds["tax_expenditure_high_tech"]).sum("sector")
    vat = ds["tax_expenditure_vat_credit"].sum("sector")
    tax_exp = cit + vat
    scale = float(cost.max())
    # Tax expenditures by the tax-sharing rules of the region file (CIT 60 : 40, VAT 50 : 50
    # centre : local; a fifth of the local part to the province).
    sharing = {"central": (0.6, 0.5), "provincial": (0.08, 0.1), "county": (0.32, 0.4)}
    for payer in ("provincial", "county"):
        own = subsidies.sel(payer=payer) + sharing[payer][0] * cit + sharing[payer][1] * vat
        d = abs(cost.sel(payer=payer) - own)
        assert float(d.max()) <= 1e-12 * scale, f"{payer} public cost != its subsidies and taxes"
    central = subsidies.sel(payer="central") + 0.6 * cit + 0.5 * vat + ds["relending_cost"]
    assert float(abs(cost.sel(payer="central") - central).max()) <= 1e-12 * scale
    total = ds["subsidy_paid"].sum("instrument") + tax_exp + ds["relending_cost"]
    assert float(abs(cost.sum("payer") - total).max()) <= 1e-12 * scale
    assert float(ds["relending_cost"].sum()) > 0 and float(tax_exp.sum()) > 0


# -------------------------------------------------------------------- first-set award


def _award_hand(base, **overrides) -> tuple[Hand, np.ndarray]:
    """Three makers of one segment whose models the province listed this year, one per level."""
    h = Hand(base, {f"instruments.first_set_award.{k}": v for k, v in overrides.items()})
    slots = h.only(h.mt(4, segment=1))
    for slot, level in zip(
        slots, (PROVINCIAL_LEVEL, NATIONAL_LEVEL, INTERNATIONAL_LEVEL, 0), strict=True
    ):
        h.set("first_set_recognised", [slot], level > 0)
        h.set("model_first_set_level", [slot], level)
        h.set("model_first_set", [slot], level > 0)
        h.set("rd_reported", [slot], h.real(10.0))
    return h, slots


def test_first_set_award_pays_each_listed_item_its_levels_amount(base) -> None:
    h, slots = _award_hand(base, budget_bn_yuan=10.0)
    eligible, claim, payer = h.policy.first_set_award.claims(h.eng)
    assert eligible[:, slots].tolist() == [[True, True, True, False]] * 2
    # 0.5 / 1 / 2 m yuan per real maker's item (FACTS.md E), each slot firm_weight makers.
    np.testing.assert_allclose(claim[:, slots], [[h.real(x) for x in (0.5, 1.0, 2.0, 0.0)]] * 2)
    assert (payer[:, slots] == PROVINCIAL).all()
    paid = h.policy.first_set_award.pay(h.eng)
    np.testing.assert_allclose(paid[:, slots], claim[:, slots], rtol=1e-12)
    # Next year a maker of the segment expects the segment's awards per yuan of its R&D.
    rate = h.policy.first_set_award.expected_rd_reward_rate(h.eng)
    expected = h.real(3.5) / h.real(40.0)
    np.testing.assert_allclose(rate[:, slots], expected, rtol=1e-12)
    other_segment = h.lay.segment_slots[0][0]
    assert (rate[:, other_segment] == 0.0).all() and (rate[:, h.user(1)] == 0.0).all()


def test_first_set_award_budget_rations_pro_rata(base) -> None:
    # 350 m yuan of claims per replicate at firm scale 0.01: a 0.35 bn fund pays every
    # claim, half of that half of each.
    h, slots = _award_hand(base)
    full = h.real(3.5) / 1000.0  # bn yuan claimed
    for budget, share in ((full, 1.0), (full / 2, 0.5)):
        h, slots = _award_hand(base, budget_bn_yuan=budget)
        paid = h.policy.first_set_award.pay(h.eng)
        np.testing.assert_allclose(
            paid[:, slots], [[share * h.real(x) for x in (0.5, 1.0, 2.0, 0.0)]] * 2, rtol=1e-12
        )


def test_first_set_award_only_from_its_first_year(base) -> None:
    h, slots = _award_hand(base, first_year=YEAR + 1)
    eligible, claim, _ = h.policy.first_set_award.claims(h.eng)
    assert not eligible.any() and not claim.any()
    assert h.policy.first_set_award.expected_rd_reward_rate(h.eng) == 0.0


def test_first_set_award_off_pays_and_promises_nothing(base) -> None:
    h, slots = _award_hand(base, enabled=False)
    assert not h.policy.first_set_award.pay(h.eng).any()
    assert h.policy.first_set_award.expected_rd_reward_rate(h.eng) == 0.0


# ------------------------------------------------------------ first-set application reward


def _application(base, purchase_m: float, *, unproven: bool = True, **over) -> tuple[Hand, int]:
    """A user buyer whose machines this year came from a first set (unproven or not)."""
    h = Hand(base, {f"instruments.first_set.{k}": v for k, v in over.items()})
    st = h.st
    rules.invest(h.eng)  # the year's purchases, then the buyer's hand-set over them
    maker = h.mt(1, segment=1)[0]
    (buyer,) = h.user(1)
    h.set("model_first_set", [maker], True)
    h.set("model_unproven", [maker], unproven)
    st.alive[:, [maker, buyer]] = True
    h.set("machine_choice", [buyer], maker)
    h.set("machine_purchases_in_region", [buyer], h.real(purchase_m))
    h.policy.first_set.after_investment(h.eng)
    return h, buyer


@pytest.mark.parametrize(
    ("purchase_m", "unproven", "reward_m"),
    [(12.0, True, 1.2), (10.0, True, 0.0), (12.0, False, 0.0), (30.0, True, 3.0)],
)
def test_application_reward_for_big_purchases_of_unproven_first_sets(
    base, purchase_m, unproven, reward_m
) -> None:
    # Over 10 m yuan (per real buyer) of one of the first sets (the model still unproven):
    # a tenth of the purchase, from the province.
    h, buyer = _application(base, purchase_m, unproven=unproven, application_reward_share=0.1)
    eligible, claim, payer = h.policy.first_set.claims(h.eng)
    np.testing.assert_allclose(claim[:, buyer], h.real(reward_m), rtol=1e-12)
    assert eligible[:, buyer].tolist() == [reward_m > 0] * 2
    if reward_m > 0:
        assert (payer[:, buyer] == PROVINCIAL).all()
    # The purchase is what the reward pays for (deadweight compares it with the twin's).
    expected = h.real(purchase_m) if unproven else 0.0
    np.testing.assert_allclose(h.policy.first_set.activity(h.eng)[:, buyer], expected)


def test_application_reward_only_in_its_sectors(base) -> None:
    h, buyer = _application(base, 20.0, application_sectors=["machine_tools"])
    _, claim, _ = h.policy.first_set.claims(h.eng)
    assert (claim[:, buyer] == 0).all()


def test_expected_application_reward_draws_big_buyers_to_first_sets(base) -> None:
    # No provincial SOEs: only the reward lowers the first set's cost, for buyers that bought
    # more than the threshold last year. 90 less 10% is 81 <= 85: they switch; others do not.
    h, choice, out, pool = _procure(
        base,
        pool_segment=0,
        own_cost=85.0,
        provincial_soe_share=0.0,
        application_reward_share=0.1,
        application_reward_cap_m_yuan=1e6,  # (the cap has its own test)
    )
    st, lay = h.st, h.lay
    big = h.policy.first_set.last_purchases > 10.0 * h.W
    buyers = st.alive & (lay.buy_segment == 0)
    assert (big & buyers).sum() >= 3, "too few big buyers in the economy segment"
    assert (out[big & buyers] == pool[1]).all()
    np.testing.assert_array_equal(out[~(big & buyers)], choice[~(big & buyers)])


@pytest.mark.parametrize(
    ("provincial_bn", "provincial_fill", "own_cost", "switch"),
    [
        # 90 less 10% x 0.5 is 85.5: above 85.4, at 85.5.
        (0.3, 0.5, 85.4, False),
        (0.3, 0.5, 85.5, True),
        # No provincial budget this year: no reward expected, whatever was paid last year,
        # and a buyer that expects none does not weigh first sets (not even at 90 < 1e9).
        (0.0, 1.0, 1e9, False),
    ],
)
def test_buyers_expect_the_reward_the_provincial_budget_paid(
    base, provincial_bn, provincial_fill, own_cost, switch
) -> None:
    """The application reward is the province's: buyers expect the share of it the provincial
    budget paid of its claims last year, as they expect the insurance share."""
    h, choice, out, pool = _procure(
        base,
        pool_segment=0,
        own_cost=own_cost,
        provincial_soe_share=0.0,
        application_reward_share=0.1,
        application_reward_cap_m_yuan=1e6,
        budget_bn_yuan={"central": 1.0, "provincial": provincial_bn},
        provincial_fill=provincial_fill,
    )
    big = h.policy.first_set.last_purchases > 10.0 * h.W
    buyers = big & h.st.alive & (h.lay.buy_segment == 0)
    assert buyers.sum() >= 3, "too few big buyers in the economy segment"
    if switch:
        assert (out[buyers] == pool[1]).all()
        np.testing.assert_array_equal(out[~buyers], choice[~buyers])
    else:
        np.testing.assert_array_equal(out, choice)


def test_application_reward_is_capped_per_buyer(base) -> None:
    # 10% of 80 m yuan would be 8 m; the cap is 5 m a buyer.
    h, buyer = _application(
        base, 80.0, application_reward_share=0.1, application_reward_cap_m_yuan=5.0
    )
    _, claim, _ = h.policy.first_set.claims(h.eng)
    np.testing.assert_allclose(claim[:, buyer], h.real(5.0), rtol=1e-12)
