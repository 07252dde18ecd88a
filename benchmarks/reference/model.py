"""``ReferenceModel``: the fast model's yearly rules, one ``mesa.Agent`` per firm.

The year, exactly in the fast model's order (``model/_model.py``, ``RegionModel._one_year``;
docs/ODD.md 1.3): exogenous paths, 1 demand, 2 R&D, 3 innovation and imitation,
4 investment, 5 production and market, 6 accounts, 8 government pays, 6b cash settlement,
7 status, (recording), 7 exit and entry. The spin-up runs the same years under base-year
conditions, renormalising costs and rescaling to the base-year sector outputs after each,
then rebases. Firms act through ``AgentSet.do``; sector totals come from ``groupby`` and
``agg``; a ``mesa.DataCollector`` records the sector aggregates of each scenario year.

Randomness comes from the model's own generator (Mesa's ``rng=`` seeding; scalar draws from
``model.random``), so runs agree with the fast model in distribution, not number for number.
"""

from __future__ import annotations

import math
from operator import attrgetter
from typing import TYPE_CHECKING

import mesa
import numpy as np

from benchmarks.reference.firm import FirmAgent
from benchmarks.reference.government import Government
from benchmarks.reference.layout import SEGMENTS, build_layout

if TYPE_CHECKING:
    from model.config.params import Scenario
TINY = 1e-12
M_YUAN_PER_BN = 1e3

#: The rules this implementation mirrors. When the fast model's rules change, this names the
#: version the reference still implements (and tests/test_reference.py catches the drift).
RULESET = (
    "fast-model rules as of commit 9adbc9a (model/_rules.py, _state.py, instruments.py, _model.py)"
)


