"""Tests for costmodel.finance.

Four kinds of truth: published values (spreadsheet help pages, numpy-financial's docstrings,
source in a comment), numpy-financial as an independent oracle on generated flows, closed
forms and identities, and cases built so that the answer is known (the several-IRR rule).
"""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel.finance import (
    IRR_SEARCH_MAX,
    IRR_SEARCH_MIN,
    annualise_rate,
    benefit_cost_ratio,
    discounted_payback,
    irr,
    npv,
    payback,
    peak_funding_need,
    periodic_rate,
    roi,
    total_cost_of_ownership,
)

# Example counts keep the whole file well under 10 s (numpy-financial.s irr: ~0.5 ms a series).
ORACLE = settings(max_examples=300, deadline=None)
PROPERTY = settings(max_examples=150, deadline=None)


# ---------------------------------------------------------------------------------------
# generated flows


# Amounts are 0 or between 1 and 10**6 [currency]: the range of a business case, and one in
# which numpy-financial's np.roots stays accurate (it fails on values like 1e-300).
amounts = st.one_of(st.just(0.0), st.floats(1.0, 1e6))


@st.composite
def investment_flows(draw, max_periods: int = 60) -> np.ndarray:
    """Costs first, then benefits: exactly one sign change (the usual investment shape)."""
    n_costs = draw(st.integers(1, 6))
    n_benefits = draw(st.integers(1, max_periods - n_costs))
    costs = draw(st.lists(st.floats(1.0, 1e6), min_size=n_costs, max_size=n_costs))
    benefits = draw(st.lists(amounts, min_size=n_benefits, max_size=n_benefits).filter(any))
    return np.array([-c for c in costs] + benefits)


def padded(series: list[np.ndarray]) -> np.ndarray:
    """Stack series of different lengths into one batch, padding with zeros at the end.

    Trailing zeros change neither the NPV nor the IRR, so each padded row keeps the answers
    of its unpadded series.
    """
    batch = np.zeros((len(series), max(s.size for s in series)))
    for row, s in zip(batch, series, strict=True):
        row[: s.size] = s
    return batch


any_flows = st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=60).map(np.array)
integer_flows = st.lists(st.integers(-1000, 1000), min_size=1, max_size=40).map(
    lambda values: np.array(values, dtype=np.float64)
)


def engine_like_flows(rng: np.random.Generator, n_rows: int, n_periods: int = 60) -> np.ndarray:
    """Monthly flows shaped like an AI rollout: one-time costs over a lead time, recurring
    costs, benefits ramping up along an adoption curve, and noise (which adds sign changes).
    """
    t = np.arange(n_periods)
    lead = rng.integers(1, 5, n_rows)[:, None]
    one_time = rng.uniform(2e4, 1e5, n_rows)[:, None]
    benefit = rng.uniform(1e3, 1e4, n_rows)[:, None]
    recurring = rng.uniform(5e2, 3e3, n_rows)[:, None]
    months_to_adopt = rng.uniform(2.0, 12.0, n_rows)[:, None]
    live = t >= lead
    adoption = np.where(live, -np.expm1(-(t - lead) / months_to_adopt), 0.0)
    flows = benefit * adoption - recurring - np.where(live, 0.0, one_time / lead)
    return flows + rng.normal(0.0, 500.0, (n_rows, n_periods))


def reference_payback(flows: np.ndarray) -> float:
    """The payback definition transcribed literally, one period at a time."""
    cumulative, was_negative = 0.0, False
    for k, flow in enumerate(flows):
        before, cumulative = cumulative, cumulative + flow
        if was_negative and cumulative >= 0.0:
            return (k - 1) + (-before) / flow
        was_negative = was_negative or cumulative < 0.0
    return math.inf if was_negative else 0.0


# ---------------------------------------------------------------------------------------
# published values


def test_npv_numpy_financial_docstring_example():
    # numpy-financial 1.0, npv docstring: 3065.22267 for these flows at 8 %
    assert npv(0.08, [-40_000, 5_000, 8_000, 12_000, 30_000]) == pytest.approx(3065.22267, abs=5e-6)


