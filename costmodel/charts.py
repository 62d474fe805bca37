"""Charts: one function per chart, each returning a plotly ``Figure`` in one house style.

Every chart of a run takes the :class:`~costmodel.results.Results` (or a part of it) and
carries a title, a subtitle saying what to read from it, and a source note naming the
scenario, the trial count, the sampler and the seed. A strategy keeps its colour in every
chart (:func:`strategy_colours`, by its position in the scenario). Text the user typed
(scenario, strategy and item names) is escaped before plotly renders it.

To add a chart: write a function ``name(results, ...) -> go.Figure`` that starts from
:func:`new_figure`, colours traces with :func:`strategy_colours` and finishes with
:func:`house_style`. Histograms are binned here (the browser gets bars, not every trial).

Examples
--------
>>> import costmodel
>>> from pathlib import Path
>>> scenario = costmodel.load_scenario(
...     Path(costmodel.__file__).parents[1] / "scenarios" / "customer_service_assistant.toml")
>>> figure = npv_distribution(costmodel.simulate(scenario, trials=1_024, seed=1))
>>> [trace.name for trace in figure.data if trace.type == "bar"]
['All at once', 'Pilot, then two waves']
"""

from __future__ import annotations

import datetime
import functools
import html
import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .distributions import Distribution, parse_distribution
from .results import CHALLENGES, Comparison, Results
from .verdict import money, paid_back_share, percent

__all__ = [
    "PALETTE",
    "budget_and_cash",
    "cash_fan",
    "costs_by_challenge",
    "distribution_preview",
    "house_style",
    "key_assumptions",
    "monthly_flows",
    "new_figure",
    "npv_difference",
    "npv_distribution",
    "payback_curve",
    "present_value_summary",
    "risk_return",
    "run_charts",
    "source_note",
    "strategy_colours",
]

#: Strategy colours, in scenario order (colour-blind-safe, after Okabe and Ito).
PALETTE = ("#0F4C81", "#E07B00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#6B6B6B",
           "#B59B00")
#: Colours of cost categories and benefit items in the monthly-flows chart.
_FLOW_COSTS = ("#7F1D1D", "#B91C1C", "#DC2626", "#EF4444", "#F87171", "#FCA5A5", "#9A3412",
               "#C2410C", "#EA580C", "#FB923C", "#FDBA74", "#78716C", "#A8A29E")
_FLOW_BENEFITS = ("#14532D", "#15803D", "#22C55E", "#4ADE80", "#86EFAC", "#0F766E", "#14B8A6")
_INK = "#1F2933"
_MUTED = "#6B7280"
_GRID = "#E5E7EB"
_FONT = "Inter, 'Segoe UI', Helvetica, Arial, sans-serif"


def _text(value: str) -> str:
    """User text made safe for plotly's HTML-like labels."""
    return html.escape(str(value), quote=False)


def strategy_colours(names: Sequence[str]) -> dict[str, str]:
    """The colour of each strategy, by position: the same in every chart of a run."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def _rgba(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[k:k + 2], 16) for k in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


@functools.cache
def _template() -> go.layout.Template:
    """The house template: small, so a figure is cheap to build (plotly's default
    template costs ~10 ms per figure to copy)."""
    axis = {"gridcolor": _GRID, "zerolinecolor": _GRID, "linecolor": _GRID,
            "automargin": True, "title": {"standoff": 8}}
    return go.layout.Template(layout={
        "font": {"family": _FONT, "size": 12, "color": _INK},
        "paper_bgcolor": "white", "plot_bgcolor": "white",
        "xaxis": axis, "yaxis": axis, "hoverlabel": {"font": {"family": _FONT}},
        "colorway": list(PALETTE),
    })


def new_figure() -> go.Figure:
    """An empty figure on the house template (start every chart with it)."""
    return go.Figure(layout={"template": _template()})


def _histogram(values: np.ndarray, edges: np.ndarray, *, share: bool) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    """Bin centres and counts (or shares of all values) of ``values`` in ``edges``;
    values outside the edges are left out (pre-binned: the browser draws bars, not
    thousands of points)."""
    finite = values[np.isfinite(values)]
    counts, _ = np.histogram(finite, bins=edges)
    centres = (edges[:-1] + edges[1:]) / 2
    return centres, (counts / max(values.size, 1) if share else counts)


def source_note(results: Results, *, day: datetime.date | None = None) -> str:
    """``"Source: costmodel 0.1.0 · <scenario>"``, a new line, ``"16,384 trials (sobol),
    seed 7 · 2026-11-22"`` (the date the chart was drawn, today unless ``day`` is given)."""
    m = results.manifest
    run = "point estimate" if m.point else f"{m.trials:,} trials ({m.sampler}), seed {m.seed}"
    day = day or datetime.date.today()
    return f"Source: costmodel {m.package_version} · {m.scenario_name}\n{run} · {day:%Y-%m-%d}"


def key_assumptions(results: Results) -> str:
    """The assumptions every chart of a run rests on, for its subtitle:
    ``"36 months · discount rate 10 % a year · 25 agents"``."""
    scenario = results.scenario
    units = scenario.organisation
    label = units.unit_label
    if units.units != 1:  # agent -> agents, process -> processes, entity -> entities
        if label.endswith(("s", "x", "ch", "sh")):
            label += "es"
        elif label.endswith("y") and label[-2:-1] not in "aeiou":
            label = label[:-1] + "ies"
        else:
            label += "s"
    return (f"{scenario.horizon_months} months · discount rate "
            f"{percent(scenario.discount_rate, 1 if scenario.discount_rate * 100 % 1 else 0)}"
            f" a year · {units.units:,} {label}")


