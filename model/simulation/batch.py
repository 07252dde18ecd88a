"""A batch of replicates under several scenarios that share a spin-up, and their no-policy twins."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from model.config.params import Scenario
from model.policy.ledgers import CompactSlots
from model.policy.registry import instruments, names
from model.simulation.model import RegionModel


def without_instruments(scenario: Scenario) -> Scenario:
    """The scenario's no-policy counterfactual: every instrument switched off."""
    ins = scenario.instruments
    off = {name: dataclasses.replace(getattr(ins, name), enabled=False) for name in names()}
    return dataclasses.replace(
        scenario,
        name=f"{scenario.name} (no policy)",
        instruments=dataclasses.replace(ins, **off),
    )


def counterfactual_key(scenario: Scenario) -> tuple:
    """What the no-policy counterfactual of ``scenario`` depends on.

    Scenarios with equal keys have identical no-policy twins, so a batch runs each
    counterfactual once, however many policy points share it. A switched-off instrument
    reads only its ``read_when_off`` parameters (e.g. the renewal loans classify over-aged
    cohorts by the eligible age whether on or off).
    """
    off = without_instruments(scenario)
    kept = tuple(
        (cls.name, tuple(getattr(getattr(off.instruments, cls.name), f) for f in cls.read_when_off))
        for cls in instruments()
    )
    return dataclasses.replace(off, name="", description="", instruments=None), kept


def simulate_points_batch(
    scenarios: Sequence[Scenario], replicates: Sequence[int]
) -> list[dict[str, np.ndarray]]:
    """Run one batch of replicates under several scenarios that share a spin-up.

    The batch spins up once; each scenario continues from a fork of it (see
    ``RegionModel.fork``): the same firms and random numbers, so differences between the
    scenarios are common-random-number differences, and each result equals what a run of
    that scenario alone gives. The scenarios must have equal ``spinup_key``. Scenarios
    whose no-policy counterfactuals are the same (``counterfactual_key``) share one.

    Returns:
        The recorded arrays of each scenario (replicate first), in order.
    """
    base = RegionModel(scenarios[0], replicates)
    base.spin_up()
    twins: list[tuple[tuple, list[dict[str, np.ndarray]]]] = []
    out = []
    finished = None
    for i, scenario in enumerate(scenarios):
        ins = scenario.instruments
        any_on = any(getattr(ins, name).enabled for name in names())
        without = _counterfactual_activity(base, scenario, twins) if any_on else None
        last = i == len(scenarios) - 1
        arrays, finished = _continue(base, scenario, replicates, without, finished, last=last)
        out.append(arrays)
    return out


def _counterfactual_activity(
    base: RegionModel, scenario: Scenario, twins: list
) -> list[dict[str, CompactSlots]]:
    """Each year's instrument activity of every firm in the no-policy twin of ``scenario``."""
    key = counterfactual_key(scenario)
    for known, activity in twins:
        if known == key:
            return activity
    twin = base.fork(without_instruments(scenario))
    twin.recorder.keep_activity = True
    activity = []
    for _ in scenario.years:
        twin.step()
        activity.append(twin.recorder.activity)
    twins.append((key, activity))
    return activity


def _simulate_batch(scenario: Scenario, replicates: Sequence[int]) -> dict[str, np.ndarray]:
    """Run one batch of replicates; return their recorded arrays (replicate first)."""
    return simulate_points_batch([scenario], replicates)[0]


def _continue(
    base: RegionModel,
    scenario: Scenario,
    replicates: Sequence[int],
    without: list[dict[str, CompactSlots]] | None,
    finished: RegionModel | None = None,
    *,
    last: bool = False,
) -> tuple[dict[str, np.ndarray], RegionModel]:
    """Simulate a scenario's years from a fork of a spun-up model and collect its arrays.

    The fork takes over the memory of ``finished``, the previous scenario's fork, if given,
    or, when ``last`` (the spun-up model's last use), the spun-up model's engine itself.
    Returns the arrays and the fork, for the next scenario to take over in turn (the
    arrays are copies: none shares the fork's memory).

    When any instrument is on, ``without`` holds each year's activity of every firm in the
    no-policy twin forked from the same spin-up, with the same random numbers: every firm's
    subsidy is compared with what the same firm did without the policy. Deadweight is the
    part of the subsidy that paid for behaviour the firm shows anyway: subsidy x min(1,
    activity without / activity with) (``model._model.deadweight_bn_yuan``, measured by the
    recorder in the year, so no per-firm array outlives it).
    """
    model = base.fork(scenario, recycle=None if last else finished, last=last)
    model.recorder.adopt_spinup(base.recorder)
    if without is not None:
        model.recorder.compare_with(without)
    for _ in scenario.years:
        model.step()
    out = model.recorder.arrays()
    return out, model
