r"""Dropout, one of the paper's four noise knobs (SPEC §3.4), with masks drawn fast on the CPU.

Dropout multiplies every feature by an independent keep-mask
:math:`m/(1-p)` with :math:`m \sim \mathrm{Bernoulli}(1-p)` during training
and is the identity in evaluation. This is :class:`torch.nn.Dropout`'s
definition; only the way the random bits are drawn differs. PyTorch's CPU
``bernoulli_`` draws each of them from its Mersenne-Twister generator,
which makes the masks of a 7×100 MLP at full batch cost more than the
whole forward and backward pass (about 1.1 ms per layer and step on two
cores, against 0.4 ms here). Here each mask takes *one* 63-bit draw from
the torch generator, which seeds a NumPy PCG64 stream of 32-bit integers:
an element is kept when its integer is at least :math:`\lfloor p\,2^{32}\rceil`
(so :math:`p` is exact to :math:`2^{-32}`).

Reproducibility is unchanged: the masks follow the torch generator, which
:func:`springlab.train` seeds with ``seed``, and the batched trainer draws
the same masks from per-model generators (:func:`dropout_mask`), so the two
agree run by run.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["Dropout", "dropout_mask"]

_TWO_32 = 2**32


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
        Source of the one seed draw (torch's default CPU generator if None).

    Returns
    -------
    torch.Tensor, shape ``shape``
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f"p must be in [0, 1); got {p!r}")
    gen_device = generator.device if generator is not None else "cpu"
    seed = int(torch.randint(0, 2**63 - 1, (1,), generator=generator, device=gen_device).item())
    bits = np.random.Generator(np.random.PCG64(seed)).integers(0, _TWO_32, size=tuple(shape), dtype=np.uint32)
    keep = torch.from_numpy(bits >= np.uint32(min(round(p * _TWO_32), _TWO_32 - 1)))
    return keep.to(device=device, dtype=dtype).mul_(1.0 / (1.0 - p))


class Dropout(nn.Dropout):
    """:class:`torch.nn.Dropout` with masks from :func:`dropout_mask` (same definition, faster on CPU).

    A subclass, so that code looking for ``nn.Dropout`` layers (``set_dropout``,
    feature recorders) finds it. ``inplace`` is not supported.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        return x * dropout_mask(x.shape, float(self.p), dtype=x.dtype, device=x.device)
