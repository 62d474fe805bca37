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

from .scenario import Scenario

__all__ = [
    "BAND_LEVELS",
    "METRIC_NAMES",
    "Bands",
    "Manifest",
    "Results",
    "Stat",
    "StrategyResult",
    "StrategySummary",
    "TrialMetrics",
    "percentiles",
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

    @classmethod
    def of(cls, values: np.ndarray) -> Stat:
        defined = values[~np.isnan(values)]
        if defined.size == 0:
            return cls(*([math.nan] * 7), n_defined=0)
        mean = float(np.mean(defined))
        finite = np.isfinite(defined).all()
        sd = float(np.std(defined, ddof=1)) if finite and defined.size > 1 else (
            0.0 if defined.size == 1 else math.nan)
        p = percentiles(defined, SUMMARY_LEVELS)
        return cls(mean, sd, *(float(v) for v in p), n_defined=int(defined.size))

    def to_json(self) -> dict[str, float | None]:
        """``{"mean", "sd", "p5", "p10", "p50", "p90", "p95"}``; ``None`` where not finite."""
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


@dataclass(frozen=True)
class StrategySummary:
    """Aggregates of one strategy: a :class:`Stat` per metric and the key probabilities."""

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
    prob_payback_within_horizon: float

    @classmethod
    def of(cls, metrics: TrialMetrics) -> StrategySummary:
        stats = {name: Stat.of(getattr(metrics, name)) for name in METRIC_NAMES}
        return cls(
            **stats,
            prob_npv_positive=float(np.mean(metrics.npv > 0)),
            prob_payback_within_horizon=float(np.mean(np.isfinite(metrics.payback_months))),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name).to_json() for name in METRIC_NAMES}
        out["prob_npv_positive"] = self.prob_npv_positive
        out["prob_payback_within_horizon"] = self.prob_payback_within_horizon
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
    summary : StrategySummary
        Computed on first access.
    """

    name: str
    metrics: TrialMetrics
    cumulative_cash: Bands
    mean_costs_by_category: Mapping[str, np.ndarray]
    mean_benefits_by_item: Mapping[str, np.ndarray]

    def __post_init__(self):
        for name in ("mean_costs_by_category", "mean_benefits_by_item"):
            mapping = getattr(self, name)
            for array in mapping.values():
                _frozen(array)
            object.__setattr__(self, name, MappingProxyType(dict(mapping)))

    @cached_property
    def summary(self) -> StrategySummary:
        """Aggregates of the per-trial metrics (computed on first use, then kept)."""
        return StrategySummary.of(self.metrics)

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

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


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

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` object (``None`` where a figure is undefined)."""
        return {
            "scenario": {"name": self.scenario.name, "hash": self.manifest.scenario_hash},
            "manifest": self.manifest.to_json(),
            "strategies": {s.name: _strategy_json(s) for s in self.strategies},
        }


def _strategy_json(strategy: StrategyResult) -> dict[str, Any]:
    summary = strategy.summary.to_json()
    keys = ("npv", "irr_annual", "roi", "payback_months", "discounted_payback_months",
            "peak_funding_need", "total_cost", "prob_npv_positive",
            "prob_payback_within_horizon", "benefit_cost_ratio", "pv_costs", "pv_benefits")
    return {key: summary[key] for key in keys}
