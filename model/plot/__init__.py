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
    charts,
    headline_fan,
    plan_vs_counterfactuals,
    policy_effects,
    shapley_waterfall,
)

__all__ = [
    "SUPPORTED",
    "attainment_by_scenario",
    "charts",
    "headline_fan",
    "plan_vs_counterfactuals",
    "policy_effects",
    "shapley_waterfall",
]
