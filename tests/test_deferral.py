"""The budget's ``defer`` policy: each phase goes live in the first month its costs fit.

Truths used: a case worked by hand (which month fits, what the months before it cost); the
property that under ``defer`` no fiscal year of any trial spends over the cap when the items
of no phase fit on their own (random scenarios, and the example with risk events, slip, a
gate and a lease); a cap nobody reaches gives exactly the ``flag`` run; the paired cost of
deferral equals the NPV difference of two runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costmodel import load_scenario, parse_scenario, simulate, simulate_point
from costmodel.engine import strategy_cash_flows
from costmodel.engine.cashflow import planned_flows
from costmodel.engine.deferral import budget_spend, deferred_go_lives
from costmodel.engine.funding import FundingPlan, funding_metrics, grant_awards
from costmodel.engine.metrics import block_metrics
from costmodel.engine.schedule import actual_go_lives
from costmodel.uncertainty import draw
from tests.test_engine import small_scenarios

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "customer_service_assistant.toml"
INVOICE = ROOT / "scenarios" / "invoice_automation.toml"


def hand_case(cap: float, policy: str = "defer", **budget) -> dict:
    """1,000 units, 36 months, fiscal years from month 0. A platform fee of 500 a month from
    the pilot's start (no phase; it moves with the pilot); a one-time set-up of 20 per unit,
    paid in each phase's go-live month (lead time 0); a running cost of 0.1 per unit and
    month. Two phases of 50 %, planned for months 2 and 6."""
    return {
        "name": "Hand case", "horizon_months": 36, "discount_rate": 0.0,
        "organisation": {"units": 1000},
        "costs": [
            {"name": "Platform", "category": "licensing", "kind": "monthly", "amount": 500},
            {"name": "Set-up", "category": "integration", "kind": "one_time",
             "basis": "per_unit", "amount": 20},
            {"name": "Running", "category": "licensing", "kind": "monthly",
             "basis": "per_unit", "amount": 0.1},
        ],
        "strategies": [{"name": "Phased", "lead_time_months": 0, "budget_policy": policy,
                        "phases": [{"share": 0.5, "go_live": 2}, {"share": 0.5, "go_live": 6}]}],
        "funding": {"budget": {"yearly_cap": cap, "savings_count": False, **budget}},
    }


def test_the_second_phase_waits_for_the_fiscal_year_where_it_fits():
    # Worked by hand. Year 0 (months 0-11): platform 10 × 500 = 5,000; phase 0 set-up
    # 500 × 20 = 10,000 in month 2; its running cost 500 × 0.1 = 50 for months 2-11 = 500:
    # 15,500 <= 17,500, so phase 0 keeps month 2. Phase 1 adds its 10,000 set-up in any
    # month of year 0 (25,500 + its running cost > 17,500), so the first month it fits is
    # month 12: year 1 = 6,000 + 600 (phase 0) + 10,000 + 600 (phase 1) = 17,200 <= 17,500.
    scenario = parse_scenario(hand_case(17_500))
    result = simulate_point(scenario)["Phased"]
    assert result.funding.deferral_months.tolist() == [6.0]  # month 6 -> month 12
    costs = result.mean_costs
    assert costs[2] == pytest.approx(500 + 10_000 + 50)
    assert costs[6] == pytest.approx(500 + 50)  # no set-up in the planned month
    assert costs[12] == pytest.approx(500 + 10_000 + 100)
    spend = np.add.reduceat(costs, [0, 12, 24])
    np.testing.assert_allclose(spend, [15_500, 17_200, 6_000 + 1_200])
    assert not result.funding.breach.any()
    # under "flag" the same plan breaks year 0: 15,500 + 10,000 + 6 × 50 = 25,800
    flagged = simulate_point(parse_scenario(hand_case(17_500, policy="flag")))["Phased"]
    assert flagged.funding.breach[:, 0].tolist() == [True, False, False]
    assert np.add.reduceat(flagged.mean_costs, [0, 12, 24])[0] == pytest.approx(25_800)


def test_the_pilot_and_the_platform_fee_wait_together():
    # a cap of 15,000: the platform fee starts with the pilot, so both move. Pilot in month
    # g of year 0: 10,000 + (500 + 50) × (12 - g) <= 15,000 first for g = 3 (14,950)
    result = simulate_point(parse_scenario(hand_case(15_000)))["Phased"]
    costs = result.mean_costs
    assert costs[2] == 0.0 and costs[3] == pytest.approx(10_000 + 500 + 50)
    assert not result.funding.breach.any()


def test_a_phase_that_fits_nowhere_is_not_started():
    # a cap of 9,000: the pilot's 10,000 set-up never fits in a fiscal year, so the project
    # never starts: no set-up, no platform fee, nothing
    result = simulate_point(parse_scenario(hand_case(9_000)))["Phased"]
    assert result.metrics.total_cost.tolist() == [0.0]
    assert result.funding.deferral_months.tolist() == [36 - 6]  # to the horizon
    assert not result.funding.breach.any()


def test_savings_make_room_for_the_next_phase():
    # with savings counted, phase 0's savings (1,000 a month at full use) lower the spend, so
    # phase 1 goes live no later than without them
    data = hand_case(17_500)
    data["benefits"] = [{"name": "Saving", "kind": "amount", "amount_per_month": 2_000}]
    data["adoption"] = {"ceiling": 1.0, "months_to_half": 1.0}
    without = simulate_point(parse_scenario(data))["Phased"].funding.deferral_months[0]
    data["funding"]["budget"]["savings_count"] = True
    result = simulate_point(parse_scenario(data))["Phased"]
    assert result.funding.deferral_months[0] < without
    assert not result.funding.breach.any()


def test_a_cap_nobody_reaches_gives_the_flag_run_exactly():
    data = load_scenario(EXAMPLE).to_data()
    data["funding"]["budget"]["yearly_cap"] = 1e12
    flag = simulate(parse_scenario(data), trials=512, seed=3)
    for strategy in data["strategies"]:
        strategy["budget_policy"] = "defer"
    defer = simulate(parse_scenario(data), trials=512, seed=3)
    for a, b in zip(flag.strategies, defer.strategies, strict=True):
        np.testing.assert_array_equal(a.metrics.npv, b.metrics.npv)
        assert not b.funding.deferral_months.any()
        assert b.summary.funding.deferral_cost == 0.0


@pytest.mark.parametrize("example", [EXAMPLE, INVOICE])
def test_the_cost_of_deferral_is_the_paired_npv_difference(example):
    # the customer-service example mostly moves its later waves; the invoice example's pilot
    # waits for the next fiscal year while its second phase keeps its month
    data = load_scenario(example).to_data()
    data["strategies"][1]["budget_policy"] = "defer"
    name = data["strategies"][1]["name"]
    run = simulate(parse_scenario(data), trials=1024, seed=5)[name]
    data["strategies"][1]["budget_policy"] = "flag"
    flag = simulate(parse_scenario(data), trials=1024, seed=5)[name]
    # the NPV without deferral is the flag run's NPV, trial by trial (same draws), to
    # rounding: an NPV near 0 is the difference of present values of the flows' size
    np.testing.assert_allclose(run.funding.npv_without_deferral, flag.metrics.npv, rtol=1e-12,
                               atol=1e-12 * np.abs(flag.metrics.npv).max())
    summary = run.summary.funding
    assert summary.deferral_cost == pytest.approx(run.metrics.npv.mean() - flag.metrics.npv.mean(),
                                                  rel=1e-9)
    # a trial counts as deferred when any phase moved: exactly where the NPV changed or the
    # budget moved a go-live or a lead window
    moved = run.funding.phases_deferred > 0
    changed = ~np.isclose(run.metrics.npv, flag.metrics.npv, rtol=1e-12, atol=1e-6)
    assert (moved | ~changed).all()
    assert summary.prob_deferred == pytest.approx(moved.mean())
    assert summary.prob_deferred > 0.05 and summary.deferral_cost < 0
    assert summary.prob_budget_breach == 0.0 and flag.summary.funding.prob_budget_breach > 0.1


@pytest.mark.parametrize("example", [EXAMPLE, INVOICE])
def test_deferred_flows_per_trial_equal_the_flows_of_one_month_per_phase(example):
    # the deferred months differ from trial to trial (per-trial windows; where a lead
    # window ends at its go-live, the terms from either month share one window, and a
    # phase never started has its go-live and window past the horizon, apart); the truth:
    # each group of trials with the same months run with one month per phase
    data = load_scenario(example).to_data()
    data["strategies"][1]["budget_policy"] = "defer"
    scenario = parse_scenario(data)
    draws = draw(scenario, 400, sampler="mc", rng=np.random.default_rng(3))
    plan = FundingPlan.of(scenario.funding, scenario.horizon_months)
    deferral = deferred_go_lives(scenario, 1, draws, actual_go_lives(scenario, 1, draws), plan)
    flows = strategy_cash_flows(scenario, 1, draws, deferral.go_lives, deferral.windows)
    months = np.concatenate([deferral.go_lives, deferral.windows])
    groups = np.unique(months, axis=1, return_inverse=True)[1].ravel()
    assert np.unique(groups).size > 2
    if example == INVOICE:  # no slip: lead windows end at the go-lives; some never start
        assert (deferral.go_lives == scenario.horizon_months).any()
    else:  # slip: go-lives later than the lead windows' ends
        assert (deferral.go_lives != deferral.windows).any()
    for group in np.unique(groups):
        trials = np.flatnonzero(groups == group)
        go_lives, windows = np.split(months[:, trials[0]], 2)
        expected = strategy_cash_flows(scenario, 1, draws.take(trials), go_lives.tolist(),
                                       windows.tolist())
        np.testing.assert_allclose(flows.costs[:, trials], expected.costs, rtol=1e-12,
                                   atol=1e-9)
        np.testing.assert_allclose(flows.benefits[:, trials], expected.benefits, rtol=1e-12,
                                   atol=1e-9)


def test_without_a_budget_there_is_nothing_to_defer():
    data = hand_case(17_500)
    data["funding"] = {}
    deferring = simulate_point(parse_scenario(data))["Phased"]
    data["strategies"][0]["budget_policy"] = "flag"
    flagged = simulate_point(parse_scenario(data))["Phased"]
    np.testing.assert_array_equal(deferring.mean_costs, flagged.mean_costs)
    assert not deferring.funding.defers and deferring.summary.funding.deferral_months is None


# --- the property: never over the cap -------------------------------------------------------


def assert_within_cap(scenario, draws):
    """Run every strategy with the defer policy on ``draws``; where the items of no phase
    fit the cap on their own, no fiscal year of any trial is over it."""
    plan = FundingPlan.of(scenario.funding, scenario.horizon_months)
    budget = scenario.funding.budget
    for k in range(len(scenario.strategies)):
        go_lives = actual_go_lives(scenario, k, draws)
        deferral = deferred_go_lives(scenario, k, draws, go_lives, plan)
        assert (deferral.go_lives >= np.minimum(go_lives, scenario.horizon_months)).all()
        flows = strategy_cash_flows(scenario, k, draws, deferral.go_lives, deferral.windows)
        block = block_metrics(scenario.rate_monthly, flows.costs, flows.benefits)
        _, breach = funding_metrics(plan, scenario.rate_monthly, block, flows.costs,
                                    flows.benefits, list(flows.leased), flows.unbudgeted,
                                    flows.abandoned, grant_awards(scenario.funding, draws))
        fixed = np.add.reduceat(budget_spend(scenario, planned_flows(scenario, k, draws,
                                                                     "fixed")),
                                plan.fiscal_starts, axis=0)
        feasible = (fixed <= budget.yearly_cap * (1 + 1e-9)).all(axis=0)
        assert not breach[:, feasible].any(), (k, np.flatnonzero(breach.any(axis=0)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=small_scenarios(), cap=st.floats(100.0, 2e6), first=st.integers(0, 11),
       savings=st.booleans(), seed=st.integers(0, 2**32))
def test_defer_never_breaks_the_cap_in_random_scenarios(scenario, cap, first, savings, seed):
    # no risk events or gates here, so savings may count too: the plan is what happens
    data = scenario.to_data()
    data["funding"] = {"budget": {"yearly_cap": cap, "fiscal_year_start_month": first,
                                  "savings_count": savings, "policy": "defer"}}
    scenario = parse_scenario(data)
    draws = draw(scenario, 12, sampler="mc", rng=np.random.default_rng(seed))
    assert_within_cap(scenario, draws)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cap=st.floats(20_000.0, 90_000.0), first=st.integers(0, 11), seed=st.integers(0, 2**32))
def test_defer_never_breaks_the_cap_with_risks_slip_gate_and_lease(cap, first, seed):
    # the example: risk events, slip, a gate, a lease; savings do not count (risk events
    # can only take costs away from the plan, never add budgeted ones)
    data = load_scenario(EXAMPLE).to_data()
    data["funding"]["budget"].update(yearly_cap=cap, fiscal_year_start_month=first,
                                     policy="defer")
    scenario = parse_scenario(data)
    draws = draw(scenario, 64, sampler="mc", rng=np.random.default_rng(seed))
    assert_within_cap(scenario, draws)
