"""Training many MLPs at once as one batched model (the fast path of small-batch sweeps).

A phase diagram trains hundreds of small, identical-architecture networks
that differ only in their nonlinearity α, dropout rate, learning rate, data
noise and seed. At small batch sizes one such network cannot keep two CPU
cores busy (each step is a chain of tiny matrix products dominated by
per-call overhead), but ``G`` of them stacked along a leading axis can:
:func:`train_batched` stacks the parameters of ``G`` :class:`~springlab.networks.MLP`
instances (``torch.func.stack_module_state``), runs the forward pass with
batched matrix products (``torch.baddbmm``) and one fused kernel per layer
for BatchNorm → LeakyReLU → dropout of all ``G`` models
(:mod:`springlab.bn_act`), and takes all ``G`` Adam steps in one compiled
pass over a flat parameter buffer (:mod:`springlab.adam`). (An earlier version ran one model's
forward pass under ``torch.func.vmap``; its per-operation overhead made it
only about 2× faster than a loop at batch 64, against about 5× now on
two threads, ``python -m springlab bench sweep``.) The BatchNorm kernels and
Adam split the models between torch's threads when a call is big enough
(whole models per thread, so the same bits on any thread count).

It is the same training as :func:`springlab.training.train` (the readable
reference, one model at a time), step for step:

* every model draws from its own ``torch.Generator`` seeded with its seed,
  in the order ``train`` draws from the global one (per epoch the shuffling
  permutation; per step input noise, label resets and labels, then one
  dropout mask key per hidden layer), so a model sees the same batches,
  noise and masks in both paths;
* dropout masks are the masks of :class:`springlab.dropout.Dropout` for the
  same keys, computed inside the fused kernel (per-model rates);
* BatchNorm uses the batch statistics of each model and updates the stacked
  running statistics as ``nn.BatchNorm1d`` does;
* Adam is elementwise, so Adam on the stacked tensors is each model's own
  Adam, with a learning rate per model and the arithmetic of
  ``torch.optim.Adam`` (single-tensor path): all parameters of all models
  live in one flat buffer and take one compiled Adam pass on the CPU
  (:mod:`springlab.adam`);
* a model whose epoch loss falls below ``stop_loss`` (or is not finite) is
  frozen there: its state is taken out at that epoch, as ``train`` stops.

The final measurements (load curves of training and test data, accuracies)
are made by ``train``'s own functions on ordinary modules loaded with the
trained state. In float64 both paths agree to rounding (``tests/test_sweep.py``);
in float32 they drift apart slowly through Adam's division by near-zero
second moments, like any two float32 runs with differently ordered sums.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .adam import adam_step_reference, adam_stepper
from .bn_act import (backward_kernel, bn_act_reference, can_fuse, forward_kernel, kernel_threads, model_constants,
                     update_running_stats)
from ..dropout import draw_mask_keys, dropout_mask_from_key
from ..models import MLP
from ..noise import add_data_noise
from ..runs import OPTIMIZERS, TrainRun, evaluate, record

__all__ = ["train_batched", "can_batch", "BATCHABLE_NORMS"]

#: Normalisations the batched trainer can stack (the sweep's ``"auto"`` loops over the others).
BATCHABLE_NORMS: tuple[str, ...] = ("batch", "none")

def can_batch(models: Sequence[nn.Module]) -> bool:
    """Whether :func:`train_batched` can stack these models (same-shape MLPs with BatchNorm or no norm)."""
    if not models or not all(isinstance(m, MLP) for m in models):
        return False
    a = models[0]
    return all((m.in_dim, m.width, m.depth, m.norm, m.n_out) == (a.in_dim, a.width, a.depth, a.norm, a.n_out)
               and m.norm in BATCHABLE_NORMS for m in models)


def _per_model(name: str, value, G: int) -> list:
    if np.ndim(value) == 0:
        return [value] * G
    value = list(value)
    if len(value) != G:
        raise ValueError(f"{name} must be a scalar or have one value per model ({G}); got {len(value)}")
    return value


def _forward(p: dict, buf: dict, x: torch.Tensor, alpha: np.ndarray, drops: np.ndarray, keys: np.ndarray | None,
             depth: int, norm: str, momentum: float | None, eps: float) -> torch.Tensor:
    """Training-mode forward pass of G stacked models in PyTorch operations (autograd computes the backward).

    The general path (any device, BatchNorm or none). ``x`` has shape (G, B, in);
    ``p`` and ``buf`` hold the stacked parameters and buffers (leading axis G);
    ``alpha`` and ``drops`` (G,) are the models' slopes and dropout rates,
    ``keys`` (G, depth) the dropout mask keys of this step (None without
    dropout). Updates the stacked running statistics; returns the logits (G, B, K).
    """
    G, B = x.shape[:2]
    h = x
    if norm == "batch":
        h, mean, var = bn_act_reference(x, p["input_norm.weight"], p["input_norm.bias"], alpha=1.0, eps=eps)
        update_running_stats(buf["input_norm.running_mean"], buf["input_norm.running_var"],
                             buf["input_norm.num_batches_tracked"], momentum, mean, var, B)
    for i in range(depth):
        w, b = p[f"hidden.{i}.linear.weight"], p[f"hidden.{i}.linear.bias"]
        z = torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2))
        k = None if keys is None else keys[:, i]
        if norm == "batch":
            prefix = f"hidden.{i}.norm"
            h, mean, var = bn_act_reference(z, p[prefix + ".weight"], p[prefix + ".bias"], alpha=alpha, p=drops,
                                            eps=eps, keys=k)
            update_running_stats(buf[prefix + ".running_mean"], buf[prefix + ".running_var"],
                                 buf[prefix + ".num_batches_tracked"], momentum, mean, var, B)
        else:  # LeakyReLU and dropout only
            h = torch.maximum(z, torch.as_tensor(alpha, dtype=z.dtype, device=z.device).view(-1, 1, 1) * z)
            if k is not None:
                h = h * torch.stack([dropout_mask_from_key(h.shape[1:], int(k[g]), float(drops[g]), dtype=h.dtype,
                                                           device=h.device) if drops[g] > 0 else torch.ones_like(h[g])
                                     for g in range(G)])
    return torch.baddbmm(p["head.bias"].unsqueeze(1), h, p["head.weight"].transpose(1, 2))


def _autograd_step(p, buf, grad, depth, alpha, drops, norm, momentum, eps):
    """The step through :func:`_forward` and autograd (any device; BatchNorm or none).

    Returns ``step(x, y, keys) -> loss (G,)``, which writes the gradients
    into the tensors of ``grad`` (a dict like ``p``).
    """
    names = list(p)

    def step(x, y, keys):
        G, B = y.shape
        out = _forward(p, buf, x, alpha, drops, keys, depth, norm, momentum, eps)
        loss = F.cross_entropy(out.reshape(G * B, -1), y.reshape(-1), reduction="none").view(G, B).mean(1)
        for k, g in zip(names, torch.autograd.grad(loss.sum(), [p[k] for k in names])):
            grad[k].copy_(g)
        return loss.detach()

    return step


def _can_step_by_hand(like: torch.Tensor, norm: str) -> bool:
    """Whether :func:`_hand_step` runs for tensors of the device and dtype of ``like``."""
    return norm == "batch" and can_fuse(like)


def _hand_step(p, buf, grad, depth, alpha, drops, momentum, eps):
    """The step of :func:`_autograd_step` with the backward pass written out (CPU, BatchNorm): the fast path.

    Forward: ``z_i = h_{i-1} W_iᵀ + b_i`` (``baddbmm``), then the fused
    BatchNorm → LeakyReLU → dropout kernel (:mod:`springlab.bn_act`), which
    also updates the running statistics. Backward, for the mean
    cross-entropy of each model: ``∂L/∂logits = (softmax − onehot) / B``;
    per linear layer ``∂W = (∂z)ᵀ h``, ``∂h = ∂z W``, and
    ``∂b = Σ_batch ∂z`` (summed by the kernel); per BatchNorm layer the
    backward kernel. No autograd graph is built, and every array is
    allocated once per batch size: at small batches the per-step overhead
    of autograd and allocation is most of the time. The parameters, buffers
    and gradients must stay where they are (they are updated in place).
    """
    G = alpha.shape[0]
    dtype = p["head.weight"].dtype
    np_dtype = p["head.weight"].detach().numpy().dtype
    model, bits = model_constants(alpha, drops, dtype)
    plain = model_constants(np.ones(G), np.zeros(G), dtype)  # the input BatchNorm: no activation, no dropout
    norms = ["input_norm"] + [f"hidden.{i}.norm" for i in range(depth)]
    npy = {k: t.detach().numpy() for k, t in (*p.items(), *buf.items())}
    gnp = {k: t.numpy() for k, t in grad.items()}
    counts = [buf[n + ".num_batches_tracked"].numpy() for n in norms]
    momentum_factor = None if momentum is None else np.full(G, momentum)
    layer_bits = [plain[1]] + [bits.copy() for _ in range(depth)]
    layer_model = [plain[0]] + [model] * depth
    weights = [p[f"hidden.{i}.linear.weight"] for i in range(depth)] + [p["head.weight"]]
    biases = [p[f"hidden.{i}.linear.bias"].unsqueeze(1) for i in range(depth)] + [p["head.bias"].unsqueeze(1)]
    work: dict[int, dict] = {}

    def workspace(x):
        B, C = x.shape[1], p["hidden.0.norm.weight"].shape[1]
        if B not in work:  # per norm layer l: pre-activation z (l > 0), output h, statistics, ∂L/∂h
            z = [None] + [torch.empty(G, B, C, dtype=dtype) for _ in range(depth)]
            h = [torch.empty_like(x)] + [torch.empty_like(t) for t in z[1:]]
            dh = torch.empty(G, B, C, dtype=dtype)  # ∂L/∂h of one layer at a time
            w = dict(z=z, h=h, dh=[torch.empty_like(x)] + [dh] * depth, dz=torch.empty(G, B, C, dtype=dtype),
                     stats=[np.empty((3, G, t.shape[2]), np_dtype) for t in h],
                     unused=(np.empty_like(x.numpy()), np.empty((G, x.shape[2]), np_dtype)))
            w["np"] = {k: [None if t is None else t.numpy() for t in w[k]] for k in ("z", "h", "dh")}
            w["threads"] = [kernel_threads(*t.shape) for t in h]
            w["dz_np"] = w["dz"].numpy()
            work[B] = w
        return work[B]

    @torch.no_grad()
    def step(x, y, keys):
        B = y.shape[1]
        w = workspace(x)
        zn, hn, dhn, threads = w["np"]["z"], w["np"]["h"], w["np"]["dh"], w["threads"]
        zn[0] = x.numpy()  # the input BatchNorm's "pre-activation" is the input
        if keys is not None:
            for i in range(depth):
                layer_bits[i + 1][0] = keys[:, i]
        for l, name in enumerate(norms):
            if l > 0:
                torch.baddbmm(biases[l - 1], w["h"][l - 1], weights[l - 1].transpose(1, 2), out=w["z"][l])
            counts[l] += 1
            factor = momentum_factor if momentum is not None else 1.0 / counts[l]
            forward_kernel(threads[l], zn[l], npy[name + ".weight"], npy[name + ".bias"], layer_model[l],
                           layer_bits[l], eps, hn[l], w["stats"][l], npy[name + ".running_mean"],
                           npy[name + ".running_var"], factor)
        out = torch.baddbmm(biases[depth], w["h"][depth], weights[depth].transpose(1, 2))
        logp = torch.log_softmax(out, dim=2)
        target = y.unsqueeze(2)
        loss = -logp.gather(2, target).squeeze(2).mean(1)
        d = logp.exp_()  # softmax
        d.scatter_add_(2, target, torch.full(target.shape, -1.0, dtype=d.dtype)).div_(B)
        torch.bmm(d.transpose(1, 2), w["h"][depth], out=grad["head.weight"])
        torch.sum(d, 1, out=grad["head.bias"])
        torch.bmm(d, weights[depth], out=w["dh"][depth])
        for l in range(depth, 0, -1):
            name, lin = norms[l], f"hidden.{l - 1}.linear"
            backward_kernel(threads[l], dhn[l], zn[l], npy[name + ".weight"], npy[name + ".bias"], layer_model[l],
                            layer_bits[l], w["stats"][l], True, w["dz_np"], gnp[name + ".weight"],
                            gnp[name + ".bias"], gnp[lin + ".bias"])
            torch.bmm(w["dz"].transpose(1, 2), w["h"][l - 1], out=grad[lin + ".weight"])
            torch.bmm(w["dz"], weights[l - 1], out=w["dh"][l - 1])
        backward_kernel(threads[0], dhn[0], zn[0], npy["input_norm.weight"], npy["input_norm.bias"], *plain,
                        w["stats"][0], False, w["unused"][0], gnp["input_norm.weight"], gnp["input_norm.bias"],
                        w["unused"][1])
        return loss

    return step


def train_batched(models: Sequence[MLP], data, *, lr=1e-3, batch_size: int = 2560, epochs: int = 100,
                  optimizer: str = "adam", data_noise=0.0, seed=0, stop_loss: float = 1e-4, kind: str = "D",
                  progress: bool = False, record_every: int | None = None,
                  in_place: bool = False) -> list[TrainRun]:
    """Train ``G`` MLPs of one architecture together; same results as :func:`~springlab.training.train`.

    Parameters
    ----------
    models : sequence of MLP, length G
        Same ``in_dim``, ``width``, ``depth``, ``norm`` ("batch" or "none")
        and ``n_out``; ``alpha`` and ``dropout`` may differ. Left untouched
        (the trained states are loaded into copies) unless ``in_place``.
    data : Dataset
        Classification data (:func:`springlab.load_dataset`).
    lr, data_noise, seed : scalar or sequence of G values
        Per model, as in :func:`~springlab.training.train`.
    batch_size, epochs, optimizer, stop_loss, kind
        Shared by all models, as in :func:`~springlab.training.train`
        (``optimizer`` "adam" or plain "sgd"; no weight decay or momentum).
    progress : bool, default False
        A tqdm bar over epochs.
    record_every : int, optional
        Measure every model's load curves every this many epochs (and at
        epoch 0 and at the end), as :func:`~springlab.training.train` does;
        ``None``: only at the end.
    in_place : bool, default False
        Load each model's trained state into ``models[g]`` itself (as
        ``train`` trains in place) instead of into a copy.

    Returns
    -------
    list of TrainRun, length G
        Each as ``train(models[g], data, ..., seed=seed[g])`` would return
        it (``seconds`` is the group's wall time divided by G).
    """
    t0 = time.perf_counter()
    models = list(models)
    lrs, noises, seeds = _check_group(models, data, lr=lr, batch_size=batch_size, epochs=epochs,
                                      optimizer=optimizer, data_noise=data_noise, seed=seed)
    if not (record_every is None or (isinstance(record_every, int) and record_every >= 1)):
        raise ValueError(f"record_every must be None or an int >= 1; got {record_every!r}")
    group = _setup_group(models, data, lrs, noises, seeds, batch_size)
    x_test, y_test = data.x_test.to(group.dev, torch.float32), data.y_test.to(group.dev)
    records: list[list[tuple]] = [[] for _ in models]

    def take(g: int, epoch: int) -> None:  # a record of model g now, measured as train() measures it
        model = _clone_like(models[g])
        model.load_state_dict(group.stack.state(g))
        records[g].append((epoch, *record(model, group.x, group.y, x_test, y_test, kind, group.K, True)))

    final_state, epochs_run, stopped, loss_hist = _train_group(group, epochs, optimizer, stop_loss, progress,
                                                               record_every=record_every, take=take)
    seconds = (time.perf_counter() - t0) / len(models)
    runs = []
    for g, m in enumerate(models):
        model = m if in_place else _clone_like(m)
        model.load_state_dict(final_state[g])
        settings = dict(lr=lrs[g], batch_size=batch_size, epochs=epochs, optimizer=optimizer, data_noise=noises[g],
                        seed=seeds[g], record_every=record_every, stop_loss=stop_loss, kind=kind,
                        device=str(group.dev), weight_decay=0.0, momentum=0.0, model=repr(model).splitlines()[0],
                        dropout=model.dropout, alpha=model.alpha, data=getattr(data, "name", None),
                        torch=torch.__version__, batched=len(models))
        runs.append(_measure(model, group.x, group.y, x_test, y_test, group.K, kind, epochs_run[g], stopped[g],
                             loss_hist[:epochs_run[g], g], settings, seconds, records[g]))
    return runs


def _check_group(models: list[MLP], data, *, lr, batch_size: int, epochs: int, optimizer: str, data_noise,
                 seed) -> tuple[list[float], list[float], list[int]]:
    """Raise a ValueError for arguments :func:`train_batched` cannot take; return the per-model lr, noise, seed."""
    G = len(models)
    if not can_batch(models):
        raise ValueError("models must be a non-empty sequence of MLPs with equal in_dim, width, depth, n_out "
                         "and norm 'batch' or 'none'")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}; got {optimizer!r}")
    if getattr(data, "task", "classification") != "classification":
        raise ValueError("train_batched supports classification data only; use train() for regression")
    if not (isinstance(batch_size, int) and batch_size >= 1):
        raise ValueError(f"batch_size must be an int >= 1; got {batch_size!r}")
    if not (isinstance(epochs, int) and epochs >= 1):
        raise ValueError(f"epochs must be an int >= 1; got {epochs!r}")
    lrs = [float(v) for v in _per_model("lr", lr, G)]
    noises = [float(v) for v in _per_model("data_noise", data_noise, G)]
    seeds = [int(v) for v in _per_model("seed", seed, G)]
    if any(not v > 0 for v in lrs):
        raise ValueError(f"lr must be > 0; got {lrs}")
    if any(not 0.0 <= v <= 1.0 for v in noises):
        raise ValueError(f"data_noise must be in [0, 1]; got {noises}")
    return lrs, noises, seeds


@dataclass
class _Stack:
    """The parameters of G models stacked (G, ...) as views of one flat buffer, with their gradients and moments.

    One flat buffer makes the optimizer one pass (:mod:`springlab.adam`) and
    freezing a model a slice.
    """

    names: list[str]
    sizes: list[int]  # elements of one model's share of each parameter
    theta: torch.Tensor  # all parameters of all models, flat
    params: dict[str, torch.Tensor]  # views of theta
    buffers: dict[str, torch.Tensor]
    grad_flat: torch.Tensor
    grad: dict[str, torch.Tensor]  # views of grad_flat
    m_flat: torch.Tensor  # Adam's moments
    v_flat: torch.Tensor
    m_views: list[torch.Tensor]
    v_views: list[torch.Tensor]

    def state(self, g: int) -> dict:
        """A copy of model ``g``'s state dict."""
        state = {k: v[g].detach().clone() for k, v in self.params.items()}
        state.update({k: v[g].clone() for k, v in self.buffers.items()})
        return state


def _stack(models: list[MLP]) -> _Stack:
    """Stack the states of the models (left untouched) into one :class:`_Stack`."""
    params, buffers = torch.func.stack_module_state(models)
    names = list(params)
    sizes = [params[k][0].numel() for k in names]
    theta = torch.cat([params[k].detach().reshape(-1) for k in names])
    stacked = dict(zip(names, _views(theta, names, params)))
    for v in stacked.values():
        v.requires_grad_(True)  # for the autograd path; the hand-written step runs without grad
    grad_flat = torch.empty_like(theta)
    m_flat, v_flat = torch.zeros_like(theta), torch.zeros_like(theta)
    return _Stack(names=names, sizes=sizes, theta=theta, params=stacked,
                  buffers={k: v.clone() for k, v in buffers.items()}, grad_flat=grad_flat,
                  grad=dict(zip(names, _views(grad_flat, names, stacked))), m_flat=m_flat, v_flat=v_flat,
                  m_views=_views(m_flat, names, stacked), v_views=_views(v_flat, names, stacked))


@dataclass
class _Group:
    """G stacked models with their training data and per-model settings: what each epoch needs."""

    stack: _Stack
    step: Callable  # step(x, y, keys) -> loss (G,); the gradients land in stack.grad
    x: torch.Tensor  # training inputs (n, in), float32 as train() feeds them
    y: torch.Tensor
    x_all: torch.Tensor | None  # every model's full batch (G, n, in), when one batch holds everything
    K: int
    batch_size: int
    dtype: torch.dtype
    dev: torch.device
    depth: int
    lr_t: torch.Tensor
    noises: list[float]
    noisy: list[int]  # the models with data noise
    x_std: float
    drops: np.ndarray
    gens: list[torch.Generator]  # one per model, seeded with its seed
    adam: Callable[[int], None] | None  # the compiled Adam step on the flat buffers (CPU), checked once

    @property
    def G(self) -> int:
        """The number of models."""
        return len(self.gens)


def _setup_group(models: list[MLP], data, lrs: list[float], noises: list[float], seeds: list[int],
                 batch_size: int) -> _Group:
    """Stack the models, put the data on their device and choose the step (by hand where it can, else autograd)."""
    G = len(models)
    ref = models[0]
    depth, norm = ref.depth, ref.norm
    dtype = ref.head.weight.dtype
    dev = ref.head.weight.device
    x = data.x_train.to(dev, torch.float32)  # train() feeds float32 inputs; the model casts if it wants
    y = data.y_train.to(dev)
    n = x.shape[0]
    x_std = float(x.std()) if any(noises) else 0.0
    full = batch_size >= n
    x_all = x.to(dtype).expand(G, n, x.shape[1]).contiguous() if full else None  # every model's full batch, once
    stack = _stack(models)
    alpha_np = np.array([float(m.alpha) for m in models])
    drops = np.array([float(m.dropout) for m in models])
    momentum, bn_eps = 0.1, 1e-5
    if norm == "batch":
        momentum, bn_eps = ref.input_norm.momentum, ref.input_norm.eps
    if _can_step_by_hand(stack.theta, norm):  # the parameters' device and dtype
        step = _hand_step(stack.params, stack.buffers, stack.grad, depth, alpha_np, drops, momentum, bn_eps)
    else:
        step = _autograd_step(stack.params, stack.buffers, stack.grad, depth, alpha_np, drops, norm, momentum, bn_eps)
    return _Group(stack=stack, step=step, x=x, y=y, x_all=x_all, K=int(data.n_classes), batch_size=batch_size,
                  dtype=dtype, dev=dev, depth=depth,
                  lr_t=torch.tensor(lrs, dtype=dtype, device=dev), noises=noises,
                  noisy=[g for g in range(G) if noises[g] > 0], x_std=x_std, drops=drops,
                  gens=[torch.Generator(device=dev).manual_seed(s) for s in seeds],
                  adam=adam_stepper(stack.theta, stack.grad_flat, stack.m_flat, stack.v_flat, stack.sizes, lrs)
                  if dev.type == "cpu" and dtype in (torch.float32, torch.float64) else None)


def _train_group(group: _Group, epochs: int, optimizer: str, stop_loss: float, progress: bool, *,
                 record_every: int | None = None,
                 take: Callable[[int, int], None] | None = None) -> tuple[list[dict], list[int], list[bool], np.ndarray]:
    """The epochs of the group, each model frozen where its loss falls below ``stop_loss`` or is not finite.

    ``take(g, epoch)`` records model ``g`` at epoch 0 and every
    ``record_every`` epochs while it trains, where ``train`` records.
    Returns per model its final state, epochs run and whether it stopped
    early, and the epoch losses (epochs run by the group, G).
    """
    from tqdm.auto import tqdm

    G = group.G
    final_state: list[dict | None] = [None] * G
    epochs_run = [epochs] * G
    stopped = [False] * G
    losses: list[torch.Tensor] = []
    done = np.zeros(G, dtype=bool)
    recording = record_every is not None and take is not None
    if recording:
        for g in range(G):
            take(g, 0)
    bar = tqdm(range(1, epochs + 1), disable=not progress, desc=f"train ×{G}", leave=False)
    t_step = 0
    for epoch in bar:
        epoch_loss, t_step = _group_epoch(group, optimizer, t_step)
        losses.append(epoch_loss)
        values = epoch_loss.double().cpu().numpy()
        for g in np.flatnonzero(~done):
            if not np.isfinite(values[g]) or values[g] < stop_loss:  # frozen here, as train() stops
                stopped[g] = bool(np.isfinite(values[g]))
                epochs_run[g] = epoch
                final_state[g] = group.stack.state(g)
                done[g] = True
            elif recording and epoch % record_every == 0:
                take(g, epoch)
        if done.all():
            break
    bar.close()
    for g in np.flatnonzero(~done):
        final_state[g] = group.stack.state(g)
    return final_state, epochs_run, stopped, torch.stack(losses).double().cpu().numpy()


def _group_epoch(group: _Group, optimizer: str, t_step: int) -> tuple[torch.Tensor, int]:
    """One epoch of steps of all models; returns their mean losses (G,) and the steps taken so far."""
    n = group.x.shape[0]
    epoch_loss = torch.zeros(group.G, device=group.dev)  # float32, as in train()
    for xb, yb in _group_batches(group):
        xb, yb = _add_data_noise(group, xb, yb)
        keys = _dropout_keys(group)
        xb = xb.to(group.dtype)
        loss = group.step(xb.contiguous(), yb, keys)  # the gradients land in group.stack.grad
        t_step += 1
        _optimizer_step(group, optimizer, t_step)
        with torch.no_grad():
            epoch_loss += loss * yb.shape[1]  # float32 accumulator, as in train()
    return epoch_loss / n, t_step


def _group_batches(group: _Group) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch's batches (G, B, in), (G, B): each model reshuffled by its own generator unless one batch is all."""
    x, y, batch_size = group.x, group.y, group.batch_size
    n = x.shape[0]
    full = batch_size >= n
    orders = None if full else torch.stack([torch.randperm(n, generator=g, device=group.dev) for g in group.gens])
    for start in range(0, n, batch_size):
        if full:
            yield group.x_all, y.expand(group.G, n)
        else:
            idx = orders[:, start:start + batch_size]
            yield x[idx], y[idx]  # one gather for all models


def _add_data_noise(group: _Group, xb: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The data-noise knob on one batch, per model from its own generator in the order of train()'s draws."""
    if not group.noisy:
        return xb, yb
    xb, yb = xb.clone(), yb.clone()
    for g in group.noisy:
        xb[g], yb[g] = add_data_noise(xb[g], yb[g], group.noises[g], group.x_std, n_classes=group.K,
                                      generator=group.gens[g])
    return xb, yb


def _dropout_keys(group: _Group) -> np.ndarray | None:
    """This step's dropout mask keys (G, depth), drawn where springlab's Dropout draws them in train()."""
    if not group.drops.any():
        return None
    keys = np.zeros((group.G, group.depth), np.uint64)
    for g in np.flatnonzero(group.drops > 0):
        keys[g] = draw_mask_keys(group.depth, group.gens[g])
    return keys


@torch.no_grad()
def _optimizer_step(group: _Group, optimizer: str, t_step: int) -> None:
    """Step ``t_step`` of every model's optimizer: compiled Adam on the CPU, reference Adam elsewhere, or SGD."""
    s = group.stack
    if optimizer == "adam" and group.adam is not None:
        group.adam(t_step)
    elif optimizer == "adam":
        adam_step_reference([s.params[k] for k in s.names], [s.grad[k] for k in s.names], s.m_views, s.v_views,
                            group.lr_t, t_step)
    else:
        for k, p in s.params.items():
            p.sub_(group.lr_t.view(-1, *([1] * (p.dim() - 1))) * s.grad[k])


def _views(flat: torch.Tensor, names: list[str], like: dict) -> list[torch.Tensor]:
    """Views of the flat buffer shaped as the stacked tensors ``like[name]`` (layout of :mod:`springlab.adam`)."""
    out, o = [], 0
    for k in names:
        n = like[k].numel()
        out.append(flat[o:o + n].view(like[k].shape))
        o += n
    return out


def _clone_like(m: MLP) -> MLP:
    """A fresh MLP of the same class and settings (the state is loaded afterwards)."""
    import copy

    return copy.deepcopy(m)


def _measure(model, x, y, x_test, y_test, K, kind, epoch, stopped, loss, settings, seconds,
             records: list[tuple] = ()) -> TrainRun:
    """The end of :func:`springlab.training.train`: final curves and accuracies, by its own functions.

    ``records`` are the ``(epoch, load, load_test, test accuracy, test loss)`` taken during training;
    the final model is recorded unless the last record is of its epoch already, as in ``train``.
    """
    records = list(records)
    if not records or records[-1][0] != epoch:
        records.append((epoch, *record(model, x, y, x_test, y_test, kind, K, True)))
    test_acc, test_loss = records[-1][3:]
    train_acc, _ = evaluate(model, x, y, True)
    model.train()
    return TrainRun(load=np.stack([r[1] for r in records]), load_test=np.stack([r[2] for r in records]),
                    epochs_recorded=np.array([r[0] for r in records], dtype=np.int64),
                    test_accuracy_recorded=np.array([r[3] for r in records]), loss=np.asarray(loss, dtype=np.float64),
                    test_accuracy=test_acc, train_accuracy=train_acc, test_loss=test_loss, epochs_run=epoch,
                    stopped_early=stopped, seconds=seconds, settings=settings)
