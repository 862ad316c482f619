"""``sitemap.xml`` and ``robots.txt`` for search engines, written at the end of the build.

The sitemap (the sitemaps.org 0.9 format) lists the absolute URL of every page of the book
(every document Sphinx built: the chapters, the introduction, the summary sheet...), under
the site's base URL: Sphinx's ``html_baseurl`` (``html.baseurl`` in ``_config.yml``) if set,
else the GitHub Pages address of ``repository.url`` in ``_config.yml`` (the same address the
link previews of :mod:`book.site.meta` use), so a fork changes one place. Not the redirect
``index.html``, the search page or the index, which are not content. Without a base URL (a
repository outside GitHub and no ``html.baseurl``) there is no sitemap: its URLs must be
absolute; the log says so.

``robots.txt`` allows everything and names the sitemap, unless the site already has one (a
``robots.txt`` from ``html_extra_path``). Crawlers read ``robots.txt`` only at the root of a
host: on a project site (``https://OWNER.github.io/NAME/``) it is not read, and the sitemap
is submitted to the search engine instead (``docs/maintaining.md``); on a user site or a
custom domain it is.

Written by hand (the standard library's XML escaping), not by ``sphinx-sitemap``: the build
needs no new dependency for a list of URLs.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from sphinx.util import logging

logger = logging.getLogger(__name__)

SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"


def base_url(config) -> str:
    """The site's base URL with a final ``/`` ('' if none is known)."""
    from book.site.meta import pages_url

    url = (config.html_baseurl or "").strip() or (
        getattr(config, "ogp_site_url", "") or ""
    ).strip()
    if not url:
        url = pages_url(config.html_theme_options.get("repository_url", ""))
    return url if not url or url.endswith("/") else url + "/"


def sitemap_xml(urls: list[str]) -> str:
    """A sitemaps.org 0.9 ``<urlset>`` of ``urls``, in their order."""
    entries = "".join(
        f"  <url><loc>{escape(url)}</loc></url>\n" for url in urls
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{NAMESPACE}">\n{entries}</urlset>\n'


def robots_txt(sitemap_url: str) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {sitemap_url}\n"


def page_urls(app, base: str) -> list[str]:
    """The absolute URL of every page the HTML builder wrote, in the order of the book's
    documents (the root document first)."""
    outdir = Path(app.outdir)
    root = app.config.root_doc
    docnames = sorted(app.env.found_docs, key=lambda d: (d != root, d))
    urls = []
    for docname in docnames:
        uri = app.builder.get_target_uri(docname)
        if (outdir / uri).is_file():
            urls.append(base + uri)
    return urls


def _build_finished(app, exception):
    if (
        exception is not None
        or app.builder.format != "html"
        or app.builder.name != "html"
    ):
        return
    base = base_url(app.config)
    outdir = Path(app.outdir)
    if not base:
        logger.info(
            "[book] no sitemap.xml: no base URL (html.baseurl in _config.yml, or a GitHub repository.url)"
        )
        return
    urls = page_urls(app, base)
    (outdir / SITEMAP).write_text(sitemap_xml(urls), encoding="utf-8")
    robots = outdir / ROBOTS
    if not robots.exists():
        robots.write_text(robots_txt(base + SITEMAP), encoding="utf-8")
    logger.info("[book] %s: %d pages under %s", SITEMAP, len(urls), base)


def setup(app):
    # after book.site.meta's config-inited has set ogp_site_url (the same base URL)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
