"""``ReferenceModel``: the fast model's yearly rules, one ``mesa.Agent`` per firm.

The year, exactly in the fast model's order (``model/simulation/model.py``,
``RegionModel._one_year``; docs/ODD.md 1.3): exogenous paths, 1 demand, 2 R&D, 3 innovation
and imitation, 4 investment, 5 production and market shares, 6 accounts, 8 government pays,
6b cash settlement, 7 status, (recording), 7 exit and entry. The spin-up runs the same years
under base-year conditions, renormalising costs, rescaling to the base-year sector outputs
and re-anchoring the outside makers after each, then rebases. Firms act through
``AgentSet.do``; sector totals come from ``groupby`` and ``agg``; a ``mesa.DataCollector``
records the sector and segment aggregates of each scenario year.

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
from benchmarks.reference.government import Government, spinup_instruments
from benchmarks.reference.layout import SEGMENTS, build_layout

if TYPE_CHECKING:
    from model.config.params import Scenario
TINY = 1e-12
M_YUAN_PER_BN = 1e3

#: The rules this implementation mirrors. When the fast model's rules change, this names the
#: version the reference still implements (and tests/test_reference.py catches the drift).
RULESET = (
    "fast-model rules as of commit 12781b3: a cluster's entrants (its expected count rounded "
    "at random) in its lowest free slots, the spin-up's in the spin-up's slots "
    "(market.spinup_slot_headroom) (model/economy/rules, initial.py, engine.py, "
    "layout.py, sizes.py; model/simulation/model.py; model/policy)"
)
#: The makers' markets outside the region: the rest of the country and abroad.
MARKETS = ("national", "export")


def _ndtri(p: float) -> float:
    """Standard normal quantile (inverse CDF)."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)


#: Spin-up years the region's makers' trends are measured over.
TREND_YEARS = 10


def _trend(path: list[float]) -> float:
    """Yearly growth of a series over its last TREND_YEARS steps.

    0 with one value, or where either end is missing (None: no live maker that year).
    """
    k = min(TREND_YEARS, len(path) - 1)
    if k <= 0 or path[-1] is None or path[-1 - k] is None:
        return 0.0
    return (path[-1] / max(path[-1 - k], TINY)) ** (1.0 / k) - 1.0


def pool_entry_rate(alpha: float, drift: float, sd: float) -> float:
    """Firms a year's growth carries over the above-scale threshold, per firm above it.

    Below the threshold the sector's Pareto of exponent alpha continues (density
    ``alpha exp(-alpha y)`` per firm above at log distance y below); a firm there crosses
    when its log growth g exceeds y, so the crossings are E[(exp(alpha g) - 1)+]. Log growth
    is Laplace with mean ``drift`` (the sector's) and standard deviation ``sd`` (scale
    b = sd / sqrt 2): integrated over its two branches, finite while alpha b < 1.
    """
    b = sd / math.sqrt(2.0)
    m = drift
    if b <= 0.0:
        return max(math.exp(alpha * m) - 1.0, 0.0)
    if alpha * b >= 1.0:
        raise ValueError(f"pool entry diverges: alpha x Laplace scale = {alpha * b:.3g} >= 1")
    if m < 0.0:
        # Only the branch above the mean reaches positive growth:
        # integral over g > 0 of (e^(alpha g) - 1) e^(-(g - m)/b) / 2b.
        return 0.5 * math.exp(m / b) * (1.0 / (1.0 - alpha * b) - 1.0)
    # g above the mean m: (e^(alpha m) / (1 - alpha b) - 1) / 2;
    above = 0.5 * (math.exp(alpha * m) / (1.0 - alpha * b) - 1.0)
    # g between 0 and m: integral of (e^(alpha g) - 1) e^(-(m - g)/b) / 2b.
    c = alpha + 1.0 / b
    below = ((math.exp(alpha * m) - math.exp(-m / b)) / c - b * (1.0 - math.exp(-m / b))) / (
        2.0 * b
    )
    return below + above


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
        self.labour_share = spec.labour_share
        self.theta = spec.machine_tool_capex_share
        self.kappa = spec.capital_output_ratio
        self.rd_intensity = spec.rd_intensity_real
        self.rd_dispersion = spec.rd_intensity_dispersion
        self.basic_share = spec.basic_research_share
        self.high_tech_share = spec.high_tech_share
        self.demand_growth_real = spec.demand_growth_real
        self.demand_shock_sd = spec.demand_shock_sd
        self.output_base = spec.output_base_bn_yuan * M_YUAN_PER_BN
        # The top of the sector's firm-size distribution: its largest real firm's revenue.
        self.largest_firm = spec.largest_firm_revenue_bn_yuan * M_YUAN_PER_BN
        # State
        self.k1, self.k2 = self.k1_base, self.k2_base
        self.demand_real = 0.0 if self.is_mt else self.output_base
        self.demand_real_prev = self.demand_expected = self.demand_real
        self.demand_shock = 0.0
        self.price_index = self.price_index_prev = 1.0
        self.fill_rate = 0.0
        self.purchases_in_region = 0.0  # this year's purchases from Zhejiang makers


