"""How the model compiles its loops: numba's ``njit`` with the project's options, set once.

Every compiled loop imports ``njit`` from here, so an option applies to all of them.
"""

from __future__ import annotations

from typing import Any

from numba import njit as _numba_njit

#: ``error_model="numpy"``: a float division by zero gives inf or nan, as numpy does, instead
#: of raising. Every divisor in the loops is either guarded (``max(x, TINY)``) or positive for
#: any scenario the schema accepts (``config`` refuses a zero set price, above-scale threshold
#: or R&D user cost), so no result changes; what goes is the check Python's semantics puts
#: before every division, which blocks LLVM's vectorising and cost 5-7% of a simulated year at
#: 60k firms (interleaved runs, 2026-12-03). numba's on-disk cache is keyed on the source
#: file, not on these options: after changing them, delete the ``__pycache__/*.nbi`` and
#: ``*.nbc`` files so the loops are compiled again.
OPTIONS: dict[str, Any] = {"error_model": "numpy"}


def njit(*args: Any, **kwargs: Any) -> Any:
    """``numba.njit`` with :data:`OPTIONS` (a keyword given here overrides them)."""
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return _numba_njit(**OPTIONS)(args[0])
    return _numba_njit(*args, **{**OPTIONS, **kwargs})
