"""Command line: ``python -m model run|sweep|sensitivity|views ...``.

User mistakes (a bad scenario file, a bad override, a missing file) are reported in one
line on stderr with exit code 2, never with a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import xarray as xr

from model.analysis.facts import evaluate_facts
from model.config.data import load_facts
from model.config.errors import ScenarioError
from model.config.files import find
from model.config.scenario import load_scenario
from model.config.toml import read_toml
from model.experiments.run import firm_panel, run
from model.experiments.sensitivity import load_sensitivity, sensitivity
from model.experiments.sweep import load_sweep, sweep
from model.outputs.files import write_netcdf
from model.report.parameters import parameters_markdown
from model.report.tables import facts_table, summary, sweep_summary, table


def _parse_override(text: str) -> tuple[str, object]:
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError(
            "--set", text, "expected KEY=VALUE, e.g. instruments.rd_bonus.reward_rate=0.2"
        )
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()  # a bare word is a string, as in `demand.outside_machine_path=high`
    return key.strip(), value


def _cmd_run(args: argparse.Namespace) -> int:
    overrides = dict(_parse_override(s) for s in args.set or [])
    t0 = time.perf_counter()
    scenario = load_scenario(args.scenario, overrides)
    ds = run(scenario, replicates=args.replicates, seed=args.seed, workers=args.workers)
    elapsed = time.perf_counter() - t0
    out = Path(args.out)
    path = write_netcdf(ds, out / f"{scenario.name}.nc")
    written = [path]
    if args.firms:
        panel = firm_panel(scenario, replicate=0, seed=args.seed)
        written.append(write_netcdf(panel, out / f"{scenario.name}.firms.nc"))
    print(summary(ds))
    print()
    wrote = ", ".join(str(p) for p in written)
    print(f"{ds.sizes['replicate']} replicates in {elapsed:.1f} s; wrote {wrote}")
    return 0


def _parse_where(items: list[str] | None) -> dict[str, object]:
    out: dict[str, object] = {}
    for text in items or []:
        key, sep, raw = text.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(
                "--counterfactual", text, "expected KEY=VALUE, e.g. scenario=no_policy"
            )
        out[key.strip()] = _parse_override(text)[1]
    return out


def _executor_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="results", help="output folder (default: results)")
    p.add_argument(
        "--replicates", type=int, default=None, help="replicates per point (default: the file's)"
    )
    ex = p.add_mutually_exclusive_group()
    ex.add_argument(
        "--workers", type=int, default=1, help="local worker processes (results are identical)"
    )
    ex.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="dask.distributed scheduler to run on, e.g. tcp://host:8786",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run in --out: finished tasks are not recomputed",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=None,
        metavar="N",
        help="replicates per task (default: chosen; results do not depend on it)",
    )
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a parameter at every point (repeatable)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _cmd_sweep(args: argparse.Namespace) -> int:
    overrides = dict(_parse_override(s) for s in args.set or [])
    where = _parse_where(args.counterfactual)
    sw = load_sweep(args.sweep, replicates=args.replicates, overrides=overrides)
    names = {d.name for d in sw.dims} | {str(d.attrs.get("path")) for d in sw.dims}
    for key in where:  # checked now, not after hours of computing
        if key not in names:
            raise ScenarioError(
                "--counterfactual",
                key,
                "no sweep dim or swept path of that name "
                f"(dims: {', '.join(d.name for d in sw.dims)})",
            )
    t0 = time.perf_counter()
    try:
        ds = sweep(
            sw,
            args.out,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            batch_size=args.batch_size,
            progress=False if args.no_progress else None,
        )
    except KeyboardInterrupt:
        print(
            f"interrupted: finished tasks are kept in {Path(args.out) / (sw.name + '.parts')}; "
            "rerun with --resume to continue",
            file=sys.stderr,
        )
        return 130
    elapsed = time.perf_counter() - t0
    print(sweep_summary(ds, where or None))
    print()
    print(
        f"{sw.n_points} points x {sw.replicates} replicates in {elapsed:.1f} s; "
        f"wrote {Path(args.out) / (sw.name + '.nc')}"
    )
    return 0


def _cmd_sensitivity(args: argparse.Namespace) -> int:
    overrides = dict(_parse_override(s) for s in args.set or [])
    spec = load_sensitivity(args.spec, replicates=args.replicates, overrides=overrides)
    t0 = time.perf_counter()
    try:
        res = sensitivity(
            spec,
            args.out,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            batch_size=args.batch_size,
            progress=False if args.no_progress else None,
        )
    except KeyboardInterrupt:
        print(
            f"interrupted: finished tasks are kept in {Path(args.out) / (spec.name + '.parts')}; "
            "rerun with --resume to continue",
            file=sys.stderr,
        )
        return 130
    elapsed = time.perf_counter() - t0
    conf = f"{res.attrs['conf_level']:.0%}"
    print(
        f"{spec.method.capitalize()} analysis {spec.name!r} of {len(spec.names)} parameters: "
        f"{res.attrs['points']} points x {spec.replicates} replicates (common random numbers), "
        f"each output reduced by its median or mean across replicates; {conf} confidence "
        "half-widths."
    )
    print(table(res))
    print()
    print(
        f"in {elapsed:.1f} s; wrote {Path(args.out) / (spec.name + '.nc')} and "
        f"{Path(args.out) / (spec.name + '.indices.nc')}"
    )
    return 0


def _cmd_views(args: argparse.Namespace) -> int:
    path = Path(args.results)
    ds = _open_results(path)
    with _needs_variables(path, ds):
        if "sweep_dims" not in ds.attrs:
            print(summary(ds))
            return 0
        print(sweep_summary(ds, _parse_where(args.counterfactual) or None))
    return 0


@contextlib.contextmanager
def _needs_variables(path: Path, ds: xr.Dataset) -> Iterator[None]:
    """A variable a view needs and the file lacks (an older version wrote it): a clear error."""
    try:
        yield
    except KeyError as e:
        name = str(e.args[0]) if e.args else "?"
        if name in ds.variables:
            raise
        raise ScenarioError(
            str(path),
            name,
            f"the results file has no variable {name!r}, which this version's views need "
            f"(the file was written by code {ds.attrs.get('code_version', '?')}); run the "
            "scenario or sweep again",
        ) from None


def _cmd_charts(args: argparse.Namespace) -> int:
    from model.plot import charts

    path = Path(args.results)
    if path.suffix == ".toml":
        from model.calibration import read_calibrated

        ds = read_calibrated(path)
    else:
        ds = _open_results(path)
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    with _needs_variables(path, ds):
        for written in charts(ds, args.out, lang=args.lang, formats=formats, font=args.font):
            print(f"wrote {written}")
    return 0


def _cmd_facts(args: argparse.Namespace) -> int:
    if args.results:
        ds = _open_results(Path(args.results))
    else:
        overrides = dict(_parse_override(s) for s in args.set or [])
        scenario = load_scenario(args.scenario, overrides)
        ds = run(scenario, replicates=args.replicates, seed=args.seed, workers=args.workers)
    rows = evaluate_facts(ds, load_facts(args.data) if args.data else None)
    scale = float(tomllib.loads(ds.attrs["scenario"])["market"]["firm_scale"])
    title = (
        f"Facts of {ds.attrs.get('region_name')} (calibration/data.toml) against scenario "
        f"{ds.attrs.get('scenario_name')!r}: {ds.sizes['replicate']} replicates, seed "
        f"{ds.attrs.get('seed')}, firm scale {scale:g}, code {ds.attrs.get('code_version')}."
    )
    print(facts_table(rows, title))
    return 0


def _open_results(path: Path) -> xr.Dataset:
    if not path.is_file():
        raise ScenarioError(str(path), "", "file not found")
    try:
        with xr.open_dataset(path, engine="h5netcdf") as f:
            return f.load()
    except (OSError, ValueError) as e:
        raise ScenarioError(str(path), "", f"not a results file: {e}") from None


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from model.calibration import calibrate, fit_report, load_calibration

    overrides = dict(_parse_override(s) for s in args.set or [])
    spec = load_calibration(args.spec, overrides=overrides)
    if args.output:
        spec = spec.with_(output=Path(args.output))
    try:
        doc = calibrate(
            spec,
            args.out,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            progress=False if args.no_progress else None,
        )
    except KeyboardInterrupt:
        print(
            f"interrupted: finished batches are kept in {Path(args.out) / spec.name}; "
            "rerun with --resume to continue",
            file=sys.stderr,
        )
        return 130
    print(fit_report(doc))
    print()
    print(f"wrote {spec.output}")
    return 0


def _cmd_fit_report(args: argparse.Namespace) -> int:
    from model.calibration import fit_report, read_calibrated

    print(fit_report(read_calibrated(args.file)))
    return 0


def _cmd_parameters(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    doc = read_toml(find(args.scenario))
    region_file = Path(doc.origin("region")).parent / str(doc.data["region"])
    text = parameters_markdown(
        scenario, Path(args.scenario).as_posix(), Path(os.path.normpath(region_file)).as_posix()
    )
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    parser = argparse.ArgumentParser(prog="python -m model", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a scenario's replicates and write DIR/<name>.nc")
    run.add_argument("scenario", help="scenario TOML file, e.g. scenarios/plan.toml")
    run.add_argument(
        "--replicates", type=int, default=None, help="number of replicates (default: the file's)"
    )
    run.add_argument("--seed", type=int, default=None, help="root seed (default: the file's)")
    run.add_argument(
        "--workers", type=int, default=1, help="local worker processes (results are identical)"
    )
    run.add_argument("--out", default="results", help="output folder (default: results)")
    run.add_argument(
        "--firms", action="store_true", help="also write the firm x year panel of replicate 0"
    )
    run.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a parameter, e.g. --set instruments.rd_bonus.reward_rate=0.2 (repeatable)",
    )
    run.set_defaults(func=_cmd_run)

    sw = sub.add_parser(
        "sweep",
        help="run a sweep's points x replicates into DIR/<name>.nc and print its views",
        description="Run every point of a sweep file (scenarios/sweeps/*.toml) with common random "
        "numbers into one dataset DIR/<name>.nc; finished tasks are kept in DIR/<name>.parts "
        "so that --resume continues an interrupted sweep.",
    )
    sw.add_argument(
        "sweep", help="sweep TOML file, e.g. scenarios/sweeps/instrument_combinations.toml"
    )
    _executor_args(sw)
    sw.add_argument(
        "--counterfactual",
        action="append",
        metavar="KEY=VALUE",
        help="the point differences are taken against, e.g. scenario=no_policy or "
        "instruments.rd_bonus.enabled=false (repeatable; default: the status quo, i.e. every "
        "swept instruments.X.as_before_plan true or the status_quo scenario; else every swept "
        "instrument off or the no_policy scenario)",
    )
    sw.set_defaults(func=_cmd_sweep)

    se = sub.add_parser(
        "sensitivity",
        help="Sobol or Morris sensitivity analysis of a spec (scenarios/sensitivity/*.toml)",
        description="Sample the spec's parameters (SALib), run every point with common random "
        "numbers (as a sweep: same executors and --resume), and print the indices; writes "
        "DIR/<name>.nc (the runs) and DIR/<name>.indices.nc.",
    )
    se.add_argument(
        "spec", help="sensitivity TOML file, e.g. scenarios/sensitivity/levers_morris.toml"
    )
    _executor_args(se)
    se.set_defaults(func=_cmd_sensitivity)

    vw = sub.add_parser("views", help="print the derived views of a results file (run or sweep)")
    vw.add_argument("results", help="a results file, e.g. results/instrument_combinations.nc")
    vw.add_argument(
        "--counterfactual",
        action="append",
        metavar="KEY=VALUE",
        help="the point differences are taken against (see sweep)",
    )
    vw.set_defaults(func=_cmd_views)

    ch = sub.add_parser(
        "charts",
        help="draw the briefing charts a results file supports (PNG and PDF)",
        description="Draw every chart of the briefing pack the file supports into DIR and print "
        "what was written: from a run, the headline fan, firm sizes and machine ages; from a "
        "scenario sweep, the plan against its counterfactuals, attainment, policy effects (and "
        "the distributions); from an instrument-switch sweep, the Shapley waterfall and value "
        "added per yuan; from a lever sweep, the lever chart or two-lever map; from a "
        "sensitivity result (*.indices.nc), the indices; from a calibrated-parameters file "
        "(*.calibrated.toml), the fit and the implied policy strengths.",
    )
    ch.add_argument(
        "results",
        help="a results file (results/plan.nc), sensitivity indices (*.indices.nc) or "
        "calibration/<region>.calibrated.toml",
    )
    ch.add_argument("--out", default="charts", help="output folder (default: charts)")
    ch.add_argument("--lang", default="en", help="en or zh (default en)")
    ch.add_argument("--format", default="png,pdf", help="png, pdf or both (default png,pdf)")
    ch.add_argument("--font", default=None, help="a CJK font file for --lang zh")
    ch.set_defaults(func=_cmd_charts)

    fa = sub.add_parser(
        "facts",
        help="the model against the realised figures of calibration/data.toml",
        description="Run a scenario (default: the plan) or read a results file, and print each "
        "realised figure of its region with its source and band beside the model's median and "
        "5-95% band, and whether it is inside.",
    )
    fa.add_argument("scenario", nargs="?", default="scenarios/plan.toml", help="scenario file")
    fa.add_argument("--results", default=None, help="a results file instead of a run")
    fa.add_argument("--replicates", type=int, default=10, help="replicates (default 10)")
    fa.add_argument("--seed", type=int, default=None, help="root seed (default: the file's)")
    fa.add_argument("--workers", type=int, default=1, help="local worker processes")
    fa.add_argument("--data", default=None, help="a data file (default calibration/data.toml)")
    fa.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter")
    fa.set_defaults(func=_cmd_facts)

    ca = sub.add_parser(
        "calibrate",
        help="two-stage calibration: behaviour on realised data, then the plan's implied strength",
        description="Stage 1 estimates the spec's behavioural parameters on the realised "
        "figures (calibration/data.toml) by the simulated method of moments with common random "
        "numbers; stage 2 solves for the policy strength the announced plan needs to meet each "
        "inverse target. Every batch of runs is checkpointed in DIR/<name>/ (--resume continues "
        "a killed calibration); writes the spec's output file and prints the fit report.",
    )
    ca.add_argument("spec", help="calibration spec, e.g. calibration/<region>.toml")
    ca.add_argument(
        "--out",
        default="results/calibration",
        help="checkpoint folder (default: results/calibration)",
    )
    cex = ca.add_mutually_exclusive_group()
    cex.add_argument("--workers", type=int, default=1, help="local worker processes")
    cex.add_argument("--scheduler", metavar="ADDRESS", default=None, help="dask scheduler address")
    ca.add_argument("--resume", action="store_true", help="continue a killed calibration in --out")
    ca.add_argument(
        "--output", default=None, help="write the calibrated file here (default: the spec's)"
    )
    ca.add_argument("--no-progress", action="store_true", help="no progress bars")
    ca.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="override the estimation's scenario"
    )
    ca.set_defaults(func=_cmd_calibrate)

    fr = sub.add_parser("fit-report", help="print the fit report of a calibrated-parameters file")
    fr.add_argument("file", help="calibration/<region>.calibrated.toml")
    fr.set_defaults(func=_cmd_fit_report)

    pa = sub.add_parser(
        "parameters", help="every parameter of a scenario with its value and source (Markdown)"
    )
    pa.add_argument("scenario", nargs="?", default="scenarios/plan.toml", help="scenario file")
    pa.add_argument("--out", default=None, help="write to this file (default: print)")
    pa.set_defaults(func=_cmd_parameters)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "replicates", None) is not None and args.replicates < 1:
        parser.error("--replicates must be at least 1")
    if getattr(args, "workers", 1) < 1:
        parser.error("--workers must be at least 1")
    if getattr(args, "batch_size", None) is not None and args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    try:
        return args.func(args)
    except ScenarioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
