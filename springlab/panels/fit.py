r"""Panel of lesson 11 (fitting the chain to a network): controls and figures only.

==========================  ======  =====================================================
factory                     lesson  what the student moves
==========================  ======  =====================================================
:func:`fit_panel`           11      trajectory (a Fig. 4 network regime, or a Fig. 4
                                    chain as a check with known answers), noise seeds;
                                    Run fits a chain and draws both side by side
==========================  ======  =====================================================

What it runs: the networks of Fig. 4 left
(:func:`springlab.networks.experiments.fig4_network_run`, ``D_l`` every
epoch, cached), the chains of Fig. 4 right
(:func:`springlab.figures.springs.fig4_chain_run`) and
:func:`springlab.fit_chain`; the picture is :meth:`springlab.ChainFit.plot`.
"""
from __future__ import annotations

from ..figures.springs import FIG4_REGIMES, fig4_chain_run
from .base import Panel

__all__ = ["fit_panel", "FIT_SOURCES"]

#: The trajectories the panel fits: (label, (kind, regime)).
FIT_SOURCES: tuple = tuple((f"network, {r} (Fig. 4 left)", ("network", r)) for r in FIG4_REGIMES) + tuple(
    (f"chain, {r} (Fig. 4 right: answers known)", ("chain", r)) for r in FIG4_REGIMES)


def fit_trajectory(kind: str, regime: str):
    """The run the panel fits: a Fig. 4 network (``D_l`` every epoch) or a Fig. 4 chain (every time unit)."""
    if kind == "chain":
        return fig4_chain_run(**FIG4_REGIMES[regime], t_max=100.0, seed=100, record_every=1.0)
    # imported here: importing the panel must not import torch (CONTRIBUTING, "Traps")
    from ..networks.experiments import FIG4_NETWORK, fig4_network_run

    return fig4_network_run(**FIG4_NETWORK[regime])


def fit_panel(run_now: bool = True) -> Panel:
    """Fit a chain to a trajectory and show both side by side (Run button, progress).

    Controls: ``source`` (:data:`FIT_SOURCES`), ``seeds`` (noise seeds averaged per
    parameter set). The model is a :class:`springlab.ChainFit`.
    """
    import ipywidgets as w

    from ..chains.fit import fit_chain

    controls = {
        "source": w.Dropdown(options=list(FIT_SOURCES), value=FIT_SOURCES[0][1], description="trajectory",
                             layout=w.Layout(width="420px")),
        "seeds": w.IntSlider(value=8, min=2, max=16, step=2, description="noise seeds"),
    }

    def compute(source, seeds, progress=None):
        if progress is not None:
            progress(0.05)
        run = fit_trajectory(*source)
        if progress is not None:
            progress(0.5)
        return fit_chain(run, seeds=int(seeds))

    def draw(fig, f, s):
        f.plot(fig=fig, time_label="chain time" if s["source"][0] == "chain" else "epoch")
        flags = ", ".join(f"{n} {'yes' if ok else 'NO'}" for n, ok in f.identifiable.items())
        fig.suptitle(f"identifiable: {flags}", fontsize="small")

    panel = Panel(controls, compute, draw, run_button=True, figsize=(10.0, 3.8),
                  title="Fit a chain to a trajectory: choose one, press Run")
    if run_now:
        panel.update()
    return panel
