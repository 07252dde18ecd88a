"""Reference implementation: the fast model's rules written the idiomatic Mesa way.

One :class:`FirmAgent` (a ``mesa.Agent``) per firm holding its state as Python attributes;
:class:`ReferenceModel` (a ``mesa.Model``) applies the yearly rules with ``AgentSet``
methods in the fast model's order and records sector aggregates with a
``mesa.DataCollector``. It reads the same scenario object, initialises from the same
distributions and runs the same spin-up and instruments; its random numbers are its own.

:data:`RULESET` names the fast-model rules it mirrors; ``tests/test_reference.py`` checks
that both agree in distribution (docs/benchmarks.md).
"""

from benchmarks.reference.firm import FirmAgent
from benchmarks.reference.model import RULESET, ReferenceModel
from benchmarks.reference.run import run_reference, simulate_replicate

__all__ = ["RULESET", "FirmAgent", "ReferenceModel", "run_reference", "simulate_replicate"]
