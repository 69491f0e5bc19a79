"""The chain map: cells trained, fitted, stored and resumed; the shipped map recomputed in one cell."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("torch")

from springlab.sweeps.chainmap import SHIPPED_CHAINMAP as SHIPPED  # noqa: E402
from springlab.sweeps.chainmap import ChainMaps, FITTED, chain_map, fit_cell  # noqa: E402


def test_a_small_map_is_stored_resumed_and_saved(tmp_path):
    kw = dict(alpha=(1.0,), knob=("data_noise", (0.0, 0.5)), seeds=1, epochs=3, record_every=1, fit_seeds=1,
              fit_options={"t_max": 10.0}, store=tmp_path, progress=False)
    m = chain_map(**kw)
    assert m.loss.shape == (1, 2, 1) and m.final_load.shape == (1, 2, 1, 8)
    assert len(list(tmp_path.glob("chainmap-*.json"))) == 2  # one file per cell, written at once
    again = chain_map(**kw)  # every cell from the store: identical, nothing retrained
    for n in FITTED:
        assert np.array_equal(m.params[n], again.params[n])
    path = ChainMaps(data_noise=m).save(tmp_path / "map.npz")
    back = ChainMaps.load(path)["data_noise"]
    assert back.knob[0] == "data_noise" and np.array_equal(back.knob[1], [0.0, 0.5])
    assert np.array_equal(back.params["mu_left"], m.params["mu_left"]) and back.metadata["epochs"] == 3
    assert set(m.answers()) >= {"mu_left_above", "eps_slope", "friction_slope", "median_loss"}
    with pytest.raises(ValueError, match="knob must be one of"):
        chain_map(knob=("lr", (1e-3,)), store=tmp_path)


@pytest.mark.skipif(not SHIPPED.exists(), reason="no shipped chain map (python -m springlab reproduce chainmap --ship)")
def test_shipped_map_records_how_it_was_made_and_one_cell_recomputes():
    from springlab.sweeps.chainmap import _train_row

    maps = ChainMaps.load(SHIPPED)
    assert set(maps) == {"dropout", "data_noise"}
    m = maps["dropout"]
    assert m.metadata["command"].startswith("python -m springlab reproduce chainmap")
    assert "reduced" in m.metadata and m.metadata["seeds"] == [0]
    assert m.loss.shape == (3, 3, 1) and np.all(np.isfinite(m.loss))
    # the fits recompute from the stored trajectories (deterministic: the chain engine is bit-identical)
    i, j = int(np.argmin(np.abs(m.alpha - 1.0))), 0
    n = np.sum(np.all(np.isfinite(m.load[i, j, 0]), axis=1))
    stored = SimpleNamespace(load=m.load[i, j, 0, :n], epochs_recorded=m.epochs_recorded[:n])
    refit = fit_cell(stored, m.metadata["fit_seeds"])
    assert m.metadata["fit_options"] == {}  # the shipped map used fit_chain's defaults
    for name in FITTED:
        assert refit["params"][name] == pytest.approx(m.params[name][i, j, 0], rel=1e-6, abs=1e-9), name
    assert refit["loss"] == pytest.approx(m.loss[i, j, 0], rel=1e-6)
    # and the network retrains (alpha = 1, dropout 0, seed 0) to the stored trajectory, within the spread of
    # float32 training across CPUs (CONTRIBUTING, "Lesson outputs": about 1e-3 after 100 epochs)
    run = _train_row(1.0, "dropout", [0.0], 0, m.metadata["epochs"], m.metadata["record_every"], {})[0]
    assert np.array_equal(run.epochs_recorded, m.epochs_recorded[:n])
    assert np.allclose(run.load, m.load[i, j, 0, :n], atol=0.02)
