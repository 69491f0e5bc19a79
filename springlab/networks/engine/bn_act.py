r"""The elementwise half of a hidden layer: BatchNorm → LeakyReLU(α) → dropout, fused on the CPU.

In the paper's MLP (SPEC §3.1) each hidden layer is a matrix product followed
by three elementwise steps on the pre-activations :math:`z` (shape
``(B, C)``: a batch of ``B`` samples, ``C`` units):

.. math::

    \hat z_{ij} = \frac{z_{ij} - \mu_j}{\sqrt{\sigma_j^2 + \epsilon}}, \qquad
    u_{ij} = \gamma_j \hat z_{ij} + \beta_j, \qquad
    y_{ij} = m_{ij}\,\phi_\alpha(u_{ij}),

with the batch mean :math:`\mu_j` and biased variance :math:`\sigma_j^2`
(training-mode BatchNorm), :math:`\phi_\alpha(u) = \max(u, \alpha u)` and the
dropout keep-mask :math:`m_{ij} \in \{0, 1/(1-p)\}` of
:func:`springlab.networks.dropout.dropout_mask`. The backward pass is BatchNorm's
well-known one applied to :math:`g = m\,\phi_\alpha'(u)\,\partial L/\partial y`:

.. math::

    \frac{\partial L}{\partial z_{ij}} = \frac{\gamma_j}{\sqrt{\sigma_j^2+\epsilon}}
    \Big(g_{ij} - \frac1B \sum_i g_{ij} - \hat z_{ij} \frac1B \sum_i g_{ij}\hat z_{ij}\Big),
    \quad \frac{\partial L}{\partial \gamma_j} = \sum_i g_{ij}\hat z_{ij},
    \quad \frac{\partial L}{\partial \beta_j} = \sum_i g_{ij}.

:func:`bn_act_reference` is that definition in PyTorch operations, the
version to read. :func:`bn_act` computes the same in two compiled Numba
kernels (two passes over ``z`` each way), whose dropout masks come from the
counter-based generator inside the kernel, so no mask is ever stored. The
kernels compute elementwise in the precision of ``z`` (float32 fills twice
as many vector lanes as float64) and sum in float64 over blocks of rows. On
two cores that is several times faster than PyTorch's separate BatchNorm,
LeakyReLU and multiply (each with its own passes, allocations and
dispatch), and it is what makes small networks train near the speed of
their matrix products (``python -m springlab bench training``). A call on
many models and enough elements (:func:`kernel_threads`) splits the models
between torch's threads, each model computed whole by one thread, so the
result is the same bits on any thread count; a sweep at full batch trains
about 11 % faster for it on two cores (6 models of 2,560 × 100 per call).
``tests/test_bn_act.py`` checks kernel against reference, values and
gradients, in float32 and float64.

Both work on a leading axis of ``G`` independent models (shape ``(G, B, C)``,
per-model γ, β, α and dropout), which is how :mod:`springlab.networks.engine.batched` trains
many networks at once; one model is ``G = 1``.
"""
from __future__ import annotations

import numpy as np
import torch
from numba import njit, prange

from ..dropout import draw_mask_key, dropout_mask_from_key, kept, mask_threshold
from ..threads import models_per_thread_split

__all__ = ["bn_act", "bn_act_reference", "bn_act_forward", "bn_act_backward", "forward_kernel", "backward_kernel",
           "kernel_threads", "model_constants", "can_fuse", "update_running_stats"]



# ---------------------------------------------------------------------------
# compiled kernels: arithmetic only, no checks
# ---------------------------------------------------------------------------
_BLOCK = 64  # rows summed in the working precision before they are added to float64 totals


@njit(cache=True, inline="always")
def _scales(g, gamma, stats, m, k):
    """Fill ``m`` (batch mean) and ``k = γ / sqrt(var + eps)`` (C,) of model ``g``, in the working precision."""
    for j in range(k.shape[0]):
        m[j] = stats[0, g, j]
        k[j] = gamma[g, j] * stats[2, g, j]


