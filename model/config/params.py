"""Typed, frozen parameter objects read from region and scenario TOML files.

Every field carries its allowed range, unit and meaning in ``metadata``; the loader in
``model._config`` enforces them and names the file and dotted key of any mistake. Numbers
themselves live in the TOML files with their sources, not here: defaults below are only
structural (switches, neutral values) or carry the same source as the shipped files.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field, make_dataclass
from typing import Literal

from model.config.fields import p, sources
from model.config.region import (  # noqa: F401 (re-exported: a scenario holds its region)
    PAYERS,
    BaseYear,
    Chain,
    Cluster,
    ClusterTier,
    KeyOutput,
    MachineTools,
    OutsideModel,
    Region,
    Sector,
    SectorPart,
    StatusRules,
    TaxSharing,
)
from model.config.schedule import Schedule

# ------------------------------------------------------------------------- scenario


@dataclass(frozen=True, kw_only=True)
class Prices:
    """Exogenous nominal paths."""

    producer_price_growth: Schedule = p(unit="1/yr", doc="PPI of intermediate inputs")
    wage_growth: Schedule = p(unit="1/yr", doc="nominal wage per worker")
    other_equipment_price_growth: Schedule = p(unit="1/yr")
    loan_prime_rate: Schedule = p(lo=0.0, hi=0.3, unit="1/yr", doc="1-yr LPR")
    source: dict[str, str] = sources()


@dataclass(frozen=True, kw_only=True)
class Demand:
    """Final demand for user sectors and outside demand for machine tools."""

    price_elasticity: float = p(lo=0.0, hi=5.0, doc="epsilon: real demand response to price")
    shocks: bool = True
    outside_machine_path: Literal["low", "central", "high"] = p(
        "central", doc="path of rest-of-country and foreign demand for the makers' segments"
    )
    growth_multiplier: float = p(1.0, lo=0.0, hi=5.0, doc="scales every sector's trend growth")
    source: dict[str, str] = sources()


@dataclass(frozen=True, kw_only=True)
class RD:
    """R&D behaviour: real intensity, reporting and bunching."""

    user_cost_elasticity_real: float = p(lo=0.0, hi=5.0)
    user_cost_elasticity_reported: float = p(lo=0.0, hi=5.0)
    bunching_window: float = p(lo=0.0, hi=0.05, doc="intensity gap below a threshold firms close")
    bunching_probability: float = p(lo=0.0, hi=1.0)
    bunching_growth_cap: float = p(
        lo=0.0,
        hi=5.0,
        unit="1/yr",
        doc="most revenue growth a firm expects when it aims at a threshold",
    )
    source: dict[str, str] = sources()

    def __post_init__(self) -> None:
        if self.user_cost_elasticity_reported < self.user_cost_elasticity_real:
            raise ValueError("reported R&D cannot respond less than real R&D")


@dataclass(frozen=True, kw_only=True)
class Innovation:
    """Innovation and imitation: K+S draws with cluster spillovers."""

    enabled: bool = True
    imitation_enabled: bool = True
    zeta_innovation: float = p(lo=0.0, hi=100.0, doc="zeta_1")
    zeta_imitation: float = p(lo=0.0, hi=100.0, doc="zeta_2")
    imitation_size_elasticity: float = p(
        lo=0.0,
        hi=2.0,
        doc="gamma: a user firm closes max(revenue / threshold, 1)^-gamma of the gap",
    )
    jump_beta: tuple[float, float] = p(
        doc="Beta(a, b) of the productivity jump; whole a, b in 1..10"
    )
    jump_support: tuple[float, float] = p(doc="[x_lo, x_hi] of the jump")
    cluster_peer_probability: float = p(lo=0.0, hi=1.0)
    rd_lag_years: int = p(1, lo=1, hi=5)
    other_equipment_productivity_growth: float = p(lo=-0.1, hi=0.2, unit="1/yr")
    first_set_margin: float = p(lo=0.0, hi=1.0, doc="beat segment best domestic model by")
    domestic_frontier_gap: float = p(
        lo=0.0,
        hi=5.0,
        doc="best other-province model of a segment over the representative one buyers see",
    )
    foreign_frontier_gap: float = p(
        lo=0.0, hi=5.0, doc="best foreign model of a segment over the representative import"
    )
    first_set_sets_to_prove: int = p(3, lo=1, hi=100)
    unproven_risk_premium: float = p(lo=0.0, hi=2.0, doc="buyers' perceived premium")
    source: dict[str, str] = sources()

    def __post_init__(self) -> None:
        a, b = self.jump_beta
        # The compiled rule draws Beta(a, b) as the a-th smallest of a + b - 1 uniforms.
        if a != int(a) or b != int(b) or not (1 <= a <= 10 and 1 <= b <= 10):
            raise ValueError(f"jump_beta must be two whole numbers from 1 to 10, got {a}, {b}")
        lo, hi = self.jump_support
        if lo > hi:
            raise ValueError(f"jump_support must be [low, high] with low <= high, got {lo}, {hi}")


@dataclass(frozen=True, kw_only=True)
class Investment:
    """Vintage investment: expansion, payback replacement, finance."""

    payback_years: float = p(lo=0.1, hi=20.0, doc="b: mean over firms")
    payback_dispersion: float = p(lo=0.0, hi=2.0, doc="sd of log b across firms")
    technical_life_years: int = p(lo=2, hi=40)
    wear_rate: float = p(
        lo=0.0,
        hi=0.3,
        unit="1/yr",
        doc="yearly rise of a machine's input per unit of capacity with age (repairs, downtime)",
    )
    target_utilisation: float = p(lo=0.3, hi=1.0)
    expectation_smoothing: float = p(lo=0.0, hi=0.99, doc="weight of the old expectation")
    loan_spread: float = p(lo=0.0, hi=0.2, unit="1/yr")
    loan_term_years: int = p(lo=1, hi=30)
    credit_limit_sales_ratio: float = p(lo=0.0, hi=10.0)
    loan_financed_share: float = p(lo=0.0, hi=1.0, doc="share of investment financed by loans")
    cash_buffer_sales_ratio: float = p(lo=0.0, hi=5.0)
    dividend_cash_ratio: float = p(lo=0.0, hi=10.0, doc="cash/revenue above which pay out")
    tax_depreciation_years: int = p(lo=1, hi=40)
    source: dict[str, str] = sources()


@dataclass(frozen=True, kw_only=True)
class Market:
    """Market shares (targets with inertia, growth shocks) and demography."""

    sector_share_elasticity: float = p(
        lo=0.0,
        hi=20.0,
        doc="a user firm's target share is proportional to appeal x (price / sector price)^-this",
    )
    unfilled_demand_weight: float = p(lo=0.0, hi=10.0)
    national_share_elasticity: float = p(
        lo=0.0,
        hi=20.0,
        doc="lambda: a seller's target share in a national or foreign market is proportional "
        "to appeal x (productivity / risk-adjusted price)^lambda",
    )
    share_inertia: float = p(
        lo=0.0,
        hi=1.0,
        unit="1/yr",
        doc="rho: share of the gap to its target share a firm closes in a year (every market)",
    )
    growth_shock_sd: float = p(
        lo=0.0,
        hi=0.7,
        unit="log/yr",
        doc="sd of a firm's yearly idiosyncratic log growth at the above-scale threshold",
    )
    growth_shock_size_elasticity: float = p(
        lo=0.0, hi=0.5, doc="beta: the shock sd falls with revenue as (revenue / threshold)^-beta"
    )
    growth_size_drift: float = p(
        lo=0.0,
        hi=0.2,
        doc="gamma: a firm's expected growth falls with revenue as (revenue / threshold)^-gamma",
    )
    entrant_equity_ratio: float = p(
        lo=0.0, hi=5.0, doc="an entrant's owners' equity (its first cash) / its first revenue"
    )
    slot_headroom: float = p(lo=0.0, hi=2.0, doc="spare firm slots per sector for entry")
    spinup_slot_headroom: float = p(
        lo=0.0,
        hi=2.0,
        doc="spare firm slots per cluster open in the spin-up (at most slot_headroom's)",
    )
    open_slot_headroom: float = p(
        lo=0.0,
        hi=2.0,
        doc="spare firm slots per cluster opened in the simulated years, at the rebase and "
        "whenever a cluster's entrants need more (at most slot_headroom's)",
    )
    firm_scale: float = p(
        1.0,
        lo=0.0001,
        hi=100.0,
        doc="simulated firms per real firm: each stands for 1/scale real firms (above 1: clones)",
    )
    source: dict[str, str] = sources()


@dataclass(frozen=True, kw_only=True)
class MachineToolList:
    """The conditions of the yearly list of machine-tool (工业母机) firms the tax preferences name.

    Each is tested on the firm's figures of the year before the list applies. The list also
    asks for R&D staff, which the model does not count: their share of employment is
    approximated from reported R&D, the share of it that is staff cost, an R&D wage premium
    and the sector's wage share of output (``model.economy.rules.status``).
    """

    min_revenue_m_yuan: float = p(lo=0.0, unit="m yuan", doc="minimum revenue")
    min_rd_intensity: float = p(lo=0.0, hi=1.0, doc="minimum reported R&D / revenue")
    min_rd_staff_share: float = p(lo=0.0, hi=1.0, doc="minimum R&D staff / employees")
    min_advanced_product_share: float = p(
        lo=0.0, hi=1.0, doc="minimum share of revenue from advanced machine-tool products"
    )
    rd_staff_cost_share: float = p(
        lo=0.0, hi=1.0, doc="R&D staff cost / reported R&D (to count R&D staff)"
    )
    rd_wage_premium: float = p(
        lo=0.1, hi=10.0, doc="cost of an R&D worker / wage of a production worker"
    )
    source: dict[str, str] = sources()


@dataclass(frozen=True, kw_only=True)
class Tax:
    """Tax parameters: rates and the preferences (tax expenditures) with their periods."""

    corporate_income_tax: Schedule = p(lo=0.0, hi=1.0)
    high_tech_rate: Schedule = p(lo=0.0, hi=1.0)
    rd_super_deduction: Schedule = p(lo=0.0, hi=5.0, doc="extra deduction per yuan of R&D")
    listed_rd_super_deduction: Schedule = p(
        lo=0.0,
        hi=5.0,
        doc="extra deduction per yuan of R&D of a firm on the machine-tool list (the general "
        "one applies where it is larger)",
    )
    listed_vat_credit: Schedule = p(
        lo=0.0,
        hi=1.0,
        doc="additional VAT credit of a firm on the machine-tool list, share of its deductible "
        "input VAT (up to the VAT it owes)",
    )
    machine_tool_list: MachineToolList
    vat_rate: Schedule = p(lo=0.0, hi=1.0, doc="applied to value added")
    source: dict[str, str] = sources()

    def __post_init__(self) -> None:
        # The R&D user cost 1 - tau (1 + deduction) (``economy.taxes.rd_tax_cost``, a layer
        # above) divides in the research rule: it must stay positive at the highest rate and
        # deduction any year allows.
        tau = max(
            v for sched in (self.corporate_income_tax, self.high_tech_rate) for _, v in sched.points
        )
        deduction = max(
            v
            for sched in (self.rd_super_deduction, self.listed_rd_super_deduction)
            for _, v in sched.points
        )
        if tau * (1.0 + deduction) >= 1.0:
            raise ValueError(
                f"the R&D user cost 1 - tax rate x (1 + super deduction) must stay positive: the "
                f"highest rate {tau:g} with the highest deduction {deduction:g} gives "
                f"{1.0 - tau * (1.0 + deduction):g}"
            )


@dataclass(frozen=True, kw_only=True)
class InitialState:
    """The firms' state when the spin-up starts (the spin-up then runs until it is forgotten)."""

    productivity_dispersion: float = p(
        lo=0.0, hi=2.0, doc="sd of log process productivity across firms (and of entrants')"
    )
    model_dispersion: float = p(lo=0.0, hi=2.0, doc="sd of log model productivity within a segment")
    stock_growth: float = p(
        lo=-0.5, hi=0.5, unit="1/yr", doc="growth of investment that built the initial stock"
    )
    vintage_gap: float = p(
        lo=0.0, hi=0.5, unit="1/yr", doc="how much less productive each year-older cohort is"
    )
    cash_to_revenue: float = p(lo=0.0, hi=5.0, doc="initial cash / revenue")
    debt_to_revenue: float = p(lo=0.0, hi=5.0, doc="initial debt / revenue")
    basic_share_concentration: float = p(
        lo=0.1,
        hi=1000.0,
        doc="a + b of the Beta the basic-research share is drawn from (its mean: the sector's)",
    )
    source: dict[str, str] = sources()


