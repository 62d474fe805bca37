"""Rollout timing and adoption: deployed share, lead windows, S-curves, Wright learning.

Month-major arrays inside the engine: a time profile has shape ``(n_months,)`` and a
per-trial flow ``(n_months, n_trials)``, so each month is one contiguous row.
See ``docs/methodology.md`` ("The rollout") for the equations.
"""

from __future__ import annotations

import math

import numpy as np

from .trials import per_trial

__all__ = [
    "LOGISTIC_SPAN",
    "AdoptionCurves",
    "common_month",
    "deployed_share",
    "effective_use",
    "lead_window",
    "month_indicator",
    "phase_logistic",
    "wright_multipliers",
    "yearly_indicator",
]

#: Λ(τ) = 1 / (1 + 81 q^τ): the raw logistic starts at 1/82 and is 1/2 at τ = months_to_half.
LOGISTIC_SPAN = 81.0


def lead_window(n_months: int, go_live: int, lead_time: int) -> np.ndarray:
    """Weights spreading a phase's one-time costs over its lead window [fraction/month].

    The window is months ``max(0, go_live - lead_time) … go_live - 1``, or the go-live
    month alone when that is empty. Returns shape ``(n_months,)`` summing to 1.

    Examples
    --------
    >>> lead_window(6, 3, 2)
    array([0. , 0.5, 0.5, 0. , 0. , 0. ])
    >>> lead_window(4, 0, 2)
    array([1., 0., 0., 0.])
    """
    weights = np.zeros(n_months)
    start = max(0, go_live - lead_time)
    if go_live > start:
        weights[start:go_live] = 1.0 / (go_live - start)
    elif go_live < n_months:
        weights[go_live] = 1.0
    return weights


def month_indicator(n_months: int, start: int, stop: int | None = None) -> np.ndarray:
    """1.0 in months ``start … stop - 1`` (to the end when ``stop`` is None), else 0."""
    profile = np.zeros(n_months)
    profile[start:stop] = 1.0
    return profile


def yearly_indicator(n_months: int, start: int) -> np.ndarray:
    """1.0 in months ``start, start + 12, start + 24, …``.

    Examples
    --------
    >>> np.flatnonzero(yearly_indicator(30, 3))
    array([ 3, 15, 27])
    """
    profile = np.zeros(n_months)
    profile[start::12] = 1.0
    return profile


def deployed_share(n_months: int, shares: list[float], go_lives: list[int]) -> np.ndarray:
    """``D(m) = Σ_p share_p · 1[m ≥ go_live_p]``, shape ``(n_months,)`` [fraction]."""
    profile = np.zeros(n_months)
    for share, go_live in zip(shares, go_lives, strict=True):
        profile[go_live:] += share
    return profile


def wright_multipliers(shares: list[float], learning_rate: np.ndarray | float) -> list:
    """Per-phase one-time unit-cost multipliers ``λ_p = (C_p / C_0) ** log2(ρ)``.

    ``C_p`` is the cumulative share through phase ``p``; ``ρ`` the progress ratio
    (per trial or scalar). ``λ_0 = 1``.

    Examples
    --------
    >>> [round(float(x), 4) for x in wright_multipliers([0.25, 0.75], 0.9)]
    [1.0, 0.81]
    """
    exponent = np.log2(learning_rate)
    cumulative = np.cumsum(shares)
    return [np.power(c / cumulative[0], exponent) for c in cumulative]


def effective_use(
    n_months: int,
    n_trials: int,
    shares: list[float],
    go_lives: list,
    ceiling: np.ndarray | float,
    months_to_half: np.ndarray | float,
    speedup: np.ndarray | float,
    first_phase: int = 0,
) -> np.ndarray:
    """``E(m) = Σ_p share_p · a_p(m)``, shape ``(n_months, n_trials)`` [fraction].

    ``a_p`` is the normalised logistic from go-live: 0 at go-live, rising to ``ceiling``,
    with ``months_to_half · speedup ** p`` as phase ``p``'s half-way time; the phases given
    are numbered from ``first_phase``. A go-live is a month (the same in every trial) or
    an array ``(n_trials,)`` of months. Powers of a per-trial factor ``q = 81 ** (-1 / h)``
    are built month by month (a multiply per month instead of an ``exp`` per element), in
    one compiled pass per phase (:func:`costmodel._kernels.add_logistic`); the months
    before a trial's go-live stay exactly 0. :class:`AdoptionCurves` keeps the curves
    unwritten, for a present value.

    Examples
    --------
    >>> use = effective_use(4, 1, [1.0], [1], 1.0, 2.0, 1.0)
    >>> [round(float(x), 4) for x in use[:, 0]]
    [0.0, 0.0, 0.0889, 0.4938]
    >>> use = effective_use(4, 2, [1.0], [np.array([1, 2])], 1.0, 2.0, 1.0)
    >>> [round(float(x), 4) for x in use[:, 1]]
    [0.0, 0.0, 0.0, 0.0889]
    """
    return AdoptionCurves(n_months, n_trials, shares, go_lives, ceiling, months_to_half,
                          speedup, first_phase).array()


