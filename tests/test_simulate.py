"""``costmodel.simulate``: reproducibility, identities, invariants, summaries, the manifest.

Four kinds of truth: seeded reproducibility (same seed, same bits); identities (zero
spread equals the point run; one phase equals all-at-once; chunking changes nothing);
invariants that hold in every trial (NPV = PV benefits - PV costs, ...); and a known answer
built by construction (one cost at month 0, one benefit on the methodology's S-curve),
checked against a closed form and numpy-financial.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import numpy_financial as npf
import pytest
from scipy import stats

from costmodel import load_scenario, parse_scenario, simulate, simulate_point
from costmodel.engine import bands, strategy_cash_flows
from costmodel.engine.deferral import deferred_go_lives, defers
from costmodel.engine.funding import FundingPlan
from costmodel.engine.schedule import actual_go_lives
from costmodel.results import BAND_LEVELS, FUNDING_FIELDS, GATE_FIELDS, METRIC_NAMES, SUMMARY_LEVELS
from costmodel.simulate import simulate_draws
from costmodel.uncertainty import draw, replicate_count, uncertain_inputs
from tests.test_engine import schedule_groups

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
EXAMPLE = ROOT / "scenarios" / "customer_service_assistant.toml"
INVOICE = ROOT / "scenarios" / "invoice_automation.toml"  # its phased plan defers to budget
TRIALS = 500


@pytest.fixture(scope="module", params=SCENARIOS, ids=lambda p: p.stem)
def run(request):
    """Each example scenario, simulated once with 500 trials (shared by the invariants)."""
    scenario = load_scenario(request.param)
    return simulate(scenario, trials=TRIALS, seed=11, sampler="mc")


def engine_flows(scenario, trials, seed, sampler):
    """The engine's flows on the draws ``simulate`` makes for ``seed``/``sampler``:
    trials-first ``(costs, benefits)`` per strategy."""
    draws = draw(scenario, trials, sampler=sampler, rng=np.random.default_rng(seed),
                 replicates=replicate_count(trials, sampler))
    out = []
    for k in range(len(scenario.strategies)):
        costs, benefits = flows_on(scenario, k, draws)
        out.append((costs.T, benefits.T))
    return out


def flows_on(scenario, k, draws):
    """Month-major ``(costs, benefits)`` of strategy ``k`` on ``draws``: trials grouped by
    schedule, one engine run per group with one go-live month per phase (simulate runs
    go-lives per trial); a strategy under the budget's defer policy, with its deferral."""
    go_lives = actual_go_lives(scenario, k, draws)
    if defers(scenario, k):
        plan = FundingPlan.of(scenario.funding, scenario.horizon_months)
        deferral = deferred_go_lives(scenario, k, draws, go_lives, plan)
        flows = strategy_cash_flows(scenario, k, draws, deferral.go_lives, deferral.windows)
        return flows.costs, flows.benefits
    costs = np.empty((scenario.horizon_months, draws.n_trials))
    benefits = np.empty_like(costs)
    for months, idx in schedule_groups(go_lives):
        flows = strategy_cash_flows(scenario, k, draws.take(idx), months)
        costs[:, idx], benefits[:, idx] = flows.costs, flows.benefits
    return costs, benefits


def assert_results_identical(a, b):
    assert a.names == b.names
    for sa, sb in zip(a.strategies, b.strategies, strict=True):
        for name in METRIC_NAMES:
            assert np.array_equal(getattr(sa.metrics, name), getattr(sb.metrics, name),
                                  equal_nan=True), (sa.name, name)
        assert np.array_equal(sa.cumulative_cash.levels, sb.cumulative_cash.levels)
        assert np.array_equal(sa.cumulative_cash.values, sb.cumulative_cash.values)
        for mine, theirs in ((sa.mean_costs_by_category, sb.mean_costs_by_category),
                             (sa.mean_benefits_by_item, sb.mean_benefits_by_item)):
            assert list(mine) == list(theirs)
            for key in mine:
                assert np.array_equal(mine[key], theirs[key]), (sa.name, key)
        # (assert_equal treats nan as equal to nan: an undefined IRR summary is nan)
        np.testing.assert_equal(dataclasses.asdict(sa.summary), dataclasses.asdict(sb.summary))


# --- reproducibility ------------------------------------------------------------------------


@pytest.mark.parametrize("sampler", ["mc", "lhs", "sobol"])
def test_same_seed_gives_bit_identical_results(sampler):
    scenario = load_scenario(EXAMPLE)
    first = simulate(scenario, trials=256, seed=42, sampler=sampler)
    second = simulate(scenario, trials=256, seed=42, sampler=sampler)
    assert_results_identical(first, second)
    assert first.manifest == second.manifest
    other = simulate(scenario, trials=256, seed=43, sampler=sampler)
    for sa, sb in zip(first.strategies, other.strategies, strict=True):
        assert not np.array_equal(sa.metrics.npv, sb.metrics.npv)
        assert not np.array_equal(sa.cumulative_cash.values, sb.cumulative_cash.values)


