"""The verdict sentence and the derived figures: directions, identities, wording."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import costmodel
from costmodel.verdict import cards, money, npv_change, odds, paid_back_share, verdict

EXAMPLE = Path(__file__).parents[1] / "scenarios" / "customer_service_assistant.toml"


@pytest.fixture(scope="module")
def results():
    return costmodel.simulate(costmodel.load_scenario(EXAMPLE), trials=1_024, seed=3)


def _scenario(pilot_benefit: float) -> costmodel.Scenario:
    """Two strategies on one plain benefit; the phased one goes live much later."""
    return costmodel.parse_scenario({
        "name": "Known answer", "organisation": {"units": 10},
        "costs": [{"name": "Set-up", "category": "integration", "kind": "one_time",
                   "amount": {"pert": [8_000, 10_000, 14_000]}}],
        "benefits": [{"name": "Saving", "kind": "amount",
                      "amount_per_month": {"pert": [0.5 * pilot_benefit, pilot_benefit,
                                                    1.5 * pilot_benefit]}}],
        "strategies": [{"name": "Early", "phases": [{"share": 1, "go_live": 1}]},
                       {"name": "Late", "phases": [{"share": 0.5, "go_live": 6},
                                                   {"share": 0.5, "go_live": 18}]}]})


def test_the_verdict_names_the_strategy_that_wins_on_the_same_draws():
    results = costmodel.simulate(_scenario(1_500), trials=1_024, seed=1)
    text = verdict(results)
    assert text.startswith("Early beats Late in")
    assert results.compare("Early", "Late").prob_a_beats_b > 0.5
    assert "peak cash" in text and text.endswith(".")


def test_the_verdict_says_when_the_leader_on_average_loses_most_head_to_heads(results):
    leader = max(cards(results), key=lambda c: c.npv_mean).strategy
    other = next(n for n in results.names if n != leader)
    wins = results.compare(leader, other).prob_a_beats_b
    text = verdict(results)
    assert text.startswith(leader)
    assert ("comes out ahead" in text) == (wins < 0.5)


def test_a_single_strategy_gets_its_own_sentence():
    data = _scenario(1_500).to_data()
    data["strategies"] = data["strategies"][:1]
    text = verdict(costmodel.simulate(costmodel.parse_scenario(data), trials=256, seed=1))
    assert text.startswith("Early has an expected NPV of $")


def test_cards_agree_with_the_summaries(results):
    for card, strategy in zip(cards(results), results.strategies, strict=True):
        s = strategy.summary
        assert card.npv_p10 <= card.npv_mean <= card.npv_p90 or card.npv_mean == s.npv.mean
        assert card.prob_npv_positive == s.prob_npv_positive
        assert card.payback_p10 <= card.payback_p50 <= card.payback_p90
        # the business view: peak cash after financing, the budget's breach probability
        assert card.peak_cash_mean == s.funding.peak_cash_need.mean
        assert card.prob_budget_breach == s.funding.prob_budget_breach
        assert (card.prob_budget_breach is None) == (results.scenario.funding.budget is None)


def test_the_paid_back_share_rises_to_the_share_paid_back_within_the_horizon(results):
    horizon = results.scenario.horizon_months
    for strategy in results.strategies:
        share = paid_back_share(strategy, horizon)
        assert share.shape == (horizon,)
        assert np.all(np.diff(share) >= 0)
        assert share[-1] == pytest.approx(strategy.summary.prob_payback_within_horizon)


def test_npv_change_against_the_same_run_is_zero(results):
    assert npv_change(results, results) == {name: 0.0 for name in results.names}


@pytest.mark.parametrize(("value", "text"), [
    (0.25, "1 case in 4"), (0.1, "1 case in 10"), (0.3, "3 cases in 10"),
    (0.0, "no case"), (0.0004, "fewer than 1 case in 1,000"), (0.97, "almost every case")])
def test_odds_in_words(value, text):
    assert odds(value) == text


def test_money_formats_with_the_currency_and_separators():
    assert money(1_234_567, "USD") == "$1,234,567"
    assert money(-42_300, "EUR", compact=True) == "−€42k"
    assert money(950, "CHF") == "CHF 950"
    assert money(math.inf, "USD") == "n/a"
