"""Rule 7a, demography: exit on a tiny share or negative net worth, entry into free slots."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from model.config.units import TINY
from model.economy.engine import Engine
from model.economy.layout import SlotTables
from model.economy.state import (
    COHORT,
    COST,
    ESTABLISHED_MODEL_SETS,
    FIELDS,
    FIRM,
    NEVER,
    bundle,
    bundle_type,
    names,
)
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
    G = lay.n_segments
    exits, st.exit_cash_by_sector, st.exit_debt_by_sector, sector_revenue = exit_firms(
        lay.tables,
        bundle(ExitFirms, st),
        G,
        sc.exit_share_fraction,
        tuple(getattr(st, name) for name in CLEARED_ON_EXIT),
        tuple(getattr(st, name) for name in STACKS_CLEARED_ON_EXIT),
    )
    st.exits = exits
    n_alive, n_exit, n_free, mean_pi, new_e, segment_mean_a = entry_statistics(
        lay.tables, bundle(EntryStatisticsFirms, st), exits, eng.cohort_head, G
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
    stats = EntryStatistics(
        p_enter=p_enter,
        n_alive=n_alive,
        sector_revenue=sector_revenue,
        mean_pi=mean_pi,
        new_e=new_e,
        segment_mean_a=segment_mean_a,
    )
    params = EntryParams(
        keys=eng.stream_keys("entry"),
        year=eng.year,
        mt_sector=lay.mt_sector,
        price_index=st.price_index,
        theta=par.theta,
        kappa=par.kappa,
        rd_intensity=par.rd_intensity,
        rd_dispersion=par.rd_dispersion,
        high_tech_share=par.high_tech_share,
        entrant_size_fraction=sc.entrant_size_fraction,
        entrant_productivity_sd=sc.entrant_productivity_sd,
        target_utilisation=eng.scenario.investment.target_utilisation,
        other_equipment_price=float(exo.other_equipment_price),
        cit_rate=exo.cit_rate,
        high_tech_rate=exo.high_tech_rate,
        super_deduction=exo.super_deduction,
        head=eng.cohort_head,
        cost_head=int(eng.cost_slot_of_ring()[eng.cohort_head]),
    )
    st.entries = enter_firms(
        lay.tables, bundle(Entrants, st), stats, params, st.entry_cash_by_sector
    )
    eng.policy.reset_firms(eng, st.entries)


# ---------------------------------------------------------------------------- compiled loops


#: What the exit loop reads of the state (``alive`` it writes).
ExitFirms = bundle_type(
    "ExitFirms", ("alive", "revenue", "market_share", "cash", "debt", "book_value"), __name__
)
#: The per-firm arrays and the cohort stacks an exit clears (the catalogue's
#: ``cleared_on_exit``): one type each, so the loop zeroes them in one pass.
CLEARED_ON_EXIT = names(cleared_on_exit=True, axes=FIRM)
STACKS_CLEARED_ON_EXIT = tuple(
    f.name for f in FIELDS if f.cleared_on_exit and f.axes in (COHORT, COST)
)


@njit(cache=True)
def exit_firms(
    lay: SlotTables,
    f: ExitFirms,
    n_segments: int,
    exit_share_fraction: float,
    cleared: tuple,
    cleared_stacks: tuple,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exit on a tiny share of the sector (machine tools: segment) or negative net worth.

    Updates ``f.alive`` and clears the exits' slots of the arrays in ``cleared`` (which
    include cash and debt, so their exit values are summed first) and ``cleared_stacks``
    (the cohorts), in place.

    Returns:
        Exits (R, N), the exits' cash and debt summed by sector (R, S), and the live-firm
        revenue of each sector before the exits (R, S).
    """
    # The bundles' arrays and values by name, read once: numba does not hoist a NamedTuple's
    # fields out of the loops (reading them inside cost 15-40% of the loops' time).
    sector_start = lay.sector_start
    make_segment = lay.make_segment
    sector_size = lay.sector_size
    alive = f.alive
    cash = f.cash
    debt = f.debt
    revenue = f.revenue
    market_share = f.market_share
    book_value = f.book_value
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
                for arr in cleared:
                    arr[r, n] = 0.0
                for stack in cleared_stacks:
                    stack[r, n, :] = 0.0
    return exits, exit_cash, exit_debt, sector_revenue


