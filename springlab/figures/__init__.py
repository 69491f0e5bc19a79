"""The paper's figures, recomputed: one module per half of the course.

:mod:`springlab.figures.springs` holds the spring–block figures (Fig. 3,
S13, S14, Fig. 4 right, Fig. 5b). Each figure has a function that computes
its data with the parameters of SPEC §2.5 (``quick=True`` for a small,
fast version) and a ``draw_*`` function that returns a matplotlib Figure.
"""