def test_seed_and_sampler_default_to_the_scenario_settings():
    scenario = load_scenario(EXAMPLE)
    settings = scenario.simulation
    implicit = simulate(scenario, trials=128)
    explicit = simulate(scenario, trials=128, seed=settings.seed, sampler=settings.sampler)
    assert_results_identical(implicit, explicit)
    assert implicit.manifest.seed == settings.seed
    assert implicit.manifest.sampler == settings.sampler


@pytest.mark.parametrize("sampler", ["mc", "sobol"])
@pytest.mark.parametrize("path", [EXAMPLE, INVOICE], ids=lambda p: p.stem)
def test_chunking_does_not_change_results(sampler, path):
    # the invoice example's phased plan defers to its budget: its blocks are twice as
    # long (DEFERRING_CHUNK_FACTOR) as the other strategy's, 128 trials against 64 here
    scenario = load_scenario(path)
    whole = simulate(scenario, trials=TRIALS, seed=5, sampler=sampler)
    chunked = simulate(scenario, trials=TRIALS, seed=5, sampler=sampler, chunk_trials=64)
    for sa, sb in zip(whole.strategies, chunked.strategies, strict=True):
        # per-trial metrics: equal to rounding (BLAS may sum a block of another width in
        # another order: the last bit can move); the same chunking is bit for bit
        for name in METRIC_NAMES:
            np.testing.assert_allclose(getattr(sa.metrics, name), getattr(sb.metrics, name),
                                       rtol=1e-12, atol=1e-9, err_msg=f"{sa.name}: {name}")
        for name in FUNDING_FIELDS:
            np.testing.assert_allclose(getattr(sa.funding, name), getattr(sb.funding, name),
                                       rtol=1e-12, atol=1e-9, err_msg=f"{sa.name}: {name}")
        np.testing.assert_array_equal(sa.funding.breach, sb.funding.breach)
        np.testing.assert_allclose(sa.cumulative_cash.values, sb.cumulative_cash.values,
                                   rtol=1e-6, atol=1e-3)  # the float32 store
        # means over trials are sums in a different order: equal to rounding
        for mine, theirs in ((sa.mean_costs_by_category, sb.mean_costs_by_category),
                             (sa.mean_benefits_by_item, sb.mean_benefits_by_item)):
            assert list(mine) == list(theirs)
            for key in mine:
                np.testing.assert_allclose(mine[key], theirs[key], rtol=1e-12, atol=1e-9)


