"""Sensitivity: which assumptions drive the answer, and which are worth firming up.

Four views, each computed for every strategy of a scenario at once (the engine runs all
strategies on the same rows) and for any per-trial metric (NPV by default):

* :func:`tornado` — the metric with one input at its P10 and at its P90 and every other
  input at its point value (``likely`` or the median), sorted by swing;
* :func:`spider` — the metric against each input's percentile, the others at point values;
* :func:`rank_correlations` — from a Monte Carlo run: Spearman's rank correlation of
  every input with the metric, and its *contribution to variance* (squared rank
  correlations normalised to 100 %, with the correlation's sign, as @RISK and Crystal Ball
  report it);
* :func:`sobol` — variance-based first-order and total Sobol indices
  (:func:`scipy.stats.sobol_indices`, Saltelli 2010 first-order and Jansen total
  estimators) with bootstrap confidence intervals, for single inputs and for groups: the
  adoption challenges (:data:`CHALLENGES`) and the cost and benefit items.

:func:`sensitivity_report` gathers them for the dashboard, the command line and the
proposal pack. All views share one signature: ``view(scenario, *, metric=..., ...)``.

What is held fixed
------------------
The one-at-a-time views and the Sobol design vary the scenario's uncertain inputs
(values given as distributions) and hold the rest of the randomness at the point run's
state: no risk event happens, gates measure the pilot exactly, grants are awarded when at
least as likely as not. So the inputs of risk events (their probability and impact) are
left out there; their effect shows in the Monte Carlo view, where every trial draws its
events and the number of occurrences of each risk is ranked against the metric like an
input. The Sobol indices assume independent inputs: a scenario's rank correlations are
set aside in that design (said in :attr:`SobolIndices.notes`); the Monte Carlo view keeps
them, and there correlated inputs share credit.

Examples
--------
>>> import costmodel
>>> from pathlib import Path
>>> scenario = costmodel.load_scenario(
...     Path(costmodel.__file__).parents[1] / "scenarios" / "invoice_automation.toml")
>>> t = tornado(scenario)
>>> top = t.order("All at once")[0]
>>> t.labels[top], bool(t.swing[0, top] > 0)
('Invoices posted without manual keying: items per month', True)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats
from scipy.stats import qmc

from .distributions import Distribution
from .engine.trials import per_trial
from .errors import CostModelError
from .results import METRIC_NAMES, Results
from .scenario import Scenario
from .simulate import simulate_draws
from .uncertainty import (
    U_EPS,
    Draws,
    Path,
    draw,
    numeric_fields,
    replicate_count,
    uncertain_inputs,
)

__all__ = [
    "CHALLENGES",
    "DEFAULT_SOBOL_SAMPLES",
    "SPIDER_LEVELS",
    "RankCorrelations",
    "SensitivityInput",
    "SensitivityReport",
    "SobolIndices",
    "Spider",
    "Tornado",
    "challenge_of",
    "evaluate",
    "rank_correlations",
    "saltelli_design",
    "sensitivity_inputs",
    "sensitivity_report",
    "sobol",
    "sobol_estimates",
    "spider",
    "tornado",
]

#: The adoption challenges an input can belong to, in report order. Costs go by their
#: category (:data:`costmodel.scenario.COST_CATEGORIES`); the benefit sizes are not a
#: challenge but the size of the prize, and form their own group.
CHALLENGES = ("training and change", "data", "integration", "compliance and security",
              "budget and running costs", "benefit estimates", "other")

_CATEGORY_CHALLENGE = {
    "training": "training and change", "change_management": "training and change",
    "data": "data", "integration": "integration", "consulting": "integration",
    "compliance": "compliance and security", "security": "compliance and security",
    "licensing": "budget and running costs", "infrastructure": "budget and running costs",
    "maintenance": "budget and running costs", "staffing": "budget and running costs",
    "other": "budget and running costs",
}
#: Challenge of a field by its name, outside the cost items (see ``dashboard/help.py``).
_FIELD_CHALLENGE = {
    "ceiling": "training and change", "months_to_half": "training and change",
    "realisation": "training and change", "adoption_speedup": "training and change",
    "productivity_dip": "training and change", "monthly_cost_per_unit": "training and change",
    "data_quality": "data", "automation_rate": "data",
    "cost_learning_rate": "integration", "months": "integration", "later_phases": "integration",
    "users_per_unit": "budget and running costs",
}

#: Base sample size ``n`` of the Sobol design (a power of two): ``n * (2 + k)`` engine
#: trials for ``k`` distinct input sets.
DEFAULT_SOBOL_SAMPLES = 1_024
#: Percentiles of the spider view [percent].
SPIDER_LEVELS = tuple(float(p) for p in range(5, 100, 5))
#: Percentiles of the tornado's low and high bars [percent].
TORNADO_LEVELS = (10.0, 90.0)


# --- the inputs ----------------------------------------------------------------------


@dataclass(frozen=True)
class SensitivityInput:
    """One uncertain input, as the sensitivity views see it.

    Attributes
    ----------
    path : tuple
        Where it is in the scenario (``("costs", 2, "amount")``).
    label : str
        ``"CRM integration: amount"``.
    distribution : Distribution
    challenge : str
        The adoption challenge it belongs to (one of :data:`CHALLENGES`).
    item : str
        The cost or benefit item (``"Cost: CRM integration"``), the strategy
        (``"Rollout: Pilot"``), ``"Adoption"`` or ``"Organisation"``.
    strategy : int or None
        The strategy it belongs to (slip, disruption, learning), ``None`` when it
        concerns every strategy.
    """

    path: Path
    label: str
    distribution: Distribution
    challenge: str
    item: str
    strategy: int | None

    def applies_to(self, strategy: int) -> bool:
        """Whether the input can move strategy ``strategy``'s metric."""
        return self.strategy is None or self.strategy == strategy


