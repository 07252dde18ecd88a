"""What a region's figures imply for its firm sizes: the bounded Pareto of firm revenue.

The simulated firms are the above-scale firms. In each sector their revenue is Pareto
between the statistical threshold (20 m yuan) and the sector's largest real firm, with one
exponent for the whole region: the exponent at which the sectors' base-year outputs, spread
over such distributions, give the region's above-scale firm count. Each sector's count then
follows (its output over its distribution's mean). Firm counts by sector are not published;
the province's count, the sectors' outputs and their largest firms are.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq

__all__ = [
    "EXPONENT_RANGE",
    "bounded_pareto_exponent",
    "bounded_pareto_mean",
    "bounded_pareto_quantile",
    "region_size_exponent",
    "sector_firm_counts",
]

#: Exponents searched (a figure that needs one outside this range is an error).
EXPONENT_RANGE = (0.05, 20.0)


def bounded_pareto_mean(alpha: float, low: float, high: float) -> float:
    """Mean of the Pareto with exponent ``alpha`` truncated to [low, high]."""
    r = low / high
    if abs(alpha - 1.0) < 1e-9:
        return low * math.log(high / low) / (1.0 - r)
    return low * alpha / (alpha - 1.0) * (1.0 - r ** (alpha - 1.0)) / (1.0 - r**alpha)


def bounded_pareto_quantile(u: np.ndarray, alpha: float, low: float, high: float) -> np.ndarray:
    """Inverse distribution function of the Pareto on [low, high] at ``u`` in [0, 1)."""
    r = (low / high) ** alpha
    return low * (1.0 - u * (1.0 - r)) ** (-1.0 / alpha)


def bounded_pareto_exponent(mean: float, low: float, high: float) -> float:
    """The exponent of the Pareto on [low, high] whose mean is ``mean``.

    Raises:
        ValueError: if none in ``EXPONENT_RANGE`` gives it.
    """
    return _solve(lambda a: bounded_pareto_mean(a, low, high) - mean, f"a mean of {mean:.4g}")


def region_size_exponent(
    outputs: np.ndarray, largest: np.ndarray, low: float, n_firms: float
) -> float:
    """The one exponent at which sectors of these outputs and largest firms have ``n_firms``.

    Args:
        outputs: each sector's output, in the money of ``low`` and ``largest``.
        largest: each sector's largest firm's revenue.
        low: the above-scale threshold.
        n_firms: the region's above-scale firm count.
    """

    def excess(alpha: float) -> float:
        means = [bounded_pareto_mean(alpha, low, h) for h in largest]
        return float(np.sum(np.asarray(outputs) / np.asarray(means))) - n_firms

    return _solve(excess, f"{n_firms:.0f} firms")


def sector_firm_counts(
    outputs: np.ndarray, largest: np.ndarray, low: float, n_firms: int
) -> tuple[float, tuple[int, ...]]:
    """The region's exponent and each sector's firm count (whole firms adding up exactly).

    Counts are rounded by largest remainder so that they sum to ``n_firms``; each sector has
    at least one firm.
    """
    alpha = region_size_exponent(outputs, largest, low, n_firms)
    exact = np.array(
        [y / bounded_pareto_mean(alpha, low, h) for y, h in zip(outputs, largest, strict=True)]
    )
    counts = np.maximum(np.floor(exact), 1).astype(int)
    short = n_firms - int(counts.sum())
    order = np.argsort(-(exact - np.floor(exact)), kind="stable")
    for i in order[: max(short, 0)]:
        counts[i] += 1
    return alpha, tuple(int(c) for c in counts)


def _solve(f, what: str) -> float:
    lo, hi = EXPONENT_RANGE
    if f(lo) * f(hi) > 0:
        raise ValueError(f"no Pareto exponent in [{lo}, {hi}] gives {what}")
    return float(brentq(f, lo, hi, xtol=1e-12))
