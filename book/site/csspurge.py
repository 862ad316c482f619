"""The theme's stylesheet, cut to the rules the built site can use.

pydata-sphinx-theme (under sphinx-book-theme) ships one stylesheet,
``_static/styles/pydata-sphinx-theme.css``: 397 KB, 66 KB gzipped, all of Bootstrap 5
(modals, carousels, button groups, every grid breakpoint) and every icon class of
FontAwesome, of which a page of this course uses about a tenth. It blocks the first
paint of every page, so on a reader's slow phone network it was the largest wait before
anything shows (Lighthouse: first paint 2.0-2.3 s on the mobile preset), and the
browser matches each of its 5,800 selectors against every element of a long chapter.

After the build (``build-finished``, after :mod:`book.site.fonts` has read the icon
rules), the stylesheet in ``_build/html`` is rewritten from the theme's original (never
from an earlier cut: a page that starts using a class gets its rules back on the next
build) by PurgeCSS (npm ``purgecss``, pinned in ``package.json``; ``csspurge.js``, one
Node process per build). A rule stays when every class, id and element its selector
names appears as a word in a built page or in one of the site's own scripts (so the
classes that Bootstrap's and the theme's scripts add, ``show``, ``active``, a tooltip's
parts, stay), or when the selector matches :data:`GREEDY`: the dark mode's
``html[data-theme=dark]`` rules, Bootstrap's and Popper's ``data-*`` states, and the
JupyterLab classes of Live Code's outputs (Thebe's script is fetched from a CDN only
when a reader presses Live Code, so its class names are not in the site to be found).
Custom properties, ``@font-face`` and ``@keyframes`` rules are all kept.

A missing Node or ``purgecss`` fails the build with what to run, as for the maths
(:mod:`book.site.mathrender`). Used by every page of the site; tested by
``tests/test_csspurge.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from sphinx.errors import ExtensionError
from sphinx.util import logging

from book.site.assets import find_package

logger = logging.getLogger(__name__)

PACKAGE = "purgecss"
SCRIPT = Path(__file__).with_name("csspurge.js")
#: The stylesheet cut down, where it lands in the built site.
STYLESHEET = Path("_static", "styles", "pydata-sphinx-theme.css")
#: Selectors kept whatever the pages contain (JavaScript regular expressions).
GREEDY = (
    r"data-theme",  # dark and light mode: html[data-theme=dark] ...
    r"data-mode",
    r"data-bs-",  # Bootstrap's states (tooltips, dropdowns)
    r"data-popper",  # a tooltip's arrow, placed by Popper
    r"jp-",  # Live Code's outputs (JupyterLab classes, from Thebe's CDN script)
    r"lm-",
    r"thebe",
)


class PurgeError(ExtensionError):
    pass


def theme_stylesheet() -> Path:
    """The theme package's own stylesheet (what every build starts from)."""
    import pydata_sphinx_theme

    return Path(pydata_sphinx_theme.__file__).parent.joinpath(
        "theme", "pydata_sphinx_theme", "static", "styles", STYLESHEET.name
    )


def content_files(site: Path) -> list[str]:
    """What PurgeCSS reads for words: every page and every script of the built ``site``."""
    pages = sorted(str(p) for p in site.rglob("*.html"))
    scripts = sorted(str(p) for p in (site / "_static").rglob("*.js"))
    return pages + scripts


def purge(
    site: Path,
    *,
    source: Path | None = None,
    srcdir: str | Path | None = None,
    node: str = "node",
) -> dict:
    """Rewrite ``site``'s theme stylesheet from ``source`` (the theme's original) with only
    the rules ``site`` can use; return ``{"before": bytes, "after": bytes, "rejected": selectors}``."""
    source = source or theme_stylesheet()
    target = site / STYLESHEET
    if not source.is_file():
        raise PurgeError(
            f"book.site.csspurge: the theme's stylesheet {source} is missing"
        )
    package = find_package(PACKAGE, srcdir)
    request = {
        "content": content_files(site),
        "css": [{"source": str(source), "target": str(target)}],
        "greedy": list(GREEDY),
    }
    env = dict(os.environ, NODE_PATH=str(package.parent))
    try:
        proc = subprocess.run(
            [node, str(SCRIPT)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    except OSError as err:
        raise PurgeError(
            f"book.site.csspurge: could not run Node.js ({node!r}: {err}); it cuts the theme's stylesheet "
            "at build time. Install Node.js 20, then run `make book`."
        ) from err
    if proc.returncode != 0:
        raise PurgeError(
            f"book.site.csspurge: {SCRIPT.name} failed on {source} (exit {proc.returncode}): "
            f"{proc.stderr.strip()[-2000:]}"
        )
    (result,) = json.loads(proc.stdout)["results"]
    return {key: result[key] for key in ("before", "after", "rejected")}


def _build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    if not (Path(app.outdir) / STYLESHEET).is_file():
        return  # another theme
    sizes = purge(Path(app.outdir), srcdir=app.srcdir)
    logger.info(
        "[book] theme stylesheet cut to the rules the site uses: %s %d -> %d KB (%d selectors dropped)",
        STYLESHEET.name,
        sizes["before"] // 1000,
        sizes["after"] // 1000,
        sizes["rejected"],
    )


def setup(app):
    app.connect("build-finished", _build_finished)
