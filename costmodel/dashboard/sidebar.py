"""The sidebar: which scenario, the folder of saved scenarios (name, description, last
change), how many trials, which sampler and seed; the scenario's name and whether it has
unsaved edits; reset, save, save as, download, upload and a share link."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from costmodel import sharelink
from costmodel.errors import CostModelError, SaveConflictError, ScenarioError
from costmodel.library import Library, parse_upload, safe_name
from costmodel.scenario import MAX_TRIALS

from . import state
from .widgets import plain

#: Largest uploaded scenario file [bytes] (``costmodel app`` also caps uploads at 1 MB).
MAX_UPLOAD_BYTES = 1_000_000
#: Session keys of this module.
SHARED = "sidebar.shared_token"  # the link token this session already opened or made
UPLOAD = "sidebar.upload"
UPLOAD_NAME = "sidebar.upload_name"
UPLOAD_ROUND = "sidebar.upload_round"  # part of the uploader's key: a new round empties it
SAVE_AS_NAME = "sidebar.save_as_name"
LINK = "sidebar.link"
#: The file the picker shows on the next run (set after a save as or an upload; the
#: picker's own key cannot change once it is drawn).
PENDING_CHOICE = "sidebar.pending_choice"


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
    if PENDING_CHOICE in st.session_state:
        st.session_state[state.CHOICE] = st.session_state.pop(PENDING_CHOICE)
    if st.session_state.get(state.CHOICE) not in files:
        st.session_state.pop(state.CHOICE, None)
    st.selectbox("Scenario", files, key=state.CHOICE, on_change=_open_chosen,
                 help="A scenario file (.toml or .json) in "
                      f"{state.scenario_folder()}. Opening one discards unsaved edits.")


def _saved_list() -> None:
    entries = Library(state.scenario_folder()).entries()
    with st.expander(f"Saved scenarios ({len(entries)})", expanded=False):
        if not entries:
            st.caption("None yet: save the open case to start the folder.")
        rows = [{"file": e.name, "scenario": (e.problem and "(cannot be read)") or e.title,
                 "description": e.description, "last change": e.modified.astimezone()
                 .strftime("%Y-%m-%d %H:%M")} for e in entries]
        if rows:
            st.dataframe(rows, hide_index=True, key="sidebar.saved_list",
                         column_config={"description": st.column_config.TextColumn(
                             width="medium")})
        st.caption(f"Folder: {plain(str(state.scenario_folder()))}")


def _open_link() -> None:
    """Open the case encoded in the page's address (once per link and session)."""
    token = st.query_params.get(sharelink.QUERY_KEY)
    if not token or st.session_state.get(SHARED) == token:
        return
    st.session_state[SHARED] = token
    try:
        scenario = sharelink.decode(token)
    except ScenarioError as exc:
        st.session_state[state.NOTICE] = ("error", f"Could not open the shared link: {exc}")
        return
    name = safe_name(scenario.name)
    state.open_scenario(scenario, state.scenario_folder() / f"{name}.toml")
    state.use_file_settings()
    st.session_state[state.NOTICE] = ("info", f"Opened the case from the link: "
                                              f"{scenario.name}. It is not saved in the "
                                              "folder yet — use Save as to keep it.")


def _status() -> None:
    scenario = state.draft_scenario()
    st.markdown(f"**{plain(scenario.name)}**")
    if not state.on_disk():
        st.warning(f"Not saved in the folder yet (would be {plain(state.path().name)}).",
                   icon=":material/save:")
    elif state.has_unsaved_edits():
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


def _report(action: str, exc: CostModelError) -> None:
    if isinstance(exc, SaveConflictError):
        st.error(f"Not saved: {plain(str(exc))}", icon=":material/sync_problem:")
    else:
        st.error(f"Could not {action}: {plain(str(exc))}", icon=":material/error:")


def _file_actions() -> None:
    columns = st.columns(2)
    unsaved = state.has_unsaved_edits() or not state.on_disk()
    if columns[0].button("Reset", disabled=not state.has_unsaved_edits(), key="sidebar.reset",
                         help="Return to the file as saved, dropping every edit"):
        state.reset()
        st.rerun()
    if columns[1].button("Save", disabled=not unsaved, key="sidebar.save",
                         help=f"Write your edits to {state.path().name} (the old file is "
                              "replaced in one step; refused if someone changed the file "
                              "since you opened it)"):
        try:
            state.save()
            st.toast(f"Saved {state.path().name}")
            st.rerun()
        except CostModelError as exc:
            _report("save", exc)
    _save_as()
    st.download_button("Download as TOML", state.draft_text(), file_name=state.path().name
                       if state.path().suffix == ".toml" else state.path().stem + ".toml",
                       mime="application/toml", key="sidebar.download",
                       help="The scenario with your edits, as a file you can keep or share")
    _share()


