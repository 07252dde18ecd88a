"""The region file's schema: sectors, clusters, machine tools, base year, status rules, chains.

Every field carries its allowed range, unit and meaning in ``metadata`` (see
:func:`model.config.fields.p`); a region is data, never code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from model.config.fields import p, sources
from model.config.firm_sizes import sector_firm_counts
from model.config.schedule import Schedule
from model.config.units import M_YUAN_PER_BN

#: Levels of government that pay for instruments and forgo taxes (the fiscal structure of a
#: Chinese province: the centre, the province, and its cities and counties).
PAYERS: tuple[str, ...] = ("central", "provincial", "county")

# --------------------------------------------------------------------------- region


@dataclass(frozen=True, kw_only=True)
class Sector:
    """One sector of the regional economy: a flagship chain, machine tools or the rest."""

    id: str
    name_zh: str
    kind: Literal["user", "machine_tools"] = "user"
    output_base_bn_yuan: float = p(lo=0.0, unit="bn yuan", doc="gross output (产值), end-2023")
    soe_firm_share: float = p(lo=0.0, hi=1.0, doc="share of firms that are state-owned")
    value_added_share: float = p(lo=0.05, hi=0.6, doc="value added / gross output")
    labour_share: float = p(lo=0.0, hi=0.6, doc="wages / gross output")
    machine_sensitive_cost_share: float = p(
        lo=0.05, hi=0.95, doc="share of unit cost that falls with embodied productivity"
    )
    capital_output_ratio: float = p(
        lo=0.05, hi=3.0, unit="yuan per yuan/yr", doc="equipment per unit of yearly capacity"
    )
    machine_tool_capex_share: float = p(
        lo=0.0, hi=1.0, doc="share of equipment spending that buys machine tools"
    )
    rd_intensity_real: float = p(lo=0.0, hi=0.3, doc="mean real R&D / revenue, base year")
    rd_intensity_dispersion: float = p(lo=0.0, hi=3.0, doc="sd of log R&D intensity")
    basic_research_share: float = p(lo=0.0, hi=1.0, doc="mean basic-research share of R&D")
    high_tech_share: float = p(lo=0.0, hi=1.0, doc="share of firms with high-tech status")
    demand_growth_real: float = p(lo=-0.2, hi=0.3, unit="1/yr", doc="trend real demand growth")
    demand_shock_sd: float = p(lo=0.0, hi=0.5, doc="sd of log demand shock")
    largest_firm_revenue_bn_yuan: float = p(
        lo=0.0,
        unit="bn yuan",
        doc="revenue of the sector's largest real firm: the top of its firm-size distribution",
    )
    segment_mix: tuple[float, ...] = p(
        lo=0.0, hi=1.0, doc="share of buyers in each machine-tool segment (machine_tools.segments)"
    )
    source: dict[str, str] = sources()

    def __post_init__(self) -> None:
        if abs(sum(self.segment_mix) - 1.0) > 1e-9:
            raise ValueError(f"segment_mix must sum to 1, sums to {sum(self.segment_mix):.6g}")
        if self.value_added_share <= self.labour_share:
            raise ValueError("value_added_share must exceed labour_share (wages are part of it)")
        unit_cost = 1.0 - (self.value_added_share - self.labour_share)
        if self.labour_share > self.machine_sensitive_cost_share * unit_cost:
            raise ValueError(
                "labour_share must not exceed the machine-sensitive part of unit cost "
                f"({self.machine_sensitive_cost_share * unit_cost:.4f}): wages fall with "
                "productivity"
            )

    @property
    def markup(self) -> float:
        """Price over unit cost minus 1, from the gross margin VA - wages."""
        margin = self.value_added_share - self.labour_share
        return margin / (1.0 - margin)


@dataclass(frozen=True, kw_only=True)
class Cluster:
    """A place-and-chain cluster: firms of one sector in one place."""

    id: str
    name_zh: str
    sector: str
    firm_share: float = p(lo=0.0, hi=1.0, doc="share of the sector's firms located here")
    cnc_zone: bool = p(False, doc="one of the plan's CNC machine-tool cluster zones")
    area: str = p(
        "",
        doc="the part of the region it lies in: buyers prefer machines made in their own area "
        "(machine_tools.local_preference); empty: spread over the region",
    )
    tier: Literal["none", "provincial", "national", "world_class"] = p(
        "none", doc="the cluster programme's tier (provincial / national / world-class)"
    )
    source: dict[str, str] = sources()


@dataclass(frozen=True, kw_only=True)
class ClusterTier:
    """A rung of the region's cluster programme, reached by output (e.g. 415X's 千亿级)."""

    name: str
    min_output_bn_yuan: float = p(lo=0.0, unit="bn yuan", doc="output a cluster needs")
    source: dict[str, str] = sources()


@dataclass(frozen=True, kw_only=True)
class OutsideModel:
    """An exogenous machine-tool model: imports or other provinces' domestic supply."""

    origin: Literal["import", "other_province"]
    segment: str = p(doc="the segment it is offered in (one of machine_tools.segments)")
    productivity_premium: float = p(
        lo=-0.9, hi=5.0, doc="embodied productivity / in-region mean - 1"
    )
    price_premium: float = p(lo=-0.9, hi=10.0, doc="price / in-region segment mean - 1")
    productivity_growth_gap: float = p(
        lo=-0.1,
        hi=0.2,
        unit="1/yr",
        doc="growth of its productivity above the region's makers' trend over the spin-up "
        "(0: keeps pace)",
    )
    brochure_probability: float = p(lo=0.0, hi=1.0, doc="chance a brochure slot shows it")
    source: dict[str, str] = sources()


