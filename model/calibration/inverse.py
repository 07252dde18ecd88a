"""Stage 2: the policy strength the plan assumes, with behaviour fixed at the estimate.

For each lever (one or more policy strengths scaled together by one multiplier of the plan's
announced values; the others as announced) the calibrated plan runs at every multiplier of
the lever's grid, all points forked from one spin-up per batch of replicates (levers act after
the base year) and under common random numbers. For each ``inverse`` target the curve of the
median (and of the share of replicates attaining it) against the multiplier is made monotone
(pool-adjacent-violators: a lever is read as never hurting its target; a fall along the grid
is noise) and interpolated linearly; the implied multiplier is where it first reaches the goal
(median criterion) or the chosen probability (probability criterion).

Uncertainty: the seeds (replicates resampled with replacement, the curve and crossing redone)
and the behaviour (parameter vectors drawn from the estimate's normal approximation, clipped
to their ranges, each run on the same grid with fewer replicates). The 90% interval is the 5%
and 95% quantiles of the pooled implied values. A target that the grid's top does not reach
is "unreachable", with how far the median (or the probability) falls short there.
"""

from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.analysis.targets import meets
from model.calibration.estimate import Estimate, MomentProblem
from model.calibration.evaluate import Evaluator
from model.calibration.spec import CalibrationSpec, Lever
from model.config.targets import Target
from model.experiments.sweep import value_at
from model.experiments.sweep.points import Setting

__all__ = ["InverseRow", "implied_multiplier", "monotone", "solve_inverse"]


@dataclass(frozen=True)
class InverseRow:
    """One line of the inverse table."""

    target: str
    goal: float
    lever: str
    criterion: str  # "median" or "probability"
    implied: float  # multiplier of the announced values (inf: unreachable)
    low: float
    high: float
    reachable: bool
    at_top: float  # the median (or probability) at the grid's top
    at_announced: float  # the same at multiplier 1
    announced: str  # the lever's announced value(s), for the table
    shortfall: float  # goal (or probability) less what the grid's top reaches; 0 if reachable


def monotone(y: np.ndarray) -> np.ndarray:
    """The non-decreasing least-squares fit of ``y`` (pool-adjacent-violators)."""
    vals: list[float] = []
    sizes: list[int] = []
    for v in np.asarray(y, float):
        vals.append(v)
        sizes.append(1)
        while len(vals) > 1 and vals[-2] > vals[-1]:
            n = sizes[-2] + sizes[-1]
            vals[-2] = (vals[-2] * sizes[-2] + vals[-1] * sizes[-1]) / n
            sizes[-2] = n
            vals.pop()
            sizes.pop()
    return np.repeat(vals, sizes)


def implied_multiplier(x: np.ndarray, y: np.ndarray, goal: float) -> float:
    """The smallest x at which the monotone curve through (x, y) reaches ``goal``.

    Linear between grid points; ``x[0]`` if it is reached there already, ``inf`` if not at
    the top of the grid.
    """
    m = monotone(y)
    if m[0] >= goal:
        return float(x[0])
    hit = np.nonzero(m >= goal)[0]
    if not len(hit):
        return float("inf")
    i = int(hit[0])
    if m[i] == m[i - 1]:
        return float(x[i])
    return float(x[i - 1] + (goal - m[i - 1]) * (x[i] - x[i - 1]) / (m[i] - m[i - 1]))


def _grid(levers: tuple[Lever, ...]) -> tuple[list[list[Setting]], list[str], list[float]]:
    """Every lever's multipliers as points; the announced plan (all 1) once, first."""
    rows: list[list[Setting]] = [[]]
    names, mults = ["announced"], [1.0]
    for lv in levers:
        for m in lv.scale:
            if m == 1.0:
                continue
            rows.append([Setting(p, float(m), True) for p in lv.paths])
            names.append(lv.name)
            mults.append(float(m))
    return rows, names, mults


def _curve_points(
    lever: Lever, names: list[str], mults: list[float]
) -> tuple[np.ndarray, np.ndarray]:
    idx = [0] + [i for i, n in enumerate(names) if n == lever.name]
    x = np.array([mults[i] for i in idx])
    order = np.argsort(x)
    return x[order], np.array(idx)[order]


def _say(msg: str, t0: float) -> None:
    print(f"[calibrate {time.perf_counter() - t0:6.0f} s] {msg}", file=sys.stderr, flush=True)


def _announced(spec: CalibrationSpec, lever: Lever) -> str:
    out = []
    for p in lever.paths:
        v = value_at(spec.plan, p)
        out.append(f"{p.split('.')[-2]}.{p.split('.')[-1]} = {v}")
    return "; ".join(out)


