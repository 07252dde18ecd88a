"""The spin-up's part of the layout and its expansion into the full layout at the rebase.

The spin-up keeps its firm count, so it runs on each cluster's first slots
(``SlotLayout.open_prefix``); ``RegionModel.spin_up`` then moves the firms into the full
layout (``Engine.expand``). A slot draws the same numbers in both, and a free slot's leftover
values are never read, which is why the slots that open may hold zero.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from model import RegionModel
from model.config.scenario import resolve
from model.economy.layout import build_layout
from model.economy.state import COHORT, COST, FIELDS, FIRM, RD_LAG
from model.policy.ledgers import CompactSlots
from model.testing import PLAN

SMALL = {"market.firm_scale": 0.05, "spinup.years": 3}
TRAITS = ("payback_years", "basic_research_share")
#: Every slot open in the spin-up: the spin-up's layout is the full one.
WHOLE = {"market.spinup_slot_headroom": 0.6}
#: What each year's comparison of the two layouts reads.
KEPT = ("alive", "entries", "exits", "innovated", "revenue", "cash")
KEPT += ("process_productivity",)


def _scenario(**over):
    return resolve(PLAN, overrides={**SMALL, **over})


@pytest.fixture(scope="module")
def layouts():
    sc = _scenario()
    full = build_layout(sc)
    return sc, full, full.open_prefix(sc.market.spinup_slot_headroom)


def test_the_spinup_runs_on_each_clusters_first_slots(layouts) -> None:
    sc, full, part = layouts
    h = sc.market.spinup_slot_headroom
    assert full.is_full and not part.is_full and part.full_slots == full.n_slots
    firms = np.add.reduceat(full.initial_alive.astype(int), full.cluster_start)
    for c, (start, size, n) in enumerate(
        zip(full.cluster_start, full.cluster_size, firms, strict=True)
    ):
        kept = min(size, max(n + 1, math.ceil(n * (1 + h))))
        assert part.cluster_size[c] == kept
        mine = part.slot_id[part.cluster_start[c] : part.cluster_start[c] + kept]
        np.testing.assert_array_equal(mine, np.arange(start, start + kept))
    # Every slot keeps its traits; the sectors are still blocks of clusters.
    for name in ("sector_of", "cluster_of", "soe", "buy_segment", "make_segment", "initial_alive"):
        np.testing.assert_array_equal(getattr(part, name), getattr(full, name)[part.slot_id])
    np.testing.assert_array_equal(part.niche_group_of, full.niche_group_of[part.slot_id])
    for s in range(part.n_sectors):
        assert (part.sector_of[part.sector_block(s)] == s).all()
    for g, slots in enumerate(part.segment_slots):
        assert (part.make_segment[slots] == g).all()
        assert set(part.slot_id[slots]) <= set(full.segment_slots[g])
    assert len(part.niche_group_start) == len(full.niche_group_start)
    with pytest.raises(ValueError, match="full layout"):
        part.open_prefix(0.1)


def test_a_slot_draws_the_same_initial_firm_in_either_layout() -> None:
    """The initial firms are the full layout's, slot for slot (to rounding of the sums)."""
    spun = RegionModel(_scenario(), [0, 1])
    whole = RegionModel(_scenario(**{"market.spinup_slot_headroom": 0.6}), [0, 1])
    assert not spun.layout.is_full and whole.layout.is_full
    where = spun.layout.slot_id
    n = spun.layout.n_slots
    for name, value in spun.engine.state.arrays():
        if not (value.ndim >= 2 and value.shape[1] == n):
            continue
        other = getattr(whole.engine.state, name)[:, where]
        if name in TRAITS or value.dtype.kind in "bi":
            np.testing.assert_array_equal(value, other, err_msg=name)
        else:
            np.testing.assert_allclose(value, other, rtol=1e-12, atol=1e-9, err_msg=name)
    soe = spun.policy.first_set.provincial_soe(spun.engine)
    np.testing.assert_array_equal(
        soe, whole.policy.first_set.provincial_soe(whole.engine)[:, where]
    )


