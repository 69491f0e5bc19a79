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


def test_lessons_and_solutions_pass_strict_nbval_with_plain_kernels_and_one_thread(tmp_path):
    env = {**os.environ, **SECOND, "NUMBA_CACHE_DIR": str(tmp_path / "numba-generic")}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    cmd = [sys.executable, "-m", "pytest", "lessons", "solutions", "-p", "no:cacheprovider", "-q",
           "-o", "addopts=--nbval --nbval-current-env --nbval-cell-timeout=600"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)
    tail = proc.stdout[-6000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, tail
    assert " passed" in proc.stdout and "failed" not in proc.stdout.splitlines()[-1], tail


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
