"""The Funding and budget page's editors: loans, grants, payment plans and the budget.
Each edit is applied through the page and the figures it shows are checked against an
independent source (numpy-financial, a closed-form discount factor, the public API) or
the direction the model says they must move. Small trial counts (1,024 Sobol)."""

from __future__ import annotations

import copy
import json

import numpy as np
import numpy_financial as npf
import pytest
import streamlit as st

from costmodel import load_scenario, simulate
from costmodel.dashboard import compute, state
from costmodel.dashboard.testing import amount, editor_key, expected_npv, new_session
from costmodel.scenario import parse_scenario
from costmodel.verdict import cards, money

PAGE = "funding_budget"
STRATEGIES = ("All at once", "Pilot, then two waves")


@pytest.fixture(autouse=True)
def _empty_caches():
    st.cache_data.clear()
    compute.clear()
    yield


def _open(scenario_file: str | None = None):
    app = new_session().run()
    revision = 1
    if scenario_file is not None:
        app.sidebar.selectbox(key="sidebar.scenario_file").set_value(scenario_file).run()
        app.sidebar.number_input(key="sidebar.trials").set_value(1_024).run()
        revision = 2
    app.switch_page(f"views/{PAGE}.py").run()
    assert not app.exception
    return app, revision


def _apply(app):
    app.run()  # a browser reruns once an input loses focus; Apply is enabled then
    app.button(key=f"apply.{PAGE}").click().run()
    assert not app.exception
    return app


def _edit_table(app, path: str, edited=None, added=(), deleted=(), revision: int = 1):
    app.session_state[editor_key(path, revision=revision)] = {
        "edited_rows": edited or {}, "added_rows": list(added), "deleted_rows": list(deleted)}
    app.run()


def _figures(app, label: str) -> list[float]:
    """A metric shown once per strategy (in strategy order), as numbers."""
    return [amount(m.value) for m in app.metric if m.label == label]


def _errors(app) -> str:
    """The page's error messages as read (markdown escapes dropped)."""
    return " ".join(e.value for e in app.error).replace("\\", "")


def _loan_interest(principal: float, annual_rate: float, term: int, grace: int,
                   payments_inside: int) -> float:
    """Interest paid on a loan within the horizon, from numpy-financial: ``grace``
    interest-only months at ``P·r``, then the first ``payments_inside - grace`` payments
    of an annuity over ``term - grace`` months (``ipmt``, sign flipped)."""
    r = annual_rate / 12
    periods = np.arange(1, payments_inside - grace + 1)
    return grace * principal * r - float(npf.ipmt(r, periods, term - grace, principal).sum())


def test_a_bigger_loan_at_a_higher_rate_raises_interest_by_numpy_financials_figure():
    app, _ = _open()
    interest, npv = _figures(app, "Interest and fees"), expected_npv(app)
    # the example's bank loan: 30,000 at 7.5 %, 36 months from month 1, 6 months' grace;
    # within the 36-month horizon it makes payments in months 2..35 (34 of them)
    before = _loan_interest(30_000, 0.075, 36, 6, 34)
    _edit_table(app, "funding.loans", edited={0: {"principal": 60_000.0,
                                                  "annual_rate": 0.09, "term_months": 24}})
    _apply(app)
    after = _loan_interest(60_000, 0.09, 24, 6, 24)  # months 2..25: all inside
    raised = [a - b for a, b in zip(_figures(app, "Interest and fees"), interest, strict=True)]
    assert raised == pytest.approx([after - before] * 2, abs=1.01)  # figures in whole units
    assert after > before
    assert expected_npv(app) == npv  # financing is not in the project's NPV
    assert state.DRAFT in app.session_state
    assert app.session_state[state.DRAFT]["funding"]["loans"][0]["term_months"] == 24


def test_a_certain_grant_raises_business_npv_by_its_discounted_amount():
    # the invoice example has no funding section and no risk events (so no abandonment
    # that would stop a grant from being paid)
    app, revision = _open("invoice_automation.toml")
    assert not load_scenario(state.scenario_folder() / "invoice_automation.toml").risks
    before = _figures(app, "Business NPV")
    assert before == pytest.approx(list(expected_npv(app).values()), abs=1.01)
    _edit_table(app, "funding.grants", added=[{"name": "Innovation voucher",
                                               "amount": 12_000.0, "month": 12.0,
                                               "probability": 1.0}], revision=revision)
    _apply(app)
    # discounted at 10 % a year for 12 months: 12,000 / 1.1 (docs/methodology.md)
    raised = [a - b for a, b in zip(_figures(app, "Business NPV"), before, strict=True)]
    assert raised == pytest.approx([12_000 / 1.1] * len(before), abs=1.01)
    grants = app.data_editor[1].value
    assert grants["name"].tolist() == ["Innovation voucher"]


