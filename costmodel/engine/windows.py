"""Per-trial timings as windows of months, applied without forming a mask.

A phase whose month differs from trial to trial (slip, a budget's deferral) times its
terms with a per-trial mask ``(n_months, n_trials)``: 1 from its go-live on, 1 every
twelfth month, or its lead window's weights. Each such mask is a *window*: weight ``w_t``
in the months ``lo_t ≤ m < hi_t`` with ``(m - lo_t) mod every = 0``, else 0. Kept as
those four numbers per trial, a window is applied in one compiled pass
(:mod:`costmodel._kernels`) instead of being written out and multiplied in; :meth:`array`
writes it out where an array is needed (each column equal to the one-month profile of
:mod:`costmodel.engine.rollout` for that trial's month, tested).
"""

from __future__ import annotations

import numpy as np

__all__ = ["TrialWindow"]


class TrialWindow:
    """Weight ``weight[t]`` in months ``lo[t] ≤ m < hi[t]``, every ``every``-th month from
    ``lo[t]``, of ``n_months`` months; 0 elsewhere.

    Examples
    --------
    >>> TrialWindow.yearly(30, np.array([3])).array()[:, 0].nonzero()[0].tolist()
    [3, 15, 27]
    """

    def __init__(self, n_months: int, lo: np.ndarray, hi: np.ndarray, every: int,
                 weight: np.ndarray):
        self.n_months = n_months
        self.lo = np.ascontiguousarray(lo, dtype=np.int64)
        self.hi = np.ascontiguousarray(hi, dtype=np.int64)
        self.every = int(every)
        self.weight = np.ascontiguousarray(weight, dtype=np.float64)
        self._array: np.ndarray | None = None
        self._dense: bool | None = None

    @classmethod
    def step(cls, n_months: int, start: np.ndarray, stop: np.ndarray | None = None):
        """1 in months ``start … stop - 1`` (to the end when ``stop`` is None)."""
        stop = np.full(start.shape, n_months) if stop is None else stop
        return cls(n_months, start, stop, 1, np.ones(start.shape))

    @classmethod
    def yearly(cls, n_months: int, start: np.ndarray):
        """1 in months ``start, start + 12, …``."""
        return cls(n_months, start, np.full(start.shape, n_months), 12, np.ones(start.shape))

    @classmethod
    def lead(cls, n_months: int, go_live: np.ndarray, lead_time: int):
        """The lead window's weights: ``1/L`` in the ``L`` months ``max(0, g - lead_time)
        … g - 1``, or 1 in the go-live month when that is empty."""
        start = np.maximum(0, go_live - lead_time)
        length = go_live - start
        empty = length == 0
        return cls(n_months, np.where(empty, go_live, start),
                   np.where(empty, go_live + 1, go_live), 1,
                   np.where(empty, 1.0, 1.0 / np.maximum(length, 1)))

    def take(self, columns: np.ndarray) -> TrialWindow:
        """The window of the trials at ``columns``."""
        return TrialWindow(self.n_months, self.lo[columns], self.hi[columns], self.every,
                           self.weight[columns])

    @property
    def n_trials(self) -> int:
        return self.lo.size

    @property
    def dense(self) -> bool:
        """Whether the windows cover, on average, more than a quarter of the horizon
        (found once)."""
        if self._dense is None:
            self._dense = False
            if self.every == 1:
                n = self.n_months
                months = (np.minimum(np.maximum(self.hi, 0), n)
                          - np.minimum(np.maximum(self.lo, 0), n))
                self._dense = 4 * int(months.sum()) > n * months.size
        return self._dense

    def array(self) -> np.ndarray:
        """The window written out, ``(n_months, n_trials)`` (made once)."""
        if self._array is None:
            month = np.arange(self.n_months)[:, None]
            inside = (month >= self.lo) & (month < self.hi)
            if self.every > 1:
                inside &= (month - self.lo) % self.every == 0
            self._array = np.where(inside, self.weight, 0.0)
        return self._array

    def at(self, month: np.ndarray) -> np.ndarray:
        """Each trial's weight in its own ``month`` ``(n_trials,)``."""
        inside = (month >= self.lo) & (month < self.hi) & (month < self.n_months)
        if self.every > 1:
            inside &= (month - self.lo) % self.every == 0
        return np.where(inside, self.weight, 0.0)

    def product_add(self, out: np.ndarray, profiles: np.ndarray,
                    coefficients: np.ndarray) -> None:
        """``out += (profiles @ coefficients) ⊙ window``: ``profiles`` ``(n_months, k)``,
        ``coefficients`` ``(k, n_trials)``, ``out`` ``(n_months, n_trials)``."""
        from costmodel import _kernels  # numba: loaded on first use

        # a window over most of the horizon: month by month, rows written in order; a
        # short or yearly one: trial by trial over its months only (same bits either way)
        product_add = (_kernels.window_product_add if self.dense
                       else _kernels.window_product_add_sparse)
        product_add(out, np.ascontiguousarray(profiles), np.ascontiguousarray(coefficients),
                    self.lo, self.hi, self.every, self.weight)

    def weighted_sums(self, coefficients: np.ndarray, keep: np.ndarray | None) -> np.ndarray:
        """``(window ⊙ keep) @ coefficientsᵀ``, ``(n_months, k)``: the sum over trials of
        each coefficient row times the window (times ``keep`` ``(n_months, n_trials)``,
        when given)."""
        from costmodel._kernels import window_weighted_sums

        out = np.zeros((self.n_months, coefficients.shape[0]))
        window_weighted_sums(out, np.ascontiguousarray(coefficients), self.lo, self.hi,
                             self.every, self.weight,
                             np.empty((0, 0)) if keep is None else keep, keep is not None)
        return out

    def present_value(self, discounted: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
        """``Σ_m Σ_k discounted[m, k] · coefficients[k, t] · window[m, t]`` per trial
        ``(n_trials,)``, ``discounted`` the profiles times each month's discount factor."""
        from costmodel._kernels import window_present_value

        out = np.zeros(self.n_trials)
        window_present_value(out, np.ascontiguousarray(discounted),
                             np.ascontiguousarray(coefficients), self.lo, self.hi,
                             self.every, self.weight)
        return out

    def period_sums(self, profiles: np.ndarray, coefficients: np.ndarray,
                    period: np.ndarray, n_periods: int) -> np.ndarray:
        """``Σ_{m in period r} Σ_k profiles[m, k] · coefficients[k, t] · window[m, t]``,
        ``(n_periods, n_trials)``: the window's terms summed by period; ``period``
        ``(n_months,)``: the period (row) of each month, in order."""
        from costmodel._kernels import window_period_sums

        out = np.zeros((n_periods, self.n_trials))
        window_period_sums(out, np.ascontiguousarray(profiles),
                           np.ascontiguousarray(coefficients), self.lo, self.hi, self.every,
                           self.weight, np.ascontiguousarray(period, dtype=np.int64))
        return out
