"""A Content-Security-Policy on every page: the browser runs only the site's own scripts.

Every HTML page the build writes gets, first in its ``<head>``, a
``<meta http-equiv="Content-Security-Policy">`` (a static site has no response headers of
its own; GitHub Pages sets none):

- ``script-src 'self'`` and the SHA-256 hash of each inline script the page carries
  (Sphinx's and the theme's small settings, such as ``DOCUMENTATION_OPTIONS.pagename``):
  no ``'unsafe-inline'``, no ``'unsafe-eval'``. A script that content could smuggle into
  a page (a quiz, a chapter's output, a formula) is not among the hashes and does not run;
  neither does an event attribute (``onerror=``) or a ``javascript:`` link. Pages with Live
  Code also allow thebe's folder on unpkg (``THEBE_JS_URL``, the only script from
  elsewhere, loaded when a reader presses the button).
- ``img-src 'self' data:``, ``font-src 'self'``, ``style-src 'self' 'unsafe-inline'``
  (plotly.js, MathJax's SVG, the theme and Live Code's CodeMirror set inline styles; a
  style can load nothing from another host, since images and fonts come from the site);
  ``connect-src 'self'``, plus, on pages with Live Code, exactly the hosts its kernel may
  be on: the BinderHub of ``launch_buttons.binderhub_url`` and its subdomains (``https:``
  and ``wss:``) and the hosts of ``book_csp_kernel_hosts`` in ``_config.yml`` (``sphinx:
  config:``); ``object-src 'none'``, ``base-uri 'self'``, ``form-action 'self'``.

How: the theme's three inline ``onclick`` handlers (full screen, print, Live Code) become
``data-book-onclick`` attributes that ``book-assets/actions.js`` handles; the page's
content (``body``: chapters, outputs, quizzes) is checked as each page is written
(:func:`content_problems`): an executable inline script (other than sphinx-thebe's
``kernelName = '...'``), an event attribute, a ``javascript:`` or ``data:`` link, an
``<iframe>``, ``<object>``, ``<embed>``, ``<base>`` or ``<meta http-equiv>`` is a warning
(an error under ``-W``) naming the page, and its scripts are never hashed. After the
build, each page written is read back, its inline scripts hashed, and the policy put in.

Tests: ``tests/test_csp.py`` (the policy, the content check, in a browser: no violation on
any page, quizzes, plotly, the explorer, search and Live Code's start still work).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

from sphinx.errors import SphinxError
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: The script that handles the theme's buttons whose inline handlers are removed.
ACTIONS_SCRIPT = "book-assets/actions.js"
#: The theme's inline handlers, and what ``actions.js`` calls instead (a global function).
HANDLERS = {
    "toggleFullScreen()": "toggleFullScreen",
    "window.print()": "print",
    "initThebeSBT()": "initThebeSBT",
}
#: Script types a browser runs.
EXECUTABLE_TYPES = frozenset(
    {
        "",
        "text/javascript",
        "application/javascript",
        "module",
        "text/ecmascript",
        "application/ecmascript",
    }
)
#: The one executable inline script content may carry: sphinx-thebe's kernel name.
_KERNEL_NAME = re.compile(r"^kernelName = '[A-Za-z0-9_.-]+'$")
#: Elements content may not carry.
FORBIDDEN_ELEMENTS = frozenset(
    {
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "base",
        "portal",
    }
)
#: Attributes that hold a URL.
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "xlink:href",
        "data",
        "poster",
        "srcdoc",
    }
)
_META = re.compile(
    r'<meta http-equiv="Content-Security-Policy"[^>]*>\n?', re.IGNORECASE
)
_CHARSET = re.compile(r"<meta charset=[^>]*>\n?", re.IGNORECASE)
_THEBE_URL = re.compile(r'const THEBE_JS_URL = "(https://[^"]+)"')


class CSPError(SphinxError):
    category = "Content-Security-Policy error"


# --------------------------------------------------------------------------- reading HTML


class _Scan(HTMLParser):
    """The inline scripts (type, text), event attributes and URL attributes of some HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[dict, str]] = []
        self.tags: list[tuple[str, dict]] = []
        self._script: dict | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag == "script":
            self._script, self._text = attributes, []

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        if self._script is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None


