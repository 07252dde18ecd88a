"""Developer check: copy a fast-model state into the reference and compare rule by rule.

    python -m benchmarks.reference.transplant            # a year after the base year
    python -m benchmarks.reference.transplant --spin-up  # a spin-up year, renormalise, rebase

The statistical test (tests/test_reference.py) says whether the two implementations agree
in distribution; this says where they differ when they do not. It runs the fast model to
some year, copies every firm's state into a ``ReferenceModel`` (slot i of the fast model
becomes the firm in reference slot i), then applies each rule of the next year to both and
compares every firm's variables (and the makers' markets: demand, and the outside makers'
appeals and shares). The random draws are made equal or removed: demand shocks off and
bunching with probability 1; each firm's innovation, imitation and growth-shock draws and
each entrant's draws are the fast model's own for that slot (the fast model's streams are
counter-based, so any slot's numbers can be recomputed); each buyer's machine choice and
each entrant's slot are taken from the fast model.

It reads the fast model's engine state (``RegionModel.engine.state`` and its array names)
and random streams (``model._random``), so it may need updating when those internals
change; it is a tool, not a test.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.reference.firm import FirmAgent
from benchmarks.reference.government import Government, spinup_instruments
from benchmarks.reference.model import MARKETS, ReferenceModel
from model.economy.rules.demography import sector_growth
from model.economy.rules.innovation import PEER_SLOT_DRAWS
from model.economy.sectors import sector_sum
from model.economy.sizes import pool_entry_rate
from model.economy.state import FIELDS, FIRM
from model.economy.streams import STRIDE, beta_integer, normal, uniform

#: Firm variables copied from the fast model and compared: what a firm carries from year to
#: year by the fast model's state catalogue (the firm agent is created for a live slot, and
#: the titles' years are copied as TITLES), plus unit cost, which the reference keeps.
FIRM_STATE = (
    *(
        f.name
        for f in FIELDS
        if f.carried
        and f.axes == FIRM
        and f.name != "alive"
        and not f.name.endswith("_listed_year")
    ),
    "unit_cost",
)
TITLES = (("sn", "specialised_new"), ("lg", "little_giant"), ("sc", "single_champion"))
#: Relative difference tolerated (cohorts are single precision in the fast model).
RTOL = 1e-4


class _FastDraws:
    """Hand the reference, firm by firm, the numbers the fast model drew for that slot.

    The fast model's draws are pure functions of (stream key, slot, draw number)
    (``model._random``), so the reference can be given exactly the same ones: it asks
    ``random``/``gauss``/``betavariate`` in its own order, and this answers from a queue
    filled for the firm or entrant at hand.
    """

    def __init__(self, rnd) -> None:
        self.rnd = rnd
        self.queue: list[tuple[str, float]] = []
        self.saved = (rnd.random, rnd.gauss, rnd.betavariate)

    def _take(self, kind: str) -> float:
        want, value = self.queue.pop(0)
        if want != kind:
            raise AssertionError(f"the reference drew {kind} where the fast model drew {want}")
        return value

    def __enter__(self) -> _FastDraws:
        self.rnd.random = lambda: self._take("random")
        self.rnd.gauss = lambda mu, sd: mu + sd * self._take("gauss")
        self.rnd.betavariate = lambda a, b: self._take("beta")
        return self

    def __exit__(self, *exc) -> None:
        self.rnd.random, self.rnd.gauss, self.rnd.betavariate = self.saved


def _fast(fm, name: str) -> np.ndarray:
    """A firm array of the fast model by name (unit cost and wages are derived)."""
    eng = fm.engine
    if name == "unit_cost":  # price = (1 + markup) x unit cost; the engine keeps the price
        return eng.state.price / (1.0 + eng.par.markup[eng.layout.sector_of])
    if name == "wages":  # the labour part of machine-sensitive cost, also after renormalising
        return eng.wages_m_yuan()
    return getattr(eng.state, name)


def copy_state(fm, rm: ReferenceModel) -> None:
    """Replace the reference's firms and sectors by the fast model's replicate 0."""
    eng = fm.engine
    st = eng.state
    A = rm.scenario_params.investment.technical_life_years
    order = np.argsort((eng.cohort_head - np.arange(A)) % A)  # ring slots by age
    cost_slot = eng.cost_slot_of_ring()[order]  # -1 past the tax life: no book value left
    for f in list(rm.agents):
        f.slot.firm = None
        f.remove()
    rd_paid = fm.policy.rd_bonus.last_paid
    schedule = fm.policy.renewal_loans.schedule
    relief = fm.policy.renewal_loans.relief_schedule
    for i, slot in enumerate(rm.layout.slots):
        slot.payback_years = float(st.payback_years[0, i])
        slot.basic_research_share = float(st.basic_research_share[0, i])
        if not st.alive[0, i]:
            continue
        f = FirmAgent(rm, slot)
        for name in FIRM_STATE:
            setattr(f, name, _fast(fm, name)[0, i].item())
        f.cohort_capacity = [float(x) for x in st.cohort_capacity[0, i, order]]
        f.cohort_inverse_productivity = [
            float(x) for x in st.cohort_inverse_productivity[0, i, order]
        ]
        f.cohort_cost = [float(st.cohort_cost[0, i, c]) if c >= 0 else 0.0 for c in cost_slot]
        f.rd_history = [float(x) for x in st.rd_real_history[0, i]]
        for key, name in TITLES:
            setattr(f, f"{key}_listed_year", int(getattr(st, f"{name}_listed_year")[0, i]))
        f.rd_bonus_paid = float(rd_paid[0, i]) if rd_paid is not None else 0.0
        if schedule is not None:
            f.renewal_schedule = [float(x) for x in schedule[0, i]]
        if relief is not None:
            f.relending_schedule = [float(x) for x in relief[0, i]]
    rm.regroup()
    rm.year, rm.spinning_up = eng.year, eng.spinning_up
    ex = eng.exo
    rm.other_equipment_price = ex.other_equipment_price
    rm.other_equipment_productivity = ex.other_equipment_productivity
    rm.wage_per_worker = float(np.ravel(ex.wage_per_worker_m_yuan)[0])
    for s, sec in enumerate(rm.sectors):
        for name in (
            "k1",
            "k2",
            "demand_real",
            "demand_real_prev",
            "demand_expected",
            "price_index",
            "price_index_prev",
        ):
            setattr(sec, name, float(getattr(st, name)[0, s]))
    for k, o in enumerate(rm.outside_models):
        o.model_productivity = float(st.outside_productivity[0, k])
        o.price = float(st.outside_price[0, k])
        for market in MARKETS:
            for what in ("appeal", "share"):
                value = float(getattr(st, f"{market}_rival_{what}")[0, k])
                setattr(o, f"{market}_{what}", value)
    for market in MARKETS:
        setattr(rm, f"{market}_demand", [float(x) for x in getattr(st, f"{market}_demand")[0]])
    # The region's makers' spin-up paths and, after the rebase, the trends the outside makers
    # keep and their prices' base.
    rm.maker_productivity_path = [
        [None if np.isnan(x) else float(x) for x in a[0]] for a in eng.maker_productivity_path
    ]
    rm.maker_cost_path = [float(np.ravel(c)[0]) for c in eng.maker_cost_path]
    rm.maker_trend_growth = [float(x) for x in eng.maker_trend_growth[0]]
    if not eng.spinning_up:
        rm.maker_process_trend = float(np.ravel(eng.maker_process_trend)[0])
        rm.years_since_base = eng.years_since_base
        rm.outside_cost_base = float(np.ravel(eng.outside_cost_base)[0])
        rm.outside_inverse_base = float(np.ravel(eng.outside_inverse_base)[0])
        for k, o in enumerate(rm.outside_models):
            o.price_base = float(eng.outside_price_base[0, k])
    if not eng.spinning_up:
        rm.price_base = list(eng.price_base[0])
    if eng.spinning_up:
        # The spin-up runs the status quo's instruments, as the fast model's does.
        rm.government = Government(rm, spinup_instruments(rm.scenario_params))
    rm.government.renewal_loans.fill_ratio = float(np.ravel(fm.policy.renewal_loans.fill_ratio)[0])
    for mine in rm.government.instruments:
        fill = getattr(fm.policy, mine.name).fill_by_payer
        mine.fill = [1.0] * len(mine.fill) if fill is None else [float(x) for x in fill[0]]
    rate = fm.policy.first_set_award.segment_rate
    rm.government.first_set_award.segment_rate = None if rate is None else list(rate[0])
    rm._this_year = {}
    rm.tax_rates()


def differences(fm, rm: ReferenceModel, names) -> dict[str, tuple[float, int, float, float]]:
    """Largest relative difference of each firm variable: (difference, slot, fast, reference)."""
    alias = {
        "specialised_new_held": "sn_held",
        "little_giant_held": "lg_held",
        "single_champion_held": "sc_held",
        "specialised_new_new": "sn_new",
        "little_giant_new": "lg_new",
        "single_champion_new": "sc_new",
        **{f"{name}_listed_year": f"{key}_listed_year" for key, name in TITLES},
        "flow_writeoff": "writeoff",
        "flow_investment": "investment",
    }
    worst: dict[str, tuple[float, int, float, float]] = {}
    for f in rm.agents:
        i = f.slot.index
        for name in names:
            a = float(_fast(fm, name)[0, i])
            b = float(getattr(f, alias.get(name, name)))
            d = abs(a - b) / max(abs(a), 1e-9)
            if d > worst.get(name, (0.0,))[0]:
                worst[name] = (d, i, a, b)
    return {k: v for k, v in worst.items() if v[0] > RTOL}


def market_differences(fm, rm: ReferenceModel) -> dict[str, tuple[float, int, float, float]]:
    """Largest relative difference in the makers' markets: (difference, index, fast, reference).

    Each segment's rest-of-country and foreign demand, and each outside model's makers'
    appeal and share of both markets.
    """
    st = fm.engine.state
    pairs = {}
    for market in MARKETS:
        pairs[f"{market}_demand"] = (
            getattr(st, f"{market}_demand")[0],
            getattr(rm, f"{market}_demand"),
        )
        for what in ("appeal", "share"):
            pairs[f"{market}_rival_{what}"] = (
                getattr(st, f"{market}_rival_{what}")[0],
                [getattr(o, f"{market}_{what}") for o in rm.outside_models],
            )
    pairs["outside_productivity"] = (
        st.outside_productivity[0],
        [o.model_productivity for o in rm.outside_models],
    )
    pairs["outside_price"] = (st.outside_price[0], [o.price for o in rm.outside_models])
    worst = {}
    for name, (fast, ref) in pairs.items():
        for i, (a, b) in enumerate(zip(fast, ref, strict=True)):
            d = abs(float(a) - b) / max(abs(float(a)), 1e-9)
            if d > worst.get(name, (0.0,))[0]:
                worst[name] = (d, i, float(a), b)
    return {k: v for k, v in worst.items() if v[0] > RTOL}


def check(spin_up: bool = False, firm_scale: float = 0.03, extra: dict | None = None) -> bool:
    """Run the rule-by-rule comparison; print and return whether every rule agrees.

    Args:
        spin_up: Check a spin-up year (and the renormalisation, rescaling and rebase)
            instead of a scenario year.
        firm_scale: ``market.firm_scale`` of the check.
        extra: More overrides of the plan scenario (e.g. another instrument variant).
    """
    from model.config.scenario import resolve
    from model.economy import rules
    from model.policy.mix import PolicyMix
    from model.simulation.model import RegionModel, spinup_policy
    from model.testing import PLAN

    ov = {
        "market.firm_scale": firm_scale,
        "spinup.years": 3,
        "demand.shocks": False,
        "rd.bunching_probability": 1.0,
        **(extra or {}),
    }
    # The fast model runs on part of the slots (``SlotLayout.open_part``: the spin-up's, and
    # the simulated years' that grows with entry); with every slot open the two layouts are
    # the same, slot for slot. (No draw depends on the open part: tests/test_layout.py.)
    every = resolve(PLAN, overrides=ov).market.slot_headroom
    ov["market.open_slot_headroom"] = every
    if spin_up:
        ov["market.spinup_slot_headroom"] = every
    sc = resolve(PLAN, overrides=ov)
    fm = RegionModel(sc, [0])
    fm.engine.keep_firm_flows = True  # compare wages, taxes, net profit, ... firm by firm
    eng, st = fm.engine, fm.engine.state
    if spin_up:
        # As RegionModel.spin_up: the status quo's instruments that act in the base year.
        fm.policy = eng.policy = PolicyMix(spinup_policy(sc))
        for _ in range(2):
            fm._one_year()
            eng.renormalise_costs()
            eng.rescale_to_base()
            eng.anchor_outside_makers()
            eng.record_maker_trend()
    else:
        fm.spin_up()
        fm.step()
        fm.step()
    rm = ReferenceModel(sc, 0)
    lay = eng.layout
    for i, slot in enumerate(rm.layout.slots):
        same = (slot.sector, slot.cluster, slot.soe, slot.buy_segment, slot.make_segment) == (
            lay.sector_of[i],
            lay.cluster_of[i],
            lay.soe[i],
            lay.buy_segment[i],
            lay.make_segment[i],
        )
        if not same or (slot.make_segment >= 0 and slot.niche_group != lay.niche_group_of[i]):
            print(f"layout differs at slot {i}")
            return False
    copy_state(fm, rm)
    ok = True

    def report(rule: str, names, markets: bool = False) -> None:
        nonlocal ok
        bad = differences(fm, rm, names)
        if markets:
            bad.update(market_differences(fm, rm))
        ok &= not bad
        print(f"{rule:12s} {'same' if not bad else bad}")

    def report_price_index(rule: str) -> None:
        # The sector price indices (machine tools: the makers' output deflator).
        nonlocal ok
        gap = max(
            abs(st.price_index[0, s] - sec.price_index) / max(abs(sec.price_index), 1e-9)
            for s, sec in enumerate(rm.sectors)
        )
        ok &= gap < RTOL
        print(f"{rule + ' index':12s} {'same' if gap < RTOL else gap}")

    report("copy", FIRM_STATE, markets=True)
    rnd = rm.random
    eng.year += 1
    eng.advance_exogenous()
    rm.year += 1
    rm._this_year = {}
    rm.advance_exogenous()
    rules.demand(eng)
    rm.demand()
    gap = max(
        abs(st.demand_real[0, s] - sec.demand_real) / max(sec.demand_real, 1e-9)
        for s, sec in enumerate(rm.sectors)
    )
    bad = market_differences(fm, rm)
    ok &= gap < RTOL and not bad
    print(f"{'demand':12s} {'same' if gap < RTOL and not bad else (gap, bad)}")
    rules.research(eng)
    rm.agents.do("research")
    report("research", ("rd_real", "rd_reported", "rd_reported_prev", "basic_research"))
    rules.innovate_and_imitate(eng)
    inn = sc.innovation
    k_inn = eng.stream_keys("innovation")[0]
    k_imi = eng.stream_keys("imitation")[0]
    search = FirmAgent.innovate

    def innovate_with_fast_draws(firm) -> None:
        c = firm.slot.index * STRIDE
        x = firm.rd_history[inn.rd_lag_years - 1] / max(firm.output_real, 1e-12)
        q = [("random", uniform(k_inn, c))]
        if q[0][1] < 1.0 - np.exp(-inn.zeta_innovation * x):
            a, b = (int(v) for v in inn.jump_beta)
            q.append(("beta", beta_integer(k_inn, c + 1, a, b)))
        q += [("random", uniform(k_imi, c + k)) for k in range(2)]
        # The peer's slot draws, as many as the search needs (it stops at a live firm).
        peer_draws = [("random", uniform(k_imi, c + 2 + k)) for k in range(PEER_SLOT_DRAWS + 1)]
        if not inn.imitation_enabled:
            q, peer_draws = q[:-2], []
        elif q[-2][1] >= 1.0 - np.exp(-inn.zeta_imitation * x):
            q, peer_draws = q[:-1], []  # no imitation attempt: no peer drawn
        with _FastDraws(rnd) as draws:
            draws.queue = q + peer_draws
            search(firm)
            if len(draws.queue) > len(peer_draws):
                raise AssertionError(f"the reference drew less than the fast model: {q}")

    FirmAgent.innovate = innovate_with_fast_draws
    try:
        rm.innovate()
    finally:
        FirmAgent.innovate = search
    report(
        "innovate",
        (
            "process_productivity",
            "model_productivity",
            "model_unproven",
            "model_first_set",
            "model_first_set_level",
            "model_vintage",
            "model_sets_sold",
        ),
    )
    rules.invest(eng)
    choice, N = st.machine_choice[0], lay.n_slots

    def fast_choice(firm):
        j = int(choice[firm.slot.index])
        return rm.layout.slots[j].firm if j < N else rm.outside_models[j - N]

    listed = fm.policy.renewal_loans.listed
    renewal = type(rm.government.renewal_loans)

    def fast_listing(self) -> None:  # the fast model's draw of whose project is listed
        for firm in rm.agents:
            firm.renewal_listed = listed is not None and bool(listed[0, firm.slot.index])

    FirmAgent.choose_machine, original = fast_choice, FirmAgent.choose_machine
    renewal.draw_listing, drawing = fast_listing, renewal.draw_listing
    try:
        rm.invest()
    finally:
        FirmAgent.choose_machine = original
        renewal.draw_listing = drawing
    report(
        "invest",
        (
            "cash",
            "debt",
            "capacity",
            "investment_replacement",
            "investment_expansion",
            "capacity_replaced",
            "renewal_eligible_loan",
            "orders_inside",
            "machine_purchases",
            "machine_purchases_in_region",
            "machine_purchases_unproven",
            "flow_writeoff",
            "flow_investment",
        ),
    )
    rules.produce(eng)
    k_growth = eng.stream_keys("growth")[0]
    shock = FirmAgent.draw_growth_shock

    def shock_with_fast_draws(firm) -> None:
        with _FastDraws(rnd) as draws:
            draws.queue = [("random", uniform(k_growth, firm.slot.index * STRIDE))]
            shock(firm)

    FirmAgent.draw_growth_shock = shock_with_fast_draws
    try:
        rm.produce()
    finally:
        FirmAgent.draw_growth_shock = shock
    report(
        "produce",
        (
            "price",
            "unit_cost",
            "output_real",
            "revenue",
            "unfilled",
            "market_share",
            "national_share",
            "export_share",
            "appeal",
            "mt_segment_share",
            "sales_outside",
            "sales_abroad",
            "model_unproven",
            "model_recognised",
            "model_sets_sold",
            "output_expected",
        ),
        markets=True,
    )
    report_price_index("produce")
    rules.account(eng)
    rm.agents.do("account")
    report(
        "account",
        (
            "wages",
            "value_added",
            "employment",
            "depreciation",
            "vat",
            "cit",
            "profit_before_tax",
            "tax_expenditure_super_deduction",
            "tax_expenditure_high_tech",
            "tax_expenditure_listed_deduction",
            "tax_expenditure_vat_credit",
        ),
    )
    fm.policy.pay(eng)
    rm.government.pay()
    report("pay", ("subsidy_received",))
    rules.settle_cash(eng)
    rm.agents.do("settle_cash")
    report("settle_cash", ("cash", "debt", "net_profit"))
    rules.update_status(eng)
    rm.update_status()
    report(
        "status",
        ("above_scale", "on_machine_tool_list")
        + tuple(f"{n}_{k}" for _, n in TITLES for k in ("held", "new", "listed_year")),
    )
    # The fast model's expected entrants per sector (not kept in its state): exits replaced
    # in the spin-up, else the pool's crossings per firm live before the exits.
    live_before = [
        float(st.alive[0, b].sum()) for b in map(lay.sector_block, range(len(rm.sectors)))
    ]
    growth = sector_growth(
        sector_sum(eng, np.where(st.alive, st.revenue, 0.0)),
        sector_sum(eng, np.where(st.alive, st.revenue_prev, 0.0)),
    )[0]
    rules.demography(eng)
    exits = set(np.flatnonzero(st.exits[0]).tolist())
    if eng.spinning_up:
        expected = [float(st.exits[0, lay.sector_block(s)].sum()) for s in range(len(rm.sectors))]
    else:
        alpha, sd = sc.region.size_exponent, sc.market.growth_shock_sd
        expected = [
            pool_entry_rate(alpha, g, sd) * n for g, n in zip(growth, live_before, strict=True)
        ]
    entries = set(np.flatnonzero(st.entries[0]).tolist())
    k_entry = eng.stream_keys("entry")[0]
    before = {f.slot.index: f for f in rm.agents}
    closed = set(np.flatnonzero(st.closures[0]).tolist())
    closes = {i for i, f in before.items() if f.net_worth() < 0.0}
    with _FastDraws(rnd) as draws:
        # Sector by sector: each cluster's draw of its entrant count (past every slot's
        # counters), then each entrant's size, productivity noise (a maker also its
        # model's), R&D habit and high-tech status. The entrants' slots follow from the rule.
        for s in range(len(rm.sectors)):
            for c in np.flatnonzero(lay.sector_of[lay.cluster_start] == s):
                counter = (lay.full_slots + int(c)) * STRIDE
                draws.queue.append(("random", uniform(k_entry, counter)))
            for i in sorted(i for i in entries if lay.sector_of[i] == s):
                c = int(lay.slot_id[i]) * STRIDE
                draws.queue += [
                    ("random", uniform(k_entry, c + 6)),
                    ("gauss", normal(k_entry, c + 1)),
                ]
                if lay.make_segment[i] >= 0:
                    draws.queue.append(("gauss", normal(k_entry, c + 7)))
                draws.queue += [
                    ("gauss", normal(k_entry, c + 3)),
                    ("random", uniform(k_entry, c + 5)),
                ]
        rm.demography()
    after = {f.slot.index: f for f in rm.agents}
    same_exits = exits == {i for i, f in before.items() if after.get(i) is not f}
    same_closures = closed == closes and sum(rm.closure_count) == len(closed)
    same_entries = entries == {i for i, f in after.items() if before.get(i) is not f}
    same_lost = np.array_equal(st.entrants_without_slot[0], rm.entrants_without_slot)
    ok &= same_exits and same_closures and same_entries and same_lost
    gap = max(
        abs(a - b) / max(abs(a), 1e-9) for a, b in zip(expected, rm.entrants_expected, strict=True)
    )
    ok &= gap < RTOL
    print(f"{'entry rate':12s} {'same' if gap < RTOL else (gap, expected, rm.entrants_expected)}")
    print(
        f"{'exits':12s} {'same' if same_exits else 'differ'} ({len(exits)}), closures "
        f"{'same' if same_closures else 'differ'} ({len(closed)}); "
        f"entrants' slots {'same' if same_entries else 'differ'} ({len(entries)}), entrants "
        f"without a slot {'same' if same_lost else 'differ'} ({sum(rm.entrants_without_slot)})"
    )
    report(
        "entry",
        (
            "market_share",
            "national_share",
            "export_share",
            "appeal",
            "process_productivity",
            "model_productivity",
            "capacity",
            "machine_productivity",
            "cash",
            "debt",
            "revenue",
            "output_real",
            "output_expected",
            "price",
            "rd_real",
            "model_sets_sold",
        ),
    )
    if spin_up:
        eng.renormalise_costs()
        rm.renormalise_costs()
        report("renormalise", ("unit_cost", "price", "revenue", "wages"))
        report_price_index("renormalise")
        eng.rescale_to_base()
        rm.rescale_to_base()
        report(
            "rescale",
            ("revenue", "cash", "debt", "output_expected", "rd_real", "capacity"),
            markets=True,
        )
        eng.anchor_outside_makers()
        rm.anchor_outside_makers()
        report("anchor", ("national_share", "export_share", "appeal"), markets=True)
        eng.record_maker_trend()
        rm.record_maker_trend()
        eng.rebase()
        rm.rebase()
        report("rebase", ("orders_inside", "national_share", "export_share"), markets=True)
    print("every rule agrees" if ok else "RULES DIFFER")
    return ok


def main() -> None:
    """Command line: ``python -m benchmarks.reference.transplant [--spin-up]``."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--spin-up", action="store_true", help="check a spin-up year, renormalisation, rebase"
    )
    p.add_argument("--firm-scale", type=float, default=0.03)
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override (TOML value)"
    )
    a = p.parse_args()
    import tomllib

    extra = {k: tomllib.loads(f"v = {v}")["v"] for k, v in (x.split("=", 1) for x in a.set)}
    raise SystemExit(0 if check(a.spin_up, a.firm_scale, extra) else 1)


if __name__ == "__main__":
    main()
