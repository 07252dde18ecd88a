"""The registry: the only list of the model's policy instruments.

Everything that names instruments derives from it: the scenario schema's ``[instruments]``
tables, the policy mix, the no-policy twin, the recorder's ledgers and the dataset's
``instrument`` coordinate. Adding an instrument takes its module and one ``register`` line
here (docs/architecture.md shows one).
"""

from __future__ import annotations

from model.config.params import register_instrument
from model.policy.base import Instrument
from model.policy.first_set import FirstSet
from model.policy.first_set_award import FirstSetAward
from model.policy.rd_bonus import RDBonus
from model.policy.renewal_loans import RenewalLoans

__all__ = ["instrument", "instruments", "names", "register"]

_INSTRUMENTS: list[type[Instrument]] = []


def register(cls: type[Instrument]) -> type[Instrument]:
    """Add an instrument to the schema (``[instruments.<name>]``), every run and every result.

    Instruments run and are listed in registration order.

    Raises:
        ValueError: The name is empty or taken, or ``Params`` is not an InstrumentParams table.
    """
    if not cls.name or any(c.name == cls.name for c in _INSTRUMENTS):
        raise ValueError(f"an instrument needs a name of its own, got {cls.name!r}")
    register_instrument(cls.name, cls.Params)
    _INSTRUMENTS.append(cls)
    return cls


def instruments() -> tuple[type[Instrument], ...]:
    """The instrument classes, in the order the mix runs and the results list them."""
    return tuple(_INSTRUMENTS)


def names() -> tuple[str, ...]:
    """The instruments' names (their ``[instruments.<name>]`` tables), in registry order."""
    return tuple(cls.name for cls in _INSTRUMENTS)


def instrument(name: str) -> type[Instrument]:
    """The instrument class of a name.

    Raises:
        KeyError: No instrument has that name.
    """
    for cls in _INSTRUMENTS:
        if cls.name == name:
            return cls
    raise KeyError(f"no instrument {name!r}; the registry has {', '.join(names())}")


register(RDBonus)
register(FirstSet)
register(RenewalLoans)
register(FirstSetAward)
