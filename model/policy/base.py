"""The instrument family's base class and the rationing rules its budgets use.

Each instrument has eligibility, a payout, a payer, a budget and a ledger, and every money
parameter may follow a year schedule (:class:`~model.config.schedule.Schedule`). A subclass
says who claims what (``claims``), from which budgets (``budgets_m_yuan``), what behaviour it
pays for (``activity``, for deadweight) and how firms respond to it (its hooks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.config.params import PAYERS, InstrumentParams, Scenario
from model.config.units import M_YUAN_PER_BN, TINY
from model.economy.compiled import njit
from model.economy.layout import widen
from model.economy.sectors import slot_sums
from model.policy.ledgers import CompactSlots, is_entry

if TYPE_CHECKING:
    from model.economy.engine import Engine
    from model.economy.hooks import BuyerCost
    from model.economy.layout import SlotLayout

__all__ = ["Instrument", "pro_rata_share", "ration", "ration_by_payer"]


@njit(cache=True)
def pro_rata_share(budget: np.ndarray | float, claimed: np.ndarray | float) -> np.ndarray | float:
    """The share of every claim a budget pays pro rata: min(1, budget / the claims' total)."""
    return np.minimum(1.0, budget / np.maximum(claimed, TINY))


def ration(
    claims: np.ndarray, budget: np.ndarray, rule: str, *, out: np.ndarray | None = None
) -> np.ndarray:
    """Pay claims (R, N) from a budget per replicate (R,) under a rationing rule.

    Args:
        claims: Amount each firm claims, >= 0.
        budget: Money available per replicate.
        rule: ``pro_rata`` scales every claim by budget / total claims;
            ``largest_first`` / ``smallest_first`` pay claims in that order until the
            budget runs out (the marginal claim is paid in part).
        out: Array (R, N) to write the payments into; may be ``claims`` itself, which saves
            a per-firm array when the claims are not needed afterwards.

    Returns:
        Payments, never above the claims and summing to at most the budget.
    """
    total = slot_sums(claims)
    if rule == "pro_rata":
        return np.multiply(claims, pro_rata_share(budget, total)[:, None], out=out)
    order = np.argsort(
        -claims if rule == "largest_first" else np.where(claims > 0, claims, np.inf),
        axis=1,
        kind="stable",
    )
    sorted_claims = np.take_along_axis(claims, order, axis=1)
    # What the claims before each one took, then what is left for it: computed in place.
    left = np.cumsum(sorted_claims, axis=1)
    left -= sorted_claims
    np.subtract(budget[:, None], left, out=left)
    paid_sorted = np.clip(left, 0.0, sorted_claims, out=left)
    del sorted_claims
    paid = np.empty_like(claims) if out is None else out
    np.put_along_axis(paid, order, paid_sorted, axis=1)
    return paid


def ration_by_payer(
    claims: np.ndarray, payer: np.ndarray, want: np.ndarray, budgets: np.ndarray, rule: str
) -> tuple[np.ndarray, np.ndarray]:
    """Each payer's claims rationed from its budget under ``rule`` (``ration``).

    Args:
        claims: Amount each firm claims (R, N), >= 0; overwritten.
        payer: Index of each claim's payer (R, N).
        want: Each payer's claims' total (R, P).
        budgets: Each payer's budget (R, P).
        rule: The rationing rule.

    Returns:
        What each payer paid (R, P) and each firm's payment (R, N).
    """
    R, P = want.shape
    by_payer = np.zeros((R, P))
    paid = None
    for k in range(P):
        if not (want[:, k] != 0.0).any():
            continue
        # When one payer has every slot, the claims themselves are its share.
        mine = claims if (payer == k).all() else np.where(payer == k, claims, 0.0)
        # Rationed in place: a payer's share of the claims is not needed afterwards (when
        # the share is the claims themselves, no other payer has any).
        got = ration(mine, budgets[:, k], rule, out=mine)
        by_payer[:, k] = slot_sums(got)
        if paid is None:
            # As 0 + got (the payments start from zeros): -0.0 becomes +0.0.
            got += 0.0
            paid = got
        else:
            paid += got
        del mine, got
    return by_payer, np.zeros(claims.shape) if paid is None else paid


class Instrument:
    """Base of the instrument family: budget, ledger, the year's payout and the behaviour hooks.

    A subclass sets ``name`` (its ``[instruments.<name>]`` table) and ``Params`` (that table's
    dataclass, a :class:`~model.config.params.InstrumentParams`), implements ``claims``,
    ``budgets_m_yuan`` and ``activity``, and overrides the hooks it acts through. Registering
    it in :mod:`model.policy.registry` is all it takes to run, record and report it.
    """

    name: str = ""
    #: The dataclass of the instrument's ``[instruments.<name>]`` table.
    Params: type = InstrumentParams
    #: Parameters a switched-off instrument still reads (so no-policy twins that differ in
    #: them differ); everything else of a switched-off instrument is inert.
    read_when_off: tuple[str, ...] = ()
    #: Keep each firm's last payment (``last_paid``): the R&D bonus sets expectations on
    #: it, and the first-set insurance reports it as the support deadweight is measured on.
    keeps_paid: bool = True
    rationing = "pro_rata"

    def __init__(self, params: InstrumentParams, scenario: Scenario) -> None:
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
        self._paid: CompactSlots | None = None
        #: Share of last year's claims each payer paid (R, P), None before any payment (1).
        self.fill_by_payer: np.ndarray | None = None

    @classmethod
    def acts_in(cls, params: InstrumentParams, year: int) -> bool:
        """Whether an instrument with these parameters changes anything in ``year``.

        The spin-up runs only the status quo's instruments that act in the base year, so
        instruments that start later do not make spin-ups differ.
        """
        return bool(params.enabled)

    # ------------------------------------------------ hooks (model.economy.hooks)
    # Each returns "no effect" here; an instrument overrides the ones it acts through.

    def expected_rd_reward_rate(self, eng: Engine) -> np.ndarray | float | None:
        """Reward per yuan of R&D firms expect from the instrument (rule 2), or None."""
        return None

    def relabel_reported_rd(self, eng: Engine) -> None:
        """Change reported R&D in response to the instrument, in place (rule 2)."""

    def adjust_risk_multiplier(self, eng: Engine, multiplier: np.ndarray) -> np.ndarray:
        """Buyers' risk multiplier on each maker's model after the instrument (rule 4)."""
        return multiplier

    def override_choices(self, eng: Engine, choice: np.ndarray, cost: BuyerCost) -> np.ndarray:
        """Buyers' model choices after the instrument, switched in place (rule 4)."""
        return choice

    def eligible_replacement_age(self, eng: Engine) -> float:
        """Age above which replacing a cohort qualifies for the instrument (rule 4)."""
        return np.inf

    def financing_relief(self, eng: Engine) -> np.ndarray | float | None:
        """Financing relief per yuan of an eligible replacement (rule 4), or None."""
        return None

    def after_investment(self, eng: Engine) -> None:
        """Act on the year's investment (rule 4)."""

    def interest_relief(self, eng: Engine) -> np.ndarray | None:
        """Interest each firm does not pay this year thanks to the instrument (R, N), or None.

        Rule 6 takes it off the firms' interest; it is the instrument's cost outside any
        budget (e.g. the central bank's, for re-lending), booked in rule 8.
        """
        return None

    def end_year(self) -> None:
        """Move the instrument's own state on to the next year (after payment)."""

    def reset_firms(self, enter: np.ndarray) -> None:
        """Forget what the slots taken by entrants (R, N) were paid or owed (rule 7)."""

    def rescale(self, factor: np.ndarray) -> None:
        """Change the units of what the instrument paid and owes by each slot's factor (R, N).

        The spin-up rescales the economy to base-year money every year; what an instrument
        keeps across years must follow.
        """
        if self._paid is not None:
            self._paid = self._paid.scaled(factor)

    def expand(self, part: SlotLayout, to: SlotLayout) -> None:
        """Move what the firms were paid and are owed to their places in a larger layout.

        When the firms move from a part of the layout to a larger one (at the rebase, and
        when entry needs more slots: ``Engine.expand``), every per-slot array the instrument
        keeps, (R, N, ...), moves with them, and the slots that open hold zero (nothing paid
        or owed).

        Args:
            part: The part of the layout the firms were in.
            to: The layout they are in now.
        """
        n = part.n_slots
        for name, value in list(vars(self).items()):
            if isinstance(value, CompactSlots) and value.shape[1:2] == (n,):
                setattr(self, name, CompactSlots(widen(value.dense(), part, to)))
            elif isinstance(value, np.ndarray) and value.ndim >= 2 and value.shape[1] == n:
                setattr(self, name, widen(value, part, to))

    def continue_from(self, previous: Instrument) -> None:
        """Take over what the same instrument paid and owes in the model this one continues.

        A fork, or the years after the spin-up, continue the firms of another model; what
        they were paid last year and are owed (e.g. renewal commitments made before the
        plan) continues with them, whether or not either is on (a switched-off instrument
        holds what its predecessor left, for the continuations after it). Copies: ``previous``
        may serve other continuations.
        """
        if previous._paid is not None:
            self._paid = CompactSlots(previous._paid.dense(), copy=True)
        self.fill_by_payer = previous.fill_by_payer  # replaced, never changed in place

    # ------------------------------------------------------------------ payment

    @property
    def last_paid(self) -> np.ndarray | None:
        """Last year's payment to each firm (R, N), None before the first payment."""
        return None if self._paid is None else self._paid.dense()

    def budgets_m_yuan(self, eng: Engine) -> np.ndarray:
        """Budget per payer this year (R, P), scaled to the simulated firm share."""
        raise NotImplementedError

    def expected_fill(self, eng: Engine) -> np.ndarray:
        """Share of a claim firms expect each payer to pay this year (R, P).

        Last year's: what each payer paid of its claims (1 before any payment, or when it had
        none), and nothing from a payer with no budget this year.
        """
        fill = np.ones((eng.R, len(PAYERS))) if self.fill_by_payer is None else self.fill_by_payer
        return np.where(self.budgets_m_yuan(eng) > 0.0, fill, 0.0)

    def claims(self, eng: Engine) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Eligibility (R, N), claims (R, N) and payer index per claim (R, N).

        Eligibility and claims are new arrays, which the caller may overwrite.
        """
        raise NotImplementedError

    def pay(self, eng: Engine) -> np.ndarray:
        """Pay this year's claims from the payers' budgets and record the ledger."""
        paid = self.pay_claims(eng)
        return np.zeros(eng.state.alive.shape) if paid is None else paid

    def pay_claims(self, eng: Engine) -> np.ndarray | None:
        """``pay``, returning None instead of zeros when the instrument is off.

        Also sets ``fill_by_payer``, the share of its claims each payer paid (exactly 1 for a
        payer whose budget does not bind), which ``expected_fill`` reads next year.
        """
        R = eng.R
        by_payer = np.zeros((R, len(PAYERS)))
        if not self.enabled:
            # Nothing is claimed or paid: the ledger's zeros need no per-firm arrays.
            self._paid = CompactSlots.zeros(eng.state.alive.shape) if self.keeps_paid else None
            for key in self.ledger:
                self.ledger[key].append(np.zeros(R))
            self.paid_by_payer.append(by_payer)
            return None
        eligible, claims, payer = self.claims(eng)
        # Only live firms are paid; the claims are this call's own array, so the others'
        # claims are zeroed in place (no second per-firm array), in one pass that also sums
        # the claims, in all and by payer.
        n_eligible, claimed, want, claiming = _settle_claims(
            eligible, eng.state.alive, claims, payer, len(PAYERS)
        )
        del eligible
        budgets = self.budgets_m_yuan(eng)
        if self.rationing == "pro_rata":
            # Pro rata needs no order of the claims: every payer's share is paid in one pass
            # over the claims (in place: the other slots hold +0.0, as paid), as ``ration``
            # would pay it payer by payer.
            by_payer, paid_total, n_paid, index, entries = _pay_in_place(
                claims, payer, pro_rata_share(budgets, want), claiming
            )
            paid = claims
            kept = CompactSlots.of_entries(paid, index, entries) if self.keeps_paid else None
        else:
            by_payer, paid = ration_by_payer(claims, payer, want, budgets, self.rationing)
            paid_total, n_paid = slot_sums(paid), (paid > 0).sum(axis=1).astype(float)
            kept = CompactSlots(paid) if self.keeps_paid else None
        del claims
        fill = np.where(want > 0.0, by_payer / np.maximum(want, TINY), 1.0)
        self._paid = kept
        self.fill_by_payer = fill
        self.ledger["subsidy_paid"].append(paid_total)
        self.ledger["budget"].append(budgets.sum(axis=1))
        self.ledger["firms_eligible"].append(n_eligible)
        self.ledger["firms_paid"].append(n_paid)
        self.ledger["claims"].append(claimed)
        self.paid_by_payer.append(by_payer)
        return paid

    def activity(self, eng: Engine) -> np.ndarray:
        """The firm behaviour the instrument pays for (R, N), defined with or without it."""
        raise NotImplementedError

    def supported(self) -> CompactSlots:
        """This year's payment to each firm for that behaviour (R, N), as kept.

        Kept as its entries when few firms were paid; ``dense()`` gives the array.
        """
        return self._paid

    def budgets_from(self, eng: Engine, by_payer: dict) -> np.ndarray:
        """This year's budgets (R, P), m yuan, from bn-yuan schedules by payer name."""
        b = np.zeros((eng.R, len(PAYERS)))
        for payer, schedule in by_payer.items():
            b[:, PAYERS.index(payer)] = schedule.at(eng.policy_year) * self._scale(eng)
        return b

    def _scale(self, eng: Engine) -> float:
        # Budgets are province totals: money in the model is full-size at any firm scale.
        return M_YUAN_PER_BN


@njit(cache=True)
def _settle_claims(
    eligible: np.ndarray, alive: np.ndarray, claims: np.ndarray, payer: np.ndarray, n_payers: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Zero the claims (R, N) of firms not eligible or not alive, in place, and sum them.

    A zero claim is set to +0.0 (a -0.0 claim is paid +0.0).

    Returns:
        Eligible firms per replicate (R,), as counted before the live test; the settled
        claims' total (R,) and each payer's total (R, P), slot by slot; the flat positions
        of the non-zero claims, in order.
    """
    R, N = claims.shape
    n_eligible = np.zeros(R)
    claimed = np.zeros(R)
    want = np.zeros((R, n_payers))
    claiming = np.empty(R * N, dtype=np.int64)
    m = 0
    for r in range(R):
        count = 0
        total = 0.0
        for n in range(N):
            ok = eligible[r, n]
            count += ok
            c = claims[r, n]
            if not (ok and alive[r, n]) or c == 0.0:
                claims[r, n] = 0.0
                continue
            total += c
            want[r, payer[r, n]] += c
            claiming[m] = r * N + n
            m += 1
        n_eligible[r] = count
        claimed[r] = total
    return n_eligible, claimed, want, claiming[:m]


@njit(cache=True)
def _pay_in_place(
    claims: np.ndarray, payer: np.ndarray, scale: np.ndarray, claiming: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pay each claim (R, N) its payer's share ``scale`` (R, P), in place of the claim.

    Only the non-zero claims (``claiming``: their flat positions, in order) are read: the
    other slots hold +0.0, which is what they are paid. A payment is ``claim x scale``.

    Returns:
        What each payer paid (R, P), the total paid (R,) and the firms paid (R,), each
        summed slot by slot; the flat positions and values of the non-zero payments.
    """
    R, N = claims.shape
    by_payer = np.zeros(scale.shape)
    paid_total = np.zeros(R)
    n_paid = np.zeros(R)
    index = np.empty(claiming.shape[0], dtype=np.int64)
    entries = np.empty(claiming.shape[0])
    m = 0
    for i in range(claiming.shape[0]):
        at = claiming[i]
        r, n = at // N, at % N
        k = payer[r, n]
        x = claims[r, n] * scale[r, k] + 0.0
        claims[r, n] = x
        by_payer[r, k] += x
        paid_total[r] += x
        n_paid[r] += x > 0.0
        if is_entry(x):
            index[m] = at
            entries[m] = x
            m += 1
    return by_payer, paid_total, n_paid, index[:m], entries[:m]
