r"""The paper's generalization claim, measured on network phase diagrams (Fig. 1).

The paper (Sec. 3, Fig. 1) says test accuracy is highest where the load
curve is most linear. Two measures of "how far from linear" a curve is:

- :math:`|\kappa|`, the absolute curvature of :func:`springlab.curvature`
  (0 for a straight curve, 1 when the whole drop happens in one layer);
- :math:`E / E_{\min}`, the elastic energy :math:`\tfrac{k}{2}\sum_l d_l^2` of
  the curve's springs against the linear curve's with the same total drop
  (:func:`springlab.core.energy.energy_ratio`, ``anchored=False``: a network's
  :math:`L` springs); 1 exactly for a linear curve, and it also counts bends
  that :math:`\kappa` averages away (a zig-zag has :math:`\kappa \approx 0`).

If the claim holds, accuracy falls as either measure grows: a **negative**
rank correlation. :func:`generalization_claim` measures it over the runs of
one or more diagrams (the shipped Fig. 1 by default: 2,820 runs), one point
per run (a seed of a cell: its own final load curve and its own test
accuracy) where the diagram kept per-seed curves (``load_seeds``), else one
per cell. It reports, per panel and over all panels pooled,

- Spearman's :math:`\rho` (:func:`rank_correlation`) over all runs;
- the same within each seed index (seed ``s`` of every cell), whose spread
  over seeds says how much of :math:`\rho` is luck of the seeds;
- :math:`\rho` of the seed-averaged cells (what the paper's figure shows);

each with and without the runs that failed to train
(:func:`springlab.figures.fig1.failed_runs`); per row of each diagram
(fixed :math:`\alpha`), ρ over the row's runs and the shape of its most
accurate cell; and per cell, ρ over its seeds (same settings, another seed:
is the straighter run the more accurate one?).
:func:`plot_generalization` draws accuracy against both measures.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..core.energy import energy_ratio
from ..core.loadcurve import SHAPES, curvature
from .fig1 import FAILED_MARGIN, failed_runs, shipped_phase_diagrams

__all__ = [
    "MEASURES",
    "GeneralizationClaim",
    "RankCorrelation",
    "RunTable",
    "generalization_claim",
    "plot_generalization",
    "rank_correlation",
    "ranks",
    "run_table",
]

#: The two measures of distance from a linear curve, by the names the results use.
MEASURES: tuple[str, str] = ("|kappa|", "E/E_min")


def ranks(x) -> np.ndarray:
    """Ranks ``1 .. n`` of the values of ``x``; tied values share the mean of their ranks.

    Parameters
    ----------
    x : array_like, shape (n,)
        Finite values.

    Returns
    -------
    ndarray, shape (n,), float64
        The rank of each value (1 for the smallest).
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)  # the rank of the last member of each group of equal values
    return (last - (counts - 1) / 2.0)[inverse]


