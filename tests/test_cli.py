"""`python -m model run`: files written, the summary printed, the firm panel's contents."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import model
from model.testing import REPO_ROOT, assert_units, small_overrides

FIRM_FLAGS = (
    "above_scale",
    "specialised_new",
    "little_giant",
    "single_champion",
    "high_tech",
    "first_set_model",
)


@pytest.fixture(scope="module")
def cli_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("cli") / "results"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "model",
            "run",
            "scenarios/plan.toml",
            "--replicates",
            "2",
            "--out",
            str(out),
            "--set",
            "market.firm_scale=0.03",
            "--set",
            "spinup.years=20",
            "--firms",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO_ROOT,
    )
    return proc, out


def test_exit_code_and_files(cli_run) -> None:
    proc, out = cli_run
    assert proc.returncode == 0, f"stderr:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["plan.firms.nc", "plan.nc"], (
        "missing or stray files"
    )


def test_result_file_is_the_run(cli_run) -> None:
    _, out = cli_run
    with xr.open_dataset(out / "plan.nc", engine="h5netcdf") as ds:
        ds = ds.load()
    assert ds.sizes["replicate"] == 2
    assert ds.attrs["scenario_name"] == "plan"
    assert_units(ds)
    # The same run in-process gives the same numbers.
    again = model.run("scenarios/plan.toml", replicates=2, overrides=small_overrides())
    for name in ("output", "value_added", "subsidy_paid", "demand_shock"):
        np.testing.assert_array_equal(ds[name].values, again[name].values, err_msg=name)


def test_summary_has_the_target_table(cli_run) -> None:
    proc, out = cli_run
    stdout = proc.stdout
    assert "Scenario 'plan': 2 replicates" in stdout
    assert "Targets" in stdout
    lines = [line for line in stdout.splitlines() if "zj_machine_tool_output_2025" in line]
    assert len(lines) == 1, f"target line missing or repeated:\n{stdout}"
    fields = lines[0].split()
    assert "2025" in fields and ">=" in fields
    assert any(f.endswith("%") for f in fields), "attainment share missing"
    assert str(out / "plan.nc") in stdout and str(out / "plan.firms.nc") in stdout


def test_summary_median_matches_the_file(cli_run) -> None:
    proc, out = cli_run
    line = next(ln for ln in proc.stdout.splitlines() if "zj_machine_tool_output_2025" in ln)
    with xr.open_dataset(out / "plan.nc", engine="h5netcdf") as ds:
        median = float(ds["output"].sel(sector="machine_tools", year=2025).median())
    assert f"{median:.4g}" in line.split(), f"median {median:.4g} not in {line!r}"


def test_firm_panel_file(cli_run) -> None:
    _, out = cli_run
    with xr.open_dataset(out / "plan.firms.nc", engine="h5netcdf") as panel:
        panel = panel.load()
    assert set(panel.dims) == {"firm", "year"}
    for name in (
        "alive",
        "revenue",
        "rd_intensity",
        "productivity",
        "mean_machine_age",
        *FIRM_FLAGS,
    ):
        assert name in panel.data_vars, f"{name} missing from the firm panel"
        assert panel[name].dims == ("firm", "year")
    assert_units(panel)
    for flag in ("alive", *FIRM_FLAGS):
        values = np.unique(panel[flag].values)
        assert set(values.tolist()) <= {0, 1}, f"{flag} is not a 0/1 flag: {values}"
    alive = panel["alive"].astype(bool)
    # Dead slots have no revenue; status flags only on live firms.
    assert float(abs(panel["revenue"].where(~alive, 0.0)).max()) == 0.0
    for flag in FIRM_FLAGS:
        if flag != "high_tech":  # see test_high_tech_flag_only_on_live_firms
            assert not bool((panel[flag].astype(bool) & ~alive).any()), f"{flag} set on a dead slot"
    assert float(panel["revenue"].min()) >= 0.0
    assert bool(alive.any()) and bool((panel["revenue"] > 0).any())
    assert panel.attrs["replicate"] == 0


def test_high_tech_flag_only_on_live_firms(cli_run) -> None:
    _, out = cli_run
    with xr.open_dataset(out / "plan.firms.nc", engine="h5netcdf") as panel:
        dead_high_tech = panel["high_tech"].astype(bool) & ~panel["alive"].astype(bool)
        assert not bool(dead_high_tech.any()), (
            f"{int(dead_high_tech.sum())} dead slot-years flagged high-tech"
        )


def test_firm_panel_file_matches_the_run_file(cli_run) -> None:
    _, out = cli_run
    with (
        xr.open_dataset(out / "plan.firms.nc", engine="h5netcdf") as panel,
        xr.open_dataset(out / "plan.nc", engine="h5netcdf") as ds,
    ):
        revenue = panel["revenue"].groupby("sector").sum().sel(sector=ds["sector"].values)
        output = ds["output"].isel(replicate=0) * 1000.0
        np.testing.assert_allclose(
            revenue.transpose("year", "sector").values,
            output.transpose("year", "sector").values,
            rtol=1e-12,
        )
