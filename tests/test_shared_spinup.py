"""Scenarios that differ only after the base year share one spin-up, with identical results."""

import numpy as np
import pytest

from model.config.scenario import resolve
from model.simulation.batch import _simulate_batch, simulate_points_batch
from model.simulation.model import spinup_key
from model.testing import small_overrides

SCENARIOS = ("plan", "plan_outside_high", "no_policy", "renewal_only")


@pytest.fixture(scope="module")
def scenarios():
    return [resolve(f"scenarios/{name}.toml", overrides=small_overrides()) for name in SCENARIOS]


def test_keys_equal_for_post_base_differences(scenarios) -> None:
    first = spinup_key(scenarios[0])
    assert all(spinup_key(sc) == first for sc in scenarios[1:])


def test_tax_schedules_after_the_base_year_share_the_spin_up() -> None:
    """The spin-up holds the base year's taxes: a later change of the list's terms is a fork."""
    a = resolve("scenarios/plan.toml", overrides=small_overrides())
    later = {"tax.listed_vat_credit": {"2023": 0.15, "2026": 0.0}}
    b = resolve("scenarios/plan.toml", overrides=small_overrides(**later))
    assert spinup_key(a) == spinup_key(b)
    sooner = {"tax.listed_vat_credit": {"2023": 0.1}}
    c = resolve("scenarios/plan.toml", overrides=small_overrides(**sooner))
    assert spinup_key(a) != spinup_key(c)


def test_keys_differ_for_behaviour() -> None:
    a = resolve("scenarios/plan.toml", overrides=small_overrides())
    b = resolve(
        "scenarios/plan.toml", overrides=small_overrides(**{"investment.payback_years": 2.0})
    )
    assert spinup_key(a) != spinup_key(b)


def test_fork_refuses_a_different_spinup() -> None:
    from model.simulation.model import RegionModel

    a = resolve("scenarios/plan.toml", overrides=small_overrides(**{"spinup.years": 1}))
    b = resolve(
        "scenarios/plan.toml",
        overrides=small_overrides(**{"spinup.years": 1, "rd.bunching_window": 0.01}),
    )
    m = RegionModel(a, [0])
    m.spin_up()
    with pytest.raises(ValueError, match="spin-up"):
        m.fork(b)


def test_shared_spinup_equals_separate_runs(scenarios) -> None:
    together = simulate_points_batch(scenarios, [0, 1])
    for sc, arrays in zip(scenarios, together, strict=True):
        alone = _simulate_batch(sc, [0, 1])
        for key, value in alone.items():
            assert np.array_equal(value, arrays[key], equal_nan=True), f"{sc.name}: {key} differs"


def test_points_sharing_a_counterfactual_equal_separate_runs() -> None:
    # Policy levers that the twins ignore (so the points share one no-policy and one
    # status-quo twin: the plan's R&D reward, the single-source saving, which the status quo pins),
    # and ones they read (eligible age: separate no-policy twins; the listed share of renewal
    # projects, which the status quo's 2024 loans read: separate status-quo twins).
    levers = (
        {},
        {
            "instruments.first_set.single_source_saving": 0.15,
            "instruments.rd_bonus.reward_rate": 0.2,
        },
        {"instruments.renewal_loans.eligible_age_years": 6},
        {"instruments.renewal_loans.listed_project_share": 0.8},
    )
    points = [
        resolve("scenarios/plan.toml", overrides=small_overrides(**lever)) for lever in levers
    ]
    together = simulate_points_batch(points, [0, 1])
    for sc, arrays in zip(points, together, strict=True):
        alone = _simulate_batch(sc, [0, 1])
        for key, value in alone.items():
            assert np.array_equal(value, arrays[key], equal_nan=True), f"{key} differs"
    # The deadweight measure is not trivially zero, so sharing the twin is tested.
    assert any(float(np.abs(a["deadweight"]).sum()) > 0 for a in together)


def _state_arrays(model) -> dict[str, np.ndarray]:
    st = model.engine.state
    out = dict(st.arrays())
    out.update({f"sector_flows.{k}": v for k, v in st.sector_flows.items()})
    return out


