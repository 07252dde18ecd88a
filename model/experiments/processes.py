"""Local worker processes that start without re-running the user's main script.

``multiprocessing``'s "spawn" start method makes each child re-import the parent's
``__main__`` (as ``__mp_main__``) so that functions defined there can be unpickled. A plain
script that calls ``model.run(..., workers=2)`` at top level, without an
``if __name__ == "__main__":`` guard, would then re-run that call in every child, which
fails while the child is still starting, and the parent only sees a ``BrokenProcessPool``.

Our workers never need the user's ``__main__``: everything they run (the pools' worker
loops, ``_simulate_batch``, ``run_task``) and everything they receive (scenarios, tasks) is
defined in the standard library or in the ``model`` package. So, like loky's default
context (which calls ``get_preparation_data(name, init_main_module=False)``), the children
started here are told nothing about the main module: they import only what they unpickle.
Scripts work with or without the guard, and so do notebooks and ``python -m model``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from collections.abc import Callable, Iterator
from multiprocessing import spawn
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any

__all__ = ["worker_context"]

#: The keys of ``multiprocessing.spawn.get_preparation_data`` that make a child re-run the
#: parent's main module (by module name or by file path).
_MAIN_KEYS = ("init_main_from_name", "init_main_from_path")

# One launch at a time swaps ``spawn.get_preparation_data`` (held for the few milliseconds
# of writing the child's start-up data to it).
_launch_lock = threading.Lock()


@contextlib.contextmanager
def _main_not_sent() -> Iterator[None]:
    """Within the block, processes spawned by this thread do not re-import ``__main__``.

    The stdlib's spawn launchers (POSIX and Windows) look ``spawn.get_preparation_data`` up
    at call time; it is wrapped for the duration of one launch and restored afterwards.
    Other threads launching processes meanwhile get the original data unchanged.
    """
    with _launch_lock:
        original: Callable[..., dict[str, Any]] = spawn.get_preparation_data
        owner = threading.get_ident()

        def preparation_data(name: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
            data = original(name, *args, **kwargs)
            if threading.get_ident() == owner:
                for key in _MAIN_KEYS:
                    data.pop(key, None)
            return data

        spawn.get_preparation_data = preparation_data
        try:
            yield
        finally:
            spawn.get_preparation_data = original


class _WorkerProcess(SpawnProcess):
    """A spawned process whose child does not re-run the parent's main script."""

    _start_method = "spawn"

    @staticmethod
    def _Popen(process_obj: Any) -> Any:  # noqa: N802 (the name multiprocessing calls)
        with _main_not_sent():
            return SpawnProcess._Popen(process_obj)


class _WorkerContext(SpawnContext):
    """The "spawn" context, with processes that do not re-import ``__main__``."""

    _name = "spawn"
    Process = _WorkerProcess


_CONTEXT = _WorkerContext()


def worker_context() -> multiprocessing.context.BaseContext:
    """The multiprocessing context of the model's local worker processes.

    A "spawn" context (fresh interpreters, the same on every platform) whose children do not
    re-import the caller's main module. ``model.run(..., workers=n)`` and
    ``model.sweep(..., workers=n)`` therefore work from a plain script without an
    ``if __name__ == "__main__":`` guard, as well as from guarded scripts, notebooks and the
    command line; the workers run only functions of the ``model`` package.

    Returns:
        The context; pass it as ``mp_context`` to
        :class:`concurrent.futures.ProcessPoolExecutor` or call its ``Pool(...)``.

    Example:
        >>> from concurrent.futures import ProcessPoolExecutor
        >>> with ProcessPoolExecutor(2, mp_context=worker_context()) as pool:  # doctest: +SKIP
        ...     list(pool.map(abs, [-1, -2]))
        [1, 2]
    """
    return _CONTEXT
