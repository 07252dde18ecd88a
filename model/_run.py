"""Running a scenario's replicates and assembling the labelled result."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import subprocess
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np
import xarray as xr

from model._config import apply_overrides, build, to_dict
from model._model import INSTRUMENT_VARIABLES, SECTOR_VARIABLES, SEGMENT_VARIABLES, RegionModel
from model._scenario import load_scenario, scenario_text
from model.instruments import CompactSlots
from model.params import PAYERS, SEGMENTS, Scenario

#: The ten chains of seed 004 and how each is assembled from the model's disjoint sectors.
CHAINS: tuple[str, ...] = (
    "digital_security",
    "integrated_circuits",
    "network_communications",
    "smart_computing",
    "biomedicine",
    "petrochem_new_materials",
    "nev",
    "smart_equipment",
    "smart_home",
    "modern_textiles",
)

#: Most replicates simulated together in one batch (one array): memory grows with it.
MAX_BATCH = 8


def default_batch_size(replicates: int, workers: int) -> int:
    """Batches that keep every worker busy to the end, at most MAX_BATCH replicates each."""
    rounds = 1
    while -(-replicates // (workers * rounds)) > MAX_BATCH:
        rounds += 1
    return max(1, -(-replicates // (workers * rounds)))


INSTRUMENTS: tuple[str, ...] = ("rd_bonus", "first_set", "renewal_loans")


@lru_cache(maxsize=1)
def code_version() -> str:
    """Package version plus the git commit of the source tree, if there is one."""
    from model import __version__

    here = Path(__file__).resolve().parent

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(here), *args], capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
        return f"{__version__}+g{commit}{'.dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return __version__


def resolve(
    scenario: Scenario | str | os.PathLike[str],
    *,
    seed: int | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Scenario:
    """A scenario object from a path or object, with overrides and seed applied."""
    if isinstance(scenario, Scenario):
        if overrides:
            data = to_dict(scenario)
            apply_overrides(data, dict(overrides))
            scenario = build(Scenario, data, origin="override")
    else:
        scenario = load_scenario(scenario, overrides)
    if seed is not None:
        scenario = dataclasses.replace(scenario, seed=int(seed))
    return scenario


def without_instruments(scenario: Scenario) -> Scenario:
    """The scenario's no-policy counterfactual: every instrument switched off."""
    ins = scenario.instruments
    return dataclasses.replace(
        scenario,
        name=f"{scenario.name} (no policy)",
        instruments=dataclasses.replace(
            ins,
            rd_bonus=dataclasses.replace(ins.rd_bonus, enabled=False),
            first_set=dataclasses.replace(ins.first_set, enabled=False),
            renewal_loans=dataclasses.replace(ins.renewal_loans, enabled=False),
        ),
    )


#: Instrument parameters a switched-off instrument still reads (so no-policy twins that
#: differ in them differ). Everything else of a switched-off instrument is inert: the
#: renewal loans classify over-aged cohorts by the eligible age whether on or off, and
#: the first-set activity measure (for deadweight) reads its insured years and value cap.
READ_WHEN_OFF: dict[str, tuple[str, ...]] = {
    "rd_bonus": (),
    "first_set": ("national_years", "insured_value_cap_m_yuan"),
    "renewal_loans": ("eligible_age_years",),
}


def counterfactual_key(scenario: Scenario) -> tuple:
    """What the no-policy counterfactual of ``scenario`` depends on.

    Scenarios with equal keys have identical no-policy twins, so a batch runs each
    counterfactual once, however many policy points share it.
    """
    off = without_instruments(scenario)
    kept = tuple(
        (name, tuple(getattr(getattr(off.instruments, name), field) for field in fields))
        for name, fields in READ_WHEN_OFF.items()
    )
    return dataclasses.replace(off, name="", description="", instruments=None), kept


