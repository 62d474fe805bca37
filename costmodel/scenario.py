"""The scenario schema: one business case, validated.

A :class:`Scenario` is frozen and rejects unknown keys. Every money, rate, share and
adoption input is *uncertain*: a plain number or a distribution from
:mod:`costmodel.distributions`. Structural numbers (months, phase shares, the unit count)
are plain. Units are given in brackets: ``[currency]``, ``[currency/month]``,
``[fraction, 0-1]``, ``[1/year]`` for annual rates, ``[months]``.

Use :func:`parse_scenario` (or :func:`costmodel.load_scenario`) to build one from data:
it turns every problem into a :class:`~costmodel.errors.ScenarioError` whose messages
name the field, the value and the fix.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import Problem, ScenarioError
from .fields import (
    AnnualRate,
    Count,
    Factor,
    Fraction,
    Model,
    Money,
    Name,
    Positive,
    Text,
    Uncertain,
    dump_uncertain,
)
from .funding_schema import Budget, Funding, Grant, Lease, Loan

__all__ = [
    "BENEFIT_KINDS",
    "COST_CATEGORIES",
    "MAX_HORIZON_MONTHS",
    "MAX_TRIALS",
    "RISK_KINDS",
    "SCHEMA_VERSION",
    "AbandonmentRisk",
    "Adoption",
    "AmountBenefit",
    "Benefit",
    "BenefitLossRisk",
    "Budget",
    "Correlation",
    "CostItem",
    "CostRisk",
    "Disruption",
    "Funding",
    "Gate",
    "Grant",
    "LabourBenefit",
    "Learning",
    "Lease",
    "Loan",
    "Organisation",
    "Phase",
    "RevenueBenefit",
    "Risk",
    "Scenario",
    "Simulation",
    "Slip",
    "Strategy",
    "Uncertain",
    "VolumeBenefit",
    "parse_scenario",
]

SCHEMA_VERSION = 1
MAX_HORIZON_MONTHS = 120
MAX_TRIALS = 1_000_000

#: Cost categories, and the adoption challenge each belongs to.
COST_CATEGORIES: dict[str, str] = {
    "licensing": "licences and running costs",
    "infrastructure": "licences and running costs",
    "integration": "integration with existing systems",
    "data": "data quality and accessibility",
    "training": "resistance to change",
    "change_management": "resistance to change",
    "compliance": "regulation and privacy",
    "security": "regulation and privacy",
    "maintenance": "licences and running costs",
    "staffing": "licences and running costs",
    "consulting": "integration with existing systems",
    "other": "other",
}
CostCategory = Literal[
    "licensing", "infrastructure", "integration", "data", "training", "change_management",
    "compliance", "security", "maintenance", "staffing", "consulting", "other",
]
BENEFIT_KINDS = ("labour_hours", "volume", "revenue", "amount")
RISK_KINDS = ("cost", "benefit_loss", "abandonment")


# --- the model -------------------------------------------------------------------------


class Organisation(Model):
    """Who the tool is rolled out to.

    Attributes
    ----------
    units : int
        How many units the rollout deploys to (agents, seats, sites, processes) [count].
    unit_label : str
        What one unit is called, singular (``"agent"``).
    users_per_unit : Uncertain
        People per unit, for ``per_user`` costs [users/unit].
    monthly_cost_per_unit : Uncertain
        Loaded cost of one unit's work, used to price the productivity dip at go-live
        [currency/month].
    """

    units: Annotated[int, Field(ge=1, le=1_000_000)]
    unit_label: Name = "unit"
    users_per_unit: Count = 1.0
    monthly_cost_per_unit: Money = 0.0


class CostItem(Model):
    """One cost line.

    ``kind`` is ``one_time``, ``monthly`` or ``yearly``; ``basis`` says what ``amount`` is
    per: ``fixed`` (the whole organisation), ``per_unit`` (per deployed unit),
    ``per_user`` (per deployed user = unit x users_per_unit) or ``per_usage`` (per usage
    unit; monthly only, ``usage_per_unit`` of them per unit per month at full adoption).
    ``escalation`` is the yearly price increase [1/year], applied in steps every 12
    months from month 0. ``start_month`` pins a fixed cost to a month instead of the
    rollout's timing.
    """

    name: Name
    category: CostCategory
    kind: Literal["one_time", "monthly", "yearly"]
    basis: Literal["fixed", "per_unit", "per_user", "per_usage"] = "fixed"
    amount: Money
    escalation: AnnualRate = 0.0
    usage_per_unit: Count = None
    start_month: Annotated[int, Field(ge=0)] | None = None
    note: Text = ""


class _BenefitBase(Model):
    name: Name
    growth: AnnualRate = 0.0
    note: Text = ""


class LabourBenefit(_BenefitBase):
    """Hours saved: ``hours_per_unit_per_month`` x units x ``hourly_cost`` x ``realisation``.

    ``hourly_cost`` is the loaded cost of an hour [currency/hour]; ``realisation`` the
    share of freed hours turned into value [fraction, 0-1].
    """

    kind: Literal["labour_hours"]
    hours_per_unit_per_month: Count
    hourly_cost: Money
    realisation: Fraction = 1.0


class VolumeBenefit(_BenefitBase):
    """Work automated: ``items_per_month`` x ``automation_rate`` x ``value_per_item``."""

    kind: Literal["volume"]
    items_per_month: Count
    automation_rate: Fraction
    value_per_item: Money


class RevenueBenefit(_BenefitBase):
    """Revenue uplift: ``revenue_per_month`` x ``uplift`` x ``margin``."""

    kind: Literal["revenue"]
    revenue_per_month: Money
    uplift: Fraction
    margin: Fraction


class AmountBenefit(_BenefitBase):
    """A plain monthly amount at full adoption [currency/month]."""

    kind: Literal["amount"]
    amount_per_month: Money


Benefit = Annotated[
    LabourBenefit | VolumeBenefit | RevenueBenefit | AmountBenefit, Field(discriminator="kind")
]


class Adoption(Model):
    """How use grows after a phase goes live (resistance to change, data quality).

    Attributes
    ----------
    ceiling : Uncertain
        Share of deployed units that end up using the tool [fraction, 0-1].
    months_to_half : Uncertain
        Months from go-live until adoption reaches about half the ceiling [months].
    data_quality : Uncertain
        Share of the benefit the organisation's data lets the tool realise
        [fraction, 0-1].
    """

    ceiling: Fraction = 0.8
    months_to_half: Positive = 3.0
    data_quality: Fraction = 1.0


class Phase(Model):
    """One wave of a rollout: a ``share`` of the units going live in month ``go_live``."""

    share: Annotated[float, Field(gt=0.0, le=1.0)]
    go_live: Annotated[int, Field(ge=0)]


class Learning(Model):
    """What later phases learn from earlier ones.

    ``adoption_speedup`` multiplies months-to-half for each later phase (0.8: 20 %
    faster each wave); ``cost_learning_rate`` is Wright's progress ratio for per-unit and
    per-user one-time costs (0.9: each doubling of the share deployed since the pilot
    cuts them by 10 %).
    """

    adoption_speedup: Factor = 1.0
    cost_learning_rate: Factor = 1.0


class Disruption(Model):
    """The productivity dip after a phase goes live.

    For ``months`` months after each go-live, the phase's units lose
    ``productivity_dip`` of their output, priced at ``organisation.monthly_cost_per_unit``.
    """

    productivity_dip: Fraction = 0.0
    months: Annotated[int, Field(ge=0, le=24)] = 0


class Slip(Model):
    """Schedule slip: go-lives later than planned (integration with existing systems).

    The first go-live is ``months`` late (an uncertain delay, rounded to whole months);
    each later go-live is late by ``later_phases`` times that (1: the whole plan shifts;
    0.5: later waves recover half the delay, having learned the integration). One-time
    costs keep their planned months; deployment, adoption and per-unit running costs
    follow the actual go-lives. A phase never goes live before the one before it.

    Attributes
    ----------
    months : Uncertain
        Delay of the first go-live [months].
    later_phases : Uncertain
        Share of that delay later go-lives also suffer [fraction, 0-1].
    """

    months: Count = 0.0
    later_phases: Fraction = 1.0


class Gate(Model):
    """A stage gate after the pilot (the first phase) of a phased strategy.

    ``months_after_pilot`` months after the pilot actually goes live, the pilot's run-rate
    benefit/cost ratio is measured: that month's benefits over the pilot's running costs
    (its per-unit, per-user and usage costs, plus the pilot's share of the fixed running
    costs; yearly costs at a twelfth a month; one-time costs and the productivity dip left
    out) — the economics the full rollout would have at the pilot's performance. It is
    measured with a multiplicative log-normal error of ``noise`` (a relative standard
    deviation; 0: measured exactly). If it is below ``threshold`` the later phases are
    cancelled from that month on: their costs still to come are not spent and they never
    go live. The pilot is then kept (``on_fail = "keep_pilot"``) or wound down
    (``"wind_down"``: its benefits stop at the gate, its costs ``wind_down_months`` later).
    ``threshold = -inf`` never fails: the same as no gate.

    Attributes
    ----------
    months_after_pilot : int
        When the gate is held, after the pilot's go-live [months].
    threshold : float
        The least acceptable benefit/cost ratio [ratio].
    noise : float
        Relative standard deviation of the measured ratio [fraction].
    on_fail : {"keep_pilot", "wind_down"}
    wind_down_months : int
        Months the pilot's costs run on after a failed gate that winds it down [months].
    """

    months_after_pilot: Annotated[int, Field(ge=1, le=MAX_HORIZON_MONTHS)]
    threshold: float
    noise: Annotated[float, Field(ge=0.0, le=2.0)] = 0.0
    on_fail: Literal["keep_pilot", "wind_down"] = "keep_pilot"
    wind_down_months: Annotated[int, Field(ge=0, le=24)] = 1

    @field_validator("threshold")
    @classmethod
    def _threshold_is_a_number(cls, threshold: float) -> float:
        if math.isnan(threshold):
            raise ValueError("nan is not a threshold — give a benefit/cost ratio such as "
                             "1.0, or -inf for a gate that never stops the rollout")
        return threshold


class Strategy(Model):
    """A rollout plan: phases (shares summing to 1), their lead time, learning, disruption,
    schedule slip and an optional stage gate after the pilot."""

    name: Name
    description: Text = ""
    phases: Annotated[list[Phase], Field(min_length=1, max_length=24)]
    lead_time_months: Annotated[int, Field(ge=0, le=24)] = 2
    learning: Learning = Learning()
    disruption: Disruption = Disruption()
    slip: Slip = Slip()
    gate: Gate | None = None
    #: ``"flag"`` or ``"defer"``: this strategy's own policy for the yearly budget
    #: (default: the budget's ``policy``); without a budget there is nothing to defer
    budget_policy: Literal["flag", "defer"] | None = None


class _RiskBase(Model):
    name: Name
    probability_per_year: Fraction
    note: Text = ""


class CostRisk(_RiskBase):
    """An incident that costs money each time it happens (a privacy breach: legal,
    notification, fine). ``cost`` [currency] per occurrence, times the share deployed at
    the time when ``scales_with_deployment``; reported under ``category``."""

    kind: Literal["cost"]
    cost: Money
    scales_with_deployment: bool = False
    category: CostCategory = "other"


class BenefitLossRisk(_RiskBase):
    """An outage or failed integration: ``loss`` of the benefit [fraction, 0-1] for
    ``months`` months [months, rounded up] from the month it happens."""

    kind: Literal["benefit_loss"]
    loss: Fraction
    months: Positive


class AbandonmentRisk(_RiskBase):
    """The project is abandoned: benefits stop in the month it happens, costs
    ``wind_down_months`` later [months, rounded]."""

    kind: Literal["abandonment"]
    wind_down_months: Count = 0.0


Risk = Annotated[CostRisk | BenefitLossRisk | AbandonmentRisk, Field(discriminator="kind")]


class Correlation(Model):
    """A rank (Spearman) correlation between two uncertain inputs.

    Each input is named by its label (``"CRM integration: amount"``: item name, a colon,
    the field) or its path (``"costs[2].amount"``, ``"adoption.ceiling"``).
    """

    between: Annotated[list[Annotated[str, Field(min_length=1)]],
                       Field(min_length=2, max_length=2)]
    rank: Annotated[float, Field(gt=-1.0, lt=1.0)]


class Simulation(Model):
    """Monte Carlo settings.

    Attributes
    ----------
    trials : int
        Trials per run (Sobol rounds up to a power of two).
    seed : int
    sampler : {"sobol", "lhs", "mc"}
        Scrambled Sobol (the default), Latin hypercube or plain Monte Carlo.
    npv_standard_error_target : float, optional
        Precision control: keep adding trials until the Monte Carlo standard error of
        every strategy's mean NPV is at most this [currency], or ``max_trials`` is reached.
    max_trials : int
        The cap for precision control [trials].
    """

    trials: Annotated[int, Field(ge=1, le=MAX_TRIALS)] = 16_384
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 20_260_101
    sampler: Literal["mc", "lhs", "sobol"] = "sobol"
    npv_standard_error_target: Annotated[float, Field(gt=0.0)] | None = None
    max_trials: Annotated[int, Field(ge=1, le=MAX_TRIALS)] = MAX_TRIALS


class Scenario(Model):
    """One business case. See the module docstring and ``docs/methodology.md``."""

    schema_version: Literal[1] = SCHEMA_VERSION
    name: Name
    description: Text = ""
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    horizon_months: Annotated[int, Field(ge=1, le=MAX_HORIZON_MONTHS)] = 36
    discount_rate: float = 0.10
    organisation: Organisation
    costs: list[CostItem] = []
    benefits: list[Benefit] = []
    adoption: Adoption = Adoption()
    strategies: Annotated[list[Strategy], Field(min_length=1, max_length=12)]
    risks: Annotated[list[Risk], Field(max_length=50)] = []
    correlations: Annotated[list[Correlation], Field(max_length=200)] = []
    funding: Funding = Funding()
    simulation: Simulation = Simulation()

    @field_validator("discount_rate")
    @classmethod
    def _rate_is_a_fraction(cls, rate: float) -> float:
        if not math.isfinite(rate):
            raise ValueError(f"{rate!r} is not a finite number — give the yearly rate, e.g. 0.1")
        if 1 < rate <= 100:
            raise ValueError(f"{rate:g} looks like a percentage — write {rate / 100:g} for "
                             f"{rate:g} % a year")
        if not -0.5 < rate <= 1:
            raise ValueError(f"{rate:g} is outside (-0.5, 1] — give the yearly rate as a "
                             "fraction, e.g. 0.1 for 10 %")
        return rate

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        problems = list(_cross_field_problems(self))
        if problems:
            raise ScenarioError(problems)
        return self

    @property
    def rate_monthly(self) -> float:
        """Monthly discount rate ``(1 + r_year) ** (1/12) - 1`` [1/month]."""
        return (1.0 + self.discount_rate) ** (1.0 / 12.0) - 1.0

    def canonical_json(self) -> str:
        """A canonical JSON form (sorted keys), the basis of :meth:`content_hash`."""
        import json

        return json.dumps(self.to_data(), sort_keys=True, separators=(",", ":"))

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON, first 16 hex digits."""
        import hashlib

        return hashlib.sha256(self.canonical_json().encode()).hexdigest()[:16]

    def to_data(self) -> dict[str, Any]:
        """Plain data for a TOML or JSON file (no ``None`` values)."""
        return self.model_dump(mode="json", exclude_none=True)


