"""Benchmark of the sensitivity views. Run: ``make bench-sensitivity``.

Prints figures; asserts nothing (timings on a shared machine are noisy). The scenario is
the customer-service example (two strategies, slip, a gate, correlations) with cost lines
added until it has 30 uncertain inputs outside its risk events (the inputs the tornado and
the Sobol design move). Figures, in a warm process (the inverse-CDF tables built once):

1. the tornado: 1 + 2 x 30 rows, every strategy, one engine call (target <= 1 s);
2. the spider at 19 percentiles (1 + 19 x 30 rows);
3. the rank correlations from a 16,384-trial Sobol run;
4. Sobol indices at the default sample size (n = DEFAULT_SOBOL_SAMPLES) for the 30
   inputs, the adoption challenges and the items, with 999-resample BCa intervals
   (target <= 10 s), and the engine's share of it.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import costmodel
from costmodel import sensitivity
from costmodel.scenario import parse_scenario

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = ("training", "data", "integration", "compliance", "security", "licensing",
              "consulting", "change_management", "maintenance", "infrastructure", "other")


def thirty_inputs() -> costmodel.Scenario:
    """The example with extra uncertain cost lines, 30 inputs outside risk events."""
    scenario = costmodel.load_scenario(ROOT / "scenarios" / "customer_service_assistant.toml")
    data = scenario.to_data()
    k = 0
    while len(sensitivity.sensitivity_inputs(parse_scenario(data))) < 30:
        low = 500.0 + 250.0 * k
        data["costs"].append({
            "name": f"Extra line {k + 1}", "category": CATEGORIES[k % len(CATEGORIES)],
            "kind": "one_time" if k % 2 == 0 else "monthly",
            "amount": {"pert": [low, 1.5 * low, 3.0 * low] if k % 2 == 0
                       else [low / 20, low / 15, low / 8]}})
        k += 1
    return parse_scenario(data)


def timed(function, repeats: int) -> tuple[float, float, object]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result


def main() -> None:
    scenario = thirty_inputs()
    d = len(sensitivity.sensitivity_inputs(scenario))
    print(f"scenario: {scenario.name} + extra cost lines: {d} inputs moved, "
          f"{len(scenario.strategies)} strategies, {scenario.horizon_months} months")
    sensitivity.tornado(scenario)  # warm: inverse-CDF tables, imports
    best, median, t = timed(lambda: sensitivity.tornado(scenario), 7)
    print(f"tornado ({1 + 2 * d} rows):              best {best:6.3f} s, median "
          f"{median:6.3f} s   (target <= 1 s)")
    best, median, _ = timed(lambda: sensitivity.spider(scenario), 3)
    print(f"spider ({1 + 19 * d} rows):            best {best:6.3f} s, median {median:6.3f} s")
    best, median, _ = timed(lambda: sensitivity.rank_correlations(scenario), 3)
    print(f"rank correlations (16,384 trials):  best {best:6.3f} s, median {median:6.3f} s")
    n = sensitivity.DEFAULT_SOBOL_SAMPLES
    best, median, found = timed(lambda: sensitivity.sobol(scenario, samples=n), 3)
    rows = len(found.names)
    print(f"Sobol indices (n = {n:,}, {rows} rows, {found.evaluations:,} engine trials, "
          f"999 BCa resamples): best {best:6.3f} s, median {median:6.3f} s "
          f"(target <= 10 s)")
    best_engine, _, _ = timed(lambda: sensitivity.sobol(scenario, samples=n, resamples=1), 1)
    print(f"  the same with one bootstrap resample (design, engine, jackknife): "
          f"{best_engine:6.3f} s")
    top = t.order(t.strategies[0])[:3]
    print("widest tornado bars:", ", ".join(t.labels[k] for k in top))


if __name__ == "__main__":
    main()
