"""Static layout of firm slots: which sector, cluster, segment and ownership each slot has.

Slots are sorted by sector, then cluster, so a sector is a contiguous block (sums by block,
``sectors.block_sums``) and so is a cluster. The layout does not depend on the replicate: what
varies between replicates is which slots are alive and what the firms in them are like. The
rules run on each cluster's first slots (``SlotLayout.open_part``), which no result depends on.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from model.config.params import Scenario


class SlotTables(NamedTuple):
    """The layout's index tables as the compiled loops read them (one bundle for every loop)."""

    sector_of: np.ndarray  # (N,) sector of each slot
    cluster_of: np.ndarray  # (N,) cluster of each slot
    sector_start: np.ndarray  # (S,) first slot of each sector
    sector_size: np.ndarray  # (S,) slots of each sector
    cluster_start: np.ndarray  # (C,) first slot of each cluster
    cluster_size: np.ndarray  # (C,) slots of each cluster
    make_segment: np.ndarray  # (N,) segment of a machine-tool maker's model, -1 elsewhere
    buy_segment: np.ndarray  # (N,) segment a buyer shops in
    niche_group_of: np.ndarray  # (N,) (niche, segment) group of a maker, -1 elsewhere
    slot_id: np.ndarray  # (N,) the slot's number in the full layout: its draws' counter base
    #: (full slots,) each full-layout slot's place in this layout, -1 where it is not open
    slot_position: np.ndarray
    full_sector_start: np.ndarray  # (S,) a sector's first slot in the full layout
    full_sector_size: np.ndarray  # (S,) its slots in the full layout
    full_cluster_start: np.ndarray  # (C,) a cluster's first slot in the full layout
    full_cluster_size: np.ndarray  # (C,) its slots in the full layout


