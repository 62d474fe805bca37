"""The orchestrator: Scenario -> draws -> engine -> metrics -> Results.

Runs of any size go through in blocks of :data:`CHUNK_TRIALS` trials, one strategy at a
time, so memory stays bounded: per strategy only the per-trial metrics and a float32 store
of cumulative cash (for the percentile bands) span the whole run. Every strategy reads the
same draws (common random numbers), so differences between strategies are paired.
"""

from __future__ import annotations

import math
from importlib import metadata

import numpy as np
import scipy

from .engine import DISRUPTION_CATEGORY, strategy_cash_flows
from .engine.metrics import block_metrics, row_percentiles
from .errors import Problem, ScenarioError
from .results import (
    BAND_LEVELS,
    Bands,
    Manifest,
    Results,
    StrategyResult,
    TrialMetrics,
)
from .scenario import COST_CATEGORIES, MAX_TRIALS, Scenario
from .uncertainty import Draws, Sampler, draw

__all__ = ["CHUNK_TRIALS", "simulate", "simulate_point"]

#: Trials per block: large enough to amortise Python overhead, small enough that a
#: block's ``(n_months, n_trials)`` arrays stay in cache.
CHUNK_TRIALS = 16_384

#: Report order of the cost categories (the productivity dip last).
CATEGORY_ORDER = (*COST_CATEGORIES, DISRUPTION_CATEGORY)


def _package_version() -> str:
    try:
        return metadata.version("costmodel")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def _trial_count(trials: int, sampler: str) -> tuple[int, str]:
    if sampler != "sobol" or trials & (trials - 1) == 0:
        return trials, ""
    rounded = 1 << math.ceil(math.log2(trials))
    return rounded, f"sobol: {trials:,} trials rounded up to {rounded:,} (a power of two)"


def _run_strategy(scenario: Scenario, index: int, draws: Draws, chunk: int) -> StrategyResult:
    n_trials, n_months = draws.n_trials, scenario.horizon_months
    rate = scenario.rate_monthly
    metrics = {name: np.empty(n_trials) for name in TrialMetrics.__dataclass_fields__}
    cumulative_store = np.empty((n_months, n_trials), dtype=np.float32)
    cost_sums: dict[str, np.ndarray] = {}
    benefit_sums: dict[str, np.ndarray] = {}
    for start in range(0, n_trials, chunk):
        stop = min(start + chunk, n_trials)
        flows = strategy_cash_flows(scenario, index, draws.slice(start, stop))
        block = block_metrics(rate, flows.costs, flows.benefits)
        for name, values in metrics.items():
            values[start:stop] = block[name]
        cumulative_store[:, start:stop] = block["cumulative"]
        for target, sums in ((cost_sums, flows.cost_sums_by_category),
                             (benefit_sums, flows.benefit_sums_by_item)):
            for key, value in sums.items():
                target[key] = target[key] + value if key in target else value.copy()
    levels = np.array(BAND_LEVELS)
    bands = row_percentiles(cumulative_store, levels)
    order = [c for c in CATEGORY_ORDER if c in cost_sums]
    return StrategyResult(
        name=scenario.strategies[index].name,
        metrics=TrialMetrics(**metrics),
        cumulative_cash=Bands(levels, bands),
        mean_costs_by_category={c: cost_sums[c] / n_trials for c in order},
        mean_benefits_by_item={k: v / n_trials for k, v in benefit_sums.items()},
    )


def simulate(
    scenario: Scenario,
    trials: int | None = None,
    seed: int | None = None,
    sampler: Sampler | None = None,
    *,
    chunk_trials: int = CHUNK_TRIALS,
) -> Results:
    """Run the Monte Carlo simulation of every strategy on the same draws.

    Parameters
    ----------
    scenario : Scenario
    trials : int, optional
        Number of trials (default: the scenario's ``simulation.trials``); at most
        1,000,000. Sobol rounds up to a power of two and says so in the manifest.
    seed : int, optional
        Seed of the random generator (default: the scenario's). Same seed, same numbers.
    sampler : {"mc", "lhs", "sobol"}, optional
        Default: the scenario's ``simulation.sampler``.

    Returns
    -------
    Results

    Examples
    --------
    >>> from costmodel.scenario import parse_scenario
    >>> s = parse_scenario({"name": "x", "organisation": {"units": 10},
    ...     "costs": [{"name": "Set-up", "category": "integration", "kind": "one_time",
    ...                "amount": {"pert": [800, 1000, 1500]}}],
    ...     "benefits": [{"name": "Saving", "kind": "amount", "amount_per_month": 100}],
    ...     "strategies": [{"name": "All", "phases": [{"share": 1, "go_live": 1}]}]})
    >>> r = simulate(s, trials=1000, seed=1)
    >>> r.manifest.trials, r["All"].metrics.npv.shape
    (1000, (1000,))
    """
    settings = scenario.simulation
    requested = settings.trials if trials is None else int(trials)
    if not 1 <= requested <= MAX_TRIALS:
        raise ScenarioError([Problem("trials", requested, f"the trial count must be between 1 "
                                                          f"and {MAX_TRIALS:,} — use fewer")])
    seed = settings.seed if seed is None else int(seed)
    sampler = settings.sampler if sampler is None else sampler
    n_trials, note = _trial_count(requested, sampler)
    rng = np.random.default_rng(seed)
    draws = draw(scenario, n_trials, sampler=sampler, rng=rng)
    manifest = _manifest(scenario, n_trials, requested, seed, sampler, point=False, note=note)
    return _run(scenario, draws, manifest, chunk_trials)


def simulate_point(scenario: Scenario) -> Results:
    """The deterministic run: one trial with every input at its point value
    (``likely`` for three-point estimates, the median otherwise)."""
    draws = Draws.point(scenario)
    manifest = _manifest(scenario, 1, 1, 0, "point", point=True, note="")
    return _run(scenario, draws, manifest, CHUNK_TRIALS)


def _manifest(scenario: Scenario, n_trials: int, requested: int, seed: int, sampler: str,
              *, point: bool, note: str) -> Manifest:
    return Manifest(
        trials=n_trials, trials_requested=requested, seed=seed, sampler=sampler, point=point,
        scenario_name=scenario.name, scenario_hash=scenario.content_hash(),
        horizon_months=scenario.horizon_months, package_version=_package_version(),
        numpy_version=np.__version__, scipy_version=scipy.__version__, note=note,
    )


def _run(scenario: Scenario, draws: Draws, manifest: Manifest, chunk: int) -> Results:
    strategies = tuple(
        _run_strategy(scenario, index, draws, chunk) for index in range(len(scenario.strategies))
    )
    return Results(scenario=scenario, manifest=manifest, strategies=strategies)
