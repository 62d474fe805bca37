"""The budget-proposal pack: an HTML report and its PDF, the charts as images, and CSV files
of the summary and of every trial for audit.

The report is one HTML document (``templates/report.html``, Jinja2 with autoescaping: text a
user typed is never rendered as HTML) with the charts inside as SVG; WeasyPrint turns the
same document into the PDF, with page numbers from the CSS ``@page`` counters. It holds:

1. an executive summary in plain language (:func:`costmodel.verdict.verdict` and a sentence
   per strategy);
2. a summary table in the form of Forrester's Total Economic Impact studies — present value
   of costs and of benefits, NPV, ROI and payback — as the expected value with P10 and P90,
   so a "risk-adjusted" figure is a stated percentile of the trials, not a flat haircut;
3. the charts of :func:`costmodel.charts.run_charts`;
4. the funding plan and the business view after financing;
5. the assumptions, every input with its distribution and its 5-95 % range;
6. the method in brief and the run's manifest (enough to reproduce it).

Examples
--------
>>> import costmodel
>>> from pathlib import Path
>>> scenario = costmodel.load_scenario(
...     Path(costmodel.__file__).parents[1] / "scenarios" / "customer_service_assistant.toml")
>>> results = costmodel.simulate(scenario, trials=1_024, seed=1)
>>> summary_csv(results).splitlines()[0]
'strategy,metric,unit,mean,mean_se,sd,p5,p10,p50,p90,p95'
"""

from __future__ import annotations

import base64
import csv
import datetime
import functools
import io
import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from . import charts, export
from .distributions import Distribution
from .errors import CostModelError
from .results import FUNDING_FIELDS, METRIC_NAMES, Results, Stat, challenge_of
from .store import write_bytes_atomic, write_text_atomic
from .verdict import MINUS, cards, describe_strategy, money, months, odds, verdict
from .verdict import percent as _share

__all__ = [
    "DEFAULT_FORMATS",
    "PACK_FORMATS",
    "REPORT_WIDTH",
    "chart_svgs",
    "parse_formats",
    "report_html",
    "report_pdf",
    "summary_csv",
    "trials_csv",
    "warm_pdf",
    "write_pack",
]

#: What ``costmodel report --format`` may ask for.
PACK_FORMATS = ("pdf", "html", "png", "svg", "csv")
#: The pack's formats when none are named: the documents and the audit files.
DEFAULT_FORMATS = ("pdf", "html", "csv")
#: Layout width of the charts inside the report [px]: drawn a little wider than the
#: A4 text column (about 680 px) and scaled down, so their text prints at about 8 pt.
REPORT_WIDTH = 760

_TEMPLATES = Path(__file__).parent / "templates"

#: Units of the metrics in the CSV files.
_UNITS = {"npv": "currency", "irr_annual": "fraction/year", "roi": "fraction",
          "benefit_cost_ratio": "ratio", "payback_months": "months",
          "discounted_payback_months": "months", "peak_funding_need": "currency",
          "total_cost": "currency", "pv_costs": "currency", "pv_benefits": "currency",
          "business_npv": "currency", "interest_paid": "currency",
          "peak_cash_need": "currency", "min_cash": "currency",
          "months_negative_cash": "months", "budget_overshoot": "currency",
          "deferral_months": "months", "phases_deferred": "count",
          "npv_without_deferral": "currency"}

#: Chart captions in the report, by :func:`costmodel.charts.run_charts` key.
_CAPTIONS = {
    "present_value": "Present value of benefits and costs, and NPV, with P10–P90 whiskers.",
    "cash_fan": "Cumulative net cash by month: when each plan breaks even, and how sure.",
    "npv_distribution": "The spread of NPV over the trials.",
    "risk_return": "Expected NPV against the bad case (5th percentile of NPV).",
    "payback_curve": "The chance of having paid back by each month.",
    "costs_by_challenge": "What each adoption challenge costs, in present value.",
    "budget_and_cash": "The yearly budget and the business's lowest cash balance.",
    "npv_difference": "The paired NPV difference between the first two strategies.",
}


