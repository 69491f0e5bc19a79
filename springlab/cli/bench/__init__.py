"""Benchmarks run by ``python -m springlab bench NAME``.

Each prints ratios measured in one run (the fast path against a baseline
interleaved with it), never a bare wall time compared with a constant: the
machine's speed cancels out of a ratio.
"""
