"""Known answers for the per-trial reference model (``costmodel/engine/reference.py``).

Every expected value is worked out by hand from ``docs/methodology.md``; the arithmetic is
in the comment next to it. Logistic values used throughout, for ``Λ(τ) = 1/(1 + 81 q^τ)``:

* ``h = 2``: ``q = 81^(-1/2) = 1/9``, so ``Λ(0..4) = 1/82, 1/10, 1/2, 9/10, 81/82`` and the
  normalised curve ``(Λ(τ) - 1/82) / (81/82) = (82 Λ(τ) - 1) / 81`` is
  ``0, 7.2/81, 40/81, 72.8/81, 80/81``.
* ``h = 4``: ``q = 81^(-1/4) = 1/3``, so ``Λ(3) = 1/(1 + 81/27) = 1/4`` and the normalised
  value is ``(82/4 - 1)/81 = 19.5/81``.
* ``h = 1e-3``: ``q = 81^(-1000)`` underflows to 0, so ``Λ(τ ≥ 1) = 1`` and adoption is
  exactly ``0`` at go-live and exactly the ceiling from the next month on.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy_financial as npf
import pytest

from costmodel.engine.reference import (
    DIP_CATEGORY,
    METRIC_NAMES,
    reference_run,
    reference_trial,
    reference_trial_flows,
    reference_trial_metrics,
)
from costmodel.scenario import parse_scenario
from costmodel.store import load_scenario
from costmodel.uncertainty import Draws, draw

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "customer_service_assistant.toml"
S_CURVE_H2 = [0.0, 7.2 / 81, 40 / 81, 72.8 / 81, 80 / 81]


def make_scenario(
    *,
    costs=(),
    benefits=(),
    phases=((1.0, 0),),
    horizon=12,
    lead_time=0,
    units=10,
    adoption=None,
    learning=None,
    disruption=None,
    organisation=None,
    slip=None,
    gate=None,
    risks=(),
):
    """A minimal scenario from plain data; every number is fixed (its own point value)."""
    strategy = {
        "name": "Plan",
        "phases": [{"share": share, "go_live": go_live} for share, go_live in phases],
        "lead_time_months": lead_time,
    }
    for key, value in (
        ("learning", learning),
        ("disruption", disruption),
        ("slip", slip),
        ("gate", gate),
    ):
        if value is not None:
            strategy[key] = value
    data = {
        "name": "Known answer",
        "horizon_months": horizon,
        "discount_rate": 0.0,
        "organisation": {"units": units, **(organisation or {})},
        "costs": [{"name": f"cost {i}", **c} for i, c in enumerate(costs)],
        "benefits": [{"name": f"benefit {i}", **b} for i, b in enumerate(benefits)],
        "strategies": [strategy],
        "risks": [{"name": f"risk {i}", **r} for i, r in enumerate(risks)],
    }
    if adoption is not None:
        data["adoption"] = adoption
    return parse_scenario(data)


def flows(scenario, values=None):
    """Costs, benefits and categories of the point trial (or of ``values``)."""
    if values is None:
        values = Draws.point(scenario).trial(0)
    return reference_trial_flows(scenario, 0, values)


def one_cost(**cost):
    return {"category": "other", **cost}


# --- adoption and effective use ------------------------------------------------------------


def test_adoption_follows_the_normalised_s_curve_from_go_live():
    s = make_scenario(
        costs=[one_cost(kind="monthly", basis="fixed", amount=100)],
        benefits=[{"kind": "amount", "amount_per_month": 1000}],
        phases=[(1.0, 1)],
        horizon=6,
        adoption={"ceiling": 0.8, "months_to_half": 2, "data_quality": 0.5},
    )
    costs, benefits, _ = flows(s)
    # benefit(m) = V·Q·c·(82Λ(τ)-1)/81 = 1000·0.5·0.8·curve = 400·curve, τ = m - 1;
    # month 0 is before go-live (0), month 1 is go-live (τ = 0, exactly 0).
    expected = [0.0] + [400 * a for a in S_CURVE_H2]
    assert benefits == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert benefits[1] == 0.0
    # a monthly fixed cost without start_month starts at the first go-live g_0 = 1
    assert costs == [0.0, 100.0, 100.0, 100.0, 100.0, 100.0]


def test_later_phases_adopt_faster():
    s = make_scenario(
        benefits=[{"kind": "amount", "amount_per_month": 81}],
        phases=[(0.5, 0), (0.5, 2)],
        horizon=5,
        adoption={"ceiling": 1.0, "months_to_half": 4},
        learning={"adoption_speedup": 0.5},
    )
    _, benefits, _ = flows(s)
    # h_0 = 4 (q = 1/3), h_1 = 4·0.5 = 2 (q = 1/9). In month 3: phase 0 at τ = 3 gives
    # 19.5/81, phase 1 at τ = 1 gives 7.2/81; E(3) = 0.5·(19.5 + 7.2)/81 = 13.35/81,
    # benefit = 81·E = 13.35. In month 4: phase 0 at τ = 4: Λ = 1/(1 + 1) = 1/2 -> 40/81;
    # phase 1 at τ = 2: 40/81; benefit = 81·0.5·(40 + 40)/81 = 40.
    assert benefits[3] == pytest.approx(13.35, rel=1e-12)
    assert benefits[4] == pytest.approx(40.0, rel=1e-12)


def test_benefit_kinds_growth_and_data_quality():
    s = make_scenario(
        benefits=[
            {
                "kind": "labour_hours",
                "hours_per_unit_per_month": 10,
                "hourly_cost": 40,
                "realisation": 0.5,
            },
            {
                "kind": "volume",
                "items_per_month": 1000,
                "automation_rate": 0.2,
                "value_per_item": 5,
                "growth": 0.1,
            },
            {"kind": "revenue", "revenue_per_month": 10_000, "uplift": 0.1, "margin": 0.5},
        ],
        phases=[(1.0, 0)],
        units=5,
        horizon=14,
        adoption={"ceiling": 0.5, "months_to_half": 1e-3, "data_quality": 0.8},
    )
    _, benefits, _ = flows(s)
    # V: labour 10·5·40·0.5 = 1000, volume 1000·0.2·5 = 1000, revenue 10000·0.1·0.5 = 500.
    # E(0) = 0 (go-live), E(m ≥ 1) = c = 0.5; times Q = 0.8 -> factor 0.4.
    # months 1-11: (1000 + 1000 + 500)·0.4 = 1000; months 12-13: volume grows by 1.1:
    # (1000 + 1100 + 500)·0.4 = 1040.
    assert benefits[0] == 0.0
    assert benefits[1:12] == pytest.approx([1000.0] * 11, rel=1e-12)
    assert benefits[12:] == pytest.approx([1040.0] * 2, rel=1e-12)


# --- costs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lead_time", "go_live", "expected"),
    [
        # window months 0, 1, 2: A/3 each
        (3, 3, [300.0, 300.0, 300.0, 0.0, 0.0]),
        # window max(0, 2-3) = 0 … 1: A/2 each (truncated at month 0)
        (3, 2, [450.0, 450.0, 0.0, 0.0, 0.0]),
        # g = 0: the window is empty, so all in the go-live month 0
        (3, 0, [900.0, 0.0, 0.0, 0.0, 0.0]),
        # L = 0: all in the go-live month 2
        (0, 2, [0.0, 0.0, 900.0, 0.0, 0.0]),
    ],
)
def test_one_time_fixed_cost_is_spread_over_the_lead_window(lead_time, go_live, expected):
    s = make_scenario(
        costs=[one_cost(kind="one_time", basis="fixed", amount=900)],
        phases=[(1.0, go_live)],
        lead_time=lead_time,
        horizon=5,
    )
    costs, _, _ = flows(s)
    assert costs == pytest.approx(expected, rel=1e-12)


def test_one_time_fixed_cost_with_start_month_falls_in_that_month():
    s = make_scenario(
        costs=[one_cost(kind="one_time", basis="fixed", amount=900, start_month=1)],
        phases=[(1.0, 3)],
        lead_time=3,
        horizon=5,
    )
    costs, _, _ = flows(s)
    assert costs == [0.0, 900.0, 0.0, 0.0, 0.0]


def test_yearly_costs_fall_every_twelve_months():
    s = make_scenario(
        costs=[
            one_cost(kind="yearly", basis="fixed", amount=1000, category="security"),
            one_cost(kind="yearly", basis="fixed", amount=7, start_month=0, category="compliance"),
            one_cost(kind="yearly", basis="per_unit", amount=10, category="licensing"),
            one_cost(kind="yearly", basis="per_user", amount=1, category="training"),
        ],
        phases=[(0.5, 2), (0.5, 5)],
        horizon=36,
        organisation={"users_per_unit": 3},
    )
    _, _, by_category = flows(s)

    def months_with_cost(series):
        return {m: v for m, v in enumerate(series) if v != 0.0}

    # fixed, t0 = g_0 = 2: months 2, 14, 26
    assert months_with_cost(by_category["security"]) == {2: 1000.0, 14: 1000.0, 26: 1000.0}
    # fixed, start_month 0: months 0, 12, 24
    assert months_with_cost(by_category["compliance"]) == {0: 7.0, 12: 7.0, 24: 7.0}
    # per unit, per phase from its go-live: 10·10·0.5 = 50 at 2, 14, 26 and at 5, 17, 29
    per_unit = {m: 50.0 for m in (2, 14, 26, 5, 17, 29)}
    assert months_with_cost(by_category["licensing"]) == per_unit
    # per user: 1·10·3·0.5 = 15 in the same months
    assert months_with_cost(by_category["training"]) == {m: 15.0 for m in per_unit}


def test_escalation_steps_every_twelve_months_from_month_0():
    s = make_scenario(
        costs=[one_cost(kind="monthly", basis="fixed", amount=100, escalation=0.1)],
        phases=[(1.0, 0)],
        horizon=30,
    )
    costs, _, _ = flows(s)
    # e(m) = 1.1^⌊m/12⌋: 100 in months 0-11, 110 in 12-23, 121 in 24-29
    assert costs == pytest.approx([100.0] * 12 + [110.0] * 12 + [121.0] * 6, rel=1e-12)


def test_escalation_counts_from_month_0_not_from_the_cost_start():
    s = make_scenario(
        costs=[
            one_cost(kind="one_time", basis="fixed", amount=100, escalation=0.1, start_month=13)
        ],
        horizon=14,
    )
    costs, _, _ = flows(s)
    assert costs[13] == pytest.approx(110.0, rel=1e-12)  # 100 · 1.1^⌊13/12⌋


def test_wright_learning_on_one_time_per_unit_and_per_user_costs():
    s = make_scenario(
        costs=[
            one_cost(kind="one_time", basis="per_unit", amount=100, category="training"),
            one_cost(kind="one_time", basis="per_user", amount=10, category="integration"),
        ],
        phases=[(0.25, 2), (0.75, 6)],
        lead_time=2,
        units=20,
        horizon=8,
        organisation={"users_per_unit": 2},
        learning={"cost_learning_rate": 0.9},
    )
    _, _, by_category = flows(s)
    # λ_0 = 1; C_1/C_0 = 1/0.25 = 4, λ_1 = 4^log2(0.9) = 0.9^2 = 0.81.
    # per unit: phase 0 100·20·0.25 = 500 over months 0, 1 (250 each);
    # phase 1 100·20·0.75·0.81 = 1215 over months 4, 5 (607.5 each).
    assert by_category["training"] == pytest.approx(
        [250.0, 250.0, 0.0, 0.0, 607.5, 607.5, 0.0, 0.0], rel=1e-12
    )
    # per user: 10·20·2 = 400 per unit of share: phase 0 100 (50 each), phase 1
    # 400·0.75·0.81 = 243 (121.5 each)
    assert by_category["integration"] == pytest.approx(
        [50.0, 50.0, 0.0, 0.0, 121.5, 121.5, 0.0, 0.0], rel=1e-12
    )


def test_monthly_per_unit_and_per_user_follow_the_deployed_share():
    s = make_scenario(
        costs=[
            one_cost(kind="monthly", basis="per_unit", amount=45, category="licensing"),
            one_cost(kind="monthly", basis="per_user", amount=2, category="security"),
        ],
        phases=[(0.4, 1), (0.6, 3)],
        horizon=5,
        organisation={"users_per_unit": 1.5},
    )
    _, _, by_category = flows(s)
    # D = 0, 0.4, 0.4, 1, 1; per unit 45·10·D; per user 2·10·1.5·D = 30·D
    assert by_category["licensing"] == pytest.approx([0.0, 180.0, 180.0, 450.0, 450.0])
    assert by_category["security"] == pytest.approx([0.0, 12.0, 12.0, 30.0, 30.0])


def test_per_usage_cost_scales_with_effective_use():
    s = make_scenario(
        costs=[one_cost(kind="monthly", basis="per_usage", amount=0.02, usage_per_unit=500)],
        phases=[(1.0, 0)],
        horizon=5,
        adoption={"ceiling": 1.0, "months_to_half": 2},
    )
    costs, _, _ = flows(s)
    # A·k·N = 0.02·500·10 = 100, times E(m) = the h = 2 curve
    assert costs == pytest.approx([100 * a for a in S_CURVE_H2], rel=1e-12, abs=1e-12)


def test_productivity_dip_for_the_months_after_each_go_live():
    s = make_scenario(
        costs=[one_cost(kind="monthly", basis="fixed", amount=1, escalation=0.5)],
        phases=[(0.5, 1), (0.5, 4)],
        horizon=8,
        organisation={"monthly_cost_per_unit": 1000},
        disruption={"productivity_dip": 0.1, "months": 2},
    )
    costs, _, by_category = flows(s)
    # δ·N·s_p·K = 0.1·10·0.5·1000 = 500 in months 1, 2 (phase 0) and 4, 5 (phase 1)
    dip = [0.0, 500.0, 500.0, 0.0, 500.0, 500.0, 0.0, 0.0]
    assert by_category[DIP_CATEGORY] == pytest.approx(dip, rel=1e-12)
    # the dip is part of the total cost; the fixed monthly 1 runs from g_0 = 1
    assert costs == pytest.approx([d + (m >= 1) for m, d in enumerate(dip)], rel=1e-12)
    assert list(by_category) == ["other", DIP_CATEGORY]


def test_dip_is_not_escalated():
    s = make_scenario(
        costs=[one_cost(kind="monthly", basis="fixed", amount=0, escalation=0.5)],
        phases=[(1.0, 11)],
        horizon=14,
        organisation={"monthly_cost_per_unit": 100},
        disruption={"productivity_dip": 0.5, "months": 3},
    )
    _, _, by_category = flows(s)
    # 0.5·10·1·100 = 500 in months 11, 12, 13 — no step at month 12
    assert by_category[DIP_CATEGORY][11:] == pytest.approx([500.0] * 3, rel=1e-12)


def test_numbers_come_from_the_values_dict_not_the_scenario():
    s = make_scenario(
        costs=[one_cost(kind="monthly", basis="fixed", amount={"pert": [50, 100, 400]})],
        benefits=[{"kind": "amount", "amount_per_month": {"uniform": [0, 10]}}],
        phases=[(1.0, 0)],
        horizon=3,
        adoption={"ceiling": 1.0, "months_to_half": 1e-3},
    )
    values = Draws.point(s).trial(0)
    values[("costs", 0, "amount")] = 250.0
    values[("benefits", 0, "amount_per_month")] = 7.0
    costs, benefits, _ = flows(s, values)
    assert costs == [250.0, 250.0, 250.0]
    assert benefits == [0.0, 7.0, 7.0]  # adoption 0 at go-live, the ceiling 1 after


def test_categories_sum_to_the_total_cost():
    s = load_scenario(EXAMPLE)
    values = draw(s, 1, sampler="mc", rng=np.random.default_rng(3)).trial(0)
    for k in range(len(s.strategies)):
        costs, _, by_category = reference_trial_flows(s, k, values)
        assert list(by_category)[-1] == DIP_CATEGORY
        risk_categories = {r.category for r in s.risks if r.kind == "cost"}
        expected = {c.category for c in s.costs} | risk_categories | {DIP_CATEGORY}
        assert set(by_category) == expected
        summed = [sum(series[m] for series in by_category.values()) for m in range(len(costs))]
        assert summed == pytest.approx(costs, rel=1e-12)


# --- schedule slip -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slip_months", "later_phases", "expected"),
    [
        (2.5, 1.0, [4, 11]),  # rint(2.5) = 2 (half to even) for both
        (3.5, 1.0, [6, 13]),  # rint(3.5) = 4
        (5.0, 0.5, [7, 11]),  # later: rint(5 · 0.5) = rint(2.5) = 2
        (7.0, 0.5, [9, 13]),  # later: rint(3.5) = 4
        (9.0, 0.0, [11, 12]),  # later not delayed (9), but after the pilot: 11 + 1
        (17.0, 0.2, [19, 20]),  # later: 9 + rint(3.4) = 12 -> at least 20 -> capped at H = 20
        (17.6, 1.0, [20, 20]),  # rint(17.6) = 18: 20 and 27, both capped at H = 20
    ],
)
def test_slip_delays_the_go_lives(slip_months, later_phases, expected):
    s = make_scenario(
        phases=[(0.5, 2), (0.5, 9)],
        horizon=20,
        slip={"months": slip_months, "later_phases": later_phases},
    )
    assert reference_trial(s, 0, Draws.point(s).trial(0)).go_lives == expected


def test_slip_moves_deployment_but_not_one_time_or_fixed_costs():
    s = make_scenario(
        costs=[
            one_cost(kind="one_time", basis="fixed", amount=900, category="integration"),
            one_cost(kind="monthly", basis="fixed", amount=10, category="maintenance"),
            one_cost(kind="monthly", basis="per_unit", amount=1, category="licensing"),
            one_cost(kind="yearly", basis="per_unit", amount=100, category="security"),
            one_cost(kind="yearly", basis="fixed", amount=7, category="compliance"),
        ],
        benefits=[{"kind": "amount", "amount_per_month": 100}],
        phases=[(1.0, 2)],
        lead_time=2,
        horizon=20,
        organisation={"monthly_cost_per_unit": 1000},
        adoption={"ceiling": 1.0, "months_to_half": 1e-3},
        disruption={"productivity_dip": 0.1, "months": 2},
        slip={"months": 3},
    )
    trial = reference_trial(s, 0, Draws.point(s).trial(0))
    by_category = trial.costs_by_category

    def nonzero(series):
        return {m: v for m, v in enumerate(series) if v != 0.0}

    assert trial.go_lives == [5]  # planned 2, three months late
    # planned: the one-time cost over the lead window 0, 1 of the planned go-live 2, and
    # the fixed costs from the planned go-live
    assert nonzero(by_category["integration"]) == {0: 450.0, 1: 450.0}
    assert nonzero(by_category["maintenance"]) == {m: 10.0 for m in range(2, 20)}
    assert nonzero(by_category["compliance"]) == {2: 7.0, 14: 7.0}
    # actual: per-unit costs 1·10 a month from month 5, 100·10 a year at 5 and 17; the dip
    # 0.1·10·1000 in months 5, 6; the benefit 0 at go-live 5, then 100
    assert nonzero(by_category["licensing"]) == {m: 10.0 for m in range(5, 20)}
    assert nonzero(by_category["security"]) == {5: 1000.0, 17: 1000.0}
    assert nonzero(by_category[DIP_CATEGORY]) == {5: 1000.0, 6: 1000.0}
    assert trial.benefits == [0.0] * 6 + [100.0] * 14


# --- risk events ---------------------------------------------------------------------------


def test_benefit_losses_add_up_capped_at_the_whole_benefit():
    s = make_scenario(
        benefits=[{"kind": "amount", "amount_per_month": 100}],
        horizon=8,
        adoption={"ceiling": 1.0, "months_to_half": 1e-3},
        risks=[
            {
                "kind": "benefit_loss",
                "probability_per_year": 0.5,
                "loss": {"uniform": [0.2, 0.6]},
                "months": {"uniform": [1, 2]},
            },
            {"kind": "benefit_loss", "probability_per_year": 0.5, "loss": 0.8, "months": 3},
        ],
    )
    values = Draws.point(s).trial(0)
    # risk 0: loss 0.4 (the median) for ceil(1.5) = 2 months from month 2; a repeat in
    # month 3 with its own draws, loss 0.25 for max(1, ceil(0.3)) = 1 month; no third one
    values |= {
        ("risks", 0, "@month", 0): 2.0,
        ("risks", 0, "@month", 1): 3.0,
        ("risks", 0, "@loss", 1): 0.25,
        ("risks", 0, "@months", 1): 0.3,
        ("risks", 0, "@month", 2): 8.0,
    }
    # risk 1: loss 0.8 for 3 months from month 3
    values[("risks", 1, "@month", 0)] = 3.0
    trial = reference_trial(s, 0, values)
    # month 2: 0.4 lost; month 3: 0.4 + 0.25 + 0.8 > 1, all lost; months 4, 5: 0.8 lost
    assert trial.benefits == pytest.approx([0, 100, 60, 0, 20, 20, 100, 100], rel=1e-12)
    assert trial.benefits_by_item == {"benefit 0": trial.benefits}


def test_abandonment_stops_benefits_then_costs_after_the_wind_down():
    s = make_scenario(
        costs=[one_cost(kind="monthly", basis="fixed", amount=10)],
        benefits=[{"kind": "amount", "amount_per_month": 100}],
        horizon=10,
        adoption={"ceiling": 1.0, "months_to_half": 1e-3},
        risks=[
            {
                "kind": "abandonment",
                "probability_per_year": 0.1,
                "wind_down_months": {"uniform": [2, 3]},
            },
            {"kind": "abandonment", "probability_per_year": 0.1},
        ],
    )
    values = Draws.point(s).trial(0)
    values[("risks", 0, "@month", 0)] = 4.0  # wind-down rint(2.5) = 2 months
    values[("risks", 1, "@month", 0)] = 6.0  # later: no effect
    trial = reference_trial(s, 0, values)
    assert trial.benefits == [0.0, 100.0, 100.0, 100.0] + [0.0] * 6
    assert trial.costs == [10.0] * 6 + [0.0] * 4


def test_cost_incidents_scale_with_the_share_deployed_until_costs_stop():
    s = make_scenario(
        phases=[(0.25, 1), (0.75, 6)],
        horizon=10,
        risks=[
            {
                "kind": "cost",
                "probability_per_year": 0.5,
                "cost": {"uniform": [500, 1500]},
                "scales_with_deployment": True,
                "category": "security",
            },
            {"kind": "cost", "probability_per_year": 0.5, "cost": 300},
            {"kind": "abandonment", "probability_per_year": 0.1, "wind_down_months": 1},
        ],
    )
    values = Draws.point(s).trial(0)
    values |= {
        # risk 0 in months 4, 6, 7 and 8, costing 1000 (the median), 2000, 3000, 5000
        ("risks", 0, "@month", 0): 4.0,
        ("risks", 0, "@month", 1): 6.0,
        ("risks", 0, "@cost", 1): 2000.0,
        ("risks", 0, "@month", 2): 7.0,
        ("risks", 0, "@cost", 2): 3000.0,
        ("risks", 0, "@month", 3): 8.0,
        ("risks", 0, "@cost", 3): 5000.0,
        ("risks", 1, "@month", 0): 0.0,  # 300 in month 0, not scaled
        ("risks", 2, "@month", 0): 7.0,  # abandoned in month 7: costs stop from month 8
    }
    trial = reference_trial(s, 0, values)
    # month 4: 1000 · 0.25 (the pilot); month 6: 2000 · 1; month 7: abandoned, nothing
    # deployed any more: 3000 · 0; month 8: after the costs stopped
    by_category = trial.costs_by_category
    assert by_category["security"] == [0, 0, 0, 0, 250, 0, 2000, 0, 0, 0]
    assert by_category["other"] == [300] + [0] * 9
    assert list(by_category) == ["security", "other", DIP_CATEGORY]


# --- the stage gate ------------------------------------------------------------------------


def gated_scenario(on_fail="keep_pilot"):
    """Pilot 0.5 in month 1, wave 0.5 in month 6; the gate 2 months after the pilot."""
    return make_scenario(
        costs=[
            one_cost(kind="one_time", basis="fixed", amount=5000, category="integration"),
            one_cost(kind="monthly", basis="fixed", amount=100, category="maintenance"),
            one_cost(kind="monthly", basis="per_unit", amount=2, category="licensing"),
            one_cost(kind="yearly", basis="fixed", amount=1200, category="security"),
            one_cost(kind="yearly", basis="per_unit", amount=12, category="compliance"),
            one_cost(kind="one_time", basis="per_unit", amount=40, category="training"),
        ],
        benefits=[{"kind": "amount", "amount_per_month": 460}],
        phases=[(0.5, 1), (0.5, 6)],
        lead_time=2,
        horizon=10,
        adoption={"ceiling": 1.0, "months_to_half": 1e-3},
        gate={
            "months_after_pilot": 2,
            "threshold": 1.5,
            "noise": 0.5,
            "on_fail": on_fail,
            "wind_down_months": 2,
        },
    )


# Without a failed gate. Costs: month 0 the set-up 5000 and the pilot's training
# 40·10·0.5 = 200 (window [0]); month 1 upkeep 100, seats 2·10·0.5 = 10, the yearly 1200
# and 12·10·0.5 = 60; months 2-3: 110; months 4-5: 110 + the wave's training 200/2; month 6:
# 100 + 20 + the wave's yearly 60; then 120. Benefits: 460·0.5 = 230 from month 2, 460 from 7.
UNGATED_COSTS = [5200, 1370, 110, 110, 210, 210, 180, 120, 120, 120]
UNGATED_BENEFITS = [0, 0, 230, 230, 230, 230, 230, 460, 460, 460]


def gate_values(scenario, observed_over_ratio):
    values = Draws.point(scenario).trial(0)
    values[("strategies", 0, "gate", "@z")] = math.log(observed_over_ratio) / 0.5
    return values


def test_gate_measures_the_pilots_run_rate_ratio():
    s = gated_scenario()
    trial = reference_trial(s, 0, gate_values(s, 1.0))
    # g = min(1 + 2, 6 - 1) = 3. R(3) = 100·0.5 (fixed monthly, pilot's share)
    # + 2·10·0.5 (seats) + 1200/12·0.5 (fixed yearly) + 12/12·10·0.5 (per-unit yearly)
    # = 115; B(3) = 230; ratio 2; passes 1.5
    assert trial.gate.month == 3
    assert trial.gate.held and trial.gate.passed
    assert trial.gate.ratio == pytest.approx(2.0, rel=1e-12)
    assert trial.gate.observed == pytest.approx(2.0, rel=1e-12)
    assert trial.costs == pytest.approx(UNGATED_COSTS, rel=1e-12)
    assert trial.benefits == pytest.approx(UNGATED_BENEFITS, rel=1e-12)


def test_failed_gate_keeping_the_pilot_cancels_the_later_phases():
    s = gated_scenario("keep_pilot")
    values = gate_values(s, 0.6)  # observed 2 · 0.6 = 1.2 < 1.5
    trial = reference_trial(s, 0, values)
    assert trial.gate.held and not trial.gate.passed
    assert trial.gate.ratio == pytest.approx(2.0, rel=1e-12)
    assert trial.gate.observed == pytest.approx(1.2, rel=1e-12)
    # from month 3 on, no wave: no training in months 4-5, no seats or yearly cost from 6
    assert trial.costs == pytest.approx([5200, 1370, 110] + [110] * 7, rel=1e-12)
    assert trial.benefits == pytest.approx([0, 0] + [230] * 8, rel=1e-12)
    # had the gate never failed
    ungated = reference_trial(s, 0, values, apply_gate=False)
    assert ungated.costs == pytest.approx(UNGATED_COSTS, rel=1e-12)
    assert ungated.benefits == pytest.approx(UNGATED_BENEFITS, rel=1e-12)
    assert ungated.gate == trial.gate


def test_failed_gate_winding_down_stops_the_pilot_too():
    s = gated_scenario("wind_down")
    trial = reference_trial(s, 0, gate_values(s, 0.6))
    # the pilot's benefits stop at g = 3, every cost 2 months later
    assert trial.benefits == pytest.approx([0, 0, 230] + [0] * 7, rel=1e-12)
    assert trial.costs == pytest.approx([5200, 1370, 110, 110, 110] + [0] * 5, rel=1e-12)


def test_gate_is_not_held_once_the_project_is_abandoned():
    s = make_scenario(
        costs=[one_cost(kind="monthly", basis="fixed", amount=100)],
        benefits=[{"kind": "amount", "amount_per_month": 460}],
        phases=[(0.5, 1), (0.5, 6)],
        horizon=10,
        adoption={"ceiling": 1.0, "months_to_half": 1e-3},
        gate={"months_after_pilot": 2, "threshold": math.inf, "on_fail": "wind_down"},
        risks=[{"kind": "abandonment", "probability_per_year": 0.1, "wind_down_months": 4}],
    )
    values = Draws.point(s).trial(0)
    values[("risks", 0, "@month", 0)] = 3.0  # abandoned in the gate's month
    trial = reference_trial(s, 0, values)
    assert trial.gate.month == 3
    assert not trial.gate.held and trial.gate.passed
    assert math.isnan(trial.gate.ratio)
    assert trial.benefits == pytest.approx([0, 0, 230] + [0] * 7, rel=1e-12)
    assert trial.costs == [0.0] + [100.0] * 6 + [0.0] * 3  # from month 1 until 3 + 4


def test_gate_is_not_held_for_a_pilot_past_the_horizon():
    s = make_scenario(
        costs=[one_cost(kind="monthly", basis="fixed", amount=100)],
        benefits=[{"kind": "amount", "amount_per_month": 460}],
        phases=[(0.5, 1), (0.5, 6)],
        horizon=10,
        adoption={"ceiling": 1.0, "months_to_half": 1e-3},
        gate={"months_after_pilot": 2, "threshold": math.inf, "on_fail": "wind_down"},
        slip={"months": 9},
    )
    trial = reference_trial(s, 0, Draws.point(s).trial(0))
    # both go-lives capped at H = 10; g = min(10 + 2, 10 - 1) = 9 < H, but the pilot never
    # went live: no gate (the fixed cost runs on from the planned month 1)
    assert trial.go_lives == [10, 10]
    assert trial.gate.month == 9
    assert not trial.gate.held and trial.gate.passed
    assert trial.costs == [0.0] + [100.0] * 9


@pytest.mark.parametrize(("benefit", "expected"), [(460, math.inf), (0, 0.0)])
def test_gate_ratio_without_running_costs(benefit, expected):
    s = make_scenario(
        costs=[one_cost(kind="one_time", basis="fixed", amount=100)],
        benefits=[{"kind": "amount", "amount_per_month": benefit}],
        phases=[(0.5, 1), (0.5, 6)],
        horizon=10,
        adoption={"ceiling": 1.0, "months_to_half": 1e-3},
        gate={"months_after_pilot": 2, "threshold": 1.0},
    )
    gate = reference_trial(s, 0, Draws.point(s).trial(0)).gate
    # R = 0: the ratio is inf with a benefit, 0 without
    assert gate.ratio == expected
    assert gate.passed == (expected >= 1.0)


# --- metrics -------------------------------------------------------------------------------


def test_payback_is_interpolated_inside_the_month():
    m = reference_trial_metrics(0.0, [100.0, 0.0, 0.0, 0.0], [0.0, 30.0, 30.0, 60.0])
    # F = -100, 30, 30, 60; S = -100, -70, -40, 20 -> 2 + 40/60
    assert m["payback_months"] == pytest.approx(2 + 40 / 60, rel=1e-12)
    assert m["discounted_payback_months"] == pytest.approx(2 + 40 / 60, rel=1e-12)  # r = 0
    assert m["npv"] == pytest.approx(20.0)  # npv(0) = Σ F
    assert m["pv_costs"] == 100.0
    assert m["pv_benefits"] == 120.0
    assert m["roi"] == pytest.approx(0.2)  # (120 - 100)/100
    assert m["benefit_cost_ratio"] == pytest.approx(1.2)
    assert m["peak_funding_need"] == 100.0  # -min S
    assert m["total_cost"] == 100.0


def test_discounted_payback_and_npv():
    r = 0.1
    m = reference_trial_metrics(r, [100.0, 0.0, 0.0], [0.0, 60.0, 60.0])
    # discounted F = -100, 60/1.1, 60/1.21; S = -100, -500/11, 4.13…
    # -> 1 + (500/11)/(6000/121) = 1 + 500·11/6000 = 1 + 11/12
    assert m["discounted_payback_months"] == pytest.approx(1 + 11 / 12, rel=1e-12)
    assert m["payback_months"] == pytest.approx(1 + 40 / 60, rel=1e-12)
    assert m["npv"] == pytest.approx(-100 + 60 / 1.1 + 60 / 1.21, rel=1e-12)
    assert m["pv_benefits"] == pytest.approx(60 / 1.1 + 60 / 1.21, rel=1e-12)


def test_payback_zero_when_never_negative_and_inf_when_never_paid_back():
    never_negative = reference_trial_metrics(0.01, [0.0, 0.0], [0.0, 5.0])
    assert never_negative["payback_months"] == 0.0
    assert never_negative["discounted_payback_months"] == 0.0
    assert never_negative["peak_funding_need"] == 0.0
    assert math.isnan(never_negative["roi"])  # PV costs 0
    assert math.isnan(never_negative["benefit_cost_ratio"])
    assert math.isnan(never_negative["irr_monthly"])  # no sign change
    assert math.isnan(never_negative["irr_annual"])
    never_paid = reference_trial_metrics(0.0, [100.0, 0.0, 0.0], [0.0, 30.0, 30.0])
    assert never_paid["payback_months"] == math.inf
    assert never_paid["discounted_payback_months"] == math.inf


def test_payback_counts_from_the_first_time_s_goes_negative():
    m = reference_trial_metrics(0.0, [0.0, 30.0, 0.0], [10.0, 0.0, 40.0])
    # F = 10, -30, 40; S = 10, -20, 20 -> negative in month 1, back in month 2: 1 + 20/40
    assert m["payback_months"] == pytest.approx(1.5, rel=1e-12)
    assert m["peak_funding_need"] == 20.0


def test_irr_of_conventional_flows():
    m = reference_trial_metrics(0.0, [100.0, 0.0], [0.0, 110.0])
    assert m["irr_monthly"] == pytest.approx(0.1, abs=1e-10)  # -100 + 110/(1+i) = 0
    assert m["irr_annual"] == pytest.approx(1.1**12 - 1, rel=1e-9)
    m = reference_trial_metrics(0.0, [100.0, 0.0, 0.0], [0.0, 60.0, 60.0])
    # -100 + 60x + 60x² = 0, x = 1/(1+i): x = (-60 + √27600)/120
    x = (-60 + math.sqrt(27_600)) / 120
    assert m["irr_monthly"] == pytest.approx(1 / x - 1, abs=1e-10)
    assert m["irr_monthly"] == pytest.approx(npf.irr([-100, 60, 60]), abs=1e-10)


def test_metrics_accept_numpy_arrays():
    as_lists = reference_trial_metrics(0.01, [100.0, 0.0, 0.0], [0.0, 60.0, 60.0])
    as_arrays = reference_trial_metrics(0.01, np.array([100.0, 0, 0]), np.array([0, 60.0, 60]))
    assert as_arrays == as_lists


def test_irr_nan_outside_the_range_or_with_several_sign_changes():
    # -100, +230, -132 has roots at 10 % and 20 %: two sign changes, so nan by rule
    several = reference_trial_metrics(0.0, [100.0, 0.0, 132.0], [0.0, 230.0, 0.0])
    assert math.isnan(several["irr_monthly"])
    # -1 + 20/(1+i) = 0 at i = 19 > 10; -1 + 0.001/(1+i) = 0 at i = -0.999 < -0.99
    assert math.isnan(reference_trial_metrics(0.0, [1.0, 0.0], [0.0, 20.0])["irr_monthly"])
    assert math.isnan(reference_trial_metrics(0.0, [1.0, 0.0], [0.0, 0.001])["irr_monthly"])


# --- a whole run ---------------------------------------------------------------------------


def test_reference_run_on_the_example_scenario():
    s = load_scenario(EXAMPLE)
    n = 25
    d = draw(s, n, sampler="mc", rng=np.random.default_rng(2026))
    rate = (1 + s.discount_rate) ** (1 / 12) - 1
    for k in range(len(s.strategies)):
        out = reference_run(s, d, k)
        assert out["costs"].shape == out["benefits"].shape == (n, s.horizon_months)
        np.testing.assert_array_equal(out["net"], out["benefits"] - out["costs"])
        for name in METRIC_NAMES:
            assert out[name].shape == (n,)
        assert (out["costs"] >= 0).all()
        assert (out["benefits"] >= 0).all()
        # independent oracle for NPV: numpy-financial, values[0] at t = 0
        expected_npv = [npf.npv(rate, row) for row in out["net"]]
        np.testing.assert_allclose(out["npv"], expected_npv, rtol=1e-10)
        np.testing.assert_allclose(out["npv"], out["pv_benefits"] - out["pv_costs"], rtol=1e-9)
        np.testing.assert_allclose(out["total_cost"], out["costs"].sum(axis=1), rtol=1e-12)
        # where the reference defines IRR, NPV at it is ~0 and numpy-financial agrees
        defined = ~np.isnan(out["irr_monthly"])
        assert defined.any()
        for row, irr in zip(out["net"][defined], out["irr_monthly"][defined], strict=True):
            assert abs(npf.npv(irr, row)) < 1e-6 * np.abs(row).sum()
            assert irr == pytest.approx(npf.irr(row), abs=1e-9)
        # each row equals one call of the trial functions
        costs, benefits, _ = reference_trial_flows(s, k, d.trial(7))
        assert out["costs"][7].tolist() == costs
        assert out["benefits"][7].tolist() == benefits
        metrics = reference_trial_metrics(rate, costs, benefits)
        for name in METRIC_NAMES:
            np.testing.assert_equal(out[name][7], metrics[name])


def test_point_run_has_one_trial():
    s = load_scenario(EXAMPLE)
    out = reference_run(s, Draws.point(s), 0)
    assert out["net"].shape == (1, s.horizon_months)
    # all-at-once, planned go-live 3, slip's likely value 1: live in month 4, nothing
    # adopted before go-live and adoption 0 at it, so no benefit before month 5
    assert out["go_lives"][0].tolist() == [4]
    assert out["benefits"][0, :5].tolist() == [0.0] * 5
    assert out["benefits"][0, 5] > 0
