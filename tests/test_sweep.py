"""Sweep files: format, validation, dims and coordinates, and every point equal to its own run."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import model
from model import cli
from model.experiments.sweep import load_sweep, value_at
from model.experiments.sweep.points import dim_name, scaled_value
from model.testing import (
    REPO_ROOT,
    SCENARIOS,
    assert_identical_runs,
    assert_units,
    small_overrides,
)

#: Small and quick: these tests are about the sweep machinery, not the economics.
SMALL_SET = 'set = { "market.firm_scale" = 0.03, "spinup.years" = 5 }'
PLAN = (SCENARIOS / "plan.toml").as_posix()
NO_POLICY = (SCENARIOS / "no_policy.toml").as_posix()


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def grid_file(tmp_path: Path, replicates: int = 2) -> Path:
    return write(
        tmp_path,
        f"""
        name = "grid"
        base = "{PLAN}"
        replicates = {replicates}
        {SMALL_SET}

        [[axis]]
        path = "instruments.rd_bonus.reward_rate"
        values = [0.0, 0.2]

        [[axis]]
        name = "pool"
        path = "instruments.renewal_loans.pool_bn_yuan"
        scale = [0.5, 2.0]
        """,
    )


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> xr.Dataset:
    return model.sweep(grid_file(tmp_path_factory.mktemp("grid")))


# ----------------------------------------------------------------- the shipped sweep files


@pytest.mark.parametrize(
    ("name", "dims"),
    [
        (
            "instrument_combinations",
            {
                "rd_bonus_enabled": 2,
                "first_set_enabled": 2,
                "renewal_loans_enabled": 2,
                "first_set_award_enabled": 2,
            },
        ),
        ("budgets", {"rd_bonus_budget": 3, "first_set_budget": 3, "renewal_pool": 3}),
        ("two_levers", {"subsidy_pp": 5, "reward_rate": 5}),
        ("outside_demand", {"outside_demand": 3}),
        ("policy_scenarios", {"scenario": 10}),
        ("innovation_capability", {"zeta_innovation": 6}),
    ],
)
def test_shipped_sweeps_load(name: str, dims: dict[str, int]) -> None:
    sw = load_sweep(SCENARIOS / "sweeps" / f"{name}.toml")
    assert sw.name == name
    assert {d.name: d.size for d in sw.dims} == dims
    assert sw.replicates == 20
    assert sw.seed == model.load_scenario(SCENARIOS / "plan.toml").seed


def test_instrument_combinations_are_the_2x2x2x2_switches() -> None:
    sw = load_sweep(SCENARIOS / "sweeps" / "instrument_combinations.toml")
    seen = set()
    for p in range(sw.n_points):
        ins = sw.scenario(p).instruments
        on = (
            ins.rd_bonus.enabled,
            ins.first_set.enabled,
            ins.renewal_loans.enabled,
            ins.first_set_award.enabled,
        )
        assert tuple(sw.label(p).values()) == on
        seen.add(on)
    assert len(seen) == 16
    # Switching instruments happens after the base year: one spin-up serves all 16 points.
    assert sw.groups == (tuple(range(16)),)


def test_budget_scale_multiplies_every_payer_and_year() -> None:
    sw = load_sweep(SCENARIOS / "sweeps" / "budgets.toml")
    plan = model.load_scenario(SCENARIOS / "plan.toml")
    p = int(np.ravel_multi_index((2, 0, 2), sw.shape))  # rd x2, first-set x0.5, pool x2
    sc = sw.scenario(p).instruments
    assert sc.rd_bonus.budget_bn_yuan == plan.instruments.rd_bonus.budget_bn_yuan.scaled(2.0)
    for payer, sched in plan.instruments.first_set.budget_bn_yuan.items():
        assert sc.first_set.budget_bn_yuan[payer] == sched.scaled(0.5)
    assert sc.renewal_loans.pool_bn_yuan.points == tuple(
        (s, 2.0 * v) for s, v in plan.instruments.renewal_loans.pool_bn_yuan.points
    )


def test_outside_demand_points_equal_the_shipped_scenarios() -> None:
    sw = load_sweep(SCENARIOS / "sweeps" / "outside_demand.toml")
    for label, file in (("low", "plan_outside_low"), ("high", "plan_outside_high")):
        p = list(sw.dims[0].labels).index(label)
        other = model.load_scenario(SCENARIOS / f"{file}.toml")
        assert sw.scenario(p).demand == other.demand


def test_two_levers_constant_replaces_schedule() -> None:
    sw = load_sweep(SCENARIOS / "sweeps" / "two_levers.toml")
    sc = sw.scenario(int(np.ravel_multi_index((2, 3), sw.shape))).instruments
    assert sc.renewal_loans.subsidy_pp.is_constant and sc.renewal_loans.subsidy_pp.at(2024) == 0.01
    assert sc.rd_bonus.reward_rate.at(2026) == 0.2


# ----------------------------------------------------------------- helpers


def test_dim_names_and_values_at_paths() -> None:
    assert dim_name("instruments.rd_bonus.reward_rate") == "rd_bonus_reward_rate"
    assert dim_name("demand.outside_machine_path") == "demand_outside_machine_path"
    assert (
        dim_name("region.sector.machine_tools.labour_share") == "sector_machine_tools_labour_share"
    )
    plan = model.load_scenario(SCENARIOS / "plan.toml")
    assert value_at(plan, "region.sector.machine_tools.labour_share") == next(
        s.labour_share for s in plan.region.sector if s.id == "machine_tools"
    )
    with pytest.raises(KeyError, match="reward_rate"):
        value_at(plan, "instruments.rd_bonus.reward_rat")
    assert scaled_value(3, 2.0) == 6
    with pytest.raises(ValueError, match="not whole"):
        scaled_value(3, 0.5)
    with pytest.raises(ValueError, match="cannot scale"):
        scaled_value(True, 2.0)


# ----------------------------------------------------------------- the dataset


def test_dims_coords_and_attrs(grid: xr.Dataset) -> None:
    assert grid["output"].dims == ("rd_bonus_reward_rate", "pool", "replicate", "year", "sector")
    assert grid["public_cost"].dims[:3] == ("rd_bonus_reward_rate", "pool", "replicate")
    assert grid["rd_bonus_reward_rate"].values.tolist() == [0.0, 0.2]
    assert grid["pool"].values.tolist() == [0.5, 2.0]
    assert grid["pool"].attrs["path"] == "instruments.renewal_loans.pool_bn_yuan"
    assert grid["pool"].attrs["kind"] == "scale"
    assert grid.sizes["replicate"] == 2
    assert grid.attrs["sweep_name"] == "grid"
    assert 'name = "grid"' in grid.attrs["sweep"]
    assert grid.attrs["code_version"] == model.outputs.files.code_version()
    assert grid.attrs["seed"] == model.load_scenario(SCENARIOS / "plan.toml").seed
    assert grid.attrs["sweep_dims"] == "rd_bonus_reward_rate pool"
    assert_units(grid)


def test_every_point_equals_its_own_run(grid: xr.Dataset) -> None:
    """A point is the base scenario plus its overrides, with the sweep's seed: bit for bit."""
    run = model.run(
        PLAN,
        replicates=2,
        overrides=small_overrides(
            **{
                "spinup.years": 5,
                "instruments.rd_bonus.reward_rate": 0.2,
                "instruments.renewal_loans.pool_bn_yuan": {"2024": 0.25, "2027": 0.0},
            }
        ),
    )
    point = grid.sel(rd_bonus_reward_rate=0.2, pool=0.5)
    for name, var in run.data_vars.items():
        assert point[name].dims == var.dims, name
        assert point[name].values.tobytes() == var.values.tobytes(), name


