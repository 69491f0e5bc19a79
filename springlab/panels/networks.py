r"""Panels of the network lessons (06–10): controls and figures only.

Each factory returns a :class:`~springlab.panels.base.Panel`: the lesson
builds and displays it, tests drive it without a browser by setting
``panel.controls[name].value`` and calling ``panel.update()`` (the Run button).

==========================  ======  =====================================================
factory                     lesson  what the student moves
==========================  ======  =====================================================
:func:`separation_panel`    06      dataset (offline MNIST or torchvision sets), α, dropout,
                                    epochs; layer shown (view only)
:func:`network_phase_panel` 07      noise knob, its range, number of α and knob values,
                                    epochs, seeds (Fig. 1, live and reduced)
:func:`two_systems_panel`   08      Fig. 4 preset; chain μ→, μ←, ε; network lr, dropout,
                                    batch size
:func:`generalization_panel` 09     α, learning rate, dropout (train vs test curves, S4)
:func:`beyond_panel`        10      experiment (Diabetes S12, deep linear Fig. 5a, digits,
                                    torchvision sets), lr, dropout
==========================  ======  =====================================================

What a panel runs is a tested function of the science modules: the single
runs of :mod:`springlab.networks.experiments` (cached by their settings, so a
panel and the lesson's check cell that ask for the same run train it once),
the live Fig. 1 of :func:`springlab.figures.fig1.quick_phase_diagram`, the
Fig. 4 chains of :func:`springlab.figures.springs.fig4_chain_run`. Every
picture uses the shared plots of :mod:`springlab.core.plots`, so layer ``l``
has the colour ``layer_colors(L)[l]`` in every lesson, for networks and
chains alike. Lessons call :func:`springlab.networks.threads.use_one_thread`
first.
"""
from __future__ import annotations

import numpy as np

from ..core.energy import energy_ratio
from ..core.loadcurve import LoadCurve
from ..core.phase import subsample_axis
from ..figures.fig1 import KNOB_VALUES, quick_phase_diagram
from ..figures.springs import FIG4_REGIMES, fig4_chain_run
from .base import Panel

# The networks' modules import torch: each panel imports them when it is built, so that importing this
# module does not load torch before a lesson has called springlab.networks.threads.use_one_thread().

__all__ = [
    "DATASET_CHOICES",
    "separation_panel",
    "network_phase_panel",
    "two_systems_panel",
    "generalization_panel",
    "beyond_panel",
]

#: Dataset selector of :func:`separation_panel`: (label, name of :func:`springlab.load_dataset`).
DATASET_CHOICES: tuple[tuple[str, str], ...] = (
    ("MNIST, 5,000 digits (offline)", "mnist"),
    ("full MNIST (download)", "mnist_full"),
    ("FashionMNIST (download)", "fashion_mnist"),
    ("CIFAR10 3×10×10 (download)", "cifar10"),
)


