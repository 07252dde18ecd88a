"""``RegionModel``: the regional firm economy as a Mesa model over numpy firm arrays."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import mesa
import numpy as np

from model import _kernels as kernels
from model import _rules as rules
from model._config import Schedule
from model._layout import build_layout
from model._state import TINY, Engine
from model.instruments import CompactSlots, PolicyMix
from model.params import PAYERS, Scenario

M_YUAN_PER_BN = 1e3


class RegionModel(mesa.Model):
    """A province's industrial firms, a batch of Monte Carlo replicates at once.

    Firms are rows of numpy arrays (replicate x slot), not agent objects: each yearly rule is
    one function in ``model._rules`` over compiled per-firm loops. Construction lays out the
    firm slots and initialises them; ``spin_up()`` runs the pre-base-year years and rescales
    to the base year; each ``step()`` is one calendar year.

    Args:
        scenario: A loaded scenario.
        replicates: Replicate numbers in this batch; each has its own random streams, so a
            replicate's results do not depend on the batch it runs in.
        record_firms: Keep the firm x year panel of the first replicate of the batch.
    """

    def __init__(
        self, scenario: Scenario, replicates: Sequence[int] = (0,), *, record_firms: bool = False
    ) -> None:
        super().__init__(rng=scenario.seed)
        self.scenario_params = scenario
        self.layout = build_layout(scenario)
        self.policy = PolicyMix(scenario)
        self.engine = Engine(scenario, self.layout, np.asarray(replicates), self.policy)
        self.engine.initialise()
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
            self.engine.rescale_to_base()
        self.engine.rebase()

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
        paths after the base year, net entry, the end year.

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
                "the base year, net entry and the end year"
            )
        if recycle is not None and (last or recycle.layout is not self.layout):
            raise ValueError("recycle must be a fork of the same model, and not with last")
        twin = RegionModel.__new__(RegionModel)
        mesa.Model.__init__(twin, rng=scenario.seed)
        twin.scenario_params = scenario
        twin.layout = self.layout
        twin.policy = PolicyMix(scenario)
        if last:
            twin.engine = self.engine
            del self.engine
        else:
            memo = {id(self.layout): self.layout, id(self.policy): twin.policy}
            twin.engine = self.engine.fork_copy(memo, None if recycle is None else recycle.engine)
        if recycle is not None:
            # Its arrays are the new twin's now.
            del recycle.engine, recycle.recorder
        twin.engine.scenario = scenario
        twin.engine.policy = twin.policy
        twin.policy.initialise(twin.engine)
        twin.recorder = Recorder(twin.engine, record_firms=False)
        return twin

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
    LPR, and has no net entry.
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
        market=dataclasses.replace(scenario.market, net_entry_rate=zero),
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
            vat_rate=at_base(scenario.tax.vat_rate),
            source={},
        ),
    )


#: Sector-level variables recorded each year: name -> (units, long name).
SECTOR_VARIABLES: dict[str, tuple[str, str]] = {
    "output": ("bn yuan", "gross output (产值), nominal"),
    "output_real": ("bn yuan (2023 prices)", "gross output at base-year prices"),
    "price_index": ("1 (2023 = 1)", "producer price index of the sector"),
    "value_added": ("bn yuan", "value added, nominal"),
    "wages": ("bn yuan", "wage bill"),
    "employment": ("thousand people", "employment"),
    "rd_expenditure": ("bn yuan", "reported R&D expenditure (研发费用)"),
    "rd_expenditure_real": ("bn yuan", "real R&D expenditure (excludes relabelling)"),
    "rd_intensity": ("1", "reported R&D / revenue"),
    "basic_research": ("bn yuan", "basic-research expenditure"),
    "mean_machine_age": ("years", "capacity-weighted mean age of machines"),
    "investment_replacement": ("bn yuan", "replacement investment in equipment"),
    "investment_expansion": ("bn yuan", "expansion investment in equipment"),
    "replacement_rate": ("1/yr", "capacity replaced / capacity"),
    "loans_new": ("bn yuan", "new bank loans (incl. overdrafts)"),
    "loans_repaid": ("bn yuan", "loan principal repaid"),
    "loans_written_off": ("bn yuan", "debt of exiting firms written off"),
    "debt": ("bn yuan", "bank debt, end of year"),
    "cash": ("bn yuan", "cash, end of year"),
    "operating_cash_flow": ("bn yuan", "net profit + depreciation + write-offs"),
    "investment": ("bn yuan", "equipment investment paid"),
    "dividends": ("bn yuan", "dividends paid"),
    "cash_of_exits": ("bn yuan", "cash leaving with exiting firms"),
    "cash_of_entrants": ("bn yuan", "owners' equity cash of entrants"),
    "net_profit": ("bn yuan", "profit after tax and subsidies"),
    "depreciation": ("bn yuan", "tax depreciation"),
    "taxes": ("bn yuan", "VAT + corporate income tax"),
    "tax_expenditure_super_deduction": ("bn yuan", "CIT forgone through the R&D super-deduction"),
    "tax_expenditure_high_tech": ("bn yuan", "CIT forgone through the 15% high-tech rate"),
    "subsidies_received": ("bn yuan", "subsidies received from the three instruments"),
    "machine_purchases": ("bn yuan", "machine-tool purchases by the sector's firms"),
    "machine_purchases_outside_province": (
        "bn yuan",
        "machine tools bought from outside Zhejiang (leakage)",
    ),
    "machine_purchases_imported": ("bn yuan", "machine tools imported from abroad"),
    "machine_purchases_unproven": ("bn yuan", "purchases of unproven (first-set) Zhejiang models"),
    "domestic_machine_share": ("1", "share of machine-tool purchases made in China"),
    "zhejiang_machine_share": ("1", "share of machine-tool purchases made in Zhejiang"),
    "first_set_products_new": ("count", "first-set (首台套) products recognised in the year"),
    "n_firms": ("count", "firms active in the year (exits leave, entrants join, at its end)"),
    "n_firms_above_scale": ("count", "firms with revenue >= 20 m yuan"),
    "n_specialised_new": ("count", "firms holding the specialised-new (专精特新) title"),
    "n_little_giants": ("count", "firms holding the little-giant (小巨人) title"),
    "n_single_champions": ("count", "firms holding the single-champion (单项冠军) title"),
    "n_specialised_new_new": ("count", "specialised-new titles newly recognised"),
    "n_little_giants_new": ("count", "little-giant titles newly recognised"),
    "n_single_champions_new": ("count", "single-champion titles newly recognised"),
    "entries": ("count", "entrants at the end of the year"),
    "exits": ("count", "exits at the end of the year"),
    "demand_shock": ("1", "log demand shock drawn for the sector"),
}

#: Machine-tool purchases by the segment buyers shop in: name -> (units, long name).
SEGMENT_VARIABLES: dict[str, tuple[str, str]] = {
    "machine_purchases_by_segment": ("bn yuan", "machine-tool purchases in the segment"),
    "domestic_machine_share_by_segment": ("1", "share of the segment's purchases made in China"),
    "zhejiang_machine_share_by_segment": ("1", "share of the segment's purchases made in Zhejiang"),
}

COUNT_VARIABLES = {k for k, (u, _) in SECTOR_VARIABLES.items() if u == "count"}

INSTRUMENT_VARIABLES: dict[str, tuple[str, str]] = {
    "subsidy_paid": ("bn yuan", "subsidy paid by the instrument"),
    "budget": ("bn yuan", "budget available (inf: payments due are honoured)"),
    "budget_used": ("1", "subsidy paid / budget"),
    "claims": ("bn yuan", "subsidy claimed before rationing"),
    "firms_eligible": ("count", "firms eligible"),
    "firms_paid": ("count", "firms paid"),
}


#: Firm arrays summed by sector each scenario year -> whether only live firms count. (The
#: rules sum the flows only the recorder reads themselves: ``state.sector_flows``.)
FLOW_SUMS: dict[str, bool] = {
    "revenue": False,
    "output_real": True,
    "rd_reported": True,
    "rd_real": True,
    "basic_research": True,
    "capacity": False,
    "capacity_age": False,
    "capacity_replaced": False,
    "flow_loans_new": False,
    "depreciation": False,
    "flow_writeoff": False,
    "flow_investment": False,
    "cit": False,
    "subsidy_received": False,
    "machine_purchases": False,
    "machine_purchases_zhejiang": False,
    "machine_purchases_imported": False,
    "machine_purchases_unproven": False,
}
#: Firm flags counted by sector each scenario year.
COUNT_SUMS = (
    "first_set_recognised",
    "above_scale",
    "specialised_new_held",
    "specialised_new_new",
    "little_giant_held",
    "little_giant_new",
    "single_champion_held",
    "single_champion_new",
    "alive",
)


def _sector_sums(eng: Engine, live_only: dict[str, bool]) -> dict[str, np.ndarray]:
    """Sector sums (R, S) of the named firm arrays, of live firms only where ``live_only``."""
    st, lay = eng.state, eng.layout
    sums = {}
    for names in eng.names_by_dtype(live_only):
        block = kernels.sector_sums(
            tuple(getattr(st, name) for name in names),
            np.array([live_only[name] for name in names]),
            st.alive,
            lay.sector_start,
            lay.sector_size,
        )
        sums.update(zip(names, block, strict=True))
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
        activity_without: The same firms' activity in the no-policy twin (R, N).

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
    return np.multiply(paid, anyway, out=anyway).sum(axis=1) / 1e3


class Recorder:
    """Collects yearly sector aggregates (and optionally a firm panel) from the engine.

    Each year it also measures, per instrument and replicate, the leakage (machine tools the
    paid firms bought outside Zhejiang) and, for deadweight, either keeps the firms'
    activity (``keep_activity``: the no-policy twin) or compares the firms' subsidies with
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
        self.deadweight: dict[str, np.ndarray] = {}
        self._without: list[dict[str, CompactSlots]] | None = None
        self.years: list[int] = []
        self.sector: dict[str, list[np.ndarray]] = {k: [] for k in SECTOR_VARIABLES}
        self.scalar: dict[str, list[np.ndarray]] = {
            "outside_machine_demand": [],
            "relending_cost": [],
        }
        self.payer_cost: list[np.ndarray] = []
        self.spinup_replacement: list[np.ndarray] = []
        self.spinup_years: list[int] = []
        self.cluster_output: list[np.ndarray] = []
        self.totals: dict[str, list[np.ndarray]] = {
            k: []
            for k in (
                "output_total",
                "value_added_total",
                "employment_total",
                "rd_expenditure_total",
                "investment_total",
            )
        }
        self.firms: dict[str, list[np.ndarray]] = {}
        self._flows: dict[str, np.ndarray] = {}
        self.segment: dict[str, list[np.ndarray]] = {k: [] for k in SEGMENT_VARIABLES}
        # Buyers sorted by the segment they shop in, for per-row sums that do not depend on
        # the batch size (a matrix product would hand the order to BLAS).
        # int32 indices take the same elements in half the memory of argsort's int64.
        order = np.argsort(eng.layout.buy_segment, kind="stable")
        self._buyer_order = order.astype(np.int32 if len(order) < 2**31 else np.int64)
        seg_sorted = eng.layout.buy_segment[self._buyer_order]
        self._buyer_starts = np.searchsorted(seg_sorted, np.arange(len(eng.layout.segment_slots)))

    def _sum(self, x: np.ndarray) -> np.ndarray:
        return rules.sector_sum(self.eng, x)

    def take_flows(self) -> None:
        """Aggregate the year's flows before exits clear the exiting firms' rows."""
        eng, st = self.eng, self.eng.state
        if eng.spinning_up:
            # The spin-up keeps only its replacement rate (to check the base year joins it).
            cap = self._sum(st.capacity)
            self._flows = {
                "replacement_rate": self._sum(st.capacity_replaced) / np.maximum(cap, TINY)
            }
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
        f["employment"] = sums["employment"] / 1e3
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
        f["subsidies_received"] = sums["subsidy_received"] * bn
        purchases = sums["machine_purchases"]
        zhejiang = sums["machine_purchases_zhejiang"]
        imported = sums["machine_purchases_imported"]
        f["machine_purchases"] = purchases * bn
        f["machine_purchases_outside_province"] = (purchases - zhejiang) * bn
        f["machine_purchases_imported"] = imported * bn
        f["machine_purchases_unproven"] = sums["machine_purchases_unproven"] * bn
        f["domestic_machine_share"] = (purchases - imported) / np.maximum(purchases, TINY)
        f["zhejiang_machine_share"] = zhejiang / np.maximum(purchases, TINY)

        def by_seg(x: np.ndarray) -> np.ndarray:
            ordered = np.take(x, self._buyer_order, axis=1)
            return np.add.reduceat(ordered, self._buyer_starts, axis=1, dtype=float) * bn

        seg_total = by_seg(st.machine_purchases)
        f["machine_purchases_by_segment"] = seg_total
        f["domestic_machine_share_by_segment"] = 1.0 - by_seg(
            st.machine_purchases_imported
        ) / np.maximum(seg_total, TINY)
        f["zhejiang_machine_share_by_segment"] = by_seg(st.machine_purchases_zhejiang) / np.maximum(
            seg_total, TINY
        )
        f["first_set_products_new"] = counts["first_set_recognised"] * scale
        f["n_firms_above_scale"] = counts["above_scale"] * scale
        for title, var in (
            ("specialised_new", "n_specialised_new"),
            ("little_giant", "n_little_giants"),
            ("single_champion", "n_single_champions"),
        ):
            f[var] = counts[f"{title}_held"] * scale
            f[f"{var}_new"] = counts[f"{title}_new"] * scale
        f["demand_shock"] = st.demand_shock.copy()
        f["cluster_output"] = np.add.reduceat(st.revenue, eng.layout.cluster_start, axis=1) * bn
        f["n_firms"] = counts["alive"] * scale
        self._instrument_flows()
        # Totals straight from the firm arrays (not from the sector sums), so the identity
        # "sectors add up to the total" is a real check.
        f["output_total"] = st.revenue.sum(axis=1) * bn
        # (Value added and employment: one running sum over all firms in the accounts rule.)
        f["value_added_total"] = st.value_added_total * bn
        f["employment_total"] = st.employment_total / 1e3
        f["rd_expenditure_total"] = (st.rd_reported * alive).sum(axis=1) * bn
        f["investment_total"] = st.flow_investment.sum(axis=1) * bn
        self._flows = f
        if self.record_firms and not eng.spinning_up:
            self._firm_row()

    def compare_with(self, activity_by_year: list[dict[str, CompactSlots]]) -> None:
        """Measure deadweight against the no-policy twin's activity, one entry per year.

        Each recorded year then sets ``deadweight`` (instrument -> (R,), bn yuan) from what
        each instrument paid each firm and that firm's activity with and without the policy.
        """
        self._without = activity_by_year

    def _instrument_flows(self) -> None:
        """Leakage, and deadweight or the activity kept for it, of each instrument."""
        eng, st = self.eng, self.eng.state
        bn = 1.0 / M_YUAN_PER_BN
        # Read now, while they are this year's: payments and the activity arrays are
        # replaced or overwritten from the next rule on.
        without = None if self._without is None else self._without[len(self.years)]
        outside = st.machine_purchases.astype(float) - st.machine_purchases_zhejiang
        self.leakage, self.deadweight = {}, {}
        if self.keep_activity:
            self.activity = {}
        for ins in eng.policy.all:
            # What the instrument paid each firm for, and how much of that behaviour there was.
            paid = ins.supported()
            self.leakage[ins.name] = (outside * (paid > 0)).sum(axis=1) * bn
            if without is not None:
                self.deadweight[ins.name] = deadweight_bn_yuan(
                    paid, ins.activity(eng), without[ins.name].dense()
                )
            if self.keep_activity:
                self.activity[ins.name] = CompactSlots(ins.activity(eng), copy=True)
            del paid

    def _firm_row(self) -> None:
        st = self.eng.state
        cap = np.maximum(st.capacity, TINY)
        row = {
            "alive": st.alive[0].copy(),
            "revenue": st.revenue[0] / M_YUAN_PER_BN * 1e3,  # m yuan
            "rd_intensity": np.where(
                st.revenue[0] > TINY, st.rd_reported[0] / np.maximum(st.revenue[0], TINY), 0.0
            ),
            "productivity": np.where(
                self.eng.layout.make_segment >= 0,
                st.model_productivity[0],
                st.process_productivity[0] * st.machine_productivity[0],
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
            self.firms.setdefault(k, []).append(v)

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
            "exits": self._sum(st.exits.astype(float)) * scale,
        }

    def adopt_spinup(self, other: Recorder) -> None:
        """Take the spin-up record of the model this one was forked from."""
        self.spinup_years = list(other.spinup_years)
        self.spinup_replacement = list(other.spinup_replacement)

    def record_spinup(self) -> None:
        """Keep the spin-up's replacement rate (to check the base year joins smoothly)."""
        self.spinup_years.append(self.eng.year)
        self.spinup_replacement.append(self._flows["replacement_rate"])

    def record_year(self) -> None:
        """Append this year's aggregates."""
        eng = self.eng
        self.years.append(eng.year)
        values = {**self._flows, **self._stocks()}
        for k in SECTOR_VARIABLES:
            self.sector[k].append(values[k])
        for k in self.totals:
            self.totals[k].append(values[k])
        for k in self.segment:
            self.segment[k].append(values[k])
        self.scalar["outside_machine_demand"].append(
            eng.state.outside_machine_demand / M_YUAN_PER_BN
        )
        self.scalar["relending_cost"].append(self.eng.policy.relending_cost / M_YUAN_PER_BN)
        self.cluster_output.append(values["cluster_output"])

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


__all__ = ["RegionModel", "SECTOR_VARIABLES", "INSTRUMENT_VARIABLES", "PAYERS"]