def test_a_deferring_strategy_runs_longer_blocks(monkeypatch):
    # the invoice example's phased plan defers to its budget: DEFERRING_CHUNK_FACTOR times
    # as many trials a block as its all-at-once plan (500 trials: 4 blocks of 128, 8 of 64)
    simulate_module = sys.modules["costmodel.simulate"]
    widths: dict[int, list[int]] = {}
    blocks = simulate_module._StrategyRun.blocks

    def counted(run, draws, chunk):
        tasks = blocks(run, draws, chunk)
        widths.setdefault(run.index, []).extend(task.args[1].stop - task.args[1].start
                                                for task in tasks)
        return tasks

    monkeypatch.setattr(simulate_module._StrategyRun, "blocks", counted)
    scenario = load_scenario(INVOICE)
    simulate(scenario, trials=TRIALS, seed=5, sampler="mc", chunk_trials=64)
    assert [defers(scenario, k) for k in range(2)] == [False, True]
    factor = simulate_module.DEFERRING_CHUNK_FACTOR
    assert factor > 1
    assert widths[0] == [64] * 7 + [TRIALS - 7 * 64]
    assert widths[1] == [64 * factor] * (TRIALS // (64 * factor)) + [TRIALS % (64 * factor)]


@pytest.mark.parametrize("sampler", ["mc", "sobol"])
def test_threads_do_not_change_results(sampler):
    # blocks run side by side on a thread pool; the per-label sums are merged in block
    # order, so one thread and three give the same bits
    scenario = load_scenario(EXAMPLE)
    serial = simulate(scenario, trials=TRIALS, seed=3, sampler=sampler, chunk_trials=64,
                      workers=1)
    threaded = simulate(scenario, trials=TRIALS, seed=3, sampler=sampler, chunk_trials=64,
                        workers=3)
    assert_results_identical(serial, threaded)


@pytest.mark.parametrize("sampler", ["mc", "lhs", "sobol"])
def test_segmented_rounds_give_every_strategy_the_same_draws(sampler, monkeypatch):
    # a round larger than SEGMENT_TRIALS is drawn in segments of whole replicates,
    # strategy after strategy, the draws made again for each from the round's seed: every
    # strategy's NPVs must equal the engine on those segments' draws, drawn once in order
    simulate_module = sys.modules["costmodel.simulate"]
    monkeypatch.setattr(simulate_module, "SEGMENT_TRIALS", 256)
    scenario = load_scenario(EXAMPLE)
    results = simulate(scenario, trials=1024, seed=8, sampler=sampler, chunk_trials=100)
    rng = np.random.default_rng(8)
    replicates = 1 if sampler == "mc" else 4  # 16 replicates of 64 trials, 4 a segment
    segments = [draw(scenario, 256, sampler=sampler, rng=rng, replicates=replicates)
                for _ in range(4)]
    rate = scenario.rate_monthly
    for k, strategy in enumerate(results.strategies):
        expected = []
        for draws in segments:
            costs, benefits = flows_on(scenario, k, draws)
            expected.append([npf.npv(rate, column) for column in (benefits - costs).T])
        np.testing.assert_allclose(strategy.metrics.npv, np.concatenate(expected),
                                   rtol=1e-9, atol=1e-6, err_msg=strategy.name)
        assert strategy.replicate_starts == ((0,) if sampler == "mc"
                                             else tuple(range(0, 1024, 64)))


def assert_per_trial_equal(strategy, parts):
    """Every per-trial output of ``strategy`` equals those of the same strategy in the
    results ``parts``, one after the other, bit for bit."""
    assert (strategy.gate is None) == (parts[0].gate is None)
    groups = [("metrics", METRIC_NAMES), ("funding", (*FUNDING_FIELDS, "breach"))]
    if strategy.gate is not None:
        groups.append(("gate", GATE_FIELDS))
    for group, names in groups:
        for name in names:
            expected = np.concatenate([getattr(getattr(part, group), name) for part in parts],
                                      axis=-1)
            np.testing.assert_array_equal(getattr(getattr(strategy, group), name), expected,
                                          err_msg=f"{group}.{name}")


@pytest.mark.parametrize(("path", "sampler"), [(EXAMPLE, "mc"), (EXAMPLE, "sobol"),
                                               (INVOICE, "mc")])
def test_segments_fill_the_rounds_outputs_in_place(path, sampler, monkeypatch):
    # a round's per-trial outputs are allocated once and filled segment by segment: each
    # segment's trials must land where the segment run on its own puts them (the same
    # blocks: 64 trials, 4 to a segment), for every output, gate and funding included
    monkeypatch.setattr(sys.modules["costmodel.simulate"], "SEGMENT_TRIALS", 256)
    scenario = load_scenario(path)
    results = simulate(scenario, trials=1024, seed=8, sampler=sampler, chunk_trials=64)
    rng = np.random.default_rng(8)
    replicates = 1 if sampler == "mc" else 4
    parts = [simulate_draws(scenario, draw(scenario, 256, sampler=sampler, rng=rng,
                                           replicates=replicates), chunk_trials=64)
             for _ in range(4)]
    for k, strategy in enumerate(results.strategies):
        assert_per_trial_equal(strategy, [part.strategies[k] for part in parts])


def test_precision_rounds_are_joined_in_order():
    # rounds of a precision run are kept apart and joined at the end: the first round's
    # trials from the seed, the second's from [seed, 1]
    scenario = load_scenario(EXAMPLE)
    results = simulate(scenario, trials=1000, seed=4, sampler="mc", precision=1500.0)
    assert "(2 round(s))" in results.manifest.note
    sizes = (1000, results.manifest.trials - 1000)
    parts = [simulate_draws(scenario, draw(scenario, n, sampler="mc",
                                           rng=np.random.default_rng(seed)))
             for n, seed in zip(sizes, (4, [4, 1]), strict=True)]
    for k, strategy in enumerate(results.strategies):
        assert_per_trial_equal(strategy, [part.strategies[k] for part in parts])


@pytest.mark.parametrize("sigmas", [bands.WINDOW_SIGMAS, 0.0], ids=["windows", "missed"])
def test_segmented_bands_equal_those_of_every_value_kept(sigmas, monkeypatch):
    # past the pilot a run keeps only windows of its cumulative cash; with windows too
    # narrow (0 standard errors) they miss, and the strategy runs again keeping every
    # value: either way the same bits as a run that keeps every value from the start
    monkeypatch.setattr(sys.modules["costmodel.simulate"], "SEGMENT_TRIALS", 256)
    scenario = load_scenario(EXAMPLE)
    monkeypatch.setattr(bands, "PILOT_TRIALS", 10**9)
    whole = simulate(scenario, trials=1024, seed=8, sampler="mc", chunk_trials=64)
    monkeypatch.setattr(bands, "PILOT_TRIALS", 256)
    monkeypatch.setattr(bands, "WINDOW_SIGMAS", sigmas)
    missed = []
    percentiles = bands.BandStore.percentiles

    def spy(store):
        found = percentiles(store)
        missed.append(found is None)
        return found

    monkeypatch.setattr(bands.BandStore, "percentiles", spy)
    windowed = simulate(scenario, trials=1024, seed=8, sampler="mc", chunk_trials=64)
    assert_results_identical(whole, windowed)
    assert any(missed) == (sigmas == 0.0)
    # and they are np.percentile of every trial's cumulative cash as float32
    rng = np.random.default_rng(8)
    segments = [draw(scenario, 256, sampler="mc", rng=rng) for _ in range(4)]
    for k, strategy in enumerate(windowed.strategies):
        cash = np.concatenate([np.cumsum(benefits - costs, axis=0) for costs, benefits
                               in (flows_on(scenario, k, d) for d in segments)], axis=1)
        expected = np.percentile(cash.astype(np.float32).astype(float), BAND_LEVELS, axis=1)
        np.testing.assert_allclose(strategy.cumulative_cash.values, expected, rtol=1e-6,
                                   atol=1e-3)


def test_without_gate_or_deferral_no_per_trial_arrays_are_kept_for_them():
    # a strategy without a gate has none; without the defer policy the deferral figures
    # are zero (one read-only zero, no memory per trial) and its NPV without deferral is
    # its NPV
    results = simulate(load_scenario(EXAMPLE), trials=300, seed=2, sampler="mc")
    plain = results["All at once"]
    assert plain.gate is None and results["Pilot, then two waves"].gate is not None
    for strategy in results.strategies:
        funding = strategy.funding
        assert not funding.defers
        for name in ("deferral_months", "phases_deferred"):
            values = getattr(funding, name)
            assert values.shape == (300,) and values.dtype == float and not values.any()
            assert values.strides == (0,) and not values.flags.writeable
        np.testing.assert_array_equal(funding.npv_without_deferral, strategy.metrics.npv)


# --- identities -----------------------------------------------------------------------------


def point_value(form: dict) -> float:
    """The point value of a distribution in its file form, from the methodology's table
    (``likely`` for three-point estimates, the median otherwise), computed with scipy."""
    (key, spec), = form.items()
    if key in ("pert", "triangular"):
        return spec[1]
    if key == "uniform":
        return (spec[0] + spec[1]) / 2
    if key == "range90":
        low, high = spec
        return math.sqrt(low * high) if low > 0 else (low + high) / 2
    if key == "normal":
        low, high = spec.get("low", -math.inf), spec.get("high", math.inf)
        a, b = (low - spec["mean"]) / spec["sd"], (high - spec["mean"]) / spec["sd"]
        return float(stats.truncnorm.median(a, b, loc=spec["mean"], scale=spec["sd"]))
    if key == "beta":
        low, high = spec.get("low", 0.0), spec.get("high", 1.0)
        return low + (high - low) * float(stats.beta.median(spec["alpha"], spec["beta"]))
    raise AssertionError(f"unknown form {key}")


FORMS = {"pert", "triangular", "uniform", "range90", "normal", "beta"}


def without_spread(data):
    """``data`` with every distribution replaced by its point value, no correlations, no
    risk event (probability 0) and gates measured exactly: the point run's assumptions."""
    if isinstance(data, dict) and "strategies" in data:
        data = copy.deepcopy(data)
        data.pop("correlations", None)
        for risk in data.get("risks", []):
            risk["probability_per_year"] = 0.0
        for strategy in data["strategies"]:
            if "gate" in strategy:
                strategy["gate"]["noise"] = 0.0
    if isinstance(data, dict):
        if len(data) == 1 and next(iter(data)) in FORMS:
            return point_value(data)
        return {k: without_spread(v) for k, v in data.items()}
    if isinstance(data, list):
        return [without_spread(v) for v in data]
    return data


def every_form_scenario():
    """The example with inputs in every distribution form the schema accepts."""
    data = load_scenario(EXAMPLE).to_data()
    data["organisation"]["users_per_unit"] = {"uniform": [1.0, 3.0]}
    data["costs"][0]["amount"] = {"normal": {"mean": 45.0, "sd": 8.0, "low": 40.0,
                                             "high": 70.0}}  # truncated: median != mean
    data["costs"][0]["basis"] = "per_user"
    data["costs"][1]["amount"] = {"triangular": [0.01, 0.015, 0.04]}
    data["costs"][3]["amount"] = {"range90": [300.0, 1_200.0]}
    data["costs"][5]["escalation"] = {"uniform": [0.0, 0.06]}
    data["adoption"]["ceiling"] = {"beta": {"alpha": 8.0, "beta": 2.0}}
    data["adoption"]["months_to_half"] = {"beta": {"alpha": 2.0, "beta": 3.0, "low": 1.0,
                                                   "high": 6.0}}
    data["benefits"][0]["value_per_item"] = {"normal": {"mean": 6.5, "sd": 1.5, "low": 0.0}}
    return parse_scenario(data)


@pytest.mark.parametrize("source", [*SCENARIOS, "every form"],
                         ids=lambda p: p if isinstance(p, str) else p.stem)
def test_zero_spread_equals_the_point_run(source):
    scenario = every_form_scenario() if source == "every form" else load_scenario(source)
    flat = parse_scenario(without_spread(scenario.to_data()))
    assert uncertain_inputs(flat) == []
    assert len(uncertain_inputs(scenario)) > 5
    point = simulate_point(scenario)
    assert point.manifest.point and point.manifest.trials == 1
    flat_run = simulate(flat, trials=16, seed=3)
    for sp, sf in zip(point.strategies, flat_run.strategies, strict=True):
        for name in METRIC_NAMES:
            expected = getattr(sp.metrics, name)
            assert expected.shape == (1,)
            got = getattr(sf.metrics, name)
            assert got.shape == (16,)
            np.testing.assert_allclose(got, np.repeat(expected, 16), rtol=1e-9, atol=1e-9,
                                       err_msg=f"{sp.name}: {name}")
        # every band level is the one path of cumulative cash (float32 store)
        path = sp.cumulative_cash.values
        assert (path == path[0]).all()
        np.testing.assert_allclose(sf.cumulative_cash.values, path, rtol=1e-6, atol=1e-3)


def test_one_phase_equals_all_at_once():
    data = load_scenario(EXAMPLE).to_data()
    data.pop("correlations")  # they name the example's strategies
    all_at_once = {"name": "All at once", "phases": [{"share": 1.0, "go_live": 4}],
                   "lead_time_months": 3,
                   "disruption": {"productivity_dip": 0.12, "months": 2}}
    # a "phased" plan with a single phase: learning has nothing to act on
    phased = {**all_at_once, "name": "Phased, one phase",
              "learning": {"adoption_speedup": {"pert": [0.5, 0.7, 0.9]},
                           "cost_learning_rate": {"pert": [0.7, 0.85, 0.95]}}}
    data["strategies"] = [all_at_once, phased]
    results = simulate(parse_scenario(data), trials=TRIALS, seed=8)
    a, b = results.strategies
    for name in METRIC_NAMES:
        np.testing.assert_allclose(getattr(b.metrics, name), getattr(a.metrics, name),
                                   rtol=1e-12, atol=1e-9, err_msg=name)
    np.testing.assert_allclose(b.cumulative_cash.values, a.cumulative_cash.values, rtol=1e-6)
    for key in a.mean_costs_by_category:
        np.testing.assert_allclose(b.mean_costs_by_category[key], a.mean_costs_by_category[key],
                                   rtol=1e-12, atol=1e-9)


# --- invariants in every trial --------------------------------------------------------------


def test_npv_roi_and_ratio_identities(run):
    for strategy in run.strategies:
        m = strategy.metrics
        scale = float(np.abs(m.pv_benefits).max() + np.abs(m.pv_costs).max())
        np.testing.assert_allclose(m.npv, m.pv_benefits - m.pv_costs, rtol=1e-12,
                                   atol=1e-12 * scale)
        np.testing.assert_allclose(m.roi, m.benefit_cost_ratio - 1.0, rtol=1e-12, atol=1e-12)
        assert (m.pv_costs > 0).all()


def test_payback_funding_and_cost_invariants(run):
    assert run.scenario.discount_rate > 0
    for strategy in run.strategies:
        m = strategy.metrics
        assert (m.discounted_payback_months >= m.payback_months).all()
        assert (m.peak_funding_need >= 0).all()
        assert (m.total_cost >= m.pv_costs).all()
        assert not np.isnan(m.payback_months).any()


def test_cumulative_cash_bands_are_ordered_and_the_median_is_right(run):
    scenario, manifest = run.scenario, run.manifest
    flows = engine_flows(scenario, manifest.trials, manifest.seed, manifest.sampler)
    for strategy, (costs, benefits) in zip(run.strategies, flows, strict=True):
        bands = strategy.cumulative_cash
        assert bands.levels.tolist() == list(BAND_LEVELS)
        assert bands.values.shape == (len(BAND_LEVELS), scenario.horizon_months)
        assert (np.diff(bands.values, axis=0) >= 0).all()  # P5 <= P10 <= ... <= P95
        net_sum = (benefits - costs).sum(axis=1)
        scale = float(np.abs(net_sum).max())
        assert bands.at(50)[-1] == pytest.approx(float(np.median(net_sum)), abs=1e-6 * scale)
        # every band at month 0 lies inside the trials' month-0 range
        month0 = benefits[:, 0] - costs[:, 0]
        assert bands.values[:, 0].min() >= month0.min() - 1e-6 * abs(month0.min())
        assert bands.values[:, 0].max() <= month0.max() + 1e-6 * abs(month0.max())


def test_summary_matches_the_trials(run):
    for strategy in run.strategies:
        m, s = strategy.metrics, strategy.summary
        assert s.prob_npv_positive == np.mean(m.npv > 0)
        assert s.prob_payback_within_horizon == np.mean(np.isfinite(m.payback_months))
        assert 0.0 < s.prob_npv_positive < 1.0
        for name in ("npv", "roi", "benefit_cost_ratio", "peak_funding_need", "total_cost",
                     "pv_costs", "pv_benefits"):
            values = getattr(m, name)
            assert np.isfinite(values).all(), name
            stat = getattr(s, name)
            expected = np.percentile(values, SUMMARY_LEVELS)
            got = [stat.p5, stat.p10, stat.p50, stat.p90, stat.p95]
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12, err_msg=name)
            assert stat.mean == pytest.approx(np.mean(values), rel=1e-12, abs=1e-12)
            assert stat.sd == pytest.approx(np.std(values, ddof=1), rel=1e-9)
            assert stat.n_defined == values.size
        # IRR: aggregated over the trials where it is defined
        irr = m.irr_annual
        defined = irr[~np.isnan(irr)]
        assert s.irr_annual.n_defined == defined.size > 0
        assert s.irr_annual.p50 == pytest.approx(np.percentile(defined, 50), rel=1e-12)


