"""Costs and benefits: the cost lines and benefits in editable tables."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import streamlit as st

from costmodel import charts
from costmodel.dashboard import compute, state
from costmodel.dashboard.editors import item_table, table_problems
from costmodel.dashboard.help import help_for
from costmodel.dashboard.tables import FORM_OPTIONS, UncertainColumns
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
from costmodel.scenario import BENEFIT_KINDS, COST_CATEGORIES

COST_FIELDS = ("name", "category", "kind", "basis", "escalation", "start_month")
COST_UNCERTAIN = (UncertainColumns("amount", "amount_"),
                  UncertainColumns("usage_per_unit", "usage_"))
#: The cost table's columns, left to right: what it is, then its amount (seen without
#: scrolling at 1400 px), then the rarer fields.
COST_ORDER = ("name", "category", "kind", "basis", "amount_form", "amount_low",
              "amount_likely", "amount_high", "escalation", "start_month", "usage_form",
              "usage_low", "usage_likely", "usage_high")
BENEFIT_FIELDS = ("name", "kind", "growth")
#: The uncertain fields of each benefit kind, with their units.
BENEFIT_INPUTS = MappingProxyType({
    "labour_hours": (("hours_per_unit_per_month", "hours saved", "hours/unit/month"),
                     ("hourly_cost", "hourly cost", "currency/hour"),
                     ("realisation", "realisation", "fraction")),
    "volume": (("items_per_month", "items", "items/month"),
               ("automation_rate", "automation rate", "fraction"),
               ("value_per_item", "value per item", "currency/item")),
    "revenue": (("revenue_per_month", "revenue", "currency/month"),
                ("uplift", "uplift", "fraction"), ("margin", "margin", "fraction")),
    "amount": (("amount_per_month", "amount", "currency/month"),),
})


def _number(label: str, help_key: str, **kwargs: Any) -> Any:
    return st.column_config.NumberColumn(label, help=help_for(help_key), format="%g",
                                         **kwargs)


def _money(label: str, help_key: str) -> Any:
    """An amount: thousands separators, as many decimals as it has (0.02 per token)."""
    return st.column_config.NumberColumn(label, help=help_for(help_key), format="localized",
                                         width=95)


def _form(label: str, help_key: str, **kwargs: Any) -> Any:
    return st.column_config.SelectboxColumn(label, options=FORM_OPTIONS,
                                            help=help_for(help_key), **kwargs)


def _cost_columns(currency: str) -> dict[str, Any]:
    return {
        # widths [px]: what a cost is and its amount fit the page at 1400 px
        "name": st.column_config.TextColumn("Cost line", help=help_for("costs.name"),
                                            width=180, max_chars=120),
        "category": st.column_config.SelectboxColumn(
            "Category", options=list(COST_CATEGORIES), help=help_for("costs.category"),
            width=135),
        "kind": st.column_config.SelectboxColumn(
            "Kind", options=["one_time", "monthly", "yearly"], help=help_for("costs.kind"),
            width=80),
        "basis": st.column_config.SelectboxColumn(
            "Basis", options=["fixed", "per_unit", "per_user", "per_usage"],
            help=help_for("costs.basis"), width=85),
        "amount_form": _form("Amount form", "costs.amount", width=105),
        "amount_low": _money(f"Low [{currency}]", "costs.amount"),
        "amount_likely": _money(f"Likely [{currency}]", "costs.amount"),
        "amount_high": _money(f"High [{currency}]", "costs.amount"),
        "escalation": _number("Escalation [/yr]", "costs.escalation", min_value=-0.5,
                              max_value=1.0),
        "usage_form": _form("Usage form", "costs.usage"),
        "usage_low": _number("Usage low", "costs.usage", min_value=0.0),
        "usage_likely": _number("Usage likely", "costs.usage", min_value=0.0),
        "usage_high": _number("Usage high", "costs.usage", min_value=0.0),
        "start_month": _number("Start month", "costs.start_month", min_value=0, step=1),
    }


def _costs(draft: dict[str, Any], currency: str, previews: Previews) -> list[dict[str, Any]]:
    st.subheader("Costs")
    st.caption("One row per cost line. Add a row at the bottom, delete with the row's "
               "checkbox. Amounts: a fixed number (Likely only) or low / likely / high.")
    items = draft.get("costs", [])
    costs, _ = item_table("costs", items, COST_FIELDS, _cost_columns(currency),
                          uncertain=COST_UNCERTAIN, whole=("start_month",), order=COST_ORDER)
    table_problems("costs", costs)
    for cost in costs:
        if cost.get("name") and cost.get("amount") is not None:
            previews.add(f"{cost['name']}: amount", cost["amount"], currency)
    return costs


def _benefit_details(benefit: dict[str, Any], position: int, row_id: str,
                     previews: Previews) -> None:
    inputs = BENEFIT_INPUTS.get(benefit.get("kind", ""), ())
    with st.expander(f"{plain(benefit.get('name') or '(new benefit)')} — "
                     f"{plain(str(benefit.get('kind')))}",
                     expanded=False):
        for name, label, unit in inputs:
            path = f"benefits[{position}].{name}"
            benefit[name] = uncertain_input(
                label, benefit.get(name), path=path, key_path=f"benefits.{row_id}.{name}",
                help=help_for(f"benefits.{name}"), unit=unit, previews=previews,
                step=0.01 if unit == "fraction" else 1.0, labelled=benefit.get("name", ""))


def _in_panel(path: str) -> bool:
    """Whether a benefit problem is shown in the benefit's panel (a number field)."""
    field = path.split("]", 1)[1].lstrip(".").split(".")[0]
    return any(field == name for inputs in BENEFIT_INPUTS.values() for name, _, _ in inputs)


def _benefits(draft: dict[str, Any], previews: Previews) -> list[dict[str, Any]]:
    st.subheader("Benefits")
    st.caption("One row per benefit; open a benefit below to enter its numbers.")
    items = draft.get("benefits", [])
    benefits, ids = item_table("benefits", items, BENEFIT_FIELDS, {
        "name": st.column_config.TextColumn("Benefit", help=help_for("benefits.name"),
                                            width="large", max_chars=120),
        "kind": st.column_config.SelectboxColumn("Kind", options=list(BENEFIT_KINDS),
                                                 help=help_for("benefits.kind")),
        "growth": _number("Growth [/yr]", "benefits.growth", min_value=-0.5, max_value=1.0)})
    for position, benefit in enumerate(benefits):
        _benefit_details(benefit, position, ids[position], previews)
    table_problems("benefits", benefits, shown_elsewhere=_in_panel)
    return benefits


def render() -> None:
    page_header("Costs and benefits")
    draft = state.draft()
    currency = draft.get("currency", "USD")
    previews = Previews()
    candidate = dict(draft)
    candidate["costs"] = _costs(draft, currency, previews)
    candidate["benefits"] = _benefits(draft, previews)
    show_preview(previews, key=field_key("preview.costs_benefits"))
    apply_bar(candidate, "costs_benefits")
    results, baseline = compute.draft_results(), compute.saved_results()
    result_strip(results, baseline)
    names = list(results.names)
    chosen = st.segmented_control("Strategy", names, default=names[0], format_func=plain,
                                  key="costs_benefits.strategy") or names[0]
    chart(charts.monthly_flows(results, chosen), "costs_benefits.flows")
    chart(charts.costs_by_challenge(results), "costs_benefits.by_challenge")


if __name__ == "__main__":
    render()