def test_npv_excel_example_with_first_flow_one_period_out():
    # Microsoft Support, "NPV function", example 1: rate 10 %, an initial cost of 10 000
    # one year from today, then 3 000, 4 200, 6 800 -> NPV $1,188.44. Excel discounts its
    # first value by one period; here t = 0 is not discounted, so prepend a zero.
    assert npv(0.10, [0, -10_000, 3_000, 4_200, 6_800]) == pytest.approx(1188.44, abs=5e-3)


def test_npv_excel_example_with_investment_today():
    # Microsoft Support, "NPV function", example 2: 8 %, 40 000 invested at the start of
    # the period, returns 8 000 ... 14 500 -> =NPV(8%, returns) + investment = $1,922.06;
    # with a loss of 9 000 in year six -> -$3,749.47. "+ investment" is our t = 0 value.
    returns = [8_000, 9_200, 10_000, 12_000, 14_500]
    assert npv(0.08, [-40_000, *returns]) == pytest.approx(1922.06, abs=5e-3)
    assert npv(0.08, [-40_000, *returns, -9_000]) == pytest.approx(-3749.47, abs=5e-3)


def test_irr_excel_example():
    # Microsoft Support, "IRR function" example: a 70 000 investment, then 12 000, 15 000,
    # 18 000, 21 000, 26 000. Shown there as 8.7 % after five years, -2.1 % after four,
    # and -44.4 % after two (with a guess of -10 %). numpy-financial gives the full digits.
    flows = np.array([-70_000, 12_000, 15_000, 18_000, 21_000, 26_000], dtype=float)
    assert irr(flows) == pytest.approx(0.0866309480, abs=1e-9)
    assert irr(flows[:5]) == pytest.approx(-0.0212448483, abs=1e-9)
    assert irr(flows[:3]) == pytest.approx(-0.4435069413, abs=1e-9)
    assert [round(100 * irr(flows[:n]), 1) for n in (6, 5, 3)] == [8.7, -2.1, -44.4]


@pytest.mark.parametrize(
    ("flows", "expected"),
    [
        # numpy-financial 1.0, irr docstring (values rounded to 5 decimals there)
        ([-100, 39, 59, 55, 20], 0.28095),
        ([-100, 0, 0, 74], -0.0955),
        ([-100, 100, 0, -7], -0.0833),
        ([-100, 100, 0, 7], 0.06206),
        ([-5, 10.5, 1, -8, 1], 0.0886),
    ],
)
def test_irr_numpy_financial_docstring_examples(flows, expected):
    assert round(float(irr(flows)), 5) == expected
    assert irr(flows) == pytest.approx(npf.irr(flows), abs=1e-12)


def test_rate_conversion_matches_design_formula():
    # DESIGN.md: r_month = (1 + r_year)**(1/12) - 1
    assert periodic_rate(0.10) == pytest.approx(1.10 ** (1 / 12) - 1, rel=1e-14)
    assert annualise_rate(0.01) == pytest.approx(1.01**12 - 1, rel=1e-14)
    assert annualise_rate(0.10, periods_per_year=2) == pytest.approx(0.21, rel=1e-14)


# ---------------------------------------------------------------------------------------
# numpy-financial as an oracle on generated flows


@PROPERTY
@given(
    series=st.lists(any_flows, min_size=1, max_size=8),
    rate=st.floats(-0.5, 1.0),
)
def test_npv_matches_numpy_financial(series, rate):
    batch = padded(series)
    ours = npv(rate, batch)
    assert ours.shape == (len(series),)
    for value, s in zip(ours, series, strict=True):
        scale = np.sum(np.abs(s) * (1.0 + rate) ** -np.arange(s.size)) + 1e-300
        assert abs(value - npf.npv(rate, s)) <= 1e-12 * scale


def assert_irr_agrees_with_numpy_financial(value: float, flows: np.ndarray) -> None:
    # np.roots loses digits at large rates (differences up to ~1e-10 seen, where exact
    # rational arithmetic puts ours closer to the root), hence 1e-6 and a residual check
    reference = npf.irr(flows)
    if IRR_SEARCH_MIN + 1e-6 < reference < IRR_SEARCH_MAX - 1e-6:
        assert value == pytest.approx(reference, abs=1e-6)
        # ... and it is a root: NPV relative to the size of the discounted flows
        discounted = np.abs(flows) * (1.0 + value) ** -np.arange(flows.size)
        assert abs(npv(value, flows)) <= 1e-9 * discounted.sum()
    elif not IRR_SEARCH_MIN - 1e-6 <= reference <= IRR_SEARCH_MAX + 1e-6:
        assert np.isnan(value), f"root {reference} is outside the search range"


