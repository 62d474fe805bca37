"""Schedule slip: the actual go-live months of a strategy's phases, per trial.

The first go-live is late by the slip ``S`` (rounded to whole months), each later one by
``round(S * later_phases)``; a phase never goes live before the month after the previous
one. Go-lives at or past the horizon are set to the horizon (never within it). The engine
runs go-lives per trial (where a phase's month is the same in every trial it keeps its
per-month profiles).
"""

from __future__ import annotations

import numpy as np

from ..scenario import Scenario
from ..uncertainty import Draws
from .trials import per_trial

__all__ = ["actual_go_lives"]


def actual_go_lives(scenario: Scenario, strategy_index: int, draws: Draws) -> np.ndarray:
    """Actual go-live months, shape ``(n_phases, n_trials)`` [month].

    Examples
    --------
    >>> from costmodel.scenario import parse_scenario
    >>> s = parse_scenario({"name": "x", "organisation": {"units": 10},
    ...     "strategies": [{"name": "Phased", "phases": [{"share": 0.5, "go_live": 2},
    ...         {"share": 0.5, "go_live": 4}], "slip": {"months": 3, "later_phases": 0.5}}]})
    >>> actual_go_lives(s, 0, Draws.point(s))[:, 0].tolist()
    [5, 6]
    """
    strategy = scenario.strategies[strategy_index]
    n, horizon = draws.n_trials, scenario.horizon_months
    where = ("strategies", strategy_index, "slip")
    slip = per_trial(draws[(*where, "months")], n)
    later = per_trial(draws[(*where, "later_phases")], n)
    out = np.empty((len(strategy.phases), n), dtype=np.int64)
    for p, phase in enumerate(strategy.phases):
        delay = np.rint(slip if p == 0 else slip * later).astype(np.int64)
        out[p] = phase.go_live + delay
        if p > 0:
            np.maximum(out[p], out[p - 1] + 1, out=out[p])
    return np.minimum(out, horizon)
