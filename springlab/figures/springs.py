r"""The paper's spring–block figures (SPEC §2.5), computed and drawn.

Each figure has a *compute* function (parameters of the paper; ``quick=True``
shrinks the grid and the number of seeds for lessons and tests) and a
``draw_*`` function that returns a :class:`matplotlib.figure.Figure`.

The paper does not list the grids of its phase diagrams nor ``y`` for Fig. 3,
S13 and S14; the choices below are ours, documented with each spec:

* ``y = 1`` everywhere (as the paper states for Fig. 4), so that friction and
  noise act on shares of order ``1/(L+1)``;
* ``dt = 0.01``, the step of the authors' code (SPEC §2.1), which is part
  of the first- and second-order models (the noise enters the friction as
  ``ε̄ = ε/√dt``; :mod:`springlab.chains.simulator`, "What the time step means");
* the noise axis spans the transition: with ``k = 1`` and ``dt = 0.01`` the
  per-step noise is ``ε̄ = 10 ε``, and the curves reach the large-noise limit
  (Eq. 8) for ``ε ≳ 0.015`` at ``t = 100``; the friction axis spans
  ``0 .. 1.5 μ←`` so that the limit is convex, linear and concave in turn
  (Eq. 8: the sign of ``μ→ - μ←``).

What each figure shows, checked in ``tests/test_figures_springs.py``:

Fig. 3 (first order)
    At ``ε = 0`` the curves are concave for ``μ→ > 0`` (Eq. 7) and linear at
    ``μ→ = 0``; at large ``ε`` they are convex for ``μ→ < μ←``, linear at
    ``μ→ = μ←`` and concave above; along a row with ``0 < μ→ < μ←`` raising
    ``ε`` walks concave → linear → convex; the elastic energy is lowest
    where the curves are linear.
Fig. S13 (second order), Fig. S14 (Langevin)
    The same phase diagram.
Fig. 4 right (first order, synchronous noise)
    Three regimes: lazy (concave), balanced (linear), active (convex); the
    pulling force on the last block decays from ``k y`` and ends lower the
    more active the regime.
Fig. 5b
    ``μ→ = 0``, ``μ← = 0.1``: linear at ``ε = 0``, convex for every ``ε > 0``.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..core.phase import subsample_axis

__all__ = [
    "PHASE_FIGURES",
    "FIG4_REGIMES",
    "phase_figure",
    "fig3",
    "fig_s13",
    "fig_s14",
    "draw_phase_figure",
    "fig4_right",
    "draw_fig4_right",
    "fig4_chain_run",
    "fig5b",
    "draw_fig5b",
    "PHASE_ORDERS",
    "phase_preset",
    "phase_diagram_on_grid",
]

#: Phase-diagram figures: fixed parameters (SPEC §2.5) and the grid (rows, cols).
PHASE_FIGURES: dict[str, dict] = {
    "fig3": dict(
        title="Fig. 3: first-order chain",
        fixed=dict(order="first", k=1.0, mu_left=0.2, L=7, t_max=100.0, y=1.0, dt=0.01),
        rows=("mu_right", np.round(np.arange(16) * 0.02, 6)),
        cols=("eps", np.round(np.arange(16) * 0.0012, 6)),
    ),
    "fig_s13": dict(
        title="Fig. S13: second-order chain",
        fixed=dict(order="second", k=1.0, gamma=1.0, mu_left=0.12, L=7, t_max=100.0, y=1.0, dt=0.01),
        rows=("mu_right", np.round(np.arange(16) * 0.012, 6)),
        cols=("eps", np.round(np.arange(16) * 0.003, 6)),
    ),
    "fig_s14": dict(
        title="Fig. S14: Langevin chain",
        fixed=dict(order="langevin", k=0.1, gamma=1.0, tau=0.002, mu_left=0.016, L=7, t_max=300.0, y=1.0,
                   dt=0.01),
        rows=("mu_right", np.round(np.arange(16) * 0.0016, 6)),
        cols=("eps", np.round(np.arange(16) * 0.002, 6)),
    ),
}

#: Fig. 4 right: the three regimes (k = y = 1, synchronous noise).
FIG4_REGIMES: dict[str, dict] = {
    "lazy": dict(mu_right=0.11, mu_left=0.03, eps=0.006),
    "balanced": dict(mu_right=0.04, mu_left=0.04, eps=0.01),
    "active": dict(mu_right=0.04, mu_left=0.12, eps=0.011),
}


def phase_figure(name: str, *, quick: bool = False, seeds: int | None = None, size: int | None = None,
                 progress: bool | None = None):
    """Compute the phase diagram of ``name`` in :data:`PHASE_FIGURES`.

    Parameters
    ----------
    quick : bool
        A 6 × 6 grid (both ends kept) over 3 seeds instead of 16 × 16 over 10.
    seeds, size : int, optional
        Override the number of seeds or of grid values per axis.

    Returns
    -------
    PhaseDiagram
    """
    from ..sweeps.chains import chain_phase_diagram

    if name not in PHASE_FIGURES:
        raise ValueError(f"name must be one of {', '.join(PHASE_FIGURES)}; got {name!r}")
    spec = PHASE_FIGURES[name]
    n = size if size is not None else (6 if quick else None)
    seeds = seeds if seeds is not None else (3 if quick else 10)
    (rn, rv), (cn, cv) = spec["rows"], spec["cols"]
    if n is not None:
        rv, cv = subsample_axis(rv, n), subsample_axis(cv, n)
    pd = chain_phase_diagram(rows=(rn, rv), cols=(cn, cv), seeds=seeds, progress=progress, **spec["fixed"])
    pd.metadata["figure"] = name
    return pd


def fig3(*, quick: bool = False, **kwargs):
    """Fig. 3: first order, k = 1, μ← = 0.2, L = 7, t = 100; μ→ × ε (see :func:`phase_figure`)."""
    return phase_figure("fig3", quick=quick, **kwargs)


def fig_s13(*, quick: bool = False, **kwargs):
    """Fig. S13: second order, k = γ = 1, μ← = 0.12, L = 7, t = 100; μ→ × ε."""
    return phase_figure("fig_s13", quick=quick, **kwargs)


def fig_s14(*, quick: bool = False, **kwargs):
    """Fig. S14: Langevin, k = 0.1, γ = 1, τ = 0.002, μ← = 0.016, L = 7, t = 300; μ→ × ε₀."""
    return phase_figure("fig_s14", quick=quick, **kwargs)


def draw_phase_figure(pd, title: str | None = None):
    """Draw a phase diagram as in the paper (red load curves over the energy shading).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    R, C = pd.curvature.shape
    fig, ax = plt.subplots(figsize=(1.5 + 0.55 * C, 1.0 + 0.5 * R), layout="constrained")
    name = pd.metadata.get("figure")
    if title is None and name in PHASE_FIGURES:
        title = PHASE_FIGURES[name]["title"]
    labels = {"mu_right": "friction $\\mu_\\to$", "eps": "noise $\\varepsilon$"}
    pd.plot(ax=ax, background="energy", title=title)
    ax.set_xlabel(labels.get(pd.cols[0], pd.cols[0]))
    ax.set_ylabel(labels.get(pd.rows[0], pd.rows[0]))
    return fig


