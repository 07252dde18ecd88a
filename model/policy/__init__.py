"""Policy: the instrument family, its registry and the mix the rules call.

Third layer: imports :mod:`model.config` and :mod:`model.economy` only.
"""

from model.policy.base import Instrument, ration
from model.policy.ledgers import CompactSlots
from model.policy.mix import PolicyMix

__all__ = ["CompactSlots", "Instrument", "PolicyMix", "ration"]