def test_mean_costs_by_category_add_up_to_the_mean_total_cost(run):
    scenario, manifest = run.scenario, run.manifest
    flows = engine_flows(scenario, manifest.trials, manifest.seed, manifest.sampler)
    for strategy, (costs, benefits) in zip(run.strategies, flows, strict=True):
        by_category = strategy.mean_costs_by_category
        assert all(v.shape == (scenario.horizon_months,) for v in by_category.values())
        total = sum(by_category.values())
        np.testing.assert_allclose(total, costs.mean(axis=0), rtol=1e-10)
        np.testing.assert_allclose(strategy.mean_costs, costs.mean(axis=0), rtol=1e-10)
        assert total.sum() == pytest.approx(strategy.metrics.total_cost.mean(), rel=1e-10)
        np.testing.assert_allclose(strategy.mean_benefits, benefits.mean(axis=0), rtol=1e-10,
                                   atol=1e-9)
        # the engine's flows are the ones the metrics were computed from: simulate runs the
        # engine with go-lives per trial, these flows come from trials grouped by schedule
        # (one go-live month per phase): the two paths agree to rounding
        np.testing.assert_allclose(strategy.metrics.total_cost, costs.sum(axis=1), rtol=1e-12)


# --- immutability ---------------------------------------------------------------------------


