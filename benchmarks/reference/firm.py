"""``FirmAgent``: one industrial firm, its machines, accounts and decisions.

Every rule of the year that a firm applies to itself is a method here; the model calls them
on all firms with ``AgentSet.do`` in the fast model's order. Rules in which firms interact
(imitation, sales to machine-tool makers, sector price indices, market shares) run in
stages, so that within a rule all firms act on the same start-of-rule state, as in the fast
model where every rule is one simultaneous array operation.

Quantities and units are the fast model's (``model/economy/rules/``, docs/ODD.md section 3.4):
money in million yuan, real quantities in model units, one step a calendar year. Machine
cohorts are three short Python lists indexed by age (0 = bought this year).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from benchmarks.reference.layout import Slot
    from benchmarks.reference.model import ReferenceModel

TINY = 1e-12
#: Slot draws an imitator makes for a peer before it picks from the list of live firms (as the
#: fast model's ``PEER_SLOT_DRAWS``).
PEER_SLOT_DRAWS = 60


class FirmAgent(mesa.Agent):
    """A firm: a user of machines, and for the machine-tool sector also a maker of one model."""

    model: ReferenceModel
    #: As a seller of machines (in a buyer's brochure): a Zhejiang model, not an import.
    is_in_region = True
    is_import = False

    def __init__(self, model: ReferenceModel, slot: Slot) -> None:
        super().__init__(model)
        self.slot = slot
        slot.firm = self
        self.sector = slot.sector
        self.sec = model.sectors[slot.sector]
        self.is_mt = slot.make_segment >= 0
        self.make_segment = slot.make_segment
        self.buy_segment = slot.buy_segment
        self.payback_years = slot.payback_years
        self.area = model.cluster_area[slot.cluster]  # -1: spread over the region
        # Its place among the live firms of its cluster and sector (set before each search).
        self.place_in_cluster = self.place_in_sector = -1
        # Flows of the year, zero until the rules set them.
        for name in FLOWS:
            setattr(self, name, 0.0)
        self.first_set_recognised = False
        # Shares of its markets (a user firm: of its sector; a maker: of its segment's
        # rest-of-country and foreign demand) and its appeal to buyers beyond price and quality.
        self.market_share = self.national_share = self.export_share = self.appeal = 0.0
        self.shock = 1.0  # this year's growth shock on its shares and appeal
        self.rd_bonus_paid = 0.0  # what the R&D bonus paid last year (expectation)
        self.renewal_schedule = [
            0.0
        ] * model.scenario_params.instruments.renewal_loans.subsidy_years
        # Interest relief on re-lent loans due this year and the years ahead (m yuan).
        self.relending_schedule = [
            0.0
        ] * model.scenario_params.instruments.renewal_loans.relending_years
        self.sn_listed_year = self.lg_listed_year = self.sc_listed_year = -9999
        self.sn_held = self.lg_held = self.sc_held = False
        self.sn_new = self.lg_new = self.sc_new = False
        self.above_scale = False
        self.on_machine_tool_list = False  # an entrant's figures are not yet known
        self.renewal_listed = False  # its renewal project on this year's list

    # ------------------------------------------------------------------ helpers

    @property
    def level(self) -> float:
        """What innovation improves: the model for a machine-tool maker, else the process."""
        return self.model_productivity if self.is_mt else self.process_productivity

    def summarise_machines(self) -> None:
        """Capacity, machine productivity (harmonic mean of cohorts) and capacity x age."""
        cap = self.cohort_capacity
        inv = self.cohort_inverse_productivity
        capacity = inputs = age_weighted = 0.0
        for age, (c, i) in enumerate(zip(cap, inv, strict=True)):
            capacity += c
            inputs += c * i
            age_weighted += c * age
        self.capacity = capacity
        self.capacity_age = age_weighted
        if inputs > TINY:
            self.machine_productivity = capacity / inputs

    def book_value(self) -> float:
        """Undepreciated book value of the machines at the end of the year."""
        life = self.model.scenario_params.investment.tax_depreciation_years
        return sum(
            cost * (1.0 - (age + 1.0) / life)
            for age, cost in enumerate(self.cohort_cost[: life - 1])
        )

    def list_price(self) -> float:
        """Price of the firm's machine-tool model per unit of machine-tool input."""
        return self.price * self.model.segment_price_index[self.make_segment]

    # ---------------------------------------------------------------- 2. R&D

    def research(self) -> None:
        """Real and reported R&D from the after-tax user cost of R&D (rule 2)."""
        m = self.model
        sc = m.scenario_params.rd
        tau = m.high_tech_rate if self.high_tech else m.cit_rate
        deduction = m.listed_super_deduction if self.on_machine_tool_list else m.super_deduction
        gov = m.government
        expected = gov.rd_bonus.expected_rate(self) + gov.first_set_award.expected_rate(self)
        # A reward beyond the after-tax cost makes R&D free, no more than free.
        user_cost = max(1.0 - tau * (1.0 + deduction) - expected, 0.0)
        # Semi-elastic in the user cost's change on the firm's base.
        change = user_cost / self.rd_user_cost_base - 1.0
        intensity = self.rd_intensity_fe * math.exp(-sc.user_cost_elasticity_real * change)
        relabel = math.exp(
            -(sc.user_cost_elasticity_reported - sc.user_cost_elasticity_real) * change
        )
        self.rd_reported_prev = self.rd_reported
        self.rd_history.insert(0, self.rd_real)
        self.rd_history.pop()
        self.rd_real = intensity * self.revenue
        self.rd_reported = self.rd_real * max(relabel, 1.0)
        m.government.rd_bonus.bunch(self)
        self.basic_research = self.rd_real * self.slot.basic_research_share

    # ------------------------------------------------- 3. innovation and imitation

    def innovate(self) -> None:
        """Draw innovation and imitation on its R&D intensity; keep the best level found.

        The effort is the firm's R&D intensity: lagged real R&D over last year's real output
        (an innovation improves a part of the firm's products, so the chance grows with R&D
        relative to size). Peers are read before anyone adopts (``adopt`` runs after every
        firm has searched), so imitation copies last year's levels, as in the simultaneous
        fast model.
        """
        m = self.model
        inn = m.scenario_params.innovation
        rnd = m.random
        effort = self.rd_history[inn.rd_lag_years - 1] / max(self.output_real, TINY)
        level = self.level
        best = level
        self.innovated = self.imitated = False
        if inn.enabled and rnd.random() < 1.0 - math.exp(-inn.zeta_innovation * effort):
            lo, hi = inn.jump_support
            candidate = level * (1.0 + lo + (hi - lo) * rnd.betavariate(*inn.jump_beta))
            if candidate > best:
                best = candidate
                self.innovated = True
        if inn.imitation_enabled and rnd.random() < 1.0 - math.exp(-inn.zeta_imitation * effort):
            # A peer: one of the other live firms of the cluster or sector, each as likely:
            # slots drawn until one holds another live firm, else one from the list of them.
            if rnd.random() < inn.cluster_peer_probability:
                slots = m.layout.cluster_slots[self.slot.cluster]
                live, mine = m.live_in_cluster[self.slot.cluster], self.place_in_cluster
            else:
                slots = m.layout.sector_slots[self.sector]
                live, mine = m.live_in_sector[self.sector], self.place_in_sector
            peer = None
            others = len(live) - 1
            if others > 0:
                for _ in range(PEER_SLOT_DRAWS):
                    place = slots[min(int(rnd.random() * len(slots)), len(slots) - 1)]
                    if place.firm is not None and place.firm is not self:
                        peer = place.firm
                        break
                else:
                    k = min(int(rnd.random() * others), others - 1)
                    peer = live[k + (k >= mine)]
            if peer is not None and peer.make_segment == self.make_segment:
                copied = peer.level
                if not self.is_mt and inn.imitation_size_elasticity > 0.0 and copied > level:
                    # A larger firm closes a smaller share of the gap to its peer (a maker
                    # copies a model whole).
                    threshold = m.region.status.above_scale_revenue_m_yuan
                    size = max(self.revenue / m.firm_weight, threshold) / threshold
                    copied = level + size**-inn.imitation_size_elasticity * (copied - level)
                if copied > best:
                    best = copied
                    self.imitated = True
        self.next_level = best

    def adopt(self) -> None:
        """Take the best level; a maker's new model may be a first set, listed as it appears."""
        best = self.next_level
        if not self.is_mt:
            self.process_productivity = best
            return
        self.first_set_recognised = False
        if best <= self.model_productivity:
            return
        m = self.model
        inn = m.scenario_params.innovation
        margin = 1.0 + inn.first_set_margin
        own = self.innovated and not self.imitated
        g = self.make_segment
        # Bars: Zhejiang's best of the niche, the best domestic model (the other provinces'
        # frontier), the best foreign one (the import frontier).
        bar_zhejiang = m.niche_best[self.slot.niche_group]
        other = m.other_province_model[g].model_productivity
        bar_domestic = max(bar_zhejiang, other * (1.0 + inn.domestic_frontier_gap))
        foreign = m.import_model[g].model_productivity
        bar_foreign = max(bar_domestic, foreign * (1.0 + inn.foreign_frontier_gap))
        level = 0
        if own:
            if best >= bar_foreign * margin:
                level = 3  # first in the world
            elif best >= bar_domestic * margin:
                level = 2  # first in China
            elif best >= bar_zhejiang * margin:
                level = 1  # first in Zhejiang
        self.model_first_set_level = level
        self.model_productivity = best
        self.model_unproven = self.model_first_set = level > 0
        self.model_sets_sold = 0.0
        self.model_recognised = self.first_set_recognised = level > 0
        self.model_vintage = m.year

    # -------------------------------------------------------------- 4. investment

    def quote(self) -> None:
        """A maker's offer to buyers this year: list price and risk-adjusted price."""
        self.offer_price = self.list_price()
        self.offer_risk_price = self.offer_price * self.model.government.first_set.risk_multiplier(
            self
        )

    def payback_horizon(self) -> float:
        """What a unit of a machine's input costs the firm over its payback period: b u k1/pi."""
        m = self.model
        return (
            self.payback_years
            * m.target_utilisation
            * self.sec.k1
            / max(self.process_productivity, TINY)
        )

    def embodied_productivity(self, model_productivity: float) -> float:
        """A new machine's productivity in this firm: frontier^(1 - theta) a^theta.

        A model of no productivity (e.g. an outside model anchored on a segment left without
        makers) counts as one of productivity TINY.
        """
        theta = self.sec.theta
        frontier = self.model.other_equipment_productivity
        return frontier ** (1.0 - theta) * max(model_productivity, TINY) ** theta

    def capital_price(self, machine_price: float) -> float:
        """A unit of new capacity's price: the machine tools at ``machine_price``, the rest."""
        theta, kappa = self.sec.theta, self.sec.kappa
        return kappa * (theta * machine_price + (1.0 - theta) * self.model.other_equipment_price)

    def scrap_threshold(self, model_productivity: float, risk_price: float, financing: float):
        """The input per unit of capacity at which a cohort is scrapped for this new model.

        1/e_new + perceived price / (b u k1/pi) x financing: the new machine pays back its
        perceived price, financing included, by b years of saved input.
        """
        inv_new = 1.0 / max(self.embodied_productivity(model_productivity), TINY)
        return inv_new + self.capital_price(risk_price) / self.payback_horizon() * financing

    def choose_machine(self):
        """Read a brochure of k offers and pick the cheapest over the payback horizon."""
        m = self.model
        rnd = m.random
        sec = self.sec
        theta, kappa = sec.theta, sec.kappa
        g = self.buy_segment
        p_import, p_other = m.brochure_odds[g]
        makers, cum = m.brochure_makers[g], m.brochure_cum[g]
        horizon = self.payback_horizon()

        def cost_of(offer) -> tuple[float, float]:
            """The offer's capital cost to this buyer and its payback-weighted running cost."""
            capital = kappa * theta * offer.offer_risk_price
            if self.area >= 0 and offer.is_in_region and offer.area == self.area:
                capital *= 1.0 - m.region.machine_tools.local_preference  # a local maker
            return capital, horizon / self.embodied_productivity(offer.model_productivity)

        best, best_cost = None, math.inf
        for _ in range(m.brochure_size):
            u = rnd.random()
            if u < p_import:
                offer = m.import_model[g]
            elif u < p_import + p_other or not makers:
                offer = m.other_province_model[g]
            else:
                offer = makers[bisect_right(cum, rnd.random() * cum[-1])]
            cost = sum(cost_of(offer))
            if cost < best_cost:
                best, best_cost = offer, cost
        return m.government.first_set.procure(self, best, best_cost, cost_of)

    def invest(self) -> None:
        """Age machines, scrap by payback, buy the capacity wanted within finance (rule 4)."""
        m = self.model
        sc = m.scenario_params.investment
        sec = self.sec
        cap, inv, cost = self.cohort_capacity, self.cohort_inverse_productivity, self.cohort_cost
        tax_life = sc.tax_depreciation_years
        # Age the stock: the oldest cohort reaches its technical life and leaves.
        technical_life = len(cap)
        scrapped_life = cap.pop()
        book_life = cost.pop() * min(max(1.0 - technical_life / tax_life, 0.0), 1.0)
        inv.pop()
        cap.insert(0, 0.0)
        cost.insert(0, 0.0)
        inv.insert(0, 1.0)

        offer = self.choose_machine()
        theta, kappa = sec.theta, sec.kappa
        inv_new = 1.0 / max(self.embodied_productivity(offer.model_productivity), TINY)
        price_new = offer.offer_price
        capital_price = self.capital_price(price_new)
        # Payback rule with the financing cost; over-aged cohorts may earn renewal relief.
        threshold = self.scrap_threshold(
            offer.model_productivity, offer.offer_risk_price, m.financing
        )
        relief = m.renewal_relief if self.renewal_listed else 0.0  # a listed project only
        threshold_over_aged = self.scrap_threshold(
            offer.model_productivity, offer.offer_risk_price, m.financing - relief
        )
        eligible_age = m.renewal_eligible_age
        wear = 1.0 + sc.wear_rate
        scrapped_payback = scrapped_eligible = 0.0
        book_scrapped = book_life
        for age in range(1, len(cap)):
            c = cap[age]
            if c > 0.0:
                inv[age] *= wear  # a year older: wear raises the input a unit of capacity needs
            if c > 0.0 and inv[age] >= (threshold_over_aged if age > eligible_age else threshold):
                scrapped_payback += c
                if age > eligible_age:
                    scrapped_eligible += c
                book_scrapped += cost[age] * min(max(1.0 - age / tax_life, 0.0), 1.0)
                cap[age] = 0.0
                cost[age] = 0.0
        scrapped_eligible += scrapped_life
        capacity_left = sum(cap)

        if self.is_mt:
            desired = self.output_expected / m.target_utilisation
        else:
            desired = self.market_share * sec.demand_expected / m.target_utilisation
        gap = max(desired - capacity_left, 0.0)
        scrapped = scrapped_life + scrapped_payback
        replacement = min(gap, scrapped)
        expansion = gap - replacement
        # Finance: internal funds above a cash buffer, loans of at least the usual share,
        # within the credit limit; a shortfall scales the purchase down.
        wanted_cost = gap * capital_price
        internal = max(self.cash - sc.cash_buffer_sales_ratio * self.revenue, 0.0)
        credit_room = max(sc.credit_limit_sales_ratio * self.revenue - self.debt, 0.0)
        loan = min(max(wanted_cost - internal, sc.loan_financed_share * wanted_cost), credit_room)
        funded = min(wanted_cost, internal + loan)
        ratio = funded / wanted_cost if wanted_cost > TINY else 1.0
        replacement *= ratio
        expansion *= ratio
        new_capacity = replacement + expansion
        spent = new_capacity * capital_price
        cap[0] = new_capacity
        inv[0] = inv_new
        cost[0] = spent
        self.cash += loan - spent
        self.debt += loan
        self.investment = spent
        self.loans_new = loan
        self.writeoff = book_scrapped
        self.investment_replacement = replacement * capital_price
        self.investment_expansion = expansion * capital_price
        self.capacity_replaced = replacement
        share_eligible = min(scrapped_eligible / scrapped, 1.0) if scrapped > TINY else 0.0
        replaced_share = replacement * capital_price / spent if spent > TINY else 0.0
        self.renewal_eligible_loan = loan * replaced_share * share_eligible
        # The machine-tool part of the spending is an order for the chosen model.
        order = new_capacity * kappa * theta * price_new
        offer.orders_inside += order
        self.machine_purchases = order
        self.machine_purchases_in_region = order if offer.is_in_region else 0.0
        self.machine_purchases_imported = order if offer.is_import else 0.0
        self.machine_purchases_unproven = (
            order if offer.is_in_region and offer.model_unproven else 0.0
        )
        self.machine_purchases_first_set = (
            self.machine_purchases_unproven if offer.is_in_region and offer.model_first_set else 0.0
        )
        self.summarise_machines()

    # ------------------------------------------------------ 5. production and market

    def set_price(self) -> None:
        """Unit cost and price from the machines; a user firm's first-round output."""
        sec = self.sec
        self.unit_cost = (
            sec.k1 / max(self.process_productivity * self.machine_productivity, TINY) + sec.k2
        )
        self.price = (1.0 + sec.markup) * self.unit_cost
        if self.is_mt:
            self.wanted = self.first_round = self.spare = 0.0
            self.unfilled = 0.0
            return
        wanted = self.market_share * sec.demand_real
        first = min(wanted, self.capacity)
        self.wanted, self.first_round, self.spare = wanted, first, self.capacity - first
        self.unfilled = (wanted - first) / wanted if wanted > TINY else 0.0

    def sell(self) -> None:
        """Output and revenue: users share demand; makers sell their orders, to the rest of
        the country and abroad."""
        m = self.model
        sec = self.sec
        if self.is_mt:
            g = self.make_segment
            self.sales_abroad = self.export_share * m.export_demand[g]
            self.sales_outside = self.national_share * m.national_demand[g] + self.sales_abroad
            sales = self.orders_inside + self.sales_outside
            spi = m.segment_price_index[self.make_segment]
            output = sales / max(self.price * spi, TINY) * spi
            revenue = sales
        else:
            output = self.first_round + self.spare * sec.fill_rate
            revenue = output * self.price
        self.output_real_prev = self.output_real
        self.output_real = output
        lam = m.scenario_params.investment.expectation_smoothing
        self.output_expected = lam * self.output_expected + (1.0 - lam) * output
        self.revenue_prev2 = self.revenue_prev
        self.revenue_prev = self.revenue
        self.revenue = revenue
        if self.is_mt:
            # A first set is proven by the first sets sold to Zhejiang users (per real firm).
            sets = self.orders_inside / m.set_price[self.make_segment]
            self.model_sets_sold += sets
            if (
                self.model_sets_sold / m.firm_weight
                >= m.scenario_params.innovation.first_set_sets_to_prove
            ):
                self.model_unproven = False

    def draw_growth_shock(self) -> None:
        """This year's Gibrat shock: Laplace log growth, its sd falling with the firm's size.

        ``(1 - sd^2 / 2) exp(sd e)`` with e a standard Laplace draw (mean 0, sd 1) and sd the
        growth-shock sd at the above-scale threshold times (revenue per real firm / threshold)
        to the power -beta, times (revenue per real firm / threshold)^-gamma (larger firms grow a
        little slower); it moves the firm's shares and its appeal.
        """
        m = self.model
        market = m.scenario_params.market
        threshold = m.region.status.above_scale_revenue_m_yuan
        size = max(self.revenue / m.firm_weight, threshold) / threshold
        sd = market.growth_shock_sd * size ** (-market.growth_shock_size_elasticity)
        self.shock = (1.0 - 0.5 * sd * sd) * math.exp(sd * _laplace(m.random.random()))
        # Larger firms grow a little slower (Gibrat's law fails towards the top).
        self.shock *= size ** (-market.growth_size_drift)

    def sector_pull(self) -> float:
        """A user firm's pull on its sector's buyers: appeal, relative price, unfilled demand."""
        market = self.model.scenario_params.market
        relative = max(self.price, TINY) / max(self.sec.price_index, TINY)
        return (
            self.appeal
            * relative ** (-market.sector_share_elasticity)
            * math.exp(-market.unfilled_demand_weight * self.unfilled)
        )

    def value_for_money(self, insured: bool = True) -> float:
        """A maker's model productivity per risk-adjusted price (per unit of machine input).

        ``insured``: with the first-set instruments' cover of the risk premium (the buyers'
        terms this year); without it, the terms the outside makers are anchored on.
        """
        first_set = self.model.government.first_set
        risk = first_set.risk_multiplier(self) if insured else first_set.base_multiplier(self)
        return self.model_productivity / max(self.list_price() * risk, TINY)

    def market_pull(self) -> float:
        """A maker's pull in its segment's national and foreign markets: its appeal x
        (productivity / risk-adjusted price)^lambda."""
        lam = self.model.scenario_params.market.national_share_elasticity
        return self.appeal * max(self.value_for_money(), TINY) ** lam

    def move_share(self, market: str, target: float) -> None:
        """Close the fraction ``share_inertia`` of the gap to the market's target share (the
        user firm's ``market``, a maker's ``national`` or ``export``), then take the shock."""
        rho = self.model.scenario_params.market.share_inertia
        name = f"{market}_share"
        setattr(self, name, ((1.0 - rho) * getattr(self, name) + rho * target) * self.shock)

    # -------------------------------------------------------------- 6. accounts

    def account(self) -> None:
        """Value added, wages, depreciation, interest, taxes and profit (rule 6)."""
        m = self.model
        sec = self.sec
        machine_cost = (
            sec.k1
            / max(self.process_productivity * self.machine_productivity, TINY)
            * self.output_real
        )
        self.wages = sec.labour_of_k1 * machine_cost
        intermediate = machine_cost - self.wages + sec.k2 * self.output_real
        self.value_added = max(self.revenue - intermediate, 0.0)
        self.employment = self.wages / m.wage_per_worker
        life = m.scenario_params.investment.tax_depreciation_years
        self.depreciation = sum(self.cohort_cost[:life]) / life
        # Less the lower rate on re-lent loans.
        self.interest = self.debt * m.loan_rate - m.government.renewal_loans.interest_relief(self)
        self.vat = m.vat_rate * self.value_added
        # The machine-tool list's credit: a share of input VAT, up to the VAT owed.
        self.tax_expenditure_vat_credit = 0.0
        if self.on_machine_tool_list:
            self.tax_expenditure_vat_credit = min(
                m.listed_vat_credit * m.vat_rate * intermediate, self.vat
            )
            self.vat -= self.tax_expenditure_vat_credit
        self.profit_before_tax = (
            self.value_added
            - self.wages
            - self.vat
            - self.depreciation
            - self.writeoff
            - self.interest
            - self.rd_real
        )
        tau = m.high_tech_rate if self.high_tech else m.cit_rate
        taxable_general = self.profit_before_tax - m.super_deduction * self.rd_reported
        taxable = taxable_general
        if self.on_machine_tool_list:
            taxable = self.profit_before_tax - m.listed_super_deduction * self.rd_reported
        self.cit = tau * max(taxable, 0.0)
        self.tax_expenditure_listed_deduction = tau * (
            max(taxable_general, 0.0) - max(taxable, 0.0)
        )
        self.tax_expenditure_super_deduction = tau * (
            max(self.profit_before_tax, 0.0) - max(taxable, 0.0)
        )
        self.tax_expenditure_high_tech = (
            (m.cit_rate - m.high_tech_rate) * max(taxable, 0.0) if self.high_tech else 0.0
        )

    def settle_cash(self) -> None:
        """Profit after tax and subsidy, loan service, dividends, overdraft (rule 6b)."""
        sc = self.model.scenario_params.investment
        self.net_profit = self.profit_before_tax - self.cit + self.subsidy_received
        repayment = min(self.debt / sc.loan_term_years, self.debt)
        cash = self.cash + self.net_profit + self.depreciation + self.writeoff - repayment
        dividends = max(cash - sc.dividend_cash_ratio * self.revenue, 0.0)
        cash -= dividends
        overdraft = max(-cash, 0.0)
        self.cash = cash + overdraft
        self.debt = self.debt - repayment + overdraft
        self.repayment = repayment
        self.dividends = dividends
        self.loans_new += overdraft

    # ----------------------------------------------------------------- 7. status

    def update_status(self) -> None:
        """Above-scale status and the three titles by their approximate rules (rule 7)."""
        m = self.model
        rules = m.region.status
        year = m.year
        real_revenue = self.revenue / m.firm_weight
        intensity = self.rd_reported / max(self.revenue, TINY) if real_revenue > TINY else 0.0
        growth = (
            math.sqrt(max(self.revenue, 0.0) / max(self.revenue_prev2, TINY)) - 1.0
            if self.revenue_prev2 > TINY
            else 0.0
        )
        self.above_scale = real_revenue >= rules.above_scale_revenue_m_yuan
        # The machine-tool tax list (财税〔2023〕25号), for next year: makers that met its
        # revenue, R&D, R&D-staff and advanced-product tests this year.
        listing = m.scenario_params.tax.machine_tool_list
        self.on_machine_tool_list = False
        if self.is_mt:
            rd_staff = listing.rd_staff_cost_share / listing.rd_wage_premium * intensity
            staff_share = rd_staff / max(rd_staff + self.sec.labour_share, TINY)
            advanced = m.region.machine_tools.advanced_product_share[self.make_segment]
            self.on_machine_tool_list = (
                real_revenue >= listing.min_revenue_m_yuan
                and intensity >= listing.min_rd_intensity
                and staff_share >= listing.min_rd_staff_share
                and advanced >= listing.min_advanced_product_share
            )
        sme = real_revenue < rules.sme_revenue_max_m_yuan
        # Specialised-new: an SME with revenue and R&D above the floors and >= 3% intensity.
        meets_sn = (
            sme
            and real_revenue >= rules.specialised_new_min_revenue_m_yuan
            and self.rd_reported / m.firm_weight >= rules.specialised_new_min_rd_m_yuan
            and intensity >= rules.specialised_new_rd_intensity
        )
        validity = rules.validity_years
        self.sn_listed_year, self.sn_held, self.sn_new = _title(
            self.sn_listed_year, meets_sn, year, validity, self._recognition_year(year)
        )
        mean, sd = (
            m.rank_by_segment[self.make_segment] if self.is_mt else m.rank_by_sector[self.sector]
        )
        z = (self.log_productivity - mean) / sd
        # Little giant: a specialised-new SME growing >= 5% a year, its productivity rank
        # standing in for its niche share.
        meets_lg = (
            self.sn_held
            and sme
            and growth >= rules.little_giant_growth
            and intensity >= rules.little_giant_rd_intensity
            and z >= m.z_little_giant
        )
        self.lg_listed_year, self.lg_held, self.lg_new = _title(
            self.lg_listed_year, meets_lg, year, validity, self._recognition_year(year)
        )
        # Single champion: 400 m yuan or a little giant, and a top productivity rank.
        meets_sc = (
            (real_revenue >= rules.single_champion_min_revenue_m_yuan or self.lg_held)
            and intensity >= rules.little_giant_rd_intensity
            and z >= m.z_single_champion
        )
        self.sc_listed_year, self.sc_held, self.sc_new = _title(
            self.sc_listed_year, meets_sc, year, validity, self._recognition_year(year)
        )

    def _recognition_year(self, year: int) -> int:
        """The year a recognition now is listed in: this year, but in the first simulated
        year one of the last validity years, each as likely (the starting economy's titles
        were recognised over the years before it, not all at once)."""
        m = self.model
        validity = m.region.status.validity_years
        if year != m.scenario_params.start_year - m.scenario_params.spinup.years:
            return year
        return year - min(int(m.random.random() * validity), validity - 1)

    @property
    def log_productivity(self) -> float:
        """Log productivity for the title ranks (makers: their model's)."""
        if self.is_mt:
            return math.log(max(self.model_productivity, TINY))
        return math.log(max(self.process_productivity * self.machine_productivity, TINY))

    # ------------------------------------------------------------ 7. demography

    def net_worth(self) -> float:
        """Cash plus the book value of machines minus debt."""
        return self.cash + self.book_value() - self.debt


