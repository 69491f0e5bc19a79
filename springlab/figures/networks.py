"""The paper's network figures, recomputed (SPEC §3.3–3.5).

Each figure has a function that trains the networks and returns
``{label: TrainRun}`` (``quick=True`` for a smaller, faster version, used by
tests and lessons), and a ``draw_*`` function that returns a matplotlib
Figure. The claims they check:

* :func:`endpoints` (Fig. 1's corners): a ReLU MLP without noise ends with a
  concave load curve; strong dropout (30 %) or strong data noise (p = 0.8)
  make it convex.
* :func:`fig4_left`: trajectories ``D_l(epoch)`` and the training loss in
  three regimes: lazy (lr 1e-4, batch 200) → concave, balanced (lr 1e-3,
  dropout 0.1, batch 100) → linear, active (lr 3e-3, batch 50, dropout 0.2)
  → convex.
* :func:`fig5a`: a deep linear net (orthogonal init, no BatchNorm) on
  whitened orthogonal data with random binary labels, SGD: lr 1e-3 gives a
  linear load curve (log-separation falls linearly with depth); 10 %
  dropout makes it convex. The paper also reports a convex curve for
  lr 1e-2 without dropout ("large step size") and does not state the batch
  size. Trained to one loss (2e-3), full-batch SGD at lr 1e-2 ends on the
  same linear curve as lr 1e-3 (κ = +0.005; also linear at lr 0.3): without
  sampling noise a larger step only follows the same path faster. With 2
  samples per step, lr 1e-2 turns convex (κ from -0.22 to -0.27 over seeds
  0-3) while lr 1e-3 stays linear: the step bends the curve through the SGD
  noise it brings (about lr / batch size), as noise does in the chain.
* :func:`fig_s12`: Diabetes regression, 7-hidden-layer ReLU MLP: lr 1e-3 →
  concave, lr 1e-2 → linear, lr 2e-2 with 30 % dropout → convex.
* :func:`fig_s4`: width 784 on 28×28 MNIST, α = 0.2, lr 1e-4 / 1e-3 / 1e-2:
  training and test load curves alike; the paper's test accuracies
  91.93 / 92.52 / 89.99 % (:data:`S4_PAPER_ACCURACY`).
* :func:`fig_s2` (Fig. S2–S3): a constant-shape CNN trained without noise
  ends concave; 5 % dropout makes it linear and test accuracy rises; 30 %
  makes it convex and test accuracy falls.

Settings the paper does not state are chosen here and recorded in each
run's ``settings``: Fig. 4 left and Fig. S4 train 100 epochs; Fig. 5a trains
each network until its loss is below 2e-3 (at most 5,000 epochs, 300 when
quick), full batch (the 100 samples) except the run at batch 2, and its
dropout run uses lr 1e-2 (the paper leaves that run's learning rate open; at
lr 1e-3, 10 % dropout also turns convex, but only after about 2,000 epochs:
κ = -0.15); Fig. S12
trains full batch for 200 epochs with early stopping off, because the
regression loss passes 1e-4 before the curves settle.
"""
from __future__ import annotations

import numpy as np

from ..networks.datasets import load_dataset
from ..networks.experiments import FIG4_NETWORK
from ..networks.models import MLP, DeepLinear
from ..networks.training import TrainRun, train

__all__ = [
    "endpoints", "draw_endpoints", "fig4_left", "draw_fig4_left", "fig5a", "draw_fig5a", "FIG5A_SETTINGS",
    "FIG5A_STOP_LOSS",
    "fig_s12", "draw_fig_s12", "fig_s4", "draw_fig_s4", "S4_PAPER_ACCURACY", "fig_s2", "draw_fig_s2",
    "cnn_dropout_schedule", "S2_PAPER_PHASES", "FIGURES",
]

#: Test accuracies the paper reports for Fig. S4, by learning rate.
S4_PAPER_ACCURACY: dict[float, float] = {1e-4: 0.9193, 1e-3: 0.9252, 1e-2: 0.8999}


