"""Problem set 6 (the generalization claim on the shipped Fig. 1), graded with real nbgrader, offline.

In a temporary copy of ``course/`` holding this problem set only: the released notebook with the
answers of ``solutions/`` earns every autograded point and leaves the written answer (3 points) to
the grader; a submission that delegates the rank correlation (or the ranks) to scipy or springlab
scores zero on that exercise and loses nothing else, and its test's message says to implement it;
each plausible wrong answer (one or more per exercise) loses exactly the points of its own test.
The generic checks of every problem set (the untouched release scores zero, release drift, nothing
secret released, the feedback shows no hidden test) are in tests/test_course.py and
tests/test_course_feedback.py.
"""
from __future__ import annotations


import nbformat
import pytest
from test_course import (
    RELEASE,
    SOURCE,
    assert_each_answer_loses_its_own_test,
    autograde_answers,
    error_outputs,
    notebook_name,
    wrong_answers_by_exercise,
)

PS = "ps6_generalization"
POINTS = {"test_ranks": 2, "test_spearman": 3, "test_run_points": 2, "test_rows": 2}

# Answers that hand the exercise to a library (each must score 0 on its test and lose nothing else),
# and plausible wrong answers (each caught by its own test only), by the answer cell they replace.
DELEGATING = {
    "spearman_scipy": ("spearman", '''
from scipy.stats import spearmanr


def spearman(x, y):
    return float(spearmanr(x, y).statistic)
'''),
    "spearman_springlab": ("spearman", '''
def spearman(x, y):
    return sl.rank_correlation(x, y)
'''),
    "ranks_scipy": ("ranks", '''
import scipy.stats


def ranks(x):
    return scipy.stats.rankdata(x)
'''),
}
MUTANTS = {
    "ranks_without_ties": ("ranks", '''
def ranks(x):
    x = np.asarray(x, dtype=float)
    r = np.empty(len(x))
    r[np.argsort(x, kind="stable")] = np.arange(1, len(x) + 1)  # wrong: tied values keep different ranks
    return r
'''),
    "spearman_of_values": ("spearman", '''
def spearman(x, y):
    # wrong: Pearson's correlation of the values, not of their ranks (right only when the values are ranks)
    return float(np.corrcoef(np.asarray(x, dtype=float), np.asarray(y, dtype=float))[0, 1])
'''),
    "run_points_cell_average": ("run_points", '''
def run_points(pd):
    curves = np.asarray(pd.load_seeds, dtype=float)
    accuracy = np.asarray(pd.metadata["test_accuracy_seeds"], dtype=float).ravel()
    cell = np.repeat(pd.load[:, :, None, :], curves.shape[2], axis=2)  # wrong: the cell's averaged curve for every seed
    return np.abs(sl.curvature(cell.reshape(-1, cell.shape[-1]))), accuracy, accuracy >= 0.2
'''),
    "rows_forget_no_linear_cell": ("rows_against_claim", '''
def rows_against_claim(claim, z=2.0):
    rows = set()
    for name, pd in claim.diagrams.items():
        for i, alpha in enumerate(pd.rows[1]):
            gap, se = claim.linear_gap[name][i], claim.linear_gap_se[name][i]
            if claim.best_in_row[name][i] != "linear" and gap > z * se:  # wrong: nan > ... is False
                rows.add((name, round(float(alpha), 1)))
    return rows
'''),
}
ANSWERS = {**DELEGATING, **MUTANTS}
TEST_OF = {"ranks": "test_ranks", "spearman": "test_spearman", "run_points": "test_run_points",
           "rows_against_claim": "test_rows"}
# Each submission replaces the answers of different exercises (to grade fewer notebooks): every one
# of its answers must lose exactly its own test's points, and the other exercises keep theirs.
SUBMISSIONS = {
    "spearman_scipy": ("spearman_scipy",),
    "library_ranks_and_springlab_rho": ("ranks_scipy", "spearman_springlab"),
    "wrong_ranks_and_run_points": ("ranks_without_ties", "run_points_cell_average"),
    "wrong_rho_and_rows": ("spearman_of_values", "rows_forget_no_linear_cell"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course holding problem set 6 only: generated, every submission autograded; yields the scores."""
    return autograde_answers(tmp_path_factory, PS, ANSWERS, SUBMISSIONS)


def test_solution_earns_full_marks_and_leaves_the_written_answer(graded):
    s = graded["scores"]["solution"]
    assert {gid: m for gid, (_, m) in s["cells"].items()} == POINTS
    assert s["code"] == s["max_code"] == sum(POINTS.values()), s["cells"]
    assert s["max_written"] == 3


@pytest.mark.parametrize("student", sorted(SUBMISSIONS))
def test_each_delegating_or_wrong_answer_loses_exactly_its_test(graded, student):
    assert_each_answer_loses_its_own_test(graded["scores"][student]["cells"], SUBMISSIONS[student], ANSWERS, TEST_OF)


def test_every_answer_is_tried():
    tried = {a for answers in SUBMISSIONS.values() for a in answers}
    assert tried == set(ANSWERS)
    by_exercise = wrong_answers_by_exercise(MUTANTS, ANSWERS)
    assert set(by_exercise) == set(TEST_OF)  # a plausible wrong answer for every exercise
    assert {ANSWERS[a][0] for a in DELEGATING} == {"ranks", "spearman"}


def test_a_delegating_student_is_told_to_implement_it(graded):
    """The assertion message of the spearman test, which the feedback shows (INSTRUCTORS.md, Feedback)."""
    errors = error_outputs(graded["course"], "spearman_scipy", PS, "test_spearman")
    assert errors and "implement spearman yourself" in errors[0].evalue and "spearmanr" in errors[0].evalue


def test_written_answer_has_a_rubric_for_the_grader_only():
    src = nbformat.read(str(SOURCE / PS / notebook_name(PS)), as_version=4)
    (answer,) = [c for c in src.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "written_answer"]
    assert "**Rubric (3 points).**" in answer.source and answer.metadata.nbgrader["points"] == 3
    released = nbformat.read(str(RELEASE / PS / notebook_name(PS)), as_version=4)
    assert not any("Rubric" in c.source or "Model answer" in c.source for c in released.cells)
    intro = released.cells[0].source
    assert "Before you start." in intro and "lesson 07" in intro and "45 minutes" in intro
