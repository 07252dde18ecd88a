"""The recorder: each year's sector aggregates, instrument ledgers, leakage and deadweight."""

from __future__ import annotations

import numpy as np

from model.config.units import M_YUAN_PER_BN, PEOPLE_PER_THOUSAND, TINY
from model.economy.compiled import njit
from model.economy.engine import Engine
from model.economy.layout import widen
from model.economy.sectors import block_sums, gathered_sums, sector_sum, sector_sums, slot_sums
from model.economy.state import FIELDS, names
from model.outputs.catalogue import (
    COUNTERFACTUALS,
    DEADWEIGHT_VARIABLE,
    MACHINE_AGE_BANDS,
    REVENUE_THRESHOLDS_M_YUAN,
    SPECIALISED_NEW_LARGE_M_YUAN,
    variables,
)
from model.outputs.distribution import (
    SAMPLE,
    count_at_or_above,
    growth_moments,
    hill_exponent,
    live_total_and_largest,
    productivity,
    productivity_samples,
    quantile_ratio,
    size_volatility_slope,
    slot_totals,
    specialised_new_selection,
    thin,
)
from model.policy.ledgers import CompactSlots

#: Firm arrays summed by sector each scenario year -> whether only live firms count (the
#: catalogue's ``recorded``; the rules sum their ``by_sector`` flows themselves).
FLOW_SUMS: dict[str, bool] = {
    f.name: f.recorded == "sum_live" for f in FIELDS if f.recorded in ("sum", "sum_live")
}
#: Firm flags counted by sector each scenario year.
COUNT_SUMS = names(recorded="count")


def _sector_sums(eng: Engine, live_only: dict[str, bool]) -> dict[str, np.ndarray]:
    """Sector sums (R, S) of the named firm arrays, of live firms only where ``live_only``."""
    st, lay = eng.state, eng.layout
    sums = {}
    for group in eng.names_by_dtype(live_only):
        block = sector_sums(
            tuple(getattr(st, name) for name in group),
            np.array([live_only[name] for name in group]),
            st.alive,
            lay.sector_start,
            lay.sector_size,
        )
        sums.update(zip(group, block, strict=True))
    return sums


def deadweight_bn_yuan(
    paid: np.ndarray, activity: np.ndarray, activity_without: np.ndarray
) -> np.ndarray:
    """Subsidy paid for behaviour each firm shows anyway, summed per replicate (R,), bn yuan.

    The part of a firm's subsidy that deadweight takes is min(1, activity without the policy /
    activity with it), clipped at 0; all of it when the firm shows no activity with the policy.

    Args:
        paid: What the instrument paid each firm for the activity (R, N), m yuan.
        activity: The activity with the policy (R, N).
        activity_without: The same firms' activity in a twin (status quo or no policy) (R, N).

    Returns:
        The deadweight of each replicate.
    """
    shown = activity > 0
    anyway = np.where(shown, activity, 1.0)
    # without / with, clipped to [0, 1], 1 where nothing is shown: in one array, in place.
    np.divide(activity_without, anyway, out=anyway)
    np.clip(anyway, 0.0, 1.0, out=anyway)
    np.logical_not(shown, out=shown)
    anyway[shown] = 1.0
    del shown
    return slot_sums(np.multiply(paid, anyway, out=anyway)) / M_YUAN_PER_BN