def _duplicates(names: list[str]) -> list[tuple[int, str]]:
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        key = name.strip().casefold()
        if key in seen:
            out.append((i, name))
        seen.setdefault(key, i)
    return out


def _cross_field_problems(s: Scenario):
    horizon = s.horizon_months
    for group, items in (("costs", s.costs), ("benefits", s.benefits),
                         ("strategies", s.strategies), ("risks", s.risks)):
        for i, name in _duplicates([item.name for item in items]):
            yield Problem(f"{group}[{i}].name", name,
                          f"the name {name!r} is used twice in {group} — give each a unique name")
    for i, cost in enumerate(s.costs):
        where = f"costs[{i}]"
        if cost.basis == "per_usage" and cost.kind != "monthly":
            yield Problem(f"{where}.kind", cost.kind,
                          "per_usage costs are charged monthly — set kind = \"monthly\"")
        if cost.basis == "per_usage" and cost.usage_per_unit is None:
            yield Problem(f"{where}.usage_per_unit", None,
                          "a per_usage cost needs usage_per_unit (usage units per "
                          f"{s.organisation.unit_label} per month at full adoption) — add it")
        if cost.basis != "per_usage" and cost.usage_per_unit is not None:
            yield Problem(f"{where}.usage_per_unit", dump_uncertain(cost.usage_per_unit),
                          "usage_per_unit only applies to basis = \"per_usage\" — remove it "
                          "or change the basis")
        if cost.start_month is not None and cost.start_month >= horizon:
            yield Problem(f"{where}.start_month", cost.start_month,
                          f"month {cost.start_month} is after the horizon ({horizon} months, "
                          f"0-{horizon - 1}) — use an earlier month or a longer horizon")
        if cost.start_month is not None and cost.basis != "fixed":
            yield Problem(f"{where}.start_month", cost.start_month,
                          "start_month applies to fixed costs only; per-unit costs follow "
                          "the rollout — remove it or set basis = \"fixed\"")
    dip_used = False
    for i, strategy in enumerate(s.strategies):
        where = f"strategies[{i}]"
        total = sum(p.share for p in strategy.phases)
        if abs(total - 1.0) > 1e-6:
            parts = " + ".join(f"{p.share:g}" for p in strategy.phases)
            yield Problem(f"{where}.phases", parts,
                          f"phase shares sum to {total:g} ({parts}) — they must sum to 1")
        months = [p.go_live for p in strategy.phases]
        for j in range(1, len(months)):
            if months[j] <= months[j - 1]:
                yield Problem(f"{where}.phases[{j}].go_live", months[j],
                              f"go-live month {months[j]} is not after the previous phase's "
                              f"({months[j - 1]}) — list phases in order of go-live")
        for j, month in enumerate(months):
            if month >= horizon:
                yield Problem(f"{where}.phases[{j}].go_live", month,
                              f"go-live month {month} is after the horizon ({horizon} months, "
                              f"0-{horizon - 1}) — use an earlier month or a longer horizon")
        yield from _gate_problems(where, strategy, horizon)
        dip = strategy.disruption.productivity_dip
        if not (isinstance(dip, float) and dip == 0.0) and strategy.disruption.months > 0:
            dip_used = True
    unit_cost = s.organisation.monthly_cost_per_unit
    if dip_used and isinstance(unit_cost, float) and unit_cost == 0.0:
        yield Problem("organisation.monthly_cost_per_unit", 0.0,
                      "a strategy has a productivity dip, but the monthly cost of a "
                      f"{s.organisation.unit_label} is 0 — set monthly_cost_per_unit "
                      "(loaded cost per unit per month)")
    sim = s.simulation
    if sim.npv_standard_error_target is not None and sim.max_trials < sim.trials:
        yield Problem("simulation.max_trials", sim.max_trials,
                      f"the cap is below the first run's {sim.trials:,} trials — raise "
                      "max_trials or lower trials")
    yield from _correlation_problems(s)
    yield from _funding_problems(s)


