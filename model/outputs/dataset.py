"""Labelling the recorded arrays: the run's :class:`xarray.Dataset` with dims, units and names.

The variables, their dims, units and long names come from the catalogue
(:mod:`model.outputs.catalogue`); the coordinates from the region (sectors, clusters,
segments, chains) and the instrument registry. The region itself, as resolved, is kept in the
``region`` attribute so that views of the dataset (chains, aggregates, key outputs) need
nothing else.
"""

from __future__ import annotations

import functools
import tomllib

import numpy as np
import xarray as xr

from model.config.params import PAYERS, Region, Scenario
from model.config.scenario import scenario_text
from model.config.schema import build
from model.config.toml import dumps_toml, to_dict
from model.outputs.catalogue import (
    MACHINE_AGE_BANDS,
    REVENUE_THRESHOLDS_M_YUAN,
    VARIABLES,
    Variable,
)
from model.outputs.files import code_version
from model.policy.registry import names as instrument_names

__all__ = [
    "chain_output",
    "machine_tool_sector",
    "public_cost",
    "region_of",
    "region_text",
    "sector_group_output",
    "tax_expenditure_by_payer",
    "to_dataset",
]


def region_text(region: Region) -> str:
    """The resolved region as TOML (the ``region`` attribute of every dataset)."""
    return dumps_toml(to_dict(region))


@functools.lru_cache(maxsize=8)
def _region_from_text(text: str) -> Region:
    return build(Region, tomllib.loads(text), origin="dataset attribute 'region'")


def region_of(ds: xr.Dataset) -> Region:
    """The region a run or sweep dataset was simulated for (from its ``region`` attribute).

    Raises:
        KeyError: The dataset has no ``region`` attribute (not a run or sweep of this model).
    """
    return _region_from_text(ds.attrs["region"])


def machine_tool_sector(region: Region) -> str:
    """The id of the region's machine-tool sector (the one of kind ``machine_tools``)."""
    return region.sector[region.machine_tool_sector].id


def _coords(scenario: Scenario, n_rep: int, years: np.ndarray, spinup_years: np.ndarray) -> dict:
    region = scenario.region
    sectors = [s.id for s in region.sector]
    # Clusters in slot order (by sector), the order the recorder sums them in.
    by_id = {c.id: c for c in region.cluster}
    clusters = [by_id[c] for s in sectors for c in by_id if by_id[c].sector == s]
    return {
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
            {"long_name": "CNC machine-tool cluster zone of the plan"},
        ),
        "cluster_tier": (
            "cluster",
            [c.tier for c in clusters],
            {
                "long_name": "tier of the cluster programme (none, provincial, national, "
                "world_class)"
            },
        ),
        "instrument": ("instrument", list(instrument_names()), {"long_name": "policy instrument"}),
        "payer": ("payer", list(PAYERS), {"long_name": "level of government paying"}),
        "spinup_year": (
            "spinup_year",
            spinup_years,
            {"long_name": "spin-up year", "units": "year"},
        ),
        "segment": (
            "segment",
            list(region.machine_tools.segments),
            {"long_name": "machine-tool market segment"},
        ),
        "chain": (
            "chain",
            [c.id for c in region.chain],
            {"long_name": "industrial chain (the region file assembles it from sectors)"},
        ),
        "chain_name_zh": ("chain", [c.name_zh for c in region.chain], {"long_name": "chain name"}),
        "revenue_threshold": (
            "revenue_threshold",
            np.array(REVENUE_THRESHOLDS_M_YUAN),
            {"long_name": "firm revenue threshold", "units": "m yuan"},
        ),
        "machine_age": (
            "machine_age",
            list(MACHINE_AGE_BANDS),
            {"long_name": "machine age band", "units": "years"},
        ),
    }


def _attrs(v: Variable) -> dict[str, str]:
    return {"units": v.units, "long_name": v.long_name}


