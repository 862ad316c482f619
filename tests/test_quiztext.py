"""Quiz text that cannot carry script (fast: no build, no browser; issue 25).

The one tokenizer of :mod:`book.quiztext` is shared by the validator (:mod:`book.quizzes`)
and the renderer (:mod:`book.site.quiz`). Each probe of the issue, and variants of it,
is refused naming the file, the question and the field; whatever passes the validator
renders to HTML with no markup but the build's own; validation is linear in the input.
"""

from __future__ import annotations

import json
import random
import re
import time
from html.parser import HTMLParser

import pytest

from book import quiztext, quizzes
from book.paths import QUIZZES

#: A valid one-question quiz; the probes replace its question text.
BASE = {
    "question": "Which gate scales $c_{t-1}$?",
    "type": "many_choice",
    "answers": [
        {"answer": "The forget gate", "correct": True, "feedback": "Right: $f_t \\odot c_{t-1}$."},
        {"answer": "The output gate", "correct": False, "feedback": "No."},
    ],
}


def _quiz_with(tmp_path, *, question=None, feedback=None, raw=None):
    """Write a quiz file (``raw`` text, or BASE with a question/feedback) and load it."""
    folder = tmp_path / "quizzes"
    folder.mkdir(exist_ok=True)
    if raw is None:
        data = json.loads(json.dumps(BASE))
        if question is not None:
            data["question"] = question
        if feedback is not None:
            data["answers"][1]["feedback"] = feedback
        raw = json.dumps([data])
    path = folder / "probe.json"
    path.write_text(raw, encoding="utf-8") if isinstance(raw, str) else path.write_bytes(raw)
    return quizzes.load("probe", quizzes=folder, root=tmp_path)


def _refused(tmp_path, words, **kwargs) -> str:
    with pytest.raises(quizzes.QuizError) as caught:
        _quiz_with(tmp_path, **kwargs)
    message = str(caught.value)
    assert message.startswith("quizzes/probe.json: "), message
    assert words in message, f"expected {words!r} in:\n{message}"
    return message


# ------------------------------------------------------------------ script through the maths

CODE_AND_MATH = [
    # the probe: the old validator skipped `...` as code, the renderer typeset $`$ first
    "What is $`$ <img src=x onerror=alert(1)> ` ?",
    "What is $`$ <img src=x onerror=alert(1)> `?` $x$",
    "`$` <img src=x onerror=alert(1)> $x$",
    "$$`$$ <svg onload=alert(1)> `",
    "$x$ ` <img src=x onerror=alert(1)>",
    "\\$`\\$ <img src=x onerror=alert(1)> ` <img src=x onerror=alert(1)>",
    "$a\\$`$ <b onclick=alert(1)>`",
]


@pytest.mark.parametrize("text", CODE_AND_MATH)
def test_code_spans_and_maths_cannot_disagree(tmp_path, text):
    message = _refused(tmp_path, "question 1, field 'question'", question=text)
    assert "\n" not in message.strip() or all(
        line.startswith("quizzes/probe.json") for line in message.splitlines()
    )


@pytest.mark.parametrize("text", CODE_AND_MATH)
def test_the_renderer_never_writes_a_tag_of_the_file(text):
    """Even unvalidated, quiz text is escaped by the renderer: it stops at an unclosed span,
    and a tag outside a formula or code span becomes text."""
    try:
        out = quiztext.render(text, lambda tex, display: "<m></m>")
    except quiztext.QuizTextError:
        return
    assert not re.search(r"<(img|svg|b)\b", out), out


def test_a_tag_inside_a_code_span_is_shown_as_code():
    text = "Run `x = '<img src=x onerror=alert(1)>'` and see."
    assert quiztext.text_problems(text) == []
    out = quiztext.render(text, lambda tex, display: "")
    assert out == "Run <code>x = &#39;&lt;img src=x onerror=alert(1)&gt;&#39;</code> and see."


