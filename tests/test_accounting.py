"""Accounting identities that hold in every year and replicate, checked on the result alone.

Flows are recorded before the year's exits and entries (Recorder.take_flows), stocks after
them (Recorder._stocks), so the stock roll-forwards need the exit and entry terms.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from model.outputs.catalogue import count_variables
from model.testing import PLAN, SMALL_FIRM_SCALE, assert_close, roll_forward, small_overrides

#: Sums over firms in a different order agree to a few ulps of the total.
SUM_RTOL = 1e-12
#: Stock roll-forwards: tolerance relative to the size of the stock.
STOCK_RTOL = 1e-9


@pytest.fixture
def ds(plan_run: xr.Dataset) -> xr.Dataset:
    return plan_run


def _lag(da: xr.DataArray) -> xr.DataArray:
    """Last year's value, aligned on this year (the first year is dropped)."""
    prev = da.shift(year=1)
    return prev.isel(year=slice(1, None))


def _now(da: xr.DataArray) -> xr.DataArray:
    return da.isel(year=slice(1, None))


@pytest.mark.parametrize(
    "name", ["output", "value_added", "employment", "rd_expenditure", "investment"]
)
def test_sectors_add_up_to_total(ds: xr.Dataset, name: str) -> None:
    total = ds[f"{name}_total"]
    assert_close(
        ds[name].sum("sector"), total, rtol=SUM_RTOL, scale=abs(total), what=f"sum of {name}"
    )


def test_value_added_within_output(ds: xr.Dataset) -> None:
    va, out = ds["value_added"], ds["output"]
    assert bool((va >= 0).all()), "negative value added"
    over = va - out
    assert bool((over <= 0).all()), (
        f"value added exceeds output by up to {float(over.max()):.6g} bn yuan "
        f"in {over.where(over > 0, drop=True).coords.to_dataset()}"
    )


def test_machine_tool_price_index_is_the_output_deflator(ds: xr.Dataset) -> None:
    """Machine tools' price index is what their real output is at: output / output_real.

    (The makers' index is quantity-weighted; a revenue-weighted mean of their prices is
    4-5% off it.)
    """
    mt = {"sector": "machine_tools"}
    deflator = ds["output"].sel(mt) / ds["output_real"].sel(mt)
    assert_close(ds["price_index"].sel(mt), deflator, rtol=1e-9, what="machine-tool deflator")


def test_cash_rolls_forward(ds: xr.Dataset) -> None:
    """cash[t] = cash[t-1] + OCF - investment + new loans - repaid - dividends - exits + entrants.

    The roll-forward, firm by firm: invest() pays investment and adds new loans, settle_cash()
    adds net profit + depreciation + write-offs (the operating cash flow), repays loans, pays
    dividends and books any overdraft as a new loan (included in loans_new), then
    demography() removes the cash of exiting firms and adds the owners' cash of entrants.
    """
    c = ds["cash"]
    actual, expected = roll_forward(ds, "cash")
    scale = np.maximum(abs(_now(c)), abs(_lag(c)))
    assert_close(actual, expected, rtol=STOCK_RTOL, scale=scale, what="cash roll-forward")


def test_debt_rolls_forward(ds: xr.Dataset) -> None:
    """debt[t] = debt[t-1] + new loans (incl. overdrafts) - repaid - written off at exit."""
    d = ds["debt"]
    actual, expected = roll_forward(ds, "debt")
    scale = np.maximum(abs(_now(d)), abs(_lag(d)))
    assert_close(actual, expected, rtol=STOCK_RTOL, scale=scale, what="debt roll-forward")


def test_firm_count_rolls_forward(ds: xr.Dataset) -> None:
    # n_firms counts the firms active in a year; exits leave and entrants join at its end.
    actual, expected = roll_forward(ds, "n_firms")
    assert_close(actual, expected, rtol=SUM_RTOL, scale=abs(actual), what="firm count roll-forward")


def test_investment_is_replacement_plus_expansion(ds: xr.Dataset) -> None:
    parts = ds["investment_replacement"] + ds["investment_expansion"]
    assert_close(
        parts,
        ds["investment"],
        rtol=SUM_RTOL,
        scale=ds["investment_total"],
        what="investment split",
    )


def test_rd_intensity_is_rd_over_output(ds: xr.Dataset) -> None:
    expected = ds["rd_expenditure"] / ds["output"]
    assert_close(ds["rd_intensity"], expected, rtol=SUM_RTOL, what="rd_intensity")


def test_cluster_output_adds_up_to_total_output(ds: xr.Dataset) -> None:
    total = ds["output_total"]
    assert_close(
        ds["cluster_output"].sum("cluster"), total, rtol=SUM_RTOL, what="sum of cluster_output"
    )


