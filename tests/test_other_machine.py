"""The lessons and solved exercises pass strict nbval on another machine's kernels too.

Instructors run ``pytest --nbval lessons`` on other CPUs. The main run of the
suite compares the stored outputs on this machine's kernels (PyTorch picks
AVX512, AVX2 or plain code by CPU; numba compiles for this CPU). This test
runs the same strict comparison again in a child pytest under a second
configuration, the one the stored outputs were not made with:

* ``ATEN_CPU_CAPABILITY=default`` -- PyTorch's plain (unvectorised) kernels,
  which add numbers in another order: training ends a few thousandths away;
* one torch thread (``OMP_NUM_THREADS=1``) -- the solutions that do not set
  their thread count run on one thread instead of two;
* ``NUMBA_CPU_NAME=generic`` and one numba thread -- the chain kernels
  compiled for a generic x86-64 CPU (own cache folder), run serially.

What lessons print is chosen to hold under both (CONTRIBUTING.md, "Lesson
outputs"; ``python tools/kernel_spread.py`` measures the spread of every
printed quantity over AVX512, AVX2 and DEFAULT).
"""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECOND = {"ATEN_CPU_CAPABILITY": "default", "OMP_NUM_THREADS": "1", "NUMBA_CPU_NAME": "generic",
          "NUMBA_NUM_THREADS": "1"}


# Two child runs side by side, each on one thread (the second configuration's), so the comparison
# takes about half the wall time on two cores. Split so that each takes about as long: the
# longest lesson (09, which trains to a fixed loss) goes with the chain lessons and the solutions.
HALVES = (["lessons/09_generalization.ipynb", *(f"lessons/0{i}_" for i in range(6)), "solutions"],
          ["lessons/06_", "lessons/07_", "lessons/08_", "lessons/10_", "lessons/11_"])


def _paths(prefixes: list[str]) -> list[str]:
    """The notebooks (or folders) whose repository paths start with the given prefixes."""
    out = []
    for prefix in prefixes:
        if (ROOT / prefix).is_dir() or prefix.endswith(".ipynb"):
            out.append(prefix)
        else:
            out += sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(prefix + "*.ipynb"))
    return out


def test_lessons_and_solutions_pass_strict_nbval_with_plain_kernels_and_one_thread(tmp_path):
    halves = [_paths(h) for h in HALVES]
    every = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(p for h in halves for p in h if p.startswith("lessons/")) == every, "a lesson is in no half"
    procs = []
    for i, half in enumerate(halves):
        env = {**os.environ, **SECOND, "NUMBA_CACHE_DIR": str(tmp_path / f"numba-generic-{i}")}
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        cmd = [sys.executable, "-m", "pytest", *half, "-p", "no:cacheprovider", "-q",
               "-o", "addopts=--nbval --nbval-current-env --nbval-cell-timeout=600"]
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True))
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=1500)
        tail = stdout[-6000:] + stderr[-2000:]
        assert proc.returncode == 0, tail
        assert " passed" in stdout and "failed" not in stdout.splitlines()[-1], tail


def test_the_child_run_really_uses_the_second_configuration():
    code = ("import torch, numba; print(torch.backends.cpu.get_cpu_capability(), torch.get_num_threads(), "
            "numba.config.NUMBA_NUM_THREADS, numba.config.CPU_NAME)")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **SECOND}, capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.split() == ["DEFAULT", "1", "1", "generic"], out.stdout + out.stderr


def test_every_lesson_compares_at_least_two_cells():
    """Strict nbval compares a code cell's text outputs unless the cell is tagged to skip them."""
    import nbformat

    for path in sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        compared = [c for c in nb.cells if c.cell_type == "code"
                    and not {"nbval-ignore-output", "nbval-skip"} & set(c.metadata.get("tags", []))
                    and any(o.output_type == "stream" or "text/plain" in o.get("data", {}) for o in c.outputs)]
        assert len(compared) >= 2, (path.name, len(compared))
