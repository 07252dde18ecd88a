"""Executors of a sweep's tasks: serial, local processes, or a dask.distributed cluster."""

from __future__ import annotations

import contextlib
import itertools
import signal
from collections.abc import Iterable, Iterator
from typing import Any

from model.config.errors import ScenarioError
from model.config.params import Scenario
from model.experiments.processes import worker_context
from model.experiments.sweep.store import Arrays
from model.experiments.sweep.tasks import Task
from model.simulation.batch import simulate_points_batch
from model.simulation.model import spinup_key


def _ignore_sigint() -> None:
    # Ctrl-C is the parent's business: it stops the pool; workers must not print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


Job = tuple[Task, tuple[int, ...], list[Scenario]]


def run_task(job: Job) -> tuple[Task, dict[int, Arrays]]:
    """Simulate a task: its points' replicates, one spin-up per group of equal ``spinup_key``."""
    task, points, scenarios = job
    groups: list[tuple[Scenario, list[int]]] = []
    for i, sc in enumerate(scenarios):
        key = spinup_key(sc)
        for gkey, members in groups:
            if gkey == key:
                members.append(i)
                break
        else:
            groups.append((key, [i]))
    out: dict[int, Arrays] = {}
    for _, members in groups:
        arrays = simulate_points_batch([scenarios[i] for i in members], task.replicates)
        for i, arrs in zip(members, arrays, strict=True):
            out[points[i]] = arrs
    return task, out


def run_serially(jobs: Iterable[Job]) -> Iterator[tuple[Task, dict[int, Arrays]]]:
    """Run the tasks one after another in this process."""
    for job in jobs:
        yield run_task(job)


def run_on_processes(jobs: Iterable[Job], workers: int) -> Iterator[tuple[Task, dict[int, Arrays]]]:
    """Run the tasks on local spawned processes, yielding each as it finishes.

    The workers do not re-run the caller's script, so a script needs no main guard.
    """
    pool = worker_context().Pool(workers, initializer=_ignore_sigint)
    try:
        yield from pool.imap_unordered(run_task, jobs, chunksize=1)
    finally:
        # Every result is in (or the sweep was interrupted): stop the workers at once.
        pool.terminate()
        pool.join()


def run_on_dask(jobs: Iterable[Job], client: Any) -> Iterator[tuple[Task, dict[int, Arrays]]]:
    """Run the tasks on a dask.distributed cluster, a window of them in flight at a time."""
    from distributed import as_completed

    futures = []
    try:
        # Keep a window of tasks in flight rather than every scenario on the scheduler.
        window = max(2 * sum(client.nthreads().values()), 4)
        it = iter(jobs)
        futures = [client.submit(run_task, j, pure=False) for j in itertools.islice(it, window)]
        pending = as_completed(futures, loop=client.loop)
        for fut in pending:
            result = fut.result()
            futures.remove(fut)
            fut.release()
            nxt = next(it, None)
            if nxt is not None:
                new = client.submit(run_task, nxt, pure=False)
                futures.append(new)
                pending.add(new)
            yield result
    finally:
        if futures:
            client.cancel(futures)


@contextlib.contextmanager
def dask_client(scheduler: Any) -> Iterator[Any]:
    """A dask.distributed client for an address (closed afterwards), or the client given."""
    if scheduler is None:
        yield None
        return
    from distributed import Client

    if isinstance(scheduler, Client):
        yield scheduler
        return
    try:
        client = Client(scheduler, set_as_default=False, timeout=30)
    except (OSError, TimeoutError, ValueError) as e:
        raise ScenarioError(
            "--scheduler", str(scheduler), f"cannot connect to the dask scheduler: {e}"
        ) from None
    try:
        yield client
    finally:
        client.close()
