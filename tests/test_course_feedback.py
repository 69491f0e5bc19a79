"""The feedback students receive: each test's outcome, points and message, and nothing hidden.

Real nbgrader, offline, in a temporary copy of ``course/``, following course/INSTRUCTORS.md: set up
(``generate_assignment "*" --force``, ``db student add``), hand in by copying into ``submitted/``,
``autograde`` and ``generate_feedback`` for every problem set. Two students per problem set:

* ``untouched`` hands in the student version as released (every answer raises NotImplementedError);
* ``hidden_fails`` hands in the solved notebook with one plausible wrong answer that passes the
  visible tests of its test cell and fails the hidden ones (``HIDDEN_FAILS``).

Checks on the feedback HTML (as text: tags stripped, entities decoded):

* no line of any hidden region of ``course/source`` appears -- every non-blank line, delimiters
  included; a line that also occurs in the visible notebook may appear as often as it occurs there;
* no traceback of a test cell: no ``Cell In[n]`` frame of a test cell, not the ``---> 20 ...``
  line at which it failed (a hidden test's line for ``hidden_fails``), no
  ``Traceback (most recent call last)`` beyond those of the student's own cells;
* every test cell shows its score and points (from the gradebook), its outcome and its error
  message; each hidden test region is replaced by one line with its outcome (failed, not run,
  passed), each region of the grader's own code (its set-up, which swaps in correct versions of
  the other parts and watches the graded function) by one line that says so;
* the same checks find the leaks in plain nbgrader feedback (``--HideHiddenTests.enabled=False``),
  so they are not vacuous;
* no nbgrader command warns about the configuration;
* on a made-up cell, HideHiddenTests withholds an error message and a warning line that quote
  hidden code (no real test does that yet).
"""
from __future__ import annotations

import html
import importlib.util
import re
import shutil
from pathlib import Path

import nbformat
import pytest

# helpers of the course's main test (tests/test_course.py)
from test_course import (ASSIGNMENTS, COURSE, RELEASE, SOURCE, nbgrader, notebook_name, solved_release, with_cell,
                         wrong_source)

STUDENTS = ("untouched", "hidden_fails")


def students(a: str) -> tuple[str, ...]:
    """Who hands in problem set ``a``: ``hidden_fails`` only where HIDDEN_FAILS has a wrong answer for it
    (a new problem set gets one there; until then its feedback is checked on ``untouched`` alone)."""
    return STUDENTS if a in HIDDEN_FAILS else STUDENTS[:1]
