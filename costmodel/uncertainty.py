"""Draws of the uncertain inputs: samplers and the parameter values the engine reads.

One uniform design per run, shape ``(n_trials, n_inputs)``, one column per uncertain input
in the order the inputs appear in the scenario, mapped through each distribution's inverse
CDF. Uniforms are kept inside ``[U_EPS, 1 - U_EPS]`` so no inverse CDF sees exactly 0 or 1.
Every strategy of a run reads the same :class:`Draws` (common random numbers).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel
from scipy.stats import qmc

from .distributions import Distribution
from .scenario import Scenario, UncertainBounds

__all__ = [
    "U_EPS",
    "Draws",
    "Path",
    "UncertainInput",
    "draw",
    "format_path",
    "numeric_fields",
    "uncertain_inputs",
    "uniform_design",
]

Path = tuple[str | int, ...]
Sampler = Literal["mc", "lhs", "sobol"]
U_EPS = 1e-10


def format_path(path: Path) -> str:
    """``("costs", 2, "amount")`` -> ``"costs[2].amount"``.

    Examples
    --------
    >>> format_path(("strategies", 1, "learning", "adoption_speedup"))
    'strategies[1].learning.adoption_speedup'
    """
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + part
    return out


def _walk(model: BaseModel, path: Path) -> Iterator[tuple[Path, Any]]:
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        here = (*path, name)
        if any(isinstance(m, UncertainBounds) for m in field.metadata):
            if value is not None:
                yield here, value
        elif isinstance(value, BaseModel):
            yield from _walk(value, here)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _walk(item, (*here, i))


def numeric_fields(scenario: Scenario) -> list[tuple[Path, float | Distribution]]:
    """Every uncertain-typed field of the scenario with its value, in file order."""
    return list(_walk(scenario, ()))


@dataclass(frozen=True)
class UncertainInput:
    """One uncertain input: where it is, a readable label, and its distribution."""

    path: Path
    label: str
    distribution: Distribution

    @property
    def key(self) -> str:
        return format_path(self.path)


def _label(scenario: Scenario, path: Path) -> str:
    node: Any = scenario
    names = []
    for part in path[:-1]:
        node = node[part] if isinstance(part, int) else getattr(node, part)
        item_name = getattr(node, "name", None)
        if isinstance(part, int) and item_name:
            names.append(item_name)
    field = str(path[-1]).replace("_", " ")
    return f"{names[-1]}: {field}" if names else f"{path[0]}: {field}".replace("_", " ")


def uncertain_inputs(scenario: Scenario) -> list[UncertainInput]:
    """The inputs that vary between trials (distributions with a non-zero spread)."""
    return [
        UncertainInput(path, _label(scenario, path), value)
        for path, value in numeric_fields(scenario)
        if isinstance(value, Distribution) and not value.is_constant
    ]


def uniform_design(n: int, d: int, *, sampler: Sampler, rng: np.random.Generator) -> np.ndarray:
    """Uniforms of shape ``(n, d)`` in ``[U_EPS, 1 - U_EPS]``.

    ``mc``: independent uniforms; ``lhs``: Latin hypercube; ``sobol``: scrambled Sobol
    (``n`` should be a power of two). All from ``rng``.

    Examples
    --------
    >>> u = uniform_design(8, 3, sampler="sobol", rng=np.random.default_rng(1))
    >>> u.shape, bool(((u > 0) & (u < 1)).all())
    ((8, 3), True)
    """
    if d == 0:
        return np.empty((n, 0))
    if sampler == "mc":
        u = rng.random((n, d))
    elif sampler == "lhs":
        u = qmc.LatinHypercube(d, rng=rng).random(n)
    elif sampler == "sobol":
        u = qmc.Sobol(d, scramble=True, rng=rng).random(n)
    else:
        raise ValueError(f"unknown sampler {sampler!r} — use 'mc', 'lhs' or 'sobol'")
    return np.clip(u, U_EPS, 1.0 - U_EPS)


@dataclass(frozen=True)
class Draws:
    """The value of every uncertain-typed field, for ``n_trials`` trials.

    ``values[path]`` is an array of shape ``(n_trials,)`` for an input that varies, or a
    float for one that does not (it broadcasts).
    """

    n_trials: int
    values: Mapping[Path, np.ndarray | float]

    def __getitem__(self, path: Path) -> np.ndarray | float:
        return self.values[path]

    def get(self, path: Path, default: float) -> np.ndarray | float:
        return self.values.get(path, default)

    def slice(self, start: int, stop: int) -> Draws:
        """The trials ``start:stop`` (for chunked runs)."""
        values = {k: (v[start:stop] if isinstance(v, np.ndarray) else v)
                  for k, v in self.values.items()}
        return Draws(min(stop, self.n_trials) - start, values)

    def trial(self, i: int) -> dict[Path, float]:
        """Plain floats of trial ``i`` (for the per-trial reference model)."""
        return {k: float(v[i]) if isinstance(v, np.ndarray) else float(v)
                for k, v in self.values.items()}

    @classmethod
    def point(cls, scenario: Scenario) -> Draws:
        """One trial at the point values (``likely`` or the median)."""
        values = {path: (value.point() if isinstance(value, Distribution) else float(value))
                  for path, value in numeric_fields(scenario)}
        return cls(1, values)


def draw(scenario: Scenario, n_trials: int, *, sampler: Sampler,
         rng: np.random.Generator) -> Draws:
    """Sample every uncertain input ``n_trials`` times from one uniform design."""
    inputs = {i.path: i for i in uncertain_inputs(scenario)}
    u = uniform_design(n_trials, len(inputs), sampler=sampler, rng=rng)
    columns = {path: k for k, path in enumerate(inputs)}
    values: dict[Path, np.ndarray | float] = {}
    for path, value in numeric_fields(scenario):
        if path in columns:
            values[path] = inputs[path].distribution.ppf(u[:, columns[path]])
        elif isinstance(value, Distribution):
            values[path] = value.point()
        else:
            values[path] = float(value)
    return Draws(n_trials, values)