def _per_slot(obj, n: int, seen: set[int], path: str = "") -> list[str]:
    """Paths of the arrays (or compact per-slot values) with n slots reachable from obj."""
    if id(obj) in seen or isinstance(obj, (str, bytes, int, float, type)):
        return []
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return [path] if obj.ndim >= 1 and n in obj.shape[:3] else []
    if isinstance(obj, CompactSlots):
        return [path] if n in obj.shape else []
    items = (
        obj.items()
        if isinstance(obj, dict)
        else enumerate(obj)
        if isinstance(obj, (list, tuple))
        else vars(obj).items()
        if hasattr(obj, "__dict__")
        else ()
    )
    out = []
    for k, v in items:
        out += _per_slot(v, n, seen, f"{path}.{k}")
    return out


def _block_rows(eng) -> set[str]:
    """Names of the state's arrays that are rows of a rule's block."""
    blocks = [b for b in eng._buffers.values() if b.ndim == 3]
    return {name for name, value in eng.state.arrays() if any(value.base is b for b in blocks)}


def test_the_rebase_moves_every_firm_into_the_simulated_years_slots() -> None:
    m = RegionModel(_scenario(**{"market.open_slot_headroom": 0.15}), [0, 1])
    part, eng = m.layout, m.engine
    n = part.n_slots
    before: dict[str, np.ndarray] = {}
    rows: set[str] = set()
    expand = eng.expand

    def spy(to):
        before.update({k: v.copy() for k, v in eng.state.arrays() if v.shape[1:2] == (n,)})
        rows.update(_block_rows(eng))
        return expand(to)

    eng.expand = spy
    m.spin_up()
    now_layout = eng.layout
    assert m.layout is now_layout and not now_layout.is_full and now_layout.n_slots > n
    # Each cluster: its firms x (1 + open_slot_headroom) slots, its first ones.
    h = m.scenario_params.market.open_slot_headroom
    firms = np.add.reduceat(part.initial_alive.astype(int), part.cluster_start)
    expected = np.minimum(
        eng.full_layout.cluster_size, np.maximum(firms + 1, np.ceil(firms * (1 + h)))
    )
    np.testing.assert_array_equal(now_layout.cluster_size, expected)
    # Every per-slot array of the engine, the instruments and the recorder moved.
    assert n not in (now_layout.n_slots, eng.R), "pick a scale whose slot counts differ"
    assert not _per_slot(m, n, set()), _per_slot(m, n, set())
    st = eng.state
    where = now_layout.slot_position[part.slot_id]  # the part's slots, now
    assert (where >= 0).all()
    opened = np.setdiff1d(np.arange(now_layout.n_slots), where)
    assert len(before) > 60
    for name, value in before.items():
        now = getattr(st, name)
        np.testing.assert_array_equal(now[:, where], value, err_msg=name)
        if name not in TRAITS:
            assert not now[:, opened].any(), f"{name}: an opened slot is not empty"
    # The opened slots have the traits the full layout drew for them.
    whole = RegionModel(_scenario(**WHOLE), [0, 1])
    for name in TRAITS:
        np.testing.assert_array_equal(
            getattr(st, name), getattr(whole.engine.state, name)[:, now_layout.slot_id]
        )
    # A state array that was a row of a rule's block is a row of the widened block, which
    # the rule finds again the next year (it allocates no new block).
    assert rows and rows == _block_rows(eng)
    blocks = {k: id(b) for k, b in eng._buffers.items()}
    assert all(k[3] != n for k in blocks)
    m.step()  # and the first year runs on them
    if eng.layout is now_layout:
        assert {k: id(b) for k, b in eng._buffers.items()} == blocks
    assert rows <= _block_rows(eng)


