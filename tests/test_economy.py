"""The economy of issue 16: firm sizes, the pool, exit and entry, titles and the markets.

Closed forms are checked against numerical integration or Monte Carlo; the exit and title
rules on hand-built firms of a real spun-up engine (as in tests/test_instruments.py); the
markets' mechanisms by orderings under common random numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

import model
from model import cli
from model.config.firm_sizes import (
    bounded_pareto_exponent,
    bounded_pareto_mean,
    bounded_pareto_quantile,
    region_size_exponent,
    sector_firm_counts,
)
from model.config.scenario import load_scenario, resolve
from model.economy import rules
from model.economy.sizes import pool_entry_rate
from model.economy.state import NEVER
from model.simulation.model import RegionModel
from model.testing import PLAN, fork_in_year, spun_up

# ---------------------------------------------------------------------- firm sizes


@pytest.mark.parametrize("alpha", [0.6, 1.0, 1.3, 2.5])
def test_bounded_pareto_mean_is_the_integral(alpha: float) -> None:
    low, high = 20.0, 3300.0
    norm = 1.0 - (low / high) ** alpha
    density = lambda x: alpha * low**alpha * x ** (-alpha - 1.0) / norm  # noqa: E731
    mean, _ = integrate.quad(lambda x: x * density(x), low, high, limit=200)
    assert bounded_pareto_mean(alpha, low, high) == pytest.approx(mean, rel=1e-8)


def test_bounded_pareto_exponent_and_quantile_round_trip() -> None:
    low, high = 20.0, 3320.0
    alpha = bounded_pareto_exponent(105.0, low, high)
    assert bounded_pareto_mean(alpha, low, high) == pytest.approx(105.0, rel=1e-10)
    u = (np.arange(200_000) + 0.5) / 200_000  # a fine grid of the quantiles
    x = bounded_pareto_quantile(u, alpha, low, high)
    assert x.min() >= low and x.max() <= high
    assert x.mean() == pytest.approx(105.0, rel=1e-3)
    with pytest.raises(ValueError, match="no Pareto exponent"):
        bounded_pareto_exponent(5_000.0, low, high)  # above what any tail can give


def test_sector_counts_add_up_and_hold_the_outputs() -> None:
    outputs = np.array([95e3, 1650e3, 3620e3])
    largest = np.array([3320.0, 325_110.0, 57_250.0])
    alpha, counts = sector_firm_counts(outputs, largest, 20.0, 30_000)
    assert sum(counts) == 30_000
    assert alpha == pytest.approx(region_size_exponent(outputs, largest, 20.0, 30_000))
    implied = [
        y / bounded_pareto_mean(alpha, 20.0, h) for y, h in zip(outputs, largest, strict=True)
    ]
    assert np.allclose(counts, implied, atol=1.0)


def test_the_region_file_sizes_its_firms() -> None:
    region = load_scenario(PLAN).region
    assert sum(region.firm_counts) == region.base_year.n_firms_above_scale
    assert 0.9 < region.size_exponent < 1.1  # near Zipf, FACTS.md C's lower end
    mt = region.machine_tool_sector
    assert 500 < region.firm_counts[mt] < 1_500


def test_an_impossible_largest_firm_is_a_clear_error(capsys) -> None:
    code = cli.main(
        [
            "run",
            str(PLAN),
            "--replicates",
            "1",
            "--set",
            "region.sector.0.largest_firm_revenue_bn_yuan=0.01",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "largest_firm_revenue_bn_yuan" in err and "Traceback" not in err


# ----------------------------------------------------------------- pool and shocks


@pytest.mark.parametrize(
    ("alpha", "drift", "sd"), [(1.0, 0.06, 0.25), (1.2, -0.03, 0.3), (0.9, 0.0, 0.2)]
)
def test_pool_entry_rate_against_monte_carlo(alpha: float, drift: float, sd: float) -> None:
    rng = np.random.default_rng(7)
    g = drift + rng.laplace(0.0, sd / math.sqrt(2.0), 4_000_000)
    simulated = np.maximum(np.exp(alpha * g) - 1.0, 0.0).mean()
    assert pool_entry_rate(alpha, drift, sd) == pytest.approx(simulated, rel=0.01)


def test_pool_entry_rate_without_shocks_is_the_drift() -> None:
    assert pool_entry_rate(1.1, 0.05, 1e-9) == pytest.approx(math.exp(1.1 * 0.05) - 1.0)
    assert pool_entry_rate(1.1, -0.05, 1e-9) == pytest.approx(0.0, abs=1e-12)


def test_the_growth_shock_has_mean_one() -> None:
    """(1 - sd^2/2) exp(sd e) for a standard Laplace e: the shock moves no share on average."""
    rng = np.random.default_rng(3)
    e = rng.laplace(0.0, 1.0 / math.sqrt(2.0), 4_000_000)
    for sd in (0.05, 0.25, 0.5):
        assert ((1.0 - sd * sd / 2.0) * np.exp(sd * e)).mean() == pytest.approx(1.0, abs=2e-3)


# ------------------------------------------------------------ hand-built firms

FIRM_SCALE = 0.02
YEAR = 2024


@pytest.fixture(scope="module")
def base() -> RegionModel:
    return spun_up(FIRM_SCALE)


def _fork(base: RegionModel) -> RegionModel:
    return fork_in_year(base, YEAR)


def _user_slots(m: RegionModel, n: int, sector: str = "nev") -> np.ndarray:
    s = [x.id for x in m.engine.region.sector].index(sector)
    start = m.engine.layout.sector_start[s]
    return np.arange(start, start + n)


def test_exit_below_the_threshold_and_closure_on_negative_net_worth(base) -> None:
    m = _fork(base)
    st, w = m.engine.state, m.engine.firm_weight
    small, broke, fine = _user_slots(m, 3)
    for slot in (small, broke, fine):
        st.alive[:, slot] = True
        st.debt[:, slot] = 0.0
        st.cash[:, slot] = 10.0 * w
    st.revenue[:, small] = 19.9 * w  # per real firm: just below 20 m yuan
    st.revenue[:, broke] = 50.0 * w
    st.revenue[:, fine] = 20.0 * w  # exactly at the threshold: stays
    st.debt[:, broke] = 1e6 * w  # net worth far below zero
    before = m.engine.layout
    rules.demography(m.engine)
    # (entry may have opened more slots: the same slots, where they are now)
    small, broke, fine = m.engine.layout.slot_position[before.slot_id[[small, broke, fine]]]
    assert st.exits[:, small].all() and not st.closures[:, small].any()
    assert st.exits[:, broke].all() and st.closures[:, broke].all()
    assert not st.exits[:, fine].any()


def _titles(
    m: RegionModel,
    slot: int,
    *,
    revenue: float,
    rd: float,
    growth: float,
    listed_years_ago: int | None = None,
) -> dict:
    """Run the status rule with one firm set per real firm: revenue, reported R&D, growth.

    The firm has never held a title, or (``listed_years_ago``) was last on every title's list
    that many years before the rule's year.
    """
    st, w = m.engine.state, m.engine.firm_weight
    st.alive[:, slot] = True
    st.revenue[:, slot] = revenue * w
    st.revenue_prev2[:, slot] = revenue * w / (1.0 + growth) ** 2
    st.rd_reported[:, slot] = rd * w
    st.process_productivity[:, slot] = 1e3  # far above its sector: every rank test met
    listed = NEVER if listed_years_ago is None else m.engine.year - listed_years_ago
    for t in ("specialised_new", "little_giant", "single_champion"):
        getattr(st, f"{t}_listed_year")[:, slot] = listed
    rules.update_status(m.engine)
    return {
        t: bool(getattr(st, f"{t}_held")[:, slot].all())
        for t in ("specialised_new", "little_giant", "single_champion")
    }


@pytest.mark.parametrize(
    ("revenue", "rd", "growth", "expected"),
    [
        # an SME at 3% with 1.5 m of R&D, growing 10%: specialised-new and little giant; a
        # little giant with the top rank is a champion candidate below 400 m too
        (50.0, 1.5, 0.10, (True, True, True)),
        (50.0, 1.49, 0.10, (False, False, False)),  # 2.98% < 3%
        (20.0, 0.9, 0.10, (False, False, False)),  # 4.5% but under 1 m of R&D
        (50.0, 1.5, 0.049, (True, False, False)),  # growth under 5%: no little giant
        (500.0, 20.0, 0.0, (False, False, True)),  # not an SME; a champion by size
    ],
)
def test_title_rules_at_their_thresholds(base, revenue, rd, growth, expected) -> None:
    m = _fork(base)
    (slot,) = _user_slots(m, 1)
    got = _titles(m, slot, revenue=revenue, rd=rd, growth=growth)
    assert (got["specialised_new"], got["little_giant"], got["single_champion"]) == expected, got


@pytest.mark.parametrize(
    ("years_ago", "meets", "held", "listed_again"),
    [
        (1, False, True, False),  # within its validity: kept without a test
        (2, False, True, False),
        (3, False, False, False),  # its validity is over and the review fails: lost
        (3, True, True, True),  # the review passes: on this year's list again
        (1, True, True, False),  # meeting the test within the validity lists it no sooner
        (4, True, True, True),  # lapsed long ago: recognised anew
    ],
)
def test_titles_are_reviewed_when_their_validity_ends(
    base, years_ago, meets, held, listed_again
) -> None:
    m = _fork(base)
    assert m.engine.region.status.validity_years == 3
    (slot,) = _user_slots(m, 1)
    # 1.5 m of R&D on 50 m meets the specialised-new test; 0.5 m fails it (under 1 m, 1%).
    rd = 1.5 if meets else 0.5
    got = _titles(m, slot, revenue=50.0, rd=rd, growth=0.10, listed_years_ago=years_ago)
    st, year = m.engine.state, m.engine.year
    assert got["specialised_new"] is held
    assert bool((st.specialised_new_listed_year[:, slot] == year).all()) is listed_again
    # New only when not held the year before (lapsed four years ago, it was not).
    assert bool(st.specialised_new_new[:, slot].all()) is (years_ago > 3)


def test_a_little_giant_needs_the_specialised_new_title_it_holds_after_review(base) -> None:
    # 0.9 m of R&D on 20 m (4.5%, growing 10%): the little-giant tests are met, the
    # specialised-new floor of 1 m of R&D is not. Within the specialised-new title's validity
    # the firm keeps it, so it may be a little giant; when both reviews fall due, the
    # specialised-new title lapses and the little-giant title with it.
    m = _fork(base)
    (slot,) = _user_slots(m, 1)
    got = _titles(m, slot, revenue=20.0, rd=0.9, growth=0.10, listed_years_ago=3)
    assert (got["specialised_new"], got["little_giant"]) == (False, False), got
    # Within the specialised-new validity (listed last year), a new little giant.
    m = _fork(base)
    st, year = m.engine.state, m.engine.year
    _titles(m, slot, revenue=20.0, rd=0.9, growth=0.10)  # sets the firm up, holds nothing
    st.specialised_new_listed_year[:, slot] = year - 1
    st.little_giant_listed_year[:, slot] = NEVER
    st.single_champion_listed_year[:, slot] = NEVER
    rules.update_status(m.engine)
    assert st.specialised_new_held[:, slot].all() and st.little_giant_new[:, slot].all()


def test_titles_met_in_the_first_year_are_dated_over_the_validity_years() -> None:
    # Every firm starts without titles. Those meeting a test in the first simulated year
    # are listed in one of the last three years, each as likely, so their reviews fall due
    # in different years (not in synchronised waves), and all of them hold the title now.
    sc = resolve(PLAN, overrides={"market.firm_scale": 0.3, "spinup.years": 10})
    m = RegionModel(sc, [0, 1])
    m._one_year()
    st, year = m.engine.state, m.engine.year
    assert year == sc.start_year - sc.spinup.years
    validity = sc.region.status.validity_years
    window = list(range(year - validity + 1, year + 1))
    for name in ("specialised_new", "little_giant", "single_champion"):
        held = getattr(st, f"{name}_held")
        years, counts = np.unique(getattr(st, f"{name}_listed_year")[held], return_counts=True)
        assert held.sum() > 5 and set(years) <= set(window), name
        assert getattr(st, f"{name}_new")[held].all()
        if name == "specialised_new":  # enough holders to see the years' shares
            assert years.tolist() == window and counts.sum() > 300
            share = counts / counts.sum()
            tolerance = 4 * np.sqrt(share * (1 - share) / counts.sum())
            np.testing.assert_array_less(np.abs(share - 1 / validity), tolerance)
    # A year later, only the third listed two years before the start is reviewed: passed
    # (listed again) or lost; the others keep the title untested.
    before = st.specialised_new_listed_year.copy()
    m._one_year()
    listed, held = st.specialised_new_listed_year, st.specialised_new_held
    alive = st.alive & ~st.entries  # the same firms as a year before
    due = alive & (before == year - 2)
    assert ((listed[due] == year + 1) == held[due]).all()
    assert 0 < held[due].sum() < due.sum()
    within = alive & (before > year - 2) & (before <= year)
    assert (listed[within] == before[within]).all() and held[within].all()


def test_an_exit_takes_its_titles_and_an_entrant_in_its_slot_has_none() -> None:
    # The year's titles are read after exit and entry (the firm panel): a slot whose firm left
    # holds no title, nor does the firm that took a freed slot in the same year.
    sc = resolve(PLAN, overrides={"market.firm_scale": 0.3, "spinup.years": 10})
    m = RegionModel(sc, [0, 1])
    for _ in range(4):
        m._one_year()
    st = m.engine.state
    gone = ~st.alive | st.entries
    assert (st.exits & st.entries).sum() > 0  # slots freed and taken in the year
    for name in ("specialised_new", "little_giant", "single_champion"):
        for kind in ("held", "new"):
            assert not getattr(st, f"{name}_{kind}")[gone].any(), (name, kind)


# -------------------------------------------------- markets, common random numbers

SMALL = {"market.firm_scale": 0.05, "spinup.years": 10}


def test_a_clusters_entrants_are_its_expected_count_rounded_at_random() -> None:
    from model.economy.rules.demography import entrant_counts
    from model.economy.streams import STRIDE, stream_keys

    keys = stream_keys(3, np.arange(4000), 2025, "entry")
    # A whole count (the spin-up's exits) is kept exactly, whatever the draw.
    whole = np.tile([0.0, 1.0, 7.0, 250.0], (4000, 1))
    np.testing.assert_array_equal(entrant_counts(keys, whole, 100 * STRIDE), whole)
    # Otherwise the count is the whole part or one more, with the fraction as its mean.
    wanted = np.tile([0.25, 3.6, 12.5], (4000, 1))
    due = entrant_counts(keys, wanted, 100 * STRIDE)
    assert set(np.unique(due - np.floor(wanted))) == {0.0, 1.0}
    np.testing.assert_allclose(due.mean(axis=0), wanted[0], atol=4 * 0.5 / np.sqrt(4000))


def test_entry_beyond_the_free_slots_is_recorded_and_reported() -> None:
    from model.report.tables import summary

    # One spare slot per cluster: the growing sectors' entrants soon find no slot; with
    # slots to spare none is lost.
    tight = model.run(PLAN, replicates=2, overrides={**SMALL, "market.slot_headroom": 0.0})
    lost = tight["entrants_without_slot"]
    assert lost.attrs["units"] == "count"
    assert float(lost.sum()) > 0
    assert "the firm slots capped entry in 100% of replicates" in summary(tight)
    roomy = model.run(
        PLAN, replicates=2, overrides={**SMALL, "market.slot_headroom": 2.0, "end_year": 2026}
    )
    assert float(roomy["entrants_without_slot"].sum()) == 0
    assert "capped entry" not in summary(roomy)


def test_local_preference_raises_purchases_from_the_buyers_own_area() -> None:
    runs = [
        model.run(
            PLAN, replicates=4, overrides={**SMALL, "region.machine_tools.local_preference": p}
        )
        for p in (0.0, 0.3)
    ]
    low, high = (r["local_machine_share"].mean().item() for r in runs)
    assert high > low + 0.05, (low, high)


def test_faster_outside_makers_take_national_share() -> None:
    """Other provinces' and foreign makers improving 3% a year faster than the region's."""
    gap = {
        f"region.machine_tools.outside_models.{k}.productivity_growth_gap": 0.03 for k in range(6)
    }
    base_run = model.run(PLAN, replicates=4, overrides=SMALL)
    faster = model.run(PLAN, replicates=4, overrides={**SMALL, **gap})
    # (At this scale the high-end segment, 1% of the makers, has none.)
    share = lambda ds: ds["national_market_share"].sel(  # noqa: E731
        year=2030, segment=["economy", "mid_range"]
    )
    assert bool((share(faster) < share(base_run)).all())
    mt = lambda ds: ds["output"].sel(sector="machine_tools", year=2030)  # noqa: E731
    assert bool((mt(faster) < mt(base_run)).all())