class AdoptionCurves:
    """The effective use :func:`effective_use` (same arguments) kept as each phase's curve:
    ``(scale, q)`` of :func:`phase_logistic` and the go-live per trial. Written out by
    :meth:`array` (once) where monthly flows need it; a present value of terms that hold
    through each calendar year needs only :meth:`discounted_by_year`, ``n_years`` numbers
    a trial instead of ``n_months``."""

    def __init__(self, n_months: int, n_trials: int, shares: list[float], go_lives: list,
                 ceiling, months_to_half, speedup, first_phase: int = 0):
        self.n_months, self.n_trials = n_months, n_trials
        #: per phase with months after its earliest go-live: (scale, q, go-lives, earliest)
        self.phases: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]] = []
        for p, (share, go_live) in enumerate(zip(shares, go_lives, strict=True), first_phase):
            months = common_month(go_live)
            first = int(np.min(go_live)) if months is None else months
            if first + 1 >= n_months or n_trials == 0:
                continue
            scale, q = phase_logistic(n_trials, share, p, ceiling, months_to_half, speedup)
            self.phases.append((np.ascontiguousarray(scale), np.ascontiguousarray(q),
                                np.ascontiguousarray(per_trial(go_live, n_trials, np.int64)),
                                first))
        self._array: np.ndarray | None = None

    def array(self) -> np.ndarray:
        """``E(m)``, ``(n_months, n_trials)`` (made once)."""
        if self._array is None:
            from costmodel._kernels import add_logistic  # numba: loaded on first use

            self._array = np.zeros((self.n_months, self.n_trials))
            for scale, q, go_live, first in self.phases:
                add_logistic(self._array, scale, q, go_live, first)
        return self._array

    def discounted_by_year(self, discount: np.ndarray) -> np.ndarray:
        """``Σ_{m in calendar year y} discount[m] · E(m)`` per trial, ``(n_years,
        n_trials)``: the curves summed in one compiled pass per phase, never written out
        (:func:`costmodel._kernels.discounted_logistic`)."""
        from costmodel._kernels import discounted_logistic

        if np.shape(discount) != (self.n_months,):  # the kernel reads a month per factor
            raise ValueError(f"discount has shape {np.shape(discount)}; expected one factor "
                             f"per month, ({self.n_months},)")
        out = np.zeros(((self.n_months + 11) // 12, self.n_trials))
        discount = np.ascontiguousarray(discount, dtype=float)
        for scale, q, go_live, first in self.phases:
            discounted_logistic(out, discount, scale, q, go_live, first)
        return out


def phase_logistic(n_trials: int, share: float, phase: int, ceiling, months_to_half,
                   speedup) -> tuple[np.ndarray, np.ndarray]:
    """Phase ``phase``'s adoption curve per trial, ``(scale, q)``, each ``(n_trials,)``:
    ``a(τ) = scale / (1 + 81 q^τ) - scale / 82`` months ``τ`` after its go-live, where
    ``scale = share · ceiling / (1 - 1/82)`` and ``q = 81 ** (-1 / h)``, ``h`` the phase's
    half-way time ``months_to_half · speedup ** phase`` [months]."""
    ceiling = per_trial(ceiling, n_trials)
    half = per_trial(months_to_half, n_trials)
    speedup = per_trial(speedup, n_trials)
    scale_const = 1.0 / (1.0 - 1.0 / (1.0 + LOGISTIC_SPAN))
    q = np.exp(-math.log(LOGISTIC_SPAN) / (half * speedup**phase))
    return share * scale_const * ceiling, q


def common_month(months) -> int | None:
    """The month itself when ``months`` is one month or the same month in every trial;
    ``None`` when it varies per trial.

    >>> common_month(3), common_month(np.array([2, 2])), common_month(np.array([2, 3]))
    (3, 2, None)
    """
    months = np.asarray(months)
    if months.ndim == 0:
        return int(months)
    if months.size == 0 or (months == months.flat[0]).all():
        return int(months.flat[0]) if months.size else 0
    return None
