"""The one error a user's file can cause (:class:`ScenarioError`) and its messages' helpers."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

__all__ = ["ScenarioError", "is_number", "literal_repr", "show_value", "suggest"]


class ScenarioError(Exception):
    """A mistake in a scenario or region file, reported as one line.

    Attributes:
        file: File the offending value came from (or ``"override"``).
        key: Dotted key of the offending value; ``""`` when the whole file is at fault.
        message: What is wrong and what would be allowed.
    """

    def __init__(self, file: str, key: str, message: str) -> None:
        # Passing all three to Exception keeps the error picklable (multiprocessing).
        super().__init__(file, key, message)
        self.file = str(file)
        self.key = key
        self.message = message

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.key) if p]
        return ": ".join([*parts, self.message])


def suggest(word: str, allowed: list[str]) -> str:
    """A hint for a misspelt name: the closest allowed one, and the whole list."""
    close = difflib.get_close_matches(word, allowed, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{hint} (allowed: {', '.join(allowed) if allowed else 'none'})"


def show_value(v: object) -> str:
    """A value as a message shows it: its TOML type and the value."""
    if v is None:
        return "nothing"
    if isinstance(v, bool):
        return f"boolean {'true' if v else 'false'}"
    if isinstance(v, int):
        return f"integer {v}"
    if isinstance(v, float):
        return f"number {v!r}"
    if isinstance(v, str):
        return f"string {v!r}"
    if isinstance(v, Mapping):
        return "a table"
    if isinstance(v, (list, tuple)):
        return "an array"
    return f"{type(v).__name__} {v!s}"


def literal_repr(v: object) -> str:
    """A literal as TOML writes it (``true``, ``'text'``)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v)


def is_number(v: object) -> bool:
    """Whether a value is a number (booleans are not, although Python says so)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)
