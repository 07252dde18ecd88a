"""A regional industrial-economy agent-based model of firms, clusters and subsidy instruments.

The public interface:

- :func:`load_scenario` reads a scenario TOML file (and the region file it names);
- :func:`run` runs its Monte Carlo replicates into a labelled :class:`xarray.Dataset`;
- :func:`firm_panel` gives one replicate's firm x year panel;
- :class:`RegionModel` is the Mesa model itself, for stepping by hand;
- :func:`sweep` runs a sweep file's points x replicates into one dataset (resumable), and
  :func:`sensitivity` a Sobol or Morris analysis;
- :func:`attainment`, :func:`bands`, :func:`differences`, :func:`value_per_yuan`,
  :func:`deadweight_leakage` and :func:`shapley` derive views from a run or sweep.
"""

from model._config import ScenarioError, Schedule
from model._model import RegionModel
from model._run import firm_panel, run, write_netcdf
from model._scenario import load_scenario
from model._sensitivity import load_sensitivity, sensitivity
from model._sweep import Sweep, load_sweep, sweep
from model._views import (
    attainment,
    bands,
    deadweight_leakage,
    difference_summary,
    differences,
    key_outputs,
    shapley,
    value_per_yuan,
)
from model.params import Region, Scenario

__version__ = "0.1.0"

__all__ = [
    "RegionModel",
    "Region",
    "Scenario",
    "ScenarioError",
    "Schedule",
    "Sweep",
    "attainment",
    "bands",
    "deadweight_leakage",
    "difference_summary",
    "differences",
    "firm_panel",
    "key_outputs",
    "load_scenario",
    "load_sensitivity",
    "load_sweep",
    "run",
    "sensitivity",
    "shapley",
    "sweep",
    "value_per_yuan",
    "write_netcdf",
]
