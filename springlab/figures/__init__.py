"""The paper's figures, recomputed: one module per half of the course.

:mod:`springlab.figures.springs` holds the spring–block figures (Fig. 3,
S13, S14, Fig. 4 right, Fig. 5b), with the parameters of SPEC §2.5;
:mod:`springlab.figures.networks` the network figures (Fig. 1's corners,
Fig. 4 left, Fig. 5a, S2–S3, S4, S12), with those of SPEC §3.3–3.5. Each
figure has a function that computes its data (``quick=True`` for a small,
fast version, used by tests and lessons) and a ``draw_*`` function that
returns a matplotlib Figure. :mod:`springlab.figures.fig1` holds Fig. 1's four
phase diagrams and the shipped results; :mod:`springlab.figures.generalization`
measures the paper's generalization claim on them (test accuracy against
|κ| and E/E_min, Spearman's ρ per panel and pooled); :mod:`springlab.cli.reproduce`
runs all of them from the command line.

Above the sweeps and both halves; only the widgets and the command line import it.
"""
