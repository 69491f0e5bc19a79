r"""Dropout, one of the paper's four noise knobs (SPEC §3.4), with masks drawn fast on the CPU.

Dropout multiplies every feature by an independent keep-mask
:math:`m/(1-p)` with :math:`m \sim \mathrm{Bernoulli}(1-p)` during training
and is the identity in evaluation. This is :class:`torch.nn.Dropout`'s
definition; only the way the random bits are drawn differs. PyTorch's CPU
``bernoulli_`` draws each of them from its Mersenne-Twister generator,
which makes the masks of a 7×100 MLP at full batch cost more than the
whole forward and backward pass (about 1.1 ms per layer and step on two
cores). Here each mask takes *one* 63-bit draw from the torch generator, its
*key*; element ``k`` of the mask (in C order) is kept when the top 32 bits
of the counter-based generator ``random_bits(key, k)`` (SplitMix64, the
generator of the chain simulator, :func:`springlab.core.counter_rng.random_bits`)
are at least :math:`\lfloor p\,2^{32}\rceil`, so :math:`p` is exact to
:math:`2^{-32}`. Because an element's bit is a pure function of
``(key, k)``, the fused layer kernel of :mod:`springlab.networks.engine.bn_act` computes
the same mask inside its loops without storing it.

Reproducibility is unchanged: the masks follow the torch generator, which
:func:`springlab.train` seeds with ``seed``, and the batched trainer draws
the same keys from per-model generators, so the two agree run by run.
"""
from __future__ import annotations

import numpy as np
import torch
from numba import njit
from torch import nn

from ..core.counter_rng import random_bits_kernel

__all__ = ["Dropout", "dropout_mask", "dropout_mask_from_key", "draw_mask_key", "draw_mask_keys", "mask_threshold"]

_TWO_32 = 2**32
_S32 = np.uint64(32)


def mask_threshold(p: float) -> int:
    """The 32-bit threshold of drop probability ``p``: an element is kept when its bits are at least this."""
    return min(round(p * _TWO_32), _TWO_32 - 1)


def draw_mask_keys(n: int, generator: torch.Generator | None = None) -> np.ndarray:
    """``n`` mask keys (uint64, shape (n,)): 63-bit draws from ``generator`` (torch's default CPU generator if
    None), the same as ``n`` calls of :func:`draw_mask_key`."""
    device = generator.device if generator is not None else "cpu"
    return torch.randint(0, 2**63 - 1, (n,), generator=generator, device=device).cpu().numpy().astype(np.uint64)


def draw_mask_key(generator: torch.Generator | None = None) -> int:
    """One mask key: a single 63-bit draw from ``generator`` (torch's default CPU generator if None)."""
    return int(draw_mask_keys(1, generator)[0])


@njit(cache=True, inline="always")
def kept(key, k, threshold):
    """Whether element ``k`` (uint64) of the mask with this key survives: the rule of the module docstring."""
    return (random_bits_kernel(key, k) >> _S32) >= threshold


@njit(cache=True, nogil=True)
def _fill_mask(key, threshold, scale, out):
    """out[k] = scale if element k is kept else 0, over the flat array ``out``."""
    for k in range(out.shape[0]):
        out[k] = scale if kept(key, np.uint64(k), threshold) else 0.0


def dropout_mask(shape: tuple[int, ...], p: float, *, dtype: torch.dtype = torch.float32, device=None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Scaled keep-mask of dropout: entries ``0`` (probability ``p``) or ``1 / (1 - p)``.

    Parameters
    ----------
    shape : tuple of int
        Shape of the features the mask multiplies.
    p : float in [0, 1)
        Drop probability.
    dtype, device
        Of the returned mask.
    generator : torch.Generator, optional
        Source of the one key draw (torch's default CPU generator if None).

    Returns
    -------
    torch.Tensor, shape ``shape``
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f"p must be in [0, 1); got {p!r}")
    return dropout_mask_from_key(shape, draw_mask_key(generator), p, dtype=dtype, device=device)


def dropout_mask_from_key(shape: tuple[int, ...], key: int, p: float, *, dtype: torch.dtype = torch.float32,
                          device=None) -> torch.Tensor:
    """The mask of :func:`dropout_mask` for a key already drawn (:func:`draw_mask_key`)."""
    np_dtype = np.float64 if dtype == torch.float64 else np.float32
    out = np.empty(int(np.prod(shape, dtype=np.int64)), dtype=np_dtype)
    _fill_mask(np.uint64(key), np.uint64(mask_threshold(p)), 1.0 / (1.0 - p), out)
    return torch.from_numpy(out.reshape(shape)).to(device=device, dtype=dtype)


class Dropout(nn.Dropout):
    """:class:`torch.nn.Dropout` with masks from :func:`dropout_mask` (same definition, faster on CPU).

    A subclass, so that code looking for ``nn.Dropout`` layers (``set_dropout``,
    feature recorders) finds it. ``inplace`` is not supported.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        return x * dropout_mask(x.shape, float(self.p), dtype=x.dtype, device=x.device)
