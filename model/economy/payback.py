"""The payback rule's arithmetic: what the yearly investment rule and the initial stock share.

A cohort of machines is scrapped when the new machine saves enough input to pay back its
perceived price, financing included, within the firm's payback period. The yearly rule
(``model.economy.rules.investment``) applies it to each firm's cohorts; the initial state
(``model.economy.initial``) draws each firm's stock as the rule's steady state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from model.config.units import TINY
from model.economy.compiled import njit
from model.economy.loans import loan_years_per_yuan

if TYPE_CHECKING:
    from model.economy.engine import Engine


class InvestParams(NamedTuple):
    """The investment loop's parameters."""

    theta: np.ndarray  # (S,) machine-tool share of equipment spending
    kappa: np.ndarray  # (S,) equipment per unit of yearly capacity
    #: (S,) frontier ** (1 - theta): a new cohort's embodied productivity is this / a ** -theta
    frontier_factor: np.ndarray
    base_financing: float  # price multiplier of the financing cost
    relief: np.ndarray  # (R, N) financing relief on over-aged cohorts, or (R, 1) for all
    other_equipment_price: float
    target_utilisation: float
    cash_buffer_sales_ratio: float
    credit_limit_sales_ratio: float
    loan_financed_share: float
    wear: float  # 1 + yearly rise of a machine's input per unit of capacity with age


class ModelCosts(NamedTuple):
    """This year's cost of each offered model to a buyer of each sector, by model position.

    In the yearly rule the positions are the segments' makers, then the outside models
    (``Engine.makers``, ``Engine.column_of_position``); for the initial stock, each
    segment's candidate models in turn.
    """

    capital_cost: np.ndarray  # (R, S, P) kappa theta x risk-adjusted price
    operating_factor: np.ndarray  # (R, S, P) a ** -theta


def model_costs(eng: Engine, productivity: np.ndarray, risk_price: np.ndarray) -> ModelCosts:
    """Tabulate the offered models' costs by buyer sector.

    Args:
        eng: The engine.
        productivity: (R, P) every model's embodied productivity (``Engine.model_table``).
        risk_price: (R, P) every model's price with the buyer's risk premium.
    """
    par = eng.par
    log_a = np.log(np.maximum(productivity, TINY))
    operating_factor = np.exp(-par.theta[None, :, None] * log_a[:, None, :])
    capital_cost = (par.kappa * par.theta)[None, :, None] * risk_price[:, None, :]
    return ModelCosts(capital_cost, operating_factor)


@njit(inline="always")
def unit_machine_cost(k1: float, process_productivity: float) -> float:
    """What a unit of machine input costs the firm per unit of output: k1 / pi."""
    return k1 / max(process_productivity, TINY)


@njit(inline="always")
def operating_weight(
    k1: float, process_productivity: float, payback_years: float, operating_scale: float
) -> float:
    """What a unit of a model's operating factor costs a buyer over its payback period."""
    return payback_years * unit_machine_cost(k1, process_productivity) * operating_scale


@njit(inline="always")
def capacity_price(
    kappa: float, theta: float, machine_price: float, other_equipment_price: float
) -> float:
    """A unit of new capacity's price: its machine tools at ``machine_price``, the rest.

    At the list price it is what the firm pays; at the risk-adjusted price, what the buyer
    perceives (the payback rule weighs that).
    """
    return kappa * (theta * machine_price + (1.0 - theta) * other_equipment_price)


@njit(inline="always")
def new_inverse_productivity(frontier_factor: float, operating_factor: float) -> float:
    """Input per unit of capacity of a new machine: 1 / (frontier^(1 - theta) a^theta)."""
    return 1.0 / max(frontier_factor / operating_factor, TINY)


@njit(inline="always")
def saving_per_financing(
    perceived_price: float, payback_years: float, utilisation: float, unit_machine_cost: float
) -> float:
    """The input saving per unit of capacity a new machine must bring, per unit of financing.

    A cohort is scrapped when 1/e_a - 1/e_new >= this x the financing multiplier: the new
    machine's perceived price paid back by b years of saved input at the target utilisation.
    """
    return perceived_price / (payback_years * utilisation * unit_machine_cost)


