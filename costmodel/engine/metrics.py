"""Per-trial metrics computed on month-major blocks ``(n_months, n_trials)``.

The same definitions as :mod:`costmodel.finance` (which is trials-first and is the public
API), computed month by month so that each month is one contiguous pass; the per-trial
metrics of a block in one compiled pass (:func:`costmodel._kernels.cash_pass`). The tests
check them against their :mod:`costmodel.finance` counterparts.
"""

from __future__ import annotations

import numpy as np

from .. import finance

__all__ = [
    "block_metrics",
    "cumulative_rows",
    "discount_factors",
    "interpolate",
    "order_ranks",
    "present_values",
    "row_percentiles",
]


def cumulative_rows(flows: np.ndarray) -> np.ndarray:
    """Cumulative sum over months of month-major ``flows``, shape ``(n_months, n)``.

    Examples
    --------
    >>> cumulative_rows(np.array([[-3.0], [1.0], [2.0]]))[:, 0].tolist()
    [-3.0, -2.0, 0.0]
    """
    out = np.empty_like(flows)
    out[0] = flows[0]
    for m in range(1, flows.shape[0]):
        np.add(out[m - 1], flows[m], out=out[m])
    return out


def discount_factors(rate: float, n_months: int) -> np.ndarray:
    """``(1 + rate) ** -m`` for months ``m = 0 … n_months - 1``, ``rate`` per month: each
    month's factor to month 0 ``(n_months,)``."""
    return (1.0 + rate) ** -np.arange(n_months)


def present_values(rate: float, costs: np.ndarray,
                   benefits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Present values at month 0 of month-major ``costs`` and ``benefits``
    ``(n_months, n)``, each ``(n,)`` [currency]."""
    discount = discount_factors(rate, costs.shape[0])
    return (np.einsum("t,tn->n", discount, costs), np.einsum("t,tn->n", discount, benefits))


def block_metrics(rate: float, costs: np.ndarray, benefits: np.ndarray,
                  period: np.ndarray | None = None,
                  financing: tuple[np.ndarray, float] | None = None) -> dict[str, np.ndarray]:
    """Every per-trial metric of a block; ``costs``/``benefits`` are ``(n_months, n)``.

    ``rate`` is the monthly discount rate. Returns a dict of ``(n,)`` arrays keyed by
    :data:`costmodel.results.METRIC_NAMES`, plus ``"cumulative"``: the cumulative net cash
    ``(n_months, n)``; with ``period`` (each month's period, a fiscal year say: ``0, 0,
    …, 1, 1, …`` ``(n_months,)``), ``"by_period"`` too: the costs (row 0) and benefits
    (row 1) summed by period ``(2, n_periods, n)``, from the running sums at each
    period's end (the same sums up to their rounding); with ``financing`` ``(running,
    threshold)`` (the running sum of financing flows that are the same in every trial,
    ``(n_months,)``, and a cash level), ``"business_lowest"`` and ``"months_below"``: the
    lowest of the cumulative cash plus ``running`` and the months it is below
    ``threshold``. The present values, running sums, paybacks and the lowest cash come
    from one compiled pass over the months (:func:`costmodel._kernels.cash_pass`; tested
    against :mod:`costmodel.finance` and month-by-month array versions), which also writes
    the net cash for the IRR (read as a transposed view, never copied).
    """
    from costmodel._kernels import cash_pass  # numba: loaded on first use

    n_months, n = costs.shape
    discount = discount_factors(rate, n_months)
    cumulative = np.empty((n_months, n))
    net = np.empty((n_months, n))
    per_trial = np.empty((6 if financing is None else 8, n))
    offset, threshold = (np.empty(0), 0.0) if financing is None else financing
    # the months that end a period: the running total cost is kept there
    snapshot = np.full(n_months, -1, dtype=np.int64)
    ends = np.empty(0, dtype=np.int64)
    if period is not None and n_months:
        ends = np.flatnonzero(np.append(np.diff(period) != 0, True))
        snapshot[ends] = np.arange(ends.size)
    costs_to = np.empty((ends.size, n))
    cash_pass(np.ascontiguousarray(costs, dtype=float),
              np.ascontiguousarray(benefits, dtype=float), discount, cumulative, net, per_trial,
              snapshot, costs_to, np.ascontiguousarray(offset, dtype=float), float(threshold))
    pv_costs, pv_benefits, lowest, total_cost, payback, discounted_payback = per_trial[:6]
    npv = pv_benefits - pv_costs
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(pv_costs > 0, npv / pv_costs, np.nan)
        ratio = np.where(pv_costs > 0, pv_benefits / pv_costs, np.nan)
    return {
        "npv": npv,
        "irr_annual": finance.annualise_rate(finance.irr(net.T)),  # a view: no copy
        "roi": roi,
        "benefit_cost_ratio": ratio,
        "payback_months": payback,
        "discounted_payback_months": discounted_payback,
        "peak_funding_need": np.maximum(0.0, -lowest),
        "total_cost": total_cost,
        "pv_costs": pv_costs,
        "pv_benefits": pv_benefits,
        "cumulative": cumulative,
    } | ({"by_period": _by_period(costs_to, cumulative[ends])} if ends.size else {}) | (
        {"business_lowest": per_trial[6], "months_below": per_trial[7]} if financing else {})


def _by_period(costs_to: np.ndarray, net_to: np.ndarray) -> np.ndarray:
    """Costs and benefits summed by period ``(2, n_periods, n)`` from the running total
    cost ``costs_to`` and cumulative net cash ``net_to`` at the end of each period
    ``(n_periods, n)``: their differences from one period's end to the next (benefits =
    net + costs)."""
    out = np.empty((2, *costs_to.shape))
    benefits_to = net_to + costs_to
    for row, running in zip(out, (costs_to, benefits_to), strict=True):
        row[:1] = running[:1]  # the first period: from 0 (x - 0.0 is x)
        np.subtract(running[1:], running[:-1], out=row[1:])
    return out


def order_ranks(levels, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The order statistics linear-interpolation percentiles of ``n`` values need.

    Returns ``(low, high, weight)``, each shaped like ``levels`` [percent]: the 0-based
    ranks just below and above each level's position ``level / 100 * (n - 1)`` and the
    weight of the upper one [fraction, 0-1] (numpy's ``"linear"`` method).

    Examples
    --------
    >>> [a.tolist() for a in order_ranks(np.array([50.0, 95.0]), 11)]
    [[5, 9], [6, 10], [0.0, 0.5]]
    """
    position = np.asarray(levels, dtype=float) / 100.0 * (n - 1)
    low = np.floor(position).astype(np.intp)
    high = np.minimum(low + 1, n - 1)
    return low, high, position - low