def solve_inverse(
    spec: CalibrationSpec, est: Estimate, ev: Evaluator, t0: float | None = None
) -> tuple[list[InverseRow], dict[str, Any]]:
    """Run stage 2. Returns the inverse table and the calibrated plan's targets (evaluated)."""
    t0 = time.perf_counter() if t0 is None else t0
    inv = spec.inverse
    targets: list[Target] = list(spec.inverse_targets)
    evaluated = [t for t in spec.targets if t.use == "evaluated" and t.model_variable]
    all_targets = targets + evaluated
    rows, names, mults = _grid(inv.lever)
    problem = MomentProblem.of(spec, est.parameters)
    behaviour = {q.path: float(x) for q, x in zip(est.parameters, est.estimate, strict=True)}
    behaviour.update({p: v for p, (v, _) in est.fixed.items()})

    last_year = max(t.year for t in all_targets)

    def plan_at(values: dict[str, float]) -> Any:
        from model.config.scenario import resolve

        return resolve(spec.plan, overrides={**values, "end_year": last_year})

    plan = plan_at(behaviour)
    _say(
        f"inverse: {len(rows)} points x {inv.replicates} replicates at scale {inv.scale:g} "
        f"(one spin-up per batch)",
        t0,
    )
    nf = len(spec.facts)
    main = ev.evaluate(
        plan,
        rows,
        replicates=inv.replicates,
        seed=spec.seed,
        scale=inv.scale,
        stage="inverse",
        targets=all_targets,
    )[:, :, nf:]
    sims = [main[:, :, : len(targets)]]
    # Behaviour redrawn from the estimate's normal approximation (in unit coordinates).
    rng = np.random.default_rng(spec.seed)
    u_hat = problem.unit(est.estimate)
    d_unit = problem.dnatural_dunit(u_hat)
    cov_u = est.covariance / np.outer(d_unit, d_unit)
    degenerate = not np.all(np.isfinite(cov_u))
    if degenerate:  # (recorded: the interval then carries the seeds' uncertainty only)
        _say("inverse: the estimate's covariance is not finite; behaviour is not redrawn", t0)
        cov_u = np.zeros_like(cov_u)
    for d in range(inv.draws):
        u = np.clip(rng.multivariate_normal(u_hat, cov_u, method="eigh"), 0.0, 1.0)
        drawn = dict(behaviour)
        drawn.update(
            {q.path: float(x) for q, x in zip(est.parameters, problem.natural(u), strict=True)}
        )
        _say(f"inverse: behaviour draw {d + 1}/{inv.draws}", t0)
        v = ev.evaluate(
            plan_at(drawn),
            rows,
            replicates=inv.draw_replicates,
            seed=spec.seed,
            scale=inv.scale,
            stage=f"inverse-draw{d}",
            targets=targets,
        )[:, :, nf:]
        sims.append(v)

    table = []
    boot = np.random.default_rng(spec.seed + 7)
    for ti, t in enumerate(targets):
        for lv in inv.lever:
            x, idx = _curve_points(lv, names, mults)
            for criterion in ("median", "probability"):
                goal = t.value if criterion == "median" else inv.probability

                # A ceiling ("le") is met from above: its median curve is read with the sign
                # flipped (the probability of meeting it rises either way).
                sign = -1.0 if t.comparison == "le" else 1.0
                unflip = sign if criterion == "median" else 1.0
                goal_read = unflip * goal

                def stat(
                    y: np.ndarray, target: Target = t, crit: str = criterion, sign: float = sign
                ) -> np.ndarray:
                    # y: (point, replicate) -> one number per point
                    if crit == "median":
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore", RuntimeWarning)
                            return sign * np.nanmedian(y, axis=1)
                    return np.mean(meets(y, target), axis=1)

                y0 = sims[0][idx, :, ti]
                point = implied_multiplier(x, stat(y0), goal_read)
                pool = []
                # Every batch (the estimate's and each behaviour draw's) resampled equally often.
                per = max(1, inv.bootstrap // len(sims))
                for sim in sims:
                    y = sim[idx, :, ti]
                    n = y.shape[1]
                    for _ in range(per):
                        pick = boot.integers(0, n, n)
                        pool.append(implied_multiplier(x, stat(y[:, pick]), goal_read))
                pool_a = np.array(pool)
                lo, hi = (
                    float(np.quantile(pool_a, q, method="inverted_cdf")) for q in (0.05, 0.95)
                )
                top = unflip * float(monotone(stat(y0))[-1])
                announced = int(np.flatnonzero(x == 1.0)[0])  # the plan as announced
                at1 = unflip * float(stat(y0)[announced])
                reachable = bool(np.isfinite(point))
                table.append(
                    InverseRow(
                        target=t.id,
                        goal=float(goal),
                        lever=lv.name,
                        criterion=criterion,
                        implied=point,
                        low=lo,
                        high=hi,
                        reachable=reachable,
                        at_top=top,
                        at_announced=at1,
                        announced=_announced(spec, lv),
                        shortfall=0.0 if reachable else float(abs(goal - top)),
                    )
                )
    # The calibrated plan's targets, inverse and evaluated, at the announced strengths.
    at_plan = main[0]
    evaluated_rows = []
    for ti, t in enumerate(all_targets):
        v = at_plan[:, ti]
        evaluated_rows.append(
            {
                "id": t.id,
                "use": t.use,
                "goal": t.value,
                "unit": t.unit,
                "year": t.year,
                "median": float(np.median(v)),
                "p5": float(np.quantile(v, 0.05)),
                "p95": float(np.quantile(v, 0.95)),
                "attainment": float(np.mean(meets(v, t))),
            }
        )
    return table, {
        "targets": evaluated_rows,
        "lever_points": len(rows),
        "behaviour_draws_degenerate": degenerate,
    }
