#!/usr/bin/env python
"""Regenerate the graded course's student and solved notebooks from ``course/source``.

Usage::

    python tools/build_course.py            # rebuild course/release/ and solutions/
    python tools/build_course.py --check    # exit 1 if either has drifted from course/source
    python tools/build_course.py --only ps1_friction_step ...

``course/source/<assignment>/<notebook>.ipynb`` is the one place exercises are
written (instructor version: solutions between ``### BEGIN SOLUTION`` /
``### END SOLUTION``, hidden tests between ``### BEGIN HIDDEN TESTS`` /
``### END HIDDEN TESTS``). From it this command makes

* ``course/release/<assignment>/`` -- the student versions, by real
  ``nbgrader generate_assignment --force`` run in a temporary copy of the
  course (so no gradebook or log is left in ``course/``), then cleaned with
  ``tools/notebooks.py``. Students (on Binder too) open these.
* ``solutions/<assignment>/<notebook>.ipynb`` -- the solved notebooks,
  executed and cleaned. They show the solution code (delimiter comments
  removed) and the *visible* tests; hidden tests are removed, so the
  solutions can be published after the deadline without publishing the
  grader's hidden checks. ``pytest --nbval solutions`` compares their stored
  outputs in strict mode.

``--check`` rebuilds the student versions into a temporary folder and compares
them with ``course/release`` notebook by notebook (cells, metadata, files);
for ``solutions/`` it compares every cell's type, source and metadata with
what the source implies and requires every code cell to have been executed
(their outputs are checked by nbval, which re-executes them). It exits 1 and
names the files on any drift, and never writes into the repository.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import notebooks  # noqa: E402  (tools/notebooks.py, the one notebook tool)

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"
SOURCE = COURSE / "source"
RELEASE = COURSE / "release"
SOLUTIONS = ROOT / "solutions"

HIDDEN_RE = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS[ \t]*\n.*?^[ \t]*### END HIDDEN TESTS[ \t]*(\n|\Z)",
                       re.MULTILINE | re.DOTALL)
SOLUTION_DELIMITER_RE = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*(\n|\Z)", re.MULTILINE)


def assignments() -> list[str]:
    """Assignment names: the folders of ``course/source``, sorted."""
    return sorted(p.name for p in SOURCE.iterdir() if p.is_dir() and not p.name.startswith("."))


def nbgrader_env() -> dict:
    """Environment for nbgrader subprocesses: it shells out to ``alembic`` (PITFALLS)."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.pop("MPLBACKEND", None)
    return env