def test_the_rebase_moves_what_the_instruments_paid_and_expect() -> None:
    m = RegionModel(_scenario(**{"market.open_slot_headroom": 0.15}), [0, 1])
    part = m.layout
    before: dict[tuple[str, str], np.ndarray] = {}
    expand = m.policy.expand

    def spy(part, to) -> None:
        for ins in m.policy.all:
            for name, value in vars(ins).items():
                if isinstance(value, CompactSlots):
                    before[ins.name, name] = value.dense().copy()
                elif isinstance(value, np.ndarray) and value.shape[1:2] == (part.n_slots,):
                    before[ins.name, name] = value.copy()
        expand(part, to)

    m.policy.expand = spy  # (the planned policy, which takes over at the rebase)
    m.spin_up()
    # What the spin-up's instruments paid and buyers bought (the status quo's R&D bonus and
    # first sets) is kept for the same firms.
    assert {("rd_bonus", "_paid"), ("first_set", "last_purchases")} <= set(before)
    where = m.layout.slot_position[part.slot_id]
    opened = np.setdiff1d(np.arange(m.layout.n_slots), where)
    for (ins, name), value in before.items():
        now = getattr(getattr(m.policy, ins), name)
        now = now.dense() if isinstance(now, CompactSlots) else now
        np.testing.assert_array_equal(now[:, where], value, err_msg=f"{ins}.{name}")
        assert not now[:, opened].any(), f"{ins}.{name}"


def test_entry_opens_slots_as_it_needs_them_and_no_result_depends_on_how_many() -> None:
    """The simulated years run on part of the layout that grows when a cluster's entrants
    need more slots (``Engine.open_slots``). No draw depends on how many slots are open and
    every sum over slots is taken slot by slot, so the run is bit-identical whether every
    slot opens at the rebase, none to spare (a cluster opens more nearly every year) or some,
    and whether the spin-up ran on its part of the layout or on the full one."""
    runs, sizes = {}, {}
    # Room for every entrant (the cap does not bind), opened at once or as needed.
    for h in (2.0, 0.0, 0.15, "whole spin-up"):
        over = {
            "spinup.years": 6,
            "market.slot_headroom": 2.0,
            "market.open_slot_headroom": 0.0 if isinstance(h, str) else h,
        }
        if isinstance(h, str):
            over["market.spinup_slot_headroom"] = 2.0  # the spin-up on the full layout too
        m = RegionModel(_scenario(**over), [0, 1, 2])
        m.spin_up()
        sizes[h] = [m.layout.n_slots]
        for _ in range(5):
            m.step()
            sizes[h].append(m.layout.n_slots)
        runs[h] = m.recorder.arrays()
    full = m.engine.full_layout.n_slots
    assert sizes[2.0] == [full] * 6  # every slot open from the rebase
    assert sizes[0.0][0] < sizes[0.15][0] < full
    assert len(set(sizes[0.0])) >= 4, sizes[0.0]  # it grew in most years
    assert not runs[2.0]["entrants_without_slot"].any()
    for h in (0.0, 0.15, "whole spin-up"):
        differ = [
            k for k, v in runs[2.0].items() if not np.array_equal(v, runs[h][k], equal_nan=True)
        ]
        assert not differ, (h, differ)


def test_a_sweeps_twins_compare_firms_across_their_layouts() -> None:
    """Deadweight compares each firm's subsidy with its no-policy twin's activity, firm by
    firm: the twins open slots as their own entrants need, and the comparison reads the
    twin's activity at the full layout's slots."""
    from model.experiments.sweep import sweep

    sets = []
    for h in (0.6, 0.0):
        sets.append(
            sweep(
                "scenarios/sweeps/policy_scenarios.toml",
                replicates=2,
                overrides={**SMALL, "end_year": 2026, "market.open_slot_headroom": h},
            )
        )
    a, b = sets
    assert float(abs(a["deadweight_vs_no_policy"]).sum()) > 0
    differ = [k for k in a.data_vars if not np.array_equal(a[k], b[k], equal_nan=True)]
    assert not differ, differ


#: R&D that does not respond to its user cost: a free slot's zero base user cost once gave
#: 0 x inf = NaN in its (unused) R&D, which the sums over slots carried.
INELASTIC_RD = {"rd.user_cost_elasticity_real": 0.0, "rd.user_cost_elasticity_reported": 0.0}


