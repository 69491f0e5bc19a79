r"""Panels of the spring–block lessons (01–05).

Each factory returns a :class:`~springlab.panels.base.Panel`: the lesson
builds and displays it, tests drive it without a browser by setting
``panel.controls[name].value``. Lesson 00's first panel is
:mod:`springlab.panels.welcome`; chains are drawn by :mod:`springlab.panels.drawing`.

=========================  ======  ==================================================
factory                    lesson  what the student moves
=========================  ======  ==================================================
:func:`folding_ruler`      01      jerkiness ``ε``, joint friction ``μ``, time (Play)
:func:`chain_explorer`     02      number of blocks ``L``, stiffness ``k``, target ``y``
:func:`friction_panel`     03      friction ``μ→``, target ``y``, ``L`` (Eq. 7)
:func:`noise_panel`        04      noise ``ε``, frictions ``μ→`` and ``μ←`` (Eq. 8)
:func:`phase_diagram_panel` 05     model order, ranges of ``μ→`` and ``ε`` (Fig. 3, S13, S14)
=========================  ======  ==================================================

The simulations are :func:`springlab.simulate_chain`; theory is
:func:`springlab.equilibrium` (Eq. 7, with the blocks that never move),
:func:`springlab.moving_blocks`, :func:`springlab.effective_friction` and
:func:`springlab.delta_d_star` (Eq. 8);
every picture uses the shared plots of :mod:`springlab.core.plots`, so block ``l``
has the colour ``layer_colors(L)[l]`` in every lesson.
"""
from __future__ import annotations


import numpy as np

from ..chains.theory import eq7_positions
from ..core.loadcurve import LoadCurve
from ..figures.springs import phase_diagram_on_grid, phase_preset
from .base import Panel
from .drawing import draw_chain

__all__ = [
    "folding_ruler",
    "chain_explorer",
    "friction_panel",
    "noise_panel",
    "phase_diagram_panel",
]

#: Frames of the folding-ruler animation (one per time unit of the default run).
RULER_FRAMES = 101


# --------------------------------------------------------------------------
# Lesson 01: the folding ruler
# --------------------------------------------------------------------------
def _frames(run, n_frames):
    """Indices of ``n_frames`` records evenly spread over the run."""
    return np.unique(np.linspace(0, run.times.size - 1, n_frames).round().astype(int))


def folding_ruler(L: int = 7, t_max: float = 100.0, seed: int = 0) -> Panel:
    """Two folding rulers pulled to the same length: slowly and steadily, or quickly and jerkily.

    Both are first-order chains (Eq. 5) with equal friction at every joint
    (``μ→ = μ← = μ``), ``k = y = 1``; the steady pull has no noise, the
    jerky pull noise ``ε``. A Play button animates time.

    Controls: ``eps`` (jerkiness ε), ``mu`` (joint friction μ), ``frame``
    (time, view only; driven by the Play control in ``panel.play``).
    The model (``panel.result``) is a dict with the two runs ``"steady"`` and
    ``"jerky"`` (:class:`springlab.ChainRun`) and the frame indices ``"frames"``.
    """
    import ipywidgets as w

    controls = {
        "eps": w.FloatSlider(value=0.02, min=0.0, max=0.05, step=0.005, readout_format=".3f",
                             description="jerkiness ε", continuous_update=False),
        "mu": w.FloatSlider(value=0.1, min=0.02, max=0.2, step=0.01, description="joint friction μ",
                            continuous_update=False),
        "frame": w.IntSlider(value=0, min=0, max=RULER_FRAMES - 1, description="time step"),
    }
    # starts at t = 0 (both rulers folded), so that students predict before they press Play
    # one frame takes a few tenths of a second to draw in the kernel: 25 frames, 0.4 s apart
    play = w.Play(value=0, min=0, max=RULER_FRAMES - 1, step=4, interval=400, description="play")
    w.jslink((play, "value"), (controls["frame"], "value"))

    def compute(eps, mu):
        import springlab as sl

        common = dict(L=L, k=1.0, y=1.0, mu_right=mu, mu_left=mu, t_max=t_max, seed=seed)
        steady = sl.simulate_chain("first", eps=0.0, **common)
        jerky = sl.simulate_chain("first", eps=eps, **common)
        # a ruler's segments have a fixed length: just long enough for the longest stretch seen
        shares = [np.diff(np.concatenate([np.zeros((r.times.size, 1)), r.positions, np.ones((r.times.size, 1))],
                                         axis=1)) for r in (steady, jerky)]
        segment = 1.02 * max(float(np.max(d)) for d in shares)
        return {"steady": steady, "jerky": jerky, "frames": _frames(steady, RULER_FRAMES), "segment": segment}

    def draw(fig, res, s):
        from ..core.plots import plot_load_curve

        frames = res["frames"]
        i = int(frames[min(s["frame"], frames.size - 1)])
        gs = fig.add_gridspec(2, 2, width_ratios=[1.5, 1])
        ax_s, ax_j = fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[1, 0])
        ax_c = fig.add_subplot(gs[:, 1])
        t = res["steady"].times[i]
        for ax, key, name, color in ((ax_s, "steady", "slow, steady", "0.2"),
                                     (ax_j, "jerky", f"quick, jerky\n(ε = {s['eps']:.3f})", "#d95f02")):
            run = res[key]
            draw_chain(ax, run.positions[i], 1.0, style="ruler", label=name, segment=res["segment"])
            plot_load_curve(run.load[i], ax=ax_c, color=color, chord=False,
                            label=f"{key}: {LoadCurve(run.load[i]).describe()}")
        ax_s.set_title(f"t = {t:.0f} (time units)")
        ax_s.set_xticklabels([])
        ax_j.set_xlabel("position x (units of the pulled length y)")
        ax_c.set_ylabel("$D_l = y - x_l$ (units of y)")
        ax_c.set_xlabel("block $l$")
        ax_c.set_ylim(-0.05, 1.05)
        ax_c.legend(fontsize="small", loc="lower left")
        ax_c.set_title("load curve")

    panel = Panel(controls, compute, draw, view_controls=("frame",), title="The folding ruler",
                  figsize=(9.0, 4.2), extra=[play])
    panel.play = play
    return panel


