"""Risk events and schedule slip.

Known answers by construction: with a monthly event probability ``p_m``, the share of
trials with at least one event in ``H`` months is ``1 - (1 - p_m) ** H`` and the expected
number of events ``H p_m`` (binomial closed forms); certain abandonment at month 0 leaves
only the wind-down's costs; a probability of zero changes nothing; a constant slip of a
plan without one-time costs equals the same plan with later go-lives.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel import parse_scenario, simulate
from costmodel.engine.schedule import actual_go_lives
from costmodel.results import METRIC_NAMES
from costmodel.uncertainty import Draws

H = 36


def base(**extra):
    data = {
        "name": "risks", "horizon_months": H, "discount_rate": 0.0,
        "organisation": {"units": 10},
        "costs": [{"name": "Licence", "category": "licensing", "kind": "monthly",
                   "basis": "per_unit", "amount": {"pert": [40.0, 50.0, 70.0]}},
                  {"name": "Set-up", "category": "integration", "kind": "one_time",
                   "amount": 5000.0}],
        "benefits": [{"name": "Saving", "kind": "amount",
                      "amount_per_month": {"pert": [1000.0, 2000.0, 3000.0]}}],
        "adoption": {"ceiling": 1.0, "months_to_half": 2.0},
        "strategies": [{"name": "All", "phases": [{"share": 1.0, "go_live": 2}]},
                       {"name": "Phased", "phases": [{"share": 0.5, "go_live": 2},
                                                     {"share": 0.5, "go_live": 8}]}],
    }
    data.update(extra)
    return parse_scenario(data)


def incident(probability, cost=10_000.0, scales=False):
    return {"name": "Incident", "kind": "cost", "probability_per_year": probability,
            "cost": cost, "scales_with_deployment": scales, "category": "compliance"}


def identical(a, b):
    for sa, sb in zip(a.strategies, b.strategies, strict=True):
        for name in METRIC_NAMES:
            assert np.array_equal(getattr(sa.metrics, name), getattr(sb.metrics, name),
                                  equal_nan=True), (sa.name, name)


def test_a_risk_that_never_happens_changes_nothing():
    """Probability 0: the event column is drawn but no event falls in the horizon. The
    design gains a column, so compare on plain Monte Carlo, which fills column by column."""
    plain = simulate(base(), trials=300, seed=4, sampler="mc")
    for kind in (incident(0.0),
                 {"name": "Outage", "kind": "benefit_loss", "probability_per_year": 0.0,
                  "loss": 1.0, "months": 2.0},
                 {"name": "Stop", "kind": "abandonment", "probability_per_year": 0.0}):
        identical(simulate(base(risks=[kind]), trials=300, seed=4, sampler="mc"), plain)


def test_event_counts_follow_the_monthly_probability():
    """Share of trials with an event and mean number of events against the binomial closed
    form, within 4 standard errors (mc, 20,000 trials)."""
    p_year = 0.3
    p_month = 1 - (1 - p_year) ** (1 / 12)
    cost = 1_000.0
    results = simulate(base(risks=[incident(p_year, cost)]), trials=20_000, seed=7,
                       sampler="mc")
    spent = results["All"].mean_costs_by_category["compliance"].sum()  # mean incident cost
    expected = H * p_month * cost
    se = math.sqrt(H * p_month * (1 - p_month) / 20_000) * cost
    assert spent == pytest.approx(expected, abs=4 * se)


def test_incident_months_are_geometric():
    from costmodel.uncertainty import draw
    p_year = 0.5
    p_month = 1 - (1 - p_year) ** (1 / 12)
    scenario = base(risks=[incident(p_year)])
    draws = draw(scenario, 65_536, sampler="sobol", rng=np.random.default_rng(1), replicates=16)
    first = np.asarray(draws[("risks", 0, "@month", 0)])
    hit = np.mean(first < H)
    assert hit == pytest.approx(1 - (1 - p_month) ** H, abs=0.01)
    # the number of events in the horizon is binomial(H, p_month)
    count = sum(np.asarray(draws[("risks", 0, "@month", j)]) < H
                for j in range(draws.occurrences(0)))
    assert count.mean() == pytest.approx(H * p_month, abs=0.05)
    assert count.var() == pytest.approx(H * p_month * (1 - p_month), rel=0.05)


def test_an_uncertain_yearly_probability_gives_binomial_counts_given_each_trials_draw():
    """With the yearly probability itself drawn per trial, each trial's number of events
    in the horizon is binomial(H, p_m) for its own p_m: the mean count is the mean of
    H p_m over the trials, and P(no event) the mean of (1 - p_m) ** H (mc, 65,536 trials,
    within 4 standard errors of the conditional binomial)."""
    from costmodel.uncertainty import draw
    scenario = base(risks=[incident({"pert": [0.05, 0.3, 0.9]})])
    n = 65_536
    draws = draw(scenario, n, sampler="mc", rng=np.random.default_rng(5))
    p_month = 1 - (1 - np.asarray(draws[("risks", 0, "probability_per_year")])) ** (1 / 12)
    count = sum(np.asarray(draws[("risks", 0, "@month", j)]) < H
                for j in range(draws.occurrences(0)))
    se = math.sqrt(np.mean(H * p_month * (1 - p_month) + (H * p_month) ** 2)
                   - np.mean(H * p_month) ** 2) / math.sqrt(n)
    assert count.mean() == pytest.approx(np.mean(H * p_month), abs=4 * se)
    none = np.mean((1 - p_month) ** H)
    assert np.mean(count == 0) == pytest.approx(none, abs=4 * math.sqrt(none * (1 - none) / n))


def test_certain_abandonment_leaves_only_the_wind_down():
    """Probability 1 a year puts the event in month 0: no benefit, costs for 2 months."""
    stop = {"name": "Stop", "kind": "abandonment", "probability_per_year": 1.0,
            "wind_down_months": 2.0}
    results = simulate(base(risks=[stop]), trials=64, seed=1, sampler="mc")
    for strategy in results.strategies:
        assert (strategy.metrics.pv_benefits == 0).all()
        # set-up is spread over months 0-1 (lead time 2), licences start at month 2
        np.testing.assert_allclose(strategy.metrics.total_cost, 5000.0, rtol=1e-12)


def test_a_benefit_loss_removes_its_share_for_its_months():
    outage = {"name": "Outage", "kind": "benefit_loss", "probability_per_year": 1.0,
              "loss": 0.4, "months": 3.0}  # p = 1: every month; three overlap: capped at 1
    results = simulate(base(risks=[outage]), trials=32, seed=2, sampler="mc")
    assert (results["All"].metrics.pv_benefits == 0).all()
    half = {**outage, "probability_per_year": 1.0, "loss": 0.1, "months": 1.0}
    plain = simulate(base(), trials=32, seed=2, sampler="mc")
    hit = simulate(base(risks=[half]), trials=32, seed=2, sampler="mc")
    # an event every month, each for one month: 10 % of every month's benefit is lost
    np.testing.assert_allclose(hit["All"].metrics.pv_benefits,
                               0.9 * plain["All"].metrics.pv_benefits, rtol=1e-9)


def test_incidents_scaled_by_deployment_cost_nothing_before_go_live():
    """Events every month (p = 1); scaled by the share deployed: 0 before month 2, then
    the share live (phased: 0.5 until month 8, then 1)."""
    results = simulate(base(risks=[incident(1.0, 100.0, scales=True)]), trials=16, seed=3,
                       sampler="mc")
    compliance = results["Phased"].mean_costs_by_category["compliance"]
    expected = np.where(np.arange(H) < 2, 0.0, np.where(np.arange(H) < 8, 50.0, 100.0))
    np.testing.assert_allclose(compliance, expected, rtol=1e-12)
    np.testing.assert_allclose(results["All"].mean_costs_by_category["compliance"],
                               np.where(np.arange(H) < 2, 0.0, 100.0), rtol=1e-12)


# --- schedule slip --------------------------------------------------------------------------


def without_one_time(**extra):
    scenario = base(**extra)
    data = scenario.to_data()
    data["costs"] = data["costs"][:1]
    return data


def test_a_constant_slip_equals_the_later_plan():
    """With no one-time costs (which keep their planned months), slipping by 3 months is
    the plan with go-lives 3 months later."""
    data = without_one_time()
    slipped = copy.deepcopy(data)
    for strategy in slipped["strategies"]:
        strategy["slip"] = {"months": 3.0}
    later = copy.deepcopy(data)
    for strategy in later["strategies"]:
        for phase in strategy["phases"]:
            phase["go_live"] += 3
    identical(simulate(parse_scenario(slipped), trials=200, seed=5, sampler="mc"),
              simulate(parse_scenario(later), trials=200, seed=5, sampler="mc"))


def test_later_phases_slip_less():
    data = without_one_time()
    data["strategies"][1]["slip"] = {"months": 4.0, "later_phases": 0.5}
    scenario = parse_scenario(data)
    assert actual_go_lives(scenario, 1, Draws.point(scenario))[:, 0].tolist() == [6, 10]


@settings(max_examples=60, deadline=None)
@given(go_lives=st.lists(st.integers(0, 40), min_size=1, max_size=5, unique=True),
       slip=st.floats(0.0, 30.0), later=st.floats(0.0, 1.0))
def test_actual_go_lives_keep_their_order_and_never_come_early(go_lives, slip, later):
    go_lives = sorted(go_lives)
    share = 1.0 / len(go_lives)
    scenario = parse_scenario({
        "name": "s", "horizon_months": 48, "organisation": {"units": 4},
        "strategies": [{"name": "S", "phases": [{"share": share, "go_live": g}
                                                for g in go_lives],
                        "slip": {"months": slip, "later_phases": later}}]})
    actual = actual_go_lives(scenario, 0, Draws.point(scenario))[:, 0]
    assert (actual >= np.minimum(go_lives, 48)).all()
    assert (actual <= 48).all()
    live = actual[actual < 48]
    assert (np.diff(live) >= 1).all()
    assert actual[0] == min(go_lives[0] + round(slip), 48) or actual[0] == min(
        go_lives[0] + int(np.rint(slip)), 48)
