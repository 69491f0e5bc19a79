"""One set of plots for chains and networks.

Every lesson draws load curves, trajectories and phase diagrams with these
functions, so layer ``l`` (or block ``l``) has the same colour everywhere:
:func:`layer_colors` maps ``l = 0 .. L`` onto the ``viridis`` colormap from
dark (input / anchored block) to light (deepest layer / last block).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .loadcurve import LoadCurve
    from .phase import PhaseDiagram

__all__ = [
    "layer_colors",
    "plot_load_curve",
    "plot_trajectories",
    "plot_phase_diagram",
    "SHAPE_COLORS",
    "CURVE_COLOR",
]

#: Colour of the small load curves in phase diagrams (red, as in the paper's Fig. 1 and 3).
CURVE_COLOR = "#c0262d"
#: One colour per shape, for scatter plots and legends.
SHAPE_COLORS = {"concave": "#1f77b4", "linear": "#2ca02c", "convex": "#d62728"}


def layer_colors(L: int) -> np.ndarray:
    """Colours of layers/blocks ``0 .. L``.

    Parameters
    ----------
    L : int
        Number of layers or springs (``>= 1``).

    Returns
    -------
    ndarray, shape (L+1, 4)
        RGBA rows, the same for the same ``(l, L)`` in every lesson.
    """
    from matplotlib import colormaps

    if L < 1:
        raise ValueError(f"L must be >= 1; got {L!r}")
    return colormaps["viridis"](np.linspace(0.0, 0.9, L + 1))


def _values(curve) -> np.ndarray:
    return np.asarray(getattr(curve, "values", curve), dtype=np.float64)


def _axes(ax, figsize=(4.0, 3.0)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def plot_load_curve(curve, ax=None, *, label=None, color="k", chord=True, ylabel="$D_l$",
                    xlabel="layer / block $l$", marker="o", **kwargs):
    """Draw one load curve ``D_l`` against ``l``.

    Parameters
    ----------
    curve : LoadCurve or array_like, shape (L+1,)
    ax : matplotlib Axes, optional
        A new figure is made when omitted.
    label : str, optional
        Legend label; by default the shape and curvature.
    chord : bool, default True
        Also draw the chord from ``D_0`` to ``D_L`` (dashed), against which
        curvature is measured.

    Returns
    -------
    matplotlib Axes
    """
    from .loadcurve import LoadCurve

    lc = curve if isinstance(curve, LoadCurve) else LoadCurve(_values(curve))
    ax = _axes(ax)
    l = np.arange(lc.values.size)
    if label is None:
        label = lc.describe()
    ax.plot(l, lc.values, marker=marker, color=color, label=label, **kwargs)
    if chord:
        ax.plot([0, l[-1]], [lc.values[0], lc.values[-1]], ls="--", lw=0.8, color="0.5")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xticks(l)
    return ax


def plot_trajectories(times, load, ax=None, *, extra=None, extra_label="force on last block",
                      time_label="time", ylabel="$D_l$", legend=True):
    """Draw ``D_l(t)`` for every ``l`` in the layer colours, optionally with a
    dashed second quantity (training loss, force on the last block) on a twin axis.

    Parameters
    ----------
    times : array_like, shape (n,)
        Time (chain, in model time units) or epoch (network).
    load : array_like, shape (n, L+1)
    extra : array_like, shape (n,), optional
        Drawn dashed in black on a right-hand axis, as in the paper's Fig. 4.

    Returns
    -------
    matplotlib Axes
        The main axes (the twin is ``ax.extra_axes`` when drawn).
    """
    t = np.asarray(times, dtype=np.float64)
    D = np.asarray(load, dtype=np.float64)
    if D.ndim != 2 or D.shape[0] != t.size:
        raise ValueError(f"load must have shape (len(times), L+1); got {D.shape} for {t.size} times")
    ax = _axes(ax, figsize=(5.0, 3.2))
    colors = layer_colors(D.shape[1] - 1)
    for l in range(D.shape[1]):
        ax.plot(t, D[:, l], color=colors[l], label=f"$D_{{{l}}}$")
    ax.set_xlabel(time_label)
    ax.set_ylabel(ylabel)
    if extra is not None:
        tw = ax.twinx()
        tw.plot(t, np.asarray(extra, dtype=np.float64), ls="--", color="k", label=extra_label)
        tw.set_ylabel(extra_label)
        ax.extra_axes = tw
    if legend:
        ax.legend(fontsize="small", ncol=2, loc="best")
    return ax


def plot_phase_diagram(pd: "PhaseDiagram", ax=None, *, background=None, cmap=None, inset=0.8,
                       colorbar=True, title=None, marks=None):
    """Draw a phase diagram as in the paper: a grid of small load curves
    (red) over a background shaded by energy (chains) or test accuracy
    (networks).

    Parameters
    ----------
    pd : PhaseDiagram
    background : {"energy", "test_accuracy", "curvature", None}, optional
        Which per-cell quantity shades the background; by default test
        accuracy if present, else energy, else curvature.
    inset : float in (0, 1]
        Fraction of each cell that its curve spans.
    marks : array_like of int, shape (R, C), optional
        A number to print in the corner of each cell where it is > 0 (for
        networks: how many seeds of the cell failed to train,
        :func:`springlab.figures.fig1.failed_runs`).

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    R, C = pd.curvature.shape
    ax = _axes(ax, figsize=(1.0 + 0.55 * C, 0.8 + 0.5 * R))
    if background is None:
        background = next(
            b for b in ("test_accuracy", "energy", "curvature") if getattr(pd, b, None) is not None
        )
    shade = np.asarray(getattr(pd, background), dtype=np.float64)
    if cmap is None:
        cmap = {"test_accuracy": "Blues", "energy": "Greys", "curvature": "coolwarm"}[background]
    im = ax.imshow(shade, cmap=cmap, origin="upper", aspect="auto", extent=(-0.5, C - 0.5, R - 0.5, -0.5))
    if colorbar:
        label = {"test_accuracy": "test accuracy", "energy": "elastic energy", "curvature": "curvature κ"}
        plt.colorbar(im, ax=ax, label=label[background], fraction=0.05, pad=0.02)
    load = np.asarray(pd.load, dtype=np.float64)
    Lp1 = load.shape[-1]
    xs = np.linspace(-inset / 2, inset / 2, Lp1)
    for i in range(R):
        for j in range(C):
            D = load[i, j]
            lo, hi = np.min(D), np.max(D)
            y = (D - lo) / (hi - lo) if hi > lo else np.full_like(D, 0.5)
            ax.plot(j + xs, i + inset / 2 - inset * y, color=CURVE_COLOR, lw=1.0)
    if marks is not None:
        for i, j in zip(*np.nonzero(np.asarray(marks) > 0)):
            ax.text(j + 0.45, i - 0.45, f"×{int(np.asarray(marks)[i, j])}", ha="right", va="top", fontsize=6,
                    color="k", fontweight="bold")
    rname, rvals = pd.rows
    cname, cvals = pd.cols
    ax.set_xticks(range(C), [f"{v:g}" for v in cvals], rotation=90 if C > 8 else 0, fontsize="small")
    ax.set_yticks(range(R), [f"{v:g}" for v in rvals], fontsize="small")
    ax.set_xlabel(cname)
    ax.set_ylabel(rname)
    if title:
        ax.set_title(title)
    return ax
