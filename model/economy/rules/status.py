"""Rule 7b, status: above-scale status and the gradient-cultivation titles by approximate rules."""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from scipy.special import ndtri

from model.config.units import TINY
from model.economy.engine import Engine


def update_status(eng: Engine) -> None:
    """Above-scale status and the gradient-cultivation titles by approximate rules."""
    st, rules, lay = eng.state, eng.region.status, eng.layout
    titles = ("specialised_new", "little_giant", "single_champion")
    held = eng.buffers("titles_held", 3, dtype=bool)
    new = eng.buffers("titles_new", 3, dtype=bool)
    status_firms(
        eng.year,
        st.alive,
        lay.make_segment,
        lay.sector_start,
        lay.sector_size,
        len(lay.segment_slots),
        eng.firm_weight,
        st.revenue,
        st.revenue_prev2,
        st.rd_reported,
        st.process_productivity,
        st.machine_productivity,
        st.model_productivity,
        np.array(
            [
                rules.above_scale_revenue_m_yuan,
                rules.sme_revenue_max_m_yuan,
                rules.specialised_new_min_revenue_m_yuan,
                rules.specialised_new_rd_intensity,
                rules.specialised_new_growth,
                rules.little_giant_min_revenue_m_yuan,
                rules.little_giant_rd_intensity,
                rules.single_champion_min_revenue_m_yuan,
                ndtri(rules.little_giant_productivity_rank),
                ndtri(rules.single_champion_productivity_rank),
            ],
            dtype=float,
        ),
        rules.validity_years,
        tuple(getattr(st, f"{t}_last_met") for t in titles),
        st.above_scale,
        held,
        new,
    )
    for i, t in enumerate(titles):
        setattr(st, f"{t}_held", held[i])
        setattr(st, f"{t}_new", new[i])


# ---------------------------------------------------------------------------- compiled loops


@njit(cache=True)
def status_firms(
    year: int,
    alive: np.ndarray,
    make_segment: np.ndarray,
    sector_start: np.ndarray,
    sector_size: np.ndarray,
    n_segments: int,
    firm_weight: float,
    revenue: np.ndarray,
    revenue_prev2: np.ndarray,
    rd_reported: np.ndarray,
    process_productivity: np.ndarray,
    machine_productivity: np.ndarray,
    model_productivity: np.ndarray,
    thresholds: np.ndarray,
    validity_years: int,
    last_met: tuple,
    above_scale: np.ndarray,
    held: np.ndarray,
    new: np.ndarray,
) -> None:
    """Above-scale status and the three gradient-cultivation titles (see ``rules.update_status``).

    ``thresholds``: above-scale revenue, SME revenue ceiling, specialised-new minimum
    revenue, R&D intensity and growth, little-giant minimum revenue and R&D intensity,
    single-champion minimum revenue, and the z-scores of the little-giant and
    single-champion productivity ranks. ``last_met`` holds the year each title's test was
    last met (specialised-new, little giant, single champion), updated in place;
    ``held`` and ``new`` are (3, R, N).
    """
    R, N = alive.shape
    S = sector_start.shape[0]
    G = n_segments
    above, sme_max, sn_min, sn_intensity, sn_growth = (
        thresholds[0],
        thresholds[1],
        thresholds[2],
        thresholds[3],
        thresholds[4],
    )
    lg_min, lg_intensity, sc_min, lg_z, sc_z = (
        thresholds[5],
        thresholds[6],
        thresholds[7],
        thresholds[8],
        thresholds[9],
    )
    log_productivity = np.empty(N)
    seg_n = np.zeros(G)
    seg_x = np.zeros(G)
    seg_xx = np.zeros(G)
    for r in range(R):
        seg_n[:] = 0.0
        seg_x[:] = 0.0
        seg_xx[:] = 0.0
        for n in range(N):
            if not alive[r, n]:
                continue
            g = make_segment[n]
            if g >= 0:
                x = math.log(max(model_productivity[r, n], TINY))
                seg_n[g] += 1.0
                seg_x[g] += x
                seg_xx[g] += x * x
            else:
                x = math.log(max(process_productivity[r, n] * machine_productivity[r, n], TINY))
            log_productivity[n] = x
        for s in range(S):
            lo = sector_start[s]
            hi = lo + sector_size[s]
            count = 0.0
            sum_x = 0.0
            sum_xx = 0.0
            for n in range(lo, hi):
                if alive[r, n]:
                    x = log_productivity[n]
                    count += 1.0
                    sum_x += x
                    sum_xx += x * x
            count = max(count, 1.0)
            mean = sum_x / count
            sd = math.sqrt(max(sum_xx / count - mean * mean, TINY))
            for n in range(lo, hi):
                live = alive[r, n]
                rev = revenue[r, n] / firm_weight  # a real firm's revenue
                z = -np.inf
                if live:
                    g = make_segment[n]
                    if g >= 0:  # machine tools: within the segment
                        c = max(seg_n[g], 1.0)
                        m = seg_x[g] / c
                        z = (log_productivity[n] - m) / math.sqrt(max(seg_xx[g] / c - m * m, TINY))
                    else:
                        z = (log_productivity[n] - mean) / sd
                intensity = rd_reported[r, n] / max(revenue[r, n], TINY) if rev > TINY else 0.0
                growth = 0.0
                if revenue_prev2[r, n] > TINY:
                    growth = (
                        math.sqrt(max(revenue[r, n], 0.0) / max(revenue_prev2[r, n], TINY)) - 1.0
                    )
                above_scale[r, n] = live and rev >= above
                meets_sn = (
                    live
                    and rev < sme_max
                    and rev >= sn_min
                    and intensity >= sn_intensity
                    and growth >= sn_growth
                )
                held_sn = year - last_met[0][r, n] < validity_years
                meets_lg = (
                    live
                    and (held_sn or meets_sn)
                    and rev >= lg_min
                    and intensity >= lg_intensity
                    and z >= lg_z
                )
                # Single champions need not be SMEs: large, R&D-intensive sector leaders.
                meets_sc = live and rev >= sc_min and intensity >= lg_intensity and z >= sc_z
                for t in range(3):
                    last = last_met[t][r, n]
                    held_before = live and (year - 1 - last < validity_years)
                    meets = meets_sn if t == 0 else (meets_lg if t == 1 else meets_sc)
                    if meets:
                        last = year
                        last_met[t][r, n] = year
                    h = live and (year - last < validity_years)
                    held[t, r, n] = h
                    new[t, r, n] = h and not held_before
