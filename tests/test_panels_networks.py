"""The panels of lessons 06-10, driven as a student would, without a browser.

Each test builds a panel without its initial run, moves controls to tiny
settings, clicks Run, and checks that the model changed (a new training run
with the new setting), that the figure changed (new PNG bytes), and that
going back to seen settings comes from the cache. Plus the claims the
lessons print: Fig. 4's regimes in both systems, the energy argument, the
plain message for datasets that cannot be downloaded.
"""
import os

# before OpenMP loads (torch, numba): threads that sleep when idle (see use_one_thread)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import springlab as sl  # noqa: E402
from springlab.core.energy import energy_ratio  # noqa: E402
from springlab.core.phase import phase_table  # noqa: E402
from springlab.figures import fig1  # noqa: E402
from springlab.figures.springs import fig4_chain_run  # noqa: E402
from springlab.networks import experiments as X  # noqa: E402
from springlab.networks.datasets import get_dataset  # noqa: E402
from springlab.networks.threads import use_one_thread  # noqa: E402
from springlab.panels import networks as N  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    import torch

    old = use_one_thread()
    yield
    torch.set_num_threads(old)


def png(panel) -> bytes:
    return bytes(panel.image.value)


def click(panel):
    panel.button.click()


def test_separation_panel_trains_measures_redraws_and_caches():
    p = N.separation_panel(run_now=False)
    assert p.result is None and p.button is not None  # heavy: nothing runs before Run
    p.controls["epochs"].value = 10
    click(p)
    first = p.result
    assert isinstance(first, X.SeparationResult) and p.n_computes == 1
    assert first.run.load.shape[1] == 8 and first.run.epochs_recorded[-1] == 10
    # layer by layer statistics agree with the library's separation (Eq. 3) and its traces
    st = first.trained
    assert np.allclose(st.D, np.log(st.tr_within / st.tr_between))
    assert np.allclose(st.D, first.run.load[-1], atol=1e-6)
    assert st.projection.shape == (8, 600, 2)
    before = png(p)
    p.controls["dropout"].value = 0.2
    assert p.result is first  # not recomputed until Run
    click(p)
    assert p.n_computes == 2 and p.result is not first
    assert p.result.run.settings["dropout"] == pytest.approx(0.2)
    assert png(p) != before
    # view-only control: redraw, no training
    n, draws, pic = p.n_computes, p.n_draws, png(p)
    p.controls["layer"].value = 3
    assert p.n_computes == n and p.n_draws == draws + 1 and png(p) != pic
    # back to a seen setting: from the cache
    p.controls["dropout"].value = 0.0
    click(p)
    assert p.n_computes == 2 and p.result is first


def test_dataset_selector_says_plainly_when_a_dataset_cannot_be_downloaded(monkeypatch):
    import springlab.networks.datasets as D

    def offline(name, root, download):
        raise FileNotFoundError("no network")

    monkeypatch.setattr(D, "_torchvision", offline)
    get_dataset.cache_clear()
    try:
        with pytest.raises(ValueError, match="FashionMNIST is not available.*could not be downloaded"):
            get_dataset("fashion_mnist")
        with pytest.raises(ValueError, match="not on this machine"):
            get_dataset("cifar10", download=False)
        p = N.separation_panel(run_now=False)
        p.controls["epochs"].value = 10
        click(p)
        old = p.result
        p.controls["dataset"].value = "fashion_mnist"
        click(p)
        assert "not available" in p.status.value and p.result is old  # message in red, old picture kept
    finally:
        get_dataset.cache_clear()
    assert [name for _, name in N.DATASET_CHOICES] == ["mnist", "mnist_full", "fashion_mnist", "cifar10"]


