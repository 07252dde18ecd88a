"""The economy's first and base years: initial firms, the spin-up's rescaling, the rebase.

Written as a base class of :class:`~model.economy.engine.Engine` (these methods use the
engine's arrays and helpers).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaincinv

from model.config.firm_sizes import bounded_pareto_quantile
from model.config.units import PEOPLE_PER_MILLION, TINY
from model.economy.compiled import njit
from model.economy.payback import invest_params, model_costs, steady_vintage_ages
from model.economy.sectors import (
    scale_firm_stacks,
    scale_firms,
    sector_sum,
    slot_sums,
    to_firms,
)
from model.economy.state import (
    COHORT,
    COST,
    ESTABLISHED_MODEL_SETS,
    FIELDS,
    FIRM,
    NEVER,
    RD_LAG,
    SECTOR,
    names,
)
from model.economy.taxes import rd_tax_cost

#: What ``rescale_to_base`` scales with its sector's output (the catalogue's ``rescaled``):
#: per-firm arrays, per-firm stacks (cohorts, R&D history) and sector arrays.
RESCALED = names(rescaled=True, axes=FIRM)
RESCALED_STACKS = tuple(f.name for f in FIELDS if f.rescaled and f.axes in (COHORT, COST, RD_LAG))
RESCALED_SECTORS = names(rescaled=True, axes=SECTOR)


#: Spin-up years the region's makers' productivity trend is measured over.
TREND_YEARS = 10


class BaseYear:
    """The initial state, the spin-up's yearly rescaling and the rebase to the base year."""

    # ------------------------------------------------------------ initial state

    def initialise(self) -> None:
        """Firms at the start of the spin-up: bounded Pareto sizes, vintage stocks, R&D habits.

        The spin-up then runs long enough for these guesses to be forgotten; only the
        base-year aggregates they are rescaled to matter (see ``rebase``).
        """
        sc, lay, par, mt = self.scenario, self.layout, self.par, self.region.machine_tools
        R, N, S = self.R, lay.n_slots, par.n_sectors
        full = self.full_layout
        # Drawn for the full layout's slots and read at this layout's (``slot_id``): a slot's
        # draws do not depend on the part of the layout the spin-up runs on.
        d = self.draw("init")
        F = full.n_slots
        u_size = d.random((R, F))
        z_prod = d.standard_normal((R, F))
        z_rd = d.standard_normal((R, F))
        u_basic = d.random((R, F))
        u_high_tech = d.random((R, F))
        z_model = d.standard_normal((R, F))
        z_payback = d.standard_normal((R, F))
        st = self.state
        self._init_exogenous()
        st.alive = np.broadcast_to(lay.initial_alive, (R, N)).copy()
        # Traits drawn once per firm (or slot) are kept in single precision: they are draws,
        # and halving them saves memory at a million firms.
        trait = np.float32
        # Traits of the slot, kept by its later occupants (no state-dependent randomness): the
        # firm-specific payback period and basic-research share. Made for every slot of the
        # full layout, which ``expand`` opens at the rebase.
        sd = sc.investment.payback_dispersion
        b = np.clip(par.basic_share[full.sector_of], 1e-4, 1 - 1e-4)
        conc = sc.initial.basic_share_concentration
        traits = {
            "payback_years": (
                sc.investment.payback_years * np.exp(sd * z_payback - 0.5 * sd**2)
            ).astype(trait),
            "basic_research_share": betaincinv(conc * b, conc * (1.0 - b), u_basic).astype(trait),
        }
        self.full_traits = None if lay.is_full else traits
        for name, values in traits.items():
            setattr(st, name, np.take(values, lay.slot_id, axis=1))
        u_size, z_prod, z_rd, u_high_tech, z_model = (
            np.take(x, lay.slot_id, axis=1) for x in (u_size, z_prod, z_rd, u_high_tech, z_model)
        )
        # Revenue of the real firms each slot stands for: Pareto from the above-scale
        # threshold to the sector's largest firm (``model.config.firm_sizes``).
        size = np.where(
            st.alive,
            bounded_pareto_quantile(
                u_size,
                self.region.size_exponent,
                self.region.status.above_scale_revenue_m_yuan,
                par.largest_firm_m_yuan[lay.sector_of],
            ),
            0.0,
        )
        share = size / to_firms(self, sector_sum(self, size))
        is_mt = lay.make_segment >= 0
        st.market_share = np.where(is_mt, 0.0, share)
        st.mt_segment_share = self.segment_normalise(np.where(is_mt, share, 0.0))
        st.demand_real = np.broadcast_to(par.output_base_m_yuan, (R, S)).copy()
        st.demand_real[:, lay.mt_sector] = 0.0
        st.demand_real_prev = st.demand_real.copy()
        st.demand_expected = st.demand_real.copy()
        st.demand_shock = np.zeros((R, S))
        st.price_index = np.ones((R, S))
        st.price_index_prev = np.ones((R, S))
        revenue = share * par.output_base_m_yuan[lay.sector_of]
        st.revenue = revenue
        st.revenue_prev = revenue.copy()
        st.revenue_prev2 = revenue.copy()
        st.output_real = revenue.copy()
        st.output_real_prev = revenue.copy()
        st.output_expected = revenue.copy()
        # The makers' outside sales: to the rest of the country and abroad, each market of
        # a segment as large as the region's base-year share of it implies.
        segment_revenue = self.segment_sum(np.where(is_mt, revenue, 0.0))
        to_nation = mt.outside_sales_share_base - mt.export_sales_share_base
        st.national_demand = to_nation * segment_revenue / np.asarray(mt.national_market_share_base)
        st.export_demand = (
            mt.export_sales_share_base * segment_revenue / np.asarray(mt.export_market_share_base)
        )
        within = self.segment_normalise(np.where(is_mt, revenue, 0.0))  # share of segment sales
        st.national_share = within * self._to_mt_slots(
            np.broadcast_to(mt.national_market_share_base, segment_revenue.shape)
        )
        st.export_share = within * self._to_mt_slots(
            np.broadcast_to(mt.export_market_share_base, segment_revenue.shape)
        )

        ini = sc.initial
        st.process_productivity = np.exp(ini.productivity_dispersion * z_prod)
        seg = np.maximum(lay.make_segment, 0)
        seg_prod = np.asarray(mt.segment_productivity_index)[seg]
        st.model_productivity = np.where(
            is_mt, seg_prod * np.exp(ini.model_dispersion * z_model), 0.0
        )
        st.model_unproven = np.zeros((R, N), dtype=bool)
        st.model_first_set = np.zeros((R, N), dtype=bool)
        st.model_first_set_level = np.zeros(
            (R, N), dtype=np.int8
        )  # 1 provincial, 2 domestic, 3 international
        st.model_recognised = np.zeros((R, N), dtype=bool)
        st.model_sets_sold = np.full((R, N), ESTABLISHED_MODEL_SETS)
        st.model_vintage = np.full((R, N), self.year, dtype=np.int32)
        # Machine cohorts sit in a ring of A slots (no copying as they age); the slot at
        # ``cohort_head`` holds the newest cohort.
        self.cohort_years = 0  # turns of the rings so far
        self.cohort_head = 0
        capacity = revenue / sc.investment.target_utilisation
        # First a stock of every age at the buyer's segment's average productivity, on which
        # the initial prices are set; then the stock those terms sustain (below).
        seg_index = np.asarray(mt.segment_productivity_index)[lay.buy_segment]
        self._install_vintages(
            capacity,
            np.full((R, N), sc.investment.technical_life_years),
            np.broadcast_to(seg_index ** -par.theta[lay.sector_of], (R, N)),
        )
        # A sound start (positive net worth); the spin-up then sets the balance sheets.
        st.cash = ini.cash_to_revenue * revenue
        st.debt = ini.debt_to_revenue * revenue
        sigma = par.rd_dispersion[lay.sector_of]
        st.rd_intensity_fe = (
            par.rd_intensity[lay.sector_of] * np.exp(sigma * z_rd - 0.5 * sigma**2)
        ).astype(trait)
        st.high_tech = st.alive & (u_high_tech < par.high_tech_share[lay.sector_of])
        st.rd_real = st.rd_intensity_fe * revenue
        st.rd_reported = st.rd_real.copy()
        st.rd_reported_prev = st.rd_real.copy()
        # Only the innovation draws read past R&D: single precision is plenty.
        st.rd_real_history = np.repeat(
            st.rd_real[:, :, None].astype(np.float32), sc.innovation.rd_lag_years, axis=2
        )
        st.basic_research = st.rd_real * st.basic_research_share
        st.unfilled = np.zeros((R, N))
        st.orders_inside = np.where(is_mt, (1 - mt.outside_sales_share_base) * revenue, 0.0)
        st.subsidy_received = np.zeros((R, N))
        st.sector_flows = {}  # recorded-only flows by sector, (R, S) each (``flow_blocks``)
        # Flags the rules update in place each year.
        st.innovated = np.zeros((R, N), dtype=bool)
        st.first_set_recognised = np.zeros((R, N), dtype=bool)
        st.above_scale = np.zeros((R, N), dtype=bool)
        # No firm is on the machine-tool tax list before its first year's figures are known.
        st.on_machine_tool_list = np.zeros((R, N), dtype=bool)
        for name in ("specialised_new", "little_giant", "single_champion"):
            setattr(st, f"{name}_listed_year", np.full((R, N), NEVER, dtype=np.int32))
            setattr(st, f"{name}_held", np.zeros((R, N), dtype=bool))
            setattr(st, f"{name}_new", np.zeros((R, N), dtype=bool))
        self._price_initial_firms()
        self.tax_base_rates()
        # The stock as a firm that has long invested on these terms holds it (no cohort the
        # payback rule would scrap at once), and the prices of the machines it then runs.
        self._install_vintages(capacity, *self._steady_vintage_ages())
        self._price_initial_firms()
        tau = np.where(st.high_tech, self.exo.high_tech_rate, self.exo.cit_rate)
        st.rd_user_cost_base = rd_tax_cost(tau, self.exo.super_deduction).astype(trait)
        self.policy.initialise(self)

    def _install_vintages(
        self, capacity: np.ndarray, kept_ages: np.ndarray, newest_inverse: np.ndarray
    ) -> None:
        """Each firm's machine cohorts: ``capacity`` (R, N) over its ``kept_ages`` youngest ages.

        The stock was built by investment growing at ``initial.stock_growth`` a year, so
        cohort weights fall by that factor with age. The newest cohort needs
        ``newest_inverse`` (R, N) of input per unit of capacity; each older one is a year of
        embodied progress (``vintage_gap``) and a year's wear (``wear_rate``) above it.
        """
        st, sc, lay, par = self.state, self.scenario, self.layout, self.par
        ini = sc.initial
        R, N = capacity.shape
        ages = self.cohort_ages().astype(float)
        age_weight = np.where(
            ages[None, None, :] < kept_ages[:, :, None], (1.0 + ini.stock_growth) ** (-ages), 0.0
        )
        age_weight /= age_weight.sum(axis=2, keepdims=True)
        cohort = np.float32  # per-cohort arrays dominate memory; single precision suffices
        st.cohort_capacity = (capacity[:, :, None] * age_weight).astype(cohort)
        st.cohort_inverse_productivity = (
            newest_inverse[:, :, None] * (self._vintage_age_factor() ** ages)[None, None, :]
        ).astype(cohort)
        capital_price = par.kappa[lay.sector_of]
        cost_slot = self.cost_slot_of_ring()
        kept = np.flatnonzero(cost_slot >= 0)
        st.cohort_cost = np.zeros((R, N, self.cost_ring_years), dtype=cohort)
        st.cohort_cost[:, :, cost_slot[kept]] = (
            st.cohort_capacity[:, :, kept] * capital_price[:, None]
        ).astype(cohort)
        st.capacity = st.cohort_capacity.sum(axis=2, dtype=float)
        weighted = np.einsum(
            "rna,rna->rn", st.cohort_capacity, st.cohort_inverse_productivity, dtype=float
        )
        st.machine_productivity = np.where(
            weighted > TINY, st.capacity / np.maximum(weighted, TINY), 1.0
        )

    def _vintage_age_factor(self) -> float:
        """Rise of an initial cohort's input per unit of capacity with each year of age."""
        sc = self.scenario
        return (1.0 + sc.initial.vintage_gap) * (1.0 + sc.investment.wear_rate)

    def _steady_vintage_ages(self) -> tuple[np.ndarray, np.ndarray]:
        """Cohort ages each firm keeps in a steady state of the payback rule, and its newest.

        The candidate new machines of each segment are its makers' share-weighted average
        model, its import model and its other-province model (``steady_vintage_ages``).
        """
        st, sc, lay = self.state, self.scenario, self.layout
        inv = sc.investment
        productivity, price, _ = self.model_table()
        M = len(self.makers)
        # The terms without any instrument (the spin-up is shared by every scenario).
        risk_price = price.copy()
        risk_price[:, :M] *= self.risk_multiplier_base(self.makers)
        share = np.zeros(st.alive.shape)
        share[:, self.makers] = st.mt_segment_share[:, self.makers]

        def makers_mean(by_position: np.ndarray) -> np.ndarray:
            # 0 in a segment without makers: no such candidate is offered.
            x = np.zeros(st.alive.shape)
            x[:, self.makers] = by_position[:, :M]
            return self.segment_sum(share * x) / np.maximum(self.segment_sum(share), TINY)

        def candidates(by_position: np.ndarray) -> np.ndarray:
            # (R, G C): each segment's makers' mean, import and other-province model.
            outside = by_position[:, M:]
            return np.stack(
                [
                    makers_mean(by_position),
                    outside[:, self.import_model_of_segment],
                    outside[:, self.other_model_of_segment],
                ],
                axis=2,
            ).reshape(self.R, -1)

        candidate_productivity = candidates(productivity)
        candidate_risk_price = candidates(risk_price)
        params = invest_params(self, 0.0)
        return steady_vintage_ages(
            lay.sector_of,
            lay.buy_segment,
            (candidate_productivity > 0.0).reshape(self.R, lay.n_segments, -1),
            model_costs(self, candidate_productivity, candidate_risk_price),
            candidate_risk_price,
            st.k1,
            st.process_productivity,
            st.payback_years.astype(float),
            params,
            params.target_utilisation / params.frontier_factor,
            self._vintage_age_factor(),
            inv.technical_life_years,
        )

    def _price_initial_firms(self) -> None:
        """Prices at the initial machines' unit cost, user firms' appeal, the outside makers.

        User firms' appeal is what makes their target share their share at these prices;
        the outside models are anchored to the region's segment means (with their makers'
        appeal).
        """
        st, sc, lay, par = self.state, self.scenario, self.layout, self.par
        is_mt = lay.make_segment >= 0
        unit_cost = to_firms(self, st.k1) / (
            st.process_productivity * st.machine_productivity
        ) + to_firms(self, st.k2)
        st.price = (1.0 + par.markup[lay.sector_of]) * unit_cost
        relative = st.price / to_firms(self, st.price_index)
        sigma = sc.market.sector_share_elasticity
        st.appeal = np.where(st.alive & ~is_mt, st.market_share * relative**sigma, 0.0)
        self.anchor_outside_makers(appeals=True)

    def anchor_outside_makers(self, *, appeals: bool = False) -> None:
        """Put the outside models and their makers on the region file's base-year terms.

        The outside models' productivity and price at their premiums over the region's
        segment means (``_anchor_outside_models``); in each segment's rest-of-country and
        foreign market, the region's makers' shares scaled to the base-year share of the
        region file and the outside models' makers given the appeal at which the target
        shares are the base-year shares (imports the import share, other provinces the rest).
        The spin-up does this every year, so nothing jumps when the simulated years begin.
        With ``appeals`` (the initial state), each maker's appeal is first set so that its
        target share is its current share.
        """
        st, mt, lay = self.state, self.region.machine_tools, self.layout
        self.maker_mean_model = self._anchor_outside_models()
        lam = self.scenario.market.national_share_elasticity
        # Buyers' terms without any instrument: the anchoring must not depend on the policy.
        makers = self.makers
        risk_price = (
            st.price[:, makers]
            * self.segment_price_index_of_maker
            * self.risk_multiplier_base(makers)
        )
        x = st.model_productivity[:, makers] / np.maximum(risk_price, TINY)
        # The makers are the machine-tool block's slots: the rest have no national markets.
        block = lay.machine_tool_block
        pull_per_appeal = np.zeros((self.R, block.stop - block.start))
        pull_per_appeal[:, makers - block.start] = np.maximum(x, TINY) ** lam
        live_maker = st.alive[:, block] & (lay.make_segment[block] >= 0)
        if appeals:
            national = np.zeros(st.alive.shape)
            national[:, block] = np.where(live_maker, st.national_share[:, block], 0.0)
            within = self.segment_normalise(national)[:, block]
            st.appeal[:, block] = np.where(
                live_maker, within / pull_per_appeal.clip(TINY), st.appeal[:, block]
            )
        seg_pull = self.segment_sum_of_block(
            np.where(live_maker, st.appeal[:, block] * pull_per_appeal, 0.0)
        )
        rival_pull = np.maximum(st.outside_productivity / np.maximum(st.outside_price, TINY), TINY)
        rival_pull = rival_pull**lam
        g_of = self.outside_segment
        is_import = self.outside_origin == 0
        z_nation = np.asarray(mt.national_market_share_base)
        imports = np.asarray(mt.national_import_share_base)
        z_export = np.asarray(mt.export_market_share_base)
        national_makers = mt.export_market_national_share_base
        nation_rival = np.where(is_import, imports[g_of], 1.0 - z_nation[g_of] - imports[g_of])
        export_rival = np.where(is_import, 1.0 - national_makers, national_makers - z_export[g_of])
        for shares, z, rival, appeal_name, share_name in (
            (
                st.national_share,
                z_nation,
                nation_rival,
                "national_rival_appeal",
                "national_rival_share",
            ),
            (st.export_share, z_export, export_rival, "export_rival_appeal", "export_rival_share"),
        ):
            total = self.segment_sum_of_block(np.where(live_maker, shares[:, block], 0.0))
            scale = z[None, :] / np.maximum(total, TINY)
            shares[:, block] *= np.where(live_maker, scale[:, lay.make_segment[block]], 0.0)
            setattr(st, share_name, np.broadcast_to(rival, (self.R, len(g_of))).copy())
            setattr(
                st,
                appeal_name,
                rival[None, :] / z[g_of][None, :] * seg_pull[:, g_of] / rival_pull,
            )

    def _anchor_outside_models(self) -> np.ndarray:
        """Set outside models at their premiums over the region's segment means (sales-weighted).

        Returns:
            The region's makers' mean model per segment (R, G) (NaN where none is alive).
        """
        st, mt = self.state, self.region.machine_tools
        # Only the machine-tool block's slots (every one a maker) enter the segment means.
        block = self.layout.machine_tool_block
        w = np.where(st.alive[:, block], np.maximum(st.revenue[:, block], TINY), 0.0)
        weight = self.segment_sum_of_block(w)
        mean_a = self.segment_sum_of_block(w * st.model_productivity[:, block]) / np.maximum(
            weight, TINY
        )
        index = self.segment_price_index[self.layout.make_segment[block]]
        price = st.price[:, block] if hasattr(st, "price") else np.ones_like(w)
        mean_p = self.segment_sum_of_block(w * (price * index)) / np.maximum(weight, TINY)
        # A segment without a live maker keeps its outside models as they are (at the start:
        # the segment's indices), and its trend is not measured.
        prem_a = np.array([o.productivity_premium for o in mt.outside_models])
        prem_p = np.array([o.price_premium for o in mt.outside_models])
        empty = weight <= TINY
        if empty.any():
            if hasattr(st, "outside_productivity"):
                # The means the other provinces' models were last anchored to.
                o = self.other_model_of_segment
                keep_a = st.outside_productivity[:, o] / (1.0 + prem_a[o])
                keep_p = st.outside_price[:, o] / (1.0 + prem_p[o])
            else:
                keep_a = np.broadcast_to(np.asarray(mt.segment_productivity_index), mean_a.shape)
                keep_p = np.broadcast_to(self.segment_price_index, mean_p.shape)
            mean_a = np.where(empty, keep_a, mean_a)
            mean_p = np.where(empty, keep_p, mean_p)
        st.outside_productivity = mean_a[:, self.outside_segment] * (1.0 + prem_a)
        st.outside_price = mean_p[:, self.outside_segment] * (1.0 + prem_p)
        return np.where(empty, np.nan, mean_a)

    # ------------------------------------------------------------------ rebase

    def rescale_to_base(self) -> np.ndarray:
        """Scale every nominal and real quantity of each sector so its output is the base year's.

        All quantities are homogeneous of degree one in scale, so this is a change of units:
        shares, productivities, prices, growth rates and the vintage structure are kept. The
        spin-up calls it every year so that size thresholds (20 m yuan above-scale, the title
        rules, 10 m yuan of basic research) always mean base-year money.

        Returns:
            The scale factor applied to each sector (R, S).
        """
        st, lay, par = self.state, self.layout, self.par
        revenue_s = sector_sum(self, st.revenue)
        if (revenue_s <= 1e-6 * par.output_base_m_yuan).any():
            raise FloatingPointError(
                "a sector's output collapsed to zero; check the scenario's parameters"
            )
        factor = par.output_base_m_yuan / revenue_s  # (R, S)
        # Every state array is owned by the state alone: scale in place.
        for group in self.names_by_dtype(RESCALED):
            arrays = tuple(getattr(st, name) for name in group)
            scale_firms(factor, lay.sector_start, lay.sector_size, arrays)
        scale_firm_stacks(
            factor,
            lay.sector_start,
            lay.sector_size,
            tuple(getattr(st, name) for name in RESCALED_STACKS),
        )
        for name in RESCALED_SECTORS:
            setattr(st, name, getattr(st, name) * factor)
        # Demand from outside the region is the machine-tool sector's.
        st.national_demand = st.national_demand * factor[:, lay.mt_sector, None]
        st.export_demand = st.export_demand * factor[:, lay.mt_sector, None]
        return factor

    def renormalise_costs(self) -> None:
        """Put each sector's base-year cost structure back on the region file's shares.

        Over the spin-up, wages (indexed to the wage path) and productivity drift apart, so
        the value-added and wage shares would no longer be the region file's. Rescaling the
        machine-sensitive cost k1 by the sector's output-weighted 1/(pi e) restores them
        (and a base-year price of about 1) without touching any firm's relative position.
        """
        st, par, lay = self.state, self.par, self.layout
        # Per-firm terms in compiled passes; the sector sums slot by slot (``sector_sum``).
        inverse, weight, weighted_inverse = _inverse_productivity(
            st.process_productivity, st.machine_productivity, st.alive, st.output_real
        )
        mean_inverse = sector_sum(self, weighted_inverse) / np.maximum(
            sector_sum(self, weight), TINY
        )
        self.maker_mean_inverse = mean_inverse[:, lay.mt_sector]
        st.k1 = np.broadcast_to(par.k1_base, st.k1.shape) / np.maximum(mean_inverse, TINY)
        st.k2 = np.broadcast_to(par.k2_base, st.k2.shape).copy()
        st.price, st.revenue, w, w_price = _base_prices(
            st.k1,
            st.k2,
            par.markup,
            lay.sector_of,
            lay.make_segment,
            inverse,
            st.alive,
            st.output_real,
            st.market_share,
            st.revenue,
        )
        st.price_index = sector_sum(self, w_price) / np.maximum(sector_sum(self, w), TINY)

    def record_maker_trend(self) -> None:
        """Keep this spin-up year's point of the region's makers' trends (see ``rebase``)."""
        self.maker_productivity_path.append(self.maker_mean_model)
        self.maker_cost_path.append(self.maker_mean_inverse)

    def outside_unit_cost(self) -> np.ndarray:
        """Unit cost of an outside maker (R,): machine-tool cost shares now, productivity on trend.

        The base year's mean inverse productivity of the region's makers, falling at their
        spin-up trend, with this year's machine-sensitive and other unit costs.
        """
        st, mt = self.state, self.layout.mt_sector
        inverse = (
            self.outside_inverse_base / (1.0 + self.maker_process_trend) ** self.years_since_base
        )
        return st.k1[:, mt] * inverse + st.k2[:, mt]

    def wages_m_yuan(self) -> np.ndarray:
        """Each firm's wage bill (R, N): the labour part of its machine-sensitive cost."""
        st, par = self.state, self.par
        inverse = 1.0 / np.maximum(st.process_productivity * st.machine_productivity, TINY)
        machine_cost = to_firms(self, st.k1) * inverse * st.output_real
        return to_firms(self, par.labour_of_k1) * machine_cost

    def rebase(self) -> np.ndarray:
        """Set the spun-up economy on the base year of the region file; returns the rescaling.

        Sector outputs are rescaled to the base-year outputs. The makers' outside sales become
        the residual of base machine-tool output over inside sales, the wage per worker is set
        so that employment matches the base year, and prices are indexed to the base year.
        The outside models and their makers stay on the region file's terms (as every
        spin-up year).
        """
        st, lay, par = self.state, self.layout, self.par
        self.renormalise_costs()
        factor = self.rescale_to_base()
        # Inside purchases from in-region machine-tool firms, as their buyers recorded them (the
        # machine-tool firms' own order books follow); outside demand is the residual.
        mt = lay.mt_sector
        inside = slot_sums(st.machine_purchases_in_region)
        # The books of the makers that go on: an exit's slot still holds its last orders.
        booked = np.maximum(slot_sums(np.where(st.alive, st.orders_inside, 0.0)), TINY)
        st.orders_inside = st.orders_inside * (inside / booked)[:, None]
        # Rest-of-country and foreign demand scaled together so the makers' outside sales
        # are the base output's residual over inside sales.
        is_mt = lay.make_segment >= 0
        outside = slot_sums(
            np.where(
                st.alive & is_mt,
                st.national_share * self._to_mt_slots(st.national_demand)
                + st.export_share * self._to_mt_slots(st.export_demand),
                0.0,
            )
        )
        wanted = np.maximum(par.output_base_m_yuan[mt] - inside, 0.0)
        scale = (wanted / np.maximum(outside, TINY))[:, None]
        st.national_demand = st.national_demand * scale
        st.export_demand = st.export_demand * scale
        wages = slot_sums(self.wages_m_yuan())
        employment = self.region.base_year.employment_m * PEOPLE_PER_MILLION
        self.exo.wage_per_worker_m_yuan = (wages / employment)[:, None]
        self.price_base = st.price_index.copy()
        self.anchor_outside_makers()
        # The region's makers' trend: growth of their segments' mean model over the spin-up's
        # last TREND_YEARS years (the outside makers keep this pace from now on).
        self.maker_trend_growth = _trend(self.maker_productivity_path)
        self.outside_inverse_base = self.maker_mean_inverse
        # Their machines' process productivity trend (the inverse of the sector's mean
        # inverse productivity), and their unit cost now: the outside makers' costs follow
        # the same input prices and this trend (``outside_unit_cost``).
        self.maker_process_trend = _trend([1.0 / np.maximum(c, TINY) for c in self.maker_cost_path])
        self.years_since_base = 0
        self.outside_price_base = st.outside_price.copy()
        self.outside_cost_base = self.outside_unit_cost()
        self.spinning_up = False
        return factor


