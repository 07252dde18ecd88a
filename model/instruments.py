"""The three policy instruments: one family of small classes and the mix that runs them.

Each instrument has eligibility, a payout, a payer, a budget and a ledger, and every money
parameter may follow a year schedule. Each also has a behavioural channel through which
firms respond to it:

- ``RDBonus`` lowers the expected user cost of R&D of firms that qualified last year, and
  invites firms just below the thresholds to relabel ("bunch") reported R&D;
- ``FirstSet`` lowers buyers' risk premium on unproven first-set models through subsidised
  insurance, and makes SOE buyers place a quota of purchases by single-source procurement;
- ``RenewalLoans`` lowers the financing cost of replacing over-aged cohorts, so the payback
  rule scraps them earlier.

Seed 000 and FACTS.md A are the sources; the parameter files cite them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.params import PAYERS, FirstSet, RDBonus, RenewalLoans, Scenario

if TYPE_CHECKING:
    from model._state import Engine

TINY = 1e-12
M_YUAN_PER_BN = 1e3


def ration(claims: np.ndarray, budget: np.ndarray, rule: str) -> np.ndarray:
    """Pay claims (R, N) from a budget per replicate (R,) under a rationing rule.

    Args:
        claims: Amount each firm claims, >= 0.
        budget: Money available per replicate.
        rule: ``pro_rata`` scales every claim by budget / total claims;
            ``largest_first`` / ``smallest_first`` pay claims in that order until the
            budget runs out (the marginal claim is paid in part).

    Returns:
        Payments, never above the claims and summing to at most the budget.
    """
    total = claims.sum(axis=1)
    if rule == "pro_rata":
        scale = np.minimum(1.0, budget / np.maximum(total, TINY))
        return claims * scale[:, None]
    order = np.argsort(
        -claims if rule == "largest_first" else np.where(claims > 0, claims, np.inf),
        axis=1,
        kind="stable",
    )
    sorted_claims = np.take_along_axis(claims, order, axis=1)
    before = np.cumsum(sorted_claims, axis=1) - sorted_claims
    paid_sorted = np.clip(budget[:, None] - before, 0.0, sorted_claims)
    paid = np.empty_like(claims)
    np.put_along_axis(paid, order, paid_sorted, axis=1)
    return paid


class Instrument:
    """Base of the instrument family: budget, ledger and the year's payout."""

    name: str = ""

    def __init__(self, params, scenario: Scenario) -> None:
        self.params = params
        self.scenario = scenario
        self.enabled = bool(params.enabled)
        self.ledger: dict[str, list[np.ndarray]] = {
            "subsidy_paid": [],
            "budget": [],
            "firms_eligible": [],
            "firms_paid": [],
            "claims": [],
        }
        self.paid_by_payer: list[np.ndarray] = []
        self.last_paid = None

    def budgets_m_yuan(self, eng: Engine) -> np.ndarray:
        """Budget per payer this year (R, P), scaled to the simulated firm share."""
        raise NotImplementedError

    def claims(self, eng: Engine) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Eligibility (R, N), claims (R, N) and payer index per claim (R, N)."""
        raise NotImplementedError

    def pay(self, eng: Engine) -> np.ndarray:
        """Pay this year's claims from the payers' budgets and record the ledger."""
        R, N = eng.R, eng.layout.n_slots
        paid = np.zeros((R, N))
        by_payer = np.zeros((R, len(PAYERS)))
        budgets = np.zeros((R, len(PAYERS)))
        eligible = np.zeros((R, N), dtype=bool)
        claims = np.zeros((R, N))
        if self.enabled and not eng.spinning_up:
            eligible, claims, payer = self.claims(eng)
            claims = np.where(eligible & eng.state.alive, claims, 0.0)
            budgets = self.budgets_m_yuan(eng)
            for k in range(len(PAYERS)):
                mine = np.where(payer == k, claims, 0.0)
                if not mine.any():
                    continue
                got = ration(mine, budgets[:, k], self.rationing)
                paid += got
                by_payer[:, k] = got.sum(axis=1)
        self.last_paid = paid
        self.ledger["subsidy_paid"].append(paid.sum(axis=1))
        self.ledger["budget"].append(budgets.sum(axis=1))
        self.ledger["firms_eligible"].append(eligible.sum(axis=1).astype(float))
        self.ledger["firms_paid"].append((paid > 0).sum(axis=1).astype(float))
        self.ledger["claims"].append(claims.sum(axis=1))
        self.paid_by_payer.append(by_payer)
        return paid

    rationing = "pro_rata"

    def activity(self, eng: Engine) -> np.ndarray:
        """The firm behaviour the instrument pays for (R, N), defined with or without it."""
        raise NotImplementedError

    def supported(self) -> np.ndarray:
        """This year's payment to each firm for that behaviour (R, N)."""
        return self.last_paid

    def _scale(self, eng: Engine) -> float:
        # Budgets are province totals: money in the model is full-size at any firm scale.
        return M_YUAN_PER_BN


