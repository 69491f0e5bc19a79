"""The shared panel mechanism: controls drive compute and draw, results are cached."""
import ipywidgets as w
import numpy as np
import pytest

from springlab.panels import Panel


def make(run_button=False):
    calls = []

    def compute(n, progress=None):
        if n > 8:
            raise ValueError("n must be <= 8")
        if progress:
            progress(0.5)
        calls.append(n)
        return np.arange(n)

    def draw(fig, res, settings):
        fig.add_subplot().plot(res[: settings["upto"]])

    p = Panel({"n": w.IntSlider(5, 1, 10), "upto": w.IntSlider(10, 1, 10)}, compute, draw,
              view_controls=("upto",), run_button=run_button, title="demo")
    return p, calls


def test_controls_recompute_redraw_and_cache():
    p, calls = make()
    assert calls == [5] and p.n_draws == 1 and bytes(p.image.value).startswith(b"\x89PNG")
    first = bytes(p.image.value)
    p.controls["n"].value = 7
    assert calls == [5, 7] and p.result.size == 7 and bytes(p.image.value) != first
    p.controls["upto"].value = 6  # view-only: redraw, no compute
    assert calls == [5, 7] and p.n_draws == 3
    p.controls["n"].value = 5  # seen before: from cache
    assert calls == [5, 7] and p.n_computes == 2 and p.result.size == 5


def test_bad_settings_show_an_error_and_keep_the_picture():
    p, calls = make()
    before = bytes(p.image.value)
    p.controls["n"].value = 9
    assert "n must be &lt;= 8" in p.status.value or "n must be <= 8" in p.status.value
    assert bytes(p.image.value) == before and p.result.size == 5


def test_run_button_defers_work():
    p, calls = make(run_button=True)
    assert calls == [] and p.result is None
    p.controls["n"].value = 6
    assert calls == []
    p.button.click()
    assert calls == [6] and p.n_draws == 1


def test_display_bundle_has_short_deterministic_text():
    p, _ = make()
    bundle = p._repr_mimebundle_()
    assert bundle["text/plain"] == "Panel('demo'; controls: n, upto)"
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_display_bundle_carries_the_current_figure_as_png():
    import base64

    p, _ = make()
    png = base64.b64decode(p._repr_mimebundle_()["image/png"])
    assert png.startswith(b"\x89PNG") and png == bytes(p.image.value)
    p.controls["n"].value = 3  # the bundle follows the figure shown now
    assert base64.b64decode(p._repr_mimebundle_()["image/png"]) == bytes(p.image.value) != png
    q, _ = make(run_button=True)  # nothing drawn yet: no image to fall back on
    assert "image/png" not in q._repr_mimebundle_()
