"""Help text of every editable field: what it means, its unit, and the adoption
challenge it belongs to (the model's vocabulary, see the README)."""

from __future__ import annotations

from types import MappingProxyType

from costmodel.scenario import COST_CATEGORIES


def _text(meaning: str, unit: str, challenge: str) -> str:
    return f"{meaning}\n\nUnit: {unit}.\n\nChallenge: {challenge}."


#: The challenge every funding field belongs to.
_BUDGET = "cost and budget constraints"

_CATEGORIES = "; ".join(f"{name.replace('_', ' ')} → {challenge}"
                        for name, challenge in COST_CATEGORIES.items())

HELP = MappingProxyType({
    # costs
    "costs.name": _text("A short, unique name for the cost line.", "text", "—"),
    "costs.category": _text("What the money is for. Each category belongs to an adoption "
                            f"challenge: {_CATEGORIES}.", "one of the categories",
                            "see the list"),
    "costs.kind": _text("one_time: paid once, in the months before a phase goes live "
                        "(or at its start month); monthly or yearly: recurring.",
                        "one_time, monthly or yearly", "cost and budget constraints"),
    "costs.basis": _text("What the amount is per: fixed (the whole organisation), "
                         "per_unit (each deployed unit), per_user (each deployed user) or "
                         "per_usage (each use; monthly costs only).",
                         "fixed, per_unit, per_user or per_usage",
                         "cost and budget constraints"),
    "costs.amount": _text("The price, per the basis. 'fixed' form: one number (likely); "
                          "'pert': low, likely and high; 'range90': a 90 % range (low, high).",
                          "currency per basis and kind", "cost and budget constraints"),
    "costs.escalation": _text("Yearly price rise, as a fraction (0.05 = 5 % a year).",
                              "fraction per year", "cost and budget constraints"),
    "costs.usage": _text("Uses per unit per month at full adoption, for per_usage costs "
                         "(leave empty otherwise). Only likely: a fixed number; all three: "
                         "low / likely / high.", "uses per unit per month",
                         "cost and budget constraints"),
    "costs.start_month": _text("Pins a fixed cost to a month instead of the rollout's "
                               "timing (empty: follows the rollout).",
                               "month from project start (0 = first month)",
                               "cost and budget constraints"),
    # benefits
    "benefits.name": _text("A short, unique name for the benefit.", "text", "—"),
    "benefits.kind": _text("labour_hours: hours saved × hourly cost × realisation; volume: "
                           "items automated × value per item; revenue: revenue × uplift × "
                           "margin; amount: a plain monthly amount.",
                           "one of the four kinds", "—"),
    "benefits.growth": _text("Yearly growth of the benefit's volume (0.05 = 5 % a year).",
                             "fraction per year", "—"),
    "benefits.hours_per_unit_per_month": _text(
        "Hours one unit saves per month at full adoption.", "hours per unit per month",
        "resistance to change (only adopters save time)"),
    "benefits.hourly_cost": _text("Loaded cost of one hour of the work saved.",
                                  "currency per hour", "—"),
    "benefits.realisation": _text("Share of the freed hours turned into value.",
                                  "fraction, 0-1", "resistance to change"),
    "benefits.items_per_month": _text("Work items reaching the process per month.",
                                      "items per month", "—"),
    "benefits.automation_rate": _text("Share of the items the tool handles at full "
                                      "adoption.", "fraction, 0-1",
                                      "data quality and accessibility"),
    "benefits.value_per_item": _text("What handling one item by hand costs.",
                                     "currency per item", "—"),
    "benefits.revenue_per_month": _text("Revenue the uplift applies to.",
                                        "currency per month", "—"),
    "benefits.uplift": _text("Relative revenue increase at full adoption.", "fraction, 0-1",
                             "—"),
    "benefits.margin": _text("Share of extra revenue that is profit.", "fraction, 0-1", "—"),
    "benefits.amount_per_month": _text("A plain monthly benefit at full adoption.",
                                       "currency per month", "—"),
    # adoption and rollout
    "adoption.ceiling": _text("Share of deployed units that end up using the tool.",
                              "fraction, 0-1", "resistance to change"),
    "adoption.months_to_half": _text("Months from go-live until use reaches half the "
                                     "ceiling.", "months", "resistance to change"),
    "adoption.data_quality": _text("Share of the benefit the organisation's data lets the "
                                   "tool realise.", "fraction, 0-1",
                                   "data quality and accessibility"),
    "organisation.units": _text("How many units the rollout deploys to (agents, seats, "
                                "sites).", "count", "cost and budget constraints"),
    "organisation.monthly_cost_per_unit": _text(
        "Loaded cost of one unit's work per month: prices the productivity dip.",
        "currency per unit per month", "resistance to change"),
    "phases.share": _text("Share of the units going live in this phase; the shares of a "
                          "strategy sum to 1.", "fraction, 0-1",
                          "cost and budget constraints (phasing)"),
    "phases.go_live": _text("Month the phase goes live (before slip).",
                            "month from project start", "integration with existing systems"),
    "strategy.budget_policy": _text("This strategy's own answer to a year over the budget "
                                    "cap: flag it, or defer a phase's go-live to the first "
                                    "month its costs fit (a self-funding rollout). Default: "
                                    "the budget's policy; without a budget, nothing to defer.",
                                    "flag or defer", "cost and budget constraints"),
    "strategy.lead_time_months": _text("Months before a go-live in which its one-time costs "
                                       "are paid.", "months", "cost and budget constraints"),
    "disruption.productivity_dip": _text("Output lost by a phase's units in the months "
                                         "after it goes live.", "fraction, 0-1",
                                         "resistance to change"),
    "disruption.months": _text("How long the dip lasts after each go-live.", "months",
                               "resistance to change"),
    "learning.adoption_speedup": _text("Multiplies months-to-half for each later phase "
                                       "(0.8: 20 % faster each wave).", "factor, 0-1",
                                       "resistance to change"),
    "learning.cost_learning_rate": _text("Wright's progress ratio for per-unit one-time "
                                         "costs (0.9: each doubling cuts them by 10 %).",
                                         "factor, 0-1", "integration with existing systems"),
    "gate.months_after_pilot": _text("When the stage gate is held, after the pilot goes "
                                     "live.", "months", "cost and budget constraints"),
    "gate.threshold": _text("Least acceptable benefit/cost ratio of the pilot; below it the "
                            "later phases are cancelled.", "ratio",
                            "cost and budget constraints"),
    "gate.noise": _text("How imprecisely the pilot's ratio is measured (relative standard "
                        "deviation; 0 = exactly).", "fraction", "data quality and "
                        "accessibility"),
    "gate.on": _text("Hold a go/no-go review after the pilot: the later phases go ahead "
                     "only if the pilot's benefit/cost ratio reaches the threshold.",
                     "on or off", "cost and budget constraints"),
    "gate.on_fail": _text("keep_pilot: the pilot runs on when the gate fails; wind_down: it "
                          "is stopped as well.", "keep_pilot or wind_down",
                          "cost and budget constraints"),
    # uncertainty and risks
    "risks.name": _text("A short, unique name for the event.", "text",
                        "regulation and privacy (and every other challenge's risks)"),
    "risks.kind": _text("cost: money per occurrence; benefit_loss: part of the benefit lost "
                        "for a while; abandonment: the project stops.",
                        "cost, benefit_loss or abandonment", "regulation and privacy"),
    "risks.category": _text("The cost category a cost event is reported under (cost events "
                            "only).", "one of the cost categories",
                            "regulation and privacy"),
    "risks.scales_with_deployment": _text("Cost events: the chance grows with the share of "
                                          "units live (fewer units, fewer chances).",
                                          "on or off", "regulation and privacy"),
    "risks.wind_down_months": _text("Abandonment: months the costs run on after the "
                                    "benefits stop.", "months", "cost and budget constraints"),
    "correlations.first": _text("An uncertain input (a value given as a distribution).",
                                "the input's label", "—"),
    "correlations.second": _text("The input it moves together with.", "the input's label",
                                 "—"),
    "slip.months": _text("Delay of the first go-live.", "months",
                         "integration with existing systems"),
    "slip.later_phases": _text("Share of that delay later go-lives also suffer (1: the "
                               "whole plan shifts).", "fraction, 0-1",
                               "integration with existing systems"),
    "risks.probability_per_year": _text("Chance the event happens in a year.",
                                        "fraction per year, 0-1", "regulation and privacy"),
    "risks.impact": _text("cost: money per occurrence; benefit_loss: share of benefit lost; "
                          "abandonment: months the costs run on.",
                          "currency, fraction or months (by kind)", "regulation and privacy"),
    "correlations.rank": _text("Rank correlation between two uncertain inputs (-1 to 1): "
                               "how strongly they move together.", "correlation, -1 to 1",
                               "—"),
    "discount_rate": _text("The business's cost of capital: future cash is worth less by "
                           "this rate each year.", "fraction per year (0.1 = 10 %)",
                           "cost and budget constraints"),
    "horizon_months": _text("How many months the model looks ahead (at most 120).",
                            "months", "cost and budget constraints"),
    "name": _text("The scenario's name, shown on every page, chart and report.", "text",
                  "—"),
    "description": _text("What the scenario is about, for whoever reads it later.", "text",
                         "—"),
    "currency": _text("Three-letter code (USD, EUR, GBP) shown with every amount; amounts "
                      "are not converted.", "ISO 4217 code", "—"),
    # funding: the money that pays for the rollout (the business's view, not the project's)
    "funding.cash_on_hand": _text("Cash set aside for the project at month 0; the lowest "
                                  "cash balance and the months below zero count from it.",
                                  "currency", _BUDGET),
    "funding.loans.name": _text("A short, unique name for the loan.", "text", _BUDGET),
    "funding.loans.principal": _text("Amount borrowed, received in the start month.",
                                     "currency", _BUDGET),
    "funding.loans.annual_rate": _text("Nominal yearly interest rate; a month's interest is "
                                       "a twelfth of it on the balance owed.",
                                       "fraction per year (0.075 = 7.5 %)", _BUDGET),
    "funding.loans.term_months": _text("Months from the drawdown to the last payment, grace "
                                       "included; a balance still owed at the horizon is "
                                       "repaid in its last month.", "months", _BUDGET),
    "funding.loans.start_month": _text("Month the money arrives.",
                                       "month from project start (0 = first month)", _BUDGET),
    "funding.loans.grace_months": _text("First months in which only interest is paid; "
                                        "fewer than the term.", "months", _BUDGET),
    "funding.loans.fee": _text("One-off arrangement fee, paid at the drawdown.", "currency",
                               _BUDGET),
    "funding.grants.name": _text("A short, unique name for the grant or subsidy.", "text",
                                 _BUDGET),
    "funding.grants.amount": _text("Amount received if the grant is awarded.", "currency",
                                   _BUDGET),
    "funding.grants.month": _text("Month the money is paid (only if the project has not "
                                  "been abandoned by then).",
                                  "month from project start (0 = first month)", _BUDGET),
    "funding.grants.probability": _text("Chance the grant is awarded (1 = already "
                                        "awarded); drawn per trial.", "fraction, 0-1",
                                        _BUDGET),
    "funding.grants.clawback": _text("Share repaid if the project is abandoned after the "
                                     "money arrived (1 = all of it).", "fraction, 0-1",
                                     _BUDGET + " (and regulation: the grant's terms)"),
    "funding.leases.name": _text("A short, unique name for the payment plan or lease.",
                                 "text", _BUDGET),
    "funding.leases.items": _text("One-time cost lines the plan finances: each is paid in "
                                  "equal monthly instalments from the month after it falls "
                                  "due, instead of at once. A line belongs to one plan.",
                                  "names of one-time cost lines", _BUDGET),
    "funding.leases.annual_rate": _text("The plan's implicit yearly interest rate (0: the "
                                        "cost is spread evenly).",
                                        "fraction per year (0.06 = 6 %)", _BUDGET),
    "funding.leases.term_months": _text("Number of monthly instalments.", "months", _BUDGET),
    "funding.budget": _text("Hold each fiscal year's AI spending against a yearly cap and "
                            "report the chance of breaking it.", "on or off", _BUDGET),
    "funding.budget.yearly_cap": _text("The most the rollout may spend in one fiscal year. "
                                       "Leased items count as their instalments; the "
                                       "productivity dip and risk-event costs do not.",
                                       "currency per fiscal year", _BUDGET),
    "funding.budget.fiscal_year_start_month": _text(
        "Month of the horizon at which fiscal years start; the months before it make a "
        "short first fiscal year (0: fiscal years start with the project).",
        "month index, 0-11", _BUDGET),
    "funding.budget.savings_count": _text("On: a fiscal year's benefits are subtracted from "
                                          "its spending before it is held against the cap "
                                          "(a self-funding rollout). Off: the cap is on "
                                          "spending alone.", "on or off", _BUDGET),
    "funding.budget.policy": _text("flag: report the fiscal years over the cap. defer: move "
                                   "a phase's go-live to the first month its costs fit the "
                                   "budget (a self-funding rollout).", "flag or defer",
                                   _BUDGET),
})


def help_for(name: str) -> str:
    """The help text of a field (empty when none is written)."""
    return HELP.get(name, "")
