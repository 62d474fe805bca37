"""Comparing scenarios: the differing assumptions, and the attribution of the difference
in expected NPV on cases whose answer is known by construction."""

from __future__ import annotations

import copy
import itertools
import json
import math
from pathlib import Path

import numpy as np
import numpy_financial as npf
import pytest

from costmodel import charts, cli, simulate
from costmodel.compare import CompareError, compare, differences
from costmodel.scenario import parse_scenario
from costmodel.store import load_scenario, save_scenario

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {"trials": 512, "seed": 11, "sampler": "sobol"}

# Costs pinned to months by start_month, so their present value is a closed form.
BASE = {
    "name": "Ours", "horizon_months": 24, "discount_rate": 0.12,
    "organisation": {"units": 10},
    "costs": [
        {"name": "Audit", "category": "compliance", "kind": "one_time",
         "amount": {"pert": [800, 1000, 1600]}, "start_month": 5},
        {"name": "Hosting", "category": "infrastructure", "kind": "monthly", "amount": 100,
         "start_month": 0},
    ],
    "benefits": [{"name": "Hours saved", "kind": "labour_hours",
                  "hours_per_unit_per_month": {"pert": [2, 4, 7]}, "hourly_cost": 40}],
    "adoption": {"ceiling": {"pert": [0.6, 0.8, 0.9]}},
    "strategies": [{"name": "All at once", "phases": [{"share": 1, "go_live": 2}]},
                   {"name": "Pilot", "phases": [{"share": 0.3, "go_live": 2},
                                                {"share": 0.7, "go_live": 8}]}],
}


def _monthly_rate(annual: float) -> float:
    return (1 + annual) ** (1 / 12) - 1


def _pv(flows: np.ndarray, annual: float) -> float:
    """Present value with month 0 undiscounted (numpy-financial's convention)."""
    return float(npf.npv(_monthly_rate(annual), flows))


def _other(**edits) -> dict:
    data = copy.deepcopy(BASE)
    data["name"] = "Theirs"
    for change in edits.values():
        change(data)
    return data


def test_additive_changes_get_their_own_closed_form_effect():
    # the audit's three-point estimate moves up by 500 (every draw moves by exactly 500:
    # PERT is a location-scale family) and hosting costs 60 more a month; both effects
    # are known in closed form and do not interact, so each change's share is its own
    # effect, and on common draws the difference has no sampling error.
    other = _other(audit=lambda d: d["costs"][0].update(amount={"pert": [1300, 1500, 2100]}),
                   hosting=lambda d: d["costs"][1].update(amount=160))
    result = compare([parse_scenario(BASE), parse_scenario(other)], **SETTINGS)
    audit = np.zeros(24)
    audit[5] = -500
    hosting = np.full(24, -60.0)
    for attribution in result.attributions:
        shares = {c.change: c.value for c in attribution.contributions}
        assert shares["costs[Audit].amount"] == pytest.approx(_pv(audit, 0.12), rel=1e-9)
        assert shares["costs[Hosting].amount"] == pytest.approx(_pv(hosting, 0.12), rel=1e-9)
        assert attribution.total == pytest.approx(_pv(audit + hosting, 0.12), rel=1e-9)
        assert math.fsum(shares.values()) == pytest.approx(attribution.total, rel=1e-12)
        assert attribution.common_draws and attribution.method == "shapley"
        assert attribution.total_se < 1e-6  # paired: the same shift in every trial
    assert [a.strategy for a in result.attributions] == ["All at once", "Pilot"]


def test_an_example_with_an_interaction_splits_it_evenly():
    # On a shipped example: add a pinned 10,000 cost in month 6 and raise the discount
    # rate from 10 % to 14 %. The cost's share is the average of its effect at the two
    # rates, -10,000 * (d(10 %) + d(14 %)) / 2 with d(r) the month-6 discount factor, the
    # closed form of the two-player Shapley value; the rest goes to the rate.
    base = load_scenario(ROOT / "scenarios" / "knowledge_assistant.toml")
    data = base.to_data()
    data["name"] = "With a second audit"
    data["description"] = "and a dearer cost of capital"
    data["discount_rate"] = 0.14
    data["costs"].insert(2, {"name": "Second audit", "category": "compliance",
                             "kind": "one_time", "amount": 10_000, "start_month": 6})
    other = parse_scenario(data)
    result = compare([base, other], **SETTINGS)
    changes = {c.path: c for c in result.differences[0]}
    assert changes["costs[Second audit]"].kind == "added"
    assert not changes["description"].attributed and not changes["name"].attributed
    expected = -10_000 * ((1 + _monthly_rate(0.10)) ** -6 + (1 + _monthly_rate(0.14)) ** -6) / 2
    for attribution in result.attributions:
        shares = {c.change: c.value for c in attribution.contributions}
        assert set(shares) == {"discount_rate", "costs[Second audit]"}
        assert shares["costs[Second audit]"] == pytest.approx(expected, rel=1e-9)
        assert math.fsum(shares.values()) == pytest.approx(attribution.total, rel=1e-12,
                                                           abs=1e-6)
        assert attribution.common_draws
        direct = (simulate(other, **SETTINGS)[attribution.strategy].summary.npv.mean
                  - simulate(base, **SETTINGS)[attribution.strategy].summary.npv.mean)
        assert attribution.total == pytest.approx(direct, rel=1e-12)


