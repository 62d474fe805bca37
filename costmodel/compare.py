"""Comparing scenarios: side-by-side results, the assumptions that differ, and where the
difference in expected NPV comes from.

:func:`compare` runs every scenario with the same trials, seed and sampler, lists the
assumptions that differ between the first scenario (the *base*) and each other one
(:class:`Change`, a flattened path such as ``costs[CRM integration].amount``), and
attributes the difference in each common strategy's expected NPV to the changes
(:class:`Attribution`):

* **Hybrids on the same draws.** For a set ``S`` of changes, the *hybrid* is the base with
  the changes in ``S`` switched to the other scenario's values; ``v(S)`` is its expected NPV,
  simulated with the same seed, sampler and trial count as every other hybrid. Items of a
  list (costs, benefits, strategies, risks, loans, grants, leases) are matched by name, so
  the draw of an input does not depend on where its item sits in the file.
* **Order-independent average (Shapley).** With at most ``max_exact`` changes every subset
  is run (``2**k`` hybrids) and change ``i`` gets the average of its marginal effect
  ``v(S + i) - v(S)`` over every order of switching the changes:
  ``phi_i = sum over S without i of |S|! (k - |S| - 1)! / k! * (v(S + i) - v(S))``.
  With more changes they are switched one at a time in the listed (file) order and each
  gets its step ``v(first i) - v(first i - 1)`` (``k + 1`` runs); the result says which.
  Either way the contributions add up to ``v(all) - v(none)``, the difference of the two
  scenarios' expected NPVs, exactly (up to floating-point rounding).
* **Common random numbers.** A hybrid's draws are common with the base's when its
  uncertain inputs are the same, in the same order (the simulation draws one design
  column per uncertain input). Changes of a number or of a distribution's parameters keep
  that; a change that makes an input fixed or uncertain, or adds or removes an item with
  uncertain inputs or a risk, changes the design, and the hybrids then carry sampling noise
  (they still add up exactly). :attr:`Attribution.common_draws` says which case holds.

Names, descriptions, notes and the ``[simulation]`` settings are listed among the
differences but not attributed (they change no cash flow, or are overridden by the
comparison's own trials, seed and sampler).
"""

from __future__ import annotations

import copy
import itertools
import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .errors import CostModelError, ScenarioError
from .results import Results, standard_error
from .scenario import Scenario, parse_scenario
from .simulate import simulate
from .uncertainty import uncertain_inputs

__all__ = [
    "DEFAULT_TRIALS",
    "MAX_EXACT",
    "Attribution",
    "Change",
    "CompareError",
    "Comparison",
    "Contribution",
    "compare",
    "differences",
    "format_value",
]

#: Largest number of changes attributed by the exact (all-orders) average.
MAX_EXACT = 8
#: Trials per run when the first scenario asks for more (the attribution runs the model
#: up to ``2**MAX_EXACT`` times).
DEFAULT_TRIALS = 4_096

#: Lists whose items carry a unique ``name`` and are matched by it.
_NAMED_LISTS = frozenset({"costs", "benefits", "strategies", "risks", "loans", "grants",
                          "leases"})
_DISTRIBUTIONS = frozenset({"pert", "triangular", "uniform", "normal", "range90", "beta"})
_MISSING = object()


def _json_number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


class CompareError(CostModelError):
    """Scenarios that cannot be compared (fewer than two, or a mix that is not valid)."""


@dataclass(frozen=True)
class Change:
    """One assumption that differs between the base and another scenario.

    Attributes
    ----------
    path : str
        Where, with list items named: ``costs[CRM integration].amount``.
    base, other : Any
        The plain-data value in each (``None`` where absent: an item added or removed).
    kind : {"changed", "added", "removed"}
    attributed : bool
        Whether it is one of the changes the NPV difference is attributed to.
    """

    path: str
    keys: tuple
    base: Any
    other: Any
    kind: Literal["changed", "added", "removed"]
    attributed: bool

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "base": self.base, "other": self.other,
                "attributed": self.attributed}


@dataclass(frozen=True)
class Contribution:
    """The part of the expected-NPV difference owed to one change (or group) [currency]."""

    change: str
    value: float


