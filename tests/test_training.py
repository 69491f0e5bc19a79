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


def argmax_accuracy(model, x, y) -> float:
    """Accuracy computed here, independently of ``train``: eval mode, argmax of the outputs against the labels."""
    was = model.training
    model.eval()
    with torch.no_grad():
        correct = int((model(x).argmax(1) == y).sum())
    model.train(was)
    return correct / len(y)


def test_records_shapes_and_fields(mnist):
    model = MLP(100, seed=0)
    run = train(model, mnist, epochs=10, record_every=4)
    assert isinstance(run, TrainRun)
    assert run.epochs_recorded.tolist() == [0, 4, 8, 10]
    assert run.load.shape == (4, 8) == run.load_test.shape
    assert run.loss.shape == (10,) and np.all(np.diff(run.loss[:5]) < 0)  # full-batch Adam descends
    assert isinstance(run.final, LoadCurve) and np.array_equal(run.final.values, run.load[-1])
    # the accuracies are those of the final model, in eval mode, on the right split (to the sample);
    # after 10 full-batch steps BatchNorm's running statistics still lag: eval-mode accuracy is near chance
    assert run.test_accuracy == pytest.approx(argmax_accuracy(model, mnist.x_test, mnist.y_test), abs=0.5 / 2440)
    assert run.train_accuracy == pytest.approx(argmax_accuracy(model, mnist.x_train, mnist.y_train), abs=0.5 / 2560)
    assert run.test_accuracy_recorded[-1] == run.test_accuracy
    assert run.settings["lr"] == 1e-3 and run.epochs_run == 10 and not run.stopped_early


def test_record_matches_an_independent_load_curve(mnist):
    model = MLP(100, seed=0)
    run = train(model, mnist, epochs=3)
    assert run.load.shape == (1, 8)
    again = load_curve(model, mnist.x_train, mnist.y_train)
    assert np.allclose(again.values, run.final.values, atol=1e-9)


def test_trained_net_beats_chance_by_a_wide_margin(mnist):
    # 30 of Fig. 1's 100 full-batch epochs: measured 0.876 (the paper's shipped α = 0 cell, 100 epochs: 0.926)
    model = MLP(100, seed=0)
    run = train(model, mnist, epochs=30, record_every=10)  # records at epochs 0, 10, 20, 30: the last is reported
    assert run.test_accuracy > 0.8 and run.train_accuracy > 0.8  # chance: 0.1
    assert run.test_accuracy == pytest.approx(argmax_accuracy(model, mnist.x_test, mnist.y_test), abs=0.5 / 2440)


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


class BatchSpy:
    """What the model sees in training: its inputs (forward hook) and, from the gradient of the loss with
    respect to its outputs, the labels the loss was given. For cross-entropy that gradient is
    ``(softmax - onehot(label)) / N``: negative only at the label, so ``label = argmin`` -- however train()
    calls the loss."""

    def __init__(self, model):
        self.inputs, self.grads = [], []
        model.register_forward_hook(self._hook)

    def _hook(self, module, args, out):
        if module.training and out.requires_grad:  # skip the eval-mode records and evaluation
            self.inputs.append(args[0].detach().clone())
            out.register_hook(lambda g: self.grads.append(g.detach().clone()))

    @property
    def labels(self):
        return torch.stack([g.argmin(1) for g in self.grads])


