"""Interrupted sweeps resume: no finished run lost or computed twice, the result unchanged.

Pieces are written atomically as tasks finish; ``--resume`` computes only the missing ones.
Interruptions tested: an exception from the progress callback (as Ctrl-C would raise), pieces
deleted by hand, and a sweep process killed with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import xarray as xr

import model
from model import cli
from model.experiments.sweep import Task, load_sweep
from model.experiments.sweep.store import MANIFEST
from model.testing import REPO_ROOT, SCENARIOS, assert_identical_runs

REPLICATES = 4


class StopError(Exception):
    """Stands for Ctrl-C."""


def sweep_file(tmp_path: Path, replicates: int = REPLICATES) -> Path:
    path = tmp_path / "resumable.toml"
    path.write_text(
        textwrap.dedent(
            f"""
            name = "resumable"
            base = "{(SCENARIOS / "plan.toml").as_posix()}"
            replicates = {replicates}
            batch_size = 1
            set = {{ "market.firm_scale" = 0.03, "spinup.years" = 5 }}

            [[axis]]
            path = "instruments.first_set.enabled"
            values = [false, true]
            """
        ),
        encoding="utf-8",
    )
    return path


def read(path: Path) -> xr.Dataset:
    with xr.open_dataset(path, engine="h5netcdf") as f:
        return f.load()


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sweep_file(tmp_path_factory.mktemp("spec"))


@pytest.fixture(scope="module")
def reference(spec: Path) -> xr.Dataset:
    """The uninterrupted sweep (written files equal it: see test_sweep_executors)."""
    return model.sweep(spec)


def pieces(out: Path) -> list[Path]:
    return sorted((out / "resumable.parts").glob("chunk-*.npz"))


def test_interrupted_sweep_resumes_to_the_same_result(
    spec: Path, reference: xr.Dataset, tmp_path: Path
) -> None:
    done: list[Task] = []

    def stop_after_two(task: Task) -> None:
        done.append(task)
        if len(done) == 2:
            raise StopError

    with pytest.raises(StopError):
        model.sweep(spec, tmp_path, on_piece=stop_after_two)
    assert len(pieces(tmp_path)) == 2
    assert not (tmp_path / "resumable.nc").exists()

    # Without --resume the unfinished pieces are not silently thrown away.
    with pytest.raises(model.ScenarioError, match="--resume"):
        model.sweep(spec, tmp_path)
    # A changed sweep is refused.
    with pytest.raises(model.ScenarioError, match=r"changed .*replicates 4 -> 7"):
        model.sweep(spec, tmp_path, replicates=7, resume=True)

    # Lose one finished piece: it is recomputed, the others are not.
    lost = pieces(tmp_path)[1]
    lost.unlink()
    kept = {p.name: p.stat().st_mtime_ns for p in pieces(tmp_path)}
    again: list[Task] = []

    def record(task: Task) -> None:
        again.append(task)
        if task.filename in kept:
            raise AssertionError(f"{task.filename} computed twice")

    ds = model.sweep(spec, tmp_path, resume=True, on_piece=record)
    total = len(load_sweep(spec).layout().tasks(REPLICATES))
    assert len(again) == total - len(kept)
    assert lost.name in {t.filename for t in again}
    assert not (tmp_path / "resumable.parts").exists(), (
        "pieces not removed after the result was written"
    )
    assert_identical_runs(read(tmp_path / "resumable.nc"), reference)
    assert_identical_runs(ds, reference)

    # Resuming a finished sweep computes nothing and returns the result.
    ran: list[Task] = []
    assert_identical_runs(model.sweep(spec, tmp_path, resume=True, on_piece=ran.append), reference)
    assert ran == []


def test_killed_sweep_resumes(spec: Path, reference: xr.Dataset, tmp_path: Path) -> None:
    """SIGKILL (no clean-up at all) while tasks are running, then --resume."""
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "model", "sweep", str(spec), "--out", str(out), "--no-progress"],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while len(pieces(out)) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, f"the sweep ended by itself first:\n{stderr}"
    left = {p.name for p in pieces(out)}
    total = len(load_sweep(spec).layout().tasks(REPLICATES))
    # Killed while running tasks (or, if it was quick, while writing the result).
    assert 2 <= len(left) <= total
    assert not (out / "resumable.nc").exists()
    assert (out / "resumable.parts" / MANIFEST).is_file()

    ran: list[Task] = []
    model.sweep(spec, out, resume=True, on_piece=ran.append)
    assert not {t.filename for t in ran} & left, "a finished task was computed again"
    assert len(ran) == total - len(left)
    assert_identical_runs(read(out / "resumable.nc"), reference)


def test_cli_resume_refuses_a_changed_sweep(
    spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(StopError):

        def stop(task: Task) -> None:
            raise StopError

        model.sweep(spec, tmp_path, on_piece=stop)
    code = cli.main(
        [
            "sweep",
            str(spec),
            "--out",
            str(tmp_path),
            "--resume",
            "--replicates",
            "3",
            "--no-progress",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {spec}: the sweep changed") and "\n" not in err, err
    code = cli.main(["sweep", str(spec), "--out", str(tmp_path), "--no-progress"])
    assert code == 2
    assert "add --resume" in capsys.readouterr().err
