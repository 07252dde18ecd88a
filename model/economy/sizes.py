"""Firm sizes in motion: Gibrat growth shocks and the flow of firms across the threshold.

The base year's sizes are in :mod:`model.config.firm_sizes`.

Below the threshold lie the smaller firms (the pool). Their number is not simulated firm by
firm: the size density is taken to continue the sector's Pareto below the threshold, so a
year's growth shocks carry a computable number of them across it (小升规), while the
simulated firms that shrink below it leave (降规). With log growth g of a firm's revenue
in a year, a density ``n alpha exp(-alpha y)`` of firms at log distance y from the
threshold gives ``n E[(exp(alpha g) - 1)+]`` crossings up (see :func:`pool_entry_rate`).

Growth shocks are Laplace (the tent-shaped growth-rate distributions of firm data) with a
standard deviation that falls with size as ``size**-beta`` (Stanley et al. 1996).
"""

from __future__ import annotations

import math

from model.economy.compiled import njit

__all__ = [
    "laplace",
    "log_size",
    "pool_entry_rate",
]


@njit(inline="always")
def laplace(u: float) -> float:
    """A standard Laplace draw (mean 0, sd 1) from a uniform ``u`` in [0, 1)."""
    c = u - 0.5
    tail = max(1.0 - 2.0 * abs(c), 1e-300)
    return -math.copysign(1.0, c) * math.log(tail) / math.sqrt(2.0)


@njit(inline="always")
def log_size(revenue: float, threshold: float) -> float:
    """Log of a firm's revenue (per real firm) over the threshold, 0 at or below it.

    What falls with size falls as a power of it, x0 size^-e = x0 exp(-e log_size): the
    growth shock's sd and drift (``rules.produce``) and the share of the gap an imitator
    closes (``rules.innovate_and_imitate``); one logarithm serves every power.
    """
    return math.log(max(revenue, threshold) / threshold)


def pool_entry_rate(alpha: float, drift: float, sd: float) -> float:
    """Firms crossing up from the pool in a year, per firm above the threshold.

    ``E[(exp(alpha g) - 1)+]`` for Laplace g with mean ``drift`` and standard deviation
    ``sd`` (scale b = sd / sqrt 2), in closed form; finite for alpha b < 1.
    """
    b = sd / math.sqrt(2.0)
    if b <= 0.0:
        return max(math.exp(alpha * drift) - 1.0, 0.0)
    if alpha * b >= 1.0:
        raise ValueError(f"pool entry diverges: alpha x Laplace scale = {alpha * b:.3g} >= 1")
    m, a = drift, alpha
    if m >= 0.0:
        # g in (0, m), left branch of the density exp(-(m - g)/b) / 2b, written in u = m - g
        # so nothing overflows as b -> 0; then g > m, the right branch.
        c = a + 1.0 / b
        left = (math.exp(a * m) * -math.expm1(-c * m) / c - b * -math.expm1(-m / b)) / (2.0 * b)
        right = 0.5 * (math.exp(a * m) / (1.0 - a * b) - 1.0)
        return left + right
    # m < 0: only the right branch reaches g > 0.
    return 0.5 * math.exp(m / b) * (1.0 / (1.0 - a * b) - 1.0)
