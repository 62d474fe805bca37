"""Bad scenarios give one clear problem each: the field path, the value and the fix.

Every case starts from the small valid scenario ``BASE`` below, applies one mutation and
checks the :class:`~costmodel.errors.ScenarioError` that :func:`parse_scenario` raises:
how many problems, where (``Problem.path``), and what the message says (the offending
value and a distinctive piece of the fix). File-level errors (malformed TOML/JSON, missing
files, wrong suffixes) go through :mod:`costmodel.store`.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from costmodel.errors import ScenarioError, ScenarioFileError
from costmodel.scenario import parse_scenario
from costmodel.store import load_scenario, loads_scenario

# --- the valid base scenario and mutations of it --------------------------------------------

BASE: dict[str, Any] = {
    "name": "Base case",
    "horizon_months": 24,
    "discount_rate": 0.1,
    "organisation": {"units": 10, "unit_label": "clerk", "monthly_cost_per_unit": 4_800},
    "adoption": {"ceiling": {"pert": [0.6, 0.8, 0.9]}},
    "costs": [
        {"name": "Seat licence", "category": "licensing", "kind": "monthly",
         "basis": "per_unit", "amount": 40, "escalation": 0.05},
        {"name": "Integration", "category": "integration", "kind": "one_time",
         "amount": {"pert": [5_000, 8_000, 20_000]}},
        {"name": "Pages processed", "category": "infrastructure", "kind": "monthly",
         "basis": "per_usage", "amount": 0.08, "usage_per_unit": 500},
    ],
    "benefits": [
        {"name": "Invoices posted", "kind": "volume", "items_per_month": 2_000,
         "automation_rate": 0.6, "value_per_item": 4},
        {"name": "Hours saved", "kind": "labour_hours", "hours_per_unit_per_month": 8,
         "hourly_cost": 30},
    ],
    "strategies": [
        {"name": "All at once", "phases": [{"share": 1.0, "go_live": 3}],
         "disruption": {"productivity_dip": 0.1, "months": 2}},
        {"name": "Pilot first",
         "phases": [{"share": 0.25, "go_live": 2}, {"share": 0.75, "go_live": 6}]},
    ],
}

Mutation = Callable[[dict[str, Any]], None]


def _keys(path: str) -> list[str | int]:
    """``"costs[0].amount"`` -> ``["costs", 0, "amount"]``."""
    out: list[str | int] = []
    for part in path.split("."):
        name, *indices = re.split(r"\[(\d+)\]", part)
        if name:
            out.append(name)
        out += [int(i) for i in indices if i]
    return out


def _parent(data: dict[str, Any], path: str) -> tuple[Any, str | int]:
    *head, last = _keys(path)
    for key in head:
        data = data[key]
    return data, last


def set_(path: str, value: Any) -> Mutation:
    """Set the value at ``path`` (creating the key when missing)."""

    def mutate(data: dict[str, Any]) -> None:
        parent, last = _parent(data, path)
        parent[last] = value

    return mutate


def drop(path: str) -> Mutation:
    """Remove the key at ``path``."""

    def mutate(data: dict[str, Any]) -> None:
        parent, last = _parent(data, path)
        del parent[last]

    return mutate


def rename(path: str, new_key: str) -> Mutation:
    """Move the value at ``path`` to ``new_key`` in the same table (a misspelt key)."""

    def mutate(data: dict[str, Any]) -> None:
        parent, last = _parent(data, path)
        parent[new_key] = parent.pop(last)

    return mutate


def phases(*pairs: tuple[float, int]) -> list[dict[str, Any]]:
    """``phases((0.25, 2), (0.75, 6))`` -> a phases list."""
    return [{"share": share, "go_live": go_live} for share, go_live in pairs]


def mutated(mutation: Mutation) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    mutation(data)
    return data


def problems_of(data: Any) -> tuple:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    assert not isinstance(info.value, ScenarioFileError)
    return info.value.problems


# --- one mutation, one problem -------------------------------------------------------------

_MISSING = object()


@dataclass(frozen=True)
class Case:
    """One bad scenario: the mutation and what the problem must say."""

    id: str
    mutation: Mutation
    path: str
    says: tuple[str, ...]
    count: int = 1
    value: Any = _MISSING  # the Problem's value, when the message cannot show it
    marks: tuple = field(default=())


PERT_AMOUNT = "costs[1].amount"
SHARE = "benefits[0].automation_rate"

CASES = [
    # keys
    Case("unknown top-level key", set_("budget", 50_000), "budget",
         ("unknown key 'budget'", "remove it or check the spelling")),
    Case("misspelt top-level key", set_("discount_rat", 0.1), "discount_rat",
         ("'discount_rat'", "did you mean 'discount_rate'?")),
    Case("misspelt key in a cost", rename("costs[0].amount", "amout"), "costs[0].amout",
         ("unknown key 'amout'", "did you mean 'amount'?"), count=2),
    Case("misspelt key in a phase", rename("strategies[0].phases[0].go_live", "golive"),
         "strategies[0].phases[0].golive", ("'golive'", "did you mean 'go_live'?"), count=2),
    Case("misspelt key in the organisation", set_("organisation.unit", "clerk"),
         "organisation.unit", ("'unit'", "did you mean 'units'?")),
    Case("missing cost amount", drop("costs[0].amount"), "costs[0].amount",
         ("'amount'", "missing", "add it")),
    Case("missing benefit field", drop("benefits[0].automation_rate"),
         "benefits[0].automation_rate", ("'automation_rate'", "missing", "add it")),
    Case("missing organisation", drop("organisation"), "organisation",
         ("'organisation'", "missing", "add it")),
    Case("missing strategies", drop("strategies"), "strategies",
         ("'strategies'", "missing", "add it")),
    # wrong types
    Case("text for an amount", set_("costs[0].amount", "40"), "costs[0].amount",
         ("the text '40'", "write numbers without quotes")),
    Case("text for a whole number", set_("horizon_months", "36"), "horizon_months",
         ("'36'", "whole number", "without quotes")),
    Case("text for a phase share", set_("strategies[0].phases[0].share", "1"),
         "strategies[0].phases[0].share", ("'1'", "expected a number", "without quotes")),
    Case("number for the name", set_("name", 42), "name",
         ("got 42", "expected text", "put it in quotes")),
    Case("list for a table", set_("organisation", [10, "clerk"]), "organisation",
         ("[10, 'clerk']", "expected a table")),
    Case("table for a list", set_("strategies[0].phases", {"share": 1.0, "go_live": 3}),
         "strategies[0].phases", ("{'share': 1.0, 'go_live': 3}", "expected a list")),
    Case("text for a cost table", set_("costs[0]", "licence"), "costs[0]",
         ("'licence'", "expected a table")),
    Case("decimal for a whole number", set_("strategies[0].phases[0].go_live", 3.5),
         "strategies[0].phases[0].go_live", ("3.5", "whole number", "without quotes or decimals")),
    Case("TOML date for a month", set_("costs[1].start_month", dt.date(2026, 1, 1)),
         "costs[1].start_month", ("datetime.date(2026, 1, 1)", "whole number")),
    Case("bool for an amount", set_("costs[0].amount", True), "costs[0].amount",
         ("got true", "expected a number, or one of {pert = [low, likely, high]}")),
    Case("bool for a whole number", set_("organisation.units", True), "organisation.units",
         ("True", "whole number")),
    Case("bool for the discount rate", set_("discount_rate", False), "discount_rate",
         ("False", "expected a number")),
    # non-finite numbers
    Case("NaN amount", set_("costs[0].amount", math.nan), "costs[0].amount",
         ("nan", "not a finite number", "give a finite value")),
    Case("inf amount", set_("costs[0].amount", math.inf), "costs[0].amount",
         ("inf", "not a finite number", "give a finite value")),
    Case("NaN discount rate", set_("discount_rate", math.nan), "discount_rate",
         ("nan", "not a finite number", "e.g. 0.1")),
    Case("NaN inside a pert", set_(PERT_AMOUNT, {"pert": [5_000, math.nan, 20_000]}),
         PERT_AMOUNT, ("nan", "not a finite number")),
    # distributions
    Case("pert low above high", set_(PERT_AMOUNT, {"pert": [20_000, 8_000, 5_000]}),
         PERT_AMOUNT, ("low 20,000", "high 5,000", "swap them")),
    Case("pert likely outside low-high", set_(PERT_AMOUNT, {"pert": [5_000, 25_000, 20_000]}),
         PERT_AMOUNT, ("likely 25,000", "must lie between low and high")),
    Case("pert with two numbers", set_(PERT_AMOUNT, {"pert": [5_000, 20_000]}), PERT_AMOUNT,
         ("[5000, 20000]", "3 numbers", "write {pert = [low, likely, high]}")),
    Case("pert with text inside", set_(PERT_AMOUNT, {"pert": ["5000", 8_000, 20_000]}),
         PERT_AMOUNT, ("'5000'", "needs numbers")),
    Case("unknown distribution", set_(PERT_AMOUNT, {"perty": [5_000, 8_000, 20_000]}),
         PERT_AMOUNT, ("'perty'", "did you mean 'pert'?")),
    Case("two distributions in one value",
         set_(PERT_AMOUNT, {"pert": [1, 2, 3], "uniform": [1, 3]}), PERT_AMOUNT,
         ("{'pert': [1, 2, 3], 'uniform': [1, 3]}", "expected a number, or one of")),
    Case("empty table for an amount", set_(PERT_AMOUNT, {}), PERT_AMOUNT,
         ("got {}", "{range90 = [low, high]}")),
    Case("triangular low above high", set_(PERT_AMOUNT, {"triangular": [9_000, 8_000, 5_000]}),
         PERT_AMOUNT, ("triangular low 9,000", "high 5,000", "swap them")),
    Case("uniform low above high", set_(PERT_AMOUNT, {"uniform": [20_000, 5_000]}),
         PERT_AMOUNT, ("uniform low 20,000", "high 5,000", "swap them")),
    Case("range90 low above high", set_(PERT_AMOUNT, {"range90": [20_000, 5_000]}),
         PERT_AMOUNT, ("range90 low 20,000", "high 5,000", "swap them")),
    Case("normal with negative sd",
         set_(PERT_AMOUNT, {"normal": {"mean": 8_000, "sd": -500, "low": 0}}), PERT_AMOUNT,
         ("sd -500", "give a positive sd")),
    Case("normal with an unknown key",
         set_(PERT_AMOUNT, {"normal": {"mean": 8_000, "sd": 500, "lo": 0}}), PERT_AMOUNT,
         ("['lo']", "allowed: mean, sd, low, high")),
    Case("normal bounds holding nothing",
         set_(PERT_AMOUNT, {"normal": {"mean": 8_000, "sd": 10, "low": 0, "high": 100}}),
         PERT_AMOUNT, ("mean 8,000", "widen them")),
    Case("normal amount without bounds",
         set_(PERT_AMOUNT, {"normal": {"mean": 8_000, "sd": 3_000}}), PERT_AMOUNT,
         ("Normal(mean 8,000, sd 3,000)", "can fall below 0", "add bounds, e.g. low = 0")),
    Case("normal share without bounds", set_(SHARE, {"normal": {"mean": 0.6, "sd": 0.1}}),
         SHARE, ("Normal(mean 0.6, sd 0.1)", "a share", "add bounds, e.g. low = 0")),
    Case("normal share without high bound",
         set_(SHARE, {"normal": {"mean": 0.6, "sd": 0.1, "low": 0}}), SHARE,
         ("Normal(mean 0.6, sd 0.1", "can rise above 1", "add high = 1")),
    Case("beta alpha zero", set_(SHARE, {"beta": {"alpha": 0, "beta": 2}}), SHARE,
         ("alpha 0", "must be above 0")),
    Case("beta negative beta", set_(SHARE, {"beta": {"alpha": 2, "beta": -1}}), SHARE,
         ("beta -1", "must be above 0")),
    Case("beta low above high",
         set_(SHARE, {"beta": {"alpha": 2, "beta": 2, "low": 0.5, "high": 0.2}}), SHARE,
         ("low 0.5", "below high 0.2")),
    # bounds and signs
    Case("negative amount", set_("costs[0].amount", -40), "costs[0].amount",
         ("-40", "an amount must be at least 0")),
    Case("negative pert low on an amount", set_(PERT_AMOUNT, {"pert": [-1_000, 8_000, 20_000]}),
         PERT_AMOUNT, ("PERT(-1,000, 8,000, 20,000)", "-1,000", "at least 0")),
    Case("negative users per unit", set_("organisation.users_per_unit", -1),
         "organisation.users_per_unit", ("-1", "a count must be at least 0")),
    Case("growth below -50 %", set_("benefits[0].growth", -0.9), "benefits[0].growth",
         ("-0.9", "at least -0.5")),
    Case("zero months to half", set_("adoption", {"months_to_half": 0}), "adoption.months_to_half",
         ("0", "a duration must be above 0")),
    Case("zero adoption speed-up", set_("strategies[1].learning", {"adoption_speedup": 0}),
         "strategies[1].learning.adoption_speedup", ("0", "must be above 0")),
    # rates and shares written as percentages
    Case("discount rate in percent", set_("discount_rate", 8), "discount_rate",
         ("8 looks like a percentage", "0.08")),
    Case("escalation in percent", set_("costs[0].escalation", 5), "costs[0].escalation",
         ("5 looks like a percentage", "0.05")),
    Case("automation rate in percent", set_(SHARE, 25), SHARE,
         ("25 looks like a percentage", "0.25")),
    Case("pert ceiling in percent", set_("adoption.ceiling", {"pert": [60, 80, 90]}),
         "adoption.ceiling", ("PERT(60, 80, 90)", "percentage", "0.9 for 90 %")),
    Case("discount rate far out of range", set_("discount_rate", 150), "discount_rate",
         ("150", "as a fraction, e.g. 0.1 for 10 %")),
    # strategies and phases
    Case("empty strategies list", set_("strategies", []), "strategies",
         ("at least 1", "add one")),
    Case("empty phases list", set_("strategies[0].phases", []), "strategies[0].phases",
         ("at least 1", "add one")),
    Case("shares not summing to 1",
         set_("strategies[1].phases", phases((0.25, 2), (0.5, 6))),
         "strategies[1].phases", ("sum to 0.75", "0.25 + 0.5", "must sum to 1")),
    Case("share of zero", set_("strategies[0].phases[0].share", 0),
         "strategies[0].phases[0].share", ("0", "above 0")),
    Case("share above 1", set_("strategies[0].phases[0].share", 1.5),
         "strategies[0].phases[0].share", ("1.5", "at most 1")),
    Case("go-live after the horizon", set_("strategies[0].phases[0].go_live", 30),
         "strategies[0].phases[0].go_live",
         ("month 30", "after the horizon (24 months, 0-23)", "longer horizon")),
    Case("go-lives out of order",
         set_("strategies[1].phases", phases((0.25, 6), (0.75, 2))),
         "strategies[1].phases[1].go_live", ("month 2", "(6)", "in order of go-live")),
    Case("two phases in the same month",
         set_("strategies[1].phases", phases((0.25, 4), (0.75, 4))),
         "strategies[1].phases[1].go_live", ("month 4", "not after", "in order of go-live")),
    Case("negative go-live", set_("strategies[0].phases[0].go_live", -1),
         "strategies[0].phases[0].go_live", ("-1", "at least 0")),
    Case("dip lasting 30 months", set_("strategies[0].disruption.months", 30),
         "strategies[0].disruption.months", ("30", "at most 24")),
    Case("productivity dip without a unit cost", drop("organisation.monthly_cost_per_unit"),
         "organisation.monthly_cost_per_unit",
         ("productivity dip", "a clerk is 0", "set monthly_cost_per_unit")),
    # names
    Case("duplicate cost names", set_("costs[1].name", "Seat licence"), "costs[1].name",
         ("'Seat licence'", "used twice in costs", "unique name")),
    Case("cost names differing in case", set_("costs[1].name", "SEAT LICENCE"), "costs[1].name",
         ("'SEAT LICENCE'", "used twice in costs")),
    Case("benefit names differing in spaces", set_("benefits[1].name", " invoices posted "),
         "benefits[1].name", ("' invoices posted '", "used twice in benefits")),
    Case("duplicate strategy names", set_("strategies[1].name", "All at once"),
         "strategies[1].name", ("'All at once'", "used twice in strategies")),
    Case("empty name", set_("name", ""), "name", ("is empty", "give it a name"), value=""),
    Case("empty cost name", set_("costs[0].name", ""), "costs[0].name",
         ("is empty", "give it a name"), value=""),
    Case("name too long", set_("name", "x" * 121), "name",
         ("longer than 120 characters", "shorten it")),
    # horizon, units, simulation, meta
    Case("horizon of 500 months", set_("horizon_months", 500), "horizon_months",
         ("500", "at most 120", "up to 120 months")),
    Case("horizon of 0 months", set_("horizon_months", 0), "horizon_months",
         ("0", "at least 1")),
    Case("zero units", set_("organisation.units", 0), "organisation.units",
         ("0", "at least 1")),
    Case("trials above the cap", set_("simulation", {"trials": 2_000_000}), "simulation.trials",
         ("2000000", "the cap is 1,000,000 trials")),
    Case("trials as a decimal", set_("simulation", {"trials": 1e4}), "simulation.trials",
         ("10000.0", "whole number")),
    Case("unknown sampler", set_("simulation", {"sampler": "sobel"}), "simulation.sampler",
         ("'sobel'", "'mc', 'lhs' or 'sobol'", "did you mean 'sobol'?")),
    Case("currency in words", set_("currency", "dollars"), "currency",
         ("'dollars'", "3-letter currency code", "\"USD\"")),
    Case("currency in lower case", set_("currency", "usd"), "currency",
         ("'usd'", "3-letter currency code")),
    Case("schema version 2", set_("schema_version", 2), "schema_version", ("2", "1")),
    # choices
    Case("unknown category with a close match", set_("costs[0].category", "trainng"),
         "costs[0].category", ("'trainng'", "did you mean 'training'?")),
    Case("capitalised category", set_("costs[0].category", "Licensing"), "costs[0].category",
         ("'Licensing'", "did you mean 'licensing'?")),
    Case("unknown cost kind", set_("costs[0].kind", "montly"), "costs[0].kind",
         ("'montly'", "'one_time', 'monthly' or 'yearly'", "did you mean 'monthly'?")),
    Case("unknown benefit kind", set_("benefits[0].kind", "volumes"), "benefits[0].kind",
         ("'volumes'", "labour_hours, volume, revenue, amount", "did you mean 'volume'?")),
    Case("missing benefit kind", drop("benefits[0].kind"), "benefits[0].kind",
         ("labour_hours, volume, revenue, amount", "add it")),
    # cost basis rules
    Case("per_usage without usage_per_unit", drop("costs[2].usage_per_unit"),
         "costs[2].usage_per_unit", ("needs usage_per_unit", "per clerk per month", "add it"),
         value=None),
    Case("per_usage charged yearly", set_("costs[2].kind", "yearly"), "costs[2].kind",
         ("per_usage costs are charged monthly", "set kind = \"monthly\""), value="yearly"),
    Case("usage_per_unit on a fixed cost", set_("costs[1].usage_per_unit", 100),
         "costs[1].usage_per_unit", ("only applies to basis = \"per_usage\"", "remove it"),
         value=100.0),
    Case("start_month beyond the horizon", set_("costs[1].start_month", 24),
         "costs[1].start_month", ("month 24", "after the horizon (24 months, 0-23)")),
    Case("start_month on a per-unit cost", set_("costs[0].start_month", 3),
         "costs[0].start_month", ("fixed costs only", "set basis = \"fixed\""), value=3),
]


def _params(cases: list[Case], *, with_marks: bool = True) -> list:
    return [pytest.param(c, id=c.id, marks=c.marks if with_marks else ()) for c in cases]


def test_base_is_valid():
    scenario = parse_scenario(copy.deepcopy(BASE))
    assert scenario.name == "Base case"
    assert len(scenario.costs) == 3 and len(scenario.strategies) == 2


def test_cases_are_distinct():
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", _params(CASES))
def test_bad_scenario(case: Case):
    problems = problems_of(mutated(case.mutation))
    assert len(problems) == case.count, [str(p) for p in problems]
    matching = [p for p in problems if p.path == case.path]
    assert len(matching) == 1, [p.path for p in problems]
    problem = matching[0]
    for text in case.says:
        assert text in problem.message, f"{text!r} not in {problem.message!r}"
    if case.value is not _MISSING:
        assert problem.value == case.value


@pytest.mark.parametrize("case", _params(CASES, with_marks=False))
def test_no_internal_phrasing(case: Case):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(mutated(case.mutation))
    _assert_plain(info.value)


def _assert_plain(error: ScenarioError) -> None:
    texts = [str(error)] + [p.message for p in error.problems]
    for text in texts:
        for internal in ("Traceback", "Input should be", "errors.pydantic.dev", "Value error,",
                         "type=", "pydantic", "ValidationError"):
            assert internal not in text, f"{internal!r} in {text!r}"


def test_missing_benefit_kind_message():
    (problem,) = problems_of(mutated(drop("benefits[0].kind")))
    assert problem.path == "benefits[0].kind"
    assert "labour_hours, volume, revenue, amount" in problem.message
    assert "add it" in problem.message


def test_error_text_names_every_path():
    data = mutated(set_("costs[0].amount", -40))
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, source="plan.toml")
    text = str(info.value)
    assert text.startswith("plan.toml: costs[0].amount: ")
    assert info.value.source == "plan.toml"


@pytest.mark.parametrize("data", [[1, 2], "text", None, 42], ids=repr)
def test_not_a_table(data):
    (problem,) = problems_of(data)
    assert problem.path == ""
    assert "table of keys" in problem.message


# --- several problems at once --------------------------------------------------------------


def test_several_field_problems_are_all_reported():
    data = mutated(set_("currency", "usd"))
    set_("horizon_months", 0)(data)
    set_("costs[0].amount", -40)(data)
    set_("benefits[1].hourly_cost", "30")(data)
    rename("strategies[1].phases[0].share", "shares")(data)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    paths = {p.path for p in info.value.problems}
    assert paths == {"currency", "horizon_months", "costs[0].amount", "benefits[1].hourly_cost",
                     "strategies[1].phases[0].share", "strategies[1].phases[0].shares"}
    text = str(info.value)
    assert text.startswith("6 problems:")
    for path in paths:
        assert f"  - {path}: " in text
    _assert_plain(info.value)


def test_several_cross_field_problems_are_all_reported():
    data = mutated(set_("costs[1].name", "seat licence"))
    set_("costs[2].kind", "yearly")(data)
    set_("costs[1].start_month", 30)(data)
    set_("strategies[1].phases", phases((0.5, 8), (0.4, 4)))(data)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    paths = [p.path for p in info.value.problems]
    assert sorted(paths) == sorted([
        "costs[1].name", "costs[2].kind", "costs[1].start_month", "strategies[1].phases",
        "strategies[1].phases[1].go_live",
    ])


# --- message regressions: hints that once pointed the wrong way ---------------------------

KNOWN_BUGS = [
    pytest.param(
        set_(SHARE, {"range90": [0.1, 0.3]}), SHARE,
        lambda msg: "add high" not in msg,
        id="range90 share: hint to add a bound range90 does not take",
    ),
    pytest.param(
        set_(PERT_AMOUNT, {"range90": [0, 5_000]}), PERT_AMOUNT,
        lambda msg: "add bounds" not in msg,
        id="range90 from 0: hint to add bounds range90 does not take",
    ),
    pytest.param(
        rename("benefits[1].hours_per_unit_per_month", "hours_per_month"),
        "benefits[1].hours_per_month",
        lambda msg: "did you mean 'hours_per_unit_per_month'?" in msg,
        id="misspelt benefit key: suggestion from another model",
    ),
    pytest.param(
        set_("adoption.ceiling", 1.2), "adoption.ceiling",
        lambda msg: "0.012" not in msg,
        id="share of 1.2: read as 1.2 percent",
    ),
    pytest.param(
        set_("schema_version", 2), "schema_version",
        lambda msg: " — " in msg,
        id="schema_version 2: no fix",
    ),
]


@pytest.mark.parametrize(("mutation", "path", "check"), KNOWN_BUGS)
def test_known_message_bugs(mutation, path, check):
    problems = problems_of(mutated(mutation))
    matching = [p for p in problems if p.path == path]
    assert matching, [p.path for p in problems]
    assert check(matching[0].message), matching[0].message


def test_lone_surrogate_in_json_is_explained_plainly():
    text = ('{"name": "Plan \\ud800", "organisation": {"units": 5}, '
            '"strategies": [{"name": "All", "phases": [{"share": 1, "go_live": 2}]}]}')
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text, "json")
    assert [p.path for p in info.value.problems] == ["name"]
    _assert_plain(info.value)


# --- files: malformed TOML and JSON, missing files, wrong suffixes -------------------------

MALFORMED = [
    pytest.param('schema_version = 1\nname = "Broken"\nhorizon_months = 36\n'
                 "discount_rate = 0.1 0.2\n", "toml", 4, id="toml: two values"),
    pytest.param('schema_version = 1\nname = "Broken\nhorizon_months = 36\n', "toml", 2,
                 id="toml: unclosed string"),
    pytest.param('name = "x"\n\n[organisation]\nunits = 5\nunits = 6\n', "toml", 5,
                 id="toml: duplicate key"),
    pytest.param('name = "x"\n[organisation\nunits = 5\n', "toml", 2,
                 id="toml: unclosed table header"),
    pytest.param('name = "x"\n\n[[costs]]\nname = "a"\namount: 5\n', "toml", 5,
                 id="toml: colon instead of ="),
    pytest.param('{\n  "name": "x",\n  "horizon_months": 36,\n  "discount_rate": 0.1,\n}\n',
                 "json", 5, id="json: trailing comma"),
    pytest.param('{\n  "name": "x"\n  "horizon_months": 36\n}\n', "json", 3,
                 id="json: missing comma"),
    pytest.param("{\n  \"name\": 'x'\n}\n", "json", 2, id="json: single quotes"),
]


@pytest.mark.parametrize(("text", "fmt", "line"), MALFORMED)
def test_malformed_text_names_the_line(text, fmt, line):
    with pytest.raises(ScenarioFileError) as info:
        loads_scenario(text, fmt, source=f"plan.{fmt}")
    (problem,) = info.value.problems
    assert re.search(rf"\bline {line}\b", problem.message), problem.message
    assert f"not valid {fmt.upper()}" in problem.message
    assert str(info.value).startswith(f"plan.{fmt}: ")
    _assert_plain(info.value)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_non_finite_constant(constant):
    text = f'{{"name": "x", "discount_rate": {constant}}}'
    with pytest.raises(ScenarioFileError) as info:
        loads_scenario(text, "json")
    (problem,) = info.value.problems
    assert constant in problem.message
    assert "finite numbers" in problem.message


def test_json_overflowing_number_is_a_scenario_problem():
    data = mutated(drop("discount_rate"))
    import json

    text = json.dumps(data)[:-1] + ', "discount_rate": 1e999}'
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text, "json")
    assert not isinstance(info.value, ScenarioFileError)
    (problem,) = info.value.problems
    assert problem.path == "discount_rate"
    assert "inf is not a finite number" in problem.message


def test_toml_nan_is_a_scenario_problem():
    text = 'name = "x"\ndiscount_rate = nan\n[organisation]\nunits = 5\n' \
           '[[strategies]]\nname = "All"\nphases = [{ share = 1, go_live = 2 }]\n'
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text, "toml")
    (problem,) = info.value.problems
    assert problem.path == "discount_rate"
    assert "nan" in problem.message


def test_valid_toml_with_bad_content_keeps_the_source(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text('name = "x"\nhorizon_months = 500\n[organisation]\nunits = 5\n'
                    '[[strategies]]\nname = "All"\nphases = [{ share = 1, go_live = 2 }]\n',
                    encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert not isinstance(info.value, ScenarioFileError)
    assert info.value.source == str(path)
    assert str(info.value).startswith(f"{path}: horizon_months: 500 must be at most 120")


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ScenarioFileError) as info:
        load_scenario(path)
    (problem,) = info.value.problems
    assert "no such file" in problem.message
    assert problem.value == str(path)
    assert info.value.source == str(path)


@pytest.mark.parametrize("name", ["plan.yaml", "plan.yml", "plan", "plan.toml.bak"])
def test_wrong_suffix(tmp_path, name):
    path = tmp_path / name
    path.write_text('name = "x"\n', encoding="utf-8")
    with pytest.raises(ScenarioFileError) as info:
        load_scenario(path)
    (problem,) = info.value.problems
    assert "use a .toml or .json file" in problem.message
    suffix = path.suffix or "(none)"
    assert repr(suffix) in problem.message


def test_not_utf8(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_bytes('name = "Caf\u00e9"\n'.encode("latin-1"))
    with pytest.raises(ScenarioFileError) as info:
        load_scenario(path)
    assert "UTF-8" in info.value.problems[0].message
