"""Serial, local processes and dask.distributed give bit-identical sweeps, for any batching.

Each replicate draws from its own streams and every point of a sweep uses the same seed, so
neither the executor, the number of workers, the batch size nor how points are grouped into
tasks may change a single bit. The dask tests start a LocalCluster on the loopback interface.
"""

from __future__ import annotations

import textwrap

import pytest
import xarray as xr

import model
from model import cli
from model.experiments.sweep import Sweep, load_sweep
from model.testing import SCENARIOS, assert_identical_runs

distributed = pytest.importorskip("distributed")

PLAN = (SCENARIOS / "plan.toml").as_posix()
NO_POLICY = (SCENARIOS / "no_policy.toml").as_posix()


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Sweep:
    path = tmp_path_factory.mktemp("spec") / "executors.toml"
    path.write_text(
        textwrap.dedent(
            f"""
            name = "executors"
            scenarios = ["{PLAN}", "{NO_POLICY}"]
            replicates = 3
            set = {{ "market.firm_scale" = 0.03, "spinup.years" = 5 }}

            [[axis]]
            path = "innovation.zeta_imitation"     # changes the spin-up: two spin-up groups
            values = [8.0, 12.0]
            """
        ),
        encoding="utf-8",
    )
    return load_sweep(path)


@pytest.fixture(scope="module")
def serial(spec: Sweep) -> xr.Dataset:
    return model.sweep(spec, batch_size=3)


def test_groups_share_spinups(spec: Sweep) -> None:
    # plan and no_policy differ only after the base year; the imitation parameter does not.
    assert [sorted(g) for g in spec.groups] == [[0, 2], [1, 3]]
    layout = spec.layout(workers=2, batch_size=1)
    assert sorted(p for c in layout.chunks for p in c) == [0, 1, 2, 3]
    assert len(layout.tasks(spec.replicates)) >= 4


def test_one_point_per_task_in_this_process(spec: Sweep, serial: xr.Dataset) -> None:
    # Batches of 2 + 1 replicates; every point spun up on its own (chunks of one point).
    layout_one = spec.layout(workers=8, batch_size=2)
    assert max(len(c) for c in layout_one.chunks) == 1
    again = model.sweep(spec, batch_size=2, workers=1)
    assert_identical_runs(again, serial)


def test_local_processes(spec: Sweep, serial: xr.Dataset) -> None:
    assert_identical_runs(model.sweep(spec, workers=2, batch_size=1), serial)


@pytest.mark.slow  # ~6 s: two worker processes import the model; the threads test runs by default
def test_dask_local_cluster_processes(spec: Sweep, serial: xr.Dataset) -> None:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        # By address, as `--scheduler tcp://host:port` does.
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        by_address = model.sweep(spec, scheduler=cluster.scheduler_address, batch_size=1)
        with distributed.Client(cluster) as client:
            by_client = model.sweep(spec, scheduler=client, batch_size=2)
    assert_identical_runs(by_address, serial)
    assert_identical_runs(by_client, serial)


def test_dask_threads(spec: Sweep, serial: xr.Dataset) -> None:
    """A LocalCluster on loopback TCP: tasks and results travel pickled through the scheduler."""
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        assert_identical_runs(
            model.sweep(spec, scheduler=cluster.scheduler_address, batch_size=1), serial
        )


def test_workers_and_scheduler_exclude_each_other(
    spec: Sweep, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError, match="not both"):
        model.sweep(spec, workers=2, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(SystemExit):
        cli.main(["sweep", "x.toml", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"])
    assert "not allowed with argument" in capsys.readouterr().err
    args = cli.build_parser().parse_args(["sweep", "x.toml", "--scheduler", "tcp://10.0.0.1:8786"])
    assert args.scheduler == "tcp://10.0.0.1:8786" and args.workers == 1


def test_progress_bar_counts_runs(spec: Sweep, capsys: pytest.CaptureFixture[str]) -> None:
    model.sweep(spec, batch_size=3, progress=True)
    err = capsys.readouterr().err
    assert "executors" in err and "12/12" in err, err[-500:]  # runs = points x replicates