def _trend(path: list[np.ndarray]) -> np.ndarray:
    """Yearly growth of a series over its last ``TREND_YEARS`` years.

    0 with fewer than two values, and where either end is missing (NaN: no live maker).
    """
    k = min(TREND_YEARS, len(path) - 1)
    if k <= 0:
        return np.zeros_like(path[-1])
    with np.errstate(invalid="ignore"):
        growth = (path[-1] / np.maximum(path[-1 - k], TINY)) ** (1.0 / k) - 1.0
    return np.nan_to_num(growth, nan=0.0)


@njit(cache=True)
def _inverse_productivity(
    process_productivity: np.ndarray,
    machine_productivity: np.ndarray,
    alive: np.ndarray,
    output_real: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """1 / (pi e) per firm, live firms' real output, and their product (R, N) each."""
    R, N = alive.shape
    inverse = np.empty((R, N))
    weight = np.empty((R, N))
    weighted = np.empty((R, N))
    for r in range(R):
        for n in range(N):
            inv = 1.0 / max(process_productivity[r, n] * machine_productivity[r, n], TINY)
            w = output_real[r, n] if alive[r, n] else 0.0
            inverse[r, n] = inv
            weight[r, n] = w
            weighted[r, n] = w * inv
    return inverse, weight, weighted


@njit(cache=True)
def _base_prices(
    k1: np.ndarray,
    k2: np.ndarray,
    markup: np.ndarray,
    sector_of: np.ndarray,
    make_segment: np.ndarray,
    inverse: np.ndarray,
    alive: np.ndarray,
    output_real: np.ndarray,
    market_share: np.ndarray,
    revenue: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Prices at the renormalised costs, user firms' revenue at them, and price-index weights.

    Returns new arrays (R, N): price (1 + markup) (k1 / (pi e) + k2); revenue (live user
    firms' output at that price, everyone else's as it was); the weights of the sector price
    index (live firms: market share for user firms; for makers, the quantity their sales buy
    at the new price, as in the yearly rule; their recorded real output is not recomputed, so
    the index is within about 1% of revenue / real output) and weight x price.
    """
    R, N = alive.shape
    price = np.empty((R, N))
    new_revenue = np.empty((R, N))
    w = np.empty((R, N))
    w_price = np.empty((R, N))
    for r in range(R):
        for n in range(N):
            s = sector_of[n]
            unit_cost = k1[r, s] * inverse[r, n] + k2[r, s]
            p = (1.0 + markup[s]) * unit_cost
            user = make_segment[n] < 0
            rev = output_real[r, n] * p if user and alive[r, n] else revenue[r, n]
            weight = (market_share[r, n] if user else rev / max(p, TINY)) if alive[r, n] else 0.0
            price[r, n] = p
            new_revenue[r, n] = rev
            w[r, n] = weight
            w_price[r, n] = weight * p
    return price, new_revenue, w, w_price
