"""What the yearly rules ask of the policy: the hooks through which instruments change behaviour.

The economy does not know the instruments (they sit in the layer above, :mod:`model.policy`);
the engine holds an object with these methods, and the rules call them at the points where a
policy can act. :class:`model.policy.mix.PolicyMix` implements them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from model.economy.engine import Engine

__all__ = ["PolicyHooks"]


class PolicyHooks(Protocol):
    """The policy as the rules see it, in the order the rules call it."""

    def initialise(self, eng: Engine) -> None:
        """Prepare for a batch of replicates (after the initial state is set)."""

    def rd_bonus_expected_rate(self, eng: Engine) -> np.ndarray | float:
        """Bonus per yuan of R&D each firm expects (rule 2): (R, N), (R, 1) or a number."""

    def bunch_reported_rd(self, eng: Engine) -> None:
        """Relabel reported R&D toward a bonus threshold, in place (rule 2)."""

    def insurance_cover(self, eng: Engine) -> np.ndarray:
        """Buyers' price multiplier on each maker's model for its risk (R, N) (rule 4)."""

    def procure_first_set(self, eng: Engine, choice: np.ndarray) -> np.ndarray:
        """Buyers' model choices after any procurement that overrides them (rule 4)."""

    def renewal_eligible_age(self, eng: Engine) -> float:
        """Age above which a replaced cohort's loan may be subsidised (rule 4)."""

    def financing_terms(self, eng: Engine) -> tuple[float, np.ndarray | float]:
        """Financing-cost multiplier of a purchase, and the relief on over-aged cohorts (rule 4)."""

    def after_investment(self, eng: Engine) -> None:
        """Act on the year's investment, e.g. commit loan subsidies (rule 4)."""

    def reset_firms(self, eng: Engine, enter: np.ndarray) -> None:
        """Forget what the slots taken by entrants owed or were owed (rule 7)."""
