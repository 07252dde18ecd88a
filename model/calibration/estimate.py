"""Stage 1: behaviour estimated on realised data by the simulated method of moments.

The moments are the region's facts with ``use = "fit"`` (scale-free shares and shapes, so a
reduced-scale run measures them too). The simulated moment is the mean across replicates of
each replicate's statistic; every parameter vector runs with the same seed and replicate
numbers (common random numbers), so the objective is a deterministic function of the
parameters, but not a smooth one: a replicate's path parts from its twin's at the first exit,
entry or machine choice that differs, so nearby points differ by about as much simulation noise
as distant ones, and a step or a finite difference judged on a few replicates is partly a draw
(measured in ODD IV, "Parameter recovery").

Objective: sum over moments of ((simulated - data) / s)^2 with s^2 = se_data^2 + v / R, v the
across-replicate variance of the moment at the stage's start and R its replicates (a diagonal
weighting by the moments' variances, data and simulation). Steps:

1. Screening (Morris, SALib): a parameter that moves no moment by ``threshold`` standard
   errors over its range is not identified by these data; it is held at its value.
2. Global search: a Latin hypercube of the kept parameters at reduced scale.
3. Local refinement at full scale from the best point: a bounded Levenberg-Marquardt
   (trust-region steps solved by ``scipy.optimize.lsq_linear``) on the weighted residuals,
   with a central-difference Jacobian whose 2K points run as one batch.
4. Diagnostics at the estimate: the Jacobian G of the moments, its singular values and
   condition number (weighted, in units of each parameter's range); standard errors by the
   sandwich (G'WG)^-1 G'W Omega W G (G'WG)^-1 with Omega = diag(se_data^2) + C / R, C the
   moments' covariance across replicates (the simulation correction); the over-identification
   statistic J = e' (P Omega P')^+ e with P = I - G (G'WG)^-1 G'W (Hansen's J for a
   non-optimal weighting) against chi-square with M - K dof.
5. Robustness: the estimate with every moment weighted by 1 / data^2 (relative deviations,
   the "identity" weighting once moments of different units are made comparable).
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, stats

from model.calibration.evaluate import Evaluator
from model.calibration.spec import CalibrationSpec, Parameter
from model.experiments.sweep import value_at
from model.experiments.sweep.points import Setting, lhs_unit

__all__ = ["Estimate", "MomentProblem", "estimate_behaviour", "overidentification", "sandwich"]


@dataclass(frozen=True)
class MomentProblem:
    """The parameters (in [0, 1] units of their ranges) and the moments they are fitted to."""

    spec: CalibrationSpec
    parameters: tuple[Parameter, ...]
    data: np.ndarray  # fitted moments' data values
    se_data: np.ndarray
    fit_index: np.ndarray  # positions of the fitted moments among spec.facts

    @classmethod
    def of(
        cls, spec: CalibrationSpec, parameters: Sequence[Parameter] | None = None
    ) -> MomentProblem:
        """The problem of a spec: its fitted facts, all its parameters or ``parameters``."""
        idx = np.array([i for i, f in enumerate(spec.facts) if f.use == "fit"])
        return cls(
            spec,
            tuple(parameters if parameters is not None else spec.parameters),
            np.array([spec.facts[i].value for i in idx], float),
            np.array([spec.facts[i].se for i in idx], float),
            idx,
        )

    def natural(self, u: np.ndarray) -> np.ndarray:
        """Parameter values from unit coordinates (log-uniform for ``transform = "log"``)."""
        u = np.asarray(u, float)
        out = np.empty_like(u)
        for j, q in enumerate(self.parameters):
            if q.transform == "log":
                out[..., j] = np.exp(np.log(q.low) + u[..., j] * np.log(q.high / q.low))
            else:
                out[..., j] = q.low + u[..., j] * (q.high - q.low)
        return out

    def unit(self, x: np.ndarray) -> np.ndarray:
        """Unit coordinates of parameter values."""
        x = np.asarray(x, float)
        out = np.empty_like(x)
        for j, q in enumerate(self.parameters):
            if q.transform == "log":
                out[..., j] = np.log(x[..., j] / q.low) / np.log(q.high / q.low)
            else:
                out[..., j] = (x[..., j] - q.low) / (q.high - q.low)
        return out

    def dnatural_dunit(self, u: np.ndarray) -> np.ndarray:
        """D value / d unit coordinate at ``u`` (per parameter)."""
        x = self.natural(u)
        return np.array(
            [
                x[j] * np.log(q.high / q.low) if q.transform == "log" else q.high - q.low
                for j, q in enumerate(self.parameters)
            ]
        )

    def start(self) -> np.ndarray:
        """The scenario's values of the parameters (the uncalibrated start), in units."""
        return self.unit(
            np.array([float(value_at(self.spec.scenario, q.path)) for q in self.parameters])
        )

    def rows(self, units: np.ndarray) -> list[list[Setting]]:
        """Sweep settings of each row of unit coordinates."""
        x = self.natural(np.atleast_2d(units))
        return [
            [Setting(q.path, float(x[i, j])) for j, q in enumerate(self.parameters)]
            for i in range(len(x))
        ]


