"""TOML files: reading along ``extends`` chains with the origin of every key, overrides, writing.

Pipeline::

    doc = read_toml("scenarios/plan.toml")        # follows `extends`, remembers origins
    apply_overrides(doc, {"tax.vat_rate": 0.11})  # optional command-line overrides
    scenario = build(Scenario, doc)               # validate + construct (model.config.schema)

Elements of arrays of tables are named ``array.<id>`` in messages and overrides when they have
a string ``id`` key, ``array[<index>]`` otherwise.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from model.config.errors import ScenarioError, is_number, show_value
from model.config.schedule import DATE_RE, Schedule

__all__ = [
    "OVERRIDE_ORIGIN",
    "SOURCE_FIELD",
    "TomlDoc",
    "apply_calibrated_region",
    "apply_overrides",
    "is_estimable_path",
    "dumps_toml",
    "read_toml",
    "to_dict",
]

SOURCE_FIELD = "source"
OVERRIDE_ORIGIN = "override"
DEFAULT_ORIGIN = "<config>"
_BARE_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")


class TomlDoc:
    """A TOML document merged along its ``extends`` chain, remembering where keys came from.

    Attributes:
        data: The merged content (``extends`` removed).
        files: Files read, the one asked for first, then its parent, and so on.
        region_estimates: The region file's estimates of the calibrated file the document
            inherits, as a layer (``{section: {field: value, "source": ...}}``), and that
            file's path; empty without one (see :func:`apply_calibrated_region`).
    """

    def __init__(
        self,
        data: dict[str, Any],
        files: list[Path],
        origins: dict[str, str],
        region_estimates: tuple[dict[str, Any], str] = ({}, ""),
    ):
        self.data = data
        self.files = files
        self._origins = origins
        self.region_estimates = region_estimates

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
        return str(self.files[0]) if self.files else DEFAULT_ORIGIN

    def __iter__(self) -> Iterator[Any]:
        # Lets callers that only need the content write `data, files = read_toml(p)`.
        return iter((self.data, self.files))

    def __repr__(self) -> str:
        return f"TomlDoc(files={[str(f) for f in self.files]!r})"


def read_toml(path: str | os.PathLike[str], *, calibrated: bool = True) -> TomlDoc:
    """Read a TOML file, following ``extends = "parent.toml"`` chains.

    ``extends`` is resolved relative to the file containing it. Tables merge key by key,
    recursively, the child winning; scalars, arrays and arrays of tables are replaced
    whole.

    A file with ``calibration = "<file>"`` inherits the estimates of a calibrated-parameters
    file (``calibration/<region>.calibrated.toml``): each ``[[parameter]]``'s ``estimate`` is
    set at its ``path``, with a source naming the file, as if written in the naming file
    right after its own keys (its descendants still override it). ``calibrated=False``
    leaves them out and sets ``calibration = ""`` (the calibration itself starts from the
    uncalibrated values).

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
                str(current), "extends", f"expected a string (file path), got {show_value(parent)}"
            )
        referrer = current
        current = Path(os.path.normpath(current.parent / parent))

    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    # Apply the root ancestor first so each child overrides what came before it.
    # Only the calibration the nearest file names applies (a child's `calibration = ""` opts
    # out of its parent's), right after that file's own keys.
    naming = next((f for f, d in chain if CALIBRATION_KEY in d), None)
    region_estimates: tuple[dict[str, Any], str] = ({}, "")
    for file, data in reversed(chain):
        _merge(merged, data, "", str(file), origins)
        if file is naming:
            layer, region_layer, where = _calibrated_layer(file, data[CALIBRATION_KEY], calibrated)
            _merge(merged, layer, "", where, origins)
            region_estimates = (region_layer, where)
    return TomlDoc(merged, [p for p, _ in chain], origins, region_estimates)


#: The key naming a calibrated-parameters file.
CALIBRATION_KEY = "calibration"
#: Where a calibrated file's region estimates start: ``region.<section>.<field>``.
REGION_PREFIX = "region."


def _calibrated_layer(
    file: Path, ref: object, apply: bool
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The estimates of the calibrated-parameters file ``ref`` (named in ``file``) as layers.

    Returns the scenario's layer, the region file's (``region.<section>.<field>`` estimates,
    set by :func:`apply_calibrated_region` once the region file is read) and where they
    come from.
    """
    if not isinstance(ref, str):
        raise ScenarioError(
            str(file), CALIBRATION_KEY, f'expected a file path or "", got {show_value(ref)}'
        )
    if not ref or not apply:
        return {CALIBRATION_KEY: ""}, {}, str(file)
    target = Path(os.path.normpath(file.parent / ref))
    doc = _load_one(target, file) if target.is_file() else None
    if doc is None:
        raise ScenarioError(str(file), CALIBRATION_KEY, f"file not found: {target}")
    params = doc.get("parameter", [])
    if not isinstance(params, list) or not all(isinstance(q, Mapping) for q in params):
        raise ScenarioError(str(target), "parameter", "expected [[parameter]] tables")
    layer: dict[str, Any] = {CALIBRATION_KEY: ref}
    region_layer: dict[str, Any] = {}
    for i, q in enumerate(params):
        path, est = q.get("path"), q.get("estimate")
        if not isinstance(path, str) or not is_estimable_path(path) or not is_number(est):
            raise ScenarioError(
                str(target),
                f"parameter[{i}]",
                'needs path = "<section>.<field>" (or "region.<section>.<field>") and a '
                "numeric estimate",
            )
        if "fixed_because" in q:
            continue  # held at its value after screening: whatever the files say stands
        section, name = path.removeprefix(REGION_PREFIX).split(".")
        table = (region_layer if path.startswith(REGION_PREFIX) else layer).setdefault(section, {})
        table[name] = est
        se = q.get("se")
        why = f"estimated, s.e. {se:.3g}" if is_number(se) else "estimated"
        table.setdefault(SOURCE_FIELD, {})[name] = f"calibrated ({ref}): {why}"
    return layer, region_layer, str(target)


def is_estimable_path(path: str) -> bool:
    """Whether a calibrated file can carry ``path``.

    ``<section>.<field>`` of the scenario, or ``region.<section>.<field>`` of the region file.
    """
    return path.count(".") == (2 if path.startswith(REGION_PREFIX) else 1)


def apply_calibrated_region(region: TomlDoc, scenario: TomlDoc) -> None:
    """Set the region estimates of the calibrated file ``scenario`` inherits, in place.

    As for the scenario's own estimates, each comes with a source naming the file; the
    overrides of a run still win (they are applied after).
    """
    layer, where = scenario.region_estimates
    _merge(region.data, layer, "", where, region._origins)


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


def join_key(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def element_key(prefix: str, index: int, elem: object) -> str:
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
            _record(origins, join_key(key, k), v, file)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, Mapping):
                _record(origins, element_key(key, i, v), v, file)


def _merge(
    dst: dict[str, Any], src: Mapping[str, Any], prefix: str, file: str, origins: dict[str, str]
) -> None:
    for k, v in src.items():
        key = join_key(prefix, k)
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
                name = join_key(name, part)
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
                        OVERRIDE_ORIGIN, path, f"'{name}' is {show_value(nxt)}, not a table"
                    )
                container = nxt
            else:
                idx = _find_element(container, part, name, path)
                name = element_key(name, idx, container[idx])
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
        for f in dataclasses.fields(type(obj)):
            if not f.init:
                continue
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
        isinstance(k, str) and DATE_RE.match(k) and is_number(v) for k, v in table.items()
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
