"""Statistics of the firm distribution the facts report and the calibration compare with data.

Each is a pure function of one replicate's firm arrays and is scale-free (a shape, not a
level), so a run at reduced firm scale estimates the same figure as a full one: the Pareto
tail exponent of revenue (Hill), the dispersion and fat tails of growth rates, how growth
volatility falls with size, and the 90/10 ratio of productivity. Statistics of the whole
population are taken on at most ``SAMPLE`` firms (a fixed stride through the slots), so
their cost does not grow with the firm count. Beside them are the compiled counts and sums
the recorder takes over all slots (firms reaching each revenue threshold, capacity by machine
age, whom the specialised-new rule picks), whose ratios are the scale-free figures.
"""

from __future__ import annotations

import math

import numpy as np

from model.economy.compiled import njit

__all__ = [
    "SAMPLE",
    "TAIL_SHARE",
    "count_at_or_above",
    "growth_moments",
    "hill_exponent",
    "productivity",
    "productivity_samples",
    "live_total_and_largest",
    "quantile_ratio",
    "size_volatility_slope",
    "slot_totals",
    "specialised_new_selection",
    "thin",
]

#: Most firms a population statistic is taken on.
SAMPLE = 40_000
#: Share of the largest firms the Hill estimator of the tail exponent uses (top 5%).
TAIL_SHARE = 0.05
#: Size classes of the volatility-size regression.
SIZE_CLASSES = 10


@njit(cache=True)
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
    d2 = d * d  # d**4 as a square of squares: numpy's power is several times slower
    var = float(d2.mean())
    if var <= 0:
        return 0.0, float("nan")
    return float(np.sqrt(var)), float((d2 * d2).mean() / var**2 - 3.0)


def size_volatility_slope(size: np.ndarray, growth: np.ndarray) -> float:
    """Slope of log(sd of growth) on log(mean size) across size classes (NaN if too few).

    Firms are split into ``SIZE_CLASSES`` classes at the deciles of size (a firm at a
    decile belongs to the class above it, so tied sizes share a class and the classes do
    not depend on a sorting algorithm's order of ties; classes left empty by ties are
    skipped); a slope of about -0.2 is the
    regularity of Stanley et al. (1996) and later work.
    """
    n = len(size)
    if n < 30 * SIZE_CLASSES:
        return float("nan")
    kth = np.arange(1, SIZE_CLASSES) * n // SIZE_CLASSES
    cuts = np.sort(size)[kth]  # sorted values, whatever the algorithm
    cls = np.zeros(n, dtype=np.intp)
    for cut in cuts:
        cls += size >= cut
    count = np.bincount(cls, minlength=SIZE_CLASSES).astype(float)
    # Tied sizes at a decile leave the classes below it empty: the slope is taken across the
    # classes that have firms (at least three of them).
    kept = count >= 2
    if kept.sum() < 3:
        return float("nan")
    safe = np.maximum(count, 1.0)
    mean_size = np.bincount(cls, size, SIZE_CLASSES) / safe
    d = growth - (np.bincount(cls, growth, SIZE_CLASSES) / safe)[cls]
    sd = np.sqrt(np.bincount(cls, d * d, SIZE_CLASSES) / safe)
    log_size = np.log(mean_size[kept])
    log_sd = np.log(np.maximum(sd[kept], 1e-12))
    # Least squares written out: LAPACK's result may differ in the last bits with the
    # machine's threads, and results must be bit-identical wherever they are computed.
    dx = log_size - log_size.mean()
    return float((dx * (log_sd - log_sd.mean())).sum() / (dx * dx).sum())


def quantile_ratio(x: np.ndarray, high: float = 0.9, low: float = 0.1) -> float:
    """The ``high`` quantile over the ``low`` quantile of positive values (NaN if too few).

    Quantiles as ``np.quantile``'s default (linear between order statistics), from one
    sort: ``np.quantile``'s own overhead is most of its time on a sector's firms.
    """
    x = x[x > 0]
    n = len(x)
    if n < 20:
        return float("nan")
    at = (low * (n - 1), high * (n - 1))
    below = [math.floor(a) for a in at]
    above = [min(b + 1, n - 1) for b in below]
    # Sorted: numpy's sort is several times faster than a partition at four order statistics.
    part = np.sort(x)
    value = []
    for a_at, lo, hi in zip(at, below, above, strict=True):
        a, b, t = float(part[lo]), float(part[hi]), a_at - lo
        # numpy's interpolation, which is exact at both ends
        value.append(b - (b - a) * (1.0 - t) if t >= 0.5 else a + (b - a) * t)
    return value[1] / value[0]


@njit(inline="always")
def _productivity(is_maker: bool, model: float, process: float, machine: float) -> float:
    """A firm's productivity: a maker's model's; a user firm's process's x its machines'."""
    return model if is_maker else process * machine


@njit(cache=True)
def productivity(
    is_maker: np.ndarray,
    model_productivity: np.ndarray,
    process_productivity: np.ndarray,
    machine_productivity: np.ndarray,
) -> np.ndarray:
    """Each slot's firm's productivity (``_productivity``), one replicate's slots (N,)."""
    out = np.empty(is_maker.shape[0])
    for n in range(is_maker.shape[0]):
        out[n] = _productivity(
            is_maker[n], model_productivity[n], process_productivity[n], machine_productivity[n]
        )
    return out


