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
:func:`fig4_network_run`    08      Fig. 4 left: D_l every epoch
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

__all__ = ["SeparationResult", "separation_run", "FIG4_NETWORK", "fig4_network_run", "generalization_run",
           "BEYOND_EXPERIMENTS", "beyond_run"]


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


@functools.lru_cache(maxsize=32)
def fig4_network_run(lr: float = 1e-3, batch_size: int = 100, dropout: float = 0.1, epochs: int = 20,
                     seed: int = 0):
    """One network of Fig. 4 left: 7-hidden-layer ReLU MLP on the offline MNIST, ``D_l`` every epoch.

    Reduced: ``epochs`` (default 20) rather than the paper's 100, so that a
    run takes a few seconds. Cached. Returns a :class:`springlab.TrainRun`.
    """
    data = get_dataset("mnist")
    model = MLP(data.in_dim, alpha=0.0, dropout=float(dropout), seed=seed)
    return train(model, data, lr=float(lr), batch_size=int(batch_size), epochs=int(epochs), record_every=1,
                    seed=seed)


@functools.lru_cache(maxsize=32)
def generalization_run(alpha: float = 0.2, lr: float = 1e-3, dropout: float = 0.0, epochs: int = 100,
                       seed: int = 0):
    """Fig. S4, reduced: the MLP (width 100, 10×10 offline MNIST) trained full batch; train and test curves every 10 epochs.

    The paper's S4 uses width 784 on 28×28 images and the 10,000 MNIST test
    images; here width 100 on 10×10 and 2,440 test images (about 20× less
    work per run). Cached. Returns a :class:`springlab.TrainRun`.
    """
    data = get_dataset("mnist")
    model = MLP(data.in_dim, alpha=float(alpha), dropout=float(dropout), seed=seed)
    return train(model, data, lr=float(lr), epochs=int(epochs), record_every=10, seed=seed)


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
               seed: int = 0):
    """Train one experiment of :data:`BEYOND_EXPERIMENTS`; returns ``(TrainRun, Dhat)``.

    ``Dhat`` is the final load curve measured with ``D̂`` (Eq. 9) on the
    training data; a NaN curve for regression, where ``D̂`` has no meaning,
    and for the orthogonal data of Fig. 5a, where ``D̂`` of the input is
    minus infinity (with orthonormal samples, every sample of a class lies
    at the same point along the direction joining the two class means, so
    ``Σ_w`` vanishes on the range of ``Σ_b``).
    ``alpha`` is the MLP's LeakyReLU slope (ignored by the deep linear net).
    Cached.
    """
    if experiment not in BEYOND_EXPERIMENTS:
        raise ValueError(f"experiment must be one of {sorted(BEYOND_EXPERIMENTS)}; got {experiment!r}")
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
    run = train(model, data, lr=float(lr), epochs=ex["epochs"], batch_size=ex["batch_size"],
                   optimizer=ex["optimizer"], record_every=max(1, ex["epochs"] // 20), seed=seed)
    if data.task == "classification" and ex["dataset"] != "orthogonal":
        dhat = load_curve(model, data.x_train, data.y_train, kind="Dhat").values
    else:
        dhat = np.full(run.load.shape[1], np.nan)
    return run, dhat