@dataclass
class Estimate:
    """What stage 1 found."""

    parameters: tuple[Parameter, ...]  # the estimated ones
    fixed: dict[str, tuple[float, str]]  # path -> (held value, why)
    estimate: np.ndarray  # natural units
    se: np.ndarray
    at_bound: np.ndarray
    objective: float
    j_statistic: float
    j_dof: int
    j_pvalue: float
    singular_values: np.ndarray
    condition_number: float
    facts_mean: np.ndarray  # every fact at the estimate: mean across replicates
    facts_se: np.ndarray  # its simulation s.e. (sd / sqrt(R))
    facts_p5: np.ndarray
    facts_p95: np.ndarray
    facts_median: np.ndarray
    covariance: np.ndarray
    screening: list[dict[str, Any]]
    global_best: np.ndarray
    global_objective: float
    robustness: np.ndarray | None
    weights_se: np.ndarray  # s of each fitted moment in the objective
    settings: dict[str, Any] = field(default_factory=dict)


def _say(msg: str, t0: float) -> None:
    print(f"[calibrate {time.perf_counter() - t0:6.0f} s] {msg}", file=sys.stderr, flush=True)


def _objective(sim_mean: np.ndarray, data: np.ndarray, s: np.ndarray) -> np.ndarray:
    return np.nansum(((sim_mean - data) / s) ** 2, axis=-1)


# A replicate without a statistic (a share of zero first sets in a small run) is left out of
# the moment; a moment no replicate measures adds nothing to the objective.
def _mean(x: np.ndarray, axis: int) -> np.ndarray:
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(x, axis=axis)


def _cov(x: np.ndarray) -> np.ndarray:
    """Across-replicate covariance of the moments (rows: replicates), complete rows only."""
    rows = x[np.all(np.isfinite(x), axis=1)]
    if len(rows) < 2:
        return np.diag(_var(x))
    return np.atleast_2d(np.cov(rows, rowvar=False))


