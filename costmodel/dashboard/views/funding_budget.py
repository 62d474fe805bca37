"""Funding and budget: the cost of capital and the horizon; cash on hand, loans, grants
and payment plans (leases) in editable tables; the yearly budget (cap, fiscal year,
savings, policy); the business's figures after financing and the chance of breaking the
budget.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import streamlit as st

from costmodel import charts
from costmodel.dashboard import compute, state
from costmodel.dashboard.editors import item_table, table_problems
from costmodel.dashboard.help import help_for
from costmodel.dashboard.widgets import (
    apply_bar,
    chart,
    field_key,
    page_header,
    plain,
    result_strip,
    show_problems,
    swatch,
)
from costmodel.scenario import MAX_HORIZON_MONTHS
from costmodel.verdict import cards, money, percent

#: The columns of each table (a note in the file is kept as it is).
LOAN_FIELDS = ("name", "principal", "annual_rate", "term_months", "start_month",
               "grace_months", "fee")
GRANT_FIELDS = ("name", "amount", "month", "probability", "clawback")
LEASE_FIELDS = ("name", "items", "annual_rate", "term_months")
#: Budget policies, as the selector words them.
POLICIES = MappingProxyType({"flag": "flag — report the years over the cap",
                             "defer": "defer — move phases until they fit"})


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
            key=field_key("currency"), help=help_for("currency"))
        show_problems("currency")
    return candidate


# Column widths [px] chosen so each table fits the page at 1400 px without scrolling.
def _money_column(label: str, help_key: str, width: int = 120) -> Any:
    return st.column_config.NumberColumn(label, help=help_for(help_key), format="localized",
                                         min_value=0.0, width=width)


def _number_column(label: str, help_key: str, width: int = 110, **kwargs: Any) -> Any:
    return st.column_config.NumberColumn(label, help=help_for(help_key), format="%g",
                                         width=width, **kwargs)


def _month_column(label: str, help_key: str, width: int = 120, **kwargs: Any) -> Any:
    return st.column_config.NumberColumn(label, help=help_for(help_key), format="%d",
                                         step=1, width=width, **kwargs)


def _name_column(label: str, help_key: str) -> Any:
    return st.column_config.TextColumn(label, help=help_for(help_key), width=200,
                                       max_chars=120)


def _loans(funding: dict[str, Any], currency: str) -> list[dict[str, Any]]:
    st.markdown("**Loans**")
    items = funding.get("loans", [])
    loans, _ = item_table("funding.loans", items, LOAN_FIELDS, {
        "name": _name_column("Loan", "funding.loans.name"),
        "principal": _money_column(f"Principal [{currency}]", "funding.loans.principal"),
        "annual_rate": _number_column("Rate [/yr]", "funding.loans.annual_rate", width=90,
                                      min_value=0.0, step=0.005),
        "term_months": _month_column("Term [months]", "funding.loans.term_months",
                                     min_value=1),
        "start_month": _month_column("Drawn in month", "funding.loans.start_month", width=130,
                                     min_value=0),
        "grace_months": _month_column("Grace [months]", "funding.loans.grace_months",
                                      min_value=0),
        "fee": _money_column(f"Fee [{currency}]", "funding.loans.fee", width=100),
    }, whole=("term_months", "start_month", "grace_months"),
        numeric=("principal", "annual_rate", "term_months", "start_month", "grace_months",
                 "fee"))
    table_problems("funding.loans", loans)
    return loans


def _grants(funding: dict[str, Any], currency: str) -> list[dict[str, Any]]:
    st.markdown("**Grants and subsidies**")
    items = funding.get("grants", [])
    grants, _ = item_table("funding.grants", items, GRANT_FIELDS, {
        "name": _name_column("Grant", "funding.grants.name"),
        "amount": _money_column(f"Amount [{currency}]", "funding.grants.amount"),
        "month": _month_column("Paid in month", "funding.grants.month", min_value=0),
        "probability": _number_column("Chance awarded [0-1]", "funding.grants.probability",
                                      width=160, min_value=0.0, max_value=1.0, step=0.05),
        "clawback": _number_column("Clawback [0-1]", "funding.grants.clawback", width=130,
                                   min_value=0.0, max_value=1.0, step=0.05),
    }, whole=("month",), numeric=("amount", "month", "probability", "clawback"))
    table_problems("funding.grants", grants)
    return grants


def _one_time_costs(draft: dict[str, Any], leases: list[dict[str, Any]]) -> list[str]:
    """Names a payment plan can finance: the one-time cost lines, and any name a plan
    already holds (shown so that the schema's message about it makes sense)."""
    names = [c["name"] for c in draft.get("costs", []) if c.get("kind") == "one_time"]
    held = [name for lease in leases for name in lease.get("items", []) if name not in names]
    return names + held


def _leases(draft: dict[str, Any], funding: dict[str, Any]) -> list[dict[str, Any]]:
    st.markdown("**Payment plans and leases**")
    items = funding.get("leases", [])
    leases, _ = item_table("funding.leases", items, LEASE_FIELDS, {
        "name": _name_column("Payment plan", "funding.leases.name"),
        "items": st.column_config.MultiselectColumn(
            "Finances (one-time cost lines)", options=_one_time_costs(draft, items),
            help=help_for("funding.leases.items"), width=330),
        "annual_rate": _number_column("Rate [/yr]", "funding.leases.annual_rate",
                                      min_value=0.0, step=0.005),
        "term_months": _month_column("Instalments [months]", "funding.leases.term_months",
                                     min_value=1),
    }, whole=("term_months",), numeric=("annual_rate", "term_months"))
    table_problems("funding.leases", leases)
    return leases


def _budget(funding: dict[str, Any], currency: str) -> dict[str, Any] | None:
    """The yearly budget's fields, or ``None`` when the cap is switched off."""
    budget = funding.get("budget")
    capped = st.toggle("Yearly budget cap", value=budget is not None,
                       key=field_key("funding.budget", "on"), help=help_for("funding.budget"))
    exact = [p for p in state.problems() if p.path == "funding.budget"]
    show_problems("funding.budget", exact)
    if not capped:
        return None
    budget = dict(budget or {"yearly_cap": 50_000.0})
    columns = st.columns(3)
    with columns[0]:
        budget["yearly_cap"] = st.number_input(
            f"Cap [{currency} per fiscal year]", min_value=0.0,
            step=5_000.0, value=float(budget["yearly_cap"]), format="%.0f",
            key=field_key("funding.budget.yearly_cap"),
            help=help_for("funding.budget.yearly_cap"))
        show_problems("funding.budget.yearly_cap")
    with columns[1]:
        budget["fiscal_year_start_month"] = st.number_input(
            "Fiscal year starts in month [0-11]", min_value=0, max_value=11, step=1,
            value=int(budget.get("fiscal_year_start_month", 0)),
            key=field_key("funding.budget.fiscal_year_start_month"),
            help=help_for("funding.budget.fiscal_year_start_month"))
        show_problems("funding.budget.fiscal_year_start_month")
    with columns[2]:
        policy = budget.get("policy", "flag")
        options = list(POLICIES) + ([policy] if policy not in POLICIES else [])
        budget["policy"] = st.selectbox(
            "When a year goes over the cap", options, index=options.index(policy),
            format_func=lambda p: POLICIES.get(p, p), key=field_key("funding.budget.policy"),
            help=help_for("funding.budget.policy"))
        show_problems("funding.budget.policy")
    budget["savings_count"] = st.checkbox(
        "Savings offset spending (a self-funding rollout)",
        value=bool(budget.get("savings_count", True)),
        key=field_key("funding.budget.savings_count"),
        help=help_for("funding.budget.savings_count"))
    show_problems("funding.budget.savings_count")
    return budget


def _funding(draft: dict[str, Any]) -> dict[str, Any]:
    """Every field of the funding section, as edited."""
    currency = draft.get("currency", "USD")
    funding = dict(draft.get("funding") or {})
    st.subheader("Funding")
    funding["cash_on_hand"] = st.number_input(
        f"Cash on hand [{currency}]", min_value=0.0, step=1_000.0, format="%.0f",
        value=float(funding.get("cash_on_hand", 0.0)), key=field_key("funding.cash_on_hand"),
        help=help_for("funding.cash_on_hand"))
    show_problems("funding.cash_on_hand")
    st.caption("One row per loan, grant or payment plan. Add a row at the bottom, delete "
               "with the row's checkbox; hover a column's title for its meaning and unit.")
    funding["loans"] = _loans(funding, currency)
    funding["grants"] = _grants(funding, currency)
    funding["leases"] = _leases(draft, funding)
    st.subheader("Yearly budget")
    budget = _budget(funding, currency)
    if budget is None:
        funding.pop("budget", None)
    else:
        funding["budget"] = budget
    return funding


def _scenario_text(draft: dict[str, Any], candidate: dict[str, Any]) -> None:
    with st.expander("Scenario name and description"):
        candidate["name"] = st.text_input("Scenario name", value=draft["name"], max_chars=120,
                                          key=field_key("name"),
                                          help=help_for("name"))
        show_problems("name")
        candidate["description"] = st.text_area(
            "Description", value=draft.get("description", ""), max_chars=4000,
            key=field_key("description"), help=help_for("description"))
        show_problems("description")


def _business(results) -> None:
    """The business view per strategy: after financing, against the budget."""
    currency = results.scenario.currency
    columns = st.columns(len(results.strategies))
    for index, (column, strategy) in enumerate(zip(columns, results.strategies, strict=True)):
        f = strategy.summary.funding
        with column.container(border=True):
            st.markdown(f"**{swatch(index)} {plain(strategy.name)}**")
            top = st.columns(2)
            top[0].metric("Business NPV", money(f.business_npv.mean, currency),
                          help="NPV of the project's flows plus loans, grants and payment "
                               "plans, at the scenario's discount rate (mean over trials) "
                               "[currency].")
            top[1].metric("Interest and fees", money(f.interest_paid.mean, currency),
                          help="Interest and fees paid on the loans and payment plans within "
                               "the horizon (mean over trials) [currency].")
            st.caption(f"Lowest cash balance, 1 in 20 trials below: "
                       f"{money(f.min_cash.p5, currency)}")
            if f.prob_budget_breach is not None:
                years = ", ".join(f"FY{k + 1} {percent(p)}"
                                  for k, p in enumerate(f.prob_breach_by_fiscal_year))
                st.metric("Chance of breaking the budget", percent(f.prob_budget_breach),
                          help="Share of trials in which some fiscal year's spending is "
                               "over the cap.")
                st.caption(f"By fiscal year: {years}")
            if f.deferral_months is not None:  # the defer policy: phases wait for budget
                st.metric("Chance a phase waits for budget", percent(f.prob_deferred),
                          help="Share of trials in which the defer policy moved a phase's "
                               "go-live until its costs fit the yearly cap.")
                st.caption(f"The last phase goes live {f.deferral_months.mean:.1f} months "
                           f"later on average; staying in budget costs "
                           f"{money(f.deferral_cost, currency)} of expected NPV.")


def _cash_need(results) -> None:
    currency = results.scenario.currency
    columns = st.columns(len(results.strategies))
    for column, card in zip(columns, cards(results), strict=True):
        column.metric(f"Peak cash need — {plain(card.strategy)}",
                      money(card.peak_cash_mean, currency),
                      border=True, help="The deepest point of the business's cumulative cash "
                                        "after financing, mean over trials: what it must be "
                                        "able to fund [currency].")
        column.caption(f"1 in 10 trials: more than {money(card.peak_cash_p90, currency)}")


def render() -> None:
    page_header("Funding and budget")
    draft = state.draft()
    st.subheader("Money over time")
    candidate = _finance(draft)
    candidate["funding"] = _funding(draft)
    _scenario_text(draft, candidate)
    apply_bar(candidate, "funding_budget")
    results = compute.draft_results()
    result_strip(results, compute.saved_results())
    st.subheader("Cash the plan needs")
    _cash_need(results)
    st.subheader("After financing")
    _business(results)
    st.caption("How loans, grants and payment plans enter the figures: docs/methodology.md, "
               "'Funding and budget'.")
    st.caption("The chart shows the project's own cash, before loans, grants and payment "
               "plans; the peak cash need above is after them.")
    chart(charts.cash_fan(results), "funding_budget.cash_fan")
    chart(charts.budget_and_cash(results), "funding_budget.budget_and_cash")


if __name__ == "__main__":
    render()
