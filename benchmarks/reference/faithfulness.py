"""Does the reference implementation agree with the fast model? The comparison, fixed in advance.

At about 10,000 firms (``market.firm_scale`` 0.18) and ``spinup.years`` 20 in both, the plan
scenario is run with REPLICATES replicates in each implementation. For every quantity of
:data:`QUANTITIES` and every year of :data:`YEARS` the replicate means are compared:

    |mean_fast - mean_ref| <= 3 * sqrt(se_fast**2 + se_ref**2)      (se = sd / sqrt(n))

That is 14 quantities x 3 years = 42 comparisons. Under faithfulness each fails with
probability 0.27%, so about 0.11 fail by chance; the implementations are judged faithful
when at most :data:`MAX_FAILURES` (2) fail. With independent comparisons a false alarm
(3 or more chance failures) has probability 2.1e-4; the comparisons are positively
correlated (one quantity across years, sector and total), which makes clusters of chance
failures likelier, so the real rate is higher but still well under 1%. The negative control
(the reference with a different payback period) must fail more than MAX_FAILURES.

Run ``python -m benchmarks.reference.faithfulness`` to print the table (takes a while).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
import xarray as xr

#: About 10,000 live firms (10,145 in the base year, 14,219 slots).
FIRM_SCALE = 0.18
#: Spin-up years in both implementations (the design's minimum; the scenario has 30).
SPINUP_YEARS = 20
#: Replicates per implementation.
REPLICATES = 50
#: Replicates of the reference in the negative control (fewer: it must fail even so).
NEGATIVE_REPLICATES = 20
#: Years compared: the first, middle and last of the scenario.
YEARS = (2024, 2027, 2030)
#: Chance failures tolerated among the 42 comparisons (0.11 expected).
MAX_FAILURES = 2
#: The negative control: the payback period b, 3 years in the scenario.
NEGATIVE_OVERRIDE = {"investment.payback_years": 1.5}

BIG_USER_SECTOR = "rest_of_industry"

#: (quantity, sector or aggregate): sector output, R&D intensity, mean machine age and
#: first-set products as the issue asks, plus replacement investment and the Zhejiang share
#: of machine-tool purchases (the payback and brochure rules).
QUANTITIES: tuple[tuple[str, str], ...] = (
    ("output", "machine_tools"),
    ("output", BIG_USER_SECTOR),
    ("output", "all sectors"),
    ("rd_intensity", "machine_tools"),
    ("rd_intensity", BIG_USER_SECTOR),
    ("rd_intensity", "all sectors"),
    ("mean_machine_age", "machine_tools"),
    ("mean_machine_age", BIG_USER_SECTOR),
    ("mean_machine_age", "mean of sectors"),
    ("first_set_products_new", "machine_tools"),
    ("investment_replacement", "machine_tools"),
    ("investment_replacement", BIG_USER_SECTOR),
    ("investment_replacement", "all sectors"),
    ("in_region_machine_share", "all sectors"),
)


def overrides(**extra: object) -> dict[str, object]:
    """Overrides of the comparison runs (both implementations)."""
    return {"market.firm_scale": FIRM_SCALE, "spinup.years": SPINUP_YEARS, **extra}


def series(ds: xr.Dataset, quantity: str, where: str) -> xr.DataArray:
    """One compared quantity by (replicate, year), from either implementation's dataset."""
    if where == "all sectors":
        if quantity == "rd_intensity":
            return ds["rd_expenditure"].sum("sector") / ds["output"].sum("sector")
        if quantity == "in_region_machine_share":
            purchases = ds["machine_purchases"].sum("sector")
            if "machine_purchases_in_region" in ds:
                zhejiang = ds["machine_purchases_in_region"].sum("sector")
            else:
                zhejiang = purchases - ds["machine_purchases_outside_province"].sum("sector")
            return zhejiang / purchases
        return ds[quantity].sum("sector")
    if where == "mean of sectors":
        return ds[quantity].mean("sector")
    return ds[quantity].sel(sector=where)