def _switched(data: dict, subset: set[str]) -> dict:
    """The base with the named changes switched, built here independently of compare."""
    data = copy.deepcopy(data)
    if "rate" in subset:
        data["discount_rate"] = 0.08
    if "ceiling" in subset:
        data["adoption"]["ceiling"] = {"pert": [0.7, 0.9, 0.95]}
    if "hours" in subset:
        data["benefits"][0]["hours_per_unit_per_month"] = {"pert": [3, 5, 8]}
    return data


def test_the_average_over_orders_matches_a_brute_force_over_permutations():
    players = ["rate", "ceiling", "hours"]
    value = {}
    for n in range(4):
        for subset in itertools.combinations(players, n):
            results = simulate(parse_scenario(_switched(BASE, set(subset))), **SETTINGS)
            value[frozenset(subset)] = results["Pilot"].summary.npv.mean
    brute = dict.fromkeys(players, 0.0)
    orders = list(itertools.permutations(players))
    for order in orders:
        done: set[str] = set()
        for player in order:
            brute[player] += (value[frozenset(done | {player})] - value[frozenset(done)]) \
                / len(orders)
            done.add(player)
    other = parse_scenario({**_switched(BASE, set(players)), "name": "Theirs"})
    result = compare([parse_scenario(BASE), other], **SETTINGS)
    pilot = next(a for a in result.attributions if a.strategy == "Pilot")
    labels = {"discount_rate": "rate", "adoption.ceiling": "ceiling",
              "benefits[Hours saved].hours_per_unit_per_month": "hours"}
    got = {labels[c.change]: c.value for c in pilot.contributions}
    assert got == pytest.approx(brute, rel=1e-9)
    assert pilot.runs == 8


def test_many_changes_are_switched_in_file_order_and_still_add_up():
    other = parse_scenario({**_switched(BASE, {"rate", "ceiling", "hours"}), "name": "T"})
    result = compare([parse_scenario(BASE), other], max_exact=2, **SETTINGS)
    for attribution in result.attributions:
        assert attribution.method == "sequential" and attribution.runs == 4
        assert "order listed" in attribution.note
        first = attribution.contributions[0]
        assert first.change == "discount_rate"  # file order: the rate comes first
        alone = simulate(parse_scenario(_switched(BASE, {"rate"})), **SETTINGS)
        before = simulate(parse_scenario(BASE), **SETTINGS)
        assert first.value == pytest.approx(
            alone[attribution.strategy].summary.npv.mean
            - before[attribution.strategy].summary.npv.mean, rel=1e-12)
        assert math.fsum(c.value for c in attribution.contributions) == pytest.approx(
            attribution.total, rel=1e-12)


def test_a_change_of_which_inputs_are_uncertain_is_flagged_and_still_adds_up():
    other = _other(fix=lambda d: d["costs"][0].update(amount=1000),
                   rate=lambda d: d.update(discount_rate=0.2))
    result = compare([parse_scenario(BASE), parse_scenario(other)], **SETTINGS)
    for attribution in result.attributions:
        assert not attribution.common_draws and "sampling noise" in attribution.note
        assert math.fsum(c.value for c in attribution.contributions) == pytest.approx(
            attribution.total, rel=1e-12)


def test_differences_match_items_by_name_and_skip_equal_defaults():
    other = _other(
        reorder=lambda d: d["costs"].reverse(),
        explicit=lambda d: d["adoption"].update(data_quality=1.0),  # the default
        remove=lambda d: d["strategies"].pop(1),
        add=lambda d: d["strategies"].append({"name": "Big bang", "phases": [
            {"share": 1, "go_live": 1}]}),
        note=lambda d: d["costs"][0].update(note="checked"),
        trials=lambda d: d.update(simulation={"trials": 999}),
    )
    found = {c.path: c for c in differences(parse_scenario(BASE), parse_scenario(other))}
    assert set(found) == {"name", "costs[Hosting].note", "strategies[Pilot]",
                          "strategies[Big bang]", "simulation.trials"}
    assert (found["strategies[Pilot]"].kind, found["strategies[Big bang]"].kind) == (
        "removed", "added")
    assert not found["costs[Hosting].note"].attributed
    assert not found["simulation.trials"].attributed