# ------------------------------------------------------------------ TeX: an allowlist

TEX_PROBES = [
    (r'$\mmlToken{mi}[href="javascript:alert(document.domain)"]{x}$', "\\mmlToken"),
    (r"$\mmlToken{mi}[style='background-image:url(https://example.org/x)']{x}$", "\\mmlToken"),
    (r"$\bbox[background-image:url(https://example.org/x)]{x}$", "\\bbox"),
    (r"$\href{javascript:alert(1)}{x}$", "\\href"),
    (r"$\url{javascript:alert(1)}$", "\\url"),
    (r"$\class{btn-launch-thebe}{x}$", "\\class"),
    (r"$\style{color:red}{x}$", "\\style"),
    (r"$\cssId{x}{y}$", "\\cssId"),
    (r"$\require{html}$", "\\require"),
    (r"$\unicode[serif]{x41}$", "\\unicode"),
    (r"$\color{url(https://example.org/#a)}{x}$", "\\color"),
    (r"$\texttip{x}{y}$", "\\texttip"),
    (r"$\data{x=1}{y}$", "\\data"),
    (r"$\def\x{\mmlToken}\x{mi}{y}$", "\\def"),
    (r"$\newcommand{\x}{y}\x$", "\\newcommand"),
    (r"$\csname mmlToken\endcsname{mi}{x}$", "\\csname"),
    (r"$\let\x\href$", "\\let"),
    (r"$\begin{array}{c}x\end{array}$", "'array'"),
    (r"$\begin {array}{c}x\end{array}$", "'array'"),
    (r"$x % hidden$", "'%'"),
    (r"$x # y$", "'#'"),
    (r'$\mathrm{"}$', "'\"'"),
    (r"$x ~ y$", "'~'"),
    ("$\uff3cmmlToken{mi}{x}$", "'\uff3c'"),  # a full-width backslash
    (r"$\MmlToken{mi}{x}$", "\\MmlToken"),
    (r"$x\@y$", "backslash followed by '@'"),
    ("$" + "{" * 13 + "x" + "}" * 13 + "$", "nests braces more than 12"),
    (r"$x}{$", "closes no {"),
    (r"$\frac{1}{$", "no } closes"),
]


@pytest.mark.parametrize("text, words", TEX_PROBES, ids=[p[1] for p in TEX_PROBES])
def test_tex_outside_the_allowlist_is_refused_naming_file_question_and_field(tmp_path, text, words):
    message = _refused(tmp_path, words, feedback=f"Not quite: {text}")
    assert message.startswith("quizzes/probe.json: question 1, field 'answers[1].feedback': ")


def test_every_formula_of_the_course_quizzes_passes_the_allowlist():
    for path in sorted(QUIZZES.glob("*.json")):
        questions = json.loads(path.read_text())
        for text in quiztext.texts(questions):
            for tex, _ in quiztext.formulas(text):
                assert quiztext.tex_problem(tex) is None, (path.name, tex)


def test_allowed_tex_is_accepted():
    ok = (
        r"$c_t = f_t \odot c_{t-1} + i_t \odot \tilde{c}_t$, "
        r"$$\frac{\partial L}{\partial h_t} \approx \prod_{k} \lVert W \rVert$$, "
        r"$\begin{pmatrix} a & b \\ c & d \end{pmatrix}$, $x \le 1$, $\text{loss} \ne 0$, $a \, b \; c \! d$, "
        r"$\$5$, $x ≤ y → z$"
    )
    assert quiztext.text_problems(ok) == []


# ------------------------------------------------------------------ links and markup

