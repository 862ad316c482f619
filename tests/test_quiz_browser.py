"""Quizzes as a reader meets them, in offline headless Chromium (browser tests).

Every quiz renders on its chapter page, once; clicking a correct answer shows that
answer's feedback marked correct, a wrong one its feedback marked incorrect, and
numeric questions do the same for typed values; the math of questions, answers and
feedback comes typeset by the build (SVG, no MathJax in the page, none requested);
the answered quiz, with correct and incorrect answers on screen, passes axe's
colour-contrast rule. Checks that need a fresh quiz share one visit per page. A
screenshot of an answered quiz goes to ``_build/screenshots/quiz-feedback.png``.
"""

from __future__ import annotations

import re

import pytest

from book import quizzes
from test_quizzes import chapter_slots

pytestmark = pytest.mark.browser

#: (page, quiz name) for every quiz slot of the book.
#: (A slot naming a missing file fails the build and tests/test_quizzes.py, not these tests.)
QUIZ_PAGES = [
    (page, name)
    for page, names in chapter_slots().items()
    for name in names
    if quizzes.quiz_path(name).exists()
]
IDS = [page for page, _ in QUIZ_PAGES]

# Resolves once the quizzes of the page are rendered (their math comes typeset by the
# build; jupyterquiz's own MathJax pass, 500 ms after rendering, must find no MathJax).
SETTLE = """
async () => {
  for (let i = 0; i < 200; i++) {
    const quizzes = document.querySelectorAll('div.course-quiz');
    if (quizzes.length && [...quizzes].every(q => q.querySelector('.Quiz'))) break;
    await new Promise(r => setTimeout(r, 25));
  }
  await new Promise(r => setTimeout(r, 600));
  return document.querySelectorAll('div.course-quiz .Quiz').length;
}
"""
# What an element shows of its math: typeset formulas (an SVG with glyphs, and MathML for
# screen readers) and, outside them, the text nodes, where no TeX may be left.
MATH_STATE = """
el => ({
  formulas: [...el.querySelectorAll('mjx-container')].map(c => ({
    glyphs: c.querySelectorAll('svg use').length,
    width: c.querySelector('svg') ? c.querySelector('svg').getBoundingClientRect().width : 0,
    mathml: (c.querySelector('mjx-assistive-mml math') || {textContent: ''}).textContent,
  })),
  text: (function walk(n) {
    if (n.nodeType === 3) return n.data;
    if (n.nodeType !== 1 || n.tagName === 'MJX-CONTAINER') return '';
    return [...n.childNodes].map(walk).join('');
  })(el),
})
"""


def assert_math_typeset(locator, where: str) -> None:
    """``locator`` shows at least one typeset formula, each drawn and readable, and no TeX."""
    state = locator.evaluate(MATH_STATE)
    assert state["formulas"], f"{where}: no typeset formula"
    for formula in state["formulas"]:
        assert formula["glyphs"] >= 1 and formula["width"] > 0, f"{where}: a formula is not drawn: {formula}"
        assert formula["mathml"].strip(), f"{where}: a formula has no MathML for screen readers"
    assert not re.search(r"\$|\\[()\[\]]|\\[A-Za-z]+", state["text"]), f"{where}: TeX left: {state['text']!r}"


def open_quiz_page(page, site_url: str, path: str) -> list[str]:
    """Load ``path`` and wait for its quizzes; return the page's JavaScript errors (a live list)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{site_url}/{path}.html", wait_until="load")
    page.evaluate(SETTLE)
    return errors


def plain(text: str) -> str:
    return " ".join(text.split())


def comparable(text: str) -> bool:
    """Text whose rendering equals its source: no math, no markup, no `code`, no links."""
    return not re.search(r"[$<>&\\`]|\]\(", text)


def button(wrapper, index: int):
    """The button of the answer at ``index`` in the quiz file (the page shows the answers in the
    build's shuffled order, book/site/quizorder.py; the loader writes each one's file index)."""
    return wrapper.locator(f"label.MCButton[data-answer='{index}']")


def answered(wrapper, page):
    # jupyterquiz marks the answer in the click's (or the key's) own handler; one animation
    # frame later the page has certainly handled it
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => done()))")
    feedback = wrapper.locator(".Feedback")
    return feedback.get_attribute("class").split(), plain(feedback.inner_text())


# ------------------------------------------------------------------ numeric answers, as jupyterquiz checks them


def _rounded(x: float, precision: int | None) -> float:
    return float(f"{x:.{precision}g}") if precision else x


def _first_match(x: float, question: dict) -> dict | None:
    """The answer jupyterquiz's check_numeric picks for input ``x`` (the first value or range that matches)."""
    p = question.get("precision")
    for answer in question["answers"]:
        if answer["type"] == "value" and _rounded(x, p) == _rounded(answer["value"], p):
            return answer
        if answer["type"] == "range" and answer["range"][0] <= _rounded(x, p) < answer["range"][1]:
            return answer
    return None