# A wrong answer per problem set that passes the visible tests of `test` and fails its hidden
# tests with `message` (the hidden assertion's message, which the student should read).
HIDDEN_FAILS = {
    "ps1_friction_step": dict(
        cell="relax", test="test_relaxation", message="draw one rng.standard_normal(L) per step",
        source=wrong_source("ps1_friction_step", "relax", "other_seed")),
    "ps2_equilibrium": dict(
        cell="min_extension", test="test_min_extension", message="is not where x_1* of Eq. (7) reaches 0",
        source=wrong_source("ps2_equilibrium", "min_extension", "forgets_k")),
    "ps3_effective_friction": dict(
        cell="noisy_shape", test="test_noisy_shape", message="what is the sign of Delta d* under strong noise",
        source='''
def noisy_shape(mu_right, mu_left):
    return "concave" if mu_right > mu_left else "convex"  # wrong: forgets equal frictions
'''),
    "ps4_data_separation": dict(
        cell="scatter_matrices", test="test_scatter_matrices", message="is wrong for random data in 3 classes",
        source='''
def scatter_matrices(X, labels):
    X = np.asarray(X, dtype=float)[:, :1]  # wrong: only the first feature
    labels = np.asarray(labels)
    within, between = np.zeros((1, 1)), np.zeros((1, 1))
    for c in np.unique(labels):
        Xc = X[labels == c]
        within += len(Xc) / len(X) * np.var(Xc)
        between += len(Xc) / len(X) * (Xc.mean() - X.mean()) ** 2
    return within, between
'''),
    "ps5_phase_diagram": dict(
        cell="classify", test="test_classify", message="the thresholds belong to the bent shapes",
        source=wrong_source("ps5_phase_diagram", "classify", "thresholds_linear")),
    "ps6_generalization": dict(
        cell="rows_against_claim", test="test_rows", message="rows_against_claim(claim, z=1.0) is wrong",
        source='''
def rows_against_claim(claim, z=2.0):
    rows = set()
    for name, pd in claim.diagrams.items():
        for i, alpha in enumerate(pd.rows[1]):
            gap, se = claim.linear_gap[name][i], claim.linear_gap_se[name][i]
            if claim.best_in_row[name][i] != "linear" and (np.isnan(gap) or gap > 2.0 * se):  # wrong: ignores z
                rows.add((name, round(float(alpha), 1)))
    return rows
'''),
    "ps7_capstone_fit": dict(
        cell="best_scale", test="test_best_scale", message="when the chain moves against the gains",
        source='''
def best_scale(X, G):
    X, G = np.asarray(X, dtype=float), np.asarray(G, dtype=float)
    xx = np.sum(X * X)
    a = float(np.sum(X * G) / xx) if xx > 0 else 0.0  # wrong: not clipped at 0
    return a, float(np.sum((G - a * X) ** 2) / np.sum(G * G))
'''),
}
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
FRAME_RE = re.compile(r"^\s*Cell\s+In\s*\[(\d+)\]\s*,\s*line\s+(\d+)")
# what a WARNING about the configuration looks like (traitlets, nbgrader's CourseDirectory)
CONFIG_WARNING_RE = re.compile(r"config|not recognized|not absolute|did you mean", re.IGNORECASE)


def html_text(path: Path) -> str:
    """The text a reader of the HTML sees: styles and scripts dropped, tags stripped, entities decoded."""
    raw = path.read_text(encoding="utf-8")
    raw = re.sub(r"(?is)<(style|script)\b.*?</\1>", "", raw)
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def hidden_regions(source: str) -> list[list[str]]:
    """The lines of each hidden region of a cell, delimiters included."""
    regions, current = [], None
    for line in source.split("\n"):
        if current is None and "BEGIN HIDDEN TESTS" in line:
            current = [line]
        elif current is not None:
            current.append(line)
            if "END HIDDEN TESTS" in line:
                regions.append(current)
                current = None
    assert current is None, "unterminated hidden region"
    return regions


def is_grader_code(region: list[str]) -> bool:
    """A hidden region of the grader's own code, not a test (as course/safe_feedback.py decides)."""
    body = [line.strip() for line in region[1:-1] if line.strip()]
    return not any("assert" in line for line in body) or body[0].startswith("# The grader's set-up")


def graded_regions(source: str) -> list[tuple[int, int]]:
    """1-based (first, last) lines of each hidden region of a cell that tests something."""
    lines, out, start = source.split("\n"), [], None
    for i, line in enumerate(lines, 1):
        if start is None and "BEGIN HIDDEN TESTS" in line:
            start = i
        elif start is not None and "END HIDDEN TESTS" in line:
            if not is_grader_code(lines[start - 1:i]):
                out.append((start, i))
            start = None
    return out


def hidden_lines(assignment: str) -> list[str]:
    """Every non-blank line of every hidden region of the source notebook, stripped."""
    nb = nbformat.read(str(SOURCE / assignment / notebook_name(assignment)), as_version=4)
    return [line.strip() for c in nb.cells if c.cell_type == "code"
            for region in hidden_regions(c.source) for line in region if line.strip()]


