r"""Panels of the network lessons (06–10), and the computations their checks reuse.

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

Networks are :class:`springlab.MLP` / :class:`springlab.DeepLinear` /
:class:`springlab.ConstantShapeCNN` trained by :func:`springlab.train`;
phase diagrams come from :func:`springlab.dnn_phase_diagram`; chains from
:func:`springlab.simulate_chain`. Every picture uses the shared plots of
:mod:`springlab.plots`, so layer ``l`` has the colour ``layer_colors(L)[l]``
in every lesson, for networks and chains alike.

Finished runs are cached by their settings (module-level ``lru_cache``), so
a panel and the lesson's check cell that ask for the same run train it once,
and moving a control back never recomputes.

Speed: these networks are small; on two shared cores one torch thread is
faster than two and makes runs reproducible, so the lessons call
:func:`use_one_thread` first.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .base import Panel

__all__ = [
    "use_one_thread",
    "DATASET_CHOICES",
    "get_dataset",
    "LayerStats",
    "layer_stats",
    "SeparationResult",
    "separation_run",
    "separation_panel",
    "KNOB_VALUES",
    "quick_phase_diagram",
    "network_phase_panel",
    "shipped_phase_diagrams",
    "phase_table",
    "FIG4_NETWORK",
    "fig4_network_run",
    "fig4_chain_run",
    "two_systems_panel",
    "load_energy",
    "generalization_run",
    "generalization_panel",
    "BEYOND_EXPERIMENTS",
    "beyond_run",
    "beyond_panel",
]


def use_one_thread() -> int:
    """Set torch to one thread (faster for these small networks on shared cores); returns the old count.

    Call it first in a lesson, before torch or the chain engine are imported:
    it also sets ``OMP_WAIT_POLICY=PASSIVE`` (unless set), read by OpenMP when
    it loads. Without it, once the chain engine's parallel numba kernels have
    run (OpenMP threads that spin while they wait), every torch training step
    in the same kernel becomes about 10× slower on two cores (measured: a
    6-epoch run took 50 s instead of 1.5 s).
    """
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    return old


# --------------------------------------------------------------------------
# Datasets: offline MNIST, or torchvision's when they can be had
# --------------------------------------------------------------------------
#: Dataset selector of the panels: (label, name of :func:`springlab.load_dataset`).
DATASET_CHOICES: tuple[tuple[str, str], ...] = (
    ("MNIST, 5,000 digits (offline)", "mnist"),
    ("full MNIST (download)", "mnist_full"),
    ("FashionMNIST (download)", "fashion_mnist"),
    ("CIFAR10 3×10×10 (download)", "cifar10"),
)
_DATASET_LABELS = {name: label.split(" (")[0] for label, name in DATASET_CHOICES}


@functools.lru_cache(maxsize=6)
def get_dataset(name: str = "mnist", *, download: bool = True):
    """:func:`springlab.load_dataset` with the paper's settings, cached; a plain message when unavailable.

    Parameters
    ----------
    name : str
        ``"mnist"`` (offline, always there), ``"mnist_full"``,
        ``"fashion_mnist"``, ``"cifar10"`` (torchvision: read from disk, else
        downloaded when ``download`` and a network is there), or any other
        name of :data:`springlab.DATASETS`.
    download : bool, default True
        Try to download a torchvision dataset that is not on disk.

    Raises
    ------
    ValueError
        The dataset cannot be loaded here; the message says why, plainly,
        and what to do (panels show it in red and keep their picture).
    """
    import springlab as sl

    if name not in sl.DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(sl.DATASETS)}; got {name!r}")
    try:
        return sl.load_dataset(name)
    except FileNotFoundError:
        if not download:
            raise ValueError(f"{_DATASET_LABELS.get(name, name)} is not on this machine. "
                             f"The lessons run on the offline MNIST; choose it instead.") from None
    try:
        return sl.load_dataset(name, download=True)
    except FileNotFoundError:
        raise ValueError(f"{_DATASET_LABELS.get(name, name)} is not available: it is not on this machine and "
                         f"could not be downloaded (no internet connection?). The lessons run on the offline "
                         f"MNIST; choose it instead, or run this lesson where the internet can be reached.") from None


# --------------------------------------------------------------------------
# Lesson 06: measuring separation
# --------------------------------------------------------------------------
@dataclass
class LayerStats:
    """Per-layer statistics of one model on one dataset (layers ``0 .. L``).

    Attributes
    ----------
    tr_within, tr_between : ndarray, shape (L+1,)
        ``Tr Σ_w`` and ``Tr Σ_b`` (Eq. 2), in units of feature².
    D, Dhat : ndarray, shape (L+1,)
        ``log(Tr Σ_w / Tr Σ_b)`` (Eq. 3) and ``log Tr(Σ_w Σ_b⁺)`` (Eq. 9).
    projection : ndarray, shape (L+1, n, 2)
        ``n`` samples (a fixed random subset) projected on the two leading directions of ``Σ_b``
        (where the class means spread most), in units of the within-class
        standard deviation along them.
    labels : ndarray, shape (n,)
    """

    tr_within: np.ndarray
    tr_between: np.ndarray
    D: np.ndarray
    Dhat: np.ndarray
    projection: np.ndarray
    labels: np.ndarray


def layer_stats(model, x, y, n_classes: int, *, n_project: int = 600) -> LayerStats:
    """Measure ``Σ_w``, ``Σ_b``, ``D`` and ``D̂`` at every feature layer of ``model`` (eval mode).

    Uses :class:`springlab.FeatureRecorder` (the model's own feature layers)
    and :class:`springlab.ClassScatter`; ``n_project`` samples (a fixed
    random subset) are projected for the scatter plot.
    """
    import torch

    from ..separation import ClassScatter, FeatureRecorder

    rec = FeatureRecorder(model)
    # a fixed random subset for the scatter plot (datasets may be stored sorted by class)
    pick = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(0))[:n_project]
    was = model.training
    model.eval()
    with torch.no_grad():
        feats = rec(x)
    model.train(was)
    tw, tb, D, Dh, proj = [], [], [], [], []
    for f in feats.values():
        f = f.reshape(f.shape[0], -1).double()
        acc = ClassScatter(n_classes, full=True).update(f, y)
        w, b = acc.traces()
        tw.append(w)
        tb.append(b)
        D.append(acc.separation("D"))
        Dh.append(acc.separation("Dhat"))
        # the two directions along which the class means spread most
        _, vec = torch.linalg.eigh(acc.between())
        V = vec[:, -2:].flip(1)
        within = acc.within()
        scale = torch.sqrt(torch.clamp(torch.einsum("di,de,ei->i", V, within, V), min=1e-12))
        fc = f[pick] - f.mean(0)
        proj.append(((fc @ V) / scale).numpy())
    return LayerStats(np.array(tw), np.array(tb), np.array(D), np.array(Dh), np.stack(proj),
                      y[pick].numpy().copy())


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
    import springlab as sl

    data = get_dataset(dataset)
    model = sl.MLP(data.in_dim, alpha=float(alpha), dropout=float(dropout), n_out=data.n_classes, seed=seed)
    initial = layer_stats(model, data.x_train, data.y_train, data.n_classes)
    run = sl.train(model, data, epochs=int(epochs), record_every=max(1, int(epochs) // 20), seed=seed)
    trained = layer_stats(model, data.x_train, data.y_train, data.n_classes)
    return SeparationResult(run, initial, trained, dataset)


def _loss_at(run) -> np.ndarray:
    """Training loss at the recorded epochs (NaN at epoch 0: before any step)."""
    e = np.asarray(run.epochs_recorded)
    return np.where(e > 0, run.loss[np.clip(e - 1, 0, None)], np.nan)


def separation_panel(run_now: bool = True) -> Panel:
    """Data separation of a real network, layer by layer, as training runs (Eq. 2, 3, 9).

    Controls: ``dataset`` (:data:`DATASET_CHOICES`: the offline MNIST, or
    torchvision's sets when they can be downloaded; otherwise a plain
    message), ``alpha`` (LeakyReLU slope), ``dropout``, ``epochs``; Run
    button. ``layer`` (view only) chooses the layer of the scatter plot.
    The model is a :class:`SeparationResult`.
    """
    import ipywidgets as w

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
        from ..plots import layer_colors, plot_load_curve, plot_trajectories

        run = res.run
        L = run.load.shape[1] - 1
        colors = layer_colors(L)
        l = np.arange(L + 1)
        (a1, a2), (a3, a4) = fig.subplots(2, 2)
        plot_trajectories(run.epochs_recorded, run.load, ax=a1, extra=_loss_at(run), extra_label="training loss",
                          time_label="epoch", ylabel="separation $D_l$", legend=False)
        a1.set_title(f"{_DATASET_LABELS.get(res.dataset, res.dataset)}: layers separate as training runs",
                     fontsize="medium")
        plot_load_curve(res.trained.D, ax=a2, color="k", chord=True, label=f"D (Eq. 3), trained: {_shape(res.trained.D)}")
        plot_load_curve(res.trained.Dhat, ax=a2, color="0.5", chord=False, marker="s",
                        label=f"D̂ (Eq. 9), trained: {_shape(res.trained.Dhat)}")
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


def _shape(values) -> str:
    from ..loadcurve import LoadCurve

    lc = LoadCurve(np.asarray(values))
    return f"{lc.shape} (κ = {lc.curvature:+.2f})"


# --------------------------------------------------------------------------
# Lesson 07: the network phase diagram (Fig. 1)
# --------------------------------------------------------------------------
#: The paper's values of each noise knob (SPEC §3.4), from least to most noisy.
KNOB_VALUES: dict[str, tuple] = {
    "data_noise": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8),
    "lr": (1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5),
    "dropout": (0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.14, 0.16, 0.18, 0.2, 0.22, 0.24, 0.26, 0.28, 0.3),
    "batch_size": (2560, 1280, 640, 320, 160, 80, 40, 20, 10, 5),
}
_KNOB_LABELS = {"data_noise": "data noise p", "lr": "learning rate", "dropout": "dropout p",
                "batch_size": "batch size"}
#: Quick defaults of the live sweep: knob range (indices into KNOB_VALUES) chosen to fit ~30 s.
_QUICK_RANGE = {"data_noise": (0.0, 0.6), "lr": (1e-3, 2e-2), "dropout": (0.0, 0.3), "batch_size": (2560, 160)}


def _pick(values, n: int) -> tuple:
    """``n`` values evenly spread (by index) over ``values``, both ends kept."""
    idx = np.unique(np.round(np.linspace(0, len(values) - 1, int(n))).astype(int))
    return tuple(values[i] for i in idx)


#: Rows of live phase diagrams already computed: (knob, values, α, seeds, epochs) -> PhaseDiagram.
_PHASE_ROWS: dict = {}


def quick_phase_diagram(knob: str = "dropout", knob_values=(0.0, 0.16, 0.3), alphas=(0.0, 0.5, 1.0),
                        seeds: int = 1, epochs: int = 50, progress=None):
    """A small live version of Fig. 1 with :func:`springlab.dnn_phase_diagram`, row by row.

    Reduced from the paper (SPEC §3.4): fewer α and knob values, ``seeds``
    instead of 10, ``epochs`` instead of 100 (200 for the learning rate);
    nothing is stored on disk. ``progress(fraction)`` is called after each row.

    Returns
    -------
    PhaseDiagram
        Rows ``("alpha", alphas)``, columns ``(knob, knob_values)``, with ``.test_accuracy``.
    """
    import springlab as sl
    from ..phase import PhaseDiagram

    if knob not in KNOB_VALUES:
        raise ValueError(f"knob must be one of {sorted(KNOB_VALUES)}; got {knob!r}")
    alphas = tuple(round(float(a), 3) for a in alphas)
    knob_values = tuple(int(v) if knob == "batch_size" else float(v) for v in knob_values)
    rows = []
    for i, a in enumerate(alphas):
        key = (knob, knob_values, a, int(seeds), int(epochs))
        if key not in _PHASE_ROWS:  # rows already computed (by the panel or a check cell) are reused
            _PHASE_ROWS[key] = sl.dnn_phase_diagram(alpha=[a], knob=(knob, knob_values), seeds=int(seeds),
                                                    epochs=int(epochs), strategy="loop", store=False,
                                                    progress=False)
        rows.append(_PHASE_ROWS[key])
        if progress is not None:
            progress((i + 1) / len(alphas))
    return PhaseDiagram(rows=("alpha", np.array(alphas)), cols=(knob, np.array(knob_values)),
                        load=np.concatenate([r.load for r in rows]),
                        test_accuracy=np.concatenate([r.test_accuracy for r in rows]),
                        metadata={"knob": knob, "seeds": int(seeds), "epochs": int(epochs),
                                  "note": "quick live version of Fig. 1 (lesson 07)"})


def phase_table(pd) -> str:
    """A network phase diagram as text: shape letter and test accuracy (%) per cell.

    ``C`` concave, ``L`` linear, ``V`` convex; rows α, columns the knob.
    Deterministic (rounded); NaN accuracies print as ``--``.
    """
    letter = {"concave": "C", "linear": "L", "convex": "V"}
    rname, rvals = pd.rows
    cname, cvals = pd.cols
    lines = [f"{rname + ' / ' + cname:>18} " + "".join(f"{v:>9g}" for v in cvals)]
    acc = pd.test_accuracy if pd.test_accuracy is not None else np.full(pd.curvature.shape, np.nan)
    for i, r in enumerate(rvals):
        cells = []
        for j in range(len(cvals)):
            a = acc[i, j]
            cells.append(f"{letter[str(pd.shape[i, j])]} {'--' if not np.isfinite(a) else f'{100 * a:4.1f}':>5}  ")
        lines.append(f"{r:>18g} " + "".join(f"{c:>9}" for c in cells))
    lines.append("C concave, L linear, V convex; number: test accuracy in %")
    return "\n".join(lines)


def shipped_phase_diagrams(folder=None) -> dict:
    """The paper-scale network phase diagrams shipped in ``springlab/results`` (if any).

    Returns
    -------
    dict[str, PhaseDiagram]
        File stem → diagram, for every ``*.npz`` there whose rows or columns
        are ``alpha`` (network diagrams); empty when none has been shipped.
    """
    from ..phase import PhaseDiagram

    folder = Path(folder) if folder is not None else Path(__file__).resolve().parents[1] / "results"
    out = {}
    for path in sorted(folder.glob("*.npz")) if folder.is_dir() else []:
        try:
            pd = PhaseDiagram.load_file(path)
        except Exception:  # not a phase diagram: skip it
            continue
        if "alpha" in (pd.rows[0], pd.cols[0]):
            out[path.stem] = pd
    return out


def _draw_phase(fig, pd, title):
    from ..plots import SHAPE_COLORS, plot_phase_diagram

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
        cols = _pick(values[lo:hi + 1], n_knob)
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
#: Fig. 4 left: (lr, batch size, dropout) of the three regimes; the chain side is
#: :data:`springlab.figures.springs.FIG4_REGIMES`.
FIG4_NETWORK: dict[str, dict] = {
    "lazy": dict(lr=1e-4, batch_size=200, dropout=0.0),
    "balanced": dict(lr=1e-3, batch_size=100, dropout=0.1),
    "active": dict(lr=3e-3, batch_size=50, dropout=0.2),
}
_LR_OPTIONS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
_BATCH_OPTIONS = (50, 100, 200, 400, 2560)


@functools.lru_cache(maxsize=32)
def fig4_network_run(lr: float = 1e-3, batch_size: int = 100, dropout: float = 0.1, epochs: int = 20,
                     seed: int = 0):
    """One network of Fig. 4 left: 7-hidden-layer ReLU MLP on the offline MNIST, ``D_l`` every epoch.

    Reduced: ``epochs`` (default 20) rather than the paper's 100, so that a
    run takes a few seconds. Cached. Returns a :class:`springlab.TrainRun`.
    """
    import springlab as sl

    data = get_dataset("mnist")
    model = sl.MLP(data.in_dim, alpha=0.0, dropout=float(dropout), seed=seed)
    return sl.train(model, data, lr=float(lr), batch_size=int(batch_size), epochs=int(epochs), record_every=1,
                    seed=seed)


@functools.lru_cache(maxsize=32)
def fig4_chain_run(mu_right: float = 0.04, mu_left: float = 0.04, eps: float = 0.01, t_max: float = 100.0,
                   seed: int = 0):
    """One chain of Fig. 4 right: first order, synchronous noise, k = y = 1, L = 7. Cached."""
    import springlab as sl

    return sl.simulate_chain("first", L=7, k=1.0, y=1.0, mu_right=float(mu_right), mu_left=float(mu_left),
                             eps=float(eps), noise="synchronous", t_max=t_max, seed=seed, record_every=0.5)


def two_systems_panel(run_now: bool = True, epochs: int = 20) -> Panel:
    """Network trajectories beside chain trajectories (Fig. 4), with controls for both.

    Controls: ``preset`` (the three regimes of Fig. 4, setting both sides;
    any other move makes it "custom"), chain ``mu_right``, ``mu_left``,
    ``eps``, network ``lr``, ``dropout``, ``batch_size``; Run button.
    The model is a dict ``{"network": TrainRun, "chain": ChainRun}``; each
    side is cached on its own settings, so changing only the chain never
    retrains the network.
    """
    import ipywidgets as w

    from ..figures.springs import FIG4_REGIMES

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
        from ..plots import layer_colors, plot_load_curve, plot_trajectories

        net, chain = res["network"], res["chain"]
        a1, a2, a3 = fig.subplots(1, 3, width_ratios=[1, 1, 0.8])
        plot_trajectories(net.epochs_recorded, net.load, ax=a1, extra=_loss_at(net), extra_label="training loss",
                          time_label="epoch", ylabel="separation $D_l$", legend=False)
        a1.set_title(f"network: lr {s['lr']:g}, batch {s['batch_size']}, dropout {s['dropout']:.2f}",
                     fontsize="medium")
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
def load_energy(values) -> float:
    """Elastic energy of a load curve relative to the equiseparated one with the same drop.

    With unit springs, ``E = ½ Σ_l d_l²``; among curves with the same total
    drop ``D_0 - D_L`` it is smallest, ``(D_0 - D_L)² / (2L)``, when all
    ``d_l`` are equal (a linear curve). Returns ``E / E_min ≥ 1``
    (dimensionless; 1 exactly for a linear curve).
    """
    D = np.asarray(values, dtype=np.float64)
    d = -np.diff(D)
    L = d.size
    e_min = (D[0] - D[-1]) ** 2 / (2 * L)
    return float(0.5 * np.sum(d**2) / e_min) if e_min > 0 else float("nan")


@functools.lru_cache(maxsize=32)
def generalization_run(alpha: float = 0.2, lr: float = 1e-3, dropout: float = 0.0, epochs: int = 100,
                       seed: int = 0):
    """Fig. S4, reduced: the MLP (width 100, 10×10 offline MNIST) trained full batch; train and test curves every 10 epochs.

    The paper's S4 uses width 784 on 28×28 images and the 10,000 MNIST test
    images; here width 100 on 10×10 and 2,440 test images (about 20× less
    work per run). Cached. Returns a :class:`springlab.TrainRun`.
    """
    import springlab as sl

    data = get_dataset("mnist")
    model = sl.MLP(data.in_dim, alpha=float(alpha), dropout=float(dropout), seed=seed)
    return sl.train(model, data, lr=float(lr), epochs=int(epochs), record_every=10, seed=seed)


def generalization_panel(run_now: bool = True, epochs: int = 100) -> Panel:
    """Training against test: load curves of both sets and test accuracy over training (Fig. S4).

    Controls: ``alpha``, ``lr``, ``dropout``; Run button. The model is a
    :class:`springlab.TrainRun` from :func:`generalization_run` (``epochs`` full-batch epochs).
    """
    import ipywidgets as w

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
        from ..plots import layer_colors, plot_load_curve

        a1, a2 = fig.subplots(1, 2)
        L = run.load.shape[1] - 1
        colors = layer_colors(L)
        plot_load_curve(run.final, ax=a1, color="k", chord=True, label=f"training set: {_shape(run.final.values)}")
        plot_load_curve(run.final_test, ax=a1, color="k", ls="--", marker="s", chord=False,
                        label=f"test set: {_shape(run.final_test.values)}")
        a1.scatter(np.arange(L + 1), run.final.values, color=colors, zorder=3, s=40, edgecolor="k")
        a1.set_ylabel("separation $D_l$ (dimensionless)")
        a1.set_xlabel("layer $l$")
        a1.legend(fontsize="small")
        a1.set_title(f"energy E/E_min = {load_energy(run.final.values):.3f} (1 = linear)", fontsize="medium")
        e = run.epochs_recorded
        a2.plot(e, 100 * run.test_accuracy_recorded, "o-", color="#1f77b4", label="test accuracy")
        a2.set_xlabel("epoch")
        a2.set_ylabel("test accuracy (%)", color="#1f77b4")
        tw = a2.twinx()
        tw.plot(np.arange(1, run.loss.size + 1), run.loss, color="k", ls="--", label="training loss")
        tw.set_yscale("log")
        tw.set_ylabel("training loss (cross-entropy)")
        a2.set_title(f"α {s['alpha']:.1f}, lr {s['lr']:g}, dropout {s['dropout']:.2f}: "
                     f"test accuracy {run.test_accuracy:.1%}", fontsize="medium")

    panel = Panel(controls, compute, draw, run_button=True, figsize=(10.0, 3.8),
                  title="Training and test load curves (Fig. S4, reduced): press Run")
    if run_now:
        panel.update()
    return panel


# --------------------------------------------------------------------------
# Lesson 10: beyond the paper
# --------------------------------------------------------------------------
#: Experiments of :func:`beyond_panel`: label, dataset, network, optimizer, epochs.
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
    import springlab as sl

    if experiment not in BEYOND_EXPERIMENTS:
        raise ValueError(f"experiment must be one of {sorted(BEYOND_EXPERIMENTS)}; got {experiment!r}")
    ex = BEYOND_EXPERIMENTS[experiment]
    if ex["dataset"] == "mnist_small":
        data = sl.load_dataset("mnist", n_train=512, n_test=1000)
    elif ex["dataset"] in ("orthogonal", "diabetes", "digits"):
        data = sl.load_dataset(ex["dataset"])
    else:
        data = get_dataset(ex["dataset"])
    if ex["net"] == "linear":
        model = sl.DeepLinear(data.in_dim, dropout=float(dropout), n_out=data.out_dim, seed=seed)
    elif ex["net"] == "cnn":
        model = sl.ConstantShapeCNN(data.image_shape, channels=8, dropout=float(dropout), seed=seed)
    else:
        model = sl.MLP(data.in_dim, alpha=float(alpha), dropout=float(dropout), n_out=data.out_dim, seed=seed)
    run = sl.train(model, data, lr=float(lr), epochs=ex["epochs"], batch_size=ex["batch_size"],
                   optimizer=ex["optimizer"], record_every=max(1, ex["epochs"] // 20), seed=seed)
    if data.task == "classification" and ex["dataset"] != "orthogonal":
        dhat = sl.load_curve(model, data.x_train, data.y_train, kind="Dhat").values
    else:
        dhat = np.full(run.load.shape[1], np.nan)
    return run, dhat


def beyond_panel(run_now: bool = True) -> Panel:
    """Beyond the paper's MNIST MLP: regression, deep linear nets, other data and architectures.

    Controls: ``experiment`` (:data:`BEYOND_EXPERIMENTS`; the torchvision
    sets say plainly when they cannot be downloaded), ``lr``, ``dropout``,
    ``alpha`` (MLPs only); Run button. The model is ``(TrainRun, Dhat)``
    from :func:`beyond_run`.
    """
    import ipywidgets as w

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
        from ..plots import layer_colors, plot_load_curve, plot_trajectories

        run, dhat = res
        ex = BEYOND_EXPERIMENTS[s["experiment"]]
        L = run.load.shape[1] - 1
        a1, a2 = fig.subplots(1, 2)
        regression = ex["dataset"] == "diabetes"
        ylabel = "regression load $D_l$ (target units)" if regression else "separation $D_l$"
        plot_trajectories(run.epochs_recorded, run.load, ax=a1, extra=_loss_at(run), extra_label="training loss",
                          time_label="epoch", ylabel=ylabel, legend=False)
        a1.set_title(ex["label"], fontsize="medium")
        plot_load_curve(run.final, ax=a2, color="k", chord=True, label=f"D: {_shape(run.final.values)}")
        a2.scatter(np.arange(L + 1), run.final.values, color=layer_colors(L), zorder=3, s=40, edgecolor="k")
        if np.all(np.isfinite(dhat)):
            plot_load_curve(dhat, ax=a2, color="0.5", marker="s", chord=False, label=f"D̂ (Eq. 9): {_shape(dhat)}")
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
