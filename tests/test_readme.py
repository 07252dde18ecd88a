"""The README's promises: its commands exist and its Python snippet runs as written."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_ci_runs_the_readme_test_command() -> None:
    commands = [line.strip() for block in _blocks("bash") for line in block.splitlines()]
    assert "./dev test" in commands
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^\./dev test\s*$", ci, flags=re.M), (
        ".ci/run must call the README's test command"
    )


def test_readme_run_command_parses() -> None:
    """The run command's arguments are ones the CLI accepts (parsed, not run: it is long)."""
    from model.cli import build_parser

    run_lines = [
        line.strip()
        for block in _blocks("bash")
        for line in block.splitlines()
        if line.strip().startswith("./dev run")
    ]
    assert run_lines, "README shows no ./dev run command"
    for line in run_lines:
        args = line.split()[2:]
        parsed = build_parser().parse_args(["run", *args])
        assert Path(ROOT / parsed.scenario).is_file()


@pytest.mark.parametrize("snippet", _blocks("python"))
def test_python_snippet_runs(snippet: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", snippet], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
