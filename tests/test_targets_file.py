"""Checks of calibration/targets.toml: schema, allowed values, and quotes against the seeds."""

import math
import os
import re
import tomllib
from pathlib import Path

import pytest

from model.config.scenario import load_scenario
from model.testing import PLAN, SCENARIOS

REPO = Path(__file__).resolve().parents[1]
TARGETS_FILE = REPO / "calibration" / "targets.toml"

FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "value": (int, float),
    "unit": str,
    "comparison": str,
    "year": int,
    "region": str,
    "scope": str,
    "model_variable": str,
    "cumulative_from": int,
    "seed": str,
    "quote": str,
    "use": str,
    "note": str,
}
USES = {"inverse", "evaluated", "context"}
COMPARISONS = {"ge", "eq", "le"}
UNITS = {
    "bn_yuan",
    "count",
    "count_per_year",
    "share",
    "pct",
    "pct_per_year",
    "pp",
    "ratio",
    "rank",
    "per_10k_workers",
    "hours",
}
#: The shipped plan of each region whose targets the model evaluates.
REGION_PLANS = {"Zhejiang": PLAN, "Shandong": SCENARIOS / "shandong" / "plan.toml"}


def _labels(region_name: str) -> set[str]:
    """What a model_variable may name after ":" for a region: its sectors, chains, aggregates."""
    region = load_scenario(REGION_PLANS[region_name]).region
    return (
        {s.id for s in region.sector}
        | {c.id for c in region.chain}
        | {a.id for a in region.aggregate}
        | {"all"}
    )


ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
MODEL_VARIABLE_PATTERN = re.compile(r"^[a-z_]+(\+[a-z_]+)*(:[a-z_]+(:[0-9.]+)?)?$")

# Figures the seeds write in Chinese words rather than digits, keyed by (value, unit).
CHINESE_FORMS: dict[tuple[float, str], tuple[str, ...]] = {
    (3.0, "rank"): ("前三",),
    (1e7, "count"): ("千万",),
    (100.0, "bn_yuan"): ("千亿",),
    (2.0, "ratio"): ("翻一番",),
}


def _load_targets() -> list[dict]:
    with TARGETS_FILE.open("rb") as f:
        return tomllib.load(f)["target"]


TARGETS = _load_targets()


def _seeds_dir() -> Path | None:
    """The seeds directory: $ZJ_SEEDS_DIR, else <repo>/../shared/seeds; None if absent."""
    candidates = []
    if os.environ.get("ZJ_SEEDS_DIR"):
        candidates.append(Path(os.environ["ZJ_SEEDS_DIR"]))
    candidates.append(REPO.parent / "shared" / "seeds")
    for c in candidates:
        if c.is_dir():
            return c
    return None


def _require_seeds_dir() -> Path:
    d = _seeds_dir()
    if d is None:
        pytest.skip(
            "seed documents not found: set ZJ_SEEDS_DIR or place them at "
            f"{REPO.parent / 'shared' / 'seeds'}"
        )
    return d


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _fmt(x: float) -> str:
    """1200.0 -> '1200', 1.8 -> '1.8', 0.5 -> '0.5' (no exponent notation)."""
    x = round(x, 6)
    if x == int(x):
        return str(int(x))
    return f"{x:.6f}".rstrip("0").rstrip(".")


def number_forms(value: float, unit: str) -> set[str]:
    """Ways the seeds may write a value: 120.0 bn_yuan -> '1200亿'; 0.68 share -> '68%'; ..."""
    forms = {_fmt(value)}
    if unit == "bn_yuan":
        forms |= {_fmt(value * 10) + "亿", _fmt(value / 1000) + "万亿"}
    if unit == "share":
        forms.add(_fmt(value * 100) + "%")
    if value >= 1e4:
        forms.add(_fmt(value / 1e4) + "万")
    forms |= set(CHINESE_FORMS.get((float(value), unit), ()))
    return forms


