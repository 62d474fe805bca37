"""Keep freed array memory in the process for the next block to reuse.

Each block of trials makes and drops dozens of ``(n_months, n_trials)`` arrays of a few
megabytes. By default glibc's allocator returns such arrays to the system when they are
freed (each is its own ``mmap``; its threshold adapts only slowly, and the top of the heap
is trimmed), so the next block's arrays start as untouched pages and pay one page fault
per 4 KiB on first write. On virtual machines a fault is costly (measured here: about
6 µs, ten times the arithmetic of the adoption curve that first writes the array).
:func:`retain_freed_memory` raises the thresholds, and the room a heap grows by, once per
process, so freed blocks are reused: the peak memory is unchanged, the faults go.
Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

__all__ = ["retain_freed_memory"]

#: glibc's mallopt parameters (malloc.h).
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
#: Arrays up to this size come from the heap [bytes] (glibc's maximum on 64-bit systems).
MMAP_THRESHOLD = 32 * 1024 * 1024
#: Free memory at a heap's top kept rather than returned to the system, and the extra
#: room a heap grows by (so it is not grown and trimmed back run after run) [bytes].
TRIM_THRESHOLD = TOP_PAD = 256 * 1024 * 1024


@functools.cache
def retain_freed_memory() -> bool:
    """Raise glibc's mmap threshold, trim threshold and top pad (once per process);
    ``True`` when set."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, Windows, musl)
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) and mallopt(M_TOP_PAD, TOP_PAD))
