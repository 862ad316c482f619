"""Every page of the table of contents, as a reader's browser shows it, offline.

Debian's headless Chromium (conftest's ``browser``) loads each page of the built
site from 127.0.0.1 with every request to any other host blocked, then checks
what a reader would notice: errors, failed or outside requests, math left as TeX
(every formula comes typeset by the build; no page loads MathJax), equation links,
undrawn plotly figures, images without alt text, the "Live Code" button, and
axe-core's accessibility rules. With ``make screenshots`` (``BOOK_SCREENSHOTS=1``), a
full-page screenshot of each page goes to ``_build/screenshots/`` for a person to look at.

Each page is loaded once (in a fresh context: nothing cached) and the result is
shared by the checks below; quiz interactions are in ``test_quiz_browser.py`` and
Live Code end to end in ``test_thebe*.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from book_pages import chapter_pages, toc_pages
from conftest import SCREENSHOTS
from page_visit import Visit, open_offline

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

MATH_INFO = """
() => {
  const maths = [...document.querySelectorAll('.math')];
  const untypeset = maths.filter((m) => !m.querySelector('mjx-container')).map((m) => m.textContent.slice(0, 80));
  const errors = [...document.querySelectorAll('mjx-merror, [data-mjx-error], g[data-mml-node="merror"]')].map(
    (e) => e.getAttribute('data-mjx-error') || e.textContent);
  const containers = [...document.querySelectorAll('mjx-container')];
  // drawn: an SVG of non-zero size whose every glyph points at a path in the page's font cache
  const undrawn = containers.filter((c) => {
    const svg = c.querySelector(':scope > svg');
    if (!svg) return true;
    // (a formula in a closed dropdown or toggle is not laid out: only its glyphs are checked)
    if (c.getClientRects().length && svg.getBoundingClientRect().height <= 0) return true;
    return [...svg.querySelectorAll('use')].some((u) => {
      const ref = u.getAttribute('xlink:href') || u.getAttribute('href') || '';
      const target = document.getElementById(ref.slice(1));
      return !target || target.tagName !== 'path';
    });
  }).map((c) => c.textContent.slice(0, 80));
  // read by screen readers: the SVG is hidden from them, the MathML is not empty
  const unreadable = containers.filter((c) => {
    const svg = c.querySelector(':scope > svg');
    const mathml = c.querySelector('mjx-assistive-mml > math');
    return !svg || svg.getAttribute('aria-hidden') !== 'true' || !mathml || !mathml.textContent.trim();
  }).length;
  // {eq} references and equation permalinks: their target is a typeset, numbered equation
  const eqLinks = [...document.querySelectorAll('a[href*="#equation-"]')];
  const brokenEqLinks = eqLinks.filter((a) => {
    const url = new URL(a.href);
    if (url.pathname !== location.pathname) return false;  // other pages: tests/test_links.py
    const target = document.getElementById(decodeURIComponent(url.hash.slice(1)));
    return !target || !target.matches('div.math') || !target.querySelector('mjx-container')
      || !target.querySelector('.eqno');
  }).map((a) => a.getAttribute('href'));
  const skip = new Set(['PRE', 'CODE', 'SCRIPT', 'STYLE', 'MJX-CONTAINER', 'TEXTAREA', 'NOSCRIPT', 'svg']);
  const parts = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) { parts.push(node.textContent); return; }
    if (node.nodeType !== Node.ELEMENT_NODE || skip.has(node.tagName)) return;
    const style = getComputedStyle(node);
    if (style.display === 'none') return;
    for (const child of node.childNodes) walk(child);
    if (style.display !== 'inline') parts.push('\\n');
  };
  walk(document.querySelector('main') || document.body);
  return {
    count: maths.length,
    containers: containers.length,
    untypeset, errors, undrawn, unreadable, eqLinks: eqLinks.length, brokenEqLinks, text: parts.join(''),
  };
}
"""

PLOTLY_INFO = """
() => [...document.querySelectorAll('.book-plotly-figure .js-plotly-plot')].map((gd) => {
  const marks = [...gd.querySelectorAll(
    '.scatterlayer .trace path.js-line, .scatterlayer .trace path.point, .barlayer .trace path, .pielayer .slice path')];
  return {
    id: gd.id,
    svg: !!gd.querySelector('svg.main-svg'),
    drawn: marks.filter((p) => (p.getAttribute('d') || '').length > 8).length,
    points: (gd.calcdata || []).reduce((n, cd) => n + cd.length, 0),
    height: gd.getBoundingClientRect().height,
  };
})
"""

# Where, in viewport pixels, a data point of the figure with this id is drawn.
HOVER_TARGET = """
(id) => {
  const gd = document.getElementById(id);
  gd.scrollIntoView({block: 'center'});
  const box = gd.getBoundingClientRect();
  const fl = gd._fullLayout;
  for (const cd of gd.calcdata || []) {
    const trace = cd[0].trace;
    if (trace.visible !== true || ['skip', 'none'].includes(trace.hoverinfo)) continue;
    if (trace.type === 'pie') {
      const slice = gd.querySelector('.pielayer .slice path');
      if (!slice) continue;
      const b = slice.getBoundingClientRect();
      return {x: b.x + b.width / 2, y: b.y + b.height / 2};
    }
    const xa = fl[trace.xaxis.replace('x', 'xaxis')];
    const ya = fl[trace.yaxis.replace('y', 'yaxis')];
    if (!xa || !ya) continue;
    const pts = cd.map((p) => {
      if (trace.type === 'bar') {
        const mid = (p.b || 0) + p.s / 2;
        return trace.orientation === 'h' ? [mid, p.p] : [p.p, mid];
      }
      return [p.x, p.y];
    }).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (!pts.length) continue;
    const [x, y] = pts[Math.floor(pts.length / 2)];
    return {x: box.left + xa._offset + xa.c2p(x), y: box.top + ya._offset + ya.c2p(y)};
  }
  return null;
}
"""


@dataclass
class PageReport:
    """What one page showed; each test below asserts on one part of it."""

    name: str
    visit: Visit
    math: dict = field(default_factory=dict)
    figure_divs: int = 0  # book-plotly-figure containers in the page
    figures: list = field(default_factory=list)
    hovers: dict = field(default_factory=dict)  # figure id -> hover label text (or None)
    images: list = field(default_factory=list)  # (src, alt)
    has_code_cells: bool = False
    live_code: str | None = None  # the Thebe button's text, once the launch menu is open
    axe_violations: list = field(default_factory=list)
    icons_read_aloud: int = 0  # FontAwesome <i> icons that screen readers would announce
    screenshot: str = ""
    problems: list = field(default_factory=list)  # a check that could not run at all


def screenshot_name(page_name: str) -> str:
    return page_name.replace("/", "__") + ".png"


#: True once every scrollable box that pydata-sphinx-theme gives a tab stop (its
#: ``addTabStopsToScrollableElements``: code, outputs, tables) has it.
TAB_STOPS_SET = """
() => [...document.querySelectorAll('pre, .cell_output > .output, .pst-scrollable-table-container')]
  .every((el) => !(el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight) || el.tabIndex === 0)
