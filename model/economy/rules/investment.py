"""Rule 4, investment: brochures and buyers' choice, payback scrapping, expansion, finance."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from model.config.units import TINY
from model.economy.compiled import njit
from model.economy.engine import Engine
from model.economy.layout import SlotTables
from model.economy.payback import (
    InvestParams,
    ModelCosts,
    capacity_price,
    invest_params,
    model_costs,
    new_inverse_productivity,
    operating_weight,
    saving_per_financing,
    unit_machine_cost,
)
from model.economy.state import bundle, bundle_type, names
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
    st, sc, lay = eng.state, eng.scenario, eng.layout
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
    over_aged = ages > eng.policy.eligible_replacement_age(eng)  # (A,) by slot
    life = inv.tax_depreciation_years
    out = eng.outputs(InvestOut)
    rec = eng.outputs(InvestRecord, np.float32)
    by_sector, by_firm = eng.flows(InvestFlows)
    orders_inside = eng.buffers("orders_inside", 1)[0]
    orders_inside[:] = 0.0
    orders_outside = np.zeros((R, eng.n_outside))
    offered = OfferedModels(
        choice=choice,
        position_of_column=eng.position_of_column,
        operating_factor=models.operating_factor,
        price=price,
        risk_price=risk_price,
        is_import=eng.model_is_import,
    )
    cohorts = CohortTables(
        head=eng.cohort_head,
        cost_slot=eng.cost_slot_of_ring(),
        over_aged=over_aged,
        # Book value written off on scrapping: cost x (1 - age at the start of the year / life).
        start_share=_remaining_book_share(eng, ages - 1),
        life_book_share=float(_remaining_book_share(eng, A - 1)),
        depreciation_share=(ages < life) / life,
        book_share=_remaining_book_share(eng, ages),
        ages=ages.astype(float),
    )
    params = invest_params(eng, eng.policy.financing_relief(eng))
    invest_firms(
        lay.tables,
        bundle(InvestFirms, st),
        offered,
        cohorts,
        params,
        out,
        rec,
        by_sector,
        by_firm,
        orders_inside,
        orders_outside,
    )
    eng.publish_flows(by_sector, by_firm)
    eng.publish(out)
    eng.publish(rec)
    # Machine-tool orders: the machine-tool part of the spending goes to the chosen model.
    st.orders_inside = orders_inside
    st.orders_outside_models = orders_outside
    st.machine_choice = choice
    eng.policy.after_investment(eng)


def _remaining_book_share(eng: Engine, age: np.ndarray | int) -> np.ndarray:
    """Share of a cohort's cost still on the books after ``age + 1`` years of depreciation."""
    life = eng.scenario.investment.tax_depreciation_years
    return np.clip(1.0 - (np.asarray(age) + 1.0) / life, 0.0, 1.0)


