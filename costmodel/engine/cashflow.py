"""Cash flows of one strategy for a block of trials.

:func:`strategy_cash_flows` turns a :class:`~costmodel.scenario.Scenario`, a strategy and
the :class:`~costmodel.uncertainty.Draws` of a block of trials into monthly costs and
benefits (positive magnitudes, month-major ``(n_months, n_trials)``) plus their sums over
trials by cost category and by benefit item. The equations are those of
``docs/methodology.md``; no per-trial Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..scenario import CostItem, Gate, Scenario
from ..uncertainty import Draws
from .flows import FlowAccumulator, add_sums, present_value
from .funding import fiscal_years
from .metrics import discount_factors, present_values
from .risks import RiskBlock
from .rollout import (
    AdoptionCurves,
    common_month,
    lead_window,
    month_indicator,
    wright_multipliers,
    yearly_indicator,
)
from .trials import per_trial
from .windows import TrialWindow

__all__ = [
    "DISRUPTION_CATEGORY",
    "GateBlock",
    "PlannedFlows",
    "StrategyFlows",
    "TimedTerms",
    "planned_flows",
    "strategy_cash_flows",
    "strategy_net_present_value",
]

#: The cost category under which the productivity dip is reported.
DISRUPTION_CATEGORY = "productivity_dip"

#: The tag of costs outside the yearly budget (the productivity dip; risk-event costs).
UNBUDGETED = "unbudgeted"


@dataclass(frozen=True)
class GateBlock:
    """What a stage gate did in a block of trials.

    Attributes
    ----------
    held : ndarray of bool, shape (n,)
        The gate was held (within the horizon, project not abandoned before it).
    passed : ndarray of bool, shape (n,)
        The rollout went on (``True`` where the gate was not held).
    ratio : ndarray, shape (n,)
        The measured run-rate benefit/cost ratio (``nan`` where not held) [ratio].
    failed : ndarray of int
        Indices of the trials where it failed.
    costs_without, benefits_without : ndarray, shape (n_months, len(failed))
        Those trials' flows had the rollout gone on (the strategy without its gate).
    """

    held: np.ndarray
    passed: np.ndarray
    ratio: np.ndarray
    failed: np.ndarray
    costs_without: np.ndarray
    benefits_without: np.ndarray


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
    gate : GateBlock or None
        The stage gate's outcome, for a strategy with a gate.
    leased : tuple of ndarray, shape (n_months, n_trials)
        Per lease of the scenario's funding, the costs of the items it finances (part of
        ``costs``).
    unbudgeted : ndarray, shape (n_fiscal_years, n_trials), or None
        Costs outside the yearly budget (productivity dip, risk-event costs), part of
        ``costs``, summed by the budget's fiscal year; ``None`` when the scenario has no
        budget.
    abandoned : ndarray of int, shape (n_trials,)
        Month the project is abandoned in each trial (``n_months``: never).
    terms : TimedTerms or None
        The terms behind the flows, to price them at other go-lives (when asked).
    """

    costs: np.ndarray
    benefits: np.ndarray
    cost_sums_by_category: dict[str, np.ndarray]
    benefit_sums_by_item: dict[str, np.ndarray]
    gate: GateBlock | None = None
    leased: tuple[np.ndarray, ...] = ()
    unbudgeted: np.ndarray | None = None
    abandoned: np.ndarray | None = None
    terms: TimedTerms | None = None


@dataclass
class _Parts:
    """The strategy's flows in two groups, kept apart so a failed gate can cancel the
    later phases: ``base`` (fixed items and the pilot, phase 0) and ``later`` (phases 1+).

    For a budget plan (:func:`planned_flows`) one part alone is built: ``only`` is a
    phase (its terms go to ``costs_base``/``benefits_base``, whose use is that phase's),
    ``"fixed"`` (the items that belong to no phase) or ``"all"``; the other terms are
    left out.
    """

    costs_base: FlowAccumulator
    costs_later: FlowAccumulator | None
    benefits_base: FlowAccumulator | None
    benefits_later: FlowAccumulator | None
    only: int | str | None = None

    def cost_group(self, phase: int) -> FlowAccumulator | None:
        if self.only is not None:
            return self.costs_base if self.only in (phase, "all") else None
        return self.costs_base if phase == 0 else self.costs_later

    def fixed_group(self) -> FlowAccumulator | None:
        return self.costs_base if self.only in (None, "fixed", "all") else None

    def takes(self, item: CostItem) -> bool:
        """Whether cost ``item`` has terms here: a budget plan's ``"fixed"`` part takes
        the items with a start month of their own (no phase), a phase's part the others
        (:meth:`fixed_group`, :meth:`cost_group`)."""
        return self.only in (None, "all") or (item.start_month is not None) == (
            self.only == "fixed")

    @property
    def groups(self) -> tuple[FlowAccumulator | None, ...]:
        """Every group: the costs' (base, later), then the benefits'."""
        return self.costs_base, self.costs_later, self.benefits_base, self.benefits_later

    def net_present_value(self, discount: np.ndarray) -> np.ndarray:
        """The benefits' present value less the costs' per trial ``(n_trials,)``
        [currency], from the terms as they stand
        (:func:`~costmodel.engine.flows.present_value`); ``discount``: each month's
        factor."""
        return present_value([(self.benefits_base, 1.0), (self.benefits_later, 1.0),
                              (self.costs_base, -1.0), (self.costs_later, -1.0)], discount)

    def use_groups(self) -> list[FlowAccumulator]:
        """The cost groups with adoption of their own (for per-usage costs)."""
        return [g for g in (self.costs_base, self.costs_later)
                if g is not None and g.has_use]

    def benefit_groups(self) -> list[FlowAccumulator]:
        return [g for g in (self.benefits_base, self.benefits_later)
                if g is not None and g.has_use]


