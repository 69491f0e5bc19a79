"""``python -m springlab bench springs``: the spring–block engine against its reference.

In one run it measures

1. a fresh Python process importing springlab and getting its first
   simulation result (compiled kernels loaded from numba's disk cache);
2. a Fig. 3-size sweep: 16 μ→ × 16 ε × 10 seeds (L = 7, t = 100, dt = 0.01,
   2,560 runs of 10,000 steps) through :func:`springlab.chain_phase_diagram`;
3. a few runs of the pure-Python reference (:mod:`springlab.chains.reference`)
   at a noisy cell of the same sweep, interleaved with single compiled runs of
   the same cell, and prints the per-run speed ratios.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np

_FRESH = (
    "import time; t0 = time.perf_counter(); import springlab; "
    "r = springlab.simulate_chain(eps=0.01, t_max=100.0); "
    "print(time.perf_counter() - t0)"
)


def fresh_first_result() -> tuple[float, float]:
    """(seconds inside a new process from ``import springlab`` to the first result,
    seconds of the whole process including interpreter start)."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _FRESH], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1]), time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="springlab bench springs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10, help="seeds per cell (default 10)")
    parser.add_argument("--reference-runs", type=int, default=3, help="pure-Python runs (default 3)")
    parser.add_argument("--t-max", type=float, default=100.0, help="duration of every run (default 100)")
    args = parser.parse_args(argv)

    import numba

    from ...sweeps.chains import chain_phase_diagram
    from ...figures.springs import PHASE_FIGURES
    from ...chains.simulator import cache_location, simulate_chain, simulate_chain_reference

    spec = PHASE_FIGURES["fig3"]
    fixed = dict(spec["fixed"], t_max=args.t_max)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"numba {numba.__version__}, {numba.config.NUMBA_NUM_THREADS} threads, {os.cpu_count()} cores, "
          f"load average {load:.1f} (other work on the machine slows the parallel sweep most)")
    print(f"kernel cache: {cache_location()}")

    # make sure the cache is warm (compiles once if needed), then time a fresh process
    t0 = time.perf_counter()
    simulate_chain(eps=0.01, t_max=1.0)
    print(f"this process, first result (warm-up): {time.perf_counter() - t0:.2f} s")
    inside, total = fresh_first_result()
    print(f"fresh process, import springlab -> first simulation result: {inside:.2f} s "
          f"({total:.2f} s including interpreter start)")

    rows, cols = spec["rows"], spec["cols"]
    n_runs = rows[1].size * cols[1].size * args.seeds
    n_steps = int(round(fixed["t_max"] / fixed["dt"]))
    t0 = time.perf_counter()
    pd = chain_phase_diagram(rows=rows, cols=cols, seeds=args.seeds, progress=False, **fixed)
    sweep = time.perf_counter() - t0
    print(f"sweep: {rows[1].size} mu_right x {cols[1].size} eps x {args.seeds} seeds = {n_runs} runs of "
          f"{n_steps} steps, L={fixed['L']}: {sweep:.2f} s wall ({sweep / n_runs * 1e6:.0f} us per run)")
    print(f"  shapes: " + ", ".join(f"{s} {int(np.sum(pd.shape == s))}" for s in ("concave", "linear", "convex")))

    cell = dict(fixed, mu_right=0.1, eps=0.0084)  # a noisy cell of the grid
    ref_times, one_times, core_times = [], [], []
    same = True
    one_core = chain_phase_diagram  # the same sweep code, restricted to one thread below
    threads = numba.get_num_threads()
    for seed in range(args.reference_runs):
        t0 = time.perf_counter()
        ref = simulate_chain_reference(seed=seed, **cell)
        ref_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fast = simulate_chain(seed=seed, **cell)
        one_times.append(time.perf_counter() - t0)
        same &= bool(np.array_equal(ref.positions[-1], fast.positions[-1]))
        numba.set_num_threads(1)  # a batch of 64 noisy runs on one core
        try:
            t0 = time.perf_counter()
            one_core(rows=("mu_right", [0.1] * 8), cols=("eps", [0.0084] * 8), seeds=1, **fixed)
            core_times.append((time.perf_counter() - t0) / 64)
        finally:
            numba.set_num_threads(threads)
    ref_run = float(np.median(ref_times))
    one_run = float(np.median(one_times))
    core_run = float(np.median(core_times))
    print(f"pure-Python reference: {ref_run:.3f} s per run (median of {args.reference_runs}); "
          f"same final state as the kernel: {'yes' if same else 'NO'}")
    print(f"per-run speed ratio, sweep throughput ({threads} threads) vs reference: "
          f"{ref_run / (sweep / n_runs):.0f}x")
    print(f"per-run speed ratio, one core each (kernel {core_run * 1e6:.0f} us per run in a batch): "
          f"{ref_run / core_run:.0f}x")
    print(f"per-run speed ratio, one simulate_chain call (1,000 records) vs reference: {ref_run / one_run:.0f}x "
          f"({one_run * 1e3:.1f} ms per call)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
