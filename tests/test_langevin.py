"""The Langevin chain (SPEC §2.3, paper Eq. 12–13, supplement VI.3): where the noise enters.

Friction is computed first, on the noiseless spring force; the noise ``ε(t) dW``
is then added to the velocity of every block, resting or moving. The chain
does not record velocities, but each step moves a block by ``dt`` times its
new velocity, so recording every step gives ``v_n = (x_n - x_{n-1}) / dt``.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import springlab as sl
from springlab.chains import reference as ref

#: Fig. S14's fixed parameters (SPEC §2.5; springlab.figures.springs.PHASE_FIGURES)
S14 = dict(k=0.1, gamma=1.0, tau=0.002, mu_left=0.016, L=7, t_max=300.0, y=1.0, dt=0.01)


def velocities(run):
    """Velocities after each step of a run recorded at every step."""
    return np.diff(run.positions, axis=0) / run.parameters["dt"]


def test_one_step_noise_reaches_resting_and_moving_blocks_after_the_friction():
    kw = dict(k=1.0, y=0.0, mu_right=0.1, mu_left=0.2, eps_t=0.5, gamma=1.0, dt=0.01)
    kick = 0.5 * math.sqrt(0.01)  # ε(t) √dt
    # one block at rest, spring force 0 inside the static band [-μ←, μ→]: only the noise moves it
    x, v = ref.langevin_step([0.0], [0.0], [1.0], **kw)
    assert v == [kick] and x == [0.01 * kick]
    x, v = ref.langevin_step([0.0], [0.0], [-0.3], **kw)
    assert v == [-0.3 * kick]
    # a moving block: friction from the velocity before the noise (μ→ while v > 0), then the noise
    _, v = ref.langevin_step([0.0], [0.02], [-1.0], **kw)
    assert v[0] == pytest.approx(0.02 + 0.01 * (0.0 - 0.1 - 0.02) - kick, abs=1e-15)
    # without noise, static friction still holds a block at rest
    _, v = ref.langevin_step([0.0], [0.0], [0.0], **dict(kw, eps_t=0.0))
    assert v == [0.0]


def test_a_resting_chain_under_noise_moves():
    # y = 0: every spring force is 0, inside the static band; only the noise can move the blocks
    kw = dict(L=7, y=0.0, mu_right=0.05, mu_left=0.05, eps=0.2, t_max=50.0, seed=0)
    moved = {order: np.abs(sl.simulate_chain(order, **kw).positions).max(axis=0)
             for order in ("langevin", "second", "first")}
    assert np.all(moved["langevin"] > 0.05)  # every block moved
    # same order of magnitude as the models with the noise inside the friction
    assert 0.3 < moved["langevin"].max() / moved["second"].max() < 3
    assert 0.3 < moved["langevin"].max() / moved["first"].max() < 3


def test_frictionless_langevin_chain_is_equipartitioned():
    # μ→ = μ← = 0, constant noise (τ = 0): ⟨v²⟩ = ε²/(2γ) for every block of a harmonic chain.
    # Euler–Maruyama adds O(γ dt): the exact stationary value of this scheme is 1.0051 ε²/(2γ)
    # (discrete Lyapunov equation, k = 1, L = 7). Statistics: the time average of v² over T
    # after burn-in has a relative standard deviation sqrt(2/(γT)) per block (≈ 0.018 for
    # T = 980 and 7 blocks, measured over 64 seeds); 4 seeds give ≈ 0.009, so 0.04 is > 4 sd.
    eps, gamma = 0.1, 1.0
    target = eps**2 / (2 * gamma)
    ratios = []
    for seed in range(4):
        run = sl.simulate_chain("langevin", L=7, k=1.0, y=0.0, mu_right=0.0, mu_left=0.0, eps=eps, gamma=gamma,
                                tau=0.0, dt=0.01, t_max=1000.0, seed=seed, record_every=0.01)
        v = velocities(run)[2000:]  # burn-in: 20 time units ≫ 1/γ
        ratios.append(np.mean(v**2, axis=0) / target)
    ratios = np.array(ratios)  # (seeds, blocks)
    assert ratios.mean() == pytest.approx(1.005, abs=0.04)
    assert np.all(np.abs(ratios.mean(axis=0) - 1.005) < 0.1)  # each block, 4 seeds: sd ≈ 0.024
    # the noise alone sets the temperature: ⟨v⟩ = 0
    assert abs(np.mean(velocities(run)[2000:])) < 0.1 * math.sqrt(target)


def test_fig_s14_first_block_is_not_stuck():
    # μ→ = μ← = 0.016, ε₀ = 0.02: with the noise skipped at rest, block 1 stayed at 0 in every seed
    runs = [sl.simulate_chain("langevin", mu_right=0.016, eps=0.02, seed=s, **S14) for s in range(5)]
    x1 = np.array([r.positions[-1, 0] for r in runs])
    kappa = np.array([r.final.curvature for r in runs])
    assert np.all(x1 > 0.03)
    assert x1.mean() == pytest.approx(0.068, abs=0.02)  # measured 0.068 (seeds 0–4)
    # concave, but far less than without noise (κ ≈ 0.87): the noise carries load to block 1
    assert 0.1 < kappa.mean() < 0.3  # measured 0.19
    quiet = sl.simulate_chain("langevin", mu_right=0.016, eps=0.0, **S14)
    assert quiet.final.curvature > kappa.max() + 0.3
