"""Shared fixtures of the behaviour tests.

Runs are small (about 2,000 firms, 20 spin-up years; see ``model.testing.small_overrides``)
and cached for the session by ``model.testing.small_run``, so modules that need the same run
share it.
"""

from __future__ import annotations

import pytest
import xarray as xr

from model.testing import PLAN, small_run

#: Replicates of the shared plan run: enough to catch cross-replicate mix-ups, few enough
#: to stay fast.
PLAN_REPLICATES = 3


@pytest.fixture
def plan_run() -> xr.Dataset:
    """The announced-plan scenario, small scale, default shocks, 3 replicates.

    Run once per session (cached); each test gets its own copy, free to modify.
    """
    return small_run(PLAN, replicates=PLAN_REPLICATES)


@pytest.fixture(autouse=True)
def _close_figures():
    """Figures a test draws (chart functions return them) are closed after it."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
