"""The scenario's instruments behind the hooks the yearly rules call (:class:`PolicyMix`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.config.params import Scenario
from model.economy.sectors import slot_sums
from model.policy.base import Instrument
from model.policy.registry import instruments

if TYPE_CHECKING:
    from model.economy.engine import Engine
    from model.economy.hooks import BuyerCost
    from model.economy.layout import SlotLayout

__all__ = ["PolicyMix"]


def _combined(values: list) -> np.ndarray | float | None:
    """The instruments' contributions added up; one contribution is returned as it is."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    total = values[0]
    for v in values[1:]:
        total = total + v
    return total


class PolicyMix:
    """The scenario's instruments (every registered one, on or off) behind the rules' hooks.

    Implements :class:`model.economy.hooks.PolicyHooks` by asking each instrument in registry
    order; an instrument that does not act through a hook leaves it unchanged.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.all: tuple[Instrument, ...] = tuple(
            cls(getattr(scenario.instruments, cls.name), scenario) for cls in instruments()
        )
        #: Support paid outside every instrument's budget this year (re-lending relief), (R,).
        self.off_budget_cost: np.ndarray | None = None

    def __getattr__(self, name: str) -> Instrument:
        """The instrument of that name, e.g. ``mix.rd_bonus``."""
        if name.startswith("_") or "all" not in self.__dict__:
            raise AttributeError(name)
        for ins in self.all:
            if ins.name == name:
                return ins
        raise AttributeError(f"no instrument or attribute {name!r}")

    def expand(self, part: SlotLayout, to: SlotLayout) -> None:
        """Each instrument's per-slot arrays into a larger layout (``Instrument.expand``)."""
        for ins in self.all:
            ins.expand(part, to)

    def initialise(self, eng: Engine) -> None:
        """Prepare ledgers for a batch (nothing to do: they start empty)."""

    # Hooks called by the rules, in process order.
    def rd_reward_rate(self, eng: Engine) -> np.ndarray | float:
        """Reward per yuan of R&D firms expect (rule 2): (R, N), (R, 1) or a number."""
        rate = _combined([ins.expected_rd_reward_rate(eng) for ins in self.all])
        return 0.0 if rate is None else rate

    def relabel_reported_rd(self, eng: Engine) -> None:
        """Relabelling of reported R&D in response to the instruments (rule 2)."""
        for ins in self.all:
            ins.relabel_reported_rd(eng)

    def risk_multiplier(self, eng: Engine, base: np.ndarray) -> np.ndarray:
        """Buyers' risk multiplier on each maker's model after the instruments (rule 4)."""
        for ins in self.all:
            base = ins.adjust_risk_multiplier(eng, base)
        return base

    def override_choices(self, eng: Engine, choice: np.ndarray, cost: BuyerCost) -> np.ndarray:
        """Buyers' model choices after any procurement that overrides them (rule 4)."""
        for ins in self.all:
            choice = ins.override_choices(eng, choice, cost)
        return choice

    def eligible_replacement_age(self, eng: Engine) -> float:
        """Age above which replacing a cohort qualifies for an instrument (rule 4)."""
        return min((ins.eligible_replacement_age(eng) for ins in self.all), default=np.inf)

    def interest_relief(self, eng: Engine) -> np.ndarray | None:
        """Interest each firm does not pay this year (rule 6): (R, N), or None."""
        return _combined([ins.interest_relief(eng) for ins in self.all])

    def financing_relief(self, eng: Engine) -> np.ndarray | float:
        """Financing relief per yuan of an eligible replacement (rule 4)."""
        relief = _combined([ins.financing_relief(eng) for ins in self.all])
        return 0.0 if relief is None else relief

    def after_investment(self, eng: Engine) -> None:
        """Let the instruments act on the year's investment (rule 4)."""
        for ins in self.all:
            ins.after_investment(eng)

    def pay(self, eng: Engine) -> None:
        """Government pays every instrument from its payers' budgets (rule 8).

        Then the cost outside any budget (the interest relief rule 6 took off the firms'
        interest, e.g. re-lending) is booked, and each instrument moves its own state on to the
        next year.
        """
        st = eng.state
        # Last year's subsidies are settled: their array takes this year's, in place. An
        # instrument that is off pays nothing and adds nothing (the total holds no -0.0).
        total = st.subsidy_received
        total.fill(0.0)
        for ins in self.all:
            paid = ins.pay_claims(eng)
            if paid is not None:
                total += paid
            del paid
        relief = self.interest_relief(eng)
        self.off_budget_cost = np.zeros(eng.R) if relief is None else slot_sums(relief)
        np.multiply(total, st.alive, out=total)
        for ins in self.all:
            ins.end_year()

    def rescale(self, eng: Engine, factor: np.ndarray) -> None:
        """Follow the spin-up's rescaling by sector (R, S) in every instrument's money state."""
        by_slot = factor[:, eng.layout.sector_of]
        for ins in self.all:
            ins.rescale(by_slot)

    def continue_from(self, previous: PolicyMix) -> None:
        """Each instrument takes over its namesake's state in the mix this one continues."""
        for ins in self.all:
            ins.continue_from(getattr(previous, ins.name))

    def reset_firms(self, eng: Engine, enter: np.ndarray) -> None:
        """Clear instrument state of slots taken by entrants (rule 7)."""
        for ins in self.all:
            ins.reset_firms(enter)
