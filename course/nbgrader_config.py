"""nbgrader configuration of the springlab graded course (nbgrader 0.9).

Run nbgrader from this folder (``cd course``) with the environment's
``bin/`` on PATH (nbgrader shells out to ``alembic``). See INSTRUCTORS.md.
"""
c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "springlab"
c.CourseDirectory.root = "."
# The graded assignments, in the order students meet them (folders of source/).
ASSIGNMENTS = [
    "ps1_friction_step",
    "ps2_equilibrium",
    "ps3_effective_friction",
    "ps4_data_separation",
    "ps5_phase_diagram",
]
c.CourseDirectory.db_assignments = [dict(name=a) for a in ASSIGNMENTS]

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

