"""Separation: Eq. 3 and 9, regression load, streaming sums, recorder; checked against independent results."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from springlab.core.loadcurve import LoadCurve
from springlab.networks.models import MLP, DeepLinear
from springlab.networks.separation import (ClassScatter, FeatureRecorder, load_curve, load_curves, regression_load,
                                  separation)


def _blobs(n=600, d=12, K=4, seed=0, spread=1.0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, K, n)
    centres = rng.normal(size=(K, d)) * 2
    x = centres[y] + spread * rng.normal(size=(n, d)) * rng.uniform(0.5, 2.0, size=d)
    return x, y


def test_D_equals_calinski_harabasz_identity():
    from sklearn.metrics import calinski_harabasz_score

    x, y = _blobs()
    N, K = len(y), 4
    expected = np.log((N - K) / ((K - 1) * calinski_harabasz_score(x, y)))
    assert separation(x, y) == pytest.approx(expected, abs=1e-10)
    assert separation(torch.tensor(x, dtype=torch.float32), torch.tensor(y)) == pytest.approx(expected, abs=1e-5)


def test_Dhat_matches_dense_formula_and_traces_match_matrices():
    x, y = _blobs(d=6)
    acc = ClassScatter(4, full=True).update(x, y)
    Sw, Sb = acc.within().numpy(), acc.between().numpy()
    # dense reference, straight from Eq. 2
    N = len(y)
    means = np.stack([x[y == k].mean(0) for k in range(4)])
    Sw_ref = sum((x[y == k] - means[k]).T @ (x[y == k] - means[k]) for k in range(4)) / N
    Sb_ref = sum((y == k).sum() * np.outer(means[k] - x.mean(0), means[k] - x.mean(0)) for k in range(4)) / N
    assert np.allclose(Sw, Sw_ref, atol=1e-10) and np.allclose(Sb, Sb_ref, atol=1e-10)
    assert acc.traces() == pytest.approx((np.trace(Sw_ref), np.trace(Sb_ref)), rel=1e-10)
    expected = np.log(np.trace(Sw_ref @ np.linalg.pinv(Sb_ref, rcond=1e-9, hermitian=True)))
    assert separation(x, y, "Dhat") == pytest.approx(expected, rel=1e-8)
    assert np.linalg.matrix_rank(Sb_ref) == 3  # K - 1: the pseudo-inverse's tolerance matters


def test_invariance_to_scale_rotation_and_shift():
    x, y = _blobs(d=10)
    Q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(10, 10)))
    xt = 7.5 * x @ Q + 3.0
    for kind in ("D", "Dhat"):
        assert separation(xt, y, kind) == pytest.approx(separation(x, y, kind), abs=1e-8)
    # an anisotropic scaling is not a similarity: D moves (the test can fail)
    assert separation(x * np.linspace(0.1, 10, 10), y) != pytest.approx(separation(x, y), abs=1e-3)


def test_streaming_equals_one_shot_and_batch_size_does_not_matter():
    x, y = _blobs(n=1000)
    acc = ClassScatter(4, full=True)
    for i in range(0, 1000, 137):
        acc.update(x[i:i + 137] + 1e4, y[i:i + 137])  # large offset: sums are kept shifted
    assert acc.separation("D") == pytest.approx(separation(x, y), abs=1e-9)
    assert acc.separation("Dhat") == pytest.approx(separation(x, y, "Dhat"), abs=1e-7)
    assert acc.n == 1000


def test_regression_load_matches_least_squares():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 5))
    y = x @ rng.normal(size=5) + 0.3 * rng.normal(size=300) + 2.0
    A = np.c_[x, np.ones(300)]
    resid = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]
    assert regression_load(x, y) == pytest.approx(np.sqrt(np.sum(resid ** 2) / (2 * 300)), rel=1e-9)
    assert regression_load(np.c_[x, x[:, :1]], y) == pytest.approx(regression_load(x, y), rel=1e-7)  # rank-deficient


def test_recorder_on_foreign_model_by_name_type_and_fx():
    model = nn.Sequential(nn.Linear(12, 20), nn.ReLU(), nn.Linear(20, 20), nn.ReLU(), nn.Linear(20, 3))
    x = torch.randn(50, 12)
    by_type = FeatureRecorder(model, nn.ReLU)(x)
    by_name = FeatureRecorder(model, ["1", "3"])(x)
    fx = FeatureRecorder(model, ["1", "3"], method="fx")(x)
    assert list(by_type) == ["1", "3"] == list(by_name) == list(fx)
    for k in by_type:
        assert torch.equal(by_type[k], by_name[k]) and torch.allclose(by_type[k], fx[k])
    assert torch.equal(by_type["1"], torch.relu(model[0](x)))
    with pytest.raises(ValueError, match="not found"):
        FeatureRecorder(model, ["7"])
    # a default curve on a foreign model: input first, then its activations
    y = torch.arange(50) % 3
    lc = load_curve(model, x, y)
    assert isinstance(lc, LoadCurve) and lc.L == 2
    assert lc.values[0] == pytest.approx(separation(x, y))


def test_load_curve_of_mlp_eval_mode_and_batches():
    torch.manual_seed(0)
    x, y = torch.randn(300, 20), torch.randint(0, 3, (300,))
    m = MLP(20, width=16, depth=3, n_out=3, dropout=0.5, seed=0)
    m.train()
    a = load_curve(m, x, y, batch_size=None)
    b = load_curve(m, x, y, batch_size=64)
    assert m.training  # mode restored
    assert a.L == 3 and np.allclose(a.values, b.values, atol=1e-5)
    both = load_curves(m, x, y, kinds=("D", "Dhat"))
    assert np.allclose(both["D"].values, a.values, atol=1e-5) and both["Dhat"].L == 3


def test_Dhat_is_blind_where_D_sees_in_linear_nets():
    """Fig. S11's point: for linear maps D̂ barely moves from layer to layer, D does.

    A linear layer that mixes between-class signal into within-class
    directions changes Tr Σ_w / Tr Σ_b; but D̂ = log Tr(Σ_w Σ_b⁺) measures
    Σ_w only along the (K-1)-dimensional span of the class means and is
    exactly invariant under invertible linear maps when Σ_b has full rank in
    the feature space it lives in. We check it on an orthogonal-init deep
    linear net applied to blobs with K - 1 = d (full-rank Σ_b).
    """
    x, y = _blobs(n=800, d=5, K=6)
    net = DeepLinear(5, depth=6, seed=0)
    with torch.no_grad():  # make layers non-orthogonal (invertible, anisotropic)
        for i, lin in enumerate(net.layers):
            lin.weight.mul_(torch.linspace(0.3, 3.0, 5)[torch.randperm(5, generator=torch.Generator().manual_seed(i))])
    xt = torch.tensor(x, dtype=torch.float32)
    D = load_curve(net, xt, torch.tensor(y), kind="D").values
    Dh = load_curve(net, xt, torch.tensor(y), kind="Dhat").values
    assert np.ptp(Dh) < 1e-3 and np.ptp(D) > 0.1


def test_bad_input():
    with pytest.raises(ValueError, match="kind"):
        separation(np.zeros((4, 2)), [0, 1, 0, 1], kind="fisher")
    with pytest.raises(ValueError, match="n_classes"):
        ClassScatter(1)
    with pytest.raises(ValueError, match="labels"):
        ClassScatter(2).update(np.zeros((3, 2)), [0, 1, 2])
    with pytest.raises(ValueError, match="full=True"):
        ClassScatter(2).update(np.random.rand(4, 2), [0, 1, 0, 1]).separation("Dhat")