def to_dataset(scenario: Scenario, arrays: dict[str, np.ndarray]) -> xr.Dataset:
    """Label the recorded arrays: every catalogue variable with its dims, units and long name."""
    region = scenario.region
    n_rep = arrays["output"].shape[0]
    coords = _coords(scenario, n_rep, arrays["_years"], arrays["_spinup_years"])
    data_vars = {
        v.name: (v.dims, arrays[v.name], _attrs(v)) for v in VARIABLES if v.source != "derived"
    }
    ds = xr.Dataset(data_vars, coords=coords)
    chains = chain_output(ds, region)
    # Deflated as the sector's real output is: by its output deflator, output / output_real
    # (machine tools' price index is that deflator; the user sectors' share-weighted mean
    # price is within about 0.1% of theirs).
    real = xr.where(ds["output"] > 0, ds["value_added"] * ds["output_real"] / ds["output"], 0.0)
    derived = {
        "machine_tool_sales_rest_of_country": ds["national_market_share"]
        * ds["national_machine_demand"],
        "machine_tool_sales_abroad": ds["export_market_share"] * ds["export_machine_demand"],
        "value_added_real": real,
        "value_added_real_total": real.sum("sector"),
        "chain_output": chains,
        "chain_tier": tier_reached(chains, region),
        "cluster_tier_reached": tier_reached(ds["cluster_output"], region),
        "tax_expenditure_by_payer": tax_expenditure_by_payer(ds, region),
        "public_cost": public_cost(ds, region),
    }
    for v in VARIABLES:
        if v.source == "derived":
            ds[v.name] = derived[v.name].transpose(*v.dims).assign_attrs(_attrs(v))
    ds.attrs = {
        "title": f"Regional industrial-economy ABM: scenario {scenario.name}",
        "scenario_name": scenario.name,
        "scenario_description": scenario.description,
        "scenario": scenario_text(scenario),
        "region": region_text(region),
        "region_name": region.name,
        "code_version": code_version(),
        "calibration": scenario.calibration or "none (uncalibrated values)",
        "seed": int(scenario.seed),
        "replicates": int(n_rep),
        "base_year": int(region.base_year.year),
        "money": "nominal yuan unless a variable's units say otherwise",
    }
    return ds


def sector_group_output(
    output: xr.DataArray, region: Region, sectors: tuple[str, ...], parts: tuple[str, ...]
) -> xr.DataArray:
    """Output of a group of whole sectors plus parts of other sectors (a chain, an aggregate)."""
    share = {pt.id: pt for pt in region.sector_part}
    value = output.sel(sector=sectors[0])
    for s in sectors[1:]:
        value = value + output.sel(sector=s)
    for part in parts:
        value = value + share[part].share * output.sel(sector=share[part].sector)
    return value.drop_vars(["sector", "sector_name_zh"], errors="ignore")


def chain_output(ds: xr.Dataset, region: Region) -> xr.DataArray:
    """Output of each industrial chain of the region file (its sectors plus its parts of others)."""
    rows = [sector_group_output(ds["output"], region, c.sectors, c.parts) for c in region.chain]
    ids = [c.id for c in region.chain]
    if not rows:
        empty = ds["output"].isel(sector=slice(0, 0)).rename(sector="chain")
        return empty.drop_vars(["chain", "sector_name_zh"], errors="ignore").assign_coords(
            chain=ids
        )
    return xr.concat(rows, dim="chain").assign_coords(chain=ids)


def tier_reached(output: xr.DataArray, region: Region) -> xr.DataArray:
    """How many of the region's cluster-programme rungs an output reaches (0: none)."""
    level = xr.zeros_like(output, dtype=np.int64)
    for tier in region.cluster_tier:
        level = level + (output >= tier.min_output_bn_yuan).astype(np.int64)
    return level.assign_attrs(tiers=", ".join(t.name for t in region.cluster_tier))


def tax_expenditure_by_payer(ds: xr.Dataset, region: Region) -> xr.DataArray:
    """Tax expenditures by who forgoes them, by the region's tax-sharing rules.

    Corporate income tax forgone (the R&D super-deductions, the high-tech rate) is shared as
    CIT, the machine-tool list's VAT credit as VAT (``Region.tax_sharing``).
    """
    cit = (ds["tax_expenditure_super_deduction"] + ds["tax_expenditure_high_tech"]).sum("sector")
    vat = ds["tax_expenditure_vat_credit"].sum("sector")
    sharing = region.tax_sharing
    payers = list(ds["payer"].values)
    rows = [
        cit * sharing.shares("cit")[payer] + vat * sharing.shares("vat")[payer] for payer in payers
    ]
    return xr.concat(rows, dim="payer").assign_coords(payer=payers).transpose(..., "payer")


def public_cost(ds: xr.Dataset, region: Region) -> xr.DataArray:
    """Net public cost by payer: subsidies paid, tax expenditures as shared, re-lending."""
    cost = ds["subsidy_by_payer"].sum("instrument") + tax_expenditure_by_payer(ds, region)
    cost = cost.copy()
    # The central bank's re-lending relief is the centre's.
    cost.loc[{"payer": "central"}] = cost.sel(payer="central") + ds["relending_cost"]
    return cost
