"""A batch of replicates under several scenarios that share a spin-up, and their no-policy twins."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from model.config.params import Scenario
from model.outputs.dataset import INSTRUMENTS
from model.policy.ledgers import CompactSlots
from model.simulation.model import RegionModel


def without_instruments(scenario: Scenario) -> Scenario:
    """The scenario's no-policy counterfactual: every instrument switched off."""
    ins = scenario.instruments
    return dataclasses.replace(
        scenario,
        name=f"{scenario.name} (no policy)",
        instruments=dataclasses.replace(
            ins,
            rd_bonus=dataclasses.replace(ins.rd_bonus, enabled=False),
            first_set=dataclasses.replace(ins.first_set, enabled=False),
            renewal_loans=dataclasses.replace(ins.renewal_loans, enabled=False),
        ),
    )


#: Instrument parameters a switched-off instrument still reads (so no-policy twins that
#: differ in them differ). Everything else of a switched-off instrument is inert: the
#: renewal loans classify over-aged cohorts by the eligible age whether on or off, and
#: the first-set activity measure (for deadweight) reads its insured years and value cap.
READ_WHEN_OFF: dict[str, tuple[str, ...]] = {
    "rd_bonus": (),
    "first_set": ("national_years", "insured_value_cap_m_yuan"),
    "renewal_loans": ("eligible_age_years",),
}


def counterfactual_key(scenario: Scenario) -> tuple:
    """What the no-policy counterfactual of ``scenario`` depends on.

    Scenarios with equal keys have identical no-policy twins, so a batch runs each
    counterfactual once, however many policy points share it.
    """
    off = without_instruments(scenario)
    kept = tuple(
        (name, tuple(getattr(getattr(off.instruments, name), field) for field in fields))
        for name, fields in READ_WHEN_OFF.items()
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
        any_on = ins.rd_bonus.enabled or ins.first_set.enabled or ins.renewal_loans.enabled
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
    deadweight, leakage = [], []
    for _ in scenario.years:
        model.step()
        row = np.zeros((len(replicates), len(INSTRUMENTS)))
        if without is not None:
            for k, name in enumerate(INSTRUMENTS):
                row[:, k] = model.recorder.deadweight[name]
        deadweight.append(row)
        leakage.append(np.stack([model.recorder.leakage[name] for name in INSTRUMENTS], axis=1))
    rec = model.recorder
    out: dict[str, np.ndarray] = {}
    for name, series in rec.sector.items():
        out[name] = np.stack(series, axis=1)  # (R, Y, S)
    for name, series in rec.scalar.items():
        out[name] = np.stack(series, axis=1)  # (R, Y)
    out["cluster_output"] = np.stack(rec.cluster_output, axis=1)
    out["spinup_replacement_rate"] = np.stack(rec.spinup_replacement, axis=1)
    for name, arr in rec.instrument_arrays().items():
        out[name] = arr
    for name, series in rec.totals.items():
        out[name] = np.stack(series, axis=1)
    for name, series in rec.segment.items():
        out[name] = np.stack(series, axis=1)
    out["deadweight"] = np.stack(deadweight, axis=1)
    out["leakage"] = np.stack(leakage, axis=1)
    out["_years"] = np.asarray(rec.years)
    out["_spinup_years"] = np.asarray(rec.spinup_years)
    return out, model
