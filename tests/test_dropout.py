"""springlab's Dropout: nn.Dropout's definition (keep with 1 - p, scale 1/(1 - p)), fast masks, seeded."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from springlab.networks.dropout import Dropout, dropout_mask  # noqa: E402


@pytest.mark.parametrize("p", [0.02, 0.1, 0.3, 0.9])
def test_mask_drops_a_fraction_p_and_rescales(p):
    mask = dropout_mask((400, 500), p, generator=torch.Generator().manual_seed(1))
    values = np.unique(mask.numpy())
    assert values.size == 2 and values[0] == 0.0 and values[1] == pytest.approx(1 / (1 - p), rel=1e-6)
    dropped = float((mask == 0).float().mean())
    sd = np.sqrt(p * (1 - p) / mask.numel())
    assert abs(dropped - p) < 5 * sd, (dropped, p)  # 5 sigma: fails only if the rate is wrong
    assert abs(float(mask.mean()) - 1.0) < 5 * sd / (1 - p)  # unbiased, as nn.Dropout


def test_masks_follow_the_torch_generator():
    a = dropout_mask((64, 32), 0.2, generator=torch.Generator().manual_seed(3))
    b = dropout_mask((64, 32), 0.2, generator=torch.Generator().manual_seed(3))
    c = dropout_mask((64, 32), 0.2, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    torch.manual_seed(7)  # the default generator, as train(seed=...) seeds it
    d = dropout_mask((64, 32), 0.2)
    assert torch.equal(d, dropout_mask((64, 32), 0.2, generator=torch.Generator().manual_seed(7)))
    # neighbouring elements and successive masks are independent draws
    g = torch.Generator().manual_seed(5)
    m1, m2 = dropout_mask((200, 200), 0.5, generator=g), dropout_mask((200, 200), 0.5, generator=g)
    agree = float(((m1 == 0) == (m2 == 0)).float().mean())
    assert abs(agree - 0.5) < 0.02


def test_layer_is_identity_in_eval_and_at_zero_and_keeps_gradients():
    x = torch.randn(50, 20, requires_grad=True)
    layer = Dropout(0.3)
    assert isinstance(layer, torch.nn.Dropout)
    layer.eval()
    assert layer(x) is x
    layer.train()
    assert Dropout(0.0)(x) is x
    torch.manual_seed(0)
    y = layer(x)
    kept = y.detach() != 0
    assert torch.allclose(y.detach()[kept], x.detach()[kept] / 0.7)
    y.sum().backward()
    assert torch.allclose(x.grad, kept.float() / 0.7)


def test_bad_p_names_the_parameter():
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        dropout_mask((3,), 1.0)
