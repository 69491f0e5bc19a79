r"""The chain across the network phase diagram (issue 17): fit a chain to every cell's trajectory.

For each cell of α × dropout (Fig. 1c) or α × data noise (Fig. 1a) it
trains the paper's network (SPEC §3.1, 3.3: 7×100 MLP, offline MNIST, Adam
lr 1e-3, full batch, 100 epochs) recording ``D_l`` every ``record_every``
epochs (:func:`springlab.train_batched`, one batch per α and seed), fits a
chain to the trajectory (:func:`springlab.fit_chain`, defaults: first
order, synchronous noise, μ→, μ←, ε and both maps fitted) and keeps the
fitted parameters, their uncertainties and the loss. The three questions of
the issue are then numbers (:meth:`ChainMap.answers`):

* does μ← > μ→ come out of real networks (the theory's condition for the
  concave → linear → convex walk, Eq. 8)?
* does ε grow with dropout and data noise (noise knobs are noise)?
* does friction grow as α → 0 (nonlinearity is friction)?

Reduced scale: the grid and the seeds are smaller than Fig. 1's (recorded in
``metadata``); each finished cell is written at once to a folder
(``store``), so an interrupted map resumes.

What the shipped map says (``springlab/results/chainmap.npz``: α ∈ {0, 0.5, 1}
× dropout {0, 0.15, 0.3} and × data noise {0, 0.3, 0.6}, one seed, 100
epochs; 18 fits with losses 0.002–0.037, median 0.014 and 0.005):

* μ← > μ→ in all 18 cells (μ← − μ→ between 0.05 and 0.49), but beyond both
  fits' uncertainties in only one: the sign agrees with the theory's
  condition, the data do not establish it;
* ε rises with the knob in 2 of 3 α rows for each knob (mean slope +0.03 per
  unit of dropout or of data noise), but ε is identifiable in 1 of 18 fits
  and sits at the top of its range (0.1) in 5: no measured growth;
* mean friction (μ→ + μ←)/2 rises as α → 0 in 2 of 3 columns of each map,
  while its least-squares slope against α averaged over columns is +0.025
  (dropout) and +0.031 (data noise), i.e. it falls as α → 0 on average: no
  answer, with intervals of about ±0.3 on each friction.

Only the scale map is identifiable in every cell: a network's trajectory of
load curves fixes how much separation it gains, not which chain gains it.
A negative result, reported as such.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..chains.fit import fit_chain
from ..core.phase import write_npz_atomic

__all__ = ["ChainMap", "ChainMaps", "chain_map", "chainmap", "draw_chainmap", "load_chainmap", "CHAINMAP_GRIDS",
           "FITTED", "SHIPPED_CHAINMAP"]

#: The reduced grids of ``reproduce chainmap`` (quick: α ∈ {0, 1} × the knob's ends): 3 α × 3 values, one
#: seed, ``D_l`` every 5 epochs. Both maps took 702 s on two cores shared with other work (load about 7
#: during the first map, 562 s; 139 s for the second), within the 25 CPU-minutes we allowed a shipped result.
CHAINMAP_GRIDS: dict[str, dict] = {
    "dropout": dict(alpha=(0.0, 0.5, 1.0), knob=("dropout", (0.0, 0.15, 0.3))),
    "data_noise": dict(alpha=(0.0, 0.5, 1.0), knob=("data_noise", (0.0, 0.3, 0.6))),
}
#: Epochs between records of ``reproduce chainmap``.
CHAINMAP_RECORD_EVERY = 5
#: Parameters a map records per cell (ChainFit.params).
FITTED = ("mu_right", "mu_left", "eps", "scale", "time_scale")
_KNOBS = ("dropout", "data_noise")
#: The map shipped with the package (``python -m springlab reproduce chainmap --ship``).
SHIPPED_CHAINMAP = Path(__file__).resolve().parents[1] / "results" / "chainmap.npz"


@dataclass
class ChainMap:
    """Fitted chains over α × one noise knob.

    Attributes
    ----------
    alpha : ndarray, shape (A,)
        LeakyReLU slopes (rows).
    knob : (str, ndarray of shape (K,))
        ``"dropout"`` or ``"data_noise"`` and its values (columns).
    seeds : list of int, length S
    params, uncertainty : dict of ndarray, shape (A, K, S)
        :data:`FITTED` names -> fitted values and half-widths (:class:`springlab.ChainFit`).
    identifiable : dict of bool ndarray, shape (A, K, S)
    loss : ndarray, shape (A, K, S)
        Unexplained fraction of the trajectory's gains (0 perfect).
    final_load : ndarray, shape (A, K, S, L+1)
        The networks' final load curves.
    load : ndarray, shape (A, K, S, n_records, L+1)
        The fitted trajectories (NaN after a run that stopped early), at ``epochs_recorded``.
    epochs_recorded : ndarray, shape (n_records,)
    metadata : dict
        Grid, seeds, training and fit settings, wall time, version.
    """

    alpha: np.ndarray
    knob: tuple
    seeds: list
    params: dict
    uncertainty: dict
    identifiable: dict
    loss: np.ndarray
    final_load: np.ndarray
    load: np.ndarray
    epochs_recorded: np.ndarray
    metadata: dict = field(default_factory=dict)

    def mean(self, name: str) -> np.ndarray:
        """Seed mean of a fitted parameter, shape (A, K)."""
        return self.params[name].mean(axis=2)

    def answers(self) -> dict:
        """The issue's three questions as numbers (see the module docstring).

        Returns
        -------
        dict
            ``mu_left_above``: fraction of fits with μ← > μ→, and ``mu_left_above_clearly``
            with μ← − μ→ larger than both uncertainties together; ``eps_slope``: mean change of
            ε per unit of the knob (least squares along each α row, averaged), and
            ``eps_rows_up`` the fraction of rows where it is positive; ``friction_slope``: the
            same for the mean friction (μ→ + μ←)/2 against α (negative: friction grows as
            α → 0), ``friction_columns_down`` the fraction of columns where it is negative;
            ``median_loss``.
        """
        mr, ml, eps = (self.params[n] for n in ("mu_right", "mu_left", "eps"))
        diff = ml - mr
        clear = diff > self.uncertainty["mu_left"] + self.uncertainty["mu_right"]
        kv = np.asarray(self.knob[1], dtype=np.float64)
        e_rows = [np.polyfit(kv, self.mean("eps")[i], 1)[0] for i in range(self.alpha.size)] if kv.size > 1 else []
        fr = 0.5 * (self.mean("mu_right") + self.mean("mu_left"))
        f_cols = [np.polyfit(self.alpha, fr[:, j], 1)[0] for j in range(kv.size)] if self.alpha.size > 1 else []
        return {"mu_left_above": float(np.mean(diff > 0)), "mu_left_above_clearly": float(np.mean(clear)),
                "eps_slope": float(np.mean(e_rows)) if e_rows else float("nan"),
                "eps_rows_up": float(np.mean(np.array(e_rows) > 0)) if e_rows else float("nan"),
                "friction_slope": float(np.mean(f_cols)) if f_cols else float("nan"),
                "friction_columns_down": float(np.mean(np.array(f_cols) < 0)) if f_cols else float("nan"),
                "median_loss": float(np.median(self.loss))}

    def to_arrays(self, prefix: str = "") -> dict:
        """The map as named arrays (for ``np.savez``), names prefixed by ``prefix``."""
        out = {f"{prefix}alpha": self.alpha, f"{prefix}knob_values": np.asarray(self.knob[1], dtype=np.float64),
               f"{prefix}seeds": np.asarray(self.seeds), f"{prefix}loss": self.loss,
               f"{prefix}final_load": self.final_load, f"{prefix}load": self.load,
               f"{prefix}epochs_recorded": self.epochs_recorded,
               f"{prefix}metadata": np.array(json.dumps({**self.metadata, "knob": self.knob[0]}))}
        for n in FITTED:
            out[f"{prefix}{n}"] = self.params[n]
            out[f"{prefix}{n}_uncertainty"] = self.uncertainty[n]
            out[f"{prefix}{n}_identifiable"] = self.identifiable[n]
        return out

    @classmethod
    def from_arrays(cls, z, prefix: str = "") -> ChainMap:
        """Inverse of :meth:`to_arrays`."""
        meta = json.loads(str(z[f"{prefix}metadata"]))
        return cls(alpha=np.asarray(z[f"{prefix}alpha"]), knob=(meta["knob"], np.asarray(z[f"{prefix}knob_values"])),
                   seeds=[int(s) for s in z[f"{prefix}seeds"]],
                   params={n: np.asarray(z[f"{prefix}{n}"]) for n in FITTED},
                   uncertainty={n: np.asarray(z[f"{prefix}{n}_uncertainty"]) for n in FITTED},
                   identifiable={n: np.asarray(z[f"{prefix}{n}_identifiable"]) for n in FITTED},
                   loss=np.asarray(z[f"{prefix}loss"]), final_load=np.asarray(z[f"{prefix}final_load"]),
                   load=np.asarray(z[f"{prefix}load"]), epochs_recorded=np.asarray(z[f"{prefix}epochs_recorded"]),
                   metadata=meta)


class ChainMaps(dict):
    """``{knob: ChainMap}``, saved together in one ``.npz`` (what ``reproduce chainmap`` writes and ships)."""

    def save(self, path) -> Path:
        arrays = {}
        for knob, m in self.items():
            arrays.update(m.to_arrays(prefix=f"{knob}/"))
        arrays["knobs"] = np.array(list(self))
        return write_npz_atomic(path, arrays)

    @classmethod
    def load(cls, path) -> ChainMaps:
        with np.load(path, allow_pickle=False) as z:
            return cls({str(k): ChainMap.from_arrays(z, prefix=f"{k}/") for k in z["knobs"]})


def load_chainmap(path=None) -> ChainMaps:
    """The shipped chain map (or the one at ``path``): ``{"dropout": ChainMap, "data_noise": ChainMap}``.

    Raises
    ------
    FileNotFoundError
        When no map has been shipped; make one with ``python -m springlab reproduce chainmap --ship``.
    """
    path = Path(path) if path is not None else SHIPPED_CHAINMAP
    if not path.exists():
        raise FileNotFoundError(f"no chain map at {path}; make one with python -m springlab reproduce chainmap --ship")
    return ChainMaps.load(path)


def _cell_config(alpha: float, knob: str, value: float, seed: int, epochs: int, record_every: int,
                 fit_seeds: int, fit_options: dict, train_parameters: dict) -> dict:
    return {"alpha": float(alpha), knob: float(value), "seed": int(seed), "epochs": int(epochs),
            "record_every": int(record_every), "fit_seeds": int(fit_seeds),
            "fit_options": sorted((k, repr(v)) for k, v in fit_options.items()),
            "train": sorted((k, repr(v)) for k, v in train_parameters.items()), "springlab": __version__}


def _cell_path(store: Path, config: dict) -> Path:
    key = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:24]
    return store / f"chainmap-{key}.json"


def fit_cell(run, fit_seeds: int = 8, **fit_options) -> dict:
    """Fit a chain to one training run's trajectory; the record a map keeps of it (JSON-ready)."""
    f = fit_chain(run, seeds=fit_seeds, **fit_options)
    return {"params": {n: float(f.params[n]) for n in FITTED},
            "uncertainty": {n: float(f.uncertainty.get(n, 0.0)) for n in FITTED},
            "identifiable": {n: bool(f.identifiable.get(n, True)) for n in FITTED},
            "loss": float(f.loss), "final_load": [float(v) for v in run.load[-1]],
            "load": np.asarray(run.load, dtype=np.float64).tolist(),
            "epochs_recorded": [int(e) for e in run.epochs_recorded]}


