"""Funding and budget: the cost of capital, the horizon, and the cash the plan needs.

Budget caps, cash on hand, loans and grants arrive with the funding model; this page
keeps their place and shows the peak cash need each strategy has today.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from costmodel import charts
from costmodel.dashboard import compute, state
from costmodel.dashboard.help import help_for
from costmodel.dashboard.widgets import (
    apply_bar,
    chart,
    field_key,
    page_header,
    plain,
    result_strip,
    show_problems,
)
from costmodel.scenario import MAX_HORIZON_MONTHS
from costmodel.verdict import cards, money


def _finance(draft: dict[str, Any]) -> dict[str, Any]:
    candidate = dict(draft)
    columns = st.columns(3)
    with columns[0]:
        candidate["discount_rate"] = st.number_input(
            "Discount rate [fraction per year]", value=float(draft["discount_rate"]),
            step=0.01, format="%g", key=field_key("discount_rate"),
            help=help_for("discount_rate"))
        show_problems("discount_rate")
    with columns[1]:
        candidate["horizon_months"] = st.number_input(
            "Horizon [months]", min_value=1, max_value=MAX_HORIZON_MONTHS, step=6,
            value=int(draft["horizon_months"]), key=field_key("horizon_months"),
            help=help_for("horizon_months"))
        show_problems("horizon_months")
    with columns[2]:
        candidate["currency"] = st.text_input(
            "Currency [ISO code]", value=draft.get("currency", "USD"), max_chars=3,
            key=field_key("currency"), help="Three-letter code (USD, EUR, GBP) used in every "
                                            "figure; amounts are not converted.")
        show_problems("currency")
    candidate["name"] = st.text_input("Scenario name", value=draft["name"], max_chars=120,
                                      key=field_key("name"))
    show_problems("name")
    candidate["description"] = st.text_area("Description", value=draft.get("description", ""),
                                            max_chars=4000, key=field_key("description"))
    return candidate


def _cash_need(currency: str) -> None:
    results = compute.draft_results()
    columns = st.columns(len(results.strategies))
    for column, card in zip(columns, cards(results), strict=True):
        column.metric(f"Peak cash need — {card.strategy}", money(card.peak_cash_mean, currency),
                      border=True, help="The deepest point of cumulative cash, mean over "
                                        "trials: what the business must be able to fund.")
        column.caption(f"1 in 10 trials: more than {money(card.peak_cash_p90, currency)}")


def render() -> None:
    page_header("Funding and budget")
    draft = state.draft()
    st.subheader("Money over time")
    candidate = _finance(draft)
    apply_bar(candidate, "funding_budget")
    results = compute.draft_results()
    result_strip(results, compute.saved_results())
    st.subheader("Cash the plan needs")
    _cash_need(results.scenario.currency)
    st.info("Budget caps per fiscal year, cash on hand, loans, grants and leases come with "
            "the funding model. Until then the figures are the project's own cash flows, "
            "before financing; the chance of breaking the budget is not shown.",
            icon=":material/account_balance:")
    st.caption(plain(f"Scenario: {results.scenario.name}"))
    chart(charts.cash_fan(results), "funding_budget.cash_fan")


if __name__ == "__main__":
    render()
