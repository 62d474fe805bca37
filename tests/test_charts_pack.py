"""The charts added for the proposal pack: their figures follow from the results by
identities that do not depend on how the charts are drawn."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pytest

import costmodel
from costmodel import charts
from costmodel.results import CHALLENGES

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "scenarios" / "customer_service_assistant.toml"


@pytest.fixture(scope="module")
def results():
    return costmodel.simulate(costmodel.load_scenario(EXAMPLE), trials=1_024, seed=5)


def test_every_chart_of_the_pack_has_the_house_style(results):
    figures = charts.run_charts(results)
    assert {"present_value", "cash_fan", "npv_distribution", "risk_return", "payback_curve",
            "costs_by_challenge", "budget_and_cash", "npv_difference", "monthly_flows_1",
            "monthly_flows_2"} == set(figures)
    today = f"{datetime.date.today():%Y-%m-%d}"
    for name, figure in figures.items():
        title = figure.layout.title.text
        assert "36 months · discount rate 10 % a year · 25 agents" in title, name
        notes = [a.text for a in figure.layout.annotations if a.text.startswith("Source:")]
        assert len(notes) == 1 and results.scenario.name in notes[0], name
        assert "1,024 trials (sobol), seed 5" in notes[0] and today in notes[0], name


def test_challenge_costs_add_up_to_the_expected_pv_of_costs(results):
    # PV is linear, so the PV of the mean monthly costs is the mean of the per-trial PVs
    # the engine computes (metrics.pv_costs): an identity, not a re-computation
    figure = charts.costs_by_challenge(results)
    for trace, strategy in zip(figure.data, results.strategies, strict=True):
        assert list(trace.y) == [c for c in CHALLENGES if c in trace.y]  # report order
        np.testing.assert_allclose(np.sum(trace.x), strategy.summary.pv_costs.mean,
                                   rtol=1e-9)
        by_challenge = strategy.mean_costs_by_challenge
        np.testing.assert_allclose(sum(by_challenge.values()), strategy.mean_costs,
                                   rtol=1e-12, atol=1e-9)


def test_the_productivity_dip_counts_as_resistance_to_change(results):
    strategy = results["All at once"]
    dip = strategy.mean_costs_by_category["productivity_dip"]
    assert dip.sum() > 0
    people = (strategy.mean_costs_by_category["training"]
              + strategy.mean_costs_by_category["change_management"] + dip)
    np.testing.assert_allclose(strategy.mean_costs_by_challenge["resistance to change"],
                               people, rtol=1e-12)


def test_monthly_flows_by_challenge_keep_the_net_flow(results):
    name = results.names[1]
    by_category = charts.monthly_flows(results, name)
    by_challenge = charts.monthly_flows(results, name, by="challenge")
    net = next(t for t in by_challenge.data if t.name == "net cash flow")
    np.testing.assert_allclose(net.y, next(t for t in by_category.data
                                       if t.name == "net cash flow").y)
    bars = [t for t in by_challenge.data if t.type == "bar"]
    np.testing.assert_allclose(np.sum([t.y for t in bars], axis=0), net.y, atol=1e-6)
    with pytest.raises(ValueError, match="challenge"):
        charts.monthly_flows(results, name, by="colour")


def test_present_value_bars_are_the_expected_values_with_p10_p90_whiskers(results):
    bars = [t for t in charts.present_value_summary(results).data if t.type == "bar"]
    for trace, strategy in zip(bars, results.strategies, strict=True):
        s = strategy.summary
        np.testing.assert_allclose(trace.y, [s.pv_benefits.mean, -s.pv_costs.mean,
                                             s.npv.mean])
        # NPV = PV benefits - PV costs per trial, so also for the means
        np.testing.assert_allclose(trace.y[0] + trace.y[1], trace.y[2], rtol=1e-9)
        top = np.asarray(trace.y) + np.asarray(trace.error_y.array)
        bottom = np.asarray(trace.y) - np.asarray(trace.error_y.arrayminus)
        np.testing.assert_allclose(top, [s.pv_benefits.p90, -s.pv_costs.p10, s.npv.p90])
        np.testing.assert_allclose(bottom, [s.pv_benefits.p10, -s.pv_costs.p90, s.npv.p10])


def test_budget_bars_are_the_breach_chances_per_fiscal_year(results):
    figure = charts.budget_and_cash(results)
    bars = [t for t in figure.data if t.type == "bar"]
    assert len(bars) == len(results.strategies)
    for trace, strategy in zip(bars, results.strategies, strict=True):
        breach = np.asarray(strategy.funding.breach)
        np.testing.assert_allclose(trace.y, breach.mean(axis=1))  # share of trials per FY
        assert len(trace.x) == strategy.funding.fiscal_year_starts.size
    medians = [t for t in figure.data if t.type == "scatter" and t.mode == "markers+text"]
    for trace, strategy in zip(medians, results.strategies, strict=True):
        assert trace.x[0] == pytest.approx(np.median(strategy.funding.min_cash))


def test_budget_chart_without_a_budget_says_so():
    data = costmodel.load_scenario(EXAMPLE).to_data()
    del data["funding"]
    run = costmodel.simulate(costmodel.parse_scenario(data), trials=256, seed=1)
    figure = charts.budget_and_cash(run)
    assert not [t for t in figure.data if t.type == "bar"]
    assert any("No yearly budget" in a.text for a in figure.layout.annotations)


@pytest.mark.parametrize("risk", ["p5", "expected_shortfall"])
def test_risk_return_points_are_the_mean_and_the_downside(results, risk):
    figure = charts.risk_return(results, risk=risk)
    for trace, strategy in zip(figure.data, results.strategies, strict=True):
        npv = np.asarray(strategy.metrics.npv)
        assert trace.y[0] == pytest.approx(npv.mean())
        worst = np.sort(npv)[:int(np.ceil(0.05 * npv.size))].mean()  # worst 5 %, by hand
        expected_x = np.percentile(npv, 5) if risk == "p5" else worst
        assert trace.x[0] == pytest.approx(expected_x)
    with pytest.raises(ValueError, match="expected_shortfall"):
        charts.risk_return(results, risk="p1")


@pytest.mark.parametrize(("label", "units", "expected"), [
    ("process", 12, "12 processes"), ("entity", 3, "3 entities"), ("site", 1, "1 site"),
    ("day", 2, "2 days")])
def test_the_key_assumptions_name_the_units_in_plain_english(label, units, expected):
    data = costmodel.load_scenario(EXAMPLE).to_data()
    data["organisation"].update(unit_label=label, units=units)
    run = costmodel.simulate(costmodel.parse_scenario(data), trials=16, seed=1)
    assert charts.key_assumptions(run).endswith(f"a year · {expected}")
