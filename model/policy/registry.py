"""The registry: the only list of the model's policy instruments.

Everything that names instruments derives from it: the scenario schema's ``[instruments]``
tables, the policy mix, the no-policy twin, the recorder's ledgers and the dataset's
``instrument`` coordinate. Adding an instrument takes its module and one line here.
"""

from __future__ import annotations

from model.config.params import register_instrument
from model.policy.base import Instrument
from model.policy.first_set import FirstSet
from model.policy.rd_bonus import RDBonus
from model.policy.renewal_loans import RenewalLoans

__all__ = ["INSTRUMENTS", "instrument", "names"]

#: The instruments, in the order the mix runs and the results list them.
INSTRUMENTS: tuple[type[Instrument], ...] = (RDBonus, FirstSet, RenewalLoans)

for _cls in INSTRUMENTS:
    register_instrument(_cls.name, _cls.Params)


def names() -> tuple[str, ...]:
    """The instruments' names (their ``[instruments.<name>]`` tables), in registry order."""
    return tuple(cls.name for cls in INSTRUMENTS)


def instrument(name: str) -> type[Instrument]:
    """The instrument class of a name.

    Raises:
        KeyError: No instrument has that name.
    """
    for cls in INSTRUMENTS:
        if cls.name == name:
            return cls
    raise KeyError(f"no instrument {name!r}; the registry has {', '.join(names())}")
