"""Scenario sweeps: many scenarios x many replicates -> one labelled dataset.

A sweep file (TOML) names a base scenario and the axes to vary; every point of the sweep is
one resolved :class:`~model.params.Scenario` (base + overrides). All points use the same seed
and the same replicate numbers, so replicate r of one point and replicate r of another saw
the same random numbers (common random numbers): differences between points are not noise.

Work is cut into tasks, one task = (a chunk of points, a batch of replicates): many runs per
task. Points whose scenarios differ only after the base year (instruments, demand and price
paths; equal ``spinup_key``) share one spin-up per batch (``model._run.simulate_points_batch``).
A replicate's results do not depend on its batch, its chunk or the process running it, so the
serial, local-process and dask.distributed executors give bit-identical datasets for any
number of workers.

With an output folder, every finished task is written at once (atomically) to
``DIR/<name>.parts/``; ``resume=True`` skips the tasks whose piece exists, so an interrupted
sweep (Ctrl-C, a killed process) loses no finished run and computes none twice. When all
tasks are done the pieces are combined into ``DIR/<name>.nc`` and removed.

Sweep file format (see README, "Sweeps and sensitivity")::

    name = "two_levers"            # optional: default the file name
    base = "../plan.toml"          # or: scenarios = ["../plan.toml", "../no_policy.toml"]
    replicates = 20                # optional: default the base scenario's
    seed = 20231231                # optional: default the base scenario's
    set = { "market.firm_scale" = 0.5 }   # optional overrides for every point

    [[axis]]                       # a grid: one dim per axis
    path = "instruments.renewal_loans.subsidy_pp"
    values = [0.0, 0.01, 0.015, 0.02]      # or: scale = [0.5, 1, 2] (x the base value)
    name = "subsidy_pp"            # optional dim name

    [lhs]                          # a Latin hypercube: dim "sample"
    samples = 64
    [[lhs.parameter]]
    path = "innovation.zeta_innovation"
    low = 4.0
    high = 16.0
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import hashlib
import itertools
import json
import math
import multiprocessing
import os
import re
import shutil
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, get_type_hints

import numpy as np
import xarray as xr

from model._config import (
    ScenarioError,
    Schedule,
    _suggest,
    apply_overrides,
    build,
    dumps_toml,
    read_toml,
    to_dict,
)
from model._run import code_version, default_batch_size, to_dataset
from model._scenario import load_scenario, scenario_text
from model.params import Scenario

__all__ = [
    "Dim",
    "Sweep",
    "Task",
    "load_sweep",
    "make_sweep",
    "sweep",
    "value_at",
]

#: Dims every run already has: a sweep axis may not reuse their names.
RUN_DIMS = (
    "replicate",
    "year",
    "sector",
    "cluster",
    "segment",
    "instrument",
    "payer",
    "chain",
    "spinup_year",
)
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PIECE_RE = re.compile(r"^chunk-(\d+)\.replicates-(\d+)-(\d+)\.npz$")
#: Most points in one task (they share one spin-up): bounds the work lost to an interruption
#: (at full scale, 32 points x 8 replicates is about 1.5 min of one core). Splitting a group
#: repeats its 30-year spin-up and no-policy twin in each part, more than four points' work.
MAX_POINTS_PER_TASK = 32
MANIFEST = "manifest.json"
#: Format of the pieces folder; a folder of another format is refused on resume.
PARTS_FORMAT = 1


# ------------------------------------------------------------------------- file schema


def _p(
    default: Any = dataclasses.MISSING, lo: float | None = None, doc: str = "", **kw: Any
) -> Any:
    meta = {"range": (lo, None), "doc": doc}
    if "default_factory" in kw:
        return field(default_factory=kw["default_factory"], metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True, kw_only=True)
class AxisSpec:
    """One ``[[axis]]`` of a sweep file: a grid dimension over one dotted parameter path."""

    path: str
    values: tuple[Any, ...] | None = None
    scale: tuple[float, ...] | None = None
    name: str | None = None
    labels: tuple[str, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class LhsParameter:
    """One ``[[lhs.parameter]]``: a parameter sampled uniformly on [low, high]."""

    path: str
    low: float
    high: float
    name: str | None = None
    relative: bool = _p(False, doc="low and high multiply the base value")


@dataclass(frozen=True, kw_only=True)
class LhsSpec:
    """The ``[lhs]`` table of a sweep file: a Latin hypercube over the parameters."""

    samples: int = _p(lo=1)
    seed: int | None = _p(None, lo=0, doc="default: the sweep's seed")
    name: str = "sample"
    parameter: tuple[LhsParameter, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SweepFile:
    """A sweep file as written (validated by :func:`model._config.build`)."""

    name: str | None = None
    description: str = ""
    base: str | None = None
    scenarios: tuple[str, ...] | None = None
    replicates: int | None = _p(None, lo=1)
    seed: int | None = _p(None, lo=0)
    batch_size: int | None = _p(None, lo=1, doc="replicates per task (default: chosen)")
    set: dict[str, Any] = _p(default_factory=dict, doc="overrides applied to every point")
    axis: tuple[AxisSpec, ...] = ()
    lhs: LhsSpec | None = None


# ------------------------------------------------------------------------- the sweep


@dataclass(frozen=True)
class Setting:
    """One override of a point: ``path = value``, or ``path = base value x value`` if ``scale``."""

    path: str
    value: Any
    scale: bool = False


@dataclass(frozen=True)
class Dim:
    """A sweep dimension: its coordinate labels and, per label, the settings it applies.

    Attributes:
        name: Dim name in the dataset.
        labels: Coordinate values (numbers, booleans or strings).
        settings: Per label, the overrides it applies.
        attrs: Attributes of the coordinate (``long_name``, ``path``, ...).
        coords: Further coordinates on this dim: name -> (values, attrs).
        bases: For a ``scenario`` dim, per label the scenario it starts from.
        key: Where in the sweep file the dim is defined (for messages).
    """

    name: str
    labels: tuple[Any, ...]
    settings: tuple[tuple[Setting, ...], ...]
    attrs: Mapping[str, Any] = field(default_factory=dict)
    coords: Mapping[str, tuple[tuple[Any, ...], Mapping[str, Any]]] = field(default_factory=dict)
    bases: tuple[Scenario, ...] | None = None
    key: str = ""

    @property
    def size(self) -> int:
        return len(self.labels)


class Task(NamedTuple):
    """One unit of work: replicates ``start .. stop-1`` of the points of chunk ``chunk``."""

    chunk: int
    start: int
    stop: int

    @property
    def replicates(self) -> list[int]:
        return list(range(self.start, self.stop))

    @property
    def runs(self) -> int:
        return self.stop - self.start

    @property
    def filename(self) -> str:
        return f"chunk-{self.chunk:06d}.replicates-{self.start:06d}-{self.stop:06d}.npz"


@dataclass(frozen=True)
class Layout:
    """How a sweep is cut into tasks: chunks of points (sharing a spin-up) x replicate batches.

    Results do not depend on the layout; a resumed sweep keeps the layout it started with.
    """

    chunks: tuple[tuple[int, ...], ...]
    batch_size: int

    def tasks(self, replicates: int) -> list[Task]:
        b = max(1, int(self.batch_size))
        return [
            Task(c, s, min(s + b, replicates))
            for c in range(len(self.chunks))
            for s in range(0, replicates, b)
        ]

    def to_json(self) -> dict[str, Any]:
        return {"chunks": [list(c) for c in self.chunks], "batch_size": self.batch_size}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Layout:
        return cls(tuple(tuple(int(p) for p in c) for c in d["chunks"]), int(d["batch_size"]))


@dataclass(frozen=True)
class Sweep:
    """A resolved sweep: its dims (points are their product, in C order), replicates and seed.

    Build one with :func:`load_sweep` (from a file) or :func:`make_sweep` (in Python).
    """

    name: str
    dims: tuple[Dim, ...]
    base: Scenario | None
    replicates: int
    seed: int
    text: str = ""
    source: str = "<python>"
    description: str = ""
    batch_size: int | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    #: Points that share a spin-up (equal ``spinup_key``): one spin-up serves them all.
    groups: tuple[tuple[int, ...], ...] = ()

    # ----------------------------------------------------------------- structure
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(d.size for d in self.dims)

    @property
    def n_points(self) -> int:
        return math.prod(self.shape)

    def index(self, point: int) -> tuple[int, ...]:
        """Position of a point along each dim."""
        return tuple(int(i) for i in np.unravel_index(point, self.shape)) if self.dims else ()

    def label(self, point: int) -> dict[str, Any]:
        """Coordinate labels of a point, by dim."""
        return {d.name: d.labels[i] for d, i in zip(self.dims, self.index(point), strict=True)}

    def settings(self, point: int) -> tuple[Setting, ...]:
        out: list[Setting] = []
        for d, i in zip(self.dims, self.index(point), strict=True):
            out.extend(d.settings[i])
        return tuple(out)

    def base_of(self, point: int) -> Scenario:
        for d, i in zip(self.dims, self.index(point), strict=True):
            if d.bases is not None:
                return d.bases[i]
        assert self.base is not None
        return self.base

    def scenario(self, point: int) -> Scenario:
        """The resolved scenario of a point (the sweep's seed and replicates)."""
        return _build_point(self.base_of(point), self.settings(point), self.seed, self.replicates)

    def with_replicates(self, replicates: int) -> Sweep:
        return dataclasses.replace(self, replicates=int(replicates))

    # ----------------------------------------------------------------- tasks
    def layout(self, workers: int = 1, batch_size: int | None = None) -> Layout:
        """Cut the sweep into tasks that keep ``workers`` busy.

        Points sharing a spin-up go to one task (at most ``MAX_POINTS_PER_TASK``), with as
        many replicates as ``MAX_BATCH`` allows; groups are split further only when there
        would be fewer than two tasks per worker.
        """
        groups = self.groups or tuple((p,) for p in range(self.n_points))
        workers = max(1, int(workers))
        batch = batch_size or self.batch_size
        if not batch:
            batch = default_batch_size(self.replicates, max(1, -(-workers // len(groups))))
        n_batches = -(-self.replicates // batch)
        want = 2 * workers if workers > 1 else 1
        chunks: list[tuple[int, ...]] = []
        for g in groups:
            k = max(-(-want // (len(groups) * n_batches)), -(-len(g) // MAX_POINTS_PER_TASK))
            for part in np.array_split(np.asarray(g), min(len(g), k)):
                chunks.append(tuple(int(p) for p in part))
        return Layout(tuple(chunks), int(batch))

    # ----------------------------------------------------------------- identity
    @property
    def digest(self) -> str:
        """A hash of everything the results depend on (not of batching or executors)."""
        bases = [self.base] if self.base is not None else []
        for d in self.dims:
            bases.extend(d.bases or ())
        doc = {
            "format": PARTS_FORMAT,
            "replicates": self.replicates,
            "seed": self.seed,
            "bases": [hashlib.sha256(scenario_text(b).encode()).hexdigest() for b in bases],
            "dims": [
                {
                    "name": d.name,
                    "labels": [_jsonable(v) for v in d.labels],
                    "settings": [
                        [[s.path, _jsonable(s.value), s.scale] for s in st] for st in d.settings
                    ],
                }
                for d in self.dims
            ],
        }
        text = json.dumps(doc, sort_keys=True, allow_nan=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def describe(self) -> str:
        """One line: points, dims and replicates."""
        dims = " x ".join(f"{d.name} ({d.size})" for d in self.dims)
        return (
            f"sweep {self.name!r}: {self.n_points} points [{dims}] x {self.replicates} "
            f"replicates, seed {self.seed}"
        )


def _jsonable(v: Any) -> Any:
    if isinstance(v, Schedule):
        return v.to_toml_value()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


# ------------------------------------------------------------------------- values at paths


def value_at(scenario: Scenario, path: str) -> Any:
    """The value of a scenario at a dotted path (``region.`` paths reach into the region).

    Elements of arrays of tables are found by ``id`` (``region.sector.machine_tools``) or by
    index.

    Raises:
        KeyError: If the path names nothing.
    """
    obj: Any = scenario
    for part in path.split("."):
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            if part not in {f.name for f in dataclasses.fields(obj)}:
                names = [f.name for f in dataclasses.fields(obj) if f.name != "source"]
                raise KeyError(f"no key {part!r} in {type(obj).__name__}" + _suggest(part, names))
            obj = getattr(obj, part)
        elif isinstance(obj, Mapping):
            if part not in obj:
                raise KeyError(f"no key {part!r}" + _suggest(part, [str(k) for k in obj]))
            obj = obj[part]
        elif isinstance(obj, (tuple, list)):
            hits = [e for e in obj if getattr(e, "id", None) == part]
            if hits:
                obj = hits[0]
            elif part.isdigit() and int(part) < len(obj):
                obj = obj[int(part)]
            else:
                raise KeyError(f"no element {part!r}")
        else:
            raise KeyError(f"{part!r}: the value before it is not a table")
    return obj


def scaled_value(value: Any, factor: float) -> Any:
    """``value x factor`` in TOML form: numbers, schedules, tables and arrays of them.

    Raises:
        ValueError: For values that cannot be scaled (booleans, strings, tables of tables)
            or an integer parameter whose scaled value is not whole.
    """
    if isinstance(value, bool) or isinstance(value, str):
        raise ValueError(f"cannot scale {type(value).__name__} {value!r}")
    if isinstance(value, Schedule):
        return value.scaled(float(factor)).to_toml_value()
    if isinstance(value, int):
        x = value * factor
        if float(x) != round(x):
            raise ValueError(f"integer parameter {value} x {factor} = {x} is not whole")
        return int(round(x))
    if isinstance(value, float):
        return value * float(factor)
    if isinstance(value, Mapping):
        return {str(k): scaled_value(v, factor) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [scaled_value(v, factor) for v in value]
    raise ValueError(f"cannot scale a {type(value).__name__}")


def _build_point(
    base: Scenario, settings: Sequence[Setting], seed: int, replicates: int
) -> Scenario:
    if settings:
        overrides: dict[str, Any] = {}
        for s in settings:
            if s.scale:
                try:
                    current = value_at(base, s.path)
                except KeyError as e:
                    raise ScenarioError("override", s.path, str(e.args[0])) from None
                try:
                    overrides[s.path] = scaled_value(current, s.value)
                except ValueError as e:
                    raise ScenarioError("override", s.path, str(e)) from None
            else:
                overrides[s.path] = _jsonable(s.value)
        sections = _scenario_sections()
        tops = {path.split(".")[0] for path in overrides}
        full = _base_dict(base)
        if tops <= set(sections):
            # Rebuild (and so validate) only the tables the overrides touch; the scenario's
            # own cross-checks run again in dataclasses.replace.
            data = {k: copy.deepcopy(full[k]) for k in tops}
            apply_overrides(data, overrides)
            changes = {k: build(sections[k], data[k], origin="override", prefix=k) for k in tops}
            try:
                base = dataclasses.replace(base, **changes)
            except ValueError as e:
                raise ScenarioError("override", "", str(e)) from None
        else:
            data = copy.deepcopy(full)
            apply_overrides(data, overrides)
            base = build(Scenario, data, origin="override")
    return dataclasses.replace(base, seed=int(seed), replicates=int(replicates))


@functools.cache
def _scenario_sections() -> dict[str, type]:
    """The scenario's fields that are tables (dataclasses), by name."""
    hints = get_type_hints(Scenario)
    return {k: tp for k, tp in hints.items() if dataclasses.is_dataclass(tp)}


_BASE_DICTS: dict[int, tuple[Scenario, dict[str, Any]]] = {}


def _base_dict(base: Scenario) -> dict[str, Any]:
    """The base scenario as plain data (cached; callers copy what they change)."""
    hit = _BASE_DICTS.get(id(base))
    if hit is None or hit[0] is not base:
        if len(_BASE_DICTS) > 64:
            _BASE_DICTS.clear()
        hit = (base, to_dict(base))
        _BASE_DICTS[id(base)] = hit
    return hit[1]


# ------------------------------------------------------------------------- building sweeps


def dim_name(path: str) -> str:
    """A dim name for a dotted path.

    ``instruments.rd_bonus.reward_rate`` -> ``rd_bonus_reward_rate``.
    """
    for prefix in ("instruments.", "region."):
        path = path.removeprefix(prefix)
    return re.sub(r"[^A-Za-z0-9_]", "_", path.replace(".", "_"))


def flatten_overrides(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested tables of a ``set`` table as dotted paths (schedule date tables stay whole)."""
    out: dict[str, Any] = {}
    for k, v in table.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if (
            isinstance(v, Mapping)
            and v
            and not all(re.fullmatch(r"\d{4}(-\d{2})?", str(x)) for x in v)
        ):
            out.update(flatten_overrides(v, key))
        else:
            out[key] = v
    return out


def grid_dim(
    path: str,
    values: Sequence[Any] | None = None,
    *,
    scale: Sequence[float] | None = None,
    name: str | None = None,
    labels: Sequence[str] | None = None,
    key: str = "",
) -> Dim:
    """A grid dim over one dotted path: given values, or multipliers of the base value."""
    if (values is None) == (scale is None):
        raise ValueError("give either values or scale")
    name = name or dim_name(path) + ("_scale" if scale is not None else "")
    if scale is not None:
        settings = tuple((Setting(path, float(f), True),) for f in scale)
        coord = tuple(float(f) for f in scale)
        attrs = {
            "long_name": f"multiplier of the base scenario's {path}",
            "units": "1",
            "path": path,
            "kind": "scale",
        }
    else:
        assert values is not None
        settings = tuple((Setting(path, v),) for v in values)
        coord = tuple(values)
        attrs = {"long_name": path, "units": "", "path": path, "kind": "values"}
    if labels is not None:
        coord = tuple(labels)
    return Dim(name, coord, settings, attrs, key=key)


def scenario_dim(
    scenarios: Sequence[Scenario], files: Sequence[str] | None = None, key: str = ""
) -> Dim:
    """A ``scenario`` dim over whole scenarios (coordinate: their names)."""
    names = tuple(s.name for s in scenarios)
    coords: dict[str, tuple[tuple[Any, ...], Mapping[str, Any]]] = {
        "scenario_description": (
            tuple(s.description for s in scenarios),
            {"long_name": "scenario description"},
        ),
    }
    if files is not None:
        coords["scenario_file"] = (
            tuple(str(f) for f in files),
            {"long_name": "scenario file, as the sweep names it"},
        )
    return Dim(
        "scenario",
        names,
        tuple(() for _ in scenarios),
        {"long_name": "scenario", "units": ""},
        coords,
        bases=tuple(scenarios),
        key=key,
    )


def sample_dim(
    parameters: Sequence[tuple[str, str, bool]],
    unit_values: np.ndarray,
    bounds: Sequence[tuple[float, float]],
    *,
    base: Scenario | None,
    name: str = "sample",
    key: str = "",
    integers: Sequence[bool] | None = None,
) -> Dim:
    """A ``sample`` dim from points in [0, 1]^d (rows) mapped onto ``bounds``.

    ``parameters`` are (path, coordinate name, relative) triples; ``relative`` values
    multiply the base value. Integer parameters are rounded.
    """
    unit_values = np.asarray(unit_values, dtype=float)
    n, d = unit_values.shape
    values = np.empty_like(unit_values)
    for j, (lo, hi) in enumerate(bounds):
        values[:, j] = lo + unit_values[:, j] * (hi - lo)
    return values_dim(
        parameters, values, bounds=bounds, base=base, name=name, key=key, integers=integers
    )


def values_dim(
    parameters: Sequence[tuple[str, str, bool]],
    values: np.ndarray,
    *,
    bounds: Sequence[tuple[float, float]] | None = None,
    base: Scenario | None = None,
    name: str = "sample",
    key: str = "",
    integers: Sequence[bool] | None = None,
) -> Dim:
    """A dim of explicit parameter vectors (rows of ``values``), one coordinate per parameter."""
    values = np.array(values, dtype=float)
    n, d = values.shape
    if integers is None:
        integers = [False] * d
        if base is not None:
            for j, (path, _, rel) in enumerate(parameters):
                if not rel:
                    with contextlib.suppress(KeyError):
                        v = value_at(base, path)
                        integers[j] = isinstance(v, int) and not isinstance(v, bool)
    for j, is_int in enumerate(integers):
        if is_int:
            values[:, j] = np.rint(values[:, j])
    settings = tuple(
        tuple(
            Setting(path, int(values[i, j]) if integers[j] else float(values[i, j]), rel)
            for j, (path, _, rel) in enumerate(parameters)
        )
        for i in range(n)
    )
    coords: dict[str, tuple[tuple[Any, ...], Mapping[str, Any]]] = {}
    for j, (path, cname, rel) in enumerate(parameters):
        attrs: dict[str, Any] = {
            "long_name": (f"multiplier of the base scenario's {path}" if rel else path),
            "units": "1" if rel else "",
            "path": path,
            "kind": "scale" if rel else "values",
        }
        if bounds is not None:
            attrs["low"], attrs["high"] = float(bounds[j][0]), float(bounds[j][1])
        col = values[:, j]
        coords[cname] = (
            tuple(int(x) for x in col) if integers[j] else tuple(float(x) for x in col),
            attrs,
        )
    return Dim(
        name,
        tuple(range(n)),
        settings,
        {"long_name": "sampled parameter point", "units": ""},
        coords,
        key=key,
    )


def lhs_unit(samples: int, d: int, seed: int) -> np.ndarray:
    """A Latin hypercube of ``samples`` points in [0, 1]^d (scipy.stats.qmc), reproducible."""
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(samples)


def make_sweep(
    dims: Sequence[Dim],
    *,
    base: Scenario | str | os.PathLike[str] | None = None,
    name: str = "sweep",
    replicates: int | None = None,
    seed: int | None = None,
    text: str = "",
    source: str = "<python>",
    description: str = "",
    batch_size: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Sweep:
    """A sweep from dims built in Python (:func:`grid_dim`, :func:`scenario_dim`, ...).

    Every point is checked (built) here when there are at most ``FULL_CHECK_POINTS``,
    otherwise each label of each dim on its own (of a long dim, the extreme ones).

    Raises:
        ScenarioError: Naming the dim (``source: key``) of a setting the schema refuses.
    """
    if isinstance(base, (str, os.PathLike)):
        base = load_scenario(base, overrides)
    elif base is not None and overrides:
        data = to_dict(base)
        apply_overrides(data, dict(overrides))
        base = build(Scenario, data, origin="override")
    first = base
    for d in dims:
        if d.bases is not None:
            first = d.bases[0]
            break
    if first is None:
        raise ValueError("a sweep needs a base scenario or a scenario dim")
    names = [d.name for d in dims]
    for d in dims:
        if not _NAME_RE.match(d.name):
            raise ScenarioError(
                source,
                d.key or d.name,
                f"dim name {d.name!r} is not a valid name (letters, digits, _)",
            )
        if d.name in RUN_DIMS:
            raise ScenarioError(
                source,
                d.key or d.name,
                f"dim name {d.name!r} is taken by the runs' own dims; give the axis a name",
            )
        if names.count(d.name) > 1:
            raise ScenarioError(
                source, d.key or d.name, f"dim name {d.name!r} is used twice; give the axis a name"
            )
        if d.size < 1:
            raise ScenarioError(source, d.key or d.name, "needs at least one value")
        if len(set(map(_label_key, d.labels))) != d.size:
            raise ScenarioError(
                source, d.key or d.name, f"repeated coordinate labels: {list(d.labels)}"
            )
        for c in d.coords:
            if c in names or c in RUN_DIMS:
                raise ScenarioError(
                    source, d.key or d.name, f"coordinate name {c!r} clashes with a dim"
                )
    sw = Sweep(
        name=name,
        dims=tuple(dims),
        base=base,
        replicates=int(replicates if replicates is not None else first.replicates),
        seed=int(seed if seed is not None else first.seed),
        text=text,
        source=source,
        description=description,
        batch_size=batch_size,
        overrides=dict(overrides or {}),
    )
    if not sw.text:
        sw = dataclasses.replace(sw, text=sweep_text_of(sw))
    return dataclasses.replace(sw, groups=_check_points(sw))


def _label_key(v: Any) -> Any:
    return (type(v).__name__, v) if isinstance(v, bool) else v


#: Sweeps up to this many points have every point built (checked) before any run.
FULL_CHECK_POINTS = 256


def _labels_to_check(d: Dim) -> list[int]:
    """All labels of a small dim; of a large one the first, last and each coordinate's extremes."""
    if d.size <= FULL_CHECK_POINTS:
        return list(range(d.size))
    idx = {0, d.size - 1}
    for values, _ in d.coords.values():
        arr = np.asarray(values)
        if np.issubdtype(arr.dtype, np.number):
            idx.update((int(arr.argmin()), int(arr.argmax())))
    return sorted(idx)


def _check_points(sw: Sweep) -> tuple[tuple[int, ...], ...]:
    """Build the sweep's scenarios to report any mistake before hours of computing.

    Returns:
        The points grouped by shared spin-up (equal ``spinup_key``). With at most
        ``FULL_CHECK_POINTS`` points every point is compared; otherwise a dim whose labels
        leave the spin-up unchanged counts as post-base-year only (and a task still checks
        the keys of its points before sharing a spin-up).
    """
    from model._model import spinup_key

    reference: Scenario | None = None

    def check(sc: Scenario, key: str) -> None:
        nonlocal reference
        if reference is None:
            reference = sc
            return
        if (sc.start_year, sc.end_year) != (reference.start_year, reference.end_year):
            raise ScenarioError(
                sw.source,
                key,
                "every point must simulate the same years "
                f"({reference.start_year}-{reference.end_year}); got {sc.start_year}-{sc.end_year}",
            )
        if [s.id for s in sc.region.sector] != [s.id for s in reference.region.sector] or sorted(
            c.id for c in sc.region.cluster
        ) != sorted(c.id for c in reference.region.cluster):
            raise ScenarioError(
                sw.source, key, "every point must have the same sectors and clusters"
            )

    # Each label of each dim on its own (the others at their first label): names the dim.
    built: dict[int, Scenario] = {}  # each point is built once here

    def scenario(point: int) -> Scenario:
        if point not in built:
            built[point] = sw.scenario(point)
        return built[point]

    shares_spinup = []
    label0: Scenario | None = None
    for k, d in enumerate(sw.dims):
        same = True
        for i in _labels_to_check(d):
            idx = [0] * len(sw.dims)
            idx[k] = i
            point = int(np.ravel_multi_index(idx, sw.shape))
            try:
                sc = scenario(point)
            except ScenarioError as e:
                what = f"{e.key}: " if e.key else ""
                raise ScenarioError(
                    sw.source, d.key or d.name, f"{what}{e.message} (at {d.name} = {d.labels[i]!r})"
                ) from None
            check(sc, d.key or d.name)
            key = spinup_key(sc)
            if i == 0:
                label0 = key
            elif key != label0:
                same = False
        shares_spinup.append(same)  # for a long dim, judged on the labels checked
    if sw.n_points <= FULL_CHECK_POINTS:
        groups: list[tuple[Any, list[int]]] = []
        for point in range(sw.n_points):
            try:
                sc = scenario(point)
            except ScenarioError as e:
                what = f"{e.key}: " if e.key else ""
                where = ", ".join(f"{k} = {v!r}" for k, v in sw.label(point).items())
                raise ScenarioError(sw.source, "axis", f"{what}{e.message} (at {where})") from None
            check(sc, "axis")
            key = spinup_key(sc)
            for gkey, members in groups:
                if gkey == key:
                    members.append(point)
                    break
            else:
                groups.append((key, [point]))
        return tuple(tuple(m) for _, m in groups)
    by_label: dict[tuple[int, ...], list[int]] = {}
    for point in range(sw.n_points):
        idx = sw.index(point)
        by_label.setdefault(
            tuple(i for i, same in zip(idx, shares_spinup, strict=True) if not same), []
        ).append(point)
    return tuple(tuple(m) for m in by_label.values())


def load_sweep(
    path: str | os.PathLike[str],
    *,
    replicates: int | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Sweep:
    """Read and check a sweep file.

    Args:
        path: The sweep TOML file (``extends`` works as for scenarios).
        replicates: Replicates per point (overrides the file's).
        overrides: Dotted overrides applied to every point after the file's ``set``.

    Raises:
        ScenarioError: One line naming the file, the key and what is allowed.
    """
    path = Path(path)
    doc = read_toml(path)
    spec: SweepFile = build(SweepFile, doc)
    where = str(path)
    here = path.parent
    name = spec.name or path.stem
    if not _NAME_RE.match(name.replace("-", "_")):
        raise ScenarioError(
            doc.origin("name"),
            "name",
            f"{name!r}: use letters, digits, - and _ (it names the output file)",
        )
    file_set = flatten_overrides(spec.set)
    fixed = dict(file_set)
    fixed.update(dict(overrides or {}))

    def load(ref: str, key: str) -> Scenario:
        p = here / ref
        if not p.is_file():
            raise ScenarioError(doc.origin(key), key, f"scenario file {str(p)!r} does not exist")
        try:
            return load_scenario(p, fixed)
        except ScenarioError as e:
            if e.file == "override" and e.key in file_set:
                raise ScenarioError(
                    doc.origin("set"), f"set.{e.key}" if e.key else "set", e.message
                ) from None
            raise

    if spec.base is not None and spec.scenarios is not None:
        raise ScenarioError(where, "scenarios", "give either base or scenarios, not both")
    dims: list[Dim] = []
    base: Scenario | None = None
    if spec.scenarios is not None:
        if not spec.scenarios:
            raise ScenarioError(
                doc.origin("scenarios"), "scenarios", "needs at least one scenario file"
            )
        scs = [load(ref, f"scenarios[{i}]") for i, ref in enumerate(spec.scenarios)]
        seen: dict[str, int] = {}
        for i, sc in enumerate(scs):
            if sc.name in seen:
                raise ScenarioError(
                    doc.origin("scenarios"),
                    f"scenarios[{i}]",
                    f"scenario name {sc.name!r} repeats scenarios[{seen[sc.name]}]; "
                    "names label the scenario dim",
                )
            seen[sc.name] = i
        dims.append(scenario_dim(scs, spec.scenarios, key="scenarios"))
        first = scs[0]
    elif spec.base is not None:
        base = first = load(spec.base, "base")
    else:
        raise ScenarioError(
            where,
            "base",
            'missing: the base scenario, e.g. base = "../plan.toml" (or scenarios = [...])',
        )

    for i, ax in enumerate(spec.axis):
        key = f"axis[{i}]"
        if (ax.values is None) == (ax.scale is None):
            raise ScenarioError(
                doc.origin(key), key, "give exactly one of values = [...] or scale = [...]"
            )
        vals = ax.values if ax.values is not None else ax.scale
        assert vals is not None
        if not vals:
            raise ScenarioError(
                doc.origin(key),
                f"{key}.{'values' if ax.values is not None else 'scale'}",
                "needs at least one value",
            )
        if ax.values is not None:
            for j, v in enumerate(ax.values):
                if isinstance(v, (Mapping, list)) and ax.labels is None:
                    raise ScenarioError(
                        doc.origin(key),
                        f"{key}.values[{j}]",
                        "a table or array value needs labels = [...] to name it on the axis",
                    )
        if ax.labels is not None and len(ax.labels) != len(vals):
            raise ScenarioError(
                doc.origin(key),
                f"{key}.labels",
                f"expected {len(vals)} labels (one per value), got {len(ax.labels)}",
            )
        dims.append(
            grid_dim(ax.path, ax.values, scale=ax.scale, name=ax.name, labels=ax.labels, key=key)
        )

    if spec.lhs is not None:
        lhs = spec.lhs
        if not lhs.parameter:
            raise ScenarioError(
                doc.origin("lhs"), "lhs.parameter", "needs at least one [[lhs.parameter]]"
            )
        params, bounds = [], []
        for j, prm in enumerate(lhs.parameter):
            key = f"lhs.parameter[{j}]"
            if not prm.high > prm.low:
                raise ScenarioError(
                    doc.origin(key),
                    f"{key}.high",
                    f"must exceed low ({prm.low!r}); got {prm.high!r}",
                )
            params.append(
                (
                    prm.path,
                    prm.name or dim_name(prm.path) + ("_scale" if prm.relative else ""),
                    prm.relative,
                )
            )
            bounds.append((prm.low, prm.high))
        cnames = [c for _, c, _ in params]
        if len(set(cnames)) != len(cnames):
            raise ScenarioError(
                doc.origin("lhs"),
                "lhs.parameter",
                f"parameter names repeat: {cnames}; give them names",
            )
        lseed = (
            lhs.seed
            if lhs.seed is not None
            else (spec.seed if spec.seed is not None else first.seed)
        )
        unit = lhs_unit(lhs.samples, len(params), lseed)
        dims.append(sample_dim(params, unit, bounds, base=first, name=lhs.name, key="lhs"))

    if not dims:
        raise ScenarioError(
            where,
            "axis",
            "nothing to sweep: add [[axis]] tables, an [lhs] table or scenarios = [...]",
        )
    return make_sweep(
        dims,
        base=base,
        name=name,
        replicates=replicates if replicates is not None else spec.replicates,
        seed=spec.seed,
        text=path.read_text(encoding="utf-8"),
        source=where,
        description=spec.description,
        batch_size=spec.batch_size,
        overrides=dict(overrides or {}),
    )


# ------------------------------------------------------------------------- pieces on disk


Arrays = dict[str, np.ndarray]


class _MemoryStore:
    """Finished tasks kept in memory (no output folder)."""

    def __init__(self) -> None:
        self.pieces: dict[Task, dict[int, Arrays]] = {}

    def done(self) -> set[Task]:
        return set(self.pieces)

    def save(self, task: Task, arrays: dict[int, Arrays]) -> None:
        self.pieces[task] = arrays

    def load(self, task: Task) -> dict[int, Arrays]:
        return self.pieces[task]

    def finish(self) -> None:
        self.pieces.clear()


class _FolderStore:
    """Finished tasks as ``.npz`` pieces in ``DIR/<name>.parts``, each written atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def done(self) -> set[Task]:
        out = set()
        if self.folder.is_dir():
            for p in self.folder.iterdir():
                m = _PIECE_RE.match(p.name)
                if m:
                    out.add(Task(int(m.group(1)), int(m.group(2)), int(m.group(3))))
        return out

    def save(self, task: Task, arrays: dict[int, Arrays]) -> None:
        flat = {f"p{point}.{k}": v for point, arrs in arrays.items() for k, v in arrs.items()}
        _atomic_write(self.folder / task.filename, lambda fh: np.savez(fh, **flat))

    def load(self, task: Task) -> dict[int, Arrays]:
        path = self.folder / task.filename
        out: dict[int, Arrays] = {}
        try:
            with np.load(path, allow_pickle=False) as z:
                for key in z.files:
                    point, _, name = key.partition(".")
                    out.setdefault(int(point[1:]), {})[name] = z[key]
        except (OSError, ValueError) as e:
            raise ScenarioError(
                str(path), "", f"unreadable piece ({e}); delete it and resume to recompute it"
            ) from None
        for arrs in out.values():
            if "output" not in arrs or arrs["output"].shape[0] != task.runs:
                raise ScenarioError(
                    str(path),
                    "",
                    "piece does not hold the replicates its name says; delete it and resume",
                )
        return out

    def finish(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _atomic_write(path: Path, write: Callable[[Any], None]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _manifest(sw: Sweep, layout: Layout) -> dict[str, Any]:
    return {
        "format": PARTS_FORMAT,
        "sweep": sw.name,
        "digest": sw.digest,
        "code_version": code_version(),
        "layout": layout.to_json(),
        "replicates": sw.replicates,
        "seed": sw.seed,
        "points": sw.n_points,
        "source": sw.source,
        "overrides": {k: _jsonable(v) for k, v in sw.overrides.items()},
        "text": sw.text,
    }


def _open_parts(sw: Sweep, folder: Path, layout: Layout, resume: bool) -> Layout:
    """Prepare the pieces folder; return the layout to use (a resumed run keeps its own)."""
    mpath = folder / MANIFEST
    if folder.exists() and any(folder.iterdir()):
        if not resume:
            raise ScenarioError(
                str(folder),
                "",
                "holds pieces of an unfinished run of this sweep: add --resume (resume=True) "
                "to continue it, or delete the folder to start over",
            )
        try:
            old = json.loads(mpath.read_text(encoding="utf-8"))
            old_layout = Layout.from_json(old["layout"])
        except (OSError, ValueError, KeyError, TypeError):
            raise ScenarioError(
                str(mpath),
                "",
                "missing or unreadable: cannot tell which sweep these pieces belong to; "
                "delete the folder to start over",
            ) from None
        if old.get("format") != PARTS_FORMAT or old.get("digest") != sw.digest:
            new = _manifest(sw, layout)
            changed = [
                f"{k} {old.get(k)} -> {new[k]}"
                for k in ("replicates", "seed", "points")
                if old.get(k) != new[k]
            ]
            detail = "; ".join(changed) or "scenario files, overrides or axes differ"
            raise ScenarioError(
                sw.source,
                "",
                f"the sweep changed since {folder} was written ({detail}): "
                "--resume would mix two sweeps; restore the sweep, "
                "or delete the folder to start over",
            )
        if old.get("code_version") != code_version():
            raise ScenarioError(
                str(folder),
                "",
                f"pieces were computed by code {old.get('code_version')}, "
                f"this is {code_version()}: resuming would mix model versions; "
                "delete the folder to start over",
            )
        if sorted(p for c in old_layout.chunks for p in c) != list(range(sw.n_points)):
            raise ScenarioError(
                str(mpath), "", "layout does not cover the sweep's points; delete the folder"
            )
        for stale in folder.glob(".*.tmp"):  # half-written pieces of a killed process
            stale.unlink(missing_ok=True)
        return old_layout
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_manifest(sw, layout), indent=1, ensure_ascii=False)
    _atomic_write(mpath, lambda fh: fh.write(text.encode("utf-8")))
    return layout


# ------------------------------------------------------------------------- executors


def _ignore_sigint() -> None:
    # Ctrl-C is the parent's business: it stops the pool; workers must not print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


Job = tuple[Task, tuple[int, ...], list[Scenario]]


def _run_task(job: Job) -> tuple[Task, dict[int, Arrays]]:
    """Simulate a task: its points' replicates, one spin-up per group of equal ``spinup_key``."""
    from model._model import spinup_key
    from model._run import simulate_points_batch

    task, points, scenarios = job
    groups: list[tuple[Scenario, list[int]]] = []
    for i, sc in enumerate(scenarios):
        key = spinup_key(sc)
        for gkey, members in groups:
            if gkey == key:
                members.append(i)
                break
        else:
            groups.append((key, [i]))
    out: dict[int, Arrays] = {}
    for _, members in groups:
        arrays = simulate_points_batch([scenarios[i] for i in members], task.replicates)
        for i, arrs in zip(members, arrays, strict=True):
            out[points[i]] = arrs
    return task, out


def _serial(jobs: Iterable[Job]) -> Iterator[tuple[Task, dict[int, Arrays]]]:
    for job in jobs:
        yield _run_task(job)


def _processes(jobs: Iterable[Job], workers: int) -> Iterator[tuple[Task, dict[int, Arrays]]]:
    ctx = multiprocessing.get_context("spawn")
    pool = ctx.Pool(workers, initializer=_ignore_sigint)
    try:
        yield from pool.imap_unordered(_run_task, jobs, chunksize=1)
    finally:
        # Every result is in (or the sweep was interrupted): stop the workers at once.
        pool.terminate()
        pool.join()


def _dask(jobs: Iterable[Job], client: Any) -> Iterator[tuple[Task, dict[int, Arrays]]]:
    from distributed import as_completed

    futures = []
    try:
        # Keep a window of tasks in flight rather than every scenario on the scheduler.
        window = max(2 * sum(client.nthreads().values()), 4)
        it = iter(jobs)
        futures = [client.submit(_run_task, j, pure=False) for j in itertools.islice(it, window)]
        pending = as_completed(futures, loop=client.loop)
        for fut in pending:
            result = fut.result()
            futures.remove(fut)
            fut.release()
            nxt = next(it, None)
            if nxt is not None:
                new = client.submit(_run_task, nxt, pure=False)
                futures.append(new)
                pending.add(new)
            yield result
    finally:
        if futures:
            client.cancel(futures)


# ------------------------------------------------------------------------- running


def sweep(
    spec: Sweep | str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    replicates: int | None = None,
    overrides: Mapping[str, object] | None = None,
    workers: int = 1,
    scheduler: Any = None,
    resume: bool = False,
    batch_size: int | None = None,
    progress: bool | None = None,
    on_piece: Callable[[Task], None] | None = None,
) -> xr.Dataset:
    """Run every point of a sweep, every replicate, into one labelled dataset.

    Args:
        spec: A sweep file or a :class:`Sweep`.
        out: Output folder: pieces go to ``out/<name>.parts/`` as tasks finish, the result to
            ``out/<name>.nc``. Without it nothing is written (and nothing can be resumed).
        replicates: Replicates per point (overrides the file's).
        overrides: Dotted overrides for every point (after the file's ``set``).
        workers: Local processes (1: in this process).
        scheduler: A dask.distributed scheduler address (``"tcp://host:8786"``) or a
            ``distributed.Client``; excludes ``workers > 1``.
        resume: Continue an interrupted sweep in ``out``: finished tasks are not recomputed.
        batch_size: Replicates per task (default: the file's, else chosen so that every
            worker stays busy, at most ``MAX_BATCH``). Results do not depend on it.
        progress: Progress bar on stderr (default: only when stderr is a terminal).
        on_piece: Called with each :class:`Task` once its piece is stored.

    Returns:
        Dataset with the sweep's dims first (grid axes, ``scenario`` or ``sample``), then
        ``replicate``, ``year`` and the runs' other dims; attributes hold the sweep text, its
        digest, the code version and the seed. Identical for any executor and worker count.
    """
    if isinstance(spec, Sweep):
        sw = spec
        if overrides:
            raise ValueError("overrides apply when loading a sweep file; build the Sweep with them")
        if replicates is not None:
            sw = sw.with_replicates(replicates)
    else:
        sw = load_sweep(spec, replicates=replicates, overrides=overrides)
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if scheduler is not None and workers > 1:
        raise ValueError("give either workers (local processes) or scheduler (dask), not both")
    with _dask_client(scheduler) as client:
        return _run(sw, out, workers, client, resume, batch_size, progress, on_piece)


@contextlib.contextmanager
def _dask_client(scheduler: Any) -> Iterator[Any]:
    """A dask.distributed client for an address (closed afterwards), or the client given."""
    if scheduler is None:
        yield None
        return
    from distributed import Client

    if isinstance(scheduler, Client):
        yield scheduler
        return
    try:
        client = Client(scheduler, set_as_default=False, timeout=30)
    except (OSError, TimeoutError, ValueError) as e:
        raise ScenarioError(
            "--scheduler", str(scheduler), f"cannot connect to the dask scheduler: {e}"
        ) from None
    try:
        yield client
    finally:
        client.close()


def _run(
    sw: Sweep,
    out: str | os.PathLike[str] | None,
    workers: int,
    client: Any,
    resume: bool,
    batch_size: int | None,
    progress: bool | None,
    on_piece: Callable[[Task], None] | None,
) -> xr.Dataset:
    # On a cluster, cut enough tasks for all its threads.
    slots = max(1, sum(client.nthreads().values())) if client is not None else workers
    layout = sw.layout(slots, batch_size)

    final: Path | None = None
    store: _MemoryStore | _FolderStore
    if out is not None:
        out = Path(out)
        final = out / f"{sw.name}.nc"
        folder = out / f"{sw.name}.parts"
        if resume and final.is_file() and not folder.exists():
            done = _finished_result(final, sw)
            if done is not None:
                return done
        layout = _open_parts(sw, folder, layout, resume)
        store = _FolderStore(folder)
        if resume:  # a result half-written by a killed process
            for stale in out.glob(f".{final.name}.*.tmp"):
                stale.unlink(missing_ok=True)
    else:
        if resume:
            raise ValueError("resume needs an output folder")
        store = _MemoryStore()

    tasks = layout.tasks(sw.replicates)
    expected = set(tasks)
    have = store.done()
    stray = have - expected
    if stray:
        raise ScenarioError(
            str(getattr(store, "folder", "")),
            "",
            f"{len(stray)} piece(s) do not belong to this sweep's tasks "
            "(was the manifest changed by hand?); delete the folder to start over",
        )
    todo = [t for t in tasks if t not in have]
    total_runs = sw.n_points * sw.replicates

    def runs(t: Task) -> int:
        return t.runs * len(layout.chunks[t.chunk])

    def jobs() -> Iterator[Job]:
        for t in todo:
            points = layout.chunks[t.chunk]
            yield t, points, [sw.scenario(p) for p in points]

    from tqdm import tqdm

    bar = tqdm(
        total=total_runs,
        initial=sum(runs(t) for t in have),
        unit="run",
        desc=sw.name,
        file=sys.stderr,
        disable=(None if progress is None else not progress),
        dynamic_ncols=True,
        smoothing=0.05,
    )
    try:
        if todo:
            if client is not None:
                results = _dask(jobs(), client)
            elif workers > 1 and len(todo) > 1:
                results = _processes(jobs(), min(workers, len(todo)))
            else:
                results = _serial(jobs())
            with contextlib.closing(results):  # type: ignore[type-var]
                for task, arrays in results:
                    store.save(task, arrays)
                    bar.update(runs(task))
                    if on_piece is not None:
                        on_piece(task)
    finally:
        bar.close()

    ds = assemble(sw, layout, {t: store.load(t) for t in tasks})
    if final is not None:
        write_sweep(ds, final)
    store.finish()
    return ds


def _finished_result(final: Path, sw: Sweep) -> xr.Dataset | None:
    try:
        with xr.open_dataset(final, engine="h5netcdf") as f:
            if (
                f.attrs.get("sweep_digest") != sw.digest
                or f.attrs.get("code_version") != code_version()
            ):
                return None
            return f.load()
    except (OSError, ValueError):
        return None


def write_sweep(ds: xr.Dataset, path: str | os.PathLike[str]) -> Path:
    """Write a sweep result (netCDF4, atomically); booleans stay boolean (xarray encodes them)."""
    from model._run import write_netcdf

    return write_netcdf(ds, path)


# ------------------------------------------------------------------------- assembling


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


def assemble(sw: Sweep, layout: Layout, pieces: Mapping[Task, dict[int, Arrays]]) -> xr.Dataset:
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
            {k: _jsonable(v) for k, v in sw.overrides.items()}, ensure_ascii=False
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
    for k in ("base_year", "money", "cnc_share_in_smart_equipment"):
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


def sweep_text_of(sw: Sweep) -> str:
    """The sweep as TOML-like text (for a sweep made in Python)."""
    rows: dict[str, Any] = {"name": sw.name, "replicates": sw.replicates, "seed": sw.seed}
    if sw.base is not None:
        rows["base"] = sw.base.name
    rows["dim"] = [{"name": d.name, "size": d.size} for d in sw.dims]
    return dumps_toml(rows)