# ------------------------------------------------------------------- R&D bonus


class RDBonusInstrument(Instrument):
    """R&D bonus: reward rate x reported R&D up to a cap, for firms meeting seed 000's test.

    Eligible if reported R&D / revenue >= 3% and reported R&D grew >= 20%, or basic research
    > 10 m yuan (for the sectors the second route names: machine tools in seed 000).
    """

    name = "rd_bonus"

    def __init__(self, params: RDBonus, scenario: Scenario) -> None:
        super().__init__(params, scenario)
        self.rationing = params.rationing
        self.expected_rate: np.ndarray | None = None

    def _sector_mask(self, eng: Engine, names: tuple[str, ...]) -> np.ndarray:
        ids = [s.id for s in eng.region.sector]
        if not names:
            return np.ones(eng.layout.n_slots, dtype=bool)
        return np.isin(eng.layout.sector_of, [ids.index(n) for n in names])

    def eligibility(self, eng: Engine) -> np.ndarray:
        """Firms meeting the seed's test this year (R, N)."""
        p, st, year = self.params, eng.state, eng.year
        revenue = np.maximum(st.revenue, TINY)
        intensity = st.rd_reported / revenue
        growth = st.rd_reported / np.maximum(st.rd_reported_prev, TINY) - 1.0
        route_growth = (
            (intensity >= p.intensity_threshold.at(year) - 1e-12)
            & (growth >= p.growth_threshold.at(year) - 1e-12)
            & (st.rd_reported_prev > 0)
        )
        # A simulated firm stands for firm_weight identical real firms: per-firm thresholds
        # and caps apply to the real firm's share.
        route_basic = (
            st.basic_research / eng.firm_weight > p.basic_research_threshold_m_yuan.at(year)
        ) & self._sector_mask(eng, p.basic_research_route_sectors)
        return st.alive & self._sector_mask(eng, p.eligible_sectors) & (route_growth | route_basic)

    def claims(self, eng: Engine):
        """Eligibility, claims and payer per firm (see ``Instrument.claims``)."""
        p, year = self.params, eng.year
        eligible = self.eligibility(eng)
        claim = np.minimum(
            p.reward_rate.at(year) * eng.state.rd_reported,
            p.cap_per_firm_m_yuan.at(year) * eng.firm_weight,
        )
        payer = np.full(eligible.shape, PAYERS.index(p.payer))
        return eligible, claim, payer

    def budgets_m_yuan(self, eng: Engine) -> np.ndarray:
        """Budget per payer this year (see ``Instrument.budgets_m_yuan``)."""
        b = np.zeros((eng.R, len(PAYERS)))
        b[:, PAYERS.index(self.params.payer)] = self.params.budget_bn_yuan.at(
            eng.year
        ) * self._scale(eng)
        return b

    def activity(self, eng: Engine) -> np.ndarray:
        """What the bonus pays for: R&D (real: relabelling is not extra research)."""
        return eng.state.rd_real

    def expected_rate_for(self, eng: Engine) -> np.ndarray | float:
        """Bonus per yuan of R&D a firm expects: the rate it got last year (0 if none)."""
        if not self.enabled or eng.spinning_up or self.last_paid is None:
            return 0.0
        rd = np.maximum(eng.state.rd_reported, TINY)
        return np.minimum(self.last_paid / rd, self.params.reward_rate.at(eng.year))

    def bunch(self, eng: Engine) -> None:
        """Firms just below the intensity threshold relabel reported R&D up to it."""
        if not self.enabled or eng.spinning_up:
            return
        st, rd = eng.state, eng.scenario.rd
        threshold = self.params.intensity_threshold.at(eng.year)
        # R&D is set on last year's revenue, eligibility judged on this year's: firms aim at
        # the threshold on the revenue they expect (last year's growth continued).
        growth = np.clip(st.revenue / np.maximum(st.revenue_prev, TINY), 1.0, 1.5)
        revenue = np.maximum(st.revenue * growth, TINY)
        intensity = st.rd_reported / revenue
        u = eng.draw("bunching").random(st.alive.shape)
        near = (intensity < threshold) & (intensity >= threshold - rd.bunching_window)
        bunch = (
            st.alive
            & near
            & (u < rd.bunching_probability)
            & self._sector_mask(eng, self.params.eligible_sectors)
        )
        st.rd_reported = np.where(bunch, threshold * revenue, st.rd_reported)


