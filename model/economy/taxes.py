"""Tax arithmetic more than one rule needs."""

from __future__ import annotations

from model.economy.compiled import njit


@njit(inline="always")
def rd_tax_cost(tax_rate: float, super_deduction: float) -> float:
    """A yuan of R&D's cost after corporate income tax: 1 - tau (1 + super deduction).

    The R&D rule's user cost (less any R&D bonus), the base it is compared with (set when the
    firm's intensity was), and what the scenario's tax section must keep positive.
    """
    return 1.0 - tax_rate * (1.0 + super_deduction)
