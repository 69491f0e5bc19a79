"""Training with the paper's four noise knobs, recording load curves (SPEC §3.3–3.4).

This module is the readable reference: plain ``nn`` modules, autograd and
``torch.optim``. Where it applies, :func:`train` hands the same run to the
batched engine of sweeps (:mod:`springlab.networks.engine`), which takes the
same steps faster; ``train(..., reference=True)`` always runs the code below.

:func:`train` trains any network on a :class:`~springlab.networks.datasets.Dataset`
with Adam or SGD and cross-entropy (classification) or mean squared error
(regression). The noise knobs of Fig. 1:

* **data noise** ``p`` (``data_noise=``): in every batch a fraction ``p`` of
  labels is reset to uniformly random classes (regression: to the targets
  of random training samples), and Gaussian noise of standard deviation
  ``p · std(X_train)`` is added to the inputs [code];
* **learning rate** (``lr=``), **batch size** (``batch_size=``);
* **dropout**: a property of the model (``MLP(dropout=...)``).

Training stops early when an epoch's mean loss falls below ``stop_loss``
(1e-4) [code]. Every ``record_every`` epochs, and at the end, the load curves
of training and test data are measured in eval mode
(:func:`springlab.load_curves`) together with the test accuracy.

Determinism: all randomness inside ``train`` (shuffling, noise, dropout
masks) comes from torch's generators seeded with ``seed`` in a forked RNG
state, so the caller's random stream is untouched. On CPU, the same call in
the same environment (torch version, thread count) is bitwise reproducible;
across machines or on CUDA (non-deterministic kernels) results agree only
to rounding. The initial weights are fixed by the model's own ``seed``.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .noise import add_data_noise
from .runs import OPTIMIZERS, TrainRun, check, evaluate, model_device, record

__all__ = ["train", "TrainRun", "OPTIMIZERS"]


def train(model: nn.Module, data, *, lr: float = 1e-3, batch_size: int = 2560, epochs: int = 100,
          optimizer: str = "adam", data_noise: float = 0.0, seed: int = 0, record_every: int | None = None,
          progress: bool = False, device=None, stop_loss: float = 1e-4, kind: str = "D",
          weight_decay: float = 0.0, momentum: float = 0.0, threads: int | None = None,
          reference: bool = False) -> TrainRun:
    """Train ``model`` on ``data`` and record its load curves.

    Where it applies (a springlab :class:`~springlab.networks.models.MLP` with
    BatchNorm or no norm, classification data, Adam or plain SGD), the run
    takes the fast path of sweeps (:func:`springlab.train_batched` with one
    model, the step written out by hand): the same training, step for step
    (equal to rounding in float64, ``tests/test_training.py``), in about 1.4×
    the time of its bare matrix products instead of 1.8×. ``reference=True``
    runs the readable version below, plain ``nn`` modules and autograd.

    Parameters
    ----------
    model : nn.Module
        Trained in place (and moved to ``device``). springlab networks know
        their feature layers; an ``MLP(norm="fixed")`` not yet calibrated is
        calibrated on the training inputs first.
    data : Dataset
        From :func:`springlab.load_dataset` (anything with ``x_train``,
        ``y_train``, ``x_test``, ``y_test`` and ``task``).
    lr : float, default 1e-3
        Learning rate (> 0).
    batch_size : int, default 2560
        Samples per step (full batch for the default 2,560 samples); the
        last batch of an epoch may be smaller; batches are reshuffled each
        epoch unless one batch holds everything.
    epochs : int, default 100
    optimizer : {"adam", "sgd"}, default "adam"
    data_noise : float in [0, 1], default 0
        Label and input noise ``p`` (module docstring).
    seed : int, default 0
        Seeds shuffling, noise and dropout.
    record_every : int, optional
        Measure load curves every this many epochs (and at epoch 0 and at
        the end); ``None``: only at the end.
    progress : bool, default False
        Show a tqdm progress bar.
    device : str or torch.device, optional
        Default: where the model's parameters are.
    stop_loss : float, default 1e-4
        Stop when an epoch's mean loss is below this (0 disables).
    kind : {"D", "Dhat"}, default "D"
        Separation measure of the recorded curves (regression data always
        use the regression load).
    weight_decay, momentum : float, default 0
        Passed to the optimizer (momentum: SGD only).
    threads : int, optional
        CPU threads for this run only (restored afterwards); default: leave
        torch's setting alone. Small models (the deep linear net, Diabetes)
        gain nothing from threads, and on an oversubscribed machine
        ``threads=1`` avoids thread contention that can slow them by 10×
        or more. Bitwise reproducibility holds for a fixed thread count.
    reference : bool, default False
        Train with the readable reference loop even where the fast path applies.

    Returns
    -------
    TrainRun
    """
    _check_arguments(lr, batch_size, epochs, optimizer, data_noise, record_every, kind, threads)
    with _torch_threads(threads):
        t_start = time.perf_counter()
        dev = model_device(model, device)
        model.to(dev)
        if not reference and _fast_path_applies(model, data, weight_decay, momentum):
            # imported here: the engine's compiled kernels load only when a run takes the fast path
            from .engine.batched import train_batched

            run = train_batched([model], data, lr=lr, batch_size=batch_size, epochs=epochs, optimizer=optimizer,
                                data_noise=data_noise, seed=seed, stop_loss=stop_loss, kind=kind, progress=progress,
                                record_every=record_every, in_place=True)[0]
            run.settings["fast_path"] = True
            return run
        classification = getattr(data, "task", "classification") == "classification"
        x = data.x_train.to(dev, torch.float32)
        y = data.y_train.to(dev)
        K = int(getattr(data, "n_classes", 0) or (int(y.max()) + 1)) if classification else 0
        if hasattr(model, "calibrate") and not bool(getattr(model, "calibrated", True)):
            model.calibrate(x)
        opt = _make_optimizer(model, optimizer, lr, weight_decay, momentum)
        loss_fn = nn.functional.cross_entropy if classification else nn.functional.mse_loss
        x_std = float(x.std()) if data_noise > 0 else 0.0
        records = _Records(model, x, y, data.x_test.to(dev, torch.float32), data.y_test.to(dev), kind, K,
                           classification)

        def one_epoch() -> torch.Tensor:
            return _train_one_epoch(model, opt, loss_fn, x, y, batch_size, dev, data_noise, x_std, K)

        losses, epoch, stopped = _run_epochs(model, one_epoch, records, dev, seed=seed, epochs=epochs,
                                             record_every=record_every, stop_loss=stop_loss, progress=progress)
        settings = dict(lr=lr, batch_size=batch_size, epochs=epochs, optimizer=optimizer, data_noise=data_noise,
                        seed=seed, record_every=record_every, stop_loss=stop_loss, kind=kind, device=str(dev),
                        weight_decay=weight_decay, momentum=momentum)
        return _assemble_run(model, data, records, losses, epoch, stopped, settings, t_start)


def _fast_path_applies(model: nn.Module, data, weight_decay: float, momentum: float) -> bool:
    """Whether the batched engine trains this run as :func:`train` would (its scope, see ``train``)."""
    from .models import MLP

    # exactly an MLP: a subclass may change forward(), which the engine does not run
    if type(model) is not MLP or weight_decay != 0.0 or momentum != 0.0:
        return False
    if getattr(data, "task", "classification") != "classification":
        return False
    from .engine.batched import can_batch

    return can_batch([model])


def _check_arguments(lr, batch_size, epochs, optimizer, data_noise, record_every, kind, threads) -> None:
    """Raise a ValueError for the first argument of :func:`train` out of its range."""
    check("lr", lr, isinstance(lr, (int, float)) and lr > 0, "a float > 0")
    check("batch_size", batch_size, isinstance(batch_size, int) and not isinstance(batch_size, bool)
           and batch_size >= 1, "an int >= 1")
    check("epochs", epochs, isinstance(epochs, int) and epochs >= 1, "an int >= 1")
    check("optimizer", optimizer, optimizer in OPTIMIZERS, f"one of {OPTIMIZERS}")
    check("data_noise", data_noise, isinstance(data_noise, (int, float)) and 0.0 <= data_noise <= 1.0, "in [0, 1]")
    check("record_every", record_every, record_every is None or (isinstance(record_every, int) and record_every >= 1),
           "None or an int >= 1")
    check("kind", kind, kind in ("D", "Dhat"), "'D' or 'Dhat'")
    check("threads", threads, threads is None or (isinstance(threads, int) and threads >= 1), "None or an int >= 1")


@contextmanager
def _torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` CPU threads and restore the previous count (None: leave torch alone)."""
    if threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _make_optimizer(model: nn.Module, optimizer: str, lr: float, weight_decay: float,
                    momentum: float) -> torch.optim.Optimizer:
    """Adam (``momentum`` unused) or SGD over the model's parameters."""
    if optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)