# --------------------------------------------------------------------------
# Datasets: offline MNIST, or torchvision's when they can be had
# --------------------------------------------------------------------------
# --------------------------------------------------------------------------
# Lesson 06: measuring separation
# --------------------------------------------------------------------------
def separation_panel(run_now: bool = True) -> Panel:
    """Data separation of a real network, layer by layer, as training runs (Eq. 2, 3, 9).

    Controls: ``dataset`` (:data:`DATASET_CHOICES`: the offline MNIST, or
    torchvision's sets when they can be downloaded; otherwise a plain
    message), ``alpha`` (LeakyReLU slope), ``dropout``, ``epochs``; Run
    button. ``layer`` (view only) chooses the layer of the scatter plot.
    The model is a :class:`SeparationResult`.
    """
    import ipywidgets as w

    from ..networks.datasets import DATASET_LABELS
    from ..networks.experiments import separation_run

    controls = {
        "dataset": w.Dropdown(options=list(DATASET_CHOICES), value="mnist", description="data"),
        "alpha": w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.1, description="slope α"),
        "dropout": w.FloatSlider(value=0.0, min=0.0, max=0.3, step=0.05, description="dropout p"),
        "epochs": w.IntSlider(value=100, min=10, max=300, step=10, description="epochs"),
        "layer": w.IntSlider(value=7, min=0, max=7, description="scatter: layer"),
    }

    def compute(dataset, alpha, dropout, epochs, progress=None):
        if progress is not None:
            progress(0.05)
        res = separation_run(dataset, round(float(alpha), 3), round(float(dropout), 3), int(epochs))
        if progress is not None:
            progress(1.0)
        return res

    def draw(fig, res, s):
        from ..core.plots import layer_colors, plot_load_curve, plot_trajectories

        run = res.run
        L = run.load.shape[1] - 1
        colors = layer_colors(L)
        l = np.arange(L + 1)
        (a1, a2), (a3, a4) = fig.subplots(2, 2)
        plot_trajectories(run.epochs_recorded, run.load, ax=a1, extra=run.loss_at_records(), extra_label="training loss",
                          time_label="epoch", ylabel="separation $D_l$", legend=False)
        a1.set_title(f"{DATASET_LABELS.get(res.dataset, res.dataset)}: layers separate as training runs",
                     fontsize="medium")
        plot_load_curve(res.trained.D, ax=a2, color="k", chord=True, label=f"D (Eq. 3), trained: {LoadCurve(res.trained.D).describe()}")
        plot_load_curve(res.trained.Dhat, ax=a2, color="0.5", chord=False, marker="s",
                        label=f"D̂ (Eq. 9), trained: {LoadCurve(res.trained.Dhat).describe()}")
        plot_load_curve(res.initial.D, ax=a2, color="k", chord=False, ls=":", marker=".", label="D at initialisation")
        a2.scatter(l, res.trained.D, color=colors, zorder=3, s=45, edgecolor="k")
        a2.set_ylabel("separation (dimensionless)")
        a2.set_xlabel("layer $l$")
        a2.legend(fontsize="small")
        a2.set_title(f"final test accuracy {run.test_accuracy:.1%}", fontsize="medium")
        for st, ls, name in ((res.initial, ":", "initial"), (res.trained, "-", "trained")):
            a3.plot(l, st.tr_within, ls=ls, marker="o", color="#d95f02", label=f"Tr Σ_w, {name}")
            a3.plot(l, st.tr_between, ls=ls, marker="s", color="#1b9e77", label=f"Tr Σ_b, {name}")
        a3.set_yscale("log")
        a3.set_xticks(l)
        a3.set_xlabel("layer $l$")
        a3.set_ylabel("trace (feature units²)")
        a3.legend(fontsize="small", ncol=2)
        a3.set_title("within-class (Σ_w) and between-class (Σ_b) spread", fontsize="medium")
        k = min(int(s["layer"]), L)
        P, lab = res.trained.projection[k], res.trained.labels
        sc = a4.scatter(P[:, 0], P[:, 1], c=lab, cmap="tab10", s=6, vmin=-0.5, vmax=9.5)
        fig.colorbar(sc, ax=a4, ticks=range(10), label="class")
        a4.set_xlabel("1st between-class direction (within-class std)")
        a4.set_ylabel("2nd direction (within-class std)")
        a4.set_title(f"layer {k}, trained: D = {res.trained.D[k]:.2f}", fontsize="medium")

    panel = Panel(controls, compute, draw, view_controls=("layer",), run_button=True,
                  title="Data separation of a real network (press Run after changing a setting)",
                  figsize=(10.0, 7.0))
    if run_now:
        panel.update()
    return panel


# --------------------------------------------------------------------------
# Lesson 07: the network phase diagram (Fig. 1)
# --------------------------------------------------------------------------
_KNOB_LABELS = {"data_noise": "data noise p", "lr": "learning rate", "dropout": "dropout p",
                "batch_size": "batch size"}