def house_style(figure: go.Figure, *, title: str, subtitle: str = "", source: str = "",
                height: int = 420, assumption: str = "") -> go.Figure:
    """Apply the house style: title and subtitle at the top left (the key
    ``assumption`` on a line of its own under them), the legend under them, a source
    note at the bottom left. ``title``, ``subtitle``, ``assumption`` and ``source`` are
    plain text (escaped here). Returns ``figure``."""
    heading = f"<b>{_text(title)}</b>"
    for line in (subtitle, assumption):
        if line:
            heading += f"<br><span style='font-size:12px;color:{_MUTED}'>{_text(line)}</span>"
    bottom = 94 if source else 48
    figure.update_layout(
        height=height,
        title={"text": heading, "x": 0.0, "xanchor": "left", "xref": "container", "y": 1.0,
               "yanchor": "top", "yref": "container", "pad": {"t": 26, "l": 4},
               "font": {"size": 15}},
        margin={"l": 64, "r": 24, "t": 124 if assumption else 106, "b": bottom},
        legend={"orientation": "h", "x": 0.0, "xanchor": "left", "y": 1.0,
                "yanchor": "bottom", "bgcolor": "rgba(0,0,0,0)", "font": {"size": 11}},
    )
    if source:
        note = _text(source).replace("\n", "<br>")
        figure.add_annotation(text=note, xref="paper", yref="paper", x=0.0, y=0.0,
                              yshift=-(bottom - 42), xanchor="left", yanchor="top",
                              showarrow=False, align="left",
                              font={"size": 10, "color": _MUTED})
    return figure


def _money_axis(currency: str) -> dict[str, Any]:
    return {"tickformat": ",.3~s", "separatethousands": True}


def _months_axis(horizon: int) -> dict[str, Any]:
    return {"title": "month from project start", "range": [0, horizon], "dtick": 6}


# --- charts of a run -----------------------------------------------------------------


def cash_fan(results: Results) -> go.Figure:
    """Cumulative net cash by month, one panel per strategy: the median, the P25–P75 and
    P5–P95 bands, and the break-even line. Panels share the vertical axis."""
    names = results.names
    colours = strategy_colours(names)
    currency = results.scenario.currency
    columns = min(len(names), 3)
    rows = math.ceil(len(names) / columns)
    figure = make_subplots(rows=rows, cols=columns, shared_yaxes=True, shared_xaxes=True,
                           subplot_titles=[_text(n) for n in names],
                           horizontal_spacing=0.04, vertical_spacing=0.12,
                           figure=new_figure())
    for i, strategy in enumerate(results.strategies):
        row, col = i // columns + 1, i % columns + 1
        bands = strategy.cumulative_cash
        month = np.arange(bands.values.shape[1])
        colour = colours[strategy.name]
        first = i == 0
        for low, high, alpha, label in ((5, 95, 0.14, "P5–P95"), (25, 75, 0.32, "P25–P75")):
            figure.add_trace(go.Scatter(x=month, y=bands.at(high), mode="lines",
                                        line={"width": 0}, hoverinfo="skip", showlegend=False,
                                        legendgroup=label),
                             row=row, col=col)
            figure.add_trace(go.Scatter(
                x=month, y=bands.at(low), mode="lines", line={"width": 0}, fill="tonexty",
                fillcolor=_rgba(colour, alpha), name=f"{label} of trials",
                legendgroup=label, showlegend=first, hoverinfo="skip"), row=row, col=col)
        figure.add_trace(go.Scatter(
            x=month, y=bands.at(50), mode="lines", line={"color": colour, "width": 2.5},
            name=_text(strategy.name) + " — median", showlegend=True,
            hovertemplate="month %{x}: %{y:,.0f}<extra>median</extra>"), row=row, col=col)
        figure.add_hline(y=0, line={"color": _INK, "width": 1, "dash": "dot"}, row=row,
                         col=col)
        figure.update_xaxes(range=[0, month.size - 1], dtick=6, row=row, col=col)
    figure.update_yaxes(**_money_axis(currency))
    figure.update_yaxes(title=f"cumulative net cash [{currency}]", col=1)
    figure.update_xaxes(title="month from project start", row=rows)
    house_style(
        figure, title="Cumulative cash: when each plan breaks even",
        subtitle="Median, with the middle half (dark) and 90 % (light) of trials; "
                 "the dotted line is break-even",
        source=source_note(results), height=440 + 260 * (rows - 1),
        assumption=key_assumptions(results))
    figure.update_layout(margin={"t": 156}, legend={"y": 1.1})
    return figure


def npv_distribution(results: Results) -> go.Figure:
    """Overlaid NPV distributions of every strategy (share of trials per bin, the same
    bins for all), with the break-even line at 0 and each strategy's expected NPV."""
    names = results.names
    colours = strategy_colours(names)
    currency = results.scenario.currency
    finite = np.concatenate([np.asarray(s.metrics.npv)[np.isfinite(s.metrics.npv)]
                             for s in results.strategies])
    low, high = (np.percentile(finite, [0.5, 99.5]) if finite.size else (0.0, 1.0))
    edges = np.linspace(low, high if high > low else low + 1.0, 61)
    figure = new_figure()
    for strategy in results.strategies:
        colour = colours[strategy.name]
        centres, shares = _histogram(np.asarray(strategy.metrics.npv), edges, share=True)
        figure.add_trace(go.Bar(
            x=centres, y=shares, width=edges[1] - edges[0], name=_text(strategy.name),
            opacity=0.55, marker={"color": colour, "line": {"width": 0}},
            hovertemplate="NPV %{x:,.0f}<br>%{y:.1%} of trials<extra>%{fullData.name}"
                          "</extra>"))
        figure.add_vline(x=strategy.summary.npv.mean,
                         line={"color": colour, "width": 2, "dash": "dash"})
    figure.add_vline(x=0, line={"color": _INK, "width": 1, "dash": "dot"})
    figure.update_layout(barmode="overlay", bargap=0)
    figure.update_xaxes(title=f"net present value [{currency}]", range=[low, high],
                        **_money_axis(currency))
    figure.update_yaxes(title="share of trials", tickformat=".0%")
    return house_style(figure, title="NPV: the spread of outcomes",
                       subtitle="Share of trials per bin; dashed: expected NPV; "
                                "dotted: break-even",
                       source=source_note(results), assumption=key_assumptions(results))


