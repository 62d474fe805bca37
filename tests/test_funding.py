"""Funding: loans, leases, grants, cash and the yearly budget (the business view).

Truths used: numpy-financial's ``pmt``, ``ipmt``, ``ppmt`` and ``pv`` for the schedules;
the identity that financing at exactly the discount rate has a present value of zero (so
the business NPV equals the project NPV); a grant certain to come adds its discounted
amount; budgets checked on cases whose spending is known by construction.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel import ScenarioError, load_scenario, parse_scenario, simulate
from costmodel.engine.funding import fiscal_year_starts, lease_payments, loan_schedule
from costmodel.funding_schema import Lease, Loan
from costmodel.results import METRIC_NAMES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "customer_service_assistant.toml"


#: Yearly rates: exactly 0, or not so tiny that numpy-financial's formulas lose all digits
RATES = st.one_of(st.just(0.0), st.floats(1e-4, 0.3))


def scenario_with(funding: dict, base: Path = EXAMPLE, **changes):
    data = load_scenario(base).to_data()
    data["funding"] = funding
    data.update(changes)
    return parse_scenario(data)


# --- loan schedules against numpy-financial ---------------------------------------------


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy-financial's own 0/0 at rate 0
@settings(max_examples=200, deadline=None)
@given(principal=st.floats(100, 1e6), rate=RATES,
       term=st.integers(1, 120), grace=st.integers(0, 24), start=st.integers(0, 12))
def test_loan_schedule_equals_numpy_financial(principal, rate, term, grace, start):
    grace = min(grace, term - 1)
    loan = Loan(name="Bank", principal=principal, annual_rate=rate, term_months=term,
                start_month=start, grace_months=grace)
    horizon = start + term + 1  # the whole loan inside the horizon
    s = loan_schedule(loan, horizon)
    r, n = rate / 12.0, term - grace
    assert s.drawdown[start] == principal and s.settlement.sum() == 0.0
    # grace: interest only, P·r a month
    np.testing.assert_allclose(s.interest[start + 1:start + 1 + grace], principal * r,
                               rtol=1e-12, atol=1e-9)
    assert not s.principal[start + 1:start + 1 + grace].any()
    periods = np.arange(1, n + 1)
    months = start + grace + periods
    # numpy-financial's sign convention: money paid is negative for a positive pv
    np.testing.assert_allclose(s.interest[months], -npf.ipmt(r, periods, n, principal),
                               rtol=1e-9, atol=1e-9 * principal)
    np.testing.assert_allclose(s.principal[months], -npf.ppmt(r, periods, n, principal),
                               rtol=1e-9, atol=1e-9 * principal)
    np.testing.assert_allclose(s.interest[months] + s.principal[months],
                               -npf.pmt(r, n, principal), rtol=1e-9)
    assert s.principal.sum() == pytest.approx(principal, rel=1e-9)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy-financial's own 0/0 at rate 0
@settings(max_examples=100, deadline=None)
@given(rate=RATES, term=st.integers(2, 60), cut=st.integers(1, 59))
def test_a_loan_past_the_horizon_is_settled_at_its_balance(rate, term, cut):
    cut = min(cut, term - 1)
    loan = Loan(name="Bank", principal=10_000.0, annual_rate=rate, term_months=term)
    s = loan_schedule(loan, cut + 1)  # payments 1..cut inside, the rest outside
    r = rate / 12.0
    # the balance after `cut` payments: the present value of the payments left (npf.pv)
    left = npf.pv(r, term - cut, npf.pmt(r, term, 10_000.0))
    assert s.settlement[-1] == pytest.approx(left, rel=1e-9)
    assert s.principal.sum() + s.settlement.sum() == pytest.approx(10_000.0, rel=1e-9)


# --- leases -------------------------------------------------------------------------------


def test_a_lease_at_zero_percent_spreads_the_cost_evenly():
    lease = Lease(name="Vendor", items=["x"], annual_rate=0.0, term_months=6)
    outlays = np.zeros((24, 3))
    outlays[2] = [600.0, 1200.0, 0.0]
    outlays[5, 2] = 60.0
    payments, settlement, interest = lease_payments(outlays, lease)
    np.testing.assert_array_equal(payments[3:9, 0], 100.0)
    np.testing.assert_array_equal(payments[3:9, 1], 200.0)
    np.testing.assert_allclose(payments[6:12, 2], 10.0)
    assert payments.sum(axis=0).tolist() == pytest.approx([600.0, 1200.0, 60.0])
    assert settlement.tolist() == [0.0, 0.0, 0.0] and interest.tolist() == pytest.approx([0, 0, 0])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy-financial's own 0/0 at rate 0
@settings(max_examples=100, deadline=None)
@given(rate=RATES, term=st.integers(1, 48), due=st.integers(0, 30),
       horizon=st.integers(31, 80))
def test_lease_payments_equal_numpy_financial(rate, term, due, horizon):
    lease = Lease(name="Vendor", items=["x"], annual_rate=rate, term_months=term)
    outlays = np.zeros((horizon, 1))
    outlays[due] = 5_000.0
    payments, settlement, interest = lease_payments(outlays, lease)
    r = rate / 12.0
    made = min(term, horizon - 1 - due)
    np.testing.assert_allclose(payments[due + 1:due + 1 + made, 0], -npf.pmt(r, term, 5_000.0),
                               rtol=1e-9)
    assert not payments[:due + 1].any() and not payments[due + 1 + made:].any()
    left = npf.pv(r, term - made, npf.pmt(r, term, 5_000.0)) if made < term else 0.0
    assert settlement[0] == pytest.approx(left, rel=1e-9, abs=1e-6)
    assert interest[0] == pytest.approx(payments.sum() + settlement[0] - 5_000.0, abs=1e-6)


# --- the business view ------------------------------------------------------------------


def test_no_funding_section_leaves_the_project_figures_alone():
    plain = scenario_with({})  # the example without its funding section
    assert plain.funding.empty
    financed = scenario_with({
        "cash_on_hand": 20_000,
        "loans": [{"name": "Bank", "principal": 50_000, "annual_rate": 0.08,
                   "term_months": 24, "grace_months": 3}],
        "grants": [{"name": "Grant", "amount": 8_000, "month": 4,
                    "probability": 0.6, "clawback": 0.5}],
        "leases": [{"name": "Vendor", "items": ["CRM and ticketing integration"],
                    "annual_rate": 0.05,
                    "term_months": 12}],
        "budget": {"yearly_cap": 80_000}})
    a = simulate(plain, trials=512, seed=4)
    b = simulate(financed, trials=512, seed=4)
    for sa, sb in zip(a.strategies, b.strategies, strict=True):
        for name in METRIC_NAMES:  # the project view, before financing: unchanged
            np.testing.assert_allclose(getattr(sa.metrics, name), getattr(sb.metrics, name),
                                       rtol=1e-12, atol=1e-9, err_msg=name)
        # without funding the business view is the project's
        f = sa.funding
        np.testing.assert_array_equal(f.business_npv, sa.metrics.npv)
        np.testing.assert_array_equal(f.peak_cash_need, sa.metrics.peak_funding_need)
        np.testing.assert_array_equal(f.min_cash, -sa.metrics.peak_funding_need)
        assert not f.interest_paid.any() and sa.summary.funding.prob_budget_breach is None
        # with it, it differs, and the summary has the budget figures
        assert not np.array_equal(sb.funding.business_npv, sb.metrics.npv)
        assert sb.summary.funding.prob_budget_breach is not None


def test_financing_at_the_discount_rate_has_no_present_value():
    # a loan and a lease whose monthly rate is the discount rate: what is borrowed equals
    # the present value of what is paid back (the horizon's settlement included), so the
    # business NPV is the project NPV less the loan's fee, discounted
    plain = load_scenario(EXAMPLE)
    rate = 12 * plain.rate_monthly
    one_time = [c.name for c in plain.costs if c.kind == "one_time"]
    financed = scenario_with({
        "loans": [{"name": "Bank", "principal": 40_000, "annual_rate": rate,
                   "term_months": 60, "start_month": 1, "grace_months": 6, "fee": 500}],
        "leases": [{"name": "Vendor", "items": one_time, "annual_rate": rate,
                    "term_months": 24}]})
    results = simulate(financed, trials=256, seed=2)
    fee = 500 * (1 + plain.rate_monthly) ** -1
    for strategy in results.strategies:
        np.testing.assert_allclose(strategy.funding.business_npv, strategy.metrics.npv - fee,
                                   rtol=1e-9, atol=1e-6)
        assert (strategy.funding.interest_paid > 0).all()


def test_a_certain_grant_adds_exactly_its_discounted_amount():
    data = load_scenario(EXAMPLE).to_data()
    data["risks"] = [r for r in data["risks"] if r["kind"] != "abandonment"]
    data["correlations"] = [c for c in data["correlations"]
                            if not any("abandon" in x.casefold() for x in c["between"])]
    data["funding"] = {"grants": [{"name": "Grant", "amount": 12_000, "month": 5}]}
    scenario = parse_scenario(data)
    results = simulate(scenario, trials=256, seed=9)
    added = 12_000 * (1 + scenario.rate_monthly) ** -5
    for strategy in results.strategies:
        np.testing.assert_allclose(strategy.funding.business_npv - strategy.metrics.npv, added,
                                   rtol=1e-9)


def test_grant_awards_follow_their_probability_and_clawback_on_abandonment():
    data = load_scenario(EXAMPLE).to_data()
    data["risks"] = [r for r in data["risks"] if r["kind"] != "abandonment"]
    data["correlations"] = [c for c in data["correlations"]
                            if not any("abandon" in x.casefold() for x in c["between"])]
    data["risks"].append({"name": "Stop", "kind": "abandonment", "probability_per_year": 0.5})
    data["funding"] = {"grants": [{"name": "Grant", "amount": 10_000, "month": 0,
                                   "probability": 0.3, "clawback": 1.0}]}
    scenario = parse_scenario(data)
    results = simulate(scenario, trials=4096, seed=1, sampler="mc")
    strategy = results.strategies[0]
    gain = strategy.funding.business_npv - strategy.metrics.npv
    kept = np.isclose(gain, 10_000)  # received in month 0, never clawed back
    clawed = (gain > 1.0) & ~kept  # received, repaid at abandonment: only discounting gained
    # awarded with chance 0.3 (and not abandoned in month 0, which is rare)
    assert np.mean(kept | clawed) == pytest.approx(0.3, abs=0.03)
    assert clawed.any() and (gain[clawed] < 10_000).all()
    assert np.isclose(gain[~kept & ~clawed], 0.0).all()


def test_cash_on_hand_moves_the_lowest_balance_not_the_need():
    plain = scenario_with({"cash_on_hand": 0})
    rich = scenario_with({"cash_on_hand": 30_000})
    a, b = simulate(plain, trials=256, seed=3), simulate(rich, trials=256, seed=3)
    for sa, sb in zip(a.strategies, b.strategies, strict=True):
        np.testing.assert_allclose(sb.funding.min_cash, sa.funding.min_cash + 30_000)
        np.testing.assert_array_equal(sb.funding.peak_cash_need, sa.funding.peak_cash_need)
        assert (sb.funding.months_negative_cash <= sa.funding.months_negative_cash).all()


@pytest.mark.parametrize("loans", [
    [{"name": "Bank", "principal": 40_000, "annual_rate": 0.07, "term_months": 24,
      "start_month": 2, "grace_months": 3, "fee": 300}],
    [],  # cash on hand alone: the same offset every month (the lowest is not tracked)
], ids=["a loan", "cash alone"])
def test_a_business_cash_run_with_the_projects_equals_its_own_pass(loans):
    # loans and cash on hand are the same in every trial: block_metrics runs the business's
    # cash with the project's; the same figures, bit for bit, as funding_metrics' own pass,
    # and the lowest balance and months below zero as numpy finds them on the flows
    from costmodel.engine.cashflow import strategy_cash_flows
    from costmodel.engine.funding import FundingPlan, funding_metrics, grant_awards
    from costmodel.engine.metrics import block_metrics
    from costmodel.engine.schedule import actual_go_lives
    from costmodel.uncertainty import draw

    scenario = scenario_with({"cash_on_hand": 15_000, "loans": loans})
    plan = FundingPlan.of(scenario.funding, scenario.horizon_months)
    assert plan.uniform_financing is not None
    draws = draw(scenario, 512, sampler="mc", rng=np.random.default_rng(4))
    rate = scenario.rate_monthly
    for k in range(len(scenario.strategies)):
        flows = strategy_cash_flows(scenario, k, draws, actual_go_lives(scenario, k, draws))
        args = (list(flows.leased), flows.unbudgeted, flows.abandoned,
                grant_awards(scenario.funding, draws))
        own = block_metrics(rate, flows.costs, flows.benefits)
        fused = block_metrics(rate, flows.costs, flows.benefits, None,
                              (plan.uniform_financing, -15_000.0))
        a, _ = funding_metrics(plan, rate, own, flows.costs, flows.benefits, *args)
        b, _ = funding_metrics(plan, rate, fused, flows.costs, flows.benefits, *args)
        for name in a:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
        cash = np.cumsum(flows.benefits - flows.costs, axis=0) + np.cumsum(plan.loans)[:, None]
        np.testing.assert_allclose(b["min_cash"], cash.min(axis=0) + 15_000, rtol=1e-9)
        np.testing.assert_array_equal(b["months_negative_cash"],
                                      (cash < -15_000 * (1 + 1e-12)).sum(axis=0))


# --- the budget -----------------------------------------------------------------------------


def budget_case(cap: float, savings_count: bool = False, start: int = 0):
    """One fixed one-time cost of 100,000 in month 2 and 1,000 a month of licences from
    month 0; a benefit of 3,000 a month from month 1 (all certain)."""
    return parse_scenario({
        "name": "budget", "horizon_months": 30, "organisation": {"units": 10},
        "adoption": {"ceiling": 1.0, "months_to_half": 0.001},
        "costs": [
            {"name": "Set-up", "category": "integration", "kind": "one_time",
             "amount": 100_000, "start_month": 2},
            {"name": "Licences", "category": "licensing", "kind": "monthly", "amount": 1_000},
        ],
        "benefits": [{"name": "Saving", "kind": "amount", "amount_per_month": 3_000}],
        "strategies": [{"name": "All", "phases": [{"share": 1, "go_live": 0}],
                        "lead_time_months": 0}],
        "funding": {"budget": {"yearly_cap": cap, "savings_count": savings_count,
                               "fiscal_year_start_month": start}},
        "simulation": {"trials": 64, "sampler": "mc"},
    })


@pytest.mark.parametrize(("cap", "savings", "expected"), [
    (111_999, False, [True, False, False]),   # year 0 spends 100,000 + 12 x 1,000
    (112_000, False, [False, False, False]),
    # net of 11 x 3,000 of savings (adoption starts at 0 in the go-live month): 79,000
    (78_999, True, [True, False, False]),
    (79_000, True, [False, False, False]),
])
def test_budget_breaches_by_fiscal_year_on_a_known_case(cap, savings, expected):
    results = simulate(budget_case(cap, savings), trials=64, seed=1)
    funding = results.strategies[0].funding
    assert funding.breach.shape == (3, 64)  # fiscal years 0-11, 12-23, 24-29
    assert funding.breach.all(axis=1).tolist() == expected
    assert (funding.breach.any(axis=1) == funding.breach.all(axis=1)).all()  # all certain
    spent = 79_000 if savings else 112_000
    np.testing.assert_allclose(funding.budget_overshoot, max(0, spent - cap))
    summary = results.strategies[0].summary.funding
    assert summary.prob_budget_breach == float(any(expected))
    assert list(summary.prob_breach_by_fiscal_year) == [float(x) for x in expected]


def test_fiscal_years_follow_their_start_month():
    assert fiscal_year_starts(30, 0).tolist() == [0, 12, 24]
    assert fiscal_year_starts(30, 3).tolist() == [0, 3, 15, 27]
    results = simulate(budget_case(60_000, start=3), trials=64, seed=1)
    funding = results.strategies[0].funding
    # the short first fiscal year (months 0-2) holds the set-up and 3 months of licences
    assert funding.breach.all(axis=1).tolist() == [True, False, False, False]
    np.testing.assert_allclose(funding.budget_overshoot, 103_000 - 60_000)


# --- schema errors -------------------------------------------------------------------------


@pytest.mark.parametrize(("funding", "path", "words"), [
    ({"leases": [{"name": "V", "items": ["Nope"], "term_months": 12}]},
     "funding.leases[0].items[0]", "no one-time cost item"),
    ({"leases": [{"name": "V", "items": ["Assistant seat licence"], "term_months": 12}]},
     "funding.leases[0].items[0]", "only one-time costs"),
    ({"loans": [{"name": "B", "principal": 1000, "annual_rate": 0.05, "term_months": 12,
                 "grace_months": 12}]},
     "funding.loans[0].grace_months", "shorter than the term"),
    ({"loans": [{"name": "B", "principal": 1000, "annual_rate": 8, "term_months": 12}]},
     "funding.loans[0].annual_rate", "percentage"),
    ({"grants": [{"name": "G", "amount": 1000, "month": 99}]},
     "funding.grants[0].month", "after the horizon"),
    ({"budget": {"yearly_cap": 0}}, "funding.budget.yearly_cap", "above 0"),
    ({"budget": {"yearly_cap": 5000, "policy": "defr"}}, "funding.budget.policy", "defer"),
    ({"budgte": {}}, "funding.budgte", "did you mean 'budget'"),
])
def test_bad_funding_gets_a_clear_message(funding, path, words):
    data = load_scenario(EXAMPLE).to_data()
    data["funding"] = copy.deepcopy(funding)
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    problems = {p.path: str(p) for p in caught.value.problems}
    assert path in problems, problems
    assert words in problems[path], problems[path]
