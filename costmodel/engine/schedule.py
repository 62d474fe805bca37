"""Schedule slip: the actual go-live months of a strategy's phases, per trial.

The first go-live is late by the slip ``S`` (rounded to whole months), each later one by
``round(S * later_phases)``; a phase never goes live before the month after the previous
one. Go-lives at or past the horizon are set to the horizon (never within it). Trials
that share a schedule are run together, so the engine keeps its per-month profiles.
"""

from __future__ import annotations

import numpy as np

from ..scenario import Scenario
from ..uncertainty import Draws

__all__ = ["actual_go_lives", "schedule_groups"]


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
    slip = np.broadcast_to(np.asarray(draws[(*where, "months")], dtype=float), (n,))
    later = np.broadcast_to(np.asarray(draws[(*where, "later_phases")], dtype=float), (n,))
    out = np.empty((len(strategy.phases), n), dtype=np.int64)
    for p, phase in enumerate(strategy.phases):
        delay = np.rint(slip if p == 0 else slip * later).astype(np.int64)
        out[p] = phase.go_live + delay
        if p > 0:
            np.maximum(out[p], out[p - 1] + 1, out=out[p])
    return np.minimum(out, horizon)


def schedule_groups(go_lives: np.ndarray) -> list[tuple[tuple[int, ...], np.ndarray]]:
    """Trials grouped by schedule: ``[(go-live months, trial indices), ...]``.

    Examples
    --------
    >>> groups = schedule_groups(np.array([[2, 3, 2], [5, 6, 5]]))
    >>> [(months, idx.tolist()) for months, idx in groups]
    [((2, 5), [0, 2]), ((3, 6), [1])]
    """
    n_phases, n = go_lives.shape
    if n and (go_lives == go_lives[:, :1]).all():
        return [(tuple(int(x) for x in go_lives[:, 0]), np.arange(n))]
    base = int(go_lives.max()) + 1
    if base ** n_phases < 2**62:  # one integer key per schedule: a 1-D sort
        key = np.zeros(n, dtype=np.int64)
        for row in go_lives:
            key = key * base + row
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        unique = go_lives[:, first]
    else:
        unique, inverse = np.unique(go_lives, axis=1, return_inverse=True)
    inverse = inverse.ravel()
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(unique.shape[1] + 1))
    return [(tuple(int(x) for x in unique[:, k]), order[bounds[k]:bounds[k + 1]])
            for k in range(unique.shape[1])]