def run_nbgrader(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` with this interpreter in ``cwd``; raise with its log on failure."""
    cmd = [sys.executable, "-m", "nbgrader", *args]
    proc = subprocess.run(cmd, cwd=cwd, env=nbgrader_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def generate_release(names: list[str], dest: Path) -> None:
    """Write the student versions of ``names`` into ``dest/<assignment>/`` with nbgrader."""
    with tempfile.TemporaryDirectory(prefix="springlab-course-") as tmp:
        course = Path(tmp) / "course"
        course.mkdir()
        shutil.copy2(COURSE / "nbgrader_config.py", course / "nbgrader_config.py")
        shutil.copytree(SOURCE, course / "source",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        if set(names) == set(assignments()):
            # one nbgrader process for all (its assignment id is a glob): saves a start-up per assignment
            run_nbgrader(["generate_assignment", "*", "--force"], cwd=course)
        else:
            for name in names:
                run_nbgrader(["generate_assignment", name, "--force"], cwd=course)
        for name in names:
            out = dest / name
            if out.exists():
                shutil.rmtree(out)
            shutil.copytree(course / "release" / name, out)
            for nb_path in sorted(out.rglob("*.ipynb")):
                notebooks.clean_file(nb_path)


def solution_notebook(src: Path):
    """The solved notebook made from a source notebook, before execution.

    Hidden tests go; the solution delimiters go (their code stays); outputs go.
    """
    nb = notebooks.read(src)
    notebooks.strip_outputs(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            source = HIDDEN_RE.sub("", cell.source)
            source = SOLUTION_DELIMITER_RE.sub("", source)
            cell.source = source.rstrip("\n")
    return nb


def build_solutions(names: list[str], dest: Path, *, timeout: int = 600) -> None:
    """Write executed, cleaned solutions of ``names`` into ``dest/<assignment>/``."""
    for name in names:
        out_dir = dest / name
        if out_dir.exists():
            shutil.rmtree(out_dir)
        # other files of the assignment (data shipped with it) travel along
        shutil.copytree(SOURCE / name, out_dir,
                        ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints", "__pycache__"))
        for src in sorted((SOURCE / name).glob("*.ipynb")):
            nb = solution_notebook(src)
            t0 = time.perf_counter()
            notebooks.execute(nb, out_dir.resolve(), timeout=timeout)
            notebooks.write(nb, out_dir / src.name)
            print(f"  solutions/{name}/{src.name}: executed in {time.perf_counter() - t0:.1f} s", flush=True)


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")
            if p.is_file() and ".ipynb_checkpoints" not in p.parts and "__pycache__" not in p.parts}


def _cells_signature(nb, *, outputs: bool) -> list:
    sig = []
    for cell in nb.cells:
        entry = {"cell_type": cell.cell_type, "source": cell.source, "metadata": dict(cell.metadata)}
        if outputs and cell.cell_type == "code":
            entry["outputs"] = cell.outputs
        sig.append(entry)
    return json.loads(json.dumps(sig, sort_keys=True))


def check(names: list[str]) -> list[str]:
    """Describe every drift of course/release and solutions/ from course/source."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="springlab-release-") as tmp:
        fresh = Path(tmp)
        generate_release(names, fresh)
        for name in names:
            have, want = RELEASE / name, fresh / name
            if not have.is_dir():
                problems.append(f"course/release/{name}/ is missing")
                continue
            for rel in sorted(_files(have) ^ _files(want)):
                problems.append(f"course/release/{name}/{rel}: " +
                                ("not made by nbgrader from the source" if (have / rel).exists() else "missing"))
            for rel in sorted(_files(have) & _files(want)):
                a, b = have / rel, want / rel
                if rel.endswith(".ipynb"):
                    na, nb_ = notebooks.read(a), notebooks.read(b)
                    same = (_cells_signature(na, outputs=True) == _cells_signature(nb_, outputs=True)
                            and na.metadata == nb_.metadata)
                else:
                    same = a.read_bytes() == b.read_bytes()
                if not same:
                    problems.append(f"course/release/{name}/{rel}: differs from nbgrader's output for the source")
    for name in names:
        for src in sorted((SOURCE / name).glob("*.ipynb")):
            have = SOLUTIONS / name / src.name
            if not have.exists():
                problems.append(f"solutions/{name}/{src.name} is missing")
                continue
            nb_have = notebooks.read(have)
            if _cells_signature(nb_have, outputs=False) != _cells_signature(solution_notebook(src), outputs=False):
                problems.append(f"solutions/{name}/{src.name}: cells differ from course/source")
            if any(c.cell_type == "code" and c.source.strip() and c.execution_count is None for c in nb_have.cells):
                problems.append(f"solutions/{name}/{src.name}: not executed")
    extra = sorted({p.name for p in RELEASE.iterdir() if p.is_dir()} - set(assignments())) if RELEASE.exists() else []
    problems += [f"course/release/{e}/ has no source" for e in extra]
    extra = sorted({p.name for p in SOLUTIONS.iterdir() if p.is_dir()} - set(assignments())) if SOLUTIONS.exists() else []
    problems += [f"solutions/{e}/ has no source" for e in extra]
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="tools/build_course.py",
                                     description="Regenerate course/release and solutions/ from course/source.")
    parser.add_argument("--check", action="store_true",
                        help="rebuild into a temporary folder and exit 1 on drift; writes nothing")
    parser.add_argument("--only", nargs="+", metavar="ASSIGNMENT", help="only these assignments")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell when executing solutions")
    args = parser.parse_args(argv)
    names = args.only or assignments()
    unknown = sorted(set(names) - set(assignments()))
    if unknown:
        parser.error(f"no such assignment in course/source: {', '.join(unknown)}")
    t0 = time.perf_counter()
    if args.check:
        problems = check(names)
        for p in problems:
            print("DRIFT:", p)
        print(f"{'drift found' if problems else 'course/release and solutions/ match course/source'} "
              f"({time.perf_counter() - t0:.1f} s)")
        return 1 if problems else 0
    RELEASE.mkdir(exist_ok=True)
    SOLUTIONS.mkdir(exist_ok=True)
    print("nbgrader generate_assignment:", ", ".join(names), flush=True)
    generate_release(names, RELEASE)
    print("solutions:", flush=True)
    build_solutions(names, SOLUTIONS, timeout=args.timeout)
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
