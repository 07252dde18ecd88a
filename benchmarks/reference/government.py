"""The government and its four instruments, as plain objects the firms consult.

Each instrument has eligibility, a claim per firm, a payer, a budget per payer and a
rationing rule (``model/instruments.py``, docs/ODD.md 3.4.7 and 3.4.12), and a behavioural
channel the firms' rules call: the expected R&D bonus and bunching (R&D), the insured risk
premium and SOE single-source procurement (machine choice), the renewal relief and its
commitments (investment). During the spin-up the status quo's instruments that act in the
base year run (``spinup_instruments``).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.reference.firm import FirmAgent
    from benchmarks.reference.model import ReferenceModel

TINY = 1e-12
M_YUAN_PER_BN = 1e3
PAYERS = ("central", "provincial", "county")


def ration(
    claims: list[tuple[FirmAgent, float]], budget: float, rule: str
) -> list[tuple[FirmAgent, float]]:
    """Pay (firm, claim) pairs from a budget: pro rata, or largest / smallest first."""
    total = sum(c for _, c in claims)
    if rule == "pro_rata":
        scale = min(1.0, budget / max(total, TINY))
        return [(firm, c * scale) for firm, c in claims]
    if rule == "largest_first":
        order = sorted(claims, key=lambda fc: -fc[1])
    else:
        order = sorted(claims, key=lambda fc: fc[1] if fc[1] > 0 else math.inf)
    paid, left = [], budget
    for firm, c in order:
        got = min(max(left, 0.0), c)
        paid.append((firm, got))
        left -= c
    return paid


class Instrument:
    """Budget, payers, rationing and the ledger of one instrument."""

    name = ""
    rationing = "pro_rata"

    def __init__(self, params, model: ReferenceModel) -> None:
        self.params = params
        self.model = model
        self.enabled = bool(params.enabled)
        self.paid_total = 0.0  # this year's payments, m yuan
        self.fill = [1.0] * len(PAYERS)  # share of last year's claims each payer paid

    @property
    def active(self) -> bool:
        """On (in the spin-up, the status quo's instruments that act in the base year are)."""
        return self.enabled

    def claims(self) -> list[tuple[FirmAgent, float, int]]:
        """This year's (firm, claim, payer index) of eligible live firms."""
        raise NotImplementedError

    def budgets(self) -> list[float]:
        """Budget per payer this year, m yuan."""
        raise NotImplementedError

    def pay(self) -> dict[FirmAgent, float]:
        """Pay the claims from each payer's budget; return firm -> payment."""
        paid: dict[FirmAgent, float] = {}
        self.paid_total = 0.0
        if not self.active:
            return paid
        claims = self.claims()
        budgets = self.budgets()
        self.fill = [1.0] * len(PAYERS)
        for k in range(len(PAYERS)):
            mine = [(firm, c) for firm, c, payer in claims if payer == k and c > 0.0]
            if not mine:
                continue
            # Both totals added in the same order (a pro-rata payment is its claim times the
            # same scale), so a budget that does not bind fills exactly 1.
            paid_by_k = claimed_by_k = 0.0
            for _, c in mine:
                claimed_by_k += c
            for firm, got in ration(mine, budgets[k], self.rationing):
                paid[firm] = paid.get(firm, 0.0) + got
                self.paid_total += got
                paid_by_k += got
            self.fill[k] = paid_by_k / max(claimed_by_k, TINY)
        return paid

    def expected_fill(self, payer: int) -> float:
        """Share of a claim on ``payer`` expected paid: last year's, none without a budget."""
        return self.fill[payer] if self.budgets()[payer] > 0 else 0.0


class RDBonus(Instrument):
    """R&D bonus: reward rate x reported R&D up to a cap, for firms meeting seed 000's test."""

    name = "rd_bonus"

    def __init__(self, params, model: ReferenceModel) -> None:
        super().__init__(params, model)
        self.rationing = params.rationing
        ids = [s.id for s in model.region.sector]
        self.eligible_sectors = (
            {ids.index(n) for n in params.eligible_sectors}
            if params.eligible_sectors
            else set(range(len(ids)))
        )
        routes = params.basic_research_route_sectors
        self.basic_route_sectors = (
            {ids.index(n) for n in routes} if routes else set(range(len(ids)))
        )

    def running(self) -> bool:
        """Whether the bonus is paid this year (the plan's years)."""
        return self.params.first_year <= self.model.policy_year <= self.params.last_year

    def on_offer(self) -> bool:
        """Active, running and with a budget this year: a bonus to aim at and expect."""
        return self.active and self.running() and self.model.at(self.params.budget_bn_yuan) > 0

    def expected_rate(self, firm: FirmAgent) -> float:
        """Bonus per yuan of R&D the firm expects: the rate it got last year, while offered."""
        if not self.on_offer():
            return 0.0
        return min(
            firm.rd_bonus_paid / max(firm.rd_reported, TINY), self.model.at(self.params.reward_rate)
        )

    def bunch(self, firm: FirmAgent) -> None:
        """A firm just short of the test may relabel reported R&D up to both thresholds."""
        if not self.on_offer() or firm.sector not in self.eligible_sectors:
            return
        m = self.model
        threshold = self.model.at(self.params.intensity_threshold)
        growth_threshold = self.model.at(self.params.growth_threshold)
        cap = 1.0 + m.scenario_params.rd.bunching_growth_cap
        growth = min(max(firm.revenue / max(firm.revenue_prev, TINY), 1.0), cap)
        revenue = max(firm.revenue * growth, TINY)
        needed = max(threshold * revenue, (1.0 + growth_threshold) * firm.rd_reported_prev)
        short = needed - firm.rd_reported
        window = m.scenario_params.rd.bunching_window * revenue
        if 0.0 < short <= window and firm.rd_reported_prev > 0.0:
            if m.random.random() < m.scenario_params.rd.bunching_probability:
                firm.rd_reported = needed

    def eligible(self, firm: FirmAgent) -> bool:
        """Seed 000's test: intensity and growth of reported R&D, or basic research."""
        p = self.params
        if firm.sector not in self.eligible_sectors:
            return False
        intensity = firm.rd_reported / max(firm.revenue, TINY)
        growth = firm.rd_reported / max(firm.rd_reported_prev, TINY) - 1.0
        route_growth = (
            intensity >= self.model.at(p.intensity_threshold) - 1e-12
            and growth >= self.model.at(p.growth_threshold) - 1e-12
            and firm.rd_reported_prev > 0
        )
        route_basic = (
            firm.sector in self.basic_route_sectors
            and firm.basic_research / self.model.firm_weight
            > self.model.at(p.basic_research_threshold_m_yuan)
        )
        return route_growth or route_basic

    def claims(self):
        p, m = self.params, self.model
        rate, cap = (
            self.model.at(p.reward_rate),
            self.model.at(p.cap_per_firm_m_yuan) * m.firm_weight,
        )
        payer = PAYERS.index(p.payer)
        if not self.running():
            return []
        candidates = m.agents.select(lambda f: f.sector in self.eligible_sectors)

        def base(f: FirmAgent) -> float:
            if p.base == "increment":
                return max(f.rd_reported - f.rd_reported_prev, 0.0)
            return f.rd_reported

        return [(f, min(rate * base(f), cap), payer) for f in candidates if self.eligible(f)]

    def budgets(self):
        b = [0.0] * len(PAYERS)
        b[PAYERS.index(self.params.payer)] = (
            self.model.at(self.params.budget_bn_yuan) * M_YUAN_PER_BN
        )
        return b


class FirstSet(Instrument):
    """First-set insurance (national or Zhejiang scheme) and SOE single-source procurement."""

    name = "first_set"

    def shares(self, firm: FirmAgent) -> tuple[float, bool]:
        """Government share of the premium rate on the firm's model, and whether Zhejiang pays."""
        if not firm.model_first_set:
            return 0.0, False
        p, year = self.params, self.model.year
        age = year - firm.model_vintage
        rate = p.premium_rate
        national_level = firm.model_first_set_level >= 2
        national = provincial = 0.0
        if p.national_insurance and national_level and age < p.national_years:
            national = self.model.at(p.national_cover) * min(
                rate, self.model.at(p.national_premium_rate_cap)
            )
        covers = {
            3: p.provincial_cover_international_by_year,
            2: p.provincial_cover_domestic_by_year,
        }.get(firm.model_first_set_level, p.provincial_cover_by_year)
        if p.provincial_insurance and age < len(covers):
            provincial = covers[min(max(age, 0), len(covers) - 1)] * min(
                rate, self.model.at(p.provincial_premium_rate_cap)
            )
        return min(max(national, provincial), rate), provincial > national

    def base_multiplier(self, firm: FirmAgent) -> float:
        """Buyers' price multiplier for the risk of an unproven model, with no cover."""
        premium = self.model.scenario_params.innovation.unproven_risk_premium
        return 1.0 + premium if firm.model_unproven else 1.0

    def risk_multiplier(self, firm: FirmAgent) -> float:
        """Buyers' price multiplier on the firm's model for the risk of an unproven model."""
        premium = self.model.scenario_params.innovation.unproven_risk_premium
        base = self.base_multiplier(firm)
        if not self.active:
            return base
        gov_rate, provincial = self.shares(firm)
        # As much of the government's share as its payer is expected to pay.
        gov_rate *= self.expected_fill(PAYERS.index("provincial" if provincial else "central"))
        if not (firm.model_first_set and gov_rate > 0):
            return base
        p = self.params
        covered = 1.0 + (
            premium * (1.0 - p.premium_to_risk) + p.premium_rate - gov_rate
            if firm.model_unproven
            else 0.0
        )
        return min(covered, base)

    def reward_open(self, firm: FirmAgent) -> bool:
        """Whether the application reward is open to the firm's sector."""
        names = self.params.application_sectors
        return not names or self.model.region.sector[firm.sector].id in names

    def procure(self, buyer: FirmAgent, choice, chosen_cost: float, cost_of):
        """A buyer to whom a first set costs less than its price may take one where it pays.

        A provincial SOE skips the tender; a buyer expecting the application reward (on a
        purchase as big as last year's, as far as the provincial budget paid last year)
        counts it. The cheapest unproven first set of its
        segment is taken when, so discounted, it costs no more than the buyer's choice.
        """
        p, m = self.params, self.model
        if not self.active:
            return choice
        keep, considers = 1.0, False
        if (
            p.soe_single_source
            and m.policy_year >= p.single_source_first_year
            and buyer.slot.provincial_soe
        ):
            keep *= 1.0 - m.at(p.single_source_saving)
            considers = True
        share = m.at(p.application_reward_share)
        big = buyer.machine_purchases > p.application_threshold_m_yuan * m.firm_weight
        if share > 0 and big and self.reward_open(buyer):
            # The province's reward, expected as far as its budget paid last year.
            cap = m.at(p.application_reward_cap_m_yuan) * m.firm_weight
            rate = min(share, cap / max(buyer.machine_purchases, TINY))
            rate *= self.expected_fill(PAYERS.index("provincial"))
            if rate > 0:
                keep *= 1.0 - rate
                considers = True
        pool = m.first_set_candidates[buyer.buy_segment]
        if not considers or not pool:
            return choice
        # What the route and the reward save is a share of the purchase, not of running costs.
        costs = [capital * keep + running for capital, running in map(cost_of, pool)]
        k = costs.index(min(costs))  # the first of equally cheap ones
        return pool[k] if costs[k] <= chosen_cost else choice

    def record_applications(self) -> None:
        """Buyers' application rewards on this year's purchases of unproven first sets."""
        p, m = self.params, self.model
        self.applications = {}
        if not self.active:
            return
        share = m.at(p.application_reward_share)
        cap = m.at(p.application_reward_cap_m_yuan) * m.firm_weight
        for f in m.agents:
            bought = f.machine_purchases_first_set
            if bought > p.application_threshold_m_yuan * m.firm_weight and self.reward_open(f):
                self.applications[f] = min(share * bought, cap)

    def claims(self):
        p, m = self.params, self.model
        cap = p.insured_value_cap_m_yuan * m.firm_weight
        provincial_cap = self.model.at(p.provincial_cap_m_yuan) * m.firm_weight
        out = []
        for firm in m.machine_tool_firms:
            gov_rate, use_provincial = self.shares(firm)
            sales = firm.orders_inside + firm.sales_outside
            if not (firm.model_first_set and gov_rate > 0 and sales > 0):
                continue
            claim = gov_rate * min(sales, cap)
            if use_provincial:
                out.append((firm, min(claim, provincial_cap), PAYERS.index("provincial")))
            else:
                out.append((firm, claim, PAYERS.index("central")))
        # Buyers' application rewards, from the province (a maker with an insurance claim is
        # paid both by that claim's payer, as the fast model pays one payer per firm).
        insured = {firm: k for k, (firm, _, _) in enumerate(out)}
        for firm, reward in getattr(self, "applications", {}).items():
            if firm in insured:
                f, c, payer = out[insured[firm]]
                out[insured[firm]] = (f, c + reward, payer)
            else:
                out.append((firm, reward, PAYERS.index("provincial")))
        return out

    def budgets(self):
        b = [0.0] * len(PAYERS)
        for payer, schedule in self.params.budget_bn_yuan.items():
            b[PAYERS.index(payer)] = self.model.at(schedule) * M_YUAN_PER_BN
        return b


class RenewalLoans(Instrument):
    """Equipment-renewal loan interest subsidy from a yearly pool, with re-lending relief."""

    name = "renewal_loans"

    def __init__(self, params, model: ReferenceModel) -> None:
        super().__init__(params, model)
        self.fill_ratio = 1.0  # share of last round's claims the pool met
        self.relending_cost = 0.0

    def subsidy_per_yuan(self) -> float:
        """Subsidy over a loan's life per yuan lent, before caps and rationing."""
        p, m = self.params, self.model
        outstanding_years = sum(self.balance_shares(p.subsidy_years))
        if p.variant == "percentage_points":
            return self.model.at(p.subsidy_pp) * outstanding_years
        if p.variant == "share_of_lpr":
            return self.model.at(p.subsidy_share_of_lpr) * m.lpr * outstanding_years
        return self.model.at(p.grant_share)

    def eligible_age(self) -> float:
        """Replaced cohorts older than this are over-aged (never in a spin-up without loans)."""
        if self.model.spinning_up and not self.enabled:
            return math.inf
        return self.model.at(self.params.eligible_age_years)

    def rate_relief(self) -> float:
        """Expected financing relief per yuan of an over-aged cohort's replacement."""
        if not self.active:
            return 0.0
        p = self.params
        relending = self.model.at(p.relending_rate_cut) * sum(
            self.balance_shares(p.relending_years)
        )
        open_pool = float(self.model.at(self.params.pool_bn_yuan) > 0)
        return self.subsidy_per_yuan() * self.fill_ratio * open_pool + relending

    def draw_listing(self) -> None:
        """Whose renewal project is on this year's NDRC/MIIT list (none when off)."""
        share = self.model.at(self.params.listed_project_share)
        for firm in self.model.agents:
            firm.renewal_listed = self.active and self.model.random.random() < share

    def balance_shares(self, years: int) -> list[float]:
        """A loan's balance in each of its first ``years`` years, per yuan lent (firms repay
        1/T of the balance a year, ``Firm.settle_cash``)."""
        term = self.model.scenario_params.investment.loan_term_years
        return [(1.0 - 1.0 / term) ** k for k in range(years)]

    def commit(self) -> None:
        """Commit subsidies on this year's eligible loans from the pool (rule 4)."""
        m = self.model
        p = self.params
        if not self.active:
            return
        per_yuan = self.subsidy_per_yuan()
        cap = self.model.at(p.cap_per_project_m_yuan) * m.firm_weight
        claims = []
        for firm in m.agents:
            total = per_yuan * firm.renewal_eligible_loan * firm.renewal_listed
            if p.variant != "percentage_points":
                total = min(total, cap)
            claims.append((firm, total))
        want = sum(c for _, c in claims)
        granted = ration(claims, self.model.at(p.pool_bn_yuan) * M_YUAN_PER_BN, "pro_rata")
        got = sum(g for _, g in granted)
        self.fill_ratio = got / max(want, TINY) if want > 0 else 1.0
        n = p.subsidy_years
        for firm, g in granted:
            if p.variant == "capped_grant":
                firm.renewal_schedule[0] += g
            else:
                for k in range(n):
                    firm.renewal_schedule[k] += g / n
        # Re-lending: a lower rate on the eligible loans while it funds them (their balance).
        cut = self.model.at(p.relending_rate_cut)
        if cut > 0.0:
            for firm in m.agents:
                for k, share in enumerate(self.balance_shares(p.relending_years)):
                    firm.relending_schedule[k] += (
                        cut * share * firm.renewal_eligible_loan * firm.renewal_listed
                    )

    def interest_relief(self, firm: FirmAgent) -> float:
        """The interest the firm does not pay this year on its re-lent loans."""
        return firm.relending_schedule[0] if self.active else 0.0

    def claims(self):
        payer = PAYERS.index(self.params.payer)
        return [
            (f, f.renewal_schedule[0], payer)
            for f in self.model.agents
            if f.renewal_schedule[0] > 0
        ]

    def budgets(self):
        return [math.inf] * len(PAYERS)  # commitments were rationed when made


class FirstSetAward(Instrument):
    """Zhejiang's one-off award to the maker of each first-set item listed this year."""

    name = "first_set_award"

    def __init__(self, params, model: ReferenceModel) -> None:
        super().__init__(params, model)
        self.rationing = params.rationing
        self.segment_rate: list[float] | None = None  # last year's awards per yuan of R&D

    def awarding(self) -> bool:
        """On, and this year's listed items are awarded."""
        return self.enabled and self.model.policy_year >= self.params.first_year

    def claims(self):
        if not self.awarding():
            return []
        m, p = self.model, self.params
        payer = PAYERS.index(p.payer)
        return [
            (f, p.award_m_yuan[f.model_first_set_level - 1] * m.firm_weight, payer)
            for f in m.machine_tool_firms
            if f.first_set_recognised
        ]

    def budgets(self):
        b = [0.0] * len(PAYERS)
        b[PAYERS.index(self.params.payer)] = (
            self.model.at(self.params.budget_bn_yuan) * M_YUAN_PER_BN
        )
        return b

    def keep_rate(self, paid: dict) -> None:
        """Each segment's awards per yuan of its makers' reported R&D, for next year."""
        if not self.enabled:
            self.segment_rate = None
            return
        awards, rd = [0.0] * 3, [0.0] * 3
        for f in self.model.machine_tool_firms:
            awards[f.make_segment] += paid.get(f, 0.0)
            rd[f.make_segment] += f.rd_reported
        self.segment_rate = [a / max(r, TINY) for a, r in zip(awards, rd, strict=True)]

    def expected_rate(self, firm: FirmAgent) -> float:
        """A maker expects what its segment earned per yuan of R&D last year."""
        if not (self.awarding() and firm.is_mt) or self.segment_rate is None:
            return 0.0
        return self.segment_rate[firm.make_segment]


def spinup_instruments(scenario):
    """The instruments the spin-up runs: each as before the plan, off unless it acts in the
    base year (the R&D bonus in its years, the renewal loans with a pool or re-lending)."""
    before = scenario.status_quo_instruments()
    year = scenario.region.base_year.year
    acts = {
        "rd_bonus": lambda p: p.first_year <= year <= p.last_year,
        "first_set": lambda p: True,
        "renewal_loans": lambda p: p.pool_bn_yuan.at(year) > 0 or p.relending_rate_cut.at(year) > 0,
        "first_set_award": lambda p: year >= p.first_year,
    }
    off = {
        name: dataclasses.replace(getattr(before, name), enabled=False, as_before_plan=False)
        for name, test in acts.items()
        if not (getattr(before, name).enabled and test(getattr(before, name)))
    }
    return dataclasses.replace(before, **off)


class Government:
    """The instruments and the yearly payment of their claims (rule 8)."""

    def __init__(self, model: ReferenceModel, instruments=None) -> None:
        ins = instruments if instruments is not None else model.scenario_params.instruments
        self.model = model
        self.rd_bonus = RDBonus(ins.rd_bonus, model)
        self.first_set = FirstSet(ins.first_set, model)
        self.renewal_loans = RenewalLoans(ins.renewal_loans, model)
        self.first_set_award = FirstSetAward(ins.first_set_award, model)
        # In the fast model's registry order.
        self.instruments = (self.rd_bonus, self.first_set, self.renewal_loans, self.first_set_award)
        self.relending_cost = 0.0

    def financing_multiplier(self) -> float:
        """Interest per yuan over a loan's life: every purchase carries it.

        Firms repay 1/T of the balance a year (``Firm.settle_cash``), so a yuan lent is
        outstanding sum_k (1 - 1/T)^k = T loan-years.
        """
        inv = self.model.scenario_params.investment
        return 1.0 + self.model.loan_rate * inv.loan_term_years

    def pay(self) -> None:
        """Pay every instrument's claims; firms receive them plus any re-lending relief."""
        m = self.model
        payments = [ins.pay() for ins in self.instruments]
        rd_paid = payments[0]
        self.first_set_award.keep_rate(payments[3])
        self.relending_cost = 0.0
        for firm in m.agents:
            total = sum(p.get(firm, 0.0) for p in payments)
            self.relending_cost += self.renewal_loans.interest_relief(firm)
            relief = firm.relending_schedule
            relief.pop(0)
            relief.append(0.0)
            firm.subsidy_received = total
            firm.rd_bonus_paid = rd_paid.get(firm, 0.0)
            schedule = firm.renewal_schedule
            schedule.pop(0)
            schedule.append(0.0)
