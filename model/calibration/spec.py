"""The calibration spec (``calibration/<region>.toml``): what is estimated, on what, and how.

::

    name = "<region>"
    scenario = "../scenarios/status_quo.toml"  # the world the realised figures come from
    plan = "../scenarios/plan.toml"            # the announced plan (stage 2)
    data = "data.toml"                         # realised figures: use = "fit" are the moments
    targets = "targets.toml"                   # use = "inverse" are stage 2's targets
    output = "<region>.calibrated.toml"
    seed = 20240615                            # the estimation's common random numbers

    [screening]   # Morris over every parameter; those moving no moment are fixed
    [global]      # a Latin hypercube at reduced scale
    [local]       # least squares from the best point, at full scale
    [robustness]  # the identity-weighted estimate
    [[parameter]] # path (<section>.<field>, or region.<section>.<field> of the region
                  # file), low, high, transform ("log" or "none")
    [inverse]     # stage 2: replicates, scale, probability, draws, bootstrap
    [[inverse.lever]]  # name, paths (scaled together), scale (multipliers of the plan's values)
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from model.config.data import Fact, load_facts
from model.config.errors import ScenarioError
from model.config.fields import p
from model.config.files import find
from model.config.params import Scenario
from model.config.scenario import load_scenario
from model.config.schema import build
from model.config.targets import Target, load_targets
from model.config.toml import is_estimable_path, read_toml
from model.experiments.sweep import value_at
from model.experiments.sweep.points import NAME_RE

__all__ = ["CalibrationSpec", "Lever", "Parameter", "load_calibration"]


@dataclass(frozen=True, kw_only=True)
class Parameter:
    """A ``[[parameter]]``: a behavioural parameter estimated within [low, high]."""

    path: str
    low: float
    high: float
    transform: Literal["none", "log"] = "none"
    why: str = field(default="", metadata={"doc": "why this range (its literature bounds)"})


@dataclass(frozen=True, kw_only=True)
class Screening:
    """``[screening]``: Morris elementary effects of every parameter on every moment."""

    trajectories: int = p(4, lo=2)
    levels: int = p(4, lo=2)
    replicates: int = p(2, lo=1)
    scale: float = p(0.2, lo=0.01, hi=1.0)
    threshold: float = p(
        0.5, lo=0.0
    )  # moment standard errors a parameter must move some moment by over its range


@dataclass(frozen=True, kw_only=True)
class GlobalSearch:
    """``[global]``: a Latin hypercube of the kept parameters at reduced scale."""

    samples: int = p(48, lo=2)
    replicates: int = p(4, lo=2)
    scale: float = p(0.2, lo=0.01, hi=1.0)


@dataclass(frozen=True, kw_only=True)
class LocalSearch:
    """``[local]``: bounded Levenberg-Marquardt from the best point (steps: scipy lsq_linear)."""

    replicates: int = p(4, lo=2)
    scale: float = p(1.0, lo=0.01, hi=1.0)
    max_iterations: int = p(6, lo=1)
    step: float = p(0.05, lo=1e-4, hi=0.5)  # finite-difference step, share of the range
    diagnostics_replicates: int = p(8, lo=2)  # at the estimate: moments, Jacobian, s.e.


@dataclass(frozen=True, kw_only=True)
class Robustness:
    """``[robustness]``: the estimate with every moment weighted by 1 / its data value squared."""

    replicates: int = p(4, lo=2)
    scale: float = p(0.2, lo=0.01, hi=1.0)
    max_iterations: int = p(4, lo=0)  # 0: no robustness estimate


@dataclass(frozen=True, kw_only=True)
class Lever:
    """``[[inverse.lever]]``: policy strengths scaled together by one factor."""

    name: str
    paths: tuple[str, ...]
    scale: tuple[float, ...]
    unit: str = ""


@dataclass(frozen=True, kw_only=True)
class Inverse:
    """``[inverse]``: stage 2, the policy strength the plan assumes."""

    replicates: int = p(20, lo=2)
    scale: float = p(1.0, lo=0.01, hi=1.0)
    probability: float = p(0.8, lo=0.5, hi=0.99)
    draws: int = p(4, lo=0)  # behavioural parameter vectors drawn from the estimate
    draw_replicates: int = p(8, lo=2)
    bootstrap: int = p(200, lo=10)
    lever: tuple[Lever, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CalibrationFile:
    """A calibration spec as written."""

    name: str | None = None
    description: str = ""
    scenario: str
    plan: str
    data: str = "data.toml"
    targets: str = "targets.toml"
    output: str
    seed: int = p(lo=0)
    pseudo_data_seed: int | None = field(default=None, metadata={"range": (0, None)})
    end_year: int = p(2025, lo=1990, hi=2100)
    screening: Screening = field(default_factory=Screening)
    global_: GlobalSearch = field(default_factory=GlobalSearch)
    local: LocalSearch = field(default_factory=LocalSearch)
    robustness: Robustness = field(default_factory=Robustness)
    parameter: tuple[Parameter, ...] = ()
    inverse: Inverse = field(default_factory=Inverse)


@dataclass(frozen=True)
class CalibrationSpec:
    """A resolved calibration spec."""

    name: str
    description: str
    source: str
    text: str
    scenario: Scenario  # the estimation's world, uncalibrated, ending at end_year
    plan: Scenario  # the announced plan, uncalibrated
    plan_path: Path
    facts: tuple[Fact, ...]
    targets: tuple[Target, ...]
    output: Path
    seed: int
    pseudo_data_seed: int
    parameters: tuple[Parameter, ...]
    screening: Screening
    global_search: GlobalSearch
    local: LocalSearch
    robustness: Robustness
    inverse: Inverse
    data_path: Path = Path()

    @property
    def fitted(self) -> tuple[Fact, ...]:
        """The moments: facts of the region with ``use = "fit"``."""
        return tuple(f for f in self.facts if f.use == "fit")

    @property
    def inverse_targets(self) -> tuple[Target, ...]:
        """The targets of stage 2: the region's ``use = "inverse"`` targets."""
        return tuple(t for t in self.targets if t.use == "inverse" and t.model_variable)

    def with_(self, **changes: Any) -> CalibrationSpec:
        """A copy with fields replaced."""
        return dataclasses.replace(self, **changes)


