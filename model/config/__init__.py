"""Configuration: scenario, region and target files into validated, frozen objects.

The first layer: it imports nothing else of the model. Units and the small constants of the
model are defined once in :mod:`model.config.units`.
"""

from model.config.errors import ScenarioError
from model.config.params import Region, Scenario
from model.config.scenario import load_scenario, resolve, scenario_text
from model.config.schedule import Schedule
from model.config.targets import Target, load_targets

__all__ = [
    "Region",
    "Scenario",
    "ScenarioError",
    "Schedule",
    "Target",
    "load_scenario",
    "load_targets",
    "resolve",
    "scenario_text",
]
