"""A sweep's points: dims of labels and settings, and the scenario each point resolves to."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, get_type_hints

import numpy as np

from model.config.errors import ScenarioError, suggest
from model.config.params import Scenario
from model.config.schedule import Schedule
from model.config.schema import build
from model.config.toml import apply_overrides, to_dict

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
        """Number of labels (points along this dim)."""
        return len(self.labels)


def jsonable(v: Any) -> Any:
    """A value in plain JSON/TOML types (schedules as their TOML form, numpy scalars as numbers)."""
    if isinstance(v, Schedule):
        return v.to_toml_value()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, Mapping):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return v


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
                raise KeyError(f"no key {part!r} in {type(obj).__name__}" + suggest(part, names))
            obj = getattr(obj, part)
        elif isinstance(obj, Mapping):
            if part not in obj:
                raise KeyError(f"no key {part!r}" + suggest(part, [str(k) for k in obj]))
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


def build_point(
    base: Scenario, settings: Sequence[Setting], seed: int, replicates: int
) -> Scenario:
    """A point's scenario: the base with the point's settings, seed and replicates applied."""
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
                overrides[s.path] = jsonable(s.value)
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