def _funding_problems(s: Scenario):
    horizon = s.horizon_months
    funding = s.funding
    late = (f"is after the horizon ({horizon} months, 0-{horizon - 1}) — use an earlier "
            "month or a longer horizon")
    for i, loan in enumerate(funding.loans):
        where = f"funding.loans[{i}]"
        if loan.grace_months >= loan.term_months:
            yield Problem(f"{where}.grace_months", loan.grace_months,
                          f"the grace period must be shorter than the term ({loan.term_months} "
                          "months) — shorten it or lengthen term_months")
        if loan.start_month >= horizon:
            yield Problem(f"{where}.start_month", loan.start_month, f"month {loan.start_month} "
                                                                     + late)
    for i, grant in enumerate(funding.grants):
        if grant.month >= horizon:
            yield Problem(f"funding.grants[{i}].month", grant.month, f"month {grant.month} "
                                                                      + late)
    one_time = {c.name.strip().casefold(): c for c in s.costs if c.kind == "one_time"}
    names = {c.name.strip().casefold(): c for c in s.costs}
    leased: dict[str, int] = {}
    for i, lease in enumerate(funding.leases):
        for j, item in enumerate(lease.items):
            where = f"funding.leases[{i}].items[{j}]"
            key = item.strip().casefold()
            if key not in one_time:
                if key in names:
                    fix = (f"{item!r} is a {names[key].kind} cost; only one-time costs can be "
                           "financed — remove it from the lease")
                else:
                    import difflib

                    options = [c.name for c in one_time.values()]
                    close = difflib.get_close_matches(item, options, n=1, cutoff=0.5)
                    fix = (f"no one-time cost item is called {item!r} — "
                           + (f"did you mean {close[0]!r}?" if close else
                              "use one of " + ", ".join(repr(o) for o in options[:8])
                              if options else "add the cost item first"))
                yield Problem(where, item, fix)
            elif key in leased:
                yield Problem(where, item, f"{item!r} is already financed by "
                                           f"funding.leases[{leased[key]}] — keep it in one "
                                           "lease")
            else:
                leased[key] = i
    for group, items in (("loans", funding.loans), ("grants", funding.grants),
                         ("leases", funding.leases)):
        for i, name in _duplicates([item.name for item in items]):
            yield Problem(f"funding.{group}[{i}].name", name,
                          f"the name {name!r} is used twice in funding.{group} — give each a "
                          "unique name")