def _save_as() -> None:
    with st.form("sidebar.save_as", border=False):
        name = st.text_input("Save as", key=SAVE_AS_NAME, placeholder="new name, e.g. "
                             "Vendor case", max_chars=80,
                             help="A new scenario file in the folder: letters, digits, "
                                  "spaces and _ - . , ( ) + & '. An existing name is "
                                  "refused, whatever its case.")
        if st.form_submit_button("Save as new scenario"):
            try:
                written = state.save_as(name)
            except CostModelError as exc:
                _report("save", exc)
                return
            st.session_state[PENDING_CHOICE] = written.name
            st.toast(f"Saved {written.name}")
            st.rerun()


def _share() -> None:
    if st.button("Share link", key="sidebar.share",
                 help="Put the scenario, with your edits, in this page's address: the link "
                      "reopens the same case (small scenarios only)"):
        try:
            token = sharelink.encode(state.draft_scenario())
        except ScenarioError as exc:
            st.session_state[LINK] = ("error", str(exc))
        else:
            st.session_state[SHARED] = token
            st.query_params[sharelink.QUERY_KEY] = token
            base = (st.context.url or "").split("?")[0]
            st.session_state[LINK] = ("ok", f"{base}?{sharelink.QUERY_KEY}={token}")
    link = st.session_state.get(LINK)
    if link is not None and link[0] == "error":
        st.error(plain(link[1]))
    elif link is not None:
        st.caption("The address bar now opens this case; copy it or this link:")
        st.code(link[1], language=None, wrap_lines=True)


def _upload() -> None:
    with st.expander("Upload a scenario file", expanded=False):
        uploaded = st.file_uploader("Scenario file (.toml or .json)", type=["toml", "json"],
                                    key=f"{UPLOAD}.{st.session_state.get(UPLOAD_ROUND, 0)}",
                                    help="Checked before anything is saved; at "
                                                     f"most {MAX_UPLOAD_BYTES // 1000:,} kB")
        if uploaded is not None:
            handle_upload(uploaded.name, uploaded.getvalue())


def handle_upload(file_name: str, content: bytes) -> None:
    """Check an uploaded file; when it is a valid scenario, offer to save it in the
    folder under a checked name and open it. Nothing is written before that."""
    if len(content) > MAX_UPLOAD_BYTES:
        st.error(f"{plain(file_name)} is {len(content):,} bytes, more than "
                 f"{MAX_UPLOAD_BYTES:,} — is it a scenario? Nothing was saved.")
        return
    try:
        scenario, upgraded = parse_upload(content, file_name)
    except ScenarioError as exc:
        st.error(f"{plain(file_name)} is not a valid scenario, nothing was saved: "
                 f"{plain(str(exc))}")
        return
    st.success(f"{plain(file_name)} is valid: {plain(scenario.name)}, "
               f"{len(scenario.strategies)} strategies.")
    if upgraded.migrated:
        st.info(plain(upgraded.message()))
    st.session_state.setdefault(UPLOAD_NAME, safe_name(Path(file_name).stem))
    name = st.text_input("Save in the folder as", key=UPLOAD_NAME, max_chars=80)
    if st.button("Save and open", key="sidebar.upload_save"):
        try:
            written = Library(state.scenario_folder()).save(scenario, name)
        except CostModelError as exc:
            _report("save", exc)
            return
        if state.open_file(written.path):
            state.use_file_settings()
            st.session_state[PENDING_CHOICE] = written.path.name
        st.session_state.pop(UPLOAD_NAME, None)
        st.session_state[UPLOAD_ROUND] = st.session_state.get(UPLOAD_ROUND, 0) + 1
        st.toast(f"Saved {written.path.name}")
        st.rerun()


def render() -> Any:
    """Draw the sidebar's pickers and settings; return the slot for :func:`render_status`
    (filled after the page ran, so it shows the page's applied edits)."""
    _open_link()
    with st.sidebar:
        _scenario_picker()
        message = state.notice()
        if message:
            show = st.info if message[0] == "info" else st.error
            show(plain(message[1]))
        slot = st.container()
        if state.has_scenario():
            with st.expander("Run settings", expanded=True):
                _run_settings()
        _saved_list()
        _upload()
    return slot


def render_status(slot: Any) -> None:
    """The scenario's name, whether it has unsaved edits, Reset, Save, Save as, Download
    and Share link."""
    if not state.has_scenario():
        return
    with slot:
        _status()
        _file_actions()