@dataclass(frozen=True, kw_only=True)
class MachineTools:
    """Structure of the machine-tool (工业母机) market."""

    segments: tuple[str, ...] = p(doc="market segments, e.g. economy, mid-range, high-end")
    segment_firm_share: tuple[float, ...] = p(lo=0.0, hi=1.0, doc="share of MT firms per segment")
    segment_price_index: tuple[float, ...] = p(lo=0.0, doc="relative model price per segment")
    segment_productivity_index: tuple[float, ...] = p(
        lo=0.0, doc="relative embodied productivity of a segment's models"
    )
    set_price_m_yuan: tuple[float, ...] = p(lo=0.0, unit="m yuan", doc="price of one set")
    outside_sales_share_base: float = p(
        lo=0.0, hi=1.0, doc="share of output sold outside the region when the spin-up starts"
    )
    export_sales_share_base: float = p(
        lo=0.0, hi=1.0, doc="share of the makers' output exported, base year"
    )
    national_market_share_base: tuple[float, ...] = p(
        lo=0.0, hi=1.0, doc="the makers' share of rest-of-country demand per segment, base year"
    )
    national_import_share_base: tuple[float, ...] = p(
        lo=0.0, hi=1.0, doc="imports' share of rest-of-country demand per segment, base year"
    )
    export_market_share_base: tuple[float, ...] = p(
        lo=0.0, hi=1.0, doc="the makers' share of foreign demand per segment, base year"
    )
    export_market_national_share_base: float = p(
        lo=0.0, hi=1.0, doc="all the country's makers' share of foreign demand, base year"
    )
    national_demand_growth: dict[str, Schedule] = p(
        default_factory=dict,
        unit="1/yr",
        doc="nominal growth of rest-of-country demand by path (low, central, high)",
    )
    export_demand_growth: dict[str, Schedule] = p(
        default_factory=dict,
        unit="1/yr",
        doc="nominal growth of foreign demand by path (low, central, high)",
    )
    outside_models: tuple[OutsideModel, ...] = ()
    brochure_size: int = p(4, lo=1, hi=50, doc="models a buyer compares (k)")
    niches: int = p(
        lo=1, hi=10_000, doc="product niches (lathes, grinders, presses, ...) per segment"
    )
    brochure_share_weight: float = p(
        lo=0.0, hi=1.0, doc="weight of sales share (vs uniform) in who appears in brochures"
    )
    advanced_product_share: tuple[float, ...] = p(
        lo=0.0,
        hi=1.0,
        doc="share of a segment's makers' revenue from advanced products (the tax list's test)",
    )
    local_preference: float = p(
        0.0,
        lo=0.0,
        hi=0.5,
        doc="discount a buyer sees on the price of machines made in its own area (service, "
        "proximity): its local purchase share follows",
    )
    source: dict[str, str] = sources()

    def __post_init__(self) -> None:
        G = len(self.segments)
        if G < 1 or len(set(self.segments)) != G:
            raise ValueError(f"segments must name at least one segment, each once: {self.segments}")
        for name in (
            "segment_firm_share",
            "segment_price_index",
            "segment_productivity_index",
            "set_price_m_yuan",
            "national_market_share_base",
            "national_import_share_base",
            "export_market_share_base",
            "advanced_product_share",
        ):
            if len(getattr(self, name)) != G:
                raise ValueError(
                    f"{name} must give one value per segment ({G}: {', '.join(self.segments)})"
                )
        # Divisors in the compiled loops (which give inf or nan, not an error, on a zero).
        for name in ("segment_price_index", "segment_productivity_index", "set_price_m_yuan"):
            if min(getattr(self, name)) <= 0.0:
                raise ValueError(f"{name} must be positive in every segment: {getattr(self, name)}")
        if abs(sum(self.segment_firm_share) - 1.0) > 1e-9:
            total = sum(self.segment_firm_share)
            raise ValueError(f"segment_firm_share must sum to 1, sums to {total:.6g}")
        for g in self.segments:
            for origin in ("import", "other_province"):
                n = sum(o.segment == g and o.origin == origin for o in self.outside_models)
                if n != 1:
                    raise ValueError(
                        f"outside_models needs exactly one {origin} model of segment {g!r}, has {n}"
                    )
        unknown = sorted({o.segment for o in self.outside_models} - set(self.segments))
        if unknown:
            raise ValueError(f"outside_models name unknown segments {unknown}")
        for name in ("national_demand_growth", "export_demand_growth"):
            missing = {"low", "central", "high"} - set(getattr(self, name))
            if missing:
                raise ValueError(
                    f"{name} needs paths low, central, high; missing {sorted(missing)}"
                )
        for g, z, m in zip(
            self.segments,
            self.national_market_share_base,
            self.national_import_share_base,
            strict=True,
        ):
            if not (0.0 < z and 0.0 < m and z + m < 1.0):
                raise ValueError(
                    f"segment {g!r}: national_market_share_base ({z:g}) and "
                    f"national_import_share_base ({m:g}) must be positive and leave the other "
                    "provinces a positive share"
                )
        for g, x in zip(self.segments, self.export_market_share_base, strict=True):
            if not (0.0 < x < self.export_market_national_share_base < 1.0):
                raise ValueError(
                    f"segment {g!r}: export_market_share_base ({x:g}) must be positive and "
                    "below export_market_national_share_base "
                    f"({self.export_market_national_share_base:g}), which must be below 1"
                )
        if not self.export_sales_share_base < self.outside_sales_share_base:
            raise ValueError(
                "export_sales_share_base must be below outside_sales_share_base (exports are "
                "part of the sales outside the region)"
            )


