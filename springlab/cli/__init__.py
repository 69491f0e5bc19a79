"""The command line, ``python -m springlab {check,bench,reproduce}``.

- :mod:`~springlab.cli.check` — is this environment ready for the course?
- :mod:`~springlab.cli.reproduce` — the paper's figures, recomputed into a folder;
- :mod:`~springlab.cli.bench` — benchmarks that print ratios measured in one run.

The top layer, beside the widgets: nothing below imports it.
"""