def payback_curve(results: Results) -> go.Figure:
    """Probability of having paid back by each month, per strategy."""
    names = results.names
    colours = strategy_colours(names)
    horizon = results.scenario.horizon_months
    month = np.arange(1, horizon + 1)
    figure = new_figure()
    for strategy in results.strategies:
        share = paid_back_share(strategy, horizon)
        figure.add_trace(go.Scatter(
            x=month, y=share, mode="lines", line={"color": colours[strategy.name],
                                                   "width": 2.5, "shape": "hv"},
            name=_text(strategy.name),
            hovertemplate="by month %{x}: %{y:.0%}<extra>%{fullData.name}</extra>"))
    figure.add_hline(y=0.5, line={"color": _MUTED, "width": 1, "dash": "dot"})
    figure.update_xaxes(**_months_axis(horizon))
    figure.update_yaxes(title="share of trials paid back", tickformat=".0%", range=[0, 1.02])
    return house_style(figure, title="Payback: the chance of having paid back by each month",
                       subtitle="Undiscounted cumulative cash back above zero; "
                                "dotted: an even chance",
                       source=source_note(results), assumption=key_assumptions(results))


def npv_difference(results: Results, comparison: Comparison) -> go.Figure:
    """The paired NPV difference ``a - b`` on the same draws: bars where ``a`` is ahead
    in ``a``'s colour, where ``b`` is ahead in ``b``'s."""
    colours = strategy_colours(results.names)
    currency = results.scenario.currency
    delta = np.asarray(comparison.delta_npv)
    finite = delta[np.isfinite(delta)]
    low, high = (np.percentile(finite, [0.5, 99.5]) if finite.size else (-1.0, 1.0))
    size = max(high - low, 1.0) / 60
    edges = math.floor(low / size) * size + size * np.arange(62)  # an edge falls on 0
    centres, counts = _histogram(delta, edges, share=False)
    figure = new_figure()
    for ahead, strategy in ((centres > 0, comparison.a), (centres <= 0, comparison.b)):
        figure.add_trace(go.Bar(
            x=centres[ahead], y=counts[ahead], width=size, name=f"{_text(strategy)} ahead",
            marker={"color": colours[strategy], "line": {"width": 0}}, opacity=0.85,
            hovertemplate="difference %{x:,.0f}<br>%{y:,} trials<extra>%{fullData.name}"
                          "</extra>"))
    figure.add_vline(x=0, line={"color": _INK, "width": 1, "dash": "dot"})
    figure.add_vline(x=comparison.mean_delta_npv, line={"color": _INK, "width": 2,
                                                        "dash": "dash"})
    figure.update_layout(barmode="overlay", bargap=0)
    figure.update_xaxes(title=f"NPV of {_text(comparison.a)} minus {_text(comparison.b)} "
                              f"[{currency}]", range=[low, high], **_money_axis(currency))
    figure.update_yaxes(title="trials")
    subtitle = (f"{comparison.a} ahead in {percent(comparison.prob_a_beats_b)} of trials; "
                f"mean difference {money(comparison.mean_delta_npv, currency, signed=True)} "
                f"(dashed line)")
    return house_style(figure, title=f"{comparison.a} against {comparison.b}, on the same "
                                     "draws", subtitle=subtitle, source=source_note(results),
                       assumption=key_assumptions(results))


def monthly_flows(results: Results, strategy_name: str, *,
                  by: Literal["category", "challenge"] = "category") -> go.Figure:
    """Mean monthly costs by category, or ``by="challenge"`` by adoption challenge
    (below zero), and benefits by item (above zero) of one strategy, with the mean net
    cash flow as a line."""
    if by not in ("category", "challenge"):
        raise ValueError(f"by={by!r}: use 'category' or 'challenge'")
    strategy = results[strategy_name]
    currency = results.scenario.currency
    month = np.arange(results.scenario.horizon_months)
    figure = new_figure()
    costs = (strategy.mean_costs_by_category if by == "category"
             else strategy.mean_costs_by_challenge)
    for k, (category, values) in enumerate(costs.items()):
        figure.add_trace(go.Bar(
            x=month, y=-np.asarray(values), name=category.replace("_", " "),
            marker={"color": _FLOW_COSTS[k % len(_FLOW_COSTS)]},
            hovertemplate="month %{x}: %{y:,.0f}<extra>%{fullData.name}</extra>"))
    for k, (item, values) in enumerate(strategy.mean_benefits_by_item.items()):
        figure.add_trace(go.Bar(
            x=month, y=np.asarray(values), name=_text(item),
            marker={"color": _FLOW_BENEFITS[k % len(_FLOW_BENEFITS)]},
            hovertemplate="month %{x}: %{y:,.0f}<extra>%{fullData.name}</extra>"))
    net = strategy.mean_benefits - strategy.mean_costs
    figure.add_trace(go.Scatter(
        x=month, y=net, mode="lines", name="net cash flow",
        line={"color": strategy_colours(results.names)[strategy_name], "width": 2.5},
        hovertemplate="month %{x}: %{y:,.0f}<extra>net</extra>"))
    figure.update_layout(barmode="relative", bargap=0.15)
    figure.update_xaxes(**_months_axis(len(month)))
    figure.update_yaxes(title=f"mean cash flow [{currency}/month]", **_money_axis(currency))
    house_style(figure, title=f"Where the money goes and comes from: {strategy_name}",
                subtitle=f"Mean over trials per month: costs by {by} below zero, "
                         "benefits by item above",
                source=source_note(results), height=440,
                assumption=key_assumptions(results))
    # many series: the legend goes to the right, one per line, not over the title
    figure.update_layout(legend={"orientation": "v", "x": 1.02, "xanchor": "left",
                                 "y": 1.0, "yanchor": "top"}, margin={"r": 12})
    return figure


def _discount(results: Results) -> np.ndarray:
    """Discount factor of each month, ``(1 + r_month) ** -m`` (month 0 undiscounted)."""
    months = np.arange(results.scenario.horizon_months)
    return (1.0 + results.scenario.rate_monthly) ** -months


