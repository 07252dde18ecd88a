"""Global sensitivity analysis: SALib Sobol indices and Morris screening over dotted parameters.

A sensitivity spec (TOML) names a base scenario, the parameters (or policy levers) to vary
with their bounds, the method and the outputs. The sample points run through the sweep
machinery (same executors, pieces and ``--resume``) with common random numbers: every point
uses the same seed and replicate numbers. Each output is reduced to one number per point (the
median or the mean across replicates) and analysed with SALib::

    name = "behaviour_sobol"
    base = "../plan.toml"
    method = "sobol"               # or "morris"
    replicates = 4

    [sobol]
    samples = 64                   # N, a power of 2: N (D + 2) points (D parameters)

    [[parameter]]
    path = "innovation.zeta_innovation"
    low = 4.0
    high = 16.0

    [[output]]
    key = "machine_tool_output_2027"   # a key output of the region (model.key_outputs), or:
    # variable = "output"; select = { sector = "machine_tools", year = 2027 }; sum = []
    reduce = "median"              # across replicates: "median" or "mean"
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr

from model.analysis.key_outputs import key_output_table
from model.config.errors import ScenarioError, suggest
from model.config.files import find
from model.config.params import Scenario
from model.config.scenario import load_scenario
from model.config.schema import build
from model.config.toml import read_toml
from model.experiments.sweep import Sweep, make_sweep, sweep, value_at, values_dim, write_sweep
from model.experiments.sweep.points import NAME_RE, dim_name, flatten_overrides
from model.outputs.catalogue import VARIABLES
from model.outputs.dataset import region_of
from model.outputs.files import code_version

__all__ = [
    "SensitivitySpec",
    "load_sensitivity",
    "morris_indices",
    "morris_sample",
    "sensitivity",
    "sobol_indices",
    "sobol_sample",
]


# ------------------------------------------------------------------------- spec file


def _p(default: Any = dataclasses.MISSING, lo: float | None = None, hi: float | None = None) -> Any:
    return field(default=default, metadata={"range": (lo, hi)})


@dataclass(frozen=True, kw_only=True)
class ParameterSpec:
    """A ``[[parameter]]``: a dotted path sampled uniformly on [low, high]."""

    path: str
    low: float
    high: float
    name: str | None = None
    relative: bool = False


@dataclass(frozen=True, kw_only=True)
class OutputSpec:
    """An ``[[output]]``: one number per point, from a key output or a variable."""

    name: str | None = None
    key: str | None = None
    variable: str | None = None
    select: dict[str, Any] = field(default_factory=dict)
    sum: tuple[str, ...] = ()
    reduce: Literal["median", "mean"] = "median"


@dataclass(frozen=True, kw_only=True)
class SobolSpec:
    """The ``[sobol]`` table."""

    samples: int = _p(lo=2)
    second_order: bool = False
    resamples: int = _p(100, lo=10)
    conf_level: float = _p(0.95, lo=0.5, hi=0.999)


@dataclass(frozen=True, kw_only=True)
class MorrisSpec:
    """The ``[morris]`` table."""

    trajectories: int = _p(lo=2)
    levels: int = _p(4, lo=2)
    resamples: int = _p(100, lo=10)
    conf_level: float = _p(0.95, lo=0.5, hi=0.999)


@dataclass(frozen=True, kw_only=True)
class SensitivityFile:
    """A sensitivity spec as written."""

    name: str | None = None
    description: str = ""
    base: str
    method: Literal["sobol", "morris"]
    replicates: int | None = _p(None, lo=1)
    seed: int | None = _p(None, lo=0)
    sample_seed: int | None = _p(None, lo=0)
    batch_size: int | None = _p(None, lo=1)
    set: dict[str, Any] = field(default_factory=dict)
    sobol: SobolSpec | None = None
    morris: MorrisSpec | None = None
    parameter: tuple[ParameterSpec, ...] = ()
    output: tuple[OutputSpec, ...] = ()


@dataclass(frozen=True)
class Output:
    """An output reduced to one number per point."""

    name: str
    key: str | None
    variable: str | None
    select: Mapping[str, Any]
    sum: tuple[str, ...]
    reduce: str

    def per_replicate(self, ds: xr.Dataset) -> xr.DataArray:
        """The output per replicate (and point)."""
        if self.key is not None:
            return key_output_table(region_of(ds))[self.key].compute(ds)
        assert self.variable is not None
        da = ds[self.variable].sel(dict(self.select))
        if self.sum:
            da = da.sum(list(self.sum))
        return da

    def units(self, ds: xr.Dataset) -> str:
        """The output's units."""
        if self.key is not None:
            return key_output_table(region_of(ds))[self.key].units
        return str(ds[self.variable].attrs.get("units", ""))

    def value(self, ds: xr.Dataset) -> xr.DataArray:
        """The output reduced across replicates, per point."""
        da = self.per_replicate(ds).astype(float)
        return da.median("replicate") if self.reduce == "median" else da.mean("replicate")


