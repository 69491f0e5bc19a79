"""The instructor's workflow, run as the documents write it: both routes, one problem set.

The commands come from the documents themselves, never retyped here: every fenced block of
``course/INSTRUCTORS.md`` that follows a marker ``<!-- workflow: NAME -->`` is run as written (bash
blocks with ``bash -e``; python blocks are nbgrader configuration files, written where the guide
says). The README's instructor guide is a summary: every command in it must be one of those
blocks' commands (``test_readme_commands_are_the_guides``), so it runs here too.

In a fresh temporary copy of ``course/`` (beside a ``.venv`` that is this environment), with a
home folder of its own for the instructor and for each student (``HOME``, so nbgrader reads only
the configuration files the guide writes there):

* *setting up* (``setup``) once, from the repository's root, as the guide says;
* **files from a learning-management system**: a Blackboard download zip of two students'
  submissions (notebooks and the receipts Blackboard puts beside them) lies in the instructor's
  ``~/Downloads``; ``collect-lms`` (``zip_collect``), ``autograde``, ``feedback``, ``export``;
* **nbgrader's exchange**, in a folder that stands for ``/srv/nbgrader/exchange`` (the one
  replacement made to a block), students in home folders of their own with ``JUPYTERHUB_USER``
  set as a hub sets it: ``exchange-config`` (everyone), ``student-config`` (students),
  ``release``, each student ``student-fetch`` and ``student-submit``, ``collect-exchange``,
  ``autograde``, ``feedback``, ``release-feedback``, each student ``student-fetch-feedback``,
  ``export``.

The students are the first two that ``setup`` adds to the gradebook: the first hands in the
fetched (downloaded) notebook with every answer cell filled in from ``solutions/``, the second
the notebook unchanged. Checked: ``grades.csv`` has one row for each, the first with every
autograded point of the source notebook, the second none; each student got feedback; no output
line warns about the configuration; every warning printed is one that INSTRUCTORS.md explains
under "Warnings you will see", and the checksum warnings of autograde name exactly the test
cells that hold hidden tests, once per submission.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"
GUIDE = COURSE / "INSTRUCTORS.md"
README = ROOT / "README.md"
ASSIGNMENT = "ps1_friction_step"
EXCHANGE_IN_GUIDE = "/srv/nbgrader/exchange"

# The blocks of each route, in the order an instructor runs them ("student-..." blocks run in each
# student's home folder). The commands themselves are the guide's.
ROUTES = {
    "lms": ["collect-lms", "autograde", "feedback", "export"],
    "exchange": ["release", "student-fetch", "student-submit", "collect-exchange", "autograde", "feedback",
                 "release-feedback", "student-fetch-feedback", "export"],
}
CONFIG_BLOCKS = {"exchange-config": "everyone", "student-config": "students"}

MARKED_BLOCK_RE = re.compile(r"^( *)<!-- workflow: ([\w-]+) -->\n\1```(\w+)\n(.*?)\n\1```", re.MULTILINE | re.DOTALL)
# a warning about the configuration (traitlets: "Config option `x` not recognized by `Y`. Did you
# mean ...", nbgrader's CourseDirectory: "... is not absolute")
CONFIG_WARNING_RE = re.compile(r"not recognized|not absolute|did you mean|config option", re.IGNORECASE)
# how warnings are printed: nbgrader's apps, the kernels (ipykernel), Python's warnings module
LOG_WARNING_RES = (re.compile(r"^\[\w+ \| WARNING\] ?(.*)$"), re.compile(r"^\[\w+\] WARNING \| ?(.*)$"))
PY_WARNING_RE = re.compile(r"^\S.*:\d+: (\w*Warning): (.*)$")
CHECKSUM_RE = re.compile(r"Attribute 'checksum' for cell (\S+) has changed!")


# -- the documents --------------------------------------------------------------------------------

def guide_blocks() -> dict[str, tuple[str, str]]:
    """``{name: (language, text)}`` of the marked blocks of INSTRUCTORS.md, dedented."""
    blocks: dict[str, tuple[str, str]] = {}
    for indent, name, lang, body in MARKED_BLOCK_RE.findall(GUIDE.read_text(encoding="utf-8")):
        assert name not in blocks, f"two blocks marked {name!r} in INSTRUCTORS.md"
        lines = body.split("\n")
        assert all(not s.strip() or s.startswith(indent) for s in lines), name
        blocks[name] = (lang, "\n".join(s[len(indent):] for s in lines))
    return blocks


def commands(script: str) -> list[str]:
    """The commands of a shell block: comments dropped, ``a && b`` split, whitespace normalised."""
    found = []
    for line in script.split("\n"):
        words = shlex.split(line, comments=True)
        if not words:
            continue
        part: list[str] = []
        for w in words + ["&&"]:
            if w == "&&":
                found.append(" ".join(part))
                part = []
            else:
                part.append(w)
    return [c for c in found if c]


def readme_instructor_block() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Instructor's guide"):]
    section = section[:section.index("\n## ", 1)]
    m = re.search(r"```bash\n(.*?)\n```", section, re.DOTALL)
    assert m, "README's instructor guide has no bash block"
    return m.group(1)


def documented_warnings() -> list[re.Pattern]:
    """The warnings INSTRUCTORS.md explains: the first code span of each bullet of its section
    "Warnings you will see", with ``…`` for the part that varies."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index("## Warnings you will see"):]
    end = section.find("\n## ", 1)
    section = section[:end] if end > 0 else section
    spans = re.findall(r"^- `([^`]+)`", section, re.MULTILINE)
    assert len(spans) >= 3, spans
    return [re.compile(".*".join(re.escape(part) for part in s.split("…"))) for s in spans]


