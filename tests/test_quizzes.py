"""Quiz files and their schema (fast: no build, no browser).

Every quiz validates; every chapter has exactly one quiz slot naming an existing
quiz, and every quiz is used; damaged quizzes fail with a message naming the
file, the question and the field; the colours meet WCAG AA; the generated
script carries jupyterquiz's own code behind the course's loader.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess

import jsonschema
import pytest

from book import quizzes
from book.paths import QUIZZES, ROOT
from book.site import quiz as quiz_ext
from book_pages import chapter_pages, chapters

#: A quiz slot in a chapter: ```{quiz} NAME (or :::{quiz} NAME).
SLOT = re.compile(r"^ {0,3}(?:`{3,}|:{3,})\{quiz\}[ \t]*(?P<name>\S*)[ \t]*$", re.MULTILINE)

QUIZ_FILES = sorted(QUIZZES.glob("*.json"))

#: A valid quiz of every kind, the base of the damage tests.
SAMPLE = [
    {
        "question": "Which quantity does the forget gate $f_t$ scale?",
        "type": "many_choice",
        "answers": [
            {"answer": "The previous cell state $c_{t-1}$", "correct": True, "feedback": "Right."},
            {"answer": "The input $x_t$", "correct": False, "feedback": "No: that is the input gate's job."},
        ],
    },
    {
        "question": "Which of these are gates of an LSTM cell?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "Forget gate", "correct": True, "feedback": "Yes."},
            {"answer": "Input gate", "correct": True, "feedback": "Yes."},
            {"answer": "Memory gate", "correct": False, "feedback": "No such gate."},
        ],
    },
    {
        "question": "How many weight matrices act on $x_t$ in one LSTM cell?",
        "type": "numeric",
        "precision": 2,
        "answers": [
            {"type": "value", "value": 4, "correct": True, "feedback": "Right."},
            {"type": "range", "range": [0, 4], "correct": False, "feedback": "Too few."},
            {"type": "default", "feedback": "Count the gates and the candidate."},
        ],
    },
]


def chapter_slots() -> dict[str, list[str]]:
    """Quiz names in each chapter of _toc.yml, in order of appearance."""
    slots = {}
    for page in chapter_pages():
        source = next(
            (ROOT / f"{page}{suffix}" for suffix in (".md", ".ipynb") if (ROOT / f"{page}{suffix}").exists()),
            None,
        )
        assert source is not None, f"{page} is in _toc.yml but has no source file"
        slots[page] = [m["name"] for m in SLOT.finditer(source.read_text(encoding="utf-8"))]
    return slots


# ------------------------------------------------------------------ the book's quizzes


def test_schema_is_a_valid_json_schema():
    schema = quizzes.schema()
    jsonschema.validators.validator_for(schema).check_schema(schema)


def test_the_sample_is_valid():
    assert quizzes.validate(copy.deepcopy(SAMPLE)) == SAMPLE


def test_there_are_quizzes():
    assert QUIZ_FILES, f"no quiz files in {QUIZZES}"


@pytest.mark.parametrize("path", QUIZ_FILES, ids=[p.name for p in QUIZ_FILES])
def test_every_quiz_file_validates(path):
    questions = quizzes.load(path)
    assert questions


def quiz_pages() -> list[str]:
    """The pages with a quiz slot, in reading order (a chapter's last page)."""
    return [page for page, names in chapter_slots().items() if names]


@pytest.mark.parametrize("chapter", list(chapters()))
def test_every_chapter_has_exactly_one_quiz_slot_naming_a_quiz_file(chapter):
    """One quiz per chapter, on the chapter's last page when it has section pages."""
    pages = chapters()[chapter]
    slots = {page: chapter_slots()[page] for page in pages}
    names = [name for page in pages for name in slots[page]]
    assert len(names) == 1, f"{chapter} has {len(names)} quiz slots ({slots}); a chapter has exactly one"
    assert slots[pages[-1]] == names, (
        f"{chapter}: the quiz belongs on the chapter's last page, {pages[-1]}, not in {slots}"
    )
    assert (QUIZZES / f"{names[0]}.json").exists(), (
        f"{pages[-1]}: quiz slot {names[0]!r} names no file in quizzes/"
    )


def test_every_page_under_chapters_belongs_to_a_chapter():
    grouped = [page for pages in chapters().values() for page in pages]
    assert sorted(grouped) == sorted(chapter_pages())


def test_every_quiz_file_is_used_by_a_chapter():
    used = {name for names in chapter_slots().values() for name in names}
    unused = sorted(p.name for p in QUIZ_FILES if p.stem not in used)
    assert not unused, f"quiz files no chapter uses: {unused}"


# ------------------------------------------------------------------ damage


def _damaged(mutate):
    data = copy.deepcopy(SAMPLE)
    mutate(data)
    return data


#: (id, what to do to SAMPLE, question number, field, words of the message)
DAMAGE = [
    (
        "missing feedback",
        lambda d: d[0]["answers"][1].pop("feedback"),
        1,
        "answers[1].feedback",
        "is required",
    ),
    ("missing question text", lambda d: d[1].pop("question"), 2, "question", "is required"),
    ("missing correct", lambda d: d[1]["answers"][2].pop("correct"), 2, "answers[2].correct", "is required"),
    (
        "empty feedback",
        lambda d: d[0]["answers"][1].update(feedback="   "),
        1,
        "answers[1].feedback",
        "must be a non-empty string",
    ),
    ("empty question", lambda d: d[2].update(question=""), 3, "question", "must be a non-empty string"),
    (
        "empty answer",
        lambda d: d[1]["answers"][0].update(answer="\n"),
        2,
        "answers[0].answer",
        "must be a non-empty string",
    ),
    ("unknown type", lambda d: d[1].update(type="essay"), 2, "type", "must be one of"),
    (
        "unknown field",
        lambda d: d[0]["answers"][0].update(feedbak="typo"),
        1,
        "answers[0].feedbak",
        "unknown field",
    ),
    (
        "no correct answer (many_choice)",
        lambda d: d[0]["answers"][0].update(correct=False),
        1,
        "answers",
        "exactly one answer",
    ),
    (
        "two correct answers in many_choice",
        lambda d: d[0]["answers"][1].update(correct=True),
        1,
        "answers",
        "exactly one answer",
    ),
    (
        "no correct answer (multiple_choice)",
        lambda d: [a.update(correct=False) for a in d[1]["answers"]],
        2,
        "answers",
        "at least one answer",
    ),
    (
        "one answer only",
        lambda d: d[1]["answers"].__delitem__(slice(1, None)),
        2,
        "answers",
        "at least two answers",
    ),
    (
        "correct is not a boolean",
        lambda d: d[1]["answers"][0].update(correct="yes"),
        2,
        "answers[0].correct",
        "true or false",
    ),
    (
        "no correct numeric answer",
        lambda d: d[2]["answers"][0].update(correct=False),
        3,
        "answers",
        "at least one 'value' or 'range'",
    ),
    (
        "bad numeric range (lo > hi)",
        lambda d: d[2]["answers"][1].update(range=[4, 0]),
        3,
        "answers[1].range",
        "lo < hi",
    ),
    (
        "bad numeric range (lo == hi)",
        lambda d: d[2]["answers"][1].update(range=[4, 4]),
        3,
        "answers[1].range",
        "lo < hi",
    ),
    (
        "bad numeric range (3 numbers)",
        lambda d: d[2]["answers"][1].update(range=[0, 1, 2]),
        3,
        "answers[1].range",
        "[lo, hi]",
    ),
    (
        "numeric range of strings",
        lambda d: d[2]["answers"][1].update(range=["0", 4]),
        3,
        "answers[1].range[0]",
        "number",
    ),
    (
        "numeric value missing",
        lambda d: d[2]["answers"][0].pop("value"),
        3,
        "answers[0].value",
        "is required",
    ),
    (
        "numeric value not a number",
        lambda d: d[2]["answers"][0].update(value="4"),
        3,
        "answers[0].value",
        "must be a number",
    ),
    (
        "unknown numeric answer type",
        lambda d: d[2]["answers"][0].update(type="exact"),
        3,
        "answers[0].type",
        "must be one of",
    ),
    (
        "default answer marked correct",
        lambda d: d[2]["answers"][2].update(correct=True),
        3,
        "answers[2].correct",
        "never correct",
    ),
    (
        "two default answers",
        lambda d: d[2]["answers"].append({"type": "default", "feedback": "Again."}),
        3,
        "answers",
        "at most one 'default'",
    ),
    ("precision 0", lambda d: d[2].update(precision=0), 3, "precision", "integer >= 1"),
    ("precision not an integer", lambda d: d[2].update(precision=2.5), 3, "precision", "integer >= 1"),
    ("precision on a choice question", lambda d: d[1].update(precision=2), 2, "precision", "only numeric"),
    (
        "unbalanced math",
        lambda d: d[0].update(question="What does $f_t scale?"),
        1,
        "question",
        "unbalanced $",
    ),
    ("question is not an object", lambda d: d.__setitem__(1, "Which gates?"), 2, None, "must be an object"),
]


@pytest.mark.parametrize("kind, mutate, number, field, words", DAMAGE, ids=[d[0] for d in DAMAGE])
def test_a_damaged_quiz_fails_naming_file_question_and_field(tmp_path, kind, mutate, number, field, words):
    folder = tmp_path / "quizzes"
    folder.mkdir()
    (folder / "03_broken.json").write_text(json.dumps(_damaged(mutate), indent=1))
    with pytest.raises(quizzes.QuizError) as caught:
        quizzes.load("03_broken", quizzes=folder, root=tmp_path)
    message = str(caught.value)
    where = f"quizzes/03_broken.json: question {number}" + (f", field {field!r}: " if field else ": ")
    line = next((line for line in message.splitlines() if line.startswith(where)), None)
    assert line is not None, f"expected a line starting {where!r} in:\n{message}"
    assert words in line, f"expected {words!r} in {line!r}"


def test_the_example_message_of_the_issue():
    data = _damaged(lambda d: d[1]["answers"][1].update(feedback=""))
    with pytest.raises(quizzes.QuizError) as caught:
        quizzes.validate(data, "quizzes/03_lstm_cell.json")
    assert str(caught.value) == (
        "quizzes/03_lstm_cell.json: question 2, field 'answers[1].feedback': must be a non-empty string"
    )


@pytest.mark.parametrize(
    "text, words",
    [
        ('[{"question": "x",}]', "is not valid JSON (line 1"),
        ("", "is not valid JSON"),
        ('[{"question": "x", "type": "numeric", "answers": [{"type": "value", "value": NaN}]}]', "NaN"),
        ("{}", "must be a non-empty list of questions"),
        ("[]", "must be a non-empty list of questions"),
    ],
    ids=["syntax error", "empty file", "NaN", "object", "empty list"],
)
def test_a_file_that_is_not_a_quiz_fails_naming_the_file(tmp_path, text, words):
    (tmp_path / "quizzes").mkdir()
    (tmp_path / "quizzes" / "bad.json").write_text(text)
    with pytest.raises(quizzes.QuizError) as caught:
        quizzes.load("bad", quizzes=tmp_path / "quizzes", root=tmp_path)
    assert str(caught.value).startswith("quizzes/bad.json: ")
    assert words in str(caught.value)


def test_a_missing_quiz_file_fails_naming_it(tmp_path):
    (tmp_path / "quizzes").mkdir()
    with pytest.raises(quizzes.QuizError, match=r"^quizzes/09_nothing\.json: no such quiz file$"):
        quizzes.load("09_nothing", quizzes=tmp_path / "quizzes", root=tmp_path)


def test_a_quiz_name_with_a_path_is_refused():
    with pytest.raises(quizzes.QuizError, match="is not a quiz name"):
        quizzes.load("../secrets")


def test_every_problem_is_reported_not_only_the_first():
    def two_problems(d):
        d[0]["answers"][0].update(feedback="")
        d[2].update(precision=0)

    with pytest.raises(quizzes.QuizError) as caught:
        quizzes.validate(_damaged(two_problems), "quizzes/x.json")
    assert [(p.question, p.field) for p in caught.value.problems] == [
        (1, "answers[0].feedback"),
        (3, "precision"),
    ]


# ------------------------------------------------------------------ colours


def _luminance(colour: str) -> float:
    rgb = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


C = quizzes.COLORS
WHITE = "#ffffff"  # the quiz card (book/site/quiz.css)
# Text colours fixed by CSS rather than variables: jupyterquiz's .MCButton (#333333),
# the course's numeric input text (#1a1a1a) and feedback links (#1a4fa0).
PAIRS = [
    ("question text on multiple-choice", C["--jq-text-color"], C["--jq-multiple-choice-bg"]),
    ("question text on many-choice", C["--jq-text-color"], C["--jq-many-choice-bg"]),
    ("question text on numeric", C["--jq-text-color"], C["--jq-numeric-bg"]),
    ("links in questions", C["--jq-link-color"], C["--jq-multiple-choice-bg"]),
    ("links in many-choice questions", C["--jq-link-color"], C["--jq-many-choice-bg"]),
    ("links in numeric questions", C["--jq-link-color"], C["--jq-numeric-bg"]),
    ("answer text on an answer button", "#333333", C["--jq-mc-button-bg"]),
    ("answer text on a correct answer", C["--jq-text-color"], C["--jq-correct-color"]),
    ("answer text on an incorrect answer", C["--jq-text-color"], C["--jq-incorrect-color"]),
    ("correct feedback on the card", C["--jq-correct-color"], WHITE),
    ("incorrect feedback on the card", C["--jq-incorrect-color"], WHITE),
    ("numeric input label on the card", C["--jq-numeric-input-label"], WHITE),
    ("numeric input text", "#1a1a1a", C["--jq-numeric-input-bg"]),
    ("links in feedback", "#1a4fa0", WHITE),
]


@pytest.mark.parametrize("what, fg, bg", PAIRS, ids=[p[0] for p in PAIRS])
def test_quiz_colours_meet_wcag_aa(what, fg, bg):
    assert contrast(fg, bg) >= 4.5, f"{what}: {fg} on {bg} has contrast {contrast(fg, bg):.2f} < 4.5"


def test_the_css_fixed_colours_are_the_ones_checked():
    css = (ROOT / "book" / "site" / "quiz.css").read_text()
    assert "#1a1a1a" in css and "#1a4fa0" in css and "background: #ffffff" in css


# ------------------------------------------------------------------ generated assets


def test_script_carries_jupyterquiz_own_code_behind_the_loader():
    import importlib.resources

    from book.site import quizpatch

    js = quiz_ext.script()
    folder = importlib.resources.files("jupyterquiz").joinpath("js")
    for file in folder.iterdir():
        if file.name.endswith(".js"):
            # as served: with the course's documented patch (book/site/quizpatch.py), if any
            served = quizpatch.apply(file.name, file.read_text(encoding="utf-8"))
            assert served in js, f"jupyterquiz/js/{file.name} is not in quiz.js"
    # jupyterquiz's code sees a MathJax of its own, undefined (the build typeset the math):
    # it neither typesets nor loads MathJax from a CDN
    assert re.search(r"^  var MathJax;", js, re.M)
    assert js.index("var MathJax;") < js.index("function show_questions(")
    assert "typesetPromise" not in js
    assert "@@JUPYTERQUIZ_SOURCES@@\n" not in js.split("*/", 2)[-1]
    assert "window.courseQuiz" in js


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_script_is_valid_javascript(tmp_path):
    (tmp_path / "quiz.js").write_text(quiz_ext.script())
    result = subprocess.run(["node", "--check", str(tmp_path / "quiz.js")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_stylesheet_has_jupyterquiz_styles_then_the_colours_then_the_course_css():
    import importlib.resources

    css = quiz_ext.stylesheet()
    upstream = importlib.resources.files("jupyterquiz").joinpath("styles.css").read_text(encoding="utf-8")
    colours = css.index("--jq-correct-color: " + quizzes.COLORS["--jq-correct-color"])
    assert css.index(upstream) < colours < css.index(".course-quiz .sr-only")


def test_json_in_the_page_cannot_close_its_script_element():
    text = quiz_ext._json_for_html([{"question": "</script><script>alert(1)</script> <!-- & "}])
    assert "</" not in text and "<!--" not in text
    assert json.loads(text) == [{"question": "</script><script>alert(1)</script> <!-- & "}]


# ------------------------------------------------------------------ the notebook helper


def test_show_displays_the_validated_quiz_in_the_course_colours(monkeypatch, tmp_path):
    import jupyterquiz

    shown = {}
    monkeypatch.setattr(jupyterquiz, "display_quiz", lambda ref, **kw: shown.update(ref=ref, **kw))
    (tmp_path / "quizzes").mkdir()
    (tmp_path / "quizzes" / "sample.json").write_text(json.dumps(SAMPLE))
    monkeypatch.setattr(quizzes, "QUIZZES", tmp_path / "quizzes")
    quizzes.show("sample")
    # the site's HTML (book.quiztext), with the maths left to the notebook's MathJax
    assert shown["ref"][0]["question"] == (
        'Which quantity does the forget gate <span class="math">\\(f_t\\)</span> scale?'
    )
    assert shown["ref"][0]["answers"][1]["feedback"] == "No: that is the input gate&#39;s job."
    assert [q["type"] for q in shown["ref"]] == [q["type"] for q in SAMPLE]
    assert shown["colors"] == quizzes.COLORS
    (tmp_path / "quizzes" / "sample.json").write_text("[]")
    with pytest.raises(quizzes.QuizError):
        quizzes.show("sample")


def test_command_line_check(tmp_path, capsys):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(SAMPLE))
    bad.write_text(json.dumps(_damaged(lambda d: d[2].update(precision=0))))
    assert quizzes.main([str(good)]) == 0
    assert quizzes.main([str(good), str(bad)]) == 1
    assert "question 3, field 'precision'" in capsys.readouterr().err


def test_chapters_load_quizzes_only_through_the_directive():
    """One way for every chapter: no jupyterquiz call in a code cell."""
    for page in chapter_pages():
        source = (ROOT / f"{page}.md").read_text(encoding="utf-8")
        for call in ("display_quiz", "jupyterquiz", "book.quizzes", "from book import quizzes"):
            assert call not in source, f"{page} loads a quiz with {call!r}; use the {{quiz}} directive"


# ------------------------------------------------------------------ markup (issue 16)

#: Text that jupyterquiz would turn into live HTML, in every text field a quiz has.
MARKUP = [
    (
        "img onerror in a question",
        lambda d: d[0].update(question='Which gate? <img src=x onerror="alert(1)">'),
        1,
        "question",
        "contains HTML markup ('<img')",
    ),
    (
        "script in an answer",
        lambda d: d[1]["answers"][2].update(answer="<script>alert(1)</script>"),
        2,
        "answers[2].answer",
        "contains HTML markup ('<script'",
    ),
    (
        "end tag in feedback",
        lambda d: d[0]["answers"][1].update(feedback="No.</b>"),
        1,
        "answers[1].feedback",
        "contains HTML markup ('</b'",
    ),
    (
        "a href in feedback",
        lambda d: d[2]["answers"][2].update(feedback='See <a href="https://example.org">this</a>.'),
        3,
        "answers[2].feedback",
        "contains HTML markup ('<a')",
    ),
    (
        "comment in a question",
        lambda d: d[1].update(question="Which gates? <!-- hidden -->"),
        2,
        "question",
        "contains HTML markup ('<!--')",
    ),
    (
        "tag in a question's code",
        lambda d: d[0].update(code="<svg onload=alert(1)>"),
        1,
        "code",
        "contains HTML markup ('<svg')",
    ),
    (
        "tag in an answer's code",
        lambda d: d[1]["answers"][0].update(code="if a<b: pass"),
        2,
        "answers[0].code",
        "contains HTML markup ('<b:')",
    ),
    (
        "event attribute without a tag",
        lambda d: d[0].update(question='Which gate? x" onmouseover="alert(1)'),
        1,
        "question",
        "event attribute",
    ),
    (
        "javascript link",
        lambda d: d[0]["answers"][0].update(feedback="Right: [see](javascript:alert(1))."),
        1,
        "answers[0].feedback",
        "has a link to 'javascript:alert",
    ),
    (
        "entity-encoded javascript link",
        lambda d: d[0]["answers"][0].update(feedback="[see](javascript&colon;alert(1))"),
        1,
        "answers[0].feedback",
        "has a link",
    ),
    (
        "link breaking out of href",
        lambda d: d[1].update(question='Which? [x](https://a.org" onclick="alert(1))'),
        2,
        "question",
        "event attribute",
    ),
    (
        "quote in a link target",
        lambda d: d[1].update(question="Which? [x](https://a.org'x)"),
        2,
        "question",
        "has a link",
    ),
    (
        "autolink breaking out",
        lambda d: d[1].update(question='Which? <http://a.org"x>'),
        2,
        "question",
        "contains HTML markup ('<http://a.org'",
    ),
    (
        "TeX href",
        lambda d: d[0].update(question=r"Which gate scales $\href{javascript:alert(1)}{c_{t-1}}$?"),
        1,
        "question",
        "\\href",
    ),
    (
        "Markdown strong emphasis (quiz 4 had it)",
        lambda d: d[1].update(question="A write **and** a read at the same step?"),
        2,
        "question",
        "Markdown emphasis ('**and**')",
    ),
    (
        "Markdown emphasis in feedback",
        lambda d: d[0]["answers"][1].update(feedback="The candidate is *added* to the memory."),
        1,
        "answers[1].feedback",
        "Markdown emphasis ('*added*')",
    ),
    (
        "Markdown underscore emphasis",
        lambda d: d[0].update(question="Which gate is _really_ the forget gate?"),
        1,
        "question",
        "Markdown emphasis ('_really_')",
    ),
]


@pytest.mark.parametrize("kind, mutate, number, field, words", MARKUP, ids=[m[0] for m in MARKUP])
def test_markup_in_a_quiz_fails_naming_file_question_and_field(tmp_path, kind, mutate, number, field, words):
    test_a_damaged_quiz_fails_naming_file_question_and_field(tmp_path, kind, mutate, number, field, words)


def test_the_img_onerror_quiz_of_the_issue_fails_with_the_usual_message(tmp_path):
    folder = tmp_path / "quizzes"
    folder.mkdir()
    data = _damaged(lambda d: d[1].update(question='<img src=x onerror="alert(document.domain)">'))
    (folder / "03_lstm_cell.json").write_text(json.dumps(data))
    with pytest.raises(quizzes.QuizError) as caught:
        quizzes.load("03_lstm_cell", quizzes=folder, root=tmp_path)
    assert str(caught.value) == (
        "quizzes/03_lstm_cell.json: question 2, field 'question': contains HTML markup ('<img'): quiz text is "
        "plain text, put into the page as HTML; write code in backticks, and a literal '<' before a letter as '&lt;'"
    )
    # and the command-line check says so instead of "valid"
    assert quizzes.main([str(folder / "03_lstm_cell.json")]) == 1


PLAIN = [
    "Is $x < 1$ here, and is a <= b?",
    "If x < 1 and y > 2, then x<2 too; 3 <4; i<5; a < b > c",
    "Code such as `if a<b: print('<b>')` is shown as code, `x <= y` too.",
    "Math: $\\lVert W_h \\rVert < 1$ and $$h_t = o_t \\odot \\tanh(c_t)$$.",
    "Entities stay text: &lt;img src=x&gt; and &amp;.",
    "Links: [the paper](https://www.bioinf.jku.at/publications/older/2604.pdf), <https://keras.io/api/>, "
    "[a section](#exercises), [mail](mailto:course@example.org), [a page](../chapters/03_lstm_cell.html).",
    "Keras' `global_clipnorm=1.0` and `callbacks=[on_epoch_end]`; only one = 1 gate; onset = 3; monitor=val_loss.",
    "Stars and underscores that are not emphasis: kernel[:, n_h:2*n_h], 2 * 3 * 4, $a*b*c$, $h_{t-1}$, "
    "x_t and h_t, `**kwargs` and `_private_`.",
]


@pytest.mark.parametrize("text", PLAIN)
def test_plain_text_comparisons_code_and_math_pass(text):
    assert quizzes.markup_problem(text) is None
    data = _damaged(lambda d: (d[0].update(question=text), d[0]["answers"][0].update(feedback=text)))
    quizzes.validate(data, "quizzes/plain.json")


@pytest.mark.parametrize("code", ["x = a < b", "for t in range(T):\n    h = cell(x[t], h)", "a <= b"])
def test_plain_code_fields_pass(code):
    quizzes.validate(_damaged(lambda d: d[0].update(code=code)), "quizzes/plain.json")


def test_every_text_field_of_the_schema_is_checked_for_markup():
    """A new text field in the schema must be added to the markup check too."""

    def text_fields(node, name=None):
        if isinstance(node, dict):
            if node.get("$ref") == "#/$defs/text":
                yield name
            for key, value in node.items():
                yield from text_fields(value, key if key not in ("properties", "$defs") else name)
        elif isinstance(node, list):
            for value in node:
                yield from text_fields(value, name)

    assert set(text_fields(quizzes.schema())) == set(quizzes.TEXT_FIELDS)
