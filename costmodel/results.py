"""Results of a run: per-trial metrics, summaries, percentile bands, a manifest.

Everything here is immutable: dataclasses are frozen and arrays are read-only.
Arrays are trials-first: a metric is ``(n_trials,)``, a band set ``(n_levels, n_months)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from types import MappingProxyType
from typing import Any

import numpy as np

from .scenario import COST_CATEGORIES, Scenario

__all__ = [
    "BAND_LEVELS",
    "BUSINESS_FIELDS",
    "CHALLENGES",
    "FUNDING_FIELDS",
    "GATE_FIELDS",
    "METRIC_NAMES",
    "Bands",
    "Comparison",
    "FundingResult",
    "FundingSummary",
    "GateResult",
    "Manifest",
    "Results",
    "Stat",
    "StrategyResult",
    "StrategySummary",
    "TrialMetrics",
    "challenge_of",
    "expected_shortfall",
    "percentiles",
    "standard_error",
]

#: Percentile levels of the cumulative-cash bands [percent].
BAND_LEVELS = (5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0)
#: Percentile levels in every summary statistic [percent].
SUMMARY_LEVELS = (5.0, 10.0, 50.0, 90.0, 95.0)


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array)
    array.setflags(write=False)
    return array


def percentiles(values: np.ndarray, levels) -> np.ndarray:
    """Linear-interpolation percentiles that respect infinities.

    ``np.percentile`` turns ``inf - inf`` into ``nan`` when both neighbours are infinite;
    here such a percentile is ``inf`` (e.g. a payback percentile where most trials never
    pay back). ``nan`` values are ignored; all-``nan`` gives ``nan``.

    Examples
    --------
    >>> percentiles(np.array([1.0, 2.0, np.inf, np.inf]), [50, 90]).tolist()
    [inf, inf]
    """
    x = values[~np.isnan(values)]
    levels = np.asarray(levels, dtype=float)
    if x.size == 0:
        return np.full(levels.shape, np.nan)
    position = levels / 100.0 * (x.size - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, x.size - 1)
    weight = position - low
    x = np.partition(x, np.unique(np.concatenate([low, high])))  # order statistics only
    lo, hi = x[low], x[high]
    with np.errstate(invalid="ignore"):
        out = lo + weight * (hi - lo)
    out = np.where(np.isinf(hi) & (weight > 0), hi, out)
    return np.where(np.isinf(lo), lo, out)


def standard_error(values: np.ndarray, replicate_starts: tuple[int, ...] = (0,)) -> float:
    """Monte Carlo standard error of the mean of ``values`` (``nan`` ignored).

    With one replicate (plain Monte Carlo) it is ``sd / sqrt(n)``. With ``R > 1``
    independent replicates starting at ``replicate_starts`` (a Sobol or LHS run), it is
    the spread of the replicate means, ``sd(means) / sqrt(R)``: the honest error of a
    randomised quasi-Monte Carlo estimate. ``nan`` when a value is infinite or fewer than
    two values (replicates) are defined.

    Examples
    --------
    >>> round(standard_error(np.array([1.0, 2.0, 3.0, 4.0])), 4)
    0.6455
    >>> standard_error(np.array([1.0, 2.0, 3.0, 4.0]), (0, 2))
    1.0
    """
    defined = ~np.isnan(values)
    if np.isinf(values[defined]).any():
        return math.nan
    if len(replicate_starts) <= 1:
        n = int(defined.sum())
        return float(np.std(values[defined], ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    starts = np.asarray(replicate_starts)
    sums = np.add.reduceat(np.where(defined, values, 0.0), starts)
    counts = np.add.reduceat(defined.astype(float), starts)
    means = sums[counts > 0] / counts[counts > 0]
    if means.size < 2:
        return math.nan
    return float(np.std(means, ddof=1) / math.sqrt(means.size))


def expected_shortfall(values: np.ndarray, level: float = 5.0) -> float:
    """Mean of the worst ``level`` % of ``values`` (the lowest ``ceil(level % of n)``).

    Examples
    --------
    >>> expected_shortfall(np.arange(100.0))
    2.0
    """
    x = values[~np.isnan(values)]
    if x.size == 0:
        return math.nan
    k = max(1, math.ceil(level / 100.0 * x.size))
    return float(np.mean(np.partition(x, k - 1)[:k]))


@dataclass(frozen=True)
class Stat:
    """Summary of one metric over trials: mean, sd (ddof=1) and percentiles.

    ``n_defined`` counts the trials where the metric is defined (not ``nan``); the others
    are left out (IRR without a sign change). A mean over values including ``inf`` is
    ``inf`` (payback never reached in some trials).
    """

    mean: float
    sd: float
    p5: float
    p10: float
    p50: float
    p90: float
    p95: float
    n_defined: int
    mean_se: float = math.nan

    @classmethod
    def of(cls, values: np.ndarray, replicate_starts: tuple[int, ...] = (0,)) -> Stat:
        defined = values[~np.isnan(values)]
        if defined.size == 0:
            return cls(*([math.nan] * 7), n_defined=0)
        mean = float(np.mean(defined))
        finite = np.isfinite(defined).all()
        sd = float(np.std(defined, ddof=1)) if finite and defined.size > 1 else (
            0.0 if defined.size == 1 else math.nan)
        p = percentiles(defined, SUMMARY_LEVELS)
        return cls(mean, sd, *(float(v) for v in p), n_defined=int(defined.size),
                   mean_se=standard_error(values, replicate_starts))

    def to_json(self) -> dict[str, float | None]:
        """``{"mean", "sd", "p5", "p10", "p50", "p90", "p95", "mean_se"}``; ``None`` where
        not finite."""
        return {f.name: _json_number(getattr(self, f.name))
                for f in fields(self) if f.name != "n_defined"}


def _json_number(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


#: The per-trial metrics, in report order.
METRIC_NAMES = (
    "npv", "irr_annual", "roi", "benefit_cost_ratio", "payback_months",
    "discounted_payback_months", "peak_funding_need", "total_cost", "pv_costs", "pv_benefits",
)


@dataclass(frozen=True)
class TrialMetrics:
    """Per-trial metrics of one strategy, each shape ``(n_trials,)``.

    Attributes
    ----------
    npv : [currency] net present value at month 0.
    irr_annual : [1/year] internal rate of return, ``nan`` where undefined.
    roi : [fraction] ``(PV benefits - PV costs) / PV costs``.
    benefit_cost_ratio : [fraction] ``PV benefits / PV costs``.
    payback_months, discounted_payback_months : [months] ``inf`` when never reached.
    peak_funding_need : [currency] ``-min`` of cumulative net cash, floor 0.
    total_cost : [currency] undiscounted sum of costs over the horizon.
    pv_costs, pv_benefits : [currency] present values at month 0.
    """

    npv: np.ndarray
    irr_annual: np.ndarray
    roi: np.ndarray
    benefit_cost_ratio: np.ndarray
    payback_months: np.ndarray
    discounted_payback_months: np.ndarray
    peak_funding_need: np.ndarray
    total_cost: np.ndarray
    pv_costs: np.ndarray
    pv_benefits: np.ndarray

    def __post_init__(self):
        for name in METRIC_NAMES:
            _frozen(getattr(self, name))

    def as_dict(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in METRIC_NAMES}


@dataclass(frozen=True)
class Bands:
    """Percentile bands of a monthly quantity: ``values[k, m]`` is the ``levels[k]``-th
    percentile in month ``m``."""

    levels: np.ndarray
    values: np.ndarray

    def __post_init__(self):
        _frozen(self.levels)
        _frozen(self.values)

    def at(self, level: float) -> np.ndarray:
        """The band at percentile ``level`` (must be one of ``levels``), ``(n_months,)``."""
        matches = np.flatnonzero(np.isclose(self.levels, level))
        if matches.size == 0:
            raise KeyError(f"no band at P{level:g}; levels are {self.levels.tolist()}")
        return self.values[matches[0]]


#: The adoption challenges costs are grouped by, in report order.
CHALLENGES = ("resistance to change", "data quality and accessibility",
              "integration with existing systems", "regulation and privacy",
              "licences and running costs", "other")


def challenge_of(category: str) -> str:
    """The adoption challenge of a cost category (:data:`CHALLENGES`).

    Examples
    --------
    >>> challenge_of("training"), challenge_of("productivity_dip"), challenge_of("security")
    ('resistance to change', 'resistance to change', 'regulation and privacy')
    """
    if category == "productivity_dip":  # lost output at go-live: resistance to change
        return CHALLENGES[0]
    return COST_CATEGORIES.get(category, "other")


#: Per-trial outputs of a stage gate.
GATE_FIELDS = ("held", "passed", "ratio", "npv_without_gate")


@dataclass(frozen=True)
class GateResult:
    """Per-trial outcome of a strategy's stage gate, each ``(n_trials,)``.

    Attributes
    ----------
    held : bool array — the gate was held (within the horizon, project still running).
    passed : bool array — the rollout went on (``True`` where not held).
    ratio : the measured run-rate benefit/cost ratio, ``nan`` where not held [ratio].
    npv_without_gate : NPV of the same trial had the strategy no gate [currency].
    """

    held: np.ndarray
    passed: np.ndarray
    ratio: np.ndarray
    npv_without_gate: np.ndarray

    def __post_init__(self):
        for name in GATE_FIELDS:
            _frozen(getattr(self, name))


#: Per-trial funding figures (the business view), in report order.
#: The business view's figures summarised by a :class:`Stat` in every summary.
BUSINESS_FIELDS = ("business_npv", "interest_paid", "peak_cash_need", "min_cash",
                   "months_negative_cash")
FUNDING_FIELDS = (*BUSINESS_FIELDS, "budget_overshoot", "deferral_months",
                  "phases_deferred", "npv_without_deferral")


@dataclass(frozen=True)
class FundingResult:
    """Per-trial business view of one strategy: the project after its financing.

    Attributes
    ----------
    business_npv : [currency] NPV of the business's flows (project, loans, grants, leases).
    interest_paid : [currency] interest and fees on loans and leases within the horizon.
    peak_cash_need : [currency] ``-min`` of the business's cumulative flows, floor 0.
    min_cash : [currency] lowest cash balance, cash on hand included.
    months_negative_cash : [months] months with a negative cash balance.
    budget_overshoot : [currency] spending over the yearly cap, summed over fiscal years.
    deferral_months : [months] how much later the last phase went live because of the
        budget's ``defer`` policy (0 without it).
    phases_deferred : [count] how many phases the ``defer`` policy moved (0 without it).
    npv_without_deferral : [currency] the project NPV had no phase been deferred (the
        strategy's NPV where none was).
    breach : bool array ``(n_fiscal_years, n_trials)`` — over the cap that fiscal year.
    fiscal_year_starts : int array — first month of each fiscal year.
    has_budget : bool — the scenario sets a yearly budget.
    defers : bool — the budget's ``defer`` policy applies to this strategy.
    """

    business_npv: np.ndarray
    interest_paid: np.ndarray
    peak_cash_need: np.ndarray
    min_cash: np.ndarray
    months_negative_cash: np.ndarray
    budget_overshoot: np.ndarray
    deferral_months: np.ndarray
    phases_deferred: np.ndarray
    npv_without_deferral: np.ndarray
    breach: np.ndarray
    fiscal_year_starts: np.ndarray
    has_budget: bool = False
    defers: bool = False

    def __post_init__(self):
        for name in (*FUNDING_FIELDS, "breach", "fiscal_year_starts"):
            _frozen(getattr(self, name))


@dataclass(frozen=True)
class FundingSummary:
    """Aggregates of a :class:`FundingResult`: a :class:`Stat` per figure and, with a
    budget, the chance of a breach overall and per fiscal year.

    Attributes
    ----------
    prob_budget_breach : float or None
        Share of trials over the cap in at least one fiscal year.
    prob_breach_by_fiscal_year : tuple of float
        Share of trials over the cap, per fiscal year.
    expected_breach : float or None
        Mean overshoot over the trials with a breach [currency] (``nan`` if none).
    prob_deferred : float or None
        Under the ``defer`` policy, the share of trials where the budget moved some
        phase (the pilot, a later phase, or both).
    deferral_months : Stat or None
        Under ``defer``, months the last phase went live later because of the budget.
    deferral_cost : float or None
        Under ``defer``, the mean paired NPV difference between the strategy and the same
        strategy without deferral [currency] (negative: staying in budget costs NPV), with
        its standard error ``deferral_cost_se``.
    """

    business_npv: Stat
    interest_paid: Stat
    peak_cash_need: Stat
    min_cash: Stat
    months_negative_cash: Stat
    prob_budget_breach: float | None = None
    prob_budget_breach_se: float | None = None
    prob_breach_by_fiscal_year: tuple[float, ...] = ()
    expected_breach: float | None = None
    prob_deferred: float | None = None
    prob_deferred_se: float | None = None
    deferral_months: Stat | None = None
    deferral_cost: float | None = None
    deferral_cost_se: float | None = None

    @classmethod
    def of(cls, funding: FundingResult, replicate_starts: tuple[int, ...] = (0,),
           npv: np.ndarray | None = None) -> FundingSummary:
        """``npv``: the strategy's project NPV per trial (for the cost of deferral)."""
        stats = {name: Stat.of(getattr(funding, name), replicate_starts)
                 for name in BUSINESS_FIELDS}
        if not funding.has_budget:
            return cls(**stats)
        if funding.defers:
            deferred = (funding.phases_deferred > 0).astype(float)
            stats["prob_deferred"] = float(deferred.mean())
            stats["prob_deferred_se"] = standard_error(deferred, replicate_starts)
            stats["deferral_months"] = Stat.of(funding.deferral_months, replicate_starts)
            if npv is not None:
                delta = npv - funding.npv_without_deferral
                stats["deferral_cost"] = float(delta.mean())
                stats["deferral_cost_se"] = standard_error(delta, replicate_starts)
        any_breach = funding.breach.any(axis=0)
        breached = funding.budget_overshoot[any_breach]
        return cls(**stats, prob_budget_breach=float(np.mean(any_breach)),
                   prob_budget_breach_se=standard_error(any_breach.astype(float),
                                                        replicate_starts),
                   prob_breach_by_fiscal_year=tuple(float(x)
                                                    for x in funding.breach.mean(axis=1)),
                   expected_breach=float(np.mean(breached)) if breached.size else math.nan)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name).to_json()
                               for name in BUSINESS_FIELDS}
        for name in ("prob_budget_breach", "prob_budget_breach_se", "expected_breach"):
            out[name] = _json_number(getattr(self, name))  # None without a budget
        if self.deferral_months is not None:  # the defer policy
            out["deferral_months"] = self.deferral_months.to_json()
            for name in ("prob_deferred", "prob_deferred_se", "deferral_cost",
                         "deferral_cost_se"):
                out[name] = _json_number(getattr(self, name))
        out["prob_breach_by_fiscal_year"] = [_json_number(p)
                                             for p in self.prob_breach_by_fiscal_year]
        return out


