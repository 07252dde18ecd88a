"""Rule 2, R&D: real and reported R&D from the after-tax user cost of R&D, and its compiled loop."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from model.economy.engine import Engine


def research(eng: Engine) -> None:
    """Real and reported R&D from the after-tax user cost of R&D.

    Real R&D = intensity x last year's revenue, with the intensity scaled by
    (user cost / base-year user cost) ** -elasticity. Reported R&D exceeds real R&D when the
    user cost falls (relabelling: reported responds with the larger elasticity); firms just
    below a bonus threshold may bunch above it by relabelling.
    """
    st, sc, exo = eng.state, eng.scenario, eng.exo
    expected = np.asarray(eng.policy.rd_reward_rate(eng), dtype=float)
    if expected.ndim < 2:
        expected = np.full((eng.R, 1), float(expected))
    # Last year's reported R&D becomes the previous year's; its buffer takes this year's.
    st.rd_reported_prev, st.rd_reported = st.rd_reported, st.rd_reported_prev
    research_firms(
        st.alive,
        st.high_tech,
        st.revenue,
        st.rd_intensity_fe,
        st.rd_user_cost_base,
        st.basic_research_share,
        expected,
        np.array([exo.cit_rate, exo.high_tech_rate, exo.super_deduction], dtype=float),
        sc.rd.user_cost_elasticity_real,
        sc.rd.user_cost_elasticity_reported,
        st.rd_real_history,
        st.rd_real,
        st.rd_reported,
        st.basic_research,
    )
    eng.policy.relabel_reported_rd(eng)


# ---------------------------------------------------------------------------- compiled loops


@njit(cache=True)
def research_firms(
    alive: np.ndarray,
    high_tech: np.ndarray,
    revenue: np.ndarray,
    rd_intensity_fe: np.ndarray,
    rd_user_cost_base: np.ndarray,
    basic_research_share: np.ndarray,
    expected_bonus_rate: np.ndarray,
    tax_rates: np.ndarray,
    elasticity_real: float,
    elasticity_reported: float,
    rd_real_history: np.ndarray,
    rd_real: np.ndarray,
    rd_reported: np.ndarray,
    basic_research: np.ndarray,
) -> None:
    """Real and reported R&D from the after-tax user cost (in place; see ``rules.research``).

    ``expected_bonus_rate`` is (R, N), or (R, 1) when no firm expects a bonus;
    ``tax_rates`` is (CIT rate, high-tech rate, super-deduction). ``rd_real`` enters as
    last year's and joins the front of ``rd_real_history``.
    """
    R, N = alive.shape
    L = rd_real_history.shape[2]
    per_firm = expected_bonus_rate.shape[1] == N
    cit_rate, high_tech_rate, super_deduction = tax_rates[0], tax_rates[1], tax_rates[2]
    for r in range(R):
        for n in range(N):
            for lag in range(L - 1, 0, -1):
                rd_real_history[r, n, lag] = rd_real_history[r, n, lag - 1]
            rd_real_history[r, n, 0] = rd_real[r, n]
            tau = high_tech_rate if high_tech[r, n] else cit_rate
            bonus = expected_bonus_rate[r, n] if per_firm else expected_bonus_rate[r, 0]
            user_cost = max(1.0 - tau * (1.0 + super_deduction) - bonus, 0.05)
            relative = user_cost / rd_user_cost_base[r, n]
            intensity = rd_intensity_fe[r, n]
            relabel = 1.0
            if relative != 1.0:
                log_relative = math.log(relative)
                intensity *= math.exp(-elasticity_real * log_relative)
                relabel = max(
                    math.exp(-(elasticity_reported - elasticity_real) * log_relative), 1.0
                )
            real = intensity * revenue[r, n] if alive[r, n] else 0.0
            rd_real[r, n] = real
            rd_reported[r, n] = real * relabel
            basic_research[r, n] = real * basic_research_share[r, n]