def numeric_inputs(question: dict) -> tuple[tuple[str, dict], tuple[str, str]]:
    """A correct input with its answer, and a wrong input with its expected feedback."""
    candidates = []
    for answer in question["answers"]:
        if answer.get("correct"):
            if answer["type"] == "value":
                candidates.append(answer["value"])
            else:
                lo, hi = answer["range"]
                candidates += [(lo + hi) / 2, lo, lo + (hi - lo) / 10]
    right = next(
        (x, _first_match(x, question)) for x in candidates if (_first_match(x, question) or {}).get("correct")
    )
    default = next(
        (a["feedback"] for a in question["answers"] if a["type"] == "default"), "Incorrect. Try again."
    )
    for x in (-987654321, 987654321, 123456.789, -0.000123, 0, 1, -1):
        match = _first_match(x, question)
        if match is None or not match.get("correct"):
            return (repr(right[0]), right[1]), (repr(x), match["feedback"] if match else default)
    raise AssertionError(f"no wrong input found for {question['question']!r}")


# ------------------------------------------------------------------ tests


@pytest.mark.parametrize("path, name", QUIZ_PAGES, ids=IDS)
def test_quiz_renders_once_offline_in_the_builds_order(offline_page, site_url, path, name):
    """One visit per page: the quiz renders once, offline, with typeset math and no MathJax;
    each question shows its answers in book.site.quizorder's order, every button knowing its
    file index; and running the loader again (as a re-executed output or a second script tag
    would) adds nothing."""
    from book.site import quizorder

    errors = open_quiz_page(offline_page, site_url, path)
    questions = quizzes.load(name)
    container = offline_page.locator(f"div.course-quiz[data-quiz='{name}']")
    assert container.count() == 1
    assert container.locator(".Quiz").count() == len(questions)
    for i, question in enumerate(questions):
        text = plain(container.locator(".Quiz").nth(i).locator("[id^='quizQn']").inner_text())
        assert text, f"question {i + 1} shows no text"
        if comparable(question["question"]):
            assert text == plain(question["question"])
    assert errors == [], errors
    assert not [
        u for u in offline_page.blocked_requests if re.search(r"mathjax|jsdelivr|jupyterquiz|unpkg", u, re.I)
    ]
    # the quiz's math is typeset by the build: no MathJax is requested or present
    requested = offline_page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert not [u for u in requested if "mathjax" in u.lower()], requested
    assert offline_page.evaluate("typeof window.MathJax") == "undefined"

    # the answers in the build's order
    wrappers = container.locator(".Quiz")
    for i, question in enumerate(questions):
        if question["type"] == "numeric":
            continue
        shown = (
            wrappers.nth(i)
            .locator("label.MCButton")
            .evaluate_all("labels => labels.map(l => Number(l.dataset.answer))")
        )
        assert shown == quizorder.permutation(name, question), f"{path}, question {i + 1}"

    # never rendered twice
    count = offline_page.locator("div.course-quiz .Quiz").count()
    assert offline_page.evaluate("window.courseQuiz.renderAll()") == 0
    offline_page.evaluate("document.dispatchEvent(new Event('DOMContentLoaded'))")
    offline_page.evaluate(
        """() => new Promise((resolve) => {
             const src = document.querySelector('script[src*="_static/quiz/quiz.js"]').src;
             const again = document.createElement('script');
             again.src = src; again.onload = resolve; again.onerror = resolve;
             document.body.appendChild(again);
           })"""
    )
    offline_page.wait_for_timeout(700)
    assert offline_page.locator("div.course-quiz .Quiz").count() == count
    assert errors == [], errors


