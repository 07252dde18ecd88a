"""Places for firms: the sites (slots) of each cluster and the traits a firm inherits from them.

The fast model keeps a fixed number of firm slots per cluster (the base-year firm count plus
``market.slot_headroom``); a firm that enters takes a free slot and inherits its traits
(sector, cluster, state ownership, the machine-tool segment it buys in, and for machine-tool
firms the segment and niche of its model, the payback period and the basic-research share).
Slots are part of the rules: an imitator draws a uniform slot of its cluster (a free slot is
a failed attempt) and entry fills free slots. Here a slot is a small plain object and a firm
agent holds a reference to its slot.

The allocation of categories to slots is deterministic (low-discrepancy sequences, the same
formulas as the fast model's layout), so both implementations lay out the same slots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.reference.firm import FirmAgent

#: Machine-tool market segments, in the order of the region file's per-segment lists.
SEGMENTS = ("economy", "mid_range", "high_end")

GOLDEN_STRIDE = 0.6180339887498949
SILVER_STRIDE = 0.41421356237309515  # sqrt(2) - 1: ownership independent of segment


def spread(n: int, shares, stride: float = GOLDEN_STRIDE) -> list[int]:
    """Category of each of n positions, in proportion to shares, evenly interleaved."""
    total = float(sum(shares))
    cum, acc = [], 0.0
    for s in shares:
        acc += s
        cum.append(acc / total)
    out = []
    for k in range(n):
        q = (k * stride) % 1.0
        # first category whose cumulative share exceeds q
        c = 0
        while c < len(cum) and cum[c] <= q:
            c += 1
        out.append(min(c, len(cum) - 1))
    return out


@dataclass(eq=False)
class Slot:
    """A firm site and the traits any firm occupying it has."""

    index: int
    sector: int
    cluster: int
    soe: bool = False
    provincial_soe: bool = False  # a provincial SOE (省属企业): may buy first sets single-source
    buy_segment: int = 0
    make_segment: int = -1  # machine-tool firms only
    niche_group: int = -1  # (niche, segment) group of a machine-tool slot
    #: Open to entrants in the spin-up: the cluster's first base-year firms x (1 +
    #: ``market.spinup_slot_headroom``) slots (the fast model's spin-up runs on them alone).
    open_in_spinup: bool = True
    payback_years: float = 3.0
    basic_research_share: float = 0.0
    firm: FirmAgent | None = field(default=None, repr=False)


@dataclass
class Layout:
    """All slots, grouped by sector and by cluster."""

    slots: list[Slot]
    sector_slots: list[list[Slot]]
    cluster_slots: list[list[Slot]]
    initial_firms: list[int]  # per cluster: the first this-many slots start occupied
    cluster_sector: list[int]
    n_niche_groups: int


def build_layout(scenario) -> Layout:
    """Slots per cluster for the scenario's region at its firm scale."""
    region = scenario.region
    scale = scenario.market.firm_scale
    headroom = scenario.market.slot_headroom
    spinup_headroom = scenario.market.spinup_slot_headroom
    slots: list[Slot] = []
    sector_slots: list[list[Slot]] = []
    cluster_slots: list[list[Slot]] = []
    initial_firms: list[int] = []
    cluster_sector: list[int] = []
    for s, sector in enumerate(region.sector):
        mine: list[Slot] = []
        for cluster in region.cluster:
            if cluster.sector != sector.id:
                continue
            firms = max(1, round(region.firm_counts[s] * cluster.firm_share * scale))
            n = max(firms + 1, math.ceil(firms * (1.0 + headroom)))
            n_open = min(n, max(firms + 1, math.ceil(firms * (1.0 + spinup_headroom))))
            c = len(cluster_slots)
            here = [
                Slot(index=len(slots) + k, sector=s, cluster=c, open_in_spinup=k < n_open)
                for k in range(n)
            ]
            slots.extend(here)
            mine.extend(here)
            cluster_slots.append(here)
            initial_firms.append(firms)
            cluster_sector.append(s)
        sector_slots.append(mine)
        for slot, g in zip(mine, spread(len(mine), sector.segment_mix), strict=True):
            slot.buy_segment = g
        soe = spread(len(mine), (1.0 - sector.soe_firm_share, sector.soe_firm_share), SILVER_STRIDE)
        for slot, owner in zip(mine, soe, strict=True):
            slot.soe = owner == 1
    mt = next(i for i, sec in enumerate(region.sector) if sec.kind == "machine_tools")
    mt_slots = sector_slots[mt]
    mtp = region.machine_tools
    for slot, g in zip(mt_slots, spread(len(mt_slots), mtp.segment_firm_share), strict=True):
        slot.make_segment = g
    # Niches are dealt round-robin over each segment's slots; a first set must beat the best
    # model of its (niche, segment) group.
    groups: dict[tuple[int, int], int] = {}
    for g in range(len(SEGMENTS)):
        for k, slot in enumerate(x for x in mt_slots if x.make_segment == g):
            groups.setdefault((k % mtp.niches, g), 0)
            slot.niche_group = k % mtp.niches
    keys = sorted(groups)
    dense = {key: i for i, key in enumerate(keys)}
    for slot in mt_slots:
        slot.niche_group = dense[(slot.niche_group, slot.make_segment)]
    return Layout(slots, sector_slots, cluster_slots, initial_firms, cluster_sector, len(keys))