# --- the figures the report shows ------------------------------------------------------


def _percent(value: float) -> str:
    """A share as a percentage, with a typographic minus (``−25 %``)."""
    return _share(value).replace("-", MINUS)


def _stat_row(results: Results, label: str, stat_of, fmt, *, median: bool = False
              ) -> dict[str, Any]:
    """A table row: per strategy, ``stat_of(strategy)``'s expected value (the median when
    ``median``), P10 and P90 written with ``fmt``; dashes where it has none."""
    cells = []
    for strategy in results.strategies:
        stat: Stat | None = stat_of(strategy)
        if stat is None:
            cells += ["—"] * 3
        else:
            cells += [fmt(stat.p50 if median else stat.mean), fmt(stat.p10), fmt(stat.p90)]
    return {"label": label, "cells": cells, "median": median}


def _tei_rows(results: Results) -> list[dict[str, Any]]:
    """The TEI-style table: one row per figure, cells per strategy (expected, P10, P90)."""
    cash = functools.partial(money, currency=results.scenario.currency)
    # payback: the median, as the mean is infinite if some trials never pay back
    rows = [_stat_row(results, label, lambda s, name=name: getattr(s.summary, name), fmt,
                      median=name.endswith("payback_months"))
            for label, name, fmt in (
                ("Present value of costs", "pv_costs", cash),
                ("Present value of benefits", "pv_benefits", cash),
                ("Net present value (NPV)", "npv", cash),
                ("Return on investment (ROI)", "roi", _percent),
                ("Internal rate of return, per year", "irr_annual", _percent),
                ("Payback", "payback_months", months),
                ("Discounted payback", "discounted_payback_months", months),
                ("Peak funding need (before financing)", "peak_funding_need", cash))]
    rows.append({"label": "Chance NPV above zero", "median": False,
                 "cells": [c for s in results.strategies
                           for c in (_percent(s.summary.prob_npv_positive), "", "")]})
    return rows


def _strategy_sentences(results: Results) -> list[str]:
    """A sentence per strategy; none for a single strategy (the verdict says it)."""
    if len(results.strategies) == 1:
        return []
    currency = results.scenario.currency
    return [describe_strategy(card, currency) for card in cards(results)]


def _funding_sentences(results: Results) -> list[str]:
    """Plain sentences on cash and budget, per strategy."""
    scenario = results.scenario
    currency = scenario.currency
    budget = scenario.funding.budget
    out = []
    for strategy in results.strategies:
        f = strategy.summary.funding
        if f is None:
            continue
        text = (f"{strategy.name} needs {money(f.peak_cash_need.mean, currency)} of cash at "
                f"its deepest point on average after financing "
                f"(more than {money(f.peak_cash_need.p90, currency)} in 1 case in 10)")
        if budget is not None and f.prob_budget_breach is not None:
            worst = int(np.argmax(f.prob_breach_by_fiscal_year)) + 1
            text += (f"; it goes over the yearly budget of "
                     f"{money(budget.yearly_cap, currency)} in {odds(f.prob_budget_breach)}"
                     + (f", most often in fiscal year {worst}" if f.prob_budget_breach > 0
                        else ""))
        out.append(text + ".")
    return out


def _funding_rows(results: Results) -> list[dict[str, Any]]:
    cash = functools.partial(money, currency=results.scenario.currency)
    rows = [_stat_row(results, label, lambda s, name=name: (
                getattr(s.summary.funding, name) if s.summary.funding else None), fmt)
            for label, name, fmt in (
                ("Business NPV (after financing)", "business_npv", cash),
                ("Interest and fees", "interest_paid", cash),
                ("Peak cash need", "peak_cash_need", cash),
                ("Lowest cash balance", "min_cash", cash),
                ("Months with negative cash", "months_negative_cash", lambda v: f"{v:.1f}"))]
    if results.scenario.funding.budget is not None:
        cells = []
        for strategy in results.strategies:
            f = strategy.summary.funding
            cells += [_percent(f.prob_budget_breach) if f else "—", "", ""]
        rows.append({"label": "Chance of going over the yearly budget", "cells": cells})
    return rows


