"""Rule 2, R&D: real and reported R&D from the after-tax user cost of R&D, and its compiled loop."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from model.economy.compiled import njit
from model.economy.engine import Engine
from model.economy.state import bundle, bundle_type
from model.economy.taxes import rd_tax_cost


def research(eng: Engine) -> None:
    """Real and reported R&D from the after-tax user cost of R&D.

    Real R&D = intensity x last year's revenue, with the intensity scaled by exp(-elasticity x
    (user cost / base-year user cost - 1)), which has the estimated elasticity at the base and
    stays finite however low the user cost falls; a firm on the machine-tool list deducts its
    list's larger share of R&D. Reported R&D exceeds real R&D when the user cost falls
    (relabelling: reported responds with the larger elasticity); firms just below a bonus
    threshold may bunch above it by relabelling.
    """
    st, sc, exo = eng.state, eng.scenario, eng.exo
    expected = np.asarray(eng.policy.rd_reward_rate(eng), dtype=float)
    if expected.ndim < 2:
        expected = np.full((eng.R, 1), float(expected))
    # Last year's reported R&D becomes the previous year's; its buffer takes this year's.
    st.rd_reported_prev, st.rd_reported = st.rd_reported, st.rd_reported_prev
    research_firms(
        bundle(ResearchFirms, st),
        ResearchParams(
            expected_reward_rate=expected,
            cit_rate=exo.cit_rate,
            high_tech_rate=exo.high_tech_rate,
            super_deduction=exo.super_deduction,
            listed_super_deduction=exo.listed_super_deduction,
            elasticity_real=sc.rd.user_cost_elasticity_real,
            elasticity_reported=sc.rd.user_cost_elasticity_reported,
        ),
    )
    eng.policy.relabel_reported_rd(eng)


# ---------------------------------------------------------------------------- compiled loops


#: What the R&D loop reads and writes of the state.
ResearchFirms = bundle_type(
    "ResearchFirms",
    (
        "alive",
        "high_tech",
        "on_machine_tool_list",
        "revenue",
        "rd_intensity_fe",
        "rd_user_cost_base",
        "basic_research_share",
        "rd_real_history",
        "rd_real",
        "rd_reported",
        "basic_research",
    ),
    __name__,
)


class ResearchParams(NamedTuple):
    """The R&D loop's parameters.

    ``expected_reward_rate`` is (R, N), or (R, 1) when no firm expects a reward.
    """

    expected_reward_rate: np.ndarray
    cit_rate: float
    high_tech_rate: float
    super_deduction: float
    listed_super_deduction: float  # a firm on the machine-tool list (>= super_deduction)
    elasticity_real: float
    elasticity_reported: float


@njit(cache=True)
def research_firms(f: ResearchFirms, p: ResearchParams) -> None:
    """Real and reported R&D from the after-tax user cost (in place; see ``rules.research``).

    ``rd_real`` enters as last year's and joins the front of ``rd_real_history``.
    """
    # The bundles' arrays and values by name, read once: numba does not hoist a NamedTuple's
    # fields out of the loops (reading them inside cost 15-40% of the loops' time).
    alive = f.alive
    rd_real_history = f.rd_real_history
    rd_real = f.rd_real
    high_tech = f.high_tech
    on_list = f.on_machine_tool_list
    rd_user_cost_base = f.rd_user_cost_base
    rd_intensity_fe = f.rd_intensity_fe
    revenue = f.revenue
    rd_reported = f.rd_reported
    basic_research = f.basic_research
    basic_research_share = f.basic_research_share
    expected_reward_rate = p.expected_reward_rate
    elasticity_real = p.elasticity_real
    elasticity_reported = p.elasticity_reported
    R, N = alive.shape
    L = rd_real_history.shape[2]
    per_firm = expected_reward_rate.shape[1] == N
    cit_rate, high_tech_rate, super_deduction = p.cit_rate, p.high_tech_rate, p.super_deduction
    listed_super_deduction = p.listed_super_deduction
    for r in range(R):
        for n in range(N):
            for lag in range(L - 1, 0, -1):
                rd_real_history[r, n, lag] = rd_real_history[r, n, lag - 1]
            rd_real_history[r, n, 0] = rd_real[r, n]
            tau = high_tech_rate if high_tech[r, n] else cit_rate
            bonus = expected_reward_rate[r, n] if per_firm else expected_reward_rate[r, 0]
            deduction = listed_super_deduction if on_list[r, n] else super_deduction
            # A reward beyond the after-tax cost makes R&D free, and no more than free: the
            # expected first-set award per yuan of R&D of a segment with few makers can exceed
            # the cost, and a negative user cost would raise R&D without limit.
            user_cost = max(rd_tax_cost(tau, deduction) - bonus, 0.0)
            # Semi-elastic in the user cost's change on the firm's base: the estimated
            # elasticities hold at the margin, and a large reward, even one that makes R&D
            # free, raises R&D by a bounded factor (at most exp(elasticity)).
            change = user_cost / rd_user_cost_base[r, n] - 1.0 if alive[r, n] else 0.0
            intensity = rd_intensity_fe[r, n]
            relabel = 1.0
            if change != 0.0:
                intensity *= math.exp(-elasticity_real * change)
                relabel = max(math.exp(-(elasticity_reported - elasticity_real) * change), 1.0)
            real = intensity * revenue[r, n] if alive[r, n] else 0.0
            rd_real[r, n] = real
            rd_reported[r, n] = real * relabel
            basic_research[r, n] = real * basic_research_share[r, n]
