"""One phase's budget spend by fiscal year, for any go-live: the terms the deferral rule
searches over.

The budget's view of a phase (:func:`~costmodel.engine.cashflow.planned_flows`: before
risk events and the gate, no productivity dip; leased items as their lease payments;
less the phase's benefits when savings count) is a sum of terms of four shapes, each an
amount per trial times the item's yearly step factor ``E(m) = (1 + r) ** floor(m / 12)``:

- *step*: every month from an anchor on (monthly running costs);
- *yearly*: the anchor month and every twelfth after it (yearly costs);
- *lead*: one-time costs spread evenly over the lead window ``[max(0, w - L), w)`` (the
  month ``w`` alone when that is empty), paid at once or through a lease;
- *use*: times the phase's adoption curve from its go-live (per-usage costs; benefits,
  with a minus sign).

The anchor is the phase's go-live ``g`` or the month ``w`` its lead window ends. Within a
calendar year ``E`` is constant, so each term's sum over a fiscal year is a sum over the
(fiscal year ∩ calendar year) segments of a per-year coefficient times the overlap of
its shape with the segment: a few operations per candidate go-live, whatever the horizon.
:class:`PhaseTerms` holds the per-year coefficients; the search itself is
:func:`costmodel._kernels.first_fit`. Tested against ``planned_flows`` on random
scenarios.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np

from ..scenario import Scenario
from ..uncertainty import Draws
from .cashflow import _benefit_value, _year_powers
from .funding import FundingPlan, _annuity
from .rollout import phase_logistic, wright_multipliers

__all__ = ["PhaseTerms", "phase_fiscal_spend"]

_GO_LIVE, _WINDOW = 0, 1


@dataclass(frozen=True)
class PhaseTerms:
    """Phase ``phase``'s budget terms for ``n`` trials, by calendar year (``n_years =
    ceil(n_months / 12)``), [currency] per month of the shape.

    Attributes
    ----------
    step, yearly : ndarray, shape (2, n_years, n)
        Anchored at the go-live (row 0) and at the lead window's end (row 1); one row
        for both after :meth:`one_anchor`.
    lead : ndarray, shape (1 + n_leases, n_years, n)
        One-time costs paid at once (row 0), or through lease ``l`` (row ``1 + l``).
    use : ndarray, shape (n_years, n)
        Times the adoption curve ``(scale, q)`` of :func:`~.rollout.phase_logistic`.
    """

    phase: int
    step: np.ndarray
    yearly: np.ndarray
    lead: np.ndarray
    use: np.ndarray
    scale: np.ndarray
    q: np.ndarray

    @classmethod
    def of(cls, scenario: Scenario, strategy_index: int, draws: Draws, phase: int,
           savings: bool) -> PhaseTerms:
        """The terms of phase ``phase`` of strategy ``strategy_index`` (its benefits too
        when ``savings``), mirroring ``planned_flows``: the items with no ``start_month``
        and no phase (fixed basis) start with the pilot, phase 0."""
        n, n_months = draws.n_trials, scenario.horizon_months
        n_years = (n_months + 11) // 12
        strategy = scenario.strategies[strategy_index]
        shares = [p.share for p in strategy.phases]
        share = shares[phase]
        leases = {name.strip().casefold(): k for k, lease in enumerate(scenario.funding.leases)
                  for name in lease.items}
        step = np.zeros((2, n_years, n))
        yearly = np.zeros((2, n_years, n))
        lead = np.zeros((1 + len(scenario.funding.leases), n_years, n))
        use = np.zeros((n_years, n))

        # amounts summed per (term, row, rate) first: one outer product with the rate's
        # factors per group rather than one per item
        groups: dict[tuple, list] = {}

        def add(target: np.ndarray, row, amount, rate) -> None:
            """``target[row] += amount · (1 + rate) ** year`` (the engine's step factor in
            the first month of each calendar year), once the items are all in."""
            key = (id(target), row, float(rate) if np.ndim(rate) == 0 else id(rate))
            if key in groups:
                groups[key][3] = groups[key][3] + amount
            else:
                groups[key] = [target, row, rate, amount]

        units = float(scenario.organisation.units)
        learning = draws[("strategies", strategy_index, "learning", "cost_learning_rate")]
        for index, item in enumerate(scenario.costs):
            path = ("costs", index)
            amount, rate = draws[(*path, "amount")], draws[(*path, "escalation")]
            if item.basis == "fixed":  # with the pilot, unless it has a month of its own
                if item.start_month is not None or phase != 0:
                    continue
                per = amount
            elif item.basis == "per_usage":
                per = amount * draws[(*path, "usage_per_unit")] * units
            else:
                users = 1.0 if item.basis == "per_unit" else draws[("organisation",
                                                                     "users_per_unit")]
                per = amount * units * users * share
            anchor = _WINDOW if item.basis == "fixed" else _GO_LIVE
            if item.kind == "one_time":
                if item.basis != "fixed":
                    per = per * wright_multipliers(shares, learning)[phase]
                add(lead, 1 + leases.get(item.name.strip().casefold(), -1), per, rate)
            elif item.basis == "per_usage":
                add(use, ..., per, rate)
            elif item.kind == "monthly":
                add(step, anchor, per, rate)
            else:
                add(yearly, anchor, per, rate)
        if savings:
            quality = draws[("adoption", "data_quality")]
            for index, item in enumerate(scenario.benefits):
                value = _benefit_value(scenario, draws, index, item.kind) * quality
                add(use, ..., -np.asarray(value, dtype=float),
                    draws[("benefits", index, "growth")])
        years = np.arange(n_years)
        for target, row, rate, amount in groups.values():
            factor = _year_powers(years, rate)
            target[row] += (factor if factor.ndim == 2 else factor[:, None]) * np.asarray(amount)
        scale, q = phase_logistic(n, share, phase, draws[("adoption", "ceiling")],
                                  draws[("adoption", "months_to_half")],
                                  draws[("strategies", strategy_index, "learning",
                                         "adoption_speedup")])
        return cls(phase, step, yearly, lead, use, np.ascontiguousarray(scale, dtype=float),
                   np.ascontiguousarray(q, dtype=float))

    def one_anchor(self) -> PhaseTerms:
        """The same terms with the rows anchored at the go-live and at the lead window's
        end added together (``step``, ``yearly`` ``(1, n_years, n)``): for go-lives whose
        lead window ends with them in every trial, priced then in one pass, not two."""
        return replace(self, step=self.step[:1] + self.step[1:],
                       yearly=self.yearly[:1] + self.yearly[1:])


@dataclass(frozen=True)
class Calendar:
    """The months' fiscal and calendar years, as the kernels read them: ``segments``
    ``(k, 4)`` (first month, end, fiscal year, calendar year of each part of a fiscal year
    within one calendar year) and ``fiscal`` ``(n_fiscal_years, 2)`` (first month and
    end of each fiscal year); the leases' annuity factors and terms."""

    n_months: int
    lead_time: int
    segments: np.ndarray
    fiscal: np.ndarray
    annuity: np.ndarray
    term: np.ndarray

    @classmethod
    def of(cls, scenario: Scenario, strategy_index: int, plan: FundingPlan) -> Calendar:
        n_months = scenario.horizon_months
        starts = plan.fiscal_starts.astype(np.int64)
        ends = np.append(starts[1:], n_months)
        cuts = np.unique(np.concatenate([starts, np.arange(0, n_months, 12), [n_months]]))
        segments = np.array([(b, e, np.searchsorted(starts, b, side="right") - 1, b // 12)
                             for b, e in pairwise(cuts)],
                            dtype=np.int64).reshape(-1, 4)
        leases = scenario.funding.leases
        return cls(n_months, scenario.strategies[strategy_index].lead_time_months, segments,
                   np.stack([starts, ends], axis=1),
                   np.array([_annuity(x.annual_rate / 12.0, x.term_months) for x in leases]),
                   np.array([x.term_months for x in leases], dtype=np.int64))

    def arguments(self, terms: PhaseTerms) -> tuple:
        """The terms and the calendar, in the kernels' argument order."""
        return (terms.step, terms.yearly, terms.lead, terms.use, terms.scale, terms.q,
                self.segments, self.fiscal, self.n_months, self.lead_time, self.annuity,
                self.term)


def phase_fiscal_spend(terms: PhaseTerms, calendar: Calendar, go_lives: np.ndarray,
                       windows: np.ndarray) -> np.ndarray:
    """The phase's budget spend by fiscal year ``(n_fiscal_years, n)`` [currency] for the
    given go-live and lead-window end per trial: ``plan.years @ budget_spend(...)`` of
    the phase's ``planned_flows``, from the terms."""
    from .. import _kernels

    n = go_lives.size
    out = np.zeros((calendar.fiscal.shape[0], n))
    _kernels.evaluate(np.ascontiguousarray(go_lives, dtype=np.int64),
                      np.ascontiguousarray(windows, dtype=np.int64),
                      *calendar.arguments(terms), out)
    return out