def present_value_summary(results: Results) -> go.Figure:
    """The TEI-style summary: present value of benefits, of costs (below zero) and NPV
    per strategy, as expected values with whiskers from P10 to P90 of the trials — so a
    "risk-adjusted" figure is a stated percentile, not a flat haircut."""
    colours = strategy_colours(results.names)
    currency = results.scenario.currency
    labels = ["PV of benefits", "PV of costs", "NPV"]
    figure = new_figure()
    for strategy in results.strategies:
        s = strategy.summary
        # costs are drawn below zero: their P10 (low cost) is the top of the whisker
        stats = ((s.pv_benefits, 1.0), (s.pv_costs, -1.0), (s.npv, 1.0))
        mean = np.array([sign * stat.mean for stat, sign in stats])
        upper = np.array([max(sign * stat.p10, sign * stat.p90) for stat, sign in stats])
        lower = np.array([min(sign * stat.p10, sign * stat.p90) for stat, sign in stats])
        figure.add_trace(go.Bar(
            x=labels, y=mean, name=_text(strategy.name), offsetgroup=strategy.name,
            marker={"color": colours[strategy.name], "line": {"width": 0}},
            error_y={"type": "data", "symmetric": False, "array": upper - mean,
                     "arrayminus": mean - lower, "color": _INK, "thickness": 1.2,
                     "width": 6},
            customdata=np.stack([lower, upper], axis=1),
            hovertemplate="%{x}: %{y:,.0f}<br>P10–P90: %{customdata[0]:,.0f} to "
                          "%{customdata[1]:,.0f}<extra>%{fullData.name}</extra>"))
        # the expected value written past the end of its whisker
        below = mean < 0
        figure.add_trace(go.Scatter(
            x=labels, y=np.where(below, lower, upper), mode="text", showlegend=False,
            offsetgroup=strategy.name, hoverinfo="skip", cliponaxis=False,
            text=[money(v, currency, compact=True) for v in mean],
            textposition=["bottom center" if b else "top center" for b in below],
            textfont={"color": colours[strategy.name], "size": 12}))
    figure.add_hline(y=0, line={"color": _INK, "width": 1})
    figure.update_layout(barmode="group", scattermode="group", bargap=0.25,
                         bargroupgap=0.08)
    figure.update_yaxes(title=f"present value at month 0 [{currency}]",
                        **_money_axis(currency))
    return house_style(figure, title="Present value of benefits, costs and NPV",
                       subtitle="Expected value per strategy; whiskers: P10 to P90 of trials",
                       source=source_note(results), assumption=key_assumptions(results))


def costs_by_challenge(results: Results) -> go.Figure:
    """Present value of each strategy's expected costs, grouped by the adoption
    challenge they answer (training and change, data, integration, compliance and
    security, licences and running costs). The bars of a strategy add up to its
    expected PV of costs."""
    colours = strategy_colours(results.names)
    currency = results.scenario.currency
    discount = _discount(results)
    present = [c for c in CHALLENGES
               if any(c in s.mean_costs_by_challenge for s in results.strategies)]
    figure = new_figure()
    for strategy in results.strategies:
        by_challenge = strategy.mean_costs_by_challenge
        values = np.array([float(discount @ by_challenge[c]) if c in by_challenge else 0.0
                           for c in present])
        figure.add_trace(go.Bar(
            y=present, x=values, orientation="h", name=_text(strategy.name),
            marker={"color": colours[strategy.name], "line": {"width": 0}},
            text=[money(v, currency, compact=True) for v in values],
            textposition="outside", cliponaxis=False,
            hovertemplate="%{y}: %{x:,.0f}<extra>%{fullData.name}</extra>"))
    figure.update_layout(barmode="group", bargap=0.3)
    figure.update_yaxes(autorange="reversed", title=None)
    figure.update_xaxes(title=f"present value of expected costs [{currency}]",
                        rangemode="tozero", **_money_axis(currency))
    return house_style(figure, title="What each adoption challenge costs",
                       subtitle="Present value of the expected costs, by the challenge they "
                                "answer (the productivity dip counts as resistance to change)",
                       source=source_note(results), assumption=key_assumptions(results),
                       height=400 + 24 * len(present) * max(1, len(results.names) - 1))


def _fiscal_year_labels(starts: np.ndarray, horizon: int) -> list[str]:
    ends = np.append(starts[1:], horizon) - 1
    return [f"FY{k + 1}<br>months {a}–{b}" for k, (a, b) in enumerate(zip(starts, ends,
                                                                          strict=True))]