def _value(value: Any) -> str:
    """An input as the report writes it."""
    if isinstance(value, Distribution):
        return value.describe()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, BaseModel):
        return "; ".join(f"{k.replace('_', ' ')} {_value(v)}" for k, v in _fields(value))
    if isinstance(value, (list, tuple)):
        return " | ".join(_value(v) for v in value)
    return str(value)


def _figure(x: float) -> str:
    """A number for the assumptions table: whole above 1,000, else 3 significant digits."""
    text = f"{x:,.0f}" if abs(x) >= 1_000 else f"{x:.3g}"
    return text.replace("-", MINUS)


def _range(value: Any) -> str:
    """The 5-95 % range of an uncertain input, or empty for a fixed one."""
    if isinstance(value, Distribution) and not value.is_constant:
        low, high = value.ppf(np.array([0.05, 0.95]))
        return f"{_figure(low)} to {_figure(high)}"
    return ""


def _fields(model: BaseModel) -> Iterable[tuple[str, Any]]:
    """The fields of a scenario part that say something: not empty, not ``None``."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if value is None or (isinstance(value, (list, tuple, str)) and not value):
            continue
        yield name, value


#: Fields written together on an item's "terms" line.
_TERMS = ("kind", "category", "basis")


@dataclass(frozen=True)
class _Section:
    title: str
    items: list[dict[str, Any]]


def _assumptions(results: Results) -> list[_Section]:
    """Every input of the scenario, by section: each item with its fields, each field
    with its value or distribution and, if uncertain, its 5-95 % range."""
    scenario = results.scenario

    def rows(model: BaseModel, skip: Sequence[str] = ("name",)) -> list[dict[str, str]]:
        """The item's words (category, kind, basis) on one line, then each number or
        distribution that differs from the schema's default."""
        found = [(k, v) for k, v in _fields(model) if k not in skip]
        words = [v for k, v in found if k in _TERMS]
        out = [{"field": "terms", "value": " · ".join(w.replace("_", " ") for w in words),
                "range": ""}] if words else []
        defaults = type(model).model_fields
        for k, v in found:
            if k in _TERMS or (k not in model.model_fields_set
                               and v == defaults[k].default):
                continue
            out.append({"field": k.replace("_", " "), "value": _value(v),
                        "range": _range(v)})
        return out

    sections = [
        _Section("Organisation and horizon", [{"name": "Scenario", "rows": [
            {"field": "horizon", "value": f"{scenario.horizon_months} months", "range": ""},
            {"field": "discount rate", "value": f"{scenario.discount_rate:.2%} a year",
             "range": ""},
            {"field": "currency", "value": scenario.currency, "range": ""},
            *rows(scenario.organisation)]}]),
        _Section("Costs", [{"name": c.name, "note": challenge_of(c.category), "rows": rows(c)}
                           for c in scenario.costs]),
        _Section("Benefits", [{"name": b.name, "rows": rows(b)} for b in scenario.benefits]),
        _Section("Adoption", [{"name": "Adoption curve", "rows": rows(scenario.adoption)}]),
        _Section("Strategies", [{"name": s.name, "rows": rows(s)}
                                for s in scenario.strategies]),
    ]
    if scenario.risks:
        sections.append(_Section("Risk events", [{"name": r.name, "rows": rows(r)}
                                                 for r in scenario.risks]))
    if scenario.correlations:
        sections.append(_Section("Correlations", [{"name": "Rank correlations", "rows": [
            {"field": "", "value": _value(c), "range": ""} for c in scenario.correlations]}]))
    return sections


