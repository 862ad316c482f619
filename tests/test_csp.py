"""The Content-Security-Policy of every page (book/site/csp.py; issue 25).

Fast: the policy, the check of a page's content, the securing of a written page.
Built site (slow): every page carries the policy first in its head, with exactly the
hashes of its inline scripts, and no inline handler. In Chromium (browser): no page
reports a violation, and what needs scripts still works under the policy: quizzes,
plotly figures, the explorer of chapter 4, search, the theme's buttons and Live Code's
start (served offline as in tests/test_thebe.py, the kernel hosts of the policy pointed
at the local Jupyter server in their place).
"""

from __future__ import annotations

import re

import pytest

from book.site import csp

# ------------------------------------------------------------------ fast: the content check

HOSTILE = [
    ("<script>alert(1)</script>", "an inline script in the page's content"),
    ('<script type="module">alert(1)</script>', "an inline script"),
    ('<script type="text/javascript">alert(1)</script>', "an inline script"),
    ('<script src="https://example.org/x.js"></script>', "a <script src="),
    ("<img src=x onerror=alert(1)>", "an event attribute onerror="),
    ("<svg onload=alert(1)></svg>", "an event attribute onload="),
    ('<a href="javascript:alert(1)">x</a>', "a javascript: URL in href="),
    ('<a href="&#106;avascript:alert(1)">x</a>', "a javascript: URL in href="),
    ('<a href=" java\tscript:alert(1)">x</a>', "a javascript: URL in href="),
    ('<a href="JAVASCRIPT:alert(1)">x</a>', "a javascript: URL in href="),
    ('<a href="data:text/html,<script>alert(1)</script>">x</a>', "a data: URL in href="),
    ('<form action="javascript:alert(1)"></form>', "a javascript: URL in action="),
    ('<iframe src="https://example.org"></iframe>', "the element <iframe>"),
    ('<object data="x.swf"></object>', "the element <object>"),
    ('<embed src="x.swf">', "the element <embed>"),
    ('<base href="https://example.org/">', "the element <base>"),
    ('<meta http-equiv="refresh" content="0; url=https://example.org">', "a <meta http-equiv='refresh'>"),
    ('<svg><use href="https://example.org/x.svg#a"></use></svg>', "an SVG <use> of another document"),
    ('<math><mi xlink:href="javascript:alert(1)">x</mi></math>', "a javascript: URL in xlink:href="),
]


@pytest.mark.parametrize("body, words", HOSTILE, ids=[h[1][:30] + str(i) for i, h in enumerate(HOSTILE)])
def test_content_that_would_run_or_frame_something_is_named(body, words):
    problems, _ = csp.content_problems(f"<p>Text</p>{body}<p>more</p>")
    assert any(words in p for p in problems), problems


def test_what_content_may_carry():
    body = (
        "<script>kernelName = 'python3'</script>"
        '<script type="text/x-thebe-config">{requestKernel: true}</script>'
        '<script type="application/json" class="course-quiz-data">[]</script>'
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="a figure">'
        '<a href="https://doi.org/10.1162/neco.1997.9.8.1735">LSTM</a><a href="#eq-1">(1)</a>'
        '<svg><use xlink:href="#MJX-TEX-I-1D450"></use></svg><style>.x { color: red }</style>'
    )
    assert csp.content_problems(body) == ([], set())


def test_content_scripts_are_never_hashed():
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8" />\n<script>ours()</script></head>'
        "<body><article><script>theirs()</script></article></body></html>"
    )
    _, refused = csp.content_problems("<script>theirs()</script>")
    secured = csp.secure_page(page, refused=refused)
    assert csp.script_hash("ours()") in secured and csp.script_hash("theirs()") not in secured


# ------------------------------------------------------------------ fast: the policy of a page

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8" />
<script>document.documentElement.dataset.mode = "light";</script>
<script src="_static/x.js"></script>
<script type="text/x-thebe-config">{}</script>
<script>
    const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"
