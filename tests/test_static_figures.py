"""Lessons viewed without a kernel: every panel shows a figure, every question its text (issue 15, item 5).

Each lesson is converted to HTML with nbconvert as stored, without executing
it: what nbviewer shows, and what GitHub and an untrusted JupyterLab pick
too (the widget view needs the kernel's widget state, which the stored
notebooks do not keep). A panel's cell must carry an ``<img>`` of its
figure, a question's cell its question.
"""
import re
from pathlib import Path

import nbformat
import pytest

LESSONS = sorted((Path(__file__).resolve().parents[1] / "lessons").glob("*.ipynb"))
VIEW = "application/vnd.jupyter.widget-view+json"
QUIZ = ("MultipleChoice(", "NumericAnswer(", "Reveal(")


def _cells_html(nb) -> dict[str, str]:
    """The HTML of each cell of ``nb`` (by cell id), from nbconvert's lab template, not executed."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    starts = sorted((body.index(f'id="cell-id={c.id}"'), c.id) for c in nb.cells)
    ends = [s for s, _ in starts[1:]] + [len(body)]
    return {cid: body[s:e] for (s, cid), e in zip(starts, ends)}


def _widget_outputs(cell):
    return [o for o in cell.get("outputs", []) if VIEW in o.get("data", {})]


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_panels_show_a_figure_and_questions_their_text_without_a_kernel(path):
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata  # no stored widget state: the fallbacks are what readers see
    html = _cells_html(nb)
    panels = 0
    for i, cell in enumerate(nb.cells):
        for out in _widget_outputs(cell):
            text = "".join(out["data"].get("text/plain", ""))
            if text.startswith("Panel("):
                panels += 1
                assert re.search(r'<img[^>]+src="data:image/png;base64,', html[cell.id]), \
                    f"{path.name} cell {i}: panel {text} has no static figure"
            elif text.startswith(QUIZ):
                assert "springlab-quiz" in html[cell.id] and "<details>" in html[cell.id], \
                    f"{path.name} cell {i}: question {text} is not readable without a kernel"
            else:
                pytest.fail(f"{path.name} cell {i}: a widget without a static fallback: {text}")
    if path.stem != "key_equations":
        assert panels >= 1, f"{path.name}: no panel found"
