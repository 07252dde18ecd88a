"""Sector parameter vectors and sector sums over the firm slots (each sector a contiguous block)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.config.params import Scenario
from model.config.units import M_YUAN_PER_BN
from model.economy.compiled import njit

__all__ = [
    "SectorParams",
    "block_sums",
    "gathered_sums",
    "slot_sums",
    "scale_firm_stacks",
    "scale_firms",
    "sector_sums",
    "sector_sum",
    "to_firms",
]


@dataclass(frozen=True)
class SectorParams:
    """Per-sector parameter vectors (S,) derived from the region file."""

    n_sectors: int
    theta: np.ndarray  # machine-tool share of equipment spending
    kappa: np.ndarray  # equipment per unit of yearly capacity
    markup: np.ndarray
    k1_base: np.ndarray  # machine-sensitive unit cost at productivity 1, base prices
    k2_base: np.ndarray  # other unit cost (materials), base prices
    labour_of_k1: np.ndarray  # wage share of the machine-sensitive cost
    labour_share: np.ndarray  # wages / gross output
    rd_intensity: np.ndarray
    rd_dispersion: np.ndarray
    basic_share: np.ndarray
    high_tech_share: np.ndarray
    demand_growth_real: np.ndarray
    demand_shock_sd: np.ndarray
    largest_firm_m_yuan: np.ndarray  # revenue of the largest real firm: top of the sizes
    output_base_m_yuan: np.ndarray

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> SectorParams:
        """Derive cost structure and scales from the region's sector table."""
        sectors = scenario.region.sector
        arr = lambda name: np.array([getattr(s, name) for s in sectors], dtype=float)  # noqa: E731
        va, labour, phi = (
            arr("value_added_share"),
            arr("labour_share"),
            arr("machine_sensitive_cost_share"),
        )
        margin = va - labour
        unit_cost = 1.0 - margin
        k1 = phi * unit_cost
        output = arr("output_base_bn_yuan") * M_YUAN_PER_BN
        return cls(
            n_sectors=len(sectors),
            theta=arr("machine_tool_capex_share"),
            kappa=arr("capital_output_ratio"),
            markup=margin / (1.0 - margin),
            k1_base=k1,
            k2_base=unit_cost - k1,
            labour_of_k1=labour / k1,
            labour_share=labour,
            rd_intensity=arr("rd_intensity_real"),
            rd_dispersion=arr("rd_intensity_dispersion"),
            basic_share=arr("basic_research_share"),
            high_tech_share=arr("high_tech_share"),
            demand_growth_real=arr("demand_growth_real"),
            demand_shock_sd=arr("demand_shock_sd"),
            largest_firm_m_yuan=arr("largest_firm_revenue_bn_yuan") * M_YUAN_PER_BN,
            output_base_m_yuan=output,
        )


def sector_sum(eng, x: np.ndarray) -> np.ndarray:
    """Sum a (R, N) firm array over each sector block -> (R, S)."""
    lay = eng.layout
    return block_sums(x, lay.sector_start, lay.sector_size)


# Sums over slots are taken slot by slot in slot order (compiled), never by numpy's pairwise
# summation, whose rounding depends on the array's length: a free slot adds zero, so a sum is
# then the same, bit for bit, whatever the number of free slots the layout has open
# (``SlotLayout.open_part``), and a replicate's results do not depend on its batch.


@njit(cache=True)
def slot_sums(x: np.ndarray) -> np.ndarray:
    """Sum of each row of a (R, N) array, slot by slot -> (R,) float64."""
    R, N = x.shape
    out = np.zeros(R)
    for r in range(R):
        t = 0.0
        for n in range(N):
            t += x[r, n]
        out[r] = t
    return out


@njit(cache=True)
def block_sums(x: np.ndarray, start: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Sum of each row of a (R, N) array over blocks of slots, slot by slot -> (R, K)."""
    R = x.shape[0]
    K = start.shape[0]
    out = np.zeros((R, K))
    for r in range(R):
        for k in range(K):
            t = 0.0
            for n in range(start[k], start[k] + size[k]):
                t += x[r, n]
            out[r, k] = t
    return out


@njit(cache=True)
def gathered_sums(x: np.ndarray, index: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Sum of each row of a (R, N) array over groups of slots, in order -> (R, K).

    Group k is the slots ``index[offset[k]:offset[k + 1]]``; a group without slots sums to 0.
    """
    R = x.shape[0]
    K = offset.shape[0] - 1
    out = np.zeros((R, K))
    for r in range(R):
        for k in range(K):
            t = 0.0
            for i in range(offset[k], offset[k + 1]):
                t += x[r, index[i]]
            out[r, k] = t
    return out


def to_firms(eng, x_sector: np.ndarray) -> np.ndarray:
    """Broadcast a (R, S) or (S,) sector array to firms -> (R, N) or (N,)."""
    return np.repeat(x_sector, eng.layout.sector_size, axis=-1)


@njit(cache=True)
def sector_sums(
    arrays: tuple,
    live_only: np.ndarray,
    alive: np.ndarray,
    sector_start: np.ndarray,
    sector_size: np.ndarray,
) -> np.ndarray:
    """Sum each (R, N) array over each sector's slots -> (K, R, S).

    Array k counts live firms only where ``live_only[k]``. Bool arrays sum as counts.
    Two arrays are summed in one pass: their sums are independent, so the processor
    overlaps them, while each is still added slot by slot in order (35-45% faster than one
    at a time; four at a time was slower).
    """
    K = len(arrays)
    R, N = alive.shape
    S = sector_start.shape[0]
    out = np.zeros((K, R, S))
    for k0 in range(0, K, 2):
        # With an odd count the last pass sums its array twice.
        k1 = min(k0 + 1, K - 1)
        x0, x1 = arrays[k0], arrays[k1]
        all0, all1 = not live_only[k0], not live_only[k1]
        for r in range(R):
            for s in range(S):
                lo = sector_start[s]
                t0 = 0.0
                t1 = 0.0
                for n in range(lo, lo + sector_size[s]):
                    live = alive[r, n]
                    if live or all0:
                        t0 += x0[r, n]
                    if live or all1:
                        t1 += x1[r, n]
                out[k0, r, s] = t0
                out[k1, r, s] = t1
    return out


@njit(cache=True)
def scale_firms(
    factor: np.ndarray, sector_start: np.ndarray, sector_size: np.ndarray, arrays: tuple
) -> None:
    """Multiply each (R, N) array by its sector's factor (R, S), in place."""
    R, S = factor.shape
    for x in arrays:
        for r in range(R):
            for s in range(S):
                f = factor[r, s]
                lo = sector_start[s]
                for n in range(lo, lo + sector_size[s]):
                    x[r, n] *= f


@njit(cache=True)
def scale_firm_stacks(
    factor: np.ndarray, sector_start: np.ndarray, sector_size: np.ndarray, arrays: tuple
) -> None:
    """Multiply each (R, N, A) array by its sector's factor (R, S), in place."""
    R, S = factor.shape
    for x in arrays:
        A = x.shape[2]
        for r in range(R):
            for s in range(S):
                f = factor[r, s]
                lo = sector_start[s]
                for n in range(lo, lo + sector_size[s]):
                    for a in range(A):
                        x[r, n, a] *= f
