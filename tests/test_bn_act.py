"""The fused BatchNorm → LeakyReLU → dropout kernel against its reference and against PyTorch's own modules."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from springlab.chains import reference as springs_reference  # noqa: E402
from springlab.networks.engine.bn_act import bn_act, bn_act_forward, bn_act_reference, model_constants, update_running_stats  # noqa: E402
from springlab.networks.dropout import Dropout, dropout_mask, draw_mask_key, mask_threshold  # noqa: E402

TOL = {torch.float32: 2e-5, torch.float64: 1e-12}


def _inputs(G, B, C, dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    shape = (B, C) if G is None else (G, B, C)
    pshape = (C,) if G is None else (G, C)
    z = (3 * torch.randn(shape, generator=g, dtype=dtype) + 1).requires_grad_()
    w = (0.5 + torch.rand(pshape, generator=g, dtype=dtype)).requires_grad_()
    b = (0.3 * torch.randn(pshape, generator=g, dtype=dtype)).requires_grad_()
    dy = torch.randn(shape, generator=g, dtype=dtype)
    return z, w, b, dy


def _run(fn, z, w, b, dy, **kw):
    torch.manual_seed(11)  # the mask keys come from the global generator
    y, mean, var = fn(z, w, b, **kw)
    grads = torch.autograd.grad((y * dy).sum(), (z, w, b))
    return (y.detach(), mean, var, *grads)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("G, alpha, p", [(None, 0.0, 0.0), (None, 0.3, 0.2), (None, 1.0, 0.0),
                                         (3, [0.0, 0.5, 1.0], [0.1, 0.0, 0.4])])
def test_kernel_equals_reference_values_and_gradients(dtype, G, alpha, p):
    z, w, b, dy = _inputs(G, 96, 13, dtype)
    fast = _run(bn_act, z, w, b, dy, alpha=alpha, p=p)
    ref = _run(bn_act_reference, z, w, b, dy, alpha=alpha, p=p)
    for name, f, r in zip(("y", "mean", "var", "dz", "dweight", "dbias"), fast, ref):
        assert f.shape == r.shape, name
        scale = float(r.abs().max()) or 1.0
        assert float((f - r).abs().max()) <= TOL[dtype] * scale, name


@pytest.mark.parametrize("alpha, p", [(0.0, 0.0), (0.2, 0.25)])
def test_reference_is_batchnorm_leakyrelu_and_springlab_dropout(alpha, p):
    """The reference *is* the layer of the MLP: nn.BatchNorm1d → nn.LeakyReLU → springlab's Dropout."""
    z, w, b, dy = _inputs(None, 64, 10, torch.float64)
    bn = torch.nn.BatchNorm1d(10).double()
    with torch.no_grad():
        bn.weight.copy_(w)
        bn.bias.copy_(b)
    torch.manual_seed(5)
    expected = Dropout(p)(torch.nn.functional.leaky_relu(bn(z), alpha))
    torch.manual_seed(5)
    y, mean, var = bn_act_reference(z, w, b, alpha=alpha, p=p)
    torch.testing.assert_close(y, expected, rtol=0, atol=1e-12)
    # and the running statistics follow BatchNorm's own update
    rm, rv, nb = torch.zeros(10, dtype=torch.float64), torch.ones(10, dtype=torch.float64), torch.tensor(0)
    update_running_stats(rm, rv, nb, bn.momentum, mean, var, 64)
    torch.testing.assert_close(rm, bn.running_mean, rtol=0, atol=1e-14)
    torch.testing.assert_close(rv, bn.running_var, rtol=0, atol=1e-14)
    assert int(nb) == int(bn.num_batches_tracked) == 1


def test_cumulative_running_average_when_momentum_is_none():
    bn = torch.nn.BatchNorm1d(4, momentum=None).double()
    rm, rv, nb = torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64), torch.tensor(0)
    for s in range(3):
        x = torch.randn(20, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(s))
        bn(x)
        update_running_stats(rm, rv, nb, None, x.mean(0), x.var(0, unbiased=False), 20)
    torch.testing.assert_close(rm, bn.running_mean)
    torch.testing.assert_close(rv, bn.running_var)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_kernel_updates_running_statistics_as_batchnorm(dtype):
    """Per model: momentum 0.1, the cumulative average's 1/3 (third batch), and no update (negative factor)."""
    z, w, b, _ = _inputs(3, 40, 6, dtype)
    rm0, rv0 = torch.rand(3, 6, dtype=dtype), 1 + torch.rand(3, 6, dtype=dtype)
    rm, rv = rm0.clone(), rv0.clone()
    model, bits = model_constants(np.zeros(3), np.zeros(3), dtype)
    _, stats = bn_act_forward(z.detach(), w.detach(), b.detach(), model, bits, 1e-5, running=(rm, rv),
                              factor=np.array([0.1, 1 / 3, -1.0]))
    for g, f in enumerate([0.1, 1 / 3]):
        erm, erv, nb = rm0[g].clone(), rv0[g].clone(), torch.tensor(0)
        update_running_stats(erm, erv, nb, f, stats[0, g], stats[1, g], 40)
        torch.testing.assert_close(rm[g], erm, rtol=TOL[dtype], atol=TOL[dtype])
        torch.testing.assert_close(rv[g], erv, rtol=TOL[dtype], atol=TOL[dtype])
    torch.testing.assert_close(rm[2], rm0[2], rtol=0, atol=0)
    torch.testing.assert_close(rv[2], rv0[2], rtol=0, atol=0)