def _file(doc_origin: str, base: Path, ref: str, key: str) -> Path:
    path = base / ref
    if not path.is_file():
        raise ScenarioError(doc_origin, key, f"file {str(path)!r} does not exist")
    return path


def load_calibration(
    path: str | os.PathLike[str], *, overrides: Mapping[str, object] | None = None
) -> CalibrationSpec:
    """Read and check a calibration spec.

    Args:
        path: The spec, e.g. ``calibration/<region>.toml``.
        overrides: Dotted overrides of the estimation's scenario (``market.firm_scale``...).

    Raises:
        ScenarioError: One line naming the file, the key and what is allowed.
    """
    path = find(path)
    doc = read_toml(path)
    data = dict(doc.data)
    if "global" in data:
        data["global_"] = data.pop("global")
    try:
        spec: CalibrationFile = build(CalibrationFile, data, origin=doc.origin)
    except ScenarioError as e:  # the file's key is "global"
        raise ScenarioError(e.file, e.key.replace("global_", "global"), e.message) from None
    where = str(path)
    name = spec.name or path.stem
    if not NAME_RE.match(name.replace("-", "_")):
        raise ScenarioError(where, "name", f"{name!r}: use letters, digits, - and _")
    base = path.parent
    fixed = {"end_year": spec.end_year, **dict(overrides or {})}
    scenario = load_scenario(_file(where, base, spec.scenario, "scenario"), fixed, calibrated=False)
    plan_path = _file(where, base, spec.plan, "plan")
    plan = load_scenario(plan_path, dict(overrides or {}), calibrated=False)
    data_path = _file(where, base, spec.data, "data")
    facts = tuple(f for f in load_facts(data_path) if f.region == scenario.region.name)
    targets = tuple(
        t
        for t in load_targets(_file(where, base, spec.targets, "targets"))
        if t.region == scenario.region.name
    )
    if not any(t.use == "inverse" and t.model_variable for t in targets):
        raise ScenarioError(
            str(base / spec.targets),
            "target",
            f'no target of {scenario.region.name} has use = "inverse" and a model_variable',
        )
    if not any(f.use == "fit" for f in facts):
        raise ScenarioError(
            str(data_path), "fact", f'no fact of {scenario.region.name} has use = "fit"'
        )
    if not spec.parameter:
        raise ScenarioError(
            where, "parameter", "needs at least one [[parameter]] (path, low, high)"
        )
    paths = [q.path for q in spec.parameter]
    for j, q in enumerate(spec.parameter):
        key = f"parameter[{j}]"
        if paths.count(q.path) > 1:
            raise ScenarioError(where, f"{key}.path", f"{q.path} is estimated twice")
        if not q.high > q.low:
            raise ScenarioError(
                where, f"{key}.high", f"must exceed low ({q.low!r}); got {q.high!r}"
            )
        if q.transform == "log" and q.low <= 0:
            raise ScenarioError(where, f"{key}.low", "a log-transformed parameter needs low > 0")
        _check_path(scenario, q.path, where, f"{key}.path")
        v = value_at(scenario, q.path)
        # What the calibrated file can carry: a number of a scenario section, or of a section
        # of the region file (the region's own data, e.g. its title rules' thresholds).
        if not is_estimable_path(q.path) or not isinstance(v, (int, float)):
            raise ScenarioError(
                where,
                f"{key}.path",
                f"{q.path}: estimate a number of a scenario section (<section>.<field>) or of "
                f"the region file (region.<section>.<field>), not {type(v).__name__}",
            )
        v = float(v)
        if not q.low <= v <= q.high:
            raise ScenarioError(
                where,
                f"{key}",
                f"{q.path}'s start value {v!r} lies outside [{q.low!r}, {q.high!r}]",
            )
    levers = spec.inverse.lever
    if not levers:
        raise ScenarioError(where, "inverse.lever", "needs at least one [[inverse.lever]]")
    names = [lv.name for lv in levers]
    for j, lv in enumerate(levers):
        key = f"inverse.lever[{j}]"
        if names.count(lv.name) > 1 or not NAME_RE.match(lv.name):
            raise ScenarioError(where, f"{key}.name", f"{lv.name!r}: unique letters, digits and _")
        if not lv.paths:
            raise ScenarioError(where, f"{key}.paths", "name at least one path")
        if len(lv.scale) < 3 or list(lv.scale) != sorted(set(lv.scale)) or lv.scale[0] < 0:
            raise ScenarioError(
                where, f"{key}.scale", "at least 3 increasing multipliers >= 0, e.g. [0, 1, 2, 4]"
            )
        for lever_path in lv.paths:
            _check_path(plan, lever_path, where, f"{key}.paths")
    return CalibrationSpec(
        name=name,
        description=spec.description,
        source=where,
        text=path.read_text(encoding="utf-8"),
        scenario=scenario,
        plan=plan,
        plan_path=plan_path,
        facts=facts,
        targets=targets,
        output=base / spec.output,
        seed=int(spec.seed),
        pseudo_data_seed=int(
            spec.pseudo_data_seed if spec.pseudo_data_seed is not None else spec.seed + 1
        ),
        parameters=tuple(spec.parameter),
        screening=spec.screening,
        global_search=spec.global_,
        local=spec.local,
        robustness=spec.robustness,
        inverse=spec.inverse,
        data_path=data_path,
    )


def _check_path(scenario: Scenario, path: str, where: str, key: str) -> None:
    try:
        v = value_at(scenario, path)
    except KeyError as e:
        raise ScenarioError(where, key, f"{path}: {e.args[0]}") from None
    if isinstance(v, (bool, str)):
        raise ScenarioError(where, key, f"{path} is {type(v).__name__}, not a number to vary")
