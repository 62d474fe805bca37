"""Stage gates: the option to stop after the pilot.

Identities: a threshold of minus infinity is the ungated strategy, bit for bit; the value
of the gate is the paired difference against the same strategy without its gate, run as a
second strategy on the same draws. Known answers by construction: a gate that always fails
removes exactly the later phases' flows from the gate month; one that winds down stops the
pilot's benefits at the gate and its costs ``wind_down_months`` later.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest

from costmodel import load_scenario, parse_scenario, simulate
from costmodel.errors import ScenarioError
from costmodel.results import METRIC_NAMES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "customer_service_assistant.toml"
PHASED = "Pilot, then two waves"


def example_data():
    return load_scenario(EXAMPLE).to_data()


def with_gate(data, **gate):
    data = copy.deepcopy(data)
    strategy = next(s for s in data["strategies"] if s["name"] == PHASED)
    strategy["gate"] = {**strategy.get("gate", {}), **gate}
    return data


def without_gate(data):
    data = copy.deepcopy(data)
    next(s for s in data["strategies"] if s["name"] == PHASED).pop("gate", None)
    return data


def assert_same_strategy(a, b):
    for name in METRIC_NAMES:
        assert np.array_equal(getattr(a.metrics, name), getattr(b.metrics, name),
                              equal_nan=True), name
    assert np.array_equal(a.cumulative_cash.values, b.cumulative_cash.values)
    for mine, theirs in ((a.mean_costs_by_category, b.mean_costs_by_category),
                         (a.mean_benefits_by_item, b.mean_benefits_by_item)):
        assert list(mine) == list(theirs)
        for key in mine:
            assert np.array_equal(mine[key], theirs[key]), key


@pytest.mark.parametrize("sampler", ["mc", "sobol"])
def test_minus_infinity_threshold_equals_the_ungated_strategy_exactly(sampler):
    data = example_data()
    gated = simulate(parse_scenario(with_gate(data, threshold=-math.inf)), trials=512, seed=5,
                     sampler=sampler)
    plain = simulate(parse_scenario(without_gate(data)), trials=512, seed=5, sampler=sampler)
    assert_same_strategy(gated[PHASED], plain[PHASED])
    gate = gated[PHASED].gate
    assert gate.passed.all()
    assert np.array_equal(gate.npv_without_gate, gated[PHASED].metrics.npv)
    summary = gated[PHASED].summary
    assert summary.prob_gate_passes == 1.0 and summary.gate_value == 0.0


def test_value_of_the_gate_is_the_paired_difference_against_the_ungated_twin():
    """Run the gated strategy and an ungated copy of it side by side on the same draws:
    ``npv_without_gate`` is the twin's NPV, so the value of the gate is the paired mean."""
    data = example_data()
    data["correlations"] = [c for c in data["correlations"]
                            if not any("slip" in key for key in c["between"])]
    strategy = next(s for s in data["strategies"] if s["name"] == PHASED)
    strategy["slip"] = {"months": 2.0, "later_phases": 0.5}  # the same for the twin
    strategy["disruption"]["productivity_dip"] = 0.05  # no input of its own to draw
    twin = copy.deepcopy(strategy)
    twin["name"] = "Twin without gate"
    twin.pop("gate")
    data["strategies"].append(twin)
    results = simulate(parse_scenario(data), trials=1024, seed=8, sampler="mc")
    gated, ungated = results[PHASED], results["Twin without gate"]
    np.testing.assert_allclose(gated.gate.npv_without_gate, ungated.metrics.npv, rtol=1e-9,
                               atol=1e-6)
    assert not gated.gate.passed.all()  # the example's gate does stop some rollouts
    value = gated.metrics.npv - gated.gate.npv_without_gate
    assert gated.summary.gate_value == pytest.approx(value.mean(), rel=1e-12)
    assert gated.summary.gate_value_se == pytest.approx(
        value.std(ddof=1) / math.sqrt(value.size), rel=1e-9)  # plain MC: sd / sqrt(n)
    # where the gate passed, nothing changed
    assert np.array_equal(value[gated.gate.passed], np.zeros(gated.gate.passed.sum()))


def simple_phased(on_fail="keep_pilot", threshold=math.inf, wind_down_months=1, noise=0.0):
    """A two-phase plan with only per-unit running costs and one benefit: the later phase's
    flows are those of its share, so a failed gate's effect has a closed form."""
    return parse_scenario({
        "name": "gate", "horizon_months": 24, "discount_rate": 0.0,
        "organisation": {"units": 10},
        "costs": [
            {"name": "Licence", "category": "licensing", "kind": "monthly", "basis": "per_unit",
             "amount": 50.0},
            {"name": "Platform", "category": "infrastructure", "kind": "monthly",
             "basis": "fixed", "amount": 100.0, "start_month": 0},
        ],
        "benefits": [{"name": "Saving", "kind": "amount",
                      "amount_per_month": {"pert": [500.0, 2000.0, 4000.0]}}],
        "adoption": {"ceiling": 1.0, "months_to_half": 2.0},
        "strategies": [{"name": "Phased", "phases": [{"share": 0.25, "go_live": 2},
                                                      {"share": 0.75, "go_live": 8}],
                        "gate": {"months_after_pilot": 4, "threshold": threshold,
                                 "noise": noise, "on_fail": on_fail,
                                 "wind_down_months": wind_down_months}}],
    })


def monthly_flows(results):
    """Mean monthly costs and benefits of the one strategy [currency/month]."""
    strategy = results.strategies[0]
    return strategy.mean_costs, strategy.mean_benefits