class _Timing:
    """The months of each phase, per trial: the actual go-lives ``(n_phases, n)`` and the
    months the one-time costs' lead windows end (``windows``, the planned go-lives unless
    a budget deferred the phase). Each profile is ``(profile, mask)``: a profile
    ``(n_months,)`` and ``None`` when a phase's month is the same in every trial, else
    ones and a per-trial :class:`~costmodel.engine.windows.TrialWindow`, one per phase
    and kind (so terms that share it are summed in one pass)."""

    def __init__(self, n_months: int, go_lives: np.ndarray, windows: np.ndarray,
                 lead_time: int):
        self.n_months = n_months
        self.go_lives = go_lives
        self.windows = windows
        self.lead_time = lead_time
        self.common = [common_month(row) for row in go_lives]
        self.common_windows = [common_month(row) for row in windows]
        #: phases whose lead window ends at the go-live in every trial where either is
        #: within the horizon (no slip)
        self.coincide = [bool(np.all((row == end) | (np.minimum(row, end) >= n_months)))
                         for row, end in zip(go_lives, windows, strict=True)]
        #: those whose months vary by trial: the terms from either month on then share
        #: one window, so one pass sums them
        self.aligned = [common is None and both
                        for common, both in zip(self.common, self.coincide, strict=True)]
        self._masks: dict[tuple, TrialWindow] = {}
        self.ones = np.ones(n_months)

    def _timed(self, key: tuple, month: int | None, profile, mask) -> tuple:
        """``(profile(month), None)`` when the month is the same in every trial, else
        ones and the per-trial ``mask()``, made once per ``key``."""
        if month is not None:
            return profile(month), None
        if key not in self._masks:
            self._masks[key] = mask()
        return self.ones, self._masks[key]

    def live(self, p: int) -> tuple[np.ndarray, np.ndarray | None]:
        """1 from phase ``p``'s go-live on."""
        n, start = self.n_months, self.go_lives[p]
        return self._timed(("live", p), self.common[p], lambda m: month_indicator(n, m),
                           lambda: TrialWindow.step(n, start))

    def yearly(self, p: int) -> tuple[np.ndarray, np.ndarray | None]:
        """1 in phase ``p``'s go-live month and every twelfth month after."""
        n, start = self.n_months, self.go_lives[p]
        return self._timed(("yearly", p), self.common[p], lambda m: yearly_indicator(n, m),
                           lambda: TrialWindow.yearly(n, start))

    def window(self, p: int, months: int) -> tuple[np.ndarray, np.ndarray | None]:
        """1 in the ``months`` months from phase ``p``'s go-live."""
        n, start = self.n_months, self.go_lives[p]
        return self._timed(("window", p, months), self.common[p],
                           lambda m: month_indicator(n, m, m + months),
                           lambda: TrialWindow.step(n, start, start + months))

    def started(self, p: int, *, yearly: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """1 from the month phase ``p``'s lead window ends (its planned go-live, moved by a
        budget's deferral) on; ``yearly``: in that month and every twelfth after."""
        if self.aligned[p]:
            return self.yearly(p) if yearly else self.live(p)
        n, end = self.n_months, self.windows[p]
        if yearly:
            return self._timed(("started yearly", p), self.common_windows[p],
                               lambda m: yearly_indicator(n, m), lambda: TrialWindow.yearly(n, end))
        return self._timed(("started", p), self.common_windows[p],
                           lambda m: month_indicator(n, m), lambda: TrialWindow.step(n, end))

    def lead(self, p: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Weights of phase ``p``'s one-time costs over its lead window."""
        n, end, lead = self.n_months, self.windows[p], self.lead_time
        return self._timed(("lead", p), self.common_windows[p],
                           lambda m: lead_window(n, m, lead),
                           lambda: TrialWindow.lead(n, end, lead))

    @property
    def all_per_trial(self) -> bool:
        """Whether every phase's go-live and lead window vary by trial (each of its terms
        then has a mask, made by one of the methods above)."""
        return all(m is None for m in (*self.common, *self.common_windows))

    def retimed(self, mask: TrialWindow, other: _Timing) -> tuple[np.ndarray, TrialWindow | None]:
        """The profile and mask that ``other`` gives the terms this timing put under
        ``mask`` (the same kind of window, for the same phase)."""
        keys = [key for key, made in self._masks.items() if made is mask]
        if not keys:
            raise ValueError("the mask was not made by this timing: it cannot be re-timed")
        kind, p, *months = keys[0]
        if kind.startswith("started"):
            return other.started(p, yearly=kind == "started yearly")
        return getattr(other, kind)(p, *months)


def _step_factor(n_months: int, yearly_rate) -> np.ndarray:
    """``(1 + rate) ** floor(m / 12)``: ``(n_months,)`` for a scalar rate, else
    ``(n_months, n_trials)``."""
    return _year_powers(np.arange(n_months) // 12, yearly_rate)


def _year_powers(years: np.ndarray, yearly_rate) -> np.ndarray:
    """``(1 + rate) ** years`` for integer ``years`` ``(k,)``: ``(k,)`` for a scalar rate,
    else ``(k, n_trials)``."""
    if np.ndim(yearly_rate) == 0:
        return (1.0 + float(yearly_rate)) ** years
    return (1.0 + np.asarray(yearly_rate))[None, :] ** years[:, None]


def _times(profile: np.ndarray, factor: np.ndarray) -> np.ndarray:
    if factor.ndim == 2 and profile.ndim == 1:
        return profile[:, None] * factor
    return profile * factor


def _add_cost(parts: _Parts, scenario: Scenario, strategy_index: int, draws: Draws,
              index: int, item: CostItem, timing: _Timing, tag: str | None) -> None:
    """Add cost item ``index``: one-time costs over the phases' lead windows, running
    costs from their actual go-lives (``timing``), fixed items from their ``start_month``
    or with the pilot's planned start; ``tag``: follow the item on its own (a lease's)."""
    strategy = scenario.strategies[strategy_index]
    n_months = scenario.horizon_months
    path = ("costs", index)
    amount = draws[(*path, "amount")]
    escalation = _step_factor(n_months, draws[(*path, "escalation")])
    units = float(scenario.organisation.units)
    shares = [p.share for p in strategy.phases]
    planned = [p.go_live for p in strategy.phases]
    first = item.start_month if item.start_month is not None else planned[0]
    per = {"fixed": 1.0, "per_unit": units,
           "per_user": units * draws[("organisation", "users_per_unit")]}
    label = item.category

    def add(group: FlowAccumulator | None, timed: tuple, coefficient, *, running=None,
            running_timed: tuple | None = None, scaled_by_use: bool = False) -> None:
        if group is None:
            return
        profile, mask = timed
        escalated = None
        if running is not None:
            escalated = _times(running, escalation)
        group.add(label, _times(profile, escalation), coefficient, scaled_by_use=scaled_by_use,
                  running=escalated, tag=tag, mask=mask,
                  running_mask=None if running_timed is None else running_timed[1])

    # fixed items start with the project: at their start_month, or else with the pilot
    # (its planned go-live and lead window, moved when a budget defers it)
    base = parts.fixed_group() if item.start_month is not None else parts.cost_group(0)
    pilot_share = shares[0]  # a gate charges the pilot its share of fixed running costs
    if item.kind == "one_time":
        if item.basis == "fixed":
            if item.start_month is not None:
                add(base, (month_indicator(n_months, first, first + 1), None), amount)
            else:
                add(base, timing.lead(0), amount)
            return
        rate = draws[("strategies", strategy_index, "learning", "cost_learning_rate")]
        multipliers = wright_multipliers(shares, rate)
        for p, share in enumerate(shares):
            add(parts.cost_group(p), timing.lead(p),
                amount * per[item.basis] * share * multipliers[p])
    elif item.kind == "monthly":
        if item.basis == "fixed":
            timed = ((month_indicator(n_months, first), None) if item.start_month is not None
                     else timing.started(0))
            add(base, timed, amount, running=timed[0] * pilot_share)
        elif item.basis == "per_usage":
            usage = draws[(*path, "usage_per_unit")]
            ones = np.ones(n_months)
            for group in parts.use_groups():
                add(group, (ones, None), amount * usage * units, running=ones,
                    scaled_by_use=True)
        else:
            for p, share in enumerate(shares):
                live = timing.live(p)
                add(parts.cost_group(p), live, amount * per[item.basis] * share,
                    running=live[0])
    else:  # yearly: the running cost is a twelfth a month
        if item.basis == "fixed":
            if item.start_month is not None:
                add(base, (yearly_indicator(n_months, first), None), amount,
                    running=month_indicator(n_months, first) * (pilot_share / 12.0))
            else:
                started = timing.started(0)
                add(base, timing.started(0, yearly=True), amount,
                    running=started[0] * (pilot_share / 12.0), running_timed=started)
        else:
            for p, share in enumerate(shares):
                live = timing.live(p)
                add(parts.cost_group(p), timing.yearly(p), amount * per[item.basis] * share,
                    running=live[0] / 12.0, running_timed=live)


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


def _add_flow(target: dict[str, np.ndarray], tag: str, flow: np.ndarray) -> None:
    """``target[tag] += flow``, in place once ``target`` holds a flow of its own (``flow``
    is the caller's to give: it is kept, not copied, the first time)."""
    if tag in target:
        np.add(target[tag], flow, out=target[tag])
    else:
        target[tag] = flow


def _merge(target: dict[str, np.ndarray], sums: dict[str, np.ndarray]) -> None:
    for key, value in sums.items():
        add_sums(target, key, value)


def _deployed_at(month: np.ndarray, shares: list[float], go_lives: list[int],
                 stops: list[np.ndarray]) -> np.ndarray:
    """Share deployed in ``month`` (per trial), phase ``p`` counting from its go-live
    until ``stops[p]``."""
    out = np.zeros(month.shape)
    for share, go_live, stop in zip(shares, go_lives, stops, strict=True):
        out += share * ((go_live <= month) & (month < stop))
    return out


def _before(stop: np.ndarray, n_months: int) -> np.ndarray | None:
    """``1.0`` in the months before ``stop`` (per trial), else ``0.0``: ``(n_months, n)``;
    ``None`` when no trial stops within the horizon (nothing to keep out)."""
    if not (stop < n_months).any():
        return None
    before = np.empty((n_months, stop.size))
    return np.less(np.arange(n_months)[:, None], stop[None, :], out=before)


@dataclass(frozen=True)
class _Stops:
    """Per trial, the month from which each group's flows stop: after risk events
    (abandonment; its wind-down for costs) and, where the gate failed, the gate."""

    costs_base: np.ndarray
    costs_later: np.ndarray
    benefits_base: np.ndarray
    benefits_later: np.ndarray

    @classmethod
    def of(cls, risk: RiskBlock, failed: np.ndarray, gate: Gate | None,
           g: int | None) -> _Stops:
        """``failed``: mask of the trials whose gate failed (in month ``g``)."""
        costs, benefits = risk.costs_stop, risk.abandoned
        if not failed.any():
            return cls(costs, costs, benefits, benefits)
        later_costs = np.where(failed, np.minimum(costs, g), costs)
        later_benefits = np.where(failed, np.minimum(benefits, g), benefits)
        if gate.on_fail == "wind_down":
            return cls(np.where(failed, np.minimum(costs, g + gate.wind_down_months), costs),
                       later_costs, later_benefits, later_benefits)
        return cls(costs, later_costs, benefits, later_benefits)


def _kept(groups, stops: tuple[np.ndarray, np.ndarray], factor: np.ndarray | None,
          n_months: int, sums: dict[str, np.ndarray] | None,
          tagged: dict[str, np.ndarray] | None = None,
          years: np.ndarray | None = None) -> np.ndarray:
    """The sum of ``groups`` (base, later) ``(accumulator, total)`` pairs, each total kept
    before its group's stop month and times ``factor`` (the benefit kept in outages);
    their per-label sums are added to ``sums``, and the kept flows of their tagged terms
    to ``tagged`` (neither when ``None``; the unbudgeted ones by fiscal year, ``years``,
    and only without a factor)."""
    if factor is None:
        return _stopped(groups, stops, n_months, sums, tagged, years)
    out = None
    keeps: dict[int, np.ndarray] = {}
    for (acc, total), stop in zip(groups, stops, strict=True):
        if acc.empty:
            continue
        if id(stop) not in keeps:  # base and later share their stops unless a gate failed
            before = _before(stop, n_months)
            keeps[id(stop)] = factor if before is None else before * factor
        keep = keeps[id(stop)]
        if sums is not None:
            _merge(sums, acc.sums_by_label(keep))
        for tag, child in acc.tagged.items() if tagged is not None else ():
            flow = child.total() * keep
            _add_flow(tagged, tag, flow)
        total *= keep
        out = total if out is None else np.add(out, total, out=out)
    return np.zeros((n_months, groups[0][0].n_trials)) if out is None else out


def _stopped(groups, stops: tuple[np.ndarray, np.ndarray], n_months: int,
             sums: dict[str, np.ndarray] | None,
             tagged: dict[str, np.ndarray] | None, years: np.ndarray | None) -> np.ndarray:
    """:func:`_kept` without a factor: each group's flows stop at its stop month. Only
    the trials that stop within the horizon (a few) are touched: their cells from the
    stop on are zeroed, and their terms there are summed and taken off the per-label sums
    of all trials (the same sums up to rounding). The unbudgeted costs go to ``tagged``
    summed by fiscal year (``years`` ``(n_fiscal_years, n_months)``), never formed month
    by month but for the trials that stop."""
    from costmodel._kernels import zero_from  # numba: loaded on first use

    out = None
    for (acc, total), stop in zip(groups, stops, strict=True):
        if acc.empty:
            continue
        stopped = np.flatnonzero(stop < n_months)
        if sums is not None:
            _merge(sums, acc.sums_by_label())
        if stopped.size:
            if sums is not None:
                after = (np.arange(n_months)[:, None] >= stop[stopped]).astype(float)
                for key, value in acc.take(stopped).sums_by_label(after).items():
                    sums[key] = sums[key] - value
            zero_from(total, stopped, stop)
        for tag, child in acc.tagged.items() if tagged is not None else ():
            if tag == UNBUDGETED:
                _add_flow(tagged, tag, _by_year(child, years, stopped, stop))
                continue
            flow = child.total()
            zero_from(flow, stopped, stop)
            _add_flow(tagged, tag, flow)
        out = total if out is None else np.add(out, total, out=out)
    return np.zeros((n_months, groups[0][0].n_trials)) if out is None else out


def _by_year(acc: FlowAccumulator, years: np.ndarray, stopped: np.ndarray,
             stop: np.ndarray) -> np.ndarray:
    """``years @`` the flows of ``acc`` kept before each trial's ``stop`` month
    ``(n_fiscal_years, n)``: projected term by term, the trials that stop (at ``stopped``)
    from their flows formed and cut."""
    from costmodel._kernels import zero_from  # numba: loaded on first use

    out = acc.project(years)
    if stopped.size:
        flows = acc.take(stopped).total()
        zero_from(flows, np.arange(stopped.size), stop[stopped])
        out[:, stopped] = years @ flows
    return out


def _add_incidents(costs: np.ndarray, trials: np.ndarray, risk: RiskBlock, shares: list[float],
                   go_lives: np.ndarray, costs_stop: np.ndarray, phase_stops: list[np.ndarray],
                   sums: dict[str, np.ndarray] | None) -> None:
    """Add the incident costs of the trials at ``trials`` to ``costs`` ``(n_months, k)``:
    only while the project's costs run; times the share deployed when the risk says so.
    ``go_lives`` ``(n_phases, k)`` are those trials' go-lives."""
    n_months = costs.shape[0]
    columns = np.arange(len(trials))
    for incident in risk.incidents:
        when = incident.month[trials]
        amount = incident.cost[trials].copy()
        if incident.scales_with_deployment:
            amount *= _deployed_at(when, shares, go_lives, phase_stops)
        happens = (when < costs_stop) & (amount != 0)
        if not happens.any():
            continue
        costs[when[happens], columns[happens]] += amount[happens]  # one cell per column
        if sums is not None:
            add_sums(sums, incident.category, np.bincount(
                when[happens], weights=amount[happens], minlength=n_months))


def _incidents(costs: np.ndarray, trials: np.ndarray, risk: RiskBlock, stops: _Stops,
               n_phases: int, shares: list[float], go_lives: np.ndarray,
               sums: dict[str, np.ndarray] | None) -> None:
    """Incident costs of the trials at ``trials`` (the columns of ``costs``): they count
    while the project's costs run; the share deployed stops with each group's benefits."""
    if risk.incidents:
        phase_stops = [stops.benefits_base[trials]]
        phase_stops += [stops.benefits_later[trials]] * (n_phases - 1)
        _add_incidents(costs, trials, risk, shares, go_lives[:, trials],
                       stops.costs_base[trials], phase_stops, sums)


def _gate_month(gate: Gate | None, go_lives: np.ndarray, n_months: int) -> np.ndarray | None:
    """The month the gate is held in each trial: ``months_after_pilot`` after the pilot's
    actual go-live, at the latest the month before the second phase's; ``n_months`` where
    that is outside the horizon (or the pilot never goes live within it); ``None``
    without a gate."""
    if gate is None or len(go_lives) < 2:
        return None
    month = np.minimum(go_lives[0] + gate.months_after_pilot, go_lives[1] - 1)
    return np.where((go_lives[0] < n_months) & (month < n_months), month, n_months)


def _months_per_trial(months, default: list[int], n_trials: int) -> np.ndarray:
    """Months per phase and trial ``(n_phases, n_trials)`` from one month per phase (the
    same in every trial) or an array of that shape; ``default`` when ``None``."""
    months = default if months is None else months
    rows = [per_trial(row, n_trials, np.int64) for row in months]
    return np.stack(rows) if rows else np.zeros((0, n_trials), dtype=np.int64)


def _plan_parts(scenario: Scenario, strategy, only: int | str, actual: np.ndarray,
                n_trials: int, adoption: dict, benefits: bool) -> _Parts:
    """The accumulators of a budget plan's part ``only``: a phase, ``"fixed"`` or
    ``"all"``. Adoption is computed only when something scales with it (per-usage costs,
    or benefits when asked)."""
    n_months = scenario.horizon_months
    shares = [p.share for p in strategy.phases]
    if isinstance(only, int):
        phases, first = slice(only, only + 1), only
    else:
        phases, first = slice(0, len(shares) if only == "all" else 0), 0
    needed = benefits or any(c.basis == "per_usage" for c in scenario.costs)
    use = (AdoptionCurves(n_months, n_trials, shares[phases], list(actual[phases]),
                          first_phase=first, **adoption) if needed and shares[phases] else None)
    return _Parts(FlowAccumulator(n_months, n_trials, use), None,
                  FlowAccumulator(n_months, n_trials, use) if benefits else None, None, only)


def _curves(n_months: int, shares: list[float], actual: np.ndarray,
            adoption: dict) -> tuple[AdoptionCurves, AdoptionCurves | None]:
    """The adoption of the pilot (phase 0) and of the later phases (``None`` for a single
    phase) at the go-lives ``actual`` ``(n_phases, n)``; ``adoption``: the curves' draws."""
    n_trials = actual.shape[1]
    base = AdoptionCurves(n_months, n_trials, shares[:1], list(actual[:1]), **adoption)
    later = (AdoptionCurves(n_months, n_trials, shares[1:], list(actual[1:]), first_phase=1,
                            **adoption) if len(shares) > 1 else None)
    return base, later


def _start(scenario: Scenario, strategy_index: int, draws: Draws, go_lives, windows,
           watch: bool, only: int | str | None = None,
           benefits: bool = True) -> tuple[_Parts, _Timing, dict]:
    """The strategy's terms, added up but not yet summed: its parts, its timing and the
    gate's month (``"gate_month"``, when ``watch``). ``only`` (with ``benefits``): a
    budget plan's part, see :func:`planned_flows`."""
    strategy = scenario.strategies[strategy_index]
    n_months, n_trials = scenario.horizon_months, draws.n_trials
    shares = [p.share for p in strategy.phases]
    planned = [p.go_live for p in strategy.phases]
    actual = _months_per_trial(go_lives, planned, n_trials)
    timing = _Timing(n_months, actual, _months_per_trial(windows, planned, n_trials),
                     strategy.lead_time_months)
    where = ("strategies", strategy_index)
    gate_month = _gate_month(strategy.gate, actual, n_months) if watch else None
    if gate_month is not None and not (gate_month < n_months).any():
        gate_month = None
    adoption = {
        "ceiling": draws[("adoption", "ceiling")],
        "months_to_half": draws[("adoption", "months_to_half")],
        "speedup": draws[(*where, "learning", "adoption_speedup")],
    }
    if only is not None:  # a budget plan: costs (and benefits when asked) of one part
        parts = _plan_parts(scenario, strategy, only, actual, n_trials, adoption, benefits)
    else:
        use_base, use_later = _curves(n_months, shares, actual, adoption)
        parts = _Parts(*(FlowAccumulator(n_months, n_trials, use, gate_month)
                         for use in (use_base, use_later, use_base, use_later)))

    funding = scenario.funding
    leases = {name.strip().casefold(): f"lease {k}" for k, lease in enumerate(funding.leases)
              for name in lease.items}
    for index, item in enumerate(scenario.costs):
        if parts.takes(item):
            _add_cost(parts, scenario, strategy_index, draws, index, item, timing,
                      leases.get(item.name.strip().casefold()))
    dip = draws[(*where, "disruption", "productivity_dip")]
    months = strategy.disruption.months
    if months > 0 and only is None:  # the dip is outside the budget: not in its plans
        unit_cost = draws[("organisation", "monthly_cost_per_unit")]
        for p, share in enumerate(shares):
            profile, mask = timing.window(p, months)
            parts.cost_group(p).add(DISRUPTION_CATEGORY, profile,
                                    dip * float(scenario.organisation.units) * share * unit_cost,
                                    tag=UNBUDGETED if funding.budget else None, mask=mask)

    groups = parts.benefit_groups()
    quality = draws[("adoption", "data_quality")]
    for index, item in enumerate(scenario.benefits if groups else ()):
        growth = _step_factor(n_months, draws[("benefits", index, "growth")])
        value = _benefit_value(scenario, draws, index, item.kind) * quality
        for group in groups:
            group.add(item.name, growth, value, scaled_by_use=True)
    return parts, timing, {"gate_month": gate_month, "adoption": adoption}


@dataclass(frozen=True)
class TimedTerms:
    """A strategy's terms as :func:`strategy_cash_flows` added them for a block of trials
    (its parts) and the timing that placed them: the same terms can be priced at other
    go-lives (:meth:`net_present_value`) without being added again."""

    parts: _Parts
    timing: _Timing
    #: the adoption curves' draws (ceiling, months to half, speed-up), per trial
    adoption: dict
    #: each phase's share of the organisation [fraction]
    shares: list[float]
    #: each phase's planned go-live [month]: the lead windows' end by default
    planned: list[int]
    #: the discount rate [per month]
    rate_monthly: float
    #: no gate and no risk event in these trials (the NPV is then a sum of the terms)
    quiet: bool

    def net_present_value(self, go_lives, windows=None) -> np.ndarray | None:
        """:func:`strategy_net_present_value` of the same trials at the go-lives
        ``go_lives`` and lead windows ``windows`` (same forms; default: as planned),
        ``(n_trials,)`` [currency]: each mask's terms timed again by the same kind of
        window for the same phase, the adoption curves made again at the new go-lives.
        ``None`` where the terms cannot be re-timed: a gate or a risk event in these
        trials, a phase whose months were the same in every trial (its terms then carry
        no mask), a term whose profile varies by trial (its mask multiplied in), or a
        phase whose lead window ended with its go-live here (its terms from either month
        on share one mask) but not at the new months."""
        timing = self.timing
        groups = self.parts.groups
        if (not self.quiet or not timing.all_per_trial
                or any(g is not None and g.varies_by_trial for g in groups)):
            return None
        n_trials = timing.go_lives.shape[1]
        other = _Timing(timing.n_months, _months_per_trial(go_lives, self.planned, n_trials),
                        _months_per_trial(windows, self.planned, n_trials), timing.lead_time)
        if any(a and not b for a, b in zip(timing.aligned, other.coincide, strict=True)):
            return None
        base, later = _curves(timing.n_months, self.shares, other.go_lives, self.adoption)
        again = _Parts(*(group.retimed(use, lambda mask: timing.retimed(mask, other))
                         for group, use in zip(groups, (base, later, base, later),
                                               strict=True)))
        return again.net_present_value(discount_factors(self.rate_monthly, timing.n_months))


@dataclass(frozen=True)
class PlannedFlows:
    """A part of a strategy's flows as a budget plan sees them (before risk events and the
    gate; no productivity dip): costs and benefits ``(n_months, n)`` [currency/month] and,
    per lease, the outlays it finances (within ``costs``)."""

    costs: np.ndarray
    benefits: np.ndarray | None
    leased: tuple[np.ndarray, ...]


def planned_flows(scenario: Scenario, strategy_index: int, draws: Draws, part: int | str,
                  go_lives=None, windows=None, benefits: bool = True) -> PlannedFlows:
    """The flows of one ``part`` of strategy ``strategy_index``: a phase (its costs and,
    when ``benefits``, its benefits; go-live and lead window from ``go_lives`` and
    ``windows``), ``"fixed"`` (the cost items that belong to no phase) or ``"all"``
    (every cost). For the budget's deferral rule: before risk events and the gate, and
    without the productivity dip."""
    parts, _, _ = _start(scenario, strategy_index, draws, go_lives, windows, False, part,
                         benefits and part != "fixed")
    costs = parts.costs_base
    leased = tuple(costs.tagged[f"lease {k}"].total() if f"lease {k}" in costs.tagged
                   else None for k in range(len(scenario.funding.leases)))
    benefit = parts.benefits_base.total() if parts.benefits_base is not None else None
    return PlannedFlows(costs.total(), benefit, leased)


def fixed_plan_by_period(scenario: Scenario, strategy_index: int, draws: Draws,
                         periods: np.ndarray) -> np.ndarray | None:
    """``periods @ costs`` of :func:`planned_flows`'s ``"fixed"`` part (the cost items of
    no phase) ``(k, n)`` for ``periods`` ``(k, n_months)`` (fiscal years, say), without
    forming the monthly flows where their terms allow; ``None`` when a lease finances one
    of those items (its payments need the monthly outlays)."""
    parts, _, _ = _start(scenario, strategy_index, draws, None, None, False, "fixed", False)
    costs = parts.costs_base
    if costs.tagged:
        return None
    return costs.project(periods)


def strategy_cash_flows(scenario: Scenario, strategy_index: int, draws: Draws,
                        go_lives=None, windows=None, *, detail: bool = True,
                        terms: bool = False) -> StrategyFlows:
    """Monthly costs and benefits of strategy ``strategy_index`` for the trials in ``draws``.

    ``go_lives`` are the phases' actual go-live months for these trials (after schedule
    slip and a budget's deferral; default: as planned): one month per phase, or an array
    ``(n_phases, n_trials)``. ``windows``: the months the phases' one-time lead windows
    end, in the same forms (default: the planned go-lives; a deferred phase's move with
    it). Risk events and the stage gate come from ``draws``. Returns month-major arrays
    ``(n_months, n_trials)``; see :class:`StrategyFlows`. Without ``detail``, the costs
    and benefits alone (the same values): no sums by category or item, no leased or
    unbudgeted flows, and no flows without a failed gate. ``terms`` (with ``detail``):
    keep the terms (:class:`TimedTerms`), to price them at other go-lives.

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
    where = ("strategies", strategy_index)
    gate = strategy.gate
    parts, timing, extra = _start(scenario, strategy_index, draws, go_lives, windows, True)
    actual = timing.go_lives
    gate_month = extra["gate_month"]
    funding = scenario.funding

    totals = {name: (acc, acc.total()) for name, acc in (
        ("costs_base", parts.costs_base), ("costs_later", parts.costs_later),
        ("benefits_base", parts.benefits_base), ("benefits_later", parts.benefits_later))}
    risk = RiskBlock.of(scenario, draws)
    gate_block = None
    failed = np.zeros(n_trials, dtype=bool)
    if gate_month is not None:
        gate_block = _hold_gate(gate, gate_month, draws, where, parts, totals, risk)
        failed = ~gate_block.passed
    if failed.any() and detail:  # the flows had the rollout gone on: risk events only
        columns = np.flatnonzero(failed)
        without = _without_gate(totals, risk, columns, shares, actual)
        gate_block = replace(gate_block, costs_without=without[0], benefits_without=without[1])
    stops = _Stops.of(risk, failed, gate, gate_month)
    cost_sums: dict[str, np.ndarray] | None = {} if detail else None
    benefit_sums: dict[str, np.ndarray] | None = {} if detail else None
    tagged: dict[str, np.ndarray] | None = {} if detail else None
    years = (fiscal_years(n_months, funding.budget.fiscal_year_start_month)
             if funding.budget else None)
    costs = _kept((totals["costs_base"], totals["costs_later"]),
                  (stops.costs_base, stops.costs_later), None, n_months, cost_sums, tagged,
                  years)
    if funding.budget and risk.incidents:  # incidents are outside the budget: kept apart
        incidents = np.zeros((n_months, n_trials))
        _incidents(incidents, np.arange(n_trials), risk, stops, len(shares), shares, actual,
                   cost_sums)
        costs += incidents
        if detail:
            _add_flow(tagged, UNBUDGETED, years @ incidents)
    else:
        _incidents(costs, np.arange(n_trials), risk, stops, len(shares), shares, actual,
                   cost_sums)
    kept_share = risk.kept_share()
    benefits = _kept((totals["benefits_base"], totals["benefits_later"]),
                     (stops.benefits_base, stops.benefits_later), kept_share, n_months,
                     benefit_sums)

    if not detail:
        return StrategyFlows(costs=costs, benefits=benefits, cost_sums_by_category={},
                             benefit_sums_by_item={}, gate=gate_block,
                             abandoned=risk.abandoned)

    def tagged_flow(tag: str, rows: int = n_months) -> np.ndarray:
        return tagged[tag] if tag in tagged else np.zeros((rows, n_trials))

    kept = (TimedTerms(parts, timing, extra["adoption"], shares,
                       [p.go_live for p in strategy.phases], scenario.rate_monthly,
                       gate is None and risk.quiet) if terms else None)  # with detail only
    return StrategyFlows(costs=costs, benefits=benefits, cost_sums_by_category=cost_sums,
                         benefit_sums_by_item=benefit_sums, gate=gate_block,
                         leased=tuple(tagged_flow(f"lease {k}")
                                      for k in range(len(funding.leases))),
                         unbudgeted=(tagged_flow(UNBUDGETED, years.shape[0])
                                     if funding.budget else None),
                         abandoned=risk.abandoned, terms=kept)


def strategy_net_present_value(scenario: Scenario, strategy_index: int, draws: Draws,
                               go_lives=None, windows=None) -> np.ndarray:
    """Net present value at month 0 of strategy ``strategy_index`` per trial ``(n_trials,)``
    [currency]: the benefits' present value less the costs' of
    :func:`strategy_cash_flows` (same arguments). Where no risk event touches these trials
    and the strategy has no gate, the terms are discounted as they stand
    (:func:`~costmodel.engine.flows.present_value`: the costs and benefits scaled by one
    phase's adoption in one product) without forming the monthly flows; else the flows
    are formed."""
    rate = scenario.rate_monthly
    risk = RiskBlock.of(scenario, draws)
    if scenario.strategies[strategy_index].gate is not None or not risk.quiet:
        flows = strategy_cash_flows(scenario, strategy_index, draws, go_lives, windows,
                                    detail=False)
        pv_costs, pv_benefits = present_values(rate, flows.costs, flows.benefits)
        return pv_benefits - pv_costs
    parts, _, _ = _start(scenario, strategy_index, draws, go_lives, windows, False)
    return parts.net_present_value(discount_factors(rate, scenario.horizon_months))


def _without_gate(totals: dict, risk: RiskBlock, columns: np.ndarray, shares: list[float],
                  go_lives: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Costs and benefits of the trials at ``columns`` had their gate been passed: every
    group, with the risk events only, ``(n_months, len(columns))`` each."""
    n_months = totals["costs_base"][1].shape[0]
    flows = []
    for base, later, stop in (("costs_base", "costs_later", risk.costs_stop),
                              ("benefits_base", "benefits_later", risk.abandoned)):
        flow = np.take(totals[base][1], columns, axis=1)  # faster than [:, columns]
        if not totals[later][0].empty:
            flow += np.take(totals[later][1], columns, axis=1)
        keep = _before(stop[columns], n_months)
        if keep is not None:
            flow *= keep
        flows.append(flow)
    share = risk.kept_share(columns)
    if share is not None:
        flows[1] *= share
    no_gate = _Stops.of(risk, np.zeros(risk.abandoned.size, dtype=bool), None, None)
    _incidents(flows[0], columns, risk, no_gate, len(shares), shares, go_lives, None)
    return flows[0], flows[1]


def _hold_gate(gate: Gate, month: np.ndarray, draws: Draws, where: tuple, parts: _Parts,
               totals: dict, risk: RiskBlock) -> GateBlock:
    """Measure the pilot's run-rate benefit/cost ratio in each trial's gate ``month`` and
    decide (``month >= n_months``: not held)."""
    n_months = parts.costs_base.n_months
    row, columns = np.minimum(month, n_months - 1), np.arange(month.size)
    benefit = totals["benefits_base"][1][row, columns]
    if not totals["benefits_later"][0].empty:
        benefit = benefit + totals["benefits_later"][1][row, columns]
    benefit = benefit * (1.0 - risk.loss_at(month))
    running = parts.costs_base.running + parts.costs_later.running
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(running > 0, benefit / running, np.where(benefit > 0, np.inf, 0.0))
    if gate.noise > 0:
        ratio = ratio * np.exp(gate.noise * np.asarray(draws.get((*where, "gate", "@z"), 0.0)))
    held = (month < n_months) & (risk.abandoned > month)
    passed = ~held | (ratio >= gate.threshold)
    empty = np.zeros((n_months, 0))
    return GateBlock(held=held, passed=passed, ratio=np.where(held, ratio, np.nan),
                     failed=np.flatnonzero(~passed), costs_without=empty, benefits_without=empty)