def budget_and_cash(results: Results) -> go.Figure:
    """The business's position against its yearly budget cap and its cash: left, the
    chance that a fiscal year's AI spend goes over the cap, per strategy; right, the
    lowest cash balance over the horizon (cash on hand plus the cumulative flows after
    financing), median with P10–P90 and P5–P95."""
    colours = strategy_colours(results.names)
    scenario = results.scenario
    currency = scenario.currency
    budget = scenario.funding.budget
    figure = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45],
                           horizontal_spacing=0.14, figure=new_figure(),
                           subplot_titles=["Chance a fiscal year goes over the cap",
                                           "Lowest cash balance: median, P10–P90, P5–P95"])
    for strategy in results.strategies:
        funding, summary = strategy.funding, strategy.summary.funding
        if funding is None or summary is None:
            continue
        colour = colours[strategy.name]
        if budget is not None:
            labels = _fiscal_year_labels(np.asarray(funding.fiscal_year_starts),
                                         scenario.horizon_months)
            figure.add_trace(go.Bar(
                x=labels, y=list(summary.prob_breach_by_fiscal_year),
                name=_text(strategy.name), legendgroup=strategy.name,
                marker={"color": colour, "line": {"width": 0}},
                text=[percent(p) for p in summary.prob_breach_by_fiscal_year],
                textposition="outside", cliponaxis=False,
                hovertemplate="%{y:.1%} of trials over the cap<extra>%{fullData.name}"
                              "</extra>"), row=1, col=1)
        low = summary.min_cash
        name = _text(strategy.name)
        figure.add_trace(go.Scatter(
            x=[low.p5, low.p95], y=[name, name], mode="lines", showlegend=False,
            line={"color": _rgba(colour, 0.35), "width": 10}, hoverinfo="skip"),
            row=1, col=2)
        figure.add_trace(go.Scatter(
            x=[low.p10, low.p90], y=[name, name], mode="lines", showlegend=False,
            line={"color": colour, "width": 10}, hoverinfo="skip"), row=1, col=2)
        figure.add_trace(go.Scatter(
            x=[low.p50], y=[name], mode="markers+text", name=name,
            legendgroup=strategy.name, showlegend=budget is None,
            marker={"color": "white", "size": 11, "line": {"color": _INK, "width": 2}},
            text=[money(low.p50, currency, compact=True)], textposition="top center",
            hovertemplate=f"median %{{x:,.0f}}<br>P10–P90 {low.p10:,.0f} to "
                          f"{low.p90:,.0f}<extra>{name}</extra>"), row=1, col=2)
    if budget is None:
        figure.add_annotation(text="No yearly budget is set in this scenario", row=1,
                              col=1, x=0.5, y=0.5, xref="x domain", yref="y domain",
                              showarrow=False, font={"color": _MUTED})
        figure.update_xaxes(visible=False, row=1, col=1)
    figure.add_vline(x=0, line={"color": _INK, "width": 1, "dash": "dot"}, row=1, col=2)
    figure.update_layout(barmode="group", bargap=0.3)
    figure.update_yaxes(title="share of trials over the cap", tickformat=".0%",
                        range=[0, 1.08], row=1, col=1)
    count = len(results.strategies)
    figure.update_yaxes(range=[count - 0.5, -0.8], row=1, col=2)  # first on top, room for labels
    figure.update_xaxes(title=f"lowest cash balance [{currency}]", row=1, col=2,
                        **_money_axis(currency))
    cash = money(scenario.funding.cash_on_hand, currency, compact=True)
    cap = ("no yearly cap" if budget is None else
           f"yearly cap {money(budget.yearly_cap, currency, compact=True)} "
           f"({'net of savings' if budget.savings_count else 'on spending'}), fiscal years "
           f"from month {budget.fiscal_year_start_month}")
    house_style(figure, title="Budget and cash: can the business carry it?",
                subtitle=f"{cap[0].upper() + cap[1:]}; cash on hand {cash}; after loans, "
                         "grants and payment plans",
                source=source_note(results), assumption=key_assumptions(results),
                height=460)
    figure.update_layout(margin={"t": 156}, legend={"y": 1.1})
    return figure


def risk_return(results: Results, *, risk: Literal["p5", "expected_shortfall"] = "p5"
                ) -> go.Figure:
    """Risk against return: each strategy's expected NPV (up is better) against its
    bad case — the 5th percentile of NPV, or ``risk="expected_shortfall"`` the mean of
    the worst 5 % of trials (right is a milder bad case). Vertical whiskers: ±2
    Monte Carlo standard errors of the expected NPV."""
    if risk not in ("p5", "expected_shortfall"):
        raise ValueError(f"risk={risk!r}: use 'p5' or 'expected_shortfall'")
    colours = strategy_colours(results.names)
    currency = results.scenario.currency
    label = ("5th percentile of NPV" if risk == "p5"
             else "expected shortfall (mean of the worst 5 % of NPV)")
    figure = new_figure()
    # labels above and below the points in turn, from the highest expected NPV down
    order = np.argsort([-s.summary.npv.mean for s in results.strategies], kind="stable")
    above = {results.strategies[k].name: rank % 2 == 0 for rank, k in enumerate(order)}
    for strategy in results.strategies:
        s = strategy.summary
        downside = s.npv.p5 if risk == "p5" else s.npv_expected_shortfall
        error = 2 * s.npv.mean_se if math.isfinite(s.npv.mean_se) else 0.0
        figure.add_trace(go.Scatter(
            x=[downside], y=[s.npv.mean], mode="markers+text", name=_text(strategy.name),
            marker={"color": colours[strategy.name], "size": 16,
                    "line": {"color": "white", "width": 1.5}},
            error_y={"type": "data", "array": [error], "color": colours[strategy.name],
                     "thickness": 1.5, "width": 5},
            text=[f"{_text(strategy.name)}<br>P(NPV > 0) {percent(s.prob_npv_positive)}"],
            textposition="top center" if above[strategy.name] else "bottom center",
            cliponaxis=False,
            hovertemplate=f"expected NPV %{{y:,.0f}}<br>{label}: %{{x:,.0f}}"
                          "<extra>%{fullData.name}</extra>"))
    for line in (figure.add_hline, figure.add_vline):
        line(0, line={"color": _INK, "width": 1, "dash": "dot"})
    figure.update_xaxes(title=f"{label} [{currency}]", **_money_axis(currency))
    figure.update_yaxes(title=f"expected NPV [{currency}]", **_money_axis(currency))
    # room for the labels around the points; break-even (0) in view on the NPV axis
    xs = [t.x[0] for t in figure.data]
    ys = [t.y[0] for t in figure.data] + [0.0]
    pad_x = max(0.3 * (max(xs) - min(xs)), 0.1 * max(abs(v) for v in xs), 1.0)
    pad_y = 0.3 * max(max(ys) - min(ys), 1.0)
    figure.update_xaxes(range=[min(xs) - pad_x, max(xs) + pad_x])
    figure.update_yaxes(range=[min(ys) - pad_y, max(ys) + pad_y])
    return house_style(figure, title="Risk and return of each strategy",
                       subtitle="Up: more value on average; right: a milder bad case; "
                                "whiskers: ±2 standard errors of the mean",
                       source=source_note(results), assumption=key_assumptions(results))