@dataclass(frozen=True)
class StrategySummary:
    """Aggregates of one strategy: a :class:`Stat` per metric, the key probabilities with
    their Monte Carlo standard errors, the expected shortfall and, for a gated strategy,
    the gate's pass rate and value.

    Attributes
    ----------
    npv_expected_shortfall : float
        Mean NPV of the worst 5 % of trials [currency].
    prob_gate_passes : float or None
        Share of trials where the gate was held and passed (of those where it was held).
    gate_value : float or None
        Mean paired NPV difference, strategy minus the same strategy without its gate
        [currency]: what the option to stop after the pilot is worth.
    """

    npv: Stat
    irr_annual: Stat
    roi: Stat
    benefit_cost_ratio: Stat
    payback_months: Stat
    discounted_payback_months: Stat
    peak_funding_need: Stat
    total_cost: Stat
    pv_costs: Stat
    pv_benefits: Stat
    prob_npv_positive: float
    prob_npv_positive_se: float
    prob_payback_within_horizon: float
    prob_payback_within_horizon_se: float
    npv_expected_shortfall: float
    prob_gate_passes: float | None = None
    prob_gate_passes_se: float | None = None
    gate_value: float | None = None
    gate_value_se: float | None = None
    funding: FundingSummary | None = None

    @classmethod
    def of(cls, metrics: TrialMetrics, replicate_starts: tuple[int, ...] = (0,),
           gate: GateResult | None = None,
           funding: FundingResult | None = None) -> StrategySummary:
        stats = {name: Stat.of(getattr(metrics, name), replicate_starts)
                 for name in METRIC_NAMES}
        positive = (metrics.npv > 0).astype(float)
        paid_back = np.isfinite(metrics.payback_months).astype(float)
        extra: dict[str, float] = {}
        if gate is not None:
            value = metrics.npv - gate.npv_without_gate
            passed = np.where(gate.held, gate.passed.astype(float), np.nan)
            extra = {
                "prob_gate_passes": float(np.nanmean(passed)) if gate.held.any() else math.nan,
                "prob_gate_passes_se": standard_error(passed, replicate_starts),
                "gate_value": float(np.mean(value)),
                "gate_value_se": standard_error(value, replicate_starts),
            }
        return cls(
            **stats,
            prob_npv_positive=float(np.mean(positive)),
            prob_npv_positive_se=standard_error(positive, replicate_starts),
            prob_payback_within_horizon=float(np.mean(paid_back)),
            prob_payback_within_horizon_se=standard_error(paid_back, replicate_starts),
            npv_expected_shortfall=expected_shortfall(metrics.npv),
            funding=None if funding is None else FundingSummary.of(funding, replicate_starts,
                                                                    metrics.npv),
            **extra,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name).to_json() for name in METRIC_NAMES}
        for name in ("prob_npv_positive", "prob_npv_positive_se", "prob_payback_within_horizon",
                     "prob_payback_within_horizon_se", "npv_expected_shortfall"):
            out[name] = _json_number(getattr(self, name))
        if self.gate_value is not None:
            out["gate"] = {name: _json_number(getattr(self, name)) for name in (
                "prob_gate_passes", "prob_gate_passes_se", "gate_value", "gate_value_se")}
        if self.funding is not None:
            out["funding"] = self.funding.to_json()
        return out