LINK_PROBES = [
    ("[see](javascript:alert(1))", "has a link to 'javascript:alert(1'"),
    ("[see](JaVaScRiPt:alert(1))", "has a link to"),
    ("[see](javascript&colon;alert(1))", "has a link"),
    ("[see]( javascript:alert(1))", "has a link"),
    ("[see](java\tscript:alert(1))", "has a link"),
    ("[see](data:text/html,x)", "has a link to 'data:text/html,x'"),
    ("[see](vbscript:msgbox)", "has a link to 'vbscript:msgbox'"),
    ('[see](https://example.org" onclick="alert(1))', "event attribute"),
    ("[see](https://example.org'x)", "has a link"),
    ("[see](https://example.org><img src=x>)", "contains HTML markup ('<img'"),
    ("[see](https://example.org>)", "has a link to 'https://example.org>'"),
    ("<javascript:alert(1)>", "contains HTML markup ('<javascript:a'"),
    ('<http://example.org"x>', "contains HTML markup ('<http://examp'"),
    ("[<img src=x onerror=alert(1)>](https://example.org)", "has markup in the text of a link"),
    ("&lt;img src=x onerror=alert(1)&gt;", "event attribute ('onerror=')"),
    ("x <!-- y -->", "contains HTML markup ('<!--'"),
    ("x <?php ?>", "contains HTML markup ('<?php'"),
    ("x </script>", "contains HTML markup ('</script'"),
    ("x ONERROR = alert(1)", "event attribute ('ONERROR ='"),
]


@pytest.mark.parametrize("text, words", LINK_PROBES, ids=[p[0][:40] for p in LINK_PROBES])
def test_links_and_markup_are_refused_naming_file_question_and_field(tmp_path, text, words):
    _refused(tmp_path, words, question=f"Which gate? {text}")


def test_allowed_links_render_as_links_with_escaped_targets():
    text = (
        "See [the paper](https://www.bioinf.jku.at/publications/older/2604.pdf), <https://keras.io/api/>, "
        "[a section](#exercises), [mail](mailto:course@example.org) and [a page](../chapters/03_lstm_cell.html)."
    )
    assert quiztext.text_problems(text) == []
    out = quiztext.render(text, lambda tex, display: "")
    hrefs = re.findall(r'<a href="([^"]*)"', out)
    assert hrefs == [
        "https://www.bioinf.jku.at/publications/older/2604.pdf",
        "https://keras.io/api/",
        "#exercises",
        "mailto:course@example.org",
        "../chapters/03_lstm_cell.html",
    ]
    assert out.count('rel="noopener noreferrer"') == 5


# ------------------------------------------------------------------ numbers, Unicode, depth, size

NUMBER_PROBES = [
    ("1e999", "is 1e999, which is not a finite number"),
    ("-1e999", "is -1e999, which is not a finite number"),
    ("1e309", "is 1e309, which is not a finite number"),
    ("NaN", "is NaN, which is not a finite number"),
    ("Infinity", "is Infinity"),
    ("-Infinity", "is -Infinity"),
    ("9007199254740993", "larger than 2**53"),
    ("1" * 5000, "larger than 2**53"),
]


@pytest.mark.parametrize("number, words", NUMBER_PROBES, ids=[p[0][:12] for p in NUMBER_PROBES])
def test_numbers_that_a_page_could_not_hold_are_refused_naming_the_field(tmp_path, number, words):
    raw = (
        '[{"question": "How many?", "type": "numeric", "answers": ['
        f'{{"type": "value", "value": {number}, "correct": true, "feedback": "Yes."}}]}}]'
    )
    message = _refused(tmp_path, words, raw=raw)
    assert message.startswith("quizzes/probe.json: question 1, field 'answers[0].value': "), message


def test_tiny_and_ordinary_numbers_pass(tmp_path):
    raw = (
        '[{"question": "How many?", "type": "numeric", "answers": ['
        '{"type": "value", "value": 1e-999, "correct": true, "feedback": "Yes."},'
        '{"type": "range", "range": [-9007199254740992, 1.5e300], "correct": false, "feedback": "No."}]}]'
    )
    assert _quiz_with(tmp_path, raw=raw)[0]["answers"][0]["value"] == 0.0


