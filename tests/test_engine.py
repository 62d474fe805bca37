"""The vectorised engine (``costmodel/engine/``) against independent truths.

* The per-trial reference model (``costmodel.engine.reference``, written from
  ``docs/methodology.md`` alone) on the *same* draws: every example scenario, every
  strategy, and random small scenarios built by hypothesis.
* Closed forms of the rollout equations (lead window, deployed share, Wright learning, the
  normalised logistic S-curve) from the methodology page.
* ``costmodel.finance`` (trials-first, the public API) for the month-major block metrics,
  and ``np.percentile`` for the histogram-based row percentiles.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from costmodel import finance
from costmodel.engine import DISRUPTION_CATEGORY, strategy_cash_flows
from costmodel.engine.funding import fiscal_year_starts
from costmodel.engine.metrics import block_metrics, present_values, row_percentiles
from costmodel.engine.reference import reference_run, reference_trial_flows
from costmodel.engine.rollout import (
    deployed_share,
    effective_use,
    lead_window,
    wright_multipliers,
)
from costmodel.engine.schedule import actual_go_lives
from costmodel.results import BAND_LEVELS
from costmodel.scenario import COST_CATEGORIES, parse_scenario
from costmodel.store import load_scenario
from costmodel.uncertainty import draw

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.toml"))
RTOL = 1e-9


def schedule_groups(go_lives: np.ndarray) -> list[tuple[tuple[int, ...], np.ndarray]]:
    """Trials grouped by schedule (to run the engine once per group, with one month per
    phase): ``[(go-live months, trial indices), ...]``."""
    n_phases, n = go_lives.shape
    if n and (go_lives == go_lives[:, :1]).all():
        return [(tuple(int(x) for x in go_lives[:, 0]), np.arange(n))]
    base = int(go_lives.max()) + 1
    if base ** n_phases < 2**62:  # one integer key per schedule: a 1-D sort
        key = np.zeros(n, dtype=np.int64)
        for row in go_lives:
            key = key * base + row
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        unique = go_lives[:, first]
    else:
        unique, inverse = np.unique(go_lives, axis=1, return_inverse=True)
    inverse = inverse.ravel()
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(unique.shape[1] + 1))
    return [(tuple(int(x) for x in unique[:, k]), order[bounds[k]:bounds[k + 1]])
            for k in range(unique.shape[1])]


def test_schedule_groups_gather_the_trials_of_each_schedule():
    groups = schedule_groups(np.array([[2, 3, 2], [5, 6, 5]]))
    assert [(months, idx.tolist()) for months, idx in groups] == [((2, 5), [0, 2]),
                                                                  ((3, 6), [1])]


def assert_close(actual, expected, rtol=RTOL, err_msg=""):
    """``rtol`` agreement, with an absolute floor of ``1e-12`` of the array's scale (for
    entries that are 0 in one model and a rounding residue in the other)."""
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    finite = expected[np.isfinite(expected)]
    scale = float(np.max(np.abs(finite))) if finite.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-12 * max(scale, 1.0),
                               err_msg=err_msg)


def reference_category_sums(scenario, strategy_index, draws):
    """Per-category costs of the reference model, summed over trials, per month."""
    sums: dict[str, np.ndarray] = {}
    for trial in range(draws.n_trials):
        _, _, categories = reference_trial_flows(scenario, strategy_index, draws.trial(trial))
        for name, values in categories.items():
            sums[name] = sums.get(name, 0.0) + np.asarray(values)
    return sums


def grouped_flows(scenario, k, draws):
    """The engine's flows of strategy ``k``, run per schedule (slip) group as
    ``simulate`` runs them, reassembled in trial order with the groups' sums added."""
    n_months = scenario.horizon_months
    costs, benefits = np.empty((n_months, draws.n_trials)), np.empty((n_months, draws.n_trials))
    cost_sums, benefit_sums = {}, {}
    for months, idx in schedule_groups(actual_go_lives(scenario, k, draws)):
        flows = strategy_cash_flows(scenario, k, draws.take(idx), months)
        costs[:, idx], benefits[:, idx] = flows.costs, flows.benefits
        for target, sums in ((cost_sums, flows.cost_sums_by_category),
                             (benefit_sums, flows.benefit_sums_by_item)):
            for key, value in sums.items():
                target[key] = target.get(key, 0.0) + value
    return SimpleNamespace(costs=costs, benefits=benefits, cost_sums_by_category=cost_sums,
                           benefit_sums_by_item=benefit_sums)


