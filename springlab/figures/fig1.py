"""Fig. 1, the network phase diagrams: its four panels, computed, drawn and shipped.

Each panel (SPEC §3.4) is α (rows) against one of the four noise knobs
(columns): data noise, learning rate, dropout, batch size. :func:`fig1_panel`
computes one with :func:`springlab.dnn_phase_diagram` at the paper's scale
(6 α × the knob's values × 10 seeds) or reduced, :func:`draw_fig1` draws the
panels side by side, and :func:`load_result` reads the panels that ship with
the package (``springlab/results``, made by ``python -m springlab reproduce
--ship``; each file records how it was made).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.phase import subsample_axis

__all__ = ["FIG1_PANELS", "Fig1Panel", "fig1_panel", "draw_fig1", "draw_panel", "load_result",
           "shipped_phase_diagrams", "quick_phase_diagram", "failed_runs", "accuracy_summary",
           "PAPER_ACCURACY_RANGE", "KNOB_VALUES", "RESULTS_DIR", "QUICK_ALPHAS", "PAPER_SEEDS", "QUICK_SEEDS"]

#: Where shipped results live (package data).
RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"


@dataclass(frozen=True)
class Fig1Panel:
    """One panel of Fig. 1 (SPEC §3.4): the knob, its values noisiest first, and the epochs."""

    title: str
    knob: str
    values: tuple
    epochs: int = 100
    quick_values: tuple = ()
    quick_epochs: int = 40
    fixed: dict = field(default_factory=dict)


#: Fig. 1's four panels; columns go from most noise (left) to least, as in the paper.
FIG1_PANELS: dict[str, Fig1Panel] = {
    "fig1a": Fig1Panel("Fig. 1a: data noise", "data_noise", tuple(np.round(np.arange(8, -1, -1) * 0.1, 2)),
                       quick_values=(0.8, 0.4, 0.0)),
    "fig1b": Fig1Panel("Fig. 1b: learning rate (200 epochs)", "lr",
                       (0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 5e-3, 2e-3, 1e-3, 5e-4, 2e-4, 1e-4), epochs=200,
                       quick_values=(0.1, 1e-2, 1e-3, 1e-4), quick_epochs=80),
    "fig1c": Fig1Panel("Fig. 1c: dropout", "dropout", tuple(np.round(np.arange(15, -1, -1) * 0.02, 2)),
                       quick_values=(0.3, 0.1, 0.0)),
    "fig1d": Fig1Panel("Fig. 1d: batch size", "batch_size", (5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560),
                       quick_values=(20, 160, 2560), quick_epochs=20),
}
#: The paper's values of each noise knob (SPEC §3.4), from least to most noisy (Fig. 1's columns reversed).
KNOB_VALUES: dict[str, tuple] = {p.knob: tuple(np.asarray(p.values)[::-1].tolist()) for p in FIG1_PANELS.values()}


QUICK_ALPHAS = (0.0, 0.4, 1.0)
PAPER_SEEDS = 10
QUICK_SEEDS = 2


def fig1_panel(name: str, *, quick: bool = False, seeds: int | None = None, grid: int | None = None,
               progress: bool = True, store=None,
               client=None, command: str | None = None, workers: int = 1, threads: int | None = None):
    """Compute one panel of Fig. 1 (``"fig1a"`` … ``"fig1d"``) as a :class:`~springlab.core.phase.PhaseDiagram`.

    Parameters
    ----------
    quick : bool
        3 α × 3–4 knob values × 2 seeds with fewer epochs, instead of the paper's grid.
    seeds : int, optional
        Seeds ``0 .. seeds-1`` (paper: 10); fewer is recorded as reduced.
    grid : int, optional
        Keep only this many of the panel's knob values (both ends kept);
        recorded as reduced.
    store, client, progress, workers, threads
        Passed to :func:`springlab.sweeps.networks.dnn_phase_diagram`.
    """
    from ..sweeps.networks import FIG1_ALPHAS, dnn_phase_diagram

    if name not in FIG1_PANELS:
        raise ValueError(f"name must be one of {list(FIG1_PANELS)}; got {name!r}")
    p = FIG1_PANELS[name]
    n_seeds = seeds if seeds is not None else (QUICK_SEEDS if quick else PAPER_SEEDS)
    if not (isinstance(n_seeds, int) and n_seeds >= 1):
        raise ValueError(f"seeds must be an int >= 1; got {seeds!r}")
    values = p.quick_values if quick else subsample_axis(p.values, grid)
    reduced = []
    if n_seeds < PAPER_SEEDS:
        reduced.append(f"{n_seeds} seeds instead of the paper's {PAPER_SEEDS}")
    if len(values) < len(p.values):
        reduced.append(f"{len(values)} of the paper's {len(p.values)} {p.knob} values")
    scale = "quick" if quick else ("reduced" if reduced else "paper")
    note = {"paper": None, "quick": "quick scale: reduced grid, seeds and epochs (not the paper's)",
            "reduced": "reduced: " + "; ".join(reduced) + "; epochs and everything else as in the paper"}
    pd = dnn_phase_diagram(alpha=QUICK_ALPHAS if quick else FIG1_ALPHAS, knob=(p.knob, values), seeds=n_seeds,
                           epochs=p.quick_epochs if quick else p.epochs, progress=progress, store=store,
                           client=client, command=command, note=note[scale], workers=workers, threads=threads,
                           **p.fixed)
    pd.metadata.update(figure=name, title=p.title, scale=scale)
    return pd


def draw_fig1(panels: dict):
    """Fig. 1 as in the paper: one phase diagram per panel, then curvature against test accuracy.

    Parameters
    ----------
    panels : dict name -> PhaseDiagram

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    from ..sweeps.networks import plot_curvature_accuracy

    n = len(panels)
    widths = [max(3.0, 0.45 * pd.cols[1].size + 1.5) for pd in panels.values()] + [4.0]
    fig, axes = plt.subplots(1, n + 1, figsize=(sum(widths), 3.6), gridspec_kw=dict(width_ratios=widths))
    for ax, (name, pd) in zip(axes, panels.items()):
        failed = failed_runs(pd)
        pd.plot(ax=ax, title=pd.metadata.get("title", name), marks=failed.sum(axis=-1) if failed is not None else None)
    plot_curvature_accuracy(list(panels.values()), ax=axes[-1], labels=[pd.cols[0] for pd in panels.values()])
    axes[-1].set_title("accuracy vs curvature")
    fig.tight_layout()
    return fig