def scan(markup: str) -> _Scan:
    parser = _Scan()
    parser.feed(markup)
    parser.close()
    return parser


def executable(attributes: dict) -> bool:
    return attributes.get("type", "").strip().lower() in EXECUTABLE_TYPES


def _scheme(url: str) -> str:
    plain = "".join(
        c for c in html.unescape(url) if ord(c) > 32 and c != "\x7f"
    ).lower()
    colon = plain.find(":")
    return plain[:colon] if colon > 0 and plain[:colon].isalpha() else ""


def content_problems(body: str) -> tuple[list[str], set[str]]:
    """What in a page's content would be script, a frame or a foreign document, and the
    executable inline scripts it holds (never hashed into the policy)."""
    found = scan(body)
    problems, scripts = [], set()
    for attributes, text in found.scripts:
        if "src" in attributes:
            problems.append(
                f"a <script src={attributes['src']!r}> in the page's content"
            )
        elif executable(attributes) and not _KERNEL_NAME.match(text.strip()):
            scripts.add(text)
            problems.append(
                f"an inline script in the page's content ({text.strip()[:60]!r})"
            )
    for tag, attributes in found.tags:
        if tag in FORBIDDEN_ELEMENTS:
            problems.append(f"the element <{tag}>")
        if tag == "meta" and "http-equiv" in attributes:
            problems.append(
                f"a <meta http-equiv={attributes['http-equiv']!r}>"
            )
        for name, value in attributes.items():
            if name.startswith("on"):
                problems.append(
                    f"an event attribute {name}={value[:60]!r} on <{tag}>"
                )
            elif name in URL_ATTRIBUTES:
                scheme = _scheme(value)
                if scheme in ("javascript", "vbscript") or (
                    scheme == "data"
                    and not (
                        tag == "img"
                        and name == "src"
                        and value.startswith("data:image/")
                    )
                ):
                    problems.append(f"a {scheme}: URL in {name}= of <{tag}>")
                elif (
                    tag == "use"
                    and name in ("href", "xlink:href")
                    and not value.startswith("#")
                ):
                    problems.append(
                        f"an SVG <use> of another document ({value[:60]!r})"
                    )
    return list(dict.fromkeys(problems)), scripts


# --------------------------------------------------------------------------- the policy


def script_hash(text: str) -> str:
    return (
        "'sha256-"
        + base64.b64encode(
            hashlib.sha256(text.encode("utf-8")).digest()
        ).decode()
        + "'"
    )


def thebe_source(url: str) -> str:
    """The CSP source of thebe's folder: ``https://unpkg.com/thebe@0.8.2/`` for its ``lib/index.js``."""
    parsed = urlparse(url)
    folder = (
        parsed.path.split("/lib/", 1)[0] + "/"
        if "/lib/" in parsed.path
        else parsed.path.rsplit("/", 1)[0] + "/"
    )
    return f"{parsed.scheme}://{parsed.netloc}{folder}"


def kernel_sources(binderhub_url: str, extra=()) -> list[str]:
    """Where Live Code's kernel may be: the BinderHub, its subdomains, and ``extra`` hosts."""
    sources = []
    host = urlparse(binderhub_url).hostname if binderhub_url else None
    if host:
        sources += [
            f"https://{host}",
            f"https://*.{host}",
            f"wss://{host}",
            f"wss://*.{host}",
        ]
    for entry in extra:
        entry = str(entry).strip()
        if not re.fullmatch(
            r"(https|wss)://(\*\.)?[A-Za-z0-9.-]+(:\d+)?", entry
        ):
            raise CSPError(
                f"book_csp_kernel_hosts: {entry!r} is not a https:// or wss:// host (optionally *.host)"
            )
        sources.append(entry)
    return list(dict.fromkeys(sources))


def policy(hashes, *, thebe_url: str | None = None, kernel_hosts=()) -> str:
    """The Content-Security-Policy of a page with the given inline-script hashes."""
    thebe = [thebe_source(thebe_url)] if thebe_url else []
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *sorted(set(hashes)), *thebe],
        "style-src": ["'self'", "'unsafe-inline'", *thebe],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", *thebe],
        "connect-src": ["'self'", *(kernel_hosts if thebe_url else [])],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
    return "; ".join(
        f"{name} {' '.join(values)}" for name, values in directives.items()
    )