@ORACLE
@given(flows=investment_flows(max_periods=24))
def test_irr_matches_numpy_financial_on_investment_flows(flows):
    assert_irr_agrees_with_numpy_financial(irr(flows), flows)


@settings(max_examples=100, deadline=None)
@given(
    n_rows=st.integers(1, 12),
    n_periods=st.integers(2, 60),
    log10_cost=st.floats(0.0, 6.0),
    log10_payoff=st.floats(-2.0, 2.0),
    share_of_zeros=st.sampled_from([0.0, 0.3]),
    seed=st.integers(0, 2**32 - 1),
)
def test_irr_batch_matches_numpy_financial(
    n_rows, n_periods, log10_cost, log10_payoff, share_of_zeros, seed
):
    # batches of costs-then-benefits series of mixed lengths; hypothesis explores the
    # shape and scale, a seeded generator fills in the amounts
    rng = np.random.default_rng(seed)
    series = []
    for _ in range(n_rows):
        length = int(rng.integers(2, n_periods + 1))
        n_costs = int(rng.integers(1, length))
        costs = 10**log10_cost * rng.uniform(0.1, 1.0, n_costs)
        benefits = 10 ** (log10_cost + log10_payoff) * rng.uniform(0.0, 1.0, length - n_costs)
        benefits[rng.random(benefits.size) < share_of_zeros] = 0.0
        benefits[-1] = max(benefits[-1], 1.0)
        series.append(np.concatenate([-costs, benefits]))
    for value, flows in zip(irr(padded(series)), series, strict=True):
        assert_irr_agrees_with_numpy_financial(value, flows)


@PROPERTY
@given(
    magnitudes=st.lists(amounts, min_size=1, max_size=60),
    sign=st.sampled_from([-1.0, 1.0]),
)
def test_irr_is_nan_without_a_sign_change(magnitudes, sign):
    flows = sign * np.array(magnitudes)
    assert np.isnan(irr(flows))
    assert np.isnan(npf.irr(flows))


def real_irrs(flows: np.ndarray) -> np.ndarray:
    """All real IRRs > -1, found the way numpy-financial finds them (np.roots)."""
    roots = np.roots(flows[::-1])  # polynomial in 1 / (1 + r)
    roots = roots[(roots.imag == 0) & (roots.real > 0)].real
    return np.sort(1.0 / roots - 1.0)


def test_irr_matches_numpy_financial_on_engine_like_flows():
    # 600 seeded rollout-shaped series; the noise gives many of them several sign changes
    flows = engine_like_flows(np.random.default_rng(20240601), 600)
    ours = irr(flows)
    n_single = n_several = 0
    for value, row in zip(ours, flows, strict=True):
        roots = real_irrs(row)
        roots = roots[(roots > IRR_SEARCH_MIN) & (roots < IRR_SEARCH_MAX)]
        if roots.size == 0:
            assert np.isnan(value)
            continue
        nearest = roots[np.argmin(np.abs(roots))]  # numpy-financial's pick, within range
        if roots.size == 1:
            n_single += 1
            assert value == pytest.approx(nearest, abs=1e-10)
        else:
            # several roots: the one nearest 0 -- or nan where two roots sit closer
            # together than the search grid can separate (documented)
            n_several += np.isfinite(value)
            assert np.isnan(value) or value == pytest.approx(nearest, abs=1e-10)
    assert n_single > 500
    assert n_several > 10  # the rule is exercised on realistic flows too


# ---------------------------------------------------------------------------------------
# the several-IRR rule: the root nearest 0


