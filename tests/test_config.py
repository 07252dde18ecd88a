"""Tests for the strict TOML -> dataclass loader in model._config."""

from __future__ import annotations

import dataclasses
import pickle
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pytest

from model.config.errors import ScenarioError
from model.config.schedule import Schedule
from model.config.schema import build, describe, load, sources_of
from model.config.toml import apply_overrides, dumps_toml, read_toml, to_dict

# ----------------------------------------------------------------- toy schema


@dataclass(frozen=True, slots=True)
class RdBonus:
    reward_rate: float = field(
        default=0.1, metadata={"range": (0, 1), "unit": "share", "doc": "share rewarded"}
    )
    cap: float = 1e6
    mode: Literal["flat", "progressive"] = "flat"
    source: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Instruments:
    rd_bonus: RdBonus = field(default_factory=RdBonus)
    tax: Schedule = field(
        default_factory=lambda: Schedule.constant(0.25), metadata={"range": (0.0, 1.0)}
    )


@dataclass(frozen=True, slots=True)
class Sector:
    id: str
    markup: float = field(metadata={"range": (0.0, None)})
    n_firms: int = 10
    source: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Shares:
    a: float
    b: float

    def __post_init__(self) -> None:
        if abs(self.a + self.b - 1.0) > 1e-9:
            raise ValueError(f"shares must sum to 1, sum to {self.a + self.b:g}")


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    start_year: int = field(metadata={"range": (1990, 2100)})
    instruments: Instruments = field(default_factory=Instruments)
    sector: tuple[Sector, ...] = ()
    shares: Shares | None = None
    weights: dict[str, float] = field(default_factory=dict)
    window: tuple[int, int] = (2024, 2030)
    tags: tuple[str, ...] = ()
    note: str | None = None
    enabled: bool = True
    growth: dict[str, Schedule] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def err(cls: type, text: str, file: str = "plan.toml") -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        build(cls, tomllib.loads(text), origin=file)
    return info.value


MINIMAL = 'name = "x"\nstart_year = 2024\n'


# ----------------------------------------------------------------- ScenarioError


def test_error_str_and_pickle() -> None:
    e = ScenarioError("a.toml", "x.y", "bad")
    assert str(e) == "a.toml: x.y: bad"
    assert (e.file, e.key, e.message) == ("a.toml", "x.y", "bad")
    assert str(ScenarioError("a.toml", "", "bad")) == "a.toml: bad"
    e2 = pickle.loads(pickle.dumps(e))
    assert str(e2) == str(e) and e2.key == "x.y"


# ----------------------------------------------------------------- extends


@pytest.fixture
def chain(tmp_path: Path) -> Path:
    write(
        tmp_path / "base" / "root.toml",
        """
name = "root"
start_year = 2024
tags = ["a", "b"]
[instruments.rd_bonus]
reward_rate = 0.3
cap = 5.0
[[sector]]
id = "cars"
markup = 0.2
""",
    )
    write(
        tmp_path / "base" / "mid.toml",
        """
extends = "root.toml"
[instruments.rd_bonus]
mode = "progressive"
""",
    )
    return write(
        tmp_path / "scenarios" / "plan.toml",
        """
extends = "../base/mid.toml"
name = "plan"
tags = ["c"]
[instruments.rd_bonus]
reward_rate = 0.5
""",
    )


def test_extends_chain_merges(chain: Path) -> None:
    doc = read_toml(chain)
    assert "extends" not in doc.data
    assert [p.name for p in doc.files] == ["plan.toml", "mid.toml", "root.toml"]
    s = build(Scenario, doc)
    assert s.name == "plan"
    assert s.start_year == 2024  # kept from the root
    assert s.tags == ("c",)  # arrays replaced whole
    rb = s.instruments.rd_bonus
    assert (rb.reward_rate, rb.cap, rb.mode) == (0.5, 5.0, "progressive")
    assert s.sector == (Sector("cars", 0.2),)
    assert doc.origin("instruments.rd_bonus.cap").endswith("root.toml")
    assert doc.origin("instruments.rd_bonus.mode").endswith("mid.toml")
    assert doc.origin("instruments.rd_bonus.reward_rate").endswith("plan.toml")
    assert doc.origin("sector.cars.markup").endswith("root.toml")
    data, files = read_toml(chain)  # tuple-style unpacking also works
    assert data == doc.data and files == doc.files


