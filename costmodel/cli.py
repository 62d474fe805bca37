"""The command line: ``costmodel run | validate | sensitivity | compare | report | app``.

Exit codes: 0 on success, 2 on bad input (the message on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence

from .errors import CostModelError
from .results import Results, Stat
from .scenario import MAX_TRIALS
from .simulate import simulate, simulate_point
from .store import load_scenario

__all__ = ["main"]


def _money(value: float, currency: str) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{currency} {value:,.0f}"


def _percent(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value * 100:,.1f} %"


def _months(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return "never" if math.isinf(value) else f"{value:,.1f} mo"


def _mean_months(value: float) -> str:
    # the mean is infinite when some trials never pay back: P(payback) says how many
    return "—" if math.isinf(value) else _months(value)


def _plus_minus(text: str, error: float, fmt) -> str:
    """``"USD 26,772 ± 81"``, ``"69.9 % ± 0.7"``: a figure and its Monte Carlo standard
    error (in the figure's unit: currency, percentage points, months)."""
    if not math.isfinite(error):
        return text
    if fmt is _percent:
        return f"{text} ± {error * 100:,.1f}"
    return f"{text} ± {error:,.0f}" if fmt not in (_months, _mean_months) else (
        f"{text} ± {error:,.1f}")


def _row(label: str, stat: Stat, fmt, point: bool, mean_fmt=None) -> str:
    if point:
        return f"  {label:<28}{fmt(stat.mean):>22}"
    mean = _plus_minus((mean_fmt or fmt)(stat.mean), stat.mean_se, mean_fmt or fmt)
    return (f"  {label:<28}{mean:>22}{fmt(stat.p10):>16}{fmt(stat.p50):>16}"
            f"{fmt(stat.p90):>16}")


def _probability(label: str, value: float, error: float) -> str:
    return f"  {label:<28}{_plus_minus(_percent(value), error, _percent):>22}"


def format_results(results: Results) -> str:
    """The readable table printed by ``costmodel run``."""
    scenario, manifest = results.scenario, results.manifest
    currency = scenario.currency
    point = manifest.point
    lines = [scenario.name]
    if point:
        lines.append("Point estimate (every input at its likely value or median)")
    else:
        lines.append(f"{manifest.trials:,} trials, sampler {manifest.sampler}, seed "
                     f"{manifest.seed}; horizon {scenario.horizon_months} months, discount "
                     f"rate {scenario.discount_rate:.1%} a year")
        if manifest.note:
            lines.append(manifest.note)

    def money(v: float) -> str:
        return _money(v, currency)

    for strategy in results.strategies:
        s = strategy.summary
        lines += ["", strategy.name]
        header = "expected ± s.e." if not point else "value"
        columns = f"{header:>22}" + ("" if point else f"{'P10':>16}{'P50':>16}{'P90':>16}")
        lines.append(f"  {'':<28}{columns}")
        lines.append(_row("NPV", s.npv, money, point))
        lines.append(_row("IRR (per year)", s.irr_annual, _percent, point))
        lines.append(_row("ROI", s.roi, _percent, point))
        lines.append(_row("Payback", s.payback_months, _months, point, _mean_months))
        lines.append(_row("Discounted payback", s.discounted_payback_months, _months, point,
                          _mean_months))
        lines.append(_row("Peak funding need", s.peak_funding_need, money, point))
        lines.append(_row("Total cost (undiscounted)", s.total_cost, money, point))
        if not point:
            lines.append(_probability("P(NPV > 0)", s.prob_npv_positive,
                                      s.prob_npv_positive_se))
            lines.append(_probability("P(payback within horizon)",
                                      s.prob_payback_within_horizon,
                                      s.prob_payback_within_horizon_se))
            lines.append(f"  {'Worst 5 % of NPV, average':<28}"
                         f"{money(s.npv_expected_shortfall):>22}")
        if s.gate_value is not None:
            lines.append(_probability("P(gate passes)", s.prob_gate_passes,
                                      s.prob_gate_passes_se))
            lines.append(f"  {'Value of the gate':<28}"
                         f"{_plus_minus(money(s.gate_value), s.gate_value_se, money):>22}")
        if s.funding is not None and not scenario.funding.empty:
            lines += _funding_lines(s.funding, money, point)
    comparisons = [] if point else results.comparisons()
    if comparisons:
        lines += ["", "Paired comparisons (same draws; difference in NPV, a minus b)"]
        lines.append(f"  {'a vs b':<44}{'mean ± s.e.':>24}{'P(a beats b)':>16}"
                     f"{'P5':>14}{'P95':>14}")
        for c in comparisons:
            label = f"{c.a} vs {c.b}"
            label = label if len(label) <= 43 else label[:42] + "…"
            lines.append(f"  {label:<44}{_plus_minus(money(c.mean_delta_npv), c.se, money):>24}"
                         f"{_percent(c.prob_a_beats_b):>16}{money(c.p5):>14}{money(c.p95):>14}")
    return "\n".join(lines)


def _funding_lines(f, money, point: bool) -> list[str]:
    """The business view: after loans, grants and leases, against the budget."""
    lines = ["  After financing (the business's cash)"]
    lines.append(_row("Business NPV", f.business_npv, money, point))
    lines.append(_row("Interest and fees", f.interest_paid, money, point))
    lines.append(_row("Peak cash need", f.peak_cash_need, money, point))
    lines.append(_row("Lowest cash balance", f.min_cash, money, point))
    lines.append(_row("Months with negative cash", f.months_negative_cash, _mean_months,
                      point))
    if f.prob_budget_breach is not None:
        if not point:
            lines.append(_probability("P(over the yearly budget)", f.prob_budget_breach,
                                      f.prob_budget_breach_se))
        years = "  ".join(f"FY{k + 1} {_percent(p)}"
                          for k, p in enumerate(f.prob_breach_by_fiscal_year))
        lines.append(f"  {'  by fiscal year':<28}{years}")
        if math.isfinite(f.expected_breach):  # nan when no trial breaches
            lines.append(f"  {'  average overshoot if over':<28}"
                         f"{money(f.expected_breach):>22}")
    if f.deferral_months is not None:  # the defer policy: phases wait for the budget
        if not point:
            lines.append(_probability("P(a phase waits for budget)", f.prob_deferred,
                                      f.prob_deferred_se))
        lines.append(_row("Months the last phase waits", f.deferral_months, _months, point))
        if f.deferral_cost is not None:
            cost = money(f.deferral_cost)
            if not point:
                cost = _plus_minus(cost, f.deferral_cost_se, money)
            lines.append(f"  {'NPV cost of staying in budget':<28}{cost:>22}")
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="costmodel",
        description="AI adoption cost-benefit calculator: NPV, IRR, ROI, payback and their "
                    "uncertainty for phased versus all-at-once rollouts.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="simulate a scenario and print the results")
    run.add_argument("path", help="scenario file (.toml or .json)")
    run.add_argument("--trials", type=int, help=f"number of trials (1-{MAX_TRIALS:,})")
    run.add_argument("--seed", type=int, help="random seed (same seed, same numbers)")
    run.add_argument("--sampler", choices=["mc", "lhs", "sobol"],
                     help="sampling method (default: the scenario's, sobol unless set)")
    run.add_argument("--precision", type=float, metavar="SE",
                     help="add trials until the standard error of every strategy's mean NPV "
                          "is at most SE (in the scenario's currency), up to "
                          "simulation.max_trials")
    run.add_argument("--point", action="store_true",
                     help="deterministic run at the point values instead of Monte Carlo")
    run.add_argument("--json", action="store_true", help="print one JSON object")
    validate = commands.add_parser("validate", help="check a scenario file")
    validate.add_argument("path", help="scenario file (.toml or .json)")
    _sensitivity_parser(commands)
    _compare_parser(commands)
    app = commands.add_parser("app", help="open the dashboard in a browser (local only)")
    app.add_argument("path", nargs="?", default=None,
                     help="scenario file to open, or a folder of scenarios (default: "
                          "./scenarios, else the examples)")
    app.add_argument("--port", type=int, default=8501, help="port on 127.0.0.1 (8501)")
    report = commands.add_parser(
        "report", help="write the budget-proposal pack: report (PDF, HTML), charts, CSV")
    report.add_argument("path", help="scenario file (.toml or .json)")
    report.add_argument("--out", required=True, metavar="DIR",
                        help="folder to write into (created if needed)")
    report.add_argument("--format", default="pdf,html,csv", metavar="LIST",
                        help="comma-separated: pdf, html, png, svg, csv (default "
                             "pdf,html,csv; png and svg write every chart to DIR/charts)")
    report.add_argument("--trials", type=int, help=f"number of trials (1-{MAX_TRIALS:,})")
    report.add_argument("--seed", type=int, help="random seed (same seed, same numbers)")
    report.add_argument("--sampler", choices=["mc", "lhs", "sobol"],
                        help="sampling method (default: the scenario's)")
    return parser


def _sensitivity_parser(commands) -> None:
    from .results import METRIC_NAMES
    from .sensitivity import DEFAULT_SOBOL_SAMPLES

    sens = commands.add_parser(
        "sensitivity", help="which assumptions drive the result: tornado, rank "
                            "correlations, Sobol indices by input, challenge and item")
    sens.add_argument("path", help="scenario file (.toml or .json)")
    sens.add_argument("--metric", default="npv", choices=METRIC_NAMES,
                      help="the per-trial metric to explain (default: npv)")
    sens.add_argument("--strategy", metavar="NAME", action="append",
                      help="report this strategy only (repeatable; default: all)")
    sens.add_argument("--samples", type=int, default=DEFAULT_SOBOL_SAMPLES,
                      help="base sample size of the Sobol design, a power of two "
                           f"(default {DEFAULT_SOBOL_SAMPLES:,})")
    sens.add_argument("--seed", type=int, help="seed of the Sobol design and the run")
    sens.add_argument("--trials", type=int,
                      help="trials of the Monte Carlo run for the rank correlations "
                           "(default: the scenario's)")
    sens.add_argument("--no-indices", action="store_true",
                      help="skip the Sobol indices (the slowest part)")
    sens.add_argument("--top", type=int, default=10, help="rows per table (default 10)")
    sens.add_argument("--json", action="store_true", help="print one JSON object")


def _sensitivity(args) -> int:
    from .sensitivity import _strategy_index, rank_correlations, sensitivity_report

    try:
        scenario = load_scenario(args.path)
        if args.trials is not None and not 4 <= args.trials <= 131_072:
            raise CostModelError(f"--trials {args.trials}: use a count between 4 and 131,072")
        if args.seed is not None and args.seed < 0:
            raise CostModelError(f"--seed {args.seed}: use a seed of 0 or more")
        if args.top < 1:
            raise CostModelError(f"--top {args.top}: give at least 1 row")
        names = tuple(s.name for s in scenario.strategies)
        chosen = args.strategy or list(names)
        for name in chosen:
            _strategy_index(names, name)
        report = sensitivity_report(scenario, metric=args.metric, samples=args.samples,
                                    seed=args.seed, indices=not args.no_indices)
        if args.trials is not None or args.seed is not None:
            from dataclasses import replace

            report = replace(report, correlations=rank_correlations(
                scenario, metric=args.metric, trials=args.trials, seed=args.seed))
    except CostModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        data = report.to_json()
        for view in ("tornado", "rank_correlations", "sobol"):
            if data[view] is not None:
                data[view]["strategies"] = {k: v for k, v in data[view]["strategies"].items()
                                            if k in chosen}
        print(json.dumps(data, indent=2, allow_nan=False))
    else:
        print(report.to_text(chosen, top=args.top))
    return 0


def _report(args: argparse.Namespace) -> int:
    """``costmodel report``: simulate, then write the pack; prints the files written."""
    from .report import parse_formats, write_pack

    try:
        formats = parse_formats(args.format)
        if set(formats) & {"pdf", "html", "png", "svg"}:
            from .export import start_in_background

            start_in_background()  # Chromium starts while the model runs
        scenario = load_scenario(args.path)
        if args.trials is not None and not 1 <= args.trials <= MAX_TRIALS:
            raise CostModelError(f"--trials {args.trials}: use a count between 1 and "
                                 f"{MAX_TRIALS:,}")
        if args.seed is not None and args.seed < 0:
            raise CostModelError(f"--seed {args.seed}: use a seed of 0 or more")
        results = simulate(scenario, trials=args.trials, seed=args.seed, sampler=args.sampler)
        written = write_pack(results, args.out, formats)
    except CostModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


def app_command(path: str | None, port: int) -> list[str]:
    """The ``streamlit run`` command line of the dashboard: bound to 127.0.0.1, usage
    statistics off, XSRF protection on, uploads limited to 1 MB, no error details; the
    theme's colours match the charts (:mod:`costmodel.dashboard.settings`).

    Examples
    --------
    >>> command = app_command("scenarios/x.toml", 8600)
    >>> command[command.index("--server.address") + 1], command[-2:]
    ('127.0.0.1', ['--scenario', 'scenarios/x.toml'])
    """
    from pathlib import Path

    from .dashboard.settings import command_line

    entry = Path(__file__).parent / "dashboard" / "app.py"
    command = [sys.executable, "-m", "streamlit", "run", str(entry),
               "--server.port", str(port), *command_line()]
    if path is not None:
        command += ["--", "--scenario", path]
    return command


def _app(path: str | None, port: int) -> int:
    import os
    import subprocess

    if path is not None and not os.path.exists(path):
        print(f"error: {path}: no such file or folder — give a scenario file or a folder "
              "of them", file=sys.stderr)
        return 2
    try:
        return subprocess.call(app_command(path, port))
    except KeyboardInterrupt:
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``costmodel`` command. Returns the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "app":
        return _app(args.path, args.port)
    if args.command == "sensitivity":
        return _sensitivity(args)
    if args.command == "compare":
        return _compare(args)
    if args.command == "report":
        return _report(args)
    try:
        scenario = _load(args.path)
        if args.command == "validate":
            print(f"{args.path}: valid — {scenario.name!r}, {len(scenario.strategies)} "
                  f"strategies, {len(scenario.costs)} costs, {len(scenario.benefits)} benefits")
            return 0
        if args.point:
            results = simulate_point(scenario)
        else:
            if args.trials is not None and not 1 <= args.trials <= MAX_TRIALS:
                raise CostModelError(f"--trials {args.trials}: use a count between 1 and "
                             f"{MAX_TRIALS:,}")
            if args.seed is not None and args.seed < 0:
                raise CostModelError(f"--seed {args.seed}: use a seed of 0 or more")
            if args.precision is not None and not args.precision > 0:
                raise CostModelError(f"--precision {args.precision}: give a standard error "
                                     f"above 0, in {scenario.currency}")
            results = simulate(scenario, trials=args.trials, seed=args.seed,
                               sampler=args.sampler, precision=args.precision)
    except CostModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(results.to_json(), indent=2, allow_nan=False))
    else:
        print(format_results(results))
    return 0