@njit(cache=True, inline="always")
def _act_grad(dy, u, al, sc, key, thr, k):
    """``∂L/∂u`` from ``∂L/∂y``: through dropout element ``k`` (kept × 1/(1-p)) and LeakyReLU(α) at ``u``.

    Stays in the working precision of ``dy`` (``sc - sc`` is a zero of that
    type; a literal 0 would promote float32 to float64 and stop the loops
    from vectorising).
    """
    d = dy * al if u < 0 else dy
    if thr > 0:
        d = d * sc if kept(key, k, thr) else d * (sc - sc)
    return d


@njit(cache=True, inline="always")
def _flush(part, total):
    """``total += part; part = 0`` (C,): a block's sums (working precision) into the float64 totals."""
    for j in range(part.shape[0]):
        total[j] += part[j]
        part[j] = 0


@njit(cache=True, nogil=True, error_model="numpy")
def _forward(z, gamma, beta, model, bits, eps, y, stats, run_mean, run_var, factor, g0, g1):
    """Forward pass of models ``g0 <= g < g1`` of G (one thread; :func:`_forward_parallel` splits the models).

    Element-wise arithmetic runs in the precision of ``z`` (float32 runs on
    twice as many vector lanes as float64); sums run in blocks of
    ``_BLOCK`` rows in that precision and then in float64.

    Parameters
    ----------
    z : float[G, B, C]
        Pre-activations (C-contiguous).
    gamma, beta : float[G, C]
        BatchNorm's weight and bias.
    model : float[2, G], the dtype of ``z``
        Per model: the LeakyReLU slope α in [0, 1] (1: no activation) and
        the dropout scale ``1 / (1 - p)``.
    bits : uint64[2, G]
        Per model: the dropout mask key and 32-bit threshold (0: no
        dropout). Element ``(i, j)`` is kept when the top 32 bits of
        ``random_bits(key, i*C + j)`` are at least the threshold.
    eps : float
    y : float[G, B, C]
        Output (written).
    stats : float[3, G, C]
        Batch mean, biased variance and ``1/sqrt(var + eps)`` (written).
    run_mean, run_var : float[G, C]
        BatchNorm's running mean and variance, updated in place as
        ``running = (1 - f) running + f batch`` (the unbiased variance)
        when ``factor[g] >= 0``.
    factor : float64[G]
        The update weight ``f`` of each model (negative: no update).
    g0, g1 : int
        The models computed (the others' outputs are left as they are).
    """
    G, B, C = z.shape
    m = np.empty(C, z.dtype)
    k = np.empty(C, z.dtype)
    p1 = np.zeros(C, z.dtype)
    p2 = np.zeros(C, z.dtype)
    s = np.empty(C, np.float64)
    s2 = np.empty(C, np.float64)
    for g in range(g0, g1):
        zg, yg, bg = z[g], y[g], beta[g]
        # mean and variance in one pass, shifted by the first sample (stable unless it is far from the mean)
        for j in range(C):
            m[j] = zg[0, j]
        s[:] = 0.0
        s2[:] = 0.0
        for i0 in range(0, B, _BLOCK):
            for i in range(i0, min(i0 + _BLOCK, B)):  # inner loops run along contiguous units: they vectorise
                zi = zg[i]
                for j in range(C):
                    d = zi[j] - m[j]
                    p1[j] += d
                    p2[j] += d * d
            _flush(p1, s)
            _flush(p2, s2)
        for j in range(C):
            mean = m[j] + s[j] / B
            var = max((s2[j] - s[j] * s[j] / B) / B, 0.0)
            stats[0, g, j] = mean
            stats[1, g, j] = var
            stats[2, g, j] = 1.0 / np.sqrt(var + eps)
        f = factor[g]
        if f >= 0.0:
            for j in range(C):
                run_mean[g, j] = (1.0 - f) * run_mean[g, j] + f * stats[0, g, j]
                run_var[g, j] = (1.0 - f) * run_var[g, j] + f * stats[1, g, j] * (B / (B - 1.0))
        _scales(g, gamma, stats, m, k)
        al, sc, key, thr = model[0, g], model[1, g], bits[0, g], bits[1, g]
        for i in range(B):
            zi, yi = zg[i], yg[i]
            if thr == 0:
                for j in range(C):
                    u = (zi[j] - m[j]) * k[j] + bg[j]
                    yi[j] = max(u, al * u)  # LeakyReLU for 0 <= alpha <= 1
            else:
                base = np.uint64(i * C)
                for j in range(C):
                    u = (zi[j] - m[j]) * k[j] + bg[j]
                    v = max(u, al * u)
                    yi[j] = v * sc if kept(key, base + np.uint64(j), thr) else v * 0


