"""``costmodel.correlation``: rank correlations through a Gaussian copula.

Four kinds of truth: closed forms (``2 sin(pi rho_s / 6)`` at angles whose sine is known
exactly); achieved Spearman correlations and uniform marginals measured on 2**17 trials,
for plain Monte Carlo and for scrambled Sobol uniforms; identities (an identity matrix
returns its input, the first column is never changed); and inconsistent sets built by
construction (a triple that fails, four inputs whose every triple holds but whose four do
not, a ring too long for the subset search).
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest
from scipy import stats
from scipy.stats import qmc

from costmodel import uncertainty
from costmodel.correlation import (
    MAX_SUBSET_SIZE,
    U_EPS,
    apply_copula,
    check_correlations,
    correlation_matrix,
    inconsistent_pairs,
    pearson_to_rank,
    rank_to_pearson,
)

N_TRIALS = 2**17
TARGETS = (0.3, 0.7, -0.5, 0.9)
# Four inputs, four pairs, two pairs left uncorrelated; positive definite (checked below).
FOUR_PAIRS = [(0, 1, 0.6), (0, 2, -0.4), (1, 3, 0.5), (2, 3, 0.3)]


def uniforms(sampler: str, d: int, seed: int = 7) -> np.ndarray:
    """A design as ``uncertainty.uniform_design`` makes it: ``(N_TRIALS, d)``, clipped."""
    rng = np.random.default_rng(seed)
    if sampler == "mc":
        u = rng.random((N_TRIALS, d))
    else:
        u = qmc.Sobol(d, scramble=True, rng=rng).random(N_TRIALS)
    return np.clip(u, U_EPS, 1.0 - U_EPS)


def spearman_matrix(x: np.ndarray) -> np.ndarray:
    return np.atleast_2d(stats.spearmanr(x).statistic)


def target_matrix(n: int, pairs) -> np.ndarray:
    """The Spearman matrix the pairs ask for (unlisted pairs: 0)."""
    out = np.eye(n)
    for i, j, rho_s in pairs:
        out[i, j] = out[j, i] = rho_s
    return out


# --- rank_to_pearson --------------------------------------------------------------------

@pytest.mark.parametrize(("rho_s", "expected"), [
    (0.0, 0.0),
    (1.0, 1.0),    # 2 sin(pi/6) = 1
    (-1.0, -1.0),
    (0.5, (math.sqrt(6) - math.sqrt(2)) / 2),  # 2 sin(15 deg) = (sqrt 6 - sqrt 2) / 2
    (-0.5, -(math.sqrt(6) - math.sqrt(2)) / 2),
])
def test_rank_to_pearson_closed_form(rho_s, expected):
    assert rank_to_pearson(rho_s) == pytest.approx(expected, abs=1e-15)
    assert isinstance(rank_to_pearson(rho_s), float)


def test_rank_to_pearson_known_value_and_array():
    assert rank_to_pearson(0.5) == pytest.approx(0.5176380902050415, abs=1e-15)
    out = rank_to_pearson(np.array([[0.0, 0.5], [1.0, -1.0]]))
    assert out.shape == (2, 2)
    np.testing.assert_allclose(out, [[0.0, 0.5176380902050415], [1.0, -1.0]], atol=1e-15)


def test_rank_to_pearson_is_odd_increasing_and_stronger_inside():
    rho_s = np.linspace(-1.0, 1.0, 2001)
    rho = rank_to_pearson(rho_s)
    assert np.all(np.diff(rho) > 0)
    np.testing.assert_allclose(rho, -rank_to_pearson(-rho_s), atol=1e-15)
    inside = (np.abs(rho_s) > 0) & (np.abs(rho_s) < 1)
    assert np.all(np.abs(rho[inside]) > np.abs(rho_s[inside]))  # |rho| > |rho_s| inside


def test_pearson_to_rank_inverts_rank_to_pearson():
    rho_s = np.linspace(-1.0, 1.0, 201)
    np.testing.assert_allclose(pearson_to_rank(rank_to_pearson(rho_s)), rho_s, atol=1e-13)


# --- correlation_matrix -----------------------------------------------------------------

def test_correlation_matrix_places_pearson_values_symmetrically():
    matrix = correlation_matrix(4, FOUR_PAIRS)
    assert matrix.shape == (4, 4)
    np.testing.assert_array_equal(np.diag(matrix), 1.0)
    np.testing.assert_array_equal(matrix, matrix.T)
    for i, j, rho_s in FOUR_PAIRS:
        assert matrix[i, j] == rank_to_pearson(rho_s)
    assert matrix[0, 3] == matrix[1, 2] == 0.0
    assert np.linalg.eigvalsh(matrix)[0] > 0.1  # the fixture is comfortably consistent


def test_correlation_matrix_without_pairs_is_identity():
    np.testing.assert_array_equal(correlation_matrix(3, []), np.eye(3))


@pytest.mark.parametrize("pairs", [
    [(0, 0, 0.5)],               # an input with itself
    [(0, 3, 0.5)],               # column out of range
    [(0, 1, 0.5), (1, 0, 0.2)],  # the same pair twice
    [(0, 1, 1.5)],               # not a correlation
    [(0, 1, float("nan"))],
])
def test_correlation_matrix_rejects_malformed_pairs(pairs):
    with pytest.raises(ValueError):
        correlation_matrix(3, pairs)


# --- apply_copula: achieved rank correlations and marginals -----------------------------

@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(("sampler", "tolerance"), [
    ("mc", 0.01),       # standard error of Spearman at 2**17 trials is <= 0.003
    ("sobol", 0.002),   # scrambled Sobol lands within 1e-4; treating the Spearman value
                        # as a Pearson one would miss by 0.008-0.018 and fail here
])
def test_two_inputs_reach_the_target_spearman(sampler, tolerance, target):
    u = uniforms(sampler, 2)
    out = apply_copula(u, correlation_matrix(2, [(0, 1, target)]))
    assert abs(stats.spearmanr(out).statistic - target) < tolerance


@pytest.mark.parametrize(("sampler", "tolerance"), [("mc", 0.01), ("sobol", 0.002)])
def test_four_inputs_reach_every_target_and_unpaired_stay_uncorrelated(sampler, tolerance):
    u = uniforms(sampler, 4)
    out = apply_copula(u, correlation_matrix(4, FOUR_PAIRS))
    achieved = spearman_matrix(out)
    np.testing.assert_allclose(achieved, target_matrix(4, FOUR_PAIRS), atol=tolerance)


@pytest.mark.parametrize("sampler", ["mc", "sobol"])
def test_marginals_stay_uniform(sampler):
    u = uniforms(sampler, 4, seed=3)
    out = apply_copula(u, correlation_matrix(4, [(0, 1, 0.8), (1, 2, -0.3), (2, 3, 0.7)]))
    for column in out.T:
        ks = stats.kstest(column, "uniform")
        assert ks.statistic < 0.01
        assert ks.pvalue > 0.001


def test_normal_scores_get_the_pearson_matrix():
    u = uniforms("sobol", 4)
    matrix = correlation_matrix(4, FOUR_PAIRS)
    scores = stats.norm.ppf(apply_copula(u, matrix))
    np.testing.assert_allclose(np.corrcoef(scores.T), matrix, atol=0.002)


# --- apply_copula: identities and edges --------------------------------------------------

def test_identity_matrix_returns_the_input():
    u = uniforms("mc", 3)
    np.testing.assert_array_equal(apply_copula(u, np.eye(3)), u)


def test_zero_correlation_changes_nothing():
    u = uniforms("sobol", 2)
    out = apply_copula(u, correlation_matrix(2, [(0, 1, 0.0)]))
    np.testing.assert_array_equal(out, u)
    assert abs(stats.spearmanr(out).statistic) < 0.002


def test_first_column_and_uncorrelated_columns_keep_their_draws():
    u = uniforms("mc", 3)
    out = apply_copula(u, correlation_matrix(3, [(0, 1, 0.8), (0, 2, 0.0)]))
    np.testing.assert_array_equal(out[:, 0], u[:, 0])
    np.testing.assert_array_equal(out[:, 2], u[:, 2])
    assert not np.array_equal(out[:, 1], u[:, 1])


def test_output_is_clipped_and_input_untouched():
    u = np.array([[1e-300, 1e-300], [0.5, 0.5], [1 - 1e-16, 1 - 1e-16]])
    before = u.copy()
    out = apply_copula(u, correlation_matrix(2, [(0, 1, -0.99)]))
    np.testing.assert_array_equal(u, before)
    assert out.min() >= U_EPS
    assert out.max() <= 1.0 - U_EPS
    assert out[0, 1] > 0.5 > out[2, 1]  # strongly negative: the second column flips


def test_empty_designs():
    assert apply_copula(np.empty((0, 2)), correlation_matrix(2, [(0, 1, 0.5)])).shape == (0, 2)
    assert apply_copula(np.empty((5, 0)), np.empty((0, 0))).shape == (5, 0)


def test_matches_the_formula_across_blocks():
    # The textbook formula in one piece, with scipy.stats' normal CDF and inverse: the
    # function works on blocks of rows, and 2**17 trials cover many blocks and a remainder.
    u = uniforms("mc", 3)
    matrix = correlation_matrix(3, [(0, 1, 0.5), (1, 2, -0.3)])
    expected = stats.norm.cdf(stats.norm.ppf(u) @ np.linalg.cholesky(matrix).T)
    np.testing.assert_allclose(apply_copula(u, matrix), expected, rtol=0, atol=1e-12)


def test_clip_bound_matches_the_design():
    assert U_EPS == uncertainty.U_EPS


def test_apply_copula_rejects_bad_shapes_and_inconsistent_matrices():
    u = uniforms("mc", 3)[:10]
    with pytest.raises(ValueError, match="shape"):
        apply_copula(u, np.eye(2))
    with pytest.raises(ValueError, match="shape"):
        apply_copula(u[:, 0], np.eye(1))
    bad = correlation_matrix(3, [(0, 1, 0.9), (1, 2, 0.9), (0, 2, -0.9)])
    with pytest.raises(ValueError, match="not positive definite"):
        apply_copula(u, bad)


# --- inconsistent_pairs / check_correlations ---------------------------------------------

LABELS = ["Deflection rate", "Adoption ceiling", "Integration cost", "Licence price",
          "Training hours"]


def test_inconsistent_triple_is_named_with_its_pairs():
    pairs = [(0, 1, 0.9), (1, 2, 0.9), (0, 2, -0.9), (3, 4, 0.5)]
    messages = inconsistent_pairs(LABELS, pairs)
    assert messages == [
        "'Deflection rate' ~ 'Adoption ceiling' 0.9, 'Adoption ceiling' ~ 'Integration cost' "
        "0.9 and 'Deflection rate' ~ 'Integration cost' -0.9 cannot hold together — weaken "
        "at least one of them"
    ]
    assert check_correlations(LABELS, pairs) == messages


def test_consistent_sets_give_no_messages():
    assert inconsistent_pairs(LABELS, []) == []
    assert inconsistent_pairs(LABELS, [(0, 1, 0.9), (1, 2, 0.9), (0, 2, 0.7)]) == []
    assert check_correlations(LABELS[:4], FOUR_PAIRS) == []


def test_four_inputs_inconsistent_only_together():
    # Equal Pearson correlations r among m inputs have smallest eigenvalue 1 + (m - 1) r:
    # with r = 2 sin(-0.39 pi / 6) = -0.408, every triple holds (1 - 2 * 0.408 > 0) but the
    # four do not (1 - 3 * 0.408 < 0). A fifth input hangs on the first and is innocent.
    four = [(i, j, -0.39) for i, j in combinations(range(4), 2)]
    pairs = [*four, (0, 4, 0.2)]
    matrix = correlation_matrix(5, pairs)
    for triple in combinations(range(5), 3):
        assert np.linalg.eigvalsh(matrix[np.ix_(triple, triple)])[0] > 0
    assert np.linalg.eigvalsh(matrix[:4, :4])[0] < 0

    messages = inconsistent_pairs(LABELS, pairs)
    assert len(messages) == 1
    for i, j, _ in four:
        assert f"'{LABELS[i]}' ~ '{LABELS[j]}' -0.39" in messages[0]
    assert "Training hours" not in messages[0]


def test_unlisted_pairs_count_as_uncorrelated():
    # 'Deflection rate' is tied to two inputs that are (by omission) uncorrelated with each
    # other: in Pearson terms 0.908^2 + 0.467^2 > 1, so the three cannot hold together.
    pairs = [(0, 1, 0.9), (0, 2, -0.45)]
    messages = inconsistent_pairs(LABELS, pairs)
    assert messages == [
        "'Deflection rate' ~ 'Adoption ceiling' 0.9 and 'Deflection rate' ~ 'Integration "
        "cost' -0.45 cannot hold together (inputs not paired here are uncorrelated) — weaken "
        "at least one of them"
    ]


def test_separate_inconsistent_groups_are_reported_separately():
    labels = [f"x{k}" for k in range(6)]
    bad = [(0, 1, 0.9), (1, 2, 0.9), (0, 2, -0.9)]
    pairs = bad + [(i + 3, j + 3, rho) for i, j, rho in bad]
    messages = inconsistent_pairs(labels, pairs)
    assert len(messages) == 2
    assert "'x0' ~ 'x1'" in messages[0] and "'x3' ~ 'x4'" in messages[1]


def test_long_ring_falls_back_to_the_eigenvector():
    # A ring of 10 inputs (Pearson 0.518 along the chain, 0.313 closing it) is not
    # positive definite, yet every subset of at most 6 inputs is a union of paths and holds.
    labels = [f"x{k}" for k in range(10)]
    pairs = [(k, k + 1, 0.5) for k in range(9)] + [(0, 9, 0.3)]
    matrix = correlation_matrix(10, pairs)
    assert np.linalg.eigvalsh(matrix)[0] < 0
    assert all(np.linalg.eigvalsh(matrix[np.ix_(s, s)])[0] > 0
               for s in combinations(range(10), MAX_SUBSET_SIZE))
    messages = inconsistent_pairs(labels, pairs)
    assert len(messages) == 1
    for i, j, rho_s in pairs:
        assert f"'x{i}' ~ 'x{j}' {rho_s:g}" in messages[0]


def test_many_inconsistent_groups_are_counted_after_ten():
    labels = [f"x{k}" for k in range(7)]
    pairs = [(i, j, -0.9) for i, j in combinations(range(7), 2)]  # every triple fails
    messages = inconsistent_pairs(labels, pairs)
    assert len(messages) == 11
    assert all("cannot hold together" in m for m in messages[:10])
    assert messages[10].startswith("…") and "25 more" in messages[10]  # C(7, 3) = 35


def test_perfect_correlation_is_reported():
    assert "perfect correlation" in inconsistent_pairs(LABELS[:2], [(0, 1, 1.0)])[0]
    message, = check_correlations(LABELS[:2], [(0, 1, -1.0)])
    assert "strictly between -1 and 1" in message


@pytest.mark.parametrize(("pairs", "words"), [
    ([(0, 0, 0.5)], "with itself"),
    ([(0, 7, 0.5)], "outside 0..4"),
    ([(0, 1, 0.5), (1, 0, 0.2)], "given twice (0.5 and 0.2)"),
    ([(0, 1, 1.5)], "not a correlation"),
    ([(0, 1, float("nan"))], "not a correlation"),
])
def test_check_correlations_names_malformed_pairs(pairs, words):
    messages = check_correlations(LABELS, pairs)
    assert len(messages) == 1
    assert words in messages[0]