def _ndtri(p: float) -> float:
    """Standard normal quantile (inverse CDF)."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)


class Sector:
    """Parameters and state of one sector (plain object; firms read it)."""

    def __init__(self, index: int, spec, scenario: Scenario) -> None:
        self.index = index
        self.id = spec.id
        self.is_mt = spec.kind == "machine_tools"
        margin = spec.value_added_share - spec.labour_share
        unit_cost = 1.0 - margin
        self.k1_base = spec.machine_sensitive_cost_share * unit_cost
        self.k2_base = unit_cost - self.k1_base
        self.markup = margin / (1.0 - margin)
        self.labour_of_k1 = spec.labour_share / self.k1_base
        self.theta = spec.machine_tool_capex_share
        self.kappa = spec.capital_output_ratio
        self.rd_intensity = spec.rd_intensity_real
        self.rd_dispersion = spec.rd_intensity_dispersion
        self.basic_share = spec.basic_research_share
        self.high_tech_share = spec.high_tech_share
        self.demand_growth_real = spec.demand_growth_real
        self.demand_shock_sd = spec.demand_shock_sd
        self.pareto = spec.size_pareto_exponent
        self.output_base = spec.output_base_bn_yuan * M_YUAN_PER_BN
        # Scale of R&D in the innovation draws: base-year revenue per simulated firm.
        self.rd_scale = self.output_base / max(spec.n_firms * scenario.market.firm_scale, 1.0)
        # State
        self.k1, self.k2 = self.k1_base, self.k2_base
        self.demand_real = 0.0 if self.is_mt else self.output_base
        self.demand_real_prev = self.demand_expected = self.demand_real
        self.demand_shock = 0.0
        self.price_index = self.price_index_prev = 1.0
        self.fill_rate = 0.0
        self.mean_competitiveness = 0.0
        self.purchases_in_region = 0.0  # this year's purchases from Zhejiang makers


class OutsideModel:
    """An exogenous machine-tool model (import or other province) buyers may be offered."""

    is_in_region = False
    model_unproven = False

    def __init__(self, spec) -> None:
        self.is_import = spec.origin == "import"
        self.segment = SEGMENTS.index(spec.segment)
        self.productivity_premium = spec.productivity_premium
        self.price_premium = spec.price_premium
        self.productivity_growth = spec.productivity_growth
        self.brochure_probability = spec.brochure_probability
        self.model_productivity = self.price = self.offer_price = self.offer_risk_price = 1.0
        self.orders_inside = 0.0


class ReferenceModel(mesa.Model):
    """The regional firm economy, one ``FirmAgent`` per firm, one replicate per model.

    Args:
        scenario: A loaded scenario (``model.load_scenario`` with any overrides).
        replicate: Monte Carlo replicate number; with the scenario's seed it seeds the
            model's generator unless ``rng`` is given.
        rng: Seed for Mesa's generators (``mesa.Model(rng=...)``).
    """

    def __init__(self, scenario: Scenario, replicate: int = 0, *, rng: int | None = None) -> None:
        if rng is None:
            rng = int(
                np.random.SeedSequence([scenario.seed, replicate, 0x5EF]).generate_state(1)[0]
            )
        super().__init__(rng=rng)
        self.scenario_params = scenario
        self.region = scenario.region
        self.replicate = replicate
        self.layout = build_layout(scenario)
        self.firm_weight = 1.0 / scenario.market.firm_scale
        self.sectors = [Sector(s, spec, scenario) for s, spec in enumerate(self.region.sector)]
        self.mt_sector = next(s.index for s in self.sectors if s.is_mt)
        mtp = self.region.machine_tools
        self.segment_price_index = list(mtp.segment_price_index)
        self.set_price = list(mtp.set_price_m_yuan)
        self.brochure_size = mtp.brochure_size
        self.target_utilisation = scenario.investment.target_utilisation
        self.outside_models = [OutsideModel(o) for o in mtp.outside_models]
        self.import_model = [
            next(o for o in self.outside_models if o.segment == g and o.is_import) for g in range(3)
        ]
        self.other_province_model = [
            next(o for o in self.outside_models if o.segment == g and not o.is_import)
            for g in range(3)
        ]
        self.brochure_odds = [
            (
                self.import_model[g].brochure_probability,
                self.other_province_model[g].brochure_probability,
            )
            for g in range(3)
        ]
        status = self.region.status
        self.z_little_giant = _ndtri(status.little_giant_productivity_rank)
        self.z_single_champion = _ndtri(status.single_champion_productivity_rank)
        self.government = Government(self)
        self.spinning_up = True
        self.year = scenario.start_year - scenario.spinup.years - 1
        self._this_year: dict[int, float] = {}
        self.initialise()
        self.datacollector = mesa.DataCollector(model_reporters=_reporters())

    # ------------------------------------------------------------------ groups

    def regroup(self) -> None:
        """Firms by sector and machine-tool makers by segment (after entry and exit)."""
        groups = self.agents.groupby("sector", result_type="list").groups
        self.by_sector = [groups.get(s, []) for s in range(len(self.sectors))]
        self.machine_tool_firms = self.by_sector[self.mt_sector]
        self.makers = [
            [f for f in self.machine_tool_firms if f.make_segment == g] for g in range(3)
        ]

    # ---------------------------------------------------------------- initialise

    def initialise(self) -> None:
        """Firms 31 years before the first simulated year (the spin-up then forgets them)."""
        sc, rnd = self.scenario_params, self.random
        inv = sc.investment
        mtp = self.region.machine_tools
        self.wage_index = self.producer_price = self.other_equipment_price = 1.0
        self.other_equipment_productivity = 1.0
        self.wage_per_worker = 0.085
        self.tax_rates()
        # Slot traits every occupant inherits.
        sd = inv.payback_dispersion
        for slot in self.layout.slots:
            sec = self.sectors[slot.sector]
            slot.payback_years = inv.payback_years * math.exp(
                sd * rnd.gauss(0.0, 1.0) - 0.5 * sd * sd
            )
            b = min(max(sec.basic_share, 1e-4), 1 - 1e-4)
            slot.basic_research_share = rnd.betavariate(4.0 * b, 4.0 * (1.0 - b))
        lay = self.layout
        A = inv.technical_life_years
        age_weight = [1.05 ** (-a) for a in range(A)]
        total_weight = sum(age_weight)
        age_weight = [w / total_weight for w in age_weight]
        firms_of_sector: list[list[FirmAgent]] = [[] for _ in self.sectors]
        for c, places in enumerate(lay.cluster_slots):
            for slot in places[: lay.initial_firms[c]]:
                firm = FirmAgent(self, slot)
                sec = firm.sec
                firm.size = min((1.0 - rnd.random()) ** (-1.0 / sec.pareto), 1e4)
                firms_of_sector[slot.sector].append(firm)
        for s, firms in enumerate(firms_of_sector):
            sec = self.sectors[s]
            total = sum(f.size for f in firms)
            for firm in firms:
                share = firm.size / total
                revenue = share * sec.output_base
                firm.market_share = 0.0 if firm.is_mt else share
                firm.outside_share = share if firm.is_mt else 0.0
                firm.revenue = firm.revenue_prev = firm.revenue_prev2 = revenue
                firm.output_real = firm.output_real_prev = firm.output_expected = revenue
                firm.process_productivity = math.exp(0.1 * rnd.gauss(0.0, 1.0))
                if firm.is_mt:
                    g = firm.make_segment
                    firm.model_productivity = mtp.segment_productivity_index[g] * math.exp(
                        0.05 * rnd.gauss(0.0, 1.0)
                    )
                    firm.orders_inside = (1.0 - mtp.outside_sales_share_base) * revenue
                else:
                    firm.model_productivity = 0.0
                self._new_model_flags(firm)
                # A growing stock of vintages 2% a year apart below what the firm buys new.
                capacity = revenue / inv.target_utilisation
                frontier = mtp.segment_productivity_index[firm.buy_segment] ** sec.theta
                firm.cohort_capacity = [capacity * w for w in age_weight]
                firm.cohort_inverse_productivity = [1.02**a / frontier for a in range(A)]
                firm.cohort_cost = [c * sec.kappa for c in firm.cohort_capacity]
                firm.machine_productivity = 1.0
                firm.summarise_machines()
                firm.cash = 0.2 * revenue
                firm.debt = 0.1 * revenue
                self._new_rd_habit(firm, revenue)
                firm.unit_cost = (
                    sec.k1 / (firm.process_productivity * firm.machine_productivity) + sec.k2
                )
                firm.price = (1.0 + sec.markup) * firm.unit_cost
        self.regroup()
        for makers in self.makers:
            total = sum(f.outside_share for f in makers)
            for f in makers:
                f.mt_segment_share = f.outside_share / max(total, TINY)
        for f in self.agents:
            if not f.is_mt:
                f.mt_segment_share = 0.0
        mt = self.sectors[self.mt_sector]
        self.outside_machine_demand = mtp.outside_sales_share_base * mt.output_base
        self.anchor_outside_models()

    def _new_model_flags(self, firm: FirmAgent) -> None:
        """A proven, established model (initial firms and entrants)."""
        firm.model_unproven = firm.model_first_set = firm.model_recognised = False
        firm.model_first_set_level = 0
        firm.model_sets_sold = 1e9
        firm.model_vintage = self.year

    def _new_rd_habit(self, firm: FirmAgent, revenue: float) -> None:
        """R&D fixed effect, high-tech status and the base-year user cost of R&D."""
        sec, rnd = firm.sec, self.random
        sigma = sec.rd_dispersion
        firm.rd_intensity_fe = sec.rd_intensity * math.exp(
            sigma * rnd.gauss(0.0, 1.0) - 0.5 * sigma * sigma
        )
        firm.high_tech = rnd.random() < sec.high_tech_share
        firm.rd_real = firm.rd_reported = firm.rd_reported_prev = firm.rd_intensity_fe * revenue
        firm.rd_history = [firm.rd_real] * self.scenario_params.innovation.rd_lag_years
        firm.basic_research = firm.rd_real * firm.slot.basic_research_share
        tau = self.high_tech_rate if firm.high_tech else self.cit_rate
        firm.rd_user_cost_base = 1.0 - tau * (1.0 + self.super_deduction)

    def anchor_outside_models(self) -> None:
        """Outside models at their premiums over Zhejiang's sales-weighted segment means."""
        for g, makers in enumerate(self.makers):
            w = [max(f.revenue, TINY) for f in makers]
            total = max(sum(w), TINY)
            mean_a = sum(wi * f.model_productivity for wi, f in zip(w, makers, strict=True)) / total
            mean_p = sum(wi * f.list_price() for wi, f in zip(w, makers, strict=True)) / total
            for o in self.outside_models:
                if o.segment == g:
                    o.model_productivity = mean_a * (1.0 + o.productivity_premium)
                    o.price = mean_p * (1.0 + o.price_premium)

    # ------------------------------------------------------------ exogenous paths

    def at(self, schedule) -> float:
        """A parameter schedule's value this year (looked up once a year)."""
        key = id(schedule)
        value = self._this_year.get(key)
        if value is None:
            value = self._this_year[key] = schedule.at(self.year)
        return value

    def tax_rates(self) -> None:
        """Tax rates and the loan rate of the year (the base year's during the spin-up)."""
        sc = self.scenario_params
        year = self.region.base_year.year if self.spinning_up else self.year
        self.cit_rate = sc.tax.corporate_income_tax.at(year)
        self.high_tech_rate = sc.tax.high_tech_rate.at(year)
        self.super_deduction = sc.tax.rd_super_deduction.at(year)
        self.vat_rate = sc.tax.vat_rate.at(year)
        self.lpr = sc.prices.loan_prime_rate.at(year)
        self.loan_rate = self.lpr + sc.investment.loan_spread

    def advance_exogenous(self) -> None:
        """Wages, prices, the equipment frontier and outside models move to the new year."""
        sc = self.scenario_params
        if self.spinning_up:
            g_wage, g_ppi, g_equip = sc.spinup.wage_growth, sc.spinup.producer_price_growth, 0.0
        else:
            g_wage = sc.prices.wage_growth.at(self.year)
            g_ppi = sc.prices.producer_price_growth.at(self.year)
            g_equip = sc.prices.other_equipment_price_growth.at(self.year)
        self.wage_index *= 1.0 + g_wage
        self.wage_per_worker *= 1.0 + g_wage
        self.producer_price *= 1.0 + g_ppi
        self.other_equipment_price *= 1.0 + g_equip
        self.other_equipment_productivity *= 1.0 + sc.innovation.other_equipment_productivity_growth
        for sec in self.sectors:
            sec.k1 *= 1.0 + g_wage
            sec.k2 *= 1.0 + g_ppi
        for o in self.outside_models:
            o.model_productivity *= 1.0 + o.productivity_growth
            o.price *= 1.0 + g_equip
        path = self.region.machine_tools.outside_demand_growth[sc.demand.outside_machine_path]
        self.outside_demand_growth = (
            sc.spinup.outside_machine_demand_growth if self.spinning_up else path.at(self.year)
        )
        self.tax_rates()

    # --------------------------------------------------------------------- year

    def step(self) -> None:
        """One scenario year, recorded by the DataCollector."""
        self.one_year()
        self.record = {**self.flows, **self.stocks()}
        self.datacollector.collect(self)

    def one_year(self) -> None:
        """The rules of one year in the fast model's order."""
        self.year += 1
        self._this_year = {}
        self.advance_exogenous()
        self.demand()
        self.agents.do("research")
        self.innovate()
        self.invest()
        self.produce()
        self.agents.do("account")
        self.government.pay()
        self.agents.do("settle_cash")
        self.update_status()
        if not self.spinning_up:
            self.take_flows()
        self.demography()

    def spin_up(self) -> None:
        """The spin-up years under base-year conditions, then the rebase to the base year."""
        for _ in range(self.scenario_params.spinup.years):
            self.one_year()
            self.renormalise_costs()
            self.rescale_to_base()
        self.rebase()

    def run(self) -> None:
        """Spin up, then simulate every scenario year."""
        self.spin_up()
        for _ in self.scenario_params.years:
            self.step()

    # ------------------------------------------------------------------ 1. demand

    def demand(self) -> None:
        """User sectors' real demand: trend, shock and own-price response (rule 1)."""
        sc = self.scenario_params.demand
        lam = self.scenario_params.investment.expectation_smoothing
        for sec in self.sectors:
            shock = self.random.gauss(0.0, 1.0) if sc.shocks else 0.0
            sec.demand_shock = shock * sec.demand_shock_sd
            price_change = (sec.price_index / max(sec.price_index_prev, TINY)) ** (
                -sc.price_elasticity
            )
            trend = sec.demand_growth_real * sc.growth_multiplier
            sec.demand_real_prev = sec.demand_real
            sec.demand_real = (
                0.0
                if sec.is_mt
                else sec.demand_real * math.exp(trend + sec.demand_shock) * price_change
            )
            sec.demand_expected = (
                lam * sec.demand_expected * math.exp(trend) * price_change
                + (1.0 - lam) * sec.demand_real
            )
        self.outside_machine_demand *= 1.0 + self.outside_demand_growth

    # ------------------------------------------------ 3. innovation and imitation

    def innovate(self) -> None:
        """Bars for first sets, then every firm searches, then every firm adopts."""
        best = [0.0] * self.layout.n_niche_groups
        for f in self.machine_tool_firms:
            g = f.slot.niche_group
            if f.model_productivity > best[g]:
                best[g] = f.model_productivity
        self.niche_best = best
        self.agents.do("innovate")
        self.agents.do("adopt")

    # --------------------------------------------------------------- 4. investment

    def invest(self) -> None:
        """Offers and brochures, then every firm invests; renewal subsidies are committed."""
        gov = self.government
        self.financing = gov.financing_multiplier()
        self.renewal_relief = gov.renewal_loans.rate_relief()
        self.renewal_eligible_age = gov.renewal_loans.eligible_age()
        for f in self.machine_tool_firms:
            f.quote()
            f.orders_inside = 0.0
        for o in self.outside_models:
            o.offer_price = o.offer_risk_price = o.price
            o.orders_inside = 0.0
        weight = self.region.machine_tools.brochure_share_weight
        self.brochure_makers, self.brochure_cum, self.first_set_candidates = [], [], []
        for makers in self.makers:
            n = max(len(makers), 1)
            cum, acc = [], 0.0
            for f in makers:
                acc += weight * f.mt_segment_share + (1.0 - weight) / n
                cum.append(acc)
            self.brochure_makers.append(makers)
            self.brochure_cum.append(cum)
            self.first_set_candidates.append(
                [f for f in makers if f.model_unproven and f.model_first_set]
            )
        self.agents.do("invest")
        gov.renewal_loans.commit()
        for s, firms in enumerate(self.by_sector):
            self.sectors[s].purchases_in_region = sum(f.machine_purchases_in_region for f in firms)

    # --------------------------------------------------- 5. production and market

    def produce(self) -> None:
        """Prices, output, sector price indices and replicator dynamics of shares."""
        self.agents.do("set_price")
        for sec, firms in zip(self.sectors, self.by_sector, strict=True):
            unmet = sum(f.wanted - f.first_round for f in firms)
            spare = sum(f.spare for f in firms)
            sec.fill_rate = min(unmet / max(spare, TINY), 1.0)
        self.agents.do("sell")
        for sec, firms in zip(self.sectors, self.by_sector, strict=True):
            w = [f.revenue if f.is_mt else f.market_share for f in firms]
            sec.price_index_prev = sec.price_index
            sec.price_index = sum(wi * f.price for wi, f in zip(w, firms, strict=True)) / max(
                sum(w), TINY
            )
        self.agents.do("compete")
        # Makers compete for outside demand within their segment.
        self.segment_competitiveness = []
        for makers in self.makers:
            total = sum(f.outside_share for f in makers)
            mean = sum(f.outside_share * f.competitiveness for f in makers) / max(total, TINY)
            self.segment_competitiveness.append(mean)
        for sec, firms in zip(self.sectors, self.by_sector, strict=True):
            if sec.is_mt:
                comp = [
                    f.competitiveness - self.segment_competitiveness[f.make_segment] for f in firms
                ]
                share = [f.outside_share for f in firms]
            else:
                comp = [f.competitiveness for f in firms]
                share = [f.market_share for f in firms]
            sec.mean_competitiveness = sum(s * c for s, c in zip(share, comp, strict=True)) / max(
                sum(share), TINY
            )
        self.agents.do("replicate_share")
        self.normalise_shares()
        for makers in self.makers:
            total = max(sum(f.revenue for f in makers), TINY)
            for f in makers:
                f.mt_segment_share = f.revenue / total

    def normalise_shares(self) -> None:
        """Market shares (makers: outside shares) sum to one within each sector."""
        for sec, firms in zip(self.sectors, self.by_sector, strict=True):
            name = "outside_share" if sec.is_mt else "market_share"
            total = max(sum(getattr(f, name) for f in firms), TINY)
            for f in firms:
                setattr(f, name, getattr(f, name) / total)

    # -------------------------------------------------------------------- 7. status

    def update_status(self) -> None:
        """Productivity ranks by sector (makers: by segment), then every firm's titles."""

        def moments(firms):
            xs = [f.log_productivity for f in firms]
            n = max(len(xs), 1)
            mean = sum(xs) / n
            var = sum(x * x for x in xs) / n - mean * mean
            return mean, math.sqrt(max(var, TINY))

        self.rank_by_sector = [moments(firms) for firms in self.by_sector]
        self.rank_by_segment = [moments(makers) for makers in self.makers]
        self.agents.do("update_status")

    # ----------------------------------------------------------- 7. exit and entry

    def demography(self) -> None:
        """Exit on a tiny share or negative net worth; entrants fill free slots."""
        market = self.scenario_params.market
        fraction = market.exit_share_fraction
        exits: list[FirmAgent] = []
        sector_revenue = []
        for sec, firms in zip(self.sectors, self.by_sector, strict=True):
            sector_revenue.append(sum(f.revenue for f in firms))
            if sec.is_mt:
                continue
            n = max(len(firms), 1)
            exits.extend(f for f in firms if f.market_share < fraction / n or f.net_worth() < 0)
        for makers in self.makers:
            total = max(sum(f.revenue for f in makers), TINY)
            n = max(len(makers), 1)
            exits.extend(f for f in makers if f.revenue / total < fraction / n or f.net_worth() < 0)
        S = len(self.sectors)
        self.exit_cash, self.exit_debt, self.exit_count = [0.0] * S, [0.0] * S, [0] * S
        for f in exits:
            self.exit_cash[f.sector] += f.cash
            self.exit_debt[f.sector] += f.debt
            self.exit_count[f.sector] += 1
            f.slot.firm = None
            f.remove()
        self.regroup()
        self.entry_cash, self.entry_count = [0.0] * S, [0] * S
        net = 0.0 if self.spinning_up else market.net_entry_rate.at(self.year)
        entrants = []
        for s, firms in enumerate(self.by_sector):
            free = [slot for slot in self.layout.sector_slots[s] if slot.firm is None]
            wanted = max(self.exit_count[s] + net * len(firms), 0.0)
            p_enter = min(wanted / max(len(free), 1), 1.0)
            chosen = self.entry_slots(free, p_enter)
            if chosen:
                entrants.extend(self.enter(s, chosen, sector_revenue[s]))
        if entrants:
            self.regroup()
        self.normalise_shares()  # exits left gaps; entrants took their shares

    def entry_slots(self, free: list, p_enter: float) -> list:
        """Free slots filled this year: each with probability p_enter."""
        return [slot for slot in free if self.random.random() < p_enter]

    def enter(self, s: int, slots, sector_revenue: float) -> list[FirmAgent]:
        """New firms in the given free slots of sector s (docs/ODD.md 3.4.10)."""
        sc, rnd = self.scenario_params, self.random
        sec = self.sectors[s]
        firms = self.by_sector[s]
        entrant_share = sc.market.entrant_size_fraction / max(len(firms), 1)
        capacity_total = sum(f.capacity for f in firms)
        mean_pi = sum(f.capacity * f.process_productivity for f in firms) / max(
            capacity_total, TINY
        )
        new_capacity = sum(f.cohort_capacity[0] for f in firms)
        new_input = sum(f.cohort_capacity[0] * f.cohort_inverse_productivity[0] for f in firms)
        if new_capacity > TINY:
            new_e = new_capacity / max(new_input, TINY)
        else:
            new_e = sum(f.capacity * f.machine_productivity for f in firms) / max(
                capacity_total, TINY
            )
        if new_e <= TINY:
            new_e = self.other_equipment_productivity
        segment_mean_a = []
        for g, makers in enumerate(self.makers):
            w = [max(f.revenue, TINY) for f in makers]
            mean = sum(wi * f.model_productivity for wi, f in zip(w, makers, strict=True)) / max(
                sum(w), TINY
            )
            segment_mean_a.append(
                mean if mean > 0 else self.other_province_model[g].model_productivity
            )
        revenue = entrant_share * sector_revenue
        price = sec.price_index
        capital_price = sec.kappa * (
            sec.theta * self.sectors[self.mt_sector].price_index
            + (1.0 - sec.theta) * self.other_equipment_price
        )
        A = sc.investment.technical_life_years
        out = []
        for slot in slots:
            firm = FirmAgent(self, slot)
            noise = math.exp(sc.market.entrant_productivity_sd * rnd.gauss(0.0, 1.0))
            firm.market_share = 0.0 if firm.is_mt else entrant_share
            firm.outside_share = entrant_share if firm.is_mt else 0.0
            firm.mt_segment_share = 0.0  # no sales last year
            firm.process_productivity = mean_pi * noise
            firm.model_productivity = (
                segment_mean_a[firm.make_segment] * noise if firm.is_mt else 0.0
            )
            self._new_model_flags(firm)
            capacity = revenue / max(price, TINY) / sc.investment.target_utilisation
            firm.cohort_capacity = [capacity] + [0.0] * (A - 1)
            firm.cohort_inverse_productivity = [1.0 / new_e] + [1.0] * (A - 1)
            firm.cohort_cost = [capacity * capital_price] + [0.0] * (A - 1)
            firm.capacity = capacity
            firm.machine_productivity = new_e
            firm.capacity_age = 0.0
            firm.cash = 0.2 * revenue
            firm.debt = 0.0
            firm.revenue = firm.revenue_prev = firm.revenue_prev2 = revenue
            firm.output_real = firm.output_real_prev = firm.output_expected = revenue / max(
                price, TINY
            )
            firm.price = price
            firm.unit_cost = price / (1.0 + sec.markup)
            self._new_rd_habit(firm, revenue)
            firm.unfilled = 0.0
            self.entry_cash[s] += firm.cash
            self.entry_count[s] += 1
            out.append(firm)
        return out

    # ------------------------------------------------------ spin-up and rebase

    def renormalise_costs(self) -> None:
        """Put each sector's cost structure back on the region file's shares."""
        for sec, firms in zip(self.sectors, self.by_sector, strict=True):
            inverse = [
                1.0 / max(f.process_productivity * f.machine_productivity, TINY) for f in firms
            ]
            w = [f.output_real for f in firms]
            mean_inverse = sum(wi * x for wi, x in zip(w, inverse, strict=True)) / max(sum(w), TINY)
            sec.k1 = sec.k1_base / max(mean_inverse, TINY)
            sec.k2 = sec.k2_base
            weights = price_sum = 0.0
            for f, x in zip(firms, inverse, strict=True):
                f.unit_cost = sec.k1 * x + sec.k2
                f.price = (1.0 + sec.markup) * f.unit_cost
                if not f.is_mt:
                    f.revenue = f.output_real * f.price
                wf = f.revenue if f.is_mt else f.market_share
                weights += wf
                price_sum += wf * f.price
                f.wages = sec.labour_of_k1 * sec.k1 * x * f.output_real
            sec.price_index = price_sum / max(weights, TINY)

    RESCALED = (
        "revenue",
        "revenue_prev",
        "revenue_prev2",
        "output_real",
        "output_real_prev",
        "output_expected",
        "cash",
        "debt",
        "rd_real",
        "rd_reported",
        "rd_reported_prev",
        "basic_research",
        "capacity",
        "capacity_age",
        "orders_inside",
        "sales_outside",
        "wages",
        "value_added",
        "machine_purchases",
        "machine_purchases_in_region",
        "investment_replacement",
        "investment_expansion",
        "capacity_replaced",
    )

    def rescale_to_base(self) -> None:
        """Scale every nominal and real quantity of each sector to its base-year output."""
        for sec, firms in zip(self.sectors, self.by_sector, strict=True):
            revenue = sum(f.revenue for f in firms)
            if revenue <= 1e-6 * sec.output_base:
                raise FloatingPointError(
                    "a sector's output collapsed to zero; check the scenario's parameters"
                )
            factor = sec.output_base / revenue
            for f in firms:
                for name in self.RESCALED:
                    setattr(f, name, getattr(f, name) * factor)
                f.cohort_capacity = [c * factor for c in f.cohort_capacity]
                f.cohort_cost = [c * factor for c in f.cohort_cost]
                f.rd_history = [x * factor for x in f.rd_history]
            sec.demand_real *= factor
            sec.demand_real_prev *= factor
            sec.demand_expected *= factor
            sec.purchases_in_region *= factor
            if sec.is_mt:
                self.outside_machine_demand *= factor

    def rebase(self) -> None:
        """Set the spun-up economy on the base year; instruments and net entry start."""
        self.renormalise_costs()
        self.rescale_to_base()
        mt = self.sectors[self.mt_sector]
        inside = sum(sec.purchases_in_region for sec in self.sectors)
        self.outside_machine_demand = max(mt.output_base - inside, 0.0)
        wages = self.agents.agg("wages", sum)
        self.wage_per_worker = wages / (self.region.base_year.employment_m * 1e6)
        self.price_base = [sec.price_index for sec in self.sectors]
        self.anchor_outside_models()
        self.spinning_up = False

    # -------------------------------------------------------------- recording

    def take_flows(self) -> None:
        """The year's sector aggregates, before exits (the fast model's Recorder.take_flows)."""
        bn = 1.0 / M_YUAN_PER_BN
        fw = self.firm_weight
        S = len(self.sectors)
        # One pass per sector: every summed attribute of every firm at once.
        names = list(SECTOR_SUMS) + list(COUNTED)
        read = attrgetter(*(SECTOR_SUMS | COUNTED).values())
        groups = self.agents.groupby("sector", result_type="list").groups
        totals = []
        for s in range(S):
            columns = zip(*map(read, groups.get(s, [])), strict=True)
            sums = [sum(col) for col in columns] or [0.0] * len(names)
            totals.append(dict(zip(names, sums, strict=True)))
        flows = {name: [t[name] * bn for t in totals] for name in SECTOR_SUMS}
        flows.update({name: [t[name] * fw for t in totals] for name in COUNTED})
        flows["n_firms"] = [len(groups.get(s, [])) * fw for s in range(S)]
        capacity = [t["capacity_raw"] for t in totals]
        flows["capacity"] = capacity
        flows["mean_machine_age"] = [
            t["capacity_age_raw"] / max(c, TINY) for t, c in zip(totals, capacity, strict=True)
        ]
        flows["replacement_rate"] = [
            t["capacity_replaced_raw"] / max(c, TINY) for t, c in zip(totals, capacity, strict=True)
        ]
        flows["rd_intensity"] = [
            r / max(o, TINY) for r, o in zip(flows["rd_expenditure"], flows["output"], strict=True)
        ]
        flows["output_real"] = [
            x * p for x, p in zip(flows["output_real"], self.price_base, strict=True)
        ]
        flows["price_index"] = [
            s.price_index / p for s, p in zip(self.sectors, self.price_base, strict=True)
        ]
        flows["employment"] = [t["employment_raw"] / 1e3 for t in totals]
        flows["operating_cash_flow"] = [
            (t["net_profit"] + t["depreciation"] + t["writeoff"]) * bn for t in totals
        ]
        flows["taxes"] = [(t["vat"] + t["cit"]) * bn for t in totals]
        flows["demand_shock"] = [s.demand_shock for s in self.sectors]
        flows["subsidy_paid"] = [ins.paid_total * bn for ins in self.government.instruments]
        flows["relending_cost"] = self.government.relending_cost * bn
        flows["outside_machine_demand"] = self.outside_machine_demand * bn
        flows["output_total"] = self.agents.agg("revenue", sum) * bn
        flows["rd_expenditure_total"] = self.agents.agg("rd_reported", sum) * bn
        for name in (
            "capacity_raw",
            "capacity_age_raw",
            "capacity_replaced_raw",
            "employment_raw",
            "writeoff",
            "vat",
            "cit",
        ):
            flows.pop(name, None)
        self.flows = flows

    def stocks(self) -> dict[str, list[float]]:
        """End-of-year stocks and the year's exits and entries (after demography)."""
        bn = 1.0 / M_YUAN_PER_BN
        fw = self.firm_weight
        return {
            "cash": [sum(f.cash for f in firms) * bn for firms in self.by_sector],
            "debt": [sum(f.debt for f in firms) * bn for firms in self.by_sector],
            "cash_of_exits": [x * bn for x in self.exit_cash],
            "loans_written_off": [x * bn for x in self.exit_debt],
            "cash_of_entrants": [x * bn for x in self.entry_cash],
            "exits": [x * fw for x in self.exit_count],
            "entries": [x * fw for x in self.entry_count],
        }