# --------------------------------------------------------------------- first set


class FirstSetInstrument(Instrument):
    """First-set (首台套) insurance compensation and SOE single-source procurement.

    A first-set model is insured in its first years; the government pays a share of the
    premium. The national scheme covers firsts new to China (80% of a premium capped at 3%,
    <= 3 years); Zhejiang covers domestic firsts 80/70/60% and provincial firsts 70/60/50%
    of a premium capped at 2%, <= 5 m yuan a year per model, not combinable with the
    national support. The model's producer takes the better; the cover never exceeds 100%.
    Insurance removes part of the buyers' risk premium. SOE buyers place a quota of their
    purchases with unproven first-set models of their segment by single-source procurement.
    """

    name = "first_set"

    def __init__(self, params: FirstSet, scenario: Scenario) -> None:
        super().__init__(params, scenario)
        self.rationing = "pro_rata"

    def _shares(self, eng: Engine) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Government share of the premium under each scheme, and which applies (R, N)."""
        mt = eng.layout.machine_tool_block
        gov_rate = np.zeros(eng.state.alive.shape)
        use_provincial = np.zeros(eng.state.alive.shape, dtype=bool)
        first = np.zeros(eng.state.alive.shape, dtype=bool)
        # Only machine-tool makers have first-set models.
        gov_rate[:, mt], use_provincial[:, mt], first[:, mt] = self._maker_shares(eng, mt)
        return gov_rate, use_provincial, first

    def _maker_shares(self, eng: Engine, mt: slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``_shares`` for the machine-tool slots ``mt`` (R, M)."""
        p, st, year = self.params, eng.state, eng.year
        age = year - st.model_vintage[:, mt]  # 0 in the year the model appears
        first = st.model_first_set[:, mt] & st.alive[:, mt]
        national_level = st.model_first_set_level[:, mt] == 2
        rate = p.premium_rate
        national = np.zeros(first.shape)
        if p.national_insurance:
            # The national scheme covers first sets that are new to China.
            ok = first & national_level & (age < p.national_years)
            national = np.where(
                ok, p.national_cover.at(year) * min(rate, p.national_premium_rate_cap.at(year)), 0.0
            )
        provincial = np.zeros(first.shape)
        if p.provincial_insurance:
            # Zhejiang covers both levels, more for a domestic first, falling each year.
            domestic = np.asarray(p.provincial_cover_domestic_by_year)
            other = np.asarray(p.provincial_cover_by_year)
            n_years = len(other)
            idx = np.clip(age, 0, n_years - 1)
            cover = np.where(national_level, domestic[idx], other[idx])
            ok = first & (age < n_years)
            provincial = np.where(
                ok, cover * min(rate, p.provincial_premium_rate_cap.at(year)), 0.0
            )
        # Not combinable: the better scheme applies; the premium is paid at most once.
        use_provincial = provincial > national
        gov_rate = np.minimum(np.maximum(national, provincial), rate)
        return gov_rate, use_provincial, first

    def risk_multiplier(self, eng: Engine) -> np.ndarray:
        """Buyers' price multiplier on each Zhejiang model (R, N) for the risk of unproven ones."""
        st, sc = eng.state, eng.scenario
        premium = sc.innovation.unproven_risk_premium
        mt = eng.layout.machine_tool_block
        out = np.ones(st.alive.shape)
        unproven = st.model_unproven[:, mt]
        base = 1.0 + premium * unproven
        if not self.enabled or eng.spinning_up:
            out[:, mt] = base
            return out
        gov_rate, _, first = self._maker_shares(eng, mt)
        insured = first & (gov_rate > 0)
        p = self.params
        own_cost = p.premium_rate - gov_rate
        covered = 1.0 + unproven * (premium * (1.0 - p.premium_to_risk) + own_cost)
        out[:, mt] = np.where(insured, np.minimum(covered, base), base)
        return out

    def activity(self, eng: Engine) -> np.ndarray:
        """What the insurance pays for: sales of first-set models in their first years."""
        st = eng.state
        age = eng.year - st.model_vintage
        young = st.model_first_set & st.alive & (age < self.params.national_years)
        sales = st.orders_inside + st.sales_outside
        return np.where(
            young, np.minimum(sales, self.params.insured_value_cap_m_yuan * eng.firm_weight), 0.0
        )

    def claims(self, eng: Engine):
        """Eligibility, claims and payer per firm (see ``Instrument.claims``)."""
        st = eng.state
        gov_rate, use_provincial, first = self._shares(eng)
        sales = st.orders_inside + st.sales_outside
        insured = np.minimum(sales, self.params.insured_value_cap_m_yuan * eng.firm_weight)
        claim = gov_rate * insured
        cap = self.params.provincial_cap_m_yuan.at(eng.year) * eng.firm_weight
        claim = np.where(use_provincial, np.minimum(claim, cap), claim)
        payer = np.where(use_provincial, PAYERS.index("provincial"), PAYERS.index("central"))
        return first & (gov_rate > 0) & (sales > 0), claim, payer

    def budgets_m_yuan(self, eng: Engine) -> np.ndarray:
        """Budget per payer this year (see ``Instrument.budgets_m_yuan``)."""
        b = np.zeros((eng.R, len(PAYERS)))
        for payer, schedule in self.params.budget_bn_yuan.items():
            b[:, PAYERS.index(payer)] = schedule.at(eng.year) * self._scale(eng)
        return b

    def procure(self, eng: Engine, choice: np.ndarray) -> np.ndarray:
        """SOE buyers within the quota switch to an unproven first-set model of their segment."""
        if not self.enabled or eng.spinning_up:
            return choice
        st, lay = eng.state, eng.layout
        d = eng.draw("procurement")
        u_quota = d.random(st.alive.shape)
        u_pick = d.random(st.alive.shape)
        quota = self.params.soe_single_source_quota.at(eng.year)
        takes = lay.soe & st.alive & (u_quota < quota)
        out = choice.copy()
        candidate = st.alive & st.model_unproven & st.model_first_set
        for g, slots in enumerate(lay.segment_slots):
            buyers = takes & (lay.buy_segment == g)
            for r in range(eng.R):
                pool = slots[candidate[r, slots]]
                if len(pool) == 0:
                    continue
                who = np.flatnonzero(buyers[r])
                out[r, who] = pool[(u_pick[r, who] * len(pool)).astype(np.int64)]
        return out


