"""Convergence of the three samplers: Monte Carlo, Latin hypercube and scrambled Sobol.

Run: ``python benchmarks/convergence.py`` (or ``python -m benchmarks.convergence``) from the
repository root; ``--quick`` for a short run. Prints figures; asserts nothing.

What is measured. For each example scenario (``scenarios/*.toml``), each sampler
(``mc``, ``lhs``, ``sobol``) and each trial count (1,024, 4,096, 16,384 and 65,536 by
default: powers of two, so Sobol needs no rounding), ``costmodel.simulate`` runs R times
(R = 10 by default), each with its own seed. Each run gives, per strategy, two
estimates: the mean NPV [currency] and the probability that the NPV is positive
[fraction, 0-1]. The *empirical standard error* of an estimate is the standard deviation
of its R values (``ddof=1``): how far one run of that size typically lands from the answer.

How to read a table (one per scenario and strategy). Rows are trial counts; the first three
columns are SE(mean NPV) for mc / lhs / sobol, the last three SE(P(NPV > 0)). Smaller is
better. Below the rows:

- ``gain vs mc``: the variance ratio SE(mc)^2 / SE(x)^2 at the largest trial count, i.e.
  how many times more mc trials give the same precision as sampler x (mc is 1 by
  definition). A gain of 4 means x does with N trials what mc needs 4 N for.
- ``slope``: the least-squares slope of log SE against log trials. Plain Monte Carlo
  converges as N^-0.5 (slope -0.5); a steeper slope means faster convergence.

With R repeats an SE is itself uncertain by roughly 1 / sqrt(2 (R - 1)), about 24 % for
R = 10, and a variance ratio of two equal samplers falls between 0.31 and 3.2 nine times in
ten (the F(9, 9) distribution; 0.42 to 2.4 for R = 16): read gains below about 3 as "no
clear difference".
A strategy whose NPV is positive in every trial has zero SE(P) and gain "n/a".

The table measures each sampler as ``simulate`` runs it: if ``simulate`` draws a Sobol or
LHS run as several independent replicates (smaller scrambles, one after the other), the
figures are those of the replicated design, not of one design of the full size.

Seeds. Every cell (scenario, sampler, trial count, repeat) gets its own seed, derived from
``--seed`` with :class:`numpy.random.SeedSequence`. Reusing the seeds 0..R-1 everywhere
would make the cells share random numbers: an ``mc`` run of 1,024 trials is the first rows
of the run of 65,536 with the same seed, and scenarios whose uncertain inputs sit in the
same columns would receive the same uniforms, so one unlucky set of seeds would show up
in every row and every scenario at once.

Run time. The default run is 3 scenarios x 3 samplers x 4 sizes x 10 repeats, about 7.8
million trials; on the 2-core development machine (shared with other work) it took just
under two minutes, the support-desk scenario with its risk events and stage gate more than
half of that. R = 16 took about four minutes, hence the default of 10; pass
``--repeats 16`` for steadier figures. ``--quick`` (R = 6, 1,024 and 4,096 trials) takes
a quarter of a minute or less.
"""

from __future__ import annotations

import argparse
import math
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import costmodel

ROOT = Path(__file__).resolve().parents[1]
SAMPLERS = ("mc", "lhs", "sobol")
DEFAULT_SIZES = (1_024, 4_096, 16_384, 65_536)
DEFAULT_REPEATS = 10
QUICK_SIZES = (1_024, 4_096)
QUICK_REPEATS = 6
COLUMN = 11  # width of one figure column [characters]


@dataclass(frozen=True)
class Estimates:
    """The R repeated estimates of one scenario, for every sampler and size.

    ``mean_npv[sampler]`` and ``p_positive[sampler]`` have shape
    ``(n_sizes, n_repeats, n_strategies)``; units [currency] and [fraction, 0-1].
    """

    names: tuple[str, ...]
    sizes: tuple[int, ...]
    mean_npv: dict[str, np.ndarray]
    p_positive: dict[str, np.ndarray]


def cell_seed(base_seed: int, scenario_name: str, sampler: str, trials: int,
              repeat: int) -> int:
    """An independent seed for one run, the same for the same arguments."""
    key = [base_seed, zlib.crc32(scenario_name.encode()), SAMPLERS.index(sampler), trials, repeat]
    return int(np.random.SeedSequence(key).generate_state(1)[0])


def run_estimates(scenario: costmodel.Scenario, sizes: tuple[int, ...], repeats: int,
                  base_seed: int) -> Estimates:
    """Simulate every sampler x size x repeat and keep the two estimates per strategy."""
    names = costmodel.simulate(scenario, trials=sizes[0], seed=base_seed).names
    shape = (len(sizes), repeats, len(names))
    mean_npv = {sampler: np.empty(shape) for sampler in SAMPLERS}
    p_positive = {sampler: np.empty(shape) for sampler in SAMPLERS}
    for sampler in SAMPLERS:
        for i, trials in enumerate(sizes):
            for k in range(repeats):
                seed = cell_seed(base_seed, scenario.name, sampler, trials, k)
                results = costmodel.simulate(scenario, trials=trials, seed=seed, sampler=sampler)
                for j, name in enumerate(names):
                    npv = results[name].metrics.npv
                    mean_npv[sampler][i, k, j] = npv.mean()
                    p_positive[sampler][i, k, j] = (npv > 0).mean()
    return Estimates(names, sizes, mean_npv, p_positive)


def standard_errors(estimates: np.ndarray) -> np.ndarray:
    """SD across repeats: shape ``(n_sizes, n_repeats, n_strategies)`` -> ``(n_sizes,
    n_strategies)``."""
    return estimates.std(axis=1, ddof=1)


