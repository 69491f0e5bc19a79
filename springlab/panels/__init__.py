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

Which module owns what: :mod:`~springlab.panels.base` (:class:`Panel`, the
mechanism), :mod:`~springlab.panels.welcome` (lesson 00),
:mod:`~springlab.panels.drawing` (chains drawn as springs or a folding ruler),
:mod:`~springlab.panels.chains` (lessons 01-05), :mod:`~springlab.panels.networks`
(lessons 06-10), :mod:`~springlab.panels.fit` (lesson 11: a chain fitted to a
network), :mod:`~springlab.panels.quiz` (the lessons' check-yourself questions:
:class:`MultipleChoice`, :class:`NumericAnswer`, and :class:`Reveal` for the
answers of *Predict first* prompts).

Viewed without a kernel (GitHub, nbviewer, nbconvert's HTML, JupyterLab for a
notebook it does not trust yet) a panel's output shows a PNG of the figure it
had when it was displayed, its default state (``image/png`` beside the widget
view); a question shows its text (``text/html``).
"""
from .base import Panel, figure_png
from .quiz import MultipleChoice, NumericAnswer, Reveal

__all__ = ["Panel", "figure_png", "MultipleChoice", "NumericAnswer", "Reveal"]
