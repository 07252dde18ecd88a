"""Labelling the recorded arrays: the run's :class:`xarray.Dataset` with dims, units and names."""

from __future__ import annotations

import numpy as np
import xarray as xr

from model.config.params import PAYERS, SEGMENTS, Scenario
from model.config.scenario import scenario_text
from model.outputs.catalogue import (
    INSTRUMENT_VARIABLES,
    SECTOR_VARIABLES,
    SEGMENT_VARIABLES,
    TOTAL_VARIABLES,
)
from model.outputs.files import code_version

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


INSTRUMENTS: tuple[str, ...] = ("rd_bonus", "first_set", "renewal_loans")


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
