"""Compiled per-firm loops of the yearly rules (numba).

Each rule in ``model._rules`` hands its arrays to one or two loops here, written like the
rule for one firm. A loop walks the firms of a replicate once, computes the sector or
segment sums it needs in the same pass, and writes its results in place (into the state's
arrays or reused buffers), so a year builds no (replicates x firms) temporaries. Loops run
replicate by replicate and firm by firm, so a replicate's result does not depend on the
batch it runs in. Random numbers come from ``model._random``'s counter-based streams.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from model._random import STRIDE, beta_integer_into, normal, uniform

TINY = 1e-12


@njit(cache=True)
def brochure_tables(
    alive: np.ndarray,
    segment_share: np.ndarray,
    segment_slots: np.ndarray,
    segment_offset: np.ndarray,
    share_weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative weights of each segment's makers, with a guide table for fast inversion.

    A maker's weight is ``share_weight`` x its share of segment sales plus the rest split
    equally among the segment's live makers; dead slots weigh nothing. A maker is drawn by
    inversion (the first position whose cumulative weight exceeds u x total), which keeps
    common random numbers coupled: a small change in the weights changes few draws. The
    guide table (Chen and Asau 1974) gives, for each of m equal slices of the total, the
    first position that can hold a draw in it, so a draw takes about one step.

    Returns:
        Cumulative weights and guide positions, (R, M) each, by maker position
        (positions index ``segment_slots``).
    """
    R = alive.shape[0]
    M = segment_slots.shape[0]
    G = segment_offset.shape[0] - 1
    cdf = np.zeros((R, M))
    guide = np.zeros((R, M), dtype=np.int64)
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
                if alive[r, n]:
                    total += share_weight * segment_share[r, n] + (1.0 - share_weight) / max(
                        n_live, 1
                    )
                cdf[r, i] = total
            i = lo
            for k in range(m):
                bound = total * k / m
                while i < hi - 1 and cdf[r, i] <= bound:
                    i += 1
                guide[r, lo + k] = i
    return cdf, guide


@njit(inline="always")
def pick_maker(cdf: np.ndarray, guide: np.ndarray, lo: int, hi: int, u: float) -> int:
    """Position in [lo, hi) of the first cumulative weight above u x total (inversion).

    The guide entry of u's slice of the total is where the search starts (``brochure_tables``).
    """
    x = u * cdf[hi - 1]
    i = guide[lo + min(int(u * (hi - lo)), hi - lo - 1)]
    while i < hi - 1 and cdf[i] <= x:
        i += 1
    return i


@njit(cache=True)
def choose_from_brochures(
    keys: np.ndarray,
    brochure_size: int,
    alive: np.ndarray,
    buy_segment: np.ndarray,
    sector_of: np.ndarray,
    segment_cdf: np.ndarray,
    guide: np.ndarray,
    segment_offset: np.ndarray,
    p_import: np.ndarray,
    p_other: np.ndarray,
    import_position: np.ndarray,
    other_position: np.ndarray,
    column_of_position: np.ndarray,
    capital_cost: np.ndarray,
    operating_factor: np.ndarray,
    payback_years: np.ndarray,
    k1: np.ndarray,
    process_productivity: np.ndarray,
    operating_scale_of_sector: np.ndarray,
) -> np.ndarray:
    """Each buyer's brochure of k models and the one it buys.

    Slot k of a buyer's brochure shows the import model of its segment with probability
    p_import, the other provinces' model with p_other, else a Zhejiang maker of the segment
    drawn by inversion of the segment's cumulative weights. The buyer takes the model with
    the lowest risk-adjusted price plus payback-weighted operating cost.

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
        segment_cdf: (R, M) cumulative weights of the makers (``brochure_tables``).
        guide: (R, M) guide table of the cumulative weights.
        segment_offset: (G + 1,) where each segment's makers start and end.
        p_import: (G,) chance a brochure slot shows the segment's import model.
        p_other: (G,) chance it shows the other provinces' model.
        import_position: (G,) position of each segment's import model.
        other_position: (G,) position of each segment's other-province model.
        column_of_position: (M + O,) model column (slot, or N + outside model) of a position.
        capital_cost: (R, S, M + O) kappa theta x risk-adjusted price, by buyer sector.
        operating_factor: (R, S, M + O) a ** -theta, by buyer sector.
        payback_years: (R, N) each buyer's payback period b.
        k1: (R, S) machine-sensitive unit cost at productivity 1.
        process_productivity: (R, N) each buyer's process productivity.
        operating_scale_of_sector: (S,) target utilisation / equipment frontier ** (1 -
            theta): with b k1 / pi, the weight of a model's operating factor in the cost.

    Returns:
        (R, N) chosen model column per buyer.
    """
    R, N = alive.shape
    K = brochure_size
    choice = np.empty((R, N), dtype=np.int32)
    for r in range(R):
        key = keys[r]
        cdf_r = segment_cdf[r]
        guide_r = guide[r]
        capital_cost_r = capital_cost[r]
        operating_factor_r = operating_factor[r]
        for n in range(N):
            g = buy_segment[n]
            if not alive[r, n]:
                choice[r, n] = column_of_position[other_position[g]]
                continue
            lo = segment_offset[g]
            hi = segment_offset[g + 1]
            s = sector_of[n]
            below_import = p_import[g]
            below_outside = below_import + p_other[g]
            if hi == lo or cdf_r[hi - 1] <= 0.0:
                below_outside = 2.0  # no live Zhejiang maker: outside models only
            unit_machine_cost = k1[r, s] / max(process_productivity[r, n], TINY)
            weight = payback_years[r, n] * unit_machine_cost * operating_scale_of_sector[s]
            best = -1
            best_cost = np.inf
            for k in range(K):
                c = n * STRIDE + 2 * k
                src = uniform(key, c)
                if src < below_outside:
                    i = import_position[g] if src < below_import else other_position[g]
                else:
                    i = pick_maker(cdf_r, guide_r, lo, hi, uniform(key, c + 1))
                cost = capital_cost_r[s, i] + weight * operating_factor_r[s, i]
                # Selected without a branch: which slot is cheapest is unpredictable.
                better = cost < best_cost
                best = i if better else best
                best_cost = cost if better else best_cost
            choice[r, n] = column_of_position[best]
    return choice