@dataclass(frozen=True, kw_only=True)
class SpinUp:
    """Spin-up before the base year."""

    years: int = p(lo=1, hi=200, doc="at least 1: the base year is set from the last spin-up year")
    wage_growth: float = p(lo=-0.2, hi=0.5, unit="1/yr", doc="steady nominal wage growth")
    producer_price_growth: float = p(lo=-0.2, hi=0.5, unit="1/yr")
    outside_machine_demand_growth: float = p(
        lo=-0.2, hi=0.5, unit="1/yr", doc="steady growth of rest-of-country and foreign demand"
    )
    source: dict[str, str] = sources()


# ------------------------------------------------------------------ instruments
# Each policy instrument declares its own parameter table in its module of model.policy and
# registers it here (model.policy.registry), so the scenario schema's [instruments] table
# holds exactly the registered instruments: adding one touches its module and the registry.

_INSTRUMENT_PARAMS: dict[str, type] = {}


@dataclass(frozen=True, kw_only=True)
class InstrumentParams:
    """What every instrument's parameter table has: whether the instrument runs."""

    enabled: bool = p(False, doc="the instrument runs (off: it pays nothing and changes nothing)")
    as_before_plan: bool = p(
        False,
        doc="the instrument runs as it did before the plan: its table with the scenario's "
        "[status_quo.<name>] settings on top",
    )


