"""First-set (首台套) insurance compensation and SOE single-source procurement.

Insurance lowers buyers' risk premium on unproven first-set models; provincial SOE buyers may
buy unproven first-set models by single-source procurement where it pays them; buyers of a
first set's first sets over 10 m yuan earn the province's application reward. Sources:
seed 000, FACTS.md A.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.config.params import PAYERS, InstrumentParams, Scenario, p, sources
from model.config.schedule import Schedule
from model.config.units import TINY
from model.economy.compiled import njit
from model.economy.streams import slot_uniform_below, stream_keys
from model.policy.base import Instrument

if TYPE_CHECKING:
    from model.economy.engine import Engine
    from model.economy.hooks import BuyerCost
    from model.economy.layout import SlotLayout

__all__ = ["FirstSet", "FirstSetParams"]


@dataclass(frozen=True, kw_only=True)
class FirstSetParams(InstrumentParams):
    """First-set (首台套) procurement and insurance."""

    national_insurance: bool = True
    national_premium_rate_cap: Schedule = p(lo=0.0, hi=1.0)
    national_cover: Schedule = p(lo=0.0, hi=1.0)
    national_years: int = p(3, lo=0, hi=10)
    provincial_insurance: bool = True
    provincial_premium_rate_cap: Schedule = p(lo=0.0, hi=1.0)
    provincial_cover_by_year: tuple[float, ...] = p(
        doc="provincial cover of a provincial first, years 1, 2, 3"
    )
    provincial_cover_domestic_by_year: tuple[float, ...] = p(
        doc="provincial cover of a domestic first, years 1-3"
    )
    provincial_cover_international_by_year: tuple[float, ...] = p(
        doc="provincial cover of an international first, years 1-3"
    )
    provincial_cap_m_yuan: Schedule = p(lo=0.0, unit="m yuan/yr per model")
    premium_rate: float = p(lo=0.0, hi=1.0, doc="market insurance premium rate")
    insured_value_cap_m_yuan: float = p(
        lo=0.0, unit="m yuan/yr per model", doc="first batch insured"
    )
    premium_to_risk: float = p(lo=0.0, hi=1.0, doc="share of buyers' risk premium insurable")
    soe_single_source: bool = p(
        True, doc="provincial SOEs may buy first sets by single-source procurement"
    )
    single_source_first_year: int = p(
        lo=1900, hi=2200, doc="first year provincial SOEs may buy first sets single-source"
    )
    provincial_soe_share: float = p(
        lo=0.0, hi=1.0, doc="share of SOE buyers that are provincial SOEs (省属企业)"
    )
    single_source_saving: Schedule = p(
        lo=0.0, hi=1.0, doc="share of a model's cost a buyer saves by skipping the tender"
    )
    application_reward_share: Schedule = p(
        lo=0.0, hi=1.0, doc="provincial application reward, share of the buyer's purchase"
    )
    application_threshold_m_yuan: float = p(
        lo=0.0, unit="m yuan", doc="a buyer's purchase of a first set must exceed this"
    )
    application_reward_cap_m_yuan: Schedule = p(
        lo=0.0, unit="m yuan/yr per buyer", doc="the application reward is at most this"
    )
    application_sectors: tuple[str, ...] = p(
        (), doc="buyer sectors the application reward is open to (sector ids); () = all"
    )
    budget_bn_yuan: dict[str, Schedule] = p(default_factory=dict, unit="bn yuan/yr")
    source: dict[str, str] = sources()

    def __post_init__(self) -> None:
        a, b = self.provincial_cover_by_year, self.provincial_cover_domestic_by_year
        c = self.provincial_cover_international_by_year
        if not (len(a) == len(b) == len(c)) or not a:
            raise ValueError(
                "provincial_cover_by_year, provincial_cover_domestic_by_year and "
                "provincial_cover_international_by_year must list the same (non-zero) number "
                f"of years; got {len(a)}, {len(b)} and {len(c)}"
            )
        for name, covers in (
            ("provincial_cover_by_year", a),
            ("provincial_cover_domestic_by_year", b),
            ("provincial_cover_international_by_year", c),
        ):
            if any(not 0.0 <= c <= 1.0 for c in covers):
                raise ValueError(f"{name}: every cover must be in [0, 1], got {list(covers)}")
        unknown = set(self.budget_bn_yuan) - set(PAYERS)
        if unknown:
            raise ValueError(
                f"budget_bn_yuan: unknown payer {sorted(unknown)}; allowed: {', '.join(PAYERS)}"
            )


class FirstSet(Instrument):
    """First-set (首台套) insurance compensation and SOE single-source procurement.

    A first-set model is insured in its first years; the government pays a share of the
    premium. The national scheme covers firsts new to China (80% of a premium capped at 3%,
    <= 3 years); the province covers domestic firsts 80/70/60% and provincial firsts 70/60/50%
    of a premium capped at 2%, <= 5 m yuan a year per model, not combinable with the
    national support. The model's producer takes the better; the cover never exceeds 100%.
    Insurance removes part of the buyers' risk premium. Provincial SOE buyers may buy an
    unproven first-set model of their segment by single-source procurement (seed 000), and do
    when it pays them: when its cost to them, less what skipping the tender saves, is no more
    than that of the model they chose. The province rewards a buyer of one of a first set's
    first sets (the model still unproven) whose purchase exceeds 10 m yuan (浙经信装备〔2023〕
    198号) with a share of it; buyers that expect to buy that much (as last year) weigh the
    reward in the same way, and the reward goes to the province's claims on the buyer.
    """

    name = "first_set"
    Params = FirstSetParams
    read_when_off = ("national_years", "insured_value_cap_m_yuan")

    def __init__(self, params: FirstSetParams, scenario: Scenario) -> None:
        super().__init__(params, scenario)
        self.rationing = "pro_rata"
        self._provincial_soe: np.ndarray | None = None
        #: This year's application rewards claimed by buyers (R, N), m yuan, set as they invest.
        self._application: np.ndarray | None = None
        #: This year's purchases of unproven first sets (R, N), m yuan, as firms invested.
        self._bought: np.ndarray | None = None
        #: Each buyer's machine-tool purchases last year (R, N), m yuan: what it expects to buy.
        self.last_purchases: np.ndarray | None = None

    def _maker_shares(self, eng: Engine, mt: slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Premium shares for the machine-tool slots ``mt`` (R, M).

        Returns:
            The government's share of the premium, whether the province's scheme is the one that
            applies, and whether the slot's model is a first set.
        """
        p, st, year = self.params, eng.state, eng.policy_year
        age = eng.year - st.model_vintage[:, mt]  # 0 in the year the model appears
        first = st.model_first_set[:, mt] & st.alive[:, mt]
        level = st.model_first_set_level[:, mt]
        national_level = level >= 2  # new to China: domestic and international firsts
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
            # The province covers every level, more for a higher one, falling each year.
            by_level = np.asarray(
                [
                    p.provincial_cover_by_year,
                    p.provincial_cover_by_year,
                    p.provincial_cover_domestic_by_year,
                    p.provincial_cover_international_by_year,
                ]
            )
            n_years = by_level.shape[1]
            idx = np.clip(age, 0, n_years - 1)
            cover = by_level[level, idx]
            ok = first & (age < n_years)
            provincial = np.where(
                ok, cover * min(rate, p.provincial_premium_rate_cap.at(year)), 0.0
            )
        # Not combinable: the better scheme applies; the premium is paid at most once.
        use_provincial = provincial > national
        gov_rate = np.minimum(np.maximum(national, provincial), rate)
        return gov_rate, use_provincial, first

    def adjust_risk_multiplier(self, eng: Engine, multiplier: np.ndarray) -> np.ndarray:
        """Insured first sets carry less of the buyers' risk premium (rule 4).

        The insurer takes ``premium_to_risk`` of the premium on an insured model; the buyer
        pays the part of the insurance premium the government does not, as much of its share
        as the scheme's payer is expected to pay (``expected_fill``: last year's fill of its
        budget, nothing without a budget). The multiplier (the economy's ``1 + premium`` on
        unproven models) never rises.
        """
        if not self.enabled:
            return multiplier
        st, p = eng.state, self.params
        premium = eng.scenario.innovation.unproven_risk_premium
        mt = eng.layout.machine_tool_block
        unproven = st.model_unproven[:, mt]
        gov_rate, use_provincial, first = self._maker_shares(eng, mt)
        fill = self.expected_fill(eng)
        provincial, central = (PAYERS.index(k) for k in ("provincial", "central"))
        gov_rate *= np.where(use_provincial, fill[:, provincial, None], fill[:, central, None])
        insured = first & (gov_rate > 0)
        own_cost = p.premium_rate - gov_rate
        covered = 1.0 + unproven * (premium * (1.0 - p.premium_to_risk) + own_cost)
        base = multiplier[:, mt]
        multiplier[:, mt] = np.where(insured, np.minimum(covered, base), base)
        return multiplier

    def activity(self, eng: Engine) -> np.ndarray:
        """What the support pays for: first sets' sales and buyers' first-set purchases.

        Sales of first-set models in their first years (the insurance) and buyers' purchases
        of unproven first sets (the application reward).
        """
        st = eng.state
        age = eng.year - st.model_vintage
        young = st.model_first_set & st.alive & (age < self.params.national_years)
        sales = st.orders_inside + st.sales_outside
        out = np.where(
            young, np.minimum(sales, self.params.insured_value_cap_m_yuan * eng.firm_weight), 0.0
        )
        if self._bought is not None:
            out += self._bought
        return out

    def _first_set_purchases(self, eng: Engine) -> np.ndarray:
        """Each buyer's purchase this year of an unproven in-region first set (R, N), m yuan.

        Read as firms invest (``after_investment``), before production proves any model
        (a purchase over the reward's threshold is usually enough to prove it).
        """
        st = eng.state
        return _unproven_first_set_purchases(
            st.machine_choice,
            st.model_first_set,
            st.model_unproven,
            st.alive,
            st.machine_purchases_in_region,
        )

    def _reward_open(self, eng: Engine) -> np.ndarray:
        """Buyers the application reward is open to (N,)."""
        mask = np.zeros(eng.layout.n_slots, dtype=bool)
        mask[eng.layout.sector_slots(self.params.application_sectors)] = True
        return mask

    def after_investment(self, eng: Engine) -> None:
        """Claim the application reward on the year's purchases of unproven first sets."""
        self.last_purchases = eng.state.machine_purchases.copy()
        if not self.enabled:
            self._application = self._bought = None
            return
        p = self.params
        # Kept for the activity: production may prove the model with these very purchases.
        self._bought = bought = self._first_set_purchases(eng)
        big = bought > p.application_threshold_m_yuan * eng.firm_weight
        share = p.application_reward_share.at(eng.policy_year)
        cap = p.application_reward_cap_m_yuan.at(eng.policy_year) * eng.firm_weight
        reward = np.minimum(share * bought, cap)
        self._application = np.where(big & self._reward_open(eng), reward, 0.0)

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
        cap = self.params.provincial_cap_m_yuan.at(eng.policy_year) * eng.firm_weight
        claim[:, mt] = np.where(use_provincial, np.minimum(maker_claim, cap), maker_claim)
        payer[:, mt] = np.where(use_provincial, PAYERS.index("provincial"), PAYERS.index("central"))
        eligible[:, mt] = first & (gov_rate > 0) & (sales > 0)
        if self._application is not None:
            # Buyers' application rewards, from the province; a maker that also claims
            # insurance is paid both by its insurance's payer (one payer per firm).
            reward = self._application
            buyers = reward > 0
            payer[buyers & ~eligible] = PAYERS.index("provincial")
            claim += reward
            eligible |= buyers
        return eligible, claim, payer

    def budgets_m_yuan(self, eng: Engine) -> np.ndarray:
        """Budget per payer this year (see ``Instrument.budgets_m_yuan``)."""
        return self.budgets_from(eng, self.params.budget_bn_yuan)

    def rescale(self, factor: np.ndarray) -> None:
        """Last year's purchases follow the spin-up's change of money units."""
        super().rescale(factor)
        if self.last_purchases is not None:
            self.last_purchases = self.last_purchases * factor

    def reset_firms(self, enter: np.ndarray) -> None:
        """An entrant bought nothing last year."""
        if self.last_purchases is not None:
            self.last_purchases[enter] = 0.0

    def continue_from(self, previous: Instrument) -> None:
        """Buyers' purchases last year carry on with the firms."""
        super().continue_from(previous)
        last = getattr(previous, "last_purchases", None)
        self.last_purchases = None if last is None else last.copy()

    def provincial_soe(self, eng: Engine) -> np.ndarray:
        """Which slots are provincial SOEs (R, N): a draw of the SOEs, the same every year."""
        if self._provincial_soe is None:
            keys = stream_keys(
                eng.scenario.seed, eng.replicates, eng.region.base_year.year, "provincial_soe"
            )
            share = self.params.provincial_soe_share
            # Keyed by the slot's number in the full layout, so a slot keeps its draw when
            # the firms move to a larger part of the layout (``Engine.expand``).
            self._provincial_soe = (
                slot_uniform_below(keys, eng.layout.slot_id, share) & eng.layout.soe
            )
        return self._provincial_soe

    def expand(self, part: SlotLayout, to: SlotLayout) -> None:
        """As every instrument; the provincial SOEs are drawn again (the same draws)."""
        super().expand(part, to)
        self._provincial_soe = None

    def override_choices(self, eng: Engine, choice: np.ndarray, cost: BuyerCost) -> np.ndarray:
        """Buyers to whom a first set costs less than its price take one where it pays.

        Provincial SOE buyers skip the tender (single-source procurement); buyers that expect
        a purchase above the application reward's threshold (as big as last year's) expect the
        reward, as far as the provincial budget paid its claims last year. Each weighs the
        unproven first-set models of its segment at its own cost (``cost``) less what it
        saves, and takes the cheapest if that is no more than the cost of the model it chose.

        Args:
            eng: The engine.
            choice: Each buyer's chosen model (R, N), switched in place.
            cost: What a model column costs a buyer (see ``model.economy.hooks.BuyerCost``).

        Returns:
            The choices after the switch (``choice`` itself).
        """
        p, st, lay = self.params, eng.state, eng.layout
        if not self.enabled:
            return choice
        # What a first set costs each buyer, relative to its price: the tender a provincial
        # SOE skips, and the reward a buyer expecting a big enough purchase (as big as last
        # year's) gets.
        single_source = p.soe_single_source and eng.policy_year >= p.single_source_first_year
        share = p.application_reward_share.at(eng.policy_year)
        reward = share > 0 and self.last_purchases is not None
        # The reward is the province's, so buyers expect as much of it as the provincial
        # budget paid of its claims last year (nothing without a budget), as they expect the
        # insurance share.
        reward_fill = self.expected_fill(eng)[:, PAYERS.index("provincial")]
        # (the single-source route also shows them every listed first set, not only their
        # brochure's). A route that is closed passes a placeholder array the loop never reads.
        rows, who, keep = _procurement_buyers(
            st.alive,
            self.provincial_soe(eng) if single_source else st.alive,
            single_source,
            p.single_source_saving.at(eng.policy_year) if single_source else 0.0,
            self.last_purchases if reward else np.zeros((1, 1)),
            reward,
            p.application_threshold_m_yuan * eng.firm_weight,
            self._reward_open(eng),
            share,
            reward_fill,
            p.application_reward_cap_m_yuan.at(eng.policy_year) * eng.firm_weight,
        )
        segment = lay.buy_segment[who]
        # Each segment's procurement in each replicate: its buyers and the unproven first
        # sets they weigh (a buyer buys in one segment, so the groups do not overlap).
        groups = []
        for g, slots in enumerate(lay.segment_slots):
            for r in range(eng.R):
                pool = slots[st.alive[r, slots] & st.model_unproven[r, slots]]
                pool = pool[st.model_first_set[r, pool]]
                mine = (segment == g) & (rows == r)
                if len(pool) > 0 and mine.any():
                    groups.append((r, who[mine], pool, keep[mine]))
        if not groups:
            return choice
        # Every buyer's cost of every candidate (buyers x candidates) and of the model it
        # chose, in one call of ``cost`` for all groups: its arguments' dispatch, not its
        # arithmetic, was most of its time when called per group.
        at_r, whose, columns = [], [], []
        for r, buyers, pool, _ in groups:
            B, C = len(buyers), len(pool)
            at_r.append(np.full(B * C + B, r))
            whose += [np.repeat(buyers, C), buyers]
            columns += [np.tile(pool, B), choice[r, buyers]]
        capital, operating = cost(
            np.concatenate(at_r), np.concatenate(whose), np.concatenate(columns)
        )
        out, start = choice, 0
        for r, buyers, pool, kept in groups:
            B, C = len(buyers), len(pool)
            offers, own = slice(start, start + B * C), slice(start + B * C, start + B * C + B)
            start = own.stop
            # Its capital cost less the tender saved and the reward (shares of the purchase),
            # plus its operating cost.
            offered = capital[offers].reshape(B, C) * kept[:, None] + operating[offers].reshape(
                B, C
            )
            best = np.argmin(offered, axis=1)  # the first of equally cheap ones
            pays = offered[np.arange(B), best] <= capital[own] + operating[own]
            out[r, buyers[pays]] = pool[best[pays]]
        return out


