"""Cash flows of one strategy for a block of trials.

:func:`strategy_cash_flows` turns a :class:`~costmodel.scenario.Scenario`, a strategy and
the :class:`~costmodel.uncertainty.Draws` of a block of trials into monthly costs and
benefits (positive magnitudes, month-major ``(n_months, n_trials)``) plus their sums over
trials by cost category and by benefit item. The equations are those of
``docs/methodology.md``; no per-trial Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario import CostItem, Scenario
from ..uncertainty import Draws
from .flows import FlowAccumulator
from .rollout import (
    deployed_share,
    effective_use,
    lead_window,
    month_indicator,
    wright_multipliers,
    yearly_indicator,
)

__all__ = ["DISRUPTION_CATEGORY", "StrategyFlows", "strategy_cash_flows"]

#: The cost category under which the productivity dip is reported.
DISRUPTION_CATEGORY = "productivity_dip"


@dataclass(frozen=True)
class StrategyFlows:
    """Monthly flows of one strategy for a block of trials.

    Attributes
    ----------
    costs, benefits : ndarray, shape (n_months, n_trials)
        Positive magnitudes [currency/month], month-major.
    cost_sums_by_category : dict[str, ndarray]
        Sum over the block's trials of each category's costs, shape ``(n_months,)``.
    benefit_sums_by_item : dict[str, ndarray]
        Sum over the block's trials of each benefit item, shape ``(n_months,)``.
    """

    costs: np.ndarray
    benefits: np.ndarray
    cost_sums_by_category: dict[str, np.ndarray]
    benefit_sums_by_item: dict[str, np.ndarray]


def _step_factor(n_months: int, yearly_rate) -> np.ndarray:
    """``(1 + rate) ** floor(m / 12)``: ``(n_months,)`` for a scalar rate, else
    ``(n_months, n_trials)``."""
    years = np.arange(n_months) // 12
    if np.ndim(yearly_rate) == 0:
        return (1.0 + float(yearly_rate)) ** years
    return (1.0 + np.asarray(yearly_rate))[None, :] ** years[:, None]


def _times(profile: np.ndarray, factor: np.ndarray) -> np.ndarray:
    if factor.ndim == 2 and profile.ndim == 1:
        return profile[:, None] * factor
    return profile * factor


def _add_cost(acc: FlowAccumulator, scenario: Scenario, strategy_index: int, draws: Draws,
              index: int, item: CostItem) -> None:
    strategy = scenario.strategies[strategy_index]
    n_months = scenario.horizon_months
    path = ("costs", index)
    amount = draws[(*path, "amount")]
    escalation = _step_factor(n_months, draws[(*path, "escalation")])
    units = float(scenario.organisation.units)
    shares = [p.share for p in strategy.phases]
    go_lives = [p.go_live for p in strategy.phases]
    first = item.start_month if item.start_month is not None else go_lives[0]
    per = {"fixed": 1.0, "per_unit": units,
           "per_user": units * draws[("organisation", "users_per_unit")]}
    label = item.category

    def add(profile: np.ndarray, coefficient, scaled_by_use: bool = False) -> None:
        acc.add(label, _times(profile, escalation), coefficient, scaled_by_use=scaled_by_use)

    if item.kind == "one_time":
        if item.basis == "fixed":
            if item.start_month is not None:
                add(month_indicator(n_months, first, first + 1), amount)
            else:
                add(lead_window(n_months, go_lives[0], strategy.lead_time_months), amount)
            return
        rate = draws[("strategies", strategy_index, "learning", "cost_learning_rate")]
        multipliers = wright_multipliers(shares, rate)
        for share, go_live, multiplier in zip(shares, go_lives, multipliers, strict=True):
            window = lead_window(n_months, go_live, strategy.lead_time_months)
            add(window, amount * per[item.basis] * share * multiplier)
    elif item.kind == "monthly":
        if item.basis == "fixed":
            add(month_indicator(n_months, first), amount)
        elif item.basis == "per_usage":
            usage = draws[(*path, "usage_per_unit")]
            add(np.ones(n_months), amount * usage * units, scaled_by_use=True)
        else:
            add(deployed_share(n_months, shares, go_lives), amount * per[item.basis])
    else:  # yearly
        if item.basis == "fixed":
            add(yearly_indicator(n_months, first), amount)
        else:
            for share, go_live in zip(shares, go_lives, strict=True):
                add(yearly_indicator(n_months, go_live), amount * per[item.basis] * share)


def _benefit_value(scenario: Scenario, draws: Draws, index: int, kind: str):
    """``V``, the monthly value at full adoption [currency/month], per trial."""
    def get(name: str):
        return draws[("benefits", index, name)]

    if kind == "labour_hours":
        return (get("hours_per_unit_per_month") * float(scenario.organisation.units)
                * get("hourly_cost") * get("realisation"))
    if kind == "volume":
        return get("items_per_month") * get("automation_rate") * get("value_per_item")
    if kind == "revenue":
        return get("revenue_per_month") * get("uplift") * get("margin")
    return get("amount_per_month")


def strategy_cash_flows(scenario: Scenario, strategy_index: int, draws: Draws) -> StrategyFlows:
    """Monthly costs and benefits of strategy ``strategy_index`` for the trials in ``draws``.

    Returns month-major arrays ``(n_months, n_trials)``; see :class:`StrategyFlows`.

    Examples
    --------
    >>> from costmodel.scenario import parse_scenario
    >>> s = parse_scenario({"name": "x", "organisation": {"units": 10},
    ...     "costs": [{"name": "Set-up", "category": "integration", "kind": "one_time",
    ...                "amount": 1200}],
    ...     "strategies": [{"name": "All", "phases": [{"share": 1, "go_live": 2}]}]})
    >>> flows = strategy_cash_flows(s, 0, Draws.point(s))
    >>> flows.costs[:4, 0].tolist()
    [600.0, 600.0, 0.0, 0.0]
    """
    strategy = scenario.strategies[strategy_index]
    n_months, n_trials = scenario.horizon_months, draws.n_trials
    shares = [p.share for p in strategy.phases]
    go_lives = [p.go_live for p in strategy.phases]
    where = ("strategies", strategy_index)
    use = effective_use(
        n_months, n_trials, shares, go_lives,
        ceiling=draws[("adoption", "ceiling")],
        months_to_half=draws[("adoption", "months_to_half")],
        speedup=draws[(*where, "learning", "adoption_speedup")],
    )

    costs = FlowAccumulator(n_months, n_trials, use)
    for index, item in enumerate(scenario.costs):
        _add_cost(costs, scenario, strategy_index, draws, index, item)
    dip = draws[(*where, "disruption", "productivity_dip")]
    months = strategy.disruption.months
    if months > 0:
        unit_cost = draws[("organisation", "monthly_cost_per_unit")]
        for share, go_live in zip(shares, go_lives, strict=True):
            profile = month_indicator(n_months, go_live, go_live + months)
            costs.add(DISRUPTION_CATEGORY, profile,
                      dip * float(scenario.organisation.units) * share * unit_cost)

    benefits = FlowAccumulator(n_months, n_trials, use)
    quality = draws[("adoption", "data_quality")]
    for index, item in enumerate(scenario.benefits):
        growth = _step_factor(n_months, draws[("benefits", index, "growth")])
        value = _benefit_value(scenario, draws, index, item.kind) * quality
        benefits.add(item.name, growth, value, scaled_by_use=True)

    return StrategyFlows(
        costs=costs.total(),
        benefits=benefits.total(),
        cost_sums_by_category=costs.sums_by_label(),
        benefit_sums_by_item=benefits.sums_by_label(),
    )
