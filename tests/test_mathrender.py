"""Maths typeset at build time (book/site/mathrender.py + mathrender.js): fast tests, no browser.

The renderer itself (Node.js + npm mathjax-full), its errors, the quiz strings, and a tiny
Sphinx project (a few seconds) that uses the course's renderer: formulas typeset into the
page with their equation numbers and links, the page-global font cache, no MathJax
script, and a bad formula that fails the build naming the page and the formula.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from book import quiztext
from book.site import mathrender
from book.site.mathrender import Formula, MathRenderError

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")


def test_formulas_become_svg_with_mathml_and_glyphs_from_the_cache():
    inline, display = Formula(r"c_t = f_t \odot c_{t-1}"), Formula(r"\sigma(z) = \frac{1}{1 + e^{-z}}", True)
    result = mathrender.typeset([inline, display, inline])
    assert result.errors == {} and set(result.html) == {inline, display}
    assert result.version == "3.2.2"
    for formula, markup in result.html.items():
        assert markup.startswith('<mjx-container class="MathJax" jax="SVG"')
        assert ('display="true"' in markup.split(">", 1)[0]) == formula.display
        # drawn in the text colour, hidden from screen readers, which read the MathML instead
        assert 'fill="currentColor"' in markup and 'aria-hidden="true"' in markup
        assert "<mjx-assistive-mml" in markup and "<math" in markup
        assert "\\" not in markup and "$" not in markup  # no TeX left
        for glyph in re.findall(r'xlink:href="#([^"]+)"', markup):
            assert result.glyphs[glyph].startswith(f'<path id="{glyph}" d="M')
    assert "<mo>⊙</mo>" in result.html[inline]
    assert "mjx-assistive-mml" in result.css


def test_groups_are_unwrapped_but_tables_are_not():
    result = mathrender.typeset(
        [
            Formula(r"h_t = o_t \odot \tanh(c_t)"),
            Formula(r"\begin{aligned} a &= b \\ c &= d \end{aligned}", True),
        ]
    )
    plain, table = (result.html[f] for f in sorted(result.html, key=lambda f: f.display))
    # one <g> (the colour and the flip) around the glyphs, not one per MathML node
    assert plain.count("<g ") == 1 and plain.count("<use ") >= 8
    assert 'data-mml-node="mtable"' in table


@pytest.mark.parametrize(
    "tex, message",
    [
        (r"\frac{1}{", "Missing close brace"),
        (r"\notamacro x", "Undefined control sequence \\notamacro"),
        (r"\href{javascript:x}{y}", "Undefined control sequence \\href"),
    ],
)
def test_a_formula_mathjax_cannot_parse_is_an_error_not_red_text(tex, message):
    good = Formula("x^2")
    result = mathrender.typeset([Formula(tex, True), good])
    assert result.errors == {Formula(tex, True): message}
    assert set(result.html) == {good}  # the others are typeset all the same


def test_the_error_names_the_pages_and_the_formula():
    bad = Formula(r"\frac{1}{", True)
    text = mathrender.error_report(
        {bad: "Missing close brace"},
        {"chapters/02_rnn_limits": {bad}, "intro": set(), "summary_sheet": {bad}},
    )
    assert text.splitlines() == [
        "book.site.mathrender: chapters/02_rnn_limits: MathJax cannot typeset the display formula '\\\\frac{1}{': Missing close brace",
        "summary_sheet: MathJax cannot typeset the display formula '\\\\frac{1}{': Missing close brace",
    ]


def test_missing_node_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(mathrender.shutil, "which", lambda name: None)
    with pytest.raises(MathRenderError, match=r"Node\.js \(`node`\) is needed"):
        mathrender.typeset([Formula("x")])


def test_missing_mathjax_full_is_a_clear_error(tmp_path, monkeypatch):
    from sphinx.errors import ExtensionError

    monkeypatch.setattr(
        mathrender,
        "find_package",
        lambda name, srcdir=None: (_ for _ in ()).throw(
            ExtensionError(f"the npm package {name!r} is missing")
        ),
    )
    with pytest.raises(ExtensionError, match="'mathjax-full' is missing"):
        mathrender.typeset([Formula("x")])


# ------------------------------------------------------------------ quizzes


def test_quiz_strings_are_split_as_jupyterquiz_does():
    text = r"With $o_t = 1$, $$h_t = \tanh(c_t)$$ costs \$5 and $x$."
    assert mathrender.quiz_formulas(text) == [
        Formula("o_t = 1"),
        Formula(r"h_t = \tanh(c_t)", True),
        Formula("x"),
    ]
    assert mathrender.quiz_formulas("no math, a literal \\$ only") == []


def test_quiz_text_gets_inert_markup():
    def typeset(tex, display):
        return f"<mjx-container>{'D' if display else 'I'}[$`{tex}`]</mjx-container>"

    out = quiztext.render(r"Pay \$3 for $a$ and $$b$$ `code`", typeset)
    assert out == (
        'Pay &#36;3 for <span class="math"><mjx-container>I&#91;&#36;&#96;a&#96;&#93;</mjx-container></span>'
        ' and <span class="math"><mjx-container>D&#91;&#36;&#96;b&#96;&#93;</mjx-container></span> <code>code</code>'
    )
    # jupyterquiz's jaxify would see no $ to turn into \( ... \), no [text](url) link
    assert "$" not in out and "](" not in out


def test_render_questions_touches_only_question_answer_feedback_and_code():
    from book.site.quiz import render_questions

    questions = [
        {
            "question": "What is $x$?",
            "type": "numeric",
            "precision": 2,
            "code": "if a < b: pass",
            "answers": [
                {"type": "value", "value": 4, "correct": True, "feedback": "Yes: $x = 4$."},
                {"type": "default", "feedback": "No."},
            ],
        }
    ]
    out = render_questions(questions, lambda tex, display: f"<m>{tex}</m>")
    assert out[0]["question"] == 'What is <span class="math"><m>x</m></span>?'
    assert out[0]["code"] == "if a &lt; b: pass"
    assert out[0]["answers"][0] == {
        "type": "value",
        "value": 4,
        "correct": True,
        "feedback": 'Yes: <span class="math"><m>x = 4</m></span>.',
    }
    assert out[0]["precision"] == 2 and questions[0]["question"] == "What is $x$?"  # the input is not changed


# ------------------------------------------------------------------ a tiny Sphinx project


def _sphinx_build(src: Path, out: Path, pages: dict[str, str]):
    from sphinx.application import Sphinx

    src.mkdir()
    (src / "conf.py").write_text('extensions = ["book.site.mathrender"]\nmath_numfig = True\nnumfig = True\n')
    for name, text in pages.items():
        (src / f"{name}.rst").write_text(text)
    app = Sphinx(
        str(src),
        str(src),
        str(out / "html"),
        str(out / "doctrees"),
        "html",
        status=None,
        warning=None,
        freshenv=True,
    )
    app.build()
    return out / "html"


INDEX = """\
Title
=====