class OutsideModel:
    """An exogenous machine-tool model (import or other province) buyers may be offered.

    It also stands for its makers as the region's makers' rivals in the segment's
    rest-of-country and foreign markets, each with an appeal and a share of that market.
    """

    is_in_region = False
    model_unproven = False

    def __init__(self, spec) -> None:
        self.is_import = spec.origin == "import"
        self.segment = SEGMENTS.index(spec.segment)
        self.productivity_premium = spec.productivity_premium
        self.price_premium = spec.price_premium
        self.productivity_growth_gap = spec.productivity_growth_gap
        self.brochure_probability = spec.brochure_probability
        self.model_productivity = self.price = self.offer_price = self.offer_risk_price = 1.0
        self.price_base = 1.0  # its price at the base year (its price then follows costs)
        self.orders_inside = 0.0
        self.national_appeal = self.national_share = 0.0
        self.export_appeal = self.export_share = 0.0

    def pull_per_appeal(self, lam: float) -> float:
        """Its makers' pull on buyers per unit of appeal: (productivity / price)^lambda."""
        return max(self.model_productivity / max(self.price, TINY), TINY) ** lam

    def market_pull(self, market: str, lam: float) -> float:
        """Its makers' pull in one of the segment's markets (they keep their appeal)."""
        return getattr(self, f"{market}_appeal") * self.pull_per_appeal(lam)

    def move_share(self, market: str, target: float, rho: float) -> None:
        """Close the share ``rho`` of the gap to the target share (no idiosyncratic shock)."""
        name = f"{market}_share"
        setattr(self, name, (1.0 - rho) * getattr(self, name) + rho * target)


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
        # Each cluster's area (its index among the region's areas; -1: spread over the region).
        areas = sorted({c.area for c in self.region.cluster if c.area})
        self.cluster_area = [areas.index(c.area) if c.area else -1 for c in self.region.cluster]
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
        #: Each segment's outside models: their makers are the rivals in its markets.
        self.rivals = [[o for o in self.outside_models if o.segment == g] for g in range(3)]
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
        # Which SOEs are provincial SOEs: a draw per site, kept for the run.
        share = scenario.instruments.first_set.provincial_soe_share
        for slot in self.layout.slots:
            slot.provincial_soe = slot.soe and self.random.random() < share
        # The region's makers' mean model per segment and the machine-tool sector's mean
        # inverse process productivity, once each spin-up year (after the year's anchoring):
        # the rebase measures their trends from these.
        self.maker_productivity_path: list[list[float]] = []
        self.maker_cost_path: list[float] = []
        self.maker_trend_growth = [0.0] * len(SEGMENTS)
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
        inv, ini = sc.investment, sc.initial
        mtp = self.region.machine_tools
        self.other_equipment_price = 1.0
        self.other_equipment_productivity = 1.0
        self.wage_per_worker = 0.085
        self.tax_rates()
        # Slot traits every occupant inherits.
        sd = inv.payback_dispersion
        concentration = ini.basic_share_concentration
        for slot in self.layout.slots:
            sec = self.sectors[slot.sector]
            slot.payback_years = inv.payback_years * math.exp(
                sd * rnd.gauss(0.0, 1.0) - 0.5 * sd * sd
            )
            b = min(max(sec.basic_share, 1e-4), 1 - 1e-4)
            slot.basic_research_share = rnd.betavariate(
                concentration * b, concentration * (1.0 - b)
            )
        lay = self.layout
        A = inv.technical_life_years
        # Revenue of the real firms a firm stands for: Pareto with the region's exponent
        # between the above-scale threshold and the sector's largest firm (by inversion).
        alpha = self.region.size_exponent
        low = self.region.status.above_scale_revenue_m_yuan
        firms_of_sector: list[list[FirmAgent]] = [[] for _ in self.sectors]
        for c, places in enumerate(lay.cluster_slots):
            for slot in places[: lay.initial_firms[c]]:
                firm = FirmAgent(self, slot)
                r = (low / firm.sec.largest_firm) ** alpha
                firm.size = low * (1.0 - rnd.random() * (1.0 - r)) ** (-1.0 / alpha)
                firms_of_sector[slot.sector].append(firm)
        for s, firms in enumerate(firms_of_sector):
            sec = self.sectors[s]
            total = sum(f.size for f in firms)
            for firm in firms:
                share = firm.size / total
                revenue = share * sec.output_base
                firm.market_share = 0.0 if firm.is_mt else share
                firm.revenue = firm.revenue_prev = firm.revenue_prev2 = revenue
                firm.output_real = firm.output_real_prev = firm.output_expected = revenue
                firm.process_productivity = math.exp(
                    ini.productivity_dispersion * rnd.gauss(0.0, 1.0)
                )
                if firm.is_mt:
                    g = firm.make_segment
                    firm.model_productivity = mtp.segment_productivity_index[g] * math.exp(
                        ini.model_dispersion * rnd.gauss(0.0, 1.0)
                    )
                    firm.orders_inside = (1.0 - mtp.outside_sales_share_base) * revenue
                else:
                    firm.model_productivity = 0.0
                self._new_model_flags(firm)
                # First a stock of every age at the buyer's segment's average productivity,
                # on which the initial prices are set; then the stock those terms sustain
                # (settle_initial_vintages).
                frontier = mtp.segment_productivity_index[firm.buy_segment] ** sec.theta
                self.install_vintages(firm, revenue / inv.target_utilisation, A, 1.0 / frontier)
                firm.cash = ini.cash_to_revenue * revenue
                firm.debt = ini.debt_to_revenue * revenue
                self._new_rd_habit(firm, revenue)
                self.price_at_initial_terms(firm)
        self.regroup()
        # The makers' outside sales: each segment's rest-of-country and foreign markets as
        # large as the region's base-year shares of them imply; each maker holds its share
        # of its segment's sales of both.
        to_nation = mtp.outside_sales_share_base - mtp.export_sales_share_base
        self.national_demand, self.export_demand = [], []
        for g, makers in enumerate(self.makers):
            revenue = sum(f.revenue for f in makers)
            self.national_demand.append(to_nation * revenue / mtp.national_market_share_base[g])
            self.export_demand.append(
                mtp.export_sales_share_base * revenue / mtp.export_market_share_base[g]
            )
            for f in makers:
                within = f.revenue / max(revenue, TINY)
                f.mt_segment_share = within
                f.national_share = within * mtp.national_market_share_base[g]
                f.export_share = within * mtp.export_market_share_base[g]
        self.anchor_outside_makers(appeals=True)
        self.settle_initial_vintages()

    def vintage_age_factor(self) -> float:
        """Rise of an initial cohort's input per unit of capacity with each year of age."""
        sc = self.scenario_params
        return (1.0 + sc.initial.vintage_gap) * (1.0 + sc.investment.wear_rate)

    def settle_initial_vintages(self) -> None:
        """Each firm's stock as the payback rule sustains it on the initial terms.

        A firm that has long invested on these terms runs cohorts of the machine it buys new,
        each older one a vintage gap and a year's wear above it, and holds no cohort the rule
        would scrap at once, so the first year brings no wave of scrapping. The new machine is
        the cheapest to the buyer of its segment's candidates: the makers' share-weighted
        average model, the import model and the other-province model. Prices and appeals are
        then set on the stock kept, and the outside makers anchored again.
        """
        inv = self.scenario_params.investment
        A = inv.technical_life_years
        age_factor = self.vintage_age_factor()
        wear = 1.0 + inv.wear_rate
        financing = self.government.financing_multiplier()
        first_set = self.government.first_set
        candidates = []
        for g, makers in enumerate(self.makers):
            imp, other = self.import_model[g], self.other_province_model[g]
            offered = [
                (imp.model_productivity, imp.price),
                (other.model_productivity, other.price),
            ]
            total = sum(f.mt_segment_share for f in makers)
            if total > 0.0:  # a segment without makers offers no makers' model
                mean_a = sum(f.mt_segment_share * f.model_productivity for f in makers) / total
                mean_p = (
                    sum(
                        f.mt_segment_share * f.list_price() * first_set.base_multiplier(f)
                        for f in makers
                    )
                    / total
                )
                offered.insert(0, (mean_a, mean_p))
            candidates.append([c for c in offered if c[0] > 0.0])
        for firm in self.agents:
            sec = firm.sec
            theta, kappa = sec.theta, sec.kappa
            horizon = firm.payback_horizon()

            def buyer_cost(
                c: tuple[float, float], firm=firm, theta=theta, kappa=kappa, horizon=horizon
            ):
                return kappa * theta * c[1] + horizon / firm.embodied_productivity(c[0])

            offered = candidates[firm.buy_segment]
            if offered:
                a_new, p_new = min(offered, key=buyer_cost)
                inverse_new = 1.0 / max(firm.embodied_productivity(a_new), TINY)
                threshold = firm.scrap_threshold(a_new, p_new, financing)
                kept = 1
                while kept < A and inverse_new * wear * age_factor**kept < threshold:
                    kept += 1
            else:  # nothing offered: the frontier's equipment alone
                inverse_new, kept = 1.0 / firm.embodied_productivity(1.0), A
            self.install_vintages(firm, firm.capacity, kept, inverse_new)
            self.price_at_initial_terms(firm)
        self.anchor_outside_makers(appeals=True)

    def install_vintages(
        self, firm: FirmAgent, capacity: float, kept: int, inverse_new: float
    ) -> None:
        """A firm's machine cohorts: ``capacity`` over its ``kept`` youngest ages.

        The stock was built by investment growing at ``initial.stock_growth`` a year; the
        newest cohort needs ``inverse_new`` of input per unit of capacity, each older one a
        vintage gap and a year's wear more.
        """
        sc = self.scenario_params
        A = sc.investment.technical_life_years
        weight = [(1.0 + sc.initial.stock_growth) ** (-a) if a < kept else 0.0 for a in range(A)]
        total = sum(weight)
        age_factor = self.vintage_age_factor()
        firm.cohort_capacity = [capacity * (w / total) for w in weight]
        firm.cohort_inverse_productivity = [inverse_new * age_factor**a for a in range(A)]
        firm.cohort_cost = [c * firm.sec.kappa for c in firm.cohort_capacity]
        firm.machine_productivity = 1.0  # kept if the firm has no machines
        firm.summarise_machines()

    def price_at_initial_terms(self, firm: FirmAgent) -> None:
        """A firm's price at its machines' unit cost, and a user firm's appeal: what makes
        its target share its share at that price."""
        sec = firm.sec
        firm.unit_cost = sec.k1 / (firm.process_productivity * firm.machine_productivity) + sec.k2
        firm.price = (1.0 + sec.markup) * firm.unit_cost
        if not firm.is_mt:
            relative = firm.price / sec.price_index
            firm.appeal = (
                firm.market_share * relative**self.scenario_params.market.sector_share_elasticity
            )

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

    def anchor_outside_makers(self, appeals: bool = False) -> None:
        """Outside models and their makers on the region file's base-year terms.

        The outside models at their premiums over the region's segment means; in each
        segment's rest-of-country and foreign market, the region's makers' shares scaled to
        the region's base-year share, and each outside model's makers given the base-year
        share of the rest (imports the import share, other provinces what is left) and the
        appeal at which that is their target share. With ``appeals`` (the initial state),
        each maker's appeal is first set so that its target share is its current share.
        Buyers' terms are taken without any instrument.
        """
        mtp = self.region.machine_tools
        lam = self.scenario_params.market.national_share_elasticity
        self.anchor_outside_models()
        for g, makers in enumerate(self.makers):
            per_appeal = [max(f.value_for_money(insured=False), TINY) ** lam for f in makers]
            if appeals:
                total = max(sum(f.national_share for f in makers), TINY)
                for f, x in zip(makers, per_appeal, strict=True):
                    f.appeal = f.national_share / total / max(x, TINY)
            pull = sum(f.appeal * x for f, x in zip(makers, per_appeal, strict=True))
            imports = mtp.national_import_share_base[g]
            base = {"national": mtp.national_market_share_base[g]}
            base["export"] = mtp.export_market_share_base[g]
            national_makers = mtp.export_market_national_share_base
            for market in MARKETS:
                z = base[market]
                total = max(sum(getattr(f, f"{market}_share") for f in makers), TINY)
                for f in makers:
                    setattr(f, f"{market}_share", getattr(f, f"{market}_share") * z / total)
                for o in self.rivals[g]:
                    if market == "national":
                        share = imports if o.is_import else 1.0 - z - imports
                    else:
                        share = 1.0 - national_makers if o.is_import else national_makers - z
                    setattr(o, f"{market}_share", share)
                    setattr(o, f"{market}_appeal", share / z * pull / o.pull_per_appeal(lam))

    def anchor_outside_models(self) -> None:
        """Outside models at their premiums over Zhejiang's sales-weighted segment means."""
        means = []
        for g, makers in enumerate(self.makers):
            if not makers:
                # No live maker: the outside models stay where they were last anchored, and
                # the segment's trend is not measured this year.
                means.append(None)
                continue
            w = [max(f.revenue, TINY) for f in makers]
            total = max(sum(w), TINY)
            mean_a = sum(wi * f.model_productivity for wi, f in zip(w, makers, strict=True)) / total
            mean_p = sum(wi * f.list_price() for wi, f in zip(w, makers, strict=True)) / total
            means.append(mean_a)
            for o in self.rivals[g]:
                o.model_productivity = mean_a * (1.0 + o.productivity_premium)
                o.price = mean_p * (1.0 + o.price_premium)
        self.maker_mean_model = means

    def outside_unit_cost(self) -> float:
        """An outside maker's unit cost: this year's input prices, productivity on trend.

        The region's makers' mean inverse process productivity at the base year, falling at
        their spin-up trend since, with this year's machine-sensitive and other unit costs.
        """
        mt = self.sectors[self.mt_sector]
        inverse = self.outside_inverse_base / (1.0 + self.maker_process_trend) ** (
            self.years_since_base
        )
        return mt.k1 * inverse + mt.k2

    # ------------------------------------------------------------ exogenous paths

    @property
    def policy_year(self) -> int:
        """The year whose policy settings apply: the base year's throughout the spin-up."""
        return self.region.base_year.year if self.spinning_up else self.year

    def at(self, schedule) -> float:
        """An instrument schedule's value this year (looked up once a year)."""
        key = id(schedule)
        value = self._this_year.get(key)
        if value is None:
            value = self._this_year[key] = schedule.at(self.policy_year)
        return value

    def tax_rates(self) -> None:
        """Tax rates and the loan rate of the year (the base year's during the spin-up)."""
        sc = self.scenario_params
        year = self.region.base_year.year if self.spinning_up else self.year
        self.cit_rate = sc.tax.corporate_income_tax.at(year)
        self.high_tech_rate = sc.tax.high_tech_rate.at(year)
        self.super_deduction = sc.tax.rd_super_deduction.at(year)
        # A firm on the machine-tool list deducts the larger of its list's and the general rate.
        self.listed_super_deduction = max(
            sc.tax.listed_rd_super_deduction.at(year), self.super_deduction
        )
        self.listed_vat_credit = sc.tax.listed_vat_credit.at(year)
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
        self.wage_per_worker *= 1.0 + g_wage
        self.other_equipment_price *= 1.0 + g_equip
        self.other_equipment_productivity *= 1.0 + sc.innovation.other_equipment_productivity_growth
        for sec in self.sectors:
            sec.k1 *= 1.0 + g_wage
            sec.k2 *= 1.0 + g_ppi
        # Outside makers improve at the pace the region's makers kept over the spin-up (which
        # re-anchors them every year), plus their own gap; after it they pay the same input
        # prices as the region's makers, with processes improving at their spin-up pace.
        if not self.spinning_up:
            self.years_since_base += 1
            cost = self.outside_unit_cost() / self.outside_cost_base
        for o in self.outside_models:
            trend = 0.0 if self.spinning_up else self.maker_trend_growth[o.segment]
            o.model_productivity *= 1.0 + trend + o.productivity_growth_gap
            if not self.spinning_up:
                o.price = o.price_base * cost
        mtp, path = self.region.machine_tools, sc.demand.outside_machine_path
        if self.spinning_up:
            g_nation = g_export = sc.spinup.outside_machine_demand_growth
        else:
            g_nation = mtp.national_demand_growth[path].at(self.year)
            g_export = mtp.export_demand_growth[path].at(self.year)
        self.national_demand_growth, self.export_demand_growth = g_nation, g_export
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
        """The spin-up years under base-year conditions, then the rebase to the base year.

        The government runs the status quo meanwhile (the instruments as before the plan that
        act in the base year); the scenario's own instruments take over the firms' payments
        and commitments after it.
        """
        planned = self.government
        before = spinup_instruments(self.scenario_params)
        self.government = Government(self, before)
        for _ in range(self.scenario_params.spinup.years):
            self.one_year()
            self.renormalise_costs()
            self.rescale_to_base()
            self.anchor_outside_makers()
            self.record_maker_trend()
        self.rebase()
        planned.renewal_loans.fill_ratio = self.government.renewal_loans.fill_ratio
        for mine, before_plan in zip(planned.instruments, self.government.instruments, strict=True):
            mine.fill = list(before_plan.fill)
        rate = self.government.first_set_award.segment_rate
        planned.first_set_award.segment_rate = None if rate is None else list(rate)
        self.government = planned

    def record_maker_trend(self) -> None:
        """This spin-up year's point of the region's makers' trends (the rebase adds none)."""
        self.maker_productivity_path.append(self.maker_mean_model)
        self.maker_cost_path.append(self.maker_mean_inverse)

    def run(self) -> None:
        """Spin up, then simulate every scenario year."""
        self.spin_up()
        for _ in self.scenario_params.years:
            self.step()

    # ------------------------------------------------------------------ 1. demand

    def demand(self) -> None:
        """User sectors' real demand (trend, shock, own-price response); the makers'
        rest-of-country and foreign demand (rule 1)."""
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
        self.national_demand = [
            d * (1.0 + self.national_demand_growth) for d in self.national_demand
        ]
        self.export_demand = [d * (1.0 + self.export_demand_growth) for d in self.export_demand]

    # ------------------------------------------------ 3. innovation and imitation

    def innovate(self) -> None:
        """Bars for first sets, then every firm searches, then every firm adopts."""
        best = [0.0] * self.layout.n_niche_groups
        for f in self.machine_tool_firms:
            g = f.slot.niche_group
            if f.model_productivity > best[g]:
                best[g] = f.model_productivity
        self.niche_best = best
        # Each cluster's and sector's live firms in slot order, and each firm's place there:
        # an imitator's peer is one of the others.
        self.live_in_cluster = [
            [s.firm for s in slots if s.firm is not None] for slots in self.layout.cluster_slots
        ]
        self.live_in_sector = [
            [s.firm for s in slots if s.firm is not None] for slots in self.layout.sector_slots
        ]
        for firms in self.live_in_cluster:
            for i, f in enumerate(firms):
                f.place_in_cluster = i
        for firms in self.live_in_sector:
            for i, f in enumerate(firms):
                f.place_in_sector = i
        self.agents.do("innovate")
        self.agents.do("adopt")

    # --------------------------------------------------------------- 4. investment

    def invest(self) -> None:
        """Offers and brochures, then every firm invests; renewal subsidies are committed."""
        gov = self.government
        self.financing = gov.financing_multiplier()
        self.renewal_relief = gov.renewal_loans.rate_relief()
        gov.renewal_loans.draw_listing()  # whose renewal project is on this year's list
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
        gov.first_set.record_applications()
        for s, firms in enumerate(self.by_sector):
            self.sectors[s].purchases_in_region = sum(f.machine_purchases_in_region for f in firms)

    # --------------------------------------------------- 5. production and market

    def produce(self) -> None:
        """Prices, output, sector price indices, then next year's market shares."""
        self.agents.do("set_price")
        for sec, firms in zip(self.sectors, self.by_sector, strict=True):
            unmet = sum(f.wanted - f.first_round for f in firms)
            spare = sum(f.spare for f in firms)
            sec.fill_rate = min(unmet / max(spare, TINY), 1.0)
        self.agents.do("sell")
        for sec, firms in zip(self.sectors, self.by_sector, strict=True):
            w = [f.output_real if f.is_mt else f.market_share for f in firms]
            sec.price_index_prev = sec.price_index
            sec.price_index = sum(wi * f.price for wi, f in zip(w, firms, strict=True)) / max(
                sum(w), TINY
            )
        self.compete()

    def compete(self) -> None:
        """Every share moves towards its target with inertia and takes the firm's shock.

        User firms: the target share in the sector is proportional to each firm's pull
        (appeal, relative price, unfilled demand). Makers: in each segment's rest-of-country
        and foreign market, against the outside models' makers, proportional to appeal x
        (productivity / risk-adjusted price)^lambda. A firm's appeal takes its shock too.
        """
        rho = self.scenario_params.market.share_inertia
        self.agents.do("draw_growth_shock")
        for sec, firms in zip(self.sectors, self.by_sector, strict=True):
            if sec.is_mt:
                continue
            pulls = [f.sector_pull() for f in firms]
            total = max(sum(pulls), TINY)
            for f, pull in zip(firms, pulls, strict=True):
                f.move_share("market", pull / total)
                f.appeal *= f.shock
        self.normalise_shares()
        for g, makers in enumerate(self.makers):
            pulls = [f.market_pull() for f in makers]
            for market in MARKETS:
                self.move_market(market, makers, pulls, self.rivals[g], rho)
            total = max(sum(f.revenue for f in makers), TINY)
            for f in makers:
                f.appeal *= f.shock
                f.mt_segment_share = f.revenue / total

    def move_market(self, market: str, makers, pulls, rivals, rho: float) -> None:
        """One segment's national or foreign market: shares towards their targets, then
        the segment's shares (the region's makers' and their rivals') sum to one again."""
        lam = self.scenario_params.market.national_share_elasticity
        rival_pulls = [o.market_pull(market, lam) for o in rivals]
        total = max(sum(pulls) + sum(rival_pulls), TINY)
        for o, pull in zip(rivals, rival_pulls, strict=True):
            o.move_share(market, pull / total, rho)
        for f, pull in zip(makers, pulls, strict=True):
            f.move_share(market, pull / total)
        name = f"{market}_share"
        norm = max(sum(getattr(x, name) for x in [*rivals, *makers]), TINY)
        for x in [*rivals, *makers]:
            setattr(x, name, getattr(x, name) / norm)

    def normalise_shares(self) -> None:
        """User firms' market shares sum to one within each sector (makers' markets are
        renormalised with their rivals when shares move)."""
        for sec, firms in zip(self.sectors, self.by_sector, strict=True):
            if sec.is_mt:
                continue
            total = max(sum(f.market_share for f in firms), TINY)
            for f in firms:
                f.market_share /= total

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
        """Firms fall below the above-scale threshold or close; the pool of smaller firms
        sends firms over the threshold into free slots.

        A firm whose revenue per real firm is below the threshold falls into the pool; one
        with negative net worth closes. During the spin-up entrants replace each cluster's
        exits; after it, a cluster's expected entrants are the firms its sector's growth
        carries over the threshold from the pool (``pool_entry_rate``) per firm it had before
        the exits, rounded down or up at random. They take the cluster's lowest free slots.
        """
        market = self.scenario_params.market
        threshold = self.region.status.above_scale_revenue_m_yuan * self.firm_weight
        S = len(self.sectors)
        growth = [
            math.log(
                max(sum(f.revenue for f in firms), TINY)
                / max(sum(f.revenue_prev for f in firms), TINY)
            )
            for firms in self.by_sector
        ]
        sector_revenue = [sum(f.revenue for f in firms) for firms in self.by_sector]
        self.exit_cash, self.exit_debt = [0.0] * S, [0.0] * S
        self.exit_count, self.closure_count = [0] * S, [0] * S
        cluster_exits = [0] * len(self.layout.cluster_slots)
        for f in list(self.agents):
            closes = f.net_worth() < 0.0
            if not (closes or f.revenue < threshold):
                continue
            self.exit_cash[f.sector] += f.cash
            self.exit_debt[f.sector] += f.debt
            self.exit_count[f.sector] += 1
            cluster_exits[f.slot.cluster] += 1
            self.closure_count[f.sector] += closes
            f.slot.firm = None
            f.remove()
        self.regroup()
        # What incumbents' appeal is per unit of their share: entrants start with the same.
        appeal_per_share = [
            sum(f.appeal for f in makers) / max(sum(f.national_share for f in makers), TINY)
            for makers in self.makers
        ]
        sector_appeal_per_share = [
            sum(f.appeal for f in firms if not f.is_mt)
            / max(sum(f.market_share for f in firms), TINY)
            for firms in self.by_sector
        ]
        self.entry_cash, self.entry_count = [0.0] * S, [0] * S
        self.entrants_expected = [0.0] * S
        self.entrants_without_slot = [0] * S
        entrants = []
        for s in range(S):
            rate = pool_entry_rate(self.region.size_exponent, growth[s], market.growth_shock_sd)
            chosen = []
            for c, slots in enumerate(self.layout.cluster_slots):
                if self.layout.cluster_sector[c] != s:
                    continue
                if self.spinning_up:
                    # The exits are replaced: each cluster keeps its firm count.
                    wanted = float(cluster_exits[c])
                else:
                    # The cluster's pool is as large as its live firms before the exits imply.
                    live = sum(slot.firm is not None for slot in slots)
                    wanted = rate * (live + cluster_exits[c])
                self.entrants_expected[s] += wanted
                # Rounded up with probability wanted's fraction (a whole number exactly).
                whole = math.floor(wanted)
                due = whole + (self.random.random() >= 1.0 - (wanted - whole))
                # The entrants take the cluster's lowest free slots (in the spin-up, of those
                # open in it).
                free = [
                    slot
                    for slot in slots
                    if slot.firm is None and (slot.open_in_spinup or not self.spinning_up)
                ]
                chosen += free[:due]
                self.entrants_without_slot[s] += max(due - len(free), 0)
            if chosen:
                entrants.extend(
                    self.enter(
                        s, chosen, sector_revenue[s], appeal_per_share, sector_appeal_per_share[s]
                    )
                )
        if entrants:
            self.regroup()
        self.normalise_shares()  # exits left gaps; entrants took their shares

    def enter(
        self,
        s: int,
        slots,
        sector_revenue: float,
        appeal_per_share: list[float],
        sector_appeal_per_share: float,
    ) -> list[FirmAgent]:
        """New firms in the given free slots of sector s (docs/ODD.md 3.4.10).

        An entrant has just grown over the threshold: its revenue is within about one year's
        growth shock above it. It starts with the sector's mean process productivity with
        noise (a maker also its segment's mean model with the model dispersion), this year's
        new machines and its owners' equity as cash. A maker takes the same share of its
        segment's rest-of-country and foreign demand, with the appeal incumbents of that share
        have; a user firm its share of the sector's revenue and the incumbents' appeal per
        share.
        """
        sc, rnd = self.scenario_params, self.random
        market = sc.market
        sec = self.sectors[s]
        firms = self.by_sector[s]
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
        threshold = self.region.status.above_scale_revenue_m_yuan * self.firm_weight
        price = sec.price_index
        capital_price = sec.kappa * (
            sec.theta * self.sectors[self.mt_sector].price_index
            + (1.0 - sec.theta) * self.other_equipment_price
        )
        A = sc.investment.technical_life_years
        out = []
        for slot in slots:
            firm = FirmAgent(self, slot)
            revenue = threshold * math.exp(market.growth_shock_sd * rnd.random())
            noise = math.exp(sc.initial.productivity_dispersion * rnd.gauss(0.0, 1.0))
            share = revenue / max(sector_revenue, TINY)
            firm.process_productivity = mean_pi * noise
            if firm.is_mt:
                g = firm.make_segment
                # A maker's first model is of its segment's kind (the model dispersion).
                noise = math.exp(sc.initial.model_dispersion * rnd.gauss(0.0, 1.0))
                firm.model_productivity = segment_mean_a[g] * noise
                # The same share of its segment's rest-of-country and foreign demand.
                share_outside = revenue / max(self.national_demand[g] + self.export_demand[g], TINY)
                firm.national_share = firm.export_share = share_outside
                firm.appeal = share_outside * appeal_per_share[g]
            else:
                firm.model_productivity = 0.0
                firm.market_share = share
                firm.appeal = share * sector_appeal_per_share
            firm.mt_segment_share = 0.0  # no sales last year
            self._new_model_flags(firm)
            capacity = revenue / max(price, TINY) / sc.investment.target_utilisation
            firm.cohort_capacity = [capacity] + [0.0] * (A - 1)
            firm.cohort_inverse_productivity = [1.0 / new_e] + [1.0] * (A - 1)
            firm.cohort_cost = [capacity * capital_price] + [0.0] * (A - 1)
            firm.capacity = capacity
            firm.machine_productivity = new_e
            firm.capacity_age = 0.0
            firm.cash = market.entrant_equity_ratio * revenue
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
            if sec.is_mt:
                self.maker_mean_inverse = mean_inverse
            sec.k1 = sec.k1_base / max(mean_inverse, TINY)
            sec.k2 = sec.k2_base
            weights = price_sum = 0.0
            for f, x in zip(firms, inverse, strict=True):
                f.unit_cost = sec.k1 * x + sec.k2
                f.price = (1.0 + sec.markup) * f.unit_cost
                if not f.is_mt:
                    f.revenue = f.output_real * f.price
                wf = f.revenue / max(f.price, TINY) if f.is_mt else f.market_share
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
        "sales_abroad",
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
                # What instruments paid and owe follows the change of money units.
                f.rd_bonus_paid *= factor
                f.renewal_schedule = [x * factor for x in f.renewal_schedule]
                f.relending_schedule = [x * factor for x in f.relending_schedule]
            sec.demand_real *= factor
            sec.demand_real_prev *= factor
            sec.demand_expected *= factor
            sec.purchases_in_region *= factor
            if sec.is_mt:
                self.national_demand = [d * factor for d in self.national_demand]
                self.export_demand = [d * factor for d in self.export_demand]

    def rebase(self) -> None:
        """Set the spun-up economy on the base year; instruments and pool entry start.

        The makers' order books follow their buyers' records of in-region purchases, and
        rest-of-country and foreign demand are scaled together so that the makers' outside
        sales are the base machine-tool output's residual over those purchases.
        """
        self.renormalise_costs()
        self.rescale_to_base()
        mt = self.sectors[self.mt_sector]
        inside = sum(sec.purchases_in_region for sec in self.sectors)
        booked = max(sum(f.orders_inside for f in self.machine_tool_firms), TINY)
        for f in self.machine_tool_firms:
            f.orders_inside *= inside / booked
        outside = sum(
            f.national_share * self.national_demand[f.make_segment]
            + f.export_share * self.export_demand[f.make_segment]
            for f in self.machine_tool_firms
        )
        scale = max(mt.output_base - inside, 0.0) / max(outside, TINY)
        self.national_demand = [d * scale for d in self.national_demand]
        self.export_demand = [d * scale for d in self.export_demand]
        wages = self.agents.agg("wages", sum)
        self.wage_per_worker = wages / (self.region.base_year.employment_m * 1e6)
        self.price_base = [sec.price_index for sec in self.sectors]
        self.anchor_outside_makers()
        # The outside makers keep the region's makers' pace over the spin-up's last years: of
        # their segments' mean model, and of their processes (the inverse of the sector's mean
        # inverse productivity), from their prices and unit cost now.
        path = self.maker_productivity_path
        self.maker_trend_growth = [
            _trend([means[g] for means in path]) for g in range(len(SEGMENTS))
        ]
        self.maker_process_trend = _trend([1.0 / max(c, TINY) for c in self.maker_cost_path])
        self.outside_inverse_base = self.maker_mean_inverse
        self.years_since_base = 0
        for o in self.outside_models:
            o.price_base = o.price
        self.outside_cost_base = self.outside_unit_cost()
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
        # The makers' markets: this year's demand and the shares that made this year's sales.
        for name in SEGMENT_VARIABLES:
            flows[name] = []
        for g, makers in enumerate(self.makers):
            abroad = sum(f.sales_abroad for f in makers)
            national = sum(f.sales_outside for f in makers) - abroad
            flows["national_machine_demand"].append(self.national_demand[g] * bn)
            flows["export_machine_demand"].append(self.export_demand[g] * bn)
            flows["national_market_share"].append(national / max(self.national_demand[g], TINY))
            flows["export_market_share"].append(abroad / max(self.export_demand[g], TINY))
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
            "closures": [x * fw for x in self.closure_count],
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
    "tax_expenditure_listed_deduction": "tax_expenditure_listed_deduction",
    "tax_expenditure_vat_credit": "tax_expenditure_vat_credit",
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
    "n_machine_tool_listed": "on_machine_tool_list",
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
    "tax_expenditure_listed_deduction",
    "tax_expenditure_vat_credit",
    "first_set_products_new",
    "n_firms",
    "n_firms_above_scale",
    "n_machine_tool_listed",
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
    "closures",
    "entries",
)
#: Per machine-tool segment (economy, mid_range, high_end).
SEGMENT_VARIABLES = (
    "national_machine_demand",
    "export_machine_demand",
    "national_market_share",
    "export_market_share",
)
#: Per instrument (rd_bonus, first_set, renewal_loans, first_set_award).
INSTRUMENT_VARIABLES = ("subsidy_paid",)
#: One number per year.
SCALAR_VARIABLES = (
    "year",
    "relending_cost",
    "output_total",
    "rd_expenditure_total",
)


def _reporters() -> dict:
    reporters = {"year": lambda m: m.year}
    for name in SECTOR_VARIABLES + SEGMENT_VARIABLES + INSTRUMENT_VARIABLES + SCALAR_VARIABLES[1:]:
        reporters[name] = lambda m, k=name: m.record[k]
    return reporters
