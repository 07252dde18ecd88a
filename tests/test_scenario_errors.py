"""Mistakes in scenario and region files: one clear line naming the file and the key.

Small scenario files in tmp_path ``extends`` the shipped ones by absolute path, so the
mistake is in the small file and the shipped files stay untouched.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import model
from model.testing import PLAN, REPO_ROOT, SCENARIOS


def _scenario(tmp_path: Path, body: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'extends = "{PLAN.as_posix()}"\n{body}', encoding="utf-8")
    return path


def _error(path: Path, overrides: dict[str, object] | None = None) -> model.ScenarioError:
    with pytest.raises(model.ScenarioError) as info:
        model.load_scenario(path, overrides)
    return info.value


def _same_file(reported: str, expected: Path) -> bool:
    return Path(reported).resolve() == expected.resolve()


def test_the_base_file_loads(tmp_path: Path) -> None:
    # Guard for the tests below: the extending file itself is fine.
    scenario = model.load_scenario(_scenario(tmp_path, 'name = "ok"\n'))
    assert scenario.name == "ok"


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "[instruments.rd_bonus]\nreward_rat = 0.2\n")
    err = _error(path)
    assert _same_file(err.file, path)
    assert err.key == "instruments.rd_bonus.reward_rat"
    assert "reward_rate" in err.message and "did you mean" in err.message.lower()
    text = str(err)
    assert text.startswith(f"{err.file}: instruments.rd_bonus.reward_rat: ")
    assert "\n" not in text


def test_unknown_section_names_the_key(tmp_path: Path) -> None:
    err = _error(_scenario(tmp_path, "[instrument.rd_bonus]\nreward_rate = 0.2\n"))
    assert err.key.startswith("instrument")
    assert "instruments" in err.message


def test_wrong_type(tmp_path: Path) -> None:
    path = _scenario(tmp_path, '[tax]\nvat_rate = "thirteen percent"\n')
    err = _error(path)
    assert _same_file(err.file, path)
    assert err.key == "tax.vat_rate"
    assert "string" in err.message and "number" in err.message


def test_out_of_range(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "[tax]\nvat_rate = 1.5\n")
    err = _error(path)
    assert _same_file(err.file, path)
    assert err.key == "tax.vat_rate"
    assert "1.5" in err.message and "range" in err.message


@pytest.mark.parametrize(
    ("overrides", "key", "words"),
    [
        # Divisors of the compiled loops, which give inf or nan rather than an error on a zero.
        ({"tax.rd_super_deduction": 3.0}, "tax", "R&D user cost"),
        ({"region.machine_tools.set_price_m_yuan": [0.0, 1.0, 2.0]}, "machine_tools", "positive"),
        ({"region.status.above_scale_revenue_m_yuan": 0.0}, "status", "positive"),
    ],
)
def test_a_zero_divisor_is_refused(tmp_path: Path, overrides, key, words) -> None:
    err = _error(PLAN, overrides)
    assert err.key == key
    assert words in err.message
    assert "\n" not in str(err)


def test_the_highest_rate_and_deduction_still_load() -> None:
    # 0.25 x (1 + 2.99) < 1: just inside.
    model.load_scenario(PLAN, {"tax.rd_super_deduction": 2.99})


def test_error_in_inherited_value_names_the_file_it_came_from(tmp_path: Path) -> None:
    # A valid child of a broken parent: the error names the parent.
    parent = tmp_path / "parent.toml"
    parent.write_text(
        f'extends = "{PLAN.as_posix()}"\n[demand]\nprice_elasticity = -3.0\n', encoding="utf-8"
    )
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\nname = "child"\n', encoding="utf-8")
    err = _error(child)
    assert _same_file(err.file, parent)
    assert err.key == "demand.price_elasticity"


def test_error_in_region_file_names_the_region_file(tmp_path: Path) -> None:
    regions = tmp_path / "regions"
    shutil.copytree(SCENARIOS / "regions", regions)
    region = regions / "zhejiang.toml"
    text = region.read_text(encoding="utf-8")
    assert "\nemployment_m = " in text
    lines = [
        'employment_m = "many"' if line.startswith("employment_m = ") else line
        for line in text.splitlines()
    ]
    region.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = _scenario(tmp_path, 'region = "regions/zhejiang.toml"\n')
    err = _error(path)
    assert _same_file(err.file, region), f"error names {err.file!r}, not the region file"
    assert err.key == "base_year.employment_m"
    assert "many" in err.message


def test_missing_region_file(tmp_path: Path) -> None:
    path = _scenario(tmp_path, 'region = "regions/nowhere.toml"\n')
    err = _error(path)
    assert _same_file(err.file, path)
    assert err.key == "region"
    assert "nowhere.toml" in err.message


def test_bad_override_names_override(tmp_path: Path) -> None:
    err = _error(PLAN, {"instruments.rd_bonus.reward_rat": 0.2})
    assert err.file == "override"
    assert err.key == "instruments.rd_bonus.reward_rat"
    assert "reward_rate" in err.message


def test_bad_region_override(tmp_path: Path) -> None:
    err = _error(PLAN, {"region.base_year.employment_m": -1.0})
    assert "base_year.employment_m" in err.key


def test_spinup_of_zero_years_is_refused(tmp_path: Path) -> None:
    # The base year is set from the last spin-up year (Engine.rebase): none would crash the
    # run after loading, so the loader refuses it with the usual one-line error.
    err = _error(PLAN, {"spinup.years": 0})
    assert err.file == "override"
    assert err.key == "spinup.years"
    assert "0" in err.message and "range" in err.message and "[1, 200]" in err.message
    assert str(err) == f"override: spinup.years: {err.message}"
    assert "\n" not in str(err)
    path = _scenario(tmp_path, "[spinup]\nyears = 0\n")
    err = _error(path)
    assert _same_file(err.file, path)
    assert err.key == "spinup.years"


def test_firm_scale_reaches_a_million_firms() -> None:
    # 1,000,000 simulated firms need a scale of about 17.7 (clones of the real firms).
    assert model.load_scenario(PLAN, {"market.firm_scale": 17.7}).market.firm_scale == 17.7
    err = _error(PLAN, {"market.firm_scale": 150.0})
    assert err.key == "market.firm_scale"
    assert "[0.0001, 100]" in err.message


def test_error_pickles() -> None:
    # Errors cross process boundaries (workers): they must survive pickling intact.
    import pickle

    err = model.ScenarioError("a.toml", "tax.vat_rate", "1.5 is out of range [0, 1]")
    back = pickle.loads(pickle.dumps(err))
    assert str(back) == str(err) == "a.toml: tax.vat_rate: 1.5 is out of range [0, 1]"


# ------------------------------------------------------------------------------ CLI


def _cli(*args: str, cwd: Path = REPO_ROOT) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "model", "run", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def cli(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[subprocess.CompletedProcess[str], Path]]:
    """The CLI error cases, started together (each pays the interpreter's start-up)."""
    tmp = tmp_path_factory.mktemp("cli")
    bad = _scenario(tmp, "[instruments.rd_bonus]\nreward_rat = 0.2\n")
    missing = tmp / "no_such_scenario.toml"
    cases = {
        "bad_file": (_cli(str(bad), "--out", str(tmp / "out_bad")), bad),
        "unknown_set": (
            _cli(
                "scenarios/plan.toml",
                "--set",
                "instruments.rd_bonus.reward_rat=0.2",
                "--out",
                str(tmp / "out_set"),
            ),
            tmp / "out_set",
        ),
        "missing": (_cli(str(missing), "--out", str(tmp / "out_missing")), missing),
    }
    done = {}
    for name, (proc, path) in cases.items():
        out, err = proc.communicate(timeout=120)
        done[name] = (subprocess.CompletedProcess(proc.args, proc.returncode, out, err), path)
    return done


def _assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert proc.returncode == 2, (
        f"exit code {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{proc.stderr}"
    assert lines[0].startswith("error:"), lines[0]
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    assert proc.stdout == "", f"unexpected stdout: {proc.stdout}"
    return lines[0]


def test_cli_bad_file(cli) -> None:
    proc, path = cli["bad_file"]
    _assert_one_line_error(proc, str(path), "instruments.rd_bonus.reward_rat", "reward_rate")
    assert not (path.parent / "out_bad").exists(), "a failed run wrote output"


def test_cli_unknown_set_key(cli) -> None:
    proc, out = cli["unknown_set"]
    _assert_one_line_error(proc, "override", "instruments.rd_bonus.reward_rat", "reward_rate")
    assert not out.exists()


def test_cli_missing_file(cli) -> None:
    proc, missing = cli["missing"]
    _assert_one_line_error(proc, str(missing))


# The same contract in-process (no interpreter start-up per case).


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    from model.cli import main

    code = main(["run", *args])
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


def test_cli_set_without_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _assert_one_line_error(
        _main(capsys, str(PLAN), "--set", "tax.vat_rate", "--out", str(tmp_path)), "--set"
    )


def test_cli_set_out_of_range(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _assert_one_line_error(
        _main(capsys, str(PLAN), "--set", "tax.vat_rate=1.5", "--out", str(tmp_path)),
        "tax.vat_rate",
        "1.5",
    )


def test_cli_error_from_another_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Relative paths in the message are those the user typed, wherever the CLI runs.
    _scenario(tmp_path, "[tax]\nvat_rate = 1.5\n")
    monkeypatch.chdir(tmp_path)
    _assert_one_line_error(
        _main(capsys, "bad.toml", "--out", "out"), "bad.toml", "tax.vat_rate", "1.5"
    )
    assert not (tmp_path / "out").exists()


def test_fractional_jump_beta_is_refused() -> None:
    # The compiled innovation rule draws Beta(a, b) as an order statistic of uniforms.
    err = _error(PLAN, {"innovation.jump_beta": [2.5, 3.0]})
    assert "jump_beta" in str(err) and "whole numbers" in str(err)
    assert "\n" not in str(err)