def test_data_noise_at_p_0_3_resamples_a_fraction_p_of_labels_and_adds_p_std_input_noise(mnist):
    """SPEC §3.4: every batch, a fraction p of labels reset to uniform random classes (so a fraction
    p (1 - 1/K) changes), and Gaussian noise of std p·std(X_train) added to the inputs."""
    p, K, epochs = 0.3, 10, 10
    # The spy watches the module's forward calls, which the readable reference makes; the fast path draws the
    # same noise with the same function (springlab.networks.noise) and is tested equal to the reference below.
    x, y = mnist.x_train, mnist.y_train
    n = len(y)
    # the spy itself, without noise: it recovers the clean inputs and labels exactly
    model = MLP(100, depth=1, width=8, seed=0)
    clean = BatchSpy(model)
    train(model, mnist, epochs=2, stop_loss=0, reference=True)
    assert len(clean.inputs) == 2 and all(torch.equal(xb, x) for xb in clean.inputs)
    assert torch.equal(clean.labels, y.expand(2, n))

    model = MLP(100, depth=1, width=8, seed=0)
    spy = BatchSpy(model)
    train(model, mnist, epochs=epochs, data_noise=p, seed=0, stop_loss=0, reference=True)  # full batch: rows in order
    assert len(spy.inputs) == epochs == len(spy.grads)

    # (a) labels: the observed disagreement is p (1 - 1/K) within 4 binomial standard deviations
    changed = spy.labels != y  # (epochs, n)
    m, q = changed.numel(), p * (1 - 1 / K)
    sd = np.sqrt(q * (1 - q) / m)  # 0.0028 for 25,600 labels: 0.27 and 0.30 (= p) are 11 sd apart
    assert abs(float(changed.double().mean()) - q) < 4 * sd
    # the new labels are uniform over the K - 1 other classes: chi-square over the K - 1 offsets
    offset = ((spy.labels - y) % K)[changed]
    counts = torch.bincount(offset, minlength=K)[1:].double().numpy()
    chi2 = float(((counts - counts.mean()) ** 2 / counts.mean()).sum())
    assert chi2 < 27.9  # 99.9% quantile of chi-square with 8 degrees of freedom
    # drawn afresh every batch: a label changed in one epoch is changed in the next with probability q only
    both = (changed[1:] & changed[:-1]).double().mean()
    assert abs(float(both) - q * q) < 4 * np.sqrt(q * q * (1 - q * q) / changed[1:].numel())

    # (b) inputs: Gaussian noise of standard deviation p · std(X_train), fresh every batch
    noise = (torch.stack(spy.inputs) - x).double()
    target = p * float(np.std(x.numpy().astype(np.float64)))
    # relative standard error of a sample std over 2.56e6 draws: 1 / sqrt(2 N) = 4.4e-4
    assert float(noise.std()) == pytest.approx(target, rel=5e-3)
    assert abs(float(noise.mean())) < 5 * target / np.sqrt(noise.numel())
    assert float((noise.abs() < target).double().mean()) == pytest.approx(0.6827, abs=3e-3)  # Gaussian, not uniform
    assert abs(float(torch.corrcoef(noise[:2].reshape(2, -1))[0, 1])) < 0.01


@pytest.mark.parametrize("kw", [
    dict(epochs=5, batch_size=640, data_noise=0.2, record_every=2),  # records, noise, shuffled batches
    dict(epochs=4, optimizer="sgd", lr=0.05, record_every=1),
    dict(epochs=6, stop_loss=2.0),  # stops early
], ids=["adam-noise-records", "sgd", "early-stop"])
def test_train_takes_the_fast_path_and_agrees_with_the_reference(mnist, kw):
    """sl.train runs a plain MLP on the batched engine; in float64 it is the reference's training, to rounding."""
    fast_model = MLP(100, alpha=0.2, dropout=0.1, seed=0).double()
    ref_model = MLP(100, alpha=0.2, dropout=0.1, seed=0).double()
    fast = train(fast_model, mnist, seed=3, **kw)
    ref = train(ref_model, mnist, seed=3, reference=True, **kw)
    assert fast.settings.get("fast_path") is True and "fast_path" not in ref.settings
    assert np.array_equal(fast.epochs_recorded, ref.epochs_recorded) and fast.epochs_run == ref.epochs_run
    assert fast.stopped_early == ref.stopped_early
    np.testing.assert_allclose(fast.load, ref.load, atol=1e-8)
    np.testing.assert_allclose(fast.load_test, ref.load_test, atol=1e-8)
    np.testing.assert_allclose(fast.loss, ref.loss, rtol=1e-9)
    assert fast.test_accuracy == ref.test_accuracy and fast.train_accuracy == ref.train_accuracy
    # trained in place, as the reference trains its model
    for a, b in zip(fast_model.state_dict().values(), ref_model.state_dict().values()):
        torch.testing.assert_close(a.double(), b.double(), atol=1e-8, rtol=0)


def test_the_fast_path_is_taken_only_where_it_is_the_same_training(mnist):
    class Tweaked(MLP):  # a subclass may change forward(), which the engine does not run
        pass

    assert train(MLP(100, seed=0), mnist, epochs=1).settings.get("fast_path") is True
    assert "fast_path" not in train(Tweaked(100, seed=0), mnist, epochs=1).settings
    assert "fast_path" not in train(MLP(100, seed=0), mnist, epochs=1, weight_decay=1e-4).settings
    assert "fast_path" not in train(MLP(100, norm="fixed", seed=0), mnist, epochs=1).settings
    assert "fast_path" not in train(MLP(10, n_out=1, seed=0), load_dataset("diabetes"), epochs=1).settings


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
    assert run.load.shape == (1, 4)
    n_test = len(digits.y_test)
    assert run.test_accuracy == pytest.approx(argmax_accuracy(cnn, digits.x_test, digits.y_test), abs=0.5 / n_test)


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