def _gate_problems(where: str, strategy: Strategy, horizon: int):
    gate = strategy.gate
    if gate is None:
        return
    phases = strategy.phases
    if len(phases) < 2:
        yield Problem(f"{where}.gate", gate.months_after_pilot,
                      "a stage gate needs a phased strategy (a pilot and at least one more "
                      "phase) — add phases or remove the gate")
        return
    month = phases[0].go_live + gate.months_after_pilot
    if month >= phases[1].go_live:
        yield Problem(f"{where}.gate.months_after_pilot", gate.months_after_pilot,
                      f"the gate falls in month {month}, not before the second phase's "
                      f"go-live (month {phases[1].go_live}) — hold it at most "
                      f"{phases[1].go_live - phases[0].go_live - 1} months after the pilot, "
                      "or move the second phase later")


def _correlation_problems(s: Scenario):
    if not s.correlations:
        return
    from .correlation import inconsistent_pairs  # late: both import this module
    from .uncertainty import input_key_index, normalise_key, uncertain_inputs

    inputs = uncertain_inputs(s)
    index = input_key_index(inputs)
    seen: dict[tuple[int, int], int] = {}
    pairs = []
    for k, corr in enumerate(s.correlations):
        where = f"correlations[{k}]"
        columns = []
        for j, key in enumerate(corr.between):
            column = index.get(normalise_key(key))
            if column is None:
                yield Problem(f"{where}.between[{j}]", key, _unknown_input_hint(key, inputs))
            columns.append(column)
        if None in columns:
            continue
        a, b = columns
        if a == b:
            yield Problem(f"{where}.between", corr.between,
                          "an input cannot be correlated with itself — name two different "
                          "inputs")
            continue
        pair = (min(a, b), max(a, b))
        if pair in seen:
            yield Problem(f"{where}.between", corr.between,
                          f"this pair is already correlated in correlations[{seen[pair]}] "
                          "— keep one of them")
            continue
        seen[pair] = k
        pairs.append((a, b, corr.rank))
    labels = [i.label for i in inputs]
    for message in inconsistent_pairs(labels, pairs):
        yield Problem("correlations", None, message)


