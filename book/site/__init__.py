"""Sphinx extension of the course: what only the build uses.

Loaded by ``_config.yml`` (``sphinx.extra_extensions: [book.site]``); a reader's
kernel never imports it. Each subject is a module of its own with a ``setup``:

- :mod:`book.site.quiz`   -- the ``{quiz}`` directive: validates and renders a quiz file;
- :mod:`book.site.assets` -- serves plotly.js and the course's scripts and styles from
  the site itself, and only to the pages that need them;
- :mod:`book.site.mathrender` -- typesets every formula (quizzes included) at build time
  with MathJax in Node.js: no page loads MathJax;
- :mod:`book.site.a11y`   -- accessibility fixes of the HTML that Sphinx writes;
- :mod:`book.site.imagesize` -- every image of a page's text gets its intrinsic width and
  height, so that nothing moves when it arrives;
- :mod:`book.site.freshness` -- re-executes the chapters when the ``book`` code they
  import changes (the execution cache only sees a notebook's own cells);
- :mod:`book.site.thebe` -- Live Code options that sphinx-thebe cannot set;
- :mod:`book.site.execute` -- executes the notebooks in parallel before Sphinx reads
  them, and keeps the outputs in the notebooks readers download;
- :mod:`book.site.meta` -- meta description, Open Graph / Twitter cards, favicon, the
  redirect page, one search field (:mod:`book.site.audit` runs Lighthouse: ``make audit``);
- :mod:`book.site.explorer` -- the ``{lstm-explorer}`` directive (chapter 4);
- :mod:`book.site.fonts` -- the theme's icon fonts cut down to the icons the site shows;
- :mod:`book.site.csspurge` -- the theme's stylesheet cut down to the rules the site uses
  (after :mod:`book.site.fonts`, which reads the stylesheet's icon rules);
- :mod:`book.site.csp` -- a Content-Security-Policy on every page (only the site's own
  scripts run), and a check that content carries no script;
- :mod:`book.site.npmcheck` -- ``node_modules`` checked against what ``npm ci`` installed
  from ``package-lock.json`` before the build uses it;
- :mod:`book.site.kernel` -- the build's kernels: ipykernel under a memory limit;
- :mod:`book.site.sitemap` -- ``sitemap.xml`` (every page's URL under the site's base URL)
  and ``robots.txt`` naming it.

(:mod:`book.site.quiznodes` holds the quiz's doctree node that :mod:`book.site.quiz` and
:mod:`book.site.mathrender` share; the quiz text itself is read by :mod:`book.quiztext`.)
"""

from __future__ import annotations


def setup(app):
    from book.site import (
        a11y,
        assets,
        csp,
        csspurge,
        execute,
        explorer,
        fonts,
        freshness,
        imagesize,
        mathrender,
        meta,
        quiz,
        sitemap,
        thebe,
    )

    quiz.setup(app)
    assets.setup(app)
    mathrender.setup(app)
    a11y.setup(app)
    imagesize.setup(app)
    freshness.setup(app)
    thebe.setup(app)
    execute.setup(app)
    meta.setup(app)
    explorer.setup(app)
    fonts.setup(app)
    csspurge.setup(
        app
    )  # after fonts: both run at build-finished, in this order
    csp.setup(app)
    sitemap.setup(app)
    return {
        "version": "1.0",
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
