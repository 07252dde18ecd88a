"""Compiled per-firm loops for the hot path of the investment rule.

The rules in ``model._rules`` are vectorised numpy; three steps walk every firm's machine
cohorts or brochure and would otherwise build several (replicates x firms x cohorts)
temporaries a year. Here each is one pass over memory. The loops run replicate by replicate
and firm by firm, so a replicate's result does not depend on the batch it runs in.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from model._random import STRIDE, beta_integer, uniform

TINY = 1e-12


@njit(cache=True)
def alias_tables(
    alive: np.ndarray,
    segment_share: np.ndarray,
    segment_slots: np.ndarray,
    segment_offset: np.ndarray,
    share_weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias tables of each segment's makers, weighted by share and equal weight.

    A maker's weight is ``share_weight`` x its share of segment sales plus the rest split
    equally among the segment's live makers; dead slots weigh nothing. Built with Vose's
    method, so one uniform draw picks a maker in constant time.

    Returns:
        Acceptance probability and alias position of each maker position, (R, M) each
        (positions index ``segment_slots``); a segment with no weight has probability -1.
    """
    R = alive.shape[0]
    M = segment_slots.shape[0]
    G = segment_offset.shape[0] - 1
    prob = np.zeros((R, M))
    alias = np.zeros((R, M), dtype=np.int64)
    small = np.empty(M, dtype=np.int64)
    large = np.empty(M, dtype=np.int64)
    scaled = np.empty(M)
    for r in range(R):
        for g in range(G):
            lo, hi = segment_offset[g], segment_offset[g + 1]
            m = hi - lo
            n_live = 0
            for i in range(lo, hi):
                if alive[r, segment_slots[i]]:
                    n_live += 1
            total = 0.0
            for i in range(lo, hi):
                n = segment_slots[i]
                w = 0.0
                if alive[r, n]:
                    w = share_weight * segment_share[r, n] + (1.0 - share_weight) / max(n_live, 1)
                scaled[i] = w
                total += w
            if total <= 0.0:
                for i in range(lo, hi):
                    prob[r, i] = -1.0
                    alias[r, i] = i
                continue
            n_small = 0
            n_large = 0
            for i in range(lo, hi):
                scaled[i] = scaled[i] * m / total
                if scaled[i] < 1.0:
                    small[n_small] = i
                    n_small += 1
                else:
                    large[n_large] = i
                    n_large += 1
            while n_small > 0 and n_large > 0:
                n_small -= 1
                s_i = small[n_small]
                l_i = large[n_large - 1]
                prob[r, s_i] = scaled[s_i]
                alias[r, s_i] = l_i
                scaled[l_i] = scaled[l_i] + scaled[s_i] - 1.0
                if scaled[l_i] < 1.0:
                    n_large -= 1
                    small[n_small] = l_i
                    n_small += 1
            for k in range(n_large):
                prob[r, large[k]] = 1.0
                alias[r, large[k]] = large[k]
            for k in range(n_small):  # rounding leftovers
                prob[r, small[k]] = 1.0
                alias[r, small[k]] = small[k]
    return prob, alias


