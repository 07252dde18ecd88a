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
    from model._state import Draws, Engine

TINY = 1e-12
M_YUAN_PER_BN = 1e3
#: Slots taken at a time where a per-slot temporary is needed only briefly (draws of which
#: one comparison is kept, a year's share of a commitment): bounds its memory.
SLOT_BLOCK = 1 << 14


def slot_blocks(n_slots: int) -> list[tuple[int, int]]:
    """Consecutive (start, stop) blocks of at most SLOT_BLOCK slots covering n_slots."""
    return [(a, min(a + SLOT_BLOCK, n_slots)) for a in range(0, n_slots, SLOT_BLOCK)]


def uniform_below(draws: Draws, shape: tuple[int, int], p: float) -> np.ndarray:
    """``draws.random(shape) < p`` (R, N), drawn a block of slots at a time.

    A replicate's stream gives the same numbers block by block as in one draw, so only the
    comparison of each slot's number is held, not the numbers.
    """
    R, N = shape
    out = np.empty(shape, dtype=bool)
    for a, b in slot_blocks(N):
        np.less(draws.random((R, b - a)), p, out=out[:, a:b])
    return out


def uniform_at(
    draws: Draws, shape: tuple[int, int], rows: np.ndarray, slots: np.ndarray
) -> np.ndarray:
    """The numbers ``draws.random(shape)[rows, slots]`` would give, drawn a block at a time."""
    R, N = shape
    out = np.empty(len(rows))
    for a, b in slot_blocks(N):
        u = draws.random((R, b - a))
        here = (slots >= a) & (slots < b)
        out[here] = u[rows[here], slots[here] - a]
    return out


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
    total = claims.sum(axis=1)
    if rule == "pro_rata":
        scale = np.minimum(1.0, budget / np.maximum(total, TINY))
        return np.multiply(claims, scale[:, None], out=out)
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


class CompactSlots:
    """Per-slot values (R, N) kept in little memory, given back bit for bit.

    A subsidy reaches few firms: a mostly-zero array keeps only its non-zero entries (flat
    position and value); any other array is kept whole. ``dense()`` returns the same values,
    -0.0 and NaN included.

    Args:
        values: The per-slot values.
        copy: Copy ``values`` when keeping them whole (when the caller will change them).
            Without it the array is kept as it is and must not be changed afterwards.
    """

    __slots__ = ("shape", "dtype", "index", "entries", "full")

    def __init__(self, values: np.ndarray, *, copy: bool = False) -> None:
        self.shape = values.shape
        self.dtype = values.dtype
        index_dtype = np.int32 if values.size < 2**31 else np.int64
        entry_bytes = values.itemsize + np.dtype(index_dtype).itemsize
        # Entries only when they take at most half the whole array's memory (building them
        # costs memory for a while too). The count ignores -0.0: enough to choose.
        if 2 * np.count_nonzero(values) * entry_bytes > values.nbytes:
            self.index = self.entries = None
            self.full = values.copy() if copy else values
            return
        flat = values.reshape(-1)
        blocks = []
        for a, b in slot_blocks(flat.size):
            # -0.0 is an entry too, so that it comes back with its sign.
            present = np.signbit(flat[a:b])
            present |= flat[a:b] != 0
            blocks.append(np.flatnonzero(present).astype(index_dtype) + index_dtype(a))
        self.index = np.concatenate(blocks) if blocks else np.zeros(0, dtype=index_dtype)
        self.entries = flat[self.index]
        self.full = None

    @classmethod
    def zeros(cls, shape: tuple[int, ...], dtype: type = np.float64) -> CompactSlots:
        """All-zero values of ``shape``, held without a per-slot array."""
        out = cls.__new__(cls)
        out.shape, out.dtype, out.full = shape, np.dtype(dtype), None
        out.index, out.entries = np.zeros(0, dtype=np.int32), np.zeros(0, dtype=dtype)
        return out

    def dense(self) -> np.ndarray:
        """The values as an (R, N) array (the kept array itself when kept whole)."""
        if self.full is not None:
            return self.full
        out = np.zeros(self.shape, dtype=self.dtype)
        out.reshape(-1)[self.index] = self.entries
        return out

    def cleared(self, where: np.ndarray) -> CompactSlots:
        """These values with the slots ``where`` (R, N) set to zero."""
        if self.full is not None:
            return CompactSlots(np.where(where, 0.0, self.full))
        out = CompactSlots.zeros(self.shape, self.dtype)
        keep = ~where.reshape(-1)[self.index]
        out.index, out.entries = self.index[keep], self.entries[keep]
        return out


