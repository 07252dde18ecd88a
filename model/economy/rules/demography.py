"""Rule 7a, demography: firms fall below the above-scale threshold or close; the pool adds firms."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from model.config.units import TINY
from model.economy.compiled import njit
from model.economy.engine import Engine
from model.economy.layout import SlotTables
from model.economy.sectors import sector_sum
from model.economy.sizes import pool_entry_rate
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
from model.economy.taxes import rd_tax_cost


def demography(eng: Engine) -> None:
    """Firms leave the above-scale population and join it; closures.

    A firm whose revenue (per real firm) is below the above-scale threshold falls into the
    pool of smaller firms (降规); one with negative net worth closes. From the pool, firms
    whose growth carries them over the threshold join (小升规): their number per live firm
    of a cluster is ``pool_entry_rate`` of the region's size exponent, the sector's revenue
    growth this year and the growth-shock sd at the threshold (``model.economy.sizes``).
    During the spin-up entrants only replace exits, which keeps each cluster's base-year
    firm count. Entrants take their cluster's lowest free slots, with the initial state set
    in ``enter_firms``: neither how many enter nor where depends on how many slots are open.
    """
    st, sc, lay, par = eng.state, eng.scenario.market, eng.layout, eng.par
    G = lay.n_segments
    threshold = eng.region.status.above_scale_revenue_m_yuan
    # Last year's revenue of the firms live before the exits; this year's is summed as they
    # exit.
    revenue_before = sector_sum(eng, np.where(st.alive, st.revenue_prev, 0.0))
    exits, closures, st.exit_cash_by_sector, st.exit_debt_by_sector, sector_revenue = exit_firms(
        lay.tables,
        bundle(ExitFirms, st),
        threshold * eng.firm_weight,
        tuple(getattr(st, name) for name in CLEARED_ON_EXIT),
        tuple(getattr(st, name) for name in FLAGS_CLEARED_ON_EXIT),
        tuple(getattr(st, name) for name in STACKS_CLEARED_ON_EXIT),
    )
    st.exits = exits
    st.closures = closures
    growth = sector_growth(sector_revenue, revenue_before)
    n_alive, cluster_alive, cluster_exits, mean_pi, new_e, segment_mean_a = entry_statistics(
        lay.tables, bundle(EntryStatisticsFirms, st), exits, eng.cohort_head, G
    )
    frontier = float(eng.exo.other_equipment_productivity)
    # A sector with no machines installed or in use: entrants buy at the equipment frontier.
    new_e = np.where(new_e > TINY, new_e, frontier)
    # A segment with no live maker: entrants start at the other provinces' model.
    segment_mean_a = np.where(segment_mean_a > 0, segment_mean_a, eng.other_province_model())
    if eng.spinning_up:
        # Each cluster's exits are replaced: the spin-up keeps every cluster's firm count.
        wanted = cluster_exits
    else:
        alpha = eng.region.size_exponent
        rate = np.vectorize(lambda g: pool_entry_rate(alpha, g, sc.growth_shock_sd))(growth)
        # A cluster's pool is as large as its live firms before the exits imply.
        wanted = rate[:, lay.sector_of[lay.cluster_start]] * (cluster_alive + cluster_exits)
    st.entry_cash_by_sector = np.zeros_like(sector_revenue)
    due = entrant_counts(eng.stream_keys("entry"), wanted, lay.full_slots * STRIDE)
    # A cluster whose entrants need more than its open slots opens more (no draw depends on
    # how many are open); the full layout's slots cap entry.
    eng.open_slots((cluster_alive + due).max(axis=0))
    lay = eng.layout
    is_user = lay.make_segment < 0
    exo = eng.exo
    stats = EntryStatistics(
        due=due,
        n_alive=n_alive,
        sector_revenue=sector_revenue,
        mean_pi=mean_pi,
        new_e=new_e,
        segment_mean_a=segment_mean_a,
        national_demand=st.national_demand,
        export_demand=st.export_demand,
        appeal_per_share=eng.segment_sum(st.appeal)
        / np.maximum(eng.segment_sum(st.national_share), TINY),
        sector_appeal_per_share=sector_sum(eng, np.where(is_user, st.appeal, 0.0))
        / np.maximum(sector_sum(eng, st.market_share), TINY),
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
        entrant_revenue_m_yuan=threshold * eng.firm_weight,
        entrant_size_spread=sc.growth_shock_sd,
        entrant_equity_ratio=sc.entrant_equity_ratio,
        entrant_productivity_sd=eng.scenario.initial.productivity_dispersion,
        entrant_model_sd=eng.scenario.initial.model_dispersion,
        target_utilisation=eng.scenario.investment.target_utilisation,
        other_equipment_price=float(exo.other_equipment_price),
        cit_rate=exo.cit_rate,
        high_tech_rate=exo.high_tech_rate,
        super_deduction=exo.super_deduction,
        head=eng.cohort_head,
        cost_head=int(eng.cost_slot_of_ring()[eng.cohort_head]),
    )
    # Slots are fixed per cluster: entry beyond them is lost, and recorded so that a run
    # whose layout caps its firm count says so.
    st.entrants_without_slot = np.zeros_like(sector_revenue)
    st.entries = enter_firms(
        lay.tables,
        bundle(Entrants, st),
        stats,
        params,
        st.entry_cash_by_sector,
        st.entrants_without_slot,
    )
    eng.policy.reset_firms(eng, st.entries)


def sector_growth(now: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Log growth of each sector's revenue (R, S): this year's ``now`` over last's ``before``.

    Both of the same firms: those live before this year's exits.
    """
    return np.log(np.maximum(now, TINY) / np.maximum(before, TINY))


