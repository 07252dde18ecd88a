"""The engine: a batch of replicates' firm arrays and the helpers the yearly rules share.

Firms are rows of numpy arrays: every firm array has shape (R, N), R replicates side by side
and N firm slots; machine cohorts add a last axis of ages, (R, N, A); sector quantities are
(R, S). Money is in million yuan inside the engine; real quantities in base-year m yuan.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from model.config.params import Scenario
from model.config.units import TINY
from model.economy import streams
from model.economy.initial import BaseYear
from model.economy.layout import SlotLayout, widen
from model.economy.sectors import SectorParams, gathered_sums
from model.economy.state import State
from model.economy.streams import Draws

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from model.economy.hooks import PolicyHooks


class Engine(BaseYear):
    """Arrays and helpers shared by the yearly rules for a batch of replicates."""

    def __init__(
        self,
        scenario: Scenario,
        layout: SlotLayout,
        replicates: np.ndarray,
        policy: PolicyHooks,
        full_layout: SlotLayout | None = None,
    ) -> None:
        self.scenario = scenario
        self.region = scenario.region
        #: The slots the rules run on: part of ``full_layout`` in the spin-up (``expand``).
        self.layout = layout
        #: The layout of the simulated years (``build_layout``).
        self.full_layout = layout if full_layout is None else full_layout
        #: The full layout's slot traits (``initialise``), while the layout is a part of it.
        self.full_traits: dict[str, np.ndarray] | None = None
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
        segments = mt.segments
        self.outside_segment = np.array(
            [segments.index(o.segment) for o in outside], dtype=np.int64
        )
        import_model, other_model, p_import, p_other = [], [], [], []
        # The region file has one import and one other-province model per segment (checked
        # when it is loaded).
        for g in segments:
            imp = [i for i, o in enumerate(outside) if o.segment == g and o.origin == "import"]
            oth = [i for i, o in enumerate(outside) if o.segment == g and o.origin != "import"]
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
        self._derive_from_layout()
        self.year = self.first_year - 1
        self.state = State()
        #: The region's makers' mean model per segment (R, G), each spin-up year, and their
        #: trend growth measured from it at the rebase (see ``rebase``).
        self.maker_productivity_path: list[np.ndarray] = []
        #: The machine-tool sector's mean inverse process productivity (R,) each spin-up year.
        self.maker_cost_path: list[np.ndarray] = []
        self.maker_trend_growth = np.zeros((self.R, layout.n_segments))
        self.exo = SimpleNamespace()
        self._buffers: dict[tuple, np.ndarray] = {}
        #: Keep the recorded-only flows per firm as well as by sector (see ``flows``).
        self.keep_firm_flows = False

    def _derive_from_layout(self) -> None:
        """The engine's tables of the layout's slots (again after ``expand``)."""
        layout, mt = self.layout, self.region.machine_tools
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
        # Each slot's area (index, -1 if its cluster is spread over the region) and each
        # offered model's (outside models: -2, never a buyer's).
        areas = sorted({c.area for c in self.region.cluster if c.area})
        cluster_area = np.array(
            [areas.index(c.area) if c.area else -1 for c in self.region.cluster], dtype=np.int32
        )
        self.area_of_slot = cluster_area[layout.cluster_of]
        self.area_of_position = np.concatenate(
            [self.area_of_slot[self.makers], np.full(self.n_outside, -2, dtype=np.int32)]
        )

    def expand(self, to: SlotLayout | None = None) -> SlotLayout:
        """Move the firms into a larger part of the full layout, or into the full layout.

        Every per-slot array (the state and the rules' blocks, whose views the state's
        arrays stay) keeps its values at the slots' places in ``to`` (by default the full
        layout; ``SlotLayout.open_part``); the slots that open hold what a never-occupied
        slot holds: the slot's traits, zero elsewhere (what an exit leaves; a free slot's
        other values are never read, which a test checks). The policy's and the recorder's
        per-slot arrays are moved by their owners.

        Returns:
            The part of the layout the firms were in.
        """
        part = self.layout
        to = self.full_layout if to is None else to
        if to is part:
            return part
        N = part.n_slots
        st = self.state
        # The traits were made for every slot of the full layout and never change.
        traits = self.full_traits or {}
        for name, values in traits.items():
            setattr(st, name, values if to.is_full else np.take(values, to.slot_id, axis=1))
        # One array at a time, the old one let go before the next (the peak memory is the
        # new layout's arrays and one array of the part).
        for key in [k for k in self._buffers if k[3] == N]:
            block = self._buffers.pop(key)
            wide = self._buffers[(*key[:3], to.n_slots)] = widen(block, part, to, 2)
            for name, a in list(st.arrays()):
                if a.base is block:
                    # A row of the rule's block: the same row of the widened block.
                    offset = a.__array_interface__["data"][0] - block.__array_interface__["data"][0]
                    setattr(st, name, wide[offset // block.strides[0]])
            del block
        for name, a in list(st.arrays()):
            if name not in traits and a.ndim >= 2 and a.shape[1] == N:
                setattr(st, name, widen(a, part, to))
        if to.is_full:
            self.full_traits = None
        self.layout = to
        self._derive_from_layout()
        return part

    def open_slots(self, needed: np.ndarray) -> None:
        """Open more slots when a cluster needs more than its open ones (``needed``: (C,)).

        Then every cluster opens ``needed`` x (1 + ``market.open_slot_headroom``) slots, if
        that is more than it has (``open_to``): one opening (a copy of every per-slot array)
        serves the growth of many clusters. Nothing a rule draws depends on how many slots
        are open, so this changes no result, only the run time.
        """
        if not (needed > self.layout.cluster_size).any():
            return
        h = self.scenario.market.open_slot_headroom
        self.open_to(np.ceil(needed * (1.0 + h)).astype(np.int64))

    def open_to(self, size: np.ndarray) -> None:
        """Open each cluster's first ``size`` (C,) slots, where that is more than it has.

        At most all of a cluster's slots in the full layout, which alone caps entry. The
        firms, the rules' blocks and the instruments' per-slot arrays move into the larger
        part of the layout (``expand``, ``PolicyMix.expand``); nothing if no cluster grows.
        """
        lay = self.layout
        size = np.minimum(np.maximum(size, lay.cluster_size), self.full_layout.cluster_size)
        if (size == lay.cluster_size).all():
            return
        to = self.full_layout.open_part(size)
        part = self.expand(to)
        self.policy.expand(part, to)

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

    def outputs[T](self, bundle: type[T], dtype: type = np.float64) -> T:
        """A rule's per-firm results as a bundle of rows of one reused (K, R, N) block.

        The rule's compiled loop writes them by name; :meth:`publish` then makes them the
        state's arrays of those names.
        """
        return bundle(*self.buffers(bundle.__name__, len(bundle._fields), dtype))  # type: ignore[attr-defined]

    def publish(self, out: tuple) -> None:
        """Make a bundle of results the state's arrays of the same names."""
        for name, row in zip(out._fields, out, strict=True):  # type: ignore[attr-defined]
            setattr(self.state, name, row)

    def flows[T](self, bundle: type[T]) -> tuple[T, T]:
        """Where a rule sums its recorded-only flows: by sector, and per firm if kept.

        Flows that only the recorder reads (wages, taxes, net profit, ...) are summed by
        sector inside the rule's compiled loop, so no per-firm array holds them. Per firm
        they are kept only when ``keep_firm_flows`` is set (the rule-by-rule check against the
        reference compares them firm by firm); otherwise the per-firm rows have no slots.

        Returns:
            The bundle of (R, S) rows and the bundle of (R, N) or (R, 0) rows.
        """
        K, name = len(bundle._fields), bundle.__name__  # type: ignore[attr-defined]
        by_sector = self.buffers(f"{name}_by_sector", K, width=self.par.n_sectors)
        firm = self.buffers(f"{name}_by_firm", K, width=None if self.keep_firm_flows else 0)
        return bundle(*by_sector), bundle(*firm)

    def publish_flows(self, by_sector: tuple, firm: tuple) -> None:
        """Publish a rule's flows: ``sector_flows[name]`` (R, S), and per firm if kept."""
        st = self.state
        for name, row in zip(by_sector._fields, by_sector, strict=True):  # type: ignore[attr-defined]
            st.sector_flows[name] = row
        if self.keep_firm_flows:
            self.publish(firm)

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
            *(v for _, v in self.state.arrays()),
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
            shared = {id(a) for a in (*mine, *self.layout.arrays(), *self.full_layout.arrays())}
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
        return streams.stream_keys(self.scenario.seed, self.replicates, self.year, process)

    @property
    def first_year(self) -> int:
        """The first simulated year: the spin-up's first."""
        return self.scenario.start_year - self.scenario.spinup.years

    @property
    def policy_year(self) -> int:
        """The year whose policy settings apply: the base year's throughout the spin-up."""
        return self.region.base_year.year if self.spinning_up else self.year

    def draw(self, process: str) -> Draws:
        """The draws of a process for the current year."""
        return Draws(self.scenario.seed, self.replicates, self.year, process)

    # ------------------------------------------------------------ segment helpers

    def segment_sum(self, x: np.ndarray) -> np.ndarray:
        """Sum of a firm array over each machine-tool segment -> (R, G).

        Slot by slot in slot order (``sectors.gathered_sums``): the same whatever the free
        slots of the layout.
        """
        return gathered_sums(x, self.makers, self.segment_offset)

    def segment_sum_of_block(self, x: np.ndarray) -> np.ndarray:
        """``segment_sum`` of an array of the machine-tool block's slots only (R, M) -> (R, G).

        The same sums, in the same order, without per-slot work outside the block.
        """
        return gathered_sums(
            x, self.makers - self.layout.machine_tool_block.start, self.segment_offset
        )

    def _to_mt_slots(self, x_seg: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """Broadcast a (R, G) segment array to machine-tool slots; ``fill`` elsewhere."""
        lay = self.layout
        out = np.full((x_seg.shape[0], lay.n_slots), fill, dtype=np.result_type(x_seg, fill))
        mt = lay.machine_tool_slots  # contiguous block: write only there
        out[:, mt[0] : mt[-1] + 1] = x_seg[:, lay.make_segment[mt]]
        return out

    def segment_to_slots(self, x_seg: np.ndarray) -> np.ndarray:
        """Each machine-tool slot's value of its segment (R, G) -> (R, N); 0 elsewhere."""
        return self._to_mt_slots(x_seg)

    def segment_normalise(self, x: np.ndarray) -> np.ndarray:
        """Machine-tool firms' share of their segment's total of x (0 elsewhere)."""
        total = self._to_mt_slots(self.segment_sum(x), 1.0)
        return np.where(self.layout.make_segment >= 0, x / np.maximum(total, TINY), 0.0)

    def import_model(self) -> np.ndarray:
        """Productivity of each segment's import model (R, G)."""
        return self.state.outside_productivity[:, self.import_model_of_segment]

    def other_province_model(self) -> np.ndarray:
        """Productivity of each segment's other-province model (R, G)."""
        return self.state.outside_productivity[:, self.other_model_of_segment]

    # -------------------------------------------------------------- machine models

    def risk_multiplier_base(self, makers: np.ndarray | None = None) -> np.ndarray:
        """Buyers' price multiplier on each maker's model (R, N): 1 + risk premium if unproven.

        With ``makers`` (machine-tool slots), the multipliers of those slots only (R, M).
        """
        st = self.state
        premium = self.scenario.innovation.unproven_risk_premium
        if makers is not None:
            return 1.0 + premium * st.model_unproven[:, makers]
        mt = self.layout.machine_tool_block
        out = np.ones(st.alive.shape)
        out[:, mt] = 1.0 + premium * st.model_unproven[:, mt]
        return out

    def model_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Productivity, list price and risk-adjusted price of every offered model (R, M + O).

        By model position: the segments' makers (``makers``), then the outside models
        (``position_of_column`` maps a buyer's chosen column to it). Prices are per unit of
        machine-tool input.
        """
        st, makers = self.state, self.makers
        price_in_region = st.price[:, makers] * self.segment_price_index_of_maker
        risk = self.policy.risk_multiplier(self, self.risk_multiplier_base())
        risk_in_region = price_in_region * risk[:, makers]
        productivity = np.concatenate(
            [st.model_productivity[:, makers], st.outside_productivity], axis=1
        )
        price = np.concatenate([price_in_region, st.outside_price], axis=1)
        risk = np.concatenate([risk_in_region, st.outside_price], axis=1)
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

    # ---------------------------------------------------------- exogenous paths

    def _init_exogenous(self) -> None:
        exo, par = self.exo, self.par
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
        # A listed machine-tool firm deducts the larger of its list's and the general rate.
        exo.listed_super_deduction = max(
            sc.tax.listed_rd_super_deduction.at(year), exo.super_deduction
        )
        exo.listed_vat_credit = sc.tax.listed_vat_credit.at(year)
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
        exo.wage_per_worker_m_yuan *= 1.0 + g_wage
        exo.other_equipment_price *= 1.0 + g_equip
        exo.other_equipment_productivity *= 1.0 + sc.innovation.other_equipment_productivity_growth
        st.k1 = st.k1 * (1.0 + g_wage)
        st.k2 = st.k2 * (1.0 + g_ppi)
        gap = np.array(
            [o.productivity_growth_gap for o in self.region.machine_tools.outside_models]
        )
        # The outside makers keep the pace the region's makers kept in the spin-up (each year
        # of which re-anchors them), plus their own gap.
        trend = 0.0 if self.spinning_up else self.maker_trend_growth[:, self.outside_segment]
        st.outside_productivity = st.outside_productivity * (1.0 + trend + gap)
        if not self.spinning_up:
            # Outside makers pay the same wages and materials prices, and their processes
            # improve at the region's makers' spin-up pace.
            self.years_since_base += 1
            cost = self.outside_unit_cost() / self.outside_cost_base
            st.outside_price = self.outside_price_base * cost[:, None]
        mt, path = self.region.machine_tools, sc.demand.outside_machine_path
        if self.spinning_up:
            exo.national_demand_growth = exo.export_demand_growth = (
                sc.spinup.outside_machine_demand_growth
            )
        else:
            exo.national_demand_growth = mt.national_demand_growth[path].at(year)
            exo.export_demand_growth = mt.export_demand_growth[path].at(year)
        self.tax_base_rates()
