"""The sweep engine: batched = one-at-a-time training, resumable store, Dask (tiny configurations, real MNIST)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from springlab.sweeps.networks import dnn_phase_diagram, choose_strategy  # noqa: E402
from springlab.sweeps.store import RunStore  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# tiny but real: offline MNIST, BatchNorm MLP, Adam; float64 so that both paths agree to rounding
TINY = dict(width=16, depth=2, epochs=3, dtype="float64", progress=False)


@pytest.fixture(scope="module")
def data():
    from springlab.networks.datasets import load_dataset

    return load_dataset("mnist")


@pytest.mark.parametrize("case, path", [("per-model lr and dropout", "by hand"), ("one lr, no dropout", "by hand"),
                                        ("per-model lr and dropout", "autograd"), ("no BatchNorm", "autograd")])
def test_batched_trainer_equals_train_in_float64(data, case, path, monkeypatch):
    """Per-model α, dropout, lr, data noise and seed: the batched path reproduces train() run by run.

    The first case gives every model its own learning rate and the fused kernel dropout masks; the
    second one learning rate and no dropout. "by hand" is the CPU path (backward pass written out,
    fused kernel, buffers reused across steps of two batch sizes, 200 and 160); "autograd" the general
    one (PyTorch operations). Both take the compiled Adam step.
    """
    from springlab.networks.engine import batched

    if path == "autograd":
        monkeypatch.setattr(batched, "_can_step_by_hand", lambda x, norm: False)
    from springlab.networks.engine.batched import train_batched
    from springlab.networks.models import MLP
    from springlab.networks.training import train

    class MLP64(MLP):
        def forward(self, x):
            return super().forward(x.double())

    cfgs = [dict(alpha=0.0, dropout=0.1, lr=1e-3, noise=0.2, seed=0),
            dict(alpha=0.5, dropout=0.0, lr=3e-3, noise=0.0, seed=1),
            dict(alpha=1.0, dropout=0.25, lr=5e-4, noise=0.5, seed=2)]
    if case == "one lr, no dropout":
        cfgs = [dict(c, lr=2e-3, dropout=0.0) for c in cfgs]
    norm = "none" if case == "no BatchNorm" else "batch"

    def make(c):
        return MLP64(data.in_dim, width=16, depth=3, alpha=c["alpha"], dropout=c["dropout"], seed=c["seed"],
                     norm=norm).double()

    ref = [train(make(c), data, lr=c["lr"], batch_size=200, epochs=2, data_noise=c["noise"], seed=c["seed"])
           for c in cfgs]
    got = train_batched([make(c) for c in cfgs], data, lr=[c["lr"] for c in cfgs], batch_size=200, epochs=2,
                        data_noise=[c["noise"] for c in cfgs], seed=[c["seed"] for c in cfgs])
    for r, g in zip(ref, got):
        np.testing.assert_allclose(g.load, r.load, rtol=0, atol=1e-9)
        np.testing.assert_allclose(g.load_test, r.load_test, rtol=0, atol=1e-9)
        np.testing.assert_allclose(g.loss, r.loss, rtol=1e-6)
        assert g.test_accuracy == r.test_accuracy and g.train_accuracy == r.train_accuracy
        assert g.epochs_run == r.epochs_run == 2
    # the runs differ from each other: the comparison is not trivially true
    assert np.abs(ref[0].load - ref[1].load).max() > 1e-3


def test_batched_sgd_equals_train_in_float64(data):
    """Plain SGD (no momentum) with a learning rate per model, on the hand-written CPU path."""
    from springlab.networks.engine.batched import train_batched
    from springlab.networks.models import MLP
    from springlab.networks.training import train

    class MLP64(MLP):
        def forward(self, x):
            return super().forward(x.double())

    lrs = [0.05, 0.2]
    ref = [train(MLP64(data.in_dim, width=16, depth=2, alpha=0.3, seed=s).double(), data, optimizer="sgd", lr=lr,
                 batch_size=640, epochs=2, seed=s) for s, lr in enumerate(lrs)]
    got = train_batched([MLP64(data.in_dim, width=16, depth=2, alpha=0.3, seed=s).double() for s in range(2)], data,
                        optimizer="sgd", lr=lrs, batch_size=640, epochs=2, seed=[0, 1])
    for r, g in zip(ref, got):
        np.testing.assert_allclose(g.load, r.load, rtol=0, atol=1e-9)
        np.testing.assert_allclose(g.loss, r.loss, rtol=1e-9)
    assert np.abs(ref[0].load - ref[1].load).max() > 1e-3


def test_batched_trainer_stops_early_like_train(data):
    from springlab.networks.engine.batched import train_batched
    from springlab.networks.models import MLP
    from springlab.networks.training import train

    ref = train(MLP(data.in_dim, width=8, depth=2, seed=0), data, epochs=5, stop_loss=10.0, batch_size=640)
    got = train_batched([MLP(data.in_dim, width=8, depth=2, seed=s) for s in (0, 1)], data, epochs=5,
                        stop_loss=10.0, batch_size=640, seed=[0, 1])
    assert ref.stopped_early and ref.epochs_run == 1
    assert all(g.stopped_early and g.epochs_run == 1 for g in got)
    np.testing.assert_allclose(got[0].loss, ref.loss, rtol=1e-5)


def test_kernels_split_between_threads_train_the_same_bits(data, monkeypatch):
    """float32, dropout, per-model lr: the BatchNorm and Adam kernels split over threads change no bit of a training."""
    from springlab.networks.engine import adam, batched
    from springlab.networks.models import MLP

    def run():
        models = [MLP(data.in_dim, width=32, depth=2, alpha=a, dropout=0.2, seed=s) for s, a in enumerate((0.0, 0.5, 1.0))]
        runs = batched.train_batched(models, data, lr=[1e-3, 3e-3, 1e-2], batch_size=1000, epochs=2, seed=[0, 1, 2],
                                     stop_loss=0.0)
        return [r.loss for r in runs], [r.load for r in runs]

    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        one = run()
        monkeypatch.setattr(batched, "kernel_threads", lambda G, B, C: min(G, 2))  # every call split, big or small
        monkeypatch.setattr(adam, "PARALLEL_MIN_ELEMENTS", 0)
        split = run()
    finally:
        torch.set_num_threads(previous)
    for a, b in zip(one, split):
        for x, y in zip(a, b):
            assert np.array_equal(x, y)


def test_sweep_loop_and_batched_strategies_agree():
    kw = dict(alpha=[0.0, 1.0], knob=("dropout", [0.2, 0.0]), seeds=2, batch_size=256, store=False, **TINY)
    loop = dnn_phase_diagram(strategy="loop", **kw)
    batched = dnn_phase_diagram(strategy="batched", **kw)
    assert loop.metadata["runs"]["by_strategy"] == {"loop": 8}
    assert batched.metadata["runs"]["by_strategy"] == {"batched": 8}
    np.testing.assert_allclose(batched.load_seeds, loop.load_seeds, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(batched.test_accuracy, loop.test_accuracy)
    assert loop.load.shape == (2, 2, 3) and loop.load_seeds.shape == (2, 2, 2, 3)
    assert np.all((loop.test_accuracy > 0.1) & (loop.test_accuracy <= 1))
    md = loop.metadata
    assert md["fixed"]["width"] == 16 and md["seeds"] == [0, 1] and md["knob"] == "dropout"
    assert md["springlab"] and md["torch"] == torch.__version__ and md["command"]


def test_auto_strategy_batches_what_it_can_stack():
    assert choose_strategy(2560, 2560) == choose_strategy(5, 2560) == "batched"
    assert choose_strategy(64, 2560, "loop") == "loop"
    kw = dict(alpha=[0.0, 1.0], knob=("dropout", [0.1]), seeds=1, batch_size=640, store=False, **TINY)
    assert dnn_phase_diagram(**kw).metadata["runs"]["by_strategy"] == {"batched": 2}
    fixed = dnn_phase_diagram(norm="fixed", **kw)  # fixed scaling constants: not stackable, so a loop
    assert fixed.metadata["runs"]["by_strategy"] == {"loop": 2}


@pytest.mark.parametrize("kwargs, match", [
    (dict(knob=("momentum", [0.1])), "knob name"),
    (dict(knob=("dropout", [1.2])), "dropout values"),
    (dict(knob=("batch_size", [0])), "batch_size values"),
    (dict(alpha=[-0.1]), "alpha"),
    (dict(seeds=0), "seeds"),
    (dict(seeds=[1, 1]), "seeds"),
    (dict(strategy="gpu"), "strategy"),
    (dict(colour="red"), "unknown parameters"),
])
def test_bad_input_names_the_parameter(kwargs, match):
    base = dict(alpha=[0.0], knob=("dropout", [0.0]), seeds=1, store=False, progress=False)
    base.update(kwargs)
    with pytest.raises(ValueError, match=match):
        dnn_phase_diagram(**base)


SWEEP_SCRIPT = textwrap.dedent("""
    import sys
    from springlab.sweeps.networks import dnn_phase_diagram
    dnn_phase_diagram(alpha=[0.0, 0.5, 1.0], knob=("lr", [3e-3, 1e-3]), seeds=2, strategy="loop",
                      store=sys.argv[1], width=16, depth=2, epochs=4, dtype="float64", progress=False, threads=1)
    """)
# one thread on both sides: a different thread count changes float64 summation order (~1e-11)
SWEEP_KW = dict(alpha=[0.0, 0.5, 1.0], knob=("lr", [3e-3, 1e-3]), seeds=2, strategy="loop", width=16, depth=2,
                epochs=4, dtype="float64", progress=False, threads=1)


def _snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.glob("*.npz")}


def test_killed_sweep_resumes_without_recomputing(tmp_path):
    """SIGKILL a sweep after some runs finished; the resumed sweep trains only the rest and equals a clean run."""
    store = tmp_path / "store"
    folder = RunStore(store).folder
    proc = subprocess.Popen([sys.executable, "-c", SWEEP_SCRIPT, str(store)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 240
        while len(list(folder.glob("*.npz"))) < 3:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no runs finished in time"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    before = _snapshot(folder)
    assert 3 <= len(before) < 12, f"{len(before)} runs finished before the kill"
    resumed = dnn_phase_diagram(store=store, **SWEEP_KW)
    assert resumed.metadata["runs"]["from_store"] == len(before)
    assert resumed.metadata["runs"]["trained"] == 12 - len(before)
    after = _snapshot(folder)
    assert len(after) == 12
    for name, (mtime, content) in before.items():  # finished runs untouched
        assert after[name] == (mtime, content)
    clean = dnn_phase_diagram(store=False, **SWEEP_KW)
    np.testing.assert_allclose(resumed.load_seeds, clean.load_seeds, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(resumed.test_accuracy, clean.test_accuracy)

    # a damaged file is ignored and its run recomputed; the rest come from the store
    victim = sorted(folder.glob("*.npz"))[0]
    victim.write_bytes(victim.read_bytes()[:100])
    again = dnn_phase_diagram(store=store, **SWEEP_KW)
    assert again.metadata["runs"]["trained"] == 1 and again.metadata["runs"]["from_store"] == 11
    np.testing.assert_allclose(again.load_seeds, clean.load_seeds, rtol=1e-12, atol=0)


def test_keyboard_interrupt_keeps_finished_runs(tmp_path, monkeypatch):
    import springlab.sweeps.networks as sweep

    real = sweep._run_task
    calls = []

    def flaky(configs, strategy, threads=None):
        calls.append(len(configs))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(configs, strategy, threads)

    monkeypatch.setattr(sweep, "_run_task", flaky)
    with pytest.raises(KeyboardInterrupt):
        dnn_phase_diagram(store=tmp_path, **SWEEP_KW)
    assert len(list(RunStore(tmp_path).folder.glob("*.npz"))) == 2
    monkeypatch.setattr(sweep, "_run_task", real)
    pd = dnn_phase_diagram(store=tmp_path, **SWEEP_KW)
    assert pd.metadata["runs"]["from_store"] == 2 and pd.metadata["runs"]["trained"] == 10


def test_dask_local_cluster_equals_local_run():
    distributed = pytest.importorskip("distributed")
    kw = dict(alpha=[0.0, 1.0], knob=("batch_size", [640, 2560]), seeds=2, store=False, **TINY)
    local = dnn_phase_diagram(**kw)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = dnn_phase_diagram(client=client, **kw)
    assert remote.metadata["runs"]["by_strategy"] == local.metadata["runs"]["by_strategy"] == {"batched": 8}
    np.testing.assert_allclose(remote.load_seeds, local.load_seeds, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(remote.test_accuracy, local.test_accuracy)


def test_sweep_records_first_and_last_loss_per_seed_for_the_failed_run_flag():
    import springlab as sl
    from springlab.figures.fig1 import failed_runs

    pd = dnn_phase_diagram(alpha=[0.0], knob=("lr", (1e-3, 0.5)), seeds=2, epochs=3, store=False, progress=False,
                           strategy="loop")
    first, last = np.array(pd.metadata["loss_first_seeds"]), np.array(pd.metadata["loss_last_seeds"])
    assert first.shape == last.shape == (1, 2, 2) and np.all(np.isfinite(first))
    run = sl.train(sl.MLP(100, alpha=0.0, seed=1), sl.load_dataset("mnist"), lr=1e-3, epochs=3, seed=1,
                   reference=True)  # strategy "loop" trains with the readable reference
    assert first[0, 0, 1] == pytest.approx(run.loss[0], rel=1e-5) and last[0, 0, 1] == pytest.approx(run.loss[-1], rel=1e-5)
    flags = failed_runs(pd)
    expected = (np.array(pd.metadata["test_accuracy_seeds"]) < 0.2) | ~(last < first)
    assert np.array_equal(flags, expected)
