"""The engine's firm arrays: each owned by the state alone, so the rules may update in place."""

from __future__ import annotations

import itertools

import numpy as np

from model import RegionModel
from model._run import resolve
from model.testing import small_overrides


def test_no_two_state_arrays_share_memory() -> None:
    sc = resolve("scenarios/plan.toml", overrides=small_overrides(**{"spinup.years": 3}))
    m = RegionModel(sc, [0, 1])
    m.spin_up()
    for _ in range(3):
        m.step()
        arrays = {
            name: value
            for name, value in vars(m.engine.state).items()
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
        for name, value in vars(m.engine.state).items()
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
    st, mt = m.engine.state, m.layout.make_segment >= 0
    seen = 0
    for _ in range(4):
        m.step()  # demography (entry) is the year's last rule
        entrants = st.entries & mt
        seen += int(entrants.sum())
        assert (st.mt_segment_share[entrants] == 0.0).all()
    assert seen > 0, "no machine-tool entrant to check"