def test_a_gate_that_always_fails_keeps_only_the_pilot_from_the_gate_month():
    failing = simulate(simple_phased(threshold=math.inf), trials=256, seed=1, sampler="mc")
    open_gate = simulate(simple_phased(threshold=-math.inf), trials=256, seed=1, sampler="mc")
    gate_month = 2 + 4
    assert failing.strategies[0].gate.held.all() and not failing.strategies[0].gate.passed.any()
    costs_f, benefits_f = monthly_flows(failing)
    costs_o, benefits_o = monthly_flows(open_gate)
    # before the gate: identical; from it on: pilot licences (2.5 units) + platform only
    np.testing.assert_allclose(costs_f[:gate_month], costs_o[:gate_month], rtol=1e-12)
    np.testing.assert_allclose(costs_f[gate_month:], 2.5 * 50.0 + 100.0, rtol=1e-12)
    # the later phase never went live before the gate, so benefits before it are equal
    np.testing.assert_allclose(benefits_f[:gate_month], benefits_o[:gate_month], rtol=1e-12)
    later_adopts = 8 + 1  # the later phase's go-live month has zero adoption
    np.testing.assert_allclose(benefits_f[gate_month:later_adopts],
                               benefits_o[gate_month:later_adopts], rtol=1e-12)
    assert (benefits_f[later_adopts:] < benefits_o[later_adopts:]).all()
    # value of the gate: what the cancelled phase would have added
    s = failing.strategies[0]
    np.testing.assert_allclose(s.gate.npv_without_gate, open_gate.strategies[0].metrics.npv,
                               rtol=1e-9)


def test_a_gate_that_winds_down_stops_benefits_then_costs():
    results = simulate(simple_phased(on_fail="wind_down", threshold=math.inf,
                                     wind_down_months=3), trials=64, seed=2, sampler="mc")
    costs, benefits = monthly_flows(results)
    gate_month = 6
    # (monthly means are sums corrected cell by cell: zero up to rounding)
    np.testing.assert_allclose(benefits[gate_month:], 0.0, atol=1e-9)
    assert (benefits[3:gate_month] > 0).all()
    np.testing.assert_allclose(costs[gate_month:gate_month + 3], 2.5 * 50.0 + 100.0)
    np.testing.assert_allclose(costs[gate_month + 3:], 0.0, atol=1e-9)
    # the per-trial metrics see exact zeros: total cost is what was spent before
    spent = 100.0 * (gate_month + 3) + 2.5 * 50.0 * (gate_month + 3 - 2)
    np.testing.assert_allclose(results.strategies[0].metrics.total_cost, spent, rtol=1e-12)


def test_the_gate_compares_the_run_rate_ratio_with_the_threshold():
    """Noise-free, the measured ratio is the pilot's benefit in the gate month over its
    running cost: 2.5 licences + a quarter of the platform (the pilot's share)."""
    results = simulate(simple_phased(threshold=1.5), trials=512, seed=3, sampler="mc")
    gate = results.strategies[0].gate
    running = 2.5 * 50.0 + 0.25 * 100.0
    # the benefit in month 6: amount x 0.25 x adoption four months after go-live
    lam = 1 / (1 + 81 * 81 ** (-4 / 2.0))
    adoption = (lam - 1 / 82) / (1 - 1 / 82)
    open_run = simulate(simple_phased(threshold=-math.inf), trials=512, seed=3, sampler="mc")
    amount = open_run.strategies[0].metrics.pv_benefits  # unused: amount comes from draws
    del amount
    from costmodel.uncertainty import draw
    scenario = simple_phased(threshold=1.5)
    draws = draw(scenario, 512, sampler="mc", rng=np.random.default_rng(3))
    expected = draws[("benefits", 0, "amount_per_month")] * 0.25 * adoption / running
    np.testing.assert_allclose(gate.ratio, expected, rtol=1e-9)
    assert np.array_equal(gate.passed, expected >= 1.5)
    assert results.strategies[0].summary.prob_gate_passes == pytest.approx(
        np.mean(expected >= 1.5))


def test_a_higher_threshold_never_passes_more_trials():
    passed = [simulate(simple_phased(threshold=t, noise=0.2), trials=512, seed=4,
                       sampler="sobol").strategies[0].gate.passed for t in (0.5, 1.0, 2.0)]
    assert (passed[1] <= passed[0]).all() and (passed[2] <= passed[1]).all()
    assert passed[0].mean() > passed[2].mean()


@pytest.mark.parametrize(("gate", "path", "words"), [
    ({"months_after_pilot": 4, "threshold": 1.0}, "strategies[0].gate",
     "needs a phased strategy"),
    ({"months_after_pilot": 9, "threshold": 1.0}, "strategies[1].gate.months_after_pilot",
     "not before the second phase's go-live"),
    ({"months_after_pilot": 2, "threshold": float("nan")}, "strategies[1].gate.threshold",
     "nan is not a threshold"),
    ({"months_after_pilot": 2, "threshold": 1.0, "on_fail": "stop"},
     "strategies[1].gate.on_fail", "is not one of"),
    ({"months_after_pilot": 2, "threshold": 1.0, "noise": -0.1}, "strategies[1].gate.noise",
     "at least 0"),
])
def test_bad_gates_are_named(gate, path, words):
    data = without_gate(example_data())
    index = 0 if path.startswith("strategies[0]") else 1
    data["strategies"][index]["gate"] = gate
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    problems = {p.path: p.message for p in info.value.problems}
    assert path in problems, problems
    assert words in problems[path]
