"""The budget's ``defer`` policy: each phase goes live in the first month its costs fit.

A self-funding rollout: a phase whose spending would break the yearly cap waits until it
fits, so the savings of the phases before it (when savings count) and the passing of
fiscal years make room for it. Decided per trial, one phase after the other: each
trial's search runs in compiled code over the phase's terms by calendar year
(:mod:`costmodel.engine.phase_budget`), with no per-trial Python loop. Equations in
``docs/methodology.md`` ("The deferral rule").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario import Scenario
from ..uncertainty import Draws
from .cashflow import PlannedFlows, fixed_plan_by_period, planned_flows
from .funding import FundingPlan, lease_payments
from .phase_budget import Calendar, PhaseTerms

__all__ = ["Deferral", "budget_spend", "deferred_go_lives", "defers"]


@dataclass(frozen=True)
class Deferral:
    """Where the budget's ``defer`` policy put each phase, per trial.

    Attributes
    ----------
    go_lives : ndarray of int, shape (n_phases, n)
        Actual go-live months (after slip and deferral; ``n_months``: not within the
        horizon).
    windows : ndarray of int, shape (n_phases, n)
        Months the one-time lead windows end: the planned go-live plus the deferral; past
        the horizon by more than the lead time for a phase that never fits (no cost).
    months : ndarray of int, shape (n,)
        Months the last phase went live later than slip alone would have had it (to the
        horizon for a phase that never fits) [months].
    phases : ndarray of int, shape (n,)
        How many phases the budget moved (their go-live or lead window) [count].
    """

    go_lives: np.ndarray
    windows: np.ndarray
    months: np.ndarray
    phases: np.ndarray

    @property
    def deferred(self) -> np.ndarray:
        """Trials where the budget moved some phase."""
        return self.phases > 0


def defers(scenario: Scenario, strategy_index: int) -> bool:
    """Whether the budget's ``defer`` policy applies to strategy ``strategy_index`` (its
    own ``budget_policy``, else the budget's ``policy``)."""
    budget = scenario.funding.budget
    if budget is None:
        return False
    policy = scenario.strategies[strategy_index].budget_policy or budget.policy
    return policy == "defer"


def budget_spend(scenario: Scenario, flows: PlannedFlows) -> np.ndarray:
    """The budget's spend of some planned flows, month by month ``(n_months, n)``: the
    costs as paid (leased items as their lease payments), less the benefits when savings
    count."""
    spend = flows.costs.copy()
    for lease, outlays in zip(scenario.funding.leases, flows.leased, strict=True):
        if outlays is not None:
            spend -= outlays
            spend += lease_payments(outlays, lease)[0]
    if scenario.funding.budget.savings_count and flows.benefits is not None:
        spend -= flows.benefits
    return spend


def deferred_go_lives(scenario: Scenario, strategy_index: int, draws: Draws,
                      go_lives: np.ndarray, plan: FundingPlan,
                      calendar: Calendar | None = None) -> Deferral:
    """Apply the ``defer`` policy to the go-lives after slip ``go_lives`` ``(n_phases, n)``.

    Phase by phase: the spend already committed (the items of no phase, the earlier
    phases where they went live) plus phase ``p``'s spend with go-live ``g`` must stay
    within the cap in every fiscal year where phase ``p`` spends anything; ``g`` is the
    first month from its slipped go-live (and after the previous phase's) for which it
    does. The plan sees the flows before risk events and the gate (a plan cannot foresee
    an outage), without the productivity dip and incident costs (outside the budget). A
    phase that fits in no month within the horizon is not started (no cost), nor are the
    phases after it. Each trial's search runs in compiled code over the phase's terms
    (:mod:`costmodel.engine.phase_budget`). ``calendar``: the strategy's
    :class:`~costmodel.engine.phase_budget.Calendar` under ``plan``, when already made.
    """
    from .. import _kernels

    strategy = scenario.strategies[strategy_index]
    n_phases, n = go_lives.shape
    n_months = scenario.horizon_months
    budget = scenario.funding.budget
    cap, tolerance = budget.yearly_cap, 1e-9 * budget.yearly_cap
    calendar = Calendar.of(scenario, strategy_index, plan) if calendar is None else calendar
    never = n_months + strategy.lead_time_months + 1  # a lead window wholly past the horizon
    slipped = go_lives.astype(np.int64)
    final = np.empty((n_phases, n), dtype=np.int64)
    windows = np.empty((n_phases, n), dtype=np.int64)
    committed = fixed_plan_by_period(scenario, strategy_index, draws, plan.years)
    if committed is None:  # a lease's payments, from the monthly outlays
        fixed = planned_flows(scenario, strategy_index, draws, "fixed")
        committed = plan.years @ budget_spend(scenario, fixed)
    committed = np.ascontiguousarray(committed)
    stopped = np.zeros(n, dtype=bool)
    spend = np.empty_like(committed)
    for p, phase in enumerate(strategy.phases):
        start = slipped[p] if p == 0 else np.maximum(slipped[p], final[p - 1] + 1)
        start = np.minimum(start, n_months)
        shift = phase.go_live - slipped[p]  # the lead window ends at the planned go-live
        terms = PhaseTerms.of(scenario, strategy_index, draws, p, budget.savings_count)
        if not shift.any():  # no slip: each lead window ends at its go-live
            terms = terms.one_anchor()
        _kernels.first_fit(np.ascontiguousarray(start), np.ascontiguousarray(shift), stopped,
                           committed, cap, tolerance, never, *calendar.arguments(terms),
                           final[p], windows[p], spend)
        committed += spend
        stopped = windows[p] == never
    on_time = np.minimum(slipped, n_months)
    planned = np.array([phase.go_live for phase in strategy.phases])[:, None]
    moved = (final != on_time) | (windows != planned)
    return Deferral(final, windows, final[-1] - on_time[-1], moved.sum(axis=0))