def challenge_of(scenario: Scenario, path: Path) -> str:
    """The adoption challenge of the input at ``path``.

    Examples
    --------
    >>> from costmodel.scenario import parse_scenario
    >>> s = parse_scenario({"name": "x", "organisation": {"units": 5},
    ...     "costs": [{"name": "DPIA", "category": "compliance", "kind": "one_time",
    ...                "amount": 1000}],
    ...     "strategies": [{"name": "All", "phases": [{"share": 1, "go_live": 1}]}]})
    >>> challenge_of(s, ("costs", 0, "amount")), challenge_of(s, ("adoption", "ceiling"))
    ('compliance and security', 'training and change')
    """
    if path[0] == "costs":
        return _CATEGORY_CHALLENGE[scenario.costs[path[1]].category]
    if path[0] == "risks":
        category = getattr(scenario.risks[path[1]], "category", None)
        return _CATEGORY_CHALLENGE.get(category, "compliance and security")
    name = str(path[-1])
    if path[0] == "benefits":
        return _FIELD_CHALLENGE.get(name, "benefit estimates")
    return _FIELD_CHALLENGE.get(name, "other")


def _item_of(scenario: Scenario, path: Path) -> str:
    if path[0] == "costs":
        return f"Cost: {scenario.costs[path[1]].name}"
    if path[0] == "benefits":
        return f"Benefit: {scenario.benefits[path[1]].name}"
    if path[0] == "strategies":
        return f"Rollout: {scenario.strategies[path[1]].name}"
    if path[0] == "risks":
        return f"Risk: {scenario.risks[path[1]].name}"
    return str(path[0]).replace("_", " ").capitalize()


def sensitivity_inputs(scenario: Scenario, *, risks: bool = False) -> list[SensitivityInput]:
    """The uncertain inputs, in file order, with their challenge and item.

    ``risks=False`` (the one-at-a-time and Sobol views) leaves out the inputs of risk
    events, which only matter when an event happens (see the module docstring).
    """
    out = []
    for item in uncertain_inputs(scenario):
        if item.path[0] == "risks" and not risks:
            continue
        strategy = item.path[1] if item.path[0] == "strategies" else None
        out.append(SensitivityInput(item.path, item.label, item.distribution,
                                    challenge_of(scenario, item.path),
                                    _item_of(scenario, item.path), strategy))
    return out


# --- evaluating the engine on a matrix of input values --------------------------------


def _point_values(scenario: Scenario) -> dict[Path, float]:
    return {path: (value.point() if isinstance(value, Distribution) else float(value))
            for path, value in numeric_fields(scenario)}


def _metric_values(results: Results, metric: str) -> np.ndarray:
    """``(n_strategies, n_trials)`` values of ``metric``."""
    return np.stack([np.asarray(getattr(s.metrics, metric)) for s in results.strategies])


def _check_metric(metric: str) -> None:
    if metric not in METRIC_NAMES:
        raise CostModelError(f"metric {metric!r} is not one of {', '.join(METRIC_NAMES)} "
                             "— e.g. npv")


def evaluate(scenario: Scenario, inputs: Sequence[SensitivityInput], values: np.ndarray,
             *, metric: str = "npv") -> np.ndarray:
    """The metric of every strategy on rows of input values, in one engine call.

    Parameters
    ----------
    scenario : Scenario
    inputs : sequence of SensitivityInput
        The inputs the columns of ``values`` belong to; every other uncertain-typed field
        takes its point value, and the rest of the randomness its point-run state.
    values : ndarray, shape (n_rows, n_inputs)
        Input values [each in its own unit], one row per trial.
    metric : str
        One of :data:`costmodel.results.METRIC_NAMES`.

    Returns
    -------
    ndarray, shape (n_strategies, n_rows)
    """
    _check_metric(metric)
    values = np.asarray(values, dtype=float)
    n = values.shape[0]
    point = _point_values(scenario)
    columns = {item.path: k for k, item in enumerate(inputs)}
    draws = {path: (np.ascontiguousarray(values[:, columns[path]]) if path in columns
                    else value) for path, value in point.items()}
    results = simulate_draws(scenario, Draws(n, draws), label="sensitivity design")
    return _metric_values(results, metric)


def _from_uniforms(inputs: Sequence[SensitivityInput], u: np.ndarray) -> np.ndarray:
    out = np.empty(u.shape)
    for k, item in enumerate(inputs):
        out[:, k] = item.distribution.ppf(np.clip(u[:, k], U_EPS, 1 - U_EPS))
    return out


def _one_at_a_time(scenario: Scenario, inputs: Sequence[SensitivityInput],
                   levels: Sequence[float], metric: str) -> tuple[np.ndarray, np.ndarray,
                                                                  np.ndarray]:
    """Base row, then for each input one row per level (the others at point values).

    Returns ``(base (S,), values (S, d, L), input values (d, L))``.
    """
    d, count = len(inputs), len(levels)
    point = np.array([item.distribution.point() for item in inputs])
    at = np.array([item.distribution.ppf(np.asarray(levels, dtype=float) / 100.0)
                   for item in inputs]).reshape(d, count)
    rows = np.tile(point, (1 + d * count, 1))
    for k in range(d):
        rows[1 + k * count:1 + (k + 1) * count, k] = at[k]
    metric_values = evaluate(scenario, inputs, rows, metric=metric)
    return metric_values[:, 0], metric_values[:, 1:].reshape(-1, d, count), at


