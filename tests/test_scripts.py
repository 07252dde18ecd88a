"""Plain scripts may call ``model.run`` and ``model.sweep`` on worker processes.

The local workers are spawned interpreters. Started the standard way, each would re-run the
caller's script, so a script without an ``if __name__ == "__main__":`` guard broke the pool
(``BrokenProcessPool``, issue 15). The workers now start without the caller's script, so it
works as written, with or without the guard, and gives the same result as one process.
Each script runs in its own interpreter, in a temporary folder outside the repository.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import model
from model.testing import PLAN, REPO_ROOT, SCENARIOS

SWEEP = SCENARIOS / "sweeps" / "outside_demand.toml"
#: A tiny run: about 700 firm slots and a 3-year spin-up.
OVERRIDES = {"market.firm_scale": 0.01, "spinup.years": 3}
#: Printed once by the script itself: a child re-running it would print it again.
MARKER = "script body ran"
TIMEOUT = 300


@pytest.fixture(scope="module")
def run_one_process() -> xr.Dataset:
    return model.run(PLAN, replicates=2, workers=1, overrides=OVERRIDES)


@pytest.fixture(scope="module")
def sweep_one_process() -> xr.Dataset:
    return model.sweep(SWEEP, replicates=1, workers=1, overrides=OVERRIDES, progress=False)


def _run_script(folder: Path, body: str) -> xr.Dataset:
    """Write ``body`` as a script in ``folder``, run it there and return the result it saved."""
    script = folder / "script.py"
    script.write_text(textwrap.dedent(body), encoding="utf-8")
    # The children import the same ``model`` as this test process.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    output = f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    assert proc.returncode == 0, f"exit code {proc.returncode}\n{output}"
    assert "Traceback" not in proc.stdout + proc.stderr, output
    assert proc.stdout.count(MARKER) == 1, f"the script ran more than once\n{output}"
    with xr.open_dataset(folder / "result.nc", engine="h5netcdf") as saved:
        return saved.load()


def _assert_same_result(saved: xr.Dataset, expected: xr.Dataset) -> None:
    """Equal data variables and coordinates (attributes aside), bit for bit for numbers."""
    xr.testing.assert_equal(saved.drop_attrs(), expected.drop_attrs())
    for name, var in expected.data_vars.items():
        if np.issubdtype(var.dtype, np.floating):
            assert saved[name].dtype == var.dtype, name
            assert saved[name].values.tobytes() == var.values.tobytes(), name


def test_run_on_workers_from_a_script_without_main_guard(
    tmp_path: Path, run_one_process: xr.Dataset
) -> None:
    saved = _run_script(
        tmp_path,
        f"""
        import model

        print({MARKER!r})
        ds = model.run({str(PLAN)!r}, replicates=2, workers=2, overrides={OVERRIDES!r})
        ds.to_netcdf("result.nc", engine="h5netcdf")
        """,
    )
    _assert_same_result(saved, run_one_process)


def test_sweep_on_workers_from_a_script_without_main_guard(
    tmp_path: Path, sweep_one_process: xr.Dataset
) -> None:
    saved = _run_script(
        tmp_path,
        f"""
        import model

        print({MARKER!r})
        ds = model.sweep(
            {str(SWEEP)!r}, replicates=1, workers=2, overrides={OVERRIDES!r}, progress=False
        )
        ds.to_netcdf("result.nc", engine="h5netcdf")
        """,
    )
    _assert_same_result(saved, sweep_one_process)


def test_run_on_workers_from_a_guarded_script(tmp_path: Path, run_one_process: xr.Dataset) -> None:
    saved = _run_script(
        tmp_path,
        f"""
        import model


        def main():
            print({MARKER!r})
            ds = model.run({str(PLAN)!r}, replicates=2, workers=2, overrides={OVERRIDES!r})
            ds.to_netcdf("result.nc", engine="h5netcdf")


        if __name__ == "__main__":
            main()
        """,
    )
    _assert_same_result(saved, run_one_process)