def test_array_of_tables_replaced_whole(tmp_path: Path) -> None:
    write(
        tmp_path / "p.toml", '[[sector]]\nid = "a"\nmarkup = 1\n[[sector]]\nid = "b"\nmarkup = 2\n'
    )
    child = write(tmp_path / "c.toml", 'extends = "p.toml"\n[[sector]]\nid = "z"\nmarkup = 3\n')
    assert read_toml(child).data["sector"] == [{"id": "z", "markup": 3}]


def test_extends_cycle(tmp_path: Path) -> None:
    write(tmp_path / "a.toml", 'extends = "b.toml"\n')
    write(tmp_path / "b.toml", 'extends = "a.toml"\n')
    with pytest.raises(ScenarioError, match="cycle") as info:
        read_toml(tmp_path / "a.toml")
    assert info.value.key == "extends"
    assert info.value.file.endswith("b.toml")


def test_missing_file_and_missing_parent(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="file not found") as info:
        read_toml(tmp_path / "nope.toml")
    assert info.value.file.endswith("nope.toml")
    child = write(tmp_path / "c.toml", 'extends = "gone.toml"\n')
    with pytest.raises(ScenarioError, match="gone.toml") as info:
        read_toml(child)
    assert info.value.file == str(child) and info.value.key == "extends"


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.toml", 'name = "x"\nstart_year = = 3\n')
    with pytest.raises(ScenarioError) as info:
        read_toml(bad)
    assert info.value.file == str(bad)
    assert "line 2" in str(info.value)
    assert str(info.value).startswith(str(bad) + ": TOML syntax error")


def test_error_attributed_to_parent_file(chain: Path, tmp_path: Path) -> None:
    root = tmp_path / "base" / "root.toml"
    root.write_text(root.read_text().replace("cap = 5.0", "cap = 5.0\nreward_rat = 0.1"))
    with pytest.raises(ScenarioError) as info:
        build(Scenario, read_toml(chain))
    assert info.value.file == str(root)
    assert info.value.key == "instruments.rd_bonus.reward_rat"


def test_error_inside_array_of_tables_attributed(chain: Path, tmp_path: Path) -> None:
    root = tmp_path / "base" / "root.toml"
    root.write_text(root.read_text().replace("markup = 0.2", 'markup = "high"'))
    with pytest.raises(ScenarioError) as info:
        build(Scenario, read_toml(chain))
    assert str(info.value) == (f"{root}: sector.cars.markup: expected a number, got string 'high'")


# ----------------------------------------------------------------- validation


def test_unknown_key_did_you_mean() -> None:
    e = err(Scenario, MINIMAL + "[instruments.rd_bonus]\nreward_rat = 0.2\n", "scenarios/plan.toml")
    assert str(e) == (
        "scenarios/plan.toml: instruments.rd_bonus.reward_rat: unknown key; "
        "did you mean 'reward_rate'? (allowed: reward_rate, cap, mode, source)"
    )


def test_unknown_key_without_close_match() -> None:
    e = err(Scenario, MINIMAL + "zzzzzz = 1\n")
    assert e.key == "zzzzzz"
    assert "did you mean" not in e.message and "(allowed: name, start_year" in e.message


def test_wrong_type() -> None:
    e = err(Scenario, MINIMAL + '[instruments.rd_bonus]\nreward_rate = "abc"\n')
    assert str(e) == (
        "plan.toml: instruments.rd_bonus.reward_rate: expected a number, got string 'abc'"
    )


def test_bool_rejected_as_number() -> None:
    e = err(Scenario, MINIMAL + "[instruments.rd_bonus]\nreward_rate = true\n")
    assert e.message == "expected a number, got boolean true"
    e = err(Scenario, 'name = "x"\nstart_year = false\n')
    assert e.message == "expected an integer, got boolean false"


