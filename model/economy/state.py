"""The economy's state: every array, declared once with its type, axes, unit and lifecycle.

:data:`FIELDS` is the only list of the state. :class:`State` holds exactly these arrays (an
undeclared name is an error), and every list the rules need is derived from it: what the
spin-up rescales, what an exit clears, what an entrant is given, what the recorder sums by
sector, and the named bundles the compiled loops take and write (:func:`bundle_type`,
:func:`bundle`).

Axes: ``firm`` is (R, N), R replicates side by side and N firm slots; ``cohort`` (R, N, A)
the machine cohorts by ring slot; ``cost`` (R, N, C) the cohorts' book costs within their tax
life; ``rd_lag`` (R, N, L) past real R&D; ``sector`` (R, S); ``outside`` (R, O) the outside
models; ``segment`` (R, G) the machine-tool segments; ``replicate`` (R,).

Lifecycle:

- ``rescaled``: scaled with its sector's output when the spin-up rescales to base-year money;
- ``cleared_on_exit``: zeroed when its firm exits;
- ``set_on_entry``: given an entrant's value by the entry rule (demography);
- ``carried``: part of a firm's state from one year to the next (what a snapshot of a firm
  holds, e.g. for the reference model's rule-by-rule check);
- ``recorded``: how the recorder reads it: ``"sum"`` (summed by sector over all slots),
  ``"sum_live"`` (over live firms), ``"count"`` (a flag counted by sector), ``"by_sector"``
  (summed by sector inside the rule that computes it; per firm only when the engine keeps
  firm flows).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = [
    "ESTABLISHED_MODEL_SETS",
    "FIELDS",
    "NEVER",
    "Field",
    "State",
    "bundle",
    "bundle_type",
    "field",
    "names",
]

#: ``model_sets_sold`` of a model that needs no proving (not a first set): it counts as sold.
ESTABLISHED_MODEL_SETS = 1e9
#: A ``*_listed_year`` of a title never held (far before any simulated year).
NEVER = -9999

#: Axes of the state's arrays (see the module docstring).
FIRM = ("replicate", "firm")
COHORT = ("replicate", "firm", "cohort")
COST = ("replicate", "firm", "cost")
RD_LAG = ("replicate", "firm", "rd_lag")
SECTOR = ("replicate", "sector")
OUTSIDE = ("replicate", "outside")
SEGMENT = ("replicate", "segment")
REPLICATE = ("replicate",)


@dataclass(frozen=True)
class Field:
    """One array of the economy's state (see the module docstring for the lifecycle flags)."""

    name: str
    dtype: str
    axes: tuple[str, ...]
    unit: str
    doc: str
    written_by: str
    rescaled: bool = False
    cleared_on_exit: bool = False
    set_on_entry: bool = False
    carried: bool = False
    recorded: str = ""


def _f(name: str, dtype: str, axes: tuple[str, ...], unit: str, doc: str, by: str, **kw) -> Field:
    return Field(name, dtype, axes, unit, doc, by, **kw)


F8, F4, I4, I1, B = "float64", "float32", "int32", "int8", "bool"
#: Per-firm money and real quantities that are rescaled, cleared on exit and set on entry.
_MONEY = dict(rescaled=True, cleared_on_exit=True, set_on_entry=True, carried=True)