def _funding_plan(results: Results) -> list[dict[str, Any]]:
    funding = results.scenario.funding
    currency = results.scenario.currency
    items: list[dict[str, Any]] = []
    if funding.cash_on_hand:
        items.append({"kind": "Cash on hand", "name": "",
                      "detail": money(funding.cash_on_hand, currency)})
    for kind, parts in (("Loan", funding.loans), ("Grant", funding.grants),
                        ("Payment plan", funding.leases)):
        for part in parts:
            items.append({"kind": kind, "name": part.name, "detail": "; ".join(
                f"{k.replace('_', ' ')} {_value(v)}" for k, v in _fields(part) if k != "name")})
    if funding.budget is not None:
        items.append({"kind": "Yearly budget", "name": "", "detail": _value(funding.budget)})
    return items


def _manifest_rows(results: Results) -> list[tuple[str, str]]:
    def text(key: str, value: Any) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        return f"{value:,}" if key.startswith("trials") else str(value)

    return [(k.replace("_", " "), text(k, v)) for k, v in results.manifest.to_json().items()
            if v not in ("", None)]


# --- the documents ---------------------------------------------------------------------


def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


_SVG_NAMESPACES = (("", "http://www.w3.org/2000/svg"), ("xlink", "http://www.w3.org/1999/xlink"))


def _presentation_attributes(svg: str) -> str:
    """The same SVG with each element's inline ``style`` written as presentation
    attributes (``style="fill: red; opacity: 1"`` -> ``fill="red" opacity="1"``), except
    ``white-space``, which has no attribute form. The picture is the same (pages compared
    pixel by pixel); WeasyPrint draws it about a fifth faster, as it no longer parses a
    CSS declaration list on each of the chart's elements."""
    import xml.etree.ElementTree as ET

    for prefix, uri in _SVG_NAMESPACES:
        ET.register_namespace(prefix, uri)
    root = ET.fromstring(svg)
    for element in root.iter():
        style = element.attrib.pop("style", None)
        if not style:
            continue
        kept = []
        for declaration in style.split(";"):
            name, _, value = (part.strip() for part in declaration.partition(":"))
            if name == "white-space":
                kept.append(f"{name}: {value}")
            elif name:
                element.set(name, value)  # the style wins over an attribute, as in CSS
        if kept:
            element.set("style", "; ".join(kept))
    return ET.tostring(root, encoding="unicode")


def chart_svgs(results: Results, *, width: int = REPORT_WIDTH) -> dict[str, str]:
    """Every chart of the run as SVG text (drawn in Chromium, styles as presentation
    attributes), keyed as :func:`costmodel.charts.run_charts`."""
    return {name: _presentation_attributes(
                export.figure_image(figure, "svg", width=width).decode("utf-8"))
            for name, figure in charts.run_charts(results).items()}


def report_html(results: Results, svgs: dict[str, str] | None = None, *,
                day: datetime.date | None = None) -> str:
    """The report as one standalone HTML document: the charts inside as SVG images
    (``data:`` URIs), no script, no font or style from elsewhere, no external URL.
    ``svgs`` are the charts (:func:`chart_svgs`, drawn here when not given)."""
    if svgs is None:
        svgs = chart_svgs(results)
    scenario, manifest = results.scenario, results.manifest
    day = day or datetime.date.today()
    figures = []
    for name, svg in svgs.items():
        caption = _CAPTIONS.get(name)
        if caption is None and name.startswith("monthly_flows_"):
            strategy = results.names[int(name.rsplit("_", 1)[1]) - 1]
            caption = f"Mean monthly costs by adoption challenge and benefits: {strategy}."
        figures.append({"name": name, "caption": caption or name.replace("_", " "),
                        "src": "data:image/svg+xml;base64,"
                               + base64.b64encode(svg.encode("utf-8")).decode("ascii")})
    run = ("a point estimate (every input at its likely value)" if manifest.point else
           f"{manifest.trials:,} trials ({manifest.sampler} sampling), seed {manifest.seed}")
    return _environment().get_template("report.html").render(
        scenario=scenario, manifest=manifest, day=f"{day:%d %B %Y}", run=run,
        currency=scenario.currency, verdict=verdict(results),
        strategy_sentences=_strategy_sentences(results),
        funding_sentences=_funding_sentences(results),
        strategies=results.names, colours=list(charts.strategy_colours(results.names).values()),
        tei_rows=_tei_rows(results), figures=figures,
        funding_plan=_funding_plan(results), funding_rows=_funding_rows(results),
        has_funding=not scenario.funding.empty, assumptions=_assumptions(results),
        manifest_rows=_manifest_rows(results), key_assumptions=charts.key_assumptions(results),
        discount_monthly=f"{scenario.rate_monthly:.4%}",
        point=manifest.point)


