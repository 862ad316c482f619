"""What a reader downloads: the gzip-compressed size of each page on first load.

Each page of the table of contents is opened in a fresh (empty-cache, offline)
Chromium context (the session's shared visit, tests/page_report.py); every response it
receives until the network is idle (the fonts are in) is gzip-compressed, at level 6,
and summed. The table is printed and
written to ``_build/page-weight.json``. The math comes typeset in the page's HTML
(book/site/mathrender.py): no page downloads MathJax or math fonts, only MathJax's
small stylesheet for its SVG output.
"""

from __future__ import annotations

import json
from urllib.parse import urlparse

import pytest

from book_pages import toc_pages

pytestmark = pytest.mark.browser

#: THE page-weight budget: gzip-compressed bytes a page may load on first visit.
#: Why 1.5 MB, and what fills it, is in docs/maintaining.md ("Browser tests and the
#: self-contained site").
PAGE_BUDGET_BYTES = 1_500_000

PAGES = toc_pages()


def _path(url: str) -> str:
    parsed = urlparse(url)
    return parsed.path.lstrip("/")


@pytest.fixture(scope="module")
def weights(reports, built_site):
    """``{page: {"gzip_bytes", "raw_bytes", "requests", "resources"}}`` for every TOC page.

    From the session's one visit of each page (conftest's ``reports``): what it loaded
    until the network was idle, before anything was scrolled or clicked."""
    result = {}
    for name in PAGES:
        visit = reports(name).visit
        result[name] = {
            "gzip_bytes": visit.gzip_total,
            "raw_bytes": visit.raw_total,
            "requests": len(visit.loaded),
            "resources": sorted(
                (
                    {
                        "path": _path(item.url),
                        "type": item.resource_type,
                        "raw_bytes": item.raw_bytes,
                        "gzip_bytes": item.gzip_bytes,
                    }
                    for item in visit.loaded
                ),
                key=lambda r: -r["gzip_bytes"],
            ),
        }
    report = {"budget_bytes": PAGE_BUDGET_BYTES, "gzip_level": 6, "pages": result}
    (built_site.build / "page-weight.json").write_text(json.dumps(report, indent=2) + "\n")
    return result


def table(weights) -> str:
    kb = lambda n: f"{n / 1000:,.0f}"  # noqa: E731
    width = max(len(name) for name in weights)
    lines = [
        f"Page weight on first load (gzip level 6; budget {kb(PAGE_BUDGET_BYTES)} KB)",
        f"{'page':<{width}}  {'requests':>8}  {'raw KB':>8}  {'gzip KB':>8}  largest (gzip KB)",
    ]
    for name, w in weights.items():
        largest = ", ".join(
            f"{r['path'].rsplit('/', 1)[-1].split('?')[0]} {kb(r['gzip_bytes'])}" for r in w["resources"][:3]
        )
        flag = "  OVER BUDGET" if w["gzip_bytes"] > PAGE_BUDGET_BYTES else ""
        lines.append(
            f"{name:<{width}}  {w['requests']:>8}  {kb(w['raw_bytes']):>8}  {kb(w['gzip_bytes']):>8}  {largest}{flag}"
        )
    return "\n".join(lines)


def test_page_weight_report(weights, built_site, capsys):
    with capsys.disabled():
        print("\n" + table(weights) + f"\n(written to {built_site.build / 'page-weight.json'})")
    assert set(weights) == set(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_page_is_within_budget(weights, name):
    w = weights[name]
    assert w["gzip_bytes"] <= PAGE_BUDGET_BYTES, (
        f"{name} loads {w['gzip_bytes']:,} bytes gzipped, over the {PAGE_BUDGET_BYTES:,} budget; largest: "
        + ", ".join(f"{r['path']} ({r['gzip_bytes']:,})" for r in w["resources"][:5])
    )


#: MathJax's stylesheet for its SVG output (``book-assets/math.css``), all a page with
#: math downloads for it besides its HTML: about 0.8 KB gzipped.
MATH_CSS_MAX_GZIP = 2_000


@pytest.mark.parametrize("name", PAGES)
def test_no_page_downloads_mathjax(weights, name):
    paths = [r["path"] for r in weights[name]["resources"]]
    assert not [p for p in paths if "mathjax" in p.lower()], (
        f"{name} downloads MathJax: its math is typeset at build time"
    )
    for r in weights[name]["resources"]:
        if r["path"].endswith("book-assets/math.css"):
            assert r["gzip_bytes"] <= MATH_CSS_MAX_GZIP, r