def draw_panel(pd):
    """One panel of Fig. 1 alone, sized to its number of columns; ×n marks n seeds that failed to train."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(0.5 * pd.cols[1].size + 2.0, 3.8))
    failed = failed_runs(pd)
    pd.plot(ax=ax, title=pd.metadata.get("title"), marks=failed.sum(axis=-1) if failed is not None else None)
    fig.tight_layout()
    return fig


def load_result(name: str):
    """A shipped paper-scale (or plainly marked reduced) result, e.g. ``load_result("fig1c")``.

    Returns
    -------
    PhaseDiagram
        Its ``metadata`` says how it was made (command, seeds, versions, scale).
    """
    from ..core.phase import PhaseDiagram

    path = RESULTS_DIR / f"{name}.npz"
    if not path.is_file():
        have = sorted(p.stem for p in RESULTS_DIR.glob("*.npz"))
        raise ValueError(f"no shipped result {name!r}; available: {have}")
    return PhaseDiagram.load_file(path)


def shipped_phase_diagrams(folder=None) -> dict:
    """The paper-scale network phase diagrams shipped in ``springlab/results`` (if any).

    Returns
    -------
    dict[str, PhaseDiagram]
        File stem → diagram, for every ``*.npz`` there whose rows or columns
        are ``alpha`` (network diagrams); empty when none has been shipped.
    """
    from ..core.phase import PhaseDiagram

    folder = Path(folder) if folder is not None else RESULTS_DIR
    out = {}
    for path in sorted(folder.glob("*.npz")) if folder.is_dir() else []:
        try:
            pd = PhaseDiagram.load_file(path)
        except Exception:  # not a phase diagram: skip it
            continue
        if "alpha" in (pd.rows[0], pd.cols[0]):
            out[path.stem] = pd
    return out


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
    from ..core.phase import PhaseDiagram
    from ..sweeps.networks import dnn_phase_diagram

    if knob not in KNOB_VALUES:
        raise ValueError(f"knob must be one of {sorted(KNOB_VALUES)}; got {knob!r}")
    alphas = tuple(round(float(a), 3) for a in alphas)
    knob_values = tuple(int(v) if knob == "batch_size" else float(v) for v in knob_values)
    rows = []
    for i, a in enumerate(alphas):
        key = (knob, knob_values, a, int(seeds), int(epochs))
        if key not in _PHASE_ROWS:  # rows already computed (by the panel or a check cell) are reused
            _PHASE_ROWS[key] = dnn_phase_diagram(alpha=[a], knob=(knob, knob_values), seeds=int(seeds),
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


#: A seed "failed to train" when its test accuracy is below chance plus this (SPEC §3.4 classes: chance 1/K).
FAILED_MARGIN = 0.1


def failed_runs(pd, *, margin: float = FAILED_MARGIN):
    """Which seeds of each cell failed to train: accuracy near chance, or a final loss not below the first.

    A run failed when its test accuracy is below ``1/K + margin`` (chance is
    ``1/K`` for ``K`` classes), or, where the sweep recorded them
    (``metadata["loss_first_seeds"]``, ``metadata["loss_last_seeds"]``), when
    its last epoch's training loss is not below its first epoch's. Such runs
    (for example the ReLU net at learning rate 0.5, Fig. 1b) sit in the
    seed average of a cell and pull its accuracy and curve towards chance;
    the plots mark them and :func:`accuracy_summary` reports the means with
    and without them.

    Parameters
    ----------
    pd : PhaseDiagram
        A network phase diagram whose metadata holds ``test_accuracy_seeds``
        (R, C, S), as :func:`springlab.dnn_phase_diagram` records.
    margin : float, default 0.1
        Accuracy above chance (fraction) below which a run counts as failed.

    Returns
    -------
    ndarray of bool, shape (R, C, S), or None
        None for a diagram without per-seed accuracies (chains).
    """
    acc = pd.metadata.get("test_accuracy_seeds")
    if acc is None:
        return None
    acc = np.asarray(acc, dtype=np.float64)
    chance = 1.0 / float(pd.metadata.get("n_classes", 10))
    failed = ~(acc >= chance + margin)  # NaN (a diverged run) counts as failed
    first, last = pd.metadata.get("loss_first_seeds"), pd.metadata.get("loss_last_seeds")
    if first is not None and last is not None:
        failed |= ~(np.asarray(last, dtype=np.float64) < np.asarray(first, dtype=np.float64))
    return failed


#: The range of test accuracy (%) of each Fig. 1 panel in the paper (its colour bars, read off the figure).
PAPER_ACCURACY_RANGE: dict[str, tuple[float, float]] = {
    "fig1a": (83.0, 92.0), "fig1b": (82.0, 93.0), "fig1c": (89.0, 93.5), "fig1d": (85.5, 94.0),
}


def accuracy_summary(pd, *, margin: float = FAILED_MARGIN) -> dict:
    """Test accuracy of a network phase diagram with and without the seeds that failed to train.

    Returns
    -------
    dict
        ``runs`` and ``failed`` (counts), ``range`` (min, max of the cell
        means over all seeds, %), ``range_trained`` (the same without failed
        seeds, %), ``mean_trained`` (R, C) cell means without failed seeds
        (fraction; NaN where every seed failed).
    """
    failed = failed_runs(pd, margin=margin)
    acc = np.asarray(pd.metadata["test_accuracy_seeds"], dtype=np.float64)
    kept = np.where(failed, np.nan, acc)
    with np.errstate(invalid="ignore"):
        n_kept = np.sum(~failed, axis=-1)
        mean_trained = np.where(n_kept > 0, np.nansum(kept, axis=-1) / np.maximum(n_kept, 1), np.nan)
    return {
        "runs": int(acc.size),
        "failed": int(failed.sum()),
        "range": (float(100 * np.nanmin(pd.test_accuracy)), float(100 * np.nanmax(pd.test_accuracy))),
        "range_trained": (float(100 * np.nanmin(mean_trained)), float(100 * np.nanmax(mean_trained))),
        "mean_trained": mean_trained,
    }