def test_irr_two_positive_roots_returns_the_smaller():
    # -100 + 230/(1+r) - 132/(1+r)**2 = 0 at r = 10 % and r = 20 %
    flows = [-100.0, 230.0, -132.0]
    assert npv(0.10, flows) == pytest.approx(0.0, abs=1e-10)
    assert npv(0.20, flows) == pytest.approx(0.0, abs=1e-10)
    assert irr(flows) == pytest.approx(0.10, abs=1e-12)


@pytest.mark.parametrize(
    ("roots", "nearest"),
    [
        ([-0.05, 0.15], -0.05),  # the negative root is nearer 0
        ([-0.15, 0.05], 0.05),  # the positive root is nearer 0
        ([-0.10, 0.02, 0.30], 0.02),  # three roots
        ([0.04, 0.25, 0.60], 0.04),
        ([-0.60, -0.30, -0.03], -0.03),
    ],
)
def test_irr_several_roots_returns_the_one_nearest_zero(roots, nearest):
    # flows whose future-value polynomial sum_t f_t (1+r)**(T-1-t) is prod (y - (1 + root))
    flows = np.poly(1.0 + np.array(roots))
    for root in roots:
        assert npv(root, flows) == pytest.approx(0.0, abs=1e-12)
    assert irr(flows) == pytest.approx(nearest, abs=1e-12)
    assert irr(-flows) == pytest.approx(nearest, abs=1e-12)
    assert irr(flows) == pytest.approx(npf.irr(flows), abs=1e-10)  # same rule as npf


def test_irr_nan_when_npv_only_touches_zero():
    # (1+r)**2 - 2.2 (1+r) + 1.21 = (r - 0.1)**2 >= 0: a root at 10 % but no sign change;
    # documented: no sign change on the grid -> nan.
    assert np.isnan(irr([1.0, -2.2, 1.21]))


def test_irr_nan_outside_the_search_range():
    assert np.isnan(irr([-1.0, 100.0]))  # 9 900 % per period
    assert np.isnan(irr([-100.0, 0.5]))  # -99.5 % per period
    assert irr([-1.0, 10.5]) == pytest.approx(9.5, abs=1e-12)
    assert irr([-100.0, 1.5]) == pytest.approx(-0.985, abs=1e-12)


# ---------------------------------------------------------------------------------------
# identities and closed forms


@PROPERTY
@given(flows=any_flows)
def test_npv_at_zero_rate_is_the_sum(flows):
    scale = np.abs(flows).sum() + 1e-300
    assert abs(npv(0.0, flows) - flows.sum()) <= 1e-13 * scale


@PROPERTY
@given(flows=investment_flows(max_periods=24))
def test_npv_at_the_irr_is_zero(flows):
    rate = irr(flows)
    if np.isfinite(rate):
        discounted = np.abs(flows) * (1.0 + rate) ** -np.arange(flows.size)
        assert abs(npv(rate, flows)) <= 1e-9 * discounted.sum()


@PROPERTY
@given(flows=integer_flows)
def test_payback_matches_the_definition(flows):
    # integer flows: the cumulative sums are exact in any order of addition
    assert payback(flows) == pytest.approx(reference_payback(flows), rel=1e-12)


@PROPERTY
@given(flows=integer_flows, rate=st.floats(0.0, 0.5))
def test_discounted_payback_is_payback_of_the_discounted_flows(flows, rate):
    discounted = flows * (1.0 + rate) ** -np.arange(flows.size)
    # the discounted flows are not integers, so allow for the order of summation
    expected = reference_payback(discounted)
    assert discounted_payback(rate, flows) == pytest.approx(expected, rel=1e-9, abs=1e-9)


@PROPERTY
@given(flows=investment_flows(max_periods=36), rate=st.floats(0.0, 0.5))
def test_discounted_payback_is_never_shorter_for_investment_flows(flows, rate):
    assert discounted_payback(rate, flows) >= payback(flows) - 1e-9


def test_payback_closed_form():
    # -100, then 30 per period: cumulative -100, -70, -40, -10, +20 -> 3 + 10/30
    assert payback([-100.0, 30.0, 30.0, 30.0, 30.0]) == pytest.approx(10 / 3, rel=1e-14)
    # recovered exactly at the end of a period
    assert payback([-100.0, 50.0, 50.0]) == 2.0