# --------------------------------------------------------------------------
# Lesson 02: springs and blocks without friction
# --------------------------------------------------------------------------
def chain_explorer(t_max: float = 100.0) -> Panel:
    """A frictionless, noiseless chain (Eq. 5 with ``μ = ε = 0``): choose ``L``, ``k``, ``y``.

    The model is the run (:class:`springlab.ChainRun`); the figure shows the
    final chain, the trajectories ``D_l(t)`` with the elastic energy, and the
    final load curve against the equilibrium ``d_l* = y / (L+1)``.
    """
    import ipywidgets as w

    controls = {
        "L": w.IntSlider(value=7, min=2, max=12, description="blocks L", continuous_update=False),
        "k": w.FloatSlider(value=1.0, min=0.2, max=3.0, step=0.1, description="stiffness k",
                           continuous_update=False),
        "y": w.FloatSlider(value=1.0, min=0.2, max=3.0, step=0.1, description="target y",
                           continuous_update=False),
    }

    def compute(L, k, y):
        import springlab as sl

        return sl.simulate_chain("first", L=L, k=k, y=y, mu_right=0.0, mu_left=0.0, eps=0.0, t_max=t_max)

    def draw(fig, run, s):
        from ..core.plots import plot_load_curve, plot_trajectories

        L, k, y = s["L"], s["k"], s["y"]
        gs = fig.add_gridspec(2, 2, height_ratios=[1, 3])
        ax0 = fig.add_subplot(gs[0, :])
        draw_chain(ax0, run.positions[-1], y, xmax=3.3)
        ax0.set_xlabel("position x (length units)")
        ax0.set_title(f"t = {run.times[-1]:.0f}: L = {L}, k = {k:.1f}, y = {y:.1f}")
        ax1 = fig.add_subplot(gs[1, 0])
        plot_trajectories(run.times, run.load, ax=ax1, extra=run.energy, extra_label="elastic energy E",
                          time_label="time (model units)", ylabel="$D_l = y - x_l$ (length units)", legend=False)
        e_min = k * y**2 / (2 * (L + 1))
        ax1.extra_axes.axhline(e_min, color="k", lw=0.8, ls=":")
        ax2 = fig.add_subplot(gs[1, 1])
        l = np.arange(L + 1)
        ax2.plot(l, y * (1 - l / (L + 1)), color="0.6", lw=6, alpha=0.5, label="equilibrium $d^* = y/(L+1)$")
        plot_load_curve(run.final, ax=ax2, color="k", chord=False, label="simulation")
        ax2.scatter(l, run.final.values, color=_colors(L), zorder=3, s=40, edgecolor="k")
        ax2.set_ylabel("$D_l = y - x_l$ (length units)")
        ax2.legend(fontsize="small")
        ax2.set_title(f"final E = {run.energy[-1]:.4f} (minimum {e_min:.4f})")

    return Panel(controls, compute, draw, title="Springs and blocks (no friction, no noise)", figsize=(9.0, 5.5))