@dataclass(frozen=True)
class SensitivitySpec:
    """A resolved sensitivity analysis."""

    name: str
    method: str
    base: Scenario
    names: tuple[str, ...]
    paths: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]
    relative: tuple[bool, ...]
    outputs: tuple[Output, ...]
    replicates: int
    seed: int
    sample_seed: int
    samples: int
    second_order: bool = False
    levels: int = 4
    resamples: int = 100
    conf_level: float = 0.95
    batch_size: int | None = None
    text: str = ""
    source: str = "<python>"
    description: str = ""
    overrides: Mapping[str, Any] = field(default_factory=dict)

    def sample(self) -> np.ndarray:
        """The parameter sample (rows = points, columns = parameters)."""
        if self.method == "sobol":
            return sobol_sample(
                self.names,
                self.bounds,
                self.samples,
                second_order=self.second_order,
                seed=self.sample_seed,
            )
        return morris_sample(
            self.names, self.bounds, self.samples, levels=self.levels, seed=self.sample_seed
        )

    def sweep(self) -> Sweep:
        """The sample as a sweep with a ``sample`` dim (one coordinate per parameter)."""
        params = [(p, n, r) for p, n, r in zip(self.paths, self.names, self.relative, strict=True)]
        dim = values_dim(
            params,
            self.sample(),
            bounds=self.bounds,
            base=self.base,
            name="sample",
            key="parameter",
        )
        return make_sweep(
            [dim],
            base=self.base,
            name=self.name,
            replicates=self.replicates,
            seed=self.seed,
            text=self.text,
            source=self.source,
            description=self.description,
            batch_size=self.batch_size,
            overrides=dict(self.overrides),
        )