def test_discounted_payback_closed_form():
    # -1 000 then 500 per period at 10 %: discounted 454.55, 413.22, 375.66;
    # cumulative -545.45, -132.23, +243.43 -> 2 + 132.23 / 375.66
    d = 1.1 ** -np.arange(4)
    expected = 2 + (1000 - 500 * d[1] - 500 * d[2]) / (500 * d[3])
    assert discounted_payback(0.10, [-1000.0, 500.0, 500.0, 500.0]) == pytest.approx(
        expected, rel=1e-13
    )
    assert discounted_payback(0.0, [-1000.0, 500.0, 500.0, 500.0]) == 2.0


@PROPERTY
@given(magnitudes=st.lists(amounts, min_size=1, max_size=60))
def test_payback_zero_when_never_negative_and_inf_when_never_recovered(magnitudes):
    flows = np.array(magnitudes)
    assert payback(flows) == 0.0
    assert discounted_payback(0.01, flows) == 0.0
    if flows.any():
        assert payback(-flows) == math.inf
        assert discounted_payback(0.01, -flows) == math.inf


def test_payback_counts_only_the_first_recovery():
    # recovered in period 2, dips below zero again in period 3, recovers in period 4
    flows = [-100.0, 50.0, 100.0, -200.0, 500.0]
    assert payback(flows) == pytest.approx(1.5)
    assert peak_funding_need(flows) == 150.0


def test_payback_when_the_cumulative_flow_starts_positive():
    # +50, then -100: cumulative 50, -50, -20, +10 -> turns non-negative in period 3
    assert payback([50.0, -100.0, 30.0, 30.0]) == pytest.approx(2 + 20 / 30)


@PROPERTY
@given(flows=any_flows)
def test_peak_funding_need_is_the_deepest_cumulative_shortfall(flows):
    expected = max(0.0, -np.cumsum(flows).min())
    scale = np.abs(flows).sum()
    assert peak_funding_need(flows) >= 0.0
    assert abs(peak_funding_need(flows) - expected) <= 1e-12 * scale


@PROPERTY
@given(
    benefits=st.lists(st.floats(0.0, 1e6), min_size=12, max_size=12),
    costs=st.lists(st.floats(1.0, 1e6), min_size=12, max_size=12),
    rate=st.floats(0.0, 0.2),
)
def test_roi_is_benefit_cost_ratio_minus_one(benefits, costs, rate):
    ratio = benefit_cost_ratio(rate, benefits, costs)
    assert roi(rate, benefits, costs) == pytest.approx(ratio - 1.0, rel=1e-12, abs=1e-12)
    assert ratio == pytest.approx(npv(rate, benefits) / npv(rate, costs), rel=1e-14)


def test_roi_and_ratio_closed_form_and_nan_without_costs():
    # 100 today, 60 back at t = 1 and t = 2, at 0 %: ROI 20 %, ratio 1.2
    assert roi(0.0, [0.0, 60.0, 60.0], [100.0, 0.0, 0.0]) == pytest.approx(0.2)
    assert benefit_cost_ratio(0.0, [0.0, 60.0, 60.0], [100.0, 0.0, 0.0]) == pytest.approx(1.2)
    # at 10 %: 110 at t = 1 is worth 100 today
    assert roi(0.10, [0.0, 110.0], [100.0, 0.0]) == pytest.approx(0.0, abs=1e-14)
    assert np.isnan(roi(0.05, [10.0, 10.0], [0.0, 0.0]))
    assert np.isnan(benefit_cost_ratio(0.05, [10.0, 10.0], [0.0, 0.0]))


def test_total_cost_of_ownership_is_undiscounted_sum():
    costs = np.array([[15_000.0, 1_125.0, 1_125.0], [0.0, 10.0, 20.0]])
    np.testing.assert_array_equal(total_cost_of_ownership(costs), [17_250.0, 30.0])


@PROPERTY
@given(rate=st.floats(-0.2, 2.0), periods_per_year=st.sampled_from([1, 2, 4, 12, 52]))
def test_rate_conversions_are_inverse(rate, periods_per_year):
    there = annualise_rate(rate, periods_per_year)
    back = periodic_rate(there, periods_per_year)
    assert back == pytest.approx(rate, rel=1e-10, abs=1e-15)
    assert np.sign(there) == np.sign(rate)