def _assert_step_alike(model, other, years: int) -> None:
    """Step both models ``years`` times; every state array equal after each year."""
    for _ in range(years):
        model.step()
        other.step()
        a, b = _state_arrays(model), _state_arrays(other)
        assert a.keys() == b.keys()
        for name in a:
            assert np.array_equal(a[name], b[name], equal_nan=True), f"{name} differs"


def test_forks_into_recycled_memory_or_the_spun_up_engine_equal_fresh_forks() -> None:
    from model.simulation.model import RegionModel

    sc = resolve("scenarios/plan.toml", overrides=small_overrides(**{"spinup.years": 2}))
    other = resolve("scenarios/renewal_only.toml", overrides=small_overrides(**{"spinup.years": 2}))
    base = RegionModel(sc, [0, 1])
    base.spin_up()
    finished = base.fork(other)
    for _ in range(2):
        finished.step()  # its arrays now hold other values than the base's
    recycled = base.fork(sc, recycle=finished)
    fresh = base.fork(sc)
    with pytest.raises(AttributeError):
        finished.engine  # noqa: B018 - its memory is the new fork's now
    shared = base.layout.arrays()
    base_arrays = [*_state_arrays(base).values(), *base.engine._buffers.values(), *shared]
    for name, a in _state_arrays(recycled).items():
        assert not any(np.shares_memory(a, b) for b in base_arrays), f"{name} shares the base's"
    # Views of the rules' blocks stay views of the fork's own blocks.
    blocks = list(recycled.engine._buffers.values())
    views = [a for a in _state_arrays(recycled).values() if a.base is not None]
    assert views and all(any(np.shares_memory(v, b) for b in blocks) for v in views)
    _assert_step_alike(recycled, fresh, years=3)
    stranger = RegionModel(sc, [0, 1])
    with pytest.raises(ValueError, match="same model"):
        base.fork(sc, recycle=stranger)
    with pytest.raises(ValueError, match="not with last"):
        base.fork(sc, recycle=fresh, last=True)
    # The last fork takes the spun-up engine itself, with the same results as a copy.
    fresh = base.fork(sc)
    taken = base.fork(sc, last=True)
    with pytest.raises(AttributeError):
        base.engine  # noqa: B018 - its engine is the last fork's now
    _assert_step_alike(taken, fresh, years=2)


def test_a_recycled_fork_never_writes_into_arrays_it_shares() -> None:
    # A retired fork that holds an array of the spun-up model or of the layout (as a rule
    # that kept a reference would) must not hand it over as memory to copy into.
    from model.simulation.model import RegionModel

    sc = resolve("scenarios/plan.toml", overrides=small_overrides(**{"spinup.years": 2}))
    base = RegionModel(sc, [0, 1])
    base.spin_up()
    st = base.engine.state
    layout_array = base.layout.segment_slots[0]
    # Pairs of arrays of one shape and type found nowhere else, so that a copy of one could
    # land in the other: the base's own pair, and one beside the layout's array.
    # (The state holds only catalogue fields; its sector flows take any name.)
    extra = st.sector_flows
    extra["zeros_pair"], extra["ones_pair"] = np.zeros((2, 7), np.int8), np.ones((2, 7), np.int8)
    extra["like_layout"] = np.full_like(layout_array, -1)
    retired = base.fork(sc)
    retired.engine.state.sector_flows["zeros_pair"] = extra["zeros_pair"]  # the base's own
    retired.engine.state.sector_flows["layout_alias"] = layout_array
    before = {name: a.copy() for name, a in _state_arrays(base).items()}
    layout_before = layout_array.copy()
    twin = base.fork(sc, recycle=retired)
    assert np.array_equal(layout_array, layout_before), "the layout was written"
    for name, a in _state_arrays(base).items():
        assert np.array_equal(a, before[name], equal_nan=True), f"the base's {name} was written"
    assert not np.shares_memory(twin.engine.state.sector_flows["zeros_pair"], extra["zeros_pair"])