"""


def inspect_page(browser, site_url: str, build_dir, name: str) -> PageReport:
    from axe_playwright_python.sync_playwright import Axe

    context, page, visit = open_offline(browser, f"{site_url}/{name}.html")
    report = PageReport(name, visit)
    try:
        report.math = page.evaluate(MATH_INFO)
        report.images = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.getAttribute('src'), e.getAttribute('alt')])"
        )
        report.has_code_cells = page.locator("div.cell").count() > 0
        report.icons_read_aloud = page.locator('i[class*="fa-"]:not([aria-hidden="true"])').count()
        report.figure_divs = page.locator(".book-plotly-figure").count()
        # plotly figures are drawn when they come near the viewport (plotly_lazy.js):
        # bring each one into view, as a reader scrolling down would.
        for i in range(report.figure_divs):
            figure = page.locator(".book-plotly-figure").nth(i)
            figure.scroll_into_view_if_needed()
            figure.locator("svg.main-svg").first.wait_for(timeout=10_000)
        page.evaluate("window.scrollTo(0, 0)")
        report.figures = page.evaluate(PLOTLY_INFO)
        # The theme makes each scrollable box keyboard-focusable 300 ms after the page last
        # changed (a drawn figure changes it): let it, so that axe sees the page a reader has.
        try:
            page.wait_for_function(TAB_STOPS_SET, timeout=5_000)
        except Exception:
            pass  # axe reports the box that stayed unfocusable (scrollable-region-focusable)

        if SCREENSHOTS:
            shots = build_dir / "screenshots"
            shots.mkdir(parents=True, exist_ok=True)
            report.screenshot = str(shots / screenshot_name(name))
            page.screenshot(path=report.screenshot, full_page=True)

        visit.recording = False
        results = Axe().run(page)
        visit.recording = True
        report.axe_violations = results.response.get("violations", [])

        for figure in report.figures:
            target = page.evaluate(HOVER_TARGET, figure["id"])
            label = None
            if target:
                page.mouse.move(target["x"], target["y"])
                # One label per point, or one box for all ("x unified" hover mode).
                hover = page.locator(f"#{figure['id']} .hoverlayer :is(.hovertext, .legend)")
                try:
                    hover.first.wait_for(state="visible", timeout=3_000)
                    label = hover.first.text_content()
                except Exception:
                    label = None
            report.hovers[figure["id"]] = label
            page.mouse.move(0, 0)

        launch = page.locator(".dropdown-launch-buttons button.dropdown-toggle")
        if launch.count():
            launch.first.click()
            thebe = page.locator("button.btn-launch-thebe")
            thebe.first.wait_for(state="visible", timeout=3_000)
            report.live_code = thebe.first.inner_text().strip()
            page.keyboard.press("Escape")
        page.wait_for_timeout(200)  # let any error from the interactions surface
    except Exception as exc:  # recorded, so that one broken page does not hide the others
        report.problems.append(f"{type(exc).__name__}: {exc}")
    finally:
        context.close()
    return report


@pytest.fixture(scope="module")
def reports(browser, site_url, built_site):
    """``reports(name)``: the :class:`PageReport` of a page, loaded once per test module.

    Fails the calling test if the page could not be inspected at all, so that no check
    passes for want of anything to check.
    """
    cache: dict[str, PageReport] = {}

    def get(name: str) -> PageReport:
        if name not in cache:
            cache[name] = inspect_page(browser, site_url, built_site.build, name)
        report = cache[name]
        assert report.problems == [], (
            f"{name}: the page could not be inspected; page errors: {report.visit.page_errors}, "
            f"console errors: {report.visit.console_errors}, blocked: {report.visit.blocked_requests}"
        )
        return report

    return get


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
