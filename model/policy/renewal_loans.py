"""Equipment-renewal loan interest subsidies (设备更新贷款贴息) and re-lending.

The subsidy and the re-lending rate cut lower the financing cost of replacing over-aged
cohorts, so the payback rule scraps them earlier (rule 4). The subsidy is paid to the firm;
re-lending is a lower interest rate on the eligible loans while the central bank funds them
(its 1-year term with two rollovers), which the firm's accounts see as lower interest (rule 6)
and the central bank bears. Sources: FACTS.md A.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from model.config.params import PAYERS, InstrumentParams, Scenario, p, sources
from model.config.schedule import Schedule
from model.config.units import TINY
from model.economy.compiled import njit
from model.economy.loans import balance_per_yuan, loan_years_per_yuan
from model.economy.streams import slot_uniform_below
from model.policy.base import Instrument, pro_rata_share
from model.policy.ledgers import CompactSlots, clear_schedule, is_entry, shift_schedule

if TYPE_CHECKING:
    from model.economy.engine import Engine

__all__ = ["RenewalLoans", "RenewalLoansParams"]


@dataclass(frozen=True, kw_only=True)
class RenewalLoansParams(InstrumentParams):
    """Equipment-renewal loan interest subsidy (设备更新贷款贴息) and re-lending."""

    variant: Literal["percentage_points", "share_of_lpr", "capped_grant"] = "percentage_points"
    payer: Literal["central", "provincial", "county"] = "central"
    eligible_age_years: Schedule = p(lo=0.0, hi=50.0, doc="replaced cohorts older than")
    listed_project_share: Schedule = p(
        lo=0.0,
        hi=1.0,
        doc="chance a firm's renewal project of the year is on the NDRC/MIIT project list",
    )
    subsidy_pp: Schedule = p(lo=0.0, hi=0.2, unit="1/yr", doc="interest subsidy rate")
    subsidy_share_of_lpr: Schedule = p(lo=0.0, hi=1.0)
    cap_per_project_m_yuan: Schedule = p(lo=0.0, unit="m yuan")
    grant_share: Schedule = p(lo=0.0, hi=1.0, doc="capped grant: share of loan")
    subsidy_years: int = p(2, lo=1, hi=10)
    pool_bn_yuan: Schedule = p(lo=0.0, unit="bn yuan/yr", doc="subsidy available to the region")
    relending_rate_cut: Schedule = p(lo=0.0, hi=0.1, unit="1/yr", doc="funding-cost cut passed on")
    relending_years: int = p(
        3, lo=1, hi=10, doc="years re-lending funds a loan, at the rate cut of its year"
    )
    source: dict[str, str] = sources()


class RenewalLoans(Instrument):
    """Equipment-renewal loan interest subsidy (设备更新贷款贴息) with re-lending.

    Loans of a renewal project on the year's project list (a firm's project is listed with
    ``listed_project_share``, known before it invests) that replace cohorts older than the
    eligible age get an interest subsidy for a number of years from a finite pool of new
    commitments each year. Variants: percentage points on the loan (the 2024 central scheme), a
    share of the LPR with a per-project cap (Shandong), or a capped one-off grant per project
    (Shanghai). Re-lending lowers the banks' funding cost of eligible loans, passed on as a
    lower rate on them for ``relending_years``: the interest relief falls due year by year on
    the loan's outstanding balance (repaid at 1 / loan term of the balance a year, as all debt).
    """

    name = "renewal_loans"
    Params = RenewalLoansParams
    read_when_off = ("eligible_age_years",)
    # What it supports is the year's commitments (``last_granted``); the payments falling
    # due are not needed once paid.
    keeps_paid = False

    def __init__(self, params: RenewalLoansParams, scenario: Scenario) -> None:
        super().__init__(params, scenario)
        self.schedule: np.ndarray | None = None  # (R, N, years ahead) committed payments
        # Per replicate: share of claims the pool met when committing (the base class's
        # fill_by_payer is of this year's payments of past commitments, always paid in full).
        self.fill_ratio: np.ndarray | float = 1.0
        self._granted: CompactSlots | None = None
        # Interest relief from re-lending due each year ahead on each firm's loans (R, N,
        # relending years), m yuan: the cut of the year the loan was made x its balance.
        self.relief_schedule: np.ndarray | None = None
        # Whose renewal project is on this year's list (R, N), drawn when firms invest.
        self.listed: np.ndarray | None = None
        self._listed_year = 0

    @classmethod
    def acts_in(cls, params: InstrumentParams, year: int) -> bool:
        """On, with new subsidy commitments or re-lending in ``year``."""
        return bool(params.enabled) and (
            params.pool_bn_yuan.at(year) > 0 or params.relending_rate_cut.at(year) > 0
        )

    @property
    def last_granted(self) -> np.ndarray | None:
        """Subsidy committed this year on each firm's loans (R, N), None before any commit."""
        return None if self._granted is None else self._granted.dense()

    def _subsidy_per_yuan(self, eng: Engine) -> float:
        """Subsidy over the loan's life per yuan lent, before caps and rationing."""
        p, year = self.params, eng.policy_year
        outstanding_years = loan_years_per_yuan(
            eng.scenario.investment.loan_term_years, p.subsidy_years
        )
        if p.variant == "percentage_points":
            return p.subsidy_pp.at(year) * outstanding_years
        if p.variant == "share_of_lpr":
            return p.subsidy_share_of_lpr.at(year) * eng.exo.lpr * outstanding_years
        return p.grant_share.at(year)

    def _balance_shares(self, eng: Engine) -> np.ndarray:
        """A loan's outstanding balance in each re-lending year, per yuan lent (geometric)."""
        return balance_per_yuan(
            eng.scenario.investment.loan_term_years, self.params.relending_years
        )

    def eligible_replacement_age(self, eng: Engine) -> float:
        """Cohorts older than this are over-aged (inf in a spin-up that does not run the loans).

        The classification holds whether or not the instrument is on, so a counterfactual
        run measures the same over-aged replacement the subsidy would have paid for.
        """
        if eng.spinning_up and not self.enabled:
            return np.inf
        return self.params.eligible_age_years.at(eng.policy_year)

    def activity(self, eng: Engine) -> np.ndarray:
        """What the instrument pays for: loans replacing over-aged cohorts this year."""
        return eng.state.renewal_eligible_loan

    def supported(self) -> CompactSlots:
        """Subsidy committed this year on each firm's loans."""
        return self._granted

    def _draw_listing(self, eng: Engine) -> np.ndarray:
        """Whose renewal project is on this year's list (R, N), drawn once a year."""
        if self.listed is None or self._listed_year != eng.year:
            share = self.params.listed_project_share.at(eng.policy_year)
            self.listed = slot_uniform_below(
                eng.stream_keys("renewal_list"), eng.layout.slot_id, share
            )
            self._listed_year = eng.year
        return self.listed

    def financing_relief(self, eng: Engine) -> np.ndarray | float:
        """Financing relief per yuan of an eligible replacement, (R, N) or 0.

        Only a firm whose project is on this year's list (drawn here, once a year, as firms
        invest) has any; it expects the subsidy at last year's fill ratio of the pool.
        """
        if not self.enabled:
            return 0.0
        self._draw_listing(eng)
        # The rate cut over the years re-lending funds the loan, on its balance.
        cut = self.params.relending_rate_cut.at(eng.policy_year)
        relending = cut * self._balance_shares(eng).sum()
        fill = np.broadcast_to(np.asarray(self.fill_ratio, dtype=float), (eng.R,))
        # No subsidy is expected in a year whose pool is empty (the scheme has ended).
        open_pool = float(self.params.pool_bn_yuan.at(eng.policy_year) > 0)
        return (self._subsidy_per_yuan(eng) * fill * open_pool + relending)[:, None] * self.listed

    def after_investment(self, eng: Engine) -> None:
        """Commit subsidies on this year's eligible loans from the pool."""
        st = eng.state
        p = self.params
        R, N = eng.R, eng.layout.n_slots
        n = p.subsidy_years
        # A switched-off instrument never commits: it needs no schedule.
        if self.schedule is None and self.enabled:
            self.schedule = np.zeros((R, N, n))
        self._granted = CompactSlots.zeros((R, N))
        if not self.enabled:
            return
        # Only listed projects' loans are subsidised and re-lent: re-lending's cut of this
        # year, on the balance of each year ahead (none when there is no cut).
        cut = self.params.relending_rate_cut.at(eng.policy_year)
        if cut > 0.0 and self.relief_schedule is None:
            self.relief_schedule = np.zeros((R, N, p.relending_years))
        granted, want, got, index, entries = _commit(
            st.renewal_eligible_loan,
            self._draw_listing(eng),
            self._subsidy_per_yuan(eng),
            np.inf
            if p.variant == "percentage_points"
            else p.cap_per_project_m_yuan.at(eng.policy_year) * eng.firm_weight,
            np.full(R, p.pool_bn_yuan.at(eng.policy_year) * self._scale(eng)),
            p.variant == "capped_grant",
            self.schedule,
            cut * self._balance_shares(eng) if cut > 0.0 else np.zeros(0),
            self.relief_schedule if cut > 0.0 else np.zeros((0, 0, 0)),
        )
        self.fill_ratio = np.where(want > 0, got / np.maximum(want, TINY), 1.0)
        self._granted = CompactSlots.of_entries(granted, index, entries)

    def interest_relief(self, eng: Engine) -> np.ndarray | None:
        """This year's interest relief on re-lent loans (R, N), live firms; None if none.

        What re-lending costs the central bank this year (``PolicyMix.pay``).
        """
        if self.relief_schedule is None or not self.enabled:
            return None
        return self.relief_schedule[:, :, 0] * eng.state.alive

    def claims(self, eng: Engine):
        """Eligibility, claims and payer per firm (see ``Instrument.claims``)."""
        due = (
            self.schedule[:, :, 0].copy()
            if self.schedule is not None
            else np.zeros(eng.state.alive.shape)
        )
        # One payer for every claim: a read-only view, no per-firm array.
        payer = np.broadcast_to(np.intp(PAYERS.index(self.params.payer)), due.shape)
        return due > 0, due, payer

    def budgets_m_yuan(self, eng: Engine) -> np.ndarray:
        """Budget per payer this year (see ``Instrument.budgets_m_yuan``)."""
        # Commitments were rationed against the pool when made; payments due are honoured.
        b = np.zeros((eng.R, len(PAYERS)))
        b[:, PAYERS.index(self.params.payer)] = np.inf
        return b

    def end_year(self) -> None:
        """Shift the committed payment and relief schedules by one year."""
        for schedule in (self.schedule, self.relief_schedule):
            if schedule is not None:
                shift_schedule(schedule)

    def reset_firms(self, enter: np.ndarray) -> None:
        """A slot taken by a new firm carries no old commitments."""
        for schedule in (self.schedule, self.relief_schedule):
            if schedule is not None:
                clear_schedule(schedule, enter)

    def rescale(self, factor: np.ndarray) -> None:
        """Commitments and relief due follow the spin-up's change of money units."""
        for schedule in (self.schedule, self.relief_schedule):
            if schedule is not None:
                schedule *= factor[:, :, None]

    def continue_from(self, previous: Instrument) -> None:
        """Commitments made and relief due in the model this one continues are still owed."""
        super().continue_from(previous)
        copy = lambda a: None if a is None else a.copy()  # noqa: E731
        self.schedule = copy(previous.schedule)
        self.relief_schedule = copy(previous.relief_schedule)
        self.fill_ratio = previous.fill_ratio  # replaced, never changed in place
        if self.schedule is not None and self.schedule.shape[2] != self.params.subsidy_years:
            raise ValueError("a continuation may not change renewal_loans.subsidy_years")
        if (
            self.relief_schedule is not None
            and self.relief_schedule.shape[2] != self.params.relending_years
        ):
            raise ValueError("a continuation may not change renewal_loans.relending_years")


