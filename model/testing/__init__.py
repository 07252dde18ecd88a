"""Helpers for testing the model and its results, in the spirit of :mod:`xarray.testing`.

Assertions raise :class:`AssertionError` with a message that says what failed and where
(variable, replicate, year, sector), so a failing behaviour test points at the cause.

The small-scale helpers keep test runs fast: about 2,000 firms instead of ~70,000 and a
20-year spin-up instead of the scenario's.

Example:
    >>> from model.testing import small_run, assert_units
    >>> ds = small_run("scenarios/plan.toml", replicates=2)  # doctest: +SKIP
    >>> assert_units(ds)  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import os
from collections.abc import Hashable, Mapping
from pathlib import Path

import numpy as np
import xarray as xr

#: Root of the source tree (the folder holding ``model/`` and ``scenarios/``).
REPO_ROOT = Path(__file__).resolve().parents[2]
#: The shipped scenario folder.
SCENARIOS = REPO_ROOT / "scenarios"
#: The announced-plan scenario.
PLAN = SCENARIOS / "plan.toml"
#: The no-instrument baseline every scenario extends.
DEFAULTS = SCENARIOS / "defaults.toml"

#: Firm scale of the small runs: about 2,000 firm slots.
SMALL_FIRM_SCALE = 0.03
#: Spin-up length of the small runs (the design's minimum).
SMALL_SPINUP_YEARS = 20

__all__ = [
    "DEFAULTS",
    "PLAN",
    "REPO_ROOT",
    "SCENARIOS",
    "SMALL_FIRM_SCALE",
    "SMALL_SPINUP_YEARS",
    "assert_close",
    "assert_identical_runs",
    "assert_units",
    "clear_cache",
    "fork_in_year",
    "resolve_path",
    "small_overrides",
    "small_run",
    "spun_up",
]


# ------------------------------------------------------------------------ assertions


def assert_units(ds: xr.Dataset, *, coords: bool = False) -> None:
    """Assert that every data variable has non-empty ``units`` and ``long_name`` attributes.

    Args:
        ds: The dataset to check (a run or a firm panel).
        coords: Also check the non-index coordinates.

    Raises:
        AssertionError: Listing every variable that lacks either attribute.
    """
    names = list(ds.data_vars)
    if coords:
        names += [c for c in ds.coords if c not in ds.indexes]
    missing = []
    for name in names:
        attrs = ds[name].attrs
        for attr in ("units", "long_name"):
            value = attrs.get(attr)
            if not isinstance(value, str) or not value.strip():
                missing.append(f"{name}.{attr}={value!r}")
    if missing:
        raise AssertionError(f"{len(missing)} missing or empty attribute(s): " + ", ".join(missing))


def assert_identical_runs(a: xr.Dataset, b: xr.Dataset) -> None:
    """Assert two results are bit-identical: values, dims, coordinates and attributes.

    First :func:`xarray.testing.assert_identical` (which also compares every attribute,
    ignoring nothing), then a byte-by-byte comparison of each variable, which also tells
    ``0.0`` from ``-0.0`` and one NaN payload from another.

    Args:
        a: A result.
        b: The result it must equal.

    Raises:
        AssertionError: Naming the first differing variable and the largest difference.
    """
    differing = [
        name
        for name in sorted(set(a.variables) & set(b.variables), key=str)
        if a[name].dtype != b[name].dtype
        or a[name].shape != b[name].shape
        or a[name].values.tobytes() != b[name].values.tobytes()
    ]
    if differing:
        name = differing[0]
        detail = ""
        va, vb = a[name].values, b[name].values
        numeric = np.issubdtype(va.dtype, np.number) and np.issubdtype(vb.dtype, np.number)
        if va.shape == vb.shape and numeric:
            diff = np.abs(va.astype(float) - vb.astype(float))
            if np.isfinite(diff).any():
                where = np.unravel_index(np.nanargmax(diff), diff.shape)
                detail = f"; largest difference {np.nanmax(diff):.6g} at {_label(a[name], where)}"
        raise AssertionError(
            f"{len(differing)} variable(s) differ bit-wise: {', '.join(map(str, differing[:10]))}"
            f"{' ...' if len(differing) > 10 else ''} (first: {name!r}{detail})"
        )
    xr.testing.assert_identical(a, b)


def assert_close(
    actual: xr.DataArray,
    expected: xr.DataArray,
    *,
    rtol: float,
    scale: xr.DataArray | float | None = None,
    what: str = "",
) -> None:
    """Assert ``|actual - expected| <= rtol * scale`` everywhere, reporting the worst cell.

    Args:
        actual: The computed quantity.
        expected: What it must equal.
        rtol: Relative tolerance.
        scale: The size the tolerance is relative to (for a flow identity, the size of the
            stock or of the largest flow); default ``|expected|``.
        what: A label for the message, e.g. ``"cash roll-forward"``.

    Raises:
        AssertionError: With the worst cell's coordinates, both values and the relative
            error; also when either side has a NaN where the other does not.
    """
    actual, expected = xr.align(actual, expected, join="exact")
    expected = expected.transpose(*actual.dims)
    if scale is None:
        scale = abs(expected)
    scale = xr.broadcast(xr.DataArray(scale) if np.isscalar(scale) else scale, actual)[0]
    a, e = np.asarray(actual.values, dtype=float), np.asarray(expected.values, dtype=float)
    s = np.asarray(scale.transpose(*actual.dims).values, dtype=float)
    nan_a, nan_e = np.isnan(a), np.isnan(e)
    if (nan_a != nan_e).any():
        where = np.unravel_index(np.argmax(nan_a != nan_e), a.shape)
        raise AssertionError(
            f"{what or 'values'}: NaN on one side only at {_label(actual, where)}: "
            f"actual {a[where]}, expected {e[where]}"
        )
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        err = np.where((a == e) | nan_a, 0.0, np.abs(a - e))
        rel = np.where(err == 0.0, 0.0, err / np.maximum(np.abs(s), np.finfo(float).tiny))
    bad = ~(rel <= rtol)  # a NaN or infinite error counts as a failure
    if bad.any():
        worst = np.where(bad, np.nan_to_num(rel, nan=np.inf), -np.inf)
        where = np.unravel_index(np.argmax(worst), rel.shape)
        raise AssertionError(
            f"{what or 'values'}: {int(bad.sum())} of {bad.size} cell(s) off by more than "
            f"rtol={rtol:g}; "
            f"worst at {_label(actual, where)}: actual {a[where]:.12g}, expected {e[where]:.12g}, "
            f"difference {a[where] - e[where]:.6g} = {rel[where]:.3g} x scale {s[where]:.6g}"
        )


def roll_forward(ds: xr.Dataset, stock: str) -> tuple[xr.DataArray, xr.DataArray]:
    """A stock in each year after the first, and what last year's stock and the flows make it.

    ``stock`` is ``"cash"``, ``"debt"`` or ``"n_firms"``. Cash: investment is paid and new
    loans (overdrafts included) added in the investment rule; the operating cash flow,
    repayments and dividends settle at the year's end; exiting firms take their cash and
    entrants bring their owners'. Debt: new loans less repayments and the debt of exits.
    Firms: ``n_firms`` counts the firms active in a year; exits leave and entrants join at
    its end.
    """

    def lag(da: xr.DataArray) -> xr.DataArray:
        return da.shift(year=1).isel(year=slice(1, None))

    def now(da: xr.DataArray) -> xr.DataArray:
        return da.isel(year=slice(1, None))

    if stock == "cash":
        flows = (
            now(ds["operating_cash_flow"])
            - now(ds["investment"])
            + now(ds["loans_new"])
            - now(ds["loans_repaid"])
            - now(ds["dividends"])
            - now(ds["cash_of_exits"])
            + now(ds["cash_of_entrants"])
        )
    elif stock == "debt":
        flows = now(ds["loans_new"]) - now(ds["loans_repaid"]) - now(ds["loans_written_off"])
    elif stock == "n_firms":
        flows = lag(ds["entries"]) - lag(ds["exits"])
    else:
        raise ValueError(f"no roll-forward for {stock!r}: cash, debt or n_firms")
    return now(ds[stock]), lag(ds[stock]) + flows


def _label(da: xr.DataArray, index: tuple[int, ...]) -> str:
    parts = []
    for dim, i in zip(da.dims, index, strict=True):
        value = da[dim].values[i] if dim in da.coords else i
        parts.append(f"{dim}={value.item() if hasattr(value, 'item') else value}")
    return ", ".join(parts) or "scalar"


# ----------------------------------------------------------------------- small runs


def resolve_path(path: str | os.PathLike[str]) -> Path:
    """A scenario path as given, or relative to the repository root if not found as given.

    Lets tests name ``"scenarios/plan.toml"`` whatever the working directory.
    """
    p = Path(path)
    if p.is_absolute() or p.exists():
        return p
    return REPO_ROOT / p


def small_overrides(**extra: object) -> dict[str, object]:
    """The overrides of a small, fast run, plus any extra ones.

    Args:
        **extra: More overrides by dotted key, e.g. ``**{"demand.shocks": False}``; a
            double underscore also stands for a dot (``demand__shocks=False``). A value of
            ``None`` removes that key, e.g. ``**{"spinup.years": None}`` keeps the
            scenario's own spin-up.

    Returns:
        A new dict: ``market.firm_scale`` 0.03 and ``spinup.years`` 20, updated by ``extra``.
    """
    out: dict[str, object] = {
        "market.firm_scale": SMALL_FIRM_SCALE,
        "spinup.years": SMALL_SPINUP_YEARS,
    }
    for key, value in extra.items():
        key = key.replace("__", ".")
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def _freeze(value: object) -> Hashable:
    """A hashable stand-in for an override value (lists become tuples)."""
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, Mapping):
        raise TypeError("small_run overrides take dotted keys, not tables")
    return value  # type: ignore[return-value]


def _thaw(value: object) -> object:
    """Undo :func:`_freeze`: tuples become lists again, as TOML arrays are."""
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def small_run(
    scenario: str | os.PathLike[str] = "scenarios/plan.toml",
    replicates: int = 2,
    seed: int | None = None,
    *,
    batch_size: int | None = None,
    **overrides: object,
) -> xr.Dataset:
    """Run a scenario at small scale, caching the result for the test session.

    Args:
        scenario: Scenario file, relative to the working directory or the repository root.
        replicates: Number of replicates.
        seed: Root seed (default: the scenario's).
        batch_size: Replicates per batch (default: the model's).
        **overrides: Extra overrides as for :func:`small_overrides`.

    Returns:
        A deep copy of the cached result, so a test may modify it freely.
    """
    ov = small_overrides(**overrides)
    frozen = tuple(sorted((k, _freeze(v)) for k, v in ov.items()))
    path = str(resolve_path(scenario).resolve())
    return _cached_run(path, int(replicates), seed, batch_size, frozen).copy(deep=True)


@functools.lru_cache(maxsize=32)
def _cached_run(
    path: str, replicates: int, seed: int | None, batch_size: int | None, frozen: tuple
) -> xr.Dataset:
    from model.experiments.run import run

    kwargs: dict[str, object] = {}
    if batch_size is not None:
        kwargs["batch_size"] = batch_size
    overrides = {k: _thaw(v) for k, v in frozen}
    return run(path, replicates=replicates, seed=seed, overrides=overrides, **kwargs)


def clear_cache() -> None:
    """Forget the cached small runs."""
    _cached_run.cache_clear()


def spun_up(firm_scale: float, spinup_years: int = 2, replicates: tuple[int, ...] = (0, 1)):
    """The plan spun up at a firm scale: the base for tests on hand-built firms."""
    from model.config.scenario import resolve
    from model.simulation.model import RegionModel

    sc = resolve(PLAN, overrides={"market.firm_scale": firm_scale, "spinup.years": spinup_years})
    m = RegionModel(sc, list(replicates))
    m.spin_up()
    return m


def fork_in_year(base, year: int, scenario=None):
    """A fork of a spun-up model, under ``scenario`` (default its own), moved to ``year``.

    The fork has that year's tax rates and loan rate, for rules run on hand-built firms.
    ``scenario`` may differ from the base's in what the spin-up uses (e.g. first-set
    parameters, which the status quo runs): the firms are the base's spin-up's, which tests
    on hand-built firms then set themselves.
    """
    from model.simulation.model import RegionModel

    m = base.fork(base.scenario_params)
    if scenario is not None:
        m = RegionModel(scenario, engine=m.engine)
    m.engine.year = year
    m.engine.tax_base_rates()
    return m
