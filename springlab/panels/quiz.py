r"""Check-yourself questions of the lessons: a choice, a number, a prediction's answer.

=======================  ============================================================
class                    what the student does
=======================  ============================================================
:class:`MultipleChoice`  picks one of the choices and clicks *Check*
:class:`NumericAnswer`   types a number and clicks *Check* (absolute tolerance)
:class:`Reveal`          reads a *Predict first* prompt, predicts, clicks *Show answer*
=======================  ============================================================

Each is made of real ipywidgets and gives immediate feedback in the
notebook; tests drive it without a browser through :meth:`~MultipleChoice.check`
(or :meth:`Reveal.reveal`), which sets the control, clicks the button and
leaves the text shown in ``.feedback``::

    q = NumericAnswer("E_min for L = 7, k = y = 1?", answer=0.0625, tolerance=0.001)
    assert not q.check(0.07) and "too high" in q.feedback
    assert q.check(0.0625) and q.feedback.startswith("Correct")

The answer stays out of the widget's visible text until the student has
answered (a multiple-choice or numeric question shows it, with the
explanation, after the second wrong try). Questions and explanations are
Markdown with ``$…$`` math (the small subset of :func:`markdown_html`); the choices of a :class:`MultipleChoice` are plain
text (Unicode: ``μ→``, ``Δd``), because radio buttons do not typeset math.

Shown in a notebook, each question's output carries, besides the widget
view, a short ``text/plain`` and a static ``text/html`` (the question, the
choices, and the answer inside a closed ``<details>``): both are
deterministic, so ``pytest --nbval`` compares them, and a frontend without
the widget state (GitHub, nbviewer, nbconvert's HTML, JupyterLab for a
notebook it does not trust yet) shows the question in place of the widget.
"""
from __future__ import annotations

import html
import math
import re
from typing import Any, Sequence

__all__ = ["MultipleChoice", "NumericAnswer", "Reveal", "markdown_html"]

_TAGS = re.compile(r"<[^>]+>")
_BLOCK_TAGS = re.compile(r"</?(?:p|div|li|ol|ul|br|h\d|details|summary)\b[^>]*>")


