#!/usr/bin/env python
"""The project's one notebook tool: execute notebooks in place, and clean them.

Usage::

    python tools/notebooks.py execute PATH...   # re-execute in place, then clean
    python tools/notebooks.py clean PATH...     # clean only (keeps outputs)
    python tools/notebooks.py strip PATH...     # clean and drop all outputs

PATH may be a notebook or a folder (every ``*.ipynb`` below it, checkpoints
skipped).

*Execute* runs each notebook top to bottom with the ``python3`` kernel of the
current environment (the interpreter running this script), from the
notebook's own folder, through nbclient -- the same machinery as ``jupyter
execute --inplace``. Widget state is kept during execution and dropped
afterwards by *clean*; we do not pass ``store_widget_state=False``, which
makes nbclient crash on ``interact`` (../shared/PITFALLS.md).

*Clean* makes stored notebooks stable under version control and under strict
nbval: it drops notebook-level ``metadata.widgets``, per-cell execution
timing (``metadata.execution``) and other volatile cell metadata, merges
consecutive chunks of one output stream (their split depends on timing),
and normalises the kernelspec to the standard ``python3``; outputs are kept.

The functions :func:`execute`, :func:`clean` and :func:`strip_outputs` work
on ``nbformat.NotebookNode`` objects and are reused by
``tools/build_course.py`` and by lessons' tooling.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Iterable

import nbformat

__all__ = ["execute", "clean", "strip_outputs", "read", "write", "execute_file", "clean_file",
           "notebook_paths"]

#: Cell metadata that changes on every run and means nothing to a reader.
VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime", "jupyter")
#: The kernelspec every stored notebook declares (nbval: --nbval-current-env or python3).
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def read(path) -> nbformat.NotebookNode:
    """Read a notebook file (nbformat 4)."""
    return nbformat.read(str(path), as_version=4)


def write(nb: nbformat.NotebookNode, path) -> None:
    """Write a notebook file atomically (nbformat's layout, one trailing newline)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    nbformat.write(nb, str(tmp))
    tmp.replace(path)


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop volatile metadata from ``nb`` in place and return it; outputs are kept.

    Removes ``metadata.widgets`` (random model ids), per-cell timing and UI
    state, and sets the ``python3`` kernelspec.
    """
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    lang = nb.metadata.get("language_info")
    if lang is not None:
        # keep the language, not the interpreter version of whoever ran it last
        nb.metadata["language_info"] = {"name": lang.get("name", "python")}
    for cell in nb.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                # display ids of widget outputs are random; their PNG/text stays
                out.get("metadata", {}).pop("transient", None)
            cell.outputs = coalesce_streams(cell.get("outputs", []))
    return nb


def coalesce_streams(outputs: list) -> list:
    """Merge consecutive stream outputs of the same stream (how prints are chunked depends on timing)."""
    merged: list = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and prev is not None and prev.get("output_type") == "stream"
                and prev.get("name") == out.get("name")):
            prev["text"] = "".join(prev["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    return merged


def strip_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Clean ``nb`` and remove every output and execution count (for sources)."""
    clean(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def execute(nb: nbformat.NotebookNode, cwd, *, timeout: int = 600,
            env: dict | None = None) -> nbformat.NotebookNode:
    """Execute ``nb`` in place with the current environment's python3 kernel, then clean it.

    Parameters
    ----------
    nb : NotebookNode
        Notebook; its outputs are replaced.
    cwd : path
        Working directory of the kernel (the notebook's folder, so relative
        paths in the notebook resolve as they do for a student).
    timeout : int, default 600
        Seconds allowed per cell.
    env : dict, optional
        Extra environment variables for the kernel.
    """
    from nbclient import NotebookClient

    kernel_env = dict(os.environ)
    # The kernel must be the interpreter of this environment (PITFALLS: nbval
    # --nbval-current-env does the same), with its scripts on PATH.
    kernel_env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + kernel_env.get("PATH", "")
    kernel_env.pop("MPLBACKEND", None)  # Agg would remove inline figures
    kernel_env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    if env:
        kernel_env.update(env)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}},
                            record_timing=False)
    # nbclient passes env to the kernel manager's start_kernel
    client.execute(env=kernel_env)
    return clean(nb)


def notebook_paths(paths: Iterable) -> list[Path]:
    """Expand files and folders into a sorted list of notebooks (checkpoints skipped)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        elif p.suffix == ".ipynb" and p.exists():
            out.append(p)
        else:
            raise SystemExit(f"not a notebook or folder: {p}")
    return out


def execute_file(path, *, timeout: int = 600) -> None:
    """Execute the notebook at ``path`` in place (from its folder) and clean it."""
    path = Path(path)
    nb = read(path)
    execute(nb, path.parent.resolve(), timeout=timeout)
    write(nb, path)


def clean_file(path, *, outputs: bool = True) -> None:
    """Clean the notebook at ``path`` in place; ``outputs=False`` also strips outputs."""
    nb = read(path)
    (clean if outputs else strip_outputs)(nb)
    write(nb, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="tools/notebooks.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_exe = sub.add_parser("execute", help="re-execute notebooks in place and clean them")
    p_exe.add_argument("paths", nargs="+")
    p_exe.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    p_cln = sub.add_parser("clean", help="drop volatile metadata, keep outputs")
    p_cln.add_argument("paths", nargs="+")
    p_str = sub.add_parser("strip", help="clean and drop all outputs")
    p_str.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    import time

    for path in notebook_paths(args.paths):
        t0 = time.perf_counter()
        if args.command == "execute":
            execute_file(path, timeout=args.timeout)
        else:
            clean_file(path, outputs=args.command == "clean")
        print(f"{args.command}: {path} ({time.perf_counter() - t0:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