def _unknown_input_hint(key: str, inputs) -> str:
    import difflib

    labels = [i.label for i in inputs]
    if not labels:
        return (f"{key!r} is not an uncertain input — this scenario has none; give a "
                "distribution to the values you want to correlate")
    close = difflib.get_close_matches(key, labels, n=1, cutoff=0.5)
    if close:
        return f"{key!r} is not an uncertain input — did you mean {close[0]!r}?"
    shown = ", ".join(repr(x) for x in labels[:8]) + (", ..." if len(labels) > 8 else "")
    return (f"{key!r} is not an uncertain input (a value given as a distribution) — use "
            f"one of {shown}")


# --- turning pydantic's errors into problems -----------------------------------------------


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The schema class holding the key at ``loc`` (``loc`` ends with that key)."""
    shape = tuple("#" if isinstance(part, int) else part for part in loc[:-1])
    benefits = {"labour_hours": LabourBenefit, "volume": VolumeBenefit,
                "revenue": RevenueBenefit, "amount": AmountBenefit}
    risks = {"cost": CostRisk, "benefit_loss": BenefitLossRisk,
             "abandonment": AbandonmentRisk}
    if len(shape) == 3 and shape[:2] == ("benefits", "#"):
        return benefits.get(shape[2])
    if len(shape) == 3 and shape[:2] == ("risks", "#"):
        return risks.get(shape[2])
    return {
        (): Scenario, ("organisation",): Organisation, ("costs", "#"): CostItem,
        ("adoption",): Adoption, ("strategies", "#"): Strategy,
        ("strategies", "#", "phases", "#"): Phase, ("strategies", "#", "learning"): Learning,
        ("strategies", "#", "disruption"): Disruption, ("simulation",): Simulation,
        ("strategies", "#", "slip"): Slip, ("strategies", "#", "gate"): Gate,
        ("correlations", "#"): Correlation, ("funding",): Funding,
        ("funding", "loans", "#"): Loan, ("funding", "grants", "#"): Grant,
        ("funding", "leases", "#"): Lease, ("funding", "budget"): Budget,
    }.get(shape)


_TAGS = {*(("benefits", k) for k in BENEFIT_KINDS), *(("risks", k) for k in RISK_KINDS)}


def _path(loc: tuple) -> str:
    out = ""
    parts = list(loc)
    for k, part in enumerate(parts):
        if isinstance(part, int):
            out += f"[{part}]"
        elif k == 2 and (parts[0], part) in _TAGS:
            continue  # the discriminator's tag, not a field
        else:
            out += ("." if out else "") + str(part)
    return out


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _problem(error: dict) -> Problem:
    import difflib

    loc = tuple(error["loc"])
    path = _path(loc)
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(loc[-1])
        model = _model_at(loc)
        allowed = list(model.model_fields) if model else []
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        if close:
            hint = f"did you mean {close[0]!r}?"
        elif allowed:
            hint = "remove it or check the spelling; allowed keys here: " + ", ".join(allowed)
        else:
            hint = "remove it or check the spelling"
        return Problem(path, value, f"unknown key {key!r} — {hint}")
    if kind == "missing":
        return Problem(path, None, f"required key {str(loc[-1])!r} is missing — add it")
    if kind == "value_error":
        return Problem(path, value, str(ctx.get("error", error["msg"])))
    if kind == "literal_error" and path == "schema_version":
        return Problem(path, value, f"this file has schema version {_describe(value)}; this "
                                    f"costmodel reads version {SCHEMA_VERSION} — upgrade "
                                    "costmodel to open it")
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",")]
        close = difflib.get_close_matches(str(value), options, n=1)
        hint = f" — did you mean {close[0]!r}?" if close else ""
        return Problem(path, value, f"{_describe(value)} is not one of {expected}{hint}")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        what, options = ("risk", RISK_KINDS) if loc[0] == "risks" else ("benefit", BENEFIT_KINDS)
        kinds = ", ".join(options)
        if kind == "union_tag_not_found":
            return Problem(path + ".kind", None, f"a {what} needs kind = one of {kinds} — add it")
        close = difflib.get_close_matches(str(ctx.get("tag")), options, n=1)
        hint = f" — did you mean {close[0]!r}?" if close else ""
        return Problem(path + ".kind", ctx.get("tag"),
                       f"{what} kind {ctx.get('tag')!r} is not one of {kinds}{hint}")
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return Problem(path, value, f"expected a whole number, got {_describe(value)} — "
                                    "write it without quotes or decimals")
    if kind in ("float_type", "float_parsing"):
        return Problem(path, value, f"expected a number, got {_describe(value)} — "
                                    "write it without quotes")
    if kind == "string_unicode":
        return Problem(path, None, "is not valid text (a broken unicode character) — retype it")
    if kind in ("string_type",):
        return Problem(path, value, f"expected text, got {_describe(value)} — put it in quotes")
    if kind in ("list_type", "model_type", "dict_type", "model_attributes_type"):
        want = "a list [...]" if kind == "list_type" else "a table {...}"
        return Problem(path, value, f"expected {want}, got {_describe(value)}")
    if kind == "too_short":
        return Problem(path, value, f"needs at least {ctx.get('min_length')} entry — add one")
    if kind == "too_long":
        return Problem(path, value, f"has more than {ctx.get('max_length')} entries — "
                                    "use fewer")
    if kind == "string_too_short":
        return Problem(path, value, "is empty — give it a name")
    if kind == "string_too_long":
        return Problem(path, _describe(value), f"is longer than {ctx.get('max_length')} "
                                               "characters — shorten it")
    if kind == "string_pattern_mismatch" and path == "currency":
        return Problem(path, value, f"{_describe(value)} is not a 3-letter currency code — "
                                    "write e.g. \"USD\", \"EUR\" or \"GBP\"")
    bounds = {"greater_than": ("above", "gt"), "greater_than_equal": ("at least", "ge"),
              "less_than": ("below", "lt"), "less_than_equal": ("at most", "le")}
    if kind in bounds:
        word, key = bounds[kind]
        limit = ctx.get(key)
        extra = ""
        upper = kind.startswith("less")
        if path == "horizon_months" and upper:
            extra = f" (the model covers up to {MAX_HORIZON_MONTHS} months)"
        elif path == "simulation.trials" and upper:
            extra = f" (the cap is {MAX_TRIALS:,} trials)"
        return Problem(path, value, f"{_describe(value)} must be {word} {limit}{extra} — "
                                    f"use a value {word} {limit}")
    return Problem(path, value, f"{error['msg']} (got {_describe(value)})")


def parse_scenario(data: Any, source: str | None = None) -> Scenario:
    """Validate plain data (from TOML or JSON) into a :class:`Scenario`.

    Raises
    ------
    ScenarioError
        With one :class:`~costmodel.errors.Problem` per thing wrong.

    Examples
    --------
    >>> s = parse_scenario({"name": "x", "organisation": {"units": 5}, "strategies": [
    ...     {"name": "All", "phases": [{"share": 1, "go_live": 2}]}]})
    >>> s.horizon_months, s.strategies[0].phases[0].share
    (36, 1.0)
    """
    if not isinstance(data, dict):
        raise ScenarioError([Problem("", _describe(data), "a scenario must be a table of keys")],
                            source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([_problem(e) for e in exc.errors()], source) from None
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, source) from None
