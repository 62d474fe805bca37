"""``costmodel.engine.bands.BandStore``: exact percentile bands from windows of the values.

Truth is ``np.percentile`` over every value at once (float32 values, as the store holds
them, compared in float64): the store must equal it bit for bit, or say that it cannot
(a window missed) — never give another number.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel.engine import bands
from costmodel.engine.bands import BandStore
from costmodel.results import BAND_LEVELS


def fill(store: BandStore, batches: list[list[np.ndarray]]) -> BandStore:
    """Hand ``batches`` of blocks to ``store`` as a run does: prepare, take, add."""
    for batch in batches:
        store.prepare()
        for taken in [store.take(block) for block in batch]:
            store.add(taken)
    return store


def expected(batches: list[list[np.ndarray]], levels=BAND_LEVELS) -> np.ndarray:
    every = np.concatenate([block for batch in batches for block in batch], axis=1)
    return np.percentile(every.astype(np.float32).astype(np.float64), levels, axis=1)


def cash_like(rng: np.random.Generator, n_rows: int, n: int) -> np.ndarray:
    """Cumulative cash of ``n`` trials over ``n_rows`` months: a bulk, a long left tail,
    a few months where every trial has the same value."""
    flows = 5e3 + 2e3 * rng.standard_normal((n_rows, n)) - rng.exponential(3e3, (n_rows, n))
    cash = np.cumsum(flows, axis=0)
    cash[:2] = -1_000.0
    return cash


def batches_of(values: np.ndarray, batch: int, block: int) -> list[list[np.ndarray]]:
    """Columns of ``values`` in batches of ``batch`` (segments), each cut in blocks."""
    return [[values[:, b:min(b + block, start + batch, values.shape[1])]
             for b in range(start, min(start + batch, values.shape[1]), block)]
            for start in range(0, values.shape[1], batch)]


def test_a_large_run_keeps_a_fraction_and_gives_np_percentile_exactly():
    rng = np.random.default_rng(1)
    values = cash_like(rng, 12, 400_000)
    batches = batches_of(values, 131_072, 8_192)
    store = fill(BandStore(BAND_LEVELS), batches)
    np.testing.assert_array_equal(store.percentiles(), expected(batches))
    assert store.n_trials == 400_000
    # every value of the two constant months, a sixth or so of the other ten
    assert store.n_kept < (2 + 10 * 0.2) * 400_000


def test_one_batch_is_kept_whole():
    # a run of one segment never sets windows, so it can never miss
    rng = np.random.default_rng(2)
    batches = batches_of(cash_like(rng, 3, 200_000), 200_000, 8_192)
    store = fill(BandStore(BAND_LEVELS), batches)
    assert store.n_kept == 3 * 200_000
    np.testing.assert_array_equal(store.percentiles(), expected(batches))


def test_later_values_unlike_the_pilot_are_a_miss_not_a_wrong_number():
    rng = np.random.default_rng(3)
    pilot = rng.standard_normal((2, 100_000))
    later = rng.standard_normal((2, 300_000)) + 10.0  # the percentiles move far away
    batches = [[pilot], [later]]
    assert fill(BandStore(BAND_LEVELS), batches).percentiles() is None
    keeping = fill(BandStore(BAND_LEVELS, windows=False), batches)
    assert keeping.n_kept == 2 * 400_000
    np.testing.assert_array_equal(keeping.percentiles(), expected(batches))


@st.composite
def stores(draw_):
    """float32-valued ``(n_rows, n)`` arrays: ties, constant rows, heavy tails."""
    n = draw_(st.integers(1, 2_000))
    n_rows = draw_(st.integers(1, 3))
    rng = np.random.default_rng(draw_(st.integers(0, 2**32 - 1)))
    kind = draw_(st.sampled_from(("normal", "ties", "constant", "cauchy", "cash")))
    shape = (n_rows, n)
    if kind == "normal":
        x = rng.normal(0.0, 1e3, shape)
    elif kind == "ties":
        x = rng.integers(-3, 4, shape) * 0.5
    elif kind == "constant":
        x = np.full(shape, -7.25)
    elif kind == "cauchy":
        x = rng.standard_cauchy(shape) * 1e4
    else:
        x = cash_like(rng, n_rows, n)
    return x.astype(np.float32)


@settings(deadline=None, max_examples=150)
@given(values=stores(), pilot=st.integers(1, 600), sigmas=st.sampled_from([0.0, 1.0, 12.0]),
       batch=st.integers(1, 700), block=st.integers(1, 300),
       levels=st.sampled_from([BAND_LEVELS, (0.0, 50.0, 100.0), (1.0, 33.3, 99.9)]))
def test_the_store_equals_np_percentile_or_says_it_missed(values, pilot, sigmas, batch, block,
                                                          levels):
    batches = batches_of(values, batch, block)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bands, "PILOT_TRIALS", pilot)
        patch.setattr(bands, "WINDOW_SIGMAS", sigmas)
        store = fill(BandStore(levels), batches)
        got = store.percentiles()
    assert store.n_trials == values.shape[1]
    assert store.n_kept <= values.size
    if got is not None:  # narrow windows (sigmas 0, 1) miss often: then None, no number
        np.testing.assert_array_equal(got, expected(batches, levels))


def test_blocks_may_be_added_in_any_order():
    rng = np.random.default_rng(4)
    batches = batches_of(cash_like(rng, 4, 300_000), 131_072, 8_192)
    shuffled = [list(reversed(batch)) for batch in batches]
    a = fill(BandStore(BAND_LEVELS), batches).percentiles()
    b = fill(BandStore(BAND_LEVELS), shuffled).percentiles()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, expected(batches))
