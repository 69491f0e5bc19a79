"""What one training run records: :class:`TrainRun`, and the measurements taken at each record.

Shared by :func:`springlab.train` (the readable reference) and the batched
fast path of sweeps (:mod:`springlab.networks.engine`), so both measure a
run the same way: load curves of training and test data (SPEC §3.1: eval
mode, the whole set), test accuracy and test loss.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from ..core.loadcurve import LoadCurve
from .separation import load_curves

__all__ = ["TrainRun", "OPTIMIZERS", "record", "evaluate", "check", "model_device"]


#: Optimizers of :func:`train`.
OPTIMIZERS: tuple[str, ...] = ("adam", "sgd")


@dataclass
class TrainRun:
    """The record of one training run.

    Attributes
    ----------
    load : ndarray, shape (n_records, L+1)
        Load curves of the (clean) training data at :attr:`epochs_recorded`.
    load_test : ndarray, shape (n_records, L+1)
        The same on the test data (NaN when there is no test set).
    epochs_recorded : ndarray of int, shape (n_records,)
        Epochs after which the curves were measured (0: at initialisation).
    test_accuracy_recorded : ndarray, shape (n_records,)
        Test accuracy at those epochs (NaN for regression).
    loss : ndarray, shape (epochs_run,)
        Mean training loss of each epoch (on the noisy batches, train mode).
    test_accuracy : float
        Final fraction of test samples classified correctly, in [0, 1]
        (NaN for regression or without a test set).
    train_accuracy : float
        The same on the clean training data.
    test_loss : float
        Final test loss (cross-entropy or MSE), NaN without a test set.
    epochs_run : int
    stopped_early : bool
        True when the loss fell below ``stop_loss`` before ``epochs``.
    seconds : float
        Wall time of the run.
    settings : dict
        The arguments of :func:`train` and the model's description.
    """

    load: np.ndarray
    load_test: np.ndarray
    epochs_recorded: np.ndarray
    test_accuracy_recorded: np.ndarray
    loss: np.ndarray
    test_accuracy: float
    train_accuracy: float
    test_loss: float
    epochs_run: int
    stopped_early: bool
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def final(self) -> LoadCurve:
        """The final load curve of the training data."""
        return LoadCurve(self.load[-1])

    @property
    def final_test(self) -> LoadCurve:
        """The final load curve of the test data."""
        return LoadCurve(self.load_test[-1])

    def loss_at_records(self) -> np.ndarray:
        """Training loss at :attr:`epochs_recorded`, shape (n_records,): NaN at epoch 0 (before any step)."""
        e = np.asarray(self.epochs_recorded)
        return np.where(e > 0, self.loss[np.clip(e - 1, 0, None)], np.nan)

    def __repr__(self) -> str:
        return (f"TrainRun(epochs_run={self.epochs_run}, final={self.final!r}, "
                f"test_accuracy={self.test_accuracy:.4f}, loss={self.loss[-1]:.3g})")


def check(name, value, ok: bool, allowed: str):
    """Raise a ValueError naming the parameter and its allowed range unless ``ok``."""
    if not ok:
        raise ValueError(f"{name} must be {allowed}; got {value!r}")


def model_device(model: nn.Module, device) -> torch.device:
    """``device``, or the device of the model's parameters when None."""
    if device is None:
        p = next(model.parameters(), None)
        return p.device if p is not None else torch.device("cpu")
    return torch.device(device)


def record(model, x, y, x_test, y_test, kind: str, n_classes: int | None, classification: bool
            ) -> tuple[np.ndarray, np.ndarray, float, float]:
    """One record of a run: load curves of training and test data (NaN for under 2 test samples), test accuracy
    and test loss, in eval mode."""
    lc = next(iter(load_curves(model, x, y, kinds=(kind,), n_classes=n_classes or None).values())).values
    if x_test.shape[0] >= 2:
        lt = next(iter(load_curves(model, x_test, y_test, kinds=(kind,), n_classes=n_classes or None).values())).values
    else:
        lt = np.full_like(lc, np.nan)
    return (lc, lt, *evaluate(model, x_test, y_test, classification))


@torch.no_grad()
def evaluate(model, x, y, classification: bool, batch_size: int = 8192) -> tuple[float, float]:
    """(accuracy, mean loss) in eval mode; NaN for an empty set."""
    if x.shape[0] == 0:
        return float("nan"), float("nan")
    was = model.training
    model.eval()
    correct = torch.zeros((), device=x.device)
    total_loss = torch.zeros((), device=x.device, dtype=torch.float64)
    for i in range(0, x.shape[0], batch_size):
        out = model(x[i:i + batch_size])
        yb = y[i:i + batch_size]
        if classification:
            correct += (out.argmax(1) == yb).sum()
            total_loss += nn.functional.cross_entropy(out, yb, reduction="sum").double()
        else:
            total_loss += nn.functional.mse_loss(out, yb, reduction="sum").double() / yb.shape[1]
    model.train(was)
    n = x.shape[0]
    acc = float(correct) / n if classification else float("nan")
    return acc, float(total_loss) / n
