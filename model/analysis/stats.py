"""Reductions across replicates shared by the views: Monte Carlo errors, safe ratios, labels."""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

REP = "replicate"


def sweep_dims(ds: xr.Dataset) -> list[str]:
    """The sweep's own dims (axes, ``scenario``, ``sample``), in dataset order."""
    return [d for d in str(ds.attrs.get("sweep_dims", "")).split() if d in ds.dims]


def mcse(x: xr.DataArray, dim: str = REP) -> xr.DataArray:
    """Monte Carlo standard error of the mean over ``dim`` (NaN with one replicate)."""
    n = x.sizes[dim]
    if n < 2:
        return xr.full_like(x.isel({dim: 0}, drop=True), np.nan, dtype=float)
    return x.std(dim, ddof=1) / math.sqrt(n)


def safe_ratio(num: xr.DataArray, den: xr.DataArray) -> xr.DataArray:
    """Return num / den, NaN where den is 0 (no division warnings)."""
    return num / den.where(den != 0)


def labelled(da: xr.DataArray, units: str, long_name: str) -> xr.DataArray:
    """Give ``da`` its ``units`` and ``long_name`` (in place) and return it."""
    da.attrs = {"units": units, "long_name": long_name}
    return da


def ratio_of_means(num: xr.DataArray, den: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """mean(num) / mean(den) and its delta-method Monte Carlo s.e. over replicates."""
    r = safe_ratio(num.mean(REP), den.mean(REP))
    n = num.sizes[REP]
    if n < 2:
        return r, xr.full_like(r, np.nan)
    resid = num - r * den
    se = safe_ratio(resid.std(REP, ddof=1) / math.sqrt(n), abs(den.mean(REP)))
    return r, se
