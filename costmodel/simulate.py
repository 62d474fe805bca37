"""The orchestrator: Scenario -> draws -> engine -> metrics -> Results.

Runs of any size go through in blocks of :data:`CHUNK_TRIALS` trials (a strategy whose budget
defers: :data:`DEFERRING_CHUNK_FACTOR` times that), one strategy at a time, so memory stays
bounded: per strategy only the per-trial outputs (allocated once per round and filled in
place) and the band store of cumulative cash span the whole run; past a pilot the store keeps
only the values near the band levels (:mod:`costmodel.engine.bands`). Every strategy reads
the same draws (common random numbers), so differences between strategies are paired.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata

import numpy as np
import scipy
from threadpoolctl import threadpool_limits

from ._memory import retain_freed_memory
from .engine import DISRUPTION_CATEGORY, strategy_cash_flows
from .engine.bands import BandStore
from .engine.cashflow import TimedTerms, strategy_net_present_value
from .engine.deferral import deferred_go_lives, defers
from .engine.flows import add_sums
from .engine.funding import FundingPlan, funding_metrics, grant_awards
from .engine.metrics import block_metrics, present_values
from .engine.phase_budget import Calendar
from .engine.schedule import actual_go_lives
from .errors import Problem, ScenarioError
from .results import (
    BAND_LEVELS,
    FUNDING_FIELDS,
    GATE_FIELDS,
    METRIC_NAMES,
    Bands,
    FundingResult,
    GateResult,
    Manifest,
    Results,
    StrategyResult,
    TrialMetrics,
    standard_error,
)
from .scenario import COST_CATEGORIES, MAX_TRIALS, Scenario
from .uncertainty import Draws, Sampler, block_sizes, draw, replicate_count

__all__ = ["CHUNK_TRIALS", "simulate", "simulate_draws", "simulate_point"]

#: Trials per block: large enough to amortise Python overhead, small enough that a
#: block's ``(n_months, n_trials)`` arrays stay in cache (but see
#: :data:`DEFERRING_CHUNK_FACTOR`).
CHUNK_TRIALS = 8_192

#: A strategy whose budget defers runs blocks this many times as long. Its blocks carry
#: work that does not grow with their trials (the phases' budget terms and searches set
#: up, the NPV without deferral, the funding figures: 10.0 ms for two blocks of 8,192
#: trials, 9.0 ms for one of 16,384), while its flows and metrics take 4-8 % longer a
#: trial at the larger size. On two workers the invoice example's 100,000-trial run with
#: its deferring plan took 4.5 % less time this way (median of 40 interleaved pairs; the
#: run without a deferring plan, unchanged, within 1.5 %).
DEFERRING_CHUNK_FACTOR = 2

#: Trials drawn at once: a larger round is drawn in segments of whole replicates (plain
#: Monte Carlo: of this many trials), one strategy after the other, so the draws held in
#: memory stay bounded however many trials are asked for.
SEGMENT_TRIALS = 131_072

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


#: Funding fields only the budget's ``defer`` policy sets: without it, zero, zero and the
#: strategy's NPV.
DEFERRAL_FIELDS = ("deferral_months", "phases_deferred", "npv_without_deferral")


@dataclass
class _RoundOutputs:
    """One round's per-trial outputs of a strategy, filled segment by segment.

    ``(n_trials,)`` arrays by name, the breach matrix ``(n_fiscal_years, n_trials)``; only
    those the strategy sets: gate fields with a gate, :data:`DEFERRAL_FIELDS` under the
    ``defer`` policy. ``filled`` counts the trials written so far.
    """

    metrics: dict[str, np.ndarray]
    gate: dict[str, np.ndarray]
    funding: dict[str, np.ndarray]
    breach: np.ndarray
    filled: int = 0

    @classmethod
    def empty(cls, n_trials: int, n_fiscal_years: int, *, gated: bool,
              defers: bool) -> _RoundOutputs:
        gate = {"held": np.zeros(n_trials, dtype=bool), "passed": np.ones(n_trials, dtype=bool),
                "ratio": np.full(n_trials, np.nan),
                "npv_without_gate": np.empty(n_trials)} if gated else {}
        return cls({name: np.empty(n_trials) for name in METRIC_NAMES}, gate,
                   {name: np.empty(n_trials) for name in _funding_fields(defers)},
                   np.zeros((n_fiscal_years, n_trials), dtype=bool))


def _funding_fields(defers: bool) -> tuple[str, ...]:
    """The per-trial funding fields a strategy sets (:data:`DEFERRAL_FIELDS` only when its
    budget ``defers``)."""
    return tuple(name for name in FUNDING_FIELDS if defers or name not in DEFERRAL_FIELDS)


class _StrategyRun:
    """One strategy's per-trial outputs, gathered over segments and rounds.

    :meth:`start_round` makes room for a round's trials; :meth:`blocks` cuts one segment's
    draws into block tasks (independent, so they may run on several threads, each writing
    its own slice of the round's arrays); :meth:`merge` takes their per-label sums and
    cumulative cash in block order, so the result does not depend on how the tasks were
    scheduled. ``windows=False``: the band store keeps every value (see
    :class:`~costmodel.engine.bands.BandStore`).
    """

    def __init__(self, scenario: Scenario, index: int, *, windows: bool = True):
        self.scenario = scenario
        self.index = index
        self.gated = scenario.strategies[index].gate is not None
        self.plan = FundingPlan.of(scenario.funding, scenario.horizon_months)
        self.defers = defers(scenario, index)
        #: the months' fiscal and calendar years as the deferral search reads them
        self.calendar = Calendar.of(scenario, index, self.plan) if self.defers else None
        self.budget = scenario.funding.budget is not None
        #: the business's cash run with the project's when its financing is the same in
        #: every trial (funding_metrics then needs no pass of its own)
        uniform = self.plan.uniform_financing
        self.financing = (None if scenario.funding.empty or uniform is None
                          else (uniform, -float(scenario.funding.cash_on_hand)))
        self.rounds: list[_RoundOutputs] = []
        self.store: BandStore | None = BandStore(BAND_LEVELS, windows=windows)
        self.bands: np.ndarray | None = None
        self.cost_sums: dict[str, np.ndarray] = {}
        self.benefit_sums: dict[str, np.ndarray] = {}
        self.n_trials = 0

    def start_round(self, n_trials: int) -> None:
        """Allocate the per-trial outputs of a round of ``n_trials``."""
        self.rounds.append(_RoundOutputs.empty(n_trials, self.plan.n_fiscal_years,
                                               gated=self.gated, defers=self.defers))

    def blocks(self, draws: Draws, chunk: int) -> list[Callable[[], tuple]]:
        """The block tasks of one segment's ``draws``: contiguous slices of ``chunk``
        trials (:data:`DEFERRING_CHUNK_FACTOR` times that where the budget defers), each
        writing its own slice of the round's per-trial arrays (after the round's earlier
        segments)."""
        if self.defers:
            chunk *= DEFERRING_CHUNK_FACTOR
        outputs = self.rounds[-1]
        offset, n_trials = outputs.filled, draws.n_trials
        outputs.filled += n_trials
        self.n_trials += n_trials
        self.store.prepare()
        return [functools.partial(self._run_block, draws,
                                  slice(start, min(start + chunk, n_trials)), offset, outputs)
                for start in range(0, n_trials, chunk)]

    def merge(self, results: list[tuple]) -> None:
        """Add the blocks' per-label sums and cumulative cash, in block order."""
        for cost_sums, benefit_sums, cumulative in results:
            for target, block in ((self.cost_sums, cost_sums),
                                  (self.benefit_sums, benefit_sums)):
                for key, value in block.items():
                    add_sums(target, key, value)
            self.store.add(cumulative)

    def _run_block(self, draws: Draws, part: slice, offset: int,
                   outputs: _RoundOutputs) -> tuple:
        """One block: the trials ``part`` of ``draws``, written at ``part`` shifted by
        ``offset`` of the round's per-trial ``outputs``. Returns the block's per-label sums
        and what the band store keeps of its cumulative cash."""
        at = slice(offset + part.start, offset + part.stop)
        draws = draws.slice(part.start, part.stop)
        rate = self.scenario.rate_monthly
        go_lives = actual_go_lives(self.scenario, self.index, draws)
        deferral = None
        if self.defers:
            deferral = deferred_go_lives(self.scenario, self.index, draws, go_lives, self.plan,
                                         self.calendar)
            flows = strategy_cash_flows(self.scenario, self.index, draws, deferral.go_lives,
                                        deferral.windows, terms=self._moves_most(deferral))
        else:
            flows = strategy_cash_flows(self.scenario, self.index, draws, go_lives)
        block = block_metrics(rate, flows.costs, flows.benefits,
                              self.plan.fiscal_year_of_month if self.budget else None,
                              self.financing)
        for name, values in outputs.metrics.items():
            values[at] = block[name]
        business, over = funding_metrics(
            self.plan, rate, block, flows.costs, flows.benefits, list(flows.leased),
            flows.unbudgeted, flows.abandoned, grant_awards(self.scenario.funding, draws))
        if deferral is not None:
            business["deferral_months"] = deferral.months.astype(float)
            business["phases_deferred"] = deferral.phases.astype(float)
            business["npv_without_deferral"] = self._without_deferral(draws, go_lives, deferral,
                                                                      block["npv"], flows.terms)
        for name, values in outputs.funding.items():
            values[at] = business[name]
        outputs.breach[:, at] = over
        if self.gated:
            self._gate_block(flows.gate, block["npv"], outputs.gate, at)
        return (flows.cost_sums_by_category, flows.benefit_sums_by_item,
                self.store.take(block["cumulative"]))

    def _gate_block(self, gate, npv: np.ndarray, outputs: dict[str, np.ndarray],
                    at: slice) -> None:
        """Write a block's gate outcome (``gate``: the flows' gate, ``None`` when not held
        within the horizon) at ``at`` of the per-trial gate ``outputs``."""
        without = npv.copy()
        if gate is not None:
            if gate.failed.size:
                pv_costs, pv_benefits = present_values(self.scenario.rate_monthly,
                                                       gate.costs_without, gate.benefits_without)
                without[gate.failed] = pv_benefits - pv_costs
            outputs["held"][at], outputs["passed"][at] = gate.held, gate.passed
            outputs["ratio"][at] = gate.ratio
        outputs["npv_without_gate"][at] = without

    @staticmethod
    def _moves_most(deferral) -> bool:
        """Whether the budget moved most of a block's trials (the deferred flows then keep
        their terms, to price every trial again from them)."""
        return 2 * int(deferral.deferred.sum()) > deferral.deferred.size

    def _without_deferral(self, draws: Draws, go_lives: np.ndarray, deferral,
                          npv: np.ndarray, terms: TimedTerms | None) -> np.ndarray:
        """The project NPV had the budget deferred nothing: the trials it moved priced
        again with their go-lives after slip alone. Where it moved most of them (the
        deferred flows then kept their ``terms``, see :meth:`_moves_most`), all trials,
        from those terms re-timed where they can be
        (:meth:`~costmodel.engine.cashflow.TimedTerms.net_present_value`); else those
        trials alone, their terms added again (:func:`strategy_net_present_value`)."""
        out = npv.copy()
        moved = np.flatnonzero(deferral.deferred)
        if moved.size == 0:
            return out
        every = terms is not None  # price all, copy nothing
        again = terms.net_present_value(go_lives) if every else None
        if again is None:
            again = strategy_net_present_value(
                self.scenario, self.index, *((draws, go_lives) if every
                                             else (draws.take(moved), go_lives[:, moved])))
        out[moved] = again[moved] if every else again
        return out

    def finish(self) -> bool:
        """Compute the cash bands and let the band store go. ``False`` (the bands not
        computed) when the store's windows missed an order statistic: the strategy's
        cumulative cash must then be handed to a store that keeps every value."""
        self.bands = self.store.percentiles()
        self.store = None
        return self.bands is not None

    def npv(self) -> np.ndarray:
        return _joined([outputs.metrics["npv"] for outputs in self.rounds])

    def result(self, replicate_starts: tuple[int, ...]) -> StrategyResult:
        """The strategy's result (after :meth:`finish`). Hands the run's arrays over, each
        round's let go as soon as it is joined to the others: the run is spent."""
        n = self.n_trials
        order = [c for c in CATEGORY_ORDER if c in self.cost_sums]
        metrics = self._joined("metrics", METRIC_NAMES)
        gate = GateResult(**self._joined("gate", GATE_FIELDS)) if self.gated else None
        funding = self._joined("funding", _funding_fields(self.defers))
        if not self.defers:
            zero = np.broadcast_to(0.0, (n,))  # read-only, no memory per trial
            funding |= {"deferral_months": zero, "phases_deferred": zero,
                        "npv_without_deferral": metrics["npv"]}
        breach = _joined([outputs.breach for outputs in self.rounds])
        self.rounds = []
        return StrategyResult(
            name=self.scenario.strategies[self.index].name,
            metrics=TrialMetrics(**metrics),
            cumulative_cash=Bands(np.array(BAND_LEVELS), self.bands),
            mean_costs_by_category={c: self.cost_sums[c] / n for c in order},
            mean_benefits_by_item={k: v / n for k, v in self.benefit_sums.items()},
            gate=gate,
            replicate_starts=replicate_starts,
            funding=FundingResult(
                **funding, breach=breach, fiscal_year_starts=self.plan.fiscal_starts,
                has_budget=self.scenario.funding.budget is not None, defers=self.defers),
        )

    def _joined(self, group: str, names) -> dict[str, np.ndarray]:
        """The arrays ``names`` of each round's ``group`` (``"metrics"``, ...), joined over
        the rounds; each round's array is dropped from it once joined."""
        return {name: _joined([getattr(outputs, group).pop(name) for outputs in self.rounds])
                for name in names}


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """``parts`` joined along their last axis (trials): the array itself when there is
    one, so a run of one round copies nothing."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)


def simulate(
    scenario: Scenario,
    trials: int | None = None,
    seed: int | None = None,
    sampler: Sampler | None = None,
    *,
    precision: float | None = None,
    chunk_trials: int = CHUNK_TRIALS,
    workers: int | None = None,
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
    chunk_trials : int, optional
        Trials per block of the engine, :data:`DEFERRING_CHUNK_FACTOR` times as many for a
        strategy whose budget defers (memory and speed only; results do not depend on it).
    workers : int, optional
        Threads that run blocks side by side (default: the usable cores, at most four);
        results do not depend on it.

    Returns
    -------
    Results

    Notes
    -----
    The blocks run on a pool of threads (numpy releases the GIL in its array loops). BLAS
    runs on one thread meanwhile: the engine's matrix products are many and small, and
    BLAS's own threads cost more than they gain (about twice the time on the 2-core
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
        return _run(scenario, trials, seed, sampler, precision, chunk_trials, workers)


def _workers() -> int:
    """Threads for the block tasks: the cores this process may use, at most four."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def _segments(n_trials: int, replicates: int) -> list[tuple[int, int]]:
    """``(trials, replicates)`` of the segments a round of ``n_trials`` is drawn in: whole
    replicates, each segment at most :data:`SEGMENT_TRIALS` (or one replicate)."""
    if n_trials <= SEGMENT_TRIALS:
        return [(n_trials, replicates)]
    if replicates == 1:  # plain Monte Carlo: one sample, drawn in pieces
        full, rest = divmod(n_trials, SEGMENT_TRIALS)
        return [(SEGMENT_TRIALS, 1)] * full + ([(rest, 1)] if rest else [])
    segments: list[tuple[int, int]] = []
    for size in block_sizes(n_trials, replicates):
        if segments and segments[-1][0] + size <= SEGMENT_TRIALS:
            segments[-1] = (segments[-1][0] + size, segments[-1][1] + 1)
        else:
            segments.append((size, 1))
    return segments


