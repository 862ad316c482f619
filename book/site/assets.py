"""Serve every browser library a page needs from the built site itself.

A page of the book renders offline: nothing it loads comes from a CDN. Only
"Live Code" (Thebe, on mybinder.org) reaches the network, and only when the
reader presses it.

Where the libraries come from (at build time, never committed):

- **no MathJax**: every formula is typeset at build time (:mod:`book.site.mathrender`,
  npm ``mathjax-full`` in Node.js, pinned in ``package.json``) into SVG with assistive
  MathML; pages with math get only its small stylesheet (``book-assets/math.css``).
  Sphinx's MathJax script (which it would load from a CDN, on every page with math)
  never reaches a page: :func:`_tidy_scripts` drops it, with a warning, should anything
  add it.
- **plotly.js** (npm ``plotly.js-basic-dist-min``, the partial bundle with the
  ``scatter``, ``bar`` and ``pie`` traces, the same plotly.js version that plotly.py
  bundles): never in the page's ``<head>``. A figure is data, not code
  (:func:`book.plots.plotly_figure`: its JSON in a ``<script type="application/json">``).
  Pages that contain a :data:`book.plots.PLOTLY_CLASS` figure get ``plotly_lazy.js``
  (deferred, 3 KB), which loads plotly.js and draws a figure only when it comes near the
  viewport (and a figure a Live Code cell outputs). The build warns (an error under
  ``-W``) if a figure uses a trace type the bundle lacks, or if the two versions differ.
- **the theme** (fonts, icons, CSS): pydata-sphinx-theme and sphinx-book-theme
  already ship theirs in ``_static``. ``templates/layout.html`` drops the theme's
  FontAwesome *script* (about 540 KB gzipped per page): the theme's CSS and web
  fonts draw the same icons.
- **book.css** (next to this file): the course's own style fixes (accessibility,
  phone widths); **search.js**: readable snippets on the search page only.

``make book`` runs ``npm ci`` (``node_modules/``) before building, and the build first
checks ``node_modules`` against what ``npm ci`` installed from the lock
(:mod:`book.site.npmcheck`): a truncated or swapped file stops it, naming the file. The files are
staged in ``_build/.book-static/`` and added to ``html_static_path``; they land in
``_build/html/_static/book-assets/``. Not in the book's ``_static/`` folder:
Jupyter Book adds every ``*.js`` file there to every page.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from sphinx.errors import ExtensionError
from sphinx.util import logging

from book.plots import PLOTLY_CLASS, PLOTLY_DATA_CLASS

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
#: The repository root (``package.json`` and ``node_modules/`` live there).
ROOT = HERE.parent.parent
#: Sub-folder of ``_static`` the site's own copies of the libraries go to.
ASSETS = "book-assets"

PLOTLY_PACKAGE = "plotly.js-basic-dist-min"
PLOTLY_SCRIPT = f"{ASSETS}/plotly/plotly-basic.min.js"
#: Trace types the basic bundle contains (its README).
PLOTLY_TRACES = frozenset({"scatter", "bar", "pie"})

BOOK_CSS = f"{ASSETS}/book.css"
SEARCH_SCRIPT = f"{ASSETS}/search.js"
PLOTLY_LAZY_SCRIPT = f"{ASSETS}/plotly_lazy.js"


# --------------------------------------------------------------------------- files


def node_modules_dirs(srcdir: str | Path | None = None) -> list[Path]:
    """Where to look for ``node_modules``: the book's source folder, then this repository."""
    dirs = [Path(srcdir) / "node_modules"] if srcdir else []
    if ROOT / "node_modules" not in dirs:
        dirs.append(ROOT / "node_modules")
    return dirs


def find_package(name: str, srcdir: str | Path | None = None) -> Path:
    """The folder of the installed npm package ``name``, or a clear error saying what to run."""
    for base in node_modules_dirs(srcdir):
        if (base / name / "package.json").is_file():
            return base / name
    looked = ", ".join(str(d / name) for d in node_modules_dirs(srcdir))
    raise ExtensionError(
        f"book.site.assets: the npm package {name!r} is missing (looked in {looked}); "
        "install the npm packages: `rm -rf node_modules && make book` (make runs `npm ci` from "
        "package-lock.json when node_modules is gone)."
    )


