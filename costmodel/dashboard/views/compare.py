"""Compare: saved scenarios (and the open case with its edits) side by side, the
assumptions that differ, and what each change does to expected NPV (a waterfall)."""

from __future__ import annotations

import json

import streamlit as st

from costmodel import charts
from costmodel.compare import MAX_EXACT, Comparison, compare, format_value
from costmodel.dashboard import state
from costmodel.dashboard.widgets import chart, page_header, plain
from costmodel.errors import CostModelError, ScenarioError
from costmodel.library import Library, read_file
from costmodel.scenario import Scenario, parse_scenario
from costmodel.verdict import money, months, percent

#: The open case, with its edits, among the choices.
CURRENT = "(the open case, with your edits)"
#: Trial counts offered for a comparison (the attribution runs up to 2^k hybrids).
TRIAL_CHOICES = (1_024, 2_048, 4_096, 8_192, 16_384)
CHOSEN = "compare.chosen"
TRIALS = "compare.trials"
EXACT = "compare.max_exact"


@st.cache_resource(max_entries=6, show_spinner=False)
def _compare(canonical: tuple[str, ...], trials: int, seed: int, sampler: str,
             max_exact: int) -> Comparison:
    scenarios = [parse_scenario(json.loads(text)) for text in canonical]
    return compare(scenarios, trials=trials, seed=seed, sampler=sampler, max_exact=max_exact)


def _choices() -> list[str]:
    """The open case, then every file in the folder of saved scenarios."""
    return [CURRENT, *(e.path.name for e in Library(state.scenario_folder()).entries())]


def _scenario(choice: str) -> Scenario:
    if choice == CURRENT:
        return state.draft_scenario()
    return read_file(state.scenario_folder() / choice).scenario


def _pick() -> list[str]:
    options = _choices()
    if CHOSEN not in st.session_state:
        others = [o for o in options[1:] if o != state.path().name]
        st.session_state[CHOSEN] = [CURRENT, *others[:1]]
    st.session_state[CHOSEN] = [c for c in st.session_state[CHOSEN] if c in options]
    left, middle, right = st.columns([3, 1, 1])
    chosen = left.multiselect(
        "Scenarios to compare (the first is the base)", options, key=CHOSEN,
        help="Saved scenarios in the folder, and the open case with your edits. Every one "
             "runs with the same trials, seed and sampler.")
    middle.selectbox("Trials per run", TRIAL_CHOICES, index=1, key=TRIALS,
                     format_func=lambda n: f"{n:,}",
                     help="The attribution runs the model once per mix of the changes "
                          "(up to 2^k runs), so fewer trials than the main run.")
    right.number_input("Exact average up to", min_value=0, max_value=MAX_EXACT, value=6,
                       key=EXACT, help="Changes up to this count are attributed by the "
                                       "average over every order (2^k runs); more are "
                                       "switched one at a time in file order.")
    return chosen


def _summary(comparison: Comparison) -> None:
    rows = []
    for row in comparison.summary_rows():
        currency = next(r.scenario.currency for r in comparison.results
                        if r.scenario.name == row["scenario"])
        rows.append({
            "scenario": row["scenario"], "strategy": row["strategy"],
            "expected NPV": money(row["npv_mean"], currency),
            "± s.e.": money(row["npv_se"], currency),
            "P10": money(row["npv_p10"], currency), "P90": money(row["npv_p90"], currency),
            "P(NPV > 0)": percent(row["prob_npv_positive"]),
            "median payback": months(row["payback_p50"]),
            "peak funding need": money(row["peak_funding_need"], currency)})
    st.dataframe(rows, hide_index=True, key="compare.summary")


def _differences(comparison: Comparison) -> None:
    base = comparison.results[0].scenario.name
    for results, changes in zip(comparison.results[1:], comparison.differences, strict=True):
        st.markdown(f"**{plain(results.scenario.name)}** against **{plain(base)}**")
        if not changes:
            st.caption("No assumption differs.")
            continue
        st.dataframe([{"assumption": c.path, "base": format_value(c.base),
                       "other": format_value(c.other), "change": c.kind,
                       "attributed": "yes" if c.attributed else "no (not a model input)"}
                      for c in changes], hide_index=True)


def _attribution(comparison: Comparison, strategy: str) -> None:
    found = [a for a in comparison.attributions if a.strategy == strategy]
    if not found:
        st.caption("No strategy of this name in both scenarios: nothing to attribute.")
    for k, attribution in enumerate(found):
        if not attribution.contributions:
            st.caption(f"{plain(attribution.other)}: no model input differs from the base.")
            continue
        chart(charts.attribution_waterfall(comparison, attribution),
              f"compare.waterfall.{k}")
        if attribution.note:
            st.caption(plain(attribution.note[0].upper() + attribution.note[1:]) + ".")


def render() -> None:
    page_header("Compare")
    chosen = _pick()
    if len(chosen) < 2:
        st.info("Choose at least two scenarios: the open case and a saved one, or two "
                "saved ones.")
        return
    try:
        scenarios = [_scenario(choice) for choice in chosen]
    except ScenarioError as exc:
        st.error(f"Could not open a chosen scenario: {plain(str(exc))}")
        return
    _, sampler, seed = state.settings()
    trials = int(st.session_state[TRIALS])
    try:
        with st.spinner("Running the scenarios and every mix of their changes…"):
            comparison = _compare(tuple(s.canonical_json() for s in scenarios), trials, seed,
                                  sampler, int(st.session_state[EXACT]))
    except CostModelError as exc:
        st.error(plain(str(exc)))
        return
    st.caption(f"{comparison.trials:,} trials ({comparison.sampler}), seed {comparison.seed} "
               "— the same for every scenario.")
    st.subheader("Results side by side")
    _summary(comparison)
    common = comparison.common_strategies() or list(comparison.results[0].names)
    strategy = st.selectbox("Strategy", common, key="compare.strategy",
                            help="The strategy the charts and the attribution show.")
    left, right = st.columns(2)
    with left:
        chart(charts.compare_npv(comparison, strategy), "compare.npv")
    with right:
        chart(charts.compare_cash_fan(comparison, strategy), "compare.fan")
    st.subheader("Where the difference in expected NPV comes from")
    _attribution(comparison, strategy)
    st.subheader("Assumptions that differ")
    _differences(comparison)


def clear() -> None:
    """Empty the cache (tests)."""
    _compare.clear()


if __name__ == "__main__":
    render()