class _Rounds:
    """Runs the rounds of a simulation: draws each segment, hands its block tasks to the
    thread pool and collects them, keeping the replicate starts and each round's
    ``(n_trials, replicates, seed)`` (to run a strategy again, see :meth:`finish`)."""

    def __init__(self, scenario: Scenario, runs: list[_StrategyRun], sampler: str,
                 chunk: int, pool: ThreadPoolExecutor):
        self.scenario, self.runs, self.sampler = scenario, runs, sampler
        self.chunk, self.pool = chunk, pool
        self.starts: list[int] = []
        self.history: list[tuple[int, int, int | list[int]]] = []

    def run(self, n_trials: int, replicates: int, seed, *, last: bool) -> None:
        """One round from ``np.random.default_rng(seed)``; ``last``: no round follows, so
        each strategy's bands are computed (and its store let go) as soon as it is done."""
        self.history.append((n_trials, replicates, seed))
        for run in self.runs:
            run.start_round(n_trials)
        segments = _segments(n_trials, replicates)
        if len(segments) == 1:
            draws = self._draw(np.random.default_rng(seed), *segments[0])
            self._execute(self.runs, draws)
            if last:
                self.finish(self.runs)
            return
        # several segments: strategy after strategy, the same draws made again for each,
        # so one segment's draws are held at a time
        for k, run in enumerate(self.runs):
            rng = np.random.default_rng(seed)
            for size, reps in segments:
                self._execute([run], self._draw(rng, size, reps, record=k == 0))
            if last:
                self.finish([run])

    def finish(self, runs: list[_StrategyRun]) -> None:
        """Compute the bands of ``runs``, one strategy per thread. Should a band store's
        windows have missed an order statistic (improbable: see
        :mod:`costmodel.engine.bands`), that strategy runs again on the same rounds with a
        store that keeps every value, and takes its bands."""
        done = list(self.pool.map(lambda run: run.finish(), runs))
        for run in (run for run, ok in zip(runs, done, strict=True) if not ok):
            self._again(run)

    def _again(self, run: _StrategyRun) -> None:
        again = _StrategyRun(self.scenario, run.index, windows=False)
        for n_trials, replicates, seed in self.history:
            again.start_round(n_trials)
            rng = np.random.default_rng(seed)
            for size, reps in _segments(n_trials, replicates):
                self._execute([again], self._draw(rng, size, reps, record=False))
        again.finish()
        run.bands = again.bands

    def _draw(self, rng: np.random.Generator, size: int, reps: int, *,
              record: bool = True) -> Draws:
        offset = self.runs[0].n_trials
        draws = draw(self.scenario, size, sampler=self.sampler, rng=rng, replicates=reps,
                     pool=self.pool)
        if record and (self.sampler != "mc" or not self.starts):  # MC: one sample
            self.starts += [offset + s for s in draws.replicate_starts]
        return draws

    def _execute(self, runs: list[_StrategyRun], draws: Draws) -> None:
        """Run the block tasks of ``runs`` on ``draws``, those of the strategies whose
        budget defers first (their blocks take longest, so the threads end on short
        ones, not one waiting while the other finishes a long one); merged in block
        order whatever the order they ran in."""
        tasks = [run.blocks(draws, self.chunk) for run in runs]
        order = sorted(range(len(runs)), key=lambda k: not runs[k].defers)
        done = iter(self.pool.map(lambda task: task(),
                                  [task for k in order for task in tasks[k]]))
        sums = {k: [next(done) for _ in tasks[k]] for k in order}
        for k, run in enumerate(runs):
            run.merge(sums[k])