@lru_cache(maxsize=32)
def fig4_chain_run(mu_right: float = 0.04, mu_left: float = 0.04, eps: float = 0.01, t_max: float = 100.0,
                   seed: int = 0, record_every: float = 0.5):
    """One chain of Fig. 4 right: first order, synchronous noise, k = y = 1, L = 7. Cached."""
    from ..chains.simulator import simulate_chain

    return simulate_chain("first", L=7, k=1.0, y=1.0, mu_right=float(mu_right), mu_left=float(mu_left),
                          eps=float(eps), noise="synchronous", t_max=t_max, seed=seed, record_every=record_every)


def fig4_right(*, quick: bool = False, t_max: float = 100.0, seed: int = 0) -> dict:
    """Fig. 4 right: trajectories of the three regimes (first order, synchronous noise, k = y = 1).

    Returns
    -------
    dict
        ``{"lazy" | "balanced" | "active": ChainRun}`` recorded every 0.1
        time units (every 0.5 with ``quick``).
    """
    return {name: fig4_chain_run(**kw, t_max=t_max, seed=seed, record_every=0.5 if quick else 0.1)
            for name, kw in FIG4_REGIMES.items()}


def draw_fig4_right(runs: dict):
    """Three panels of ``D_l(t)`` with the force on the last block dashed (twin axis).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from ..core.plots import plot_trajectories

    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 3.2), layout="constrained")
    for ax, (name, run) in zip(np.atleast_1d(axes), runs.items()):
        plot_trajectories(run.times, run.load, ax=ax, extra=run.force, extra_label="force on last block",
                          time_label="time", legend=name == "lazy")
        p = run.parameters
        ax.set_title(f"{name}: μ→={p['mu_right']:g}, μ←={p['mu_left']:g}, ε={p['eps']:g} ({run.final.shape})",
                     fontsize="small")
    return fig


def fig5b(eps_values=(0.0, 0.002, 0.005, 0.01, 0.02), *, seeds: int = 10, t_max: float = 100.0,
          quick: bool = False) -> dict:
    """Fig. 5b: μ→ = 0, μ← = 0.1 (k = y = 1, L = 7) at several noise levels.

    Returns
    -------
    dict
        ``{eps: LoadCurve}``, each averaged over ``seeds`` (3 with ``quick``).
    """
    from ..sweeps.chains import chain_phase_diagram
    from ..core.loadcurve import LoadCurve

    pd = chain_phase_diagram(rows=("mu_right", [0.0]), cols=("eps", list(eps_values)),
                             seeds=3 if quick else seeds, order="first", k=1.0, y=1.0, mu_left=0.1, L=7,
                             t_max=t_max)
    return {float(e): LoadCurve(pd.load[0, j]) for j, e in enumerate(eps_values)}


def draw_fig5b(curves: dict):
    """Load curves of Fig. 5b, one per noise level (normalised from 1 to 0).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from ..core.plots import plot_load_curve

    fig, ax = plt.subplots(figsize=(4.5, 3.2), layout="constrained")
    colors = plt.get_cmap("plasma")(np.linspace(0.0, 0.85, len(curves)))
    for c, (eps, curve) in zip(colors, curves.items()):
        plot_load_curve(curve.normalized(), ax=ax, color=c, chord=False,
                        label=f"ε = {eps:g} ({curve.shape})", ylabel="$D_l$ (normalised)")
    ax.set_title("Fig. 5b: $\\mu_\\to = 0$, $\\mu_\\leftarrow = 0.1$", fontsize="small")
    ax.legend(fontsize="small")
    return fig