def simulate_points_batch(
    scenarios: Sequence[Scenario], replicates: Sequence[int]
) -> list[dict[str, np.ndarray]]:
    """Run one batch of replicates under several scenarios that share a spin-up.

    The batch spins up once; each scenario continues from a fork of it (see
    ``RegionModel.fork``): the same firms and random numbers, so differences between the
    scenarios are common-random-number differences, and each result equals what a run of
    that scenario alone gives. The scenarios must have equal ``spinup_key``. Scenarios
    whose no-policy counterfactuals are the same (``counterfactual_key``) share one.

    Returns:
        The recorded arrays of each scenario (replicate first), in order.
    """
    base = RegionModel(scenarios[0], replicates)
    base.spin_up()
    twins: list[tuple[tuple, list[dict[str, np.ndarray]]]] = []
    out = []
    finished = None
    for i, scenario in enumerate(scenarios):
        ins = scenario.instruments
        any_on = ins.rd_bonus.enabled or ins.first_set.enabled or ins.renewal_loans.enabled
        without = _counterfactual_activity(base, scenario, twins) if any_on else None
        last = i == len(scenarios) - 1
        arrays, finished = _continue(base, scenario, replicates, without, finished, last=last)
        out.append(arrays)
    return out


def _counterfactual_activity(
    base: RegionModel, scenario: Scenario, twins: list
) -> list[dict[str, CompactSlots]]:
    """Each year's instrument activity of every firm in the no-policy twin of ``scenario``."""
    key = counterfactual_key(scenario)
    for known, activity in twins:
        if known == key:
            return activity
    twin = base.fork(without_instruments(scenario))
    twin.recorder.keep_activity = True
    activity = []
    for _ in scenario.years:
        twin.step()
        activity.append(twin.recorder.activity)
    twins.append((key, activity))
    return activity


def _simulate_batch(scenario: Scenario, replicates: Sequence[int]) -> dict[str, np.ndarray]:
    """Run one batch of replicates; return their recorded arrays (replicate first)."""
    return simulate_points_batch([scenario], replicates)[0]


def _continue(
    base: RegionModel,
    scenario: Scenario,
    replicates: Sequence[int],
    without: list[dict[str, CompactSlots]] | None,
    finished: RegionModel | None = None,
    *,
    last: bool = False,
) -> tuple[dict[str, np.ndarray], RegionModel]:
    """Simulate a scenario's years from a fork of a spun-up model and collect its arrays.

    The fork takes over the memory of ``finished``, the previous scenario's fork, if given,
    or, when ``last`` (the spun-up model's last use), the spun-up model's engine itself.
    Returns the arrays and the fork, for the next scenario to take over in turn (the
    arrays are copies: none shares the fork's memory).

    When any instrument is on, ``without`` holds each year's activity of every firm in the
    no-policy twin forked from the same spin-up, with the same random numbers: every firm's
    subsidy is compared with what the same firm did without the policy. Deadweight is the
    part of the subsidy that paid for behaviour the firm shows anyway: subsidy x min(1,
    activity without / activity with) (``model._model.deadweight_bn_yuan``, measured by the
    recorder in the year, so no per-firm array outlives it).
    """
    model = base.fork(scenario, recycle=None if last else finished, last=last)
    model.recorder.adopt_spinup(base.recorder)
    if without is not None:
        model.recorder.compare_with(without)
    deadweight, leakage = [], []
    for _ in scenario.years:
        model.step()
        row = np.zeros((len(replicates), len(INSTRUMENTS)))
        if without is not None:
            for k, name in enumerate(INSTRUMENTS):
                row[:, k] = model.recorder.deadweight[name]
        deadweight.append(row)
        leakage.append(np.stack([model.recorder.leakage[name] for name in INSTRUMENTS], axis=1))
    rec = model.recorder
    out: dict[str, np.ndarray] = {}
    for name, series in rec.sector.items():
        out[name] = np.stack(series, axis=1)  # (R, Y, S)
    for name, series in rec.scalar.items():
        out[name] = np.stack(series, axis=1)  # (R, Y)
    out["cluster_output"] = np.stack(rec.cluster_output, axis=1)
    out["spinup_replacement_rate"] = np.stack(rec.spinup_replacement, axis=1)
    for name, arr in rec.instrument_arrays().items():
        out[name] = arr
    for name, series in rec.totals.items():
        out[name] = np.stack(series, axis=1)
    for name, series in rec.segment.items():
        out[name] = np.stack(series, axis=1)
    out["deadweight"] = np.stack(deadweight, axis=1)
    out["leakage"] = np.stack(leakage, axis=1)
    out["_years"] = np.asarray(rec.years)
    out["_spinup_years"] = np.asarray(rec.spinup_years)
    return out, model


