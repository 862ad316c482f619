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
"""

from __future__ import annotations

import re

_BIBLIOENTRY = re.compile(r'(<div class="citation"[^>]*?) role="doc-biblioentry"')
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


def _html_page_context(app, pagename, templatename, context, doctree):
    if context.get("body"):
        context["body"] = fix_body(context["body"])


def setup(app):
    app.connect("html-page-context", _html_page_context)