def test_int_accepted_for_float_but_not_float_for_int() -> None:
    s = build(Scenario, tomllib.loads(MINIMAL + "[instruments.rd_bonus]\nreward_rate = 1\n"))
    assert isinstance(s.instruments.rd_bonus.reward_rate, float)
    e = err(Scenario, 'name = "x"\nstart_year = 2024.0\n')
    assert e.message == "expected an integer, got number 2024.0"


def test_out_of_range() -> None:
    e = err(Scenario, MINIMAL + "[instruments.rd_bonus]\nreward_rate = 1.7\n")
    assert e.message == "1.7 is out of range [0, 1]"
    e = err(Scenario, MINIMAL + '[[sector]]\nid = "a"\nmarkup = -0.5\n')
    assert str(e) == "plan.toml: sector.a.markup: -0.5 is out of range [0, inf]"


def test_literal_lists_allowed_values() -> None:
    e = err(Scenario, MINIMAL + '[instruments.rd_bonus]\nmode = "flatt"\n')
    assert e.key == "instruments.rd_bonus.mode"
    assert e.message == (
        "'flatt' is not allowed; did you mean 'flat'? (allowed: 'flat', 'progressive')"
    )


def test_missing_required_key() -> None:
    e = err(Scenario, 'name = "x"\n')
    assert str(e) == "plan.toml: start_year: missing required key"
    e = err(Scenario, MINIMAL + "[[sector]]\nmarkup = 0.1\n")
    assert str(e) == "plan.toml: sector[0].id: missing required key"


def test_fixed_and_variable_tuples_and_dicts() -> None:
    s = build(
        Scenario,
        tomllib.loads(MINIMAL + 'window = [2025, 2035]\ntags = ["x", "y"]\n[weights]\nk = 1\n'),
    )
    assert s.window == (2025, 2035) and s.tags == ("x", "y") and s.weights == {"k": 1.0}
    e = err(Scenario, MINIMAL + "window = [1, 2, 3]\n")
    assert e.key == "window" and e.message == "expected an array of 2 elements, got 3"
    e = err(Scenario, MINIMAL + 'tags = ["a", 3]\n')
    assert str(e) == "plan.toml: tags[1]: expected a string, got integer 3"
    e = err(Scenario, MINIMAL + '[weights]\nk = "no"\n')
    assert e.key == "weights.k"


def test_optional_missing_is_none() -> None:
    s = build(Scenario, tomllib.loads(MINIMAL))
    assert s.shares is None and s.note is None
    s = build(Scenario, tomllib.loads(MINIMAL + "[shares]\na = 0.25\nb = 0.75\n"))
    assert s.shares == Shares(0.25, 0.75)


def test_post_init_value_error_converted() -> None:
    e = err(Scenario, MINIMAL + "[shares]\na = 0.5\nb = 0.6\n")
    assert str(e) == "plan.toml: shares: shares must sum to 1, sum to 1.1"
    assert isinstance(e.__cause__, ValueError)


def test_source_keys_validated_and_kept() -> None:
    text = MINIMAL + '[instruments.rd_bonus]\nsource = { reward_rate = "FACTS.md B" }\n'
    s = build(Scenario, tomllib.loads(text))
    assert sources_of(s.instruments.rd_bonus) == {"reward_rate": "FACTS.md B"}
    assert sources_of(s.instruments) == {}  # Instruments declares no source field
    e = err(Scenario, MINIMAL + '[instruments.rd_bonus]\nsource = { reward_rat = "x" }\n')
    assert e.key == "instruments.rd_bonus.source.reward_rat"
    assert e.message == (
        "not a key of this table; did you mean 'reward_rate'? (allowed: reward_rate, cap, mode)"
    )
    e = err(Scenario, MINIMAL + "[instruments.rd_bonus]\nsource = { cap = 3 }\n")
    assert str(e) == (
        "plan.toml: instruments.rd_bonus.source.cap: expected a string, got integer 3"
    )
    # A table whose dataclass declares no source field rejects one.
    e = err(Scenario, MINIMAL + '[instruments]\nsource = { tax = "x" }\n')
    assert e.key == "instruments.source" and e.message.startswith("unknown key")


