"""Shapley values of the plan's effect across its three instruments, from the 2^3 combinations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import xarray as xr

import model
from model.analysis.shapley import instrument_players
from model.policy.registry import names as instrument_names
from model.testing import SCENARIOS, small_overrides

INSTRUMENTS = ("rd_bonus", "first_set", "renewal_loans")
DIMS = tuple(f"{i}_enabled" for i in INSTRUMENTS)
#: The instruments the shipped combinations sweep switches: every registered one.
SWEPT = instrument_names()
SWEPT_DIMS = tuple(f"{i}_enabled" for i in SWEPT)


def game(values: dict[frozenset[str], np.ndarray]) -> xr.Dataset:
    """A dataset shaped like the combinations sweep whose output is v(S) per replicate."""
    data = np.zeros((2, 2, 2, len(next(iter(values.values())))))
    for on in itertools.product((False, True), repeat=3):
        s = frozenset(i for i, o in zip(INSTRUMENTS, on, strict=True) if o)
        data[tuple(int(o) for o in on)] = values[s]
    coords = {
        d: (d, [False, True], {"path": f"instruments.{i}.enabled"})
        for d, i in zip(DIMS, INSTRUMENTS, strict=True)
    }
    ds = xr.Dataset(
        {"v": ((*DIMS, "replicate"), data, {"units": "u", "long_name": "v"})}, coords=coords
    )
    ds.attrs["sweep_dims"] = " ".join(DIMS)
    return ds


def phi_of(ds: xr.Dataset) -> xr.Dataset:
    return model.shapley(ds, outputs=ds[["v"]])


def test_additive_game_gives_each_instrument_its_own_effect() -> None:
    rng = np.random.default_rng(1)
    own = {i: rng.normal(size=5) for i in INSTRUMENTS}
    base = rng.normal(size=5)
    values = {
        frozenset(s): base + sum((own[i] for i in s), np.zeros(5))
        for k in range(4)
        for s in itertools.combinations(INSTRUMENTS, k)
    }
    sh = phi_of(game(values))
    for i in INSTRUMENTS:
        np.testing.assert_allclose(
            sh["phi"].sel(output="v", instrument=i).values, own[i], atol=1e-12
        )


def test_interaction_is_shared_equally() -> None:
    # v = 1 for rd_bonus, 2 for first_set, +6 when both are on, 0 for renewal loans.
    def v(s: frozenset[str]) -> np.ndarray:
        x = (
            1.0 * ("rd_bonus" in s)
            + 2.0 * ("first_set" in s)
            + 6.0 * ({"rd_bonus", "first_set"} <= s)
        )
        return np.array([x])

    values = {
        frozenset(s): v(frozenset(s))
        for k in range(4)
        for s in itertools.combinations(INSTRUMENTS, k)
    }
    sh = phi_of(game(values))
    phi = sh["phi"].sel(output="v", replicate=0)
    assert phi.sel(instrument="rd_bonus").item() == pytest.approx(4.0)
    assert phi.sel(instrument="first_set").item() == pytest.approx(5.0)
    assert phi.sel(instrument="renewal_loans").item() == pytest.approx(0.0)
    assert sh["effect"].sel(output="v").item() == pytest.approx(9.0)


def test_three_way_game_against_the_formula() -> None:
    rng = np.random.default_rng(7)
    values = {
        frozenset(s): rng.normal(size=4)
        for k in range(4)
        for s in itertools.combinations(INSTRUMENTS, k)
    }
    sh = phi_of(game(values))
    full = frozenset(INSTRUMENTS)
    for i in INSTRUMENTS:
        expect = np.zeros(4)
        for k in range(3):
            for s in itertools.combinations([j for j in INSTRUMENTS if j != i], k):
                w = {0: 1 / 3, 1: 1 / 6, 2: 1 / 3}[k]  # |S|! (n - |S| - 1)! / n!
                expect += w * (values[frozenset(s) | {i}] - values[frozenset(s)])
        np.testing.assert_allclose(
            sh["phi"].sel(output="v", instrument=i).values, expect, atol=1e-12
        )
    np.testing.assert_allclose(
        sh["phi"].sel(output="v").sum("instrument").values,
        values[full] - values[frozenset()],
        atol=1e-12,
    )


@pytest.fixture(scope="module")
def combos() -> xr.Dataset:
    return model.sweep(
        SCENARIOS / "sweeps" / "instrument_combinations.toml",
        replicates=3,
        overrides=small_overrides(),
    )


@pytest.fixture(scope="module")
def shapley(combos: xr.Dataset) -> xr.Dataset:
    return model.shapley(combos)


def test_players_found_from_the_sweep(combos: xr.Dataset) -> None:
    assert instrument_players(combos) == dict(zip(SWEPT, SWEPT_DIMS, strict=True))


def test_efficiency_in_every_replicate(combos: xr.Dataset, shapley: xr.Dataset) -> None:
    """Sum of the Shapley values = v(all on) - v(all off), replicate by replicate."""
    outputs = model.key_outputs(combos)
    on = outputs.sel(dict.fromkeys(SWEPT_DIMS, True))
    off = outputs.sel(dict.fromkeys(SWEPT_DIMS, False))
    total = shapley["phi"].sum("instrument")
    for name in outputs.data_vars:
        effect = (on[name] - off[name]).values
        scale = max(1.0, float(np.abs(on[name]).max()))
        np.testing.assert_allclose(
            total.sel(output=name).values, effect, rtol=0, atol=1e-9 * scale, err_msg=name
        )
        np.testing.assert_allclose(
            shapley["effect"].sel(output=name).values, effect, atol=1e-9 * scale
        )


def test_key_outputs_and_spread(shapley: xr.Dataset) -> None:
    outputs = set(shapley["output"].values)
    for name in (
        "machine_tool_output_2025",
        "machine_tool_output_2027",
        "value_added",
        "rd_expenditure",
        "first_set_products",
        "mean_machine_age_2027",
        "public_cost",
    ):
        assert name in outputs
    assert (
        shapley["phi"].dims[:2] == ("output", "instrument") and "replicate" in shapley["phi"].dims
    )
    assert bool((shapley["phi_sd"] >= 0).all())
    mean = shapley["phi_mean"]
    assert bool(((shapley["phi_p5"] <= mean + 1e-12) & (mean <= shapley["phi_p95"] + 1e-12)).all())
    np.testing.assert_allclose(
        shapley["phi_mcse"].values, shapley["phi_sd"].values / np.sqrt(3), rtol=1e-12
    )
    # Every instrument costs money.
    assert bool((shapley["phi_mean"].sel(output="public_cost") > 0).all())
    assert "va_per_yuan" in shapley


def test_first_set_support_drives_first_set_sales(combos: xr.Dataset) -> None:
    # The insurance and SOE procurement sell first-set models (the province lists a first set
    # when it appears, so they do not make first sets themselves). The R&D bonus adds first
    # sets through innovation, far fewer sales; the renewal loans act on neither.
    sales = combos["first_set_model_sales"].sel(sector="machine_tools").sum("year")
    sh = model.shapley(combos, outputs=xr.Dataset({"first_set_sales": sales}))
    phi = sh["phi_mean"].sel(output="first_set_sales")
    first_set = float(phi.sel(instrument="first_set"))
    assert first_set > 0
    assert abs(float(phi.sel(instrument="rd_bonus"))) < 0.2 * first_set
    assert abs(float(phi.sel(instrument="renewal_loans"))) < 0.2 * first_set


def test_needs_on_off_dims(combos: xr.Dataset) -> None:
    with pytest.raises(model.ScenarioError, match="switch dims"):
        model.shapley(combos.assign_attrs(sweep_dims=""))
    with pytest.raises(model.ScenarioError, match="false and true"):
        model.shapley(combos.isel(rd_bonus_enabled=[1]))
