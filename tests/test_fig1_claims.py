"""Fig. 1's claims in absolute terms, checked on the shipped paper-scale results.

The results are ``springlab/results/fig1a.npz`` … ``fig1d.npz`` (6 α × the knob's values × 10 seeds).
What the paper says about Fig. 1 (main text; SPEC §3.4):

* "high nonlinearity and low noise result in 'lazy' training and a concave load curve. Low
  nonlinearity and high noise (bottom-left) result in convex load curves" (all four panels);
* "(i) increasing nonlinearity results in increasingly 'concave' load curves ... (ii) adding noise
  to the dynamics rebalances the load across layers; and (iii) further increasing noise results in
  convex load curves"; for panel (a): "Without noise (upper right corner), the load curve is
  concave ... Increasing noise (right to left) yields a linear and then a convex load curve";
* "Linear load curves correspond to the highest test accuracy" (the shading of Fig. 1).

Shapes use springlab's measure: κ > 0.1 concave, κ < -0.1 convex, |κ| ≤ 0.1 linear
(``PhaseDiagram.shape``). Where the shipped data contradict a claim, the test is
``xfail(strict=True)`` and its reason gives the numbers. The ends of each knob are taken from what the
knob means, not from the column order: a larger data noise, learning rate or dropout is noisier,
and a *smaller* batch is noisier.

Uncertainties come from the 10 seeds: ``metadata["test_accuracy_seeds"]`` (R, C, S) for accuracy,
the curvature of each seed's curve (``load_seeds``) for κ; standard errors are std / sqrt(S).
"""
from __future__ import annotations

import numpy as np
import pytest

import springlab as sl
from springlab.core.loadcurve import curvature

PANELS = ("fig1a", "fig1b", "fig1c", "fig1d")
LINEAR = 0.1  # |κ| at most this: linear (PhaseDiagram.tolerance)


@pytest.fixture(scope="module")
def shipped():
    out = {}
    for name in PANELS:
        pd = sl.load_result(name)
        assert pd.metadata["scale"] == "paper" and len(pd.metadata["seeds"]) == 10, name
        assert list(pd.rows[1]) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0] and pd.tolerance == LINEAR, name
        acc_seeds = np.asarray(pd.metadata["test_accuracy_seeds"])
        assert acc_seeds.shape == pd.test_accuracy.shape + (10,), name
        np.testing.assert_allclose(acc_seeds.mean(-1), pd.test_accuracy, atol=1e-6)  # seeds stored to 6 decimals
        out[name] = pd
    return out


def by_noise(pd) -> np.ndarray:
    """Column indices from the least noisy to the noisiest (by what the knob means)."""
    knob, values = pd.cols
    order = np.argsort(values, kind="stable")  # data noise, learning rate, dropout: more is noisier
    return order[::-1] if knob == "batch_size" else order  # batch size: smaller is noisier


def accuracy_se(pd) -> np.ndarray:
    s = np.asarray(pd.metadata["test_accuracy_seeds"])
    return s.std(-1, ddof=1) / np.sqrt(s.shape[-1])


def kappa_se(pd) -> np.ndarray:
    k = curvature(pd.load_seeds)  # (R, C, S)
    return k.std(-1, ddof=1) / np.sqrt(k.shape[-1])


# -- the corners ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", PANELS)
def test_relu_with_least_noise_is_concave(shipped, name):
    """α = 0, least noise: concave (κ > 0.1), on the seed average and on every seed.
    Shipped κ: 0.359 (a, c, d: the same default run), 0.406 (b, lr 1e-4); seeds 0.33-0.43."""
    pd = shipped[name]
    j = by_noise(pd)[0]
    assert pd.curvature[0, j] > LINEAR and pd.shape[0, j] == "concave", pd.curvature[0, j]
    assert np.all(curvature(pd.load_seeds[0, j]) > LINEAR)


