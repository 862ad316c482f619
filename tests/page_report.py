"""One visit of a page of the built site, shared by every test that inspects a page.

A reader's first load and everything the tests do after it happen in one fresh,
offline Chromium context per page (``page_visit.open_offline``): the bytes it loaded
(``test_page_weight.py``), the typeset math, plotly figures and their tooltips, images,
the Live Code button and axe-core's accessibility rules (``test_browser.py``), and, with
a recorder of Content-Security-Policy violations installed before the page's first
script, what needs scripts working under the page's policy: the quiz answering a click,
the explorer of chapter 4 moving, the theme's full-screen button (``test_csp.py``).
conftest's session-wide ``reports`` fixture visits each page once for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conftest import SCREENSHOTS
from page_visit import Visit, open_offline

#: Records every Content-Security-Policy violation the page reports, from its first script on.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} `
    + `(${e.sourceFile || ''}:${e.lineNumber || ''}) ${e.sample || ''}`);
});
"""

QUIZZES_RENDERED = (
    "() => [...document.querySelectorAll('div.course-quiz')].every(q => q.getAttribute('data-rendered')"
    " && q.querySelector('.Quiz'))"
)


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
    """What one page showed; each test asserts on one part of it."""

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
    #: what the page reported against its Content-Security-Policy (and its console said of it)
    csp_violations: list = field(default_factory=list)
    #: None on a page without the explorer; else whether its output moved with a slider
    explorer_moved: bool | None = None
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

    context, page, visit = open_offline(browser, f"{site_url}/{name}.html", init_script=RECORD_VIOLATIONS)
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
        check_scripts_under_the_policy(page, report)
        page.wait_for_timeout(200)  # let any error from the interactions surface
        report.csp_violations = [
            *page.evaluate("() => window.__cspViolations || []"),
            *(m for m in visit.console_errors if "Content Security Policy" in m),
        ]
    except Exception as exc:  # recorded, so that one broken page does not hide the others
        report.problems.append(f"{type(exc).__name__}: {exc}")
    finally:
        context.close()
    return report


def check_scripts_under_the_policy(page, report: PageReport) -> None:
    """Use what needs scripts, as a reader would, so that a violation would show."""
    if page.locator("div.course-quiz").count():
        page.wait_for_function(QUIZZES_RENDERED, timeout=20_000)
        first = page.locator("div.course-quiz .Answer label, div.course-quiz .Answer .MCButton").first
        if first.count():
            first.click()
            page.wait_for_timeout(200)
    if page.locator(".lstm-explorer").count():
        page.wait_for_selector(".lstm-explorer[data-ready='1'] [data-value='h']", timeout=10_000)
        slider = page.locator(".lstm-explorer input[type=range][data-param]").first
        before = page.locator(".lstm-explorer [data-value='h']").first.text_content()
        slider.focus()
        page.keyboard.press("End")
        page.wait_for_timeout(100)
        report.explorer_moved = page.locator(".lstm-explorer [data-value='h']").first.text_content() != before
    # the theme's full-screen button (a handler the build moved out of the page)
    full = page.locator('button[data-book-onclick="toggleFullScreen"]')
    if full.count() and full.first.is_visible():
        full.first.click()
        page.wait_for_timeout(200)
    page.mouse.wheel(0, 4000)
    page.wait_for_timeout(300)
