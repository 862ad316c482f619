"""Quizzes in the built site (slow: these build books).

- In the book (the session's ``built_site``): every chapter's last page carries its quiz,
  the quiz script and stylesheet once, a closed container; other pages load no quiz
  script; the quizzes' math comes typeset (no page loads MathJax).
- In a small copy of the project (the real ``_config.yml`` and ``quizzes/``, one
  notebook page with a quiz and one without; the second tier, ``make test-claims``, as it
  builds that copy eight times; the quiz checks themselves are unit-tested in ``make test``): editing a quiz shows up after a plain
  rebuild without re-executing the notebook; a malformed or missing quiz fails
  ``jupyter-book build -W -n --keep-going`` with a message naming the file, the
  question and the field, and keeps failing on an unchanged rebuild until fixed.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from bs4 import BeautifulSoup

from book import quizzes
from book.paths import QUIZZES, ROOT
from book.site import quizorder
from book_pages import chapter_pages, toc_pages
from conftest import build_book
from test_quizzes import SAMPLE, chapter_slots, quiz_pages

pytestmark = pytest.mark.slow

SCRIPT = re.compile(r"(^|/)_static/quiz/quiz\.js(\?|$)")
STYLESHEET = re.compile(r"(^|/)_static/quiz/quiz\.css(\?|$)")


def soup_of(site, page: str) -> BeautifulSoup:
    return BeautifulSoup((site.html / f"{page}.html").read_text(encoding="utf-8"), "html.parser")


def quiz_scripts(soup) -> list:
    return soup.find_all("script", src=SCRIPT)


def quiz_stylesheets(soup) -> list:
    return soup.find_all("link", href=STYLESHEET)


# ------------------------------------------------------------------ the book


@pytest.mark.parametrize("page", quiz_pages())
def test_chapter_page_carries_its_quiz(built_site, page):
    soup = soup_of(built_site, page)
    (name,) = chapter_slots()[page]
    containers = soup.select("div.course-quiz")
    assert len(containers) == 1, f"{page}: {len(containers)} quiz containers"
    container = containers[0]
    assert container["data-quiz"] == name
    data = container.select_one("script.course-quiz-data")
    shown = json.loads(data.string)
    # the page shows the answers in the build's seeded order (book.site.quizorder), the file keeps its own
    assert [[a.get("source") for a in q["answers"]] for q in shown] == [
        quizorder.permutation(name, q) for q in quizzes.load(name)
    ]
    assert without_math(quizorder.in_file_order(shown), typeset=True) == without_math(quizzes.load(name)), (
        f"{page}: the page's quiz is not quizzes/{name}.json"
    )


_TYPESET = re.compile(
    r'<span class="math"><mjx-container class="MathJax" jax="SVG".*?</mjx-container></span>', re.S
)


def without_math(questions, typeset=False):
    """The questions as the page holds them, each formula as "<math>": from the page
    (``typeset``: MathJax's markup replaced), or rendered from the file by the build's own
    renderer (:func:`book.quiztext.render_questions`, formulas left out)."""
    from book import quiztext

    if not typeset:
        questions = quiztext.render_questions(questions, lambda tex, display: "\0")

    def strip(value):
        if isinstance(value, str):
            if typeset:
                return _TYPESET.sub("<math>", value)
            return value.replace('<span class="math">\0</span>', "<math>")
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, dict):
            return {k: (v if k == "code" else strip(v)) for k, v in value.items()}
        return value

    return strip(questions)


@pytest.mark.parametrize("page", quiz_pages())
def test_quiz_script_and_stylesheet_once_per_quiz_page(built_site, page):
    soup = soup_of(built_site, page)
    assert len(quiz_scripts(soup)) == 1
    assert len(quiz_stylesheets(soup)) == 1
    # jupyterquiz's code is served as a file, not inlined into the page
    assert "function show_questions" not in str(soup)


@pytest.mark.parametrize("page", [p for p in toc_pages() if p not in quiz_pages()])
def test_pages_without_quiz_load_no_quiz_script(built_site, page):
    soup = soup_of(built_site, page)
    assert not soup.select("div.course-quiz")
    assert quiz_scripts(soup) == [] and quiz_stylesheets(soup) == []


def heading_after_slot(page: str) -> str | None:
    """The first Markdown heading that follows the quiz slot in the chapter's source."""
    source = (ROOT / f"{page}.md").read_text(encoding="utf-8")
    slot = re.search(r"^(`{3,}|:{3,})\{quiz\}.*$", source, re.MULTILINE)
    heading = re.search(r"^#{1,6}[ \t]+(.+?)[ \t]*$", source[slot.end() :], re.MULTILINE) if slot else None
    return heading.group(1) if heading else None


@pytest.mark.parametrize("page", quiz_pages())
def test_quiz_container_is_closed(built_site, page):
    """The container holds only the data and a noscript note; what follows it in the chapter is outside."""
    soup = soup_of(built_site, page)
    container = soup.select_one("div.course-quiz")
    assert container is not None, f"{page} has no quiz"
    children = [c for c in container.children if getattr(c, "name", None)]
    assert [c.name for c in children] == ["script", "noscript"], children
    assert [t.name for t in children[1].find_all(True)] == ["p"]
    title = heading_after_slot(page)
    if title is None:
        pytest.skip(f"{page} has no heading after its quiz")
    following = [
        h
        for h in container.find_all_next(re.compile(r"^h[1-6]$"))
        if " ".join(h.get_text(" ").replace("#", "").split()).endswith(" ".join(title.split()))
    ]  # after "1.7."
    assert following, f"{page}: the heading {title!r} after the quiz is not after the quiz container"
    assert container not in following[0].parents


def mathjax_scripts(soup) -> list:
    """MathJax's script or its configuration in a page (Thebe's ``mathjaxUrl: false`` is neither)."""
    from book.site.assets import is_mathjax_script

    return [s for s in soup.find_all("script") if is_mathjax_script(s.get("src") or "", s.string or "")]


@pytest.mark.parametrize("page", chapter_pages())
def test_quiz_math_is_typeset_and_the_page_loads_no_mathjax(built_site, page):
    soup = soup_of(built_site, page)
    assert mathjax_scripts(soup) == [], f"{page} loads MathJax"
    if not chapter_slots()[page]:
        return  # a chapter page whose quiz is on its section page
    (name,) = chapter_slots()[page]
    data = json.dumps(
        json.loads(soup.select_one("div.course-quiz script.course-quiz-data").string), ensure_ascii=False
    )
    has_math = any(
        "$" in text
        for text in re.findall(
            r'"(?:question|answer|feedback)": "((?:[^"\\]|\\.)*)"', (QUIZZES / f"{name}.json").read_text()
        )
    )
    if has_math:
        assert "<mjx-container" in data and "$" not in data, f"{page}: the quiz's math is not typeset"
        # the glyphs of the quiz's formulas are in the page's font cache
        cache = soup.select_one("svg#MJX-SVG-global-cache")
        for glyph in set(re.findall(r'xlink:href=\\?"#(MJX-[^"\\]+)', data)):
            assert cache.select_one(f"path#{glyph}") is not None, f"{page}: glyph {glyph} missing"


def test_quiz_assets_are_in_the_site(built_site):
    js = (built_site.html / "_static" / "quiz" / "quiz.js").read_text(encoding="utf-8")
    assert "function show_questions" in js and "window.courseQuiz" in js
    assert (built_site.html / "_static" / "quiz" / "quiz.css").exists()


# ------------------------------------------------------------------ a small copy of the project

PAGE = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A page with a quiz

```{{code-cell}} ipython3
print(6 * 7)
```

## Quiz

```{{quiz}} {name}
```

## After the quiz

This paragraph follows the quiz.
"""

TOC = """\
format: jb-book
root: intro
chapters:
  - file: chapters/with_quiz
  - file: chapters/without_quiz
"""


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """Build a small copy of the project, then edit, break, remove and restore its quiz, rebuilding each time."""
    book = tmp_path_factory.mktemp("quiz-book")
    for name in ("_config.yml", "references.bib"):
        shutil.copy(ROOT / name, book / name)
    shutil.copytree(QUIZZES, book / "quizzes")
    names = quizzes.names(book / "quizzes")
    if not names:  # chapters are still being written: use the tests' sample
        (book / "quizzes" / "sample.json").write_text(json.dumps(SAMPLE, indent=1))
        names = ["sample"]
    name = names[0]
    (book / "chapters").mkdir()
    (book / "_toc.yml").write_text(TOC)
    (book / "intro.md").write_text("# Intro\n\nNo quiz here.\n")
    (book / "chapters" / "with_quiz.md").write_text(PAGE.format(name=name))
    (book / "chapters" / "without_quiz.md").write_text("# No quiz\n\nNothing to see.\n")
    quiz_file = book / "quizzes" / f"{name}.json"
    original = quiz_file.read_text()
    data = json.loads(original)
    steps = {"name": name, "original": data}

    def build(step):
        # every step builds into the same folder: keep the page as this step left it
        steps[step] = site = build_book(book, source=book)
        page = site.html / "chapters" / "with_quiz.html"
        site.page = page.read_text(encoding="utf-8") if page.exists() else ""

    build("first")

    edited = json.loads(original)
    edited[0]["question"] = "Edited question: which gate decides what the cell forgets?"
    quiz_file.write_text(json.dumps(edited, indent=1))
    build("edited")

    broken = json.loads(original)
    broken[-1]["answers"][-1]["feedback"] = "  "
    steps["broken_where"] = (
        f"question {len(broken)}, field 'answers[{len(broken[-1]['answers']) - 1}].feedback'"
    )
    quiz_file.write_text(json.dumps(broken, indent=1))
    build("broken")
    build("broken_again")  # nothing changed since the failed build

    bad_math = json.loads(original)
    # (valid for the quiz's own check, braces balanced and commands allowed; not for MathJax)
    bad_math[0]["question"] = "Which is right: $a^b^c$?"
    quiz_file.write_text(json.dumps(bad_math, indent=1))
    build("bad_math")

    quiz_file.unlink()
    build("missing")

    quiz_file.write_text(original)
    page = book / "chapters" / "with_quiz.md"
    text = page.read_text()
    page.write_text(
        text.replace("This paragraph follows the quiz.", '<img src="x" onerror="alert(1)" alt="">')
    )
    build("hostile_content")
    page.write_text(text)

    build("restored")
    return steps


@pytest.mark.claims  # the second tier: it builds a small copy of the book eight times
def test_first_build_of_the_copy_succeeds(scenario):
    site = scenario["first"]
    assert site.returncode == 0, site.log[-4000:]
    assert "course-quiz-data" in site.page
    without = BeautifulSoup((site.html / "chapters" / "without_quiz.html").read_text(), "html.parser")
    assert quiz_scripts(without) == []

    # The quiz page has no math of its own: its quiz's math comes typeset, and no page loads MathJax.
    page = BeautifulSoup(site.page, "html.parser")
    assert mathjax_scripts(page) == [] and mathjax_scripts(without) == []
    data = json.dumps(json.loads(page.select_one("script.course-quiz-data").string), ensure_ascii=False)
    if "$" in json.dumps(scenario["original"]):
        assert "<mjx-container" in data and page.select_one("svg#MJX-SVG-global-cache") is not None


@pytest.mark.claims  # the second tier: it builds a small copy of the book eight times
def test_a_formula_mathjax_cannot_typeset_fails_the_build_naming_the_page(scenario):
    site = scenario["bad_math"]
    assert site.returncode != 0
    assert (
        "chapters/with_quiz: MathJax cannot typeset the formula 'a^b^c': Double exponent: use braces to clarify"
        in site.log
    ), site.log[-3000:]


@pytest.mark.claims  # the second tier: it builds a small copy of the book eight times
def test_edited_quiz_shows_after_a_plain_rebuild_without_re_executing(scenario):
    site = scenario["edited"]
    assert site.returncode == 0, site.log[-4000:]
    soup = BeautifulSoup(site.page, "html.parser")
    data = json.loads(soup.select_one("div.course-quiz script.course-quiz-data").string)
    assert data[0]["question"] == "Edited question: which gate decides what the cell forgets?"
    # Sphinx re-read the page whose quiz changed (and only it); the notebook was not executed again.
    reread = re.findall(
        r"reading sources\.\.\. .*?(chapters/\w+|intro)", re.sub(r"\x1b\[[0-9;]*m", "", site.log)
    )
    assert reread == ["chapters/with_quiz"], reread
    assert "Executing notebook" not in site.log


@pytest.mark.claims  # the second tier: it builds a small copy of the book eight times
@pytest.mark.parametrize("step", ["broken", "broken_again"])
def test_malformed_quiz_fails_the_build_naming_file_question_and_field(scenario, step):
    site = scenario[step]
    assert site.returncode != 0, "a malformed quiz did not fail the build"
    expected = f"quizzes/{scenario['name']}.json: {scenario['broken_where']}: must be a non-empty string"
    lines = [line for line in re.sub(r"\x1b\[[0-9;]*m", "", site.log).splitlines() if expected in line]
    assert lines, f"{expected!r} not in the build log:\n{site.log[-3000:]}"
    assert "chapters/with_quiz.md:" in lines[0]  # where the quiz slot is


@pytest.mark.claims  # the second tier: it builds a small copy of the book eight times
def test_missing_quiz_file_fails_the_build_naming_it(scenario):
    site = scenario["missing"]
    assert site.returncode != 0
    assert f"quizzes/{scenario['name']}.json: no such quiz file" in site.log


@pytest.mark.claims  # the second tier: it builds a small copy of the book eight times
def test_content_that_would_run_script_fails_the_build_naming_the_page(scenario):
    """Raw HTML with an event handler in a chapter (book/site/csp.py's check of a page's content)."""
    site = scenario["hostile_content"]
    assert site.returncode != 0
    assert (
        "book.site.csp: page chapters/with_quiz has an event attribute onerror='alert(1)' on <img>"
        in re.sub(r"\x1b\[[0-9;]*m", "", site.log)
    ), site.log[-3000:]


@pytest.mark.claims  # the second tier: it builds a small copy of the book eight times
def test_restored_quiz_builds_again(scenario):
    site = scenario["restored"]
    assert site.returncode == 0, site.log[-4000:]
    soup = BeautifulSoup(site.page, "html.parser")
    assert without_math(
        quizorder.in_file_order(json.loads(soup.select_one("script.course-quiz-data").string)), typeset=True
    ) == without_math(scenario["original"])
