r"""Phase diagrams of spring–block chains (paper Fig. 3, S13, S14).

A phase diagram varies two chain parameters over a grid -- usually friction
:math:`\mu_\to` down the rows and noise :math:`\varepsilon` across the
columns -- and records, for each cell, the final load curve and elastic
energy averaged over seeds. Every ``(cell, seed)`` run is independent, so all
of them go to the compiled kernel of :mod:`springlab.springs` in one batch
that ``numba.prange`` spreads over all cores. The seed of a run is its seed
index, so cell ``(i, j)`` with seed ``s`` is exactly
``simulate_chain(..., seed=s).final``: the same noise in every cell (common
random numbers), which makes neighbouring cells comparable.
"""
from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__
from ..core.energy import load_energy
from ..core.phase import PhaseDiagram, write_npz_atomic
from ..chains.simulator import PARAMS, param_row, run_batch, validate_chain_parameters

__all__ = ["chain_phase_diagram", "AXIS_PARAMETERS"]

#: chain parameters a phase diagram can vary along its rows or columns
AXIS_PARAMETERS = ("k", "y", "mu_right", "mu_left", "eps", "dt", "t_max", "gamma", "tau", "noise_bound",
                   "stop_rtol", "stop_window")
_CHUNK = 512  # runs per kernel call when a progress bar is shown


def _axis(axis, name):
    try:
        pname, values = axis
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (parameter, values) pair; got {axis!r}") from None
    if pname not in AXIS_PARAMETERS:
        raise ValueError(f"{name} parameter must be one of {', '.join(AXIS_PARAMETERS)}; got {pname!r}")
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"{name} values must be a non-empty 1-D sequence of numbers; got shape {values.shape}")
    return pname, values


def _save_checkpoint(path: Path, fingerprint: str, load_seeds, energy_seeds, done) -> None:
    write_npz_atomic(path, dict(fingerprint=np.array(fingerprint), load_seeds=load_seeds, energy_seeds=energy_seeds,
                                done=done))  # an interruption leaves the previous checkpoint


def chain_phase_diagram(rows=("mu_right", np.linspace(0.0, 0.3, 16)), cols=("eps", np.linspace(0.0, 0.15, 16)),
                        seeds=10, *, progress: bool | None = None, checkpoint=None,
                        **chain_parameters) -> PhaseDiagram:
    """Final load curves and energies of chains over a grid of two parameters.

    Parameters
    ----------
    rows, cols : (str, array_like)
        Parameter name (one of :data:`AXIS_PARAMETERS`) and its R (or C)
        values. Defaults: ``mu_right`` rows × ``eps`` columns, the grid of Fig. 3.
        ``dt`` may be an axis, but for ``order="first"`` and ``"second"`` it
        changes the model, not only the step: the noise enters the friction as
        ``ε̄ = eps / sqrt(dt)``, so at fixed ``eps`` a smaller ``dt`` is a
        noisier chain (a first-order chain can turn from concave to convex;
        second order changes far less; :mod:`springlab.springs`, "What the
        time step means"). The paper's models are at ``dt = 0.01``, the
        default. For ``order="langevin"`` a ``dt`` axis is a convergence check.
    seeds : int or sequence of int
        ``n`` means seeds ``0 .. n-1``; cell values are averages over them.
    progress : bool, optional
        Show a ``tqdm.auto`` progress bar; by default only for sweeps of more
        than 10^9 block-steps (several seconds).
    checkpoint : path, optional
        Save finished runs to this ``.npz`` after every chunk of runs, and
        skip the runs it already holds when called again with the same
        arguments: an interrupted sweep resumes where it stopped.
    **chain_parameters
        Fixed parameters of :func:`springlab.simulate_chain` (``order``, ``L``,
        ``k``, ``y``, ``mu_left``, ``t_max``, ``noise``, ``dt`` ...);
        ``record_every`` is not used (only the final state is kept).

    Returns
    -------
    PhaseDiagram
        ``.load`` (R, C, L+1) seed-averaged final ``D_l``, ``.energy`` (R, C)
        seed-averaged final elastic energy ``k/2 Σ d²`` (absolute, force ×
        length; not divided by k·y²), ``.load_seeds``
        (R, C, S, L+1), ``.curvature``, ``.shape``; ``.metadata`` records the
        fixed parameters, seeds, wall time and springlab version.

    Raises
    ------
    ValueError
        For an unknown axis, equal row and column parameters, or any chain
        parameter out of range (checked for every cell before running).
    """
    rname, rvals = _axis(rows, "rows")
    cname, cvals = _axis(cols, "cols")
    seed_list = _check_axes_and_seeds(rname, cname, seeds, chain_parameters)
    cells, groups = _grid(rname, rvals, cname, cvals, len(seed_list), chain_parameters)
    fingerprint = json.dumps([rname, rvals.tolist(), cname, cvals.tolist(), seed_list,
                              sorted((str(k), repr(v)) for k, v in chain_parameters.items())])
    finished = _Finished.empty((rvals.size, cvals.size, len(seed_list)), next(iter(cells.values()))["L"])
    if checkpoint is not None:
        checkpoint = Path(checkpoint)
        if checkpoint.exists():
            finished = _resume(checkpoint, fingerprint)
        groups = {g: [r for r in runs if not finished.done[r[0], r[1], r[2]]] for g, runs in groups.items()}
    if progress is None:
        progress = sum(g[6] * g[2] * len(runs) for g, runs in groups.items()) > 1e9
    wall = _run_groups(groups, seed_list, finished, progress=progress, checkpoint=checkpoint,
                       fingerprint=fingerprint)
    fixed = {key: val for key, val in next(iter(cells.values())).items() if key not in (rname, cname, "seed")}
    metadata = {"model": "spring-block chain", "function": "springlab.chain_phase_diagram",
                "fixed": fixed, "seeds": seed_list, "wall_time_s": round(wall, 3),
                "springlab": __version__}
    return PhaseDiagram(rows=(rname, rvals), cols=(cname, cvals), load=finished.load_seeds.mean(axis=2),
                        energy=finished.energy_seeds.mean(axis=2), load_seeds=finished.load_seeds,
                        metadata=metadata)


