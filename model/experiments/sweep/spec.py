"""Sweep files and the resolved :class:`Sweep`: its dims, replicates, seed and spin-up groups."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.config.errors import ScenarioError
from model.config.files import find
from model.config.params import Scenario
from model.config.scenario import load_scenario, scenario_text
from model.config.schema import build
from model.config.toml import apply_overrides, dumps_toml, read_toml, to_dict
from model.experiments.run import default_batch_size
from model.experiments.sweep.points import (
    NAME_RE,
    Dim,
    Setting,
    build_point,
    dim_name,
    flatten_overrides,
    grid_dim,
    jsonable,
    lhs_unit,
    sample_dim,
    scenario_dim,
)
from model.experiments.sweep.tasks import MAX_POINTS_PER_TASK, TaskLayout
from model.outputs.catalogue import RUN_DIMS
from model.simulation.model import spinup_key

#: Format of the pieces folder; a folder of another format is refused on resume.
PARTS_FORMAT = 1


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
        """Number of labels along each dim."""
        return tuple(d.size for d in self.dims)

    @property
    def n_points(self) -> int:
        """Number of points (the product of the dims' sizes)."""
        return math.prod(self.shape)

    def index(self, point: int) -> tuple[int, ...]:
        """Position of a point along each dim."""
        return tuple(int(i) for i in np.unravel_index(point, self.shape)) if self.dims else ()

    def label(self, point: int) -> dict[str, Any]:
        """Coordinate labels of a point, by dim."""
        return {d.name: d.labels[i] for d, i in zip(self.dims, self.index(point), strict=True)}

    def settings(self, point: int) -> tuple[Setting, ...]:
        """The overrides a point applies to its base scenario."""
        out: list[Setting] = []
        for d, i in zip(self.dims, self.index(point), strict=True):
            out.extend(d.settings[i])
        return tuple(out)

    def base_of(self, point: int) -> Scenario:
        """The scenario a point starts from (its ``scenario`` label's, else the base)."""
        for d, i in zip(self.dims, self.index(point), strict=True):
            if d.bases is not None:
                return d.bases[i]
        assert self.base is not None
        return self.base

    def scenario(self, point: int) -> Scenario:
        """The resolved scenario of a point (the sweep's seed and replicates)."""
        return build_point(self.base_of(point), self.settings(point), self.seed, self.replicates)

    def with_replicates(self, replicates: int) -> Sweep:
        """The same sweep with another number of replicates."""
        return dataclasses.replace(self, replicates=int(replicates))

    # ----------------------------------------------------------------- tasks
    def layout(self, workers: int = 1, batch_size: int | None = None) -> TaskLayout:
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
        return TaskLayout(tuple(chunks), int(batch))

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
                    "labels": [jsonable(v) for v in d.labels],
                    "settings": [
                        [[s.path, jsonable(s.value), s.scale] for s in st] for st in d.settings
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
        if not NAME_RE.match(d.name):
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
        if len(set(map(label_key, d.labels))) != d.size:
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


def label_key(v: Any) -> Any:
    """A label as a dict key that tells ``True`` from ``1``."""
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
    path = find(path)
    doc = read_toml(path)
    spec: SweepFile = build(SweepFile, doc)
    where = str(path)
    here = path.parent
    name = spec.name or path.stem
    if not NAME_RE.match(name.replace("-", "_")):
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


def sweep_text_of(sw: Sweep) -> str:
    """The sweep as TOML-like text (for a sweep made in Python)."""
    rows: dict[str, Any] = {"name": sw.name, "replicates": sw.replicates, "seed": sw.seed}
    if sw.base is not None:
        rows["base"] = sw.base.name
    rows["dim"] = [{"name": d.name, "size": d.size} for d in sw.dims]
    return dumps_toml(rows)
