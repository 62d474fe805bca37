"""Net present values straight from a strategy's terms, for the NPV had the budget deferred
nothing.

Truth used: the engine's own monthly flows discounted month by month
(``present_values(strategy_cash_flows(...))``), on random scenarios (escalation, leases,
per-usage costs, every cost shape) at random per-trial go-lives and lead windows, so that
plain, use-scaled, masked and dense terms are all exercised; and on scenarios with risk
events and gates, where the shortcut must step aside for the trials an event touches.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costmodel.engine.cashflow import strategy_cash_flows, strategy_net_present_value
from costmodel.engine.flows import FlowAccumulator, present_value
from costmodel.engine.metrics import present_values
from costmodel.engine.risks import RiskBlock
from costmodel.engine.rollout import AdoptionCurves
from costmodel.engine.schedule import actual_go_lives
from costmodel.engine.windows import TrialWindow
from costmodel.scenario import parse_scenario
from costmodel.uncertainty import draw
from tests.test_phase_budget import funded_scenarios
from tests.test_reference_events import FEATURES, event_scenarios, feature_scenario


def drawn(scenario, n, seed):
    """The draws of ``n`` trials from ``seed``, and a generator from ``seed + 1`` for the
    test's own choices."""
    return (draw(scenario, n, sampler="mc", rng=np.random.default_rng(seed)),
            np.random.default_rng(seed + 1))


def assert_present_values_match(scenario, k, draws, go_lives=None, windows=None):
    got = strategy_net_present_value(scenario, k, draws, go_lives, windows)
    assert_equals_the_discounted_flows(got, scenario, k, draws, go_lives, windows)


def assert_equals_the_discounted_flows(got, scenario, k, draws, go_lives, windows):
    flows = strategy_cash_flows(scenario, k, draws, go_lives, windows)
    pv_costs, pv_benefits = present_values(scenario.rate_monthly, flows.costs, flows.benefits)
    truth = pv_benefits - pv_costs
    assert got.shape == truth.shape
    np.testing.assert_allclose(got, truth, rtol=1e-10,
                               atol=1e-10 * (1.0 + np.abs(pv_costs).max()
                                             + np.abs(pv_benefits).max()))


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=funded_scenarios(), seed=st.integers(0, 2**32), per_trial=st.booleans())
def test_present_values_from_terms_equal_the_discounted_flows(scenario, seed, per_trial):
    n, n_months = 11, scenario.horizon_months
    draws, rng = drawn(scenario, n, seed)
    for k, strategy in enumerate(scenario.strategies):
        n_phases = len(strategy.phases)
        go_lives = windows = None
        if per_trial:  # per-trial months: every timing becomes a mask
            go_lives = np.sort(rng.integers(0, n_months + 1, size=(n_phases, n)), axis=0)
            windows = go_lives + rng.integers(0, 3, size=(n_phases, n))
        assert_present_values_match(scenario, k, draws, go_lives, windows)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=funded_scenarios(), seed=st.integers(0, 2**32), aligned=st.booleans(),
       common=st.booleans())
def test_terms_timed_again_price_as_the_flows_at_the_new_months(scenario, seed, aligned,
                                                                common):
    # the deferred flows' own terms re-timed (the NPV had the budget deferred nothing)
    # against the flows made at the new months and discounted month by month; the rates
    # of escalation and growth fixed in most examples (a rate drawn per trial makes its
    # terms' profiles vary by trial: they cannot be re-timed)
    data = scenario.to_data()
    if seed % 4:
        for item, rate in [(c, "escalation") for c in data["costs"]] + [
                (b, "growth") for b in data["benefits"]]:
            if not isinstance(item.get(rate, 0.0), int | float):
                item[rate] = 0.04
    scenario = parse_scenario(data)
    n, n_months = 11, scenario.horizon_months
    draws, rng = drawn(scenario, n, seed)
    for k, strategy in enumerate(scenario.strategies):
        n_phases = len(strategy.phases)
        go_lives = np.sort(rng.integers(0, n_months + 1, size=(n_phases, n)), axis=0)
        go_lives[:, 0], go_lives[:, 1] = 0, 1  # never the same month in every trial
        windows = go_lives if aligned else go_lives + rng.integers(0, 3, size=(n_phases, n))
        windows[:, 1] = 2  # nor the same lead window
        terms = strategy_cash_flows(scenario, k, draws, go_lives, windows, terms=True).terms
        if common:  # the months after slip alone, without slip: the planned months
            again, again_windows = None, None
        else:
            again = np.sort(rng.integers(0, n_months + 1, size=(n_phases, n)), axis=0)
            again_windows = again + rng.integers(0, 2, size=(n_phases, n))
        got = terms.net_present_value(again, again_windows)
        dense = any(group is not None and group.varies_by_trial
                    for group in terms.parts.groups)
        cut = aligned and not common and bool((again != again_windows).any())
        # re-timed unless a term's profile varies by trial, or the terms from the go-live
        # and from the lead window's end share masks the new months keep apart
        assert (got is None) == (dense or cut)
        if got is not None:
            assert_equals_the_discounted_flows(got, scenario, k, draws, again, again_windows)


