"""Every internal link and anchor of the built site resolves; nothing is loaded from elsewhere.

Reads the HTML files of ``_build/html`` (BeautifulSoup, no browser): every
``href``/``src`` that points inside the site must name a file that exists and,
when it has a ``#fragment`` into an HTML page, an ``id`` on that page. Links to
other sites are not followed (the tests run offline), but no page may *load* a
script, stylesheet, image, font or frame from another host.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.slow

#: Attributes that link (a reader follows them) or load (the browser fetches them).
LINKING = {"a": "href", "area": "href"}
LOADING = {
    "script": "src",
    "img": "src",
    "source": "src",
    "iframe": "src",
    "video": "src",
    "audio": "src",
    "embed": "src",
    "link": "href",
}
NOT_A_LOCATION = ("mailto:", "javascript:", "data:", "tel:", "blob:")
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


def html_files(html_root: Path) -> list[Path]:
    # _static holds the themes' Jinja macro files (*.html), not pages.
    return sorted(p for p in html_root.rglob("*.html") if "_static" not in p.relative_to(html_root).parts)


@cache
def parse(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@cache
def anchors(path: Path) -> frozenset[str]:
    soup = parse(path)
    return frozenset(
        [tag["id"] for tag in soup.find_all(id=True)]
        + [tag["name"] for tag in soup.find_all("a", attrs={"name": True})]
    )


def is_external(url: str) -> bool:
    return bool(urlsplit(url).scheme) or url.startswith("//")


def references(soup: BeautifulSoup):
    """``(kind, tag, url)`` for every link and load in the page."""
    for kind, table in (("link", LINKING), ("load", LOADING)):
        for tag_name, attr in table.items():
            for tag in soup.find_all(tag_name):
                url = (tag.get(attr) or "").strip()
                if tag_name == "link" and not set(tag.get("rel") or []) & {
                    "stylesheet",
                    "preload",
                    "icon",
                    "modulepreload",
                    "prefetch",
                }:
                    kind_here = "link"  # e.g. rel="next", rel="search": a navigation link
                else:
                    kind_here = kind
                if url and not url.startswith(NOT_A_LOCATION):
                    yield kind_here, tag_name, url


def broken_reference(html_root: Path, page: Path, url: str) -> str | None:
    """Why the internal ``url`` written in ``page`` does not resolve (``None`` if it does)."""
    parts = urlsplit(url)
    target = page
    if parts.path:
        target = (page.parent / unquote(parts.path)).resolve()
        try:
            target.relative_to(html_root.resolve())
        except ValueError:
            return "points outside the site"
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            return "no such file"
    fragment = unquote(parts.fragment)
    if fragment and target.suffix == ".html" and fragment not in anchors(target):
        return f"no id {fragment!r} in {target.relative_to(html_root.resolve()) if target != page else 'this page'}"
    return None


@pytest.fixture(scope="module")
def pages(built_site) -> list[Path]:
    files = html_files(built_site.html)
    assert files, f"no HTML in {built_site.html}"
    return files


def test_internal_links_and_anchors_resolve(built_site, pages):
    root = built_site.html
    broken = []
    checked = 0
    for page in pages:
        for _kind, tag, url in references(parse(page)):
            if is_external(url) or url == "#":
                continue
            checked += 1
            why = broken_reference(root, page, url)
            if why:
                broken.append(f"{page.relative_to(root)}: <{tag}> {url}: {why}")
    assert checked > 100, (
        f"only {checked} internal references found: is the parser looking at the right files?"
    )
    assert broken == []


def test_no_page_loads_anything_from_another_host(built_site, pages):
    root = built_site.html
    outside = [
        f"{page.relative_to(root)}: <{tag}> {url}"
        for page in pages
        for kind, tag, url in references(parse(page))
        if kind == "load" and is_external(url)
    ]
    assert outside == []


def test_no_stylesheet_loads_anything_from_another_host(built_site):
    root = built_site.html
    outside = []
    for css in sorted(root.rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # licence comments name their homepages
        for match in CSS_URL.finditer(text):
            url = (match.group(1) or match.group(2)).strip()
            if is_external(url) and not url.startswith(NOT_A_LOCATION):
                outside.append(f"{css.relative_to(root)}: {url}")
    assert outside == []


def test_css_references_resolve(built_site):
    """Fonts and images named in the site's stylesheets exist (a missing web font fails silently)."""
    root = built_site.html
    missing = []
    for css in sorted(root.rglob("*.css")):
        text = re.sub(r"/\*.*?\*/", "", css.read_text(encoding="utf-8", errors="replace"), flags=re.S)
        for match in CSS_URL.finditer(text):
            url = (match.group(1) or match.group(2)).strip()
            if is_external(url) or url.startswith(NOT_A_LOCATION) or url.startswith("#"):
                continue
            target = (css.parent / unquote(urlsplit(url).path)).resolve()
            if not target.is_file():
                missing.append(f"{css.relative_to(root)}: {url}")
    assert missing == []
