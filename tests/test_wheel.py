"""An installed wheel finds the shipped scenarios, regions and targets, far from any checkout.

The wheel is built from a copy of the repository's package files (offline: no build
isolation), unpacked into a folder, and run from another folder with only that folder on the
path: ``python -m model run scenarios/shandong/plan.toml`` must find the scenario, its region
and the targets inside the package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from model.testing import REPO_ROOT

FILES = ("pyproject.toml", "setup.py", "README.md")
FOLDERS = ("model", "scenarios", "calibration")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in FILES:
        shutil.copy(REPO_ROOT / name, src / name)
    for name in FOLDERS:
        shutil.copytree(
            REPO_ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.nc")
        )
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation",
         "-w", str(out), "-q"],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    (path,) = out.glob("*.whl")
    return path


def test_wheel_carries_the_shipped_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for rel in (
        "scenarios/plan.toml",
        "scenarios/defaults.toml",
        "scenarios/regions/zhejiang.toml",
        "scenarios/regions/shandong.toml",
        "scenarios/shandong/plan.toml",
        "scenarios/sweeps/two_levers.toml",
        "scenarios/sensitivity/levers_morris.toml",
        "calibration/targets.toml",
    ):
        assert f"model/_shipped/{rel}" in names, f"{rel} is not in the wheel"
    assert "model/plot/briefing.mplstyle" in names, "the charts' style is not in the wheel"


def test_installed_package_runs_a_shipped_scenario_by_its_relative_path(
    wheel: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "model", "run", "scenarios/shandong/plan.toml",
         "--replicates", "1", "--set", "market.firm_scale=0.01", "--set", "spinup.years=2",
         "--out", str(tmp_path / "out")],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Scenario 'shandong_plan'" in done.stdout
    assert "sd_clusters_over_500bn_2025" in done.stdout, "the targets were not found"
    where = subprocess.run(
        [sys.executable, "-c", "import model.config.files as f; print(f.shipped_root())"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert Path(where.stdout.strip()).is_relative_to(site), where.stdout