def is_test_cell(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade", False) and not meta.get("solution", False)


def plain(text: str) -> str:
    return ANSI_RE.sub("", text)


def failing_line(cell) -> int | None:
    """1-based line of a test cell at which it raised (from its own traceback frame)."""
    for out in cell.outputs:
        if out.output_type == "error":
            for entry in out.traceback:
                for line in plain(entry).split("\n"):
                    m = FRAME_RE.match(line)
                    if m and int(m.group(1)) == cell.execution_count:
                        return int(m.group(2))
    return None


def segment(text: str, grade_id: str) -> str:
    """The feedback text of one test cell: from its heading to the next graded cell's heading."""
    start = text.index(f"Grade cell: {grade_id}")
    ends = [i for i in (text.find("Grade cell: ", start + 1), text.find("Student's answer", start + 1)) if i > 0]
    return text[start:min(ends, default=len(text))]


def output_text(cell) -> str:
    texts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            texts.append(out.text)
        elif out.output_type == "error":
            texts += [plain(t) for t in out.traceback]
        else:
            texts += [v if isinstance(v, str) else "\n".join(v) for k, v in out.get("data", {}).items()
                      if k.startswith("text/")]
    return "\n".join(texts)


def leaks(text: str, assignment: str, submitted, graded) -> list[str]:
    """Hidden lines found in ``text`` more often than the student's own material shows them.

    A line that occurs only in hidden regions must not occur at all. A line that also occurs in
    the visible notebook (``x = np.zeros(L)``) may occur as often as the handed-in sources and
    the outputs of the student's own (non-test) cells show it: a traceback of the student's
    cell quotes that cell's lines.
    """
    visible = "\n".join(c.source for c in submitted.cells)
    own_outputs = "\n".join(output_text(c) for c in graded.cells if c.cell_type == "code" and not is_test_cell(c))
    found = []
    for s in hidden_lines(assignment):
        allowed = visible.count(s) + own_outputs.count(s) if s in visible else 0
        if text.count(s) > allowed:
            found.append(s)
    return found


def config_warnings(log: str) -> list[str]:
    return [line for line in log.splitlines() if "WARNING" in line and CONFIG_WARNING_RE.search(line)]


@pytest.fixture(scope="module")
def feedback_course(tmp_path_factory):
    """A fresh copy of course/, graded as INSTRUCTORS.md says; yields paths, scores and the command logs."""
    course = tmp_path_factory.mktemp("feedback") / "course"
    shutil.copytree(COURSE, course, ignore=shutil.ignore_patterns(
        "gradebook.db", "submitted", "autograded", "feedback", "exchange", "downloaded", "*.log",
        ".ipynb_checkpoints", "__pycache__"))
    logs: dict[str, str] = {}

    def run(*args: str) -> None:
        proc = nbgrader(list(args), cwd=course)
        logs[" ".join(args)] = proc.stdout + proc.stderr

    run("generate_assignment", "*", "--force")  # "Setting up": registers the assignments in the gradebook
    for student in STUDENTS:
        run("db", "student", "add", student, f"--first-name={student}", "--last-name=Test")
    for a in ASSIGNMENTS:
        handed_in = {"untouched": nbformat.read(str(RELEASE / a / notebook_name(a)), as_version=4)}
        if a in HIDDEN_FAILS:
            handed_in["hidden_fails"] = with_cell(solved_release(a), HIDDEN_FAILS[a]["cell"], HIDDEN_FAILS[a]["source"])
        for student, nb in handed_in.items():
            dest = course / "submitted" / student / a
            dest.mkdir(parents=True)
            nbformat.write(nb, str(dest / notebook_name(a)))
    for a in ASSIGNMENTS:
        run("autograde", a)
    for a in ASSIGNMENTS:
        run("generate_feedback", a)
    # plain nbgrader's feedback, for the check that the checks find its leaks
    run("generate_feedback", "*", "--HideHiddenTests.enabled=False", "--CourseDirectory.feedback_directory=plain")

    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for a in ASSIGNMENTS:
            for student in students(a):
                (sub_nb,) = gb.find_submission(a, student).notebooks
                scores[(a, student)] = {g.name: (g.score, g.max_score) for g in sub_nb.grades}
    return {"course": course, "logs": logs, "scores": scores}


def read_nb(course: Path, folder: str, student: str, a: str):
    return nbformat.read(str(course / folder / student / a / notebook_name(a)), as_version=4)


def feedback_html(course: Path, student: str, a: str, folder: str = "feedback") -> Path:
    return course / folder / student / a / notebook_name(a).replace(".ipynb", ".html")


def test_setting_up_leaves_the_release_unchanged(feedback_course):
    """INSTRUCTORS.md's set-up step regenerates course/release: it must come out as committed."""
    course = feedback_course["course"]
    for a in ASSIGNMENTS:
        for path in sorted((RELEASE / a).rglob("*")):
            if path.is_file():
                assert (course / "release" / a / path.relative_to(RELEASE / a)).read_bytes() == path.read_bytes(), (
                    f"nbgrader generate_assignment changed {path.relative_to(COURSE)}")


@pytest.mark.parametrize("a", sorted(HIDDEN_FAILS))
def test_the_wrong_answer_fails_only_hidden_tests(feedback_course, a):
    """The premise of `hidden_fails`: its test cell failed inside a hidden region, after its visible tests."""
    spec = HIDDEN_FAILS[a]
    nb = read_nb(feedback_course["course"], "autograded", "hidden_fails", a)
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == spec["test"]]
    line = failing_line(cell)
    assert line is not None, cell.outputs
    regions = graded_regions(cell.source)
    assert any(begin < line < end for begin, end in regions), (
        f"{a}/{spec['test']} failed at line {line}, not in a hidden test region {regions}")
    assert feedback_course["scores"][(a, "hidden_fails")][spec["test"]][0] == 0


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_feedback_shows_no_hidden_test_line(feedback_course, a):
    course = feedback_course["course"]
    assert len(hidden_lines(a)) >= 10
    for student in students(a):
        text = html_text(feedback_html(course, student, a))
        found = leaks(text, a, read_nb(course, "submitted", student, a), read_nb(course, "autograded", student, a))
        assert not found, f"{a}, {student}: hidden-test lines in the feedback: {found[:5]}"


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_feedback_shows_no_traceback_of_a_test(feedback_course, a):
    course = feedback_course["course"]
    for student in students(a):
        text = html_text(feedback_html(course, student, a))
        graded = read_nb(course, "autograded", student, a)
        own_errors = 0
        for cell in graded.cells:
            if cell.cell_type != "code" or not any(o.output_type == "error" for o in cell.outputs):
                continue
            if not is_test_cell(cell):
                own_errors += 1  # the student's own cell: its traceback shows the student's code
                continue
            assert f"Cell In[{cell.execution_count}]" not in text, (
                f"{a}, {student}: a traceback frame of test cell {cell.metadata.nbgrader['grade_id']}")
            # the frames of the test cell itself (further frames are the student's functions it called)
            frames = [plain(entry).split("\n") for o in cell.outputs if o.output_type == "error"
                      for entry in o.traceback]
            own = [lines for lines in frames  # (the first frame shares its entry with the header line)
                   if any((m := FRAME_RE.match(s)) and int(m.group(1)) == cell.execution_count for s in lines)]
            # the line it stopped at: "---> 20 assert ..." (IPython right-aligns the number)
            arrows = [s.strip() for lines in own for s in lines if re.match(r"\s*-+>\s*\d+ ", s)]
            assert arrows, frames
            for s in arrows:
                assert s not in text, f"{a}, {student}: traceback line {s!r} in the feedback"
        assert text.count("Traceback (most recent call last)") <= own_errors, f"{a}, {student}"


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_feedback_shows_outcome_points_and_message(feedback_course, a):
    course = feedback_course["course"]
    outcomes = set()
    for student in students(a):
        text = html_text(feedback_html(course, student, a))
        graded = read_nb(course, "autograded", student, a)
        scores = feedback_course["scores"][(a, student)]
        for cell in filter(is_test_cell, graded.cells):
            gid = cell.metadata.nbgrader["grade_id"]
            part = segment(text, gid)
            score, points = scores[gid]
            assert f"Score: {round(float(score), 2)} / {round(float(points), 2)}" in part, (a, student, gid, part[:300])
            outcome = "passed" if score == points else "failed"
            unit = "point" if points == 1 else "points"
            assert f"Test result: {outcome} ({float(score):g} of {float(points):g} {unit})" in part, (
                a, student, gid, part[-600:])
            for out in cell.outputs:
                if out.output_type == "error":
                    assert f"{out.ename}: {out.evalue}" in part, (a, student, gid, part[-600:])
            n_regions = len(graded_regions(cell.source))
            n_grader = len(hidden_regions(cell.source)) - n_regions
            assert part.count("# the grader's code (not shown)") == n_grader, (a, student, gid, part[:600])
            found = re.findall(r"# hidden tests \(not shown; part of this cell's [\d.]+ points?\): "
                               r"(failed|not run|passed|not passed)", part)
            assert len(found) == n_regions, (a, student, gid, found)
            outcomes.update(found)
            if student == "hidden_fails" and gid == HIDDEN_FAILS[a]["test"]:
                assert found == ["failed"], (a, gid, found)
                assert HIDDEN_FAILS[a]["message"] in part, (a, gid, part[-600:])
    if a in HIDDEN_FAILS:
        assert {"failed", "not run", "passed"} <= outcomes, (a, outcomes)