def _instruments_table() -> type:
    """The ``[instruments]`` schema: one table per registered instrument.

    A table whose every field has a default may be left out of a scenario (the instrument
    is then off with its defaults), so adding an instrument does not touch scenario files.
    """

    def spec(name: str, cls: type) -> tuple:
        if all(
            f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            for f in dataclasses.fields(cls)
        ):
            return (name, cls, field(default_factory=cls))
        return (name, cls)

    fields_ = [spec(name, cls) for name, cls in _INSTRUMENT_PARAMS.items()]
    return make_dataclass("Instruments", fields_, frozen=True, kw_only=True, module=__name__)


#: The ``[instruments]`` table of a scenario (rebuilt as instruments register).
Instruments = _instruments_table()

#: Fields of an instrument's table the status quo does not set.
_NOT_IN_STATUS_QUO = ("as_before_plan",)


def _status_quo_settings(cls: type) -> type:
    """An instrument table's ``[status_quo.<name>]`` form: every field optional.

    None keeps the instrument's own value; types and ranges are the table's. ``enabled``
    defaults to false: an instrument the status quo does not switch on did not run before.

    Made once per table and kept as a module attribute, so its objects pickle (workers).
    """
    name = f"{cls.__name__}StatusQuo"
    made = globals().get(name)
    if made is not None and getattr(made, "_settings_of", None) is cls:
        return made
    hints = typing.get_type_hints(cls)
    # An instrument the status quo does not name did not run before the plan.
    default = {"enabled": False}
    fields_ = [
        (f.name, hints[f.name] | None, field(default=default.get(f.name), metadata=f.metadata))
        for f in dataclasses.fields(cls)
        if f.init and f.name not in _NOT_IN_STATUS_QUO
    ]
    made = make_dataclass(name, fields_, frozen=True, kw_only=True, module=__name__)
    made._settings_of = cls
    globals()[name] = made
    return made