def _colors(L):
    from ..core.plots import layer_colors

    return layer_colors(L)


# --------------------------------------------------------------------------
# Lesson 03: friction (Eq. 7)
# --------------------------------------------------------------------------
def friction_panel(t_max: float = 100.0) -> Panel:
    """Friction without noise: simulation against Eq. 7 and the stuck-block rule.

    Controls: ``mu_right`` (μ→), ``y`` (target), ``L``; ``k = 1``,
    ``μ← = μ→`` (irrelevant: without noise no block moves left).
    The model is a dict with the run, the Eq. 7 formula on all ``L`` blocks
    (``"eq7_all"``, valid only when every block moves), the theory
    :func:`springlab.equilibrium` (``"theory"``) and the number of blocks that
    move (:func:`springlab.moving_blocks`).
    """
    import ipywidgets as w

    controls = {
        "mu_right": w.FloatSlider(value=0.1, min=0.0, max=0.3, step=0.01, description="friction μ→",
                                  continuous_update=False),
        "y": w.FloatSlider(value=3.0, min=0.2, max=5.0, step=0.1, description="target y",
                           continuous_update=False),
        "L": w.IntSlider(value=7, min=2, max=12, description="blocks L", continuous_update=False),
    }

    def compute(mu_right, y, L):
        import springlab as sl

        run = sl.simulate_chain("first", L=L, k=1.0, y=y, mu_right=mu_right, mu_left=mu_right, eps=0.0,
                                t_max=t_max)
        return {"run": run, "eq7_all": eq7_positions(L, 1.0, y, mu_right),
                "theory": sl.equilibrium(L, 1.0, y, mu_right), "moving": sl.moving_blocks(L, 1.0, y, mu_right)}

    def draw(fig, res, s):
        from ..core.plots import plot_load_curve

        L, y, mu = s["L"], s["y"], s["mu_right"]
        run = res["run"]
        colors = _colors(L)
        ax0, ax1 = fig.subplots(1, 2)
        l = np.arange(L + 1)
        D7 = y - np.concatenate([[0.0], res["eq7_all"]])
        Dth = y - np.concatenate([[0.0], res["theory"]])
        valid = res["moving"] == L
        ax0.plot(l, D7, color="0.6", lw=5, alpha=0.5, label="Eq. 7" + ("" if valid else " on all blocks (not valid)"))
        if not valid:
            ax0.plot(l, Dth, color="#1b9e77", lw=2, ls="--", label=f"Eq. 7 on the last {res['moving']} blocks")
        plot_load_curve(run.final, ax=ax0, color="k", chord=True, label=f"simulation: {run.final.describe()}")
        ax0.scatter(l, run.final.values, color=colors, zorder=3, s=40, edgecolor="k")
        ax0.set_ylabel("$D_l = y - x_l$ (length units)")
        ax0.set_xlabel("block $l$")
        ax0.legend(fontsize="small")
        y_all = mu * L * (L + 1) / 2
        ax0.set_title(f"{res['moving']} of {L} blocks move (all move when y ≥ {y_all:.2f})", fontsize="medium")
        d = run.final.d
        ax1.bar(np.arange(1, L + 1), d, color=colors[1:], edgecolor="k")
        dth = -np.diff(Dth)
        ax1.plot(np.arange(1, L + 1), dth, "o--", color="0.4", label="theory (Eq. 7): $Δd^* = μ_→/k$")
        ax1.axhline(y / (L + 1), color="0.6", ls=":", label="no friction: $y/(L+1)$")
        ax1.set_xlabel("spring $l$ (between blocks $l-1$ and $l$)")
        ax1.set_ylabel("share $d_l = D_{l-1} - D_l$ (length units)")
        moving_dd = np.diff(d)[L - res["moving"]:]
        dd_text = f"{np.mean(moving_dd):.3f}" if moving_dd.size else "–"
        ax1.set_title(f"mean Δd of moving blocks = {dd_text} (μ→/k = {mu:.2f})", fontsize="medium")
        ax1.legend(fontsize="small")

    return Panel(controls, compute, draw, title="Friction breaks the balance", figsize=(9.0, 3.8))


