"""Interactive panels of the lessons (ipywidgets 8).

Every panel is a :class:`Panel`: a dict of controls, a ``compute`` function
of the controls' values (the model: a chain simulation, a training run...)
and a ``draw`` function that paints the result into a matplotlib figure. The
figure is shown as a PNG in an ``ipywidgets.Image``, so the panel works the
same in JupyterLab, in Voilà, under nbval and in tests, without a matplotlib
widget extension. Lessons only build a panel and display it; tests drive it
without a browser::

    p = chain_explorer()
    p.controls["L"].value = 4          # the callback runs, as in the browser
    assert p.result.positions.shape[1] == 4
    assert p.n_draws == 2              # and the picture was redrawn

Results are cached by settings, so moving a slider back never recomputes.
Heavy panels use ``run_button=True`` (compute on click) and report progress
through a progress bar the compute function may drive.
"""
from .base import Panel, figure_png

__all__ = ["Panel", "figure_png"]