@dataclass(frozen=True)
class StrategyResult:
    """Everything a run says about one strategy.

    Attributes
    ----------
    name : str
    metrics : TrialMetrics
        Per-trial metrics, ``(n_trials,)`` each.
    cumulative_cash : Bands
        Percentile bands of cumulative net cash ``S(m)`` [currency], ``(7, n_months)``.
    mean_costs_by_category, mean_benefits_by_item : dict[str, ndarray]
        Mean over trials per month [currency/month], ``(n_months,)`` each.
    gate : GateResult or None
        Per-trial outcome of the stage gate, for a gated strategy.
    funding : FundingResult or None
        Per-trial business view (after financing).
    replicate_starts : tuple of int
        First trials of the run's independent replicates (for standard errors).
    summary : StrategySummary
        Computed on first access.
    """

    name: str
    metrics: TrialMetrics
    cumulative_cash: Bands
    mean_costs_by_category: Mapping[str, np.ndarray]
    mean_benefits_by_item: Mapping[str, np.ndarray]
    gate: GateResult | None = None
    replicate_starts: tuple[int, ...] = (0,)
    funding: FundingResult | None = None

    def __post_init__(self):
        for name in ("mean_costs_by_category", "mean_benefits_by_item"):
            mapping = getattr(self, name)
            for array in mapping.values():
                _frozen(array)
            object.__setattr__(self, name, MappingProxyType(dict(mapping)))

    @cached_property
    def summary(self) -> StrategySummary:
        """Aggregates of the per-trial metrics (computed on first use, then kept)."""
        return StrategySummary.of(self.metrics, self.replicate_starts, self.gate, self.funding)

    @property
    def mean_costs(self) -> np.ndarray:
        """Mean total cost per month [currency/month]."""
        zero = np.zeros(self.cumulative_cash.values.shape[1])
        return sum(self.mean_costs_by_category.values(), zero)

    @property
    def mean_benefits(self) -> np.ndarray:
        """Mean total benefit per month [currency/month]."""
        zero = np.zeros(self.cumulative_cash.values.shape[1])
        return sum(self.mean_benefits_by_item.values(), zero)

    @property
    def mean_costs_by_challenge(self) -> dict[str, np.ndarray]:
        """Mean cost per month of each adoption challenge [currency/month], ``(n_months,)``
        each, in the order of :data:`CHALLENGES` (challenges without costs left out).

        A cost category belongs to the challenge named in
        :data:`costmodel.scenario.COST_CATEGORIES`; the productivity dip at go-live to
        "resistance to change". The challenges' costs add up to :attr:`mean_costs`.
        """
        zero = np.zeros(self.cumulative_cash.values.shape[1])
        sums: dict[str, np.ndarray] = {}
        for category, values in self.mean_costs_by_category.items():
            challenge = challenge_of(category)
            sums[challenge] = sums.get(challenge, zero) + values
        return {c: _frozen(sums[c]) for c in CHALLENGES if c in sums}