# ------------------------------------------------------------------ renewal loans


class RenewalLoansInstrument(Instrument):
    """Equipment-renewal loan interest subsidy (设备更新贷款贴息) with re-lending.

    Loans that replace cohorts older than the eligible age get an interest subsidy for a
    number of years from a finite pool of new commitments each year. Variants: percentage
    points on the loan (the 2024 central scheme), a share of the LPR with a per-project cap
    (Shandong), or a capped one-off grant per project (Shanghai). Re-lending lowers the
    banks' funding cost of eligible loans, passed on as a lower rate.
    """

    name = "renewal_loans"

    def __init__(self, params: RenewalLoans, scenario: Scenario) -> None:
        super().__init__(params, scenario)
        self.schedule: np.ndarray | None = None  # (R, N, years ahead) committed payments
        self.fill_ratio: np.ndarray | float = 1.0  # per replicate: share of claims the pool met

    def _subsidy_per_yuan(self, eng: Engine) -> float:
        """Subsidy over the loan's life per yuan lent, before caps and rationing."""
        p, year = self.params, eng.year
        term = eng.scenario.investment.loan_term_years
        n = min(p.subsidy_years, term)
        outstanding_years = n - n * (n - 1) / (2.0 * term)  # straight amortisation
        if p.variant == "percentage_points":
            return p.subsidy_pp.at(year) * outstanding_years
        if p.variant == "share_of_lpr":
            return p.subsidy_share_of_lpr.at(year) * eng.exo.lpr * outstanding_years
        return p.grant_share.at(year)

    def eligible_age(self, eng: Engine) -> float:
        """Cohorts older than this are over-aged (inf during the spin-up).

        The classification holds whether or not the instrument is on, so a counterfactual
        run measures the same over-aged replacement the subsidy would have paid for.
        """
        if eng.spinning_up:
            return np.inf
        return self.params.eligible_age_years.at(eng.year)

    def activity(self, eng: Engine) -> np.ndarray:
        """What the instrument pays for: loans replacing over-aged cohorts this year."""
        return eng.state.renewal_eligible_loan

    def supported(self) -> np.ndarray:
        """Subsidy committed this year on each firm's loans."""
        return self.last_granted

    def rate_relief(self, eng: Engine) -> np.ndarray | float:
        """Expected financing relief per yuan of an eligible replacement, (R, 1) or 0."""
        if not self.enabled or eng.spinning_up:
            return 0.0
        term = eng.scenario.investment.loan_term_years
        relending = self.params.relending_rate_cut.at(eng.year) * (term + 1) / 2.0
        fill = np.broadcast_to(np.asarray(self.fill_ratio, dtype=float), (eng.R,))
        # No subsidy is expected in a year whose pool is empty (the scheme has ended).
        open_pool = float(self.params.pool_bn_yuan.at(eng.year) > 0)
        return (self._subsidy_per_yuan(eng) * fill * open_pool + relending)[:, None]

    def commit(self, eng: Engine) -> None:
        """Commit subsidies on this year's eligible loans from the pool."""
        st = eng.state
        p = self.params
        R, N = eng.R, eng.layout.n_slots
        n = p.subsidy_years
        if self.schedule is None:
            self.schedule = np.zeros((R, N, n))
        self.last_granted = np.zeros((R, N))
        if not self.enabled or eng.spinning_up:
            return
        total = self._subsidy_per_yuan(eng) * st.renewal_eligible_loan
        if p.variant != "percentage_points":
            total = np.minimum(total, p.cap_per_project_m_yuan.at(eng.year) * eng.firm_weight)
        pool = np.full(R, p.pool_bn_yuan.at(eng.year) * self._scale(eng))
        granted = ration(total, pool, "pro_rata")
        self.last_granted = granted
        want = total.sum(axis=1)
        self.fill_ratio = np.where(want > 0, granted.sum(axis=1) / np.maximum(want, TINY), 1.0)
        if p.variant == "capped_grant":
            self.schedule[:, :, 0] += granted
        else:
            self.schedule += granted[:, :, None] / n
        term = eng.scenario.investment.loan_term_years
        # Re-lending relief, as priced in the payback rule: the rate cut over the loan's life,
        # passed on when the loan is made.
        self.relending_relief = (
            self.params.relending_rate_cut.at(eng.year)
            * st.renewal_eligible_loan
            * (term + 1)
            / 2.0
        )

    def claims(self, eng: Engine):
        """Eligibility, claims and payer per firm (see ``Instrument.claims``)."""
        due = (
            self.schedule[:, :, 0] if self.schedule is not None else np.zeros(eng.state.alive.shape)
        )
        payer = np.full(due.shape, PAYERS.index(self.params.payer))
        return due > 0, due, payer

    def budgets_m_yuan(self, eng: Engine) -> np.ndarray:
        """Budget per payer this year (see ``Instrument.budgets_m_yuan``)."""
        # Commitments were rationed against the pool when made; payments due are honoured.
        b = np.zeros((eng.R, len(PAYERS)))
        b[:, PAYERS.index(self.params.payer)] = np.inf
        return b

    def advance(self) -> None:
        """Shift the committed payment schedule by one year."""
        if self.schedule is not None:
            self.schedule[:, :, :-1] = self.schedule[:, :, 1:].copy()
            self.schedule[:, :, -1] = 0.0

    def reset_firms(self, enter: np.ndarray) -> None:
        """A slot taken by a new firm carries no old commitments."""
        if self.schedule is not None:
            self.schedule[enter] = 0.0


