"""Validating parsed TOML against the schema dataclasses and building them (:func:`build`).

The users who write these files are economists, not programmers, so every mistake is
reported as a single :class:`~model.config.errors.ScenarioError` line naming the file, the
dotted key and what would have been accepted.

Conventions for schema authors:

* Schemas are (usually frozen) dataclasses; field types are resolved with
  :func:`typing.get_type_hints`, so classes must be importable at module level.
* ``field(metadata={"range": (lo, hi), "unit": "...", "doc": "..."})``: ``range`` is
  inclusive, either end may be ``None``; it applies to plain numbers, to every value of a
  :class:`~model.config.schedule.Schedule` and to every element of a tuple/list/dict of numbers.
* A table accepts a ``source`` sub-table (where each number came from) only if its
  dataclass declares ``source: dict[str, str] = field(default_factory=dict)``. Its keys
  must name sibling fields, its values must be strings; it is stored like any other field
  and :func:`sources_of` returns it.
* ``__post_init__`` may raise :class:`ValueError` for cross-field checks; the message is
  reported against the table's dotted key.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import os
import re
import types
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

from model.config.errors import ScenarioError, is_number, literal_repr, show_value, suggest
from model.config.schedule import ALWAYS, Schedule, format_date_key, parse_date_key
from model.config.toml import (
    DEFAULT_ORIGIN,
    SOURCE_FIELD,
    TomlDoc,
    apply_overrides,
    element_key,
    join_key,
    read_toml,
)

__all__ = ["build", "describe", "load", "sources_of"]


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
        origin = DEFAULT_ORIGIN
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
            raise self.fail(prefix, f"expected a table, got {show_value(value)}")
        fields = _init_fields(cls)
        names = [f.name for f in fields]
        known = set(names)
        for k in value:
            if k not in known:
                raise self.fail(join_key(prefix, k), "unknown key" + suggest(k, names))
        kwargs: dict[str, Any] = {}
        hints = _hints(cls)
        for f in fields:
            key = join_key(prefix, f.name)
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
            raise self.fail(key, f"expected a table of strings, got {show_value(value)}")
        out: dict[str, str] = {}
        for k, v in value.items():
            sub = join_key(key, k)
            if k not in siblings:
                raise self.fail(sub, "not a key of this table" + suggest(k, siblings))
            if not isinstance(v, str):
                raise self.fail(sub, f"expected a string, got {show_value(v)}")
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
                raise self.fail(key, f"expected true or false, got {show_value(value)}")
            return value
        if tp is int:
            if not isinstance(value, int) or isinstance(value, bool):
                raise self.fail(key, f"expected an integer, got {show_value(value)}")
            self.check_range(value, key, rng)
            return value
        if tp is float:
            if not is_number(value):
                raise self.fail(key, f"expected a number, got {show_value(value)}")
            x = float(value)  # type: ignore[arg-type]
            self.check_range(x, key, rng)
            return x
        if tp is str:
            if not isinstance(value, str):
                raise self.fail(key, f"expected a string, got {show_value(value)}")
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
            raise self.fail(key, f"expected {expected}, got {show_value(value)}")
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
        shown = ", ".join(literal_repr(a) for a in allowed)
        hint = ""
        if isinstance(value, str):
            close = difflib.get_close_matches(value, [a for a in allowed if isinstance(a, str)], 1)
            if close:
                hint = f"; did you mean {close[0]!r}?"
        raise self.fail(key, f"{literal_repr(value)} is not allowed{hint} (allowed: {shown})")

    def schedule(self, value: object, key: str, rng: Range | None) -> Schedule:
        if isinstance(value, Schedule):
            sched = value
        elif is_number(value):
            sched = Schedule.constant(float(value))  # type: ignore[arg-type]
        elif isinstance(value, Mapping):
            for k, v in value.items():
                try:
                    parse_date_key(k)
                except ValueError as e:
                    raise self.fail(join_key(key, k), str(e)) from None
                if not is_number(v):
                    raise self.fail(join_key(key, k), f"expected a number, got {show_value(v)}")
            try:
                sched = Schedule.from_dates(value)
            except ValueError as e:
                raise self.fail(key, str(e)) from None
        else:
            raise self.fail(
                key,
                f"expected a number or a table of 'YYYY'/'YYYY-MM' dates, got {show_value(value)}",
            )
        for s, v in sched.points:
            sub = key if s == ALWAYS else join_key(key, format_date_key(s))
            if math.isnan(v):
                raise self.fail(sub, "nan is not allowed")
            self.check_range(v, sub, rng)
        return sched

    def array(self, args: tuple[Any, ...], value: object, key: str, rng: Range | None) -> tuple:
        if not isinstance(value, (list, tuple)):
            raise self.fail(key, f"expected an array, got {show_value(value)}")
        if not args:
            args = (Any, ...)
        if len(args) == 2 and args[1] is Ellipsis:
            types_ = [args[0]] * len(value)
        else:
            if len(value) != len(args):
                raise self.fail(key, f"expected an array of {len(args)} elements, got {len(value)}")
            types_ = list(args)
        return tuple(
            self.convert(t, v, element_key(key, i, v), rng)
            for i, (t, v) in enumerate(zip(types_, value, strict=True))
        )

    def table(self, args: tuple[Any, ...], value: object, key: str, rng: Range | None) -> dict:
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected a table, got {show_value(value)}")
        ktype, vtype = args if args else (str, Any)
        out: dict[Any, Any] = {}
        for k, v in value.items():
            sub = join_key(key, k)
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
        return is_number(value) or isinstance(value, (Mapping, Schedule))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return isinstance(value, Mapping)
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return is_number(value)
    if tp is str:
        return isinstance(value, str)
    if tp in (tuple, list) or origin in (tuple, list):
        return isinstance(value, (list, tuple))
    if tp is dict or origin is dict:
        return isinstance(value, Mapping)
    return False


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
        return "one of " + ", ".join(literal_repr(a) for a in get_args(tp))
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
        key = join_key(prefix, f.name)
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
        return " | ".join(literal_repr(a) for a in args)
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
