"""One value per trial, from a value that may be one number for all of them."""

from __future__ import annotations

import numpy as np

__all__ = ["per_trial"]


def per_trial(value, n: int, dtype=float) -> np.ndarray:
    """``value`` as an array ``(n,)`` of ``dtype``: itself when it already is one (the
    common case, a draw per trial: no call into ``np.broadcast_to``, whose Python cost
    adds up over the thousands of terms of a run), else broadcast (read-only, no memory
    per trial).

    >>> per_trial(2.0, 3).tolist(), per_trial(np.array([1.0, 2.0]), 2).tolist()
    ([2.0, 2.0, 2.0], [1.0, 2.0])
    """
    if isinstance(value, np.ndarray) and value.shape == (n,) and value.dtype == dtype:
        return value
    return np.broadcast_to(np.asarray(value, dtype=dtype), (n,))
