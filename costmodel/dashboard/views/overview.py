"""Overview: the verdict, a card per strategy and the four headline charts."""

from __future__ import annotations

import streamlit as st

from costmodel import charts
from costmodel.dashboard import compute
from costmodel.dashboard.widgets import chart, page_header, plain, swatch
from costmodel.verdict import Card, cards, money, months, percent, verdict


def _card(card: Card, index: int, currency: str) -> None:
    with st.container(border=True):
        st.markdown(f"#### {swatch(index)} {plain(card.strategy)}")
        top = st.columns(2)
        top[0].metric("Expected NPV", money(card.npv_mean, currency),
                      help="Mean net present value over all trials, discounted at the "
                           "scenario's rate [currency].")
        top[0].caption(f"P10 to P90: {money(card.npv_p10, currency)} to "
                       f"{money(card.npv_p90, currency)}")
        top[1].metric("Chance NPV > 0", percent(card.prob_npv_positive),
                      help="Share of trials in which the project earns more than it costs, "
                           "in present value.")
        middle = st.columns(2)
        middle[0].metric("Median payback", months(card.payback_p50),
                         help="Months until cumulative cash turns positive, in the middle "
                              "trial; 'never' when it does not within the horizon.")
        middle[0].caption(f"P10 to P90: {months(card.payback_p10)} to "
                          f"{months(card.payback_p90)}")
        middle[1].metric("Peak cash need", money(card.peak_cash_mean, currency),
                         help="How deep the business's cumulative cash goes, after loans, "
                              "grants and payment plans, before benefits catch up: the cash "
                              "it must fund (mean over trials) [currency].")
        middle[1].caption(f"1 in 10 trials: more than {money(card.peak_cash_p90, currency)}")
        budget = ("—" if card.prob_budget_breach is None
                  else percent(card.prob_budget_breach))
        st.metric("Chance of breaking the budget", budget,
                  help="Share of trials in which some fiscal year's AI spending exceeds the "
                       "yearly budget cap ('—' when the scenario sets no budget).")


def render() -> None:
    page_header("Overview")
    results = compute.draft_results()
    currency = results.scenario.currency
    st.info(plain(verdict(results)), icon=":material/balance:")
    found = cards(results)
    columns = st.columns(len(found))
    for index, card in enumerate(found):
        with columns[index]:
            _card(card, index, currency)
    chart(charts.cash_fan(results), "overview.cash_fan")
    if not results.scenario.funding.empty:
        st.caption("The bands show the project's own cash, before loans, grants and payment "
                   "plans; the cards' peak cash need is after them.")
    left, right = st.columns(2)
    with left:
        chart(charts.npv_distribution(results), "overview.npv_distribution")
    with right:
        chart(charts.payback_curve(results), "overview.payback_curve")
    comparisons = results.comparisons()
    if comparisons:
        labels = [f"{c.a} against {c.b}" for c in comparisons]
        chosen = (st.selectbox("Compare", labels, key="overview.pair") if len(labels) > 1
                  else labels[0])
        chart(charts.npv_difference(results, comparisons[labels.index(chosen)]),
              "overview.npv_difference")


if __name__ == "__main__":
    render()
