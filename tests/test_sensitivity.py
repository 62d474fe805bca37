"""Sensitivity views: known answers by construction, identities with point runs and
with scipy, and the analytic Sobol indices of a linear model and of Ishigami's function."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from scipy.stats import qmc

import costmodel
from costmodel import sensitivity as sens
from costmodel.errors import CostModelError
from costmodel.scenario import parse_scenario
from costmodel.uncertainty import draw, replicate_count

EXAMPLES = Path(__file__).parents[1] / "scenarios"


@pytest.fixture(scope="module")
def example():
    return costmodel.load_scenario(EXAMPLES / "customer_service_assistant.toml")


def _set(data, path, value):
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _fixed(scenario, path, value):
    """The scenario with the input at ``path`` fixed at ``value``."""
    from costmodel.uncertainty import format_path, normalise_key

    label = next(i.label for i in sens.sensitivity_inputs(scenario) if i.path == path)
    names = {normalise_key(label), normalise_key(format_path(path))}
    data = scenario.to_data()
    _set(data, path, float(value))
    # a fixed value has no correlations (a point run does not use them anyway)
    data["correlations"] = [c for c in data.get("correlations", [])
                            if not names & {normalise_key(x) for x in c["between"]}]
    return parse_scenario(data)


def _linear(widths, *, strategies=None, extra=None):
    """NPV = 500 per month of benefit - X_0 - X_1 - ...: one-time fixed costs paid in
    month 0 (undiscounted), X_k uniform on [1000, 1000 + widths[k]]."""
    categories = ("training", "data", "integration", "compliance", "licensing")
    data = {
        "name": "linear", "organisation": {"units": 10},
        "costs": [{"name": f"Cost {k}", "category": categories[k % 5], "kind": "one_time",
                   "start_month": 0, "amount": {"uniform": [1000.0, 1000.0 + w]}}
                  for k, w in enumerate(widths)],
        "benefits": [{"name": "Saving", "kind": "amount", "amount_per_month": 500.0}],
        "strategies": strategies or [{"name": "All", "phases": [{"share": 1, "go_live": 1}]}],
    }
    data.update(extra or {})
    return parse_scenario(data)


# --- tornado and spider ----------------------------------------------------------------


def test_tornado_swing_is_the_difference_of_two_point_runs(example):
    t = sens.tornado(example)
    pilot = t.strategies.index("Pilot, then two waves")
    slip = next(k for k, i in enumerate(t.inputs) if i.label == "Pilot, then two waves: slip "
                                                                 "months")
    top = t.order("All at once")[0]
    for k in (top, slip):
        path = t.inputs[k].path
        low = costmodel.simulate_point(_fixed(example, path, t.input_low[k]))
        high = costmodel.simulate_point(_fixed(example, path, t.input_high[k]))
        for s, name in enumerate(t.strategies):
            assert t.low[s, k] == pytest.approx(low[name].summary.npv.mean, rel=1e-9)
            assert t.high[s, k] == pytest.approx(high[name].summary.npv.mean, rel=1e-9)
            direct = high[name].summary.npv.mean - low[name].summary.npv.mean
            assert t.swing[s, k] == pytest.approx(abs(direct), rel=1e-9, abs=1e-6)
    point = costmodel.simulate_point(example)
    assert t.base.tolist() == pytest.approx([s.summary.npv.mean for s in point.strategies])
    # the input's P10/P90 are its inverse CDF at 0.1/0.9; a strategy's own slip does not
    # move the other strategy
    d = t.inputs[slip].distribution
    assert t.input_low[slip] == pytest.approx(float(d.ppf(np.array([0.1]))[0]))
    assert t.swing[1 - pilot, slip] == 0
    assert slip not in t.order("All at once")
    swings = t.swing[0, t.order("All at once")]
    assert (np.diff(swings) <= 0).all()


def test_spider_passes_through_the_tornado_and_the_point_run(example):
    t = sens.tornado(example)
    sp = sens.spider(example, levels=(10, 50, 90))
    assert np.allclose(sp.values[..., 0], t.low) and np.allclose(sp.values[..., 2], t.high)
    assert np.array_equal(sp.base, t.base)
    # at its median an input moves NPV only as far as its median is from its point value
    uniform = _linear([1000.0])
    s = sens.spider(uniform, levels=(50.0,))
    assert s.values[0, 0, 0] == pytest.approx(s.base[0])  # uniform: point value = median


def test_tornado_of_a_linear_model_has_the_analytic_swings():
    t = sens.tornado(_linear([1000.0, 3000.0]))
    # NPV falls one for one with each cost: swing = P90 - P10 of U(1000, 1000 + w) = 0.8 w
    assert t.swing[0].tolist() == pytest.approx([800.0, 2400.0])
    assert t.order("All") == [1, 0]


# --- rank correlations ------------------------------------------------------------------


def test_rank_correlations_come_from_the_run_and_agree_with_scipy(example):
    rc = sens.rank_correlations(example, trials=2_048, seed=4)
    run = costmodel.simulate(example, trials=2_048, seed=4)
    draws = draw(example, 2_048, sampler="sobol", rng=np.random.default_rng(4),
                 replicates=replicate_count(2_048, "sobol"))
    k = rc.labels.index("adoption: ceiling")
    for s, strategy in enumerate(run.strategies):
        expected = stats.spearmanr(draws[("adoption", "ceiling")], strategy.metrics.npv)
        assert rc.rho[s, k] == pytest.approx(expected.statistic, abs=1e-12)
        assert rc.ci_low[s, k] < rc.rho[s, k] < rc.ci_high[s, k]
        # contribution to variance: signed shares of rho², absolute values sum to 1
        used = rc.order(strategy.name)  # another strategy's inputs contribute nothing
        assert np.abs(rc.contribution[s, used]).sum() == pytest.approx(1.0)
        assert np.all(np.sign(rc.contribution[s, used]) == np.sign(rc.rho[s, used]))
    # risk events are ranked too: abandonment lowers NPV
    abandoned = rc.labels.index("Risk: Project abandoned (occurrences)")
    assert rc.rho[0, abandoned] < 0


# --- Sobol indices: the estimator on an analytic function -------------------------------


def _ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_estimator_matches_ishigami_indices_for_inputs_and_a_group():
    # Ishigami and Homma (1990); analytic values as in Saltelli et al. (2008), "Global
    # Sensitivity Analysis: The Primer", section 4.8, a = 7, b = 0.1
    a, b, pi = 7.0, 0.1, math.pi
    v1 = 0.5 * (1 + b * pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * pi ** 8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    expected_first = [v1 / v, v2 / v, 0.0, (v1 + v13) / v]  # last: the group {x1, x3}
    expected_total = [(v1 + v13) / v, v2 / v, v13 / v, (v1 + v13) / v]
    n, d = 2_048, 3
    u = qmc.Sobol(2 * d, scramble=True, rng=np.random.default_rng(3)).random(n)
    sets = [(0,), (1,), (2,), (0, 2)]
    design = sens.saltelli_design(u[:, :d], u[:, d:], sets)
    f = _ishigami(-pi + 2 * pi * design)
    f_ab = f[2 * n:].reshape(len(sets), n)
    first, total, first_ci, total_ci = sens.sobol_estimates(
        f[:n], f[n:2 * n], f_ab, rng=np.random.default_rng(4), resamples=299)
    assert first == pytest.approx(expected_first, abs=0.03)
    assert total == pytest.approx(expected_total, abs=0.03)
    for k in range(len(sets)):
        assert first_ci[k, 0] - 0.01 <= expected_first[k] <= first_ci[k, 1] + 0.01
        assert total_ci[k, 0] - 0.01 <= expected_total[k] <= total_ci[k, 1] + 0.01
    # the same estimates as scipy's own run of the design (its func= form)
    direct = stats.sobol_indices(func={"f_A": f[None, :n], "f_B": f[None, n:2 * n],
                                       "f_AB": f_ab[:, None, :]}, n=n)
    assert np.allclose(first, direct.first_order) and np.allclose(total, direct.total_order)


# --- Sobol indices: the model -------------------------------------------------------------


def test_linear_npv_gets_the_analytic_indices_within_their_intervals():
    # NPV = c - X_0 - X_1 - X_2, X_k ~ U(1000, 1000 + w_k) independent: S_k = S_Tk =
    # w_k² / sum(w²) = 1/14, 4/14, 9/14 (additive model, Var U = w²/12)
    widths = np.array([1000.0, 2000.0, 3000.0])
    scenario = _linear(widths)
    coefficient = (costmodel.simulate_point(_fixed(scenario, ("costs", 0, "amount"), 2000.0))
                   ["All"].summary.npv.mean
                   - costmodel.simulate_point(_fixed(scenario, ("costs", 0, "amount"),
                                                     1000.0))["All"].summary.npv.mean)
    assert coefficient == pytest.approx(-1000.0)  # the model is linear with slope -1
    expected = widths ** 2 / (widths ** 2).sum()
    found = sens.sobol(scenario, samples=1_024, seed=11, resamples=499)
    rows = [found.names.index(f"Cost {k}: amount") for k in range(3)]
    first, total = found.first[0, rows], found.total[0, rows]
    assert first == pytest.approx(expected, abs=0.03)
    assert total == pytest.approx(expected, abs=0.03)
    for j, r in enumerate(rows):
        assert found.first_ci[0, r, 0] <= expected[j] <= found.first_ci[0, r, 1]
        assert found.total_ci[0, r, 0] <= expected[j] <= found.total_ci[0, r, 1]
    # the variance of NPV is the sum of the inputs' variances
    assert found.variance[0] == pytest.approx((widths ** 2 / 12).sum(), rel=0.02)
    # each cost is its own item and its own challenge: groups agree with the inputs
    training = found.names.index("Training and change")
    assert found.total[0, training] == pytest.approx(found.total[0, rows[0]])
    assert found.evaluations == 1_024 * (2 + 3)  # the groups reuse the single-input sets


def test_one_uncertain_input_gets_index_one_and_the_rest_zero():
    strategies = [{"name": "All", "phases": [{"share": 1, "go_live": 1}]},
                  {"name": "Phased", "phases": [{"share": 0.5, "go_live": 1},
                                                {"share": 0.5, "go_live": 6}],
                   "slip": {"months": {"pert": [0, 1, 4]}}}]
    # users per unit only prices per-user costs, of which there are none: no effect
    scenario = _linear([2000.0], strategies=strategies,
                       extra={"organisation": {"units": 10,
                                               "users_per_unit": {"pert": [1, 2, 5]}}})
    found = sens.sobol(scenario, samples=512, seed=2, resamples=499)
    cost = found.names.index("Cost 0: amount")
    users = found.names.index("organisation: users per unit")
    slip = found.names.index("Phased: slip months")
    all_ = 0
    assert found.first[all_, cost] == pytest.approx(1.0, abs=0.05)
    assert found.total[all_, cost] == pytest.approx(1.0, abs=0.05)
    assert found.total_ci[all_, cost, 0] <= 1.0 <= found.total_ci[all_, cost, 1]
    assert found.first_ci[all_, cost, 0] <= 1.0 <= found.first_ci[all_, cost, 1]
    for row in (users, slip):  # f(AB) == f(A) exactly: both estimators give 0
        assert found.first[all_, row] == 0 and found.total[all_, row] == 0
        assert found.first_ci[all_, row].tolist() == [0.0, 0.0]
    # the rows shown for a strategy leave out another strategy's inputs
    assert slip not in found.rows("All") and slip in found.rows("Phased")


def test_correlations_are_set_aside_and_said_so(example):
    found = sens.sobol(example, samples=64, resamples=99)
    assert any("correlates 4 pair(s)" in note for note in found.notes)
    challenges = [found.names[r] for r in found.rows("All at once", "challenge")]
    assert {"Data", "Integration", "Training and change"} <= set(challenges)
    items = [found.names[r] for r in found.rows("All at once", "item")]
    assert "Cost: CRM and ticketing integration" in items
    # risk inputs are left out of the design (risk events are held off)
    assert not any(name.startswith("Privacy incident") for name in found.names)


def test_bad_requests_are_refused_with_a_message(example):
    with pytest.raises(CostModelError, match="power of two"):
        sens.sobol(example, samples=1000)
    with pytest.raises(CostModelError, match="not one of"):
        sens.tornado(example, metric="profit")
    with pytest.raises(CostModelError, match="not finite"):
        sens.sobol(example, metric="payback_months", samples=64, resamples=99)
    fixed = _linear([0.0])
    with pytest.raises(CostModelError, match="no uncertain inputs"):
        sens.sobol(fixed, samples=64)
    with pytest.raises(CostModelError, match="no strategy"):
        sens.tornado(example).order("Nope")


def test_challenges_follow_the_cost_categories(example):
    by_label = {i.label: i for i in sens.sensitivity_inputs(example)}
    assert by_label["Agent training: amount"].challenge == "training and change"
    assert by_label["Knowledge-base clean-up: amount"].challenge == "data"
    assert by_label["CRM and ticketing integration: amount"].challenge == "integration"
    assert by_label["Privacy review and DPIA: amount"].challenge == "compliance and security"
    assert by_label["adoption: data quality"].challenge == "data"
    assert by_label["All at once: slip months"].challenge == "integration"
    assert by_label["adoption: ceiling"].item == "Adoption"
    assert set(i.challenge for i in by_label.values()) <= set(sens.CHALLENGES)


def test_report_tables_figures_and_json(example):
    import json

    report = sens.sensitivity_report(example, samples=64, resamples=99)
    tables = report.tables("All at once", top=5)
    assert set(tables) == {"tornado", "rank_correlations", "sobol_inputs",
                           "sobol_challenges", "sobol_items"}
    assert len(tables["tornado"]) == 5
    figures = report.figures("All at once")
    assert set(figures) == {"tornado", "spider", "rank_correlations", "sobol_inputs",
                            "sobol_challenges"}
    for figure in figures.values():
        assert figure.layout.title.text
        assert any(a.text.startswith("Source:") for a in figure.layout.annotations)
    json.dumps(report.to_json(), allow_nan=False)
    text = report.to_text(["All at once"])
    assert "Tornado" in text and "Sobol indices by adoption challenge" in text


def test_report_of_a_run_uses_its_trials_and_seed(example):
    run = costmodel.simulate(example, trials=512, seed=9)
    report = sens.sensitivity_report(run, indices=False)
    assert report.sobol is None
    assert (report.correlations.trials, report.correlations.seed) == (512, 9)
    assert "sobol_inputs" not in report.tables("All at once")