UNICODE_PROBES = [
    ("\ud800", "lone surrogate (\\ud800"),
    ("x\udfffy", "lone surrogate (\\udfff"),
    ("\u202eevil", "bidirectional-text control U+202E"),
    ("\u2066x\u2069", "bidirectional-text control U+2066"),
    ("a\x00b", "control character U+0000"),
    ("a\x1bb", "control character U+001B"),
    ("a\ufffe", "control character U+FFFE"),
]


@pytest.mark.parametrize("text, words", UNICODE_PROBES, ids=[repr(p[0]) for p in UNICODE_PROBES])
def test_strings_that_are_not_valid_text_are_refused_naming_the_field(tmp_path, text, words):
    # json.dumps writes a lone surrogate as the escape \ud800, as a hostile file would
    message = _refused(tmp_path, words, feedback=f"No {text}.")
    assert "field 'answers[1].feedback'" in message


def test_a_lone_surrogate_in_a_field_name_is_refused(tmp_path):
    raw = json.dumps([{**BASE, "\ud800": 1}])
    _refused(tmp_path, "has a field name that contains a lone surrogate", raw=raw)


def test_emoji_and_accents_pass(tmp_path):
    _quiz_with(tmp_path, question="Which gate scales $c_{t-1}$? 🙂 naïve, Straße, ≤")


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    raw = json.dumps([BASE]).encode().replace(b"Which", b"Wh\xffich")
    _refused(tmp_path, "is not valid UTF-8 (byte", raw=raw)


@pytest.mark.parametrize("depth", [9, 5000, 200_000])
def test_deep_nesting_is_refused_before_the_parser_recurses(tmp_path, depth):
    raw = "[" * depth + "]" * depth
    message = _refused(tmp_path, "is nested more than 8 levels deep (line 1, column 9)", raw=raw)
    assert "RecursionError" not in message


def test_deep_nesting_of_objects_and_brackets_in_strings(tmp_path):
    # brackets inside strings do not count; objects do
    ok = json.dumps([{**BASE, "question": '[[[[[[[[[[[[ {{{{{{{{{{ ]]]] \\" [[[[[[[[[['}])
    assert quizzes.depth_problem(ok) is None
    assert "nested more than" in quizzes.depth_problem('{"a":' * 20 + "1" + "}" * 20)


def test_validated_data_deeper_than_the_limit_is_refused():
    data = json.loads(json.dumps([BASE]))
    nested = data[0]["answers"][0]
    for _ in range(20):
        nested["code"] = [{}]
        nested = nested["code"][0]
    with pytest.raises(quizzes.QuizError, match="is nested more than 8 levels deep"):
        quizzes.validate(data, "quizzes/probe.json")


def test_an_oversized_file_is_refused_without_reading_it(tmp_path):
    (tmp_path / "quizzes").mkdir()
    (tmp_path / "quizzes" / "probe.json").write_bytes(b" " * (quizzes.MAX_BYTES + 1))
    with pytest.raises(quizzes.QuizError, match="a quiz file is at most 1,000,000 bytes"):
        quizzes.load("probe", quizzes=tmp_path / "quizzes", root=tmp_path)


def test_an_overlong_string_is_refused(tmp_path):
    _refused(tmp_path, "a quiz text has at most 20,000", question="x" * 20_001)


# ------------------------------------------------------------------ linear time

SLOW_PATTERNS = {
    "links": "[a](",  # 66 s on 8 KB in the old validator's regex
    "brackets": "[",
    "closing": "](",
    "autolinks": "<http://a",
    "dollars": "$a",
    "backticks": "`a",
    "entities": "&#",
    "events": "onxxxxx ",
    "tex": "$\\frac{",
}


