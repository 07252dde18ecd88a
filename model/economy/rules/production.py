"""Rule 5, production and market: unit cost, price, output, sales and next year's shares."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from model.config.units import TINY
from model.economy.compiled import njit
from model.economy.engine import Engine
from model.economy.layout import SlotTables
from model.economy.sizes import laplace, log_size
from model.economy.state import bundle, bundle_type
from model.economy.streams import STRIDE, uniform


def produce(eng: Engine) -> None:
    """Capacity, unit cost, price, output and next year's market shares.

    Machines are used alike, so unit cost averages 1/e over capacity (the harmonic mean).
    User sectors split demand by market share, capacity-constrained, with one round of
    redistribution of unmet demand to firms with spare capacity. Machine-tool makers sell
    the orders of in-region buyers plus their shares of the rest of the country's and of
    foreign demand for their segment. A first set is
    recognised, and proven, by sales to in-region users (the province's first-set reward counts
    the user's first 3 sets, FACTS.md A); the maker's sales outside the province are of its
    established products. The sector price index is the share-weighted mean price (machine
    tools: quantity-weighted, their output deflator). Then next year's shares, each moving
    towards a target set by the firm's pull with inertia (``compete``): user firms' pull is
    their appeal and their price relative to the sector's (and unfilled demand); machine-tool
    makers' is their appeal and productivity per risk-adjusted price, against other
    provinces' makers and imports in each national and foreign market. Each share
    also takes an idiosyncratic Gibrat shock (Laplace, sd falling with size; see
    ``model.economy.sizes``): what firms' growth rates show beyond competitiveness.
    """
    st, sc, lay, par = eng.state, eng.scenario, eng.layout, eng.par
    # This year's output and revenue overwrite the oldest year kept: each history has its
    # own arrays, which the kernels update in place.
    st.output_real_prev, st.output_real = st.output_real, st.output_real_prev
    st.revenue_prev2, st.revenue_prev, st.revenue = st.revenue_prev, st.revenue, st.revenue_prev2
    st.price_index_prev = st.price_index
    st.price_index = np.empty_like(st.price_index)
    out = eng.outputs(ProduceOut)
    params = ProduceParams(
        markup=par.markup,
        segment_price_index=eng.segment_price_index,
        set_price=eng.set_price_m_yuan,
        firm_weight=eng.firm_weight,
        sets_to_prove=float(sc.innovation.first_set_sets_to_prove),
        expectation_smoothing=sc.investment.expectation_smoothing,
    )
    produce_firms(lay.tables, bundle(ProduceFirms, st), params, out)
    eng.publish(out)
    _, _, risk_price = eng.model_table()
    params = CompeteParams(
        risk_price=risk_price,
        position_of_column=eng.position_of_column,
        n_segments=lay.n_segments,
        sector_share_elasticity=sc.market.sector_share_elasticity,
        unfilled_demand_weight=sc.market.unfilled_demand_weight,
        share_elasticity=sc.market.national_share_elasticity,
        share_inertia=sc.market.share_inertia,
        outside_segment=eng.outside_segment,
        keys=eng.stream_keys("growth"),
        firm_weight=eng.firm_weight,
        above_scale_m_yuan=eng.region.status.above_scale_revenue_m_yuan,
        growth_shock_sd=sc.market.growth_shock_sd,
        growth_shock_size_elasticity=sc.market.growth_shock_size_elasticity,
        growth_size_drift=sc.market.growth_size_drift,
    )
    compete(lay.tables, bundle(CompeteFirms, st), params)


# ---------------------------------------------------------------------------- compiled loops


#: What the production loop reads and writes of the state.
ProduceFirms = bundle_type(
    "ProduceFirms",
    (
        "alive",
        "k1",
        "k2",
        "demand_real",
        "national_demand",
        "export_demand",
        "capacity",
        "cohort_input",
        "process_productivity",
        "market_share",
        "national_share",
        "export_share",
        "orders_inside",
        "machine_productivity",
        "output_expected",
        "model_sets_sold",
        "model_unproven",
        "output_real",
        "revenue",
        "price_index",
    ),
    __name__,
)
#: Its per-firm results in a reused block (unit cost is price / (1 + markup), not kept).
ProduceOut = bundle_type(
    "ProduceOut", ("price", "unfilled", "sales_outside", "sales_abroad"), __name__
)


class ProduceParams(NamedTuple):
    """The production loop's parameters."""

    markup: np.ndarray  # (S,) price over unit cost - 1
    segment_price_index: np.ndarray  # (G,) relative price of a segment's models
    set_price: np.ndarray  # (G,) m yuan per set
    firm_weight: float  # real firms per simulated firm
    sets_to_prove: float  # sets sold in the region that prove a first set
    expectation_smoothing: float  # weight of the old expectation of output


@njit(cache=True)
def produce_firms(lay: SlotTables, f: ProduceFirms, p: ProduceParams, out: ProduceOut) -> None:
    """Unit cost, price, output, sales and the sector price index (see ``rules.produce``).

    Updates the state's arrays in place; writes unit cost, price, unfilled demand and outside
    sales to ``out``, real output and revenue to ``f.output_real`` and ``f.revenue`` (last
    year's are not read), the sets first-set models have sold and the new price index to
    ``f.price_index`` (R, S).
    """
    # The bundles' arrays and values by name, read once: numba does not hoist a NamedTuple's
    # fields out of the loops (reading them inside cost 15-40% of the loops' time).
    sector_start = lay.sector_start
    sector_size = lay.sector_size
    make_segment = lay.make_segment
    alive = f.alive
    cohort_input = f.cohort_input
    machine_productivity = f.machine_productivity
    capacity = f.capacity
    process_productivity = f.process_productivity
    k1 = f.k1
    k2 = f.k2
    market_share = f.market_share
    demand_real = f.demand_real
    output_real = f.output_real
    f_revenue = f.revenue
    output_expected = f.output_expected
    national_share = f.national_share
    export_share = f.export_share
    national_demand = f.national_demand
    export_demand = f.export_demand
    orders_inside = f.orders_inside
    model_sets_sold = f.model_sets_sold
    model_unproven = f.model_unproven
    price_index = f.price_index
    expectation_smoothing = p.expectation_smoothing
    markup = p.markup
    segment_price_index = p.segment_price_index
    set_price = p.set_price
    firm_weight = p.firm_weight
    sets_to_prove = p.sets_to_prove
    out_price = out.price
    unfilled = out.unfilled
    sales_outside = out.sales_outside
    sales_abroad = out.sales_abroad
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
                out_price[r, n] = (1.0 + markup[s]) * unit_cost
                if alive[r, n] and make_segment[n] < 0:
                    wanted = market_share[r, n] * demand_real[r, s]
                    first = min(wanted, capacity[r, n])
                    unmet += wanted - first
                    spare_total += capacity[r, n] - first
            fill = min(unmet / max(spare_total, TINY), 1.0)
            w_sum = 0.0
            wp_sum = 0.0
            for n in range(lo, hi):
                price = out_price[r, n]
                if not alive[r, n]:
                    unfilled[r, n] = 0.0
                    sales_outside[r, n] = 0.0
                    sales_abroad[r, n] = 0.0
                    output_real[r, n] = 0.0
                    f_revenue[r, n] = 0.0
                    output_expected[r, n] = lam * output_expected[r, n]
                    continue
                if make_segment[n] < 0:
                    wanted = market_share[r, n] * demand_real[r, s]
                    first = min(wanted, capacity[r, n])
                    output = first + (capacity[r, n] - first) * fill
                    unfilled[r, n] = (wanted - first) / wanted if wanted > TINY else 0.0
                    sales_outside[r, n] = 0.0
                    sales_abroad[r, n] = 0.0
                    revenue = output * price
                    weight = market_share[r, n]
                else:
                    # Orders from inside the province plus its shares of the segment's
                    # rest-of-country and foreign demand.
                    g = make_segment[n]
                    index = segment_price_index[g]
                    abroad = export_share[r, n] * export_demand[r, g]
                    outside_value = national_share[r, n] * national_demand[r, g] + abroad
                    sales_abroad[r, n] = abroad
                    sales_value = orders_inside[r, n] + outside_value
                    output = sales_value / max(price * index, TINY) * index
                    unfilled[r, n] = 0.0
                    sales_outside[r, n] = outside_value
                    revenue = sales_value
                    # Weighted by quantity: the index is the makers' output deflator.
                    weight = output
                    # A first set is proven by sales to in-region users.
                    sets = orders_inside[r, n] / set_price[g]
                    model_sets_sold[r, n] += sets
                    if model_sets_sold[r, n] / firm_weight >= sets_to_prove:
                        model_unproven[r, n] = False
                output_real[r, n] = output
                f_revenue[r, n] = revenue
                output_expected[r, n] = lam * output_expected[r, n] + (1.0 - lam) * output
                w_sum += weight
                wp_sum += weight * price
            price_index[r, s] = wp_sum / max(w_sum, TINY)


#: What the market-share loop reads and writes of the state.
CompeteFirms = bundle_type(
    "CompeteFirms",
    (
        "alive",
        "price",
        "price_index",
        "unfilled",
        "model_productivity",
        "revenue",
        "market_share",
        "national_share",
        "export_share",
        "appeal",
        "mt_segment_share",
        "outside_productivity",
        "outside_price",
        "national_rival_appeal",
        "national_rival_share",
        "export_rival_appeal",
        "export_rival_share",
    ),
    __name__,
)


class CompeteParams(NamedTuple):
    """The market-share loop's parameters."""

    risk_price: np.ndarray  # (R, M + O) every model's price with the buyers' risk premium
    position_of_column: np.ndarray  # (N + O,) model position of a column
    outside_segment: np.ndarray  # (O,) segment of each outside model
    n_segments: int
    sector_share_elasticity: float  # user firms' target share: (price / sector price)^-this
    unfilled_demand_weight: float
    share_elasticity: float  # lambda of the national and foreign markets
    share_inertia: float  # rho: share of the gap to the target closed a year
    keys: np.ndarray  # (R,) this year's growth-shock stream keys
    firm_weight: float  # real firms per simulated firm
    above_scale_m_yuan: float  # the size the shock sd is measured from (per real firm)
    growth_shock_sd: float  # sd of the log shock at that size
    growth_shock_size_elasticity: float  # beta: sd falls as (size / threshold)^-beta
    growth_size_drift: float  # gamma: expected growth falls as (size / threshold)^-gamma


@njit(cache=True)
def compete(lay: SlotTables, f: CompeteFirms, p: CompeteParams) -> None:
    """Market shares of the next year (in place; see ``rules.produce``).

    User firms: a target share proportional to appeal x (price / sector price index)^-sigma x
    exp(-w x unfilled demand), approached by the fraction ``share_inertia`` a year.
    Machine-tool makers, in each segment's rest-of-country and foreign market
    against the outside models' makers: a target share proportional to appeal x (A / risk
    price)^lambda, approached by the fraction ``share_inertia`` a year; the outside models'
    makers keep their appeals, so the region's share moves with its makers'
    competitiveness relative to theirs. Every firm then takes an idiosyncratic Gibrat shock
    ``(1 - sd^2 / 2) exp(sd e)``, e a standard Laplace draw (growth stream, draw 0 of the
    slot) and sd the firm's shock sd (expected value 1), on its share and its appeal; the
    shares of each market are renormalised. ``mt_segment_share`` becomes
    each maker's share of its segment's sales.
    """
    # The bundles' arrays and values by name, read once: numba does not hoist a NamedTuple's
    # fields out of the loops (reading them inside cost 15-40% of the loops' time).
    slot_id = lay.slot_id
    sector_start = lay.sector_start
    make_segment = lay.make_segment
    sector_size = lay.sector_size
    alive = f.alive
    model_productivity = f.model_productivity
    revenue = f.revenue
    price = f.price
    price_index = f.price_index
    unfilled = f.unfilled
    market_share = f.market_share
    national_share = f.national_share
    export_share = f.export_share
    appeal = f.appeal
    mt_segment_share = f.mt_segment_share
    outside_productivity = f.outside_productivity
    outside_price = f.outside_price
    national_rival_appeal = f.national_rival_appeal
    national_rival_share = f.national_rival_share
    export_rival_appeal = f.export_rival_appeal
    export_rival_share = f.export_rival_share
    n_segments = p.n_segments
    risk_price = p.risk_price
    position_of_column = p.position_of_column
    outside_segment = p.outside_segment
    unfilled_demand_weight = p.unfilled_demand_weight
    sigma_u = p.sector_share_elasticity
    lam = p.share_elasticity
    rho = p.share_inertia
    keys = p.keys
    firm_weight = p.firm_weight
    threshold = p.above_scale_m_yuan
    sd0 = p.growth_shock_sd
    beta = p.growth_shock_size_elasticity
    size_drift = p.growth_size_drift
    R, N = alive.shape
    S = sector_start.shape[0]
    n_outside = outside_segment.shape[0]
    G = n_segments
    shock = np.ones(N)
    pull = np.zeros(N)  # a maker's appeal x (A / risk price)^lambda
    rival_pull = np.zeros(n_outside)
    seg_pull = np.zeros(G)
    seg_revenue = np.zeros(G)
    for r in range(R):
        key = keys[r]
        seg_revenue[:] = 0.0
        for n in range(N):
            if not alive[r, n]:
                continue
            # sd and drift are powers of size, sd0 size^-beta and size^-gamma, taken through
            # one logarithm: a power costs about a log and an exp.
            size = log_size(revenue[r, n] / firm_weight, threshold)
            sd = sd0 * math.exp(-beta * size)
            # Larger firms grow a little slower (Gibrat's law fails towards the top).
            shock[n] = (1.0 - 0.5 * sd * sd) * math.exp(
                sd * laplace(uniform(key, slot_id[n] * STRIDE)) - size_drift * size
            )
            g = make_segment[n]
            if g >= 0:
                seg_revenue[g] += revenue[r, n]
        # ---- user firms: towards a target share set by appeal, relative price and unfilled
        # demand, with inertia; then the shock
        for s in range(S):
            lo = sector_start[s]
            hi = lo + sector_size[s]
            if make_segment[lo] >= 0:
                continue  # the machine-tool sector: its makers sell in the markets below
            total = 0.0
            for n in range(lo, hi):
                if alive[r, n]:
                    relative = max(price[r, n], TINY) / max(price_index[r, s], TINY)
                    # appeal x relative^-sigma x exp(-w unfilled), in one exp
                    pull[n] = appeal[r, n] * math.exp(
                        -sigma_u * math.log(relative) - unfilled_demand_weight * unfilled[r, n]
                    )
                    total += pull[n]
            norm = 0.0
            for n in range(lo, hi):
                v = 0.0
                if alive[r, n]:
                    target = pull[n] / max(total, TINY)
                    v = ((1.0 - rho) * market_share[r, n] + rho * target) * shock[n]
                    appeal[r, n] = appeal[r, n] * shock[n]
                market_share[r, n] = v
                norm += v
            for n in range(lo, hi):
                market_share[r, n] = market_share[r, n] / max(norm, TINY)
        # ---- makers: target shares in the rest-of-country and foreign markets
        seg_pull[:] = 0.0
        for n in range(N):
            g = make_segment[n]
            if g < 0 or not alive[r, n]:
                continue
            x = model_productivity[r, n] / max(risk_price[r, position_of_column[n]], TINY)
            pull[n] = appeal[r, n] * max(x, TINY) ** lam
            seg_pull[g] += pull[n]
        for o in range(n_outside):
            x = outside_productivity[r, o] / max(outside_price[r, o], TINY)
            rival_pull[o] = max(x, TINY) ** lam
        _move_market(
            r,
            national_share,
            national_rival_appeal,
            national_rival_share,
            alive,
            make_segment,
            outside_segment,
            pull,
            rival_pull,
            seg_pull,
            shock,
            rho,
        )
        _move_market(
            r,
            export_share,
            export_rival_appeal,
            export_rival_share,
            alive,
            make_segment,
            outside_segment,
            pull,
            rival_pull,
            seg_pull,
            shock,
            rho,
        )
        for n in range(N):
            g = make_segment[n]
            if g >= 0 and alive[r, n]:
                appeal[r, n] = appeal[r, n] * shock[n]
                mt_segment_share[r, n] = revenue[r, n] / max(seg_revenue[g], TINY)
            elif g >= 0:
                mt_segment_share[r, n] = 0.0


@njit(cache=True)
def _move_market(
    r: int,
    shares: np.ndarray,
    rival_appeal: np.ndarray,
    rival_share: np.ndarray,
    alive: np.ndarray,
    make_segment: np.ndarray,
    outside_segment: np.ndarray,
    pull: np.ndarray,
    rival_pull: np.ndarray,
    seg_pull: np.ndarray,
    shock: np.ndarray,
    rho: float,
) -> None:
    """One market of every segment (replicate r): shares towards their targets, shocks.

    The segment's shares (the region's makers' and the outside models' makers') then sum to 1
    again (see ``compete``).
    """
    G = seg_pull.shape[0]
    n_outside = outside_segment.shape[0]
    N = make_segment.shape[0]
    seg_total = seg_pull.copy()
    for o in range(n_outside):
        seg_total[outside_segment[o]] += rival_appeal[r, o] * rival_pull[o]
    norm = np.zeros(G)
    for o in range(n_outside):
        g = outside_segment[o]
        target = rival_appeal[r, o] * rival_pull[o] / max(seg_total[g], TINY)
        v = (1.0 - rho) * rival_share[r, o] + rho * target
        rival_share[r, o] = v
        norm[g] += v
    for n in range(N):
        g = make_segment[n]
        if g < 0:
            continue
        if not alive[r, n]:
            shares[r, n] = 0.0
            continue
        target = pull[n] / max(seg_total[g], TINY)
        v = ((1.0 - rho) * shares[r, n] + rho * target) * shock[n]
        shares[r, n] = v
        norm[g] += v
    for o in range(n_outside):
        g = outside_segment[o]
        rival_share[r, o] = rival_share[r, o] / max(norm[g], TINY)
    for n in range(N):
        g = make_segment[n]
        if g >= 0:
            shares[r, n] = shares[r, n] / max(norm[g], TINY)