@dataclass(frozen=True, slots=True, kw_only=True)
class KwOnly:
    kind: str = "user"
    n: int


def test_works_with_slots_and_without_and_kw_only() -> None:
    assert "__slots__" not in Instruments.__dict__
    assert "__slots__" in RdBonus.__dict__
    s = build(Scenario, tomllib.loads(MINIMAL))
    assert s.instruments == Instruments()
    assert build(KwOnly, {"n": 2}) == KwOnly(n=2)
    assert str(err(KwOnly, "kind = 'x'")) == "plan.toml: n: missing required key"


# ----------------------------------------------------------------- Schedule


def test_schedule_mid_year_average() -> None:
    s = Schedule.from_dates({"2024-01": 1.0, "2024-07": 1.5})
    assert s.at(2024) == pytest.approx(1.25)
    assert s.at(2025) == 1.5
    assert s.at(2020) == 1.0  # earlier years take the first value
    s = Schedule.from_dates({"2023": 0.0, "2024-03": 1.0})
    assert s.at(2024) == pytest.approx((2 * 0 + 10 * 1) / 12)
    assert s.at(2023) == 0.0


def test_schedule_constant_scaled_values_for() -> None:
    c = Schedule.constant(0.1)
    assert c.at(1999) == 0.1 and c.at(2050) == 0.1
    s = Schedule.from_dates({"2024": 1.0, "2026": 2.0}).scaled(0.5)
    np.testing.assert_allclose(s.values_for(range(2023, 2028)), [0.5, 0.5, 0.5, 1.0, 1.0])
    assert s.values_for([2024]).dtype == np.float64


def test_schedule_in_build() -> None:
    text = MINIMAL + '[instruments.tax]\n2024 = 0.25\n"2026-07" = 0.2\n'
    s = build(Scenario, tomllib.loads(text))
    assert s.instruments.tax.at(2026) == pytest.approx(0.225)
    s = build(Scenario, tomllib.loads(MINIMAL + "[instruments]\ntax = 0\n"))
    assert s.instruments.tax == Schedule.constant(0.0)


def test_schedule_errors() -> None:
    e = err(Scenario, MINIMAL + '[instruments.tax]\n"2024-13" = 0.2\n')
    assert e.key == "instruments.tax.2024-13" and "month must be 01..12" in e.message
    e = err(Scenario, MINIMAL + '[instruments.tax]\n"24" = 0.2\n')
    assert "expected 'YYYY' or 'YYYY-MM'" in e.message
    e = err(Scenario, MINIMAL + '[instruments.tax]\n"2024" = 0.2\n"2024-01" = 0.3\n')
    assert e.key == "instruments.tax" and "same month" in e.message
    e = err(Scenario, MINIMAL + '[instruments.tax]\n"2024" = 0.2\n"2025" = 1.5\n')
    assert str(e) == "plan.toml: instruments.tax.2025: 1.5 is out of range [0, 1]"
    e = err(Scenario, MINIMAL + "[instruments]\ntax = 2\n")
    assert e.key == "instruments.tax" and e.message == "2.0 is out of range [0, 1]"
    e = err(Scenario, MINIMAL + '[instruments]\ntax = "low"\n')
    assert e.message.startswith("expected a number or a table")
    e = err(Scenario, MINIMAL + "[instruments.tax]\n2024 = true\n")
    assert e.message == "expected a number, got boolean true"


# ----------------------------------------------------------------- overrides


def test_overrides(chain: Path) -> None:
    doc = read_toml(chain)
    apply_overrides(
        doc,
        {
            "instruments.rd_bonus.reward_rate": 0.2,
            "sector.cars.markup": 0.1,
            "shares": {"a": 0.5, "b": 0.5},
            "start_year": 2025,
        },
    )
    s = build(Scenario, doc)
    assert s.instruments.rd_bonus.reward_rate == 0.2
    assert s.instruments.rd_bonus.cap == 5.0
    assert s.sector[0].markup == 0.1 and s.start_year == 2025
    assert s.shares == Shares(0.5, 0.5)
    assert doc.origin("sector.cars.markup") == "override"


