"""Draws of the uncertain inputs: samplers and the parameter values the engine reads.

One uniform design per run, shape ``(n_trials, n_inputs)``, one column per uncertain input
in the order the inputs appear in the scenario, mapped through each distribution's inverse
CDF. Uniforms are kept inside ``[U_EPS, 1 - U_EPS]`` so no inverse CDF sees exactly 0 or 1.
Every strategy of a run reads the same :class:`Draws` (common random numbers).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel

from .distributions import Distribution
from .fields import UncertainBounds
from .scenario import Scenario

__all__ = [
    "U_EPS",
    "Draws",
    "Path",
    "UncertainInput",
    "block_sizes",
    "correlated_columns",
    "draw",
    "format_path",
    "input_key_index",
    "normalise_key",
    "numeric_fields",
    "replicate_count",
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
    """``"CRM integration: amount"``, ``"Pilot: slip months"``, ``"adoption: ceiling"``."""
    node: Any = scenario
    named_at = -1
    name = ""
    for k, part in enumerate(path[:-1]):
        node = node[part] if isinstance(part, int) else getattr(node, part)
        if isinstance(part, int) and getattr(node, "name", None):
            named_at, name = k, node.name
    if named_at < 0:
        return f"{path[0]}: {' '.join(str(p) for p in path[1:])}".replace("_", " ")
    rest = " ".join(str(p) for p in path[named_at + 1:]).replace("_", " ")
    return f"{name}: {rest}"


def normalise_key(text: str) -> str:
    """The form in which input labels and paths are matched (case, ``_`` and spaces)."""
    return " ".join(text.replace("_", " ").casefold().split())


def input_key_index(inputs: list[UncertainInput]) -> dict[str, int]:
    """Map each input's normalised path, and its label where unique, to its column."""
    index: dict[str, int] = {}
    labels = [normalise_key(i.label) for i in inputs]
    for column, (item, label) in enumerate(zip(inputs, labels, strict=True)):
        index[normalise_key(item.key)] = column
        if labels.count(label) == 1:
            index.setdefault(label, column)
    return index


def uncertain_inputs(scenario: Scenario) -> list[UncertainInput]:
    """The inputs that vary between trials (distributions with a non-zero spread)."""
    return [
        UncertainInput(path, _label(scenario, path), value)
        for path, value in numeric_fields(scenario)
        if isinstance(value, Distribution) and not value.is_constant
    ]


def replicate_count(n_trials: int, sampler: Sampler) -> int:
    """How many independent replicates (scrambles) a run of ``n_trials`` is drawn as.

    Sobol and LHS points are not independent, so the textbook ``sd / sqrt(n)`` does not
    measure their error; drawing the run as ``R`` independent randomised replicates and
    taking the spread of the replicate means does. ``mc`` trials are independent: one
    replicate, and the textbook formula. At least 64 points go into each replicate.

    Examples
    --------
    >>> replicate_count(16_384, "sobol"), replicate_count(256, "lhs"), replicate_count(99, "mc")
    (16, 4, 1)
    """
    if sampler == "mc":
        return 1
    for count in (16, 8, 4, 2):
        if n_trials >= 64 * count:
            return count
    return 1


def block_sizes(n: int, blocks: int) -> list[int]:
    """Sizes of ``blocks`` contiguous, near-equal parts of ``n`` trials (the replicates).

    >>> block_sizes(10, 3)
    [4, 3, 3]
    """
    base, extra = divmod(n, blocks)
    return [base + 1] * extra + [base] * (blocks - extra)


