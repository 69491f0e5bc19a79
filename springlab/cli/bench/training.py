"""``python -m springlab bench training``: one default training run against its bare matrix products.

The default run of the paper (SPEC §3.3): a 7×100 MLP on 2,560 offline MNIST
samples (100 inputs), full batch, Adam, 100 epochs, with the final load
curves of training and test data. Its floor is the matrix products it
cannot avoid: per epoch and per linear layer, one forward product
``X W^T`` and two backward products (``dY W`` and ``dY^T X``), in float32,
of exactly the shapes of the run. Timed interleaved in one process
(``--repeats`` rounds, medians), so that the machine's speed cancels out of
the printed ratios: :func:`springlab.train` as users call it (on the
sweeps' fast path: fused BatchNorm kernel, backward pass written out,
compiled Adam, buffers allocated once) and ``train(..., reference=True)``
(the readable reference, one PyTorch module and autograd). Target: at most
1.5. PyTorch picks its kernels by CPU (AVX512, AVX2, plain): the first line
says which ran; ``ATEN_CPU_CAPABILITY=avx2 python -m springlab bench
training`` measures another.

OpenMP threads sleep when idle (``OMP_WAIT_POLICY=PASSIVE``, springlab's
thread policy, :mod:`springlab.networks.threads`) unless the variable is
set. With spinning threads (``OMP_WAIT_POLICY=ACTIVE``) the run time of
``train()`` on two shared cores is bimodal: measured 1.15 s or 2.2 s per
run, as the thread that spins while a single-threaded BatchNorm kernel runs
does or does not compete with it; the header line says which policy ran.
"""
from __future__ import annotations

import argparse
import statistics
import time

TARGET = 1.5


def _bare_products(shapes, epochs: int, n: int):
    """Run the GEMMs of ``epochs`` forward+backward passes; returns seconds."""
    import torch

    mats = []
    for fan_in, fan_out in shapes:
        mats.append((torch.randn(n, fan_in), torch.randn(fan_out, fan_in), torch.randn(n, fan_out)))
    t = time.perf_counter()
    for _ in range(epochs):
        for X, W, dY in mats:
            X @ W.T          # forward
            dY @ W           # gradient of the input
            dY.T @ X         # gradient of the weight
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="springlab bench training", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds (median taken)")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: torch's setting); 1 gives stable numbers "
                             "on a machine shared with other jobs")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.epochs < 1 or (args.threads is not None and args.threads < 1):
        parser.error("--repeats, --epochs and --threads must be >= 1")

    import os
    import sys

    if "torch" not in sys.modules:  # OpenMP reads the policy when torch loads it
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    if args.threads is not None:
        torch.set_num_threads(args.threads)

    from ...networks.datasets import load_dataset
    from ...networks.models import MLP
    from ...networks.training import train

    data = load_dataset("mnist")
    n, width, depth = data.x_train.shape[0], 100, 7
    shapes = [(data.in_dim, width)] + [(width, width)] * (depth - 1) + [(width, data.n_classes)]
    # warm-up: allocator, thread pool, lazy imports, compiled kernels
    train(MLP(data.in_dim, seed=0), data, epochs=2)
    train(MLP(data.in_dim, seed=0), data, epochs=2, reference=True)
    _bare_products(shapes, 2, n)
    t_fast, t_ref, t_bare = [], [], []
    for r in range(args.repeats):
        t_fast.append(train(MLP(data.in_dim, seed=r), data, epochs=args.epochs, stop_loss=0.0).seconds)
        t_ref.append(train(MLP(data.in_dim, seed=r), data, epochs=args.epochs, stop_loss=0.0, reference=True).seconds)
        t_bare.append(_bare_products(shapes, args.epochs, n))
    mf, mr, mb = statistics.median(t_fast), statistics.median(t_ref), statistics.median(t_bare)
    flop = 3 * 2 * n * sum(a * b for a, b in shapes) * args.epochs
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU kernels "
          f"{torch.backends.cpu.get_cpu_capability()}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}; "
          f"default run: MLP {depth}x{width}, "
          f"{n} samples, full batch, Adam, {args.epochs} epochs (+ final train/test load curves)")
    print(f"train():                median {mf:.3f} s over {args.repeats} runs ({', '.join(f'{t:.3f}' for t in t_fast)})")
    print(f"train(reference=True):  median {mr:.3f} s ({', '.join(f'{t:.3f}' for t in t_ref)})")
    print(f"bare matmuls:           median {mb:.3f} s ({flop / 1e9:.1f} GFLOP, {flop / mb / 1e9:.0f} GFLOP/s)")
    for label, t, what in (("train", mf, "what users and sweeps run: the fast path"),
                           ("reference", mr, "the readable reference")):
        ratio = t / mb
        print(f"ratio {label + '/bare:':16s}{ratio:.2f}x  (target <= {TARGET}x: {'met' if ratio <= TARGET else 'NOT met'}; "
              f"{what})")
    return 0
