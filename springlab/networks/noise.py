r"""The data-noise knob of Fig. 1a (SPEC §3.4) **[code]**: noisy inputs and resampled labels.

In every batch, a fraction ``p`` of the targets is reset and Gaussian noise
of standard deviation :math:`p \cdot \mathrm{std}(X_{\rm train})` is added to
the inputs. A reset label is a uniformly random class (it may be the right
one, so a fraction :math:`p (1 - 1/K)` of labels end up wrong); a reset
regression target is the target of a random training sample.

:func:`springlab.train` draws the noise from torch's default generator
(seeded per run), the batched trainer of sweeps from each model's own
generator; both call :func:`add_data_noise`, so the knob has one definition
and the two paths draw the same numbers in the same order.
"""
from __future__ import annotations

import torch

__all__ = ["add_data_noise"]


def add_data_noise(xb: torch.Tensor, yb: torch.Tensor, p: float, x_std: float, *, n_classes: int,
                   y_all: torch.Tensor | None = None,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The data-noise knob on one batch; returns new ``(xb, yb)``.

    Parameters
    ----------
    xb : Tensor, shape (B, ...)
        Inputs of the batch.
    yb : Tensor, shape (B,) class indices, or (B, n_out) regression targets
    p : float in [0, 1]
        Noise level of the knob.
    x_std : float
        ``std(X_train)`` (input units): the input noise has standard deviation ``p * x_std``.
    n_classes : int
        ``K`` for classification; 0 for regression.
    y_all : Tensor, shape (N, n_out), optional
        All training targets (regression only): a reset target is one of them.
    generator : torch.Generator, optional
        Where the random numbers come from (torch's default generator if None).
        Draw order: input noise, reset mask, new targets.
    """
    dev = xb.device
    xb = xb + (p * x_std) * torch.randn(xb.shape, generator=generator, device=dev)
    reset = torch.rand(yb.shape[0], generator=generator, device=dev) < p
    if n_classes:
        yb = torch.where(reset, torch.randint(0, n_classes, yb.shape, generator=generator, device=dev), yb)
    else:
        pick = torch.randint(0, y_all.shape[0], (yb.shape[0],), generator=generator, device=dev)
        yb = torch.where(reset[:, None], y_all[pick], yb)
    return xb, yb
