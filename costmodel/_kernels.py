"""Compiled loops (numba) for the per-trial searches that arrays do badly.

Two searches whose length differs from trial to trial: the IRR's Newton iteration (a row
stops as soon as it has converged) and the budget's deferral rule (the *first* month from
which a phase's spend fits the budget; written over arrays, each step re-priced every
waiting trial, about ten steps a trial in the examples). Here each trial runs on its own
in compiled code that releases the GIL, so blocks run side by side on threads. A leaf
module, imported only when a run needs it (``import costmodel`` does not load numba);
compiled once per machine and cached next to this file. The adoption curve's loops divide
as numpy does (``error_model="numpy"``: IEEE results, no check for a zero divisor on each
division, which they never have), so the compiler runs their divisions in vector lanes: a
third of the time. Not every kernel gains: ``cash_pass`` took twice as long that way
(measured), so the others keep numba's default.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Λ(τ) = 1 / (1 + 81 q^τ) (see :data:`costmodel.engine.rollout.LOGISTIC_SPAN`).
SPAN = 81.0


#: The fewest months the deferral search tries to skip with one :func:`year_floor`: a
#: floor costs about as much as pricing that many candidates one year each (the invoice
#: example's pilot, which waits three months for its fiscal year: 1.90 vs 1.62 ms a block
#: of 8,192 trials, measured; the same go-lives).
MIN_SKIP = 4


#: Trials whose cumulative adoption curves are built together (month by month, the trials
#: side by side, so the divisions run in vector lanes): a tile of curves stays in cache.
TILE = 64


@njit(cache=True, nogil=True, error_model="numpy")
def use_cumulative(scale, q, first, count, n_months, out):
    """``out[t, j] = Σ_{τ<t} a(τ)`` of trial ``first + j`` (``j < count``), ``a(τ) =
    scale/(1 + 81 q^τ) - scale/82`` (0 at τ = 0), for ``t = 0 … n_months``: the powers
    built by repeated multiplication, as :func:`~costmodel.engine.rollout.effective_use`
    builds them. Month by month with the trials side by side; each trial's operations
    are its own, in its own order."""
    # the tile's own copies of scale and q: arrays the compiler knows ``out`` does not
    # overlap, so the month's loop runs in vector lanes (0.54 vs 0.22 ms a block, measured)
    own_scale = scale[first:first + count].copy()
    own_q = q[first:first + count].copy()
    power = np.empty(count)
    offset = np.empty(count)
    running = np.zeros(count)  # out[t]: reading the row back was slower (0.65 vs 0.50 ms)
    for j in range(count):
        power[j] = SPAN
        offset[j] = own_scale[j] / (1.0 + SPAN)
        out[0, j] = 0.0
        if n_months > 0:
            out[1, j] = 0.0
    for t in range(1, n_months):
        row = out[t + 1]
        for j in range(count):
            power[j] *= own_q[j]
            running[j] += own_scale[j] / (power[j] + 1.0) - offset[j]
            row[j] = running[j]


@njit(cache=True, nogil=True)
def year_bounds(segments, n_fiscal):
    """``bounds[y] … bounds[y + 1]``: the rows of ``segments`` (ordered by month) that
    belong to fiscal year ``y``."""
    bounds = np.zeros(n_fiscal + 1, dtype=np.int64)
    for s in range(segments.shape[0]):
        bounds[segments[s, 2] + 1] = s + 1
    for y in range(1, n_fiscal + 1):
        bounds[y] = max(bounds[y], bounds[y - 1])
    return bounds


@njit(cache=True, nogil=True, inline="always")
def year_spend(i, y, go_live, window, step, yearly, lead, use, ucum, column, segments,
               bounds, fiscal, n_months, lead_time, annuity, lease_term):
    """The spend of trial ``i``'s phase in fiscal year ``y`` [currency], for a go-live
    month ``go_live`` and a lead window ending in month ``window``.

    ``step``, ``yearly``: ``(2, n_years, n)`` per-calendar-year coefficients of the terms
    anchored at the go-live (row 0) and at the window's end (row 1), or
    ``(1, n_years, n)`` where the two coincide (one row for both); ``lead``
    ``(1 + n_leases, n_years, n)``: one-time costs paid at once (row 0) or through lease
    ``l`` (row ``1 + l``); ``use`` ``(n_years, n)`` with ``ucum[:, column]`` the trial's
    cumulative adoption curve (:func:`use_cumulative`); ``segments`` ``(n_segments, 4)``:
    first month, end, fiscal year and calendar year of each part of a fiscal year within
    one calendar year (never across one: a yearly cost then falls at most once in a
    segment), year ``y``'s at rows ``bounds[y] … bounds[y + 1]``; ``fiscal``
    ``(n_fiscal_years, 2)``: first month and end of each fiscal year. Exactly 0 in a
    year that ends before ``min(go_live, window, window - lead_time)`` (no term reaches
    it).
    """
    total = 0.0
    start = max(0, window - lead_time)
    length = window - start
    for s in range(bounds[y], bounds[y + 1]):
        b, e, year = segments[s, 0], segments[s, 1], segments[s, 3]
        for k in range(step.shape[0]):
            a = go_live if k == 0 else window
            lo = max(b, a)
            if lo < e:
                total += step[k, year, i] * (e - lo)
                amount = yearly[k, year, i]
                # a segment lies within a calendar year: the month a + 12j >= lo, if
                # before its end, is the only one in it
                if amount != 0.0 and a + ((lo - a + 11) // 12) * 12 < e:
                    total += amount
        if e > go_live:
            lo = max(b, go_live)
            total += use[year, i] * (ucum[e - go_live, column] - ucum[lo - go_live, column])
        if length > 0:
            lo, hi = max(b, start), min(e, window)
            if lo < hi:
                total += lead[0, year, i] * (hi - lo) / length
        elif b <= window < e:
            total += lead[0, year, i]
    for lease in range(lead.shape[0] - 1):  # an outlay in month j: payments in j+1 … j+N
        factor, term = annuity[lease], lease_term[lease]
        weight = 1.0 / length if length > 0 else 1.0
        last_month = window if length > 0 else window + 1
        for j in range(start, min(last_month, n_months)):
            amount = lead[1 + lease, j // 12, i] * weight * factor
            if amount == 0.0:
                continue
            p0, p1 = j + 1, min(j + term + 1, n_months)
            overlap = min(p1, fiscal[y, 1]) - max(p0, fiscal[y, 0])
            if overlap > 0:
                total += amount * overlap
    return total


@njit(cache=True, nogil=True, inline="always")
def _lead_share(window, b, e, lead_time):
    """The share of a one-time cost spread over the lead window ending in ``window`` that
    falls in months ``b … e``; as a function of ``window`` it rises, holds and falls, so
    over a range of windows its least value is at one end."""
    start = max(0, window - lead_time)
    length = window - start
    if length > 0:
        return max(0, min(e, window) - max(b, start)) / length
    return 1.0 if b <= window < e else 0.0


@njit(cache=True, nogil=True)
def year_floor(i, y, first, last, shift, step, yearly, lead, use, ucum, column, segments,
               bounds, n_months, lead_time):
    """A lower bound of :func:`year_spend` in fiscal year ``y`` over every go-live from
    ``first`` to ``last`` (the window ``shift`` months after it), and the size of its parts
    (the sum of their absolute values, to allow for rounding); ``-inf`` where a lease
    term could lower the spend. Each term's least value over the range is at one end of
    it: the months of a running cost and the adoption summed within the year fall as the
    anchor moves later (the curve rises from 0), and a lead window's share of a year
    rises, holds and falls; a yearly cost may land outside the year (0). The one-time
    costs are bounded two ways and the larger bound kept: part by part of the year (each
    calendar year's amount times its share's least value), and over the whole fiscal
    year (the least amount times the least share of the whole year), which holds a
    build that lands in the year wherever its window ends, though not in the same
    calendar year."""
    for row in range(1, lead.shape[0]):
        for year in range(lead.shape[1]):
            if lead[row, year, i] < 0.0:
                return -np.inf, 0.0
    floor, size, parts, least = 0.0, 0.0, 0.0, np.inf
    for s in range(bounds[y], bounds[y + 1]):
        b, e, year = segments[s, 0], segments[s, 1], segments[s, 3]
        for k in range(step.shape[0]):
            early = first if k == 0 else first + shift
            late = last if k == 0 else last + shift
            amount = step[k, year, i]
            months = e - max(b, late if amount > 0.0 else early)
            if months > 0:
                floor += amount * months
                size += abs(amount) * months
            amount = yearly[k, year, i]
            if amount < 0.0:  # at most one month a year within a segment of a calendar year
                floor += amount
                size -= amount
        amount = use[year, i]
        go_live = last if amount > 0.0 else first
        if amount != 0.0 and e > go_live:
            lo = max(b, go_live)
            floor += amount * (ucum[e - go_live, column] - ucum[lo - go_live, column])
            size += abs(amount) * ucum[n_months, column]
        amount = lead[0, year, i]
        if amount > 0.0:
            parts += amount * min(_lead_share(first + shift, b, e, lead_time),
                                  _lead_share(last + shift, b, e, lead_time))
        elif amount < 0.0:
            parts += amount
        least = min(least, amount)
        size += abs(amount)
    whole = 0.0
    if least > 0.0 and bounds[y + 1] > bounds[y]:
        b, e = segments[bounds[y], 0], segments[bounds[y + 1] - 1, 1]
        whole = least * min(_lead_share(first + shift, b, e, lead_time),
                            _lead_share(last + shift, b, e, lead_time))
    return floor + max(parts, whole), size


@njit(cache=True, nogil=True)
def evaluate(go_lives, windows, step, yearly, lead, use, scale, q, segments, fiscal,
             n_months, lead_time, annuity, lease_term, out):
    """:func:`year_spend` of every fiscal year for every trial at its given go-live and
    window: ``out`` ``(n_fiscal_years, n)``."""
    n_fiscal = fiscal.shape[0]
    bounds = year_bounds(segments, n_fiscal)
    ucum = np.empty((n_months + 1, TILE))
    for first in range(0, go_lives.size, TILE):
        count = min(TILE, go_lives.size - first)
        use_cumulative(scale, q, first, count, n_months, ucum)
        for j in range(count):
            i = first + j
            for y in range(n_fiscal):
                out[y, i] = year_spend(i, y, go_lives[i], windows[i], step, yearly, lead,
                                       use, ucum, j, segments, bounds, fiscal, n_months,
                                       lead_time, annuity, lease_term)


@njit(cache=True, nogil=True)
def first_fit(start, shift, stopped, committed, cap, tolerance, never, step, yearly, lead,
              use, scale, q, segments, fiscal, n_months, lead_time, annuity, lease_term,
              go_out, window_out, spend_out):
    """The deferral rule's search (terms from :mod:`costmodel.engine.phase_budget`). Per
    trial, the first go-live from ``start`` (up to the last month of the horizon)
    at which the phase's spend fits: in every fiscal year, either it spends nothing
    (``<= tolerance``) or the ``committed`` spend plus its own stays within ``cap +
    tolerance``. The lead window ends ``shift`` months after the go-live. Writes the
    go-live (``n_months`` and window ``never`` where no month fits, or the trial is
    ``stopped``), the window's end and the phase's spend by fiscal year (0 where not
    started).

    A candidate's years are priced one at a time and the candidate dropped at the first
    that breaks; the year the candidate before it broke goes first (a phase that waits
    usually waits on the same year, month after month), and years that end before the
    phase's first month of spend are 0 without pricing. When a candidate breaks a year,
    the months after it whose lead window still ends in that year (at least
    :data:`MIN_SKIP` of them) are skipped if :func:`year_floor` over all of them breaks it
    too (a phase whose build cannot fit this year waits for the next without being
    priced every month)."""
    n_fiscal = fiscal.shape[0]
    bounds = year_bounds(segments, n_fiscal)
    ucum = np.empty((n_months + 1, TILE))
    spend = np.empty(n_fiscal)
    limit = cap + tolerance
    for first in range(0, start.size, TILE):
        count = min(TILE, start.size - first)
        use_cumulative(scale, q, first, count, n_months, ucum)
        for j in range(count):
            i = first + j
            go_out[i], window_out[i] = n_months, never
            spend_out[:, i] = 0.0
            if stopped[i]:
                continue
            month = start[i]
            failed = -1  # the fiscal year the last candidate broke: tried first
            tried = -1  # the year whose months were last tried to skip
            while True:
                window = month + shift[i]
                fits, first_year, first_value = True, failed, 0.0
                if failed >= 0:
                    first_value = year_spend(i, failed, month, window, step, yearly, lead,
                                             use, ucum, j, segments, bounds, fiscal,
                                             n_months, lead_time, annuity, lease_term)
                    fits = not (first_value > tolerance
                                and committed[failed, i] + first_value > limit)
                if fits:
                    earliest = min(month, window, max(0, window - lead_time))
                    for y in range(n_fiscal):
                        value = 0.0
                        if y == first_year:  # priced above
                            value = first_value
                        elif fiscal[y, 1] > earliest:
                            value = year_spend(i, y, month, window, step, yearly, lead, use,
                                               ucum, j, segments, bounds, fiscal, n_months,
                                               lead_time, annuity, lease_term)
                        spend[y] = value
                        if value > tolerance and committed[y, i] + value > limit:
                            fits, failed = False, y
                            break
                if fits:
                    go_out[i], window_out[i] = month, window
                    spend_out[:, i] = spend
                    break
                if failed != tried:  # skip the months whose window still ends in that year
                    tried = failed
                    last = min(fiscal[failed, 1] - shift[i], n_months - 1)
                    if last - month >= MIN_SKIP:
                        floor, size = year_floor(i, failed, month + 1, last, shift[i], step,
                                                 yearly, lead, use, ucum, j, segments,
                                                 bounds, n_months, lead_time)
                        floor -= 1e-12 * size
                        if floor > tolerance and committed[failed, i] + floor > limit:
                            month, tried = last, -1
                month += 1
                if month >= n_months:
                    break


@njit(cache=True, nogil=True, inline="always")
def _horner4(a, b, c, d, ya, yb, yc, yd):
    """``Σ_t row[t] · y^(T-1-t)`` and its derivative for four rows at once: four
    independent chains, so the processor overlaps them (each chain alone waits on its
    previous multiply-add)."""
    va, vb, vc, vd = a[0], b[0], c[0], d[0]
    sa = sb = sc = sd = 0.0
    for t in range(1, a.size):
        sa = sa * ya + va
        va = va * ya + a[t]
        sb = sb * yb + vb
        vb = vb * yb + b[t]
        sc = sc * yc + vc
        vc = vc * yc + c[t]
        sd = sd * yd + vd
        vd = vd * yd + d[t]
    return va, vb, vc, vd, sa, sb, sc, sd


@njit(cache=True, nogil=True, error_model="numpy")
def newton_in_bracket(rows, points, values, solve, max_iterations, tolerance, out):
    """Root of ``Σ_t rows[i, t] · y^(T-1-t)`` in each row's bracket, into ``out`` (``nan``
    where not ``solve``): :func:`costmodel.finance._solve_in_bracket`'s iteration, row by
    row (the same start, steps, bisection fallback and stopping rule). Rows go four at a
    time in lock step, each stopping when it is done; the arithmetic of each row is its own,
    so the results do not depend on the grouping."""
    todo = np.flatnonzero(solve)
    out[:] = np.nan
    count = todo.size
    y = np.empty(count)
    low, high = np.empty(count), np.empty(count)
    low_is_negative = np.empty(count, dtype=np.bool_)
    step_before = np.full(count, np.nan)
    active = np.ones(count, dtype=np.bool_)
    for k in range(count):
        i = todo[k]
        a, b, c = points[0, i], points[1, i], points[2, i]
        fa, fb, fc = values[0, i], values[1, i], values[2, i]
        low[k], high[k], low_is_negative[k] = a, b, fa < 0.0
        start = (a * fb * fc / ((fa - fb) * (fa - fc)) + b * fa * fc / ((fb - fa) * (fb - fc))
                 + c * fa * fb / ((fc - fa) * (fc - fb)))
        if not (a <= start <= b):
            start = a - fa * (b - a) / (fb - fa)
            if not (a <= start <= b):
                start = 0.5 * (a + b)
        y[k] = start
    value, slope = np.empty(4), np.empty(4)
    for first in range(0, count, 4):
        lanes = min(4, count - first)
        # a lane past the end repeats the group's last row (its results are not used)
        k0, k1 = first, first + min(1, lanes - 1)
        k2, k3 = first + min(2, lanes - 1), first + min(3, lanes - 1)
        for _ in range(max_iterations):
            (value[0], value[1], value[2], value[3], slope[0], slope[1], slope[2],
             slope[3]) = _horner4(rows[todo[k0]], rows[todo[k1]], rows[todo[k2]],
                                  rows[todo[k3]], y[k0], y[k1], y[k2], y[k3])
            busy = False
            for j in range(lanes):
                k = first + j
                if not active[k]:
                    continue
                if (value[j] < 0.0) == low_is_negative[k]:
                    low[k] = y[k]
                else:
                    high[k] = y[k]
                newton_step = value[j] / slope[j]
                step = abs(newton_step)
                y_next = y[k] - newton_step
                bisect = not (low[k] <= y_next <= high[k])
                if bisect:
                    y_next = 0.5 * (low[k] + high[k])
                exact = value[j] == 0.0
                if exact:
                    y_next = y[k]
                predicted = step * step * (step / (step_before[k] * step_before[k]))
                if (exact or step <= tolerance
                        or (predicted <= 0.1 * tolerance and step < 1e-4 and not bisect)
                        or high[k] - low[k] <= tolerance):
                    out[todo[k]] = y_next
                    active[k] = False
                    continue
                busy = True
                y[k] = y_next
                step_before[k] = np.nan if bisect else step
            if not busy:
                break
        for k in range(first, first + lanes):
            if active[k]:
                out[todo[k]] = y[k]


@njit(cache=True, nogil=True, error_model="numpy")
def add_logistic(use, scale, q, go_live, first):
    """Add one phase's adoption ``a(τ) = scale/(1 + 81 q^τ) - scale/82`` to ``use``
    ``(n_months, n)`` in the months after each trial's ``go_live`` (from ``first + 1``,
    ``first`` the earliest go-live): :func:`costmodel.engine.rollout.effective_use`'s
    recurrence (a multiply per month, the same operations in the same order) fused into
    one pass, the months before a trial's go-live left untouched (their value is 0)."""
    n_months, n = use.shape
    power = np.empty(n)
    offset = np.empty(n)
    for t in range(n):
        power[t] = SPAN
        offset[t] = scale[t] / (1.0 + SPAN)
    for month in range(first + 1, n_months):
        row = use[month]
        for t in range(n):
            if go_live[t] < month:
                power[t] *= q[t]
                row[t] += scale[t] / (power[t] + 1.0) - offset[t]


