"""Feedback without hidden tests: a preprocessor for ``nbgrader generate_feedback`` (nbgrader 0.9).

``nbgrader generate_feedback`` renders the *autograded* notebook to HTML. For grading,
``nbgrader autograde`` put the hidden tests (between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS``) back into every test cell, so plain nbgrader shows them to the
student, together with tracebacks that quote their lines (nbgrader issues #917, #1363).

:class:`HideHiddenTests` runs in ``GenerateFeedback.preprocessors`` right after nbgrader's
``GetGrades`` (which copies each cell's score and points from the gradebook into the cell's
metadata), before the notebook becomes HTML. In every autograder test cell (a code cell with
``grade`` and without ``solution`` in its nbgrader metadata) it

* replaces each hidden region, delimiters included, by one comment line with the region's
  outcome, e.g. ``# hidden tests (not shown; part of this cell's 3 points): failed - see the
  error below``. The outcome comes from the cell's score and from the line the cell failed at
  (the first frame of the traceback that belongs to the cell, ``Cell In[n], line L``): a
  failure above the region means the hidden tests did not run, inside it that they failed,
  below it that they passed. A hidden region of the grader's own code (it contains no
  ``assert``, or starts with the comment ``# The grader's set-up``: the code that swaps in
  correct versions of the other parts and watches the graded function, see INSTRUCTORS.md)
  becomes ``# the grader's code (not shown)``, without an outcome;
* reduces each error output to ``ExceptionType: message`` -- the assertion message is the
  feedback the student is meant to read; the traceback goes, because its frames quote the test
  cell around the failing line, hidden lines included;
* puts a first output line with the outcome and the points, ``Test result: failed (0 of 3
  points)``.

In every code cell it also withholds any output line or error message that quotes a line of
hidden-test code (a message built from hidden code, a warning that prints the source line that
raised it): the hidden lines that do not also occur in the visible parts of the notebook are
searched for in every text the HTML shows. From the traceback of a student's own cell it drops
the frames of test cells' code (a function a test cell defined, such as the grader's wrapper of
the graded function, that the student's cell called).

The autograded notebook on disk and the gradebook are not changed; only the HTML is.

Registered in ``course/nbgrader_config.py`` by name (``"safe_feedback.HideHiddenTests"``); that
file puts its own folder on ``sys.path``, so this module must sit next to it. Without it
``nbgrader generate_feedback`` stops with ``ModuleNotFoundError`` instead of writing feedback
that shows the hidden tests. ``--HideHiddenTests.enabled=False`` switches it off (for
instructors who want to see the unfiltered feedback; the course's test uses it to show that its
leak checks find the leaks of plain nbgrader).
"""
from __future__ import annotations

import re

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from traitlets import Bool, Unicode, default

ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# IPython >= 8 names a notebook cell's frame "Cell In[<execution count>], line <n>"
FRAME_RE = re.compile(r"^\s*Cell\s+In\s*\[(\d+)\]\s*,\s*line\s+(\d+)")
SHORT = 8  # hidden lines shorter than this count as quoted only when a whole line matches
WITHHELD_LINE = "[this line quoted a hidden test and is not shown]"
WITHHELD_MESSAGE = "(the message quoted a hidden test and is not shown)"
WITHHELD_FRAME = "[a frame inside a test cell's code is not shown]"
GRADER_CODE = "# the grader's code (not shown)"
#: A hidden region whose first line starts with this comment is the grader's set-up, not a test
GRADER_MARKER = "# The grader's set-up"


def plain(text: str) -> str:
    """``text`` without ANSI colour codes."""
    return ANSI_RE.sub("", text)


def _points(value) -> str:
    return f"{float(value):g}"


def _n_points(value) -> str:
    return f"{_points(value)} point{'' if float(value) == 1 else 's'}"