def secure_page(
    text: str, *, refused: set[str] = frozenset(), kernel_hosts=()
) -> str:
    """``text`` (a written page) with the theme's handlers moved to ``data-book-onclick`` and
    its Content-Security-Policy first in ``<head>``; raise :class:`CSPError` for what it cannot allow."""
    for handler, action in HANDLERS.items():
        text = text.replace(
            f'onclick="{handler}"', f'data-book-onclick="{action}"'
        )
    found = scan(text)
    left = [
        f"{name}={value[:60]!r} on <{tag}>"
        for tag, attributes in found.tags
        for name, value in attributes.items()
        if name.startswith("on")
    ]
    if left:
        raise CSPError(
            f"inline event handlers the site's policy does not run: {', '.join(left[:3])}"
        )
    hashes = {
        script_hash(body)
        for attributes, body in found.scripts
        if "src" not in attributes
        and executable(attributes)
        and body not in refused
    }
    thebe = _THEBE_URL.search(text)
    meta = (
        '<meta http-equiv="Content-Security-Policy" content="'
        + policy(
            hashes,
            thebe_url=thebe.group(1) if thebe else None,
            kernel_hosts=kernel_hosts,
        )
        .replace("&", "&amp;")
        .replace('"', "&quot;")
        + '">\n'
    )
    text = _META.sub("", text)
    charset = _CHARSET.search(text)
    if charset:
        return text[: charset.end()] + meta + text[charset.end() :]
    head = text.lower().find("<head>")
    if head < 0:
        raise CSPError("no <head> to put the Content-Security-Policy in")
    return text[: head + 6] + "\n" + meta + text[head + 6 :]


# --------------------------------------------------------------------------- Sphinx


def _pages(app) -> dict[str, set[str]]:
    if not hasattr(app, "book_csp_pages"):
        app.book_csp_pages = {}
    return app.book_csp_pages


def _html_page_context(app, pagename, templatename, context, doctree):
    if app.builder.format != "html":
        return
    app.add_js_file(ACTIONS_SCRIPT, loading_method="defer")
    problems, scripts = content_problems(context.get("body") or "")
    for problem in problems:
        logger.warning(
            "book.site.csp: page %s has %s: a page's content may carry no script, handler, frame, plugin or "
            "document of another site (see book/site/csp.py)",
            pagename,
            problem,
            location=pagename,
        )
    _pages(app)[pagename] = scripts


def _kernel_hosts(app) -> list[str]:
    from book.site.thebe import binderhub_url

    return kernel_sources(
        binderhub_url(app.config), app.config.book_csp_kernel_hosts or ()
    )


def _build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    hosts = _kernel_hosts(app)
    pages = dict(_pages(app))
    outdir = Path(app.outdir)
    targets = {
        Path(app.builder.get_outfilename(name)): refused
        for name, refused in pages.items()
    }
    if (outdir / "index.html").exists():
        targets.setdefault(
            outdir / "index.html", set()
        )  # the redirect page (book.site.meta)
    for path, refused in sorted(targets.items()):
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        try:
            secured = secure_page(text, refused=refused, kernel_hosts=hosts)
        except CSPError as err:
            raise CSPError(f"{path.relative_to(outdir)}: {err}") from None
        if secured != text:
            path.write_text(secured, encoding="utf-8")


def _builder_inited(app):
    if app.builder.format != "html":
        return
    _kernel_hosts(app)  # a bad book_csp_kernel_hosts fails at once
    staging = Path(app.outdir).parent / ".book-static" / ACTIONS_SCRIPT
    source = (Path(__file__).parent / "actions.js").read_text(encoding="utf-8")
    if not staging.exists() or staging.read_text(encoding="utf-8") != source:
        staging.parent.mkdir(parents=True, exist_ok=True)
        staging.write_text(source, encoding="utf-8")


def setup(app):
    app.add_config_value(
        "book_csp_kernel_hosts", [], "html", types=(list, tuple)
    )
    app.connect(
        "builder-inited", _builder_inited, priority=600
    )  # after assets staged .book-static
    app.connect("html-page-context", _html_page_context, priority=950)
    app.connect(
        "build-finished", _build_finished, priority=950
    )  # after book.site.meta's redirect page
