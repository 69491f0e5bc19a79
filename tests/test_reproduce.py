"""``springlab reproduce``: the registry, the command, and the shipped Fig. 1 results (claims + recomputation)."""
from __future__ import annotations

import numpy as np
import pytest

import springlab
from springlab.cli import reproduce
from springlab.figures import fig1
from springlab.core.phase import PhaseDiagram

FIG1 = ("fig1a", "fig1b", "fig1c", "fig1d")
REQUIRED = FIG1 + ("fig3", "fig4", "fig5", "figS2", "figS4", "figS12", "figS13", "figS14")


def test_registry_lists_every_figure_the_course_uses(capsys):
    assert set(REQUIRED) <= set(reproduce.FIGURES)
    assert reproduce.main(["all", "--list"]) == 0
    out = capsys.readouterr().out
    for name in REQUIRED:
        assert name in out
    assert "unavailable" not in out, out
    assert all(reproduce.availability(name) is None for name in reproduce.FIGURES)


def test_unknown_figure_and_bad_options_are_refused():
    with pytest.raises(SystemExit):
        reproduce.main(["fig99"])
    with pytest.raises(SystemExit):
        reproduce.main(["fig1c", "--seeds", "0"])


def test_fig1_panel_columns_go_from_most_to_least_noise():
    p = fig1.FIG1_PANELS
    assert list(p["fig1a"].values) == sorted(p["fig1a"].values, reverse=True)  # data noise: high first
    assert list(p["fig1b"].values) == sorted(p["fig1b"].values, reverse=True)  # learning rate: high first
    assert list(p["fig1c"].values) == sorted(p["fig1c"].values, reverse=True)  # dropout: high first
    assert list(p["fig1d"].values) == sorted(p["fig1d"].values)                # batch size: small first
    assert p["fig1b"].epochs == 200 and len(p["fig1c"].values) == 16 and p["fig1c"].values[0] == 0.3


def test_command_writes_panel_with_its_provenance(tmp_path, monkeypatch):
    tiny = fig1.Fig1Panel("Fig. 1c (tiny)", "dropout", (0.3, 0.0), quick_values=(0.3, 0.0), quick_epochs=2,
                               fixed=dict(width=16, depth=2))
    monkeypatch.setitem(fig1.FIG1_PANELS, "fig1c", tiny)
    monkeypatch.setattr(fig1, "QUICK_ALPHAS", (0.0, 1.0))
    rc = reproduce.main(["fig1c", "--quick", "--out", str(tmp_path / "out"), "--store", str(tmp_path / "store"),
                         "--no-progress"])
    assert rc == 0
    assert (tmp_path / "out" / "fig1c.png").stat().st_size > 1000
    pd = PhaseDiagram.load_file(tmp_path / "out" / "fig1c.npz")
    md = pd.metadata
    assert md["scale"] == "quick" and md["seeds"] == [0, 1] and md["springlab"] == springlab.__version__
    assert md["command"].startswith("python -m springlab reproduce fig1c --quick")
    assert md["fixed"]["epochs"] == 2 and md["fixed"]["width"] == 16
    assert pd.test_accuracy.shape == (2, 2)


# -- the shipped results --------------------------------------------------------------------------------
SHIPPED = sorted(p.stem for p in fig1.RESULTS_DIR.glob("fig1*.npz"))


@pytest.fixture(scope="module")
def shipped():
    return {name: fig1.load_result(name) for name in SHIPPED}


def test_fig1c_ships_and_unknown_results_are_refused():
    assert "fig1c" in SHIPPED
    with pytest.raises(ValueError, match="available"):
        fig1.load_result("fig99")


def test_shipped_results_record_how_they_were_made(shipped):
    for name, pd in shipped.items():
        md = pd.metadata
        assert md["figure"] == name and md["command"].startswith("python -m springlab reproduce")
        assert md["springlab"] and md["torch"] and md["seeds"] and md["scale"] in ("paper", "reduced")
        if md["scale"] == "reduced":
            assert md["note"].startswith("reduced:")
        assert list(pd.rows[1]) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        assert pd.metadata["runs"]["diverged"] == 0  # no non-finite loss; runs that failed to train are below
        panel = fig1.FIG1_PANELS[name]
        assert set(pd.cols[1]) <= set(panel.values) and md["fixed"]["epochs"] == panel.epochs


def test_fig1_claim_concave_top_right_to_convex_bottom_left(shipped):
    """α = 0 with the least noise is the most concave corner; α = 1 with the most noise the most convex."""
    for name, pd in shipped.items():
        k = pd.curvature
        assert k[0, -1] > 0.1, (name, k[0, -1])            # ReLU, least noise: concave
        assert k[-1, 0] < k[0, -1] - 0.2, (name, k[-1, 0])  # linear net, most noise: far less concave
        # more nonlinearity (up the rows) makes curves more concave, on average over the columns
        assert np.mean(k[0]) > np.mean(k[-1]), name


def test_fig1_claim_accuracy_is_highest_near_linear_curves(shipped):
    """Within each panel, the best-generalising cells have flatter curves than the typical cell."""
    for name, pd in shipped.items():
        acc, k = pd.test_accuracy.ravel(), np.abs(pd.curvature.ravel())
        best = np.argsort(acc)[-3:]
        assert np.mean(k[best]) < np.median(k), (name, k[best], np.median(k))


@pytest.mark.parametrize("name, cells", [("fig1c", [(0, 0, 0), (5, -1, 1)]), ("fig1a", [(2, 1, 0)]),
                                         ("fig1d", [(3, 7, 0)])])  # 1d: batch 640, shipped from a batched group
