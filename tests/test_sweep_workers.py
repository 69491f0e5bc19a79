"""``dnn_phase_diagram(workers=n)`` from a script: spawned workers run the calling script again.

Without an ``if __name__ == "__main__":`` guard every worker would start the
sweep again and multiprocessing ends it with ``BrokenProcessPool`` under a
long traceback; the sweep stops first and says what to add (issue 16).
"""
import os
import runpy
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SWEEP = """sl.dnn_phase_diagram(alpha=[0.0, 1.0], knob=("dropout", (0.0, 0.2)), seeds=1, epochs=1, store=False,
                          progress=False, width=16, depth=2, threads=1, workers={workers})"""


def _run_script(tmp_path, source: str, timeout: float) -> subprocess.CompletedProcess:
    script = tmp_path / "sweep_script.py"
    script.write_text(textwrap.dedent(source))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          check=False, timeout=timeout)


def test_a_script_without_the_main_guard_stops_with_what_to_add(tmp_path):
    out = _run_script(tmp_path, f"""
        import springlab as sl
        print("top level ran")
        pd = {SWEEP.format(workers=2)}
        print("finished")
        """, timeout=60)
    assert out.returncode != 0
    assert "BrokenProcessPool" not in out.stderr, out.stderr
    assert "RuntimeError: dnn_phase_diagram(workers=2)" in out.stderr, out.stderr
    assert 'if __name__ == "__main__":' in out.stderr and "line 4" in out.stderr, out.stderr
    assert out.stdout.count("top level ran") == 1  # stopped before any worker ran the script again
    assert "finished" not in out.stdout


def test_a_script_with_the_main_guard_trains_in_workers_as_in_process(tmp_path):
    out = _run_script(tmp_path, f"""
        import numpy as np
        import springlab as sl

        if __name__ == "__main__":
            a = {SWEEP.format(workers=2)}
            b = {SWEEP.format(workers=1)}
            print("equal", np.array_equal(a.load_seeds, b.load_seeds), np.array_equal(a.test_accuracy, b.test_accuracy))
        """, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "equal True True" in out.stdout


def test_a_worker_running_the_script_again_stops_at_once(tmp_path):
    """What a spawned worker does with a script the check above let through: run it as ``__mp_main__``."""
    script = tmp_path / "sweep_script.py"
    script.write_text(f"import springlab as sl\nif True:\n    {SWEEP.format(workers=2)}\n")
    with pytest.raises(RuntimeError, match="__name__ == \"__main__\""):
        runpy.run_path(str(script), run_name="__mp_main__")


@pytest.mark.parametrize("source, line, runs", [
    ("import x\nrun()\n", 2, True),
    ("def main():\n    run()\n\nmain()\n", 4, True),  # the module's frame is at the call of main()
    ("with ctx():\n    for a in b:\n        run(a)\n", 3, True),
    ("try:\n    run()\nexcept E:\n    pass\n", 2, True),
    ("x = [\n    run()]\n", 2, True),  # the middle of a statement
    ('if __name__ == "__main__":\n    run()\n', 2, False),
    ('if __name__ == "__main__":\n    main()\nelse:\n    pass\n', 2, False),
    ("if args.parallel:\n    run()\n", 2, False),  # any if: the benefit of the doubt
    ("while go():\n    run()\n", 2, False),
    ("try:\n    pass\nexcept E:\n    run()\n", 4, False),
    ("def f():\n    run()\n", 2, False),
    ("x = (\n", 1, False),  # unparsable
])
def test_which_lines_of_a_script_run_when_it_is_imported_again(source, line, runs):
    from springlab.sweeps.networks import _runs_at_import

    assert _runs_at_import(source, line) is runs


@pytest.mark.parametrize("spec_name, file, rerun", [
    (None, "/home/me/sweep.py", True),  # python sweep.py
    ("tools.sweep", "/home/me/tools/sweep.py", True),  # python -m tools.sweep
    ("springlab.__main__", "/x/springlab/__main__.py", False),  # python -m springlab reproduce --workers 2
    (None, None, False),  # a notebook, python -c, stdin
])
def test_which_main_modules_spawned_workers_run_again(spec_name, file, rerun):
    import types

    from springlab.sweeps.networks import _script_is_reimported

    main = types.ModuleType("__main__")
    main.__spec__ = types.SimpleNamespace(name=spec_name) if spec_name else None
    if file:
        main.__file__ = file
    assert _script_is_reimported(main) is rerun