def _run(scenario: Scenario, trials: int | None, seed: int | None, sampler: Sampler | None,
         precision: float | None, chunk_trials: int, workers: int | None) -> Results:
    retain_freed_memory()  # blocks reuse freed arrays instead of faulting in fresh pages
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
    with ThreadPoolExecutor(max_workers=workers or _workers()) as pool:
        rounds = _Rounds(scenario, runs, sampler, chunk_trials, pool)
        round_trials, round_replicates, count = n_trials, replicates, 0
        round_seed: int | list[int] = seed
        while round_trials > 0:
            rounds.run(round_trials, round_replicates, round_seed, last=target is None)
            count += 1
            if target is None:
                break
            block = 1 if sampler == "mc" else n_trials // replicates
            round_trials, round_replicates = _next_round(runs, tuple(rounds.starts), target,
                                                         settings.max_trials, block, sampler)
            round_seed = [seed, count]
        # precision rounds: the bands once every round is in
        rounds.finish([run for run in runs if run.bands is None])
    starts = tuple(rounds.starts)
    total = runs[0].n_trials
    if target is not None:
        worst = max(standard_error(run.npv(), starts) for run in runs)
        reached = "reached" if worst <= target else f"not reached at the cap of {total:,} trials"
        note = "; ".join(x for x in (note, f"precision: standard error of mean NPV "
                                           f"{worst:,.0f} against a target of {target:,.0f}, "
                                           f"{reached} ({count} round(s))") if x)
    manifest = _manifest(scenario, total, requested, seed, sampler, point=False, note=note,
                         replicates=len(starts))
    strategies = tuple(run.result(starts) for run in runs)
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
        run.start_round(1)
        run.merge([task() for task in run.blocks(Draws.point(scenario), CHUNK_TRIALS)])
        run.finish()  # one trial, kept whole by the band store: the bands are complete
    manifest = _manifest(scenario, 1, 1, 0, "point", point=True, note="", replicates=1)
    return Results(scenario=scenario, manifest=manifest,
                   strategies=tuple(run.result((0,)) for run in runs))