def sandwich(g: np.ndarray, w: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """The simulated-moments covariance of the estimate: (G'WG)^-1 G'W Omega W G (G'WG)^-1.

    Args:
        g: Jacobian of the moments (M x K).
        w: Diagonal of the weighting matrix (M).
        omega: Covariance of the moment conditions (M x M): the data's error plus the
            estimation's own simulation noise (the simulation correction).

    Returns:
        K x K covariance (inf where G'WG is singular).
    """
    k = g.shape[1]
    bread = g.T @ (w[:, None] * g)
    try:
        binv = np.linalg.inv(bread)
    except np.linalg.LinAlgError:
        return np.full((k, k), np.inf)
    gw = g.T * w[None, :]
    return binv @ (gw @ omega @ gw.T) @ binv


def overidentification(
    e: np.ndarray, g: np.ndarray, w: np.ndarray, omega: np.ndarray
) -> tuple[float, int]:
    """Hansen's J for a (not necessarily optimal) weighting: e' (P Omega P')^+ e, M - K dof.

    P = I - G (G'WG)^-1 G'W projects out what the parameters can fit; with W = Omega^-1 it
    is the familiar e' Omega^-1 e.
    """
    e = np.nan_to_num(e)
    m, k = g.shape
    try:
        p = np.eye(m) - g @ np.linalg.inv(g.T @ (w[:, None] * g)) @ (g.T * w[None, :])
    except np.linalg.LinAlgError:
        return float("nan"), m - k
    # (P e: the residual once the parameters have fitted what they can, as at an exact
    # optimum of the linearised problem)
    pe = p @ e
    v = p @ omega @ p.T
    return float(pe @ np.linalg.pinv(v, rcond=1e-10, hermitian=True) @ pe), m - k


def _var(x: np.ndarray) -> np.ndarray:
    """Across-replicate variance (axis 0), ignoring replicates without the statistic."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nan_to_num(np.nanvar(x, axis=0, ddof=1))


def screen(
    problem: MomentProblem, ev: Evaluator, t0: float
) -> tuple[list[int], list[dict[str, Any]]]:
    """Morris screening: which parameters move some fitted moment by ``threshold`` s.e."""
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    spec = problem.spec
    sc = spec.screening
    names = [q.path for q in problem.parameters]
    k = len(names)
    prob = {"num_vars": k, "names": names, "bounds": [[0.0, 1.0]] * k}
    units = morris_sample.sample(
        prob, sc.trajectories, num_levels=sc.levels, seed=spec.seed % (2**32)
    )
    _say(f"screening: {len(units)} points x {sc.replicates} replicates at scale {sc.scale:g}", t0)
    vals = _facts_at(problem, ev, units, sc.replicates, sc.scale, "screening")
    y = np.nan_to_num(_mean(vals[:, :, problem.fit_index], 1) / problem.se_data)  # in data s.e.
    mu_star = np.zeros((k, y.shape[1]))
    for m in range(y.shape[1]):
        res = morris_analyze.analyze(prob, units, y[:, m], num_levels=sc.levels, seed=spec.seed)
        mu_star[:, m] = np.asarray(res["mu_star"])
    # Morris's elementary effect is per unit range: mu* is the typical change over the range.
    rows = []
    kept = []
    for j, name in enumerate(names):
        best = int(np.nanargmax(mu_star[j]))
        top = float(mu_star[j, best])
        keep = top >= sc.threshold
        if keep:
            kept.append(j)
        rows.append(
            {
                "path": name,
                "max_mu_star_se": top,
                "moment": spec.facts[problem.fit_index[best]].id,
                "kept": keep,
            }
        )
    return kept, rows


def _fit(
    problem: MomentProblem,
    ev: Evaluator,
    u0: np.ndarray,
    *,
    replicates: int,
    scale: float,
    max_iterations: int,
    step: float,
    stage: str,
    weights: Callable[[np.ndarray], np.ndarray],
    t0: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Bounded least squares from ``u0``; returns (unit estimate, s of the weighting)."""

    def facts_at(units: np.ndarray, tag: str) -> np.ndarray:
        return _facts_at(problem, ev, units, replicates, scale, f"{stage}-{tag}")

    start = facts_at(u0[None, :], "start")[0][:, problem.fit_index]
    s = weights(start)
    it = {"n": 0}

    def residuals(u: np.ndarray) -> np.ndarray:
        v = _mean(facts_at(u[None, :], "point")[0][:, problem.fit_index], 0)
        it["n"] += 1
        r = np.nan_to_num((v - problem.data) / s)
        _say(f"{stage}: evaluation {it['n']}, objective {float(r @ r):.3f}", t0)
        return r

    def jacobian(u: np.ndarray) -> np.ndarray:
        pts, hs = _difference_points(u, step)
        v = _mean(facts_at(pts, "jacobian")[:, :, problem.fit_index], 1)
        return np.nan_to_num(_central(v, hs) / s[:, None])

    # A bounded Levenberg-Marquardt with an explicit trust region: each step solves the
    # linearised problem within the box and a radius (scipy.optimize.lsq_linear); a step that
    # does not lower the objective halves the step (the next radius), one that does doubles
    # the radius (to a third of the range) and the Jacobian is measured again there. The first
    # radius is twice the difference step: the start is the global search's best, not worth
    # leaving for far away.
    u = np.clip(np.asarray(u0, float), 0.0, 1.0)
    r = residuals(u)
    f = float(r @ r)
    jac = jacobian(u)
    radius = 2.0 * step
    evaluations = 1
    while evaluations < max_iterations and radius >= step / 4:
        lo = np.maximum(-u, -radius)
        hi = np.minimum(1.0 - u, radius)
        d = optimize.lsq_linear(jac, -r, bounds=(lo, hi)).x
        if np.max(np.abs(d)) < 1e-4:
            break
        r_new = residuals(u + d)
        evaluations += 1
        f_new = float(r_new @ r_new)
        accepted = f_new < f
        radius = next_radius(radius, d, accepted)
        if accepted:
            u, r, f = u + d, r_new, f_new
            if evaluations < max_iterations:
                jac = jacobian(u)
    return np.clip(u, 0.0, 1.0), s


def next_radius(radius: float, step: np.ndarray, accepted: bool) -> float:
    """The trust radius after a step (unit coordinates).

    Doubled, to a third of the range, if the step lowered the objective; else half the step
    that failed, not half the radius it stayed within: a step shorter than half the radius
    would otherwise be proposed (and measured) again.
    """
    if accepted:
        return min(1.0 / 3.0, 2.0 * radius)
    return float(np.max(np.abs(step))) / 2.0


def _facts_at(
    problem: MomentProblem,
    ev: Evaluator,
    units: np.ndarray,
    replicates: int,
    scale: float,
    stage: str,
) -> np.ndarray:
    """Every fact at rows of unit coordinates (point, replicate, fact), the spec's seed."""
    return ev.evaluate(
        problem.spec.scenario,
        problem.rows(units),
        replicates=replicates,
        seed=problem.spec.seed,
        scale=scale,
        stage=stage,
    )


def _central(v: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """The Jacobian (moment x parameter) from moments at the difference pairs (2K rows)."""
    return np.stack([(v[2 * j] - v[2 * j + 1]) / spans[j] for j in range(len(spans))], axis=1)


def _difference_points(u: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Central-difference pairs (one-sided at a bound) and their spans, in units."""
    k = len(u)
    pts, hs = [], []
    for j in range(k):
        up, down = u.copy(), u.copy()
        up[j] = min(1.0, u[j] + step)
        down[j] = max(0.0, u[j] - step)
        pts += [up, down]
        hs.append(up[j] - down[j])
    return np.array(pts), np.array(hs)


def estimate_behaviour(spec: CalibrationSpec, ev: Evaluator, t0: float | None = None) -> Estimate:
    """Run stage 1 (screening, global search, local refinement, diagnostics, robustness)."""
    t0 = time.perf_counter() if t0 is None else t0
    full = MomentProblem.of(spec)
    kept, screening = screen(full, ev, t0)
    fixed = {
        full.parameters[j].path: (
            float(value_at(spec.scenario, full.parameters[j].path)),
            f"moves no fitted moment by {spec.screening.threshold:g} s.e. over its range "
            f"(Morris mu* at most {screening[j]['max_mu_star_se']:.2f} s.e., on "
            f"{screening[j]['moment']})",
        )
        for j in range(len(full.parameters))
        if j not in kept
    }
    if not kept:
        raise RuntimeError("screening kept no parameter: nothing to estimate")
    problem = MomentProblem.of(spec, [full.parameters[j] for j in kept])
    _say(
        f"screening kept {len(kept)} of {len(full.parameters)}: "
        + ", ".join(q.path for q in problem.parameters),
        t0,
    )

    # Global search: the start and a Latin hypercube, at reduced scale.
    g = spec.global_search
    u_start = problem.start()
    units = np.vstack([u_start, lhs_unit(g.samples, len(kept), spec.seed)])
    _say(f"global search: {len(units)} points x {g.replicates} replicates at scale {g.scale:g}", t0)
    vals = _facts_at(problem, ev, units, g.replicates, g.scale, "global")[:, :, problem.fit_index]
    s_global = np.sqrt(problem.se_data**2 + _var(vals[0]) / g.replicates)
    obj = _objective(_mean(vals, 1), problem.data, s_global)
    best = int(np.argmin(obj))
    _say(f"global search: best objective {obj[best]:.3f} (start {obj[0]:.3f})", t0)

    # Local refinement at full scale, weights from the simulation variance at its start.
    loc = spec.local

    def diagonal(start: np.ndarray) -> np.ndarray:
        return np.sqrt(problem.se_data**2 + _var(start) / loc.replicates)

    u_hat, s = _fit(
        problem,
        ev,
        units[best],
        replicates=loc.replicates,
        scale=loc.scale,
        max_iterations=loc.max_iterations,
        step=loc.step,
        stage="local",
        weights=diagonal,
        t0=t0,
    )

    # Diagnostics at the estimate: one batch of the centre and its difference pairs.
    rd = loc.diagnostics_replicates
    pts, hs = _difference_points(u_hat, loc.step)
    _say(f"diagnostics: {len(pts) + 1} points x {rd} replicates at scale {loc.scale:g}", t0)
    allv = _facts_at(problem, ev, np.vstack([u_hat, pts]), rd, loc.scale, "diagnostics")
    centre = allv[0]
    fitv = _mean(allv[:, :, problem.fit_index], 1)
    g_unit = _central(fitv[1:], hs)
    g_nat = g_unit / problem.dnatural_dunit(u_hat)[None, :]
    w = 1.0 / s**2
    # The simulated moments' covariance across replicates (moments share their replicates).
    cov_rep = _cov(centre[:, problem.fit_index])
    data_var = np.diag(problem.se_data**2)
    cov = sandwich(g_nat, w, data_var + cov_rep / loc.replicates)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    sv = np.linalg.svd(g_unit / s[:, None], compute_uv=False)
    cond = float(sv[0] / sv[-1]) if sv[-1] > 0 else float("inf")
    mean_fit = fitv[0]
    j_stat, dof = overidentification(mean_fit - problem.data, g_nat, w, data_var + cov_rep / rd)
    p_j = float(stats.chi2.sf(j_stat, dof)) if dof > 0 else float("nan")
    x_hat = problem.natural(u_hat)

    # Robustness: relative-deviation ("identity") weighting at reduced scale.
    rb = spec.robustness
    robust = None
    if rb.max_iterations > 0:
        u_rob, _ = _fit(
            problem,
            ev,
            u_hat,
            replicates=rb.replicates,
            scale=rb.scale,
            max_iterations=rb.max_iterations,
            step=loc.step,
            stage="robustness",
            weights=lambda start: np.abs(problem.data) + 1e-12,
            t0=t0,
        )
        robust = problem.natural(u_rob)

    return Estimate(
        parameters=problem.parameters,
        fixed=fixed,
        estimate=x_hat,
        se=se,
        at_bound=(u_hat < 0.01) | (u_hat > 0.99),
        objective=float(_objective(mean_fit, problem.data, s)),
        j_statistic=j_stat,
        j_dof=dof,
        j_pvalue=p_j,
        singular_values=sv,
        condition_number=cond,
        facts_mean=_mean(centre, 0),
        facts_se=np.sqrt(_var(centre) / rd),
        facts_p5=np.nanquantile(centre, 0.05, axis=0),
        facts_p95=np.nanquantile(centre, 0.95, axis=0),
        facts_median=np.nanmedian(centre, axis=0),
        covariance=cov,
        screening=screening,
        global_best=problem.natural(units[best]),
        global_objective=float(obj[best]),
        robustness=robust,
        weights_se=s,
        settings={
            "screening": vars(spec.screening),
            "global": vars(g),
            "local": vars(loc),
            "robustness": vars(rb),
        },
    )