@pytest.mark.parametrize("name", PANELS)
def test_linear_net_with_most_noise_is_convex(shipped, name):
    """α = 1, most noise: convex (κ < -0.1), on the seed average and on every seed.
    Shipped κ: -0.533 (a), -0.846 (b), -0.725 (c), -0.699 (d); seeds at most -0.357."""
    pd = shipped[name]
    j = by_noise(pd)[-1]
    assert pd.curvature[-1, j] < -LINEAR and pd.shape[-1, j] == "convex", pd.curvature[-1, j]
    assert np.all(curvature(pd.load_seeds[-1, j]) < -LINEAR)


@pytest.mark.parametrize("name", PANELS)
def test_the_most_noise_is_convex_at_every_nonlinearity(shipped, name):
    """Claim (iii): enough noise makes every row convex. Shipped: the noisiest column's largest κ is
    -0.346 (a), -0.750 (b), -0.351 (c), -0.568 (d)."""
    pd = shipped[name]
    kappa = pd.curvature[:, by_noise(pd)[-1]]
    assert np.all(kappa < -LINEAR), kappa


# -- the linear band --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", PANELS)
def test_noise_walks_lazy_rows_through_linear_to_convex(shipped, name):
    """Claim (ii)-(iii) and the Fig. 1a text: in a row that is concave at the least noise, raising the noise
    reaches a linear cell before any convex one (never concave straight to convex), and the row ends convex.
    Such rows: α ≤ 0.4 in every panel, and α = 0.6 in (b); the ReLU row is one of them. Shipped first linear
    cells of the ReLU row: data noise 0.2 (κ 0.064), lr 0.02 (-0.054), dropout 0.16 (-0.072), batch 40 (0.015)."""
    pd = shipped[name]
    order = by_noise(pd)
    lazy = [i for i in range(pd.rows[1].size) if pd.shape[i, order[0]] == "concave"]
    assert 0 in lazy and len(lazy) >= 3, lazy
    for i in lazy:
        walk = list(pd.shape[i, order])
        first_other = next(s for s in walk if s != "concave")
        assert first_other == "linear" and walk[-1] == "convex", (pd.rows[1][i], walk)


@pytest.mark.parametrize("name", PANELS)
def test_more_nonlinearity_is_more_concave_with_the_least_noise(shipped, name):
    """Claim (i), in the least-noisy column: κ falls strictly from α = 0 to α = 1.
    Shipped: 0.359, 0.234, 0.149, 0.072, -0.089, -0.333 (a, c, d); 0.406, 0.237, 0.153, 0.114, 0.072, 0.067 (b)."""
    pd = shipped[name]
    kappa = pd.curvature[:, by_noise(pd)[0]]
    assert np.all(np.diff(kappa) < 0), kappa


NONLINEARITY_EVERYWHERE = {
    "fig1a": pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
        "at the highest data noise ReLU is more convex than α = 0.2: p = 0.8: κ -0.438 (α = 0) vs -0.346 "
        "(α = 0.2), 3.6 standard errors; p = 0.7: -0.316 vs -0.264, 3.7 SE")),
    "fig1d": pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
        "at batch 10 ReLU is more convex than α = 0.2: κ -0.414 vs -0.260, 4.2 standard errors")),
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=NONLINEARITY_EVERYWHERE.get(n, ())) for n in PANELS])
def test_more_nonlinearity_is_never_significantly_less_concave(shipped, name):
    """Claim (i) at every noise level: along every column, going from α to the next larger α never raises κ
    by more than 2 standard errors (of the difference, from the per-seed curvatures)."""
    pd = shipped[name]
    k, se = pd.curvature, kappa_se(pd)
    rise = np.diff(k, axis=0)  # κ(α_{i+1}) - κ(α_i): should be < 0
    z = rise / np.hypot(se[1:], se[:-1])
    assert np.all(z < 2), [(pd.rows[1][i], pd.cols[1][j], round(float(z[i, j]), 1)) for i, j in np.argwhere(z >= 2)]