@pytest.mark.parametrize("name", sorted(SLOW_PATTERNS))
def test_validation_time_is_linear_in_the_input(name):
    """Quadratic work would take 16 times as long on 4 times the input (and seconds at
    20,000 characters); linear work 4 times. Measured in CPU time of this process (not wall
    time, which other processes on a loaded machine inflate), best of five runs."""
    pattern = SLOW_PATTERNS[name]

    def seconds(n: int) -> float:
        text = (pattern * (n // len(pattern) + 1))[:n]
        best = float("inf")
        for _ in range(5):
            start = time.process_time()
            quiztext.text_problems(text)
            try:
                quiztext.render(text, lambda tex, display: "")
            except quiztext.QuizTextError:
                pass
            best = min(best, time.process_time() - start)
        return best

    small, large = seconds(5_000), seconds(20_000)
    assert large < 0.5, f"{name}: {large:.2f} s for 20,000 characters"
    assert large < 10 * max(small, 2e-3), f"{name}: 5,000 chars {small:.4f} s, 20,000 chars {large:.4f} s"


def test_a_whole_file_of_hostile_strings_validates_quickly(tmp_path):
    hostile = ("[a](" * 4_000)[:16_000]
    data = [dict(BASE, question=hostile) for _ in range(40)]
    start = time.perf_counter()
    with pytest.raises(quizzes.QuizError):
        _quiz_with(tmp_path, raw=json.dumps(data))
    assert time.perf_counter() - start < 5


# ------------------------------------------------------------------ whatever passes renders safely


def jaxify(text: str) -> str:
    """jupyterquiz's ``jaxify`` (js/helpers.js), in Python: what it would change in a string."""
    count = count2 = 0
    single, double = re.compile(r"([^\\]|^)(\$)"), re.compile(r"([^\\]|^)(\$\$)")
    while single.search(text) or double.search(text):
        if double.search(text):
            close = "\\]" if count2 % 2 else "\\["
            text = double.sub(lambda m, close=close: m.group(1) + close, text, count=1)
            count2 += 1
        else:
            close = "\\)" if count % 2 else "\\("
            text = single.sub(lambda m, close=close: m.group(1) + close, text, count=1)
            count += 1
    text = re.sub(r"<http(.*?)>", r'<a href="http\1">http\1</a>', text)
    return re.sub(r"\[(.*?)\]\((.*?)\)", r'<a href="\2">\1</a>', text)


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


ALPHABET = list("$$``[]()<>&;#\\\"'=/!? \nabcdhijmnoprstxz:.01") + [
    "on",
    "onerror=",
    "http://",
    "<img ",
    "\\$",
]


def test_every_string_that_validates_renders_to_the_builds_markup_only():
    """Random strings over an alphabet of every special character: whatever the validator
    accepts, the renderer turns into escaped text, <code>, typeset maths and checked
    links only, and jupyterquiz's jaxify finds nothing left to convert."""
    rng = random.Random(25)
    accepted = 0
    for _ in range(6_000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 30)))
        if quiztext.text_problems(text):
            continue
        accepted += 1
        out = quiztext.render(text, lambda tex, display: '<svg class="t"></svg>')
        assert jaxify(out) == out, (text, out)
        parser = _Elements()
        parser.feed(out)
        for tag, attrs in parser.found:
            assert tag in ("span", "svg", "code", "a"), (text, out)
            if tag == "a":
                assert set(attrs) == {"href", "target", "rel", "class"}, (text, out)
                assert quiztext.link_problem(attrs["href"]) is None, (text, out)
            else:
                assert set(attrs) <= {"class"}, (text, out)
    assert accepted > 500  # the alphabet makes enough valid strings to mean something


# ------------------------------------------------------------------ what MathJax writes for the allowlist

#: A use of each allowed command (a bare ``\name x`` for the others).
USES = {
    "begin": r"\begin{pmatrix} a & b \end{pmatrix}",
    "end": r"\begin{cases} a & b \end{cases}",
    "left": r"\left( x \right)",
    "right": r"\left[ x \right]",
    "frac": r"\frac{a}{b}",
    "dfrac": r"\dfrac{a}{b}",
    "sqrt": r"\sqrt{x}",
    "text": r"\text{loss}",
    "mathrm": r"\mathrm{d}x",
    "mathbb": r"\mathbb{R}",
    "operatorname": r"\operatorname{tanh} x",
    "underbrace": r"\underbrace{a + b}_{c}",
    "big": r"\big( x \big)",
    "Big": r"\Big( x \Big)",
}


