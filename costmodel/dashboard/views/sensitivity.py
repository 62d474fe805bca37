"""Sensitivity: which assumptions drive the answer, and which are worth firming up."""

from __future__ import annotations

from types import MappingProxyType

import streamlit as st

from costmodel.dashboard import compute, state
from costmodel.dashboard.widgets import chart, page_header, plain
from costmodel.errors import CostModelError
from costmodel.sensitivity import DEFAULT_SOBOL_SAMPLES

#: The metrics offered here (label -> metric name); Sobol indices need a finite one.
METRICS = MappingProxyType({
    "NPV": "npv", "ROI": "roi", "Benefit-cost ratio": "benefit_cost_ratio",
    "Peak funding need": "peak_funding_need", "Total cost": "total_cost",
    "Payback (months)": "payback_months"})
SAMPLES = (256, 512, 1_024, 2_048, 4_096)
#: Session keys of the page's controls.
STRATEGY, METRIC, INDICES, SAMPLE_SIZE = ("sensitivity.strategy", "sensitivity.metric",
                                          "sensitivity.indices", "sensitivity.samples")


def _table(rows: list[dict], percent: tuple[str, ...] = ()) -> None:
    if not rows:
        st.caption("No uncertain inputs here.")
        return
    config = {name: st.column_config.NumberColumn(format="percent") for name in percent}
    st.dataframe(rows, hide_index=True, column_config=config, use_container_width=True)


def _sobol_rows(rows: list[dict]) -> list[dict]:
    return [{"name": r["name"], "first-order": r["first-order"],
             "first-order interval": f"{r['first-order CI'][0]:.0%} to "
                                     f"{r['first-order CI'][1]:.0%}",
             "total": r["total"],
             "total interval": f"{r['total CI'][0]:.0%} to {r['total CI'][1]:.0%}"}
            for r in rows]


def render() -> None:
    page_header("Sensitivity")
    st.markdown("Which of your guesses drive the answer — check those first. Every view "
                "moves the uncertain inputs (values given as a range) and reads the "
                "chosen figure.")
    scenario = state.draft_scenario()
    names = [s.name for s in scenario.strategies]
    columns = st.columns([2, 2, 1, 1])
    strategy = columns[0].selectbox("Strategy", names, key=STRATEGY)
    label = columns[1].selectbox("Figure to explain", list(METRICS), key=METRIC)
    indices = columns[2].toggle("Sobol indices", value=True, key=INDICES,
                                help="Variance-based indices: the slowest view (a few "
                                     "seconds).")
    samples = columns[3].selectbox("Sobol samples", SAMPLES, key=SAMPLE_SIZE,
                                   index=SAMPLES.index(DEFAULT_SOBOL_SAMPLES),
                                   help="Base sample size n of the design (n × (2 + sets) "
                                        "model runs); more: narrower intervals.")
    metric = METRICS[label]
    try:
        with st.spinner("Running the sensitivity designs…"):
            report = compute.sensitivity(scenario, metric=metric, samples=int(samples),
                                         indices=bool(indices))
    except CostModelError as exc:
        st.warning(plain(str(exc)), icon=":material/info:")
        return
    if not report.tornado.inputs:
        st.info("This scenario has no uncertain inputs: give some values as a range "
                "(low / likely / high) to see what drives the result.")
        return
    tables = report.tables(strategy, top=12)
    figures = report.figures(strategy)
    currency = scenario.currency
    tornado, spider, correlations, variance = st.tabs(
        ["Tornado", "Spider", "From the Monte Carlo run", "Variance-based (Sobol)"])
    with tornado:
        chart(figures["tornado"], "sensitivity.tornado")
        st.caption(f"Values in {plain(currency)} where the figure is money. "
                   + plain(report.notes[0]))
        _table(tables["tornado"])
    with spider:
        chart(figures["spider"], "sensitivity.spider")
    with correlations:
        chart(figures["rank_correlations"], "sensitivity.rank_correlations")
        st.caption(plain(report.notes[1]))
        _table(tables["rank_correlations"], ("contribution to variance",))
    with variance:
        if report.sobol is None:
            st.info("Turn on Sobol indices above to see how much of the spread each "
                    "adoption challenge, item and input explains.")
        else:
            chart(figures["sobol_challenges"], "sensitivity.sobol_challenges")
            _table(_sobol_rows(tables["sobol_challenges"]), ("first-order", "total"))
            chart(figures["sobol_inputs"], "sensitivity.sobol_inputs")
            st.markdown("**By cost and benefit item**")
            _table(_sobol_rows(tables["sobol_items"]), ("first-order", "total"))
            for note in report.sobol.notes:
                st.caption(plain(note))


if __name__ == "__main__":
    render()
