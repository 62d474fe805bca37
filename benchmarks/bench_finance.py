"""Benchmark of :mod:`costmodel.finance`. Run: ``python benchmarks/bench_finance.py``.

Prints figures; asserts nothing (timings on a shared 2-core machine are noisy). Times the
vectorised metrics on 100,000 investment-shaped series of 60 monthly flows (best and median
of 5 runs in a warm process), and numpy-financial's per-series ``irr`` (``np.roots``) on 200
of them, scaled to 100,000, as the straightforward alternative.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import numpy_financial as npf

from costmodel import finance


def investment_flows(rng: np.random.Generator, n_rows: int, n_months: int) -> np.ndarray:
    """Monthly flows shaped like an AI rollout, shape (n_rows, n_months) [currency/month].

    One-time costs over a 1-4 month lead time, recurring costs, benefits ramping up along an
    adoption curve, and noise; a spread of outcomes from never paying back to fast payback.
    """
    t = np.arange(n_months)
    lead = rng.integers(1, 5, n_rows)[:, None]
    one_time = rng.uniform(2e4, 1e5, n_rows)[:, None]
    benefit = rng.uniform(1e3, 1e4, n_rows)[:, None]
    recurring = rng.uniform(5e2, 3e3, n_rows)[:, None]
    months_to_adopt = rng.uniform(2.0, 12.0, n_rows)[:, None]
    live = t >= lead
    adoption = np.where(live, -np.expm1(-(t - lead) / months_to_adopt), 0.0)
    flows = benefit * adoption - recurring - np.where(live, 0.0, one_time / lead)
    return flows + rng.normal(0.0, 500.0, (n_rows, n_months))


def timings(function: Callable[[], object], repeats: int) -> list[float]:
    """Wall-clock seconds of `repeats` calls, after one warm-up call."""
    function()
    result = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        result.append(time.perf_counter() - start)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="series (trials)")
    parser.add_argument("--months", type=int, default=60, help="periods per series")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per function")
    parser.add_argument("--npf-rows", type=int, default=200, help="rows for numpy-financial")
    args = parser.parse_args()

    rng = np.random.default_rng(2024)
    flows = investment_flows(rng, args.rows, args.months)
    rate = float(finance.periodic_rate(0.10))  # 10 % a year, per month
    rates = finance.periodic_rate(rng.uniform(0.05, 0.15, args.rows))  # one per series

    cases: list[tuple[str, Callable[[], object]]] = [
        ("npv (one rate)", lambda: finance.npv(rate, flows)),
        ("npv (rate per row)", lambda: finance.npv(rates, flows)),
        ("irr", lambda: finance.irr(flows)),
        ("payback", lambda: finance.payback(flows)),
        ("discounted_payback", lambda: finance.discounted_payback(rate, flows)),
        ("peak_funding_need", lambda: finance.peak_funding_need(flows)),
    ]
    print(f"costmodel.finance on {args.rows:,} series x {args.months} months (float64)")
    print(f"{'function':<26}{'best [ms]':>12}{'median [ms]':>14}{'per row [us]':>15}")
    for name, function in cases:
        seconds = timings(function, args.repeats)
        best, median = min(seconds), statistics.median(seconds)
        print(f"{name:<26}{best * 1e3:>12.1f}{median * 1e3:>14.1f}{best / args.rows * 1e6:>15.3f}")

    sample = flows[: args.npf_rows]
    per_row = min(timings(lambda: [npf.irr(row) for row in sample], 3)) / len(sample)
    print(
        f"{'numpy_financial.irr':<26}{per_row * args.rows * 1e3:>12.1f}{'':>14}"
        f"{per_row * 1e6:>15.3f}   (timed on {len(sample)} rows, scaled)"
    )

    ours, reference = finance.irr(sample), np.array([npf.irr(row) for row in sample])
    both = np.isfinite(ours) & np.isfinite(reference)
    print(
        f"\nirr vs numpy_financial on those {len(sample)} rows: {both.sum()} finite in both, "
        f"max |difference| {np.max(np.abs(ours[both] - reference[both]), initial=0.0):.1e}, "
        f"nan in ours only: {int(np.sum(np.isnan(ours) & ~np.isnan(reference)))}, "
        f"in numpy_financial only: {int(np.sum(~np.isnan(ours) & np.isnan(reference)))}"
    )
    defined = np.isfinite(finance.irr(flows))
    print(f"irr defined for {defined.mean():.1%} of the {args.rows:,} series")


if __name__ == "__main__":
    main()