def test_every_allowed_command_typesets_to_markup_the_site_accepts():
    from book.site import mathrender
    from book.site.mathrender import Formula

    formulas = [Formula(USES.get(name, f"\\{name} x"), False) for name in sorted(quiztext.TEX_COMMANDS)]
    formulas += [Formula(rf"\begin{{{env}}} a \\ b \end{{{env}}}", True) for env in quiztext.TEX_ENVIRONMENTS]
    formulas += [Formula(rf"a \{symbol} b", False) for symbol in quiztext.TEX_SYMBOLS - {"\\"}]
    result = mathrender.typeset(formulas)
    assert result.errors == {}
    for formula, markup in result.html.items():
        assert mathrender.unsafe_markup(markup) is None, formula


BUILD_PROBES = [
    r"\mmlToken{mi}[href='javascript:alert(document.domain)']{x}",
    r"\mmlToken{mi}[style='background-image:url(https://example.org/x)']{x}",
    r"\bbox[background-image:url(https://example.org/x)]{x}",
    r"\href{javascript:alert(1)}{x}",
    r"\require{html}\href{javascript:alert(1)}{x}",
    r"\class{btn-launch-thebe}{x}",
    r"\style{background:url(https://example.org/x)}{x}",
    r"\color{url(https://example.org/#a)}{x}",
    r"\unicode[serif]{x41}",
    r"\texttip{x}{y}",
    r"a \bmod b",
]


@pytest.mark.parametrize("tex", BUILD_PROBES)
def test_a_chapter_formula_cannot_write_links_styles_or_attributes(tex):
    """Chapters are not validated like quizzes; the maths pass itself refuses these."""
    from book.site import mathrender
    from book.site.mathrender import Formula

    result = mathrender.typeset([Formula(tex)])
    assert Formula(tex) in result.errors and not result.html, result.html


UNSAFE = [
    (
        '<mjx-container class="MathJax"><svg><a href="javascript:alert(1)"><g></g></a></svg></mjx-container>',
        "<a>",
    ),
    ('<mi href="javascript:alert(1)">x</mi>', "href="),
    ('<mi style="background-image:url(https://example.org/x)">x</mi>', "style="),
    ('<mi style="background-image:URL (https://example.org/x)">x</mi>', "style"),
    ('<g fill="url(https://example.org/#a)"></g>', "fill="),
    ('<use xlink:href="https://example.org/x.svg#a"></use>', "reference to"),
    ('<use xlink:href="data:image/svg+xml,x"></use>', "reference to"),
    ('<mi style="color:red">x</mi>', "the style"),
    ('<mi style="position: relative; background: red">x</mi>', "the style"),
    ('<mi class="btn-launch-thebe">x</mi>', "the class"),
    ('<mi id="main-content">x</mi>', "the id"),
    ('<mi onclick="x">x</mi>', "onclick"),
    ('<mglyph src="https://example.org/x.png"></mglyph>', "<mglyph>"),
    ("<maction actiontype='toggle'></maction>", "<maction>"),
    ("<svg><image href='https://example.org/x.png'></image></svg>", "<image>"),
    ("<svg><foreignObject><div></div></foreignObject></svg>", "<foreignobject>"),
    ("<svg><style>*{}</style></svg>", "<style>"),
]


@pytest.mark.parametrize("markup, words", UNSAFE, ids=[u[1] + str(i) for i, u in enumerate(UNSAFE)])
def test_unsafe_math_markup_is_named(markup, words):
    from book.site import mathrender

    why = mathrender.unsafe_markup(markup)
    assert why and words in why, why