# ---------------------------------------------------------------------------- compiled loops


#: What the exit loop reads of the state (``alive`` it writes).
ExitFirms = bundle_type("ExitFirms", ("alive", "revenue", "cash", "debt", "book_value"), __name__)
#: The per-firm arrays and the cohort stacks an exit clears (the catalogue's
#: ``cleared_on_exit``): one type each, so the loop zeroes them in one pass.
CLEARED_ON_EXIT = names(cleared_on_exit=True, axes=FIRM, dtype="float64")
#: The flags an exit clears (a tuple the loop takes must hold arrays of one type).
FLAGS_CLEARED_ON_EXIT = names(cleared_on_exit=True, axes=FIRM, dtype="bool")
STACKS_CLEARED_ON_EXIT = tuple(
    f.name for f in FIELDS if f.cleared_on_exit and f.axes in (COHORT, COST)
)


@njit(cache=True)
def exit_firms(
    lay: SlotTables,
    f: ExitFirms,
    above_scale: float,
    cleared: tuple,
    cleared_flags: tuple,
    cleared_stacks: tuple,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exit below the above-scale revenue or on negative net worth (a closure).

    ``above_scale`` is the threshold per simulated firm.

    Updates ``f.alive`` and clears the exits' slots of the arrays in ``cleared`` (which
    include cash and debt, so their exit values are summed first), the flags in
    ``cleared_flags`` and ``cleared_stacks`` (the cohorts), in place.

    Returns:
        Exits (R, N), closures among them (R, N), the exits' cash and debt summed by sector
        (R, S), and the live-firm revenue of each sector before the exits (R, S).
    """
    # The bundles' arrays and values by name, read once: numba does not hoist a NamedTuple's
    # fields out of the loops (reading them inside cost 15-40% of the loops' time).
    sector_start = lay.sector_start
    sector_size = lay.sector_size
    alive = f.alive
    cash = f.cash
    debt = f.debt
    revenue = f.revenue
    book_value = f.book_value
    R, N = alive.shape
    S = sector_start.shape[0]
    exits = np.zeros((R, N), dtype=np.bool_)
    closures = np.zeros((R, N), dtype=np.bool_)
    # The exits' cash and debt are recorded by sector only (the accounts need no more).
    exit_cash = np.zeros((R, S))
    exit_debt = np.zeros((R, S))
    sector_revenue = np.zeros((R, S))
    for r in range(R):
        for s in range(S):
            lo = sector_start[s]
            hi = lo + sector_size[s]
            total = 0.0
            for n in range(lo, hi):
                if not alive[r, n]:
                    continue
                total += revenue[r, n]
                closed = cash[r, n] + book_value[r, n] - debt[r, n] < 0.0
                if closed or revenue[r, n] < above_scale:
                    exits[r, n] = True
                    closures[r, n] = closed
                    exit_cash[r, s] += cash[r, n]
                    exit_debt[r, s] += debt[r, n]
            sector_revenue[r, s] = total
        for n in range(N):
            if exits[r, n]:
                alive[r, n] = False
                for arr in cleared:
                    arr[r, n] = 0.0
                for flag in cleared_flags:
                    flag[r, n] = False
                for stack in cleared_stacks:
                    stack[r, n, :] = 0.0
    return exits, closures, exit_cash, exit_debt, sector_revenue


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
        Live firms per sector (R, S); live firms and exits per cluster (R, C); per sector
        (R, S) the capacity-weighted mean process productivity and the embodied productivity
        of this year's new machines (the capacity-weighted machine productivity where none
        were bought, 0 where no machines are in use); per segment (R, G): the
        revenue-weighted mean model productivity of live makers (0 where there are none).
    """
    # The bundles' arrays and values by name, read once: numba does not hoist a NamedTuple's
    # fields out of the loops (reading them inside cost 15-40% of the loops' time).
    sector_start = lay.sector_start
    sector_size = lay.sector_size
    cluster_of = lay.cluster_of
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
    C = lay.cluster_start.shape[0]
    n_alive = np.zeros((R, S))
    cluster_alive = np.zeros((R, C))
    cluster_exits = np.zeros((R, C))
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
                    cluster_exits[r, cluster_of[n]] += 1.0
                if not alive[r, n]:
                    continue
                n_alive[r, s] += 1.0
                cluster_alive[r, cluster_of[n]] += 1.0
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
    return n_alive, cluster_alive, cluster_exits, mean_pi, new_e, seg_a