def _strategy_index(strategies: Sequence[str], name: str) -> int:
    try:
        return list(strategies).index(name)
    except ValueError:
        raise CostModelError(f"no strategy {name!r} — use one of "
                             f"{', '.join(repr(s) for s in strategies)}") from None


# --- tornado and spider -----------------------------------------------------------------


@dataclass(frozen=True)
class Tornado:
    """One-at-a-time swings: each input at its low and high percentile, the others at
    their point values.

    Attributes
    ----------
    metric : str
    strategies : tuple of str
    inputs : tuple of SensitivityInput
    levels : (float, float)
        The low and high percentiles [percent] (10 and 90).
    base : ndarray, shape (n_strategies,)
        The metric at the point values (the point run) [metric's unit].
    low, high : ndarray, shape (n_strategies, n_inputs)
        The metric with the input at its low / high percentile.
    input_low, input_high : ndarray, shape (n_inputs,)
        The input's value at those percentiles [input's unit].
    """

    metric: str
    strategies: tuple[str, ...]
    inputs: tuple[SensitivityInput, ...]
    levels: tuple[float, float]
    base: np.ndarray
    low: np.ndarray
    high: np.ndarray
    input_low: np.ndarray
    input_high: np.ndarray

    @property
    def labels(self) -> list[str]:
        return [item.label for item in self.inputs]

    @property
    def swing(self) -> np.ndarray:
        """``|high - low|`` per strategy and input, shape ``(n_strategies, n_inputs)``."""
        with np.errstate(invalid="ignore"):
            return np.abs(self.high - self.low)

    def order(self, strategy: str) -> list[int]:
        """Indices of the inputs that apply to ``strategy``, largest swing first."""
        s = _strategy_index(self.strategies, strategy)
        swing = np.nan_to_num(self.swing[s], nan=0.0, posinf=np.inf)
        keep = [k for k, item in enumerate(self.inputs) if item.applies_to(s)]
        return sorted(keep, key=lambda k: (-swing[k], k))

    def to_json(self) -> dict[str, Any]:
        return {"metric": self.metric, "levels": list(self.levels), "strategies": {
            name: {"base": _number(self.base[s]), "inputs": [
                {"input": self.inputs[k].label, "path": _key(self.inputs[k].path),
                 "challenge": self.inputs[k].challenge,
                 "input_low": _number(self.input_low[k]),
                 "input_high": _number(self.input_high[k]),
                 "low": _number(self.low[s, k]), "high": _number(self.high[s, k]),
                 "swing": _number(self.swing[s, k])} for k in self.order(name)]}
            for s, name in enumerate(self.strategies)}}


def tornado(scenario: Scenario, *, metric: str = "npv",
            levels: tuple[float, float] = TORNADO_LEVELS) -> Tornado:
    """The tornado: each input at its P10 and P90, the others at their point values.

    One engine call of ``1 + 2 d`` trials for ``d`` inputs (every strategy at once). The
    swing of an input equals the difference of two point runs of the scenario with that
    input fixed at its P10 and at its P90.

    Parameters
    ----------
    scenario : Scenario
    metric : str
        One of :data:`costmodel.results.METRIC_NAMES` (default ``"npv"``).
    levels : (float, float)
        Low and high percentiles [percent, 0-100].
    """
    inputs = tuple(sensitivity_inputs(scenario))
    base, values, at = _one_at_a_time(scenario, inputs, levels, metric)
    return Tornado(metric, tuple(s.name for s in scenario.strategies), inputs,
                   (float(levels[0]), float(levels[1])), base, values[..., 0],
                   values[..., 1], at[:, 0], at[:, 1])


@dataclass(frozen=True)
class Spider:
    """The metric against each input's percentile, the others at their point values.

    Attributes
    ----------
    metric : str
    strategies : tuple of str
    inputs : tuple of SensitivityInput
    levels : ndarray, shape (n_levels,)
        Percentiles [percent].
    base : ndarray, shape (n_strategies,)
        The metric at the point values.
    values : ndarray, shape (n_strategies, n_inputs, n_levels)
    input_values : ndarray, shape (n_inputs, n_levels)
        The input's value at each percentile [input's unit].
    """

    metric: str
    strategies: tuple[str, ...]
    inputs: tuple[SensitivityInput, ...]
    levels: np.ndarray
    base: np.ndarray
    values: np.ndarray
    input_values: np.ndarray

    def order(self, strategy: str) -> list[int]:
        """Inputs that apply to ``strategy``, widest range of the metric first."""
        s = _strategy_index(self.strategies, strategy)
        with np.errstate(invalid="ignore"):
            spread = np.nan_to_num(np.ptp(self.values[s], axis=1), nan=0.0)
        keep = [k for k, item in enumerate(self.inputs) if item.applies_to(s)]
        return sorted(keep, key=lambda k: (-spread[k], k))


