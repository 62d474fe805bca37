"""Suite-wide settings.

Hypothesis's per-example deadline is a timed assertion, and the suite holds none (these
machines are noisy, and an example's first call may load and compile numba kernels):
the default profile turns it off. Tests still set their own example counts.
"""

from hypothesis import settings

settings.register_profile("costmodel", deadline=None)
settings.load_profile("costmodel")