def _committed_and_leakage(
    paid: CompactSlots, purchases: np.ndarray, purchases_in_region: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """What an instrument paid (R,) and its leakage (R,), m yuan, each summed slot by slot.

    The leakage is the machine purchases outside the region of the firms it paid.
    """
    if paid.full is None:  # few firms paid: their entries alone
        index, entries = paid.index, paid.entries
    else:  # (the zeros add nothing to either sum)
        index = np.flatnonzero(paid.full)
        entries = paid.full.reshape(-1)[index]
    return _entry_totals(index, entries, purchases, purchases_in_region)


@njit(cache=True)
def _entry_totals(
    index: np.ndarray,
    entries: np.ndarray,
    purchases: np.ndarray,
    purchases_in_region: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``_committed_and_leakage`` of the payments' entries (flat positions, in order)."""
    R, N = purchases.shape
    paid = np.zeros(R)
    outside = np.zeros(R)
    for i in range(index.shape[0]):
        r, n = index[i] // N, index[i] % N
        x = entries[i]
        paid[r] += x
        if x > 0.0:
            outside[r] += np.float64(purchases[r, n]) - purchases_in_region[r, n]
    return paid, outside


class Recorder:
    """Collects yearly sector aggregates (and optionally a firm panel) from the engine.

    Each year it also measures, per instrument and replicate, the leakage (machine tools the
    paid firms bought outside the region) and, for deadweight, either keeps the firms'
    activity (``keep_activity``: a twin) or compares the firms' subsidies with
    the twin's activity (``compare_with``). Per-firm values are read in the year they belong
    to and only per-replicate sums are kept, except the twin's activity.
    """

    def __init__(self, eng: Engine, *, record_firms: bool) -> None:
        self.eng = eng
        self.record_firms = record_firms
        #: Keep each year's per-firm activity of every instrument in ``activity``.
        self.keep_activity = False
        self.activity: dict[str, CompactSlots] = {}
        self.leakage: dict[str, np.ndarray] = {}
        #: Deadweight this year by counterfactual ("status_quo", "no_policy") and instrument.
        self.deadweight: dict[str, dict[str, np.ndarray]] = {}
        #: Each counterfactual twin's activity, by year, of every instrument.
        self._without: dict[str, list[dict[str, CompactSlots]]] = {}
        self.years: list[int] = []
        #: Each recorded variable's yearly values (catalogue source "recorder").
        self.series: dict[str, list[np.ndarray]] = {k: [] for k in variables(source="recorder")}
        self.committed_rows: list[np.ndarray] = []
        self.deadweight_rows: dict[str, list[np.ndarray]] = {k: [] for k in COUNTERFACTUALS}
        self.leakage_rows: list[np.ndarray] = []
        self.spinup_replacement: list[np.ndarray] = []
        self.spinup_largest: list[np.ndarray] = []
        self.spinup_years: list[int] = []
        #: The base year's flows (``record_base``), (R, S) each.
        self.base: dict[str, np.ndarray] = {}
        self.firms: dict[str, list[np.ndarray]] = {}
        self._flows: dict[str, np.ndarray] = {}

    def _sum(self, x: np.ndarray) -> np.ndarray:
        return sector_sum(self.eng, x)

    def take_flows(self) -> None:
        """Aggregate the year's flows before exits clear the exiting firms' rows."""
        eng, st = self.eng, self.eng.state
        if eng.spinning_up:
            # The spin-up keeps its replacement rate (to check the base year joins it); its
            # last year, the base year, is also recorded whole (``record_base``).
            cap = self._sum(st.capacity)
            self._spinup_rate = self._sum(st.capacity_replaced) / np.maximum(cap, TINY)
            if eng.year != eng.scenario.start_year - 1:
                return
        bn = 1.0 / M_YUAN_PER_BN
        scale = 1.0 / eng.layout.firm_scale
        alive = st.alive
        # Sector sums of the firm arrays, in one compiled pass each.
        sums = {**_sector_sums(eng, FLOW_SUMS), **st.sector_flows}
        counts = _sector_sums(eng, dict.fromkeys(COUNT_SUMS, False))
        f = {}
        f["output"] = sums["revenue"] * bn
        base_price = getattr(eng, "price_base", None)
        real = sums["output_real"]
        f["output_real"] = real * (base_price if base_price is not None else 1.0) * bn
        f["price_index"] = st.price_index / (base_price if base_price is not None else 1.0)
        f["value_added"] = sums["value_added"] * bn
        f["wages"] = sums["wages"] * bn
        f["employment"] = sums["employment"] / PEOPLE_PER_THOUSAND
        f["rd_expenditure"] = sums["rd_reported"] * bn
        f["rd_expenditure_real"] = sums["rd_real"] * bn
        f["rd_intensity"] = f["rd_expenditure"] / np.maximum(f["output"], TINY)
        f["basic_research"] = sums["basic_research"] * bn
        cap = sums["capacity"]
        f["mean_machine_age"] = sums["capacity_age"] / np.maximum(cap, TINY)
        f["investment_replacement"] = sums["investment_replacement"] * bn
        f["investment_expansion"] = sums["investment_expansion"] * bn
        f["replacement_rate"] = sums["capacity_replaced"] / np.maximum(cap, TINY)
        f["loans_new"] = sums["flow_loans_new"] * bn
        f["loans_repaid"] = sums["flow_repayment"] * bn
        f["operating_cash_flow"] = (
            sums["net_profit"] + sums["depreciation"] + sums["flow_writeoff"]
        ) * bn
        f["investment"] = sums["flow_investment"] * bn
        f["dividends"] = sums["flow_dividends"] * bn
        f["net_profit"] = sums["net_profit"] * bn
        f["depreciation"] = sums["depreciation"] * bn
        f["taxes"] = (sums["vat"] + sums["cit"]) * bn
        f["tax_expenditure_super_deduction"] = sums["tax_expenditure_super_deduction"] * bn
        f["tax_expenditure_high_tech"] = sums["tax_expenditure_high_tech"] * bn
        f["tax_expenditure_listed_deduction"] = sums["tax_expenditure_listed_deduction"] * bn
        f["tax_expenditure_vat_credit"] = sums["tax_expenditure_vat_credit"] * bn
        f["subsidies_received"] = sums["subsidy_received"] * bn
        purchases = sums["machine_purchases"]
        in_region = sums["machine_purchases_in_region"]
        imported = sums["machine_purchases_imported"]
        f["machine_purchases"] = purchases * bn
        f["machine_purchases_outside_province"] = (purchases - in_region) * bn
        f["machine_purchases_imported"] = imported * bn
        f["machine_purchases_unproven"] = sums["machine_purchases_unproven"] * bn
        f["domestic_machine_share"] = (purchases - imported) / np.maximum(purchases, TINY)
        f["in_region_machine_share"] = in_region / np.maximum(purchases, TINY)

        def by_seg(x: np.ndarray) -> np.ndarray:
            return gathered_sums(x, *eng.layout.buyers_by_segment) * bn

        seg_total = by_seg(st.machine_purchases)
        f["machine_purchases_by_segment"] = seg_total
        f["domestic_machine_share_by_segment"] = 1.0 - by_seg(
            st.machine_purchases_imported
        ) / np.maximum(seg_total, TINY)
        f["in_region_machine_share_by_segment"] = by_seg(
            st.machine_purchases_in_region
        ) / np.maximum(seg_total, TINY)
        # The makers' markets: this year's demand and the shares that made this year's sales.
        abroad = eng.segment_sum(st.sales_abroad)
        outside = eng.segment_sum(st.sales_outside)
        national = outside - abroad
        # Sales outside the region are the shares below times the demand (derived when the
        # dataset is labelled); in the region, what is left of the makers' revenue.
        f["machine_tool_sales_in_region"] = (eng.segment_sum(st.revenue) - outside) * bn
        f["national_machine_demand"] = st.national_demand * bn
        f["export_machine_demand"] = st.export_demand * bn
        f["national_market_share"] = national / np.maximum(st.national_demand, TINY)
        f["export_market_share"] = abroad / np.maximum(st.export_demand, TINY)
        # In-region purchases of buyers with an area that went to makers of that area.
        placed = np.where(eng.area_of_slot >= 0, st.machine_purchases_in_region, 0.0)
        f["local_machine_share"] = slot_sums(placed * st.buys_local) / np.maximum(
            slot_sums(placed), TINY
        )
        f["first_set_products_new"] = counts["first_set_recognised"] * scale
        f["first_set_model_sales"] = (
            sector_sum(eng, np.where(st.model_first_set & st.alive, st.revenue, 0.0)) * bn
        )
        national = st.first_set_recognised & (st.model_first_set_level >= 2)
        f["first_set_products_national_new"] = sector_sum(eng, national.astype(float)) * scale
        f["n_firms_above_scale"] = counts["above_scale"] * scale
        f["n_machine_tool_listed"] = counts["on_machine_tool_list"] * scale
        for title, var in (
            ("specialised_new", "n_specialised_new"),
            ("little_giant", "n_little_giants"),
            ("single_champion", "n_single_champions"),
        ):
            f[var] = counts[f"{title}_held"] * scale
            f[f"{var}_new"] = counts[f"{title}_new"] * scale
        f.update(self._specialised_new_selection())
        f["demand_shock"] = st.demand_shock.copy()
        lay = eng.layout
        f["cluster_output"] = block_sums(st.revenue, lay.cluster_start, lay.cluster_size) * bn
        f["n_firms"] = counts["alive"] * scale
        f.update(self._distribution())
        self._instrument_flows()
        # Totals straight from the firm arrays (not from the sector sums), so the identity
        # "sectors add up to the total" is a real check.
        f["output_total"] = slot_sums(st.revenue) * bn
        # (Value added and employment: one running sum over all firms in the accounts rule.)
        f["value_added_total"] = st.value_added_total * bn
        f["employment_total"] = st.employment_total / PEOPLE_PER_THOUSAND
        f["rd_expenditure_total"] = slot_sums(st.rd_reported * alive) * bn
        f["investment_total"] = slot_sums(st.flow_investment) * bn
        self._flows = f
        if self.record_firms and not eng.spinning_up:
            self._firm_row()

    def record_base(self, factor: np.ndarray) -> None:
        """Keep the base year's flows (the spin-up's last year) for growth in the first year.

        Args:
            factor: What the spin-up's last rescaling and the rebase multiplied each sector's
                money by since the year was recorded (R, S).
        """
        f = self._flows
        self.base = {
            "base_output": self.eng.par.output_base_m_yuan[None, :] / M_YUAN_PER_BN,
            # Real output valued as the simulated years value it: at the base year's sector
            # price index (set by the rebase, after the year was recorded).
            "base_output_real": f["output_real"] * factor * self.eng.price_base,
            "base_value_added": f["value_added"] * factor,
            "base_investment": f["investment"] * factor,
            "base_machine_purchases": f["machine_purchases"] * factor,
            "base_n_firms": f["n_firms"],
            "base_n_firms_above_scale": f["n_firms_above_scale"],
        }

    def _specialised_new_selection(self) -> dict[str, np.ndarray]:
        """Size and R&D of this year's specialised-new list and of the SMEs it was drawn from.

        The rule's selection, checked against another province's list (seed 003).
        """
        eng, st, lay = self.eng, self.eng.state, self.eng.layout
        n_listed, n_large, listed_revenue, listed_rd, sme_revenue, sme_rd = (
            specialised_new_selection(
                st.revenue,
                st.rd_reported,
                st.above_scale,
                st.specialised_new_listed_year,
                eng.year,
                lay.sector_start,
                lay.sector_size,
                eng.firm_weight,
                SPECIALISED_NEW_LARGE_M_YUAN,
                eng.region.status.sme_revenue_max_m_yuan,
            )
        )
        bn = 1.0 / M_YUAN_PER_BN
        return {
            "n_specialised_new_listed": n_listed / lay.firm_scale,
            "n_specialised_new_listed_over_100m": n_large / lay.firm_scale,
            "revenue_specialised_new_listed": listed_revenue * bn,
            "rd_expenditure_specialised_new_listed": listed_rd * bn,
            "revenue_sme": sme_revenue * bn,
            "rd_expenditure_sme": sme_rd * bn,
        }

    def _distribution(self) -> dict[str, np.ndarray]:
        """The year's statistics of the firm distribution (``model.outputs.distribution``)."""
        eng, st, lay = self.eng, self.eng.state, self.eng.layout
        R, S = eng.R, lay.n_sectors
        out = {
            "largest_firm_share": np.zeros((R, S)),
            "productivity_p90_p10": np.full((R, S), np.nan),
            "revenue_tail_exponent": np.full(R, np.nan),
            "growth_rate_sd": np.full(R, np.nan),
            "growth_rate_excess_kurtosis": np.full(R, np.nan),
            "growth_volatility_size_slope": np.full(R, np.nan),
            "firm_revenue_survival": np.zeros((R, len(REVENUE_THRESHOLDS_M_YUAN))),
            "capacity_share_by_machine_age": np.zeros((R, len(MACHINE_AGE_BANDS))),
        }
        thresholds = np.asarray(REVENUE_THRESHOLDS_M_YUAN)
        # Each cohort's machine-age band (the rings turn with the year).
        band_of_cohort = (
            np.searchsorted(
                np.asarray(list(MACHINE_AGE_BANDS.values())), eng.cohort_ages(), side="right"
            )
            - 1
        )
        is_maker = lay.make_segment >= 0
        sector_of = lay.sector_of
        out["largest_firm_share"] = self._largest_firm_share()
        for r in range(R):
            alive, revenue = st.alive[r], st.revenue[r]
            samples, offset = productivity_samples(
                alive,
                is_maker,
                st.model_productivity[r],
                st.process_productivity[r],
                st.machine_productivity[r],
                lay.sector_start,
                lay.sector_size,
                SAMPLE,
            )
            for s in range(S):
                out["productivity_p90_p10"][r, s] = quantile_ratio(
                    samples[offset[s] : offset[s + 1]]
                )
            sample = thin(alive)
            out["revenue_tail_exponent"][r] = hill_exponent(revenue[sample])
            # A reduced-scale firm stands for 1 / firm_scale real ones of its size.
            reached, n_live = count_at_or_above(revenue, alive, lay.firm_scale, thresholds)
            out["firm_revenue_survival"][r] = 1.0 - (n_live - reached) / max(n_live, 1)
            by_cohort = slot_totals(st.cohort_capacity[r])  # exits hold 0
            by_band = np.bincount(band_of_cohort, by_cohort, len(MACHINE_AGE_BANDS))
            out["capacity_share_by_machine_age"][r] = by_band / max(by_band.sum(), TINY)
            both = sample[(st.revenue_prev[r, sample] > 0) & (revenue[sample] > 0)]
            growth = np.log(revenue[both] / st.revenue_prev[r, both])
            # Growth relative to the firm's sector: the sectors' own trends are not dispersion.
            sectors = sector_of[both]
            mean = np.bincount(sectors, growth, S) / np.maximum(np.bincount(sectors, None, S), 1)
            growth = growth - mean[sectors]
            sd, kurtosis = growth_moments(growth)
            out["growth_rate_sd"][r] = sd
            out["growth_rate_excess_kurtosis"][r] = kurtosis
            out["growth_volatility_size_slope"][r] = size_volatility_slope(
                st.revenue_prev[r, both], growth
            )
        return out

    def compare_with(
        self, activity_by_year: list[dict[str, CompactSlots]], counterfactual: str = "no_policy"
    ) -> None:
        """Measure deadweight against a twin's activity (one entry per year).

        Each recorded year then sets ``deadweight[counterfactual]`` (instrument -> (R,), bn
        yuan) from what each instrument paid each firm and that firm's activity here and in
        the twin: the status-quo twin (every instrument as before the plan) or the no-policy
        twin (every instrument off).
        """
        if counterfactual not in COUNTERFACTUALS:
            raise ValueError(f"counterfactual must be one of {COUNTERFACTUALS}")
        self._without[counterfactual] = activity_by_year

    def _instrument_flows(self) -> None:
        """Leakage, and deadweight or the activity kept for it, of each instrument."""
        eng, st = self.eng, self.eng.state
        bn = 1.0 / M_YUAN_PER_BN
        # Read now, while they are this year's: payments and the activity arrays are
        # replaced or overwritten from the next rule on.
        without = {k: v[len(self.years)] for k, v in self._without.items()}
        self.leakage, self.committed = {}, {}
        self.deadweight = {k: {} for k in without}
        if self.keep_activity:
            self.activity = {}
        for ins in eng.policy.all:
            # What the instrument paid each firm for, and how much of that behaviour there was.
            kept = ins.supported()
            committed, leakage = _committed_and_leakage(
                kept, st.machine_purchases, st.machine_purchases_in_region
            )
            self.committed[ins.name] = committed * bn
            self.leakage[ins.name] = leakage * bn
            if without:
                paid = kept.dense()
                activity = ins.activity(eng)
                for k, twin in without.items():
                    self.deadweight[k][ins.name] = deadweight_bn_yuan(
                        paid, activity, self._from_full(twin[ins.name].dense())
                    )
                del activity
            if self.keep_activity:
                # At the full layout's slots: a twin's layout may open other slots.
                self.activity[ins.name] = CompactSlots(self._to_full(ins.activity(eng)), copy=True)

    def _to_full(self, values: np.ndarray) -> np.ndarray:
        """Per-slot values (R, N) of the engine's layout at the full layout's slots."""
        lay = self.eng.layout
        return values if lay.is_full else widen(values, lay, self.eng.full_layout)

    def _from_full(self, values: np.ndarray) -> np.ndarray:
        """Per-slot values (R, full slots) at the engine's layout's slots."""
        lay = self.eng.layout
        return values if lay.is_full else np.take(values, lay.slot_id, axis=1)

    def _firm_row(self) -> None:
        st = self.eng.state
        cap = np.maximum(st.capacity, TINY)
        row = {
            "alive": st.alive[0].copy(),
            # m yuan (the round trip through bn yuan is kept: the panel stays bit-identical
            # to before the re-layering)
            "revenue": st.revenue[0] / M_YUAN_PER_BN * M_YUAN_PER_BN,
            "rd_intensity": np.where(
                st.revenue[0] > TINY, st.rd_reported[0] / np.maximum(st.revenue[0], TINY), 0.0
            ),
            # (0 in a free slot, whose leftover values are never read)
            "productivity": np.where(
                st.alive[0],
                productivity(
                    self.eng.layout.make_segment >= 0,
                    st.model_productivity[0],
                    st.process_productivity[0],
                    st.machine_productivity[0],
                ),
                0.0,
            ),
            "mean_machine_age": st.capacity_age[0] / cap[0],
            "above_scale": st.above_scale[0].copy(),
            "specialised_new": st.specialised_new_held[0].copy(),
            "little_giant": st.little_giant_held[0].copy(),
            "single_champion": st.single_champion_held[0].copy(),
            "high_tech": (st.high_tech[0] & st.alive[0]).copy(),
            "first_set_model": (st.model_first_set[0] & st.alive[0]).copy(),
            "subsidy_received": st.subsidy_received[0].copy(),
        }
        for k, v in row.items():
            # The panel is kept at the full layout's slots (a slot's number is its firm id).
            self.firms.setdefault(k, []).append(self._to_full(v[None])[0])

    def _stocks(self) -> dict[str, np.ndarray]:
        eng, st = self.eng, self.eng.state
        bn = 1.0 / M_YUAN_PER_BN
        scale = 1.0 / eng.layout.firm_scale
        return {
            "cash": self._sum(st.cash) * bn,
            "debt": self._sum(st.debt) * bn,
            "cash_of_exits": st.exit_cash_by_sector * bn,
            "cash_of_entrants": st.entry_cash_by_sector * bn,
            "loans_written_off": st.exit_debt_by_sector * bn,
            "entries": self._sum(st.entries.astype(float)) * scale,
            "entrants_without_slot": st.entrants_without_slot * scale,
            "exits": self._sum(st.exits.astype(float)) * scale,
            "closures": self._sum(st.closures.astype(float)) * scale,
        }

    def adopt_spinup(self, other: Recorder) -> None:
        """Take the spin-up record of the model this one was forked from."""
        self.spinup_years = list(other.spinup_years)
        self.spinup_replacement = list(other.spinup_replacement)
        self.spinup_largest = list(other.spinup_largest)
        self.base = other.base

    def record_spinup(self) -> None:
        """Keep the spin-up's replacement rate and each sector's largest firm's share.

        They check that the base year joins the spin-up smoothly and that concentration does
        not drift through it.
        """
        eng = self.eng
        self.spinup_years.append(eng.year)
        self.spinup_replacement.append(self._spinup_rate)
        self.spinup_largest.append(self._largest_firm_share())

    def _largest_firm_share(self) -> np.ndarray:
        """Each sector's largest live firm's share of its live firms' revenue (R, S)."""
        st, lay = self.eng.state, self.eng.layout
        total, largest = live_total_and_largest(
            st.revenue, st.alive, lay.sector_start, lay.sector_size
        )
        return largest / np.maximum(total, TINY)

    def record_year(self) -> None:
        """Append this year's aggregates."""
        eng = self.eng
        self.years.append(eng.year)
        values = {**self._flows, **self._stocks()}
        values["relending_cost"] = eng.policy.off_budget_cost / M_YUAN_PER_BN
        for k, series in self.series.items():
            series.append(values[k])
        R, names = eng.R, [ins.name for ins in eng.policy.all]
        for against, rows in self.deadweight_rows.items():
            row = np.zeros((R, len(names)))
            if against in self.deadweight:
                for k, name in enumerate(names):
                    row[:, k] = self.deadweight[against][name]
            rows.append(row)
        self.leakage_rows.append(np.stack([self.leakage[name] for name in names], axis=1))
        self.committed_rows.append(np.stack([self.committed[name] for name in names], axis=1))

    def arrays(self) -> dict[str, np.ndarray]:
        """Every recorded variable over the simulated years, replicate first, by catalogue name.

        Also ``_years`` and ``_spinup_years``, the years the series cover.
        """
        out = {name: np.stack(series, axis=1) for name, series in self.series.items()}
        out["spinup_replacement_rate"] = np.stack(self.spinup_replacement, axis=1)
        out["spinup_largest_firm_share"] = np.stack(self.spinup_largest, axis=1)
        R = self.eng.R
        out.update({k: np.broadcast_to(v, (R, v.shape[-1])).copy() for k, v in self.base.items()})
        out.update(self.instrument_arrays())
        for against, rows in self.deadweight_rows.items():
            out[DEADWEIGHT_VARIABLE[against]] = np.stack(rows, axis=1)
        out["leakage"] = np.stack(self.leakage_rows, axis=1)
        out["subsidy_committed"] = np.stack(self.committed_rows, axis=1)
        out["_years"] = np.asarray(self.years)
        out["_spinup_years"] = np.asarray(self.spinup_years)
        return out

    def instrument_arrays(self) -> dict[str, np.ndarray]:
        """Instrument ledgers for the simulated years: name -> (R, year, instrument)."""
        n_years = len(self.years)
        out: dict[str, np.ndarray] = {}
        for key in ("subsidy_paid", "budget", "claims", "firms_eligible", "firms_paid"):
            per = []
            for ins in self.eng.policy.all:
                series = (
                    np.stack(ins.ledger[key][-n_years:], axis=1)
                    if n_years
                    else np.zeros((self.eng.R, 0))
                )
                per.append(series)
            out[key] = np.stack(per, axis=2)
        money = ("subsidy_paid", "budget", "claims")
        for key in money:
            out[key] = out[key] / M_YUAN_PER_BN
        scale = 1.0 / self.eng.layout.firm_scale
        for key in ("firms_eligible", "firms_paid"):
            out[key] = out[key] * scale
        out["budget_used"] = np.where(
            np.isfinite(out["budget"]) & (out["budget"] > 0),
            out["subsidy_paid"] / np.maximum(out["budget"], TINY),
            np.nan,
        )
        by_payer = []
        for ins in self.eng.policy.all:
            by_payer.append(np.stack(ins.paid_by_payer[-n_years:], axis=1) / M_YUAN_PER_BN)
        out["subsidy_by_payer"] = np.stack(by_payer, axis=2)  # (R, year, instrument, payer)
        return out
