"""LoadCurve, curvature, classify_shape (springlab.core.loadcurve) and PhaseDiagram storage/plot."""
from __future__ import annotations

import numpy as np
import pytest

import springlab as sl
from springlab.core.loadcurve import LINEAR_TOLERANCE, classify_shape, curvature
from springlab.core.phase import PhaseDiagram


def curve_from_shares(d):
    """D_0 .. D_L from shares d_1 .. d_L, ending at 0."""
    d = np.asarray(d, dtype=float)
    return np.concatenate([[d.sum()], d.sum() - np.cumsum(d)])


def test_curvature_is_invariant_to_shift_and_positive_scale():
    rng = np.random.default_rng(1)
    for _ in range(50):
        D = curve_from_shares(rng.uniform(0.1, 1.0, size=7))
        a, b = rng.uniform(0.01, 100), rng.uniform(-50, 50)
        assert curvature(a * D + b) == pytest.approx(curvature(D), abs=1e-12)
        assert sl.LoadCurve(a * D + b).shape == sl.LoadCurve(D).shape


@pytest.mark.parametrize("L", [3, 7, 12])
def test_constant_delta_d_identity_and_sign(L):
    dbar = 1.0
    for dd in (-0.1, -0.02, 0.0, 0.03, 0.12):
        l = np.arange(1, L + 1)
        d = dbar + (l - (L + 1) / 2) * dd  # constant Δd, mean share dbar
        assert np.all(d > 0)
        kappa = curvature(curve_from_shares(d))
        assert kappa == pytest.approx((L + 1) / 6 * dd / dbar, abs=1e-12)  # documented identity
        assert np.sign(kappa) == np.sign(dd)  # sign of the mean Δd
        lc = sl.LoadCurve(curve_from_shares(d))
        np.testing.assert_allclose(lc.d, d)
        np.testing.assert_allclose(lc.delta_d, dd, atol=1e-12)


def test_sign_follows_mean_delta_d_for_noisy_curves():
    rng = np.random.default_rng(2)
    for _ in range(200):
        dd = rng.choice([-1, 1]) * rng.uniform(0.02, 0.1)
        d = 1.0 + (np.arange(1, 8) - 4) * dd + rng.normal(0, 0.002, size=7)
        assert np.sign(curvature(curve_from_shares(d))) == np.sign(np.mean(np.diff(d)))


def test_extremes_and_thresholds():
    assert curvature([1, 1, 1, 0]) == pytest.approx(1.0)  # all the drop in the last layer
    assert curvature([1, 0, 0, 0]) == pytest.approx(-1.0)  # all in the first
    assert curvature([1, 1, 1]) == 0.0 and curvature([1.0, 0.0]) == 0.0
    assert classify_shape(LINEAR_TOLERANCE) == "concave"
    assert classify_shape(-LINEAR_TOLERANCE) == "convex"
    assert classify_shape(0.0999) == "linear"
    np.testing.assert_array_equal(classify_shape([0.5, 0.0, -0.5]), ["concave", "linear", "convex"])
    assert classify_shape(0.05, tolerance=0.01) == "concave"
    # the documented justification: at L = 7, κ = 0.1 is Δd = 0.075 d̄
    assert curvature(curve_from_shares(1 + (np.arange(1, 8) - 4) * 0.075)) == pytest.approx(0.1)


def test_round_off_flat_curves_are_flat_not_bent():
    """A stuck chain or identical layers: differences at round-off level must not read as a bend."""
    flat = np.full(8, 0.7)
    flat[3] += 1e-16
    flat[6] -= 2e-16
    assert curvature(flat) == 0.0 and sl.LoadCurve(flat).shape == "linear"
    # while a small but real bend, far above round-off, still counts
    bent = 1.0 - 1e-6 * np.arange(8) ** 2
    assert sl.LoadCurve(bent).shape == "concave"


def test_eq7_chain_crosses_the_linear_threshold_near_mu_0p009():
    def kappa(mu):
        x = sl.equilibrium(7, 1.0, 1.0, mu)
        return sl.LoadCurve(np.concatenate([[1.0], 1.0 - x])).curvature

    lo, hi = 0.0, 0.02
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if kappa(mid) < LINEAR_TOLERANCE else (lo, mid)
    assert lo == pytest.approx(0.009, abs=1e-4)  # measured 0.009036: "μ→ ≈ 0.009"
    # and it is the identity at work: Δd = μ→ (k = 1), d̄ the mean of the L shares in the curve
    dbar = sl.equilibrium(7, 1.0, 1.0, lo)[-1] / 7
    assert (7 + 1) / 6 * lo / dbar == pytest.approx(LINEAR_TOLERANCE, rel=1e-6)
    assert kappa(0.008) < 0.1 < kappa(0.011)
    # the simulated chain agrees
    assert sl.simulate_chain(mu_right=0.008, eps=0.0, t_max=200.0).final.shape == "linear"
    assert sl.simulate_chain(mu_right=0.011, eps=0.0, t_max=200.0).final.shape == "concave"


