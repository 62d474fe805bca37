"""Adoption and rollout: who adopts how fast, and each strategy's phases and gate."""

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
    show_problems,
    swatch,
    uncertain_input,
)

ADOPTION_INPUTS = (("ceiling", "adoption ceiling", "fraction", 0.01),
                   ("months_to_half", "months to half the ceiling", "months", 0.5),
                   ("data_quality", "data quality", "fraction", 0.01))


def _organisation(draft: dict[str, Any], previews: Previews) -> dict[str, Any]:
    organisation = dict(draft["organisation"])
    label = organisation.get("unit_label", "unit")
    columns = st.columns([1, 3])
    organisation["units"] = columns[0].number_input(
        f"Units ({label}s)", min_value=1, step=1, value=int(organisation["units"]),
        key=field_key("organisation.units"), help=help_for("organisation.units"))
    show_problems("organisation.units")
    with columns[1]:
        organisation["monthly_cost_per_unit"] = uncertain_input(
            f"monthly cost of one {label}", organisation.get("monthly_cost_per_unit", 0.0),
            path="organisation.monthly_cost_per_unit",
            unit=f"{draft.get('currency', 'USD')}/month",
            help=help_for("organisation.monthly_cost_per_unit"), previews=previews)
    return organisation


def _adoption(draft: dict[str, Any], previews: Previews) -> dict[str, Any]:
    adoption = dict(draft.get("adoption", {}))
    for name, label, unit, step in ADOPTION_INPUTS:
        adoption[name] = uncertain_input(
            label, adoption.get(name), path=f"adoption.{name}", unit=unit, step=step,
            help=help_for(f"adoption.{name}"), previews=previews)
    return adoption


def _gate(strategy: dict[str, Any], where: str) -> dict[str, Any] | None:
    gate = strategy.get("gate")
    on = st.toggle("Stage gate after the pilot", value=gate is not None,
                   key=field_key(f"{where}.gate", "on"),
                   help=help_for("gate.on"))
    if not on:
        return None
    gate = dict(gate or {"months_after_pilot": 3, "threshold": 1.0})
    columns = st.columns(4)
    gate["months_after_pilot"] = columns[0].number_input(
        "Months after the pilot", min_value=1, step=1, value=int(gate["months_after_pilot"]),
        key=field_key(f"{where}.gate.months_after_pilot"),
        help=help_for("gate.months_after_pilot"))
    gate["threshold"] = columns[1].number_input(
        "Threshold [benefit/cost]", value=float(gate["threshold"]), step=0.1, format="%g",
        key=field_key(f"{where}.gate.threshold"), help=help_for("gate.threshold"))
    gate["noise"] = columns[2].number_input(
        "Measurement noise [fraction]", min_value=0.0, max_value=2.0, step=0.05, format="%g",
        value=float(gate.get("noise", 0.0)), key=field_key(f"{where}.gate.noise"),
        help=help_for("gate.noise"))
    options = ["keep_pilot", "wind_down"]
    gate["on_fail"] = columns[3].selectbox(
        "If it fails", options, index=options.index(gate.get("on_fail", "keep_pilot")),
        key=field_key(f"{where}.gate.on_fail"),
        help=help_for("gate.on_fail"))
    show_problems(f"{where}.gate")
    return gate


#: A strategy's own budget policy: ``None`` follows the budget's.
BUDGET_POLICIES = MappingProxyType({None: "as the budget says", "flag": "flag the years over",
                                    "defer": "defer phases until they fit"})


def _strategy(strategy: dict[str, Any], index: int, previews: Previews) -> dict[str, Any]:
    strategy = dict(strategy)
    where = f"strategies[{index}]"
    top = st.columns([1, 1.6, 1.4])
    strategy["lead_time_months"] = top[0].number_input(
        "Lead time [months]", min_value=0, max_value=24, step=1,
        value=int(strategy.get("lead_time_months", 2)),
        key=field_key(f"{where}.lead_time_months"), help=help_for("strategy.lead_time_months"))
    policy = strategy.get("budget_policy")
    choice = top[1].selectbox(
        "Yearly budget policy", list(BUDGET_POLICIES), index=list(BUDGET_POLICIES).index(policy),
        format_func=BUDGET_POLICIES.get, key=field_key(f"{where}.budget_policy"),
        help=help_for("strategy.budget_policy"))
    if choice is None:
        strategy.pop("budget_policy", None)
    else:
        strategy["budget_policy"] = choice
    show_problems(f"{where}.budget_policy")
    st.markdown("**Phases** — shares of the units and their go-live months")
    phases, _ = item_table(f"{where}.phases", strategy["phases"], ("share", "go_live"), {
        "share": st.column_config.NumberColumn("Share of units", min_value=0.0,
                                               max_value=1.0, format="%g",
                                               help=help_for("phases.share")),
        "go_live": st.column_config.NumberColumn("Go-live month", min_value=0, step=1,
                                                 format="%d",
                                                 help=help_for("phases.go_live"))},
        whole=("go_live",))
    strategy["phases"] = phases
    show_problems(f"{where}.phases")
    table_problems(f"{where}.phases", phases)
    strategy["gate"] = _gate(strategy, where)
    if strategy["gate"] is None:
        strategy.pop("gate")
    disruption = dict(strategy.get("disruption", {}))
    disruption["productivity_dip"] = uncertain_input(
        "productivity dip", disruption.get("productivity_dip", 0.0), unit="fraction",
        path=f"{where}.disruption.productivity_dip", step=0.01, labelled=strategy["name"],
        help=help_for("disruption.productivity_dip"), previews=previews)
    disruption["months"] = st.columns([1.3, 3])[0].number_input(
        "Dip lasts [months]", min_value=0, max_value=24, step=1,
        value=int(disruption.get("months", 0)), key=field_key(f"{where}.disruption.months"),
        help=help_for("disruption.months"))
    show_problems(f"{where}.disruption.months")
    strategy["disruption"] = disruption
    learning = dict(strategy.get("learning", {}))
    for name, label in (("adoption_speedup", "adoption speed-up per wave"),
                        ("cost_learning_rate", "cost learning rate")):
        learning[name] = uncertain_input(
            label, learning.get(name, 1.0), path=f"{where}.learning.{name}",
            unit="factor", step=0.05, labelled=strategy["name"],
            help=help_for(f"learning.{name}"), previews=previews)
    strategy["learning"] = learning
    return strategy


def render() -> None:
    page_header("Adoption and rollout")
    draft = state.draft()
    previews = Previews()
    candidate = dict(draft)
    st.subheader("Organisation and adoption")
    candidate["organisation"] = _organisation(draft, previews)
    candidate["adoption"] = _adoption(draft, previews)
    st.subheader("Rollout strategies")
    strategies = draft["strategies"]
    tabs = st.tabs([plain(s["name"]) for s in strategies])
    candidate["strategies"] = []
    for index, (tab, strategy) in enumerate(zip(tabs, strategies, strict=True)):
        with tab:
            st.markdown(f"{swatch(index)} {plain(strategy.get('description', ''))}")
            candidate["strategies"].append(_strategy(strategy, index, previews))
    show_preview(previews, key=field_key("preview.adoption"))
    apply_bar(candidate, "adoption_rollout")
    results = compute.draft_results()
    result_strip(results, compute.saved_results())
    chart(charts.payback_curve(results), "adoption_rollout.payback")
    st.caption("Cumulative cash bands and the other charts are on the Overview page.")


if __name__ == "__main__":
    render()