def load_sensitivity(
    path: str | os.PathLike[str],
    *,
    replicates: int | None = None,
    overrides: Mapping[str, object] | None = None,
) -> SensitivitySpec:
    """Read and check a sensitivity spec.

    Raises:
        ScenarioError: One line naming the file, the key and what is allowed.
    """
    path = find(path)
    doc = read_toml(path)
    spec: SensitivityFile = build(SensitivityFile, doc)
    where = str(path)
    name = spec.name or path.stem
    if not NAME_RE.match(name.replace("-", "_")):
        raise ScenarioError(
            where, "name", f"{name!r}: use letters, digits, - and _ (it names the output files)"
        )
    fixed = flatten_overrides(spec.set)
    fixed.update(dict(overrides or {}))
    base_path = path.parent / spec.base
    if not base_path.is_file():
        raise ScenarioError(
            doc.origin("base"), "base", f"scenario file {str(base_path)!r} does not exist"
        )
    base = load_scenario(base_path, fixed)

    if spec.method == "sobol":
        if spec.sobol is None:
            raise ScenarioError(
                where, "sobol", "method = 'sobol' needs a [sobol] table with samples = N"
            )
        n = spec.sobol.samples
        if n & (n - 1):
            raise ScenarioError(
                doc.origin("sobol"),
                "sobol.samples",
                f"{n} is not a power of 2 (Sobol sequences need one: e.g. {1 << n.bit_length()})",
            )
        extra = {
            "second_order": spec.sobol.second_order,
            "resamples": spec.sobol.resamples,
            "conf_level": spec.sobol.conf_level,
        }
    else:
        if spec.morris is None:
            raise ScenarioError(
                where, "morris", "method = 'morris' needs a [morris] table with trajectories = N"
            )
        n = spec.morris.trajectories
        extra = {
            "levels": spec.morris.levels,
            "resamples": spec.morris.resamples,
            "conf_level": spec.morris.conf_level,
        }

    if not spec.parameter:
        raise ScenarioError(
            where, "parameter", "needs at least one [[parameter]] with path, low and high"
        )
    if (
        spec.method == "sobol"
        and len(spec.parameter) < 2
        or spec.method == "morris"
        and len(spec.parameter) < 1
    ):
        raise ScenarioError(where, "parameter", "Sobol indices need at least two parameters")
    names, paths, bounds, rel = [], [], [], []
    for j, prm in enumerate(spec.parameter):
        key = f"parameter[{j}]"
        if not prm.high > prm.low:
            raise ScenarioError(
                doc.origin(key), f"{key}.high", f"must exceed low ({prm.low!r}); got {prm.high!r}"
            )
        try:
            v = value_at(base, prm.path)
        except KeyError as e:
            raise ScenarioError(
                doc.origin(key), f"{key}.path", f"{prm.path}: {e.args[0]}"
            ) from None
        if isinstance(v, (bool, str)):
            raise ScenarioError(
                doc.origin(key),
                f"{key}.path",
                f"{prm.path} is {type(v).__name__}, not a number to vary",
            )
        names.append(prm.name or dim_name(prm.path) + ("_scale" if prm.relative else ""))
        paths.append(prm.path)
        bounds.append((float(prm.low), float(prm.high)))
        rel.append(prm.relative)
    if len(set(names)) != len(names):
        raise ScenarioError(where, "parameter", f"parameter names repeat: {names}; give them names")

    if not spec.output:
        raise ScenarioError(
            where, "output", "needs at least one [[output]] (key = ... or variable = ...)"
        )
    outputs = []
    known_keys = key_output_table(base.region)
    for j, o in enumerate(spec.output):
        key = f"output[{j}]"
        if (o.key is None) == (o.variable is None):
            raise ScenarioError(
                doc.origin(key),
                key,
                "give exactly one of key = ... (a key output) or variable = ...",
            )
        if o.key is not None and o.key not in known_keys:
            raise ScenarioError(
                doc.origin(key),
                f"{key}.key",
                f"unknown key output {o.key!r}" + suggest(o.key, list(known_keys)),
            )
        if o.key is not None and (o.select or o.sum):
            raise ScenarioError(
                doc.origin(key), key, "select and sum go with variable = ..., not key = ..."
            )
        oname = o.name or o.key or o.variable
        assert oname is not None
        outputs.append(Output(oname, o.key, o.variable, dict(o.select), tuple(o.sum), o.reduce))
    onames = [o.name for o in outputs]
    if len(set(onames)) != len(onames):
        raise ScenarioError(where, "output", f"output names repeat: {onames}; give them names")

    seed = spec.seed if spec.seed is not None else base.seed
    result = SensitivitySpec(
        name=name,
        method=spec.method,
        base=base,
        names=tuple(names),
        paths=tuple(paths),
        bounds=tuple(bounds),
        relative=tuple(rel),
        outputs=tuple(outputs),
        replicates=int(replicates or spec.replicates or base.replicates),
        seed=int(seed),
        sample_seed=int(spec.sample_seed if spec.sample_seed is not None else seed),
        samples=int(n),
        batch_size=spec.batch_size,
        text=path.read_text(encoding="utf-8"),
        source=where,
        description=spec.description,
        overrides=dict(overrides or {}),
        **extra,
    )
    _check_outputs(result, doc.origin("output"))
    return result


def run_variables() -> set[str]:
    """Names of a run's data variables (the output catalogue)."""
    return {v.name for v in VARIABLES}