def run_charts(results: Results) -> dict[str, go.Figure]:
    """Every chart of a run, keyed by a file-name stem, in the report's order: the
    headline charts, the paired difference of the first two strategies, then the
    monthly flows by challenge of each strategy (``monthly_flows_1``, …)."""
    figures = {
        "present_value": present_value_summary(results),
        "cash_fan": cash_fan(results),
        "npv_distribution": npv_distribution(results),
        "risk_return": risk_return(results),
        "payback_curve": payback_curve(results),
        "costs_by_challenge": costs_by_challenge(results),
        "budget_and_cash": budget_and_cash(results),
    }
    comparisons = results.comparisons()
    if comparisons:
        figures["npv_difference"] = npv_difference(results, comparisons[0])
    for k, name in enumerate(results.names):
        figures[f"monthly_flows_{k + 1}"] = monthly_flows(results, name, by="challenge")
    return figures


# --- inputs --------------------------------------------------------------------------


def distribution_preview(value: Any, *, label: str = "", unit: str = "",
                         points: int = 2_000) -> go.Figure:
    """A small picture of one uncertain input: its density (from the inverse CDF on an
    even grid of probabilities), or a single line for a fixed number.

    ``value`` is a number, a :class:`~costmodel.distributions.Distribution` or its file
    form (``{"pert": [low, likely, high]}``). Raises ``ValueError`` for an invalid form.
    """
    if isinstance(value, dict):
        value = parse_distribution(value)
    figure = new_figure()
    if isinstance(value, Distribution) and not value.is_constant:
        grid = (np.arange(points) + 0.5) / points
        draws = value.ppf(grid)
        edges = np.linspace(draws[0], draws[-1], 41)
        centres, shares = _histogram(draws, edges, share=True)
        figure.add_trace(go.Bar(x=centres, y=shares, width=edges[1] - edges[0],
                                marker={"color": PALETTE[0], "line": {"width": 0}},
                                opacity=0.75, hoverinfo="skip"))
        point = value.point()
        subtitle = value.describe()
    else:
        point = float(value.point() if isinstance(value, Distribution) else value)
        figure.add_trace(go.Scatter(x=[point, point], y=[0, 1], mode="lines",
                                    line={"color": PALETTE[0], "width": 3}, hoverinfo="skip"))
        subtitle = f"fixed at {point:,.6g}"
    figure.add_vline(x=point, line={"color": _INK, "width": 1, "dash": "dot"})
    figure.update_yaxes(visible=False)
    figure.update_xaxes(title=unit or None, tickformat=",.4~s")
    house_style(figure, title=label or "Distribution", subtitle=subtitle, height=190)
    figure.update_layout(margin={"l": 12, "r": 12, "t": 52, "b": 36}, showlegend=False,
                         title={"font": {"size": 13}}, bargap=0)
    return figure


# --- sensitivity (issue 8): tornado, spider, rank correlations, Sobol indices ----------
#
# These take the views of :mod:`costmodel.sensitivity` (duck-typed, so this module does
# not import the engine) and one strategy's name; ``scenario_name`` goes in the source note.

__all__ += ["rank_correlation_chart", "sobol_chart", "spider_chart", "tornado_chart"]

_LOW_COLOUR, _HIGH_COLOUR = "#E07B00", "#0F4C81"  # input at its low / high percentile
_METRIC_TITLES = {"npv": "NPV", "irr_annual": "IRR per year", "roi": "ROI",
                  "benefit_cost_ratio": "benefit-cost ratio", "payback_months": "payback",
                  "discounted_payback_months": "discounted payback",
                  "peak_funding_need": "peak funding need", "total_cost": "total cost",
                  "pv_costs": "PV of costs", "pv_benefits": "PV of benefits"}


def _metric_title(metric: str) -> str:
    return _METRIC_TITLES.get(metric, metric)


def _metric_axis(metric: str, currency: str) -> dict[str, Any]:
    if metric in ("irr_annual", "roi"):
        return {"tickformat": ".0%"}
    if metric in ("payback_months", "discounted_payback_months"):
        return {"ticksuffix": " mo"}
    if metric == "benefit_cost_ratio":
        return {}
    return _money_axis(currency)


def _sensitivity_source(scenario_name: str, detail: str) -> str:
    from importlib import metadata

    try:
        version = metadata.version("costmodel")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source tree
        version = "0+unknown"
    return f"Source: costmodel {version} · {scenario_name}\n{detail}"