@pytest.mark.parametrize("a", sorted(HIDDEN_FAILS))
def test_the_checks_find_the_leaks_of_plain_nbgrader(feedback_course, a):
    """Without HideHiddenTests the same checks fail: hidden lines and test tracebacks are in the feedback."""
    course = feedback_course["course"]
    text = html_text(feedback_html(course, "hidden_fails", a, folder="plain"))
    graded = read_nb(course, "autograded", "hidden_fails", a)
    assert leaks(text, a, read_nb(course, "submitted", "hidden_fails", a), graded)
    (cell,) = [c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == HIDDEN_FAILS[a]["test"]]
    assert f"Cell In[{cell.execution_count}]" in text


def test_no_command_warns_about_the_configuration(feedback_course, tmp_path):
    """Neither the grading commands above nor a few others, in a course without a gradebook yet."""
    for command, log in feedback_course["logs"].items():
        assert not config_warnings(log), f"nbgrader {command}: {config_warnings(log)}"
    course = tmp_path / "course"
    course.mkdir()
    for name in ("nbgrader_config.py", "safe_feedback.py"):
        shutil.copy2(COURSE / name, course / name)
    shutil.copytree(SOURCE / "ps3_effective_friction", course / "source" / "ps3_effective_friction")
    for args in (["db", "student", "add", "alice", "--first-name=Alice", "--last-name=Liddell"],
                 ["db", "student", "list"],
                 ["generate_assignment", "ps3_effective_friction"],
                 ["db", "assignment", "list"]):
        proc = nbgrader(args, cwd=course)
        out = proc.stdout + proc.stderr
        assert "WARNING" not in out, f"nbgrader {' '.join(args)}:\n{out}"