# ------------------------------------------------------------ innovation and imitation


@njit(cache=True)
def innovate_and_imitate(
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
        # The best live Zhejiang model of each niche and segment at the start of the year.
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
            # set, Zhejiang's for a provincial-level one. Imitations never qualify.
            level = 0
            if innovated[r, n] and not imitated[n]:
                bar_zhejiang = group_best[niche_group_of[n]]
                bar_domestic = max(bar_zhejiang, other_province_model[r, make_segment[n]])
                if best >= bar_domestic * margin:
                    level = 2  # first in China (国内首台套)
                elif best >= bar_zhejiang * margin:
                    level = 1  # first in Zhejiang
            model_productivity[r, n] = best
            model_first_set_level[r, n] = level
            model_unproven[r, n] = level > 0
            model_first_set[r, n] = level > 0
            model_sets_sold[r, n] = 0.0
            model_recognised[r, n] = False
            model_vintage[r, n] = year


# ---------------------------------------------------------------------- investment


@njit(cache=True)
def invest_firms(
    head: int,
    choice: np.ndarray,
    position_of_column: np.ndarray,
    embodied_factor: np.ndarray,
    model_price: np.ndarray,
    model_risk_price: np.ndarray,
    model_unproven: np.ndarray,
    model_is_import: np.ndarray,
    alive: np.ndarray,
    make_segment: np.ndarray,
    sector_of: np.ndarray,
    theta_of_sector: np.ndarray,
    kappa_of_sector: np.ndarray,
    frontier_factor_of_sector: np.ndarray,
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
    cost_slot: np.ndarray,
    over_aged: np.ndarray,
    start_share: np.ndarray,
    life_book_share: float,
    depreciation_share: np.ndarray,
    book_share: np.ndarray,
    ages: np.ndarray,
    base_financing: float,
    relief: np.ndarray,
    other_equipment_price: float,
    target_utilisation: float,
    cash_buffer_sales_ratio: float,
    credit_limit_sales_ratio: float,
    loan_financed_share: float,
    out: np.ndarray,
    record: np.ndarray,
    by_sector: np.ndarray,
    firm_flows: np.ndarray,
    orders_inside: np.ndarray,
    orders_outside: np.ndarray,
) -> None:
    """The investment rule for every firm, in one pass over its machine cohorts.

    Retires the cohort at its technical life (the ring slot ``head``), scraps the cohorts
    that the chosen new machine pays back, finances the capacity gap, installs the new
    cohort at ``head`` and sums the cohorts for production and the accounts. Cohort arrays
    are updated in place; per-firm results go to the rows of ``out`` (see ``INVEST_OUT``),
    what only the recorder reads to the single-precision rows of ``record``
    (``INVEST_RECORD``), the replacement and expansion spending (``INVEST_FLOWS``) summed
    by sector into ``by_sector`` (2, R, S) and per firm into ``firm_flows`` only if it has
    slots, orders to the chosen maker's ``orders_inside`` (R, N) or to the
    outside model's ``orders_outside`` (R, O). Costs sit in a shorter ring that keeps only
    cohorts within their tax life (after it a cohort has no book value): ``cost_slot``
    gives, for each capacity ring slot, the cohort's cost slot or -1. A new cohort's
    embodied productivity is frontier ** (1 - theta) x a ** theta: ``frontier_factor_of_sector`` x
    1 / ``embodied_factor`` (R, S, positions), the table of a ** -theta the buyers used.
    Dead slots hold no machines and buy nothing.
    """
    R, N, A = capacity.shape
    keep = firm_flows.shape[2] > 0
    by_sector[:] = 0.0
    for r in range(R):
        for n in range(N):
            if not alive[r, n]:
                for row in range(out.shape[0]):
                    out[row, r, n] = 0.0
                for row in range(record.shape[0]):
                    record[row, r, n] = 0.0
                if keep:
                    for row in range(firm_flows.shape[0]):
                        firm_flows[row, r, n] = 0.0
                continue
            s = sector_of[n]
            # The cohort in the head slot has reached its technical life. The cost ring's head
            # holds it too if the rings are as long; else a cohort past its tax life (no book
            # value left: ``life_book_share`` is 0).
            cost_head = cost_slot[head]
            scrapped_life = np.float64(capacity[r, n, head])
            book_written_off = cost[r, n, cost_head] * life_book_share
            capacity[r, n, head] = 0.0
            cost[r, n, cost_head] = 0.0
            inverse_productivity[r, n, head] = 1.0

            j = choice[r, n]
            p = position_of_column[j]
            th = theta_of_sector[s]
            kappa = kappa_of_sector[s]
            price_new = model_price[r, p]
            e_new = frontier_factor_of_sector[s] / embodied_factor[r, s, p]
            capital_price = kappa * (th * price_new + (1.0 - th) * other_equipment_price)
            perceived = kappa * (th * model_risk_price[r, p] + (1.0 - th) * other_equipment_price)
            unit_machine_cost = k1[r, s] / max(process_productivity[r, n], TINY)
            per_saving = perceived / (payback_years[r, n] * target_utilisation * unit_machine_cost)
            inv_new = 1.0 / max(e_new, TINY)
            t_ordinary = inv_new + per_saving * base_financing
            t_over_aged = inv_new + per_saving * (base_financing - relief[r])

            # One pass: scrap what the new machine pays back, sum what stays.
            scrapped_payback = 0.0
            scrapped_over_aged = 0.0
            left = 0.0
            inputs = 0.0
            depreciation = 0.0
            book = 0.0
            age_weighted = 0.0
            for a in range(A):
                k = capacity[r, n, a]
                if k <= 0.0:
                    continue
                e_inv = inverse_productivity[r, n, a]
                cs = cost_slot[a]
                c = cost[r, n, cs] if cs >= 0 else np.float32(0.0)
                old = over_aged[a]
                if e_inv >= (t_over_aged if old else t_ordinary):
                    scrapped_payback += k
                    if old:
                        scrapped_over_aged += k
                    book_written_off += c * start_share[a]
                    capacity[r, n, a] = 0.0
                    if cs >= 0:
                        cost[r, n, cs] = 0.0
                else:
                    left += k
                    inputs += k * e_inv
                    age_weighted += k * ages[a]
                    depreciation += c * depreciation_share[a]
                    book += c * book_share[a]

            if make_segment[n] >= 0:
                desired = output_expected[r, n] / target_utilisation
            else:
                desired = market_share[r, n] * demand_expected[r, s] / target_utilisation
            gap = max(desired - left, 0.0)
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
            cost[r, n, cost_head] = spent
            cash[r, n] = cash[r, n] - spent + loan
            debt[r, n] = debt[r, n] + loan
            # The new cohort as stored (single precision) joins the sums.
            k = np.float64(capacity[r, n, head])
            c = np.float64(cost[r, n, cost_head])
            inputs += k * inverse_productivity[r, n, head]
            depreciation += c * depreciation_share[head]
            book += c * book_share[head]

            # Loans replacing cohorts past the eligible age (a cohort at its life always is).
            share_eligible = 0.0
            if scrapped > TINY:
                share_eligible = min((scrapped_over_aged + scrapped_life) / scrapped, 1.0)
            replacement_share = replacement * capital_price / spent if spent > TINY else 0.0

            order_value = new_capacity * kappa * th * price_new
            if j < N:
                orders_inside[r, j] += order_value
            else:
                orders_outside[r, j - N] += order_value

            out[0, r, n] = spent
            out[1, r, n] = loan
            out[2, r, n] = book_written_off
            out[3, r, n] = left + k
            out[4, r, n] = inputs
            out[5, r, n] = depreciation
            out[6, r, n] = book
            out[7, r, n] = loan * replacement_share * share_eligible
            by_sector[0, r, s] += replacement * capital_price
            by_sector[1, r, s] += expansion * capital_price
            if keep:
                firm_flows[0, r, n] = replacement * capital_price
                firm_flows[1, r, n] = expansion * capital_price
            record[0, r, n] = replacement
            record[1, r, n] = order_value
            record[2, r, n] = order_value if j < N else 0.0
            record[3, r, n] = order_value if model_is_import[j] else 0.0
            record[4, r, n] = order_value if (j < N and model_unproven[r, j]) else 0.0
            record[5, r, n] = age_weighted


#: Rows of ``invest_firms``'s ``out`` array, as state names.
INVEST_OUT = (
    "flow_investment",
    "flow_loans_new",
    "flow_writeoff",
    "capacity",
    "cohort_input",
    "depreciation",
    "book_value",
    "renewal_eligible_loan",  # the renewal-loan instrument subsidises these loans
)
#: Flows of ``invest_firms`` summed by sector (they add up to the investment paid).
INVEST_FLOWS = ("investment_replacement", "investment_expansion")
#: Rows of ``invest_firms``'s single-precision ``record`` array: flows that only the
#: recorder reads (7 significant digits are plenty for a sector sum, and they halve the
#: memory of these rows).
INVEST_RECORD = (
    "capacity_replaced",
    "machine_purchases",
    "machine_purchases_zhejiang",
    "machine_purchases_imported",
    "machine_purchases_unproven",
    "capacity_age",
)


# ----------------------------------------------------------------------- demography


@njit(cache=True)
def exit_firms(
    alive: np.ndarray,
    make_segment: np.ndarray,
    sector_start: np.ndarray,
    sector_size: np.ndarray,
    n_segments: int,
    revenue: np.ndarray,
    market_share: np.ndarray,
    cash: np.ndarray,
    debt: np.ndarray,
    book_value: np.ndarray,
    exit_share_fraction: float,
    zero_on_exit: tuple,
    cohort_capacity: np.ndarray,
    cohort_cost: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exit on a tiny share of the sector (machine tools: segment) or negative net worth.

    Updates ``alive`` and clears the exits' rows of the arrays in ``zero_on_exit`` (which
    include ``cash`` and ``debt``, so their exit values are returned first) and of the
    cohorts, in place.

    Returns:
        Exits (R, N), the exits' cash and debt summed by sector (R, S), and the live-firm
        revenue of each sector before the exits (R, S).
    """
    R, N = alive.shape
    S = sector_start.shape[0]
    exits = np.zeros((R, N), dtype=np.bool_)
    # The exits' cash and debt are recorded by sector only (the accounts need no more).
    exit_cash = np.zeros((R, S))
    exit_debt = np.zeros((R, S))
    sector_revenue = np.zeros((R, S))
    segment_revenue = np.zeros(n_segments)
    segment_count = np.zeros(n_segments)
    for r in range(R):
        segment_revenue[:] = 0.0
        segment_count[:] = 0.0
        for n in range(N):
            g = make_segment[n]
            if g >= 0 and alive[r, n]:
                segment_revenue[g] += revenue[r, n]
                segment_count[g] += 1.0
        for s in range(S):
            lo = sector_start[s]
            hi = lo + sector_size[s]
            count = 0.0
            total = 0.0
            for n in range(lo, hi):
                if alive[r, n]:
                    count += 1.0
                    total += revenue[r, n]
            sector_revenue[r, s] = total
            for n in range(lo, hi):
                if not alive[r, n]:
                    continue
                g = make_segment[n]
                if g >= 0:
                    share = revenue[r, n] / max(segment_revenue[g], TINY)
                    bar = exit_share_fraction / max(segment_count[g], 1.0)
                else:
                    share = market_share[r, n]
                    bar = exit_share_fraction / max(count, 1.0)
                if share < bar or cash[r, n] + book_value[r, n] - debt[r, n] < 0.0:
                    exits[r, n] = True
                    exit_cash[r, s] += cash[r, n]
                    exit_debt[r, s] += debt[r, n]
        for n in range(N):
            if exits[r, n]:
                alive[r, n] = False
                for arr in zero_on_exit:
                    arr[r, n] = 0.0
                cohort_capacity[r, n, :] = 0.0
                cohort_cost[r, n, :] = 0.0
    return exits, exit_cash, exit_debt, sector_revenue


@njit(cache=True)
def entry_statistics(
    alive: np.ndarray,
    make_segment: np.ndarray,
    sector_start: np.ndarray,
    sector_size: np.ndarray,
    n_segments: int,
    exits: np.ndarray,
    capacity: np.ndarray,
    process_productivity: np.ndarray,
    machine_productivity: np.ndarray,
    model_productivity: np.ndarray,
    revenue: np.ndarray,
    cohort_capacity: np.ndarray,
    cohort_inverse_productivity: np.ndarray,
    head: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sector and segment statistics of the survivors that entry and entrants use.

    Returns:
        Per sector (R, S): live firms, exits, free slots, capacity-weighted mean process
        productivity, the embodied productivity of this year's new machines (the
        capacity-weighted machine productivity where none were bought, 0 where no
        machines are in use); per segment (R, G): the revenue-weighted mean model
        productivity of live makers (0 where there are none).
    """
    R, N = alive.shape
    S = sector_start.shape[0]
    n_alive = np.zeros((R, S))
    n_exit = np.zeros((R, S))
    n_free = np.zeros((R, S))
    mean_pi = np.zeros((R, S))
    new_e = np.zeros((R, S))
    seg_a = np.zeros((R, n_segments))
    seg_w = np.zeros(n_segments)
    for r in range(R):
        seg_w[:] = 0.0
        for s in range(S):
            lo = sector_start[s]
            hi = lo + sector_size[s]
            w_sum = 0.0
            w_pi = 0.0
            w_e = 0.0
            new_cap = 0.0
            new_input = 0.0
            for n in range(lo, hi):
                k = np.float64(cohort_capacity[r, n, head])
                new_cap += k
                new_input += k * cohort_inverse_productivity[r, n, head]
                if exits[r, n]:
                    n_exit[r, s] += 1.0
                if not alive[r, n]:
                    n_free[r, s] += 1.0
                    continue
                n_alive[r, s] += 1.0
                w = capacity[r, n]
                w_sum += w
                w_pi += w * process_productivity[r, n]
                w_e += w * machine_productivity[r, n]
                g = make_segment[n]
                if g >= 0:
                    wr = max(revenue[r, n], TINY)
                    seg_w[g] += wr
                    seg_a[r, g] += wr * model_productivity[r, n]
            mean_pi[r, s] = w_pi / max(w_sum, TINY)
            if new_cap > TINY:
                new_e[r, s] = new_cap / max(new_input, TINY)
            else:
                new_e[r, s] = w_e / max(w_sum, TINY)
        for g in range(n_segments):
            seg_a[r, g] = seg_a[r, g] / max(seg_w[g], TINY)
    return n_alive, n_exit, n_free, mean_pi, new_e, seg_a


@njit(cache=True)
def enter_firms(
    keys: np.ndarray,
    p_enter: np.ndarray,
    year: int,
    alive: np.ndarray,
    make_segment: np.ndarray,
    sector_start: np.ndarray,
    sector_size: np.ndarray,
    mt_sector: int,
    n_alive: np.ndarray,
    sector_revenue: np.ndarray,
    mean_pi: np.ndarray,
    new_e: np.ndarray,
    segment_mean_a: np.ndarray,
    price_index: np.ndarray,
    theta_of_sector: np.ndarray,
    kappa_of_sector: np.ndarray,
    rd_intensity_of_sector: np.ndarray,
    rd_dispersion_of_sector: np.ndarray,
    high_tech_share_of_sector: np.ndarray,
    entrant_size_fraction: float,
    entrant_productivity_sd: float,
    target_utilisation: float,
    other_equipment_price: float,
    tax_rates: np.ndarray,
    f: tuple,
    i: tuple,
    b: tuple,
    cohort_capacity: np.ndarray,
    cohort_inverse_productivity: np.ndarray,
    cohort_cost: np.ndarray,
    head: int,
    cost_head: int,
    rd_real_history: np.ndarray,
    entry_cash: np.ndarray,
) -> np.ndarray:
    """Entry into free slots and the entrants' initial state (in place).

    A free slot of sector s is taken with probability ``p_enter`` (R, S); draws per slot
    (entry stream): 0 entry, 1-2 productivity noise, 3-4 R&D habit, 5 high-tech status.
    Entrants take ``entrant_size_fraction`` / live firms of the sector's revenue before
    exits, the sector's mean process productivity with noise (machine-tool makers: the
    segment's mean model), this year's new machines, and owner equity for their capital.
    The sectors' market and outside shares are then renormalised over the live firms.

    ``f`` holds float state arrays (see ``ENTRY_FLOAT``), ``i`` integer ones
    (``ENTRY_INT``), ``b`` boolean ones (``ENTRY_BOOL``); ``tax_rates`` is (CIT rate,
    high-tech rate, super-deduction).

    Returns:
        Entrants (R, N).
    """
    (
        market_share,
        outside_share,
        process_productivity,
        model_productivity,
        model_sets_sold,
        capacity,
        machine_productivity,
        cash,
        debt,
        revenue,
        revenue_prev,
        revenue_prev2,
        output_real,
        output_real_prev,
        output_expected,
        price,
        rd_intensity_fe,
        rd_real,
        rd_reported,
        rd_reported_prev,
        rd_user_cost_base,
        unfilled,
        mt_segment_share,
    ) = f
    (model_first_set_level, model_vintage, sn_last_met, lg_last_met, sc_last_met) = i
    (model_unproven, model_first_set, model_recognised, high_tech) = b
    R, N = alive.shape
    S = sector_start.shape[0]
    L = rd_real_history.shape[2]
    entered = np.zeros((R, N), dtype=np.bool_)
    cit_rate, high_tech_rate, super_deduction = tax_rates[0], tax_rates[1], tax_rates[2]
    for r in range(R):
        key = keys[r]
        for s in range(S):
            lo = sector_start[s]
            hi = lo + sector_size[s]
            p = p_enter[r, s]
            share = entrant_size_fraction / max(n_alive[r, s], 1.0)
            revenue_e = share * sector_revenue[r, s]
            th = theta_of_sector[s]
            capital_price = kappa_of_sector[s] * (
                th * price_index[r, mt_sector] + (1.0 - th) * other_equipment_price
            )
            price_e = price_index[r, s]
            capacity_e = revenue_e / max(price_e, TINY) / target_utilisation
            sigma = rd_dispersion_of_sector[s]
            for n in range(lo, hi):
                if alive[r, n]:
                    continue
                c = n * STRIDE
                if not uniform(key, c) < p:
                    continue
                entered[r, n] = True
                alive[r, n] = True
                g = make_segment[n]
                noise = math.exp(entrant_productivity_sd * normal(key, c + 1))
                market_share[r, n] = 0.0 if g >= 0 else share
                outside_share[r, n] = share if g >= 0 else 0.0
                process_productivity[r, n] = mean_pi[r, s] * noise
                if g >= 0:
                    model_productivity[r, n] = segment_mean_a[r, g] * noise
                mt_segment_share[r, n] = 0.0  # no sales yet
                model_unproven[r, n] = False
                model_first_set[r, n] = False
                model_recognised[r, n] = False
                model_sets_sold[r, n] = 1e9
                model_first_set_level[r, n] = 0
                model_vintage[r, n] = year
                e0 = new_e[r, s]
                cohort_capacity[r, n, :] = 0.0
                cohort_inverse_productivity[r, n, :] = 1.0
                cohort_cost[r, n, :] = 0.0
                cohort_capacity[r, n, head] = capacity_e
                cohort_inverse_productivity[r, n, head] = 1.0 / e0
                cohort_cost[r, n, cost_head] = capacity_e * capital_price
                capacity[r, n] = capacity_e
                machine_productivity[r, n] = e0
                entry_cash[r, s] += 0.2 * revenue_e  # owner equity, recorded by sector
                cash[r, n] = 0.2 * revenue_e
                debt[r, n] = 0.0
                revenue[r, n] = revenue_e
                revenue_prev[r, n] = revenue_e
                revenue_prev2[r, n] = revenue_e
                real = revenue_e / max(price_e, TINY)
                output_real[r, n] = real
                output_real_prev[r, n] = real
                output_expected[r, n] = real
                price[r, n] = price_e
                fe = rd_intensity_of_sector[s] * math.exp(
                    sigma * normal(key, c + 3) - 0.5 * sigma * sigma
                )
                rd_intensity_fe[r, n] = fe
                rd_real[r, n] = fe * revenue_e
                rd_reported[r, n] = fe * revenue_e
                rd_reported_prev[r, n] = fe * revenue_e
                for lag in range(L):
                    rd_real_history[r, n, lag] = fe * revenue_e
                ht = uniform(key, c + 5) < high_tech_share_of_sector[s]
                high_tech[r, n] = ht
                tau = high_tech_rate if ht else cit_rate
                rd_user_cost_base[r, n] = 1.0 - tau * (1.0 + super_deduction)
                unfilled[r, n] = 0.0
                sn_last_met[r, n] = -9999
                lg_last_met[r, n] = -9999
                sc_last_met[r, n] = -9999
            # The sector's shares again sum to one over its live firms.
            total_m = 0.0
            total_o = 0.0
            for n in range(lo, hi):
                if alive[r, n]:
                    total_m += market_share[r, n]
                    total_o += outside_share[r, n]
            for n in range(lo, hi):
                if alive[r, n]:
                    market_share[r, n] = market_share[r, n] / max(total_m, TINY)
                    outside_share[r, n] = outside_share[r, n] / max(total_o, TINY)
                else:
                    market_share[r, n] = 0.0
                    outside_share[r, n] = 0.0
    return entered


ENTRY_FLOAT = (
    "market_share",
    "outside_share",
    "process_productivity",
    "model_productivity",
    "model_sets_sold",
    "capacity",
    "machine_productivity",
    "cash",
    "debt",
    "revenue",
    "revenue_prev",
    "revenue_prev2",
    "output_real",
    "output_real_prev",
    "output_expected",
    "price",
    "rd_intensity_fe",
    "rd_real",
    "rd_reported",
    "rd_reported_prev",
    "rd_user_cost_base",
    "unfilled",
    "mt_segment_share",
)
ENTRY_INT = (
    "model_first_set_level",
    "model_vintage",
    "specialised_new_last_met",
    "little_giant_last_met",
    "single_champion_last_met",
)
ENTRY_BOOL = ("model_unproven", "model_first_set", "model_recognised", "high_tech")


# ----------------------------------------------------------- production and market


@njit(cache=True)
def produce_firms(
    alive: np.ndarray,
    make_segment: np.ndarray,
    sector_start: np.ndarray,
    sector_size: np.ndarray,
    k1: np.ndarray,
    k2: np.ndarray,
    markup_of_sector: np.ndarray,
    demand_real: np.ndarray,
    outside_machine_demand: np.ndarray,
    segment_price_index: np.ndarray,
    set_price: np.ndarray,
    firm_weight: float,
    sets_to_prove: float,
    expectation_smoothing: float,
    capacity: np.ndarray,
    cohort_input: np.ndarray,
    process_productivity: np.ndarray,
    market_share: np.ndarray,
    outside_share: np.ndarray,
    orders_inside: np.ndarray,
    machine_productivity: np.ndarray,
    output_expected: np.ndarray,
    model_sets_sold: np.ndarray,
    model_first_set: np.ndarray,
    model_recognised: np.ndarray,
    model_unproven: np.ndarray,
    out: np.ndarray,
    output_real: np.ndarray,
    revenue_out: np.ndarray,
    first_sale: np.ndarray,
    price_index: np.ndarray,
) -> None:
    """Unit cost, price, output, sales and the sector price index (see ``rules.produce``).

    Updates the arrays from ``machine_productivity`` to ``model_unproven`` in place; writes
    unit cost, price, unfilled demand and outside sales to the rows of ``out``
    (``PRODUCE_OUT``), real output and revenue to ``output_real`` and ``revenue_out``
    (last year's are not read), first-set recognitions to ``first_sale`` and the new
    price index to ``price_index`` (R, S).
    """
    R, N = alive.shape
    S = sector_start.shape[0]
    lam = expectation_smoothing
    for r in range(R):
        for s in range(S):
            lo = sector_start[s]
            hi = lo + sector_size[s]
            unmet = 0.0
            spare_total = 0.0
            for n in range(lo, hi):
                if cohort_input[r, n] > TINY:
                    machine_productivity[r, n] = capacity[r, n] / cohort_input[r, n]
                productivity = process_productivity[r, n] * machine_productivity[r, n]
                unit_cost = k1[r, s] / max(productivity, TINY) + k2[r, s]
                out[0, r, n] = (1.0 + markup_of_sector[s]) * unit_cost
                if alive[r, n] and make_segment[n] < 0:
                    wanted = market_share[r, n] * demand_real[r, s]
                    first = min(wanted, capacity[r, n])
                    unmet += wanted - first
                    spare_total += capacity[r, n] - first
            fill = min(unmet / max(spare_total, TINY), 1.0)
            w_sum = 0.0
            wp_sum = 0.0
            for n in range(lo, hi):
                price = out[0, r, n]
                if not alive[r, n]:
                    out[1, r, n] = 0.0
                    out[2, r, n] = 0.0
                    output_real[r, n] = 0.0
                    revenue_out[r, n] = 0.0
                    first_sale[r, n] = False
                    output_expected[r, n] = lam * output_expected[r, n]
                    continue
                if make_segment[n] < 0:
                    wanted = market_share[r, n] * demand_real[r, s]
                    first = min(wanted, capacity[r, n])
                    output = first + (capacity[r, n] - first) * fill
                    out[1, r, n] = (wanted - first) / wanted if wanted > TINY else 0.0
                    out[2, r, n] = 0.0
                    revenue = output * price
                    weight = market_share[r, n]
                    first_sale[r, n] = False
                else:
                    # Orders from inside the province plus a share of outside demand.
                    g = make_segment[n]
                    index = segment_price_index[g]
                    outside_value = outside_share[r, n] * outside_machine_demand[r]
                    sales_value = orders_inside[r, n] + outside_value
                    output = sales_value / max(price * index, TINY) * index
                    out[1, r, n] = 0.0
                    out[2, r, n] = outside_value
                    revenue = sales_value
                    weight = revenue
                    # A first set is recognised, and proven, by sales to Zhejiang users.
                    sets = orders_inside[r, n] / set_price[g]
                    fs = model_first_set[r, n] and not model_recognised[r, n] and sets > 0.0
                    first_sale[r, n] = fs
                    if fs:
                        model_recognised[r, n] = True
                    model_sets_sold[r, n] += sets
                    if model_sets_sold[r, n] / firm_weight >= sets_to_prove:
                        model_unproven[r, n] = False
                output_real[r, n] = output
                revenue_out[r, n] = revenue
                output_expected[r, n] = lam * output_expected[r, n] + (1.0 - lam) * output
                w_sum += weight
                wp_sum += weight * price
            price_index[r, s] = wp_sum / max(w_sum, TINY)


#: Rows of ``produce_firms``'s ``out``. (Unit cost is price / (1 + markup), not kept.)
PRODUCE_OUT = ("price", "unfilled", "sales_outside")


@njit(cache=True)
def compete(
    alive: np.ndarray,
    make_segment: np.ndarray,
    sector_start: np.ndarray,
    sector_size: np.ndarray,
    n_segments: int,
    price: np.ndarray,
    price_index: np.ndarray,
    unfilled: np.ndarray,
    model_productivity: np.ndarray,
    model_risk_price: np.ndarray,
    position_of_column: np.ndarray,
    revenue: np.ndarray,
    replicator_chi: float,
    unfilled_demand_weight: float,
    market_share: np.ndarray,
    outside_share: np.ndarray,
    mt_segment_share: np.ndarray,
) -> None:
    """Replicator dynamics of market shares (in place; see ``rules.produce``).

    User firms compete on price relative to the sector index and on unfilled demand;
    machine-tool makers' outside shares on log productivity less log risk-adjusted price,
    relative to their segment's outside-share-weighted mean. ``mt_segment_share`` becomes
    each maker's share of its segment's sales.
    """
    R, N = alive.shape
    S = sector_start.shape[0]
    G = n_segments
    comp = np.zeros(N)
    seg_w = np.zeros(G)
    seg_wx = np.zeros(G)
    seg_revenue = np.zeros(G)
    for r in range(R):
        seg_w[:] = 0.0
        seg_wx[:] = 0.0
        seg_revenue[:] = 0.0
        for n in range(N):
            if not alive[r, n]:
                comp[n] = 0.0
                continue
            g = make_segment[n]
            if g >= 0:
                x = math.log(max(model_productivity[r, n], TINY)) - math.log(
                    max(model_risk_price[r, position_of_column[n]], TINY)
                )
                comp[n] = x
                seg_w[g] += outside_share[r, n]
                seg_wx[g] += outside_share[r, n] * x
                seg_revenue[g] += revenue[r, n]
        for s in range(S):
            lo = sector_start[s]
            hi = lo + sector_size[s]
            for n in range(lo, hi):
                if not alive[r, n]:
                    continue
                g = make_segment[n]
                if g >= 0:
                    comp[n] -= seg_wx[g] / max(seg_w[g], TINY)
                else:
                    comp[n] = (
                        -math.log(max(price[r, n], TINY) / max(price_index[r, s], TINY))
                        - unfilled_demand_weight * unfilled[r, n]
                    )
            for shares in (market_share, outside_share):
                total = 0.0
                weighted = 0.0
                for n in range(lo, hi):
                    if alive[r, n]:
                        total += shares[r, n]
                        weighted += shares[r, n] * comp[n]
                mean = weighted / max(total, TINY)
                total = 0.0
                for n in range(lo, hi):
                    v = 0.0
                    if alive[r, n]:
                        v = max(shares[r, n] * (1.0 + replicator_chi * (comp[n] - mean)), 0.0)
                    shares[r, n] = v
                    total += v
                for n in range(lo, hi):
                    shares[r, n] = shares[r, n] / max(total, TINY)
        for n in range(N):
            g = make_segment[n]
            if g >= 0 and alive[r, n]:
                mt_segment_share[r, n] = revenue[r, n] / max(seg_revenue[g], TINY)
            else:
                mt_segment_share[r, n] = 0.0


# ------------------------------------------------------------------------------ R&D


@njit(cache=True)
def research(
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


# ------------------------------------------------------------------------ accounts


@njit(cache=True)
def account(
    sector_of: np.ndarray,
    high_tech: np.ndarray,
    k1: np.ndarray,
    k2: np.ndarray,
    labour_of_k1: np.ndarray,
    process_productivity: np.ndarray,
    machine_productivity: np.ndarray,
    output_real: np.ndarray,
    revenue: np.ndarray,
    debt: np.ndarray,
    depreciation: np.ndarray,
    flow_writeoff: np.ndarray,
    rd_real: np.ndarray,
    rd_reported: np.ndarray,
    wage_per_worker: np.ndarray,
    rates: np.ndarray,
    out: np.ndarray,
    by_sector: np.ndarray,
    totals: np.ndarray,
    firm_flows: np.ndarray,
) -> None:
    """Value added, wages, employment, taxes and profit before subsidy (see ``rules.account``).

    ``rates`` is (loan rate, VAT rate, CIT rate, high-tech rate, super-deduction);
    ``wage_per_worker`` is (R,). Profit and CIT, which the cash rule reads, go to the rows of
    ``out`` (``ACCOUNT_OUT``). What only the recorder reads (``ACCOUNT_FLOWS``) is summed by
    sector into ``by_sector`` (K, R, S), and value added and employment also over all firms
    in one running sum each into ``totals`` (2, R), which the recorder checks the sectors
    against; per firm, into ``firm_flows`` (K, R, N) only if it has slots (the rule-by-rule
    check asks for them).
    """
    R, N = output_real.shape
    loan_rate, vat_rate, cit_rate, high_tech_rate, super_deduction = (
        rates[0],
        rates[1],
        rates[2],
        rates[3],
        rates[4],
    )
    keep = firm_flows.shape[2] > 0
    by_sector[:] = 0.0
    totals[:] = 0.0
    for r in range(R):
        for n in range(N):
            s = sector_of[n]
            productivity = process_productivity[r, n] * machine_productivity[r, n]
            machine_cost = k1[r, s] / max(productivity, TINY) * output_real[r, n]
            wages = labour_of_k1[s] * machine_cost
            intermediate = machine_cost - wages + k2[r, s] * output_real[r, n]
            value_added = max(revenue[r, n] - intermediate, 0.0)
            interest = debt[r, n] * loan_rate
            vat = vat_rate * value_added
            profit = (
                value_added
                - wages
                - vat
                - depreciation[r, n]
                - flow_writeoff[r, n]
                - interest
                - rd_real[r, n]
            )
            ht = high_tech[r, n]
            tau = high_tech_rate if ht else cit_rate
            taxable = profit - super_deduction * rd_reported[r, n]
            out[0, r, n] = profit
            out[1, r, n] = tau * max(taxable, 0.0)
            employment = wages / wage_per_worker[r]
            # Tax expenditures, for the payer ledger: CIT forgone by the super-deduction and
            # by the high-tech rate.
            forgone_sd = tau * (max(profit, 0.0) - max(taxable, 0.0))
            forgone_ht = (cit_rate - high_tech_rate) * max(taxable, 0.0) if ht else 0.0
            by_sector[0, r, s] += wages
            by_sector[1, r, s] += value_added
            by_sector[2, r, s] += employment
            by_sector[3, r, s] += vat
            by_sector[4, r, s] += forgone_sd
            by_sector[5, r, s] += forgone_ht
            totals[0, r] += value_added
            totals[1, r] += employment
            if keep:
                firm_flows[0, r, n] = wages
                firm_flows[1, r, n] = value_added
                firm_flows[2, r, n] = employment
                firm_flows[3, r, n] = vat
                firm_flows[4, r, n] = forgone_sd
                firm_flows[5, r, n] = forgone_ht


ACCOUNT_OUT = ("profit_before_tax", "cit")
#: Flows of ``account`` that only the recorder reads: summed by sector (``by_sector``).
ACCOUNT_FLOWS = (
    "wages",
    "value_added",
    "employment",
    "vat",
    "tax_expenditure_super_deduction",
    "tax_expenditure_high_tech",
)


@njit(cache=True)
def settle_cash(
    alive: np.ndarray,
    profit_before_tax: np.ndarray,
    cit: np.ndarray,
    subsidy_received: np.ndarray,
    depreciation: np.ndarray,
    flow_writeoff: np.ndarray,
    revenue: np.ndarray,
    loan_term_years: float,
    dividend_cash_ratio: float,
    cash: np.ndarray,
    debt: np.ndarray,
    flow_loans_new: np.ndarray,
    sector_of: np.ndarray,
    by_sector: np.ndarray,
    firm_flows: np.ndarray,
) -> None:
    """Roll cash and loans forward (in place; see ``rules.settle_cash``).

    Net profit, repayment and dividends (``SETTLE_FLOWS``) are summed by sector into
    ``by_sector`` (3, R, S), and kept per firm in ``firm_flows`` (3, R, N) only if it has
    slots.
    """
    R, N = cash.shape
    keep = firm_flows.shape[2] > 0
    by_sector[:] = 0.0
    for r in range(R):
        for n in range(N):
            net_profit = profit_before_tax[r, n] - cit[r, n] + subsidy_received[r, n]
            live = alive[r, n]
            repayment = min(debt[r, n] / loan_term_years, debt[r, n]) if live else 0.0
            # Cash already has investment paid and new loans added (rule 4).
            c = cash[r, n] + net_profit + depreciation[r, n] + flow_writeoff[r, n] - repayment
            dividends = max(c - dividend_cash_ratio * revenue[r, n], 0.0) if live else 0.0
            c = c - dividends
            overdraft = max(-c, 0.0)
            cash[r, n] = c + overdraft
            debt[r, n] = debt[r, n] - repayment + overdraft
            flow_loans_new[r, n] += overdraft  # the bank's overdraft is a new loan
            s = sector_of[n]
            by_sector[0, r, s] += net_profit
            by_sector[1, r, s] += repayment
            by_sector[2, r, s] += dividends
            if keep:
                firm_flows[0, r, n] = net_profit
                firm_flows[1, r, n] = repayment
                firm_flows[2, r, n] = dividends


#: Flows of ``settle_cash``, summed by sector.
SETTLE_FLOWS = ("net_profit", "flow_repayment", "flow_dividends")


# ------------------------------------------------------------------------- status


@njit(cache=True)
def update_status(
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


# ----------------------------------------------------------------------- recording


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
    """
    K = len(arrays)
    R, N = alive.shape
    S = sector_start.shape[0]
    out = np.zeros((K, R, S))
    k = 0
    for x in arrays:
        for r in range(R):
            for s in range(S):
                lo = sector_start[s]
                total = 0.0
                if live_only[k]:
                    for n in range(lo, lo + sector_size[s]):
                        if alive[r, n]:
                            total += x[r, n]
                else:
                    for n in range(lo, lo + sector_size[s]):
                        total += x[r, n]
                out[k, r, s] = total
        k += 1
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
