"""The compiled engine's building blocks against plain references."""

from __future__ import annotations

import numpy as np
import pytest

from model.economy.rules.investment import brochure_tables, pick_maker
from model.economy.streams import beta_integer, beta_integer_into, normal, stream_keys, uniform


def test_maker_draw_is_exact_inversion() -> None:
    # The guide table only speeds the search: every draw must equal plain inversion.
    rng = np.random.default_rng(3)
    sizes = [40, 7, 1]
    slots = np.arange(sum(sizes))
    offset = np.cumsum([0, *sizes])
    alive = rng.random((2, len(slots))) < 0.7
    share = rng.pareto(1.5, (2, len(slots)))
    cdf, guide = brochure_tables(alive, share, slots, offset, 0.5)
    for r in range(2):
        for g in range(len(sizes)):
            lo, hi = offset[g], offset[g + 1]
            if cdf[r, hi - 1] <= 0:
                continue
            for u in rng.random(2000):
                expected = lo + np.searchsorted(cdf[r, lo:hi], u * cdf[r, hi - 1], side="right")
                got = pick_maker(cdf[r], guide[r], lo, hi, u)
                assert got == min(expected, hi - 1)
                assert alive[r, slots[got]], "a dead maker was drawn"


def test_maker_weights_mix_share_and_equal_parts() -> None:
    alive = np.array([[True, True, False, True]])
    share = np.array([[0.6, 0.4, 0.9, 0.0]])
    cdf, _ = brochure_tables(alive, share, np.arange(4), np.array([0, 4]), 0.5)
    weights = np.diff(cdf[0], prepend=0.0)
    np.testing.assert_allclose(weights, [0.3 + 0.5 / 3, 0.2 + 0.5 / 3, 0.0, 0.5 / 3])


def test_uniform_and_normal_draws() -> None:
    key = stream_keys(7, np.array([0]), 2024, "entry")[0]
    u = np.array([uniform(key, i) for i in range(20_000)])
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.003
    z = np.array([normal(key, 2 * i) for i in range(20_000)])
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1.0) < 0.03
    # Different replicates, years and processes have different streams.
    other = stream_keys(7, np.array([1]), 2024, "entry")[0]
    assert uniform(other, 0) != uniform(key, 0)


@pytest.mark.parametrize(("a", "b"), [(3, 3), (1, 1), (2, 5)])
def test_beta_draw_moments(a: int, b: int) -> None:
    key = stream_keys(1, np.array([0]), 2030, "innovation")[0]
    x = np.array([beta_integer(key, 64 * i + 1, a, b) for i in range(20_000)])
    mean = a / (a + b)
    var = a * b / ((a + b) ** 2 * (a + b + 1))
    assert abs(x.mean() - mean) < 4 * np.sqrt(var / len(x))
    assert abs(x.var() - var) < 0.1 * var


@pytest.mark.parametrize(("a", "b"), [(3, 3), (1, 1), (2, 5), (6, 1)])
def test_beta_draw_is_the_order_statistic_of_its_uniforms(a: int, b: int) -> None:
    # The innovation kernel reuses one scratch array for every jump; each draw must still be
    # the a-th smallest of its own a + b - 1 uniforms, whatever the scratch held before.
    key = stream_keys(5, np.array([0]), 2028, "innovation")[0]
    scratch = np.full(a + b - 1, 0.5)
    for counter in range(1, 64 * 200, 64):
        uniforms = np.sort([uniform(key, counter + i) for i in range(a + b - 1)])
        assert beta_integer_into(key, counter, a, b, scratch) == uniforms[a - 1]
        assert beta_integer(key, counter, a, b) == uniforms[a - 1]


def _steady_ages_by_hand(
    a: np.ndarray,
    p: np.ndarray,
    *,
    theta: float,
    kappa: float,
    k1: float,
    process_productivity: float,
    payback: float,
    utilisation: float,
    financing: float,
    other_price: float,
    wear: float,
    age_factor: float,
    life: int,
) -> int:
    """The cohorts a firm keeps and its new machine's input, the payback rule written out.

    With the frontier at 1; the newest cohort is the new machine, 1/a^theta.
    """
    unit_machine_cost = k1 / process_productivity
    horizon = payback * utilisation * unit_machine_cost
    cost = kappa * theta * p + horizon / a**theta
    c = int(np.argmin(cost))
    perceived = kappa * (theta * p[c] + (1.0 - theta) * other_price)
    inverse_new = 1.0 / a[c] ** theta
    threshold = inverse_new + perceived / horizon * financing
    # Age k is kept while its input, a year's wear on, is below the threshold.
    k = int(np.ceil(np.log(threshold / (inverse_new * wear)) / np.log(age_factor)))
    return min(max(k, 1), life), inverse_new


def test_initial_stock_stops_where_the_payback_rule_would_scrap() -> None:
    from model.economy.payback import InvestParams, ModelCosts, steady_vintage_ages

    # One sector, one segment; three candidate models: good and dear, poor and cheap, middling;
    # and a fourth, the best buy of all, that is not offered.
    a = np.array([1.4, 0.8, 1.0, 2.0])
    p = np.array([1.6, 0.7, 1.0, 0.1])
    offered = np.array([True, True, True, False])
    theta, kappa, k1, u, fin, wear, factor, life = 0.3, 2.0, 2.0, 0.75, 1.06, 1.03, 1.05, 15
    # Firms differ in payback period (which candidate is cheapest to them) and productivity.
    payback = np.array([[1.0, 3.0, 8.0, 3.0]])
    process = np.array([[1.0, 1.0, 1.0, 2.0]])
    par = InvestParams(
        theta=np.array([theta]),
        kappa=np.array([kappa]),
        frontier_factor=np.array([1.0]),
        base_financing=fin,
        relief=np.zeros((1, 1)),
        other_equipment_price=1.0,
        target_utilisation=u,
        cash_buffer_sales_ratio=0.1,
        credit_limit_sales_ratio=0.5,
        loan_financed_share=0.6,
        wear=wear,
    )
    kept, newest = steady_vintage_ages(
        np.zeros(4, dtype=np.int64),
        np.zeros(4, dtype=np.int64),
        offered[None, None, :],
        # What each model costs a buyer, as the yearly rule tabulates it (model_costs).
        ModelCosts(kappa * theta * p[None, None, :], a[None, None, :] ** -theta),
        p[None, :],
        np.array([[k1]]),
        process,
        payback,
        par,
        np.array([u]),
        factor,
        life,
    )
    expected = [
        _steady_ages_by_hand(
            a[offered],
            p[offered],
            theta=theta,
            kappa=kappa,
            k1=k1,
            process_productivity=process[0, n],
            payback=payback[0, n],
            utilisation=u,
            financing=fin,
            other_price=1.0,
            wear=wear,
            age_factor=factor,
            life=life,
        )
        for n in range(4)
    ]
    np.testing.assert_array_equal(kept[0], [k for k, _ in expected])
    np.testing.assert_allclose(newest[0], [x for _, x in expected], rtol=1e-12)
    # The hand-built firms span the cases: a short horizon buys the cheap model and a long
    # one the good one; some keep the whole stock and some a stock cut short.
    assert len({x for _, x in expected}) == 2
    assert min(k for k, _ in expected) < life == max(k for k, _ in expected)