def test_shipped_cells_recompute(shipped, name, cells):
    if name not in shipped:
        pytest.skip(f"{name} is not shipped")
    """Recompute a few runs of the shipped files from scratch (no store) and compare."""
    from springlab.sweeps.networks import dnn_phase_diagram

    pd = shipped[name]
    md = pd.metadata
    fixed = {k: v for k, v in md["fixed"].items()}
    for i, j, s in cells:
        if s >= len(md["seeds"]):
            s = 0
        got = dnn_phase_diagram(alpha=[pd.rows[1][i]], knob=(md["knob"], [pd.cols[1][j].item()]),
                                seeds=[md["seeds"][s]], store=False, progress=False, threads=1, **fixed)
        # bitwise equal with the same torch and thread count; float32 rounding differs across thread counts
        # and machines and grows over 100 epochs to ~0.01 in D (2 vs 1 threads) -- seeds differ by up to 0.17
        np.testing.assert_allclose(got.load_seeds[0, 0, 0], pd.load_seeds[i, j, s], rtol=0, atol=0.025)
        assert abs(got.test_accuracy[0, 0] - md["test_accuracy_seeds"][i][j][s]) <= 0.006


def test_fig1_drawing_and_curvature_accuracy_plot(shipped):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from springlab.sweeps.networks import plot_curvature_accuracy

    fig = fig1.draw_fig1(shipped)
    assert len(fig.axes) >= len(shipped) + 1
    plt.close(fig)
    ax = plot_curvature_accuracy(shipped["fig1c"])
    x, y = ax.collections[-1].get_offsets().T
    np.testing.assert_allclose(np.sort(x), np.sort(shipped["fig1c"].curvature.ravel()))
    np.testing.assert_allclose(np.sort(y), np.sort(100 * shipped["fig1c"].test_accuracy.ravel()))
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="test_accuracy"):
        plot_curvature_accuracy(PhaseDiagram(rows=("a", [0]), cols=("b", [0]), load=np.zeros((1, 1, 3))))


def test_failed_runs_are_flagged_per_seed_and_left_out_of_the_trained_means(shipped):
    """Fig. 1b, ReLU at lr 0.5: two seeds end at chance (9.4 %, 10.2 %) and drag the cell's mean down."""
    pd = shipped["fig1b"]
    failed = fig1.failed_runs(pd)
    acc = np.asarray(pd.metadata["test_accuracy_seeds"])
    assert failed.shape == acc.shape == (6, 12, 10)
    i, j = 0, list(pd.cols[1]).index(0.5)
    assert failed.sum() == 2 and failed[i, j].sum() == 2
    assert np.all(acc[failed] < 0.2) and np.all(acc[~failed] >= 0.2)  # the rule: below chance + 0.1
    s = fig1.accuracy_summary(pd)
    assert s["runs"] == 720 and s["failed"] == 2
    assert s["mean_trained"][i, j] == pytest.approx(np.mean(acc[i, j][~failed[i, j]]))
    assert s["mean_trained"][i, j] > pd.test_accuracy[i, j] + 0.1  # the failed seeds pulled the mean down
    others = np.ones(pd.test_accuracy.shape, bool)
    others[i, j] = False
    assert np.allclose(s["mean_trained"][others], pd.test_accuracy[others], atol=1e-6)
    for name in ("fig1a", "fig1c", "fig1d"):
        assert fig1.accuracy_summary(shipped[name])["failed"] == 0, name


def test_a_run_whose_loss_did_not_fall_is_failed_even_above_chance():
    load = np.tile(np.linspace(1, 0, 8), (1, 2, 1))
    pd = PhaseDiagram(rows=("alpha", [0.0]), cols=("lr", [0.1, 0.5]), load=load, test_accuracy=np.full((1, 2), 0.6),
                         metadata={"test_accuracy_seeds": [[[0.6, 0.6], [0.6, 0.05]]],
                                   "loss_first_seeds": [[[2.3, 2.3], [2.3, 2.3]]],
                                   "loss_last_seeds": [[[0.1, 2.4], [0.2, 0.2]]]})
    assert fig1.failed_runs(pd).tolist() == [[[False, True], [False, True]]]
    assert fig1.failed_runs(PhaseDiagram(rows=("mu_right", [0.0]), cols=("eps", [0.0, 0.1]), load=load,
                                            energy=np.ones((1, 2)))) is None


def test_store_reaches_the_figures_that_keep_runs(tmp_path, monkeypatch, capsys):
    """``--store`` goes to every figure whose computation keeps runs on disk (chainmap), not only to Fig. 1."""
    import matplotlib.pyplot as plt

    from springlab.sweeps import chainmap as chainmap_module

    seen = {}

    class Result:
        def save(self, path):
            path.write_bytes(b"x")
            return path

    def fake_chainmap(*, quick=False, progress=True, seeds=None, store=None):
        seen.update(quick=quick, store=store)
        return Result()

    monkeypatch.setattr(chainmap_module, "chainmap", fake_chainmap)
    monkeypatch.setattr(chainmap_module, "draw_chainmap", lambda data: plt.figure())
    store = tmp_path / "runs"
    assert reproduce.main(["chainmap", "--quick", "--out", str(tmp_path / "out"), "--store", str(store),
                           "--no-progress"]) == 0
    assert seen == dict(quick=True, store=str(store))
    assert reproduce.main(["chainmap", "--quick", "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    assert seen["store"] is None  # not given: the computation's own default
    assert "--store is not used" not in capsys.readouterr().err
