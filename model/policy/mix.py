"""The scenario's instruments behind the hooks the yearly rules call (:class:`PolicyMix`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.config.params import Scenario
from model.policy.first_set import FirstSetInstrument
from model.policy.rd_bonus import RDBonusInstrument
from model.policy.renewal_loans import RenewalLoansInstrument

if TYPE_CHECKING:
    from model.economy.engine import Engine

__all__ = ["PolicyMix"]


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
        """SOE single-source procurement (rule 4): the buyers' choices after it.

        The rule hands over its choices, so they are switched in place (no copy).
        """
        return self.first_set.procure(eng, choice, in_place=True)

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
        st = eng.state
        # Last year's subsidies are settled: their array takes this year's, in place. An
        # instrument that is off pays nothing and adds nothing (the total holds no -0.0).
        total = st.subsidy_received
        total.fill(0.0)
        for instrument in self.all:
            paid = instrument._pay(eng)
            if paid is not None:
                total += paid
            del paid
        relief = self.renewal_loans.relending_relief(eng)
        self.relending_cost = np.zeros(eng.R)
        if relief is not None:
            total += relief
            self.relending_cost = relief.sum(axis=1)
            del relief
        np.multiply(total, st.alive, out=total)
        self.renewal_loans.advance()

    def reset_firms(self, eng: Engine, enter: np.ndarray) -> None:
        """Clear instrument state of slots taken by entrants (rule 7)."""
        self.renewal_loans.reset_firms(enter)
        self.rd_bonus.reset_firms(enter)
