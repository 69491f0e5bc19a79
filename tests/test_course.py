"""The graded course, checked with real nbgrader, offline, in a temporary copy of ``course/``.

* ``course/release`` and ``solutions/`` match ``course/source`` (``tools/build_course.py --check``),
  and the check notices drift;
* no solution code, hidden test or model answer reaches a released notebook;
* autograding: the released notebook with the answers of ``solutions/`` filled in
  earns every autograded point (the grader restores the hidden tests), the untouched
  student version none, each plausible wrong answer ("mutant") loses exactly the points
  of the tests meant to catch it, and an endless loop is interrupted by the
  cell timeout and scored zero without hanging the grader;
* the feedback a wrong student receives carries the test's explanation.

The solved notebooks themselves run under ``pytest --nbval solutions``.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"
SOURCE = COURSE / "source"
RELEASE = COURSE / "release"

ASSIGNMENTS = sorted(p.name for p in SOURCE.iterdir() if p.is_dir())
LOOP_TIMEOUT = 8  # seconds per cell for the endless-loop run (the course's own config says 120); ample for
# every other cell of problem set 1, even on two busy cores

# Plausible wrong answers. Each replaces one solution cell (by grade_id) of a
# correct submission and must lose the points of exactly these tests.
MUTANTS = {
    "symmetric_friction": dict(
        assignment="ps1_friction_step", cell="friction_activation", loses={"test_sigma_left_asymmetric"},
        source='''
def friction_activation(z, mu_right, mu_left):
    z = np.asarray(z, dtype=float)
    # wrong: the same friction on both sides
    return np.where(z > mu_right, z - mu_right, np.where(z < -mu_right, z + mu_right, 0.0))
'''),
    "euler_sign_error": dict(
        assignment="ps1_friction_step", cell="euler_step", loses={"test_euler_step", "test_relaxation"},
        source='''
def euler_step(x, zeta, *, k, y, mu_right, mu_left, eta, eps):
    eps_bar = eps / np.sqrt(eta)
    # wrong: steps against the force
    return x - eta * friction_activation(spring_force(x, k, y) + eps_bar * zeta, mu_right, mu_left)
'''),
    "eq7_friction_sign": dict(
        assignment="ps2_equilibrium", cell="equilibrium", loses={"test_equilibrium_eq7"},
        source='''
def equilibrium(L, k, y, mu_right):
    l = np.arange(1, L + 1)
    # wrong: friction pushes the blocks towards the target
    return y * l / (L + 1) + mu_right / k * (L * l / 2 - l * (l - 1) / 2)
'''),
    "layer_off_by_one": dict(
        assignment="ps4_data_separation", cell="load_curve", loses={"test_most_loaded_layer"},
        source='''
def load_curve(features, labels):
    return np.array([separation_D(f, labels) for f in features])


def shares(D):
    D = np.asarray(D, dtype=float)
    return D[:-1] - D[1:]


def most_loaded_layer(D):
    # wrong: a NumPy index (0-based), not the paper's layer number (1-based)
    return int(np.argmax(shares(D)))
'''),
}
# An endless loop in a student's function: `t` never equals t_max exactly
# (0.01 is not a binary fraction), so the test that calls relax() never returns.
LOOP = dict(
    assignment="ps1_friction_step", cell="relax", loses={"test_relaxation"},
    source='''
def relax(L=7, *, k=1.0, y=1.0, mu_right=0.0, mu_left=0.0, eta=0.01, eps=0.0, t_max=100.0, seed=0):
    rng = np.random.default_rng(seed)
    x, t = np.zeros(L), 0.0
    while t != t_max:
        x = euler_step(x, rng.standard_normal(L), k=k, y=y, mu_right=mu_right, mu_left=mu_left, eta=eta, eps=eps)
        t += eta
    return x
''')


def notebook_name(assignment: str) -> str:
    (nb,) = sorted((SOURCE / assignment).glob("*.ipynb"))
    return nb.name


def nbgrader(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")  # alembic (PITFALLS)
    env.pop("MPLBACKEND", None)
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def nbgrader_cells(nb):
    return [c for c in nb.cells if "nbgrader" in c.metadata]


def with_cell(nb, grade_id: str, source: str):
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    cell.source = source.strip("\n")
    return nb


def solved_release(assignment: str):
    """What a student who got everything right hands in: the released notebook with every answer cell
    (code and written) filled in as in ``solutions/`` (no hidden tests: the grader puts those back)."""
    nb = nbformat.read(str(RELEASE / assignment / notebook_name(assignment)), as_version=4)
    solved = nbformat.read(str(ROOT / "solutions" / assignment / notebook_name(assignment)), as_version=4)
    answers = {c.metadata.nbgrader["grade_id"]: c.source for c in nbgrader_cells(solved)
               if c.metadata.nbgrader["solution"]}
    for cell in nbgrader_cells(nb):
        if cell.metadata.nbgrader["solution"]:
            cell.source = answers[cell.metadata.nbgrader["grade_id"]]
    return nb


def submit(course: Path, student: str, assignment: str, nb) -> None:
    dest = course / "submitted" / student / assignment
    dest.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(dest / notebook_name(assignment)))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A temporary course: generated, submissions made and autograded; yields scores and timings."""
    course = tmp_path_factory.mktemp("course") / "course"
    course.mkdir()
    shutil.copy2(COURSE / "nbgrader_config.py", course)
    shutil.copy2(COURSE / "safe_feedback.py", course)  # the config's feedback preprocessor (generate_feedback)
    shutil.copytree(SOURCE, course / "source")
    nbgrader(["generate_assignment", "*", "--force"], cwd=course)
    for a in ASSIGNMENTS:
        submit(course, "solution", a, solved_release(a))
        submit(course, "untouched", a, nbformat.read(str(course / "release" / a / notebook_name(a)), as_version=4))
    for name, m in MUTANTS.items():
        submit(course, name, m["assignment"], with_cell(solved_release(m["assignment"]), m["cell"], m["source"]))
    t0 = time.perf_counter()
    nbgrader(["autograde", "*"], cwd=course)
    times = {"autograde": time.perf_counter() - t0}

    submit(course, "endless_loop", LOOP["assignment"],
           with_cell(solved_release(LOOP["assignment"]), LOOP["cell"], LOOP["source"]))
    t0 = time.perf_counter()
    # A short cell timeout keeps the test fast; the hard limit guards against a hung grader.
    nbgrader(["autograde", LOOP["assignment"], "--student", "endless_loop", f"--Execute.timeout={LOOP_TIMEOUT}"],
             cwd=course, timeout=300)
    times["endless_loop"] = time.perf_counter() - t0
    print("autograde timings (s):", {k: round(v, 1) for k, v in times.items()})

    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                (sub_nb,) = sub.notebooks
                scores[(assignment.name, sub.student.id)] = {
                    "code": sub.code_score, "max_code": sub.max_code_score, "max_written": sub.max_written_score,
                    "cells": {g.name: (g.score, g.max_score) for g in sub_nb.grades if g.cell.cell_type == "code"},
                }
    return {"course": course, "scores": scores, "times": times}


