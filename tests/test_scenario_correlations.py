"""Correlations in a scenario: naming inputs, the achieved rank correlation of the draws,
and errors that name the field, the value and the fix."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from costmodel import load_scenario, parse_scenario
from costmodel.errors import ScenarioError
from costmodel.uncertainty import draw, replicate_count

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "customer_service_assistant.toml"


def example_data():
    return load_scenario(EXAMPLE).to_data()


@pytest.mark.parametrize("sampler", ["mc", "sobol"])
def test_the_draws_reach_the_target_rank_correlations(sampler):
    scenario = load_scenario(EXAMPLE)
    n = 2**17  # 131,072 >= 100,000
    draws = draw(scenario, n, sampler=sampler, rng=np.random.default_rng(2),
                 replicates=replicate_count(n, sampler))
    paths = {
        "adoption: ceiling": ("adoption", "ceiling"),
        "Tickets resolved without an agent: automation rate": ("benefits", 0,
                                                               "automation_rate"),
        "CRM and ticketing integration: amount": ("costs", 2, "amount"),
        "All at once: slip months": ("strategies", 0, "slip", "months"),
        "Pilot, then two waves: slip months": ("strategies", 1, "slip", "months"),
    }
    for pair in scenario.correlations:
        a, b = (np.asarray(draws[paths[name]]) for name in pair.between)
        rho = stats.spearmanr(a, b).statistic
        assert abs(rho - pair.rank) < 0.02, (pair.between, rho)
    # an input outside every pair stays uncorrelated with the correlated ones
    other = np.asarray(draws[("adoption", "data_quality")])
    assert abs(stats.spearmanr(other, draws[("adoption", "ceiling")]).statistic) < 0.02


def test_inputs_can_be_named_by_path_too():
    data = example_data()
    data["correlations"] = [{"between": ["costs[2].amount", "benefits[0].automation_rate"],
                             "rank": -0.3}]
    assert parse_scenario(data).correlations[0].rank == -0.3


def problems_of(data):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    return {p.path: p.message for p in info.value.problems}


def test_an_unknown_input_gets_a_suggestion():
    data = example_data()
    data["correlations"][0]["between"][0] = "adoption: celing"
    problems = problems_of(data)
    assert "did you mean 'adoption: ceiling'?" in problems["correlations[0].between[0]"]


def test_a_fixed_value_cannot_be_correlated():
    data = example_data()
    data["correlations"][0]["between"][1] = "Tickets resolved without an agent: value per item"
    problems = problems_of(data)
    assert "is not an uncertain input" in problems["correlations[0].between[1]"]


def test_self_and_duplicate_pairs_are_refused():
    data = example_data()
    data["correlations"].append({"between": ["adoption: ceiling", "adoption.ceiling"],
                                 "rank": 0.3})
    data["correlations"].append(copy.deepcopy(data["correlations"][0]))
    data["correlations"][-1]["between"].reverse()
    problems = problems_of(data)
    assert "cannot be correlated with itself" in problems["correlations[4].between"]
    assert "already correlated in correlations[0]" in problems["correlations[5].between"]


def test_an_inconsistent_set_names_its_pairs():
    data = example_data()
    data["correlations"] = [
        {"between": ["adoption: ceiling", "adoption: data quality"], "rank": 0.9},
        {"between": ["adoption: data quality", "adoption: months to half"], "rank": 0.9},
        {"between": ["adoption: ceiling", "adoption: months to half"], "rank": -0.9},
    ]
    message = problems_of(data)["correlations"]
    for name in ("'adoption: ceiling'", "'adoption: data quality'", "'adoption: months to half'",
                 "0.9", "-0.9", "cannot hold together"):
        assert name in message


@pytest.mark.parametrize("rank", [1.0, -1.5, 2])
def test_a_rank_must_lie_strictly_between_minus_one_and_one(rank):
    data = example_data()
    data["correlations"][0]["rank"] = rank
    assert "correlations[0].rank" in problems_of(data)
