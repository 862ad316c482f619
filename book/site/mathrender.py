"""Maths typeset at build time: no reader's browser downloads or runs MathJax.

Every formula of the book (Sphinx's inline and display math, and the ``$...$`` /
``$$...$$`` of every quiz string) is typeset by MathJax 3 (npm ``mathjax-full``, pinned
in ``package.json``) running in Node.js, **once per build** for all the formulas not
typeset before (``mathrender.js`` next to this file reads them all on stdin):

- **when**: each page's formulas are collected as it is read (``doctree-read``); after
  every page is read (``env-updated``), the formulas not in the environment's cache are
  typeset in one Node process. The results stay in Sphinx's pickled environment, so an
  unchanged rebuild starts no Node at all; a new ``mathjax-full`` or a changed
  ``mathrender.js`` typesets everything again and rewrites every page with math.
- **output**: SVG whose glyphs take the text colour (``currentColor``: dark mode works),
  identical in every browser, no web font. Glyph outlines are written once per page in a
  hidden ``<svg id="MJX-SVG-global-cache">`` (MathJax's "global" font cache) that each
  formula's ``<use>`` elements point to. Each formula also carries MathJax's assistive
  MathML (visually hidden, read by screen readers; the SVG is ``aria-hidden``).
  ``mathrender.js`` unwraps the SVG groups that only name MathJax's nodes: half the
  elements, the same picture. MathJax's stylesheet for it is ``_static/book-assets/math.css``.
- **HTML**: the renderer ``book_svg`` (``html_math_renderer``) writes what Sphinx's
  MathJax renderer writes (``<span class="math notranslate nohighlight">``, ``<div
  class="math ..." id="equation-...">`` with its equation number and permalink, myst's
  ``amsmath`` blocks), with the typeset formula in place of ``\\(...\\)`` / ``\\[...\\]``.
  Sphinx's MathJax script is then never added to a page.
- **quizzes**: the formulas of every quiz string, as :mod:`book.quiztext` splits it (the
  one tokenizer the validator and :mod:`book.site.quiz`'s renderer use too), found in the
  page's :class:`book.site.quiznodes.quiz_node`; :func:`markup` gives the directive each
  formula's markup.
- **what MathJax may write**: only the TeX packages the book needs are loaded
  (``mathrender.js``), and every typeset formula is checked (:func:`unsafe_markup`): no
  link, no event attribute, no ``url(...)``, no reference outside the page's own glyphs.
  A formula whose markup fails the check fails the build (``\\mmlToken{mi}[href=...]``,
  ``\\bbox[background-image: url(...)]``), whatever page it is on.
- **errors**: a formula MathJax cannot parse (``\\frac{1}{``, an undefined macro) fails
  the build with the page (docname) and the formula; so does a missing ``node`` or
  ``mathjax-full``. Raw TeX is never published.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from docutils import nodes
from sphinx.errors import SphinxError
from sphinx.util import logging

from book import quiztext
from book.site import quiznodes
from book.site.assets import ASSETS, find_package, package_version

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "mathrender.js"
PACKAGE = "mathjax-full"
#: The name of the HTML math renderer (Sphinx's ``html_math_renderer``).
RENDERER = "book_svg"
#: MathJax's stylesheet for its SVG output, served to pages with math.
STYLESHEET = f"{ASSETS}/math.css"
#: The id MathJax gives the page-global font cache.
FONT_CACHE_ID = "MJX-SVG-global-cache"
_GLYPH_REF = re.compile(r'xlink:href=\\?"#(MJX-[A-Za-z0-9-]+)')


class MathRenderError(SphinxError):
    category = "Math error"


@dataclass(frozen=True, order=True)
class Formula:
    """A TeX formula and whether it is display math."""

    tex: str
    display: bool = False


@dataclass
class Typeset:
    """What Node returned: each formula's markup (or error), the glyphs, MathJax's CSS."""

    html: dict[Formula, str] = field(default_factory=dict)
    glyphs: dict[str, str] = field(default_factory=dict)
    errors: dict[Formula, str] = field(default_factory=dict)
    css: str = ""
    version: str = ""
    seconds: float = 0.0


# --------------------------------------------------------------------------- Node


def _node_executable() -> str:
    node = shutil.which("node")
    if node is None:
        raise MathRenderError(
            "book.site.mathrender: Node.js (`node`) is needed to typeset the book's math at build time "
            "(book/site/mathrender.js with npm mathjax-full) and was not found on PATH. Install Node.js 20, "
            "then run `make book`."
        )
    return node


def typeset(
    formulas, srcdir: str | Path | None = None, *, node: str | None = None
) -> Typeset:
    """Typeset ``formulas`` (an iterable of :class:`Formula`) in one Node process.

    Errors of single formulas are returned in ``errors`` (the caller names the pages);
    a missing ``node`` or ``mathjax-full``, or a crash of the script, raises
    :class:`MathRenderError` (or Sphinx's ``ExtensionError`` for the package).
    """
    formulas = sorted(set(formulas))
    package = find_package(PACKAGE, srcdir)
    result = Typeset(version=package_version(package))
    if not formulas:
        return result
    request = {
        "formulas": [{"tex": f.tex, "display": f.display} for f in formulas]
    }
    env = dict(os.environ, NODE_PATH=str(package.parent))
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [node or _node_executable(), str(SCRIPT)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            check=False,
        )
    except OSError as err:
        raise MathRenderError(
            f"book.site.mathrender: could not run Node.js: {err}"
        ) from err
    result.seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise MathRenderError(
            f"book.site.mathrender: {SCRIPT.name} failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}"
        )
    answer = json.loads(proc.stdout)
    result.css = answer["css"]
    for formula, out in zip(formulas, answer["results"], strict=True):
        if "error" in out:
            result.errors[formula] = out["error"]
            continue
        why = unsafe_markup(out["html"]) or next(
            filter(None, map(unsafe_markup, out["defs"].values())), None
        )
        if why:
            result.errors[formula] = (
                f"{why}, which the site refuses in a formula (a link, a style or a request)"
            )
            continue
        result.html[formula] = out["html"]
        result.glyphs.update(out["defs"])
    return result


# --------------------------------------------------------------------------- what MathJax may write

#: Elements a typeset formula may contain: MathJax's container, its SVG drawing and the
#: assistive MathML (presentation elements). Not: ``a``, ``image``, ``foreignObject``,
#: ``script``, ``style``, MathML's ``maction`` (actions), ``mglyph`` (an image by URL),
#: ``merror``.
MATH_ELEMENTS = frozenset(
    {
        "mjx-container", "mjx-assistive-mml", "svg", "g", "path", "use", "rect", "line", "defs", "text",
        "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup", "mfrac",
        "msqrt", "mroot", "mstyle", "mpadded", "mphantom", "menclose", "mover", "munder", "munderover",
        "mmultiscripts", "mprescripts", "none", "mtable", "mtr", "mlabeledtr", "mtd", "semantics",
        "annotation",
    }
)  # fmt: skip
#: Attributes no formula may carry, whatever their value.
_FORBIDDEN_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "background", "srcdoc", "ping"}
)
#: Words no attribute value of a formula may contain (a link, a style that loads something).
_FORBIDDEN_VALUES = (
    "javascript:",
    "vbscript:",
    "data:",
    "url(",
    "image(",
    "image-set(",
    "expression(",
    "@import",
)
#: CSS properties MathJax writes in ``style`` attributes.
_STYLE_PROPERTIES = frozenset(
    {"position", "vertical-align", "margin-left", "margin-right", "margin-top", "margin-bottom", "min-width",
     "width", "height", "display", "overflow", "font-size", "font-family", "font-style", "font-weight",
     "padding-left", "padding-right", "left", "right", "top", "bottom", "max-width", "text-align"}
)  # fmt: skip


def unsafe_markup(markup: str) -> str | None:
    """Why the markup of a typeset formula may not reach a page, or None.

    Only :data:`MATH_ELEMENTS`; no event attribute (``on...``), no ``href`` or ``src``
    (SVG's ``xlink:href`` only to a glyph of the page, ``#MJX-...``); no attribute value
    with ``javascript:``, ``url(`` or the like; ``style`` only with MathJax's own
    properties; ``class`` only MathJax's, ``id`` only ``MJX-...``. MathJax with the book's
    packages writes nothing else; a formula that does (``\\mmlToken{mi}[href=...]{x}``,
    ``\\bbox[background-image: url(...)]{x}``) fails the build.
    """
    from html.parser import HTMLParser

    problems: list[str] = []

    class Checker(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag not in MATH_ELEMENTS:
                problems.append(f"a <{tag}> element")
            for name, value in attrs:
                value = value or ""
                low = "".join(value.lower().split())
                if name.startswith("on") or name in _FORBIDDEN_ATTRIBUTES:
                    problems.append(f"the attribute {name}={value!r}")
                elif name == "xlink:href" and not value.startswith("#MJX-"):
                    problems.append(f"a reference to {value!r}")
                elif any(word in low for word in _FORBIDDEN_VALUES):
                    problems.append(f"the attribute {name}={value!r}")
                elif name == "style" and not _plain_style(value):
                    problems.append(f"the style {value!r}")
                elif name == "class" and not all(
                    c.startswith(("MathJax", "mjx-")) for c in value.split()
                ):
                    problems.append(f"the class {value!r}")
                elif name == "id" and not value.startswith("MJX-"):
                    problems.append(f"the id {value!r}")

        handle_startendtag = handle_starttag

    checker = Checker(convert_charrefs=True)
    checker.feed(markup)
    checker.close()
    return f"its markup has {problems[0]}" if problems else None


def _plain_style(style: str) -> bool:
    """A ``style`` of MathJax's own: known properties, values of letters, digits and ``.-% ``."""
    for declaration in style.split(";"):
        if not declaration.strip():
            continue
        prop, _, value = declaration.partition(":")
        if prop.strip().lower() not in _STYLE_PROPERTIES:
            return False
        if not all(c.isalnum() or c in " .-%,'" for c in value.strip()):
            return False
    return True


def describe(formula: Formula, message: str) -> str:
    kind = "display formula" if formula.display else "formula"
    return f"MathJax cannot typeset the {kind} {formula.tex!r}: {message}"


def error_report(
    errors: dict[Formula, str], pages: dict[str, set[Formula]]
) -> str:
    """One line per page and formula that MathJax could not typeset."""
    lines = [
        f"{docname}: {describe(formula, message)}"
        for formula, message in sorted(errors.items())
        for docname in sorted(
            d for d, found in pages.items() if formula in found
        )
    ]
    return "book.site.mathrender: " + "\n".join(lines)


# --------------------------------------------------------------------------- quizzes


def quiz_formulas(text: str) -> list[Formula]:
    """The formulas of a quiz string, as :mod:`book.quiztext` splits it (the renderer does the same)."""
    return [Formula(tex, display) for tex, display in quiztext.formulas(text)]


# --------------------------------------------------------------------------- Sphinx math nodes


def display_tex(node: nodes.math_block) -> str:
    """The TeX that Sphinx's (and myst's) MathJax renderer puts between ``\\[`` and ``\\]``."""
    text = node.astext()
    if node.get("nowrap") or "amsmath" in node.get("classes", []):
        return text
    parts = [part for part in text.split("\n\n") if part.strip()]
    out = []
    if len(parts) > 1:
        out.append(r" \begin{align}\begin{aligned}")
    for i, part in enumerate(parts):
        out.append(
            r"\begin{split}" + part + r"\end{split}" if r"\\" in part else part
        )
        if i < len(parts) - 1:
            out.append(r"\\")
    if len(parts) > 1:
        out.append(r"\end{aligned}\end{align} ")
    return "".join(out)


def page_formulas(doctree) -> set[Formula]:
    """Every formula a page shows: its math nodes and its quizzes' strings."""
    found = {
        Formula(node.astext(), False) for node in doctree.findall(nodes.math)
    }
    found |= {
        Formula(display_tex(node), True)
        for node in doctree.findall(nodes.math_block)
    }
    for quiz in doctree.findall(quiznodes.quiz_node):
        for text in quiztext.texts(quiz["questions"]):
            found.update(quiz_formulas(text))
    return found


def _fingerprint(srcdir) -> str:
    package = find_package(PACKAGE, srcdir)
    digest = hashlib.sha256(SCRIPT.read_bytes()).hexdigest()[:16]
    return f"{package_version(package)}:{digest}"


class _Store:
    """What the environment keeps between builds (pickled with it)."""

    def __init__(self, fingerprint: str):
        self.fingerprint = fingerprint
        self.pages: dict[str, set[Formula]] = {}
        self.html: dict[Formula, str] = {}
        self.glyphs: dict[str, str] = {}
        self.css = ""
        self.seconds = 0.0
        self.count = 0


def _store(env) -> _Store:
    if not hasattr(env, "book_math"):
        env.book_math = _Store("")
    return env.book_math


def markup(env, formula: Formula, where: str = "") -> str:
    """The typeset markup of ``formula`` (typeset now, alone, if the build missed it)."""
    store = _store(env)
    found = store.html.get(formula)
    if found is None:
        result = typeset([formula], env.srcdir)
        if result.errors:
            raise MathRenderError(
                f"book.site.mathrender: {where}: "
                + describe(formula, result.errors[formula])
            )
        store.html.update(result.html)
        store.glyphs.update(result.glyphs)
        found = result.html[formula]
    return found


def _doctree_read(app, doctree) -> None:
    _store(app.env).pages[app.env.docname] = page_formulas(doctree)


def _purge(app, env, docname) -> None:
    _store(env).pages.pop(docname, None)


def _merge(app, env, docnames, other) -> None:
    mine, theirs = _store(env), _store(other)
    for docname in docnames:
        if docname in theirs.pages:
            mine.pages[docname] = theirs.pages[docname]


def _env_updated(app, env):
    """Typeset, in one Node run, every formula of the book not typeset before."""
    if app.builder.format != "html":
        return []
    store = _store(env)
    fingerprint = _fingerprint(app.srcdir)
    rewrite: list[str] = []
    if store.fingerprint != fingerprint:
        # a new MathJax or renderer: typeset everything again, rewrite every page with math
        store.html, store.glyphs, store.fingerprint = {}, {}, fingerprint
        rewrite = sorted(
            d
            for d, found in store.pages.items()
            if found and d in env.all_docs
        )
    wanted = set().union(*store.pages.values()) if store.pages else set()
    missing = wanted - store.html.keys()
    if missing or not store.css:
        # (one formula at least: MathJax's stylesheet comes with a typeset formula)
        result = typeset(missing or {Formula("x")}, app.srcdir)
        if result.errors:
            raise MathRenderError(error_report(result.errors, store.pages))
        store.html.update(result.html)
        store.glyphs.update(result.glyphs)
        store.css = result.css
        store.seconds, store.count = result.seconds, len(missing)
        if missing:
            logger.info(
                "book.site.mathrender: typeset %d formulas in %.1f s (Node.js, MathJax %s)",
                len(missing),
                result.seconds,
                result.version,
            )
    # forget formulas no page shows any more
    for formula in list(store.html):
        if formula not in wanted:
            del store.html[formula]
    _write_stylesheet(app, store.css)
    return rewrite


def _write_stylesheet(app, css: str) -> None:
    path = Path(app.outdir).parent / ".book-static" / STYLESHEET
    text = f"/* MathJax's stylesheet for its SVG output (book/site/mathrender.py). */\n{css}"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- HTML


def _original(translator, kind: str):
    registry = translator.builder.app.registry
    renderers = (
        registry.html_inline_math_renderers
        if kind == "inline"
        else registry.html_block_math_renderers
    )
    return renderers["mathjax"][0]


def _replace(
    translator, node, kind: str, formula: Formula, delimiters: tuple[str, str]
) -> None:
    """Run Sphinx's (or myst's) MathJax visitor, then put the typeset formula in place of its TeX."""
    start = len(translator.body)
    try:
        _original(translator, kind)(translator, node)
    except nodes.SkipNode:
        pass
    written = "".join(translator.body[start:])
    del translator.body[start:]
    tex = delimiters[0] + translator.encode(formula.tex) + delimiters[1]
    at = written.rfind(tex)
    if at < 0:
        raise MathRenderError(
            f"book.site.mathrender: {translator.builder.current_docname}: unexpected HTML for {formula.tex!r}: {written[:200]!r}"
        )
    typeset_ = markup(
        translator.builder.env, formula, translator.builder.current_docname
    )
    translator.body.append(written[:at] + typeset_ + written[at + len(tex) :])
    raise nodes.SkipNode


def visit_math(self, node: nodes.math) -> None:
    _replace(
        self,
        node,
        "inline",
        Formula(node.astext(), False),
        tuple(self.builder.config.mathjax_inline),
    )


def visit_displaymath(self, node: nodes.math_block) -> None:
    formula = Formula(display_tex(node), True)
    if node.get("nowrap") and "amsmath" not in node.get("classes", []):
        delimiters = ("", "")
    else:
        delimiters = tuple(self.builder.config.mathjax_display)
    _replace(self, node, "block", formula, delimiters)


def font_cache(body: str, glyphs: dict[str, str]) -> str:
    """The page's hidden SVG holding every glyph its formulas use (``""`` if none)."""
    ids = sorted(set(_GLYPH_REF.findall(body)))
    if not ids:
        return ""
    missing = [i for i in ids if i not in glyphs]
    if missing:
        raise MathRenderError(
            f"book.site.mathrender: glyphs {missing} are not in the font cache"
        )
    paths = "".join(glyphs[i] for i in ids)
    return (
        f'<svg id="{FONT_CACHE_ID}" style="display: none" xmlns="http://www.w3.org/2000/svg" '
        f'aria-hidden="true"><defs>{paths}</defs></svg>'
    )


def _html_page_context(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body") or ""
    cache = font_cache(body, _store(app.env).glyphs)
    if cache:
        context["body"] = cache + body
        app.add_css_file(STYLESHEET)


def _config_inited(app, config) -> None:
    config.html_math_renderer = RENDERER


def setup(app):
    app.add_html_math_renderer(
        RENDERER, (visit_math, None), (visit_displaymath, None)
    )
    app.connect("config-inited", _config_inited)
    app.connect("doctree-read", _doctree_read)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-updated", _env_updated)
    app.connect("html-page-context", _html_page_context)
