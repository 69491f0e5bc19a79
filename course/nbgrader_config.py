"""nbgrader configuration of the springlab graded course (nbgrader 0.9).

Run nbgrader from this folder (``cd course``) with the environment's
``bin/`` on PATH (nbgrader shells out to ``alembic``). See INSTRUCTORS.md.
"""
import os
import sys

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

# This folder, as an absolute path (nbgrader warns about a relative root such as "."):
# the course is wherever this file is, in the repository or in a temporary copy.
COURSE_DIR = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "springlab"
c.CourseDirectory.root = COURSE_DIR

# The assignments are the folders of source/. nbgrader 0.9 has no option that lists them
# (the old `db_assignments` is gone): `nbgrader generate_assignment "*" --force` registers
# them in gradebook.db with their notebooks, test cells and points, which `autograde` needs
# (INSTRUCTORS.md, "Setting up").

# Every exercise runs in well under a minute; a cell that needs more than this
# is an endless loop (or a far too slow answer). nbgrader interrupts it, records
# a CellTimeoutError in the cell, scores the tests that depend on it zero and
# carries on with the next cell, so one stuck student never hangs the grader.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True

# What a student sees in place of the solution.
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\nraise NotImplementedError("Replace this line with your answer, then run the tests below.")',
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Feedback without hidden tests. Plain `nbgrader generate_feedback` renders the autograded
# notebook, in which the hidden tests were put back for grading, and its tracebacks quote
# them. safe_feedback.HideHiddenTests (safe_feedback.py, next to this file) replaces each
# hidden region by a line with its outcome and reduces each test's error to its type and
# message. nbgrader registers these preprocessors on the HTML exporter in this order:
# GetGrades first (it copies the scores and points from the gradebook into the cells, which
# HideHiddenTests reads), CSSHTMLHeaderPreprocessor last (as in nbgrader's default list,
# which this setting replaces). The names are imported only when feedback is generated, so
# the other commands work from a copy of this file alone (tools/build_course.py); without
# safe_feedback.py generate_feedback stops with ModuleNotFoundError rather than leak.
if COURSE_DIR not in sys.path:
    sys.path.insert(0, COURSE_DIR)
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "safe_feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
