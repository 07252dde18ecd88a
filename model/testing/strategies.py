"""Hypothesis strategies for property-based tests of the model's building blocks and runs.

Strategies for the rationing of claims (:func:`claims_and_budgets`), year schedules
(:func:`schedules`, :func:`date_tables`, :func:`date_keys`), per-slot values kept by
:class:`~model.policy.ledgers.CompactSlots` (:func:`slot_values`, :func:`slot_masks`) and
valid behavioural parameter overrides of small model runs (:func:`behaviour_overrides`).

Needs `hypothesis <https://hypothesis.readthedocs.io>`_ (the ``test`` extra).

Example:
    >>> import model
    >>> from hypothesis import given, settings
    >>> from model.testing.strategies import behaviour_overrides
    >>> @settings(max_examples=5, deadline=None)
    ... @given(behaviour_overrides())
    ... def test_runs(drawn):
    ...     model.run("scenarios/plan.toml", replicates=1,
    ...               overrides={"market.firm_scale": 0.01, "spinup.years": 3, **drawn})
"""

from __future__ import annotations

import dataclasses
import math
import struct
import typing
from collections.abc import Sequence
from functools import cache

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from model.config.params import Scenario
from model.config.schedule import Schedule

__all__ = [
    "BEHAVIOUR_BOUNDS",
    "JUMP_BETA_RANGE",
    "LARGE_SLOTS",
    "MAGNITUDES",
    "behaviour_overrides",
    "behaviour_paths",
    "budgets_for",
    "claims_and_budgets",
    "date_keys",
    "date_tables",
    "declared_range",
    "parameter_range",
    "schedule_constants",
    "schedules",
    "slot_masks",
    "slot_values",
]

#: Slots of a large per-slot array (``slot_values``): far more than the small arrays', so
#: that entries lie deep into the flat positions.
LARGE_SLOTS = 1 << 14

# ------------------------------------------------------------------------- rationing

#: Scales of the claims (m yuan): from far below a fen to far above any budget of the model,
#: so that sums lose digits and tiny claims sit beside large ones.
MAGNITUDES: tuple[float, ...] = (1e-15, 1e-9, 1e-3, 1.0, 1e3, 1e6, 1e12, 1e15)


def claims_and_budgets(
    *, max_replicates: int = 4, max_slots: int = 12, min_slots: int = 0
) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    """Claims (R, N) >= 0 and budgets (R,) as :func:`model.policy.base.ration` takes them.

    Claims mix zeros, ties (a few values repeated within a replicate), subnormal and ordinary
    numbers, scaled by one of :data:`MAGNITUDES` per replicate, sometimes with a second scale
    for part of the slots (tiny claims beside large ones). Budgets are drawn by
    :func:`budgets_for`.

    Args:
        max_replicates: Most rows R (at least one).
        max_slots: Most claims per row N.
        min_slots: Fewest claims per row N (0 allows rows without claims).

    Returns:
        A strategy of ``(claims, budget)`` float64 arrays.
    """
    return _claims_and_budgets(max_replicates, max_slots, min_slots)


@st.composite
def _claims_and_budgets(
    draw: st.DrawFn, max_replicates: int, max_slots: int, min_slots: int
) -> tuple[np.ndarray, np.ndarray]:
    R = draw(st.integers(1, max_replicates))
    N = draw(st.integers(min_slots, max_slots))
    unit = st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False)
    rows = []
    for _ in range(R):
        pool = draw(st.lists(unit, min_size=1, max_size=3))  # a few values: ties
        element = st.one_of(st.just(0.0), st.sampled_from(pool), unit, st.integers(0, 5))
        row = np.array(draw(st.lists(element, min_size=N, max_size=N)), dtype=np.float64)
        row *= draw(st.sampled_from(MAGNITUDES))
        if N and draw(st.booleans()):
            # A second scale on some slots: tiny claims beside large ones.
            other = np.array(draw(st.lists(st.booleans(), min_size=N, max_size=N)))
            row[other] *= draw(st.sampled_from(MAGNITUDES))
        rows.append(row)
    claims = np.stack(rows) if rows else np.zeros((R, N))
    return claims, draw(budgets_for(claims))