def _batches(n: int, size: int) -> list[list[int]]:
    return [list(range(i, min(i + size, n))) for i in range(0, n, size)]


def simulate_arrays(
    scenario: Scenario, replicates: int, *, workers: int = 1, batch_size: int | None = None
) -> dict[str, np.ndarray]:
    """Run replicates 0..n-1 in batches, serially or on local processes, in replicate order.

    Each replicate draws from its own streams, so the result does not depend on the batch
    size, the number of workers or the order in which batches finish.
    """
    if batch_size is None:
        batch_size = default_batch_size(replicates, workers)
    batches = _batches(replicates, max(1, batch_size))
    if workers <= 1 or len(batches) == 1:
        parts = [_simulate_batch(scenario, b) for b in batches]
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            parts = list(pool.map(_simulate_batch, [scenario] * len(batches), batches))
    out = {}
    for key in parts[0]:
        if key.startswith("_"):
            out[key] = parts[0][key]
        else:
            out[key] = np.concatenate([p[key] for p in parts], axis=0)
    return out


def to_dataset(scenario: Scenario, arrays: dict[str, np.ndarray]) -> xr.Dataset:
    """Label the recorded arrays: dims, coordinates, units and long names."""
    region = scenario.region
    n_rep = arrays["output"].shape[0]
    years = arrays["_years"]
    sectors = [s.id for s in region.sector]
    # Clusters in slot order (by sector), the order the recorder sums them in.
    by_id = {c.id: c for c in region.cluster}
    clusters = [by_id[c] for s in sectors for c in by_id if by_id[c].sector == s]
    coords = {
        "replicate": ("replicate", np.arange(n_rep), {"long_name": "Monte Carlo replicate"}),
        "year": ("year", years, {"long_name": "calendar year", "units": "year"}),
        "sector": (
            "sector",
            sectors,
            {"long_name": "sector (disjoint; see region double_counting)"},
        ),
        "sector_name_zh": (
            "sector",
            [s.name_zh for s in region.sector],
            {"long_name": "sector name"},
        ),
        "cluster": ("cluster", [c.id for c in clusters], {"long_name": "cluster"}),
        "cluster_sector": (
            "cluster",
            [c.sector for c in clusters],
            {"long_name": "sector of cluster"},
        ),
        "cluster_cnc_zone": (
            "cluster",
            [c.cnc_zone for c in clusters],
            {"long_name": "provincial CNC cluster zone"},
        ),
        "instrument": ("instrument", list(INSTRUMENTS), {"long_name": "policy instrument"}),
        "payer": ("payer", list(PAYERS), {"long_name": "level of government paying"}),
        "spinup_year": (
            "spinup_year",
            arrays["_spinup_years"],
            {"long_name": "spin-up year", "units": "year"},
        ),
        "segment": ("segment", list(SEGMENTS), {"long_name": "machine-tool market segment"}),
        "chain": (
            "chain",
            list(CHAINS),
            {"long_name": "flagship chain of seed 004 (overlaps added back)"},
        ),
    }
    data_vars = {}
    for name, (units, long_name) in SECTOR_VARIABLES.items():
        data_vars[name] = (
            ("replicate", "year", "sector"),
            arrays[name],
            {"units": units, "long_name": long_name},
        )
    for name, (units, long_name) in SEGMENT_VARIABLES.items():
        data_vars[name] = (
            ("replicate", "year", "segment"),
            arrays[name],
            {"units": units, "long_name": long_name},
        )
    for name, (units, long_name) in TOTAL_VARIABLES.items():
        data_vars[name] = (
            ("replicate", "year"),
            arrays[name],
            {"units": units, "long_name": long_name},
        )
    data_vars["outside_machine_demand"] = (
        ("replicate", "year"),
        arrays["outside_machine_demand"],
        {"units": "bn yuan", "long_name": "machine-tool demand from outside Zhejiang"},
    )
    data_vars["relending_cost"] = (
        ("replicate", "year"),
        arrays["relending_cost"],
        {"units": "bn yuan", "long_name": "interest relief from re-lending (central bank)"},
    )
    data_vars["cluster_output"] = (
        ("replicate", "year", "cluster"),
        arrays["cluster_output"],
        {"units": "bn yuan", "long_name": "gross output of the cluster"},
    )
    data_vars["spinup_replacement_rate"] = (
        ("replicate", "spinup_year", "sector"),
        arrays["spinup_replacement_rate"],
        {"units": "1/yr", "long_name": "capacity replaced / capacity during the spin-up"},
    )
    for name, (units, long_name) in INSTRUMENT_VARIABLES.items():
        data_vars[name] = (
            ("replicate", "year", "instrument"),
            arrays[name],
            {"units": units, "long_name": long_name},
        )
    data_vars["deadweight"] = (
        ("replicate", "year", "instrument"),
        arrays["deadweight"],
        {
            "units": "bn yuan",
            "long_name": "subsidy paid for behaviour the same firm shows without the "
            "policy (no-policy twin, same random numbers); renewal loans: on the year's "
            "commitments",
        },
    )
    data_vars["leakage"] = (
        ("replicate", "year", "instrument"),
        arrays["leakage"],
        {
            "units": "bn yuan",
            "long_name": "machine-tool purchases from outside Zhejiang by the firms the "
            "instrument paid",
        },
    )
    data_vars["subsidy_by_payer"] = (
        ("replicate", "year", "instrument", "payer"),
        arrays["subsidy_by_payer"],
        {"units": "bn yuan", "long_name": "subsidy paid by instrument and payer"},
    )
    ds = xr.Dataset(data_vars, coords=coords)
    ds["chain_output"] = chain_output(ds, scenario)
    ds["public_cost"] = public_cost(ds)
    ds.attrs = {
        "title": f"Regional industrial-economy ABM: scenario {scenario.name}",
        "scenario_name": scenario.name,
        "scenario_description": scenario.description,
        "scenario": scenario_text(scenario),
        "code_version": code_version(),
        "seed": int(scenario.seed),
        "replicates": int(n_rep),
        "base_year": int(region.base_year.year),
        "money": "nominal yuan unless a variable's units say otherwise",
        "cnc_share_in_smart_equipment": float(
            region.chain_overlap.machine_tools_cnc_share_in_smart_equipment
        ),
    }
    return ds


