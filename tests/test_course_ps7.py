"""Problem set 7 (capstone: fit a chain to a network's trajectory), graded with real nbgrader, offline.

In a temporary copy of ``course/`` holding this problem set only: the released notebook with the
answers of ``solutions/`` earns every autograded point and leaves the written answer (3 points) to
the grader, the untouched release scores zero; a submission that hands an exercise to springlab's
fitter (``sl.fit_chain``, the private helpers of ``springlab.chains.fit``), to ``np.linalg`` or to
springlab's ``chain_gain`` scores zero on that exercise and loses nothing else, and its test's message
says to implement it; each plausible wrong answer (two per exercise) loses exactly the points of its
own test. The generic checks of every problem set (release drift, nothing secret released, the
feedback shows no hidden test) are in tests/test_course.py and tests/test_course_feedback.py.
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

PS = "ps7_capstone_fit"
POINTS = {"test_gains": 2, "test_best_scale": 3, "test_grid_fit": 3, "test_read_fit": 2}

# Answers that hand the exercise to a library (each must score 0 on its test and lose nothing else),
# and plausible wrong answers (each caught by its own test only), by the answer cell they replace.
DELEGATING = {
    "gains_springlab": ("gains", '''
from springlab.chains.fit import chain_gain


def gains(D):
    return chain_gain(np.asarray(D, dtype=float))
'''),
    "scale_lstsq": ("best_scale", '''
def best_scale(X, G):
    X, G = np.asarray(X, dtype=float), np.asarray(G, dtype=float)
    a = max(float(np.linalg.lstsq(X.reshape(-1, 1), G.ravel(), rcond=None)[0][0]), 0.0)
    return a, float(np.sum((G - a * X) ** 2) / np.sum(G * G))
'''),
    "grid_fit_chain": ("grid_fit", '''
def grid_fit(G, times, mu_lefts, time_scales, *, mu_right=0.0, eps=0.01, seeds=4):
    G = np.asarray(G, dtype=float)
    D = np.concatenate([np.zeros((G.shape[0], 1)), -G], axis=1)  # a load curve whose gains are G
    f = sl.fit_chain(D, times, fit=("mu_left",), mu_right=mu_right, eps=eps, seeds=seeds,
                     bounds={"mu_left": (min(mu_lefts), max(mu_lefts))})
    return {"mu_left": f.params["mu_left"], "time_scale": f.params["time_scale"], "scale": f.params["scale"],
            "loss": f.loss}
'''),
    "grid_private_helper": ("grid_fit", '''
from springlab.chains.fit import _interp


def grid_fit(G, times, mu_lefts, time_scales, *, mu_right=0.0, eps=0.01, seeds=4):
    G, times = np.asarray(G, dtype=float), np.asarray(times, dtype=float)
    best = None
    for ml in mu_lefts:
        runs = [sl.simulate_chain("first", L=G.shape[1], mu_right=mu_right, mu_left=ml, eps=eps, noise="synchronous",
                                  t_max=max(time_scales) * times[-1], record_every=0.1, seed=s) for s in range(seeds)]
        x = np.mean([r.positions for r in runs], axis=0)
        for c in time_scales:
            xc = _interp(x, c * times, 0.1)  # the fitter's private interpolation
            a, loss = best_scale(xc - xc[0], G)
            if best is None or loss < best["loss"]:
                best = {"mu_left": float(ml), "time_scale": float(c), "scale": a, "loss": loss}
    return best
'''),
}
_GRID = '''
def grid_fit(G, times, mu_lefts, time_scales, *, mu_right=0.0, eps=0.01, seeds=4):
    G, times = np.asarray(G, dtype=float), np.asarray(times, dtype=float)
    best = None
    for ml in mu_lefts:
        runs = [sl.simulate_chain("first", L=G.shape[1], mu_right=mu_right, mu_left=ml, eps=eps, noise="synchronous",
                                  t_max=max(time_scales) * times[-1], record_every=0.1, seed=s) for s in SEEDS]
        x = np.mean([r.positions for r in runs], axis=0)
        for c in time_scales:
            xc = np.stack([np.interp(c * times, runs[0].times, x[:, l]) for l in range(G.shape[1])], axis=1)
            a, loss = best_scale(START, G)
            if best is None or loss < best["loss"]:
                best = {"mu_left": float(ml), "time_scale": float(c), "scale": a, "loss": loss}
    return best
'''
MUTANTS = {
    "gains_not_relative_to_input": ("gains", '''
def gains(D):
    D = np.asarray(D, dtype=float)
    return D[0, 1:] - D[:, 1:]  # wrong: ignores that the input separation D_0 moves
'''),
    "gains_sign": ("gains", '''
def gains(D):
    D = np.asarray(D, dtype=float)
    rel = D[:, 1:] - D[:, :1]
    return rel - rel[0]  # wrong: the loss of separation, not the gain
'''),
    "scale_ratio_of_sums": ("best_scale", '''
def best_scale(X, G):
    X, G = np.asarray(X, dtype=float), np.asarray(G, dtype=float)
    a = max(float(np.sum(G) / np.sum(X)), 0.0) if np.sum(X) != 0 else 0.0  # wrong: not least squares
    return a, float(np.sum((G - a * X) ** 2) / np.sum(G * G))
'''),
    "scale_no_clip": ("best_scale", '''
def best_scale(X, G):
    X, G = np.asarray(X, dtype=float), np.asarray(G, dtype=float)
    xx = np.sum(X * X)
    a = float(np.sum(X * G) / xx) if xx > 0 else 0.0  # wrong: a negative scale runs the chain backwards
    return a, float(np.sum((G - a * X) ** 2) / np.sum(G * G))
'''),
    # wrong: one noise realisation (seed 0), not the mean over the seeds
    "grid_single_seed": ("grid_fit", _GRID.replace("SEEDS", "(0,)").replace("START", "xc - xc[0]")),
    # wrong: the chain's displacements are not started at the first record
    "grid_no_first_record": ("grid_fit", _GRID.replace("SEEDS", "range(seeds)").replace("START", "xc")),
    "read_fit_gap_only": ("read_fit", '''
def read_fit(fit):
    gap = float(fit.params["mu_left"] - fit.params["mu_right"])
    return {"gap": gap, "clear": gap > 0,  # wrong: ignores the uncertainties
            "pinned": sorted(n for n, ok in fit.identifiable.items() if ok)}
'''),
    "read_fit_one_uncertainty": ("read_fit", '''
def read_fit(fit):
    gap = float(fit.params["mu_left"] - fit.params["mu_right"])
    return {"gap": gap, "clear": gap > fit.uncertainty["mu_left"],  # wrong: only one of the two uncertainties
            "pinned": sorted(n for n, ok in fit.identifiable.items() if ok)}
'''),
}
ANSWERS = {**DELEGATING, **MUTANTS}
TEST_OF = {"gains": "test_gains", "best_scale": "test_best_scale", "grid_fit": "test_grid_fit",
           "read_fit": "test_read_fit"}
# Each submission replaces the answers of different exercises (to grade fewer notebooks): every one
# of its answers must lose exactly its own test's points, and the other exercises keep theirs.
SUBMISSIONS = {
    "grid_fit_chain": ("grid_fit_chain",),
    "library_gains_scale_and_private_helper": ("gains_springlab", "scale_lstsq", "grid_private_helper"),
    "wrong_a": ("gains_not_relative_to_input", "scale_ratio_of_sums", "grid_single_seed", "read_fit_gap_only"),
    "wrong_b": ("gains_sign", "scale_no_clip", "grid_no_first_record", "read_fit_one_uncertainty"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course holding problem set 7 only: generated, every submission autograded; yields the scores."""
    return autograde_answers(tmp_path_factory, PS, ANSWERS, SUBMISSIONS, untouched=True)


