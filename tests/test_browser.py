"""Every page of the table of contents, as a reader's browser shows it, offline.

Debian's headless Chromium (conftest's ``browser``) loads each page of the built
site from 127.0.0.1 with every request to any other host blocked, then checks
what a reader would notice: errors, failed or outside requests, math left as TeX
(every formula comes typeset by the build; no page loads MathJax), equation links,
undrawn plotly figures, images without alt text, the "Live Code" button, and
axe-core's accessibility rules. With ``make screenshots`` (``BOOK_SCREENSHOTS=1``), a
full-page screenshot of each page goes to ``_build/screenshots/`` for a person to look at.

Each page is loaded once per session (in a fresh context: nothing cached;
tests/page_report.py) and the result is shared by the checks below, by
``test_page_weight.py`` and by ``test_csp.py``; quiz interactions are in ``test_quiz_browser.py`` and
Live Code end to end in ``test_thebe*.py``.
"""

from __future__ import annotations

import re

import pytest

from book_pages import chapter_pages, toc_pages
from conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

PAGES = toc_pages()

#: axe-core impacts that fail the test (minor and moderate ones are only printed).
FAILING_IMPACTS = {"critical", "serious"}

# Raw TeX that the build should have typeset, searched for in the
# visible text of a page outside code, scripts and typeset math.
RAW_TEX = [
    re.compile(p)
    for p in (
        r"\$\$",
        r"\\begin\{",
        r"\\end\{",
        r"\\\(",
        r"\\\)",
        r"\\\[",
        r"\\\]",
        r"(?<![\w\\])\\[a-zA-Z]{2,}\b",  # a TeX macro such as \sigma or \odot
        r"\$[^$\n]*[_^\\][^$\n]*\$",  # $h_t$ that dollarmath did not parse
    )
]
# An alt text that is only a file name (myst-nb's default for an output image) describes nothing.
FILE_NAME_ALT = re.compile(r"^\S*\.(png|svg|jpe?g|gif|webp)$", re.IGNORECASE)


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_offline_without_errors(reports, name):
    visit = reports(name).visit
    assert visit.blocked_requests == [], f"{name} tried to leave 127.0.0.1"
    assert visit.page_errors == [], f"{name}: uncaught JavaScript errors"
    assert visit.console_errors == [], f"{name}: errors in the console"
    assert visit.failed_requests == [], f"{name}: requests that failed"
    assert visit.bad_responses == [], f"{name}: requests answered with an error status"


@pytest.mark.parametrize("name", PAGES)
def test_equations_are_typeset(reports, name):
    math = reports(name).math
    assert math, f"{name}: math could not be inspected"
    assert reports(name).visit.mathjax == "none", f"{name} loads MathJax (its math is typeset at build time)"
    assert math["containers"] >= math["count"]
    assert math["untypeset"] == [], f"{name}: math left untypeset"
    assert math["errors"] == [], f"{name}: TeX errors in the typeset math"
    assert math["undrawn"] == [], (
        f"{name}: formulas not drawn (empty SVG or glyphs missing from the font cache)"
    )
    assert math["unreadable"] == 0, f"{name}: formulas without MathML for screen readers"
    assert math["brokenEqLinks"] == [], f"{name}: equation links whose target is not a typeset equation"
    raw = sorted({m.group(0) for pattern in RAW_TEX for m in pattern.finditer(math["text"])})
    assert raw == [], f"{name}: raw TeX in the visible text"


def test_equation_references_lead_to_typeset_equations(reports):
    """Chapter 4 cites its numbered equations ({eq}); each link's target is the typeset equation."""
    name = "chapters/04_lstm_equations"
    math = reports(name).math
    assert math["eqLinks"] >= 6, f"{name}: expected links to its numbered equations"
    assert math["brokenEqLinks"] == []


@pytest.mark.parametrize("name", PAGES)
def test_plotly_figures_draw_and_show_tooltips(reports, name):
    report = reports(name)
    assert len(report.figures) == report.figure_divs, (
        f"{name}: not every plotly figure was drawn by plotly.js"
    )
    for figure in report.figures:
        assert figure["svg"], f"{name}: figure {figure['id']} drew no SVG"
        assert figure["points"] > 0, f"{name}: figure {figure['id']} has no data"
        assert figure["drawn"] > 0, f"{name}: figure {figure['id']} drew no data marks"
        assert figure["height"] > 100, f"{name}: figure {figure['id']} is collapsed"
        assert report.hovers.get(figure["id"]), f"{name}: figure {figure['id']} shows no tooltip on hover"


