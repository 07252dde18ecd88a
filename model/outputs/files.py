"""Writing results (netCDF4, atomically) and the code version they record."""

from __future__ import annotations

import os
import subprocess
from functools import lru_cache
from pathlib import Path

import xarray as xr

from model.config.version import __version__


@lru_cache(maxsize=1)
def code_version() -> str:
    """Package version plus the git commit of the source tree, if there is one."""
    here = Path(__file__).resolve().parent

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(here), *args], capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
        return f"{__version__}+g{commit}{'.dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return __version__


def write_netcdf(ds: xr.Dataset, path: str | os.PathLike[str]) -> Path:
    """Write a dataset atomically: to a temporary file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        ds.to_netcdf(tmp, engine="h5netcdf")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
