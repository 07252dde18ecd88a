"""The state catalogue is the truth about the state: types, and the lifecycle each flag claims.

Each lifecycle flag of ``model.economy.state.FIELDS`` is checked against what the code does to
hand-marked arrays: the spin-up's rescaling scales exactly the ``rescaled`` fields, an exit
clears the ``cleared_on_exit`` ones and the entry rule writes every ``set_on_entry`` one.
"""

from __future__ import annotations

import numpy as np
import pytest

from model import RegionModel
from model.config.scenario import resolve
from model.economy.rules.demography import ExitFirms, demography
from model.economy.state import FIELDS, FIRM, SECTOR, State, field, names
from model.testing import small_overrides


@pytest.fixture
def model() -> RegionModel:
    sc = resolve("scenarios/plan.toml", overrides=small_overrides(**{"spinup.years": 3}))
    m = RegionModel(sc, [0, 1])
    m.engine.keep_firm_flows = True
    m.spin_up()
    m.step()
    return m


def test_every_array_is_declared_with_its_type(model: RegionModel) -> None:
    st = model.engine.state
    st.check()
    held = dict(st.arrays())
    assert set(held) == {f.name for f in FIELDS}, "declared but never set"
    with pytest.raises(AttributeError):
        st.undeclared = np.zeros(3)
    st.revenue = st.revenue.astype(np.float32)
    with pytest.raises(TypeError, match="state.revenue"):
        st.check()


def test_rescaling_scales_exactly_the_rescaled_fields(model: RegionModel) -> None:
    eng = model.engine
    st = eng.state
    before = {name: np.array(a, copy=True) for name, a in st.arrays()}
    factor = eng.rescale_to_base()  # (R, S)
    lay = eng.layout
    for f in FIELDS:
        old, new = before[f.name], getattr(st, f.name)
        if f.axes[:2] == FIRM:
            k = np.repeat(factor, lay.sector_size, axis=1)
            expect = old * (k if old.ndim == 2 else k[:, :, None]) if f.rescaled else old
        elif f.axes == SECTOR:
            expect = old * factor if f.rescaled else old
        else:
            continue
        assert np.allclose(new, expect.astype(new.dtype), rtol=1e-6, equal_nan=True), f.name
    assert not np.allclose(factor, 1.0), "a rescale that changes nothing checks nothing"


def test_exit_clears_the_cleared_fields_and_entry_sets_the_set_fields(model: RegionModel) -> None:
    eng = model.engine
    st = eng.state
    # Force an exit wave: every user firm of replicate 0 with negative net worth exits.
    doomed = np.flatnonzero(st.alive[0] & (eng.layout.make_segment < 0))[::3]
    st.debt[0, doomed] = 1e9
    # Mark the doomed slots in every field set on entry (but those an exit reads or clears),
    # to see what entry writes.
    read_by_exit = {*ExitFirms._fields, *names(cleared_on_exit=True)}
    marks = {}
    for f in FIELDS:
        if f.set_on_entry and f.name not in read_by_exit:
            a = getattr(st, f.name)
            mark = {"bool": False, "int8": 7, "int32": -7}.get(f.dtype, np.nan)
            a[0, doomed] = mark
            marks[f.name] = mark
    for name in names(cleared_on_exit=True, axes=FIRM):
        marks.setdefault(name, None)
    demography(eng)
    exited = doomed[st.exits[0, doomed]]
    entered = np.flatnonzero(st.entries[0])
    assert len(exited) > 10 and len(entered) > 10
    for name in names(cleared_on_exit=True, axes=FIRM):
        a = getattr(st, name)[0]
        gone = np.setdiff1d(exited, entered)
        assert (a[gone] == 0).all(), f"{name} not cleared on exit"
    # The doomed are user firms: a model's productivity is a maker's alone.
    makers_only = {"model_productivity"}
    for f in FIELDS:
        if f.name not in marks or f.name in read_by_exit or f.name in makers_only:
            continue
        a = getattr(st, f.name)[0][np.intersect1d(doomed, entered)]
        mark = marks[f.name]
        flat = a.reshape(len(a), -1)
        if f.dtype == "bool":
            continue  # a flag set to False is not told from the mark; its kernel line is
        assert not (flat == mark).any() and not np.isnan(flat.astype(float)).any(), (
            f"{f.name} is not set for entrants"
        )


def test_catalogue_lookups() -> None:
    assert field("revenue").unit == "m yuan"
    assert "revenue" in names(rescaled=True, axes=FIRM)
    with pytest.raises(KeyError):
        field("no_such_array")
    assert len(State.__slots__) == len(FIELDS) + 1