# -- the course's shape ---------------------------------------------------------------------------

def test_course_layout_and_metadata():
    assert len(ASSIGNMENTS) >= 5, ASSIGNMENTS
    config = (COURSE / "nbgrader_config.py").read_text()
    assert re.search(r"c\.Execute\.timeout\s*=\s*\d+", config), "the course must set a cell timeout"
    for a in ASSIGNMENTS:
        nb = nbformat.read(str(SOURCE / a / notebook_name(a)), as_version=4)
        assert "widgets" not in nb.metadata, f"{a}: source keeps metadata.widgets"
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{a}: source has outputs"
        cells = nbgrader_cells(nb)
        tests = [c for c in cells if c.metadata.nbgrader["grade"] and c.cell_type == "code"]
        assert len(tests) >= 4, f"{a}: too few autograded tests"
        assert any("### BEGIN HIDDEN TESTS" in c.source for c in tests), f"{a}: no hidden tests"
        for c in cells:
            meta = c.metadata.nbgrader
            assert meta["schema_version"] == 3 and {"grade", "grade_id", "locked", "solution"} <= set(meta)
            if meta["grade"]:
                assert meta["points"] > 0, f"{a}/{meta['grade_id']}: no points"
            if meta["grade"] and c.cell_type == "code":
                assert "assert" in c.source and re.search(r"assert .*,\s*\(?\s*f?\"", c.source), (
                    f"{a}/{meta['grade_id']}: tests need assert messages that explain")
        assert nb.cells[0].cell_type == "markdown" and "What you will learn" in nb.cells[0].source
        stated = re.search(r"Autograded points: (\d+)", nb.cells[0].source)
        assert stated and int(stated.group(1)) == sum(c.metadata.nbgrader["points"] for c in tests), (
            f"{a}: the introduction states other autograded points than the test cells carry")