def interpolate(lows: np.ndarray, highs: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Between the order statistics ``lows`` and ``highs`` by ``weight`` [fraction, 0-1],
    with numpy's own formula, so the result is bit-identical to ``np.percentile``.

    Examples
    --------
    >>> interpolate(np.array([1.0]), np.array([3.0]), np.array([0.25])).tolist()
    [1.5]
    """
    diff = highs - lows
    return np.where(weight >= 0.5, highs - diff * (1 - weight), lows + diff * weight)


def row_percentiles(store, levels, bins: int | None = None) -> np.ndarray:
    """Exact linear-interpolation percentiles of each row, shape ``(len(levels), n_rows)``.

    ``store`` is an array ``(n_rows, n)`` or a sequence of arrays ``(n_rows, n_i)`` whose
    columns together make the rows (one row is joined at a time, never the whole store).
    Equal to ``np.percentile(store, levels, axis=1)`` (tested) at a fraction of its cost:
    a histogram of each row locates the bins holding the needed order statistics, and only
    the values in those bins are sorted, in compiled code that releases the GIL
    (:func:`costmodel._kernels.order_statistics`), so strategies' bands are computed side
    by side on threads. Rows must be finite. ``bins``: the histogram's bins [count];
    by default a quarter of the row's length, between 1,024 and 8,192 (a long row's bulk
    then falls in fine bins even when a few far values stretch its range, so the bins
    holding the ranks stay small: 100,000 trials' bands 22 -> 18 ms a strategy, more
    where deferral spreads the range).

    Examples
    --------
    >>> x = np.arange(101, dtype=np.float32)[None, :]
    >>> row_percentiles(x, [5, 50, 95])[:, 0].tolist()
    [5.0, 50.0, 95.0]
    >>> row_percentiles([x[:, :40], x[:, 40:]], [5, 50, 95])[:, 0].tolist()
    [5.0, 50.0, 95.0]
    """
    from .._kernels import order_statistics

    parts = [store] if isinstance(store, np.ndarray) else list(store)
    levels = np.asarray(levels, dtype=float)
    n_rows, n = parts[0].shape[0], sum(part.shape[1] for part in parts)
    low_rank, high_rank, weight = order_ranks(levels, n)
    bins = min(max(n // 4, 1024), 8192) if bins is None else bins
    ranks = np.unique(np.concatenate([low_rank, high_rank]))
    at = {int(k): i for i, k in enumerate(ranks)}
    lows, highs = [at[int(k)] for k in low_rank], [at[int(k)] for k in high_rank]
    found = np.empty(ranks.size)
    out = np.empty((levels.size, n_rows))
    for r in range(n_rows):
        row = parts[0][r] if len(parts) == 1 else np.concatenate([part[r] for part in parts])
        order_statistics(row, ranks, bins, found)
        out[:, r] = interpolate(found[lows], found[highs], weight)
    return out