def test_monthly_irr_annualises_to_the_yearly_irr():
    # twelve months of a yearly flow pattern compounded: -100 today, +121 in two years
    monthly = np.zeros(25)
    monthly[0], monthly[24] = -100.0, 121.0
    assert annualise_rate(irr(monthly)) == pytest.approx(0.10, abs=1e-12)


# ---------------------------------------------------------------------------------------
# shapes, broadcasting and dtypes


def _row_by_row(function, flows, *args):
    return np.array([function(*args, row) for row in flows.reshape(-1, flows.shape[-1])])


@pytest.mark.parametrize("batch_shape", [(7,), (3, 4), (2, 3, 5)])
def test_batches_equal_row_by_row(batch_shape):
    rng = np.random.default_rng(7)
    flows = engine_like_flows(rng, int(np.prod(batch_shape)), 36).reshape(*batch_shape, 36)
    rows = flows.reshape(-1, 36)
    for function, args in [
        (npv, (0.008,)),
        (irr, ()),
        (payback, ()),
        (discounted_payback, (0.008,)),
        (peak_funding_need, ()),
        (total_cost_of_ownership, ()),
    ]:
        batch = function(*args, flows)
        assert batch.shape == batch_shape
        expected = np.array([function(*args, row) for row in rows]).reshape(batch_shape)
        np.testing.assert_allclose(batch, expected, rtol=1e-12, atol=1e-9, err_msg=str(function))
    benefits, costs = np.clip(flows, 0, None), np.clip(-flows, 0, None)
    for function in (roi, benefit_cost_ratio):
        batch = function(0.008, benefits, costs)
        assert batch.shape == batch_shape
        expected = [
            function(0.008, b, c)
            for b, c in zip(benefits.reshape(-1, 36), costs.reshape(-1, 36), strict=True)
        ]
        np.testing.assert_allclose(batch.ravel(), expected, rtol=1e-12)


def test_large_batches_equal_row_by_row_across_blocks():
    # more rows than one internal block (8 192), with several-root series placed in later
    # blocks, so that block offsets are exercised
    rng = np.random.default_rng(17)
    flows = engine_like_flows(rng, 20_000, 24)
    two_roots = [np.poly([0.95, 1.15]), np.poly([0.85, 1.05]), [-100.0, 230.0, -132.0]]
    special = rng.choice(flows.shape[0], 60, replace=False)
    for k, row in enumerate(special):
        flows[row] = 0.0
        flows[row, :3] = two_roots[k % 3]
    rates = rng.uniform(0.0, 0.02, flows.shape[0])
    sample = np.union1d(special, rng.choice(flows.shape[0], 200, replace=False))
    batch = {
        "irr": irr(flows),
        "payback": payback(flows),
        "discounted_payback": discounted_payback(rates, flows),
        "npv": npv(rates, flows),
        "peak_funding_need": peak_funding_need(flows),
    }
    for row in sample:
        assert batch["irr"][row] == pytest.approx(irr(flows[row]), abs=1e-12, nan_ok=True)
        assert batch["payback"][row] == payback(flows[row])
        assert batch["discounted_payback"][row] == pytest.approx(
            discounted_payback(rates[row], flows[row]), rel=1e-12
        )
        scale = np.abs(flows[row]).sum()  # the NPV itself may be a small difference
        assert batch["npv"][row] == pytest.approx(npv(rates[row], flows[row]), abs=1e-14 * scale)
        assert batch["peak_funding_need"][row] == peak_funding_need(flows[row])
    np.testing.assert_allclose(
        batch["irr"][special], [(-0.05, 0.05, 0.10)[k % 3] for k in range(special.size)], atol=1e-12
    )


def test_irr_zero_when_the_flows_sum_to_zero():
    # the NPV at rate 0 is exactly 0: a grid node is the root
    for flows in ([-100.0, 50.0, 50.0], [-100.0, 100.0], [100.0, -50.0, -50.0]):
        assert irr(flows) == 0.0


