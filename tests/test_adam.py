"""The compiled Adam step on flat buffers against its PyTorch reference and against torch.optim.Adam."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from springlab.networks.engine.adam import adam_step, adam_step_reference  # noqa: E402

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