@dataclass(frozen=True)
class Attribution:
    """The difference in one strategy's expected NPV between two scenarios, split into
    the changes' contributions (they sum to :attr:`total`).

    Attributes
    ----------
    strategy : str
    base, other : str
        The scenarios' names.
    base_npv, other_npv : float
        Expected NPV in each [currency].
    total_se : float
        Monte Carlo standard error of the difference [currency] (paired when the draws
        are common).
    contributions : tuple of Contribution
    method : {"shapley", "sequential"}
        The average over every order, or one order (the listed one).
    common_draws : bool
        Whether every hybrid ran on the same draws (see the module docstring).
    runs : int
        Hybrid scenarios simulated.
    """

    strategy: str
    base: str
    other: str
    base_npv: float
    other_npv: float
    total_se: float
    contributions: tuple[Contribution, ...]
    method: Literal["shapley", "sequential"]
    common_draws: bool
    runs: int
    note: str = ""

    @property
    def total(self) -> float:
        """``other_npv - base_npv`` [currency]."""
        return self.other_npv - self.base_npv

    def to_json(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "base": self.base, "other": self.other,
                "base_npv": _json_number(self.base_npv),
                "other_npv": _json_number(self.other_npv),
                "total": _json_number(self.total), "total_se": _json_number(self.total_se),
                "method": self.method, "common_draws": self.common_draws, "runs": self.runs,
                "note": self.note,
                "contributions": [{"change": c.change, "value": _json_number(c.value)}
                                  for c in self.contributions]}


