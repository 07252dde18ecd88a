"""Derived views of a sweep: attainment, bands, paired differences, value per yuan, deadweight."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import model
from model import cli
from model.analysis.targets import evaluate
from model.analysis.views import counterfactual_point
from model.config.targets import load_targets
from model.policy.registry import names
from model.report.tables import sweep_summary
from model.testing import SCENARIOS, assert_units, small_overrides

REPLICATES = 3
#: The combinations sweep switches every registered instrument.
ALL_OFF = {f"{name}_enabled": False for name in names()}
PLAN_POINT = {f"{name}_enabled": True for name in names()}


@pytest.fixture(scope="module")
def combos() -> xr.Dataset:
    """The 2^3 instrument combinations, small scale."""
    return model.sweep(
        SCENARIOS / "sweeps" / "instrument_combinations.toml",
        replicates=REPLICATES,
        overrides=small_overrides(),
    )


def test_attainment_per_point_equals_evaluate(combos: xr.Dataset) -> None:
    targets = load_targets()
    att = model.attainment(combos, targets)
    assert set(att["attainment"].dims) == {"target", *ALL_OFF}
    assert_units(att)
    for point in (ALL_OFF, PLAN_POINT):
        rows = evaluate(combos.sel(point), targets)
        assert rows, "no targets evaluated"
        for row in rows:
            a = att.sel(target=row["id"], **point)
            assert float(a["attainment"]) == pytest.approx(row["attainment"], abs=1e-12)
            np.testing.assert_allclose(float(a["attainment_se"]), row["attainment_se"], atol=1e-12)
            assert float(a["median"]) == pytest.approx(row["median"], rel=1e-12)
            assert float(a["p5"]) == pytest.approx(row["p5"], rel=1e-12)
            assert float(a["p95"]) == pytest.approx(row["p95"], rel=1e-12)
            assert float(a["goal"]) == row["goal"]


def test_attainment_of_a_run(combos: xr.Dataset) -> None:
    run = combos.sel(PLAN_POINT)
    att = model.attainment(run)
    assert att["attainment"].dims == ("target",)
    p = att["attainment"].values
    assert ((p >= 0) & (p <= 1)).all()
    se = att["attainment_se"].values
    np.testing.assert_allclose(se, np.sqrt(p * (1 - p) / REPLICATES))


def test_bands(combos: xr.Dataset) -> None:
    b = model.bands(combos, ["output_total", "value_added_total"])
    assert b["quantile"].values.tolist() == [0.05, 0.5, 0.95]
    med = b["output_total"].sel(quantile=0.5, **PLAN_POINT, year=2027)
    v = combos["output_total"].sel(PLAN_POINT).sel(year=2027).values
    assert float(med) == pytest.approx(np.median(v))
    assert bool(
        (b["output_total"].sel(quantile=0.05) <= b["output_total"].sel(quantile=0.95)).all()
    )
    assert b["output_total"].attrs["units"] == "bn yuan"


def test_counterfactual_by_dim_or_path(combos: xr.Dataset) -> None:
    assert counterfactual_point(combos) == ALL_OFF
    by_path = counterfactual_point(
        combos,
        {
            "instruments.rd_bonus.enabled": "false",
            "instruments.first_set.enabled": False,
            "renewal_loans_enabled": "off",
            "first_set_award_enabled": "no",
        },
    )
    assert by_path == ALL_OFF
    with pytest.raises(model.ScenarioError, match="no sweep dim"):
        counterfactual_point(combos, {"instruments.rd_bonus.reward_rate": 0.1})


def test_paired_differences(combos: xr.Dataset) -> None:
    d = model.differences(combos, variables=["output", "value_added_total"])
    # Replicate by replicate, point minus counterfactual.
    expect = combos["value_added_total"].sel(PLAN_POINT) - combos["value_added_total"].sel(ALL_OFF)
    np.testing.assert_array_equal(d["value_added_total"].sel(PLAN_POINT).values, expect.values)
    assert float(abs(d["output"].sel(ALL_OFF)).max()) == 0.0
    assert d["output"].attrs["units"] == "bn yuan"
    assert "counterfactual" in d.attrs
    s = model.difference_summary(d["value_added_total"].sum("year"))
    x = expect.sum("year").values
    assert float(s["value_added_total_mean"].sel(PLAN_POINT)) == pytest.approx(x.mean())
    assert float(s["value_added_total_mcse"].sel(PLAN_POINT)) == pytest.approx(
        x.std(ddof=1) / np.sqrt(REPLICATES)
    )


def test_common_random_numbers_make_differences_less_noisy(combos: xr.Dataset) -> None:
    """Paired differences vary less across replicates than unpaired ones would.

    What common random numbers promise: var(a - b) = var(a) + var(b) - 2 cov(a, b) is below
    the var(a) + var(b) of independent draws when the points' outcomes move together. (That
    it is also below var(a), as it was while the policy's effect on machine-tool output was
    small, no longer holds: the first-set measures' effect now varies across replicates.)
    """
    # 3 replicates cannot tell standard deviations apart reliably; 12 can.
    twins = model.sweep(
        SCENARIOS / "sweeps" / "instrument_combinations.toml",
        replicates=12,
        overrides=small_overrides(),
        workers=2,
    )
    mt = twins["output"].sel(sector="machine_tools", year=2027)
    plan = mt.sel(PLAN_POINT).std("replicate", ddof=1)
    off = mt.sel(ALL_OFF).std("replicate", ddof=1)
    diffs = (mt.sel(PLAN_POINT) - mt.sel(ALL_OFF)).std("replicate", ddof=1)
    assert float(diffs) < float(np.sqrt(plan**2 + off**2))
    # The shocks themselves are common to all points.
    shocks = combos["demand_shock"]
    assert bool((shocks == shocks.sel(ALL_OFF)).all())


def test_value_per_yuan_by_hand(combos: xr.Dataset) -> None:
    vp = model.value_per_yuan(combos)
    assert_units(vp)
    on, off = combos.sel(PLAN_POINT), combos.sel(ALL_OFF)

    def real(x: xr.Dataset) -> xr.DataArray:  # each sector's value added at 2023 prices
        return (x["value_added"] * x["output_real"] / x["output"]).sum("sector")

    va = (real(on) - real(off)).sum("year").values
    nominal = (on["value_added_total"] - off["value_added_total"]).sum("year").values
    np.testing.assert_allclose(p_nominal := vp["va_gained_nominal"].sel(PLAN_POINT), nominal)
    assert p_nominal.attrs["units"] == "bn yuan" and "2023" in vp["va_gained"].attrs["units"]
    cost_payer = (on["public_cost"] - off["public_cost"]).sum("year")
    cost = cost_payer.sum("payer").values
    p = vp.sel(PLAN_POINT)
    np.testing.assert_allclose(p["va_gained"].values, va)
    np.testing.assert_allclose(p["net_public_cost"].values, cost)
    assert float(p["va_per_yuan"]) == pytest.approx(va.mean() / cost.mean())
    r = va.mean() / cost.mean()
    se = np.std(va - r * cost, ddof=1) / np.sqrt(REPLICATES) / abs(cost.mean())
    assert float(p["va_per_yuan_se"]) == pytest.approx(se)
    central = cost_payer.sel(payer="central").values
    assert float(p["va_per_yuan_by_payer"].sel(payer="central")) == pytest.approx(
        va.mean() / central.mean()
    )
    # One instrument alone: its subsidy is the whole difference in subsidies.
    alone = {**ALL_OFF, "first_set_enabled": True}
    sub = (
        (combos["subsidy_paid"].sel(alone) - off["subsidy_paid"])
        .sum("year")
        .sel(instrument="first_set")
    )
    va1 = (real(combos.sel(alone)) - real(off)).sum("year")
    assert float(
        vp["va_per_yuan_by_instrument"].sel(alone).sel(instrument="first_set")
    ) == pytest.approx(float(va1.mean() / sub.mean()))
    # The counterfactual itself, and instruments not paid, give NaN, not a division warning.
    assert np.isnan(float(vp["va_per_yuan"].sel(ALL_OFF)))
    assert np.isnan(float(vp["va_per_yuan_by_instrument"].sel(alone).sel(instrument="rd_bonus")))


def test_deadweight_and_leakage(combos: xr.Dataset) -> None:
    dl = model.deadweight_leakage(combos)
    assert_units(dl)
    p = dl.sel(PLAN_POINT)
    dw = combos["deadweight"].sel(PLAN_POINT).sum("year")
    paid = combos["subsidy_committed"].sel(PLAN_POINT).sum("year")
    np.testing.assert_allclose(
        p["deadweight_share"].values, (dw.mean("replicate") / paid.mean("replicate")).values
    )
    share = p["deadweight_share"].values
    assert ((share >= 0) & (share <= 1 + 1e-12)).all()
    assert float(dl["deadweight_mean"].sel(ALL_OFF).sum()) == 0.0
    assert bool((p["leakage_p5"] <= p["leakage_p95"]).all())


def test_summary_text(combos: xr.Dataset) -> None:
    text = sweep_summary(combos)
    assert "Sweep 'instrument_combinations': 16 points" in text
    assert "MT output 2027" in text and "±" in text
    assert "Against no policy (every instrument off) [rd_bonus_enabled = False" in text
    assert "Shapley values" in text and "VA per yuan of public cost" in text
    lines = text.splitlines()
    # the attainment table (16 points), the value-per-yuan and the market tables (15 each)
    assert sum(line.startswith("True ") or line.startswith("False ") for line in lines) == 16 + 30
    assert "Machine-tool output in 2027 against no policy" in text
    # The plan's row of the market table: every channel, in the order of the header.
    mk = model.machine_tool_markets(combos, year=2027)
    table = lines[next(i for i, line in enumerate(lines) if "by market" in line) :]
    row = next(line for line in table if line.split()[:4] == ["True"] * 4)
    means = row.split()[4::3]  # each cell is "mean ± se"
    expect = [f"{float(mk[k].sel(PLAN_POINT).mean()):.4g}" for k in mk.data_vars]
    assert means == expect, (row, expect)


def test_a_sweep_without_target_years_has_a_summary(combos: xr.Dataset) -> None:
    text = sweep_summary(combos.sel(year=[2024]))
    assert "Machine-tool output in 2024 against no policy" in text


def test_views_command(combos: xr.Dataset, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "combos.nc"
    needed = [
        "output",
        "value_added_total",
        "value_added_real_total",
        "public_cost",
        "subsidy_paid",
        "taxes",
        "deadweight",
        "subsidy_committed",
        "leakage",
        "n_little_giants_new",
        "n_single_champions_new",
        "first_set_products_new",
    ]
    model.experiments.sweep.write_sweep(combos[needed], path)
    assert cli.main(["views", str(path), "--counterfactual", "rd_bonus_enabled=true"]) == 0
    out = capsys.readouterr().out
    assert "Against the counterfactual point [rd_bonus_enabled = True]" in out
    assert cli.main(["views", str(path), "--counterfactual", "rd_bonus_enabled=maybe"]) == 2
    # A file an older version wrote, without a variable the views now need: a clear error.
    older = tmp_path / "older.nc"
    model.experiments.sweep.write_sweep(
        combos[[n for n in needed if n != "value_added_real_total"]], older
    )
    assert cli.main(["views", str(older)]) == 2
    err = capsys.readouterr().err
    assert (
        "no variable 'value_added_real_total'" in err and "run the scenario or sweep again" in err
    )
    assert cli.main(["views", str(tmp_path / "missing.nc")]) == 2
    assert "file not found" in capsys.readouterr().err


CHANNELS = (
    "in_region_share",
    "in_region_volume",
    "rest_of_country_share",
    "rest_of_country_demand",
    "abroad_share",
    "abroad_demand",
)


def test_the_markets_add_up_to_machine_tool_output(combos: xr.Dataset) -> None:
    mt = combos["output"].sel(sector="machine_tools")
    sold = sum(
        combos[f"machine_tool_sales_{m}"].sum("segment")
        for m in ("in_region", "rest_of_country", "abroad")
    )
    np.testing.assert_allclose(sold, mt, rtol=1e-12)
    # Sales outside the region are the makers' share of each segment's demand.
    np.testing.assert_allclose(
        combos["machine_tool_sales_rest_of_country"],
        combos["national_market_share"] * combos["national_machine_demand"],
        rtol=1e-12,
    )
    in_region = combos["machine_tool_sales_in_region"]
    assert float(in_region.min()) >= -1e-9 * float(mt.max())
    assert bool((in_region.sum("segment") > 0).all())


def test_the_plans_machine_tool_output_by_market(combos: xr.Dataset) -> None:
    mk = model.machine_tool_markets(combos)
    assert_units(mk)
    parts = sum(mk[k] for k in CHANNELS)
    np.testing.assert_allclose(parts, mk["output"], atol=1e-9)
    # The policy points share the demand paths: all of the outside sales' difference is share.
    for k in ("rest_of_country_demand", "abroad_demand"):
        assert float(abs(mk[k]).max()) == 0.0
    roc = combos["machine_tool_sales_rest_of_country"].sum("segment")
    np.testing.assert_allclose(mk["rest_of_country_share"], roc - roc.sel(ALL_OFF), atol=1e-9)
    # In the region the makers sell what the region's buyers order from them: their sales per
    # yuan of the region's machine purchases is the in-region share of those purchases.
    purchases = combos["machine_purchases"].sum("sector")
    ordered = purchases - combos["machine_purchases_outside_province"].sum("sector")
    np.testing.assert_allclose(
        # (the buyers' purchases are kept in single precision)
        combos["machine_tool_sales_in_region"].sum("segment"),
        ordered,
        rtol=1e-6,
    )
    share = ordered / purchases
    np.testing.assert_allclose(
        mk["in_region_share"],
        (share - share.sel(ALL_OFF)) * purchases.sel(ALL_OFF),
        atol=1e-5,  # bn yuan: the single precision of the purchases
    )
    # The counterfactual differs from itself by nothing; the plan adds output.
    assert float(abs(mk["output"].sel(ALL_OFF)).max()) == 0.0
    assert float(mk["output"].sel(PLAN_POINT).sel(year=2027).mean()) > 0


def test_a_different_demand_is_split_from_the_share(combos: xr.Dataset) -> None:
    """(n1 - n0) D0 + n1 (D1 - D0) = n1 D1 - n0 D0, segment by segment."""
    ds = combos.copy()
    by_segment = xr.DataArray([1.0, 1.2, 1.5], dims="segment", coords={"segment": ds["segment"]})
    # Every point but the counterfactual meets a larger rest-of-country demand.
    factor = xr.where(ds["first_set_enabled"], by_segment, 1.0)
    added = (ds["national_market_share"] * ds["national_machine_demand"] * (factor - 1)).sum(
        "segment"
    )
    ds["national_machine_demand"] = ds["national_machine_demand"] * factor
    output = ds["output"].copy()
    output.loc[{"sector": "machine_tools"}] = ds["output"].sel(sector="machine_tools") + added
    ds["output"] = output
    mk = model.machine_tool_markets(ds)
    np.testing.assert_allclose(sum(mk[k] for k in CHANNELS), mk["output"], atol=1e-9)
    np.testing.assert_allclose(mk["rest_of_country_demand"], added, atol=1e-9)
    assert float(mk["rest_of_country_demand"].sel(PLAN_POINT).min()) > 0


def test_markets_need_a_counterfactual(combos: xr.Dataset) -> None:
    with pytest.raises(model.ScenarioError, match="no counterfactual point"):
        model.machine_tool_markets(combos.sel(PLAN_POINT))


def test_real_value_added_deflates_each_sector(combos: xr.Dataset) -> None:
    # by the deflator of the sector's real output
    real = combos["value_added"] / (combos["output"] / combos["output_real"])
    np.testing.assert_allclose(combos["value_added_real"], real, rtol=1e-12)
    np.testing.assert_allclose(combos["value_added_real_total"], real.sum("sector"), rtol=1e-12)
    assert combos["value_added_real"].attrs["units"] == "bn yuan (2023 prices)"