#: What an entrant is given: the catalogue's ``set_on_entry`` arrays, and ``alive``.
Entrants = bundle_type("Entrants", ("alive", *names(set_on_entry=True)), __name__)


class EntryStatistics(NamedTuple):
    """The sectors' and segments' statistics an entrant is sized and equipped by."""

    due: np.ndarray  # (R, C) entrants of each cluster (``entrant_counts``)
    n_alive: np.ndarray  # (R, S) live firms after the exits
    #: (R, S) live revenue before the exits: a wave of exits does not shrink the entrants
    #: that replace them
    sector_revenue: np.ndarray
    mean_pi: np.ndarray  # (R, S) capacity-weighted mean process productivity
    new_e: np.ndarray  # (R, S) embodied productivity of this year's new machines
    segment_mean_a: np.ndarray  # (R, G) revenue-weighted mean model of live makers
    national_demand: np.ndarray  # (R, G) rest-of-country demand by segment
    export_demand: np.ndarray  # (R, G) foreign demand by segment
    appeal_per_share: np.ndarray  # (R, G) incumbents' appeal / their rest-of-country share
    sector_appeal_per_share: np.ndarray  # (R, S) user incumbents' appeal / their market share


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
    entrant_revenue_m_yuan: float  # the above-scale threshold, per simulated firm
    entrant_size_spread: float  # entrants land up to exp(this) above the threshold
    entrant_equity_ratio: float  # owners' equity / first-year revenue
    entrant_productivity_sd: float
    entrant_model_sd: float  # sd of log model productivity around the segment's mean
    target_utilisation: float
    other_equipment_price: float
    cit_rate: float
    high_tech_rate: float
    super_deduction: float
    head: int  # ring slot of this year's cohort
    cost_head: int  # its slot in the cost ring


