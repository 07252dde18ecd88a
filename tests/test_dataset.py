"""The labelled result of model.run: dims, variables, metadata and the netCDF file."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
import xarray as xr

import model
from model.testing import PLAN, assert_identical_runs, assert_units, small_overrides

REQUIRED_SECTOR_VARIABLES = (
    "output",
    "value_added",
    "employment",
    "rd_expenditure",
    "rd_intensity",
    "mean_machine_age",
    "investment_replacement",
    "investment_expansion",
    "loans_new",
    "first_set_products_new",
    "domestic_machine_share",
    "n_firms_above_scale",
    "n_specialised_new",
    "n_little_giants",
    "n_single_champions",
)


def test_dims(plan_run: xr.Dataset) -> None:
    for dim in ("replicate", "year", "sector"):
        assert dim in plan_run.dims, f"missing dim {dim!r}; dims are {dict(plan_run.sizes)}"
    assert plan_run.sizes["replicate"] == 3
    scenario = model.load_scenario(PLAN)
    years = list(range(scenario.start_year, scenario.end_year + 1))
    assert plan_run["year"].values.tolist() == years
    assert plan_run["sector"].values.tolist() == [s.id for s in scenario.region.sector]
    assert plan_run["replicate"].values.tolist() == [0, 1, 2]


@pytest.mark.parametrize("name", REQUIRED_SECTOR_VARIABLES)
def test_required_variable(plan_run: xr.Dataset, name: str) -> None:
    assert name in plan_run.data_vars, f"{name!r} missing from the result"
    da = plan_run[name]
    assert {"replicate", "year", "sector"} <= set(da.dims), f"{name} has dims {da.dims}"
    assert np.isfinite(da.values).all(), f"{name} has non-finite values"


def test_every_variable_has_units_and_long_name(plan_run: xr.Dataset) -> None:
    assert_units(plan_run)


def test_assert_units_catches_a_missing_attribute(plan_run: xr.Dataset) -> None:
    # The helper must be able to fail, or the test above proves nothing.
    del plan_run["output"].attrs["units"]
    plan_run["value_added"].attrs["long_name"] = " "
    with pytest.raises(AssertionError, match=r"output\.units.*value_added\.long_name"):
        assert_units(plan_run)


def test_no_variable_is_all_nan(plan_run: xr.Dataset) -> None:
    # budget_used is NaN where a budget is unlimited; nothing should be NaN throughout.
    empty = [n for n, v in plan_run.data_vars.items() if v.size and bool(v.isnull().all())]
    assert not empty, f"all-NaN variables: {empty}"


def test_global_attrs(plan_run: xr.Dataset) -> None:
    attrs = plan_run.attrs
    scenario = model.load_scenario(PLAN, small_overrides())
    assert attrs["seed"] == scenario.seed
    assert isinstance(attrs["code_version"], str) and attrs["code_version"].startswith(
        model.__version__
    )
    text = attrs["scenario"]
    data = tomllib.loads(text)  # parseable TOML
    assert data["name"] == scenario.name == attrs["scenario_name"]
    assert data["seed"] == scenario.seed
    # The text is the resolved scenario: the run's overrides are in it.
    assert data["market"]["firm_scale"] == pytest.approx(0.03)
    assert data["spinup"]["years"] == 20


def test_scenario_attr_reruns_identically(plan_run: xr.Dataset) -> None:
    """The stored scenario text is enough to rerun the scenario bit for bit."""
    from model.config.schema import build

    text = plan_run.attrs["scenario"]
    scenario = build(model.Scenario, tomllib.loads(text))
    again = model.run(scenario, replicates=plan_run.sizes["replicate"])
    assert_identical_runs(again, plan_run)


def test_seed_attr_follows_the_seed_argument() -> None:
    ds = model.run(PLAN, replicates=1, seed=12345, overrides=small_overrides())
    assert ds.attrs["seed"] == 12345
    assert tomllib.loads(ds.attrs["scenario"])["seed"] == 12345


def test_netcdf_round_trip(plan_run: xr.Dataset, tmp_path) -> None:
    path = model.write_netcdf(plan_run, tmp_path / "plan.nc")
    assert path == tmp_path / "plan.nc"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.nc"], "temporary files left behind"
    with xr.open_dataset(path, engine="h5netcdf") as back:
        back = back.load()
    assert back.attrs == plan_run.attrs
    assert set(back.data_vars) == set(plan_run.data_vars)
    for name, var in plan_run.variables.items():
        got = back[name]
        assert got.dims == var.dims, name
        assert got.attrs == var.attrs, f"attrs of {name} changed: {var.attrs} -> {got.attrs}"
        np.testing.assert_array_equal(
            got.values.astype(var.dtype), var.values, err_msg=f"values of {name} changed"
        )
    # Booleans are stored as int8 but read back as the same truth values.
    assert bool(back["cluster_cnc_zone"].values.any())


def test_netcdf_write_replaces_atomically(plan_run: xr.Dataset, tmp_path) -> None:
    target = tmp_path / "out" / "plan.nc"
    model.write_netcdf(plan_run, target)  # creates the folder
    smaller = plan_run.isel(replicate=[0])
    model.write_netcdf(smaller, target)  # replaces the file
    assert sorted(p.name for p in target.parent.iterdir()) == ["plan.nc"]
    with xr.open_dataset(target, engine="h5netcdf") as back:
        assert back.sizes["replicate"] == 1


def test_failed_write_leaves_no_temporary_file(plan_run: xr.Dataset, tmp_path) -> None:
    bad = plan_run.copy()
    bad.attrs["not_serialisable"] = {"a": 1}  # netCDF attributes cannot be dicts
    with pytest.raises((TypeError, ValueError)):
        model.write_netcdf(bad, tmp_path / "bad.nc")
    assert list(tmp_path.iterdir()) == [], "a failed write left files behind"


def test_firm_panel_cluster_belongs_to_sector() -> None:
    scenario = model.load_scenario(PLAN, small_overrides())
    sector_of_cluster = {c.id: c.sector for c in scenario.region.cluster}
    panel = model.firm_panel(scenario)
    clusters, sectors = panel["cluster"].values, panel["sector"].values
    wrong = [(c, s) for c, s in zip(clusters, sectors, strict=True) if sector_of_cluster[c] != s]
    assert not wrong, (
        f"{len(wrong)} of {len(sectors)} firms in a cluster of another sector, e.g. {wrong[:3]}"
    )


def test_cluster_coordinates_are_consistent(plan_run: xr.Dataset) -> None:
    scenario = model.load_scenario(PLAN, small_overrides())
    sector_of_cluster = {c.id: c.sector for c in scenario.region.cluster}
    for cluster, sector in zip(
        plan_run["cluster"].values, plan_run["cluster_sector"].values, strict=True
    ):
        assert sector_of_cluster[cluster] == sector
    assert set(plan_run["cluster_sector"].values) == set(plan_run["sector"].values)