# -- where the best accuracy sits -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", PANELS)
def test_a_linear_cell_is_tied_for_the_best_accuracy(shipped, name):
    """"Linear load curves correspond to the highest test accuracy", allowing for seed noise: the best linear
    cell's accuracy is within 2 standard errors (of the difference) of the panel's best. Shipped: the best
    cell is itself linear in (a) 0.948 at α 0.2, p 0.2 (κ 0.014) and (c) 0.938 at α 0.2, dropout 0.08 (κ 0.037);
    in (b) 0.9366 (κ 0.136) vs linear 0.9360 (κ 0.014), 0.4 SE; in (d) 0.9396 (κ 0.269) vs 0.9394 (κ 0.010), 0.1 SE."""
    pd = shipped[name]
    acc, se, linear = pd.test_accuracy, accuracy_se(pd), pd.shape == "linear"
    best = np.unravel_index(np.argmax(acc), acc.shape)
    lin_acc = np.where(linear, acc, -np.inf)
    best_linear = np.unravel_index(np.argmax(lin_acc), acc.shape)
    gap = acc[best] - acc[best_linear]
    assert gap <= 2 * np.hypot(se[best], se[best_linear]), (best, best_linear, gap)


def _neighbours(i, j, shape):
    return [(a, b) for a, b in ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1))
            if 0 <= a < shape[0] and 0 <= b < shape[1]]


BEST_CELL = {
    "fig1d": pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
        "the best cell, α = 0.2 at batch 320 (accuracy 0.9396), is concave (κ = 0.269) and so are its four "
        "neighbours (κ 0.335, 0.188 above and below; 0.193, 0.289 at batch 160 and 640); the linear band of that "
        "row is at batch 40 (κ 0.010, accuracy 0.9394: tied within 0.1 standard errors, so the best accuracy is "
        "reached in the band too, but also well outside it)")),
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=BEST_CELL.get(n, ())) for n in PANELS])
def test_the_best_cell_is_linear_or_next_to_a_linear_cell(shipped, name):
    """The cell of highest mean accuracy is linear, or one of its four grid neighbours is. Shipped: linear in
    (a) and (c); in (b) the best, α 0.4 at lr 0.002 (κ 0.136), has linear neighbours at lr 0.005 (κ 0.014)
    and at α 0.6 (κ 0.069)."""
    pd = shipped[name]
    acc, linear = pd.test_accuracy, pd.shape == "linear"
    i, j = np.unravel_index(np.argmax(acc), acc.shape)
    assert linear[i, j] or any(linear[c] for c in _neighbours(i, j, acc.shape)), (pd.rows[1][i], pd.cols[1][j],
                                                                                 pd.curvature[i, j])


BEST_IN_ROW = {
    "fig1a": pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
        "α = 0.6: its only linear cell is p = 0 (κ 0.072, accuracy 0.9337); the row's best is p = 0.2 "
        "(κ -0.129, just convex, 0.9398), 4.5 standard errors better")),
    "fig1d": pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
        "α = 0.6: best at batch 320 (κ +0.133, concave, accuracy 0.9385) vs the best linear cell, batch 2560 "
        "(κ 0.072, 0.9337), 3.1 standard errors; rows α = 0.2, 0.4 also peak at batch 320 on concave curves "
        "(κ 0.269, 0.188), there within 0.1 and 1.3 SE of a linear cell")),
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=BEST_IN_ROW.get(n, ())) for n in PANELS])
def test_in_each_row_a_linear_cell_is_tied_for_the_rows_best_accuracy(shipped, name):
    """Row by row (each α, varying the noise): in every row with a linear cell, the best linear cell's accuracy
    is within 3 standard errors of the row's best (3 rather than 2: about 20 rows are compared)."""
    pd = shipped[name]
    acc, se, linear = pd.test_accuracy, accuracy_se(pd), pd.shape == "linear"
    worst = []
    for i in range(acc.shape[0]):
        if not linear[i].any():
            continue
        jb = int(np.argmax(acc[i]))
        jl = int(np.flatnonzero(linear[i])[np.argmax(acc[i][linear[i]])])
        z = (acc[i, jb] - acc[i, jl]) / np.hypot(se[i, jb], se[i, jl]) if jb != jl else 0.0
        worst.append((z, pd.rows[1][i]))
    assert len(worst) >= 5 and max(worst)[0] <= 3, max(worst)