@dataclass
class _Records:
    """The records of a run, each (epoch, train load curve, test load curve, test accuracy, test loss)."""

    model: nn.Module
    x: torch.Tensor
    y: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    kind: str
    n_classes: int
    classification: bool
    taken: list[tuple[int, np.ndarray, np.ndarray, float, float]] = field(default_factory=list)

    def take(self, epoch: int) -> None:
        """Measure the model now (eval mode) and keep it as the record of ``epoch``."""
        self.taken.append((epoch, *record(self.model, self.x, self.y, self.x_test, self.y_test, self.kind,
                                          self.n_classes, self.classification)))

    def has(self, epoch: int) -> bool:
        """Whether the last record is of ``epoch``."""
        return bool(self.taken) and self.taken[-1][0] == epoch


def _run_epochs(model: nn.Module, one_epoch: Callable[[], torch.Tensor], records: _Records, dev: torch.device, *,
                seed: int, epochs: int, record_every: int | None, stop_loss: float,
                progress: bool) -> tuple[list[torch.Tensor], int, bool]:
    """The epochs of a run with its records, in a forked RNG seeded with ``seed``.

    Returns the epoch losses (0-d tensors), the last epoch run and whether
    the loss fell below ``stop_loss``. The final model is always recorded.
    """
    from tqdm.auto import tqdm

    losses: list[torch.Tensor] = []
    stopped = False
    # Forking leaves the caller's random stream untouched: all draws of the run come from ``seed``.
    cuda_ids = [dev.index if dev.index is not None else torch.cuda.current_device()] if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda_ids):
        torch.manual_seed(seed)
        if record_every is not None:
            records.take(0)
        model.train()
        bar = tqdm(range(1, epochs + 1), disable=not progress, desc="train", leave=False)
        epoch = 0
        for epoch in bar:
            epoch_loss = one_epoch()
            losses.append(epoch_loss)
            value = float(epoch_loss)  # the one sync per epoch: early stopping needs it
            if progress and epoch % 10 == 0:
                bar.set_postfix(loss=f"{value:.3g}")
            if not np.isfinite(value):
                break
            if value < stop_loss:
                stopped = True
                break
            if record_every is not None and epoch % record_every == 0:
                records.take(epoch)
                model.train()
        bar.close()
        if not records.has(epoch):
            records.take(epoch)
    return losses, epoch, stopped