@dataclass(frozen=True, kw_only=True)
class BaseYear:
    """Aggregates the spin-up is rescaled to, and base-year macro figures."""

    year: int = p(2023, lo=2000, hi=2100)
    employment_m: float = p(lo=0.0, unit="million people", doc="above-scale employment")
    total_output_bn_yuan: float = p(lo=0.0, unit="bn yuan", doc="above-scale gross output")
    n_firms_above_scale: int = p(
        lo=1, unit="firms", doc="above-scale firms; each sector's share follows from its sizes"
    )
    source: dict[str, str] = sources()


@dataclass(frozen=True, kw_only=True)
class StatusRules:
    """Approximate rules for firm status (above-scale and the gradient-cultivation titles)."""

    above_scale_revenue_m_yuan: float = p(20.0, lo=0.0, unit="m yuan")
    sme_revenue_max_m_yuan: float = p(lo=0.0, unit="m yuan", doc="SME ceiling (revenue)")
    specialised_new_rd_intensity: float = p(lo=0.0, hi=1.0, doc="min reported R&D / revenue")
    specialised_new_min_rd_m_yuan: float = p(lo=0.0, unit="m yuan", doc="min reported R&D")
    specialised_new_min_revenue_m_yuan: float = p(lo=0.0, unit="m yuan")
    little_giant_growth: float = p(lo=-1.0, hi=5.0, doc="min revenue growth, 2-yr mean")
    little_giant_rd_intensity: float = p(lo=0.0, hi=1.0, doc="min reported R&D / revenue")
    little_giant_productivity_rank: float = p(lo=0.0, hi=1.0, doc="min productivity quantile")
    single_champion_min_revenue_m_yuan: float = p(lo=0.0, unit="m yuan")
    single_champion_productivity_rank: float = p(lo=0.0, hi=1.0, doc="min productivity quantile")
    validity_years: int = p(
        3, lo=1, hi=10, doc="years a recognition is valid before the title is reviewed"
    )
    source: dict[str, str] = sources()

    def __post_init__(self) -> None:
        # Sizes are measured against it in the compiled loops (growth shocks, imitation).
        if self.above_scale_revenue_m_yuan <= 0.0:
            got = self.above_scale_revenue_m_yuan
            raise ValueError(f"above_scale_revenue_m_yuan must be positive, got {got}")