def assert_engine_matches_reference(scenario, draws, *, metrics=False):
    for k in range(len(scenario.strategies)):
        where = f"{scenario.name!r}, strategy {k}"
        flows = grouped_flows(scenario, k, draws)
        n_months = scenario.horizon_months
        assert flows.costs.shape == flows.benefits.shape == (n_months, draws.n_trials)
        reference = reference_run(scenario, draws, k)
        assert_close(flows.costs.T, reference["costs"], err_msg=f"costs, {where}")
        assert_close(flows.benefits.T, reference["benefits"], err_msg=f"benefits, {where}")

        # cost sums by category: the engine omits the dip category when the strategy has no
        # dip months; the reference always carries it (all zeros then)
        expected = reference_category_sums(scenario, k, draws)
        got = flows.cost_sums_by_category
        assert set(got) <= set(expected), f"unknown categories, {where}"
        for name, values in expected.items():
            assert_close(got.get(name, np.zeros(n_months)), values,
                         err_msg=f"category {name}, {where}")
        # ... and they add up to the total cost of every month
        assert_close(sum(got.values()), flows.costs.sum(axis=1), err_msg=where)
        # benefit sums by item add up to the total benefit of every month
        by_item = flows.benefit_sums_by_item
        assert set(by_item) == {b.name for b in scenario.benefits}
        if by_item:
            assert_close(sum(by_item.values()), reference["benefits"].sum(axis=0),
                         err_msg=where)

        if metrics:
            block = block_metrics(scenario.rate_monthly, flows.costs, flows.benefits)
            for name in ("npv", "pv_costs", "pv_benefits", "roi", "benefit_cost_ratio",
                         "payback_months", "discounted_payback_months", "peak_funding_need",
                         "total_cost"):
                assert_close(block[name], reference[name], err_msg=f"{name}, {where}")
            # the reference defines IRR only for conventional flows: compare where it does
            # (incidents and outages make many flows non-conventional: fewer are defined)
            defined = np.isfinite(reference["irr_annual"])
            assert defined.mean() > 0.2
            assert_close(block["irr_annual"][defined], reference["irr_annual"][defined],
                         rtol=1e-7, err_msg=f"irr, {where}")


# --- the engine equals the reference on the same draws --------------------------------------


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_engine_equals_reference_on_example_scenarios(path):
    scenario = load_scenario(path)
    draws = draw(scenario, 200, sampler="mc", rng=np.random.default_rng(20260101))
    assert_engine_matches_reference(scenario, draws, metrics=True)


def test_example_scenarios_are_found():
    assert len(SCENARIOS) >= 3


# --- random small scenarios -----------------------------------------------------------------


def grid(low: float, high: float, steps: int = 100):
    """Round numbers on ``[low, high]`` (they shrink well and avoid float oddities)."""
    return st.integers(0, steps).map(lambda k: low + (high - low) * k / steps)


@st.composite
def uncertain(draw_, low: float, high: float, *, kinds=("pert", "triangular", "uniform")):
    """A plain number or a distribution supported inside ``[low, high]``."""
    kind = draw_(st.sampled_from(("number", *kinds)))
    a, b, c = sorted(draw_(grid(low, high)) for _ in range(3))
    if kind == "number":
        return b
    if kind in ("pert", "triangular"):
        return {kind: [a, b, c]}
    if kind == "uniform":
        return {"uniform": [a, c]}
    if kind == "normal":  # truncated to the allowed range
        sd = max(c - a, 1e-3 * (high - low))
        return {"normal": {"mean": b, "sd": sd, "low": low, "high": high}}
    if kind == "range90":  # lognormal (low > 0): support (0, inf)
        return {"range90": [max(a, 1.0), max(c, 1.0) * 2]}
    if kind == "beta":
        return {"beta": {"alpha": 1 + 4 * (b - low) / (high - low),
                         "beta": 1 + 4 * (high - b) / (high - low), "low": low, "high": high}}
    raise AssertionError(kind)


MONEY = ("pert", "triangular", "uniform", "normal", "range90")
SHARE = ("pert", "triangular", "uniform", "beta", "normal")

# every kind/basis combination the schema allows
COST_SHAPES = [
    ("one_time", "fixed"), ("one_time", "per_unit"), ("one_time", "per_user"),
    ("monthly", "fixed"), ("monthly", "per_unit"), ("monthly", "per_user"),
    ("monthly", "per_usage"),
    ("yearly", "fixed"), ("yearly", "per_unit"), ("yearly", "per_user"),
]


@st.composite
def cost_items(draw_, horizon: int):
    kind, basis = draw_(st.sampled_from(COST_SHAPES))
    item = {
        "category": draw_(st.sampled_from(list(COST_CATEGORIES))),
        "kind": kind,
        "basis": basis,
        "amount": draw_(uncertain(0.0, 5_000.0, kinds=MONEY)),
        "escalation": draw_(uncertain(-0.2, 0.3)),
    }
    if basis == "per_usage":
        item["usage_per_unit"] = draw_(uncertain(0.0, 500.0, kinds=MONEY))
    if basis == "fixed" and draw_(st.booleans()):
        item["start_month"] = draw_(st.integers(0, horizon - 1))
    return item