#: Quick defaults of the live sweep: knob range (indices into KNOB_VALUES) chosen to fit ~30 s.
_QUICK_RANGE = {"data_noise": (0.0, 0.6), "lr": (1e-3, 2e-2), "dropout": (0.0, 0.3), "batch_size": (2560, 160)}


def _draw_phase(fig, pd, title):
    from ..core.plots import SHAPE_COLORS, plot_phase_diagram

    ax, ax2 = fig.subplots(1, 2, width_ratios=[1.6, 1])
    plot_phase_diagram(pd, ax=ax, colorbar=False)
    fig.colorbar(ax.images[0], ax=ax, label="test accuracy", fraction=0.05, pad=0.02)
    knob = pd.cols[0]
    ax.set_xlabel(_KNOB_LABELS.get(knob, knob))
    ax.set_ylabel("LeakyReLU slope α (0 = ReLU, 1 = linear)")
    counts = {shape: int(np.sum(pd.shape == shape)) for shape in ("concave", "linear", "convex")}
    ax.set_title(title + ": " + ", ".join(f"{n} {sh}" for sh, n in counts.items()), fontsize="medium")
    kappa, acc = pd.curvature.ravel(), pd.test_accuracy.ravel()
    for sh, c in SHAPE_COLORS.items():
        m = pd.shape.ravel() == sh
        ax2.scatter(kappa[m], 100 * acc[m], color=c, label=sh, edgecolor="k", s=40)
    ax2.axvspan(-0.1, 0.1, color="0.9", zorder=0)
    ax2.set_xlabel("curvature κ (> 0 concave, < 0 convex)")
    ax2.set_ylabel("test accuracy (%)")
    ax2.legend(fontsize="small")
    ax2.set_title("accuracy against shape", fontsize="medium")


def network_phase_panel(run_now: bool = True) -> Panel:
    """Fig. 1 live: α (rows) against one noise knob (columns), with test accuracy.

    Controls: ``knob`` (data noise, learning rate, dropout, batch size;
    choosing one resets the range to its quick default), ``knob_range``
    (among the paper's values of the knob), ``n_knob``, ``n_alpha``
    (values of α evenly spread over [0, 1]), ``epochs``, ``seeds``; Run
    button with progress over rows. The model is a :class:`springlab.PhaseDiagram`
    from :func:`quick_phase_diagram`.
    """
    import ipywidgets as w

    controls = {
        "knob": w.Dropdown(options=[(v, k) for k, v in _KNOB_LABELS.items()], value="dropout", description="knob"),
        "knob_range": w.SelectionRangeSlider(options=list(KNOB_VALUES["dropout"]), index=(0, 15),
                                             description="knob range"),
        "n_knob": w.IntSlider(value=3, min=2, max=8, description="knob values"),
        "n_alpha": w.IntSlider(value=3, min=2, max=6, description="α values"),
        "epochs": w.IntSlider(value=50, min=10, max=200, step=10, description="epochs"),
        "seeds": w.IntSlider(value=1, min=1, max=5, description="seeds"),
    }

    def reset_range(change):
        values = KNOB_VALUES[change["new"]]
        lo, hi = _QUICK_RANGE[change["new"]]
        controls["knob_range"].options = list(values)
        controls["knob_range"].index = (values.index(lo), values.index(hi))

    controls["knob"].observe(reset_range, names="value")

    def compute(knob, knob_range, n_knob, n_alpha, epochs, seeds, progress=None):
        values = KNOB_VALUES[knob]
        lo, hi = (values.index(v) for v in knob_range)
        cols = subsample_axis(values[lo:hi + 1], n_knob)
        alphas = tuple(np.round(np.linspace(0.0, 1.0, int(n_alpha)), 2))
        return quick_phase_diagram(knob, cols, alphas, seeds=seeds, epochs=epochs, progress=progress)

    def draw(fig, pd, s):
        _draw_phase(fig, pd, f"live, {s['seeds']} seed(s), {s['epochs']} epochs")

    panel = Panel(controls, compute, draw, run_button=True, figsize=(10.0, 4.2),
                  title="The network phase diagram (Fig. 1), live and reduced: press Run")
    if run_now:
        panel.update()
    return panel