def quote_has_number(quote: str, value: float, unit: str) -> bool:
    """True if one of number_forms(value, unit) occurs in quote as a whole number.

    A form made of digits must not be part of a longer digit run: 5 does not match '2025'.
    """
    for form in number_forms(value, unit):
        pattern = r"(?<![\d.])" + re.escape(form) + r"(?![\d.]*\d)"
        if re.search(pattern, quote):
            return True
    return False


def test_file_has_targets():
    assert len(TARGETS) >= 20


def test_ids_unique():
    ids = [t.get("id") for t in TARGETS]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"duplicate ids: {dupes}"


@pytest.mark.parametrize("t", TARGETS, ids=[str(t.get("id")) for t in TARGETS])
def test_target_schema(t):
    assert set(t) == set(FIELD_TYPES), (
        f"missing {set(FIELD_TYPES) - set(t)}, extra {set(t) - set(FIELD_TYPES)}"
    )
    for key, typ in FIELD_TYPES.items():
        assert isinstance(t[key], typ) and not isinstance(t[key], bool), (
            f"{key} = {t[key]!r} is not {typ}"
        )
    assert ID_PATTERN.match(t["id"]), "id is not snake_case"
    assert math.isfinite(t["value"]) and t["value"] > 0
    assert t["unit"] in UNITS
    assert t["comparison"] in COMPARISONS
    assert t["use"] in USES
    assert 2015 <= t["year"] <= 2035
    assert t["cumulative_from"] == 0 or 2015 <= t["cumulative_from"] <= t["year"]
    if t["unit"] == "share":
        assert 0 < t["value"] <= 1
    for key in ("scope", "region", "quote", "note", "seed"):
        assert t[key].strip(), f"{key} is empty"
    if t["model_variable"]:
        assert MODEL_VARIABLE_PATTERN.match(t["model_variable"])
    if t["use"] in ("inverse", "evaluated"):
        assert t["region"] in REGION_PLANS, "an evaluated target needs its region's plan"
        assert t["model_variable"], "a fitted or evaluated target needs a model variable"
        head, _, label = t["model_variable"].partition(":")
        if head != "n_at_least" and label:
            assert label in _labels(t["region"]), f"{label!r} is not a label of {t['region']}"
    if t["use"] == "inverse":
        assert t["region"] == "Zhejiang", "the inverse exercise is the machine-tool plan's"


@pytest.mark.parametrize("t", TARGETS, ids=[str(t.get("id")) for t in TARGETS])
def test_quote_contains_value(t):
    assert quote_has_number(t["quote"], t["value"], t["unit"]), (
        f"quote {t['quote']!r} shows none of {sorted(number_forms(t['value'], t['unit']))}"
    )


@pytest.mark.parametrize("t", TARGETS, ids=[str(t.get("id")) for t in TARGETS])
def test_quote_in_seed(t):
    seeds = _require_seeds_dir()
    path = seeds / t["seed"]
    assert path.is_file(), f"seed file {path} does not exist"
    text = _squash(path.read_text(encoding="utf-8"))
    assert _squash(t["quote"]) in text, f"quote not found verbatim in {t['seed']}"


def test_inverse_targets():
    inverse = {t["id"]: t for t in TARGETS if t["use"] == "inverse"}
    outputs = {
        t["year"]: t["value"]
        for t in inverse.values()
        if t["model_variable"] == "output:machine_tools"
    }
    assert outputs == {2025: 120.0, 2027: 150.0}
    assert all(t["unit"] == "bn_yuan" for t in inverse.values() if "output" in t["model_variable"])
    variables = {t["model_variable"] for t in inverse.values()}
    assert "first_set_products_new:machine_tools" in variables
    assert "n_little_giants_new+n_single_champions_new:machine_tools" in variables


def test_helper_rejects_wrong_numbers():
    assert quote_has_number("产值突破1200亿元", 120.0, "bn_yuan")
    assert quote_has_number("年产值达到1.8万亿元", 1800.0, "bn_yuan")
    assert quote_has_number("占全省工业总产值的68%以上", 0.68, "share")
    assert not quote_has_number("产值突破1200亿元", 150.0, "bn_yuan")
    assert not quote_has_number("到2025年", 5, "count")
    assert not quote_has_number("产值突破12000亿元", 120.0, "bn_yuan")
