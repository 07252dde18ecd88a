"""Rule 5, production and market: unit cost, price, output, sales and replicator market shares."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from model.config.units import TINY
from model.economy.engine import Engine


def produce(eng: Engine) -> None:
    """Capacity, unit cost, price, output and replicator market shares.

    Machines are used alike, so unit cost averages 1/e over capacity (the harmonic mean).
    User sectors split demand by market share, capacity-constrained, with one round of
    redistribution of unmet demand to firms with spare capacity. Machine-tool makers sell
    the orders of in-region buyers plus their share of outside demand. A first set is
    recognised, and proven, by sales to in-region users (the province's first-set reward counts
    the user's first 3 sets, FACTS.md A); the maker's sales outside the province are of its
    established products. The sector price index is the share-weighted mean price (machine
    tools: sales-weighted). Then replicator dynamics on competitiveness: user firms by
    relative price and unfilled demand; machine-tool firms' outside share by price per unit
    of productivity within their segment, with the risk premium on unproven models.
    """
    st, sc, lay, par = eng.state, eng.scenario, eng.layout, eng.par
    # This year's output and revenue overwrite the oldest year kept: each history has its
    # own arrays, which the kernels update in place.
    st.output_real_prev, st.output_real = st.output_real, st.output_real_prev
    st.revenue_prev2, st.revenue_prev, st.revenue = st.revenue_prev, st.revenue, st.revenue_prev2
    st.price_index_prev = st.price_index
    st.price_index = np.empty_like(st.price_index)
    out = eng.buffers("produce", len(PRODUCE_OUT))
    produce_firms(
        st.alive,
        lay.make_segment,
        lay.sector_start,
        lay.sector_size,
        st.k1,
        st.k2,
        par.markup,
        st.demand_real,
        st.outside_machine_demand,
        eng.segment_price_index,
        eng.set_price_m_yuan,
        eng.firm_weight,
        float(sc.innovation.first_set_sets_to_prove),
        sc.investment.expectation_smoothing,
        st.capacity,
        st.cohort_input,
        st.process_productivity,
        st.market_share,
        st.outside_share,
        st.orders_inside,
        st.machine_productivity,
        st.output_expected,
        st.model_sets_sold,
        st.model_first_set,
        st.model_recognised,
        st.model_unproven,
        out,
        st.output_real,
        st.revenue,
        st.first_set_recognised,
        st.price_index,
    )
    for i, name in enumerate(PRODUCE_OUT):
        setattr(st, name, out[i])
    _, _, risk_price = eng.model_table()
    compete(
        st.alive,
        lay.make_segment,
        lay.sector_start,
        lay.sector_size,
        len(lay.segment_slots),
        st.price,
        st.price_index,
        st.unfilled,
        st.model_productivity,
        risk_price,
        eng.position_of_column,
        st.revenue,
        sc.market.replicator_chi,
        sc.market.unfilled_demand_weight,
        st.market_share,
        st.outside_share,
        st.mt_segment_share,
    )


# ---------------------------------------------------------------------------- compiled loops


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
                    # A first set is recognised, and proven, by sales to in-region users.
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