</script>
</head>
<body>
<button onclick="toggleFullScreen()">F</button><button onclick="window.print()">P</button>
<button onclick="initThebeSBT()">L</button>
</body>
</html>
"""


def directives(secured: str) -> dict[str, list[str]]:
    content = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', secured).group(1)
    import html

    return {part.split()[0]: part.split()[1:] for part in html.unescape(content).split(";") if part.strip()}


def test_a_page_gets_its_policy_first_with_the_hashes_of_its_inline_scripts():
    hosts = csp.kernel_sources("https://mybinder.org", ["https://hub.example.org"])
    secured = csp.secure_page(PAGE, kernel_hosts=hosts)
    assert secured.index("Content-Security-Policy") < secured.index("<script")
    policy = directives(secured)
    scripts = re.findall(r"<script>(.*?)</script>", secured, re.S)
    assert sorted(policy["script-src"]) == sorted(
        ["'self'", *{csp.script_hash(s) for s in scripts}, "https://unpkg.com/thebe@0.8.2/"]
    )
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["connect-src"] == [
        "'self'",
        "https://mybinder.org",
        "https://*.mybinder.org",
        "wss://mybinder.org",
        "wss://*.mybinder.org",
        "https://hub.example.org",
    ]
    assert policy["img-src"] == ["'self'", "data:"] and policy["object-src"] == ["'none'"]
    assert policy["default-src"] == ["'self'"] and policy["base-uri"] == ["'self'"]
    assert " onclick=" not in secured
    assert secured.count('data-book-onclick="') == 3 and 'data-book-onclick="print"' in secured
    assert csp.secure_page(secured, kernel_hosts=hosts) == secured  # idempotent


def test_a_page_without_live_code_allows_no_other_host():
    page = PAGE.replace("const THEBE_JS_URL", "const NOTHING")
    policy = directives(csp.secure_page(page, kernel_hosts=csp.kernel_sources("https://mybinder.org")))
    everything = " ".join(v for values in policy.values() for v in values)
    assert "unpkg" not in everything and "mybinder" not in everything and "https:" not in everything


@pytest.mark.parametrize(
    "handler",
    ['onclick="alert(1)"', 'onmouseover="initThebeSBT()"', "onload='x()'", 'ONCLICK="window.print()"'],
)
def test_an_inline_handler_other_than_the_themes_fails(handler):
    with pytest.raises(csp.CSPError, match="inline event handlers"):
        csp.secure_page(PAGE.replace("<body>", f"<body><div {handler}></div>"))


@pytest.mark.parametrize(
    "entry", ["http://example.org", "https://example.org/path", "example.org", "*", "wss://*"]
)
def test_a_bad_kernel_host_is_refused(entry):
    with pytest.raises(csp.CSPError, match="book_csp_kernel_hosts"):
        csp.kernel_sources("https://mybinder.org", [entry])


def test_the_thebe_source_is_its_folder():
    assert csp.thebe_source("https://unpkg.com/thebe@0.8.2/lib/index.js") == "https://unpkg.com/thebe@0.8.2/"


# ------------------------------------------------------------------ the built site

BUILT = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">')


@pytest.mark.slow
def test_every_built_page_carries_its_policy(built_site):
    import html

    pages = sorted(
        p for p in built_site.html.rglob("*.html") if not p.is_relative_to(built_site.html / "_static")
    )
    assert len(pages) >= 12
    for path in pages:
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(built_site.html).as_posix()
        metas = BUILT.findall(text)
        assert len(metas) == 1, f"{name}: {len(metas)} policies"
        if "<script" in text:
            assert text.index("Content-Security-Policy") < text.index("<script"), name
        policy = {p.split()[0]: p.split()[1:] for p in html.unescape(metas[0]).split(";") if p.strip()}
        found = csp.scan(text)
        inline = {
            csp.script_hash(body)
            for attrs, body in found.scripts
            if "src" not in attrs and csp.executable(attrs)
        }
        hashes = {s for s in policy["script-src"] if s.startswith("'sha256-")}
        assert hashes == inline, f"{name}: the policy's hashes are not exactly its inline scripts'"
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
        assert not [name for tag, attrs in found.tags for name in attrs if name.startswith("on")], name
        thebe = "THEBE_JS_URL" in text
        others = [s for values in policy.values() for s in values if "://" in s]
        if thebe:
            assert "https://unpkg.com/thebe@0.8.2/" in policy["script-src"], name
            assert "https://mybinder.org" in policy["connect-src"], name
        else:
            assert others == [], f"{name}: another host in the policy of a page without Live Code: {others}"


# ------------------------------------------------------------------ in the browser


def watched(page) -> list[str]:
    from page_report import RECORD_VIOLATIONS

    messages: list[str] = []
    page.on(
        "console",
        lambda msg: messages.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.on("pageerror", lambda exc: messages.append(f"pageerror: {exc}"))
    page.add_init_script(RECORD_VIOLATIONS)
    return messages


def violations(page, messages) -> list[str]:
    return [*page.evaluate("() => window.__cspViolations || []"), *messages]


def site_pages() -> list[str]:
    from book_pages import toc_pages

    return [*toc_pages(), "search", "genindex"]


@pytest.mark.browser
@pytest.mark.parametrize("name", site_pages())
def test_no_page_reports_a_violation_and_its_scripts_work(reports, name):
    """The shared visit of each page (tests/page_report.py) records every violation from the
    page's first script on, while its quizzes answer a click, its plotly figures draw, the
    explorer's output follows a slider, the theme's buttons work and the reader scrolls."""
    report = reports(name)
    assert report.csp_violations == [], f"{name}: {report.csp_violations}"
    assert report.visit.page_errors == [], f"{name}: {report.visit.page_errors}"
    assert report.explorer_moved in (None, True), f"{name}: the explorer did not follow its slider"
    assert len(report.figures) == report.figure_divs, f"{name}: a plotly figure did not draw"
    assert not report.visit.blocked_requests, (
        f"{name}: requests to other hosts: {report.visit.blocked_requests}"
    )


@pytest.mark.browser
def test_search_works_under_the_policy(offline_page, site_url):
    page = offline_page
    messages = watched(page)
    page.goto(f"{site_url}/search.html?q=forget+gate", wait_until="load")
    page.wait_for_selector("#search-results li", timeout=30_000)
    assert page.locator("#search-results li").count() > 0
    # and the search dialog of another page (Ctrl+K)
    page.goto(f"{site_url}/intro.html", wait_until="load")
    page.keyboard.press("Control+k")
    page.wait_for_selector("#pst-search-dialog[open] input", timeout=10_000)
    assert violations(page, messages) == []


@pytest.fixture(scope="module")
def thebe_lib(built_site):
    from thebe_support import thebe_package

    return thebe_package(built_site.build / "test-cache")


@pytest.fixture(scope="module")
def local_kernel_server(built_site):
    from conftest import ROOT
    from thebe_support import jupyter_server

    with jupyter_server(ROOT, built_site.build / "test-cache" / "jupyter-csp") as server:
        yield server


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_live_code_starts_under_the_policy(
    built_site, offline_page, site_url, thebe_lib, local_kernel_server
):
    """The page's own policy, with only its kernel hosts (the BinderHub's) replaced by the
    local Jupyter server the test uses instead: thebe loads from its unpkg folder (answered
    from the npm package), its kernel connects, the setup cell runs; nothing is blocked."""
    from test_thebe import BINDERHUB, live_chapter
    from thebe_support import page_for_local_kernel

    page = offline_page
    messages = watched(page)
    docname = live_chapter(built_site)
    with page_for_local_kernel(built_site.html, docname, local_kernel_server, BINDERHUB) as path:
        _start_live_code(page, messages, f"{site_url}/{path}", thebe_lib, local_kernel_server)


def _start_live_code(page, messages, url, thebe_lib, local_kernel_server):
    from test_thebe import QUIZ_CLASS, press_live_code, wait_until_run
    from thebe_support import thebe_shim, unpkg_handler

    page.unpkg_served = []
    page.route("https://unpkg.com/**", unpkg_handler(thebe_lib, page.unpkg_served))
    page.add_init_script(thebe_shim(local_kernel_server))
    page.goto(url)
    page.wait_for_function(
        f"() => [...document.querySelectorAll('.{QUIZ_CLASS}')].every((q) => q.getAttribute('data-rendered'))"
    )
    try:
        press_live_code(page)
    except AssertionError as err:
        raise AssertionError(f"{err}; violations: {violations(page, messages)}") from None
    init_box = page.locator("article .tag_thebe-init .thebe-cell").first
    state = wait_until_run(page, init_box, None)
    assert not state["errors"], state["errors"]
    assert page.locator("article .thebe-cell").count() > 1
    served = [u.rsplit("/", 1)[-1] for u in page.unpkg_served]
    assert "index.js" in served, served
    assert violations(page, messages) == [], violations(page, messages)


#: What a page with smuggled content would try; none of it may run.
SMUGGLED = (
    "<script>window.__ran.push('inline script')</script>"
    "<img src=x onerror=\"window.__ran.push('onerror')\" alt=''>"
    '<a id="smuggled-link" href="javascript:window.__ran.push(\'javascript: link\')">x</a>'
    "<svg><a id='smuggled-svg-link' href=\"javascript:window.__ran.push('svg link')\"><text y='10'>x</text></a></svg>"
    '<div style="background-image:url(https://example.org/tracker.png)">styled</div>'
    "<img src='https://example.org/pixel.png' alt=''>"
)


@pytest.mark.browser
def test_the_policy_stops_what_content_could_smuggle_in(request, built_site, offline_page, site_url):
    """A copy of a built page with script, handlers, javascript: links and requests to
    another host added to its content: the browser runs none of it and requests nothing."""
    page = offline_page
    messages = watched(page)
    page.add_init_script("window.__ran = [];")
    original = built_site.html / "intro.html"
    copy = original.with_name("intro-smuggled.html")
    text = original.read_text(encoding="utf-8")
    copy.write_text(
        text.replace('<article class="bd-article">', '<article class="bd-article">' + SMUGGLED, 1)
    )
    request.addfinalizer(lambda: copy.unlink(missing_ok=True))
    page.goto(f"{site_url}/intro-smuggled.html", wait_until="load")
    page.locator("#smuggled-link").click()
    page.locator("#smuggled-svg-link").click()
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__ran") == []
    found = violations(page, messages)
    assert any("script-src" in v for v in found), found
    assert any("img-src" in v and "example.org" in v for v in found), found
    assert not [u for u in page.blocked_requests if "example.org" in u], "the browser asked another host"
