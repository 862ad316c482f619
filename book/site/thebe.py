"""Live Code configuration that sphinx-thebe cannot express.

sphinx-thebe 0.3.1 writes each page's ``<script type="text/x-thebe-config">``
itself, from a fixed template. Thebe (0.8.2, loaded when a reader presses
"Live Code") then loads MathJax 2.7 from cdnjs and installs it over the page's
own MathJax 3, which the site serves itself (see :mod:`book.site.assets`).
No chapter sends LaTeX output from its kernel, so Thebe needs no MathJax:
``mathjaxUrl: false`` turns that off (thebe 0.8 and 0.9 both read it).
"""

from __future__ import annotations

from docutils import nodes

#: Options added to every page's Thebe configuration, as JavaScript object members.
EXTRA_OPTIONS = "mathjaxUrl: false,"
MARKER = "requestKernel: true,"


def _add_options(app, doctree, docname):
    for raw in doctree.findall(nodes.raw):
        text = raw.astext()
        if "text/x-thebe-config" in text and EXTRA_OPTIONS not in text:
            patched = text.replace(MARKER, f"{MARKER}\n        {EXTRA_OPTIONS}", 1)
            if patched == text:
                raise RuntimeError(
                    "book.site.thebe: sphinx-thebe's configuration template changed "
                    f"({MARKER!r} not found on {docname}); update EXTRA_OPTIONS' insertion point"
                )
            raw.replace_self(nodes.raw(patched, patched, format="html"))


def setup(app):
    # After sphinx-thebe's own doctree-resolved handler (default priority 500) wrote the config.
    app.connect("doctree-resolved", _add_options, priority=600)
