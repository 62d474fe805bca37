"""The dashboard's Export page: a download button for the report (PDF, HTML), the CSV
files and every chart format; the files come from the same functions as the command
line and are cached per run."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st

import costmodel
from costmodel import report
from costmodel.dashboard import compute, exports
from costmodel.dashboard.testing import new_session

EXAMPLE = Path(__file__).parents[1] / "scenarios" / "customer_service_assistant.toml"


@pytest.fixture(autouse=True)
def _empty_caches():
    st.cache_data.clear()
    compute.clear()
    exports.clear()
    yield


def _export_page():
    app = new_session(trials=256).run()
    app.switch_page("views/export.py").run()
    assert not app.exception
    return app


def _buttons(app) -> dict[str, object]:
    return {b.proto.label: b.proto for b in app.get("download_button")}


def test_the_export_page_offers_every_file():
    app = _export_page()
    buttons = _buttons(app)
    for label in ("Report (PDF)", "Report (HTML)", "Summary (CSV)", "Every trial (CSV)",
                  "PNG", "SVG", "PDF", "HTML"):
        assert label in buttons
        assert buttons[label].deferred_file_id  # built when clicked, not on every run
    chart = app.selectbox(key="export.chart")
    assert len(chart.options) == 10  # every chart of the run
    chart.set_value("budget_and_cash").run()
    assert not app.exception


def test_without_chromium_the_page_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    app = _export_page()
    assert any("apt-get install chromium" in w.value for w in app.warning)
    buttons = _buttons(app)
    assert buttons["Report (PDF)"].disabled and buttons["PNG"].disabled
    assert not buttons["Summary (CSV)"].disabled and not buttons["HTML"].disabled


def test_the_cached_files_are_the_reports_own(monkeypatch):
    results = costmodel.simulate(costmodel.load_scenario(EXAMPLE), trials=64, seed=1)
    assert exports.summary_csv("run-1", results) == report.summary_csv(results)
    calls = []
    monkeypatch.setattr(report, "trials_csv", lambda r: calls.append(r) or "x")
    assert exports.trials_csv("run-2", results) == "x"
    assert exports.trials_csv("run-2", results) == "x"
    assert len(calls) == 1  # the second click is served from the cache
