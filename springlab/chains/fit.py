r"""Fit a spring–block chain to a load-curve trajectory: :func:`fit_chain`.

The paper pairs network trajectories with chains whose parameters were
chosen by eye (Fig. 4). This module chooses them by least squares: it
simulates many chains at once in the compiled kernel
(:func:`springlab.chains.simulator.run_batch`), averages each parameter set
over noise seeds, and keeps the set whose trajectory, mapped onto the
network's, is closest.

The two maps
------------
*Separation.* A network's :math:`D_l` is a log-ratio measured with its own
input separation :math:`D_0`, which even moves during training (the input
BatchNorm learns an affine map); it has no "target" and no natural zero,
and the curve at initialisation is not flat (random layers already change
the separation). A chain's :math:`D_l = y - x_l` starts flat at
:math:`y` and runs towards 0. What both share is the *gain* of each layer
since the start: spring :math:`l` stretches by :math:`d_l = x_l - x_{l-1}`,
layer :math:`l` separates by :math:`D_{l-1} - D_l`, and the cumulative gain
up to layer :math:`l` is :math:`D_0 - D_l` (the chain's :math:`x_l`).
A load curve is defined up to a constant per data set (SPEC §3.2: "the
shape of the curve is what matters"), so the map compares gains relative to
the input and to the first record :math:`e_0`:

.. math::

    G_l(e) = \bigl[D_l(e_0) - D_0(e_0)\bigr] - \bigl[D_l(e) - D_0(e)\bigr]
           \;\approx\; a \,\bigl[\bar x_l(c\,e) - \bar x_l(c\,e_0)\bigr],
    \qquad l = 1..L,

with :math:`\bar x_l` the chain's positions averaged over noise seeds,
``scale`` :math:`a > 0` the network's separation (units of :math:`D`) per
unit of the chain's length :math:`y` (the chain is fitted at ``y = 1``: a
chain with :math:`(y, \mu, \varepsilon)` is the chain with
:math:`(1, \mu/y, \varepsilon/y)` scaled by :math:`y`, since σ is
homogeneous of degree one, so :math:`a` plays the role of :math:`y`). The
network's load curve predicted by a chain is then
:math:`D_l(e) = D_0(e) + [D_l(e_0) - D_0(e_0)] - a[\bar x_l(ce) - \bar x_l(ce_0)]`;
the chain says nothing about :math:`D_0` (its own is fixed at :math:`y`).

*Time.* Chain time is :math:`t = c\,e` (``time_scale`` :math:`c`, chain time
per epoch or per unit of the trajectory's ``times``): both systems start at
rest at :math:`e = t = 0` (blocks at 0, an untrained network), and an epoch
is a fixed number of optimiser steps, as a chain time is a fixed number of
kernel steps. The chain is simulated up to the horizon ``t_max`` (default
100, the paper's) and :math:`c` is searched on a log grid so that the
trajectory spans between ``t_max / 50`` and ``t_max`` of chain time.

For a chain's own trajectory both maps are exact: ``scale = y`` and
``time_scale = 1`` reproduce it, which the recovery tests use.

The search
----------
The map parameters cost nothing: for each simulated parameter set,
:math:`a` is the closed-form least-squares coefficient and :math:`c` is
scanned by interpolating the recorded trajectory. The chain parameters
(``fit``, at most :data:`FIT_PARAMETERS`) are found by a coarse grid over
:data:`DEFAULT_BOUNDS` (7 values per parameter for three, denser near 0,
where small frictions and noise matter most), six rounds of the
cross-entropy method (64 sets drawn around the best sets so far, with their
covariance, so the search follows valleys of correlated parameters), a slice
through the best along each parameter, and a fine scan of :math:`c`. Every
set uses the same noise seeds (common random numbers), so the loss surface
is smooth in the parameters. About 6,000 chains with three fitted
parameters and 8 seeds.

``loss`` is the residual sum of squares of the gains divided by their sum of
squares: 0 is a perfect fit, 1 is no better than "nothing moves".

Uncertainty and identifiability
-------------------------------
``intervals[name]`` holds the values a trajectory cannot tell apart from
the best: the union of (i) every evaluated set whose loss lies within
``tolerance`` of the best and (ii) the Gauss–Newton profile
:math:`\pm\sqrt{\mathrm{tolerance}\cdot (H^{-1})_{ii}}` with
:math:`H = J^\top J / \sum G^2` from central differences at the best (so a
valley along which parameters trade off widens each of them), clipped to the
search range; ``uncertainty[name]`` is half its width. ``tolerance`` is the
largest of: twice the *noise floor* (the loss one noise realisation of the
best chain has against its seed mean, i.e. how far the data may lie from
the true chain's mean through noise alone), twice the spread of the best
set's loss over four further groups of noise seeds, and half the best loss
(for a network the model's misfit dominates: sets closer than that cannot be
ranked). Why twice: on single realisations of the Fig. 4 chains (18 fits:
three regimes, data seeds 100-102, maps known or fitted) the loss of the true
parameters exceeded the best fit's by up to 2.2 noise floors (median 0.4);
with factor 2 the true value lay inside its interval in 52 of the 54
(fit, parameter) pairs. Both misses are the balanced chain with its maps
fitted, where friction trades off against the clock (below): data seed 100
put μ→ at 0.008 ± 0.013 and ε at 0.003 ± 0.004 (truths 0.04 and 0.01) with
``time_scale`` 0.73. A parameter whose interval spans half of its search
range or more is reported as not identifiable (``identifiable[name]`` False).

What a trajectory can tell apart (single realisations, t = 100, recorded
every time unit; ``tests/test_fit_chain.py``):

* μ← − μ→ is sharp in every regime (estimates within 0.008 of the truth:
  −0.08 lazy, 0 balanced, +0.08 active): at large noise the chain sees the
  difference of the frictions (Eq. 8) and an effective friction, so μ→, μ←
  and ε trade off along a valley and each alone is uncertain (intervals
  ±0.03 to ±0.3 for the frictions, ±0.003 to ±0.05 for ε; point estimates
  within 0.055 of the truth for the lazy and active chains);
* balanced: friction also trades off against the clock: μ→ = μ← = 0 run
  more slowly (``time_scale`` about 0.7) fits as well as the true 0.04;
* ``scale`` is recovered within 2 % (the chain's own y = 1);
* without noise a block pulled to the right never moves left: μ← leaves no
  trace (not identifiable), while μ→ is recovered to 1e-3.

Forecasts
---------
:func:`forecast_load_curve` fits the first third of a trajectory and
predicts its last curve with the fitted chain (:meth:`ChainFit.predict`),
against two baselines: the last observed curve, and a straight line in
log-time per layer (``Forecast`` records the three errors). Measured on
chain trajectories (Fig. 4's regimes, data seeds 100–102, t = 100): the
chain's forecast was the best in 6 of 9 (errors 0.0015–0.011 against
0.014–0.17 for the baselines); it missed for data seed 102 of each regime,
where the first third could not pin the clock. On seven MNIST networks
(7×100 MLP, 100 epochs, α ∈ {0, 0.2, 0.5, 1}, dropout up to 0.3, data
noise 0.5; D_l every epoch) it never beat the log-time line (errors
0.16–1.28 against 0.15–0.43, in D units; a tie for the linear network
without dropout, 0.156 against 0.150): a network's deep layers keep
separating like log time, while a chain settles. It beat the last observed
curve in 3 of 7.

Default noise is ``"synchronous"``: the chains of the paper's Fig. 4, which
it pairs with network trajectories, have one noise value per step for all
blocks (pass ``noise="independent"`` to fit the chains of Fig. 3).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .simulator import PARAMS, ChainRun, param_row, run_batch, simulate_chain, validate_chain_parameters

__all__ = ["fit_chain", "ChainFit", "forecast_load_curve", "Forecast", "FIT_PARAMETERS", "MAP_PARAMETERS",
           "DEFAULT_BOUNDS", "chain_gain", "trajectory_of"]

#: Chain parameters :func:`fit_chain` can fit.
FIT_PARAMETERS: tuple[str, ...] = ("mu_right", "mu_left", "eps")
#: The maps between the two systems (always fitted unless passed as fixed values).
MAP_PARAMETERS: tuple[str, ...] = ("scale", "time_scale")
#: Search ranges at k = y = 1, dt = 0.01 (frictions in units of k·y, ε in k·y·sqrt(dt / 0.01)): they cover
#: the paper's figures (Fig. 3: μ→ ≤ 0.3, ε ≤ 0.018; Fig. 4: μ ≤ 0.12, ε ≤ 0.011) and the fits of networks
#: (with ε ≤ 0.04, μ ≤ 0.4, seven MNIST networks of 100 epochs put ε at the upper end in five fits).
DEFAULT_BOUNDS: dict[str, tuple[float, float]] = {"mu_right": (0.0, 0.6), "mu_left": (0.0, 0.6),
                                                  "eps": (0.0, 0.1)}
_FIXABLE = ("L", "k", "y", "dt", "t_max", "noise", "gamma", "tau", "noise_bound")
_GRID_SETS = 350  # parameter sets of the coarse grid
_BOX_ROUNDS, _BOX_SETS, _ELITE = 6, 64, 12  # the cross-entropy refinement (_BOX_SETS for 3 parameters)
_SLICE = 13  # values per parameter slice
_FLOOR_GROUPS = 4  # further seed groups that measure the loss's noise
_C_GRID, _C_SPAN = 48, 50.0  # time_scale: log grid spanning a factor _C_SPAN
_RECORDS = 500  # chain records over the horizon
_CHUNK_RUNS = 512  # chains per kernel call
_RTOL, _ATOL, _FLOOR_FACTOR = 0.5, 1e-6, 2.0  # tolerance of the intervals (module docstring)


def trajectory_of(load, times=None) -> tuple[np.ndarray, np.ndarray]:
    """A load-curve trajectory and its times, checked.

    Parameters
    ----------
    load : array_like, shape (n_records, L+1), or a run
        A trajectory, or an object with ``.load`` and ``.epochs_recorded``
        (a network's :class:`~springlab.networks.runs.TrainRun`) or
        ``.times`` (a :class:`~springlab.chains.simulator.ChainRun`).
    times : array_like, shape (n_records,), optional
        Epochs or chain times; default the run's own, else ``0, 1, 2, ...``.

    Returns
    -------
    D : ndarray, shape (n_records, L+1)
    t : ndarray, shape (n_records,)
        Strictly increasing, >= 0.

    Raises
    ------
    ValueError
        Fewer than 2 records or 2 values per curve, NaN or infinite values,
        times of the wrong length, negative or not increasing.
    """
    if times is None and hasattr(load, "load"):
        times = getattr(load, "epochs_recorded", getattr(load, "times", None))
    D = np.asarray(getattr(load, "load", load), dtype=np.float64)
    if D.ndim != 2 or D.shape[0] < 2 or D.shape[1] < 2:
        raise ValueError(f"load must have shape (n_records, L+1) with n_records >= 2 and L >= 1; got {D.shape}")
    if not np.all(np.isfinite(D)):
        raise ValueError(f"load must be finite; it has {int(np.sum(~np.isfinite(D)))} NaN or infinite values")
    t = np.arange(D.shape[0], dtype=np.float64) if times is None else np.asarray(times, dtype=np.float64)
    if t.shape != (D.shape[0],):
        raise ValueError(f"times must have shape ({D.shape[0]},) (one per record); got {t.shape}")
    if not np.all(np.isfinite(t)) or t[0] < 0 or np.any(np.diff(t) <= 0):
        raise ValueError("times must be finite, >= 0 and strictly increasing")
    return D, t


def chain_gain(D: np.ndarray) -> np.ndarray:
    """The separation gained by each layer since the first record, relative to the input.

    Parameters
    ----------
    D : ndarray, shape (n, L+1)

    Returns
    -------
    ndarray, shape (n, L)
        :math:`G_l(e) = [D_l(e_0) - D_0(e_0)] - [D_l(e) - D_0(e)]` (module
        docstring): for a chain, :math:`x_l(t) - x_l(t_0)`.
    """
    rel = D[:, 1:] - D[:, :1]
    return rel[0] - rel


@dataclass
class ChainFit:
    """What :func:`fit_chain` found.

    Attributes
    ----------
    params : dict
        ``mu_right``, ``mu_left``, ``eps`` (fitted or fixed; force units at
        the fixed ``k``, ``y``), ``scale`` (network D per chain length y)
        and ``time_scale`` (chain time per unit of ``times``).
    loss : float
        Unexplained fraction of the gains' sum of squares (0 perfect, 1 nothing).
    uncertainty : dict
        Half-width of each fitted parameter's interval (module docstring).
    intervals : dict
        ``name -> (low, high)``: values whose loss is within ``tolerance`` of the best.
    identifiable : dict
        ``name -> bool``: False when the interval spans half the search range or more.
    tolerance : float
        The loss tolerance of the intervals.
    profiles : dict
        ``name -> (values, loss)``: the slice through the best set along each fitted chain parameter.
    chain_parameters : dict
        Every parameter of :func:`~springlab.chains.simulator.simulate_chain` of the fitted chain.
    load, times : ndarray
        The fitted trajectory, shapes (n, L+1) and (n,).
    seeds : int
        Noise seeds averaged per parameter set; ``seed`` the first group's base.
    n_chains : int
        Chains simulated by the fit.
    bounds : dict
        Search range of each fitted chain parameter.
    """

    params: dict
    loss: float
    uncertainty: dict
    intervals: dict
    identifiable: dict
    tolerance: float
    profiles: dict
    chain_parameters: dict
    load: np.ndarray = field(repr=False)
    times: np.ndarray = field(repr=False)
    seeds: int = 8
    seed: int = 0
    n_chains: int = 0
    bounds: dict = field(default_factory=dict, repr=False)
    _scorer: object = field(default=None, repr=False, compare=False)

    @property
    def at_bounds(self) -> tuple[str, ...]:
        """Fitted chain parameters at the upper end of their search range (within 1 %): the best fit may
        lie beyond it (pass wider ``bounds=``), or the chain cannot follow the trajectory there."""
        return tuple(n for n, (lo, hi) in self.bounds.items() if self.params[n] >= hi - 0.01 * (hi - lo))

    def loss_of(self, **chain_parameters) -> float:
        """The loss of another chain against the fitted trajectory, with its maps re-fitted (unless fixed).

        Parameters
        ----------
        **chain_parameters
            Values of fitted chain parameters (:data:`FIT_PARAMETERS`); the others keep their fitted values.

        Returns
        -------
        float
            Same definition and noise seeds as :attr:`loss`: a chain with ``loss_of(...) <= loss + tolerance``
            cannot be told apart from the fitted one by this trajectory.
        """
        sc = self._scorer
        for name in chain_parameters:
            if name not in sc.names:
                raise ValueError(f"loss_of takes fitted parameters ({', '.join(sc.names)}); got {name!r}")
        theta = np.array([[float(chain_parameters.get(n, self.params[n])) for n in sc.names]]).reshape(1, -1)
        for n, name in enumerate(sc.names):
            if not theta[0, n] >= 0:
                raise ValueError(f"{name} must be >= 0; got {chain_parameters.get(name)!r}")
        return float(sc.score(theta)[0].min())

    def simulate(self, *, seed: int | None = None, record_every: float | None = None) -> ChainRun:
        """The fitted chain's run (one noise seed) over the chain time the trajectory spans.

        Returns
        -------
        ChainRun
            Chain units: times in chain time (``time_scale · times``), ``load`` in units of ``y``.
        """
        t_end = self.params["time_scale"] * float(self.times[-1])
        kw = {k: v for k, v in self.chain_parameters.items() if k not in ("t_max", "seed", "stop_window")}
        return simulate_chain(**kw, t_max=max(t_end, kw["dt"]), seed=_seeds(self.seed, 0, 1)[0] if seed is None
                              else seed, record_every=record_every)

    def predict(self, times=None) -> np.ndarray:
        """The load curves the fitted chain predicts, in the network's units (seed mean).

        Parameters
        ----------
        times : array_like, shape (m,), optional
            Epochs (units of the fitted ``times``), >= the first fitted one;
            default the fitted times. Beyond the fitted range this is a forecast.

        Returns
        -------
        ndarray, shape (m, L+1)
            :math:`D_0(e) + [D_l(e_0) - D_0(e_0)] - a[\\bar x_l(ce) - \\bar x_l(ce_0)]`
            with :math:`D_0(e)` interpolated from the data (held at its last value beyond).
        """
        t = self.times if times is None else np.asarray(times, dtype=np.float64)
        if t.ndim != 1 or not np.all(np.isfinite(t)) or np.any(t < self.times[0]):
            raise ValueError(f"times must be a finite 1-D array >= {self.times[0]:g} (the first fitted time)")
        c, a = self.params["time_scale"], self.params["scale"]
        tt = np.concatenate([[self.times[0]], t])
        x = _mean_positions(self.chain_parameters, c * tt, self.seeds, self.seed)
        gain = a * (x[1:] - x[0])
        D0 = np.interp(t, self.times, self.load[:, 0])
        rel0 = self.load[0, 1:] - self.load[0, 0]
        return np.concatenate([D0[:, None], D0[:, None] + rel0 - gain], axis=1)

    def plot(self, *, time_label: str = "epoch", fig=None):
        """The trajectory and the fitted chain's, side by side, in the course's load-curve style.

        Left the data, right the fitted chain mapped into the data's units
        (:meth:`predict`, seed mean) with the data dotted underneath.

        Parameters
        ----------
        time_label : str
            Label of the time axis (the unit of ``times``).
        fig : matplotlib.figure.Figure, optional
            Draw into this (empty) figure, e.g. a lesson panel's; default a new one.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from ..core.plots import layer_colors, plot_trajectories

        if fig is None:
            import matplotlib.pyplot as plt

            fig = plt.figure(figsize=(9.5, 3.4), layout="constrained")
        left, right = fig.subplots(1, 2, sharey=True)
        plot_trajectories(self.times, self.load, ax=left, time_label=time_label)
        left.set_title("data", fontsize="small")
        dense = np.linspace(self.times[0], self.times[-1], 200)
        plot_trajectories(dense, self.predict(dense), ax=right, time_label=time_label, legend=False)
        for l, color in enumerate(layer_colors(self.load.shape[1] - 1)):
            right.plot(self.times, self.load[:, l], ls=":", lw=1.0, color=color)
        p = self.params
        right.set_title(f"fitted chain: μ→={p['mu_right']:.3f}, μ←={p['mu_left']:.3f}, ε={p['eps']:.4f} "
                        f"(loss {self.loss:.3f})", fontsize="small")
        return fig


def _seeds(seed: int, group: int, n: int) -> list[int]:
    """Noise seeds of group ``group`` of a fit with ``seed``: disjoint for different groups and seeds."""
    base = (int(seed) * 1_000_003 + group * 1_009) * n
    return [base + i for i in range(n)]


def _horizon(p: dict, t_end: float) -> tuple[int, int]:
    """(steps, steps per record) covering chain time ``t_end`` with about ``_RECORDS`` evenly spaced records."""
    n_steps = max(1, math.ceil(t_end / p["dt"] - 1e-9))
    every = max(1, math.ceil(n_steps / _RECORDS))
    return every * math.ceil(n_steps / every), every


def _simulate_means(p: dict, thetas: np.ndarray, names: tuple, seeds: list[int], n_steps: int,
                    every: int) -> np.ndarray:
    """Seed-mean positions of parameter sets ``thetas`` (P, len(names)): shape (P, n_records, L)."""
    row = np.array(param_row(p))
    S = len(seeds)
    params = np.repeat(row[None, :], thetas.shape[0] * S, axis=0)
    for j, name in enumerate(names):
        params[:, PARAMS.index(name)] = np.repeat(thetas[:, j], S)
    out, _ = run_batch(p["order"], p["noise"], p["L"], p["dt"], n_steps * p["dt"], params,
                       seeds * thetas.shape[0], record_every=every)
    return out.reshape(thetas.shape[0], S, out.shape[1], out.shape[2]).mean(axis=1)


def _interp(means: np.ndarray, t_chain: np.ndarray, record_dt: float) -> np.ndarray:
    """Linear interpolation of records ``means`` (..., n_rec, L) at chain times ``t_chain`` (m,)."""
    pos = t_chain / record_dt
    idx = np.minimum(np.floor(pos).astype(np.int64), means.shape[-2] - 2)
    w = (pos - idx)[:, None]
    return means[..., idx, :] * (1.0 - w) + means[..., idx + 1, :] * w


def _mean_positions(p: dict, t_chain: np.ndarray, seeds: int, seed: int) -> np.ndarray:
    """Seed-mean positions of the chain ``p`` at chain times ``t_chain`` (m,): shape (m, L)."""
    n_steps, every = _horizon(p, float(np.max(t_chain)))
    theta = np.zeros((1, 0))
    means = _simulate_means(p, theta, (), _seeds(seed, 0, seeds), n_steps, every)
    return _interp(means, t_chain, every * p["dt"])[0]


@dataclass
class _Scorer:
    """Losses of parameter sets against one trajectory's gains (module docstring, "The search")."""

    p: dict  # fixed chain parameters, validated
    names: tuple  # fitted chain parameters
    gains: np.ndarray  # (n, L)
    times: np.ndarray  # (n,)
    c_grid: np.ndarray  # time_scale values scanned
    scale: float | None  # fixed scale, or None (fitted)
    seeds: list
    n_steps: int
    every: int
    n_chains: int = 0
    progress: object = None

    def score(self, thetas: np.ndarray, c_grid: np.ndarray | None = None, seeds: list | None = None):
        """(loss, a) of each set and time scale, both shape (P, C)."""
        c_grid = self.c_grid if c_grid is None else c_grid
        seeds = self.seeds if seeds is None else seeds
        per_call = max(1, _CHUNK_RUNS // len(seeds))
        loss, scale = [], []
        for start in range(0, thetas.shape[0], per_call):
            part = thetas[start:start + per_call]
            means = _simulate_means(self.p, part, self.names, seeds, self.n_steps, self.every)
            self.n_chains += part.shape[0] * len(seeds)
            if self.progress is not None:
                self.progress.update(part.shape[0] * len(seeds))
            lp, ap = self._profile(means, c_grid)
            loss.append(lp)
            scale.append(ap)
        return np.concatenate(loss), np.concatenate(scale)

    def _profile(self, means: np.ndarray, c_grid: np.ndarray):
        """Closed-form scale and loss of seed-mean trajectories (P, n_rec, L) at each time scale."""
        Y = self.gains
        yy = float(np.sum(Y * Y))
        loss = np.empty((means.shape[0], c_grid.size))
        scale = np.empty_like(loss)
        for j, c in enumerate(c_grid):
            x = _interp(means, c * self.times, self.every * self.p["dt"])
            X = x - x[:, :1]
            xy = np.einsum("pnl,nl->p", X, Y)
            xx = np.einsum("pnl,pnl->p", X, X)
            a = np.where(xx > 0, np.maximum(xy, 0.0) / np.where(xx > 0, xx, 1.0), 0.0) if self.scale is None \
                else np.full(xx.shape, self.scale)
            loss[:, j] = (yy - 2.0 * a * xy + a * a * xx) / yy
            scale[:, j] = a
        return loss, scale


def _check_fit_arguments(D: np.ndarray, order: str, fit, fixed: dict, bounds) -> tuple[tuple, dict, dict, dict]:
    """Names to fit, validated fixed chain parameters, fixed maps and search bounds (ValueError otherwise)."""
    names = (fit,) if isinstance(fit, str) else tuple(fit)
    allowed = FIT_PARAMETERS + MAP_PARAMETERS
    for name in names:
        if name not in allowed:
            raise ValueError(f"fit must name parameters among {', '.join(allowed)}; got {name!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"fit names a parameter twice: {names!r}")
    chain_names = tuple(n for n in FIT_PARAMETERS if n in names)
    maps = {}
    for name in MAP_PARAMETERS:
        if name in fixed:
            if name in names:
                raise ValueError(f"{name} is both fitted and fixed; pass it in one of them")
            v = fixed.pop(name)
            if not (isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a finite number > 0; got {v!r}")
            maps[name] = float(v)
    for name in fixed:
        if name in chain_names:
            raise ValueError(f"{name} is both fitted and fixed; pass it in one of them")
        if name not in _FIXABLE + FIT_PARAMETERS:
            raise ValueError(f"unknown fixed parameter {name!r}; allowed: "
                             f"{', '.join(_FIXABLE + FIT_PARAMETERS + MAP_PARAMETERS)}")
    L = D.shape[1] - 1
    if "L" in fixed and fixed["L"] != L:
        raise ValueError(f"L must match the trajectory's {L} layers (load has {L + 1} values per curve); "
                         f"got {fixed['L']!r}")
    kw = {"noise": "synchronous", **fixed, "L": L, "order": order}
    p = validate_chain_parameters(**kw)  # names the bad parameter and its range
    return chain_names, p, maps, _bounds(chain_names, p, bounds)


def _bounds(names: tuple, p: dict, bounds) -> dict:
    """Search range of each fitted parameter: DEFAULT_BOUNDS scaled by k·y (ε also by sqrt(dt / 0.01)), or ``bounds``."""
    ky = p["k"] * abs(p["y"])
    out = {}
    for name in names:
        lo, hi = DEFAULT_BOUNDS[name]
        f = ky * (math.sqrt(p["dt"] / 0.01) if name == "eps" else 1.0)
        lo, hi = (bounds or {}).get(name, (lo * f, hi * f))
        if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi):
            raise ValueError(f"bounds[{name!r}] must be (low, high) with 0 <= low < high; got {(lo, hi)!r}")
        out[name] = (float(lo), float(hi))
    for name in (bounds or {}):
        if name not in names:
            raise ValueError(f"bounds names {name!r}, which is not fitted (fitted: {', '.join(names) or 'none'})")
    return out


def fit_chain(load, times=None, *, order: str = "first", fit=("mu_right", "mu_left", "eps"), seed: int = 0,
              seeds: int = 8, bounds: dict | None = None, progress: bool = False, **fixed) -> ChainFit:
    r"""Fit a spring–block chain to a load-curve trajectory (a network's or a chain's).

    Parameters
    ----------
    load : array_like, shape (n_records, L+1), or a run
        ``D_0 .. D_L`` at each record, ``n_records >= 2``: a
        :class:`~springlab.networks.runs.TrainRun`'s or a
        :class:`~springlab.chains.simulator.ChainRun`'s ``.load``, or the run.
    times : array_like, shape (n_records,), optional
        Epochs or chain times, increasing, >= 0; default the run's own
        (``epochs_recorded`` or ``times``), else ``0, 1, 2, ...``.
    order : {"first", "second", "langevin"}
        The chain model (SPEC §2).
    fit : sequence of str
        Chain parameters to fit, among :data:`FIT_PARAMETERS`; the maps
        ``scale`` and ``time_scale`` are fitted too unless given in ``fixed``
        (naming them here is allowed and changes nothing).
    seed : int, >= 0
        Fixes the chains' noise (and the random search): one seed, one result.
    seeds : int, >= 1
        Noise seeds averaged per parameter set (default 8).
    bounds : dict, optional
        ``name -> (low, high)`` search range of a fitted parameter; default
        :data:`DEFAULT_BOUNDS` in units of ``k·y`` (ε also times ``sqrt(dt / 0.01)``).
    progress : bool
        Show a ``tqdm.auto`` bar over the chains simulated.
    **fixed
        Chain parameters held fixed (``k``, ``y``, ``dt``, ``t_max`` (the
        horizon of the time-scale search, default 100), ``noise`` (default
        ``"synchronous"``, Fig. 4), ``gamma``, ``tau``, ``noise_bound``, a
        chain parameter not fitted: default as in
        :func:`~springlab.chains.simulator.simulate_chain`), and
        ``scale`` / ``time_scale`` to fix a map.

    Returns
    -------
    ChainFit
        ``.params``, ``.loss``, ``.uncertainty``, ``.intervals``,
        ``.identifiable``, ``.simulate()``, ``.predict(times)``, ``.plot()``.

    Raises
    ------
    ValueError
        A trajectory with fewer than 2 records, NaN values, bad times, a
        trajectory that does not move, an unknown parameter name, a
        parameter both fitted and fixed, or a fixed parameter outside its
        valid range (the message names it and the range).

    Notes
    -----
    The maps and the search are defined in the module docstring
    (:mod:`springlab.chains.fit`). About 750 parameter sets times ``seeds``
    chains per fit with three fitted chain parameters; ``python -m
    springlab bench fit`` measures the time.

    Examples
    --------
    >>> import springlab as sl
    >>> run = sl.simulate_chain(mu_right=0.04, mu_left=0.04, eps=0.01, noise="synchronous", record_every=1.0)
    >>> f = sl.fit_chain(run, fit=("mu_right",), mu_left=0.04, eps=0.01)  # doctest: +SKIP
    """
    D, t = trajectory_of(load, times)
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or seeds < 1:
        raise ValueError(f"seeds must be an integer >= 1; got {seeds!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**40:
        raise ValueError(f"seed must be an integer in [0, 2**40); got {seed!r}")
    names, p, maps, box = _check_fit_arguments(D, order, fit, dict(fixed), bounds)
    gains = chain_gain(D)
    if not np.any(gains != 0):
        raise ValueError("load does not change relative to its first record and D_0: nothing to fit")
    scorer = _make_scorer(p, names, gains, t, maps, _seeds(seed, 0, int(seeds)))
    search = _search(scorer, box, seed, progress)
    return _finish(scorer, search, box, D, t, maps, int(seeds), int(seed))


def _make_scorer(p: dict, names: tuple, gains: np.ndarray, t: np.ndarray, maps: dict, seeds: list) -> _Scorer:
    """The scorer: the horizon of the simulations and the time-scale grid (module docstring, "The two maps")."""
    span = float(t[-1])
    if span <= 0:
        raise ValueError("times must reach beyond 0")
    if "time_scale" in maps:
        c_grid = np.array([maps["time_scale"]])
        t_end = maps["time_scale"] * span
    else:
        c_grid = np.geomspace(p["t_max"] / (_C_SPAN * span), p["t_max"] / span, _C_GRID)
        t_end = p["t_max"]
    n_steps, every = _horizon(p, t_end * 1.0001)
    return _Scorer(p, names, gains, t, c_grid, maps.get("scale"), seeds, n_steps, every)


@dataclass
class _Search:
    """Every evaluated set: parameters (N, d), loss and scale (N, C), and the slices."""
    thetas: np.ndarray
    loss: np.ndarray
    scale: np.ndarray
    profiles: dict


def _search(scorer: _Scorer, box: dict, seed: int, progress: bool) -> _Search:
    """Coarse grid, cross-entropy refinement, slices through the best (module docstring, "The search")."""
    names = scorer.names
    d = len(names)
    per_dim = max(2, min(41, int(round(_GRID_SETS ** (1.0 / d))))) if d else 1
    n_sets = per_dim ** d + (_BOX_ROUNDS * (_BOX_SETS * (d + 1) // 4) + _SLICE * d if d else 0)
    if progress:
        from tqdm.auto import tqdm

        scorer.progress = tqdm(total=n_sets * len(scorer.seeds), desc="fit_chain", unit="chain")
    lo = np.array([box[n][0] for n in names])
    hi = np.array([box[n][1] for n in names])
    # denser near the lower end, where small frictions and noise change a trajectory most
    axes = [lo[i] + (hi[i] - lo[i]) * np.linspace(0.0, 1.0, per_dim) ** 2 for i in range(d)]
    thetas = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, d) if d else np.zeros((1, 0))
    loss, scale = scorer.score(thetas)
    all_t, all_l, all_a = [thetas], [loss], [scale]
    best = _cross_entropy(scorer, thetas, loss, lo, hi, (hi - lo) / max(1, per_dim - 1), seed, all_t, all_l, all_a)
    profiles = {}
    for i, name in enumerate(names):
        cand = np.repeat(best[None, :], _SLICE, axis=0)
        cand[:, i] = np.linspace(lo[i], hi[i], _SLICE)
        lc, ac = scorer.score(cand)
        all_t.append(cand), all_l.append(lc), all_a.append(ac)
        profiles[name] = (cand[:, i].copy(), lc.min(axis=1))
    if scorer.progress is not None:
        scorer.progress.close()
        scorer.progress = None
    return _Search(np.concatenate(all_t), np.concatenate(all_l), np.concatenate(all_a), profiles)


def _cross_entropy(scorer: _Scorer, thetas, loss, lo, hi, spacing, seed: int, all_t: list, all_l: list,
                   all_a: list) -> np.ndarray:
    """Refine around the grid's best by the cross-entropy method; appends what it evaluates; the best set.

    Each round draws ``_BOX_SETS`` sets from a normal centred on the mean of the best ``_ELITE`` sets
    seen so far, with their covariance (which follows a valley of correlated parameters, e.g. μ→ with
    μ← and ε in the balanced regime), floored at a fraction of the grid spacing that halves every round.
    """
    d = thetas.shape[1]
    if d == 0:
        return thetas[0]
    rng = np.random.default_rng([seed, 17])
    floor = spacing / 2.0
    for _ in range(_BOX_ROUNDS):
        T, Lb = np.concatenate(all_t), np.concatenate(all_l).min(axis=1)
        elite = T[np.argsort(Lb)[:_ELITE]]
        mean = elite[0] * 0.5 + elite.mean(axis=0) * 0.5  # pulled towards the best so far
        cov = np.cov(elite, rowvar=False).reshape(d, d) + np.diag(floor ** 2)
        # Cholesky, unlike an eigendecomposition, is unique: the same draws on every machine and LAPACK
        z = rng.standard_normal((_BOX_SETS * (d + 1) // 4, d))
        cand = np.clip(mean + z @ np.linalg.cholesky(cov).T, lo, hi)
        lc, ac = scorer.score(cand)
        all_t.append(cand), all_l.append(lc), all_a.append(ac)
        floor = floor / 2.0
    T, Lb = np.concatenate(all_t), np.concatenate(all_l).min(axis=1)
    return T[np.argmin(Lb)]


def _linear_profile(scorer: _Scorer, best: np.ndarray, c: float, a: float, box: dict, maps: dict,
                    tol: float) -> dict:
    """Half-widths of the Gauss–Newton profile: ``sqrt(tol · (H⁻¹)_ii)``, ``H = JᵀJ / ΣY²``.

    ``J`` holds the derivatives of the model's gains :math:`a[\bar x(ce) - \bar x(ce_0)]` with
    respect to each fitted parameter (central differences over 2 % of its search range; common
    noise seeds), so a valley along which several parameters trade off (μ→, μ← and ε at large
    noise, where only μ→ − μ← and the effective friction matter, Eq. 8) widens every interval along
    it, as a profile that re-optimises the others would. A direction the data cannot see
    (a zero column) gives an infinite half-width.
    """
    names = scorer.names
    d = len(names)
    steps = np.array([0.02 * (box[n][1] - box[n][0]) for n in names])
    lo = np.array([box[n][0] for n in names])
    hi = np.array([box[n][1] for n in names])
    sets = [best]
    for i in range(d):
        for sign in (1.0, -1.0):
            th = best.copy()
            th[i] = np.clip(th[i] + sign * steps[i], lo[i], hi[i])
            sets.append(th)
    sets = np.array(sets).reshape(len(sets), d)
    means = _simulate_means(scorer.p, sets, names, scorer.seeds, scorer.n_steps, scorer.every)
    scorer.n_chains += sets.shape[0] * len(scorer.seeds)
    rdt = scorer.every * scorer.p["dt"]

    def gains(m, cc):
        x = _interp(m, cc * scorer.times, rdt)
        return x - x[..., :1, :]

    X = gains(means, c)
    cols, keys = [], []
    for i, name in enumerate(names):
        dth = sets[1 + 2 * i, i] - sets[2 + 2 * i, i]
        cols.append(a * (X[1 + 2 * i] - X[2 + 2 * i]) / dth if dth > 0 else np.zeros_like(X[0]))
        keys.append(name)
    if "scale" not in maps:
        cols.append(X[0])
        keys.append("scale")
    if "time_scale" not in maps:
        cols.append(a * (gains(means[:1], c * 1.02)[0] - gains(means[:1], c / 1.02)[0]) / (c * (1.02 - 1 / 1.02)))
        keys.append("time_scale")
    J = np.stack([col.ravel() for col in cols], axis=1)
    H = J.T @ J / float(np.sum(scorer.gains ** 2))
    ridge = 1e-12 * max(1.0, float(np.max(np.diag(H))))
    cov = np.linalg.inv(H + ridge * np.eye(H.shape[0]))
    return {k: float(np.sqrt(max(tol * cov[n, n], 0.0))) for n, k in enumerate(keys)}


def _noise_floor(scorer: _Scorer, best: np.ndarray, c: float, a: float, seeds: list) -> float:
    """The loss one noise realisation of the best chain would have against the seed mean (module docstring).

    ``(1 + 1/S)`` times the mean squared distance of single runs' gains (mapped, scale ``a``) from their
    mean, over the data's sum of squares: what the best chain's own noise leaves unexplained.
    """
    row = np.array(param_row(scorer.p))
    params = np.repeat(row[None, :], len(seeds), axis=0)
    for j, name in enumerate(scorer.names):
        params[:, PARAMS.index(name)] = best[j]
    out, _ = run_batch(scorer.p["order"], scorer.p["noise"], scorer.p["L"], scorer.p["dt"],
                       scorer.n_steps * scorer.p["dt"], params, seeds, record_every=scorer.every)
    scorer.n_chains += len(seeds)
    x = _interp(out, c * scorer.times, scorer.every * scorer.p["dt"])
    X = a * (x - x[:, :1])
    spread = np.sum((X - X.mean(axis=0)) ** 2) / max(1, len(seeds) - 1)
    return float(spread * (1.0 + 1.0 / len(seeds)) / np.sum(scorer.gains ** 2))


def _best(scorer: _Scorer, s: _Search, maps: dict, seeds: int, seed: int) -> tuple[np.ndarray, float, float, float, float]:
    """Best set, its time scale (finely scanned), scale, loss, and the tolerance of the intervals."""
    i, j = np.unravel_index(np.argmin(s.loss), s.loss.shape)
    best = s.thetas[i]
    c_best = float(scorer.c_grid[j])
    loss_best, a_best = float(s.loss[i, j]), float(s.scale[i, j])
    if "time_scale" not in maps:  # a fine scan between the neighbouring grid values
        step = scorer.c_grid[1] / scorer.c_grid[0]
        fine = np.clip(np.geomspace(c_best / step, c_best * step, 41), scorer.c_grid[0], scorer.c_grid[-1])
        lf, af = scorer.score(best[None, :], fine)
        k = int(np.argmin(lf[0]))
        if lf[0, k] < loss_best:
            c_best, loss_best, a_best = float(fine[k]), float(lf[0, k]), float(af[0, k])
    repeats = [scorer.score(best[None, :], np.array([c_best]), seeds=_seeds(seed, g, seeds))[0][0, 0]
               for g in range(1, _FLOOR_GROUPS + 1)]
    floor = _noise_floor(scorer, best, c_best, a_best, _seeds(seed, _FLOOR_GROUPS + 1, max(seeds, 8)))
    tol = max(_FLOOR_FACTOR * floor, 2.0 * float(np.std(repeats + [loss_best])), _RTOL * loss_best, _ATOL)
    return best, c_best, a_best, loss_best, tol


def _intervals(scorer: _Scorer, s: _Search, box: dict, maps: dict, best_values: dict, best: np.ndarray,
               loss_best: float, tol: float) -> dict:
    """``name -> (low, high)``: evaluated sets within ``tol`` joined with the Gauss–Newton profile, clipped."""
    ok = s.loss <= loss_best + tol  # may be empty when the fine scan of c beat every grid value by more
    rows = ok.any(axis=1)
    cs = np.broadcast_to(scorer.c_grid, s.loss.shape)[ok]
    found = {name: s.thetas[rows, n] for n, name in enumerate(scorer.names)}
    found.update(scale=s.scale[ok], time_scale=cs)
    intervals = {}
    for name in scorer.names + tuple(m for m in MAP_PARAMETERS if m not in maps):
        vals = np.append(found[name], best_values[name])
        intervals[name] = (float(vals.min()), float(vals.max()))
    half = _linear_profile(scorer, best, best_values["time_scale"], best_values["scale"], box, maps, tol)
    for name, h in half.items():
        v = best_values[name]
        lo, hi = min(intervals[name][0], v - h), max(intervals[name][1], v + h)
        if name in box:
            lo, hi = max(lo, box[name][0]), min(hi, box[name][1])
        elif name == "time_scale":
            lo, hi = max(lo, scorer.c_grid[0]), min(hi, scorer.c_grid[-1])
        else:
            lo = max(lo, 0.0)
        intervals[name] = (float(lo), float(hi))
    return intervals


def _finish(scorer: _Scorer, s: _Search, box: dict, D, t, maps: dict, seeds: int, seed: int) -> ChainFit:
    """Best set, tolerance, intervals and identifiability: the :class:`ChainFit`."""
    best, c_best, a_best, loss_best, tol = _best(scorer, s, maps, seeds, seed)
    best_values = dict(zip(scorer.names, best.tolist()), scale=a_best, time_scale=c_best)
    intervals = _intervals(scorer, s, box, maps, best_values, best, loss_best, tol)
    unc, ident = {}, {}
    for name, (lo, hi) in intervals.items():
        unc[name] = (hi - lo) / 2.0
        width = box[name][1] - box[name][0] if name in box else (
            scorer.c_grid[-1] - scorer.c_grid[0] if name == "time_scale" else math.inf)
        ident[name] = bool(hi - lo < 0.5 * width)
    p = dict(scorer.p)
    for n, name in enumerate(scorer.names):
        p[name] = float(best[n])
    params = {"mu_right": p["mu_right"], "mu_left": p["mu_left"], "eps": p["eps"], "scale": a_best,
              "time_scale": c_best}
    return ChainFit(params=params, loss=loss_best, uncertainty=unc, intervals=intervals, identifiable=ident,
                    tolerance=tol, profiles=s.profiles, chain_parameters=p, load=D, times=t, seeds=seeds,
                    seed=seed, n_chains=scorer.n_chains, bounds=box, _scorer=scorer)


@dataclass
class Forecast:
    """What :func:`forecast_load_curve` measured: the final load curve predicted from the start of a trajectory.

    Attributes
    ----------
    observed_until, target : float
        Last time fitted and the time predicted (units of ``times``).
    truth : ndarray, shape (L+1,)
        The trajectory's curve at ``target``.
    predictions : dict
        ``"chain"`` (the fitted chain, :meth:`ChainFit.predict`), ``"last"`` (the last
        observed curve), ``"loglinear"`` (each ``D_l - D_0`` extrapolated linearly in
        log-time): curves of shape (L+1,).
    errors : dict
        Same keys: root-mean-square error over ``l = 1..L`` of ``D_l - D_0`` (units of D).
    fit : ChainFit
    """

    observed_until: float
    target: float
    truth: np.ndarray
    predictions: dict
    errors: dict
    fit: ChainFit = field(repr=False)


def forecast_load_curve(load, times=None, *, fraction: float = 1.0 / 3.0, **fit_options) -> Forecast:
    r"""Fit a chain to the first ``fraction`` of a trajectory and predict its final load curve.

    Parameters
    ----------
    load, times
        A trajectory as for :func:`fit_chain` (a ``TrainRun``, a ``ChainRun`` or arrays).
    fraction : float in (0, 1)
        Records with ``times <= fraction · times[-1]`` are fitted (at least 3 records).
    **fit_options
        Passed to :func:`fit_chain` (``seed``, ``seeds``, fixed parameters ...).

    Returns
    -------
    Forecast
        The chain's prediction of the last curve and two baselines, with their errors.
        Errors are measured on :math:`D_l - D_0` (the chain says nothing about the
        input's own separation :math:`D_0`, which drifts in a network whose input
        BatchNorm learns; module docstring): the last observed curve, and a straight
        line in :math:`\log e` fitted per layer to the records of the second half of
        the observed window.

    Raises
    ------
    ValueError
        ``fraction`` outside (0, 1), or fewer than 3 records to fit.
    """
    D, t = trajectory_of(load, times)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1); got {fraction!r}")
    seen = t <= fraction * t[-1] + 1e-12
    if seen.sum() < 3:
        raise ValueError(f"fraction must leave at least 3 records to fit; {int(seen.sum())} of {t.size} are "
                         f"at times <= {fraction * t[-1]:g}")
    f = fit_chain(D[seen], t[seen], **fit_options)
    chain = f.predict(t[-1:])[0]
    rel = D[:, 1:] - D[:, :1]
    last = rel[seen][-1]
    window = seen & (t >= 0.5 * t[seen][-1]) & (t > 0)
    if window.sum() < 2:
        window = seen & (t > 0)
    logt = np.log(t[window])
    slope, icpt = np.polyfit(logt, rel[window], 1) if window.sum() >= 2 else (np.zeros(rel.shape[1]), last)
    loglinear = icpt + slope * np.log(t[-1])
    D0 = D[seen][-1, 0]
    preds = {"chain": chain - chain[0] + D0, "last": np.concatenate([[D0], D0 + last]),
             "loglinear": np.concatenate([[D0], D0 + loglinear])}
    truth_rel = rel[-1]
    errors = {k: float(np.sqrt(np.mean((v[1:] - v[0] - truth_rel) ** 2))) for k, v in preds.items()}
    return Forecast(observed_until=float(t[seen][-1]), target=float(t[-1]), truth=D[-1], predictions=preds,
                    errors=errors, fit=f)
