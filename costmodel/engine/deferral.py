"""The budget's ``defer`` policy: each phase goes live in the first month its costs fit.

A self-funding rollout: a phase whose spending would break the yearly cap waits until it
fits, so the savings of the phases before it (when savings count) and the passing of
fiscal years make room for it. Decided per trial, one phase after the other, with no
per-trial Python loop: the candidate month of every trial still waiting moves on by one
month per pass, and each pass prices the waiting trials' phase at once. Equations in
``docs/methodology.md`` ("The deferral rule").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario import Scenario
from ..uncertainty import Draws
from .cashflow import PlannedFlows, planned_flows
from .funding import FundingPlan, lease_payments

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
    """

    go_lives: np.ndarray
    windows: np.ndarray
    months: np.ndarray

    @property
    def deferred(self) -> np.ndarray:
        """Trials where the budget moved some phase."""
        return self.months > 0


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
                      go_lives: np.ndarray, plan: FundingPlan) -> Deferral:
    """Apply the ``defer`` policy to the go-lives after slip ``go_lives`` ``(n_phases, n)``.

    Phase by phase: the spend already committed (the items of no phase, the earlier
    phases where they went live) plus phase ``p``'s spend with go-live ``g`` must stay
    within the cap in every fiscal year where phase ``p`` spends anything; ``g`` is the
    first month from its slipped go-live (and after the previous phase's) for which it
    does. The plan sees the flows before risk events and the gate (a plan cannot foresee
    an outage), without the productivity dip and incident costs (outside the budget). A
    phase that fits in no month within the horizon is not started (no cost).

    When savings do not count (every part's spend is at least 0), the trials whose whole
    plan fits at the slipped go-lives keep them: the rule would not move any phase there.
    """
    strategy = scenario.strategies[strategy_index]
    n_phases, n = go_lives.shape
    planned = np.array([p.go_live for p in strategy.phases], dtype=np.int64)
    final = go_lives.astype(np.int64, copy=True)
    windows = np.repeat(planned[:, None], n, axis=1)
    budget = scenario.funding.budget
    rest = np.arange(n)
    if not budget.savings_count:  # one look at the whole plan first
        whole = planned_flows(scenario, strategy_index, draws, "all", go_lives, None, False)
        spend = plan.years @ budget_spend(scenario, whole)
        rest = np.flatnonzero(~(spend <= budget.yearly_cap * (1 + 1e-9)).all(axis=0))
    if rest.size:
        sub = draws if rest.size == n else draws.take(rest)
        final[:, rest], windows[:, rest] = _phase_by_phase(scenario, strategy_index, sub,
                                                           go_lives[:, rest], plan.years)
    n_months, last = scenario.horizon_months, n_phases - 1
    months = np.minimum(final[last], n_months) - np.minimum(go_lives[last], n_months)
    return Deferral(final, windows, months)


def _phase_by_phase(scenario: Scenario, strategy_index: int, draws: Draws,
                    go_lives: np.ndarray, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rule itself on the trials of ``draws``: ``(go-lives, windows)``."""
    n_months = scenario.horizon_months
    strategy = scenario.strategies[strategy_index]
    budget = scenario.funding.budget
    cap, tolerance = budget.yearly_cap, 1e-9 * budget.yearly_cap
    savings = budget.savings_count
    n_phases, n = go_lives.shape
    planned = np.array([p.go_live for p in strategy.phases], dtype=np.int64)
    final = go_lives.astype(np.int64, copy=True)
    windows = np.repeat(planned[:, None], n, axis=1)
    never = n_months + strategy.lead_time_months + 1  # a lead window wholly past the horizon

    def by_year(flows: PlannedFlows) -> np.ndarray:
        return years @ budget_spend(scenario, flows)

    committed = by_year(planned_flows(scenario, strategy_index, draws, "fixed"))
    for p in range(n_phases):
        candidate = final[p].copy()  # after slip; at most n_months (not live within it)
        if p > 0:  # after the previous phase, and not at all if that one never started
            np.maximum(candidate, final[p - 1] + 1, out=candidate)
            stopped = windows[p - 1] == never
            final[p, stopped], windows[p, stopped] = n_months, never
        else:
            stopped = np.zeros(n, dtype=bool)
        np.minimum(candidate, n_months, out=candidate)
        waiting = np.flatnonzero(~stopped)
        sub = draws.take(waiting) if waiting.size < n else draws
        while waiting.size:
            months = final[:, waiting].copy()
            months[p] = candidate[waiting]
            ends = windows[:, waiting].copy()
            ends[p] = planned[p] + candidate[waiting] - go_lives[p, waiting]
            spend = by_year(planned_flows(scenario, strategy_index, sub, p, months, ends,
                                          savings))
            total = committed[:, waiting] + spend
            fits = ((spend <= tolerance) | (total <= cap + tolerance)).all(axis=0)
            done = waiting[fits]
            final[p, done] = candidate[done]
            windows[p, done] = ends[p, fits]
            committed[:, done] = total[:, fits]
            candidate[waiting[~fits]] += 1
            keep = ~fits & (candidate[waiting] < n_months)
            out = waiting[~fits & ~keep]  # fits in no month within the horizon: not started
            final[p, out], windows[p, out] = n_months, never
            waiting = waiting[keep]
            if waiting.size:
                sub = sub.take(np.flatnonzero(keep))
    return final, windows
