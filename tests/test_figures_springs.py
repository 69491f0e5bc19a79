"""The spring figures of the paper (quick versions) and the claims they make."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import stats

from springlab.figures import springs as figs


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def check_phase_claims(pd, mu_left):
    """The claims shared by Fig. 3, S13 and S14 (module docstring of springlab.figures.springs)."""
    mu = pd.rows[1]
    eps = pd.cols[1]
    kappa, shape = pd.curvature, pd.shape
    assert eps[0] == 0.0 and mu[0] == 0.0
    # no noise: linear without friction, concave with it (Eq. 7)
    assert shape[0, 0] == "linear"
    assert np.all(shape[1:, 0] == "concave")
    # large noise: convex where μ→ < μ← (well below), concave where μ→ > μ← (Eq. 8)
    assert np.all(shape[mu < 0.6 * mu_left, -1] == "convex")
    assert np.all(kappa[mu > 1.1 * mu_left, -1] > 0)
    # rows with 0 < μ→ < μ←: concave at ε = 0, convex at the largest ε, κ decreasing on the way
    for i in np.flatnonzero((mu > 0) & (mu < 0.6 * mu_left)):
        assert shape[i, 0] == "concave" and shape[i, -1] == "convex"
        assert np.all(np.diff(kappa[i]) < 0.02)
    # energy is lowest where the curve is straight
    i, j = np.unravel_index(np.argmin(pd.energy), pd.energy.shape)
    assert abs(kappa[i, j]) < 0.1
    assert stats.spearmanr(np.abs(kappa).ravel(), pd.energy.ravel()).statistic > 0.6


def test_fig3_claims_and_drawing():
    pd = figs.fig3(quick=True)
    assert pd.load.shape == (6, 6, 8) and pd.metadata["fixed"]["mu_left"] == 0.2
    check_phase_claims(pd, mu_left=0.2)
    fig = figs.draw_phase_figure(pd)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes[0].lines) == 36 and "Fig. 3" in fig.axes[0].get_title()


def test_fig_s13_second_order_claims():
    pd = figs.fig_s13(quick=True)
    assert pd.metadata["fixed"]["order"] == "second"
    check_phase_claims(pd, mu_left=0.12)


def test_fig_s14_langevin_claims():
    pd = figs.fig_s14(quick=True)
    assert pd.metadata["fixed"]["order"] == "langevin" and pd.metadata["fixed"]["t_max"] == 300.0
    check_phase_claims(pd, mu_left=0.016)


def test_fig4_right_three_regimes_and_force():
    runs = figs.fig4_right(quick=True)
    assert [r.final.shape for r in runs.values()] == ["concave", "linear", "convex"]
    for r in runs.values():
        assert r.parameters["noise"] == "synchronous"
        assert r.force[0] == pytest.approx(1.0)  # k y: all the load on the last spring at t = 0
        assert r.force[-1] < 0.3
    # the more active the regime, the less load is left on the last spring
    finals = [r.force[-1] for r in runs.values()]
    assert finals[0] > finals[1] > finals[2]
    fig = figs.draw_fig4_right(runs)
    assert len(fig.axes) == 6  # three panels and their twin force axes


def test_fig5b_linear_without_noise_convex_with_noise():
    curves = figs.fig5b(quick=True)
    assert curves[0.0].shape == "linear" and abs(curves[0.0].curvature) < 1e-5
    assert all(c.shape == "convex" for e, c in curves.items() if e > 0)
    fig = figs.draw_fig5b(curves)
    assert len(fig.axes[0].lines) == len(curves)


def test_unknown_figure():
    with pytest.raises(ValueError, match="name must be one of"):
        figs.phase_figure("fig99")


@pytest.mark.parametrize("name, mu_left", [("fig3", 0.2), ("fig_s13", 0.12), ("fig_s14", 0.016)])
def test_paper_size_phase_figures_make_the_same_claims(name, mu_left):
    # 16 x 16 cells x 10 seeds, the paper's t; a few seconds each on two cores
    pd = figs.phase_figure(name)
    assert pd.load.shape == (16, 16, 8) and pd.load_seeds.shape[2] == 10
    check_phase_claims(pd, mu_left=mu_left)
