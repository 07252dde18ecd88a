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
# # Which assumptions and which levers matter?
#
# **Question.** Of the policy levers the plan leaves open, which move 2027 machine-tool output
# and the other key outputs most (Morris screening)? Of the behavioural parameters, which
# drive the outcomes once interactions are counted (Sobol indices)?
#
# **Method.** `model.sensitivity` samples each spec's parameters with SALib and runs every
# point as a sweep with common random numbers; each output is reduced to its median or mean
# over replicates. CI runs it small (fewer trajectories and samples, a twentieth of the firms);
# the shipped specs are the full-size versions.

# %% tags=["parameters"]
firm_scale = 1.0
replicates = None  # the specs' own
morris_trajectories = None
sobol_samples = None
workers = 2

# %%
import dataclasses

import model
from model.plot import sensitivity_indices

size = {"market.firm_scale": firm_scale, "end_year": 2027}
levers = model.load_sensitivity(
    "../scenarios/sensitivity/levers_morris.toml", replicates=replicates, overrides=size
)
if morris_trajectories:
    levers = dataclasses.replace(levers, samples=morris_trajectories)
morris = model.sensitivity(levers, workers=workers, progress=False)
print(morris["mu_star"].sel(output=morris["output"].values[0]).to_series().round(3))
fig = sensitivity_indices(morris)

# %% [markdown]
# The Morris chart puts each lever by its mean absolute effect over its range (right: matters)
# and the spread of its effects (up: interacts or acts non-linearly).

# %%
behaviour = model.load_sensitivity(
    "../scenarios/sensitivity/behaviour_sobol.toml", replicates=replicates, overrides=size
)
if sobol_samples:
    behaviour = dataclasses.replace(behaviour, samples=sobol_samples)
sobol = model.sensitivity(behaviour, workers=workers, progress=False)
first = sobol["output"].values[0]
print(sobol[["S1", "ST"]].sel(output=first).to_dataframe().round(3))
fig = sensitivity_indices(sobol)

# %%
top = str(sobol["parameter"].values[int(sobol["ST"].sel(output=first).argmax())])
print(f"The behavioural parameter with the largest total index for {first}: {top}")

# %% [markdown]
# **Reading.** A parameter with a large total index is where the calibration's uncertainty
# matters most for the plan's outcome: notebook 05 shows how well the data pin it down.
#
# **Caveats.** Indices are of the reduced output (median over replicates) at the sampled
# points; with few samples (as in CI) their confidence intervals are wide and the ranking of
# close parameters is not reliable.
