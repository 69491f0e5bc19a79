"""``python -m springlab bench sweep``: phase-diagram sweeps against one-at-a-time training and bare GEMMs.

Two columns of Fig. 1 are swept with :func:`springlab.dnn_phase_diagram`
(``--models`` runs each: α × seeds, the paper's 7×100 MLP on the offline
MNIST, Adam, ``--epochs`` epochs, store off):

* **full batch** (2,560, dropout 0.1: a column of Fig. 1c);
* **small batch** (``--batch``, default 64: a column of Fig. 1d).

Each is timed, interleaved in the same process (``--repeats`` rounds,
medians), three ways: the plain loop over models (``train`` one model at a
time), the batched model (``train_batched``), and the bare float32 matrix
products the training cannot avoid for exactly those shapes (per step and
linear layer the forward product and the two backward ones; ``torch.bmm``
on the stacked shapes for the batched path, ``torch.mm`` per model for the
loop). Printed ratios: batched speed-up over the loop (target: at least 3×
at small batch), and each path's throughput as a fraction of the bare
products' (target: at least 0.6 for the strategy ``auto`` picks). The load
average is printed too: on a shared machine absolute times mean little, the
ratios measured in one run do.

Measured on two cores (springlab 0.4, AVX512 and ``ATEN_CPU_CAPABILITY=avx2``
alike): at full batch with dropout the batched path reaches 0.68–0.72 of its
bare products (1.4–1.5×); at batch 64, 0.32–0.42 (the target is missed).
There a step of 12 models takes about 5 ms, of which (cProfile) the matrix
products are 55 % (themselves about 20 % slower than the bare ones: one more
product, the input gradient the first BatchNorm needs, and the bias of
``baddbmm``), the BatchNorm kernels 19 %, Adam 7 %, and Python, batching and
the loss the rest. The small-matrix products of torch on two threads are
bimodal on a shared machine: a process runs them at one speed or at about
1.6× that time throughout (measured in fresh processes running only
``torch.mm``), which moves the loop's times and its bare products together.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

TARGET_EFFICIENCY = 0.6
TARGET_SPEEDUP = 3.0


def _products(shapes, batch: int, n: int, models: int, epochs: int, stacked: bool, clock=time.perf_counter):
    """Time the GEMMs of ``epochs`` epochs of ``models`` runs; returns (seconds, FLOP)."""
    import torch

    steps = -(-n // batch)
    G = models if stacked else 1
    mats = [(torch.randn(G, batch, i), torch.randn(G, o, i), torch.randn(G, batch, o), first)
            for first, (i, o) in zip([True] + [False] * (len(shapes) - 1), shapes)]
    flop = 0.0
    for _, (i, o) in zip(mats, shapes):
        flop += 2 * batch * i * o * (2 if _[3] else 3)
    flop *= steps * epochs * models
    reps = steps * epochs * (1 if stacked else models)
    t = clock()
    for _ in range(reps):
        for X, W, dY, first in mats:
            if stacked:
                torch.bmm(X, W.transpose(1, 2))
                torch.bmm(dY.transpose(1, 2), X)
                if not first:
                    torch.bmm(dY, W)
            else:
                X[0] @ W[0].T
                dY[0].T @ X[0]
                if not first:
                    dY[0] @ W[0]
    return clock() - t, flop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="springlab bench sweep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=12, help="runs per column (default 12: 6 α × 2 seeds)")
    parser.add_argument("--epochs", type=int, default=20,
                        help="epochs per run (default 20; the paper trains 100: fewer make the fixed cost of a run, "
                             "its final load curves and accuracies, weigh more)")
    parser.add_argument("--batch", type=int, default=64, help="small batch size (default 64)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall time, or this process's CPU time (steadier on a busy shared machine "
                             "with --threads 1)")
    args = parser.parse_args(argv)
    if min(args.models, args.epochs, args.batch, args.repeats) < 1:
        parser.error("--models, --epochs, --batch and --repeats must be >= 1")

    import torch

    from ...sweeps.networks import choose_strategy, dnn_phase_diagram

    if args.threads:
        torch.set_num_threads(args.threads)
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    alphas = [round(0.2 * i, 1) for i in range(6)]
    seeds = -(-args.models // len(alphas))
    alphas = alphas[:args.models] if args.models < 6 else alphas
    n_models = len(alphas) * seeds
    n, width, depth, in_dim = 2560, 100, 7, 100
    shapes = [(in_dim, width)] + [(width, width)] * (depth - 1) + [(width, 10)]
    cases = {"full batch 2560, dropout 0.1": dict(batch_size=2560, dropout=0.1),
             f"small batch {args.batch}": dict(batch_size=args.batch)}

    def sweep(strategy, params):
        t = clock()
        dnn_phase_diagram(alpha=alphas, knob=("lr", [1e-3]), seeds=seeds, strategy=strategy, store=False,
                          progress=False, epochs=args.epochs, stop_loss=0.0, threads=args.threads, **params)
        return clock() - t

    # warm-up: data, allocator, thread pools, compiled kernels
    for params in cases.values():
        dnn_phase_diagram(alpha=[0.0, 1.0], knob=("lr", [1e-3]), seeds=1, strategy="batched", store=False,
                          progress=False, epochs=1, **params)
    print(f"bench sweep: {n_models} runs per column ({len(alphas)} α × {seeds} seeds), {args.epochs} epochs, "
          f"7×100 MLP, offline MNIST; torch {torch.__version__}, {torch.get_num_threads()} threads, CPU kernels "
          f"{torch.backends.cpu.get_cpu_capability()}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}, "
          f"{args.clock} clock, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    ok = True
    for label, params in cases.items():
        b = params["batch_size"]
        times = {"loop": [], "batched": [], "mm": [], "bmm": []}
        flop = 0.0
        for _ in range(args.repeats):
            times["loop"].append(sweep("loop", params))
            times["batched"].append(sweep("batched", params))
            t_mm, flop = _products(shapes, b, n, n_models, args.epochs, stacked=False, clock=clock)
            times["mm"].append(t_mm)
            times["bmm"].append(_products(shapes, b, n, n_models, args.epochs, stacked=True, clock=clock)[0])
        med = {k: statistics.median(v) for k, v in times.items()}
        auto = choose_strategy(b, n)
        speedup = med["loop"] / med["batched"]
        eff_loop = med["mm"] / med["loop"]
        eff_batched = med["bmm"] / med["batched"]
        eff_auto = eff_loop if auto == "loop" else eff_batched
        print(f"\n{label}  (auto strategy: {auto})")
        print(f"  loop over models      {med['loop']:8.2f} s   {flop / med['loop'] / 1e9:6.1f} GFLOP/s")
        print(f"  batched model         {med['batched']:8.2f} s   {flop / med['batched'] / 1e9:6.1f} GFLOP/s")
        print(f"  bare products (mm)    {med['mm']:8.2f} s   {flop / med['mm'] / 1e9:6.1f} GFLOP/s")
        print(f"  bare products (bmm)   {med['bmm']:8.2f} s   {flop / med['bmm'] / 1e9:6.1f} GFLOP/s")
        print(f"  ratio batched speed-up over loop:            {speedup:5.2f}"
              + (f"  (target >= {TARGET_SPEEDUP})" if b < 1024 else ""))
        print(f"  ratio loop throughput / bare mm:             {eff_loop:5.2f}")
        print(f"  ratio batched throughput / bare bmm:         {eff_batched:5.2f}")
        print(f"  ratio auto ({auto}) / its bare products:  {eff_auto:5.2f}  (target >= {TARGET_EFFICIENCY})")
        ok &= eff_auto >= TARGET_EFFICIENCY and (b >= 1024 or speedup >= TARGET_SPEEDUP)
    print("\nall targets met" if ok else "\nsome targets missed (see ratios above)")
    return 0