def variance_ratio(se_mc: float, se_x: float) -> float:
    """``se_mc**2 / se_x**2``; ``nan`` when both are zero, ``inf`` when only ``se_x`` is."""
    if se_x == 0.0:
        return math.nan if se_mc == 0.0 else math.inf
    return (se_mc / se_x) ** 2


def log_log_slope(sizes: tuple[int, ...], se: np.ndarray) -> float:
    """Least-squares slope of log SE against log trials (``nan`` if undefined)."""
    keep = se > 0
    if keep.sum() < 2:
        return math.nan
    return float(np.polyfit(np.log(np.array(sizes)[keep]), np.log(se[keep]), 1)[0])


def fmt(value: float) -> str:
    """Three significant digits with thousands separators: 12,300; 45.6; 0.00123."""
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf"
    if value == 0.0:
        return "0"
    rounded = float(f"{value:.3g}")
    decimals = max(0, 2 - math.floor(math.log10(abs(rounded))))
    return f"{rounded:,.{decimals}f}"


def row(label: str, figures: list[str]) -> str:
    mean_part = "".join(f"{f:>{COLUMN}}" for f in figures[:3])
    p_part = "".join(f"{f:>{COLUMN}}" for f in figures[3:])
    return f"  {label:>12}{mean_part}    {p_part}"


def strategy_table(est: Estimates, j: int, currency: str) -> list[str]:
    """The printed lines of strategy ``j``'s table."""
    se = {kind: {s: standard_errors(getattr(est, kind)[s])[:, j] for s in SAMPLERS}
          for kind in ("mean_npv", "p_positive")}
    largest = est.sizes[-1]
    centre_npv = est.mean_npv["sobol"][-1, :, j].mean()
    centre_p = est.p_positive["sobol"][-1, :, j].mean()
    lines = [
        f"  {est.names[j]}: mean NPV {fmt(centre_npv)} {currency}, "
        f"P(NPV > 0) {fmt(centre_p)}  (sobol, {largest:,} trials, mean of repeats)",
        f"  {'':>12}{'SE(mean NPV) [' + currency + ']':>{3 * COLUMN}}    "
        f"{'SE(P(NPV > 0))':>{3 * COLUMN}}",
        row("trials", [*SAMPLERS, *SAMPLERS]),
    ]
    for i, trials in enumerate(est.sizes):
        figures = [fmt(se[kind][s][i]) for kind in se for s in SAMPLERS]
        lines.append(row(f"{trials:,}", figures))
    gains = [fmt(variance_ratio(se[kind]["mc"][-1], se[kind][s][-1]))
             for kind in se for s in SAMPLERS]
    lines.append(row("gain vs mc", gains) + f"   (variance ratio at {largest:,})")
    slopes = [fmt(log_log_slope(est.sizes, se[kind][s])) for kind in se for s in SAMPLERS]
    lines.append(row("slope", slopes) + "   (log SE vs log trials; mc ~ -0.5)")
    return lines


def report_scenario(path: Path, sizes: tuple[int, ...], repeats: int, base_seed: int) -> None:
    scenario = costmodel.load_scenario(path)
    start = time.perf_counter()
    est = run_estimates(scenario, sizes, repeats, base_seed)
    seconds = time.perf_counter() - start
    print(f"{scenario.name}  ({path.name}; {repeats} repeats per cell, {seconds:.1f} s)")
    for j in range(len(est.names)):
        print("\n".join(strategy_table(est, j, scenario.currency)))
        print()


def parse_sizes(text: str) -> tuple[int, ...]:
    """``"1024,4096"`` -> ``(1024, 4096)``; every size a power of two (for Sobol)."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give whole numbers separated by commas, "
                                         "e.g. 1024,4096") from None
    for size in sizes:
        if size < 2 or size & (size - 1):
            raise argparse.ArgumentTypeError(f"{size}: sizes must be powers of two (>= 2) so "
                                             "Sobol is not rounded, e.g. 1024,4096,16384")
    return tuple(sorted(set(sizes)))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=None,
                        help=f"independent seeds per cell (default {DEFAULT_REPEATS}; "
                             f"{QUICK_REPEATS} with --quick)")
    parser.add_argument("--sizes", type=parse_sizes, default=None,
                        help="comma-separated trial counts, powers of two (default "
                             f"{','.join(map(str, DEFAULT_SIZES))})")
    parser.add_argument("--scenario", type=Path, action="append", default=None,
                        help="scenario file; repeat for several (default: scenarios/*.toml)")
    parser.add_argument("--seed", type=int, default=0,
                        help="base seed from which every run's seed is derived (default 0)")
    parser.add_argument("--quick", action="store_true",
                        help=f"R={QUICK_REPEATS}, sizes {','.join(map(str, QUICK_SIZES))}")
    args = parser.parse_args()
    if args.repeats is None:
        args.repeats = QUICK_REPEATS if args.quick else DEFAULT_REPEATS
    if args.sizes is None:
        args.sizes = QUICK_SIZES if args.quick else DEFAULT_SIZES
    if args.repeats < 2:
        parser.error(f"--repeats {args.repeats}: a standard deviation needs at least 2")
    if args.scenario is None:
        args.scenario = sorted((ROOT / "scenarios").glob("*.toml"))
    return args


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    sizes = ", ".join(f"{size:,}" for size in args.sizes)
    print(f"empirical standard errors over {args.repeats} seeds (base seed {args.seed}); "
          f"trials {sizes}\n")
    for path in args.scenario:
        report_scenario(path, args.sizes, args.repeats, args.seed)
    print(f"total wall time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
