"""The one panel mechanism every lesson widget uses (see :mod:`springlab.panels`)."""
from __future__ import annotations

import base64
import inspect
import io
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["Panel", "figure_png"]


def figure_png(fig, dpi: int = 90) -> bytes:
    """Render a matplotlib figure to PNG bytes (Agg, no display needed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _freeze(value):
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value


@dataclass(eq=False)
class Panel:
    """Controls, a model computed from their values, and a figure drawn from the model.

    Parameters
    ----------
    controls : dict[str, ipywidgets.ValueWidget]
        Named controls; their ``.value`` are the keyword arguments of ``compute``.
    compute : callable
        ``compute(**settings) -> result``. May take a ``progress`` keyword:
        it then receives a callable ``progress(fraction)`` driving the bar.
    draw : callable
        ``draw(fig, result, settings)`` paints into the (cleared) figure.
    view_controls : tuple of str
        Controls that only change the picture (a time slider, a layer
        choice): moving them redraws without recomputing.
    run_button : bool
        If True, compute only when the "Run" button is clicked (heavy work);
        otherwise every change of a control recomputes (from cache if seen).
    title : str
        Shown above the controls (HTML allowed).
    figsize : (float, float)
        Figure size in inches.
    extra : list of widgets
        Extra widgets shown below the controls (a Play control, a legend...).
    """

    controls: dict[str, Any]
    compute: Callable[..., Any]
    draw: Callable[[Any, Any, dict], None]
    view_controls: tuple[str, ...] = ()
    run_button: bool = False
    title: str = ""
    figsize: tuple[float, float] = (8.0, 3.5)
    extra: list = field(default_factory=list)
    n_computes: int = field(default=0, init=False)
    n_draws: int = field(default=0, init=False)

    def __post_init__(self):
        import ipywidgets as w
        import matplotlib

        from matplotlib.figure import Figure

        matplotlib.rcParams.setdefault("figure.dpi", 90)
        self.figure = Figure(figsize=self.figsize, layout="constrained")
        self._cache: dict = {}
        self.result = None
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.status = w.HTML("")
        self.progress = w.FloatProgress(value=0.0, min=0.0, max=1.0, layout=w.Layout(width="40%"))
        self.progress.layout.visibility = "hidden"
        rows = [w.HTML(f"<b>{self.title}</b>")] if self.title else []
        rows.append(w.HBox(list(self.controls.values()), layout=w.Layout(flex_flow="row wrap")))
        rows.extend(self.extra)
        if self.run_button:
            self.button = w.Button(description="Run", button_style="primary", icon="play")
            self.button.on_click(lambda _: self.update())
            rows.append(w.HBox([self.button, self.progress, self.status]))
        else:
            self.button = None
            rows.append(w.HBox([self.progress, self.status]))
        rows.append(self.image)
        self.widget = w.VBox(rows)
        for name, control in self.controls.items():
            if name in self.view_controls:
                control.observe(lambda _: self.redraw(), names="value")
            elif not self.run_button:
                control.observe(lambda _: self.update(), names="value")
        if not self.run_button:
            self.update()

    # -- model -----------------------------------------------------------
    def settings(self) -> dict:
        """Current values of all controls."""
        return {name: c.value for name, c in self.controls.items()}

    def model_settings(self) -> dict:
        """Values of the controls that ``compute`` depends on."""
        return {k: v for k, v in self.settings().items() if k not in self.view_controls}

    def _progress(self, fraction: float) -> None:
        self.progress.layout.visibility = "visible"
        self.progress.value = min(max(float(fraction), 0.0), 1.0)

    def update(self) -> None:
        """Compute (or fetch from cache) the model for the current settings, then redraw."""
        settings = self.model_settings()
        key = _freeze(settings)
        if key not in self._cache:
            kwargs = dict(settings)
            if "progress" in inspect.signature(self.compute).parameters:
                kwargs["progress"] = self._progress
            self.status.value = "computing…"
            try:
                self._cache[key] = self.compute(**kwargs)
            except ValueError as exc:  # bad combination of settings: say so, keep the old picture
                self.status.value = f"<span style='color:#b00'>{exc}</span>"
                return
            finally:
                self.progress.layout.visibility = "hidden"
            self.n_computes += 1
        self.result = self._cache[key]
        self.status.value = ""
        self.redraw()

    def redraw(self) -> None:
        """Repaint the figure from the current result and settings."""
        if self.result is None:
            return
        self.figure.clear()
        self.draw(self.figure, self.result, self.settings())
        self.image.value = figure_png(self.figure)
        self.n_draws += 1

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The widget view, a short text and a PNG of the figure as it is now.

        The text/plain is short and deterministic in place of the widget tree's
        repr (which would embed the PNG bytes): nbval compares it. The
        image/png is the figure when the panel is displayed, its default state
        in a lesson: frontends without the widget state show it instead of the
        view (nbconvert's HTML and nbviewer skip a view whose model is not in the
        notebook; JupyterLab renders the view, an unsafe mimetype, only in a
        trusted notebook; GitHub draws the PNG). nbval does not compare PNGs,
        so numbers drawn into it may move across CPUs.
        """
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data = dict(data or {})
        data["text/plain"] = repr(self)
        png = bytes(self.image.value or b"")
        if png:
            data["image/png"] = base64.b64encode(png).decode("ascii")
        return data

    def __repr__(self) -> str:
        names = ", ".join(self.controls)
        return f"Panel({self.title or 'untitled'!r}; controls: {names})"