def test_removing_the_payment_plan_raises_peak_cash_need_as_the_model_says():
    app, _ = _open()
    peak = _figures(app, "Peak cash need — All at once") + _figures(
        app, "Peak cash need — Pilot, then two waves")
    interest = _figures(app, "Interest and fees")
    _edit_table(app, "funding.leases", deleted=[0])
    _apply(app)
    after = _figures(app, "Peak cash need — All at once") + _figures(
        app, "Peak cash need — Pilot, then two waves")
    # the same run through the public API, without the lease
    trials, sampler, seed = (app.session_state[k] for k in (state.TRIALS, state.SAMPLER,
                                                             state.SEED))
    data = copy.deepcopy(app.session_state[state.SAVED])
    data["funding"]["leases"] = []
    results = simulate(parse_scenario(data), trials=trials, seed=seed, sampler=sampler)
    currency = results.scenario.currency
    assert after == [amount(money(c.peak_cash_mean, currency)) for c in cards(results)]
    # paying the integration at once instead of over 24 months deepens the cash trough
    assert all(a > b for a, b in zip(after, peak, strict=True))
    # and its interest is no longer paid
    assert all(a < b for a, b in zip(_figures(app, "Interest and fees"), interest, strict=True))
    assert app.data_editor[2].value.empty


def test_a_grace_period_longer_than_the_term_shows_the_schema_message_by_the_table():
    app, _ = _open()
    npv = _figures(app, "Business NPV")
    _edit_table(app, "funding.loans", edited={0: {"grace_months": 40}})
    _apply(app)
    text = _errors(app)
    assert "Row 1 (Bank loan) · grace_months" in text
    assert "shorter than the term" in text
    assert _figures(app, "Business NPV") == npv  # the draft is unchanged
    assert not app.sidebar.warning


def test_a_new_loan_without_its_terms_names_each_missing_field():
    app, _ = _open()
    _edit_table(app, "funding.loans", added=[{"name": "Bridge loan"}])
    _apply(app)
    text = _errors(app)
    for field in ("principal", "annual_rate", "term_months"):
        assert f"Row 2 (Bridge loan) · {field}: required key '{field}' is missing" in text


def test_the_defer_policy_keeps_every_plan_inside_the_budget():
    # the example flags: both plans break its yearly cap in some trials; under "defer" each
    # phase waits for the first month its costs fit, so neither does, and the page says how
    # often a phase waits
    app, _ = _open()
    before = _figures(app, "Chance of breaking the budget")
    assert before[0] > 50 and before[1] > 0
    assert not _figures(app, "Chance a phase waits for budget")
    app.selectbox(key=editor_key("funding.budget.policy")).set_value("defer")
    _apply(app)
    assert not app.error
    assert app.session_state[state.DRAFT]["funding"]["budget"]["policy"] == "defer"
    assert _figures(app, "Chance of breaking the budget") == [0.0, 0.0]
    waits = _figures(app, "Chance a phase waits for budget")
    assert len(waits) == 2 and all(w > 0 for w in waits)


def test_a_later_fiscal_year_start_adds_a_short_first_fiscal_year():
    app, _ = _open()
    by_year = [c.value for c in app.caption if c.value.startswith("By fiscal year")]
    assert by_year and all("FY3" in c and "FY4" not in c for c in by_year)  # 36 months
    app.number_input(key=editor_key("funding.budget.fiscal_year_start_month")).set_value(4)
    _apply(app)
    # fiscal years start in months 0, 4, 16 and 28 (costmodel.engine.funding docstring)
    by_year = [c.value for c in app.caption if c.value.startswith("By fiscal year")]
    assert by_year and all("FY4" in c and "FY5" not in c for c in by_year)


def test_savings_offsetting_spending_lowers_the_chance_of_breaking_the_budget():
    app, _ = _open()
    before = _figures(app, "Chance of breaking the budget")
    app.checkbox(key=editor_key("funding.budget.savings_count")).check()
    _apply(app)
    after = _figures(app, "Chance of breaking the budget")
    # spending less benefits is never above spending: no trial can newly break the cap
    assert all(a <= b for a, b in zip(after, before, strict=True))
    assert sum(after) < sum(before)


def test_every_funding_field_says_what_it_means_its_unit_and_its_challenge():
    app, _ = _open()
    widgets = [w for kind in ("number_input", "selectbox", "checkbox", "toggle")
               for w in app.get(kind) if str(w.key).startswith("edit.1.funding")]
    assert len(widgets) == 6  # cash, cap, fiscal year start, policy, savings, cap on/off
    for widget in widgets:
        assert "Unit:" in widget.help and "Challenge: cost and budget" in widget.help, widget.key
    assert len(app.data_editor) == 3  # loans, grants, payment plans
    for table in app.data_editor:
        for name, column in json.loads(table.proto.columns).items():
            if not column.get("hidden"):
                assert "Unit:" in column["help"] and "Challenge:" in column["help"], name