def _train_row(alpha: float, knob: str, values, seed: int, epochs: int, record_every: int, train_parameters: dict):
    """Train one α row (every knob value, one seed) together; the TrainRuns."""
    from ..networks.datasets import get_dataset
    from ..networks.engine.batched import train_batched
    from ..networks.models import MLP

    data = get_dataset("mnist")  # parsed once per process
    in_dim = data.x_train.shape[1]
    if knob == "dropout":
        models = [MLP(in_dim, alpha=alpha, dropout=float(v), seed=seed) for v in values]
        noise = train_parameters.get("data_noise", 0.0)
    else:
        models = [MLP(in_dim, alpha=alpha, dropout=train_parameters.get("dropout", 0.0), seed=seed) for _ in values]
        noise = [float(v) for v in values]
    kw = {k: v for k, v in train_parameters.items() if k not in ("data_noise", "dropout")}
    return train_batched(models, data, epochs=epochs, record_every=record_every, seed=seed, data_noise=noise, **kw)


def chain_map(alpha=(0.0, 1.0), knob=("dropout", (0.0, 0.3)), seeds=1, *, epochs: int = 100,
              record_every: int = 2, fit_seeds: int = 8, fit_options: dict | None = None, store=None,
              progress: bool = True, **train_parameters) -> ChainMap:
    """Train every cell of α × knob and fit a chain to each trajectory.

    Parameters
    ----------
    alpha : sequence of float in [0, 1]
        LeakyReLU slopes.
    knob : ("dropout" | "data_noise", sequence of float in [0, 1))
    seeds : int or sequence of int
        Network seeds (``n``: 0 .. n-1).
    epochs, record_every : int
        Training length and the record interval of ``D_l`` (the fitted trajectory).
    fit_seeds : int
        Noise seeds per parameter set of :func:`springlab.fit_chain`.
    fit_options : dict, optional
        Further arguments of :func:`springlab.fit_chain` (fixed chain parameters, ``bounds``).
    store : path, optional
        Folder where each finished cell is written at once (resumable);
        default ``$SPRINGLAB_CACHE`` or ``~/.cache/springlab/runs``.
    progress : bool
        A ``tqdm.auto`` bar over cells.
    **train_parameters
        Passed to :func:`springlab.train_batched` (``lr``, ``batch_size``, ...).

    Returns
    -------
    ChainMap

    Raises
    ------
    ValueError
        An unknown knob, values out of range, or bad counts.
    """
    from .store import default_store_root

    name, values = knob
    if name not in _KNOBS:
        raise ValueError(f"knob must be one of {', '.join(_KNOBS)}; got {name!r}")
    values = [float(v) for v in values]
    alphas = np.asarray(alpha, dtype=np.float64)
    if not values or not all(0.0 <= v < 1.0 for v in values) or alphas.size == 0 or np.any((alphas < 0) | (alphas > 1)):
        raise ValueError("alpha values must lie in [0, 1] and knob values in [0, 1), both non-empty")
    seed_list = list(range(int(seeds))) if isinstance(seeds, (int, np.integer)) else [int(s) for s in seeds]
    if not seed_list:
        raise ValueError(f"seeds must be a positive count or a non-empty sequence; got {seeds!r}")
    store = Path(store) if store is not None else default_store_root()
    store.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    fit_options = dict(fit_options or {})
    cells = _run_cells(alphas, name, values, seed_list, epochs, record_every, (fit_seeds, fit_options), store,
                       progress, train_parameters)
    return _assemble(cells, alphas, name, values, seed_list, {
        "function": "springlab.sweeps.chainmap.chain_map", "epochs": epochs, "record_every": record_every,
        "fit_seeds": fit_seeds, "fit_options": {k: repr(v) for k, v in fit_options.items()},
        "fit": "fit_chain defaults: first order, synchronous noise, "
        "mu_right, mu_left, eps, scale, time_scale fitted", "train": {k: repr(v) for k, v in train_parameters.items()},
        "network": "MLP 7x100, offline MNIST 2560, Adam lr 1e-3 full batch unless train says otherwise",
        "wall_time_s": round(time.perf_counter() - t0, 1), "springlab": __version__})


