"""The yearly rules of the firm economy, one function per rule.

Each rule gathers the arrays it needs and runs its per-firm loop, compiled, in
``model._kernels``; what acts on few firms or on sectors stays in numpy here.

Every array of firms has shape (R, N): R replicates run side by side, N firm slots. Machine
cohorts add a last axis of ages, (R, N, A). Sector quantities are (R, S). Money is in million
yuan (m yuan) inside the engine; real quantities are in base-year m yuan.

The rules follow DESIGN.md's order (demand, R&D, innovation and imitation, investment,
production and market, accounts, government, demography and status); docs/ODD.md states each
rule and the source of its parameters.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import ndtri

from model import _kernels as kernels
from model._state import Engine

TINY = 1e-12


def sector_sum(eng: Engine, x: np.ndarray) -> np.ndarray:
    """Sum a (R, N) firm array over each sector block -> (R, S)."""
    return np.add.reduceat(x, eng.layout.sector_start, axis=1)


def to_firms(eng: Engine, x_sector: np.ndarray) -> np.ndarray:
    """Broadcast a (R, S) or (S,) sector array to firms -> (R, N) or (N,)."""
    return np.repeat(x_sector, eng.layout.sector_size, axis=-1)


# ------------------------------------------------------------------------ 1. demand


def demand(eng: Engine) -> None:
    """Real demand of user sectors: trend, shock and price response with elasticity epsilon.

    Demand responds to last year's change in the sector price index, so that with
    innovation, imitation and shocks off output follows this closed form exactly.
    """
    st, par = eng.state, eng.par
    shock = eng.draw("demand").standard_normal((eng.R, par.n_sectors))
    if not eng.scenario.demand.shocks:
        shock[:] = 0.0
    st.demand_shock = shock * par.demand_shock_sd
    growth = par.demand_growth_real * eng.scenario.demand.growth_multiplier + st.demand_shock
    price_change = st.price_index / np.maximum(st.price_index_prev, TINY)
    st.demand_real_prev = st.demand_real.copy()
    st.demand_real = (
        st.demand_real * np.exp(growth) * price_change ** (-eng.scenario.demand.price_elasticity)
    )
    mt = eng.layout.mt_sector
    st.demand_real[:, mt] = 0.0  # machine-tool demand is derived from investment (rule 4)
    # Adaptive expectation: last expectation carried forward on the trend, blended with the
    # demand now seen. Without shocks it equals demand exactly.
    lam = eng.scenario.investment.expectation_smoothing
    trend = np.exp(
        par.demand_growth_real * eng.scenario.demand.growth_multiplier
    ) * price_change ** (-eng.scenario.demand.price_elasticity)
    st.demand_expected = lam * st.demand_expected * trend + (1.0 - lam) * st.demand_real
    st.outside_machine_demand = st.outside_machine_demand * (1.0 + eng.exo.outside_demand_growth)


# --------------------------------------------------------------------------- 2. R&D


def research(eng: Engine) -> None:
    """Real and reported R&D from the after-tax user cost of R&D.

    Real R&D = intensity x last year's revenue, with the intensity scaled by
    (user cost / base-year user cost) ** -elasticity. Reported R&D exceeds real R&D when the
    user cost falls (relabelling: reported responds with the larger elasticity); firms just
    below a bonus threshold may bunch above it by relabelling.
    """
    st, sc, exo = eng.state, eng.scenario, eng.exo
    expected = np.asarray(eng.policy.rd_bonus_expected_rate(eng), dtype=float)
    if expected.ndim < 2:
        expected = np.full((eng.R, 1), float(expected))
    # Last year's reported R&D becomes the previous year's; its buffer takes this year's.
    st.rd_reported_prev, st.rd_reported = st.rd_reported, st.rd_reported_prev
    kernels.research(
        st.alive,
        st.high_tech,
        st.revenue,
        st.rd_intensity_fe,
        st.rd_user_cost_base,
        st.basic_research_share,
        expected,
        np.array([exo.cit_rate, exo.high_tech_rate, exo.super_deduction], dtype=float),
        sc.rd.user_cost_elasticity_real,
        sc.rd.user_cost_elasticity_reported,
        st.rd_real_history,
        st.rd_real,
        st.rd_reported,
        st.basic_research,
    )
    eng.policy.bunch_reported_rd(eng)


# ----------------------------------------------------- 3. innovation and imitation


def innovate_and_imitate(eng: Engine) -> None:
    """Innovation and imitation from lagged real R&D (K+S draws, cluster spillovers).

    User firms improve process productivity; machine-tool firms improve their model. An
    innovated model that beats the best model of its niche and segment by the first-set
    margin is a first-set candidate: national-level if it beats every domestic model,
    provincial-level if it beats Zhejiang's. It stays unproven until its first sets are
    sold to Zhejiang users.
    """
    st, sc, lay = eng.state, eng.scenario.innovation, eng.layout
    kernels.innovate_and_imitate(
        eng.year,
        eng.stream_keys("innovation"),
        eng.stream_keys("imitation"),
        st.alive,
        lay.make_segment,
        lay.sector_of,
        lay.cluster_of,
        lay.cluster_start,
        lay.cluster_size,
        lay.sector_start,
        lay.sector_size,
        lay.niche_group_of,
        len(lay.niche_group_start),
        eng.other_province_model(),
        st.rd_real_history,
        sc.rd_lag_years - 1,
        eng.par.rd_scale,
        sc.enabled,
        sc.imitation_enabled,
        sc.zeta_innovation,
        sc.zeta_imitation,
        int(sc.jump_beta[0]),
        int(sc.jump_beta[1]),
        sc.jump_support[0],
        sc.jump_support[1],
        sc.cluster_peer_probability,
        sc.first_set_margin,
        st.process_productivity,
        st.model_productivity,
        st.innovated,
        st.model_first_set_level,
        st.model_unproven,
        st.model_first_set,
        st.model_sets_sold,
        st.model_recognised,
        st.model_vintage,
    )


# --------------------------------------------------------------------- 4. investment


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
    ``kernels.invest_firms``.
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
    base_financing, relief = eng.policy.financing_terms(eng)
    over_aged = ages > eng.policy.renewal_eligible_age(eng)  # (A,) by slot
    life = inv.tax_depreciation_years
    out = eng.buffers("invest", len(kernels.INVEST_OUT))
    record = eng.buffers("invest_record", len(kernels.INVEST_RECORD), dtype=np.float32)
    by_sector, firm_flows = eng.flow_blocks("invest", kernels.INVEST_FLOWS)
    orders_inside = eng.buffers("orders_inside", 1)[0]
    orders_inside[:] = 0.0
    orders_outside = np.zeros((R, eng.n_outside))
    kernels.invest_firms(
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
    eng.publish_flows(kernels.INVEST_FLOWS, by_sector, firm_flows)
    for i, name in enumerate(kernels.INVEST_OUT):
        setattr(st, name, out[i])
    for i, name in enumerate(kernels.INVEST_RECORD):
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
    probability, the other provinces' model likewise, else a Zhejiang maker of the segment
    drawn in proportion to a mix of sales share and equal weight. The buyer takes the model
    with the lowest risk-adjusted price plus b years of operating cost. SOE buyers within
    the first-set procurement quota may then switch to an unproven first-set model.

    Returns:
        The chosen model column per buyer (R, N): a slot, or N + outside model.
    """
    st, lay, par = eng.state, eng.layout, eng.par
    mt = eng.region.machine_tools
    segment_cdf, guide = kernels.brochure_tables(
        st.alive,
        st.mt_segment_share,
        eng.makers,
        eng.segment_offset,
        mt.brochure_share_weight,
    )
    M = len(eng.makers)
    frontier = float(eng.exo.other_equipment_productivity)
    choice = kernels.choose_from_brochures(
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
    return eng.policy.procure_first_set(eng, choice)  # SOE single-source quota may override


# --------------------------------------------------------- 5. production and market


def produce(eng: Engine) -> None:
    """Capacity, unit cost, price, output and replicator market shares.

    Machines are used alike, so unit cost averages 1/e over capacity (the harmonic mean).
    User sectors split demand by market share, capacity-constrained, with one round of
    redistribution of unmet demand to firms with spare capacity. Machine-tool makers sell
    the orders of Zhejiang buyers plus their share of outside demand. A first set is
    recognised, and proven, by sales to Zhejiang users (Zhejiang's first-set reward counts
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
    out = eng.buffers("produce", len(kernels.PRODUCE_OUT))
    kernels.produce_firms(
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
    for i, name in enumerate(kernels.PRODUCE_OUT):
        setattr(st, name, out[i])
    _, _, risk_price = eng.model_table()
    kernels.compete(
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


# ------------------------------------------------------------------------ 6. accounts


def account(eng: Engine) -> None:
    """Revenue, value added, wages and employment, profit before tax and subsidy.

    Wages are the labour part of the machine-sensitive cost k1 / (pi e); intermediate
    inputs the rest of it plus k2. Profit before tax deducts wages, VAT, tax depreciation,
    write-offs, interest and real R&D; taxable profit also the R&D super-deduction on
    reported R&D, taxed at the high-tech rate for high-tech firms. The CIT forgone through
    the super-deduction and the high-tech rate is recorded for the payer ledger.
    """
    st, lay, par, exo = eng.state, eng.layout, eng.par, eng.exo
    out = eng.buffers("account", len(kernels.ACCOUNT_OUT))
    by_sector, firm_flows = eng.flow_blocks("account", kernels.ACCOUNT_FLOWS)
    totals = np.zeros((2, eng.R))
    kernels.account(
        lay.sector_of,
        st.high_tech,
        st.k1,
        st.k2,
        par.labour_of_k1,
        st.process_productivity,
        st.machine_productivity,
        st.output_real,
        st.revenue,
        st.debt,
        st.depreciation,
        st.flow_writeoff,
        st.rd_real,
        st.rd_reported,
        np.broadcast_to(np.asarray(exo.wage_per_worker_m_yuan, dtype=float).reshape(-1), (eng.R,)),
        np.array(
            [exo.loan_rate, exo.vat_rate, exo.cit_rate, exo.high_tech_rate, exo.super_deduction],
            dtype=float,
        ),
        out,
        by_sector,
        totals,
        firm_flows,
    )
    for i, name in enumerate(kernels.ACCOUNT_OUT):
        setattr(st, name, out[i])
    eng.publish_flows(kernels.ACCOUNT_FLOWS, by_sector, firm_flows)
    st.value_added_total, st.employment_total = totals


def settle_cash(eng: Engine) -> None:
    """Roll cash and loans forward: profit after tax and subsidy, loan service, dividends.

    Cash that would go negative is covered by an overdraft loan, so cash >= 0 and the bank
    carries the shortfall; a firm with negative net worth exits in rule 7.
    """
    st, inv = eng.state, eng.scenario.investment
    by_sector, firm_flows = eng.flow_blocks("settle", kernels.SETTLE_FLOWS)
    kernels.settle_cash(
        st.alive,
        st.profit_before_tax,
        st.cit,
        st.subsidy_received,
        st.depreciation,
        st.flow_writeoff,
        st.revenue,
        float(inv.loan_term_years),
        inv.dividend_cash_ratio,
        st.cash,
        st.debt,
        st.flow_loans_new,
        eng.layout.sector_of,
        by_sector,
        firm_flows,
    )
    eng.publish_flows(kernels.SETTLE_FLOWS, by_sector, firm_flows)


# ------------------------------------------------------------ 7. demography and status


def demography(eng: Engine) -> None:
    """Exit on a tiny market share or negative net worth; entry into free slots.

    A firm leaves when its share of its sector (machine-tool makers: of their segment's
    sales) falls below ``exit_share_fraction`` / firms, or its net worth turns negative.
    Entrants replace the year's exits and add the net entry rate (none during the spin-up,
    which keeps the base-year firm count); they fill free slots at random, with the
    initial state set in ``kernels.enter_firms``.
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
    exits, st.exit_cash_by_sector, st.exit_debt_by_sector, sector_revenue = kernels.exit_firms(
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
    n_alive, n_exit, n_free, mean_pi, new_e, segment_mean_a = kernels.entry_statistics(
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
    st.entries = kernels.enter_firms(
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
        tuple(getattr(st, name) for name in kernels.ENTRY_FLOAT),
        tuple(getattr(st, name) for name in kernels.ENTRY_INT),
        tuple(getattr(st, name) for name in kernels.ENTRY_BOOL),
        st.cohort_capacity,
        st.cohort_inverse_productivity,
        st.cohort_cost,
        eng.cohort_head,
        int(eng.cost_slot_of_ring()[eng.cohort_head]),
        st.rd_real_history,
        st.entry_cash_by_sector,
    )
    eng.policy.reset_firms(eng, st.entries)


def update_status(eng: Engine) -> None:
    """Above-scale status and the gradient-cultivation titles by approximate rules."""
    st, rules, lay = eng.state, eng.region.status, eng.layout
    titles = ("specialised_new", "little_giant", "single_champion")
    held = eng.buffers("titles_held", 3, dtype=bool)
    new = eng.buffers("titles_new", 3, dtype=bool)
    kernels.update_status(
        eng.year,
        st.alive,
        lay.make_segment,
        lay.sector_start,
        lay.sector_size,
        len(lay.segment_slots),
        eng.firm_weight,
        st.revenue,
        st.revenue_prev2,
        st.rd_reported,
        st.process_productivity,
        st.machine_productivity,
        st.model_productivity,
        np.array(
            [
                rules.above_scale_revenue_m_yuan,
                rules.sme_revenue_max_m_yuan,
                rules.specialised_new_min_revenue_m_yuan,
                rules.specialised_new_rd_intensity,
                rules.specialised_new_growth,
                rules.little_giant_min_revenue_m_yuan,
                rules.little_giant_rd_intensity,
                rules.single_champion_min_revenue_m_yuan,
                ndtri(rules.little_giant_productivity_rank),
                ndtri(rules.single_champion_productivity_rank),
            ],
            dtype=float,
        ),
        rules.validity_years,
        tuple(getattr(st, f"{t}_last_met") for t in titles),
        st.above_scale,
        held,
        new,
    )
    for i, t in enumerate(titles):
        setattr(st, f"{t}_held", held[i])
        setattr(st, f"{t}_new", new[i])