def rank_correlation(x, y) -> float:
    """Spearman's rank correlation ρ of two samples (ties get mean ranks).

    ρ is Pearson's correlation of the ranks: +1 when ``y`` grows with ``x``
    by any increasing function, −1 for any decreasing one, near 0 when the
    order of one says nothing about the other.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Paired samples. Pairs where either value is not finite are dropped.

    Returns
    -------
    float
        In [−1, 1]; NaN with fewer than 3 finite pairs or when either sample
        is constant.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same number of values; got {x.size} and {y.size}")
    keep = np.isfinite(x) & np.isfinite(y)
    if keep.sum() < 3:
        return float("nan")
    rx, ry = ranks(x[keep]), ranks(y[keep])
    rx, ry = rx - rx.mean(), ry - ry.mean()
    norm = np.sqrt(np.sum(rx**2) * np.sum(ry**2))
    return float(np.sum(rx * ry) / norm) if norm > 0 else float("nan")


@dataclass(frozen=True)
class RunTable:
    """One point per run of a network phase diagram: its curve's measures and its accuracy.

    Attributes
    ----------
    curves : ndarray, shape (R, C, S, L+1)
        Each run's final load curve ``D_0 .. D_L`` (NaN for a diverged run).
    kappa : ndarray, shape (R, C, S)
        Curvature of each run's final load curve (dimensionless, > 0 concave).
    energy_ratio : ndarray, shape (R, C, S)
        ``E / E_min`` of that curve (dimensionless, ≥ 1).
    accuracy : ndarray, shape (R, C, S)
        Test accuracy of the run, fraction in [0, 1].
    failed : ndarray of bool, shape (R, C, S)
        Runs that failed to train (:func:`~springlab.figures.fig1.failed_runs`)
        or left no finite curve.
    per_seed : bool
        False when the diagram had no per-seed data: then ``S = 1`` and each
        point is a cell (its seed-averaged curve and accuracy).
    """

    curves: np.ndarray
    kappa: np.ndarray
    energy_ratio: np.ndarray
    accuracy: np.ndarray
    failed: np.ndarray
    per_seed: bool

    def measure(self, name: str) -> np.ndarray:
        """``|κ|`` or ``E/E_min`` of every run, shape (R, C, S)."""
        if name == "|kappa|":
            return np.abs(self.kappa)
        if name == "E/E_min":
            return self.energy_ratio
        raise ValueError(f"measure must be one of {MEASURES}; got {name!r}")

    def cells(self, name: str, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per cell, the measure of the curve averaged over the kept seeds and their mean accuracy.

        Parameters
        ----------
        name : str
            One of :data:`MEASURES`.
        keep : ndarray of bool, shape (R, C, S)
            The runs to average.

        Returns
        -------
        measure, accuracy : ndarray, shape (R, C)
            NaN where a cell keeps no run.
        """
        n = keep.sum(axis=-1)
        some = n > 0
        denominator = np.maximum(n, 1)
        curve = np.where(keep[..., None], np.nan_to_num(self.curves), 0.0).sum(axis=2) / denominator[..., None]
        acc = np.where(keep, np.nan_to_num(self.accuracy), 0.0).sum(axis=-1) / denominator
        value = np.abs(curvature(curve)) if name == "|kappa|" else energy_ratio(curve)
        return np.where(some, value, np.nan), np.where(some, acc, np.nan)


def run_table(pd, *, margin: float = FAILED_MARGIN) -> RunTable:
    """The runs of a network phase diagram, one point per seed of each cell.

    Parameters
    ----------
    pd : PhaseDiagram
        With ``test_accuracy``; per-seed points need ``load_seeds`` (R, C, S, L+1)
        and ``metadata["test_accuracy_seeds"]`` (R, C, S), as
        :func:`springlab.dnn_phase_diagram` records them.
    margin : float, default 0.1
        Passed to :func:`~springlab.figures.fig1.failed_runs`.

    Returns
    -------
    RunTable
    """
    if pd.test_accuracy is None:
        raise ValueError("pd must be a network phase diagram with test_accuracy")
    acc_seeds = pd.metadata.get("test_accuracy_seeds")
    if pd.load_seeds is not None and acc_seeds is not None:
        curves = np.asarray(pd.load_seeds, dtype=np.float64)
        acc = np.asarray(acc_seeds, dtype=np.float64)
        failed = failed_runs(pd, margin=margin)
        per_seed = True
    else:  # only cell means: each cell is one point
        curves, acc = pd.load[:, :, None, :], pd.test_accuracy[:, :, None]
        failed = np.zeros(acc.shape, dtype=bool)
        per_seed = False
    finite = np.all(np.isfinite(curves), axis=-1)
    safe = np.where(finite[..., None], curves, 0.0)  # curvature() refuses NaN: a diverged run is marked failed
    kappa = np.where(finite, curvature(safe), np.nan)
    ratio = np.where(finite, energy_ratio(safe), np.nan)
    failed = failed | ~finite | ~np.isfinite(acc)
    return RunTable(curves=curves, kappa=kappa, energy_ratio=ratio, accuracy=acc, failed=failed, per_seed=per_seed)