def _check_outputs(spec: SensitivitySpec, where: str) -> None:
    """Check output variable names before any run (dims and labels are checked on the results)."""
    known = run_variables()
    for j, o in enumerate(spec.outputs):
        if o.variable is not None and o.variable not in known:
            raise ScenarioError(
                where,
                f"output[{j}].variable",
                f"unknown variable {o.variable!r}" + suggest(o.variable, sorted(known)),
            )


# ------------------------------------------------------------------------- SALib wrappers


def _problem(names: Sequence[str], bounds: Sequence[tuple[float, float]]) -> dict[str, Any]:
    return {
        "num_vars": len(names),
        "names": list(names),
        "bounds": [list(map(float, b)) for b in bounds],
    }


def sobol_sample(
    names: Sequence[str],
    bounds: Sequence[tuple[float, float]],
    n: int,
    *,
    second_order: bool = False,
    seed: int | None = None,
) -> np.ndarray:
    """Saltelli's extension of a scrambled Sobol sequence (SALib ``sample.sobol``).

    ``n`` must be a power of 2; gives ``n (D + 2)`` rows (``n (2D + 2)`` with second order).
    """
    from SALib.sample import sobol

    if n < 2 or n & (n - 1):
        raise ValueError(f"n = {n} is not a power of 2")
    return sobol.sample(_problem(names, bounds), n, calc_second_order=second_order, seed=seed)


def morris_sample(
    names: Sequence[str],
    bounds: Sequence[tuple[float, float]],
    trajectories: int,
    *,
    levels: int = 4,
    seed: int | None = None,
) -> np.ndarray:
    """Morris trajectories (SALib ``sample.morris``): ``trajectories (D + 1)`` rows."""
    from SALib.sample import morris

    return morris.sample(_problem(names, bounds), trajectories, num_levels=levels, seed=seed)


def _outputs_matrix(y: xr.DataArray | np.ndarray) -> tuple[np.ndarray, list[str]]:
    if isinstance(y, xr.DataArray):
        if y.ndim == 1:
            return np.asarray(y.values, float)[:, None], [str(y.name or "y")]
        y = y.transpose("sample", "output")
        return np.asarray(y.values, float), [str(v) for v in y["output"].values]
    arr = np.asarray(y, float)
    if arr.ndim == 1:
        return arr[:, None], ["y"]
    return arr, [f"y{k}" for k in range(arr.shape[1])]


def sobol_indices(
    names: Sequence[str],
    bounds: Sequence[tuple[float, float]],
    y: xr.DataArray | np.ndarray,
    *,
    second_order: bool = False,
    resamples: int = 100,
    conf_level: float = 0.95,
    seed: int | None = None,
) -> xr.Dataset:
    """Sobol first-order and total indices with confidence intervals (SALib ``analyze.sobol``).

    Args:
        names: Parameter names, in the sample's column order.
        bounds: (low, high) per parameter.
        y: Outputs at the sample points: an array (points,) or (points, outputs), or a
            DataArray with dims ``sample`` (and ``output``).
        second_order: Whether the sample has the second-order rows (and S2 is wanted).
        resamples: Bootstrap resamples for the confidence intervals.
        conf_level: Confidence level of the ``*_conf`` half-widths.
        seed: Seed of the bootstrap.

    Returns:
        Dataset with dims ``parameter`` x ``output``: ``S1``, ``S1_conf``, ``ST``,
        ``ST_conf`` (and ``S2``, ``S2_conf`` over ``parameter`` x ``parameter_2``).
    """
    from SALib.analyze import sobol

    Y, onames = _outputs_matrix(y)
    prob = _problem(names, bounds)
    keys = ["S1", "S1_conf", "ST", "ST_conf"]
    res: dict[str, list[np.ndarray]] = {k: [] for k in keys + ["S2", "S2_conf"]}
    for k in range(Y.shape[1]):
        with np.errstate(divide="ignore", invalid="ignore"):
            r = sobol.analyze(
                prob,
                Y[:, k],
                calc_second_order=second_order,
                num_resamples=resamples,
                conf_level=conf_level,
                seed=seed,
            )
        for key in keys:
            res[key].append(np.asarray(r[key], float))
        if second_order:
            res["S2"].append(np.asarray(r["S2"], float))
            res["S2_conf"].append(np.asarray(r["S2_conf"], float))
    long = {
        "S1": "first-order Sobol index",
        "S1_conf": f"S1 confidence half-width ({conf_level:.0%})",
        "ST": "total Sobol index",
        "ST_conf": f"ST confidence half-width ({conf_level:.0%})",
    }
    data = {
        key: (
            ("parameter", "output"),
            np.stack(res[key], axis=1),
            {"units": "1", "long_name": long[key]},
        )
        for key in keys
    }
    coords: dict[str, Any] = {"parameter": list(names), "output": onames}
    if second_order:
        data["S2"] = (
            ("parameter", "parameter_2", "output"),
            np.stack(res["S2"], axis=2),
            {"units": "1", "long_name": "second-order Sobol index"},
        )
        data["S2_conf"] = (
            ("parameter", "parameter_2", "output"),
            np.stack(res["S2_conf"], axis=2),
            {"units": "1", "long_name": "S2 confidence half-width"},
        )
        coords["parameter_2"] = list(names)
    ds = xr.Dataset(data, coords=coords)
    ds.attrs = {
        "method": "sobol",
        "salib": "SALib analyze.sobol (Saltelli 2002; Jansen estimator of ST)",
        "conf_level": conf_level,
        "resamples": resamples,
    }
    return ds


