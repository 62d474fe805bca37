"""The Export page's files, built when a download button is clicked and cached.

Each builder is keyed on the run (the scenario's canonical JSON with trials, sampler and
seed) and, for a chart, on its name and format; the :class:`~costmodel.results.Results`
is passed along unhashed (``_results``). The files come from :mod:`costmodel.report` and
:mod:`costmodel.export`, as the ``costmodel report`` command writes them. Images and the
PDF use the process's one headless Chromium, started by the first of them.
"""

from __future__ import annotations

import streamlit as st

from costmodel import charts, export, report
from costmodel.results import Results

from . import state

#: Files kept per builder (a report is a few hundred kB; a trials CSV a few MB).
CACHE_ENTRIES = 8

#: (format, MIME type) of every chart download.
CHART_FORMATS = (("png", "image/png"), ("svg", "image/svg+xml"), ("pdf", "application/pdf"),
                 ("html", "text/html"))


def run_key() -> str:
    """The key of the session's current run: scenario, trials, sampler, seed."""
    trials, sampler, seed = state.settings()
    return f"{state.draft_scenario().canonical_json()}|{trials}|{sampler}|{seed}"


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def chart_svgs(key: str, _results: Results) -> dict[str, str]:
    """Every chart as SVG at the report's width (shared by the HTML and PDF reports)."""
    return report.chart_svgs(_results)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def report_html(key: str, _results: Results) -> str:
    return report.report_html(_results, chart_svgs(key, _results))


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def report_pdf(key: str, _results: Results) -> bytes:
    return report.report_pdf(report_html(key, _results))


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def summary_csv(key: str, _results: Results) -> str:
    return report.summary_csv(_results)


@st.cache_data(max_entries=2, show_spinner=False)
def trials_csv(key: str, _results: Results) -> str:
    return report.trials_csv(_results)


@st.cache_data(max_entries=4 * CACHE_ENTRIES, show_spinner=False)
def chart_file(key: str, name: str, fmt: str, _results: Results) -> bytes:
    """Chart ``name`` (a :func:`costmodel.charts.run_charts` key) as ``fmt``."""
    figure = charts.run_charts(_results)[name]
    if fmt == "html":
        return export.figure_html(figure).encode("utf-8")
    return export.figure_image(figure, fmt)


def clear() -> None:
    """Empty the caches (tests)."""
    for builder in (chart_svgs, report_html, report_pdf, summary_csv, trials_csv, chart_file):
        builder.clear()