TOTAL_VARIABLES: dict[str, tuple[str, str]] = {
    "output_total": ("bn yuan", "gross output of all sectors, summed over firms"),
    "value_added_total": ("bn yuan", "value added of all sectors, summed over firms"),
    "employment_total": ("thousand people", "employment of all sectors, summed over firms"),
    "rd_expenditure_total": ("bn yuan", "reported R&D of all sectors, summed over firms"),
    "investment_total": ("bn yuan", "equipment investment of all sectors, summed over firms"),
}


def chain_output(ds: xr.Dataset, scenario: Scenario) -> xr.DataArray:
    """Output of each flagship chain as seed 004 defines it (overlaps added back)."""
    overlap = scenario.region.chain_overlap
    out = ds["output"]
    rows = []
    for chain in CHAINS:
        value = out.sel(sector=chain)
        if chain == "smart_equipment":
            value = value + overlap.machine_tools_cnc_share_in_smart_equipment * out.sel(
                sector="machine_tools"
            )
        if chain == "modern_textiles":
            value = value + overlap.fibre_share_of_petrochem * out.sel(
                sector="petrochem_new_materials"
            )
        rows.append(value.drop_vars(["sector", "sector_name_zh"], errors="ignore"))
    result = (
        xr.concat(rows, dim="chain")
        .assign_coords(chain=list(CHAINS))
        .transpose("replicate", "year", "chain")
    )
    result.attrs = {
        "units": "bn yuan",
        "long_name": "output of the flagship chain as seed 004 defines it",
    }
    return result


def public_cost(ds: xr.Dataset) -> xr.DataArray:
    """Net public cost by payer: subsidies paid plus tax expenditures (central), re-lending."""
    cost = ds["subsidy_by_payer"].sum("instrument")
    tax_exp = (ds["tax_expenditure_super_deduction"] + ds["tax_expenditure_high_tech"]).sum(
        "sector"
    )
    central = cost.sel(payer="central") + tax_exp + ds["relending_cost"]
    cost = cost.copy()
    cost.loc[{"payer": "central"}] = central
    cost.attrs = {
        "units": "bn yuan",
        "long_name": "public cost by payer: instrument subsidies, tax expenditures and "
        "re-lending relief (central)",
    }
    return cost


