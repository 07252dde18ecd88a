"""Charts 6-11 of the briefing pack: images against baselines on fixed fixtures, titles that
follow the data, and the Chinese pack's glyphs.

Each fixture is a small real dataset whose charted variables are replaced by fixed numbers,
so the images depend on the chart code only.
"""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from test_charts import _matches_baseline  # one baseline helper (tests/ is on the path)

import model.plot
from model.calibration import read_calibrated
from model.testing import PLAN, small_run

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def run() -> xr.Dataset:
    ds = small_run(PLAN, replicates=4)
    ds.attrs.update(code_version="test", seed=1)
    return ds


def _fixed(run: xr.Dataset, mt_extra: float, va_extra: float, cost: dict[str, float]) -> xr.Dataset:
    """The run with machine-tool output, value added and public cost set to fixed numbers."""
    rng = np.random.default_rng(3)
    years = run.sizes["year"]
    reps = run.sizes["replicate"]
    noise = 0.2 * rng.standard_normal((reps, years))
    out = run["output"].copy()
    out.loc[{"sector": "machine_tools"}] = 100.0 + mt_extra + noise
    va = xr.full_like(run["value_added_real_total"], 1000.0) + va_extra + noise
    pc = xr.zeros_like(run["public_cost"])
    for payer, value in cost.items():
        pc.loc[{"payer": payer}] = value + 0.01 * noise
    return run.assign(output=out, value_added_real_total=va, public_cost=pc)


def _switch_sweep(run: xr.Dataset, rd_va: float = 0.3, renewal_va: float = 0.05) -> xr.Dataset:
    """2^2 sweep: the R&D bonus (county) adds rd_va of value added a year for 0.2 of cost, the
    renewal loans (central) renewal_va for 0.5."""
    points = []
    for rd, renewal in itertools.product((True, False), repeat=2):
        on_rd, on_ren = not rd, not renewal
        ds = _fixed(
            run,
            10.0 * on_rd - 4.0 * on_ren,
            rd_va * on_rd + renewal_va * on_ren,
            {"county": 0.2 * on_rd, "central": 0.5 * on_ren, "provincial": 0.0},
        )
        points.append(
            ds.expand_dims(rd_bonus_as_before_plan=[rd], renewal_loans_as_before_plan=[renewal])
        )
    ds = xr.combine_by_coords(points, combine_attrs="override")
    ds["rd_bonus_as_before_plan"].attrs["path"] = "instruments.rd_bonus.as_before_plan"
    ds["renewal_loans_as_before_plan"].attrs["path"] = "instruments.renewal_loans.as_before_plan"
    ds.attrs.update(
        sweep_dims="rd_bonus_as_before_plan renewal_loans_as_before_plan", sweep_name="switches"
    )
    return ds


def _draw(ds, name: str, tmp_path: Path, lang: str = "en") -> Path:
    files = model.plot.charts(ds, tmp_path, formats=["png"], lang=lang)
    (png,) = [p for p in files if p.stem == f"{name}_{lang}"]
    return png


def test_value_per_yuan_matches_its_baseline_and_names_the_best(run, tmp_path) -> None:
    ds = _switch_sweep(run)
    _matches_baseline(_draw(ds, "value_per_yuan", tmp_path))
    years = ds.sizes["year"]
    title = model.plot.value_per_yuan_chart(ds)._suptitle.get_text().replace("\n", " ")
    # 0.3 a year of value added for 0.2 of cost: 1.5 yuan per yuan, the better of the two.
    assert "R&D bonus alone buys the most" in title and "+1.50" in title, title
    flipped = _switch_sweep(run, rd_va=0.0, renewal_va=1.0)
    title = model.plot.value_per_yuan_chart(flipped)._suptitle.get_text().replace("\n", " ")
    assert "renewal loans alone buys the most" in title and "+2.00" in title, (title, years)


def _two_levers(run: xr.Dataset, slope: float = 5.0) -> xr.Dataset:
    """A 3 x 3 lever grid whose 2027 machine-tool output rises by slope per step of each."""
    points = []
    for i, a in enumerate((0.0, 0.01, 0.02)):
        for j, b in enumerate((0.0, 0.1, 0.2)):
            ds = _fixed(run, slope * (i + j), 0.0, {})
            points.append(ds.expand_dims(subsidy_pp=[a], reward_rate=[b]))
    ds = xr.combine_by_coords(points, combine_attrs="override")
    ds["subsidy_pp"].attrs["path"] = "instruments.renewal_loans.subsidy_pp"
    ds["reward_rate"].attrs["path"] = "instruments.rd_bonus.reward_rate"
    ds.attrs.update(sweep_dims="subsidy_pp reward_rate", sweep_name="two_levers")
    return ds


