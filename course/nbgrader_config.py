"""nbgrader configuration of the springlab graded course (nbgrader 0.9).

Run nbgrader from this folder (``cd course``) with the environment's
``bin/`` on PATH (nbgrader shells out to ``alembic``). See INSTRUCTORS.md.
"""
import os
import sys
import warnings

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

# `nbgrader zip_collect` (files from a learning-management system): how to read the student's
# id and the notebook's name from each file name of the LMS's download. These are Blackboard's
# names, "<assignment>_<username>_attempt_<date>_<file name>" (its .txt receipts are skipped);
# for another LMS write the pattern of its names (INSTRUCTORS.md, "Collect"). The date is not
# read: nbgrader's date parser misreads Blackboard's 2026-11-29-17-05-12 as 2026-11-30 05:00 UTC.
c.FileNameCollectorPlugin.named_regexp = r".*_(?P<student_id>[^_/]+)_attempt_[0-9-]+_(?P<file_id>[^/]+\.ipynb)$"

# nbgrader 0.9.6 with SQLAlchemy 2 prints an SAWarning "Object of type <SubmittedAssignment> not
# in session, add operation along 'Assignment.submissions' will not proceed" for every new
# submission that autograde records: it builds the submission's rows before adding
# them to the session (nbgrader.api.Gradebook.add_submission), then adds and commits them all,
# so nothing is lost (tests/test_instructor_workflow.py reads the scores back). Only that
# message is silenced.
warnings.filterwarnings(
    "ignore", message=r"Object of type <Submitted\w+> not in session, add operation along", module="nbgrader")

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
