"""The two-stage calibration: its pieces against closed forms, its spec's errors, parameter
recovery at small scale, the checkpoint and resume, and the calibrated file's inheritance."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from model.calibration import (
    Evaluator,
    MomentProblem,
    calibrate,
    estimate_behaviour,
    fit_report,
    implied_multiplier,
    load_calibration,
    monotone,
    read_calibrated,
)
from model.calibration.estimate import overidentification, sandwich
from model.cli import main
from model.config.data import load_facts
from model.config.errors import ScenarioError
from model.config.scenario import load_scenario
from model.experiments.sweep import value_at

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "data" / "calibration_small.toml"
SPEC = ROOT / "calibration" / "zhejiang.toml"
CALIBRATED = ROOT / "calibration" / "zhejiang.calibrated.toml"


# ----------------------------------------------------------------- closed forms


def test_monotone_is_the_pool_adjacent_violators_fit() -> None:
    assert np.allclose(monotone(np.array([1.0, 3.0, 2.0, 4.0])), [1.0, 2.5, 2.5, 4.0])
    assert np.allclose(monotone(np.array([3.0, 2.0, 1.0])), [2.0, 2.0, 2.0])
    y = np.array([0.0, 1.0, 5.0])
    assert np.allclose(monotone(y), y)


def test_implied_multiplier_interpolates_the_first_crossing() -> None:
    x = np.array([0.0, 1.0, 2.0, 4.0])
    y = np.array([10.0, 12.0, 16.0, 20.0])
    assert implied_multiplier(x, y, 14.0) == pytest.approx(1.5)
    assert implied_multiplier(x, y, 18.0) == pytest.approx(3.0)
    assert implied_multiplier(x, y, 9.0) == 0.0  # met without the lever
    assert implied_multiplier(x, y, 21.0) == float("inf")  # unreachable on the grid
    # A dip along the grid is read as noise, not as the lever hurting its target.
    assert implied_multiplier(x, np.array([10.0, 13.0, 12.0, 20.0]), 14.0) > 2.0


def test_a_failed_step_is_not_proposed_again() -> None:
    from model.calibration.estimate import next_radius

    # A step of 0.05 that failed within a radius of 0.2: the next radius is below it, so the
    # linearised problem cannot propose the same point again (half the radius, 0.1, would).
    step = np.array([0.05, -0.02])
    assert next_radius(0.2, step, accepted=False) == pytest.approx(0.025)
    # A step that lowered the objective doubles the radius, up to a third of the range.
    assert next_radius(0.1, step, accepted=True) == pytest.approx(0.2)
    assert next_radius(0.3, step, accepted=True) == pytest.approx(1.0 / 3.0)


def test_unit_coordinates_round_trip_with_a_log_transform() -> None:
    spec = load_calibration(SPEC)
    # The shipped spec estimates on linear scales only: one parameter put on a log scale.
    first = dataclasses.replace(spec.parameters[0], transform="log")
    spec = spec.with_(parameters=(first, *spec.parameters[1:]))
    problem = MomentProblem.of(spec)
    x = np.array(
        [
            float(np.sqrt(q.low * q.high)) if q.transform == "log" else q.low
            for q in problem.parameters
        ]
    )
    u = problem.unit(x)
    assert np.allclose(problem.natural(u), x)
    logs = [j for j, q in enumerate(problem.parameters) if q.transform == "log"]
    assert logs and np.allclose(u[logs], 0.5)  # the geometric mean is the middle of a log range


def test_the_sandwich_and_j_reduce_to_their_efficient_forms() -> None:
    """With W = Omega^-1 the sandwich is (G'WG)^-1 and J is e' Omega^-1 e less the fit."""
    rng = np.random.default_rng(1)
    m, k = 6, 2
    g = rng.normal(size=(m, k))
    sd = rng.uniform(0.5, 2.0, m)
    omega = np.diag(sd**2)
    w = 1.0 / sd**2
    cov = sandwich(g, w, omega)
    assert np.allclose(cov, np.linalg.inv(g.T @ np.diag(w) @ g))
    # Residuals the parameters can fit exactly (in G's span) give J = 0; others do not.
    assert overidentification(g @ np.array([0.3, -1.0]), g, w, omega)[0] == pytest.approx(
        0, abs=1e-9
    )
    e = rng.normal(size=m)
    beta = np.linalg.solve(g.T @ np.diag(w) @ g, g.T @ (w * e))
    resid = e - g @ beta
    j, dof = overidentification(e, g, w, omega)
    assert dof == m - k and j == pytest.approx(float(resid @ (w * resid)))
    # A non-optimal weighting inflates the sandwich over (G'Omega^-1 G)^-1.
    other = sandwich(g, np.ones(m), omega)
    assert np.all(np.linalg.eigvalsh(other - cov) > -1e-12)


# ----------------------------------------------------------------- data and spec


def test_every_fact_has_a_use_and_a_standard_error() -> None:
    facts = load_facts()
    assert {f.use for f in facts} == {"fit", "held_out", "report"}
    assert all(f.se > 0 and f.se_why for f in facts)
    assert all(f.scale_free for f in facts if f.use == "fit")
    # The 2024 outturns are held out of the fit.
    assert all(f.use == "held_out" for f in facts if f.kind == "outturn" and f.year >= 2024)


def test_a_fitted_moment_must_be_scale_free(tmp_path: Path) -> None:
    text = (ROOT / "calibration" / "data.toml").read_text(encoding="utf-8")
    bad = text.replace(
        'scale_free = false\nkind = "base_year"\nuse = "report"',
        'scale_free = false\nkind = "base_year"\nuse = "fit"',
        1,
    )
    assert bad != text
    (tmp_path / "data.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(ScenarioError, match="scale_free"):
        load_facts(tmp_path / "data.toml")


def _spec_with(tmp_path: Path, extra: str) -> Path:
    p = tmp_path / "spec.toml"
    p.write_text(f'extends = "{SMALL.as_posix()}"\n' + _paths() + extra, encoding="utf-8")
    return p


def _paths() -> str:
    return (
        f'scenario = "{(ROOT / "scenarios" / "status_quo.toml").as_posix()}"\n'
        f'plan = "{(ROOT / "scenarios" / "plan.toml").as_posix()}"\n'
        f'data = "{(ROOT / "calibration" / "data.toml").as_posix()}"\n'
        f'targets = "{(ROOT / "calibration" / "targets.toml").as_posix()}"\n'
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[[parameter]]\npath = "market.no_such"\nlow = 0.0\nhigh = 1.0\n', "no_such"),
        (
            '[[parameter]]\npath = "market.growth_shock_sd"\nlow = 0.5\nhigh = 0.4\n',
            "must exceed low",
        ),
        (
            '[[parameter]]\npath = "market.growth_shock_sd"\nlow = 0.0\nhigh = 1.0\n'
            'transform = "log"\n',
            "low > 0",
        ),
        ('[[parameter]]\npath = "market.growth_shock_sd"\nlow = 0.3\nhigh = 0.4\n', "outside"),
        (
            '[[parameter]]\npath = "market.growth_shock_sd"\nlow = 0.1\nhigh = 0.4\n'
            '[[inverse.lever]]\nname = "x"\npaths = ["instruments.rd_bonus.reward_rate"]\n'
            "scale = [1.0, 0.5, 2.0]\n",
            "increasing",
        ),
        ("[screening]\nscale = 2.0\n", "screening.scale"),
        ('[[parameter]]\npath = "region.status"\nlow = 0.0\nhigh = 1.0\n', "region.<section>"),
    ],
)
def test_bad_specs_get_one_line_errors(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message) as e:
        load_calibration(_spec_with(tmp_path, extra))
    assert "\n" not in str(e.value)


def test_a_spec_can_estimate_a_number_of_the_region_file(tmp_path: Path) -> None:
    path = "region.status.single_champion_productivity_rank"
    spec = load_calibration(
        _spec_with(tmp_path, f'[[parameter]]\npath = "{path}"\nlow = 0.95\nhigh = 0.998\n')
    )
    assert [q.path for q in spec.parameters] == [path]


def test_cli_bad_spec_exits_2_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    spec = _spec_with(tmp_path, '[[parameter]]\npath = "market.no_such"\nlow = 0.0\nhigh = 1.0\n')
    assert main(["calibrate", str(spec), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err and "no_such" in err
    assert main(["fit-report", str(tmp_path / "missing.toml")]) == 2


# ----------------------------------------------------------------- the calibrated file


def _scenario_files(tmp_path: Path, estimate: float) -> Path:
    (tmp_path / "cal.toml").write_text(
        '[[parameter]]\npath = "market.growth_shock_sd"\n'
        f"estimate = {estimate}\nse = 0.01\nlow = 0.1\nhigh = 0.45\n",
        encoding="utf-8",
    )
    base = (ROOT / "scenarios" / "plan.toml").as_posix()
    (tmp_path / "parent.toml").write_text(
        f'extends = "{base}"\ncalibration = "cal.toml"\n', encoding="utf-8"
    )
    (tmp_path / "child.toml").write_text(
        'extends = "parent.toml"\n[market]\ngrowth_size_drift = 0.001\n', encoding="utf-8"
    )
    (tmp_path / "override.toml").write_text(
        'extends = "parent.toml"\n[market]\ngrowth_shock_sd = 0.2\n', encoding="utf-8"
    )
    return tmp_path


def test_a_scenario_inherits_the_calibrated_estimates(tmp_path: Path) -> None:
    d = _scenario_files(tmp_path, 0.333)
    sc = load_scenario(d / "child.toml")
    assert sc.market.growth_shock_sd == 0.333
    assert sc.calibration == "cal.toml"
    assert "calibrated (cal.toml)" in sc.market.source["growth_shock_sd"]
    # A file below the one naming the calibration still overrides it.
    assert load_scenario(d / "override.toml").market.growth_shock_sd == 0.2
    # Uncalibrated: the values the files write.
    raw = load_scenario(d / "child.toml", calibrated=False)
    assert raw.calibration == ""
    assert (
        raw.market.growth_shock_sd
        == load_scenario(ROOT / "scenarios" / "plan.toml", calibrated=False).market.growth_shock_sd
    )


def test_a_region_estimate_reaches_the_region_file(tmp_path: Path) -> None:
    d = _scenario_files(tmp_path, 0.333)
    with (d / "cal.toml").open("a", encoding="utf-8") as fh:
        fh.write(
            '[[parameter]]\npath = "region.status.single_champion_productivity_rank"\n'
            "estimate = 0.991\nse = 0.002\nlow = 0.95\nhigh = 0.998\n"
        )
    sc = load_scenario(d / "child.toml")
    assert sc.region.status.single_champion_productivity_rank == 0.991
    assert "calibrated (cal.toml)" in sc.region.status.source["single_champion_productivity_rank"]
    assert sc.market.growth_shock_sd == 0.333  # the scenario's estimates as before
    # A run's override still wins; uncalibrated, the region file's own value stands.
    key = "region.status.single_champion_productivity_rank"
    assert (
        load_scenario(d / "child.toml", {key: 0.99}).region.status.single_champion_productivity_rank
        == 0.99
    )
    raw = load_scenario(d / "child.toml", calibrated=False)
    plain = load_scenario(ROOT / "scenarios" / "plan.toml", calibrated=False)
    assert (
        raw.region.status.single_champion_productivity_rank
        == plain.region.status.single_champion_productivity_rank
        != 0.991
    )
    # A region path needs its section and field.
    (d / "cal.toml").write_text(
        '[[parameter]]\npath = "region.status"\nestimate = 0.9\n', encoding="utf-8"
    )
    with pytest.raises(ScenarioError, match="region.<section>.<field>"):
        load_scenario(d / "child.toml")


def test_a_child_can_opt_out_of_its_parents_calibration(tmp_path: Path) -> None:
    d = _scenario_files(tmp_path, 0.333)
    (d / "out.toml").write_text('extends = "parent.toml"\ncalibration = ""\n', encoding="utf-8")
    sc = load_scenario(d / "out.toml")
    assert sc.calibration == ""
    raw = load_scenario(ROOT / "scenarios" / "plan.toml", calibrated=False)
    assert sc.market.growth_shock_sd == raw.market.growth_shock_sd != 0.333


def test_a_broken_calibrated_file_is_a_clear_error(tmp_path: Path) -> None:
    d = _scenario_files(tmp_path, 0.3)
    (d / "cal.toml").write_text(
        '[[parameter]]\npath = "market"\nestimate = "x"\n', encoding="utf-8"
    )
    with pytest.raises(ScenarioError, match="numeric estimate"):
        load_scenario(d / "child.toml")
    (d / "cal.toml").unlink()
    with pytest.raises(ScenarioError, match="calibration.*file not found"):
        load_scenario(d / "child.toml")


def test_the_default_scenarios_use_the_committed_calibration() -> None:
    doc = read_calibrated(CALIBRATED)
    plan = load_scenario(ROOT / "scenarios" / "plan.toml")
    assert plan.calibration.endswith("zhejiang.calibrated.toml")
    for q in doc["parameter"]:
        assert value_at(plan, q["path"]) == pytest.approx(float(q["estimate"]))  # region.… too
    report = fit_report(doc)
    for heading in ("Moments", "Parameters", "What policy strength", "calibrated plan"):
        assert heading in report
    assert len(doc["inverse"]) >= 4 and {r["criterion"] for r in doc["inverse"]} == {
        "median",
        "probability",
    }


# ----------------------------------------------------------------- estimation


def _pseudo_spec(spec, theta0: dict[str, float], seed: int, replicates: int, scale: float):
    """The spec with its fitted facts replaced by the model's own means at ``theta0``."""
    from model.experiments.sweep.points import Setting

    ev = Evaluator(tuple(spec.facts))
    v = ev.evaluate(
        spec.scenario,
        [[Setting(p, x) for p, x in theta0.items()]],
        replicates=replicates,
        seed=seed,
        scale=scale,
        stage="pseudo",
    )[0]
    mean = v.mean(axis=0)
    se = v.std(axis=0, ddof=1) / np.sqrt(replicates)
    facts = tuple(
        dataclasses.replace(f, value=float(mean[i]), se=float(max(se[i], 1e-6)), low=-1e9, high=1e9)
        if f.use == "fit"
        else f
        for i, f in enumerate(spec.facts)
    )
    return spec.with_(facts=facts)


@pytest.mark.xfail(
    strict=True,
    reason="noise-limited local search (docs/ODD.md IV): 7 of 10 data seeds recover both "
    "parameters within two s.e. at 12781b3, and this seed does not (growth-shock sd 0.270 "
    "against 0.32, s.e. 0.013)",
)
def test_parameter_recovery_at_small_scale() -> None:
    """Pseudo-data at known parameters (one seed block), estimated with another.

    The local search is noise-limited (docs/ODD.md section IV, 'Parameter recovery'): a
    4-replicate evaluation at scale 0.1 is about as noisy as the gain from start to truth.
    Over ten data seeds both parameters come out within two s.e. for about 6 or 7 (6 before
    the spin-up ran on part of the slots, 9 with 0.1 spare slots, 6 with none, 7 since
    entrants take their cluster's lowest free slots: 2026-12-05). This seed was among them
    between the first two changes and is not since the third, so the test is a strict
    expected failure again, as it was until the first: it fails when this seed recovers.
    """
    spec = load_calibration(SMALL)
    spec = spec.with_(parameters=spec.parameters[:2])  # growth_shock_sd, wear_rate
    theta0 = {"market.growth_shock_sd": 0.32, "investment.wear_rate": 0.042}
    # The pseudo-data at the scale the local stage simulates, as the real data are at the full
    # scale of the real spec's local stage: small-sample moments (kurtosis, the volatility
    # slope) differ with the firm count, and data made at 0.05 against simulations at 0.1
    # biased the growth-shock sd down (z of -0.4, -1.6, -6.6 and -0.5 across four data seeds).
    scale = spec.local.scale
    pseudo = _pseudo_spec(spec, theta0, seed=spec.pseudo_data_seed, replicates=8, scale=scale)
    pseudo = pseudo.with_(
        screening=dataclasses.replace(pseudo.screening, threshold=0.0),
        local=dataclasses.replace(
            pseudo.local, replicates=4, max_iterations=5, diagnostics_replicates=4
        ),
    )
    est = estimate_behaviour(pseudo, Evaluator(tuple(pseudo.facts)))
    truth = np.array([theta0[q.path] for q in est.parameters])
    span = np.array([q.high - q.low for q in est.parameters])
    # Identified: standard errors well inside the ranges.
    assert np.all(np.isfinite(est.se)) and np.all((est.se > 0) & (est.se < span / 4)), est.se
    # Recovered within two reported standard errors ...
    assert np.all(np.abs(est.estimate - truth) <= 2.0 * est.se), (est.estimate, truth, est.se)
    # ... from a start (the scenario's values) that was not: the estimator moved.
    problem = MomentProblem.of(pseudo, est.parameters)
    start = problem.natural(problem.start())
    assert np.any(np.abs(start - truth) > 2.0 * est.se)


@pytest.mark.slow
def test_parameter_recovery_four_parameters() -> None:
    spec = load_calibration(SPEC)
    keep = (
        "market.growth_shock_sd",
        "investment.wear_rate",
        "market.national_share_elasticity",
        "initial.productivity_dispersion",
    )
    spec = spec.with_(parameters=tuple(q for q in spec.parameters if q.path in keep))
    theta0 = {
        "market.growth_shock_sd": 0.3,
        "investment.wear_rate": 0.04,
        "market.national_share_elasticity": 3.5,
        "initial.productivity_dispersion": 0.7,
    }
    pseudo = _pseudo_spec(spec, theta0, seed=spec.pseudo_data_seed, replicates=8, scale=0.2)
    pseudo = pseudo.with_(
        screening=dataclasses.replace(pseudo.screening, threshold=0.0, scale=0.2),
        global_search=dataclasses.replace(pseudo.global_search, samples=16, scale=0.2),
        local=dataclasses.replace(pseudo.local, scale=0.2, max_iterations=12),
        robustness=dataclasses.replace(pseudo.robustness, max_iterations=0),
    )
    est = estimate_behaviour(pseudo, Evaluator(tuple(pseudo.facts)))
    truth = np.array([theta0[q.path] for q in est.parameters])
    ok = np.abs(est.estimate - truth) <= 2.0 * est.se
    assert ok.sum() >= len(truth) - 1, (est.estimate, truth, est.se)


def test_a_killed_calibration_resumes_to_the_same_result(tmp_path: Path) -> None:
    spec = load_calibration(SMALL)
    spec = spec.with_(output=tmp_path / "small.calibrated.toml")
    first = calibrate(spec, tmp_path / "ck", workers=2, progress=False)
    assert (tmp_path / "small.calibrated.toml").is_file()
    evaluations = sorted((tmp_path / "ck" / "small" / "evaluations").glob("*.npz"))
    assert len(evaluations) > 4
    with pytest.raises(ScenarioError, match="--resume"):
        calibrate(spec, tmp_path / "ck", progress=False, write=False)
    # Lose the later half of the batches, as if killed there; the resumed run (serial this
    # time) recomputes only those and reaches the same numbers.
    for p in evaluations[len(evaluations) // 2 :]:
        p.unlink()
    shutil.rmtree(tmp_path / "ck" / "small" / "runs", ignore_errors=True)
    again = calibrate(spec, tmp_path / "ck", workers=1, resume=True, progress=False, write=False)
    # Only the lost batches were simulated again.
    assert 0 < again["runs_simulated_here"] < first["runs_simulated_here"] == first["runs"]
    skip = ("elapsed_s", "runs_simulated_here")
    strip = lambda d: {k: v for k, v in d.items() if k not in skip}  # noqa: E731
    assert strip(again) == strip(first)
    doc = read_calibrated(tmp_path / "small.calibrated.toml")
    assert {m["name"] for m in doc["moment"]} == {f.id for f in spec.facts}
