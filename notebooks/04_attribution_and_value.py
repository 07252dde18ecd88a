# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Which instrument buys what: attribution and value added per yuan
#
# **Question.** Of the plan's effect against the status quo, how much does each instrument
# account for, and which buys the most value added per yuan of public money, for which payer
# (central, provincial, county)?
#
# **Method.** `scenarios/sweeps/plan_vs_status_quo.toml` switches each of the four
# instruments between its status-quo and its plan version (2^4 = 16 points, common random
# numbers). Shapley values split the mix's effect among the instruments, replicate by
# replicate; value per yuan compares each instrument alone with none of them.

# %% tags=["parameters"]
firm_scale = 1.0
replicates = 20
workers = 2

# %%
import model
from model.analysis.shapley import instrument_players
from model.plot import shapley_waterfall, value_per_yuan_chart

spec = model.load_sweep(
    "../scenarios/sweeps/plan_vs_status_quo.toml",
    replicates=replicates,
    overrides={"market.firm_scale": firm_scale, "end_year": 2027},
)
ds = model.sweep(spec, workers=workers, progress=False)
fig = shapley_waterfall(ds)

# %%
fig = value_per_yuan_chart(ds)

# %%
sh = model.shapley(ds)  # every key output of the region
print(sh["phi_mean"].to_pandas().round(3))
# The plan: every instrument in its plan version (no switch back to the status quo).
plan_point = {dim: False for dim in instrument_players(ds).values()}
dl = model.deadweight_leakage(ds.sel(plan_point))
print(dl[["subsidy_paid_mean", "deadweight_mean", "deadweight_share"]].to_dataframe().round(3))

# %% [markdown]
# **Reading.** The waterfall's bars add up to the plan's effect in every replicate; a bar's
# interval is its spread over replicates. Value per yuan is value added gained over the
# simulated years, at 2023 prices, per yuan of extra public cost (subsidies, tax
# expenditures, re-lending relief): below one, the economy gains less than the public purse
# spends; below zero, it loses (user sectors pay more for machines, or subsidised firms
# displace others). At current prices (`va_gained_nominal`) the same policy can read as a
# loss: productivity gains lower the user sectors' prices and so their nominal value added.
#
# **Caveats.** An instrument alone is not the same as its share of the mix (interactions);
# the Shapley chart is the fair split. Deadweight (spending on what firms do anyway) is in
# `model.deadweight_leakage`.
