"""Sensitivity analysis: SALib Sobol and Morris through the model's wrappers and specs.

The wrappers are checked on functions with known indices (Ishigami, a linear function); the
spec path (sample -> sweep -> indices) on a tiny model run.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import model
from model import cli
from model.experiments.sensitivity import (
    load_sensitivity,
    morris_indices,
    morris_sample,
    sobol_indices,
    sobol_sample,
)
from model.testing import SCENARIOS, assert_units

PLAN = (SCENARIOS / "plan.toml").as_posix()
PI = float(np.pi)


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_ishigami() -> None:
    # Analytic values (a = 7, b = 0.1): S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244.
    names, bounds = ["x1", "x2", "x3"], [(-PI, PI)] * 3
    x = sobol_sample(names, bounds, 2048, seed=3)
    assert x.shape == (2048 * 5, 3)
    res = sobol_indices(names, bounds, ishigami(x), seed=3)
    assert res["S1"].dims == ("parameter", "output")
    s1 = res["S1"].sel(output="y").values
    st = res["ST"].sel(output="y").values
    np.testing.assert_allclose(s1, [0.3139, 0.4424, 0.0], atol=0.03)
    np.testing.assert_allclose(st, [0.5576, 0.4424, 0.2437], atol=0.03)
    conf = res["S1_conf"].sel(output="y").values
    assert (conf > 0).all() and (conf < 0.05).all()
    assert_units(res)


def test_sobol_second_order_and_several_outputs() -> None:
    names, bounds = ["x1", "x2", "x3"], [(-PI, PI)] * 3
    x = sobol_sample(names, bounds, 1024, second_order=True, seed=1)
    y = np.stack([ishigami(x), x[:, 1]], axis=1)
    res = sobol_indices(names, bounds, y, second_order=True, seed=1)
    assert res["S1"].dims == ("parameter", "output") and res.sizes["output"] == 2
    # The interaction x1-x3 is the only second-order term of Ishigami (0.244).
    assert float(res["S2"].sel(parameter="x1", parameter_2="x3", output="y0")) == pytest.approx(
        0.244, abs=0.08
    )
    # The second output is x2 itself: all of its variance is x2's.
    np.testing.assert_allclose(res["ST"].sel(output="y1").values, [0, 1, 0], atol=0.02)
    with pytest.raises(ValueError, match="power of 2"):
        sobol_sample(names, bounds, 100)


def test_morris_of_a_linear_function_is_exact() -> None:
    names, bounds = ["a", "b", "c"], [(0.0, 1.0), (0.0, 2.0), (-1.0, 1.0)]
    x = morris_sample(names, bounds, 10, seed=2)
    assert x.shape == (10 * 4, 3)
    y = xr.DataArray(3.0 * x[:, 0] - 1.0 * x[:, 1] + 0.0 * x[:, 2], dims="sample", name="lin")
    res = morris_indices(names, bounds, x, y, seed=2)
    # Elementary effects per unit of the parameter's range: coefficient x range.
    np.testing.assert_allclose(res["mu"].sel(output="lin").values, [3.0, -2.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(res["mu_star"].sel(output="lin").values, [3.0, 2.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(res["sigma"].sel(output="lin").values, 0.0, atol=1e-9)
    assert set(res.data_vars) == {"mu", "mu_star", "sigma", "mu_star_conf"}


def test_morris_ranks_ishigami() -> None:
    names, bounds = ["x1", "x2", "x3"], [(-PI, PI)] * 3
    x = morris_sample(names, bounds, 50, seed=5)
    res = morris_indices(names, bounds, x, ishigami(x), seed=5)
    mu_star = res["mu_star"].sel(output="y").values
    sigma = res["sigma"].sel(output="y").values
    assert (mu_star > 0).all()
    # x3 acts only through its interaction with x1: sigma well above |mu|.
    assert sigma[2] > abs(float(res["mu"].sel(output="y", parameter="x3")))


# ----------------------------------------------------------------- specs


def spec_file(tmp_path: Path, body: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


MORRIS = f"""
name = "tiny_morris"
base = "{PLAN}"
method = "morris"
replicates = 1
set = {{ "market.firm_scale" = 0.03, "spinup.years" = 5 }}

[morris]
trajectories = 2
levels = 4

[[parameter]]
path = "instruments.rd_bonus.reward_rate"
low = 0.0
high = 0.3

[[parameter]]
path = "instruments.renewal_loans.pool_bn_yuan"
relative = true
low = 0.5
high = 2.0

[[output]]
name = "mt_output_2027"
variable = "output"
select = {{ sector = "machine_tools", year = 2027 }}
reduce = "median"

