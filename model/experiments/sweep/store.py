"""Finished tasks kept in memory or as pieces on disk, each written atomically, for ``--resume``."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from model.config.errors import ScenarioError
from model.experiments.sweep.points import jsonable
from model.experiments.sweep.spec import PARTS_FORMAT, Sweep
from model.experiments.sweep.tasks import Task, TaskLayout
from model.outputs.files import code_version

_PIECE_RE = re.compile(r"^chunk-(\d+)\.replicates-(\d+)-(\d+)\.npz$")


MANIFEST = "manifest.json"


Arrays = dict[str, np.ndarray]


class MemoryStore:
    """Finished tasks kept in memory (no output folder)."""

    def __init__(self) -> None:
        self.pieces: dict[Task, dict[int, Arrays]] = {}

    def done(self) -> set[Task]:
        """The tasks already finished."""
        return set(self.pieces)

    def save(self, task: Task, arrays: dict[int, Arrays]) -> None:
        """Keep a finished task's arrays, by point."""
        self.pieces[task] = arrays

    def load(self, task: Task) -> dict[int, Arrays]:
        """A finished task's arrays, by point."""
        return self.pieces[task]

    def finish(self) -> None:
        """Forget the pieces (the sweep's dataset is assembled)."""
        self.pieces.clear()


class FolderStore:
    """Finished tasks as ``.npz`` pieces in ``DIR/<name>.parts``, each written atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def done(self) -> set[Task]:
        """The tasks whose piece is in the folder."""
        out = set()
        if self.folder.is_dir():
            for p in self.folder.iterdir():
                m = _PIECE_RE.match(p.name)
                if m:
                    out.add(Task(int(m.group(1)), int(m.group(2)), int(m.group(3))))
        return out

    def save(self, task: Task, arrays: dict[int, Arrays]) -> None:
        """Write a finished task's arrays as one piece, atomically."""
        flat = {f"p{point}.{k}": v for point, arrs in arrays.items() for k, v in arrs.items()}
        atomic_write(self.folder / task.filename, lambda fh: np.savez(fh, **flat))

    def load(self, task: Task) -> dict[int, Arrays]:
        """Read a piece back, checking it holds the replicates its name says."""
        path = self.folder / task.filename
        out: dict[int, Arrays] = {}
        try:
            with np.load(path, allow_pickle=False) as z:
                for key in z.files:
                    point, _, name = key.partition(".")
                    out.setdefault(int(point[1:]), {})[name] = z[key]
        except (OSError, ValueError) as e:
            raise ScenarioError(
                str(path), "", f"unreadable piece ({e}); delete it and resume to recompute it"
            ) from None
        for arrs in out.values():
            if "output" not in arrs or arrs["output"].shape[0] != task.runs:
                raise ScenarioError(
                    str(path),
                    "",
                    "piece does not hold the replicates its name says; delete it and resume",
                )
        return out

    def finish(self) -> None:
        """Remove the pieces folder (the sweep's dataset is written)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def atomic_write(path: Path, write: Callable[[Any], None]) -> None:
    """Write a file through ``write(fh)`` to a temporary name, then rename it into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def manifest(sw: Sweep, layout: TaskLayout) -> dict[str, Any]:
    """What the pieces folder's manifest records: the sweep, its digest, code and task layout."""
    return {
        "format": PARTS_FORMAT,
        "sweep": sw.name,
        "digest": sw.digest,
        "code_version": code_version(),
        "layout": layout.to_json(),
        "replicates": sw.replicates,
        "seed": sw.seed,
        "points": sw.n_points,
        "source": sw.source,
        "overrides": {k: jsonable(v) for k, v in sw.overrides.items()},
        "text": sw.text,
    }


def open_parts(sw: Sweep, folder: Path, layout: TaskLayout, resume: bool) -> TaskLayout:
    """Prepare the pieces folder; return the layout to use (a resumed run keeps its own)."""
    mpath = folder / MANIFEST
    if folder.exists() and any(folder.iterdir()):
        if not resume:
            raise ScenarioError(
                str(folder),
                "",
                "holds pieces of an unfinished run of this sweep: add --resume (resume=True) "
                "to continue it, or delete the folder to start over",
            )
        try:
            old = json.loads(mpath.read_text(encoding="utf-8"))
            old_layout = TaskLayout.from_json(old["layout"])
        except (OSError, ValueError, KeyError, TypeError):
            raise ScenarioError(
                str(mpath),
                "",
                "missing or unreadable: cannot tell which sweep these pieces belong to; "
                "delete the folder to start over",
            ) from None
        if old.get("format") != PARTS_FORMAT or old.get("digest") != sw.digest:
            new = manifest(sw, layout)
            changed = [
                f"{k} {old.get(k)} -> {new[k]}"
                for k in ("replicates", "seed", "points")
                if old.get(k) != new[k]
            ]
            detail = "; ".join(changed) or "scenario files, overrides or axes differ"
            raise ScenarioError(
                sw.source,
                "",
                f"the sweep changed since {folder} was written ({detail}): "
                "--resume would mix two sweeps; restore the sweep, "
                "or delete the folder to start over",
            )
        if old.get("code_version") != code_version():
            raise ScenarioError(
                str(folder),
                "",
                f"pieces were computed by code {old.get('code_version')}, "
                f"this is {code_version()}: resuming would mix model versions; "
                "delete the folder to start over",
            )
        if sorted(p for c in old_layout.chunks for p in c) != list(range(sw.n_points)):
            raise ScenarioError(
                str(mpath), "", "layout does not cover the sweep's points; delete the folder"
            )
        for stale in folder.glob(".*.tmp"):  # half-written pieces of a killed process
            stale.unlink(missing_ok=True)
        return old_layout
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(manifest(sw, layout), indent=1, ensure_ascii=False)
    atomic_write(mpath, lambda fh: fh.write(text.encode("utf-8")))
    return layout


def finished_result(final: Path, sw: Sweep) -> xr.Dataset | None:
    """The finished dataset at ``final`` if it is this sweep's, by this code; else None."""
    try:
        with xr.open_dataset(final, engine="h5netcdf") as f:
            if (
                f.attrs.get("sweep_digest") != sw.digest
                or f.attrs.get("code_version") != code_version()
            ):
                return None
            return f.load()
    except (OSError, ValueError):
        return None
