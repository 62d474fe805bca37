"""Funding and budget: the cost of capital, the horizon, cash on hand and the yearly
budget; the business's figures after financing (loans, grants and payment plans, edited in
the scenario file for now) and the chance of breaking the budget.
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
from costmodel.verdict import cards, money, percent


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
    candidate["funding"] = _funding(draft)
    candidate["name"] = st.text_input("Scenario name", value=draft["name"], max_chars=120,
                                      key=field_key("name"))
    show_problems("name")
    candidate["description"] = st.text_area("Description", value=draft.get("description", ""),
                                            max_chars=4000, key=field_key("description"))
    return candidate


def _funding(draft: dict[str, Any]) -> dict[str, Any]:
    """Cash on hand and the yearly budget (loans, grants and leases are kept as they are)."""
    funding = dict(draft.get("funding") or {})
    budget = funding.get("budget")
    columns = st.columns(4)
    with columns[0]:
        funding["cash_on_hand"] = st.number_input(
            "Cash on hand [currency]", min_value=0.0, step=1_000.0,
            value=float(funding.get("cash_on_hand", 0.0)), key=field_key("funding.cash_on_hand"),
            help="Cash set aside for the project at month 0; the lowest cash balance and the "
                 "months below zero count from it. Challenge: cost and budget constraints.")
        show_problems("funding.cash_on_hand")
    with columns[1]:
        capped = st.toggle("Yearly budget cap", value=budget is not None,
                           key=field_key("funding.budget", "on"),
                           help="Hold each fiscal year's AI spending against a cap and "
                                "report the chance of breaking it.")
    if capped:
        budget = dict(budget or {"yearly_cap": 50_000.0})
        with columns[2]:
            budget["yearly_cap"] = st.number_input(
                "Cap [currency per fiscal year]", min_value=0.0, step=5_000.0,
                value=float(budget["yearly_cap"]), key=field_key("funding.budget.yearly_cap"),
                help="The most the rollout may spend in one fiscal year (leased items count "
                     "as their payments; the productivity dip and risk-event costs do not).")
            show_problems("funding.budget")
        with columns[3]:
            budget["fiscal_year_start_month"] = st.number_input(
                "Fiscal year starts in month", min_value=0, max_value=11, step=1,
                value=int(budget.get("fiscal_year_start_month", 0)),
                key=field_key("funding.budget.fiscal_year_start_month"),
                help="Month of the horizon (0-11) at which fiscal years start; the months "
                     "before it make a short first fiscal year [month index].")
        budget["savings_count"] = st.checkbox(
            "Savings offset spending (a self-funding rollout)",
            value=bool(budget.get("savings_count", True)),
            key=field_key("funding.budget.savings_count"),
            help="On: a fiscal year's benefits are subtracted from its spending before it is "
                 "held against the cap. Off: the cap is on spending alone.")
        funding["budget"] = budget
    else:
        funding.pop("budget", None)
    return funding


def _business(results) -> None:
    """The business view per strategy: after financing, against the budget."""
    currency = results.scenario.currency
    columns = st.columns(len(results.strategies))
    for column, strategy in zip(columns, results.strategies, strict=True):
        f = strategy.summary.funding
        with column.container(border=True):
            st.markdown(f"**{plain(strategy.name)}**")
            st.metric("Business NPV (after financing)", money(f.business_npv.mean, currency),
                      help="NPV of the project's flows plus loans, grants and payment plans, "
                           "at the scenario's discount rate (mean over trials).")
            st.caption(f"Interest and fees: {money(f.interest_paid.mean, currency)}; lowest "
                       f"cash balance, 1 in 20 trials below: {money(f.min_cash.p5, currency)}")
            if f.prob_budget_breach is not None:
                years = ", ".join(f"FY{k + 1} {percent(p)}"
                                  for k, p in enumerate(f.prob_breach_by_fiscal_year))
                st.metric("Chance of breaking the budget", percent(f.prob_budget_breach))
                st.caption(f"By fiscal year: {years}")


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
    st.subheader("After financing")
    _business(results)
    st.caption("Loans, grants and payment plans are read from the scenario file "
               "([funding] section); see docs/methodology.md, 'Funding and budget'.")
    st.caption(plain(f"Scenario: {results.scenario.name}"))
    chart(charts.cash_fan(results), "funding_budget.cash_fan")
    chart(charts.budget_and_cash(results), "funding_budget.budget_and_cash")


if __name__ == "__main__":
    render()