@dataclass(frozen=True)
class RankCorrelation:
    """Spearman's ρ between test accuracy and one measure, over one set of runs.

    Attributes
    ----------
    panel : str
        The diagram's name, or ``"all"`` for every diagram pooled.
    measure : str
        ``"|kappa|"`` or ``"E/E_min"``.
    failed : str
        ``"included"`` or ``"excluded"`` (runs that failed to train).
    rho : float
        ρ over every run (cell and seed) kept; negative supports the claim.
    n : int
        Runs kept.
    per_seed : ndarray, shape (S,)
        ρ over the cells, seed index ``s`` only (NaN where fewer than 3 runs).
    cells : float
        ρ of the seed-averaged cells: mean accuracy of the kept runs against
        the measure of the cell's seed-averaged curve.
    """

    panel: str
    measure: str
    failed: str
    rho: float
    n: int
    per_seed: np.ndarray
    cells: float

    @property
    def seed_mean(self) -> float:
        """Mean of :attr:`per_seed` over the seeds where it is defined."""
        v = self.per_seed[np.isfinite(self.per_seed)]
        return float(v.mean()) if v.size else float("nan")

    @property
    def seed_std(self) -> float:
        """Standard deviation over seeds of :attr:`per_seed` (0 for a single seed)."""
        v = self.per_seed[np.isfinite(self.per_seed)]
        return float(v.std()) if v.size else float("nan")