def test_solution_earns_full_marks_and_leaves_the_written_answer(graded):
    s = graded["scores"]["solution"]
    assert {gid: m for gid, (_, m) in s["cells"].items()} == POINTS
    assert s["code"] == s["max_code"] == sum(POINTS.values()), s["cells"]
    assert s["max_written"] == 3


def test_untouched_release_scores_zero(graded):
    s = graded["scores"]["untouched"]
    assert s["code"] == 0 and s["max_code"] == sum(POINTS.values()), s["cells"]


@pytest.mark.parametrize("student", sorted(SUBMISSIONS))
def test_each_delegating_or_wrong_answer_loses_exactly_its_test(graded, student):
    assert_each_answer_loses_its_own_test(graded["scores"][student]["cells"], SUBMISSIONS[student], ANSWERS, TEST_OF)


def test_every_answer_is_tried():
    tried = {a for answers in SUBMISSIONS.values() for a in answers}
    assert tried == set(ANSWERS)
    by_exercise = wrong_answers_by_exercise(MUTANTS, ANSWERS)
    assert set(by_exercise) == set(TEST_OF) and all(len(v) >= 2 for v in by_exercise.values())
    assert {ANSWERS[a][0] for a in DELEGATING} == {"gains", "best_scale", "grid_fit"}


def _error(graded, student: str, test: str) -> str:
    errors = error_outputs(graded["course"], student, PS, test)
    assert errors, f"{student}/{test} has no error output"
    return errors[0].evalue


def test_a_student_who_calls_the_fitter_is_told_to_implement_it(graded):
    """The assertion messages the feedback shows (INSTRUCTORS.md, Feedback): fit_chain and the private helper."""
    msg = _error(graded, "grid_fit_chain", "test_grid_fit")
    assert "implement grid_fit yourself" in msg and "fit_chain" in msg, msg
    msg = _error(graded, "library_gains_scale_and_private_helper", "test_grid_fit")
    assert "implement grid_fit yourself" in msg and "springlab.chains.fit" in msg, msg
    msg = _error(graded, "library_gains_scale_and_private_helper", "test_best_scale")
    assert "implement best_scale yourself" in msg and "lstsq" in msg, msg


def test_written_answer_has_a_rubric_for_the_grader_only():
    src = nbformat.read(str(SOURCE / PS / notebook_name(PS)), as_version=4)
    (answer,) = [c for c in src.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "written_answer"]
    assert "**Rubric (3 points).**" in answer.source and answer.metadata.nbgrader["points"] == 3
    released = nbformat.read(str(RELEASE / PS / notebook_name(PS)), as_version=4)
    assert not any("Rubric" in c.source or "Model answer" in c.source for c in released.cells)
    intro = released.cells[0].source
    assert "Before you start." in intro and "lesson 11" in intro.lower() and "45 minutes" in intro