def test_results_are_immutable():
    results = simulate(load_scenario(EXAMPLE), trials=64, seed=1)
    strategy = results.strategies[0]
    arrays = [*strategy.metrics.as_dict().values(), strategy.cumulative_cash.values,
              strategy.cumulative_cash.levels, *strategy.mean_costs_by_category.values(),
              *strategy.mean_benefits_by_item.values()]
    for array in arrays:
        assert not array.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        strategy.metrics.npv[:] = 0.0
    for obj, attr in ((results, "manifest"), (results, "strategies"), (strategy, "name"),
                      (strategy, "metrics"), (strategy, "summary"), (strategy.metrics, "npv"),
                      (strategy.cumulative_cash, "values"), (results.manifest, "seed"),
                      (strategy.summary, "npv"), (strategy.summary.npv, "mean")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, attr, None)
    assert isinstance(results.strategies, tuple)


def test_result_mappings_are_immutable():
    strategy = simulate(load_scenario(EXAMPLE), trials=16, seed=1).strategies[0]
    for mapping in (strategy.mean_costs_by_category, strategy.mean_benefits_by_item):
        try:
            mapping["added"] = np.zeros(3)
        except TypeError:
            continue
        raise AssertionError("a result mapping accepted a new key")


# --- the manifest ---------------------------------------------------------------------------