def simulate_draws(scenario: Scenario, draws: Draws, *, label: str = "given draws",
                   chunk_trials: int = CHUNK_TRIALS, workers: int | None = None) -> Results:
    """Every strategy on the given ``draws``: one trial per row, in the order given.

    The hook for designs made elsewhere (sensitivity analysis: a tornado's one-at-a-time
    rows, a Sobol design's ``A``, ``B`` and ``AB`` matrices). ``draws`` holds a value for
    every uncertain-typed field (see :class:`~costmodel.uncertainty.Draws`); auxiliary
    draws it leaves out take their point-run state (no risk event, gates measured
    exactly, grants awarded when at least as likely as not). ``label`` is recorded as
    the manifest's sampler; the seed is 0.
    """
    retain_freed_memory()
    runs = [_StrategyRun(scenario, i) for i in range(len(scenario.strategies))]
    with (threadpool_limits(limits=1, user_api="blas"),
          ThreadPoolExecutor(max_workers=workers or _workers()) as pool):
        rounds = _Rounds(scenario, runs, label, chunk_trials, pool)
        for run in runs:
            run.start_round(draws.n_trials)
        rounds._execute(runs, draws)
        rounds.finish(runs)  # one segment, kept whole by the band store: never a miss
    manifest = _manifest(scenario, draws.n_trials, draws.n_trials, 0, label, point=False,
                         note="", replicates=1)
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
