"""The vectorised engine against the per-trial reference model: slip, stage gates, risk events.

``costmodel.engine.reference`` restates schedule slip, the stage gate and the three kinds of
risk event from their specification (see its module docstring), one trial and one month
at a time. Here the engine runs on the *same* draws — grouped by actual schedule, as
:mod:`costmodel.simulate` runs it — and every trial must agree: monthly costs and benefits,
the actual go-lives, the gate's verdict and measured ratio, the flows had the gate never
failed, and the per-label sums over trials. Scenarios: the example file, hand-built ones
that switch each feature on alone, and small random ones (hypothesis).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costmodel import simulate
from costmodel.engine import strategy_cash_flows
from costmodel.engine.reference import reference_trial, reference_trial_metrics
from costmodel.engine.schedule import actual_go_lives
from costmodel.scenario import parse_scenario
from costmodel.store import load_scenario
from costmodel.uncertainty import Draws, draw
from tests.test_engine import schedule_groups

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "customer_service_assistant.toml"
RTOL = 1e-9
ATOL = 1e-6


# --- running both models -------------------------------------------------------------------


def engine_blocks(scenario, strategy_index, draws):
    """``(trial indices, StrategyFlows, actual go-lives (n_phases, len(trials)))``: the
    engine run two ways, once on all trials with go-lives per trial (as ``simulate`` runs
    it) and once per schedule group, with one go-live month per phase."""
    go_lives = actual_go_lives(scenario, strategy_index, draws)
    yield np.arange(draws.n_trials), strategy_cash_flows(scenario, strategy_index, draws,
                                                         go_lives), go_lives
    for months, trials in schedule_groups(go_lives):
        flows = strategy_cash_flows(scenario, strategy_index, draws.take(trials), months)
        yield trials, flows, go_lives[:, trials]


def add_into(target, series):
    for name, values in series.items():
        target[name] = target.get(name, 0.0) + np.asarray(values, dtype=float)


def check_block(scenario, strategy_index, draws, trials, flows, months):
    """Every trial of one engine block equals the reference; returns the gate outcomes
    seen, as ``(held, passed)`` pairs."""
    n_months = scenario.horizon_months
    where = f"{scenario.name!r}, strategy {strategy_index}, go-lives {months}"
    cost_sums: dict[str, np.ndarray] = {}
    benefit_sums: dict[str, np.ndarray] = {}
    outcomes = []
    failed = list(flows.gate.failed) if flows.gate is not None else []
    for t, trial in enumerate(trials):
        values = draws.trial(int(trial))
        ref = reference_trial(scenario, strategy_index, values)
        here = f"{where}, trial {trial}"
        assert tuple(ref.go_lives) == tuple(months[:, t]), here
        np.testing.assert_allclose(
            flows.costs[:, t], ref.costs, rtol=RTOL, atol=ATOL, err_msg=f"costs, {here}"
        )
        np.testing.assert_allclose(
            flows.benefits[:, t], ref.benefits, rtol=RTOL, atol=ATOL, err_msg=f"benefits, {here}"
        )
        add_into(cost_sums, ref.costs_by_category)
        add_into(benefit_sums, ref.benefits_by_item)
        if ref.gate is None:
            assert flows.gate is None, here
            continue
        outcomes.append((ref.gate.held, ref.gate.passed))
        if flows.gate is None:
            # the engine holds no gate for a block where no gate falls within the horizon
            assert not ref.gate.held, here
            continue
        gate = flows.gate
        assert bool(gate.held[t]) == ref.gate.held, f"gate held, {here}"
        assert bool(gate.passed[t]) == ref.gate.passed, f"gate passed, {here}"
        # the engine reports the ratio as observed (measurement error included)
        np.testing.assert_allclose(
            gate.ratio[t], ref.gate.observed, rtol=RTOL, err_msg=f"gate ratio, {here}"
        )
        if not ref.gate.passed:
            # the flows had the gate never failed
            position = failed.index(t)
            ungated = reference_trial(scenario, strategy_index, values, apply_gate=False)
            np.testing.assert_allclose(
                gate.costs_without[:, position],
                ungated.costs,
                rtol=RTOL,
                atol=ATOL,
                err_msg=f"costs without, {here}",
            )
            np.testing.assert_allclose(
                gate.benefits_without[:, position],
                ungated.benefits,
                rtol=RTOL,
                atol=ATOL,
                err_msg=f"benefits without, {here}",
            )
    if flows.gate is not None:
        expected_failed = [t for t, (_, passed) in enumerate(outcomes) if not passed]
        assert failed == expected_failed, where
    else:
        assert all(passed for _, passed in outcomes), where
    # per-label sums over the block's trials; the engine may leave out an all-zero label
    assert set(flows.cost_sums_by_category) <= set(cost_sums), where
    for name, values in cost_sums.items():
        got = flows.cost_sums_by_category.get(name, np.zeros(n_months))
        np.testing.assert_allclose(
            got, values, rtol=RTOL, atol=ATOL * len(trials), err_msg=f"category {name}, {where}"
        )
    assert set(flows.benefit_sums_by_item) == set(benefit_sums), where
    for name, values in benefit_sums.items():
        np.testing.assert_allclose(
            flows.benefit_sums_by_item[name],
            values,
            rtol=RTOL,
            atol=ATOL * len(trials),
            err_msg=f"benefit {name}, {where}",
        )
    return outcomes


def assert_engine_matches_reference(scenario, draws):
    """Every strategy, with go-lives per trial and per schedule group; returns the gate
    outcomes of each strategy (of the run with go-lives per trial, in trial order)."""
    outcomes = {}
    for k in range(len(scenario.strategies)):
        runs = [check_block(scenario, k, draws, trials, flows, months)
                for trials, flows, months in engine_blocks(scenario, k, draws)]
        outcomes[k] = runs[0]
    return outcomes


# --- scenarios that switch one feature on --------------------------------------------------


COSTS = [
    {
        "name": "Set-up",
        "category": "integration",
        "kind": "one_time",
        "amount": {"pert": [5_000, 8_000, 15_000]},
    },
    {
        "name": "Training",
        "category": "training",
        "kind": "one_time",
        "basis": "per_unit",
        "amount": {"uniform": [200, 400]},
    },
    {
        "name": "Onboarding",
        "category": "change_management",
        "kind": "one_time",
        "basis": "per_user",
        "amount": 30,
    },
    {
        "name": "Review",
        "category": "compliance",
        "kind": "one_time",
        "amount": 2_000,
        "start_month": 1,
    },
    {
        "name": "Upkeep",
        "category": "maintenance",
        "kind": "monthly",
        "amount": {"pert": [300, 500, 900]},
        "escalation": 0.04,
    },
    {
        "name": "Hosting",
        "category": "infrastructure",
        "kind": "monthly",
        "amount": 200,
        "start_month": 4,
    },
    {
        "name": "Seats",
        "category": "licensing",
        "kind": "monthly",
        "basis": "per_unit",
        "amount": {"uniform": [30, 60]},
        "escalation": 0.05,
    },
    {
        "name": "Accounts",
        "category": "security",
        "kind": "monthly",
        "basis": "per_user",
        "amount": 3,
    },
    {
        "name": "Tokens",
        "category": "infrastructure",
        "kind": "monthly",
        "basis": "per_usage",
        "amount": 0.02,
        "usage_per_unit": {"pert": [300, 600, 900]},
    },
    {
        "name": "Audit",
        "category": "security",
        "kind": "yearly",
        "amount": {"uniform": [1_000, 3_000]},
    },
    {
        "name": "Support plan",
        "category": "licensing",
        "kind": "yearly",
        "basis": "per_unit",
        "amount": 120,
        "escalation": 0.1,
    },
    {
        "name": "Seat insurance",
        "category": "other",
        "kind": "yearly",
        "basis": "per_user",
        "amount": 10,
    },
]
BENEFITS = [
    {
        "name": "Hours saved",
        "kind": "labour_hours",
        "hours_per_unit_per_month": {"pert": [4, 8, 14]},
        "hourly_cost": 35,
        "realisation": {"uniform": [0.4, 0.8]},
    },
    {
        "name": "Deflection",
        "kind": "volume",
        "items_per_month": {"uniform": [2_000, 4_000]},
        "automation_rate": {"pert": [0.05, 0.15, 0.3]},
        "value_per_item": 5,
        "growth": 0.05,
    },
]
COST_RISK = {
    "name": "Breach",
    "kind": "cost",
    "probability_per_year": 0.9,
    "cost": {"pert": [1_000, 5_000, 20_000]},
    "category": "compliance",
}
LOSS_RISK = {
    "name": "Outage",
    "kind": "benefit_loss",
    "probability_per_year": 0.9,
    "loss": {"pert": [0.2, 0.5, 0.9]},
    "months": {"pert": [0.5, 1.5, 4]},
}
ABANDON_RISK = {
    "name": "Abandoned",
    "kind": "abandonment",
    "probability_per_year": 0.3,
    "wind_down_months": {"uniform": [0, 4]},
}


def feature_scenario(*, slip=None, gate=None, risks=(), horizon=30, costs=COSTS, benefits=BENEFITS):
    """A pilot-and-two-waves strategy and an all-at-once one, every cost shape, two
    benefits; ``slip`` (both strategies), ``gate`` (the phased one) and ``risks`` on top."""
    phased = {
        "name": "Phased",
        "phases": [
            {"share": 0.2, "go_live": 2},
            {"share": 0.4, "go_live": 9},
            {"share": 0.4, "go_live": 13},
        ],
        "lead_time_months": 2,
        "learning": {"adoption_speedup": 0.8, "cost_learning_rate": 0.9},
        "disruption": {"productivity_dip": {"uniform": [0.02, 0.08]}, "months": 2},
    }
    at_once = {
        "name": "At once",
        "phases": [{"share": 1.0, "go_live": 3}],
        "lead_time_months": 3,
        "disruption": {"productivity_dip": 0.05, "months": 1},
    }
    if slip is not None:
        phased["slip"] = slip
        at_once["slip"] = slip
    if gate is not None:
        phased["gate"] = gate
    return parse_scenario(
        {
            "name": "Features",
            "horizon_months": horizon,
            "discount_rate": 0.08,
            "organisation": {"units": 20, "users_per_unit": 1.5, "monthly_cost_per_unit": 4_000},
            "adoption": {
                "ceiling": {"pert": [0.6, 0.8, 0.95]},
                "months_to_half": {"pert": [1, 3, 5]},
                "data_quality": 0.9,
            },
            "costs": list(costs),
            "benefits": list(benefits),
            "strategies": [phased, at_once],
            "risks": list(risks),
        }
    )


SLIP = {"months": {"uniform": [0, 8]}, "later_phases": {"uniform": [0, 1]}}
# the pilot's run-rate ratio four months in is about 0.6-2.1 here (P5-P95; lower with
# slip, as the fixed costs keep the planned start): a threshold of 1 with a 30 %
# measurement error fails a good share of trials and passes the rest
GATE = {"months_after_pilot": 4, "threshold": 1.0, "noise": 0.3}

FEATURES = {
    "slip only": {"slip": SLIP},
    "slip past the horizon": {"slip": {"months": {"uniform": [0, 40]}}, "horizon": 24},
    "gate, slip past the horizon": {
        "slip": {"months": {"uniform": [0, 40]}},
        "horizon": 24,
        "gate": {**GATE, "on_fail": "wind_down"},
    },
    "gate keep_pilot with noise": {"gate": GATE},
    "gate keep_pilot exact": {"gate": {**GATE, "noise": 0.0}},
    "gate wind_down": {"gate": {**GATE, "on_fail": "wind_down", "wind_down_months": 2}},
    "gate wind_down, slip": {
        "gate": {**GATE, "on_fail": "wind_down", "wind_down_months": 0},
        "slip": SLIP,
    },
    "cost risk": {"risks": [COST_RISK]},
    "cost risk scaled": {"risks": [{**COST_RISK, "scales_with_deployment": True}]},
    "benefit loss": {"risks": [LOSS_RISK]},
    "benefit loss, fixed impact": {"risks": [{**LOSS_RISK, "loss": 0.7, "months": 2}]},
    "two overlapping losses": {
        "risks": [LOSS_RISK, {**LOSS_RISK, "name": "Bad data", "loss": 0.8, "months": 3}]
    },
    "abandonment": {"risks": [ABANDON_RISK]},
    # often in the same month: the first listed sets the wind-down
    "two abandonment risks": {
        "risks": [
            {**ABANDON_RISK, "probability_per_year": 0.9, "wind_down_months": 3},
            {
                **ABANDON_RISK,
                "name": "Vendor exit",
                "probability_per_year": 0.9,
                "wind_down_months": 1,
            },
        ]
    },
    "everything": {
        "slip": SLIP,
        "gate": {**GATE, "on_fail": "wind_down", "wind_down_months": 3},
        "risks": [
            {**COST_RISK, "scales_with_deployment": True},
            {**COST_RISK, "name": "Fine", "category": "data", "cost": 3_000},
            LOSS_RISK,
            ABANDON_RISK,
        ],
    },
}


@pytest.mark.parametrize("feature", list(FEATURES))
def test_engine_equals_reference_with_one_feature_on(feature):
    scenario = feature_scenario(**FEATURES[feature])
    draws = draw(scenario, 80, sampler="mc", rng=np.random.default_rng(7))
    outcomes = assert_engine_matches_reference(scenario, draws)
    # the case exercises what it names
    if "gate" in FEATURES[feature]:
        held_passed = [passed for held, passed in outcomes[0] if held]
        assert 0 < sum(held_passed) < len(held_passed), "the gate should pass and fail"
    if "slip" in FEATURES[feature]:
        assert len(schedule_groups(actual_go_lives(scenario, 0, draws))) > 3
    for k, risk in enumerate(scenario.risks):
        months = draws[("risks", k, "@month", 0)]
        assert (months < scenario.horizon_months).mean() > 0.2, risk.name
    if feature == "two abandonment risks":  # ties, where the first listed sets the wind-down
        first, second = draws[("risks", 0, "@month", 0)], draws[("risks", 1, "@month", 0)]
        assert ((first == second) & (first < scenario.horizon_months)).any()


@pytest.mark.parametrize(
    ("slip", "expected"),
    [
        ({"months": 2.5}, [4, 11, 15]),  # rint(2.5) = 2, half to even
        ({"months": 3.5}, [6, 13, 17]),  # rint(3.5) = 4
        ({"months": 5, "later_phases": 0.5}, [7, 11, 15]),  # later: rint(2.5) = 2
        ({"months": 7, "later_phases": 0.5}, [9, 13, 17]),  # later: rint(3.5) = 4
        ({"months": 9, "later_phases": 0.0}, [11, 12, 13]),  # each after the one before
    ],
)
def test_engine_rounds_the_slip_as_the_reference(slip, expected):
    scenario = feature_scenario(slip=slip)
    draws = draw(scenario, 20, sampler="mc", rng=np.random.default_rng(1))
    assert reference_trial(scenario, 0, draws.trial(0)).go_lives == expected
    np.testing.assert_array_equal(
        actual_go_lives(scenario, 0, draws), np.repeat(np.array(expected)[:, None], 20, axis=1)
    )
    assert_engine_matches_reference(scenario, draws)


@pytest.mark.parametrize(("benefits", "ratio"), [(BENEFITS, math.inf), ((), 0.0)])
def test_gate_without_running_costs(benefits, ratio):
    one_time = [c for c in COSTS if c["kind"] == "one_time"]
    scenario = feature_scenario(costs=one_time, benefits=benefits, gate=GATE)
    draws = draw(scenario, 30, sampler="mc", rng=np.random.default_rng(2))
    outcomes = assert_engine_matches_reference(scenario, draws)
    # R = 0: measured as inf with a benefit (passes), 0 without (fails)
    assert outcomes[0] == [(True, ratio >= 1.0)] * 30
    for _, flows, _ in engine_blocks(scenario, 0, draws):
        assert (flows.gate.ratio == ratio).all()


def test_events_change_the_flows():
    """The risk scenarios above differ from the plain one (the comparison is not vacuous)."""
    plain = feature_scenario()
    risky = feature_scenario(**FEATURES["everything"])
    draws = draw(risky, 40, sampler="mc", rng=np.random.default_rng(7))
    changed = 0
    for trial in range(draws.n_trials):
        a = reference_trial(plain, 0, draws.trial(trial))
        b = reference_trial(risky, 0, draws.trial(trial))
        changed += a.costs != b.costs or a.benefits != b.benefits
    assert changed > 30


# --- the example scenario ------------------------------------------------------------------


def test_engine_equals_reference_on_the_example_scenario():
    scenario = load_scenario(EXAMPLE)
    draws = draw(scenario, 150, sampler="mc", rng=np.random.default_rng(20260101))
    outcomes = assert_engine_matches_reference(scenario, draws)
    gated = [k for k, s in enumerate(scenario.strategies) if s.gate is not None]
    assert gated and all(outcomes[k] for k in gated)
    assert any(held for held, _ in outcomes[gated[0]])


def test_simulate_equals_reference_on_the_example_scenario():
    """The orchestrator's per-trial NPVs, gate outcomes and category means, against the
    reference on the draws ``simulate`` makes from the same seed. The reference knows no
    budget deferral (tests/test_deferral.py checks it), so every strategy flags here."""
    data = load_scenario(EXAMPLE).to_data()
    for strategy in data["strategies"]:
        strategy["budget_policy"] = "flag"
    scenario = parse_scenario(data)
    n, seed = 96, 11
    results = simulate(scenario, trials=n, seed=seed, sampler="mc")
    draws = draw(scenario, n, sampler="mc", rng=np.random.default_rng(seed))
    check_simulate_against_reference(scenario, results, draws)


def check_simulate_against_reference(scenario, results, draws):
    rate = scenario.rate_monthly
    n_months = scenario.horizon_months
    for k, strategy in enumerate(scenario.strategies):
        result = results[strategy.name]
        npv, without, held, passed, ratio = [], [], [], [], []
        cost_sums: dict[str, np.ndarray] = {}
        for trial in range(draws.n_trials):
            values = draws.trial(trial)
            ref = reference_trial(scenario, k, values)
            npv.append(reference_trial_metrics(rate, ref.costs, ref.benefits)["npv"])
            if ref.gate is not None and not ref.gate.passed:  # else the same flows
                ref_without = reference_trial(scenario, k, values, apply_gate=False)
            else:
                ref_without = ref
            without.append(
                reference_trial_metrics(rate, ref_without.costs, ref_without.benefits)["npv"]
            )
            add_into(cost_sums, ref.costs_by_category)
            if ref.gate is not None:
                held.append(ref.gate.held)
                passed.append(ref.gate.passed)
                ratio.append(ref.gate.observed)
        np.testing.assert_allclose(result.metrics.npv, npv, rtol=RTOL, atol=ATOL)
        for name, values in cost_sums.items():
            got = result.mean_costs_by_category.get(name, np.zeros(n_months))
            np.testing.assert_allclose(
                got, values / draws.n_trials, rtol=RTOL, atol=ATOL, err_msg=name
            )
        if strategy.gate is None:
            assert result.gate is None
            continue
        np.testing.assert_array_equal(result.gate.held, held)
        np.testing.assert_array_equal(result.gate.passed, passed)
        np.testing.assert_allclose(result.gate.ratio, ratio, rtol=RTOL)
        np.testing.assert_allclose(result.gate.npv_without_gate, without, rtol=RTOL, atol=ATOL)


def test_simulate_npv_without_gate_equals_the_reference_when_gates_fail():
    scenario = feature_scenario(**FEATURES["everything"])
    n, seed = 64, 5
    results = simulate(scenario, trials=n, seed=seed, sampler="mc")
    assert not results["Phased"].gate.passed.all()
    draws = draw(scenario, n, sampler="mc", rng=np.random.default_rng(seed))
    check_simulate_against_reference(scenario, results, draws)


# --- a gate that never fails ---------------------------------------------------------------


def without_gate(scenario):
    data = scenario.to_data()
    for strategy in data["strategies"]:
        strategy.pop("gate", None)
    return parse_scenario(data)


@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_a_gate_at_minus_infinity_is_bit_identical_to_no_gate(noise):
    gated = feature_scenario(
        **{**FEATURES["everything"], "gate": {**GATE, "threshold": -math.inf, "noise": noise}}
    )
    plain = without_gate(gated)
    draws = draw(gated, 80, sampler="mc", rng=np.random.default_rng(3))
    held = []
    for k in range(len(gated.strategies)):
        go_lives = actual_go_lives(gated, k, draws)
        np.testing.assert_array_equal(go_lives, actual_go_lives(plain, k, draws))
        for months, trials in schedule_groups(go_lives):
            a = strategy_cash_flows(gated, k, draws.take(trials), months)
            b = strategy_cash_flows(plain, k, draws.take(trials), months)
            np.testing.assert_array_equal(a.costs, b.costs)
            np.testing.assert_array_equal(a.benefits, b.benefits)
            assert a.cost_sums_by_category.keys() == b.cost_sums_by_category.keys()
            for name, values in a.cost_sums_by_category.items():
                np.testing.assert_array_equal(values, b.cost_sums_by_category[name])
            for name, values in a.benefit_sums_by_item.items():
                np.testing.assert_array_equal(values, b.benefit_sums_by_item[name])
            if k == 0:
                assert a.gate.passed.all() and a.gate.failed.size == 0
                held += a.gate.held.tolist()
            for t, trial in enumerate(trials):  # and the reference agrees
                ref = reference_trial(gated, k, draws.trial(int(trial)))
                assert ref.gate is None or ref.gate.passed
                np.testing.assert_allclose(a.costs[:, t], ref.costs, rtol=RTOL, atol=ATOL)
    assert 0 < sum(held) < len(held)  # held where not abandoned first
    # and through simulate, which draws for each scenario itself: a gate changes no other draw
    for sampler in ("mc", "sobol"):
        a = simulate(gated, trials=64, seed=2, sampler=sampler)
        b = simulate(plain, trials=64, seed=2, sampler=sampler)
        for strategy in gated.strategies:
            for name in ("npv", "irr_annual", "payback_months", "total_cost"):
                np.testing.assert_array_equal(
                    getattr(a[strategy.name].metrics, name), getattr(b[strategy.name].metrics, name)
                )
            for name, values in a[strategy.name].mean_costs_by_category.items():
                np.testing.assert_array_equal(values, b[strategy.name].mean_costs_by_category[name])
        np.testing.assert_array_equal(a["Phased"].gate.npv_without_gate, b["Phased"].metrics.npv)


# --- point runs ----------------------------------------------------------------------------


def test_point_draws_have_no_events_and_measure_the_gate_exactly():
    scenario = feature_scenario(**FEATURES["everything"])
    point = Draws.point(scenario)
    assert_engine_matches_reference(scenario, point)
    plain = feature_scenario(slip=SLIP)  # the same, less gate and risks
    a = reference_trial(scenario, 0, point.trial(0), apply_gate=False)
    b = reference_trial(plain, 0, point.trial(0))
    assert a.costs == pytest.approx(b.costs, rel=1e-12)
    assert a.benefits == b.benefits


# --- random small scenarios ----------------------------------------------------------------


def grid(low: float, high: float, steps: int = 20):
    return st.integers(0, steps).map(lambda k: low + (high - low) * k / steps)


@st.composite
def maybe_uncertain(draw_, low: float, high: float):
    a, b = sorted(draw_(grid(low, high)) for _ in range(2))
    return draw_(st.sampled_from([a, {"uniform": [a, b]} if b > a else a]))


@st.composite
def event_scenarios(draw_):
    horizon = draw_(st.integers(6, 30))
    n_phases = draw_(st.integers(1, 3))
    go_lives = sorted(
        draw_(
            st.lists(st.integers(0, horizon - 1), min_size=n_phases, max_size=n_phases, unique=True)
        )
    )
    weights = draw_(st.lists(st.integers(1, 5), min_size=n_phases, max_size=n_phases))
    strategy = {
        "name": "Plan",
        "phases": [
            {"share": w / sum(weights), "go_live": g}
            for w, g in zip(weights, go_lives, strict=True)
        ],
        "lead_time_months": draw_(st.integers(0, 3)),
        "disruption": {
            "productivity_dip": draw_(maybe_uncertain(0.0, 0.2)),
            "months": draw_(st.integers(0, 3)),
        },
        "slip": {
            "months": draw_(maybe_uncertain(0.0, 12.0)),
            "later_phases": draw_(maybe_uncertain(0.0, 1.0)),
        },
    }
    if n_phases >= 2 and go_lives[1] - go_lives[0] >= 2 and draw_(st.booleans()):
        strategy["gate"] = {
            "months_after_pilot": draw_(st.integers(1, go_lives[1] - go_lives[0] - 1)),
            "threshold": draw_(st.sampled_from([-math.inf, 0.0, 0.5, 1.0, 2.0, math.inf])),
            "noise": draw_(st.sampled_from([0.0, 0.5])),
            "on_fail": draw_(st.sampled_from(["keep_pilot", "wind_down"])),
            "wind_down_months": draw_(st.integers(0, 3)),
        }
    risks = []
    for kind in draw_(
        st.lists(st.sampled_from(["cost", "benefit_loss", "abandonment"]), max_size=4)
    ):
        risk = {
            "name": f"risk {len(risks)}",
            "kind": kind,
            "probability_per_year": draw_(grid(0.0, 1.0, 10)),
        }
        if kind == "cost":
            risk |= {
                "cost": draw_(maybe_uncertain(0.0, 5_000.0)),
                "scales_with_deployment": draw_(st.booleans()),
                "category": draw_(st.sampled_from(["compliance", "data", "other"])),
            }
        elif kind == "benefit_loss":
            risk |= {
                "loss": draw_(maybe_uncertain(0.0, 1.0)),
                "months": draw_(maybe_uncertain(0.5, 4.0)),
            }
        else:
            risk["wind_down_months"] = draw_(maybe_uncertain(0.0, 3.0))
        risks.append(risk)
    return parse_scenario(
        {
            "name": "Random events",
            "horizon_months": horizon,
            "discount_rate": 0.05,
            "organisation": {
                "units": draw_(st.integers(1, 30)),
                "users_per_unit": 2,
                "monthly_cost_per_unit": 3_000,
            },
            "adoption": {
                "ceiling": draw_(maybe_uncertain(0.3, 1.0)),
                "months_to_half": draw_(maybe_uncertain(0.5, 5.0)),
            },
            "costs": draw_(
                st.lists(
                    st.sampled_from(COSTS), min_size=1, max_size=6, unique_by=lambda c: c["name"]
                )
            ),
            "benefits": draw_(
                st.lists(st.sampled_from(BENEFITS), max_size=2, unique_by=lambda b: b["name"])
            ),
            "strategies": [strategy],
            "risks": risks,
        }
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=event_scenarios(), seed=st.integers(0, 2**32))
def test_engine_equals_reference_on_random_event_scenarios(scenario, seed):
    draws = draw(scenario, 24, sampler="mc", rng=np.random.default_rng(seed))
    assert_engine_matches_reference(scenario, draws)