def endpoints(*, quick: bool = True, seed: int = 0, epochs: int = 100, threads: int | None = None
              ) -> dict[str, TrainRun]:
    """Fig. 1's corners on the offline MNIST: ReLU MLP (7×100), Adam lr 1e-3, full batch.

    Runs ``"no noise"``, ``"dropout 0.3"`` and ``"data noise 0.8"``.
    ``quick`` changes nothing: these are the paper's settings, about 1.5 s a
    run (the dropout run about 3 s).
    """
    data = load_dataset(seed=seed)
    settings = {"no noise": {}, "dropout 0.3": {"dropout": 0.3}, "data noise 0.8": {"data_noise": 0.8}}
    runs = {}
    for label, kw in settings.items():
        model = MLP(data.in_dim, alpha=0.0, dropout=kw.get("dropout", 0.0), seed=seed)
        runs[label] = train(model, data, epochs=epochs, data_noise=kw.get("data_noise", 0.0), seed=seed,
                            threads=threads)
    return runs


def _curves_figure(runs: dict[str, TrainRun], title: str, *, test: bool = False, ylabel="$D_l$"):
    """Final load curves of ``runs``, one colour per run, legend below the axes (inside, it covered curves)."""
    import matplotlib.pyplot as plt

    from ..core.plots import plot_load_curve

    palette = ("#7b3294", "#0571b0", "#ca0020", "#008837", "#404040")
    fig, ax = plt.subplots(figsize=(5.6, 3.4 + 0.22 * len(runs) * (2 if test else 1)), layout="constrained")
    for (label, run), color in zip(runs.items(), palette * len(runs)):
        acc = "" if np.isnan(run.test_accuracy) else f", test acc {100 * run.test_accuracy:.1f}%"
        plot_load_curve(run.final, ax=ax, color=color, chord=False, ylabel=ylabel,
                        label=f"{label}: {run.final.shape} (κ={run.final.curvature:+.2f}){acc}")
        if test and np.isfinite(run.load_test).all():
            plot_load_curve(run.final_test, ax=ax, color=color, chord=False, ls="--", marker=".",
                            label=f"   test data: {run.final_test.shape} (κ={run.final_test.curvature:+.2f})")
    ax.set_title(title, fontsize="medium")
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False)
    return fig


def draw_endpoints(runs: dict[str, TrainRun]):
    """The final load curves of :func:`endpoints`, coloured by shape."""
    return _curves_figure(runs, "ReLU MLP on MNIST: noise turns concave into convex")


#: Fig. 4 left's panels: title -> the settings of :data:`springlab.networks.experiments.FIG4_NETWORK`.
FIG4_REGIMES: dict[str, dict] = {
    f"({panel}) {name}: lr {kw['lr']:.0e}".replace("e-0", "e-")
    + (f", dropout {kw['dropout']:g}" if kw["dropout"] else "") + f", batch {kw['batch_size']}": kw
    for panel, (name, kw) in zip("bcd", FIG4_NETWORK.items())
}


def fig4_left(*, quick: bool = True, epochs: int | None = None, record_every: int | None = None, seed: int = 0,
              threads: int | None = None) -> dict[str, TrainRun]:
    """Fig. 4 (left): load-curve trajectories in the three regimes (ReLU 7×100 MLP, Adam).

    ``quick``: 30 epochs recorded every 2 (about a minute on 2 cores);
    else 100 epochs recorded every epoch.
    """
    epochs = epochs or (30 if quick else 100)
    record_every = record_every or (2 if quick else 1)
    data = load_dataset(seed=seed)
    runs = {}
    for label, kw in FIG4_REGIMES.items():
        model = MLP(data.in_dim, alpha=0.0, dropout=kw["dropout"], seed=seed)
        runs[label] = train(model, data, lr=kw["lr"], batch_size=kw["batch_size"], epochs=epochs,
                            record_every=record_every, seed=seed, threads=threads)
    return runs


