r"""Counter-based random bits: the one generator of springlab's compiled kernels.

A random number used by a kernel is a pure function of ``(key, counter)``:
the chain simulator's Gaussian noise at step ``n`` for block ``l``
(:mod:`springlab.chains.reference`) and a dropout mask's element ``k``
(:mod:`springlab.networks.dropout`) alike. A result is then the same alone or
inside a parallel sweep, on any number of threads, and a kernel can compute
the number it needs where it needs it instead of storing it.

The generator is SplitMix64 (Steele, Lea & Flood 2014):
``random_bits(key, counter) = mix(key + counter · G)`` with ``G`` the
golden-ratio increment :data:`GOLDEN` and ``mix`` the bijective finaliser
:func:`splitmix64`. :func:`random_bits` is the readable version in Python
integers; :func:`random_bits_kernel` the same arithmetic on ``uint64`` for
Numba kernels (a test checks they agree).
"""
from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["GOLDEN", "splitmix64", "seed_key", "random_bits", "random_bits_kernel"]

_MASK = (1 << 64) - 1  # Python ints are unbounded: keep 64 bits, as the CPU does
GOLDEN = 0x9E3779B97F4A7C15  # 2^64 / golden ratio, SplitMix64's increment


def splitmix64(z: int) -> int:
    """SplitMix64's finaliser: a bijective scramble of a 64-bit integer."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def seed_key(seed: int) -> int:
    """64-bit stream key of a seed (distinct seeds, unrelated streams)."""
    return splitmix64((seed * GOLDEN + 0x632BE59BD9B4E019) & _MASK)


def random_bits(key: int, counter: int) -> int:
    """64 random bits, a pure function of ``(key, counter)``."""
    return splitmix64((key + counter * GOLDEN) & _MASK)


# the same on uint64, for kernels (wrap-around multiplication is the & _MASK above)
_U64 = np.uint64
_GOLDEN = _U64(GOLDEN)
_M1 = _U64(0xBF58476D1CE4E5B9)
_M2 = _U64(0x94D049BB133111EB)
_S30, _S27, _S31 = _U64(30), _U64(27), _U64(31)


@njit(cache=True, inline="always")
def random_bits_kernel(key, counter):
    """:func:`random_bits` for Numba kernels: ``key`` and ``counter`` are ``uint64``; returns ``uint64``."""
    z = key + counter * _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)
