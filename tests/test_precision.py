"""Samplers, Monte Carlo standard errors, precision control and paired comparisons.

Known answer by construction: a scenario whose NPV is a sum of independent normal monthly
flows (one cost item per month) has NPV ~ Normal(-Σ d_m μ_m, Σ d_m² σ_m²) in closed form;
every sampler must hit the mean and standard deviation within 3 standard errors. The
reported standard errors are checked against the spread of estimates over repeated seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from costmodel import parse_scenario, simulate
from costmodel.results import expected_shortfall, standard_error
from costmodel.uncertainty import replicate_count, uniform_design

MONTHS = 24
RATE_YEAR = 0.08


def normal_flows_scenario(trials=4096, sampler="sobol"):
    """Month ``m`` has one cost ~ Normal(1000 + 10 m, 100 + 5 m), independent."""
    costs = [{"name": f"Cost {m}", "category": "other", "kind": "one_time",
              "start_month": m,
              # truncation at 0 lies 4.6+ sd below the mean: its effect (~1e-5 sd) is nil
              "amount": {"normal": {"mean": 1000.0 + 10 * m, "sd": 100.0 + 5 * m, "low": 0.0}}}
             for m in range(MONTHS)]
    return parse_scenario({
        "name": "normal flows", "horizon_months": MONTHS, "discount_rate": RATE_YEAR,
        "organisation": {"units": 1}, "costs": costs,
        "strategies": [{"name": "Only", "phases": [{"share": 1.0, "go_live": 0}]}],
        "simulation": {"trials": trials, "sampler": sampler},
    })


def closed_form():
    rate = (1 + RATE_YEAR) ** (1 / 12) - 1
    d = (1 + rate) ** -np.arange(MONTHS)
    mu = 1000.0 + 10 * np.arange(MONTHS)
    sd = 100.0 + 5 * np.arange(MONTHS)
    return -(d * mu).sum(), math.sqrt((d**2 * sd**2).sum())


@pytest.mark.parametrize("sampler", ["mc", "lhs", "sobol"])
def test_normal_flows_match_the_closed_form(sampler):
    mean, sd = closed_form()
    results = simulate(normal_flows_scenario(sampler=sampler), trials=4096, seed=9)
    stat = results["Only"].summary.npv
    assert abs(stat.mean - mean) < 3 * stat.mean_se
    # sd of a sample sd of n normal draws: sd / sqrt(2 (n - 1))
    assert abs(stat.sd - sd) < 3 * sd / math.sqrt(2 * (4096 - 1))
    # P(NPV > mean) is 1/2 for a symmetric distribution
    npv = results["Only"].metrics.npv
    assert abs(np.mean(npv > mean) - 0.5) < 3 * math.sqrt(0.25 / 4096)
    # expected shortfall of a normal: mean - sd φ(z) / 0.05, z = Φ⁻¹(0.05)
    from scipy import stats
    es = mean - sd * stats.norm.pdf(stats.norm.ppf(0.05)) / 0.05
    assert results["Only"].summary.npv_expected_shortfall == pytest.approx(es, rel=0.02)


@pytest.mark.parametrize("sampler", ["mc", "sobol"])
def test_reported_standard_errors_match_the_spread_over_seeds(sampler):
    """Across 24 seeds, the standard deviation of the mean NPV estimate is close to the
    reported standard error (their ratio's sampling error is about 1/sqrt(2·24) ≈ 15 %)."""
    scenario = normal_flows_scenario(sampler=sampler)
    means, errors = [], []
    for seed in range(24):
        stat = simulate(scenario, trials=1024, seed=seed)["Only"].summary.npv
        means.append(stat.mean)
        errors.append(stat.mean_se)
    ratio = np.std(means, ddof=1) / np.sqrt(np.mean(np.square(errors)))
    assert 0.6 < ratio < 1.5, ratio


def test_sobol_beats_plain_monte_carlo_on_a_smooth_sum():
    """For a sum of independent inputs (a smooth, additive integrand) scrambled Sobol's
    error is far below Monte Carlo's; the reported errors say so."""
    errors = {s: simulate(normal_flows_scenario(sampler=s), trials=4096,
                          seed=2)["Only"].summary.npv.mean_se for s in ("mc", "sobol")}
    assert errors["sobol"] < errors["mc"] / 3


def test_standard_error_from_replicates():
    values = np.array([1.0, 3.0, 2.0, 6.0, np.nan, 5.0])
    # replicate means 2, 4 and 5 (nan left out)
    means = np.array([2.0, 4.0, 5.0])
    assert standard_error(values, (0, 2, 4)) == pytest.approx(
        np.std(means, ddof=1) / math.sqrt(3))
    assert math.isnan(standard_error(np.array([1.0, np.inf]), (0,)))
    assert expected_shortfall(np.array([5.0, 1.0, 3.0, 2.0, 4.0]), 40) == 1.5


def test_replicated_designs_are_independent_scrambles():
    rng = np.random.default_rng(0)
    u = uniform_design(1024, 3, sampler="sobol", rng=rng, replicates=replicate_count(1024,
                                                                                      "sobol"))
    assert u.shape == (1024, 3)
    blocks = u.reshape(16, 64, 3)
    # each block is a full scrambled Sobol net: exactly one point per 1/64 interval in dim 0
    for block in blocks:
        assert np.array_equal(np.sort(np.floor(block[:, 0] * 64)), np.arange(64))
    assert not np.array_equal(blocks[0], blocks[1])


def test_the_same_seed_gives_the_same_numbers_and_sobol_is_the_default():
    scenario = normal_flows_scenario(trials=1000)
    a, b = simulate(scenario, seed=3), simulate(scenario, seed=3)
    assert a.manifest.sampler == "sobol" and a.manifest.trials == 1024
    assert "rounded up to 1,024" in a.manifest.note
    assert a.manifest.replicates == 16
    assert np.array_equal(a["Only"].metrics.npv, b["Only"].metrics.npv)
    assert not np.array_equal(a["Only"].metrics.npv, simulate(scenario, seed=4)["Only"]
                              .metrics.npv)


@pytest.mark.parametrize("sampler", ["mc", "sobol"])
def test_precision_control_adds_trials_until_the_target(sampler):
    scenario = normal_flows_scenario(sampler=sampler)
    first = simulate(scenario, trials=256, seed=1)["Only"].summary.npv.mean_se
    target = first / 3  # needs about 9 times the trials
    results = simulate(scenario, trials=256, seed=1, precision=target)
    stat = results["Only"].summary.npv
    assert stat.mean_se <= target
    assert results.manifest.trials >= 256 * 4
    assert "precision" in results.manifest.note and "reached" in results.manifest.note
    # the first round is the plain run: its trials come first, unchanged
    plain = simulate(scenario, trials=256, seed=1)["Only"].metrics.npv
    npv = results["Only"].metrics.npv
    assert np.array_equal(npv[:256], plain)
    if sampler == "mc":  # all rounds together are one sample of independent trials
        assert results.manifest.replicates == 1
        assert stat.mean_se == pytest.approx(np.std(npv, ddof=1) / math.sqrt(npv.size))
    else:  # whole replicates of the first round's size
        assert results.manifest.replicates == results.manifest.trials // (256 // 4)


@pytest.mark.parametrize(("sampler", "cap", "reached"), [("sobol", 2048, 2048),
                                                         ("mc", 2000, 2000)])
def test_precision_control_stops_at_the_cap(sampler, cap, reached):
    data = normal_flows_scenario(sampler=sampler).to_data()
    data["simulation"].update(npv_standard_error_target=0.001, max_trials=cap, trials=512)
    results = simulate(parse_scenario(data), seed=1)
    assert results.manifest.trials == reached
    assert f"not reached at the cap of {reached:,} trials" in results.manifest.note


# --- paired comparison ------------------------------------------------------------------------


def two_strategies():
    return parse_scenario({
        "name": "pair", "horizon_months": 24, "organisation": {"units": 10},
        "costs": [{"name": "Licence", "category": "licensing", "kind": "monthly",
                   "basis": "per_unit", "amount": {"pert": [40.0, 50.0, 70.0]}}],
        "benefits": [{"name": "Saving", "kind": "amount",
                      "amount_per_month": {"pert": [500.0, 1500.0, 3000.0]}}],
        "strategies": [{"name": "Early", "phases": [{"share": 1.0, "go_live": 1}]},
                       {"name": "Late", "phases": [{"share": 1.0, "go_live": 6}]}],
    })


def test_compare_is_the_paired_difference():
    results = simulate(two_strategies(), trials=2048, seed=5)
    c = results.compare("Early", "Late")
    delta = results["Early"].metrics.npv - results["Late"].metrics.npv
    assert np.array_equal(c.delta_npv, delta)
    assert c.mean_delta_npv == pytest.approx(delta.mean(), rel=1e-12)
    assert c.se == pytest.approx(standard_error(delta, results["Early"].replicate_starts))
    assert c.prob_a_beats_b == pytest.approx(np.mean(delta > 0))
    reverse = results.compare("Late", "Early")
    assert c.prob_a_beats_b + reverse.prob_a_beats_b == pytest.approx(1.0)
    assert reverse.mean_delta_npv == pytest.approx(-c.mean_delta_npv)
    same = results.compare("Early", "Early")
    assert same.mean_delta_npv == 0.0 and same.prob_a_beats_b == 0.5 and same.se == 0.0
    # pairing: the paired error is far below that of two independent runs' difference
    early, late = results["Early"].summary.npv, results["Late"].summary.npv
    assert c.se < 0.5 * math.hypot(early.mean_se, late.mean_se)
    assert [(x.a, x.b) for x in results.comparisons()] == [("Early", "Late")]
    with pytest.raises(KeyError, match="no strategy 'Never'"):
        results.compare("Early", "Never")