def _run_cells(alphas, name, values, seed_list, epochs, record_every, fit: tuple, store: Path, progress,
               train_parameters) -> dict:
    """Every cell's record, from the store or trained and fitted now (written at once)."""
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=alphas.size * len(values) * len(seed_list), desc=f"chain map (α × {name})", unit="cell")
    cells = {}
    fit_seeds, fit_options = fit
    for i, a in enumerate(alphas):
        for s in seed_list:
            configs = [_cell_config(a, name, v, s, epochs, record_every, fit_seeds, fit_options, train_parameters)
                       for v in values]
            paths = [_cell_path(store, c) for c in configs]
            if not all(p.exists() for p in paths):
                runs = _train_row(float(a), name, values, s, epochs, record_every, train_parameters)
                for run, path, config in zip(runs, paths, configs):
                    rec = dict(fit_cell(run, fit_seeds, **fit_options), config=config)
                    tmp = path.with_name(path.name + ".tmp")
                    tmp.write_text(json.dumps(rec))
                    tmp.replace(path)
            for j, path in enumerate(paths):
                cells[i, j, s] = json.loads(path.read_text())
                if bar is not None:
                    bar.update(1)
    if bar is not None:
        bar.close()
    return cells


def _assemble(cells: dict, alphas, name, values, seed_list, metadata: dict) -> ChainMap:
    A, K, S = alphas.size, len(values), len(seed_list)
    shape = (A, K, S)
    params = {n: np.empty(shape) for n in FITTED}
    unc = {n: np.empty(shape) for n in FITTED}
    ident = {n: np.empty(shape, dtype=bool) for n in FITTED}
    loss = np.empty(shape)
    L1 = len(next(iter(cells.values()))["final_load"])
    final = np.empty(shape + (L1,))
    epochs = max((rec["epochs_recorded"] for rec in cells.values()), key=len)
    traj = np.full(shape + (len(epochs), L1), np.nan)
    for (i, j, s), rec in cells.items():
        k = seed_list.index(s)
        for n in FITTED:
            params[n][i, j, k] = rec["params"][n]
            unc[n][i, j, k] = rec["uncertainty"][n]
            ident[n][i, j, k] = rec["identifiable"][n]
        loss[i, j, k] = rec["loss"]
        final[i, j, k] = rec["final_load"]
        traj[i, j, k, :len(rec["load"])] = rec["load"]
    return ChainMap(alpha=alphas, knob=(name, np.asarray(values)), seeds=seed_list, params=params, uncertainty=unc,
                    identifiable=ident, loss=loss, final_load=final, load=traj, epochs_recorded=np.asarray(epochs),
                    metadata={**metadata, "grid": {"alpha": alphas.tolist(), name: list(values)}, "seeds": seed_list,
                              "reduced": "grid and seeds reduced from Fig. 1 (6 alpha x 9-16 values x 10 seeds)"
                              })