def run(
    scenario: Scenario | str | os.PathLike[str],
    replicates: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    overrides: Mapping[str, object] | None = None,
    *,
    batch_size: int | None = None,
) -> xr.Dataset:
    """Run a scenario's Monte Carlo replicates and return the labelled result.

    Args:
        scenario: A scenario file path or a loaded scenario.
        replicates: Number of replicates (default: the scenario's).
        seed: Root seed (default: the scenario's).
        workers: Local processes; results are identical for any number.
        overrides: Dotted parameter paths and values, e.g.
            ``{"instruments.rd_bonus.reward_rate": 0.2}``.
        batch_size: Replicates simulated together in one array (default: enough to keep
            every worker busy, at most MAX_BATCH); results do not depend on it.

    Returns:
        Dataset with dims ``replicate``, ``year``, ``sector`` (and ``cluster``,
        ``instrument``, ``payer``, ``chain``); every variable has ``units`` and ``long_name``.
    """
    sc = resolve(scenario, seed=seed, overrides=overrides)
    n = int(replicates if replicates is not None else sc.replicates)
    if n < 1:
        raise ValueError("replicates must be at least 1")
    arrays = simulate_arrays(sc, n, workers=workers, batch_size=batch_size)
    return to_dataset(sc, arrays)


FIRM_VARIABLES: dict[str, tuple[str, str]] = {
    "alive": ("1", "firm slot occupied (live firm)"),
    "revenue": ("m yuan", "revenue"),
    "rd_intensity": ("1", "reported R&D / revenue"),
    "productivity": ("1", "productivity (machine-tool firms: their model's embodied productivity)"),
    "mean_machine_age": ("years", "capacity-weighted mean machine age"),
    "above_scale": ("1", "revenue >= 20 m yuan"),
    "specialised_new": ("1", "holds the specialised-new title"),
    "little_giant": ("1", "holds the little-giant title"),
    "single_champion": ("1", "holds the single-champion title"),
    "high_tech": ("1", "high-tech enterprise (15% CIT)"),
    "first_set_model": ("1", "current model is a first-set product"),
    "subsidy_received": ("m yuan", "subsidies received"),
}


def firm_panel(
    scenario: Scenario | str | os.PathLike[str],
    replicate: int = 0,
    seed: int | None = None,
    overrides: Mapping[str, object] | None = None,
) -> xr.Dataset:
    """The firm x year panel of one replicate (identical to that replicate in ``run``).

    A firm is a slot: when a firm exits and another enters the slot later, ``alive`` shows
    the gap and the entrant is the slot's next occupant.
    """
    sc = resolve(scenario, seed=seed, overrides=overrides)
    model = RegionModel(sc, [replicate], record_firms=True)
    model.run_years()
    rec, lay = model.recorder, model.layout
    sectors = np.array([s.id for s in sc.region.sector])
    clusters = np.array(lay.cluster_ids)
    coords = {
        "firm": ("firm", np.arange(lay.n_slots), {"long_name": "firm slot id"}),
        "year": ("year", np.asarray(rec.years), {"units": "year", "long_name": "calendar year"}),
        "sector": ("firm", sectors[lay.sector_of], {"long_name": "sector"}),
        "cluster": ("firm", clusters[lay.cluster_of], {"long_name": "cluster"}),
        "soe": ("firm", lay.soe, {"long_name": "state-owned enterprise"}),
    }
    data_vars = {}
    for name, (units, long_name) in FIRM_VARIABLES.items():
        arr = np.stack(rec.firms[name], axis=1)  # (firm, year)
        if name == "revenue":
            arr = arr.astype(float)
        data_vars[name] = (("firm", "year"), arr, {"units": units, "long_name": long_name})
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs = {
        "title": f"Firm panel, replicate {replicate}, scenario {sc.name}",
        "scenario_name": sc.name,
        "scenario": scenario_text(sc),
        "code_version": code_version(),
        "seed": int(sc.seed),
        "replicate": int(replicate),
    }
    return ds


def write_netcdf(ds: xr.Dataset, path: str | os.PathLike[str]) -> Path:
    """Write a dataset atomically: to a temporary file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        ds.to_netcdf(tmp, engine="h5netcdf")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
