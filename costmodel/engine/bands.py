"""Percentile bands of cumulative cash over many trials, exact, without every value held.

The bands are linear-interpolation percentiles of each month's values over all trials,
bit-identical to ``np.percentile``. A run hands its values over block by block, as float32
``(n_months, n)``. Holding them all costs ``4 · n_months · n_trials`` bytes — 229 MiB for a
million trials over 60 months, the largest array of a run — though each percentile needs
only the two order statistics around its position.

So :class:`BandStore` keeps the first blocks whole, as a pilot; once the pilot holds
:data:`PILOT_TRIALS` trials or more, each month's pilot percentiles set *windows*: value
intervals around each band level, :data:`WINDOW_SIGMAS` standard errors of the pilot's
percentile wide. From then on a block keeps only its values inside the windows, and counts
the others in each gap between them. At the end the counts give every needed order
statistic's window and its place there, read from the window's values, sorted. A million
trials keep about a sixth of their values.

The windows hold the run's order statistics unless the later trials are distributed unlike
the pilot: for exchangeable trials (plain Monte Carlo, independent replicates, rounds) the
chance that a given one falls outside its window is below 1e-16. :meth:`BandStore.percentiles`
says when one did (it returns ``None``), never giving another number: the caller then hands
every value over again, to a store made with ``windows=False``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metrics import interpolate, order_ranks, row_percentiles

__all__ = ["PILOT_TRIALS", "WINDOW_SIGMAS", "BandStore"]

#: Trials kept whole before the windows are set [count].
PILOT_TRIALS = 65_536

#: Half-width of a window around band level ``p`` [standard errors of the pilot's
#: percentile, ``sqrt(p (1 - p) / n_pilot)``]. The whole run's percentile differs from the
#: pilot's with a spread of at most ``sqrt(2)`` such errors, so 12 is 8.5 of that spread.
WINDOW_SIGMAS = 12.0


@dataclass(frozen=True)
class _Selection:
    """What a block keeps under the windows.

    ``values`` holds the values inside the windows, row after row, in no particular order
    within a row; ``counts[r, s]`` counts row ``r``'s values in slot ``s``: even slots are
    the gaps (below the first window, between two, above the last), odd slots the windows.
    """

    values: np.ndarray
    counts: np.ndarray

    def row_lengths(self) -> np.ndarray:
        """Values kept per row, shape ``(n_rows,)``."""
        return self.counts[:, 1::2].sum(axis=1)


@dataclass(frozen=True)
class _Windows:
    """Half-open value intervals ``[edges[r, 2j], edges[r, 2j + 1])`` per row, disjoint
    and increasing along the row; rows with fewer windows are padded with ``+inf``."""

    edges: np.ndarray

    @classmethod
    def of(cls, parts: list[np.ndarray], levels: np.ndarray) -> _Windows:
        """Windows around ``levels`` [percent] from the pilot ``parts`` ``(n_rows, n_i)``."""
        n = sum(part.shape[1] for part in parts)
        share = levels / 100.0
        half = WINDOW_SIGMAS * np.sqrt(share * (1.0 - share) / n) + 2.0 / n
        first = np.floor(np.clip(share - half, 0.0, 1.0) * (n - 1)).astype(np.intp)
        last = np.ceil(np.clip(share + half, 0.0, 1.0) * (n - 1)).astype(np.intp)
        ranks = np.unique(np.concatenate([first, last]))
        rows = []
        for r in range(parts[0].shape[0]):
            row = np.concatenate([part[r] for part in parts])
            value = dict(zip(ranks.tolist(), np.partition(row, ranks)[ranks], strict=True))
            # [value of rank a, next float32 above the value of rank b): ranks a to b
            # inclusive; open-ended at the row's extremes
            rows.append(_merged([
                (-np.inf if a == 0 else value[a],
                 np.inf if b == n - 1 else np.nextafter(value[b], np.float32(np.inf)))
                for a, b in zip(first.tolist(), last.tolist(), strict=True)]))
        width = max(len(row) for row in rows)
        edges = np.full((len(rows), width), np.inf, dtype=np.float32)
        for r, row in enumerate(rows):
            edges[r, :len(row)] = row
        return cls(edges)

    def select(self, values: np.ndarray) -> _Selection:
        """The values of ``values`` ``(n_rows, n)`` float32 inside the windows, and the
        count of each slot."""
        n_rows, n = values.shape
        # per value, the number of edges at or below it: its slot
        slot = np.zeros(values.shape, dtype=np.min_scalar_type(self.edges.shape[1]))
        above = np.empty(values.shape, dtype=bool)
        at_or_above = np.empty((self.edges.shape[1], n_rows), dtype=np.intp)
        for e, edge in enumerate(self.edges.T):
            np.greater_equal(values, edge[:, None], out=above)
            slot += above
            at_or_above[e] = np.count_nonzero(above, axis=1)
        counts = -np.diff(at_or_above, axis=0, prepend=n, append=0).T
        return _Selection(values[(slot & 1).astype(bool)], counts)


def _merged(intervals: list[tuple[float, float]]) -> list[float]:
    """The edges of the union of half-open ``intervals`` sorted by start."""
    edges: list[float] = []
    for start, end in intervals:
        if edges and start <= edges[-1]:
            edges[-1] = max(edges[-1], end)
        else:
            edges += [start, end]
    return edges


class BandStore:
    """Collects float32 blocks ``(n_rows, n_i)`` and gives the percentiles of each row
    over all their columns, exactly (see the module's notes).

    Use: :meth:`prepare` before each batch of blocks, :meth:`take` on each block (from any
    thread), :meth:`add` on what it returned, then :meth:`percentiles` once.

    Parameters
    ----------
    levels : array_like
        Percentile levels [percent].
    windows : bool
        ``False``: keep every value (no pilot, never a miss).

    Examples
    --------
    >>> store = BandStore([5.0, 50.0, 95.0])
    >>> store.prepare()
    >>> store.add(store.take(np.arange(101.0)[None, :]))
    >>> store.percentiles()[:, 0].tolist()
    [5.0, 50.0, 95.0]
    """

    def __init__(self, levels, *, windows: bool = True):
        self.levels = np.asarray(levels, dtype=float)
        self.windows = windows
        self._whole: list[np.ndarray] = []
        self._kept: list[_Selection] = []
        self._windows: _Windows | None = None

    @property
    def n_trials(self) -> int:
        """Columns added so far [count]."""
        return (sum(part.shape[1] for part in self._whole)
                + sum(int(part.counts[0].sum()) for part in self._kept))

    @property
    def n_kept(self) -> int:
        """Values held [count] (4 bytes each)."""
        return sum(part.size for part in self._whole) + sum(p.values.size for p in self._kept)

    def prepare(self) -> None:
        """Set the windows if the blocks kept whole hold the pilot (they are then cut to
        the windows too). Call before a batch of :meth:`take`, not during one."""
        if (self.windows and self._windows is None and self._whole
                and sum(part.shape[1] for part in self._whole) >= PILOT_TRIALS):
            self._windows = _Windows.of(self._whole, self.levels)
            self._kept = [self._windows.select(part) for part in self._whole]
            self._whole = []

    def take(self, block: np.ndarray) -> np.ndarray | _Selection:
        """What the store keeps of ``block`` ``(n_rows, n)`` [any float dtype, stored as
        float32]: all of it, or its values inside the windows. Reads the store only."""
        values = block.astype(np.float32)
        return values if self._windows is None else self._windows.select(values)

    def add(self, taken: np.ndarray | _Selection) -> None:
        """Add a block's :meth:`take` (in any order: the result does not depend on it)."""
        if isinstance(taken, _Selection):
            self._kept.append(taken)
        else:
            self._whole.append(taken)

    def percentiles(self) -> np.ndarray | None:
        """Each row's percentiles at ``levels`` over every column added, shape
        ``(n_levels, n_rows)`` (equal to ``np.percentile`` bit for bit), or ``None`` when
        an order statistic fell outside the windows."""
        if self._windows is None:
            return row_percentiles(self._whole, self.levels)
        low, high, weight = order_ranks(self.levels, self.n_trials)
        counts = sum(part.counts for part in self._kept)
        starts = [np.concatenate([[0], np.cumsum(part.row_lengths())]) for part in self._kept]
        out = np.empty((self.levels.size, counts.shape[0]))
        for r in range(counts.shape[0]):
            row = np.concatenate([part.values[start[r]:start[r + 1]]
                                  for part, start in zip(self._kept, starts, strict=True)])
            found = _order_statistics(row, counts[r], np.concatenate([low, high]))
            if found is None:
                return None
            out[:, r] = interpolate(found[:low.size], found[low.size:], weight)
        return out


def _order_statistics(kept: np.ndarray, counts: np.ndarray,
                      ranks: np.ndarray) -> np.ndarray | None:
    """The values of 0-based ``ranks`` among a row's values, of which ``kept`` are those
    inside the windows and ``counts`` the number in each slot; ``None`` when one falls in
    a gap."""
    ends = np.cumsum(counts)
    slot = np.searchsorted(ends, ranks, side="right")
    if (slot % 2 == 0).any():
        return None
    gaps_before = np.cumsum(counts * (np.arange(counts.size) % 2 == 0))[slot]
    place = ranks - gaps_before
    chosen = np.unique(place)
    return np.partition(kept, chosen)[place].astype(np.float64)
