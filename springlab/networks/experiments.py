"""The single training runs behind lessons 06–10, each a function of its settings, cached.

A lesson's panel and its check cells call the same function with the same
settings, so a run is trained once per kernel and moving a control back
never recomputes (``functools.lru_cache``). Each function trains the
networks of SPEC §3 with :func:`springlab.train` on the offline MNIST (or
the data set it names) and returns what the lesson plots.

==========================  ======  ===========================================
function                    lesson  what it trains
==========================  ======  ===========================================
:func:`separation_run`      06      the paper's MLP, with Σ_w, Σ_b, D, D̂ per layer
:func:`fig4_network_run`    08      Fig. 4 left: D_l every epoch, to one training loss
:func:`generalization_run`  09      Fig. S4, reduced: train and test curves
:func:`beyond_run`          10      regression, deep linear nets, other data
==========================  ======  ===========================================
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .datasets import get_dataset, load_dataset
from .models import MLP, ConstantShapeCNN, DeepLinear
from .separation import LayerStats, layer_stats, load_curve
from .training import train

__all__ = ["SeparationResult", "separation_run", "FIG4_NETWORK", "FIG4_STOP_LOSS", "fig4_network_run",
           "generalization_run",           "BEYOND_EXPERIMENTS", "beyond_run"]


@dataclass
class SeparationResult:
    """What :func:`separation_run` measured.

    Attributes
    ----------
    run : springlab.TrainRun
        ``run.load`` (n_records, L+1) is ``D_l`` over ``run.epochs_recorded``.
    initial, trained : LayerStats
        Training data at initialisation and after training.
    dataset : str
    """

    run: object
    initial: LayerStats
    trained: LayerStats
    dataset: str


@functools.lru_cache(maxsize=16)
def separation_run(dataset: str = "mnist", alpha: float = 0.0, dropout: float = 0.0, epochs: int = 100,
                   seed: int = 0) -> SeparationResult:
    """Train the paper's MLP (SPEC §3.1, full batch, Adam lr 1e-3) and measure separation before and after.

    ``D_l`` is recorded every ``epochs // 20`` epochs. Cached by its arguments.
    """
    data = get_dataset(dataset)
    model = MLP(data.in_dim, alpha=float(alpha), dropout=float(dropout), n_out=data.n_classes, seed=seed)
    initial = layer_stats(model, data.x_train, data.y_train, data.n_classes)
    run = train(model, data, epochs=int(epochs), record_every=max(1, int(epochs) // 20), seed=seed)
    trained = layer_stats(model, data.x_train, data.y_train, data.n_classes)
    return SeparationResult(run, initial, trained, dataset)


#: Fig. 4 left: (lr, batch size, dropout) of the three regimes; the chain side is
#: :data:`springlab.figures.springs.FIG4_REGIMES`.
FIG4_NETWORK: dict[str, dict] = {
    "lazy": dict(lr=1e-4, batch_size=200, dropout=0.0),
    "balanced": dict(lr=1e-3, batch_size=100, dropout=0.1),
    "active": dict(lr=3e-3, batch_size=50, dropout=0.2),
}

#: Lesson 08 compares the regimes at one training loss (cross-entropy of an epoch, dropout on),
#: so that a shape is not an artefact of under-training: each run stops once its loss is below
#: this, within the paper's 100 epochs. 0.15 is the lowest loss the active regime reaches within
#: them (0.13 at epoch 100); the lazy run gets there at about epoch 45.
FIG4_STOP_LOSS: float = 0.15


@functools.lru_cache(maxsize=32)
def fig4_network_run(lr: float = 1e-3, batch_size: int = 100, dropout: float = 0.1, epochs: int = 100,
                     seed: int = 0, stop_loss: float = FIG4_STOP_LOSS):
    """One network of Fig. 4 left: 7-hidden-layer ReLU MLP on the offline MNIST, ``D_l`` every epoch.

    Parameters
    ----------
    lr, batch_size, dropout : float, int, float
        Adam's learning rate, samples per step, dropout rate of the hidden layers
        (:data:`FIG4_NETWORK` holds the paper's three regimes).
    epochs : int, default 100
        The most epochs (the paper trains 100).
    seed : int, default 0
    stop_loss : float, default :data:`FIG4_STOP_LOSS`
        Stop once an epoch's mean training loss is below this (0: train all
        ``epochs``), so that runs are compared at one training loss.

    Returns
    -------
    springlab.TrainRun
        Cached by its arguments.
    """
    data = get_dataset("mnist")
    model = MLP(data.in_dim, alpha=0.0, dropout=float(dropout), seed=seed)
    return train(model, data, lr=float(lr), batch_size=int(batch_size), epochs=int(epochs), record_every=1,
                 seed=seed, stop_loss=float(stop_loss))


@functools.lru_cache(maxsize=32)
def generalization_run(alpha: float = 0.2, lr: float = 1e-3, dropout: float = 0.0, epochs: int = 100,
                       seed: int = 0, stop_loss: float = 1e-4):
    """Fig. S4, reduced: the MLP (width 100, 10×10 offline MNIST) trained full batch, with train and test curves.

    The paper's S4 uses width 784 on 28×28 images and the 10,000 MNIST test
    images; here width 100 on 10×10 and 2,440 test images (about 20× less
    work per run).

    Parameters
    ----------
    alpha, lr, dropout : float
        LeakyReLU slope, Adam's learning rate, dropout rate.
    epochs : int, default 100
        The most full-batch epochs; curves and test accuracy are recorded
        every ``max(10, epochs // 100)`` epochs.
    seed : int, default 0
    stop_loss : float, default 1e-4
        Stop once an epoch's training loss is below this: lesson 09 trains
        its three learning rates to one loss (0.01), so that the smallest
        is not compared under-trained.

    Returns
    -------
    springlab.TrainRun
        Cached by its arguments.
    """
    data = get_dataset("mnist")
    model = MLP(data.in_dim, alpha=float(alpha), dropout=float(dropout), seed=seed)
    return train(model, data, lr=float(lr), epochs=int(epochs), record_every=max(10, int(epochs) // 100), seed=seed,
                 stop_loss=float(stop_loss))


#: Experiments of lesson 10's panel (:func:`springlab.panels.networks.beyond_panel`): label, dataset, network, optimizer, epochs.
BEYOND_EXPERIMENTS: dict[str, dict] = {
    "diabetes": dict(label="regression: Diabetes (Fig. S12)", dataset="diabetes", net="mlp", optimizer="adam",
                     epochs=300, batch_size=342),
    "deep_linear": dict(label="deep linear net, orthogonal data (Fig. 5a)", dataset="orthogonal", net="linear",
                        optimizer="sgd", epochs=1000, batch_size=100),
    "digits": dict(label="MLP on 8×8 digits (scikit-learn)", dataset="digits", net="mlp", optimizer="adam",
                   epochs=100, batch_size=1280),
    "fashion_mnist": dict(label="MLP on FashionMNIST (download)", dataset="fashion_mnist", net="mlp",
                          optimizer="adam", epochs=100, batch_size=2560),
    "cifar10": dict(label="MLP on CIFAR10 3×10×10 (download)", dataset="cifar10", net="mlp", optimizer="adam",
                    epochs=100, batch_size=2560),
    "cnn_mnist": dict(label="constant-shape CNN on MNIST (512 images)", dataset="mnist_small", net="cnn",
                      optimizer="adam", epochs=60, batch_size=512),
}


@functools.lru_cache(maxsize=32)
def beyond_run(experiment: str = "diabetes", lr: float = 1e-3, dropout: float = 0.0, alpha: float = 0.0,
               seed: int = 0, batch_size: int | None = None, epochs: int | None = None, stop_loss: float = 1e-4):
    """Train one experiment of :data:`BEYOND_EXPERIMENTS`; returns ``(TrainRun, Dhat)``.

    ``Dhat`` is the final load curve measured with ``D̂`` (Eq. 9) on the
    training data; a NaN curve for regression, where ``D̂`` has no meaning,
    and for the orthogonal data of Fig. 5a, where ``D̂`` of the input is
    minus infinity (with orthonormal samples, every sample of a class lies
    at the same point along the direction joining the two class means, so
    ``Σ_w`` vanishes on the range of ``Σ_b``).
    ``alpha`` is the MLP's LeakyReLU slope (ignored by the deep linear net).
    ``batch_size`` and ``epochs`` (the most epochs) default to the
    experiment's; ``stop_loss`` stops a run once an epoch's training loss is
    below it (lesson 10 trains the deep linear nets of Fig. 5a to one loss,
    2e-3, at full batch and at batch 2). Cached.
    """
    if experiment not in BEYOND_EXPERIMENTS:
        raise ValueError(f"experiment must be one of {sorted(BEYOND_EXPERIMENTS)}; got {experiment!r}")
    if batch_size is not None and not (isinstance(batch_size, int) and batch_size >= 1):
        raise ValueError(f"batch_size must be None or an int >= 1; got {batch_size!r}")
    ex = BEYOND_EXPERIMENTS[experiment]
    if ex["dataset"] == "mnist_small":
        data = load_dataset("mnist", n_train=512, n_test=1000)
    elif ex["dataset"] in ("orthogonal", "diabetes", "digits"):
        data = load_dataset(ex["dataset"])
    else:
        data = get_dataset(ex["dataset"])
    if ex["net"] == "linear":
        model = DeepLinear(data.in_dim, dropout=float(dropout), n_out=data.out_dim, seed=seed)
    elif ex["net"] == "cnn":
        model = ConstantShapeCNN(data.image_shape, channels=8, dropout=float(dropout), seed=seed)
    else:
        model = MLP(data.in_dim, alpha=float(alpha), dropout=float(dropout), n_out=data.out_dim, seed=seed)
    epochs = int(epochs or ex["epochs"])
    run = train(model, data, lr=float(lr), epochs=epochs, batch_size=int(batch_size or ex["batch_size"]),
                optimizer=ex["optimizer"], record_every=max(1, epochs // 20), seed=seed, stop_loss=float(stop_loss))
    if data.task == "classification" and ex["dataset"] != "orthogonal":
        dhat = load_curve(model, data.x_train, data.y_train, kind="Dhat").values
    else:
        dhat = np.full(run.load.shape[1], np.nan)
    return run, dhat