FIELDS: tuple[Field, ...] = (
    # ------------------------------------------------------------- slots and firms
    _f("alive", B, FIRM, "1", "the slot holds a live firm", "demography", carried=True, recorded="count"),
    _f("payback_years", F4, FIRM, "years", "b of the payback rule: a trait of the slot's draw", "init"),
    _f("basic_research_share", F4, FIRM, "1", "basic research / real R&D: a trait of the slot", "init"),
    # ---------------------------------------------------------------- market shares
    _f("market_share", F8, FIRM, "1", "share of its sector's demand (user firms)", "produce", cleared_on_exit=True, set_on_entry=True, carried=True),
    _f("national_share", F8, FIRM, "1", "share of its segment's rest-of-country demand (machine-tool makers)", "produce", cleared_on_exit=True, set_on_entry=True, carried=True),
    _f("export_share", F8, FIRM, "1", "share of its segment's foreign demand (machine-tool makers)", "produce", cleared_on_exit=True, set_on_entry=True, carried=True),
    _f("appeal", F8, FIRM, "1", "a maker's pull on buyers beyond price and quality (dealers, service, name): its target share is appeal x (productivity / risk price)^lambda, relative to its rivals'", "produce", cleared_on_exit=True, set_on_entry=True, carried=True),
    _f("mt_segment_share", F8, FIRM, "1", "share of its segment's sales (machine-tool makers)", "produce", set_on_entry=True, carried=True),
    _f("unfilled", F8, FIRM, "1", "demand it could not serve / its demand", "produce", set_on_entry=True, carried=True),
    # ------------------------------------------------------------------ sales
    _f("revenue", F8, FIRM, "m yuan", "sales revenue of the year", "produce", recorded="sum", **_MONEY),
    _f("revenue_prev", F8, FIRM, "m yuan", "revenue a year before", "produce", **_MONEY),
    _f("revenue_prev2", F8, FIRM, "m yuan", "revenue two years before", "produce", **_MONEY),
    _f("output_real", F8, FIRM, "m yuan (base-year prices)", "real output of the year", "produce", recorded="sum_live", **_MONEY),
    _f("output_real_prev", F8, FIRM, "m yuan (base-year prices)", "real output a year before", "produce", **_MONEY),
    _f("output_expected", F8, FIRM, "m yuan (base-year prices)", "expected real output (makers)", "produce", rescaled=True, set_on_entry=True, carried=True),
    _f("orders_inside", F8, FIRM, "m yuan", "orders from in-region buyers (makers)", "invest", rescaled=True, carried=True),
    _f("sales_outside", F8, FIRM, "m yuan", "sales outside the region (makers): to the rest of the country and abroad", "produce", rescaled=True, carried=True),
    _f("sales_abroad", F8, FIRM, "m yuan", "exports (makers), part of sales_outside", "produce", rescaled=True, carried=True),
    _f("price", F8, FIRM, "1 (base-year prices)", "price per unit of real output", "produce", set_on_entry=True, carried=True),
    # ------------------------------------------------------------- productivity
    _f("process_productivity", F8, FIRM, "1", "process productivity (user firms)", "innovate", set_on_entry=True, carried=True),
    _f("machine_productivity", F8, FIRM, "1", "capacity-weighted embodied productivity of its machines", "produce", set_on_entry=True, carried=True),
    _f("innovated", B, FIRM, "1", "innovated this year", "innovate"),
    # --------------------------------------------------- machine-tool makers' model
    _f("model_productivity", F8, FIRM, "1", "embodied productivity of its current model", "innovate", set_on_entry=True, carried=True),
    _f("model_unproven", B, FIRM, "1", "its model is a first set not yet proven by sales", "innovate", set_on_entry=True, carried=True),
    _f("model_first_set", B, FIRM, "1", "its model is a first-set (首台套) product", "innovate", set_on_entry=True, carried=True),
    _f("model_first_set_level", I1, FIRM, "1", "first-set level: 0 none, 1 provincial, 2 domestic (first in China), 3 international", "innovate", set_on_entry=True, carried=True),
    _f("model_recognised", B, FIRM, "1", "its model is a first set the province has listed", "innovate", set_on_entry=True, carried=True),
    _f("model_sets_sold", F8, FIRM, "sets", "sets of the current model sold so far", "produce", set_on_entry=True, carried=True),
    _f("model_vintage", I4, FIRM, "year", "year the current model appeared", "innovate", set_on_entry=True, carried=True),
    _f("first_set_recognised", B, FIRM, "1", "a first set listed by the province this year (its model appeared)", "innovate", recorded="count"),
    # ------------------------------------------------------------------ machines
    _f("cohort_capacity", F4, COHORT, "m yuan/yr (base-year prices)", "capacity of each machine cohort (ring by age)", "invest", rescaled=True, cleared_on_exit=True, set_on_entry=True),
    _f("cohort_inverse_productivity", F4, COHORT, "1", "1 / embodied productivity of each cohort", "invest", set_on_entry=True),
    _f("cohort_cost", F4, COST, "m yuan", "cost of each cohort still within its tax life", "invest", rescaled=True, cleared_on_exit=True, set_on_entry=True),
    _f("capacity", F8, FIRM, "m yuan/yr (base-year prices)", "capacity: the cohorts' sum", "invest", rescaled=True, set_on_entry=True, carried=True, recorded="sum"),
    _f("cohort_input", F8, FIRM, "m yuan/yr", "capacity-weighted 1 / embodied productivity summed", "invest"),
    _f("capacity_replaced", F4, FIRM, "m yuan/yr", "capacity replaced this year", "invest", rescaled=True, recorded="sum"),
    _f("capacity_age", F4, FIRM, "years x m yuan/yr", "capacity x age summed over cohorts", "invest", recorded="sum"),
    _f("book_value", F8, FIRM, "m yuan", "book value of its machines", "invest"),
    _f("depreciation", F8, FIRM, "m yuan", "tax depreciation of the year", "invest", recorded="sum"),
    _f("machine_choice", I4, FIRM, "1", "the model it bought (a slot, or N + outside model)", "invest"),
    # ------------------------------------------------------------ investment flows
    _f("flow_investment", F8, FIRM, "m yuan", "equipment investment paid", "invest", recorded="sum"),
    _f("flow_loans_new", F8, FIRM, "m yuan", "new loans (overdrafts included)", "invest", recorded="sum"),
    _f("flow_writeoff", F8, FIRM, "m yuan", "book value written off on scrapping", "invest", recorded="sum"),
    _f("renewal_eligible_loan", F8, FIRM, "m yuan", "loans replacing cohorts past the eligible age", "invest"),
    _f("investment_replacement", F8, FIRM, "m yuan", "replacement investment", "invest", recorded="by_sector"),
    _f("investment_expansion", F8, FIRM, "m yuan", "expansion investment", "invest", recorded="by_sector"),
    _f("machine_purchases", F4, FIRM, "m yuan", "machine-tool purchases", "invest", rescaled=True, recorded="sum"),
    _f("machine_purchases_in_region", F4, FIRM, "m yuan", "machine tools bought from in-region makers", "invest", rescaled=True, recorded="sum"),
    _f("machine_purchases_imported", F4, FIRM, "m yuan", "machine tools imported from abroad", "invest", recorded="sum"),
    _f("machine_purchases_unproven", F4, FIRM, "m yuan", "unproven (first-set) in-region models bought", "invest", recorded="sum"),
    # ------------------------------------------------------------------- R&D
    _f("rd_intensity_fe", F4, FIRM, "1", "the firm's own real R&D intensity at base-year user cost", "demography", set_on_entry=True, carried=True),
    _f("rd_user_cost_base", F4, FIRM, "1", "its after-tax user cost of R&D when its intensity was set", "demography", set_on_entry=True, carried=True),
    _f("high_tech", B, FIRM, "1", "high-tech enterprise (15% CIT)", "demography", set_on_entry=True, carried=True),
    _f("rd_real", F8, FIRM, "m yuan", "real R&D", "research", recorded="sum_live", set_on_entry=True, **{"rescaled": True, "carried": True}),
    _f("rd_reported", F8, FIRM, "m yuan", "reported R&D (研发费用), relabelling included", "research", recorded="sum_live", set_on_entry=True, **{"rescaled": True, "carried": True}),
    _f("rd_reported_prev", F8, FIRM, "m yuan", "reported R&D a year before", "research", rescaled=True, set_on_entry=True, carried=True),
    _f("rd_real_history", F4, RD_LAG, "m yuan", "real R&D of past years (innovation draws on it)", "research", rescaled=True, set_on_entry=True),
    _f("basic_research", F8, FIRM, "m yuan", "basic-research spend", "research", rescaled=True, carried=True, recorded="sum_live"),
    # ----------------------------------------------------------------- accounts
    _f("profit_before_tax", F8, FIRM, "m yuan", "profit before tax and subsidies", "account"),
    _f("cit", F8, FIRM, "m yuan", "corporate income tax", "account", recorded="sum"),
    _f("wages", F8, FIRM, "m yuan", "wage bill", "account", recorded="by_sector"),
    _f("value_added", F8, FIRM, "m yuan", "value added", "account", recorded="by_sector"),
    _f("employment", F8, FIRM, "people", "employment", "account", recorded="by_sector"),
    _f("vat", F8, FIRM, "m yuan", "value-added tax", "account", recorded="by_sector"),
    _f("tax_expenditure_super_deduction", F8, FIRM, "m yuan", "CIT forgone by the R&D super-deduction", "account", recorded="by_sector"),
    _f("tax_expenditure_high_tech", F8, FIRM, "m yuan", "CIT forgone by the high-tech rate", "account", recorded="by_sector"),
    _f("tax_expenditure_listed_deduction", F8, FIRM, "m yuan", "CIT forgone by the machine-tool list's R&D deduction beyond the general one", "account", recorded="by_sector"),
    _f("tax_expenditure_vat_credit", F8, FIRM, "m yuan", "VAT forgone by the machine-tool list's additional input-VAT credit", "account", recorded="by_sector"),
    _f("subsidy_received", F8, FIRM, "m yuan", "subsidies received this year", "pay", recorded="sum"),
    _f("cash", F8, FIRM, "m yuan", "cash, end of year", "settle", **_MONEY),
    _f("debt", F8, FIRM, "m yuan", "bank debt, end of year", "settle", **_MONEY),
    _f("net_profit", F8, FIRM, "m yuan", "profit after tax and subsidies", "settle", recorded="by_sector"),
    _f("flow_repayment", F8, FIRM, "m yuan", "loan principal repaid", "settle", recorded="by_sector"),
    _f("flow_dividends", F8, FIRM, "m yuan", "dividends paid", "settle", recorded="by_sector"),
    # --------------------------------------------------------------- status
    _f("above_scale", B, FIRM, "1", "revenue >= the above-scale threshold", "status", recorded="count"),
    _f("on_machine_tool_list", B, FIRM, "1", "on the machine-tool (工业母机) tax list for next year: met its conditions this year", "status", cleared_on_exit=True, carried=True, recorded="count"),
    _f("specialised_new_listed_year", I4, FIRM, "year", "last year on the specialised-new list: recognised, or passed its review", "status", set_on_entry=True, carried=True),
    _f("little_giant_listed_year", I4, FIRM, "year", "last year on the little-giant list: recognised, or passed its review", "status", set_on_entry=True, carried=True),
    _f("single_champion_listed_year", I4, FIRM, "year", "last year on the single-champion list: recognised, or passed its review", "status", set_on_entry=True, carried=True),
    _f("specialised_new_held", B, FIRM, "1", "holds the specialised-new (专精特新) title", "status", cleared_on_exit=True, recorded="count"),
    _f("little_giant_held", B, FIRM, "1", "holds the little-giant (小巨人) title", "status", cleared_on_exit=True, recorded="count"),
    _f("single_champion_held", B, FIRM, "1", "holds the single-champion (单项冠军) title", "status", cleared_on_exit=True, recorded="count"),
    _f("specialised_new_new", B, FIRM, "1", "specialised-new title newly held", "status", cleared_on_exit=True, recorded="count"),
    _f("little_giant_new", B, FIRM, "1", "little-giant title newly held", "status", cleared_on_exit=True, recorded="count"),
    _f("single_champion_new", B, FIRM, "1", "single-champion title newly held", "status", cleared_on_exit=True, recorded="count"),
    # ---------------------------------------------------------------- demography
    _f("exits", B, FIRM, "1", "exited at the end of the year", "demography"),
    _f("buys_local", B, FIRM, "1", "this year's machines come from an in-region maker of the buyer's own area", "invest"),
    _f("closures", B, FIRM, "1", "exits by negative net worth (the rest fell below the above-scale threshold)", "demography"),
    _f("entries", B, FIRM, "1", "entered at the end of the year", "demography"),
    _f("exit_cash_by_sector", F8, SECTOR, "m yuan", "cash leaving with the year's exits", "demography"),
    _f("exit_debt_by_sector", F8, SECTOR, "m yuan", "debt of the year's exits, written off", "demography"),
    _f("entry_cash_by_sector", F8, SECTOR, "m yuan", "owners' equity of the year's entrants", "demography"),
    _f("entrants_without_slot", F8, SECTOR, "simulated firms", "entrants from the pool beyond their clusters' free slots (the layout's cap: market.slot_headroom)", "demography"),
    # -------------------------------------------------------------------- sectors
    _f("k1", F8, SECTOR, "1", "machine-sensitive unit cost at productivity 1", "exogenous"),
    _f("k2", F8, SECTOR, "1", "other unit cost (materials)", "exogenous"),
    _f("demand_real", F8, SECTOR, "m yuan (base-year prices)", "real demand of user sectors", "demand", rescaled=True),
    _f("demand_real_prev", F8, SECTOR, "m yuan (base-year prices)", "real demand a year before", "demand", rescaled=True),
    _f("demand_expected", F8, SECTOR, "m yuan (base-year prices)", "expected real demand", "demand", rescaled=True),
    _f("demand_shock", F8, SECTOR, "1", "log demand shock of the year", "demand"),
    _f("price_index", F8, SECTOR, "1", "sector price index", "produce"),
    _f("price_index_prev", F8, SECTOR, "1", "sector price index a year before", "produce"),
    # --------------------------------------------------------- outside the region
    _f("outside_productivity", F8, OUTSIDE, "1", "embodied productivity of each outside model", "exogenous"),
    _f("outside_price", F8, OUTSIDE, "1", "price of each outside model", "exogenous"),
    _f("orders_outside_models", F8, OUTSIDE, "m yuan", "orders for each outside model", "invest"),
    _f("national_demand", F8, SEGMENT, "m yuan", "rest-of-country demand for each segment's machine tools", "demand", rescaled=True),
    _f("export_demand", F8, SEGMENT, "m yuan", "foreign demand for each segment's machine tools", "demand", rescaled=True),
    _f("national_rival_appeal", F8, OUTSIDE, "1", "appeal of each outside model's makers in the rest-of-country market", "produce"),
    _f("national_rival_share", F8, OUTSIDE, "1", "share of its segment's rest-of-country demand each outside model's makers hold", "produce"),
    _f("export_rival_appeal", F8, OUTSIDE, "1", "appeal of each outside model's makers abroad (imports: foreign makers)", "produce"),
    _f("export_rival_share", F8, OUTSIDE, "1", "share of its segment's foreign demand each outside model's makers hold", "produce"),
    # ----------------------------------------------------------------- totals
    _f("value_added_total", F8, REPLICATE, "m yuan", "value added of all firms (one running sum)", "account"),
    _f("employment_total", F8, REPLICATE, "people", "employment of all firms (one running sum)", "account"),
)  # fmt: skip