@dataclass(frozen=True, kw_only=True)
class TaxSharing:
    """Who forgoes a tax expenditure: the tax-sharing rules between centre, province and county.

    The local share of each tax is split between the province and its cities and counties
    (the model's ``county`` payer) by the region's own rule.
    """

    cit_central_share: float = p(lo=0.0, hi=1.0, doc="centre's share of corporate income tax")
    vat_central_share: float = p(lo=0.0, hi=1.0, doc="centre's share of VAT")
    provincial_share_of_local: float = p(
        lo=0.0, hi=1.0, doc="province's share of the local part (the rest: cities and counties)"
    )
    source: dict[str, str] = sources()

    def shares(self, tax: str) -> dict[str, float]:
        """Each payer's share of a yuan of ``tax`` ("cit" or "vat"), by payer."""
        central = {"cit": self.cit_central_share, "vat": self.vat_central_share}[tax]
        local = 1.0 - central
        return {
            "central": central,
            "provincial": local * self.provincial_share_of_local,
            "county": local * (1.0 - self.provincial_share_of_local),
        }


@dataclass(frozen=True, kw_only=True)
class SectorPart:
    """A part of one sector's output that an industrial chain also counts (e.g. CNC tools)."""

    id: str
    sector: str = p(doc="the sector the part belongs to")
    share: float = p(lo=0.0, hi=1.0, doc="the part's share of the sector's output")
    source: dict[str, str] = sources()


@dataclass(frozen=True, kw_only=True)
class Chain:
    """An industrial chain of a plan (or another group) as the region's disjoint sectors make it.

    Its output is the sum of its sectors' output plus its parts of other sectors.
    """

    id: str
    name_zh: str
    sectors: tuple[str, ...] = p(doc="sectors counted whole")
    parts: tuple[str, ...] = p((), doc="sector parts (sector_part ids) counted too")
    source: dict[str, str] = sources()


@dataclass(frozen=True, kw_only=True)
class KeyOutput:
    """One of the region's key outputs: a variable of one sector (or all), one year or all years.

    Sensitivity specs, Shapley values and summaries name key outputs by ``id``.
    """

    id: str
    long_name: str
    variable: str = p(doc="an output variable with a sector dim, e.g. output")
    sector: str = p("", doc="the sector (kind machine_tools may be named by its id); '' = all")
    year: int = p(0, lo=0, doc="the year; 0 = summed over the simulated years")
    source: dict[str, str] = sources()


