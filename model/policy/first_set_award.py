"""The province's first-set recognition award (首台套认定奖励) to makers.

The province pays the maker a one-off award for each first-set item it lists: 2 m, 1 m or
0.5 m yuan for an international, domestic or provincial first set, from its special fund
(FACTS.md E). Makers know the scheme, so a segment's makers expect the award at the rate their
segment earned it last year per yuan of R&D (rule 2): a small lift to the return on research.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from model.config.params import PAYERS, InstrumentParams, Scenario, p, sources
from model.config.schedule import Schedule
from model.config.units import TINY
from model.policy.base import Instrument

if TYPE_CHECKING:
    from model.economy.engine import Engine

__all__ = ["FirstSetAward", "FirstSetAwardParams"]


@dataclass(frozen=True, kw_only=True)
class FirstSetAwardParams(InstrumentParams):
    """The province's one-off award per recognised first-set item, paid to its maker."""

    award_m_yuan: tuple[float, float, float] = p(
        lo=0.0,
        unit="m yuan per item",
        doc="award for a provincial, domestic and international first set",
    )
    payer: Literal["central", "provincial", "county"] = "provincial"
    first_year: int = p(lo=1900, hi=2200, doc="first year whose listed items are awarded")
    budget_bn_yuan: Schedule = p(lo=0.0, unit="bn yuan/yr", doc="the special fund's awards")
    rationing: Literal["pro_rata", "largest_first", "smallest_first"] = "pro_rata"
    source: dict[str, str] = sources()


class FirstSetAward(Instrument):
    """The maker-side award per first-set item the province lists (its level's amount).

    Eligible: a maker whose new model the province listed this year (``first_set_recognised``),
    from ``first_year`` on; each simulated slot stands for ``firm_weight`` real makers, each
    with its item. Activity (for deadweight): the listing itself.
    """

    name = "first_set_award"
    Params = FirstSetAwardParams

    def __init__(self, params: FirstSetAwardParams, scenario: Scenario) -> None:
        super().__init__(params, scenario)
        self.rationing = params.rationing
        #: Last year's awards per yuan of reported R&D of each segment's makers (R, G).
        self.segment_rate: np.ndarray | None = None

    @classmethod
    def acts_in(cls, params: InstrumentParams, year: int) -> bool:
        """On, and items listed in ``year`` are awarded."""
        return bool(params.enabled) and year >= params.first_year

    def running(self, eng: Engine) -> bool:
        """Whether this year's listed items are awarded."""
        return self.enabled and eng.policy_year >= self.params.first_year

    def claims(self, eng: Engine):
        """Eligibility, claims and payer per firm (see ``Instrument.claims``)."""
        st = eng.state
        eligible = st.first_set_recognised & st.alive if self.running(eng) else None
        if eligible is None:
            eligible = np.zeros(st.alive.shape, dtype=bool)
        # Level 1, 2, 3 -> its award; a slot stands for firm_weight makers, each with an item.
        by_level = np.array([0.0, *self.params.award_m_yuan]) * eng.firm_weight
        claim = np.where(eligible, by_level[st.model_first_set_level], 0.0)
        payer = np.broadcast_to(np.intp(PAYERS.index(self.params.payer)), claim.shape)
        return eligible.copy(), claim, payer

    def budgets_m_yuan(self, eng: Engine) -> np.ndarray:
        """Budget per payer this year (see ``Instrument.budgets_m_yuan``)."""
        return self.budgets_from(eng, {self.params.payer: self.params.budget_bn_yuan})

    def activity(self, eng: Engine) -> np.ndarray:
        """What the award pays for: first sets listed this year (items per slot)."""
        st = eng.state
        return np.where(st.first_set_recognised & st.alive, eng.firm_weight, 0.0)

    def pay_claims(self, eng: Engine) -> np.ndarray | None:
        """Pay, then keep each segment's awards per yuan of R&D for next year's expectation."""
        paid = super().pay_claims(eng)
        if paid is None:
            self.segment_rate = None
            return None
        awards = eng.segment_sum(paid)
        block = eng.layout.machine_tool_block  # the makers' slots
        st = eng.state
        rd = eng.segment_sum_of_block(np.where(st.alive[:, block], st.rd_reported[:, block], 0.0))
        self.segment_rate = awards / np.maximum(rd, TINY)
        return paid

    def expected_rd_reward_rate(self, eng: Engine) -> np.ndarray | float:
        """Award per yuan of R&D a maker expects: what its segment earned last year (rule 2).

        Nothing is expected before the scheme's first year or by firms outside machine tools.
        """
        if not self.running(eng) or self.segment_rate is None:
            return 0.0
        return eng.segment_to_slots(self.segment_rate)

    def continue_from(self, previous: Instrument) -> None:
        """Last year's segment rates carry on with the firms."""
        super().continue_from(previous)
        rate = getattr(previous, "segment_rate", None)
        self.segment_rate = None if rate is None else rate.copy()