_MATH = re.compile(r"(\$\$.+?\$\$|\$[^$\n]+?\$)", re.S)
_INLINE = ((re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
           (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
           (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"<em>\1</em>"))
_ITEM = re.compile(r"^(?:([-*])|(\d+)\.)\s+")


def _inline_html(text: str) -> str:
    """Escape a line of text and apply the inline markup; math is kept verbatim for MathJax."""
    out = []
    for k, part in enumerate(_MATH.split(text)):
        if k % 2:  # math: $…$ becomes \(…\), $$…$$ stays; only HTML's own characters are escaped
            out.append(html.escape(part, quote=False) if part.startswith("$$")
                       else "\\(" + html.escape(part[1:-1], quote=False) + "\\)")
            continue
        part = html.escape(part, quote=False)
        for pattern, repl in _INLINE:
            part = pattern.sub(repl, part)
        out.append(part)
    return "".join(out)


def _close(blocks: list, kind, parts: list) -> None:
    """Append a finished paragraph or list to ``blocks``."""
    if kind == "p":
        blocks.append(f"<p>{_inline_html(' '.join(parts))}</p>")
    elif kind:
        blocks.append(f"<{kind}>" + "".join(f"<li>{_inline_html(i)}</li>" for i in parts) + f"</{kind}>")


def markdown_html(text: str) -> str:
    r"""Render the Markdown of a question to HTML (for ``ipywidgets.HTMLMath`` and static views).

    A small, fixed subset, so that the HTML is the same on every machine
    (``pytest --nbval`` compares it): paragraphs (blank lines), bulleted
    (``-``) and numbered (``1.``) lists whose items may continue on indented
    lines, ```code```, ``**bold**``, ``*italic*``, and math ``$…$`` (written
    ``\(…\)``) and ``$$…$$``, left for MathJax.

    Parameters
    ----------
    text : str
        Markdown source.

    Returns
    -------
    str
        HTML.
    """
    blocks: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        kind, parts = None, []  # a run of one paragraph ("p") or of one list's items ("ul", "ol")
        for line in block.split("\n"):
            m = _ITEM.match(line)
            if m:
                tag = "ul" if m.group(1) else "ol"
                if kind != tag:
                    _close(blocks, kind, parts)
                    kind, parts = tag, []
                parts.append(line[m.end():].strip())
            elif kind in ("ul", "ol") and line[:1].isspace():  # an item continued on the next line
                parts[-1] += " " + line.strip()
            else:
                if kind != "p":
                    _close(blocks, kind, parts)
                    kind, parts = "p", []
                parts.append(line.strip())
        _close(blocks, kind, parts)
    return "\n".join(blocks)


def _plain(html_text: str) -> str:
    """The text a reader sees in an HTML fragment (tags removed, entities decoded)."""
    text = _TAGS.sub("", _BLOCK_TAGS.sub(" ", html_text))
    return " ".join(html.unescape(text).split())


def _folded(answer_html: str) -> str:
    """An answer a static reader opens with a click (HTML ``<details>``)."""
    return f"<details><summary>Show answer</summary>{answer_html}</details>"


def _nonempty(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string; got {value!r}")
    return value


class _Question:
    """What the three kinds share: a box of widgets, a feedback line, their display."""

    kind = "Question"
    heading = "Check yourself"

    def _build(self, body: list) -> None:
        import ipywidgets as w

        self.feedback_html = w.HTMLMath(value="")
        header = w.HTML(f"<b>{self.heading}</b>")
        self.widget = w.VBox([header, w.HTMLMath(markdown_html(self.question)), *body, self.feedback_html],
                             layout=w.Layout(border="1px solid #ccc", padding="4px 10px", margin="6px 0"))

    def _say(self, html_text: str, color: str = "") -> None:
        style = f" style='color:{color}'" if color else ""
        self.feedback_html.value = f"<span{style}>{html_text}</span>"

    def _judge(self, correct: bool, miss: str, answer_html: str) -> None:
        """Show the verdict: the explanation when right; a miss, then from the second miss the answer too."""
        self.correct = correct
        explain = markdown_html(self.explain) if self.explain else ""
        if correct:
            self._say(f"<b>Correct.</b> {explain}", "#1b7e3c")
            return
        self.attempts += 1
        if self.attempts < 2:  # the first miss gives nothing away
            self._say(f"{miss} Try again.", "#b00")
        else:
            self._say(f"{miss} The answer is {answer_html}. {explain}", "#b00")

    @property
    def feedback(self) -> str:
        """The feedback text shown under the question (plain text; empty before any answer)."""
        return _plain(self.feedback_html.value)

    def _static_html(self) -> str:
        raise NotImplementedError

    def _repr_mimebundle_(self, include=None, exclude=None):
        # The widget view, a deterministic text/plain (nbval compares it) and a static HTML
        # of the question for frontends without the widget state (nbconvert picks it then).
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude)
        data = dict((bundle[0] if isinstance(bundle, tuple) else bundle) or {})
        data["text/plain"] = repr(self)
        data["text/html"] = (f"<div class='springlab-quiz'><p><b>{self.heading}</b></p>\n"
                             f"{markdown_html(self.question)}\n{self._static_html()}</div>")
        return data

    def __repr__(self) -> str:
        first = " ".join(self.question.split())
        return f"{self.kind}({first[:70] + ('…' if len(first) > 70 else '')!r})"


class MultipleChoice(_Question):
    """A question with one right choice among several, checked on click.

    Parameters
    ----------
    question : str
        Markdown with ``$…$`` math.
    choices : sequence of str
        At least two distinct, non-empty plain-text choices, shown in this order.
    answer : int
        Index of the right choice, ``0 <= answer < len(choices)``.
    explain : str, optional
        Markdown shown with the verdict once the question is answered right
        (or after the second wrong try, with the right choice).

    Attributes
    ----------
    widget : ipywidgets.VBox
        What the notebook shows: the question, ``radio`` (an
        ``ipywidgets.RadioButtons``, nothing chosen at first), ``button``
        (*Check*) and the feedback line.
    correct : bool or None
        The verdict of the last check (None before any).
    attempts : int
        Wrong answers so far.
    """

    kind = "MultipleChoice"

    def __init__(self, question: str, choices: Sequence[str], answer: int, explain: str = "") -> None:
        import ipywidgets as w

        self.question = _nonempty("question", question)
        if isinstance(choices, str) or len(choices) < 2:
            raise ValueError(f"choices must be a sequence of at least 2 strings; got {choices!r}")
        for c in choices:
            _nonempty("every choice", c)
        if len(set(choices)) != len(choices):
            raise ValueError(f"choices must be distinct; got {list(choices)!r}")
        self.choices = tuple(choices)
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(self.choices):
            raise ValueError(f"answer must be an index 0 <= answer < {len(self.choices)}; got {answer!r}")
        self.answer, self.explain = answer, explain
        self.correct: bool | None = None
        self.attempts = 0
        self.radio = w.RadioButtons(options=[(c, i) for i, c in enumerate(self.choices)], value=None,
                                    layout=w.Layout(width="auto"))
        self.button = w.Button(description="Check", button_style="primary")
        self.button.on_click(lambda _: self._on_check())
        self._build([self.radio, self.button])

    def _on_check(self) -> None:
        chosen = self.radio.value
        if chosen is None:
            self._say("Choose one of the answers first.")
            return
        self._judge(chosen == self.answer, "<b>Not quite.</b>", f"<i>{html.escape(self.choices[self.answer])}</i>")

    def check(self, choice: int) -> bool:
        """Choose ``choice`` (an index into ``choices``), click *Check*, return the verdict."""
        if isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < len(self.choices):
            raise ValueError(f"choice must be an index 0 <= choice < {len(self.choices)}; got {choice!r}")
        self.radio.value = choice
        self.button.click()
        return bool(self.correct)

    def _static_html(self) -> str:
        items = "".join(f"<li>{html.escape(c)}</li>" for c in self.choices)
        explain = markdown_html(self.explain) if self.explain else ""
        return f"<ol type='A'>{items}</ol>\n" + _folded(f"<p><b>{html.escape(self.choices[self.answer])}</b></p>{explain}")


class NumericAnswer(_Question):
    """A question whose answer is a number, right within an absolute tolerance.

    Parameters
    ----------
    question : str
        Markdown with ``$…$`` math.
    answer : float
        The right value, in ``unit``; finite.
    tolerance : float
        Absolute tolerance, in ``unit``, > 0 and finite: a value ``x`` is right
        when ``|x - answer| <= tolerance`` (up to a relative 1e-9, so that a
        value typed exactly at the edge counts). Absolute, because the lessons'
        answers are read off plots and tables to a fixed number of decimals.
    unit : str, optional
        Shown beside the input box (plain text).
    explain : str, optional
        Markdown shown with the verdict once answered right, or after the
        second wrong try, with the right value.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The question, ``box`` (an ``ipywidgets.Text``: any number Python's
        ``float`` reads, e.g. ``0.25`` or ``2.5e-1``), ``button`` (*Check*) and
        the feedback line.
    correct : bool or None
    attempts : int
    """

    kind = "NumericAnswer"

    def __init__(self, question: str, answer: float, tolerance: float, unit: str = "",
                 explain: str = "") -> None:
        import ipywidgets as w

        self.question = _nonempty("question", question)
        try:
            self.answer = float(answer)
            self.tolerance = float(tolerance)
        except (TypeError, ValueError):
            raise ValueError(f"answer and tolerance must be numbers; got {answer!r}, {tolerance!r}") from None
        if not math.isfinite(self.answer):
            raise ValueError(f"answer must be a finite number; got {answer!r}")
        if not (math.isfinite(self.tolerance) and self.tolerance > 0):
            raise ValueError(f"tolerance must be finite and > 0 (absolute, in the answer's unit); got {tolerance!r}")
        self.unit, self.explain = unit, explain
        self.correct: bool | None = None
        self.attempts = 0
        self.box = w.Text(value="", placeholder="a number", layout=w.Layout(width="12em"))
        self.button = w.Button(description="Check", button_style="primary")
        self.button.on_click(lambda _: self._on_check())
        note = w.HTML(f"{html.escape(unit)} &nbsp;(within ±{self.tolerance:g})")
        self._build([w.HBox([self.box, note, self.button])])

    def _on_check(self) -> None:
        try:
            x = float(self.box.value.strip())
        except ValueError:
            self._say("Type a number, for example 0.25 or 2.5e-1.")
            return
        if not math.isfinite(x):
            self._say("Type a finite number.")
            return
        slack = 1e-9 * max(1.0, abs(self.answer))  # a value typed exactly at the edge counts
        side = "too high" if x > self.answer else "too low"
        self._judge(abs(x - self.answer) <= self.tolerance + slack, f"<b>Not quite:</b> {x:g} is {side}.",
                    self._answer_html())

    def _answer_html(self) -> str:
        return f"{self.answer:g}" + (f" {html.escape(self.unit)}" if self.unit else "")

    def check(self, value: float | str) -> bool:
        """Type ``value`` into the box, click *Check*, return the verdict (False for text that is no number)."""
        self.box.value = str(value)
        self.correct = None
        self.button.click()
        return bool(self.correct)

    def _static_html(self) -> str:
        explain = markdown_html(self.explain) if self.explain else ""
        within = f" (in {html.escape(self.unit)})" if self.unit else ""
        return (f"<p><i>Answer with a number{within}, within ±{self.tolerance:g}.</i></p>\n"
                + _folded(f"<p><b>{self._answer_html()}</b></p>{explain}"))


class Reveal(_Question):
    """A *Predict first* prompt whose answer appears only when the student asks for it.

    Parameters
    ----------
    prompt : str
        The questions to predict (Markdown with ``$…$`` math).
    answer : str
        The answer (Markdown with math), shown after a click on *Show answer*;
        a second click hides it again.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The prompt, ``button`` and the answer area (empty until shown).
    shown : bool
        Whether the answer is shown now.
    """

    kind = "Reveal"
    heading = "Predict first"

    def __init__(self, prompt: str, answer: str) -> None:
        import ipywidgets as w

        self.question = _nonempty("prompt", prompt)
        self.answer = _nonempty("answer", answer)
        self.shown = False
        self.button = w.Button(description="Show answer", icon="eye")
        self.button.on_click(lambda _: self._toggle())
        self._build([self.button])

    @property
    def prompt(self) -> str:
        """The prompt (Markdown)."""
        return self.question

    def _toggle(self) -> None:
        self.shown = not self.shown
        # the answer's text reaches the page only now, not hidden in the widget before
        self.feedback_html.value = markdown_html(self.answer) if self.shown else ""
        self.button.description = "Hide answer" if self.shown else "Show answer"

    def reveal(self) -> str:
        """Click *Show answer* (if the answer is hidden) and return the text shown."""
        if not self.shown:
            self.button.click()
        return self.feedback

    def _static_html(self) -> str:
        return _folded(markdown_html(self.answer))