@dataclass(frozen=True)
class Comparison:
    """The answer of :func:`compare`.

    Attributes
    ----------
    results : tuple of Results
        One run per scenario, in the order given, all with the same settings.
    differences : tuple of tuple of Change
        For each scenario after the first, the changes from the first.
    attributions : tuple of Attribution
        For each scenario after the first and each strategy it shares (by name) with the
        first.
    """

    results: tuple[Results, ...]
    differences: tuple[tuple[Change, ...], ...]
    attributions: tuple[Attribution, ...]
    trials: int
    seed: int
    sampler: str

    @property
    def scenarios(self) -> tuple[Scenario, ...]:
        return tuple(r.scenario for r in self.results)

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per scenario and strategy: expected NPV and its standard error, P10
        and P90 [currency], P(NPV > 0) [fraction], median payback [months] and mean peak
        funding need [currency]."""
        rows = []
        for results in self.results:
            for strategy in results.strategies:
                s = strategy.summary
                rows.append({"scenario": results.scenario.name, "strategy": strategy.name,
                             "npv_mean": s.npv.mean, "npv_se": s.npv.mean_se,
                             "npv_p10": s.npv.p10, "npv_p90": s.npv.p90,
                             "prob_npv_positive": s.prob_npv_positive,
                             "payback_p50": s.payback_months.p50,
                             "peak_funding_need": s.peak_funding_need.mean})
        return rows

    def common_strategies(self) -> list[str]:
        """Strategies (by name) found in every compared scenario, in the first's order."""
        names = [set(r.names) for r in self.results[1:]]
        return [n for n in self.results[0].names if all(n in other for other in names)]

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``compare --json`` object."""
        base = self.results[0].scenario.name
        return {
            "settings": {"trials": self.trials, "seed": self.seed, "sampler": self.sampler},
            "scenarios": [r.to_json() for r in self.results],
            "differences": [{"base": base, "other": r.scenario.name,
                             "changes": [c.to_json() for c in changes]}
                            for r, changes in zip(self.results[1:], self.differences,
                                                  strict=True)],
            "attributions": [a.to_json() for a in self.attributions],
        }


# --- differences ---------------------------------------------------------------------


def _plain(scenario: Scenario) -> dict[str, Any]:
    """Every field, defaults included (so an explicit default is no difference)."""
    return scenario.to_data()


def _is_leaf(value: Any) -> bool:
    return not isinstance(value, dict) or (len(value) == 1 and next(iter(value))
                                           in _DISTRIBUTIONS)


def _named(items: Any) -> bool:
    if not isinstance(items, list) or not all(isinstance(x, dict) and "name" in x
                                               for x in items):
        return False
    names = [x["name"] for x in items]
    return len(set(names)) == len(names)


def _attributed(keys: tuple) -> bool:
    last = keys[-1] if keys else ""
    if keys[:1] in (("simulation",), ("schema_version",), ("name",), ("description",)):
        return False
    return last not in ("note", "description")


def _walk(base: Any, other: Any, keys: tuple, path: str) -> Iterator[Change]:
    if isinstance(base, dict) and isinstance(other, dict) and not (
            _is_leaf(base) or _is_leaf(other)) and base.get("kind") == other.get("kind"):
        for key in [*base, *(k for k in other if k not in base)]:
            yield from _walk(base.get(key, _MISSING), other.get(key, _MISSING), (*keys, key),
                             f"{path}.{key}" if path else key)
        return
    if keys and keys[-1] in _NAMED_LISTS and _named(base) and _named(other):
        in_base = {x["name"]: x for x in base}
        in_other = {x["name"]: x for x in other}
        for name in [*in_base, *(n for n in in_other if n not in in_base)]:
            here, where = (*keys, ("#", name)), f"{path}[{name}]"
            if name not in in_other:
                yield Change(where, here, in_base[name], None, "removed", True)
            elif name not in in_base:
                yield Change(where, here, None, in_other[name], "added", True)
            else:
                yield from _walk(in_base[name], in_other[name], here, where)
        return
    if base != other:
        kind = "added" if base is _MISSING else "removed" if other is _MISSING else "changed"
        yield Change(path, keys, None if base is _MISSING else base,
                     None if other is _MISSING else other, kind, _attributed(keys))


def differences(base: Scenario, other: Scenario) -> tuple[Change, ...]:
    """The assumptions that differ from ``base`` to ``other``, in file order.

    Examples
    --------
    >>> a = parse_scenario({"name": "Ours", "organisation": {"units": 5}, "strategies": [
    ...     {"name": "All", "phases": [{"share": 1, "go_live": 2}]}]})
    >>> b = parse_scenario({**a.to_data(), "name": "Vendor", "discount_rate": 0.08})
    >>> [(c.path, c.base, c.other, c.attributed) for c in differences(a, b)]
    [('name', 'Ours', 'Vendor', False), ('discount_rate', 0.1, 0.08, True)]
    """
    return tuple(_walk(_plain(base), _plain(other), (), ""))


def format_value(value: Any) -> str:
    """A short text of a plain-data value for a table (``{pert = [1, 2, 3]}``)."""
    if value is None:
        return "—"
    if isinstance(value, dict) and _is_leaf(value):
        (key, inner), = value.items()
        return f"{key} {json.dumps(inner, separators=(', ', ': '))}"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,}" if abs(value) >= 1000 else f"{value:g}"
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."


# --- hybrids ---------------------------------------------------------------------------


def _locate(data: dict, keys: tuple) -> tuple[Any, Any]:
    """The container of the last key and that key (a list index for named items)."""
    node: Any = data
    for key in keys[:-1]:
        node = node[_index(node, key)]
    return node, keys[-1]


def _index(node: Any, key: Any) -> Any:
    if isinstance(key, tuple):
        for i, item in enumerate(node):
            if item.get("name") == key[1]:
                return i
        raise KeyError(key[1])
    return key


def _apply(data: dict, change: Change, other: dict) -> None:
    container, key = _locate(data, change.keys)
    if change.kind == "removed" and isinstance(key, tuple):
        del container[_index(container, key)]
    elif change.kind == "added" and isinstance(key, tuple):
        # at its place in the other scenario, as far as the list allows
        source, _ = _locate(other, change.keys)
        position = _index(source, key)
        container.insert(min(position, len(container)), copy.deepcopy(change.other))
    elif change.kind == "removed":
        container.pop(key, None)
    else:
        container[_index(container, key)] = copy.deepcopy(change.other)


def _groups(changes: Sequence[Change], coarse: bool) -> list[tuple[str, list[Change]]]:
    """Changes as attributed: one each, or (``coarse``) one per top-level item."""
    if not coarse:
        return [(c.path, [c]) for c in changes]
    out: dict[tuple, tuple[str, list[Change]]] = {}
    for change in changes:
        owner = change.keys[:2] if change.keys[0] in _NAMED_LISTS | {"funding"} else \
            change.keys[:1]
        label = change.path.split(".")[0] if change.keys[0] in _NAMED_LISTS else owner[0]
        if change.keys[0] == "funding" and len(change.keys) > 1:
            label = f"funding.{change.keys[1]}"
        out.setdefault(owner, (label, []))[1].append(change)
    return list(out.values())


class _Runner:
    """Simulates hybrids once each (keyed by canonical JSON) with fixed settings."""

    def __init__(self, trials: int, seed: int, sampler: str,
                 progress: Callable[[int, int], None] | None):
        self.trials, self.seed, self.sampler = trials, seed, sampler
        self.cache: dict[str, Results] = {}
        self.progress = progress
        self.done = 0
        self.total = 0

    def run(self, scenario: Scenario) -> Results:
        key = scenario.canonical_json()
        if key not in self.cache:
            self.cache[key] = simulate(scenario, trials=self.trials, seed=self.seed,
                                       sampler=self.sampler)
            self.done += 1
            if self.progress is not None:
                self.progress(self.done, max(self.total, self.done))
        return self.cache[key]


def _layout(scenario: Scenario) -> tuple:
    """What fixes the columns of the design and the generator's later draws."""
    def named(path: tuple) -> tuple:
        out: list[Any] = []
        node: Any = scenario
        for part in path:
            node = node[part] if isinstance(part, int) else getattr(node, part)
            out.append(getattr(node, "name", part) if isinstance(part, int) else part)
        return tuple(out)

    return (tuple(named(i.path) for i in uncertain_inputs(scenario)),
            tuple(r.name for r in scenario.risks),
            tuple(s.name for s in scenario.strategies if s.gate is not None
                  and s.gate.noise > 0),
            len(scenario.funding.grants))