def students_of(setup: str) -> list[str]:
    ids = [c.split()[4] for c in commands(setup) if c.startswith("nbgrader db student add ")]
    assert len(ids) >= 2, f"the set-up block adds fewer than two students: {ids}"
    return ids[:2]


# -- the notebooks ----------------------------------------------------------------------------------

def notebook_name() -> str:
    (nb,) = sorted((COURSE / "source" / ASSIGNMENT).glob("*.ipynb"))
    return nb.name


def answered(nb):
    """The student's notebook with every answer cell (code and written) as in ``solutions/``."""
    solved = nbformat.read(str(ROOT / "solutions" / ASSIGNMENT / notebook_name()), as_version=4)
    answers = {c.metadata.nbgrader["grade_id"]: c.source for c in solved.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    filled = 0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = answers[meta["grade_id"]]
            filled += 1
    assert filled == len(answers) > 0
    return nb


def source_points() -> tuple[float, float, set[str]]:
    """Autograded points, all points, and the test cells that hold hidden tests, of the source."""
    nb = nbformat.read(str(COURSE / "source" / ASSIGNMENT / notebook_name()), as_version=4)
    auto = total = 0.0
    hidden = set()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            total += float(meta["points"])
            if cell.cell_type == "code":
                auto += float(meta["points"])
        if "### BEGIN HIDDEN TESTS" in cell.source:
            hidden.add(meta["grade_id"])
    return auto, total, hidden


def blackboard_zip(path: Path, submissions: dict[str, str]) -> None:
    """What Blackboard's *Assignment File Download* gives: per student a receipt and the notebook,
    named ``<assignment>_<username>_attempt_<date>[_<file name>]``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for i, (student, text) in enumerate(submissions.items()):
            stem = f"Problem set 1_{student}_attempt_2026-11-29-17-{10 + i}-42"
            z.writestr(stem + ".txt", textwrap.dedent(f"""\
                Name: {student.title()} ({student})
                Assignment: Problem set 1
                Date Submitted: Sunday, 29 November 2026 17:{10 + i}:42 o'clock GMT
                Current Grade: Needs Grading

                Submission Field:
                There is no student submission text data for this assignment.

                Comments:
                There are no student comments for this assignment.

                Files:
                \tOriginal filename: {notebook_name()}
                \tFilename: {stem}_{notebook_name()}
                """))
            z.writestr(f"{stem}_{notebook_name()}", text)


# -- running the guide ------------------------------------------------------------------------------

def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without anything that points Jupyter at other configuration."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "XDG_", "IPYTHON", "MPLBACKEND"))}
    env.update(HOME=str(home), **extra)
    return env


def with_environment(env: dict[str, str]) -> dict[str, str]:
    """As "with the environment activated": its bin/ first on PATH (nbgrader calls alembic from PATH)."""
    return dict(env, PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""))


def run_block(name: str, script: str, cwd: Path, env: dict[str, str], log: list) -> None:
    """Run one block of the guide as written (``bash -e``: it stops at the first failing command)."""
    proc = subprocess.run(["bash", "-e", "-c", script], check=False, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)
    log.append((name, str(cwd), proc.stdout + proc.stderr))
    assert proc.returncode == 0, (f"block {name!r} of INSTRUCTORS.md failed in {cwd}:\n{script}\n"
                                  f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def make_repository(repo: Path) -> None:
    """What an instructor has: the course, and the environment as ``.venv`` beside it."""
    shutil.copytree(COURSE, repo / "course", ignore=shutil.ignore_patterns(
        "gradebook.db", "submitted", "autograded", "feedback", "exchange", "downloaded", "grades.csv",
        "*.log", ".ipynb_checkpoints", "__pycache__"))
    if (Path(sys.prefix) / "bin" / "activate").exists():
        (repo / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    else:  # no virtual environment: an activate script that does what activating would
        (repo / ".venv" / "bin").mkdir(parents=True)
        (repo / ".venv" / "bin" / "activate").write_text(
            f'export PATH={shlex.quote(os.path.dirname(sys.executable))}:"$PATH"\n')


@pytest.fixture(scope="module")
def set_up(tmp_path_factory):
    """The repository after the guide's *Setting up*, run once for both routes."""
    blocks = guide_blocks()
    base = tmp_path_factory.mktemp("set_up")
    repo, home = base / "repo", base / "home" / "instructor"
    home.mkdir(parents=True)
    make_repository(repo)
    log: list = []
    run_block("setup", blocks["setup"][1], repo, clean_env(home), log)  # from the root: it activates, cd course
    assert (repo / "course" / "gradebook.db").exists()
    return {"repo": repo, "log": log, "blocks": blocks}


def walk(name: str, set_up: dict, base: Path) -> dict:
    """One route through the guide, from a copy of the set-up repository: paths and every block's output."""
    blocks = set_up["blocks"]
    repo = base / "repo"
    shutil.copytree(set_up["repo"] / "course", repo / "course")
    course = repo / "course"
    homes = {who: base / "home" / who for who in ["instructor", *students_of(blocks["setup"][1])]}
    for home in homes.values():
        home.mkdir(parents=True)
    first, second = list(homes)[1:]
    instructor_env = with_environment(clean_env(homes["instructor"]))
    student_env = {s: with_environment(clean_env(homes[s], JUPYTERHUB_USER=s)) for s in (first, second)}
    release_nb = course / "release" / ASSIGNMENT / notebook_name()
    log = list(set_up["log"])

    if name == "exchange":  # the configuration files, where the guide puts them
        lang, text = blocks["exchange-config"]
        assert lang == "python" and text.count(EXCHANGE_IN_GUIDE) == 1, text
        everyone = text.replace(EXCHANGE_IN_GUIDE, str(base / "exchange"))
        lang, students_only = blocks["student-config"]
        assert lang == "python"
        for who, home in homes.items():
            (home / ".jupyter").mkdir()
            config = everyone if who == "instructor" else everyone + "\n" + students_only
            (home / ".jupyter" / "nbgrader_config.py").write_text(config + "\n")
    else:  # the LMS's download, in the instructor's Downloads folder
        (homes["instructor"] / "Downloads").mkdir()
        text = release_nb.read_text(encoding="utf-8")
        download = homes["instructor"] / "Downloads" / "gradebook_springlab-2026_Problem set 1_2026-11-30-09-00-00.zip"
        blackboard_zip(download, {first: nbformat.writes(answered(nbformat.reads(text, as_version=4))), second: text})

    def student_step(block: str, script: str, student: str) -> None:
        run_block(block, script, homes[student], student_env[student], log)
        if block == "student-fetch":  # the student works on the fetched notebook
            fetched = homes[student] / ASSIGNMENT / notebook_name()
            assert fetched.read_bytes() == release_nb.read_bytes(), f"{student} fetched another notebook"
            if student == first:
                nbformat.write(answered(nbformat.read(str(fetched), as_version=4)), str(fetched))

    for block in ROUTES[name]:
        lang, script = blocks[block]
        assert lang == "bash", block
        if block.startswith("student-"):  # both students at once, each in their home folder
            with ThreadPoolExecutor(2) as pool:
                for done in [pool.submit(student_step, block, script, s) for s in (first, second)]:
                    done.result()
        else:
            run_block(block, script, course, instructor_env, log)
    return {"name": name, "course": course, "homes": homes, "students": (first, second), "log": log}


@pytest.fixture(scope="module")
def routes(set_up, tmp_path_factory):
    """Both routes, side by side (each is a chain of single-threaded nbgrader commands: two cores
    run them in about the time of the longer one)."""
    with ThreadPoolExecutor(len(ROUTES)) as pool:
        return {name: pool.submit(walk, name, set_up, tmp_path_factory.mktemp(name)) for name in ROUTES}


@pytest.fixture(params=sorted(ROUTES))
def route(request, routes):
    return routes[request.param].result()  # a route that failed fails its own tests only


# -- the checks -------------------------------------------------------------------------------------

def test_readme_commands_are_the_guides():
    """The README's instructor commands are commands of INSTRUCTORS.md's marked blocks (so they run
    below), and every marked block belongs to a route."""
    blocks = guide_blocks()
    assert set(blocks) == {"setup", *CONFIG_BLOCKS, *ROUTES["lms"], *ROUTES["exchange"]}, sorted(blocks)
    guide = {c for lang, text in blocks.values() if lang == "bash" for c in commands(text)}
    readme = commands(readme_instructor_block())
    assert len(readme) >= 8 and any(c.startswith("nbgrader zip_collect") for c in readme), readme
    missing = [c for c in readme if c not in guide]
    assert not missing, f"README commands that INSTRUCTORS.md's workflow does not run: {missing}"


def test_the_grades_are_exported(route):
    auto, total, _ = source_points()
    first, second = route["students"]
    assert auto > 0
    with open(route["course"] / "grades.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["assignment"] == ASSIGNMENT]
    by_student = {r["student_id"]: r for r in rows}
    assert sorted(by_student) == sorted([first, second]) and len(rows) == 2, rows
    assert float(by_student[first]["score"]) == auto, by_student[first]
    assert float(by_student[second]["score"]) == 0.0, by_student[second]
    assert {float(r["max_score"]) for r in rows} == {total}, rows
    assert by_student[first]["last_name"] and by_student[second]["last_name"], rows  # as `db student add` gave them


def test_every_student_gets_feedback(route):
    course, (first, second) = route["course"], route["students"]
    html_name = notebook_name().replace(".ipynb", ".html")
    for student in (first, second):
        if route["name"] == "exchange":  # fetched into the student's home folder
            found = sorted((route["homes"][student] / ASSIGNMENT / "feedback").glob(f"*/{html_name}"))
        else:
            found = [p for p in [course / "feedback" / student / ASSIGNMENT / html_name] if p.exists()]
        assert len(found) == 1, (student, found)
        text = found[0].read_text(encoding="utf-8")
        assert "Test result: " in text, student
        # the solved notebook passes every test, the untouched one none
        assert ("Test result: failed" in text, "Test result: passed" in text) == (
            (False, True) if student == first else (True, False)), student
        assert "BEGIN HIDDEN TESTS" not in text


def warnings_printed(output: str) -> list[str]:
    """The message of every warning in a command's output (a message that starts on the next line,
    as collect's does, is read from there)."""
    lines = output.split("\n")
    found = []
    for i, line in enumerate(lines):
        m = next((m for r in LOG_WARNING_RES if (m := r.match(line))), None)
        if m:
            message = m.group(1).strip() or next((s.strip() for s in lines[i + 1:] if s.strip()), "")
            found.append(message)
        elif m := PY_WARNING_RE.match(line):
            found.append(f"{m.group(1)}: {m.group(2)}")
        elif "WARNING" in line or "Warning:" in line:
            found.append(line.strip())
    return found


def test_no_warning_about_the_configuration(route):
    for block, cwd, output in route["log"]:
        bad = [s for s in output.split("\n") if CONFIG_WARNING_RE.search(s)]
        assert not bad, f"{block} in {cwd}: {bad}"


def test_every_warning_is_explained_in_the_guide(route):
    patterns = documented_warnings()
    for block, cwd, output in route["log"]:
        for message in warnings_printed(output):
            assert any(p.fullmatch(message) for p in patterns), (
                f"{block} ({cwd}) printed a warning that INSTRUCTORS.md does not explain: {message!r}")


def test_checksum_warnings_name_the_cells_with_hidden_tests(route):
    """autograde's by-design warning: once per submission for each test cell that holds hidden tests."""
    _, _, hidden = source_points()
    assert hidden
    warned = [m.group(1) for block, _, output in route["log"] if block == "autograde"
              for m in CHECKSUM_RE.finditer(output)]
    assert sorted(warned) == sorted(list(hidden) * len(route["students"])), (sorted(warned), sorted(hidden))