def budgets_for(claims: np.ndarray) -> st.SearchStrategy[np.ndarray]:
    """Budgets (R,) for claims (R, N): each row's budget is one of the interesting cases.

    The cases are zero, a share of the row's total claims, exactly the total (a tie), the
    exact sum of the k largest or k smallest positive claims (the budget runs out at a
    claim's edge), above the total, an arbitrary non-negative number, and unlimited
    (``inf``, as an instrument without a budget ceiling passes).

    Args:
        claims: The claims (R, N) >= 0.

    Returns:
        A strategy of float64 arrays of shape (R,), every entry >= 0.
    """
    return _budgets_for(claims)


@st.composite
def _budgets_for(draw: st.DrawFn, claims: np.ndarray) -> np.ndarray:
    out = np.zeros(claims.shape[0])
    for r, row in enumerate(claims):
        total = float(row.sum())
        kind = draw(
            st.sampled_from(
                ("share", "largest", "smallest", "total", "above", "any", "unlimited", "zero")
            )
        )
        if kind == "share":
            value = total * draw(st.floats(0.0, 1.0, exclude_min=True, exclude_max=True))
        elif kind == "total":
            value = total
        elif kind in ("largest", "smallest"):
            ordered = np.sort(row[row > 0])
            if kind == "largest":
                ordered = ordered[::-1]
            n = ordered.size
            value = float(ordered[: draw(st.integers(min(1, n), max(n - 1, min(1, n))))].sum())
        elif kind == "above":
            value = total * draw(st.floats(1.0, 1e6)) + draw(st.floats(0.0, 1.0))
        elif kind == "any":
            value = draw(st.floats(0.0, 1e18, exclude_min=True))
        elif kind == "unlimited":
            value = math.inf
        else:
            value = 0.0
        out[r] = value
    return out


# ------------------------------------------------------------------------- schedules

#: Years a date key may name: ``format_date_key`` writes four digits, and year 0 is refused.
_YEARS = (1, 9999)


def date_keys(
    *, min_year: int = _YEARS[0], max_year: int = _YEARS[1], canonical: bool = False
) -> st.SearchStrategy[str]:
    """Date keys ``"YYYY"`` or ``"YYYY-MM"`` as scenario files write them.

    Args:
        min_year: Earliest year (at least 1).
        max_year: Latest year (at most 9999).
        canonical: Only the form :func:`model.config.schedule.format_date_key` writes:
            ``"YYYY"`` for January, never ``"YYYY-01"``.

    Returns:
        A strategy of date key strings.
    """
    return st.builds(
        lambda idx, long_january: _key(idx, long_january=long_january and not canonical),
        st.integers(min_year * 12, max_year * 12 + 11),
        st.booleans(),
    )


def _key(idx: int, *, long_january: bool) -> str:
    """A date key written out independently of ``format_date_key``."""
    year, month = idx // 12, idx % 12 + 1
    if month == 1 and not long_january:
        return f"{year:04d}"
    return f"{year:04d}-{month:02d}"


def _schedule_values() -> st.SearchStrategy[float]:
    return st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False)


def date_tables(
    *,
    min_size: int = 1,
    max_size: int = 6,
    min_year: int = 1990,
    max_year: int = 2060,
    values: st.SearchStrategy[float] | None = None,
) -> st.SearchStrategy[dict[str, float]]:
    """Tables ``{"YYYY" or "YYYY-MM": value}`` naming distinct months, as a schedule is given.

    Keys are in increasing date order (as scenario files list them); about half name a
    whole year (January, written either ``"YYYY"`` or ``"YYYY-01"``), the others any month.

    Args:
        min_size: Fewest keys (at least 1).
        max_size: Most keys.
        min_year: Earliest year of a key.
        max_year: Latest year of a key.
        values: Strategy of the values (default: finite floats within +-1e9).

    Returns:
        A strategy of date tables for :meth:`~model.config.schedule.Schedule.from_dates`.
    """
    return _date_tables(min_size, max_size, min_year, max_year, values or _schedule_values())