def test_manifest_records_the_run():
    scenario = load_scenario(EXAMPLE)
    results = simulate(scenario, trials=200, seed=99, sampler="lhs")
    manifest = results.manifest
    assert (manifest.trials, manifest.trials_requested) == (200, 200)
    assert manifest.seed == 99
    assert manifest.sampler == "lhs"
    assert manifest.point is False
    assert manifest.scenario_hash == scenario.content_hash()
    assert manifest.scenario_name == scenario.name
    assert manifest.horizon_months == scenario.horizon_months
    assert manifest.package_version == metadata.version("costmodel")
    assert manifest.numpy_version == np.__version__
    assert manifest.note == ""
    assert results["All at once"].metrics.npv.shape == (200,)
    assert json.loads(json.dumps(manifest.to_json()))["seed"] == 99


@pytest.mark.parametrize(("requested", "expected"), [(300, 512), (1000, 1024), (3, 4)])
def test_sobol_rounds_up_to_a_power_of_two_and_says_so(requested, expected):
    results = simulate(load_scenario(EXAMPLE), trials=requested, seed=2, sampler="sobol")
    manifest = results.manifest
    assert manifest.trials == expected
    assert manifest.trials_requested == requested
    assert "rounded up" in manifest.note
    assert f"{expected:,}" in manifest.note
    for strategy in results.strategies:
        assert strategy.metrics.npv.shape == (expected,)


