"""Session state of one dashboard session, behind named keys.

A session holds the scenario file it opened, the file's content as saved (plain data),
the *draft* (the edited scenario as plain data, always valid: it only changes through
:func:`apply`), the problems of the last rejected edit, the run settings and a *revision*
number that widget keys include, so a reset or a newly opened file rebuilds every editor
from the draft. Everything lives in ``st.session_state``: nothing is shared between
sessions.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from types import MappingProxyType
from typing import Any

import streamlit as st

from costmodel.errors import Problem, ScenarioError
from costmodel.library import FOLDER_VARIABLE, Library, read_file
from costmodel.scenario import Scenario, parse_scenario
from costmodel.store import dumps_scenario

# --- keys --------------------------------------------------------------------------
PATH = "scenario.path"
SAVED = "scenario.saved"
DRAFT = "scenario.draft"
REVISION = "scenario.revision"
TABLE_REVISION = "scenario.table_revision"
PROBLEMS = "scenario.problems"
NOTICE = "scenario.notice"
TRIALS = "run.trials"
SAMPLER = "run.sampler"
SEED = "run.seed"
#: The sidebar widgets editing the run settings, each copied to its setting on change.
SETTING_WIDGETS = MappingProxyType({TRIALS: "sidebar.trials", SAMPLER: "sidebar.sampler",
                                   SEED: "sidebar.seed"})
CHOICE = "sidebar.scenario_file"
#: The open file's fingerprint when it was read or last saved (``None``: not on disk).
FINGERPRINT = "scenario.fingerprint"

DEFAULT_EXAMPLE = "customer_service_assistant.toml"
SAMPLERS = ("sobol", "lhs", "mc")


def _arguments() -> argparse.Namespace:
    """Options after ``--`` on the ``streamlit run`` line (``costmodel app`` sets them)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--scenario", default=None)
    known, _ = parser.parse_known_args(sys.argv[1:])
    return known


def start_path() -> Path | None:
    """The scenario file or folder named on the command line, if any."""
    given = _arguments().scenario
    return Path(given) if given else None


def scenario_folder() -> Path:
    """The folder the sidebar lists: the given file's folder, the given folder,
    ``./scenarios`` or the examples next to the package."""
    given = start_path()
    if given is not None:
        return given.parent if given.is_file() else given
    import os

    if os.environ.get(FOLDER_VARIABLE):
        return Path(os.environ[FOLDER_VARIABLE])
    here = Path.cwd() / "scenarios"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "scenarios"


def scenario_files() -> list[Path]:
    """Scenario files (``.toml``, ``.json``) in :func:`scenario_folder`, by name."""
    folder = scenario_folder()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".toml", ".json"))


def _default_file(files: list[Path]) -> Path | None:
    given = start_path()
    if given is not None and given.is_file():
        return given
    for path in files:
        if path.name == DEFAULT_EXAMPLE:
            return path
    return files[0] if files else None


# --- the session -------------------------------------------------------------------


def ensure_started() -> None:
    """Open the default scenario on a session's first run; set run settings."""
    if PATH in st.session_state:
        return
    files = scenario_files()
    path = _default_file(files)
    st.session_state[REVISION] = 0
    st.session_state[PROBLEMS] = ()
    if path is None:
        st.session_state[PATH] = None
        return
    open_file(path)
    st.session_state.setdefault(CHOICE, path.name)


def open_file(path: Path) -> bool:
    """Open ``path``: the saved content becomes the draft; settings follow the file.
    ``False`` (and a notice naming the problem) when it cannot be read."""
    try:
        loaded = read_file(path)
    except ScenarioError as exc:
        st.session_state[NOTICE] = ("error", f"Could not open {path.name}: {exc}")
        return False
    if loaded.upgrade.migrated:
        st.session_state[NOTICE] = ("info", loaded.upgrade.message(path.name))
    open_scenario(loaded.scenario, path)
    st.session_state[FINGERPRINT] = loaded.fingerprint
    return True


def open_scenario(scenario: Scenario, path: Path) -> None:
    """Make ``scenario`` the open case, to be saved as ``path`` (which need not exist:
    an uploaded or shared case has no fingerprint until it is saved)."""
    data = scenario.to_data()
    st.session_state[FINGERPRINT] = None
    st.session_state[PATH] = str(path)
    st.session_state[SAVED] = data
    st.session_state[DRAFT] = copy.deepcopy(data)
    st.session_state[REVISION] = st.session_state.get(REVISION, 0) + 1
    st.session_state[PROBLEMS] = ()
    st.session_state.setdefault(TRIALS, scenario.simulation.trials)
    st.session_state.setdefault(SAMPLER, scenario.simulation.sampler)
    st.session_state.setdefault(SEED, scenario.simulation.seed)