def test_lever_map_matches_its_baseline_and_finds_the_target(run, tmp_path) -> None:
    ds = _two_levers(run)
    _matches_baseline(_draw(ds, "lever_sweep", tmp_path))
    title = model.plot.lever_sweep(ds)._suptitle.get_text().replace("\n", " ")
    assert title.startswith("No setting on the grid reaches the 2027 target"), title
    assert "the medians span only 100.0-120.0" in title, title
    assert "subsidy_pp = 0.02, reward_rate = 0.2" in title
    steep = _two_levers(run, slope=15.0)  # 160 at the grid's far corner: met there
    title = model.plot.lever_sweep(steep)._suptitle.get_text().replace("\n", " ")
    assert "is met in 100% of runs at best" in title, title


def test_one_lever_line(run, tmp_path) -> None:
    ds = _two_levers(run).isel(reward_rate=0)
    ds = ds.drop_vars("reward_rate")
    ds.attrs.update(sweep_dims="subsidy_pp")
    _matches_baseline(_draw(ds, "lever_sweep", tmp_path).rename(tmp_path / "lever_line_en.png"))


def _indices(method: str, top: int) -> xr.Dataset:
    names = ["a", "b", "c"]
    paths = [f"instruments.x.{n}" for n in names]
    weight = np.array([0.1, 0.2, 0.3])
    weight[top] = 0.6
    coords = {
        "parameter": names,
        "output": ["machine_tool_output_2027"],
        "parameter_path": ("parameter", paths),
        "output_units": ("output", ["bn yuan"]),
        "output_reduce": ("output", ["median"]),
    }
    if method == "sobol":
        data = {
            "S1": (("parameter", "output"), weight[:, None] * 0.8),
            "S1_conf": (("parameter", "output"), np.full((3, 1), 0.05)),
            "ST": (("parameter", "output"), weight[:, None]),
            "ST_conf": (("parameter", "output"), np.full((3, 1), 0.05)),
        }
    else:
        data = {
            "mu": (("parameter", "output"), weight[:, None]),
            "mu_star": (("parameter", "output"), weight[:, None]),
            "sigma": (("parameter", "output"), weight[:, None] / 2),
            "mu_star_conf": (("parameter", "output"), np.full((3, 1), 0.02)),
        }
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(
        sensitivity_name=method,
        base_scenario_name="plan",
        points=10,
        replicates=2,
        seed=1,
        code_version="test",
    )
    return ds


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_sensitivity_bars_match_their_baseline_and_name_the_top(method, tmp_path) -> None:
    ds = _indices(method, top=1)
    png = _draw(ds, "sensitivity_indices", tmp_path)
    _matches_baseline(png.rename(tmp_path / f"sensitivity_{method}_en.png"))
    for top in (0, 2):
        title = model.plot.sensitivity_indices(_indices(method, top))._suptitle.get_text()
        assert title.startswith(f"x.{'abc'[top]}"), title


def test_calibration_charts_match_their_baselines_and_follow_the_fit(tmp_path) -> None:
    doc = read_calibrated(DATA / "chart_fixture.calibrated.toml")
    files = model.plot.charts(doc, tmp_path, formats=["png"])
    names = sorted(p.stem for p in files)
    assert names == ["calibration_fit_en", "implied_strength_en"]
    for p in files:
        _matches_baseline(p)
    fitted = [m for m in doc["moment"] if m["use"] == "fit"]
    inside = sum(abs(float(m["t"])) <= 2 for m in fitted)
    title = model.plot.calibration_fit(doc)._suptitle.get_text().replace("\n", " ")
    assert title.startswith(f"{inside} of {len(fitted)} fitted moments"), title
    for m in fitted:
        m["t"] = 5.0
    title = model.plot.calibration_fit(doc)._suptitle.get_text().replace("\n", " ")
    assert title.startswith(f"0 of {len(fitted)} fitted moments"), title
    for r in doc["inverse"]:
        r.update(reachable=True, implied=1.5, low=1.2, high=2.0)
    title = model.plot.implied_strength(doc)._suptitle.get_text().replace("\n", " ")
    assert title.startswith("0 of 4 targets are out of reach") and title.endswith(": none"), title
    for r in doc["inverse"]:
        r.update(reachable=False, implied="inf", shortfall=10.0)
    title = model.plot.implied_strength(doc)._suptitle.get_text().replace("\n", " ")
    assert title.startswith("4 of 4 targets are out of reach"), title


def test_the_chinese_pack_has_every_glyph(run, tmp_path) -> None:
    doc = read_calibrated(DATA / "chart_fixture.calibrated.toml")
    for ds in (_switch_sweep(run), _two_levers(run), _indices("sobol", 0), doc):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font"
            files = model.plot.charts(ds, tmp_path, formats=["png", "pdf"], lang="zh")
        assert files


