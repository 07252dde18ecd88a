"""The engine's state: firm arrays, sector parameters, exogenous paths and random streams."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from model import _kernels as kernels
from model import _random
from model._layout import PROCESSES, Layout
from model.params import SEGMENTS, Scenario

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from model.instruments import PolicyMix

TINY = 1e-12
M_YUAN_PER_BN = 1e3


@dataclass(frozen=True)
class SectorParams:
    """Per-sector parameter vectors (S,) derived from the region file."""

    n_sectors: int
    theta: np.ndarray  # machine-tool share of equipment spending
    kappa: np.ndarray  # equipment per unit of yearly capacity
    markup: np.ndarray
    k1_base: np.ndarray  # machine-sensitive unit cost at productivity 1, base prices
    k2_base: np.ndarray  # other unit cost (materials), base prices
    labour_of_k1: np.ndarray  # wage share of the machine-sensitive cost
    rd_intensity: np.ndarray
    rd_dispersion: np.ndarray
    basic_share: np.ndarray
    high_tech_share: np.ndarray
    demand_growth_real: np.ndarray
    demand_shock_sd: np.ndarray
    pareto: np.ndarray
    output_base_m_yuan: np.ndarray
    rd_scale: np.ndarray  # base-year mean revenue per firm: scale of R&D in innovation draws

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> SectorParams:
        """Derive cost structure and scales from the region's sector table."""
        sectors = scenario.region.sector
        arr = lambda name: np.array([getattr(s, name) for s in sectors], dtype=float)  # noqa: E731
        va, labour, phi = (
            arr("value_added_share"),
            arr("labour_share"),
            arr("machine_sensitive_cost_share"),
        )
        margin = va - labour
        unit_cost = 1.0 - margin
        k1 = phi * unit_cost
        n_firms = arr("n_firms") * scenario.market.firm_scale
        output = arr("output_base_bn_yuan") * M_YUAN_PER_BN
        return cls(
            n_sectors=len(sectors),
            theta=arr("machine_tool_capex_share"),
            kappa=arr("capital_output_ratio"),
            markup=margin / (1.0 - margin),
            k1_base=k1,
            k2_base=unit_cost - k1,
            labour_of_k1=labour / k1,
            rd_intensity=arr("rd_intensity_real"),
            rd_dispersion=arr("rd_intensity_dispersion"),
            basic_share=arr("basic_research_share"),
            high_tech_share=arr("high_tech_share"),
            demand_growth_real=arr("demand_growth_real"),
            demand_shock_sd=arr("demand_shock_sd"),
            pareto=arr("size_pareto_exponent"),
            output_base_m_yuan=output,
            rd_scale=output / np.maximum(n_firms, 1.0),
        )


