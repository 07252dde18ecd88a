"""Rule 4, investment: brochures and buyers' choice, payback scrapping, expansion, finance."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from model.config.units import TINY
from model.economy.engine import Engine
from model.economy.streams import STRIDE, uniform


def invest(eng: Engine) -> None:
    """Vintage investment: scrapping by technical life and payback, expansion, finance.

    Buyers compare the k models in their brochure by price (with the risk premium on
    unproven models) plus b years of operating cost, and buy the cheapest. A cohort is
    scrapped when new capacity pays for itself within b years, the financing cost included
    (so an interest subsidy pulls replacement forward), or at its technical life.

    A cohort is scrapped when 1/e_a - 1/e_new >= price x financing / (b u k1/pi): one
    threshold per firm for ordinary cohorts and one for over-aged ones (whose replacement
    loans may be subsidised). The firm then finances the gap between desired capacity and
    the capacity left: loans cover at least the usual share and any shortfall of cash, up
    to the credit limit, and investment is cut to what is funded. The per-firm arithmetic is
    ``invest_firms``.
    """
    st, sc, lay, par = eng.state, eng.scenario, eng.layout, eng.par
    inv = sc.investment
    R = eng.R
    # Age the machine stock one year: the ring of cohorts turns by one slot, and the cohort
    # in the slot the new machines will take has reached its technical life.
    A = st.cohort_capacity.shape[2]
    eng.cohort_years += 1
    eng.cohort_head = eng.cohort_years % A
    ages = eng.cohort_ages()  # age of each slot's cohort at the end of this year
    productivity, price, risk_price = eng.model_table()  # (R, M + O), by model position
    models = model_costs(eng, productivity, risk_price)
    choice = choose_machines(eng, models)
    # Cash has the loan rate as its opportunity cost, so every purchase carries the interest of
    # a straight-amortised loan, r (T + 1) / 2 per yuan; the policy may relieve eligible ones.
    base_financing = 1.0 + eng.exo.loan_rate * (inv.loan_term_years + 1) / 2.0
    relief = eng.policy.financing_relief(eng)
    over_aged = ages > eng.policy.eligible_replacement_age(eng)  # (A,) by slot
    life = inv.tax_depreciation_years
    out = eng.buffers("invest", len(INVEST_OUT))
    record = eng.buffers("invest_record", len(INVEST_RECORD), dtype=np.float32)
    by_sector, firm_flows = eng.flow_blocks("invest", INVEST_FLOWS)
    orders_inside = eng.buffers("orders_inside", 1)[0]
    orders_inside[:] = 0.0
    orders_outside = np.zeros((R, eng.n_outside))
    invest_firms(
        eng.cohort_head,
        choice,
        eng.position_of_column,
        models.operating_factor,
        price,
        risk_price,
        st.model_unproven,
        eng.model_is_import,
        st.alive,
        lay.make_segment,
        lay.sector_of,
        par.theta,
        par.kappa,
        float(eng.exo.other_equipment_productivity) ** (1.0 - par.theta),
        st.k1,
        st.demand_expected,
        st.process_productivity,
        st.payback_years,
        st.market_share,
        st.output_expected,
        st.revenue,
        st.cash,
        st.debt,
        st.cohort_capacity,
        st.cohort_inverse_productivity,
        st.cohort_cost,
        eng.cost_slot_of_ring(),
        over_aged,
        # Book value written off on scrapping: cost x (1 - age at the start of the year / life).
        _remaining_book_share(eng, ages - 1),
        float(_remaining_book_share(eng, A - 1)),
        (ages < life) / life,
        _remaining_book_share(eng, ages),
        ages.astype(float),
        float(base_financing),
        np.broadcast_to(np.asarray(relief, dtype=float).reshape(-1), (R,)).copy(),
        float(eng.exo.other_equipment_price),
        inv.target_utilisation,
        inv.cash_buffer_sales_ratio,
        inv.credit_limit_sales_ratio,
        inv.loan_financed_share,
        out,
        record,
        by_sector,
        firm_flows,
        orders_inside,
        orders_outside,
    )
    eng.publish_flows(INVEST_FLOWS, by_sector, firm_flows)
    for i, name in enumerate(INVEST_OUT):
        setattr(st, name, out[i])
    for i, name in enumerate(INVEST_RECORD):
        setattr(st, name, record[i])
    # Machine-tool orders: the machine-tool part of the spending goes to the chosen model.
    st.orders_inside = orders_inside
    st.orders_outside_models = orders_outside
    st.machine_choice = choice
    eng.policy.after_investment(eng)


def _remaining_book_share(eng: Engine, age: np.ndarray | int) -> np.ndarray:
    """Share of a cohort's cost still on the books after ``age + 1`` years of depreciation."""
    life = eng.scenario.investment.tax_depreciation_years
    return np.clip(1.0 - (np.asarray(age) + 1.0) / life, 0.0, 1.0)


