"""Every number in the shipped region and scenario files says where it comes from."""

import dataclasses
from pathlib import Path

import pytest

from model.config.params import Region, Scenario
from model.config.schedule import Schedule
from model.config.toml import read_toml

ROOT = Path(__file__).resolve().parents[1]
STRUCTURAL = {"year", "brochure_size", "niches", "validity_years"}


def _numeric_fields(table: dict, path: str) -> list[tuple[str, str]]:
    """(dotted path, key) of every number or number list in a TOML table, tables excluded."""
    found = []
    for key, value in table.items():
        if key == "source":
            continue
        if isinstance(value, dict) and not all(
            isinstance(k, str) and k[:4].isdigit() for k in value
        ):
            if key in ("national_demand_growth", "export_demand_growth", "budget_bn_yuan"):
                found.append((path, key))  # a table of numbers (paths, payers): one source
            else:
                found += _numeric_fields(value, f"{path}.{key}" if path else key)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for i, row in enumerate(value):
                found += _numeric_fields(row, f"{path}.{key}[{row.get('id', i)}]")
        elif isinstance(value, bool | str):
            continue
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            continue  # ids (sectors of a chain, segment names): structure, not numbers
        elif isinstance(value, int | float | list | dict):
            found.append((path, key))
    return found


def _sources(table: dict, path: str) -> dict[str, dict]:
    out = {path: table.get("source", {})}
    for key, value in table.items():
        if isinstance(value, dict) and key != "source":
            out.update(_sources(value, f"{path}.{key}" if path else key))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for i, row in enumerate(value):
                out.update(_sources(row, f"{path}.{key}[{row.get('id', i)}]"))
    return out


@pytest.mark.parametrize(
    "path",
    [
        "scenarios/regions/zhejiang.toml",
        "scenarios/defaults.toml",
        "scenarios/regions/shandong.toml",
        "scenarios/shandong/plan.toml",
    ],
    ids=lambda p: Path(p).name,
)
def test_every_number_has_a_source(path: str) -> None:
    data = read_toml(ROOT / path).data
    sources = _sources(data, "")
    missing = [
        f"{table}.{key}" if table else key
        for table, key in _numeric_fields(data, "")
        if key not in sources.get(table, {})
        and key not in STRUCTURAL
        and key not in ("start_year", "end_year", "replicates", "seed")
    ]
    assert not missing, f"{path}: numbers without a source: {missing}"


def test_sources_name_a_seed_facts_row_or_assumption() -> None:
    data = read_toml(ROOT / "scenarios/regions/zhejiang.toml").data
    for table, entries in _sources(data, "").items():
        for key, text in entries.items():
            assert any(
                w in text
                for w in (
                    "seed",
                    "FACTS.md",
                    "assumption",
                    "derived",
                    "calibrated",
                    "structural",
                    "not used",
                    "DESIGN.md",
                    "NBS",
                    "annual report",
                    "docs/sources/",
                )
            ), (
                f"{table}.{key}: source {text!r} names no seed, FACTS.md row, derivation "
                "or assumption"
            )


def test_schedules_and_dataclasses_exist() -> None:
    # Guards the walker above against schema changes that would make it vacuous.
    assert dataclasses.is_dataclass(Region) and dataclasses.is_dataclass(Scenario)
    assert Schedule.constant(1.0).at(2024) == 1.0