def _load(path: str):
    """:func:`load_scenario`, with a migration's note printed to stderr."""
    import warnings

    from .migrate import MigrationWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MigrationWarning)
        scenario = load_scenario(path)
    for warning in caught:
        if issubclass(warning.category, MigrationWarning):
            print(f"note: {warning.message}", file=sys.stderr)
        else:  # pragma: no cover - pass other warnings on
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
    return scenario


# --- costmodel compare ---------------------------------------------------------------


def _compare_parser(commands) -> None:
    from .compare import DEFAULT_TRIALS, MAX_EXACT

    parser = commands.add_parser(
        "compare", help="compare scenarios: results side by side, the assumptions that "
                        "differ, and what each change does to expected NPV")
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="two or more scenario files; the first is the base")
    parser.add_argument("--trials", type=int,
                        help=f"trials per run (default: the first scenario's, at most "
                             f"{DEFAULT_TRIALS:,})")
    parser.add_argument("--seed", type=int, help="random seed (default: the first scenario's)")
    parser.add_argument("--sampler", choices=["mc", "lhs", "sobol"],
                        help="sampling method (default: the first scenario's)")
    parser.add_argument("--max-exact", type=int, default=MAX_EXACT, metavar="K",
                        help=f"average over every order of the changes when there are at "
                             f"most K (2^K runs; default {MAX_EXACT}), else switch them in "
                             "file order")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _compare(args) -> int:
    from .compare import compare

    try:
        if len(args.paths) < 2:
            raise CostModelError(f"compare needs at least two scenario files, got "
                                 f"{len(args.paths)} — add the one to compare with")
        if args.trials is not None and not 1 <= args.trials <= MAX_TRIALS:
            raise CostModelError(f"--trials {args.trials}: use a count between 1 and "
                                 f"{MAX_TRIALS:,}")
        if args.seed is not None and args.seed < 0:
            raise CostModelError(f"--seed {args.seed}: use a seed of 0 or more")
        if not 0 <= args.max_exact <= 12:
            raise CostModelError(f"--max-exact {args.max_exact}: use 0 to 12 (2^K runs)")
        scenarios = [_load(path) for path in args.paths]
        result = compare(scenarios, trials=args.trials, seed=args.seed, sampler=args.sampler,
                         max_exact=args.max_exact)
    except CostModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_json(), indent=2, allow_nan=False))
    else:
        print(format_comparison(result))
    return 0