def test_cluster_output_adds_up_to_sector_output(ds: xr.Dataset) -> None:
    out = ds["output"].drop_vars("sector_name_zh")
    rows = []
    for sector in ds["sector"].values:
        mine = ds["cluster_sector"] == sector
        assert bool(mine.any()), f"no cluster in sector {sector}"
        rows.append(ds["cluster_output"].where(mine, 0.0).sum("cluster"))
    by_sector = xr.concat(rows, dim=out["sector"]).transpose(*out.dims)
    # Loose tolerance: the timing bug above (exits and entries) is about 1%; mislabelling
    # moves whole sectors.
    assert_close(by_sector, out, rtol=0.05, what="cluster_output summed by cluster_sector")


def test_subsidies_received_are_subsidies_paid(ds: xr.Dataset) -> None:
    """Firms receive what the instruments paid (re-lending is lower interest, not a payment)."""
    received = ds["subsidies_received"].sum("sector")
    paid = ds["subsidy_paid"].sum("instrument")
    assert float(paid.max()) > 0, "the plan paid no subsidy: this test checks nothing"
    assert_close(received, paid, rtol=SUM_RTOL, scale=paid.max(), what="subsidies received vs paid")


def test_subsidy_by_payer_adds_up(ds: xr.Dataset) -> None:
    paid = ds["subsidy_paid"]
    assert_close(
        ds["subsidy_by_payer"].sum("payer"), paid, rtol=SUM_RTOL, scale=paid.max(), what="payers"
    )


def test_paid_within_claims_and_budget(ds: xr.Dataset) -> None:
    paid, claims, budget = ds["subsidy_paid"], ds["claims"], ds["budget"]
    tol = 1e-12 * float(paid.max())
    assert bool((paid >= 0).all())
    assert bool((paid <= claims + tol).all()), "an instrument paid more than was claimed"
    assert bool((paid <= budget + tol).all()), "an instrument paid more than its budget"


@pytest.mark.parametrize(
    "name", ["domestic_machine_share", "in_region_machine_share", "rd_intensity", "budget_used"]
)
def test_shares_within_unit_interval(ds: xr.Dataset, name: str) -> None:
    v = ds[name]
    if name == "budget_used":  # NaN where the budget is unlimited or zero
        v = v.where(np.isfinite(ds["budget"]) & (ds["budget"] > 0))
        assert bool(v.notnull().any()), "no finite budget: nothing to check"
    else:
        assert bool(v.notnull().all()), f"{name} has NaN"
    finite = v.where(v.notnull(), 0.5)
    eps = 1e-12  # paid / budget of a fully used budget may be 1 + 1 ulp
    assert bool(((finite >= 0) & (finite <= 1 + eps)).all()), (
        f"{name} outside [0, 1]: min {float(v.min()):.6g}, max {float(v.max()):.6g}"
    )


def test_in_region_purchases_are_domestic(ds: xr.Dataset) -> None:
    # Zhejiang-made machines are made in China: Zhejiang's share cannot exceed the domestic.
    excess = ds["in_region_machine_share"] - ds["domestic_machine_share"]
    assert float(excess.max()) <= 1e-12


@pytest.mark.parametrize("name", sorted(count_variables() | {"firms_eligible", "firms_paid"}))
def test_counts_are_whole_firms(ds: xr.Dataset, name: str) -> None:
    v = ds[name]
    assert bool((v >= 0).all()), f"{name} negative: min {float(v.min())}"
    # Counts are scaled up from the simulated firms: count x firm_scale is a whole number.
    simulated = v * SMALL_FIRM_SCALE
    assert float(abs(simulated - np.round(simulated)).max()) < 1e-6, (
        f"{name} is not a whole number of firms"
    )


@pytest.mark.parametrize(
    "name", ["n_firms_above_scale", "n_specialised_new", "n_little_giants", "n_single_champions"]
)
def test_status_counts_within_firm_count(ds: xr.Dataset, name: str) -> None:
    # Status counts and n_firms both count the firms active in the year.
    excess = ds[name] - ds["n_firms"]
    assert float(excess.max()) <= 1e-9, f"{name} exceeds the live firms by {float(excess.max())}"


def test_n_firms_above_scale_within_n_firms(ds: xr.Dataset) -> None:
    excess = ds["n_firms_above_scale"] - ds["n_firms"]
    assert float(excess.max()) <= 1e-9, (
        f"n_firms_above_scale exceeds n_firms by {float(excess.max())}"
    )


def test_budget_is_the_scenarios_budget(ds: xr.Dataset) -> None:
    """The recorded budget is in the same money as subsidy_paid: the scenario's bn yuan."""
    import tomllib

    import model

    scenario = model.load_scenario(PLAN, small_overrides())
    assert tomllib.loads(ds.attrs["scenario"])["market"]["firm_scale"] == SMALL_FIRM_SCALE
    schedule = scenario.instruments.rd_bonus.budget_bn_yuan
    expected = xr.DataArray(
        [schedule.at(int(y)) for y in ds["year"].values], coords={"year": ds["year"]}
    )
    recorded = ds["budget"].sel(instrument="rd_bonus", drop=True)
    assert_close(recorded, expected.broadcast_like(recorded), rtol=1e-12, what="rd_bonus budget")
