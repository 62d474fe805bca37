"""``costmodel.distributions``: the fast beta inverse CDF behind PERT and beta inputs.

Truth from an independent source: ``scipy.special.betaincinv`` (the exact inverse of the
regularised incomplete beta function), on uniforms spread over the whole clipped range —
both tails geometrically down to ``1e-10`` and a random middle. The requirement is a
relative error of at most ``1e-6``; shapes inside PERT's range do about a hundred times
better.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from costmodel.distributions import Beta, Pert, beta_ppf
from costmodel.uncertainty import U_EPS

TAIL = np.geomspace(U_EPS, 0.5, 4_000)
U = np.concatenate([TAIL, 1.0 - TAIL, np.random.default_rng(0).random(4_000)])

# PERT's shapes lie in [1, 5] with alpha + beta = 6: symmetric, skewed, at the edges.
PERT_SHAPES = [(1.0, 5.0), (5.0, 1.0), (3.0, 3.0), (1.2, 4.8), (2.0, 4.0), (1.0001, 4.9999)]
# Beta inputs may use any positive shapes: U-shaped, J-shaped, very peaked.
BETA_SHAPES = [(0.5, 0.5), (0.2, 3.0), (3.0, 0.2), (0.1, 0.1), (2.0, 100.0), (100.0, 2.0),
               (20.0, 30.0), (300.0, 300.0)]


def relative_error(got: np.ndarray, exact: np.ndarray) -> float:
    return float(np.max(np.abs(got - exact) / np.abs(exact)))


@pytest.mark.parametrize(("a", "b"), PERT_SHAPES)
def test_pert_shapes_are_accurate_to_1e_8(a, b):
    assert relative_error(beta_ppf(a, b, U), special.betaincinv(a, b, U)) < 1e-8


@pytest.mark.parametrize(("a", "b"), BETA_SHAPES)
def test_beta_shapes_are_accurate_to_1e_6(a, b):
    with np.errstate(divide="ignore"):  # the table's slope at x = 0 or 1 for shapes < 1
        got = beta_ppf(a, b, U)
    assert relative_error(got, special.betaincinv(a, b, U)) < 1e-6


def test_pert_values_on_their_range():
    # x = low + (high - low) * betaincinv(alpha, beta, u), alpha = 1 + 4 (likely - low) /
    # (high - low) = 1.875, beta = 1 + 4 (high - likely) / (high - low) = 4.125
    d = Pert(8_000, 15_000, 40_000)
    assert d.shapes == pytest.approx((1.875, 4.125), rel=1e-15)
    exact = 8_000 + 32_000 * special.betaincinv(1.875, 4.125, U)
    assert relative_error(d.ppf(U), exact) < 1e-8


def test_beta_on_a_range():
    d = Beta(2.0, 5.0, low=-1.0, high=3.0)
    exact = -1.0 + 4.0 * special.betaincinv(2.0, 5.0, U)
    # relative to the width: the values cross zero, where a relative error means nothing
    assert float(np.max(np.abs(d.ppf(U) - exact))) < 4.0 * 1e-8


def test_shapes_are_kept_for_any_input_shape_and_ends_are_clamped():
    assert beta_ppf(2.0, 5.0, np.full((2, 3), 0.3)).shape == (2, 3)
    assert beta_ppf(2.0, 5.0, np.array(0.3)).shape == ()
    ends = beta_ppf(2.0, 5.0, np.array([0.0, U_EPS, 1.0 - U_EPS, 1.0]))
    assert ends[0] == ends[1] and ends[2] == ends[3]
    assert 0.0 < ends[0] < ends[3] < 1.0


def test_monotone_over_the_whole_range():
    u = np.sort(U)
    for a, b in PERT_SHAPES:
        assert np.all(np.diff(beta_ppf(a, b, u)) >= 0)