def test_network_phase_panel_sweeps_with_progress_and_caches():
    p = N.network_phase_panel(run_now=False)
    fractions = []
    p._progress = fractions.append  # the bar's callback, observed
    p.controls["n_alpha"].value = 2
    p.controls["n_knob"].value = 2
    p.controls["epochs"].value = 10
    click(p)
    pd = p.result
    assert pd.rows[0] == "alpha" and list(pd.rows[1]) == [0.0, 1.0]
    assert pd.cols[0] == "dropout" and list(pd.cols[1]) == [0.0, 0.3]
    assert pd.test_accuracy.shape == (2, 2) and np.all((pd.test_accuracy >= 0) & (pd.test_accuracy <= 1))
    assert fractions == [0.5, 1.0]
    before = png(p)
    p.controls["knob"].value = "lr"  # resets the range to the knob's quick default
    assert p.controls["knob_range"].value == (1e-3, 2e-2)
    click(p)
    assert p.result.cols[0] == "lr" and list(p.result.cols[1]) == [1e-3, 2e-2]
    assert png(p) != before and p.n_computes == 2
    p.controls["knob"].value = "dropout"
    click(p)
    assert p.n_computes == 2 and p.result is pd
    # the check cell of lesson 07 reuses the rows the panel computed
    again = fig1.quick_phase_diagram("dropout", (0.0, 0.3), alphas=(0.0, 1.0), epochs=10)
    assert np.array_equal(again.load, pd.load)
    table = phase_table(pd)
    assert table.splitlines()[0].split()[:3] == ["alpha", "/", "dropout"] and "%" in table
    with pytest.raises(ValueError, match="knob must be one of"):
        fig1.quick_phase_diagram("momentum", (0.1,))


def test_shipped_phase_diagrams_loads_network_diagrams_only(tmp_path):
    assert fig1.shipped_phase_diagrams(tmp_path / "missing") == {}
    load = np.tile(np.linspace(1, 0, 8), (2, 3, 1))
    net = sl.PhaseDiagram(rows=("alpha", [0.0, 1.0]), cols=("dropout", [0.0, 0.1, 0.2]), load=load,
                          test_accuracy=np.full((2, 3), 0.9))
    chain = sl.PhaseDiagram(rows=("mu_right", [0.0, 0.1]), cols=("eps", [0.0, 0.1, 0.2]), load=load,
                            energy=np.ones((2, 3)))
    net.save(tmp_path / "fig1_dropout.npz")
    chain.save(tmp_path / "fig3.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a diagram")
    found = fig1.shipped_phase_diagrams(tmp_path)
    assert list(found) == ["fig1_dropout"] and np.allclose(found["fig1_dropout"].test_accuracy, 0.9)


def test_two_systems_panel_presets_and_separate_caches():
    from springlab.figures.springs import FIG4_REGIMES

    p = N.two_systems_panel(run_now=False, epochs=2)
    click(p)
    first = p.result
    assert first["network"].epochs_run == 2 and first["network"].load.shape == (3, 8)
    assert first["chain"].parameters["noise"] == "synchronous"
    before = png(p)
    p.controls["preset"].value = "active"  # sets both sides
    assert p.controls["mu_left"].value == FIG4_REGIMES["active"]["mu_left"]
    assert p.controls["lr"].value == 3e-3 and p.controls["batch_size"].value == 50
    assert p.controls["dropout"].value == pytest.approx(0.2)
    assert p.controls["preset"].value == "active"  # moving controls by the preset is not "custom"
    # change only the chain: the network run is reused, not retrained
    p.controls["preset"].value = "balanced"
    p.controls["eps"].value = 0.02
    assert p.controls["preset"].value == "custom"
    click(p)
    assert p.result["network"] is first["network"] and p.result["chain"] is not first["chain"]
    assert p.result["chain"].parameters["eps"] == pytest.approx(0.02)
    assert png(p) != before


def test_fig4_regimes_network_and_chain_agree_at_one_training_loss():
    """Fig. 4: lazy concave, balanced linear, active convex, in the network and the chain alike, with every
    network stopped at the same training loss (lesson 08), well before the paper's 100 epochs."""
    from springlab.figures.springs import FIG4_REGIMES

    for name, shape in (("lazy", "concave"), ("balanced", "linear"), ("active", "convex")):
        net = X.fig4_network_run(**X.FIG4_NETWORK[name])
        chain = fig4_chain_run(**FIG4_REGIMES[name])
        assert net.final.shape == shape and chain.final.shape == shape, name
        # stopped by the loss, not by the epoch budget: every regime is compared at loss < 0.15
        assert net.stopped_early and net.epochs_run < 90 and net.loss[-1] < X.FIG4_STOP_LOSS <= net.loss[-2], name


