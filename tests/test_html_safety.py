"""Repository content that reaches a page as HTML outside Sphinx's escaping (issue 16). Fast.

The places and why each is safe:

- **quiz text**: jupyterquiz inserts it with ``innerHTML``; ``book.quizzes`` refuses any
  markup (tests/test_quizzes.py, "markup");
- **the quiz data in the page**: JSON inside ``<script type="application/json">``, with
  ``<``, ``>`` and ``&`` escaped (``book.site.quiz._json_for_html``; tested below with every
  quiz file);
- **glued values**: chapters glue numbers and strings only through ``{glue:text}`` (and
  figures through ``{glue:figure}``), which renders the ``text/plain`` form as a text node
  that Sphinx escapes. ``{glue:md}`` would parse a glued string as Markdown (raw HTML
  included) and ``{glue:}``/``{glue:any}`` would insert an object's ``text/html``: the
  chapters must not use them (tested below).
"""

from __future__ import annotations

import html
import json
import re

import pytest

from book import quizzes
from book.paths import CHAPTERS, QUIZZES
from book.site import quiz as quiz_ext

#: `{glue:KIND}` roles and ```{glue:KIND} directives
GLUE = re.compile(r"\{glue(?::(?P<kind>[a-z]+))?\}")
SAFE_GLUE = {"text", "figure"}


@pytest.mark.parametrize("path", sorted(CHAPTERS.glob("*.md")), ids=lambda p: p.name)
def test_chapters_glue_only_as_escaped_text_or_figures(path):
    kinds = {m["kind"] or "(default)" for m in GLUE.finditer(path.read_text(encoding="utf-8"))}
    assert kinds <= SAFE_GLUE, (
        f"{path.name} uses {sorted(kinds - SAFE_GLUE)}: glue numbers and strings with {{glue:text}}"
    )


@pytest.mark.parametrize("path", sorted(QUIZZES.glob("*.json")), ids=lambda p: p.name)
def test_each_quiz_is_embedded_without_a_raw_angle_bracket_or_ampersand(path):
    questions = quizzes.load(path)
    text = quiz_ext._json_for_html(questions)
    assert not re.search(r"[<>&]", text)
    assert json.loads(text) == questions


def test_the_embedded_json_survives_every_html_breakout():
    nasty = "</script><script>alert(1)</script> <!-- --> <![CDATA[ ]]> &lt; \u2028 \u2029 </SCRIPT >"
    text = quiz_ext._json_for_html([{"question": nasty}])
    assert "</" not in text and "<!" not in text and "&" not in text
    assert json.loads(text) == [{"question": nasty}]
    # what a browser's HTML parser hands to JSON.parse is the same text (no entity decoding in <script>)
    assert html.unescape(text) == text