def format_comparison(result) -> str:
    """The readable report printed by ``costmodel compare``."""
    from .compare import format_value

    base = result.results[0].scenario
    currency = base.currency
    lines = [f"Comparing {len(result.results)} scenarios — {result.trials:,} trials "
             f"({result.sampler}), seed {result.seed}, the same settings for each"]
    currencies = {r.scenario.currency for r in result.results}
    if len(currencies) > 1:
        lines.append(f"warning: the scenarios use different currencies "
                     f"({', '.join(sorted(currencies))}); their figures are not comparable")
    lines += ["", f"  {'scenario / strategy':<46}{'expected NPV ± s.e.':>24}{'P10':>14}"
                  f"{'P90':>14}{'P(NPV > 0)':>12}{'payback P50':>13}"]
    for k, results in enumerate(result.results):
        lines.append(f"  {('base: ' if k == 0 else '') + results.scenario.name}"[:80])
        for strategy in results.strategies:
            s = strategy.summary
            money = results.scenario.currency
            name = strategy.name if len(strategy.name) <= 42 else strategy.name[:41] + "…"
            npv = _plus_minus(_money(s.npv.mean, money), s.npv.mean_se, _money)
            lines.append(f"    {name:<44}{npv:>24}{_money(s.npv.p10, money):>14}"
                         f"{_money(s.npv.p90, money):>14}{_percent(s.prob_npv_positive):>12}"
                         f"{_months(s.payback_months.p50):>13}")
    for results, changes in zip(result.results[1:], result.differences, strict=True):
        lines += ["", f"Assumptions that differ: {results.scenario.name} against {base.name}"]
        if not changes:
            lines.append("  none")
        for change in changes:
            mark = "" if change.attributed else "  (not a model input)"
            lines.append(f"  {change.path}{mark}")
            lines.append(f"      {format_value(change.base)}  ->  {format_value(change.other)}")
    for a in result.attributions:
        if not a.contributions:
            lines += ["", f"{a.strategy}: no model input differs between {a.other} and "
                          f"{a.base} — the same expected NPV"]
            continue
        lines += ["", f"Where the difference in expected NPV comes from — {a.strategy}: "
                      f"{a.other} against {a.base}"]
        lines.append(f"  {'base expected NPV':<60}{_money(a.base_npv, currency):>20}")
        for c in a.contributions:
            label = c.change if len(c.change) <= 58 else c.change[:57] + "…"
            lines.append(f"  {'+ ' + label:<60}{_money(c.value, currency):>20}")
        total = _plus_minus(_money(a.total, currency), a.total_se, _money)
        lines.append(f"  {'= difference':<60}{total:>20}")
        lines.append(f"  {'other expected NPV':<60}{_money(a.other_npv, currency):>20}")
        how = ("average over every order of switching the changes" if a.method == "shapley"
               else "changes switched one at a time in the order listed")
        draws = "the same draws for every run" if a.common_draws else "not all on the same draws"
        lines.append(f"  method: {how}; {a.runs} runs; {draws}")
        if a.note:
            lines.append(f"  note: {a.note}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