@pytest.mark.parametrize("behaviour", [{}, INELASTIC_RD], ids=["default", "inelastic_rd"])
@pytest.mark.parametrize("filler", [1.0e4, 0.0])
def test_a_free_slots_leftover_values_are_never_read(filler: float, behaviour: dict) -> None:
    """Why the opened slots may hold zero: what an exit leaves in a slot (zero in the fields
    it clears) is all a later year reads of a free slot, whatever else the slot holds (here
    1e4 or zero, False or True, 0 or a small index)."""

    def run(junk: bool) -> dict[str, np.ndarray]:
        m = RegionModel(_scenario(**behaviour), [0, 1])
        m.spin_up()
        st, makers = m.engine.state, m.layout.make_segment >= 0
        if junk:
            free = ~st.alive
            for f in FIELDS:
                value = getattr(st, f.name, None)
                if (
                    value is None
                    or f.axes not in (FIRM, COHORT, COST, RD_LAG)
                    or f.cleared_on_exit
                    or f.name in ("alive", *TRAITS)
                    or value.shape[1] != free.shape[1]
                ):
                    continue
                where = free & makers if f.name == "first_set_recognised" else free
                # (a user firm's slot never holds a first set; a maker's is set each year)
                kind = value.dtype.kind
                if kind == "b":
                    value[where] = filler != 0
                elif kind == "i":
                    value[where] = 0 if filler == 0 else 3 if value.dtype == np.int8 else 1
                else:
                    value[where] = filler
        for _ in range(4):
            m.step()
        return {k: np.stack(v) for k, v in m.recorder.series.items() if v}

    clean, junk = run(False), run(True)
    differ = [k for k in clean if not np.array_equal(clean[k], junk[k], equal_nan=True)]
    assert not differ, differ


def test_the_spinup_gives_the_same_firms_in_either_layout() -> None:
    """The spin-up's rules give each firm the same outcome on the spin-up's part of the
    layout as on the full one, bit for bit: the same innovation, imitation,
    brochure, growth-shock and title draws, the same exits, and the same entrants in the
    same slots. An imitator draws its peer's slot in the full layout and an entrant takes
    its cluster's lowest free slot, so neither depends on how many slots are open."""
    scenarios = [_scenario(**{"spinup.years": 6, **over}) for over in ({}, WHOLE)]
    assert scenarios[0].innovation.imitation_enabled
    runs = []
    for sc in scenarios:
        m = RegionModel(sc, [0, 1])
        years: list[dict[str, np.ndarray]] = []
        one_year = m._one_year

        def kept(m=m, one_year=one_year, years=years) -> None:
            one_year()
            st = m.engine.state
            years.append(
                {name: getattr(st, name).copy() for name in KEPT} | {"at": m.engine.layout}
            )

        m._one_year = kept
        m.spin_up()
        m.step()  # and the first simulated year, on the full layout in both
        runs.append(years)
    assert not runs[0][0]["at"].is_full and runs[1][0]["at"].is_full
    entries = 0
    for part, whole in zip(*runs, strict=True):
        where = part["at"].slot_id
        elsewhere = np.setdiff1d(np.arange(whole["at"].n_slots), where)
        assert not whole["alive"][:, elsewhere].any()
        for name in ("alive", "entries", "exits", "innovated"):
            np.testing.assert_array_equal(part[name], whole[name][:, where], err_msg=name)
        live = part["alive"]
        for name in ("revenue", "cash", "process_productivity"):
            # Bit for bit: every sum over slots is taken slot by slot.
            np.testing.assert_array_equal(
                part[name][live], whole[name][:, where][live], err_msg=name
            )
        entries += int(part["entries"].sum())
    assert entries > 100, entries


def test_a_segment_without_buyers_in_the_spinup_buys_nothing() -> None:
    """At 600 firms the spin-up's slots hold no high-end buyer: its purchases are 0, and the
    segments still add up to all purchases (the base year is recorded on the spin-up's
    slots)."""
    m = RegionModel(_scenario(**{"market.firm_scale": 600 / 56_362, "spinup.years": 2}), [0, 1])
    empty = np.bincount(m.layout.buy_segment, minlength=m.layout.n_segments) == 0
    assert empty.any(), "pick a scale where a segment has no buyer slot in the spin-up"
    m.spin_up()
    base = m.recorder._flows
    by_segment = base["machine_purchases_by_segment"]
    assert (by_segment[:, empty] == 0).all()
    np.testing.assert_allclose(
        by_segment.sum(axis=1), base["machine_purchases"].sum(axis=1), rtol=1e-6
    )
