"""Rule 7a, demography: exit on a tiny share or negative net worth, entry into free slots."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from model.config.units import TINY
from model.economy.engine import Engine
from model.economy.streams import STRIDE, normal, uniform


def demography(eng: Engine) -> None:
    """Exit on a tiny market share or negative net worth; entry into free slots.

    A firm leaves when its share of its sector (machine-tool makers: of their segment's
    sales) falls below ``exit_share_fraction`` / firms, or its net worth turns negative.
    Entrants replace the year's exits and add the net entry rate (none during the spin-up,
    which keeps the base-year firm count); they fill free slots at random, with the
    initial state set in ``enter_firms``.
    """
    st, sc, lay, par = eng.state, eng.scenario.market, eng.layout, eng.par
    G = len(lay.segment_slots)
    zero_on_exit = (
        st.cash,
        st.debt,
        st.market_share,
        st.outside_share,
        st.revenue,
        st.revenue_prev,
        st.revenue_prev2,
        st.output_real,
        st.output_real_prev,
    )
    exits, st.exit_cash_by_sector, st.exit_debt_by_sector, sector_revenue = exit_firms(
        st.alive,
        lay.make_segment,
        lay.sector_start,
        lay.sector_size,
        G,
        st.revenue,
        st.market_share,
        st.cash,
        st.debt,
        st.book_value,
        sc.exit_share_fraction,
        zero_on_exit,
        st.cohort_capacity,
        st.cohort_cost,
    )
    st.exits = exits
    n_alive, n_exit, n_free, mean_pi, new_e, segment_mean_a = entry_statistics(
        st.alive,
        lay.make_segment,
        lay.sector_start,
        lay.sector_size,
        G,
        exits,
        st.capacity,
        st.process_productivity,
        st.machine_productivity,
        st.model_productivity,
        st.revenue,
        st.cohort_capacity,
        st.cohort_inverse_productivity,
        eng.cohort_head,
    )
    frontier = float(eng.exo.other_equipment_productivity)
    # A sector with no machines installed or in use: entrants buy at the equipment frontier.
    new_e = np.where(new_e > TINY, new_e, frontier)
    # A segment with no live maker: entrants start at the other provinces' model.
    segment_mean_a = np.where(segment_mean_a > 0, segment_mean_a, eng.other_province_model())
    net = 0.0 if eng.spinning_up else sc.net_entry_rate.at(eng.year)
    wanted = np.maximum(n_exit + net * n_alive, 0.0)
    p_enter = np.minimum(wanted / np.maximum(n_free, 1.0), 1.0)
    st.entry_cash_by_sector = np.zeros_like(sector_revenue)
    exo = eng.exo
    st.entries = enter_firms(
        eng.stream_keys("entry"),
        p_enter,
        eng.year,
        st.alive,
        lay.make_segment,
        lay.sector_start,
        lay.sector_size,
        lay.mt_sector,
        n_alive,
        # Sized on the year's sector revenue before exits, so a wave of exits does not
        # shrink the entrants that replace them.
        sector_revenue,
        mean_pi,
        new_e,
        segment_mean_a,
        st.price_index,
        par.theta,
        par.kappa,
        par.rd_intensity,
        par.rd_dispersion,
        par.high_tech_share,
        sc.entrant_size_fraction,
        sc.entrant_productivity_sd,
        eng.scenario.investment.target_utilisation,
        float(exo.other_equipment_price),
        np.array([exo.cit_rate, exo.high_tech_rate, exo.super_deduction], dtype=float),
        tuple(getattr(st, name) for name in ENTRY_FLOAT),
        tuple(getattr(st, name) for name in ENTRY_INT),
        tuple(getattr(st, name) for name in ENTRY_BOOL),
        st.cohort_capacity,
        st.cohort_inverse_productivity,
        st.cohort_cost,
        eng.cohort_head,
        int(eng.cost_slot_of_ring()[eng.cohort_head]),
        st.rd_real_history,
        st.entry_cash_by_sector,
    )
    eng.policy.reset_firms(eng, st.entries)


# ---------------------------------------------------------------------------- compiled loops


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