@njit(cache=True, nogil=True, error_model="numpy")
def discounted_logistic(out, discount, scale, q, go_live, first):
    """Add ``Σ_{m in calendar year y} discount[m] · a(m - go_live)`` of one phase's
    adoption (:func:`add_logistic`'s curve, the same operations per month) to ``out[y]``
    ``(n_years, n)``: its present value by calendar year, the curve never written out.
    Tiles of trials, month by month with the trials side by side (vector lanes)."""
    n = go_live.size
    n_months = discount.size
    power = np.empty(TILE)
    offset = np.empty(TILE)
    own_scale = np.empty(TILE)
    own_q = np.empty(TILE)
    live_from = np.empty(TILE, dtype=np.int64)
    year = np.empty(TILE)
    for start in range(0, n, TILE):
        count = min(TILE, n - start)
        for j in range(count):
            own_scale[j], own_q[j] = scale[start + j], q[start + j]
            live_from[j] = go_live[start + j]
            power[j] = SPAN
            offset[j] = own_scale[j] / (1.0 + SPAN)
            year[j] = 0.0
        for month in range(first + 1, n_months):
            weight = discount[month]
            for j in range(count):
                live = live_from[j] < month
                advanced = power[j] * own_q[j]
                power[j] = advanced if live else power[j]
                value = own_scale[j] / (advanced + 1.0) - offset[j]
                year[j] += weight * value if live else 0.0
            if month % 12 == 11 or month == n_months - 1:
                row = out[month // 12]
                for j in range(count):
                    row[start + j] += year[j]
                    year[j] = 0.0


@njit(cache=True, nogil=True)
def loss_kept(starts, lengths, losses, steps):
    """Share of benefit kept, ``1 - min(1, Σ loss)``, per month and trial, for loss
    events ``(n_events, n)`` starting in month ``starts`` and lasting ``lengths`` months,
    written over ``steps`` ``(n_months + 1, n)`` (zeros on entry; its first ``n_months``
    rows are the result): the steps (``+loss`` at the start, ``-loss`` at the end) summed
    month by month, as :meth:`costmodel.engine.risks.RiskBlock.kept_share` summed them over
    arrays (the same additions in the same order)."""
    n_events, n = starts.shape
    n_months = steps.shape[0] - 1
    for e in range(n_events):
        for t in range(n):
            start = starts[e, t]
            stop = min(start + lengths[e, t], n_months)
            steps[min(start, n_months), t] += losses[e, t]
            steps[stop, t] -= losses[e, t] if start < n_months else 0.0
    running = np.zeros(n)
    for m in range(n_months):
        row = steps[m]
        for t in range(n):
            running[t] = row[t] if m == 0 else running[t] + row[t]
            row[t] = 1.0 - min(running[t], 1.0)


@njit(cache=True, nogil=True)
def _window_months(lo, hi, every, n_months):
    """The first month, end and step of a window ``lo ≤ m < hi``, every ``every``-th from
    ``lo``, within ``0 … n_months - 1``."""
    first = max(lo, 0)
    if every > 1 and first > lo:
        first = lo + ((first - lo + every - 1) // every) * every
    return first, min(hi, n_months), every


@njit(cache=True, nogil=True)
def window_product_add(out, profiles, coefficients, lo, hi, every, weight):
    """``out[m, t] += weight[t] · Σ_k profiles[m, k] · coefficients[k, t]`` in each trial's
    window (months ``lo[t] ≤ m < hi[t]``, every ``every``-th from ``lo[t]``): a product
    restricted to a per-trial window (:class:`costmodel.engine.windows.TrialWindow`), in
    one pass over ``out``, month by month (its rows written in order). Each month's
    product is formed for every trial, term by term (the same additions in the same
    order), and added where the window is open: loops without branches, in vector
    lanes. One or two terms (most windows) in a single pass over the row, with no
    product array (the same sums: only a zero's sign may differ)."""
    n_months, n = out.shape
    n_terms = profiles.shape[1]
    if n == 0:
        return
    first, last = lo.min(), hi.max()
    value = np.empty(n)
    for m in range(max(first, 0), min(last, n_months)):
        row, profile = out[m], profiles[m]
        if every == 1 and n_terms == 1:
            f0, c0 = profile[0], coefficients[0]
            for t in range(n):
                row[t] += (f0 * c0[t]) * weight[t] if lo[t] <= m < hi[t] else 0.0
            continue
        if every == 1 and n_terms == 2:
            f0, f1, c0, c1 = profile[0], profile[1], coefficients[0], coefficients[1]
            for t in range(n):
                row[t] += (f0 * c0[t] + f1 * c1[t]) * weight[t] if lo[t] <= m < hi[t] else 0.0
            continue
        value[:] = 0.0
        for k in range(n_terms):
            factor, coefficient = profile[k], coefficients[k]
            for t in range(n):
                value[t] += factor * coefficient[t]
        if every == 1:
            for t in range(n):
                row[t] += value[t] * weight[t] if lo[t] <= m < hi[t] else 0.0
        else:
            for t in range(n):
                if lo[t] <= m < hi[t] and (m - lo[t]) % every == 0:
                    row[t] += value[t] * weight[t]


@njit(cache=True, nogil=True)
def window_product_add_sparse(out, profiles, coefficients, lo, hi, every, weight):
    """:func:`window_product_add` trial by trial over each window's months only: the
    faster way for short or yearly windows (the same additions, so the same bits)."""
    n_months, n = out.shape
    n_terms = profiles.shape[1]
    for t in range(n):
        first, end, step = _window_months(lo[t], hi[t], every, n_months)
        for m in range(first, end, step):
            value = 0.0
            for k in range(n_terms):
                value += profiles[m, k] * coefficients[k, t]
            out[m, t] += value * weight[t]


@njit(cache=True, nogil=True)
def window_weighted_sums(out, coefficients, lo, hi, every, weight, keep, has_keep):
    """``out[m, k] += Σ_t window[m, t] · keep[m, t] · coefficients[k, t]`` (``keep``
    only when ``has_keep``), ``out`` ``(n_months, k)``: trial by trial over the window's
    months only, each cell summed in trial order; without ``keep``, a window of every
    month as running sums of its steps (the same sums up to rounding)."""
    n_months, n_terms = out.shape
    n = coefficients.shape[1]
    if every == 1 and not has_keep:
        # each trial adds its terms from its window's first month to its end: a step up
        # and a step down, summed month by month (O(n + n_months), not O(n · n_months))
        # (``open`` counts the windows open in a month: where none is, the sum is 0
        # exactly, not the rounding left over from the steps up and down)
        steps = np.zeros((n_months + 1, n_terms))
        open_steps = np.zeros(n_months + 1, dtype=np.int64)
        for t in range(n):
            first, end = max(lo[t], 0), min(hi[t], n_months)
            if first < end:
                open_steps[first] += 1
                open_steps[end] -= 1
                for k in range(n_terms):
                    value = weight[t] * coefficients[k, t]
                    steps[first, k] += value
                    steps[end, k] -= value
        for k in range(n_terms):
            running, opened = 0.0, 0
            for m in range(n_months):
                running += steps[m, k]
                opened += open_steps[m]
                if opened == 0:
                    running = 0.0
                out[m, k] += running
        return
    for t in range(n):
        first, end, step = _window_months(lo[t], hi[t], every, n_months)
        for m in range(first, end, step):
            w = weight[t] * keep[m, t] if has_keep else weight[t]
            for k in range(n_terms):
                out[m, k] += w * coefficients[k, t]


@njit(cache=True, nogil=True)
def window_present_value(out, discounted, coefficients, lo, hi, every, weight):
    """``out[t] += weight[t] · Σ_{m in window} Σ_k discounted[m, k] · coefficients[k, t]``:
    per trial, only the months of its window."""
    n_months, n_terms = discounted.shape
    for t in range(out.size):
        first, end, step = _window_months(lo[t], hi[t], every, n_months)
        total = 0.0
        for m in range(first, end, step):
            for k in range(n_terms):
                total += discounted[m, k] * coefficients[k, t]
        out[t] += total * weight[t]


@njit(cache=True, nogil=True)
def window_period_sums(out, profiles, coefficients, lo, hi, every, weight, period):
    """Sums of a window's terms by period (fiscal years, say: ``period[m]`` the row of
    month ``m``, rows in month order): ``out[r, t] += weight[t] · Σ_{m in window, period[m]
    = r} Σ_k profiles[m, k] · coefficients[k, t]``, per trial only the months of its
    window, each visited once."""
    n_months, n_terms = profiles.shape
    totals = np.zeros(out.shape[0])
    for t in range(out.shape[1]):
        first, end, step = _window_months(lo[t], hi[t], every, n_months)
        if first >= end:
            continue
        low, high = period[first], period[end - 1]
        for r in range(low, high + 1):
            totals[r] = 0.0
        for m in range(first, end, step):
            total = totals[period[m]]
            for k in range(n_terms):
                total += profiles[m, k] * coefficients[k, t]
            totals[period[m]] = total
        for r in range(low, high + 1):
            out[r, t] += totals[r] * weight[t]


@njit(cache=True, nogil=True)
def cash_pass(costs, benefits, discount, cumulative, net_out, per_trial, snapshot, costs_to,
              offset, threshold):
    """One pass over month-major ``costs`` and ``benefits`` ``(n_months, n)``: the net
    cash ``net`` ``(n_months, n)`` (for the IRR), its running sum
    ``cumulative`` ``(n_months, n)``, and per trial into ``per_trial`` ``(6, n)``: the
    present values of costs and of benefits (``discount``: each month's factor), the
    lowest cumulative cash, the total cost, and the payback and discounted payback
    months (as :func:`costmodel.finance.payback` defines them: the first month
    a running sum turns non-negative after being negative, interpolated; 0 when it is
    never negative, inf when it never turns). After each month ``m`` with
    ``snapshot[m] >= 0``, the running total cost is copied to row ``snapshot[m]`` of
    ``costs_to`` (the total cost up to the end of each fiscal year, say). When ``offset``
    ``(n_months,)`` is not empty (a business's financing, the same in every trial, as a
    running sum), ``per_trial`` has two more rows: the lowest of ``cumulative + offset``
    and the months it is below ``threshold``."""
    n_months, n = costs.shape
    business = offset.size > 0
    # an offset the same every month (cash on hand alone): the business's lowest is the
    # project's lowest plus it, the same bits (x + c rises with x), so it is not tracked
    constant = business and (offset == offset[0]).all()
    track = business and not constant
    if n_months == 0:
        per_trial[:] = 0.0
        return
    # A trial's running figures side by side in one cache line, updated with selects
    # rather than conditional stores. Kept in rows of ``per_trial`` they were slower by
    # half: with blocks of 8,192 trials the rows are 64 KiB apart, so a load from one row
    # waited on the store to another at the same address modulo 4 KiB, and the branches
    # of the comparisons went either way at random. Columns: present value of costs and
    # of benefits, lowest, total cost, payback, discounted payback (the six rows of
    # ``per_trial``), the business's lowest and months below (its two more), the
    # running cash and its discounted twin.
    acc = np.empty((n, 10))
    # per trial, bits: 1 negative last month, 2 its discounted twin negative, 4 and 8 ever
    # so, 16 and 32 payback and discounted payback found
    state = np.empty(n, dtype=np.uint8)
    d, cost_row, benefit_row = discount[0], costs[0], benefits[0]
    now, net_row = cumulative[0], net_out[0]
    for t in range(n):
        a = acc[t]
        cost, benefit = cost_row[t], benefit_row[t]
        net = benefit - cost
        net_row[t] = net
        now[t] = net
        a[0] = d * cost
        a[1] = d * benefit
        a[2] = net
        a[3] = cost
        a[8] = net
        a[9] = net * d
        bits = (1 if net < 0.0 else 0) | (2 if a[9] < 0.0 else 0)
        state[t] = bits | (bits << 2)
        if business:
            cash = net + offset[0]
            a[6] = cash
            a[7] = 1.0 if cash < threshold else 0.0
    if snapshot[0] >= 0:
        costs_to[snapshot[0]] = acc[:, 3]
    for m in range(1, n_months):
        d, cost_row, benefit_row = discount[m], costs[m], benefits[m]
        now, net_row = cumulative[m], net_out[m]
        shift = offset[m] if business else 0.0
        for t in range(n):
            a = acc[t]
            cost, benefit = cost_row[t], benefit_row[t]
            net = benefit - cost
            net_row[t] = net
            a[0] += d * cost
            a[1] += d * benefit
            a[3] += cost
            before = a[8]
            after = before + net
            low = a[2]
            a[2] = after if after < low or after != after else low  # min, nan propagating
            if business:
                cash = after + shift
                if track:
                    low = a[6]
                    a[6] = cash if cash < low or cash != cash else low
                a[7] += 1.0 if cash < threshold else 0.0
            discounted_before = a[9]
            discounted_after = net * d + discounted_before
            bits = state[t]
            now_bits = (1 if after < 0.0 else 0) | (2 if discounted_after < 0.0 else 0)
            # turned non-negative after being negative, not found before
            turned = bits & ~now_bits & ~(bits >> 4) & 3
            if turned:
                if turned & 1:
                    a[4] = (m - 1) + before / (before - after)
                if turned & 2:
                    a[5] = ((m - 1) + discounted_before
                            / (discounted_before - discounted_after))
                bits |= turned << 4
            now[t] = after
            a[8] = after
            a[9] = discounted_after
            state[t] = (bits & 0xFC) | now_bits | (now_bits << 2)
        if snapshot[m] >= 0:
            costs_to[snapshot[m]] = acc[:, 3]
    for t in range(n):
        bits = state[t]
        if not bits & 16:
            acc[t, 4] = np.inf if bits & 4 else 0.0
        if not bits & 32:
            acc[t, 5] = np.inf if bits & 8 else 0.0
        if constant:
            acc[t, 6] = acc[t, 2] + offset[0]
    per_trial[:] = acc[:, :per_trial.shape[0]].T


@njit(cache=True, nogil=True)
def business_pass(project_cumulative, deferred, settlement, loans, grants, discount,
                  cash_on_hand, fiscal_year, per_trial, by_year):
    """One pass over the months of the business view (:func:`costmodel.engine.funding.
    funding_metrics`). The financing flow of month ``m``, trial ``t``: what the leases
    defer ``deferred`` (outlays less payments; empty: none) less the ``settlement`` in the
    last month, plus the loans' net flow ``loans[m]`` and the ``grants`` (empty: none).
    Into ``per_trial`` ``(3, n)``: the financing's present value, the lowest cash
    (cumulative financing plus ``project_cumulative``) and the months it is below
    ``-cash_on_hand``. When ``by_year`` ``(n_fiscal_years, n)`` has rows, what the leases
    defer is taken off it by ``fiscal_year[m]`` (the budget counts the payments)."""
    n_months, n = project_cumulative.shape
    has_deferred, has_grants = deferred.shape[0] > 0, grants.shape[0] > 0
    budget = by_year.shape[0] > 0 and has_deferred
    present, lowest, negative = per_trial[0], per_trial[1], per_trial[2]
    running = np.zeros(n)
    for m in range(n_months):
        d, loan, last = discount[m], loans[m], m == n_months - 1
        project_row = project_cumulative[m]
        y = fiscal_year[m]
        for t in range(n):
            flow = deferred[m, t] if has_deferred else 0.0
            if last:
                flow -= settlement[t]
            flow += loan
            if has_grants:
                flow += grants[m, t]
            running[t] = flow if m == 0 else running[t] + flow
            cash = running[t] + project_row[t]
            if m == 0:
                present[t], lowest[t] = d * flow, cash
                negative[t] = 0.0
            else:
                present[t] += d * flow
                if cash < lowest[t] or np.isnan(cash):
                    lowest[t] = cash
            if cash < -cash_on_hand:
                negative[t] += 1.0
            if budget:
                by_year[y, t] -= deferred[m, t]


@njit(cache=True, nogil=True)
def order_statistics(row, ranks, bins, out):
    """``out[k]`` = the value of 0-based rank ``ranks[k]`` (sorted, unique) among ``row``'s
    finite values, as float64: :func:`costmodel.engine.metrics.row_percentiles`' histogram
    selection (the same bins, so the same values), compiled. A histogram of the row locates
    the bins holding the ranks; only the values in those bins are gathered and sorted."""
    n = row.size
    lo = np.float64(row[0])
    hi = lo
    for i in range(n):
        value = np.float64(row[i])
        if value < lo:
            lo = value
        elif value > hi:
            hi = value
    if not lo < hi:
        out[:] = lo
        return
    scale = bins / (hi - lo)
    counts = np.zeros(bins, dtype=np.int64)
    for i in range(n):
        b = min(int((np.float64(row[i]) - lo) * scale), bins - 1)
        counts[b] += 1
    ends = np.cumsum(counts)  # ends[b]: values in bins 0..b
    bin_of = np.searchsorted(ends, ranks, side="right")
    wanted = np.zeros(bins, dtype=np.bool_)
    for b in bin_of:
        wanted[b] = True
    place = np.zeros(bins, dtype=np.int64)  # where each wanted bin's values start
    size = 0
    for b in range(bins):
        if wanted[b]:
            place[b] = size
            size += counts[b]
    chosen = np.empty(size)
    fill = place.copy()
    for i in range(n):
        value = np.float64(row[i])
        b = min(int((value - lo) * scale), bins - 1)
        if wanted[b]:
            chosen[fill[b]] = value
            fill[b] += 1
    chosen.sort()  # bins are ordered by value: each bin's values stay in its segment
    for k in range(ranks.size):
        b = bin_of[k]
        out[k] = chosen[place[b] + ranks[k] - (ends[b] - counts[b])]


@njit(cache=True, nogil=True)
def zero_from(flows, trials, stop):
    """``flows[m, t] *= 0`` from month ``stop[t]`` on, for the trials ``t`` in ``trials``
    (a multiply, as a keep mask of 0 would: nan stays nan)."""
    order = trials[np.argsort(stop[trials], kind="mergesort")]  # by stop month
    stopped = 0  # order[:stopped] have stopped by month m
    for m in range(flows.shape[0]):  # month by month: each row written in order
        while stopped < order.size and stop[order[stopped]] <= m:
            stopped += 1
        row = flows[m]
        for q in range(stopped):
            row[order[q]] *= 0.0
