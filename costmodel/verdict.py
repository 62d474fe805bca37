"""The numbers and words a reader sees first, derived from :class:`~costmodel.results.Results`.

Everything the dashboard shows that is not a raw summary figure is computed here, so the
views stay free of arithmetic: the per-strategy cards, the plain-language verdict, the
share of trials paid back by each month, the change against the scenario as saved, and the
formatting of money, shares, odds and months in the scenario's currency.

Examples
--------
>>> money(-42_300, "USD", compact=True)
'−$42k'
>>> odds(0.25)
'1 case in 4'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .results import Results, StrategyResult

__all__ = [
    "Card",
    "cards",
    "currency_symbol",
    "describe_strategy",
    "money",
    "months",
    "npv_change",
    "odds",
    "paid_back_share",
    "percent",
    "verdict",
]

#: Symbols written before the amount; other currencies are written as their code.
_SYMBOLS = (("USD", "$"), ("EUR", "€"), ("GBP", "£"), ("JPY", "¥"), ("INR", "₹"),
            ("AUD", "A$"), ("CAD", "C$"), ("NZD", "NZ$"))

MINUS = "−"  # a typographic minus, the width of a digit


def currency_symbol(currency: str) -> str:
    """``"$"`` for USD, ``"€"`` for EUR, …; other codes followed by a space (``"CHF "``).

    Examples
    --------
    >>> currency_symbol("EUR"), currency_symbol("CHF")
    ('€', 'CHF ')
    """
    return dict(_SYMBOLS).get(currency, f"{currency} ")


def money(value: float, currency: str, *, compact: bool = False, signed: bool = False) -> str:
    """An amount in ``currency`` with thousands separators; ``"n/a"`` when not finite.

    ``compact`` writes thousands as ``k`` and millions as ``M`` (``$42k``, ``$1.3M``);
    ``signed`` puts a ``+`` before positive amounts (for differences).

    Examples
    --------
    >>> money(26_925.4, "USD"), money(1_250_000, "EUR", compact=True)
    ('$26,925', '€1.2M')
    >>> money(4_730, "USD", compact=True, signed=True)
    '+$4.7k'
    """
    if not math.isfinite(value):
        return "n/a"
    sign = MINUS if value < 0 else ("+" if signed and value > 0 else "")
    size = abs(value)
    symbol = currency_symbol(currency)
    if not compact or size < 1_000:
        return f"{sign}{symbol}{size:,.0f}"
    if size < 1_000_000:
        digits = ".1f" if size < 10_000 else ".0f"
        return f"{sign}{symbol}{size / 1_000:{digits}}k"
    return f"{sign}{symbol}{size / 1_000_000:,.1f}M"


def percent(share: float, digits: int = 0) -> str:
    """A share [fraction, 0-1] as a percentage: ``percent(0.704)`` is ``'70 %'``."""
    if not math.isfinite(share):
        return "n/a"
    return f"{share * 100:.{digits}f} %"


def months(value: float) -> str:
    """Months with one decimal; ``"never"`` for an infinite payback.

    Examples
    --------
    >>> months(11.26), months(float("inf"))
    ('11.3 months', 'never')
    """
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "never"
    return f"{value:.1f} months"


def odds(share: float) -> str:
    """A probability in words a business owner uses: ``'1 case in 4'``, ``'3 cases in 10'``.

    Examples
    --------
    >>> [odds(p) for p in (0.0, 0.02, 0.33, 0.3, 0.62)]
    ['no case', '1 case in 50', '1 case in 3', '3 cases in 10', '6 cases in 10']
    """
    if not math.isfinite(share):
        return "n/a"
    if share <= 0.0:
        return "no case"
    if share < 0.001:
        return "fewer than 1 case in 1,000"
    if share > 0.95:
        return "almost every case"
    one_in = round(1.0 / share)
    if one_in >= 2 and abs(1.0 / one_in - share) <= 0.1 * share:
        return f"1 case in {one_in:,}"
    return f"{max(1, min(9, round(share * 10)))} cases in 10"


@dataclass(frozen=True)
class Card:
    """The headline figures of one strategy.

    Attributes
    ----------
    strategy : str
    npv_mean, npv_p10, npv_p90 : float
        Expected NPV and its 10th and 90th percentiles [currency].
    npv_mean_se : float
        Monte Carlo standard error of the expected NPV [currency].
    prob_npv_positive : float
        Share of trials with NPV above 0 [fraction, 0-1].
    payback_p50, payback_p10, payback_p90 : float
        Median payback and its 10th and 90th percentiles [months]; ``inf`` = never.
    prob_payback : float
        Share of trials that pay back within the horizon [fraction, 0-1].
    peak_cash_mean, peak_cash_p90 : float
        Peak cash need after financing (the deepest point of the business's cumulative
        cash; without a funding section, the project's): mean and 90th percentile
        [currency].
    prob_budget_breach : float or None
        Share of trials over the yearly budget in some fiscal year [fraction, 0-1];
        ``None`` when the scenario sets no budget.
    """

    strategy: str
    npv_mean: float
    npv_mean_se: float
    npv_p10: float
    npv_p90: float
    prob_npv_positive: float
    payback_p50: float
    payback_p10: float
    payback_p90: float
    prob_payback: float
    peak_cash_mean: float
    peak_cash_p90: float
    prob_budget_breach: float | None = None


def _card(strategy: StrategyResult) -> Card:
    s = strategy.summary
    return Card(
        strategy=strategy.name,
        npv_mean=s.npv.mean, npv_mean_se=s.npv.mean_se, npv_p10=s.npv.p10, npv_p90=s.npv.p90,
        prob_npv_positive=s.prob_npv_positive,
        payback_p50=s.payback_months.p50, payback_p10=s.payback_months.p10,
        payback_p90=s.payback_months.p90, prob_payback=s.prob_payback_within_horizon,
        peak_cash_mean=s.funding.peak_cash_need.mean, peak_cash_p90=s.funding.peak_cash_need.p90,
        prob_budget_breach=s.funding.prob_budget_breach,
    )


def cards(results: Results) -> tuple[Card, ...]:
    """One :class:`Card` per strategy, in scenario order."""
    return tuple(_card(strategy) for strategy in results.strategies)


def paid_back_share(strategy: StrategyResult, horizon_months: int) -> np.ndarray:
    """Share of trials paid back by the end of each month ``0 … horizon_months - 1``.

    Returns
    -------
    ndarray, shape (horizon_months,)
        ``share[m]`` = share of trials whose simple payback is at most ``m + 1`` months
        (payback is measured in fractional months from the start) [fraction, 0-1].
    """
    payback = np.sort(np.asarray(strategy.metrics.payback_months))
    ends = np.arange(1, horizon_months + 1, dtype=float)
    return np.searchsorted(payback, ends, side="right") / max(payback.size, 1)


def npv_change(results: Results, baseline: Results) -> dict[str, float]:
    """Expected NPV of each strategy minus the same strategy's in ``baseline``
    [currency]; strategies missing from ``baseline`` are left out."""
    out = {}
    for strategy in results.strategies:
        if strategy.name in baseline.names:
            out[strategy.name] = (strategy.summary.npv.mean
                                  - baseline[strategy.name].summary.npv.mean)
    return out


def _loss_phrase(card: Card) -> str:
    loss = 1.0 - card.prob_npv_positive
    if loss <= 0.0:
        return "never loses money in these trials"
    return f"loses money in {odds(loss)}"


def _single(card: Card, currency: str) -> str:
    payback = (f"pays back in a median {months(card.payback_p50)}"
               if math.isfinite(card.payback_p50) else "does not pay back in most cases")
    return (f"{card.strategy} has an expected NPV of {money(card.npv_mean, currency)} "
            f"({money(card.npv_p10, currency, compact=True)} to "
            f"{money(card.npv_p90, currency, compact=True)} in 8 cases in 10); it "
            f"{payback}; it {_loss_phrase(card)}.")


def describe_strategy(card: Card, currency: str) -> str:
    """One plain-language sentence on one strategy: expected NPV with its P10-P90 range,
    median payback and the chance of losing money."""
    return _single(card, currency)


def verdict(results: Results) -> str:
    """One plain-language sentence: which strategy to prefer, how often it wins on the
    same draws, what it does to peak cash, and the chance of losing money.

    The leader is the strategy with the highest expected NPV; it is compared with the
    runner-up, paired (``Results.compare``). When the leader wins on average but loses in
    most trials, the sentence says so.
    """
    currency = results.scenario.currency
    found = cards(results)
    if len(found) == 1:
        return _single(found[0], currency)
    ranked = sorted(found, key=lambda c: c.npv_mean, reverse=True)
    leader, runner_up = ranked[0], ranked[1]
    comparison = results.compare(leader.strategy, runner_up.strategy)
    wins = comparison.prob_a_beats_b
    gap = money(comparison.mean_delta_npv, currency, compact=True)
    if wins >= 0.5:
        head = (f"{leader.strategy} beats {runner_up.strategy} in {percent(wins)} of cases "
                f"and by {gap} on average")
    else:
        head = (f"{leader.strategy} has the higher expected NPV (by {gap}), but "
                f"{runner_up.strategy} comes out ahead in {percent(1.0 - wins)} of cases")
    cash_gap = runner_up.peak_cash_mean - leader.peak_cash_mean
    if abs(cash_gap) < 500:
        cash = f"{leader.strategy} needs about the same peak cash"
    else:
        more_or_less = "less" if cash_gap > 0 else "more"
        cash = (f"{leader.strategy} needs {money(abs(cash_gap), currency, compact=True)} "
                f"{more_or_less} peak cash")
    riskiest = max(found, key=lambda c: 1.0 - c.prob_npv_positive)
    return f"{head}; {cash}; {riskiest.strategy} {_loss_phrase(riskiest)}."
