"""Every output variable of a run, declared once: its dims, units, long name and how it adds up.

The dataset (:func:`model.outputs.dataset.to_dataset`), the recorder's per-year series, the
sensitivity outputs, the sweep's reserved dim names and the run summary are all built from
:data:`VARIABLES`. ``across`` says how a variable reduces across its sector (or segment) dim
to a figure for all sectors, which :func:`across_sectors` computes:

- ``"sum"``: a flow or a count, summed;
- ``"mean:<weight>"``: a level (a price, an age, a share), averaged with the weight variable;
- ``""``: nothing meaningful (a demand shock, a replacement rate without its capacity).
"""

from __future__ import annotations

from dataclasses import dataclass

import xarray as xr

__all__ = [
    "COUNTERFACTUALS",
    "MACHINE_AGE_BANDS",
    "REVENUE_THRESHOLDS_M_YUAN",
    "SPECIALISED_NEW_LARGE_M_YUAN",
    "DEADWEIGHT_VARIABLE",
    "FIRM_VARIABLES",
    "RUN_DIMS",
    "VARIABLES",
    "Variable",
    "across_sectors",
    "count_variables",
    "variable",
    "variables",
]

#: Dims of a run's yearly series by what they are recorded over.
YEARLY = ("replicate", "year")
BY_SECTOR = (*YEARLY, "sector")
BY_SEGMENT = (*YEARLY, "segment")
BY_INSTRUMENT = (*YEARLY, "instrument")
BASE = ("replicate", "sector")
BY_SIZE = (*YEARLY, "revenue_threshold")
BY_AGE = (*YEARLY, "machine_age")

#: Revenue thresholds of the firm-size survival curve, m yuan: from the above-scale line (20 m)
#: in 1-2-5 steps to 200 bn, beyond the largest firm of any sector.
REVENUE_THRESHOLDS_M_YUAN: tuple[float, ...] = tuple(
    float(m * 10**e) for e in range(1, 6) for m in (1, 2, 5) if 20 <= m * 10**e <= 200_000
)
#: Revenue above which a newly recognised specialised-new firm counts as large, m yuan: the
#: line of Jiangxi's report on its recognitions (seed 003: 四成企业营收超1亿元), against which
#: the rule's selection is checked.
SPECIALISED_NEW_LARGE_M_YUAN = 100.0
#: Machine-age bands, years (lower bounds): 10 is the renewal programme's eligible age.
MACHINE_AGE_BANDS: dict[str, int] = {"0-4": 0, "5-9": 5, "10+": 10}

#: The twins a run's deadweight is measured against, with the variable of each: the status
#: quo (every instrument as before the plan; the default comparison) and no policy at all.
DEADWEIGHT_VARIABLE: dict[str, str] = {
    "status_quo": "deadweight",
    "no_policy": "deadweight_vs_no_policy",
}
COUNTERFACTUALS: tuple[str, ...] = tuple(DEADWEIGHT_VARIABLE)


@dataclass(frozen=True)
class Variable:
    """One output variable of a run.

    Attributes:
        name: Name in the dataset.
        dims: Its dims, in order.
        units: The ``units`` attribute.
        long_name: The ``long_name`` attribute.
        across: How it reduces across its sector or segment dim (see the module docstring).
        source: ``"recorder"`` (a yearly series the recorder keeps), ``"ledger"`` (the
            instruments' ledgers), ``"spinup"`` (kept during the spin-up), ``"base"`` (the
            base year's flows, for growth in the first simulated year) or ``"derived"``
            (computed from other variables when the dataset is labelled).
    """

    name: str
    dims: tuple[str, ...]
    units: str
    long_name: str
    across: str = "sum"
    source: str = "recorder"


def _sector(name: str, units: str, long_name: str, across: str = "sum") -> Variable:
    return Variable(name, BY_SECTOR, units, long_name, across)