@dataclass(frozen=True)
class Comparison:
    """One quantity in one year: replicate means, their standard errors and the verdict."""

    quantity: str
    where: str
    year: int
    mean_fast: float
    mean_ref: float
    se_fast: float
    se_ref: float

    @property
    def se(self) -> float:
        """Standard error of the difference of the means."""
        return math.sqrt(self.se_fast**2 + self.se_ref**2)

    @property
    def z(self) -> float:
        """Difference in standard errors."""
        diff = self.mean_fast - self.mean_ref
        return diff / self.se if self.se > 0 else (0.0 if diff == 0 else math.inf)

    @property
    def ok(self) -> bool:
        """Within 3 standard errors."""
        return abs(self.mean_fast - self.mean_ref) <= 3.0 * self.se


def compare(fast: xr.Dataset, ref: xr.Dataset) -> list[Comparison]:
    """Every pre-registered comparison of two runs."""
    out = []
    for quantity, where in QUANTITIES:
        a, b = series(fast, quantity, where), series(ref, quantity, where)
        for year in YEARS:
            x = np.asarray(a.sel(year=year), dtype=float)
            y = np.asarray(b.sel(year=year), dtype=float)
            out.append(
                Comparison(
                    quantity,
                    where,
                    year,
                    float(x.mean()),
                    float(y.mean()),
                    float(x.std(ddof=1) / math.sqrt(len(x))),
                    float(y.std(ddof=1) / math.sqrt(len(y))),
                )
            )
    return out


def table(rows: list[Comparison]) -> str:
    """The comparisons as a Markdown table."""
    lines = [
        "| quantity | sector | year | fast mean | reference mean | s.e. of difference | z "
        "| within 3 s.e. |",
        "|---|---|---:|---:|---:|---:|---:|:---:|",
    ]
    for c in rows:
        lines.append(
            f"| {c.quantity} | {c.where} | {c.year} | {c.mean_fast:.5g} | {c.mean_ref:.5g} | "
            f"{c.se:.3g} | {c.z:+.2f} | {'yes' if c.ok else '**no**'} |"
        )
    return "\n".join(lines)


def run_fast(replicates: int = REPLICATES, **extra: object) -> xr.Dataset:
    """The fast model's comparison run (plan scenario)."""
    import model
    from model.testing import PLAN

    return model.run(PLAN, replicates=replicates, overrides=overrides(**extra), workers=_workers())


def run_ref(replicates: int = REPLICATES, **extra: object) -> xr.Dataset:
    """The reference implementation's comparison run (plan scenario)."""
    from benchmarks.reference.run import run_reference
    from model.testing import PLAN

    return run_reference(
        PLAN, replicates=replicates, overrides=overrides(**extra), workers=_workers()
    )


def _workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def main() -> None:
    """Print the comparison and the negative control (as the slow test runs them)."""
    import time

    t0 = time.perf_counter()
    fast = run_fast()
    t1 = time.perf_counter()
    ref = run_ref()
    t2 = time.perf_counter()
    rows = compare(fast, ref)
    failures = sum(not c.ok for c in rows)
    print(f"fast model {t1 - t0:.0f} s, reference {t2 - t1:.0f} s ({REPLICATES} replicates each)\n")
    print(table(rows))
    print(
        f"\n{failures} of {len(rows)} comparisons outside 3 s.e. (at most {MAX_FAILURES} allowed); "
        f"max |z| = {max(abs(c.z) for c in rows):.2f}\n"
    )
    neg = run_ref(NEGATIVE_REPLICATES, **NEGATIVE_OVERRIDE)
    rows = compare(fast, neg)
    failures = sum(not c.ok for c in rows)
    print(
        f"Negative control: reference with {NEGATIVE_OVERRIDE}, {NEGATIVE_REPLICATES} replicates\n"
    )
    print(table(rows))
    print(f"\n{failures} of {len(rows)} comparisons outside 3 s.e. (must exceed {MAX_FAILURES})")


if __name__ == "__main__":
    main()
