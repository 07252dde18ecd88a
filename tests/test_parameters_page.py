"""docs/parameters.md is the page the shipped files give (regenerated and compared)."""

from __future__ import annotations

from pathlib import Path

from model import cli
from model.config.params import Scenario
from model.config.scenario import load_scenario
from model.report.parameters import parameters_markdown
from model.testing import PLAN, REPO_ROOT

PAGE = REPO_ROOT / "docs" / "parameters.md"


def test_parameters_page_is_in_sync(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(REPO_ROOT)
    out = tmp_path / "parameters.md"
    assert cli.main(["parameters", "scenarios/plan.toml", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == PAGE.read_text(encoding="utf-8"), (
        "docs/parameters.md is stale: python -m model parameters scenarios/plan.toml "
        "--out docs/parameters.md"
    )


def test_page_shows_every_parameter_with_its_value_and_source() -> None:
    scenario: Scenario = load_scenario(PLAN)
    page = parameters_markdown(scenario, "plan.toml")
    assert "| `investment.payback_years` | 3 |" in page
    assert "Dosi et al. (2010) K+S: b = 3" in page
    assert "`[instruments.renewal_loans]`" in page and "`[[sector_part]]`" in page
    # A changed value shows on the page.
    other = load_scenario(PLAN, {"investment.payback_years": 4.5})
    assert "| `investment.payback_years` | 4.5 |" in parameters_markdown(other, "plan.toml")
