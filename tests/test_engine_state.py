"""The engine's firm arrays: each owned by the state alone, so the rules may update in place."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from model import RegionModel
from model.config.scenario import resolve
from model.testing import small_overrides


def test_no_two_state_arrays_share_memory() -> None:
    sc = resolve("scenarios/plan.toml", overrides=small_overrides(**{"spinup.years": 3}))
    m = RegionModel(sc, [0, 1])
    m.spin_up()
    for _ in range(3):
        m.step()
        arrays = {
            name: value
            for name, value in m.engine.state.arrays()
            if isinstance(value, np.ndarray)
            and value.ndim >= 2
            and value.shape[1] == m.layout.n_slots
        }
        assert len(arrays) > 60
        shared = [
            (a, b)
            for (a, x), (b, y) in itertools.combinations(arrays.items(), 2)
            if np.shares_memory(x, y)
        ]
        assert not shared, f"state arrays share memory: {shared}"


def test_firm_arrays_are_contiguous() -> None:
    # The compiled rules take tuples of arrays, which must all have one layout.
    sc = resolve("scenarios/plan.toml", overrides=small_overrides(**{"spinup.years": 2}))
    m = RegionModel(sc, [0, 1])
    m.spin_up()
    m.step()
    n_slots = m.layout.n_slots
    firm_arrays = {
        name: value
        for name, value in m.engine.state.arrays()
        if isinstance(value, np.ndarray) and value.ndim >= 2 and value.shape[1] == n_slots
    }
    assert len(firm_arrays) > 60
    for name, value in firm_arrays.items():
        assert value.flags.c_contiguous, name


def test_entrant_makers_start_without_brochure_share() -> None:
    # A new machine-tool maker has sold nothing yet, so its weight in buyers' brochures is the
    # equal part only, not the share of the slot's previous occupant.
    sc = resolve("scenarios/plan.toml", overrides=small_overrides(**{"spinup.years": 3}))
    m = RegionModel(sc, [0, 1])
    m.spin_up()
    st = m.engine.state
    seen = 0
    for _ in range(4):
        m.step()  # demography (entry) is the year's last rule
        entrants = st.entries & (m.layout.make_segment >= 0)
        seen += int(entrants.sum())
        assert (st.mt_segment_share[entrants] == 0.0).all()
    assert seen > 0, "no machine-tool entrant to check"


def _recorded(m: RegionModel) -> dict[str, np.ndarray]:
    return {k: np.stack(v) for k, v in m.recorder.series.items() if v}


def test_flows_summed_in_the_rules_equal_their_firms_sums() -> None:
    # The rules sum the flows only the recorder reads by sector inside their loops; kept per
    # firm (as the rule-by-rule check asks), the firms' values must add up to those sums, and
    # keeping them must not change anything the model computes.
    sc = resolve("scenarios/plan.toml", overrides=small_overrides(**{"spinup.years": 3}))
    kept, plain = RegionModel(sc, [0, 1]), RegionModel(sc, [0, 1])
    kept.engine.keep_firm_flows = True
    kept.spin_up()
    plain.spin_up()
    st = kept.engine.state
    for _ in range(3):
        kept.step()
        plain.step()
        lay = kept.layout
        assert set(st.sector_flows) >= {"wages", "net_profit", "investment_replacement"}
        for name, by_sector in st.sector_flows.items():
            firms = getattr(st, name)
            assert firms.shape == (2, lay.n_slots)
            np.testing.assert_allclose(
                np.add.reduceat(firms, lay.sector_start, axis=1),
                by_sector,
                rtol=1e-12,
                atol=1e-12 * np.abs(by_sector).max(),
                err_msg=name,
            )
        assert not hasattr(plain.engine.state, "wages")
    a, b = _recorded(kept), _recorded(plain)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_cost_ring_as_long_as_the_tax_life_changes_nothing(monkeypatch) -> None:
    # Cohort costs are kept only for the tax life (10 years, not the technical life of 20):
    # a cohort past it has no book value. A ring as long as the technical life must give
    # bit-identical results, so the shorter ring loses nothing and maps ages right.
    from model.economy.engine import Engine

    sc = resolve("scenarios/plan.toml", overrides=small_overrides(**{"spinup.years": 4}))
    short = RegionModel(sc, [0])
    assert short.engine.cost_ring_years == sc.investment.tax_depreciation_years
    assert short.engine.cost_ring_years < sc.investment.technical_life_years
    short.run_years()
    technical_life = property(lambda eng: eng.scenario.investment.technical_life_years)
    monkeypatch.setattr(Engine, "cost_ring_years", technical_life)
    full = RegionModel(sc, [0])
    assert full.engine.state.cohort_cost.shape[2] == sc.investment.technical_life_years
    full.run_years()
    a, b = _recorded(short), _recorded(full)
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_sector_slots_are_the_slots_of_the_named_sectors() -> None:
    # The R&D bonus tests eligibility on these slots alone: they must be exactly the slots
    # whose sector is named, in slot order, whatever order the names come in.
    from model.economy.layout import build_layout

    lay = build_layout(resolve("scenarios/plan.toml", overrides=small_overrides()))
    ids = lay.sector_ids
    names = (ids[-1], ids[0], ids[-1])
    expected = np.flatnonzero(np.isin(lay.sector_of, [0, len(ids) - 1]))
    np.testing.assert_array_equal(lay.sector_slots(names), expected)
    assert lay.sector_slots(()) == slice(None)
    mt = lay.machine_tool_block
    np.testing.assert_array_equal(
        np.arange(mt.start, mt.stop), np.flatnonzero(lay.sector_of == lay.mt_sector)
    )
    np.testing.assert_array_equal(
        lay.sector_slots((ids[lay.mt_sector],)), np.arange(mt.start, mt.stop)
    )
    with pytest.raises(ValueError, match=f"no_such_sector.*{ids[0]}"):
        lay.sector_slots(("no_such_sector",))
