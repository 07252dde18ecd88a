"""Rule 3, innovation and imitation: K+S draws from lagged real R&D, with cluster spillovers."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from model.config.units import TINY
from model.economy.compiled import njit
from model.economy.engine import Engine
from model.economy.layout import SlotTables
from model.economy.sizes import log_size
from model.economy.state import bundle, bundle_type
from model.economy.streams import STRIDE, beta_integer_into, uniform


def innovate_and_imitate(eng: Engine) -> None:
    """Innovation and imitation from lagged real R&D (K+S draws, cluster spillovers).

    User firms improve process productivity; machine-tool firms improve their model. An
    innovated model that beats the best model of its niche and segment by the first-set
    margin is listed as a first set (recognised that year): international-level if it beats
    the foreign frontier, domestic-level if it beats every domestic model (the other
    provinces' frontier), provincial-level if it beats the region's. It stays unproven until
    its first sets are sold to in-region users.
    """
    st, sc, lay = eng.state, eng.scenario.innovation, eng.layout
    params = SearchParams(
        year=eng.year,
        keys_innovation=eng.stream_keys("innovation"),
        keys_imitation=eng.stream_keys("imitation"),
        n_niche_groups=len(lay.niche_group_start),
        # The frontiers a first set must beat: the best model of the segment elsewhere in
        # China and abroad, above the representative models buyers are offered.
        domestic_frontier=eng.other_province_model() * (1.0 + sc.domestic_frontier_gap),
        foreign_frontier=eng.import_model() * (1.0 + sc.foreign_frontier_gap),
        rd_lag=sc.rd_lag_years - 1,
        innovation_on=sc.enabled,
        imitation_on=sc.imitation_enabled,
        zeta_innovation=sc.zeta_innovation,
        zeta_imitation=sc.zeta_imitation,
        jump_a=int(sc.jump_beta[0]),
        jump_b=int(sc.jump_beta[1]),
        jump_lo=sc.jump_support[0],
        jump_hi=sc.jump_support[1],
        cluster_peer_probability=sc.cluster_peer_probability,
        first_set_margin=sc.first_set_margin,
        imitation_size_elasticity=sc.imitation_size_elasticity,
        firm_weight=eng.firm_weight,
        above_scale_m_yuan=eng.region.status.above_scale_revenue_m_yuan,
    )
    innovate_firms(lay.tables, bundle(SearchFirms, st), params)


# ---------------------------------------------------------------------------- compiled loops


#: What the search loop reads and writes of the state.
SearchFirms = bundle_type(
    "SearchFirms",
    (
        "alive",
        "rd_real_history",
        "output_real",
        "revenue",
        "process_productivity",
        "model_productivity",
        "innovated",
        "model_first_set_level",
        "model_unproven",
        "model_first_set",
        "model_sets_sold",
        "model_recognised",
        "first_set_recognised",
        "model_vintage",
    ),
    __name__,
)


class SearchParams(NamedTuple):
    """The search loop's parameters (``[innovation]`` of the scenario) and this year's tables."""

    year: int
    keys_innovation: np.ndarray  # (R,) this year's innovation stream keys
    keys_imitation: np.ndarray  # (R,) this year's imitation stream keys
    n_niche_groups: int
    domestic_frontier: np.ndarray  # (R, G) the best other-province model of each segment
    foreign_frontier: np.ndarray  # (R, G) the best foreign model of each segment
    rd_lag: int  # R&D effort is real R&D of rd_lag + 1 years ago
    innovation_on: bool
    imitation_on: bool
    zeta_innovation: float
    zeta_imitation: float
    jump_a: int
    jump_b: int
    jump_lo: float
    jump_hi: float
    cluster_peer_probability: float
    first_set_margin: float
    imitation_size_elasticity: float  # gamma: a user firm closes (size / threshold)^-gamma
    firm_weight: float  # real firms per simulated firm
    above_scale_m_yuan: float  # the revenue per real firm up to which the whole gap is closed


#: Slot draws an imitator makes for a peer before it picks from the list of live firms
#: (``_peer``): with a block's slots at least a third live, all fail once in 10^10 searches.
PEER_SLOT_DRAWS = 60


@njit(inline="always")
def _other_live_firm(
    live_list: np.ndarray, live_before: np.ndarray, lo: int, hi: int, n: int, u: float
) -> int:
    """A live firm of the slots [lo, hi) other than the live firm n, each as likely; -1 if none.

    ``live_list`` holds the live slots in order and ``live_before[k]`` how many live slots
    precede slot k, so the block's live firms are ``live_list[live_before[lo]:live_before[hi]]``
    and n sits at ``live_before[n]``. The uniform ``u`` picks among the others.
    """
    first = live_before[lo]
    others = live_before[hi] - first - 1
    if others <= 0:
        return -1
    k = first + min(int(u * others), others - 1)
    if k >= live_before[n]:
        k += 1  # step over the imitator itself
    return live_list[k]


@njit(inline="always")
def _peer(
    alive: np.ndarray,
    live_list: np.ndarray,
    live_before: np.ndarray,
    lo: int,
    hi: int,
    full_lo: int,
    full_size: int,
    slot_position: np.ndarray,
    n: int,
    key,
    counter: int,
) -> int:
    """An imitator's peer: one of the other live firms of the slots [lo, hi), each as likely.

    Slots of the block are drawn uniformly (draws ``counter``, ``counter + 1``, ...) until one
    holds a live firm other than n, which is then uniform over those firms; after
    ``PEER_SLOT_DRAWS`` misses the next draw picks from the list of them
    (``_other_live_firm``), so the peer is uniform whatever the block's free slots. Drawing
    slots first keeps twins coupled (common random numbers): where the first live slot drawn
    is live in both, both copy the same firm, while a pick by rank would shift with every entry
    or exit before it. -1 if n is the block's only live firm.

    The slots are drawn from the block's ``full_size`` slots in the full layout, from
    ``full_lo`` on, and ``slot_position`` maps them to this layout's (-1: not open, so free):
    the peer is then the same whichever of the block's slots are open.
    """
    if live_before[hi] - live_before[lo] <= 1:
        return -1
    for k in range(PEER_SLOT_DRAWS):
        j = slot_position[full_lo + min(int(uniform(key, counter + k) * full_size), full_size - 1)]
        if j >= 0 and j != n and alive[j]:
            return j
    u = uniform(key, counter + PEER_SLOT_DRAWS)
    return _other_live_firm(live_list, live_before, lo, hi, n, u)


@njit(cache=True)
def innovate_firms(lay: SlotTables, f: SearchFirms, p: SearchParams) -> None:
    """K+S search of every firm from the start-of-year levels (see ``rules.innovate_and_imitate``).

    Every firm searches from the levels at the start of the year (a copy found this year
    is not copied on), then the results are written in place. Draws per slot: 0
    innovation success, 1.. the jump's order statistic (innovation stream); 0 imitation
    attempt, 1 local or sector peer, 2.. which peer (imitation stream; ``_peer``: one of the
    other live firms of the firm's cluster or sector, each as likely).

    A user firm that imitates closes the share (last year's revenue per real firm / the
    above-scale threshold)^-gamma of the gap to its peer's productivity (the whole gap at or
    below the threshold; ``imitation_size_elasticity``); a maker copies its peer's model.

    A firm's R&D effort is its R&D intensity: real R&D of ``rd_lag`` + 1 years ago over last
    year's real output. Each innovation improves a part of the firm's products, so success
    chances grow with R&D relative to size, not with R&D alone (Klette and Kortum 2004):
    otherwise the largest firms innovate every year and every sector concentrates.
    ``lay.niche_group_of`` gives each machine-tool slot's (niche, segment) group (-1
    elsewhere).
    """
    # The bundles' arrays and values by name, read once: numba does not hoist a NamedTuple's
    # fields out of the loops (reading them inside cost 15-40% of the loops' time).
    slot_id = lay.slot_id
    niche_group_of = lay.niche_group_of
    make_segment = lay.make_segment
    sector_of = lay.sector_of
    cluster_of = lay.cluster_of
    cluster_start = lay.cluster_start
    cluster_size = lay.cluster_size
    sector_start = lay.sector_start
    sector_size = lay.sector_size
    full_cluster_start = lay.full_cluster_start
    full_cluster_size = lay.full_cluster_size
    full_sector_start = lay.full_sector_start
    full_sector_size = lay.full_sector_size
    slot_position = lay.slot_position
    alive = f.alive
    model_productivity = f.model_productivity
    process_productivity = f.process_productivity
    innovated = f.innovated
    rd_real_history = f.rd_real_history
    output_real = f.output_real
    revenue = f.revenue
    model_first_set_level = f.model_first_set_level
    model_unproven = f.model_unproven
    model_first_set = f.model_first_set
    model_sets_sold = f.model_sets_sold
    model_recognised = f.model_recognised
    first_set_recognised = f.first_set_recognised
    model_vintage = f.model_vintage
    n_niche_groups = p.n_niche_groups
    jump_a = p.jump_a
    jump_b = p.jump_b
    first_set_margin = p.first_set_margin
    keys_innovation = p.keys_innovation
    keys_imitation = p.keys_imitation
    year = p.year
    rd_lag = p.rd_lag
    innovation_on = p.innovation_on
    zeta_innovation = p.zeta_innovation
    jump_lo = p.jump_lo
    jump_hi = p.jump_hi
    imitation_on = p.imitation_on
    zeta_imitation = p.zeta_imitation
    cluster_peer_probability = p.cluster_peer_probability
    domestic_frontier = p.domestic_frontier
    foreign_frontier = p.foreign_frontier
    gamma = p.imitation_size_elasticity
    firm_weight = p.firm_weight
    threshold = p.above_scale_m_yuan
    R, N = alive.shape
    best_level = np.empty(N)
    imitated = np.zeros(N, dtype=np.bool_)
    group_best = np.zeros(n_niche_groups)
    jump_uniforms = np.empty(max(jump_a + jump_b - 1, 1))
    margin = 1.0 + first_set_margin
    # The live firms in slot order, and how many live firms precede each slot: the live
    # firms of a block of slots (a cluster, a sector) are then one run of the list.
    live_list = np.empty(N, dtype=np.int64)
    live_before = np.empty(N + 1, dtype=np.int64)
    for r in range(R):
        k_inn = keys_innovation[r]
        k_imi = keys_imitation[r]
        n_live = 0
        for n in range(N):
            live_before[n] = n_live
            if alive[r, n]:
                live_list[n_live] = n
                n_live += 1
        live_before[N] = n_live
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
                c = slot_id[n] * STRIDE
                x = rd_real_history[r, n, rd_lag] / max(output_real[r, n], TINY)
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
                        if uniform(k_imi, c + 1) < cluster_peer_probability:
                            cl = cluster_of[n]
                            lo = cluster_start[cl]
                            hi = lo + cluster_size[cl]
                            full_lo = full_cluster_start[cl]
                            full_size = full_cluster_size[cl]
                        else:
                            s = sector_of[n]
                            lo = sector_start[s]
                            hi = lo + sector_size[s]
                            full_lo = full_sector_start[s]
                            full_size = full_sector_size[s]
                        peer = _peer(
                            alive[r],
                            live_list,
                            live_before,
                            lo,
                            hi,
                            full_lo,
                            full_size,
                            slot_position,
                            n,
                            k_imi,
                            c + 2,
                        )
                        # Machine-tool firms copy only peers making the same segment.
                        if peer >= 0 and make_segment[peer] == make_segment[n]:
                            if make_segment[peer] >= 0:
                                peer_level = model_productivity[r, peer]
                            else:
                                peer_level = process_productivity[r, peer]
                                if gamma > 0.0 and peer_level > level:
                                    # A larger firm's practices span more lines and plants
                                    # than one peer's example reaches: it closes a share of
                                    # the gap falling with its size (a maker copies a model).
                                    size = log_size(revenue[r, n] / firm_weight, threshold)
                                    reach = math.exp(-gamma * size)
                                    peer_level = level + reach * (peer_level - level)
                            if peer_level > best:
                                best = peer_level
                                imitated[n] = True
            best_level[n] = best
        for n in range(N):
            if make_segment[n] < 0:
                process_productivity[r, n] = best_level[n]
                continue
            first_set_recognised[r, n] = False
            best = best_level[n]
            if not best > model_productivity[r, n]:
                continue
            # A new model. It is a first set if it beats the best model of its niche and
            # segment by the stated margin: the foreign frontier for an international first
            # set, every domestic model for a domestic one, the region's for a provincial
            # one. Imitations never qualify. The province lists it in the year it appears.
            level = 0
            if innovated[r, n] and not imitated[n]:
                g = make_segment[n]
                bar_in_region = group_best[niche_group_of[n]]
                bar_domestic = max(bar_in_region, domestic_frontier[r, g])
                bar_foreign = max(bar_domestic, foreign_frontier[r, g])
                if best >= bar_foreign * margin:
                    level = 3  # first in the world (国际首台套)
                elif best >= bar_domestic * margin:
                    level = 2  # first in China (国内首台套)
                elif best >= bar_in_region * margin:
                    level = 1  # first in the province (省内首台套)
            model_productivity[r, n] = best
            model_first_set_level[r, n] = level
            model_unproven[r, n] = level > 0
            model_first_set[r, n] = level > 0
            model_sets_sold[r, n] = 0.0
            model_recognised[r, n] = level > 0
            first_set_recognised[r, n] = level > 0
            model_vintage[r, n] = year
