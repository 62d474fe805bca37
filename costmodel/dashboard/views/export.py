"""Export: the budget-proposal pack (PDF and HTML report, CSV for audit) and every chart as
PNG, SVG, PDF or a standalone HTML file. Files are built when their button is clicked,
then cached for the same run."""

from __future__ import annotations

import re

import streamlit as st

from costmodel import charts, export
from costmodel.dashboard import compute, exports
from costmodel.dashboard.widgets import chart, page_header, plain
from costmodel.errors import CostModelError


def _stem(name: str) -> str:
    """A file name from the scenario's name: letters, digits and dashes."""
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()[:60] or "scenario"


def _browser_problem() -> str | None:
    try:
        export.browser_path()
    except CostModelError as exc:
        return str(exc)
    return None


def render() -> None:
    page_header("Export")
    results = compute.draft_results()
    key = exports.run_key()
    stem = _stem(results.scenario.name)
    problem = _browser_problem()
    if problem:
        st.warning(plain(problem), icon=":material/warning:")
    st.subheader("Budget-proposal pack")
    st.caption("The report has an executive summary, the present-value table with P10 and "
               "P90, every chart, the funding plan, the assumptions and the run's manifest. "
               "The CSV files hold the summary and every trial, for audit. Each file is "
               "built when you click its button (a few seconds for the report).")
    columns = st.columns(4)
    columns[0].download_button(
        "Report (PDF)", lambda: exports.report_pdf(key, results), file_name=f"{stem}.pdf",
        mime="application/pdf", key="export.report_pdf", icon=":material/picture_as_pdf:",
        disabled=problem is not None, on_click="ignore")
    columns[1].download_button(
        "Report (HTML)", lambda: exports.report_html(key, results),
        file_name=f"{stem}.html", mime="text/html", key="export.report_html",
        icon=":material/description:", disabled=problem is not None, on_click="ignore")
    columns[2].download_button(
        "Summary (CSV)", lambda: exports.summary_csv(key, results),
        file_name=f"{stem}-summary.csv", mime="text/csv", key="export.summary_csv",
        icon=":material/table:", on_click="ignore")
    columns[3].download_button(
        "Every trial (CSV)", lambda: exports.trials_csv(key, results),
        file_name=f"{stem}-trials.csv", mime="text/csv", key="export.trials_csv",
        icon=":material/dataset:", on_click="ignore")

    st.subheader("Charts")
    figures = charts.run_charts(results)
    titles = {name: figure.layout.title.text.split("<br>")[0].removeprefix("<b>")
              .removesuffix("</b>") for name, figure in figures.items()}
    name = st.selectbox("Chart", list(figures), format_func=titles.get,
                        key="export.chart")
    st.caption("PNG at twice the screen resolution (2,000 px wide: print quality), SVG and "
               "PDF as vector graphics, HTML as an interactive page that opens offline.")
    columns = st.columns(len(exports.CHART_FORMATS))
    for column, (fmt, mime) in zip(columns, exports.CHART_FORMATS, strict=True):
        column.download_button(
            fmt.upper(), lambda fmt=fmt: exports.chart_file(key, name, fmt, results),
            file_name=f"{stem}-{name}.{fmt}", mime=mime, key=f"export.chart.{fmt}",
            disabled=problem is not None and fmt != "html", on_click="ignore")
    chart(figures[name], f"export.preview.{name}")


if __name__ == "__main__":
    render()
