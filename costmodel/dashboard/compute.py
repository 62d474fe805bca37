"""Running the model for the dashboard, with a bounded cache shared by sessions.

Runs are keyed on the scenario's canonical JSON plus trials, sampler and seed, so the
same assumptions are simulated once whoever asks. The cache holds :class:`Results`
objects themselves (``st.cache_resource``): they are immutable (frozen dataclasses,
read-only arrays), so sharing them between sessions is safe, and they cannot be pickled
(their per-month mappings are read-only ``mappingproxy`` views), which ``st.cache_data``
would need.
"""

from __future__ import annotations

import json

import streamlit as st

from costmodel.results import Results
from costmodel.scenario import Scenario, parse_scenario
from costmodel.simulate import simulate

from . import state

#: Runs kept in the cache (each holds a few MB at 16,384 trials).
CACHE_ENTRIES = 24


@st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
def _simulate(canonical_json: str, trials: int, sampler: str, seed: int) -> Results:
    scenario = parse_scenario(json.loads(canonical_json))
    return simulate(scenario, trials=trials, seed=seed, sampler=sampler)


def run(scenario: Scenario) -> Results:
    """Results of ``scenario`` with the session's trials, sampler and seed (cached)."""
    trials, sampler, seed = state.settings()
    return _simulate(scenario.canonical_json(), trials, sampler, seed)


def draft_results() -> Results:
    """Results of the session's draft."""
    return run(state.draft_scenario())


def saved_results() -> Results:
    """Results of the scenario as saved in its file (the baseline of every change)."""
    return run(state.saved_scenario())


def clear() -> None:
    """Empty the cache (tests)."""
    _simulate.clear()


# --- sensitivity (issue 8) -----------------------------------------------------------


@st.cache_resource(max_entries=8, show_spinner=False)
def _sensitivity(canonical_json: str, metric: str, samples: int, indices: bool,
                 trials: int, sampler: str, seed: int):
    from costmodel.sensitivity import rank_correlations, sensitivity_report

    scenario = parse_scenario(json.loads(canonical_json))
    report = sensitivity_report(scenario, metric=metric, samples=samples, seed=seed,
                                indices=indices)
    from dataclasses import replace

    return replace(report, correlations=rank_correlations(
        scenario, metric=metric, trials=min(trials, 131_072), seed=seed, sampler=sampler))


def sensitivity(scenario: Scenario, *, metric: str, samples: int, indices: bool):
    """The :class:`~costmodel.sensitivity.SensitivityReport` of ``scenario`` (cached); the
    rank correlations from the session's run settings (the Overview's trials)."""
    trials, sampler, seed = state.settings()
    return _sensitivity(scenario.canonical_json(), metric, samples, indices, trials,
                        sampler, seed)