def _status_quo_table() -> type:
    """The ``[status_quo]`` schema: per registered instrument, how it ran before the plan."""
    fields_ = []
    for name, cls in _INSTRUMENT_PARAMS.items():
        partial = _status_quo_settings(cls)
        fields_.append((name, partial, field(default_factory=partial)))
    return make_dataclass("StatusQuo", fields_, frozen=True, kw_only=True, module=__name__)


#: The ``[status_quo]`` table of a scenario (rebuilt as instruments register).
StatusQuo = _status_quo_table()


def before_plan(table: InstrumentParams, settings: object) -> InstrumentParams:
    """An instrument's table as it ran before the plan: its own with the status quo's settings.

    Settings left out (None) keep the table's own values; the status quo's ``source``
    entries are added to the table's. Applying it twice gives the same table.
    """
    changes = {
        f.name: getattr(settings, f.name)
        for f in dataclasses.fields(settings)
        if getattr(settings, f.name) is not None
    }
    if "source" in changes:
        changes["source"] = {**table.source, **changes["source"]}
    return dataclasses.replace(table, **changes, as_before_plan=True)


def register_instrument(name: str, params: type) -> None:
    """Add an instrument's parameter table to the scenario schema as ``[instruments.<name>]``.

    Raises:
        ValueError: The name is taken by another table, or the table is not an
            :class:`InstrumentParams` dataclass.
    """
    global Instruments, StatusQuo
    if not (isinstance(params, type) and issubclass(params, InstrumentParams)):
        raise ValueError(f"{params!r} is not an InstrumentParams dataclass")
    if _INSTRUMENT_PARAMS.get(name, params) is not params:
        raise ValueError(f"instrument {name!r} is already registered")
    _INSTRUMENT_PARAMS[name] = params
    Instruments = _instruments_table()
    StatusQuo = _status_quo_table()