def test_terms_are_not_timed_again_past_a_gate_or_risk_event():
    # their NPV is not a sum of the terms: the flows must be formed
    rng = np.random.default_rng(6)
    for feature in ("gate keep_pilot exact", "cost risk", "abandonment"):
        scenario = feature_scenario(**FEATURES[feature])
        n_months = scenario.horizon_months
        draws = draw(scenario, 64, sampler="mc", rng=np.random.default_rng(5))
        for k, strategy in enumerate(scenario.strategies):
            if feature.startswith("gate") and strategy.gate is None:
                continue
            go_lives = np.sort(rng.integers(0, n_months // 2, size=(len(strategy.phases), 64)),
                               axis=0)
            terms = strategy_cash_flows(scenario, k, draws, go_lives, terms=True).terms
            assert not terms.quiet, feature
            assert terms.net_present_value(go_lives + 1) is None, feature


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_present_values_with_slip_gates_and_risk_events(feature):
    scenario = feature_scenario(**FEATURES[feature])
    draws = draw(scenario, 64, sampler="mc", rng=np.random.default_rng(5))
    for k in range(len(scenario.strategies)):
        assert_present_values_match(scenario, k, draws, actual_go_lives(scenario, k, draws))


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=event_scenarios(), seed=st.integers(0, 2**32))
def test_present_values_on_random_event_scenarios(scenario, seed):
    draws = draw(scenario, 24, sampler="mc", rng=np.random.default_rng(seed))
    for k in range(len(scenario.strategies)):
        assert_present_values_match(scenario, k, draws, actual_go_lives(scenario, k, draws))


def test_a_risk_event_within_the_horizon_is_not_quiet():
    # the shortcut's guard: each kind of event, once it falls in the horizon, is noticed
    for feature in ("cost risk", "benefit loss", "abandonment"):
        scenario = feature_scenario(**FEATURES[feature])
        risk = RiskBlock.of(scenario, draw(scenario, 256, sampler="mc",
                                           rng=np.random.default_rng(0)))
        assert not risk.quiet, feature
        first = RiskBlock.of(scenario, draw(scenario, 256, sampler="mc",
                                            rng=np.random.default_rng(0)).slice(0, 1))
        happened = ((first.abandoned < first.n_months).any()
                    or any((e.month < first.n_months).any()
                           for e in (*first.losses, *first.incidents)))
        assert first.quiet == (not happened), feature
    plain = feature_scenario()
    assert RiskBlock.of(plain, draw(plain, 8, sampler="mc", rng=np.random.default_rng(0))).quiet


#: Every kind of term the accumulator keeps.
TERM_KINDS = st.lists(st.sampled_from(("plain", "scaled", "masked", "masked scaled", "dense",
                                       "dense scaled")), min_size=1, max_size=8)


def random_accumulator(rng, use, masks, kinds, sample, label=lambda i: f"term {i}",
                       tag=lambda i: None) -> FlowAccumulator:
    """An accumulator with a term of each of ``kinds``, profiles and coefficients from
    ``sample(size)``; masked terms take ``masks`` in turn."""
    n_months, n_trials = use.shape
    acc = FlowAccumulator(n_months, n_trials, use)
    for i, kind in enumerate(kinds):
        profile = sample((n_months, n_trials) if kind.startswith("dense") else n_months)
        acc.add(label(i), profile, sample(n_trials), scaled_by_use=kind.endswith("scaled"),
                tag=tag(i), mask=masks[i % len(masks)] if kind.startswith("masked") else None)
    return acc


