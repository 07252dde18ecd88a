"""The briefing chart pack (English and Chinese): ``model.plot.charts`` and its charts.

Every chart states its finding in the title, computed from the data; a subtitle gives the
measure, units, place and period; a source line gives the file's scenario or sweep,
replicates, seed and code version, and what the bands mean. One style
(``briefing.mplstyle``). Targets come from ``calibration/targets.toml``. The same input gives
byte-identical PNG and PDF files.
"""

from model.plot.charts import (
    SUPPORTED,
    attainment_by_scenario,
    calibration_fit,
    charts,
    firm_sizes,
    headline_fan,
    implied_strength,
    lever_sweep,
    machine_ages,
    machine_tool_markets_chart,
    plan_vs_counterfactuals,
    policy_effects,
    sensitivity_indices,
    shapley_waterfall,
    value_per_yuan_chart,
)

__all__ = [
    "SUPPORTED",
    "attainment_by_scenario",
    "calibration_fit",
    "charts",
    "firm_sizes",
    "headline_fan",
    "implied_strength",
    "lever_sweep",
    "machine_ages",
    "machine_tool_markets_chart",
    "plan_vs_counterfactuals",
    "policy_effects",
    "sensitivity_indices",
    "shapley_waterfall",
    "value_per_yuan_chart",
]
