"""``RegionModel``: the regional firm economy as a Mesa model over numpy firm arrays."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import mesa
import numpy as np

from model.config.params import Scenario
from model.config.schedule import Schedule
from model.economy import rules
from model.economy.engine import Engine
from model.economy.layout import build_layout
from model.outputs.recorder import Recorder
from model.policy.mix import PolicyMix
from model.policy.registry import instrument, names


class RegionModel(mesa.Model):
    """A province's industrial firms, a batch of Monte Carlo replicates at once.

    Firms are rows of numpy arrays (replicate x slot), not agent objects: each yearly rule is
    one function in ``model.economy.rules`` over compiled per-firm loops. Construction lays
    out the firm slots and initialises them; ``spin_up()`` runs the pre-base-year years and
    rescales to the base year; each ``step()`` is one calendar year.

    Args:
        scenario: A loaded scenario.
        replicates: Replicate numbers in this batch; each has its own random streams, so a
            replicate's results do not depend on the batch it runs in.
        record_firms: Keep the firm x year panel of the first replicate of the batch.
        engine: A spun-up engine to continue from under ``scenario`` (its layout, firms and
            replicates are kept; ``replicates`` is not read). ``fork`` passes it.
    """

    def __init__(
        self,
        scenario: Scenario,
        replicates: Sequence[int] = (0,),
        *,
        record_firms: bool = False,
        engine: Engine | None = None,
    ) -> None:
        super().__init__(rng=scenario.seed)
        self.scenario_params = scenario
        self.policy = PolicyMix(scenario)
        if engine is None:
            # The spin-up runs on part of the slots (its firm count is constant); ``spin_up``
            # opens the rest at the rebase (``SlotLayout.open_prefix``, ``Engine.expand``).
            full = build_layout(scenario)
            self.layout = full.open_prefix(scenario.market.spinup_slot_headroom)
            self.engine = Engine(
                scenario, self.layout, np.asarray(replicates), self.policy, full_layout=full
            )
            self.engine.initialise()
        else:
            self.layout = engine.layout
            self.engine = engine
            engine.scenario = scenario
            # The firms' payments and what they are owed continue under the new scenario.
            self.policy.continue_from(engine.policy)
            engine.policy = self.policy
            self.policy.initialise(engine)
        self.recorder = Recorder(self.engine, record_firms=record_firms)

    @property
    def year(self) -> int:
        """The calendar year last simulated."""
        return self.engine.year

    def spin_up(self) -> None:
        """Run the spin-up years under base-year conditions, then rebase to the base year.

        The spin-up's policy is the status quo (every instrument as before the plan, at the
        base year's settings): the economy the base year's figures describe had it.
        """
        eng, planned = self.engine, self.policy
        self.policy = eng.policy = PolicyMix(spinup_policy(self.scenario_params))
        for _ in range(self.scenario_params.spinup.years):
            self._one_year()
            self.recorder.record_spinup()
            # Keep the spin-up on the base year's cost structure and scale, so nothing jumps
            # when the simulated years begin.
            eng.renormalise_costs()
            factor = eng.rescale_to_base()
            self.policy.rescale(eng, factor)
            eng.anchor_outside_makers()
            eng.record_maker_trend()
        rebased = eng.rebase()
        self.policy.rescale(eng, rebased)
        self.recorder.record_base(factor * rebased)
        planned.continue_from(self.policy)
        self.policy = eng.policy = planned
        self._open_scenario_slots()

    def _open_scenario_slots(self) -> None:
        """Open each cluster's firms x (1 + ``market.open_slot_headroom``) slots.

        The spin-up kept every cluster's firm count, so this is the same part of the layout
        in every replicate; entry opens more as it needs them (``Engine.open_slots``).
        """
        eng = self.engine
        eng.open_to(
            eng.full_layout.open_prefix(self.scenario_params.market.open_slot_headroom).cluster_size
        )
        self.layout = eng.layout

    def step(self) -> None:
        """Advance the economy by one year and record it."""
        self._one_year()
        self.recorder.record_year()
        self.layout = self.engine.layout  # (entry may have opened more slots)

    def _one_year(self) -> None:
        eng = self.engine
        eng.year += 1
        eng.advance_exogenous()
        rules.demand(eng)
        rules.research(eng)
        rules.innovate_and_imitate(eng)
        rules.invest(eng)
        rules.produce(eng)
        rules.account(eng)
        self.policy.pay(eng)
        rules.settle_cash(eng)
        rules.update_status(eng)
        self.recorder.take_flows()
        rules.demography(eng)

    def fork(
        self, scenario: Scenario, *, recycle: RegionModel | None = None, last: bool = False
    ) -> RegionModel:
        """A twin of this (spun-up) model that continues under another scenario.

        The twin shares the spin-up, so it sees the same firms and the same random numbers:
        the counterfactual of common random numbers. The scenarios may differ only in what
        the spin-up does not use (``spinup_key``): instruments, price and outside-demand
        paths after the base year, the end year.

        Args:
            scenario: The scenario the twin continues under.
            recycle: A finished twin of this model whose memory the new twin takes over
                (results are the same; a batch of forks then allocates once). It cannot be
                used afterwards.
            last: This model's last fork: the twin takes over its engine instead of a copy
                (results are the same), and this model cannot step or fork again. Not with
                ``recycle`` (nothing is copied).
        """
        if spinup_key(scenario) != spinup_key(self.scenario_params):
            raise ValueError(
                "a fork may change only what the spin-up does not use: instruments, paths after "
                "the base year and the end year"
            )
        if recycle is not None and (
            last or recycle.engine.full_layout is not self.engine.full_layout
        ):
            raise ValueError("recycle must be a fork of the same model, and not with last")
        if last:
            engine = self.engine
            del self.engine
        else:
            # The layout and policy are shared, not copied (the twin gets its own policy).
            full = self.engine.full_layout
            memo = {id(self.layout): self.layout, id(full): full, id(self.policy): self.policy}
            engine = self.engine.fork_copy(memo, None if recycle is None else recycle.engine)
        if recycle is not None:
            # Its arrays are the new twin's now.
            del recycle.engine, recycle.recorder
        return RegionModel(scenario, engine=engine)

    def run_years(self) -> None:
        """Spin up, then simulate every scenario year."""
        self.spin_up()
        for _ in self.scenario_params.years:
            self.step()


def status_quo(scenario: Scenario) -> Scenario:
    """The scenario with every instrument as it ran before the plan (``[status_quo]``)."""
    return dataclasses.replace(
        scenario,
        name=f"{scenario.name} (status quo)",
        instruments=scenario.status_quo_instruments(),
    )


def spinup_policy(scenario: Scenario) -> Scenario:
    """The scenario the spin-up runs: the status quo, its instruments idle in the base year off."""
    sq = status_quo(scenario)
    base = scenario.region.base_year.year
    off = {
        # (as_before_plan off too: the status quo's settings would switch it on again)
        name: dataclasses.replace(
            getattr(sq.instruments, name), enabled=False, as_before_plan=False
        )
        for name in names()
        if not instrument(name).acts_in(getattr(sq.instruments, name), base)
    }
    return dataclasses.replace(sq, instruments=dataclasses.replace(sq.instruments, **off))


def _at_base_year(table: object, base: int) -> object:
    """An instrument table with every year schedule held at its base-year value."""
    changes = {}
    for f in dataclasses.fields(table):
        v = getattr(table, f.name)
        if isinstance(v, Schedule):
            changes[f.name] = Schedule.constant(v.at(base))
        elif isinstance(v, dict) and any(isinstance(x, Schedule) for x in v.values()):
            changes[f.name] = {
                k: Schedule.constant(x.at(base)) if isinstance(x, Schedule) else x
                for k, x in v.items()
            }
    if any(f.name == "source" for f in dataclasses.fields(table)):
        changes["source"] = {}
    return dataclasses.replace(table, **changes)


def spinup_key(scenario: Scenario) -> Scenario:
    """The scenario with everything the spin-up does not read set to neutral values.

    Two scenarios with equal keys (and seed) spin up identically, so one spin-up can serve
    both: the instruments run as before the plan at their base-year settings (an
    instrument off then is off whatever its other settings), the spin-up grows wages, producer
    prices and outside demand at its own steady rates, applies the base year's taxes and
    LPR, and keeps the firm count (entrants replace exits).
    """
    base = scenario.region.base_year.year
    at_base = lambda s: Schedule.constant(s.at(base))  # noqa: E731
    zero = Schedule.constant(0.0)
    before = spinup_policy(scenario).instruments
    return dataclasses.replace(
        scenario,
        name="",
        description="",
        end_year=scenario.start_year,
        instruments=tuple(
            (name, _at_base_year(getattr(before, name), base))
            for name in names()
            if getattr(before, name).enabled
        ),
        status_quo=None,
        demand=dataclasses.replace(scenario.demand, outside_machine_path="central"),
        prices=dataclasses.replace(
            scenario.prices,
            producer_price_growth=zero,
            wage_growth=zero,
            other_equipment_price_growth=zero,
            loan_prime_rate=at_base(scenario.prices.loan_prime_rate),
            source={},
        ),
        tax=dataclasses.replace(
            scenario.tax,
            corporate_income_tax=at_base(scenario.tax.corporate_income_tax),
            high_tech_rate=at_base(scenario.tax.high_tech_rate),
            rd_super_deduction=at_base(scenario.tax.rd_super_deduction),
            listed_rd_super_deduction=at_base(scenario.tax.listed_rd_super_deduction),
            listed_vat_credit=at_base(scenario.tax.listed_vat_credit),
            vat_rate=at_base(scenario.tax.vat_rate),
            source={},
        ),
    )