# --------------------------------------------------------------------------
# Lesson 04: noise and effective friction (Eq. 8)
# --------------------------------------------------------------------------
def noise_panel(seeds: int = 4, t_max: float = 100.0, dt: float = 0.01) -> Panel:
    """Noise re-equilibrates the load: first-order chain (Eq. 5) with ``ε``, ``μ→``, ``μ←``.

    ``k = y = 1``, ``L = 7``; the load curve is averaged over ``seeds`` runs.
    Left: the effective friction ``μ_eff`` against ``ε`` (with its limits
    ``μ→`` and ``(μ→ − μ←)/2``); right: the averaged final load curve with
    the noiseless Eq. 7 and the large-noise Eq. 8 predictions.
    The model is a dict: ``"load"`` (L+1,), ``"runs"``, ``"eps_grid"``, ``"mu_eff"``.
    """
    import ipywidgets as w

    controls = {
        "eps": w.FloatSlider(value=0.01, min=0.0, max=0.05, step=0.001, readout_format=".3f",
                             description="noise ε", continuous_update=False),
        "mu_right": w.FloatSlider(value=0.04, min=0.0, max=0.2, step=0.01, description="friction μ→",
                                  continuous_update=False),
        "mu_left": w.FloatSlider(value=0.12, min=0.0, max=0.2, step=0.01, description="friction μ←",
                                 continuous_update=False),
    }
    L, k, y = 7, 1.0, 1.0

    def compute(eps, mu_right, mu_left):
        import springlab as sl

        runs = [sl.simulate_chain("first", L=L, k=k, y=y, mu_right=mu_right, mu_left=mu_left, eps=eps,
                                  dt=dt, t_max=t_max, seed=s) for s in range(seeds)]
        load = np.mean([r.final.values for r in runs], axis=0)
        eps_grid = np.linspace(0.0, 0.05, 51)
        # at the force F = μ→ at which a noiseless block comes to rest (springlab.delta_d_star)
        mu_eff = sl.effective_friction(mu_right, eps_grid / np.sqrt(dt), mu_right, mu_left)
        now = sl.effective_friction(mu_right, eps / np.sqrt(dt), mu_right, mu_left)
        return {"runs": runs, "load": load, "eps_grid": eps_grid, "mu_eff": mu_eff, "mu_eff_now": float(now)}

    def draw(fig, res, s):
        import springlab as sl
        from ..core.plots import plot_load_curve

        mr, ml, eps = s["mu_right"], s["mu_left"], s["eps"]
        ax0, ax1 = fig.subplots(1, 2)
        ax0.plot(res["eps_grid"], res["mu_eff"], color="k", label="$μ_{eff}$ at $F = μ_→$")
        ax0.axhline(mr, color="#1b9e77", ls="--", label="$μ_→$ (no noise)")
        ax0.axhline((mr - ml) / 2, color="#d95f02", ls="--", label="$(μ_→ - μ_←)/2$ (large noise)")
        ax0.axhline(0, color="0.7", lw=0.8)
        ax0.plot([eps], [res["mu_eff_now"]], "o", color="#7570b3", ms=8, label=f"your ε: {res['mu_eff_now']:+.3f}")
        ax0.set_xlabel("noise ε (force·√time)")
        ax0.set_ylabel("effective friction $μ_{eff}$ (force)")
        ax0.legend(fontsize="small")
        ax0.set_title("effective friction", fontsize="medium")
        lc = LoadCurve(res["load"])
        l = np.arange(L + 1)
        # ε = 0: Eq. 7 with the blocks that never move (lesson 03); large ε: Eq. 7 with (μ→ - μ←)/2 (Eq. 8);
        # in between: Eq. 7 with μ_eff(ε)
        predictions = ((sl.equilibrium(L, k, y, mr), "#1b9e77", "-", "Eq. 7 (ε = 0)"),
                       (eq7_positions(L, k, y, (mr - ml) / 2), "#d95f02", "-", "Eq. 8 (large ε)"),
                       (eq7_positions(L, k, y, res["mu_eff_now"]), "#7570b3", ":", "Eq. 7 with $μ_{eff}(ε)$"))
        for x, color, ls, name in predictions:
            ax1.plot(l, y - np.concatenate([[0.0], x]), color=color, ls=ls, lw=4 if ls == "-" else 2,
                     alpha=0.45 if ls == "-" else 0.9, label=name)
        plot_load_curve(lc, ax=ax1, color="k", chord=True, label=f"simulation, {seeds} seeds: {lc.describe()}")
        ax1.scatter(l, lc.values, color=_colors(L), zorder=3, s=40, edgecolor="k")
        ax1.set_ylabel("$D_l = y - x_l$ (units of y)")
        ax1.set_xlabel("block $l$")
        ax1.legend(fontsize="small", loc="best")
        ax1.set_title(f"ε = {eps:.3f}: mean Δd = {np.mean(lc.delta_d):+.3f}, Eq. 8: {(mr - ml) / (2 * k):+.3f}",
                      fontsize="medium")

    return Panel(controls, compute, draw, title="Noise re-equilibrates the load", figsize=(9.0, 3.8))