#: What the entry statistics read of the state.
EntryStatisticsFirms = bundle_type(
    "EntryStatisticsFirms",
    (
        "alive",
        "capacity",
        "process_productivity",
        "machine_productivity",
        "model_productivity",
        "revenue",
        "cohort_capacity",
        "cohort_inverse_productivity",
    ),
    __name__,
)


@njit(cache=True)
def entry_statistics(
    lay: SlotTables, f: EntryStatisticsFirms, exits: np.ndarray, head: int, n_segments: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sector and segment statistics of the survivors that entry and entrants use.

    Returns:
        Per sector (R, S): live firms, exits, free slots, capacity-weighted mean process
        productivity, the embodied productivity of this year's new machines (the
        capacity-weighted machine productivity where none were bought, 0 where no
        machines are in use); per segment (R, G): the revenue-weighted mean model
        productivity of live makers (0 where there are none).
    """
    # The bundles' arrays and values by name, read once: numba does not hoist a NamedTuple's
    # fields out of the loops (reading them inside cost 15-40% of the loops' time).
    sector_start = lay.sector_start
    sector_size = lay.sector_size
    make_segment = lay.make_segment
    alive = f.alive
    cohort_capacity = f.cohort_capacity
    cohort_inverse_productivity = f.cohort_inverse_productivity
    capacity = f.capacity
    process_productivity = f.process_productivity
    machine_productivity = f.machine_productivity
    revenue = f.revenue
    model_productivity = f.model_productivity
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


#: What an entrant is given: the catalogue's ``set_on_entry`` arrays, and ``alive``.
Entrants = bundle_type("Entrants", ("alive", *names(set_on_entry=True)), __name__)


class EntryStatistics(NamedTuple):
    """The sectors' and segments' statistics an entrant is sized and equipped by."""

    p_enter: np.ndarray  # (R, S) chance a free slot is taken
    n_alive: np.ndarray  # (R, S) live firms after the exits
    #: (R, S) live revenue before the exits: a wave of exits does not shrink the entrants
    #: that replace them
    sector_revenue: np.ndarray
    mean_pi: np.ndarray  # (R, S) capacity-weighted mean process productivity
    new_e: np.ndarray  # (R, S) embodied productivity of this year's new machines
    segment_mean_a: np.ndarray  # (R, G) revenue-weighted mean model of live makers


class EntryParams(NamedTuple):
    """The entry loop's parameters and this year's tables."""

    keys: np.ndarray  # (R,) this year's entry stream keys
    year: int
    mt_sector: int
    price_index: np.ndarray  # (R, S)
    theta: np.ndarray  # (S,)
    kappa: np.ndarray  # (S,)
    rd_intensity: np.ndarray  # (S,) mean real R&D intensity
    rd_dispersion: np.ndarray  # (S,) sd of log R&D intensity
    high_tech_share: np.ndarray  # (S,)
    entrant_size_fraction: float
    entrant_productivity_sd: float
    target_utilisation: float
    other_equipment_price: float
    cit_rate: float
    high_tech_rate: float
    super_deduction: float
    head: int  # ring slot of this year's cohort
    cost_head: int  # its slot in the cost ring


@njit(cache=True)
def enter_firms(
    lay: SlotTables,
    ent: Entrants,
    stats: EntryStatistics,
    par: EntryParams,
    entry_cash: np.ndarray,
) -> np.ndarray:
    """Entry into free slots and the entrants' initial state (in place).

    A free slot of sector s is taken with probability ``stats.p_enter``; draws per slot
    (entry stream): 0 entry, 1-2 productivity noise, 3-4 R&D habit, 5 high-tech status.
    Entrants take ``entrant_size_fraction`` / live firms of the sector's revenue before
    exits, the sector's mean process productivity with noise (machine-tool makers: the
    segment's mean model), this year's new machines, and owner equity for their capital,
    which is also summed by sector into ``entry_cash`` (R, S). The sectors' market and
    outside shares are then renormalised over the live firms.

    Returns:
        Entrants (R, N).
    """
    # The bundles' arrays and values by name, read once: numba does not hoist a NamedTuple's
    # fields out of the loops (reading them inside cost 15-40% of the loops' time).
    sector_start = lay.sector_start
    sector_size = lay.sector_size
    make_segment = lay.make_segment
    alive = ent.alive
    rd_real_history = ent.rd_real_history
    market_share = ent.market_share
    outside_share = ent.outside_share
    process_productivity = ent.process_productivity
    model_productivity = ent.model_productivity
    mt_segment_share = ent.mt_segment_share
    model_unproven = ent.model_unproven
    model_first_set = ent.model_first_set
    model_recognised = ent.model_recognised
    model_sets_sold = ent.model_sets_sold
    model_first_set_level = ent.model_first_set_level
    model_vintage = ent.model_vintage
    cohort_capacity = ent.cohort_capacity
    cohort_inverse_productivity = ent.cohort_inverse_productivity
    cohort_cost = ent.cohort_cost
    capacity = ent.capacity
    machine_productivity = ent.machine_productivity
    cash = ent.cash
    debt = ent.debt
    revenue = ent.revenue
    revenue_prev = ent.revenue_prev
    revenue_prev2 = ent.revenue_prev2
    output_real = ent.output_real
    output_real_prev = ent.output_real_prev
    output_expected = ent.output_expected
    price = ent.price
    rd_intensity_fe = ent.rd_intensity_fe
    rd_real = ent.rd_real
    rd_reported = ent.rd_reported
    rd_reported_prev = ent.rd_reported_prev
    high_tech = ent.high_tech
    rd_user_cost_base = ent.rd_user_cost_base
    unfilled = ent.unfilled
    specialised_new_last_met = ent.specialised_new_last_met
    little_giant_last_met = ent.little_giant_last_met
    single_champion_last_met = ent.single_champion_last_met
    p_enter = stats.p_enter
    n_alive = stats.n_alive
    sector_revenue = stats.sector_revenue
    mean_pi = stats.mean_pi
    segment_mean_a = stats.segment_mean_a
    new_e = stats.new_e
    keys = par.keys
    entrant_size_fraction = par.entrant_size_fraction
    theta = par.theta
    kappa = par.kappa
    price_index = par.price_index
    mt_sector = par.mt_sector
    other_equipment_price = par.other_equipment_price
    target_utilisation = par.target_utilisation
    rd_dispersion = par.rd_dispersion
    entrant_productivity_sd = par.entrant_productivity_sd
    year = par.year
    head = par.head
    cost_head = par.cost_head
    rd_intensity = par.rd_intensity
    high_tech_share = par.high_tech_share
    R, N = alive.shape
    S = sector_start.shape[0]
    L = rd_real_history.shape[2]
    entered = np.zeros((R, N), dtype=np.bool_)
    cit_rate, high_tech_rate, super_deduction = (
        par.cit_rate,
        par.high_tech_rate,
        par.super_deduction,
    )
    for r in range(R):
        key = keys[r]
        for s in range(S):
            lo = sector_start[s]
            hi = lo + sector_size[s]
            p = p_enter[r, s]
            share = entrant_size_fraction / max(n_alive[r, s], 1.0)
            revenue_e = share * sector_revenue[r, s]
            th = theta[s]
            capital_price = kappa[s] * (
                th * price_index[r, mt_sector] + (1.0 - th) * other_equipment_price
            )
            price_e = price_index[r, s]
            capacity_e = revenue_e / max(price_e, TINY) / target_utilisation
            sigma = rd_dispersion[s]
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
                model_sets_sold[r, n] = ESTABLISHED_MODEL_SETS
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
                fe = rd_intensity[s] * math.exp(sigma * normal(key, c + 3) - 0.5 * sigma * sigma)
                rd_intensity_fe[r, n] = fe
                rd_real[r, n] = fe * revenue_e
                rd_reported[r, n] = fe * revenue_e
                rd_reported_prev[r, n] = fe * revenue_e
                for lag in range(L):
                    rd_real_history[r, n, lag] = fe * revenue_e
                ht = uniform(key, c + 5) < high_tech_share[s]
                high_tech[r, n] = ht
                tau = high_tech_rate if ht else cit_rate
                rd_user_cost_base[r, n] = 1.0 - tau * (1.0 + super_deduction)
                unfilled[r, n] = 0.0
                specialised_new_last_met[r, n] = NEVER
                little_giant_last_met[r, n] = NEVER
                single_champion_last_met[r, n] = NEVER
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