@njit(cache=True)
def choose_from_brochures(
    keys: np.ndarray,
    brochure_size: int,
    alive: np.ndarray,
    buy_segment: np.ndarray,
    sector_of: np.ndarray,
    alias_prob: np.ndarray,
    alias_index: np.ndarray,
    segment_offset: np.ndarray,
    p_import: np.ndarray,
    p_other: np.ndarray,
    import_position: np.ndarray,
    other_position: np.ndarray,
    column_of_position: np.ndarray,
    capital_cost: np.ndarray,
    operating_factor: np.ndarray,
    operating_weight: np.ndarray,
) -> np.ndarray:
    """Each buyer's brochure of k models and the one it buys.

    Slot k of a buyer's brochure shows the import model of its segment with probability
    p_import, the other provinces' model with p_other, else a Zhejiang maker of the segment
    drawn by the segment's alias table. The buyer takes the model with the lowest
    risk-adjusted price plus payback-weighted operating cost.

    Models are indexed by position: the segments' makers in ``segment_slots`` order, then
    the outside models.

    Args:
        keys: (R,) this year's brochure stream keys; brochure slot k of buyer n uses draws
            n * STRIDE + 2k (its source) and n * STRIDE + 2k + 1 (the Zhejiang maker).
        brochure_size: k, the models in a brochure.
        alive: (R, N) live firms; a dead slot gets its segment's other-province model (it
            buys nothing, but every slot needs a valid column).
        buy_segment: (N,) segment each buyer shops in.
        sector_of: (N,) each buyer's sector.
        alias_prob: (R, M) alias-table acceptance probabilities (``alias_tables``).
        alias_index: (R, M) alias positions.
        segment_offset: (G + 1,) where each segment's makers start and end.
        p_import: (G,) chance a brochure slot shows the segment's import model.
        p_other: (G,) chance it shows the other provinces' model.
        import_position: (G,) position of each segment's import model.
        other_position: (G,) position of each segment's other-province model.
        column_of_position: (M + O,) model column (slot, or N + outside model) of a position.
        capital_cost: (R, S, M + O) kappa theta x risk-adjusted price, by buyer sector.
        operating_factor: (R, S, M + O) a ** -theta, by buyer sector.
        operating_weight: (R, N) payback years x utilisation x unit machine cost / the
            equipment frontier ** (1 - theta), per buyer.

    Returns:
        (R, N) chosen model column per buyer.
    """
    R, N = alive.shape
    K = brochure_size
    choice = np.empty((R, N), dtype=np.int64)
    for r in range(R):
        key = keys[r]
        for n in range(N):
            g = buy_segment[n]
            if not alive[r, n]:
                choice[r, n] = column_of_position[other_position[g]]
                continue
            lo = segment_offset[g]
            m = segment_offset[g + 1] - lo
            s = sector_of[n]
            weight = operating_weight[r, n]
            best = -1
            best_cost = np.inf
            for k in range(K):
                c = n * STRIDE + 2 * k
                src = uniform(key, c)
                if src < p_import[g]:
                    i = import_position[g]
                elif src < p_import[g] + p_other[g] or m == 0 or alias_prob[r, lo] < 0.0:
                    i = other_position[g]
                else:
                    x = uniform(key, c + 1) * m
                    i = min(int(x), m - 1)
                    if x - i >= alias_prob[r, lo + i]:
                        i = alias_index[r, lo + i]
                    else:
                        i = lo + i
                cost = capital_cost[r, s, i] + weight * operating_factor[r, s, i]
                if cost < best_cost:
                    best_cost = cost
                    best = i
            choice[r, n] = column_of_position[best]
    return choice


# ------------------------------------------------------------ innovation and imitation