def load_safe_feedback():
    spec = importlib.util.spec_from_file_location("safe_feedback_under_test", COURSE / "safe_feedback.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_text_quoting_hidden_code_is_withheld():
    """HideHiddenTests on a made-up autograded cell: a message or warning that quotes hidden code."""
    safe_feedback = load_safe_feedback()
    hidden = "_reference = compute_reference(17)"
    meta = dict(grade=True, solution=False, locked=True, grade_id="test_f", points=2, score=0.0, schema_version=3)
    cell = nbformat.v4.new_code_cell(
        source="\n".join(['assert f(1) == 1, "f(1) should be 1"', "### BEGIN HIDDEN TESTS", hidden,
                          "assert f(17) == _reference, f'{_reference}'", "### END HIDDEN TESTS", 'print("f: OK")']),
        metadata={"nbgrader": meta}, execution_count=3)
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr",
                               text=f"/tmp/ipykernel_1/2.py:3: RuntimeWarning: overflow\n  {hidden}\n"),
        nbformat.v4.new_output("error", ename="AssertionError", evalue=f"it was {hidden}",
                               traceback=["\x1b[31mAssertionError\x1b[39m Traceback (most recent call last)",
                                          f"Cell In[3], line 4\n      3 {hidden}\n----> 4 assert f(17) == _reference",
                                          f"AssertionError: it was {hidden}"]),
    ]
    passing = nbformat.v4.new_code_cell(
        source="x = 1\n### BEGIN HIDDEN TESTS\nassert _check(x)\n### END HIDDEN TESTS",
        metadata={"nbgrader": dict(meta, grade_id="test_g", points=1, score=1.0)}, execution_count=4)
    early = nbformat.v4.new_code_cell(
        source="assert g(0) == 0, 'g(0) should be 0'\n### BEGIN HIDDEN TESTS\nassert _check(g)\n### END HIDDEN TESTS",
        metadata={"nbgrader": dict(meta, grade_id="test_h", points=1, score=0.0)}, execution_count=5)
    early.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="g(0) should be 0",
                                            traceback=["Cell In[5], line 1\n----> 1 assert g(0) == 0"])]
    nb = nbformat.v4.new_notebook(cells=[cell, passing, early])
    nb, _ = safe_feedback.HideHiddenTests().preprocess(nb, {})
    shown = nbformat.writes(nb)
    assert hidden not in shown and "_reference" not in cell.source and "BEGIN HIDDEN" not in shown
    assert "# hidden tests (not shown; part of this cell's 2 points): failed - see the error below" in cell.source
    assert cell.outputs[0].text == "Test result: failed (0 of 2 points)\n"
    assert cell.outputs[1].text.splitlines()[1] == safe_feedback.WITHHELD_LINE
    error = cell.outputs[2]
    assert error.evalue == safe_feedback.WITHHELD_MESSAGE and len(error.traceback) == 1 and "Cell In" not in shown
    assert "# hidden tests (not shown; part of this cell's 1 point): passed" in passing.source
    assert passing.outputs[0].text == "Test result: passed (1 of 1 point)\n"
    assert "not run (a test above them failed first)" in early.source
    assert early.outputs[1].traceback == ["\x1b[31mAssertionError\x1b[39m: g(0) should be 0"]