def spider(scenario: Scenario, *, metric: str = "npv",
           levels: Sequence[float] = SPIDER_LEVELS) -> Spider:
    """The spider view: the metric at each percentile of each input (5, 10, ..., 95 by
    default), the others at their point values. One engine call of ``1 + d L`` trials."""
    inputs = tuple(sensitivity_inputs(scenario))
    base, values, at = _one_at_a_time(scenario, inputs, levels, metric)
    return Spider(metric, tuple(s.name for s in scenario.strategies), inputs,
                  np.asarray(levels, dtype=float), base, values, at)


# --- from a Monte Carlo run -------------------------------------------------------------


@dataclass(frozen=True)
class RankCorrelations:
    """Spearman rank correlation of each input with the metric over a Monte Carlo run.

    Attributes
    ----------
    metric : str
    strategies : tuple of str
    labels : tuple of str
        The inputs: every uncertain input, then one ``"Risk: <name> (occurrences)"`` per
        risk event.
    strategy_of : tuple of (int or None)
        The strategy an input belongs to, ``None`` when it concerns all.
    rho : ndarray, shape (n_strategies, n_inputs)
        Spearman's rank correlation [-1, 1] (0 where the input or the metric does not
        vary).
    ci_low, ci_high : ndarray, shape (n_strategies, n_inputs)
        95 % interval of ``rho`` (Fisher's z, standard error ``1.06 / sqrt(n - 3)``).
    contribution : ndarray, shape (n_strategies, n_inputs)
        Contribution to variance: ``sign(rho) rho² / sum(rho²)`` over the inputs of the
        strategy [fraction; the absolute values sum to 1].
    trials, seed : int
    sampler : str
    """

    metric: str
    strategies: tuple[str, ...]
    labels: tuple[str, ...]
    strategy_of: tuple[int | None, ...]
    rho: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    contribution: np.ndarray
    trials: int
    seed: int
    sampler: str

    def order(self, strategy: str) -> list[int]:
        """Inputs that apply to ``strategy``, largest ``|rho|`` first."""
        s = _strategy_index(self.strategies, strategy)
        keep = [k for k, owner in enumerate(self.strategy_of) if owner in (None, s)]
        return sorted(keep, key=lambda k: (-abs(self.rho[s, k]), k))

    def to_json(self) -> dict[str, Any]:
        return {"metric": self.metric, "trials": self.trials, "seed": self.seed,
                "sampler": self.sampler, "strategies": {
                    name: [{"input": self.labels[k], "rho": _number(self.rho[s, k]),
                            "ci": [_number(self.ci_low[s, k]), _number(self.ci_high[s, k])],
                            "contribution_to_variance": _number(self.contribution[s, k])}
                           for k in self.order(name)]
                    for s, name in enumerate(self.strategies)}}