def test_override_errors_reported_as_override(chain: Path) -> None:
    doc = read_toml(chain)
    apply_overrides(doc, {"instruments.rd_bonus.reward_rat": 0.2})
    with pytest.raises(ScenarioError) as info:
        build(Scenario, doc)
    assert str(info.value).startswith(
        "override: instruments.rd_bonus.reward_rat: unknown key; did you mean 'reward_rate'?"
    )
    doc = read_toml(chain)
    apply_overrides(doc, {"nosuch.table.x": 1})
    with pytest.raises(ScenarioError, match="^override: nosuch: unknown key"):
        build(Scenario, doc)
    doc = read_toml(chain)
    apply_overrides(doc, {"instruments.rd_bonus.reward_rate": 3.0})
    with pytest.raises(ScenarioError, match=r"^override: .* out of range \[0, 1\]"):
        build(Scenario, doc)


def test_override_bad_paths(chain: Path) -> None:
    doc = read_toml(chain)
    with pytest.raises(ScenarioError, match=r"no entry 'boats' in 'sector' \(ids: cars\)"):
        apply_overrides(doc, {"sector.boats.markup": 0.1})
    with pytest.raises(ScenarioError, match="'name' is string 'plan', not a table"):
        apply_overrides(doc, {"name.x": 1})


def test_overrides_on_plain_dict() -> None:
    d = tomllib.loads(MINIMAL + '[[sector]]\nid = "a"\nmarkup = 0.1\n')
    apply_overrides(d, {"sector.0.n_firms": 3, "instruments.tax": {"2030": 0.1}})
    s = build(Scenario, d)
    assert s.sector[0].n_firms == 3 and s.instruments.tax.at(2030) == 0.1


def test_load_convenience(chain: Path) -> None:
    s = load(Scenario, chain, {"note": "hi"})
    assert s.note == "hi" and s.name == "plan"


# ----------------------------------------------------------------- round trip


def test_round_trip_dumps_toml() -> None:
    s = Scenario(
        name='tricky "name" \\ with\ttab\nand newline é',
        start_year=2024,
        instruments=Instruments(
            rd_bonus=RdBonus(0.15, 1e20, "progressive", {"reward_rate": 'FACTS.md "B"'}),
            tax=Schedule.from_dates({"2024": 0.25, "2026-07": 0.2}),
        ),
        sector=(
            Sector("cars", 0.2, 5, {"markup": "assumption"}),
            Sector("machine tools", 0.1 + 0.2),
        ),
        shares=Shares(0.25, 0.75),
        weights={"a b": 1.0, "c": -0.0},
        window=(2020, 2030),
        tags=("x",),
        enabled=False,
        growth={"low": Schedule.constant(0.01), "high": Schedule.from_dates({"2025": 0.5})},
        source={"start_year": "decree 2024/7"},
    )
    text = dumps_toml(to_dict(s))
    assert 'source = { reward_rate = "FACTS.md \\"B\\"" }' in text
    assert "[[sector]]" in text
    assert build(Scenario, tomllib.loads(text)) == s


def test_dumps_toml_rejects_none() -> None:
    with pytest.raises(TypeError):
        dumps_toml({"a": None})


# ----------------------------------------------------------------- describe


def test_describe() -> None:
    rows = {r[0]: r for r in describe(Scenario)}
    key, type_str, default, unit, doc, rng = rows["instruments.rd_bonus.reward_rate"]
    assert (type_str, default, unit, doc, rng) == ("number", 0.1, "share", "share rewarded", (0, 1))
    assert rows["start_year"][2] is dataclasses.MISSING
    assert rows["sector[].markup"][1] == "number"
    assert rows["instruments.tax"][1] == "number or schedule"
    assert rows["instruments.rd_bonus.mode"][1] == "'flat' | 'progressive'"
    assert rows["shares"][1] == "table (optional)"
    assert "shares.a" in rows
    assert not any(k.endswith("source") for k in rows)