@njit(cache=True)
def innovate_and_imitate(
    keys_innovation: np.ndarray,
    keys_imitation: np.ndarray,
    alive: np.ndarray,
    make_segment: np.ndarray,
    sector_of: np.ndarray,
    cluster_start: np.ndarray,
    cluster_size: np.ndarray,
    sector_start: np.ndarray,
    sector_size: np.ndarray,
    process_productivity: np.ndarray,
    model_productivity: np.ndarray,
    intensity_units: np.ndarray,
    bar_zhejiang: np.ndarray,
    bar_domestic: np.ndarray,
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
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """K+S search of every firm from the start-of-year levels (see ``rules.innovate_and_imitate``).

    Draws per slot: 0 innovation success, 1.. the jump's order statistic (innovation
    stream); 0 imitation attempt, 1 local or sector peer, 2 which peer (imitation stream).

    Returns:
        The best level found (R, N), whether it came from the firm's own innovation, whether
        from imitation, and the first-set level of a new model (0 none, 1 provincial,
        2 national).
    """
    R, N = alive.shape
    best_out = np.empty((R, N))
    innovated = np.zeros((R, N), dtype=np.bool_)
    imitated = np.zeros((R, N), dtype=np.bool_)
    level_out = np.zeros((R, N), dtype=np.int8)
    margin = 1.0 + first_set_margin
    for r in range(R):
        k_inn = keys_innovation[r]
        k_imi = keys_imitation[r]
        for n in range(N):
            is_mt = make_segment[n] >= 0
            level = model_productivity[r, n] if is_mt else process_productivity[r, n]
            best = level
            if not alive[r, n]:
                best_out[r, n] = best
                continue
            c = n * STRIDE
            x = intensity_units[r, n]
            if innovation_on:
                if uniform(k_inn, c) < 1.0 - math.exp(-zeta_innovation * x):
                    jump = jump_lo + (jump_hi - jump_lo) * beta_integer(k_inn, c + 1, jump_a, jump_b)
                    candidate = level * (1.0 + jump)
                    if candidate > best:
                        best = candidate
                        innovated[r, n] = True
            if imitation_on:
                if uniform(k_imi, c) < 1.0 - math.exp(-zeta_imitation * x):
                    u_peer = uniform(k_imi, c + 2)
                    if uniform(k_imi, c + 1) < cluster_peer_probability:
                        peer = cluster_start[n] + int(u_peer * cluster_size[n])
                    else:
                        peer = sector_start[n] + int(u_peer * sector_size[n])
                    # Machine-tool firms copy only peers making the same segment.
                    if alive[r, peer] and make_segment[peer] == make_segment[n]:
                        if make_segment[peer] >= 0:
                            peer_level = model_productivity[r, peer]
                        else:
                            peer_level = process_productivity[r, peer]
                        if peer_level > best:
                            best = peer_level
                            imitated[r, n] = True
            best_out[r, n] = best
            # First-set test: only an own innovation that is not beaten by a copy qualifies.
            if is_mt and innovated[r, n] and not imitated[r, n] and best > level:
                if best >= bar_domestic[r, n] * margin:
                    level_out[r, n] = 2  # first in China (国内首台套)
                elif best >= bar_zhejiang[r, n] * margin:
                    level_out[r, n] = 1  # first in Zhejiang
    return best_out, innovated, imitated, level_out


# ---------------------------------------------------------------------- investment


@njit(cache=True)
def invest_firms(
    head: int,
    choice: np.ndarray,
    model_productivity: np.ndarray,
    model_price: np.ndarray,
    model_risk_price: np.ndarray,
    model_unproven: np.ndarray,
    model_is_import: np.ndarray,
    alive: np.ndarray,
    make_segment: np.ndarray,
    sector_of: np.ndarray,
    theta_of_sector: np.ndarray,
    kappa_of_sector: np.ndarray,
    k1: np.ndarray,
    demand_expected: np.ndarray,
    process_productivity: np.ndarray,
    payback_years: np.ndarray,
    market_share: np.ndarray,
    output_expected: np.ndarray,
    revenue: np.ndarray,
    cash: np.ndarray,
    debt: np.ndarray,
    capacity: np.ndarray,
    inverse_productivity: np.ndarray,
    cost: np.ndarray,
    over_aged: np.ndarray,
    start_share: np.ndarray,
    life_book_share: float,
    depreciation_share: np.ndarray,
    book_share: np.ndarray,
    ages: np.ndarray,
    base_financing: float,
    relief: np.ndarray,
    frontier: float,
    other_equipment_price: float,
    target_utilisation: float,
    cash_buffer_sales_ratio: float,
    credit_limit_sales_ratio: float,
    loan_financed_share: float,
    out: np.ndarray,
    orders: np.ndarray,
) -> None:
    """The investment rule for every firm, in one pass over its machine cohorts.

    Retires the cohort at its technical life (the ring slot ``head``), scraps the cohorts
    that the chosen new machine pays back, finances the capacity gap, installs the new
    cohort at ``head`` and sums the cohorts for production and the accounts. Cohort arrays
    are updated in place; per-firm results go to the rows of ``out`` (see ``INVEST_OUT``),
    orders by model column are added to ``orders`` (R, N + O).
    """
    R, N, A = capacity.shape
    for r in range(R):
        for n in range(N):
            s = sector_of[n]
            live = alive[r, n]
            # The cohort in the head slot has reached its technical life.
            scrapped_life = capacity[r, n, head] if live else 0.0
            book_written_off = cost[r, n, head] * life_book_share
            capacity[r, n, head] = 0.0
            cost[r, n, head] = 0.0
            inverse_productivity[r, n, head] = 1.0

            j = choice[r, n]
            th = theta_of_sector[s]
            kappa = kappa_of_sector[s]
            price_new = model_price[r, j]
            e_new = frontier ** (1.0 - th) * model_productivity[r, j] ** th
            capital_price = kappa * (th * price_new + (1.0 - th) * other_equipment_price)
            perceived = kappa * (th * model_risk_price[r, j] + (1.0 - th) * other_equipment_price)
            unit_machine_cost = k1[r, s] / max(process_productivity[r, n], TINY)
            per_saving = perceived / (payback_years[r, n] * target_utilisation * unit_machine_cost)
            inv_new = 1.0 / max(e_new, TINY)
            t_ordinary = inv_new + per_saving * base_financing
            t_over_aged = inv_new + per_saving * (base_financing - relief[r])

            scrapped_payback = 0.0
            scrapped_over_aged = 0.0
            left = 0.0
            if live:
                for a in range(A):
                    k = capacity[r, n, a]
                    if k <= 0.0:
                        continue
                    t = t_over_aged if over_aged[a] else t_ordinary
                    if inverse_productivity[r, n, a] >= t:
                        scrapped_payback += k
                        if over_aged[a]:
                            scrapped_over_aged += k
                        book_written_off += cost[r, n, a] * start_share[a]
                        capacity[r, n, a] = 0.0
                        cost[r, n, a] = 0.0
                    else:
                        left += k

            if make_segment[n] >= 0:
                desired = output_expected[r, n] / target_utilisation
            else:
                desired = market_share[r, n] * demand_expected[r, s] / target_utilisation
            gap = max(desired - left, 0.0) if live else 0.0
            scrapped = scrapped_life + scrapped_payback
            replacement = min(gap, scrapped)
            expansion = gap - replacement
            wanted = gap * capital_price
            internal = max(cash[r, n] - cash_buffer_sales_ratio * revenue[r, n], 0.0)
            credit_room = max(credit_limit_sales_ratio * revenue[r, n] - debt[r, n], 0.0)
            # Loans finance at least the usual share of investment, and any shortfall of cash.
            loan = min(max(wanted - internal, loan_financed_share * wanted), credit_room)
            if wanted > TINY:
                ratio = min(wanted, internal + loan) / wanted
                replacement *= ratio
                expansion *= ratio
            new_capacity = replacement + expansion
            spent = new_capacity * capital_price
            capacity[r, n, head] = new_capacity
            inverse_productivity[r, n, head] = inv_new
            cost[r, n, head] = spent
            cash[r, n] = cash[r, n] - spent + loan
            debt[r, n] = debt[r, n] + loan

            # Loans replacing cohorts past the eligible age (a cohort at its life always is).
            share_eligible = 0.0
            if scrapped > TINY:
                share_eligible = min((scrapped_over_aged + scrapped_life) / scrapped, 1.0)
            replacement_share = replacement * capital_price / spent if spent > TINY else 0.0

            order_value = new_capacity * kappa * th * price_new
            orders[r, j] += order_value

            # The year's cohorts, new one included, for production and the accounts.
            total = 0.0
            inputs = 0.0
            depreciation = 0.0
            book = 0.0
            age_weighted = 0.0
            for a in range(A):
                k = capacity[r, n, a]
                c = cost[r, n, a]
                if k > 0.0:
                    total += k
                    inputs += k * inverse_productivity[r, n, a]
                    age_weighted += k * ages[a]
                if c != 0.0:
                    depreciation += c * depreciation_share[a]
                    book += c * book_share[a]

            out[0, r, n] = spent
            out[1, r, n] = loan
            out[2, r, n] = book_written_off
            out[3, r, n] = replacement * capital_price
            out[4, r, n] = expansion * capital_price
            out[5, r, n] = replacement
            out[6, r, n] = loan * replacement_share * share_eligible
            out[7, r, n] = share_eligible
            out[8, r, n] = order_value
            out[9, r, n] = order_value if j < N else 0.0
            out[10, r, n] = order_value if model_is_import[j] else 0.0
            out[11, r, n] = order_value if (j < N and model_unproven[r, j]) else 0.0
            out[12, r, n] = total
            out[13, r, n] = inputs
            out[14, r, n] = depreciation
            out[15, r, n] = book
            out[16, r, n] = age_weighted


#: Rows of ``invest_firms``'s ``out`` array, as state names.
INVEST_OUT = (
    "flow_investment",
    "flow_loans_new",
    "flow_writeoff",
    "investment_replacement",
    "investment_expansion",
    "capacity_replaced",
    "renewal_eligible_loan",
    "loan_age_eligible_share",
    "machine_purchases",
    "machine_purchases_zhejiang",
    "machine_purchases_imported",
    "machine_purchases_unproven",
    "capacity",
    "cohort_input",
    "depreciation",
    "book_value",
    "capacity_age",
)
