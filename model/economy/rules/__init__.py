"""The yearly rules of the firm economy, one module per rule, each beside its compiled loop.

Each rule is a function of the engine that gathers the arrays it needs and runs its per-firm
loop (numba); what acts on few firms or on sectors stays in numpy. The rules follow DESIGN.md's
order, which :meth:`model.simulation.RegionModel.step` reads out: demand, R&D, innovation and
imitation, investment, production and market, accounts, (the government pays), cash,
status, demography. docs/ODD.md states each rule and the source of its parameters.
"""

from model.economy.rules.accounts import account, settle_cash
from model.economy.rules.demand import demand
from model.economy.rules.demography import demography
from model.economy.rules.innovation import innovate_and_imitate
from model.economy.rules.investment import invest
from model.economy.rules.production import produce
from model.economy.rules.research import research
from model.economy.rules.status import update_status

__all__ = [
    "account",
    "demand",
    "demography",
    "innovate_and_imitate",
    "invest",
    "produce",
    "research",
    "settle_cash",
    "update_status",
]
