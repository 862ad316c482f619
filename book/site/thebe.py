"""Live Code configuration that sphinx-thebe cannot express.

sphinx-thebe 0.3.1 writes each page's ``<script type="text/x-thebe-config">``
itself, from a fixed template. Thebe (0.8.2, loaded when a reader presses
"Live Code") then loads MathJax 2.7 from cdnjs, into pages that load no MathJax:
their math is typeset at build time (see :mod:`book.site.mathrender`).
No chapter sends LaTeX output from its kernel, so Thebe needs no MathJax:
``mathjaxUrl: false`` turns that off (thebe 0.8 and 0.9 both read it).

sphinx-thebe's template names the repository and branch but not the BinderHub, so
Thebe would always ask its default, mybinder.org, whatever the Binder button uses.
``launch_buttons.binderhub_url`` in ``_config.yml`` (which Jupyter Book passes to
the theme as ``html_theme_options["launch_buttons"]``) is written into each page's
``binderOptions.binderUrl``: one setting points both at the same BinderHub.
"""

from __future__ import annotations

import json

from docutils import nodes

#: Options added to every page's Thebe configuration, as JavaScript object members.
EXTRA_OPTIONS = "mathjaxUrl: false,"
MARKER = "requestKernel: true,"
BINDER_MARKER = "binderOptions: {"


def binderhub_url(config) -> str:
    """``launch_buttons.binderhub_url`` of ``_config.yml``, as Jupyter Book hands it to Sphinx ('' if unset)."""
    launch = (getattr(config, "html_theme_options", None) or {}).get(
        "launch_buttons"
    ) or {}
    return str(launch.get("binderhub_url") or "").strip().rstrip("/")


def patch_config(text: str, docname: str, binder_url: str = "") -> str:
    """Add :data:`EXTRA_OPTIONS` (and ``binderUrl`` if given) to a page's Thebe configuration."""
    if "text/x-thebe-config" not in text or EXTRA_OPTIONS in text:
        return text
    inserts = [(MARKER, EXTRA_OPTIONS)]
    if binder_url:
        inserts.append(
            (BINDER_MARKER, f"binderUrl: {json.dumps(binder_url)},")
        )
    for marker, option in inserts:
        patched = text.replace(marker, f"{marker}\n        {option}", 1)
        if patched == text:
            raise RuntimeError(
                "book.site.thebe: sphinx-thebe's configuration template changed "
                f"({marker!r} not found on {docname}); update the insertion point of {option!r}"
            )
        text = patched
    return text


def _add_options(app, doctree, docname):
    binder_url = binderhub_url(app.config)
    for raw in doctree.findall(nodes.raw):
        text = raw.astext()
        patched = patch_config(text, docname, binder_url)
        if patched != text:
            raw.replace_self(nodes.raw(patched, patched, format="html"))


def setup(app):
    # After sphinx-thebe's own doctree-resolved handler (default priority 500) wrote the config.
    app.connect("doctree-resolved", _add_options, priority=600)
