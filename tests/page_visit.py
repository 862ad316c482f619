"""Load one page of the built site in an offline Chromium context and record what happened.

Used by ``page_report.py``, whose one visit per page serves ``test_browser.py`` (what
a reader sees), ``test_page_weight.py`` (what a reader downloads) and ``test_csp.py``.
Every request to a host other than 127.0.0.1 is blocked and recorded, as in conftest's ``offline_page``; each visit gets a fresh
context, so nothing is cached between pages ("first load").
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field

from conftest import is_local

VIEWPORT = {"width": 1280, "height": 900}

# What the page has of MathJax: "none" is right (every formula is typeset at build
# time, book/site/mathrender.py); anything else names the scripts or requests found.
MATHJAX_STATE = """
() => {
  const found = [
    ...[...document.scripts].map((s) => s.src),
    ...performance.getEntriesByType('resource').map((e) => e.name),
  ].filter((url) => /mathjax/i.test(url));
  if (typeof window.MathJax !== 'undefined') found.push('window.MathJax');
  return found.length ? 'loaded: ' + [...new Set(found)].join(' ') : 'none';
}
"""

WAIT_FOR_FONTS = "async () => { await document.fonts.ready; return document.fonts.status; }"


@dataclass
class Loaded:
    """One response the page received, with its body's gzip-compressed size."""

    url: str
    status: int
    resource_type: str
    raw_bytes: int
    gzip_bytes: int


@dataclass
class Visit:
    url: str
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    loaded: list[Loaded] = field(default_factory=list)
    #: "none" when the page neither loads nor defines MathJax (see MATHJAX_STATE)
    mathjax: str = ""
    #: Off while a test tool (axe-core) works in the page: axe re-fetches @import-ed
    #: stylesheets relative to the page instead of the importing sheet (a 404 that
    #: no reader ever triggers). Blocked requests are recorded regardless.
    recording: bool = True

    def record(self, where: list, what: str) -> None:
        if self.recording:
            where.append(what)

    @property
    def gzip_total(self) -> int:
        return sum(item.gzip_bytes for item in self.loaded)

    @property
    def raw_total(self) -> int:
        return sum(item.raw_bytes for item in self.loaded)


def gzip_size(body: bytes) -> int:
    """Size of ``body`` gzip-compressed at level 6 (what web servers use by default)."""
    return len(gzip.compress(body, compresslevel=6, mtime=0))


def open_offline(browser, url: str, init_script: str | None = None):
    """Open ``url`` in a fresh offline context; return ``(context, page, visit)``, the page settled.

    ``init_script`` runs in the page before any of its own scripts (a recorder, say).

    Settled: the load event has fired, web fonts are in, and the network has been idle
    for half a second (``visit.mathjax`` records whether any MathJax was loaded).
    """
    context = browser.new_context(viewport=VIEWPORT)
    visit = Visit(url)
    responses = []

    def guard(route):
        if is_local(route.request.url):
            route.continue_()
        else:
            visit.blocked_requests.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("pageerror", lambda exc: visit.record(visit.page_errors, str(exc)))
    page.on(
        "console",
        lambda msg: (
            visit.record(visit.console_errors, f"{msg.text} ({msg.location.get('url', '')})")
            if msg.type == "error"
            else None
        ),
    )
    page.on(
        "requestfailed",
        lambda req: (
            None
            if not is_local(req.url)  # already in blocked_requests
            else visit.record(visit.failed_requests, f"{req.url}: {req.failure}")
        ),
    )
    page.on("response", lambda response: responses.append(response))
    page.on(
        "response",
        lambda response: (
            visit.record(visit.bad_responses, f"{response.status} {response.url}")
            if response.status >= 400
            else None
        ),
    )

    if init_script:
        page.add_init_script(init_script)
    page.goto(url, wait_until="load")
    page.evaluate(WAIT_FOR_FONTS)
    page.wait_for_load_state("networkidle")
    visit.mathjax = page.evaluate(MATHJAX_STATE)

    for response in responses:
        if not (200 <= response.status < 300) or not is_local(response.url):
            continue
        try:
            body = response.body()
        except Exception:  # a redirect or an aborted request has no body
            continue
        visit.loaded.append(
            Loaded(response.url, response.status, response.request.resource_type, len(body), gzip_size(body))
        )
    return context, page, visit