@st.composite
def benefit_items(draw_):
    kind = draw_(st.sampled_from(("labour_hours", "volume", "revenue", "amount")))
    item = {"kind": kind, "growth": draw_(uncertain(-0.2, 0.3))}
    if kind == "labour_hours":
        item |= {"hours_per_unit_per_month": draw_(uncertain(0.0, 20.0, kinds=MONEY)),
                 "hourly_cost": draw_(uncertain(10.0, 80.0, kinds=MONEY)),
                 "realisation": draw_(uncertain(0.0, 1.0, kinds=SHARE))}
    elif kind == "volume":
        item |= {"items_per_month": draw_(uncertain(0.0, 5_000.0, kinds=MONEY)),
                 "automation_rate": draw_(uncertain(0.0, 1.0, kinds=SHARE)),
                 "value_per_item": draw_(uncertain(0.0, 10.0, kinds=MONEY))}
    elif kind == "revenue":
        item |= {"revenue_per_month": draw_(uncertain(0.0, 50_000.0, kinds=MONEY)),
                 "uplift": draw_(uncertain(0.0, 0.3, kinds=SHARE)),
                 "margin": draw_(uncertain(0.0, 1.0, kinds=SHARE))}
    else:
        item["amount_per_month"] = draw_(uncertain(0.0, 3_000.0, kinds=MONEY))
    return item


@st.composite
def strategies_(draw_, horizon: int, index: int):
    n_phases = draw_(st.integers(1, min(4, horizon)))
    weights = draw_(st.lists(st.integers(1, 10), min_size=n_phases, max_size=n_phases))
    go_lives = sorted(draw_(st.lists(st.integers(0, horizon - 1), min_size=n_phases,
                                     max_size=n_phases, unique=True)))
    return {
        "name": f"Strategy {index}",
        "phases": [{"share": w / sum(weights), "go_live": g}
                   for w, g in zip(weights, go_lives, strict=True)],
        "lead_time_months": draw_(st.integers(0, 4)),
        "learning": {"adoption_speedup": draw_(uncertain(0.3, 1.0)),
                     "cost_learning_rate": draw_(uncertain(0.5, 1.0))},
        "disruption": {"productivity_dip": draw_(uncertain(0.0, 0.3, kinds=SHARE)),
                       "months": draw_(st.integers(0, 4))},
    }


@st.composite
def small_scenarios(draw_):
    horizon = draw_(st.integers(4, 30))
    n_costs = draw_(st.integers(1, 5))
    n_benefits = draw_(st.integers(0, 3))
    n_strategies = draw_(st.integers(1, 2))
    data = {
        "name": "Random",
        "horizon_months": horizon,
        "discount_rate": draw_(grid(0.0, 0.3)),
        "organisation": {
            "units": draw_(st.integers(1, 50)),
            "users_per_unit": draw_(uncertain(1.0, 4.0)),
            "monthly_cost_per_unit": draw_(uncertain(100.0, 8_000.0, kinds=MONEY)),
        },
        "adoption": {
            "ceiling": draw_(uncertain(0.0, 1.0, kinds=SHARE)),
            "months_to_half": draw_(uncertain(0.5, 8.0)),
            "data_quality": draw_(uncertain(0.0, 1.0, kinds=SHARE)),
        },
        "costs": [{"name": f"cost {i}", **draw_(cost_items(horizon))} for i in range(n_costs)],
        "benefits": [{"name": f"benefit {i}", **draw_(benefit_items())}
                     for i in range(n_benefits)],
        "strategies": [draw_(strategies_(horizon, i)) for i in range(n_strategies)],
    }
    return parse_scenario(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=small_scenarios(), n_trials=st.integers(5, 20), seed=st.integers(0, 2**32))
def test_engine_equals_reference_on_random_scenarios(scenario, n_trials, seed):
    draws = draw(scenario, n_trials, sampler="mc", rng=np.random.default_rng(seed))
    assert_engine_matches_reference(scenario, draws)


# --- rollout: lead window, deployed share, Wright learning ----------------------------------


def test_lead_window_spreads_evenly_over_the_months_before_go_live():
    # window max(0, g - L) .. g - 1, weight 1/|window|
    np.testing.assert_array_equal(lead_window(8, 5, 3), [0, 0, 1 / 3, 1 / 3, 1 / 3, 0, 0, 0])
    np.testing.assert_array_equal(lead_window(6, 3, 1), [0, 0, 1, 0, 0, 0])
    # the lead time is longer than the months available: the window starts at month 0
    np.testing.assert_array_equal(lead_window(5, 2, 4), [0.5, 0.5, 0, 0, 0])