def draw_fig4_left(runs: dict[str, TrainRun]):
    """Three panels: ``D_l(epoch)`` in the layer colours, training loss dashed."""
    import matplotlib.pyplot as plt

    from ..core.plots import plot_trajectories

    fig, axes = plt.subplots(len(runs), 1, figsize=(5.0, 2.6 * len(runs)), layout="constrained", sharex=True)
    for ax, (label, run) in zip(np.atleast_1d(axes), runs.items()):
        plot_trajectories(run.epochs_recorded, run.load, ax=ax, extra=run.loss_at_records(), extra_label="training loss",
                          time_label="epoch", legend=ax is np.atleast_1d(axes)[0])
        ax.set_title(f"{label}: {run.final.shape} (κ={run.final.curvature:+.2f})", fontsize="small")
    return fig


#: Fig. 5a's runs: SGD learning rate, dropout, and samples per step (None: full batch).
FIG5A_SETTINGS: dict[str, dict] = {
    "SGD lr 1e-3": dict(lr=1e-3, dropout=0.0, batch_size=None),
    "large step: lr 1e-2": dict(lr=1e-2, dropout=0.0, batch_size=None),
    "large step, batch 2: lr 1e-2": dict(lr=1e-2, dropout=0.0, batch_size=2),
    "dropout 10%: lr 1e-2": dict(lr=1e-2, dropout=0.1, batch_size=None),
}

#: Fig. 5a's runs train until their loss is below this, so that they are compared at one loss.
FIG5A_STOP_LOSS: float = 2e-3


def fig5a(*, quick: bool = True, epochs: int | None = None, dim: int = 100, depth: int = 7, seed: int = 0,
          threads: int | None = 1, stop_loss: float = FIG5A_STOP_LOSS) -> dict[str, TrainRun]:
    """Fig. 5a: deep linear net, orthogonal init, on orthogonal data with random binary labels.

    SGD on ``dim`` whitened samples in ``dim`` dimensions, ``depth`` square
    layers, cross-entropy on 2 outputs; full batch except where
    :data:`FIG5A_SETTINGS` says. Each run stops once its loss is below
    ``stop_loss`` (:data:`FIG5A_STOP_LOSS`), at most ``epochs``: 300 when
    ``quick`` (lr 1e-3 at full batch then stops early, at a loss near 0.06),
    else 5,000 (it needs about 3,350). One thread by default: the net is tiny.
    """
    epochs = epochs or (300 if quick else 5000)
    data = load_dataset("orthogonal", dim=dim, seed=seed)
    runs = {}
    for label, kw in FIG5A_SETTINGS.items():
        model = DeepLinear(dim, depth=depth, dropout=kw["dropout"], n_out=2, seed=seed)
        runs[label] = train(model, data, lr=kw["lr"], optimizer="sgd", batch_size=kw["batch_size"] or dim,
                            epochs=epochs, seed=seed, threads=threads, stop_loss=stop_loss)
    return runs


def draw_fig5a(runs: dict[str, TrainRun]):
    """Final load curves of the deep linear net."""
    return _curves_figure(runs, "Deep linear net, orthogonal data (Fig. 5a)")


FIG_S12_SETTINGS: dict[str, dict] = {
    "(i) lr 1e-3": dict(lr=1e-3, dropout=0.0),
    "(ii) lr 1e-2": dict(lr=1e-2, dropout=0.0),
    "(iii) lr 2e-2, dropout 0.3": dict(lr=2e-2, dropout=0.3),
}


def fig_s12(*, quick: bool = True, epochs: int = 200, seed: int = 0, threads: int | None = 1
            ) -> dict[str, TrainRun]:
    """Fig. S12: regression load curves on Diabetes (7×100 ReLU MLP, Adam, full batch).

    200 epochs with early stopping off (module docstring); ``quick`` changes
    nothing (a few seconds a run). One thread by default: 342 samples.
    """
    data = load_dataset("diabetes", seed=seed)
    runs = {}
    for label, kw in FIG_S12_SETTINGS.items():
        model = MLP(data.in_dim, n_out=1, alpha=0.0, dropout=kw["dropout"], seed=seed)
        runs[label] = train(model, data, lr=kw["lr"], batch_size=data.x_train.shape[0], epochs=epochs,
                            stop_loss=0.0, seed=seed, threads=threads)
    return runs


