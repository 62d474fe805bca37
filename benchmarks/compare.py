"""Time `costmodel compare` on the customer-service example against a copy with three
changed assumptions (8 hybrid runs for the exact average), at two trial counts.

Run: `.venv/bin/python benchmarks/compare.py`. Prints seconds per comparison and the paired
standard error of the difference; figures depend on the machine's load.
"""

from __future__ import annotations

import time
from pathlib import Path

from costmodel import load_scenario, parse_scenario
from costmodel.compare import compare

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "customer_service_assistant.toml"


def main() -> None:
    base = load_scenario(EXAMPLE)
    data = base.to_data()
    data["name"] = "Vendor's numbers"
    data["discount_rate"] = 0.08
    data["adoption"]["ceiling"] = {"pert": [0.7, 0.85, 0.95]}
    data["costs"][0]["amount"] = 39
    other = parse_scenario(data)
    compare([base, other], trials=256)  # warm-up: imports, caches
    for trials in (2_048, 4_096):
        start = time.perf_counter()
        result = compare([base, other], trials=trials)
        seconds = time.perf_counter() - start
        for a in result.attributions:
            print(f"{trials:>6,} trials  {seconds:5.2f} s  {a.strategy:<24} {a.runs} runs  "
                  f"difference {a.total:>10,.0f} ± {a.total_se:,.0f}  "
                  f"common draws: {a.common_draws}")


if __name__ == "__main__":
    main()