def _distributions(run: xr.Dataset, exponent: float, old_share: float) -> xr.Dataset:
    """Pareto sizes with the given tail exponent and a fixed share of machines 10+ years old."""
    x = run["revenue_threshold"]
    survival = (x / 20.0) ** (-exponent) * xr.ones_like(run["firm_revenue_survival"])
    shares = xr.zeros_like(run["capacity_share_by_machine_age"])
    shares.loc[{"machine_age": "0-4"}] = 0.5
    shares.loc[{"machine_age": "5-9"}] = 0.5 - old_share
    shares.loc[{"machine_age": "10+"}] = old_share
    return run.assign(firm_revenue_survival=survival, capacity_share_by_machine_age=shares)


def _plan_and_renewal(run: xr.Dataset, old_without: float) -> xr.Dataset:
    plan = _distributions(run, 1.1, 0.2).expand_dims(scenario=["plan"])
    other = _distributions(run, 1.2, old_without).expand_dims(scenario=["plan_without_renewal"])
    ds = xr.concat([plan, other], dim="scenario")
    ds.attrs.update(sweep_dims="scenario", sweep_name="scenarios")
    return ds


def test_distribution_charts_match_their_baselines_and_state_the_shares(run, tmp_path) -> None:
    ds = _plan_and_renewal(run, old_without=0.3)
    for name in ("firm_sizes", "machine_ages"):
        _matches_baseline(_draw(ds, name, tmp_path))
    title = model.plot.machine_ages(ds)._suptitle.get_text().replace("\n", " ")
    assert "20% of capacity in 2027 under the plan, 30% under plan without renewal" in title, title
    title = model.plot.machine_ages(_plan_and_renewal(run, 0.1))._suptitle.get_text()
    assert "10% under" in title.replace("\n", " ")
    title = model.plot.firm_sizes(ds)._suptitle.get_text().replace("\n", " ")
    # (1000 / 20)^-1.1 of the panel are 1 bn yuan or more under the plan.
    assert f"{50**-1.1:.1%} of the panel in 2027" in title, title


def test_chinese_titles_break_between_characters_not_inside_numbers() -> None:
    from model.plot.frame import wrap

    text = (
        "4项目标中有3项在任何杠杆的合理范围内都无法达到；在公布力度下即可达到：2025年新增首台套50"
    )
    lines = wrap(text, 40, "zh").split("\n")
    assert "".join(lines) == text
    assert all(sum(2 if ord(c) > 0x2E80 else 1 for c in line) <= 40 for line in lines)
    assert any(line.startswith("2025") or "2025" in line for line in lines)
    assert not any(line.endswith(("2", "20", "202")) for line in lines[:-1])


def _markets(run: xr.Dataset) -> xr.Dataset:
    """Scenarios whose makers' sales are fixed numbers (bn yuan, every year and replicate).

    Per scenario: the makers' share of each segment's rest-of-country demand (100) and of
    foreign demand (50), the region's machine purchases and the makers' in-region sales.
    """
    cases = {  # rest-of-country share, export share, purchases, in-region sales
        "plan": (0.21, 0.05, 45.0, 30.0),
        "first_set_only": (0.205, 0.045, 48.0, 28.0),
        "no_policy": (0.20, 0.04, 50.0, 25.0),
    }
    points = []
    for roc, abroad, purchases, in_region in cases.values():
        ds = run.copy()
        segments = ds.sizes["segment"]
        full = xr.ones_like(ds["national_market_share"])
        ds["national_machine_demand"] = 100.0 * full
        ds["export_machine_demand"] = 50.0 * full
        ds["national_market_share"] = roc * full
        ds["export_market_share"] = abroad * full
        ds["machine_tool_sales_in_region"] = in_region / segments * full
        ds["machine_purchases"] = xr.full_like(
            ds["machine_purchases"], purchases / ds.sizes["sector"]
        )
        out = ds["output"].copy()
        out.loc[{"sector": "machine_tools"}] = in_region + segments * (100 * roc + 50 * abroad)
        points.append(ds.assign(output=out))
    ds = xr.concat(points, dim="scenario").assign_coords(scenario=list(cases))
    ds.attrs.update(run.attrs, sweep_dims="scenario", sweep_name="markets")
    return ds


def test_machine_tool_markets_match_their_baseline_and_state_the_split(run, tmp_path) -> None:
    ds = _markets(run)
    _matches_baseline(_draw(ds, "machine_tool_markets", tmp_path))
    title = model.plot.machine_tool_markets_chart(ds)._suptitle.get_text().replace("\n", " ")
    # The plan: in region 30 of 45 against 25 of 50 (+8.3 share, -3.3 purchases), +3.0 and
    # +1.5 through the outside shares: +9.5 in all, +12.8 through shares.
    assert "Against no policy, plan changes 2027 machine-tool output by +9.5 bn yuan" in title
    assert "+13 bn yuan through the makers' shares, -3.3 bn yuan through volumes" in title, title
    zh = model.plot.machine_tool_markets_chart(ds, "zh")._suptitle.get_text().replace("\n", "")
    assert "+95亿元" in zh and "+128亿元来自本省企业的市场份额" in zh, zh
