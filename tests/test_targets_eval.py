"""Target evaluation (model.analysis.targets.evaluate): on a small run, and exactly on hand-made
data.

The hand-made dataset has the variables ``evaluate`` reads, with chosen values per replicate,
so each attainment, median and band is known in advance. Chain outputs are built by the real
``model.outputs.dataset.chain_output`` from the hand-made sector outputs.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import xarray as xr

import model
from model.analysis.targets import evaluate, simulated
from model.config.targets import Target, load_targets
from model.outputs.dataset import chain_output, region_text
from model.testing import PLAN

YEARS = [2024, 2025, 2026, 2027]
N_REP = 4
USES = ("inverse", "evaluated")


@pytest.fixture(scope="module")
def scenario():
    return model.load_scenario(PLAN)


def _target(**kw) -> Target:
    base = dict(
        id="t",
        value=0.0,
        unit="bn_yuan",
        comparison="ge",
        year=2025,
        region="Zhejiang",
        scope="",
        model_variable="output:machine_tools",
        cumulative_from=0,
        seed="",
        quote="",
        use="evaluated",
        note="",
    )
    base.update(kw)
    return Target(**base)


def _row(rows: list[dict], target_id: str) -> dict:
    found = [r for r in rows if r["id"] == target_id]
    assert len(found) == 1, f"{len(found)} rows for {target_id}"
    return found[0]


# --------------------------------------------------------------------- small run


def test_evaluate_small_run(plan_run: xr.Dataset) -> None:
    targets = load_targets()
    rows = evaluate(plan_run, targets)
    years = set(plan_run["year"].values.tolist())
    region = plan_run.attrs["region_name"]
    expected = [
        t.id
        for t in targets
        if t.use in USES and t.model_variable and t.year in years and t.region == region
    ]
    assert [r["id"] for r in rows] == expected, (
        "one row per inverse/evaluated target with a model variable"
    )
    assert len(rows) >= 10
    n = plan_run.sizes["replicate"]
    by_id = {t.id: t for t in targets}
    for r in rows:
        t = by_id[r["id"]]
        assert r["goal"] == t.value and r["use"] == t.use and r["year"] == t.year
        assert r["replicates"] == n
        assert r["p5"] <= r["median"] <= r["p95"], r
        assert 0.0 <= r["attainment"] <= 1.0
        p = r["attainment"]
        assert r["attainment_se"] == pytest.approx(np.sqrt(p * (1 - p) / n), abs=1e-15)
        values = simulated(plan_run, t).values
        assert r["median"] == pytest.approx(float(np.median(values)), rel=1e-12)
        assert p == pytest.approx(
            float(np.mean(values >= t.value if t.comparison != "le" else values <= t.value))
        )
    mt = _row(rows, "zj_machine_tool_output_2025")
    direct = plan_run["output"].sel(sector="machine_tools", year=2025).values
    assert mt["median"] == pytest.approx(float(np.median(direct)), rel=1e-12)
    assert mt["p5"] == pytest.approx(float(np.quantile(direct, 0.05)), rel=1e-12)


def test_evaluate_uses_filter(plan_run: xr.Dataset) -> None:
    targets = load_targets()
    only_inverse = evaluate(plan_run, targets, uses=("inverse",))
    assert only_inverse and all(r["use"] == "inverse" for r in only_inverse)
    assert not any(
        t.use == "context"
        for t in targets
        if t.id in {r["id"] for r in evaluate(plan_run, targets)}
    )


# ------------------------------------------------------------------ hand-made data


def _hand_dataset(scenario) -> xr.Dataset:
    """Four replicates, years 2024-2027, every sector; machine tools and chains chosen by hand.

    Every sector's output is 1 bn yuan unless set below, so sums are easy to write.
    """
    sectors = [s.id for s in scenario.region.sector]
    shape = (N_REP, len(YEARS), len(sectors))
    output = np.ones(shape)
    si = {s: i for i, s in enumerate(sectors)}
    y = {yr: i for i, yr in enumerate(YEARS)}
    # Machine tools in 2025: 3 of 4 replicates at or above 120 (120 itself counts: 突破 read as ge).
    output[:, y[2025], si["machine_tools"]] = [119.9, 120.0, 130.0, 150.0]
    output[:, y[2027], si["machine_tools"]] = [149.0, 151.0, 149.0, 149.0]
    # Smart equipment: the sector alone misses 500 in every replicate; + 40% of machine tools
    # (the CNC share counted in the chain) reaches it in replicates 1-3:
    # 452 + 0.4 x [119.9, 120, 130, 150] = [499.96, 500, 504, 512].
    output[:, y[2025], si["smart_equipment"]] = 452.0
    # Modern textiles + 25% of petrochem: 600 + 0.25 x [1590, 1600, 1610, 1500].
    output[:, y[2025], si["petrochem_new_materials"]] = [1590.0, 1600.0, 1610.0, 1500.0]
    output[:, y[2025], si["modern_textiles"]] = 600.0  # chain: [997.5, 1000, 1002.5, 975]
    lg = np.zeros(shape)
    sc_ = np.zeros(shape)
    lg[:, y[2025], si["machine_tools"]] = [10.0, 20.0, 25.0, 30.0]
    sc_[:, y[2025], si["machine_tools"]] = [5.0, 10.0, 5.0, 0.0]  # sums [15, 30, 30, 30]
    lg[:, y[2024], si["machine_tools"]] = 100.0  # outside the window: must not count
    first_set = np.zeros(shape)
    first_set[:, :, si["machine_tools"]] = [
        [10.0, 20.0, 30.0, 99.0],  # 2024..2027 per replicate
        [20.0, 20.0, 20.0, 99.0],
        [0.0, 49.0, 1.0, 99.0],
        [0.0, 0.0, 0.0, 99.0],
    ]
    coords = {"replicate": np.arange(N_REP), "year": YEARS, "sector": sectors}
    dims = ("replicate", "year", "sector")
    ds = xr.Dataset(
        {
            "output": (dims, output),
            "n_little_giants_new": (dims, lg),
            "n_single_champions_new": (dims, sc_),
            "first_set_products_new": (dims, first_set),
        },
        coords=coords,
    )
    ds["output_total"] = ds["output"].sum("sector")
    ds["chain_output"] = chain_output(ds, scenario.region)
    ds.attrs["region"] = region_text(scenario.region)
    ds.attrs["region_name"] = scenario.region.name
    return ds


def test_hand_dataset_overlaps(scenario) -> None:
    parts = {pt.id: (pt.sector, pt.share) for pt in scenario.region.sector_part}
    assert parts == {
        "cnc_machine_tools": ("machine_tools", 0.4),
        "chemical_fibres": ("petrochem_new_materials", 0.25),
    }


def test_attainment_exact(scenario) -> None:
    ds = _hand_dataset(scenario)
    rows = evaluate(ds, load_targets())
    r = _row(rows, "zj_machine_tool_output_2025")
    assert r["attainment"] == 0.75
    assert r["attainment_se"] == pytest.approx(np.sqrt(0.75 * 0.25 / 4), rel=1e-12)
    assert r["median"] == pytest.approx(125.0)
    assert r["p5"] == pytest.approx(119.9 + 0.15 * 0.1)  # linear interpolation at 0.05 x 3
    assert r["p95"] == pytest.approx(130.0 + 0.85 * 20.0)
    assert (r["goal"], r["comparison"], r["replicates"]) == (120.0, "ge", 4)
    r27 = _row(rows, "zj_machine_tool_output_2027")
    assert r27["attainment"] == 0.25


def test_attainment_all_or_nothing_has_zero_se(scenario) -> None:
    ds = _hand_dataset(scenario)
    rows = evaluate(ds, [_target(id="low", value=1.0), _target(id="high", value=1e6)])
    assert [(r["attainment"], r["attainment_se"]) for r in rows] == [(1.0, 0.0), (0.0, 0.0)]


def test_le_target(scenario) -> None:
    ds = _hand_dataset(scenario)
    (r,) = evaluate(ds, [_target(comparison="le", value=120.0)])
    assert r["attainment"] == 0.5  # 119.9 and 120.0


def test_summed_variables_in_a_cumulative_window(scenario) -> None:
    """Little giants + single champions new in 2025 (window 2025-2025): [15, 30, 30, 30] vs 30."""
    ds = _hand_dataset(scenario)
    r = _row(evaluate(ds, load_targets()), "zj_machine_tool_new_champions_little_giants_2025")
    assert r["attainment"] == 0.75
    assert r["median"] == 30.0


@pytest.mark.parametrize(
    ("cumulative_from", "year", "values"),
    [
        (2025, 2025, [20.0, 20.0, 49.0, 0.0]),  # the shipped target: recognitions in 2025
        (2024, 2025, [30.0, 40.0, 49.0, 0.0]),
        (2024, 2026, [60.0, 60.0, 50.0, 0.0]),
        (2025, 2026, [50.0, 40.0, 50.0, 0.0]),
        (0, 2026, [30.0, 20.0, 1.0, 0.0]),  # not cumulative: the year alone
    ],
)
def test_cumulative_targets_sum_years_from_cumulative_from(
    scenario, cumulative_from, year, values
) -> None:
    ds = _hand_dataset(scenario)
    shipped = next(t for t in load_targets() if t.id == "zj_machine_tool_first_set_new_2025")
    t = dataclasses.replace(shipped, cumulative_from=cumulative_from, year=year)
    np.testing.assert_allclose(simulated(ds, t).values, values)
    (r,) = evaluate(ds, [t])
    assert r["attainment"] == float(np.mean(np.array(values) >= 50.0))
    assert r["median"] == float(np.median(values))


def test_smart_equipment_chain_adds_cnc_machine_tools(scenario) -> None:
    ds = _hand_dataset(scenario)
    r = _row(evaluate(ds, load_targets()), "zj_smart_equipment_output_2025")
    # 452 + 0.4 x [119.9, 120, 130, 150] = [499.96, 500, 504, 512] against >= 500.
    assert r["attainment"] == 0.75
    assert r["median"] == pytest.approx(502.0)
    chain = ds["chain_output"].sel(chain="smart_equipment", year=2025).values
    np.testing.assert_allclose(chain, [499.96, 500.0, 504.0, 512.0])


def test_textile_chain_adds_fibre_share_of_petrochem(scenario) -> None:
    ds = _hand_dataset(scenario)
    rows = evaluate(ds, load_targets())
    r = _row(rows, "zj_modern_textiles_output_2025")
    # 600 + 0.25 x [1590, 1600, 1610, 1500] = [997.5, 1000, 1002.5, 975] against 1000.
    assert r["attainment"] == 0.5
    assert r["median"] == pytest.approx(998.75)
    # Petrochem's own chain is the sector, unchanged: [1590, 1600, 1610, 1500] vs 1800.
    p = _row(rows, "zj_petrochem_new_materials_output_2025")
    assert p["attainment"] == 0.0 and p["median"] == pytest.approx(1595.0)


def test_other_chains_are_their_sector(scenario) -> None:
    ds = _hand_dataset(scenario)
    whole = [c for c in scenario.region.chain if not c.parts]
    assert len(whole) == 8
    for chain in whole:
        (sector,) = chain.sectors
        xr.testing.assert_equal(
            ds["chain_output"].sel(chain=chain.id, drop=True),
            ds["output"].sel(sector=sector, drop=True).drop_vars("chain_name_zh", errors="ignore"),
        )


def test_ten_chains_total_counts_nothing_twice(scenario) -> None:
    """Ten chains' disjoint sectors + the CNC share of machine tools (fibres are in petrochem)."""
    ds = _hand_dataset(scenario)
    rows = evaluate(ds, load_targets())
    r = _row(rows, "zj_ten_chains_output_2025")
    mt = np.array([119.9, 120.0, 130.0, 150.0])
    petro = np.array([1590.0, 1600.0, 1610.0, 1500.0])
    others = 10 - 3  # chains left at 1 bn: all but smart equipment, petrochem and textiles
    total = others * 1.0 + 452.0 + petro + 600.0 + 0.4 * mt
    assert r["median"] == pytest.approx(float(np.median(total)))
    assert r["attainment"] == 0.0  # about 2.6 trn against 6 trn
    share = _row(rows, "zj_ten_chains_output_share_2025")
    all_sectors = ds["output"].sel(year=2025).sum("sector").values
    assert share["median"] == pytest.approx(float(np.median(total / all_sectors)), rel=1e-12)


def test_targets_without_model_variable_or_year_are_skipped(scenario) -> None:
    ds = _hand_dataset(scenario)
    ts = [
        _target(id="no_var", model_variable=""),
        _target(id="late", year=2030),
        _target(id="context", use="context"),
        _target(id="kept"),
    ]
    assert [r["id"] for r in evaluate(ds, ts)] == ["kept"]
