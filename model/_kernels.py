"""Compiled per-firm loops for the hot path of the investment rule.

The rules in ``model._rules`` are vectorised numpy; three steps walk every firm's machine
cohorts or brochure and would otherwise build several (replicates x firms x cohorts)
temporaries a year. Here each is one pass over memory. The loops run replicate by replicate
and firm by firm, so a replicate's result does not depend on the batch it runs in.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def scrap_by_payback(
    capacity: np.ndarray,
    inverse_productivity: np.ndarray,
    cost: np.ndarray,
    threshold_ordinary: np.ndarray,
    threshold_over_aged: np.ndarray,
    over_aged: np.ndarray,
    alive: np.ndarray,
    start_share: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scrap every cohort whose replacement pays back (in place).

    A cohort goes when its input per unit of output (1/e) is at least the firm's threshold,
    the over-aged threshold for cohorts past the renewal age.

    Returns:
        Capacity scrapped, of which over-aged, book value written off, and capacity left,
        each (R, N).
    """
    R, N, A = capacity.shape
    scrapped = np.zeros((R, N))
    scrapped_over_aged = np.zeros((R, N))
    written_off = np.zeros((R, N))
    left = np.zeros((R, N))
    for r in range(R):
        for n in range(N):
            if not alive[r, n]:
                continue
            t_ord = threshold_ordinary[r, n]
            t_old = threshold_over_aged[r, n]
            for a in range(A):
                k = capacity[r, n, a]
                if k <= 0.0:
                    continue
                t = t_old if over_aged[a] else t_ord
                if inverse_productivity[r, n, a] >= t:
                    scrapped[r, n] += k
                    if over_aged[a]:
                        scrapped_over_aged[r, n] += k
                    written_off[r, n] += cost[r, n, a] * start_share[a]
                    capacity[r, n, a] = 0.0
                    cost[r, n, a] = 0.0
                else:
                    left[r, n] += k
    return scrapped, scrapped_over_aged, written_off, left


@njit(cache=True)
def summarise_cohorts(
    capacity: np.ndarray,
    inverse_productivity: np.ndarray,
    cost: np.ndarray,
    depreciation_share: np.ndarray,
    book_share: np.ndarray,
    ages: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-firm capacity, input per output, depreciation, book value and capacity x age.

    Returns:
        Five (R, N) arrays: total capacity, sum of capacity x 1/e (its ratio to capacity is
        the harmonic-mean machine productivity), this year's tax depreciation, the book
        value at the end of the year, and sum of capacity x age.
    """
    R, N, A = capacity.shape
    total = np.zeros((R, N))
    inputs = np.zeros((R, N))
    depreciation = np.zeros((R, N))
    book = np.zeros((R, N))
    age_weighted = np.zeros((R, N))
    for r in range(R):
        for n in range(N):
            for a in range(A):
                k = capacity[r, n, a]
                c = cost[r, n, a]
                if k > 0.0:
                    total[r, n] += k
                    inputs[r, n] += k * inverse_productivity[r, n, a]
                    age_weighted[r, n] += k * ages[a]
                if c != 0.0:
                    depreciation[r, n] += c * depreciation_share[a]
                    book[r, n] += c * book_share[a]
    return total, inputs, depreciation, book, age_weighted


@njit(cache=True)
def _categorical(cdf: np.ndarray, lo: int, hi: int, x: float) -> int:
    """First index i in [lo, hi) with cdf[i] > x (binary search)."""
    while lo < hi:
        mid = (lo + hi) // 2
        if cdf[mid] > x:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True)
def choose_from_brochures(
    u_source: np.ndarray,
    u_pick: np.ndarray,
    buy_segment: np.ndarray,
    segment_cdf: np.ndarray,
    segment_slots: np.ndarray,
    segment_offset: np.ndarray,
    p_import: np.ndarray,
    p_other: np.ndarray,
    import_model: np.ndarray,
    other_model: np.ndarray,
    log_productivity: np.ndarray,
    risk_price: np.ndarray,
    theta: np.ndarray,
    kappa: np.ndarray,
    payback_weight: np.ndarray,
    unit_machine_cost: np.ndarray,
    frontier: float,
    alive: np.ndarray,
) -> np.ndarray:
    """Each buyer's brochure of k models and the one it buys.

    Slot k of a buyer's brochure shows the import model of its segment with probability
    p_import, the other provinces' model with p_other, else a Zhejiang maker of the segment
    drawn by the segment's cumulative weights. The buyer takes the model with the lowest
    risk-adjusted price plus payback-weighted operating cost.

    Args:
        u_source: (R, N, K) uniform draws choosing each brochure slot's source.
        u_pick: (R, N, K) uniform draws picking the Zhejiang maker of a slot.
        buy_segment: (N,) segment each buyer shops in.
        segment_cdf: (R, M) cumulative weights of the makers, concatenated by segment.
        segment_slots: (M,) the makers' slots, in the same order.
        segment_offset: (G + 1,) where each segment's makers start and end.
        p_import: (G,) chance a brochure slot shows the segment's import model.
        p_other: (G,) chance it shows the other provinces' model.
        import_model: (G,) model column of each segment's import model.
        other_model: (G,) model column of each segment's other-province model.
        log_productivity: (R, N + O) every model's log embodied productivity.
        risk_price: (R, N + O) every model's price with the buyer's risk premium.
        theta: (N,) machine-tool share of each buyer's equipment spending.
        kappa: (N,) each buyer's equipment per unit of yearly capacity.
        payback_weight: (R, N) payback years x target utilisation.
        unit_machine_cost: (R, N) machine-sensitive unit cost k1 / pi of each buyer.
        frontier: Embodied productivity of other (non-machine-tool) equipment.
        alive: (R, N) live firms; an empty slot gets its segment's other-province model
            (it buys nothing, but every slot needs a valid column).

    Returns:
        (R, N) chosen model column per buyer.
    """
    R, N, K = u_source.shape
    choice = np.empty((R, N), dtype=np.int64)
    for r in range(R):
        for n in range(N):
            g = buy_segment[n]
            if not alive[r, n]:
                choice[r, n] = other_model[g]
                continue
            lo = segment_offset[g]
            hi = segment_offset[g + 1]
            total = segment_cdf[r, hi - 1] if hi > lo else 0.0
            th = theta[n]
            capital = kappa[n] * th
            operating = payback_weight[r, n] * unit_machine_cost[r, n] / frontier ** (1.0 - th)
            best = -1
            best_cost = np.inf
            for k in range(K):
                src = u_source[r, n, k]
                if src < p_import[g]:
                    j = import_model[g]
                elif src < p_import[g] + p_other[g] or total <= 0.0:
                    j = other_model[g]
                else:
                    i = _categorical(segment_cdf[r], lo, hi, np.float64(u_pick[r, n, k]) * total)
                    if i >= hi:
                        i = hi - 1
                    j = segment_slots[i]
                c = capital * risk_price[r, j] + operating * np.exp(-th * log_productivity[r, j])
                if c < best_cost:
                    best_cost = c
                    best = j
            choice[r, n] = best
    return choice
