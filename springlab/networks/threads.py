"""The thread policy of small networks: one torch thread, and OpenMP threads that sleep when idle.

The paper's networks are small (7 × 100): on two shared cores one torch
thread trains them faster than two, and a fixed thread count makes float32
runs bitwise reproducible on one machine. Lessons call :func:`use_one_thread`
first; sweeps and benchmarks set threads per run (``threads=``).
The compiled BatchNorm and Adam kernels follow torch's thread count
(:func:`models_per_thread_split`).
"""
from __future__ import annotations

__all__ = ["use_one_thread", "models_per_thread_split"]


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


def models_per_thread_split(models: int, elements: int, minimum: int) -> int:
    """Threads a compiled kernel splits ``models`` whole models between: torch's thread count, 1 below ``minimum``.

    ``elements`` is the size of the call (all models); below ``minimum``
    waking a second thread costs more than it saves. Following
    ``torch.get_num_threads()`` keeps one policy for the matrix products and
    the kernels (sweeps set it per run, lessons to 1); whole models per
    thread keep the results independent of the thread count.
    """
    import numba
    import torch

    if models < 2 or elements < minimum:
        return 1
    return max(1, min(models, torch.get_num_threads(), numba.get_num_threads()))