_BY_NAME = {f.name: f for f in FIELDS}


def field(name: str) -> Field:
    """The declaration of a state array.

    Raises:
        KeyError: The state has no such array.
    """
    return _BY_NAME[name]


def names(**flags: object) -> tuple[str, ...]:
    """Names of the fields whose attributes equal the given ones, in catalogue order.

    Example: ``names(rescaled=True, axes=FIRM)`` are the per-firm arrays the spin-up rescales.
    """
    return tuple(f.name for f in FIELDS if all(getattr(f, k) == v for k, v in flags.items()))


class State:
    """The economy's arrays: exactly the fields of :data:`FIELDS` (and the sector flows).

    Setting an undeclared name is an error, so every array the rules keep is documented in
    the catalogue. ``sector_flows`` holds the flows summed by sector inside the rules
    (``recorded = "by_sector"``), (R, S) each.
    """

    __slots__ = (*(f.name for f in FIELDS), "sector_flows")

    def arrays(self) -> Iterator[tuple[str, np.ndarray]]:
        """The arrays set so far, by name, in catalogue order."""
        for f in FIELDS:
            value = getattr(self, f.name, None)
            if value is not None:
                yield f.name, value

    def check(self) -> None:
        """Check every set array against its declaration (dtype and number of axes).

        Raises:
            TypeError: Naming the first array whose dtype or dims differ from the catalogue.
        """
        for name, value in self.arrays():
            f = _BY_NAME[name]
            if value.dtype != np.dtype(f.dtype) or value.ndim != len(f.axes):
                raise TypeError(
                    f"state.{name} is {value.dtype} with {value.ndim} axes; the catalogue "
                    f"declares {f.dtype} over {f.axes}"
                )