def test_sobol_power_of_two_is_not_rounded():
    results = simulate(load_scenario(EXAMPLE), trials=256, seed=2, sampler="sobol")
    assert results.manifest.trials == results.manifest.trials_requested == 256
    assert results.manifest.note == ""


def test_only_sobol_runs_import_scipy_stats():
    # scipy.stats is the largest import of a run (about 45 MiB resident); only the Sobol
    # sampler needs it (plain Monte Carlo and LHS use numpy, the inverse CDFs
    # scipy.special)
    code = ("import sys, costmodel; from pathlib import Path; "
            f"s = costmodel.load_scenario(Path({str(EXAMPLE)!r})); "
            "costmodel.simulate(s, trials=64, sampler='mc'); "
            "costmodel.simulate(s, trials=64, sampler='lhs'); "
            "print('scipy.stats' in sys.modules, end=' '); "
            "costmodel.simulate(s, trials=64, sampler='sobol'); "
            "print('scipy.stats' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT, timeout=120)
    assert done.stdout.split() == ["False", "True"]


def test_importing_costmodel_does_not_import_the_dashboard_stack():
    code = ("import json, sys, costmodel; "
            "print(json.dumps(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('streamlit', 'plotly'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT, timeout=120)
    assert json.loads(done.stdout) == []


# --- a known answer by construction ---------------------------------------------------------


def known_answer_scenario(cost, benefit, rate_annual, horizon, go_live, half):
    return parse_scenario({
        "name": "Known answer",
        "horizon_months": horizon,
        "discount_rate": rate_annual,
        "organisation": {"units": 5},
        "costs": [{"name": "Set-up", "category": "integration", "kind": "one_time",
                   "basis": "fixed", "amount": cost, "start_month": 0}],
        "benefits": [{"name": "Saving", "kind": "amount", "amount_per_month": benefit}],
        "adoption": {"ceiling": 1.0, "months_to_half": half, "data_quality": 1.0},
        "strategies": [{"name": "All", "phases": [{"share": 1.0, "go_live": go_live}],
                        "lead_time_months": 2}],
    })


@pytest.mark.parametrize(("cost", "benefit", "rate_annual", "horizon", "go_live", "half"), [
    (10_000.0, 1_500.0, 0.12, 24, 1, 2.0),
    (40_000.0, 2_000.0, 0.08, 36, 3, 4.0),
    (5_000.0, 300.0, 0.10, 12, 0, 3.0),  # never pays back within the horizon
])
def test_known_answer_npv_and_irr(cost, benefit, rate_annual, horizon, go_live, half):
    scenario = known_answer_scenario(cost, benefit, rate_annual, horizon, go_live, half)
    # Closed form from docs/methodology.md. Cost A at month 0 (start_month = 0, not
    # discounted); benefit V · a(m - g) with ceiling 1 and data quality 1, where
    # a(τ) = (Λ(τ) - Λ(0)) / (1 - Λ(0)), Λ(τ) = 1 / (1 + 81 · 81^(-τ/h)), Λ(0) = 1/82,
    # so a(0) = 0: nothing is earned in the go-live month itself.
    r = (1 + rate_annual) ** (1 / 12) - 1

    def adoption(tau):
        return (1 / (1 + 81 * 81 ** (-tau / half)) - 1 / 82) / (81 / 82) if tau >= 0 else 0.0

    flows = [benefit * adoption(m - go_live) - (cost if m == 0 else 0.0)
             for m in range(horizon)]
    expected_npv = -cost + sum(benefit * adoption(m - go_live) / (1 + r) ** m
                               for m in range(1, horizon))
    # numpy-financial's npv (t = 0 undiscounted) on the same flows agrees with the sum
    assert npf.npv(r, flows) == pytest.approx(expected_npv, rel=1e-12)
    # IRR: numpy-financial's root of the monthly flows, annualised
    expected_irr = (1 + npf.irr(flows)) ** 12 - 1
    cumulative = np.cumsum(flows)

    point = simulate_point(scenario)
    sampled = simulate(scenario, trials=8, seed=1)
    for results in (point, sampled):
        m = results.strategies[0].metrics
        np.testing.assert_allclose(m.npv, expected_npv, rtol=1e-10)
        np.testing.assert_allclose(m.pv_costs, cost, rtol=1e-14)
        np.testing.assert_allclose(m.total_cost, cost, rtol=1e-14)
        np.testing.assert_allclose(m.peak_funding_need, cost, rtol=1e-12)
        np.testing.assert_allclose(m.roi, expected_npv / cost, rtol=1e-10)
        if math.isnan(expected_irr):
            assert np.isnan(m.irr_annual).all()
        else:
            np.testing.assert_allclose(m.irr_annual, expected_irr, rtol=1e-8)
        if cumulative[-1] < 0:
            assert np.isinf(m.payback_months).all()
            assert (m.npv < 0).all()
        else:
            k = int(np.argmax(cumulative >= 0))
            expected_payback = (k - 1) + -cumulative[k - 1] / flows[k]
            np.testing.assert_allclose(m.payback_months, expected_payback, rtol=1e-10)


def test_known_answer_half_way_month():
    # h = 2 (q = 1/9): Λ(0..4) = 1/82, 1/10, 1/2, 9/10, 81/82, so with V = 810 the benefit
    # V (82 Λ(τ) - 1) / 81 = 10 (82 Λ(τ) - 1) is 0, 72, 400, 728, 800 from the go-live month
    scenario = known_answer_scenario(1_000.0, 810.0, 0.0, 8, 1, 2.0)
    benefits = simulate_point(scenario).strategies[0].mean_benefits
    tail = [10 * (82 / (1 + 81 * 9.0 ** -tau) - 1) for tau in (5, 6)]
    np.testing.assert_allclose(benefits, [0, 0, 72, 400, 728, 800, *tail], rtol=1e-12,
                               atol=1e-12)
    assert benefits[:2].tolist() == [0.0, 0.0]


def test_trials_outside_the_range_are_rejected():
    from costmodel.errors import ScenarioError

    scenario = load_scenario(EXAMPLE)
    for trials in (0, 1_000_001):
        with pytest.raises(ScenarioError, match="trial"):
            simulate(scenario, trials=trials, seed=1)


def test_scenario_is_not_modified_by_a_run():
    scenario = load_scenario(EXAMPLE)
    before = copy.deepcopy(scenario.to_data())
    simulate(scenario, trials=32, seed=1)
    assert scenario.to_data() == before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_blocks_reuse_freed_memory_instead_of_faulting_in_fresh_pages():
    # a count, not a time: once warm, a run's arrays come from memory the process already
    # has. Without costmodel._memory a 100k-trial run over 60 months faults in tens of
    # thousands of pages (each (months, trials) array of a block is ~1,000 pages), without
    # its top pad about 4,000 (the heap grown and trimmed back); with it, a few dozen,
    # now and then 500-1,500 (a worker thread's arena growing once; seen on the untouched
    # tree too), hence the median of five runs and a bound well under 4,000.
    code = (
        "import resource, costmodel\n"
        "from costmodel._memory import retain_freed_memory\n"
        "s = costmodel.load_scenario('scenarios/customer_service_assistant.toml')\n"
        "s = costmodel.parse_scenario({**s.to_data(), 'horizon_months': 60})\n"
        "costmodel.simulate(s, trials=100_000, seed=1, sampler='mc')\n"
        "faults = []\n"
        "for seed in (2, 3, 4, 5, 6):\n"
        "    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "    costmodel.simulate(s, trials=100_000, seed=seed, sampler='mc')\n"
        "    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)\n"
        "print(retain_freed_memory(), sorted(faults)[2])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[1],
                         capture_output=True, text=True, check=True).stdout.split()
    if out[0] != "True":
        pytest.skip("not glibc: mallopt unavailable")
    assert int(out[1]) < 2_000
