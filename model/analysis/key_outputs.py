"""The key outputs of a run: the few numbers sensitivity, Shapley and summaries reduce it to."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import xarray as xr

from model.analysis.stats import labelled


def _machine_age_all(ds: xr.Dataset) -> xr.DataArray:
    w = ds["output"]
    return (ds["mean_machine_age"] * w).sum("sector") / w.sum("sector")


#: Key outputs of a run: name -> (units, long name, function of the dataset).
KEY_OUTPUTS: dict[str, tuple[str, str, Callable[[xr.Dataset], xr.DataArray]]] = {
    "machine_tool_output_2025": (
        "bn yuan",
        "machine-tool gross output in 2025",
        lambda ds: ds["output"].sel(sector="machine_tools", year=2025),
    ),
    "machine_tool_output_2027": (
        "bn yuan",
        "machine-tool gross output in 2027",
        lambda ds: ds["output"].sel(sector="machine_tools", year=2027),
    ),
    "value_added": (
        "bn yuan",
        "value added of all sectors, summed over the years",
        lambda ds: ds["value_added_total"].sum("year"),
    ),
    "rd_expenditure": (
        "bn yuan",
        "reported R&D of all sectors, summed over the years",
        lambda ds: ds["rd_expenditure_total"].sum("year"),
    ),
    "machine_tool_rd": (
        "bn yuan",
        "reported R&D of machine-tool firms, summed over the years",
        lambda ds: ds["rd_expenditure"].sel(sector="machine_tools").sum("year"),
    ),
    "first_set_products": (
        "count",
        "first-set products recognised, summed over the years",
        lambda ds: ds["first_set_products_new"].sel(sector="machine_tools").sum("year"),
    ),
    "mean_machine_age_2027": (
        "years",
        "output-weighted mean machine age of all sectors in 2027",
        lambda ds: _machine_age_all(ds).sel(year=2027),
    ),
    "public_cost": (
        "bn yuan",
        "public cost of all payers, summed over the years",
        lambda ds: ds["public_cost"].sum(["payer", "year"]),
    ),
}


def key_outputs(ds: xr.Dataset, names: Sequence[str] | None = None) -> xr.Dataset:
    """The key outputs (``KEY_OUTPUTS``) per replicate and point; ones a run lacks are left out."""
    out = {}
    for name in names or KEY_OUTPUTS:
        units, long_name, fn = KEY_OUTPUTS[name]
        try:
            da = fn(ds)
        except KeyError:
            continue
        da = da.drop_vars([c for c in da.coords if c not in da.dims], errors="ignore")
        out[name] = labelled(da.astype(float), units, long_name)
    return xr.Dataset(out)