def test_lazy_network_is_not_just_under_trained():
    """Lesson 08: trained on to a loss near 0.02 (all 100 epochs), the lazy network stays concave with a
    steady curvature from loss 0.6 on; after one epoch the balanced one is still concave (why lessons
    compare at one loss)."""
    lazy = X.fig4_network_run(**X.FIG4_NETWORK["lazy"], stop_loss=0.0)
    assert lazy.epochs_run == 100 and lazy.train_accuracy > 0.99 and lazy.loss[-1] < 0.05
    loss = lazy.loss_at_records()
    kappa = np.array([sl.LoadCurve(D).curvature for D in lazy.load])
    late = loss < 0.6
    assert late.sum() > 50 and kappa[late].min() > 0.3 and np.ptp(kappa[late]) < 0.1
    balanced = X.fig4_network_run(**X.FIG4_NETWORK["balanced"])
    assert sl.LoadCurve(balanced.load[1]).curvature > 0.2 and balanced.final.shape == "linear"


def test_one_friction_pair_walks_the_chain_through_three_shapes_but_the_lazy_chain_stays_concave():
    """Lesson 08: mu_left > mu_right, noise only: concave -> linear -> convex; the paper's lazy chain
    (mu_right > mu_left) is concave at any noise, with Eq. 8's sign of (mu_right - mu_left)."""
    shapes = [fig4_chain_run(0.03, 0.11, eps).final.shape for eps in (0.0, 0.002, 0.006)]
    assert shapes == ["concave", "linear", "convex"]
    for eps in (0.006, 0.011, 0.02):
        assert fig4_chain_run(0.11, 0.03, eps).final.curvature > 0.3


def test_energy_ratio_is_minimal_for_linear_curves():
    l = np.arange(8)
    assert energy_ratio(1 - l / 7) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    for _ in range(20):  # any other split of the same drop stores more energy
        d = rng.random(7)
        D = np.concatenate([[1.0], 1.0 - np.cumsum(d / d.sum())])
        assert energy_ratio(D) >= 1.0 - 1e-12


def test_generalization_panel_train_and_test_curves():
    p = N.generalization_panel(run_now=False, epochs=10)
    click(p)
    first = p.result
    assert first.load.shape == first.load_test.shape and np.all(np.isfinite(first.load_test))
    assert list(first.epochs_recorded) == [0, 10]
    before = png(p)
    p.controls["lr"].value = 1e-2
    click(p)
    assert p.result is not first and p.result.settings["lr"] == 1e-2 and png(p) != before
    p.controls["lr"].value = 1e-3
    click(p)
    assert p.result is first and p.n_computes == 2


def test_cnn_dropout_schedule_records_each_phase():
    from springlab.figures.networks import cnn_dropout_schedule

    phases = cnn_dropout_schedule(((0.0, 2), (0.3, 2)), n_train=64, n_test=64, channels=8)
    assert [ph["dropout"] for ph in phases] == [0.0, 0.3] and [ph["epoch"] for ph in phases] == [2, 4]
    assert phases[0]["load"].shape == (8,) and phases[1]["class_means"].shape == (8, 10, 10, 10)
    assert not np.array_equal(phases[0]["load"], phases[1]["load"])  # training went on
    assert all(0.0 <= ph["train_accuracy"] <= 1.0 for ph in phases)


def test_generalization_run_stops_at_a_training_loss():
    """Lesson 09 trains each learning rate to one loss: the run stops at the first epoch below it."""
    run = X.generalization_run(alpha=0.2, lr=1e-2, epochs=300, stop_loss=0.05)
    assert run.stopped_early and run.loss[-1] < 0.05 <= run.loss[-2] and run.epochs_run < 300
    assert run.epochs_recorded[-1] == run.epochs_run and list(run.epochs_recorded[:2]) == [0, 10]


def test_beyond_panel_switches_experiments_and_caches():
    p = N.beyond_panel(run_now=False)
    click(p)
    run, dhat = p.result
    assert run.settings["data"] == "diabetes" and np.all(np.isnan(dhat))  # regression: no D-hat
    before = png(p)
    p.controls["experiment"].value = "digits"
    p.controls["lr"].value = 1e-2
    click(p)
    run2, dhat2 = p.result
    assert run2.settings["data"] == "digits" and np.all(np.isfinite(dhat2)) and 0 < run2.test_accuracy <= 1
    assert png(p) != before and p.n_computes == 2
    p.controls["experiment"].value = "diabetes"
    p.controls["lr"].value = 1e-4
    click(p)
    assert p.result[0] is run and p.n_computes == 2
    with pytest.raises(ValueError, match="experiment must be one of"):
        X.beyond_run("imagenet")
    with pytest.raises(ValueError, match="batch_size must be None or an int >= 1"):
        X.beyond_run("deep_linear", batch_size=0)
