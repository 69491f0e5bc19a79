"""The thread policy of small networks: one torch thread, and OpenMP threads that sleep when idle.

The paper's networks are small (7 × 100): on two shared cores one torch
thread trains them faster than two, and a fixed thread count makes float32
runs bitwise reproducible on one machine. Lessons call :func:`use_one_thread`
first; sweeps and benchmarks set threads per run (``threads=``).
"""
from __future__ import annotations

__all__ = ["use_one_thread"]


def use_one_thread() -> int:
    """Set torch to one thread (faster for these small networks on shared cores); returns the old count.

    Call it first in a lesson, before torch or the chain engine are imported:
    it also sets ``OMP_WAIT_POLICY=PASSIVE`` (unless set), read by OpenMP when
    it loads. Without it, once the chain engine's parallel numba kernels have
    run (OpenMP threads that spin while they wait), every torch training step
    in the same kernel becomes about 10× slower on two cores (measured: a
    6-epoch run took 50 s instead of 1.5 s).
    """
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    return old
