"""Uncertainty and risks: schedule slip, risk events, correlations, and the spread of
outcomes they make."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import streamlit as st

from costmodel import charts
from costmodel.dashboard import compute, state
from costmodel.dashboard.editors import item_table, table_problems
from costmodel.dashboard.help import help_for
from costmodel.dashboard.widgets import (
    Previews,
    apply_bar,
    chart,
    field_key,
    page_header,
    plain,
    result_strip,
    show_preview,
    uncertain_input,
)
from costmodel.scenario import COST_CATEGORIES, RISK_KINDS
from costmodel.uncertainty import uncertain_inputs

RISK_FIELDS = ("name", "kind", "probability_per_year", "category", "scales_with_deployment",
               "wind_down_months")
#: The uncertain impact fields of each risk kind, with labels and units.
RISK_INPUTS = MappingProxyType({"cost": (("cost", "cost per occurrence", "currency"),),
               "benefit_loss": (("loss", "share of benefit lost", "fraction"),
                                ("months", "lasting", "months")),
               "abandonment": ()})


def _slip(strategies: list[dict[str, Any]], previews: Previews) -> list[dict[str, Any]]:
    out = []
    tabs = st.tabs([plain(s["name"]) for s in strategies])
    for index, (tab, strategy) in enumerate(zip(tabs, strategies, strict=True)):
        strategy = dict(strategy)
        slip = dict(strategy.get("slip", {}))
        with tab:
            slip["months"] = uncertain_input(
                "delay of the first go-live", slip.get("months", 0.0), unit="months",
                path=f"strategies[{index}].slip.months", help=help_for("slip.months"),
                previews=previews, labelled=strategy["name"])
            slip["later_phases"] = uncertain_input(
                "share of the delay later phases suffer", slip.get("later_phases", 1.0),
                unit="fraction", step=0.05, path=f"strategies[{index}].slip.later_phases",
                help=help_for("slip.later_phases"), previews=previews,
                labelled=strategy["name"])
        strategy["slip"] = slip
        out.append(strategy)
    return out


def _in_panel(path: str) -> bool:
    field = path.split("]", 1)[1].lstrip(".").split(".")[0]
    return any(field == name for inputs in RISK_INPUTS.values() for name, _, _ in inputs)


def _risks(draft: dict[str, Any], previews: Previews) -> list[dict[str, Any]]:
    items = draft.get("risks", [])
    risks, ids = item_table("risks", items, RISK_FIELDS, {
        "name": st.column_config.TextColumn("Risk event", width=230, max_chars=120,
                                            help=help_for("risks.name")),
        "kind": st.column_config.SelectboxColumn(
            "Kind", options=list(RISK_KINDS), help=help_for("risks.kind"), width=100),
        "probability_per_year": st.column_config.NumberColumn(
            "Chance per year", min_value=0.0, max_value=1.0, format="%g", width=115,
            help=help_for("risks.probability_per_year")),
        "category": st.column_config.SelectboxColumn(
            "Cost category", options=list(COST_CATEGORIES),
            help=help_for("risks.category"), width=125),
        "scales_with_deployment": st.column_config.CheckboxColumn(
            "Scales with units live", help=help_for("risks.scales_with_deployment"),
            width=155),
        "wind_down_months": st.column_config.NumberColumn(
            "Wind-down [months]", min_value=0, format="%g",
            help=help_for("risks.wind_down_months"), width=130),
    })
    for position, risk in enumerate(risks):
        inputs = RISK_INPUTS.get(risk.get("kind", ""), ())
        if not inputs:
            continue
        with st.expander(f"{plain(risk.get('name') or '(new risk)')} — impact"):
            for name, label, unit in inputs:
                risk[name] = uncertain_input(
                    label, risk.get(name), path=f"risks[{position}].{name}", unit=unit,
                    key_path=f"risks.{ids[position]}.{name}", help=help_for("risks.impact"),
                    previews=previews, labelled=risk.get("name", ""),
                    step=0.05 if unit == "fraction" else 1.0)
    table_problems("risks", risks, shown_elsewhere=_in_panel)
    return risks


def _correlations(draft: dict[str, Any]) -> list[dict[str, Any]]:
    labels = [i.label for i in uncertain_inputs(state.draft_scenario())]
    items = [{"first": c["between"][0], "second": c["between"][1], "rank": c["rank"]}
             for c in draft.get("correlations", [])]
    rows, _ = item_table("correlations", items, ("first", "second", "rank"), {
        "first": st.column_config.SelectboxColumn("Input", options=labels, width=340,
                                                  help=help_for("correlations.first")),
        "second": st.column_config.SelectboxColumn("Moves with", options=labels, width=340,
                                                   help=help_for("correlations.second")),
        "rank": st.column_config.NumberColumn("Rank correlation", min_value=-0.99,
                                              max_value=0.99, format="%g",
                                              help=help_for("correlations.rank"))})
    out = [{"between": [row.get("first"), row.get("second")], "rank": row.get("rank")}
           for row in rows]
    table_problems("correlations", [])
    return out


def render() -> None:
    page_header("Uncertainty and risks")
    draft = state.draft()
    previews = Previews()
    candidate = dict(draft)
    st.subheader("Schedule slip")
    candidate["strategies"] = _slip(draft["strategies"], previews)
    st.subheader("Risk events")
    st.caption("Drawn month by month in every trial, the same in every strategy.")
    candidate["risks"] = _risks(draft, previews)
    st.subheader("Inputs that move together")
    candidate["correlations"] = _correlations(draft)
    show_preview(previews, key=field_key("preview.risks"))
    apply_bar(candidate, "uncertainty_risks")
    results = compute.draft_results()
    result_strip(results, compute.saved_results())
    chart(charts.npv_distribution(results), "uncertainty_risks.npv_distribution")
    for index, comparison in enumerate(results.comparisons()):
        chart(charts.npv_difference(results, comparison), f"uncertainty_risks.pair.{index}")
    chart(charts.risk_return(results), "uncertainty_risks.risk_return")


if __name__ == "__main__":
    render()