def test_hand_graded_written_answer():
    nb = nbformat.read(str(SOURCE / "ps5_phase_diagram" / notebook_name("ps5_phase_diagram")), as_version=4)
    written = [c for c in nb.cells if c.cell_type == "markdown"
               and c.metadata.get("nbgrader", {}).get("solution") and c.metadata.nbgrader.get("grade")]
    assert len(written) == 1 and written[0].metadata.nbgrader["points"] == 3


def test_build_check_passes():
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "build_course.py"), "--check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"course/release or solutions/ drifted from course/source; run " \
                                 f"`python tools/build_course.py`:\n{proc.stdout}\n{proc.stderr[-2000:]}"


def test_build_check_notices_drift(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("build_course", ROOT / "tools" / "build_course.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    a = "ps3_effective_friction"
    release, solutions = tmp_path / "release", tmp_path / "solutions"
    shutil.copytree(RELEASE / a, release / a)
    shutil.copytree(ROOT / "solutions" / a, solutions / a)
    monkeypatch.setattr(build, "RELEASE", release)
    monkeypatch.setattr(build, "SOLUTIONS", solutions)
    # nbgrader's real output is compared with the repository by test_build_check_passes; here the
    # committed release stands in for it, so that this test checks only that edits are noticed.
    monkeypatch.setattr(build, "generate_release",
                        lambda names, dest: [shutil.copytree(RELEASE / n, dest / n) for n in names])
    assert build.check([a]) == []
    for folder in (release, solutions):
        path = folder / a / notebook_name(a)
        nb = nbformat.read(str(path), as_version=4)
        nb.cells[-1].source += "\n# edited by hand"
        nbformat.write(nb, str(path))
    problems = build.check([a])
    assert any(p.startswith(f"course/release/{a}/") for p in problems), problems
    assert any(p.startswith(f"solutions/{a}/") for p in problems), problems


def test_nothing_secret_is_released():
    released = {a: (RELEASE / a / notebook_name(a)).read_text() for a in ASSIGNMENTS}
    for a, text in released.items():
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "Model answer"):
            assert marker not in text, f"{a}: {marker!r} in the released notebook"
        nb = nbformat.reads(text, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{a}: released with outputs"
        released_lines = {line.strip() for c in nb.cells for line in c.source.splitlines()}
        src = nbformat.read(str(SOURCE / a / notebook_name(a)), as_version=4)
        visible = set()
        secret = set()
        for c in src.cells:
            inside = None
            for line in c.source.splitlines():
                s = line.strip()
                if s in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"):
                    inside = s
                elif s in ("### END SOLUTION", "### END HIDDEN TESTS"):
                    inside = None
                elif inside:
                    secret.add(s)
                else:
                    visible.add(s)
            if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution"):
                secret |= {line.strip() for line in c.source.splitlines()}
        # lines that also appear outside the secret parts (imports, "return x") prove nothing
        leaked = {s for s in secret - visible if len(s) > 12 and s in released_lines}
        assert not leaked, f"{a}: solution or hidden-test lines in the release: {sorted(leaked)[:5]}"


# -- autograding ------------------------------------------------------------------------------------

def test_solution_earns_full_marks(graded):
    for a in ASSIGNMENTS:
        s = graded["scores"][(a, "solution")]
        assert s["max_code"] > 0 and s["code"] == s["max_code"], (a, s["cells"])


def test_untouched_release_earns_zero(graded):
    for a in ASSIGNMENTS:
        s = graded["scores"][(a, "untouched")]
        assert s["code"] == 0 and s["max_code"] > 0, (a, s["cells"])


def test_written_answer_is_left_to_the_grader(graded):
    assert graded["scores"][("ps5_phase_diagram", "solution")]["max_written"] == 3


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_wrong_answer_loses_exactly_its_tests(graded, name):
    m = MUTANTS[name]
    cells = graded["scores"][(m["assignment"], name)]["cells"]
    lost = {gid for gid, (score, max_score) in cells.items() if score < max_score}
    assert lost == m["loses"], f"{name}: lost points in {sorted(lost)}, expected {sorted(m['loses'])}"
    for gid in m["loses"]:
        assert cells[gid][0] == 0, f"{name}: {gid} should score 0, scored {cells[gid][0]}"


def test_endless_loop_times_out_and_scores_zero(graded):
    s = graded["scores"][(LOOP["assignment"], "endless_loop")]
    lost = {gid for gid, (score, max_score) in s["cells"].items() if score < max_score}
    assert lost == LOOP["loses"] and all(s["cells"][g][0] == 0 for g in lost), s["cells"]
    # two cells call the looping function (its test and a demo): each is stopped after the cell timeout
    assert graded["times"]["endless_loop"] < 2 * LOOP_TIMEOUT + 60, graded["times"]
    nb = nbformat.read(str(graded["course"] / "autograded" / "endless_loop" / LOOP["assignment"]
                           / notebook_name(LOOP["assignment"])), as_version=4)
    (test_cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_relaxation"]
    errors = [o for o in test_cell.outputs if o.output_type == "error"]
    assert errors and any(o.ename in ("KeyboardInterrupt", "CellTimeoutError") for o in errors), test_cell.outputs


def test_feedback_explains_the_mistake(graded):
    course = graded["course"]
    nbgrader(["generate_feedback", "ps1_friction_step", "--student", "symmetric_friction"], cwd=course)
    html = (course / "feedback" / "symmetric_friction" / "ps1_friction_step"
            / notebook_name("ps1_friction_step").replace(".ipynb", ".html")).read_text()
    assert "did you use mu_right on both sides?" in html


def solution_namespace(assignment: str, grade_ids: list[str], **names) -> dict:
    """Run the given solution cells of a source notebook; return their namespace."""
    nb = nbformat.read(str(SOURCE / assignment / notebook_name(assignment)), as_version=4)
    namespace = {"np": np, **names}
    for gid in grade_ids:
        (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid]
        exec(cell.source, namespace)
    return namespace


def test_exercises_agree_with_springlab_chains():
    """What problem sets 1-3 teach is what the package computes (SPEC §2)."""
    from scipy.stats import norm

    import springlab as sl

    # springlab is this project, not an optional tool: an ImportError or a missing name fails, never skips
    sigma, equilibrium, mu_eff = sl.friction_activation, sl.equilibrium, sl.effective_friction
    ns = solution_namespace("ps1_friction_step", ["friction_activation"])
    z = np.linspace(-1, 1, 201)
    for mr, ml in [(0.1, 0.2), (0.04, 0.12), (0.0, 0.1)]:
        np.testing.assert_allclose(ns["friction_activation"](z, mr, ml), sigma(z, mr, ml))
    ns = solution_namespace("ps2_equilibrium", ["equilibrium"])
    for L, k, y, mu in [(7, 1.0, 3.0, 0.1), (4, 2.0, 1.0, 0.05)]:
        np.testing.assert_allclose(ns["equilibrium"](L, k, y, mu), equilibrium(L, k, y, mu))
    ns = solution_namespace("ps3_effective_friction", ["effective_friction_exact"], norm=norm)
    for f, e, mr, ml in [(0.04, 0.3, 0.04, 0.12), (0.3, 0.05, 0.1, 0.2), (0.0, 2.0, 0.0, 0.1)]:
        np.testing.assert_allclose(ns["effective_friction_exact"](f, e, mr, ml), mu_eff(f, e, mr, ml), rtol=1e-6)


def test_exercise_D_agrees_with_springlab():
    """The convention taught in problem set 4 is the package's (SPEC §3.2)."""
    from springlab import separation  # an ImportError fails the test (springlab is not optional)
    ns = solution_namespace("ps4_data_separation", ["scatter_traces", "separation_D"])
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), [20, 30, 40, 50])
    X = rng.normal(size=(len(labels), 6)) + rng.normal(size=(4, 6))[labels]
    assert np.isclose(ns["separation_D"](X, labels), separation(X, labels, kind="D"), rtol=1e-6)


def test_notebook_tool_cleans_volatile_metadata(tmp_path):
    """tools/notebooks.py: execute keeps outputs and drops widget state and timings."""
    spec = importlib.util.spec_from_file_location("notebooks_tool", ROOT / "tools" / "notebooks.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.metadata["kernelspec"] = {"name": "some-other-kernel", "display_name": "x", "language": "python"}
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, str(path))
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "notebooks.py"), "execute", str(path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = nbformat.read(str(path), as_version=4)
    assert "widgets" not in out.metadata and out.metadata.kernelspec["name"] == "python3"
    (cell,) = out.cells
    assert cell.outputs[0]["text"] == "42\n" and "execution" not in cell.metadata
    cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00"}
    tool.clean(out)
    assert "execution" not in cell.metadata and cell.outputs
