"""A per-trial reference implementation of the model in ``docs/methodology.md``.

This module is **slow on purpose**. It restates the methodology page's equations as plain
Python loops over trials and months, with scalar floats and the :mod:`math` module, so that
each line can be read against the page. It is written from the page alone (not from the
vectorised engine in ``costmodel/engine/``) and serves two purposes:

* a test oracle: the vectorised engine must agree with it on the same draws;
* the "straightforward per-trial loop" baseline in ``benchmarks/``.

Never call it in a hot path. numpy is used only to hold the arrays :func:`reference_run`
hands back.

Inputs. Numeric inputs are read **only** from one trial's ``values`` dict (see
:meth:`costmodel.uncertainty.Draws.trial`), keyed by field path, e.g.
``("costs", 2, "amount")``. Structural inputs (kinds, bases, categories, phase shares and
go-live months, lead time, dip months, unit count, horizon, discount rate, ``start_month``)
are read from the :class:`~costmodel.scenario.Scenario`.

Conventions (from the methodology page). Months ``m = 0 … H-1``; a flow in month ``m`` is
discounted by ``(1 + r)**(-m)``; costs and benefits are positive magnitudes and the net flow
is ``F(m) = benefits(m) - costs(m)``. The productivity dip is a cost (category
``"productivity_dip"``) and is part of the total cost ``C(m)``.

IRR in the reference. The reference defines IRR only for *conventional* flows: when the net
flows (zeros ignored) change sign exactly once, Descartes' rule of signs gives at most one
root of ``Σ F(m) x^m`` for ``x = 1/(1 + i) > 0``, so NPV(i) has at most one root on
``i > -1``. It is found by bisection on ``[-0.99, 10]`` [1/month] to ``1e-12``; when NPV has
the same sign at both ends (the root lies outside that range) the IRR is ``nan``. Flows with
no sign change, or with more than one, give ``nan`` ("reference defines IRR only for
conventional flows"); ``costmodel.finance.irr`` may define a root for the latter, so compare
only where the reference is finite.

Examples
--------
>>> metrics = reference_trial_metrics(0.0, [100.0, 0.0, 0.0], [0.0, 60.0, 60.0])
>>> metrics["npv"], round(metrics["payback_months"], 9), metrics["peak_funding_need"]
(20.0, 1.666666667, 100.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from costmodel.scenario import Scenario, Strategy
from costmodel.uncertainty import Draws

__all__ = [
    "DIP_CATEGORY",
    "IRR_BRACKET",
    "IRR_TOLERANCE",
    "METRIC_NAMES",
    "reference_run",
    "reference_trial_flows",
    "reference_trial_metrics",
]

#: Name of the cost category that carries the productivity dip.
DIP_CATEGORY = "productivity_dip"
#: The monthly rates searched for the IRR [1/month].
IRR_BRACKET = (-0.99, 10.0)
#: Bisection stops when the bracket is narrower than this [1/month].
IRR_TOLERANCE = 1e-12
#: The keys of :func:`reference_trial_metrics`, in order.
METRIC_NAMES = (
    "npv",
    "pv_costs",
    "pv_benefits",
    "roi",
    "benefit_cost_ratio",
    "irr_monthly",
    "irr_annual",
    "payback_months",
    "discounted_payback_months",
    "peak_funding_need",
    "total_cost",
)

Values = Mapping[tuple[Any, ...], float]


# --- the rollout ---------------------------------------------------------------------------


def _deployed_share(strategy: Strategy, month: int) -> float:
    """``D(m) = Σ_p s_p · 1[m ≥ g_p]`` [fraction]."""
    total = 0.0
    for phase in strategy.phases:
        if month >= phase.go_live:
            total += phase.share
    return total


def _lead_window(go_live: int, lead_time: int) -> list[int]:
    """Months ``max(0, g - L) … g - 1``, or ``[g]`` when that range is empty."""
    window = list(range(max(0, go_live - lead_time), go_live))
    return window if window else [go_live]


def _lead_weight(go_live: int, lead_time: int, month: int) -> float:
    """``w_p(m)``: ``1/|window|`` inside the phase's lead window, 0 outside."""
    window = _lead_window(go_live, lead_time)
    return 1.0 / len(window) if month in window else 0.0


def _phase_adoption(
    ceiling: float, months_to_half: float, speedup: float, phase_index: int, tau: int
) -> float:
    """``a_p(m)`` for ``τ = m - g_p``: the normalised logistic S-curve [fraction]."""
    if tau < 0:
        return 0.0
    h_p = months_to_half * speedup**phase_index
    q_p = 81.0 ** (-1.0 / h_p)
    logistic_0 = 1.0 / (1.0 + 81.0)  # Λ_p(0) = 1/82
    logistic_tau = 1.0 / (1.0 + 81.0 * q_p**tau)
    return ceiling * (logistic_tau - logistic_0) / (1.0 - logistic_0)