def test_single_series_gives_a_scalar():
    for value in (
        npv(0.01, [-1.0, 2.0]),
        irr([-1.0, 2.0]),
        payback([-1.0, 2.0]),
        discounted_payback(0.01, [-1.0, 2.0]),
        peak_funding_need([-1.0, 2.0]),
        total_cost_of_ownership([1.0, 2.0]),
        roi(0.01, [0.0, 2.0], [1.0, 0.0]),
        benefit_cost_ratio(0.01, [0.0, 2.0], [1.0, 0.0]),
    ):
        assert np.ndim(value) == 0
        assert isinstance(value, np.float64)


def test_rate_per_row_broadcasts():
    rng = np.random.default_rng(3)
    flows = engine_like_flows(rng, 6, 24)
    rates = np.linspace(0.0, 0.03, 6)
    for function in (npv, discounted_payback):
        per_row = function(rates, flows)
        expected = [function(rate, row) for rate, row in zip(rates, flows, strict=True)]
        np.testing.assert_allclose(per_row, expected, rtol=1e-12)
    # a column of rates against a batch of rows: one result per (rate, row)
    grid = npv(rates[:, None], flows)
    assert grid.shape == (6, 6)
    np.testing.assert_allclose(grid[2], npv(rates[2], flows), rtol=1e-12)
    # several rates for one series
    np.testing.assert_allclose(npv(rates, flows[0]), [npv(r, flows[0]) for r in rates])
    # roi with a rate per row
    benefits, costs = np.clip(flows, 0, None), np.clip(-flows, 0, None)
    np.testing.assert_allclose(
        roi(rates, benefits, costs),
        [roi(r, b, c) for r, b, c in zip(rates, benefits, costs, strict=True)],
        rtol=1e-12,
    )


def test_equal_rates_array_equals_scalar_rate():
    flows = engine_like_flows(np.random.default_rng(5), 10, 24)
    np.testing.assert_array_equal(npv(np.full(10, 0.01), flows), npv(0.01, flows))


def test_float32_input_is_computed_in_float64():
    flows32 = engine_like_flows(np.random.default_rng(11), 50, 36).astype(np.float32)
    flows64 = flows32.astype(np.float64)  # the same values, exactly
    for function, args in [
        (npv, (0.01,)),
        (irr, ()),
        (payback, ()),
        (discounted_payback, (0.01,)),
        (peak_funding_need, ()),
    ]:
        result = function(*args, flows32)
        assert result.dtype == np.float64
        np.testing.assert_array_equal(result, function(*args, flows64))


def test_inputs_are_not_modified():
    flows = engine_like_flows(np.random.default_rng(13), 20, 24)
    single = flows[0].copy()
    original, original_single = flows.copy(), single.copy()
    rates = np.linspace(0.0, 0.02, 20)
    for function, args in [
        (npv, (0.01,)),
        (npv, (rates,)),
        (irr, ()),
        (payback, ()),
        (discounted_payback, (0.01,)),
        (discounted_payback, (rates,)),
        (peak_funding_need, ()),
    ]:
        function(*args, flows)
        function(*args[:1] and (0.01,), single)
    np.testing.assert_array_equal(flows, original)
    np.testing.assert_array_equal(single, original_single)


def test_nan_flows_give_nan():
    flows = np.array([[-100.0, np.nan, 60.0, 60.0], [-100.0, 60.0, 60.0, 60.0]])
    assert np.isnan(npv(0.01, flows)[0])
    assert np.isnan(irr(flows)[0])
    assert np.isnan(payback(flows)[0])
    assert np.isnan(discounted_payback(0.01, flows)[0])
    assert np.isnan(peak_funding_need(flows)[0])
    assert np.isfinite([irr(flows)[1], payback(flows)[1]]).all()


def test_degenerate_shapes():
    assert np.isnan(irr([-5.0]))
    assert payback([-5.0]) == math.inf
    assert payback([5.0]) == 0.0
    assert npv(0.1, np.zeros((0, 12))).shape == (0,)
    assert irr(np.zeros((0, 12))).shape == (0,)
    assert payback(np.zeros((0, 12))).shape == (0,)
    assert np.isnan(irr(np.zeros(12)))
    with pytest.raises(ValueError, match="period axis"):
        npv(0.1, 5.0)