@pytest.mark.parametrize("path, name", QUIZ_PAGES, ids=IDS)
def test_answers_give_their_feedback(offline_page, site_url, path, name):
    page = offline_page
    errors = open_quiz_page(page, site_url, path)
    questions = quizzes.load(name)
    wrappers = page.locator(f"div.course-quiz[data-quiz='{name}'] .Quiz")
    for i, question in enumerate(questions):
        wrapper = wrappers.nth(i)
        where = f"{path}, question {i + 1}"
        if question["type"] == "numeric":
            (right, answer), (wrong, wrong_feedback) = numeric_inputs(question)
            box = wrapper.locator("input.Input-text")
            box.fill(wrong)
            box.press("Enter")
            classes, text = answered(wrapper, page)
            assert "incorrect" in classes, f"{where}: {wrong} was not marked incorrect"
            if comparable(wrong_feedback):
                assert text == plain(wrong_feedback), where
            if "$" in wrong_feedback:
                assert_math_typeset(wrapper.locator(".Feedback"), f"{where}, feedback for {wrong}")
            box.fill(right)
            box.press("Enter")
            classes, text = answered(wrapper, page)
            assert "correct" in classes, f"{where}: {right} was not marked correct"
            if comparable(answer["feedback"]):
                assert text == plain(answer["feedback"]), where
            if "$" in answer["feedback"]:
                assert_math_typeset(wrapper.locator(".Feedback"), f"{where}, feedback for {right}")
            continue
        correct = [a for a in question["answers"] if a["correct"]]
        wrong = [a for a in question["answers"] if not a["correct"]]
        labels = wrapper.locator("label.MCButton")
        assert labels.count() == len(question["answers"])
        if wrong:
            button(wrapper, question["answers"].index(wrong[0])).click()
            classes, text = answered(wrapper, page)
            assert "incorrect" in classes, f"{where}: a wrong answer was not marked incorrect"
            if comparable(wrong[0]["feedback"]):
                # a question with several correct answers adds a count: "... [0/2]"
                assert text.startswith(plain(wrong[0]["feedback"])), (where, text)
            if "$" in wrong[0]["feedback"]:
                assert_math_typeset(wrapper.locator(".Feedback"), f"{where}, feedback of a wrong answer")
        button(wrapper, question["answers"].index(correct[0])).click()
        classes, text = answered(wrapper, page)
        assert "correct" in classes, f"{where}: the correct answer was not marked correct"
        if comparable(correct[0]["feedback"]):
            assert text.startswith(plain(correct[0]["feedback"])), (where, text)
        if "$" in correct[0]["feedback"]:
            assert_math_typeset(wrapper.locator(".Feedback"), f"{where}, feedback of the correct answer")
        for j, answer in enumerate(question["answers"]):
            if "$" in answer["answer"]:
                assert_math_typeset(button(wrapper, j), f"{where}, answer {j + 1}")
    assert errors == [], errors
    assert_answered_quiz_passes_axe(page, name, questions)


def assert_answered_quiz_passes_axe(page, name: str, questions: list) -> None:
    """The answered quiz (left by the test above with every question answered correctly)
    passes axe's colour-contrast rule with both states on screen: a wrong answer is clicked
    on every other multiple-choice question first."""
    from axe_playwright_python.sync_playwright import Axe

    wrappers = page.locator(f"div.course-quiz[data-quiz='{name}'] .Quiz")
    for i, question in enumerate(questions):
        wrong = [j for j, a in enumerate(question.get("answers", [])) if not a.get("correct", True)]
        if question["type"] != "numeric" and wrong and i % 2:
            button(wrappers.nth(i), wrong[0]).click()
    page.wait_for_timeout(1000)  # the correct/incorrect colours are animated in
    results = Axe().run(
        page,
        context={"include": [[f"div.course-quiz[data-quiz='{name}']"]]},
        options={
            "runOnly": {
                "type": "rule",
                "values": ["color-contrast", "label", "aria-allowed-attr", "nested-interactive"],
            }
        },
    )
    violations = results.response.get("violations", [])
    assert violations == [], [
        (v["id"], [n["target"] for n in v["nodes"]][:5], v["nodes"][0].get("failureSummary"))
        for v in violations
    ]


