"""A batch of replicates under several scenarios that share a spin-up, and their twins."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from model.config.params import Scenario
from model.policy.ledgers import CompactSlots
from model.policy.registry import instruments, names
from model.simulation.model import RegionModel, status_quo


def without_instruments(scenario: Scenario) -> Scenario:
    """The scenario's no-policy counterfactual: every instrument switched off."""
    ins = scenario.instruments
    # (as_before_plan off too: the status quo's settings would switch an instrument on again)
    off = {
        name: dataclasses.replace(getattr(ins, name), enabled=False, as_before_plan=False)
        for name in names()
    }
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


def _status_quo_key(before: Scenario) -> tuple:
    """What a status-quo twin depends on.

    Its instruments that run, and what the others still read (``read_when_off``): plan levers
    of an instrument the status quo does not run (the R&D bonus's rate, say) do not make
    twins differ.
    """
    kept = []
    for cls in instruments():
        table = getattr(before.instruments, cls.name)
        if table.enabled:
            sourced = any(f.name == "source" for f in dataclasses.fields(table))
            kept.append((cls.name, dataclasses.replace(table, source={}) if sourced else table))
        else:
            kept.append((cls.name, tuple(getattr(table, f) for f in cls.read_when_off)))
    rest = dataclasses.replace(before, name="", description="", instruments=None)
    return rest, tuple(kept)


def twins_of(scenario: Scenario) -> dict[str, tuple[Scenario, tuple]]:
    """The counterfactual twins a scenario's deadweight is measured against, with their keys.

    ``status_quo``: every instrument as before the plan; ``no_policy``: every instrument off.
    Equal keys mean equal twins (one run serves every scenario that shares it).
    """
    before = status_quo(scenario)
    return {
        "status_quo": (before, ("status_quo", _status_quo_key(before))),
        "no_policy": (without_instruments(scenario), ("no_policy", counterfactual_key(scenario))),
    }


def simulate_points_batch(
    scenarios: Sequence[Scenario], replicates: Sequence[int]
) -> list[dict[str, np.ndarray]]:
    """Run one batch of replicates under several scenarios that share a spin-up.

    The batch spins up once; each scenario continues from a fork of it (see
    ``RegionModel.fork``): the same firms and random numbers, so differences between the
    scenarios are common-random-number differences, and each result equals what a run of
    that scenario alone gives. The scenarios must have equal ``spinup_key``. Scenarios
    whose twins are the same (``twins_of``: status quo and no policy) share them.

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
        without = (
            {
                against: _counterfactual_activity(base, twin, key, scenario.years, twins)
                for against, (twin, key) in twins_of(scenario).items()
            }
            if any_on
            else {}
        )
        last = i == len(scenarios) - 1
        arrays, finished = _continue(base, scenario, replicates, without, finished, last=last)
        out.append(arrays)
    return out


def _counterfactual_activity(
    base: RegionModel, scenario: Scenario, key: tuple, years: range, twins: list
) -> list[dict[str, CompactSlots]]:
    """Each year's instrument activity of every firm in a twin (``scenario``, with ``key``)."""
    for known, activity in twins:
        if known == key:
            return activity
    twin = base.fork(scenario)
    twin.recorder.keep_activity = True
    activity = []
    for _ in years:
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
    without: dict[str, list[dict[str, CompactSlots]]],
    finished: RegionModel | None = None,
    *,
    last: bool = False,
) -> tuple[dict[str, np.ndarray], RegionModel]:
    """Simulate a scenario's years from a fork of a spun-up model and collect its arrays.

    The fork takes over the memory of ``finished``, the previous scenario's fork, if given,
    or, when ``last`` (the spun-up model's last use), the spun-up model's engine itself.
    Returns the arrays and the fork, for the next scenario to take over in turn (the
    arrays are copies: none shares the fork's memory).

    When any instrument is on, ``without`` holds each year's activity of every firm in each
    twin (status quo, no policy) forked from the same spin-up, with the same random numbers:
    every firm's subsidy is compared with what the same firm did there. Deadweight is the
    part of the subsidy that paid for behaviour the firm shows anyway: subsidy x min(1,
    activity without / activity with) (``model._model.deadweight_bn_yuan``, measured by the
    recorder in the year, so no per-firm array outlives it).
    """
    model = base.fork(scenario, recycle=None if last else finished, last=last)
    model.recorder.adopt_spinup(base.recorder)
    for against, activity in without.items():
        model.recorder.compare_with(activity, against)
    for _ in scenario.years:
        model.step()
    out = model.recorder.arrays()
    return out, model