def _effective_use(strategy: Strategy, values: Values, strategy_index: int, month: int) -> float:
    """``E(m) = Σ_p s_p · a_p(m)`` [fraction of all units]."""
    ceiling = values[("adoption", "ceiling")]
    months_to_half = values[("adoption", "months_to_half")]
    speedup = values[("strategies", strategy_index, "learning", "adoption_speedup")]
    total = 0.0
    for p, phase in enumerate(strategy.phases):
        tau = month - phase.go_live
        total += phase.share * _phase_adoption(ceiling, months_to_half, speedup, p, tau)
    return total


def _wright_factors(strategy: Strategy, learning_rate: float) -> list[float]:
    """``λ_p = (C_p / C_0)^(log₂ ρ)`` with ``C_p`` the cumulative share through phase p."""
    exponent = math.log2(learning_rate)
    first_share = strategy.phases[0].share
    factors = []
    cumulative = 0.0
    for phase in strategy.phases:
        cumulative += phase.share
        factors.append((cumulative / first_share) ** exponent)
    return factors


# --- costs -------------------------------------------------------------------------------


def _cost_in_month(
    scenario: Scenario, strategy_index: int, cost_index: int, values: Values, month: int
) -> float:
    """One cost item's cost in one month, escalation included [currency]."""
    strategy = scenario.strategies[strategy_index]
    cost = scenario.costs[cost_index]
    amount = values[("costs", cost_index, "amount")]
    escalation = values[("costs", cost_index, "escalation")]
    units = scenario.organisation.units
    users_per_unit = values[("organisation", "users_per_unit")]
    lead_time = strategy.lead_time_months
    start = cost.start_month if cost.start_month is not None else strategy.phases[0].go_live

    if cost.basis == "per_user":
        per_phase_scale = units * users_per_unit
    else:
        per_phase_scale = float(units)

    base = 0.0
    if cost.kind == "one_time":
        if cost.basis == "fixed":
            if cost.start_month is not None:
                base = amount if month == cost.start_month else 0.0
            else:
                base = amount * _lead_weight(strategy.phases[0].go_live, lead_time, month)
        elif cost.basis in ("per_unit", "per_user"):
            learning_rate = values[("strategies", strategy_index, "learning", "cost_learning_rate")]
            factors = _wright_factors(strategy, learning_rate)
            for p, phase in enumerate(strategy.phases):
                weight = _lead_weight(phase.go_live, lead_time, month)
                base += amount * per_phase_scale * phase.share * factors[p] * weight
        else:
            raise ValueError(f"costs[{cost_index}]: a one_time cost cannot be per_usage")
    elif cost.kind == "monthly":
        if cost.basis == "fixed":
            base = amount if month >= start else 0.0
        elif cost.basis in ("per_unit", "per_user"):
            base = amount * per_phase_scale * _deployed_share(strategy, month)
        else:  # per_usage
            usage_per_unit = values[("costs", cost_index, "usage_per_unit")]
            use = _effective_use(strategy, values, strategy_index, month)
            base = amount * usage_per_unit * units * use
    elif cost.kind == "yearly":
        if cost.basis == "fixed":
            due = month >= start and (month - start) % 12 == 0
            base = amount if due else 0.0
        elif cost.basis in ("per_unit", "per_user"):
            for phase in strategy.phases:
                due = month >= phase.go_live and (month - phase.go_live) % 12 == 0
                if due:
                    base += amount * per_phase_scale * phase.share
        else:
            raise ValueError(f"costs[{cost_index}]: a yearly cost cannot be per_usage")
    else:
        raise ValueError(f"costs[{cost_index}]: unknown kind {cost.kind!r}")

    return base * (1.0 + escalation) ** (month // 12)


def _dip_in_month(scenario: Scenario, strategy_index: int, values: Values, month: int) -> float:
    """``dip(m) = Σ_p δ · N · s_p · K · 1[g_p ≤ m < g_p + M]`` (no escalation) [currency]."""
    strategy = scenario.strategies[strategy_index]
    dip_share = values[("strategies", strategy_index, "disruption", "productivity_dip")]
    unit_cost = values[("organisation", "monthly_cost_per_unit")]
    dip_months = strategy.disruption.months
    units = scenario.organisation.units
    total = 0.0
    for phase in strategy.phases:
        if phase.go_live <= month < phase.go_live + dip_months:
            total += dip_share * units * phase.share * unit_cost
    return total


# --- benefits ------------------------------------------------------------------------------


def _benefit_full_value(scenario: Scenario, benefit_index: int, values: Values) -> float:
    """``V``: a benefit's monthly value at full adoption [currency/month]."""
    benefit = scenario.benefits[benefit_index]

    def v(field: str) -> float:
        return values[("benefits", benefit_index, field)]

    if benefit.kind == "labour_hours":
        units = scenario.organisation.units
        return v("hours_per_unit_per_month") * units * v("hourly_cost") * v("realisation")
    if benefit.kind == "volume":
        return v("items_per_month") * v("automation_rate") * v("value_per_item")
    if benefit.kind == "revenue":
        return v("revenue_per_month") * v("uplift") * v("margin")
    if benefit.kind == "amount":
        return v("amount_per_month")
    raise ValueError(f"benefits[{benefit_index}]: unknown kind {benefit.kind!r}")


# --- one trial -----------------------------------------------------------------------------


def reference_trial_flows(
    scenario: Scenario, strategy_index: int, values: Values
) -> tuple[list[float], list[float], dict[str, list[float]]]:
    """Costs, benefits and costs by category of one trial, month by month.

    Parameters
    ----------
    scenario : Scenario
        Source of the structure (kinds, bases, phases, months, units, horizon).
    strategy_index : int
        Which of ``scenario.strategies`` to roll out.
    values : mapping of field path to float
        One trial's numeric inputs, e.g. ``Draws.trial(i)``; every numeric input is read
        from here, never from the scenario.

    Returns
    -------
    costs : list of float, length H
        Total cost ``C(m)`` including the productivity dip [currency/month, positive].
    benefits : list of float, length H
        Total benefit ``B(m)`` [currency/month, positive].
    costs_by_category : dict of str to list of float
        The scenario's cost categories in order of first appearance, then
        ``"productivity_dip"`` (always present) [currency/month].
    """
    horizon = scenario.horizon_months
    strategy = scenario.strategies[strategy_index]
    categories: dict[str, list[float]] = {}
    for cost in scenario.costs:
        categories.setdefault(cost.category, [0.0] * horizon)
    categories[DIP_CATEGORY] = [0.0] * horizon

    quality = values[("adoption", "data_quality")]
    full_values = [_benefit_full_value(scenario, b, values) for b in range(len(scenario.benefits))]
    growths = [values[("benefits", b, "growth")] for b in range(len(scenario.benefits))]

    costs = [0.0] * horizon
    benefits = [0.0] * horizon
    for month in range(horizon):
        for c, cost in enumerate(scenario.costs):
            amount = _cost_in_month(scenario, strategy_index, c, values, month)
            categories[cost.category][month] += amount
            costs[month] += amount
        dip = _dip_in_month(scenario, strategy_index, values, month)
        categories[DIP_CATEGORY][month] += dip
        costs[month] += dip

        use = _effective_use(strategy, values, strategy_index, month)
        for full_value, growth in zip(full_values, growths, strict=True):
            benefits[month] += full_value * (1.0 + growth) ** (month // 12) * quality * use
    return costs, benefits, categories


def _payback(flows: Sequence[float]) -> float:
    """First month ``S`` turns non-negative after being negative, interpolated [months].

    ``(m-1) + (-S(m-1)) / F(m)``; ``0`` when ``S`` is never negative; ``inf`` when it never
    turns non-negative again within the horizon.
    """
    cumulative = 0.0
    been_negative = False
    for month, flow in enumerate(flows):
        previous = cumulative
        cumulative += flow
        if cumulative < 0.0:
            been_negative = True
        elif been_negative:
            # previous < 0 <= cumulative, so flow > 0.
            return (month - 1) + (-previous) / flow
    return math.inf if been_negative else 0.0


def _npv_at(rate: float, flows: Sequence[float]) -> float:
    """``Σ_m F(m) (1 + rate)^(-m)``."""
    total = 0.0
    for month, flow in enumerate(flows):
        total += flow * (1.0 + rate) ** (-month)
    return total


def _sign_changes(flows: Sequence[float]) -> int:
    """Sign changes of the flows, zeros ignored."""
    changes = 0
    last_sign = 0
    for flow in flows:
        sign = (float(flow) > 0.0) - (float(flow) < 0.0)
        if sign == 0:
            continue
        if last_sign != 0 and sign != last_sign:
            changes += 1
        last_sign = sign
    return changes


def _irr_monthly(flows: Sequence[float]) -> float:
    """The monthly IRR for conventional flows (one sign change), else ``nan``."""
    if _sign_changes(flows) != 1:
        return math.nan
    low, high = IRR_BRACKET
    npv_low = _npv_at(low, flows)
    npv_high = _npv_at(high, flows)
    if npv_low == 0.0:
        return low
    if npv_high == 0.0:
        return high
    if (npv_low > 0.0) == (npv_high > 0.0):
        return math.nan  # the only root lies outside the searched range
    while high - low > IRR_TOLERANCE:
        middle = 0.5 * (low + high)
        npv_middle = _npv_at(middle, flows)
        if npv_middle == 0.0:
            return middle
        if (npv_middle > 0.0) == (npv_low > 0.0):
            low, npv_low = middle, npv_middle
        else:
            high = middle
    return 0.5 * (low + high)


def reference_trial_metrics(
    rate_monthly: float, costs: Sequence[float], benefits: Sequence[float]
) -> dict[str, float]:
    """The methodology's metrics for one trial's flows.

    Parameters
    ----------
    rate_monthly : float
        Discount rate per month [1/month].
    costs, benefits : sequence of float, length H
        Positive magnitudes per month [currency/month]; month 0 is not discounted. Lists
        or 1-d numpy arrays (converted to Python floats first).

    Returns
    -------
    dict of str to float
        ``npv``, ``pv_costs``, ``pv_benefits`` [currency]; ``roi`` and
        ``benefit_cost_ratio`` [ratio] (``nan`` when PV costs are 0); ``irr_monthly``
        [1/month] and ``irr_annual`` [1/year] (``nan`` unless the net flows change sign
        exactly once and the root lies in ``IRR_BRACKET``); ``payback_months`` and
        ``discounted_payback_months`` [months] (``0`` when never negative, ``inf`` when
        never paid back); ``peak_funding_need`` and ``total_cost`` [currency].

    Examples
    --------
    >>> m = reference_trial_metrics(0.0, [100.0, 0.0], [0.0, 110.0])
    >>> round(m["irr_monthly"], 9), m["roi"], m["payback_months"]
    (0.1, 0.1, 0.9090909090909091)
    """
    costs = [float(c) for c in costs]  # plain floats, also when given numpy arrays
    benefits = [float(b) for b in benefits]
    net = [b - c for b, c in zip(benefits, costs, strict=True)]
    discount = [(1.0 + rate_monthly) ** (-month) for month in range(len(net))]

    npv = 0.0
    pv_costs = 0.0
    pv_benefits = 0.0
    for month in range(len(net)):
        npv += net[month] * discount[month]
        pv_costs += costs[month] * discount[month]
        pv_benefits += benefits[month] * discount[month]

    if pv_costs == 0.0:
        roi = math.nan
        benefit_cost_ratio = math.nan
    else:
        roi = (pv_benefits - pv_costs) / pv_costs
        benefit_cost_ratio = pv_benefits / pv_costs

    irr_monthly = _irr_monthly(net)
    irr_annual = (1.0 + irr_monthly) ** 12 - 1.0 if not math.isnan(irr_monthly) else math.nan

    cumulative = 0.0
    lowest = math.inf
    for flow in net:
        cumulative += flow
        lowest = min(lowest, cumulative)

    return {
        "npv": npv,
        "pv_costs": pv_costs,
        "pv_benefits": pv_benefits,
        "roi": roi,
        "benefit_cost_ratio": benefit_cost_ratio,
        "irr_monthly": irr_monthly,
        "irr_annual": irr_annual,
        "payback_months": _payback(net),
        "discounted_payback_months": _payback([f * d for f, d in zip(net, discount, strict=True)]),
        "peak_funding_need": max(0.0, -lowest),
        "total_cost": sum(costs, 0.0),
    }


# --- a whole run ---------------------------------------------------------------------------


def reference_run(scenario: Scenario, draws: Draws, strategy_index: int) -> dict[str, np.ndarray]:
    """Run every trial of ``draws`` through the reference model, one at a time.

    Parameters
    ----------
    scenario : Scenario
    draws : costmodel.uncertainty.Draws
        ``draws.n_trials`` trials; ``draws.trial(i)`` gives trial ``i``'s values.
    strategy_index : int
        Which of ``scenario.strategies`` to roll out.

    Returns
    -------
    dict of str to ndarray
        ``"costs"``, ``"benefits"``, ``"net"`` of shape ``(n_trials, H)``
        [currency/month], and every name in :data:`METRIC_NAMES` of shape ``(n_trials,)``.
    """
    n_trials = draws.n_trials
    horizon = scenario.horizon_months
    rate_monthly = (1.0 + scenario.discount_rate) ** (1.0 / 12.0) - 1.0
    out: dict[str, np.ndarray] = {
        "costs": np.zeros((n_trials, horizon)),
        "benefits": np.zeros((n_trials, horizon)),
        "net": np.zeros((n_trials, horizon)),
    }
    for name in METRIC_NAMES:
        out[name] = np.zeros(n_trials)
    for trial in range(n_trials):
        costs, benefits, _ = reference_trial_flows(scenario, strategy_index, draws.trial(trial))
        metrics = reference_trial_metrics(rate_monthly, costs, benefits)
        out["costs"][trial] = costs
        out["benefits"][trial] = benefits
        out["net"][trial] = [b - c for b, c in zip(benefits, costs, strict=True)]
        for name in METRIC_NAMES:
            out[name][trial] = metrics[name]
    return out