@dataclass(frozen=True)
class Manifest:
    """How a run was made: enough to reproduce it bit for bit."""

    trials: int
    trials_requested: int
    seed: int
    sampler: str
    point: bool
    scenario_name: str
    scenario_hash: str
    horizon_months: int
    package_version: str
    numpy_version: str
    scipy_version: str
    note: str = ""
    replicates: int = 1

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Comparison:
    """Strategy ``a`` against strategy ``b`` on the same draws (paired).

    Attributes
    ----------
    a, b : str
    delta_npv : ndarray, shape (n_trials,)
        ``NPV_a - NPV_b`` per trial [currency].
    mean_delta_npv, se : float
        Its mean and the mean's Monte Carlo standard error [currency].
    prob_a_beats_b, prob_se : float
        Share of trials where ``a``'s NPV is higher (ties count half), and its standard
        error.
    p5, p50, p95 : float
        Percentiles of the difference [currency].
    """

    a: str
    b: str
    delta_npv: np.ndarray
    mean_delta_npv: float
    se: float
    prob_a_beats_b: float
    prob_se: float
    p5: float
    p50: float
    p95: float

    @classmethod
    def of(cls, a: StrategyResult, b: StrategyResult) -> Comparison:
        delta = np.asarray(a.metrics.npv - b.metrics.npv)
        starts = a.replicate_starts
        beats = (delta > 0) + 0.5 * (delta == 0)
        p5, p50, p95 = percentiles(delta, [5, 50, 95])
        return cls(a.name, b.name, _frozen(delta), float(np.mean(delta)),
                   standard_error(delta, starts), float(np.mean(beats)),
                   standard_error(beats, starts), float(p5), float(p50), float(p95))

    def to_json(self) -> dict[str, Any]:
        """``{"a", "b", "mean_delta_npv", "se", "prob_a_beats_b", "prob_se", "p5", "p50",
        "p95"}``."""
        out: dict[str, Any] = {"a": self.a, "b": self.b}
        for name in ("mean_delta_npv", "se", "prob_a_beats_b", "prob_se", "p5", "p50", "p95"):
            out[name] = _json_number(getattr(self, name))
        return out