class HideHiddenTests(Preprocessor):
    """Remove hidden tests, their tracebacks and any text quoting them from the feedback."""

    # nbconvert's Preprocessor, not nbgrader's NbGraderPreprocessor: that one re-declares
    # display_data_priority without config=True, and the HTML exporter's config for it then
    # makes every generate_feedback warn "Config option `display_data_priority` not recognized".
    enabled = Bool(True, help="Remove hidden tests from the feedback (on by default)").tag(config=True)

    begin_test_delimeter = Unicode(
        help="Marks the start of a hidden-test region (default: ClearHiddenTests' setting, "
             "'BEGIN HIDDEN TESTS')").tag(config=True)
    end_test_delimeter = Unicode(
        help="Marks the end of a hidden-test region (default: ClearHiddenTests' setting, "
             "'END HIDDEN TESTS')").tag(config=True)

    # the same delimiters nbgrader used to hide the tests from the release
    @default("begin_test_delimeter")
    def _begin_default(self):
        return self.config.ClearHiddenTests.get("begin_test_delimeter", "BEGIN HIDDEN TESTS")

    @default("end_test_delimeter")
    def _end_default(self):
        return self.config.ClearHiddenTests.get("end_test_delimeter", "END HIDDEN TESTS")

    # -- the hidden regions -----------------------------------------------------------------------

    def hidden_regions(self, source: str) -> list[tuple[int, int]]:
        """0-based (first, last) line indices of each hidden region, delimiter lines included.

        Delimiters are recognised as nbgrader's ClearHiddenTests recognises them (the text
        anywhere in a line). An unterminated region runs to the end of the cell.
        """
        regions, start = [], None
        lines = source.split("\n")
        for i, line in enumerate(lines):
            if start is None and self.begin_test_delimeter in line:
                start = i
            elif start is not None and self.end_test_delimeter in line:
                regions.append((start, i))
                start = None
        if start is not None:
            regions.append((start, len(lines) - 1))
        return regions

    def secret_lines(self, nb) -> set[str]:
        """Stripped lines of hidden-test code that occur nowhere else in the notebook."""
        hidden, visible = set(), set()
        for cell in nb.cells:
            lines = cell.source.split("\n")
            inside = set()
            if cell.cell_type == "code":
                for first, last in self.hidden_regions(cell.source):
                    inside.update(range(first, last + 1))
            for i, line in enumerate(lines):
                s = line.strip()
                if s:
                    (hidden if i in inside else visible).add(s)
        return {s for s in hidden - visible
                if self.begin_test_delimeter not in s and self.end_test_delimeter not in s}

    # -- outcomes ---------------------------------------------------------------------------------

    @staticmethod
    def failing_line(cell) -> int | None:
        """1-based line of the cell at which it stopped with an error, or None if unknown."""
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            for entry in out.get("traceback", []):
                for line in plain(entry).split("\n"):
                    m = FRAME_RE.match(line)
                    if m and cell.get("execution_count") is not None and int(m.group(1)) == cell.execution_count:
                        return int(m.group(2))
        return None

    @staticmethod
    def score_of(cell) -> tuple[float | None, float]:
        """(score, points) of a graded cell: from GetGrades (the gradebook) if it ran, else from the outputs."""
        meta = cell.metadata.nbgrader
        if meta.get("score") is not None and meta.get("points") is not None:
            return float(meta["score"]), float(meta["points"])
        score, points = utils.determine_grade(cell)
        return (None if score is None else float(score)), float(points)

    # -- redaction --------------------------------------------------------------------------------

    def _quotes_secret(self, text: str) -> bool:
        """Whether ``text`` quotes a hidden line: a long one anywhere, a short one (``)``,
        ``x = 1``) only as a whole line, so that ordinary messages are not withheld for it."""
        if any(s in text for s in self._secrets if len(s) >= SHORT):
            return True
        short = {s for s in self._secrets if len(s) < SHORT}
        return bool(short) and any(line.strip() in short for line in text.split("\n"))

    def _redact_text(self, text):
        """Text with every line that quotes hidden code replaced; lists of lines (nbformat) too."""
        if isinstance(text, list):
            return [self._redact_text(t) for t in text]
        if not isinstance(text, str) or not self._quotes_secret(plain(text)):
            return text
        self._withheld += 1
        return "\n".join(WITHHELD_LINE if self._quotes_secret(plain(line)) else line
                         for line in text.split("\n"))

    def _redact_outputs(self, cell) -> None:
        for out in cell.outputs:
            kind = out.get("output_type")
            if kind == "stream":
                out["text"] = self._redact_text(out.get("text", ""))
            elif kind in ("execute_result", "display_data"):
                data = out.get("data", {})
                for mime in list(data):
                    if mime.startswith("text/") or mime in ("application/javascript", "image/svg+xml"):
                        data[mime] = self._redact_text(data[mime])
            elif kind == "error":
                if self._quotes_secret(plain(str(out.get("evalue", "")))):
                    out["evalue"] = WITHHELD_MESSAGE
                    self._withheld += 1
                out["traceback"] = [self._redact_text(t) for t in self._without_test_frames(out.get("traceback", []))]

    def _without_test_frames(self, traceback: list) -> list:
        """A traceback of a student's cell without the frames of test cells' code.

        A test cell may leave a function of its own in the notebook (the grader's wrapper of the
        function it grades) that a later cell calls: its frame would quote the test cell.
        """
        kept = []
        for entry in traceback:
            m = next(filter(None, (FRAME_RE.match(line) for line in plain(entry).split("\n"))), None)
            if m and int(m.group(1)) in self._test_counts:
                if not kept or kept[-1] != WITHHELD_FRAME:
                    kept.append(WITHHELD_FRAME)
                self._withheld += 1
            else:
                kept.append(entry)
        return kept

    # -- the cells --------------------------------------------------------------------------------

    def _hidden_outcome(self, region: tuple[int, int], passed: bool, fail_line: int | None) -> str:
        if passed:
            return "passed"
        if fail_line is None:
            return "not passed"
        first, last = region[0] + 1, region[1] + 1  # 1-based, as in tracebacks
        if fail_line < first:
            return "not run (a test above them failed first)"
        if fail_line <= last:
            return "failed - see the error below"
        return "passed"

    def _process_test_cell(self, cell) -> None:
        score, points = self.score_of(cell)
        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
        passed = score is not None and score >= points and not errors
        fail_line = self.failing_line(cell)

        lines = cell.source.split("\n")
        regions = self.hidden_regions(cell.source)
        for first, last in reversed(regions):
            indent = re.match(r"[ \t]*", lines[first]).group(0)
            body = [line.strip() for line in lines[first + 1:last] if line.strip()]
            if not any("assert" in line for line in body) or (body and body[0].startswith(GRADER_MARKER)):
                # set-up or clean-up code of the grader (it checks nothing): no outcome to report
                lines[first:last + 1] = [indent + GRADER_CODE]
                continue
            outcome = self._hidden_outcome((first, last), passed, fail_line)
            note = f"{indent}# hidden tests (not shown; part of this cell's {_n_points(points)}): {outcome}"
            lines[first:last + 1] = [note]
        cell.source = "\n".join(lines)
        self._hidden += len(regions)

        for out in errors:
            ename, evalue = str(out.get("ename", "Error")), str(out.get("evalue", ""))
            if self._quotes_secret(plain(evalue)):
                evalue = WITHHELD_MESSAGE
                self._withheld += 1
            out["evalue"] = evalue
            out["traceback"] = [f"\x1b[31m{ename}\x1b[39m: {evalue}"]

        if score is None:
            verdict = "not graded yet"
        else:
            verdict = f"{'passed' if passed else 'failed'} ({_points(score)} of {_n_points(points)})"
        cell.outputs.insert(0, nbformat.v4.new_output("stream", name="stdout", text=f"Test result: {verdict}\n"))

    def preprocess(self, nb, resources):
        self._secrets = self.secret_lines(nb)
        self._test_counts = {cell.execution_count for cell in nb.cells
                             if cell.cell_type == "code" and cell.get("execution_count") is not None
                             and utils.is_grade(cell) and not utils.is_solution(cell)}
        self._hidden = self._withheld = 0
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if utils.is_grade(cell) and not utils.is_solution(cell):
                self._process_test_cell(cell)
            self._redact_outputs(cell)
            # hidden regions outside test cells (nbgrader refuses those when generating the
            # assignment; a hand-edited gradebook might still have one): never show them
            if self.hidden_regions(cell.source):
                lines = cell.source.split("\n")
                for first, last in reversed(self.hidden_regions(cell.source)):
                    lines[first:last + 1] = ["# hidden tests (not shown)"]
                cell.source = "\n".join(lines)
                self._hidden += 1
        self.log.info("Feedback: %d hidden-test region(s) removed, %d text(s) quoting hidden tests withheld",
                      self._hidden, self._withheld)
        return nb, resources
