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
            self.layout = build_layout(scenario)
            self.engine = Engine(scenario, self.layout, np.asarray(replicates), self.policy)
            self.engine.initialise()
        else:
            self.layout = engine.layout
            self.engine = engine
            engine.scenario = scenario
            engine.policy = self.policy
            self.policy.initialise(engine)
        self.recorder = Recorder(self.engine, record_firms=record_firms)

    @property
    def year(self) -> int:
        """The calendar year last simulated."""
        return self.engine.year

    def spin_up(self) -> None:
        """Run the spin-up years under base-year conditions, then rebase to the base year."""
        for _ in range(self.scenario_params.spinup.years):
            self._one_year()
            self.recorder.record_spinup()
            # Keep the spin-up on the base year's cost structure and scale, so nothing jumps
            # when the simulated years begin.
            self.engine.renormalise_costs()
            factor = self.engine.rescale_to_base()
            self.engine.anchor_outside_makers()
            self.engine.record_maker_trend()
        factor = factor * self.engine.rebase()
        self.recorder.record_base(factor)

    def step(self) -> None:
        """Advance the economy by one year and record it."""
        self._one_year()
        self.recorder.record_year()

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
        if recycle is not None and (last or recycle.layout is not self.layout):
            raise ValueError("recycle must be a fork of the same model, and not with last")
        if last:
            engine = self.engine
            del self.engine
        else:
            # The layout and policy are shared, not copied (the twin gets its own policy).
            memo = {id(self.layout): self.layout, id(self.policy): self.policy}
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


def spinup_key(scenario: Scenario) -> Scenario:
    """The scenario with everything the spin-up does not read set to neutral values.

    Two scenarios with equal keys (and seed) spin up identically, so one spin-up can serve
    both: the instruments are off before the base year, the spin-up grows wages, producer
    prices and outside demand at its own steady rates, applies the base year's taxes and
    LPR, and keeps the firm count (entrants replace exits).
    """
    base = scenario.region.base_year.year
    at_base = lambda s: Schedule.constant(s.at(base))  # noqa: E731
    zero = Schedule.constant(0.0)
    return dataclasses.replace(
        scenario,
        name="",
        description="",
        end_year=scenario.start_year,
        instruments=None,
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
