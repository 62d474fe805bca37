"""Benchmarks of the simulation engine. Run: ``make bench`` (or ``python benchmarks/run.py``).

Prints figures; asserts nothing (timings on a shared 2-core machine are noisy, so the test
suite holds no timed assertions). Figures:

1. 100,000 trials x 60 months x 2 strategies, every metric including IRR and the bands,
   in a warm process (best and median of several runs), split into sampling and the rest.
2. The straightforward per-trial loop (``costmodel.engine.reference``) on the same scenario
   and draws, timed on a subset and scaled to 100,000 trials, and the speed-up.
3. 1,000,000 trials in a fresh process: wall time and peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import costmodel
from costmodel.engine.reference import reference_run
from costmodel.uncertainty import draw

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "customer_service_assistant.toml"


def scenario_60_months() -> costmodel.Scenario:
    scenario = costmodel.load_scenario(SCENARIO)
    return costmodel.parse_scenario({**scenario.to_data(), "horizon_months": 60})


def time_simulation(trials: int, repeats: int) -> list[float]:
    scenario = scenario_60_months()
    costmodel.simulate(scenario, trials=trials, seed=1)  # warm-up: tables, caches
    times = []
    for k in range(repeats):
        start = time.perf_counter()
        costmodel.simulate(scenario, trials=trials, seed=k)
        times.append(time.perf_counter() - start)
    return times


def time_summaries(trials: int, repeats: int) -> float:
    """Seconds to compute every strategy's summary (mean, sd, percentiles) once."""
    scenario = scenario_60_months()
    best = float("inf")
    for k in range(repeats):
        results = costmodel.simulate(scenario, trials=trials, seed=k)
        start = time.perf_counter()
        for strategy in results.strategies:
            _ = strategy.summary
        best = min(best, time.perf_counter() - start)
    return best


def time_sampling(trials: int, repeats: int) -> float:
    scenario = scenario_60_months()
    best = float("inf")
    for k in range(repeats):
        start = time.perf_counter()
        draw(scenario, trials, sampler="mc", rng=np.random.default_rng(k))
        best = min(best, time.perf_counter() - start)
    return best


def time_reference(subset: int) -> float:
    """Seconds per trial of the per-trial loop, both strategies."""
    scenario = scenario_60_months()
    draws = draw(scenario, subset, sampler="mc", rng=np.random.default_rng(0))
    start = time.perf_counter()
    for index in range(len(scenario.strategies)):
        reference_run(scenario, draws, index)
    return (time.perf_counter() - start) / subset


def million_in_subprocess() -> tuple[float, float]:
    code = (
        "import time, resource, costmodel\n"
        "from benchmarks.run import scenario_60_months\n"
        "s = scenario_60_months()\n"
        "t = time.perf_counter(); costmodel.simulate(s, trials=1_000_000, seed=1)\n"
        "print(time.perf_counter() - t)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    return float(out[0]), float(out[1]) / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--reference-trials", type=int, default=300)
    parser.add_argument("--skip-million", action="store_true")
    args = parser.parse_args()

    trials = 100_000
    times = time_simulation(trials, args.repeats)
    sampling = time_sampling(trials, args.repeats)
    summaries = time_summaries(trials, 3)
    best, median = min(times), statistics.median(times)
    per_trial = time_reference(args.reference_trials)
    loop = per_trial * trials
    print(f"scenario: {SCENARIO.name}, horizon 60 months, 2 strategies")
    print(f"simulate, {trials:,} trials (warm)      best {best:6.3f} s   median {median:6.3f} s"
          "   (target <= 0.5 s)")
    print(f"  of which sampling the inputs     best {sampling:6.3f} s")
    print(f"summaries of both strategies       best {summaries:6.3f} s   (computed on first use)")
    print(f"per-trial loop, scaled to {trials:,}   {loop:8.1f} s   "
          f"({per_trial * 1e3:.2f} ms a trial, timed on {args.reference_trials} trials)")
    print(f"speed-up over the loop             {loop / median:8.0f} x (median; target >= 50 x)")
    if not args.skip_million:
        seconds, peak_mib = million_in_subprocess()
        print(f"1,000,000 trials, fresh process    {seconds:6.2f} s   peak RSS {peak_mib:6.0f} MiB"
              "   (target < 800 MiB)")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"this process peak RSS               {own:6.0f} MiB")


if __name__ == "__main__":
    main()