def morris_indices(
    names: Sequence[str],
    bounds: Sequence[tuple[float, float]],
    x: np.ndarray,
    y: xr.DataArray | np.ndarray,
    *,
    levels: int = 4,
    resamples: int = 100,
    conf_level: float = 0.95,
    seed: int | None = None,
) -> xr.Dataset:
    """Morris elementary-effect screening (SALib ``analyze.morris``).

    Returns:
        Dataset with dims ``parameter`` x ``output``: ``mu``, ``mu_star``, ``sigma``,
        ``mu_star_conf``.
    """
    from SALib.analyze import morris

    Y, onames = _outputs_matrix(y)
    prob = _problem(names, bounds)
    keys = ["mu", "mu_star", "sigma", "mu_star_conf"]
    res: dict[str, list[np.ndarray]] = {k: [] for k in keys}
    for k in range(Y.shape[1]):
        r = morris.analyze(
            prob,
            np.asarray(x, float),
            Y[:, k],
            num_resamples=resamples,
            conf_level=conf_level,
            num_levels=levels,
            seed=seed,
        )
        for key in keys:
            res[key].append(np.asarray(r[key], float))
    long = {
        "mu": "mean elementary effect",
        "mu_star": "mean absolute elementary effect",
        "sigma": "sd of the elementary effects (interactions, non-linearity)",
        "mu_star_conf": f"mu_star confidence half-width ({conf_level:.0%})",
    }
    data = {
        key: (
            ("parameter", "output"),
            np.stack(res[key], axis=1),
            {"units": "output units per parameter range", "long_name": long[key]},
        )
        for key in keys
    }
    ds = xr.Dataset(data, coords={"parameter": list(names), "output": onames})
    ds.attrs = {
        "method": "morris",
        "salib": "SALib analyze.morris (Morris 1991; Campolongo et al. 2007)",
        "conf_level": conf_level,
        "resamples": resamples,
        "levels": levels,
    }
    return ds


# ------------------------------------------------------------------------- running


def output_values(spec: SensitivitySpec, ds: xr.Dataset) -> xr.DataArray:
    """Each output reduced across replicates: dims ``sample`` x ``output``."""
    rows = []
    for o in spec.outputs:
        try:
            v = o.value(ds)
        except (KeyError, ValueError) as e:
            raise ScenarioError(spec.source, f"output {o.name}", f"cannot evaluate: {e}") from None
        extra = [d for d in v.dims if d != "sample"]
        if extra:
            raise ScenarioError(
                spec.source,
                f"output {o.name}",
                f"is not one number per point (dims {extra} left): add select or sum",
            )
        rows.append(v.drop_vars([c for c in v.coords if c != "sample"], errors="ignore"))
    y = xr.concat(rows, dim="output").assign_coords(output=[o.name for o in spec.outputs])
    return y.transpose("sample", "output")