def use_file_settings() -> None:
    """Set trials, sampler and seed to the open scenario's ``[simulation]``."""
    simulation = saved_scenario().simulation
    st.session_state[TRIALS] = simulation.trials
    st.session_state[SAMPLER] = simulation.sampler
    st.session_state[SEED] = simulation.seed
    for widget in SETTING_WIDGETS.values():  # rebuilt from the settings on the next run
        st.session_state.pop(widget, None)


def copy_setting(setting: str) -> None:
    """Widget callback: take the sidebar widget's value as the run setting."""
    st.session_state[setting] = st.session_state[SETTING_WIDGETS[setting]]


def has_scenario() -> bool:
    return st.session_state.get(PATH) is not None


def path() -> Path:
    return Path(st.session_state[PATH])


def revision() -> int:
    """Part of every editor's widget key: editors rebuild when it changes."""
    return st.session_state[REVISION]


def table_revision() -> int:
    """Part of every table editor's key: tables rebuild when it changes."""
    return st.session_state.get(TABLE_REVISION, 0)


def rebuild_tables() -> None:
    """Start the table editors afresh from the draft (after rows were added or deleted:
    their edit state must not be applied again to the new draft)."""
    st.session_state[TABLE_REVISION] = table_revision() + 1


def tables_reshaped() -> bool:
    """Whether a table editor holds added or deleted rows."""
    for key in list(st.session_state.keys()):
        if not str(key).startswith("edit."):
            continue
        value = st.session_state[key]
        if isinstance(value, dict) and (value.get("added_rows") or value.get("deleted_rows")):
            return True
    return False


def draft() -> dict[str, Any]:
    """A copy of the draft (plain data), for an editor to change."""
    return copy.deepcopy(st.session_state[DRAFT])


def draft_scenario() -> Scenario:
    """The draft, validated (it always is: :func:`apply` admits only valid data)."""
    return parse_scenario(st.session_state[DRAFT])


def saved_scenario() -> Scenario:
    return parse_scenario(st.session_state[SAVED])


def has_unsaved_edits() -> bool:
    return st.session_state[DRAFT] != st.session_state[SAVED]


def is_pending(candidate: dict[str, Any]) -> bool:
    """Whether ``candidate`` differs from the draft (edits not yet applied)."""
    return candidate != st.session_state[DRAFT]


def problems() -> tuple[Problem, ...]:
    """Problems of the last edit that was not applied."""
    return st.session_state.get(PROBLEMS, ())


def apply(candidate: dict[str, Any]) -> bool:
    """Validate ``candidate`` and make it the draft. On failure keep the draft, store
    the problems (shown next to their fields) and return ``False``."""
    try:
        scenario = parse_scenario(candidate)
    except ScenarioError as exc:
        st.session_state[PROBLEMS] = exc.problems
        return False
    st.session_state[DRAFT] = scenario.to_data()
    st.session_state[PROBLEMS] = ()
    return True


def discard() -> None:
    """Forget edits not yet applied: rebuild the editors from the draft."""
    st.session_state[PROBLEMS] = ()
    st.session_state[REVISION] += 1


def reset() -> None:
    """Return to the file as saved."""
    st.session_state[DRAFT] = copy.deepcopy(st.session_state[SAVED])
    discard()


def save() -> Path:
    """Write the draft over the open file (atomically), if the file is still as it was
    opened (else :class:`~costmodel.errors.SaveConflictError`); it becomes the saved
    state."""
    return _store(path().stem, st.session_state.get(FINGERPRINT), folder=path().parent)


def save_as(name: str) -> Path:
    """Write the draft as a new scenario ``name`` in the folder (refused if one of that
    name exists) and make that file the open one."""
    return _store(name, None, folder=scenario_folder())


def _store(name: str, expected, *, folder: Path) -> Path:
    scenario = draft_scenario()
    written = Library(folder).save(scenario, name, expected=expected)
    st.session_state[PATH] = str(written.path)
    st.session_state[FINGERPRINT] = written.fingerprint
    st.session_state[SAVED] = scenario.to_data()
    return written.path


def on_disk() -> bool:
    """Whether the open case was read from (or saved to) its file."""
    return st.session_state.get(FINGERPRINT) is not None


def draft_text() -> str:
    """The draft as a TOML file, for download."""
    return dumps_scenario(draft_scenario())


def notice() -> tuple[str, str] | None:
    """A one-off message for the sidebar (kind, text), cleared once read."""
    return st.session_state.pop(NOTICE, None)


def settings() -> tuple[int, str, int]:
    """(trials, sampler, seed) of the next run."""
    return (int(st.session_state[TRIALS]), str(st.session_state[SAMPLER]),
            int(st.session_state[SEED]))