def test_the_results_use_one_setting_and_the_json_is_complete():
    other = parse_scenario(_other(rate=lambda d: d.update(discount_rate=0.05)))
    result = compare([parse_scenario(BASE), other, parse_scenario(BASE)], **SETTINGS)
    assert {r.manifest.seed for r in result.results} == {11}
    assert len(result.attributions) == 4  # two strategies, against two other scenarios
    data = json.loads(json.dumps(result.to_json(), allow_nan=False))
    assert [d["other"] for d in data["differences"]] == ["Theirs", "Ours"]
    assert data["differences"][1]["changes"] == []


def test_fewer_than_two_scenarios_is_an_error():
    with pytest.raises(CompareError, match="at least two"):
        compare([parse_scenario(BASE)])


# --- the command --------------------------------------------------------------------------


def test_cli_compare_json_adds_up(tmp_path, capsys):
    a, b = tmp_path / "ours.toml", tmp_path / "theirs.json"
    save_scenario(parse_scenario(BASE), a)
    save_scenario(parse_scenario(_other(rate=lambda d: d.update(discount_rate=0.2))), b)
    code = cli.main(["compare", str(a), str(b), "--json", "--trials", "256", "--seed", "3",
                     "--sampler", "lhs"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["settings"] == {"trials": 256, "seed": 3, "sampler": "lhs"}
    for attribution in data["attributions"]:
        assert math.fsum(c["value"] for c in attribution["contributions"]) == pytest.approx(
            attribution["total"], rel=1e-12)
    assert cli.main(["compare", str(a), str(b), "--trials", "256"]) == 0
    text = capsys.readouterr().out
    assert "Where the difference in expected NPV comes from" in text
    assert "discount_rate" in text


@pytest.mark.parametrize(("arguments", "message"), [
    (["one.toml"], "at least two"),
    (["one.toml", "missing.toml"], "no such file"),
    (["one.toml", "one.toml", "--trials", "0"], "--trials 0"),
    (["one.toml", "one.toml", "--max-exact", "40"], "--max-exact 40"),
])
def test_cli_compare_bad_input_exits_2(tmp_path, capsys, monkeypatch, arguments, message):
    monkeypatch.chdir(tmp_path)
    save_scenario(parse_scenario(BASE), tmp_path / "one.toml")
    assert cli.main(["compare", *arguments]) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error


# --- charts -------------------------------------------------------------------------------


def test_the_comparison_charts_follow_the_house_style_and_escape_names():
    other = parse_scenario(_other(
        rate=lambda d: d.update(discount_rate=0.2, name="<b>Vendor</b> & co"),
        hosting=lambda d: d["costs"][1].update(amount=160)))
    result = compare([parse_scenario(BASE), other], **SETTINGS)
    attribution = result.attributions[0]
    figures = {"npv": charts.compare_npv(result, "All at once"),
               "fan": charts.compare_cash_fan(result, "All at once"),
               "waterfall": charts.attribution_waterfall(result, attribution)}
    for figure in figures.values():
        notes = [a.text for a in figure.layout.annotations if a.text.startswith("Source:")]
        assert notes and "512 trials (sobol), seed 11" in notes[0]
        assert "<b>Vendor</b>" not in figure.to_json()  # the user's text, escaped
    waterfall = figures["waterfall"].data[0]
    assert list(waterfall.measure) == ["absolute", "relative", "relative", "total"]
    assert list(waterfall.y) == [attribution.base_npv,
                                 *(c.value for c in attribution.contributions),
                                 attribution.other_npv]
    assert waterfall.x[-1] == "&lt;b&gt;Vendor&lt;/b&gt; &amp; co"
    npv_traces = [t for t in figures["npv"].data if t.type == "scatter"]
    assert [t.line.color for t in npv_traces] == list(charts.PALETTE[:2])
    medians = [t for t in figures["fan"].data if t.showlegend is not False]
    assert len(medians) == 2 and medians[0].y[-1] == pytest.approx(
        result.results[0]["All at once"].cumulative_cash.at(50)[-1])


def test_scenarios_that_cannot_be_mixed_are_compared_without_a_split():
    # two unrelated examples: no mix of their changes is a valid scenario (the first's lease
    # names a cost the second lacks), so the difference is one contribution, with a note
    base = load_scenario(ROOT / "scenarios" / "customer_service_assistant.toml")
    other = load_scenario(ROOT / "scenarios" / "knowledge_assistant.toml")
    result = compare([base, other], trials=256, seed=2, sampler="mc")
    for attribution in result.attributions:
        assert [c.change for c in attribution.contributions] == ["all the changes together"]
        assert attribution.contributions[0].value == pytest.approx(
            attribution.other_npv - attribution.base_npv, rel=1e-12)
        assert "not a valid scenario" in attribution.note