@pytest.mark.parametrize(("go_live", "lead_time"), [(0, 0), (0, 3), (4, 0), (9, 0)])
def test_empty_lead_window_falls_on_the_go_live_month(go_live, lead_time):
    expected = np.zeros(10)
    expected[go_live] = 1.0
    np.testing.assert_array_equal(lead_window(10, go_live, lead_time), expected)


@given(n_months=st.integers(1, 60), data=st.data())
def test_lead_window_weights_sum_to_one_before_or_at_go_live(n_months, data):
    go_live = data.draw(st.integers(0, n_months - 1))
    lead_time = data.draw(st.integers(0, 24))
    weights = lead_window(n_months, go_live, lead_time)
    assert weights.shape == (n_months,)
    assert math.isclose(weights.sum(), 1.0, rel_tol=1e-12)
    assert (weights >= 0).all()
    inside = np.flatnonzero(weights)
    assert inside.max() <= go_live
    assert inside.size == max(1, go_live - max(0, go_live - lead_time))
    assert np.all(np.diff(inside) == 1)  # contiguous


def test_deployed_share_steps_up_at_each_go_live():
    share = deployed_share(12, [0.2, 0.4, 0.4], [2, 7, 10])
    expected = [0, 0] + [0.2] * 5 + [0.6] * 3 + [1.0] * 2
    np.testing.assert_allclose(share, expected, rtol=1e-15)
    np.testing.assert_array_equal(deployed_share(4, [1.0], [0]), [1, 1, 1, 1])


def test_wright_multipliers_follow_the_progress_ratio():
    # C = 0.25, 0.5, 1.0: one doubling -> 0.9, two doublings -> 0.81; λ_0 = 1
    got = wright_multipliers([0.25, 0.25, 0.5], 0.9)
    np.testing.assert_allclose(np.asarray(got, dtype=float), [1.0, 0.9, 0.81], rtol=1e-14)
    # C = 0.2, 0.6, 1.0 at ρ = 0.8: λ_p = (C_p / 0.2) ** log2(0.8)
    got = wright_multipliers([0.2, 0.4, 0.4], 0.8)
    expected = [(c / 0.2) ** math.log2(0.8) for c in (0.2, 0.6, 1.0)]
    np.testing.assert_allclose(np.asarray(got, dtype=float), expected, rtol=1e-14)
    # no learning, and all-at-once, pay the full unit cost
    np.testing.assert_array_equal(np.asarray(wright_multipliers([0.5, 0.5], 1.0), float),
                                  [1.0, 1.0])
    assert float(wright_multipliers([1.0], 0.7)[0]) == 1.0


def test_wright_multipliers_per_trial():
    rates = np.array([0.6, 0.9, 1.0])
    got = wright_multipliers([0.25, 0.75], rates)
    np.testing.assert_array_equal(got[0], [1.0, 1.0, 1.0])
    np.testing.assert_allclose(got[1], 4.0 ** np.log2(rates), rtol=1e-14)


# --- rollout: the adoption S-curve ----------------------------------------------------------


def s_curve(tau: float, ceiling: float, half: float) -> float:
    """The methodology's normalised logistic, written out: c (Λ(τ) - Λ(0)) / (1 - Λ(0))
    with Λ(τ) = 1 / (1 + 81 · 81^(-τ/h))."""
    if tau < 0:
        return 0.0
    logistic = 1.0 / (1.0 + 81.0 * 81.0 ** (-tau / half))
    return ceiling * (logistic - 1.0 / 82.0) / (81.0 / 82.0)


