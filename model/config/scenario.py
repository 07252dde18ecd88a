"""Loading a scenario file together with the region file it names, with overrides and seed."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

from model.config.errors import ScenarioError
from model.config.files import find
from model.config.params import Region, Scenario
from model.config.schema import build
from model.config.toml import (
    apply_calibrated_region,
    apply_overrides,
    dumps_toml,
    read_toml,
    to_dict,
)


def load_scenario(
    path: str | os.PathLike[str],
    overrides: Mapping[str, object] | None = None,
    *,
    calibrated: bool = True,
) -> Scenario:
    """Read a scenario TOML file (following ``extends``) and the region file it names.

    Args:
        path: The scenario file, e.g. ``scenarios/plan.toml``.
        overrides: Dotted paths and values applied on top of the files, e.g.
            ``{"instruments.rd_bonus.reward_rate": 0.2}``; ``region.…`` paths reach into the
            region file (``region.sector.machine_tools.labour_share``).
        calibrated: Inherit the estimates of the calibrated-parameters file a scenario file
            names (``calibration = ...``); False gives the values the files write.

    Returns:
        The validated, frozen scenario.

    Raises:
        ScenarioError: naming the file, the key and what is allowed, for any mistake.
    """
    overrides = dict(overrides or {})
    region_overrides = {
        k.removeprefix("region."): v for k, v in overrides.items() if k.startswith("region.")
    }
    scenario_overrides = {k: v for k, v in overrides.items() if not k.startswith("region.")}
    doc = read_toml(find(path), calibrated=calibrated)
    apply_overrides(doc, scenario_overrides)
    ref = doc.data.get("region")
    if not isinstance(ref, str):
        raise ScenarioError(
            doc.origin("region"),
            "region",
            'expected the path of a region file, e.g. "regions/<region>.toml"',
        )
    where = doc.origin("region")
    base = Path(where).parent if where not in ("override", "<config>") else Path.cwd()
    region_path = base / ref
    if not region_path.is_file():
        raise ScenarioError(where, "region", f"region file {str(region_path)!r} does not exist")
    region_doc = read_toml(region_path)
    apply_calibrated_region(region_doc, doc)
    apply_overrides(region_doc, region_overrides)
    build(Region, region_doc)  # region errors name the region file
    data = dict(doc.data)
    data["region"] = region_doc.data

    def origin(key: str) -> str:
        if key == "region" or key.startswith("region."):
            return region_doc.origin(key.removeprefix("region").removeprefix("."))
        return doc.origin(key)

    return build(Scenario, data, origin=origin)


def scenario_text(scenario: Scenario) -> str:
    """The fully resolved scenario (region included) as TOML: enough to rerun it."""
    return dumps_toml(to_dict(scenario))


def resolve(
    scenario: Scenario | str | os.PathLike[str],
    *,
    seed: int | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Scenario:
    """A scenario object from a path or object, with overrides and seed applied."""
    if isinstance(scenario, Scenario):
        if overrides:
            data = to_dict(scenario)
            apply_overrides(data, dict(overrides))
            scenario = build(Scenario, data, origin="override")
    else:
        scenario = load_scenario(scenario, overrides)
    if seed is not None:
        scenario = dataclasses.replace(scenario, seed=int(seed))
    return scenario
