"""The sidebar: which scenario, how many trials, which sampler and seed; the scenario's
name and whether it has unsaved edits; reset, save and download."""

from __future__ import annotations

from typing import Any

import streamlit as st

from costmodel.errors import CostModelError
from costmodel.scenario import MAX_TRIALS

from . import state
from .widgets import plain


def _open_chosen() -> None:
    chosen = st.session_state[state.CHOICE]
    for path in state.scenario_files():
        if path.name == chosen and state.open_file(path):
            state.use_file_settings()


def _scenario_picker() -> None:
    files = [p.name for p in state.scenario_files()]
    if not files:
        st.warning(f"No scenario files in {plain(str(state.scenario_folder()))}.")
        return
    st.selectbox("Scenario", files, key=state.CHOICE, on_change=_open_chosen,
                 help="A scenario file (.toml or .json) in "
                      f"{state.scenario_folder()}. Opening one discards unsaved edits.")


def _status() -> None:
    scenario = state.draft_scenario()
    st.markdown(f"**{plain(scenario.name)}**")
    if state.has_unsaved_edits():
        st.warning("Unsaved edits — the figures use your changes.", icon=":material/edit:")
    else:
        st.caption("As saved in the file.")


def _run_settings() -> None:
    trials, sampler, seed = state.settings()
    st.number_input(
        "Trials", min_value=1, max_value=MAX_TRIALS, step=1_024, value=trials,
        key=state.SETTING_WIDGETS[state.TRIALS], on_change=state.copy_setting,
        args=(state.TRIALS,),
        help="Monte Carlo trials per run (Sobol rounds up to a power of two). More trials, "
             "smaller sampling error; 16,384 keeps every change under a second.")
    st.selectbox("Sampler", state.SAMPLERS, index=state.SAMPLERS.index(sampler),
                 key=state.SETTING_WIDGETS[state.SAMPLER], on_change=state.copy_setting,
                 args=(state.SAMPLER,),
                 format_func={"sobol": "Sobol (scrambled)", "lhs": "Latin hypercube",
                              "mc": "plain Monte Carlo"}.get,
                 help="How the uncertain inputs are drawn. Sobol spreads the draws most "
                      "evenly, so the figures settle with the fewest trials.")
    st.number_input("Seed", min_value=0, step=1, value=seed,
                    key=state.SETTING_WIDGETS[state.SEED], on_change=state.copy_setting,
                    args=(state.SEED,),
                    help="Random seed: the same seed and assumptions give the same numbers.")


def _file_actions() -> None:
    columns = st.columns(2)
    unsaved = state.has_unsaved_edits()
    if columns[0].button("Reset", disabled=not unsaved, key="sidebar.reset",
                         help="Return to the file as saved, dropping every edit"):
        state.reset()
        st.rerun()
    if columns[1].button("Save", disabled=not unsaved, key="sidebar.save",
                         help=f"Write your edits to {state.path().name} (the old file is "
                              "replaced in one step)"):
        try:
            state.save()
            st.toast(f"Saved {state.path().name}")
        except CostModelError as exc:
            st.error(plain(str(exc)))
        st.rerun()
    st.download_button("Download as TOML", state.draft_text(), file_name=state.path().name
                       if state.path().suffix == ".toml" else state.path().stem + ".toml",
                       mime="application/toml", key="sidebar.download",
                       help="The scenario with your edits, as a file you can keep or share")


def render() -> Any:
    """Draw the sidebar's pickers and settings; return the slot for :func:`render_status`
    (filled after the page ran, so it shows the page's applied edits)."""
    with st.sidebar:
        _scenario_picker()
        message = state.notice()
        if message:
            st.error(plain(message[1]))
        slot = st.container()
        if state.has_scenario():
            with st.expander("Run settings", expanded=True):
                _run_settings()
    return slot


def render_status(slot: Any) -> None:
    """The scenario's name, whether it has unsaved edits, Reset, Save and Download."""
    if not state.has_scenario():
        return
    with slot:
        _status()
        _file_actions()
