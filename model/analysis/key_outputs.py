"""The key outputs of a run: the few numbers sensitivity, Shapley and summaries reduce it to.

Every region has the all-sector totals of :data:`COMMON`; the region file adds its own
(``[[key_output]]``: a variable of one sector or of all, in one year or summed over the
years), e.g. machine-tool output in the years of the plan's targets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import xarray as xr

from model.analysis.stats import labelled
from model.config.params import KeyOutput, Region
from model.outputs.catalogue import across_sectors, variable
from model.outputs.dataset import region_of

__all__ = ["COMMON", "KeyOutputDef", "key_output_table", "key_outputs"]


@dataclass(frozen=True)
class KeyOutputDef:
    """A key output: its units, what it measures, and how a dataset gives it per replicate."""

    units: str
    long_name: str
    compute: Callable[[xr.Dataset], xr.DataArray]


#: Key outputs of every region: all-sector totals summed over the simulated years.
COMMON: dict[str, KeyOutputDef] = {
    "value_added": KeyOutputDef(
        "bn yuan (2023 prices)",
        "value added of all sectors at base-year prices, summed over the years",
        lambda ds: ds["value_added_real_total"].sum("year"),
    ),
    "rd_expenditure": KeyOutputDef(
        "bn yuan",
        "reported R&D of all sectors, summed over the years",
        lambda ds: ds["rd_expenditure_total"].sum("year"),
    ),
    "public_cost": KeyOutputDef(
        "bn yuan",
        "public cost of all payers, summed over the years",
        lambda ds: ds["public_cost"].sum(["payer", "year"]),
    ),
}


def _of_region(k: KeyOutput) -> KeyOutputDef:
    def compute(ds: xr.Dataset) -> xr.DataArray:
        da = ds[k.variable].sel(sector=k.sector) if k.sector else across_sectors(ds, k.variable)
        return da.sel(year=k.year) if k.year else da.sum("year")

    return KeyOutputDef(variable(k.variable).units, k.long_name, compute)


def key_output_table(region: Region) -> dict[str, KeyOutputDef]:
    """The key outputs of a region: its own (region file order) and then :data:`COMMON`."""
    return {k.id: _of_region(k) for k in region.key_output} | COMMON


def key_outputs(ds: xr.Dataset, names: Sequence[str] | None = None) -> xr.Dataset:
    """The key outputs per replicate and point; those a run lacks (a later year) are left out."""
    table = key_output_table(region_of(ds))
    out = {}
    for name in names or table:
        k = table[name]
        try:
            da = k.compute(ds)
        except KeyError:
            continue
        da = da.drop_vars([c for c in da.coords if c not in da.dims], errors="ignore")
        out[name] = labelled(da.astype(float), k.units, k.long_name)
    return xr.Dataset(out)