@dataclass
class GeneralizationClaim:
    """The generalization claim measured on network phase diagrams (:func:`generalization_claim`).

    Attributes
    ----------
    diagrams : dict[str, PhaseDiagram]
    runs : dict[str, RunTable]
        Per diagram, one point per run.
    correlations : list of RankCorrelation
        Every panel and ``"all"``, both measures, failed runs included and excluded.
    best_col : dict[str, ndarray of int, shape (R,)]
        Per diagram, the column of the most accurate cell of each row.
    best_in_row : dict[str, ndarray of str, shape (R,)]
        Per diagram, the shape of the most accurate cell of each row (seed
        means without failed runs).
    accuracy_spread : dict[str, float]
        Per diagram, the median over cells of the standard deviation of test
        accuracy over a cell's trained seeds, in percentage points.
    linear_gap : dict[str, ndarray of shape (R,)]
        Per diagram, how far (percentage points) the most accurate cell of
        each row lies above the row's most accurate linear cell: 0 where the
        best is linear, NaN where the row has no linear cell.
    linear_gap_se : dict[str, ndarray of shape (R,)]
        The standard error of that lead from the two cells' seeds: a lead of
        less than about two of them could be luck of the seeds.
    within_cell_rho : dict[str, ndarray of shape (R, C)]
        Per diagram, ρ of accuracy against ``|κ|`` over the trained seeds of
        each cell (same settings, only the seed differs; NaN with fewer than 3
        seeds). If a straighter curve itself made a network more accurate, the
        straighter seeds of a cell would be the more accurate ones: negative.
    row_rho : dict[str, dict[str, ndarray of shape (R,)]]
        Per diagram and measure, ρ over the trained runs of each row (fixed
        α, the noise knob varying): where it is not negative, the claim
        fails for that nonlinearity.
    """

    diagrams: dict
    runs: dict
    correlations: list = field(default_factory=list)
    best_col: dict = field(default_factory=dict)
    best_in_row: dict = field(default_factory=dict)
    accuracy_spread: dict = field(default_factory=dict)
    linear_gap: dict = field(default_factory=dict)
    linear_gap_se: dict = field(default_factory=dict)
    row_rho: dict = field(default_factory=dict)
    within_cell_rho: dict = field(default_factory=dict)

    def correlation(self, panel: str = "all", measure: str = "|kappa|", failed: str = "excluded") -> RankCorrelation:
        """The :class:`RankCorrelation` of one panel (or ``"all"``), measure and treatment of failed runs."""
        for c in self.correlations:
            if (c.panel, c.measure, c.failed) == (panel, measure, failed):
                return c
        raise ValueError(f"no correlation for panel={panel!r}, measure={measure!r}, failed={failed!r}; "
                         f"panels {list(self.diagrams) + ['all']}, measures {MEASURES}, failed 'included'/'excluded'")

    def best_shape_counts(self) -> dict[str, int]:
        """How many rows of all diagrams have their most accurate cell concave, linear, convex."""
        shapes = np.concatenate([np.asarray(v) for v in self.best_in_row.values()]) if self.best_in_row else []
        return {s: int(np.sum(np.asarray(shapes) == s)) for s in SHAPES}

    def table(self, failed: str = "excluded", digits: int = 2) -> str:
        """The correlations as text, rounded to ``digits`` (deterministic: the data are shipped)."""
        lines = [(f"Spearman rho of test accuracy against each measure (failed runs {failed}); "
                  "negative: more accurate where more linear"),
                 (f"{'panel':7s} {'runs':>5s}  {'measure':8s} {'all runs':>9s} {'per seed: mean ± std':>21s}"
                  f" {'cells':>7s}")]
        for c in self.correlations:
            if c.failed != failed:
                continue
            lines.append(f"{c.panel:7s} {c.n:5d}  {c.measure:8s} {c.rho:+9.{digits}f} "
                         f"{c.seed_mean:+13.{digits}f} ± {c.seed_std:.{digits}f} {c.cells:+7.{digits}f}")
        return "\n".join(lines)

    def row_table(self) -> str:
        """Per row of each diagram: its best cell, that cell's shape and curvature, its lead over the
        best linear cell (± standard error from the seeds, percentage points) and the row's ρ (``|kappa|``).

        Deterministic text (rounded); ``lead`` is ``--`` where the row has no linear cell.
        """
        lines = [(f"{'panel':6s} {'alpha':>5s}  {'best at':15s}  {'shape':8s} {'kappa':>6s}  "
                  f"{'lead over best linear (pp)':>27s}  {'row rho':>7s}")]
        for name, pd in self.diagrams.items():
            knob, values = pd.cols
            for i, alpha in enumerate(pd.rows[1]):
                j = int(self.best_col[name][i])
                gap, se = self.linear_gap[name][i], self.linear_gap_se[name][i]
                lead = "--" if not np.isfinite(gap) else ("0 (linear)" if gap == 0 else f"{gap:.2f} ± {se:.2f}")
                lines.append(f"{name:6s} {alpha:5.1f}  {f'{knob} {values[j]:g}':15s}  "
                             f"{self.best_in_row[name][i]:8s} {pd.curvature[i, j]:+6.2f}  {lead:>27s}  "
                             f"{self.row_rho[name]['|kappa|'][i]:+7.2f}")
        return "\n".join(lines)

    def within_cell_table(self) -> str:
        """Per diagram and pooled: the mean of :attr:`within_cell_rho` ± its standard error over cells, the share
        of cells where it is negative, and the spread of ``|κ|`` within a cell (mean over cells of the standard
        deviation over seeds) against its spread across cells (standard deviation of the cell means).

        Deterministic text (rounded).
        """
        lines = [(f"{'panel':7s} {'cells':>5s}  {'rho within a cell: mean ± se':>28s}  {'negative':>8s}  "
                  f"{'|kappa| spread: within a cell':>29s}  {'across cells':>12s}")]
        for name in [*self.diagrams, "all"]:
            names = list(self.diagrams) if name == "all" else [name]
            rho = np.concatenate([np.ravel(self.within_cell_rho[n]) for n in names])
            rho = rho[np.isfinite(rho)]
            k = [np.where(self.runs[n].failed, np.nan, np.abs(self.runs[n].kappa)) for n in names]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # cells without trained seeds
                within = np.nanmean(np.concatenate([np.ravel(np.nanstd(v, axis=-1)) for v in k]))
                across = np.nanstd(np.concatenate([np.ravel(np.nanmean(v, axis=-1)) for v in k]))
            se = rho.std(ddof=1) / np.sqrt(rho.size) if rho.size > 1 else float("nan")
            lines.append(f"{name:7s} {rho.size:5d}  {f'{rho.mean():+.2f} ± {se:.2f}':>28s}  "
                         f"{np.mean(rho < 0):8.0%}  {within:29.3f}  {across:12.3f}")
        return "\n".join(lines)

    def plot(self, **kwargs):
        """Accuracy against both measures (:func:`plot_generalization`)."""
        return plot_generalization(self, **kwargs)