def test_effective_use_known_values_h2():
    # h = 2: q = 1/9, Λ(0..4) = 1/82, 1/10, 1/2, 9/10, 81/82; normalised (82Λ - 1)/81
    use = effective_use(7, 1, [1.0], [2], ceiling=1.0, months_to_half=2.0, speedup=1.0)
    expected = [0, 0, 0, 7.2 / 81, 40 / 81, 72.8 / 81, 80 / 81]
    np.testing.assert_allclose(use[:, 0], expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("half", [0.7, 1.5, 3.0, 5.3, 12.0])
@pytest.mark.parametrize("ceiling", [0.35, 0.8, 1.0])
def test_effective_use_equals_the_closed_form(half, ceiling):
    go_live, n_months = 3, 40
    use = effective_use(n_months, 1, [1.0], [go_live], ceiling, half, 1.0)[:, 0]
    expected = [s_curve(m - go_live, ceiling, half) for m in range(n_months)]
    np.testing.assert_allclose(use, expected, rtol=1e-12, atol=1e-15)
    # about half the ceiling at τ = h (0.494 c, the normalised curve), when h is whole
    if float(half).is_integer():
        assert use[go_live + int(half)] == pytest.approx(ceiling * 40 / 81, rel=1e-12)


def test_effective_use_scales_with_the_ceiling():
    shares, go_lives = [0.3, 0.7], [1, 6]
    full = effective_use(24, 1, shares, go_lives, 1.0, 2.5, 0.8)
    for ceiling in (0.0, 0.25, 0.9):
        scaled = effective_use(24, 1, shares, go_lives, ceiling, 2.5, 0.8)
        np.testing.assert_allclose(scaled, ceiling * full, rtol=1e-13, atol=1e-16)


@given(
    n_months=st.integers(2, 48),
    n_trials=st.integers(1, 8),
    data=st.data(),
    seed=st.integers(0, 2**32),
)
def test_effective_use_is_an_s_curve_below_the_ceiling(n_months, n_trials, data, seed):
    n_phases = data.draw(st.integers(1, min(4, n_months)))
    go_lives = sorted(data.draw(st.lists(st.integers(0, n_months - 1), min_size=n_phases,
                                         max_size=n_phases, unique=True)))
    weights = np.array(data.draw(st.lists(st.integers(1, 9), min_size=n_phases,
                                          max_size=n_phases)), dtype=float)
    shares = list(weights / weights.sum())
    rng = np.random.default_rng(seed)
    ceiling = rng.uniform(0.0, 1.0, n_trials)
    half = rng.uniform(0.2, 10.0, n_trials)
    speedup = rng.uniform(0.2, 1.0, n_trials)
    use = effective_use(n_months, n_trials, shares, go_lives, ceiling, half, speedup)
    assert use.shape == (n_months, n_trials)
    # zero up to and including the first go-live (adoption starts at 0)
    assert (use[: go_lives[0] + 1] == 0.0).all()
    # monotone non-decreasing, never above the ceiling
    assert (np.diff(use, axis=0) >= -1e-15).all()
    assert (use <= ceiling * (1 + 1e-12)).all()
    assert (use >= 0.0).all()
    # one trial at a time equals the vectorised result
    for i in range(n_trials):
        alone = effective_use(n_months, 1, shares, go_lives, ceiling[i], half[i], speedup[i])
        np.testing.assert_allclose(alone[:, 0], use[:, i], rtol=1e-13, atol=1e-16)
    # E(m) = Σ_p s_p a_p(m) with h_p = h σ^p
    for i in range(n_trials):
        expected = [
            sum(s * s_curve(m - g, ceiling[i], half[i] * speedup[i] ** p)
                for p, (s, g) in enumerate(zip(shares, go_lives, strict=True)))
            for m in range(n_months)
        ]
        np.testing.assert_allclose(use[:, i], expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("speedup", [0.5, 0.8, 0.99])
def test_later_phases_adopt_faster(speedup):
    n_months, shares, go_lives = 30, [0.5, 0.5], [0, 10]
    both = effective_use(n_months, 1, shares, go_lives, 0.9, 3.0, speedup)[:, 0]
    first = effective_use(n_months, 1, [0.5], [0], 0.9, 3.0, speedup)[:, 0]
    second = both - first  # phase 1's contribution, from its go-live in month 10
    tau = np.arange(1, 13)
    later, pilot = second[10 + tau], first[tau]
    assert (later > pilot).all()  # same share, same τ: the later phase is further along
    # ... and without a speed-up both phases follow the same curve
    both = effective_use(n_months, 1, shares, go_lives, 0.9, 3.0, 1.0)[:, 0]
    first = effective_use(n_months, 1, [0.5], [0], 0.9, 3.0, 1.0)[:, 0]
    np.testing.assert_allclose((both - first)[10 + tau], first[tau], rtol=1e-12)


# --- block metrics agree with costmodel.finance ---------------------------------------------


def random_flows(rng, n_months, n_trials):
    """Costs-then-benefits flows with a spread of outcomes, month-major."""
    costs = rng.uniform(0, 100, (n_months, n_trials))
    costs[: max(1, n_months // 4)] += rng.uniform(500, 3_000, n_trials)
    ramp = np.linspace(0, 1, n_months)[:, None]
    benefits = ramp * rng.uniform(0, 400, n_trials)
    return costs, benefits


def assert_block_matches_finance(rate, costs, benefits):
    block = block_metrics(rate, costs, benefits)
    net_trials_first = (benefits - costs).T
    expected = {
        "npv": finance.npv(rate, net_trials_first),
        "pv_costs": finance.npv(rate, costs.T),
        "pv_benefits": finance.npv(rate, benefits.T),
        "roi": finance.roi(rate, benefits.T, costs.T),
        "benefit_cost_ratio": finance.benefit_cost_ratio(rate, benefits.T, costs.T),
        "payback_months": finance.payback(net_trials_first),
        "discounted_payback_months": finance.discounted_payback(rate, net_trials_first),
        "peak_funding_need": finance.peak_funding_need(net_trials_first),
        "total_cost": finance.total_cost_of_ownership(costs.T),
        "irr_annual": finance.annualise_rate(finance.irr(net_trials_first)),
    }
    for name, values in expected.items():
        got = block[name]
        assert got.shape == (costs.shape[1],), name
        np.testing.assert_array_equal(np.isnan(got), np.isnan(values), err_msg=name)
        np.testing.assert_array_equal(np.isinf(got), np.isinf(values), err_msg=name)
        assert_close(got, values, err_msg=name)
    np.testing.assert_allclose(block["cumulative"], np.cumsum(benefits - costs, axis=0),
                               rtol=1e-12, atol=1e-9)


@settings(deadline=None, max_examples=40)
@given(
    n_months=st.integers(1, 60),
    n_trials=st.integers(1, 300),
    rate_annual=grid(0.0, 0.5, 50),
    seed=st.integers(0, 2**32),
)
def test_block_metrics_equal_finance(n_months, n_trials, rate_annual, seed):
    rng = np.random.default_rng(seed)
    costs, benefits = random_flows(rng, n_months, n_trials)
    assert_block_matches_finance(float(finance.periodic_rate(rate_annual)), costs, benefits)


def test_block_metrics_edge_cases_equal_finance():
    # columns: never negative (payback 0), never recovers (inf), no costs (roi nan),
    # pays back exactly at a month end, a second dip after paying back, all zero
    costs = np.array([
        [0.0, 100.0, 0.0, 100.0, 100.0, 0.0],
        [0.0, 10.0, 0.0, 0.0, 0.0, 0.0],
        [0.0, 10.0, 0.0, 0.0, 300.0, 0.0],
        [0.0, 10.0, 0.0, 0.0, 0.0, 0.0],
    ])
    benefits = np.array([
        [5.0, 0.0, 5.0, 0.0, 0.0, 0.0],
        [5.0, 10.0, 5.0, 50.0, 150.0, 0.0],
        [5.0, 10.0, 5.0, 50.0, 150.0, 0.0],
        [5.0, 10.0, 5.0, 0.0, 150.0, 0.0],
    ])
    for rate in (0.0, 0.01):
        assert_block_matches_finance(rate, costs, benefits)
    block = block_metrics(0.0, costs, benefits)
    # column 4: cumulative -100, 50, -100, 50: the first turn counts, 0 + 100/150
    assert block["payback_months"].tolist() == [0.0, math.inf, 0.0, 2.0, 100 / 150, 0.0]
    assert np.isnan(block["roi"][[0, 2, 5]]).all()


def cumulative_rows(flows, weights=None):
    """Running sums month by month over arrays (the engine's before its compiled pass):
    ``flows[m] * weights[m]`` added row by row."""
    out = np.empty_like(flows)
    if weights is None:
        out[0] = flows[0]
        for m in range(1, flows.shape[0]):
            np.add(out[m - 1], flows[m], out=out[m])
    else:
        np.multiply(flows[0], weights[0], out=out[0])
        for m in range(1, flows.shape[0]):
            np.multiply(flows[m], weights[m], out=out[m])
            out[m] += out[m - 1]
    return out


def payback_rows(cumulative):
    """Payback over month-major running sums with array passes (the engine's before its
    compiled pass): the earliest turn from negative to non-negative, interpolated; 0 when
    never negative; inf when it never turns."""
    n_months, n = cumulative.shape
    negative = cumulative < 0
    result = np.where(negative.any(axis=0), np.inf, 0.0)
    month = np.zeros(n, dtype=np.intp)  # walking backwards leaves the earliest crossing
    crossing = np.empty(n, dtype=bool)
    for m in range(n_months - 1, 0, -1):
        np.greater(negative[m - 1], negative[m], out=crossing)
        np.copyto(month, m, where=crossing)
    found = np.flatnonzero(month)
    before = cumulative[month[found] - 1, found]
    after = cumulative[month[found], found]
    result[found] = (month[found] - 1) + before / (before - after)
    return result


@settings(max_examples=60)
@given(n_months=st.integers(1, 40), n_trials=st.integers(1, 50), seed=st.integers(0, 2**32))
def test_block_metrics_one_pass_equals_the_row_functions(n_months, n_trials, seed):
    # the compiled pass against the month-by-month array functions it replaces, on flows
    # whose running sums cross zero several times (and sometimes hit it exactly)
    rng = np.random.default_rng(seed)
    costs = rng.integers(0, 5, (n_months, n_trials)).astype(float) * 100.0
    benefits = rng.integers(0, 5, (n_months, n_trials)).astype(float) * 100.0
    rate = 0.01
    block = block_metrics(rate, costs, benefits)
    net = benefits - costs
    discount = (1.0 + rate) ** -np.arange(n_months)
    cumulative = cumulative_rows(net)
    np.testing.assert_array_equal(block["cumulative"], cumulative)
    np.testing.assert_array_equal(block["payback_months"], payback_rows(cumulative))
    np.testing.assert_array_equal(block["discounted_payback_months"],
                                  payback_rows(cumulative_rows(net, discount)))
    np.testing.assert_array_equal(block["peak_funding_need"],
                                  np.maximum(0.0, -cumulative.min(axis=0)))
    np.testing.assert_array_equal(block["total_cost"], costs.sum(axis=0))
    pv_costs, pv_benefits = present_values(rate, costs, benefits)
    np.testing.assert_allclose(block["pv_costs"], pv_costs, rtol=1e-13, atol=1e-9)
    np.testing.assert_allclose(block["pv_benefits"], pv_benefits, rtol=1e-13, atol=1e-9)
    assert "by_period" not in block
    # the same pass sums the flows by period (fiscal years): np.add.reduceat over the rows
    first = int(rng.integers(0, 12))
    starts = fiscal_year_starts(n_months, first)
    period = np.searchsorted(starts, np.arange(n_months), side="right") - 1
    again = block_metrics(rate, costs, benefits, period)
    for name in ("npv", "payback_months", "cumulative"):
        np.testing.assert_array_equal(again[name], block[name])
    np.testing.assert_array_equal(again["by_period"][0], np.add.reduceat(costs, starts))
    np.testing.assert_array_equal(again["by_period"][1], np.add.reduceat(benefits, starts))


def test_block_payback_interpolates_within_the_month_it_turns():
    # cumulative -100, -70, -40, -10, +20: payback 3 + 10 / 30
    costs = np.array([[100.0], [0.0], [0.0], [0.0], [0.0]])
    benefits = np.array([[0.0], [30.0], [30.0], [30.0], [30.0]])
    assert block_metrics(0.0, costs, benefits)["payback_months"].tolist() == [3.3333333333333335]
    cumulative = np.array([[-100.0], [-70.0], [-40.0], [-10.0], [20.0]])
    assert payback_rows(cumulative).tolist() == [3.3333333333333335]  # the array version


def test_block_metrics_known_values():
    # numpy-financial's npv example: 40 000 today, 5k, 8k, 12k, 30k at 8 % per period
    costs = np.array([[40_000.0], [0.0], [0.0], [0.0], [0.0]])
    benefits = np.array([[0.0], [5_000.0], [8_000.0], [12_000.0], [30_000.0]])
    block = block_metrics(0.08, costs, benefits)
    assert block["npv"][0] == pytest.approx(3065.22267, abs=1e-5)
    assert block["total_cost"][0] == 40_000.0
    assert block["peak_funding_need"][0] == 40_000.0
    # cumulative: -40k, -35k, -27k, -15k, +15k: payback 3 + 15k / 30k
    assert block["payback_months"][0] == pytest.approx(3.5, rel=1e-14)


# --- row percentiles equal np.percentile ----------------------------------------------------


@st.composite
def percentile_stores(draw_):
    """float32 ``(n_rows, n)`` stores: ties, constant rows, heavy tails, n = 1 .. 3000."""
    n = draw_(st.one_of(st.integers(1, 12), st.integers(1, 3000)))
    n_rows = draw_(st.integers(1, 4))
    kind = draw_(st.sampled_from(("normal", "ties", "constant", "cauchy", "lognormal",
                                  "outliers", "cash")))
    rng = np.random.default_rng(draw_(st.integers(0, 2**32)))
    shape = (n_rows, n)
    if kind == "normal":
        x = rng.normal(draw_(grid(-1e6, 1e6)), 1e3, shape)
    elif kind == "ties":
        x = rng.integers(-3, 4, shape) * draw_(st.sampled_from((1.0, 0.5, 1e4)))
    elif kind == "constant":
        x = np.full(shape, draw_(grid(-1e5, 1e5)))
    elif kind == "cauchy":
        x = rng.standard_cauchy(shape) * 1e4
    elif kind == "lognormal":
        x = np.exp(rng.normal(0.0, 8.0, shape))
    elif kind == "outliers":
        x = rng.normal(0.0, 1.0, shape)
        x[:, rng.integers(0, n, max(1, n // 100))] = 1e12
    else:  # cumulative cash of a month: a bulk plus a long left tail
        x = 5e4 + 2e4 * rng.standard_normal(shape) - rng.exponential(3e4, shape) ** 2 / 1e4
    x = x.astype(np.float32)
    if draw_(st.booleans()) and n > 1:  # ties with the row's extremes
        x[:, : n // 3] = x[:, [0]]
    return x


small_float32_stores = arrays(
    np.float32,
    st.tuples(st.integers(1, 3), st.integers(1, 40)),
    elements=st.floats(-1e9, 1e9, width=32).map(lambda v: 0.0 if abs(v) < 1e-3 else v),
)

LEVELS = st.one_of(
    st.just(np.array(BAND_LEVELS)),
    st.lists(grid(0.0, 100.0, 1000), min_size=1, max_size=9).map(np.array),
)


def rounding_bound(store: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Four ulps of the two order statistics each percentile interpolates between,
    shape (n_levels, n_rows): the most two correct linear interpolations can differ by."""
    rows = np.sort(store.astype(np.float64), axis=1)
    position = np.asarray(levels, dtype=float) / 100.0 * (rows.shape[1] - 1)
    low = np.floor(position).astype(np.intp)
    high = np.minimum(low + 1, rows.shape[1] - 1)
    magnitude = np.maximum(np.abs(rows[:, low]), np.abs(rows[:, high])).T
    return 4 * np.finfo(np.float64).eps * magnitude


@settings(deadline=None, max_examples=150)
@given(store=st.one_of(percentile_stores(), small_float32_stores), levels=LEVELS)
def test_row_percentiles_equal_np_percentile_to_rounding(store, levels):
    got = row_percentiles(store, levels)
    expected = np.percentile(store.astype(np.float64), levels, axis=1)
    assert got.shape == expected.shape == (len(levels), store.shape[0])
    bound = rounding_bound(store, levels)
    assert (np.abs(got - expected) <= bound).all()
    # inside each row's range
    assert (got >= store.min(axis=1) - bound).all() and (got <= store.max(axis=1) + bound).all()


@settings(deadline=None, max_examples=100)
@given(store=st.one_of(percentile_stores(), small_float32_stores), levels=LEVELS)
@example(store=np.array([[0.1, 0.2]], dtype=np.float32), levels=np.array(BAND_LEVELS))
def test_row_percentiles_equal_np_percentile_exactly(store, levels):
    got = row_percentiles(store, levels)
    expected = np.percentile(store.astype(np.float64), levels, axis=1)
    np.testing.assert_array_equal(got, expected)
    # the store in column pieces (as a segmented run keeps it) gives the same bits
    cut = store.shape[1] // 2
    if cut:
        pieces = row_percentiles([store[:, :cut], store[:, cut:]], levels)
        np.testing.assert_array_equal(pieces, expected)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("row", [[0.0, 1e-37], [-3e38, 3e38]], ids=["tiny-range", "huge-range"])
def test_row_percentiles_on_extreme_finite_rows(row):
    store = np.array([row], dtype=np.float32)
    got = row_percentiles(store, BAND_LEVELS)
    expected = np.percentile(store.astype(np.float64), BAND_LEVELS, axis=1)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("bins", [None, 1024, 8192])
def test_row_percentiles_of_long_rows_whose_far_values_stretch_the_range(bins):
    # a long row's bulk, a point mass and a few far values: whatever the bins, the
    # reference is np.percentile
    rng = np.random.default_rng(7)
    store = rng.normal(0.0, 1.0, (3, 40_000)).astype(np.float32)
    store[0, :9] = 1e9  # far values: the bulk falls in one coarse bin
    store[1, ::3] = 2.5  # a point mass a third of the row
    store[2, :2] = -1e12
    got = row_percentiles(store, BAND_LEVELS, bins)
    expected = np.percentile(store.astype(np.float64), BAND_LEVELS, axis=1)
    np.testing.assert_array_equal(got, expected)


def test_row_percentiles_known_values():
    store = np.arange(101, dtype=np.float32)[None, :].repeat(2, axis=0)
    store[1] = 7.0  # a constant row
    got = row_percentiles(store, BAND_LEVELS)
    np.testing.assert_array_equal(got[:, 0], BAND_LEVELS)
    np.testing.assert_array_equal(got[:, 1], 7.0)


def test_dip_category_name_is_shared_with_the_reference():
    from costmodel.engine.reference import DIP_CATEGORY

    assert DISRUPTION_CATEGORY == DIP_CATEGORY == "productivity_dip"
