"""The economy: firm slots, their state, the random streams and the yearly rules.

Second layer: imports only :mod:`model.config`. The policy enters only through the hooks of
:class:`~model.economy.hooks.PolicyHooks`, which the engine holds.
"""

from model.economy.engine import Engine
from model.economy.hooks import PolicyHooks
from model.economy.layout import SlotLayout, build_layout
from model.economy.streams import Draws

__all__ = ["Draws", "Engine", "PolicyHooks", "SlotLayout", "build_layout"]
