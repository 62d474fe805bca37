"""Per-trial windows: the engine's per-trial timings kept as four numbers per trial.

Truths used: the one-month profiles of :mod:`costmodel.engine.rollout` that the engine uses
when a month is the same in every trial (``month_indicator``, ``yearly_indicator``,
``lead_window``), one trial's column at a time; and the same products, sums and present
values computed with the written-out mask in numpy.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel import _kernels
from costmodel.engine.rollout import lead_window, month_indicator, yearly_indicator
from costmodel.engine.windows import TrialWindow


def columns(profile, *months) -> np.ndarray:
    """The mask whose column ``t`` is ``profile(*(m[t] for m in months))``."""
    return np.stack([profile(*(int(m[t]) for m in months)) for t in range(months[0].size)],
                    axis=1)


@st.composite
def windows_and_masks(draw_):
    """A random window of every kind with its mask, built column by column."""
    n_months = draw_(st.integers(1, 40))
    n = draw_(st.integers(1, 12))
    seed = draw_(st.integers(0, 2**32))
    rng = np.random.default_rng(seed)
    start = rng.integers(0, n_months + 14, size=n)
    kind = draw_(st.sampled_from(("step", "step to", "yearly", "lead")))
    if kind == "step":
        return (TrialWindow.step(n_months, start),
                columns(lambda a: month_indicator(n_months, a), start), rng)
    if kind == "step to":
        stop = start + rng.integers(0, 8, size=n)  # a window of 0 to 7 months, as the dip
        return (TrialWindow.step(n_months, start, stop),
                columns(lambda a, b: month_indicator(n_months, a, b), start, stop), rng)
    if kind == "yearly":
        return (TrialWindow.yearly(n_months, start),
                columns(lambda a: yearly_indicator(n_months, a), start), rng)
    lead_time = draw_(st.integers(0, 6))
    return (TrialWindow.lead(n_months, start, lead_time),
            columns(lambda a: lead_window(n_months, a, lead_time), start), rng)


@settings(max_examples=150)
@given(case=windows_and_masks())
def test_a_window_written_out_is_the_one_month_profile_per_trial(case):
    window, mask, _ = case
    np.testing.assert_array_equal(window.array(), mask)


@settings(max_examples=150)
@given(case=windows_and_masks())
def test_a_window_applied_equals_the_mask_applied(case):
    window, mask, rng = case
    n_months, n = mask.shape
    k = int(rng.integers(1, 5))
    profiles = rng.normal(size=(n_months, k))
    coefficients = rng.normal(size=(k, n))
    start = rng.normal(size=(n_months, n))
    out = start.copy()
    window.product_add(out, profiles, coefficients)
    np.testing.assert_allclose(out, start + (profiles @ coefficients) * mask,
                               rtol=1e-12, atol=1e-12)
    # both loop orders (month by month, trial by trial), whichever the window chose
    for product_add in (_kernels.window_product_add, _kernels.window_product_add_sparse):
        other = start.copy()
        product_add(other, profiles, coefficients, window.lo, window.hi, window.every,
                    window.weight)
        np.testing.assert_array_equal(other, out)
    keep = rng.uniform(size=(n_months, n))
    np.testing.assert_allclose(window.weighted_sums(coefficients, keep),
                               (mask * keep) @ coefficients.T, rtol=1e-12, atol=1e-12)
    unkept = window.weighted_sums(coefficients, None)  # a step window: as running sums
    np.testing.assert_allclose(unkept, mask @ coefficients.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(unkept[~mask.any(axis=1)], 0.0)  # no window open: 0
    discounted = profiles * (1.01 ** -np.arange(n_months))[:, None]
    np.testing.assert_allclose(window.present_value(discounted, coefficients),
                               ((discounted @ coefficients) * mask).sum(axis=0),
                               rtol=1e-12, atol=1e-12)
    months = rng.integers(0, n_months + 3, size=n)
    inside = months < n_months
    expected = np.where(inside, mask[np.minimum(months, n_months - 1), np.arange(n)], 0.0)
    np.testing.assert_array_equal(window.at(months), expected)


@settings(max_examples=150)
@given(case=windows_and_masks(), first_month=st.integers(0, 11))
def test_sums_by_period_equal_the_projection_on_the_period_rows(case, first_month):
    # periods as the fiscal years split the months: the sums once over each trial's months
    # are the projection on each year's row, bit for bit, and the masked flows summed
    from costmodel.engine.funding import fiscal_years

    window, mask, rng = case
    n_months, n = mask.shape
    k = int(rng.integers(1, 4))
    profiles = rng.normal(size=(n_months, k))
    coefficients = rng.normal(size=(k, n))
    years = fiscal_years(n_months, first_month)
    got = window.period_sums(profiles, coefficients, years.argmax(axis=0), years.shape[0])
    np.testing.assert_array_equal(got, [window.present_value(row[:, None] * profiles,
                                                             coefficients) for row in years])
    np.testing.assert_allclose(got, years @ ((profiles @ coefficients) * mask),
                               rtol=1e-12, atol=1e-12)