class ModelCosts(NamedTuple):
    """This year's cost of each offered model to a buyer of each sector, by model position.

    Positions are the segments' makers, then the outside models (``Engine.makers``,
    ``Engine.column_of_position``).
    """

    capital_cost: np.ndarray  # (R, S, M + O) kappa theta x risk-adjusted price
    operating_factor: np.ndarray  # (R, S, M + O) a ** -theta


def model_costs(eng: Engine, productivity: np.ndarray, risk_price: np.ndarray) -> ModelCosts:
    """Tabulate the offered models' costs by buyer sector.

    Args:
        eng: The engine.
        productivity: (R, M + O) every model's embodied productivity (``Engine.model_table``).
        risk_price: (R, M + O) every model's price with the buyer's risk premium.
    """
    par = eng.par
    log_a = np.log(np.maximum(productivity, TINY))
    operating_factor = np.exp(-par.theta[None, :, None] * log_a[:, None, :])
    capital_cost = (par.kappa * par.theta)[None, :, None] * risk_price[:, None, :]
    return ModelCosts(capital_cost, operating_factor)


def choose_machines(eng: Engine, models: ModelCosts) -> np.ndarray:
    """Each buyer's brochure of k models and its choice.

    A brochure slot shows the buyer's segment's import model with its brochure
    probability, the other provinces' model likewise, else an in-region maker of the segment
    drawn in proportion to a mix of sales share and equal weight. The buyer takes the model
    with the lowest risk-adjusted price plus b years of operating cost. SOE buyers within
    the first-set procurement quota may then switch to an unproven first-set model.

    Returns:
        The chosen model column per buyer (R, N): a slot, or N + outside model.
    """
    st, lay, par = eng.state, eng.layout, eng.par
    mt = eng.region.machine_tools
    segment_cdf, guide = brochure_tables(
        st.alive,
        st.mt_segment_share,
        eng.makers,
        eng.segment_offset,
        mt.brochure_share_weight,
    )
    M = len(eng.makers)
    frontier = float(eng.exo.other_equipment_productivity)
    choice = choose_from_brochures(
        eng.stream_keys("brochure"),
        mt.brochure_size,
        st.alive,
        lay.buy_segment,
        lay.sector_of,
        segment_cdf,
        guide,
        eng.segment_offset,
        eng.import_brochure_probability,
        eng.other_brochure_probability,
        M + eng.import_model_of_segment,
        M + eng.other_model_of_segment,
        eng.column_of_position,
        models.capital_cost,
        models.operating_factor,
        st.payback_years,
        st.k1,
        st.process_productivity,
        eng.scenario.investment.target_utilisation / frontier ** (1.0 - par.theta),
    )
    return eng.policy.override_choices(eng, choice)  # e.g. SOE single-source procurement


# ---------------------------------------------------------------------------- compiled loops


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
    p_import, the other provinces' model with p_other, else an in-region maker of the segment
    drawn by inversion of the segment's cumulative weights. The buyer takes the model with
    the lowest risk-adjusted price plus payback-weighted operating cost.

    Models are indexed by position: the segments' makers in ``segment_slots`` order, then
    the outside models.

    Args:
        keys: (R,) this year's brochure stream keys; brochure slot k of buyer n uses draws
            n * STRIDE + 2k (its source) and n * STRIDE + 2k + 1 (the in-region maker).
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
                below_outside = 2.0  # no live in-region maker: outside models only
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
    "machine_purchases_in_region",
    "machine_purchases_imported",
    "machine_purchases_unproven",
    "capacity_age",
)