def test_grader_code_and_its_frames_are_not_shown():
    """HideHiddenTests on made-up cells: the grader's set-up region is labelled, not given an outcome,
    and a student's cell that called a function a test cell defined shows no frame of that test cell."""
    safe_feedback = load_safe_feedback()
    meta = dict(grade=True, solution=False, locked=True, grade_id="test_f", points=2, score=2.0, schema_version=3)
    setup = ["### BEGIN HIDDEN TESTS", "# The grader's set-up: assert-free wrapper below", "def _watch(f):",
             "    assert callable(f), 'not a function'", "    return f", "f = _watch(f)", "### END HIDDEN TESTS"]
    test = nbformat.v4.new_code_cell(
        source="\n".join(["# Tests: f", *setup, 'assert f(1) == 1, "f(1) should be 1"',
                          "### BEGIN HIDDEN TESTS", "assert f(2) == 2, 'f(2) is wrong'", "### END HIDDEN TESTS"]),
        metadata={"nbgrader": meta}, execution_count=3)
    demo = nbformat.v4.new_code_cell(source="f(0)", execution_count=4)
    demo.outputs = [nbformat.v4.new_output("error", ename="ValueError", evalue="zero", traceback=[
        "\x1b[31mValueError\x1b[39m Traceback (most recent call last)",
        "Cell In[4], line 1\n----> 1 f(0)",
        "Cell In[3], line 5, in _watch.<locals>.run()\n----> 5     return f",
        "Cell In[2], line 2, in f(x)\n----> 2     raise ValueError('zero')",
        "ValueError: zero"])]
    nb = nbformat.v4.new_notebook(cells=[test, demo])
    nb, _ = safe_feedback.HideHiddenTests().preprocess(nb, {})
    assert safe_feedback.GRADER_CODE in test.source and "_watch" not in test.source
    assert test.source.count("# hidden tests (not shown; part of this cell's 2 points): passed") == 1
    shown = "\n".join(demo.outputs[0].traceback)
    assert "Cell In[3]" not in shown and safe_feedback.WITHHELD_FRAME in shown
    assert "Cell In[4]" in shown and "Cell In[2]" in shown  # the student's own frames stay
