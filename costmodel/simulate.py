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
from threadpoolctl import threadpool_limits

from .engine import DISRUPTION_CATEGORY, strategy_cash_flows
from .engine.flows import add_sums
from .engine.metrics import block_metrics, present_values, row_percentiles
from .engine.schedule import actual_go_lives, schedule_groups
from .errors import Problem, ScenarioError
from .results import (
    BAND_LEVELS,
    GATE_FIELDS,
    METRIC_NAMES,
    Bands,
    GateResult,
    Manifest,
    Results,
    StrategyResult,
    TrialMetrics,
    standard_error,
)
from .scenario import COST_CATEGORIES, MAX_TRIALS, Scenario
from .uncertainty import Draws, Sampler, draw, replicate_count

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


class _StrategyRun:
    """One strategy's per-trial outputs, gathered over chunks, schedule groups and rounds."""

    def __init__(self, scenario: Scenario, index: int):
        self.scenario = scenario
        self.index = index
        self.gated = scenario.strategies[index].gate is not None
        self.metrics: dict[str, list[np.ndarray]] = {name: [] for name in METRIC_NAMES}
        self.gate: dict[str, list[np.ndarray]] = {name: [] for name in GATE_FIELDS}
        self.cumulative: list[np.ndarray] = []
        self.cost_sums: dict[str, np.ndarray] = {}
        self.benefit_sums: dict[str, np.ndarray] = {}
        self.n_trials = 0

    def add(self, draws: Draws, chunk: int) -> None:
        """Run the trials of one round's ``draws``.

        Trials are ordered by schedule (trials that share one slip run together, so the
        engine keeps its per-month profiles) and cut into blocks of ``chunk``; each block's
        flows are assembled from its schedule runs and its metrics computed at once.
        """
        n_trials, n_months = draws.n_trials, self.scenario.horizon_months
        metrics = {name: np.empty(n_trials) for name in METRIC_NAMES}
        gate = {"held": np.zeros(n_trials, dtype=bool), "passed": np.ones(n_trials, dtype=bool),
                "ratio": np.full(n_trials, np.nan), "npv_without_gate": np.empty(n_trials)}
        store = np.empty((n_months, n_trials), dtype=np.float32)
        groups = schedule_groups(actual_go_lives(self.scenario, self.index, draws))
        if len(groups) == 1:  # one schedule: contiguous slices, nothing to gather
            for start in range(0, n_trials, chunk):
                part = slice(start, min(start + chunk, n_trials))
                block = draws.slice(part.start, part.stop)
                self._run_block(block, [(groups[0][0], slice(None))], part, metrics, gate,
                                store)
        else:
            order = np.concatenate([trials for _, trials in groups])
            ends = np.cumsum([len(trials) for _, trials in groups])
            for start in range(0, n_trials, chunk):
                stop = min(start + chunk, n_trials)
                part = order[start:stop]
                runs = []
                for (months, _), end, size in zip(groups, ends, np.diff(ends, prepend=0),
                                                  strict=True):
                    lo, hi = max(end - size, start), min(end, stop)
                    if lo < hi:
                        runs.append((months, slice(lo - start, hi - start)))
                self._run_block(draws.take(part), runs, part, metrics, gate, store)
        for name, values in metrics.items():
            self.metrics[name].append(values)
        for name, values in gate.items():
            self.gate[name].append(values)
        self.cumulative.append(store)
        self.n_trials += n_trials

    def _run_block(self, draws: Draws, runs, part, metrics, gate, store) -> None:
        """One block: ``runs`` are ``(go-live months, slice of the block)`` pairs."""
        rate = self.scenario.rate_monthly
        n, n_months = draws.n_trials, self.scenario.horizon_months
        if len(runs) == 1:
            flows = strategy_cash_flows(self.scenario, self.index, draws, runs[0][0])
            costs, benefits, pieces = flows.costs, flows.benefits, [(flows, slice(None))]
        else:
            costs, benefits = np.empty((n_months, n)), np.empty((n_months, n))
            pieces = []
            for months, where in runs:
                flows = strategy_cash_flows(self.scenario, self.index,
                                            draws.slice(where.start, where.stop), months)
                costs[:, where], benefits[:, where] = flows.costs, flows.benefits
                pieces.append((flows, where))
        block = block_metrics(rate, costs, benefits)
        for name, values in metrics.items():
            values[part] = block[name]
        store[:, part] = block["cumulative"]
        without = block["npv"].copy()
        held, passed = np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
        ratio = np.full(n, np.nan)
        for flows, where in pieces:
            if flows.gate is not None:
                offset = where.start or 0
                if flows.gate.failed.size:
                    pv_costs, pv_benefits = present_values(rate, flows.gate.costs_without,
                                                           flows.gate.benefits_without)
                    without[flows.gate.failed + offset] = pv_benefits - pv_costs
                held[where], passed[where] = flows.gate.held, flows.gate.passed
                ratio[where] = flows.gate.ratio
            for target, sums in ((self.cost_sums, flows.cost_sums_by_category),
                                 (self.benefit_sums, flows.benefit_sums_by_item)):
                for key, value in sums.items():
                    add_sums(target, key, value)
        gate["npv_without_gate"][part] = without
        gate["held"][part], gate["passed"][part], gate["ratio"][part] = held, passed, ratio

    def npv(self) -> np.ndarray:
        return np.concatenate(self.metrics["npv"])

    def result(self, replicate_starts: tuple[int, ...]) -> StrategyResult:
        n = self.n_trials
        store = self.cumulative[0] if len(self.cumulative) == 1 else np.concatenate(
            self.cumulative, axis=1)
        levels = np.array(BAND_LEVELS)
        order = [c for c in CATEGORY_ORDER if c in self.cost_sums]
        gate = None
        if self.gated:
            gate = GateResult(**{name: np.concatenate(v) for name, v in self.gate.items()})
        return StrategyResult(
            name=self.scenario.strategies[self.index].name,
            metrics=TrialMetrics(**{k: np.concatenate(v) for k, v in self.metrics.items()}),
            cumulative_cash=Bands(levels, row_percentiles(store, levels)),
            mean_costs_by_category={c: self.cost_sums[c] / n for c in order},
            mean_benefits_by_item={k: v / n for k, v in self.benefit_sums.items()},
            gate=gate,
            replicate_starts=replicate_starts,
        )


