"""Statistics of the firm distribution the facts report and the calibration compare with data.

Each is a pure function of one replicate's firm arrays and is scale-free (a shape, not a
level), so a run at reduced firm scale estimates the same figure as a full one: the Pareto
tail exponent of revenue (Hill), the dispersion and fat tails of growth rates, how growth
volatility falls with size, and the 90/10 ratio of productivity. Statistics of the whole
population are taken on at most ``SAMPLE`` firms (a fixed stride through the slots), so
their cost does not grow with the firm count.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "SAMPLE",
    "TAIL_SHARE",
    "growth_moments",
    "hill_exponent",
    "quantile_ratio",
    "size_volatility_slope",
    "thin",
]

#: Most firms a population statistic is taken on.
SAMPLE = 40_000
#: Share of the largest firms the Hill estimator of the tail exponent uses (top 5%).
TAIL_SHARE = 0.05
#: Size classes of the volatility-size regression.
SIZE_CLASSES = 10


def thin(mask: np.ndarray, most: int = SAMPLE) -> np.ndarray:
    """Indices of the slots of ``mask``, every k-th one so that at most ``most`` remain."""
    idx = np.flatnonzero(mask)
    step = max(1, -(-len(idx) // most))
    return idx[::step]


def hill_exponent(x: np.ndarray, top_share: float = TAIL_SHARE) -> float:
    """Hill estimator of the Pareto tail exponent of positive values (NaN if too few).

    alpha = k / sum over the k largest of log(x_i / x_(k+1)), with k = top_share x n.
    """
    x = x[x > 0]
    k = int(top_share * len(x))
    if k < 10:
        return float("nan")
    part = np.partition(x, len(x) - k - 1)
    threshold = part[len(x) - k - 1]
    top = part[len(x) - k :]
    return float(k / np.log(top / threshold).sum())


def growth_moments(growth: np.ndarray) -> tuple[float, float]:
    """Standard deviation and excess kurtosis of growth rates (NaN if fewer than 30)."""
    if len(growth) < 30:
        return float("nan"), float("nan")
    d = growth - growth.mean()
    var = float((d * d).mean())
    if var <= 0:
        return 0.0, float("nan")
    return float(np.sqrt(var)), float((d**4).mean() / var**2 - 3.0)


def size_volatility_slope(size: np.ndarray, growth: np.ndarray) -> float:
    """Slope of log(sd of growth) on log(mean size) across size classes (NaN if too few).

    Firms are split into equal-count classes by size; a slope of about -0.2 is the
    regularity of Stanley et al. (1996) and later work.
    """
    if len(size) < 30 * SIZE_CLASSES:
        return float("nan")
    order = np.argsort(size, kind="stable")
    classes = np.array_split(order, SIZE_CLASSES)
    log_size = np.array([np.log(size[c].mean()) for c in classes])
    log_sd = np.array([np.log(max(growth[c].std(), 1e-12)) for c in classes])
    # Least squares written out: LAPACK's result may differ in the last bits with the
    # machine's threads, and results must be bit-identical wherever they are computed.
    dx = log_size - log_size.mean()
    return float((dx * (log_sd - log_sd.mean())).sum() / (dx * dx).sum())


def quantile_ratio(x: np.ndarray, high: float = 0.9, low: float = 0.1) -> float:
    """The ``high`` quantile over the ``low`` quantile of positive values (NaN if too few)."""
    x = x[x > 0]
    if len(x) < 20:
        return float("nan")
    lo, hi = np.quantile(x, [low, high])
    return float(hi / lo)