@njit(cache=True)
def entrant_counts(keys: np.ndarray, wanted: np.ndarray, counter: int) -> np.ndarray:
    """Each cluster's entrants (R, C): its expected entrants ``wanted`` rounded at random.

    ⌊wanted⌋, plus one if u >= 1 - (wanted - ⌊wanted⌋), with u the entry stream's uniform of
    counter ``counter`` + c x STRIDE (``counter`` is past every slot's counters: the full
    layout's slots x STRIDE): the count's mean is ``wanted``, it does not depend on the
    layout, and a whole ``wanted`` (the spin-up's exits) is kept exactly (⌊wanted + u⌋ is the
    same but can round up when u is within a rounding step of 1).
    """
    R, C = wanted.shape
    due = np.zeros((R, C), dtype=np.int64)
    for r in range(R):
        for c in range(C):
            whole = math.floor(wanted[r, c])
            up = uniform(keys[r], counter + c * STRIDE) >= 1.0 - (wanted[r, c] - whole)
            due[r, c] = int(whole) + (1 if up else 0)
    return due


@njit(cache=True)
def enter_firms(
    lay: SlotTables,
    ent: Entrants,
    stats: EntryStatistics,
    par: EntryParams,
    entry_cash: np.ndarray,
    without_slot: np.ndarray,
) -> np.ndarray:
    """Entry into free slots and the entrants' initial state (in place).

    Cluster c's ``stats.due`` entrants (``entrant_counts``) take the cluster's lowest free
    slots; those beyond its free slots are added to
    ``without_slot`` (R, S). The count and the slots are then the same in a layout that
    opens part of the cluster's slots (``SlotLayout.open_prefix``) as in the full one, as
    long as the open part has room. Draws per entrant's slot (entry stream): 1-2
    productivity noise, 3-4 R&D habit, 5 high-tech status, 6 size, 7 model noise. Entrants
    have revenue ``entrant_revenue_m_yuan`` x exp(``entrant_size_spread`` x U) (their share
    of the sector's revenue before exits), the sector's mean process productivity with noise
    (machine-tool makers: the segment's mean model with the model noise), this year's new
    machines, and owners' equity of ``entrant_equity_ratio`` x revenue, which is also summed
    by sector into ``entry_cash`` (R, S). A maker takes the same share of its segment's
    rest-of-country and foreign demand, with the appeal per unit of share of the segment's
    incumbents; a user firm the appeal per unit of market share of its sector's incumbents.
    User sectors' market shares are then renormalised.

    Returns:
        Entrants (R, N).
    """
    # The bundles' arrays and values by name, read once: numba does not hoist a NamedTuple's
    # fields out of the loops (reading them inside cost 15-40% of the loops' time).
    slot_id = lay.slot_id
    cluster_start = lay.cluster_start
    cluster_size = lay.cluster_size
    sector_start = lay.sector_start
    sector_size = lay.sector_size
    sector_of = lay.sector_of
    make_segment = lay.make_segment
    alive = ent.alive
    rd_real_history = ent.rd_real_history
    market_share = ent.market_share
    national_share = ent.national_share
    export_share = ent.export_share
    appeal = ent.appeal
    national_demand = stats.national_demand
    export_demand = stats.export_demand
    appeal_per_share = stats.appeal_per_share
    sector_appeal_per_share = stats.sector_appeal_per_share
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
    specialised_new_listed_year = ent.specialised_new_listed_year
    little_giant_listed_year = ent.little_giant_listed_year
    single_champion_listed_year = ent.single_champion_listed_year
    due_by_cluster = stats.due
    sector_revenue = stats.sector_revenue
    mean_pi = stats.mean_pi
    segment_mean_a = stats.segment_mean_a
    new_e = stats.new_e
    keys = par.keys
    entrant_revenue = par.entrant_revenue_m_yuan
    entrant_size_spread = par.entrant_size_spread
    entrant_equity_ratio = par.entrant_equity_ratio
    theta = par.theta
    kappa = par.kappa
    price_index = par.price_index
    mt_sector = par.mt_sector
    other_equipment_price = par.other_equipment_price
    target_utilisation = par.target_utilisation
    rd_dispersion = par.rd_dispersion
    entrant_model_sd = par.entrant_model_sd
    entrant_productivity_sd = par.entrant_productivity_sd
    year = par.year
    head = par.head
    cost_head = par.cost_head
    rd_intensity = par.rd_intensity
    high_tech_share = par.high_tech_share
    R, N = alive.shape
    C = cluster_start.shape[0]
    L = rd_real_history.shape[2]
    entered = np.zeros((R, N), dtype=np.bool_)
    cit_rate, high_tech_rate, super_deduction = (
        par.cit_rate,
        par.high_tech_rate,
        par.super_deduction,
    )
    for r in range(R):
        key = keys[r]
        for cl in range(C):
            lo = cluster_start[cl]
            hi = lo + cluster_size[cl]
            s = sector_of[lo]
            due = due_by_cluster[r, cl]
            th = theta[s]
            capital_price = kappa[s] * (
                th * price_index[r, mt_sector] + (1.0 - th) * other_equipment_price
            )
            price_e = price_index[r, s]
            sigma = rd_dispersion[s]
            for n in range(lo, hi):
                if due == 0:
                    break
                if alive[r, n]:
                    continue
                due -= 1
                c = slot_id[n] * STRIDE
                # A firm that grew over the threshold this year lands within about one
                # year's shock of it.
                revenue_e = entrant_revenue * math.exp(entrant_size_spread * uniform(key, c + 6))
                share = revenue_e / max(sector_revenue[r, s], TINY)
                capacity_e = revenue_e / max(price_e, TINY) / target_utilisation
                entered[r, n] = True
                alive[r, n] = True
                g = make_segment[n]
                noise = math.exp(entrant_productivity_sd * normal(key, c + 1))
                market_share[r, n] = 0.0 if g >= 0 else share
                if g < 0:
                    appeal[r, n] = share * sector_appeal_per_share[r, s]
                else:
                    # The same share of its segment's rest-of-country and foreign demand, and
                    # the appeal incumbents of that share have.
                    nu = revenue_e / max(national_demand[r, g] + export_demand[r, g], TINY)
                    national_share[r, n] = nu
                    export_share[r, n] = nu
                    appeal[r, n] = nu * appeal_per_share[r, g]
                process_productivity[r, n] = mean_pi[r, s] * noise
                if g >= 0:
                    # A maker's first model is of its segment's kind: the model dispersion.
                    model_noise = math.exp(entrant_model_sd * normal(key, c + 7))
                    model_productivity[r, n] = segment_mean_a[r, g] * model_noise
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
                equity = entrant_equity_ratio * revenue_e
                entry_cash[r, s] += equity  # recorded by sector
                cash[r, n] = equity
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
                rd_user_cost_base[r, n] = rd_tax_cost(tau, super_deduction)
                unfilled[r, n] = 0.0
                specialised_new_listed_year[r, n] = NEVER
                little_giant_listed_year[r, n] = NEVER
                single_champion_listed_year[r, n] = NEVER
            without_slot[r, s] += due
        for s in range(sector_start.shape[0]):
            lo = sector_start[s]
            hi = lo + sector_size[s]
            # A user sector's shares again sum to one over its live firms (the makers'
            # markets are renormalised when shares next move, with their rivals').
            total_m = 0.0
            for n in range(lo, hi):
                if alive[r, n]:
                    total_m += market_share[r, n]
            for n in range(lo, hi):
                if alive[r, n]:
                    market_share[r, n] = market_share[r, n] / max(total_m, TINY)
                else:
                    market_share[r, n] = 0.0
    return entered
