"""The first panel of the course (lesson 00): one spring, to learn how the panels work."""
from __future__ import annotations

import numpy as np

from .base import Panel
from .drawing import draw_spring

__all__ = ["widget_demo"]


def widget_demo() -> Panel:
    """A single spring (Hooke's law), to learn how the panels work.

    Controls: ``k`` (stiffness, force per unit length) and ``x`` (stretch,
    length units). The model is the force ``F = k x`` and the elastic energy
    ``E = k x² / 2``; the figure shows the spring and the energy parabola.
    """
    import ipywidgets as w

    controls = {
        "k": w.FloatSlider(value=1.0, min=0.2, max=3.0, step=0.1, description="stiffness k"),
        "x": w.FloatSlider(value=0.5, min=0.0, max=1.5, step=0.05, description="stretch x"),
    }

    def compute(k, x):
        return {"force": k * x, "energy": 0.5 * k * x**2}

    def draw(fig, res, s):
        from ..core.plots import layer_colors

        ax1, ax2 = fig.subplots(1, 2, width_ratios=[1.4, 1])
        c = layer_colors(1)
        draw_spring(ax1, 0.0, 1.0 + s["x"], 0.0, color="0.3", coils=10)
        ax1.plot([0, 0], [-0.3, 0.3], color="k", lw=4)
        ax1.plot(1.0 + s["x"], 0, "s", ms=22, color=c[1], mec="k")
        ax1.annotate("", xy=(1.0 + s["x"] + 0.5 * res["force"] + 0.12, 0), xytext=(1.0 + s["x"] + 0.12, 0),
                     arrowprops=dict(arrowstyle="<-", color="k", lw=2))
        ax1.set_xlim(-0.1, 3.3)
        ax1.set_ylim(-0.6, 0.6)
        ax1.set_yticks([])
        ax1.set_xlabel("position (length units; rest length 1)")
        ax1.set_title(f"pull back F = k·x = {res['force']:.2f}")
        xs = np.linspace(0, 1.5, 100)
        ax2.plot(xs, 0.5 * s["k"] * xs**2, color="0.3")
        ax2.plot(s["x"], res["energy"], "o", color=c[1], mec="k", ms=9)
        ax2.set_xlabel("stretch x (length units)")
        ax2.set_ylabel("elastic energy E = k x²/2")
        ax2.set_ylim(0, 0.5 * 3.0 * 1.5**2)
        ax2.set_title(f"E = {res['energy']:.3f}")

    return Panel(controls, compute, draw, title="One spring: move a slider", figsize=(8.0, 2.8))
