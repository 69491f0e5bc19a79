"""Every claim of SPEC §2.4 against simulation (springlab.chains.theory vs springlab.chains.simulator)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import springlab as sl
from springlab.chains import theory as ct
from springlab.chains import reference as ref


def shares(positions, y):
    x = np.concatenate([[0.0], np.asarray(positions), [y]])
    return np.diff(x)


def mean_delta_d(positions, y):
    return float(np.mean(np.diff(shares(positions, y))))


# ------------------------------------------------------------ no friction, no noise
@pytest.mark.parametrize("order", ["first", "second", "langevin"])
def test_frictionless_chain_is_equiseparated_with_minimum_energy(order):
    run = sl.simulate_chain(order, L=7, k=1.0, y=2.0, mu_right=0.0, mu_left=0.0, eps=0.0, t_max=200.0)
    np.testing.assert_allclose(run.final.d, 2.0 / 8, atol=1e-6)
    assert run.final.shape == "linear" and abs(run.final.curvature) < 1e-5
    assert run.energy[-1] == pytest.approx(ct.minimum_energy(7, 1.0, 2.0), rel=1e-6)
    np.testing.assert_allclose(ct.equilibrium(7, 1.0, 2.0, 0.0), run.positions[-1], atol=1e-6)


# ------------------------------------------------------------ Eq. 7 and the stuck-block equilibrium
def test_eq7_when_every_block_moves():
    L, k, y, mu = 7, 1.0, 10.0, 0.1
    assert ct.all_blocks_move(L, k, y, mu)
    run = sl.simulate_chain(L=L, k=k, y=y, mu_right=mu, mu_left=0.3, eps=0.0, t_max=200.0)
    x_star = ct.equilibrium(L, k, y, mu)
    np.testing.assert_allclose(run.positions[-1], x_star, atol=1e-4)
    l = np.arange(1, L + 1)
    np.testing.assert_allclose(x_star, y * l / (L + 1) - mu / k * (L * l / 2 - l * (l - 1) / 2))
    np.testing.assert_allclose(np.diff(shares(x_star, y)), mu / k)  # Δd* = μ→/k
    np.testing.assert_allclose(np.diff(shares(run.positions[-1], y)), mu / k, atol=1e-4)
    assert run.final.shape == "concave"


def test_all_blocks_move_threshold_is_where_the_first_block_starts():
    L, k, mu = 7, 2.0, 0.1
    y0 = mu * L * (L + 1) / (2 * k)
    assert ct.all_blocks_move(L, k, y0, mu) and not ct.all_blocks_move(L, k, 0.99 * y0, mu)
    assert ct.equilibrium(L, k, y0, mu)[0] == pytest.approx(0.0, abs=1e-12)
    above = sl.simulate_chain(L=L, k=k, y=1.1 * y0, mu_right=mu, t_max=300.0)
    below = sl.simulate_chain(L=L, k=k, y=0.9 * y0, mu_right=mu, t_max=300.0)
    assert above.positions[-1, 0] > 1e-3
    assert below.positions[-1, 0] == 0.0


@pytest.mark.parametrize("y, mu, moving", [(1.0, 0.2, 2), (1.0, 0.05, 5), (0.5, 0.01, 7), (0.15, 0.2, 0),
                                           (3.0, 0.25, 4)])
def test_stuck_block_equilibrium_matches_simulation(y, mu, moving):
    L, k = 7, 1.0
    assert ct.moving_blocks(L, k, y, mu) == moving
    run = sl.simulate_chain(L=L, k=k, y=y, mu_right=mu, mu_left=0.1, eps=0.0, t_max=300.0)
    x = run.positions[-1]
    np.testing.assert_allclose(x, ct.equilibrium(L, k, y, mu), atol=2e-4)
    assert np.count_nonzero(x > 0) == moving
    # the forces: μ→ on every moved block, at most μ→ on the stuck ones
    full = np.concatenate([[0.0], x, [y]])
    force = k * (full[2:] - 2 * full[1:-1] + full[:-2])
    assert np.all(force <= mu + 1e-4)
    if moving:
        np.testing.assert_allclose(force[L - moving:], mu, atol=2e-4)


def test_second_order_noiseless_chain_ends_in_static_equilibrium_and_concave():
    run = sl.simulate_chain("second", L=7, k=1.0, gamma=1.0, y=10.0, mu_right=0.1, mu_left=0.1, t_max=200.0)
    x = np.concatenate([[0.0], run.positions[-1], [10.0]])
    force = x[2:] - 2 * x[1:-1] + x[:-2]
    assert np.all(force <= 0.1 + 1e-9) and np.all(force >= -0.1 - 1e-9)  # static friction holds
    assert run.final.shape == "concave"
    assert np.all(np.abs(np.diff(run.positions[-20:], axis=0)) == 0)  # at rest


# ------------------------------------------------------------ effective friction
def test_effective_friction_matches_monte_carlo_with_the_chains_noise():
    key = ref.seed_key(99)
    zeta = np.array([ref.gaussian(key, c) for c in range(60_000)])
    mu_r, mu_l = 0.1, 0.2
    for F, eps_bar in [(0.1, 0.05), (0.05, 0.2), (-0.05, 0.5), (0.1, 2.0)]:
        s = sl.friction_activation(F + eps_bar * zeta, mu_r, mu_l)
        moving = s != 0
        mc = np.mean(F - s[moving])
        se = np.std(F - s[moving]) / math.sqrt(moving.sum())
        assert sl.effective_friction(F, eps_bar, mu_r, mu_l) == pytest.approx(mc, abs=4 * se + 1e-4)


def test_effective_friction_matches_quadrature():
    from scipy import integrate, stats

    mu_r, mu_l, F, e = 0.07, 0.13, 0.02, 0.3
    sig = lambda z: sl.friction_activation(F + e * z, mu_r, mu_l)
    a, b = (mu_r - F) / e, (-mu_l - F) / e
    num = (integrate.quad(lambda z: (F - sig(z)) * stats.norm.pdf(z), a, np.inf)[0]
           + integrate.quad(lambda z: (F - sig(z)) * stats.norm.pdf(z), -np.inf, b)[0])
    p = stats.norm.sf(a) + stats.norm.cdf(b)
    assert sl.effective_friction(F, e, mu_r, mu_l) == pytest.approx(num / p, rel=1e-7)


def test_effective_friction_limits_and_monotonicity():
    mu_r, mu_l, k = 0.1, 0.3, 1.0
    # no noise: a pulled block feels μ→ (Eq. 7); tiny noise tends to it
    assert sl.effective_friction(0.15, 0.0, mu_r, mu_l) == mu_r
    assert sl.effective_friction(mu_r, 1e-6, mu_r, mu_l) == pytest.approx(mu_r, abs=1e-5)
    assert sl.effective_friction(0.05, 1e-4, mu_r, mu_l) == pytest.approx(0.05, abs=1e-3)  # no underflow
    # large noise: (μ→ - μ←)/2 whatever the force
    for F in (-0.1, 0.0, 0.1):
        assert sl.effective_friction(F, 1e4, mu_r, mu_l) == pytest.approx((mu_r - mu_l) / 2, abs=1e-4)
    # dμ_eff/dε <= 0 for k Δd in [(μ→ - μ←)/2, μ→]
    eps = np.geomspace(1e-3, 1e3, 400)
    for F in np.linspace((mu_r - mu_l) / 2, mu_r, 7):
        mu_eff = sl.effective_friction(F * k, eps, mu_r, mu_l)
        assert np.all(np.diff(mu_eff) <= 1e-12)
    assert ct.delta_d_star(k, mu_r, mu_l, 0.0) == pytest.approx(mu_r / k)
    assert ct.delta_d_star(k, mu_r, mu_l) == pytest.approx((mu_r - mu_l) / (2 * k))
    mid = ct.delta_d_star(k, mu_r, mu_l, 0.5)
    assert (mu_r - mu_l) / (2 * k) < mid < mu_r / k


# ------------------------------------------------------------ large noise, Eq. 8
@pytest.mark.parametrize("mu_right, shape", [(0.0, "convex"), (0.1, "convex"), (0.2, "linear"), (0.3, "concave")])
def test_eq8_large_noise_delta_d(mu_right, shape):
    mu_left, k, y = 0.2, 1.0, 1.0
    runs = [sl.simulate_chain(mu_right=mu_right, mu_left=mu_left, eps=0.05, seed=s, t_max=100.0) for s in range(5)]
    dd = np.mean([mean_delta_d(r.positions[-1], y) for r in runs])
    # measured: -0.0990, -0.0492, +0.0006, +0.0505 against -0.1, -0.05, 0, 0.05
    assert dd == pytest.approx(ct.delta_d_star(k, mu_right, mu_left), abs=0.005)
    mean_curve = sl.LoadCurve(np.mean([r.final.values for r in runs], axis=0))
    assert mean_curve.shape == shape


def test_noise_walks_concave_linear_convex_when_mu_left_exceeds_mu_right():
    # μ← > μ→ > 0: raising ε from 0 walks concave -> linear -> convex (the DNN phase diagram)
    pd = sl.chain_phase_diagram(rows=("mu_right", [0.1]), cols=("eps", [0.0, 0.004, 0.006, 0.02]), seeds=4,
                                mu_left=0.2, y=1.0, t_max=100.0)
    kappa, shapes = pd.curvature[0], list(pd.shape[0])
    # concave at ε = 0, convex at the largest ε, linear somewhere between; κ falls strictly with ε, so the
    # shapes come in that order (measured: concave, concave, linear, convex; κ = 0.78, 0.40, 0.08, -0.45)
    assert shapes[0] == "concave" and shapes[-1] == "convex" and "linear" in shapes[1:-1]
    assert np.all(np.diff(kappa) < 0)
    # ε = 0, derived by hand: y = 1 is too small for Eq. 7 (every block moving needs y >= μ→ L (L+1) / 2k = 2.8).
    # Only the blocks whose force exceeds μ→ slide, and each stops where its force k (d_{l+1} - d_l) = μ→:
    # shares d_5..d_8 = a, a + 0.1, a + 0.2, a + 0.3 summing to y give a = 0.1; blocks 1-4 never move
    # (block 4 feels k d_5 = 0.1 = μ→, not more). D_l = y - x_l:
    np.testing.assert_allclose(pd.load[0, 0], [1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 0.7, 0.4], atol=1e-6)


def test_fig5b_claim_linear_without_noise_convex_with_any_noise():
    zero = sl.simulate_chain(mu_right=0.0, mu_left=0.1, eps=0.0, t_max=100.0)
    assert zero.final.shape == "linear" and abs(zero.final.curvature) < 1e-5
    for eps in (0.002, 0.01):
        runs = [sl.simulate_chain(mu_right=0.0, mu_left=0.1, eps=eps, seed=s) for s in range(3)]
        assert all(r.final.shape == "convex" for r in runs)


# ------------------------------------------------------------ energy
def test_equiseparated_chain_has_the_lowest_energy():
    rng = np.random.default_rng(0)
    L, k, y = 7, 1.5, 2.0
    d = rng.dirichlet(np.ones(L + 1), size=2000) * y  # random shares with total extension y
    x = np.cumsum(d, axis=1)[:, :L]
    E = ct.elastic_energy(x, k=k, y=y)
    assert np.all(E >= ct.minimum_energy(L, k, y) - 1e-12)
    assert ct.elastic_energy(ct.equilibrium(L, k, y, 0.0), k=k, y=y) == pytest.approx(ct.minimum_energy(L, k, y))
    # a chain's energy grows with the bend of its load curve
    bent = [sl.simulate_chain(y=y, k=k, mu_right=mu, t_max=100.0) for mu in (0.02, 0.05, 0.1)]
    energies = [r.energy[-1] for r in bent]
    assert np.all(np.diff([r.final.curvature for r in bent]) > 0)
    assert ct.minimum_energy(L, k, y) < energies[0] < energies[1] < energies[2]


# ------------------------------------------------------------ slow drift and its three cures
def test_untruncated_noise_drifts_past_the_bounded_noise_limit():
    # μ→ = 0.05, μ← = 0.15, ε̄ = 0.04. With noise bounded at 2σ (|ε̄ζ| <= 0.08) a block moves right only
    # while k Δd > μ→ - 0.08 = -0.03 and left only while k Δd < -μ← + 0.08 = -0.07: coming from the
    # concave side, Δd creeps down to -0.03 and stops. Gaussian tails keep moving it towards Eq. 8's
    # (μ→ - μ←)/2 = -0.05 (measured mean Δd at t = 600: bounded -0.021, untruncated about -0.040).
    kw = dict(mu_right=0.05, mu_left=0.15, eps=0.004, t_max=600.0, record_every=100.0)
    bounded = sl.simulate_chain(noise_bound=2.0, **kw)
    free = sl.simulate_chain(**kw)
    dd_b = [mean_delta_d(x, 1.0) for x in bounded.positions]
    dd_f = [mean_delta_d(x, 1.0) for x in free.positions]
    assert min(dd_b) >= 0.05 - 0.04 * 2.0 - 1e-9
    assert dd_f[-1] < -0.035
    assert np.all(np.diff(dd_f[1:]) < 0)  # still drifting


def test_noise_decay_and_stopping_rule_freeze_the_chain():
    kw = dict(mu_right=0.05, mu_left=0.15, eps=0.004, record_every=100.0)
    decayed = sl.simulate_chain(tau=0.05, t_max=600.0, **kw)
    np.testing.assert_array_equal(decayed.positions[-1], decayed.positions[-3])  # frozen
    assert mean_delta_d(decayed.positions[-1], 1.0) > 0  # still concave: no drift to Eq. 8
    # the slow drift moves the chain by < 0.3 % per 5 time units after t ≈ 235: the rule stops it there
    stopped = sl.simulate_chain(stop_rtol=3e-3, stop_window=5.0, t_max=600.0, **kw)
    assert stopped.stopped_at is not None and 100.0 < stopped.stopped_at < 600.0
    assert mean_delta_d(stopped.positions[-1], 1.0) > mean_delta_d(free_run(kw).positions[-1], 1.0) + 0.01


def free_run(kw):
    return sl.simulate_chain(t_max=600.0, **kw)


def test_theory_input_errors():
    with pytest.raises(ValueError, match="L must be an integer >= 1"):
        ct.equilibrium(0, 1.0, 1.0, 0.1)
    with pytest.raises(ValueError, match="k must be > 0"):
        ct.equilibrium(7, 0.0, 1.0, 0.1)
    with pytest.raises(ValueError, match="mu_right must be >= 0"):
        ct.all_blocks_move(7, 1.0, 1.0, -0.1)
    with pytest.raises(ValueError, match="eps_bar must be finite and >= 0"):
        sl.effective_friction(0.1, -1.0, 0.1, 0.1)
    with pytest.raises(ValueError, match="mu_left must be >= 0"):
        sl.effective_friction(0.1, 1.0, 0.1, -0.1)
    with pytest.raises(ValueError, match="positions must have shape"):
        ct.elastic_energy(np.zeros((3, 0)))