#: Model order -> the paper's figure of it in :data:`springlab.figures.springs.PHASE_FIGURES`.
PHASE_ORDERS: dict[str, str] = {"first": "fig3", "second": "fig_s13", "langevin": "fig_s14"}


def phase_preset(order: str) -> dict:
    """Fixed parameters and paper ranges of the phase diagram of ``order``.

    Returns
    -------
    dict
        ``"figure"`` (e.g. ``"Fig. 3"``), ``"params"`` (fixed chain parameters,
        without ``order``), ``"mu_right"`` and ``"eps"`` (min, max) of the
        paper's grid, from :data:`springlab.figures.springs.PHASE_FIGURES`.
    """
    if order not in PHASE_ORDERS:
        raise ValueError(f"order must be one of {', '.join(PHASE_ORDERS)}; got {order!r}")
    spec = PHASE_FIGURES[PHASE_ORDERS[order]]
    params = {k: v for k, v in spec["fixed"].items() if k != "order"}
    rows, cols = spec["rows"][1], spec["cols"][1]
    return {"figure": spec["title"].split(":")[0], "params": params,
            "mu_right": (float(rows.min()), float(rows.max())), "eps": (float(cols.min()), float(cols.max()))}


def phase_diagram_on_grid(order, mu_range, n_mu, eps_range, n_eps, seeds, progress=None):
    """The phase diagram of ``order`` (fixed parameters of the paper's figure) on a chosen grid.

    Computed row by row with :func:`springlab.chain_phase_diagram`, so that
    ``progress(fraction)`` can follow it.

    Parameters
    ----------
    order : {"first", "second", "langevin"}
        Fig. 3, S13 or S14 (:func:`phase_preset`).
    mu_range, eps_range : (float, float)
        Ranges of μ→ (rows) and ε (columns; ε₀ for Langevin), force units.
    n_mu, n_eps : int
        Number of values (>= 1) in each range, evenly spaced.
    seeds : int
        Seeds per cell (>= 1).

    Returns
    -------
    PhaseDiagram
        Rows ``("mu_right", R values)``, columns ``("eps", C values)``, with ``.energy``.
    """
    from ..core.phase import PhaseDiagram
    from ..sweeps.chains import chain_phase_diagram

    preset = phase_preset(order)
    mus = np.round(np.linspace(mu_range[0], mu_range[1], int(n_mu)), 6)
    epss = np.round(np.linspace(eps_range[0], eps_range[1], int(n_eps)), 6)
    rows = []
    for i, mu in enumerate(mus):
        rows.append(chain_phase_diagram(rows=("mu_right", [mu]), cols=("eps", epss), seeds=int(seeds),
                                        progress=False, order=order, **preset["params"]))
        if progress is not None:
            progress((i + 1) / mus.size)
    return PhaseDiagram(rows=("mu_right", mus), cols=("eps", epss),
                        load=np.concatenate([r.load for r in rows]),
                        energy=np.concatenate([r.energy for r in rows]),
                        metadata={"order": order, **preset["params"], "seeds": int(seeds)})
