"""A regional industrial-economy agent-based model of firms, clusters and subsidy instruments.

The public interface:

- :func:`load_scenario` reads a scenario TOML file (and the region file it names);
- :func:`run` runs its Monte Carlo replicates into a labelled :class:`xarray.Dataset`;
- :func:`firm_panel` gives one replicate's firm x year panel;
- :class:`RegionModel` is the Mesa model itself, for stepping by hand;
- :func:`sweep` runs a sweep file's points x replicates into one dataset (resumable), and
  :func:`sensitivity` a Sobol or Morris analysis;
- :func:`attainment`, :func:`bands`, :func:`differences`, :func:`value_per_yuan`,
  :func:`deadweight_leakage`, :func:`machine_tool_markets` and :func:`shapley` derive views
  from a run or sweep.

The package is in layers, each importing only the ones before it (docs/architecture.md):
``config`` -> ``economy`` -> ``policy`` -> ``outputs`` -> ``simulation`` -> ``analysis`` ->
``experiments`` -> ``report`` -> ``cli``; ``testing`` serves the tests.
"""

from model.analysis.key_outputs import key_outputs
from model.analysis.shapley import shapley
from model.analysis.targets import attainment
from model.analysis.views import (
    bands,
    deadweight_leakage,
    difference_summary,
    differences,
    machine_tool_markets,
    value_per_yuan,
)
from model.config.errors import ScenarioError
from model.config.params import Region, Scenario
from model.config.scenario import load_scenario
from model.config.schedule import Schedule
from model.config.version import __version__
from model.experiments.run import firm_panel, run
from model.experiments.sensitivity import load_sensitivity, sensitivity
from model.experiments.sweep import Sweep, load_sweep, sweep
from model.outputs.files import write_netcdf
from model.simulation.model import RegionModel

__all__ = [
    "RegionModel",
    "Region",
    "Scenario",
    "ScenarioError",
    "Schedule",
    "Sweep",
    "__version__",
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
    "machine_tool_markets",
    "run",
    "sensitivity",
    "shapley",
    "sweep",
    "value_per_yuan",
    "write_netcdf",
]