def _spearman(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rho of each column of ``x`` (n, d) with each row of ``y`` (S, n):
    Pearson's correlation of the ranks (mid-ranks for ties). Shape ``(S, d)``."""
    rx = stats.rankdata(x, axis=0)
    ry = stats.rankdata(y, axis=1)
    rx -= rx.mean(axis=0)
    ry -= ry.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (ry @ rx) / np.outer(np.sqrt((ry ** 2).sum(axis=1)),
                                   np.sqrt((rx ** 2).sum(axis=0)))
    return np.nan_to_num(rho, nan=0.0)


def _sobol_trials(trials: int, sampler: str) -> int:
    if sampler != "sobol" or trials & (trials - 1) == 0:
        return trials
    return 1 << math.ceil(math.log2(trials))


def rank_correlations(scenario: Scenario, *, metric: str = "npv", trials: int | None = None,
                      seed: int | None = None, sampler: str | None = None) -> RankCorrelations:
    """Spearman rank correlations of the inputs with the metric, from a Monte Carlo run.

    The run is the one :func:`costmodel.simulate` makes with the same ``trials``, ``seed``
    and ``sampler`` (defaults: the scenario's): the same draws, correlations and risk
    events, so the same per-trial metric (for runs of up to 131,072 trials without
    precision control). Non-finite metric values (IRR undefined, payback never reached)
    are ranked as they fall (``inf`` last); ``nan`` trials are left out.
    """
    _check_metric(metric)
    settings = scenario.simulation
    sampler = sampler or settings.sampler
    seed = settings.seed if seed is None else int(seed)
    n = _sobol_trials(settings.trials if trials is None else int(trials), sampler)
    if n < 4:
        raise CostModelError(f"trials {n}: rank correlations need at least 4 trials")
    replicates = replicate_count(n, sampler)
    draws = draw(scenario, n, sampler=sampler, rng=np.random.default_rng(seed),
                 replicates=replicates)
    y = _metric_values(simulate_draws(scenario, draws, label=sampler), metric)
    inputs = uncertain_inputs(scenario)
    columns = [per_trial(draws[item.path], n) for item in inputs]
    labels = [item.label for item in inputs]
    owners: list[int | None] = [item.path[1] if item.path[0] == "strategies" else None
                                for item in inputs]
    horizon = scenario.horizon_months
    for k, risk in enumerate(scenario.risks):
        count = np.zeros(n)
        for j in range(draws.occurrences(k)):
            count += np.asarray(draws[("risks", k, "@month", j)]) < horizon
        columns.append(count)
        labels.append(f"Risk: {risk.name} (occurrences)")
        owners.append(None)
    x = np.column_stack(columns) if columns else np.empty((n, 0))
    rho = np.zeros((y.shape[0], x.shape[1]))
    for s in range(y.shape[0]):
        defined = ~np.isnan(y[s])
        if defined.sum() >= 4:
            rho[s] = _spearman(x[defined], y[s][defined][None, :])[0]
    used = np.array([[owner in (None, s) for owner in owners] for s in range(y.shape[0])],
                    dtype=bool).reshape(rho.shape)
    squares = np.where(used, rho ** 2, 0.0)
    total = squares.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        contribution = np.where(total > 0, np.sign(rho) * squares / total, 0.0)
    half = 1.959963984540054 * 1.06 / math.sqrt(max(n - 3, 1))
    z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
    return RankCorrelations(metric, tuple(s.name for s in scenario.strategies), tuple(labels),
                            tuple(owners), rho, np.tanh(z - half), np.tanh(z + half),
                            contribution, n, seed, sampler)


# --- variance-based (Sobol) indices ------------------------------------------------------


@dataclass(frozen=True)
class SobolIndices:
    """First-order and total Sobol indices with bootstrap confidence intervals.

    Rows (``names``) are the single inputs, then the adoption challenges, then the cost
    and benefit items (and the rollout, adoption and organisation groups); ``kinds`` says
    which (``"input"``, ``"challenge"``, ``"item"``). A group's indices are those of its
    inputs taken together (closed indices of the set): its first-order index is the share
    of the metric's variance its inputs explain on their own, including their
    interactions with each other.

    Attributes
    ----------
    metric : str
    strategies : tuple of str
    names, kinds : tuple of str
    members : tuple of tuple of int
        The input columns (indices into ``inputs``) of each row.
    inputs : tuple of SensitivityInput
    first, total : ndarray, shape (n_strategies, n_rows)
        First-order ``S`` and total ``S_T`` indices [fraction of variance].
    first_ci, total_ci : ndarray, shape (n_strategies, n_rows, 2)
        Bootstrap (BCa) confidence intervals at ``confidence``.
    variance : ndarray, shape (n_strategies,)
        Variance of the metric over the design [metric's unit squared].
    samples : int
        Base sample size ``n`` (a power of two).
    evaluations : int
        Engine trials run: ``n * (2 + number of distinct input sets)``.
    confidence : float
    seed : int
    notes : tuple of str
        What the indices assume (independence, risk events held off).
    """

    metric: str
    strategies: tuple[str, ...]
    names: tuple[str, ...]
    kinds: tuple[str, ...]
    members: tuple[tuple[int, ...], ...]
    inputs: tuple[SensitivityInput, ...]
    first: np.ndarray
    total: np.ndarray
    first_ci: np.ndarray
    total_ci: np.ndarray
    variance: np.ndarray
    samples: int
    evaluations: int
    confidence: float
    seed: int
    notes: tuple[str, ...] = field(default=())

    def rows(self, strategy: str, kind: str = "input") -> list[int]:
        """Rows of ``kind`` that apply to ``strategy``, largest total index first."""
        s = _strategy_index(self.strategies, strategy)
        keep = [r for r, k in enumerate(self.kinds) if k == kind and any(
            self.inputs[c].applies_to(s) for c in self.members[r])]
        return sorted(keep, key=lambda r: (-self.total[s, r], r))

    def to_json(self) -> dict[str, Any]:
        def row(s: int, r: int) -> dict[str, Any]:
            return {"name": self.names[r], "first_order": _number(self.first[s, r]),
                    "first_order_ci": [_number(v) for v in self.first_ci[s, r]],
                    "total": _number(self.total[s, r]),
                    "total_ci": [_number(v) for v in self.total_ci[s, r]]}

        return {"metric": self.metric, "samples": self.samples,
                "evaluations": self.evaluations, "confidence": self.confidence,
                "seed": self.seed, "notes": list(self.notes), "strategies": {
                    name: {"variance": _number(self.variance[s]),
                           **{kind + "s": [row(s, r) for r in self.rows(name, kind)]
                              for kind in ("input", "challenge", "item")}}
                    for s, name in enumerate(self.strategies)}}


def _groups(inputs: Sequence[SensitivityInput]) -> list[tuple[str, str, tuple[int, ...]]]:
    """``(name, kind, columns)`` of every row: single inputs, challenges, items."""
    rows = [(item.label, "input", (k,)) for k, item in enumerate(inputs)]
    for challenge in CHALLENGES:
        columns = tuple(k for k, item in enumerate(inputs) if item.challenge == challenge)
        if columns:
            rows.append((challenge[0].upper() + challenge[1:], "challenge", columns))
    items: dict[str, list[int]] = {}
    for k, item in enumerate(inputs):
        items.setdefault(item.item, []).append(k)
    rows += [(name, "item", tuple(columns)) for name, columns in items.items()]
    return rows


def _indices(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, axis: int = -1):
    """Saltelli (2010) first-order and Jansen (1999) total estimators, as
    :func:`scipy.stats.sobol_indices` computes them (``saltelli_2010``); ``f_a``,
    ``f_b`` shape ``(..., n)``, ``f_ab`` shape ``(k, ..., n)``; outputs ``(k, ...)``."""
    var = np.var(np.concatenate([f_a, f_b], axis=-1), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.mean(f_b * (f_ab - f_a), axis=-1) / var
        total = 0.5 * np.mean((f_a - f_ab) ** 2, axis=-1) / var
    return np.nan_to_num(first, nan=0.0, posinf=0.0, neginf=0.0), np.nan_to_num(
        total, nan=0.0, posinf=0.0, neginf=0.0)


def _bootstrap(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, *, confidence: float,
               resamples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """BCa intervals of the first-order and total indices, resampling the ``n`` rows of
    ``A``, ``B`` and ``AB`` together (as :meth:`scipy.stats.SobolResult.bootstrap`
    does), from ``rng``. Returns two ``(k, 2)`` arrays."""
    k = f_ab.shape[0]

    def statistic(index: np.ndarray, axis: int = -1) -> np.ndarray:
        first, total = _indices(f_a[index], f_b[index], f_ab[:, index])
        return np.concatenate([first, total], axis=0)

    n = f_a.size
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # BCa on an index that is exactly 0 in every resample
        result = stats.bootstrap((np.arange(n),), statistic, vectorized=True,
                                 n_resamples=resamples, batch=max(1, 2_000_000 // (k * n + 1)),
                                 confidence_level=confidence, method="BCa", rng=rng)
    low = np.asarray(result.confidence_interval.low, dtype=float)
    high = np.asarray(result.confidence_interval.high, dtype=float)
    estimate = np.concatenate(_indices(f_a, f_b, f_ab))
    # an index that is the same in every resample (an input with no effect): its interval
    # is the point itself
    flat = ~np.isfinite(low) | ~np.isfinite(high)
    low[flat], high[flat] = estimate[flat], estimate[flat]
    ci = np.stack([low, high], axis=-1)
    return ci[:k], ci[k:]


def saltelli_design(a: np.ndarray, b: np.ndarray,
                    sets: Sequence[Sequence[int]]) -> np.ndarray:
    """The rows to evaluate for Sobol indices of the column ``sets``: ``A``, ``B``, then
    for each set ``G`` the matrix ``AB_G`` (``A`` with the columns of ``G`` from ``B``).

    ``a`` and ``b`` have shape ``(n, d)``; the result ``((2 + len(sets)) n, d)``.

    Examples
    --------
    >>> a, b = np.zeros((2, 3)), np.ones((2, 3))
    >>> saltelli_design(a, b, [(0,), (1, 2)])[4:].tolist()
    [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]
    """
    n, d = a.shape
    design = np.empty(((2 + len(sets)) * n, d))
    design[:n], design[n:2 * n] = a, b
    for k, columns in enumerate(sets):
        block = design[(2 + k) * n:(3 + k) * n]
        block[:] = a
        block[:, list(columns)] = b[:, list(columns)]
    return design


def sobol_estimates(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, *,
                    confidence: float = 0.95, resamples: int = 999,
                    rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """First-order and total indices of each set, with BCa bootstrap intervals.

    ``f_a``, ``f_b`` shape ``(n,)``: the model at ``A`` and ``B``; ``f_ab`` shape
    ``(k, n)``: at ``AB_G`` for each of ``k`` sets. The estimates are
    :func:`scipy.stats.sobol_indices`' (given the evaluations); the intervals resample
    the ``n`` rows with ``rng``. Returns ``(first (k,), total (k,), first_ci (k, 2),
    total_ci (k, 2))``.
    """
    n = f_a.size
    found = stats.sobol_indices(func={"f_A": f_a[None, :], "f_B": f_b[None, :],
                                      "f_AB": f_ab[:, None, :]}, n=n)
    first = np.reshape(found.first_order, -1)
    total = np.reshape(found.total_order, -1)
    mean = np.mean(np.concatenate([f_a, f_b]))  # scipy centres on this mean too
    first_ci, total_ci = _bootstrap(f_a - mean, f_b - mean, f_ab - mean,
                                    confidence=confidence, resamples=resamples, rng=rng)
    return first, total, first_ci, total_ci


def sobol(scenario: Scenario, *, metric: str = "npv", samples: int = DEFAULT_SOBOL_SAMPLES,
          seed: int | None = None, confidence: float = 0.95,
          resamples: int = 999) -> SobolIndices:
    """First-order and total Sobol indices of the inputs, the challenges and the items.

    The design: a scrambled Sobol sequence of ``2 d`` dimensions gives the uniforms of
    two independent samples ``A`` and ``B`` (``n`` rows, ``d`` inputs each); for every
    distinct set of input columns ``G`` (a single input, a challenge, an item),
    ``AB_G`` is ``A`` with the columns of ``G`` taken from ``B``. Every row goes through
    the inputs' inverse CDFs and the engine in one call (``n (2 + k)`` trials for ``k``
    sets); :func:`scipy.stats.sobol_indices` gives the indices from the evaluations, and
    a BCa bootstrap over the ``n`` rows their confidence intervals.

    Parameters
    ----------
    scenario : Scenario
    metric : str
        One of :data:`costmodel.results.METRIC_NAMES`; must be finite in every trial.
    samples : int
        Base sample size ``n``, a power of two (default :data:`DEFAULT_SOBOL_SAMPLES`).
    seed : int, optional
        Seed of the design and the bootstrap (default: the scenario's).
    confidence : float
        Level of the confidence intervals (0.95).
    resamples : int
        Bootstrap resamples.

    Raises
    ------
    CostModelError
        Bad ``samples``, a scenario without uncertain inputs, or a metric that is not
        finite in some trials.
    """
    _check_metric(metric)
    if samples < 2 or samples & (samples - 1):
        raise CostModelError(f"samples {samples}: the Sobol design needs a power of two "
                             "(e.g. 1024)")
    if not 0 < confidence < 1:
        raise CostModelError(f"confidence {confidence}: give a level between 0 and 1, "
                             "e.g. 0.95")
    inputs = tuple(sensitivity_inputs(scenario))
    d = len(inputs)
    if d == 0:
        raise CostModelError("the scenario has no uncertain inputs (outside risk events) — "
                             "give some values as distributions, e.g. {pert = [low, likely, "
                             "high]}")
    seed = scenario.simulation.seed if seed is None else int(seed)
    rng = np.random.default_rng(seed)
    rows = _groups(inputs)
    sets: dict[tuple[int, ...], int] = {}
    for _, _, columns in rows:
        sets.setdefault(columns, len(sets))
    n = samples
    u = qmc.Sobol(2 * d, scramble=True, rng=rng).random(n)
    design = saltelli_design(u[:, :d], u[:, d:], list(sets))
    y = evaluate(scenario, inputs, _from_uniforms(inputs, design), metric=metric)
    bad = ~np.isfinite(y)
    if bad.any():
        raise CostModelError(
            f"metric {metric!r} is not finite in {int(bad.any(axis=0).sum()):,} of "
            f"{y.shape[1]:,} trials of the design (an undefined IRR or a payback never "
            "reached) — Sobol indices need a finite metric; use npv, roi or pv_costs")
    strategies = len(scenario.strategies)
    f_a, f_b = y[:, :n], y[:, n:2 * n]
    f_ab = y[:, 2 * n:].reshape(strategies, len(sets), n).transpose(1, 0, 2)
    where = [sets[columns] for _, _, columns in rows]
    first = np.empty((strategies, len(rows)))
    total = np.empty_like(first)
    first_ci = np.empty((strategies, len(rows), 2))
    total_ci = np.empty_like(first_ci)
    for s in range(strategies):
        found = sobol_estimates(f_a[s], f_b[s], f_ab[:, s], confidence=confidence,
                                resamples=resamples, rng=rng)
        first[s], total[s] = found[0][where], found[1][where]
        first_ci[s], total_ci[s] = found[2][where], found[3][where]
    variance = np.var(np.concatenate([f_a, f_b], axis=1), axis=1)
    notes = ["Variance from the uncertain inputs only: risk events are held off (none "
             "happens), gates measure the pilot exactly; see the rank correlations for "
             "the risk events."]
    if scenario.correlations:
        notes.append(f"The scenario correlates {len(scenario.correlations)} pair(s) of "
                     "inputs; Sobol indices assume independent inputs, so they are computed "
                     "with those correlations set aside. Read correlated inputs together "
                     "(their challenge or item group).")
    return SobolIndices(metric, tuple(x.name for x in scenario.strategies),
                        tuple(r[0] for r in rows), tuple(r[1] for r in rows),
                        tuple(r[2] for r in rows), inputs, first, total, first_ci, total_ci,
                        variance, n, int(design.shape[0]), confidence, seed, tuple(notes))


# --- the report -----------------------------------------------------------------------


@dataclass(frozen=True)
class SensitivityReport:
    """Everything a sensitivity section needs: the four views of one scenario and metric.

    Use :meth:`tables` and :meth:`figures` to fill a report section (the proposal pack)
    or a page; :meth:`to_json` for the command line's ``--json``.
    """

    scenario: Scenario
    metric: str
    tornado: Tornado
    spider: Spider
    correlations: RankCorrelations
    sobol: SobolIndices | None
    notes: tuple[str, ...]

    @property
    def strategies(self) -> tuple[str, ...]:
        return self.tornado.strategies

    def tables(self, strategy: str, *, top: int = 10) -> dict[str, list[dict[str, Any]]]:
        """Rows of the report's tables for ``strategy`` (plain values, for HTML or CSV):
        ``"tornado"``, ``"rank_correlations"``, ``"sobol_inputs"``,
        ``"sobol_challenges"``, ``"sobol_items"`` — at most ``top`` rows each."""
        s = _strategy_index(self.strategies, strategy)
        t = self.tornado
        out: dict[str, list[dict[str, Any]]] = {"tornado": [
            {"input": t.inputs[k].label, "challenge": t.inputs[k].challenge,
             f"input at P{t.levels[0]:g}": float(t.input_low[k]),
             f"input at P{t.levels[1]:g}": float(t.input_high[k]),
             f"{self.metric} at P{t.levels[0]:g}": float(t.low[s, k]),
             f"{self.metric} at P{t.levels[1]:g}": float(t.high[s, k]),
             "swing": float(t.swing[s, k])} for k in t.order(strategy)[:top]]}
        c = self.correlations
        out["rank_correlations"] = [
            {"input": c.labels[k], "rank correlation": float(c.rho[s, k]),
             "contribution to variance": float(c.contribution[s, k])}
            for k in c.order(strategy)[:top]]
        if self.sobol is not None:
            for kind in ("input", "challenge", "item"):
                out[f"sobol_{kind}s"] = [
                    {"name": self.sobol.names[r],
                     "first-order": float(self.sobol.first[s, r]),
                     "first-order CI": tuple(float(v) for v in self.sobol.first_ci[s, r]),
                     "total": float(self.sobol.total[s, r]),
                     "total CI": tuple(float(v) for v in self.sobol.total_ci[s, r])}
                    for r in self.sobol.rows(strategy, kind)[:top]]
        return out

    def figures(self, strategy: str, *, top: int = 12) -> dict[str, Any]:
        """The plotly figures for ``strategy``: ``"tornado"``, ``"spider"``,
        ``"rank_correlations"``, and with Sobol indices ``"sobol_inputs"`` and
        ``"sobol_challenges"`` (imports plotly through :mod:`costmodel.charts`)."""
        from . import charts

        currency = self.scenario.currency
        name = self.scenario.name
        out = {"tornado": charts.tornado_chart(self.tornado, strategy, currency=currency,
                                               scenario_name=name, top=top),
               "spider": charts.spider_chart(self.spider, strategy, currency=currency,
                                             scenario_name=name, top=min(top, 8)),
               "rank_correlations": charts.rank_correlation_chart(
                   self.correlations, strategy, scenario_name=name, top=top)}
        if self.sobol is not None:
            out["sobol_inputs"] = charts.sobol_chart(self.sobol, strategy, kind="input",
                                                     scenario_name=name, top=top)
            out["sobol_challenges"] = charts.sobol_chart(self.sobol, strategy,
                                                         kind="challenge", scenario_name=name)
        return out

    def to_text(self, strategies: Sequence[str] | None = None, *, top: int = 10) -> str:
        """The readable report printed by ``costmodel sensitivity``."""
        names = list(self.strategies) if strategies is None else list(strategies)
        lines = [self.scenario.name, f"Sensitivity of {self.metric}"]
        for name in names:
            tables = self.tables(name, top=top)
            t = self.tornado
            s = _strategy_index(self.strategies, name)
            lines += ["", name, f"  Tornado: each input at its P{t.levels[0]:g} and "
                               f"P{t.levels[1]:g}, the others at point values (point "
                               f"estimate {_fmt(t.base[s])})"]
            lines.append(f"    {'input':<58}{'at P' + format(t.levels[0], 'g'):>14}"
                         f"{'at P' + format(t.levels[1], 'g'):>14}{'swing':>14}")
            for k in t.order(name)[:top]:
                lines.append(f"    {_cut(t.inputs[k].label, 57):<58}{_fmt(t.low[s, k]):>14}"
                             f"{_fmt(t.high[s, k]):>14}{_fmt(t.swing[s, k]):>14}")
            c = self.correlations
            lines += ["", f"  Rank correlation with {self.metric} ({c.trials:,} trials, "
                          f"{c.sampler}, seed {c.seed}) and contribution to variance"]
            for row in tables["rank_correlations"]:
                lines.append(f"    {_cut(row['input'], 57):<58}"
                             f"{row['rank correlation']:>14.2f}"
                             f"{row['contribution to variance'] * 100:>13.1f}%")
            if self.sobol is not None:
                for kind, title in (("challenges", "adoption challenge"),
                                    ("items", "cost and benefit item"), ("inputs", "input")):
                    lines += ["", f"  Sobol indices by {title} (first-order, total; "
                                  f"{self.sobol.confidence:.0%} intervals)"]
                    for row in tables[f"sobol_{kind}"]:
                        lo, hi = row["first-order CI"]
                        tlo, thi = row["total CI"]
                        lines.append(f"    {_cut(row['name'], 57):<58}"
                                     f"{row['first-order']:>7.2f} [{lo:5.2f}, {hi:5.2f}]"
                                     f"{row['total']:>7.2f} [{tlo:5.2f}, {thi:5.2f}]")
        lines += ["", *("Note: " + note for note in self.notes)]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario.name, "metric": self.metric,
                "notes": list(self.notes), "tornado": self.tornado.to_json(),
                "rank_correlations": self.correlations.to_json(),
                "sobol": None if self.sobol is None else self.sobol.to_json()}


def sensitivity_report(source: Scenario | Results, *, metric: str = "npv",
                       samples: int = DEFAULT_SOBOL_SAMPLES, seed: int | None = None,
                       indices: bool = True, resamples: int = 999) -> SensitivityReport:
    """The four sensitivity views of a scenario (or of a run's scenario and settings).

    With a :class:`Results`, the rank correlations come from the same trials, seed and
    sampler as the run; with a :class:`Scenario`, from the scenario's settings.
    ``indices=False`` skips the Sobol indices (the slowest part: ``samples * (2 + k)``
    engine trials plus the bootstrap).
    """
    if isinstance(source, Results):
        scenario = source.scenario
        m = source.manifest
        run = ({} if m.point else {"trials": min(m.trials, 131_072), "seed": m.seed,
                                   "sampler": m.sampler})
    else:
        scenario, run = source, {}
    _check_metric(metric)
    t = tornado(scenario, metric=metric)
    sp = spider(scenario, metric=metric)
    correlations = rank_correlations(scenario, metric=metric, **run)
    indices_found = (sobol(scenario, metric=metric, samples=samples, seed=seed,
                           resamples=resamples)
                     if indices and t.inputs else None)
    notes = ["Tornado and spider: one input moved at a time, the others at their point "
             "values (likely or median); risk events held off, as in the point run.",
             "Contribution to variance: squared rank correlations normalised to 100 % "
             "(@RISK's and Crystal Ball's approximation, not a variance decomposition)."]
    if indices_found is not None:
        notes += list(indices_found.notes)
    return SensitivityReport(scenario, metric, t, sp, correlations, indices_found,
                             tuple(notes))


def _fmt(value: float) -> str:
    value = float(value)
    if not math.isfinite(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _number(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _key(path: Path) -> str:
    from .uncertainty import format_path

    return format_path(path)
