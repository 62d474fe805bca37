"""A per-trial reference implementation of the model in ``docs/methodology.md``.

This module is **slow on purpose**. It restates the model's equations as plain Python
loops over trials and months, with scalar floats and the :mod:`math` module, so that each
line can be read against its specification. It is written from the specification alone
(not from the vectorised engine in ``costmodel/engine/``) and serves two purposes:

* a test oracle: the vectorised engine must agree with it on the same draws;
* the "straightforward per-trial loop" baseline in ``benchmarks/``.

Never call it in a hot path. numpy is used only to hold the arrays :func:`reference_run`
hands back.

Inputs. Numeric inputs are read **only** from one trial's ``values`` dict (see
:meth:`costmodel.uncertainty.Draws.trial`), keyed by field path, e.g.
``("costs", 2, "amount")``, including the auxiliary draws (risk event months
``("risks", k, "@month", j)``, repeated impacts ``("risks", k, "@cost", j)``, gate
measurement errors ``("strategies", i, "gate", "@z")``). Structural inputs (kinds, bases,
categories, phase shares and planned go-live months, lead time, dip months, unit count,
horizon, discount rate, ``start_month``, the gate's settings) are read from the
:class:`~costmodel.scenario.Scenario`.

Conventions (from the methodology page). Months ``m = 0 … H-1``; a flow in month ``m`` is
discounted by ``(1 + r)**(-m)``; costs and benefits are positive magnitudes and the net flow
is ``F(m) = benefits(m) - costs(m)``. The productivity dip is a cost (category
``"productivity_dip"``) and is part of the total cost ``C(m)``.

Schedule slip, the stage gate and risk events (from the docstrings of
:class:`~costmodel.scenario.Slip`, :class:`~costmodel.scenario.Gate`,
:class:`~costmodel.scenario.CostRisk`, :class:`~costmodel.scenario.BenefitLossRisk` and
:class:`~costmodel.scenario.AbandonmentRisk`, made exact as follows):

* **Slip.** With ``S`` the slip and ``f`` its ``later_phases`` share, phase 0 goes live
  ``rint(S)`` months late and phase ``p ≥ 1`` ``rint(S·f)`` months late (round half to
  even), but never before the month after the previous phase; every actual go-live is
  then capped at ``H`` (not live within the horizon). One-time costs and fixed costs
  without ``start_month`` keep the *planned* months; per-unit and per-user running costs,
  adoption (so benefits and per-usage costs) and the productivity dip follow the *actual*
  go-lives.
* **Abandonment.** ``A`` = the earliest first event month of the abandonment risks (``H``
  when none), ``W = rint(wind_down_months)`` of that risk. Benefits are 0 from month ``A``,
  all costs from ``min(A + W, H)``.
* **Benefit loss.** An event in month ``T`` loses ``loss`` of all benefits in months
  ``T … T + D - 1``, ``D = max(1, ceil(months))``; losses in the same month add, and the
  benefits are multiplied by ``1 - min(1, Σ loss)``.
* **Cost incidents.** An event in month ``T`` costs ``cost`` (times the share deployed at
  ``T`` when ``scales_with_deployment``) in month ``T``, under the risk's category, if
  ``T`` is before the month costs stop. The share deployed counts the phases live at
  ``T``: gone live, and their benefits not yet stopped.
* **Stage gate.** Held in month ``g = min(g_0 + months_after_pilot, g_1 - 1)`` (actual
  go-lives) when the pilot goes live within the horizon (``g_0 < H``), ``g < H`` and
  ``A > g``. The measured ratio is that month's benefits
  (after benefit loss) over the pilot's running cost ``R(g)`` (see
  :func:`_running_cost`); it is observed as ``ratio · exp(noise · z)`` and fails below
  the threshold. A failed gate removes every flow of phases ``1 …`` from month ``g`` on;
  ``"wind_down"`` also stops the pilot's benefits at ``g`` and all remaining costs from
  ``g + wind_down_months``. The earlier of the gate's and abandonment's stops applies.

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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from costmodel.scenario import Scenario, Strategy
from costmodel.uncertainty import Draws

__all__ = [
    "DIP_CATEGORY",
    "IRR_BRACKET",
    "IRR_TOLERANCE",
    "METRIC_NAMES",
    "ReferenceGate",
    "ReferenceTrial",
    "reference_run",
    "reference_trial",
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
#: The phase key of a flow that belongs to no phase (a fixed cost item).
NO_PHASE = None


# --- the schedule --------------------------------------------------------------------------


def _actual_go_lives(scenario: Scenario, strategy_index: int, values: Values) -> list[int]:
    """Each phase's go-live month after schedule slip; ``H`` = never within the horizon.

    ``delay_0 = rint(S)``, ``delay_p = rint(S·f)`` for ``p ≥ 1``; ``g_p = planned_p +
    delay_p``, at least ``g_{p-1} + 1``; then every ``g_p`` is capped at ``H`` [month].
    """
    horizon = scenario.horizon_months
    strategy = scenario.strategies[strategy_index]
    slip_months = values[("strategies", strategy_index, "slip", "months")]
    later_share = values[("strategies", strategy_index, "slip", "later_phases")]
    actual: list[int] = []
    for p, phase in enumerate(strategy.phases):
        # Python's round() of a float rounds half to even, as numpy's rint does
        delay = round(slip_months) if p == 0 else round(slip_months * later_share)
        month = phase.go_live + delay
        if p >= 1:
            month = max(month, actual[p - 1] + 1)
        actual.append(month)
    return [min(month, horizon) for month in actual]


# --- the rollout ---------------------------------------------------------------------------


def _deployed_share(strategy: Strategy, go_lives: Sequence[int], month: int) -> float:
    """``D(m) = Σ_p s_p · 1[m ≥ g_p]`` over the given go-lives [fraction]."""
    total = 0.0
    for phase, go_live in zip(strategy.phases, go_lives, strict=True):
        if month >= go_live:
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


def _phase_use(
    strategy: Strategy,
    values: Values,
    strategy_index: int,
    go_lives: Sequence[int],
    phase_index: int,
    month: int,
) -> float:
    """``s_p · a_p(m)``: phase ``p``'s part of the effective use [fraction of all units]."""
    ceiling = values[("adoption", "ceiling")]
    months_to_half = values[("adoption", "months_to_half")]
    speedup = values[("strategies", strategy_index, "learning", "adoption_speedup")]
    tau = month - go_lives[phase_index]
    share = strategy.phases[phase_index].share
    return share * _phase_adoption(ceiling, months_to_half, speedup, phase_index, tau)


