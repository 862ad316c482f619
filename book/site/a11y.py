"""Accessibility fixes of the HTML that Sphinx and its extensions write.

Each fix answers an axe-core rule that ``tests/test_browser.py::test_accessibility``
runs on every page (the CSS ones live in ``book.css``, served by :mod:`book.site.assets`).

- **Bibliographies** (sphinxcontrib-bibtex, through docutils' HTML5 writer): each entry
  is a ``<div role="doc-biblioentry">`` inside a ``<div role="list">``. ARIA 1.2
  deprecates ``doc-biblioentry`` and a list may only own list items, so axe reports
  ``aria-required-children`` (critical) and ``aria-deprecated-role``: the entries
  become ``role="listitem"``, which is what they are.
"""

from __future__ import annotations

import re

_BIBLIOENTRY = re.compile(r'(<div class="citation"[^>]*?) role="doc-biblioentry"')


def fix_body(body: str) -> str:
    """The page body with the fixes above applied."""
    return _BIBLIOENTRY.sub(r'\1 role="listitem"', body)


def _html_page_context(app, pagename, templatename, context, doctree):
    if context.get("body"):
        context["body"] = fix_body(context["body"])


def setup(app):
    app.connect("html-page-context", _html_page_context)