# -- the steps: validate, lay out the grid, resume, run ----------------------------------------------
def _check_axes_and_seeds(rname: str, cname: str, seeds, chain_parameters: dict) -> list[int]:
    """Two different axes not also passed as fixed parameters; the seeds as a list of ints in [0, 2**63)."""
    if rname == cname:
        raise ValueError(f"rows and cols must vary different parameters; both are {rname!r}")
    for name in (rname, cname):
        if name in chain_parameters:
            raise ValueError(f"{name} is an axis of the diagram; do not also pass it as a fixed parameter")
    for bad in ("seed", "record_every"):
        if bad in chain_parameters:
            raise ValueError(f"{bad} is not a parameter of chain_phase_diagram (use seeds=)")
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds must be >= 1; got {seeds!r}")
        seed_list = list(range(int(seeds)))
    else:
        seed_list = [int(s) for s in seeds]
        if not seed_list:
            raise ValueError("seeds must be a positive count or a non-empty sequence of seeds")
    for s in seed_list:
        if not 0 <= s < 2**63:
            raise ValueError(f"seeds must be integers in [0, 2**63); got {s!r}")
    return seed_list


def _grid(rname, rvals, cname, cvals, n_seeds: int, chain_parameters: dict):
    """Validate every cell first, then group its runs by the kernel's scalar arguments.

    Returns the validated parameters of each cell ``(i, j)`` and the groups:
    ``(order, noise, L, dt, t_max, stop_window, n_steps)`` → runs
    ``(i, j, seed index, parameter row)``.
    """
    groups: dict[tuple, list[tuple[int, int, int, list[float]]]] = defaultdict(list)
    cells = {}
    for i, rv in enumerate(rvals):
        for j, cv in enumerate(cvals):
            kw = dict(chain_parameters)
            kw[rname], kw[cname] = float(rv), float(cv)
            if "L" in kw:
                kw["L"] = int(kw["L"])
            p = validate_chain_parameters(**kw, seed=0)
            cells[i, j] = p
            n_steps = max(1, int(round(p["t_max"] / p["dt"])))
            gkey = (p["order"], p["noise"], p["L"], p["dt"], p["t_max"], p["stop_window"], n_steps)
            row = param_row(p)
            for si in range(n_seeds):
                groups[gkey].append((i, j, si, row))
    return cells, groups


@dataclass
class _Finished:
    """The runs done so far: final loads (R, C, S, L+1), energies and done flags (R, C, S)."""
    load_seeds: np.ndarray
    energy_seeds: np.ndarray
    done: np.ndarray

    @classmethod
    def empty(cls, shape: tuple[int, int, int], L: int) -> _Finished:
        return cls(np.full(shape + (L + 1,), np.nan), np.full(shape, np.nan), np.zeros(shape, dtype=bool))


def _resume(checkpoint: Path, fingerprint: str) -> _Finished:
    """The finished runs a checkpoint holds, if it is this diagram's (ValueError otherwise)."""
    with np.load(checkpoint, allow_pickle=False) as z:
        if str(z["fingerprint"]) != fingerprint:
            raise ValueError(f"checkpoint {checkpoint} belongs to another diagram; remove it or "
                             "pass another path")
        return _Finished(z["load_seeds"], z["energy_seeds"], z["done"])


def _run_groups(groups: dict, seed_list: list[int], finished: _Finished, *, progress: bool, checkpoint,
                fingerprint: str) -> float:
    """Run every group in kernel calls (chunks of ``_CHUNK`` runs with a bar or a checkpoint); its wall time."""
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=finished.done.size, initial=int(finished.done.sum()), desc="chain phase diagram",
                   unit="run")
    t0 = time.perf_counter()
    chunked = progress or checkpoint is not None
    for gkey, runs in groups.items():
        for part in _chunks(runs, _CHUNK if chunked else max(1, len(runs))):
            _run_part(gkey, part, seed_list, finished)
            if checkpoint is not None:  # finished runs survive an interruption
                _save_checkpoint(checkpoint, fingerprint, finished.load_seeds, finished.energy_seeds,
                                 finished.done)
            if bar is not None:
                bar.update(len(part))
    if bar is not None:
        bar.close()
    return time.perf_counter() - t0


def _chunks(runs: list, size: int):
    for start in range(0, len(runs), size):
        yield runs[start:start + size]


def _run_part(gkey: tuple, part: list, seed_list: list[int], finished: _Finished) -> None:
    """Simulate some runs of one group in one kernel call; write their final loads and energies in place."""
    order, noise, L, dt, t_max, stop_window, _ = gkey
    params = np.array([r[3] for r in part])
    out, _ = run_batch(order, noise, L, dt, t_max, params, [seed_list[r[2]] for r in part],
                       stop_window=stop_window)
    final = out[:, -1, :]
    k, y = params[:, PARAMS.index("k")], params[:, PARAMS.index("y")]
    load = np.concatenate([y[:, None], y[:, None] - final], axis=1)  # D_0 = y, D_l = y - x_l
    E = load_energy(load, k, anchored=True)
    for n, (i, j, si, _) in enumerate(part):
        finished.load_seeds[i, j, si] = load[n]
        finished.energy_seeds[i, j, si] = E[n]
        finished.done[i, j, si] = True