@njit(cache=True, nogil=True, error_model="numpy")
def _backward(dy, z, gamma, beta, model, bits, stats, want_dz, dz, dgamma, dbeta, dzsum, g0, g1):
    """Backward pass of models ``g0 <= g < g1`` of G (shapes and precision as :func:`_forward`).

    Writes ``dgamma`` and ``dbeta``, float[G, C], and, if ``want_dz``, ``dz``
    (G, B, C) and its batch sums ``dzsum`` (G, C): the gradient of the bias
    of a linear layer before this one. Two passes over ``z``: the first, over
    ``dy`` too, for the sums of BatchNorm's backward, keeping ``∂L/∂u`` in
    ``dz`` (always of ``z``'s shape; scratch when not ``want_dz``); the
    second turns it into ``∂L/∂z`` in place, without hashing the dropout
    mask again.
    """
    G, B, C = z.shape
    m = np.empty(C, z.dtype)
    k = np.empty(C, z.dtype)
    c0 = np.empty(C, z.dtype)
    c1 = np.empty(C, z.dtype)
    p1 = np.zeros(C, z.dtype)
    p2 = np.zeros(C, z.dtype)
    sb = np.empty(C, np.float64)
    sg = np.empty(C, np.float64)
    for g in range(g0, g1):
        zg, dyg, dzg, bg = z[g], dy[g], dz[g], beta[g]
        _scales(g, gamma, stats, m, k)
        sb[:] = 0.0
        sg[:] = 0.0
        al, sc, key, thr = model[0, g], model[1, g], bits[0, g], bits[1, g]
        for i0 in range(0, B, _BLOCK):
            for i in range(i0, min(i0 + _BLOCK, B)):
                zi, dyi = zg[i], dyg[i]
                base = np.uint64(i * C)
                gi = dzg[i]  # ∂L/∂u kept here for the second pass (overwritten there by ∂L/∂z)
                if thr == 0:  # no dropout: a loop without the mask's hash, which vectorises
                    for j in range(C):
                        zc = zi[j] - m[j]
                        d = dyi[j] * al if zc * k[j] + bg[j] < 0 else dyi[j]
                        gi[j] = d
                        p1[j] += d
                        p2[j] += d * zc
                    continue
                for j in range(C):
                    zc = zi[j] - m[j]
                    d = _act_grad(dyi[j], zc * k[j] + bg[j], al, sc, key, thr, base + np.uint64(j))
                    gi[j] = d
                    p1[j] += d
                    p2[j] += d * zc
            _flush(p1, sb)
            _flush(p2, sg)
        for j in range(C):
            r = stats[2, g, j]
            dgamma[g, j] = sg[j] * r  # Σ g ẑ
            dbeta[g, j] = sb[j]
            # ∂z = k (g − Σg/B − ẑ Σgẑ/B) = k g − c0 − (z − m) c1
            c0[j] = k[j] * sb[j] / B
            c1[j] = k[j] * r * r * sg[j] / B
        if not want_dz:
            continue
        sb[:] = 0.0  # now collects Σ ∂z
        for i0 in range(0, B, _BLOCK):
            for i in range(i0, min(i0 + _BLOCK, B)):
                zi, dzi = zg[i], dzg[i]
                for j in range(C):  # dzi holds ∂L/∂u from the first pass: no second mask hash
                    zc = zi[j] - m[j]
                    v = k[j] * dzi[j] - c0[j] - zc * c1[j]
                    dzi[j] = v
                    p1[j] += v
            _flush(p1, sb)
        for j in range(C):
            dzsum[g, j] = sb[j]


#: Elements per call (G·B·C) from which a kernel call splits its models between threads. Below it, waking a
#: second thread (about 50 µs with sleeping OpenMP threads) costs more than it saves: measured on two cores,
#: 12 models × 64 × 100 took 0.036 ms on one thread and 0.10 ms split; 64 × 64 × 100, 0.20 and 0.17 ms;
#: 6 × 2560 × 100 with dropout, 0.82 and 0.54 ms (forward).
PARALLEL_MIN_ELEMENTS = 1 << 18