def uniform_design(n: int, d: int, *, sampler: Sampler, rng: np.random.Generator,
                   replicates: int = 1) -> np.ndarray:
    """Uniforms of shape ``(n, d)`` in ``[U_EPS, 1 - U_EPS]``.

    ``mc``: independent uniforms; ``lhs``: Latin hypercube; ``sobol``: scrambled Sobol
    (``n / replicates`` should be a power of two). With ``replicates > 1`` the rows are
    that many independent designs one after the other (contiguous blocks of near-equal
    size). All from ``rng``.

    Examples
    --------
    >>> u = uniform_design(8, 3, sampler="sobol", rng=np.random.default_rng(1))
    >>> u.shape, bool(((u > 0) & (u < 1)).all())
    ((8, 3), True)
    """
    if sampler not in ("mc", "lhs", "sobol"):
        raise ValueError(f"unknown sampler {sampler!r} — use 'mc', 'lhs' or 'sobol'")
    if d == 0:
        return np.empty((n, 0))
    # Built as (d, n) and handed out transposed: each input's column is contiguous, so
    # each inverse CDF reads its column in one stream (several times faster).
    if sampler == "mc":
        u = rng.random((d, n))  # column by column: a new last input leaves the rest alone
    else:
        u = np.empty((d, n))
        start = 0
        for size in block_sizes(n, replicates):
            block = u[:, start:start + size]
            if sampler == "lhs":
                _latin_hypercube(block, rng)
            else:
                block[...] = _sobol(d, size, rng)
            start += size
    np.clip(u, U_EPS, 1.0 - U_EPS, out=u)
    return u.T


