"""The paper's networks: structure, validation, feature layers, fixed constants."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from springlab.networks.models import MLP, ConstantShapeCNN, DeepLinear


def test_mlp_structure_matches_spec():
    m = MLP(100, alpha=0.2, dropout=0.1, seed=0)
    assert isinstance(m.input_norm, nn.BatchNorm1d) and len(m.hidden) == 7
    layer = m.hidden[0]
    kinds = (nn.Linear, nn.BatchNorm1d, nn.LeakyReLU, nn.Dropout)  # springlab's Dropout is an nn.Dropout
    assert all(isinstance(layer[i], kind) for i, kind in enumerate(kinds)) and len(layer) == 4
    assert layer.act.negative_slope == 0.2 and layer.drop.p == 0.1
    assert m.head.in_features == 100 and m.head.out_features == 10
    assert m.feature_layers == ["input_norm"] + [f"hidden.{i}.act" for i in range(7)]
    assert m(torch.randn(5, 100)).shape == (5, 10)
    m.set_dropout(0.3)
    assert all(mod.p == 0.3 for mod in m.modules() if isinstance(mod, nn.Dropout))


def test_seed_fixes_init_and_leaves_global_stream_alone():
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    a, b = MLP(20, width=8, depth=2, seed=5), MLP(20, width=8, depth=2, seed=5)
    assert torch.equal(torch.rand(3), before)  # seeding the init did not consume the caller's stream
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    c = MLP(20, width=8, depth=2, seed=6)
    assert not torch.equal(a.head.weight, c.head.weight)


@torch.no_grad()
def test_fixed_constants_give_unit_mean_square():
    x = torch.rand(512, 100)
    m = MLP(100, norm="fixed", seed=0)
    assert not bool(m.calibrated)
    m.calibrate(x)
    assert bool(m.calibrated)
    m.eval()
    z = m.input_norm(x)
    assert float(z.pow(2).mean()) == pytest.approx(1.0, rel=1e-4)
    for layer in m.hidden:
        pre = layer.norm(layer.linear(z))
        assert float(pre.pow(2).mean()) == pytest.approx(1.0, rel=1e-4)
        z = layer.act(pre)
    assert isinstance(MLP(10, norm="none").hidden[0].norm, nn.Identity)


def test_cnn_keeps_shape_and_deep_linear_is_orthogonal():
    cnn = ConstantShapeCNN((1, 10, 10), seed=0)
    x = torch.randn(4, 100)
    feats = {}
    hooks = [dict(cnn.named_modules())[n].register_forward_hook(lambda m, i, o, n=n: feats.__setitem__(n, o))
             for n in cnn.feature_layers]
    assert cnn(x).shape == (4, 10)
    for h in hooks:
        h.remove()
    assert all(f.shape == (4, 16, 10, 10) for n, f in feats.items() if n != "input_norm")
    assert len(cnn.feature_layers) == 8
    dl = DeepLinear(30, depth=4, seed=0)
    for lin in dl.layers:
        W = lin.weight.detach().double()
        assert torch.allclose(W @ W.T, torch.eye(30, dtype=torch.float64), atol=1e-5)
        assert lin.bias is None
    # at initialisation a square orthogonal net only rotates the input: norms are preserved
    x = torch.randn(7, 30)
    with torch.no_grad():
        h = x
        for lin in dl.layers:
            h = lin(h)
    assert torch.allclose(h.norm(dim=1), x.norm(dim=1), rtol=1e-4)


@pytest.mark.parametrize("make, match", [
    (lambda: MLP(100, alpha=1.5), "alpha"),
    (lambda: MLP(100, alpha=-0.1), "alpha"),
    (lambda: MLP(100, dropout=1.0), "dropout"),
    (lambda: MLP(100, depth=0), "depth"),
    (lambda: MLP(100, norm="layer"), "norm"),
    (lambda: MLP(100, width=0), "width"),
    (lambda: ConstantShapeCNN((1, 9, 9)), "even"),
    (lambda: DeepLinear(10, dropout=-0.1), "dropout"),
])
def test_bad_input(make, match):
    with pytest.raises(ValueError, match=match):
        make()
