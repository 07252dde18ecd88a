"""How a sweep is cut into tasks: chunks of points sharing a spin-up x batches of replicates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

#: Most points in one task (they share one spin-up): bounds the work lost to an interruption
#: (at full scale, 32 points x 8 replicates is about 1.5 min of one core). Splitting a group
#: repeats its 30-year spin-up and no-policy twin in each part, more than four points' work.
MAX_POINTS_PER_TASK = 32


class Task(NamedTuple):
    """One unit of work: replicates ``start .. stop-1`` of the points of chunk ``chunk``."""

    chunk: int
    start: int
    stop: int

    @property
    def replicates(self) -> list[int]:
        """Replicate numbers of the task."""
        return list(range(self.start, self.stop))

    @property
    def runs(self) -> int:
        """Replicates in the task (per point)."""
        return self.stop - self.start

    @property
    def filename(self) -> str:
        """File name of the task's piece."""
        return f"chunk-{self.chunk:06d}.replicates-{self.start:06d}-{self.stop:06d}.npz"


@dataclass(frozen=True)
class TaskLayout:
    """How a sweep is cut into tasks: chunks of points (sharing a spin-up) x replicate batches.

    Results do not depend on the layout; a resumed sweep keeps the layout it started with.
    """

    chunks: tuple[tuple[int, ...], ...]
    batch_size: int

    def tasks(self, replicates: int) -> list[Task]:
        """Every task: each chunk of points x each batch of replicates."""
        b = max(1, int(self.batch_size))
        return [
            Task(c, s, min(s + b, replicates))
            for c in range(len(self.chunks))
            for s in range(0, replicates, b)
        ]

    def to_json(self) -> dict[str, Any]:
        """The layout as JSON data (the manifest keeps it for a resumed sweep)."""
        return {"chunks": [list(c) for c in self.chunks], "batch_size": self.batch_size}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> TaskLayout:
        """The layout a manifest recorded."""
        return cls(tuple(tuple(int(p) for p in c) for c in d["chunks"]), int(d["batch_size"]))