def test_load_curve_object():
    lc = sl.LoadCurve([3.0, 2.0, 1.5, 0.0])
    assert lc.L == 3
    np.testing.assert_allclose(lc.normalized().values, [1.0, 2 / 3, 0.5, 0.0])
    assert lc.normalized().shape == lc.shape
    assert lc == sl.LoadCurve(np.array([3.0, 2.0, 1.5, 0.0])) and hash(lc) == hash(sl.LoadCurve(lc.values))
    assert "shape=" in repr(lc)
    with pytest.raises(ValueError):
        lc.values[0] = 1.0  # read-only
    ax = lc.plot()
    assert len(ax.lines) == 2  # curve and chord
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize("bad, message", [
    ([1.0], "at least two values"),
    ([1.0, np.nan, 0.0], "must be finite"),
    ([[1.0, 0.0], [1.0, 0.0]], "one curve of shape"),
])
def test_load_curve_rejects_bad_input(bad, message):
    with pytest.raises(ValueError, match=message):
        sl.LoadCurve(bad)


def test_curvature_and_classifier_reject_bad_input():
    with pytest.raises(ValueError, match="must be finite"):
        curvature([1.0, np.inf, 0.0])
    with pytest.raises(ValueError, match="tolerance must be in"):
        classify_shape(0.1, tolerance=0.0)
    with pytest.raises(ValueError, match="tolerance must be in"):
        sl.LoadCurve([1.0, 0.5, 0.0], tolerance=2.0)


# ---------------------------------------------------------------- PhaseDiagram
def small_diagram():
    rng = np.random.default_rng(0)
    load_seeds = np.sort(rng.uniform(size=(2, 3, 4, 6)), axis=-1)[..., ::-1]
    return PhaseDiagram(rows=("mu_right", [0.0, 0.1]), cols=("eps", [0.0, 0.01, 0.02]),
                        load=load_seeds.mean(axis=2), energy=rng.uniform(size=(2, 3)), load_seeds=load_seeds,
                        metadata={"model": "test", "seeds": [0, 1, 2, 3]})


def test_phase_diagram_save_load_round_trip(tmp_path):
    pd = small_diagram()
    path = pd.save(tmp_path / "sub" / "pd.npz")
    back = PhaseDiagram.load_file(path)
    assert back.rows[0] == "mu_right" and back.cols[0] == "eps"
    np.testing.assert_array_equal(back.rows[1], pd.rows[1])
    np.testing.assert_array_equal(back.cols[1], pd.cols[1])
    np.testing.assert_array_equal(back.load, pd.load)
    np.testing.assert_array_equal(back.energy, pd.energy)
    np.testing.assert_array_equal(back.load_seeds, pd.load_seeds)
    assert back.test_accuracy is None
    assert back.metadata == pd.metadata
    np.testing.assert_array_equal(back.shape, pd.shape)
    assert not (tmp_path / "sub" / "pd.npz.tmp").exists()


def test_phase_diagram_plot_draws_one_curve_per_cell():
    import matplotlib.pyplot as plt

    pd = small_diagram()
    ax = pd.plot()
    assert len(ax.lines) == 2 * 3
    assert ax.get_xlabel() == "eps" and ax.get_ylabel() == "mu_right"
    assert len(ax.images) == 1
    np.testing.assert_allclose(ax.images[0].get_array(), pd.energy)  # shaded by energy
    plt.close("all")


def test_phase_diagram_shape_errors():
    with pytest.raises(ValueError, match="load must have shape"):
        PhaseDiagram(rows=("a", [1, 2]), cols=("b", [1]), load=np.zeros((1, 1, 3)))
    with pytest.raises(ValueError, match="energy must have shape"):
        PhaseDiagram(rows=("a", [1]), cols=("b", [1]), load=np.zeros((1, 1, 3)), energy=np.zeros(2))
    with pytest.raises(ValueError, match="rows must be a"):
        PhaseDiagram(rows=5, cols=("b", [1]), load=np.zeros((1, 1, 3)))