def _effective_use(
    strategy: Strategy, values: Values, strategy_index: int, go_lives: Sequence[int], month: int
) -> float:
    """``E(m) = Σ_p s_p · a_p(m)`` [fraction of all units]."""
    return sum(
        _phase_use(strategy, values, strategy_index, go_lives, p, month)
        for p in range(len(strategy.phases))
    )


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


def _unit_scale(scenario: Scenario, cost_index: int, values: Values) -> float:
    """``N`` for a per-unit cost, ``N · u`` for a per-user cost [units or users]."""
    units = scenario.organisation.units
    if scenario.costs[cost_index].basis == "per_user":
        return units * values[("organisation", "users_per_unit")]
    return float(units)


def _cost_parts_in_month(
    scenario: Scenario,
    strategy_index: int,
    cost_index: int,
    values: Values,
    go_lives: Sequence[int],
    month: int,
) -> dict[int | None, float]:
    """One cost item's cost in one month, by phase, escalation included [currency].

    Keys are phase indices, or :data:`NO_PHASE` for a fixed item. One-time costs and fixed
    items follow the *planned* go-lives; running per-unit, per-user and per-usage costs
    follow ``go_lives`` (the actual ones).
    """
    strategy = scenario.strategies[strategy_index]
    cost = scenario.costs[cost_index]
    amount = values[("costs", cost_index, "amount")]
    escalation = values[("costs", cost_index, "escalation")]
    planned = [phase.go_live for phase in strategy.phases]
    lead_time = strategy.lead_time_months
    start = cost.start_month if cost.start_month is not None else planned[0]
    scale = _unit_scale(scenario, cost_index, values)

    parts: dict[int | None, float] = {}
    if cost.basis == "fixed":
        if cost.kind == "one_time" and cost.start_month is not None:
            base = amount if month == cost.start_month else 0.0
        elif cost.kind == "one_time":
            base = amount * _lead_weight(planned[0], lead_time, month)
        elif cost.kind == "monthly":
            base = amount if month >= start else 0.0
        elif cost.kind == "yearly":
            due = month >= start and (month - start) % 12 == 0
            base = amount if due else 0.0
        else:
            raise ValueError(f"costs[{cost_index}]: unknown kind {cost.kind!r}")
        parts[NO_PHASE] = base
    elif cost.basis in ("per_unit", "per_user"):
        if cost.kind == "one_time":
            learning_rate = values[("strategies", strategy_index, "learning", "cost_learning_rate")]
            factors = _wright_factors(strategy, learning_rate)
        for p, phase in enumerate(strategy.phases):
            if cost.kind == "one_time":
                weight = _lead_weight(planned[p], lead_time, month)
                parts[p] = amount * scale * phase.share * factors[p] * weight
            elif cost.kind == "monthly":
                parts[p] = amount * scale * phase.share if month >= go_lives[p] else 0.0
            elif cost.kind == "yearly":
                due = month >= go_lives[p] and (month - go_lives[p]) % 12 == 0
                parts[p] = amount * scale * phase.share if due else 0.0
            else:
                raise ValueError(f"costs[{cost_index}]: unknown kind {cost.kind!r}")
    elif cost.basis == "per_usage":
        if cost.kind != "monthly":
            raise ValueError(f"costs[{cost_index}]: a {cost.kind} cost cannot be per_usage")
        usage_per_unit = values[("costs", cost_index, "usage_per_unit")]
        units = scenario.organisation.units
        for p in range(len(strategy.phases)):
            use = _phase_use(strategy, values, strategy_index, go_lives, p, month)
            parts[p] = amount * usage_per_unit * units * use
    else:
        raise ValueError(f"costs[{cost_index}]: unknown basis {cost.basis!r}")

    factor = (1.0 + escalation) ** (month // 12)
    return {phase: base * factor for phase, base in parts.items()}


def _dip_parts_in_month(
    scenario: Scenario, strategy_index: int, values: Values, go_lives: Sequence[int], month: int
) -> dict[int, float]:
    """``δ · N · s_p · K · 1[g_p ≤ m < g_p + M]`` by phase (no escalation) [currency]."""
    strategy = scenario.strategies[strategy_index]
    dip_share = values[("strategies", strategy_index, "disruption", "productivity_dip")]
    unit_cost = values[("organisation", "monthly_cost_per_unit")]
    dip_months = strategy.disruption.months
    units = scenario.organisation.units
    parts = {}
    for p, phase in enumerate(strategy.phases):
        live = go_lives[p] <= month < go_lives[p] + dip_months
        parts[p] = dip_share * units * phase.share * unit_cost if live else 0.0
    return parts


def _running_cost(
    scenario: Scenario, strategy_index: int, values: Values, go_lives: Sequence[int], month: int
) -> float:
    """``R(m)``: the run-rate cost a stage gate compares the pilot's benefits with [currency].

    Per-unit and per-user monthly costs of the phases live in month ``m``; per-usage costs;
    per-unit and per-user yearly costs at a twelfth of the amount in every month from the
    phase's go-live; fixed monthly costs, and fixed yearly costs at a twelfth, times the
    pilot's share ``s_0`` from their start month. Each with its escalation ``e(m)``;
    one-time costs and the productivity dip are left out.
    """
    strategy = scenario.strategies[strategy_index]
    pilot_share = strategy.phases[0].share
    total = 0.0
    for c, cost in enumerate(scenario.costs):
        if cost.kind == "one_time":
            continue
        amount = values[("costs", c, "amount")]
        escalation = values[("costs", c, "escalation")]
        per_month = amount if cost.kind == "monthly" else amount / 12.0
        if cost.basis == "fixed":
            start = cost.start_month if cost.start_month is not None else strategy.phases[0].go_live
            base = per_month * pilot_share if month >= start else 0.0
        elif cost.basis in ("per_unit", "per_user"):
            scale = _unit_scale(scenario, c, values)
            base = per_month * scale * _deployed_share(strategy, go_lives, month)
        else:  # per_usage, monthly only
            usage_per_unit = values[("costs", c, "usage_per_unit")]
            use = _effective_use(strategy, values, strategy_index, go_lives, month)
            base = amount * usage_per_unit * scenario.organisation.units * use
        total += base * (1.0 + escalation) ** (month // 12)
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


# --- risk events ---------------------------------------------------------------------------


def _events(values: Values, risk_index: int, horizon: int) -> Iterator[tuple[int, int]]:
    """``(j, T)`` for each occurrence ``j`` of risk ``risk_index`` within the horizon."""
    j = 0
    while ("risks", risk_index, "@month", j) in values:
        month = int(values[("risks", risk_index, "@month", j)])
        if month < horizon:
            yield j, month
        j += 1


def _impact(values: Values, risk_index: int, field: str, occurrence: int) -> float:
    """The ``field`` (``cost``, ``loss``, ``months``) of one occurrence of a risk.

    Occurrence 0 reads the field itself; a repeat reads its own draw
    ``("risks", k, "@field", j)`` when the field is uncertain, else the field's value.
    """
    plain = values[("risks", risk_index, field)]
    if occurrence == 0:
        return plain
    return values.get(("risks", risk_index, "@" + field, occurrence), plain)


def _abandonment(scenario: Scenario, values: Values) -> tuple[int, int]:
    """``(A, W)``: the month the project is abandoned (``H`` when it is not) and that
    risk's wind-down ``rint(wind_down_months)`` [months]. The earliest event wins; on a tie,
    the first such risk in the scenario."""
    horizon = scenario.horizon_months
    month, wind_down = horizon, 0
    for k, risk in enumerate(scenario.risks):
        if risk.kind != "abandonment":
            continue
        # abandonment happens once; no draw (a point run): it does not happen
        event_month = int(values.get(("risks", k, "@month", 0), horizon))
        if event_month < month:
            month = event_month
            wind_down = round(values[("risks", k, "wind_down_months")])
    return month, wind_down


def _benefit_loss(scenario: Scenario, values: Values, month: int) -> float:
    """``min(1, Σ loss)`` over the benefit-loss events covering month ``m`` [fraction]."""
    horizon = scenario.horizon_months
    total = 0.0
    for k, risk in enumerate(scenario.risks):
        if risk.kind != "benefit_loss":
            continue
        for j, start in _events(values, k, horizon):
            duration = max(1, math.ceil(_impact(values, k, "months", j)))
            if start <= month < start + duration:
                total += _impact(values, k, "loss", j)
    return min(1.0, total)


# --- one trial -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceGate:
    """A stage gate's outcome in one trial.

    Attributes
    ----------
    month : int
        ``g``, the month it falls in (it may lie past the horizon) [month].
    held : bool
        The pilot went live within the horizon, ``g < H`` and the project was not
        abandoned by then.
    ratio : float
        Measured benefit/cost ratio ``B(g) / R(g)`` (``nan`` when not held) [ratio].
    observed : float
        ``ratio · exp(noise · z)``, what is compared with the threshold [ratio].
    passed : bool
        Not held, or ``observed ≥ threshold``.
    """

    month: int
    held: bool
    ratio: float
    observed: float
    passed: bool


@dataclass(frozen=True)
class ReferenceTrial:
    """Monthly flows of one trial of one strategy (lists of length ``H``).

    Attributes
    ----------
    go_lives : list of int
        Actual go-live months (``H``: not within the horizon) [month].
    costs, benefits : list of float
        Totals ``C(m)`` (dip and incidents included) and ``B(m)`` [currency/month].
    costs_by_category : dict of str to list of float
        The scenario's cost categories in order of first appearance, then the cost risks'
        categories not among them, then ``"productivity_dip"`` (always present)
        [currency/month].
    benefits_by_item : dict of str to list of float
        Each benefit by name [currency/month].
    gate : ReferenceGate or None
        The stage gate's outcome (``None`` without a gate). With ``apply_gate=False`` it
        is still measured, but the flows are those of a gate that never fails.
    """

    go_lives: list[int]
    costs: list[float]
    benefits: list[float]
    costs_by_category: dict[str, list[float]]
    benefits_by_item: dict[str, list[float]]
    gate: ReferenceGate | None


def _measure_gate(
    scenario: Scenario,
    strategy_index: int,
    values: Values,
    go_lives: Sequence[int],
    abandon_month: int,
    benefits_at: Callable[[int], float],
) -> ReferenceGate | None:
    """The stage gate's month, measurement and verdict; ``benefits_at(g)`` is the month's
    total benefit after benefit loss (before any stop)."""
    strategy = scenario.strategies[strategy_index]
    gate = strategy.gate
    if gate is None:
        return None
    horizon = scenario.horizon_months
    month = min(go_lives[0] + gate.months_after_pilot, go_lives[1] - 1)
    if not (go_lives[0] < horizon and month < horizon and abandon_month > month):
        return ReferenceGate(month, held=False, ratio=math.nan, observed=math.nan, passed=True)
    benefit = benefits_at(month)
    running = _running_cost(scenario, strategy_index, values, go_lives, month)
    if running > 0.0:
        ratio = benefit / running
    else:
        ratio = math.inf if benefit > 0.0 else 0.0
    z = values.get(("strategies", strategy_index, "gate", "@z"), 0.0)
    observed = ratio * math.exp(gate.noise * z)
    return ReferenceGate(
        month, held=True, ratio=ratio, observed=observed, passed=observed >= gate.threshold
    )


def reference_trial(
    scenario: Scenario, strategy_index: int, values: Values, *, apply_gate: bool = True
) -> ReferenceTrial:
    """Every flow of one trial: rollout with slip, costs, benefits, risk events, the gate.

    Parameters
    ----------
    scenario : Scenario
        Source of the structure (kinds, bases, phases, months, units, horizon, gate).
    strategy_index : int
        Which of ``scenario.strategies`` to roll out.
    values : mapping of field path to float
        One trial's numeric inputs and auxiliary draws, e.g. ``Draws.trial(i)``; every
        numeric input is read from here, never from the scenario.
    apply_gate : bool
        ``False``: the flows as if the stage gate never failed (risk events still apply).

    Returns
    -------
    ReferenceTrial
    """
    horizon = scenario.horizon_months
    strategy = scenario.strategies[strategy_index]
    n_phases = len(strategy.phases)
    months = range(horizon)
    go_lives = _actual_go_lives(scenario, strategy_index, values)
    abandon_month, abandon_wind_down = _abandonment(scenario, values)
    loss = [_benefit_loss(scenario, values, m) for m in months]

    # 1. every flow before events and the gate, by (label, phase)
    cost_parts: dict[tuple[str, int | None], list[float]] = {}
    for c, cost in enumerate(scenario.costs):
        for m in months:
            parts = _cost_parts_in_month(scenario, strategy_index, c, values, go_lives, m)
            for phase, amount in parts.items():
                cost_parts.setdefault((cost.category, phase), [0.0] * horizon)[m] += amount
    for m in months:
        for phase, amount in _dip_parts_in_month(
            scenario, strategy_index, values, go_lives, m
        ).items():
            cost_parts.setdefault((DIP_CATEGORY, phase), [0.0] * horizon)[m] += amount

    quality = values[("adoption", "data_quality")]
    benefit_parts: dict[tuple[str, int], list[float]] = {}
    for b, benefit in enumerate(scenario.benefits):
        full_value = _benefit_full_value(scenario, b, values)
        growth = values[("benefits", b, "growth")]
        for p in range(n_phases):
            series = [
                full_value
                * (1.0 + growth) ** (m // 12)
                * quality
                * _phase_use(strategy, values, strategy_index, go_lives, p, m)
                for m in months
            ]
            benefit_parts[(benefit.name, p)] = series

    # 2. the stage gate, on the benefits after loss and before any stop
    def benefits_at(month: int) -> float:
        return sum(series[month] for series in benefit_parts.values()) * (1.0 - loss[month])

    gate = _measure_gate(scenario, strategy_index, values, go_lives, abandon_month, benefits_at)

    # 3. when flows stop: costs from `cost_stop`; phase p's benefits from benefit_stop[p];
    #    phases 1… lose every flow from `later_stop` (a failed gate)
    cost_stop = min(horizon, abandon_month + abandon_wind_down)
    benefit_stop = [abandon_month] * n_phases
    later_stop = horizon
    if gate is not None and apply_gate and not gate.passed:
        later_stop = gate.month
        for p in range(1, n_phases):
            benefit_stop[p] = min(abandon_month, gate.month)
        if strategy.gate.on_fail == "wind_down":
            benefit_stop[0] = min(abandon_month, gate.month)
            cost_stop = min(cost_stop, gate.month + strategy.gate.wind_down_months)

    # 4. costs by category: items, then cost incidents, then the dip
    categories: dict[str, list[float]] = {}
    for cost in scenario.costs:
        categories.setdefault(cost.category, [0.0] * horizon)
    for risk in scenario.risks:
        if risk.kind == "cost":
            categories.setdefault(risk.category, [0.0] * horizon)
    categories[DIP_CATEGORY] = [0.0] * horizon
    for (category, phase), series in cost_parts.items():
        stop = cost_stop
        if phase is not NO_PHASE and phase >= 1:
            stop = min(stop, later_stop)
        for m in range(stop):
            categories[category][m] += series[m]
    for k, risk in enumerate(scenario.risks):
        if risk.kind != "cost":
            continue
        for j, month in _events(values, k, horizon):
            if month >= cost_stop:
                continue
            amount = _impact(values, k, "cost", j)
            if risk.scales_with_deployment:
                live = [
                    phase.share
                    for p, phase in enumerate(strategy.phases)
                    if go_lives[p] <= month < benefit_stop[p]
                ]
                amount *= sum(live)
            categories[risk.category][month] += amount

    # 5. benefits by item: stopped per phase, less the month's loss
    by_item = {benefit.name: [0.0] * horizon for benefit in scenario.benefits}
    for (name, phase), series in benefit_parts.items():
        for m in range(benefit_stop[phase]):
            by_item[name][m] += series[m] * (1.0 - loss[m])

    costs = [sum(series[m] for series in categories.values()) for m in months]
    benefits = [sum(series[m] for series in by_item.values()) for m in months]
    return ReferenceTrial(go_lives, costs, benefits, categories, by_item, gate)


def reference_trial_flows(
    scenario: Scenario, strategy_index: int, values: Values
) -> tuple[list[float], list[float], dict[str, list[float]]]:
    """Costs, benefits and costs by category of one trial, month by month.

    A shortcut to :func:`reference_trial` (slip, risk events and the gate included).

    Returns
    -------
    costs : list of float, length H
        Total cost ``C(m)`` including the productivity dip and incidents
        [currency/month, positive].
    benefits : list of float, length H
        Total benefit ``B(m)`` [currency/month, positive].
    costs_by_category : dict of str to list of float
        See :attr:`ReferenceTrial.costs_by_category` [currency/month].
    """
    trial = reference_trial(scenario, strategy_index, values)
    return trial.costs, trial.benefits, trial.costs_by_category


# --- metrics -------------------------------------------------------------------------------


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
        [currency/month]; every name in :data:`METRIC_NAMES` of shape ``(n_trials,)``;
        ``"go_lives"`` of shape ``(n_trials, n_phases)`` [month]; the stage gate's
        ``"gate_held"``, ``"gate_passed"`` (``True`` without a gate), ``"gate_ratio"``
        (``nan`` where not held) and ``"npv_without_gate"`` (the NPV had the gate never
        failed) of shape ``(n_trials,)``.
    """
    n_trials = draws.n_trials
    horizon = scenario.horizon_months
    n_phases = len(scenario.strategies[strategy_index].phases)
    rate_monthly = (1.0 + scenario.discount_rate) ** (1.0 / 12.0) - 1.0
    out: dict[str, np.ndarray] = {
        "costs": np.zeros((n_trials, horizon)),
        "benefits": np.zeros((n_trials, horizon)),
        "net": np.zeros((n_trials, horizon)),
        "go_lives": np.zeros((n_trials, n_phases), dtype=np.int64),
        "gate_held": np.zeros(n_trials, dtype=bool),
        "gate_passed": np.ones(n_trials, dtype=bool),
        "gate_ratio": np.full(n_trials, math.nan),
        "npv_without_gate": np.zeros(n_trials),
    }
    for name in METRIC_NAMES:
        out[name] = np.zeros(n_trials)
    for trial in range(n_trials):
        values = draws.trial(trial)
        result = reference_trial(scenario, strategy_index, values)
        metrics = reference_trial_metrics(rate_monthly, result.costs, result.benefits)
        out["costs"][trial] = result.costs
        out["benefits"][trial] = result.benefits
        out["net"][trial] = [b - c for b, c in zip(result.benefits, result.costs, strict=True)]
        out["go_lives"][trial] = result.go_lives
        for name in METRIC_NAMES:
            out[name][trial] = metrics[name]
        out["npv_without_gate"][trial] = metrics["npv"]
        if result.gate is not None:
            out["gate_held"][trial] = result.gate.held
            out["gate_passed"][trial] = result.gate.passed
            out["gate_ratio"][trial] = result.gate.ratio
            if not result.gate.passed:
                ungated = reference_trial(scenario, strategy_index, values, apply_gate=False)
                without = reference_trial_metrics(rate_monthly, ungated.costs, ungated.benefits)
                out["npv_without_gate"][trial] = without["npv"]
    return out
