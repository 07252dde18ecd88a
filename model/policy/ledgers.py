"""Per-slot values kept in little memory, and the schedules of amounts due per slot.

A subsidy reaches few firms, so a year's payments and the no-policy twin's activity are kept
as their non-zero entries.
"""

from __future__ import annotations

import math

import numpy as np

from model.economy.compiled import njit

__all__ = [
    "CompactSlots",
    "clear_schedule",
    "is_entry",
    "shift_schedule",
]


class CompactSlots:
    """Per-slot values (R, N) kept in little memory, given back bit for bit.

    A subsidy reaches few firms: a mostly-zero array keeps only its non-zero entries (flat
    position and value); any other array is kept whole. ``dense()`` returns the same values,
    -0.0 and NaN included.

    Args:
        values: The per-slot values.
        copy: Copy ``values`` when keeping them whole (when the caller will change them).
            Without it the array is kept as it is and must not be changed afterwards.
    """

    __slots__ = ("shape", "dtype", "index", "entries", "full")

    def __init__(self, values: np.ndarray, *, copy: bool = False) -> None:
        self.shape = values.shape
        self.dtype = values.dtype
        # The count ignores -0.0: enough to choose.
        index_dtype = self._entries_dtype(values, np.count_nonzero(values))
        if index_dtype is None:
            self.index = self.entries = None
            self.full = values.copy() if copy else values
            return
        flat = values.reshape(-1)
        # -0.0 is an entry too, so that it comes back with its sign.
        self.index = np.empty(_count_entries(flat), dtype=index_dtype)
        self.entries = np.empty(len(self.index), dtype=values.dtype)
        _fill_entries(flat, self.index, self.entries)
        self.full = None

    @staticmethod
    def _entries_dtype(values: np.ndarray, n_entries: int) -> type | None:
        """The flat positions' dtype if ``values`` are kept as their entries, else None.

        Entries only when they take at most half the whole array's memory (building them
        costs memory for a while too).
        """
        index_dtype = np.int32 if values.size < 2**31 else np.int64
        entry_bytes = values.itemsize + np.dtype(index_dtype).itemsize
        return None if 2 * n_entries * entry_bytes > values.nbytes else index_dtype

    @classmethod
    def of_entries(cls, values: np.ndarray, index: np.ndarray, entries: np.ndarray) -> CompactSlots:
        """``CompactSlots(values)`` when the caller already has its entries.

        Args:
            values: The per-slot values (R, N), kept as they are if kept whole.
            index: Flat positions of every entry of ``values`` (``is_entry``), in order.
            entries: Their values.
        """
        out = cls.__new__(cls)
        out.shape, out.dtype = values.shape, values.dtype
        index_dtype = cls._entries_dtype(values, len(index))
        if index_dtype is None:
            out.index = out.entries = None
            out.full = values
        else:
            out.index, out.entries, out.full = index.astype(index_dtype), entries, None
        return out

    @classmethod
    def zeros(cls, shape: tuple[int, ...], dtype: type = np.float64) -> CompactSlots:
        """All-zero values of ``shape``, held without a per-slot array."""
        out = cls.__new__(cls)
        out.shape, out.dtype, out.full = shape, np.dtype(dtype), None
        out.index, out.entries = np.zeros(0, dtype=np.int32), np.zeros(0, dtype=dtype)
        return out

    def dense(self) -> np.ndarray:
        """The values as an (R, N) array (the kept array itself when kept whole)."""
        if self.full is not None:
            return self.full
        out = np.zeros(self.shape, dtype=self.dtype)
        out.reshape(-1)[self.index] = self.entries
        return out

    def scaled(self, factor: np.ndarray) -> CompactSlots:
        """These values times ``factor`` (R, N), slot by slot (``dense() * factor``)."""
        if self.full is not None:
            return CompactSlots(self.full * factor)
        out = CompactSlots.zeros(self.shape, self.dtype)
        out.index = self.index
        out.entries = self.entries * factor.reshape(-1)[self.index]
        out.dtype = out.entries.dtype
        return out

    def cleared(self, where: np.ndarray) -> CompactSlots:
        """These values with the slots ``where`` (R, N) set to zero."""
        if self.full is not None:
            return CompactSlots(np.where(where, 0.0, self.full))
        out = CompactSlots.zeros(self.shape, self.dtype)
        keep = ~where.reshape(-1)[self.index]
        out.index, out.entries = self.index[keep], self.entries[keep]
        return out


@njit(inline="always")
def is_entry(x: float) -> bool:
    """Whether a value is kept as an entry: non-zero, NaN or -0.0 (so it keeps its sign)."""
    return (x != 0) | (math.copysign(1.0, x) < 0)


@njit(cache=True)
def _count_entries(flat: np.ndarray) -> int:
    """How many values are entries."""
    n = 0
    for x in flat:
        n += is_entry(x)
    return n


@njit(cache=True)
def _fill_entries(flat: np.ndarray, index: np.ndarray, entries: np.ndarray) -> None:
    """Write each entry's flat position and value, in order."""
    k = 0
    for i in range(flat.shape[0]):
        x = flat[i]
        if is_entry(x):
            index[k] = i
            entries[k] = x
            k += 1


@njit(cache=True)
def shift_schedule(schedule: np.ndarray) -> None:
    """Move a schedule of amounts due (R, N, years) one year on, in place; the last is 0.

    One pass over the slots (the amounts of a slot's years lie side by side).
    """
    R, N, K = schedule.shape
    for r in range(R):
        for n in range(N):
            for k in range(K - 1):
                schedule[r, n, k] = schedule[r, n, k + 1]
            schedule[r, n, K - 1] = 0.0


@njit(cache=True)
def clear_schedule(schedule: np.ndarray, where: np.ndarray) -> None:
    """Zero every year of the slots ``where`` (R, N) of a schedule (R, N, years), in place."""
    R, N, K = schedule.shape
    for r in range(R):
        for n in range(N):
            if where[r, n]:
                for k in range(K):
                    schedule[r, n, k] = 0.0