def instrument_names() -> tuple[str, ...]:
    """The registered instruments, in registration order."""
    return tuple(_INSTRUMENT_PARAMS)


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """A complete scenario: region, years, behaviour, prices, instruments."""

    name: str
    description: str
    region: Region
    prices: Prices
    demand: Demand
    rd: RD
    innovation: Innovation
    investment: Investment
    market: Market
    tax: Tax
    initial: InitialState
    spinup: SpinUp
    instruments: Instruments
    status_quo: StatusQuo = field(
        default_factory=lambda: StatusQuo(),
        metadata={
            "doc": "how each instrument ran before the plan (the baseline the plan is measured "
            "against), as settings over its [instruments.<name>] table"
        },
    )
    calibration: str = field(
        default="",
        metadata={
            "doc": "the calibrated-parameters file whose estimates the scenario inherits "
            '(relative to the file naming it; "" for none)'
        },
    )
    start_year: int = p(2024, lo=1990, hi=2100)
    end_year: int = p(2030, lo=1990, hi=2100)
    replicates: int = p(20, lo=1, hi=1_000_000)
    seed: int = p(0, lo=0)

    def __post_init__(self) -> None:
        # An instrument that runs as before the plan runs its status-quo table: resolved here,
        # once, so everything that reads the scenario's instruments sees what runs.
        # (A spin-up key holds no instrument tables: nothing to resolve.)
        keyed = not dataclasses.is_dataclass(self.instruments)
        resolved = {
            name: before_plan(getattr(self.instruments, name), getattr(self.status_quo, name))
            for name in ([] if keyed else instrument_names())
            if getattr(self.instruments, name).as_before_plan
        }
        if resolved:
            object.__setattr__(
                self, "instruments", dataclasses.replace(self.instruments, **resolved)
            )
        if self.end_year < self.start_year:
            raise ValueError("end_year must not precede start_year")
        if self.start_year != self.region.base_year.year + 1:
            raise ValueError(
                f"start_year must be the year after the region's base year "
                f"({self.region.base_year.year + 1})"
            )

    @property
    def years(self) -> range:
        """Simulated calendar years."""
        return range(self.start_year, self.end_year + 1)

    def status_quo_instruments(self) -> Instruments:
        """Every instrument as it ran before the plan (``[status_quo]``): the baseline."""
        return dataclasses.replace(
            self.instruments,
            **{
                name: before_plan(getattr(self.instruments, name), getattr(self.status_quo, name))
                for name in instrument_names()
            },
        )
