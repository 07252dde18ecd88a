"""Rule 7b, status: above-scale status and the gradient-cultivation titles by approximate rules."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.special import ndtri

from model.config.units import TINY
from model.economy.compiled import njit
from model.economy.engine import Engine
from model.economy.layout import SlotTables
from model.economy.state import bundle, bundle_type
from model.economy.streams import STRIDE, uniform


def update_status(eng: Engine) -> None:
    """Above-scale status, the machine-tool tax list and the gradient-cultivation titles.

    The list (财税〔2023〕25号) takes machine-tool makers that this year had at least the
    list's revenue, R&D intensity, R&D staff share and share of advanced products; it applies
    to next year's R&D deduction and VAT credit. R&D staff, which the model does not count,
    are reported R&D x its staff-cost share / the R&D wage premium, in units of production
    wages, against the sector's wages (its wage share of output): a share of employment.
    A maker's share of advanced products is its segment's (region data).
    """
    st, rules, lay = eng.state, eng.region.status, eng.layout
    tax_list = eng.scenario.tax.machine_tool_list
    held = eng.outputs(TitlesHeld, bool)
    new = eng.outputs(TitlesNew, bool)
    params = StatusParams(
        year=eng.year,
        n_segments=lay.n_segments,
        firm_weight=eng.firm_weight,
        above_scale=rules.above_scale_revenue_m_yuan,
        sme_max=rules.sme_revenue_max_m_yuan,
        sn_min=rules.specialised_new_min_revenue_m_yuan,
        sn_min_rd=rules.specialised_new_min_rd_m_yuan,
        sn_intensity=rules.specialised_new_rd_intensity,
        lg_growth=rules.little_giant_growth,
        lg_intensity=rules.little_giant_rd_intensity,
        sc_min=rules.single_champion_min_revenue_m_yuan,
        lg_z=float(ndtri(rules.little_giant_productivity_rank)),
        sc_z=float(ndtri(rules.single_champion_productivity_rank)),
        validity_years=rules.validity_years,
        first_year=eng.year == eng.first_year,
        phase_keys=eng.stream_keys("title_phase"),
        list_min_revenue=tax_list.min_revenue_m_yuan,
        list_min_intensity=tax_list.min_rd_intensity,
        list_min_staff_share=tax_list.min_rd_staff_share,
        list_min_advanced_share=tax_list.min_advanced_product_share,
        rd_staff_per_yuan=tax_list.rd_staff_cost_share / tax_list.rd_wage_premium,
        labour_share=eng.par.labour_share,
        advanced_product_share=np.asarray(
            eng.region.machine_tools.advanced_product_share, dtype=np.float64
        ),
    )
    status_firms(
        lay.tables, bundle(StatusFirms, st), params, bundle(TitlesListedYear, st), held, new
    )
    eng.publish(held)
    eng.publish(new)


# ---------------------------------------------------------------------------- compiled loops


#: What the status loop reads of the state (``above_scale`` it writes in place).
StatusFirms = bundle_type(
    "StatusFirms",
    (
        "alive",
        "revenue",
        "revenue_prev2",
        "rd_reported",
        "process_productivity",
        "machine_productivity",
        "model_productivity",
        "above_scale",
        "on_machine_tool_list",
    ),
    __name__,
)
#: The year each title was last recognised or passed its review (specialised-new, little giant,
#: single champion): the year the firm was last on the title's list.
TitlesListedYear = bundle_type(
    "TitlesListedYear",
    ("specialised_new_listed_year", "little_giant_listed_year", "single_champion_listed_year"),
    __name__,
)
#: Who holds each title this year, and who holds it newly.
TitlesHeld = bundle_type(
    "TitlesHeld", ("specialised_new_held", "little_giant_held", "single_champion_held"), __name__
)
TitlesNew = bundle_type(
    "TitlesNew", ("specialised_new_new", "little_giant_new", "single_champion_new"), __name__
)


class StatusParams(NamedTuple):
    """The status rules (the region file's ``[status]``, thresholds per real firm)."""

    year: int
    n_segments: int
    firm_weight: float  # real firms per simulated firm
    above_scale: float  # revenue, m yuan
    sme_max: float  # SME revenue ceiling, m yuan
    sn_min: float  # specialised-new minimum revenue, m yuan
    sn_min_rd: float  # specialised-new minimum reported R&D, m yuan
    sn_intensity: float  # specialised-new minimum reported R&D / revenue
    lg_growth: float  # little-giant minimum revenue growth (two-year mean)
    lg_intensity: float  # little-giant (and champion) minimum R&D intensity
    sc_min: float  # single-champion minimum revenue, m yuan
    lg_z: float  # little-giant minimum productivity z-score
    sc_z: float  # single-champion minimum productivity z-score
    validity_years: int  # years a recognition is valid; the title is then reviewed
    #: The first simulated year: a firm that meets a test was listed in one of the last
    #: ``validity_years`` years (``recognition_year``), drawn from the title-phase stream.
    first_year: bool
    phase_keys: np.ndarray  # (R,) this year's title-phase stream keys
    list_min_revenue: float  # the machine-tool tax list's minimum revenue, m yuan
    list_min_intensity: float  # its minimum reported R&D / revenue
    list_min_staff_share: float  # its minimum R&D staff / employees
    list_min_advanced_share: float  # its minimum share of revenue from advanced products
    rd_staff_per_yuan: float  # R&D staff cost share / R&D wage premium
    labour_share: np.ndarray  # (S,) wages / gross output by sector
    advanced_product_share: np.ndarray  # (G,) advanced products' share of a segment's revenue


@njit(cache=True)
def status_firms(
    lay: SlotTables,
    f: StatusFirms,
    p: StatusParams,
    listed_year: TitlesListedYear,
    held: TitlesHeld,
    new: TitlesNew,
) -> None:
    """Above-scale status and the three gradient-cultivation titles (see ``rules.update_status``).

    ``listed_year`` is updated in place (``review_title``); ``held`` and ``new`` are written.
    """
    # The bundles' arrays and values by name, read once: numba does not hoist a NamedTuple's
    # fields out of the loops (reading them inside cost 15-40% of the loops' time).
    slot_id = lay.slot_id
    sector_start = lay.sector_start
    make_segment = lay.make_segment
    sector_size = lay.sector_size
    alive = f.alive
    model_productivity = f.model_productivity
    process_productivity = f.process_productivity
    machine_productivity = f.machine_productivity
    revenue = f.revenue
    rd_reported = f.rd_reported
    revenue_prev2 = f.revenue_prev2
    is_above_scale = f.above_scale
    on_list = f.on_machine_tool_list
    list_min_revenue = p.list_min_revenue
    list_min_intensity = p.list_min_intensity
    list_min_staff_share = p.list_min_staff_share
    list_min_advanced_share = p.list_min_advanced_share
    rd_staff_per_yuan = p.rd_staff_per_yuan
    labour_share = p.labour_share
    advanced_product_share = p.advanced_product_share
    n_segments = p.n_segments
    firm_weight = p.firm_weight
    year = p.year
    validity_years = p.validity_years
    first_year = p.first_year
    phase_keys = p.phase_keys
    R, N = alive.shape
    S = sector_start.shape[0]
    G = n_segments
    above, sme_max, sn_min, sn_min_rd, sn_intensity = (
        p.above_scale,
        p.sme_max,
        p.sn_min,
        p.sn_min_rd,
        p.sn_intensity,
    )
    lg_growth, lg_intensity, sc_min, lg_z, sc_z = (
        p.lg_growth,
        p.lg_intensity,
        p.sc_min,
        p.lg_z,
        p.sc_z,
    )
    log_productivity = np.empty(N)
    seg_n = np.zeros(G)
    seg_x = np.zeros(G)
    seg_xx = np.zeros(G)
    for r in range(R):
        key = phase_keys[r]
        seg_n[:] = 0.0
        seg_x[:] = 0.0
        seg_xx[:] = 0.0
        for n in range(N):
            if not alive[r, n]:
                continue
            g = make_segment[n]
            if g >= 0:
                x = math.log(max(model_productivity[r, n], TINY))
                seg_n[g] += 1.0
                seg_x[g] += x
                seg_xx[g] += x * x
            else:
                x = math.log(max(process_productivity[r, n] * machine_productivity[r, n], TINY))
            log_productivity[n] = x
        for s in range(S):
            lo = sector_start[s]
            hi = lo + sector_size[s]
            count = 0.0
            sum_x = 0.0
            sum_xx = 0.0
            for n in range(lo, hi):
                if alive[r, n]:
                    x = log_productivity[n]
                    count += 1.0
                    sum_x += x
                    sum_xx += x * x
            count = max(count, 1.0)
            mean = sum_x / count
            sd = math.sqrt(max(sum_xx / count - mean * mean, TINY))
            for n in range(lo, hi):
                if not alive[r, n]:
                    # A free slot has no status and holds no title (its years are cleared).
                    is_above_scale[r, n] = False
                    on_list[r, n] = False
                    for t in range(3):
                        held[t][r, n] = False
                        new[t][r, n] = False
                    continue
                rev = revenue[r, n] / firm_weight  # a real firm's revenue
                g = make_segment[n]
                if g >= 0:  # machine tools: within the segment
                    c = max(seg_n[g], 1.0)
                    m = seg_x[g] / c
                    z = (log_productivity[n] - m) / math.sqrt(max(seg_xx[g] / c - m * m, TINY))
                else:
                    z = (log_productivity[n] - mean) / sd
                intensity = rd_reported[r, n] / max(revenue[r, n], TINY) if rev > TINY else 0.0
                growth = 0.0
                if revenue_prev2[r, n] > TINY:
                    growth = (
                        math.sqrt(max(revenue[r, n], 0.0) / max(revenue_prev2[r, n], TINY)) - 1.0
                    )
                is_above_scale[r, n] = rev >= above
                # The machine-tool tax list: makers only, on this year's figures.
                listed = False
                if g >= 0:
                    rd_staff = rd_staff_per_yuan * intensity
                    staff_share = rd_staff / max(rd_staff + labour_share[s], TINY)
                    listed = (
                        rev >= list_min_revenue
                        and intensity >= list_min_intensity
                        and staff_share >= list_min_staff_share
                        and advanced_product_share[g] >= list_min_advanced_share
                    )
                on_list[r, n] = listed
                # Specialised-new (省级专精特新, 2022 national template): an SME with revenue
                # and R&D above the floors and an R&D intensity of at least 3%.
                meets_sn = (
                    rev < sme_max
                    and rev >= sn_min
                    and rd_reported[r, n] / firm_weight >= sn_min_rd
                    and intensity >= sn_intensity
                )
                c = slot_id[n] * STRIDE
                sn = review_title(
                    listed_year[0][r, n],
                    meets_sn,
                    year,
                    validity_years,
                    recognition_year(year, validity_years, first_year, key, c),
                )
                # Little giant: a specialised-new SME growing at least 5% a year whose
                # productivity rank stands in for "at least 10% of its niche".
                meets_lg = (
                    sn[1]
                    and rev < sme_max
                    and growth >= lg_growth
                    and intensity >= lg_intensity
                    and z >= lg_z
                )
                lg = review_title(
                    listed_year[1][r, n],
                    meets_lg,
                    year,
                    validity_years,
                    recognition_year(year, validity_years, first_year, key, c + 1),
                )
                # Single champion: 400 m yuan of revenue, or a little giant below it, and a
                # productivity rank standing in for "world top 3 in its product".
                meets_sc = (rev >= sc_min or lg[1]) and intensity >= lg_intensity and z >= sc_z
                sc = review_title(
                    listed_year[2][r, n],
                    meets_sc,
                    year,
                    validity_years,
                    recognition_year(year, validity_years, first_year, key, c + 2),
                )
                for t, title in enumerate((sn, lg, sc)):
                    listed_year[t][r, n] = title[0]
                    held[t][r, n] = title[1]
                    new[t][r, n] = title[2]


@njit(inline="always")
def recognition_year(year: int, validity_years: int, first_year: bool, key, counter: int) -> int:
    """The year a firm that meets a title's test this year is listed as recognised in.

    This year, except in the first simulated year: every firm starts without titles, and
    if all that met a test then were listed that year they would all be reviewed together
    every ``validity_years`` years from then on (synchronised review waves). The titles of
    the economy the simulation starts from were recognised over the preceding years, so a
    firm meeting a test in the first year is listed in one of the last ``validity_years``
    years, each as likely (draw ``counter`` of the title-phase stream ``key``).
    """
    if not first_year:
        return year
    return year - min(int(uniform(key, counter) * validity_years), validity_years - 1)


@njit(inline="always")
def review_title(
    listed_year: int, meets: bool, year: int, validity_years: int, recognised_in: int
) -> tuple:
    """A title after this year's review: the year last on its list, held, newly held.

    A recognition is valid for ``validity_years``; the title is then reviewed (复核). A firm
    without the title is recognised in a year it meets the test; a holder whose validity ends
    this year keeps the title if it meets the test (it is on this year's list again) and
    loses it otherwise; a holder within its validity keeps it without a test. A recognition
    or a passed review lists the firm in ``recognised_in`` (``recognition_year``: this year
    but in the first simulated year).
    """
    held_before = year - 1 - listed_year < validity_years
    if meets and year - listed_year >= validity_years:
        listed_year = recognised_in
    held = year - listed_year < validity_years
    return listed_year, held, held and not held_before