@dataclass(frozen=True)
class SlotLayout:
    """Slot attributes shared by every replicate of a scenario."""

    n_slots: int
    sector_of: np.ndarray  # (N,) int
    cluster_of: np.ndarray  # (N,) int, global cluster index
    sector_start: np.ndarray  # (S,) first slot of each sector
    sector_size: np.ndarray  # (S,) slots per sector
    cluster_start: np.ndarray  # (C,)
    cluster_size: np.ndarray  # (C,)
    initial_alive: np.ndarray  # (N,) bool: the base-year firm count per cluster
    soe: np.ndarray  # (N,) bool
    buy_segment: np.ndarray  # (N,) int: machine-tool segment a firm buys from
    make_segment: np.ndarray  # (N,) int: segment of a machine-tool firm's model, -1 otherwise
    machine_tool_slots: np.ndarray  # (M,) indices of machine-tool slots
    segment_slots: tuple[np.ndarray, ...]  # per segment: machine-tool slots making it
    niche_order: np.ndarray  # machine-tool slots sorted by (niche, segment) group
    niche_group_start: np.ndarray  # start of each group within niche_order
    niche_group_of: np.ndarray  # (N,) group of each machine-tool slot, -1 elsewhere
    mt_sector: int
    firm_scale: float
    cluster_ids: tuple[str, ...]  # in slot order (by sector, then the region file's order)
    sector_ids: tuple[str, ...]  # the region file's sector ids, in slot order
    #: (N,) each slot's number in the full layout (``build_layout``): the counter base of
    #: its random draws, so a slot draws the same numbers in a layout that holds part of the
    #: full one (``open_prefix``) as in the full layout.
    slot_id: np.ndarray
    full_slots: int  # slots of the full layout
    #: The full layout's sector and cluster blocks: a rule that draws a slot of a block draws
    #: it in the full layout (``slot_position`` maps it here), so that the draw's outcome does
    #: not depend on how many of the block's slots are open.
    full_sector_start: np.ndarray
    full_sector_size: np.ndarray
    full_cluster_start: np.ndarray
    full_cluster_size: np.ndarray

    @functools.cached_property
    def slot_position(self) -> np.ndarray:
        """(full slots,) each full-layout slot's place in this layout, -1 where it is not open."""
        position = np.full(self.full_slots, -1, dtype=np.int64)
        position[self.slot_id] = np.arange(self.n_slots)
        return position

    @functools.cached_property
    def buyers_by_segment(self) -> tuple[np.ndarray, np.ndarray]:
        """The buyers' slots by the segment they shop in, and each segment's offset (G + 1,).

        For per-row sums over a segment's buyers in slot order (``sectors.gathered_sums``),
        whatever the batch (a matrix product would hand the order to BLAS). int32 indices
        take the same slots in half of argsort's memory.
        """
        order = np.argsort(self.buy_segment, kind="stable")
        order = order.astype(np.int32 if len(order) < 2**31 else np.int64)
        offset = np.searchsorted(self.buy_segment[order], np.arange(self.n_segments + 1))
        return order, offset

    @property
    def is_full(self) -> bool:
        """Whether this is the full layout (not a part of it)."""
        return self.n_slots == self.full_slots

    @property
    def n_sectors(self) -> int:
        """Number of sectors."""
        return len(self.sector_start)

    def sector_block(self, s: int) -> slice:
        """The slots of sector ``s``: one contiguous block of the layout."""
        return slice(int(self.sector_start[s]), int(self.sector_start[s] + self.sector_size[s]))

    @functools.cached_property
    def tables(self) -> SlotTables:
        """The index tables the compiled loops read (the layout's own arrays, not copies)."""
        return SlotTables(*(getattr(self, name) for name in SlotTables._fields))

    @property
    def n_segments(self) -> int:
        """Number of machine-tool segments."""
        return len(self.segment_slots)

    @property
    def machine_tool_block(self) -> slice:
        """The machine-tool slots as a slice (one sector)."""
        return self.sector_block(self.mt_sector)

    def arrays(self) -> list[np.ndarray]:
        """Every array the layout holds (all forks of a model share them)."""
        out = []
        for v in vars(self).values():
            items = v if isinstance(v, tuple) else (v,)
            out.extend(x for x in items if isinstance(x, np.ndarray))
        return out

    def sector_slots(self, names: tuple[str, ...]) -> slice | np.ndarray:
        """Slots of the named sectors, in slot order; every slot (a slice) if none are named.

        A sector's slots are one contiguous block, so no per-slot search is needed.

        Raises:
            ValueError: A name is not a sector id of the region.
        """
        if not names:
            return slice(None)
        unknown = sorted(set(names) - set(self.sector_ids))
        if unknown:
            raise ValueError(f"unknown sector(s) {unknown}; the region has {list(self.sector_ids)}")
        sectors = sorted(self.sector_ids.index(n) for n in set(names))
        return np.concatenate([np.arange(b.start, b.stop) for b in map(self.sector_block, sectors)])

    def open_prefix(self, headroom: float) -> SlotLayout:
        """The part of this (full) layout that holds each cluster's firms and spare slots.

        Each cluster keeps its first max(firms + 1, ⌈firms x (1 + ``headroom``)⌉) slots, at
        most all of its own, with its base-year firms. The spin-up, which keeps each
        cluster's firm count, runs on such a part
        (``market.spinup_slot_headroom``), and so do the simulated years, whose part grows
        as entry needs it (``market.open_slot_headroom``, ``Engine.expand``). The full
        layout itself if that opens every slot.
        """
        if not self.is_full:
            raise ValueError("open_prefix takes the full layout")
        firms = np.add.reduceat(self.initial_alive.astype(np.int64), self.cluster_start)
        open_size = np.minimum(
            self.cluster_size,
            np.maximum(firms + 1, np.ceil(firms * (1.0 + headroom)).astype(np.int64)),
        )
        return self.open_part(open_size)

    def open_part(self, open_size: np.ndarray) -> SlotLayout:
        """The part of this (full) layout made of each cluster's first ``open_size`` slots.

        Every slot keeps its traits and its number in the full layout (``slot_id``), so its
        random draws are those of the full layout's slot, and no rule's draw depends on how
        many of a cluster's slots are open (an entrant takes its cluster's lowest free slot,
        an imitator draws its peer in the full layout's block). The compiled rules' run
        time follows the slots (docs/benchmarks.md). The full layout itself if every slot
        is open.
        """
        if not self.is_full:
            raise ValueError("open_part takes the full layout")
        open_size = np.asarray(open_size, dtype=np.int64)
        if (open_size < 1).any() or (open_size > self.cluster_size).any():
            raise ValueError("a cluster opens between 1 and all of its slots")
        if (open_size == self.cluster_size).all():
            return self
        keep = np.concatenate(
            [np.arange(a, a + k) for a, k in zip(self.cluster_start, open_size, strict=True)]
        )
        cluster_start = np.concatenate([[0], np.cumsum(open_size)[:-1]])
        first_cluster = np.searchsorted(self.cluster_start, self.sector_start)
        sector_start = cluster_start[first_cluster]
        sector_size = np.add.reduceat(open_size, first_cluster)
        position = np.full(self.n_slots, -1, dtype=np.int64)
        position[keep] = np.arange(len(keep))

        def kept(slots: np.ndarray) -> np.ndarray:
            """An index table's kept slots, at their places in the part (in the same order)."""
            at = position[slots]
            return at[at >= 0]

        # Every per-slot table (sector, cluster, segments, ownership, niche group, initial
        # firms, the slot's number) is read at the kept slots; the index tables are mapped.
        per_slot = {
            f.name: value[keep]
            for f in dataclasses.fields(self)
            if isinstance(value := getattr(self, f.name), np.ndarray)
            and value.shape == (self.n_slots,)
        }
        niche_order = kept(self.niche_order)
        # The groups keep their numbers (a group may have no open slot: an empty run).
        groups = np.arange(len(self.niche_group_start))
        return dataclasses.replace(
            self,
            **per_slot,
            n_slots=len(keep),
            sector_start=sector_start,
            sector_size=sector_size,
            cluster_start=cluster_start,
            cluster_size=open_size,
            machine_tool_slots=kept(self.machine_tool_slots),
            segment_slots=tuple(kept(slots) for slots in self.segment_slots),
            niche_order=niche_order,
            niche_group_start=np.searchsorted(per_slot["niche_group_of"][niche_order], groups),
        )


