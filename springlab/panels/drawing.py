"""Drawings of the spring–block chain shared by the panels: a spring, a chain, a folding ruler."""
from __future__ import annotations

import numpy as np

__all__ = ["draw_spring", "draw_chain"]


def draw_spring(ax, x0, x1, h, *, color="0.4", coils=6, amplitude=0.12, lw=1.2):
    """A zig-zag spring from ``(x0, h)`` to ``(x1, h)``; nothing when it has zero length."""
    if abs(x1 - x0) < 1e-9:
        return
    n = 2 * coils + 1
    xs = np.linspace(x0, x1, n + 2)
    ys = np.full(n + 2, float(h))
    ys[1:-1] += amplitude * np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    ax.plot(xs, ys, color=color, lw=lw, solid_joinstyle="miter")


def draw_chain(ax, positions, y, *, style="springs", segment=None, label=None, xmax=None):
    """Draw one configuration of the chain: wall, blocks ``1..L``, springs, target.

    Parameters
    ----------
    ax : matplotlib Axes
    positions : array_like, shape (L,)
        Block positions ``x_1 .. x_L`` (length units).
    y : float
        Target (position of the pulled end, ``x_{L+1}``).
    style : {"springs", "ruler"}
        ``"springs"``: blocks on a line joined by zig-zag springs.
        ``"ruler"``: a folding ruler whose segments of fixed length
        ``segment`` fold up and down; joints are the blocks.
    segment : float, optional
        Segment length of the ruler (default ``1.6 y / (L+1)``).
    label : str, optional
        Written at the left of the drawing.
    xmax : float, optional
        Right end of the x axis (default ``1.1 y``).

    Returns
    -------
    matplotlib Axes
    """
    from ..core.plots import layer_colors

    x = np.asarray(positions, dtype=np.float64)
    L = x.size
    colors = layer_colors(L)
    pts = np.concatenate([[0.0], x, [y]])
    if style == "ruler":
        seg = segment if segment is not None else 1.6 * y / (L + 1)
        d = np.diff(pts)
        rise = np.sqrt(np.clip(seg**2 - d**2, 0.0, None))
        rise[-1] = 0.0  # the last link is the hand's spring, not a ruler segment
        h = np.concatenate([[0.0], np.cumsum(rise * np.where(np.arange(L + 1) % 2 == 0, 1.0, -1.0))])
        for l in range(L):  # segment l+1 ends at block l+1 and has that block's colour
            ax.plot(pts[l:l + 2], h[l:l + 2], color=colors[l + 1], lw=5, solid_capstyle="round")
        draw_spring(ax, pts[L], pts[L + 1], h[L], color="0.2", coils=4, amplitude=0.04 * seg)
        ax.scatter(pts[1:-1], h[1:-1], s=36, color=colors[1:], edgecolor="k", zorder=3)
        ymin, ymax = -0.15 * seg - 0.02, seg * 1.15 + 0.02
        ax.fill_betweenx([ymin, ymax], -0.05 * y, -0.012 * y, color=colors[0], alpha=0.8)  # the wall
    elif style == "springs":
        h = np.zeros(L + 2)
        for l in range(L + 1):
            draw_spring(ax, pts[l], pts[l + 1], 0.0, color="0.45", amplitude=0.25, coils=3)
        ax.scatter(pts[1:-1], h[1:-1], s=110, marker="s", color=colors[1:], edgecolor="k", zorder=3)
        ymin, ymax = -0.8, 0.8
        ax.plot([0, 0], [ymin, ymax], color=colors[0], lw=6)  # the wall: anchored block 0
    else:
        raise ValueError(f"style must be 'springs' or 'ruler'; got {style!r}")
    ax.annotate("", xy=(y + 0.08 * y, h[-1]), xytext=(y, h[-1]),
                arrowprops=dict(arrowstyle="->", color="k", lw=2))  # the pull
    ax.plot([y], [h[-1]], "o", color="k", ms=5)
    ax.set_xlim(-0.05 * y, xmax if xmax is not None else 1.12 * y)
    ax.set_ylim(ymin, ymax)
    ax.set_yticks([])
    if label:
        ax.set_ylabel(label, rotation=0, ha="right", va="center")
    return ax
