"""The re-layering of issue 15 changes no result: every shipped scenario and sweep is bit-identical.

``tests/data/fingerprints.json`` holds a SHA-256 of every data variable (values, dtype, dims
and shape) and of every coordinate of each shipped scenario, the plan's firm panel and each
shipped sweep, run at small scale. It was written by this module at the commit before the move
(``python -m tests.test_fingerprints --write``); the test recomputes them and names every
variable that changed. Attributes are not fingerprinted: they carry the code version and
descriptions that the move may reword without changing a number.

Variables renamed by the move are listed in ``RENAMED`` (old name -> new name).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import model
from model.testing import SCENARIOS

FINGERPRINTS = Path(__file__).parent / "data" / "fingerprints.json"

#: Small enough to run every shipped scenario and sweep in the default suite.
OVERRIDES = {"market.firm_scale": 0.01, "spinup.years": 20}
REPLICATES = 2
#: Data variables and coordinates the move renamed: old name -> new name.
RENAMED: dict[str, str] = {
    "zhejiang_machine_share": "in_region_machine_share",
    "zhejiang_machine_share_by_segment": "in_region_machine_share_by_segment",
}


def _digest(da: xr.DataArray) -> str:
    h = hashlib.sha256()
    values = np.ascontiguousarray(da.values)
    h.update(str((values.dtype.str, da.dims, values.shape)).encode())
    if values.dtype.kind in "OUS":
        h.update(json.dumps([str(v) for v in values.reshape(-1)]).encode())
    else:
        h.update(values.tobytes())
    return h.hexdigest()


def fingerprint(ds: xr.Dataset) -> dict[str, str]:
    """SHA-256 of each data variable and coordinate, by name."""
    return {str(name): _digest(ds[name]) for name in sorted(ds.variables, key=str)}


def _scenario_files() -> list[Path]:
    return sorted(p for p in SCENARIOS.glob("*.toml") if p.name != "defaults.toml")


def _sweep_files() -> list[Path]:
    return sorted((SCENARIOS / "sweeps").glob("*.toml"))


def compute() -> dict[str, dict[str, str]]:
    """Fingerprints of every shipped scenario, the plan's firm panel and every shipped sweep."""
    out: dict[str, dict[str, str]] = {}
    for path in _scenario_files():
        ds = model.run(path, replicates=REPLICATES, overrides=OVERRIDES)
        out[f"scenario/{path.stem}"] = fingerprint(ds)
    panel = model.firm_panel(SCENARIOS / "plan.toml", replicate=1, overrides=OVERRIDES)
    out["firm_panel/plan"] = fingerprint(panel)
    for path in _sweep_files():
        ds = model.sweep(path, replicates=REPLICATES, overrides=OVERRIDES, progress=False)
        out[f"sweep/{path.stem}"] = fingerprint(ds)
    return out


@pytest.fixture(scope="module")
def recorded() -> dict[str, dict[str, str]]:
    return json.loads(FINGERPRINTS.read_text(encoding="utf-8"))


def test_every_shipped_scenario_and_sweep_is_fingerprinted(recorded) -> None:
    names = {f"scenario/{p.stem}" for p in _scenario_files()}
    names |= {f"sweep/{p.stem}" for p in _sweep_files()} | {"firm_panel/plan"}
    assert names <= set(recorded), f"not fingerprinted: {sorted(names - set(recorded))}"


def test_results_are_bit_identical_to_before_the_move(recorded) -> None:
    now = compute()
    problems = []
    for run, before in recorded.items():
        after = now.get(run)
        if after is None:
            problems.append(f"{run}: no longer shipped")
            continue
        renamed = {RENAMED.get(k, k): v for k, v in before.items()}
        missing = sorted(set(renamed) - set(after))
        changed = sorted(k for k in set(renamed) & set(after) if renamed[k] != after[k])
        if missing:
            problems.append(f"{run}: missing {missing}")
        if changed:
            problems.append(f"{run}: changed {changed}")
    assert not problems, "results changed:\n" + "\n".join(problems)


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.test_fingerprints --write")
    if FINGERPRINTS.exists():
        sys.exit(f"{FINGERPRINTS} exists: it is the record of before the move; delete it first")
    FINGERPRINTS.parent.mkdir(exist_ok=True)
    FINGERPRINTS.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {FINGERPRINTS}")
