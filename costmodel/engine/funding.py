"""Funding: the money that pays for the rollout, and the business's cash position.

The project's own flows (costs and benefits) are left as they are; this module adds the
financing flows — loans, grants, leases — to get the business's flows, its cash position
and the yearly budget's use. Equations in ``docs/methodology.md`` ("Funding and budget").
Month-major arrays ``(n_months, n)`` as in the rest of the engine; amounts [currency].
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..funding_schema import Funding, Lease, Loan
from .metrics import cumulative_rows, discount_factors

__all__ = [
    "FundingPlan",
    "LoanSchedule",
    "fiscal_year_starts",
    "fiscal_years",
    "funding_metrics",
    "grant_awards",
    "lease_payments",
    "loan_schedule",
]

@dataclass(frozen=True)
class LoanSchedule:
    """A loan's monthly flows within the horizon, each ``(n_months,)`` [currency].

    ``drawdown`` is the principal received; ``interest`` and ``principal`` the two parts of
    each payment; ``fee`` the arrangement fee; ``settlement`` the balance still owed after
    the last month's payment, repaid in the last month (so a loan running past the
    horizon is not counted as free money).
    """

    drawdown: np.ndarray
    interest: np.ndarray
    principal: np.ndarray
    fee: np.ndarray
    settlement: np.ndarray

    @property
    def net(self) -> np.ndarray:
        """What the loan brings in, month by month: drawdown less everything paid."""
        return self.drawdown - self.interest - self.principal - self.fee - self.settlement


def _annuity(rate: float, periods: int) -> float:
    """Payment per unit borrowed of an annuity in arrears: ``r / (1 - (1 + r)^-N)``."""
    return 1.0 / periods if rate == 0.0 else rate / -np.expm1(-periods * np.log1p(rate))


def _balance(rate: float, periods: int, paid: np.ndarray) -> np.ndarray:
    """Balance per unit borrowed after ``paid`` payments of that annuity."""
    paid = np.asarray(paid, dtype=float)
    if rate == 0.0:
        return 1.0 - paid / periods
    growth = np.exp(paid * np.log1p(rate))
    return growth - _annuity(rate, periods) * (growth - 1.0) / rate


def loan_schedule(loan: Loan, n_months: int) -> LoanSchedule:
    """The monthly flows of ``loan`` over a horizon of ``n_months``.

    Drawn in ``start_month`` (``s``); months ``s+1 .. s+G`` pay interest only
    (``P·r``, ``r = annual_rate/12``); months ``s+G+j``, ``j = 1..N-G``, pay the annuity
    ``P·r/(1-(1+r)^-(N-G))``, split into interest ``r·B(j-1)`` and principal — the
    schedule of numpy-financial's ``pmt``, ``ipmt`` and ``ppmt`` (tested).

    Examples
    --------
    >>> loan = Loan(name="Bank", principal=1200.0, annual_rate=0.0, term_months=12)
    >>> s = loan_schedule(loan, 24)
    >>> float(s.drawdown[0]), float(s.principal[1]), float(s.principal.sum())
    (1200.0, 100.0, 1200.0)
    """
    r = loan.annual_rate / 12.0
    p, s, grace, term = loan.principal, loan.start_month, loan.grace_months, loan.term_months
    periods = term - grace
    out = {name: np.zeros(n_months) for name in ("drawdown", "interest", "principal", "fee",
                                                 "settlement")}
    if s >= n_months:
        return LoanSchedule(**out)
    out["drawdown"][s] = p
    out["fee"][s] = loan.fee
    months = s + np.arange(1, term + 1)
    inside = months < n_months
    j = np.arange(1, term + 1) - grace  # payment number of the annuity (<= 0: grace)
    owed_before = p * _balance(r, periods, np.maximum(j - 1, 0))  # balance before payment
    interest = r * owed_before
    principal = np.where(j >= 1, p * _annuity(r, periods) - interest, 0.0)
    out["interest"][months[inside]] = interest[inside]
    out["principal"][months[inside]] = principal[inside]
    if not inside.all():  # the rest of the balance, repaid at the horizon
        out["settlement"][n_months - 1] = p - principal[inside].sum()
    return LoanSchedule(**out)


def lease_payments(outlays: np.ndarray, lease: Lease) -> tuple[np.ndarray, np.ndarray,
                                                               np.ndarray]:
    """Turn one-time ``outlays`` ``(n_months, n)`` into the lease's monthly payments.

    An outlay ``X`` due in month ``j`` is paid as ``N`` payments ``X·a`` in months
    ``j+1 .. j+N`` (``a`` the annuity factor at ``annual_rate/12``; ``1/N`` at 0 %); the
    balance still owed at the horizon is repaid in the last month. Returns
    ``(payments, settlement, interest)``: payments ``(n_months, n)``, the settlement and
    the interest paid within the horizon, each ``(n,)``.

    Examples
    --------
    >>> lease = Lease(name="Vendor", items=["x"], annual_rate=0.0, term_months=4)
    >>> x = np.zeros((8, 1)); x[1] = 400.0
    >>> payments, settlement, interest = lease_payments(x, lease)
    >>> payments[:, 0].tolist(), float(settlement[0]), float(interest[0])
    ([0.0, 0.0, 100.0, 100.0, 100.0, 100.0, 0.0, 0.0], 0.0, 0.0)
    """
    n_months = outlays.shape[0]
    r, term = lease.annual_rate / 12.0, lease.term_months
    # payments(m) = a · (S(m-1) - S(m-1-N)), S the cumulative outlay: two shifted sums
    cumulative = cumulative_rows(outlays)
    payments = np.zeros_like(outlays)
    payments[1:] = cumulative[:-1]
    if term + 1 < n_months:
        payments[term + 1:] -= cumulative[:n_months - term - 1]
    payments *= _annuity(r, term)
    # balance at the horizon of each month's outlay, after its payments up to month H-1
    made = np.minimum(term, n_months - 1 - np.arange(n_months))
    settlement = _balance(r, term, made) @ outlays
    interest = payments.sum(axis=0) + settlement - outlays.sum(axis=0)
    return payments, settlement, interest


def fiscal_year_starts(n_months: int, first_month: int) -> np.ndarray:
    """First month of each fiscal year within the horizon (a short first year when
    ``first_month > 0``).

    >>> fiscal_year_starts(30, 4).tolist()
    [0, 4, 16, 28]
    """
    starts = np.arange(first_month, n_months, 12)
    return starts if first_month == 0 else np.concatenate([[0], starts])


def fiscal_years(n_months: int, first_month: int) -> np.ndarray:
    """``(n_fiscal_years, n_months)``: 1 where a month belongs to a fiscal year (those of
    :func:`fiscal_year_starts`), so ``years @ flow`` sums a month-major flow by fiscal year.

    >>> fiscal_years(5, 2).tolist()
    [[1.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0, 1.0]]
    """
    starts = fiscal_year_starts(n_months, first_month)
    ends = np.append(starts[1:], n_months)
    month = np.arange(n_months)
    return ((month >= starts[:, None]) & (month < ends[:, None])).astype(float)


@dataclass(frozen=True)
class FundingPlan:
    """The parts of a scenario's funding that are the same in every trial.

    Attributes
    ----------
    loans : ndarray, shape (n_months,)
        Net loan flows (drawdowns less payments, fees and settlements) [currency].
    loan_interest : float
        Interest and fees paid on the loans within the horizon [currency].
    fiscal_starts : ndarray of int
        First month of each fiscal year, for the budget.
    years : ndarray, shape (n_fiscal_years, n_months)
        1 where a month belongs to a fiscal year: ``years @ flow`` sums a month-major flow
        by fiscal year.
    """

    funding: Funding
    n_months: int
    loans: np.ndarray
    loan_interest: float
    fiscal_starts: np.ndarray
    years: np.ndarray

    @classmethod
    def of(cls, funding: Funding, n_months: int) -> FundingPlan:
        schedules = [loan_schedule(loan, n_months) for loan in funding.loans]
        loans = sum((s.net for s in schedules), np.zeros(n_months))
        interest = float(sum(s.interest.sum() + s.fee.sum() for s in schedules))
        first = funding.budget.fiscal_year_start_month if funding.budget else 0
        return cls(funding, n_months, loans, interest, fiscal_year_starts(n_months, first),
                   fiscal_years(n_months, first))

    @property
    def n_fiscal_years(self) -> int:
        return self.fiscal_starts.size

    @functools.cached_property
    def uniform_financing(self) -> np.ndarray | None:
        """The running sum of the financing flows month by month ``(n_months,)``
        [currency] when they are the same in every trial (the loans': no lease, no grant),
        else ``None``."""
        if self.funding.leases or self.funding.grants:
            return None
        return np.add.accumulate(self.loans)

    @functools.cached_property
    def fiscal_year_of_month(self) -> np.ndarray:
        """The fiscal year of each month, ``(n_months,)`` [index]."""
        return np.ascontiguousarray(self.years.argmax(axis=0), dtype=np.int64)



def grant_awards(funding: Funding, draws) -> list:
    """Per grant, whether it is awarded in each trial: its uniform draw below its
    probability; in the point run (no draw), when the probability is at least 0.5."""
    awarded = []
    for k, grant in enumerate(funding.grants):
        u = draws.get(("funding", "grants", k, "@award"), None)
        awarded.append(grant.probability >= 0.5 if u is None else u < grant.probability)
    return awarded


def _grants(plan: FundingPlan, awarded: list, abandoned: np.ndarray, n: int) -> np.ndarray:
    """Grant receipts less clawbacks, ``(n_months, n)``."""
    flows = np.zeros((plan.n_months, n))
    columns = np.arange(n)
    for grant, award in zip(plan.funding.grants, awarded, strict=True):
        received = np.broadcast_to(award, (n,)) & (abandoned > grant.month)
        flows[grant.month] += np.where(received, grant.amount, 0.0)
        back = received & (abandoned < plan.n_months)
        if grant.clawback > 0 and back.any():
            flows[abandoned[back], columns[back]] -= grant.clawback * grant.amount
    return flows


def funding_metrics(plan: FundingPlan, rate: float, project: dict[str, np.ndarray],
                    costs: np.ndarray, benefits: np.ndarray, leased: list[np.ndarray],
                    unbudgeted: np.ndarray | None, abandoned: np.ndarray,
                    grant_awarded: list) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The business view of a block of trials: the project's flows plus its financing.

    Parameters
    ----------
    plan : FundingPlan
    rate : float
        Monthly discount rate.
    project : dict
        The block's project metrics (:func:`~costmodel.engine.metrics.block_metrics`):
        ``"npv"`` and ``"peak_funding_need"`` ``(n,)``, ``"cumulative"`` net cash
        ``(n_months, n)`` and, when given the fiscal years as periods, ``"by_period"``
        (else the costs and benefits are summed by fiscal year here); when given the
        plan's :attr:`~FundingPlan.uniform_financing` and ``-cash_on_hand``,
        ``"business_lowest"`` and ``"months_below"`` (else the cash is run here).
    costs, benefits : ndarray, shape (n_months, n)
        The project's flows.
    leased : list of ndarray, shape (n_months, n)
        Per lease, the outlays of the cost items it finances (within ``costs``).
    unbudgeted : ndarray, shape (n_fiscal_years, n), or None
        Costs outside the budget (the productivity dip, risk-event costs), within ``costs``,
        summed by fiscal year.
    abandoned : ndarray of int, shape (n,)
        Month the project is abandoned (``n_months``: never).
    grant_awarded : list
        Per grant, whether it is awarded, per trial ``(n,)`` or one bool.

    Returns
    -------
    metrics : dict of ndarray, shape (n,)
        Keyed by :data:`costmodel.results.FUNDING_FIELDS`.
    breach : ndarray of bool, shape (n_fiscal_years, n)
        Spending over the cap in each fiscal year (all ``False`` without a budget). The
        budget's spend is the costs as paid (leased items as their payments, not the
        horizon's settlement), less the unbudgeted costs, less the benefits when savings
        count.
    """
    n_months, n = costs.shape
    funding = plan.funding
    if funding.empty:  # the business view is the project's
        peak = project["peak_funding_need"]
        negative = np.count_nonzero(project["cumulative"] < 0.0, axis=0)
        return ({"business_npv": project["npv"], "interest_paid": np.zeros(n),
                 "peak_cash_need": peak, "min_cash": -peak,
                 "months_negative_cash": negative.astype(float), "budget_overshoot": np.zeros(n)},
                np.zeros((plan.n_fiscal_years, n), dtype=bool))
    # financing flows: what the leases defer (outlay less payments; the balance settled in
    # the last month), the loans and the grants -- summed, run and discounted in one
    # compiled pass with the budget's spend by fiscal year
    from costmodel._kernels import business_pass  # numba: loaded on first use

    interest = np.full(n, plan.loan_interest)
    settlements = np.zeros(n)
    deferred = None
    for lease, outlays in zip(funding.leases, leased, strict=True):
        payments, settlement, lease_interest = lease_payments(outlays, lease)
        deferred = outlays - payments if deferred is None else deferred + (outlays - payments)
        settlements += settlement
        interest += lease_interest
    budget = funding.budget
    empty = np.empty((0, n))
    per_trial = np.empty((3, n))
    by_year = np.empty((0, n))
    if budget is not None:  # the costs (the leases' items as paid, below), less the savings
        if "by_period" in project:
            by_year = project["by_period"][0].copy()
            if budget.savings_count:
                by_year -= project["by_period"][1]
        else:
            by_year = plan.years @ (costs - benefits if budget.savings_count else costs)
        if unbudgeted is not None:
            by_year -= unbudgeted
    discount = discount_factors(rate, n_months)
    if "business_lowest" in project and plan.uniform_financing is not None:
        # the cash was run with the project's (block_metrics): the same sums, in one pass
        per_trial[0] = np.add.accumulate(discount * plan.loans)[-1] if n_months else 0.0
        per_trial[1], per_trial[2] = project["business_lowest"], project["months_below"]
    else:
        business_pass(
            np.ascontiguousarray(project["cumulative"]), empty if deferred is None else deferred,
            settlements, plan.loans, _grants(plan, grant_awarded, abandoned, n)
            if funding.grants else empty, discount, float(funding.cash_on_hand),
            plan.fiscal_year_of_month, per_trial, by_year)
    present, lowest, negative = per_trial
    metrics = {
        "business_npv": project["npv"] + present,
        "interest_paid": interest,
        "peak_cash_need": np.maximum(0.0, -lowest),
        "min_cash": lowest + funding.cash_on_hand,
        "months_negative_cash": negative,
        "budget_overshoot": np.zeros(n),
    }
    breach = np.zeros((plan.n_fiscal_years, n), dtype=bool)
    if budget is not None:
        over = by_year - budget.yearly_cap
        breach = over > 1e-9 * budget.yearly_cap
        metrics["budget_overshoot"] = np.where(breach, over, 0.0).sum(axis=0)
    return metrics, breach