@njit(cache=True)
def steady_vintage_ages(
    sector_of: np.ndarray,
    buy_segment: np.ndarray,
    offered: np.ndarray,
    models: ModelCosts,
    risk_price: np.ndarray,
    k1: np.ndarray,
    process_productivity: np.ndarray,
    payback_years: np.ndarray,
    par: InvestParams,
    operating_scale: np.ndarray,
    age_factor: float,
    technical_life: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Each firm's machine stock in a steady state of the payback rule.

    A firm that has long invested on today's terms runs cohorts of the machine it buys new,
    each older one ``age_factor`` a year above it in input per unit of capacity, and holds no
    cohort the payback rule would scrap: the stock stops at the first age whose inverse
    productivity, a year's wear on, reaches the firm's scrapping threshold, so the first year
    brings no wave of scrapping that later years echo at the technical life. The new machine
    is the cheapest to the buyer of its segment's offered candidates (capital plus b years of
    operating cost, as the brochure weighs them, without the local preference). At least the
    newest cohort is kept.

    Args:
        sector_of: (N,) each slot's sector.
        buy_segment: (N,) the machine-tool segment each slot buys from.
        offered: (R, G, C) each segment's candidate models that are offered; candidate c of
            segment g is model position g C + c of ``models`` and ``risk_price``.
        models: The candidates' costs by buyer sector (``model_costs``).
        risk_price: (R, G C) the candidates' price with the buyers' risk premium.
        k1: (R, S) machine-sensitive unit cost at machine productivity 1.
        process_productivity: (R, N) the firms' process productivity.
        payback_years: (R, N) the firms' payback periods b.
        par: The investment parameters (the ordinary financing multiplier, no relief).
        operating_scale: (S,) target utilisation / frontier ** (1 - theta).
        age_factor: Rise of a cohort's inverse productivity with each year of age.
        technical_life: Cohorts at most (the technical life in years).

    Returns:
        The number of youngest cohort ages each firm keeps (R, N), and the inverse
        productivity of its new machine, the newest cohort's (R, N).
    """
    R, N = process_productivity.shape
    C = offered.shape[2]
    capital_cost = models.capital_cost
    operating_factor = models.operating_factor
    kept = np.empty((R, N), dtype=np.int64)
    newest = np.empty((R, N))
    for r in range(R):
        for n in range(N):
            s = sector_of[n]
            g = buy_segment[n]
            weight = operating_weight(
                k1[r, s], process_productivity[r, n], payback_years[r, n], operating_scale[s]
            )
            best = -1
            best_cost = np.inf
            for c in range(C):
                p = g * C + c
                cost = capital_cost[r, s, p] + weight * operating_factor[r, s, p]
                if offered[r, g, c] and cost < best_cost:
                    best, best_cost = p, cost
            if best < 0:  # nothing offered: the frontier's equipment alone
                kept[r, n] = technical_life
                newest[r, n] = 1.0 / par.frontier_factor[s]
                continue
            inv_new = new_inverse_productivity(par.frontier_factor[s], operating_factor[r, s, best])
            perceived = capacity_price(
                par.kappa[s], par.theta[s], risk_price[r, best], par.other_equipment_price
            )
            unit_cost = unit_machine_cost(k1[r, s], process_productivity[r, n])
            threshold = (
                inv_new
                + saving_per_financing(
                    perceived, payback_years[r, n], par.target_utilisation, unit_cost
                )
                * par.base_financing
            )
            e_inv = inv_new * par.wear
            ages = 1
            while ages < technical_life and e_inv * age_factor**ages < threshold:
                ages += 1
            kept[r, n] = ages
            newest[r, n] = inv_new
    return kept, newest


def invest_params(eng: Engine, relief: np.ndarray | float) -> InvestParams:
    """The investment loop's parameters this year, with the policy's financing ``relief``.

    Args:
        eng: The engine.
        relief: Financing relief on over-aged cohorts, per firm (R, N) or for all.
    """
    inv, par, exo = eng.scenario.investment, eng.par, eng.exo
    return InvestParams(
        theta=par.theta,
        kappa=par.kappa,
        frontier_factor=float(exo.other_equipment_productivity) ** (1.0 - par.theta),
        # Cash has the loan rate as its opportunity cost, so every purchase carries the
        # interest of a loan over its life as the accounts repay it: r T per yuan.
        base_financing=1.0 + exo.loan_rate * loan_years_per_yuan(inv.loan_term_years),
        # Per firm (a listed project) or none: (R, N), or (R, 1).
        relief=(
            np.ascontiguousarray(relief, dtype=float)
            if np.ndim(relief) == 2
            else np.full((eng.R, 1), float(relief))
        ),
        other_equipment_price=float(exo.other_equipment_price),
        target_utilisation=inv.target_utilisation,
        cash_buffer_sales_ratio=inv.cash_buffer_sales_ratio,
        credit_limit_sales_ratio=inv.credit_limit_sales_ratio,
        loan_financed_share=inv.loan_financed_share,
        wear=1.0 + inv.wear_rate,
    )