def periods_of(n_months: int, length: int) -> np.ndarray:
    """``(k, n_months)``: 1 where a month falls in period ``k`` of ``length`` months."""
    return (np.arange(n_months) // length
            == np.arange((n_months + length - 1) // length)[:, None]) * 1.0


@settings(max_examples=80)
@given(seed=st.integers(0, 2**32), n_months=st.integers(1, 40), n_trials=st.integers(1, 9),
       kinds=TERM_KINDS)
def test_accumulator_present_value_is_the_discounted_total(seed, n_months, n_trials, kinds):
    # every kind of term the accumulator keeps, two of them sharing one mask
    rng = np.random.default_rng(seed)
    use = rng.uniform(0.0, 1.0, (n_months, n_trials))
    masks = [TrialWindow.step(n_months, rng.integers(0, n_months + 1, n_trials)),
             TrialWindow.lead(n_months, rng.integers(0, n_months + 1, n_trials), 3)]
    acc = random_accumulator(rng, use, masks, kinds, lambda size: rng.normal(size=size))
    discount = 1.01 ** -np.arange(n_months)
    np.testing.assert_allclose(acc.present_value(discount), discount @ acc.total(),
                               rtol=1e-12, atol=1e-12 * n_months * 10)
    # with another accumulator on the same use, subtracted: its terms of each kind go
    # through the same products as the first's, signed
    other = random_accumulator(rng, use, masks, kinds[::-1], lambda size: rng.normal(size=size))
    np.testing.assert_allclose(present_value([(acc, 1.0), (other, -1.0), (None, 1.0)], discount),
                               discount @ (acc.total() - other.total()),
                               rtol=1e-12, atol=1e-12 * n_months * 20)
    # sums over periods (fiscal years), the plain terms' without forming the total
    periods = periods_of(n_months, 7)
    np.testing.assert_allclose(acc.project(periods), periods @ acc.total(),
                               rtol=1e-12, atol=1e-12 * n_months * 10)


@settings(max_examples=80)
@given(seed=st.integers(0, 2**32), n_months=st.integers(1, 40), n_trials=st.integers(1, 9),
       kinds=TERM_KINDS)
def test_flows_stopped_per_trial_equal_the_flows_times_the_stop_mask(seed, n_months, n_trials,
                                                                    kinds):
    # _kept without a factor touches only the trials that stop: the same flows bit for bit
    # (cells multiplied by 0 as the mask would), and the per-label sums of all trials less
    # those of the stopped cells, equal to the masked sums up to rounding; the unbudgeted
    # terms summed by period, equal to the periods' sums of their kept flows
    from costmodel.engine.cashflow import UNBUDGETED, _kept

    rng = np.random.default_rng(seed)
    use = rng.uniform(0.0, 1.0, (n_months, n_trials))
    masks = [TrialWindow.step(n_months, rng.integers(0, n_months + 1, n_trials)),
             TrialWindow.yearly(n_months, rng.integers(0, n_months + 1, n_trials)),
             TrialWindow.lead(n_months, rng.integers(0, n_months + 1, n_trials), 2)]
    acc = random_accumulator(rng, use, masks, kinds, lambda size: rng.uniform(size=size),
                             label=lambda i: f"term {i % 3}",
                             tag=lambda i: "lease" if i == 0 else UNBUDGETED if i % 2 else None)
    stop = np.where(rng.uniform(size=n_trials) < 0.5, n_months,
                    rng.integers(0, n_months + 1, n_trials))
    before = (np.arange(n_months)[:, None] < stop).astype(float)
    sums, tagged = {}, {}
    periods = periods_of(n_months, 5)
    got = _kept(((acc, acc.total()), (FlowAccumulator(n_months, n_trials, use), None)),
                (stop, stop), None, n_months, sums, tagged, periods)
    np.testing.assert_array_equal(got, acc.total() * before)
    np.testing.assert_array_equal(tagged["lease"], acc.tagged["lease"].total() * before)
    if UNBUDGETED in acc.tagged:
        expected = periods @ (acc.tagged[UNBUDGETED].total() * before)
        np.testing.assert_allclose(tagged[UNBUDGETED], expected, rtol=1e-12,
                                   atol=1e-12 * (1.0 + np.abs(expected).max()))
    expected = acc.sums_by_label(before)
    assert sums.keys() == expected.keys()
    for label, value in expected.items():
        np.testing.assert_allclose(sums[label], value, rtol=1e-12,
                                   atol=1e-12 * (1.0 + np.abs(value).max()))


@settings(max_examples=80)
@given(seed=st.integers(0, 2**32), n_months=st.integers(1, 40), n_trials=st.integers(1, 9),
       yearly=st.booleans())
def test_present_value_on_unwritten_adoption_curves_is_the_discounted_total(
        seed, n_months, n_trials, yearly):
    # curves kept unwritten (a phase timed per trial, one at one month): where the
    # profiles hold through each calendar year, the curves' discounted sums by year stand
    # in for the (n_months, n) use; other profiles take the curves written out. Truth:
    # the discounted total over the written-out use, and the curves' own sums by year
    rng = np.random.default_rng(seed)
    go_lives = [rng.integers(0, n_months + 1, n_trials), int(rng.integers(0, n_months + 1))]
    curves = AdoptionCurves(n_months, n_trials, [0.4, 0.6], go_lives,
                            rng.uniform(0.5, 1.0, n_trials), rng.uniform(1.0, 12.0, n_trials),
                            0.8)
    acc = FlowAccumulator(n_months, n_trials, curves)
    n_years = (n_months + 11) // 12
    for i in range(3):
        profile = (np.repeat(rng.uniform(0.5, 2.0, n_years), 12)[:n_months] if yearly
                   else rng.uniform(0.5, 2.0, n_months))
        acc.add(f"term {i}", profile, rng.normal(size=n_trials), scaled_by_use=True)
    discount = 1.01 ** -np.arange(n_months)
    got = acc.present_value(discount)
    use = curves.array()
    np.testing.assert_allclose(got, discount @ acc.total(), rtol=1e-12, atol=1e-12 * n_months)
    np.testing.assert_allclose(curves.discounted_by_year(discount),
                               periods_of(n_months, 12) @ (discount[:, None] * use),
                               rtol=1e-12, atol=1e-15 * n_months)


def test_curves_refuse_a_discount_of_another_length():
    # the kernel reads one factor per month: a discount of another horizon is refused, not
    # read past its end
    curves = AdoptionCurves(24, 3, [1.0], [2], 0.9, 4.0, 1.0)
    with pytest.raises(ValueError, match=r"discount has shape \(36,\)"):
        curves.discounted_by_year(np.ones(36))
