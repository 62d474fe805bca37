"""Charts: one house style, a colour per strategy kept everywhere, user text escaped,
figures that follow the results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import costmodel
from costmodel import charts

EXAMPLE = Path(__file__).parents[1] / "scenarios" / "customer_service_assistant.toml"


@pytest.fixture(scope="module")
def results():
    return costmodel.simulate(costmodel.load_scenario(EXAMPLE), trials=1_024, seed=5)


def _run_charts(results):
    return [charts.cash_fan(results), charts.npv_distribution(results),
            charts.payback_curve(results), charts.npv_difference(results,
                                                                 results.comparisons()[0])]


def test_every_chart_has_a_title_and_a_source_note_with_the_run(results):
    for figure in [*_run_charts(results), charts.monthly_flows(results, results.names[0])]:
        assert figure.layout.title.text
        notes = [a.text for a in figure.layout.annotations if a.text.startswith("Source:")]
        assert len(notes) == 1
        assert "1,024 trials (sobol), seed 5" in notes[0]
        assert results.scenario.name in notes[0]


def test_a_strategy_has_one_colour_across_charts(results):
    expected = charts.strategy_colours(results.names)
    for figure in _run_charts(results)[:3]:
        for trace in figure.data:
            for name in results.names:
                if trace.name and trace.name.startswith(name):
                    colour = (trace.line.color if trace.type == "scatter"
                              else trace.marker.color)
                    assert colour == expected[name]


def test_the_fan_bands_enclose_the_median(results):
    figure = charts.cash_fan(results)
    median = [t for t in figure.data if t.name and t.name.endswith("median")]
    assert len(median) == len(results.names)
    for trace, strategy in zip(median, results.strategies, strict=True):
        np.testing.assert_allclose(trace.y, strategy.cumulative_cash.at(50))
        assert np.all(strategy.cumulative_cash.at(5) <= trace.y)
        assert np.all(trace.y <= strategy.cumulative_cash.at(95))


def test_npv_bars_are_shares_of_all_trials(results):
    bars = [t for t in charts.npv_distribution(results).data if t.type == "bar"]
    for trace in bars:
        assert 0.9 < float(np.sum(trace.y)) <= 1.0  # the 0.5 % tails fall outside the bins


def test_paired_difference_bars_count_every_trial_between_the_tails(results):
    comparison = results.comparisons()[0]
    bars = charts.npv_difference(results, comparison).data
    counted = sum(float(np.sum(t.y)) for t in bars)
    assert 0.95 * comparison.delta_npv.size <= counted <= comparison.delta_npv.size


def test_user_text_is_escaped(results):
    data = results.scenario.to_data()
    data["name"] = "<img src=x onerror=alert(1)>"
    data["strategies"][0]["name"] = "<b>All</b>"
    data["correlations"] = []
    run = costmodel.simulate(costmodel.parse_scenario(data), trials=256, seed=1)
    for figure in _run_charts(run):
        text = figure.to_json()
        assert "<img" not in text and "<b>All" not in text
        assert "&lt;img" in text


@pytest.mark.parametrize("value", [45.0, {"pert": [300, 450, 700]}, {"range90": [3_000, 6_000]}])
def test_the_distribution_preview_covers_the_value(value):
    figure = charts.distribution_preview(value, label="amount", unit="USD")
    xs = np.concatenate([np.asarray(t.x, dtype=float) for t in figure.data])
    if isinstance(value, float):
        assert np.all(xs == value)
    else:
        numbers = next(iter(value.values()))
        assert xs.min() <= numbers[0] * 1.05 and xs.max() >= numbers[-1] * 0.95


def test_an_invalid_preview_value_raises_a_value_error():
    with pytest.raises(ValueError, match="pert"):
        charts.distribution_preview({"pert": [5, 1]})
