"""The R&D bonus (研发奖励) of seed 000: a reward on reported R&D for firms meeting its test.

"按一定比例" rewards a proportion of R&D: of all reported R&D (``base = "total"``) or of its
increase on the year before (``base = "increment"``), over the plan's years. Firms respond in
two ways: a firm that qualified expects the reward again while the scheme runs, which lowers
its expected user cost of R&D (rule 2), and firms just short of the test may relabel
("bunch") reported R&D up to both of its thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from model.config.params import PAYERS, InstrumentParams, Scenario, p, sources
from model.config.schedule import Schedule
from model.config.units import THRESHOLD_SLACK, TINY
from model.economy.streams import slot_uniform_below
from model.policy.base import Instrument

if TYPE_CHECKING:
    from model.economy.engine import Engine

__all__ = ["RDBonus", "RDBonusParams"]


@dataclass(frozen=True, kw_only=True)
class RDBonusParams(InstrumentParams):
    """R&D bonus (研发奖励) of seed 000."""

    payer: Literal["central", "provincial", "county"] = "county"
    intensity_threshold: Schedule = p(lo=0.0, hi=1.0, doc="reported R&D / revenue >=")
    growth_threshold: Schedule = p(lo=-1.0, hi=10.0, doc="reported R&D growth >=")
    basic_research_threshold_m_yuan: Schedule = p(lo=0.0, unit="m yuan", doc="basic research >")
    basic_research_route_sectors: tuple[str, ...] = p(
        doc="sectors whose firms may qualify by basic research (sector ids)"
    )
    eligible_sectors: tuple[str, ...] = p((), doc="sectors whose firms may qualify; () = all")
    reward_rate: Schedule = p(lo=0.0, hi=1.0, doc="share of the base rewarded")
    base: Literal["total", "increment"] = p(
        "total", doc="what the rate applies to: all reported R&D, or its increase on last year"
    )
    first_year: int = p(lo=1900, hi=2200, doc="first year the bonus is paid")
    last_year: int = p(lo=1900, hi=2200, doc="last year the bonus is paid")
    cap_per_firm_m_yuan: Schedule = p(lo=0.0, unit="m yuan")
    budget_bn_yuan: Schedule = p(lo=0.0, unit="bn yuan/yr")
    rationing: Literal["pro_rata", "largest_first", "smallest_first"] = "pro_rata"
    source: dict[str, str] = sources()


class RDBonus(Instrument):
    """R&D bonus: reward rate x its base up to a cap, for firms meeting seed 000's test.

    Eligible if reported R&D / revenue >= 3% and reported R&D grew >= 20%, or basic research
    > 10 m yuan (for the sectors the second route names: machine tools in seed 000).
    """

    name = "rd_bonus"
    Params = RDBonusParams

    def __init__(self, params: RDBonusParams, scenario: Scenario) -> None:
        super().__init__(params, scenario)
        self.rationing = params.rationing
        self.expected_rate: np.ndarray | None = None

    def _sector_mask(self, eng: Engine, names: tuple[str, ...]) -> np.ndarray:
        """Slots of the named sectors as a mask (N,); every slot if none are named."""
        mask = np.zeros(eng.layout.n_slots, dtype=bool)
        mask[eng.layout.sector_slots(names)] = True
        return mask

    def eligibility(self, eng: Engine) -> np.ndarray:
        """Firms meeting the seed's test this year (R, N)."""
        p, st, year = self.params, eng.state, eng.policy_year
        eligible = np.zeros(st.alive.shape, dtype=bool)
        # Only firms of the eligible sectors can qualify: the test runs on their slots alone.
        slots = eng.layout.sector_slots(p.eligible_sectors)
        rd, rd_prev = st.rd_reported[:, slots], st.rd_reported_prev[:, slots]
        route_growth = (
            rd / np.maximum(st.revenue[:, slots], TINY)
            >= p.intensity_threshold.at(year) - THRESHOLD_SLACK
        )
        route_growth &= (
            rd / np.maximum(rd_prev, TINY) - 1.0 >= p.growth_threshold.at(year) - THRESHOLD_SLACK
        )
        route_growth &= rd_prev > 0
        # A simulated firm stands for firm_weight identical real firms: per-firm thresholds
        # and caps apply to the real firm's share.
        basic_per_real_firm = st.basic_research[:, slots] / eng.firm_weight
        route_basic = basic_per_real_firm > p.basic_research_threshold_m_yuan.at(year)
        del basic_per_real_firm
        route_basic &= self._sector_mask(eng, p.basic_research_route_sectors)[slots]
        route_growth |= route_basic
        route_growth &= st.alive[:, slots]
        eligible[:, slots] = route_growth
        return eligible

    @classmethod
    def acts_in(cls, params: InstrumentParams, year: int) -> bool:
        """On, and ``year`` is one of the years it is paid."""
        return bool(params.enabled) and params.first_year <= year <= params.last_year

    def running(self, year: int) -> bool:
        """Whether the bonus is paid in ``year`` (the plan's years)."""
        return self.params.first_year <= year <= self.params.last_year

    def on_offer(self, year: int) -> bool:
        """On, running in ``year`` and with a budget: a bonus firms can aim at and expect."""
        return self.enabled and self.running(year) and self.params.budget_bn_yuan.at(year) > 0

    def claims(self, eng: Engine):
        """Eligibility, claims and payer per firm (see ``Instrument.claims``)."""
        p, year, st = self.params, eng.policy_year, eng.state
        # Outside the plan's years no firm is eligible: the test need not run.
        eligible = self.eligibility(eng) if self.running(year) else np.zeros(st.alive.shape, bool)
        if p.base == "increment":
            claim = p.reward_rate.at(year) * np.maximum(st.rd_reported - st.rd_reported_prev, 0.0)
        else:
            claim = p.reward_rate.at(year) * st.rd_reported
        np.minimum(claim, p.cap_per_firm_m_yuan.at(year) * eng.firm_weight, out=claim)
        # One payer for every claim: a read-only view, no per-firm array.
        payer = np.broadcast_to(np.intp(PAYERS.index(p.payer)), eligible.shape)
        return eligible, claim, payer

    def budgets_m_yuan(self, eng: Engine) -> np.ndarray:
        """Budget per payer this year (see ``Instrument.budgets_m_yuan``)."""
        return self.budgets_from(eng, {self.params.payer: self.params.budget_bn_yuan})

    def activity(self, eng: Engine) -> np.ndarray:
        """What the bonus pays for: R&D (real: relabelling is not extra research)."""
        return eng.state.rd_real

    def expected_rd_reward_rate(self, eng: Engine) -> np.ndarray | float:
        """Bonus per yuan of R&D a firm expects: the rate it got last year (0 if none).

        Nothing is expected in a year the bonus is not paid (the plan's years are announced)
        or has no budget. Under the increment base the rate per yuan of R&D is what last
        year's reward was per yuan of last year's R&D, as under the total base.
        """
        if self._paid is None or not self.on_offer(eng.policy_year):
            return 0.0
        rate = self.params.reward_rate.at(eng.policy_year)
        paid = self._paid
        if paid.full is not None:
            rd = np.maximum(eng.state.rd_reported, TINY)
            return np.minimum(paid.full / rd, rate)
        # A firm paid nothing expects min(0 / R&D, rate) = min(0, rate) (reported R&D is never
        # NaN): only the few firms paid need a rate of their own.
        rest = float(np.minimum(0.0, rate))
        if len(paid.index) == 0:
            return rest
        out = np.full(paid.shape, rest)
        rd = np.maximum(np.take(eng.state.rd_reported, paid.index), TINY)
        out.reshape(-1)[paid.index] = np.minimum(paid.entries / rd, rate)
        return out

    def relabel_reported_rd(self, eng: Engine) -> None:
        """Firms just short of the test relabel reported R&D up to both of its thresholds.

        A firm that may bunch (a draw of ``rd.bunching_probability``) and whose reported R&D
        is short of max(intensity threshold x expected revenue, (1 + growth threshold) x last
        year's reported R&D) by at most ``rd.bunching_window`` x expected revenue reports
        that much. A firm with no reported R&D last year cannot pass the growth test. In a
        year with no budget there is no bonus to claim, so nobody relabels.
        """
        year = eng.policy_year
        if not self.on_offer(year):
            return
        st, rd = eng.state, eng.scenario.rd
        threshold = self.params.intensity_threshold.at(year)
        growth_threshold = self.params.growth_threshold.at(year)
        # Every slot draws, so the numbers do not depend on who may bunch; the rest is
        # computed on the live firms of the eligible sectors that drew a bunching chance.
        may = slot_uniform_below(
            eng.stream_keys("bunching"), eng.layout.slot_id, rd.bunching_probability
        )
        may &= st.alive
        may &= self._sector_mask(eng, self.params.eligible_sectors)
        r, n = np.nonzero(may)
        del may
        # R&D is set on last year's revenue, eligibility judged on this year's: firms aim at
        # the threshold on the revenue they expect (last year's growth continued).
        revenue_now = st.revenue[r, n]
        growth = np.clip(
            revenue_now / np.maximum(st.revenue_prev[r, n], TINY), 1.0, 1.0 + rd.bunching_growth_cap
        )
        revenue = np.maximum(revenue_now * growth, TINY)
        previous = st.rd_reported_prev[r, n]
        needed = np.maximum(threshold * revenue, (1.0 + growth_threshold) * previous)
        short = needed - st.rd_reported[r, n]
        near = (short > 0.0) & (short <= rd.bunching_window * revenue) & (previous > 0.0)
        st.rd_reported[r[near], n[near]] = needed[near]

    def reset_firms(self, enter: np.ndarray) -> None:
        """A slot taken by a new firm was paid nothing last year."""
        if self._paid is not None:
            self._paid = self._paid.cleared(enter)
