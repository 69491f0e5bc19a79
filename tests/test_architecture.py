"""The layout is the architecture: import contracts, no long functions, old paths that still work.

CONTRIBUTING.md "Layout" maps the package; ``[tool.importlinter]`` in
pyproject.toml writes down which part may import which, and this file runs
it (and checks that it would catch a violation).
"""
import ast
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "springlab"
LINT = Path(sys.executable).with_name("lint-imports")
MAX_LINES = 80  # code lines of a function, its docstring not counted


def _lint(pythonpath: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run([str(LINT), "--config", str(ROOT / "pyproject.toml"), "--no-cache"], cwd=pythonpath,
                          env=env, capture_output=True, text=True, timeout=120)


def test_import_contracts_are_kept():
    out = _lint(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 kept, 0 broken" in out.stdout


@pytest.mark.parametrize("module, line, contract", [
    ("core/loadcurve.py", "from ..chains import theory", "Layers"),  # the vocabulary reaching up
    ("chains/theory.py", "from ..networks import runs", "Layers"),  # one half importing the other
    ("panels/base.py", "from ..networks.engine import adam", "fast engine"),  # the engine from a widget
    ("networks/runs.py", "from . import training", "cycles"),  # training imports runs
])
def test_import_contracts_catch_a_violation(tmp_path, module, line, contract):
    shutil.copytree(PACKAGE, tmp_path / "springlab", ignore=shutil.ignore_patterns("__pycache__", "results"))
    target = tmp_path / "springlab" / module
    target.write_text(target.read_text() + f"\n{line}  # added by the test\n")
    out = _lint(tmp_path)
    assert out.returncode != 0
    broken = [ln for ln in out.stdout.splitlines() if " BROKEN" in ln]
    assert any(contract in b for b in broken), out.stdout


def _long_functions():
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            doc = ast.get_docstring(node) or ""
            first = node.body[0]
            doc_lines = first.end_lineno - first.lineno + 1 if doc and isinstance(first, ast.Expr) else 0
            lines = node.end_lineno - node.lineno + 1 - doc_lines
            if lines > MAX_LINES and "Long because" not in doc:
                yield f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)"


def test_no_function_is_longer_than_a_screen_without_a_reason():
    """Over 80 code lines a function is split into named steps, or its docstring says why not ("Long because")."""
    assert list(_long_functions()) == []


OLD_PATHS = {
    "springlab.springs": "simulate_chain",
    "springlab.springs_reference": "simulate_reference",
    "springlab.chain_theory": "equilibrium",
    "springlab.training": "train",
    "springlab.batched": "train_batched",
    "springlab.sweep": "dnn_phase_diagram",
    "springlab.reproduce": "main",
    "springlab.loadcurve": "LoadCurve",
}


def test_old_module_paths_work_for_one_release_with_a_warning():
    code = (
        "import importlib, warnings, springlab as sl\n"
        "warnings.simplefilter('error')\n"
        f"for old, name in {OLD_PATHS!r}.items():\n"
        "    try:\n"
        "        importlib.import_module(old)\n"
        "        raise SystemExit(f'no warning for {old}')\n"
        "    except DeprecationWarning as w:\n"
        "        assert 'moved to springlab.' in str(w), w\n"
        "warnings.simplefilter('ignore')\n"
        f"for old, name in {OLD_PATHS!r}.items():\n"
        "    assert callable(getattr(importlib.import_module(old), name)), old\n"
        "from springlab.training import train\n"
        "from springlab.networks import MLP\n"
        "import springlab.separation\n"
        # the old module path must not hide the function of API.md
        "assert callable(sl.separation) and sl.separation.__name__ == 'separation'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stdout + out.stderr


def test_every_part_has_a_map_in_its_init():
    """Each folder of the package says in its __init__ docstring which module owns what."""
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and len(doc.splitlines()) >= 3, init


def test_importing_a_part_does_not_import_torch():
    """Lessons import widgets and chains before they set torch's threads (springlab.networks.threads)."""
    code = ("import sys, springlab.panels.chains, springlab.panels.networks, springlab.figures.fig1, "
            "springlab.networks.threads, springlab.core.energy; print('torch' in sys.modules)")
    with warnings.catch_warnings():
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stdout + out.stderr