def package_version(package_dir: Path) -> str:
    return json.loads((package_dir / "package.json").read_text())["version"]


def _sync_file(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` unless an identical-looking copy is there already."""
    if dst.exists():
        s, d = src.stat(), dst.stat()
        if s.st_size == d.st_size and int(s.st_mtime) == int(d.st_mtime):
            return
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)


def _sync(src: Path, dst: Path) -> None:
    if not src.exists():
        raise ExtensionError(
            f"book.site.assets: {src} is missing; reinstall the npm packages: "
            "`rm -rf node_modules && make book` (make runs `npm ci` from package-lock.json when "
            "node_modules is gone)."
        )
    if src.is_dir():
        for path in sorted(src.rglob("*")):
            if path.is_file():
                _sync_file(path, dst / path.relative_to(src))
    else:
        _sync_file(src, dst)


def check_node_modules(srcdir: str | Path | None = None) -> None:
    """``node_modules`` as ``npm ci`` installed it from ``package-lock.json`` (:mod:`book.site.npmcheck`),
    or an error naming the file and the fix."""
    from book.site import npmcheck

    root = next(
        (d.parent for d in node_modules_dirs(srcdir) if d.is_dir()), ROOT
    )
    try:
        npmcheck.verify(root)
    except npmcheck.NpmCheckError as err:
        raise ExtensionError(f"book.site.assets: {err}") from None


def stage_assets(srcdir: str | Path | None, staging: Path) -> dict[str, str]:
    """Copy what the site serves into ``staging/book-assets``; return the versions used."""
    out = staging / ASSETS
    # MathJax was served from here before the math was typeset at build time
    shutil.rmtree(out / "mathjax", ignore_errors=True)
    plotly = find_package(PLOTLY_PACKAGE, srcdir)
    _sync(
        plotly / "plotly-basic.min.js", out / "plotly" / "plotly-basic.min.js"
    )
    _sync(
        plotly / "README.md", out / "plotly" / "README.md"
    )  # names the MIT licence

    _sync(HERE / "book.css", out / "book.css")
    _sync(HERE / "search.js", out / "search.js")
    _sync(HERE / "plotly_lazy.js", out / "plotly_lazy.js")
    return {"plotly.js": package_version(plotly)}


# --------------------------------------------------------------------------- plotly


_PLOTLY_DATA = re.compile(
    r'<script type="application/json" class="'
    + re.escape(PLOTLY_DATA_CLASS)
    + r'">([^<]*)</script>'
)


def plotly_trace_types(html: str) -> list[str]:
    """The trace types of every plotly figure (:func:`book.plots.plotly_figure`) in ``html``."""
    types: list[str] = []
    for match in _PLOTLY_DATA.finditer(html):
        try:
            data = json.loads(match.group(1))["data"]
        except (ValueError, KeyError, TypeError):
            types.append("<unreadable>")
            continue
        types.extend(
            trace.get("type", "scatter")
            if isinstance(trace, dict)
            else "<unreadable>"
            for trace in data
        )
    return types


# --------------------------------------------------------------------------- Sphinx


def _config_inited(app, config):
    # templates/layout.html: the theme's layout without FontAwesome's script.
    config.templates_path.append(str(HERE / "templates"))
    # pydata-sphinx-theme reads the colour mode from the page context; left empty, its
    # script logs "Got invalid theme mode" as a console error on every page. Light by
    # default (the figures and quizzes are drawn for it); the reader can switch.
    config.html_context.setdefault("default_mode", "light")


def _builder_inited(app):
    if app.builder.format != "html":
        return
    staging = Path(app.outdir).parent / ".book-static"
    check_node_modules(app.srcdir)  # before anything from it is served or run
    versions = stage_assets(app.srcdir, staging)
    app.config.html_static_path.append(str(staging))
    app.add_css_file("book-assets/book.css", priority=900)

    from plotly.offline import get_plotlyjs_version

    if versions["plotly.js"] != get_plotlyjs_version():
        logger.warning(
            "book.site.assets: npm %s is %s but plotly.py bundles plotly.js %s; "
            "pin the same version in package.json",
            PLOTLY_PACKAGE,
            versions["plotly.js"],
            get_plotlyjs_version(),
        )


def is_mathjax_script(filename: str, body: str = "") -> bool:
    """Whether a page script is MathJax or its configuration (which no page needs)."""
    return "mathjax" in filename.lower() or body.lstrip().startswith(
        ("window.MathJax", "MathJax.")
    )


#: The one page script that must run where it stands in ``<head>``: the inline
#: ``DOCUMENTATION_OPTIONS.pagename = ...`` that follows it uses what it defines.
SYNCHRONOUS_SCRIPTS = ("documentation_options.js",)


def deferred(js):
    """``js`` (a Sphinx ``_JavaScript``) loaded with ``defer``, if it is a file loaded in the
    ordinary, blocking way; anything else (inline, ``async``, ``defer``, a module, not
    JavaScript, :data:`SYNCHRONOUS_SCRIPTS`) as it is."""
    from sphinx.builders.html._assets import _JavaScript

    name = os.fspath(js.filename or "")
    attributes = js.attributes
    if (
        not name
        or "body" in attributes
        or {"async", "defer"} & set(attributes)
        or attributes.get("type", "text/javascript")
        not in ("text/javascript", "")
        or name.split("?")[0].endswith(SYNCHRONOUS_SCRIPTS)
    ):
        return js
    return _JavaScript(
        js.filename, priority=js.priority, **{**attributes, "defer": "defer"}
    )


def _tidy_scripts(app, pagename, templatename, context, doctree):
    """Write each script of a page once, deferred, and no MathJax.

    - The extensions' scripts (copy buttons, toggles, tabs, Sphinx's own) are written in
      ``<head>`` without ``defer``: each one held up the first paint of the page on a slow
      network. They all wait for the document anyway (``DOMContentLoaded``), and
      deferred scripts still run in their order, after the inline settings written
      between them (:func:`deferred`).

    - Sphinx 7.4 keeps an inline script added with ``app.add_js_file(None, body=...)``
      after the builder started twice (once named ``None``, once ``''``), so pages
      carried sphinx-thebe's ``const THEBE_JS_URL = ...`` twice: "Identifier
      'THEBE_JS_URL' has already been declared" on every page.
    - The math is typeset at build time (:mod:`book.site.mathrender`), whose renderer
      keeps Sphinx from adding MathJax. A MathJax script or configuration in a page means
      that something else renders math (``html_math_renderer`` switched back): the page
      would carry raw TeX for a MathJax no reader should download. It is dropped, with a
      warning (an error under ``-W``).
    """
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for js in scripts:
        name = os.fspath(js.filename or "")
        if is_mathjax_script(name, js.attributes.get("body", "")):
            logger.warning(
                "book.site.assets: page %s was given MathJax (%s); the book's math is typeset at "
                "build time (book.site.mathrender), check html_math_renderer",
                pagename,
                name or "an inline configuration",
                location=pagename,
            )
            continue
        key = (name, tuple(sorted(js.attributes.items())))
        if key not in seen:
            seen.add(key)
            # The search page: Sphinx's template loads searchtools.js there without
            # `defer`, and it calls doctools.js's `_ready` at once: nothing is deferred.
            kept.append(js if pagename == "search" else deferred(js))
    scripts[:] = kept


def _html_page_context(app, pagename, templatename, context, doctree):
    if pagename == "search":
        # readable result snippets (search.js): no raw TeX, no table of contents
        app.add_js_file(SEARCH_SCRIPT, loading_method="defer")
    body = context.get("body") or ""
    if PLOTLY_CLASS not in body:
        return
    missing = sorted(set(plotly_trace_types(body)) - PLOTLY_TRACES)
    if missing:
        logger.warning(
            "book.site.assets: page %s has plotly trace types %s that the site's plotly.js "
            "bundle (%s: %s) lacks",
            pagename,
            ", ".join(missing),
            PLOTLY_PACKAGE,
            ", ".join(sorted(PLOTLY_TRACES)),
            location=pagename,
        )
    # Not plotly.js itself: plotly_lazy.js (deferred, small) loads plotly.js and draws a
    # figure from its data when the figure comes near the viewport.
    app.add_js_file(PLOTLY_LAZY_SCRIPT, loading_method="defer")


def setup(app):
    app.connect("config-inited", _config_inited)
    app.connect("builder-inited", _builder_inited)
    app.connect("html-page-context", _html_page_context)
    # After every other handler has added its scripts (the default priority is 500).
    app.connect("html-page-context", _tidy_scripts, priority=900)