#: Sector sums of a firm attribute, in bn yuan (name -> attribute).
SECTOR_SUMS = {
    "output": "revenue",
    "output_real": "output_real",
    "value_added": "value_added",
    "wages": "wages",
    "rd_expenditure": "rd_reported",
    "rd_expenditure_real": "rd_real",
    "basic_research": "basic_research",
    "investment_replacement": "investment_replacement",
    "investment_expansion": "investment_expansion",
    "loans_new": "loans_new",
    "loans_repaid": "repayment",
    "investment": "investment",
    "dividends": "dividends",
    "net_profit": "net_profit",
    "depreciation": "depreciation",
    "subsidies_received": "subsidy_received",
    "machine_purchases": "machine_purchases",
    "machine_purchases_in_region": "machine_purchases_in_region",
    "machine_purchases_imported": "machine_purchases_imported",
    "machine_purchases_unproven": "machine_purchases_unproven",
    "tax_expenditure_super_deduction": "tax_expenditure_super_deduction",
    "tax_expenditure_high_tech": "tax_expenditure_high_tech",
    "writeoff": "writeoff",
    "vat": "vat",
    "cit": "cit",
    "capacity_raw": "capacity",
    "capacity_age_raw": "capacity_age",
    "capacity_replaced_raw": "capacity_replaced",
    "employment_raw": "employment",
}
#: Sector counts of a firm flag, in real firms (name -> attribute).
COUNTED = {
    "first_set_products_new": "first_set_recognised",
    "n_firms_above_scale": "above_scale",
    "n_specialised_new": "sn_held",
    "n_little_giants": "lg_held",
    "n_single_champions": "sc_held",
    "n_specialised_new_new": "sn_new",
    "n_little_giants_new": "lg_new",
    "n_single_champions_new": "sc_new",
}

