"""Property-based tests (hypothesis): rationing, schedules, per-slot ledgers, accounting.

The strategies live in :mod:`model.testing.strategies`. The draws are derandomized (the
same examples on every run) and nothing is written to a ``.hypothesis`` database. Each fast
property tries 40 examples; the accounting property runs the model on 16 parameter sets by
default and on 500 in its ``slow`` variant (``-m slow``).
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import model
from model.config.schedule import Schedule, format_date_key, parse_date_key
from model.config.units import TINY
from model.policy.base import ration
from model.policy.ledgers import CompactSlots
from model.testing import assert_close, roll_forward
from model.testing.strategies import (
    behaviour_overrides,
    claims_and_budgets,
    date_keys,
    date_tables,
    schedule_constants,
    schedules,
    slot_masks,
    slot_values,
)

# Profiles: reproducible (derandomized), no example database written to the working tree,
# no deadline (a loaded 2-core machine must not make a test flaky).
settings.register_profile("properties", derandomize=True, database=None, deadline=None)
settings.register_profile("properties-model", settings.get_profile("properties"), max_examples=16)
settings.register_profile(
    "properties-model-slow", settings.get_profile("properties-model"), max_examples=500
)
#: The fast properties: a few dozen examples each.
FAST = settings(settings.get_profile("properties"), max_examples=40)
#: Model runs: 16 parameter sets by default.
MODEL = settings.get_profile("properties-model")
#: Model runs, the slow variant: 500 parameter sets.
MODEL_SLOW = settings.get_profile("properties-model-slow")

RULES = ("pro_rata", "largest_first", "smallest_first")
EPS = np.finfo(float).eps
SUBNORMAL = np.finfo(float).smallest_subnormal


# ------------------------------------------------------------------------- rationing


def _rounding(claims: np.ndarray) -> np.ndarray:
    """Rounding error allowed per row: a few ulps of the total per term summed (R,)."""
    return 4 * (claims.shape[1] + 1) * EPS * claims.sum(axis=1)


@FAST
@given(claims_and_budgets(), st.sampled_from(RULES))
def test_ration_within_claims_and_budget(cb: tuple[np.ndarray, np.ndarray], rule: str) -> None:
    claims, budget = cb
    paid = ration(claims, budget, rule)
    assert paid.shape == claims.shape
    assert (paid >= 0).all(), f"negative payment: {paid.min()}"
    over = paid - claims
    assert (over <= 0).all(), f"paid {over.max()} over a claim"
    total, spent = claims.sum(axis=1), paid.sum(axis=1)
    tol = _rounding(claims)
    assert (spent <= budget + tol).all(), f"spent {spent} over budget {budget}"
    # Pays the budget or every claim, whichever is less. A total claim below TINY (m yuan)
    # is degenerate: pro_rata floors the divisor at TINY, so it may pay less, by < TINY.
    tol = tol + np.where(total < TINY, TINY, 0.0)
    off = np.abs(spent - np.minimum(budget, total))
    assert (off <= tol).all(), f"spent {spent}, not min(budget {budget}, claims {total})"


@FAST
@given(claims_and_budgets(min_slots=1))
def test_pro_rata_pays_every_claim_the_same_fraction(cb: tuple[np.ndarray, np.ndarray]) -> None:
    claims, budget = cb
    paid = ration(claims, budget, "pro_rata")
    for c, p in zip(claims, paid, strict=True):
        if not (c > 0).any():
            assert (p == 0).all()
            continue
        # The fraction paid of the largest claim; every claim is paid that fraction, up to
        # the rounding of a product (a few ulps, or the smallest step for subnormal claims).
        top = np.argmax(c)
        fraction = p[top] / c[top]
        assert 0 <= fraction <= 1
        off = np.abs(p - fraction * c)
        tol = 4 * EPS * c + 4 * SUBNORMAL
        assert (off <= tol).all(), f"fraction {fraction!r} of {c[off > tol]} is not {p[off > tol]}"


@FAST
@given(claims_and_budgets(min_slots=1), st.sampled_from(("largest_first", "smallest_first")))
def test_priority_rules_pay_in_order(cb: tuple[np.ndarray, np.ndarray], rule: str) -> None:
    """No claim lower in the order is paid while one higher up is paid only in part."""
    claims, budget = cb
    paid = ration(claims, budget, rule)
    tol = _rounding(claims)
    for c, p, t in zip(claims, paid, tol, strict=True):
        short = (c - p > t) & (c > 0)  # paid in part (or not at all) beyond rounding
        for i in np.flatnonzero(short):
            later = c < c[i] if rule == "largest_first" else c > c[i]
            got = p[later & (c > 0)]
            assert (got <= t).all(), (
                f"{rule}: claim {c[i]!r} paid {p[i]!r} only, yet later claims got {got}"
            )


@FAST
@given(claims_and_budgets(), st.sampled_from(RULES))
def test_ration_in_place_equals_fresh(cb: tuple[np.ndarray, np.ndarray], rule: str) -> None:
    claims, budget = cb
    fresh = ration(claims, budget, rule)
    work = claims.copy()
    in_place = ration(work, budget, rule, out=work)
    assert in_place is work
    assert in_place.tobytes() == fresh.tobytes()
    assert ration(claims, budget, rule).tobytes() == fresh.tobytes(), "the claims were changed"


# ------------------------------------------------------------------------- schedules

YEARS = st.integers(1985, 2065)


@FAST
@given(schedule_constants(), YEARS)
def test_constant_schedule_is_the_same_every_year(s: Schedule, year: int) -> None:
    value = s.points[0][1]
    assert s.at(year) == value
    assert s.at(1) == value and s.at(9999) == value


def _in_force(s: Schedule, year: int) -> list[float]:
    """The values in force in some month of the year (before the first date: the first)."""
    out = []
    for month in range(year * 12, year * 12 + 12):
        started = [v for start, v in s.points if start <= month]
        out.append(started[-1] if started else s.points[0][1])
    return out


def _years(s: Schedule) -> st.SearchStrategy[int]:
    """Years around the schedule's dates (where its value changes), or any year."""
    dated = [start // 12 + d for start, _ in s.points if start >= 0 for d in (-1, 0, 1)]
    return st.one_of(st.sampled_from(dated), YEARS) if dated else YEARS


@FAST
@given(st.data(), schedules())
def test_schedule_at_lies_within_the_values_in_force(data: st.DataObject, s: Schedule) -> None:
    year = data.draw(_years(s), label="year")
    values = _in_force(s, year)
    lo, hi = min(values), max(values)
    assert lo <= s.at(year) <= hi, f"at({year}) = {s.at(year)!r} outside [{lo!r}, {hi!r}]"


@FAST
@given(st.data(), schedules())
def test_schedule_at_is_the_mean_of_the_months(data: st.DataObject, s: Schedule) -> None:
    year = data.draw(_years(s), label="year")
    values = _in_force(s, year)
    size = max(abs(v) for v in values)
    assert abs(s.at(year) - sum(values) / 12) <= 16 * EPS * size


@FAST
@given(date_tables())
def test_schedule_round_trips_through_toml(table: dict[str, float]) -> None:
    s = Schedule.from_dates(table)
    written = s.to_toml_value()
    again = (
        Schedule.from_dates(written) if isinstance(written, dict) else Schedule.constant(written)
    )
    assert again == s
    assert list(s.to_toml_value()) == [format_date_key(parse_date_key(k)) for k in table]


@FAST
@given(st.data(), schedules(), st.floats(-1e3, 1e3, allow_nan=False))
def test_scaled_schedule(data: st.DataObject, s: Schedule, factor: float) -> None:
    year = data.draw(_years(s), label="year")
    expected = factor * s.at(year)
    size = abs(factor) * max(abs(v) for _, v in s.points)
    assert abs(s.scaled(factor).at(year) - expected) <= 16 * EPS * size


@FAST
@given(date_keys(canonical=True))
def test_date_key_round_trips(key: str) -> None:
    idx = parse_date_key(key)
    assert format_date_key(idx) == key
    assert parse_date_key(format_date_key(idx)) == idx
    year, month = divmod(idx, 12)
    assert key[:4] == f"{year:04d}" and int(key[5:] or 1) == month + 1


@FAST
@given(date_keys())
def test_long_january_key_names_the_year(key: str) -> None:
    assert format_date_key(parse_date_key(key)) == key.removesuffix("-01")


# ------------------------------------------------------------------- per-slot values

#: Small and large float64 values, small float32 ones.
SLOT_VALUES = st.one_of(
    slot_values(), slot_values(large=True), slot_values(dtype=np.float32, large=False)
)


@FAST
@given(SLOT_VALUES, st.booleans())
def test_compact_slots_give_back_the_same_bytes(values: np.ndarray, copy: bool) -> None:
    original = values.copy()
    kept = CompactSlots(values, copy=copy)
    dense = kept.dense()
    assert dense.shape == original.shape and dense.dtype == original.dtype
    assert dense.tobytes() == original.tobytes()
    if copy:
        values[...] = 1.0  # the caller changes its array: the kept values do not change
        assert kept.dense().tobytes() == original.tobytes()


@FAST
@given(st.data(), st.booleans())
def test_compact_slots_cleared(data: st.DataObject, copy: bool) -> None:
    values = data.draw(SLOT_VALUES)
    where = data.draw(slot_masks(values.shape))
    original = values.copy()
    kept = CompactSlots(values, copy=copy)
    cleared = kept.cleared(where).dense()
    bits = cleared.view(f"u{values.itemsize}")
    assert cleared.shape == values.shape and cleared.dtype == values.dtype
    assert (bits[where] == 0).all(), "a cleared slot is not +0.0"
    assert bits[~where].tobytes() == original.view(bits.dtype)[~where].tobytes()
    assert kept.dense().tobytes() == original.tobytes(), "cleared() changed the original"


@FAST
@given(
    st.tuples(st.integers(0, 5), st.integers(0, 40_000)),
    st.sampled_from((np.float64, np.float32)),
)
def test_compact_slots_zeros(shape: tuple[int, int], dtype: type) -> None:
    dense = CompactSlots.zeros(shape, dtype).dense()
    assert dense.shape == shape and dense.dtype == dtype
    assert not dense.view(f"u{dense.itemsize}").any(), "not all +0.0"


# ------------------------------------------------------------------- accounting

#: The small run the accounting property draws behaviour for (about 600 firms, 3 spin-up
#: years: well under a second a run).
SMALL = {"market.firm_scale": 0.01, "spinup.years": 3}
#: The tolerances of tests/test_accounting.py (not loosened): sums over firms in another
#: order agree to a few ulps of the total; stock roll-forwards to 1e-9 of the stock.
SUM_RTOL = 1e-12
STOCK_RTOL = 1e-9


def _lag(da: xr.DataArray) -> xr.DataArray:
    return da.shift(year=1).isel(year=slice(1, None))


def _now(da: xr.DataArray) -> xr.DataArray:
    return da.isel(year=slice(1, None))


#: The gross flows of each stock's roll-forward (as in model.testing.roll_forward).
FLOWS = {
    "cash": (
        "operating_cash_flow",
        "investment",
        "loans_new",
        "loans_repaid",
        "dividends",
        "cash_of_exits",
        "cash_of_entrants",
    ),
    "debt": ("loans_new", "loans_repaid", "loans_written_off"),
}


def _check_accounting(drawn: dict[str, object]) -> None:
    ds = model.run("scenarios/plan.toml", replicates=1, overrides={**SMALL, **drawn})
    for stock, flows in FLOWS.items():
        actual, expected = roll_forward(ds, stock)
        # Relative to the stock, as in tests/test_accounting.py, or to the largest flow where
        # that is larger (assert_close's "size of the stock or of the largest flow"): 1-year
        # loans take a sector's debt from 0 to 0 through ~10 bn yuan of new and repaid loans.
        scale = np.maximum(abs(_now(ds[stock])), abs(_lag(ds[stock])))
        for flow in flows:
            scale = np.maximum(scale, abs(_now(ds[flow])))
        assert_close(actual, expected, rtol=STOCK_RTOL, scale=scale, what=f"{stock} roll-forward")
    actual, expected = roll_forward(ds, "n_firms")
    assert_close(actual, expected, rtol=SUM_RTOL, scale=abs(actual), what="firm count roll-forward")
    # No NaN anywhere, except budget_used where there is no finite, positive budget.
    no_budget = ~(np.isfinite(ds["budget"]) & (ds["budget"] > 0))
    assert bool((ds["budget_used"].isnull() == no_budget).all()), "budget_used NaN mismatch"
    # The productivity 90/10 ratio of a sector is undefined with fewer than 20 live firms
    # (``model.outputs.distribution.quantile_ratio``); anywhere else it is a number.
    simulated = ds["n_firms"] * SMALL["market.firm_scale"]
    few = ds["productivity_p90_p10"].isnull() & (simulated.round() < 20)
    assert bool((ds["productivity_p90_p10"].isnull() == few).all()), "productivity_p90_p10 NaN"
    with_nan = [
        name
        for name, v in ds.data_vars.items()
        if name not in ("budget_used", "productivity_p90_p10")
        and v.dtype.kind in "fc"
        and bool(v.isnull().any())
    ]
    assert not with_nan, f"NaN in {with_nan}"


@MODEL
@given(behaviour_overrides())
def test_accounting_identities_hold_for_any_behaviour(drawn: dict[str, object]) -> None:
    _check_accounting(drawn)


@pytest.mark.slow
@MODEL_SLOW
@given(behaviour_overrides())
def test_accounting_identities_hold_for_any_behaviour_many(drawn: dict[str, object]) -> None:
    _check_accounting(drawn)