def test_kernel_masks_are_dropout_masks():
    """The mask inside the kernel is the mask springlab's Dropout draws from the same generator state."""
    z = torch.randn(50, 30, dtype=torch.float64)
    w, b = torch.ones(30, dtype=torch.float64), torch.zeros(30, dtype=torch.float64)
    torch.manual_seed(3)
    y, _, _ = bn_act(z, w, b, alpha=1.0, p=0.3)  # α = 1: only the normalisation and the mask
    torch.manual_seed(3)
    mask = dropout_mask((50, 30), 0.3, dtype=torch.float64)
    zhat = (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + 1e-5)
    torch.testing.assert_close(y, zhat * mask, rtol=0, atol=1e-12)


def test_mask_bits_follow_the_pure_python_generator():
    """Element k is kept when the top 32 bits of random_bits(key, k) reach the threshold (the documented rule)."""
    gen = torch.Generator().manual_seed(9)
    key = draw_mask_key(torch.Generator().manual_seed(9))
    mask = dropout_mask((7, 9), 0.4, generator=gen, dtype=torch.float64).flatten().numpy()
    thr = mask_threshold(0.4)
    expected = np.array([(springs_reference.random_bits(key, k) >> 32) >= thr for k in range(63)]) / 0.6
    np.testing.assert_allclose(mask, expected, rtol=1e-15)


def test_input_gradient_is_skipped_when_not_needed():
    z = torch.randn(20, 5)
    w, b = torch.ones(5, requires_grad=True), torch.zeros(5, requires_grad=True)
    y, _, _ = bn_act(z, w, b, alpha=0.1)
    gw, gb = torch.autograd.grad(y.sum(), (w, b))
    assert gw.shape == (5,) and gb.shape == (5,)


@pytest.mark.parametrize("kw, match", [
    (dict(alpha=1.5), r"alpha must be in \[0, 1\]"),
    (dict(p=1.0), r"p must be in \[0, 1\)"),
    (dict(alpha=[0.1, 0.2]), "one value per model"),
])
def test_bad_input_names_the_parameter(kw, match):
    z, w, b, _ = _inputs(3, 8, 4, torch.float32)
    with pytest.raises(ValueError, match=match):
        bn_act(z, w, b, **kw)


def test_a_batch_of_one_is_refused_as_batchnorm_refuses_it():
    with pytest.raises(ValueError, match="at least 2 samples"):
        bn_act(torch.randn(1, 4), torch.ones(4), torch.zeros(4))


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_models_split_between_threads_give_the_same_bits(threads, dtype):
    """The parallel kernels hand whole models to threads: outputs, statistics and gradients equal one thread's."""
    from springlab.networks.engine.bn_act import backward_kernel, forward_kernel

    G, B, C = 5, 70, 24
    rng = np.random.default_rng(4)
    z, dy = (rng.standard_normal((G, B, C)).astype(dtype) for _ in range(2))
    gamma, beta = (rng.standard_normal((G, C)).astype(dtype) for _ in range(2))
    model, bits = model_constants(np.linspace(0, 1, G), np.array([0.0, 0.1, 0.5, 0.0, 0.3]),
                                  torch.float64 if dtype == np.float64 else torch.float32)
    bits[0] = np.arange(1, G + 1, dtype=np.uint64) * 7919
    results = []
    for t in (1, threads):
        y, stats = np.empty_like(z), np.empty((3, G, C), dtype)
        run_mean, run_var = np.zeros((G, C), dtype), np.ones((G, C), dtype)
        dz, dgamma, dbeta, dzsum = np.empty_like(z), *(np.empty((G, C), dtype) for _ in range(3))
        forward_kernel(t, z, gamma, beta, model, bits, 1e-5, y, stats, run_mean, run_var, np.full(G, 0.1))
        backward_kernel(t, dy, z, gamma, beta, model, bits, stats, True, dz, dgamma, dbeta, dzsum)
        results.append((y, stats, run_mean, run_var, dz, dgamma, dbeta, dzsum))
    for a, b in zip(*results):
        assert np.array_equal(a, b)


def test_small_calls_stay_on_one_thread():
    from springlab.networks.engine.bn_act import PARALLEL_MIN_ELEMENTS, kernel_threads

    assert kernel_threads(12, 64, 100) == 1  # a small-batch step: waking a thread costs more than it saves
    assert kernel_threads(1, 10**6, 100) == 1  # one model is never split (its sums run along the batch)
    assert 1 <= kernel_threads(6, 2560, 100) <= min(6, torch.get_num_threads())
    assert 6 * 2560 * 100 >= PARALLEL_MIN_ELEMENTS