def choose_machines(eng: Engine, models: ModelCosts) -> np.ndarray:
    """Each buyer's brochure of k models and its choice.

    A brochure slot shows the buyer's segment's import model with its brochure
    probability, the other provinces' model likewise, else an in-region maker of the segment
    drawn in proportion to a mix of sales share and equal weight. The buyer takes the model
    with the lowest risk-adjusted price plus b years of operating cost. The policy may then
    switch choices (provincial SOEs' single-source procurement of first sets, where it pays).

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
    offers = BrochureOffers(
        segment_cdf=segment_cdf,
        guide=guide,
        segment_offset=eng.segment_offset,
        p_import=eng.import_brochure_probability,
        p_other=eng.other_brochure_probability,
        import_position=M + eng.import_model_of_segment,
        other_position=M + eng.other_model_of_segment,
        column_of_position=eng.column_of_position,
        capital_cost=models.capital_cost,
        operating_factor=models.operating_factor,
        operating_scale=eng.scenario.investment.target_utilisation / frontier ** (1.0 - par.theta),
        buyer_area=eng.area_of_slot,
        area_of_position=eng.area_of_position,
        local_discount=1.0 - mt.local_preference,
    )
    choice = choose_from_brochures(
        lay.tables,
        bundle(BuyerFirms, st),
        offers,
        eng.stream_keys("brochure"),
        mt.brochure_size,
    )

    def buyer_cost(
        rows: np.ndarray, buyers: np.ndarray, columns: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        return offer_costs(
            rows,
            buyers,
            columns,
            eng.position_of_column,
            lay.sector_of,
            offers,
            st.process_productivity,
            st.k1,
            st.payback_years,
        )

    # e.g. provincial SOEs' single-source procurement of first sets, where it pays them
    choice = eng.policy.override_choices(eng, choice, buyer_cost)
    st.buys_local = buys_local(choice, eng.area_of_slot)
    return choice


# ---------------------------------------------------------------------------- compiled loops


@njit(cache=True)
def buys_local(choice: np.ndarray, area_of_slot: np.ndarray) -> np.ndarray:
    """Buyers whose machine is made in their own area: an in-region maker of the same area.

    Args:
        choice: Each buyer's chosen model column (R, N): a slot, or past the slots.
        area_of_slot: Each slot's area (N,), -1 for a slot spread over the region.
    """
    R, N = choice.shape
    out = np.empty((R, N), dtype=np.bool_)
    for r in range(R):
        for n in range(N):
            j = choice[r, n]
            maker = min(j, N - 1)
            out[r, n] = (j < N) & (area_of_slot[maker] == area_of_slot[n]) & (area_of_slot[n] >= 0)
    return out


@njit(inline="always")
def _capital_to_buyer(
    capital_cost: float, buyer_area: int, maker_area: int, local_discount: float
) -> float:
    """A model's capital cost to a buyer: less the local preference if made in its own area."""
    if buyer_area >= 0 and maker_area == buyer_area:
        return capital_cost * local_discount
    return capital_cost