def _hybrid(base: dict, other: dict, groups: Sequence[list[Change]],
            chosen: Sequence[int]) -> Scenario:
    data = copy.deepcopy(base)
    for k in chosen:
        for change in groups[k]:
            _apply(data, change, other)
    return parse_scenario(data)


def _shapley(values: dict[frozenset, np.ndarray], k: int) -> list[np.ndarray]:
    """Each player's average marginal contribution over every order."""
    weights = [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k)
               for s in range(k)]
    out = []
    for i in range(k):
        terms = [weights[len(subset)] * (values[subset | {i}] - values[subset])
                 for subset in values if i not in subset]
        out.append(np.sum(terms, axis=0))
    return out


def _attribute(base_scenario: Scenario, other_scenario: Scenario, changes: Sequence[Change],
               runner: _Runner, max_exact: int) -> list[Attribution]:
    base, other = _plain(base_scenario), _plain(other_scenario)
    common = [s.name for s in base_scenario.strategies
              if s.name in {t.name for t in other_scenario.strategies}]
    if not common:
        return []
    attributed = [c for c in changes if c.attributed]
    for coarse in (False, True, None):  # per change, per item, all together
        labelled = (_groups(attributed, coarse) if coarse is not None else
                    [("all the changes together", list(attributed))] if attributed else [])
        groups = [g for _, g in labelled]
        k = len(groups)
        method: Literal["shapley", "sequential"] = "shapley" if k <= max_exact else "sequential"
        subsets = ([frozenset(s) for n in range(k + 1)
                    for s in itertools.combinations(range(k), n)] if method == "shapley"
                   else [frozenset(range(n)) for n in range(k + 1)])
        try:
            hybrids = {s: _hybrid(base, other, groups, sorted(s)) for s in subsets}
            break
        except ScenarioError as exc:
            problem = exc
    else:
        raise CompareError(f"the changes from {base_scenario.name!r} to "
                           f"{other_scenario.name!r} cannot be switched one at a time: a mix "
                           f"of the two is not a valid scenario ({problem})")
    runner.total += len(hybrids)
    results = {s: runner.run(h) for s, h in hybrids.items()}
    full, empty = frozenset(range(k)), frozenset()
    layouts = {_layout(h) for h in hybrids.values()}
    common_draws = len(layouts) == 1
    values = {s: np.array([r[name].summary.npv.mean for name in common])
              for s, r in results.items()}
    if method == "shapley":
        parts = _shapley(values, k)
    else:
        parts = [values[frozenset(range(i + 1))] - values[frozenset(range(i))]
                 for i in range(k)]
    notes = []
    if coarse:
        notes.append("some changes only make a valid scenario together, so they are "
                     "attributed per item")
    elif coarse is None:
        first = problem.problems[0]
        notes.append(f"a mix of the two is not a valid scenario (e.g. {first.path}: "
                     f"{first.message}), so the difference is not split between the changes")
    if method == "sequential":
        notes.append(f"{k} changes: switched one at a time in the order listed (an average "
                     f"over every order needs at most {max_exact})")
    if not common_draws:
        notes.append("the changes alter which inputs are uncertain, so the hybrids draw "
                     "different designs and each contribution carries sampling noise")
    out = []
    for j, name in enumerate(common):
        a, b = results[empty][name], results[full][name]
        delta = np.asarray(b.metrics.npv) - np.asarray(a.metrics.npv)
        se = (standard_error(delta, a.replicate_starts) if common_draws else
              math.hypot(a.summary.npv.mean_se, b.summary.npv.mean_se))
        out.append(Attribution(
            strategy=name, base=base_scenario.name, other=other_scenario.name,
            base_npv=float(values[empty][j]), other_npv=float(values[full][j]),
            total_se=float(se),
            contributions=tuple(Contribution(label, float(part[j]))
                                for (label, _), part in zip(labelled, parts, strict=True)),
            method=method, common_draws=common_draws, runs=len(hybrids),
            note="; ".join(notes)))
    return out