# --------------------------------------------------------------------------
# Lesson 08: two systems, one story (Fig. 4)
# --------------------------------------------------------------------------
_LR_OPTIONS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
_BATCH_OPTIONS = (50, 100, 200, 400, 2560)


def two_systems_panel(run_now: bool = True, epochs: int = 100) -> Panel:
    """Network trajectories beside chain trajectories (Fig. 4), with controls for both.

    The network trains until its training loss is below
    :data:`springlab.networks.experiments.FIG4_STOP_LOSS`, at most ``epochs``
    epochs (:func:`springlab.networks.experiments.fig4_network_run`), so that
    regimes are compared at one training loss, not one training time.

    Controls: ``preset`` (the three regimes of Fig. 4, setting both sides;
    any other move makes it "custom"), chain ``mu_right``, ``mu_left``,
    ``eps``, network ``lr``, ``dropout``, ``batch_size``; Run button.
    The model is a dict ``{"network": TrainRun, "chain": ChainRun}``; each
    side is cached on its own settings, so changing only the chain never
    retrains the network.
    """
    import ipywidgets as w

    from ..networks.experiments import FIG4_NETWORK, fig4_network_run

    style = {"description_width": "initial"}
    controls = {
        "preset": w.Dropdown(options=[("lazy (Fig. 4b)", "lazy"), ("balanced (Fig. 4c)", "balanced"),
                                      ("active (Fig. 4d)", "active"), ("custom", "custom")],
                             value="balanced", description="regime"),
        "mu_right": w.FloatSlider(value=0.04, min=0.0, max=0.2, step=0.01, description="chain μ→", style=style),
        "mu_left": w.FloatSlider(value=0.04, min=0.0, max=0.2, step=0.01, description="chain μ←", style=style),
        "eps": w.FloatSlider(value=0.01, min=0.0, max=0.03, step=0.001, readout_format=".3f",
                             description="chain noise ε", style=style),
        "lr": w.SelectionSlider(options=list(_LR_OPTIONS), value=1e-3, description="net lr", style=style),
        "dropout": w.FloatSlider(value=0.1, min=0.0, max=0.3, step=0.05, description="net dropout", style=style),
        "batch_size": w.SelectionSlider(options=list(_BATCH_OPTIONS), value=100, description="net batch",
                                        style=style),
    }
    setting = {"busy": False}

    def apply_preset(change):
        name = change["new"]
        if name == "custom":
            return
        setting["busy"] = True
        for k, v in {**FIG4_REGIMES[name], **FIG4_NETWORK[name]}.items():
            controls[k].value = v
        setting["busy"] = False

    def to_custom(_):
        if not setting["busy"]:
            controls["preset"].value = "custom"

    controls["preset"].observe(apply_preset, names="value")
    for k in controls:
        if k != "preset":
            controls[k].observe(to_custom, names="value")

    def compute(preset, mu_right, mu_left, eps, lr, dropout, batch_size, progress=None):
        chain = fig4_chain_run(round(mu_right, 4), round(mu_left, 4), round(eps, 4))
        if progress is not None:
            progress(0.1)
        net = fig4_network_run(float(lr), int(batch_size), round(float(dropout), 3), int(epochs))
        return {"network": net, "chain": chain}

    def draw(fig, res, s):
        from ..core.plots import layer_colors, plot_load_curve, plot_trajectories

        net, chain = res["network"], res["chain"]
        a1, a2, a3 = fig.subplots(1, 3, width_ratios=[1, 1, 0.8])
        plot_trajectories(net.epochs_recorded, net.load, ax=a1, extra=net.loss_at_records(), extra_label="training loss",
                          time_label="epoch", ylabel="separation $D_l$", legend=False)
        a1.set_title(f"network: lr {s['lr']:g}, batch {s['batch_size']}, dropout {s['dropout']:.2f}; "
                     f"loss {net.loss[-1]:.2f} at epoch {net.epochs_run}", fontsize="medium")
        plot_trajectories(chain.times, chain.load, ax=a2, extra=chain.force, extra_label="force on last block",
                          time_label="time (model units)", ylabel="$D_l = y - x_l$ (units of y)", legend=False)
        a2.set_title(f"chain: μ→ {s['mu_right']:.2f}, μ← {s['mu_left']:.2f}, ε {s['eps']:.3f}", fontsize="medium")
        L = net.load.shape[1] - 1
        colors = layer_colors(L)
        for lc, style, name in ((net.final, "-", "network"), (chain.final, "--", "chain")):
            n = lc.normalized()
            plot_load_curve(n, ax=a3, color="k", ls=style, chord=False, label=f"{name}: {lc.shape} (κ {lc.curvature:+.2f})")
            a3.scatter(np.arange(L + 1), n.values, color=colors, zorder=3, s=35, edgecolor="k")
        a3.plot([0, L], [1, 0], color="0.6", lw=0.8, ls=":")
        a3.set_ylabel("normalised load (1 at l = 0, 0 at l = L)")
        a3.legend(fontsize="small")
        a3.set_title("final load curves", fontsize="medium")

    panel = Panel(controls, compute, draw, run_button=True, figsize=(12.5, 3.8),
                  title="Two systems, one story (Fig. 4): press Run")
    if run_now:
        panel.update()
    return panel


