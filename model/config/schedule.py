"""A number that may change over time: :class:`Schedule` (scenario files give it by date)."""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from itertools import pairwise

import numpy as np

from model.config.errors import is_number, show_value

__all__ = ["ALWAYS", "DATE_RE", "Schedule", "format_date_key", "parse_date_key"]

# Sentinel start of a constant schedule; real dates give month indices >= 12.
ALWAYS = -1
DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


@dataclasses.dataclass(frozen=True, slots=True)
class Schedule:
    """A number that may change over time, given by month.

    In TOML either a plain number (constant) or a table whose keys are ``"YYYY"`` or
    ``"YYYY-MM"``; each value applies from the first day of that month until the next key.
    Years before the first key take the first value, so a one-key table behaves like a
    constant (but keeps its date when written back).

    Attributes:
        points: ``(month_index, value)`` pairs, strictly increasing in month index, where
            ``month_index = year * 12 + month - 1``; a constant is ``((-1, value),)``.
    """

    points: tuple[tuple[int, float], ...]

    def __post_init__(self) -> None:
        if not self.points:
            raise ValueError("a schedule needs at least one value")
        starts = [s for s, _ in self.points]
        if any(b <= a for a, b in pairwise(starts)):
            raise ValueError("schedule dates must be strictly increasing")

    @classmethod
    def constant(cls, value: float) -> Schedule:
        """Return a schedule with the same value in every year."""
        return cls(((ALWAYS, float(value)),))

    @classmethod
    def from_dates(cls, table: Mapping[str, float]) -> Schedule:
        """Build a schedule from ``{"YYYY" or "YYYY-MM": value}``.

        Raises:
            ValueError: If a key is not a valid date, two keys name the same month, or a
                value is not a number.
        """
        points: dict[int, tuple[str, float]] = {}
        for k, v in table.items():
            idx = parse_date_key(k)
            if idx in points:
                raise ValueError(f"{k!r} names the same month as {points[idx][0]!r}")
            if not is_number(v):
                raise ValueError(f"{k!r}: expected a number, got {show_value(v)}")
            points[idx] = (k, float(v))
        if not points:
            raise ValueError("a schedule table needs at least one 'YYYY' or 'YYYY-MM' key")
        return cls(tuple((i, points[i][1]) for i in sorted(points)))

    @property
    def is_constant(self) -> bool:
        """Whether the schedule was given as a single number."""
        return len(self.points) == 1 and self.points[0][0] == ALWAYS

    def at(self, year: int) -> float:
        """Return the time-weighted (by month) average value over calendar ``year``."""
        starts = [s for s, _ in self.points]
        first = year * 12
        # Accumulate per segment rather than per month so a value constant over the year
        # comes back exactly, not as a sum of twelve rounded twelfths.
        segments: list[tuple[int, float]] = []
        for m in range(12):
            i = max(bisect_right(starts, first + m) - 1, 0)
            v = self.points[i][1]
            if segments and segments[-1][1] == v:
                segments[-1] = (segments[-1][0] + 1, v)
            else:
                segments.append((1, v))
        if len(segments) == 1:
            return segments[0][1]
        return sum(n * v for n, v in segments) / 12

    def values_for(self, years: Iterable[int]) -> np.ndarray:
        """Return ``at(y)`` for each year as a float64 array."""
        return np.array([self.at(y) for y in years], dtype=np.float64)

    def scaled(self, factor: float) -> Schedule:
        """Return a new schedule with every value multiplied by ``factor``."""
        return Schedule(tuple((s, v * factor) for s, v in self.points))

    def to_toml_value(self) -> float | dict[str, float]:
        """Return the TOML form: a number for a constant, else a table of dates."""
        if self.is_constant:
            return self.points[0][1]
        return {format_date_key(s): v for s, v in self.points}


def parse_date_key(key: str) -> int:
    """Month index (year x 12 + month - 1) of a "YYYY" or "YYYY-MM" key."""
    m = DATE_RE.match(key)
    if not m:
        raise ValueError(f"bad date key {key!r}; expected 'YYYY' or 'YYYY-MM'")
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else 1
    if year < 1 or not 1 <= month <= 12:
        raise ValueError(f"bad date key {key!r}; month must be 01..12 and year >= 0001")
    return year * 12 + month - 1


def format_date_key(idx: int) -> str:
    """The "YYYY" or "YYYY-MM" key of a month index (inverse of ``parse_date_key``)."""
    year, month0 = divmod(idx, 12)
    return f"{year:04d}" if month0 == 0 else f"{year:04d}-{month0 + 1:02d}"
