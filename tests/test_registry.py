"""The instrument registry is the only list of instruments: a fourth is a module and one line.

The worked example of docs/architecture.md, run in a fresh interpreter (registering is global):
an instrument defined outside the package, registered, runs, pays, is recorded and reported,
and while it is off every other result is bit-identical to a run without it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import xarray as xr

import model
from model.config.params import instrument_names
from model.policy.registry import instrument, names
from model.testing import PLAN, REPO_ROOT

SMALL = {"market.firm_scale": 0.01, "spinup.years": 3}

SCRIPT = textwrap.dedent(
    """
    import sys
    from dataclasses import dataclass
    from typing import Literal

    import numpy as np

    import model
    from model.config.params import PAYERS, InstrumentParams, p
    from model.policy.base import Instrument
    from model.policy.registry import register


    @dataclass(frozen=True, kw_only=True)
    class GrowthRewardParams(InstrumentParams):
        rate: float = p(0.01, lo=0.0, hi=1.0, doc="reward per yuan of revenue")
        payer: Literal["central", "provincial", "county"] = "county"
        budget_bn_yuan: float = p(5.0, lo=0.0, unit="bn yuan/yr")


    class GrowthReward(Instrument):
        \"\"\"A reward on the revenue of every firm whose revenue grew.\"\"\"

        name = "growth_reward"
        Params = GrowthRewardParams

        def claims(self, eng):
            st = eng.state
            eligible = st.alive & (st.revenue > st.revenue_prev)
            claim = self.params.rate * st.revenue
            payer = np.broadcast_to(np.intp(PAYERS.index(self.params.payer)), eligible.shape)
            return eligible, claim, payer

        def budgets_m_yuan(self, eng):
            b = np.zeros((eng.R, len(PAYERS)))
            b[:, PAYERS.index(self.params.payer)] = self.params.budget_bn_yuan * self._scale(eng)
            return b

        def activity(self, eng):
            return eng.state.revenue


    register(GrowthReward)
    small = {"market.firm_scale": 0.01, "spinup.years": 3}
    switch_on = {**small, "instruments.growth_reward.enabled": True}
    on = model.run(sys.argv[1], replicates=2, overrides=switch_on)
    off = model.run(sys.argv[1], replicates=2, overrides=small)
    on.to_netcdf(sys.argv[2], engine="h5netcdf")
    off.to_netcdf(sys.argv[3], engine="h5netcdf")
    """
)


def test_registry_is_the_only_list() -> None:
    assert (
        names()
        == instrument_names()
        == (
            "rd_bonus",
            "first_set",
            "renewal_loans",
            "first_set_award",
        )
    )
    assert instrument("first_set").name == "first_set"
    plan = model.load_scenario(PLAN)
    mix = model.RegionModel(model.load_scenario(PLAN, SMALL)).policy
    assert tuple(i.name for i in mix.all) == names()
    assert all(hasattr(plan.instruments, n) for n in names())


def test_a_fourth_instrument_is_its_module_and_one_registry_line(tmp_path) -> None:
    script = tmp_path / "fourth.py"
    script.write_text(SCRIPT, encoding="utf-8")
    on_path, off_path = tmp_path / "on.nc", tmp_path / "off.nc"
    done = subprocess.run(
        [sys.executable, str(script), str(PLAN), str(on_path), str(off_path)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with xr.open_dataset(on_path, engine="h5netcdf") as f:
        on = f.load()
    with xr.open_dataset(off_path, engine="h5netcdf") as f:
        off = f.load()
    assert list(on["instrument"].values) == [*names(), "growth_reward"]
    paid = on["subsidy_paid"].sel(instrument="growth_reward")
    assert float(paid.sum()) > 0, "the new instrument paid nothing"
    assert float(on["subsidy_by_payer"].sel(instrument="growth_reward", payer="county").sum()) > 0
    assert float(off["subsidy_paid"].sel(instrument="growth_reward").sum()) == 0.0
    # Off, the fourth instrument changes nothing else: the same run as without it.
    plain = model.run(PLAN, replicates=2, overrides=SMALL)
    for name, var in plain.data_vars.items():
        other = off[name]
        if "instrument" in var.dims:
            other = other.sel(instrument=list(names()))
        assert np.array_equal(var.values, other.values, equal_nan=True), name
