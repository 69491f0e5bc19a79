"""Benchmarks run by ``python -m springlab bench NAME``.

Each prints ratios measured in one run (the fast path against a baseline
interleaved with it), never a bare wall time compared with a constant: the
machine's speed cancels out of a ratio.

- :mod:`~springlab.cli.bench.springs`, :mod:`~springlab.cli.bench.training`,
  :mod:`~springlab.cli.bench.sweep` — the engines against their references;
- :mod:`~springlab.cli.bench.fit` — one :func:`springlab.fit_chain` of a
  7-layer, 100-epoch trajectory: seconds, chains per second, fit / bare kernel.
"""