def draw_fig_s12(runs: dict[str, TrainRun]):
    """Final regression load curves (RMS residual of the best linear read-out per layer)."""
    return _curves_figure(runs, "Diabetes regression (Fig. S12)", ylabel="regression load $D_l$")


def fig_s4(*, quick: bool = True, width: int | None = None, size: int | None = None, epochs: int = 100,
           lrs=(1e-4, 1e-3, 1e-2), seed: int = 0, threads: int | None = None) -> dict[str, TrainRun]:
    """Fig. S4: training and test load curves at three learning rates (α = 0.2).

    The paper's setting (``quick=False``): width 784 on 28×28 inputs, about
    60× the work of a default run (minutes per run on 2 cores). ``quick``:
    width 100 on 10×10 inputs. 100 epochs, Adam, full batch.
    """
    width = width or (100 if quick else 784)
    size = size or (10 if quick else 28)
    data = load_dataset(size=size, seed=seed)
    runs = {}
    for lr in lrs:
        model = MLP(data.in_dim, width=width, alpha=0.2, seed=seed)
        runs[f"lr {lr:g}"] = train(model, data, lr=lr, epochs=epochs, seed=seed, threads=threads)
    return runs


def draw_fig_s4(runs: dict[str, TrainRun]):
    """Training (solid) and test (dashed) load curves, with test accuracies."""
    return _curves_figure(runs, "Train (solid) and test (dashed) load curves (Fig. S4)", test=True)


#: The paper's schedule for Fig. S2: (dropout, epochs) per phase, 16 channels, Adam lr 1e-4, full batch.
S2_PAPER_PHASES = ((0.0, 4000), (0.05, 4000), (0.3, 4000))


def cnn_dropout_schedule(phases=((0.0, 60), (0.05, 60), (0.3, 60)), *, n_train: int | None = 512,
                         n_test: int | None = 1000, channels: int = 8, lr: float = 3e-3, seed: int = 0,
                         progress: bool = False) -> list[dict]:
    """Fig. S2–S3: a constant-shape CNN trained in phases of rising dropout.

    The paper trains the 16-channel CNN on MNIST full batch with Adam at lr
    1e-4 for 4,000 epochs, then with 5 % dropout to epoch 8,000, then 30 % to
    12,000 (:data:`S2_PAPER_PHASES`). The defaults here are lesson 09's
    reduction (about 20 s): 8 channels, ``n_train`` training and ``n_test``
    test images of the offline MNIST at 10×10, lr 3e-3, and ``phases`` of
    (dropout, epochs). Each phase is one :func:`springlab.train` call on the
    same network, so Adam's moment estimates restart at each change of
    dropout (the paper keeps them).

    Returns
    -------
    list of dict
        Per phase: ``dropout``, ``epoch`` (cumulative), ``load`` (L+1,),
        ``test_accuracy``, ``train_accuracy`` (eval mode, clean training
        data: whether the network still fits it), ``loss`` (last epoch),
        ``class_means`` (L+1, 10, H, W): in-class means of the first channel
        of each layer (Fig. S3).
    """
    import torch

    from ..networks.models import ConstantShapeCNN
    from ..networks.separation import FeatureRecorder

    data = load_dataset("mnist", n_train=n_train, n_test=n_test)
    model = ConstantShapeCNN(data.image_shape, channels=channels, seed=seed)
    out, epoch = [], 0
    for i, (p, n_epochs) in enumerate(phases):
        model.set_dropout(p)
        run = train(model, data, lr=lr, epochs=int(n_epochs), seed=seed + i, stop_loss=0.0, progress=progress)
        epoch += run.epochs_run
        rec = FeatureRecorder(model)
        model.eval()
        with torch.no_grad():
            feats = rec(data.x_train)
        model.train()
        means = np.stack([np.stack([f[data.y_train == k][:, 0].mean(0).numpy() for k in range(10)])
                          for f in feats.values()])
        out.append(dict(dropout=p, epoch=epoch, load=run.load[-1], test_accuracy=run.test_accuracy,
                        train_accuracy=run.train_accuracy, loss=float(run.loss[-1]), class_means=means))
    return out