@njit(cache=True)
def _commit(
    eligible_loan: np.ndarray,
    listed: np.ndarray,
    subsidy_per_yuan: float,
    cap: float,
    pool: np.ndarray,
    capped_grant: bool,
    schedule: np.ndarray,
    relief_per_yuan: np.ndarray,
    relief_schedule: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Commit this year's subsidies on listed projects' loans (R, N) from the pool (R,).

    Each listed loan claims ``subsidy_per_yuan`` x the loan, at most ``cap``; the pool pays
    the claims pro rata (``pro_rata_share``). A capped grant is due in the next payment; otherwise
    the subsidy is spread evenly over the schedule's years (R, N, years). Each listed loan
    also adds ``relief_per_yuan`` (relief years,) x the loan to the relief schedule (R, N,
    relief years), when there is re-lending.

    Returns:
        The subsidy committed to each firm (R, N); per replicate the claims' total and the
        total committed (R,), each summed slot by slot; the flat positions and values of the
        non-zero commitments.
    """
    R, N = eligible_loan.shape
    years = schedule.shape[2]
    K = relief_per_yuan.shape[0]
    granted = np.empty((R, N))
    want = np.zeros(R)
    got = np.zeros(R)
    index = np.empty(R * N, dtype=np.int64)
    entries = np.empty(R * N)
    m = 0
    for r in range(R):
        total = 0.0
        for n in range(N):
            claim = subsidy_per_yuan * (eligible_loan[r, n] * (1.0 if listed[r, n] else 0.0))
            claim = min(claim, cap)
            granted[r, n] = claim
            total += claim
        want[r] = total
        scale = pro_rata_share(pool[r], total)
        paid = 0.0
        for n in range(N):
            g = granted[r, n] * scale
            granted[r, n] = g
            paid += g
            if is_entry(g):  # (+0.0 adds nothing)
                index[m] = r * N + n
                entries[m] = g
                m += 1
                if capped_grant:
                    schedule[r, n, 0] += g
                else:
                    due = g / years
                    for k in range(years):
                        schedule[r, n, k] += due
            if K > 0 and listed[r, n]:
                loan = eligible_loan[r, n]
                for k in range(K):
                    relief_schedule[r, n, k] += relief_per_yuan[k] * loan
        got[r] = paid
    return granted, want, got, index[:m], entries[:m]