class Instrument:
    """Base of the instrument family: budget, ledger and the year's payout."""

    name: str = ""
    #: Keep each firm's last payment (``last_paid``): the R&D bonus sets expectations on
    #: it, and the first-set insurance reports it as the support deadweight is measured on.
    keeps_paid: bool = True

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
        self._paid: CompactSlots | None = None

    @property
    def last_paid(self) -> np.ndarray | None:
        """Last year's payment to each firm (R, N), None before the first payment."""
        return None if self._paid is None else self._paid.dense()

    def budgets_m_yuan(self, eng: Engine) -> np.ndarray:
        """Budget per payer this year (R, P), scaled to the simulated firm share."""
        raise NotImplementedError

    def claims(self, eng: Engine) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Eligibility (R, N), claims (R, N) and payer index per claim (R, N).

        Eligibility and claims are new arrays, which the caller may overwrite.
        """
        raise NotImplementedError

    def pay(self, eng: Engine) -> np.ndarray:
        """Pay this year's claims from the payers' budgets and record the ledger."""
        paid = self._pay(eng)
        return np.zeros(eng.state.alive.shape) if paid is None else paid

    def _pay(self, eng: Engine) -> np.ndarray | None:
        """``pay``, returning None instead of zeros when the instrument is off."""
        R = eng.R
        by_payer = np.zeros((R, len(PAYERS)))
        if not self.enabled or eng.spinning_up:
            # Nothing is claimed or paid: the ledger's zeros need no per-firm arrays.
            self._paid = CompactSlots.zeros(eng.state.alive.shape) if self.keeps_paid else None
            for key in self.ledger:
                self.ledger[key].append(np.zeros(R))
            self.paid_by_payer.append(by_payer)
            return None
        eligible, claims, payer = self.claims(eng)
        n_eligible = eligible.sum(axis=1).astype(float)
        # Only live firms are paid; claims and eligibility are this call's own arrays, so the
        # others' claims are zeroed in place (no second per-firm array).
        eligible &= eng.state.alive
        np.logical_not(eligible, out=eligible)
        np.copyto(claims, 0.0, where=eligible)
        del eligible
        claimed = claims.sum(axis=1)
        budgets = self.budgets_m_yuan(eng)
        paid = None
        for k in range(len(PAYERS)):
            is_k = payer == k
            if not is_k.any():
                continue
            # When one payer has every claim, the claims themselves are its share.
            mine = claims if is_k.all() else np.where(is_k, claims, 0.0)
            del is_k
            if not mine.any():
                continue
            # Rationed in place: a payer's share of the claims is not needed afterwards (when
            # the share is the claims themselves, no other payer has any).
            got = ration(mine, budgets[:, k], self.rationing, out=mine)
            by_payer[:, k] = got.sum(axis=1)
            if paid is None:
                # As 0 + got (the payments start from zeros): -0.0 becomes +0.0.
                got += 0.0
                paid = got
            else:
                paid += got
            del mine, got
        del claims
        if paid is None:
            paid = np.zeros(eng.state.alive.shape)
        self._paid = CompactSlots(paid) if self.keeps_paid else None
        self.ledger["subsidy_paid"].append(paid.sum(axis=1))
        self.ledger["budget"].append(budgets.sum(axis=1))
        self.ledger["firms_eligible"].append(n_eligible)
        self.ledger["firms_paid"].append((paid > 0).sum(axis=1).astype(float))
        self.ledger["claims"].append(claimed)
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
        """Slots of the named sectors as a mask (N,); every slot if none are named."""
        mask = np.zeros(eng.layout.n_slots, dtype=bool)
        mask[eng.layout.sector_slots(names)] = True
        return mask

    def eligibility(self, eng: Engine) -> np.ndarray:
        """Firms meeting the seed's test this year (R, N)."""
        p, st, year = self.params, eng.state, eng.year
        eligible = np.zeros(st.alive.shape, dtype=bool)
        # Only firms of the eligible sectors can qualify: the test runs on their slots alone.
        slots = eng.layout.sector_slots(p.eligible_sectors)
        rd, rd_prev = st.rd_reported[:, slots], st.rd_reported_prev[:, slots]
        route_growth = (
            rd / np.maximum(st.revenue[:, slots], TINY) >= p.intensity_threshold.at(year) - 1e-12
        )
        route_growth &= rd / np.maximum(rd_prev, TINY) - 1.0 >= p.growth_threshold.at(year) - 1e-12
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

    def claims(self, eng: Engine):
        """Eligibility, claims and payer per firm (see ``Instrument.claims``)."""
        p, year = self.params, eng.year
        eligible = self.eligibility(eng)
        claim = p.reward_rate.at(year) * eng.state.rd_reported
        np.minimum(claim, p.cap_per_firm_m_yuan.at(year) * eng.firm_weight, out=claim)
        # One payer for every claim: a read-only view, no per-firm array.
        payer = np.broadcast_to(np.intp(PAYERS.index(p.payer)), eligible.shape)
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
        if not self.enabled or eng.spinning_up or self._paid is None:
            return 0.0
        rate = self.params.reward_rate.at(eng.year)
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

    def bunch(self, eng: Engine) -> None:
        """Firms just below the intensity threshold relabel reported R&D up to it."""
        if not self.enabled or eng.spinning_up:
            return
        st, rd = eng.state, eng.scenario.rd
        threshold = self.params.intensity_threshold.at(eng.year)
        # Every slot draws, so the numbers do not depend on who may bunch; the rest is
        # computed on the live firms of the eligible sectors that drew a bunching chance.
        may = uniform_below(eng.draw("bunching"), st.alive.shape, rd.bunching_probability)
        may &= st.alive
        may &= self._sector_mask(eng, self.params.eligible_sectors)
        r, n = np.nonzero(may)
        del may
        # R&D is set on last year's revenue, eligibility judged on this year's: firms aim at
        # the threshold on the revenue they expect (last year's growth continued).
        revenue_now = st.revenue[r, n]
        growth = np.clip(revenue_now / np.maximum(st.revenue_prev[r, n], TINY), 1.0, 1.5)
        revenue = np.maximum(revenue_now * growth, TINY)
        intensity = st.rd_reported[r, n] / revenue
        near = (intensity < threshold) & (intensity >= threshold - rd.bunching_window)
        st.rd_reported[r[near], n[near]] = threshold * revenue[near]

    def reset_firms(self, enter: np.ndarray) -> None:
        """A slot taken by a new firm was paid nothing last year."""
        if self._paid is not None:
            self._paid = self._paid.cleared(enter)


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

    def _maker_shares(self, eng: Engine, mt: slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Premium shares for the machine-tool slots ``mt`` (R, M).

        Returns:
            The government's share of the premium, whether Zhejiang's scheme is the one that
            applies, and whether the slot's model is a first set.
        """
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
        eligible = np.zeros(st.alive.shape, dtype=bool)
        claim = np.zeros(st.alive.shape)
        payer = np.full(st.alive.shape, PAYERS.index("central"), dtype=np.int8)
        # Only machine-tool makers have first-set models: the other slots claim nothing.
        mt = eng.layout.machine_tool_block
        gov_rate, use_provincial, first = self._maker_shares(eng, mt)
        sales = st.orders_inside[:, mt] + st.sales_outside[:, mt]
        insured = np.minimum(sales, self.params.insured_value_cap_m_yuan * eng.firm_weight)
        maker_claim = gov_rate * insured
        cap = self.params.provincial_cap_m_yuan.at(eng.year) * eng.firm_weight
        claim[:, mt] = np.where(use_provincial, np.minimum(maker_claim, cap), maker_claim)
        payer[:, mt] = np.where(use_provincial, PAYERS.index("provincial"), PAYERS.index("central"))
        eligible[:, mt] = first & (gov_rate > 0) & (sales > 0)
        return eligible, claim, payer

    def budgets_m_yuan(self, eng: Engine) -> np.ndarray:
        """Budget per payer this year (see ``Instrument.budgets_m_yuan``)."""
        b = np.zeros((eng.R, len(PAYERS)))
        for payer, schedule in self.params.budget_bn_yuan.items():
            b[:, PAYERS.index(payer)] = schedule.at(eng.year) * self._scale(eng)
        return b

    def procure(self, eng: Engine, choice: np.ndarray, *, in_place: bool = False) -> np.ndarray:
        """SOE buyers within the quota switch to an unproven first-set model of their segment.

        Args:
            eng: The engine.
            choice: Each buyer's chosen model (R, N).
            in_place: Switch the buyers in ``choice`` itself rather than in a copy.

        Returns:
            The choices after the switch.
        """
        if not self.enabled or eng.spinning_up:
            return choice
        st, lay = eng.state, eng.layout
        d = eng.draw("procurement")
        # Every slot draws for the quota, then every slot for the pick (the stream's order);
        # only who takes the quota and their picks are kept.
        quota = self.params.soe_single_source_quota.at(eng.year)
        takes = uniform_below(d, st.alive.shape, quota)
        takes &= lay.soe
        takes &= st.alive
        rows, who = np.nonzero(takes)  # by replicate, then slot
        del takes
        u_pick = uniform_at(d, st.alive.shape, rows, who)
        segment = lay.buy_segment[who]
        out = choice if in_place else choice.copy()
        for g, slots in enumerate(lay.segment_slots):
            for r in range(eng.R):
                candidate = st.alive[r, slots] & st.model_unproven[r, slots]
                pool = slots[candidate & st.model_first_set[r, slots]]
                if len(pool) == 0:
                    continue
                buyers = (segment == g) & (rows == r)
                out[r, who[buyers]] = pool[(u_pick[buyers] * len(pool)).astype(np.int64)]
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
    # What it supports is the year's commitments (``last_granted``); the payments falling
    # due are not needed once paid.
    keeps_paid = False

    def __init__(self, params: RenewalLoans, scenario: Scenario) -> None:
        super().__init__(params, scenario)
        self.schedule: np.ndarray | None = None  # (R, N, years ahead) committed payments
        self.fill_ratio: np.ndarray | float = 1.0  # per replicate: share of claims the pool met
        self._granted: CompactSlots | None = None
        # Re-lending relief due with this year's payments: the rate cut of the year the loans
        # were committed, and those loans (the investment rule's array, unchanged until the
        # next year's investment).
        self._relending: tuple[float, np.ndarray] | None = None

    @property
    def last_granted(self) -> np.ndarray | None:
        """Subsidy committed this year on each firm's loans (R, N), None before any commit."""
        return None if self._granted is None else self._granted.dense()

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
        # A switched-off instrument never commits: it needs no schedule.
        if self.schedule is None and self.enabled:
            self.schedule = np.zeros((R, N, n))
        self._granted = CompactSlots.zeros((R, N))
        if not self.enabled or eng.spinning_up:
            return
        total = self._subsidy_per_yuan(eng) * st.renewal_eligible_loan
        if p.variant != "percentage_points":
            np.minimum(total, p.cap_per_project_m_yuan.at(eng.year) * eng.firm_weight, out=total)
        pool = np.full(R, p.pool_bn_yuan.at(eng.year) * self._scale(eng))
        want = total.sum(axis=1)
        granted = ration(total, pool, "pro_rata", out=total)  # the claims are not needed again
        self.fill_ratio = np.where(want > 0, granted.sum(axis=1) / np.maximum(want, TINY), 1.0)
        if p.variant == "capped_grant":
            self.schedule[:, :, 0] += granted
        else:
            # A block of slots at a time, year by year: no (R, N, years) temporary.
            for a, b in slot_blocks(N):
                due_each_year = granted[:, a:b] / n
                for k in range(n):
                    self.schedule[:, a:b, k] += due_each_year
        self._granted = CompactSlots(granted)
        # Re-lending relief, as priced in the payback rule: the rate cut over the loan's life,
        # passed on when the loan is made (paid with the year's subsidies).
        self._relending = (self.params.relending_rate_cut.at(eng.year), st.renewal_eligible_loan)

    def relending_relief(self, eng: Engine) -> np.ndarray | None:
        """Re-lending relief on the loans committed on this year (R, N), once; else None."""
        if not self.enabled or eng.spinning_up or self._relending is None:
            return None
        cut, loans = self._relending
        self._relending = None
        term = eng.scenario.investment.loan_term_years
        # cut x loan x (T + 1) / 2, in that order, in one array.
        relief = cut * loans
        relief *= term + 1
        relief /= 2.0
        return relief

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

    def advance(self) -> None:
        """Shift the committed payment schedule by one year."""
        if self.schedule is not None:
            # Year by year from the front, each from the next: no copy of the schedule.
            for k in range(self.schedule.shape[2] - 1):
                self.schedule[:, :, k] = self.schedule[:, :, k + 1]
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