def chainmap(*, quick: bool = False, progress: bool = True, seeds: int | None = None, store=None) -> ChainMaps:
    """``reproduce chainmap``: both maps of :data:`CHAINMAP_GRIDS` (quick: α ∈ {0, 1} × the knob's ends)."""
    maps = ChainMaps()
    for knob, grid in CHAINMAP_GRIDS.items():
        alpha, (name, values) = grid["alpha"], grid["knob"]
        if quick:
            alpha, values = (alpha[0], alpha[-1]), (values[0], values[-1])
        maps[knob] = chain_map(alpha, (name, values), seeds=seeds or 1, record_every=CHAINMAP_RECORD_EVERY,
                               progress=progress, store=store)
        maps[knob].metadata["command"] = "python -m springlab reproduce chainmap" + (" --quick" if quick else "")
    return maps


def draw_chainmap(maps: dict):
    """μ→, μ←, ε (seed means, bars: uncertainty, cut at 0) against each knob, one line per α.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib import colormaps

    fig, axes = plt.subplots(len(maps), 3, figsize=(11, 3.2 * len(maps)), layout="constrained", squeeze=False)
    labels = {"mu_right": "μ→", "mu_left": "μ←", "eps": "ε"}
    for row, (knob, m) in zip(axes, maps.items()):
        colors = colormaps["plasma"](np.linspace(0.0, 0.85, m.alpha.size))
        for ax, n in zip(row, ("mu_right", "mu_left", "eps")):
            for i, a in enumerate(m.alpha):
                v, u = m.mean(n)[i], m.uncertainty[n][i].mean(axis=-1)
                # intervals stop at 0 (no negative friction or noise): the bars do too
                ax.errorbar(m.knob[1], v, yerr=[np.minimum(u, v), u], color=colors[i], marker="o", ms=3, capsize=2,
                            label=f"α={a:g}")
            ax.set_xlabel(knob.replace("_", " "))
            ax.set_ylabel(f"fitted {labels[n]}")
        row[0].legend(fontsize="x-small", ncol=2)
    return fig