def _sobol(d: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` points of a scrambled Sobol sequence in ``d`` dimensions, shape ``(d, m)``.

    ``scipy.stats`` is imported here, not with the module: it is the largest import of a
    run (about 0.5 s and 45 MiB resident), and only Sobol designs need it.
    """
    from scipy.stats import qmc

    return qmc.Sobol(d, scramble=True, rng=rng).random(m).T


def _latin_hypercube(out: np.ndarray, rng: np.random.Generator) -> None:
    """Fill ``out``, shape ``(d, m)``, with a Latin hypercube of ``m`` points, one row per
    dimension: row ``k`` is ``(pi_k(i) + w_ik) / m`` with ``pi_k`` a uniformly random
    permutation of the strata ``0 .. m-1`` (independent for every row) and ``w`` uniform
    jitter in ``[0, 1)``, so each row has exactly one point in each stratum
    ``[s/m, (s+1)/m)``.

    The same design as ``scipy.stats.qmc.LatinHypercube`` (McKay's, scrambled within the
    strata), built without its overheads: scipy loops over the dimensions in Python,
    draws the jitter with ``uniform`` (about three times slower than ``random``) and
    returns ``(m, d)`` from transposed integer arithmetic, which the design then
    transposes back. Here one ``Generator.permuted`` call shuffles every row of the
    strata in place and the jitter is added in the layout the design is stored in: about
    37 ms against scipy's 55 ms for 100,000 points in 28 dimensions (16 replicates),
    measured here. The shuffle (Fisher-Yates, about 13 ns a point) is nearly all of what
    is left; ranking random keys (argsort) instead costs about three times as much.
    """
    m = out.shape[1]
    out[...] = np.arange(m, dtype=float)
    rng.permuted(out, axis=1, out=out)
    out += rng.random(out.shape)
    out *= 1.0 / m


@dataclass(frozen=True)
class Draws:
    """The value of every uncertain-typed field, for ``n_trials`` trials.

    ``values[path]`` is an array of shape ``(n_trials,)`` for an input that varies, or a
    float for one that does not (it broadcasts). Besides the scenario's fields it holds
    the run's auxiliary draws, under paths with a component starting with ``@``: the
    months of risk events (``("risks", k, "@month", j)``: month of the ``j``-th
    occurrence, ``horizon_months`` when none), the impacts of repeated occurrences
    (``("risks", k, "@cost", j)``, ``j >= 1``) and standard-normal gate measurement errors
    (``("strategies", i, "gate", "@z")``). ``replicate_starts`` are the first trials of
    the independent replicates of the design (``[0]`` for plain Monte Carlo).
    """

    n_trials: int
    values: Mapping[Path, np.ndarray | float]
    replicate_starts: tuple[int, ...] = (0,)

    def __getitem__(self, path: Path) -> np.ndarray | float:
        return self.values[path]

    def get(self, path: Path, default: float) -> np.ndarray | float:
        return self.values.get(path, default)

    def slice(self, start: int, stop: int) -> Draws:
        """The trials ``start:stop`` (for chunked runs)."""
        values = {k: (v[start:stop] if isinstance(v, np.ndarray) else v)
                  for k, v in self.values.items()}
        return Draws(min(stop, self.n_trials) - start, values)

    def take(self, trials: np.ndarray) -> Draws:
        """The trials at the indices ``trials`` (for runs grouped by schedule)."""
        values = {k: (v[trials] if isinstance(v, np.ndarray) else v)
                  for k, v in self.values.items()}
        return Draws(len(trials), values)

    def trial(self, i: int) -> dict[Path, float]:
        """Plain floats of trial ``i`` (for the per-trial reference model)."""
        return {k: float(v[i]) if isinstance(v, np.ndarray) else float(v)
                for k, v in self.values.items()}

    def occurrences(self, risk_index: int) -> int:
        """How many occurrence slots risk ``risk_index`` has (0 without a draw)."""
        count = 0
        while ("risks", risk_index, "@month", count) in self.values:
            count += 1
        return count

    @classmethod
    def point(cls, scenario: Scenario) -> Draws:
        """One trial at the point values (``likely`` or the median); no risk event
        happens and gates are measured exactly."""
        values = {path: (value.point() if isinstance(value, Distribution) else float(value))
                  for path, value in numeric_fields(scenario)}
        return cls(1, values)


def _auxiliary_columns(scenario: Scenario) -> list[Path]:
    columns: list[Path] = [("risks", k, "@month", 0) for k in range(len(scenario.risks))]
    return columns


def correlated_columns(scenario: Scenario,
                       inputs: list[UncertainInput]) -> tuple[list[int], list[tuple]]:
    """The design columns in the scenario's correlations, and the pairs re-indexed to them.

    Returns ``(columns, pairs)``: ``pairs`` holds ``(i, j, rank)`` with ``i, j`` positions
    in ``columns``.
    """
    index = input_key_index(inputs)
    raw = [(index[normalise_key(c.between[0])], index[normalise_key(c.between[1])], c.rank)
           for c in scenario.correlations]
    columns = sorted({c for a, b, _ in raw for c in (a, b)})
    where = {c: k for k, c in enumerate(columns)}
    return columns, [(where[a], where[b], rank) for a, b, rank in raw]


def _risk_occurrences(scenario: Scenario, values: dict[Path, Any], n: int,
                      rng: np.random.Generator) -> None:
    """Months of every risk event (and fresh impacts for repeats), in place in ``values``.

    Per month an event happens with ``p_m = 1 - (1 - p_year) ** (1/12)``, independently
    of other months, so the wait until the next one is geometric: the first from the
    design's uniform, later ones (cost and benefit-loss risks recur; abandonment does
    not) from ``rng``.
    """
    horizon = scenario.horizon_months
    for k, risk in enumerate(scenario.risks):
        # a scalar when the probability is a plain number: no (n,) array of one value
        p_year = np.asarray(values[("risks", k, "probability_per_year")], dtype=float)
        with np.errstate(divide="ignore"):
            log_stay = np.log1p(-(1.0 - (1.0 - p_year) ** (1.0 / 12.0)))  # log(1 - p_m) <= 0

        def wait(u: np.ndarray, log_stay: np.ndarray) -> np.ndarray:
            """Whole months to the next event, at most ``horizon``; overwrites ``u``."""
            with np.errstate(divide="ignore", invalid="ignore"):
                months = np.divide(np.log(u, out=u), log_stay, out=u)
            np.floor(months, out=months)
            np.minimum(months, horizon, out=months)
            np.copyto(months, horizon, where=~(log_stay < 0))  # p_year = 0: never
            return months

        first = wait(values.pop(("risks", k, "@month", 0)), log_stay).astype(np.int64)
        values[("risks", k, "@month", 0)] = first
        if risk.kind == "abandonment":
            continue
        fields = [name for name in ("cost", "loss", "months")
                  if isinstance(getattr(risk, name, None), Distribution)]
        # Repeats on the trials still at risk only, then one dense block per quantity
        # (row j - 1 for repeat j): few large arrays rather than many, cheaper to page in.
        repeats: list[tuple[np.ndarray, np.ndarray, list[np.ndarray]]] = []
        trials = np.flatnonzero(first < horizon)  # whose last event is inside the horizon
        last = first[trials]
        while trials.size:
            u = np.clip(rng.random(trials.size), U_EPS, 1 - U_EPS)
            stay = log_stay if log_stay.ndim == 0 else log_stay[trials]
            following = np.minimum(last + 1 + wait(u, stay), horizon)
            within = following < horizon
            if not within.any():
                break
            impacts = [getattr(risk, name).ppf(np.clip(rng.random(trials.size), U_EPS,
                                                       1 - U_EPS)) for name in fields]
            repeats.append((trials, following, impacts))
            trials, last = trials[within], following[within]
        months = np.full((len(repeats), n), horizon, dtype=np.int64)
        blocks = [np.zeros((len(repeats), n)) for _ in fields]
        for j, (trials, following, impacts) in enumerate(repeats, start=1):
            months[j - 1, trials] = following
            values[("risks", k, "@month", j)] = months[j - 1]
            for name, block, impact in zip(fields, blocks, impacts, strict=True):
                block[j - 1, trials] = impact
                values[("risks", k, "@" + name, j)] = block[j - 1]


def draw(scenario: Scenario, n_trials: int, *, sampler: Sampler,
         rng: np.random.Generator, replicates: int = 1, pool: Executor | None = None) -> Draws:
    """Sample every uncertain input ``n_trials`` times from one uniform design.

    Column ``k`` of the design belongs to the ``k``-th uncertain input (file order), then
    come the risks' first-event columns; repeated risk events, gate measurement errors
    and grant awards come from ``rng`` after the design, in that order. Correlated
    inputs go through the Gaussian copula before their inverse CDFs. With a ``pool``
    (threads), the inverse CDFs run on it side by side, each in its own column: the
    same values.
    """
    from .correlation import apply_copula, correlation_matrix

    inputs = uncertain_inputs(scenario)
    auxiliary = _auxiliary_columns(scenario)
    u = uniform_design(n_trials, len(inputs) + len(auxiliary), sampler=sampler, rng=rng,
                       replicates=replicates)
    if scenario.correlations:
        columns, pairs = correlated_columns(scenario, inputs)
        correlated = u[:, columns]
        apply_copula(correlated, correlation_matrix(len(columns), pairs), out=correlated)
        u[:, columns] = correlated
    columns = {item.path: k for k, item in enumerate(inputs)}

    def inverse(k: int) -> None:
        # Each input's values overwrite its own column of uniforms: the draws live in the
        # design's memory, which is already paged in, and each inverse CDF's result is a
        # temporary that the next one reuses. Fresh arrays for the results cost more in
        # page faults than their inverse CDFs (measured here).
        u[:, k] = inputs[k].distribution.ppf(u[:, k])

    list((map if pool is None else pool.map)(inverse, range(len(inputs))))
    values: dict[Path, Any] = {}
    for path, value in numeric_fields(scenario):
        if path in columns:
            values[path] = u[:, columns[path]]
        elif isinstance(value, Distribution):
            values[path] = value.point()
        else:
            values[path] = float(value)
    for k, path in enumerate(auxiliary, start=len(inputs)):
        values[path] = u[:, k]  # turned into event months by _risk_occurrences
    _risk_occurrences(scenario, values, n_trials, rng)
    # gate measurement errors last, from the generator: a gate changes no other draw
    for i, strategy in enumerate(scenario.strategies):
        if strategy.gate is not None and strategy.gate.noise > 0:
            values[("strategies", i, "gate", "@z")] = rng.standard_normal(n_trials)
    # then the grants' awards: funding changes none of the project's draws
    for k in range(len(scenario.funding.grants)):
        values[("funding", "grants", k, "@award")] = rng.random(n_trials)
    starts = np.cumsum([0, *block_sizes(n_trials, replicates)[:-1]])
    return Draws(n_trials, values, tuple(int(x) for x in starts))
