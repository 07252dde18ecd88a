"""Counter-based random numbers for the compiled rules.

A draw is a pure function of a stream key and a counter: the key stands for (root seed,
replicate, year, process) and the counter for (firm slot, draw number). So a firm's numbers
do not depend on the batch its replicate runs in, on how many other firms drew before it, or
on whether another process drew at all; and a kernel draws only the numbers it uses (an
imitation target only for a firm that tries to imitate). The generator is SplitMix64
(Steele, Lea and Flood 2014) evaluated at position ``counter`` of the sequence seeded with
the key, which passes BigCrush.
"""

from __future__ import annotations

import math

import numpy as np

from model.economy.compiled import njit

#: Random processes, each with its own stream per (replicate, year).
PROCESSES: tuple[str, ...] = (
    "init",
    "demand",
    "innovation",
    "imitation",
    "brochure",
    "bunching",
    "entry",
    "procurement",
    "growth",
    "renewal_list",
    "provincial_soe",
    "title_phase",
)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_POW_MINUS_53 = 1.0 / 9007199254740992.0

#: Counters per firm slot in one process and year: draw k of slot n is counter n * STRIDE + k.
STRIDE = 64


def stream_keys(seed: int, replicates: np.ndarray, year: int, process: str) -> np.ndarray:
    """Key of each replicate's stream of a process in a year, (R,) uint64."""
    pid = PROCESSES.index(process)
    return np.array(
        [
            np.random.SeedSequence(seed, spawn_key=(int(r), year, pid)).generate_state(
                1, np.uint64
            )[0]
            for r in replicates
        ],
        dtype=np.uint64,
    )


@njit(inline="always")
def uniform(key: np.uint64, counter: int) -> float:
    """Uniform [0, 1) draw number ``counter`` of the stream ``key``."""
    z = key + np.uint64(counter) * _GOLDEN
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    z = z ^ (z >> _S31)
    return np.float64(z >> _S11) * _TWO_POW_MINUS_53


@njit(inline="always")
def normal(key: np.uint64, counter: int) -> float:
    """Standard normal draw from counters ``counter`` and ``counter + 1`` (Box-Muller)."""
    u1 = uniform(key, counter)
    u2 = uniform(key, counter + 1)
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


@njit(cache=True)
def slot_uniform_below(keys: np.ndarray, slot_id: np.ndarray, p: float) -> np.ndarray:
    """Whether each slot's uniform of a stream is below ``p`` (R, N).

    Slot n's number is draw ``slot_id[n]`` x STRIDE of the stream (``keys``: this year's, one
    per replicate), ``slot_id`` being the slots' numbers in the full layout: a slot's number
    does not depend on how many slots are open (``SlotLayout.open_part``).
    """
    R, N = keys.shape[0], slot_id.shape[0]
    out = np.empty((R, N), dtype=np.bool_)
    for r in range(R):
        key = keys[r]
        for n in range(N):
            out[r, n] = uniform(key, slot_id[n] * STRIDE) < p
    return out


@njit
def beta_integer(key: np.uint64, counter: int, a: int, b: int) -> float:
    """Beta(a, b) draw for integer a, b: the a-th smallest of a + b - 1 uniforms.

    Uses counters ``counter`` .. ``counter + a + b - 2``.
    """
    return beta_integer_into(key, counter, a, b, np.empty(a + b - 1))


@njit(inline="always")
def beta_integer_into(key: np.uint64, counter: int, a: int, b: int, scratch: np.ndarray) -> float:
    """``beta_integer`` using ``scratch`` (at least a + b - 1 long) for the uniforms.

    A loop that draws many Beta numbers passes one scratch array: a fresh array per draw
    costs a heap allocation each.
    """
    n = a + b - 1
    # Insertion sort: a handful of values, and the same order as a full sort.
    for i in range(n):
        v = uniform(key, counter + i)
        j = i
        while j > 0 and scratch[j - 1] > v:
            scratch[j] = scratch[j - 1]
            j -= 1
        scratch[j] = v
    return scratch[a - 1]


class Draws:
    """Fixed-shape draws of one process in one year, stacked over replicates.

    Each replicate has its own generator keyed by (root seed, replicate, year, process), so a
    replicate's numbers do not depend on which other replicates share its batch, and a
    process's numbers do not depend on any other process or on the model's state.
    """

    def __init__(self, seed: int, replicates: np.ndarray, year: int, process: str) -> None:
        pid = PROCESSES.index(process)
        self._gens = [
            np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(r), year, pid)))
            for r in replicates
        ]

    def _stack(self, method: str, shape: tuple[int, ...], *args: float) -> np.ndarray:
        return np.stack([getattr(g, method)(*args, size=shape[1:]) for g in self._gens])

    def random(self, shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
        """Uniform [0, 1) draws of the given shape (first axis: replicate)."""
        return np.stack([g.random(size=shape[1:], dtype=dtype) for g in self._gens])

    def standard_normal(self, shape: tuple[int, ...]) -> np.ndarray:
        """Standard normal draws (first axis: replicate)."""
        return self._stack("standard_normal", shape)

    def beta(self, a: float, b: float, size: tuple[int, ...]) -> np.ndarray:
        """Beta(a, b) draws (first axis: replicate)."""
        return self._stack("beta", size, a, b)