def _correlate(panel: str, measure: str, failed: str, tables: list[RunTable]) -> RankCorrelation:
    """ρ over the pooled runs of ``tables``, per seed index, and over their cells."""
    xs, ys, seeds, cell_x, cell_y = [], [], [], [], []
    for t in tables:
        keep = ~t.failed if failed == "excluded" else np.isfinite(t.accuracy) & np.isfinite(t.kappa)
        m = t.measure(measure)
        xs.append(m[keep])
        ys.append(t.accuracy[keep])
        seeds.append(np.broadcast_to(np.arange(m.shape[-1]), m.shape)[keep])
        cx, cy = t.cells(measure, keep)
        cell_x.append(np.ravel(cx))
        cell_y.append(np.ravel(cy))
    x, y, s = np.concatenate(xs), np.concatenate(ys), np.concatenate(seeds)
    per_seed = np.array([rank_correlation(x[s == k], y[s == k]) for k in range(int(s.max()) + 1)]) \
        if s.size else np.array([np.nan])
    return RankCorrelation(panel=panel, measure=measure, failed=failed, rho=rank_correlation(x, y), n=int(x.size),
                           per_seed=per_seed, cells=rank_correlation(np.concatenate(cell_x), np.concatenate(cell_y)))


def generalization_claim(diagrams=None, *, margin: float = FAILED_MARGIN) -> GeneralizationClaim:
    """Measure "test accuracy is highest where the load curve is linear" (Fig. 1) on network phase diagrams.

    Parameters
    ----------
    diagrams : dict[str, PhaseDiagram] or PhaseDiagram, optional
        Network phase diagrams with ``test_accuracy``; default the shipped
        Fig. 1 (:func:`~springlab.figures.fig1.shipped_phase_diagrams`: four
        panels, 2,820 runs). A single diagram is named ``"diagram"``.
    margin : float, default 0.1
        Accuracy above chance below which a run counts as failed
        (:func:`~springlab.figures.fig1.failed_runs`).

    Returns
    -------
    GeneralizationClaim
        Spearman ρ (:func:`rank_correlation`) of test accuracy against
        ``|κ|`` and against ``E/E_min`` per panel and pooled, over runs, per
        seed index and over cells, with failed runs included and excluded;
        per row, ρ and the shape of its most accurate cell (with its lead
        over the best linear cell); per cell, ρ over its seeds; the seeds'
        spread of accuracy. See the module docstring.
    """
    from ..core.phase import PhaseDiagram

    if diagrams is None:
        diagrams = shipped_phase_diagrams()
    elif isinstance(diagrams, PhaseDiagram):
        diagrams = {"diagram": diagrams}
    diagrams = dict(diagrams)
    if not diagrams:
        raise ValueError("diagrams must hold at least one network phase diagram; none given (or none shipped)")
    if not (0.0 <= margin < 1.0):
        raise ValueError(f"margin must be in [0, 1); got {margin!r}")
    runs = {name: run_table(pd, margin=margin) for name, pd in diagrams.items()}
    claim = GeneralizationClaim(diagrams=diagrams, runs=runs)
    for panel in [*diagrams, "all"]:
        tables = list(runs.values()) if panel == "all" else [runs[panel]]
        for failed in ("included", "excluded"):
            for measure in MEASURES:
                claim.correlations.append(_correlate(panel, measure, failed, tables))
    for name, pd in diagrams.items():
        t = runs[name]
        best = _best_in_rows(pd, t)
        claim.best_col[name], claim.best_in_row[name], claim.linear_gap[name], claim.linear_gap_se[name] = best
        claim.row_rho[name] = {m: np.array([rank_correlation(t.measure(m)[i][~t.failed[i]],
                                                             t.accuracy[i][~t.failed[i]])
                                            for i in range(t.accuracy.shape[0])]) for m in MEASURES}
        claim.within_cell_rho[name] = np.array(
            [[rank_correlation(np.abs(t.kappa[i, j][~t.failed[i, j]]), t.accuracy[i, j][~t.failed[i, j]])
              for j in range(t.kappa.shape[1])] for i in range(t.kappa.shape[0])])
        sd = _seed_std(t)  # all NaN without per-seed data
        claim.accuracy_spread[name] = float(np.nanmedian(sd)) if np.isfinite(sd).any() else float("nan")
    return claim