def _weasyprint():
    try:
        import weasyprint
    except OSError as exc:  # the Pango libraries are missing
        raise CostModelError(
            f"the PDF needs WeasyPrint's system libraries ({exc}) — install them with "
            "`apt-get install libpango-1.0-0 libpangoft2-1.0-0`") from None
    return weasyprint


_warmed = threading.Event()
#: One WeasyPrint document at a time (Pango and fontconfig are not safe to share between
#: threads: the warm-up, dashboard sessions).
_pdf_lock = threading.Lock()


def warm_pdf() -> None:
    """Import WeasyPrint and lay out a small page in the report's fonts, so the first
    real PDF does not pay for loading them (about a second). Done once per process;
    errors are left for :func:`report_pdf` to report."""
    with _pdf_lock:
        if not _warmed.is_set():
            _warm()


def _warm() -> None:
    try:
        style = (_TEMPLATES / "report.html").read_text(encoding="utf-8").split("<body>")[0]
        _weasyprint().HTML(string=style + "<body><h1>costmodel</h1><table><tr><td>1 2 3"
                           "</td></tr></table><p>−$1,234 · 5 %</p></body></html>").write_pdf()
        _warmed.set()
    except Exception:  # a warm-up only: report_pdf reports what is wrong
        pass


def report_pdf(html: str) -> bytes:
    """The PDF of a report made by :func:`report_html` (WeasyPrint; A4, page numbers)."""
    with _pdf_lock:
        document = _weasyprint().HTML(string=html, base_url=str(_TEMPLATES))
        _warmed.set()
        return document.write_pdf()


# --- CSV ---------------------------------------------------------------------------------


def _number(value: float) -> str:
    """A CSV cell: ``repr``-exact floats, ``inf`` and ``nan`` written out, no separators."""
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