def widen(values: np.ndarray, part: SlotLayout, to: SlotLayout, axis: int = 1) -> np.ndarray:
    """Per-slot values of a part of the full layout at the slots' places in a larger part.

    ``to`` holds at least the slots of ``part`` (both are parts of one full layout, or ``to``
    is the full layout: ``SlotLayout.open_part``); ``axis`` is the slots' axis of ``values``.
    The other slots of ``to`` hold zero. A cluster's slots are one run in either, so the
    values move a run at a time.
    """
    if (to.cluster_size < part.cluster_size).any() or to.full_slots != part.full_slots:
        raise ValueError("widen moves values into a layout that holds every slot of the part")
    shape = list(values.shape)
    shape[axis] = to.n_slots
    out = np.zeros(shape, dtype=values.dtype)
    lead = (slice(None),) * axis
    for start, size, dest in zip(
        part.cluster_start, part.cluster_size, to.cluster_start, strict=True
    ):
        out[(*lead, slice(dest, dest + size))] = values[(*lead, slice(start, start + size))]
    return out


def _spread(
    n: int, shares: tuple[float, ...] | np.ndarray, stride: float = 0.6180339887498949
) -> np.ndarray:
    """Assign n positions to categories in proportion to shares, evenly interleaved.

    Deterministic (no randomness), so every replicate and scenario sees the same layout.
    Attributes laid out with different strides are (nearly) independent of each other.
    """
    shares = np.asarray(shares, dtype=float)
    cum = np.cumsum(shares) / shares.sum()
    # Position k takes the category whose cumulative share first exceeds its quantile; a
    # low-discrepancy sequence interleaves categories instead of stacking them.
    q = (np.arange(n) * stride) % 1.0
    return np.minimum(np.searchsorted(cum, q, side="right"), len(shares) - 1)


def _narrow(index: np.ndarray) -> np.ndarray:
    """A per-slot index table as 16-bit integers.

    These tables are read for every firm every year; at a million firms each byte per slot
    is a megabyte. One fixed type at every scale, so the compiled rules are compiled once.
    """
    info = np.iinfo(np.int16)
    if index.size and (index.min() < info.min or index.max() > info.max):
        raise ValueError("more than 32,767 sectors, clusters or product niches")
    return index.astype(np.int16)