# --------------------------------------------------------------------------
# Lesson 05: the phase diagram (Fig. 3, S13, S14)
# --------------------------------------------------------------------------
def phase_diagram_panel(n_mu: int = 5, n_eps: int = 5, seeds: int = 3, run_now: bool = True) -> Panel:
    """The spring–block phase diagram computed live: μ→ (rows) against ε (columns).

    Controls: ``order`` (``"first"`` Fig. 3, ``"second"`` Fig. S13,
    ``"langevin"`` Fig. S14; choosing one resets the ranges to that
    figure's), ``mu_range`` and ``n_mu``, ``eps_range`` and ``n_eps``,
    ``seeds``. Work starts with the Run button (a progress bar follows the
    rows); with ``run_now`` the default grid is computed once at creation.
    The model is a :class:`springlab.PhaseDiagram` with ``.energy``.
    """
    import ipywidgets as w

    first = phase_preset("first")
    controls = {
        "order": w.Dropdown(options=[("first order (Fig. 3)", "first"), ("second order (Fig. S13)", "second"),
                                     ("Langevin (Fig. S14)", "langevin")], value="first", description="model"),
        "mu_range": w.FloatRangeSlider(value=first["mu_right"], min=0.0, max=0.3, step=0.001,
                                       readout_format=".3f", description="μ→ range"),
        "n_mu": w.IntSlider(value=n_mu, min=2, max=12, description="μ→ values"),
        "eps_range": w.FloatRangeSlider(value=first["eps"], min=0.0, max=0.1, step=0.0005,
                                        readout_format=".4f", description="ε range"),
        "n_eps": w.IntSlider(value=n_eps, min=2, max=12, description="ε values"),
        "seeds": w.IntSlider(value=seeds, min=1, max=10, description="seeds"),
    }

    def reset_ranges(change):
        preset = phase_preset(change["new"])
        controls["mu_range"].value = preset["mu_right"]
        controls["eps_range"].value = preset["eps"]

    controls["order"].observe(reset_ranges, names="value")

    def compute(order, mu_range, n_mu, eps_range, n_eps, seeds, progress=None):
        return phase_diagram_on_grid(order, mu_range, n_mu, eps_range, n_eps, seeds, progress=progress)

    def draw(fig, pd, s):
        from ..core.plots import plot_phase_diagram

        ax = fig.add_subplot()
        preset = phase_preset(s["order"])
        plot_phase_diagram(pd, ax=ax, colorbar=False)
        # absolute energies, E = k/2 Σ d² with this figure's k (0.1 for Fig. S14), not E / (k y²)
        fig.colorbar(ax.images[0], ax=ax, label=f"elastic energy E = (k/2) Σ d², k = {preset['params']['k']:g}",
                     fraction=0.05, pad=0.02)
        ax.set_ylabel("friction μ→ (force units)")
        ax.set_xlabel("noise ε (force·√time)" if s["order"] != "langevin" else "initial noise ε₀ (force·√time)")
        counts = {shape: int(np.sum(pd.shape == shape)) for shape in ("concave", "linear", "convex")}
        model = {"first": "first order", "second": "second order", "langevin": "Langevin"}[s["order"]]
        ax.set_title(f"{preset['figure']} ({model}): " +
                     ", ".join(f"{n} {shape}" for shape, n in counts.items()), fontsize="medium")

    panel = Panel(controls, compute, draw, run_button=True, title="The spring–block phase diagram",
                  figsize=(7.5, 4.5))
    if run_now:
        panel.update()
    return panel
