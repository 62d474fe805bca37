"""The command line: ``costmodel run | validate``.

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


def _row(label: str, stat: Stat, fmt, point: bool, mean_fmt=None) -> str:
    if point:
        return f"  {label:<28}{fmt(stat.mean):>18}"
    mean = (mean_fmt or fmt)(stat.mean)
    return (f"  {label:<28}{mean:>18}{fmt(stat.p10):>18}{fmt(stat.p50):>18}"
            f"{fmt(stat.p90):>18}")


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
        header = "expected" if not point else "value"
        columns = f"{header:>18}" + ("" if point else f"{'P10':>18}{'P50':>18}{'P90':>18}")
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
            lines.append(f"  {'P(NPV > 0)':<28}{_percent(s.prob_npv_positive):>18}")
            lines.append(f"  {'P(payback within horizon)':<28}"
                         f"{_percent(s.prob_payback_within_horizon):>18}")
    return "\n".join(lines)


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
    run.add_argument("--sampler", choices=["mc", "lhs", "sobol"], help="sampling method")
    run.add_argument("--point", action="store_true",
                     help="deterministic run at the point values instead of Monte Carlo")
    run.add_argument("--json", action="store_true", help="print one JSON object")
    validate = commands.add_parser("validate", help="check a scenario file")
    validate.add_argument("path", help="scenario file (.toml or .json)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``costmodel`` command. Returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        scenario = load_scenario(args.path)
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
            results = simulate(scenario, trials=args.trials, seed=args.seed,
                               sampler=args.sampler)
    except CostModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(results.to_json(), indent=2, allow_nan=False))
    else:
        print(format_results(results))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