def build_layout(scenario: Scenario) -> SlotLayout:
    """Lay out firm slots for the scenario's region at its firm scale."""
    region = scenario.region
    scale = scenario.market.firm_scale
    headroom = scenario.market.slot_headroom
    sector_ids = [s.id for s in region.sector]
    clusters_by_sector = [[c for c in region.cluster if c.sector == sid] for sid in sector_ids]
    sector_of, cluster_of, alive = [], [], []
    sector_start, sector_size, cluster_start, cluster_size = [], [], [], []
    n = 0
    cluster_index = 0
    cluster_ids = []
    for s in range(len(region.sector)):
        sector_start.append(n)
        first = n
        for cluster in clusters_by_sector[s]:
            cluster_ids.append(cluster.id)
            firms = max(1, round(region.firm_counts[s] * cluster.firm_share * scale))
            slots = max(firms + 1, math.ceil(firms * (1.0 + headroom)))
            cluster_start.append(n)
            cluster_size.append(slots)
            sector_of.append(np.full(slots, s, dtype=np.int32))
            cluster_of.append(np.full(slots, cluster_index, dtype=np.int32))
            a = np.zeros(slots, dtype=bool)
            a[:firms] = True
            alive.append(a)
            n += slots
            cluster_index += 1
        sector_size.append(n - first)
    sector_of_a = np.concatenate(sector_of)
    mt = region.machine_tool_sector
    buy_segment = np.zeros(n, dtype=np.int32)
    soe = np.zeros(n, dtype=bool)
    for s, sector in enumerate(region.sector):
        lo, size = sector_start[s], sector_size[s]
        buy_segment[lo : lo + size] = _spread(size, sector.segment_mix)
        # sqrt(2) - 1 as stride: ownership independent of the segment a firm buys in.
        soe[lo : lo + size] = (
            _spread(size, (1.0 - sector.soe_firm_share, sector.soe_firm_share), 0.41421356237309515)
            == 1
        )
    make_segment = np.full(n, -1, dtype=np.int32)
    mt_slots = np.arange(sector_start[mt], sector_start[mt] + sector_size[mt])
    make_segment[mt_slots] = _spread(len(mt_slots), region.machine_tools.segment_firm_share)
    n_segments = len(region.machine_tools.segments)
    segment_slots = tuple(mt_slots[make_segment[mt_slots] == g] for g in range(n_segments))
    # Product niches: a first-set model must beat the best domestic model of its niche and
    # segment. Niches are spread evenly over the slots of each segment.
    niches = region.machine_tools.niches
    niche = np.zeros(n, dtype=np.int64)
    for slots in segment_slots:
        niche[slots] = np.arange(len(slots)) % niches
    group = np.full(n, -1, dtype=np.int64)
    group[mt_slots] = niche[mt_slots] * n_segments + make_segment[mt_slots]
    order = mt_slots[np.argsort(group[mt_slots], kind="stable")]
    sorted_groups = group[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    # Renumber groups 0..G-1 in sorted order so a group's index is its position in starts.
    dense = np.full(n, -1, dtype=np.int32)
    dense[order] = np.cumsum(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]) - 1
    return SlotLayout(
        n_slots=n,
        sector_of=_narrow(sector_of_a),
        cluster_of=_narrow(np.concatenate(cluster_of)),
        sector_start=np.asarray(sector_start),
        sector_size=np.asarray(sector_size),
        cluster_start=np.asarray(cluster_start),
        cluster_size=np.asarray(cluster_size),
        initial_alive=np.concatenate(alive),
        soe=soe,
        buy_segment=_narrow(buy_segment),
        make_segment=_narrow(make_segment),
        machine_tool_slots=mt_slots,
        segment_slots=segment_slots,
        niche_order=order,
        niche_group_start=starts,
        niche_group_of=_narrow(dense),
        mt_sector=mt,
        firm_scale=scale,
        cluster_ids=tuple(cluster_ids),
        sector_ids=tuple(sector_ids),
        slot_id=np.arange(n, dtype=np.int64),
        full_slots=n,
        full_sector_start=np.asarray(sector_start),
        full_sector_size=np.asarray(sector_size),
        full_cluster_start=np.asarray(cluster_start),
        full_cluster_size=np.asarray(cluster_size),
    )
