"""The briefing chart pack: images against a baseline, findings computed from the data, Chinese.

The fixture is a small real run whose machine-tool output is replaced by fixed numbers, so the
images depend on the chart code only (not on the model's results or the code version).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from matplotlib.testing.compare import compare_images

import model.plot
from model import cli
from model.config.errors import ScenarioError
from model.plot.text import attainment_phrase
from model.testing import PLAN, small_run

BASELINE = Path(__file__).parent / "baseline"


@pytest.fixture(scope="module")
def run() -> xr.Dataset:
    ds = small_run(PLAN, replicates=4)
    years = ds["year"].values
    rng = np.random.default_rng(7)
    growth = 1.0 + 0.04 + 0.02 * rng.standard_normal((ds.sizes["replicate"], len(years)))
    path = 100.0 * np.cumprod(growth, axis=1)
    out = ds["output"].copy()
    out.loc[{"sector": "machine_tools"}] = path
    base = ds["base_output"].copy()
    base.loc[{"sector": "machine_tools"}] = 100.0
    ds = ds.assign(output=out, base_output=base)
    ds.attrs.update(code_version="test", seed=1)
    return ds


def _matches_baseline(png: Path) -> None:
    """The image against its committed baseline (a new chart writes one, then fails)."""
    expected = BASELINE / png.name
    if not expected.exists():
        expected.write_bytes(png.read_bytes())
        pytest.fail(f"wrote a new baseline {expected}; check it and commit it")
    assert compare_images(str(expected), str(png), tol=2) is None


def _scaled(ds: xr.Dataset, factor: float) -> xr.Dataset:
    out = ds["output"].copy()
    out.loc[{"sector": "machine_tools"}] = out.sel(sector="machine_tools") * factor
    return ds.assign(output=out)


def test_headline_fan_matches_its_baseline(run, tmp_path) -> None:
    files = model.plot.charts(run, tmp_path, formats=["png"])
    assert [p.name for p in files] == [
        "headline_fan_en.png",
        "firm_sizes_en.png",
        "machine_ages_en.png",
    ]
    _matches_baseline(files[0])


def test_the_title_states_the_finding_of_the_data(run) -> None:
    # The fixture reaches ~115 bn in 2027: short of 150 in every run; doubled it meets it.
    for factor, finding in (
        (1.0, "falls short of the target in every run"),
        (2.0, "meets the target in every run"),
    ):
        fig = model.plot.headline_fan(_scaled(run, factor))
        assert finding in fig._suptitle.get_text().replace("\n", " ")
    assert attainment_phrase("en", 2027, "150 bn yuan", 0.25, "140 bn yuan").endswith(
        "meets the target in 25% of runs (150 bn yuan)"
    )


def test_files_are_byte_identical_for_the_same_input(run, tmp_path) -> None:
    first = model.plot.charts(run, tmp_path / "a")
    second = model.plot.charts(run, tmp_path / "b")
    assert [p.name for p in first][:2] == ["headline_fan_en.png", "headline_fan_en.pdf"]
    assert len(first) == 6  # with the firm sizes and machine ages
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_the_chinese_pack_has_every_glyph(run, tmp_path) -> None:
    # A missing glyph is a warning, and every warning is an error in the tests.
    files = model.plot.charts(run, tmp_path, lang="zh")
    assert {"headline_fan_zh.png", "headline_fan_zh.pdf"} <= {p.name for p in files}
    fig = model.plot.headline_fan(run, "zh")
    assert "亿元" in fig._suptitle.get_text()
    # Fonts are embedded as TrueType (Type 42), not Type 3.
    pdf = (tmp_path / "headline_fan_zh.pdf").read_bytes()
    assert b"/FontFile2" in pdf and b"/Type3" not in pdf


def test_bad_input_gets_a_clear_error(run, tmp_path, capsys) -> None:
    path = tmp_path / "run.nc"
    run.to_netcdf(path)
    assert cli.main(["charts", str(path), "--out", str(tmp_path), "--lang", "fr"]) == 2
    assert "--lang" in capsys.readouterr().err
    assert cli.main(["charts", str(path), "--out", str(tmp_path), "--format", "gif"]) == 2
    with pytest.raises(ScenarioError, match="no such font file"):
        model.plot.charts(run, tmp_path, lang="zh", font=tmp_path / "none.ttf")
    assert cli.main(["charts", str(path), "--out", str(tmp_path / "c")]) == 0
    assert "wrote" in capsys.readouterr().out


@pytest.fixture(scope="module")
def scenario_set(run) -> xr.Dataset:
    """The fixture as a scenario sweep: the plan, the status quo 2% below, no policy 8% below."""
    points = [_scaled(run, f) for f in (1.0, 0.98, 0.92)]
    ds = xr.concat(points, dim="scenario").assign_coords(
        scenario=["plan", "status_quo", "no_policy"]
    )
    ds.attrs.update(run.attrs, sweep_dims="scenario", sweep_name="fixture")
    return ds


def test_plan_against_counterfactuals_matches_its_baseline(scenario_set, tmp_path) -> None:
    files = model.plot.charts(scenario_set, tmp_path, formats=["png"])
    (png,) = [p for p in files if p.stem == "plan_vs_counterfactuals_en"]
    _matches_baseline(png)


def test_the_plans_effect_in_the_title_is_the_paired_difference(scenario_set) -> None:
    fig = model.plot.plan_vs_counterfactuals(scenario_set)
    title = fig._suptitle.get_text().replace("\n", " ")
    out = scenario_set["output"].sel(sector="machine_tools", year=2027)
    diff = float((out.sel(scenario="plan") - out.sel(scenario="status_quo")).median())
    assert f"by {diff:+.1f} bn yuan against the status quo" in title
    # Without a status quo the plan is compared with no policy.
    fig = model.plot.plan_vs_counterfactuals(scenario_set.sel(scenario=["plan", "no_policy"]))
    assert "against no policy" in fig._suptitle.get_text().replace("\n", " ")
    fig = model.plot.plan_vs_counterfactuals(scenario_set, "zh")
    assert "现行政策" in fig._suptitle.get_text()


def test_a_file_gets_only_the_charts_it_supports(run, scenario_set, tmp_path) -> None:
    stems = [p.stem for p in model.plot.charts(scenario_set, tmp_path, formats=["png"])]
    assert stems == [
        "plan_vs_counterfactuals_en",
        "attainment_by_scenario_en",
        "policy_effects_en",
        "machine_tool_markets_en",
        "firm_sizes_en",
        "machine_ages_en",
    ]
    # Without a counterfactual there is nothing to compare the plan with.
    only = model.plot.charts(scenario_set.sel(scenario=["plan"]), tmp_path, formats=["png"])
    assert [p.stem for p in only] == [
        "attainment_by_scenario_en",
        "firm_sizes_en",
        "machine_ages_en",
    ]
    other = scenario_set.rename(scenario="point").assign_attrs(sweep_dims="point")
    with pytest.raises(ScenarioError, match="no chart of the pack"):
        model.plot.charts(other, tmp_path)


def test_attainment_by_scenario_matches_its_baseline(scenario_set, tmp_path) -> None:
    files = model.plot.charts(scenario_set, tmp_path, formats=["png"])
    (png,) = [p for p in files if p.stem == "attainment_by_scenario_en"]
    _matches_baseline(png)


def test_the_attainment_title_names_the_best_chance(scenario_set) -> None:
    # The fixture meets no 2027 target; with the plan raised by half it meets it in every run.
    fig = model.plot.attainment_by_scenario(scenario_set)
    assert "No scenario meets the 2027" in fig._suptitle.get_text()
    out = scenario_set["output"].copy()
    out.loc[{"sector": "machine_tools", "scenario": "plan"}] = (
        out.sel(sector="machine_tools", scenario="plan") * 1.5
    )
    fig = model.plot.attainment_by_scenario(scenario_set.assign(output=out))
    assert "plan, 100% of runs" in fig._suptitle.get_text().replace("\n", " ")
    fig = model.plot.attainment_by_scenario(scenario_set, "zh")
    assert "工业母机产值目标" in fig._suptitle.get_text()


def _switch_sweep(run: xr.Dataset) -> xr.Dataset:
    """The fixture as the 2^2 sweep of two instruments as planned or as before the plan: the
    R&D bonus adds 10 bn of machine-tool output, the renewal loans take 4 away."""
    import itertools

    points = []
    for rd, renewal in itertools.product((True, False), repeat=2):
        extra = 10.0 * (not rd) - 4.0 * (not renewal)
        out = run["output"].copy()
        out.loc[{"sector": "machine_tools"}] = out.sel(sector="machine_tools") + extra
        points.append(
            run.assign(output=out).expand_dims(
                rd_bonus_as_before_plan=[rd], renewal_loans_as_before_plan=[renewal]
            )
        )
    ds = xr.combine_by_coords(points, combine_attrs="override")
    ds["rd_bonus_as_before_plan"].attrs["path"] = "instruments.rd_bonus.as_before_plan"
    ds["renewal_loans_as_before_plan"].attrs["path"] = "instruments.renewal_loans.as_before_plan"
    ds.attrs.update(
        sweep_dims="rd_bonus_as_before_plan renewal_loans_as_before_plan", sweep_name="switches"
    )
    return ds


def test_shapley_waterfall_matches_its_baseline_and_states_the_split(run, tmp_path) -> None:
    ds = _switch_sweep(run)
    files = model.plot.charts(ds, tmp_path, formats=["png"])
    assert [p.name for p in files] == ["shapley_waterfall_en.png", "value_per_yuan_en.png"]
    png = files[0]
    _matches_baseline(png)
    title = model.plot.shapley_waterfall(ds)._suptitle.get_text().replace("\n", " ")
    assert "Against the status quo" in title
    assert "by +6.0 bn yuan" in title and "R&D bonus accounts for +10" in title
    assert "研发奖励" in model.plot.shapley_waterfall(ds, "zh")._suptitle.get_text()


def test_policy_effects_match_their_baseline_and_name_the_largest(scenario_set, tmp_path) -> None:
    files = model.plot.charts(scenario_set, tmp_path, formats=["png"])
    (png,) = [p for p in files if p.stem == "policy_effects_en"]
    _matches_baseline(png)
    # Against the status quo (2% below the plan) the plan gains, no policy (8% below) loses.
    title = model.plot.policy_effects(scenario_set)._suptitle.get_text().replace("\n", " ")
    out = scenario_set["output"].sel(sector="machine_tools", year=2027)
    gain = float((out.sel(scenario="plan") - out.sel(scenario="status_quo")).median())
    assert title.startswith("Against the status quo, plan changes")
    assert f"{gain:+.1f} bn yuan" in title