def compare(scenarios: Sequence[Scenario], *, trials: int | None = None,
            seed: int | None = None, sampler: str | None = None, max_exact: int = MAX_EXACT,
            progress: Callable[[int, int], None] | None = None) -> Comparison:
    """Compare scenarios: results side by side, the differing assumptions, and the
    attribution of each difference in expected NPV (see the module docstring).

    Parameters
    ----------
    scenarios : sequence of Scenario
        At least two; the first is the base the others are compared with.
    trials, seed, sampler : optional
        One setting for every run. Defaults: the first scenario's seed and sampler, and
        its trial count up to :data:`DEFAULT_TRIALS`.
    max_exact : int
        Most changes attributed by the average over every order (``2**k`` runs); more
        are switched in file order (``k + 1`` runs).
    progress : callable, optional
        Called as ``progress(done, total)`` after each run.

    Examples
    --------
    >>> a = parse_scenario({"name": "Ours", "organisation": {"units": 10},
    ...     "costs": [{"name": "Set-up", "category": "integration", "kind": "one_time",
    ...                "amount": 1000, "start_month": 0}],
    ...     "benefits": [{"name": "Saving", "kind": "amount", "amount_per_month": 100}],
    ...     "strategies": [{"name": "All", "phases": [{"share": 1, "go_live": 1}]}]})
    >>> data = a.to_data()
    >>> data["name"] = "Cheaper set-up"
    >>> data["costs"][0]["amount"] = 400
    >>> result = compare([a, parse_scenario(data)], trials=64, seed=1, sampler="mc")
    >>> attribution = result.attributions[0]
    >>> [(c.change, round(c.value, 6)) for c in attribution.contributions]
    [('costs[Set-up].amount', 600.0)]
    """
    if len(scenarios) < 2:
        raise CompareError(f"compare needs at least two scenarios, got {len(scenarios)}")
    first = scenarios[0].simulation
    trials = min(first.trials, DEFAULT_TRIALS) if trials is None else int(trials)
    seed = first.seed if seed is None else int(seed)
    sampler = first.sampler if sampler is None else sampler
    if max_exact < 0:
        raise CompareError(f"max_exact {max_exact}: use 0 or more")
    runner = _Runner(trials, seed, sampler, progress)
    runner.total = len(scenarios)
    results = tuple(runner.run(s) for s in scenarios)
    found = tuple(differences(scenarios[0], s) for s in scenarios[1:])
    attributions: list[Attribution] = []
    for other, changes in zip(scenarios[1:], found, strict=True):
        attributions += _attribute(scenarios[0], other, changes, runner, max_exact)
    return Comparison(results, found, tuple(attributions), results[0].manifest.trials, seed,
                      sampler)
