"""How a parameter field is declared: its range, unit and meaning (``p``) and its sources."""

from __future__ import annotations

from dataclasses import field


def p(default=None, lo=None, hi=None, unit: str = "", doc: str = "", **kw):
    """Declare a parameter field with range, unit and description."""
    meta = {"range": (lo, hi), "unit": unit, "doc": doc}
    if default is None and not kw:
        return field(metadata=meta)
    if "default_factory" in kw:
        return field(default_factory=kw["default_factory"], metadata=meta)
    return field(default=default, metadata=meta)


def sources() -> dict[str, str]:
    """Declare a table's ``source`` field: where each of its numbers comes from, by key."""
    return field(default_factory=dict, metadata={"doc": "source of each number, by key"})
