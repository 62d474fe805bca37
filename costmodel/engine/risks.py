"""Risk events of a block of trials: abandonment, benefit losses and incident costs.

The months of the events are drawn once per run (:func:`costmodel.uncertainty.draw`), so
every strategy meets the same events in the same trial (common random numbers); what an
event does depends on the strategy (an incident that scales with the share deployed costs
less while only a pilot is live). See ``docs/methodology.md`` ("Risk events").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario import Scenario
from ..uncertainty import Draws

__all__ = ["Incident", "LossEvent", "RiskBlock"]


@dataclass(frozen=True)
class LossEvent:
    """One occurrence slot of a benefit-loss risk: per trial its month (``n_months`` when
    it does not happen), duration [months, >= 1] and the share of benefit lost."""

    month: np.ndarray
    months: np.ndarray
    loss: np.ndarray


@dataclass(frozen=True)
class Incident:
    """One occurrence slot of a cost risk: per trial its month and cost [currency]."""

    month: np.ndarray
    cost: np.ndarray
    scales_with_deployment: bool
    category: str


def _spans(start: np.ndarray, length: np.ndarray,
           n_months: int) -> tuple[np.ndarray, np.ndarray]:
    """Cells ``(month, trial)`` of months ``start .. start + length - 1`` (within the
    horizon) of every trial, as two index arrays."""
    stop = np.minimum(start + length, n_months)
    counts = np.maximum(stop - np.minimum(start, n_months), 0)
    trials = np.repeat(np.arange(start.size), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(start, counts) + offsets, trials


def _tails(stop: np.ndarray, n_months: int) -> tuple[np.ndarray, np.ndarray]:
    """Cells ``(month, trial)`` from ``stop`` to the end of the horizon, every trial."""
    return _spans(stop, np.full(stop.size, n_months), n_months)


def _per_trial(value, n: int, dtype=float) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=dtype), (n,))


@dataclass(frozen=True)
class RiskBlock:
    """The risk events of a block of ``n`` trials.

    Attributes
    ----------
    abandoned : ndarray of int, shape (n,)
        Month the project is abandoned (benefits stop), ``n_months`` when it is not.
    costs_stop : ndarray of int, shape (n,)
        Month its costs stop (after the wind-down), ``n_months`` when they do not.
    losses : list of LossEvent
    incidents : list of Incident
    """

    n_months: int
    abandoned: np.ndarray
    costs_stop: np.ndarray
    losses: list[LossEvent]
    incidents: list[Incident]

    @classmethod
    def of(cls, scenario: Scenario, draws: Draws) -> RiskBlock:
        n, horizon = draws.n_trials, scenario.horizon_months
        abandoned = np.full(n, horizon, dtype=np.int64)
        costs_stop = np.full(n, horizon, dtype=np.int64)
        losses: list[LossEvent] = []
        incidents: list[Incident] = []
        for k, risk in enumerate(scenario.risks):
            for j in range(draws.occurrences(k)):
                month = _per_trial(draws[("risks", k, "@month", j)], n, np.int64)

                def impact(name: str, j: int = j, k: int = k) -> np.ndarray:
                    key = ("risks", k, name) if j == 0 else ("risks", k, "@" + name, j)
                    return _per_trial(draws.get(key, draws[("risks", k, name)]), n)

                if risk.kind == "abandonment":
                    wind_down = np.rint(impact("wind_down_months")).astype(np.int64)
                    earlier = month < abandoned
                    abandoned = np.where(earlier, month, abandoned)
                    costs_stop = np.where(earlier, np.minimum(month + wind_down, horizon),
                                          costs_stop)
                elif risk.kind == "benefit_loss":
                    months = np.maximum(1, np.ceil(impact("months"))).astype(np.int64)
                    losses.append(LossEvent(month, months, impact("loss")))
                else:
                    incidents.append(Incident(month, impact("cost"),
                                              risk.scales_with_deployment, risk.category))
        return cls(horizon, abandoned, costs_stop, losses, incidents)

    def affected(self) -> np.ndarray:
        """Indices of the trials where some event happens within the horizon."""
        hit = self.abandoned < self.n_months
        for event in (*self.losses, *self.incidents):
            hit = hit | (event.month < self.n_months)
        return np.flatnonzero(hit)

    def cost_cells(self) -> tuple[np.ndarray, np.ndarray]:
        """The (month, trial) cells whose costs an abandonment stops, as two index arrays."""
        return _tails(self.costs_stop, self.n_months)

    def benefit_cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The (month, trial) cells whose benefits the events change, with the share of the
        benefit kept there: 0 after an abandonment, ``1 - min(1, Σ loss)`` in an outage."""
        n_months, n = self.n_months, self.abandoned.size
        keys, values = [], []
        for event in self.losses:
            months, trials = _spans(event.month, event.months, n_months)
            keys.append(months * n + trials)
            values.append(event.loss[trials])
        cells = np.zeros(0, dtype=np.int64)
        keep = np.zeros(0)
        if keys:
            cells, inverse = np.unique(np.concatenate(keys), return_inverse=True)
            lost = np.bincount(inverse, weights=np.concatenate(values), minlength=cells.size)
            keep = 1.0 - np.minimum(lost, 1.0)
            alive = cells // n < self.abandoned[cells % n]  # after abandonment: the tails
            cells, keep = cells[alive], keep[alive]
        months, trials = _tails(self.abandoned, n_months)  # disjoint from the loss cells
        return (np.concatenate([cells // n, months]), np.concatenate([cells % n, trials]),
                np.concatenate([keep, np.zeros(months.size)]))

    def loss_at(self, month: int) -> np.ndarray:
        """Share of benefit lost in ``month``, per trial (capped at 1)."""
        total = np.zeros(self.abandoned.shape)
        for event in self.losses:
            total += np.where((event.month <= month) & (month < event.month + event.months),
                              event.loss, 0.0)
        return np.minimum(total, 1.0)

    def loss_matrix(self, trials: np.ndarray) -> np.ndarray | None:
        """Share of benefit lost per month for the trials at ``trials``, ``(n_months, k)``;
        ``None`` when there is no loss risk."""
        if not self.losses:
            return None
        n_months, k = self.n_months, len(trials)
        steps = np.zeros((n_months + 1, k))
        columns = np.arange(k)
        for event in self.losses:
            start = event.month[trials]
            stop = np.minimum(start + event.months[trials], n_months)
            loss = event.loss[trials]
            # one cell per column in each statement, so plain fancy indexing adds correctly
            steps[np.minimum(start, n_months), columns] += loss
            steps[stop, columns] -= np.where(start < n_months, loss, 0.0)
        return np.minimum(np.cumsum(steps[:-1], axis=0), 1.0)
