"""Drive a real JupyterLab in headless Chromium (Debian's package, through Playwright).

Used by ``tests/test_browser.py``. The server is started as the README's
course command starts it (``jupyter lab``), on a free local port with a
token, over a temporary copy of the course so that autosave never touches
the committed notebooks.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out, which this
# closed network refuses (see the env notes); --no-sandbox because CI runs as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def find_chromium() -> str:
    """Path of Debian's Chromium; installs it where that is possible (root with apt-get).

    Raises RuntimeError naming the cure where it cannot be installed: the
    browser test must fail there, never skip silently.
    """
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, capture_output=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        if Path(CHROMIUM).exists():
            return CHROMIUM
    raise RuntimeError(
        f"Chromium is not installed at {CHROMIUM} and could not be installed here. The browser test "
        "needs Debian's chromium package: run `apt-get install chromium` as root (.ci/run does)."
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def jupyterlab(root: Path, lab_args: list[str], log: Path):
    """Start ``jupyter lab LAB_ARGS`` in ``root`` on a free port with a token; yield base URL and token."""
    port, token = free_port(), os.urandom(12).hex()
    settings = root / ".jupyter-settings"
    # Silence the "get notified about Jupyter news?" toast that would cover screenshots.
    (settings / "@jupyterlab/apputils-extension").mkdir(parents=True, exist_ok=True)
    (settings / "@jupyterlab/apputils-extension/notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
           "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(root / ".jupyter-workspaces")}
    env.pop("MPLBACKEND", None)
    cmd = [str(Path(bindir) / "jupyter"), "lab", *lab_args, "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", "--allow-root"]
    with open(log, "w") as fh:
        server = subprocess.Popen(cmd, cwd=root, stdout=fh, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start; see {log}")
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}", token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


# -- page helpers ---------------------------------------------------------------------------------
# Every selector is scoped to the notebook in view: hidden tabs keep their cells in the DOM.
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"

ALL_PROMPTS_DONE = """(nb) => {
  const p = [...document.querySelectorAll(nb + ' .jp-Cell.jp-CodeCell .jp-InputPrompt')];
  return p.length > 0 && p.every(e => /\\[\\d+\\]/.test(e.textContent));
}"""


NO_CELL_PENDING = """(nb) => ![...document.querySelectorAll(nb + ' .jp-Cell.jp-CodeCell .jp-InputPrompt')]
  .some(e => e.textContent.includes('*'))"""


def shut_down_kernels(base: str, token: str) -> None:
    """End every kernel session, so that lessons run one at a time (memory) and start fresh."""
    headers = {"Authorization": f"token {token}"}
    with urllib.request.urlopen(urllib.request.Request(f"{base}/api/sessions", headers=headers)) as r:
        sessions = json.load(r)
    for s in sessions:
        urllib.request.urlopen(urllib.request.Request(f"{base}/api/sessions/{s['id']}", method="DELETE",
                                                      headers=headers)).close()


def open_notebook(page, base: str, token: str, path: str, timeout_ms: int = 90_000) -> None:
    """Open ``path`` alone, in a workspace of its own, with a fresh kernel; wait until the kernel is idle."""
    shut_down_kernels(base, token)
    workspace = Path(path).stem.replace(".", "-")
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{path}?token={token}")
    page.wait_for_selector(f"{NOTEBOOK} .jp-Cell", timeout=timeout_ms)
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status='idle']",
                           timeout=timeout_ms)


def run_cells(page, menu_item: str, timeout_ms: int) -> None:
    """Run cells through the Run menu, as a student would, and wait until the kernel is idle again.

    The indicator can read idle for a moment between two queued cells (seen once under a loaded CI
    machine, lesson 07), so the wait ends only when no cell is queued or running (``[*]``) either.
    """
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text=menu_item).first.click()
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status='busy']",
                           timeout=30_000, state="attached")
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status='idle']",
                           timeout=timeout_ms)
    page.wait_for_function(NO_CELL_PENDING, arg=NOTEBOOK, timeout=timeout_ms)


def run_all(page, timeout_ms: int) -> None:
    """Run All Cells and wait until the kernel is idle (a cell that errs stops the rest: check both)."""
    page.locator(f"{NOTEBOOK} .jp-Cell").first.click()
    page.keyboard.press("Escape")
    run_cells(page, "Run All Cells", timeout_ms)


def all_cells_ran(page) -> bool:
    """Every code cell of the notebook in view shows an execution count."""
    return page.evaluate(ALL_PROMPTS_DONE, NOTEBOOK)


def error_outputs(page) -> list[str]:
    """Texts of error outputs (tracebacks) in the open notebook."""
    return [e.inner_text()[:2000] for e in page.query_selector_all(
        f"{NOTEBOOK} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error'], "
        f"{NOTEBOOK} .jp-OutputArea-output .jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")]


def widget_problems(page) -> list[str]:
    """Placeholders that mean a widget did not render."""
    problems = []
    for text in ("Loading widget...", "Loading widget…", "Error displaying widget", "Failed to load model class"):
        n = page.locator(NOTEBOOK).get_by_text(text).count()
        if n:
            problems.append(f"{n}× {text!r}")
    return problems