def test_math_in_questions_is_typeset(browser, site_url):
    with_math = [
        (path, name, i)
        for path, name in QUIZ_PAGES
        for i, question in enumerate(quizzes.load(name))
        if "$" in question["question"]
    ]
    if not with_math:
        pytest.skip("no quiz question has math")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(
        "**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort()
    )
    try:
        for path in sorted({p for p, _, _ in with_math}):
            page = context.new_page()
            open_quiz_page(page, site_url, path)
            for _, name, i in [m for m in with_math if m[0] == path]:
                text = (
                    page.locator(f"div.course-quiz[data-quiz='{name}'] .Quiz")
                    .nth(i)
                    .locator("[id^='quizQn']")
                )
                assert_math_typeset(text, f"{path}, question {i + 1}")
            page.close()
    finally:
        context.close()


def test_screenshot_of_an_answered_quiz(offline_page, site_url, built_site):
    """Saved for a person to look at: _build/screenshots/quiz-feedback.png."""
    path, name = QUIZ_PAGES[0]
    page = offline_page
    open_quiz_page(page, site_url, path)
    container = page.locator(f"div.course-quiz[data-quiz='{name}']")
    questions = quizzes.load(name)
    first = next(i for i, q in enumerate(questions) if q["type"] != "numeric")
    wrapper = container.locator(".Quiz").nth(first)
    correct = next(j for j, a in enumerate(questions[first]["answers"]) if a["correct"])
    button(wrapper, correct).click()
    page.wait_for_timeout(1000)
    shots = built_site.build / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    wrapper.scroll_into_view_if_needed()
    wrapper.screenshot(path=str(shots / "quiz-feedback.png"))
    container.screenshot(path=str(shots / "quiz-whole.png"))
    assert "correct" in wrapper.locator(".Feedback").get_attribute("class").split()


def several_answer_questions(name: str) -> list[int]:
    return [
        i
        for i, q in enumerate(quizzes.load(name))
        if q["type"] != "numeric" and sum(a["correct"] for a in q["answers"]) > 1
    ]


MANY_CHOICE_PAGES = [(path, name) for path, name in QUIZ_PAGES if several_answer_questions(name)]


@pytest.mark.parametrize("path, name", MANY_CHOICE_PAGES, ids=[p for p, _ in MANY_CHOICE_PAGES])
def test_several_answers_stay_found_after_a_wrong_click(offline_page, site_url, path, name):
    """What the introduction promises ("the feedback counts how many you have found"): a wrong click
    keeps the correct answers already found, marked and counted (jupyterquiz 2.9.6.4 reset them to
    [0/n]; the course patches it, book/site/quizpatch.py)."""
    page = offline_page
    errors = open_quiz_page(page, site_url, path)
    questions = quizzes.load(name)
    wrappers = page.locator(f"div.course-quiz[data-quiz='{name}'] .Quiz")
    for i in several_answer_questions(name):
        question, wrapper, where = questions[i], wrappers.nth(i), f"{path}, question {i + 1}"
        correct = [j for j, a in enumerate(question["answers"]) if a["correct"]]
        wrong = [j for j, a in enumerate(question["answers"]) if not a["correct"]]
        n = len(correct)

        def marked(j, wrapper=wrapper):
            return button(wrapper, j).get_attribute("class").split()

        button(wrapper, correct[0]).click()
        classes, text = answered(wrapper, page)
        assert "correct" in classes and text.endswith(f"[1/{n}]"), (where, text)
        if not wrong:
            continue
        button(wrapper, wrong[0]).click()
        classes, text = answered(wrapper, page)
        assert "incorrect" in classes, (where, classes)
        assert text.endswith(f"[1/{n}]"), f"{where}: a wrong click changed the count: {text!r}"
        assert "correctButton" in marked(correct[0]), f"{where}: the answer found was cleared"
        assert "incorrectButton" in marked(wrong[0])
        button(wrapper, correct[1]).click()
        classes, text = answered(wrapper, page)
        assert "correct" in classes and text.endswith(f"[2/{n}]"), (where, text)
        assert "incorrectButton" not in marked(wrong[0]), f"{where}: an old wrong click stays marked"
        button(wrapper, correct[0]).click()  # again: counted once
        assert answered(wrapper, page)[1].endswith(f"[2/{n}]"), where
        for j in correct[2:]:
            button(wrapper, j).click()
        button(wrapper, wrong[-1]).click()
        assert answered(wrapper, page)[1].endswith(f"[{n}/{n}]"), where
        assert all("correctButton" in marked(j) for j in correct), where
    assert errors == [], errors