def simulate(
    scenario: Scenario,
    trials: int | None = None,
    seed: int | None = None,
    sampler: Sampler | None = None,
    *,
    precision: float | None = None,
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
        Default: the scenario's ``simulation.sampler`` (``sobol`` unless set). Sobol and
        LHS runs are drawn as independent replicates so their standard errors are honest.
    precision : float, optional
        Target standard error of every strategy's mean NPV [currency] (default: the
        scenario's ``simulation.npv_standard_error_target``): after the first
        ``trials``, more trials are added in rounds until it is met or
        ``simulation.max_trials`` is reached. The manifest says which.

    Returns
    -------
    Results

    Notes
    -----
    BLAS runs on one thread meanwhile: the engine's matrix products are many and small,
    and a second thread costs more than it gains (about twice the time on the 2-core
    benchmark machine).

    Examples
    --------
    >>> from costmodel.scenario import parse_scenario
    >>> s = parse_scenario({"name": "x", "organisation": {"units": 10},
    ...     "costs": [{"name": "Set-up", "category": "integration", "kind": "one_time",
    ...                "amount": {"pert": [800, 1000, 1500]}}],
    ...     "benefits": [{"name": "Saving", "kind": "amount", "amount_per_month": 100}],
    ...     "strategies": [{"name": "All", "phases": [{"share": 1, "go_live": 1}]}]})
    >>> r = simulate(s, trials=1000, seed=1, sampler="mc")
    >>> r.manifest.trials, r["All"].metrics.npv.shape
    (1000, (1000,))
    """
    with threadpool_limits(limits=1, user_api="blas"):  # see Notes
        return _run(scenario, trials, seed, sampler, precision, chunk_trials)


def _run(scenario: Scenario, trials: int | None, seed: int | None, sampler: Sampler | None,
         precision: float | None, chunk_trials: int) -> Results:
    settings = scenario.simulation
    requested = settings.trials if trials is None else int(trials)
    if not 1 <= requested <= MAX_TRIALS:
        raise ScenarioError([Problem("trials", requested, f"the trial count must be between 1 "
                                                          f"and {MAX_TRIALS:,} — use fewer")])
    seed = settings.seed if seed is None else int(seed)
    sampler = settings.sampler if sampler is None else sampler
    target = settings.npv_standard_error_target if precision is None else float(precision)
    n_trials, note = _trial_count(requested, sampler)
    replicates = replicate_count(n_trials, sampler)
    runs = [_StrategyRun(scenario, i) for i in range(len(scenario.strategies))]
    starts: list[int] = []
    round_trials, round_replicates, rounds = n_trials, replicates, 0
    rng = np.random.default_rng(seed)
    while round_trials > 0:
        draws = draw(scenario, round_trials, sampler=sampler, rng=rng,
                     replicates=round_replicates)
        if sampler != "mc" or not starts:  # plain MC: one sample, however many rounds
            starts += [runs[0].n_trials + s for s in draws.replicate_starts]
        for run in runs:
            run.add(draws, chunk_trials)
        rounds += 1
        if target is None:
            break
        block = 1 if sampler == "mc" else n_trials // replicates
        round_trials, round_replicates = _next_round(runs, tuple(starts), target,
                                                     settings.max_trials, block, sampler)
        rng = np.random.default_rng([seed, rounds])
    total = runs[0].n_trials
    if target is not None:
        worst = max(standard_error(run.npv(), tuple(starts)) for run in runs)
        reached = "reached" if worst <= target else f"not reached at the cap of {total:,} trials"
        note = "; ".join(x for x in (note, f"precision: standard error of mean NPV "
                                           f"{worst:,.0f} against a target of {target:,.0f}, "
                                           f"{reached} ({rounds} round(s))") if x)
    manifest = _manifest(scenario, total, requested, seed, sampler, point=False, note=note,
                         replicates=len(starts))
    strategies = tuple(run.result(tuple(starts)) for run in runs)
    return Results(scenario=scenario, manifest=manifest, strategies=strategies)


def _next_round(runs: list[_StrategyRun], starts: tuple[int, ...], target: float,
                cap: int, block: int, sampler: str) -> tuple[int, int]:
    """Trials and replicates of the next precision round (0 when done): enough for the
    worst strategy's standard error to reach ``target`` if it falls as ``1/sqrt(n)``,
    with a 10 % margin, in whole replicates of ``block`` trials (Sobol, LHS; 1 for plain
    Monte Carlo), within ``cap``."""
    total = runs[0].n_trials
    worst = max(standard_error(run.npv(), starts) for run in runs)
    if not worst > target or total >= cap:
        return 0, 0
    wanted = total * (worst / target) ** 2 * 1.1 - total
    more = min(math.ceil(wanted / block) * block, (cap - total) // block * block)
    if more <= 0:
        return 0, 0
    return more, (1 if sampler == "mc" else more // block)


def simulate_point(scenario: Scenario) -> Results:
    """The deterministic run: one trial with every input at its point value
    (``likely`` for three-point estimates, the median otherwise), no risk event, gates
    measured exactly, no slip beyond the point value's."""
    runs = [_StrategyRun(scenario, i) for i in range(len(scenario.strategies))]
    for run in runs:
        run.add(Draws.point(scenario), CHUNK_TRIALS)
    manifest = _manifest(scenario, 1, 1, 0, "point", point=True, note="", replicates=1)
    return Results(scenario=scenario, manifest=manifest,
                   strategies=tuple(run.result((0,)) for run in runs))


def _manifest(scenario: Scenario, n_trials: int, requested: int, seed: int, sampler: str,
              *, point: bool, note: str, replicates: int) -> Manifest:
    return Manifest(
        trials=n_trials, trials_requested=requested, seed=seed, sampler=sampler, point=point,
        scenario_name=scenario.name, scenario_hash=scenario.content_hash(),
        horizon_months=scenario.horizon_months, package_version=_package_version(),
        numpy_version=np.__version__, scipy_version=scipy.__version__, note=note,
        replicates=replicates,
    )
