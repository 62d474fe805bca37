"""``costmodel.uncertainty``: the uniform designs and the draws made from them.

Properties by construction: a Latin hypercube has exactly one point in each of its ``m``
strata in every column of every replicate, in an order that is random and independent
between columns and replicates; every design is reproducible from its seed; and each
input's draws are its inverse CDF at its own column of the design (also through the
copula), whichever sampler made the design.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import costmodel
from costmodel.correlation import apply_copula, correlation_matrix
from costmodel.uncertainty import (
    U_EPS,
    block_sizes,
    correlated_columns,
    draw,
    replicate_count,
    uncertain_inputs,
    uniform_design,
)

SCENARIO = Path(__file__).parents[1] / "scenarios" / "customer_service_assistant.toml"


def replicate_blocks(u: np.ndarray, replicates: int) -> list[np.ndarray]:
    starts = np.cumsum([0, *block_sizes(len(u), replicates)])
    return [u[a:b] for a, b in pairwise(starts)]


@pytest.mark.parametrize(("n", "replicates"), [(1000, 1), (10_000, 16), (1003, 8)])
def test_latin_hypercube_has_one_point_in_every_stratum(n, replicates):
    u = uniform_design(n, 5, sampler="lhs", rng=np.random.default_rng(3),
                       replicates=replicates)
    assert u.shape == (n, 5) and ((u >= U_EPS) & (u <= 1 - U_EPS)).all()
    for block in replicate_blocks(u, replicates):
        m = len(block)
        strata = np.floor(block * m).astype(int)
        for column in strata.T:
            assert np.array_equal(np.sort(column), np.arange(m))


def test_latin_hypercube_order_is_random_and_independent_between_columns():
    n, d = 4096, 6
    u = uniform_design(n, d, sampler="lhs", rng=np.random.default_rng(5))
    rho = stats.spearmanr(u).statistic
    off_diagonal = rho[~np.eye(d, dtype=bool)]
    # independent columns: |rho_s| beyond 4 standard errors (1 / sqrt(n - 1)) is a failure
    assert np.abs(off_diagonal).max() < 4 / np.sqrt(n - 1)
    # every column in its own random order: neither sorted nor a copy of another column
    strata = np.floor(u * n).astype(int)
    for k in range(d):
        assert abs(stats.spearmanr(strata[:, k], np.arange(n)).statistic) < 4 / np.sqrt(n - 1)
        assert all(not np.array_equal(strata[:, k], strata[:, j]) for j in range(k))
    # and the jitter inside each stratum is uniform: the offsets fill [0, 1)
    offsets = (u * n - strata).ravel()
    assert stats.kstest(offsets, "uniform").pvalue > 1e-3


def test_latin_hypercube_replicates_are_independent_designs():
    u = uniform_design(1024, 3, sampler="lhs", rng=np.random.default_rng(1), replicates=16)
    blocks = replicate_blocks(u, 16)
    orders = {tuple(np.argsort(block[:, 0])) for block in blocks}
    assert len(orders) == 16  # 16 different permutations of 64 strata


@pytest.mark.parametrize("sampler", ["mc", "lhs", "sobol"])
def test_designs_are_reproducible_from_the_seed(sampler):
    replicates = replicate_count(2048, sampler)

    def design(seed):
        return uniform_design(2048, 7, sampler=sampler, rng=np.random.default_rng(seed),
                              replicates=replicates)

    assert np.array_equal(design(11), design(11))
    assert not np.array_equal(design(11), design(12))


@pytest.mark.parametrize("sampler", ["mc", "lhs", "sobol"])
def test_draws_are_each_inputs_inverse_cdf_at_its_column(sampler):
    # The design is the generator's first use in draw, so the same seed remakes it; the
    # draws are written over the design's columns, so check every input against it.
    scenario = costmodel.load_scenario(SCENARIO)
    n = 2048
    replicates = replicate_count(n, sampler)
    inputs = uncertain_inputs(scenario)
    draws = draw(scenario, n, sampler=sampler, rng=np.random.default_rng(9),
                 replicates=replicates)
    d = len(inputs) + len(scenario.risks)
    u = uniform_design(n, d, sampler=sampler, rng=np.random.default_rng(9),
                       replicates=replicates)
    columns, pairs = correlated_columns(scenario, inputs)
    u[:, columns] = apply_copula(u[:, columns], correlation_matrix(len(columns), pairs))
    for k, item in enumerate(inputs):
        np.testing.assert_array_equal(draws[item.path], item.distribution.ppf(u[:, k]))
    again = draw(scenario, n, sampler=sampler, rng=np.random.default_rng(9),
                 replicates=replicates)
    assert again.values.keys() == draws.values.keys()
    for key, value in draws.values.items():
        np.testing.assert_array_equal(again[key], value)


def test_apply_copula_in_place_matches_a_new_array():
    u = uniform_design(5000, 3, sampler="mc", rng=np.random.default_rng(2))
    matrix = correlation_matrix(3, [(0, 2, 0.6), (1, 2, -0.3)])
    expected = apply_copula(u, matrix)
    same = u.copy()
    assert apply_copula(same, matrix, out=same) is same
    np.testing.assert_array_equal(same, expected)
    with pytest.raises(ValueError, match="same shape"):
        apply_copula(u, matrix, out=np.empty((10, 3)))
