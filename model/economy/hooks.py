"""What the yearly rules ask of the policy: the hooks through which instruments change behaviour.

The economy does not know the instruments (they sit in the layer above, :mod:`model.policy`);
the engine holds an object with these methods, and the rules call them at the points where a
policy can act. :class:`model.policy.mix.PolicyMix` implements them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from model.economy.engine import Engine

__all__ = ["BuyerCost", "PolicyHooks"]

#: What model columns cost the buyers that weigh them, as in their choice of machines (rule 4):
#: (rows, buyers, columns) -> (capital cost, payback-weighted operating cost); a buyer's cost
#: of a model is their sum, and what a procurement route saves is a share of the first.
BuyerCost = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


class PolicyHooks(Protocol):
    """The policy as the rules see it, in the order the rules call it."""

    def initialise(self, eng: Engine) -> None:
        """Prepare for a batch of replicates (after the initial state is set)."""

    def rd_reward_rate(self, eng: Engine) -> np.ndarray | float:
        """Reward per yuan of R&D each firm expects (rule 2): (R, N), (R, 1) or a number."""

    def relabel_reported_rd(self, eng: Engine) -> None:
        """Relabel reported R&D in response to the policy, in place (rule 2)."""

    def risk_multiplier(self, eng: Engine, base: np.ndarray) -> np.ndarray:
        """Buyers' price multiplier on each maker's model for its risk (R, N) (rule 4).

        ``base`` is the economy's own (the perceived risk premium on unproven models); the
        policy may lower it, in place.
        """

    def override_choices(self, eng: Engine, choice: np.ndarray, cost: BuyerCost) -> np.ndarray:
        """Buyers' model choices after any procurement that overrides them, in place (rule 4).

        ``cost(rows, buyers, columns)`` is what each buyer's model column costs it, as the
        buyers weighed their offers (a procurement route is taken when it pays).
        """

    def eligible_replacement_age(self, eng: Engine) -> float:
        """Age above which replacing a cohort qualifies for support (rule 4)."""

    def financing_relief(self, eng: Engine) -> np.ndarray | float:
        """Financing relief per yuan of an eligible replacement (rule 4): (R, 1) or a number."""

    def after_investment(self, eng: Engine) -> None:
        """Act on the year's investment, e.g. commit loan subsidies (rule 4)."""

    def interest_relief(self, eng: Engine) -> np.ndarray | None:
        """Interest each firm does not pay this year, e.g. on re-lent loans (rule 6): (R, N)."""

    def reset_firms(self, eng: Engine, enter: np.ndarray) -> None:
        """Forget what the slots taken by entrants owed or were owed (rule 7)."""