def analyze(spec: SensitivitySpec, ds: xr.Dataset) -> xr.Dataset:
    """Sensitivity indices from a finished sample sweep."""
    y = output_values(spec, ds)
    if spec.method == "sobol":
        res = sobol_indices(
            spec.names,
            spec.bounds,
            y,
            second_order=spec.second_order,
            resamples=spec.resamples,
            conf_level=spec.conf_level,
            seed=spec.sample_seed,
        )
    else:
        x = spec.sample()
        res = morris_indices(
            spec.names,
            spec.bounds,
            x,
            y,
            levels=spec.levels,
            resamples=spec.resamples,
            conf_level=spec.conf_level,
            seed=spec.sample_seed,
        )
    units = [o.units(ds) for o in spec.outputs]
    res = res.assign_coords(
        output_units=("output", units, {"long_name": "units of the output"}),
        output_reduce=(
            "output",
            [o.reduce for o in spec.outputs],
            {"long_name": "across replicates"},
        ),
        parameter_path=("parameter", list(spec.paths), {"long_name": "dotted parameter path"}),
        low=("parameter", [b[0] for b in spec.bounds], {"long_name": "lower bound"}),
        high=("parameter", [b[1] for b in spec.bounds], {"long_name": "upper bound"}),
        relative=(
            "parameter",
            list(spec.relative),
            {"long_name": "bounds multiply the base value"},
        ),
    )
    res["output_value"] = y.assign_attrs(
        units="output units", long_name="output at each sample point"
    )
    res.attrs.update(
        {
            "title": f"Sensitivity analysis {spec.name}",
            "sensitivity_name": spec.name,
            "spec": spec.text,
            "spec_file": spec.source,
            "base_scenario_name": spec.base.name,
            "code_version": code_version(),
            "seed": spec.seed,
            "sample_seed": spec.sample_seed,
            "samples": spec.samples,
            "points": int(y.sizes["sample"]),
            "replicates": spec.replicates,
        }
    )
    return res


def sensitivity(
    spec: SensitivitySpec | str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    replicates: int | None = None,
    overrides: Mapping[str, object] | None = None,
    workers: int = 1,
    scheduler: Any = None,
    resume: bool = False,
    batch_size: int | None = None,
    progress: bool | None = None,
) -> xr.Dataset:
    """Run a sensitivity analysis: sample, run every point (a sweep), analyse with SALib.

    Args:
        spec: A spec file or a :class:`SensitivitySpec`.
        out: Output folder: ``<name>.nc`` (the sample's runs, as a sweep with a ``sample``
            dim) and ``<name>.indices.nc``; pieces as in :func:`model.sweep`.
        replicates: Replicates per point (overrides the spec's).
        overrides: Dotted overrides for every point (after the spec's ``set``).
        workers: Local processes, as for :func:`model.sweep`.
        scheduler: A dask.distributed scheduler address or client.
        resume: Continue an interrupted analysis in ``out``.
        batch_size: Replicates per task.
        progress: Progress bar on stderr (default: when stderr is a terminal).

    Returns:
        Dataset of indices, dims ``parameter`` x ``output``: Sobol ``S1``, ``S1_conf``,
        ``ST``, ``ST_conf``, or Morris ``mu``, ``mu_star``, ``sigma``, ``mu_star_conf``;
        ``output_value`` holds the reduced outputs per sample point.
    """
    if not isinstance(spec, SensitivitySpec):
        spec = load_sensitivity(spec, replicates=replicates, overrides=overrides)
    elif replicates is not None:
        spec = dataclasses.replace(spec, replicates=int(replicates))
    sw = spec.sweep()
    ds = sweep(
        sw,
        out,
        workers=workers,
        scheduler=scheduler,
        resume=resume,
        batch_size=batch_size,
        progress=progress,
    )
    res = analyze(spec, ds)
    if out is not None:
        write_sweep(res, Path(out) / f"{spec.name}.indices.nc")
    return res