@pytest.mark.parametrize("name", PAGES)
def test_images_have_alt_text(reports, name):
    images = reports(name).images
    missing = [src for src, alt in images if not (alt or "").strip()]
    assert missing == [], f"{name}: images without alt text"
    file_names = [(src, alt) for src, alt in images if FILE_NAME_ALT.match((alt or "").strip())]
    assert file_names == [], f"{name}: images whose alt text is only a file name (give the figure an :alt:)"


@pytest.mark.parametrize("name", chapter_pages())
def test_code_chapters_offer_live_code(reports, name):
    report = reports(name)
    if not report.has_code_cells:
        pytest.skip(f"{name} has no code cells")
    assert report.live_code == "Live Code", f"{name}: no 'Live Code' button in the launch menu"


def describe(violation) -> str:
    nodes = "; ".join(
        " ".join(n.get("target", []))
        + (f" ({n['failureSummary'].splitlines()[-1].strip()})" if n.get("failureSummary") else "")
        for n in violation["nodes"][:5]
    )
    return f"[{violation['impact']}] {violation['id']}: {violation['help']} -- {nodes}"


@pytest.mark.parametrize("name", PAGES)
def test_accessibility(reports, name):
    violations = reports(name).axe_violations
    for v in violations:
        print(name, describe(v))
    failing = [describe(v) for v in violations if v.get("impact") in FAILING_IMPACTS]
    assert failing == [], f"{name}: axe-core reports critical or serious violations"
    # Icon fonts draw with private-use characters: hidden, or a screen reader may read them.
    assert reports(name).icons_read_aloud == 0, f"{name}: icons without aria-hidden"


@pytest.mark.skipif(not SCREENSHOTS, reason="full-page screenshots: make screenshots (BOOK_SCREENSHOTS=1)")
@pytest.mark.parametrize("name", PAGES)
def test_screenshot_saved(reports, name):
    from pathlib import Path

    shot = reports(name).screenshot
    assert shot and Path(shot).stat().st_size > 10_000, f"{name}: no screenshot"


def test_the_search_page_finds_a_chapter_without_errors(offline_page, site_url):
    """The search page runs Sphinx's search (its scripts must not be deferred there)."""
    page = offline_page
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{site_url}/search.html?q=forget+gate", wait_until="load")
    page.wait_for_selector("#search-results li", timeout=30_000)
    assert page.locator("#search-results li").count() > 0
    assert errors == []


# Where the magnifier icon ends and where the query's text starts, in CSS px.
ICON_AND_TEXT = """
(form) => {
  const icon = form.querySelector('.fa-magnifying-glass');
  const input = form.querySelector('input.form-control');
  const box = input.getBoundingClientRect();
  const style = getComputedStyle(input);
  return { iconRight: icon.getBoundingClientRect().right,
           textLeft: box.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft) };
}
"""


@pytest.mark.parametrize("where", ["search page", "search dialog"])
def test_the_magnifier_does_not_cover_the_query(offline_page, site_url, where):
    page = offline_page
    if where == "search page":
        page.goto(f"{site_url}/search.html", wait_until="load")
        form = page.locator(".bd-search-container form.bd-search").first
    else:
        page.goto(f"{site_url}/chapters/01_sequences.html", wait_until="load")
        page.keyboard.press("Control+k")
        form = page.locator("#pst-search-dialog[open] form.bd-search")
        form.wait_for(state="visible")
    found = form.evaluate(ICON_AND_TEXT)
    assert found["iconRight"] <= found["textLeft"], found


def test_the_summary_sheet_prints_on_three_a4_pages(offline_page, site_url):
    """The sheet says it prints on two A4 pages, with its notation table on a third (book.css)."""
    page = offline_page
    page.goto(f"{site_url}/summary_sheet.html", wait_until="load")
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=False)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 3, f"the summary sheet prints on {pages} A4 pages, not the 2 + 1 it says"
    # and the last page starts with the notation table
    assert page.evaluate("getComputedStyle(document.getElementById('notation')).breakBefore") == "page"
