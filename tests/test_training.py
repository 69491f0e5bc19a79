"""Training: records, determinism, the noise knobs, early stopping, regression, devices."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from springlab.networks.datasets import load_dataset
from springlab.core.loadcurve import LoadCurve
from springlab.networks.models import MLP, ConstantShapeCNN
from springlab.networks.separation import load_curve
from springlab.networks.training import TrainRun, train


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One thread: these small runs gain little from two, and a shared, oversubscribed
    machine can slow two-thread runs of small matrices by 10x or more."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def mnist():
    return load_dataset()


def test_records_shapes_and_fields(mnist):
    run = train(MLP(100, seed=0), mnist, epochs=10, record_every=4)
    assert isinstance(run, TrainRun)
    assert run.epochs_recorded.tolist() == [0, 4, 8, 10]
    assert run.load.shape == (4, 8) == run.load_test.shape
    assert run.loss.shape == (10,) and np.all(np.diff(run.loss[:5]) < 0)  # full-batch Adam descends
    assert isinstance(run.final, LoadCurve) and np.array_equal(run.final.values, run.load[-1])
    # (after 10 full-batch steps BatchNorm's running statistics still lag: eval-mode accuracy is low)
    assert 0.0 <= run.test_accuracy <= 1.0 and 0.0 <= run.train_accuracy <= 1.0
    assert run.test_accuracy_recorded[-1] == run.test_accuracy
    assert run.settings["lr"] == 1e-3 and run.epochs_run == 10 and not run.stopped_early


def test_record_matches_an_independent_load_curve(mnist):
    model = MLP(100, seed=0)
    run = train(model, mnist, epochs=3)
    assert run.load.shape == (1, 8)
    again = load_curve(model, mnist.x_train, mnist.y_train)
    assert np.allclose(again.values, run.final.values, atol=1e-9)


def test_deterministic_by_seed(mnist):
    kw = dict(epochs=3, batch_size=1280, data_noise=0.3, record_every=2)
    a = train(MLP(100, dropout=0.1, seed=0), mnist, seed=3, **kw)
    b = train(MLP(100, dropout=0.1, seed=0), mnist, seed=3, **kw)
    c = train(MLP(100, dropout=0.1, seed=0), mnist, seed=4, **kw)
    assert np.array_equal(a.load, b.load) and np.array_equal(a.loss, b.loss)
    assert not np.array_equal(a.loss, c.loss)


def test_data_noise_resets_labels(mnist):
    # p = 1: every label random, inputs drowned: nothing learnable
    run = train(MLP(100, seed=0), mnist, epochs=10, data_noise=1.0)
    assert run.test_accuracy < 0.35
    assert run.loss[-1] > 2.0  # about log(10) = 2.30


def test_early_stopping_and_sgd(mnist):
    run = train(MLP(100, seed=0), mnist, epochs=50, stop_loss=10.0)
    assert run.stopped_early and run.epochs_run == 1 and run.loss.shape == (1,)
    sgd = train(MLP(100, seed=0), mnist, epochs=3, optimizer="sgd", lr=0.1, momentum=0.9)
    assert sgd.settings["optimizer"] == "sgd" and np.isfinite(sgd.loss).all()


def test_regression_fixed_norm_and_cnn():
    db = load_dataset("diabetes")
    m = MLP(10, n_out=1, norm="fixed", seed=0)
    run = train(m, db, epochs=20, lr=1e-2, threads=1, record_every=10)
    assert bool(m.calibrated)  # calibrated by train
    assert np.isnan(run.test_accuracy) and np.isfinite(run.test_loss)
    assert run.loss[-1] < run.loss[0]
    assert run.load[0, 0] == pytest.approx(0.4742, abs=1e-3)  # linear regression on the inputs
    digits = load_dataset("digits", n_train=256)
    cnn = ConstantShapeCNN(digits.image_shape, channels=4, depth=3, seed=0)
    run = train(cnn, digits, epochs=2, batch_size=128, progress=True)
    assert run.load.shape == (1, 4) and 0.0 <= run.test_accuracy <= 1.0


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=0), "lr"), (dict(batch_size=0), "batch_size"), (dict(epochs=0), "epochs"),
    (dict(optimizer="rmsprop"), "optimizer"), (dict(data_noise=1.5), "data_noise"),
    (dict(record_every=0), "record_every"), (dict(threads=0), "threads"),
])
def test_bad_input(mnist, kwargs, match):
    with pytest.raises(ValueError, match=match):
        train(MLP(100, depth=1, width=4), mnist, **kwargs)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_agrees_with_cpu(mnist):
    cpu = train(MLP(100, seed=0), mnist, epochs=5)
    gpu = train(MLP(100, seed=0), mnist, epochs=5, device="cuda")
    assert gpu.settings["device"].startswith("cuda")
    assert np.allclose(cpu.loss, gpu.loss, rtol=1e-3) and np.allclose(cpu.final.values, gpu.final.values, atol=1e-2)
