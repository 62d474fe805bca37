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
from .trials import per_trial

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
                month = per_trial(draws[("risks", k, "@month", j)], n, np.int64)

                def impact(name: str, j: int = j, k: int = k) -> np.ndarray:
                    key = ("risks", k, name) if j == 0 else ("risks", k, "@" + name, j)
                    return per_trial(draws.get(key, draws[("risks", k, name)]), n)

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

    @property
    def quiet(self) -> bool:
        """No risk event touches these trials within the horizon (nothing stops, is lost
        or charged)."""
        n = self.n_months
        return ((self.abandoned >= n).all() and (self.costs_stop >= n).all()
                and not any((e.month < n).any() for e in (*self.losses, *self.incidents)))

    def loss_at(self, month: int) -> np.ndarray:
        """Share of benefit lost in ``month``, per trial (capped at 1)."""
        total = np.zeros(self.abandoned.shape)
        for event in self.losses:
            total += np.where((event.month <= month) & (month < event.month + event.months),
                              event.loss, 0.0)
        return np.minimum(total, 1.0)

    def kept_share(self, trials: np.ndarray | None = None) -> np.ndarray | None:
        """Share of benefit kept per month through the benefit losses, ``1 - min(1, Σ
        loss)``, for the trials at ``trials`` (default: all), ``(n_months, k)``; ``None``
        when no loss happens to them within the horizon."""
        if not self.losses:
            return None
        k = self.abandoned.size if trials is None else len(trials)
        pick = (lambda a: a) if trials is None else (lambda a: a[trials])
        if not any((pick(event.month) < self.n_months).any() for event in self.losses):
            return None
        from costmodel._kernels import loss_kept  # numba: loaded on first use

        def stacked(values, dtype):
            return np.ascontiguousarray(np.stack([pick(v) for v in values]), dtype=dtype)

        kept = np.zeros((self.n_months + 1, k))
        loss_kept(stacked([e.month for e in self.losses], np.int64),
                  stacked([e.months for e in self.losses], np.int64),
                  stacked([e.loss for e in self.losses], np.float64), kept)
        return kept[:-1]
