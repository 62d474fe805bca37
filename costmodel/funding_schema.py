"""The scenario's funding section: cash on hand, loans, grants, leases and the budget.

Money that pays for the rollout, kept apart from the project's own flows (see
``docs/methodology.md``, "Funding and budget"). Units in brackets as in
:mod:`costmodel.scenario`. Every number here is plain (loans and leases are contracts);
the one chance is a grant's award, drawn after every other input so that adding funding
to a scenario changes none of its other draws.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, field_validator

from .fields import Model, Name, Text

__all__ = ["Budget", "Funding", "Grant", "Lease", "Loan"]

Months = Annotated[int, Field(ge=0, le=600)]
Term = Annotated[int, Field(ge=1, le=600)]


def _yearly_rate(rate: float) -> float:
    if not math.isfinite(rate):
        raise ValueError(f"{rate!r} is not a finite number — give the yearly rate, e.g. 0.06")
    if 1 < rate <= 100:
        raise ValueError(f"{rate:g} looks like a percentage — write {rate / 100:g} for "
                         f"{rate:g} % a year")
    if not 0 <= rate <= 1:
        raise ValueError(f"{rate:g} is outside [0, 1] — give the yearly rate as a fraction, "
                         "e.g. 0.06 for 6 %")
    return rate


class _WithYearlyRate(Model):
    """A contract with an ``annual_rate``, checked as a yearly fraction (not a percentage)."""

    @field_validator("annual_rate", check_fields=False)
    @classmethod
    def _rate_is_a_fraction(cls, rate: float) -> float:
        return _yearly_rate(rate)


class Loan(_WithYearlyRate):
    """A loan that pays for the rollout: drawn in ``start_month``, interest only for
    ``grace_months``, then repaid in equal monthly payments (an annuity) over the rest of
    ``term_months``.

    Attributes
    ----------
    principal : float
        Amount borrowed [currency].
    annual_rate : float
        Nominal yearly interest rate; the monthly rate is ``annual_rate / 12`` [1/year].
    term_months : int
        Months from the drawdown to the last payment, grace included [months].
    start_month : int
        Month the money arrives [month index].
    grace_months : int
        First months with interest only [months], fewer than ``term_months``.
    fee : float
        One-off arrangement fee paid at the drawdown [currency].
    """

    name: Name
    principal: Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
    annual_rate: float
    term_months: Term
    start_month: Months = 0
    grace_months: Months = 0
    fee: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] = 0.0
    note: Text = ""



class Grant(Model):
    """A grant or subsidy: received in ``month`` if awarded (with ``probability``) and
    the project has not been abandoned by then; ``clawback`` of it is repaid in the month
    the project is abandoned, if it is.

    Attributes
    ----------
    amount : float
        Amount received [currency].
    month : int
        Month it is paid [month index].
    probability : float
        Chance it is awarded [fraction, 0-1].
    clawback : float
        Share repaid if the project is abandoned after receiving it [fraction, 0-1].
    """

    name: Name
    amount: Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
    month: Months
    probability: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0
    clawback: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    note: Text = ""


class Lease(_WithYearlyRate):
    """Vendor financing or a lease: each named one-time cost item is paid in equal
    monthly payments over ``term_months`` from the month after it falls due, at
    ``annual_rate``.

    Attributes
    ----------
    items : list of str
        Names of one-time cost items (``costs[*].name``) it finances.
    annual_rate : float
        Nominal yearly rate; monthly ``annual_rate / 12`` [1/year]. At 0 the cost is spread
        evenly.
    term_months : int
        Number of monthly payments [months].
    """

    name: Name
    items: Annotated[list[Name], Field(min_length=1, max_length=50)]
    annual_rate: float = 0.0
    term_months: Term
    note: Text = ""



class Budget(Model):
    """A yearly cap on AI spend.

    Attributes
    ----------
    yearly_cap : float
        Most the rollout may spend in one fiscal year [currency/year].
    fiscal_year_start_month : int
        Month of the horizon (0-11) at which fiscal years start; the months before it
        make a short first fiscal year [month index].
    savings_count : bool
        ``True``: the benefits realised in a fiscal year offset its spending (a
        self-funding rollout); ``False``: the cap is on spending alone.
    policy : {"flag", "defer"}
        ``flag`` reports breaches. ``defer``: each phase goes live in the first month its
        costs fit under the cap in every fiscal year (a self-funding rollout); a strategy
        may set its own ``budget_policy``.
    """

    yearly_cap: Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
    fiscal_year_start_month: Annotated[int, Field(ge=0, le=11)] = 0
    savings_count: bool = True
    policy: Literal["flag", "defer"] = "flag"


class Funding(Model):
    """How the rollout is paid for. Every part is optional; without any, the business
    view equals the project view.

    Attributes
    ----------
    cash_on_hand : float
        Cash available for the project at month 0 [currency].
    """

    cash_on_hand: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] = 0.0
    loans: Annotated[list[Loan], Field(max_length=20)] = []
    grants: Annotated[list[Grant], Field(max_length=20)] = []
    leases: Annotated[list[Lease], Field(max_length=20)] = []
    budget: Budget | None = None

    @property
    def empty(self) -> bool:
        """No cash, loan, grant, lease or budget: the business view is the project's."""
        return not (self.cash_on_hand or self.loans or self.grants or self.leases
                    or self.budget)
