"""Rule 1, demand: user sectors' real demand; rest-of-country and foreign machine-tool demand."""

from __future__ import annotations

import numpy as np

from model.config.units import TINY
from model.economy.engine import Engine


def demand(eng: Engine) -> None:
    """Real demand of user sectors: trend, shock and price response with elasticity epsilon.

    Demand responds to last year's change in the sector price index, so that with
    innovation, imitation and shocks off output follows this closed form exactly.
    """
    st, par = eng.state, eng.par
    shock = eng.draw("demand").standard_normal((eng.R, par.n_sectors))
    if not eng.scenario.demand.shocks:
        shock[:] = 0.0
    st.demand_shock = shock * par.demand_shock_sd
    growth = par.demand_growth_real * eng.scenario.demand.growth_multiplier + st.demand_shock
    price_change = st.price_index / np.maximum(st.price_index_prev, TINY)
    st.demand_real_prev = st.demand_real.copy()
    st.demand_real = (
        st.demand_real * np.exp(growth) * price_change ** (-eng.scenario.demand.price_elasticity)
    )
    mt = eng.layout.mt_sector
    st.demand_real[:, mt] = 0.0  # machine-tool demand is derived from investment (rule 4)
    # Adaptive expectation: last expectation carried forward on the trend, blended with the
    # demand now seen. Without shocks it equals demand exactly.
    lam = eng.scenario.investment.expectation_smoothing
    trend = np.exp(
        par.demand_growth_real * eng.scenario.demand.growth_multiplier
    ) * price_change ** (-eng.scenario.demand.price_elasticity)
    st.demand_expected = lam * st.demand_expected * trend + (1.0 - lam) * st.demand_real
    st.national_demand = st.national_demand * (1.0 + eng.exo.national_demand_growth)
    st.export_demand = st.export_demand * (1.0 + eng.exo.export_demand_growth)