@njit(cache=True)
def _unproven_first_set_purchases(
    choice: np.ndarray,
    model_first_set: np.ndarray,
    model_unproven: np.ndarray,
    alive: np.ndarray,
    purchases_in_region: np.ndarray,
) -> np.ndarray:
    """Each live buyer's in-region purchases if its chosen model is an unproven first set."""
    R, N = choice.shape
    out = np.empty_like(purchases_in_region)  # in the purchases' precision
    zero = purchases_in_region.dtype.type(0.0)
    for r in range(R):
        for n in range(N):
            # Selected, not branched on: whether a buyer chose an unproven first set is
            # unpredictable. (An outside model's column is past the slots.)
            j = min(choice[r, n], N - 1)
            hit = (choice[r, n] < N) & alive[r, n] & model_first_set[r, j] & model_unproven[r, j]
            out[r, n] = purchases_in_region[r, n] if hit else zero
    return out


@njit(cache=True)
def _procurement_buyers(
    alive: np.ndarray,
    provincial: np.ndarray,
    single_source: bool,
    saving: float,
    last_purchases: np.ndarray,
    reward: bool,
    threshold: float,
    reward_open: np.ndarray,
    share: float,
    reward_fill: np.ndarray,
    cap: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Live buyers that weigh first sets off their brochure, and what a first set costs them.

    A provincial SOE (when ``single_source``) keeps 1 - ``saving`` of the price (the tender
    it skips); a buyer the reward is open to whose purchases last year were above
    ``threshold`` (when ``reward``) keeps 1 - its expected reward per yuan: ``share``, less
    where ``cap`` binds on a purchase as big as last year's, times the share of its claims
    the provincial budget is expected to pay (``reward_fill``, per replicate). A buyer that
    expects no reward does not weigh first sets for it.

    Returns:
        Replicate and slot of each such buyer (by replicate, then slot), and the share of a
        first set's price each keeps.
    """
    R, N = alive.shape
    rows = np.empty(R * N, dtype=np.int64)
    who = np.empty(R * N, dtype=np.int64)
    keep = np.empty(R * N)
    k = 0
    for r in range(R):
        for n in range(N):
            if not alive[r, n]:
                continue
            price_kept = 1.0
            considers = False
            if single_source and provincial[r, n]:
                price_kept *= 1.0 - saving
                considers = True
            if reward and last_purchases[r, n] > threshold and reward_open[n]:
                rate = min(share, cap / max(last_purchases[r, n], TINY)) * reward_fill[r]
                if rate > 0.0:
                    price_kept *= 1.0 - rate
                    considers = True
            if considers:
                rows[k] = r
                who[k] = n
                keep[k] = price_kept
                k += 1
    return rows[:k], who[:k], keep[:k]