@dataclass(frozen=True)
class Results:
    """The answer of :func:`costmodel.simulate`: one :class:`StrategyResult` per strategy,
    all computed on the same draws, and the run's :class:`Manifest`."""

    scenario: Scenario
    manifest: Manifest
    strategies: tuple[StrategyResult, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.strategies)

    def __getitem__(self, name: str) -> StrategyResult:
        for strategy in self.strategies:
            if strategy.name == name:
                return strategy
        raise KeyError(f"no strategy {name!r}; strategies are {list(self.names)}")

    def compare(self, a: str, b: str) -> Comparison:
        """Strategy ``a`` against ``b``, paired on the same draws: see :class:`Comparison`."""
        return Comparison.of(self[a], self[b])

    def comparisons(self) -> list[Comparison]:
        """Every pair of strategies, each once, in scenario order (``a`` before ``b``)."""
        names = self.names
        return [self.compare(names[i], names[j])
                for i in range(len(names)) for j in range(i + 1, len(names))]

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` object (``None`` where a figure is undefined)."""
        return {
            "scenario": {"name": self.scenario.name, "hash": self.manifest.scenario_hash},
            "manifest": self.manifest.to_json(),
            "strategies": {s.name: _strategy_json(s) for s in self.strategies},
            "comparisons": [c.to_json() for c in self.comparisons()],
        }


def _strategy_json(strategy: StrategyResult) -> dict[str, Any]:
    summary = strategy.summary.to_json()
    keys = ("npv", "irr_annual", "roi", "payback_months", "discounted_payback_months",
            "peak_funding_need", "total_cost", "prob_npv_positive", "prob_npv_positive_se",
            "prob_payback_within_horizon", "prob_payback_within_horizon_se",
            "npv_expected_shortfall", "benefit_cost_ratio", "pv_costs", "pv_benefits", "gate",
            "funding")
    return {key: summary[key] for key in keys if key in summary}