def _laplace(u: float) -> float:
    """A standard Laplace draw (mean 0, sd 1) from a uniform u in [0, 1), by inversion."""
    b = 1.0 / math.sqrt(2.0)  # the scale whose sd is 1
    if u < 0.5:
        return b * math.log(max(2.0 * u, 1e-300))
    return -b * math.log(2.0 * (1.0 - u))


def _title(
    listed_year: int, meets: bool, year: int, validity: int, recognised_in: int
) -> tuple[int, bool, bool]:
    """A title after this year's review: the year last on its list, held, newly held.

    Recognised when a firm without it meets the test; at the end of a recognition's validity
    reviewed: kept (listed again, in ``recognised_in``) if the test is met, lost if not; kept
    untested in between.
    """
    held_before = year - 1 - listed_year < validity
    if meets and year - listed_year >= validity:
        listed_year = recognised_in
    held = year - listed_year < validity
    return listed_year, held, held and not held_before


#: Per-firm flows of the year (reset by the rules that set them).
FLOWS = (
    "investment",
    "loans_new",
    "writeoff",
    "investment_replacement",
    "investment_expansion",
    "capacity_replaced",
    "renewal_eligible_loan",
    "machine_purchases",
    "machine_purchases_in_region",
    "machine_purchases_imported",
    "machine_purchases_unproven",
    "machine_purchases_first_set",
    "wages",
    "value_added",
    "employment",
    "depreciation",
    "interest",
    "vat",
    "cit",
    "profit_before_tax",
    "net_profit",
    "subsidy_received",
    "tax_expenditure_super_deduction",
    "tax_expenditure_high_tech",
    "tax_expenditure_listed_deduction",
    "tax_expenditure_vat_credit",
    "repayment",
    "dividends",
    "orders_inside",
    "sales_outside",
    "sales_abroad",
    "capacity_age",
    "unfilled",
)
