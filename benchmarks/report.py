"""Speed of the budget-proposal pack: a full pack (PDF, HTML and CSV of the example at its
16,384 Sobol trials) from a cold process, and again with the browser warm.

*Cold*: ``costmodel report EXAMPLE --out DIR`` in a new interpreter, timed from the
command's start to its exit (interpreter start, imports, the run, Chromium's start, the
charts, the PDF, the CSV files). *Warm*: in one process whose headless Chromium is
already running (as in the dashboard, or a second pack): the pack of a fresh run, with
its parts timed (charts as SVG, HTML, PDF, CSV). Medians of ``--repeat`` runs are printed
with the minimum; targets: cold <= 10 s, warm <= 3 s.

Usage: ``python benchmarks/report.py [--repeat 3] [--formats pdf,html,csv]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "customer_service_assistant.toml"


def cold(repeat: int, formats: str) -> list[float]:
    timings = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "costmodel.cli", "report", str(EXAMPLE),
                            "--out", folder, "--format", formats], check=True,
                           stdout=subprocess.DEVNULL)
            timings.append(time.perf_counter() - start)
    return timings


def warm(repeat: int, formats: str) -> tuple[list[float], dict[str, list[float]]]:
    import costmodel
    from costmodel import export, report

    scenario = costmodel.load_scenario(EXAMPLE)
    export.start()
    chosen = report.parse_formats(formats)
    with tempfile.TemporaryDirectory() as folder:
        report.write_pack(costmodel.simulate(scenario, trials=1_024, seed=0), folder, chosen)
    totals, parts = [], {"simulate": [], "svg": [], "html": [], "pdf": [], "csv": []}
    for seed in range(1, repeat + 1):
        began = time.perf_counter()
        results = costmodel.simulate(scenario, seed=seed)
        parts["simulate"].append(time.perf_counter() - began)
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            report.write_pack(results, folder, chosen)
        totals.append(time.perf_counter() - start)
        # the same pack, part by part
        t = time.perf_counter()
        svgs = report.chart_svgs(results)
        parts["svg"].append(time.perf_counter() - t)
        t = time.perf_counter()
        html = report.report_html(results, svgs)
        parts["html"].append(time.perf_counter() - t)
        t = time.perf_counter()
        report.report_pdf(html)
        parts["pdf"].append(time.perf_counter() - t)
        t = time.perf_counter()
        report.summary_csv(results)
        report.trials_csv(results)
        parts["csv"].append(time.perf_counter() - t)
    export.stop()
    return totals, parts


def _line(label: str, values: list[float]) -> str:
    return (f"{label:<34} median {statistics.median(values):6.2f} s   "
            f"min {min(values):6.2f} s   (n = {len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--formats", default="pdf,html,csv")
    args = parser.parse_args()
    print(f"Proposal pack of {EXAMPLE.name} ({args.formats}); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(_line("cold process, whole command", cold(args.repeat, args.formats)))
    totals, parts = warm(args.repeat, args.formats)
    print(_line("warm browser, pack (excl. the run)", totals))
    for name, values in parts.items():
        print(_line(f"  {name}", values))
    print("targets: cold <= 10 s, warm <= 3 s")


if __name__ == "__main__":
    main()
