"""Combining a sweep's pieces into its labelled dataset."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from model.config.errors import ScenarioError
from model.config.scenario import scenario_text
from model.experiments.sweep.points import jsonable
from model.experiments.sweep.spec import Sweep
from model.experiments.sweep.store import Arrays
from model.experiments.sweep.tasks import Task, TaskLayout
from model.outputs.dataset import to_dataset
from model.outputs.files import code_version, write_netcdf


def _coord_values(labels: Sequence[Any]) -> np.ndarray:
    arr = np.asarray(list(labels))
    if arr.dtype == object:
        arr = np.asarray([str(v) for v in labels])
    return arr


def _same_region(sw: Sweep) -> bool:
    """Whether every point has the same region (so one labelling serves all points)."""
    if any(s.path.startswith("region.") for d in sw.dims for st in d.settings for s in st):
        return False
    regions = [b.region for d in sw.dims for b in (d.bases or ())]
    return all(r == regions[0] for r in regions)


def assemble(sw: Sweep, layout: TaskLayout, pieces: Mapping[Task, dict[int, Arrays]]) -> xr.Dataset:
    """Combine the pieces (all tasks) into the sweep's dataset."""
    by_point: dict[int, list[tuple[int, Arrays]]] = {}
    for t in sorted(pieces, key=lambda t: (t.start, t.chunk)):
        for p in layout.chunks[t.chunk]:
            by_point.setdefault(p, []).append((t.runs, pieces[t][p]))
    per_point: list[Arrays] = []
    for p in range(sw.n_points):
        got = by_point.get(p, [])
        if sum(n for n, _ in got) != sw.replicates:
            raise RuntimeError(f"point {p}: pieces do not cover replicates 0..{sw.replicates - 1}")
        parts = [a for _, a in got]
        per_point.append(
            {
                k: (
                    parts[0][k]
                    if k.startswith("_")
                    else np.concatenate([x[k] for x in parts], axis=0)
                )
                for k in parts[0]
            }
        )
    shape = sw.shape
    sweep_dims = tuple(d.name for d in sw.dims)
    data_vars = {}
    if _same_region(sw):
        # One labelling of all points' replicates end to end (elementwise, so equal to
        # labelling each point), then the replicate axis is cut back into the sweep's dims.
        together = {
            k: (v if k.startswith("_") else np.concatenate([a[k] for a in per_point], axis=0))
            for k, v in per_point[0].items()
        }
        full = to_dataset(sw.scenario(0), together)
        for name, var in full.data_vars.items():
            arr = var.transpose("replicate", ...).values
            arr = arr.reshape(*shape, sw.replicates, *arr.shape[1:])
            dims = ("replicate", *(d for d in var.dims if d != "replicate"))
            data_vars[name] = (sweep_dims + dims, arr, dict(var.attrs))
        first = full.isel(replicate=slice(0, sw.replicates))
    else:
        point_ds = [to_dataset(sw.scenario(p), a) for p, a in enumerate(per_point)]
        first = point_ds[0]
        for p, d in enumerate(point_ds[1:], start=1):
            for c in first.indexes:
                if not first.indexes[c].equals(d.indexes[c]):
                    raise ScenarioError(
                        sw.source, "", f"point {p} has different {c!r} labels from point 0"
                    )
        for name, var in first.data_vars.items():
            stacked = np.stack([d[name].values for d in point_ds]).reshape(*shape, *var.shape)
            data_vars[name] = (sweep_dims + var.dims, stacked, dict(var.attrs))
    coords: dict[str, Any] = {}
    for d in sw.dims:
        coords[d.name] = (d.name, _coord_values(d.labels), dict(d.attrs))
        for cname, (values, attrs) in d.coords.items():
            coords[cname] = (d.name, _coord_values(values), dict(attrs))
    for c, v in first.coords.items():
        coords[c] = v
    ds = xr.Dataset(data_vars, coords=coords)
    attrs = {
        "title": f"Regional industrial-economy ABM: sweep {sw.name}",
        "sweep_name": sw.name,
        "sweep_description": sw.description,
        "sweep_file": sw.source,
        "sweep": sw.text,
        "sweep_overrides": json.dumps(
            {k: jsonable(v) for k, v in sw.overrides.items()}, ensure_ascii=False
        ),
        "sweep_dims": " ".join(sweep_dims),
        "sweep_digest": sw.digest,
        "code_version": code_version(),
        "seed": int(sw.seed),
        "replicates": int(sw.replicates),
        "common_random_numbers": "every point uses the same seed and replicate numbers",
    }
    if sw.base is not None:
        attrs["base_scenario_name"] = sw.base.name
        attrs["base_scenario"] = scenario_text(sw.base)
    for k in ("region", "region_name", "base_year", "money", "calibration"):
        if k in first.attrs:
            attrs[k] = first.attrs[k]
    ds.attrs = attrs
    return ds


def points_table(ds: xr.Dataset) -> list[dict[str, Any]]:
    """The points of a sweep result as label dicts, in dataset order."""
    dims = [d for d in ds.attrs.get("sweep_dims", "").split() if d in ds.dims]
    if not dims:
        return [{}]
    grids = [ds[d].values for d in dims]
    return [
        dict(zip(dims, (v.item() if hasattr(v, "item") else v for v in combo), strict=True))
        for combo in itertools.product(*grids)
    ]


def write_sweep(ds: xr.Dataset, path: str | os.PathLike[str]) -> Path:
    """Write a sweep result (netCDF4, atomically); booleans stay boolean (xarray encodes them)."""
    return write_netcdf(ds, path)
