"""Strict loading of scenario and region TOML files into frozen dataclasses.

The users who write these files are economists, not programmers, so every mistake is
reported as a single :class:`ScenarioError` line naming the file, the dotted key and what
would have been accepted.

Pipeline::

    doc = read_toml("scenarios/plan.toml")        # follows `extends`, remembers origins
    apply_overrides(doc, {"tax.vat_rate": 0.11})  # optional command-line overrides
    scenario = build(Scenario, doc)               # validate + construct

Conventions for schema authors:

* Schemas are (usually frozen) dataclasses; field types are resolved with
  :func:`typing.get_type_hints`, so classes must be importable at module level.
* ``field(metadata={"range": (lo, hi), "unit": "...", "doc": "..."})``: ``range`` is
  inclusive, either end may be ``None``; it applies to plain numbers, to every value of a
  :class:`Schedule` and to every element of a tuple/list/dict of numbers.
* A table accepts a ``source`` sub-table (where each number came from) only if its
  dataclass declares ``source: dict[str, str] = field(default_factory=dict)``. Its keys
  must name sibling fields, its values must be strings; it is stored like any other field
  and :func:`sources_of` returns it.
* ``__post_init__`` may raise :class:`ValueError` for cross-field checks; the message is
  reported against the table's dotted key.
* Elements of arrays of tables are named ``array.<id>`` in messages and overrides when
  they have a string ``id`` key, ``array[<index>]`` otherwise.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import math
import os
import re
import tomllib
import types
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

import numpy as np

__all__ = [
    "ScenarioError",
    "Schedule",
    "TomlDoc",
    "apply_overrides",
    "build",
    "describe",
    "dumps_toml",
    "load",
    "read_toml",
    "sources_of",
    "to_dict",
]

SOURCE_FIELD = "source"
OVERRIDE_ORIGIN = "override"
_DEFAULT_ORIGIN = "<config>"
# Sentinel start of a constant schedule; real dates give month indices >= 12.
_ALWAYS = -1
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
_BARE_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")


class ScenarioError(Exception):
    """A mistake in a scenario or region file, reported as one line.

    Attributes:
        file: File the offending value came from (or ``"override"``).
        key: Dotted key of the offending value; ``""`` when the whole file is at fault.
        message: What is wrong and what would be allowed.
    """

    def __init__(self, file: str, key: str, message: str) -> None:
        # Passing all three to Exception keeps the error picklable (multiprocessing).
        super().__init__(file, key, message)
        self.file = str(file)
        self.key = key
        self.message = message

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.key) if p]
        return ": ".join([*parts, self.message])


# --------------------------------------------------------------------------- Schedule


@dataclasses.dataclass(frozen=True, slots=True)
class Schedule:
    """A number that may change over time, given by month.

    In TOML either a plain number (constant) or a table whose keys are ``"YYYY"`` or
    ``"YYYY-MM"``; each value applies from the first day of that month until the next key.
    Years before the first key take the first value, so a one-key table behaves like a
    constant (but keeps its date when written back).

    Attributes:
        points: ``(month_index, value)`` pairs, strictly increasing in month index, where
            ``month_index = year * 12 + month - 1``; a constant is ``((-1, value),)``.
    """

    points: tuple[tuple[int, float], ...]

    def __post_init__(self) -> None:
        if not self.points:
            raise ValueError("a schedule needs at least one value")
        starts = [s for s, _ in self.points]
        if any(b <= a for a, b in pairwise(starts)):
            raise ValueError("schedule dates must be strictly increasing")

    @classmethod
    def constant(cls, value: float) -> Schedule:
        """Return a schedule with the same value in every year."""
        return cls(((_ALWAYS, float(value)),))

    @classmethod
    def from_dates(cls, table: Mapping[str, float]) -> Schedule:
        """Build a schedule from ``{"YYYY" or "YYYY-MM": value}``.

        Raises:
            ValueError: If a key is not a valid date, two keys name the same month, or a
                value is not a number.
        """
        points: dict[int, tuple[str, float]] = {}
        for k, v in table.items():
            idx = _parse_date_key(k)
            if idx in points:
                raise ValueError(f"{k!r} names the same month as {points[idx][0]!r}")
            if not _is_number(v):
                raise ValueError(f"{k!r}: expected a number, got {_show(v)}")
            points[idx] = (k, float(v))
        if not points:
            raise ValueError("a schedule table needs at least one 'YYYY' or 'YYYY-MM' key")
        return cls(tuple((i, points[i][1]) for i in sorted(points)))

    @property
    def is_constant(self) -> bool:
        """Whether the schedule was given as a single number."""
        return len(self.points) == 1 and self.points[0][0] == _ALWAYS

    def at(self, year: int) -> float:
        """Return the time-weighted (by month) average value over calendar ``year``."""
        starts = [s for s, _ in self.points]
        first = year * 12
        # Accumulate per segment rather than per month so a value constant over the year
        # comes back exactly, not as a sum of twelve rounded twelfths.
        segments: list[tuple[int, float]] = []
        for m in range(12):
            i = max(bisect_right(starts, first + m) - 1, 0)
            v = self.points[i][1]
            if segments and segments[-1][1] == v:
                segments[-1] = (segments[-1][0] + 1, v)
            else:
                segments.append((1, v))
        if len(segments) == 1:
            return segments[0][1]
        return sum(n * v for n, v in segments) / 12

    def values_for(self, years: Iterable[int]) -> np.ndarray:
        """Return ``at(y)`` for each year as a float64 array."""
        return np.array([self.at(y) for y in years], dtype=np.float64)

    def scaled(self, factor: float) -> Schedule:
        """Return a new schedule with every value multiplied by ``factor``."""
        return Schedule(tuple((s, v * factor) for s, v in self.points))

    def to_toml_value(self) -> float | dict[str, float]:
        """Return the TOML form: a number for a constant, else a table of dates."""
        if self.is_constant:
            return self.points[0][1]
        return {_format_date_key(s): v for s, v in self.points}


def _parse_date_key(key: str) -> int:
    m = _DATE_RE.match(key)
    if not m:
        raise ValueError(f"bad date key {key!r}; expected 'YYYY' or 'YYYY-MM'")
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else 1
    if year < 1 or not 1 <= month <= 12:
        raise ValueError(f"bad date key {key!r}; month must be 01..12 and year >= 0001")
    return year * 12 + month - 1


def _format_date_key(idx: int) -> str:
    year, month0 = divmod(idx, 12)
    return f"{year:04d}" if month0 == 0 else f"{year:04d}-{month0 + 1:02d}"


# --------------------------------------------------------------------------- reading


class TomlDoc:
    """A TOML document merged along its ``extends`` chain, remembering where keys came from.

    Attributes:
        data: The merged content (``extends`` removed).
        files: Files read, the one asked for first, then its parent, and so on.
    """

    def __init__(self, data: dict[str, Any], files: list[Path], origins: dict[str, str]):
        self.data = data
        self.files = files
        self._origins = origins

    def origin(self, dotted_key: str) -> str:
        """Return the file (or ``"override"``) that supplied ``dotted_key``.

        The nearest recorded enclosing key decides, so keys that are missing or were never
        written (e.g. a required key nobody set) are attributed to the table holding them,
        and failing that to the file asked for.
        """
        key = dotted_key
        while key:
            if key in self._origins:
                return self._origins[key]
            key = key[: max(key.rfind("."), key.rfind("["), 0)]
        return str(self.files[0]) if self.files else _DEFAULT_ORIGIN

    def __iter__(self) -> Iterator[Any]:
        # Lets callers that only need the content write `data, files = read_toml(p)`.
        return iter((self.data, self.files))

    def __repr__(self) -> str:
        return f"TomlDoc(files={[str(f) for f in self.files]!r})"


def read_toml(path: str | os.PathLike[str]) -> TomlDoc:
    """Read a TOML file, following ``extends = "parent.toml"`` chains.

    ``extends`` is resolved relative to the file containing it. Tables merge key by key,
    recursively, the child winning; scalars, arrays and arrays of tables are replaced
    whole.

    Raises:
        ScenarioError: On a missing file, a TOML syntax error, a bad ``extends`` value or
            an ``extends`` cycle.
    """
    chain: list[tuple[Path, dict[str, Any]]] = []
    seen: dict[Path, Path] = {}
    current = Path(os.path.normpath(path))
    referrer: Path | None = None
    while True:
        real = current.resolve()
        if real in seen:
            names = " -> ".join(str(p) for p, _ in chain) + f" -> {current}"
            raise ScenarioError(str(referrer), "extends", f"cycle: {names}")
        seen[real] = current
        data = _load_one(current, referrer)
        chain.append((current, data))
        parent = data.pop("extends", None)
        if parent is None:
            break
        if not isinstance(parent, str):
            raise ScenarioError(
                str(current), "extends", f"expected a string (file path), got {_show(parent)}"
            )
        referrer = current
        current = Path(os.path.normpath(current.parent / parent))

    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    # Apply the root ancestor first so each child overrides what came before it.
    for file, data in reversed(chain):
        _merge(merged, data, "", str(file), origins)
    return TomlDoc(merged, [p for p, _ in chain], origins)


def _load_one(path: Path, referrer: Path | None) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        if referrer is None:
            raise ScenarioError(str(path), "", "file not found") from None
        raise ScenarioError(str(referrer), "extends", f"file not found: {path}") from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(str(path), "", f"TOML syntax error: {e}") from None
    except UnicodeDecodeError as e:
        raise ScenarioError(str(path), "", f"not valid UTF-8 text: {e}") from None
    except OSError as e:
        raise ScenarioError(str(path), "", f"cannot read file: {e.strerror or e}") from None


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _elem_key(prefix: str, index: int, elem: object) -> str:
    if isinstance(elem, Mapping) and isinstance(elem.get("id"), str):
        return f"{prefix}.{elem['id']}"
    return f"{prefix}[{index}]"


def _forget(origins: dict[str, str], key: str) -> None:
    for k in [k for k in origins if k == key or k.startswith((key + ".", key + "["))]:
        del origins[k]


def _record(origins: dict[str, str], key: str, value: object, file: str) -> None:
    origins[key] = file
    if isinstance(value, Mapping):
        for k, v in value.items():
            _record(origins, _join(key, k), v, file)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, Mapping):
                _record(origins, _elem_key(key, i, v), v, file)


def _merge(
    dst: dict[str, Any], src: Mapping[str, Any], prefix: str, file: str, origins: dict[str, str]
) -> None:
    for k, v in src.items():
        key = _join(prefix, k)
        if isinstance(v, Mapping) and isinstance(dst.get(k), dict):
            origins[key] = file
            _merge(dst[k], v, key, file, origins)
        else:
            _forget(origins, key)
            dst[k] = copy.deepcopy(v)
            _record(origins, key, v, file)


def apply_overrides(target: TomlDoc | dict[str, Any], overrides: Mapping[str, object]) -> None:
    """Set values by dotted path, in place, e.g. ``{"instruments.rd_bonus.reward_rate": 0.2}``.

    Missing intermediate tables are created, so a misspelt path is reported by
    :func:`build` (as coming from ``"override"`` when ``target`` is a :class:`TomlDoc`).
    A path step into an array of tables selects the element whose ``id`` equals it, or
    else, if it is a number, the element at that index.

    Raises:
        ScenarioError: If a path runs through a value that is not a table, or names an
            array element that does not exist.
    """
    data = target.data if isinstance(target, TomlDoc) else target
    origins = target._origins if isinstance(target, TomlDoc) else {}
    for path, value in overrides.items():
        parts = path.split(".")
        if not all(parts):
            raise ScenarioError(OVERRIDE_ORIGIN, path, "empty key in dotted path")
        container: dict[str, Any] | list[Any] = data
        name = ""
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(container, dict):
                name = _join(name, part)
                if last:
                    _forget(origins, name)
                    container[part] = copy.deepcopy(value)
                    _record(origins, name, value, OVERRIDE_ORIGIN)
                    break
                nxt = container.get(part)
                if nxt is None:
                    nxt = container[part] = {}
                    origins[name] = OVERRIDE_ORIGIN
                elif not isinstance(nxt, (dict, list)):
                    raise ScenarioError(
                        OVERRIDE_ORIGIN, path, f"'{name}' is {_show(nxt)}, not a table"
                    )
                container = nxt
            else:
                idx = _find_element(container, part, name, path)
                name = _elem_key(name, idx, container[idx])
                if last:
                    if not isinstance(value, Mapping):
                        raise ScenarioError(
                            OVERRIDE_ORIGIN, path, "an array element must be replaced by a table"
                        )
                    _forget(origins, name)
                    container[idx] = copy.deepcopy(dict(value))
                    _record(origins, name, value, OVERRIDE_ORIGIN)
                    break
                nxt = container[idx]
                if not isinstance(nxt, dict):
                    raise ScenarioError(OVERRIDE_ORIGIN, path, f"'{name}' is not a table")
                container = nxt


def _find_element(array: list[Any], part: str, name: str, path: str) -> int:
    hits = [i for i, e in enumerate(array) if isinstance(e, Mapping) and e.get("id") == part]
    if len(hits) > 1:
        raise ScenarioError(OVERRIDE_ORIGIN, path, f"several entries of '{name}' have id {part!r}")
    if hits:
        return hits[0]
    if part.isdigit() and int(part) < len(array):
        return int(part)
    ids = [e["id"] for e in array if isinstance(e, Mapping) and isinstance(e.get("id"), str)]
    allowed = f" (ids: {', '.join(ids)})" if ids else f" (indices 0..{len(array) - 1})"
    raise ScenarioError(OVERRIDE_ORIGIN, path, f"no entry {part!r} in '{name}'{allowed}")


# --------------------------------------------------------------------------- building


def build[T](
    cls: type[T],
    data: Mapping[str, Any] | TomlDoc,
    *,
    origin: str | Callable[[str], str] | None = None,
    prefix: str = "",
) -> T:
    """Validate ``data`` against dataclass ``cls`` and construct it, recursively.

    Args:
        cls: The dataclass to build.
        data: A parsed TOML table, or a :class:`TomlDoc` (whose origins are then used).
        origin: File name for messages, or a function from dotted key to file name.
            Defaults to the :class:`TomlDoc`'s origins, else ``"<config>"``.
        prefix: Dotted key of ``data`` within a larger document, for messages.

    Returns:
        The constructed instance.

    Raises:
        ScenarioError: On any unknown, missing, mistyped or out-of-range value, on a bad
            ``source`` table, or when ``__post_init__`` raises :class:`ValueError`.
    """
    if isinstance(data, TomlDoc):
        if origin is None:
            origin = data.origin
        data = data.data
    if origin is None:
        origin = _DEFAULT_ORIGIN
    if isinstance(origin, str):
        name = origin
        origin_fn: Callable[[str], str] = lambda _key: name  # noqa: E731
    else:
        origin_fn = origin
    return _Builder(origin_fn).dataclass(cls, data, prefix)


def load[T](
    cls: type[T], path: str | os.PathLike[str], overrides: Mapping[str, object] | None = None
) -> T:
    """Read ``path`` (following ``extends``), apply ``overrides`` and build ``cls``."""
    doc = read_toml(path)
    if overrides:
        apply_overrides(doc, overrides)
    return build(cls, doc)


def sources_of(obj: object) -> dict[str, str]:
    """Return the ``source`` table of a built object (empty if it declares none)."""
    src = getattr(obj, SOURCE_FIELD, None)
    return dict(src) if isinstance(src, Mapping) else {}


Range = tuple[float | None, float | None]


class _Builder:
    def __init__(self, origin: Callable[[str], str]) -> None:
        self.origin = origin

    def fail(self, key: str, message: str) -> ScenarioError:
        return ScenarioError(self.origin(key), key, message)

    def dataclass(self, cls: type[Any], value: object, prefix: str) -> Any:
        if not isinstance(value, Mapping):
            raise self.fail(prefix, f"expected a table, got {_show(value)}")
        fields = _init_fields(cls)
        names = [f.name for f in fields]
        known = set(names)
        for k in value:
            if k not in known:
                raise self.fail(_join(prefix, k), "unknown key" + _suggest(k, names))
        kwargs: dict[str, Any] = {}
        hints = _hints(cls)
        for f in fields:
            key = _join(prefix, f.name)
            tp = hints[f.name]
            if f.name in value:
                if _is_source_field(f, tp):
                    siblings = [n for n in names if n != SOURCE_FIELD]
                    kwargs[f.name] = self.source(value[f.name], key, siblings)
                else:
                    kwargs[f.name] = self.convert(tp, value[f.name], key, _range_of(f))
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                if _is_optional(tp):
                    kwargs[f.name] = None
                else:
                    raise self.fail(key, "missing required key")
        try:
            return cls(**kwargs)
        except ValueError as e:
            raise self.fail(prefix, str(e)) from e

    def source(self, value: object, key: str, siblings: list[str]) -> dict[str, str]:
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected a table of strings, got {_show(value)}")
        out: dict[str, str] = {}
        for k, v in value.items():
            sub = _join(key, k)
            if k not in siblings:
                raise self.fail(sub, "not a key of this table" + _suggest(k, siblings))
            if not isinstance(v, str):
                raise self.fail(sub, f"expected a string, got {_show(v)}")
            out[k] = v
        return out

    def convert(self, tp: Any, value: object, key: str, rng: Range | None) -> Any:
        origin = get_origin(tp)
        if origin is Annotated:
            return self.convert(get_args(tp)[0], value, key, rng)
        if tp is Any:
            return value
        if origin is Union or origin is types.UnionType:
            return self.union(tp, value, key, rng)
        if origin is Literal:
            return self.literal(tp, value, key)
        if tp is Schedule:
            return self.schedule(value, key, rng)
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            return self.dataclass(tp, value, key)
        if tp is bool:
            if not isinstance(value, bool):
                raise self.fail(key, f"expected true or false, got {_show(value)}")
            return value
        if tp is int:
            if not isinstance(value, int) or isinstance(value, bool):
                raise self.fail(key, f"expected an integer, got {_show(value)}")
            self.check_range(value, key, rng)
            return value
        if tp is float:
            if not _is_number(value):
                raise self.fail(key, f"expected a number, got {_show(value)}")
            x = float(value)  # type: ignore[arg-type]
            self.check_range(x, key, rng)
            return x
        if tp is str:
            if not isinstance(value, str):
                raise self.fail(key, f"expected a string, got {_show(value)}")
            return value
        if tp is tuple or origin is tuple:
            return self.array(get_args(tp), value, key, rng)
        if tp is list or origin is list:
            args = get_args(tp)
            return list(self.array((args[0] if args else Any, ...), value, key, rng))
        if tp is dict or origin is dict:
            return self.table(get_args(tp), value, key, rng)
        # A schema bug, not a user mistake, so it should not look like one.
        raise TypeError(f"unsupported field type {tp!r} for key {key!r}")

    def union(self, tp: Any, value: object, key: str, rng: Range | None) -> Any:
        args = [a for a in get_args(tp) if a is not type(None)]
        if value is None and len(args) < len(get_args(tp)):
            return None
        # Pick the alternative by the shape of the value so nested errors stay specific.
        fitting = [a for a in args if _shape_ok(a, value)]
        if not fitting:
            expected = " or ".join(_expected(a) for a in args)
            raise self.fail(key, f"expected {expected}, got {_show(value)}")
        first: ScenarioError | None = None
        for a in fitting:
            try:
                return self.convert(a, value, key, rng)
            except ScenarioError as e:
                first = first or e
        assert first is not None
        raise first

    def literal(self, tp: Any, value: object, key: str) -> Any:
        allowed = get_args(tp)
        # `True == 1` in Python, so compare types as well as values.
        if any(value == a and type(value) is type(a) for a in allowed):
            return value
        shown = ", ".join(_literal_repr(a) for a in allowed)
        hint = ""
        if isinstance(value, str):
            close = difflib.get_close_matches(value, [a for a in allowed if isinstance(a, str)], 1)
            if close:
                hint = f"; did you mean {close[0]!r}?"
        raise self.fail(key, f"{_literal_repr(value)} is not allowed{hint} (allowed: {shown})")

    def schedule(self, value: object, key: str, rng: Range | None) -> Schedule:
        if isinstance(value, Schedule):
            sched = value
        elif _is_number(value):
            sched = Schedule.constant(float(value))  # type: ignore[arg-type]
        elif isinstance(value, Mapping):
            for k, v in value.items():
                try:
                    _parse_date_key(k)
                except ValueError as e:
                    raise self.fail(_join(key, k), str(e)) from None
                if not _is_number(v):
                    raise self.fail(_join(key, k), f"expected a number, got {_show(v)}")
            try:
                sched = Schedule.from_dates(value)
            except ValueError as e:
                raise self.fail(key, str(e)) from None
        else:
            raise self.fail(
                key, f"expected a number or a table of 'YYYY'/'YYYY-MM' dates, got {_show(value)}"
            )
        for s, v in sched.points:
            sub = key if s == _ALWAYS else _join(key, _format_date_key(s))
            if math.isnan(v):
                raise self.fail(sub, "nan is not allowed")
            self.check_range(v, sub, rng)
        return sched

    def array(self, args: tuple[Any, ...], value: object, key: str, rng: Range | None) -> tuple:
        if not isinstance(value, (list, tuple)):
            raise self.fail(key, f"expected an array, got {_show(value)}")
        if not args:
            args = (Any, ...)
        if len(args) == 2 and args[1] is Ellipsis:
            types_ = [args[0]] * len(value)
        else:
            if len(value) != len(args):
                raise self.fail(key, f"expected an array of {len(args)} elements, got {len(value)}")
            types_ = list(args)
        return tuple(
            self.convert(t, v, _elem_key(key, i, v), rng)
            for i, (t, v) in enumerate(zip(types_, value, strict=True))
        )

    def table(self, args: tuple[Any, ...], value: object, key: str, rng: Range | None) -> dict:
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected a table, got {_show(value)}")
        ktype, vtype = args if args else (str, Any)
        out: dict[Any, Any] = {}
        for k, v in value.items():
            sub = _join(key, k)
            if ktype is int:
                # TOML keys are always strings; allow integer keys such as years.
                if not re.fullmatch(r"-?\d+", k):
                    raise self.fail(sub, "expected an integer key")
                dk: Any = int(k)
            else:
                dk = k
            out[dk] = self.convert(vtype, v, sub, rng)
        return out

    def check_range(self, x: float, key: str, rng: Range | None) -> None:
        if x != x:
            raise self.fail(key, "nan is not allowed")
        if rng is None:
            return
        lo, hi = rng
        if (lo is not None and x < lo) or (hi is not None and x > hi):
            raise self.fail(
                key, f"{x!r} is out of range [{_fmt_bound(lo, '-inf')}, {_fmt_bound(hi, 'inf')}]"
            )


def _init_fields(cls: type[Any]) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(cls) if f.init]


@functools.cache
def _hints(cls: type[Any]) -> dict[str, Any]:
    # Resolving annotations is the slow part of building; a schema class never changes.
    return get_type_hints(cls, include_extras=True)


def _is_source_field(f: dataclasses.Field[Any], tp: Any) -> bool:
    return f.name == SOURCE_FIELD and tp == dict[str, str]


def _range_of(f: dataclasses.Field[Any]) -> Range | None:
    rng = f.metadata.get("range")
    if rng is None or rng == (None, None):
        return None
    lo, hi = rng
    return (lo, hi)


def _is_optional(tp: Any) -> bool:
    if get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return get_origin(tp) in (Union, types.UnionType) and type(None) in get_args(tp)


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _shape_ok(tp: Any, value: object) -> bool:
    origin = get_origin(tp)
    if origin is Annotated:
        return _shape_ok(get_args(tp)[0], value)
    if tp is Any:
        return True
    if origin is Union or origin is types.UnionType:
        return any(_shape_ok(a, value) for a in get_args(tp))
    if origin is Literal:
        return any(value == a and type(value) is type(a) for a in get_args(tp))
    if tp is Schedule:
        return _is_number(value) or isinstance(value, (Mapping, Schedule))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return isinstance(value, Mapping)
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return _is_number(value)
    if tp is str:
        return isinstance(value, str)
    if tp in (tuple, list) or origin in (tuple, list):
        return isinstance(value, (list, tuple))
    if tp is dict or origin is dict:
        return isinstance(value, Mapping)
    return False


def _suggest(word: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(word, allowed, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{hint} (allowed: {', '.join(allowed) if allowed else 'none'})"


def _show(v: object) -> str:
    if v is None:
        return "nothing"
    if isinstance(v, bool):
        return f"boolean {'true' if v else 'false'}"
    if isinstance(v, int):
        return f"integer {v}"
    if isinstance(v, float):
        return f"number {v!r}"
    if isinstance(v, str):
        return f"string {v!r}"
    if isinstance(v, Mapping):
        return "a table"
    if isinstance(v, (list, tuple)):
        return "an array"
    return f"{type(v).__name__} {v!s}"


def _literal_repr(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v)


def _fmt_bound(b: float | None, missing: str) -> str:
    if b is None:
        return missing
    if isinstance(b, float) and b.is_integer():
        return str(int(b))
    return repr(b)


def _expected(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Annotated:
        return _expected(get_args(tp)[0])
    if origin is Union or origin is types.UnionType:
        return " or ".join(_expected(a) for a in get_args(tp) if a is not type(None))
    if origin is Literal:
        return "one of " + ", ".join(_literal_repr(a) for a in get_args(tp))
    if tp is Schedule:
        return "a number or a table of dates"
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return "a table"
    simple = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    if tp in simple:
        return simple[tp]
    if tp in (tuple, list) or origin in (tuple, list):
        return "an array"
    if tp is dict or origin is dict:
        return "a table"
    return repr(tp)


# --------------------------------------------------------------------------- describe


DescribeRow = tuple[str, str, Any, str, str, Range | None]


def describe(cls: type[Any], prefix: str = "") -> list[DescribeRow]:
    """List every key a schema accepts, for generating documentation.

    Rows are ``(dotted_key, type_str, default, unit, doc, range)``; ``default`` is
    :data:`dataclasses.MISSING` for required keys. Nested tables get a row of their own
    followed by their fields; elements of arrays of tables appear as ``key[].field`` and
    values of tables of tables as ``key.*.field``. ``source`` fields are left out.
    """
    rows: list[DescribeRow] = []
    hints = _hints(cls)
    for f in _init_fields(cls):
        tp = hints[f.name]
        if _is_source_field(f, tp):
            continue
        key = _join(prefix, f.name)
        if f.default is not dataclasses.MISSING:
            default: Any = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = dataclasses.MISSING
        meta = f.metadata
        rows.append(
            (key, _type_str(tp), default, meta.get("unit", ""), meta.get("doc", ""), _range_of(f))
        )
        inner, suffix = _nested_dataclass(tp)
        if inner is not None:
            rows.extend(describe(inner, key + suffix))
    return rows


def _nested_dataclass(tp: Any) -> tuple[type[Any] | None, str]:
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is Annotated:
        return _nested_dataclass(args[0])
    if origin is Union or origin is types.UnionType:
        for a in args:
            found = _nested_dataclass(a)
            if found[0] is not None:
                return found
        return None, ""
    if tp is not Schedule and isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return tp, ""
    if origin in (tuple, list) and args:
        inner, suffix = _nested_dataclass(args[0])
        return inner, "[]" + suffix
    if origin is dict and len(args) == 2:
        inner, suffix = _nested_dataclass(args[1])
        return inner, ".*" + suffix
    return None, ""


def _type_str(tp: Any) -> str:
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is Annotated:
        return _type_str(args[0])
    if origin is Union or origin is types.UnionType:
        rest = [a for a in args if a is not type(None)]
        s = " | ".join(_type_str(a) for a in rest)
        return f"{s} (optional)" if len(rest) < len(args) else s
    if origin is Literal:
        return " | ".join(_literal_repr(a) for a in args)
    if tp is Schedule:
        return "number or schedule"
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return "table"
    simple = {bool: "bool", int: "int", float: "number", str: "string", Any: "any"}
    if tp in simple:
        return simple[tp]
    if origin in (tuple, list):
        if len(args) == 2 and args[1] is Ellipsis:
            return f"array of {_type_str(args[0])}"
        if origin is list and args:
            return f"array of {_type_str(args[0])}"
        return "array [" + ", ".join(_type_str(a) for a in args) + "]"
    if origin is dict and len(args) == 2:
        return f"table of {_type_str(args[1])}"
    return getattr(tp, "__name__", repr(tp))


# --------------------------------------------------------------------------- writing


def to_dict(obj: Any) -> Any:
    """Turn a built object back into plain TOML-ready data (the inverse of :func:`build`).

    Dataclasses become tables (``None`` fields and empty ``source`` tables are left out,
    since TOML has no null), schedules become numbers or date tables, tuples become lists.
    """
    if isinstance(obj, Schedule):
        return obj.to_toml_value()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        for f in _init_fields(type(obj)):
            v = getattr(obj, f.name)
            if v is None or (f.name == SOURCE_FIELD and not v):
                continue
            out[f.name] = to_dict(v)
        return out
    if isinstance(obj, Mapping):
        return {str(k): to_dict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    return obj


def dumps_toml(d: Mapping[str, Any]) -> str:
    """Write plain data (as returned by :func:`to_dict`) as TOML text.

    Tables become ``[section]`` headers, lists of tables ``[[section]]``; ``source`` tables
    and schedule date tables are written inline. Values may be tables, lists, strings,
    bools, ints, floats and dates/times.

    Raises:
        TypeError: If a value has no TOML form (e.g. ``None``).
    """
    lines: list[str] = []
    _write_table(d, [], lines, header=None)
    return "\n".join(lines).lstrip("\n") + "\n"


def _write_table(
    table: Mapping[str, Any], path: list[str], lines: list[str], header: str | None
) -> None:
    simple = [(k, v) for k, v in table.items() if not _is_section(k, v)]
    sections = [(k, v) for k, v in table.items() if _is_section(k, v)]
    if header is not None and (simple or not sections or header.startswith("[[")):
        lines.append("")
        lines.append(header)
    for k, v in simple:
        lines.append(f"{_key(k)} = {_inline(v)}")
    for k, v in sections:
        sub = [*path, k]
        dotted = ".".join(_key(p) for p in sub)
        if isinstance(v, Mapping):
            _write_table(v, sub, lines, f"[{dotted}]")
        else:
            for elem in v:
                _write_table(elem, sub, lines, f"[[{dotted}]]")


def _is_section(key: str, value: object) -> bool:
    if isinstance(value, Mapping):
        return not (key == SOURCE_FIELD or _looks_like_schedule(value))
    return (
        isinstance(value, (list, tuple))
        and bool(value)
        and all(isinstance(e, Mapping) for e in value)
    )


def _looks_like_schedule(table: Mapping[str, Any]) -> bool:
    return bool(table) and all(
        isinstance(k, str) and _DATE_RE.match(k) and _is_number(v) for k, v in table.items()
    )


def _key(k: str) -> str:
    return k if _BARE_KEY_RE.match(k) else _string(k)


def _string(s: str) -> str:
    escapes = {
        '"': '\\"',
        "\\": "\\\\",
        "\b": "\\b",
        "\t": "\\t",
        "\n": "\\n",
        "\f": "\\f",
        "\r": "\\r",
    }
    out = []
    for ch in s:
        if ch in escapes:
            out.append(escapes[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _inline(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, Mapping):
        if not v:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_inline(x)}" for k, x in v.items()) + " }"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_inline(x) for x in v) + "]"
    if hasattr(v, "isoformat"):
        return v.isoformat()  # type: ignore[no-any-return]
    raise TypeError(f"cannot write {type(v).__name__} {v!r} as TOML")
