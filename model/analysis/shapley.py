"""Shapley attribution of a policy mix's effect across its instruments (an on/off sweep)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from model.analysis.key_outputs import key_outputs
from model.analysis.stats import REP, labelled, mcse, ratio_of_means, sweep_dims
from model.analysis.views import COMPARISON_TITLE
from model.config.errors import ScenarioError
from model.policy.registry import names as instrument_names

#: The switch dims a Shapley attribution can play over, and the value that plays the
#: instrument: as before the plan or as planned (against the status quo, preferred), or
#: off or on (against no policy).
SWITCHES = {"as_before_plan": False, "enabled": True}


def instrument_players(ds: xr.Dataset) -> dict[str, str]:
    """Instrument -> dim of the sweep that switches it.

    ``instruments.X.as_before_plan`` (the plan's version against the status quo's) where the
    sweep has such dims, else ``instruments.X.enabled`` (on against off).
    """
    found: dict[str, dict[str, str]] = {k: {} for k in SWITCHES}
    for d in sweep_dims(ds):
        path = str(ds[d].attrs.get("path", ""))
        parts = path.split(".")
        if len(parts) == 3 and parts[0] == "instruments" and parts[2] in SWITCHES:
            found[parts[2]][parts[1]] = d
    out = next((v for v in found.values() if v), {})
    order = instrument_names()
    return {k: out[k] for k in order if k in out} | {k: v for k, v in out.items() if k not in order}


def shapley(
    ds: xr.Dataset,
    outputs: xr.Dataset | Sequence[str] | None = None,
    players: Mapping[str, str] | None = None,
) -> xr.Dataset:
    """Shapley values of the policy mix's effect on each output, across its instruments.

    For each replicate (common random numbers) and output, with v(S) the output when the
    instruments in S are on and the others off::

        phi_i = sum over S not containing i of |S|! (n - |S| - 1)! / n! [v(S + i) - v(S)]

    so that sum_i phi_i = v(all) - v(none) (efficiency), replicate by replicate. Against the
    status quo (``instruments.X.as_before_plan`` dims) an instrument "on" runs as the plan
    has it and "off" as before the plan; against no policy (``.enabled`` dims) on and off.
    ``attrs["comparison"]`` says which.

    Args:
        ds: A sweep with one boolean dim per instrument (``instruments.X.enabled``), e.g.
            ``scenarios/sweeps/instrument_combinations.toml``; other dims are carried.
        outputs: Outputs per replicate (a Dataset, or names of the key outputs,
            ``model.key_outputs``); default all
            key outputs.
        players: Instrument -> dim (default: found from the dims' paths).

    Returns:
        Dataset with dims ``output``, ``instrument`` (and ``replicate``, other dims):
        ``phi`` and ``effect`` (= v(all) - v(none)) per replicate; ``phi_mean``,
        ``phi_sd``, ``phi_p5``, ``phi_p95``, ``phi_mcse``; ``effect_mean``; coordinates
        ``output_units``. ``va_per_yuan`` = phi(value added) / phi(public cost) by instrument
        when both are among the outputs.
    """
    players = dict(players) if players is not None else instrument_players(ds)
    if not players:
        raise ScenarioError(
            str(ds.attrs.get("sweep_file", "dataset")),
            "",
            "no instrument switch dims (instruments.X.as_before_plan or instruments.X.enabled "
            "= [false, true]) for Shapley values",
        )
    for name, d in players.items():
        if d not in ds.dims or sorted(map(bool, ds[d].values)) != [False, True]:
            raise ScenarioError(
                str(ds.attrs.get("sweep_file", "dataset")),
                d,
                f"{name}: needs a dim with exactly the values false and true",
            )
    if outputs is None or not isinstance(outputs, xr.Dataset):
        outputs = key_outputs(ds, outputs)
    names = list(outputs.data_vars)
    v = xr.concat([outputs[n] for n in names], dim="output").assign_coords(output=names)
    inst = list(players)
    n = len(inst)

    switch = {i: str(ds[players[i]].attrs.get("path", "")).rsplit(".", 1)[-1] for i in inst}
    plays = {i: SWITCHES.get(switch[i], True) for i in inst}

    def value(on: set[str]) -> xr.DataArray:
        # The instruments in ``on`` play (as planned, or on); the others do not.
        return v.sel({players[i]: (plays[i] if i in on else not plays[i]) for i in inst}, drop=True)

    phis = []
    for i in inst:
        others = [j for j in inst if j != i]
        phi = None
        for k in range(n):
            w = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
            for s in itertools.combinations(others, k):
                term = w * (value(set(s) | {i}) - value(set(s)))
                phi = term if phi is None else phi + term
        assert phi is not None
        phis.append(phi)
    phi = xr.concat(phis, dim="instrument").assign_coords(instrument=inst)
    phi = phi.transpose("output", "instrument", ...)
    effect = value(set(inst)) - value(set())
    q = phi.quantile([0.05, 0.95], dim=REP)
    units = [outputs[nm].attrs.get("units", "") for nm in names]
    out = xr.Dataset(
        {
            "phi": labelled(phi, "output units", "Shapley value of the instrument (per replicate)"),
            "effect": labelled(effect, "output units", "effect of the whole mix: v(all) - v(none)"),
            "phi_mean": labelled(
                phi.mean(REP), "output units", "Shapley value, mean across replicates"
            ),
            "phi_sd": labelled(
                phi.std(REP, ddof=1) if phi.sizes[REP] > 1 else xr.full_like(phi.mean(REP), np.nan),
                "output units",
                "Shapley value, sd across replicates",
            ),
            "phi_mcse": labelled(mcse(phi), "output units", "Monte Carlo s.e. of phi_mean"),
            "phi_p5": labelled(
                q.sel(quantile=0.05, drop=True), "output units", "Shapley value, 5% quantile"
            ),
            "phi_p95": labelled(
                q.sel(quantile=0.95, drop=True), "output units", "Shapley value, 95% quantile"
            ),
            "effect_mean": labelled(effect.mean(REP), "output units", "effect of the mix, mean"),
        }
    )
    out = out.assign_coords(
        output_units=("output", units, {"long_name": "units of the output"}),
        output_long_name=(
            "output",
            [outputs[nm].attrs.get("long_name", nm) for nm in names],
            {"long_name": "what the output measures"},
        ),
    )
    out["instrument"].attrs = {"long_name": "policy instrument (player)"}
    if "value_added" in names and "public_cost" in names:
        ratio, se = ratio_of_means(
            phi.sel(output="value_added", drop=True), phi.sel(output="public_cost", drop=True)
        )
        out["va_per_yuan"] = labelled(
            ratio,
            "yuan/yuan",
            "Shapley value added per yuan of the instrument's Shapley public cost",
        )
        out["va_per_yuan_se"] = labelled(se, "yuan/yuan", "Monte Carlo s.e. of va_per_yuan")
    against = "status_quo" if not all(plays.values()) else "no_policy"
    out.attrs = {
        "players": ", ".join(f"{k} = {d}" for k, d in players.items()),
        "comparison": COMPARISON_TITLE[against],
    }
    return out
