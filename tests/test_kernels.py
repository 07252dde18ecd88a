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
