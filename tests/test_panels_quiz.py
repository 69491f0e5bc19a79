"""The lessons' check-yourself widgets, driven without a browser (springlab.panels.quiz)."""
from pathlib import Path

import pytest

from springlab.panels import MultipleChoice, NumericAnswer, Reveal

VIEW = "application/vnd.jupyter.widget-view+json"


def _visible(q) -> str:
    """Every text the widget tree shows now: descriptions, values and option labels."""
    import ipywidgets as w

    texts, stack = [], [q.widget]
    while stack:
        x = stack.pop()
        if isinstance(x, w.Box):
            stack.extend(x.children)
            continue
        for attr in ("description", "value", "placeholder"):
            v = getattr(x, attr, None)
            if isinstance(v, str):
                texts.append(v)
        texts.extend(str(label) for label in getattr(x, "_options_labels", ()))
    return " ".join(texts)


def test_multiple_choice_right_wrong_and_the_answer_after_two_tries():
    q = MultipleChoice("Which shape has the lowest energy?", ["concave", "linear", "convex"], answer=1,
                       explain="Equal shares minimise $\\sum d_l^2$.")
    assert q.radio.value is None and q.feedback == ""
    q.button.click()  # nothing chosen: a hint, no verdict
    assert "Choose" in q.feedback and q.correct is None and q.attempts == 0
    assert q.check(0) is False and q.feedback.startswith("Not quite")
    assert "linear" not in q.feedback and "Equal shares" not in q.feedback  # the first miss gives nothing away
    assert q.check(2) is False and "The answer is linear" in q.feedback and "Equal shares" in q.feedback
    assert q.attempts == 2
    assert q.check(1) is True and q.feedback.startswith("Correct") and "Equal shares" in q.feedback


def test_multiple_choice_right_at_once():
    q = MultipleChoice("2 + 2?", ["3", "4"], answer=1)
    assert q.check(1) and q.feedback == "Correct." and q.attempts == 0


def test_numeric_answer_tolerance_is_absolute_and_inclusive():
    q = NumericAnswer("E_min for L = 7, k = y = 1?", answer=0.0625, tolerance=0.001, unit="k·y²",
                      explain="$E_{\\min} = k y^2 / (2(L+1))$")
    assert q.check(0.07) is False and "too high" in q.feedback and "0.0625" not in q.feedback
    assert q.check(0.05) is False and "too low" in q.feedback and "0.0625" in q.feedback  # second miss
    assert q.check(0.0635) is True  # exactly at the edge: 0.0625 + 0.001
    assert q.check(0.0615) is True and q.feedback.startswith("Correct")
    assert q.check(0.06351) is False and q.check(0.06149) is False
    assert q.check("6.25e-2") is True


def test_numeric_answer_rejects_text_without_a_verdict():
    q = NumericAnswer("How many blocks?", answer=7, tolerance=0.5)
    assert q.check("seven") is False and "Type a number" in q.feedback and q.attempts == 0
    assert q.check("nan") is False and q.attempts == 0
    assert q.check(" 7 ") is True


def test_reveal_hides_the_answer_until_clicked():
    r = Reveal("**Predict first:** does doubling $y$ change the shape?", "No: only the *scale*.")
    assert not r.shown and r.feedback == "" and "scale" not in _visible(r)
    assert r.button.description == "Show answer"
    assert r.reveal() == "No: only the scale."
    assert r.shown and "scale" in _visible(r) and r.button.description == "Hide answer"
    r.button.click()  # a second click hides it again
    assert not r.shown and r.feedback == "" and "scale" not in _visible(r)


def test_answers_stay_out_of_the_visible_widgets_before_checking():
    q = MultipleChoice("Pick one", ["a", "b"], answer=0, explain="because SECRET")
    n = NumericAnswer("How much?", answer=12.345, tolerance=0.01, explain="because SECRET")
    for x in (q, n):
        assert "SECRET" not in _visible(x)
    assert "12.345" not in _visible(n)


