"""A regional industrial-economy agent-based model of firms, clusters and subsidy instruments.

The public interface:

- :func:`load_scenario` reads a scenario TOML file (and the region file it names);
- :func:`run` runs its Monte Carlo replicates into a labelled :class:`xarray.Dataset`;
- :func:`firm_panel` gives one replicate's firm x year panel;
- :class:`RegionModel` is the Mesa model itself, for stepping by hand.
"""

from model._config import ScenarioError, Schedule
from model._model import RegionModel
from model._run import firm_panel, run, write_netcdf
from model._scenario import load_scenario
from model.params import Region, Scenario

__version__ = "0.1.0"

__all__ = [
    "RegionModel",
    "Region",
    "Scenario",
    "ScenarioError",
    "Schedule",
    "firm_panel",
    "load_scenario",
    "run",
    "write_netcdf",
]
