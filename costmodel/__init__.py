"""costmodel: an AI adoption cost-benefit calculator.

Projects ROI, NPV, IRR, payback and their Monte Carlo uncertainty for phased versus
all-at-once rollouts of an AI tool.

>>> import costmodel
>>> from pathlib import Path
>>> scenario = costmodel.load_scenario(
...     Path(costmodel.__file__).parents[1] / "scenarios" / "customer_service_assistant.toml")
>>> results = costmodel.simulate(scenario, trials=2_000, seed=7)
>>> results.names
('All at once', 'Pilot, then two waves')
"""

from .errors import CostModelError, Problem, ScenarioError, ScenarioFileError, StoreError
from .results import Results, StrategyResult
from .scenario import Scenario, parse_scenario
from .simulate import simulate, simulate_point
from .store import load_scenario, save_scenario

__all__ = [
    "CostModelError",
    "Problem",
    "Results",
    "Scenario",
    "ScenarioError",
    "ScenarioFileError",
    "StoreError",
    "StrategyResult",
    "load_scenario",
    "parse_scenario",
    "save_scenario",
    "simulate",
    "simulate_point",
]