# --------------------------------------------------------------------------
# Lesson 09: generalization
# --------------------------------------------------------------------------
def generalization_panel(run_now: bool = True, epochs: int = 100) -> Panel:
    """Training against test: load curves of both sets and test accuracy over training (Fig. S4).

    Controls: ``alpha``, ``lr``, ``dropout``; Run button. The model is a
    :class:`springlab.TrainRun` from :func:`springlab.networks.experiments.generalization_run` (``epochs`` full-batch epochs).
    """
    import ipywidgets as w

    from ..networks.experiments import generalization_run

    controls = {
        "alpha": w.FloatSlider(value=0.2, min=0.0, max=1.0, step=0.1, description="slope α"),
        "lr": w.SelectionSlider(options=[1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 2e-2], value=1e-3, description="lr"),
        "dropout": w.FloatSlider(value=0.0, min=0.0, max=0.3, step=0.05, description="dropout p"),
    }

    def compute(alpha, lr, dropout, progress=None):
        if progress is not None:
            progress(0.05)
        return generalization_run(round(float(alpha), 3), float(lr), round(float(dropout), 3), int(epochs))

    def draw(fig, run, s):
        from ..core.plots import layer_colors, plot_load_curve

        a1, a2 = fig.subplots(1, 2)
        L = run.load.shape[1] - 1
        colors = layer_colors(L)
        plot_load_curve(run.final, ax=a1, color="k", chord=True, label=f"training set: {run.final.describe()}")
        plot_load_curve(run.final_test, ax=a1, color="k", ls="--", marker="s", chord=False,
                        label=f"test set: {run.final_test.describe()}")
        a1.scatter(np.arange(L + 1), run.final.values, color=colors, zorder=3, s=40, edgecolor="k")
        a1.set_ylabel("separation $D_l$ (dimensionless)")
        a1.set_xlabel("layer $l$")
        a1.legend(fontsize="small")
        a1.set_title(f"energy E/E_min = {energy_ratio(run.final.values):.3f} (1 = linear)", fontsize="medium")
        e = run.epochs_recorded
        a2.plot(e, 100 * run.test_accuracy_recorded, "o-", color="#1f77b4", label="test accuracy")
        a2.set_xlabel("epoch")
        a2.set_ylabel("test accuracy (%)", color="#1f77b4")
        tw = a2.twinx()
        tw.plot(np.arange(1, run.loss.size + 1), run.loss, color="k", ls="--", label="training loss")
        tw.set_yscale("log")
        tw.set_ylabel("training loss (cross-entropy)")
        a2.set_title(f"α {s['alpha']:.1f}, lr {s['lr']:g}, dropout {s['dropout']:.2f}: test accuracy "
                     f"{run.test_accuracy:.1%}, training loss {run.loss[-1]:.3f}", fontsize="medium")

    panel = Panel(controls, compute, draw, run_button=True, figsize=(10.0, 3.8),
                  title="Training and test load curves (Fig. S4, reduced): press Run")
    if run_now:
        panel.update()
    return panel


