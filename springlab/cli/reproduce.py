"""``python -m springlab reproduce FIGURE... [--quick] [--out DIR]``: the paper's figures, recomputed.

Every figure of the paper the course uses has an entry in :data:`FIGURES`.
Fig. 1 (the network phase diagrams, four panels) comes from
:mod:`springlab.figures.fig1`; the spring figures from
:mod:`springlab.figures.springs` and the other network figures from
:mod:`springlab.figures.networks` (a function ``figX`` that computes and a
``draw_figX`` that draws). Each figure is written into ``--out`` (default
``./reproduce``) as a PNG, and its data as ``.npz`` when it is a phase
diagram.

Scale: by default the paper's (Fig. 1: 6 α × the panel's knob values × 10
seeds, 100 epochs, 200 for panel b); ``--quick`` a small version for a
first look (minutes on two cores); ``--seeds N`` keeps the paper's grid
with fewer seeds (recorded in the file's metadata as reduced). Finished
training runs of Fig. 1 are kept in a resumable store
(:mod:`springlab.sweeps.store`), and chainmap's fitted cells beside them:
interrupt at will and run the same command again; ``--store DIR`` chooses
the folder for both. ``--scheduler ADDRESS`` runs the sweeps on a Dask
cluster.

Shipped results: ``--ship`` also writes the Fig. 1 panels into the
package's ``results`` folder, from where :func:`springlab.load_result` reads them for
the lessons (each file records its configuration, seeds, versions and this
command).
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..figures.fig1 import FIG1_PANELS, RESULTS_DIR, draw_fig1, draw_panel, fig1_panel

__all__ = ["FIGURES", "availability", "run_figure", "main"]


# -- the registry ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    """A figure of the paper: parts computed by ``module.function`` and drawn by ``module.draw_*``."""

    name: str
    title: str
    parts: tuple  # ((module, function), ...)


FIGURES: dict[str, Figure] = {
    **{k: Figure(k, p.title, (("springlab.figures.fig1", k),)) for k, p in FIG1_PANELS.items()},
    "fig3": Figure("fig3", "Fig. 3: first-order chain phase diagram", (("springlab.figures.springs", "fig3"),)),
    "fig4": Figure("fig4", "Fig. 4: load-curve trajectories of networks (left) and chains (right)",
                   (("springlab.figures.networks", "fig4_left"), ("springlab.figures.springs", "fig4_right"))),
    "fig5": Figure("fig5", "Fig. 5: deep linear network (a) and the frictionless-right chain (b)",
                   (("springlab.figures.networks", "fig5a"), ("springlab.figures.springs", "fig5b"))),
    "figS2": Figure("figS2", "Fig. S2: constant-shape CNN with dropout switched on mid-training",
                    (("springlab.figures.networks", "fig_s2"),)),
    "figS4": Figure("figS4", "Fig. S4: wide MLP on 28×28 MNIST, three learning rates",
                    (("springlab.figures.networks", "fig_s4"),)),
    "figS12": Figure("figS12", "Fig. S12: regression on Diabetes", (("springlab.figures.networks", "fig_s12"),)),
    "figS13": Figure("figS13", "Fig. S13: second-order chain phase diagram", (("springlab.figures.springs", "fig_s13"),)),
    "figS14": Figure("figS14", "Fig. S14: Langevin chain phase diagram", (("springlab.figures.springs", "fig_s14"),)),
    "chainmap": Figure("chainmap", "Chains fitted across α × dropout and α × data noise (issue 17)",
                       (("springlab.sweeps.chainmap", "chainmap"),)),
}


def _resolve(module: str, function: str):
    """(compute, draw) of a figure part, or a string saying why it is unavailable."""
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        return f"{module} is not available ({exc})"
    compute = getattr(mod, function, None)
    if compute is None:
        return f"{module}.{function} is not defined yet"
    draw = getattr(mod, f"draw_{function}", None)
    if draw is None and module == "springlab.figures.springs":
        draw = getattr(mod, "draw_phase_figure", None)
    return compute, draw


def availability(name: str) -> str | None:
    """None when every part of figure ``name`` can be computed, else why not."""
    if name in FIG1_PANELS:
        return None
    reasons = [r for r in (_resolve(m, f) for m, f in FIGURES[name].parts) if isinstance(r, str)]
    return "; ".join(reasons) or None


def _call(fn, **kwargs):
    params = inspect.signature(fn).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return fn(**kwargs)
    return fn(**{k: v for k, v in kwargs.items() if k in params})


def _save_figure(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def run_figure(name: str, out: Path, *, quick: bool, seeds: int | None, progress: bool, store=None, client=None,
               grid: int | None = None,
               ship: bool = False, command: str | None = None, workers: int = 1,
               threads: int | None = None) -> list[Path]:
    """Compute and draw figure ``name`` into folder ``out``; returns the files written."""
    from ..core.phase import PhaseDiagram

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if name in FIG1_PANELS:
        pd = fig1_panel(name, quick=quick, seeds=seeds, grid=grid, progress=progress, store=store, client=client,
                        command=command, workers=workers, threads=threads)
        written.append(pd.save(out / f"{name}.npz"))
        written.append(_save_figure(draw_panel(pd), out / f"{name}.png"))
        if ship and not quick:
            written.append(pd.save(RESULTS_DIR / f"{name}.npz"))
        return written
    for module, function in FIGURES[name].parts:
        resolved = _resolve(module, function)
        if isinstance(resolved, str):
            raise RuntimeError(f"{name}: {resolved}")
        compute, draw = resolved
        options = dict(quick=quick, progress=progress)
        if seeds is not None:
            options["seeds"] = seeds
        if store is not None:
            if "store" not in inspect.signature(compute).parameters:
                print(f"{name}: keeps no runs on disk; --store is not used for it", file=sys.stderr)
            options["store"] = store
        data = _call(compute, **options)
        stem = function.replace("_", "") if len(FIGURES[name].parts) > 1 else name
        if isinstance(data, PhaseDiagram):
            data.metadata.setdefault("command", command)
            written.append(data.save(out / f"{stem}.npz"))
            fig = draw(data, FIGURES[name].title) if draw is not None else draw_panel(data)
        else:
            if draw is None:
                raise RuntimeError(f"{name}: {module} has no draw_{function}")
            if hasattr(data, "save"):  # results that are not phase diagrams but keep their data (chainmap)
                written.append(data.save(out / f"{stem}.npz"))
                if ship and not quick:
                    written.append(data.save(RESULTS_DIR / f"{stem}.npz"))
            fig = draw(data)
        written.append(_save_figure(fig, out / f"{stem}.png"))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="springlab reproduce", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("figures", nargs="*", help="figure names (see --list), 'fig1' for its four panels, or 'all'")
    parser.add_argument("--list", action="store_true", help="list the figures and whether each is available")
    parser.add_argument("--quick", action="store_true", help="a small, fast version of each figure")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (default: paper 10, quick 2)")
    parser.add_argument("--out", default="reproduce", help="output folder (default ./reproduce)")
    parser.add_argument("--store", default=None, help="folder of finished runs, for Fig. 1 and chainmap "
                                                      "(default $SPRINGLAB_CACHE or ~/.cache/springlab/runs)")
    parser.add_argument("--scheduler", default=None, help="address of a Dask scheduler to run the sweeps on")
    parser.add_argument("--grid", type=int, default=None, help="Fig. 1: keep this many knob values per panel "
                                                               "(ends kept; recorded as reduced)")
    parser.add_argument("--workers", type=int, default=1, help="local training processes (default 1)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads per training process "
                                                                  "(default: torch's; 1 when --workers > 1)")
    parser.add_argument("--ship", action="store_true", help="also write Fig. 1 panels into springlab/results")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.seeds is not None and args.seeds < 1:
        parser.error("--seeds must be >= 1")
    if args.grid is not None and args.grid < 2:
        parser.error("--grid must be >= 2")
    if args.workers < 1 or (args.threads is not None and args.threads < 1):
        parser.error("--workers and --threads must be >= 1")
    if args.list:
        for name, fig in FIGURES.items():
            why = availability(name)
            print(f"{name:8s} {fig.title}" + (f"  [unavailable: {why}]" if why else ""))
        return 0
    names: list[str] = []
    lookup = {k.lower(): k for k in FIGURES}
    for raw in args.figures:
        key = raw.lower()
        if key == "all":
            names.extend(FIGURES)
        elif key == "fig1":
            names.extend(FIG1_PANELS)
        elif key in lookup:
            names.append(lookup[key])
        else:
            parser.error(f"unknown figure {raw!r}; choose from {', '.join(FIGURES)}, fig1, all (see --list)")
    if not names:
        parser.error("name at least one figure (or --list)")
    names = list(dict.fromkeys(names))
    client = None
    if args.scheduler:
        from distributed import Client

        client = Client(args.scheduler)
    command = "python -m springlab reproduce " + " ".join(argv if argv is not None else sys.argv[1:])
    out = Path(args.out)
    from tqdm.auto import tqdm

    failures = []
    panels = {}
    for name in tqdm(names, desc="figures", disable=args.no_progress):
        why = availability(name)
        if why:
            print(f"{name}: unavailable: {why}", file=sys.stderr)
            failures.append(name)
            continue
        t = time.perf_counter()
        files = run_figure(name, out, quick=args.quick, seeds=args.seeds, progress=not args.no_progress,
                           store=args.store, client=client, ship=args.ship, command=command, grid=args.grid,
                           workers=args.workers, threads=args.threads)
        print(f"{name}: {time.perf_counter() - t:.0f} s -> " + ", ".join(str(f) for f in files))
        if name in FIG1_PANELS:
            from ..core.phase import PhaseDiagram

            panels[name] = PhaseDiagram.load_file(out / f"{name}.npz")
    if len(panels) > 1:
        path = _save_figure(draw_fig1(panels), out / "fig1.png")
        print(f"fig1: -> {path}")
    return 1 if failures else 0