@dataclass(frozen=True, kw_only=True)
class Region:
    """The embedded region: sectors, clusters, machine-tool market and base year."""

    name: str
    name_zh: str
    base_year: BaseYear
    sector: tuple[Sector, ...]
    cluster: tuple[Cluster, ...]
    machine_tools: MachineTools
    status: StatusRules
    tax_sharing: TaxSharing
    sector_part: tuple[SectorPart, ...] = ()
    chain: tuple[Chain, ...] = ()
    aggregate: tuple[Chain, ...] = p(
        (), doc="named groups of sectors and parts that targets refer to (e.g. all chains together)"
    )
    key_output: tuple[KeyOutput, ...] = ()
    cluster_tier: tuple[ClusterTier, ...] = p(
        (), doc="the cluster programme's rungs by output, lowest first (chains and clusters)"
    )
    double_counting: str = p("", doc="how overlapping chains are split")

    def __post_init__(self) -> None:
        ids = [s.id for s in self.sector]
        if len(set(ids)) != len(ids):
            raise ValueError("sector ids must be unique")
        G = len(self.machine_tools.segments)
        for s in self.sector:
            if len(s.segment_mix) != G:
                raise ValueError(
                    f"sector {s.id!r}: segment_mix must give one share per machine-tool segment "
                    f"({G}: {', '.join(self.machine_tools.segments)})"
                )
        parts = {pt.id: pt for pt in self.sector_part}
        for pt in self.sector_part:
            if pt.sector not in ids:
                raise ValueError(f"sector_part {pt.id!r} names unknown sector {pt.sector!r}")
        for c in (*self.chain, *self.aggregate):
            unknown = sorted(set(c.sectors) - set(ids))
            if unknown:
                raise ValueError(f"chain {c.id!r} names unknown sectors {unknown}")
            missing = sorted(set(c.parts) - set(parts))
            if missing:
                raise ValueError(f"chain {c.id!r} names unknown sector parts {missing}")
            twice = sorted({parts[x].sector for x in c.parts} & set(c.sectors))
            if twice:
                raise ValueError(
                    f"chain {c.id!r} counts sectors {twice} whole and in part: count them once"
                )
        for k in self.key_output:
            if k.sector and k.sector not in ids:
                raise ValueError(f"key_output {k.id!r} names unknown sector {k.sector!r}")
        for name, items in (
            ("chain", self.chain),
            ("aggregate", self.aggregate),
            ("sector_part", self.sector_part),
            ("key_output", self.key_output),
        ):
            seen = [x.id for x in items]
            if len(set(seen)) != len(seen):
                raise ValueError(f"{name} ids must be unique")
        if sum(s.kind == "machine_tools" for s in self.sector) != 1:
            raise ValueError("exactly one sector must have kind = 'machine_tools'")
        self._size_firms()
        floors = [t.min_output_bn_yuan for t in self.cluster_tier]
        if floors != sorted(set(floors)):
            raise ValueError(
                f"cluster_tier must go from the lowest output up, each higher: {floors}"
            )
        for c in self.cluster:
            if c.sector not in ids:
                raise ValueError(f"cluster {c.id!r} names unknown sector {c.sector!r}")
        for s in ids:
            total = sum(c.firm_share for c in self.cluster if c.sector == s)
            if abs(total - 1.0) > 1e-6:
                raise ValueError(
                    f"cluster firm_share of sector {s!r} must sum to 1, sums to {total:.6g}"
                )

    def _size_firms(self) -> None:
        """Derive the region's size exponent and the sectors' firm counts (``firm_sizes``)."""
        low = self.status.above_scale_revenue_m_yuan
        for s in self.sector:
            # A Pareto on [threshold, largest firm] has a mean between the threshold (a very
            # steep tail) and that of a log-uniform (a flat one).
            if s.largest_firm_revenue_bn_yuan * M_YUAN_PER_BN <= low:
                raise ValueError(
                    f"sector {s.id!r}: largest_firm_revenue_bn_yuan must exceed the above-scale "
                    f"threshold ({low:g} m yuan, status.above_scale_revenue_m_yuan)"
                )
        outputs = np.array([s.output_base_bn_yuan for s in self.sector]) * M_YUAN_PER_BN
        largest = np.array([s.largest_firm_revenue_bn_yuan for s in self.sector]) * M_YUAN_PER_BN
        n = self.base_year.n_firms_above_scale
        if n < len(self.sector):
            raise ValueError(f"base_year.n_firms_above_scale ({n}) is below the sector count")
        try:
            alpha, counts = sector_firm_counts(outputs, largest, low, n)
        except ValueError as e:
            raise ValueError(
                f"the sectors' outputs and largest firms cannot hold {n} above-scale firms "
                f"(base_year.n_firms_above_scale) on Pareto sizes from the threshold "
                f"{low:g} m yuan: {e}"
            ) from None
        object.__setattr__(self, "size_exponent", alpha)
        object.__setattr__(self, "firm_counts", counts)

    #: The region's Pareto exponent of firm revenue (derived, see ``model.config.firm_sizes``).
    size_exponent: float = field(init=False, repr=False, compare=False, default=float("nan"))
    #: Above-scale firms of each sector at the base year (derived).
    firm_counts: tuple[int, ...] = field(init=False, repr=False, compare=False, default=())

    @property
    def machine_tool_sector(self) -> int:
        """Index of the machine-tool sector."""
        return next(i for i, s in enumerate(self.sector) if s.kind == "machine_tools")
