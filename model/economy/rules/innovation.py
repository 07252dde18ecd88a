"""Rule 3, innovation and imitation: K+S draws from lagged real R&D, with cluster spillovers."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from model.economy.engine import Engine
from model.economy.streams import STRIDE, beta_integer_into, uniform


def innovate_and_imitate(eng: Engine) -> None:
    """Innovation and imitation from lagged real R&D (K+S draws, cluster spillovers).

    User firms improve process productivity; machine-tool firms improve their model. An
    innovated model that beats the best model of its niche and segment by the first-set
    margin is a first-set candidate: national-level if it beats every domestic model,
    provincial-level if it beats the region's. It stays unproven until its first sets are
    sold to in-region users.
    """
    st, sc, lay = eng.state, eng.scenario.innovation, eng.layout
    innovate_firms(
        eng.year,
        eng.stream_keys("innovation"),
        eng.stream_keys("imitation"),
        st.alive,
        lay.make_segment,
        lay.sector_of,
        lay.cluster_of,
        lay.cluster_start,
        lay.cluster_size,
        lay.sector_start,
        lay.sector_size,
        lay.niche_group_of,
        len(lay.niche_group_start),
        eng.other_province_model(),
        st.rd_real_history,
        sc.rd_lag_years - 1,
        eng.par.rd_scale,
        sc.enabled,
        sc.imitation_enabled,
        sc.zeta_innovation,
        sc.zeta_imitation,
        int(sc.jump_beta[0]),
        int(sc.jump_beta[1]),
        sc.jump_support[0],
        sc.jump_support[1],
        sc.cluster_peer_probability,
        sc.first_set_margin,
        st.process_productivity,
        st.model_productivity,
        st.innovated,
        st.model_first_set_level,
        st.model_unproven,
        st.model_first_set,
        st.model_sets_sold,
        st.model_recognised,
        st.model_vintage,
    )


# ---------------------------------------------------------------------------- compiled loops


@njit(cache=True)
def innovate_firms(
    year: int,
    keys_innovation: np.ndarray,
    keys_imitation: np.ndarray,
    alive: np.ndarray,
    make_segment: np.ndarray,
    sector_of: np.ndarray,
    cluster_of: np.ndarray,
    cluster_start: np.ndarray,
    cluster_size: np.ndarray,
    sector_start: np.ndarray,
    sector_size: np.ndarray,
    niche_group_of: np.ndarray,
    n_niche_groups: int,
    other_province_model: np.ndarray,
    rd_real_history: np.ndarray,
    rd_lag: int,
    rd_scale_of_sector: np.ndarray,
    innovation_on: bool,
    imitation_on: bool,
    zeta_innovation: float,
    zeta_imitation: float,
    jump_a: int,
    jump_b: int,
    jump_lo: float,
    jump_hi: float,
    cluster_peer_probability: float,
    first_set_margin: float,
    process_productivity: np.ndarray,
    model_productivity: np.ndarray,
    innovated: np.ndarray,
    model_first_set_level: np.ndarray,
    model_unproven: np.ndarray,
    model_first_set: np.ndarray,
    model_sets_sold: np.ndarray,
    model_recognised: np.ndarray,
    model_vintage: np.ndarray,
) -> None:
    """K+S search of every firm from the start-of-year levels (see ``rules.innovate_and_imitate``).

    Every firm searches from the levels at the start of the year (a copy found this year
    is not copied on), then the results are written in place. Draws per slot: 0
    innovation success, 1.. the jump's order statistic (innovation stream); 0 imitation
    attempt, 1 local or sector peer, 2 which peer (imitation stream).

    A firm's R&D effort is its real R&D of ``rd_lag`` + 1 years ago in units of its
    sector's ``rd_scale``. ``cluster_start`` .. ``sector_size`` are per cluster and per
    sector; ``niche_group_of`` gives each machine-tool slot's (niche, segment) group (-1
    elsewhere); ``other_province_model`` (R, G) the other provinces' model of each
    segment.
    """
    R, N = alive.shape
    best_level = np.empty(N)
    imitated = np.zeros(N, dtype=np.bool_)
    group_best = np.zeros(n_niche_groups)
    jump_uniforms = np.empty(max(jump_a + jump_b - 1, 1))
    margin = 1.0 + first_set_margin
    for r in range(R):
        k_inn = keys_innovation[r]
        k_imi = keys_imitation[r]
        # The best live in-region model of each niche and segment at the start of the year.
        group_best[:] = 0.0
        for n in range(N):
            grp = niche_group_of[n]
            if grp >= 0 and alive[r, n]:
                group_best[grp] = max(group_best[grp], model_productivity[r, n])
        for n in range(N):
            is_mt = make_segment[n] >= 0
            level = model_productivity[r, n] if is_mt else process_productivity[r, n]
            best = level
            innovated[r, n] = False
            imitated[n] = False
            if alive[r, n]:
                c = n * STRIDE
                x = rd_real_history[r, n, rd_lag] / rd_scale_of_sector[sector_of[n]]
                if innovation_on:
                    if uniform(k_inn, c) < 1.0 - math.exp(-zeta_innovation * x):
                        jump = jump_lo + (jump_hi - jump_lo) * beta_integer_into(
                            k_inn, c + 1, jump_a, jump_b, jump_uniforms
                        )
                        candidate = level * (1.0 + jump)
                        if candidate > best:
                            best = candidate
                            innovated[r, n] = True
                if imitation_on:
                    if uniform(k_imi, c) < 1.0 - math.exp(-zeta_imitation * x):
                        u_peer = uniform(k_imi, c + 2)
                        if uniform(k_imi, c + 1) < cluster_peer_probability:
                            cl = cluster_of[n]
                            peer = cluster_start[cl] + int(u_peer * cluster_size[cl])
                        else:
                            s = sector_of[n]
                            peer = sector_start[s] + int(u_peer * sector_size[s])
                        # Machine-tool firms copy only peers making the same segment.
                        if alive[r, peer] and make_segment[peer] == make_segment[n]:
                            if make_segment[peer] >= 0:
                                peer_level = model_productivity[r, peer]
                            else:
                                peer_level = process_productivity[r, peer]
                            if peer_level > best:
                                best = peer_level
                                imitated[n] = True
            best_level[n] = best
        for n in range(N):
            if make_segment[n] < 0:
                process_productivity[r, n] = best_level[n]
                continue
            best = best_level[n]
            if not best > model_productivity[r, n]:
                continue
            # A new model. It is a first set if it beats the best model of its niche and
            # segment by the stated margin: every domestic model for a national-level first
            # set, the region's for a provincial-level one. Imitations never qualify.
            level = 0
            if innovated[r, n] and not imitated[n]:
                bar_in_region = group_best[niche_group_of[n]]
                bar_domestic = max(bar_in_region, other_province_model[r, make_segment[n]])
                if best >= bar_domestic * margin:
                    level = 2  # first in China (国内首台套)
                elif best >= bar_in_region * margin:
                    level = 1  # first in the region
            model_productivity[r, n] = best
            model_first_set_level[r, n] = level
            model_unproven[r, n] = level > 0
            model_first_set[r, n] = level > 0
            model_sets_sold[r, n] = 0.0
            model_recognised[r, n] = False
            model_vintage[r, n] = year