@pytest.mark.parametrize("make", [
    lambda: MultipleChoice("Which one?", ["a", "b", "c"], answer=2, explain="c is right"),
    lambda: NumericAnswer("How far?", answer=0.25, tolerance=0.01, unit="length", explain="a quarter"),
    lambda: Reveal("Predict the shape.", "Concave."),
])
def test_display_bundle_is_deterministic_and_readable_without_a_kernel(make):
    a, b = make(), make()
    da, db = a._repr_mimebundle_(), b._repr_mimebundle_()
    assert VIEW in da and da[VIEW]["model_id"] != db[VIEW]["model_id"]
    # what nbval compares is the same for two instances; the static HTML shows the question
    assert da["text/plain"] == db["text/plain"] and da["text/html"] == db["text/html"]
    assert a.question.rstrip(".?") in da["text/html"]
    # the answer is there for a static reader, but folded away
    head, _, folded = da["text/html"].partition("<details>")
    assert folded and "Show answer" in folded
    assert not any(s in head for s in ("c is right", "a quarter", "Concave"))


@pytest.mark.parametrize("call, name", [
    (lambda: MultipleChoice("", ["a", "b"], 0), "question"),
    (lambda: MultipleChoice("q", ["a"], 0), "choices"),
    (lambda: MultipleChoice("q", "ab", 0), "choices"),
    (lambda: MultipleChoice("q", ["a", "a"], 0), "choices"),
    (lambda: MultipleChoice("q", ["a", ""], 0), "choice"),
    (lambda: MultipleChoice("q", ["a", "b"], 2), "answer"),
    (lambda: MultipleChoice("q", ["a", "b"], True), "answer"),
    (lambda: NumericAnswer("q", 1.0, 0.0), "tolerance"),
    (lambda: NumericAnswer("q", 1.0, -0.1), "tolerance"),
    (lambda: NumericAnswer("q", 1.0, float("inf")), "tolerance"),
    (lambda: NumericAnswer("q", float("nan"), 0.1), "answer"),
    (lambda: NumericAnswer("q", "x", 0.1), "answer"),
    (lambda: Reveal("", "a"), "prompt"),
    (lambda: Reveal("p", " "), "answer"),
])
def test_bad_construction_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_bad_choice_in_check_names_the_parameter():
    with pytest.raises(ValueError, match="choice"):
        MultipleChoice("q", ["a", "b"], 0).check(5)


def _lesson_questions(path) -> dict[str, int]:
    """How many questions of each kind a stored lesson displays (from its outputs' text/plain)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    counts = {"MultipleChoice": 0, "NumericAnswer": 0, "Reveal": 0}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            kind = "".join(out.get("data", {}).get("text/plain", "")).split("(")[0]
            if kind in counts:
                counts[kind] += 1
    return counts


LESSONS = sorted((Path(__file__).resolve().parents[1] / "lessons").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lessons_have_three_checks_and_predictions_answered_on_request(path):
    # issue 15, item 4: at least three check-yourself questions, and Predict-first answers behind a click
    n = _lesson_questions(path)
    assert n["MultipleChoice"] + n["NumericAnswer"] >= 3, f"{path.name}: {n}"
    assert n["Reveal"] >= 1, f"{path.name}: {n}"


def test_markdown_subset_keeps_math_for_mathjax_and_escapes_html():
    from springlab.panels.quiz import markdown_html

    assert markdown_html("a **b** *c* `d`") == "<p>a <strong>b</strong> <em>c</em> <code>d</code></p>"
    # math is not marked up (the * and _ stay) and only <, >, & are escaped
    assert markdown_html("$x^* < y_1$ and 2*3*4") == "<p>\\(x^* &lt; y_1\\) and 2*3*4</p>"
    assert markdown_html("$$E = k_l$$") == "<p>$$E = k_l$$</p>"
    assert markdown_html("Predict:\n1. one\n   more\n2. two\n\n- a\n- b") == (
        "<p>Predict:</p>\n<ol><li>one more</li><li>two</li></ol>\n<ul><li>a</li><li>b</li></ul>")
    assert markdown_html("<script>") == "<p>&lt;script&gt;</p>"