def _seed_std(t: RunTable) -> np.ndarray:
    """Standard deviation (percentage points) of test accuracy over each cell's trained seeds, (R, C)."""
    trained = np.where(t.failed, np.nan, 100 * t.accuracy)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a cell with fewer than 2 trained seeds has no spread
        return np.nanstd(trained, axis=-1, ddof=1)


def _best_in_rows(pd, t: RunTable) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the most accurate cell (column, shape), its lead over the row's best linear cell, that lead's error.

    Accuracies are means over each cell's trained seeds; the lead is in
    percentage points (0 where the best cell is linear, NaN where the row has
    no linear cell), its standard error ``sqrt(s1²/n1 + s2²/n2)`` from the two
    cells' seeds.
    """
    _, acc = t.cells("|kappa|", ~t.failed)
    acc = 100 * np.where(np.isfinite(acc), acc, -np.inf)
    sd, n = _seed_std(t), np.maximum((~t.failed).sum(axis=-1), 1)
    shapes = np.asarray(pd.shape)
    rows = np.arange(acc.shape[0])
    best = np.argmax(acc, axis=1)
    linear_acc = np.where(shapes == "linear", acc, -np.inf)
    best_linear = np.argmax(linear_acc, axis=1)
    has_linear = np.any(shapes == "linear", axis=1)
    gap = np.where(has_linear, acc[rows, best] - acc[rows, best_linear], np.nan)
    se = np.sqrt(sd[rows, best] ** 2 / n[rows, best] + sd[rows, best_linear] ** 2 / n[rows, best_linear])
    se = np.where(has_linear & (gap > 0), se, np.where(has_linear, 0.0, np.nan))
    return best, shapes[rows, best], gap, se


def plot_generalization(claim: GeneralizationClaim, *, failed: str = "excluded", axes=None):
    """Test accuracy against ``|κ|`` and against ``E/E_min``, one point per run, coloured by panel.

    Parameters
    ----------
    claim : GeneralizationClaim
    failed : {"excluded", "included"}
        Whether runs that failed to train are drawn.
    axes : pair of matplotlib Axes, optional

    Returns
    -------
    matplotlib Figure
        Left: accuracy (%) against ``|κ|`` (dimensionless); right: against
        ``E/E_min`` (log scale, 1 = linear). Titles carry the pooled ρ.
    """
    import matplotlib.pyplot as plt

    if failed not in ("included", "excluded"):
        raise ValueError(f"failed must be 'included' or 'excluded'; got {failed!r}")
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.6), sharey=True, layout="constrained")
    else:
        fig = axes[0].figure
    for name, t in claim.runs.items():
        keep = ~t.failed if failed == "excluded" else np.isfinite(t.accuracy) & np.isfinite(t.kappa)
        for ax, measure in zip(axes, MEASURES):
            ax.scatter(t.measure(measure)[keep], 100 * t.accuracy[keep], s=4, alpha=0.35,
                       label=f"{name} ({claim.diagrams[name].cols[0]})")
    for ax, measure in zip(axes, MEASURES):
        rho = claim.correlation("all", measure, failed).rho
        label = {"|kappa|": "|κ|  (0 = linear)", "E/E_min": "E/E_min  (1 = linear)"}[measure]
        ax.set_title(f"accuracy vs {label.split()[0]}: Spearman ρ = {rho:+.2f}", fontsize="medium")
        ax.set_xlabel(label)
    axes[1].set_xscale("log")
    axes[0].set_ylabel("test accuracy (%)")
    axes[0].legend(fontsize="small", frameon=False, markerscale=3)
    return fig