class Draws:
    """Fixed-shape draws of one process in one year, stacked over replicates.

    Each replicate has its own generator keyed by (root seed, replicate, year, process), so a
    replicate's numbers do not depend on which other replicates share its batch, and a
    process's numbers do not depend on any other process or on the model's state.
    """

    def __init__(self, seed: int, replicates: np.ndarray, year: int, process: str) -> None:
        pid = PROCESSES.index(process)
        self._gens = [
            np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(r), year, pid)))
            for r in replicates
        ]

    def _stack(self, method: str, shape: tuple[int, ...], *args: float) -> np.ndarray:
        return np.stack([getattr(g, method)(*args, size=shape[1:]) for g in self._gens])

    def random(self, shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
        """Uniform [0, 1) draws of the given shape (first axis: replicate)."""
        return np.stack([g.random(size=shape[1:], dtype=dtype) for g in self._gens])

    def standard_normal(self, shape: tuple[int, ...]) -> np.ndarray:
        """Standard normal draws (first axis: replicate)."""
        return self._stack("standard_normal", shape)

    def beta(self, a: float, b: float, size: tuple[int, ...]) -> np.ndarray:
        """Beta(a, b) draws (first axis: replicate)."""
        return self._stack("beta", size, a, b)


#: Per-firm nominal and real quantities that ``Engine.rescale_to_base`` scales.
RESCALED = (
    "revenue",
    "revenue_prev",
    "revenue_prev2",
    "output_real",
    "output_real_prev",
    "output_expected",
    "cash",
    "debt",
    "rd_real",
    "rd_reported",
    "rd_reported_prev",
    "basic_research",
    "capacity",
    "orders_inside",
    "sales_outside",
    "machine_purchases",
    "machine_purchases_zhejiang",
    "capacity_replaced",
)


class Engine:
    """Arrays and helpers shared by the yearly rules for a batch of replicates."""

    def __init__(
        self, scenario: Scenario, layout: Layout, replicates: np.ndarray, policy: PolicyMix
    ) -> None:
        self.scenario = scenario
        self.region = scenario.region
        self.layout = layout
        self.replicates = np.asarray(replicates, dtype=np.int64)
        self.R = len(self.replicates)
        # At firm_scale < 1 each simulated firm stands for this many identical real firms;
        # money stays full-size, so per-firm thresholds compare value / firm_weight.
        self.firm_weight = 1.0 / layout.firm_scale
        self.par = SectorParams.from_scenario(scenario)
        self.policy = policy
        self.spinning_up = True
        mt = self.region.machine_tools
        outside = mt.outside_models
        self.n_outside = len(outside)
        self.outside_origin = np.array(
            [0 if o.origin == "import" else 1 for o in outside], dtype=np.int64
        )
        self.outside_segment = np.array(
            [SEGMENTS.index(o.segment) for o in outside], dtype=np.int64
        )
        import_model, other_model, p_import, p_other = [], [], [], []
        for g in range(len(SEGMENTS)):
            imp = [
                i
                for i, o in enumerate(outside)
                if o.segment == SEGMENTS[g] and o.origin == "import"
            ]
            oth = [
                i
                for i, o in enumerate(outside)
                if o.segment == SEGMENTS[g] and o.origin != "import"
            ]
            if len(imp) != 1 or len(oth) != 1:
                raise ValueError(
                    "region needs one import and one other-province model for segment "
                    f"{SEGMENTS[g]}"
                )
            import_model.append(imp[0])
            other_model.append(oth[0])
            p_import.append(outside[imp[0]].brochure_probability)
            p_other.append(outside[oth[0]].brochure_probability)
        #: Per segment: the outside model (index) each brochure offer may show, and with what
        #: probability.
        self.import_model_of_segment = np.array(import_model, dtype=np.int64)
        self.other_model_of_segment = np.array(other_model, dtype=np.int64)
        self.import_brochure_probability = np.array(p_import)
        self.other_brochure_probability = np.array(p_other)
        # Models on offer by position: the segments' makers, then the outside models.
        N = layout.n_slots
        self.makers = np.concatenate(layout.segment_slots)
        self.segment_offset = np.cumsum([0] + [len(s) for s in layout.segment_slots])
        self.column_of_position = np.concatenate([self.makers, N + np.arange(self.n_outside)])
        self.position_of_column = np.full(N + self.n_outside, -1, dtype=np.int32)
        self.position_of_column[self.column_of_position] = np.arange(len(self.column_of_position))
        self.model_is_import = np.zeros(N + self.n_outside, dtype=bool)
        self.model_is_import[N:] = self.outside_origin == 0
        #: Per segment: the price index of its models and the price of one set (m yuan).
        self.segment_price_index = np.asarray(mt.segment_price_index, dtype=float)
        self.set_price_m_yuan = np.asarray(mt.set_price_m_yuan, dtype=float)
        self.segment_price_index_of_maker = self.segment_price_index[
            layout.make_segment[self.makers]
        ]
        self.year = scenario.start_year - scenario.spinup.years - 1
        self.state = SimpleNamespace()
        self.exo = SimpleNamespace()
        self._buffers: dict[tuple, np.ndarray] = {}
        #: Keep the recorded-only flows per firm as well as by sector (see ``flow_blocks``).
        self.keep_firm_flows = False

    # ------------------------------------------------------- buffers and flow blocks

    def buffers(
        self, name: str, rows: int, dtype: type = np.float64, *, width: int | None = None
    ) -> np.ndarray:
        """A (rows, R, N) block the rule ``name`` writes its per-firm results into.

        Allocated once and reused every year, so a rule's outputs cost no new memory. The
        state's arrays for those results are views of the block's rows. ``width`` replaces N
        for a block of another kind (per sector, say).
        """
        width = self.layout.n_slots if width is None else width
        key = (name, rows, np.dtype(dtype).str, width)
        block = self._buffers.get(key)
        if block is None:
            block = np.zeros((rows, self.R, width), dtype=dtype)
            self._buffers[key] = block
        return block

    def flow_blocks(self, rule: str, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Blocks a rule sums its recorded-only flows into: by sector, and per firm if kept.

        Flows that only the recorder reads (wages, taxes, net profit, ...) are summed by
        sector inside the rule's compiled loop, so no per-firm array holds them. Per firm
        they are kept only when ``keep_firm_flows`` is set (the rule-by-rule check against the
        reference compares them firm by firm); otherwise the per-firm block has no slots.

        Returns:
            The (K, R, S) sector block and the (K, R, N) or (K, R, 0) per-firm block.
        """
        K = len(names)
        by_sector = self.buffers(f"{rule}_by_sector", K, width=self.par.n_sectors)
        firm = self.buffers(f"{rule}_firm_flows", K, width=None if self.keep_firm_flows else 0)
        return by_sector, firm

    def publish_flows(
        self, names: tuple[str, ...], by_sector: np.ndarray, firm: np.ndarray
    ) -> None:
        """Publish a rule's flow blocks: ``sector_flows[name]`` (R, S), and per firm if kept."""
        st = self.state
        for i, name in enumerate(names):
            st.sector_flows[name] = by_sector[i]
            if self.keep_firm_flows:
                setattr(st, name, firm[i])

    def names_by_dtype(self, names: Iterable[str]) -> list[list[str]]:
        """The named state arrays in groups of one type, in order of first appearance.

        A compiled loop over a tuple of arrays takes arrays of one type (flags, single- and
        double-precision values), so a loop over mixed arrays runs once per group.
        """
        groups: dict[np.dtype, list[str]] = {}
        for name in names:
            groups.setdefault(getattr(self.state, name).dtype, []).append(name)
        return list(groups.values())

    # ------------------------------------------------------------------------ forks

    def _fork_arrays(self) -> Iterator[np.ndarray]:
        """The per-firm and per-sector arrays a fork copies: the state and the rules' blocks."""
        seen: set[int] = set()
        for a in (
            *(v for v in vars(self.state).values() if isinstance(v, np.ndarray)),
            *self.state.sector_flows.values(),
            *self._buffers.values(),
        ):
            if id(a) not in seen:
                seen.add(id(a))
                yield a

    def fork_copy(self, memo: dict[int, object], recycle: Engine | None = None) -> Engine:
        """A deep copy of this engine, into the memory of a retired engine if one is given.

        Copying into memory the process already holds avoids the page faults of fresh
        memory, which cost more than the copy itself (on some virtual machines many times
        more). Views of the rules' blocks stay views of the copied blocks, as in the original.

        Args:
            memo: ``copy.deepcopy``'s memo, with the objects the copy shares (not copies).
            recycle: An engine no longer used (a finished fork of the same model): its
                arrays of matching shape and type receive the copy. It must not be used
                afterwards.
        """
        mine = list(self._fork_arrays())
        spare: dict[tuple, list[np.ndarray]] = {}
        if recycle is not None:
            # Only the retired engine's own arrays: not one this engine or the layout holds.
            shared = {id(a) for a in (*mine, *self.layout.arrays())}
            for a in recycle._fork_arrays():
                if a.base is None and a.flags.writeable and id(a) not in shared:
                    spare.setdefault((a.shape, a.dtype.str), []).append(a)
        views = []
        for a in mine:
            if a.base is not None:
                views.append(a)
                continue
            free = spare.get((a.shape, a.dtype.str))
            twin = free.pop() if free else np.empty_like(a)
            np.copyto(twin, a)
            memo[id(a)] = twin
        for v in views:
            root = memo.get(id(v.base))
            if isinstance(root, np.ndarray) and root.flags.c_contiguous:
                offset = v.__array_interface__["data"][0] - v.base.__array_interface__["data"][0]
                twin = np.ndarray(v.shape, v.dtype, buffer=root, offset=offset, strides=v.strides)
                twin.flags.writeable = v.flags.writeable
                memo[id(v)] = twin
        # Whatever is left (small arrays, views of other arrays) is copied as usual.
        return copy.deepcopy(self, memo)

    # ------------------------------------------------------------------ randomness

    def stream_keys(self, process: str) -> np.ndarray:
        """Keys of this year's counter-based streams of a process, one per replicate (R,)."""
        return _random.stream_keys(self.scenario.seed, self.replicates, self.year, process)

    def draw(self, process: str) -> Draws:
        """The draws of a process for the current year."""
        return Draws(self.scenario.seed, self.replicates, self.year, process)

    # ------------------------------------------------------------ segment helpers

    def _segment_reduce(self, x: np.ndarray, fn) -> np.ndarray:
        # np.take keeps rows contiguous; x[:, slots] would be column-major for R > 1, and numpy
        # then sums in another order: results must not depend on how many replicates share a batch.
        return np.stack(
            [fn(np.take(x, slots, axis=1)) for slots in self.layout.segment_slots], axis=1
        )

    def segment_sum(self, x: np.ndarray) -> np.ndarray:
        """Sum of a firm array over each machine-tool segment -> (R, G)."""
        return self._segment_reduce(x, lambda v: v.sum(axis=1))

    def _to_mt_slots(self, x_seg: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """Broadcast a (R, G) segment array to machine-tool slots; ``fill`` elsewhere."""
        lay = self.layout
        out = np.full((x_seg.shape[0], lay.n_slots), fill, dtype=np.result_type(x_seg, fill))
        mt = lay.machine_tool_slots  # contiguous block: write only there
        out[:, mt[0] : mt[-1] + 1] = x_seg[:, lay.make_segment[mt]]
        return out

    def segment_normalise(self, x: np.ndarray) -> np.ndarray:
        """Machine-tool firms' share of their segment's total of x (0 elsewhere)."""
        total = self._to_mt_slots(self.segment_sum(x), 1.0)
        return np.where(self.layout.make_segment >= 0, x / np.maximum(total, TINY), 0.0)

    def other_province_model(self) -> np.ndarray:
        """Productivity of each segment's other-province model (R, G)."""
        return self.state.outside_productivity[:, self.other_model_of_segment]

    # -------------------------------------------------------------- machine models

    def model_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Productivity, list price and risk-adjusted price of every offered model (R, M + O).

        By model position: the segments' makers (``makers``), then the outside models
        (``position_of_column`` maps a buyer's chosen column to it). Prices are per unit of
        machine-tool input.
        """
        st, makers = self.state, self.makers
        price_zj = st.price[:, makers] * self.segment_price_index_of_maker
        risk_zj = price_zj * self.policy.insurance_cover(self)[:, makers]
        productivity = np.concatenate(
            [st.model_productivity[:, makers], st.outside_productivity], axis=1
        )
        price = np.concatenate([price_zj, st.outside_price], axis=1)
        risk = np.concatenate([risk_zj, st.outside_price], axis=1)
        return productivity, price, risk

    # --------------------------------------------------------------- investment

    def cohort_ages(self) -> np.ndarray:
        """Age in years of the cohort in each ring slot (the newest is 0)."""
        A = self.scenario.investment.technical_life_years
        return (self.cohort_head - np.arange(A)) % A

    @property
    def cost_ring_years(self) -> int:
        """Length of the ring of cohort costs: the tax life, at most the technical life.

        A cohort past its tax life has no book value left, so its cost is never read again.
        """
        inv = self.scenario.investment
        return min(inv.tax_depreciation_years, inv.technical_life_years)

    def cost_slot_of_ring(self) -> np.ndarray:
        """For each slot of the capacity ring, its cohort's slot in the cost ring, or -1.

        The cost ring turns with the capacity ring (its head is the year mod its length), so
        the cohort of age a sits at (head - a) mod length while a < length.
        """
        C = self.cost_ring_years
        ages = self.cohort_ages()
        return np.where(ages < C, (self.cohort_years - ages) % C, -1).astype(np.int64)

    # ------------------------------------------------------------ initial state

    def initialise(self) -> None:
        """Firms at the start of the spin-up: Pareto sizes, vintage stocks, R&D habits.

        The spin-up then runs long enough for these guesses to be forgotten; only the
        base-year aggregates they are rescaled to matter (see ``rebase``).
        """
        sc, lay, par, mt = self.scenario, self.layout, self.par, self.region.machine_tools
        R, N, S = self.R, lay.n_slots, par.n_sectors
        d = self.draw("init")
        u_size = d.random((R, N))
        z_prod = d.standard_normal((R, N))
        z_rd = d.standard_normal((R, N))
        u_basic = d.random((R, N))
        u_high_tech = d.random((R, N))
        z_model = d.standard_normal((R, N))
        z_payback = d.standard_normal((R, N))
        st = self.state
        self._init_exogenous()
        st.alive = np.broadcast_to(lay.initial_alive, (R, N)).copy()
        # Firm-specific payback period; kept by the slot's later occupants (a trait of the
        # slot's draw, so it costs no state-dependent randomness).
        sd = sc.investment.payback_dispersion
        # Traits drawn once per firm (or slot) are kept in single precision: they are draws,
        # and halving them saves memory at a million firms.
        trait = np.float32
        st.payback_years = (
            sc.investment.payback_years * np.exp(sd * z_payback - 0.5 * sd**2)
        ).astype(trait)
        alpha = par.pareto[lay.sector_of]
        size = np.where(st.alive, (1.0 - u_size) ** (-1.0 / alpha), 0.0)
        size = np.minimum(size, 1e4)  # cap the Pareto tail at 10,000x the minimum firm
        from model._rules import sector_sum, to_firms

        share = size / to_firms(self, sector_sum(self, size))
        is_mt = lay.make_segment >= 0
        st.market_share = np.where(is_mt, 0.0, share)
        st.outside_share = np.where(is_mt, share, 0.0)
        st.mt_segment_share = self.segment_normalise(np.where(is_mt, share, 0.0))
        st.demand_real = np.broadcast_to(par.output_base_m_yuan, (R, S)).copy()
        st.demand_real[:, lay.mt_sector] = 0.0
        st.demand_real_prev = st.demand_real.copy()
        st.demand_expected = st.demand_real.copy()
        st.demand_shock = np.zeros((R, S))
        st.price_index = np.ones((R, S))
        st.price_index_prev = np.ones((R, S))
        revenue = share * par.output_base_m_yuan[lay.sector_of]
        st.revenue = revenue
        st.revenue_prev = revenue.copy()
        st.revenue_prev2 = revenue.copy()
        st.output_real = revenue.copy()
        st.output_real_prev = revenue.copy()
        st.output_expected = revenue.copy()
        st.outside_machine_demand = np.full(
            R, mt.outside_sales_share_base * par.output_base_m_yuan[lay.mt_sector]
        )

        st.process_productivity = np.exp(0.1 * z_prod)
        seg = np.maximum(lay.make_segment, 0)
        seg_prod = np.asarray(mt.segment_productivity_index)[seg]
        st.model_productivity = np.where(is_mt, seg_prod * np.exp(0.05 * z_model), 0.0)
        st.model_unproven = np.zeros((R, N), dtype=bool)
        st.model_first_set = np.zeros((R, N), dtype=bool)
        st.model_first_set_level = np.zeros((R, N), dtype=np.int8)  # 1 provincial, 2 national
        st.model_recognised = np.zeros((R, N), dtype=bool)
        st.model_sets_sold = np.full((R, N), 1e9)
        st.model_vintage = np.full((R, N), self.year, dtype=np.int32)
        # Machine cohorts sit in a ring of A slots (no copying as they age); the slot at
        # ``cohort_head`` holds the newest cohort. Start with a growing, uniform-vintage stock.
        self.cohort_years = 0  # turns of the rings so far
        self.cohort_head = 0
        ages = self.cohort_ages()
        age_weight = 1.05 ** (-ages.astype(float))
        age_weight /= age_weight.sum()
        capacity = revenue / sc.investment.target_utilisation
        cohort = np.float32  # per-cohort arrays dominate memory; single precision suffices
        st.cohort_capacity = (capacity[:, :, None] * age_weight).astype(cohort)
        # Vintages 2% a year apart below what the firm would buy new (its segment's models),
        # so the first spin-up year does not scrap a stock that is obsolete by construction.
        theta = par.theta[lay.sector_of]
        seg_index = np.asarray(mt.segment_productivity_index)[lay.buy_segment]
        frontier = seg_index**theta
        st.cohort_inverse_productivity = (
            (1.02 ** ages.astype(float))[None, None, :]
            / np.broadcast_to(frontier, (R, N))[:, :, None]
        ).astype(cohort)
        capital_price = par.kappa[lay.sector_of]
        cost_slot = self.cost_slot_of_ring()
        kept = np.flatnonzero(cost_slot >= 0)
        st.cohort_cost = np.zeros((R, N, self.cost_ring_years), dtype=cohort)
        st.cohort_cost[:, :, cost_slot[kept]] = (
            st.cohort_capacity[:, :, kept] * capital_price[:, None]
        ).astype(cohort)
        st.capacity = st.cohort_capacity.sum(axis=2, dtype=float)
        weighted = np.einsum(
            "rna,rna->rn", st.cohort_capacity, st.cohort_inverse_productivity, dtype=float
        )
        st.machine_productivity = np.where(
            weighted > TINY, st.capacity / np.maximum(weighted, TINY), 1.0
        )
        # A sound start (positive net worth); the spin-up then sets the balance sheets.
        st.cash = 0.2 * revenue
        st.debt = 0.1 * revenue
        sigma = par.rd_dispersion[lay.sector_of]
        st.rd_intensity_fe = (
            par.rd_intensity[lay.sector_of] * np.exp(sigma * z_rd - 0.5 * sigma**2)
        ).astype(trait)
        b = np.clip(par.basic_share[lay.sector_of], 1e-4, 1 - 1e-4)
        from scipy.special import betaincinv

        st.basic_research_share = betaincinv(4.0 * b, 4.0 * (1.0 - b), u_basic).astype(trait)
        st.high_tech = st.alive & (u_high_tech < par.high_tech_share[lay.sector_of])
        st.rd_real = st.rd_intensity_fe * revenue
        st.rd_reported = st.rd_real.copy()
        st.rd_reported_prev = st.rd_real.copy()
        # Only the innovation draws read past R&D: single precision is plenty.
        st.rd_real_history = np.repeat(
            st.rd_real[:, :, None].astype(np.float32), sc.innovation.rd_lag_years, axis=2
        )
        st.basic_research = st.rd_real * st.basic_research_share
        st.unfilled = np.zeros((R, N))
        st.orders_inside = np.where(is_mt, (1 - mt.outside_sales_share_base) * revenue, 0.0)
        st.subsidy_received = np.zeros((R, N))
        st.sector_flows = {}  # recorded-only flows by sector, (R, S) each (``flow_blocks``)
        # Flags the rules update in place each year.
        st.innovated = np.zeros((R, N), dtype=bool)
        st.first_set_recognised = np.zeros((R, N), dtype=bool)
        st.above_scale = np.zeros((R, N), dtype=bool)
        for name in ("specialised_new", "little_giant", "single_champion"):
            setattr(st, f"{name}_last_met", np.full((R, N), -9999, dtype=np.int32))
            setattr(st, f"{name}_held", np.zeros((R, N), dtype=bool))
            setattr(st, f"{name}_new", np.zeros((R, N), dtype=bool))
        from model._rules import to_firms as _tf

        unit_cost = _tf(self, st.k1) / (st.process_productivity * st.machine_productivity) + _tf(
            self, st.k2
        )
        st.price = (1.0 + par.markup[lay.sector_of]) * unit_cost
        # Outside models, anchored to Zhejiang's segment means.
        self._anchor_outside_models()
        self.tax_base_rates()
        tau = np.where(st.high_tech, self.exo.high_tech_rate, self.exo.cit_rate)
        st.rd_user_cost_base = (1.0 - tau * (1.0 + self.exo.super_deduction)).astype(trait)
        self.policy.initialise(self)

    def _anchor_outside_models(self) -> None:
        """Set outside models at their premiums over Zhejiang's segment means (sales-weighted)."""
        st, mt = self.state, self.region.machine_tools
        is_mt = self.layout.make_segment >= 0
        w = np.where(st.alive & is_mt, np.maximum(st.revenue, TINY), 0.0)
        mean_a = self.segment_sum(w * st.model_productivity) / np.maximum(self.segment_sum(w), TINY)
        index = self.segment_price_index[np.maximum(self.layout.make_segment, 0)]
        price_zj = getattr(st, "price", np.ones_like(st.revenue)) * index
        mean_p = self.segment_sum(w * price_zj) / np.maximum(self.segment_sum(w), TINY)
        prem_a = np.array([o.productivity_premium for o in mt.outside_models])
        prem_p = np.array([o.price_premium for o in mt.outside_models])
        st.outside_productivity = mean_a[:, self.outside_segment] * (1.0 + prem_a)
        st.outside_price = mean_p[:, self.outside_segment] * (1.0 + prem_p)

    # ---------------------------------------------------------- exogenous paths

    def _init_exogenous(self) -> None:
        exo, par = self.exo, self.par
        exo.wage_index = 1.0
        exo.producer_price = 1.0
        exo.other_equipment_price = 1.0
        exo.other_equipment_productivity = 1.0
        exo.wage_per_worker_m_yuan = 0.085  # replaced at the base year from employment
        self.state.k1 = np.broadcast_to(par.k1_base, (self.R, par.n_sectors)).copy()
        self.state.k2 = np.broadcast_to(par.k2_base, (self.R, par.n_sectors)).copy()

    def tax_base_rates(self) -> None:
        """Tax parameters of the year (the base year's during the spin-up)."""
        sc, exo = self.scenario, self.exo
        year = sc.region.base_year.year if self.spinning_up else self.year
        exo.cit_rate = sc.tax.corporate_income_tax.at(year)
        exo.high_tech_rate = sc.tax.high_tech_rate.at(year)
        exo.super_deduction = sc.tax.rd_super_deduction.at(year)
        exo.vat_rate = sc.tax.vat_rate.at(year)
        exo.lpr = sc.prices.loan_prime_rate.at(year)
        exo.loan_rate = exo.lpr + sc.investment.loan_spread

    def advance_exogenous(self) -> None:
        """Move prices, wages, the equipment frontier and outside models to the new year.

        During the spin-up the first simulated year's growth rates hold throughout, so the
        economy arrives at the base year on the path it then continues.
        """
        sc, exo, st = self.scenario, self.exo, self.state
        year = self.year
        if self.spinning_up:
            g_wage = sc.spinup.wage_growth
            g_ppi = sc.spinup.producer_price_growth
            g_equip = 0.0
        else:
            g_wage = sc.prices.wage_growth.at(year)
            g_ppi = sc.prices.producer_price_growth.at(year)
            g_equip = sc.prices.other_equipment_price_growth.at(year)
        exo.wage_index *= 1.0 + g_wage
        exo.wage_per_worker_m_yuan *= 1.0 + g_wage
        exo.producer_price *= 1.0 + g_ppi
        exo.other_equipment_price *= 1.0 + g_equip
        exo.other_equipment_productivity *= 1.0 + sc.innovation.other_equipment_productivity_growth
        st.k1 = st.k1 * (1.0 + g_wage)
        st.k2 = st.k2 * (1.0 + g_ppi)
        growth = np.array([o.productivity_growth for o in self.region.machine_tools.outside_models])
        st.outside_productivity = st.outside_productivity * (1.0 + growth)
        st.outside_price = st.outside_price * (1.0 + g_equip)
        path = self.region.machine_tools.outside_demand_growth[sc.demand.outside_machine_path]
        exo.outside_demand_growth = (
            sc.spinup.outside_machine_demand_growth if self.spinning_up else path.at(year)
        )
        self.tax_base_rates()

    # ------------------------------------------------------------------ rebase

    def rescale_to_base(self) -> np.ndarray:
        """Scale every nominal and real quantity of each sector so its output is the base year's.

        All quantities are homogeneous of degree one in scale, so this is a change of units:
        shares, productivities, prices, growth rates and the vintage structure are kept. The
        spin-up calls it every year so that size thresholds (20 m yuan above-scale, the title
        rules, 10 m yuan of basic research) always mean base-year money.

        Returns:
            The scale factor applied to each sector (R, S).
        """
        from model._rules import sector_sum

        st, lay, par = self.state, self.layout, self.par
        revenue_s = sector_sum(self, st.revenue)
        if (revenue_s <= 1e-6 * par.output_base_m_yuan).any():
            raise FloatingPointError(
                "a sector's output collapsed to zero; check the scenario's parameters"
            )
        factor = par.output_base_m_yuan / revenue_s  # (R, S)
        # Every state array is owned by the state alone: scale in place.
        for names in self.names_by_dtype(RESCALED):
            arrays = tuple(getattr(st, name) for name in names)
            kernels.scale_firms(factor, lay.sector_start, lay.sector_size, arrays)
        kernels.scale_firm_stacks(
            factor,
            lay.sector_start,
            lay.sector_size,
            (st.cohort_capacity, st.cohort_cost, st.rd_real_history),
        )
        for name in ("demand_real", "demand_real_prev", "demand_expected"):
            setattr(st, name, getattr(st, name) * factor)
        st.outside_machine_demand = st.outside_machine_demand * factor[:, lay.mt_sector]
        return factor

    def renormalise_costs(self) -> None:
        """Put each sector's base-year cost structure back on the region file's shares.

        Over the spin-up, wages (indexed to the wage path) and productivity drift apart, so
        the value-added and wage shares would no longer be the region file's. Rescaling the
        machine-sensitive cost k1 by the sector's output-weighted 1/(pi e) restores them
        (and a base-year price of about 1) without touching any firm's relative position.
        """
        from model._rules import sector_sum, to_firms

        st, par = self.state, self.par
        inverse = 1.0 / np.maximum(st.process_productivity * st.machine_productivity, TINY)
        weight = np.where(st.alive, st.output_real, 0.0)
        mean_inverse = sector_sum(self, weight * inverse) / np.maximum(
            sector_sum(self, weight), TINY
        )
        st.k1 = np.broadcast_to(par.k1_base, st.k1.shape) / np.maximum(mean_inverse, TINY)
        st.k2 = np.broadcast_to(par.k2_base, st.k2.shape).copy()
        unit_cost = to_firms(self, st.k1) * inverse + to_firms(self, st.k2)
        st.price = (1.0 + to_firms(self, par.markup)) * unit_cost
        is_user = self.layout.make_segment < 0
        st.revenue = np.where(is_user & st.alive, st.output_real * st.price, st.revenue)
        w = np.where(st.alive, np.where(is_user, st.market_share, st.revenue), 0.0)
        st.price_index = sector_sum(self, w * st.price) / np.maximum(sector_sum(self, w), TINY)

    def wages_m_yuan(self) -> np.ndarray:
        """Each firm's wage bill (R, N): the labour part of its machine-sensitive cost."""
        from model._rules import to_firms

        st, par = self.state, self.par
        inverse = 1.0 / np.maximum(st.process_productivity * st.machine_productivity, TINY)
        machine_cost = to_firms(self, st.k1) * inverse * st.output_real
        return to_firms(self, par.labour_of_k1) * machine_cost

    def rebase(self) -> None:
        """Set the spun-up economy on the base year of the region file.

        Sector outputs are rescaled to the base-year outputs. Outside machine demand becomes
        the residual of base machine-tool output over inside sales, the wage per worker is set
        so that employment matches the base year, and prices are indexed to the base year.
        """
        st, lay, par = self.state, self.layout, self.par
        self.renormalise_costs()
        self.rescale_to_base()
        # Inside purchases from Zhejiang machine-tool firms, as their buyers recorded them (the
        # machine-tool firms' own order books follow); outside demand is the residual.
        mt = lay.mt_sector
        inside = st.machine_purchases_zhejiang.sum(axis=1, dtype=float)
        booked = np.maximum(st.orders_inside.sum(axis=1), TINY)
        st.orders_inside = st.orders_inside * (inside / booked)[:, None]
        st.outside_machine_demand = np.maximum(par.output_base_m_yuan[mt] - inside, 0.0)
        wages = self.wages_m_yuan().sum(axis=1)
        employment = self.region.base_year.employment_m * 1e6
        self.exo.wage_per_worker_m_yuan = (wages / employment)[:, None]
        self.price_base = st.price_index.copy()
        self._anchor_outside_models()
        self.spinning_up = False
