"""The vectorised engine: rollout and adoption, costs, benefits, cash-flow assembly.

Pure functions on arrays. Inside the engine arrays are month-major,
``(n_months, n_trials)``; what leaves it through :mod:`costmodel.simulate` is trials-first.
"""

from .cashflow import DISRUPTION_CATEGORY, StrategyFlows, strategy_cash_flows

__all__ = ["DISRUPTION_CATEGORY", "StrategyFlows", "strategy_cash_flows"]
