r"""Adam for many models at once, on one flat parameter buffer (the optimizer of :mod:`springlab.networks.engine.batched`).

Adam (Kingma & Ba, 2015) keeps, for every parameter :math:`\theta`, running
means of its gradient :math:`g` and of :math:`g^2`; at step :math:`t`

.. math::

    m \leftarrow \beta_1 m + (1-\beta_1) g, \qquad
    v \leftarrow \beta_2 v + (1-\beta_2) g^2, \qquad
    \theta \leftarrow \theta - \frac{\eta}{1-\beta_1^t}\,
        \frac{m}{\sqrt{v}/\sqrt{1-\beta_2^t} + \epsilon},

with learning rate :math:`\eta`. Every parameter is updated on its own, so
Adam on ``G`` models stacked along a leading axis is each model's own Adam,
and a sweep may give every model its own :math:`\eta`.

:func:`adam_step_reference` writes that step with PyTorch operations, in
the order of ``torch.optim.Adam`` (its single-tensor path), so that in
float64 it reproduces :func:`springlab.train` to rounding; it runs on any
device. :func:`adam_step` does the same arithmetic in one compiled Numba
pass over a flat buffer that holds all parameters of all models (CPU):
torch's optimizer spends about 0.7 ms of Python and dispatch per step on
the thirty tensors of a 7-layer MLP, several times the arithmetic
(``python -m springlab bench training``). :func:`adam_stepper` checks the
buffers once for a whole training and, for many models, splits them
between torch's threads (whole models per thread: the same bits on any
thread count). ``tests/test_adam.py`` checks kernel against reference,
parallel against serial, and reference against ``torch.optim.Adam``.

Layout of the flat buffers: parameter-major, then model. Parameter tensor
``i`` of ``n_i`` elements per model occupies ``G * n_i`` consecutive
elements, model ``g``'s at offset ``g * n_i`` within them (the layout of
``torch.cat([p.reshape(-1) for p in stacked])`` for stacked parameters of
shape ``(G, ...)``).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
from numba import njit, prange

from ..threads import models_per_thread_split

__all__ = ["adam_step", "adam_stepper", "adam_step_reference", "BETA1", "BETA2", "EPS"]

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8  # torch.optim.Adam's defaults


# error_model="numpy": a float division does not check for a zero divisor (Adam's never is), which lets
# the loops vectorise; loops index from 0 (slices), which spares the negative-index check.
@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _adam_segment(theta, grad, m, v, step_size, w1, b2, w2, bc2_sqrt, eps):
    for t in range(theta.shape[0]):
        gt = grad[t]
        mt = m[t] + w1 * (gt - m[t])  # torch's lerp for a weight below 1/2
        vt = v[t] * b2 + w2 * gt * gt
        m[t] = mt
        v[t] = vt
        theta[t] = theta[t] - step_size * (mt / (np.sqrt(vt) / bc2_sqrt + eps))


@njit(cache=True, nogil=True, error_model="numpy")
def _adam(theta, grad, m, v, sizes, step_size, coef, g0, g1):
    """One Adam step over flat buffers, in place, of models ``g0 <= g < g1``.

    Parameters
    ----------
    theta, grad, m, v : float[P]
        Parameters, gradients, first and second moments of G models, in the
        layout of the module docstring (``P = G * sum(sizes)``).
    sizes : int64[T]
        Elements per model of each of the T parameter tensors.
    step_size : float[G]
        ``lr / (1 - β1^t)`` of each model (the dtype of ``theta``).
    coef : float[5]
        ``1 - β1``, ``β2``, ``1 - β2``, ``sqrt(1 - β2^t)`` and ``ε`` (the
        dtype of ``theta``).
    g0, g1 : int
        The models stepped (the others are left as they are).
    """
    G = step_size.shape[0]
    w1, b2, w2, bc2_sqrt, eps = coef[0], coef[1], coef[2], coef[3], coef[4]
    o = 0
    for n in sizes:
        for g in range(g0, g1):
            s = slice(o + g * n, o + (g + 1) * n)
            _adam_segment(theta[s], grad[s], m[s], v[s], step_size[g], w1, b2, w2, bc2_sqrt, eps)
        o += G * n


@njit(cache=True, nogil=True, parallel=True)
def _adam_parallel(theta, grad, m, v, sizes, step_size, coef, threads):
    """:func:`_adam` of all G models, split into ``threads`` contiguous ranges of models run in parallel."""
    G = step_size.shape[0]
    for t in prange(threads):
        _adam(theta, grad, m, v, sizes, step_size, coef, t * G // threads, (t + 1) * G // threads)


#: Parameters (all models) from which a step splits its models between threads; below it waking a second
#: thread costs more than it saves. Measured on two cores: 12 models of the 7×100 MLP (850,000 parameters),
#: a sweep at batch 64 trains about 4 % faster split.
PARALLEL_MIN_ELEMENTS = 1 << 19


def _bias_corrections(step: int) -> tuple[float, float]:
    if not (isinstance(step, (int, np.integer)) and step >= 1):
        raise ValueError(f"step must be an int >= 1 (the number of this step); got {step!r}")
    return 1 - BETA1 ** step, (1 - BETA2 ** step) ** 0.5


def adam_stepper(theta: torch.Tensor, grad: torch.Tensor, m: torch.Tensor, v: torch.Tensor, sizes: Sequence[int],
                 lr: np.ndarray) -> Callable[[int], None]:
    """Adam on flat CPU buffers, checked once: returns ``step(t)``, which takes step ``t`` (from 1) in place.

    Arguments as :func:`adam_step`. A training loop calls ``step`` every
    batch: the checks and conversions, about 0.2 ms of Python, happen here
    once. Above :data:`PARALLEL_MIN_ELEMENTS` parameters the models are
    split between torch's threads (each model whole on one thread, so the
    result does not depend on the thread count).
    """
    lr = np.asarray(lr, dtype=np.float64).reshape(-1)
    sizes = np.asarray(sizes, dtype=np.int64)
    flat = (theta, grad, m, v)
    if not all(t.device.type == "cpu" and t.dtype == theta.dtype and t.is_contiguous() and t.shape == theta.shape
               for t in flat) or theta.dtype not in (torch.float32, torch.float64) or theta.dim() != 1:
        raise ValueError("theta, grad, m and v must be contiguous 1-D float32/float64 CPU tensors of one shape "
                         "and dtype")
    if lr.shape[0] * int(sizes.sum()) != theta.shape[0]:
        raise ValueError(f"theta has {theta.shape[0]} elements; G * sum(sizes) = {lr.shape[0]} * {int(sizes.sum())}")
    if np.any(~(lr > 0)):
        raise ValueError(f"lr must be > 0; got {lr}")
    np_dtype = np.float64 if theta.dtype == torch.float64 else np.float32
    arrays = [t.detach().numpy() for t in flat]
    G = lr.shape[0]
    threads = models_per_thread_split(G, theta.shape[0], PARALLEL_MIN_ELEMENTS)

    def step(t: int) -> None:
        bc1, bc2_sqrt = _bias_corrections(t)
        coef = np.array([1 - BETA1, BETA2, 1 - BETA2, bc2_sqrt, EPS], dtype=np_dtype)
        step_size = (lr / bc1).astype(np_dtype)
        if threads == 1:
            _adam(*arrays, sizes, step_size, coef, 0, G)
        else:
            _adam_parallel(*arrays, sizes, step_size, coef, threads)

    return step


def adam_step(theta: torch.Tensor, grad: torch.Tensor, m: torch.Tensor, v: torch.Tensor, sizes: Sequence[int],
              lr: np.ndarray, step: int) -> None:
    """One Adam step of G models on flat CPU buffers, in place (the compiled kernel).

    Parameters
    ----------
    theta, grad, m, v : Tensor, shape (P,)
        Contiguous float32 or float64 CPU tensors in the layout of the module
        docstring: parameters (updated), gradients, first and second moments
        (updated; zeros before the first step).
    sizes : sequence of int
        Elements per model of each parameter tensor; ``P = G * sum(sizes)``.
    lr : array of G floats
        Each model's learning rate (> 0).
    step : int
        The number of this step, from 1 (for the bias corrections).

    A loop of steps on the same buffers checks once with :func:`adam_stepper`.
    """
    adam_stepper(theta, grad, m, v, sizes, lr)(step)


@torch.no_grad()
def adam_step_reference(params: Sequence[torch.Tensor], grads: Sequence[torch.Tensor], m: Sequence[torch.Tensor],
                        v: Sequence[torch.Tensor], lr: torch.Tensor, step: int) -> None:
    """:func:`adam_step` in PyTorch operations, tensor by tensor (any device; the readable definition).

    ``params``, ``grads``, ``m``, ``v``: stacked tensors of shape ``(G, ...)``
    (``params``, ``m``, ``v`` updated in place); ``lr`` (G,) on their device.
    The operations of ``torch.optim.Adam``'s single-tensor path, with a
    learning rate per model.
    """
    bc1, bc2_sqrt = _bias_corrections(step)
    for p, g, mt, vt in zip(params, grads, m, v):
        mt.lerp_(g, 1 - BETA1)
        vt.mul_(BETA2).addcmul_(g, g, value=1 - BETA2)
        denom = (vt.sqrt() / bc2_sqrt).add_(EPS)
        p.sub_((lr / bc1).view(-1, *([1] * (p.dim() - 1))) * (mt / denom))
