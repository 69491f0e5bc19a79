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

from jupyterlab_browser import (CHROMIUM_ARGS, NOTEBOOK, all_cells_ran, error_outputs, find_chromium, jupyterlab,
                                open_notebook, run_all, run_cells, widget_problems)
from readme import course_lab_arguments

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
    shutil.copytree(ROOT / "course" / "release", root / "course" / "release")
    SHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {SHOTS}")
    # the README's course command, run in a copy of the course so autosave never touches the repository
    with jupyterlab(root, course_lab_arguments(), SHOTS / "jupyterlab.log") as (base, token):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            page.on("dialog", lambda dialog: dialog.accept())  # "leave page?" when moving to the next lesson
            yield page, base, token, root
            browser.close()


def _panel_images(page) -> list[str | None]:
    return [img.get_attribute("src") for img in page.query_selector_all(f"{NOTEBOOK} .jupyter-widgets img")]


def _screenshot_first_panel(page, name: str) -> None:
    panel = page.locator(f"{NOTEBOOK} .jupyter-widgets.widget-box").first
    if panel.count():
        panel.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_runs_and_its_widgets_render(lab, lesson):
    page, base, token, _ = lab
    open_notebook(page, base, token, f"lessons/{lesson}")
    run_all(page, timeout_ms=240_000)
    errors = error_outputs(page)
    _screenshot_first_panel(page, lesson[:-6])
    assert not errors, f"{lesson}: error output in the browser:\n" + "\n---\n".join(errors)
    assert all_cells_ran(page), f"{lesson}: some cells did not run"
    assert page.locator(f"{NOTEBOOK} .jupyter-widgets").count() > 0, f"{lesson}: no widget panel rendered"
    deadline = time.monotonic() + 30
    while widget_problems(page) and time.monotonic() < deadline:
        time.sleep(0.5)  # slow first renders get a fair chance, then count as broken
    assert not widget_problems(page), f"{lesson}: {widget_problems(page)}"

    prefix = lesson[:2]
    if prefix in MOVE:
        before = _panel_images(page)
        assert before, f"{lesson}: the panel shows no picture"
        handle = page.locator(f"{NOTEBOOK} .jupyter-widgets .widget-slider .noUi-handle").first
        handle.scroll_into_view_if_needed()
        handle.focus()
        page.keyboard.press("ArrowRight")
        if MOVE[prefix]:
            page.locator(f"{NOTEBOOK} .jupyter-widgets button", has_text="Run").first.click()
        page.wait_for_function(
            "([nb, before]) => [...document.querySelectorAll(nb + ' .jupyter-widgets img')]"
            ".map(i => i.getAttribute('src')).some((s, k) => s !== before[k])",
            arg=[NOTEBOOK, before], timeout=120_000)
        _screenshot_first_panel(page, f"{lesson[:-6]}_moved")


def test_student_completes_an_assignment(lab):
    page, base, token, root = lab
    notebooks = sorted((root / "course" / "release").glob("*/*.ipynb"))
    assert notebooks, "no released assignment under course/release"
    nb_path = notebooks[0]
    cells = json.loads(nb_path.read_text())["cells"]
    roles = [("solution" if c.get("metadata", {}).get("nbgrader", {}).get("solution") else
              "test" if c.get("metadata", {}).get("nbgrader", {}).get("grade") and c["cell_type"] == "code" else
              c["cell_type"]) for c in cells]
    first = roles.index("solution")
    tests = [i for i in range(first + 1, len(cells)) if roles[i] == "test"]
    assert tests, f"{nb_path.name}: no autograded test after the first solution cell"
    # the tests of the first exercise: those before the next solution cell
    later = [i for i in range(first + 1, len(cells)) if roles[i] == "solution"]
    tests = [i for i in tests if not later or i < later[0]]
    stop = tests[-1] + 1
    assert stop < len(cells), "need a cell after the tests to run up to"

    open_notebook(page, base, token, nb_path.relative_to(root).as_posix())
    cell = page.locator(f"{NOTEBOOK} .jp-Cell")
    # The student's answer: the instructor's solution, typed into the first solution cell.
    cell.nth(first).locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(_solution_for(nb_path))
    page.keyboard.press("Escape")
    cell.nth(stop).click()  # select the cell after the tests, then run everything above it
    run_cells(page, "Run All Above Selected Cell", timeout_ms=240_000)
    cell.nth(tests[-1]).scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "assignment.png"), full_page=False)
    errors = error_outputs(page)
    assert not errors, "the filled-in exercise's tests failed in the browser:\n" + "\n".join(errors)
    for i in [first, *tests]:
        prompt = cell.nth(i).locator(".jp-InputPrompt").inner_text()
        assert any(ch.isdigit() for ch in prompt), f"cell {i} did not run (prompt {prompt!r})"


def _solution_for(released: Path) -> str:
    """The instructor's solution of the first solution cell of a released notebook."""
    source = ROOT / "course" / "source" / released.parent.name / released.name
    nb = json.loads(source.read_text())
    cell = next(c for c in nb["cells"]
                if c["cell_type"] == "code" and c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    text = "".join(cell["source"])
    return "\n".join(line for line in text.splitlines()
                     if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
