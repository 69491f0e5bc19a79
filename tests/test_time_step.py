"""What the time step means (SPEC §2, "2.1–2.2: what the time step means").

First order: the noise enters the friction as ``ε̄ = ε/√dt``, so ``dt`` is part
of the model: at fixed ``ε`` a smaller step is a noisier chain, at fixed ``ε̄``
it is the same one. Second order: the same at fixed ``ε``, far weaker. Langevin: the noise is a Wiener increment outside the
friction, and the model converges as ``dt → 0``.
"""
from __future__ import annotations

import math

import numpy as np

import springlab as sl


def mean_delta_d(load):
    """Mean Δd of load curves ``D_0 .. D_L`` (last axis), with ``D_{L+1} = 0``."""
    D = np.concatenate([load, np.zeros(load.shape[:-1] + (1,))], axis=-1)
    d = -np.diff(D, axis=-1)
    return np.mean(np.diff(d, axis=-1), axis=-1)


def test_first_order_time_step_is_part_of_the_model():
    # k = y = 1, L = 7, t = 100, mu→ = 0.1, mu← = 0.2, eps = 0.004, seeds 0–2
    kw = dict(k=1.0, y=1.0, L=7, t_max=100.0, mu_right=0.1, mu_left=0.2)

    def runs(eps, dt):
        rs = [sl.simulate_chain("first", eps=eps, dt=dt, seed=s, **kw) for s in range(3)]
        return np.array([mean_delta_d(r.load[-1]) for r in rs]), {r.final.shape for r in rs}

    coarse, coarse_shapes = runs(0.004, 0.01)  # the paper's step
    fine, fine_shapes = runs(0.004, 0.0025)  # same eps, ε̄ twice as large
    same_bar, same_bar_shapes = runs(0.004 * math.sqrt(0.0025 / 0.01), 0.0025)  # same ε̄ = 0.04
    # measured: +0.031 (concave), -0.023 (convex), +0.031 (concave); seed spread < 0.001
    assert np.all(coarse > 0.02) and coarse_shapes == {"concave"}
    assert np.all(fine < -0.01) and fine_shapes == {"convex"}
    assert same_bar_shapes == {"concave"}
    assert abs(same_bar.mean() - coarse.mean()) < 0.003
    # the second-order chain (noise in the static-friction test, kick ε√dt ζ to the velocity)
    # changes far less at fixed eps: measured 0.0504 and 0.0495
    second = [np.mean([mean_delta_d(sl.simulate_chain("second", eps=0.004, dt=dt, seed=s, **kw).load[-1])
                       for s in range(3)]) for dt in (0.01, 0.0025)]
    assert abs(second[0] - second[1]) < 0.005
    assert abs(coarse.mean() - fine.mean()) > 0.04  # first order: 0.054


def test_langevin_converges_as_the_step_shrinks():
    # Fig. S14's parameters near the linear band (ε₀ = 0.012): mean Δd at two steps, 16 seeds
    pd = sl.chain_phase_diagram(rows=("dt", [0.01, 0.005]), cols=("mu_right", [0.0064, 0.016]), seeds=16,
                                order="langevin", k=0.1, gamma=1.0, tau=0.002, mu_left=0.016, L=7, t_max=300.0,
                                y=1.0, eps=0.012)
    dd = mean_delta_d(pd.load_seeds)  # (dt, mu_right, seed)
    mean = dd.mean(axis=-1)
    se = dd.std(axis=-1, ddof=1) / math.sqrt(dd.shape[-1])  # measured ≈ 0.0005
    # the two cells are on either side of the band: convex (-0.022) and concave (+0.026)
    assert mean[0, 0] < -0.01 and mean[0, 1] > 0.01
    # the steps agree within the seed error (measured differences 0.0001 and 0.0002); for scale,
    # the first-order chain above moves by 0.054 between dt = 0.01 and 0.0025
    diff = np.abs(mean[0] - mean[1])
    assert np.all(diff < 4 * np.sqrt(se[0] ** 2 + se[1] ** 2))
    assert np.all(diff < 0.003)
