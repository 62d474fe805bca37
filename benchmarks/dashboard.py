"""Dashboard speed in a real browser: seconds from a changed assumption to redrawn charts.

Serves the dashboard (headless, 127.0.0.1) on the default example with its interactive
trial count (16,384 Sobol), opens it in headless Chromium, and on the *Adoption and
rollout* page changes one assumption (the likely adoption ceiling) ``--changes`` times,
each to a value not run before. Each change is timed from the click on *Apply changes*
to the end of the run with the new figures shown and every chart drawn again; the
median, P95 and maximum are printed (the target is P95 <= 1 s).

``--screenshot PATH`` saves a screenshot of the Overview page first (1400 px wide);
``--pages FOLDER`` one of every page (1400 px wide, tall enough for the whole page), to
look at the layout.

Usage: ``python benchmarks/dashboard.py [--changes 20] [--screenshot docs/dashboard.png]
[--pages FOLDER]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from costmodel.dashboard.testing import CHART, CHROMIUM, CHROMIUM_ARGS, IDLE, Server

#: True once the run ended, the strip shows a new expected NPV and every chart is drawn.
_REDRAWN = """([idle, old]) => {
    if (!document.querySelector(idle)) return false;
    const metric = [...document.querySelectorAll('[data-testid="stMetricValue"]')][0];
    if (!metric || metric.innerText === old) return false;
    const plots = [...document.querySelectorAll('.js-plotly-plot')];
    return plots.length > 0 && plots.every(p => p.querySelector('.main-svg'));
}"""


def _first_metric(page) -> str:
    return page.locator('[data-testid="stMetricValue"]').first.inner_text()


def _frames(page) -> None:
    """Wait two animation frames: the browser has painted what the run sent."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => "
                  "requestAnimationFrame(r)))")


def page_shots(page, folder: Path, height: int = 4200) -> None:
    """Open every page of the menu and save ``<n>_<page>.png`` in ``folder``."""
    from costmodel.dashboard.main import PAGE_LIST

    folder.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.set_viewport_size({"width": 1400, "height": height})
    for k, (name, title, _) in enumerate(PAGE_LIST):
        page.get_by_role("link", name=title).click()
        page.wait_for_timeout(300)  # the run starts
        page.wait_for_selector(IDLE, timeout=60_000)
        if page.locator(".js-plotly-plot").count():
            page.locator(CHART).last.wait_for(timeout=30_000)
        _frames(page)
        page.wait_for_timeout(800)  # plotly's transitions settle
        path = folder / f"{k}_{Path(name).stem}.png"
        page.screenshot(path=str(path))
        print(f"page: {path}")
    page.set_viewport_size(size)
    page.get_by_role("link", name=PAGE_LIST[0][1]).click()
    page.wait_for_selector(IDLE)


def measure(changes: int, screenshot: Path | None, pages: Path | None = None) -> list[float]:
    from playwright.sync_api import sync_playwright

    timings = []
    with tempfile.TemporaryDirectory() as folder, Server(Path(folder) / "server.log") as server:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                 args=list(CHROMIUM_ARGS))
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 2400})
                page.goto(server.url, wait_until="domcontentloaded")
                page.wait_for_selector(IDLE, timeout=60_000)
                page.wait_for_selector(CHART, timeout=60_000)
                if screenshot is not None:
                    _frames(page)
                    page.wait_for_timeout(500)  # plotly's transitions settle
                    page.screenshot(path=str(screenshot))
                    print(f"screenshot: {screenshot}")
                if pages is not None:
                    page_shots(page, pages)
                if changes:
                    page.get_by_role("link", name="Adoption and rollout").click()
                    page.wait_for_selector(IDLE)
                    page.locator(CHART).last.wait_for()
                # the likely adoption ceiling: Streamlit tags a keyed widget with its key
                # (st-key-edit-<revision>-adoption-ceiling-pert-likely)
                likely = page.locator('[class*="-adoption-ceiling-pert-likely"] input')
                for k in range(changes):
                    likely.fill(f"{0.70 + 0.01 * k:.2f}")
                    likely.press("Enter")
                    page.wait_for_selector(IDLE)
                    _frames(page)
                    old = _first_metric(page)
                    start = time.perf_counter()
                    page.get_by_role("button", name="Apply changes").click()
                    page.wait_for_function(_REDRAWN, arg=[IDLE, old], timeout=30_000,
                                           polling="raf")
                    _frames(page)
                    timings.append(time.perf_counter() - start)
            finally:
                browser.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--screenshot", type=Path, default=None)
    parser.add_argument("--pages", type=Path, default=None,
                        help="save a screenshot of every page in this folder")
    parser.add_argument("--json", action="store_true", help="print the timings as JSON")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"needs {CHROMIUM}: apt-get install -y chromium")
    timings = measure(args.changes, args.screenshot, args.pages)
    if not timings:
        return
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    summary = {"changes": len(timings), "median_s": statistics.median(timings),
               "p95_s": p95, "max_s": ordered[-1], "timings_s": timings}
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(f"{len(timings)} changes of the adoption ceiling, apply to redrawn charts, "
          f"16,384 Sobol trials:")
    print(f"  median {summary['median_s']:.3f} s   P95 {p95:.3f} s   max {ordered[-1]:.3f} s"
          f"   (target: P95 <= 1 s)")


if __name__ == "__main__":
    main()
