"""``make audit``'s parts that need no Lighthouse: the compressing server and the table."""

from __future__ import annotations

import gzip
import urllib.request

from book.site import audit


def test_server_sends_text_gzip_compressed(tmp_path):
    (tmp_path / "page.html").write_text("<p>" + "hello " * 500 + "</p>")
    (tmp_path / "image.png").write_bytes(b"\x89PNG" + bytes(100))
    server, base = audit.serve(tmp_path)
    try:
        req = urllib.request.Request(f"{base}/page.html", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req) as resp:
            assert resp.headers["Content-Encoding"] == "gzip"
            body = resp.read()
        assert gzip.decompress(body).decode().startswith("<p>hello")
        assert len(body) < 200
        with urllib.request.urlopen(f"{base}/page.html") as resp:  # no Accept-Encoding: plain
            assert resp.headers.get("Content-Encoding") is None
        req = urllib.request.Request(f"{base}/image.png", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req) as resp:  # images are already compressed
            assert resp.headers.get("Content-Encoding") is None
    finally:
        server.shutdown()


def test_pages_are_the_table_of_contents():
    pages = audit.toc_pages()
    assert pages[0] == "intro" and pages[-3:] == ["summary_sheet", "references", "status"]
    # every page under chapters/, section pages (``sections:`` in _toc.yml) included, once each
    chapter_files = {f"chapters/{path.stem}" for path in (audit.ROOT / "chapters").glob("*.md")}
    assert sorted(pages[1:-3]) == sorted(chapter_files) and len(set(pages)) == len(pages)
    assert "chapters/02_clipping" in pages  # a section page


def test_median_and_table():
    runs = [
        {
            "performance": p,
            "accessibility": 100,
            "best-practices": 96,
            "seo": 100,
            "FCP s": 1.0 * p / 50,
            "LCP s": 2.0,
            "TBT ms": 10.0 * p,
            "CLS": 0.0,
            "KB": 500.0,
            "DOM": 900.0,
            "failed": [str(p)],
        }
        for p in (40, 90, 60)
    ]
    row = audit.median_row(runs)
    assert row["performance"] == 60 and row["TBT ms"] == 600 and row["failed"] == ["60"]
    text = audit.table({"intro": row}, 3)
    assert "| intro | 60 | 100 | 96 | 100 | 1.2 | 2.0 | 600 | 0.000 | 500 | 900 |" in text