def bundle_type(typename: str, fields: tuple[str, ...], module: str) -> type:
    """A NamedTuple class of state arrays by name, for a compiled loop to read or write.

    The fields must be declared in :data:`FIELDS`; the loop then addresses them by name
    (``f.revenue[r, n]``), so no two arrays can be swapped by position. ``module`` is the
    defining module's ``__name__`` (numba caches compiled loops by the class's qualified name).

    Raises:
        KeyError: A field is not in the catalogue.
    """
    for name in fields:
        field(name)
    cls = NamedTuple(typename, [(name, np.ndarray) for name in fields])
    cls.__module__ = module
    return cls


def bundle[T](cls: type[T], *sources: object, **extra: object) -> T:
    """An instance of a bundle class, each field taken by name from the first source that has it.

    Args:
        cls: A NamedTuple class (e.g. from :func:`bundle_type`).
        *sources: Objects to take fields from by attribute (the state, the layout, ...).
        **extra: Fields given directly (they win over the sources).

    Raises:
        AttributeError: A field is in no source.
    """
    values = {}
    for name in cls._fields:  # type: ignore[attr-defined]
        if name in extra:
            values[name] = extra[name]
            continue
        for src in sources:
            value = getattr(src, name, None)
            if value is not None:
                values[name] = value
                break
        else:
            raise AttributeError(f"{cls.__name__}.{name}: in none of the sources")
    return cls(**values)