# --------------------------------------------------------------------------
# Lesson 10: beyond the paper
# --------------------------------------------------------------------------
def beyond_panel(run_now: bool = True) -> Panel:
    """Beyond the paper's MNIST MLP: regression, deep linear nets, other data and architectures.

    Controls: ``experiment`` (:data:`springlab.networks.experiments.BEYOND_EXPERIMENTS`; the torchvision
    sets say plainly when they cannot be downloaded), ``lr``, ``dropout``,
    ``alpha`` (MLPs only); Run button. The model is ``(TrainRun, Dhat)``
    from :func:`springlab.networks.experiments.beyond_run`.
    """
    import ipywidgets as w

    from ..networks.experiments import BEYOND_EXPERIMENTS, beyond_run

    controls = {
        "experiment": w.Dropdown(options=[(ex["label"], k) for k, ex in BEYOND_EXPERIMENTS.items()],
                                 value="diabetes", description="experiment", layout=w.Layout(width="420px")),
        "lr": w.SelectionSlider(options=[1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 2e-2], value=1e-4, description="lr"),
        "dropout": w.FloatSlider(value=0.0, min=0.0, max=0.3, step=0.05, description="dropout p"),
        "alpha": w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.1, description="slope α (MLP)"),
    }

    def compute(experiment, lr, dropout, alpha, progress=None):
        if progress is not None:
            progress(0.05)
        return beyond_run(experiment, float(lr), round(float(dropout), 3), round(float(alpha), 3))

    def draw(fig, res, s):
        from ..core.plots import layer_colors, plot_load_curve, plot_trajectories

        run, dhat = res
        ex = BEYOND_EXPERIMENTS[s["experiment"]]
        L = run.load.shape[1] - 1
        a1, a2 = fig.subplots(1, 2)
        regression = ex["dataset"] == "diabetes"
        ylabel = "regression load $D_l$ (target units)" if regression else "separation $D_l$"
        plot_trajectories(run.epochs_recorded, run.load, ax=a1, extra=run.loss_at_records(), extra_label="training loss",
                          time_label="epoch", ylabel=ylabel, legend=False)
        a1.set_title(ex["label"], fontsize="medium")
        plot_load_curve(run.final, ax=a2, color="k", chord=True, label=f"D: {run.final.describe()}")
        a2.scatter(np.arange(L + 1), run.final.values, color=layer_colors(L), zorder=3, s=40, edgecolor="k")
        if np.all(np.isfinite(dhat)):
            plot_load_curve(dhat, ax=a2, color="0.5", marker="s", chord=False, label=f"D̂ (Eq. 9): {LoadCurve(dhat).describe()}")
        a2.set_ylabel(ylabel)
        a2.set_xlabel("layer $l$")
        a2.legend(fontsize="small")
        extra = "" if np.isnan(run.test_accuracy) else f", test accuracy {run.test_accuracy:.1%}"
        a2.set_title(f"{ex['optimizer']} lr {s['lr']:g}, dropout {s['dropout']:.2f}{extra}", fontsize="medium")

    panel = Panel(controls, compute, draw, run_button=True, figsize=(10.0, 3.8),
                  title="Beyond the paper: press Run")
    if run_now:
        panel.update()
    return panel
