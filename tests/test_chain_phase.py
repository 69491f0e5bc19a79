"""Chain phase diagrams: one seed one result, any two parameters, errors."""
from __future__ import annotations

import numpy as np
import pytest

import springlab as sl


def test_cells_are_the_seed_average_of_simulate_chain():
    pd = sl.chain_phase_diagram(rows=("mu_right", [0.05, 0.15]), cols=("eps", [0.0, 0.01]), seeds=3,
                                mu_left=0.1, t_max=20.0)
    assert pd.load.shape == (2, 2, 8) and pd.energy.shape == (2, 2) and pd.load_seeds.shape == (2, 2, 3, 8)
    for i, mu in enumerate([0.05, 0.15]):
        for j, eps in enumerate([0.0, 0.01]):
            runs = [sl.simulate_chain(mu_right=mu, mu_left=0.1, eps=eps, t_max=20.0, seed=s) for s in range(3)]
            for s, r in enumerate(runs):
                np.testing.assert_array_equal(pd.load_seeds[i, j, s], r.load[-1])
            np.testing.assert_allclose(pd.load[i, j], np.mean([r.load[-1] for r in runs], axis=0))
            np.testing.assert_allclose(pd.energy[i, j], np.mean([r.energy[-1] for r in runs]))
    assert pd.metadata["seeds"] == [0, 1, 2] and pd.metadata["fixed"]["mu_left"] == 0.1
    assert pd.shape.shape == (2, 2) and pd.curvature.shape == (2, 2)


def test_any_two_parameters_including_ones_that_change_the_step_count():
    pd = sl.chain_phase_diagram(rows=("t_max", [5.0, 10.0]), cols=("dt", [0.01, 0.02]), seeds=[4, 7],
                                order="second", eps=0.01, gamma=2.0)
    r = sl.simulate_chain("second", t_max=10.0, dt=0.02, eps=0.01, gamma=2.0, seed=7)
    np.testing.assert_array_equal(pd.load_seeds[1, 1, 1], r.load[-1])
    pd2 = sl.chain_phase_diagram(rows=("k", [0.5, 1.0]), cols=("y", [1.0, 2.0]), seeds=1, mu_right=0.0,
                                 mu_left=0.0, t_max=200.0)
    # frictionless: linear everywhere, energy k y² / (2 (L+1))
    np.testing.assert_allclose(pd2.energy, np.outer([0.5, 1.0], [1.0, 4.0]) / 16, rtol=1e-4)
    assert np.all(pd2.shape == "linear")


def test_langevin_axes_and_progress_bar(capsys):
    pd = sl.chain_phase_diagram(rows=("gamma", [0.5, 1.0]), cols=("tau", [0.0, 0.1]), seeds=2,
                                order="langevin", eps=0.01, t_max=5.0, progress=True)
    assert pd.load.shape == (2, 2, 8)
    r = sl.simulate_chain("langevin", gamma=1.0, tau=0.1, eps=0.01, t_max=5.0, seed=1)
    np.testing.assert_array_equal(pd.load_seeds[1, 1, 1], r.load[-1])


def test_round_trip_through_a_file(tmp_path):
    pd = sl.chain_phase_diagram(rows=("mu_right", [0.0, 0.1]), cols=("eps", [0.0, 0.02]), seeds=2, t_max=5.0)
    back = sl.PhaseDiagram.load_file(pd.save(tmp_path / "chain.npz"))
    np.testing.assert_array_equal(back.load, pd.load)
    np.testing.assert_array_equal(back.energy, pd.energy)
    assert back.metadata["fixed"]["order"] == "first"


@pytest.mark.parametrize("kwargs, message", [
    (dict(rows=("color", [1]), cols=("eps", [0.0])), "rows parameter must be one of"),
    (dict(rows=("eps", [0.0]), cols=("eps", [0.0])), "different parameters"),
    (dict(rows=("mu_right", [0.1]), cols=("eps", [0.0]), mu_right=0.2), "is an axis of the diagram"),
    (dict(rows=("mu_right", [0.1, -0.1]), cols=("eps", [0.0])), "mu_right must be >= 0; got -0.1"),
    (dict(rows=("mu_right", [0.1]), cols=("dt", [0.01, 0.9])), r"dt must be in \(0, 0.5\)"),
    (dict(rows=("mu_right", [0.1]), cols=("eps", [0.0]), seeds=0), "seeds must be >= 1"),
    (dict(rows=("mu_right", [0.1]), cols=("eps", [0.0]), seeds=[-2]), r"seeds must be integers in"),
    (dict(rows=("mu_right", []), cols=("eps", [0.0])), "non-empty"),
    (dict(rows=("mu_right", [0.1]), cols=("eps", [0.0]), seed=3), "use seeds="),
])
def test_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sl.chain_phase_diagram(t_max=1.0, **kwargs) if "t_max" not in kwargs else sl.chain_phase_diagram(**kwargs)


def test_checkpoint_resumes_without_rerunning_finished_runs(tmp_path, monkeypatch):
    from springlab.sweeps import chains as chain_phase

    kw = dict(rows=("mu_right", [0.0, 0.1, 0.2]), cols=("eps", [0.0, 0.01]), seeds=2, t_max=5.0)
    full = sl.chain_phase_diagram(**kw)
    path = tmp_path / "ck.npz"
    monkeypatch.setattr(chain_phase, "_CHUNK", 4)
    calls = []
    real = chain_phase.run_batch

    def interrupted(*args, **kwargs):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(chain_phase, "run_batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sl.chain_phase_diagram(checkpoint=path, **kw)
    monkeypatch.setattr(chain_phase, "run_batch", real)
    with np.load(path) as z:
        assert z["done"].sum() == 8  # two chunks of 4 runs were kept
    counted = []
    monkeypatch.setattr(chain_phase, "run_batch", lambda *a, **k: counted.append(len(a[5])) or real(*a, **k))
    resumed = sl.chain_phase_diagram(checkpoint=path, **kw)
    assert sum(counted) == 12 - 8
    np.testing.assert_array_equal(resumed.load_seeds, full.load_seeds)
    np.testing.assert_array_equal(resumed.energy, full.energy)
    with pytest.raises(ValueError, match="belongs to another diagram"):
        sl.chain_phase_diagram(checkpoint=path, **dict(kw, seeds=3))
