"""End to end: the course in JupyterLab in headless Chromium, as a student sees it.

For every lesson: open it, Run All, and check that no cell errs and every
widget panel renders; in lessons 02, 05 and 07 move one control and check
that the panel's picture changes. For a released nbgrader assignment: a
student fills in a solution cell, runs the tests and sees them pass.
Screenshots go to ``$SPRINGLAB_SCREENSHOTS`` (default ``test-artifacts/browser``).
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from jupyterlab_browser import (CHROMIUM_ARGS, error_outputs, find_chromium, jupyterlab, open_notebook,
                                run_all, widget_problems)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted(p.name for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
# Lessons whose panel the test moves: (lesson prefix, needs a Run click after the move).
MOVE = {"02": False, "05": True, "07": True}
SHOTS = Path(os.environ.get("SPRINGLAB_SCREENSHOTS", ROOT / "test-artifacts" / "browser"))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    chromium = find_chromium()  # fails (never skips) where Chromium cannot be had
    from playwright.sync_api import sync_playwright

    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "lessons", root / "lessons")
    if (ROOT / "course" / "release").exists():
        shutil.copytree(ROOT / "course" / "release", root / "release")
    SHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {SHOTS}")
    with jupyterlab(root, "lessons/00_welcome.ipynb", SHOTS / "jupyterlab.log") as (base, token):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            yield page, base, token, root
            browser.close()


def _panel_images(page):
    return [img.get_attribute("src") for img in page.query_selector_all(".jupyter-widgets img")]


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_runs_and_its_widgets_render(lab, lesson):
    page, base, token, _ = lab
    open_notebook(page, base, token, f"lessons/{lesson}")
    run_all(page, timeout_ms=240_000)
    page.screenshot(path=str(SHOTS / f"{lesson[:-6]}.png"), full_page=False)
    errors = error_outputs(page)
    assert not errors, f"{lesson}: error output in the browser:\n" + "\n---\n".join(errors)
    assert page.locator(".jupyter-widgets").count() > 0, f"{lesson}: no widget panel rendered"
    deadline = time.monotonic() + 30
    while widget_problems(page) and time.monotonic() < deadline:
        time.sleep(0.5)  # slow first renders get a fair chance, then count as broken
    assert not widget_problems(page), f"{lesson}: {widget_problems(page)}"

    prefix = lesson[:2]
    if prefix in MOVE:
        before = _panel_images(page)
        handle = page.locator(".jupyter-widgets .widget-slider .noUi-handle").first
        handle.scroll_into_view_if_needed()
        handle.focus()
        page.keyboard.press("ArrowRight")
        if MOVE[prefix]:
            page.locator(".jupyter-widgets button", has_text="Run").first.click()
        page.wait_for_function(
            "(before) => [...document.querySelectorAll('.jupyter-widgets img')]"
            ".map(i => i.getAttribute('src')).some((s, k) => s !== before[k])",
            arg=before, timeout=120_000)
        page.screenshot(path=str(SHOTS / f"{lesson[:-6]}_moved.png"), full_page=False)
    # Close without saving so the next lesson starts clean.
    page.keyboard.press("Escape")


def test_student_completes_an_assignment(lab):
    page, base, token, root = lab
    release = root / "release"
    notebooks = sorted(release.glob("*/*.ipynb"))
    assert notebooks, "no released assignment under course/release"
    nb_path = notebooks[0]
    nb = json.loads(nb_path.read_text())
    source_cell = _solution_for(nb_path)
    # The student's answer: the instructor's solution, typed into the first solution cell.
    rel = nb_path.relative_to(root).as_posix()
    open_notebook(page, base, token, rel)
    index = next(i for i, c in enumerate(nb["cells"])
                 if c["cell_type"] == "code" and c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    editor = page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(source_cell)
    run_all(page, timeout_ms=240_000)
    page.screenshot(path=str(SHOTS / "assignment.png"), full_page=False)
    # Only the cells up to the first test of that exercise are expected to pass:
    # later exercises are still unanswered and raise NotImplementedError.
    failing = [e for e in error_outputs(page) if "NotImplementedError" not in e]
    assert not failing, "the filled-in exercise's tests failed in the browser:\n" + "\n".join(failing)


def _solution_for(released: Path) -> str:
    """The instructor's solution of the first solution cell of a released notebook."""
    source = ROOT / "course" / "source" / released.parent.name / released.name
    nb = json.loads(source.read_text())
    cell = next(c for c in nb["cells"]
                if c["cell_type"] == "code" and c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    text = "".join(cell["source"])
    return "\n".join(line for line in text.splitlines()
                     if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