[[output]]
key = "public_cost"
reduce = "mean"
"""


def test_shipped_specs_load() -> None:
    sobol = load_sensitivity(SCENARIOS / "sensitivity" / "behaviour_sobol.toml")
    assert sobol.method == "sobol" and sobol.samples == 64 and len(sobol.names) == 6
    assert sobol.sweep().n_points == 64 * (6 + 2)
    morris = load_sensitivity(SCENARIOS / "sensitivity" / "levers_morris.toml")
    sw = morris.sweep()
    assert morris.method == "morris" and sw.n_points == 10 * (6 + 1)
    # Policy levers act after the base year: the sample shares its spin-ups.
    assert len(sw.groups) == 1


def test_tiny_morris_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = spec_file(tmp_path, MORRIS)
    out = tmp_path / "out"
    assert cli.main(["sensitivity", str(path), "--out", str(out), "--no-progress"]) == 0
    stdout = capsys.readouterr().out
    assert "Morris analysis 'tiny_morris'" in stdout and "mu_star" in stdout
    assert "rd_bonus_reward_rate" in stdout and "renewal_loans_pool_bn_yuan_scale" in stdout
    assert sorted(p.name for p in out.iterdir()) == ["tiny_morris.indices.nc", "tiny_morris.nc"]
    with xr.open_dataset(out / "tiny_morris.indices.nc", engine="h5netcdf") as f:
        res = f.load()
    assert res["mu_star"].dims == ("parameter", "output")
    assert res["output"].values.tolist() == ["mt_output_2027", "public_cost"]
    assert res["parameter_path"].values.tolist() == [
        "instruments.rd_bonus.reward_rate",
        "instruments.renewal_loans.pool_bn_yuan",
    ]
    assert res["output_units"].values.tolist() == ["bn yuan", "bn yuan"]
    # The outputs analysed are the runs' medians / means at each sample point.
    with xr.open_dataset(out / "tiny_morris.nc", engine="h5netcdf") as f:
        runs = f.load()
    assert runs.sizes["sample"] == 2 * 3
    mt = runs["output"].sel(sector="machine_tools", year=2027).median("replicate")
    np.testing.assert_array_equal(
        res["output_value"].sel(output="mt_output_2027").values, mt.values
    )
    # A higher reward rate costs more public money.
    assert float(res["mu"].sel(parameter="rd_bonus_reward_rate", output="public_cost")) > 0


@pytest.mark.parametrize(
    ("edit", "key", "message"),
    [
        (
            ("trajectories = 2", "trajectory = 2"),
            "morris.trajectory",
            "did you mean 'trajectories'",
        ),
        (('method = "morris"', 'method = "sobel"'), "method", "did you mean 'sobol'"),
        (('method = "morris"', 'method = "sobol"'), "sobol", "needs a [sobol] table"),
        (('method = "morris"', 'method = "sobol"'), "sobol.samples", "power of 2"),
        (("high = 0.3", "high = 0.0"), "parameter[0].high", "must exceed low"),
        (
            ('path = "instruments.rd_bonus.reward_rate"', 'path = "instruments.rd_bonus.enabled"'),
            "parameter[0].path",
            "not a number",
        ),
        (
            (
                'path = "instruments.rd_bonus.reward_rate"',
                'path = "instruments.rd_bonus.reward_rat"',
            ),
            "parameter[0].path",
            "reward_rate",
        ),
        (
            ('variable = "output"', 'variable = "outptu"'),
            "output[0].variable",
            "did you mean 'output'",
        ),
        (('key = "public_cost"', 'key = "public_costs"'), "output[1].key", "unknown key output"),
        (('reduce = "median"', 'reduce = "max"'), "output[0].reduce", "allowed"),
    ],
)
def test_spec_mistakes(tmp_path: Path, edit: tuple[str, str], key: str, message: str) -> None:
    old, new = edit
    assert old in MORRIS
    path = spec_file(tmp_path, MORRIS.replace(old, new, 1))
    if key == "sobol.samples":
        path = spec_file(tmp_path, path.read_text() + "\n[sobol]\nsamples = 100\n")
    with pytest.raises(model.ScenarioError) as err:
        load_sensitivity(path)
    assert err.value.file == str(path), str(err.value)
    assert err.value.key == key, str(err.value)
    assert message in err.value.message, str(err.value)


def test_cli_spec_mistake_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = spec_file(tmp_path, MORRIS.replace("trajectories = 2", "trajectories = 1"))
    assert cli.main(["sensitivity", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {path}: morris.trajectories:") and "\n" not in err, err