def test_common_random_numbers_across_points(grid: xr.Dataset) -> None:
    shocks = grid["demand_shock"]
    first = shocks.isel(rd_bonus_reward_rate=0, pool=0)
    assert bool((shocks == first).all())
    assert not np.array_equal(first.isel(replicate=0).values, first.isel(replicate=1).values)


def test_scenario_list_and_lhs(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""
        scenarios = ["{PLAN}", "{NO_POLICY}"]
        replicates = 1
        {SMALL_SET}

        [lhs]
        samples = 3
        [[lhs.parameter]]
        path = "instruments.rd_bonus.reward_rate"
        low = 0.0
        high = 0.3
        [[lhs.parameter]]
        name = "budget_x"
        path = "instruments.rd_bonus.budget_bn_yuan"
        relative = true
        low = 0.5
        high = 2.0
        """,
        "mixed.toml",
    )
    sw = load_sweep(path)
    assert sw.name == "mixed"
    assert [d.name for d in sw.dims] == ["scenario", "sample"]
    ds = model.sweep(sw)
    assert ds["scenario"].values.tolist() == ["plan", "no_policy"]
    assert ds["output"].dims[:3] == ("scenario", "sample", "replicate")
    rate = ds["rd_bonus_reward_rate"].values
    assert ds["rd_bonus_reward_rate"].dims == ("sample",)
    # A Latin hypercube: one sample in each third of the range.
    assert sorted(np.floor(rate / 0.1).astype(int).tolist()) == [0, 1, 2]
    assert ds["budget_x"].attrs["kind"] == "scale"
    # The no-policy scenario pays nothing whatever the sample.
    assert float(ds["subsidy_paid"].sel(scenario="no_policy").sum()) == 0.0
    assert float(ds["subsidy_paid"].sel(scenario="plan").sum()) > 0.0


# ----------------------------------------------------------------- mistakes


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        (
            'base = "PLAN"\n[[axis]]\npath = "instruments.rd_bonus.reward_rat"\nvalues = [0.1]',
            "axis[0]",
            "reward_rate",
        ),
        (
            'base = "PLAN"\n[[axis]]\npath = "instruments.rd_bonus.reward_rate"\nvalues = [2.0]',
            "axis[0]",
            "out of range",
        ),
        (
            'base = "PLAN"\n[[axis]]\npath = "instruments.rd_bonus.reward_rate"\n'
            "values = [0.1]\nscale = [2]",
            "axis[0]",
            "exactly one of",
        ),
        (
            'base = "PLAN"\n[[axis]]\npath = "instruments.rd_bonus.enabled"\nscale = [2.0]',
            "axis[0]",
            "cannot scale",
        ),
        (
            'base = "PLAN"\n[[axis]]\npath = "demand.outside_machine_path"\nvalues = ["lo"]',
            "axis[0]",
            "did you mean 'low'",
        ),
        ('base = "PLAN"\n[[axes]]\npath = "x"', "axes", "did you mean 'axis'"),
        (
            'base = "PLAN"\nreplicates = 0\n[[axis]]\npath = "seed"\nvalues = [1]',
            "replicates",
            "out of range",
        ),
        ('base = "PLAN"', "axis", "nothing to sweep"),
        ('[[axis]]\npath = "seed"\nvalues = [1]', "base", "missing"),
        ('base = "nope.toml"\n[[axis]]\npath = "seed"\nvalues = [1]', "base", "does not exist"),
        (
            'base = "PLAN"\n[[axis]]\nname = "year"\npath = "seed"\nvalues = [1, 2]',
            "axis[0]",
            "taken",
        ),
        ('base = "PLAN"\n[[axis]]\npath = "seed"\nvalues = [1, 1]', "axis[0]", "repeated"),
        (
            'base = "PLAN"\n[[axis]]\npath = "end_year"\nvalues = [2029, 2030]',
            "axis[0]",
            "same years",
        ),
        (
            'base = "PLAN"\nset = { "market.firm_scal" = 0.1 }\n'
            '[[axis]]\npath = "seed"\nvalues = [1]',
            "set.market.firm_scal",
            "firm_scale",
        ),
        (
            'base = "PLAN"\n[lhs]\nsamples = 4\n'
            '[[lhs.parameter]]\npath = "seed"\nlow = 1.0\nhigh = 1.0',
            "lhs.parameter[0].high",
            "must exceed low",
        ),
        ('scenarios = ["PLAN", "PLAN"]', "scenarios[1]", "repeats"),
    ],
)
def test_mistakes_name_file_and_key(tmp_path: Path, body: str, key: str, message: str) -> None:
    path = write(tmp_path, body.replace("PLAN", PLAN), "bad.toml")
    with pytest.raises(model.ScenarioError) as err:
        load_sweep(path)
    e = err.value
    assert e.file == str(path), str(e)
    assert e.key == key, str(e)
    assert message in e.message, str(e)
    assert "\n" not in str(e)


def test_cli_reports_a_bad_sweep_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        f'base = "{PLAN}"\n[[axis]]\npath = "instruments.rd_bonus.reward_rat"\nvalues = [0.1]\n',
    )
    assert cli.main(["sweep", str(path), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [err[0]] and err[0].startswith(f"error: {path}: axis[0]:"), err
    assert cli.main(["sweep", str(tmp_path / "missing.toml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_cli_sweep_writes_the_dataset_and_prints_views(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], grid: xr.Dataset
) -> None:
    path = grid_file(tmp_path)
    out = tmp_path / "results"
    code = cli.main(
        [
            "sweep",
            str(path),
            "--out",
            str(out),
            "--no-progress",
            "--counterfactual",
            "instruments.rd_bonus.reward_rate=0",
            "--counterfactual",
            "pool=0.5",
        ]
    )
    assert code == 0
    stdout = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["grid.nc"], "pieces not cleaned up"
    with xr.open_dataset(out / "grid.nc", engine="h5netcdf") as f:
        assert_identical_runs(f.load(), grid.assign_attrs(sweep_file=str(path)))
    assert "Sweep 'grid': 4 points" in stdout
    assert "MT output 2027" in stdout
    assert "Against the counterfactual point [rd_bonus_reward_rate = 0.0, pool = 0.5]" in stdout
    assert str(out / "grid.nc") in stdout
    # --replicates overrides the file's count.
    assert load_sweep(path, replicates=5).replicates == 5


def test_readme_documents_the_sweep_commands() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Sweeps and sensitivity" in readme
    for word in (
        "python -m model sweep",
        "--resume",
        "--scheduler",
        "python -m model sensitivity",
        "[[axis]]",
    ):
        assert word in readme, word


def test_a_group_within_the_task_limit_shares_one_spinup_per_batch() -> None:
    # The shipped two-lever sweep: 25 points with one spin-up; 40 replicates on 2 workers
    # make enough batches, so the group is not split (each part would repeat the spin-up).
    from model.experiments.sweep.tasks import MAX_POINTS_PER_TASK

    sw = load_sweep(SCENARIOS / "sweeps" / "two_levers.toml").with_replicates(40)
    assert len(sw.groups) == 1 and len(sw.groups[0]) == 25 <= MAX_POINTS_PER_TASK
    layout = sw.layout(workers=2)
    assert layout.chunks == (tuple(range(25)),)
    assert len(layout.tasks(40)) >= 4