def _short(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1_000 else f"{value:,.0f}"


def tornado_chart(tornado: Any, strategy: str, *, currency: str = "USD",
                  scenario_name: str = "", top: int = 12) -> go.Figure:
    """The tornado of one strategy: for the ``top`` inputs with the largest swing, a bar
    from the point-run value of the metric to its value with the input at its low
    percentile, and one to its value at the high percentile; widest at the top."""
    s = tornado.strategies.index(strategy)
    order = tornado.order(strategy)[:top][::-1]  # plotly draws the first category lowest
    base = float(tornado.base[s])
    low_p, high_p = tornado.levels
    labels = [f"{_text(tornado.inputs[k].label)}<br><span style='font-size:10px;color:"
              f"{_MUTED}'>{_short(tornado.input_low[k])} to {_short(tornado.input_high[k])}"
              "</span>" for k in order]
    figure = new_figure()
    for values, inputs, colour, name in (
            (tornado.low[s], tornado.input_low, _LOW_COLOUR, f"input at its P{low_p:g}"),
            (tornado.high[s], tornado.input_high, _HIGH_COLOUR, f"input at its P{high_p:g}")):
        delta = np.array([values[k] - base for k in order], dtype=float)
        figure.add_trace(go.Bar(
            y=labels, x=delta, base=base, orientation="h", name=name,
            marker={"color": colour, "line": {"width": 0}},
            customdata=np.array([[values[k], inputs[k]] for k in order], dtype=float),
            hovertemplate="input %{customdata[1]:,.4~g}: %{customdata[0]:,.4~g}"
                          "<extra>%{fullData.name}</extra>"))
    figure.add_vline(x=base, line={"color": _INK, "width": 1.5})
    figure.update_layout(barmode="overlay", bargap=0.3)
    title = _metric_title(tornado.metric)
    unit = f" [{currency}]" if _metric_axis(tornado.metric, currency) else ""
    figure.update_xaxes(title=f"{title}{unit}", **_metric_axis(tornado.metric, currency))
    return house_style(
        figure, title=f"What moves {title} most: {strategy}",
        subtitle=f"Each input alone at its P{low_p:g} and P{high_p:g}, the others at their "
                 f"point values; the line is the point estimate ({_short(base)})",
        source=_sensitivity_source(scenario_name, "one input at a time; risk events held "
                                                  "off, as in the point run"),
        height=max(360, 140 + 38 * len(order)))


def spider_chart(spider: Any, strategy: str, *, currency: str = "USD",
                 scenario_name: str = "", top: int = 8) -> go.Figure:
    """The spider view of one strategy: the metric against each input's percentile, the
    others at their point values, for the ``top`` inputs with the widest range."""
    s = spider.strategies.index(strategy)
    figure = new_figure()
    for i, k in enumerate(spider.order(strategy)[:top]):
        figure.add_trace(go.Scatter(
            x=spider.levels, y=spider.values[s, k], mode="lines+markers",
            name=_text(spider.inputs[k].label), line={"width": 2,
                                                      "color": PALETTE[i % len(PALETTE)]},
            marker={"size": 5}, customdata=spider.input_values[k],
            hovertemplate="P%{x:g} (input %{customdata:,.4~g}): %{y:,.4~g}"
                          "<extra>%{fullData.name}</extra>"))
    figure.add_hline(y=float(spider.base[s]), line={"color": _INK, "width": 1, "dash": "dot"})
    title = _metric_title(spider.metric)
    figure.update_xaxes(title="percentile of the input", ticksuffix="%", range=[0, 100],
                        dtick=10)
    figure.update_yaxes(title=title, **_metric_axis(spider.metric, currency))
    figure = house_style(
        figure, title=f"{title} against each input's percentile: {strategy}",
        subtitle="The others at their point values; steep lines matter most; dotted: the "
                 "point estimate",
        source=_sensitivity_source(scenario_name, "one input at a time"), height=480)
    figure.update_layout(legend={"orientation": "v", "x": 1.02, "y": 1.0,
                                 "yanchor": "top"}, margin={"r": 260})
    return figure


def rank_correlation_chart(correlations: Any, strategy: str, *, scenario_name: str = "",
                           top: int = 12) -> go.Figure:
    """Spearman rank correlation of each input with the metric over the Monte Carlo run,
    with its 95 % interval, and the contribution to variance in the hover."""
    s = correlations.strategies.index(strategy)
    order = correlations.order(strategy)[:top][::-1]
    rho = np.array([correlations.rho[s, k] for k in order])
    figure = new_figure()
    figure.add_trace(go.Bar(
        y=[_text(correlations.labels[k]) for k in order], x=rho, orientation="h",
        marker={"color": [_HIGH_COLOUR if r >= 0 else _LOW_COLOUR for r in rho],
                "line": {"width": 0}},
        error_x={"type": "data", "symmetric": False, "color": _MUTED, "thickness": 1,
                 "array": [correlations.ci_high[s, k] - correlations.rho[s, k]
                           for k in order],
                 "arrayminus": [correlations.rho[s, k] - correlations.ci_low[s, k]
                                for k in order]},
        customdata=[correlations.contribution[s, k] for k in order],
        hovertemplate="rank correlation %{x:.2f}<br>contribution to variance "
                      "%{customdata:.1%}<extra></extra>", showlegend=False))
    figure.add_vline(x=0, line={"color": _INK, "width": 1})
    figure.update_xaxes(title=f"rank correlation with {_metric_title(correlations.metric)}",
                        range=[-1, 1], dtick=0.25)
    return house_style(
        figure, title=f"Which inputs move with {_metric_title(correlations.metric)}: "
                      f"{strategy}",
        subtitle="Spearman rank correlation over the Monte Carlo trials, with its 95 % "
                 "interval; blue: higher input, higher value",
        source=_sensitivity_source(scenario_name, f"{correlations.trials:,} trials "
                                                  f"({correlations.sampler}), seed "
                                                  f"{correlations.seed}"),
        height=max(360, 140 + 30 * len(order)))


def sobol_chart(indices: Any, strategy: str, *, kind: str = "input",
                scenario_name: str = "", top: int = 12) -> go.Figure:
    """First-order and total Sobol indices of one strategy's rows of ``kind``
    (``"input"``, ``"challenge"`` or ``"item"``), with their bootstrap intervals."""
    s = indices.strategies.index(strategy)
    rows = indices.rows(strategy, kind)[:top][::-1]
    labels = [_text(indices.names[r]) for r in rows]
    figure = new_figure()
    for values, ci, colour, name in (
            (indices.total, indices.total_ci, _HIGH_COLOUR, "total (with interactions)"),
            (indices.first, indices.first_ci, _LOW_COLOUR, "first-order (alone)")):
        v = np.array([values[s, r] for r in rows])
        figure.add_trace(go.Bar(
            y=labels, x=v, orientation="h", name=name,
            marker={"color": colour, "line": {"width": 0}},
            error_x={"type": "data", "symmetric": False, "color": _INK, "thickness": 1,
                     "array": [ci[s, r, 1] - values[s, r] for r in rows],
                     "arrayminus": [values[s, r] - ci[s, r, 0] for r in rows]},
            hovertemplate="%{x:.1%}<extra>%{fullData.name}</extra>"))
    figure.update_layout(barmode="group", bargap=0.25)
    figure.update_xaxes(title=f"share of the variance of {_metric_title(indices.metric)}",
                        tickformat=".0%", rangemode="tozero")
    what = {"input": "inputs", "challenge": "adoption challenges",
            "item": "cost and benefit items"}.get(kind, kind)
    return house_style(
        figure, title=f"How much of the uncertainty each of the {what} explains: "
                      f"{strategy}",
        subtitle=f"Sobol indices with {indices.confidence:.0%} bootstrap intervals; "
                 "inputs treated as independent",
        source=_sensitivity_source(scenario_name, f"Sobol design of {indices.samples:,} × "
                                                  f"(2 + sets) = {indices.evaluations:,} "
                                                  f"trials, seed {indices.seed}"),
        height=max(360, 160 + 44 * len(rows)))


# --- comparing scenarios ---------------------------------------------------------------
# Charts of a :class:`costmodel.compare.Comparison`: a scenario keeps its colour (by its
# position in the comparison) in each of them.

__all__ += ["attribution_waterfall", "compare_cash_fan", "compare_npv"]


def _compare_source(comparison: Any) -> str:
    first = comparison.results[0].manifest
    return (f"Source: costmodel {first.package_version} · {len(comparison.results)} "
            f"scenarios compared\n{comparison.trials:,} trials ({comparison.sampler}), seed "
            f"{comparison.seed}, the same for each")


def compare_npv(comparison: Any, strategy: str) -> go.Figure:
    """Overlaid NPV distributions of one strategy in every compared scenario that has it
    (share of trials per bin, the same bins for all; dashed: each expected NPV)."""
    runs = [(k, r) for k, r in enumerate(comparison.results) if strategy in r.names]
    currency = comparison.results[0].scenario.currency
    values = [np.asarray(r[strategy].metrics.npv) for _, r in runs]
    finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.zeros(0)
    low, high = (np.percentile(finite, [0.5, 99.5]) if finite.size else (0.0, 1.0))
    edges = np.linspace(low, high if high > low else low + 1.0, 61)
    figure = new_figure()
    for (k, results), npv in zip(runs, values, strict=True):
        colour = PALETTE[k % len(PALETTE)]
        centres, shares = _histogram(npv, edges, share=True)
        figure.add_trace(go.Scatter(
            x=centres, y=shares, mode="lines", line={"color": colour, "width": 2,
                                                      "shape": "hvh"},
            fill="tozeroy", fillcolor=_rgba(colour, 0.15), name=_text(results.scenario.name),
            hovertemplate="NPV %{x:,.0f}<br>%{y:.1%} of trials<extra>%{fullData.name}"
                          "</extra>"))
        figure.add_vline(x=float(np.mean(npv)), line={"color": colour, "width": 2,
                                                      "dash": "dash"})
    figure.add_vline(x=0, line={"color": _INK, "width": 1, "dash": "dot"})
    figure.update_xaxes(title=f"net present value [{currency}]", range=[low, high],
                        **_money_axis(currency))
    figure.update_yaxes(title="share of trials", tickformat=".0%", rangemode="tozero")
    return house_style(figure, title=f"NPV of {strategy}, scenario by scenario",
                       subtitle="Share of trials per bin; dashed: expected NPV; "
                                "dotted: break-even",
                       source=_compare_source(comparison))


def compare_cash_fan(comparison: Any, strategy: str) -> go.Figure:
    """Cumulative net cash of one strategy in every compared scenario: the median line
    and the P10–P90 band of each, on one set of axes."""
    currency = comparison.results[0].scenario.currency
    figure = new_figure()
    horizon = 1
    for k, results in enumerate(comparison.results):
        if strategy not in results.names:
            continue
        colour = PALETTE[k % len(PALETTE)]
        bands = results[strategy].cumulative_cash
        month = np.arange(bands.values.shape[1])
        horizon = max(horizon, month.size)
        name = _text(results.scenario.name)
        figure.add_trace(go.Scatter(x=month, y=bands.at(90), mode="lines", line={"width": 0},
                                    hoverinfo="skip", showlegend=False, legendgroup=name))
        figure.add_trace(go.Scatter(x=month, y=bands.at(10), mode="lines", line={"width": 0},
                                    fill="tonexty", fillcolor=_rgba(colour, 0.16),
                                    hoverinfo="skip", showlegend=False, legendgroup=name))
        figure.add_trace(go.Scatter(
            x=month, y=bands.at(50), mode="lines", line={"color": colour, "width": 2.5},
            name=name, legendgroup=name,
            hovertemplate="month %{x}: %{y:,.0f}<extra>%{fullData.name}, median</extra>"))
    figure.add_hline(y=0, line={"color": _INK, "width": 1, "dash": "dot"})
    figure.update_xaxes(**_months_axis(horizon - 1))
    figure.update_yaxes(title=f"cumulative net cash [{currency}]", **_money_axis(currency))
    return house_style(figure, title=f"Cumulative cash of {strategy}, scenario by scenario",
                       subtitle="Median, with the P10–P90 band of trials; dotted: break-even",
                       source=_compare_source(comparison))


def attribution_waterfall(comparison: Any, attribution: Any) -> go.Figure:
    """From one scenario's expected NPV to the other's: a bar per changed assumption
    (its order-independent share, or its step in the stated order), summing exactly."""
    currency = comparison.results[0].scenario.currency
    labels = [f"{_text(attribution.base)}"]
    labels += [_text(c.change) for c in attribution.contributions]
    labels += [f"{_text(attribution.other)}"]
    values = [attribution.base_npv, *(c.value for c in attribution.contributions),
              attribution.other_npv]
    measures = ["absolute", *(["relative"] * len(attribution.contributions)), "total"]
    figure = new_figure()
    figure.add_trace(go.Waterfall(
        x=labels, y=values, measure=measures, orientation="v",
        text=[money(v, currency, signed=0 < k < len(values) - 1)
              for k, v in enumerate(values)], textposition="outside",
        increasing={"marker": {"color": "#15803D"}},
        decreasing={"marker": {"color": "#B91C1C"}},
        totals={"marker": {"color": PALETTE[0]}},
        connector={"line": {"color": _MUTED, "width": 1, "dash": "dot"}},
        hovertemplate="%{x}: %{y:,.0f}<extra></extra>", showlegend=False))
    figure.update_yaxes(title=f"expected NPV [{currency}]", **_money_axis(currency))
    figure.update_xaxes(tickangle=-20, automargin=True)
    how = ("average over every order of the changes" if attribution.method == "shapley"
           else "changes switched in the order shown")
    draws = "same draws throughout" if attribution.common_draws else "not all on the same draws"
    return house_style(
        figure, title=f"{attribution.strategy}: from {attribution.base} to {attribution.other}",
        subtitle=f"What each changed assumption does to expected NPV ({how}; {draws})",
        source=_compare_source(comparison), height=460)