def kernel_threads(G: int, B: int, C: int) -> int:
    """Threads a kernel call on ``G`` models of ``B × C`` elements uses: torch's thread count, 1 for small calls
    (:func:`springlab.networks.threads.models_per_thread_split`)."""
    return models_per_thread_split(G, G * B * C, PARALLEL_MIN_ELEMENTS)


@njit(cache=True, nogil=True, parallel=True)
def _forward_parallel(z, gamma, beta, model, bits, eps, y, stats, run_mean, run_var, factor, threads):
    """:func:`_forward` of all G models, split into ``threads`` contiguous ranges of models run in parallel."""
    G = z.shape[0]
    for t in prange(threads):
        _forward(z, gamma, beta, model, bits, eps, y, stats, run_mean, run_var, factor,
                 t * G // threads, (t + 1) * G // threads)


@njit(cache=True, nogil=True, parallel=True)
def _backward_parallel(dy, z, gamma, beta, model, bits, stats, want_dz, dz, dgamma, dbeta, dzsum, threads):
    """:func:`_backward` of all G models, split as :func:`_forward_parallel` splits them."""
    G = z.shape[0]
    for t in prange(threads):
        _backward(dy, z, gamma, beta, model, bits, stats, want_dz, dz, dgamma, dbeta, dzsum,
                  t * G // threads, (t + 1) * G // threads)


def forward_kernel(threads: int, z, gamma, beta, model, bits, eps, y, stats, run_mean, run_var, factor) -> None:
    """The forward kernel of all models on NumPy arrays (arguments of :func:`_forward`), on ``threads`` threads."""
    if threads == 1:
        _forward(z, gamma, beta, model, bits, eps, y, stats, run_mean, run_var, factor, 0, z.shape[0])
    else:
        _forward_parallel(z, gamma, beta, model, bits, eps, y, stats, run_mean, run_var, factor, threads)


def backward_kernel(threads: int, dy, z, gamma, beta, model, bits, stats, want_dz, dz, dgamma, dbeta, dzsum) -> None:
    """The backward kernel of all models on NumPy arrays (arguments of :func:`_backward`), on ``threads`` threads."""
    if threads == 1:
        _backward(dy, z, gamma, beta, model, bits, stats, want_dz, dz, dgamma, dbeta, dzsum, 0, z.shape[0])
    else:
        _backward_parallel(dy, z, gamma, beta, model, bits, stats, want_dz, dz, dgamma, dbeta, dzsum, threads)


def bn_act_forward(z: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, model: np.ndarray, bits: np.ndarray,
                   eps: float, running: tuple[torch.Tensor, torch.Tensor] | None = None,
                   factor: np.ndarray | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The forward kernel on tensors, without autograd; returns ``y`` (G, B, C) and ``stats`` (3, G, C).

    ``z`` (G, B, C) contiguous float32/float64 on the CPU; ``gamma``,
    ``beta`` (G, C); ``model`` and ``bits`` from :func:`model_constants`
    (with the mask keys in ``bits[0]``); ``stats`` = (mean, biased variance,
    1/sqrt(var + eps)). ``running`` (running mean, running variance), each
    (G, C), are updated in place with the per-model weights ``factor`` (G,),
    as BatchNorm updates them.
    """
    y = torch.empty_like(z)
    stats = z.new_empty((3, z.shape[0], z.shape[2]))
    if running is None:
        rm = rv = np.zeros((1, 1), dtype=stats.numpy().dtype)
        factor = np.full(z.shape[0], -1.0)
    else:
        rm, rv = (r.detach().numpy() for r in running)
    forward_kernel(kernel_threads(*z.shape), z.detach().numpy(), gamma.detach().numpy(), beta.detach().numpy(), model,
                   bits, eps, y.numpy(), stats.numpy(), rm, rv, factor)
    return y, stats


def bn_act_backward(dy: torch.Tensor, z: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, model: np.ndarray,
                    bits: np.ndarray, stats: torch.Tensor, want_dz: bool = True
                    ) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """The backward kernel on tensors: ``dz``, ``dgamma``, ``dbeta`` and ``dz`` summed over the batch (the preceding
    linear layer's bias gradient) for the output gradient ``dy``; ``dz`` and its sum are None unless ``want_dz``."""
    dz = torch.empty_like(z)
    dgb = z.new_empty((2, z.shape[0], z.shape[2]))
    dzsum = z.new_empty((z.shape[0], z.shape[2]))
    backward_kernel(kernel_threads(*z.shape), dy.contiguous().numpy(), z.detach().numpy(), gamma.detach().numpy(),
                    beta.detach().numpy(), model, bits, stats.numpy(), want_dz, dz.numpy(), dgb[0].numpy(),
                    dgb[1].numpy(), dzsum.numpy())
    if not want_dz:
        return None, dgb[0], dgb[1], None
    return dz, dgb[0], dgb[1], dzsum


class _BNAct(torch.autograd.Function):
    """Autograd wrapper of the two kernels (arguments as :func:`bn_act_forward`)."""

    @staticmethod
    def forward(ctx, z, gamma, beta, model, bits, eps):
        y, stats = bn_act_forward(z, gamma, beta, model, bits, eps)
        ctx.save_for_backward(z, gamma, beta, stats)
        ctx.model, ctx.bits = model, bits
        ctx.mark_non_differentiable(stats)
        return y, stats

    @staticmethod
    def backward(ctx, dy, _dstats):
        z, gamma, beta, stats = ctx.saved_tensors
        dz, dgamma, dbeta, _ = bn_act_backward(dy, z, gamma, beta, ctx.model, ctx.bits, stats, ctx.needs_input_grad[0])
        return dz, dgamma, dbeta, None, None, None


def _per_model(name: str, value, G: int) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape == (G,):
        return arr
    if arr.ndim == 0:
        return np.full(G, float(arr))
    raise ValueError(f"{name} must be a scalar or have one value per model ({G}); got shape {arr.shape}")


def model_constants(alpha: np.ndarray, p: np.ndarray, dtype: torch.dtype
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The ``model`` (α, 1/(1-p), in ``dtype``: the kernels' working precision) and ``bits`` (keys 0, thresholds;
    0 for no dropout) arrays of the kernels for G models."""
    np_dtype = np.float64 if dtype == torch.float64 else np.float32
    model = np.stack([np.asarray(alpha, np.float64), 1.0 / (1.0 - np.asarray(p, np.float64))]).astype(np_dtype)
    bits = np.zeros((2, model.shape[1]), np.uint64)
    bits[1] = [mask_threshold(float(v)) if v > 0 else 0 for v in p]
    return model, bits


def _mask_keys(p: np.ndarray, generators, keys) -> np.ndarray:
    """Dropout mask keys of G models: given, or one draw per model with ``p > 0`` where springlab's Dropout draws it."""
    G = p.shape[0]
    if keys is not None:
        return np.asarray(keys, dtype=np.uint64).reshape(G)
    out = np.zeros(G, np.uint64)
    for g in np.flatnonzero(p > 0):
        out[g] = draw_mask_key(None if generators is None else generators[g])
    return out


def _checked(z, alpha, p, generators, keys):
    if z.dim() not in (2, 3):
        raise ValueError(f"z must have shape (B, C) or (G, B, C); got {tuple(z.shape)}")
    if z.shape[-2] < 2:
        raise ValueError(f"BatchNorm in training needs a batch of at least 2 samples; got {z.shape[-2]}")
    G = 1 if z.dim() == 2 else z.shape[0]
    al, pp = _per_model("alpha", alpha, G), _per_model("p", p, G)
    if np.any((al < 0) | (al > 1)):
        raise ValueError(f"alpha must be in [0, 1]; got {al}")
    if np.any((pp < 0) | (pp >= 1)):
        raise ValueError(f"p must be in [0, 1); got {pp}")
    if generators is not None and len(generators) != G:
        raise ValueError(f"generators must have one generator per model ({G}); got {len(generators)}")
    return G, al, pp


def bn_act(z: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, *, alpha=0.0, p=0.0, eps: float = 1e-5,
           generators=None, keys=None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Training-mode BatchNorm → LeakyReLU(α) → dropout(p), fused (CPU, float32 or float64).

    Parameters
    ----------
    z : Tensor, shape (B, C) or (G, B, C)
        Pre-activations of one model, or of ``G`` models (C-contiguous).
    weight, bias : Tensor, shape (C,) or (G, C)
        BatchNorm's γ and β (differentiable).
    alpha : float or sequence of G floats in [0, 1], default 0
        LeakyReLU slope (1: no activation, as for the input BatchNorm).
    p : float or sequence of G floats in [0, 1), default 0
        Dropout rate. A model with ``p > 0`` takes one draw from its
        generator for its mask key (:func:`springlab.networks.dropout.draw_mask_key`),
        where :class:`springlab.networks.dropout.Dropout` would, and gets the same mask.
    eps : float, default 1e-5
    generators : sequence of G torch.Generator, optional
        Per-model sources of the mask keys (default: torch's global one).
    keys : sequence of G ints, optional
        Mask keys drawn beforehand (then nothing is drawn here).

    Returns
    -------
    y : Tensor, shape of ``z``
    mean, var : Tensor, shape (C,) or (G, C)
        The batch mean and *biased* variance (for the running statistics;
        not differentiable).
    """
    G, al, pp = _checked(z, alpha, p, generators, keys)
    if not can_fuse(z):
        raise ValueError(f"bn_act runs on dense float32/float64 CPU tensors; got {z.dtype} on {z.device} "
                         "(use bn_act_reference)")
    model, bits = model_constants(al, pp, z.dtype)
    bits[0] = _mask_keys(pp, generators, keys)
    y, stats = _BNAct.apply(z.reshape(G, *z.shape[-2:]).contiguous(), weight.reshape(G, -1), bias.reshape(G, -1),
                            model, bits, float(eps))
    return y.reshape(z.shape), stats[0].reshape(weight.shape), stats[1].reshape(weight.shape)


def bn_act_reference(z: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, *, alpha=0.0, p=0.0,
                     eps: float = 1e-5, generators=None, keys=None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`bn_act` in plain PyTorch operations (any device; the readable definition). Same arguments and results."""
    G, al, pp = _checked(z, alpha, p, generators, keys)
    z3 = z.reshape(G, *z.shape[-2:])
    B, C = z3.shape[1:]
    mean = z3.mean(1, keepdim=True)
    var = (z3 - mean).square().mean(1, keepdim=True)
    zhat = (z3 - mean) / torch.sqrt(var + eps)
    u = weight.reshape(G, 1, C) * zhat + bias.reshape(G, 1, C)
    slope = torch.tensor(al, dtype=z.dtype, device=z.device).view(G, 1, 1)
    y = torch.maximum(u, slope * u)  # LeakyReLU for 0 <= alpha <= 1
    keys = _mask_keys(pp, generators, keys)
    if np.any(pp > 0):
        masks = [dropout_mask_from_key((B, C), int(keys[g]), float(pp[g]), dtype=z.dtype, device=z.device)
                 if pp[g] > 0 else torch.ones(B, C, dtype=z.dtype, device=z.device) for g in range(G)]
        y = y * torch.stack(masks)
    return y.reshape(z.shape), mean.detach().reshape(weight.shape), var.detach().reshape(weight.shape)


def can_fuse(z: torch.Tensor) -> bool:
    """Whether :func:`bn_act` runs on these pre-activations (CPU, float32/float64, dense)."""
    return z.device.type == "cpu" and z.dtype in (torch.float32, torch.float64) and z.layout == torch.strided


@torch.no_grad()
def update_running_stats(running_mean: torch.Tensor, running_var: torch.Tensor, num_batches_tracked: torch.Tensor,
                         momentum: float | None, mean: torch.Tensor, var: torch.Tensor, batch: int) -> None:
    """Update BatchNorm's running statistics in place from a batch's mean and biased variance, as BatchNorm does.

    ``running = (1 - m) running + m batch`` with the *unbiased* batch variance;
    ``momentum=None`` is the cumulative average (``m = 1 / batches``).
    ``num_batches_tracked`` is incremented here. Shapes: ``(C,)`` or ``(G, C)``
    (``num_batches_tracked``: ``()`` or ``(G,)``).
    """
    num_batches_tracked.add_(1)
    if momentum is None:
        factor = (1.0 / num_batches_tracked.to(running_mean.dtype)).reshape(*num_batches_tracked.shape,
                                                                             *([1] * (running_mean.dim() - num_batches_tracked.dim())))
    else:
        factor = momentum
    running_mean.mul_(1 - factor).add_(factor * mean)
    running_var.mul_(1 - factor).add_(factor * var * (batch / (batch - 1)))