# ------------------------------------------------------------------------- mix


class PolicyMix:
    """The scenario's instruments, behind the hooks the yearly rules call."""

    def __init__(self, scenario: Scenario) -> None:
        ins = scenario.instruments
        self.rd_bonus = RDBonusInstrument(ins.rd_bonus, scenario)
        self.first_set = FirstSetInstrument(ins.first_set, scenario)
        self.renewal_loans = RenewalLoansInstrument(ins.renewal_loans, scenario)
        self.all = (self.rd_bonus, self.first_set, self.renewal_loans)

    def initialise(self, eng: Engine) -> None:
        """Prepare ledgers for a batch (nothing to do: they start empty)."""

    # Hooks called by the rules, in process order.
    def rd_bonus_expected_rate(self, eng: Engine):
        """Expected bonus per yuan of R&D (rule 2)."""
        return self.rd_bonus.expected_rate_for(eng)

    def bunch_reported_rd(self, eng: Engine) -> None:
        """Relabelling toward the bonus threshold (rule 2)."""
        self.rd_bonus.bunch(eng)

    def insurance_cover(self, eng: Engine) -> np.ndarray:
        """Risk multiplier buyers apply to each Zhejiang model (rule 4)."""
        return self.first_set.risk_multiplier(eng)

    def procure_first_set(self, eng: Engine, choice: np.ndarray) -> np.ndarray:
        """SOE single-source procurement (rule 4): the buyers' choices after it."""
        return self.first_set.procure(eng, choice)

    def renewal_eligible_age(self, eng: Engine) -> float:
        """Age above which a replaced cohort's loan is eligible (rule 4)."""
        return self.renewal_loans.eligible_age(eng)

    def financing_terms(self, eng: Engine) -> tuple[float, np.ndarray | float]:
        """Price multiplier for the financing cost, and the relief on over-aged cohorts (rule 4).

        Cash has the loan rate as its opportunity cost, so every purchase carries the interest
        of a straight-amortised loan, r (T + 1) / 2 per yuan; replacing an over-aged cohort
        may earn an interest subsidy and re-lending relief.
        """
        inv = eng.scenario.investment
        base = 1.0 + eng.exo.loan_rate * (inv.loan_term_years + 1) / 2.0
        return base, self.renewal_loans.rate_relief(eng)

    def after_investment(self, eng: Engine) -> None:
        """Commit renewal-loan subsidies on this year's loans (rule 4)."""
        self.renewal_loans.commit(eng)

    def pay(self, eng: Engine) -> None:
        """Government pays every instrument from its payers' budgets (rule 8)."""
        total = np.zeros(eng.state.alive.shape)
        for instrument in self.all:
            total += instrument.pay(eng)
        relief = getattr(self.renewal_loans, "relending_relief", None)
        self.relending_cost = np.zeros(eng.R)
        if self.renewal_loans.enabled and not eng.spinning_up and relief is not None:
            total += relief
            self.relending_cost = relief.sum(axis=1)
            self.renewal_loans.relending_relief = None
        eng.state.subsidy_received = total * eng.state.alive
        self.renewal_loans.advance()

    def reset_firms(self, eng: Engine, enter: np.ndarray) -> None:
        """Clear instrument state of slots taken by entrants (rule 7)."""
        self.renewal_loans.reset_firms(enter)
        if self.rd_bonus.last_paid is not None:
            self.rd_bonus.last_paid = np.where(enter, 0.0, self.rd_bonus.last_paid)