@st.composite
def _date_tables(
    draw: st.DrawFn,
    min_size: int,
    max_size: int,
    min_year: int,
    max_year: int,
    values: st.SearchStrategy[float],
) -> dict[str, float]:
    # Whole years ("YYYY", as most scenario keys are) or any month.
    month = st.one_of(
        st.integers(min_year, max_year).map(lambda year: year * 12),
        st.integers(min_year * 12, max_year * 12 + 11),
    )
    months = draw(st.lists(month, min_size=min_size, max_size=max_size, unique=True))
    table = {}
    for idx in sorted(months):
        table[_key(idx, long_january=draw(st.booleans()))] = draw(values)
    return table


def schedule_constants(
    values: st.SearchStrategy[float] | None = None,
) -> st.SearchStrategy[Schedule]:
    """Constant schedules, as a plain number in a scenario file gives them.

    Args:
        values: Strategy of the value (default: finite floats within +-1e9).

    Returns:
        A strategy of :meth:`Schedule.constant <model.config.schedule.Schedule.constant>`.
    """
    return st.builds(Schedule.constant, values or _schedule_values())


def schedules(
    *, max_size: int = 6, values: st.SearchStrategy[float] | None = None
) -> st.SearchStrategy[Schedule]:
    """Schedules: constants or date tables with strictly increasing months.

    Args:
        max_size: Most dates of a table.
        values: Strategy of the values (default: finite floats within +-1e9).

    Returns:
        A strategy of :class:`~model.config.schedule.Schedule`.
    """
    return st.one_of(
        schedule_constants(values),
        date_tables(max_size=max_size, values=values).map(Schedule.from_dates),
    )


# ----------------------------------------------------------------- per-slot values


def _bits_of(x: float, dtype: np.dtype) -> int:
    fmt, ufmt = ("<d", "<Q") if dtype.itemsize == 8 else ("<f", "<I")
    return struct.unpack(ufmt, struct.pack(fmt, x))[0]


def _nan_bits(dtype: np.dtype) -> st.SearchStrategy[int]:
    """NaN bit patterns: either sign, quiet or signalling, any payload."""
    bits = 8 * dtype.itemsize
    mantissa = 52 if bits == 64 else 23
    exponent = ((1 << (bits - 1 - mantissa)) - 1) << mantissa
    return st.builds(
        lambda sign, payload: (sign << (bits - 1)) | exponent | payload,
        st.integers(0, 1),
        st.integers(1, (1 << mantissa) - 1),
    )


def slot_values(
    *,
    dtype: type[np.floating] = np.float64,
    max_replicates: int = 4,
    max_slots: int = 40,
    large: bool | None = None,
) -> st.SearchStrategy[np.ndarray]:
    """Per-slot values (R, N) as :class:`~model.policy.ledgers.CompactSlots` keeps them.

    Mostly zeros with a few entries (some -0.0, some NaN of either sign and any payload,
    the others any float, infinities included); sometimes dense, every slot drawn. Large
    arrays are sparse and have more than :data:`LARGE_SLOTS` slots, with entries past the
    first ``LARGE_SLOTS`` positions and at multiples of it.

    Args:
        dtype: ``np.float64`` or ``np.float32``.
        max_replicates: Most rows R (at least one).
        max_slots: Most slots per row N of the small arrays.
        large: ``None``: some of the sparse arrays are large (one to three LARGE_SLOTS);
            ``True``: only large arrays; ``False``: none.

    Returns:
        A strategy of arrays of ``dtype`` built bit for bit (no NaN payload is lost to a
        conversion through Python floats).
    """
    return _slot_values(np.dtype(dtype), max_replicates, max_slots, large)