.. toctree::

   other

Inline :math:`c_t = f_t \\odot c_{t-1}` and a numbered equation:

.. math::
   :label: eq-sigmoid

   \\sigma(z) = \\frac{1}{1 + e^{-z}}

as :eq:`eq-sigmoid` says.
"""


def test_a_sphinx_page_gets_typeset_math_numbers_and_links(tmp_path):
    html_dir = _sphinx_build(
        tmp_path / "src", tmp_path / "out", {"index": INDEX, "other": "Other\n=====\n\nNo math.\n"}
    )
    page = (html_dir / "index.html").read_text()
    assert "\\(" not in page and "\\[" not in page and "\\sigma" not in page
    assert page.count("<mjx-container") == 2
    assert re.search(
        r'<span class="math notranslate nohighlight"><mjx-container class="MathJax" jax="SVG"', page
    )
    assert re.search(
        r'<div class="math notranslate nohighlight" id="equation-eq-sigmoid">\s*<span class="eqno">\(1\)<a class="headerlink" href="#equation-eq-sigmoid"',
        page,
    )
    assert re.search(r'<a class="reference internal" href="#equation-eq-sigmoid">[^<]*1[^<]*</a>', page)
    # one font cache with every glyph the page uses; MathJax's stylesheet; no MathJax script
    assert page.count(f'id="{mathrender.FONT_CACHE_ID}"') == 1
    for glyph in set(re.findall(r'xlink:href="#(MJX-[^"]+)"', page)):
        assert f'<path id="{glyph}"' in page
    assert "book-assets/math.css" in page and "mathjax" not in page.lower().replace('class="mathjax"', "")
    other = (html_dir / "other.html").read_text()
    assert mathrender.FONT_CACHE_ID not in other and "math.css" not in other


def test_a_bad_formula_fails_the_build_naming_the_page_and_the_formula(tmp_path):
    pages = {"index": INDEX, "other": "Other\n=====\n\nBroken :math:`\\frac{1}{` here.\n"}
    with pytest.raises(MathRenderError) as failure:
        _sphinx_build(tmp_path / "src", tmp_path / "out", pages)
    assert "other: MathJax cannot typeset the formula '\\\\frac{1}{': Missing close brace" in str(
        failure.value
    )
    assert not (tmp_path / "out" / "html" / "other.html").exists()  # nothing published


def test_mathjax_scripts_are_recognised_and_thebe_config_is_not():
    from book.site.assets import is_mathjax_script

    assert is_mathjax_script("_static/book-assets/mathjax/tex-chtml.js")
    assert is_mathjax_script("https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js")
    assert is_mathjax_script("", 'window.MathJax = {"options": {}}')
    assert not is_mathjax_script("", "const thebe_config = {mathjaxUrl: false, requestKernel: true}")
    assert not is_mathjax_script("_static/quiz/quiz.js")


def test_a_changed_renderer_typesets_again_and_rewrites_the_pages_with_math(tmp_path, monkeypatch):
    """The environment's cache of typeset formulas is keyed by mathjax-full's version and mathrender.js."""

    class App:
        srcdir = tmp_path
        outdir = tmp_path / "out" / "html"

        class builder:
            format = "html"

    class Env:
        all_docs = {"a": 0, "b": 0}

    env = Env()
    store = mathrender._store(env)
    store.pages = {"a": {Formula("x")}, "b": set()}
    calls = []
    real = mathrender.typeset
    monkeypatch.setattr(
        mathrender, "typeset", lambda formulas, srcdir=None: calls.append(set(formulas)) or real(formulas)
    )
    assert mathrender._env_updated(App, env) == ["a"]  # first build: a new fingerprint
    assert calls == [{Formula("x")}] and Formula("x") in store.html and store.css
    assert mathrender._env_updated(App, env) == [] and len(calls) == 1  # unchanged: no Node
    store.fingerprint = "3.2.1:old"
    assert mathrender._env_updated(App, env) == ["a"] and len(calls) == 2
    assert (tmp_path / "out" / ".book-static" / mathrender.STYLESHEET).read_text().count(
        "mjx-assistive-mml"
    ) >= 1
