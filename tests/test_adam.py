"""The compiled Adam step on flat buffers against its PyTorch reference and against torch.optim.Adam."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from springlab.networks.engine.adam import adam_step, adam_step_reference, adam_stepper  # noqa: E402

SHAPES = [(4, 3), (4,), (2, 4), (2,)]  # per model: two small linear layers
G = 3


def _stacked(dtype, seed):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn((G, *s), generator=g, dtype=dtype) for s in SHAPES]


def _flat(tensors):
    return torch.cat([t.reshape(-1) for t in tensors])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_kernel_equals_reference_over_steps(dtype):
    lr = np.array([1e-3, 3e-2, 0.5])
    params = _stacked(dtype, 0)
    theta = _flat(params)
    m_ref, v_ref = [torch.zeros_like(p) for p in params], [torch.zeros_like(p) for p in params]
    m, v = torch.zeros_like(theta), torch.zeros_like(theta)
    sizes = [int(np.prod(s)) for s in SHAPES]
    for step in range(1, 6):
        grads = _stacked(dtype, step)
        adam_step(theta, _flat(grads), m, v, sizes, lr, step)
        adam_step_reference(params, grads, m_ref, v_ref, torch.tensor(lr, dtype=dtype), step)
    tol = 1e-6 if dtype == torch.float32 else 1e-14
    torch.testing.assert_close(theta, _flat(params), rtol=tol, atol=tol)
    torch.testing.assert_close(m, _flat(m_ref), rtol=tol, atol=tol)
    torch.testing.assert_close(v, _flat(v_ref), rtol=tol, atol=tol)


def test_reference_is_torch_adam_per_model():
    """Each model's slice of the stacked step is torch.optim.Adam with that model's learning rate."""
    lr = [1e-3, 3e-2, 0.5]
    params = _stacked(torch.float64, 0)
    m, v = [torch.zeros_like(p) for p in params], [torch.zeros_like(p) for p in params]
    singles = [[p[g].clone().requires_grad_() for p in params] for g in range(G)]
    opts = [torch.optim.Adam(ps, lr=lr[g], foreach=False) for g, ps in enumerate(singles)]
    for step in range(1, 6):
        grads = _stacked(torch.float64, step)
        adam_step_reference(params, grads, m, v, torch.tensor(lr, dtype=torch.float64), step)
        for g, (ps, opt) in enumerate(zip(singles, opts)):
            for p, gr in zip(ps, grads):
                p.grad = gr[g].clone()
            opt.step()
    for g in range(G):
        for p, single in zip(params, singles[g]):
            torch.testing.assert_close(p[g], single.detach(), rtol=0, atol=1e-15)


def test_bad_input_is_refused():
    theta = torch.zeros(6)
    buffers = (theta, torch.zeros(6), torch.zeros(6), torch.zeros(6))
    with pytest.raises(ValueError, match="step must be an int >= 1"):
        adam_step(*buffers, [2], [1e-3] * 3, 0)
    with pytest.raises(ValueError, match="lr must be > 0"):
        adam_step(*buffers, [2], [1e-3, -1.0, 1e-3], 1)
    with pytest.raises(ValueError, match="G \\* sum\\(sizes\\)"):
        adam_step(*buffers, [3], [1e-3] * 3, 1)
    with pytest.raises(ValueError, match="contiguous 1-D"):
        adam_step(theta, torch.zeros(6, dtype=torch.float64), torch.zeros(6), torch.zeros(6), [2], [1e-3] * 3, 1)


@pytest.mark.parametrize("threads", [2, 3])
def test_models_split_between_threads_give_the_same_bits(threads):
    """The parallel kernel hands whole models to threads: the same result, bit for bit, as one thread."""
    from springlab.networks.engine.adam import _adam, _adam_parallel

    rng = np.random.default_rng(0)
    sizes = np.array([12, 4, 8, 2], dtype=np.int64)
    P = G * int(sizes.sum())
    start = [rng.standard_normal(P).astype(np.float32) for _ in range(2)] + [np.abs(rng.standard_normal(P)).astype(np.float32)]
    step_size = np.array([1e-3, 3e-2, 0.5], np.float32)
    coef = np.array([0.1, 0.999, 0.001, 0.05, 1e-8], np.float32)
    outs = []
    for run in (lambda a: _adam(*a, sizes, step_size, coef, 0, G), lambda a: _adam_parallel(*a, sizes, step_size, coef, threads)):
        theta, m, v = (x.copy() for x in start)
        for k in range(3):
            grad = np.random.default_rng(k).standard_normal(P).astype(np.float32)
            run((theta, grad, m, v))
        outs.append((theta, m, v))
    for a, b in zip(*outs):
        assert np.array_equal(a, b)
    assert not np.array_equal(outs[0][0], start[0])  # it did step


def test_stepper_checks_once_and_steps_as_adam_step():
    theta = torch.randn(G * 30, generator=torch.Generator().manual_seed(1))
    sizes, lr = [12, 4, 12, 2], np.array([1e-3, 3e-2, 0.5])
    (th1, m1, v1), (th2, m2, v2) = [(theta.clone(), torch.zeros_like(theta), torch.zeros_like(theta)) for _ in range(2)]
    grad = torch.empty_like(theta)  # the stepper's gradient buffer, refilled each step as a training loop does
    stepper = adam_stepper(th1, grad, m1, v1, sizes, lr)
    for t in range(1, 4):
        grad.copy_(torch.randn(G * 30, generator=torch.Generator().manual_seed(10 + t)))
        stepper(t)
        adam_step(th2, grad, m2, v2, sizes, lr, t)
    for a, b in ((th1, th2), (m1, m2), (v1, v2)):
        assert torch.equal(a, b)
    assert not torch.equal(th1, theta)
    with pytest.raises(ValueError, match="step must be an int >= 1"):
        stepper(0)
    with pytest.raises(ValueError, match="lr must be > 0"):
        adam_stepper(theta, theta.clone(), theta.clone(), theta.clone(), sizes, [1e-3, 0.0, 1e-3])
