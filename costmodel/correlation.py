"""Rank correlations between uncertain inputs, applied with a Gaussian (normal) copula.

A scenario states Spearman rank correlations between pairs of uncertain inputs. They are
turned into one Pearson correlation matrix of normal scores (:func:`correlation_matrix`),
checked for consistency (:func:`check_correlations`, :func:`inconsistent_pairs`) and
imposed on the uniform design (:func:`apply_copula`) before each column goes through its
distribution's inverse CDF. Because the copula acts on uniforms, every input keeps its own
marginal distribution; only the dependence between inputs changes.

Columns are indexed ``0 .. n_inputs - 1``; a pair is ``(i, j, spearman)`` with
``spearman`` a rank correlation [dimensionless, -1 to 1].

References
----------
.. [1] W. H. Kruskal, "Ordinal measures of association", Journal of the American
   Statistical Association 53 (1958) 814-861: for a bivariate normal distribution
   the Spearman correlation is ``(6 / pi) * arcsin(rho / 2)``.
.. [2] R. T. Clemen and T. Reilly, "Correlations and copulas for decision and risk
   analysis", Management Science 45 (1999) 208-224.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from math import comb

import numpy as np
from scipy.special import ndtr, ndtri

__all__ = [
    "MAX_SUBSET_SIZE",
    "PD_TOLERANCE",
    "U_EPS",
    "Pair",
    "apply_copula",
    "check_correlations",
    "correlation_matrix",
    "inconsistent_pairs",
    "pearson_to_rank",
    "rank_to_pearson",
]

Pair = tuple[int, int, float]

U_EPS = 1e-10
"""Uniforms leave :func:`apply_copula` inside ``[U_EPS, 1 - U_EPS]`` (as in the design)."""

PD_TOLERANCE = 1e-10
"""A matrix is positive definite when its smallest eigenvalue exceeds this."""

MAX_SUBSET_SIZE = 6
"""The largest group of inputs searched for a minimal inconsistent subset."""

_MAX_SUBSETS = 200_000  # subsets of one size examined before falling back to eigenvectors
_BATCH = 20_000  # submatrices per batched eigenvalue call
_MAX_MESSAGES = 10  # inconsistent groups reported one by one; the rest are counted
_BLOCK_MULTIPLY_ADDS = 200_000  # per block product in apply_copula (OpenBLAS threads >262144)


def rank_to_pearson(rho_s: float | np.ndarray) -> float | np.ndarray:
    """Pearson correlation of normal scores that gives the Spearman correlation ``rho_s``.

    Under a normal copula, ``rho_s = (6 / pi) * arcsin(rho / 2)`` [1]_, so
    ``rho = 2 * sin(pi * rho_s / 6)``.

    Parameters
    ----------
    rho_s : float or ndarray
        Spearman rank correlation(s) [dimensionless, -1 to 1].

    Returns
    -------
    float or ndarray
        Pearson correlation(s) of the normal scores, same shape [dimensionless, -1 to 1].

    Examples
    --------
    >>> round(rank_to_pearson(0.5), 4)
    0.5176
    >>> rank_to_pearson(np.array([-1.0, 0.0, 1.0]))
    array([-1.,  0.,  1.])
    """
    out = 2.0 * np.sin(np.pi / 6.0 * np.asarray(rho_s, dtype=float))
    return float(out) if out.ndim == 0 else out


def pearson_to_rank(rho: float | np.ndarray) -> float | np.ndarray:
    """Spearman correlation that a normal copula with Pearson correlation ``rho`` gives.

    The inverse of :func:`rank_to_pearson`: ``rho_s = (6 / pi) * arcsin(rho / 2)`` [1]_.

    Parameters
    ----------
    rho : float or ndarray
        Pearson correlation(s) of normal scores [dimensionless, -1 to 1].

    Returns
    -------
    float or ndarray
        Spearman rank correlation(s), same shape [dimensionless, -1 to 1].

    Examples
    --------
    >>> round(pearson_to_rank(rank_to_pearson(0.3)), 12)
    0.3
    """
    out = 6.0 / np.pi * np.arcsin(np.asarray(rho, dtype=float) / 2.0)
    return float(out) if out.ndim == 0 else out


def correlation_matrix(n_inputs: int, pairs: Sequence[Pair]) -> np.ndarray:
    """The Pearson correlation matrix of normal scores for the given rank correlations.

    Parameters
    ----------
    n_inputs : int
        Number of columns.
    pairs : sequence of (int, int, float)
        ``(i, j, spearman)``: columns ``i != j`` and their Spearman correlation
        [dimensionless, -1 to 1]. Each unordered pair at most once; pairs not given
        are uncorrelated.

    Returns
    -------
    ndarray, shape (n_inputs, n_inputs)
        Symmetric, ones on the diagonal, ``rank_to_pearson(spearman)`` at ``[i, j]`` and
        ``[j, i]``. Not necessarily positive definite: see :func:`inconsistent_pairs`.

    Raises
    ------
    ValueError
        A column out of range, a column paired with itself, a pair given twice, or a
        correlation outside [-1, 1]. :func:`check_correlations` reports these as messages.

    Examples
    --------
    >>> correlation_matrix(3, [(0, 2, 1.0)])
    array([[1., 0., 1.],
           [0., 1., 0.],
           [1., 0., 1.]])
    """
    problems = _structural_problems([str(k) for k in range(n_inputs)], pairs)
    if problems:
        raise ValueError("; ".join(problems))
    matrix = np.eye(n_inputs)
    for i, j, rho_s in pairs:
        matrix[i, j] = matrix[j, i] = rank_to_pearson(rho_s)
    return matrix


def check_correlations(labels: Sequence[str], pairs: Sequence[Pair]) -> list[str]:
    """Everything wrong with a set of rank correlations, as readable messages.

    First the pairs one by one (column out of range, an input paired with itself, a pair
    given twice, a value not strictly between -1 and 1); if they are all well formed, the
    groups of pairs that cannot hold together (:func:`inconsistent_pairs`).

    Parameters
    ----------
    labels : sequence of str
        A readable label per column, ``len(labels)`` columns.
    pairs : sequence of (int, int, float)
        ``(i, j, spearman)`` as in :func:`correlation_matrix`.

    Returns
    -------
    list of str
        One message per problem; empty when the correlations can be used.

    Examples
    --------
    >>> check_correlations(["Cost", "Delay"], [(0, 1, 0.4), (1, 0, 0.5)])
    ["'Delay' ~ 'Cost' is given twice (0.4 and 0.5) — keep one"]
    >>> check_correlations(["Cost", "Delay"], [(0, 1, 0.4)])
    []
    """
    problems = _structural_problems(labels, pairs, open_interval=True)
    return problems or inconsistent_pairs(labels, pairs)


def inconsistent_pairs(labels: Sequence[str], pairs: Sequence[Pair]) -> list[str]:
    """The groups of rank correlations that cannot hold together, as readable messages.

    The correlations are consistent when the normal-scores matrix
    (:func:`correlation_matrix`) is positive definite (smallest eigenvalue above
    :data:`PD_TOLERANCE`). When it is not, the smallest groups of inputs whose own
    submatrix fails are reported: every group of 2, then 3, ... up to
    :data:`MAX_SUBSET_SIZE` inputs connected by pairs, stopping at the first size where a
    group fails. If no group that small fails, the inputs carrying the eigenvectors of the
    non-positive eigenvalues are reported instead.

    Parameters
    ----------
    labels : sequence of str
        A readable label per column, ``len(labels)`` columns.
    pairs : sequence of (int, int, float)
        ``(i, j, spearman)`` as in :func:`correlation_matrix` (well formed; see
        :func:`check_correlations` for input that may not be).

    Returns
    -------
    list of str
        One message per inconsistent group, naming its pairs and their values; empty
        when the correlations are consistent.

    Raises
    ------
    ValueError
        Pairs that are not well formed (as :func:`correlation_matrix`).

    Examples
    --------
    >>> inconsistent_pairs(["A", "B", "C"], [(0, 1, 0.9), (1, 2, 0.9), (0, 2, -0.9)])
    ["'A' ~ 'B' 0.9, 'B' ~ 'C' 0.9 and 'A' ~ 'C' -0.9 cannot hold together — weaken at least one of them"]
    >>> inconsistent_pairs(["A", "B", "C"], [(0, 1, 0.9), (1, 2, 0.9), (0, 2, 0.7)])
    []
    """  # noqa: E501
    matrix = correlation_matrix(len(labels), pairs)
    if _is_positive_definite(matrix):
        return []
    groups: list[tuple[int, ...]] = []
    for component in _components(len(labels), pairs):
        if not _is_positive_definite(matrix[np.ix_(component, component)]):
            groups += _failing_groups(matrix, component)
    messages = [_group_message(labels, pairs, group) for group in groups[:_MAX_MESSAGES]]
    if len(groups) > _MAX_MESSAGES:
        messages.append(f"… and {len(groups) - _MAX_MESSAGES} more groups of correlated "
                        "inputs that cannot hold together")
    return messages


def apply_copula(u: np.ndarray, matrix: np.ndarray, *,
                 out: np.ndarray | None = None) -> np.ndarray:
    """Correlate the columns of a uniform design with a Gaussian copula.

    ``z = ndtri(u)``, ``z' = z @ L.T`` with ``L = cholesky(matrix)``, ``u' = ndtr(z')``,
    clipped to ``[U_EPS, 1 - U_EPS]``. Each output column is uniform whenever each input
    column is (true for Monte Carlo, Latin hypercube and scrambled Sobol designs), so the
    inputs keep their marginal distributions; their normal scores get the Pearson
    correlations of ``matrix``, hence the Spearman correlations it was built from.

    Columns whose row of ``L`` is a unit row (the first column, and any column
    uncorrelated with all earlier ones) are returned unchanged apart from clipping; in
    particular the identity matrix returns the clipped input.

    Parameters
    ----------
    u : ndarray, shape (n_trials, k)
        Uniforms of the correlated columns only, strictly inside (0, 1) [fraction, 0-1].
    matrix : ndarray, shape (k, k)
        Positive definite Pearson correlation matrix of normal scores, e.g. from
        :func:`correlation_matrix`.
    out : ndarray, shape (n_trials, k), optional
        Where to write the result; may be ``u`` itself (the copula is then applied in
        place). By default a new array.

    Returns
    -------
    ndarray, shape (n_trials, k)
        Correlated uniforms in ``[U_EPS, 1 - U_EPS]`` [fraction, 0-1] (``out`` when given);
        ``u`` is not modified unless it is ``out``.

    Raises
    ------
    ValueError
        Shapes that do not match, or a matrix that is not positive definite.

    Examples
    --------
    >>> u = np.array([[0.1, 0.2], [0.5, 0.5], [0.9, 0.3]])
    >>> np.round(apply_copula(u, np.array([[1.0, 0.8], [0.8, 1.0]])), 3)
    array([[0.1  , 0.063],
           [0.5  , 0.5  ],
           [0.9  , 0.761]])
    """
    u = np.asarray(u, dtype=float)
    matrix = np.asarray(matrix, dtype=float)
    if u.ndim != 2 or matrix.shape != (u.shape[1], u.shape[1]):
        raise ValueError(f"u has shape {u.shape} and matrix {matrix.shape} — give u as "
                         "(n_trials, k) and matrix as (k, k)")
    try:
        lower = np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        raise ValueError("the correlation matrix is not positive definite — "
                         "inconsistent_pairs names the pairs at fault") from None
    n_trials, k = u.shape
    if out is None:
        out = np.empty((n_trials, k))
    elif out.shape != u.shape:
        raise ValueError(f"out has shape {out.shape}, u {u.shape} — give them the same shape")
    np.clip(u, U_EPS, 1.0 - U_EPS, out=out)
    unchanged = (lower == np.eye(k)).all(axis=1)  # unit rows of L: z' = z exactly
    if unchanged.all():
        return out
    # Only the columns that change are mixed, and only the scores they read are computed
    # (ndtri, about 14 ns a value, is most of the cost). Blocks of rows, one column at a
    # time: the scratch is small and reused (whole-column temporaries cost page faults),
    # and each product is small enough for OpenBLAS to run on one thread (threaded, a
    # tall product can take ten times longer on a machine whose cores are busy).
    changed = np.flatnonzero(~unchanged)
    feeding = np.flatnonzero((lower[changed] != 0).any(axis=0))
    weights = lower[np.ix_(changed, feeding)]
    step = max(64, _BLOCK_MULTIPLY_ADDS // (len(feeding) * len(changed)))
    scores = np.empty((len(feeding), min(step, n_trials)))
    mixed = np.empty((len(changed), min(step, n_trials)))
    for start in range(0, n_trials, step):
        block = out[start:start + step]
        block_scores, block_mixed = scores[:, :len(block)], mixed[:, :len(block)]
        for row, column in zip(block_scores, feeding, strict=True):
            ndtri(block[:, column], out=row)
        np.matmul(weights, block_scores, out=block_mixed)
        ndtr(block_mixed, out=block_mixed)
        np.clip(block_mixed, U_EPS, 1.0 - U_EPS, out=block_mixed)
        for row, column in zip(block_mixed, changed, strict=True):
            block[:, column] = row
    return out


def _structural_problems(labels: Sequence[str], pairs: Sequence[Pair], *,
                         open_interval: bool = False) -> list[str]:
    """Messages for pairs that are not well formed (see :func:`check_correlations`)."""
    n = len(labels)
    problems = []
    seen: dict[frozenset[int], float] = {}
    for i, j, rho_s in pairs:
        if not (0 <= i < n and 0 <= j < n):
            problems.append(f"pair ({i}, {j}) names a column outside 0..{n - 1}")
            continue
        name = f"'{labels[i]}' ~ '{labels[j]}'"
        if i == j:
            problems.append(f"{name} pairs an input with itself — remove it")
        elif not np.isfinite(rho_s) or abs(rho_s) > 1.0:
            problems.append(f"{name} {rho_s!r} is not a correlation — give a value "
                            "between -1 and 1")
        elif open_interval and abs(rho_s) == 1.0:
            problems.append(f"{name} {rho_s:g} would make one input a function of the other "
                            "— give a value strictly between -1 and 1, e.g. 0.99")
        elif frozenset((i, j)) in seen:
            problems.append(f"{name} is given twice ({seen[frozenset((i, j))]:g} and "
                            f"{rho_s:g}) — keep one")
        else:
            seen[frozenset((i, j))] = rho_s
    return problems


def _is_positive_definite(matrix: np.ndarray) -> bool:
    return matrix.shape[0] == 0 or bool(np.linalg.eigvalsh(matrix)[0] > PD_TOLERANCE)


def _components(n_inputs: int, pairs: Sequence[Pair]) -> list[list[int]]:
    """Groups of two or more columns linked by pairs (the matrix's diagonal blocks)."""
    parent = list(range(n_inputs))

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for i, j, _ in pairs:
        parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for a in range(n_inputs):
        groups.setdefault(root(a), []).append(a)
    return [g for g in groups.values() if len(g) > 1]


def _failing_groups(matrix: np.ndarray, component: list[int]) -> list[tuple[int, ...]]:
    """The smallest subsets of ``component`` whose submatrix is not positive definite.

    A smallest failing subset is connected (a block-diagonal matrix fails only if a block
    does), so every subset of the first failing size is reported. Beyond
    :data:`MAX_SUBSET_SIZE` inputs, or too many subsets, the support of the eigenvectors
    of the non-positive eigenvalues is returned instead.
    """
    for size in range(2, min(len(component), MAX_SUBSET_SIZE) + 1):
        if comb(len(component), size) > _MAX_SUBSETS:
            break
        subsets = np.array(list(combinations(component, size)), dtype=np.intp)
        failing = []
        for start in range(0, len(subsets), _BATCH):
            batch = subsets[start:start + _BATCH]
            blocks = matrix[batch[:, :, None], batch[:, None, :]]
            smallest = np.linalg.eigvalsh(blocks)[:, 0]
            failing += [tuple(int(c) for c in s) for s in batch[smallest <= PD_TOLERANCE]]
        if failing:
            return failing
    block = matrix[np.ix_(component, component)]
    values, vectors = np.linalg.eigh(block)
    weights = np.abs(vectors[:, values <= PD_TOLERANCE])
    support = (weights > 0.05 * weights.max(axis=0)).any(axis=1)
    within = block[np.ix_(support, support)]
    if np.count_nonzero(within - np.eye(len(within))) < 4:  # fewer than two pairs
        return [tuple(component)]
    return [tuple(c for c, s in zip(component, support, strict=True) if s)]


def _group_message(labels: Sequence[str], pairs: Sequence[Pair],
                   group: tuple[int, ...]) -> str:
    members = set(group)
    parts = [f"'{labels[i]}' ~ '{labels[j]}' {rho_s:g}"
             for i, j, rho_s in pairs if i in members and j in members]
    if len(parts) == 1:
        return (f"{parts[0]} is a perfect correlation, which the copula cannot use — "
                "give a value strictly between -1 and 1, e.g. 0.99")
    listing = ", ".join(parts[:-1]) + " and " + parts[-1]
    complete = len(parts) == comb(len(group), 2)
    unpaired = "" if complete else " (inputs not paired here are uncorrelated)"
    return f"{listing} cannot hold together{unpaired} — weaken at least one of them"