@njit(cache=True)
def productivity_samples(
    alive: np.ndarray,
    is_maker: np.ndarray,
    model_productivity: np.ndarray,
    process_productivity: np.ndarray,
    machine_productivity: np.ndarray,
    start: np.ndarray,
    size: np.ndarray,
    most: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Each block's sample of live firms' productivity (``productivity``), one replicate (N,).

    A block's sample is ``thin`` of its live slots.

    Returns:
        The samples one after another, and each block's start in them (K + 1,).
    """
    K = start.shape[0]
    values = np.empty(alive.shape[0])
    offset = np.zeros(K + 1, dtype=np.int64)
    m = 0
    for k in range(K):
        lo = start[k]
        for n in thin(alive[lo : lo + size[k]], most):
            values[m] = _productivity(
                is_maker[lo + n],
                model_productivity[lo + n],
                process_productivity[lo + n],
                machine_productivity[lo + n],
            )
            m += 1
        offset[k + 1] = m
    return values[:m], offset


@njit(cache=True)
def count_at_or_above(
    values: np.ndarray, mask: np.ndarray, scale: float, thresholds: np.ndarray
) -> tuple[np.ndarray, int]:
    """How many of the masked ``values x scale`` reach each of the ascending ``thresholds``.

    One pass without a sort and without branches (a firm's live flag and its size class are
    unpredictable): a histogram of how many thresholds each value reaches, summed from the top.

    Returns:
        The count at or above each threshold, and how many values are masked in.
    """
    T = thresholds.shape[0]
    reached = np.zeros(T + 1, dtype=np.int64)
    for i in range(values.shape[0]):
        x = values[i] * scale
        k = 0
        for j in range(T):
            k += x >= thresholds[j]
        reached[k] += mask[i]
    counts = np.zeros(T, dtype=np.int64)
    total = 0
    for k in range(T, 0, -1):
        total += reached[k]
        counts[k - 1] = total
    return counts, total + reached[0]


@njit(cache=True)
def live_total_and_largest(
    values: np.ndarray, alive: np.ndarray, start: np.ndarray, size: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Total and largest of the live slots' ``values`` (R, N) in each block of slots -> (R, K).

    Totals are added slot by slot in slot order; a slot that is not live counts as 0 in both
    (so the values must be >= 0).
    """
    R = values.shape[0]
    K = start.shape[0]
    total = np.zeros((R, K))
    largest = np.zeros((R, K))
    for r in range(R):
        for k in range(K):
            t = 0.0
            most = 0.0  # values are >= 0: an empty block has 0
            for n in range(start[k], start[k] + size[k]):
                x = values[r, n] if alive[r, n] else 0.0
                t += x
                most = max(most, x)
            total[r, k] = t
            largest[r, k] = most
    return total, largest


@njit(cache=True)
def slot_totals(stack: np.ndarray) -> np.ndarray:
    """Totals of an (N, A) stack over its first axis, in double precision -> (A,).

    The rows are added in order, as numpy's sum over the first axis does.
    """
    N, A = stack.shape
    out = np.zeros(A)
    for n in range(N):
        for a in range(A):
            out[a] += stack[n, a]
    return out


@njit(cache=True)
def specialised_new_selection(
    revenue: np.ndarray,
    rd_reported: np.ndarray,
    above_scale: np.ndarray,
    listed_year: np.ndarray,
    year: int,
    sector_start: np.ndarray,
    sector_size: np.ndarray,
    firm_weight: float,
    large_m_yuan: float,
    sme_max_m_yuan: float,
) -> np.ndarray:
    """Whom the specialised-new rule lists this year, against the SMEs it picks from -> (6, R, S).

    In one pass over the slots (R, N). A slot is on the year's list (认定(复核)) when it was
    recognised or passed its review this year (``listed_year == year``). A slot's revenue is
    ``firm_weight`` real firms', so sizes compare revenue / firm_weight. The six sums by
    sector, slots added in order: listed slots; listed slots with a real firm's revenue of at
    least ``large_m_yuan``; the listed slots' revenue and reported R&D; the above-scale SMEs'
    (revenue below ``sme_max_m_yuan``) revenue and reported R&D.
    """
    R = revenue.shape[0]
    S = sector_start.shape[0]
    out = np.zeros((6, R, S))
    for r in range(R):
        for s in range(S):
            lo = sector_start[s]
            for n in range(lo, lo + sector_size[s]):
                size = revenue[r, n] / firm_weight
                if listed_year[r, n] == year:
                    out[0, r, s] += 1.0
                    out[1, r, s] += size >= large_m_yuan
                    out[2, r, s] += revenue[r, n]
                    out[3, r, s] += rd_reported[r, n]
                if above_scale[r, n] and size < sme_max_m_yuan:
                    out[4, r, s] += revenue[r, n]
                    out[5, r, s] += rd_reported[r, n]
    return out