VARIABLES: tuple[Variable, ...] = (
    # ---------------------------------------------------------------- by sector
    _sector("output", "bn yuan", "gross output (产值), nominal"),
    _sector("output_real", "bn yuan (2023 prices)", "gross output at base-year prices"),
    _sector(
        "price_index", "1 (2023 = 1)", "producer price index of the sector", "mean:output_real"
    ),
    _sector("value_added", "bn yuan", "value added, nominal"),
    _sector("wages", "bn yuan", "wage bill"),
    _sector("employment", "thousand people", "employment"),
    _sector("rd_expenditure", "bn yuan", "reported R&D expenditure (研发费用)"),
    _sector("rd_expenditure_real", "bn yuan", "real R&D expenditure (excludes relabelling)"),
    _sector("rd_intensity", "1", "reported R&D / revenue", "mean:output"),
    _sector("basic_research", "bn yuan", "basic-research expenditure"),
    _sector("mean_machine_age", "years", "capacity-weighted mean age of machines", "mean:output"),
    _sector("investment_replacement", "bn yuan", "replacement investment in equipment"),
    _sector("investment_expansion", "bn yuan", "expansion investment in equipment"),
    _sector("replacement_rate", "1/yr", "capacity replaced / capacity", "mean:output"),
    _sector("loans_new", "bn yuan", "new bank loans (incl. overdrafts)"),
    _sector("loans_repaid", "bn yuan", "loan principal repaid"),
    _sector("loans_written_off", "bn yuan", "debt of exiting firms written off"),
    _sector("debt", "bn yuan", "bank debt, end of year"),
    _sector("cash", "bn yuan", "cash, end of year"),
    _sector("operating_cash_flow", "bn yuan", "net profit + depreciation + write-offs"),
    _sector("investment", "bn yuan", "equipment investment paid"),
    _sector("dividends", "bn yuan", "dividends paid"),
    _sector("cash_of_exits", "bn yuan", "cash leaving with exiting firms"),
    _sector("cash_of_entrants", "bn yuan", "owners' equity cash of entrants"),
    _sector("net_profit", "bn yuan", "profit after tax and subsidies"),
    _sector("depreciation", "bn yuan", "tax depreciation"),
    _sector("taxes", "bn yuan", "VAT + corporate income tax"),
    _sector(
        "tax_expenditure_super_deduction",
        "bn yuan",
        "CIT forgone through the R&D super-deduction",
    ),
    _sector("tax_expenditure_high_tech", "bn yuan", "CIT forgone through the 15% high-tech rate"),
    _sector(
        "tax_expenditure_listed_deduction",
        "bn yuan",
        "CIT forgone through the machine-tool list's R&D deduction beyond the general one "
        "(part of tax_expenditure_super_deduction)",
    ),
    _sector(
        "tax_expenditure_vat_credit",
        "bn yuan",
        "VAT forgone through the machine-tool list's additional input-VAT credit",
    ),
    _sector("subsidies_received", "bn yuan", "subsidies received from the instruments"),
    _sector("machine_purchases", "bn yuan", "machine-tool purchases by the sector's firms"),
    _sector(
        "machine_purchases_outside_province",
        "bn yuan",
        "machine tools bought from outside the region (leakage)",
    ),
    _sector("machine_purchases_imported", "bn yuan", "machine tools imported from abroad"),
    _sector(
        "machine_purchases_unproven",
        "bn yuan",
        "purchases of unproven (first-set) in-region models",
    ),
    _sector(
        "domestic_machine_share",
        "1",
        "share of machine-tool purchases made in China",
        "mean:machine_purchases",
    ),
    _sector(
        "in_region_machine_share",
        "1",
        "share of machine-tool purchases made in the region",
        "mean:machine_purchases",
    ),
    _sector(
        "first_set_products_new", "count", "first-set (首台套) products recognised in the year"
    ),
    _sector(
        "first_set_model_sales",
        "bn yuan",
        "sales of makers whose current model is a first-set product (what the insurance helps)",
    ),
    _sector(
        "first_set_products_national_new",
        "count",
        "first sets new to China (domestic and international level) recognised in the year",
    ),
    _sector(
        "n_firms", "count", "firms active in the year (exits leave, entrants join, at its end)"
    ),
    _sector("n_firms_above_scale", "count", "firms with revenue >= 20 m yuan"),
    _sector(
        "n_machine_tool_listed",
        "count",
        "firms on the machine-tool (工业母机) tax list for the next year",
    ),
    _sector("n_specialised_new", "count", "firms holding the specialised-new (专精特新) title"),
    _sector("n_little_giants", "count", "firms holding the little-giant (小巨人) title"),
    _sector("n_single_champions", "count", "firms holding the single-champion (单项冠军) title"),
    _sector("n_specialised_new_new", "count", "specialised-new titles newly recognised"),
    _sector("n_little_giants_new", "count", "little-giant titles newly recognised"),
    _sector("n_single_champions_new", "count", "single-champion titles newly recognised"),
    _sector(
        "n_specialised_new_listed",
        "count",
        "firms on the year's specialised-new list: recognised, or re-reviewed after their validity",
    ),
    _sector(
        "n_specialised_new_listed_over_100m",
        "count",
        "firms on the year's specialised-new list with revenue >= 100 m yuan",
    ),
    _sector(
        "revenue_specialised_new_listed",
        "bn yuan",
        "revenue of the firms on the year's specialised-new list",
    ),
    _sector(
        "rd_expenditure_specialised_new_listed",
        "bn yuan",
        "reported R&D of the firms on the year's specialised-new list",
    ),
    _sector("revenue_sme", "bn yuan", "revenue of the above-scale SMEs (below the SME ceiling)"),
    _sector("rd_expenditure_sme", "bn yuan", "reported R&D of the above-scale SMEs"),
    _sector("entries", "count", "entrants at the end of the year"),
    _sector(
        "entrants_without_slot",
        "count",
        "entrants from the pool beyond their clusters' free firm slots (lost: raise "
        "market.slot_headroom if not 0)",
    ),
    _sector("exits", "count", "exits at the end of the year (closures and falls below scale)"),
    _sector("closures", "count", "exits by negative net worth at the end of the year"),
    _sector("demand_shock", "1", "log demand shock drawn for the sector", ""),
    # ------------------------------------------- the firm distribution (shapes)
    _sector("largest_firm_share", "1", "the largest live firm's share of the sector's revenue", ""),
    _sector(
        "productivity_p90_p10",
        "1",
        "90th over 10th percentile of live firms' productivity (makers: their model's)",
        "",
    ),
    # -------------------------------------------- by the segment buyers shop in
    Variable(
        "machine_purchases_by_segment",
        BY_SEGMENT,
        "bn yuan",
        "machine-tool purchases in the segment",
    ),
    Variable(
        "domestic_machine_share_by_segment",
        BY_SEGMENT,
        "1",
        "share of the segment's purchases made in China",
        "mean:machine_purchases_by_segment",
    ),
    Variable(
        "in_region_machine_share_by_segment",
        BY_SEGMENT,
        "1",
        "share of the segment's purchases made in the region",
        "mean:machine_purchases_by_segment",
    ),
    # -------------------------------------- all sectors, summed over the firms
    # (from the firm arrays, not the sector sums, so "the sectors add up" is a real check)
    Variable("output_total", YEARLY, "bn yuan", "gross output of all sectors, summed over firms"),
    Variable(
        "value_added_total", YEARLY, "bn yuan", "value added of all sectors, summed over firms"
    ),
    Variable(
        "employment_total",
        YEARLY,
        "thousand people",
        "employment of all sectors, summed over firms",
    ),
    Variable(
        "rd_expenditure_total", YEARLY, "bn yuan", "reported R&D of all sectors, summed over firms"
    ),
    Variable(
        "investment_total",
        YEARLY,
        "bn yuan",
        "equipment investment of all sectors, summed over firms",
    ),
    Variable(
        "revenue_tail_exponent",
        YEARLY,
        "1",
        "Pareto tail exponent of live firms' revenue (Hill estimator on the top 5%)",
    ),
    Variable(
        "firm_revenue_survival",
        BY_SIZE,
        "1",
        "share of live firms with revenue at or above the threshold (the size distribution's "
        "survival function)",
        across="",
    ),
    Variable(
        "capacity_share_by_machine_age",
        BY_AGE,
        "1",
        "share of all sectors' equipment capacity in each machine-age band",
        across="",
    ),
    Variable(
        "growth_rate_sd",
        YEARLY,
        "1",
        "sd of continuing firms' log revenue growth, net of their sector's mean",
    ),
    Variable(
        "growth_rate_excess_kurtosis",
        YEARLY,
        "1",
        "excess kurtosis of the same growth rates (0 for a normal, 3 for a Laplace)",
    ),
    Variable(
        "growth_volatility_size_slope",
        YEARLY,
        "1",
        "slope of log sd of growth on log size across ten size classes",
    ),
    Variable(
        "local_machine_share",
        YEARLY,
        "1",
        "share of in-region machine purchases (buyers located in an area) made in the buyer's "
        "own area",
    ),
    # --------------------------------- the makers' rest-of-country and foreign markets
    Variable(
        "national_machine_demand",
        BY_SEGMENT,
        "bn yuan",
        "rest-of-country demand for the segment's machine tools (the region's buyers excluded)",
    ),
    Variable(
        "export_machine_demand",
        BY_SEGMENT,
        "bn yuan",
        "foreign demand for the segment's machine tools",
    ),
    Variable(
        "machine_tool_sales_in_region",
        BY_SEGMENT,
        "bn yuan",
        "the region's makers' sales of the segment's machine tools to buyers in the region",
    ),
    Variable(
        "national_market_share",
        BY_SEGMENT,
        "1",
        "the region's makers' share of the segment's rest-of-country demand",
        "mean:national_machine_demand",
    ),
    Variable(
        "export_market_share",
        BY_SEGMENT,
        "1",
        "the region's makers' share of the segment's foreign demand",
        "mean:export_machine_demand",
    ),
    Variable(
        "relending_cost",
        YEARLY,
        "bn yuan",
        "support outside the instruments' budgets: interest relief from re-lending (central bank)",
    ),
    Variable("cluster_output", (*YEARLY, "cluster"), "bn yuan", "gross output of the cluster"),
    Variable(
        "spinup_replacement_rate",
        ("replicate", "spinup_year", "sector"),
        "1/yr",
        "capacity replaced / capacity during the spin-up",
        "",
        "spinup",
    ),
    Variable(
        "spinup_largest_firm_share",
        ("replicate", "spinup_year", "sector"),
        "1",
        "the largest firm's share of its sector's revenue during the spin-up",
        "",
        "spinup",
    ),
    # ------------------------------------- the base year (the spin-up's last year)
    Variable("base_output", BASE, "bn yuan", "gross output in the base year", source="base"),
    Variable(
        "base_output_real",
        BASE,
        "bn yuan (2023 prices)",
        "real gross output in the base year, at its own price index",
        source="base",
    ),
    Variable("base_value_added", BASE, "bn yuan", "value added in the base year", source="base"),
    Variable(
        "base_investment", BASE, "bn yuan", "equipment investment in the base year", source="base"
    ),
    Variable(
        "base_machine_purchases",
        BASE,
        "bn yuan",
        "machine-tool purchases in the base year",
        source="base",
    ),
    Variable("base_n_firms", BASE, "count", "firms active in the base year", source="base"),
    Variable(
        "base_n_firms_above_scale",
        BASE,
        "count",
        "firms with revenue >= 20 m yuan in the base year",
        source="base",
    ),
    # ------------------------------------------------------------ by instrument
    Variable(
        "subsidy_paid", BY_INSTRUMENT, "bn yuan", "subsidy paid by the instrument", source="ledger"
    ),
    Variable(
        "budget",
        BY_INSTRUMENT,
        "bn yuan",
        "budget available (inf: payments due are honoured)",
        source="ledger",
    ),
    Variable("budget_used", BY_INSTRUMENT, "1", "subsidy paid / budget", "", "ledger"),
    Variable(
        "claims", BY_INSTRUMENT, "bn yuan", "subsidy claimed before rationing", source="ledger"
    ),
    Variable("firms_eligible", BY_INSTRUMENT, "count", "firms eligible", source="ledger"),
    Variable("firms_paid", BY_INSTRUMENT, "count", "firms paid", source="ledger"),
    Variable(
        "subsidy_committed",
        BY_INSTRUMENT,
        "bn yuan",
        "subsidy the year's supported behaviour earned (renewal loans: the interest subsidy "
        "over the life of the year's loans; the others: as paid)",
        source="ledger",
    ),
    Variable(
        "deadweight",
        BY_INSTRUMENT,
        "bn yuan",
        "subsidy paid for behaviour the same firm shows in the status quo (every instrument as "
        "before the plan; status-quo twin, same random numbers); renewal loans: on the year's "
        "commitments",
        source="ledger",
    ),
    Variable(
        "deadweight_vs_no_policy",
        BY_INSTRUMENT,
        "bn yuan",
        "subsidy paid for behaviour the same firm shows with no instrument at all (no-policy "
        "twin, same random numbers); renewal loans: on the year's commitments",
        source="ledger",
    ),
    Variable(
        "leakage",
        BY_INSTRUMENT,
        "bn yuan",
        "machine-tool purchases from outside the region by the firms the instrument paid",
        source="ledger",
    ),
    Variable(
        "subsidy_by_payer",
        (*BY_INSTRUMENT, "payer"),
        "bn yuan",
        "subsidy paid by instrument and payer",
        source="ledger",
    ),
    # ------------------------------------------------------------------ derived
    Variable(
        "machine_tool_sales_rest_of_country",
        BY_SEGMENT,
        "bn yuan",
        "the region's makers' sales of the segment's machine tools to the rest of the country "
        "(their national market share x the rest-of-country demand)",
        source="derived",
    ),
    Variable(
        "machine_tool_sales_abroad",
        BY_SEGMENT,
        "bn yuan",
        "the region's makers' exports of the segment's machine tools (export market share x "
        "foreign demand)",
        source="derived",
    ),
    Variable(
        "value_added_real",
        BY_SECTOR,
        "bn yuan (2023 prices)",
        "value added at base-year prices: the sector's value added over its output deflator "
        "(output / output_real; single deflation, as comparable-price value added is usually "
        "measured)",
        source="derived",
    ),
    Variable(
        "value_added_real_total",
        YEARLY,
        "bn yuan (2023 prices)",
        "value added of all sectors at base-year prices (the sum of value_added_real)",
        source="derived",
    ),
    Variable(
        "chain_output",
        (*YEARLY, "chain"),
        "bn yuan",
        "output of the industrial chain as the region file assembles it from sectors",
        source="derived",
    ),
    Variable(
        "chain_tier",
        (*YEARLY, "chain"),
        "1",
        "rungs of the region's cluster programme (cluster_tier) the chain's output reaches",
        source="derived",
    ),
    Variable(
        "cluster_tier_reached",
        (*YEARLY, "cluster"),
        "1",
        "rungs of the region's cluster programme (cluster_tier) the cluster's output reaches",
        source="derived",
    ),
    Variable(
        "tax_expenditure_by_payer",
        (*YEARLY, "payer"),
        "bn yuan",
        "tax expenditures by who forgoes them (CIT and VAT by the tax-sharing rules)",
        source="derived",
    ),
    Variable(
        "public_cost",
        (*YEARLY, "payer"),
        "bn yuan",
        "public cost by payer: instrument subsidies, tax expenditures as the tax-sharing rules "
        "split them, and re-lending relief (central)",
        source="derived",
    ),
)

