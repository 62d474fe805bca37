"""Per-trial metrics computed on month-major blocks ``(n_months, n_trials)``.

The same definitions as :mod:`costmodel.finance` (which is trials-first and is the public
API), computed row by row so that each month is one contiguous pass: a cumulative sum is
``n_months`` row additions, a payback search ``n_months`` cheap row comparisons. The tests
check every function here against its :mod:`costmodel.finance` counterpart.
"""

from __future__ import annotations

import numpy as np

from .. import finance

__all__ = [
    "block_metrics",
    "cumulative_rows",
    "interpolate",
    "order_ranks",
    "payback_rows",
    "present_values",
    "row_percentiles",
]


def cumulative_rows(flows: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Cumulative sum over months of ``flows * weights[:, None]``, shape ``(n_months, n)``.

    Examples
    --------
    >>> cumulative_rows(np.array([[-3.0], [1.0], [2.0]]))[:, 0].tolist()
    [-3.0, -2.0, 0.0]
    """
    out = np.empty_like(flows)
    if weights is None:
        out[0] = flows[0]
        for m in range(1, flows.shape[0]):
            np.add(out[m - 1], flows[m], out=out[m])
    else:
        np.multiply(flows[0], weights[0], out=out[0])
        for m in range(1, flows.shape[0]):
            np.multiply(flows[m], weights[m], out=out[m])
            out[m] += out[m - 1]
    return out


def payback_rows(cumulative: np.ndarray) -> np.ndarray:
    """Payback in fractional months from month-major cumulative flows, shape ``(n,)``.

    The first month ``k`` where the cumulative flow turns non-negative after being
    negative, interpolated: ``(k - 1) + (-S(k-1)) / (S(k) - S(k-1))``; ``0`` when never
    negative; ``inf`` when it never turns non-negative.

    Examples
    --------
    >>> payback_rows(np.array([[-100.0], [-70.0], [-40.0], [-10.0], [20.0]])).tolist()
    [3.3333333333333335]
    """
    n_months, n = cumulative.shape
    negative = cumulative < 0
    result = np.where(negative.any(axis=0), np.inf, 0.0)
    # Walk the months backwards so the earliest crossing is the one left in `month`.
    month = np.zeros(n, dtype=np.intp)
    crossing = np.empty(n, dtype=bool)
    for m in range(n_months - 1, 0, -1):
        np.greater(negative[m - 1], negative[m], out=crossing)  # negative, then not
        np.copyto(month, m, where=crossing)
    found = np.flatnonzero(month)
    before = cumulative[month[found] - 1, found]
    after = cumulative[month[found], found]
    result[found] = (month[found] - 1) + before / (before - after)
    return result


def present_values(rate: float, costs: np.ndarray,
                   benefits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Present values at month 0 of month-major ``costs`` and ``benefits``
    ``(n_months, n)``, each ``(n,)`` [currency]."""
    discount = (1.0 + rate) ** -np.arange(costs.shape[0])
    return (np.einsum("t,tn->n", discount, costs), np.einsum("t,tn->n", discount, benefits))


def block_metrics(rate: float, costs: np.ndarray, benefits: np.ndarray) -> dict[str, np.ndarray]:
    """Every per-trial metric of a block; ``costs``/``benefits`` are ``(n_months, n)``.

    ``rate`` is the monthly discount rate. Returns a dict of ``(n,)`` arrays keyed by
    :data:`costmodel.results.METRIC_NAMES`, plus ``"cumulative"``: the cumulative net cash
    ``(n_months, n)``. The present values, running sums, paybacks and the lowest cash come
    from one compiled pass over the months (:func:`costmodel._kernels.cash_pass`; tested
    against :func:`present_values`, :func:`cumulative_rows` and :func:`payback_rows`), which
    also lays the net cash out trial by trial for the IRR.
    """
    from costmodel._kernels import cash_pass  # numba: loaded on first use

    n_months, n = costs.shape
    discount = (1.0 + rate) ** -np.arange(n_months)
    cumulative = np.empty((n_months, n))
    rows = np.empty((n, n_months))
    per_trial = np.empty((6, n))
    cash_pass(np.ascontiguousarray(costs, dtype=float),
              np.ascontiguousarray(benefits, dtype=float), discount, cumulative, rows, per_trial)
    pv_costs, pv_benefits, lowest, total_cost, payback, discounted_payback = per_trial
    npv = pv_benefits - pv_costs
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(pv_costs > 0, npv / pv_costs, np.nan)
        ratio = np.where(pv_costs > 0, pv_benefits / pv_costs, np.nan)
    return {
        "npv": npv,
        "irr_annual": finance.annualise_rate(finance.irr(rows)),
        "roi": roi,
        "benefit_cost_ratio": ratio,
        "payback_months": payback,
        "discounted_payback_months": discounted_payback,
        "peak_funding_need": np.maximum(0.0, -lowest),
        "total_cost": total_cost,
        "pv_costs": pv_costs,
        "pv_benefits": pv_benefits,
        "cumulative": cumulative,
    }


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


def row_percentiles(store, levels, bins: int = 1024) -> np.ndarray:
    """Exact linear-interpolation percentiles of each row, shape ``(len(levels), n_rows)``.

    ``store`` is an array ``(n_rows, n)`` or a sequence of arrays ``(n_rows, n_i)`` whose
    columns together make the rows (one row is joined at a time, never the whole store).
    Equal to ``np.percentile(store, levels, axis=1)`` (tested) at a fraction of its cost:
    a histogram of each row locates the bins holding the needed order statistics, and only
    the values in those bins are sorted. Rows must be finite.

    Examples
    --------
    >>> x = np.arange(101, dtype=np.float32)[None, :]
    >>> row_percentiles(x, [5, 50, 95])[:, 0].tolist()
    [5.0, 50.0, 95.0]
    >>> row_percentiles([x[:, :40], x[:, 40:]], [5, 50, 95])[:, 0].tolist()
    [5.0, 50.0, 95.0]
    """
    parts = [store] if isinstance(store, np.ndarray) else list(store)
    levels = np.asarray(levels, dtype=float)
    n_rows, n = parts[0].shape[0], sum(part.shape[1] for part in parts)
    low_rank, high_rank, weight = order_ranks(levels, n)
    ranks = np.unique(np.concatenate([low_rank, high_rank]))
    out = np.empty((levels.size, n_rows))
    for r in range(n_rows):
        row = np.concatenate([part[r] for part in parts], dtype=np.float64)
        lo, hi = float(row.min()), float(row.max())
        if not lo < hi:
            out[:, r] = lo
            continue
        index = ((row - lo) * (bins / (hi - lo))).astype(np.intp)
        np.minimum(index, bins - 1, out=index)
        counts = np.bincount(index, minlength=bins)
        ends = np.cumsum(counts)  # ends[b]: number of values in bins 0..b
        needed = np.unique(np.searchsorted(ends, ranks, side="right"))
        wanted = np.zeros(bins, dtype=bool)
        wanted[needed] = True
        chosen = np.sort(row[wanted[index]])
        # rank of each chosen value among all: offset of its bin plus its place inside
        starts = ends[needed] - counts[needed]
        offsets = np.cumsum(np.concatenate([[0], counts[needed][:-1]]))
        bin_of = np.searchsorted(needed, np.searchsorted(ends, ranks, side="right"))
        value_at = {int(k): chosen[offsets[b] + (k - starts[b])]
                    for k, b in zip(ranks, bin_of, strict=True)}
        lows = np.array([value_at[int(k)] for k in low_rank])
        highs = np.array([value_at[int(k)] for k in high_rank])
        out[:, r] = interpolate(lows, highs, weight)
    return out