@njit(cache=True)
def offer_costs(
    rows: np.ndarray,
    buyers: np.ndarray,
    columns: np.ndarray,
    position_of_column: np.ndarray,
    sector_of: np.ndarray,
    offers: BrochureOffers,
    process_productivity: np.ndarray,
    k1: np.ndarray,
    payback_years: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """What model ``columns`` cost ``buyers`` (of replicates ``rows``), as a brochure weighs them.

    Capital (``_capital_to_buyer``) and payback-weighted operating cost (``operating_weight``
    x the model's operating factor), for each (row, buyer, column) triple: the two parts
    ``choose_from_brochures`` adds.
    """
    capital_cost = offers.capital_cost
    operating_factor = offers.operating_factor
    operating_scale = offers.operating_scale
    buyer_area = offers.buyer_area
    area_of_position = offers.area_of_position
    local_discount = offers.local_discount
    capital = np.empty(rows.shape[0])
    operating = np.empty(rows.shape[0])
    for i in range(rows.shape[0]):
        r, n = rows[i], buyers[i]
        p = position_of_column[columns[i]]
        s = sector_of[n]
        capital[i] = _capital_to_buyer(
            capital_cost[r, s, p], buyer_area[n], area_of_position[p], local_discount
        )
        weight = operating_weight(
            k1[r, s], process_productivity[r, n], payback_years[r, n], operating_scale[s]
        )
        operating[i] = weight * operating_factor[r, s, p]
    return capital, operating


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


#: What a buyer's choice reads of the state.
BuyerFirms = bundle_type(
    "BuyerFirms", ("alive", "payback_years", "k1", "process_productivity"), __name__
)


class BrochureOffers(NamedTuple):
    """What the brochures can show and what each model costs a buyer, by model position.

    Positions are the segments' makers in ``segment_slots`` order, then the outside models.
    """

    segment_cdf: np.ndarray  # (R, M) cumulative weights of the makers (``brochure_tables``)
    guide: np.ndarray  # (R, M) guide table of the cumulative weights
    segment_offset: np.ndarray  # (G + 1,) where each segment's makers start and end
    p_import: np.ndarray  # (G,) chance a brochure slot shows the segment's import model
    p_other: np.ndarray  # (G,) chance it shows the other provinces' model
    import_position: np.ndarray  # (G,) position of each segment's import model
    other_position: np.ndarray  # (G,) position of each segment's other-province model
    column_of_position: np.ndarray  # (M + O,) model column (slot, or N + outside model)
    capital_cost: np.ndarray  # (R, S, M + O) kappa theta x risk-adjusted price, by sector
    operating_factor: np.ndarray  # (R, S, M + O) a ** -theta, by buyer sector
    #: (S,) target utilisation / equipment frontier ** (1 - theta): with b k1 / pi, the
    #: weight of a model's operating factor in the cost.
    operating_scale: np.ndarray
    buyer_area: np.ndarray  # (N,) each buyer's area (-1: spread over the region)
    area_of_position: np.ndarray  # (M + O,) each model's maker's area (outside models: -2)
    local_discount: float  # 1 - local preference: a buyer's factor on its own area's prices


@njit(cache=True)
def choose_from_brochures(
    lay: SlotTables,
    f: BuyerFirms,
    m: BrochureOffers,
    keys: np.ndarray,
    brochure_size: int,
) -> np.ndarray:
    """Each buyer's brochure of k models and the one it buys.

    Slot k of a buyer's brochure shows the import model of its segment with probability
    p_import, the other provinces' model with p_other, else an in-region maker of the segment
    drawn by inversion of the segment's cumulative weights. The buyer takes the model with
    the lowest risk-adjusted price (less the local preference on a maker of its own area)
    plus payback-weighted operating cost. A dead slot gets
    its segment's other-province model (it buys nothing, but every slot needs a column).

    Args:
        lay: The layout's tables (buyers' segments and sectors).
        f: The buyers (payback period b, process productivity, k1 by sector).
        m: The models on offer and their costs.
        keys: (R,) this year's brochure stream keys; brochure slot k of buyer n uses draws
            n * STRIDE + 2k (its source) and n * STRIDE + 2k + 1 (the in-region maker).
        brochure_size: k, the models in a brochure.

    Returns:
        (R, N) chosen model column per buyer.
    """
    # The bundles' arrays and values by name, read once: numba does not hoist a NamedTuple's
    # fields out of the loops (reading them inside cost 15-40% of the loops' time).
    slot_id = lay.slot_id
    buy_segment = lay.buy_segment
    sector_of = lay.sector_of
    alive = f.alive
    k1 = f.k1
    process_productivity = f.process_productivity
    payback_years = f.payback_years
    segment_cdf = m.segment_cdf
    guide = m.guide
    capital_cost = m.capital_cost
    operating_factor = m.operating_factor
    column_of_position = m.column_of_position
    other_position = m.other_position
    segment_offset = m.segment_offset
    p_import = m.p_import
    p_other = m.p_other
    operating_scale = m.operating_scale
    import_position = m.import_position
    buyer_area = m.buyer_area
    area_of_position = m.area_of_position
    local_discount = m.local_discount
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
            weight = operating_weight(
                k1[r, s], process_productivity[r, n], payback_years[r, n], operating_scale[s]
            )
            best = -1
            best_cost = np.inf
            for k in range(K):
                c = slot_id[n] * STRIDE + 2 * k
                src = uniform(key, c)
                # Which outside model, selected without a branch: a slot's source is
                # unpredictable.
                i = import_position[g] if src < below_import else other_position[g]
                if src >= below_outside:
                    i = pick_maker(cdf_r, guide_r, lo, hi, uniform(key, c + 1))
                capital = _capital_to_buyer(
                    capital_cost_r[s, i], buyer_area[n], area_of_position[i], local_discount
                )
                cost = capital + weight * operating_factor_r[s, i]
                # Selected without a branch: which slot is cheapest is unpredictable.
                better = cost < best_cost
                best = i if better else best
                best_cost = cost if better else best_cost
            choice[r, n] = column_of_position[best]
    return choice


#: What the investment loop reads and writes of the state.
InvestFirms = bundle_type(
    "InvestFirms",
    (
        "alive",
        "model_unproven",
        "k1",
        "demand_expected",
        "process_productivity",
        "payback_years",
        "market_share",
        "output_expected",
        "revenue",
        "cash",
        "debt",
        "cohort_capacity",
        "cohort_inverse_productivity",
        "cohort_cost",
    ),
    __name__,
)
#: Its per-firm results (double precision).
InvestOut = bundle_type(
    "InvestOut",
    (
        "flow_investment",
        "flow_loans_new",
        "flow_writeoff",
        "capacity",
        "cohort_input",
        "depreciation",
        "book_value",
        "renewal_eligible_loan",  # the renewal-loan instrument subsidises these loans
    ),
    __name__,
)
#: Its per-firm results that only the recorder reads: single precision (7 significant digits
#: are plenty for a sector sum, and they halve the memory of these rows).
InvestRecord = bundle_type(
    "InvestRecord",
    (
        "capacity_replaced",
        "machine_purchases",
        "machine_purchases_in_region",
        "machine_purchases_imported",
        "machine_purchases_unproven",
        "capacity_age",
    ),
    __name__,
)
#: The spending only the recorder reads, summed by sector (they add up to the investment).
InvestFlows = bundle_type("InvestFlows", names(written_by="invest", recorded="by_sector"), __name__)


class OfferedModels(NamedTuple):
    """The model each buyer chose and what the models are, by model position."""

    choice: np.ndarray  # (R, N) chosen column: a slot, or N + outside model
    position_of_column: np.ndarray  # (N + O,) position of a column
    operating_factor: np.ndarray  # (R, S, M + O) a ** -theta, the table the buyers used
    price: np.ndarray  # (R, M + O) list price per unit of machine-tool input
    risk_price: np.ndarray  # (R, M + O) price with the buyers' risk premium
    is_import: np.ndarray  # (N + O,) the column is an imported model


class CohortTables(NamedTuple):
    """This year's tables of the cohort rings, by ring slot."""

    head: int  # the slot of the cohort at its technical life, which the new cohort takes
    cost_slot: np.ndarray  # (A,) the cohort's slot in the cost ring, -1 past the tax life
    over_aged: np.ndarray  # (A,) past the age that qualifies a replacement for support
    start_share: np.ndarray  # (A,) book share at the start of the year (written off if scrapped)
    life_book_share: float  # book share of a cohort at its technical life
    depreciation_share: np.ndarray  # (A,) share of cost depreciated this year
    book_share: np.ndarray  # (A,) book share at the end of the year
    ages: np.ndarray  # (A,) age of each slot's cohort at the end of the year


@njit(cache=True)
def invest_firms(
    lay: SlotTables,
    f: InvestFirms,
    offer: OfferedModels,
    ring: CohortTables,
    par: InvestParams,
    out: InvestOut,
    rec: InvestRecord,
    by_sector: InvestFlows,
    by_firm: InvestFlows,
    orders_inside: np.ndarray,
    orders_outside: np.ndarray,
) -> None:
    """The investment rule for every firm, in one pass over its machine cohorts.

    Retires the cohort at its technical life (the ring slot ``ring.head``), scraps the cohorts
    that the chosen new machine pays back, finances the capacity gap, installs the new
    cohort at ``ring.head`` and sums the cohorts for production and the accounts. Cohort arrays
    are updated in place; per-firm results go to ``out``, what only the recorder reads to
    ``rec``, the replacement and expansion spending summed by sector into ``by_sector`` and
    per firm into ``by_firm`` only if its rows have slots, orders to the chosen maker's
    ``orders_inside`` (R, N) or to the outside model's ``orders_outside`` (R, O). Costs sit
    in a shorter ring that keeps only cohorts within their tax life (after it a cohort has
    no book value): ``ring.cost_slot`` gives, for each capacity ring slot, the cohort's cost
    slot or -1. A new cohort's embodied productivity is frontier ** (1 - theta) x a ** theta.
    Dead slots hold no machines and buy nothing.
    """
    # The bundles' arrays and values by name, read once: numba does not hoist a NamedTuple's
    # fields out of the loops (reading them inside cost 15-40% of the loops' time).
    sector_of = lay.sector_of
    make_segment = lay.make_segment
    cohort_capacity = f.cohort_capacity
    alive = f.alive
    cohort_cost = f.cohort_cost
    cohort_inverse_productivity = f.cohort_inverse_productivity
    k1 = f.k1
    process_productivity = f.process_productivity
    payback_years = f.payback_years
    output_expected = f.output_expected
    market_share = f.market_share
    demand_expected = f.demand_expected
    f_cash = f.cash
    revenue = f.revenue
    debt = f.debt
    model_unproven = f.model_unproven
    choice = offer.choice
    position_of_column = offer.position_of_column
    price = offer.price
    operating_factor = offer.operating_factor
    risk_price = offer.risk_price
    is_import = offer.is_import
    cost_slot = ring.cost_slot
    ring_head = ring.head
    ring_life_book_share = ring.life_book_share
    over_aged = ring.over_aged
    start_share = ring.start_share
    ages = ring.ages
    depreciation_share = ring.depreciation_share
    book_share = ring.book_share
    theta = par.theta
    par_kappa = par.kappa
    wear = par.wear
    frontier_factor = par.frontier_factor
    other_equipment_price = par.other_equipment_price
    target_utilisation = par.target_utilisation
    base_financing = par.base_financing
    relief = par.relief
    relief_per_firm = relief.shape[1] == cohort_capacity.shape[1]
    cash_buffer_sales_ratio = par.cash_buffer_sales_ratio
    credit_limit_sales_ratio = par.credit_limit_sales_ratio
    loan_financed_share = par.loan_financed_share
    flow_investment = out.flow_investment
    flow_loans_new = out.flow_loans_new
    flow_writeoff = out.flow_writeoff
    capacity = out.capacity
    cohort_input = out.cohort_input
    out_depreciation = out.depreciation
    book_value = out.book_value
    renewal_eligible_loan = out.renewal_eligible_loan
    capacity_replaced = rec.capacity_replaced
    machine_purchases = rec.machine_purchases
    machine_purchases_in_region = rec.machine_purchases_in_region
    machine_purchases_imported = rec.machine_purchases_imported
    machine_purchases_unproven = rec.machine_purchases_unproven
    capacity_age = rec.capacity_age
    by_sector_investment_replacement = by_sector.investment_replacement
    by_sector_investment_expansion = by_sector.investment_expansion
    by_firm_investment_replacement = by_firm.investment_replacement
    by_firm_investment_expansion = by_firm.investment_expansion
    R, N, A = cohort_capacity.shape
    keep = by_firm_investment_replacement.shape[1] > 0
    for flow in by_sector:
        flow[:] = 0.0
    for r in range(R):
        for n in range(N):
            if not alive[r, n]:
                for row in out:
                    row[r, n] = 0.0
                for single in rec:
                    single[r, n] = 0.0
                if keep:
                    for row in by_firm:
                        row[r, n] = 0.0
                continue
            s = sector_of[n]
            # The cohort in the head slot has reached its technical life. The cost ring's head
            # holds it too if the rings are as long; else a cohort past its tax life (no book
            # value left: ``life_book_share`` is 0).
            cost_head = cost_slot[ring_head]
            scrapped_life = np.float64(cohort_capacity[r, n, ring_head])
            book_written_off = cohort_cost[r, n, cost_head] * ring_life_book_share
            cohort_capacity[r, n, ring_head] = 0.0
            cohort_cost[r, n, cost_head] = 0.0
            cohort_inverse_productivity[r, n, ring_head] = 1.0

            j = choice[r, n]
            p = position_of_column[j]
            th = theta[s]
            kappa = par_kappa[s]
            price_new = price[r, p]
            capital_price = capacity_price(kappa, th, price_new, other_equipment_price)
            perceived = capacity_price(kappa, th, risk_price[r, p], other_equipment_price)
            per_saving = saving_per_financing(
                perceived,
                payback_years[r, n],
                target_utilisation,
                unit_machine_cost(k1[r, s], process_productivity[r, n]),
            )
            inv_new = new_inverse_productivity(frontier_factor[s], operating_factor[r, s, p])
            t_ordinary = inv_new + per_saving * base_financing
            firm_relief = relief[r, n] if relief_per_firm else relief[r, 0]
            t_over_aged = inv_new + per_saving * (base_financing - firm_relief)

            # One pass: scrap what the new machine pays back, sum what stays.
            scrapped_payback = 0.0
            scrapped_over_aged = 0.0
            left = 0.0
            inputs = 0.0
            depreciation = 0.0
            book = 0.0
            age_weighted = 0.0
            for a in range(A):
                k = cohort_capacity[r, n, a]
                if k <= 0.0:
                    continue
                # A year older: wear raises the input a unit of its capacity needs.
                e_inv = cohort_inverse_productivity[r, n, a] * wear
                cohort_inverse_productivity[r, n, a] = e_inv
                cs = cost_slot[a]
                c = cohort_cost[r, n, cs] if cs >= 0 else np.float32(0.0)
                old = over_aged[a]
                if e_inv >= (t_over_aged if old else t_ordinary):
                    scrapped_payback += k
                    if old:
                        scrapped_over_aged += k
                    book_written_off += c * start_share[a]
                    cohort_capacity[r, n, a] = 0.0
                    if cs >= 0:
                        cohort_cost[r, n, cs] = 0.0
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
            internal = max(f_cash[r, n] - cash_buffer_sales_ratio * revenue[r, n], 0.0)
            credit_room = max(credit_limit_sales_ratio * revenue[r, n] - debt[r, n], 0.0)
            # Loans finance at least the usual share of investment, and any shortfall of cash.
            loan = min(max(wanted - internal, loan_financed_share * wanted), credit_room)
            if wanted > TINY:
                ratio = min(wanted, internal + loan) / wanted
                replacement *= ratio
                expansion *= ratio
            new_capacity = replacement + expansion
            spent = new_capacity * capital_price
            cohort_capacity[r, n, ring_head] = new_capacity
            cohort_inverse_productivity[r, n, ring_head] = inv_new
            cohort_cost[r, n, cost_head] = spent
            f_cash[r, n] = f_cash[r, n] - spent + loan
            debt[r, n] = debt[r, n] + loan
            # The new cohort as stored (single precision) joins the sums.
            k = np.float64(cohort_capacity[r, n, ring_head])
            c = np.float64(cohort_cost[r, n, cost_head])
            inputs += k * cohort_inverse_productivity[r, n, ring_head]
            depreciation += c * depreciation_share[ring_head]
            book += c * book_share[ring_head]

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

            flow_investment[r, n] = spent
            flow_loans_new[r, n] = loan
            flow_writeoff[r, n] = book_written_off
            capacity[r, n] = left + k
            cohort_input[r, n] = inputs
            out_depreciation[r, n] = depreciation
            book_value[r, n] = book
            renewal_eligible_loan[r, n] = loan * replacement_share * share_eligible
            by_sector_investment_replacement[r, s] += replacement * capital_price
            by_sector_investment_expansion[r, s] += expansion * capital_price
            if keep:
                by_firm_investment_replacement[r, n] = replacement * capital_price
                by_firm_investment_expansion[r, n] = expansion * capital_price
            capacity_replaced[r, n] = replacement
            machine_purchases[r, n] = order_value
            machine_purchases_in_region[r, n] = order_value if j < N else 0.0
            machine_purchases_imported[r, n] = order_value if is_import[j] else 0.0
            machine_purchases_unproven[r, n] = (
                order_value if (j < N and model_unproven[r, j]) else 0.0
            )
            capacity_age[r, n] = age_weighted