def summary_csv(results: Results) -> str:
    """One row per strategy and metric: mean, its Monte Carlo standard error, sd and the
    percentiles; then the probabilities (``metric`` ``prob_…``, in ``mean``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["strategy", "metric", "unit", "mean", "mean_se", "sd", "p5", "p10",
                     "p50", "p90", "p95"])
    for strategy in results.strategies:
        s = strategy.summary
        stats: list[tuple[str, Stat]] = [(n, getattr(s, n)) for n in METRIC_NAMES]
        if s.funding is not None:  # the business view's statistics (and, under the
            # budget's defer policy, how long the rollout waited)
            stats += [(n, getattr(s.funding, n)) for n in FUNDING_FIELDS
                      if isinstance(getattr(s.funding, n, None), Stat)]
        for name, stat in stats:
            writer.writerow([strategy.name, name, _UNITS[name], *(_number(getattr(stat, k))
                             for k in ("mean", "mean_se", "sd", "p5", "p10", "p50", "p90",
                                       "p95"))])
        probabilities = [("prob_npv_positive", s.prob_npv_positive, s.prob_npv_positive_se),
                         ("prob_payback_within_horizon", s.prob_payback_within_horizon,
                          s.prob_payback_within_horizon_se)]
        if s.funding is not None and s.funding.prob_budget_breach is not None:
            probabilities.append(("prob_budget_breach", s.funding.prob_budget_breach,
                                  s.funding.prob_budget_breach_se))
            probabilities += [(f"prob_budget_breach_fy{k + 1}", p, math.nan)
                              for k, p in enumerate(s.funding.prob_breach_by_fiscal_year)]
        if s.funding is not None and s.funding.prob_deferred is not None:
            probabilities.append(("prob_deferred", s.funding.prob_deferred,
                                  s.funding.prob_deferred_se))
        for name, value, error in probabilities:
            writer.writerow([strategy.name, name, "fraction", _number(value), _number(error),
                             *[""] * 6])
        writer.writerow([strategy.name, "npv_expected_shortfall", "currency",
                         _number(s.npv_expected_shortfall), *[""] * 7])
    return out.getvalue()


def trials_csv(results: Results) -> str:
    """Every trial of every strategy, one row each: ``trial, strategy``, the metrics of
    :data:`~costmodel.results.METRIC_NAMES` and, with funding, the business view."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    funding = results.strategies[0].funding is not None
    names = list(METRIC_NAMES) + (list(FUNDING_FIELDS) if funding else [])
    writer.writerow(["trial", "strategy", *names])
    for strategy in results.strategies:
        columns = [np.asarray(getattr(strategy.metrics, n)) for n in METRIC_NAMES]
        if funding:
            columns += [np.asarray(getattr(strategy.funding, n)) for n in FUNDING_FIELDS]
        table = np.column_stack([np.arange(columns[0].size), *columns]).astype(float)
        label = io.StringIO()
        csv.writer(label, lineterminator="").writerow([strategy.name])  # quoted if needed
        # %.17g round-trips a float and writes inf and nan as such
        block = io.StringIO()
        np.savetxt(block, table, fmt=["%d", *["%.17g"] * len(columns)], delimiter=",")
        for line in block.getvalue().splitlines():
            trial, rest = line.split(",", 1)
            out.write(f"{trial},{label.getvalue()},{rest}\n")
    return out.getvalue()


# --- the pack ----------------------------------------------------------------------------


def parse_formats(text: str) -> tuple[str, ...]:
    """``"pdf,html"`` -> ``("pdf", "html")``; an unknown name is a :class:`CostModelError`
    naming it and the choices."""
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",")
                                 if part.strip()))
    unknown = [f for f in chosen if f not in PACK_FORMATS]
    if unknown or not chosen:
        raise CostModelError(f"--format {text!r}: use a comma-separated list of "
                             f"{', '.join(PACK_FORMATS)}")
    return chosen


def write_pack(results: Results, directory: str | Path,
               formats: Iterable[str] = DEFAULT_FORMATS) -> list[Path]:
    """Write the proposal pack of ``results`` into ``directory`` (created if needed):
    ``report.html``, ``report.pdf``, ``summary.csv`` and ``trials.csv``, and the charts
    as ``charts/<name>.png`` / ``.svg``, as ``formats`` asks. Files are written
    atomically. Returns the paths written."""
    formats = tuple(formats)
    unknown = [f for f in formats if f not in PACK_FORMATS]
    if unknown:
        raise CostModelError(f"format {unknown[0]!r}: choose from {', '.join(PACK_FORMATS)}")
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CostModelError(f"--out {directory}: cannot create the folder "
                             f"({exc.strerror or exc}) — choose a folder you can write "
                             "to") from None
    written: list[Path] = []
    if "html" in formats or "pdf" in formats:
        if "pdf" in formats and not _warmed.is_set():  # while Chromium draws the charts
            threading.Thread(target=warm_pdf, daemon=True).start()
        html = report_html(results)
        if "html" in formats:
            written.append(directory / "report.html")
            write_text_atomic(written[-1], html)
        if "pdf" in formats:
            written.append(directory / "report.pdf")
            write_bytes_atomic(written[-1], report_pdf(html))
    images = [f for f in ("png", "svg") if f in formats]
    if images:
        written += export.export_figures(charts.run_charts(results), directory / "charts",
                                         images)
    if "csv" in formats:
        for name, text in (("summary.csv", summary_csv(results)),
                           ("trials.csv", trials_csv(results))):
            written.append(directory / name)
            write_text_atomic(written[-1], text)
    return written