#: Every dim a run's variables have (a sweep axis may not reuse these names).
RUN_DIMS: tuple[str, ...] = tuple(dict.fromkeys(d for v in VARIABLES for d in v.dims))

_BY_NAME = {v.name: v for v in VARIABLES}

#: Variables of the firm x year panel of one replicate: name -> (units, long name).
FIRM_VARIABLES: dict[str, tuple[str, str]] = {
    "alive": ("1", "firm slot occupied (live firm)"),
    "revenue": ("m yuan", "revenue"),
    "rd_intensity": ("1", "reported R&D / revenue"),
    "productivity": ("1", "productivity (machine-tool firms: their model's embodied productivity)"),
    "mean_machine_age": ("years", "capacity-weighted mean machine age"),
    "above_scale": ("1", "revenue >= 20 m yuan"),
    "specialised_new": ("1", "holds the specialised-new title"),
    "little_giant": ("1", "holds the little-giant title"),
    "single_champion": ("1", "holds the single-champion title"),
    "high_tech": ("1", "high-tech enterprise (15% CIT)"),
    "first_set_model": ("1", "current model is a first-set product"),
    "subsidy_received": ("m yuan", "subsidies received"),
}


def variable(name: str) -> Variable:
    """The catalogue entry of a variable.

    Raises:
        KeyError: No run variable has that name.
    """
    return _BY_NAME[name]


def variables(*, dims: tuple[str, ...] | None = None, source: str | None = None) -> list[str]:
    """Names of the variables with these dims and/or this source, in catalogue order."""
    return [
        v.name
        for v in VARIABLES
        if (dims is None or v.dims == dims) and (source is None or v.source == source)
    ]


def count_variables() -> set[str]:
    """The variables that count firms or products (units ``count``)."""
    return {v.name for v in VARIABLES if v.units == "count"}


def across_sectors(ds: xr.Dataset, name: str) -> xr.DataArray:
    """A variable for all sectors (or segments) together, by its catalogue rule ``across``.

    Raises:
        ValueError: The variable has no meaningful figure across sectors.
    """
    v = variable(name)
    dim = "sector" if "sector" in v.dims else "segment"
    if v.across == "sum":
        return ds[name].sum(dim)
    if v.across.startswith("mean:"):
        w = ds[v.across.removeprefix("mean:")]
        return (ds[name] * w).sum(dim) / w.sum(dim)
    raise ValueError(f"{name} has no figure across {dim}s (catalogue: across = '')")