def fig_s2(*, quick: bool = True, seed: int = 0, progress: bool = False) -> list[dict]:
    """Fig. S2–S3: concave → (5 % dropout) linear, accuracy up → (30 %) convex, accuracy down.

    ``quick``: lesson 09's reduction (:func:`cnn_dropout_schedule` defaults).
    Otherwise the paper's setting: 16 channels, all 2,560 training and 2,440
    test images, Adam lr 1e-4 full batch, :data:`S2_PAPER_PHASES` (12,000
    epochs: about an hour on two cores).
    """
    if quick:
        return cnn_dropout_schedule(seed=seed, progress=progress)
    return cnn_dropout_schedule(S2_PAPER_PHASES, n_train=None, n_test=None, channels=16, lr=1e-4, seed=seed,
                                progress=progress)


def draw_fig_s2(phases: list[dict]):
    """Left: the load curve after each phase (Fig. S2); right: in-class means of digit 0 (Fig. S3)."""
    import matplotlib.pyplot as plt

    from ..core.energy import energy_ratio
    from ..core.loadcurve import LoadCurve
    from ..core.plots import plot_load_curve

    reduced = " (reduced)" if phases[-1]["epoch"] < sum(n for _, n in S2_PAPER_PHASES) else ""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained", width_ratios=[1, 1.5])
    for ph, color in zip(phases, ("#7b3294", "#0571b0", "#ca0020", "#404040")):
        lc = LoadCurve(ph["load"])
        plot_load_curve(lc, ax=ax, color=color, chord=False,
                        label=f"dropout {ph['dropout']:.2f} to epoch {ph['epoch']}: {lc.shape} "
                              f"(κ {lc.curvature:+.2f}, E/E_min {energy_ratio(lc.values):.2f}), "
                              f"test {100 * ph['test_accuracy']:.1f}%")
    ax.set_ylabel("separation $D_l$")
    ax.set_xlabel("layer $l$")
    # below the axes: inside, the three labels covered the curves
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
    ax.set_title(f"Fig. S2{reduced}: load curves after each phase", fontsize="medium")
    _draw_class_means(ax2, phases, reduced)
    return fig


def _draw_class_means(ax, phases: list[dict], reduced: str) -> None:
    """Fig. S3's grid: the mean image of digit 0 (first channel) per layer (columns) and phase (rows).

    Each tile is scaled to its own range, with a white gap between tiles: on
    one shared scale a layer whose features are small showed as a dark square.
    """
    import matplotlib

    n_layers, side = phases[0]["class_means"].shape[0], phases[0]["class_means"].shape[-1]
    gap = 1
    grid = np.full((len(phases) * (side + gap) - gap, n_layers * (side + gap) - gap), np.nan)
    for i, ph in enumerate(phases):
        for l in range(n_layers):
            tile = ph["class_means"][l, 0]
            span = float(tile.max() - tile.min())
            tile = (tile - tile.min()) / span if span > 0 else np.zeros_like(tile)
            grid[i * (side + gap):i * (side + gap) + side, l * (side + gap):l * (side + gap) + side] = tile
    cmap = matplotlib.colormaps["gray"].with_extremes(bad="white")  # white: the gaps between tiles
    ax.imshow(grid, cmap=cmap, vmin=0, vmax=1)
    ax.set_xticks(side / 2 + (side + gap) * np.arange(n_layers), [f"l={i}" for i in range(n_layers)],
                  fontsize="small")
    ax.set_yticks(side / 2 + (side + gap) * np.arange(len(phases)), [f"p={ph['dropout']:.2f}" for ph in phases],
                  fontsize="small")
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(f"Fig. S3{reduced}: mean of digit 0, first channel, per layer\n(each tile scaled to its own range)",
                 fontsize="medium")


#: name -> (compute, draw), for lessons and ``springlab reproduce``.
FIGURES = {
    "endpoints": (endpoints, draw_endpoints),
    "fig4_left": (fig4_left, draw_fig4_left),
    "fig5a": (fig5a, draw_fig5a),
    "fig_s12": (fig_s12, draw_fig_s12),
    "fig_s4": (fig_s4, draw_fig_s4),
    "fig_s2": (fig_s2, draw_fig_s2),
}
