"""Discounted cash-flow metrics, vectorised over leading axes.

Plain functions on arrays: net present value, internal rate of return, simple and
discounted payback, return on investment, benefit-cost ratio, peak funding need and total
cost of ownership, plus the conversion between yearly and per-period rates.

Conventions
-----------
- **Shape.** Cash flows have shape ``(..., T)``: periods on the last axis, any number of
  leading (batch) axes, e.g. ``(n_trials, n_months)``. Every metric reduces over the last
  axis and broadcasts over the rest, so its result has shape ``flows.shape[:-1]`` (a numpy
  scalar for a single series).
- **Time.** ``flows[..., t]`` is the net flow at time t, counted in periods from the
  project start, and is discounted by ``(1 + rate)**-t``: ``flows[..., 0]`` is "today" and
  is not discounted.
- **Rates** are fractions (0.08, never 8) *per period* (per month in costmodel), ``> -1``. A
  rate may be a scalar or an array broadcasting against ``flows.shape[:-1]``. Use
  :func:`periodic_rate` to turn a yearly rate into a monthly one and :func:`annualise_rate`
  to report a monthly rate (such as a monthly IRR) per year.
- **Sign.** Net flows carry their sign: costs negative, benefits positive.
  :func:`roi`, :func:`benefit_cost_ratio` and :func:`total_cost_of_ownership` take benefits
  and costs separately, both as positive magnitudes.
- **Undefined results are values**, never exceptions: ``nan`` IRR where no rate in the search
  range makes the NPV zero, ``inf`` payback when the cumulative flow never recovers, ``nan``
  ratios when the present value of the costs is zero. ``nan`` inputs give ``nan`` results.
- **Precision.** Inputs may be any real dtype (float32 included); all arithmetic is float64
  and results are float64.

Warnings
--------
The first value, ``flows[..., 0]``, is at t = 0 and is **not discounted** -- numpy-financial's
convention (``numpy_financial.npv(rate, values)``). Spreadsheet ``NPV`` functions (Excel,
LibreOffice, Google Sheets) discount their first value by one full period; to reproduce a
spreadsheet's ``=NPV(rate, v1, ..., vn)`` prepend a zero: ``npv(rate, [0, v1, ..., vn])``.

Examples
--------
>>> from costmodel import finance
>>> flows = [-1_000.0, 300.0, 400.0, 500.0]          # [currency], t = 0, 1, 2, 3
>>> round(float(finance.npv(0.01, flows)), 2)          # [currency] at 1 % per period
174.44
>>> round(float(finance.irr(flows)), 5)                # [fraction per period]
0.08896
>>> round(float(finance.payback(flows)), 3)            # [periods]
2.6
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "IRR_SEARCH_MAX",
    "IRR_SEARCH_MIN",
    "annualise_rate",
    "benefit_cost_ratio",
    "discounted_payback",
    "irr",
    "npv",
    "payback",
    "peak_funding_need",
    "periodic_rate",
    "roi",
    "total_cost_of_ownership",
]

IRR_SEARCH_MIN = -0.99
"""Lowest per-period rate :func:`irr` searches [fraction per period]."""

IRR_SEARCH_MAX = 10.0
"""Highest per-period rate :func:`irr` searches [fraction per period] (for T <= 193)."""

# IRR search grid: G = 47 nodes evenly spaced in s, with log(1 + rate) = a * sinh(s), so they
# are dense near 0 (0.4-0.7 % per period apart) and sparse towards the ends of the range.
_GRID_DENSITY = 0.02  # a above [log-rate]
_GRID_NODES_BELOW_ZERO = 20
_GRID_NODES_ABOVE_ZERO = 26
# (1 + rate)**(T - 1) must stay finite for the root polynomial; cap it at 1e200.
_MAX_LOG10_GROWTH = 200.0
_IRR_TOLERANCE = 1e-12  # on the last step or the predicted error [fraction per period]
_IRR_MAX_ITERATIONS = 100
_ROWS_PER_CHUNK = 8192  # rows per block: a (T, block) array of 60 months stays in cache


# ---------------------------------------------------------------------------------------
# helpers


def _as_flows(flows: ArrayLike) -> NDArray[np.float64]:
    """Return `flows` as a float64 array with at least one (period) axis."""
    values = np.asarray(flows, dtype=np.float64)
    if values.ndim == 0:
        raise ValueError("flows must have a period axis: shape (..., T), got a scalar")
    return values


def _rows_and_rate(
    rate: ArrayLike, flows: ArrayLike
) -> tuple[NDArray[np.float64], float | NDArray[np.float64], tuple[int, ...]]:
    """Flatten `flows` to ``(n_rows, T)`` and `rate` to a scalar or ``(n_rows,)``.

    Returns the 2-D flows, the rate (a float when it is the same for every row, which lets
    callers use one discount vector) and the batch shape to restore.
    """
    values = _as_flows(flows)
    rates = np.asarray(rate, dtype=np.float64)
    batch_shape = np.broadcast_shapes(rates.shape, values.shape[:-1])
    n_periods = values.shape[-1]
    rows = np.broadcast_to(values, (*batch_shape, n_periods)).reshape(-1, n_periods)
    if rates.size == 0:
        return rows, 0.0, batch_shape
    first = rates.flat[0]
    if rates.ndim == 0 or bool(np.all(rates == first)):
        return rows, float(first), batch_shape
    return rows, np.broadcast_to(rates, batch_shape).reshape(-1), batch_shape


def _shaped(values: NDArray[np.float64], batch_shape: tuple[int, ...]) -> NDArray[np.float64]:
    """Reshape to the batch shape; a 0-d result becomes a numpy scalar."""
    return values.reshape(batch_shape)[()]


def _period_major_blocks(rows: NDArray[np.float64]):
    """Yield ``(block_rows, block)`` over `rows` (n_rows, T) in blocks of rows.

    Each block is a contiguous, period-major ``(T, n)`` copy: small enough to stay in cache,
    and laid out so that one step over periods is one vectorised operation over the rows.
    """
    n_rows = rows.shape[0]
    for start in range(0, n_rows, _ROWS_PER_CHUNK):
        block_rows = slice(start, min(start + _ROWS_PER_CHUNK, n_rows))
        yield block_rows, rows[block_rows].T.copy()  # always a copy: callers write to it


def _cumulate(block: NDArray[np.float64], rate: float | NDArray[np.float64] | None) -> None:
    """In place: ``block[t] <- sum_{s <= t} block[s] * (1 + rate)**-s`` for a (T, n) block.

    `rate` is None (no discounting), one rate, or one rate per column.
    """
    if isinstance(rate, float):
        block *= np.power(1.0 + rate, -np.arange(block.shape[0], dtype=np.float64))[:, None]
    elif rate is not None:
        growth = 1.0 / (1.0 + rate)
        factor = growth.copy()
        for row in block[1:]:
            row *= factor
            factor *= growth
    for before, row in itertools.pairwise(block):  # views: each row sees the updated one
        row += before


def _payback_from_cumulative(cumulative: NDArray[np.float64]) -> NDArray[np.float64]:
    """Fractional period where the cumulative flow first turns non-negative, per column.

    `cumulative` is period-major, shape (T, n).
    """
    n_periods, n_columns = cumulative.shape
    if n_periods == 0:
        return np.zeros(n_columns)
    negative = cumulative < 0.0
    result = np.where(negative.any(axis=0), np.inf, 0.0)
    if n_periods >= 2:
        # crossing[k - 1]: negative at k - 1 and non-negative at k
        crossing = negative[:-1] & ~negative[1:]
        # the first crossing per column (walking back, the earliest one is written last);
        # columns without one keep k = 1 and fail the `found` test below
        k = np.ones(n_columns, dtype=np.intp)
        for period in range(n_periods - 1, 0, -1):
            np.copyto(k, period, where=crossing[period - 1])
        flat = cumulative.ravel()
        at_k = k * n_columns + np.arange(n_columns)
        before, after = flat.take(at_k - n_columns), flat.take(at_k)
        found = (before < 0.0) & (after >= 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            crossed_at = (k - 1) + before / (before - after)
        result = np.where(found, crossed_at, result)
    result[np.isnan(cumulative[-1])] = np.nan
    return result


def _payback_rows(rows: NDArray[np.float64], rate: float | NDArray[np.float64] | None):
    """Payback of every row of ``rows`` (n, T), discounted at `rate` unless it is None."""
    result = np.empty(rows.shape[0])
    for block_rows, block in _period_major_blocks(rows):
        block_rate = rate[block_rows] if isinstance(rate, np.ndarray) else rate
        _cumulate(block, block_rate)
        result[block_rows] = _payback_from_cumulative(block)
    return result


# ---------------------------------------------------------------------------------------
# present value


def npv(rate: ArrayLike, flows: ArrayLike) -> NDArray[np.float64]:
    """Net present value of cash-flow series.

    Parameters
    ----------
    rate : array_like
        Discount rate per period [fraction per period, > -1]; a scalar or an array
        broadcasting against ``flows.shape[:-1]``.
    flows : array_like, shape (..., T)
        Net cash flow in each period, ``flows[..., 0]`` at t = 0 [currency/period].

    Returns
    -------
    ndarray or numpy.float64, shape ``broadcast(rate.shape, flows.shape[:-1])``
        ``sum_t flows[..., t] * (1 + rate)**-t`` [currency at t = 0].

    Notes
    -----
    With one rate for every row this is a single matrix-vector product.
    The first value is not discounted; see the module's Warnings.

    Examples
    --------
    numpy-financial's docstring example (40 000 invested today, returns at the end of
    periods 1 to 4, 8 % per period):

    >>> from costmodel.finance import npv
    >>> round(float(npv(0.08, [-40_000, 5_000, 8_000, 12_000, 30_000])), 5)
    3065.22267

    One rate per row, or one row per rate:

    >>> npv([0.0, 0.1], [[-100.0, 121.0], [-100.0, 121.0]]).round(6).tolist()
    [21.0, 10.0]
    >>> npv([0.0, 0.1], [-100.0, 121.0]).round(6).tolist()
    [21.0, 10.0]
    """
    rows, rate_rows, batch_shape = _rows_and_rate(rate, flows)
    n_periods = rows.shape[-1]
    if isinstance(rate_rows, float):
        factors = np.power(1.0 + rate_rows, -np.arange(n_periods, dtype=np.float64))
        return _shaped(rows @ factors, batch_shape)
    values = np.zeros(rows.shape[0])
    if n_periods == 0:
        return _shaped(values, batch_shape)
    for block_rows, block in _period_major_blocks(rows):
        # Horner in 1 / (1 + rate), one vectorised step per period
        discount = 1.0 / (1.0 + rate_rows[block_rows])
        value = block[-1].copy()
        for row in block[-2::-1]:
            value *= discount
            value += row
        values[block_rows] = value
    return _shaped(values, batch_shape)


# ---------------------------------------------------------------------------------------
# internal rate of return


class _RateGrid:
    """The IRR search grid for series of length T (immutable, cached per T).

    Attributes
    ----------
    rates : ndarray, shape (G,)
        Grid rates [fraction per period], increasing, with 0 exactly at ``zero_index``.
    matrix : ndarray, shape (T, G)
        ``rows @ matrix`` has the sign of the NPV at every grid rate: column g holds
        ``(1 + r_g)**-t`` for ``r_g >= 0`` and ``(1 + r_g)**(T - 1 - t)`` (the NPV times
        ``(1 + r_g)**(T - 1) > 0``) for ``r_g < 0``, so every entry lies in [0, 1].
    to_future_value : ndarray, shape (G,)
        Factor turning a column of ``rows @ matrix`` into the future-value polynomial
        ``sum_t flows[t] * (1 + r)**(T - 1 - t)`` that the Newton steps solve.
    """

    def __init__(self, n_periods: int) -> None:
        max_rate = min(IRR_SEARCH_MAX, 10.0 ** (_MAX_LOG10_GROWTH / max(n_periods - 1, 1)) - 1)
        log_low, log_high = np.log1p(IRR_SEARCH_MIN), np.log1p(max_rate)
        below = np.linspace(np.arcsinh(log_low / _GRID_DENSITY), 0.0, _GRID_NODES_BELOW_ZERO + 1)
        above = np.linspace(0.0, np.arcsinh(log_high / _GRID_DENSITY), _GRID_NODES_ABOVE_ZERO + 1)
        s = np.concatenate([below, above[1:]])
        rates = np.expm1(_GRID_DENSITY * np.sinh(s))
        self.zero_index = _GRID_NODES_BELOW_ZERO
        rates[self.zero_index] = 0.0
        rates[0], rates[-1] = IRR_SEARCH_MIN, max_rate

        log_growth = np.log1p(rates)  # log(1 + r)
        periods = np.arange(n_periods, dtype=np.float64)[:, None]
        exponent = np.where(rates < 0.0, (n_periods - 1) - periods, -periods)
        matrix = np.exp(exponent * log_growth)
        to_future_value = np.where(rates < 0.0, 1.0, np.exp((n_periods - 1) * log_growth))
        for array in (rates, matrix, to_future_value):
            array.flags.writeable = False
        self.rates, self.matrix, self.to_future_value = rates, matrix, to_future_value


@functools.lru_cache(maxsize=16)
def _rate_grid(n_periods: int) -> _RateGrid:
    return _RateGrid(n_periods)


def _solve_in_bracket(rows, points, values, solve):
    """Root of ``sum_t rows[i, t] * y**(T-1-t)`` in each row's bracket.

    Parameters
    ----------
    rows : ndarray, shape (n, T)
        The flows, one series per row.
    points, values : ndarray, shape (3, n)
        Bracket ends (``points[0] < points[1]``, values of opposite sign) and a third
        point next to them, with the polynomial's values there.
    solve : ndarray of bool, shape (n,)
        Rows to solve; the others are left ``nan``.

    Notes
    -----
    Newton steps from the inverse quadratic interpolation of the three points (the
    regula-falsi point of the bracket, or its middle, where that falls outside it),
    falling back to bisection whenever a step would leave the bracket, which shrinks
    around the root as the iterates go. A row is done when its last step, or the error
    predicted for the next iterate from the last two steps (quadratic convergence:
    ``e_next ~ step**2 * step / step_before**2``), is below the tolerance. Compiled, row
    by row (:func:`costmodel._kernels.newton_in_bracket`): a row stops as soon as it is
    done, and blocks run on threads side by side.
    """
    from . import _kernels

    root = np.empty(solve.size)
    _kernels.newton_in_bracket(np.asarray(rows, dtype=float),  # either layout: no copy
                               np.ascontiguousarray(points, dtype=float),
                               np.ascontiguousarray(values, dtype=float),
                               np.ascontiguousarray(solve, dtype=bool),
                               _IRR_MAX_ITERATIONS, _IRR_TOLERANCE, root)
    return root


def _nearest_sign_changes(values, zero):
    """Grid intervals holding the sign changes nearest rate 0, from above and from below.

    `values` (n, G) has the sign of the NPV at every grid rate; node `zero` is rate 0.
    Interval j is [rate_j, rate_j+1]. Returns ``(j_above, found_above, j_below,
    found_below)``, each of shape (n,): the first change at or above 0 and the last change
    below 0.
    """
    negative = values < 0.0
    change = negative[:, 1:] != negative[:, :-1]
    row = np.arange(values.shape[0])
    above = change[:, zero:]
    j_above = above.argmax(axis=1)
    found_above = above[row, j_above]
    below = change[:, :zero][:, ::-1]
    j_below = below.argmax(axis=1)
    found_below = below[row, j_below]
    return j_above + zero, found_above, zero - 1 - j_below, found_below


def _bracket_nodes(values, interval, grid):
    """Points ``y = 1 + rate`` and future values at interval j's ends and a neighbour.

    Returns two arrays of shape (3, n): nodes j, j + 1 and j + 2 (j - 1 at the top end).
    """
    n_nodes = grid.rates.size
    nodes = np.stack([interval, interval + 1, interval + 2])
    nodes[2, nodes[2] >= n_nodes] -= 3
    flat_index = nodes + n_nodes * np.arange(values.shape[0])
    future_values = values.ravel().take(flat_index) * grid.to_future_value.take(nodes)
    return 1.0 + grid.rates.take(nodes), future_values


def _irr_rows(rows: NDArray[np.float64], grid: _RateGrid) -> NDArray[np.float64]:
    """IRR of each row of ``rows`` (n, T); see :func:`irr`."""
    n_rows = rows.shape[0]
    # Pass 1, in blocks of rows that stay in cache: the NPV's sign on the grid (one matrix
    # product) and the brackets nearest 0.
    solve = np.empty(n_rows, dtype=bool)
    points = np.empty((3, n_rows))
    future_values = np.empty((3, n_rows))
    both_sides = []  # (rows, points, future values) of the root below 0, where one is above too
    for start in range(0, n_rows, _ROWS_PER_CHUNK):
        stop = min(start + _ROWS_PER_CHUNK, n_rows)
        chunk = rows[start:stop]
        values = chunk @ grid.matrix
        j_above, found_above, j_below, found_below = _nearest_sign_changes(values, grid.zero_index)
        solve[start:stop] = found_above | found_below
        interval = np.where(found_above, j_above, j_below)
        points[:, start:stop], future_values[:, start:stop] = _bracket_nodes(values, interval, grid)
        both = np.flatnonzero(found_above & found_below)
        if both.size:
            both_sides.append((both + start, *_bracket_nodes(values[both], j_below[both], grid)))

    # Pass 2: Newton on the polynomial sum_t flows[t] * y**(T - 1 - t), y = 1 + rate, for
    # every row: the root from above where there is one, else the one from below.
    y = _solve_in_bracket(rows, points, future_values, solve)
    if both_sides:  # rare: roots on both sides of 0 -- keep the one nearer 0
        both, points_below, values_below = (
            np.concatenate(a, axis=-1) for a in zip(*both_sides, strict=True)
        )
        # solved in place among all rows (gathering rows of a transposed view is slow)
        points[:, both], future_values[:, both] = points_below, values_below
        only = np.zeros(n_rows, dtype=bool)
        only[both] = True
        y_below = _solve_in_bracket(rows, points, future_values, only)[both]
        nearer = np.abs(y_below - 1.0) < np.abs(y[both] - 1.0)
        y[both[nearer]] = y_below[nearer]
    return y - 1.0


def irr(flows: ArrayLike) -> NDArray[np.float64]:
    """Internal rate of return per period: the rate at which the NPV is zero.

    Parameters
    ----------
    flows : array_like, shape (..., T)
        Net cash flow in each period, ``flows[..., 0]`` at t = 0 [currency/period].

    Returns
    -------
    ndarray or numpy.float64, shape ``flows.shape[:-1]``
        IRR [fraction per period]; ``nan`` where it is undefined: the flows never change
        sign, or no rate in [``IRR_SEARCH_MIN``, ``IRR_SEARCH_MAX``] = [-0.99, 10] per
        period makes the NPV change sign. Report it per year with :func:`annualise_rate`.

    Notes
    -----
    **Several roots.** A series whose sign changes more than once can have several IRRs.
    The rule here is numpy-financial's: *the root nearest 0* (on a tie, the positive one).
    For the usual investment shape -- costs first, then benefits -- there is exactly one
    root and no choice to make.

    **Method.** All rows are solved at once, without a per-row loop and without
    ``np.roots``. One matrix product of the flows with a fixed grid of G = 47
    discount-factor vectors gives the sign of the NPV at every grid rate (grid from -0.99 to
    10 per period, evenly spaced in ``asinh(log(1 + r) / 0.02)``: 0.4-0.7 % apart near 0,
    2 % around 10 %, sparser further out). The sign changes nearest 0 on either side of 0
    bracket the candidate roots, which safeguarded Newton steps (bisection whenever a step
    would leave the bracket) refine on ``sum_t flows[t] * (1 + r)**(T - 1 - t)`` -- the NPV
    times a positive factor -- until the error is below 1e-12 per period.

    Two roots closer together than the grid spacing leave no sign change on the grid and
    are not found, nor is a root where the NPV only touches zero; for series longer than
    193 periods the top of the range is lowered so that ``(1 + r)**(T - 1)`` stays below
    1e200.

    Examples
    --------
    Excel's IRR help example (five years of returns on a 70 000 investment):

    >>> from costmodel.finance import irr
    >>> round(float(irr([-70_000, 12_000, 15_000, 18_000, 21_000, 26_000])), 4)
    0.0866

    Two sign changes, two IRRs (10 % and 20 %): the one nearest 0 is returned.

    >>> round(float(irr([-100.0, 230.0, -132.0])), 12)
    0.1

    Rows are solved together; undefined IRRs are ``nan``:

    >>> irr([[-100.0, 39.0, 59.0, 55.0, 20.0], [100.0, 10.0, 10.0, 10.0, 10.0]]).round(5)
    array([0.28095,     nan])
    """
    values = _as_flows(flows)
    n_periods = values.shape[-1]
    rows = values.reshape(-1, n_periods)
    if n_periods < 2 or rows.shape[0] == 0:
        return _shaped(np.full(rows.shape[0], np.nan), values.shape[:-1])
    return _shaped(_irr_rows(rows, _rate_grid(n_periods)), values.shape[:-1])


def annualise_rate(rate_per_period: ArrayLike, periods_per_year: float = 12) -> NDArray[np.float64]:
    """Compound a per-period rate to a yearly rate: ``(1 + r)**periods_per_year - 1``.

    Parameters
    ----------
    rate_per_period : array_like
        Rate per period, e.g. a monthly IRR [fraction per period, >= -1]. ``nan`` stays
        ``nan``.
    periods_per_year : float, default 12
        Periods in a year [periods/year].

    Returns
    -------
    ndarray or numpy.float64
        Equivalent yearly rate [fraction per year].

    Examples
    --------
    >>> from costmodel.finance import annualise_rate
    >>> round(float(annualise_rate(0.01)), 6)
    0.126825
    >>> annualise_rate([0.0, 0.1], periods_per_year=2).round(6).tolist()
    [0.0, 0.21]
    """
    rate = np.asarray(rate_per_period, dtype=np.float64)
    return np.expm1(periods_per_year * np.log1p(rate))[()]


def periodic_rate(rate_annual: ArrayLike, periods_per_year: float = 12) -> NDArray[np.float64]:
    """Per-period rate equivalent to a yearly rate: ``(1 + r)**(1 / periods_per_year) - 1``.

    Parameters
    ----------
    rate_annual : array_like
        Yearly rate, e.g. the cost of capital [fraction per year, >= -1].
    periods_per_year : float, default 12
        Periods in a year [periods/year].

    Returns
    -------
    ndarray or numpy.float64
        Equivalent rate per period [fraction per period]; the inverse of
        :func:`annualise_rate`.

    Examples
    --------
    >>> from costmodel.finance import periodic_rate
    >>> round(float(periodic_rate(0.10)), 8)
    0.00797414
    >>> periodic_rate([0.0, 0.21], periods_per_year=2).round(6).tolist()
    [0.0, 0.1]
    """
    rate = np.asarray(rate_annual, dtype=np.float64)
    return np.expm1(np.log1p(rate) / periods_per_year)[()]


# ---------------------------------------------------------------------------------------
# payback and funding


def payback(flows: ArrayLike) -> NDArray[np.float64]:
    """Simple (undiscounted) payback period.

    Parameters
    ----------
    flows : array_like, shape (..., T)
        Net cash flow in each period, ``flows[..., 0]`` at t = 0 [currency/period].

    Returns
    -------
    ndarray or numpy.float64, shape ``flows.shape[:-1]``
        Payback [periods, fractional]: the point where the cumulative flow *first* turns
        non-negative after being negative, interpolated linearly inside that period; ``0``
        when the cumulative flow is never negative; ``inf`` when it goes negative and never
        turns non-negative within the horizon.

    Notes
    -----
    If the cumulative flow first turns non-negative in period k, the payback is
    ``(k - 1) + (-C[k-1]) / flows[k]`` with ``C`` the cumulative flow: period k's flow is
    taken to accrue evenly between t = k - 1 and t = k.

    Only the first turn counts: a later dip back below zero (a second investment, a
    wind-down cost) does not move the payback -- the common textbook definition. Look at
    the cumulative flow or :func:`peak_funding_need` for that.

    Examples
    --------
    100 invested, 30 back each period: -100, -70, -40, -10, +20, so the payback is
    3 + 10/30 periods.

    >>> from costmodel.finance import payback
    >>> round(float(payback([-100.0, 30.0, 30.0, 30.0, 30.0])), 6)
    3.333333
    >>> payback([[10.0, -5.0], [-100.0, 30.0]]).tolist()
    [0.0, inf]
    """
    values = _as_flows(flows)
    rows = values.reshape(-1, values.shape[-1])
    return _shaped(_payback_rows(rows, None), values.shape[:-1])


def discounted_payback(rate: ArrayLike, flows: ArrayLike) -> NDArray[np.float64]:
    """Discounted payback period: :func:`payback` of the discounted flows.

    Parameters
    ----------
    rate : array_like
        Discount rate per period [fraction per period, > -1]; a scalar or an array
        broadcasting against ``flows.shape[:-1]``.
    flows : array_like, shape (..., T)
        Net cash flow in each period, ``flows[..., 0]`` at t = 0 [currency/period].

    Returns
    -------
    ndarray or numpy.float64, shape ``broadcast(rate.shape, flows.shape[:-1])``
        Payback of ``flows[..., t] * (1 + rate)**-t`` [periods, fractional], with the
        same rules as :func:`payback` (first turn only, ``0`` if never negative, ``inf``
        if never recovered). For costs-then-benefits flows and ``rate >= 0`` it is never
        shorter than the simple payback.

    Examples
    --------
    1 000 invested, 500 back each period, 10 % per period: the discounted returns are
    454.55, 413.22 and 375.66, so the cumulative flow turns positive in period 3.

    >>> from costmodel.finance import discounted_payback
    >>> round(float(discounted_payback(0.10, [-1_000.0, 500.0, 500.0, 500.0])), 4)
    2.352
    >>> discounted_payback([0.0, 0.10], [-1_000.0, 500.0, 500.0]).tolist()
    [2.0, inf]
    """
    rows, rate_rows, batch_shape = _rows_and_rate(rate, flows)
    return _shaped(_payback_rows(rows, rate_rows), batch_shape)


def peak_funding_need(flows: ArrayLike) -> NDArray[np.float64]:
    """Largest cumulative cash shortfall: the cash a project needs before it funds itself.

    Parameters
    ----------
    flows : array_like, shape (..., T)
        Net cash flow in each period, ``flows[..., 0]`` at t = 0 [currency/period].

    Returns
    -------
    ndarray or numpy.float64, shape ``flows.shape[:-1]``
        ``max(0, -min_t C[t])`` with ``C`` the undiscounted cumulative flow [currency];
        ``0`` when the cumulative flow is never negative.

    Examples
    --------
    >>> from costmodel.finance import peak_funding_need
    >>> float(peak_funding_need([-100.0, -50.0, 80.0, -40.0, 200.0]))
    150.0
    >>> peak_funding_need([[5.0, 1.0], [-3.0, 1.0]]).tolist()
    [0.0, 3.0]
    """
    values = _as_flows(flows)
    rows = values.reshape(-1, values.shape[-1])
    result = np.zeros(rows.shape[0])
    if rows.shape[1] > 0:
        for block_rows, block in _period_major_blocks(rows):
            _cumulate(block, None)
            result[block_rows] = np.maximum(0.0, -block.min(axis=0))
    return _shaped(result, values.shape[:-1])


# ---------------------------------------------------------------------------------------
# ratios from benefits and costs


def _present_values(rate: ArrayLike, benefits: ArrayLike, costs: ArrayLike):
    return npv(rate, benefits), npv(rate, costs)


def roi(rate: ArrayLike, benefits: ArrayLike, costs: ArrayLike) -> NDArray[np.float64]:
    """Return on investment on present values: ``(PV benefits - PV costs) / PV costs``.

    Parameters
    ----------
    rate : array_like
        Discount rate per period [fraction per period, > -1]; a scalar or an array
        broadcasting against the batch shape.
    benefits : array_like, shape (..., T)
        Benefits in each period as positive magnitudes, ``[..., 0]`` at t = 0
        [currency/period].
    costs : array_like, shape (..., T)
        Costs in each period as positive magnitudes, ``[..., 0]`` at t = 0
        [currency/period].

    Returns
    -------
    ndarray or numpy.float64, shape ``broadcast(rate, benefits[..., 0], costs[..., 0])``
        ROI [fraction]: 0.25 means the benefits return the costs plus 25 %; ``nan`` where
        the present value of the costs is 0. Equals ``benefit_cost_ratio - 1``.

    Examples
    --------
    >>> from costmodel.finance import roi
    >>> round(float(roi(0.0, [0.0, 60.0, 60.0], [100.0, 0.0, 0.0])), 6)
    0.2
    >>> roi(0.0, [[10.0, 10.0], [10.0, 10.0]], [[5.0, 5.0], [0.0, 0.0]]).tolist()
    [1.0, nan]
    """
    present_benefits, present_costs = _present_values(rate, benefits, costs)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (present_benefits - present_costs) / present_costs
    return np.where(present_costs == 0.0, np.nan, ratio)[()]


def benefit_cost_ratio(
    rate: ArrayLike, benefits: ArrayLike, costs: ArrayLike
) -> NDArray[np.float64]:
    """Benefit-cost ratio on present values: ``PV benefits / PV costs``.

    Parameters
    ----------
    rate : array_like
        Discount rate per period [fraction per period, > -1]; a scalar or an array
        broadcasting against the batch shape.
    benefits : array_like, shape (..., T)
        Benefits in each period as positive magnitudes, ``[..., 0]`` at t = 0
        [currency/period].
    costs : array_like, shape (..., T)
        Costs in each period as positive magnitudes, ``[..., 0]`` at t = 0
        [currency/period].

    Returns
    -------
    ndarray or numpy.float64, shape ``broadcast(rate, benefits[..., 0], costs[..., 0])``
        Benefit-cost ratio [-]; above 1 the project pays its way. ``nan`` where the
        present value of the costs is 0.

    Examples
    --------
    >>> from costmodel.finance import benefit_cost_ratio
    >>> round(float(benefit_cost_ratio(0.0, [0.0, 60.0, 60.0], [100.0, 0.0, 0.0])), 6)
    1.2
    >>> round(float(benefit_cost_ratio(0.10, [0.0, 110.0], [100.0, 0.0])), 12)
    1.0
    """
    present_benefits, present_costs = _present_values(rate, benefits, costs)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = present_benefits / present_costs
    return np.where(present_costs == 0.0, np.nan, ratio)[()]


def total_cost_of_ownership(costs: ArrayLike) -> NDArray[np.float64]:
    """Total cost of ownership: all costs over the horizon, undiscounted.

    Parameters
    ----------
    costs : array_like, shape (..., T)
        Costs in each period as positive magnitudes [currency/period].

    Returns
    -------
    ndarray or numpy.float64, shape ``costs.shape[:-1]``
        ``sum_t costs[..., t]`` [currency].

    Examples
    --------
    >>> from costmodel.finance import total_cost_of_ownership
    >>> float(total_cost_of_ownership([15_000.0, 1_125.0, 1_125.0, 1_125.0]))
    18375.0
    """
    values = _as_flows(costs)
    return values.sum(axis=-1)[()]