@st.composite
def _slot_values(
    draw: st.DrawFn, dtype: np.dtype, max_replicates: int, max_slots: int, large: bool | None
) -> np.ndarray:
    udtype = np.dtype(f"<u{dtype.itemsize}")
    neg_zero = 1 << (8 * dtype.itemsize - 1)
    width = 64 if dtype.itemsize == 8 else 32
    finite = st.floats(width=width, allow_nan=False).map(lambda x: _bits_of(x, dtype))
    entries = st.one_of(st.just(neg_zero), _nan_bits(dtype), finite)
    R = draw(st.integers(1, max_replicates))
    dense = large is not True and draw(st.booleans())
    if large or (large is None and not dense and draw(st.booleans())):
        N = draw(st.integers(LARGE_SLOTS // R - 3, 3 * LARGE_SLOTS // R + 3))
    else:
        N = draw(st.integers(0, max_slots))
    if dense:
        # Every slot drawn (zeros among them), so more than the compact form's share is set.
        bits = draw(
            hnp.arrays(udtype, (R, N), elements=st.one_of(st.just(0), entries), fill=st.nothing())
        )
    else:
        bits = draw(hnp.arrays(udtype, (R, N), elements=entries, fill=st.just(0)))
        if bits.size > LARGE_SLOTS:
            # Entries deep into the flat positions, some at multiples of LARGE_SLOTS.
            flat = bits.reshape(-1)
            edges = [e for b in range(LARGE_SLOTS, flat.size, LARGE_SLOTS) for e in (b - 1, b)]
            place = st.one_of(st.sampled_from(edges), st.integers(LARGE_SLOTS, flat.size - 1))
            for pos in draw(st.lists(place, min_size=1, max_size=4)):
                flat[pos] = draw(entries)
    return bits.view(dtype)


def slot_masks(shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    """Boolean masks of ``shape``, such as the slots ``CompactSlots.cleared`` sets to zero.

    Args:
        shape: Shape of the mask, the values' shape (R, N).

    Returns:
        A strategy of boolean arrays: mostly all False, all True, or a few slots set.
    """
    return st.one_of(
        hnp.arrays(np.bool_, shape, elements=st.just(True), fill=st.just(False)),
        hnp.arrays(np.bool_, shape, elements=st.just(False), fill=st.just(True)),
        st.just(np.zeros(shape, dtype=bool)),
        st.just(np.ones(shape, dtype=bool)),
    )


# --------------------------------------------------------------- behaviour overrides

#: Bounds that make economic sense, for the behavioural parameters the strategies draw;
#: ``None`` keeps the end that ``model/config/params.py`` declares. The range drawn is the
#: intersection with the declared range (:func:`parameter_range`), so a declared range
#: narrowed later narrows the draws too.
BEHAVIOUR_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "demand.price_elasticity": (0.1, 4.0),
    "demand.growth_multiplier": (0.0, 2.0),
    "rd.user_cost_elasticity_real": (0.0, 3.0),
    "rd.user_cost_elasticity_reported": (0.0, 4.0),
    "rd.bunching_window": (None, None),
    "rd.bunching_probability": (None, None),
    "innovation.zeta_innovation": (0.0, 40.0),
    "innovation.zeta_imitation": (0.0, 40.0),
    "innovation.cluster_peer_probability": (None, None),
    "innovation.rd_lag_years": (None, None),
    "innovation.other_equipment_productivity_growth": (-0.02, 0.08),
    "innovation.first_set_margin": (0.0, 0.2),
    "innovation.first_set_sets_to_prove": (1, 20),
    "innovation.unproven_risk_premium": (0.0, 1.0),
    "investment.payback_years": (1.0, 10.0),
    "investment.payback_dispersion": (0.0, 1.0),
    "investment.technical_life_years": (5, 40),
    "investment.target_utilisation": (0.5, None),
    "investment.expectation_smoothing": (None, None),
    "investment.loan_spread": (0.0, 0.05),
    "investment.loan_term_years": (1, 15),
    "investment.credit_limit_sales_ratio": (0.0, 3.0),
    "investment.loan_financed_share": (None, None),
    "investment.cash_buffer_sales_ratio": (0.0, 1.0),
    "investment.dividend_cash_ratio": (0.02, 2.0),
    "investment.tax_depreciation_years": (3, 20),
    "market.sector_share_elasticity": (0.0, 8.0),
    "market.unfilled_demand_weight": (0.0, 5.0),
    "market.national_share_elasticity": (0.0, 8.0),
    "market.share_inertia": (0.0, None),
    "market.growth_shock_sd": (0.0, 0.5),
    "market.growth_shock_size_elasticity": (None, None),
    "initial.productivity_dispersion": (0.0, 0.8),
    "market.entrant_equity_ratio": (0.05, 1.0),
    "market.slot_headroom": (0.1, None),
    "market.spinup_slot_headroom": (0.0, 0.6),
    "market.open_slot_headroom": (0.0, 0.6),
}

#: Whole-number Beta(a, b) parameters of ``innovation.jump_beta``: the range
#: ``Innovation.__post_init__`` checks (the field itself declares none).
JUMP_BETA_RANGE = (1, 10)
#: Economic bounds of ``innovation.jump_support`` ``[x_lo, x_hi]``: a jump may set a firm
#: back a little or move it forward (the field declares no range; ``x_lo <= x_hi``).
_JUMP_SUPPORT = ((-0.25, 0.0), (0.0, 0.3))
#: Switches that may be drawn too (any value is valid).
_SWITCHES = ("demand.shocks", "innovation.enabled", "innovation.imitation_enabled")
#: Draw these together: a cross-field check relates them.
_GROUPS = {"rd.user_cost_elasticity_real": "rd.user_cost_elasticity_reported"}


def _field(path: str) -> tuple[dataclasses.Field[typing.Any], typing.Any]:
    """The dataclass field and its resolved type of a dotted scenario path."""
    cls: typing.Any = Scenario
    parts = path.split(".")
    for i, name in enumerate(parts):
        hints = _hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        if name not in fields:
            raise KeyError(f"{path!r}: {cls.__name__} has no field {name!r}")
        if i == len(parts) - 1:
            return fields[name], hints[name]
        cls = hints[name]
    raise KeyError(path)


@cache
def _hints(cls: type) -> dict[str, typing.Any]:
    return typing.get_type_hints(cls)


def declared_range(path: str) -> tuple[float | None, float | None]:
    """The inclusive range ``model/config/params.py`` declares for a dotted scenario path.

    Args:
        path: A dotted path such as ``"market.share_inertia"``.

    Returns:
        ``(lo, hi)`` from the field's ``metadata["range"]``; ``None`` for an open end.

    Raises:
        KeyError: If no scenario field has that path.
    """
    f, _ = _field(path)
    lo, hi = f.metadata.get("range", (None, None))
    return lo, hi


def parameter_range(path: str) -> tuple[float, float]:
    """The range a behavioural parameter is drawn from: declared and economic bounds.

    Args:
        path: A key of :data:`BEHAVIOUR_BOUNDS`.

    Returns:
        ``(lo, hi)``, the intersection of :func:`declared_range` and the economic bounds.

    Raises:
        ValueError: If the intersection is empty or open at either end.
    """
    dlo, dhi = declared_range(path)
    elo, ehi = BEHAVIOUR_BOUNDS[path]
    lows = [b for b in (dlo, elo) if b is not None]
    highs = [b for b in (dhi, ehi) if b is not None]
    if not lows or not highs:
        raise ValueError(f"{path}: no finite range to draw from (declared {dlo}..{dhi})")
    lo, hi = max(lows), min(highs)
    if lo > hi:
        raise ValueError(f"{path}: economic bounds {elo}..{ehi} miss the declared {dlo}..{dhi}")
    return lo, hi


def _value(path: str, lo: float | None = None) -> st.SearchStrategy[object]:
    """Values for one parameter, as a TOML override gives them (int, float or a number)."""
    rlo, rhi = parameter_range(path)
    if lo is not None:
        rlo = max(rlo, lo)
    _, tp = _field(path)
    if tp is int:
        return st.integers(math.ceil(rlo), math.floor(rhi))
    if tp is float or tp is Schedule:  # a number replaces a schedule by a constant
        return st.floats(rlo, rhi, allow_nan=False, allow_subnormal=False)
    raise TypeError(f"{path}: no strategy for a field of type {tp!r}")


def behaviour_paths() -> tuple[str, ...]:
    """Every dotted path :func:`behaviour_overrides` may set.

    Returns:
        The paths of :data:`BEHAVIOUR_BOUNDS`, the jump parameters and the switches.
    """
    return (
        *BEHAVIOUR_BOUNDS,
        "innovation.jump_beta",
        "innovation.jump_support",
        *_SWITCHES,
    )


@st.composite
def _knob(draw: st.DrawFn, path: str) -> dict[str, object]:
    """Overrides for one drawn parameter (two for a group bound by a cross-field check)."""
    if path == "innovation.jump_beta":
        a = draw(st.integers(*JUMP_BETA_RANGE))
        b = draw(st.integers(*JUMP_BETA_RANGE))
        return {path: [float(a), float(b)]}
    if path == "innovation.jump_support":
        (llo, lhi), (hlo, hhi) = _JUMP_SUPPORT
        x_lo = draw(st.floats(llo, lhi, allow_subnormal=False))
        x_hi = draw(st.floats(max(hlo, x_lo), hhi, allow_subnormal=False))
        return {path: [x_lo, x_hi]}
    if path in _SWITCHES:
        return {path: draw(st.booleans())}
    out: dict[str, object] = {path: draw(_value(path))}
    if path in _GROUPS:
        # Reported R&D responds at least as much as real R&D (RD.__post_init__).
        partner = _GROUPS[path]
        out[partner] = draw(_value(partner, lo=float(out[path])))  # type: ignore[arg-type]
    return out


def behaviour_overrides(
    *,
    min_size: int = 1,
    max_size: int = 8,
    paths: Sequence[str] | None = None,
) -> st.SearchStrategy[dict[str, object]]:
    """Valid sets of behavioural parameter overrides for small model runs.

    Each set names a few dotted paths (see :func:`behaviour_paths`) with values inside the
    ranges ``model/config/params.py`` declares, narrowed to what makes economic sense
    (:data:`BEHAVIOUR_BOUNDS`); integer fields get integers, schedules a constant. The
    cross-field checks hold: reported R&D elasticity >= real (both are drawn together),
    ``jump_beta`` two whole numbers in :data:`JUMP_BETA_RANGE`, ``jump_support`` low <= high.

    Args:
        min_size: Fewest parameters drawn.
        max_size: Most parameters drawn.
        paths: Draw only among these paths (default: all of :func:`behaviour_paths`).

    Returns:
        A strategy of ``{"dotted.path": value}`` dicts for the ``overrides`` of
        :func:`model.run`.
    """
    allowed = tuple(paths) if paths is not None else behaviour_paths()
    # The partner of a group is drawn with its lead, never alone.
    leads = tuple(p for p in allowed if p not in _GROUPS.values())
    for p in leads:
        if p not in behaviour_paths():
            raise ValueError(f"no strategy for {p!r}; choose from behaviour_paths()")
        if p in BEHAVIOUR_BOUNDS:
            parameter_range(p)  # fail at once on an empty range, not in the middle of a test
    return _behaviour_overrides(leads, min_size, min(max_size, len(leads)))


@st.composite
def _behaviour_overrides(
    draw: st.DrawFn, leads: tuple[str, ...], min_size: int, max_size: int
) -> dict[str, object]:
    n = draw(st.integers(min_size, max_size))
    out: dict[str, object] = {}
    for path in draw(st.permutations(leads))[:n]:
        out.update(draw(_knob(path)))
    return out
