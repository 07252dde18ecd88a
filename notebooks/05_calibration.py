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
# # Calibration: how well the model fits the facts, and what the plan assumes
#
# **Questions.** (1) With behaviour estimated on Zhejiang's realised figures, which facts
# does the model match, which not, and how well are its parameters pinned down? (2) What
# policy strength would the plan need to meet its machine-tool targets?
#
# **Method.** `python -m model calibrate calibration/zhejiang.toml` (about 20 minutes on 2
# cores) estimates behaviour by the simulated method of moments and solves the inverse
# exercise; it writes `calibration/zhejiang.calibrated.toml`, which this notebook reads. The
# last cells rerun a small calibration (three parameters, a tenth of the firms) to show the
# machinery; CI runs only that at its smallest.

# %% tags=["parameters"]
rerun_small = True
workers = 2

# %%
from model.calibration import calibrate, fit_report, load_calibration, read_calibrated
from model.plot import calibration_fit, implied_strength

doc = read_calibrated("../calibration/zhejiang.calibrated.toml")
print(fit_report(doc))

# %%
fig = calibration_fit(doc)

# %%
fig = implied_strength(doc)

# %%
fitted = [m for m in doc["moment"] if m["use"] == "fit"]
off = [m["name"] for m in fitted if abs(float(m["t"])) > 2]
print(f"fitted moments more than two standard errors off: {off or 'none'}")
weak = [
    p["path"]
    for p in doc["parameter"]
    if "se" in p
    and str(p["se"]) != "nan"
    and float(p["se"]) > 0.5 * (float(p["high"]) - float(p["low"]))
]
print(f"parameters the data barely identify (s.e. above half the range): {weak or 'none'}")
unreachable = sorted({r["target"] for r in doc["inverse"] if not r["reachable"]})
print(f"targets no lever reaches within its plausible range: {unreachable}")

# %% [markdown]
# **Reading.** The fit chart shows each realised figure's distance from the model in standard
# errors (data and simulation): fitted moments inside the grey band fit; held-out outturns
# test the estimate on what it never saw. The inverse chart answers "what strength does the
# plan assume?": a point is the multiple of the announced strength at which the median run
# meets the target, an arrow that no setting up to the plausible top does.
#
# **Caveats.** Standard errors from a sandwich at the estimate are local; weakly identified
# parameters (large s.e.) carry their uncertainty into the inverse exercise through the
# behaviour draws, not into the fan charts.

# %%
if rerun_small:
    import tempfile
    from pathlib import Path

    spec = load_calibration("../tests/data/calibration_small.toml")
    with tempfile.TemporaryDirectory() as tmp:
        spec = spec.with_(output=Path(tmp) / "small.calibrated.toml")
        small = calibrate(spec, workers=workers, progress=False)
    print(fit_report(small).splitlines()[0])
