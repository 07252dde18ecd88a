"""The firms' bank loans: what a yuan lent costs over its life, from the repayment rule.

Firms repay 1/T of their loan balance each year (``rules.settle_cash``, T =
``investment.loan_term_years``), so a yuan lent is outstanding (1 - 1/T)^k in its k-th year.
Whatever prices a loan (the payback rule's financing multiplier, the renewal subsidy's
loan-years, the re-lending relief on the balance) reads that schedule here, so the interest
firms price is the interest the accounts charge.
"""

from __future__ import annotations

import numpy as np

__all__ = ["balance_per_yuan", "loan_years_per_yuan"]


def balance_per_yuan(term_years: float, years: int) -> np.ndarray:
    """A yuan lent's balance at the start of each of its first ``years`` years -> (years,)."""
    return (1.0 - 1.0 / term_years) ** np.arange(years)


def loan_years_per_yuan(term_years: float, years: int | None = None) -> float:
    """Loan-years a yuan lent is outstanding: over its first ``years`` years, or its life.

    Over its whole life the balances sum to T exactly (a geometric series of ratio 1 - 1/T),
    against (T + 1) / 2 for a straight-amortised loan of the same term.
    """
    if years is None:
        return float(term_years)
    return float(balance_per_yuan(term_years, years).sum())
