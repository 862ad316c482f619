"""Accessibility fixes of the HTML that Sphinx and its extensions write.

Each fix answers an axe-core rule that ``tests/test_browser.py::test_accessibility``
runs on every page (the CSS ones live in ``book.css``, served by :mod:`book.site.assets`).

- **Bibliographies** (sphinxcontrib-bibtex, through docutils' HTML5 writer): each entry
  is a ``<div role="doc-biblioentry">`` inside a ``<div role="list">``. ARIA 1.2
  deprecates ``doc-biblioentry`` and a list may only own list items, so axe reports
  ``aria-required-children`` (critical) and ``aria-deprecated-role``: the entries
  become ``role="listitem"``, which is what they are.
- **Hidden-code toggles** (myst-nb): ``<summary aria-label="Toggle hidden content">``
  holding two ``<p>`` prompts ("Show code cell source" / "Hide ..."). A ``<p>`` is not
  allowed in a ``<summary>`` (phrasing content only), and the ``aria-label`` gave the
  control a name other than its visible text (WCAG 2.5.3, Lighthouse's
  ``label-content-name-mismatch``). The prompts become ``<span>`` elements and the label
  goes: the name is the visible prompt. ``book.css`` restyles the spans as myst-nb
  styled the paragraphs.
- **The sidebar's expand toggles** (pydata-sphinx-theme): a chapter with section pages
  (``sections:`` in ``_toc.yml``) gets a ``<details><summary>`` whose only content is a
  chevron icon marked ``role="presentation"``, so the control has no name (axe
  ``summary-name``, serious). Each such ``<summary>`` gets ``aria-label="Sections of
  <the chapter's title>"``. The sidebar is not in the page body: the theme writes it with
  its ``generate_toctree_html`` template function, which is wrapped here.
"""

from __future__ import annotations

import re

_BIBLIOENTRY = re.compile(
    r'(<div class="citation"[^>]*?) role="doc-biblioentry"'
)
_TOGGLE_SUMMARY = re.compile(
    r'<summary aria-label="Toggle hidden content">\s*'
    r'<p class="collapsed admonition-title">(.*?)</p>\s*'
    r'<p class="expanded admonition-title">(.*?)</p>\s*</summary>',
    re.S,
)


def fix_body(body: str) -> str:
    """The page body with the fixes above applied."""
    body = _BIBLIOENTRY.sub(r'\1 role="listitem"', body)
    return _TOGGLE_SUMMARY.sub(
        r'<summary><span class="collapsed admonition-title">\1</span>'
        r'<span class="expanded admonition-title">\2</span></summary>',
        body,
    )


# pydata-sphinx-theme's add_collapse_checkboxes: the page's link, then the toggle
_SIDEBAR_TOGGLE = re.compile(
    r'(<a class="[^"]*\breference internal\b[^"]*" href="[^"]*">(?P<title>(?:(?!</a>).)*)</a>\s*<details[^>]*>\s*)'
    r"<summary>(?=\s*<span class=\"toctree-toggle\")",
    re.S,
)
_TAG = re.compile(r"<[^>]+>")


def name_sidebar_toggles(html: str) -> str:
    """The sidebar's HTML with each expand toggle named after the page it opens."""

    def named(match):
        title = " ".join(_TAG.sub("", match["title"]).split()).replace(
            '"', "&quot;"
        )
        return f'{match.group(1)}<summary aria-label="Sections of {title}">'

    return _SIDEBAR_TOGGLE.sub(named, html)


def _html_page_context(app, pagename, templatename, context, doctree):
    if context.get("body"):
        context["body"] = fix_body(context["body"])


def _wrap_toctree(app, pagename, templatename, context, doctree):
    generate = context.get("generate_toctree_html")
    if generate is None or getattr(generate, "_names_toggles", False):
        return

    def generate_named(*args, **kwargs):
        return name_sidebar_toggles(str(generate(*args, **kwargs)))

    generate_named._names_toggles = True
    context["generate_toctree_html"] = generate_named


def setup(app):
    app.connect("html-page-context", _html_page_context)
    # after pydata-sphinx-theme has put its function in the context (default priority 500)
    app.connect("html-page-context", _wrap_toctree, priority=900)