#: Variables the DataCollector records each scenario year: per sector unless noted.
SECTOR_VARIABLES = (
    "output",
    "output_real",
    "price_index",
    "value_added",
    "wages",
    "employment",
    "rd_expenditure",
    "rd_expenditure_real",
    "rd_intensity",
    "basic_research",
    "mean_machine_age",
    "investment_replacement",
    "investment_expansion",
    "replacement_rate",
    "loans_new",
    "loans_repaid",
    "investment",
    "dividends",
    "net_profit",
    "depreciation",
    "operating_cash_flow",
    "taxes",
    "subsidies_received",
    "machine_purchases",
    "machine_purchases_in_region",
    "machine_purchases_imported",
    "machine_purchases_unproven",
    "tax_expenditure_super_deduction",
    "tax_expenditure_high_tech",
    "first_set_products_new",
    "n_firms",
    "n_firms_above_scale",
    "n_specialised_new",
    "n_little_giants",
    "n_single_champions",
    "n_specialised_new_new",
    "n_little_giants_new",
    "n_single_champions_new",
    "demand_shock",
    "capacity",
    "cash",
    "debt",
    "cash_of_exits",
    "loans_written_off",
    "cash_of_entrants",
    "exits",
    "entries",
)
#: Per instrument (rd_bonus, first_set, renewal_loans).
INSTRUMENT_VARIABLES = ("subsidy_paid",)
#: One number per year.
SCALAR_VARIABLES = (
    "year",
    "relending_cost",
    "outside_machine_demand",
    "output_total",
    "rd_expenditure_total",
)


def _reporters() -> dict:
    reporters = {"year": lambda m: m.year}
    for name in SECTOR_VARIABLES + INSTRUMENT_VARIABLES + SCALAR_VARIABLES[1:]:
        reporters[name] = lambda m, k=name: m.record[k]
    return reporters