def _train_one_epoch(model: nn.Module, opt: torch.optim.Optimizer, loss_fn: Callable, x: torch.Tensor,
                     y: torch.Tensor, batch_size: int, dev: torch.device, data_noise: float, x_std: float,
                     K: int) -> torch.Tensor:
    """One pass over the training data in optimizer steps; returns the mean loss (0-d tensor, not synced).

    ``K`` is the number of classes, 0 for regression (the data-noise knob resets targets accordingly).
    """
    n = x.shape[0]
    epoch_loss = torch.zeros((), device=dev)
    for xb, yb in _epoch_batches(x, y, batch_size, dev):
        if data_noise > 0:
            xb, yb = add_data_noise(xb, yb, data_noise, x_std, n_classes=K, y_all=y)
        out = model(xb)
        loss = loss_fn(out, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        epoch_loss += loss.detach() * yb.shape[0]
    return epoch_loss / n


def _epoch_batches(x: torch.Tensor, y: torch.Tensor, batch_size: int,
                   dev: torch.device) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The batches of one epoch: reshuffled (one ``randperm`` draw) unless one batch holds everything."""
    n = x.shape[0]
    full = batch_size >= n
    order = None if full else torch.randperm(n, device=dev)
    for start in range(0, n, batch_size):
        if full:
            yield x, y
        else:
            idx = order[start:start + batch_size]
            yield x[idx], y[idx]


def _assemble_run(model: nn.Module, data, records: _Records, losses: list[torch.Tensor], epoch: int, stopped: bool,
                  settings: dict, t_start: float) -> TrainRun:
    """The :class:`TrainRun` of a finished run: its records, final accuracies and settings."""
    train_acc, _ = evaluate(model, records.x, records.y, records.classification)
    taken = records.taken
    test_acc, test_loss = taken[-1][3:]  # the last record is of the final model
    model.train()
    settings = dict(settings, model=repr(model).splitlines()[0], dropout=getattr(model, "dropout", None),
                    alpha=getattr(model, "alpha", None), data=getattr(data, "name", None), torch=torch.__version__)
    return TrainRun(
        load=np.stack([r[1] for r in taken]),
        load_test=np.stack([r[2] for r in taken]),
        epochs_recorded=np.array([r[0] for r in taken], dtype=np.int64),
        test_accuracy_recorded=np.array([r[3] for r in taken]),
        loss=torch.stack(losses).double().cpu().numpy() if losses else np.zeros(0),
        test_accuracy=test_acc,
        train_accuracy=train_acc,
        test_loss=test_loss,
        epochs_run=epoch,
        stopped_early=stopped,
        seconds=time.perf_counter() - t_start,
        settings=settings,
    )
